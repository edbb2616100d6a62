/*
 * bench/codec.c - DNS codec microbenchmark: packet/dns.c against ldns.
 *
 *   bench_codec [MILLION_ITERATIONS]     (default 10; ldns runs a tenth of it)
 *
 * Measures, on one core, ns per operation and M operations per second for
 * (a) building a PTR query with EDNS from a rotating set of 1024 precomputed
 *     reverse names (only pkt_dns_query_build is timed; ldns: clone the
 *     dname, ldns_pkt_query_new, set EDNS, ldns_pkt2wire, free),
 * (b) parsing a typical PTR reply (Unbound's, from tests/golden), and
 * (c) parsing an A reply with a CNAME (Unbound's, from tests/golden),
 * each also with ldns (ldns_wire2pkt + ldns_pkt_free) on the same bytes, and
 * prints the ratio. Each figure is the best of three runs. Timing only: this
 * is never a test. Run it from a release build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "packet/dns.h"

#define NB_NAMES 1024
#define RUNS     3

/* tests/golden/unbound-ptr.bin: 10.2.0.192.in-addr.arpa PTR host10.fcr.test, EDNS. */
static const uint8_t reply_ptr[] = {
    0x40, 0x13, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x31,
    0x30, 0x01, 0x32, 0x01, 0x30, 0x03, 0x31, 0x39, 0x32, 0x07, 0x69, 0x6e, 0x2d, 0x61,
    0x64, 0x64, 0x72, 0x04, 0x61, 0x72, 0x70, 0x61, 0x00, 0x00, 0x0c, 0x00, 0x01, 0xc0,
    0x0c, 0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x11, 0x06, 0x68, 0x6f,
    0x73, 0x74, 0x31, 0x30, 0x03, 0x66, 0x63, 0x72, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00,
    0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* tests/golden/unbound-a-cname.bin: www.fcr.test CNAME host10.fcr.test A 192.0.2.10. */
static const uint8_t reply_cname[] = {
    0x40, 0x17, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x03, 0x77, 0x77, 0x77,
    0x03, 0x66, 0x63, 0x72, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c,
    0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x09, 0x06, 0x68, 0x6f, 0x73, 0x74, 0x31,
    0x30, 0xc0, 0x10, 0xc0, 0x2a, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 0xc0,
    0x00, 0x02, 0x0a, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static struct pkt_dns_name names[NB_NAMES];
static ldns_rdf *ldns_names[NB_NAMES];
static volatile uint64_t sink;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void make_names(void)
{
    for (unsigned i = 0; i < NB_NAMES; i++) {
        /* Addresses spread over 198.18.0.0/15, like a scan would visit them. */
        uint32_t a = 0xC6120000u + i * 0x9E37u % 0x20000u;
        char text[64];
        snprintf(text, sizeof(text), "%u.%u.%u.%u.in-addr.arpa", a & 0xFF, a >> 8 & 0xFF,
                 a >> 16 & 0xFF, a >> 24);
        int n = pkt_dns_name_from_text(text, names[i].wire, sizeof(names[i].wire));
        if (n < 0 || ldns_str2rdf_dname(&ldns_names[i], text) != LDNS_STATUS_OK) {
            fprintf(stderr, "bench: bad name %s\n", text);
            exit(1);
        }
        names[i].len = (uint8_t)n;
    }
}

static double bench_build(unsigned long iters)
{
    uint8_t buf[PKT_DNS_QUERY_MAX];
    struct pkt_dns_query q = { .qtype = PKT_DNS_TYPE_PTR, .rd = true, .edns = true };
    uint64_t acc = 0;
    double t0 = now_ns();
    for (unsigned long i = 0; i < iters; i++) {
        const struct pkt_dns_name *nm = &names[i & (NB_NAMES - 1)];
        q.qname = nm->wire;
        q.qname_len = nm->len;
        q.id = (uint16_t)i;
        int n = pkt_dns_query_build(buf, sizeof(buf), &q);
        acc += (uint64_t)n + buf[(size_t)n - 16];
        /* Tell the compiler buf escapes, so no build can be skipped. */
        __asm__ volatile("" : : "r"(buf) : "memory");
    }
    double t = now_ns() - t0;
    sink += acc;
    return t / (double)iters;
}

static double bench_build_ldns(unsigned long iters)
{
    uint64_t acc = 0;
    double t0 = now_ns();
    for (unsigned long i = 0; i < iters; i++) {
        ldns_pkt *p = ldns_pkt_query_new(ldns_rdf_clone(ldns_names[i & (NB_NAMES - 1)]),
                                         LDNS_RR_TYPE_PTR, LDNS_RR_CLASS_IN, LDNS_RD);
        ldns_pkt_set_id(p, (uint16_t)i);
        ldns_pkt_set_edns_udp_size(p, PKT_DNS_EDNS_BUFSIZE);
        uint8_t *wire = NULL;
        size_t len = 0;
        if (ldns_pkt2wire(&wire, p, &len) != LDNS_STATUS_OK)
            abort();
        acc += len + wire[len - 1];
        free(wire);
        ldns_pkt_free(p);
    }
    double t = now_ns() - t0;
    sink += acc;
    return t / (double)iters;
}

static double bench_parse(const uint8_t *wire, size_t len, unsigned long iters)
{
    static struct pkt_dns_reply r;
    uint64_t acc = 0;
    double t0 = now_ns();
    for (unsigned long i = 0; i < iters; i++) {
        if (pkt_dns_reply_parse(wire, len, &r) != PKT_DNS_OK)
            abort();
        acc += (uint64_t)r.nb_ptr + r.nb_addr + r.nb_hops + r.target.len +
               (r.nb_ptr ? r.ptr[0].len : r.addr[0][3]);
        __asm__ volatile("" : : "r"(&r) : "memory");
    }
    double t = now_ns() - t0;
    sink += acc;
    return t / (double)iters;
}

static double bench_parse_ldns(const uint8_t *wire, size_t len, unsigned long iters)
{
    uint64_t acc = 0;
    double t0 = now_ns();
    for (unsigned long i = 0; i < iters; i++) {
        ldns_pkt *p = NULL;
        if (ldns_wire2pkt(&p, wire, len) != LDNS_STATUS_OK)
            abort();
        acc += ldns_pkt_ancount(p);
        ldns_pkt_free(p);
    }
    double t = now_ns() - t0;
    sink += acc;
    return t / (double)iters;
}

static double best(double a, double b)
{
    return a < b ? a : b;
}

static void row(const char *what, double ours, double theirs)
{
    printf("%-28s %9.1f %9.2f %11.1f %9.2f %8.1fx\n", what, ours, 1e3 / ours, theirs, 1e3 / theirs,
           theirs / ours);
}

int main(int argc, char **argv)
{
    unsigned long m = argc > 1 ? strtoul(argv[1], NULL, 10) : 10;
    if (m == 0)
        m = 1;
    unsigned long iters = m * 1000000ul;
    unsigned long ldns_iters = iters / 10 > 0 ? iters / 10 : 1;

    make_names();
    double b = 1e30, bl = 1e30, p = 1e30, pl = 1e30, c = 1e30, cl = 1e30;
    for (int run = 0; run < RUNS; run++) {
        b = best(b, bench_build(iters));
        bl = best(bl, bench_build_ldns(ldns_iters));
        p = best(p, bench_parse(reply_ptr, sizeof(reply_ptr), iters));
        pl = best(pl, bench_parse_ldns(reply_ptr, sizeof(reply_ptr), ldns_iters));
        c = best(c, bench_parse(reply_cname, sizeof(reply_cname), iters));
        cl = best(cl, bench_parse_ldns(reply_cname, sizeof(reply_cname), ldns_iters));
    }
    printf("fcrscan DNS codec vs ldns %s: %lu M iterations (ldns %lu k), best of %d\n",
           ldns_version(), m, ldns_iters / 1000, RUNS);
    printf("%-28s %9s %9s %11s %9s %9s\n", "operation", "ns/op", "M op/s", "ldns ns/op", "ldns M/s",
           "speedup");
    row("build PTR query + EDNS", b, bl);
    row("parse PTR reply (81 B)", p, pl);
    row("parse A+CNAME reply (78 B)", c, cl);
    for (unsigned i = 0; i < NB_NAMES; i++)
        ldns_rdf_deep_free(ldns_names[i]);
    return sink == 42 ? 2 : 0;
}
