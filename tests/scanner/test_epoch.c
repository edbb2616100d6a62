/*
 * Criterion suite for scanner/epoch.h: epoch-based reclamation and the
 * per-worker limbo FIFO, driven step by step from one thread (each worker
 * index standing for a thread at a known point). Real threads are in
 * stress_primitives.c.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "scanner/epoch.h"

static uint64_t global_of(const struct scan_epoch *e)
{
    return atomic_load(&e->global);
}

Test(scan_epoch, starts_with_every_worker_quiet)
{
    struct scan_epoch e;
    scan_epoch_init(&e, 4);
    for (unsigned w = 0; w < SCAN_EPOCH_WORKERS; w++)
        cr_expect_eq(atomic_load(&e.worker[w].local), SCAN_EPOCH_QUIET, "worker %u not quiet", w);
    cr_expect_not(scan_epoch_safe(&e, global_of(&e)), "retired now, already safe");
}

Test(scan_epoch, advances_one_epoch_per_call_while_every_worker_is_quiet)
{
    struct scan_epoch e;
    scan_epoch_init(&e, 3);
    uint64_t g = global_of(&e);
    for (uint64_t i = 1; i <= 5; i++)
        cr_expect_eq(scan_epoch_advance(&e), g + i);
}

/* Retired at r: reusable from r + 2 on, not before. */
Test(scan_epoch, a_ref_retired_at_r_is_safe_from_r_plus_2)
{
    static const struct {
        uint64_t advances; /* after the retirement */
        bool safe;
    } cases[] = { { 0, false }, { 1, false }, { 2, true }, { 3, true }, { 10, true } };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scan_epoch e;
        scan_epoch_init(&e, 2);
        for (int k = 0; k < 3; k++)
            (void)scan_epoch_advance(&e);
        uint64_t r = global_of(&e);
        for (uint64_t k = 0; k < cases[i].advances; k++)
            (void)scan_epoch_advance(&e);
        cr_expect_eq(scan_epoch_safe(&e, r), cases[i].safe, "retired at %llu, global %llu: %s",
                     (unsigned long long)r, (unsigned long long)global_of(&e),
                     cases[i].safe ? "not safe" : "safe");
    }
}

/*
 * A worker inside a section pins the epoch it announced: the global epoch
 * may move once past it (the worker has seen the current one) and then
 * waits until that worker leaves or re-enters, whoever else comes and goes.
 */
Test(scan_epoch, advance_waits_for_a_worker_still_inside_an_old_epoch)
{
    static const struct {
        unsigned nb_workers, pinned;
    } cases[] = { { 1, 0 }, { 4, 0 }, { 4, 3 }, { SCAN_EPOCH_WORKERS, SCAN_EPOCH_WORKERS - 1 } };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scan_epoch e;
        scan_epoch_init(&e, cases[i].nb_workers);
        const unsigned p = cases[i].pinned;
        uint64_t g = global_of(&e);
        scan_epoch_enter(&e, p);
        cr_expect_eq(atomic_load(&e.worker[p].local), g, "case %zu: announced %llu in %llu", i,
                     (unsigned long long)atomic_load(&e.worker[p].local), (unsigned long long)g);
        cr_expect_eq(scan_epoch_advance(&e), g + 1, "case %zu: did not move past the current", i);
        for (unsigned k = 0; k < 5; k++) {
            unsigned other = (p + 1 + k) % cases[i].nb_workers;
            if (other != p) {
                scan_epoch_enter(&e, other);
                scan_epoch_exit(&e, other);
            }
            cr_expect_eq(scan_epoch_advance(&e), g + 1,
                         "case %zu: advanced to %llu while worker %u is inside epoch %llu", i,
                         (unsigned long long)global_of(&e), p, (unsigned long long)g);
        }
        /* Re-entering announces the current epoch: one more step. */
        scan_epoch_exit(&e, p);
        scan_epoch_enter(&e, p);
        cr_expect_eq(scan_epoch_advance(&e), g + 2, "case %zu: re-entry did not release it", i);
        cr_expect_eq(scan_epoch_advance(&e), g + 2, "case %zu", i);
        scan_epoch_exit(&e, p);
        cr_expect_eq(scan_epoch_advance(&e), g + 3, "case %zu: leaving did not release it", i);
    }
}

