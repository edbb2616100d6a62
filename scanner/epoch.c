/* scanner/epoch.c - see epoch.h. */
#include <errno.h>
#include <stdlib.h>

#include "scanner/bits.h"
#include "scanner/epoch.h"

/*
 * A worker publishes the global epoch when it enters a section and
 * SCAN_EPOCH_QUIET when it leaves. The global epoch advances only when every
 * active worker has seen the current one; something retired at epoch r was
 * unreachable for anyone entering after r, so at r + 2 no worker can still
 * hold it. */

void scan_epoch_init(struct scan_epoch *e, unsigned nb_workers)
{
    atomic_init(&e->global, 2);
    e->nb_workers = nb_workers;
    for (unsigned i = 0; i < SCAN_EPOCH_WORKERS; i++)
        atomic_init(&e->worker[i].local, SCAN_EPOCH_QUIET);
}

void scan_epoch_enter(struct scan_epoch *e, unsigned w)
{
    uint64_t g = atomic_load_explicit(&e->global, memory_order_relaxed);
    /* The announcement must be visible before any slot is read: a store
     * followed by acquire loads is not ordered by C11 on its own (it is on
     * x86, not on every ARM), so a full fence, paired with the one in
     * scan_epoch_advance. */
    atomic_store_explicit(&e->worker[w].local, g, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
}

void scan_epoch_exit(struct scan_epoch *e, unsigned w)
{
    atomic_store_explicit(&e->worker[w].local, SCAN_EPOCH_QUIET, memory_order_release);
}

uint64_t scan_epoch_advance(struct scan_epoch *e)
{
    atomic_thread_fence(memory_order_seq_cst); /* pairs with scan_epoch_enter's */
    uint64_t g = atomic_load_explicit(&e->global, memory_order_seq_cst);
    for (unsigned i = 0; i < e->nb_workers; i++) {
        uint64_t l = atomic_load_explicit(&e->worker[i].local, memory_order_seq_cst);
        if (l != SCAN_EPOCH_QUIET && l != g)
            return g;
    }
    atomic_compare_exchange_strong_explicit(&e->global, &g, g + 1, memory_order_acq_rel,
                                            memory_order_relaxed);
    return atomic_load_explicit(&e->global, memory_order_acquire);
}

int scan_limbo_init(struct scan_limbo *l, size_t cap)
{
    l->cap = scan_pow2_at_least(cap < 2 ? 2 : cap);
    l->ref = calloc(l->cap, sizeof(l->ref[0]));
    l->epoch = calloc(l->cap, sizeof(l->epoch[0]));
    l->head = l->tail = 0;
    if (l->ref == NULL || l->epoch == NULL) {
        scan_limbo_fini(l);
        return -ENOMEM;
    }
    return 0;
}

void scan_limbo_fini(struct scan_limbo *l)
{
    free(l->ref);
    free(l->epoch);
    l->ref = NULL;
    l->epoch = NULL;
}

bool scan_limbo_put(struct scan_limbo *l, uint32_t ref, uint64_t epoch)
{
    if (l->tail - l->head == l->cap)
        return false;
    l->ref[l->tail & (l->cap - 1)] = ref;
    l->epoch[l->tail & (l->cap - 1)] = epoch;
    l->tail++;
    return true;
}

bool scan_limbo_get(struct scan_limbo *l, const struct scan_epoch *e, uint32_t *ref)
{
    if (l->head == l->tail || !scan_epoch_safe(e, l->epoch[l->head & (l->cap - 1)]))
        return false;
    *ref = l->ref[l->head & (l->cap - 1)];
    l->head++;
    return true;
}
