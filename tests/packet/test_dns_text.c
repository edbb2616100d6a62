/*
 * tests/packet/test_dns_text.c - names as text (packet/dns.h): the
 * presentation of hostile labels (docs/test-cases.md P19, P20), names from
 * text, the name helpers, and the query builder with round trips through
 * the parser.
 */
#include "tests/packet/dns_msg.h"

/* ---- P19 P20: presentation ------------------------------------------------- */

Test(pkt_dns, presents_hostile_ptr_labels_escaped)
{
    /* One label per hostile content; the PTR comes from a real reply parse. */
    static const struct {
        const char *label;
        size_t len;
        const char *text;
    } cases[] = {
        { "a\0b", 3, "a\\000b" },
        { "line\nfeed", 9, "line\\010feed" },
        { "q\"uote", 6, "q\\034uote" },
        { "com,ma", 6, "com\\044ma" },
        { "back\\slash", 10, "back\\092slash" },
        { "dot.ted", 7, "dot\\.ted" },
        { "<script>", 8, "<script>" },
        { "\xFF", 1, "\\255" },
        { "\x1B[2J", 4, "\\027[2j" },
        { "semi;(paren)", 12, "semi\\059\\040paren\\041" },
        { "sp ace\x7F", 7, "sp\\032ace\\127" },
        { "MiXeD@$", 7, "mixed@$" },
    };
    struct msg m;
    char buf[PKT_DNS_PRESENT_MAX], want[256];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t t[128];
        size_t tl = 0;
        t[tl++] = (uint8_t)cases[i].len;
        memcpy(t + tl, cases[i].label, cases[i].len);
        tl += cases[i].len;
        tl += wname("example", t + tl);
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
        m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_PTR, 1, t, tl);
        assert_err(parse(&m), PKT_DNS_OK, cases[i].text);
        cr_assert_eq(R.nb_ptr, 1);
        cr_assert_eq(R.ptr[0].len, tl);
        cr_assert_eq(memcmp(R.ptr[0].wire, t, tl), 0, "stored raw, case preserved");
        snprintf(want, sizeof(want), "%s.example", cases[i].text);
        cr_assert_str_eq(present(&R.ptr[0], buf), want);
        /* Back through the text parser: the same name (case aside). */
        uint8_t back[PKT_DNS_NAME_MAX];
        int n = pkt_dns_name_from_text(buf, back, sizeof(back));
        cr_assert_eq(n, (int)tl, "%s", want);
        cr_assert(pkt_dns_name_equal(back, (size_t)n, t, tl), "%s", want);
    }
}

Test(pkt_dns, presents_255_octets_of_0xff_within_cap)
{
    uint8_t nm[PKT_DNS_NAME_MAX];
    cr_assert_eq(long_name(nm, 255, 0xFF), 255);
    char buf[PKT_DNS_PRESENT_MAX];
    int n = pkt_dns_name_present(nm, 255, buf, sizeof(buf));
    /* 63+63+63+61 octets as \255 (4 chars each) and 3 dots. */
    cr_assert_eq(n, 250 * 4 + 3);
    cr_assert_eq(strlen(buf), (size_t)n);
    cr_assert_eq(strncmp(buf, "\\255\\255", 8), 0);
    uint8_t back[PKT_DNS_NAME_MAX];
    cr_assert_eq(pkt_dns_name_from_text(buf, back, sizeof(back)), 255);
    cr_assert_eq(memcmp(back, nm, 255), 0);

    /* Exactly enough room, then one octet less. */
    cr_assert_eq(pkt_dns_name_present(nm, 255, buf, (size_t)n + 1), n);
    cr_assert_eq(pkt_dns_name_present(nm, 255, buf, (size_t)n), PKT_DNS_E_SPACE);
    cr_assert_str_eq(buf, "");
}

