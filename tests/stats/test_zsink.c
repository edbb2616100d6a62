/*
 * tests/stats/test_zsink.c - the output sink: no clobbering, no symlinks
 * (S03), zstd frames on a 2 s tick and their crash behaviour (R01), write
 * errors (R05 EPIPE, R06 ENOSPC).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "stats/zsink.h"
#include "testutil.h"

#define SEC 1000000000ull

static char errbuf[STATS_SINK_ERR_MAX];

static const char *path_in(const char *dir, const char *name)
{
    static char bufs[4][600];
    static unsigned next;
    char *p = bufs[next++ % 4];
    snprintf(p, sizeof(bufs[0]), "%s/%s", dir, name);
    return p;
}

static struct stats_sink *open_ok(const char *path, unsigned flags)
{
    struct stats_sink *s = NULL;
    int rc = stats_sink_new(&s, path, flags, NULL, errbuf, sizeof(errbuf));
    cr_assert_eq(rc, 0, "open %s: %d %s", path, rc, errbuf);
    cr_assert_not_null(s);
    return s;
}

static void write_ok(struct stats_sink *s, const char *line)
{
    int rc = stats_sink_write(s, line, strlen(line));
    cr_assert_eq(rc, 0, "write: %d %s", rc, stats_sink_error(s));
}

static void close_ok(struct stats_sink *s)
{
    int rc = stats_sink_close(s);
    cr_assert_eq(rc, 0, "close: %d %s", rc, stats_sink_error(s));
    stats_sink_free(s);
}

/* Row-like line number i, varied so it does not compress to nothing. */
static size_t make_line(char *buf, size_t cap, unsigned i)
{
    int n = snprintf(
        buf, cap, "{\"ip\":\"10.%u.%u.%u\",\"verdict\":\"%s\",\"ptr\":[\"h%08x.example.net\"]}\n",
        (i >> 16) & 255, (i >> 8) & 255, i & 255, i % 3 ? "pass" : "no-ptr", i * 2654435761u);
    cr_assert(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

/* ---- zstd helpers -------------------------------------------------------------- */

/*
 * Decode src[0..len) (any number of frames) with the streaming decoder.
 * Returns the output (malloc'd, NUL-terminated); *complete tells whether
 * the input ended exactly at a frame end with every frame whole.
 */
static char *zdecode(const char *src, size_t len, size_t *out_len, bool *complete)
{
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    cr_assert_not_null(dc);
    size_t cap = 1 << 20, n = 0;
    char *out = malloc(cap + 1);
    cr_assert_not_null(out);
    ZSTD_inBuffer in = { src, len, 0 };
    size_t ret = 0;
    bool error = false;
    while (in.pos < in.size) {
        if (cap - n < ZSTD_DStreamOutSize()) {
            cap *= 2;
            out = realloc(out, cap + 1);
            cr_assert_not_null(out);
        }
        ZSTD_outBuffer o = { out + n, cap - n, 0 };
        ret = ZSTD_decompressStream(dc, &o, &in);
        n += o.pos;
        if (ZSTD_isError(ret)) {
            error = true;
            break;
        }
        if (o.pos == 0 && in.pos == in.size)
            break;
    }
    /* Drain what the decoder still holds for the last frame. */
    while (!error && ret != 0) {
        if (cap - n < ZSTD_DStreamOutSize()) {
            cap *= 2;
            out = realloc(out, cap + 1);
            cr_assert_not_null(out);
        }
        ZSTD_outBuffer o = { out + n, cap - n, 0 };
        ZSTD_inBuffer none = { NULL, 0, 0 };
        ret = ZSTD_decompressStream(dc, &o, &none);
        n += o.pos;
        if (ZSTD_isError(ret) || o.pos == 0)
            break;
    }
    ZSTD_freeDCtx(dc);
    out[n] = '\0';
    *out_len = n;
    *complete = !error && ret == 0;
    return out;
}

/* Complete frames at the start of buf; offsets of their ends into ends[]. */
static unsigned walk_frames(const char *buf, size_t len, size_t *ends, unsigned max)
{
    size_t off = 0;
    unsigned nb = 0;
    while (off < len && nb < max) {
        size_t fs = ZSTD_findFrameCompressedSize(buf + off, len - off);
        if (ZSTD_isError(fs))
            break;
        /* RFC 8878 §3.1.1.1: magic, then the descriptor; bit 2 is Content_Checksum_flag. */
        cr_assert_geq(fs, 5u);
        cr_assert_eq((unsigned char)buf[off + 4] & 4u, 4u, "frames carry a checksum");
        off += fs;
        ends[nb++] = off;
    }
    return nb;
}

static char *decode_frame(const char *buf, size_t start, size_t end, size_t *n)
{
    bool complete;
    char *out = zdecode(buf + start, end - start, n, &complete);
    cr_assert(complete, "frame [%zu, %zu) decodes completely", start, end);
    return out;
}

/* ---- plain files ------------------------------------------------------------------- */

Test(stats_sink, plain_file_holds_exactly_the_written_lines)
{
    const char *dir = tu_tmpdir();
    const char *p = path_in(dir, "out.jsonl");
    struct stats_sink *s = open_ok(p, 0);
    char expect[1 << 16];
    size_t elen = 0;
    for (unsigned i = 0; i < 500; i++) {
        char l[256];
        size_t n = make_line(l, sizeof(l), i);
        write_ok(s, l);
        memcpy(expect + elen, l, n);
        elen += n;
    }
    cr_assert_eq(stats_sink_bytes_in(s), elen);
    cr_assert_eq(stats_sink_close(s), 0);
    cr_assert_eq(stats_sink_bytes_out(s), elen);
    stats_sink_free(s);
    size_t len;
    char *got = tu_read_file(p, &len);
    cr_assert_eq(len, elen);
    cr_assert_eq(memcmp(got, expect, len), 0);
    free(got);
}

Test(stats_sink, lines_larger_than_the_buffer_are_written_whole)
{
    const char *dir = tu_tmpdir();
    const char *p = path_in(dir, "big.csv");
    struct stats_sink *s = open_ok(p, 0);
    size_t big = 600 * 1024;
    char *l = malloc(big);
    cr_assert_not_null(l);
    memset(l, 'x', big);
    l[big - 1] = '\n';
    write_ok(s, "a\n");
    cr_assert_eq(stats_sink_write(s, l, big), 0);
    write_ok(s, "b\n");
    close_ok(s);
    size_t len;
    char *got = tu_read_file(p, &len);
    cr_assert_eq(len, big + 4);
    cr_assert_eq(memcmp(got, "a\n", 2), 0);
    cr_assert_eq(memcmp(got + 2, l, big), 0);
    cr_assert_eq(memcmp(got + 2 + big, "b\n", 2), 0);
    free(got);
    free(l);
}

Test(stats_sink, sync_makes_rows_visible_before_close)
{
    const char *dir = tu_tmpdir();
    const char *p = path_in(dir, "sync.jsonl");
    struct stats_sink *s = open_ok(p, 0);
    write_ok(s, "row1\n");
    struct stat st;
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_size, 0, "buffered until a flush");
    cr_assert_eq(stats_sink_sync(s), 0);
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_size, 5);
    close_ok(s);
}

