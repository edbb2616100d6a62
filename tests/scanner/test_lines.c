/*
 * Criterion suite for scanner/lines.h: the SPSC ring of output lines,
 * sequentially (capacity, room, whole lines in order, the largest line,
 * wrap-around of the buffer and of the positions). The concurrent
 * producer/consumer is in stress_primitives.c.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "scanner/lines.h"

#define PREFIX_LEN 4 /* each line is stored after a 4-octet length */

/* Line number n of a test stream: n's digits, filler, a newline; len >= 8. */
static void make_line(char *buf, unsigned n, size_t len)
{
    int k = snprintf(buf, len, "%u:", n % 100000u);
    for (size_t i = (size_t)k; i + 1 < len; i++)
        buf[i] = (char)('a' + (n + i) % 26);
    buf[len - 1] = '\n';
}

Test(scan_lines, rounds_the_capacity_up_to_a_power_of_two_of_at_least_4096)
{
    static const struct {
        size_t asked, cap;
    } cases[] = {
        { 0, 4096 },    { 1, 4096 },      { 4096, 4096 },
        { 4097, 8192 }, { 65536, 65536 }, { 70000, 131072 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scan_lines r;
        cr_assert_eq(scan_lines_init(&r, cases[i].asked), 0);
        cr_expect_eq(r.cap, cases[i].cap, "asked %zu: capacity %zu, want %zu", cases[i].asked,
                     r.cap, cases[i].cap);
        cr_expect(scan_lines_empty(&r));
        scan_lines_fini(&r);
    }
}

Test(scan_lines, a_new_ring_is_empty_and_takes_nothing)
{
    struct scan_lines r;
    cr_assert_eq(scan_lines_init(&r, 0), 0);
    char out[64];
    memset(out, 'x', sizeof(out));
    cr_expect(scan_lines_empty(&r));
    cr_expect_eq(scan_lines_take(&r, out, sizeof(out)), 0);
    cr_expect_eq(out[0], 'x', "an empty take wrote to out");
    scan_lines_fini(&r);
}

Test(scan_lines, returns_the_lines_whole_and_in_order_without_their_prefixes)
{
    static const char *const lines[] = { "a\n", "second line\n", "3\n", "", "the last one\n" };
    struct scan_lines r;
    cr_assert_eq(scan_lines_init(&r, 0), 0);
    char want[256] = "";
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        cr_assert(scan_lines_put(&r, lines[i], strlen(lines[i])), "put %zu refused", i);
        strcat(want, lines[i]);
    }
    cr_expect_not(scan_lines_empty(&r));
    char out[256];
    size_t n = scan_lines_take(&r, out, sizeof(out));
    cr_assert_eq(n, strlen(want), "took %zu octets, want %zu", n, strlen(want));
    cr_expect_arr_eq(out, want, n, "took \"%.*s\", want \"%s\"", (int)n, out, want);
    cr_expect(scan_lines_empty(&r), "a take of everything left the ring non-empty");
    cr_expect_eq(scan_lines_take(&r, out, sizeof(out)), 0);
    scan_lines_fini(&r);
}

/*
 * A take returns only the lines that fit in out, whole: a line that does not
 * fit stays for the next take, never cut.
 */
Test(scan_lines, a_short_output_buffer_gets_whole_lines_only)
{
    static const struct {
        size_t out_cap, first, second; /* lines of 10, 20 and 30 octets */
    } cases[] = {
        { 9, 0, 0 }, { 10, 10, 0 }, { 29, 10, 20 }, { 30, 30, 30 }, { 59, 30, 30 }, { 60, 60, 0 },
    };
    static const size_t lens[] = { 10, 20, 30 };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct scan_lines r;
        cr_assert_eq(scan_lines_init(&r, 0), 0);
        char all[60], line[30];
        size_t at = 0;
        for (unsigned i = 0; i < 3; i++) {
            make_line(line, i, lens[i]);
            cr_assert(scan_lines_put(&r, line, lens[i]));
            memcpy(all + at, line, lens[i]);
            at += lens[i];
        }
        char out[64];
        size_t n1 = scan_lines_take(&r, out, cases[c].out_cap);
        cr_expect_eq(n1, cases[c].first, "out_cap %zu: first take %zu octets, want %zu",
                     cases[c].out_cap, n1, cases[c].first);
        cr_expect_arr_eq(out, all, n1, "out_cap %zu: first take has other octets",
                         cases[c].out_cap);
        size_t n2 = scan_lines_take(&r, out, cases[c].out_cap);
        cr_expect_eq(n2, cases[c].second, "out_cap %zu: second take %zu octets, want %zu",
                     cases[c].out_cap, n2, cases[c].second);
        if (n2 > 0)
            cr_expect_arr_eq(out, all + n1, n2, "out_cap %zu: second take has other octets",
                             cases[c].out_cap);
        scan_lines_fini(&r);
    }
}

