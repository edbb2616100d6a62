/*
 * Criterion suite for scanner/targets.h: target text syntax, files (docs/test-cases.md
 * I04), deduplication (I03), blocklists (I06), large sets and 128-bit counts
 * (I01, I02), and the index <-> address map.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/targets.h"

#define U128(hi, lo) (((scan_u128)(hi) << 64) | (scan_u128)(lo))
#define P2(n)        ((scan_u128)1 << (n))

static const char *u128s(scan_u128 v)
{
    /* A few rotating buffers so one message can show several values. */
    static char buf[4][SCAN_U128_TEXT_MAX];
    static int next;
    char *b = buf[next++ % 4];
    if (scan_u128_format(v, b, SCAN_U128_TEXT_MAX) < 0)
        strcpy(b, "?");
    return b;
}

static const char *addr_text(const struct pkt_addr *a)
{
    static char buf[4][INET6_ADDRSTRLEN];
    static int next;
    char *b = buf[next++ % 4];
    if (inet_ntop(a->family == PKT_ADDR_V4 ? AF_INET : AF_INET6, a->bytes, b, sizeof(buf[0])) ==
        NULL)
        strcpy(b, "?");
    return b;
}

static struct pkt_addr addr_of(const char *text)
{
    struct pkt_addr a;
    memset(&a, 0, sizeof(a));
    if (inet_pton(AF_INET, text, a.bytes) == 1) {
        a.family = PKT_ADDR_V4;
    } else {
        cr_assert_eq(inet_pton(AF_INET6, text, a.bytes), 1, "bad test address %s", text);
        a.family = PKT_ADDR_V6;
    }
    return a;
}

/* The text of the address at index i (asserts it exists). */
static const char *at(const struct scan_targets *t, scan_u128 i)
{
    struct pkt_addr a;
    int rc = scan_targets_addr(t, i, &a);
    cr_assert_eq(rc, 0, "index %s: rc %d", u128s(i), rc);
    return addr_text(&a);
}

static struct scan_targets *new_set(unsigned flags)
{
    struct scan_targets *t = scan_targets_new(flags);
    cr_assert_not_null(t);
    return t;
}

/* A set built from a buffer of target-file text, finalized. */
static struct scan_targets *from_text(unsigned flags, const char *text, int want_rc)
{
    struct scan_targets *t = new_set(flags);
    int rc = scan_targets_add_buffer(t, SCAN_TARGETS_INCLUDE, text, strlen(text), "t.txt");
    cr_assert_eq(rc, want_rc, "add_buffer rc %d, want %d (first error: %s)", rc, want_rc,
                 scan_targets_error(t, 0) ? scan_targets_error(t, 0) : "none");
    rc = scan_targets_finalize(t);
    cr_assert_eq(rc, want_rc, "finalize rc %d, want %d", rc, want_rc);
    return t;
}

/* ------------------------------------------------------------------ */

Test(scan_targets, formats_128_bit_decimal)
{
    char buf[SCAN_U128_TEXT_MAX];
    cr_assert_eq(scan_u128_format(0, buf, sizeof(buf)), 1);
    cr_expect_str_eq(buf, "0");
    cr_assert_eq(scan_u128_format(P2(32), buf, sizeof(buf)), 10);
    cr_expect_str_eq(buf, "4294967296");
    cr_assert_eq(scan_u128_format(P2(64), buf, sizeof(buf)), 20);
    cr_expect_str_eq(buf, "18446744073709551616");
    cr_assert_eq(scan_u128_format(SCAN_U128_MAX, buf, sizeof(buf)), 39);
    cr_expect_str_eq(buf, "340282366920938463463374607431768211455");
    cr_expect_eq(scan_u128_format(12345, buf, 5), -ENOSPC);
    cr_expect_str_eq(buf, "");
    cr_expect_eq(scan_u128_format(12345, buf, 6), 5);
}

struct valid_case {
    const char *text;
    unsigned flags;
    scan_u128 count;
    const char *first;
    const char *last;
};

