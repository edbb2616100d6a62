/*
 * scanner/scan.c - one scan: setup, the threads, teardown.
 *
 * Sizes every table once from the configuration (window, forward table),
 * takes the engine the caller opened, starts the
 * writer, RX, TCP and TX threads (rooms of their own: rows.c, rx.c, tcp.c,
 * tx.c; the lookups they share: query.c, ptr.c, fwd.c), waits for the TX
 * workers to finish every target, stops the rest, takes the last
 * checkpoint and sums the counters. Also the slot lifetime that every
 * worker uses: a released slot is retired into the worker's limbo and
 * reused only after a grace period (epoch.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanner/bits.h"
#include "scanner/scan_internal.h"

void scan_set_fatal(struct scan *s, const char *msg)
{
    int expect = 0;
    if (atomic_compare_exchange_strong(&s->fatal, &expect, 1))
        snprintf(s->fatal_msg, sizeof(s->fatal_msg), "%s", msg);
    atomic_store(&s->stopping, 2);
}

void scan_notices(struct scan *s)
{
    const struct scan_config *cfg = s->cfg;
    for (unsigned r = 0; r < cfg->nb_resolvers; r++) {
        char txt[PKT_ADDR_TEXT_MAX], msg[PKT_ADDR_TEXT_MAX + 160];
        bool breaker = !s->said_breaker[r] && atomic_load(&s->res_warned[r]);
        bool no0x20 = !s->said_no0x20[r] && atomic_load(&s->res_no0x20[r]);
        if (!breaker && !no0x20)
            continue;
        pkt_addr_format(&cfg->resolvers[r].addr, txt, sizeof(txt));
        if (breaker) {
            s->said_breaker[r] = true;
            snprintf(msg, sizeof(msg),
                     "resolver %s stopped answering (%u timeouts in a row); new queries go to "
                     "the other resolvers until it answers again",
                     txt, SCAN_BREAKER_STREAK);
            if (cfg->hooks.notice != NULL)
                cfg->hooks.notice(cfg->hooks.ctx, msg);
        }
        if (no0x20) {
            s->said_no0x20[r] = true;
            snprintf(msg, sizeof(msg),
                     "resolver %s does not echo 0x20 case; its answers are now checked without "
                     "case",
                     txt);
            if (cfg->hooks.notice != NULL)
                cfg->hooks.notice(cfg->hooks.ctx, msg);
        }
    }
}

void scan_retire(struct scan *s, struct worker *w, uint32_t ref)
{
    uint64_t e = atomic_load_explicit(&s->epoch.global, memory_order_acquire);
    if (!scan_limbo_put(&w->limbo, ref, e))
        scan_set_fatal(s, "internal: limbo overflow");
}

void scan_reclaim(struct scan *s, struct worker *w)
{
    scan_epoch_advance(&s->epoch);
    uint32_t ref;
    while (scan_limbo_get(&w->limbo, &s->epoch, &ref)) {
        bool ok = (ref & SCAN_REF_FWD) ? scan_idxq_push(&s->fwd_free, ref & ~SCAN_REF_FWD)
                                       : scan_idxq_push(&s->tgt_free, ref);
        if (!ok)
            scan_set_fatal(s, "internal: free list overflow");
    }
}

static void scan_free(struct scan *s)
{
    free(s->tgts);
    free(s->fwds);
    scan_idxq_fini(&s->tgt_free);
    scan_idxq_fini(&s->fwd_free);
    scan_idxq_fini(&s->fwd_idle);
    scan_idxq_fini(&s->txreq_q);
    scan_idxq_fini(&s->txreq_free);
    scan_idxq_fini(&s->tcpjob_q);
    scan_idxq_fini(&s->tcpjob_free);
    free(s->txreqs);
    free(s->tcpjobs);
    scan_hindex_fini(&s->index);
    free(s->recent);
    free(s->by_id);
    free(s->ck_pending);
    free(s->live);
    for (unsigned i = 0; i < W_MAX; i++) {
        scan_limbo_fini(&s->w[i].limbo);
        scan_lines_fini(&s->w[i].lines);
        free(s->w[i].line_buf);
        free(s->w[i].batch);
        for (unsigned a = 0; a <= SCAN_RETRIES_MAX; a++)
            free(s->w[i].timers[a].t);
    }
    free(s);
}

static int scan_setup(struct scan *s, const struct scan_config *cfg, struct scan_result *res)
{
    s->cfg = cfg;
    s->nb_tgts = cfg->window;
    s->nb_fwds = cfg->fwd_cap;
    size_t nb_q = (size_t)s->nb_tgts + s->nb_fwds;
    s->tgts = calloc(s->nb_tgts, sizeof(s->tgts[0]));
    s->fwds = calloc(s->nb_fwds, sizeof(s->fwds[0]));
    s->recent = calloc(RECENT_SLOTS, sizeof(s->recent[0]));
    s->by_id = calloc(65536, sizeof(s->by_id[0]));
    s->txreqs = calloc(nb_q, sizeof(s->txreqs[0]));
    s->nb_tcpjobs = cfg->tcp_jobs > 0 ? cfg->tcp_jobs : SCAN_TCP_JOBS_DEFAULT;
    s->tcp_conns = cfg->tcp_conns > 0 ? cfg->tcp_conns : SCAN_TCP_CONNS_DEFAULT;
    s->tcp_per_server = cfg->tcp_per_server > 0 ? cfg->tcp_per_server : SCAN_TCP_PER_SERVER_DEFAULT;
    s->tcpjobs = calloc(s->nb_tcpjobs, sizeof(s->tcpjobs[0]));
    s->live = calloc(s->nb_tgts, sizeof(s->live[0]));
    if (s->live == NULL || (cfg->hooks.checkpoint != NULL &&
                            (s->ck_pending = calloc(s->nb_tgts, sizeof(s->ck_pending[0]))) == NULL))
        goto nomem;
    if (s->tgts == NULL || s->fwds == NULL || s->recent == NULL || s->by_id == NULL ||
        s->txreqs == NULL || s->tcpjobs == NULL)
        goto nomem;
    if (scan_idxq_init(&s->tgt_free, s->nb_tgts) || scan_idxq_init(&s->fwd_free, s->nb_fwds) ||
        scan_idxq_init(&s->fwd_idle, s->nb_fwds) || scan_idxq_init(&s->txreq_q, nb_q) ||
        scan_idxq_init(&s->txreq_free, nb_q) || scan_idxq_init(&s->tcpjob_q, s->nb_tcpjobs) ||
        scan_idxq_init(&s->tcpjob_free, s->nb_tcpjobs) || scan_hindex_init(&s->index, nb_q))
        goto nomem;
    for (uint32_t i = 0; i < s->nb_tgts; i++)
        scan_idxq_push(&s->tgt_free, i);
    /* Touched now, not as IDs and keys come up: memory does not grow
     * during a scan (and no page faults on the packet path). */
    for (uint32_t i = 0; i < 65536; i++)
        atomic_store_explicit(&s->by_id[i], 0, memory_order_relaxed);
    for (uint32_t i = 0; i < RECENT_SLOTS; i++)
        atomic_store_explicit(&s->recent[i].key, 0, memory_order_relaxed);
    for (uint32_t i = 0; i < s->nb_fwds; i++)
        scan_idxq_push(&s->fwd_free, i);
    for (uint32_t i = 0; i < nb_q; i++)
        scan_idxq_push(&s->txreq_free, i);
    for (uint32_t i = 0; i < s->nb_tcpjobs; i++)
        scan_idxq_push(&s->tcpjob_free, i);
    /* Each slot's question buffer is its lookup's qname, for good. */
    for (uint32_t i = 0; i < s->nb_tgts; i++)
        s->tgts[i].l.qname = s->tgts[i].rev;
    for (uint32_t i = 0; i < s->nb_fwds; i++)
        s->fwds[i].l.qname = s->fwds[i].name;
    s->nb_tx = cfg->engine_cfg.nb_txq > 0 ? cfg->engine_cfg.nb_txq : 1;
    s->nb_rx = cfg->engine_cfg.nb_rxq > 0 ? cfg->engine_cfg.nb_rxq : 1;
    s->nb_w = s->nb_tx + s->nb_rx + 1;
    for (unsigned i = 0; i < s->nb_w; i++) {
        struct worker *w = &s->w[i];
        w->s = s;
        w->id = i;
        w->q = i < s->nb_tx ? i : i - s->nb_tx;
        if (i >= s->nb_tx)
            continue;
        /* Each TX worker's FIFOs can hold every query that can be pending
         * (any TX worker may send any of them) twice over (compaction). */
        w->batch = calloc(1, sizeof(*w->batch));
        if (w->batch == NULL)
            goto nomem;
        for (unsigned a = 0; a <= cfg->retries; a++) {
            w->timers[a].cap = scan_pow2_at_least(2 * nb_q);
            w->timers[a].t = calloc(w->timers[a].cap, sizeof(struct timer));
            if (w->timers[a].t == NULL)
                goto nomem;
        }
    }
    for (unsigned i = 0; i < s->nb_w; i++) {
        size_t ring = cfg->line_max * 4 > ((size_t)1 << 22) ? cfg->line_max * 4 : (size_t)1 << 22;
        if (scan_limbo_init(&s->w[i].limbo, nb_q) || scan_lines_init(&s->w[i].lines, ring))
            goto nomem;
        s->w[i].line_buf = malloc(cfg->line_max);
        if (s->w[i].line_buf == NULL)
            goto nomem;
    }
    scan_epoch_init(&s->epoch, s->nb_w);
    s->key_case = scan_key_derive(cfg->key.k0 ^ cfg->key.k1, "0x20");
    scan_nethash_init(&s->nethash, &cfg->key);

    s->engine = cfg->engine;
    s->nb_ports[0] =
        cfg->engine_ops->ports(s->engine, PKT_ADDR_V4, s->ports[0], PKT_ENGINE_PORTS_MAX);
    s->nb_ports[1] =
        cfg->engine_ops->ports(s->engine, PKT_ADDR_V6, s->ports[1], PKT_ENGINE_PORTS_MAX);
    return 0;
