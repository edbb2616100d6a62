/*
 * tests/packet/test_dns.c - the DNS reply parser (packet/dns.h) on hostile
 * replies: docs/test-cases.md P01-P16, P21 and P22, each with the exact
 * error code the parser must return. Presentation, text names and the
 * query builder: test_dns_text.c; golden replies: test_dns_golden.c.
 */
#include "tests/packet/dns_msg.h"

/* ---- P01 P02 P03: header, question, counts -------------------------------- */

Test(pkt_dns, rejects_short_packets)
{
    static const size_t lens[] = { 0, 1, 11 };
    const uint8_t hdr[12] = { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0 };
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        char what[32];
        snprintf(what, sizeof(what), "%zu octets", lens[i]);
        assert_err(parse_bytes(hdr, lens[i], &R), PKT_DNS_E_SHORT, what);
    }
    assert_err(pkt_dns_reply_parse(NULL, 0, &R), PKT_DNS_E_SHORT, "NULL, 0");

    /* No state carries over: the next valid packet parses. */
    struct msg m;
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
    m_ptr_q(&m, "host.example");
    assert_err(parse(&m), PKT_DNS_OK, "valid packet after short ones");
    cr_assert_eq(R.nb_ptr, 1);
}

Test(pkt_dns, rejects_cut_question)
{
    struct msg m;
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 0, 0, 0);
    static const size_t cuts[] = { 12, 13, 20, 12 + 21, 12 + 22, QEND - 2, QEND - 1 };
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        char what[32];
        snprintf(what, sizeof(what), "cut at %zu", cuts[i]);
        assert_err(parse_bytes(m.b, cuts[i], &R), PKT_DNS_E_SHORT, what);
    }
    assert_err(parse_bytes(m.b, QEND, &R), PKT_DNS_OK, "whole question");
}

Test(pkt_dns, rejects_counts_beyond_packet)
{
    static const struct {
        unsigned an, ns, ar;
    } cases[] = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 }, { 65535, 65535, 65535 } };
    struct msg m;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, cases[i].an, cases[i].ns, cases[i].ar);
        assert_err(parse(&m), PKT_DNS_E_COUNTS, "records announced, none present");
    }
    /* Two announced, one A RR (16 octets) present: 2 * 11 > 16. */
    uint8_t a[4] = { 192, 0, 2, 1 };
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 2, 0, 0);
    m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_A, PKT_DNS_CLASS_IN, a, 4);
    assert_err(parse(&m), PKT_DNS_E_COUNTS, "ANCOUNT 2, one RR");
    /* Ten octets of junk cannot hold one RR. */
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
    m_raw(&m, "0123456789", 10);
    assert_err(parse(&m), PKT_DNS_E_COUNTS, "ANCOUNT 1, 10 octets");
}

Test(pkt_dns, rejects_question_count_other_than_one)
{
    static const unsigned qd[] = { 0, 2, 65535 };
    struct msg m;
    for (size_t i = 0; i < sizeof(qd) / sizeof(qd[0]); i++) {
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 0, 0, 0);
        m_set16(&m, 4, qd[i]);
        assert_err(parse(&m), PKT_DNS_E_QUESTION, "QDCOUNT with question");
        assert_err(parse_bytes(m.b, 12, &R), PKT_DNS_E_QUESTION, "QDCOUNT, header only");
    }
}

/* ---- P04 P05 P06: compression pointers ------------------------------------ */

Test(pkt_dns, rejects_pointer_loop)
{
    struct msg m;
    /* Question name is "C0 0C" at offset 12: a pointer to itself. */
    m_header(&m, FLAGS_RESP, 1, 0, 0, 0);
    m_u16(&m, 0xC00C);
    m_u16(&m, PKT_DNS_TYPE_PTR);
    m_u16(&m, 1);
    assert_err(parse(&m), PKT_DNS_E_POINTER, "question C0 0C");

    /* Owner at QEND pointing at itself. */
    uint8_t self[2] = { 0xC0, QEND };
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
    m_rr(&m, self, 2, PKT_DNS_TYPE_A, 1, "\1\2\3\4", 4);
    assert_err(parse(&m), PKT_DNS_E_POINTER, "owner points at itself");

    /* Owner pointing forward into its own RDATA. */
    uint8_t fwd[2] = { 0xC0, QEND + 12 };
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
    m_rr(&m, fwd, 2, 0xFF00, 1, "\3abc\0", 5);
    assert_err(parse(&m), PKT_DNS_E_POINTER, "forward pointer");

    /*
     * 2-cycle hidden in unknown RDATA at r: r -> r+2 -> r. The next owner
     * enters the cycle at r+2 (a valid backward jump), then r points forward.
     */
    size_t r = QEND + 2 + 10;
    uint8_t cyc[4] = { 0xC0, (uint8_t)(r + 2), 0xC0, (uint8_t)r };
    uint8_t enter[2] = { 0xC0, (uint8_t)(r + 2) };
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 2, 0, 0);
    m_rr(&m, OWNER_Q, 2, 0xFF00, 1, cyc, 4);
    m_rr(&m, enter, 2, 0xFF00, 1, NULL, 0);
    assert_err(parse(&m), PKT_DNS_E_POINTER, "2-cycle");

    /* A PTR target pointing at itself. */
    uint8_t ptr_self[2] = { 0xC0, QEND + 12 };
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
    m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_PTR, 1, ptr_self, 2);
    assert_err(parse(&m), PKT_DNS_E_POINTER, "PTR RDATA self pointer");
}