Test(stats_sink, plain_tick_flushes_after_two_seconds)
{
    const char *dir = tu_tmpdir();
    const char *p = path_in(dir, "tick.jsonl");
    struct stats_sink *s = open_ok(p, 0);
    struct stat st;
    cr_assert_eq(stats_sink_tick(s, 10 * SEC), 0);
    write_ok(s, "row1\n");
    cr_assert_eq(stats_sink_tick(s, 12 * SEC - 1), 0);
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_size, 0);
    cr_assert_eq(stats_sink_tick(s, 12 * SEC), 1);
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_size, 5);
    close_ok(s);
}

/* ---- S03: no clobbering, no symlinks ---------------------------------------------- */

Test(stats_sink, refuses_an_existing_file_without_force)
{
    const char *dir = tu_tmpdir();
    const char *p = path_in(dir, "old.jsonl");
    tu_write_file(p, "precious\n", 9);
    struct stats_sink *s = NULL;
    int rc = stats_sink_new(&s, p, 0, NULL, errbuf, sizeof(errbuf));
    cr_assert_eq(rc, -EEXIST);
    cr_assert_null(s);
    cr_assert_not_null(strstr(errbuf, p), "names the file: %s", errbuf);
    cr_assert_not_null(strstr(errbuf, "--force"), "%s", errbuf);
    size_t len;
    char *got = tu_read_file(p, &len);
    cr_assert_str_eq(got, "precious\n");
    free(got);
}