Test(scan_targets, parses_valid_targets_table)
{
    const unsigned nd = SCAN_TARGETS_NO_DEFAULT_BLOCKLIST;
    const struct valid_case cases[] = {
        { "1.2.3.4", nd, 1, "1.2.3.4", "1.2.3.4" },
        { "1.2.3.4/32", nd, 1, "1.2.3.4", "1.2.3.4" },
        { "1.2.3.0/24", nd, 256, "1.2.3.0", "1.2.3.255" },
        /* Host bits are cleared: documented normalisation, not an error. */
        { "1.2.3.4/24", nd, 256, "1.2.3.0", "1.2.3.255" },
        { "1.2.3.4/024", nd, 256, "1.2.3.0", "1.2.3.255" },
        { "1.2.3.4/31", nd, 2, "1.2.3.4", "1.2.3.5" },
        { "0.0.0.0/0", nd, P2(32), "0.0.0.0", "255.255.255.255" },
        { "0.0.0.0", nd, 1, "0.0.0.0", "0.0.0.0" },
        { "255.255.255.255", nd, 1, "255.255.255.255", "255.255.255.255" },
        { "::ffff:1.2.3.4", nd, 1, "1.2.3.4", "1.2.3.4" },
        { "::FFFF:102:304", nd, 1, "1.2.3.4", "1.2.3.4" },
        { "::ffff:1.2.3.0/120", nd, 256, "1.2.3.0", "1.2.3.255" },
        { "::ffff:0:0/96", nd, P2(32), "0.0.0.0", "255.255.255.255" },
        { "2001:db8::1", nd, 1, "2001:db8::1", "2001:db8::1" },
        { "2001:DB8::1/128", nd, 1, "2001:db8::1", "2001:db8::1" },
        { "2001:db8::1/120", nd, 256, "2001:db8::", "2001:db8::ff" },
        { "2001:db8::/96", nd, P2(32), "2001:db8::", "2001:db8::ffff:ffff" },
        { "0000:0::1", nd, 1, "::1", "::1" },
        { "::", nd, 1, "::", "::" },
        { "::1.2.3.4", nd, 1, "::1.2.3.4", "::1.2.3.4" }, /* stays IPv6 */
        { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", nd, 1,
          "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
        { "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.254/127", nd, 2,
          "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
        { "2001:db8::/95", nd | SCAN_TARGETS_ALLOW_LARGE, P2(33),
          "2001:db8::", "2001:db8::1:ffff:ffff" },
        { "0::00:00:00/2", nd | SCAN_TARGETS_ALLOW_LARGE, P2(126),
          "::", "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
        { "8.8.8.8", 0, 1, "8.8.8.8", "8.8.8.8" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct valid_case *c = &cases[i];
        struct scan_targets *t = new_set(c->flags);
        int rc = scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, c->text, "arg", 0);
        cr_assert_eq(rc, 0, "%s: rc %d (%s)", c->text, rc, scan_targets_error(t, 0));
        cr_assert_eq(scan_targets_finalize(t), 0, "%s", c->text);
        cr_expect_eq(scan_targets_count(t), c->count, "%s: count %s, want %s", c->text,
                     u128s(scan_targets_count(t)), u128s(c->count));
        cr_expect_str_eq(at(t, 0), c->first, "%s", c->text);
        cr_expect_str_eq(at(t, scan_targets_count(t) - 1), c->last, "%s", c->text);
        cr_expect_eq(scan_targets_nb_intervals(t), 1, "%s", c->text);
        scan_targets_free(t);
    }
}

struct invalid_case {
    const char *text;
    const char *message; /* exact, as the CLI will print it */
};

Test(scan_targets, rejects_malformed_targets_with_precise_messages)
{
    const struct invalid_case cases[] = {
        { "1.2.3.4/33", "arg: 1.2.3.4/33: prefix length out of range (0-32)" },
        { "1.2.3.4/4294967328", "arg: 1.2.3.4/4294967328: prefix length out of range (0-32)" },
        { "010.1.1.1", "arg: 010.1.1.1: leading zero in an IPv4 octet is ambiguous (octal or "
                       "decimal?); write it without" },
        { "1.2.3.04", "arg: 1.2.3.04: leading zero in an IPv4 octet is ambiguous (octal or "
                      "decimal?); write it without" },
        { "::ffff:010.1.1.1", "arg: ::ffff:010.1.1.1: leading zero in an IPv4 octet is "
                              "ambiguous (octal or decimal?); write it without" },
        { "1.2.3.256", "arg: 1.2.3.256: IPv4 octet out of range (0-255)" },
        { "1.2.3.1000", "arg: 1.2.3.1000: IPv4 octet out of range (0-255)" },
        { "1.2.3", "arg: 1.2.3: IPv4 address needs four decimal octets" },
        { "1.2.3.4.5", "arg: 1.2.3.4.5: IPv4 address needs four decimal octets" },
        { "1..2.3", "arg: 1..2.3: IPv4 address needs four decimal octets" },
        { "1.2.3.", "arg: 1.2.3.: IPv4 address needs four decimal octets" },
        { "1.2.3.4/", "arg: 1.2.3.4/: missing prefix length after '/'" },
        { "/24", "arg: /24: missing address before '/'" },
        { "1.2.3.4/2/4", "arg: 1.2.3.4/2/4: more than one '/'" },
        { "1.2.3.4/x", "arg: 1.2.3.4/x: prefix length is not a decimal number" },
        { "1.2.3.4/-1", "arg: 1.2.3.4/-1: prefix length is not a decimal number" },
        { "2001:db8::/129", "arg: 2001:db8::/129: prefix length out of range (0-128)" },
        { "2001:db8::g", "arg: 2001:db8::g: not a valid IPv6 address" },
        { "1::2::3", "arg: 1::2::3: not a valid IPv6 address" },
        { "fe80::1%eth0", "arg: fe80::1%eth0: zone index (%...) not allowed in a target" },
        { "example.com", "arg: example.com: not an IPv4 or IPv6 address" },
        { "-1.2.3.4", "arg: -1.2.3.4: not an IPv4 or IPv6 address" },
        { "1.2.3.4 5.6.7.8", "arg: 1.2.3.4 5.6.7.8: more than one target on a line (use one per "
                             "line)" },
        { "1.2.3.4\x01", "arg: 1.2.3.4?: unexpected control or non-ASCII character" },
        { "1.2.3.\xc3\xa9", "arg: 1.2.3.??: unexpected control or non-ASCII character" },
        { "", "arg: empty target" },
        { "0::00:00:00/2", "arg: 0::00:00:00/2: IPv6 prefix /2 holds 2^126 addresses, more than "
                           "a /96; pass --allow-large to scan it" },
        { "2001:db8::/95", "arg: 2001:db8::/95: IPv6 prefix /95 holds 2^33 addresses, more than "
                           "a /96; pass --allow-large to scan it" },
        { "::/0", "arg: ::/0: IPv6 prefix /0 holds 2^128 addresses, more than a /96; pass "
                  "--allow-large to scan it" },
        { "::ffff:1.2.3.4/95", "arg: ::ffff:1.2.3.4/95: IPv6 prefix /95 holds 2^33 addresses, "
                               "more than a /96; pass --allow-large to scan it" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scan_targets *t = new_set(0);
        int rc = scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, cases[i].text, "arg", 0);
        cr_expect_eq(rc, -EINVAL, "%s: rc %d", cases[i].text, rc);
        cr_assert_eq(scan_targets_nb_errors(t), 1, "%s", cases[i].text);
        cr_expect_str_eq(scan_targets_error(t, 0), cases[i].message);
        cr_expect_eq(scan_targets_finalize(t), -EINVAL, "%s", cases[i].text);
        cr_expect_eq(scan_targets_count(t), 0);
        scan_targets_free(t);
    }
}

Test(scan_targets, echo_of_long_bad_text_is_bounded)
{
    char text[400];
    memset(text, '9', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    struct scan_targets *t = new_set(0);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, text, "arg", 0), -EINVAL);
    const char *m = scan_targets_error(t, 0);
    cr_assert_not_null(m);
    cr_expect_lt(strlen(m), 120, "%s", m);
    cr_expect_not_null(strstr(m, "...: "), "%s", m);
    scan_targets_free(t);
}

Test(scan_targets, messages_never_carry_control_bytes)
{
    struct scan_targets *t = new_set(0);
    static const char data[] = "\x1b[2J\n";
    cr_expect_eq(scan_targets_add_buffer(t, SCAN_TARGETS_INCLUDE, data, sizeof(data) - 1,
                                         "evil\x1b]0;x\a\nname"),
                 -EINVAL);
    cr_expect_str_eq(scan_targets_error(t, 0),
                     "evil?]0;x??name:1: ?[2J: unexpected control or non-ASCII character");
    scan_targets_free(t);
}

Test(scan_targets, allow_large_does_not_apply_to_blocklists)
{
    struct scan_targets *t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, "2001:db8::/96", NULL, 0), 0);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_BLOCK, "2000::/3", NULL, 0), 0);
    cr_assert_eq(scan_targets_finalize(t), 0);
    cr_expect_eq(scan_targets_count(t), 0);
    cr_expect_eq(scan_targets_blocklisted(t), P2(32));
    scan_targets_free(t);
}