Test(pkt_dns, rejects_pointer_into_header_or_beyond_packet)
{
    static const unsigned targets[] = { 0x0000, 0x0005, 0x000B, 0x00FF, 0x3FFF };
    struct msg m;
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        uint8_t p[2] = { (uint8_t)(0xC0 | targets[i] >> 8), (uint8_t)targets[i] };
        char what[32];
        snprintf(what, sizeof(what), "owner -> %u", targets[i]);
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
        m_rr(&m, p, 2, PKT_DNS_TYPE_A, 1, "\1\2\3\4", 4);
        assert_err(parse(&m), PKT_DNS_E_POINTER, what);
        snprintf(what, sizeof(what), "PTR RDATA -> %u", targets[i]);
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
        m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_PTR, 1, p, 2);
        assert_err(parse(&m), PKT_DNS_E_POINTER, what);
    }
}

Test(pkt_dns, rejects_pointer_cut_at_last_octet)
{
    /* Second RR's owner is a lone 0xC0, the last octet of the packet. */
    struct msg m;
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 2, 0, 0);
    m_rr(&m, OWNER_Q, 2, 0xFF00, 1, "0123456789", 10);
    m_u8(&m, 0xC0);
    assert_err(parse(&m), PKT_DNS_E_POINTER, "cut pointer");
}

/* Unknown RR whose RDATA is a backward chain of k pointers ending at the question. */
static void m_pointer_chain(struct msg *m, unsigned k)
{
    size_t r = QEND + 2 + 10;
    uint8_t rd[1024];
    rd[0] = 0xC0;
    rd[1] = 0x0C;
    for (unsigned i = 1; i < k; i++) {
        size_t prev = r + 2 * (i - 1);
        rd[2 * i] = (uint8_t)(0xC0 | prev >> 8);
        rd[2 * i + 1] = (uint8_t)prev;
    }
    m_rr(m, OWNER_Q, 2, 0xFF00, 1, rd, 2 * k);
    size_t last = r + 2 * (k - 1);
    uint8_t owner[2] = { (uint8_t)(0xC0 | last >> 8), (uint8_t)last };
    m_rr(m, owner, 2, PKT_DNS_TYPE_PTR, 1, "\4host\7example\0", 14);
}

Test(pkt_dns, rejects_pointer_chain_at_jump_cap)
{
    static const struct {
        unsigned k;
        int err;
    } cases[] = {
        { 1, PKT_DNS_OK },          /* 2 jumps */
        { 127, PKT_DNS_OK },        /* 128 jumps: the cap */
        { 128, PKT_DNS_E_POINTER }, /* 129 */
        { 200, PKT_DNS_E_POINTER }, /* P06 */
    };
    struct msg m;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char what[32];
        snprintf(what, sizeof(what), "%u pointers in RDATA", cases[i].k);
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 2, 0, 0);
        m_pointer_chain(&m, cases[i].k);
        assert_err(parse(&m), cases[i].err, what);
        if (cases[i].err == PKT_DNS_OK) {
            /* The chain resolves to the question name, so the PTR counts. */
            cr_assert_eq(R.nb_ptr, 1, "%s", what);
        }
    }
}

/* ---- P07 P08 P09: name length, label types, overruns ---------------------- */

Test(pkt_dns, accepts_255_octet_names_rejects_256)
{
    uint8_t nm[300];
    struct msg m;
    cr_assert_eq(long_name(nm, 255, 'a'), 255);
    m_header(&m, FLAGS_RESP, 1, 0, 0, 0);
    m_raw(&m, nm, 255);
    m_u16(&m, PKT_DNS_TYPE_PTR);
    m_u16(&m, 1);
    assert_err(parse(&m), PKT_DNS_OK, "255-octet question");
    cr_assert_eq(R.qname.len, 255);
    cr_assert(pkt_dns_name_equal_case(R.qname.wire, R.qname.len, nm, 255));

    cr_assert_eq(long_name(nm, 256, 'a'), 256);
    m_header(&m, FLAGS_RESP, 1, 0, 0, 0);
    m_raw(&m, nm, 256);
    m_u16(&m, PKT_DNS_TYPE_PTR);
    m_u16(&m, 1);
    assert_err(parse(&m), PKT_DNS_E_NAMELEN, "256-octet question");

    /* Same boundary for an owner and for a PTR target. */
    for (size_t n = 255; n <= 256; n++) {
        int want = n == 255 ? PKT_DNS_OK : PKT_DNS_E_NAMELEN;
        long_name(nm, n, 'b');
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
        m_rr(&m, nm, n, PKT_DNS_TYPE_PTR, 1, "\0", 1);
        assert_err(parse(&m), want, n == 255 ? "255 owner" : "256 owner");
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
        m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_PTR, 1, nm, n);
        assert_err(parse(&m), want, n == 255 ? "255 PTR" : "256 PTR");
        if (want == PKT_DNS_OK) {
            cr_assert_eq(R.nb_ptr, 1);
            cr_assert_eq(R.ptr[0].len, 255);
        }
    }
}

Test(pkt_dns, accepts_127_labels_rejects_128)
{
    uint8_t nm[300];
    struct msg m;
    for (unsigned labels = 127; labels <= 128; labels++) {
        for (unsigned i = 0; i < labels; i++) {
            nm[2 * i] = 1;
            nm[2 * i + 1] = 'x';
        }
        nm[2 * labels] = 0;
        m_header(&m, FLAGS_RESP, 1, 0, 0, 0);
        m_raw(&m, nm, 2 * labels + 1);
        m_u16(&m, PKT_DNS_TYPE_PTR);
        m_u16(&m, 1);
        if (labels == 127) {
            assert_err(parse(&m), PKT_DNS_OK, "127 labels");
            cr_assert_eq(pkt_dns_name_labels(R.qname.wire, R.qname.len), 127);
        } else {
            assert_err(parse(&m), PKT_DNS_E_NAMELEN, "128 labels");
        }
    }
}