Test(stats_sink, force_replaces_an_existing_file)
{
    const char *dir = tu_tmpdir();
    const char *p = path_in(dir, "old.jsonl");
    tu_write_file(p, "precious and long\n", 18);
    struct stats_sink *s = open_ok(p, STATS_SINK_FORCE);
    write_ok(s, "new\n");
    close_ok(s);
    size_t len;
    char *got = tu_read_file(p, &len);
    cr_assert_str_eq(got, "new\n");
    free(got);
}

Test(stats_sink, refuses_a_symlink_even_with_force)
{
    const char *dir = tu_tmpdir();
    const char *target = path_in(dir, "system-file");
    const char *link = path_in(dir, "out.jsonl");
    const char *dangling = path_in(dir, "dangling.jsonl");
    const char *nowhere = path_in(dir, "created-through-link");
    tu_write_file(target, "root:x:0:0\n", 11);
    cr_assert_eq(symlink(target, link), 0);
    cr_assert_eq(symlink(nowhere, dangling), 0);

    for (unsigned force = 0; force < 2; force++) {
        struct stats_sink *s = NULL;
        unsigned flags = force ? STATS_SINK_FORCE : 0;
        int rc = stats_sink_new(&s, link, flags, NULL, errbuf, sizeof(errbuf));
        cr_assert(rc == (force ? -ELOOP : -EEXIST), "force=%u rc=%d", force, rc);
        cr_assert_null(s);
        cr_assert_not_null(strstr(errbuf, link), "%s", errbuf);
        rc = stats_sink_new(&s, dangling, flags, NULL, errbuf, sizeof(errbuf));
        cr_assert(rc == (force ? -ELOOP : -EEXIST), "dangling force=%u rc=%d", force, rc);
        cr_assert_eq(access(nowhere, F_OK), -1, "nothing created through the link");
    }
    size_t len;
    char *got = tu_read_file(target, &len);
    cr_assert_str_eq(got, "root:x:0:0\n");
    free(got);
}

Test(stats_sink, force_refuses_a_file_with_other_hard_links)
{
    const char *dir = tu_tmpdir();
    const char *victim = path_in(dir, "victim");
    const char *p = path_in(dir, "out.jsonl");
    tu_write_file(victim, "keep me\n", 8);
    cr_assert_eq(link(victim, p), 0);
    struct stats_sink *s = NULL;
    int rc = stats_sink_new(&s, p, STATS_SINK_FORCE, NULL, errbuf, sizeof(errbuf));
    cr_assert_eq(rc, STATS_E_HARDLINK, "rc %d", rc);
    cr_assert_not_null(strstr(errbuf, p));
    size_t len;
    char *got = tu_read_file(victim, &len);
    cr_assert_str_eq(got, "keep me\n");
    free(got);
}

Test(stats_sink, warns_about_a_world_writable_directory_without_sticky_bit)
{
    static const struct {
        mode_t mode;
        unsigned warn;
    } cases[] = {
        { 0777, STATS_SINK_WARN_DIR_WORLD_WRITABLE },
        { 01777, 0 },
        { 0755, 0 },
        { 0775, 0 },
    };
    const char *dir = tu_tmpdir();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char sub[600], p[700];
        snprintf(sub, sizeof(sub), "%s/d%zu", dir, i);
        cr_assert_eq(mkdir(sub, 0700), 0);
        cr_assert_eq(chmod(sub, cases[i].mode), 0);
        snprintf(p, sizeof(p), "%s/out.jsonl", sub);
        struct stats_sink *s = NULL;
        unsigned warn = 99;
        cr_assert_eq(stats_sink_new(&s, p, 0, &warn, errbuf, sizeof(errbuf)), 0);
        cr_assert_eq(warn, cases[i].warn, "mode %o", (unsigned)cases[i].mode);
        close_ok(s);
    }
}

Test(stats_sink, reports_a_missing_directory_with_the_name)
{
    const char *dir = tu_tmpdir();
    const char *p = path_in(dir, "no/such/dir/out.jsonl");
    struct stats_sink *s = NULL;
    cr_assert_eq(stats_sink_new(&s, p, 0, NULL, errbuf, sizeof(errbuf)), -ENOENT);
    cr_assert_not_null(strstr(errbuf, p), "%s", errbuf);
    cr_assert_not_null(strstr(errbuf, "No such file"), "%s", errbuf);
}