/* ------------------------------------------------------------------ */
/* Files (docs/test-cases.md I04)                                              */

Test(scan_targets, file_lines_comments_blanks_and_spaces)
{
    struct scan_targets *t =
        from_text(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST,
                  "# targets\n\n   \t\n  1.2.3.4  # office\n\t5.6.7.0/31\t\n#9.9.9.9\n", 0);
    cr_expect_eq(scan_targets_count(t), 3);
    cr_expect_str_eq(at(t, 0), "1.2.3.4");
    cr_expect_str_eq(at(t, 1), "5.6.7.0");
    cr_expect_str_eq(at(t, 2), "5.6.7.1");
    scan_targets_free(t);
}

Test(scan_targets, file_crlf_is_tolerated)
{
    struct scan_targets *t = from_text(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST,
                                       "1.2.3.4\r\n2001:db8::1\r\n# c\r\n\r\n5.6.7.8 # x\r\n", 0);
    cr_expect_eq(scan_targets_count(t), 3);
    cr_expect_str_eq(at(t, 2), "2001:db8::1");
    scan_targets_free(t);
}

Test(scan_targets, file_without_final_newline)
{
    struct scan_targets *t = from_text(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST, "1.2.3.4\n5.6.7.8", 0);
    cr_expect_eq(scan_targets_count(t), 2);
    cr_expect_str_eq(at(t, 1), "5.6.7.8");
    scan_targets_free(t);
}

Test(scan_targets, file_utf8_bom_on_first_line_is_skipped)
{
    struct scan_targets *t = from_text(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST,
                                       "\xef\xbb\xbf"
                                       "1.2.3.4\n",
                                       0);
    cr_expect_eq(scan_targets_count(t), 1);
    scan_targets_free(t);
}

Test(scan_targets, file_nul_byte_rejected_with_line_number)
{
    static const char data[] = "1.2.3.4\n5.6.\0.7\n8.8.8.8\n";
    struct scan_targets *t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST);
    cr_assert_eq(scan_targets_add_buffer(t, SCAN_TARGETS_INCLUDE, data, sizeof(data) - 1, "t.txt"),
                 -EINVAL);
    cr_assert_eq(scan_targets_nb_errors(t), 1);
    cr_expect_str_eq(scan_targets_error(t, 0), "t.txt:2: NUL byte in line");
    /* The other lines were still read; the set is unusable only by policy. */
    cr_expect_eq(scan_targets_finalize(t), -EINVAL);
    cr_expect_eq(scan_targets_count(t), 2);
    scan_targets_free(t);
}

Test(scan_targets, file_lone_cr_inside_a_line_is_an_error)
{
    struct scan_targets *t = new_set(0);
    cr_assert_eq(scan_targets_add_buffer(t, SCAN_TARGETS_INCLUDE, "1.2.3.4\r5.6.7.8\n", 16, "m"),
                 -EINVAL);
    cr_expect_str_eq(scan_targets_error(t, 0),
                     "m:1: 1.2.3.4?5.6.7.8: unexpected control or non-ASCII character");
    scan_targets_free(t);
}

/* A line of `len` bytes: spaces, then an address at the end. */
static char *padded_line(size_t len, const char *addr, const char *eol)
{
    size_t alen = strlen(addr), elen = strlen(eol);
    char *s = malloc(len + elen + 1);
    cr_assert_not_null(s);
    memset(s, ' ', len - alen);
    memcpy(s + len - alen, addr, alen);
    memcpy(s + len, eol, elen + 1);
    return s;
}

Test(scan_targets, file_line_length_limit_is_exact)
{
    char *ok = padded_line(SCAN_TARGETS_LINE_MAX, "1.2.3.4", "\n");
    char *ok_crlf = padded_line(SCAN_TARGETS_LINE_MAX, "1.2.3.5", "\r\n");
    char *bad = padded_line(SCAN_TARGETS_LINE_MAX + 1, "1.2.3.6", "\n");
    char *bad_last = padded_line(SCAN_TARGETS_LINE_MAX + 1, "1.2.3.7", "");
    struct scan_targets *t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST);
    cr_expect_eq(scan_targets_add_buffer(t, SCAN_TARGETS_INCLUDE, ok, strlen(ok), "a"), 0);
    cr_expect_eq(scan_targets_add_buffer(t, SCAN_TARGETS_INCLUDE, ok_crlf, strlen(ok_crlf), "b"),
                 0);
    cr_expect_eq(scan_targets_add_buffer(t, SCAN_TARGETS_INCLUDE, bad, strlen(bad), "c"), -EINVAL);
    cr_expect_eq(scan_targets_add_buffer(t, SCAN_TARGETS_INCLUDE, bad_last, strlen(bad_last), "d"),
                 -EINVAL);
    cr_assert_eq(scan_targets_nb_errors(t), 2);
    cr_expect_str_eq(scan_targets_error(t, 0), "c:1: line longer than 1024 bytes");
    cr_expect_str_eq(scan_targets_error(t, 1), "d:1: line longer than 1024 bytes");
    cr_expect_eq(scan_targets_finalize(t), -EINVAL);
    cr_expect_eq(scan_targets_count(t), 2);
    scan_targets_free(t);
    free(ok);
    free(ok_crlf);
    free(bad);
    free(bad_last);
}