Test(pkt_dns, presents_names_in_canonical_form)
{
    static const struct {
        const char *in; /* dotted, no escapes */
        const char *out;
    } cases[] = {
        { ".", "." },
        { "Mail.Example.NET", "mail.example.net" },
        { "4.0/25.3.2.1.in-addr.arpa", "4.0/25.3.2.1.in-addr.arpa" },
        { "_dmarc.x-y.example", "_dmarc.x-y.example" },
    };
    char buf[PKT_DNS_PRESENT_MAX];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t w[300];
        size_t wl = wname(cases[i].in, w);
        int n = pkt_dns_name_present(w, wl, buf, sizeof(buf));
        cr_assert_eq(n, (int)strlen(cases[i].out), "%s", cases[i].in);
        cr_assert_str_eq(buf, cases[i].out);
    }
    uint8_t w[64];
    size_t wl = wname("abc.example", w);
    cr_assert_eq(pkt_dns_name_present(w, wl, buf, 11), PKT_DNS_E_SPACE);
    cr_assert_str_eq(buf, "");
    cr_assert_eq(pkt_dns_name_present(w, wl, buf, 12), 11);
    cr_assert_eq(pkt_dns_name_present(w, wl, buf, 0), PKT_DNS_E_SPACE);
    cr_assert_eq(pkt_dns_name_present(ROOT, 1, buf, 1), PKT_DNS_E_SPACE);
    cr_assert_eq(pkt_dns_name_present(ROOT, 1, buf, 2), 1);
    /* Malformed wire: label past the end, no root. */
    cr_assert_eq(pkt_dns_name_present((const uint8_t *)"\5ab", 3, buf, sizeof(buf)),
                 PKT_DNS_E_INVAL);
    cr_assert_eq(pkt_dns_name_present((const uint8_t *)"\2ab", 3, buf, sizeof(buf)),
                 PKT_DNS_E_INVAL);
    cr_assert_str_eq(buf, "");
}

/* ---- names from text ------------------------------------------------------- */

#define LONG_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* 63 */