/* ---- zstd -------------------------------------------------------------------------- */

Test(stats_sink, zstd_output_decodes_to_exactly_the_written_lines)
{
    const char *dir = tu_tmpdir();
    const char *p = path_in(dir, "out.jsonl.zst");
    const char *plain = path_in(dir, "cli.jsonl");
    struct stats_sink *s = open_ok(p, STATS_SINK_ZSTD);
    size_t cap = 8 << 20, elen = 0;
    char *expect = malloc(cap);
    cr_assert_not_null(expect);
    uint64_t now = 0;
    cr_assert_eq(stats_sink_tick(s, now), 0);
    /* Enough rows (~3 MB) to fill the output buffer several times between frames. */
    for (unsigned i = 0; i < 40000; i++) {
        char l[256];
        size_t n = make_line(l, sizeof(l), i);
        write_ok(s, l);
        memcpy(expect + elen, l, n);
        elen += n;
        if (i % 1000 == 999) {
            now += SEC / 2;
            cr_assert_geq(stats_sink_tick(s, now), 0);
        }
    }
    close_ok(s);

    size_t zlen, len;
    bool complete;
    char *z = tu_read_file(p, &zlen);
    char *got = zdecode(z, zlen, &len, &complete);
    cr_assert(complete);
    cr_assert_eq(len, elen);
    cr_assert_eq(memcmp(got, expect, len), 0);
    size_t ends[64];
    unsigned nb = walk_frames(z, zlen, ends, 64);
    cr_assert_eq(nb, 10, "a frame per 2 s of ticks: %u", nb);
    cr_assert_eq(ends[nb - 1], zlen, "no trailing garbage");
    free(got);

    const char *argv[] = { "/usr/bin/zstd", "-q", "-d", "-c", p, NULL };
    cr_assert_eq(tu_run(argv, plain), 0, "zstd -d");
    got = tu_read_file(plain, &len);
    cr_assert_eq(len, elen);
    cr_assert_eq(memcmp(got, expect, len), 0);
    free(got);
    free(z);
    free(expect);
}

Test(stats_sink, frames_close_on_tick_two_seconds_after_the_last)
{
    const char *dir = tu_tmpdir();
    const char *p = path_in(dir, "frames.csv.zst");
    struct stats_sink *s = open_ok(p, STATS_SINK_ZSTD);
    const uint64_t t0 = 5000 * SEC;
    size_t zlen, ends[8];
    char *z;

    cr_assert_eq(stats_sink_tick(s, t0), 0, "first tick starts the clock");
    write_ok(s, "a1\n");
    write_ok(s, "a2\n");
    cr_assert_eq(stats_sink_tick(s, t0 + 2 * SEC - 1), 0);
    cr_assert_eq(stats_sink_tick(s, t0 + 2 * SEC), 1);

    /* The closed frame is on disk now, before any close: what a crash would leave. */
    z = tu_read_file(p, &zlen);
    cr_assert_eq(walk_frames(z, zlen, ends, 8), 1);
    cr_assert_eq(ends[0], zlen);
    size_t n;
    char *f = decode_frame(z, 0, ends[0], &n);
    cr_assert_str_eq(f, "a1\na2\n");
    free(f);
    free(z);

    cr_assert_eq(stats_sink_tick(s, t0 + 9 * SEC), 0, "nothing pending: no frame");
    write_ok(s, "b1\n");
    cr_assert_eq(stats_sink_tick(s, t0 + 10 * SEC), 1, "late row after a quiet spell");
    write_ok(s, "c1\n");
    cr_assert_eq(stats_sink_tick(s, t0 + 11 * SEC), 0);
    cr_assert_eq(stats_sink_tick(s, t0 + 5 * SEC), 0, "a clock going back changes nothing");
    cr_assert_eq(stats_sink_tick(s, t0 + 12 * SEC), 1);
    write_ok(s, "d1\n");
    write_ok(s, "d2\n");
    close_ok(s);

    z = tu_read_file(p, &zlen);
    unsigned nb = walk_frames(z, zlen, ends, 8);
    cr_assert_eq(nb, 4, "frames: %u", nb);
    cr_assert_eq(ends[nb - 1], zlen);
    static const char *const want[] = { "a1\na2\n", "b1\n", "c1\n", "d1\nd2\n" };
    for (unsigned i = 0; i < nb; i++) {
        f = decode_frame(z, i == 0 ? 0 : ends[i - 1], ends[i], &n);
        cr_assert_str_eq(f, want[i], "frame %u", i);
        free(f);
    }
    free(z);
}