Test(scan_targets, file_10mb_line_from_a_stream_is_rejected_without_storing_it)
{
    FILE *f = tmpfile();
    cr_assert_not_null(f);
    fputs("1.2.3.4\n", f);
    static char block[65536];
    memset(block, '7', sizeof(block));
    for (int i = 0; i < 160; i++) /* 10 MiB, no newline */
        cr_assert_eq(fwrite(block, 1, sizeof(block), f), sizeof(block));
    fputs("\n9.9.9.9", f);
    rewind(f);

    struct scan_targets *t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST);
    cr_expect_eq(scan_targets_add_stream(t, SCAN_TARGETS_INCLUDE, f, "big.txt"), -EINVAL);
    fclose(f);
    cr_assert_eq(scan_targets_nb_errors(t), 1);
    cr_expect_str_eq(scan_targets_error(t, 0), "big.txt:2: line longer than 1024 bytes");
    cr_expect_lt(scan_targets_mem_len(t), 64 * 1024);
    cr_expect_eq(scan_targets_finalize(t), -EINVAL);
    cr_expect_eq(scan_targets_count(t), 2);
    cr_expect_str_eq(at(t, 1), "9.9.9.9");
    scan_targets_free(t);
}

Test(scan_targets, errors_beyond_ten_are_counted_not_kept)
{
    char text[2048] = "";
    for (int i = 0; i < 25; i++)
        strcat(text, i % 5 == 0 ? "1.1.1.1\n" : "bad\n");
    struct scan_targets *t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST);
    cr_expect_eq(scan_targets_add_buffer(t, SCAN_TARGETS_INCLUDE, text, strlen(text), "e.txt"),
                 -EINVAL);
    cr_expect_eq(scan_targets_nb_errors(t), 20);
    cr_expect_str_eq(scan_targets_error(t, 0), "e.txt:2: bad: not an IPv4 or IPv6 address");
    cr_expect_str_eq(scan_targets_error(t, 9), "e.txt:13: bad: not an IPv4 or IPv6 address");
    cr_expect_null(scan_targets_error(t, 10));
    cr_expect_null(scan_targets_error(t, 19));
    scan_targets_free(t);
}

Test(scan_targets, file_open_failure_is_recorded)
{
    struct scan_targets *t = new_set(0);
    cr_expect_eq(scan_targets_add_file(t, SCAN_TARGETS_INCLUDE, "/nonexistent/fcrscan-targets"),
                 -ENOENT);
    cr_assert_eq(scan_targets_nb_errors(t), 1);
    cr_expect_str_eq(scan_targets_error(t, 0),
                     "/nonexistent/fcrscan-targets: cannot open: No such file or directory");
    scan_targets_free(t);
}

Test(scan_targets, file_that_is_a_directory_is_a_read_error)
{
    struct scan_targets *t = new_set(0);
    cr_expect_eq(scan_targets_add_file(t, SCAN_TARGETS_INCLUDE, "/"), -EISDIR);
    cr_expect_str_eq(scan_targets_error(t, 0), "/: read error: Is a directory");
    scan_targets_free(t);
}

Test(scan_targets, file_dash_reads_stdin)
{
    char path[] = "/tmp/fcrscan-test-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    static const char data[] = "192.0.2.1\nnope\n";
    cr_assert_eq(write(fd, data, sizeof(data) - 1), (ssize_t)(sizeof(data) - 1));
    close(fd);
    cr_assert_not_null(freopen(path, "r", stdin));
    unlink(path);

    struct scan_targets *t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST);
    cr_expect_eq(scan_targets_add_file(t, SCAN_TARGETS_INCLUDE, "-"), -EINVAL);
    cr_expect_str_eq(scan_targets_error(t, 0), "<stdin>:2: nope: not an IPv4 or IPv6 address");
    cr_expect_eq(scan_targets_finalize(t), -EINVAL);
    cr_expect_eq(scan_targets_count(t), 1);
    scan_targets_free(t);
}

Test(scan_targets, nothing_can_be_added_after_finalize)
{
    struct scan_targets *t = new_set(0);
    cr_assert_eq(scan_targets_finalize(t), 0);
    cr_expect_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, "8.8.8.8", NULL, 0), -EBUSY);
    cr_expect_eq(scan_targets_add_buffer(t, SCAN_TARGETS_INCLUDE, "8.8.8.8", 7, "x"), -EBUSY);
    cr_expect_eq(scan_targets_finalize(t), -EBUSY);
    cr_expect_eq(scan_targets_count(t), 0);
    scan_targets_free(t);
    scan_targets_free(NULL);
}

/* ------------------------------------------------------------------ */
/* Deduplication (I03)                                                  */

Test(scan_targets, overlapping_and_duplicate_cidrs_are_scanned_once)
{
    struct scan_targets *t = from_text(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST,
                                       "10.0.0.0/24\n10.0.0.128/25\n10.0.0.5\n10.0.0.0/24\n"
                                       "10.0.1.0/24\n10.0.0.0/23\n10.0.1.7/32\n",
                                       0);
    cr_assert_eq(scan_targets_count(t), 512);
    cr_expect_eq(scan_targets_nb_intervals(t), 1);
    for (unsigned i = 0; i < 512; i++) {
        char want[32];
        snprintf(want, sizeof(want), "10.0.%u.%u", i / 256, i % 256);
        cr_assert_str_eq(at(t, i), want);
    }
    struct pkt_addr a;
    cr_expect_eq(scan_targets_addr(t, 512, &a), -ERANGE);
    scan_targets_free(t);
}

