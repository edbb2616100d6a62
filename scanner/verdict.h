/*
 * scanner/verdict.h - the verdict rules of docs/output.md as pure functions.
 *
 * Purpose: from how each lookup of a target ended, decide each PTR name's
 * status and the target's verdict, stage and reason. No state, no
 * allocation; any thread. Not untrusted input (works on parsed outcomes).
 */
#ifndef FCRSCAN_SCANNER_VERDICT_H
#define FCRSCAN_SCANNER_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "stats/record.h"

/* How one lookup ended, after retries and up to 8 CNAME/DNAME hops. */
enum scan_outcome {
    SCAN_OUTCOME_ANSWER,
    SCAN_OUTCOME_NODATA,
    SCAN_OUTCOME_NXDOMAIN,
    SCAN_OUTCOME_TEMP,
};

/* What the forward lookups of one usable PTR name found. */
struct scan_name_lookup {
    uint8_t outcome;       /* enum scan_outcome, target family */
    uint8_t reason;        /* enum stats_reason when outcome is TEMP */
    bool target_found;     /* ANSWER: the target is among the addresses */
    uint8_t other_outcome; /* NODATA only: the other family's lookup */
    uint8_t other_reason;
};

/*
 * Status of one usable name: CONFIRMED, MISMATCH (also when only the other
 * family has addresses: *wrong_family set), DANGLING (NXDOMAIN, or NODATA in
 * both families) or TEMPFAIL (*reason set). A temporary failure anywhere in
 * the decision gives TEMPFAIL, never a negative status.
 */
uint8_t scan_verdict_name_status(const struct scan_name_lookup *l, bool *wrong_family,
                                 uint8_t *reason);

/*
 * Aggregate name statuses (enum stats_name_status; NOT_EVALUATED ones are
 * skipped) into the verdict, first rule wins (docs/output.md "Verdicts"). For
 * tempfail, *stage = FORWARD and *reason = the first TEMP name's reason.
 * *temp_other is set when a pass leaves some names TEMP
 * (flag forward-temp-other-name). nb == 0 counts as "every name unusable".
 */
uint8_t scan_verdict_aggregate(const uint8_t *status, const uint8_t *reasons, unsigned nb,
                               uint8_t *stage, uint8_t *reason, bool *temp_other);

/* Verdict from the reverse lookup alone when it did not end in ANSWER. */
uint8_t scan_verdict_reverse(uint8_t outcome, uint8_t temp_reason, uint8_t *stage, uint8_t *reason);

#endif