Test(stats_sink, truncated_file_still_yields_its_complete_frames)
{
    const char *dir = tu_tmpdir();
    const char *p = path_in(dir, "torn.jsonl.zst");
    const char *cut = path_in(dir, "cut.jsonl.zst");
    struct stats_sink *s = open_ok(p, STATS_SINK_ZSTD);
    char first[1 << 16];
    size_t flen = 0;
    cr_assert_eq(stats_sink_tick(s, 0), 0);
    for (unsigned i = 0; i < 300; i++) {
        char l[256];
        size_t n = make_line(l, sizeof(l), i);
        write_ok(s, l);
        memcpy(first + flen, l, n);
        flen += n;
    }
    cr_assert_eq(stats_sink_tick(s, 2 * SEC), 1);
    for (unsigned i = 300; i < 600; i++) {
        char l[256];
        make_line(l, sizeof(l), i);
        write_ok(s, l);
    }
    close_ok(s);

    size_t zlen, ends[4];
    char *z = tu_read_file(p, &zlen);
    cr_assert_eq(walk_frames(z, zlen, ends, 4), 2);
    /* Tear the second frame at several points: the first frame always survives whole. */
    size_t cuts[] = { ends[0] + 1, ends[0] + 6, (ends[0] + ends[1]) / 2, ends[1] - 1 };
    for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
        tu_write_file(cut, z, cuts[c]);
        size_t len, clen, cends[4];
        char *torn = tu_read_file(cut, &clen);
        cr_assert_eq(walk_frames(torn, clen, cends, 4), 1, "cut at %zu", cuts[c]);
        char *got = decode_frame(torn, 0, cends[0], &len);
        cr_assert_eq(len, flen);
        cr_assert_eq(memcmp(got, first, len), 0);
        free(got);
        /* The whole torn file does not decode as complete: a consumer can tell. */
        bool complete;
        got = zdecode(torn, clen, &len, &complete);
        cr_assert_not(complete, "cut at %zu detected", cuts[c]);
        free(got);
        free(torn);
    }
    free(z);
}

Test(stats_sink, empty_zstd_output_is_one_valid_empty_frame)
{
    const char *dir = tu_tmpdir();
    const char *p = path_in(dir, "empty.jsonl.zst");
    const char *plain = path_in(dir, "empty.jsonl");
    struct stats_sink *s = open_ok(p, STATS_SINK_ZSTD);
    cr_assert_eq(stats_sink_tick(s, 0), 0);
    cr_assert_eq(stats_sink_tick(s, 100 * SEC), 0);
    close_ok(s);
    size_t zlen, ends[2], len;
    char *z = tu_read_file(p, &zlen);
    cr_assert_gt(zlen, 0);
    cr_assert_eq(walk_frames(z, zlen, ends, 2), 1);
    free(z);
    const char *argv[] = { "/usr/bin/zstd", "-q", "-d", "-c", p, NULL };
    cr_assert_eq(tu_run(argv, plain), 0);
    char *got = tu_read_file(plain, &len);
    cr_assert_eq(len, 0);
    free(got);
}

/* ---- R05/R06: write errors ----------------------------------------------------------- */

Test(stats_sink, enospc_is_returned_with_the_file_name)
{
    for (unsigned z = 0; z < 2; z++) {
        struct stats_sink *s = NULL;
        unsigned flags = STATS_SINK_FORCE | (z ? STATS_SINK_ZSTD : 0);
        cr_assert_eq(stats_sink_new(&s, "/dev/full", flags, NULL, errbuf, sizeof(errbuf)), 0, "%s",
                     errbuf);
        write_ok(s, "row\n"); /* buffered: the error shows at the flush */
        int rc = stats_sink_close(s);
        cr_assert_eq(rc, -ENOSPC, "zstd=%u rc=%d", z, rc);
        cr_assert_not_null(strstr(stats_sink_error(s), "/dev/full"), "%s", stats_sink_error(s));
        cr_assert_not_null(strstr(stats_sink_error(s), "No space left on device"), "%s",
                           stats_sink_error(s));
        cr_assert_eq(stats_sink_close(s), -ENOSPC, "the result stays");
        cr_assert_eq(stats_sink_write(s, "x\n", 2), -ENOSPC, "sticky after close too");
        stats_sink_free(s);
    }
}

