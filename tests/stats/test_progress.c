/*
 * tests/stats/test_progress.c - the progress line: compact 128-bit counts,
 * percentages and ETA that never wrap (docs/test-cases.md I02), unknown ETA.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "stats/progress.h"

#define SEC 1000000000ull

static char line[STATS_PROGRESS_LINE_MAX];

static const char *render(const struct stats_progress *p, const struct stats_progress_sample *s,
                          unsigned flags)
{
    int n = stats_progress_render(p, s, flags, line, sizeof(line));
    cr_assert_gt(n, 0, "rc %d", n);
    cr_assert_eq((size_t)n, strlen(line));
    return line;
}

/* The part of the line between "q/s  " and "  ETA". */
static const char *counts_part(const struct stats_progress *p,
                               const struct stats_progress_sample *s)
{
    static char part[128];
    const char *l = render(p, s, 0);
    const char *a = strstr(l, " q/s  ");
    const char *b = strstr(l, "  ETA ");
    cr_assert(a != NULL && b != NULL && b > a);
    a += 6;
    snprintf(part, sizeof(part), "%.*s", (int)(b - a), a);
    return part;
}

static const char *eta_part(const struct stats_progress *p, const struct stats_progress_sample *s)
{
    static char part[64];
    const char *l = render(p, s, 0);
    const char *a = strstr(l, "  ETA ");
    cr_assert_not_null(a);
    a += 6;
    const char *b = strchr(a, ' ');
    snprintf(part, sizeof(part), "%.*s", (int)(b - a), a);
    return part;
}

Test(stats_progress, starts_with_unknown_rate_total_and_eta)
{
    struct stats_progress p;
    struct stats_progress_sample s;
    memset(&s, 0, sizeof(s));
    stats_progress_init(&p);
    cr_assert_str_eq(render(&p, &s, 0), "-- q/s  0  ETA --  pass 0 part 0 mism 0 dang 0 unus 0 "
                                        "noptr 0 nodata 0 temp 0");
}

Test(stats_progress, compact_counts_cover_128_bits)
{
    static const struct {
        stats_u128 v;
        const char *text;
    } cases[] = {
        { 0, "0" },
        { 9999, "9999" },
        { 10000, "10.0k" },
        { 12345, "12.3k" },
        { 999999, "999k" },
        { 1000000, "1.00M" },
        { 4294967296ull, "4.29G" },
        { (stats_u128)1 << 64, "18.4E" },
        { ((stats_u128)1 << 64) - 1, "18.4E" },
        { (stats_u128)1 << 96, "79.2R" },
        { (stats_u128)1 << 100, "1.26Q" },
        { (stats_u128)1 << 110, "1.29e33" },
        { ~(stats_u128)0, "3.40e38" },
    };
    struct stats_progress p;
    stats_progress_init(&p);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct stats_progress_sample s;
        memset(&s, 0, sizeof(s));
        s.done = cases[i].v;
        cr_assert_str_eq(counts_part(&p, &s), cases[i].text, "case %zu", i);
    }
}

Test(stats_progress, percent_is_exact_across_two_to_the_64)
{
    static const struct {
        stats_u128 done, total;
        const char *text;
    } cases[] = {
        { 0, 10, "0/10 0.00%" },
        { 1, 3, "1/3 33.33%" },
        { (stats_u128)1 << 64, ((stats_u128)3 << 63), "18.4E/27.6E 66.66%" },
        { ((stats_u128)1 << 64) - 1, (stats_u128)1 << 64, "18.4E/18.4E 99.99%" },
        { (stats_u128)1 << 100, (stats_u128)3 << 100, "1.26Q/3.80Q 33.33%" },
        { (stats_u128)1 << 127, ~(stats_u128)0, "1.70e38/3.40e38 50.00%" },
        { ~(stats_u128)0, ~(stats_u128)0, "3.40e38/3.40e38 100.00%" },
        { 11, 10, "11/10 100.00%" },
    };
    struct stats_progress p;
    stats_progress_init(&p);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct stats_progress_sample s;
        memset(&s, 0, sizeof(s));
        s.done = cases[i].done;
        s.total = cases[i].total;
        cr_assert_str_eq(counts_part(&p, &s), cases[i].text, "case %zu", i);
    }
}

Test(stats_progress, rate_and_eta_from_two_samples)
{
    struct stats_progress p;
    struct stats_progress_sample s;
    memset(&s, 0, sizeof(s));
    stats_progress_init(&p);
    s.now_ns = 100 * SEC;
    s.total = 10000;
    stats_progress_update(&p, &s);
    cr_assert_str_eq(eta_part(&p, &s), "--", "one sample: no rate yet");
    s.now_ns = 101 * SEC;
    s.sent = 2000;
    s.done = 1000;
    s.verdicts[STATS_VERDICT_PASS] = 990;
    s.verdicts[STATS_VERDICT_TEMPFAIL] = 10;
    stats_progress_update(&p, &s);
    cr_assert_str_eq(render(&p, &s, 0), "2000 q/s  1000/10.0k 10.00%  ETA 0:00:09  pass 990 part 0 "
                                        "mism 0 dang 0 unus 0 noptr 0 nodata 0 temp 10");
    /* A sample from the past is ignored. */
    struct stats_progress before = p;
    s.now_ns = 50 * SEC;
    stats_progress_update(&p, &s);
    cr_assert_eq(memcmp(&before, &p, sizeof(p)), 0);
}

