/*
 * tests/packet/test_dns_golden.c - golden replies recorded from real NSD
 * and Unbound (scripts/record-golden), read from
 * $FCRSCAN_SRCDIR/tests/golden, parsed and checked field by field.
 */
#include "tests/packet/dns_msg.h"

/* ---- golden replies from NSD and Unbound -------------------------------------- */

/*
 * What each recorded reply must parse to. Fields left out are 0/false/NULL;
 * target NULL means "same as qname" (no chain); from Unbound, RD and RA are
 * set, from NSD neither. The order is record-golden's CASES order: reply i
 * carries ID 0x4000 + i.
 */
struct golden {
    const char *file;
    unsigned rcode;
    bool tc, aa, no_opt;
    uint16_t qtype;
    const char *qname;
    unsigned hops;
    bool dname;
    const char *target;
    unsigned nb_ptr_total;
    const char *ptr[3];
    unsigned nb_addr_total;
    const char *addr[2];
    bool has_soa;
};

#define REV10 "10.2.0.192.in-addr.arpa"
#define REV66 "66.2.0.192.in-addr.arpa"
#define T66   "66.64/26.2.0.192.in-addr.arpa"
#define REV99 "99.2.0.192.in-addr.arpa"
#define H10   "host10.fcr.test"
#define ADDR  "192.0.2.10"

static const struct golden goldens[] = {
    { .file = "nsd-ptr", .aa = 1, .qtype = 12, .qname = REV10, .nb_ptr_total = 1, .ptr = { H10 } },
    { .file = "nsd-ptr-noedns",
      .aa = 1,
      .no_opt = 1,
      .qtype = 12,
      .qname = REV10,
      .nb_ptr_total = 1,
      .ptr = { H10 } },
    { .file = "nsd-ptr-0x20",
      .aa = 1,
      .qtype = 12,
      .qname = REV10,
      .nb_ptr_total = 1,
      .ptr = { H10 } },
    { .file = "nsd-ptr-multi",
      .aa = 1,
      .qtype = 12,
      .qname = "11.2.0.192.in-addr.arpa",
      .nb_ptr_total = 2,
      .ptr = { "mail.fcr.test", "old.fcr.test" } },
    { .file = "nsd-ptr-escape",
      .aa = 1,
      .qtype = 12,
      .qname = "12.2.0.192.in-addr.arpa",
      .nb_ptr_total = 1,
      .ptr = { "weird\\032name\\034\\044\\059\\092\\..fcr.test" } },
    { .file = "nsd-ptr-upper",
      .aa = 1,
      .qtype = 12,
      .qname = "13.2.0.192.in-addr.arpa",
      .nb_ptr_total = 1,
      .ptr = { "upper.fcr.test" } },
    { .file = "nsd-ptr-many",
      .aa = 1,
      .qtype = 12,
      .qname = "20.2.0.192.in-addr.arpa",
      .nb_ptr_total = 40,
      .ptr = { "h00.fcr.test", "h01.fcr.test", "h02.fcr.test" } },
    { .file = "nsd-ptr-2317",
      .aa = 1,
      .qtype = 12,
      .qname = REV66,
      .hops = 1,
      .target = T66,
      .nb_ptr_total = 1,
      .ptr = { "host66.fcr.test" } },
    { .file = "nsd-ptr-v6",
      .aa = 1,
      .qtype = 12,
      .qname = REV6,
      .nb_ptr_total = 1,
      .ptr = { H10 } },
    { .file = "nsd-nxdomain", .rcode = 3, .aa = 1, .qtype = 12, .qname = REV99, .has_soa = 1 },
    { .file = "nsd-a", .aa = 1, .qtype = 1, .qname = H10, .nb_addr_total = 1, .addr = { ADDR } },
    { .file = "nsd-aaaa",
      .aa = 1,
      .qtype = 28,
      .qname = H10,
      .nb_addr_total = 1,
      .addr = { "2001:db8::10" } },
    { .file = "nsd-a-cname",
      .aa = 1,
      .qtype = 1,
      .qname = "www.fcr.test",
      .hops = 1,
      .target = H10,
      .nb_addr_total = 1,
      .addr = { ADDR } },
    { .file = "nsd-a-chain",
      .aa = 1,
      .qtype = 1,
      .qname = "c1.fcr.test",
      .hops = 3,
      .target = H10,
      .nb_addr_total = 1,
      .addr = { ADDR } },
    { .file = "nsd-a-dname",
      .aa = 1,
      .qtype = 1,
      .qname = "host10.alias.fcr.test",
      .hops = 1,
      .dname = 1,
      .target = H10,
      .nb_addr_total = 1,
      .addr = { ADDR } },
    { .file = "nsd-nodata", .aa = 1, .qtype = 28, .qname = "v4only.fcr.test", .has_soa = 1 },
    { .file = "nsd-refused", .rcode = 5, .qtype = 1, .qname = "example.invalid" },
    { .file = "nsd-big-udp", .tc = 1, .aa = 1, .qtype = 1, .qname = "big.fcr.test" },
    { .file = "nsd-big-tcp",
      .aa = 1,
      .qtype = 1,
      .qname = "big.fcr.test",
      .nb_addr_total = 100,
      .addr = { "192.0.2.100", "192.0.2.101" } },
    { .file = "unbound-ptr", .qtype = 12, .qname = REV10, .nb_ptr_total = 1, .ptr = { H10 } },
    { .file = "unbound-ptr-2317",
      .qtype = 12,
      .qname = REV66,
      .hops = 1,
      .target = T66,
      .nb_ptr_total = 1,
      .ptr = { "host66.fcr.test" } },
    { .file = "unbound-ptr-v6", .qtype = 12, .qname = REV6, .nb_ptr_total = 1, .ptr = { H10 } },
    { .file = "unbound-nxdomain", .rcode = 3, .qtype = 12, .qname = REV99, .has_soa = 1 },
    { .file = "unbound-a-cname",
      .qtype = 1,
      .qname = "www.fcr.test",
      .hops = 1,
      .target = H10,
      .nb_addr_total = 1,
      .addr = { ADDR } },
    { .file = "unbound-a-dname",
      .qtype = 1,
      .qname = "host10.alias.fcr.test",
      .hops = 1,
      .dname = 1,
      .target = H10,
      .nb_addr_total = 1,
      .addr = { ADDR } },
    { .file = "unbound-aaaa",
      .qtype = 28,
      .qname = H10,
      .nb_addr_total = 1,
      .addr = { "2001:db8::10" } },
    { .file = "unbound-nodata", .qtype = 28, .qname = "v4only.fcr.test", .has_soa = 1 },
    { .file = "unbound-servfail", .rcode = 2, .qtype = 1, .qname = "x.lame.test" },
    { .file = "unbound-big-udp", .tc = 1, .no_opt = 1, .qtype = 1, .qname = "big.fcr.test" },
    /* Unbound rotates RRsets: the order is checked in keeps_golden_rrset_order. */
    { .file = "unbound-big-tcp", .qtype = 1, .qname = "big.fcr.test", .nb_addr_total = 100 },
};

