/*
 * tests/criterion_main.c - main() of every Criterion suite: Criterion's own
 * runner, plus what it does not do by itself.
 *
 * Skips are never silent. Criterion exits 0 when a test calls
 * cr_skip_test, so meson would record the suite as OK. Here every skipped
 * test is printed ("SKIP suite::test: reason"), and a suite in which a
 * test was skipped and none failed exits 77, which meson records as SKIP.
 * (Criterion's own skip count also counts tests left out by --filter; the
 * hook below counts only tests that ran and skipped.)
 *
 * Leaks fail. Criterion ignores LeakSanitizer's exit status in a test
 * process once the test has reported; an abort is reported as a crash in
 * teardown and fails the suite, hence abort_on_error. LeakSanitizer needs
 * whole stacks (fast_unwind_on_malloc=0: libcriterion has no frame
 * pointers) to tell Criterion's own runner allocations, which
 * tests/lsan.supp suppresses by function name, from a test's. ASAN_OPTIONS
 * in the environment still override these defaults.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>

static size_t nb_skipped;

ReportHook(POST_TEST)(struct criterion_test_stats *stats)
{
    if (stats->test_status != CR_STATUS_SKIPPED)
        return;
    nb_skipped++;
    fprintf(stderr, "SKIP %s::%s: %s\n", stats->test->category, stats->test->name,
            stats->message != NULL && stats->message[0] != '\0' ? stats->message
                                                                : "(no reason given)");
}

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "abort_on_error=1:fast_unwind_on_malloc=0";
}

int main(int argc, char *argv[])
{
    struct criterion_test_set *tests = criterion_initialize();
    int rc = 0;
    if (criterion_handle_args(argc, argv, true))
        rc = !criterion_run_all_tests(tests);
    criterion_finalize(tests);
    if (rc == 0 && nb_skipped > 0) {
        fprintf(stderr, "%zu test(s) skipped: exit 77 (skipped)\n", nb_skipped);
        return 77;
    }
    return rc;
}
