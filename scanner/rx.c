/*
 * scanner/rx.c - the RX thread: receive, scan_validate, attribute.
 *
 * A datagram is accepted only from a resolver we asked (checked before
 * parsing), then parsed (packet/dns.h), then found by its question: a PTR
 * question names its target, an A/AAAA question its forward entry. The
 * query it answers must be pending, and the reply must carry the ID, our
 * port and, with 0x20, the case of one of its attempts, from the resolver
 * that attempt went to (RFC 5452). Everything else is counted by reason and
 * dropped; the lookup stays pending. Replies to lookups that have ended are
 * told apart as duplicates, conflicts or late.
 */
#include <sched.h>
#include <string.h>

#include "scanner/scan_internal.h"

/* The packet path: no allocation, no stdio (messages go through scan_notices). */
#pragma GCC poison malloc calloc realloc free strdup fprintf printf fputs puts perror

static int resolver_index(const struct scan *s, const struct pkt_addr *a, uint16_t port)
{
    for (unsigned i = 0; i < s->cfg->nb_resolvers; i++)
        if (s->cfg->resolvers[i].port == port && pkt_addr_equal(&s->cfg->resolvers[i].addr, a))
            return (int)i;
    return -1;
}

/* Count a reply that matched no pending query: a copy of one we took
 * (duplicate), a different answer to one we took (conflict), or late. */
static void drop_unmatched(struct scan *s, struct worker *w, uint64_t key,
                           const struct pkt_dns_reply *r)
{
    struct recent *rc = &s->recent[key & (RECENT_SLOTS - 1)];
    if (atomic_load_explicit(&rc->key, memory_order_relaxed) == key) {
        uint64_t fp = atomic_load_explicit(&rc->fp, memory_order_relaxed);
        if (fp == 0 || fp == FP_NONE)
            cnt_add(&w->c.dropped[STATS_DROP_LATE], 1);
        else if (fp == scan_reply_fp(r))
            cnt_add(&w->c.dropped[STATS_DROP_DUPLICATE], 1);
        else
            cnt_add(&w->c.dropped[STATS_DROP_CONFLICT], 1);
        return;
    }
    cnt_add(&w->c.dropped[STATS_DROP_LATE], 1);
}

/*
 * Whether reply r (from resolver ri, on local_port), whose question matches
 * no query in flight, has the ID, port and source of a pending query (the
 * one last sent with that ID): then it answers another name, type or class
 * than we asked (M04). Reads the slot only after seeing it pending, inside
 * the caller's epoch section, so it cannot be reinitialised meanwhile.
 */
static bool question_mismatch(struct scan *s, const struct pkt_dns_reply *r, int ri,
                              uint16_t local_port)
{
    uint32_t v = atomic_load_explicit(&s->by_id[r->id], memory_order_relaxed);
    if (v == 0)
        return false;
    uint32_t ref = v - 1;
    const struct scan_lookup *l = scan_lookup_of(s, ref);
    unsigned cur;
    bool phase2;
    if (!scan_qs_pending(atomic_load_explicit(&l->state, memory_order_acquire), &cur, &phase2))
        return false;
    uint16_t qtype = scan_lookup_ops_of(ref)->qtype(s, ref, phase2);
    for (unsigned a = 0; a <= cur; a++) {
        struct ident id;
        scan_ident_make(s, qtype, a, l->qname, l->qname_len, &id);
        if (id.id == r->id && id.port == local_port &&
            (int)atomic_load_explicit(&l->res_of[a], memory_order_acquire) == ri)
            return true;
    }
    return false;
}

/* A reply whose question (key) matches no query in flight: one we
 * remember ending (duplicate, conflict, late), one that carries a pending
 * query's ID under another question (question-mismatch), else late. */
static void drop_foreign(struct scan *s, struct worker *w, uint64_t key,
                         const struct pkt_dns_reply *r, int ri, uint16_t local_port)
{
    const struct recent *rc = &s->recent[key & (RECENT_SLOTS - 1)];
    if (atomic_load_explicit(&rc->key, memory_order_relaxed) != key &&
        question_mismatch(s, r, ri, local_port)) {
        cnt_add(&w->c.dropped[STATS_DROP_QUESTION], 1);
        return;
    }
    drop_unmatched(s, w, key, r);
}

/*
 * The RX worker that took the answer publishes its fingerprint right after
 * its claim; another RX worker can get here in between and waits for it, a
 * few instructions unless the winner was preempted (then, after a bounded
 * wait, a duplicate is the likely kind: both arrived together).
 */