Test(scan_targets, adjacent_ranges_merge_into_one_interval)
{
    struct scan_targets *t = from_text(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST,
                                       "1.2.3.128/25\n1.2.3.0/25\n2001:db8::100/120\n"
                                       "2001:db8::/120\n255.255.255.255\n255.255.255.254\n",
                                       0);
    cr_expect_eq(scan_targets_nb_intervals(t), 3);
    cr_expect_eq(scan_targets_count(t), 256 + 2 + 512);
    cr_expect_eq(scan_targets_count_v4(t), 258);
    scan_targets_free(t);
}

Test(scan_targets, ipv4_mapped_and_ipv4_are_the_same_target)
{
    struct scan_targets *t = from_text(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST,
                                       "1.2.3.4\n::ffff:1.2.3.4\n::ffff:1.2.3.0/126\n", 0);
    cr_expect_eq(scan_targets_count(t), 5);
    cr_expect_eq(scan_targets_count_v4(t), 5);
    scan_u128 idx = 99;
    struct pkt_addr a = addr_of("1.2.3.2");
    cr_expect_eq(scan_targets_index(t, &a, &idx), 0);
    cr_expect_eq(idx, 2);
    /* Lookups stay in the address's family: the mapped form is not in the set. */
    a = addr_of("::ffff:1.2.3.2");
    cr_expect_eq(scan_targets_index(t, &a, &idx), -ENOENT);
    scan_targets_free(t);
}

Test(scan_targets, wide_ipv6_prefix_keeps_the_mapped_block_as_ipv6)
{
    struct scan_targets *t = from_text(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST | SCAN_TARGETS_ALLOW_LARGE,
                                       "::/80\n1.2.3.4\n", 0);
    cr_expect_eq(scan_targets_count(t), P2(48) + 1);
    cr_expect_eq(scan_targets_count_v4(t), 1);
    struct pkt_addr a = addr_of("::ffff:1.2.3.4");
    scan_u128 idx;
    cr_assert_eq(scan_targets_index(t, &a, &idx), 0);
    cr_expect_eq(idx, 1 + P2(48) - P2(32) + 0x01020304);
    cr_expect_str_eq(at(t, idx), "::ffff:1.2.3.4");
    scan_targets_free(t);

    /* The default blocklist removes it from IPv6, as the registry says. */
    t = from_text(SCAN_TARGETS_ALLOW_LARGE, "::/80\n", 0);
    cr_expect_eq(scan_targets_count(t), P2(48) - P2(32) - 2);
    scan_targets_free(t);
}

/* Deterministic generator for the randomised comparisons. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/*
 * Random CIDRs inside 10.0.0.0/16 (includes and blocks, thousands of lines,
 * so the lists compact many times) against a plain bitmap model.
 */
Test(scan_targets, random_ranges_match_a_bitmap_model)
{
    uint64_t seed = 0x1234567;
    for (int round = 0; round < 6; round++) {
        static uint8_t inc[65536], blk[65536];
        memset(inc, 0, sizeof(inc));
        memset(blk, 0, sizeof(blk));
        struct scan_targets *t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST);
        int lines = 500 + round * 1500;
        for (int i = 0; i < lines; i++) {
            bool block = rng_next(&seed) % 4 == 0;
            unsigned len = 16 + (unsigned)(rng_next(&seed) % 17);
            if (len < 22 && rng_next(&seed) % 4 != 0)
                len += 8; /* mostly small ranges */
            unsigned a = (unsigned)(rng_next(&seed) & 0xffff);
            char text[40];
            snprintf(text, sizeof(text), "10.0.%u.%u/%u", a >> 8, a & 255, len);
            cr_assert_eq(scan_targets_add_text(t, block ? SCAN_TARGETS_BLOCK : SCAN_TARGETS_INCLUDE,
                                               text, NULL, 0),
                         0);
            unsigned size = 1u << (32 - len), base = a & ~(size - 1);
            memset((block ? blk : inc) + base, 1, size);
        }
        cr_assert_eq(scan_targets_finalize(t), 0);
        uint64_t want = 0, gone = 0;
        for (unsigned i = 0; i < 65536; i++) {
            want += inc[i] && !blk[i];
            gone += inc[i] && blk[i];
        }
        cr_assert_eq(scan_targets_count(t), want, "round %d", round);
        cr_assert_eq(scan_targets_blocklisted(t), gone, "round %d", round);
        uint64_t idx = 0;
        for (unsigned i = 0; i < 65536; i++) {
            struct pkt_addr a = { .family = PKT_ADDR_V4, .bytes = { 10, 0, i >> 8, i & 255 } };
            scan_u128 got;
            if (inc[i] && !blk[i]) {
                struct pkt_addr back;
                cr_assert_eq(scan_targets_index(t, &a, &got), 0, "10.0.%u.%u", i >> 8, i & 255);
                cr_assert_eq(got, idx);
                cr_assert_eq(scan_targets_addr(t, idx, &back), 0);
                cr_assert_eq(memcmp(back.bytes, a.bytes, 4), 0);
                idx++;
            } else {
                cr_assert_eq(scan_targets_index(t, &a, &got), -ENOENT, "10.0.%u.%u", i >> 8,
                             i & 255);
            }
        }
        scan_targets_free(t);
    }
}

Test(scan_targets, random_ipv6_ranges_match_a_bitmap_model)
{
    uint64_t seed = 0xabcdef;
    static uint8_t inc[65536], blk[65536];
    memset(inc, 0, sizeof(inc));
    memset(blk, 0, sizeof(blk));
    struct scan_targets *t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST);
    for (int i = 0; i < 3000; i++) {
        bool block = rng_next(&seed) % 4 == 0;
        unsigned len = 120 + (unsigned)(rng_next(&seed) % 9);
        unsigned a = (unsigned)(rng_next(&seed) & 0xffff);
        char text[64];
        snprintf(text, sizeof(text), "2001:db8::%x/%u", a, len);
        cr_assert_eq(scan_targets_add_text(t, block ? SCAN_TARGETS_BLOCK : SCAN_TARGETS_INCLUDE,
                                           text, NULL, 0),
                     0);
        unsigned size = 1u << (128 - len), base = a & ~(size - 1);
        memset((block ? blk : inc) + base, 1, size);
    }
    cr_assert_eq(scan_targets_finalize(t), 0);
    uint64_t want = 0, idx = 0;
    for (unsigned i = 0; i < 65536; i++)
        want += inc[i] && !blk[i];
    cr_assert_eq(scan_targets_count(t), want);
    for (unsigned i = 0; i < 65536; i++) {
        if (!(inc[i] && !blk[i]))
            continue;
        char text[64];
        snprintf(text, sizeof(text), "2001:db8::%x", i);
        struct pkt_addr a = addr_of(text);
        cr_assert_str_eq(at(t, idx), addr_text(&a));
        idx++;
    }
    scan_targets_free(t);
}

