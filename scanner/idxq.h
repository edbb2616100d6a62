/*
 * scanner/idxq.h - bounded MPMC queue of 32-bit values (Vyukov).
 *
 * Purpose: the free lists and the idle list of slots, and the queues of send
 * orders and TCP jobs between workers. Each cell carries a sequence number
 * that tells producers and consumers whose turn it is, so both sides only CAS
 * their own position counter: no ABA, and no lock (a thread preempted in
 * the middle of a push or pop can delay others only at its own cell).
 * Threading: push and pop from any thread. Memory: cells allocated once by
 * scan_idxq_init; nothing afterwards. Hot path: yes.
 */
#ifndef FCRSCAN_SCANNER_IDXQ_H
#define FCRSCAN_SCANNER_IDXQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
/*
 * Threading: any thread. Push is false only when the queue holds its
 * capacity; should the consumer of the cell's previous lap be between its
 * two steps (head moved, cell not yet released), push waits for it
 * (yielding) rather than refuse. Pop is false when empty, and also while
 * the producer of the oldest value is between its two steps (the value is
 * not there yet, even if later ones are): callers retry later.
 */
bool scan_idxq_push(struct scan_idxq *q, uint32_t v);
bool scan_idxq_pop(struct scan_idxq *q, uint32_t *v);
/* Approximate number of values queued. Any thread. */
size_t scan_idxq_count(const struct scan_idxq *q);

#endif
