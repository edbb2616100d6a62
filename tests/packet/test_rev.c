/*
 * tests/packet/test_rev.c - reverse names: build (exact wire octets), parse,
 * every rejection rule of rev.h.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "packet/rev.h"

/*
 * "4.3.2.1.in-addr.arpa" to wire form (no escapes; a trailing dot is the
 * root as usual). Empty labels are written as length 0 octets on purpose, so
 * broken names can be expressed too. Returns the wire length.
 */
static size_t wire(const char *text, uint8_t *out)
{
    size_t n = 0;
    const char *p = text;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);
        if (dot == NULL && l == 0)
            break; /* trailing dot or empty text */
        out[n++] = (uint8_t)l;
        memcpy(out + n, p, l);
        n += l;
        if (dot == NULL)
            break;
        p = dot + 1;
    }
    out[n++] = 0;
    return n;
}

static struct pkt_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct pkt_addr x;
    memset(&x, 0, sizeof(x));
    x.family = PKT_ADDR_V4;
    x.bytes[0] = a;
    x.bytes[1] = b;
    x.bytes[2] = c;
    x.bytes[3] = d;
    return x;
}

Test(pkt_rev, builds_v4_name_exact_wire)
{
    static const uint8_t want[] = { 2,   '1', '0', 1,   '2', 1,   '0', 3,   '1', '9', '2', 7, 'i',
                                    'n', '-', 'a', 'd', 'd', 'r', 4,   'a', 'r', 'p', 'a', 0 };
    const uint8_t addr[4] = { 192, 0, 2, 10 };
    uint8_t out[64];
    memset(out, 0xEE, sizeof(out));
    int n = pkt_rev_name_v4(addr, out, sizeof(out));
    cr_assert_eq(n, (int)sizeof(want));
    cr_assert_arr_eq(out, want, sizeof(want));
    cr_assert_eq(out[sizeof(want)], 0xEE, "nothing written past the name");
}

Test(pkt_rev, builds_v4_extremes)
{
    uint8_t out[PKT_REV_V4_MAX], want[64];
    const uint8_t zero[4] = { 0, 0, 0, 0 }, ones[4] = { 255, 255, 255, 255 };
    size_t wn = wire("0.0.0.0.in-addr.arpa", want);
    cr_assert_eq(wn, 22);
    cr_assert_eq(pkt_rev_name_v4(zero, out, sizeof(out)), 22);
    cr_assert_arr_eq(out, want, wn);
    wn = wire("255.255.255.255.in-addr.arpa", want);
    cr_assert_eq(wn, PKT_REV_V4_MAX);
    cr_assert_eq(pkt_rev_name_v4(ones, out, sizeof(out)), PKT_REV_V4_MAX);
    cr_assert_arr_eq(out, want, wn);
}

/* Every octet value in every position against snprintf("%u"). */
Test(pkt_rev, builds_every_v4_octet_value)
{
    for (unsigned v = 0; v < 256; v++) {
        for (unsigned pos = 0; pos < 4; pos++) {
            uint8_t addr[4] = { 1, 22, 133, 4 };
            addr[pos] = (uint8_t)v;
            char text[64];
            snprintf(text, sizeof(text), "%u.%u.%u.%u.in-addr.arpa", addr[3], addr[2], addr[1],
                     addr[0]);
            uint8_t want[64], out[PKT_REV_V4_MAX];
            size_t wn = wire(text, want);
            cr_assert_eq(pkt_rev_name_v4(addr, out, sizeof(out)), (int)wn, "%s", text);
            cr_assert_arr_eq(out, want, wn, "%s", text);
        }
    }
}