Test(scan_limbo, rounds_its_capacity_up_and_refuses_a_put_when_full)
{
    static const struct {
        size_t asked, cap;
    } cases[] = { { 0, 2 }, { 1, 2 }, { 2, 2 }, { 5, 8 }, { 64, 64 } };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scan_limbo l;
        cr_assert_eq(scan_limbo_init(&l, cases[i].asked), 0);
        size_t n = 0;
        while (n < 4 * cases[i].cap + 4 && scan_limbo_put(&l, (uint32_t)n, 2))
            n++;
        cr_expect_eq(n, cases[i].cap, "asked %zu: %zu puts went in, want %zu", cases[i].asked, n,
                     cases[i].cap);
        scan_limbo_fini(&l);
    }
}

Test(scan_limbo, releases_a_ref_only_after_its_grace_period)
{
    struct scan_epoch e;
    scan_epoch_init(&e, 2);
    struct scan_limbo l;
    cr_assert_eq(scan_limbo_init(&l, 8), 0);
    uint64_t r = global_of(&e);
    cr_assert(scan_limbo_put(&l, 41, r));
    cr_assert(scan_limbo_put(&l, 42, r));
    uint32_t ref = 0;
    cr_expect_not(scan_limbo_get(&l, &e, &ref), "released in the epoch it was retired");
    (void)scan_epoch_advance(&e);
    cr_expect_not(scan_limbo_get(&l, &e, &ref), "released one epoch after retirement");
    cr_expect_eq(ref, 0, "a refused get wrote %u", ref);
    (void)scan_epoch_advance(&e);
    cr_expect(scan_limbo_get(&l, &e, &ref), "not released two epochs after");
    cr_expect_eq(ref, 41);
    cr_expect(scan_limbo_get(&l, &e, &ref));
    cr_expect_eq(ref, 42);
    cr_expect_not(scan_limbo_get(&l, &e, &ref), "an empty limbo gave %u", ref);
    scan_limbo_fini(&l);
}

/* Oldest first; a ref whose grace has not passed holds back those behind it. */
Test(scan_limbo, releases_in_retirement_order_as_each_grace_period_ends)
{
    struct scan_epoch e;
    scan_epoch_init(&e, 1);
    struct scan_limbo l;
    cr_assert_eq(scan_limbo_init(&l, 4), 0);
    uint32_t ref;
    uint32_t next_in = 0, next_out = 0;
    /* Two refs retired per epoch, many laps round the FIFO. */
    for (unsigned step = 0; step < 50; step++) {
        uint64_t g = global_of(&e);
        cr_assert(scan_limbo_put(&l, next_in++, g), "step %u: full", step);
        cr_assert(scan_limbo_put(&l, next_in++, g), "step %u: full", step);
        (void)scan_epoch_advance(&e);
        unsigned got = 0;
        while (scan_limbo_get(&l, &e, &ref)) {
            cr_assert_eq(ref, next_out, "step %u: got %u, want %u", step, ref, next_out);
            next_out++;
            got++;
        }
        /* The pair retired an epoch earlier is out; this step's pair waits. */
        cr_assert_eq(got, step == 0 ? 0 : 2, "step %u: %u released", step, got);
        cr_assert_eq(next_in - next_out, 2, "step %u: %u waiting", step, next_in - next_out);
    }
    scan_limbo_fini(&l);
}

/*
 * The whole protocol, one step at a time: a reader inside its section when
 * a ref is retired keeps it in limbo however often the writer reclaims,
 * and its leaving lets it out two epochs later.
 */
Test(scan_limbo, a_reader_inside_its_section_keeps_a_retired_ref_in_limbo)
{
    enum { READER = 0, WRITER = 1 };
    struct scan_epoch e;
    scan_epoch_init(&e, 2);
    struct scan_limbo l;
    cr_assert_eq(scan_limbo_init(&l, 4), 0);
    uint32_t ref;

    scan_epoch_enter(&e, READER); /* ... and finds slot 9 */
    scan_epoch_enter(&e, WRITER); /* unlinks slot 9 and retires it */
    cr_assert(scan_limbo_put(&l, 9, global_of(&e)));
    scan_epoch_exit(&e, WRITER);
    for (unsigned k = 0; k < 10; k++) {
        (void)scan_epoch_advance(&e);
        cr_assert_not(scan_limbo_get(&l, &e, &ref), "reclaim %u: slot 9 released under a reader",
                      k);
        scan_epoch_enter(&e, WRITER);
        scan_epoch_exit(&e, WRITER);
    }
    scan_epoch_exit(&e, READER);
    (void)scan_epoch_advance(&e);
    cr_expect(scan_limbo_get(&l, &e, &ref), "not released once the reader left");
    cr_expect_eq(ref, 9);
    scan_limbo_fini(&l);
}
