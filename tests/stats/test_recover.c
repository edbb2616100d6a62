/* stats/recover.h: torn outputs cut back to their last whole row or frame
 * (docs/test-cases.md R01). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "stats/recover.h"

static char path[64];

static void setup(void)
{
    snprintf(path, sizeof(path), "/tmp/fcrscan-recover.XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
}

static void teardown(void)
{
    unlink(path);
}

TestSuite(recover, .init = setup, .fini = teardown);

static void put(const void *data, size_t len, const char *mode)
{
    FILE *f = fopen(path, mode);
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static size_t file_size(void)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return (size_t)n;
}

/* One zstd frame with a content checksum, as the sink writes them. */
static size_t frame(const char *text, char *out, size_t cap)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    size_t n = ZSTD_compress2(c, out, cap, text, strlen(text));
    ZSTD_freeCCtx(c);
    cr_assert(!ZSTD_isError(n));
    return n;
}

Test(recover, plain_file_is_cut_after_its_last_newline)
{
    const char *text = "{\"ip\":\"192.0.2.1\"}\n{\"ip\":\"192.0.2.2\"}\n{\"ip\":\"19";
    put(text, strlen(text), "wb");
    struct stats_recover_result r;
    char err[256] = "";
    cr_assert_eq(stats_recover(path, false, &r, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(r.rows, 2);
    cr_assert_eq(r.cut_bytes, 9);
    cr_assert_eq(file_size(), strlen(text) - 9);
    /* Whole now: a second run changes nothing. */
    cr_assert_eq(stats_recover(path, false, &r, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(r.cut_bytes, 0);
    cr_assert_eq(r.rows, 2);
}

Test(recover, zstd_keeps_whole_frames_and_cuts_a_torn_one)
{
    static char a[4096], b[4096], c[4096];
    size_t na = frame("row 1\nrow 2\n", a, sizeof(a));
    size_t nb = frame("row 3\n", b, sizeof(b));
    size_t nc = frame("row 4\nrow 5\n", c, sizeof(c));
    put(a, na, "wb");
    put(b, nb, "ab");
    put(c, nc - 3, "ab"); /* the crash: the third frame half written */
    struct stats_recover_result r;
    char err[256] = "";
    cr_assert_eq(stats_recover(path, true, &r, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(r.frames, 2);
    cr_assert_eq(r.rows, 3);
    cr_assert_eq(r.kept_bytes, na + nb);
    cr_assert_eq(file_size(), na + nb);
    cr_assert_eq(stats_recover(path, true, &r, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(r.cut_bytes, 0, "idempotent");
}

Test(recover, zstd_stops_at_a_damaged_frame)
{
    static char a[4096], b[4096];
    size_t na = frame("row 1\n", a, sizeof(a));
    size_t nb = frame("row 2 with some more text to compress\n", b, sizeof(b));
    b[nb - 2] ^= 0x40; /* the content checksum no longer matches */
    put(a, na, "wb");
    put(b, nb, "ab");
    put(a, na, "ab");
    struct stats_recover_result r;
    char err[256] = "";
    cr_assert_eq(stats_recover(path, true, &r, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(r.frames, 1);
    cr_assert_eq(file_size(), na, "everything from the damaged frame on is cut");
}

Test(recover, a_frame_that_cuts_a_row_is_not_ours)
{
    static char a[4096], b[4096];
    size_t na = frame("row 1\n", a, sizeof(a));
    size_t nb = frame("row 2 without its newline", b, sizeof(b));
    put(a, na, "wb");
    put(b, nb, "ab");
    struct stats_recover_result r;
    char err[256] = "";
    cr_assert_eq(stats_recover(path, true, &r, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(r.frames, 1);
    cr_assert_eq(file_size(), na);
}

Test(recover, missing_file_and_symlink_are_errors)
{
    struct stats_recover_result r;
    char err[256] = "";
    cr_assert_eq(stats_recover("/nonexistent/x.jsonl", false, &r, err, sizeof(err)), -ENOENT);
    cr_assert_not_null(strstr(err, "/nonexistent/x.jsonl"));
    char link[80];
    snprintf(link, sizeof(link), "%s.lnk", path);
    cr_assert_eq(symlink(path, link), 0);
    cr_assert_neq(stats_recover(link, false, &r, err, sizeof(err)), 0, "followed a symlink");
    unlink(link);
}

/* Nothing whole at all (killed before the first frame closed): one empty
 * frame remains, so the file still decodes; a second run keeps it. */
Test(recover, zstd_with_no_whole_frame_becomes_one_empty_frame)
{
    static char a[4096];
    size_t na = frame("row 1\nrow 2\n", a, sizeof(a));
    put(a, na - 4, "wb");
    struct stats_recover_result r;
    char err[256] = "";
    cr_assert_eq(stats_recover(path, true, &r, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(r.rows, 0);
    size_t n = file_size();
    cr_assert_gt(n, 0);
    FILE *f = fopen(path, "rb");
    static char in[64], out[16];
    cr_assert_eq(fread(in, 1, sizeof(in), f), n);
    fclose(f);
    size_t d = ZSTD_decompress(out, sizeof(out), in, n);
    cr_assert(!ZSTD_isError(d) && d == 0, "an empty frame");
    cr_assert_eq(stats_recover(path, true, &r, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(r.cut_bytes, 0);
    cr_assert_eq(r.frames, 1);
}