static size_t load_golden(const char *name, uint8_t *buf, size_t cap)
{
    const char *src = getenv("FCRSCAN_SRCDIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/golden/%s.bin", src ? src : ".", name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s (set FCRSCAN_SRCDIR)", path);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    cr_assert_gt(n, 12, "%s too short", path);
    return n;
}

Test(pkt_dns, parses_golden_replies_exactly)
{
    static uint8_t buf[70000];
    char txt[PKT_DNS_PRESENT_MAX];
    for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
        const struct golden *g = &goldens[i];
        size_t n = load_golden(g->file, buf, sizeof(buf));
        assert_err(parse_bytes(buf, n, &R), PKT_DNS_OK, g->file);
        bool from_unbound = strncmp(g->file, "unbound", 7) == 0;
        cr_assert_eq(R.id, 0x4000 + i, "%s: id", g->file); /* record-golden's CASES order */
        cr_assert_eq(R.rcode, g->rcode, "%s: rcode %u", g->file, R.rcode);
        cr_assert_eq(R.tc, g->tc, "%s: tc", g->file);
        cr_assert_eq(R.aa, g->aa, "%s: aa", g->file);
        cr_assert_eq(R.ra, from_unbound, "%s: ra", g->file);
        cr_assert_eq(R.rd, from_unbound, "%s: rd", g->file);
        cr_assert_eq(R.has_opt, !g->no_opt, "%s: has_opt", g->file);
        if (!g->no_opt) {
            cr_assert_eq(R.opt_udp_size, 1232, "%s: udp %u", g->file, R.opt_udp_size);
            cr_assert_eq(R.opt_version, 0);
        }
        cr_assert_eq(R.qtype, g->qtype, "%s: qtype", g->file);
        cr_assert_eq(R.qclass, PKT_DNS_CLASS_IN);
        cr_assert_str_eq(present(&R.qname, txt), g->qname, "%s: qname", g->file);
        cr_assert_eq(R.nb_hops, g->hops, "%s: hops %u", g->file, R.nb_hops);
        cr_assert_eq(R.saw_dname, g->dname, "%s: dname", g->file);
        cr_assert_str_eq(present(&R.target, txt), g->target ? g->target : g->qname, "%s: target",
                         g->file);
        cr_assert_eq(R.nb_ptr_total, g->nb_ptr_total, "%s: ptr total", g->file);
        cr_assert_eq(R.nb_ptr, g->nb_ptr_total < 32 ? g->nb_ptr_total : 32, "%s", g->file);
        for (size_t k = 0; k < 3 && g->ptr[k]; k++)
            cr_assert_str_eq(present(&R.ptr[k], txt), g->ptr[k], "%s: ptr %zu", g->file, k);
        cr_assert_eq(R.nb_addr_total, g->nb_addr_total, "%s: addr total", g->file);
        cr_assert_eq(R.nb_addr, g->nb_addr_total < 64 ? g->nb_addr_total : 64, "%s", g->file);
        for (size_t k = 0; k < 2 && g->addr[k]; k++) {
            uint8_t want[16] = { 0 };
            int af = g->qtype == PKT_DNS_TYPE_AAAA ? AF_INET6 : AF_INET;
            cr_assert_eq(inet_pton(af, g->addr[k], want), 1);
            cr_assert_eq(memcmp(R.addr[k], want, 16), 0, "%s: addr %zu", g->file, k);
        }
        cr_assert_eq(R.has_soa, g->has_soa, "%s: soa", g->file);
        cr_assert_eq(R.soa_minimum, g->has_soa ? 300u : 0u, "%s: soa minimum", g->file);
    }
}