Test(scan_targets, million_duplicate_lines_keep_memory_small)
{
    /* 10^6 lines over 4096 addresses: compaction keeps the list tiny. */
    struct scan_targets *t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST);
    uint64_t seed = 99;
    size_t peak = 0;
    for (int i = 0; i < 1000000; i++) {
        unsigned a = (unsigned)(rng_next(&seed) & 0xfff);
        char text[32];
        snprintf(text, sizeof(text), "100.64.%u.%u", a >> 8, a & 255);
        cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, text, NULL, 0), 0);
        size_t m = scan_targets_mem_len(t);
        peak = m > peak ? m : peak;
    }
    cr_expect_leq(peak, 8 * 8192, "peak %zu bytes", peak);
    cr_assert_eq(scan_targets_finalize(t), 0);
    cr_expect_eq(scan_targets_count(t), 4096);
    cr_expect_eq(scan_targets_nb_intervals(t), 1);
    cr_expect_leq(scan_targets_mem_len(t), 64);
    scan_targets_free(t);
}

Test(scan_targets, distinct_lines_use_memory_proportional_to_intervals)
{
    /* 10^5 separate /32s (every other address), in three input orders. */
    for (int order = 0; order < 3; order++) {
        struct scan_targets *t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST);
        for (unsigned i = 0; i < 100000; i++) {
            unsigned k = order == 0   ? i
                         : order == 1 ? 99999 - i
                                      : (unsigned)((uint64_t)i * 7919 % 100000);
            unsigned a = k * 2;
            char text[32];
            snprintf(text, sizeof(text), "11.%u.%u.%u", a >> 16, (a >> 8) & 255, a & 255);
            cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, text, NULL, 0), 0);
        }
        cr_expect_leq(scan_targets_mem_len(t), 4 * 8 * 100000 + 8 * 256);
        cr_assert_eq(scan_targets_finalize(t), 0);
        cr_expect_eq(scan_targets_count(t), 100000);
        cr_expect_eq(scan_targets_nb_intervals(t), 100000);
        cr_expect_eq(scan_targets_mem_len(t), 8 * 100000);
        cr_expect_str_eq(at(t, 0), "11.0.0.0");
        cr_expect_str_eq(at(t, 54321), "11.1.168.98"); /* 108642 = 0x01a862 */
        cr_expect_str_eq(at(t, 99999), "11.3.13.62");  /* 199998 = 0x030d3e */
        scan_targets_free(t);
    }
}

/* ------------------------------------------------------------------ */
/* Blocklists (I06)                                                     */

Test(scan_targets, user_blocklist_is_subtracted)
{
    struct scan_targets *t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, "1.2.3.0/24", NULL, 0), 0);
    static const char blk[] = "# do not scan\n1.2.3.0/26\r\n1.2.3.200\n::ffff:1.2.3.255\n9.9.9.9\n";
    cr_assert_eq(scan_targets_add_buffer(t, SCAN_TARGETS_BLOCK, blk, sizeof(blk) - 1, "b.txt"), 0);
    cr_assert_eq(scan_targets_finalize(t), 0);
    cr_expect_eq(scan_targets_count(t), 256 - 64 - 2);
    cr_expect_eq(scan_targets_blocklisted(t), 66);
    cr_expect_eq(scan_targets_nb_intervals(t), 2);
    cr_expect_str_eq(at(t, 0), "1.2.3.64");
    cr_expect_str_eq(at(t, 135), "1.2.3.199");
    cr_expect_str_eq(at(t, 136), "1.2.3.201");
    cr_expect_str_eq(at(t, 189), "1.2.3.254");
    struct pkt_addr a = addr_of("1.2.3.200");
    scan_u128 idx;
    cr_expect_eq(scan_targets_index(t, &a, &idx), -ENOENT);
    scan_targets_free(t);
}

Test(scan_targets, blocklist_errors_are_reported_with_file_and_line)
{
    struct scan_targets *t = new_set(0);
    static const char blk[] = "10.0.0.0/8\n10.0.0.0/33\n";
    cr_expect_eq(scan_targets_add_buffer(t, SCAN_TARGETS_BLOCK, blk, sizeof(blk) - 1, "bl"),
                 -EINVAL);
    cr_expect_str_eq(scan_targets_error(t, 0),
                     "bl:2: 10.0.0.0/33: prefix length out of range (0-32)");
    scan_targets_free(t);
}

Test(scan_targets, only_blocklisted_targets_leave_an_empty_set)
{
    struct scan_targets *t =
        from_text(0, "10.0.0.0/8\n192.168.1.0/24\n2001:db8::/96\nfe80::1\n127.0.0.1\n", 0);
    cr_expect_eq(scan_targets_count(t), 0);
    cr_expect_eq(scan_targets_blocklisted(t), P2(24) + 256 + P2(32) + 1 + 1);
    cr_expect_eq(scan_targets_nb_intervals(t), 0);
    struct pkt_addr a;
    cr_expect_eq(scan_targets_addr(t, 0, &a), -ERANGE);
    scan_targets_free(t);
}

Test(scan_targets, no_default_blocklist_keeps_special_ranges)
{
    struct scan_targets *t = from_text(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST,
                                       "10.0.0.0/8\n2001:db8::/96\n192.0.2.0/24\n", 0);
    cr_expect_eq(scan_targets_count(t), P2(24) + P2(32) + 256);
    cr_expect_eq(scan_targets_blocklisted(t), 0);
    scan_targets_free(t);
}