void scan_count_ended(struct scan *s, struct worker *w, const struct scan_lookup *l, uint32_t st,
                      const struct pkt_dns_reply *r, uint64_t key)
{
    unsigned drop = STATS_DROP_LATE;
    if (scan_qs_is_tcp(st)) {
        drop = STATS_DROP_DUPLICATE; /* its UDP copy was truncated, and taken */
    } else if (scan_qs_q(st) == SCAN_Q_DONE || scan_qs_q(st) == SCAN_Q_IDLE) {
        /* Ended (DONE), or its whole target or entry finished since (IDLE,
         * same generation). The fingerprint stays this query's while the
         * generation does; a new generation is a new occupant of the slot:
         * what it holds is not ours, and this reply is late. */
        uint32_t gen = scan_qs_gen(st);
        uint64_t fp = fp_load(&l->fp);
        bool same = scan_qs_gen(atomic_load_explicit(&l->state, memory_order_acquire)) == gen;
        for (unsigned i = 0; same && fp == 0 && i < 1000; i++) {
            sched_yield();
            fp = fp_load(&l->fp);
            same = scan_qs_gen(atomic_load_explicit(&l->state, memory_order_acquire)) == gen;
        }
        if (!same) {
            /* Recycled: what the slot's last lookup left in the table of
             * recent answers decides, as for a reply found in no slot. */
            drop_unmatched(s, w, key, r);
            return;
        }
        if (fp == 0)
            drop = STATS_DROP_DUPLICATE; /* the winner is still publishing: a copy */
        else if (fp != FP_NONE)
            drop = fp == scan_reply_fp(r) ? STATS_DROP_DUPLICATE : STATS_DROP_CONFLICT;
    }
    cnt_add(&w->c.dropped[drop], 1);
}

int scan_validate(struct scan *s, struct worker *w, const struct scan_lookup *l, uint32_t st,
                  const struct pkt_dns_reply *r, int ri, uint16_t local_port)
{
    unsigned cur;
    bool phase2;
    if (!scan_qs_pending(st, &cur, &phase2))
        return -1;
    uint32_t nocase = atomic_load_explicit(&l->nocase, memory_order_acquire);
    const uint8_t *qname = l->qname;
    uint8_t qlen = l->qname_len;
    int drop = STATS_DROP_WRONG_ID;
    for (int a = (int)cur; a >= 0; a--) {
        struct ident id;
        scan_ident_make(s, r->qtype, (unsigned)a, qname, qlen, &id);
        if (id.id != r->id)
            continue;
        if ((int)atomic_load_explicit(&l->res_of[a], memory_order_acquire) != ri) {
            drop = STATS_DROP_WRONG_SOURCE;
            continue;
        }
        if (id.port != local_port) {
            drop = STATS_DROP_WRONG_PORT;
            continue;
        }
        if (s->cfg->use_0x20 && !(nocase & (1u << a))) {
            uint8_t want[PKT_DNS_NAME_MAX];
            memcpy(want, qname, qlen);
            pkt_dns_name_case20(want, qlen, id.case_bits);
            if (!pkt_dns_name_equal_case(want, qlen, r->qname.wire, r->qname.len)) {
                /* A resolver that lower-cases every question cannot do 0x20.
                 * It counts as such only after SCAN_0X20_LOWER_MAX lower-cased
                 * answers spread over at least one first-attempt timeout
                 * with no answer that echoed our case: a spoofer who
                 * guesses IDs sends its lower-cased forgeries just before a
                 * genuine answer, which proves the resolver keeps case. Then
                 * say so once; later queries go to it without 0x20. */
                uint8_t low[PKT_DNS_NAME_MAX];
                memcpy(low, r->qname.wire, r->qname.len);
                pkt_dns_name_lower(low, r->qname.len);
                uint64_t zero = 0;
                bool lower = memcmp(low, r->qname.wire, r->qname.len) == 0;
                if (lower)
                    atomic_compare_exchange_strong(&s->res_case_lower_since[ri], &zero, w->now_ns);
                uint64_t since = atomic_load(&s->res_case_lower_since[ri]);
                if (lower && !atomic_load_explicit(&s->res_case_ok[ri], memory_order_relaxed) &&
                    atomic_fetch_add(&s->res_case_lower[ri], 1) + 1 >= SCAN_0X20_LOWER_MAX &&
                    w->now_ns >= since + (uint64_t)s->cfg->timeout_ms * 1000000ull &&
                    atomic_load(&s->res_no0x20[ri]) == 0)
                    /* Said once, by the main thread (scan.c: notices). */
                    atomic_store(&s->res_no0x20[ri], 1);
                drop = STATS_DROP_CASE;
                continue;
            }
            atomic_store_explicit(&s->res_case_ok[ri], 1, memory_order_relaxed);
        }
        return a;
    }
    cnt_add(&w->c.dropped[drop], 1);
    return -1;
}

/* A PTR answer: its question names the target. */
static void rx_ptr(struct scan *s, struct worker *w, const struct pkt_dns_reply *r, int ri,
                   uint16_t local_port)
{
    struct pkt_addr a;
    if (pkt_rev_name_parse(r->qname.wire, r->qname.len, &a) != 0) {
        cnt_add(&w->c.dropped[STATS_DROP_QUESTION], 1);
        return;
    }
    uint64_t key = scan_nethash_addr(&s->nethash, &a);
    uint32_t cand[CAND_MAX];
    unsigned n = scan_hindex_find(&s->index, key, cand, CAND_MAX);
    for (unsigned i = 0; i < n; i++) {
        if (cand[i] & SCAN_REF_FWD)
            continue;
        struct tgt *t = scan_tgt_of(s, cand[i]);
        if (t->l.hkey == key && pkt_addr_equal(&t->ip, &a)) {
            scan_lookup_answer(s, w, cand[i], key, r, ri, local_port, false, 0, 0);
            return;
        }
    }
    drop_foreign(s, w, key, r, ri, local_port);
}

