/* Every rule of the verdict rules of docs/output.md, first rule wins. */
#include <criterion/criterion.h>

#include "scanner/verdict.h"

enum {
    C = STATS_NAME_CONFIRMED,
    M = STATS_NAME_MISMATCH,
    D = STATS_NAME_DANGLING,
    U = STATS_NAME_UNUSABLE,
    T = STATS_NAME_TEMPFAIL,
    N = STATS_NAME_NOT_EVALUATED
};

struct agg_case {
    const char *what;
    uint8_t status[6];
    unsigned nb;
    uint8_t verdict;
    bool temp_other;
};

static const struct agg_case agg_cases[] = {
    { "one unusable", { U }, 1, STATS_VERDICT_UNUSABLE, false },
    { "all unusable", { U, U, U }, 3, STATS_VERDICT_UNUSABLE, false },
    { "unusable beats nothing else evaluated", { U, N, N }, 3, STATS_VERDICT_UNUSABLE, false },
    { "one confirmed", { C }, 1, STATS_VERDICT_PASS, false },
    { "all confirmed", { C, C }, 2, STATS_VERDICT_PASS, false },
    { "confirmed and temp is pass", { C, T }, 2, STATS_VERDICT_PASS, true },
    { "not evaluated is ignored", { C, N }, 2, STATS_VERDICT_PASS, false },
    { "confirmed and mismatch", { C, M }, 2, STATS_VERDICT_PARTIAL, false },
    { "confirmed and dangling", { D, C }, 2, STATS_VERDICT_PARTIAL, false },
    { "confirmed and unusable", { C, U }, 2, STATS_VERDICT_PARTIAL, false },
    { "confirmed, temp and mismatch", { C, T, M }, 3, STATS_VERDICT_PARTIAL, false },
    { "temp only", { T }, 1, STATS_VERDICT_TEMPFAIL, false },
    { "temp beats mismatch", { M, T }, 2, STATS_VERDICT_TEMPFAIL, false },
    { "temp beats dangling", { D, T, U }, 3, STATS_VERDICT_TEMPFAIL, false },
    { "mismatch", { M }, 1, STATS_VERDICT_MISMATCH, false },
    { "mismatch beats dangling", { D, M }, 2, STATS_VERDICT_MISMATCH, false },
    { "mismatch with unusable", { U, M }, 2, STATS_VERDICT_MISMATCH, false },
    { "dangling", { D }, 1, STATS_VERDICT_DANGLING, false },
    { "dangling with unusable", { U, D }, 2, STATS_VERDICT_DANGLING, false },
};

Test(scan_verdict, aggregates_every_rule_first_rule_wins)
{
    for (size_t i = 0; i < sizeof(agg_cases) / sizeof(agg_cases[0]); i++) {
        const struct agg_case *c = &agg_cases[i];
        uint8_t reasons[6] = { 0 };
        for (unsigned k = 0; k < c->nb; k++)
            reasons[k] = c->status[k] == T ? STATS_REASON_SERVFAIL : STATS_REASON_NONE;
        uint8_t stage = 99, reason = 99;
        bool temp_other = !c->temp_other;
        uint8_t v = scan_verdict_aggregate(c->status, reasons, c->nb, &stage, &reason, &temp_other);
        cr_expect_eq(v, c->verdict, "%s: verdict %u, want %u", c->what, v, c->verdict);
        cr_expect_eq(temp_other, c->temp_other, "%s: temp_other", c->what);
        if (v == STATS_VERDICT_TEMPFAIL) {
            cr_expect_eq(stage, STATS_STAGE_FORWARD, "%s: stage", c->what);
            cr_expect_eq(reason, STATS_REASON_SERVFAIL, "%s: reason", c->what);
        } else {
            cr_expect_eq(stage, STATS_STAGE_NONE, "%s: stage", c->what);
            cr_expect_eq(reason, STATS_REASON_NONE, "%s: reason", c->what);
        }
    }
}

Test(scan_verdict, tempfail_reason_is_the_first_temp_names)
{
    const uint8_t status[3] = { D, T, T };
    const uint8_t reasons[3] = { 0, STATS_REASON_TIMEOUT, STATS_REASON_REFUSED };
    uint8_t stage, reason;
    bool other;
    cr_assert_eq(scan_verdict_aggregate(status, reasons, 3, &stage, &reason, &other),
                 STATS_VERDICT_TEMPFAIL);
    cr_assert_eq(reason, STATS_REASON_TIMEOUT);
}

Test(scan_verdict, reverse_outcomes)
{
    uint8_t stage, reason;
    cr_assert_eq(scan_verdict_reverse(SCAN_OUTCOME_NXDOMAIN, 0, &stage, &reason),
                 STATS_VERDICT_NO_PTR);
    cr_assert_eq(stage, STATS_STAGE_NONE);
    cr_assert_eq(scan_verdict_reverse(SCAN_OUTCOME_NODATA, 0, &stage, &reason),
                 STATS_VERDICT_PTR_NODATA);
    cr_assert_eq(scan_verdict_reverse(SCAN_OUTCOME_TEMP, STATS_REASON_REFUSED, &stage, &reason),
                 STATS_VERDICT_TEMPFAIL);
    cr_assert_eq(stage, STATS_STAGE_REVERSE);
    cr_assert_eq(reason, STATS_REASON_REFUSED);
}

struct name_case {
    const char *what;
    struct scan_name_lookup l;
    uint8_t status;
    bool wrong_family;
    uint8_t reason;
};

static const struct name_case name_cases[] = {
    { "target among addresses", { SCAN_OUTCOME_ANSWER, 0, true, 0, 0 }, C, false, 0 },
    { "addresses without target", { SCAN_OUTCOME_ANSWER, 0, false, 0, 0 }, M, false, 0 },
    { "nxdomain", { SCAN_OUTCOME_NXDOMAIN, 0, false, 0, 0 }, D, false, 0 },
    { "nodata both families",
      { SCAN_OUTCOME_NODATA, 0, false, SCAN_OUTCOME_NODATA, 0 },
      D,
      false,
      0 },
    { "nodata here, nxdomain there",
      { SCAN_OUTCOME_NODATA, 0, false, SCAN_OUTCOME_NXDOMAIN, 0 },
      D,
      false,
      0 },
    { "only the other family",
      { SCAN_OUTCOME_NODATA, 0, false, SCAN_OUTCOME_ANSWER, 0 },
      M,
      true,
      0 },
    { "other family lookup failed",
      { SCAN_OUTCOME_NODATA, 0, false, SCAN_OUTCOME_TEMP, STATS_REASON_TIMEOUT },
      T,
      false,
      STATS_REASON_TIMEOUT },
    { "temporary failure",
      { SCAN_OUTCOME_TEMP, STATS_REASON_SERVFAIL, false, 0, 0 },
      T,
      false,
      STATS_REASON_SERVFAIL },
};

Test(scan_verdict, name_status_of_every_lookup_outcome)
{
    for (size_t i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
        const struct name_case *c = &name_cases[i];
        bool wf = !c->wrong_family;
        uint8_t reason = 99;
        uint8_t st = scan_verdict_name_status(&c->l, &wf, &reason);
        cr_expect_eq(st, c->status, "%s: status %u", c->what, st);
        cr_expect_eq(wf, c->wrong_family, "%s: wrong_family", c->what);
        cr_expect_eq(reason, c->reason, "%s: reason", c->what);
    }
}
