/*
 * scanner/tx.c - the TX thread: admission, rates, batches, retry timers.
 *
 * Each TX worker takes its targets from the next_target hook (its part of
 * the permutation), admits them while the window, the forward table's
 * reserve and the token buckets allow, sends every query (first attempts,
 * send orders from RX and TCP, retries) in batches sorted by socket, and
 * owns the retry timers of the queries it sent: a timer that fires on a
 * query still in its state advances it to the next attempt or ends it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanner/checkpoint.h"
#include "scanner/scan_internal.h"

/* The packet path: no allocation, no stdio (messages go through scan_notices). */
#pragma GCC poison malloc calloc realloc free strdup fprintf printf fputs puts perror

static int cmp_dgram(const void *a, const void *b)
{
    const struct pkt_dgram *x = a, *y = b;
    if (x->peer.family != y->peer.family)
        return x->peer.family - y->peer.family;
    return (int)x->local_port - (int)y->local_port;
}

static void tx_flush(struct scan *s, struct worker *w, struct txbatch *b)
{
    if (b->n == 0)
        return;
    /* Group by socket so each sendmmsg carries several datagrams. */
    qsort(b->d, b->n, sizeof(b->d[0]), cmp_dgram);
    unsigned off = 0;
    unsigned spins = 0;
    while (off < b->n) {
        unsigned k = s->cfg->engine_ops->tx_burst(s->engine, w->q, b->d + off, b->n - off);
        off += k;
        if (k == 0) {
            if (++spins > 1000 || atomic_load(&s->stopping) == 2)
                break;
            struct timespec ts = { 0, 50000 };
            nanosleep(&ts, NULL);
        }
    }
    b->n = 0;
}

/*
 * Timers: one FIFO per attempt number. Every entry of a FIFO has the same
 * timeout, so pushing in send order keeps each FIFO sorted by deadline and
 * expiry is a look at the heads. An answered query leaves its entry behind
 * (RX cannot touch TX's queues); the entry is recognised as stale by its
 * state word. When a FIFO fills, stale entries are squeezed out in place:
 * with room for twice the number of queries that can be pending, each
 * compaction frees at least half the FIFO.
 */
static bool timer_live(struct scan *s, const struct timer *t)
{
    return atomic_load_explicit(&scan_lookup_of(s, t->ref)->state, memory_order_relaxed) ==
           t->state;
}

static void timerq_compact(struct scan *s, struct timerq *q)
{
    size_t out = q->head;
    for (size_t i = q->head; i != q->tail; i++) {
        struct timer t = q->t[i & (q->cap - 1)];
        if (timer_live(s, &t))
            q->t[out++ & (q->cap - 1)] = t;
    }
    q->tail = out;
}

static void timer_push(struct scan *s, struct worker *w, uint32_t ref, uint32_t state,
                       unsigned attempt, uint64_t deadline)
{
    struct timerq *q = &w->timers[attempt];
    if (q->tail - q->head == q->cap)
        timerq_compact(s, q);
    if (q->tail - q->head == q->cap) {
        scan_set_fatal(s, "internal: timer queue overflow");
        return;
    }
    q->t[q->tail & (q->cap - 1)] =
        (struct timer){ .ref = ref, .state = state, .deadline_ns = deadline };
    q->tail++;
}