/* An A/AAAA answer: its question names a forward entry. */
static void rx_fwd(struct scan *s, struct worker *w, const struct pkt_dns_reply *r, int ri,
                   uint16_t local_port)
{
    uint8_t low[PKT_DNS_NAME_MAX];
    memcpy(low, r->qname.wire, r->qname.len);
    pkt_dns_name_lower(low, r->qname.len);
    /* The entry is keyed by the targets' family; an A question belongs to an
     * IPv4 entry's first phase or an IPv6 entry's second, and vice versa. */
    static const uint8_t fams[2] = { PKT_ADDR_V4, PKT_ADDR_V6 };
    uint64_t first_key = 0;
    /* Two RX workers can each start an entry for the same name (their
     * PTR answers arrived together): both wait for an answer, so running
     * entries are tried first and an ended one only counts the reply. */
    uint32_t ended = UINT32_MAX;
    uint64_t ended_key = 0;
    uint32_t cand[CAND_MAX];
    for (unsigned k = 0; k < 2; k++) {
        uint8_t fam = r->qtype == PKT_DNS_TYPE_A ? fams[k] : fams[1 - k];
        uint64_t key = scan_nethash_name(&s->nethash, low, r->qname.len, fam);
        if (k == 0)
            first_key = key;
        unsigned n = scan_hindex_find(&s->index, key, cand, CAND_MAX);
        for (unsigned i = 0; i < n; i++) {
            if (!(cand[i] & SCAN_REF_FWD))
                continue;
            struct fwd *f = scan_fwd_of(s, cand[i]);
            if (f->l.hkey != key || f->family != fam || f->l.qname_len != r->qname.len ||
                memcmp(f->name, low, r->qname.len) != 0)
                continue;
            unsigned a;
            bool p2;
            if (!scan_qs_pending(atomic_load_explicit(&f->l.state, memory_order_acquire), &a,
                                 &p2)) {
                if (ended == UINT32_MAX) {
                    ended = cand[i];
                    ended_key = key;
                }
                continue;
            }
            if (scan_lookup_answer(s, w, cand[i], key, r, ri, local_port, false, 0, 0))
                return;
        }
    }
    if (ended != UINT32_MAX &&
        scan_lookup_answer(s, w, ended, ended_key, r, ri, local_port, false, 0, 0))
        return;
    drop_foreign(s, w, first_key, r, ri, local_port);
}

static void rx_one(struct scan *s, struct worker *w, const struct pkt_dgram *d)
{
    cnt_add(&w->c.received, 1);
    if (d->truncated) {
        cnt_add(&w->c.dropped[STATS_DROP_OVERSIZE], 1);
        return;
    }
    /* M14: only addresses we queried, before spending time on parsing. */
    int ri = resolver_index(s, &d->peer, d->peer_port);
    if (ri < 0) {
        cnt_add(&w->c.dropped[STATS_DROP_WRONG_SOURCE], 1);
        return;
    }
    struct pkt_dns_reply r;
    int rc = pkt_dns_reply_parse(d->data, d->len, &r);
    if (rc < 0) {
        cnt_add(&w->c.dropped[stats_drop_from_dns(rc)], 1);
        return;
    }
    if (r.qclass != PKT_DNS_CLASS_IN) {
        cnt_add(&w->c.dropped[STATS_DROP_QUESTION], 1);
        return;
    }
    if (r.qtype == PKT_DNS_TYPE_PTR)
        rx_ptr(s, w, &r, ri, d->local_port);
    else if (r.qtype == PKT_DNS_TYPE_A || r.qtype == PKT_DNS_TYPE_AAAA)
        rx_fwd(s, w, &r, ri, d->local_port);
    else
        cnt_add(&w->c.dropped[STATS_DROP_QUESTION], 1);
}

void *scan_rx_main(void *arg)
{
    struct worker *w = arg;
    struct scan *s = w->s;
    struct pkt_dgram d[PKT_ENGINE_BURST_MAX];
    while (!atomic_load(&s->all_done) && !atomic_load(&s->fatal)) {
        unsigned n = s->cfg->engine_ops->rx_burst(s->engine, w->q, d, PKT_ENGINE_BURST_MAX, 5);
        w->now_ns = mono_ns();
        w->wall_ms = wall_ms();
        scan_epoch_enter(&s->epoch, w->id);
        for (unsigned i = 0; i < n; i++)
            rx_one(s, w, &d[i]);
        scan_fwd_evict_idle(s, w);
        scan_epoch_exit(&s->epoch, w->id);
        scan_reclaim(s, w);
    }
    return NULL;
}
