/*
 * Criterion suite: the hash index under hostile names, through a whole scan
 * on the in-memory engine (packet/engine_mem.h), hermetic.
 *
 * Forward names come from PTR answers, which anyone controls, and share the
 * index with the targets. An attacker's PTR answer names 16 hosts whose A
 * lookups are never answered, built so that they fill both index buckets
 * of a target still to come (the victim). Before the index hash was keyed,
 * names built offline against the unkeyed XXH3 did exactly that and the
 * victim's insert failed: "internal: hash index full" ended the run.
 *
 * 1. Names built against the unkeyed hash: under the run's secret they
 *    spread out; the victim never waits (index_full stays 0).
 * 2. Names built against the keyed hash itself (the test knows the key):
 *    the victim's buckets are full of running lookups, so it waits (counted
 *    in index_full) until they time out, and then gets its row. The run
 *    never ends early and every row is right.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "packet/dns.h"
#include "packet/engine_mem.h"
#include "scanner/hindex.h"
#include "scanner/nethash.h"
#include "scanner/scan.h"

#define NB       64u /* targets 10.2.0.0 .. 10.2.0.63 */
#define ATTACKER 0u
#define VICTIM   40u
#define NAMES    16u /* = 2 * SCAN_HINDEX_WAYS: both buckets */
#define WINDOW   8u  /* the victim comes in when earlier targets are done */
#define FWD_CAP  128u

_Static_assert(NAMES == 2 * SCAN_HINDEX_WAYS, "the attack fills both buckets");

static const struct scan_key key = { 0x5eed5eed5eed5eedull, 0x0ddba11cafef00dull };

static void target_addr(unsigned i, struct pkt_addr *a)
{
    memset(a, 0, sizeof(*a));
    a->family = PKT_ADDR_V4;
    a->bytes[0] = 10;
    a->bytes[1] = 2;
    a->bytes[3] = (uint8_t)i;
}

/* The index hashes before they were keyed (the attacker's model). */
static uint64_t unkeyed_addr(const struct pkt_addr *a)
{
    return XXH3_64bits(a, sizeof(*a));
}

static uint64_t unkeyed_name(const uint8_t *name, size_t len, uint8_t family)
{
    return XXH3_64bits_withSeed(name, len, family);
}

struct attack {
    uint8_t wire[NAMES][64];
    uint8_t len[NAMES];
    char text[NAMES][64];
};

/* Brute-force NAMES names whose two buckets are the victim's two, under
 * the given hashes, for an index sized as scan_run sizes it. */
static void build_attack(struct attack *at, bool keyed)
{
    struct scan_hindex h;
    cr_assert_eq(scan_hindex_init(&h, WINDOW + FWD_CAP), 0);
    struct scan_nethash nh;
    scan_nethash_init(&nh, &key);
    struct pkt_addr v;
    target_addr(VICTIM, &v);
    uint64_t vb[2];
    scan_hindex_buckets(&h, keyed ? scan_nethash_addr(&nh, &v) : unkeyed_addr(&v), vb);
    unsigned n = 0;
    for (unsigned k = 0; n < NAMES && k < 50000000u; k++) {
        char txt[64];
        snprintf(txt, sizeof(txt), "c%u.example.net", k);
        uint8_t w[64];
        int len = pkt_dns_name_from_text(txt, w, sizeof(w));
        cr_assert_gt(len, 0);
        uint64_t hh = keyed ? scan_nethash_name(&nh, w, (size_t)len, PKT_ADDR_V4)
                            : unkeyed_name(w, (size_t)len, PKT_ADDR_V4);
        uint64_t b[2];
        scan_hindex_buckets(&h, hh, b);
        if ((b[0] == vb[0] && b[1] == vb[1]) || (b[0] == vb[1] && b[1] == vb[0])) {
            memcpy(at->wire[n], w, (size_t)len);
            at->len[n] = (uint8_t)len;
            snprintf(at->text[n], sizeof(at->text[n]), "%s", txt);
            n++;
        }
    }
    cr_assert_eq(n, NAMES, "found %u colliding names", n);
    scan_hindex_fini(&h);
}

/* ---- the peer: answers over the in-memory engine ----------------------------- */

