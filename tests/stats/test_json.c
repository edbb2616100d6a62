/*
 * tests/stats/test_json.c - the JSON emitter: structure, escaping, UTF-8
 * repair, 128-bit integers, fixed-point numbers, sticky errors.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "stats/error.h"
#include "stats/json.h"
#include "testutil.h"

static char buf[4096];

static const char *finish_ok(struct stats_json *j)
{
    int n = stats_json_finish(j);
    cr_assert_geq(n, 0, "finish: %d %s", n, stats_strerror(n));
    cr_assert_eq((size_t)n, strlen(j->buf));
    return j->buf;
}

Test(stats_json, compact_document)
{
    struct stats_json j;
    stats_json_init(&j, buf, sizeof(buf), 0);
    stats_json_object_begin(&j);
    stats_json_key(&j, "a");
    stats_json_u64(&j, 1);
    stats_json_key(&j, "b");
    stats_json_array_begin(&j);
    stats_json_bool(&j, true);
    stats_json_bool(&j, false);
    stats_json_null(&j);
    stats_json_str(&j, NULL);
    stats_json_array_end(&j);
    stats_json_key(&j, "c");
    stats_json_object_begin(&j);
    stats_json_key(&j, "d");
    stats_json_str(&j, "x");
    stats_json_object_end(&j);
    stats_json_key(&j, "e");
    stats_json_array_begin(&j);
    stats_json_array_end(&j);
    stats_json_key(&j, "f");
    stats_json_object_begin(&j);
    stats_json_object_end(&j);
    stats_json_object_end(&j);
    cr_assert_str_eq(
        finish_ok(&j),
        "{\"a\":1,\"b\":[true,false,null,null],\"c\":{\"d\":\"x\"},\"e\":[],\"f\":{}}\n");
}

Test(stats_json, pretty_document)
{
    struct stats_json j;
    stats_json_init(&j, buf, sizeof(buf), STATS_JSON_PRETTY);
    stats_json_object_begin(&j);
    stats_json_key(&j, "a");
    stats_json_array_begin(&j);
    stats_json_i64(&j, -1);
    stats_json_i64(&j, 2);
    stats_json_array_end(&j);
    stats_json_key(&j, "e");
    stats_json_array_begin(&j);
    stats_json_array_end(&j);
    stats_json_key(&j, "o");
    stats_json_object_begin(&j);
    stats_json_key(&j, "k");
    stats_json_str(&j, "v");
    stats_json_object_end(&j);
    stats_json_object_end(&j);
    cr_assert_str_eq(finish_ok(&j), "{\n"
                                    "  \"a\": [\n"
                                    "    -1,\n"
                                    "    2\n"
                                    "  ],\n"
                                    "  \"e\": [],\n"
                                    "  \"o\": {\n"
                                    "    \"k\": \"v\"\n"
                                    "  }\n"
                                    "}\n");
}

Test(stats_json, escapes_controls_quotes_and_backslashes)
{
    struct stats_json j;
    static const char s[] = "q\"b\\n\nr\rt\tb\bf\fz\0e\033d\x7f/<";
    stats_json_init(&j, buf, sizeof(buf), 0);
    stats_json_strn(&j, s, sizeof(s) - 1);
    cr_assert_str_eq(finish_ok(&j),
                     "\"q\\\"b\\\\n\\nr\\rt\\tb\\bf\\fz\\u0000e\\u001bd\\u007f/<\"\n");
}

Test(stats_json, keeps_valid_utf8_and_replaces_invalid_bytes)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        { "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
        { "\xf0\x9f\x98\x80!", "\"\xf0\x9f\x98\x80!\"" },
        { "\xe2\x82\xac", "\"\xe2\x82\xac\"" },
        { "a\x80z", "\"a\\ufffdz\"" },                              /* lone continuation */
        { "\xc0\xaf", "\"\\ufffd\\ufffd\"" },                       /* overlong '/' */
        { "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"" },            /* overlong, 3 bytes */
        { "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },            /* surrogate U+D800 */
        { "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* > U+10FFFF */
        { "\xf5", "\"\\ufffd\"" },
        { "\xff\xfe", "\"\\ufffd\\ufffd\"" },
        { "ok\xc3", "\"ok\\ufffd\"" }, /* cut at the end */
        { "\xe2\x82", "\"\\ufffd\\ufffd\"" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct stats_json j;
        char expect[128];
        stats_json_init(&j, buf, sizeof(buf), 0);
        stats_json_str(&j, cases[i].in);
        snprintf(expect, sizeof(expect), "%s\n", cases[i].out);
        cr_assert_str_eq(finish_ok(&j), expect, "case %zu", i);
    }
}

Test(stats_json, keys_are_escaped_too_and_python_parses_the_result)
{
    struct stats_json j;
    stats_json_init(&j, NULL, 0, STATS_JSON_PRETTY);
    stats_json_object_begin(&j);
    stats_json_key(&j, "we\"ird\n\xff key");
    stats_json_str(&j, "%n%s\033[2J\xc3");
    stats_json_key(&j, "n");
    stats_json_u128(&j, ~(stats_u128)0);
    stats_json_object_end(&j);
    int n = stats_json_finish(&j);
    cr_assert_gt(n, 0);
    const char *dir = tu_tmpdir();
    char p[600];
    snprintf(p, sizeof(p), "%s/doc.json", dir);
    tu_write_file(p, j.buf, (size_t)n);
    static const char check[] = "import json, sys\n"
                                "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
                                "assert d == {'we\"ird\\n\\ufffd key': '%n%s\\x1b[2J\\ufffd',\n"
                                "             'n': 2**128 - 1}, d\n";
    cr_assert_eq(tu_python(check, p, NULL, NULL), 0);
    stats_json_fini(&j);
}

Test(stats_json, integers_cover_the_full_ranges)
{
    static const struct {
        stats_u128 v;
        const char *text;
    } cases[] = {
        { 0, "0" },
        { 9, "9" },
        { 10, "10" },
        { UINT64_MAX, "18446744073709551615" },
        { (stats_u128)UINT64_MAX + 1, "18446744073709551616" },
        { (stats_u128)10000000000000000000ull, "10000000000000000000" },
        { (stats_u128)10000000000000000000ull * 10000000000000000000ull,
          "100000000000000000000000000000000000000" },
        { ~(stats_u128)0, "340282366920938463463374607431768211455" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char t[STATS_U128_TEXT_MAX];
        cr_assert_eq(stats_u128_format(cases[i].v, t), strlen(cases[i].text));
        cr_assert_str_eq(t, cases[i].text);
    }
    struct stats_json j;
    stats_json_init(&j, buf, sizeof(buf), 0);
    stats_json_array_begin(&j);
    stats_json_i64(&j, INT64_MIN);
    stats_json_i64(&j, INT64_MAX);
    stats_json_i64(&j, 0);
    stats_json_u64(&j, UINT64_MAX);
    stats_json_array_end(&j);
    cr_assert_str_eq(finish_ok(&j),
                     "[-9223372036854775808,9223372036854775807,0,18446744073709551615]\n");
}

/* docs/test-cases.md I02: every IPv6 address plus its blocklisted part is 2^128. */
Test(stats_json, counts_with_a_carry_reach_two_to_the_129)
{
    struct stats_json j;
    stats_json_init(&j, buf, sizeof(buf), 0);
    stats_json_array_begin(&j);
    stats_json_u128_carry(&j, false, 7);
    stats_json_u128_carry(&j, true, 0);
    stats_json_u128_carry(&j, true, 1);
    stats_json_u128_carry(&j, true, (stats_u128)UINT64_MAX + 1);
    stats_json_u128_carry(&j, true, ~(stats_u128)0);
    stats_json_array_end(&j);
    cr_assert_str_eq(finish_ok(&j), "[7,340282366920938463463374607431768211456,"
                                    "340282366920938463463374607431768211457,"
                                    "340282366920938463481821351505477763072,"
                                    "680564733841876926926749214863536422911]\n");
}

Test(stats_json, fixed_point_numbers_round_and_never_print_nan)
{
    static const struct {
        double v;
        unsigned d;
        const char *text;
    } cases[] = {
        { 0.0, 3, "0.000" },
        { 12.3456, 2, "12.35" },
        { 12.5, 0, "13" },
        { -1.5, 1, "-1.5" },
        { -0.0004, 3, "0.000" },
        { 1234.5678, 1, "1234.6" },
        { 0.1, 9, "0.100000000" },
        { 0.25, 12, "0.250000000" }, /* decimals capped at 9 */
        { 1e20, 2, "100000000000000000000" },
        { -1e20, 2, "-100000000000000000000" },
        { NAN, 2, "null" },
        { INFINITY, 2, "null" },
        { -INFINITY, 0, "null" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct stats_json j;
        char expect[64];
        stats_json_init(&j, buf, sizeof(buf), 0);
        stats_json_fixed(&j, cases[i].v, cases[i].d);
        snprintf(expect, sizeof(expect), "%s\n", cases[i].text);
        cr_assert_str_eq(finish_ok(&j), expect, "case %zu", i);
    }
}

/* ---- misuse and overflow: sticky errors ------------------------------------------- */

Test(stats_json, misuse_is_reported_at_finish)
{
    struct stats_json j;

    stats_json_init(&j, buf, sizeof(buf), 0);
    stats_json_object_begin(&j);
    cr_assert_eq(stats_json_finish(&j), STATS_E_JSON, "unclosed object");

    stats_json_init(&j, buf, sizeof(buf), 0);
    stats_json_object_begin(&j);
    stats_json_u64(&j, 1);
    stats_json_object_end(&j);
    cr_assert_eq(stats_json_finish(&j), STATS_E_JSON, "value without a key");

    stats_json_init(&j, buf, sizeof(buf), 0);
    stats_json_array_begin(&j);
    stats_json_key(&j, "k");
    stats_json_array_end(&j);
    cr_assert_eq(stats_json_finish(&j), STATS_E_JSON, "key in an array");

    stats_json_init(&j, buf, sizeof(buf), 0);
    stats_json_object_begin(&j);
    stats_json_key(&j, "k");
    stats_json_object_end(&j);
    cr_assert_eq(stats_json_finish(&j), STATS_E_JSON, "key without a value");

    stats_json_init(&j, buf, sizeof(buf), 0);
    stats_json_array_begin(&j);
    stats_json_object_end(&j);
    cr_assert_eq(stats_json_finish(&j), STATS_E_JSON, "mismatched end");

    stats_json_init(&j, buf, sizeof(buf), 0);
    stats_json_array_end(&j);
    cr_assert_eq(stats_json_finish(&j), STATS_E_JSON, "end at the root");

    stats_json_init(&j, buf, sizeof(buf), 0);
    stats_json_u64(&j, 1);
    stats_json_u64(&j, 2);
    cr_assert_eq(stats_json_finish(&j), STATS_E_JSON, "two root values");

    stats_json_init(&j, buf, sizeof(buf), 0);
    cr_assert_eq(stats_json_finish(&j), STATS_E_JSON, "empty document");

    stats_json_init(&j, buf, sizeof(buf), 0);
    for (unsigned d = 0; d < STATS_JSON_DEPTH_MAX; d++)
        stats_json_array_begin(&j);
    for (unsigned d = 0; d < STATS_JSON_DEPTH_MAX; d++)
        stats_json_array_end(&j);
    cr_assert_gt(stats_json_finish(&j), 0, "exactly the maximum depth is fine");

    stats_json_init(&j, buf, sizeof(buf), 0);
    for (unsigned d = 0; d <= STATS_JSON_DEPTH_MAX; d++)
        stats_json_array_begin(&j);
    for (unsigned d = 0; d <= STATS_JSON_DEPTH_MAX; d++)
        stats_json_array_end(&j);
    cr_assert_eq(stats_json_finish(&j), STATS_E_JSON, "one level too deep");
}

Test(stats_json, fixed_buffer_overflow_is_sticky_and_bounded)
{
    static char small[256];
    struct stats_json j;
    /* Find the full length first, then try every smaller capacity. */
    stats_json_init(&j, buf, sizeof(buf), STATS_JSON_PRETTY);
    stats_json_object_begin(&j);
    stats_json_key(&j, "name\"with\\escapes");
    stats_json_str(&j, "\x01\xff value");
    stats_json_key(&j, "n");
    stats_json_u128(&j, ~(stats_u128)0);
    stats_json_object_end(&j);
    int full = stats_json_finish(&j);
    cr_assert_gt(full, 0);
    cr_assert_lt((size_t)full + 16, sizeof(small));
    for (size_t cap = 0; cap <= (size_t)full + 1; cap++) {
        memset(small, 0x5A, sizeof(small));
        stats_json_init(&j, small, cap, STATS_JSON_PRETTY);
        stats_json_object_begin(&j);
        stats_json_key(&j, "name\"with\\escapes");
        stats_json_str(&j, "\x01\xff value");
        stats_json_key(&j, "n");
        stats_json_u128(&j, ~(stats_u128)0);
        stats_json_object_end(&j);
        int rc = stats_json_finish(&j);
        for (size_t k = cap; k < sizeof(small); k++)
            cr_assert_eq(small[k], 0x5A, "cap %zu: byte %zu written", cap, k);
        if (cap == (size_t)full + 1) {
            cr_assert_eq(rc, full);
            cr_assert_str_eq(small, buf);
        } else {
            cr_assert_eq(rc, STATS_E_SPACE, "cap %zu rc %d", cap, rc);
        }
    }
}

Test(stats_json, growable_buffer_takes_a_large_document)
{
    struct stats_json j;
    stats_json_init(&j, NULL, 0, 0);
    stats_json_array_begin(&j);
    for (unsigned i = 0; i < 200000; i++)
        stats_json_u64(&j, i);
    stats_json_array_end(&j);
    int n = stats_json_finish(&j);
    cr_assert_gt(n, 1000000);
    cr_assert_eq(strncmp(j.buf, "[0,1,2,3,", 9), 0);
    cr_assert_str_eq(j.buf + n - 9, ",199999]\n");
    stats_json_fini(&j);
    cr_assert_null(j.buf);
    stats_json_fini(&j);
    stats_json_fini(NULL);
}