Test(pkt_dns, keeps_golden_0x20_case_and_raw_ptr_case)
{
    static uint8_t buf[4096];
    uint8_t want[64];
    size_t n = load_golden("nsd-ptr-0x20", buf, sizeof(buf));
    assert_err(parse_bytes(buf, n, &R), PKT_DNS_OK, "0x20");
    size_t wl = wname("10.2.0.192.In-AdDr.aRPa", want);
    cr_assert(pkt_dns_name_equal_case(R.qname.wire, R.qname.len, want, wl));
    wname(REV10, want);
    cr_assert_not(pkt_dns_name_equal_case(R.qname.wire, R.qname.len, want, wl));
    cr_assert(pkt_dns_name_equal(R.qname.wire, R.qname.len, want, wl));

    /* The zone says Upper.FCR.Test; NSD canonicalises RDATA names to lower case. */
    n = load_golden("nsd-ptr-upper", buf, sizeof(buf));
    assert_err(parse_bytes(buf, n, &R), PKT_DNS_OK, "upper");
    wl = wname("upper.fcr.test", want);
    cr_assert(pkt_dns_name_equal_case(R.ptr[0].wire, R.ptr[0].len, want, wl));
}

Test(pkt_dns, keeps_golden_rrset_order)
{
    static uint8_t buf[4096];
    char txt[PKT_DNS_PRESENT_MAX];
    size_t n = load_golden("nsd-ptr-many", buf, sizeof(buf));
    assert_err(parse_bytes(buf, n, &R), PKT_DNS_OK, "ptr-many");
    for (unsigned k = 0; k < R.nb_ptr; k++) {
        char want[32];
        snprintf(want, sizeof(want), "h%02u.fcr.test", k);
        cr_assert_str_eq(present(&R.ptr[k], txt), want);
    }
    n = load_golden("nsd-big-tcp", buf, sizeof(buf));
    assert_err(parse_bytes(buf, n, &R), PKT_DNS_OK, "nsd big");
    for (unsigned k = 0; k < R.nb_addr; k++)
        cr_assert_eq(R.addr[k][3], 100 + k);
    /* Unbound rotates the set: 64 consecutive addresses, cyclically, from anywhere. */
    n = load_golden("unbound-big-tcp", buf, sizeof(buf));
    assert_err(parse_bytes(buf, n, &R), PKT_DNS_OK, "unbound big");
    unsigned first = R.addr[0][3];
    cr_assert(first >= 100 && first < 200);
    for (unsigned k = 0; k < R.nb_addr; k++) {
        cr_assert_eq(memcmp(R.addr[k], "\xC0\0\2", 3), 0);
        cr_assert_eq(R.addr[k][3], 100 + (first - 100 + k) % 100);
    }
}

Test(pkt_dns, survives_every_cut_of_golden_replies)
{
    /* Every prefix of every golden reply parses to a result or a clean error. */
    static uint8_t buf[70000];
    for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
        size_t n = load_golden(goldens[i].file, buf, sizeof(buf));
        for (size_t cut = 0; cut < n; cut++) {
            int err = parse_bytes(buf, cut, &R);
            cr_assert(err <= 0 && err > -PKT_DNS_E_COUNT, "%s cut %zu: %d", goldens[i].file, cut,
                      err);
            if (cut < 12)
                assert_err(err, PKT_DNS_E_SHORT, goldens[i].file);
            else if (!goldens[i].tc)
                cr_assert_neq(err, PKT_DNS_OK, "%s: a cut reply without TC parsed at %zu",
                              goldens[i].file, cut);
        }
    }
}