struct peer {
    struct pkt_engine *e;
    const struct attack *at;
    /* Other targets' queries wait until the attack is in place (the
     * attacker's 16 A queries seen), so the victim, admitted only once
     * earlier targets are done, always meets it. */
    struct pkt_dgram held[WINDOW];
    uint8_t held_data[WINDOW][512];
    unsigned nb_held;
    _Atomic int quit;
    _Atomic unsigned a_queries; /* A queries for the attacker's names seen */
    pthread_t th;
};

static size_t put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}

/* Answer query d: a PTR one (others are never answered); other targets'
 * PTR queries are held until the attack is in place, unless release. */
static void answer(struct peer *p, const struct pkt_dgram *d, bool release)
{
    uint8_t out[2048];
    const uint8_t *q = d->data;
    size_t off = 12;
    while (off < d->len && q[off] != 0)
        off += q[off] + 1u;
    if (off + 5 > d->len)
        return;
    unsigned qtype = (unsigned)(q[off + 1] << 8 | q[off + 2]);
    if (qtype != PKT_DNS_TYPE_PTR) {
        atomic_fetch_add(&p->a_queries, 1); /* never answered */
        return;
    }
    char txt[PKT_DNS_PRESENT_MAX];
    unsigned a, b, c, t;
    if (pkt_dns_name_present(q + 12, off + 1 - 12, txt, sizeof(txt)) < 0 ||
        sscanf(txt, "%u.%u.%u.%u.in-addr.arpa", &t, &c, &b, &a) != 4)
        return;
    if (t != ATTACKER && !release && atomic_load(&p->a_queries) < NAMES && p->nb_held < WINDOW &&
        d->len <= sizeof(p->held_data[0])) {
        p->held[p->nb_held] = *d;
        memcpy(p->held_data[p->nb_held], d->data, d->len);
        p->held[p->nb_held].data = p->held_data[p->nb_held];
        p->nb_held++;
        return;
    }
    size_t len = off + 5;
    memcpy(out, q, len);
    out[2] = (uint8_t)(0x80 | (q[2] & 0x01));
    out[3] = 0x80;
    memset(out + 6, 0, 6);
    if (t == ATTACKER) {
        put16(out + 6, NAMES);
        for (unsigned i = 0; i < NAMES; i++) {
            len += put16(out + len, 0xC00C);
            len += put16(out + len, PKT_DNS_TYPE_PTR);
            len += put16(out + len, 1);
            len += put16(out + len, 0);
            len += put16(out + len, 60);
            len += put16(out + len, p->at->len[i]);
            memcpy(out + len, p->at->wire[i], p->at->len[i]);
            len += p->at->len[i];
        }
    } else {
        out[3] |= PKT_DNS_RCODE_NXDOMAIN;
    }
    struct pkt_dgram r = *d;
    r.data = out;
    r.len = (uint16_t)len;
    while (!pkt_engine_mem_peer_send(p->e, &r) && !atomic_load(&p->quit))
        ;
}