/* RFC 3596 §2.5's own example: 4321:0:1:2:3:4:567:89ab. */
Test(pkt_rev, builds_v6_name_rfc3596_example)
{
    struct pkt_addr a;
    cr_assert_eq(pkt_addr_parse("4321:0:1:2:3:4:567:89ab", &a), 0);
    uint8_t want[128], out[PKT_REV_V6_MAX + 8];
    size_t wn =
        wire("b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa", want);
    cr_assert_eq(wn, PKT_REV_V6_MAX);
    memset(out, 0xEE, sizeof(out));
    cr_assert_eq(pkt_rev_name_v6(a.bytes, out, sizeof(out)), PKT_REV_V6_MAX);
    cr_assert_arr_eq(out, want, wn);
    cr_assert_eq(out[PKT_REV_V6_MAX], 0xEE);
    cr_assert_eq(pkt_rev_name(&a, out, sizeof(out)), PKT_REV_V6_MAX);
    cr_assert_arr_eq(out, want, wn);
}

Test(pkt_rev, builds_v6_lower_case_hex)
{
    struct pkt_addr a;
    cr_assert_eq(pkt_addr_parse("2001:DB8:ABCD:EF::FE", &a), 0);
    uint8_t want[128], out[PKT_REV_V6_MAX];
    size_t wn =
        wire("e.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.f.e.0.0.d.c.b.a.8.b.d.0.1.0.0.2.ip6.arpa", want);
    cr_assert_eq(pkt_rev_name_v6(a.bytes, out, sizeof(out)), (int)wn);
    cr_assert_arr_eq(out, want, wn);
}

Test(pkt_rev, dispatches_on_family)
{
    struct pkt_addr a = v4(198, 51, 100, 7);
    uint8_t want[64], out[PKT_REV_V6_MAX];
    size_t wn = wire("7.100.51.198.in-addr.arpa", want);
    cr_assert_eq(pkt_rev_name(&a, out, sizeof(out)), (int)wn);
    cr_assert_arr_eq(out, want, wn);
    a.family = 0;
    cr_assert_lt(pkt_rev_name(&a, out, sizeof(out)), 0, "no name for an unknown family");
}

/* Every capacity below the name's length fails without writing past cap. */
Test(pkt_rev, refuses_short_buffers)
{
    const uint8_t addrs[][4] = { { 255, 255, 255, 255 }, { 1, 2, 3, 4 }, { 10, 0, 0, 100 } };
    for (size_t k = 0; k < sizeof(addrs) / sizeof(addrs[0]); k++) {
        uint8_t full[PKT_REV_V4_MAX];
        int need = pkt_rev_name_v4(addrs[k], full, sizeof(full));
        cr_assert_gt(need, 0);
        for (size_t cap = 0; cap <= PKT_REV_V4_MAX; cap++) {
            uint8_t out[PKT_REV_V4_MAX + 4];
            memset(out, 0xEE, sizeof(out));
            int n = pkt_rev_name_v4(addrs[k], out, cap);
            if ((int)cap < need) {
                cr_assert_eq(n, PKT_REV_E_SPACE, "cap %zu", cap);
                for (size_t i = 0; i < sizeof(out); i++)
                    cr_assert_eq(out[i], 0xEE, "cap %zu wrote octet %zu", cap, i);
            } else {
                cr_assert_eq(n, need, "cap %zu", cap);
                cr_assert_arr_eq(out, full, (size_t)need);
                for (size_t i = cap; i < sizeof(out); i++)
                    cr_assert_eq(out[i], 0xEE, "cap %zu wrote octet %zu", cap, i);
            }
        }
    }
    const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
    uint8_t out[PKT_REV_V6_MAX + 1];
    memset(out, 0xEE, sizeof(out));
    cr_assert_eq(pkt_rev_name_v6(a6, out, PKT_REV_V6_MAX - 1), PKT_REV_E_SPACE);
    cr_assert_eq(out[0], 0xEE);
    cr_assert_eq(pkt_rev_name_v6(a6, out, 0), PKT_REV_E_SPACE);
    cr_assert_eq(pkt_rev_name_v6(a6, out, PKT_REV_V6_MAX), PKT_REV_V6_MAX);
    cr_assert_eq(out[PKT_REV_V6_MAX], 0xEE);
}

struct parse_ok_case {
    const char *name;
    const char *addr;
};