Test(stats_progress, rate_is_smoothed)
{
    struct stats_progress p;
    struct stats_progress_sample s;
    memset(&s, 0, sizeof(s));
    stats_progress_init(&p);
    stats_progress_update(&p, &s);
    s.now_ns = SEC;
    s.sent = 1000;
    stats_progress_update(&p, &s);
    cr_assert_float_eq(p.qps, 1000.0, 1e-9);
    s.now_ns = 2 * SEC;
    s.sent = 1000 + 7000;
    stats_progress_update(&p, &s);
    /* weight dt/(tau+dt) = 1/6: 1000 + (7000 - 1000)/6 = 2000 */
    cr_assert_float_eq(p.qps, 2000.0, 1e-6);
}

Test(stats_progress, eta_formats_hours_and_gives_up_beyond_99999_hours)
{
    struct stats_progress p;
    struct stats_progress_sample s;
    memset(&s, 0, sizeof(s));
    stats_progress_init(&p);
    stats_progress_update(&p, &s);
    s.now_ns = SEC;
    s.done = 1000;
    stats_progress_update(&p, &s); /* 1000 targets/s */

    s.total = 1000 + 1000ull * (25 * 3600 + 61);
    cr_assert_str_eq(eta_part(&p, &s), "25:01:01");
    s.total = 1000 + 1000ull * 99999 * 3600;
    cr_assert_str_eq(eta_part(&p, &s), "99999:00:00");
    s.total = (stats_u128)1 << 64; /* IPv6 /64 at 1000/s: 584 million years */
    cr_assert_str_eq(eta_part(&p, &s), "--");
    s.total = ~(stats_u128)0;
    cr_assert_str_eq(eta_part(&p, &s), "--");
    s.total = 0;
    cr_assert_str_eq(eta_part(&p, &s), "--", "unknown total");
    s.total = 1000;
    cr_assert_str_eq(eta_part(&p, &s), "0:00:00", "done");
    s.total = 999;
    cr_assert_str_eq(eta_part(&p, &s), "0:00:00", "more rows than targets never wraps");
}

Test(stats_progress, stalled_rate_gives_unknown_eta)
{
    struct stats_progress p;
    struct stats_progress_sample s;
    memset(&s, 0, sizeof(s));
    stats_progress_init(&p);
    s.total = 100;
    stats_progress_update(&p, &s);
    s.now_ns = SEC;
    stats_progress_update(&p, &s);
    cr_assert_str_eq(eta_part(&p, &s), "--");
    cr_assert_eq(strncmp(render(&p, &s, 0), "0 q/s", 5), 0);
}

Test(stats_progress, tty_framing_and_bounded_buffers)
{
    struct stats_progress p;
    struct stats_progress_sample s;
    memset(&s, 0, sizeof(s));
    stats_progress_init(&p);
    stats_progress_update(&p, &s);
    /* Every field at its widest. */
    s.now_ns = SEC;
    s.sent = UINT64_MAX;
    s.done = ((stats_u128)1 << 127) + 12345;
    s.total = ~(stats_u128)0;
    for (unsigned v = 0; v < STATS_VERDICT_COUNT; v++)
        s.verdicts[v] = UINT64_MAX - v;
    stats_progress_update(&p, &s);
    const char *l = render(&p, &s, STATS_PROGRESS_TTY);
    size_t len = strlen(l);
    cr_assert_eq(l[0], '\r');
    cr_assert_str_eq(l + len - 3, "\033[K");
    cr_assert_lt(len + 1, (size_t)STATS_PROGRESS_LINE_MAX);
    for (size_t i = 1; i < len - 3; i++)
        cr_assert(l[i] >= 0x20 && l[i] < 0x7F, "printable at %zu", i);

    char small[STATS_PROGRESS_LINE_MAX + 16];
    for (size_t cap = 0; cap <= len + 1; cap++) {
        memset(small, 0x5A, sizeof(small));
        int rc = stats_progress_render(&p, &s, STATS_PROGRESS_TTY, small, cap);
        for (size_t k = cap; k < sizeof(small); k++)
            cr_assert_eq(small[k], 0x5A, "cap %zu wrote byte %zu", cap, k);
        if (cap == len + 1)
            cr_assert_eq(rc, (int)len);
        else
            cr_assert_eq(rc, STATS_E_SPACE, "cap %zu", cap);
    }
}