nomem:
    snprintf(res->error, sizeof(res->error),
             "out of memory sizing the scan (window %u, "
             "forward table %u)",
             cfg->window, cfg->fwd_cap);
    return -ENOMEM;
}

int scan_run(const struct scan_config *cfg, struct scan_result *res)
{
    memset(res, 0, sizeof(*res));
    if (cfg->engine_ops == NULL || cfg->engine == NULL || cfg->nb_resolvers == 0 ||
        cfg->window == 0 || cfg->fwd_cap < 128 || cfg->retries > SCAN_RETRIES_MAX ||
        cfg->max_ptr == 0 || cfg->line_max == 0) {
        snprintf(res->error, sizeof(res->error), "invalid scan configuration");
        return -EINVAL;
    }
    struct scan *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(res->error, sizeof(res->error), "out of memory");
        return -ENOMEM;
    }
    int rc = scan_setup(s, cfg, res);
    if (rc != 0) {
        scan_free(s);
        return rc;
    }
    s->t0_ns = mono_ns();
    struct writer_arg wa = { .s = s };
    atomic_init(&wa.quit, 0);
    /* Writer first, then RX and TCP (they wait for replies), TX last. */
    pthread_t th[W_MAX], th_wr;
    bool have[W_MAX] = { false };
    bool ok = pthread_create(&th_wr, NULL, scan_writer_main, &wa) == 0;
    bool have_wr = ok;
    for (unsigned i = s->nb_tx; ok && i < s->nb_w; i++) {
        ok = pthread_create(&th[i], NULL, i + 1 == s->nb_w ? scan_tcp_main : scan_rx_main,
                            &s->w[i]) == 0;
        have[i] = ok;
    }
    for (unsigned i = 0; ok && i < s->nb_tx; i++) {
        atomic_fetch_add(&s->tx_running, 1);
        ok = pthread_create(&th[i], NULL, scan_tx_main, &s->w[i]) == 0;
        if (!ok)
            atomic_fetch_sub(&s->tx_running, 1);
        have[i] = ok;
    }
    if (!ok)
        scan_set_fatal(s, "cannot start the scan threads");
    /* This thread passes on what the workers noted until the TX workers
     * are done (they decide when the scan ends). */
    while (atomic_load(&s->tx_running) > 0) {
        scan_notices(s);
        struct timespec ts = { 0, 20000000 };
        nanosleep(&ts, NULL);
    }
    for (unsigned i = 0; i < s->nb_tx; i++)
        if (have[i])
            pthread_join(th[i], NULL);
    /* Every TX worker has left: no target is in flight any more. */
    atomic_store(&s->all_done, 1);
    for (unsigned i = s->nb_tx; i < s->nb_w; i++)
        if (have[i])
            pthread_join(th[i], NULL);
    atomic_store(&wa.quit, 1);
    if (have_wr)
        pthread_join(th_wr, NULL);
    scan_notices(s);

    /* The last checkpoint, with every worker stopped and every row written. */
    if (cfg->hooks.checkpoint != NULL && !atomic_load(&s->fatal)) {
        uint64_t next[PKT_ENGINE_TXQ_MAX];
        size_t n = scan_rows_ckpt_collect(s, next, s->ck_pending);
        if (cfg->hooks.checkpoint(cfg->hooks.ctx, next, s->ck_pending, n, s->nb_tx) != 0)
            scan_set_fatal(s, "writing the checkpoint failed");
    }
    scan_sum_counters(s, &res->totals);
    if (cfg->engine_ops->rx_drops != NULL && s->engine != NULL) {
        uint64_t fd[8] = { 0 };
        cfg->engine_ops->rx_drops(s->engine, fd);
        for (unsigned i = 0; i < 8; i++)
            res->totals.dropped[STATS_DROP_FRAME_FIRST + i] += fd[i];
    }
    if (s->engine != NULL) {
        if (cfg->engine_ops->rx_missed != NULL)
            res->totals.dropped[STATS_DROP_ENGINE_MISSED] += cfg->engine_ops->rx_missed(s->engine);
        if (cfg->engine_ops->icmp_errors != NULL) {
            uint64_t ic[2] = { 0, 0 };
            cfg->engine_ops->icmp_errors(s->engine, ic);
            res->totals.dropped[STATS_DROP_ICMP] += ic[0];
            res->totals.dropped[STATS_DROP_ICMP_UNMATCHED] += ic[1];
        }
        res->totals.send_errors += cfg->engine_ops->tx_errors(s->engine);
    }
    res->targets_started = atomic_load(&s->started);
    res->targets_done = atomic_load(&s->done_rows);
    res->elapsed_s = (double)(mono_ns() - s->t0_ns) / 1e9;
    if (atomic_load(&s->fatal)) {
        snprintf(res->error, sizeof(res->error), "%s", s->fatal_msg);
        res->end = -EIO;
        scan_free(s);
        return -EIO;
    }
    res->end = atomic_load(&s->stopping) ? SCAN_END_INTERRUPTED : SCAN_END_DONE;
    scan_free(s);
    return 0;
}