Test(scan_lines, takes_a_line_of_half_the_capacity_and_refuses_a_longer_one)
{
    struct scan_lines r;
    cr_assert_eq(scan_lines_init(&r, 4096), 0);
    static char big[4096], out[4096];
    const size_t max = r.cap / 2;
    make_line(big, 7, max + 1);
    cr_expect_not(scan_lines_put(&r, big, max + 1), "a line of cap/2 + 1 octets went in");
    cr_expect(scan_lines_empty(&r), "a refused line left something behind");
    make_line(big, 7, max);
    cr_assert(scan_lines_put(&r, big, max), "a line of cap/2 octets was refused");
    size_t n = scan_lines_take(&r, out, sizeof(out));
    cr_assert_eq(n, max);
    cr_expect_arr_eq(out, big, max);
    /* Again from an offset where it wraps around the end of the buffer. */
    for (unsigned lap = 0; lap < 5; lap++) {
        make_line(big, lap, max);
        cr_assert(scan_lines_put(&r, big, max), "lap %u: refused", lap);
        cr_assert(scan_lines_put(&r, "x\n", 2), "lap %u: no room beside it", lap);
        n = scan_lines_take(&r, out, sizeof(out));
        cr_assert_eq(n, max + 2, "lap %u: took %zu octets", lap, n);
        cr_expect_arr_eq(out, big, max, "lap %u: the long line came back changed", lap);
        cr_expect_arr_eq(out + max, "x\n", 2, "lap %u", lap);
    }
    scan_lines_fini(&r);
}

/* A line goes in exactly when its length and its prefix fit the free room. */
Test(scan_lines, refuses_a_line_exactly_when_its_prefix_and_octets_do_not_fit)
{
    struct scan_lines r;
    cr_assert_eq(scan_lines_init(&r, 4096), 0);
    static char line[2048];
    /* Two lines of 2000 leave 4096 - 2 * 2004 = 88 octets free. */
    make_line(line, 1, 2000);
    cr_assert(scan_lines_put(&r, line, 2000));
    cr_assert(scan_lines_put(&r, line, 2000));
    const size_t room = r.cap - 2 * (2000 + PREFIX_LEN);
    make_line(line, 2, room - PREFIX_LEN + 1);
    cr_expect_not(scan_lines_put(&r, line, room - PREFIX_LEN + 1), "%zu + 4 octets in %zu free",
                  room - PREFIX_LEN + 1, room);
    make_line(line, 2, room - PREFIX_LEN);
    cr_expect(scan_lines_put(&r, line, room - PREFIX_LEN), "%zu + 4 octets refused in %zu free",
              room - PREFIX_LEN, room);
    cr_expect_not(scan_lines_put(&r, "", 0), "a full ring took an empty line");
    /* Taking frees the room again. */
    static char out[4096];
    cr_expect_eq(scan_lines_take(&r, out, sizeof(out)), 4000 + room - PREFIX_LEN);
    cr_expect(scan_lines_put(&r, line, 2000));
    scan_lines_fini(&r);
}

/*
 * Lines of lengths that do not divide the buffer, so prefixes and octets
 * straddle its end at every offset, many laps round; each checked.
 */
Test(scan_lines, lines_that_wrap_around_the_buffer_end_come_back_intact)
{
    struct scan_lines r;
    cr_assert_eq(scan_lines_init(&r, 4096), 0);
    static char line[512], want[8192], out[8192];
    unsigned next_in = 0, next_out = 0;
    size_t wanted = 0;
    while (next_out < 2000) {
        /* Fill with lines of 9..509 octets until one is refused. */
        for (;;) {
            size_t len = 9 + (next_in * 37u) % 501u;
            make_line(line, next_in, len);
            if (!scan_lines_put(&r, line, len))
                break;
            memcpy(want + wanted, line, len);
            wanted += len;
            next_in++;
        }
        size_t n = scan_lines_take(&r, out, sizeof(out));
        cr_assert_eq(n, wanted, "after line %u: took %zu octets, want %zu", next_out, n, wanted);
        cr_assert_arr_eq(out, want, n, "after line %u: the octets differ", next_out);
        next_out = next_in;
        wanted = 0;
    }
    cr_expect_gt(atomic_load(&r.tail), 50 * r.cap, "only %zu laps", atomic_load(&r.tail) / r.cap);
    scan_lines_fini(&r);
}

/*
 * The positions grow without bound and are masked: start them just below
 * the wrap of size_t, as a ring that has carried that much would have them.
 */
Test(scan_lines, works_across_the_wrap_of_its_positions)
{
    struct scan_lines r;
    cr_assert_eq(scan_lines_init(&r, 4096), 0);
    const size_t start = SIZE_MAX - 3000;
    atomic_store(&r.head, start);
    atomic_store(&r.tail, start);
    static char line[1000], out[4096];
    for (unsigned i = 0; i < 12; i++) {
        size_t len = 500 + 37 * i;
        make_line(line, i, len);
        cr_assert(scan_lines_put(&r, line, len), "line %u refused", i);
        cr_expect_not(scan_lines_empty(&r), "line %u: empty after a put", i);
        size_t n = scan_lines_take(&r, out, sizeof(out));
        cr_assert_eq(n, len, "line %u: took %zu octets, want %zu", i, n, len);
        cr_expect_arr_eq(out, line, len, "line %u changed", i);
        cr_expect(scan_lines_empty(&r), "line %u: not empty after the take", i);
    }
    cr_expect_lt(atomic_load(&r.tail), start, "the positions did not wrap");
    scan_lines_fini(&r);
}