static const struct parse_ok_case parse_ok_cases[] = {
    { "4.3.2.1.in-addr.arpa", "1.2.3.4" },
    { "0.0.0.0.in-addr.arpa", "0.0.0.0" },
    { "255.255.255.255.in-addr.arpa", "255.255.255.255" },
    { "10.2.0.192.IN-ADDR.ARPA", "192.0.2.10" },
    { "100.0.10.1.In-Addr.aRpA", "1.10.0.100" },
    { "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa",
      "4321:0:1:2:3:4:567:89ab" },
    { "B.A.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.IP6.ARPA",
      "4321:0:1:2:3:4:567:89ab" },
    { "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.Ip6.Arpa", "2001:db8::1" },
    { "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa", "::" },
};

Test(pkt_rev, parses_names_case_insensitively)
{
    for (size_t i = 0; i < sizeof(parse_ok_cases) / sizeof(parse_ok_cases[0]); i++) {
        uint8_t w[256];
        size_t wn = wire(parse_ok_cases[i].name, w);
        struct pkt_addr got, want;
        memset(&got, 0xAB, sizeof(got));
        cr_assert_eq(pkt_addr_parse(parse_ok_cases[i].addr, &want), 0);
        cr_assert_eq(pkt_rev_name_parse(w, wn, &got), PKT_REV_OK, "%s", parse_ok_cases[i].name);
        cr_assert(pkt_addr_equal(&got, &want), "%s", parse_ok_cases[i].name);
        /* The unused octets of an IPv4 address are zero (addr.h). */
        static const uint8_t zero[16];
        if (got.family == PKT_ADDR_V4)
            cr_assert_arr_eq(got.bytes + 4, zero, 12);
    }
}

struct parse_bad_case {
    const char *name;
    int err;
};

/* One example per rejection rule of rev.h (names in text form). */
static const struct parse_bad_case parse_bad_cases[] = {
    /* suffix */
    { "4.3.2.1.in-addr.arpa.example", PKT_REV_E_SUFFIX },
    { "4.3.2.1.in-addr.arp", PKT_REV_E_SUFFIX },
    { "4.3.2.1.in-addr", PKT_REV_E_SUFFIX },
    { "4.3.2.1.inaddr.arpa", PKT_REV_E_SUFFIX },
    { "4.3.2.1.ip7.arpa", PKT_REV_E_SUFFIX },
    { "4.3.2.1.in-addr.arpaa", PKT_REV_E_SUFFIX },
    { "4.3.2.1.example.com", PKT_REV_E_SUFFIX },
    { "arpa", PKT_REV_E_SUFFIX },
    { "", PKT_REV_E_SUFFIX }, /* the root */
    /* label count */
    { "in-addr.arpa", PKT_REV_E_LABELS },
    { "3.2.1.in-addr.arpa", PKT_REV_E_LABELS },
    { "5.4.3.2.1.in-addr.arpa", PKT_REV_E_LABELS },
    { "1.0/25.2.0.192.in-addr.arpa", PKT_REV_E_LABELS }, /* RFC 2317 names are not addresses */
    { "ip6.arpa", PKT_REV_E_LABELS },
    { "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.ip6.arpa", PKT_REV_E_LABELS },
    { "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.0.ip6.arpa",
      PKT_REV_E_LABELS },
    { "4.3.2.1.ip6.arpa", PKT_REV_E_LABELS },
    /* non-digit octets */
    { "4a.3.2.1.in-addr.arpa", PKT_REV_E_LABEL },
    { "4.3.x.1.in-addr.arpa", PKT_REV_E_LABEL },
    { "-1.3.2.1.in-addr.arpa", PKT_REV_E_LABEL },
    { "+1.3.2.1.in-addr.arpa", PKT_REV_E_LABEL },
    { " 1.3.2.1.in-addr.arpa", PKT_REV_E_LABEL },
    { "0x1.3.2.1.in-addr.arpa", PKT_REV_E_LABEL },
    { "0/25.2.0.192.in-addr.arpa", PKT_REV_E_LABEL },
    /* leading zeros */
    { "04.3.2.1.in-addr.arpa", PKT_REV_E_LABEL },
    { "4.3.2.01.in-addr.arpa", PKT_REV_E_LABEL },
    { "00.3.2.1.in-addr.arpa", PKT_REV_E_LABEL },
    { "4.3.010.1.in-addr.arpa", PKT_REV_E_LABEL },
    /* values > 255 */
    { "256.3.2.1.in-addr.arpa", PKT_REV_E_LABEL },
    { "4.3.2.999.in-addr.arpa", PKT_REV_E_LABEL },
    { "1000.3.2.1.in-addr.arpa", PKT_REV_E_LABEL },
    /* non-hex or multi-character nibbles */
    { "g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", PKT_REV_E_LABEL },
    { "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.-.ip6.arpa", PKT_REV_E_LABEL },
    { "10.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.0.ip6.arpa",
      PKT_REV_E_LABEL },
    { "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.02.ip6.arpa",
      PKT_REV_E_LABEL },
    /* empty labels: in wire form an early root label */
    { "4.3..1.in-addr.arpa", PKT_REV_E_NAME },
    { ".3.2.1.in-addr.arpa", PKT_REV_E_NAME },
    { "4.3.2.1..in-addr.arpa", PKT_REV_E_NAME },
};

