/*
 * Criterion suite for scanner/idxq.h: the bounded MPMC queue of 32-bit
 * values, sequentially (capacity, full and empty, FIFO order, positions that
 * wrap). The concurrent properties are in stress_primitives.c.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "scanner/idxq.h"

static size_t queue_cap(const struct scan_idxq *q)
{
    return (size_t)q->mask + 1;
}

/* Push until the queue refuses; returns how many went in. */
static size_t fill(struct scan_idxq *q, size_t limit)
{
    size_t n = 0;
    while (n < limit && scan_idxq_push(q, (uint32_t)n))
        n++;
    return n;
}

Test(scan_idxq, rounds_the_capacity_up_to_a_power_of_two_of_at_least_two)
{
    static const struct {
        size_t asked, cap;
    } cases[] = {
        { 0, 2 }, { 1, 2 }, { 2, 2 }, { 3, 4 }, { 4, 4 }, { 5, 8 }, { 1000, 1024 }, { 1024, 1024 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scan_idxq q;
        cr_assert_eq(scan_idxq_init(&q, cases[i].asked), 0);
        cr_expect_eq(queue_cap(&q), cases[i].cap, "asked %zu: capacity %zu, want %zu",
                     cases[i].asked, queue_cap(&q), cases[i].cap);
        /* The capacity is what it holds: exactly that many pushes succeed. */
        size_t n = fill(&q, 4 * cases[i].cap + 4);
        cr_expect_eq(n, cases[i].cap, "asked %zu: %zu pushes succeeded, want %zu", cases[i].asked,
                     n, cases[i].cap);
        scan_idxq_fini(&q);
    }
}

Test(scan_idxq, a_new_queue_is_empty)
{
    struct scan_idxq q;
    cr_assert_eq(scan_idxq_init(&q, 8), 0);
    uint32_t v = 12345;
    cr_expect_not(scan_idxq_pop(&q, &v));
    cr_expect_eq(v, 12345, "a failed pop wrote %u", v);
    cr_expect_eq(scan_idxq_count(&q), 0);
    scan_idxq_fini(&q);
}

Test(scan_idxq, refuses_a_push_when_full_and_keeps_what_it_holds)
{
    struct scan_idxq q;
    cr_assert_eq(scan_idxq_init(&q, 8), 0);
    cr_assert_eq(fill(&q, 8), 8);
    cr_expect_eq(scan_idxq_count(&q), 8);
    cr_expect_not(scan_idxq_push(&q, 999));
    cr_expect_eq(scan_idxq_count(&q), 8);
    /* One pop makes room for exactly one push. */
    uint32_t v;
    cr_assert(scan_idxq_pop(&q, &v));
    cr_expect_eq(v, 0);
    cr_expect(scan_idxq_push(&q, 8));
    cr_expect_not(scan_idxq_push(&q, 9));
    for (uint32_t want = 1; want <= 8; want++) {
        cr_assert(scan_idxq_pop(&q, &v), "pop %u failed", want);
        cr_expect_eq(v, want, "popped %u, want %u (the refused 999 must not be there)", v, want);
    }
    cr_expect_not(scan_idxq_pop(&q, &v));
    scan_idxq_fini(&q);
}

Test(scan_idxq, pops_in_push_order_any_value)
{
    static const uint32_t values[] = { 0, UINT32_MAX, 1, 0x80000000u, 7, 7, UINT32_MAX - 1, 42 };
    const size_t nb = sizeof(values) / sizeof(values[0]);
    struct scan_idxq q;
    cr_assert_eq(scan_idxq_init(&q, nb), 0);
    for (size_t i = 0; i < nb; i++)
        cr_assert(scan_idxq_push(&q, values[i]));
    for (size_t i = 0; i < nb; i++) {
        uint32_t v;
        cr_assert(scan_idxq_pop(&q, &v));
        cr_expect_eq(v, values[i], "pop %zu gave %#x, want %#x", i, v, values[i]);
    }
    scan_idxq_fini(&q);
}

/*
 * Many laps around the cells with the fill level varying from empty to full,
 * so every cell is reused at every offset from the head.
 */
Test(scan_idxq, keeps_fifo_order_over_many_laps)
{
    struct scan_idxq q;
    cr_assert_eq(scan_idxq_init(&q, 4), 0);
    uint32_t next_in = 0, next_out = 0;
    for (unsigned round = 0; round < 1000; round++) {
        unsigned pushes = 1 + round % 4, pops = 1 + (round * 7) % 4;
        for (unsigned i = 0; i < pushes && scan_idxq_push(&q, next_in); i++)
            next_in++;
        uint32_t v;
        for (unsigned i = 0; i < pops && scan_idxq_pop(&q, &v); i++) {
            cr_assert_eq(v, next_out, "round %u: popped %u, want %u", round, v, next_out);
            next_out++;
        }
        cr_assert_eq(scan_idxq_count(&q), next_in - next_out, "round %u: count %zu, holds %u",
                     round, scan_idxq_count(&q), next_in - next_out);
    }
    cr_expect_gt(next_out, 1000, "the test went round the queue only %u times", next_out / 4);
    scan_idxq_fini(&q);
}

/*
 * The positions are 64-bit counters compared through their difference, so
 * they may wrap: start both just below 2^64 (the cells' sequence numbers
 * set as a queue that had pushed and popped that much would have them).
 */
Test(scan_idxq, works_across_the_wrap_of_its_64_bit_positions)
{
    struct scan_idxq q;
    cr_assert_eq(scan_idxq_init(&q, 4), 0);
    const uint64_t start = UINT64_MAX - 5;
    for (uint64_t pos = start; pos != start + 4; pos++)
        atomic_store(&q.cells[pos & q.mask].seq, pos);
    atomic_store(&q.head, start);
    atomic_store(&q.tail, start);

    uint32_t next_in = 0, next_out = 0, v;
    for (unsigned lap = 0; lap < 6; lap++) {
        while (scan_idxq_push(&q, next_in))
            next_in++;
        cr_assert_eq(next_in - next_out, 4, "lap %u: %u held, want a full queue of 4", lap,
                     next_in - next_out);
        cr_expect_eq(scan_idxq_count(&q), 4, "lap %u: count %zu when full", lap,
                     scan_idxq_count(&q));
        while (scan_idxq_pop(&q, &v)) {
            cr_assert_eq(v, next_out, "lap %u: popped %u, want %u", lap, v, next_out);
            next_out++;
        }
        cr_assert_eq(next_in, next_out, "lap %u: %u pushed, %u popped", lap, next_in, next_out);
        cr_expect_eq(scan_idxq_count(&q), 0, "lap %u: count %zu when empty", lap,
                     scan_idxq_count(&q));
    }
    cr_expect_lt(atomic_load(&q.tail), start, "the positions did not wrap");
    scan_idxq_fini(&q);
}
