/*
 * Criterion suite for scanner/qstate.h: the state word of one query
 * (generation and state packed in 32 bits) and its pending attempts.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "scanner/qstate.h"

#define GEN_MASK 0xFFFFFFu /* 24 bits of generation */

Test(scan_qstate, a_word_gives_back_its_generation_and_state)
{
    static const uint32_t gens[] = { 0, 1, 2, 0x7FFFFF, 0x800000, GEN_MASK - 1, GEN_MASK };
    static const uint32_t states[] = { SCAN_Q_IDLE,
                                       SCAN_Q_TCP,
                                       SCAN_Q_DONE,
                                       1,
                                       0x7D,
                                       SCAN_Q_PHASE2 | 1,
                                       SCAN_Q_PHASE2 | SCAN_Q_TCP,
                                       0xFF };
    for (size_t g = 0; g < sizeof(gens) / sizeof(gens[0]); g++)
        for (size_t q = 0; q < sizeof(states) / sizeof(states[0]); q++) {
            uint32_t s = scan_qs_make(gens[g], states[q]);
            cr_expect_eq(scan_qs_gen(s), gens[g], "gen %#x state %#x: gen %#x", gens[g], states[q],
                         scan_qs_gen(s));
            cr_expect_eq(scan_qs_q(s), states[q], "gen %#x state %#x: state %#x", gens[g],
                         states[q], scan_qs_q(s));
        }
}

/*
 * The generation has 24 bits: the one after 0xFFFFFF is 0, and its overflow
 * never spills into the state.
 */
Test(scan_qstate, the_generation_wraps_at_24_bits_without_touching_the_state)
{
    static const struct {
        uint32_t gen, want;
    } cases[] = {
        { GEN_MASK + 1, 0 },
        { GEN_MASK + 2, 1 },
        { 0x12345678, 0x345678 },
        { UINT32_MAX, GEN_MASK },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t s = scan_qs_make(cases[i].gen, SCAN_Q_DONE);
        cr_expect_eq(scan_qs_gen(s), cases[i].want, "gen %#x stored as %#x, want %#x", cases[i].gen,
                     scan_qs_gen(s), cases[i].want);
        cr_expect_eq(scan_qs_q(s), SCAN_Q_DONE, "gen %#x changed the state to %#x", cases[i].gen,
                     scan_qs_q(s));
    }
    /* The next generation of a recycled slot, as the lookups compute it. */
    uint32_t last = scan_qs_make(GEN_MASK, SCAN_Q_IDLE);
    uint32_t next = scan_qs_make(scan_qs_gen(last) + 1, SCAN_Q_IDLE);
    cr_expect_eq(scan_qs_gen(next), 0);
    cr_expect_neq(next, last);
}

/* Every attempt that fits below the TCP and DONE codes, in both phases. */
Test(scan_qstate, a_pending_attempt_round_trips_in_either_phase)
{
    static const uint32_t gens[] = { 0, 77, GEN_MASK };
    const unsigned max_attempt = SCAN_Q_TCP - 2; /* attempt + 1 < SCAN_Q_TCP */
    for (size_t g = 0; g < sizeof(gens) / sizeof(gens[0]); g++)
        for (int phase2 = 0; phase2 < 2; phase2++)
            for (unsigned a = 0; a <= max_attempt; a++) {
                uint32_t s = scan_qs_pending_make(gens[g], a, phase2);
                unsigned attempt = 999;
                bool p2 = !phase2;
                cr_assert(scan_qs_pending(s, &attempt, &p2),
                          "gen %#x attempt %u phase2 %d: %#x not pending", gens[g], a, phase2, s);
                cr_assert_eq(attempt, a, "gen %#x attempt %u phase2 %d: attempt %u", gens[g], a,
                             phase2, attempt);
                cr_assert_eq(p2, (bool)phase2, "gen %#x attempt %u: phase2 %d", gens[g], a, p2);
                cr_assert_eq(scan_qs_gen(s), gens[g]);
            }
}

Test(scan_qstate, idle_tcp_and_done_are_not_pending_in_either_phase)
{
    static const uint32_t states[] = {
        SCAN_Q_IDLE,
        SCAN_Q_TCP,
        SCAN_Q_DONE,
        SCAN_Q_PHASE2 | SCAN_Q_IDLE,
        SCAN_Q_PHASE2 | SCAN_Q_TCP,
        SCAN_Q_PHASE2 | SCAN_Q_DONE,
    };
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        for (uint32_t gen = 0; gen <= GEN_MASK; gen += 0x3FFFFF) {
            unsigned attempt = 999;
            bool p2 = false;
            uint32_t s = scan_qs_make(gen, states[i]);
            cr_expect_not(scan_qs_pending(s, &attempt, &p2), "state %#x gen %#x is pending",
                          states[i], gen);
        }
}

/* The codes are distinct and every pending state differs from all three. */
Test(scan_qstate, state_codes_do_not_collide)
{
    cr_expect_neq(SCAN_Q_IDLE, SCAN_Q_TCP);
    cr_expect_neq(SCAN_Q_IDLE, SCAN_Q_DONE);
    cr_expect_neq(SCAN_Q_TCP, SCAN_Q_DONE);
    cr_expect_eq(SCAN_Q_TCP & SCAN_Q_PHASE2, 0);
    cr_expect_eq(SCAN_Q_DONE & SCAN_Q_PHASE2, 0);
    for (unsigned a = 0; a + 1 < SCAN_Q_TCP; a++) {
        uint32_t q = scan_qs_q(scan_qs_pending_make(0, a, false));
        cr_expect(q != SCAN_Q_IDLE && q != SCAN_Q_TCP && q != SCAN_Q_DONE,
                  "attempt %u is coded as %#x", a, q);
    }
}

/* A query the TCP worker owns is recognised in either phase (the phase-2
 * bit rides along): a UDP copy of its truncated answer is a duplicate. */
Test(scan_qstate, tcp_ownership_is_seen_in_either_phase)
{
    for (uint32_t gen = 0; gen < 3; gen++) {
        cr_assert(scan_qs_is_tcp(scan_qs_make(gen, SCAN_Q_TCP)));
        cr_assert(scan_qs_is_tcp(scan_qs_make(gen, SCAN_Q_TCP | SCAN_Q_PHASE2)));
        cr_assert_not(scan_qs_is_tcp(scan_qs_make(gen, SCAN_Q_DONE)));
        cr_assert_not(scan_qs_is_tcp(scan_qs_make(gen, SCAN_Q_IDLE)));
        cr_assert_not(scan_qs_is_tcp(scan_qs_pending_make(gen, 3, true)));
    }
}