Test(scan_targets, whole_ipv4_space_minus_default_blocklist)
{
    struct scan_targets *t = from_text(0, "0.0.0.0/0\n", 0);
    const scan_u128 special = 3 * P2(24) /* 0/8 10/8 127/8 */ + P2(22) /* 100.64/10 */ +
                              P2(16) /* 169.254/16 */ + P2(20) /* 172.16/12 */ +
                              5 * 256 /* five /24s */ + P2(16) /* 192.168/16 */ +
                              P2(17) /* 198.18/15 */ + 2 * P2(28) /* 224/4 240/4 */;
    cr_expect_eq(scan_targets_blocklisted(t), special, "blocklisted %s",
                 u128s(scan_targets_blocklisted(t)));
    cr_expect_eq(scan_targets_count(t), P2(32) - special);
    cr_expect_str_eq(at(t, 0), "1.0.0.0");
    cr_expect_str_eq(at(t, scan_targets_count(t) - 1), "223.255.255.255");
    static const char *blocked[] = { "0.1.2.3",     "10.9.9.9",       "100.64.0.1",
                                     "127.0.0.1",   "169.254.1.1",    "172.31.255.255",
                                     "192.0.0.8",   "192.0.2.1",      "192.88.99.1",
                                     "192.168.0.1", "198.19.255.255", "198.51.100.7",
                                     "203.0.113.9", "224.0.0.1",      "255.255.255.255",
                                     "240.0.0.1" };
    for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
        struct pkt_addr a = addr_of(blocked[i]);
        scan_u128 idx;
        cr_expect_eq(scan_targets_index(t, &a, &idx), -ENOENT, "%s", blocked[i]);
    }
    static const char *kept[] = { "1.1.1.1",        "8.8.8.8",      "100.63.255.255",
                                  "100.128.0.0",    "172.32.0.0",   "192.0.1.0",
                                  "192.31.196.1",   "192.52.193.1", "192.175.48.1",
                                  "198.17.255.255", "198.20.0.0",   "223.255.255.255" };
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        struct pkt_addr a = addr_of(kept[i]), back;
        scan_u128 idx;
        cr_assert_eq(scan_targets_index(t, &a, &idx), 0, "%s", kept[i]);
        cr_assert_eq(scan_targets_addr(t, idx, &back), 0);
        cr_expect_str_eq(addr_text(&back), kept[i]);
    }
    scan_targets_free(t);
}

Test(scan_targets, whole_ipv6_space_minus_default_blocklist)
{
    struct scan_targets *t = from_text(SCAN_TARGETS_ALLOW_LARGE, "::/0\n", 0);
    const scan_u128 special = 2 /* ::, ::1 */ + 2 * P2(32) /* ::ffff:0:0/96 64:ff9b::/96 */ +
                              P2(80) /* 64:ff9b:1::/48 */ + P2(64) /* 100::/64 */ +
                              P2(105) /* 2001::/23 */ + P2(96) /* 2001:db8::/32 */ +
                              P2(112) /* 2002::/16 */ + P2(108) /* 3fff::/20 */ +
                              P2(112) /* 5f00::/16 */ + P2(121) /* fc00::/7 */ +
                              P2(118) /* fe80::/10 */ + P2(120) /* ff00::/8 */;
    cr_expect_eq(scan_targets_blocklisted(t), special, "blocklisted %s",
                 u128s(scan_targets_blocklisted(t)));
    /* 2^128 - special, written without overflowing. */
    cr_expect_eq(scan_targets_count(t), SCAN_U128_MAX - special + 1);
    cr_expect_eq(scan_targets_count_v4(t), 0);
    cr_expect_str_eq(at(t, 0), "::2");
    cr_expect_str_eq(at(t, scan_targets_count(t) - 1), "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    scan_targets_free(t);
}

Test(scan_targets, every_default_blocklist_entry_parses_and_blocks_itself)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    cr_assert_eq(scan_targets_default_blocklist(f), 0);
    fclose(f);

    /* The printed list is valid target-file syntax. */
    struct scan_targets *t = new_set(0);
    cr_expect_eq(scan_targets_add_buffer(t, SCAN_TARGETS_BLOCK, text, len, "default"), 0);
    scan_targets_free(t);

    unsigned nb = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char cidr[64];
        cr_assert_eq(sscanf(line, "%63s", cidr), 1);
        if (strncmp(cidr, "::ffff:", 7) == 0)
            continue; /* as text it means IPv4, documented */
        t = new_set(SCAN_TARGETS_ALLOW_LARGE);
        cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, cidr, NULL, 0), 0, "%s", cidr);
        cr_assert_eq(scan_targets_finalize(t), 0);
        cr_expect_eq(scan_targets_count(t), 0, "%s is not blocked", cidr);
        scan_targets_free(t);
        nb++;
    }
    cr_expect_geq(nb, 25);
    free(text);
}

/* ------------------------------------------------------------------ */
/* Large sets (I01, I02)                                                */

Test(scan_targets, ipv6_slash_95_refused_without_allow_large)
{
    struct scan_targets *t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST);
    static const char data[] = "2001:db8::/96\n2001:db8:1::/95\n";
    cr_expect_eq(scan_targets_add_buffer(t, SCAN_TARGETS_INCLUDE, data, sizeof(data) - 1, "f"),
                 -EINVAL);
    cr_expect_str_eq(scan_targets_error(t, 0), "f:2: 2001:db8:1::/95: IPv6 prefix /95 holds 2^33 "
                                               "addresses, more than a /96; pass --allow-large to "
                                               "scan it");
    scan_targets_free(t);

    t = from_text(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST | SCAN_TARGETS_ALLOW_LARGE, data, 0);
    cr_expect_eq(scan_targets_count(t), P2(32) + P2(33));
    scan_targets_free(t);
}