/* Build and queue the current attempt of ref's query. TX only. */
static void tx_send(struct scan *s, struct worker *w, struct txbatch *b, uint32_t ref,
                    uint32_t state)
{
    const struct scan_config *cfg = s->cfg;
    unsigned attempt;
    bool phase2;
    if (!scan_qs_pending(state, &attempt, &phase2))
        return;
    struct scan_lookup *l = scan_lookup_of(s, ref);
    const uint8_t *qname = l->qname;
    uint8_t qlen = l->qname_len;
    uint16_t qtype = scan_lookup_ops_of(ref)->qtype(s, ref, phase2);
    struct ident id;
    scan_ident_make(s, qtype, attempt, qname, qlen, &id);
    /* Published before the packet leaves, like nocase: the reply is checked
     * against it. */
    id.resolver = scan_resolver_pick(s, id.resolver, w->now_ns);
    atomic_store_explicit(&l->res_of[attempt], (uint8_t)id.resolver, memory_order_release);
    atomic_store_explicit(&s->by_id[id.id], ref + 1, memory_order_relaxed);
    const struct scan_resolver *res = &cfg->resolvers[id.resolver];

    if (b->n == TX_BATCH_MAX)
        tx_flush(s, w, b);
    uint8_t *buf = b->buf[b->n];
    uint8_t name[PKT_DNS_NAME_MAX];
    memcpy(name, qname, qlen);
    if (scan_use_0x20(s, id.resolver))
        pkt_dns_name_case20(name, qlen, id.case_bits);
    else if (cfg->use_0x20)
        /* Published before the packet leaves: its answer is then checked
         * without case, answers to earlier attempts still with case. */
        atomic_fetch_or_explicit(&l->nocase, 1u << attempt, memory_order_release);
    struct pkt_dns_query q = {
        .qname = name, .qname_len = qlen, .qtype = qtype, .id = id.id, .rd = cfg->rd, .edns = true
    };
    int len = pkt_dns_query_build(buf, PKT_DNS_QUERY_MAX, &q);
    if (len < 0)
        return;
    b->d[b->n] = (struct pkt_dgram){ .peer = res->addr,
                                     .peer_port = res->port,
                                     .local_port = id.port,
                                     .len = (uint16_t)len,
                                     .data = buf };
    b->n++;
    /* Every query counts against the global and the resolver's rate;
     * retries and forward lookups may overdraw, which holds back new
     * targets until the buckets refill. */
    w->tokens -= 1;
    w->res_tokens[id.resolver] -= 1;
    atomic_fetch_add_explicit(&l->queries, 1, memory_order_relaxed);
    cnt_add(&w->c.sent, 1);
    if (attempt > 0)
        cnt_add(&w->c.retried, 1);
    timer_push(s, w, ref, state, attempt,
               w->now_ns +
                   (uint64_t)scan_attempt_timeout_ms(cfg->timeout_ms, attempt) * 1000000ull);
}

/* End ref's lookup with a timeout (or an abort when stopping). TX only. */
static void tx_expire(struct scan *s, struct worker *w, uint32_t ref, uint32_t state,
                      bool abort_now)
{
    struct scan_lookup *l = scan_lookup_of(s, ref);
    if (!atomic_compare_exchange_strong(&l->state, &state,
                                        scan_qs_make(scan_qs_gen(state), SCAN_Q_DONE)))
        return; /* answered meanwhile */
    /* A timeout after SERVFAIL/REFUSED from another resolver ends with that. */
    uint8_t reason = atomic_load(&l->temp_reason);
    /* ... and then its rcode is the final one (ptr_rcode agrees with the reason). */
    struct scan_ended e = { .outcome = abort_now ? OUTCOME_ABORT : SCAN_OUTCOME_TEMP,
                            .reason = reason != 0 ? reason : STATS_REASON_TIMEOUT,
                            .phase2 = (state & SCAN_Q_PHASE2) != 0,
                            .rcode = reason != 0 ? atomic_load(&l->temp_rcode) : -1 };
    scan_lookup_end(s, w, ref, &e);
}

static void tx_timers(struct scan *s, struct worker *w, struct txbatch *b, bool stopping,
                      bool abort_all)
{
    const struct scan_config *cfg = s->cfg;
    for (unsigned a = 0; a <= cfg->retries; a++) {
        struct timerq *q = &w->timers[a];
        while (q->head != q->tail) {
            struct timer *tm = &q->t[q->head & (q->cap - 1)];
            if (!abort_all && tm->deadline_ns > w->now_ns)
                break;
            struct timer t = *tm;
            q->head++;
            _Atomic uint32_t *stp = &scan_lookup_of(s, t.ref)->state;
            uint32_t cur = atomic_load(stp);
            if (cur != t.state)
                continue; /* answered, advanced or recycled */
            if (!abort_all && !stopping) {
                scan_breaker_timeout(s, w,
                                     atomic_load_explicit(&scan_lookup_of(s, t.ref)->res_of[a],
                                                          memory_order_relaxed));
            }
            if (abort_all || stopping) {
                tx_expire(s, w, t.ref, t.state, true);
            } else if (a < cfg->retries) {
                bool phase2 = (t.state & SCAN_Q_PHASE2) != 0;
                uint32_t next = scan_qs_pending_make(scan_qs_gen(t.state), a + 1, phase2);
                if (atomic_compare_exchange_strong(stp, &cur, next))
                    tx_send(s, w, b, t.ref, next);
            } else {
                tx_expire(s, w, t.ref, t.state, false);
            }
        }
    }
}

/* Admit one target from the hook. False when there are no more. */
/* Keep target a (position pos) for the next admission round. */
static void tx_stash(struct worker *w, const struct pkt_addr *a, uint64_t pos)
{
    w->stash = *a;
    w->stash_pos = pos;
    w->has_stash = true;
}

