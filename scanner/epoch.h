/*
 * scanner/epoch.h - epoch-based reclamation of slots.
 *
 * Purpose: a slot freed by one worker is reused only after every worker has
 * passed a quiescent point, so a reader that found a slot through the index
 * can read it until its own next quiescent point and never sees it change
 * identity under it. scan_limbo holds each worker's retired slots until
 * their grace period has passed.
 * Threading: as stated per function. Memory: fixed at init. Hot path: yes.
 */
#ifndef FCRSCAN_SCANNER_EPOCH_H
#define FCRSCAN_SCANNER_EPOCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCAN_EPOCH_WORKERS 16
#define SCAN_EPOCH_QUIET   UINT64_MAX

struct scan_epoch {
    _Alignas(64) _Atomic uint64_t global;
    struct {
        _Alignas(64) _Atomic uint64_t local;
    } worker[SCAN_EPOCH_WORKERS];
    unsigned nb_workers;
};

/* Setup only: every worker starts quiescent. */
void scan_epoch_init(struct scan_epoch *e, unsigned nb_workers);
/* Worker w enters a read section / leaves it (quiescent point). */
void scan_epoch_enter(struct scan_epoch *e, unsigned w);
void scan_epoch_exit(struct scan_epoch *e, unsigned w);
/* Try to advance the global epoch; returns the epoch now current. Any worker. */
uint64_t scan_epoch_advance(struct scan_epoch *e);
/* Objects retired at epoch r may be reused once this returns true. */
static inline bool scan_epoch_safe(const struct scan_epoch *e, uint64_t retired)
{
    return atomic_load_explicit(&e->global, memory_order_acquire) >= retired + 2;
}

/* Per-worker FIFO of retired slot references awaiting a grace period. */
struct scan_limbo {
    uint32_t *ref;
    uint64_t *epoch;
    size_t cap; /* power of two */
    size_t head;
    size_t tail;
};

__attribute__((warn_unused_result)) int scan_limbo_init(struct scan_limbo *l, size_t cap);
void scan_limbo_fini(struct scan_limbo *l);
/* Owner worker only. False when full (cannot happen when sized to the slots). */
bool scan_limbo_put(struct scan_limbo *l, uint32_t ref, uint64_t epoch);
/* Pop the oldest reference whose grace period has passed. Owner only. */
bool scan_limbo_get(struct scan_limbo *l, const struct scan_epoch *e, uint32_t *ref);

#endif