Test(pkt_rev, rejects_every_rule_of_the_header)
{
    for (size_t i = 0; i < sizeof(parse_bad_cases) / sizeof(parse_bad_cases[0]); i++) {
        uint8_t w[256];
        size_t wn = wire(parse_bad_cases[i].name, w);
        struct pkt_addr got;
        memset(&got, 0xAB, sizeof(got));
        int rc = pkt_rev_name_parse(w, wn, &got);
        cr_assert_eq(rc, parse_bad_cases[i].err, "\"%s\": got %d (%s), want %d",
                     parse_bad_cases[i].name, rc, pkt_rev_strerror(rc), parse_bad_cases[i].err);
        cr_assert_eq(got.family, 0xAB, "*out written on failure");
    }
}

/* Malformed wire names (lengths, root, pointers) are refused before anything else. */
Test(pkt_rev, rejects_malformed_wire_names)
{
    uint8_t w[300];
    size_t wn = wire("4.3.2.1.in-addr.arpa", w);
    struct pkt_addr got;
    cr_assert_eq(pkt_rev_name_parse(w, wn, &got), PKT_REV_OK);

    cr_assert_eq(pkt_rev_name_parse(w, 0, &got), PKT_REV_E_NAME, "empty input");
    cr_assert_eq(pkt_rev_name_parse(NULL, 5, &got), PKT_REV_E_NAME);
    for (size_t n = 1; n < wn; n++)
        cr_assert_eq(pkt_rev_name_parse(w, n, &got), PKT_REV_E_NAME, "cut at %zu", n);
    w[wn] = 0;
    cr_assert_eq(pkt_rev_name_parse(w, wn + 1, &got), PKT_REV_E_NAME, "octet after the root");

    uint8_t bad[32];
    memcpy(bad, w, wn);
    bad[0] = 9; /* label length runs over the root */
    cr_assert_eq(pkt_rev_name_parse(bad, wn, &got), PKT_REV_E_NAME);
    memcpy(bad, w, wn);
    bad[wn - 6] = 5; /* "arpa" label claims 5 octets: swallows the root */
    cr_assert_eq(pkt_rev_name_parse(bad, wn, &got), PKT_REV_E_NAME);

    /* A compression pointer to the suffix is not an uncompressed name. */
    static const uint8_t ptr[] = { 1, '4', 1, '3', 1, '2', 1, '1', 0xC0, 0x0C };
    cr_assert_eq(pkt_rev_name_parse(ptr, sizeof(ptr), &got), PKT_REV_E_NAME);
    /* Label type octets 0x40 (extended) and 0x80 (reserved). */
    static const uint8_t ext[] = { 0x40, '4', 0 };
    cr_assert_eq(pkt_rev_name_parse(ext, sizeof(ext), &got), PKT_REV_E_NAME);
    static const uint8_t res[] = { 0x80, 0 };
    cr_assert_eq(pkt_rev_name_parse(res, sizeof(res), &got), PKT_REV_E_NAME);
    /* Length octets 0x40 and 0xC0 with enough octets behind them to be "framed". */
    uint8_t long_label[80];
    memset(long_label, '1', sizeof(long_label));
    long_label[0] = 64;
    long_label[65] = 0;
    cr_assert_eq(pkt_rev_name_parse(long_label, 66, &got), PKT_REV_E_NAME, "64-octet label");
    long_label[0] = 63;
    long_label[64] = 0;
    cr_assert_eq(pkt_rev_name_parse(long_label, 65, &got), PKT_REV_E_SUFFIX, "63 is fine");
    long_label[0] = 0xC0;
    cr_assert_eq(pkt_rev_name_parse(long_label, 80, &got), PKT_REV_E_NAME, "pointer octet");
    /* A lone non-zero octet. */
    static const uint8_t one[] = { 1 };
    cr_assert_eq(pkt_rev_name_parse(one, sizeof(one), &got), PKT_REV_E_NAME);

    /* 256 octets: 1 + 63-octet labels ... over the RFC 1035 limit, even if well framed. */
    uint8_t big[300];
    size_t n = 0;
    while (n + 64 < 256) {
        big[n] = 63;
        memset(big + n + 1, 'a', 63);
        n += 64;
    }
    /* n == 192: pad with a 62-octet label to reach 255 + root = 256. */
    big[n] = 62;
    memset(big + n + 1, 'a', 62);
    n += 63;
    big[n++] = 0;
    cr_assert_eq(n, 256);
    cr_assert_eq(pkt_rev_name_parse(big, n, &got), PKT_REV_E_NAME);
    /* One octet less is well-formed, just not a reverse name. */
    big[192] = 61;
    big[254] = 0;
    cr_assert_eq(pkt_rev_name_parse(big, 255, &got), PKT_REV_E_SUFFIX);
}