Test(pkt_dns, rejects_256_octets_made_by_pointer_concatenation)
{
    uint8_t nm[300];
    struct msg m;
    /* Prefix + pointer to the 22-octet question name (the O(1) path). */
    for (size_t total = 255; total <= 256; total++) {
        int want = total == 255 ? PKT_DNS_OK : PKT_DNS_E_NAMELEN;
        size_t plen = long_name(nm, total - 22 + 1, 'p') - 1; /* drop its root */
        nm[plen] = 0xC0;
        nm[plen + 1] = 0x0C;
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
        m_rr(&m, nm, plen + 2, 0xFF00, 1, NULL, 0);
        assert_err(parse(&m), want, total == 255 ? "255 via qname" : "256 via qname");
    }
    /* Prefix + pointer to a 100-octet name stored in earlier RDATA. */
    for (size_t total = 255; total <= 256; total++) {
        int want = total == 255 ? PKT_DNS_OK : PKT_DNS_E_NAMELEN;
        uint8_t base[120];
        cr_assert_eq(long_name(base, 100, 'q'), 100);
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 2, 0, 0);
        m_rr(&m, OWNER_Q, 2, 0xFF00, 1, base, 100);
        size_t at = QEND + 12;
        size_t plen = long_name(nm, total - 100 + 1, 'p') - 1;
        nm[plen] = 0xC0;
        nm[plen + 1] = (uint8_t)at;
        m_rr(&m, nm, plen + 2, 0xFF00, 1, NULL, 0);
        assert_err(parse(&m), want, total == 255 ? "255 via RDATA" : "256 via RDATA");
    }
}

Test(pkt_dns, rejects_reserved_label_types)
{
    static const uint8_t types[] = { 0x40, 0x41, 0x7F, 0x80, 0xBF };
    struct msg m;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        uint8_t bad[4] = { types[i], 'a', 'b', 0 };
        char what[48];
        snprintf(what, sizeof(what), "0x%02X in question", types[i]);
        m_header(&m, FLAGS_RESP, 1, 0, 0, 0);
        m_raw(&m, "\3abc", 4);
        m_raw(&m, bad, 4);
        m_u16(&m, PKT_DNS_TYPE_PTR);
        m_u16(&m, 1);
        assert_err(parse(&m), PKT_DNS_E_LABELTYPE, what);

        snprintf(what, sizeof(what), "0x%02X in owner", types[i]);
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
        m_rr(&m, bad, 4, PKT_DNS_TYPE_A, 1, "\1\2\3\4", 4);
        assert_err(parse(&m), PKT_DNS_E_LABELTYPE, what);

        snprintf(what, sizeof(what), "0x%02X in PTR RDATA", types[i]);
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
        m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_PTR, 1, bad, 4);
        assert_err(parse(&m), PKT_DNS_E_LABELTYPE, what);
    }
}

Test(pkt_dns, rejects_label_past_end_and_missing_root)
{
    struct msg m;
    uint8_t junk[64];
    memset(junk, 'z', sizeof(junk));

    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
    m_u8(&m, 63);
    m_raw(&m, junk, 20);
    assert_err(parse(&m), PKT_DNS_E_OVERRUN, "owner label past end");

    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
    m_raw(&m, "\3abc\3def\3ghi\3jkl", 16);
    assert_err(parse(&m), PKT_DNS_E_OVERRUN, "owner without root");

    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
    m_raw(&m, "\3abc\3def\0", 9);
    m_raw(&m, "\0\1\0\1\0", 5);
    assert_err(parse(&m), PKT_DNS_E_OVERRUN, "fixed fields cut");

    m_header(&m, FLAGS_RESP, 1, 0, 0, 0);
    m_u8(&m, 30);
    m_raw(&m, junk, 10);
    assert_err(parse(&m), PKT_DNS_E_SHORT, "question label past end");

    m_header(&m, FLAGS_RESP, 1, 0, 0, 0);
    m_raw(&m, "\3abc\3def", 8);
    assert_err(parse(&m), PKT_DNS_E_SHORT, "question without root");

    /* A PTR name whose label runs past RDLENGTH (but not the packet). */
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 2, 0, 0);
    m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_PTR, 1, "\7example", 4);
    m_rr(&m, OWNER_Q, 2, 0xFF00, 1, "0123456789", 10);
    assert_err(parse(&m), PKT_DNS_E_RDATA, "PTR label past RDLENGTH");
}

/* ---- P10 P11: RDLENGTH and RDATA ------------------------------------------ */

Test(pkt_dns, rejects_rdlength_beyond_packet)
{
    static const unsigned lies[] = { 5, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF };
    struct msg m;
    for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
        char what[32];
        snprintf(what, sizeof(what), "RDLENGTH 0x%04X", lies[i]);
        /* 4 octets of RDATA follow; RDLENGTH (at QEND + 10) claims more. */
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
        m_rr(&m, OWNER_Q, 2, 0xFF00, 1, "abcd", 4);
        m_set16(&m, QEND + 10, lies[i]);
        assert_err(parse(&m), PKT_DNS_E_RDLEN, what);
        /* Same lie on a PTR, whose RDATA would otherwise be walked. */
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
        m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_PTR, 1, "\2ab\0", 4);
        m_set16(&m, QEND + 10, lies[i]);
        assert_err(parse(&m), PKT_DNS_E_RDLEN, what);
    }
}

Test(pkt_dns, accepts_rdlength_ending_exactly_at_packet_end)
{
    struct msg m;
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
    m_rr(&m, OWNER_Q, 2, 0xFF00, 1, "abcd", 4);
    assert_err(parse(&m), PKT_DNS_OK, "exact");
}

