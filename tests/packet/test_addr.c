/*
 * tests/packet/test_addr.c - address parse/format (RFC 5952), equality.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "packet/addr.h"

/* Parse text, format it back: the canonical form must come out. */
struct canon_case {
    const char *in;
    const char *out;
    uint8_t family;
};

static const struct canon_case canon_cases[] = {
    /* RFC 5952 §4.2.1-4.2.3: longest run, first on ties, no single-group "::". */
    { "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", PKT_ADDR_V6 },
    { "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1", PKT_ADDR_V6 },
    { "2001:0:0:1:0:0:0:1", "2001:0:0:1::1", PKT_ADDR_V6 },
    { "2001:db8::1:0:0:0:1", "2001:db8:0:1::1", PKT_ADDR_V6 }, /* input "::" = one group */
    { "2001:db8:0:0:0::1", "2001:db8::1", PKT_ADDR_V6 },
    { "2001:db8::0:1", "2001:db8::1", PKT_ADDR_V6 },
    { "2001:db8::aaaa:0:0:1", "2001:db8::aaaa:0:0:1", PKT_ADDR_V6 },
    { "2001:db8:0:0:aaaa::1", "2001:db8::aaaa:0:0:1", PKT_ADDR_V6 },
    { "1:0:0:2:0:0:0:3", "1:0:0:2::3", PKT_ADDR_V6 },
    { "1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0", PKT_ADDR_V6 },
    /* RFC 5952 §4.1 leading zeros, §4.3 lower case. */
    { "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1", PKT_ADDR_V6 },
    { "2001:DB8::ABCD:EF01", "2001:db8::abcd:ef01", PKT_ADDR_V6 },
    { "FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      PKT_ADDR_V6 },
    { "::1", "::1", PKT_ADDR_V6 },
    { "::", "::", PKT_ADDR_V6 },
    { "0:0:0:0:0:0:0:0", "::", PKT_ADDR_V6 },
    { "1::", "1::", PKT_ADDR_V6 },
    { "1:0:0:0:0:0:0:0", "1::", PKT_ADDR_V6 },
    { "fe80::1:2", "fe80::1:2", PKT_ADDR_V6 },
    { "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0", PKT_ADDR_V6 },
    { "::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8", PKT_ADDR_V6 },
    /* RFC 5952 §5: IPv4-mapped keeps the dotted quad and stays IPv6. */
    { "::ffff:1.2.3.4", "::ffff:1.2.3.4", PKT_ADDR_V6 },
    { "::FFFF:192.0.2.255", "::ffff:192.0.2.255", PKT_ADDR_V6 },
    { "0:0:0:0:0:ffff:c000:0201", "::ffff:192.0.2.1", PKT_ADDR_V6 },
    /* Not mapped: hex groups, not a dotted quad. */
    { "::1.2.3.4", "::102:304", PKT_ADDR_V6 },
    { "::fffe:1.2.3.4", "::fffe:102:304", PKT_ADDR_V6 },
    { "64:ff9b::192.0.2.33", "64:ff9b::c000:221", PKT_ADDR_V6 },
    /* IPv4. */
    { "1.2.3.4", "1.2.3.4", PKT_ADDR_V4 },
    { "0.0.0.0", "0.0.0.0", PKT_ADDR_V4 },
    { "255.255.255.255", "255.255.255.255", PKT_ADDR_V4 },
    { "10.0.100.1", "10.0.100.1", PKT_ADDR_V4 },
    { "192.0.2.9", "192.0.2.9", PKT_ADDR_V4 },
};

Test(pkt_addr, formats_rfc5952_canonical_text)
{
    for (size_t i = 0; i < sizeof(canon_cases) / sizeof(canon_cases[0]); i++) {
        const struct canon_case *c = &canon_cases[i];
        struct pkt_addr a;
        cr_assert_eq(pkt_addr_parse(c->in, &a), 0, "parse %s", c->in);
        cr_assert_eq(a.family, c->family, "family of %s", c->in);
        char buf[PKT_ADDR_TEXT_MAX];
        int n = pkt_addr_format(&a, buf, sizeof(buf));
        cr_assert_str_eq(buf, c->out, "format of %s", c->in);
        cr_assert_eq(n, (int)strlen(c->out), "length of %s", c->in);
    }
}

Test(pkt_addr, parses_exact_bytes)
{
    struct pkt_addr a;
    cr_assert_eq(pkt_addr_parse("192.0.2.10", &a), 0);
    const uint8_t v4[16] = { 192, 0, 2, 10 };
    cr_assert_eq(a.family, PKT_ADDR_V4);
    cr_assert_arr_eq(a.bytes, v4, 16, "IPv4 bytes 4..15 must be zero");
    cr_assert_eq(pkt_addr_len(&a), 4);

    cr_assert_eq(pkt_addr_parse("2001:db8::a:b00:0:1", &a), 0);
    const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0x0a, 0x0b, 0, 0, 0, 0, 1 };
    cr_assert_eq(a.family, PKT_ADDR_V6);
    cr_assert_arr_eq(a.bytes, v6, 16);
    cr_assert_eq(pkt_addr_len(&a), 16);

    cr_assert_eq(pkt_addr_parse("::ffff:1.2.3.4", &a), 0);
    const uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4 };
    cr_assert_eq(a.family, PKT_ADDR_V6, "IPv4-mapped stays IPv6 in the parser");
    cr_assert_arr_eq(a.bytes, mapped, 16);
}