Test(scan_targets, whole_address_space_is_one_interval_not_materialised)
{
    struct scan_targets *t = from_text(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST | SCAN_TARGETS_ALLOW_LARGE,
                                       "0.0.0.0/0\n::/1\n", 0);
    cr_expect_eq(scan_targets_count(t), P2(32) + P2(127));
    cr_expect_eq(scan_targets_nb_intervals(t), 2);
    cr_expect_leq(scan_targets_mem_len(t), 64);
    cr_expect_str_eq(at(t, P2(32) - 1), "255.255.255.255");
    cr_expect_str_eq(at(t, P2(32)), "::");
    cr_expect_str_eq(at(t, P2(32) + P2(127) - 1), "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    scan_targets_free(t);
}

Test(scan_targets, set_of_2_to_128_addresses_is_refused)
{
    struct scan_targets *t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST | SCAN_TARGETS_ALLOW_LARGE);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, "::/0", NULL, 0), 0);
    cr_expect_eq(scan_targets_finalize(t), -EINVAL);
    cr_expect_not_null(strstr(scan_targets_error(t, 0), "2^128"));
    cr_expect_eq(scan_targets_count(t), 0);
    scan_targets_free(t);

    /* Pieces that merge into the whole space are refused the same way. */
    t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST | SCAN_TARGETS_ALLOW_LARGE);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, "::/1", NULL, 0), 0);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, "8000::/2", NULL, 0), 0);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, "c000::/3", NULL, 0), 0);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, "e000::/3", NULL, 0), 0);
    cr_expect_eq(scan_targets_finalize(t), -EINVAL);
    scan_targets_free(t);

    /* 2^128 - 1 IPv6 addresses fit, until one IPv4 address is added. */
    t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST | SCAN_TARGETS_ALLOW_LARGE);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, "::/0", NULL, 0), 0);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_BLOCK, "::", NULL, 0), 0);
    cr_expect_eq(scan_targets_finalize(t), 0);
    cr_expect_eq(scan_targets_count(t), SCAN_U128_MAX);
    cr_expect_eq(scan_targets_blocklisted(t), 1);
    cr_expect_str_eq(at(t, SCAN_U128_MAX - 1), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    scan_targets_free(t);
    t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST | SCAN_TARGETS_ALLOW_LARGE);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, "::/0", NULL, 0), 0);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, "1.1.1.1", NULL, 0), 0);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_BLOCK, "::", NULL, 0), 0);
    cr_expect_eq(scan_targets_finalize(t), -EINVAL);
    scan_targets_free(t);
}

Test(scan_targets, blocklisted_count_saturates)
{
    struct scan_targets *t = new_set(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST | SCAN_TARGETS_ALLOW_LARGE);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, "::/0", NULL, 0), 0);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_BLOCK, "::/0", NULL, 0), 0);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, "1.2.3.4", NULL, 0), 0);
    cr_assert_eq(scan_targets_finalize(t), 0);
    cr_expect_eq(scan_targets_count(t), 1);
    cr_expect_eq(scan_targets_blocklisted(t), SCAN_U128_MAX);
    scan_targets_free(t);
}

Test(scan_targets, counts_and_indices_across_2_to_32)
{
    struct scan_targets *t = from_text(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST,
                                       "2001:db8:1::/96\n0.0.0.0/0\n2001:db8::/96\n", 0);
    cr_assert_eq(scan_targets_count(t), 3 * P2(32));
    cr_expect_eq(scan_targets_count_v4(t), P2(32));
    cr_expect_str_eq(at(t, P2(32) - 1), "255.255.255.255");
    cr_expect_str_eq(at(t, P2(32)), "2001:db8::");
    cr_expect_str_eq(at(t, 2 * P2(32) - 1), "2001:db8::ffff:ffff");
    cr_expect_str_eq(at(t, 2 * P2(32)), "2001:db8:1::");
    cr_expect_str_eq(at(t, 3 * P2(32) - 1), "2001:db8:1::ffff:ffff");
    struct pkt_addr a;
    cr_expect_eq(scan_targets_addr(t, 3 * P2(32), &a), -ERANGE);
    a = addr_of("2001:db8:1::5");
    scan_u128 idx;
    cr_assert_eq(scan_targets_index(t, &a, &idx), 0);
    cr_expect_eq(idx, 2 * P2(32) + 5);
    scan_targets_free(t);
}

Test(scan_targets, counts_and_indices_across_2_to_64)
{
    struct scan_targets *t =
        from_text(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST | SCAN_TARGETS_ALLOW_LARGE,
                  "2001:db8:0:3::/64\n2001:db8::/64\n2001:db8:0:1::/64\n192.0.2.1\n", 0);
    cr_assert_eq(scan_targets_count(t), 3 * P2(64) + 1);
    cr_expect_eq(scan_targets_nb_intervals(t), 3);
    cr_expect_str_eq(at(t, 0), "192.0.2.1");
    cr_expect_str_eq(at(t, 1), "2001:db8::");
    cr_expect_str_eq(at(t, P2(64)), "2001:db8::ffff:ffff:ffff:ffff");
    cr_expect_str_eq(at(t, P2(64) + 1), "2001:db8:0:1::");
    cr_expect_str_eq(at(t, 2 * P2(64) + 1), "2001:db8:0:3::");
    cr_expect_str_eq(at(t, 3 * P2(64)), "2001:db8:0:3:ffff:ffff:ffff:ffff");
    static const char *probe[] = { "2001:db8::", "2001:db8:0:1:ffff:ffff:ffff:ffff",
                                   "2001:db8:0:3::1234", "192.0.2.1" };
    for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
        struct pkt_addr a = addr_of(probe[i]), back;
        scan_u128 idx;
        cr_assert_eq(scan_targets_index(t, &a, &idx), 0, "%s", probe[i]);
        cr_assert_eq(scan_targets_addr(t, idx, &back), 0);
        cr_expect_str_eq(addr_text(&back), probe[i]);
    }
    struct pkt_addr gap = addr_of("2001:db8:0:2::1");
    scan_u128 idx;
    cr_expect_eq(scan_targets_index(t, &gap, &idx), -ENOENT);
    cr_expect_eq(scan_targets_blocklisted(t), 0);
    char buf[SCAN_U128_TEXT_MAX];
    cr_assert_gt(scan_u128_format(scan_targets_count(t), buf, sizeof(buf)), 0);
    cr_expect_str_eq(buf, "55340232221128654849");
    scan_targets_free(t);
}