Test(pkt_dns, rejects_wrong_rdata_lengths)
{
    static const struct {
        const char *what;
        unsigned type, rclass;
        size_t rdlen;
        int err;
    } cases[] = {
        { "A 3", PKT_DNS_TYPE_A, 1, 3, PKT_DNS_E_RDATA },
        { "A 5", PKT_DNS_TYPE_A, 1, 5, PKT_DNS_E_RDATA },
        { "A 0", PKT_DNS_TYPE_A, 1, 0, PKT_DNS_E_RDATA },
        { "A 4", PKT_DNS_TYPE_A, 1, 4, PKT_DNS_OK },
        { "AAAA 15", PKT_DNS_TYPE_AAAA, 1, 15, PKT_DNS_E_RDATA },
        { "AAAA 17", PKT_DNS_TYPE_AAAA, 1, 17, PKT_DNS_E_RDATA },
        { "AAAA 4", PKT_DNS_TYPE_AAAA, 1, 4, PKT_DNS_E_RDATA },
        { "AAAA 16", PKT_DNS_TYPE_AAAA, 1, 16, PKT_DNS_OK },
        /* A/AAAA RDATA layout is defined for class IN only: others are opaque. */
        { "A 3 class CH", PKT_DNS_TYPE_A, 3, 3, PKT_DNS_OK },
    };
    uint8_t rd[32] = { 0 };
    struct msg m;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
        m_rr(&m, OWNER_Q, 2, cases[i].type, cases[i].rclass, rd, cases[i].rdlen);
        assert_err(parse(&m), cases[i].err, cases[i].what);
    }
}

Test(pkt_dns, rejects_name_not_filling_rdata)
{
    static const unsigned types[] = { PKT_DNS_TYPE_PTR, PKT_DNS_TYPE_CNAME, PKT_DNS_TYPE_DNAME };
    const uint8_t nm[] = "\4host\7example\0"; /* 14 octets */
    struct msg m;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        /* RDLENGTH one more than the name: the name ends before RDATA does. */
        uint8_t longer[15];
        memcpy(longer, nm, 14);
        longer[14] = 0;
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
        m_rr(&m, OWNER_Q, 2, types[i], 1, longer, 15);
        assert_err(parse(&m), PKT_DNS_E_RDATA, "name ends before RDLENGTH");
        /* RDLENGTH one less: the root octet is outside RDATA. */
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 2, 0, 0);
        m_rr(&m, OWNER_Q, 2, types[i], 1, nm, 13);
        m_rr(&m, OWNER_Q, 2, 0xFF00, 1, "\0", 1);
        m.b[QEND + 12 + 13] = 0; /* the octet after RDATA is a 0: still outside */
        assert_err(parse(&m), PKT_DNS_E_RDATA, "name ends after RDLENGTH");
        /* Exact. */
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
        m_rr(&m, OWNER_Q, 2, types[i], 1, nm, 14);
        assert_err(parse(&m), PKT_DNS_OK, "exact");
    }
}

static void m_soa(struct msg *m, const uint8_t *owner, size_t owner_len, size_t fixed,
                  uint32_t minimum)
{
    uint8_t rd[128];
    size_t n = 0;
    n += wname("ns1.example", rd + n);
    n += wname("hostmaster.example", rd + n);
    memset(rd + n, 0, fixed);
    if (fixed >= 4) {
        rd[n + fixed - 4] = (uint8_t)(minimum >> 24);
        rd[n + fixed - 3] = (uint8_t)(minimum >> 16);
        rd[n + fixed - 2] = (uint8_t)(minimum >> 8);
        rd[n + fixed - 1] = (uint8_t)minimum;
    }
    m_rr(m, owner, owner_len, PKT_DNS_TYPE_SOA, 1, rd, n + fixed);
}

Test(pkt_dns, reads_soa_minimum_from_authority_only)
{
    uint8_t zone[64];
    size_t zl = wname("2.1.in-addr.arpa", zone);
    struct msg m;
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 0, 1, 0);
    m_set16(&m, 2, FLAGS_RESP | PKT_DNS_RCODE_NXDOMAIN);
    m_soa(&m, zone, zl, 20, 86400);
    assert_err(parse(&m), PKT_DNS_OK, "NXDOMAIN + SOA");
    cr_assert_eq(R.rcode, PKT_DNS_RCODE_NXDOMAIN);
    cr_assert(R.has_soa);
    cr_assert_eq(R.soa_minimum, 86400);

    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
    m_soa(&m, zone, zl, 20, 60);
    assert_err(parse(&m), PKT_DNS_OK, "SOA in answer");
    cr_assert_not(R.has_soa);

    static const size_t bad[] = { 0, 19, 21 };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 0, 1, 0);
        m_soa(&m, zone, zl, bad[i], 60);
        assert_err(parse(&m), PKT_DNS_E_RDATA, "SOA fixed part not 20 octets");
    }
}

/* ---- P12 P13: wrong type, wrong owner, other sections --------------------- */