static const char *const reject_cases[] = {
    "",
    "010.1.1.1", /* leading zero: octal to inet_aton, decimal to inet_pton (I04) */
    "1.2.3.04",
    "1.02.3.4",
    "00.1.2.3",
    "1.2.3.00",
    "::ffff:010.1.1.1",
    "::ffff:1.2.3.04",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "1.2.3.-1",
    "1.2.3.4/24",
    "1.2.3.4:53",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1.2.3.4\n",
    "0x1.2.3.4",
    "1..2.3",
    "1.2.3.",
    ".1.2.3",
    "1",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    ":::",
    ":1::2",
    "1::2:",
    "12345::",
    "g::1",
    "::1%lo",
    "2001:db8::/32",
    "0::00:00:00/2",
    "[::1]",
    "::ffff:1.2.3",
    "::ffff:1.2.3.256",
    "1.2.3.4::",
    "0:0:0:0:0:0:0:1:",
};

Test(pkt_addr, rejects_malformed_text)
{
    for (size_t i = 0; i < sizeof(reject_cases) / sizeof(reject_cases[0]); i++) {
        struct pkt_addr a;
        memset(&a, 0xAB, sizeof(a));
        cr_assert_eq(pkt_addr_parse(reject_cases[i], &a), -EINVAL, "accepted \"%s\"",
                     reject_cases[i]);
        cr_assert_eq(a.family, 0xAB, "*out written on failure for \"%s\"", reject_cases[i]);
    }
    struct pkt_addr a;
    cr_assert_eq(pkt_addr_parse(NULL, &a), -EINVAL);
}

Test(pkt_addr, accepts_zero_octets_without_leading_zero)
{
    struct pkt_addr a;
    cr_assert_eq(pkt_addr_parse("0.10.100.0", &a), 0);
    const uint8_t b[4] = { 0, 10, 100, 0 };
    cr_assert_arr_eq(a.bytes, b, 4);
    /* Leading zeros in hex groups are fine (RFC 4291 §2.2). */
    cr_assert_eq(pkt_addr_parse("0001:0db8::0010", &a), 0);
    cr_assert_eq(a.bytes[15], 0x10);
    cr_assert_eq(pkt_addr_parse("::ffff:0.0.0.0", &a), 0);
}

Test(pkt_addr, format_refuses_short_buffer_and_bad_family)
{
    struct pkt_addr a;
    cr_assert_eq(pkt_addr_parse("255.255.255.255", &a), 0);
    char buf[PKT_ADDR_TEXT_MAX];
    memset(buf, 'x', sizeof(buf));
    cr_assert_lt(pkt_addr_format(&a, buf, 15), 0, "15 octets cannot hold 15 chars + NUL");
    cr_assert_eq(buf[0], '\0');
    cr_assert_eq(buf[1], 'x', "nothing written past the empty string");
    cr_assert_eq(pkt_addr_format(&a, buf, 16), 15);
    cr_assert_str_eq(buf, "255.255.255.255");

    a.family = 5;
    cr_assert_lt(pkt_addr_format(&a, buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "");
}

Test(pkt_addr, longest_text_fits_text_max)
{
    struct pkt_addr a;
    cr_assert_eq(pkt_addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &a), 0);
    char buf[PKT_ADDR_TEXT_MAX];
    cr_assert_eq(pkt_addr_format(&a, buf, sizeof(buf)), 39);
    cr_assert_eq(pkt_addr_parse("::ffff:255.255.255.255", &a), 0);
    cr_assert_eq(pkt_addr_format(&a, buf, sizeof(buf)), 22);
}

