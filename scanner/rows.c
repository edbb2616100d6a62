/*
 * scanner/rows.c - a target's row, its way into the output, checkpoints.
 *
 * The thread that ends a target's last lookup builds its record from the
 * PTR outcome and each name's forward entry (verdict.h decides), formats it
 * through the format hook into its own line ring, and releases the target.
 * The writer thread drains every worker's ring into the write hook, ticks
 * the sink (frame closing) and the progress line, and takes stock for the
 * --resume checkpoints: while it does, no row is emitted, so a target is
 * pending exactly when its row is not in the output.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanner/checkpoint.h"
#include "scanner/scan_internal.h"

/* A worker thread: no stdio (messages go through scan_notices). */
#pragma GCC poison fprintf printf fputs puts perror

/* Enter the step "row into a ring, target no longer live": not while a
 * checkpoint takes stock (Dekker: both sides store, then load, seq_cst). */
static void emit_enter(struct scan *s, struct worker *w)
{
    for (;;) {
        atomic_store(&w->emitting, 1);
        if (!atomic_load(&s->ck_pause))
            return;
        atomic_store(&w->emitting, 0);
        while (atomic_load(&s->ck_pause) && !atomic_load(&s->fatal))
            sched_yield();
        if (atomic_load(&s->fatal))
            return;
    }
}

/* Hand one formatted record to the writer; waits while the ring is full
 * (back-pressure from a slow output), unless the run is failing. */
static bool emit_line(struct scan *s, struct worker *w, const char *line, size_t len)
{
    while (!scan_lines_put(&w->lines, line, len)) {
        if (atomic_load(&s->fatal))
            return false;
        sched_yield();
    }
    return true;
}