Test(pkt_dns, ignores_records_of_another_type)
{
    struct msg m;
    uint8_t a[4] = { 192, 0, 2, 7 };
    uint8_t aaaa[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };

    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 2, 0, 0);
    m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_A, 1, a, 4);
    m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_AAAA, 1, aaaa, 16);
    assert_err(parse(&m), PKT_DNS_OK, "PTR query, A/AAAA answers");
    cr_assert_eq(R.nb_ptr_total, 0);
    cr_assert_eq(R.nb_ptr, 0);
    cr_assert_eq(R.nb_addr_total, 0);
    cr_assert_eq(R.nb_addr, 0);

    m_reply(&m, "host.example", PKT_DNS_TYPE_AAAA, 1, 0, 0);
    m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_A, 1, a, 4);
    assert_err(parse(&m), PKT_DNS_OK, "AAAA query, A answer");
    cr_assert_eq(R.nb_addr_total, 0);
    cr_assert_eq(R.nb_addr, 0);

    m_reply(&m, "host.example", PKT_DNS_TYPE_AAAA, 3, 0, 0);
    m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_A, 1, a, 4);
    m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_AAAA, 1, aaaa, 16);
    m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_PTR, 1, "\0", 1);
    assert_err(parse(&m), PKT_DNS_OK, "AAAA query, mixed answers");
    cr_assert_eq(R.nb_addr_total, 1);
    cr_assert_eq(R.nb_addr, 1);
    cr_assert_eq(memcmp(R.addr[0], aaaa, 16), 0);
    cr_assert_eq(R.nb_ptr, 0);

    m_reply(&m, "host.example", PKT_DNS_TYPE_A, 2, 0, 0);
    m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_AAAA, 1, aaaa, 16);
    m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_A, 1, a, 4);
    assert_err(parse(&m), PKT_DNS_OK, "A query, AAAA then A");
    cr_assert_eq(R.nb_addr, 1);
    static const uint8_t want[16] = { 192, 0, 2, 7 };
    cr_assert_eq(memcmp(R.addr[0], want, 16), 0, "A in bytes 0..3, rest zero");
}

Test(pkt_dns, ignores_records_of_another_owner_or_class)
{
    struct msg m;
    char buf[PKT_DNS_PRESENT_MAX];
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 4, 0, 0);
    m_rr_names(&m, "5.3.2.1.in-addr.arpa", PKT_DNS_TYPE_PTR, "other.example");
    m_rr_names(&m, "3.2.1.in-addr.arpa", PKT_DNS_TYPE_PTR, "parent.example");
    m_rr_names(&m, "4.3.2.1.IN-ADDR.ARPA", PKT_DNS_TYPE_PTR, "mine.example");
    uint8_t t[32];
    size_t tl = wname("chaos.example", t);
    m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_PTR, 3 /* CH */, t, tl);
    assert_err(parse(&m), PKT_DNS_OK, "mixed owners");
    cr_assert_eq(R.nb_ptr_total, 1);
    cr_assert_eq(R.nb_ptr, 1);
    cr_assert_str_eq(present(&R.ptr[0], buf), "mine.example");
}

Test(pkt_dns, ignores_answers_outside_the_answer_section)
{
    /* M12: a PTR reply carrying the PTR and A records in AUTHORITY/ADDITIONAL. */
    struct msg m;
    uint8_t t[32];
    size_t tl = wname("host.example", t);
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 0, 1, 2);
    m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_PTR, 1, t, tl);
    m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_PTR, 1, t, tl);
    m_rr(&m, t, tl, PKT_DNS_TYPE_A, 1, "\xC0\0\2\1", 4);
    assert_err(parse(&m), PKT_DNS_OK, "records in other sections");
    cr_assert_eq(R.nb_ptr_total, 0);
    cr_assert_eq(R.nb_addr_total, 0);
}

Test(pkt_dns, keeps_first_ptrs_and_counts_all)
{
    struct msg m;
    char buf[PKT_DNS_PRESENT_MAX];
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 40, 0, 0);
    for (int i = 0; i < 40; i++) {
        char nm[32];
        snprintf(nm, sizeof(nm), "h%02d.example", i);
        m_ptr_q(&m, nm);
    }
    assert_err(parse(&m), PKT_DNS_OK, "40 PTRs");
    cr_assert_eq(R.nb_ptr_total, 40);
    cr_assert_eq(R.nb_ptr, PKT_DNS_PTR_MAX);
    cr_assert_str_eq(present(&R.ptr[0], buf), "h00.example");
    cr_assert_str_eq(present(&R.ptr[31], buf), "h31.example");

    m_reply(&m, "many.example", PKT_DNS_TYPE_A, 70, 0, 0);
    for (int i = 0; i < 70; i++) {
        uint8_t a[4] = { 10, 0, 0, (uint8_t)i };
        m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_A, 1, a, 4);
    }
    assert_err(parse(&m), PKT_DNS_OK, "70 A");
    cr_assert_eq(R.nb_addr_total, 70);
    cr_assert_eq(R.nb_addr, PKT_DNS_ADDR_MAX);
    cr_assert_eq(R.addr[63][3], 63);
}

/* ---- P14: CNAME/DNAME chains ----------------------------------------------- */

Test(pkt_dns, follows_rfc2317_cname_to_ptr)
{
    struct msg m;
    char buf[PKT_DNS_PRESENT_MAX];
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 3, 0, 0);
    /* The PTR comes first: answer order must not matter. */
    m_rr_names(&m, "4.0/25.3.2.1.in-addr.arpa", PKT_DNS_TYPE_PTR, "host.example");
    m_rr_names(&m, QNAME, PKT_DNS_TYPE_CNAME, "4.0/25.3.2.1.in-addr.arpa");
    m_rr_names(&m, QNAME, PKT_DNS_TYPE_PTR, "stale.example"); /* at the qname: not final */
    assert_err(parse(&m), PKT_DNS_OK, "RFC 2317");
    cr_assert_eq(R.nb_hops, 1);
    cr_assert_not(R.saw_dname);
    cr_assert_str_eq(present(&R.target, buf), "4.0/25.3.2.1.in-addr.arpa");
    cr_assert_eq(R.nb_ptr_total, 1);
    cr_assert_eq(R.nb_ptr, 1);
    cr_assert_str_eq(present(&R.ptr[0], buf), "host.example");
    cr_assert_str_eq(present(&R.qname, buf), QNAME);
}

