/*
 * scanner/matcher.h - the lock-free parts the scan's threads share.
 *
 * Purpose: the structures through which the TX, RX and TCP workers meet,
 * none of which takes a lock:
 *   scan_idxq    bounded MPMC queue of slot indices (free lists, idle list)
 *   scan_lines   SPSC byte ring of output lines (one per producing worker)
 *   scan_hindex  hash index from a 64-bit key hash to slot references:
 *                buckets of 8 cells, two choices per key, CAS insert and
 *                remove; a lookup visits at most 16 cells, so deleting never
 *                breaks a probe chain and spoofed questions cost O(1)
 *   scan_epoch   epoch-based reclamation: a slot freed by one worker is
 *                reused only after every worker has passed a quiescent point,
 *                so a reader never sees a slot change identity under it
 *   query state  a 32-bit word per query: generation (24 bits) and state
 *                (8 bits: pending attempt, TCP, done); claiming a reply is a
 *                CAS on it, so exactly one reply (or one timeout) ends a query
 * Threading: as stated per function. Memory: all capacities are fixed at
 * init; nothing allocates after that.
 */
#ifndef FCRSCAN_SCANNER_MATCHER_H
#define FCRSCAN_SCANNER_MATCHER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- query state word ------------------------------------------------------ */

#define SCAN_Q_IDLE     0x00u /* not asked (or not yet) */
#define SCAN_Q_TCP      0x7Eu /* truncated: the TCP worker owns it */
#define SCAN_Q_DONE     0x7Fu /* ended: answered, failed or timed out */
#define SCAN_Q_PHASE2   0x80u /* forward lookup in the other family */
#define SCAN_Q_ATTEMPTS 0x7Fu /* low 7 bits: attempt + 1 while pending */

static inline uint32_t scan_qs_make(uint32_t gen, uint32_t q)
{
    return (gen << 8) | (q & 0xFFu);
}
static inline uint32_t scan_qs_gen(uint32_t s)
{
    return s >> 8;
}
static inline uint32_t scan_qs_q(uint32_t s)
{
    return s & 0xFFu;
}
/* True while a UDP attempt is outstanding; *attempt and *phase2 set. */
static inline bool scan_qs_pending(uint32_t s, unsigned *attempt, bool *phase2)
{
    uint32_t low = s & SCAN_Q_ATTEMPTS;
    if (low == SCAN_Q_IDLE || low == SCAN_Q_TCP || low == SCAN_Q_DONE)
        return false;
    *attempt = low - 1u;
    *phase2 = (s & SCAN_Q_PHASE2) != 0;
    return true;
}
static inline uint32_t scan_qs_pending_make(uint32_t gen, unsigned attempt, bool phase2)
{
    return scan_qs_make(gen, (attempt + 1u) | (phase2 ? SCAN_Q_PHASE2 : 0u));
}

/* ---- bounded MPMC queue of 32-bit values (Vyukov) -------------------------- */

struct scan_idxq_cell {
    _Atomic uint64_t seq;
    uint32_t value;
};

struct scan_idxq {
    struct scan_idxq_cell *cells;
    uint64_t mask;
    _Alignas(64) _Atomic uint64_t head; /* next to dequeue */
    _Alignas(64) _Atomic uint64_t tail; /* next to enqueue */
};

/* Capacity rounded up to a power of two. Returns 0 or -ENOMEM. Setup only. */
__attribute__((warn_unused_result)) int scan_idxq_init(struct scan_idxq *q, size_t cap);
void scan_idxq_fini(struct scan_idxq *q);
/* Threading: any thread, lock-free. False when full / empty. */
bool scan_idxq_push(struct scan_idxq *q, uint32_t v);
bool scan_idxq_pop(struct scan_idxq *q, uint32_t *v);
/* Approximate number of values queued. Any thread. */
size_t scan_idxq_count(const struct scan_idxq *q);

/* ---- SPSC ring of length-prefixed lines ------------------------------------ */

struct scan_lines {
    char *buf;
    size_t cap;                       /* power of two */
    _Alignas(64) _Atomic size_t head; /* consumer position */
    _Alignas(64) _Atomic size_t tail; /* producer position */
};

__attribute__((warn_unused_result)) int scan_lines_init(struct scan_lines *r, size_t cap);
void scan_lines_fini(struct scan_lines *r);
/* Producer: append one line (len <= cap/2). False when there is no room now. */
bool scan_lines_put(struct scan_lines *r, const char *line, size_t len);
/*
 * Consumer: the contiguous readable bytes (whole lines only) starting at the
 * head, without consuming; returns their length (0 when empty). The lines
 * are returned without their length prefixes: out receives a copy.
 */
size_t scan_lines_take(struct scan_lines *r, char *out, size_t out_cap);
bool scan_lines_empty(struct scan_lines *r);

/* ---- hash index ------------------------------------------------------------ */

#define SCAN_HINDEX_WAYS 8

struct scan_hindex {
    _Atomic uint64_t *cells; /* nb_buckets * SCAN_HINDEX_WAYS */
    uint64_t bucket_mask;
};

/* Room for at least nb entries at <= 50% load. Returns 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int scan_hindex_init(struct scan_hindex *h, size_t nb);
void scan_hindex_fini(struct scan_hindex *h);
/* Insert ref (< 2^32 - 1) under hash. False when both buckets are full.
 * Threading: any thread, lock-free. */
bool scan_hindex_insert(struct scan_hindex *h, uint64_t hash, uint32_t ref);
/* Remove exactly the (hash, ref) cell. Any thread. */
void scan_hindex_remove(struct scan_hindex *h, uint64_t hash, uint32_t ref);
/*
 * Collect up to cap refs whose cells carry hash's tag (candidates: the caller
 * compares the key). Returns the count. Any thread.
 */
unsigned scan_hindex_find(const struct scan_hindex *h, uint64_t hash, uint32_t *refs, unsigned cap);

/* ---- epoch-based reclamation ----------------------------------------------- */

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