static uint64_t rng_state = 0x243F6A8885A308D3u;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}

/* build -> parse over many random addresses (seeded, so reproducible). */
Test(pkt_rev, parse_round_trips_random_addresses)
{
    for (int iter = 0; iter < 50000; iter++) {
        struct pkt_addr a;
        memset(&a, 0, sizeof(a));
        uint64_t r1 = rng(), r2 = rng();
        if (iter % 2 == 0) {
            a.family = PKT_ADDR_V4;
            memcpy(a.bytes, &r1, 4);
            if (iter % 10 == 0) /* many short octets too */
                for (int i = 0; i < 4; i++)
                    a.bytes[i] %= 10;
        } else {
            a.family = PKT_ADDR_V6;
            memcpy(a.bytes, &r1, 8);
            memcpy(a.bytes + 8, &r2, 8);
        }
        uint8_t w[PKT_REV_V6_MAX];
        int n = pkt_rev_name(&a, w, sizeof(w));
        cr_assert_gt(n, 0);
        struct pkt_addr b;
        cr_assert_eq(pkt_rev_name_parse(w, (size_t)n, &b), PKT_REV_OK);
        cr_assert(pkt_addr_equal(&a, &b));
        cr_assert_eq(memcmp(a.bytes, b.bytes, 16), 0);
        /* Upper-casing the name changes nothing. */
        for (int i = 0; i < n; i++)
            if (w[i] >= 'a' && w[i] <= 'z')
                w[i] = (uint8_t)(w[i] - 32);
        cr_assert_eq(pkt_rev_name_parse(w, (size_t)n, &b), PKT_REV_OK);
        cr_assert(pkt_addr_equal(&a, &b));
    }
}

Test(pkt_rev, strerror_names_every_code)
{
    const int codes[] = { PKT_REV_OK,       PKT_REV_E_SPACE, PKT_REV_E_SUFFIX,
                          PKT_REV_E_LABELS, PKT_REV_E_LABEL, PKT_REV_E_NAME };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        const char *m = pkt_rev_strerror(codes[i]);
        cr_assert_not_null(m);
        cr_assert_gt(strlen(m), 1);
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(m, pkt_rev_strerror(codes[j]));
        cr_assert_str_neq(m, pkt_rev_strerror(-100));
    }
    cr_assert_str_eq(pkt_rev_strerror(PKT_REV_OK), "ok");
}
