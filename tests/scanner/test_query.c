/* Criterion suite for the lookup timing rule of scanner/scan.h
 * (scan_attempt_timeout_ms): doubling per retry, capped. */
#include <criterion/criterion.h>

#include "scanner/scan.h"

Test(scan_query, timeouts_double_up_to_the_cap)
{
    static const unsigned want[] = { 1500, 3000, 6000, 6000, 6000 };
    for (unsigned a = 0; a < sizeof(want) / sizeof(want[0]); a++)
        cr_assert_eq(scan_attempt_timeout_ms(1500, a), want[a], "attempt %u", a);
    static const unsigned small[] = { 100, 200, 400, 800, 1600, 3200, 6000, 6000 };
    for (unsigned a = 0; a < sizeof(small) / sizeof(small[0]); a++)
        cr_assert_eq(scan_attempt_timeout_ms(100, a), small[a], "attempt %u", a);
}

/* --timeout 7000 waited 7, 14, 28, 56, 112 s: the cap applied only to first
 * timeouts of at most 6000 ms. Every attempt is capped now. */
Test(scan_query, a_first_timeout_above_the_cap_is_kept_for_every_attempt)
{
    for (unsigned a = 0; a <= SCAN_RETRIES_MAX; a++) {
        cr_assert_eq(scan_attempt_timeout_ms(7000, a), 7000, "attempt %u", a);
        cr_assert_eq(scan_attempt_timeout_ms(60000, a), 60000, "attempt %u", a);
    }
}

Test(scan_query, no_overflow_at_the_largest_attempt)
{
    cr_assert_eq(scan_attempt_timeout_ms(1, SCAN_RETRIES_MAX), SCAN_TIMEOUT_MAX_MS);
    cr_assert_eq(scan_attempt_timeout_ms(6000, 200), SCAN_TIMEOUT_MAX_MS);
    cr_assert_eq(scan_attempt_timeout_ms(5999, 1), SCAN_TIMEOUT_MAX_MS);
}