/* Chain QNAME -> c1 -> c2 ... -> c<n>, then a PTR at c<n>. */
static void m_chain(struct msg *m, unsigned n, bool loop_back)
{
    m_reply(m, QNAME, PKT_DNS_TYPE_PTR, n + 1, 0, 0);
    char from[64], to[64];
    snprintf(from, sizeof(from), "%s", QNAME);
    for (unsigned i = 1; i <= n; i++) {
        if (loop_back && i == n)
            snprintf(to, sizeof(to), "%s", QNAME);
        else
            snprintf(to, sizeof(to), "c%u.example", i);
        m_rr_names(m, from, PKT_DNS_TYPE_CNAME, to);
        snprintf(from, sizeof(from), "%s", to);
    }
    m_rr_names(m, from, PKT_DNS_TYPE_PTR, "end.example");
}

Test(pkt_dns, limits_cname_chain_and_rejects_loops)
{
    static const struct {
        unsigned n;
        bool loop;
        int err;
    } cases[] = {
        { 1, false, PKT_DNS_OK },       { 8, false, PKT_DNS_OK },     { 9, false, PKT_DNS_E_CHAIN },
        { 20, false, PKT_DNS_E_CHAIN }, { 2, true, PKT_DNS_E_CHAIN }, /* A -> B -> A */
        { 1, true, PKT_DNS_E_CHAIN },                                 /* A -> A */
    };
    struct msg m;
    char buf[PKT_DNS_PRESENT_MAX];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char what[48];
        snprintf(what, sizeof(what), "%u hops%s", cases[i].n, cases[i].loop ? " looping" : "");
        m_chain(&m, cases[i].n, cases[i].loop);
        assert_err(parse(&m), cases[i].err, what);
        if (cases[i].err == PKT_DNS_OK) {
            char want[32];
            snprintf(want, sizeof(want), "c%u.example", cases[i].n);
            cr_assert_eq(R.nb_hops, cases[i].n, "%s", what);
            cr_assert_str_eq(present(&R.target, buf), want, "%s", what);
            cr_assert_eq(R.nb_ptr, 1, "%s", what);
        }
    }
}

Test(pkt_dns, follows_cname_to_missing_target)
{
    struct msg m;
    char buf[PKT_DNS_PRESENT_MAX];
    m_reply(&m, "www.example", PKT_DNS_TYPE_A, 1, 0, 0);
    m_rr_names(&m, "WWW.example", PKT_DNS_TYPE_CNAME, "gone.example");
    assert_err(parse(&m), PKT_DNS_OK, "dangling CNAME");
    cr_assert_eq(R.nb_hops, 1);
    cr_assert_str_eq(present(&R.target, buf), "gone.example");
    cr_assert_eq(R.nb_addr_total, 0);
}

Test(pkt_dns, follows_dname)
{
    struct msg m;
    char buf[PKT_DNS_PRESENT_MAX];
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 3, 0, 0);
    m_rr_names(&m, "2.1.in-addr.arpa", PKT_DNS_TYPE_DNAME, "rev.example");
    m_rr_names(&m, QNAME, PKT_DNS_TYPE_CNAME, "4.3.rev.example"); /* synthesised */
    m_rr_names(&m, "4.3.rev.example", PKT_DNS_TYPE_PTR, "host.example");
    assert_err(parse(&m), PKT_DNS_OK, "DNAME");
    cr_assert(R.saw_dname);
    cr_assert_eq(R.nb_hops, 1);
    cr_assert_str_eq(present(&R.target, buf), "4.3.rev.example");
    cr_assert_eq(R.nb_ptr, 1);
    cr_assert_str_eq(present(&R.ptr[0], buf), "host.example");

    /* Without the synthesised CNAME the DNAME alone rewrites the name. */
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 2, 0, 0);
    m_rr_names(&m, "in-addr.arpa", PKT_DNS_TYPE_DNAME, "x.example");
    m_rr_names(&m, "4.3.2.1.x.example", PKT_DNS_TYPE_PTR, "host2.example");
    assert_err(parse(&m), PKT_DNS_OK, "DNAME only");
    cr_assert(R.saw_dname);
    cr_assert_str_eq(present(&R.ptr[0], buf), "host2.example");

    /* A DNAME owned by the name itself does not apply (RFC 6672 §2.3). */
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
    m_rr_names(&m, QNAME, PKT_DNS_TYPE_DNAME, "x.example");
    assert_err(parse(&m), PKT_DNS_OK, "DNAME at qname");
    cr_assert_not(R.saw_dname);
    cr_assert_eq(R.nb_hops, 0);
    cr_assert_str_eq(present(&R.target, buf), QNAME);
}

Test(pkt_dns, rejects_dname_result_over_255_octets)
{
    struct msg m;
    uint8_t o[32], t[300];
    size_t ol = wname("arpa", o);
    /* QNAME minus "arpa" keeps 4.3.2.1.in-addr (16 octets), then the target. */
    size_t tl = long_name(t, 240, 't');
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
    m_rr(&m, o, ol, PKT_DNS_TYPE_DNAME, 1, t, tl);
    assert_err(parse(&m), PKT_DNS_E_NAMELEN, "16 + 240 > 255");
    tl = long_name(t, 239, 't');
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
    m_rr(&m, o, ol, PKT_DNS_TYPE_DNAME, 1, t, tl);
    assert_err(parse(&m), PKT_DNS_OK, "16 + 239 = 255");
    cr_assert(R.saw_dname);
    cr_assert_eq(R.target.len, 255);
}

Test(pkt_dns, rejects_dname_loop)
{
    struct msg m;
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
    /* *.in-addr.arpa -> *.in-addr.arpa.in-addr.arpa ... grows until the hop cap. */
    m_rr_names(&m, "in-addr.arpa", PKT_DNS_TYPE_DNAME, "in-addr.arpa.in-addr.arpa");
    assert_err(parse(&m), PKT_DNS_E_CHAIN, "self-expanding DNAME");
}

/* ---- P15: OPT -------------------------------------------------------------- */