/* Admit one target from the hook. False when there are no more; *no_room
 * when it has to wait (it is kept for the next round). */
static bool tx_admit(struct scan *s, struct worker *w, struct txbatch *b, bool *no_room)
{
    const struct scan_config *cfg = s->cfg;
    *no_room = false;
    /* Reserve forward entries for the PTR answers in flight (back-pressure:
     * nothing is dropped, admission just waits). */
    size_t fwd_avail = scan_idxq_count(&s->fwd_free) + scan_idxq_count(&s->fwd_idle);
    if (fwd_avail < 64 + 2 * atomic_load(&s->ptr_pending)) {
        *no_room = true;
        return true;
    }
    struct pkt_addr a;
    uint64_t pos = atomic_load_explicit(&w->admitted, memory_order_relaxed);
    bool was_stashed = w->has_stash;
    if (w->has_stash) {
        a = w->stash;
        pos = w->stash_pos;
        w->has_stash = false;
    } else if (!cfg->hooks.next_target(cfg->hooks.ctx, w->q, &a, &pos)) {
        return false;
    }
    uint8_t rev[PKT_REV_V6_MAX];
    int len = pkt_rev_name(&a, rev, sizeof(rev));
    if (len < 0)
        return true;
    if (cfg->resolver_rate > 0) {
        struct ident id;
        scan_ident_make(s, PKT_DNS_TYPE_PTR, 0, rev, (size_t)len, &id);
        if (w->res_tokens[scan_resolver_pick(s, id.resolver, w->now_ns)] < 1) {
            tx_stash(w, &a, pos);
            *no_room = true;
            return true;
        }
    }
    uint32_t ti;
    if (!scan_idxq_pop(&s->tgt_free, &ti)) {
        tx_stash(w, &a, pos);
        *no_room = true;
        return true;
    }
    struct tgt *t = &s->tgts[ti];
    uint64_t hkey = scan_nethash_addr(&s->nethash, &a);
    if (!scan_hindex_insert(&s->index, hkey, ti) &&
        !(scan_fwd_make_room(s, w, hkey) && scan_hindex_insert(&s->index, hkey, ti))) {
        /* Both of its buckets hold running lookups: the target waits for
         * them to end (never published: the slot goes straight back). The
         * count says how many targets had to wait, not how often. */
        if (!was_stashed || !w->stash_counted)
            cnt_add(&w->c.index_full, 1);
        w->stash_counted = true;
        scan_idxq_push(&s->tgt_free, ti);
        tx_stash(w, &a, pos);
        *no_room = true;
        return true;
    }
    w->stash_counted = false;
    uint32_t gen = (scan_qs_gen(atomic_load(&t->l.state)) + 1) & 0xFFFFFF;
    atomic_store(&t->l.state, scan_qs_make(gen, SCAN_Q_IDLE));
    t->ip = a;
    memcpy(t->rev, rev, (size_t)len);
    t->l.qname_len = (uint8_t)len;
    t->nb_names = 0;
    t->flags = 0;
    t->aborted = false;
    t->ptr_rcode = -1;
    fp_store(&t->l.fp, 0);
    t->t_start_ns = w->now_ns;
    atomic_store(&t->l.queries, 0);
    atomic_store(&t->l.nocase, 0);
    atomic_store(&t->l.temp_reason, 0);
    atomic_store(&t->l.temp_rcode, -1);
    atomic_store(&t->outstanding, 0);
    t->l.hkey = hkey;
    atomic_fetch_add(&s->active, 1);
    atomic_fetch_add(&s->ptr_pending, 1);
    atomic_fetch_add(&s->started, 1);
    /* Published before the admission count that covers it (checkpoints). */
    atomic_store_explicit(&s->live[ti],
                          ((uint64_t)w->q << SCAN_CKPT_POS_BITS | (pos & SCAN_CKPT_POS_MASK)) + 1,
                          memory_order_release);
    atomic_store_explicit(&w->admitted, pos + 1, memory_order_release);
    uint32_t st = scan_qs_pending_make(gen, 0, false);
    atomic_store(&t->l.state, st);
    tx_send(s, w, b, ti, st);
    return true;
}