void scan_row_finalize(struct scan *s, struct worker *w, uint32_t ti)
{
    struct tgt *t = &s->tgts[ti];
    const struct scan_config *cfg = s->cfg;
    struct stats_record rec;
    bool aborted = t->aborted || t->ptr_outcome == OUTCOME_ABORT;

    memset(&rec, 0, offsetof(struct stats_record, names));
    rec.ip = t->ip;
    rec.flags = t->flags;
    rec.ptr_rcode = t->ptr_rcode;
    uint32_t queries = atomic_load_explicit(&t->l.queries, memory_order_relaxed);
    uint8_t status[STATS_NAMES_MAX], reasons[STATS_NAMES_MAX];

    if (!aborted && t->ptr_outcome != SCAN_OUTCOME_ANSWER) {
        rec.verdict = scan_verdict_reverse(t->ptr_outcome, t->ptr_reason, &rec.stage, &rec.reason);
    } else if (!aborted) {
        rec.nb_names = t->nb_names;
        for (unsigned i = 0; i < t->nb_names; i++) {
            struct fwd *f = scan_fwd_of(s, t->name_ref[i]);
            struct stats_name *n = &rec.names[i];
            n->nb_addr = 0;
            n->name.len = f->l.qname_len;
            memcpy(n->name.wire, f->name, f->l.qname_len);
            rec.flags |= t->name_flags[i];
            reasons[i] = STATS_REASON_NONE;
            if (i >= cfg->max_ptr) {
                status[i] = STATS_NAME_NOT_EVALUATED;
            } else if (f->noquery) {
                status[i] = STATS_NAME_UNUSABLE;
            } else if (f->outcome == OUTCOME_ABORT || f->other_outcome == OUTCOME_ABORT) {
                aborted = true;
                break;
            } else {
                struct scan_name_lookup l = {
                    .outcome = f->outcome,
                    .reason = f->reason,
                    .target_found = scan_fwd_has_addr(f, &t->ip),
                    .other_outcome = f->other_outcome,
                    .other_reason = f->other_reason,
                };
                if (l.outcome == SCAN_OUTCOME_ANSWER && !l.target_found && f->addrs_cut) {
                    /* The target may be among the addresses not kept: that
                     * is not a mismatch we can stand by, so no negative. */
                    l.outcome = SCAN_OUTCOME_TEMP;
                    l.reason = STATS_REASON_OTHER;
                }
                bool wrong_family = false;
                status[i] = scan_verdict_name_status(&l, &wrong_family, &reasons[i]);
                if (wrong_family)
                    rec.flags |= STATS_FLAG_WRONG_FAMILY;
                if (f->cname)
                    rec.flags |= STATS_FLAG_FORWARD_CNAME;
                if (f->truncated)
                    rec.flags |= STATS_FLAG_TRUNCATED;
                queries += atomic_load_explicit(&f->l.queries, memory_order_relaxed);
                unsigned na = f->nb_addr < STATS_ADDRS_MAX ? f->nb_addr : STATS_ADDRS_MAX;
                for (unsigned k = 0; k < na; k++) {
                    n->addr[k].family = f->addr_family;
                    memset(n->addr[k].bytes, 0, 16);
                    memcpy(n->addr[k].bytes, f->addr[k], f->addr_family == PKT_ADDR_V6 ? 16 : 4);
                }
                n->nb_addr = (uint8_t)na;
            }
            n->status = status[i];
            n->reason = reasons[i];
        }
        if (!aborted) {
            bool temp_other = false;
            rec.verdict = scan_verdict_aggregate(status, reasons, t->nb_names, &rec.stage,
                                                 &rec.reason, &temp_other);
            if (temp_other)
                rec.flags |= STATS_FLAG_FORWARD_TEMP_OTHER_NAME;
        }
    }

    if (!aborted) {
        rec.queries = queries > 0 ? queries : 1;
        rec.elapsed_us = (w->now_ns > t->t_start_ns ? w->now_ns - t->t_start_ns : 0) / 1000;
        rec.ts_ms = w->wall_ms;
        int len = cfg->hooks.format(cfg->hooks.ctx, &rec, w->line_buf, cfg->line_max);
        if (len < 0) {
            char msg[128];
            snprintf(msg, sizeof(msg), "internal: a record could not be formatted (%d)", len);
            scan_set_fatal(s, msg);
        } else {
            /* Row in a line ring and live cleared, as one step for a
             * checkpoint (which pauses such steps while it takes stock). */
            emit_enter(s, w);
            if (emit_line(s, w, w->line_buf, (size_t)len))
                atomic_store_explicit(&s->live[ti], 0, memory_order_release);
            atomic_store(&w->emitting, 0);
            stats_counters_row(&w->c, &rec);
        }
        atomic_fetch_add(&s->done_rows, 1);
    }

    for (unsigned i = 0; i < t->nb_names; i++)
        scan_fwd_unref(s, w, t->name_ref[i]);
    t->nb_names = 0;
    scan_hindex_remove(&s->index, t->l.hkey, ti);
    uint32_t st = atomic_load(&t->l.state);
    atomic_store(&t->l.state, scan_qs_make(scan_qs_gen(st), SCAN_Q_IDLE));
    scan_retire(s, w, ti);
    atomic_fetch_sub(&s->active, 1);
}

void scan_sum_counters(struct scan *s, struct stats_counters *out)
{
    const struct stats_counters *blocks[W_MAX];
    for (unsigned i = 0; i < s->nb_w; i++)
        blocks[i] = &s->w[i].c;
    stats_counters_sum(out, blocks, s->nb_w);
}

/*
 * Checkpoint state: per TX worker the position bound (one more than the
 * last admitted position), then every live target as q << SCAN_CKPT_POS_BITS | position,
 * sorted. The bound is read first; a target below it published live = 1
 * before the bound, so the slot scan sees it (or a later occupant of the
 * slot, whose predecessor's row was emitted before). Run while no row is
 * being emitted and the rings are empty (ckpt_take), so a target is live
 * exactly when its row is not in the output. Returns the number pending.
 */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