static void m_opt(struct msg *m, const uint8_t *owner, size_t owner_len, unsigned udp, uint32_t ttl,
                  const void *rd, size_t rdlen)
{
    m_raw(m, owner, owner_len);
    m_u16(m, PKT_DNS_TYPE_OPT);
    m_u16(m, udp);
    m_u32(m, ttl);
    m_u16(m, (unsigned)rdlen);
    if (rdlen)
        m_raw(m, rd, rdlen);
}

Test(pkt_dns, reads_edns_opt)
{
    struct msg m;
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 0, 0, 1);
    m_opt(&m, ROOT, 1, 4096, 0x00008000u, "\0\12\0\2ab", 6); /* DO bit, one option */
    assert_err(parse(&m), PKT_DNS_OK, "OPT");
    cr_assert(R.has_opt);
    cr_assert_eq(R.opt_udp_size, 4096);
    cr_assert_eq(R.opt_version, 0);
    cr_assert_eq(R.rcode, 0);

    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 0, 0, 1);
    m_opt(&m, ROOT, 1, 1232, 0x01010000u, NULL, 0); /* ext rcode 1, version 1 */
    assert_err(parse(&m), PKT_DNS_OK, "BADVERS");
    cr_assert_eq(R.rcode, 16);
    cr_assert_eq(R.opt_version, 1);
    cr_assert_str_eq(pkt_dns_rcode_name(R.rcode), "BADVERS");

    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 0, 0, 1);
    m_set16(&m, 2, FLAGS_RESP | 0xF);
    m_opt(&m, ROOT, 1, 1232, 0xFF000000u, NULL, 0);
    assert_err(parse(&m), PKT_DNS_OK, "max extended rcode");
    cr_assert_eq(R.rcode, 4095);
}

Test(pkt_dns, rejects_misplaced_or_duplicate_opt)
{
    struct msg m;
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 0, 0, 2);
    m_opt(&m, ROOT, 1, 1232, 0, NULL, 0);
    m_opt(&m, ROOT, 1, 1232, 0, NULL, 0);
    assert_err(parse(&m), PKT_DNS_E_OPT, "two OPT");

    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
    m_opt(&m, ROOT, 1, 1232, 0, NULL, 0);
    assert_err(parse(&m), PKT_DNS_E_OPT, "OPT in answer");

    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 0, 1, 0);
    m_opt(&m, ROOT, 1, 1232, 0, NULL, 0);
    assert_err(parse(&m), PKT_DNS_E_OPT, "OPT in authority");

    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 0, 0, 1);
    m_opt(&m, OWNER_Q, 2, 1232, 0, NULL, 0);
    assert_err(parse(&m), PKT_DNS_E_OPT, "OPT owned by the qname");

    static const struct {
        const char *rd;
        size_t len;
    } bad[] = { { "\0\12\0", 3 }, { "\0\12\0\3ab", 6 }, { "\0\12\0\1ab", 6 } };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 0, 0, 1);
        m_opt(&m, ROOT, 1, 1232, 0, bad[i].rd, bad[i].len);
        assert_err(parse(&m), PKT_DNS_E_RDATA, "options not tiling OPT RDATA");
    }
}

/* ---- P16: huge counts --------------------------------------------------------- */

/* n minimal RRs (root owner, unknown type, RDLENGTH 0: 11 octets each). */
static void m_minimal_rrs(struct msg *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        m_rr(m, ROOT, 1, 0xFF00, 1, NULL, 0);
}

Test(pkt_dns, bounds_work_on_huge_counts)
{
    static struct msg m;
    size_t fit = (65507 - QEND) / 11; /* 5951 minimal RRs in 65,507 octets */

    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 65535, 0, 0);
    m_minimal_rrs(&m, fit);
    assert_err(parse(&m), PKT_DNS_E_COUNTS, "ANCOUNT 65535 in 65507 octets");

    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, (unsigned)fit, 0, 0);
    m_minimal_rrs(&m, fit);
    assert_err(parse(&m), PKT_DNS_E_TOOMANY, "5951 RRs in 65507 octets");

    size_t fit1500 = (1500 - QEND) / 11; /* 132 */
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 65535, 0, 0);
    m_minimal_rrs(&m, fit1500);
    assert_err(parse(&m), PKT_DNS_E_COUNTS, "ANCOUNT 65535 in 1500 octets");
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, (unsigned)fit1500, 0, 0);
    m_minimal_rrs(&m, fit1500);
    assert_err(parse(&m), PKT_DNS_OK, "132 RRs in 1500 octets");
    cr_assert_eq(R.nb_an, fit1500);

    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 500, 10, 2);
    m_minimal_rrs(&m, PKT_DNS_RR_MAX);
    assert_err(parse(&m), PKT_DNS_OK, "exactly PKT_DNS_RR_MAX");
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 500, 10, 3);
    m_minimal_rrs(&m, PKT_DNS_RR_MAX + 1);
    assert_err(parse(&m), PKT_DNS_E_TOOMANY, "PKT_DNS_RR_MAX + 1");
}

/* ---- P21 P22: TC, QR, opcode, rcodes ----------------------------------------- */