Test(stats_sink, enospc_on_a_large_write_is_returned_by_that_write)
{
    struct stats_sink *s = NULL;
    cr_assert_eq(stats_sink_new(&s, "/dev/full", STATS_SINK_FORCE, NULL, errbuf, sizeof(errbuf)),
                 0);
    size_t big = 512 * 1024;
    char *l = malloc(big);
    cr_assert_not_null(l);
    memset(l, 'y', big);
    cr_assert_eq(stats_sink_write(s, l, big), -ENOSPC);
    cr_assert_eq(stats_sink_write(s, "more\n", 5), -ENOSPC, "sticky");
    cr_assert_eq(stats_sink_tick(s, 0), -ENOSPC);
    cr_assert_eq(stats_sink_sync(s), -ENOSPC);
    cr_assert_eq(stats_sink_close(s), -ENOSPC);
    stats_sink_free(s);
    free(l);
}

Test(stats_sink, epipe_is_a_clean_error)
{
    signal(SIGPIPE, SIG_IGN);
    for (unsigned z = 0; z < 2; z++) {
        int fds[2];
        cr_assert_eq(pipe(fds), 0);
        close(fds[0]);
        struct stats_sink *s = NULL;
        cr_assert_eq(
            stats_sink_new_fd(&s, fds[1], NULL, z ? STATS_SINK_ZSTD : 0, errbuf, sizeof(errbuf)),
            0);
        write_ok(s, "row\n");
        cr_assert_eq(stats_sink_sync(s), -EPIPE);
        cr_assert_not_null(strstr(stats_sink_error(s), "EPIPE"), "%s", stats_sink_error(s));
        char name[32];
        snprintf(name, sizeof(name), "fd %d", fds[1]);
        cr_assert_not_null(strstr(stats_sink_error(s), name), "%s", stats_sink_error(s));
        cr_assert_eq(stats_sink_close(s), -EPIPE);
        stats_sink_free(s);
        cr_assert_neq(fcntl(fds[1], F_GETFD), -1, "a borrowed fd stays open");
        close(fds[1]);
    }
}

struct reader {
    int fd;
    char *buf;
    size_t len;
    size_t cap;
};

static void *slow_reader(void *arg)
{
    struct reader *r = arg;
    for (;;) {
        /* Small reads with pauses: the writer sees EAGAIN and short writes. */
        ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len < 1000 ? r->cap - r->len : 1000);
        if (n <= 0)
            break;
        r->len += (size_t)n;
        usleep(50);
    }
    return NULL;
}

Test(stats_sink, nonblocking_pipe_gets_every_byte_through_short_writes)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
    (void)fcntl(fds[1], F_SETPIPE_SZ, 4096);
    struct reader r = { fds[0], malloc(4 << 20), 0, 4 << 20 };
    cr_assert_not_null(r.buf);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, slow_reader, &r), 0);

    struct stats_sink *s = NULL;
    cr_assert_eq(stats_sink_new_fd(&s, fds[1], "pipe", 0, errbuf, sizeof(errbuf)), 0);
    size_t elen = 0;
    char *expect = malloc(4 << 20);
    cr_assert_not_null(expect);
    for (unsigned i = 0; i < 20000; i++) {
        char l[256];
        size_t n = make_line(l, sizeof(l), i);
        write_ok(s, l);
        memcpy(expect + elen, l, n);
        elen += n;
    }
    close_ok(s);
    close(fds[1]);
    pthread_join(th, NULL);
    close(fds[0]);
    cr_assert_eq(r.len, elen);
    cr_assert_eq(memcmp(r.buf, expect, elen), 0);
    free(r.buf);
    free(expect);
}

Test(stats_sink, closed_sink_refuses_more_rows)
{
    const char *dir = tu_tmpdir();
    struct stats_sink *s = open_ok(path_in(dir, "c.jsonl"), 0);
    write_ok(s, "x\n");
    cr_assert_eq(stats_sink_close(s), 0);
    cr_assert_eq(stats_sink_write(s, "y\n", 2), STATS_E_CLOSED);
    cr_assert_eq(stats_sink_tick(s, 0), STATS_E_CLOSED);
    cr_assert_eq(stats_sink_close(s), 0);
    stats_sink_free(s);
    stats_sink_free(NULL);
}
