/*
 * scanner/qstate.h - the 32-bit state word of one query.
 *
 * Purpose: a query's whole life in one atomic word: generation (24 bits, so
 * a timer or a stale index cell for a recycled slot never matches) and state
 * (8 bits: idle, pending attempt n in phase 1 or 2, owned by the TCP worker,
 * done). Claiming a reply, a retry or a timeout is a CAS on it, so exactly
 * one of them ends or advances a query.
 * Threading: pure functions on values; the words themselves are atomics
 * owned by the lookups (scanner/scan_internal.h). Hot path: yes.
 */
#ifndef FCRSCAN_SCANNER_QSTATE_H
#define FCRSCAN_SCANNER_QSTATE_H

#include <stdbool.h>
#include <stdint.h>

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
/* True when the TCP worker owns the query (either phase). */
static inline bool scan_qs_is_tcp(uint32_t s)
{
    return (s & SCAN_Q_ATTEMPTS) == SCAN_Q_TCP;
}
static inline uint32_t scan_qs_pending_make(uint32_t gen, unsigned attempt, bool phase2)
{
    return scan_qs_make(gen, (attempt + 1u) | (phase2 ? SCAN_Q_PHASE2 : 0u));
}

#endif
