/* scanner/idxq.c - see idxq.h. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "scanner/bits.h"
#include "scanner/idxq.h"

/*
 * Dmitry Vyukov's bounded queue: each cell carries a sequence number that
 * tells producers and consumers whose turn it is, so both sides only CAS
 * their own position counter. */

int scan_idxq_init(struct scan_idxq *q, size_t cap)
{
    cap = scan_pow2_at_least(cap < 2 ? 2 : cap);
    q->cells = calloc(cap, sizeof(q->cells[0]));
    if (q->cells == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < cap; i++)
        atomic_init(&q->cells[i].seq, i);
    q->mask = cap - 1;
    atomic_init(&q->head, 0);
    atomic_init(&q->tail, 0);
    return 0;
}

void scan_idxq_fini(struct scan_idxq *q)
{
    free(q->cells);
    q->cells = NULL;
}

bool scan_idxq_push(struct scan_idxq *q, uint32_t v)
{
    uint64_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
    for (;;) {
        struct scan_idxq_cell *c = &q->cells[pos & q->mask];
        uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        int64_t dif = (int64_t)(seq - pos);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->tail, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                c->value = v;
                atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
                return true;
            }
        } else if (dif < 0) {
            /*
             * The cell still holds its value of the lap before. Either the
             * queue is full, or the consumer that took that value has moved
             * the head and not yet released the cell (preempted between the
             * two) while others went a whole lap round. Refusing then would
             * leave the caller with a value and nowhere to put it: a free
             * list that holds every slot would lose one. So only a full
             * count refuses; otherwise wait for that consumer.
             */
            uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
            if ((int64_t)(pos - head) >= (int64_t)(q->mask + 1))
                return false;
            sched_yield();
            pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
        } else {
            pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
        }
    }
}

bool scan_idxq_pop(struct scan_idxq *q, uint32_t *v)
{
    uint64_t pos = atomic_load_explicit(&q->head, memory_order_relaxed);
    for (;;) {
        struct scan_idxq_cell *c = &q->cells[pos & q->mask];
        uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        int64_t dif = (int64_t)(seq - (pos + 1));
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->head, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                *v = c->value;
                atomic_store_explicit(&c->seq, pos + q->mask + 1, memory_order_release);
                return true;
            }
        } else if (dif < 0) {
            return false;
        } else {
            pos = atomic_load_explicit(&q->head, memory_order_relaxed);
        }
    }
}

size_t scan_idxq_count(const struct scan_idxq *q)
{
    uint64_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    uint64_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    /* Through the difference, as push and pop compare positions: they may
     * wrap. Negative when head was read after pops overtook the tail read. */
    int64_t d = (int64_t)(t - h);
    return d > 0 ? (size_t)d : 0;
}
