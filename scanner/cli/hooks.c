/*
 * scanner/cli/hooks.c - what scan_run calls back: the next target (the
 * keyed permutation, skipping what a resumed run already has), name
 * classification, row formatting and writing, the checkpoint, and the
 * writer's tick (zstd frames, progress line).
 * Threading: next_target from TX worker q; classify and format from RX,
 * TX and TCP workers (read-only state); write, tick and checkpoint from
 * the writer thread (and checkpoint once from the main thread at the end).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scanner/cli/scan_cmd.h"

struct scan_perm *run_perm(struct run *r, unsigned q)
{
    return r->nb_txperm > 0 ? &r->txperm[q] : &r->perm;
}

/* Is position pos of worker q pending in the checkpoint being resumed?
 * Positions come in ascending order per worker: a cursor walks the list. */
static bool prev_pending(struct run *r, unsigned q, uint64_t pos)
{
    const struct scan_ckpt *c = &r->prev;
    size_t *at = &r->prev_at[q];
    uint64_t key = (uint64_t)q << SCAN_CKPT_POS_BITS | pos;
    while (*at < c->nb_pending && c->pending[*at] < key)
        (*at)++;
    return *at < c->nb_pending && c->pending[*at] == key;
}

static bool hook_next(void *ctx, unsigned q, struct pkt_addr *out, uint64_t *pos)
{
    struct run *r = ctx;
    struct scan_perm *p = run_perm(r, q);
    for (;;) {
        uint64_t at = (uint64_t)scan_perm_done(p);
        if (!scan_perm_next_addr(p, r->targets, out))
            return false;
        /* Resumed: a position the previous runs finished has its row. */
        if (r->resuming && at < r->prev.next[q] && !prev_pending(r, q, at))
            continue;
        *pos = at;
        return true;
    }
}

static uint32_t hook_classify(void *ctx, const uint8_t *wire, size_t len, const struct pkt_addr *t,
                              bool *unusable)
{
    struct run *r = ctx;
    return scan_classify_name(r->classifier, wire, len, t, unusable);
}

static int hook_format(void *ctx, const struct stats_record *rec, char *buf, size_t cap)
{
    struct run *r = ctx;
    return stats_record_format(rec, r->fmt, buf, cap);
}

static int hook_write(void *ctx, const char *buf, size_t len)
{
    struct run *r = ctx;
    int rc = stats_sink_write(r->sink, buf, len);
    if (rc != 0 && r->sink_error == 0) {
        r->sink_error = rc;
        fprintf(stderr, "fcrscan: %s\n", stats_sink_error(r->sink));
    }
    return rc;
}

/*
 * Make the rows written so far durable, then record how far the run got:
 * this run's bound and pending targets per TX worker, merged with what the
 * resumed checkpoint still had pending beyond this run's progress.
 */
int run_checkpoint(void *ctx, const uint64_t *next, const uint64_t *pending, size_t nb_pending,
                   unsigned nb)
{
    struct run *r = ctx;
    if (r->sink_error != 0)
        return -EIO;
    int rc = stats_sink_sync(r->sink);
    if (rc != 0) {
        r->sink_error = rc;
        fprintf(stderr, "fcrscan: %s\n", stats_sink_error(r->sink));
        return rc;
    }
    struct scan_ckpt *c = &r->ckpt;
    size_t i = 0, j = 0, n = 0;
    const struct scan_ckpt *p = &r->prev;
    for (;;) {
        /* The next of prev's pending that this run has not reached yet. */
        while (r->resuming && j < p->nb_pending &&
               (p->pending[j] & SCAN_CKPT_POS_MASK) < next[p->pending[j] >> SCAN_CKPT_POS_BITS])
            j++;
        uint64_t x = i < nb_pending ? pending[i] : UINT64_MAX;
        uint64_t y = r->resuming && j < p->nb_pending ? p->pending[j] : UINT64_MAX;
        if (x == UINT64_MAX && y == UINT64_MAX)
            break;
        if (n == r->pending_cap)
            return -ENOSPC; /* cannot happen: room for the window and prev's */
        c->pending[n++] = x < y ? x : y;
        i += x <= y;
        j += y <= x;
    }
    c->nb_pending = n;
    for (unsigned q = 0; q < nb && q < SCAN_CKPT_QUEUES_MAX; q++)
        c->next[q] = r->resuming && p->next[q] > next[q] ? p->next[q] : next[q];
    c->output_bytes = r->out_base + stats_sink_bytes_out(r->sink);
    c->serial++;
    char err[512];
    if (r->ck_fd[0] >= 0)
        rc = scan_ckpt_write_slot(r->ck_fd[c->serial & 1], r->o->resume, c, err, sizeof(err));
    else
        rc = scan_ckpt_write(r->o->resume, c, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "fcrscan: %s\n", err);
    return rc;
}

static void hook_tick(void *ctx, uint64_t now_ns, const struct stats_counters *sum)
{
    struct run *r = ctx;
    if (r->sink_error == 0) {
        /* 1 means a frame was closed; only negative values are errors. */
        int rc = stats_sink_tick(r->sink, now_ns);
        if (rc < 0) {
            r->sink_error = rc;
            fprintf(stderr, "fcrscan: %s\n", stats_sink_error(r->sink));
        }
    }
    if (!r->show_progress)
        return;
    struct stats_progress_sample smp = {
        .now_ns = now_ns, .sent = sum->sent, .done = sum->rows, .total = r->total
    };
    memcpy(smp.verdicts, sum->verdicts, sizeof(smp.verdicts));
    stats_progress_update(&r->progress, &smp);
    char line[STATS_PROGRESS_LINE_MAX];
    if (stats_progress_render(&r->progress, &smp, STATS_PROGRESS_TTY, line, sizeof(line)) > 0)
        fputs(line, stderr);
}

static void hook_notice(void *ctx, const char *text)
{
    (void)ctx;
    fprintf(stderr, "fcrscan: %s\n", text);
}

void run_hooks(struct run *r, struct scan_hooks *out)
{
    *out = (struct scan_hooks){ .ctx = r,
                                .next_target = hook_next,
                                .classify = hook_classify,
                                .format = hook_format,
                                .write = hook_write,
                                .tick = hook_tick,
                                .notice = hook_notice,
                                .checkpoint = r->o->resume != NULL ? run_checkpoint : NULL };
}