Test(pkt_dns, parses_text_names_with_escapes)
{
    static const struct {
        const char *text;
        const char *wire;
        int len;
    } cases[] = {
        { "mail.example.net", "\4mail\7example\3net", 18 },
        { "mail.example.net.", "\4mail\7example\3net", 18 },
        { ".", "", 1 },
        { "a\\.b.c", "\3a.b\1c", 7 },
        { "\\065\\066c", "\3ABc", 5 },
        { "x\\000y", "\3x\0y", 5 },
        { "\\\\", "\1\\", 3 },
        { "\\255", "\1\xFF", 3 },
        { "sp\\ ace", "\6sp ace", 8 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t out[PKT_DNS_NAME_MAX];
        int n = pkt_dns_name_from_text(cases[i].text, out, sizeof(out));
        cr_assert_eq(n, cases[i].len, "%s: %d", cases[i].text, n);
        cr_assert_eq(memcmp(out, cases[i].wire, (size_t)n), 0, "%s", cases[i].text);
    }
}

Test(pkt_dns, rejects_bad_text_names)
{
    static const struct {
        const char *text;
        int err;
    } cases[] = {
        { "", PKT_DNS_E_INVAL },     { "a..b", PKT_DNS_E_INVAL },  { ".a", PKT_DNS_E_INVAL },
        { "..", PKT_DNS_E_INVAL },   { "a\\", PKT_DNS_E_INVAL },   { "\\256", PKT_DNS_E_INVAL },
        { "\\12", PKT_DNS_E_INVAL }, { "\\1a2", PKT_DNS_E_INVAL },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t out[PKT_DNS_NAME_MAX];
        assert_err(pkt_dns_name_from_text(cases[i].text, out, sizeof(out)), cases[i].err,
                   cases[i].text);
    }
    uint8_t out[PKT_DNS_NAME_MAX];
    assert_err(pkt_dns_name_from_text(NULL, out, sizeof(out)), PKT_DNS_E_INVAL, "NULL");

    char text[400];
    memset(text, 'a', 63);
    text[63] = '\0';
    assert_err(pkt_dns_name_from_text(text, out, sizeof(out)), 65, "63-octet label");
    memset(text, 'a', 64);
    text[64] = '\0';
    assert_err(pkt_dns_name_from_text(text, out, sizeof(out)), PKT_DNS_E_INVAL, "64 label");

    /* 255 and 256 octets: four labels 63+63+63+61 (+1 for 256). */
    snprintf(text, sizeof(text), "%.63s.%.63s.%.63s.%.61s", LONG_A, LONG_A, LONG_A, LONG_A);
    assert_err(pkt_dns_name_from_text(text, out, sizeof(out)), 255, "255 octets");
    assert_err(pkt_dns_name_from_text(text, out, 254), PKT_DNS_E_SPACE, "255 into 254");
    snprintf(text, sizeof(text), "%.63s.%.63s.%.63s.%.62s", LONG_A, LONG_A, LONG_A, LONG_A);
    assert_err(pkt_dns_name_from_text(text, out, sizeof(out)), PKT_DNS_E_NAMELEN, "256 octets");
    assert_err(pkt_dns_name_from_text("abc", out, 4), PKT_DNS_E_SPACE, "cap 4");
    assert_err(pkt_dns_name_from_text("abc", out, 5), 5, "cap 5");
}

/* ---- name helpers ----------------------------------------------------------- */

Test(pkt_dns, compares_lowers_and_counts_names)
{
    uint8_t a[32], b[32], c[32];
    size_t al = wname("Host.Example", a);
    size_t bl = wname("host.EXAMPLE", b);
    size_t cl = wname("host.example.", c);
    cr_assert(pkt_dns_name_equal(a, al, b, bl));
    cr_assert_not(pkt_dns_name_equal_case(a, al, b, bl));
    cr_assert(pkt_dns_name_equal_case(a, al, a, al));
    cr_assert(pkt_dns_name_equal(a, al, c, cl));
    cr_assert_not(pkt_dns_name_equal(a, al, c, cl - 1));
    uint8_t d[32];
    size_t dl = wname("host.exampld", d);
    cr_assert_not(pkt_dns_name_equal(a, al, d, dl));
    /* '@' (0x40) and '`' (0x60) differ by 0x20 but are not letters. */
    uint8_t e[8] = { 1, '@', 0 }, f[8] = { 1, '`', 0 };
    cr_assert_not(pkt_dns_name_equal(e, 3, f, 3));

    pkt_dns_name_lower(a, al);
    cr_assert(pkt_dns_name_equal_case(a, al, c, cl));

    cr_assert_eq(pkt_dns_name_labels(ROOT, 1), 0);
    cr_assert_eq(pkt_dns_name_labels(a, al), 2);
    uint8_t r[32];
    cr_assert_eq(pkt_dns_name_labels(r, wname(QNAME, r)), 6);
}

Test(pkt_dns, applies_0x20_bits_to_letters_only)
{
    static const struct {
        uint64_t bits;
        const char *want;
    } cases[] = {
        { 0, "4.3.2.1.in-addr.arpa" },
        { ~0ull, "4.3.2.1.IN-ADDR.ARPA" },
        { 0x5, "4.3.2.1.In-Addr.arpa" },
        { 0xFF, "4.3.2.1.IN-ADDR.ARpa" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t w[32], want[32];
        size_t wl = wname("4.3.2.1.In-AdDr.ArPa", w);
        wname(cases[i].want, want);
        pkt_dns_name_case20(w, wl, cases[i].bits);
        cr_assert(pkt_dns_name_equal_case(w, wl, want, wl), "bits %llx",
                  (unsigned long long)cases[i].bits);
    }
    /* Bit i mod 64: the 65th letter uses bit 0 again. */
    uint8_t w[80];
    w[0] = 63;
    memset(w + 1, 'a', 63);
    w[64] = 7;
    memset(w + 65, 'a', 7);
    w[72] = 0;
    pkt_dns_name_case20(w, 73, 1ull | 1ull << 63);
    cr_assert_eq(w[0], 63, "length octets untouched");
    cr_assert_eq(w[64], 7);
    cr_assert_eq(w[1], 'A');  /* letter 0 */
    cr_assert_eq(w[2], 'a');  /* letter 1 */
    cr_assert_eq(w[63], 'a'); /* letter 62 */
    cr_assert_eq(w[65], 'A'); /* letter 63: bit 63 */
    cr_assert_eq(w[66], 'A'); /* letter 64: bit 0 again */
    cr_assert_eq(w[67], 'a');
}

/* ---- query builder and round trips ------------------------------------------ */

Test(pkt_dns, builds_exact_query_bytes)
{
    uint8_t qn[32];
    size_t ql = wname(QNAME, qn);
    struct pkt_dns_query q = { .qname = qn,
                               .qname_len = (uint8_t)ql,
                               .qtype = PKT_DNS_TYPE_PTR,
                               .id = 0xBEEF,
                               .rd = true,
                               .edns = true };
    uint8_t buf[PKT_DNS_QUERY_MAX];
    int n = pkt_dns_query_build(buf, sizeof(buf), &q);
    static const uint8_t want[] = {
        0xBE, 0xEF, 0x01, 0x00, 0,    1,   0, 0,   0, 0,   0,   1, /* header */
        1,    '4',  1,    '3',  1,    '2', 1, '1', 7, 'i', 'n', '-', 'a', 'd', 'd', 'r', /* qname */
        4,    'a',  'r',  'p',  'a',  0,   0, 12,  0, 1,      /* PTR IN */
        0,    0,    41,   0x04, 0xD0, 0,   0, 0,   0, 0,   0, /* OPT */
    };
    cr_assert_eq(n, (int)sizeof(want));
    cr_assert_eq(memcmp(buf, want, sizeof(want)), 0);

    q.rd = false;
    q.edns = false;
    q.qtype = PKT_DNS_TYPE_AAAA;
    n = pkt_dns_query_build(buf, sizeof(buf), &q);
    cr_assert_eq(n, QEND);
    cr_assert_eq(buf[2], 0);
    cr_assert_eq(buf[11], 0);
    cr_assert_eq(buf[QEND - 3], 28);
}

Test(pkt_dns, rejects_bad_query_arguments)
{
    uint8_t qn[32];
    size_t ql = wname(QNAME, qn);
    struct pkt_dns_query q = { .qname = qn, .qname_len = (uint8_t)ql, .qtype = 12, .edns = true };
    uint8_t buf[PKT_DNS_QUERY_MAX];
    size_t need = 12 + ql + 4 + 11;
    assert_err(pkt_dns_query_build(buf, need, &q), (int)need, "exact cap");
    assert_err(pkt_dns_query_build(buf, need - 1, &q), PKT_DNS_E_SPACE, "cap - 1");
    assert_err(pkt_dns_query_build(buf, 0, &q), PKT_DNS_E_SPACE, "cap 0");
    assert_err(pkt_dns_query_build(buf, sizeof(buf), NULL), PKT_DNS_E_INVAL, "NULL query");
    q.qname_len = 0;
    assert_err(pkt_dns_query_build(buf, sizeof(buf), &q), PKT_DNS_E_INVAL, "qname_len 0");
    q.qname_len = (uint8_t)(ql - 1);
    assert_err(pkt_dns_query_build(buf, sizeof(buf), &q), PKT_DNS_E_INVAL, "no root");
    q.qname_len = (uint8_t)ql;
    qn[0] = 0x41;
    assert_err(pkt_dns_query_build(buf, sizeof(buf), &q), PKT_DNS_E_INVAL, "label type");
    q.qname = NULL;
    assert_err(pkt_dns_query_build(buf, sizeof(buf), &q), PKT_DNS_E_INVAL, "NULL qname");
    /* The longest query fits PKT_DNS_QUERY_MAX. */
    uint8_t big[PKT_DNS_NAME_MAX];
    long_name(big, 255, 'z');
    struct pkt_dns_query qb = { .qname = big, .qname_len = 255, .qtype = 1, .edns = true };
    assert_err(pkt_dns_query_build(buf, sizeof(buf), &qb), PKT_DNS_QUERY_MAX, "longest");
}

Test(pkt_dns, round_trips_queries_through_the_parser)
{
    static const char *names[] = { QNAME, "Mail.Example.Net", ".", REV6 };
    static const uint16_t types[] = { PKT_DNS_TYPE_PTR, PKT_DNS_TYPE_A, PKT_DNS_TYPE_AAAA };
    static const uint64_t bits[] = { 0, 0x5555555555555555ull, ~0ull };
    for (size_t ni = 0; ni < sizeof(names) / sizeof(names[0]); ni++)
        for (size_t ti = 0; ti < 3; ti++)
            for (int edns = 0; edns <= 1; edns++)
                for (size_t bi = 0; bi < 3; bi++) {
                    uint8_t qn[PKT_DNS_NAME_MAX], orig[PKT_DNS_NAME_MAX];
                    size_t ql = wname(names[ni], qn);
                    memcpy(orig, qn, ql);
                    pkt_dns_name_case20(qn, ql, bits[bi]);
                    struct pkt_dns_query q = { .qname = qn,
                                               .qname_len = (uint8_t)ql,
                                               .qtype = types[ti],
                                               .id = (uint16_t)(0x100 * ni + 0x10 * ti + bi),
                                               .rd = edns != 0,
                                               .edns = edns != 0 };
                    uint8_t buf[PKT_DNS_QUERY_MAX];
                    int n = pkt_dns_query_build(buf, sizeof(buf), &q);
                    cr_assert_gt(n, 0);
                    assert_err(parse_bytes(buf, (size_t)n, &R), PKT_DNS_E_NOTRESP, "a query");
                    buf[2] |= 0x80; /* make it a response */
                    assert_err(parse_bytes(buf, (size_t)n, &R), PKT_DNS_OK, names[ni]);
                    cr_assert_eq(R.id, q.id);
                    cr_assert_eq(R.qtype, types[ti]);
                    cr_assert_eq(R.qclass, PKT_DNS_CLASS_IN);
                    cr_assert_eq(R.rd, edns != 0);
                    cr_assert_eq(R.has_opt, edns != 0);
                    cr_assert_eq(R.opt_udp_size, edns ? PKT_DNS_EDNS_BUFSIZE : 0);
                    cr_assert_eq(R.rcode, 0);
                    cr_assert(pkt_dns_name_equal_case(R.qname.wire, R.qname.len, qn, ql),
                              "0x20 case kept: %s", names[ni]);
                    cr_assert(pkt_dns_name_equal(R.qname.wire, R.qname.len, orig, ql));
                    if (bits[bi] == ~0ull && ni == 1)
                        cr_assert_not(pkt_dns_name_equal_case(R.qname.wire, R.qname.len, orig, ql));
                }
}