static void *peer_main(void *arg)
{
    struct peer *p = arg;
    static uint8_t buf[64 * PKT_ENGINE_RX_BUF_LEN];
    struct pkt_dgram d[64];
    while (!atomic_load(&p->quit)) {
        unsigned n = pkt_engine_mem_peer_recv(p->e, d, buf, 64);
        for (unsigned k = 0; k < n; k++)
            answer(p, &d[k], false);
        if (p->nb_held > 0 && atomic_load(&p->a_queries) >= NAMES) {
            for (unsigned k = 0; k < p->nb_held; k++)
                answer(p, &p->held[k], true);
            p->nb_held = 0;
        }
        if (n == 0) {
            struct timespec ts = { 0, 100000 };
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

/* ---- hooks -------------------------------------------------------------------- */

struct rows {
    struct peer *peer;
    unsigned next;
    unsigned n[NB], verdict[NB], stage[NB];
};

/* Targets in index order. */
static bool next_target(void *ctx, unsigned q, struct pkt_addr *out, uint64_t *pos)
{
    (void)q;
    struct rows *r = ctx;
    if (r->next >= NB)
        return false;
    *pos = r->next;
    target_addr(r->next++, out);
    return true;
}

static uint32_t classify(void *ctx, const uint8_t *w, size_t len, const struct pkt_addr *t,
                         bool *unusable)
{
    (void)ctx, (void)w, (void)len, (void)t;
    *unusable = false;
    return 0;
}

static int format(void *ctx, const struct stats_record *r, char *buf, size_t cap)
{
    (void)ctx;
    return snprintf(buf, cap, "%u %u %u\n", r->ip.bytes[3], r->verdict, r->stage);
}

static int write_lines(void *ctx, const char *buf, size_t len)
{
    struct rows *r = ctx;
    for (const char *p = buf, *end = buf + len; p < end;) {
        unsigned i, v, st;
        if (sscanf(p, "%u %u %u", &i, &v, &st) == 3 && i < NB) {
            r->n[i]++;
            r->verdict[i] = v;
            r->stage[i] = st;
        }
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl != NULL ? nl + 1 : end;
    }
    return 0;
}

/* Run the attack; returns scan_run's result, rows and totals filled. */
static int run_attack(const struct attack *at, struct rows *rows, struct scan_result *res)
{
    static struct scan_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.resolvers[0].addr.family = PKT_ADDR_V4;
    cfg.resolvers[0].addr.bytes[0] = 192;
    cfg.resolvers[0].addr.bytes[2] = 2;
    cfg.resolvers[0].addr.bytes[3] = 53;
    cfg.resolvers[0].port = 53;
    cfg.nb_resolvers = 1;
    cfg.rate = 20000;
    cfg.timeout_ms = 1000; /* the attacker's lookups outlive the victim's wait */
    cfg.retries = 0;
    cfg.max_ptr = NAMES;
    cfg.rd = true;
    cfg.window = WINDOW;
    cfg.fwd_cap = FWD_CAP;
    cfg.key = key;
    cfg.engine_ops = &pkt_engine_mem;
    cfg.engine_cfg = (struct pkt_engine_config){ .nb_ports = 64, .want_v4 = true };
    cfg.line_max = 256;
    cfg.hooks = (struct scan_hooks){ .ctx = rows,
                                     .next_target = next_target,
                                     .classify = classify,
                                     .format = format,
                                     .write = write_lines };
    char err[128];
    struct pkt_engine *e = NULL;
    cr_assert_eq(pkt_engine_mem.open(&cfg.engine_cfg, &e, err, sizeof(err)), 0, "%s", err);
    static struct peer peer;
    memset(&peer, 0, sizeof(peer));
    peer.e = e;
    peer.at = at;
    rows->peer = &peer;
    cr_assert_eq(pthread_create(&peer.th, NULL, peer_main, &peer), 0);
    cfg.engine = e;
    int rc = scan_run(&cfg, res);
    atomic_store(&peer.quit, 1);
    pthread_join(peer.th, NULL);
    pkt_engine_mem.close(e);
    return rc;
}

/* Every target has one right row: the attacker's names never answer
 * (tempfail, forward), everything else is no-ptr. */
static void check_rows(const struct rows *rows)
{
    for (unsigned i = 0; i < NB; i++) {
        cr_expect_eq(rows->n[i], 1, "target %u: %u rows", i, rows->n[i]);
        if (i == ATTACKER)
            cr_expect(rows->verdict[i] == STATS_VERDICT_TEMPFAIL &&
                          rows->stage[i] == STATS_STAGE_FORWARD,
                      "attacker: verdict %u stage %u", rows->verdict[i], rows->stage[i]);
        else
            cr_expect_eq(rows->verdict[i], STATS_VERDICT_NO_PTR, "target %u: verdict %u", i,
                         rows->verdict[i]);
    }
}

Test(scan_index, names_built_against_the_unkeyed_hash_do_not_collide, .timeout = 120)
{
    static struct attack at;
    static struct rows rows;
    static struct scan_result res;
    build_attack(&at, false);
    int rc = run_attack(&at, &rows, &res);
    cr_assert_eq(rc, 0, "scan_run: %s", res.error);
    check_rows(&rows);
    cr_assert_eq(res.totals.index_full, 0, "the victim waited %llu times",
                 (unsigned long long)res.totals.index_full);
}

Test(scan_index, a_target_whose_buckets_are_full_waits_and_gets_its_row, .timeout = 120)
{
    static struct attack at;
    static struct rows rows;
    static struct scan_result res;
    build_attack(&at, true);
    int rc = run_attack(&at, &rows, &res);
    cr_assert_eq(rc, 0, "scan_run: %s", res.error);
    check_rows(&rows);
    cr_assert_geq(res.totals.index_full, 1, "the victim should have waited");
}