Test(pkt_dns, accepts_truncated_reply_with_partial_answer)
{
    struct msg m;
    char buf[PKT_DNS_PRESENT_MAX];
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 3, 0, 1);
    m_set16(&m, 2, FLAGS_RESP | FLAG_TC);
    m_ptr_q(&m, "one.example");
    size_t second = m.n;
    m_ptr_q(&m, "two.example");
    m_ptr_q(&m, "three.example");
    size_t full = m.n;
    /* Cut inside the owner pointer, the fixed part, the RDATA; and after RR 2. */
    static const size_t cut_from_second[] = { 1, 2, 7, 12, 14 };
    for (size_t i = 0; i < sizeof(cut_from_second) / sizeof(cut_from_second[0]); i++) {
        m.n = second + cut_from_second[i];
        char what[32];
        snprintf(what, sizeof(what), "TC, cut at +%zu", cut_from_second[i]);
        assert_err(parse(&m), PKT_DNS_OK, what);
        cr_assert(R.tc);
        cr_assert_eq(R.nb_ptr, 1, "%s", what);
        cr_assert_str_eq(present(&R.ptr[0], buf), "one.example");
    }
    m.n = full;
    assert_err(parse(&m), PKT_DNS_OK, "TC, whole answer, OPT missing");
    cr_assert_eq(R.nb_ptr, 3);
    /* Without TC the counts must fit, and each cut is an error of its own kind. */
    m_set16(&m, 2, FLAGS_RESP);
    m.n = second + 1;
    assert_err(parse(&m), PKT_DNS_E_COUNTS, "no TC, 4 RRs announced");
    m_set16(&m, 6, 2);
    m_set16(&m, 10, 0);
    assert_err(parse(&m), PKT_DNS_E_POINTER, "no TC, owner pointer cut");
    m.n = second + 7;
    assert_err(parse(&m), PKT_DNS_E_OVERRUN, "no TC, fixed part cut");
    m.n = second + 14;
    assert_err(parse(&m), PKT_DNS_E_RDLEN, "no TC, RDATA cut");
}

Test(pkt_dns, accepts_truncated_reply_with_empty_answer)
{
    struct msg m;
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 0, 0, 0);
    m_set16(&m, 2, FLAGS_RESP | FLAG_TC);
    assert_err(parse(&m), PKT_DNS_OK, "TC, ANCOUNT 0");
    cr_assert(R.tc);
    cr_assert_eq(R.nb_ptr_total, 0);
    cr_assert_eq(R.rcode, 0);

    m_set16(&m, 6, 5); /* announces 5 answers, carries none */
    assert_err(parse(&m), PKT_DNS_OK, "TC, ANCOUNT 5, no records");
    cr_assert(R.tc);
    cr_assert_eq(R.nb_an, 5);
    cr_assert_eq(R.nb_ptr_total, 0);

    /* The question itself must be whole. */
    assert_err(parse_bytes(m.b, QEND - 1, &R), PKT_DNS_E_SHORT, "TC, question cut");
    /* Damage that is not a cut is still an error under TC. */
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 1, 0, 0);
    m_set16(&m, 2, FLAGS_RESP | FLAG_TC);
    m_rr(&m, OWNER_Q, 2, PKT_DNS_TYPE_A, 1, "\1\2\3", 3);
    assert_err(parse(&m), PKT_DNS_E_RDATA, "TC, bad A");
}

Test(pkt_dns, rejects_queries_and_other_opcodes)
{
    struct msg m;
    m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 0, 0, 0);
    m_set16(&m, 2, 0x0100);
    assert_err(parse(&m), PKT_DNS_E_NOTRESP, "QR=0");
    static const unsigned opcodes[] = { 1, 2, 4, 5, 15 };
    for (size_t i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++) {
        m_set16(&m, 2, FLAGS_RESP | opcodes[i] << 11);
        char what[32];
        snprintf(what, sizeof(what), "opcode %u", opcodes[i]);
        assert_err(parse(&m), PKT_DNS_E_OPCODE, what);
    }
}

Test(pkt_dns, reports_error_rcodes)
{
    struct msg m;
    for (unsigned rc = 0; rc < 16; rc++) {
        m_reply(&m, QNAME, PKT_DNS_TYPE_PTR, 0, 0, 0);
        m_set16(&m, 2, FLAGS_RESP | rc);
        assert_err(parse(&m), PKT_DNS_OK, pkt_dns_rcode_name(rc));
        cr_assert_eq(R.rcode, rc);
        cr_assert_not(R.has_opt);
    }
}

Test(pkt_dns, names_rcodes)
{
    static const char *want[] = { "NOERROR", "FORMERR",   "SERVFAIL", "NXDOMAIN", "NOTIMP",
                                  "REFUSED", "YXDOMAIN",  "YXRRSET",  "NXRRSET",  "NOTAUTH",
                                  "NOTZONE", "DSOTYPENI", "RCODE12",  "RCODE13",  "RCODE14",
                                  "RCODE15", "BADVERS" };
    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_assert_str_eq(pkt_dns_rcode_name(i), want[i]);
    cr_assert_str_eq(pkt_dns_rcode_name(17), "RCODE_OTHER");
    cr_assert_str_eq(pkt_dns_rcode_name(4095), "RCODE_OTHER");
    cr_assert_str_eq(pkt_dns_rcode_name(~0u), "RCODE_OTHER");
}

Test(pkt_dns, names_every_error_distinctly)
{
    static const char *want[PKT_DNS_E_COUNT] = {
        "ok",      "short",      "not_response", "opcode",  "question", "counts",
        "pointer", "labeltype",  "name_len",     "overrun", "rdlen",    "rdata",
        "opt",     "cname_loop", "too_many_rrs", "space",   "invalid",
    };
    for (int i = 0; i < PKT_DNS_E_COUNT; i++) {
        cr_assert_str_eq(pkt_dns_err_name(-i), want[i]);
        cr_assert_gt(strlen(pkt_dns_strerror(-i)), 1);
        for (int j = 0; j < i; j++)
            cr_assert_str_neq(pkt_dns_strerror(-i), pkt_dns_strerror(-j));
    }
    cr_assert_str_eq(pkt_dns_err_name(PKT_DNS_E_INVAL), "invalid");
    cr_assert_str_eq(pkt_dns_err_name(-PKT_DNS_E_COUNT), "unknown");
    cr_assert_str_eq(pkt_dns_err_name(1), "unknown");
    cr_assert_str_eq(pkt_dns_strerror(-100), "unknown error");
}
