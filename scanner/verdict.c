/* Verdict rules; see verdict.h and docs/output.md "Verdicts". */
#include "scanner/verdict.h"

uint8_t scan_verdict_name_status(const struct scan_name_lookup *l, bool *wrong_family,
                                 uint8_t *reason)
{
    *wrong_family = false;
    *reason = STATS_REASON_NONE;
    switch (l->outcome) {
    case SCAN_OUTCOME_ANSWER:
        return l->target_found ? STATS_NAME_CONFIRMED : STATS_NAME_MISMATCH;
    case SCAN_OUTCOME_NXDOMAIN:
        return STATS_NAME_DANGLING;
    case SCAN_OUTCOME_NODATA:
        /* The other family tells a name that exists for the wrong family
         * (a configuration error worth its own flag) from one that exists
         * for nothing; if that lookup failed we cannot tell either. */
        switch (l->other_outcome) {
        case SCAN_OUTCOME_ANSWER:
            *wrong_family = true;
            return STATS_NAME_MISMATCH;
        case SCAN_OUTCOME_TEMP:
            *reason = l->other_reason;
            return STATS_NAME_TEMPFAIL;
        default:
            return STATS_NAME_DANGLING;
        }
    default:
        *reason = l->reason;
        return STATS_NAME_TEMPFAIL;
    }
}

uint8_t scan_verdict_aggregate(const uint8_t *status, const uint8_t *reasons, unsigned nb,
                               uint8_t *stage, uint8_t *reason, bool *temp_other)
{
    unsigned confirmed = 0, temp = 0, mismatch = 0, negative = 0, unusable = 0, evaluated = 0;
    uint8_t first_temp_reason = STATS_REASON_OTHER;
    for (unsigned i = 0; i < nb; i++) {
        switch (status[i]) {
        case STATS_NAME_NOT_EVALUATED:
            continue;
        case STATS_NAME_CONFIRMED:
            confirmed++;
            break;
        case STATS_NAME_TEMPFAIL:
            if (temp == 0)
                first_temp_reason = reasons[i];
            temp++;
            break;
        case STATS_NAME_MISMATCH:
            mismatch++;
            negative++;
            break;
        case STATS_NAME_UNUSABLE:
            unusable++;
            negative++;
            break;
        default: /* DANGLING */
            negative++;
            break;
        }
        evaluated++;
    }
    *stage = STATS_STAGE_NONE;
    *reason = STATS_REASON_NONE;
    *temp_other = false;
    if (unusable == evaluated)
        return STATS_VERDICT_UNUSABLE;
    if (confirmed > 0 && negative == 0) {
        *temp_other = temp > 0;
        return STATS_VERDICT_PASS;
    }
    if (confirmed > 0)
        return STATS_VERDICT_PARTIAL;
    if (temp > 0) {
        *stage = STATS_STAGE_FORWARD;
        *reason = first_temp_reason;
        return STATS_VERDICT_TEMPFAIL;
    }
    if (mismatch > 0)
        return STATS_VERDICT_MISMATCH;
    return STATS_VERDICT_DANGLING;
}

uint8_t scan_verdict_reverse(uint8_t outcome, uint8_t temp_reason, uint8_t *stage, uint8_t *reason)
{
    *stage = STATS_STAGE_NONE;
    *reason = STATS_REASON_NONE;
    switch (outcome) {
    case SCAN_OUTCOME_NXDOMAIN:
        return STATS_VERDICT_NO_PTR;
    case SCAN_OUTCOME_NODATA:
        return STATS_VERDICT_PTR_NODATA;
    default:
        *stage = STATS_STAGE_REVERSE;
        *reason = temp_reason;
        return STATS_VERDICT_TEMPFAIL;
    }
}