void *scan_tx_main(void *arg)
{
    struct worker *w = arg;
    struct scan *s = w->s;
    const struct scan_config *cfg = s->cfg;
    struct txbatch *b = w->batch;
    /* This worker's share of the rates (TX workers split them evenly). */
    double rate = (double)cfg->rate / s->nb_tx;
    double res_rate = (double)cfg->resolver_rate / s->nb_tx;
    double batch = rate / 1000.0;
    if (batch < 1)
        batch = 1;
    if (batch > TX_BATCH_MAX)
        batch = TX_BATCH_MAX;
    /* Buckets hold at most 10 ms of tokens (at least a few packets). */
    double burst = rate / 100.0 > 64 ? rate / 100.0 : 64;
    double res_burst = res_rate / 100.0 > 8 ? res_rate / 100.0 : 8;
    uint64_t last_ns = mono_ns();
    bool targets_left = true;
    uint64_t stop_at = 0;
    uint64_t deadline =
        cfg->max_runtime_s > 0 ? s->t0_ns + (uint64_t)(cfg->max_runtime_s * 1e9) : UINT64_MAX;

    for (;;) {
        w->now_ns = mono_ns();
        w->wall_ms = wall_ms();
        int stopping = atomic_load(&s->stopping);
        if (cfg->stop != NULL && *cfg->stop > stopping) {
            stopping = *cfg->stop;
            atomic_store(&s->stopping, stopping);
        }
        if (stopping == 0 && w->now_ns >= deadline) {
            stopping = 1;
            atomic_store(&s->stopping, 1);
        }
        if (stopping && stop_at == 0)
            stop_at = w->now_ns;
        /* Draining ends after one first-attempt timeout; then all remaining
         * lookups are cut (no record; a resume asks them again). */
        bool abort_all =
            stopping == 2 || (stopping == 1 && w->now_ns > stop_at + cfg->timeout_ms * 1000000ull);

        double dt = (double)(w->now_ns - last_ns) / 1e9;
        last_ns = w->now_ns;
        w->tokens += dt * rate;
        if (w->tokens > burst)
            w->tokens = burst;
        if (cfg->resolver_rate > 0) {
            for (unsigned r = 0; r < cfg->nb_resolvers; r++) {
                w->res_tokens[r] += dt * res_rate;
                if (w->res_tokens[r] > res_burst)
                    w->res_tokens[r] = res_burst;
            }
        }

        scan_epoch_enter(&s->epoch, w->id);
        uint32_t slot;
        unsigned work = 0;
        /* Send orders: a bounded share per pass, so that one TX worker
         * does not take them all while the others idle. */
        unsigned orders = 0;
        while (orders < TX_BATCH_MAX && scan_idxq_pop(&s->txreq_q, &slot)) {
            orders++;
            struct txreq rq = s->txreqs[slot];
            scan_idxq_push(&s->txreq_free, slot);
            uint32_t st = atomic_load(&scan_lookup_of(s, rq.ref)->state);
            if (scan_qs_gen(st) != rq.gen)
                continue;
            if (stopping) {
                unsigned a;
                bool p2;
                if (scan_qs_pending(st, &a, &p2))
                    tx_expire(s, w, rq.ref, st, true);
                continue;
            }
            tx_send(s, w, b, rq.ref, st);
            work++;
        }
        tx_timers(s, w, b, stopping != 0, abort_all);
        /* New targets go out in batches of about a millisecond of the rate
         * (at most TX_BATCH_MAX): fewer wake-ups and fuller sendmmsg calls
         * than one query per loop, at a cost of a millisecond of latency. */
        if (!stopping && targets_left && w->tokens >= batch) {
            while (w->tokens >= 1) {
                bool no_room;
                if (!tx_admit(s, w, b, &no_room)) {
                    targets_left = false;
                    break;
                }
                if (no_room)
                    break;
                work++;
            }
        }
        scan_epoch_exit(&s->epoch, w->id);
        tx_flush(s, w, b);
        scan_reclaim(s, w);

        /* A TX worker whose targets are done stays while any target is in
         * flight: its timers, and send orders any TX worker may take. */
        if ((!targets_left || stopping) && atomic_load(&s->active) == 0)
            break;
        if (atomic_load(&s->fatal))
            break;
        if (work == 0 && orders == 0) {
            /* Nothing to admit any more (draining): only timers, which are
             * hundreds of milliseconds, so 1 ms. Waiting for tokens: until
             * a batch is there. Waiting for room in the window: 200 us. */
            long ns = 200000;
            if (!targets_left || stopping) {
                ns = 1000000;
            } else if (w->tokens < batch) {
                ns = (long)((batch - w->tokens) / rate * 1e9);
                ns = ns < 50000 ? 50000 : ns > 1000000 ? 1000000 : ns;
            }
            struct timespec ts = { 0, ns };
            nanosleep(&ts, NULL);
        }
    }
    atomic_fetch_sub(&s->tx_running, 1);
    return NULL;
}