size_t scan_rows_ckpt_collect(struct scan *s, uint64_t next[PKT_ENGINE_TXQ_MAX], uint64_t *pending)
{
    for (unsigned q = 0; q < s->nb_tx; q++)
        next[q] = atomic_load_explicit(&s->w[q].admitted, memory_order_acquire);
    size_t n = 0;
    for (uint32_t i = 0; i < s->nb_tgts; i++) {
        uint64_t v = atomic_load_explicit(&s->live[i], memory_order_acquire);
        if (v == 0)
            continue;
        uint64_t key = v - 1, q = key >> SCAN_CKPT_POS_BITS, pos = key & SCAN_CKPT_POS_MASK;
        if (q < s->nb_tx && pos < next[q])
            pending[n++] = key;
    }
    qsort(pending, n, sizeof(pending[0]), cmp_u64);
    return n;
}

static bool writer_drain(struct scan *s, char *buf, size_t cap);

/*
 * Take stock for a checkpoint (writer thread): stop row emission, wait for
 * the workers inside an emission (draining meanwhile: one may wait for ring
 * room), write out every row emitted, collect, and let emission go on. The
 * output is made durable afterwards by the hook; rows emitted from here on
 * go to the output after that sync.
 */
static size_t ckpt_take(struct scan *s, char *buf, size_t cap, uint64_t next[PKT_ENGINE_TXQ_MAX])
{
    atomic_store(&s->ck_pause, 1);
    for (unsigned i = 0; i < s->nb_w; i++)
        while (atomic_load(&s->w[i].emitting) && !atomic_load(&s->fatal)) {
            (void)writer_drain(s, buf, cap);
            sched_yield();
        }
    (void)writer_drain(s, buf, cap);
    size_t n = scan_rows_ckpt_collect(s, next, s->ck_pending);
    atomic_store(&s->ck_pause, 0);
    return n;
}

static bool writer_drain(struct scan *s, char *buf, size_t cap)
{
    bool any = false;
    for (unsigned i = 0; i < s->nb_w; i++) {
        size_t n;
        while ((n = scan_lines_take(&s->w[i].lines, buf, cap)) > 0) {
            any = true;
            if (!atomic_load(&s->fatal) && s->cfg->hooks.write(s->cfg->hooks.ctx, buf, n) != 0)
                scan_set_fatal(s, "writing the output failed");
        }
    }
    return any;
}

void *scan_writer_main(void *arg)
{
    struct writer_arg *wa = arg;
    struct scan *s = wa->s;
    size_t cap = s->w[0].lines.cap;
    char *buf = malloc(cap);
    if (buf == NULL) {
        scan_set_fatal(s, "out of memory (writer)");
        return NULL;
    }
    uint64_t last_tick = 0, last_ckpt = mono_ns();
    const struct scan_config *cfg = s->cfg;
    for (;;) {
        bool quit = atomic_load(&wa->quit);
        uint64_t now = mono_ns();
        /* A checkpoint: take stock (rows written, targets still without
         * one), then the hook makes the output durable and records it. */
        if (cfg->hooks.checkpoint != NULL && cfg->checkpoint_ms > 0 && !quit &&
            now - last_ckpt >= (uint64_t)cfg->checkpoint_ms * 1000000ull) {
            uint64_t next[PKT_ENGINE_TXQ_MAX];
            size_t n = ckpt_take(s, buf, cap, next);
            if (!atomic_load(&s->fatal) &&
                cfg->hooks.checkpoint(cfg->hooks.ctx, next, s->ck_pending, n, s->nb_tx) != 0)
                scan_set_fatal(s, "writing the checkpoint failed");
            last_ckpt = now;
        }
        bool any = writer_drain(s, buf, cap);
        now = mono_ns();
        if (now - last_tick >= 100000000ull || quit) {
            struct stats_counters sum;
            scan_sum_counters(s, &sum);
            if (s->cfg->hooks.tick != NULL)
                s->cfg->hooks.tick(s->cfg->hooks.ctx, now, &sum);
            last_tick = now;
        }
        if (quit && !any)
            break;
        if (!any) {
            struct timespec ts = { 0, 2000000 };
            nanosleep(&ts, NULL);
        }
    }
    free(buf);
    return NULL;
}