Test(pkt_addr, equal_compares_family_and_bytes)
{
    struct pkt_addr a, b;
    cr_assert_eq(pkt_addr_parse("192.0.2.1", &a), 0);
    cr_assert_eq(pkt_addr_parse("192.0.2.1", &b), 0);
    cr_assert(pkt_addr_equal(&a, &b));
    cr_assert_eq(pkt_addr_parse("192.0.2.2", &b), 0);
    cr_assert_not(pkt_addr_equal(&a, &b));
    cr_assert_eq(pkt_addr_parse("::ffff:192.0.2.1", &b), 0);
    cr_assert_not(pkt_addr_equal(&a, &b), "IPv4 and IPv4-mapped IPv6 differ");

    /* Same leading bytes, different family. */
    struct pkt_addr c;
    memset(&c, 0, sizeof(c));
    c.family = PKT_ADDR_V6;
    memcpy(c.bytes, a.bytes, 4);
    cr_assert_not(pkt_addr_equal(&a, &c));
    cr_assert_not(pkt_addr_equal(&c, &a));

    cr_assert_eq(pkt_addr_parse("2001:db8::1", &a), 0);
    cr_assert_eq(pkt_addr_parse("2001:DB8:0::0:1", &b), 0);
    cr_assert(pkt_addr_equal(&a, &b));
    b.bytes[15] ^= 1;
    cr_assert_not(pkt_addr_equal(&a, &b));
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void)
{
    /* xorshift64*: deterministic, so a failure reproduces. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}

/*
 * Random addresses, many zero groups: our text must match glibc's inet_ntop
 * (also RFC 5952) wherever glibc does not use its IPv4-compatible "::a.b.c.d"
 * form, and must parse back to the same address.
 */
Test(pkt_addr, random_v6_round_trip_matches_inet_ntop)
{
    for (int iter = 0; iter < 20000; iter++) {
        struct pkt_addr a;
        memset(&a, 0, sizeof(a));
        a.family = PKT_ADDR_V6;
        uint64_t r = rng();
        for (int g = 0; g < 8; g++) {
            /* Each group: zero with p=1/2, else random or a small value. */
            uint64_t s = rng();
            unsigned v = (r >> g & 1) ? 0
                         : (s & 1)    ? (unsigned)(s >> 8) & 0xffffu
                                      : (unsigned)(s >> 8) & 0xfu;
            a.bytes[2 * g] = (uint8_t)(v >> 8);
            a.bytes[2 * g + 1] = (uint8_t)v;
        }
        if (iter % 97 == 0) { /* some IPv4-mapped ones too */
            memset(a.bytes, 0, 10);
            a.bytes[10] = a.bytes[11] = 0xff;
        }
        char ours[PKT_ADDR_TEXT_MAX], ref[INET6_ADDRSTRLEN];
        int n = pkt_addr_format(&a, ours, sizeof(ours));
        cr_assert_eq(n, (int)strlen(ours));
        static const uint8_t zero12[12];
        if (memcmp(a.bytes, zero12, 12) != 0) {
            cr_assert_not_null(inet_ntop(AF_INET6, a.bytes, ref, sizeof(ref)));
            cr_assert_str_eq(ours, ref);
        }
        struct pkt_addr b;
        cr_assert_eq(pkt_addr_parse(ours, &b), 0, "%s", ours);
        cr_assert(pkt_addr_equal(&a, &b), "%s", ours);
    }
}

Test(pkt_addr, random_v4_round_trip)
{
    for (int iter = 0; iter < 20000; iter++) {
        struct pkt_addr a;
        memset(&a, 0, sizeof(a));
        a.family = PKT_ADDR_V4;
        uint64_t r = rng();
        for (int i = 0; i < 4; i++) /* bias towards 0..9 and 10..99 as well */
            a.bytes[i] = (uint8_t)((r >> (16 * i)) % ((r >> (16 * i + 8)) % 3 == 0 ? 10u : 256u));
        char ours[PKT_ADDR_TEXT_MAX], ref[INET_ADDRSTRLEN];
        cr_assert_gt(pkt_addr_format(&a, ours, sizeof(ours)), 0);
        cr_assert_not_null(inet_ntop(AF_INET, a.bytes, ref, sizeof(ref)));
        cr_assert_str_eq(ours, ref);
        struct pkt_addr b;
        cr_assert_eq(pkt_addr_parse(ours, &b), 0, "%s", ours);
        cr_assert(pkt_addr_equal(&a, &b), "%s", ours);
    }
}
