/* The checkpoint file (scanner/checkpoint.h): round trip, atomic
 * replacement, and refusal of anything damaged (docs/test-cases.md R03). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scanner/checkpoint.h"

static char dir[64];
static char path[128];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/fcrscan-ckpt.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/ck", dir);
}

static void teardown(void)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(checkpoint, .init = setup, .fini = teardown);

static uint64_t pend[5];

static struct scan_ckpt sample(void)
{
    struct scan_ckpt c;
    memset(&c, 0, sizeof(c));
    c.config = 0x0123456789abcdefull;
    c.seed = 42;
    c.shard_i = 1;
    c.shard_n = 3;
    c.output_bytes = 123456;
    c.nb_txq = 2;
    c.size[0] = 1000;
    c.size[1] = 999;
    c.next[0] = 700;
    c.next[1] = 650;
    pend[0] = 3;
    pend[1] = 500;
    pend[2] = 699;
    pend[3] = 1ull << SCAN_CKPT_POS_BITS | 10;
    pend[4] = 1ull << SCAN_CKPT_POS_BITS | 649;
    c.pending = pend;
    c.nb_pending = 5;
    return c;
}

static char *slurp(size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    static char buf[8192];
    *len = fread(buf, 1, sizeof(buf) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void spit(const char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(buf, 1, len, f), len);
    fclose(f);
}

static int reread(char *err, size_t cap)
{
    struct scan_ckpt r;
    int rc = scan_ckpt_read(path, &r, err, cap);
    scan_ckpt_fini(&r);
    return rc;
}

Test(checkpoint, round_trip_keeps_every_field)
{
    struct scan_ckpt c = sample();
    char err[256] = "";
    cr_assert_eq(scan_ckpt_write(path, &c, err, sizeof(err)), 0, "%s", err);
    struct scan_ckpt r;
    cr_assert_eq(scan_ckpt_read(path, &r, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(r.config, c.config);
    cr_assert_eq(r.seed, 42);
    cr_assert_eq(r.shard_i, 1);
    cr_assert_eq(r.shard_n, 3);
    cr_assert_eq(r.output_bytes, 123456);
    cr_assert_eq(r.nb_txq, 2);
    for (unsigned q = 0; q < 2; q++) {
        cr_assert_eq(r.size[q], c.size[q]);
        cr_assert_eq(r.next[q], c.next[q]);
    }
    cr_assert_eq(r.nb_pending, 5);
    cr_assert_arr_eq(r.pending, pend, sizeof(pend));
    cr_assert_not(scan_ckpt_complete(&r));
    scan_ckpt_fini(&r);
    struct stat st;
    char tmp[160];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    cr_assert_neq(stat(tmp, &st), 0, "no temporary file left");
}

Test(checkpoint, no_file_is_a_fresh_start)
{
    struct scan_ckpt r;
    char err[256] = "";
    cr_assert_eq(scan_ckpt_read(path, &r, err, sizeof(err)), -ENOENT);
}

Test(checkpoint, complete_means_every_part_taken_and_nothing_pending)
{
    struct scan_ckpt c = sample();
    c.nb_pending = 0;
    c.next[0] = c.size[0];
    cr_assert_not(scan_ckpt_complete(&c));
    c.next[1] = c.size[1];
    cr_assert(scan_ckpt_complete(&c));
    c.nb_pending = 1;
    cr_assert_not(scan_ckpt_complete(&c));
}

/* A crash between writing the temporary file and the rename leaves a .tmp
 * (possibly garbage): the old checkpoint is intact, the next write wins. */
Test(checkpoint, stale_temporary_file_is_replaced)
{
    struct scan_ckpt c = sample();
    char err[256] = "";
    cr_assert_eq(scan_ckpt_write(path, &c, err, sizeof(err)), 0, "%s", err);
    char tmp[160];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f);
    fputs("half a checkpoint", f);
    fclose(f);
    cr_assert_eq(reread(err, sizeof(err)), 0, "the old one is still whole: %s", err);
    c.output_bytes = 999;
    cr_assert_eq(scan_ckpt_write(path, &c, err, sizeof(err)), 0, "%s", err);
    struct scan_ckpt r;
    cr_assert_eq(scan_ckpt_read(path, &r, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(r.output_bytes, 999);
    scan_ckpt_fini(&r);
}

Test(checkpoint, truncated_or_edited_files_are_refused)
{
    struct scan_ckpt c = sample();
    char err[256] = "";
    cr_assert_eq(scan_ckpt_write(path, &c, err, sizeof(err)), 0, "%s", err);
    size_t len;
    char *text = slurp(&len);
    static char copy[8192];
    memcpy(copy, text, len);
    /* Every proper prefix is refused (a crash mid-write without the rename
     * protocol, a full disk). */
    for (size_t cut = 0; cut < len; cut++) {
        spit(copy, cut);
        /* An empty file is an unused slot: no checkpoint, a fresh start. */
        cr_assert_eq(reread(err, sizeof(err)), cut == 0 ? -ENOENT : -EINVAL,
                     "prefix of %zu octets accepted", cut);
    }
    /* Every single changed octet is refused. */
    for (size_t i = 0; i < len; i++) {
        copy[i] ^= 0x01;
        spit(copy, len);
        cr_assert_eq(reread(err, sizeof(err)), -EINVAL, "octet %zu changed, accepted", i);
        copy[i] ^= 0x01;
    }
    cr_assert_not_null(strstr(err, "damaged"), "%s", err);
    spit(copy, len);
    cr_assert_eq(reread(err, sizeof(err)), 0, "%s", err);
}

Test(checkpoint, symlink_is_not_followed)
{
    struct scan_ckpt c = sample();
    char err[256] = "";
    char target[160];
    snprintf(target, sizeof(target), "%s/elsewhere", dir);
    cr_assert_eq(scan_ckpt_write(target, &c, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(symlink(target, path), 0);
    cr_assert_neq(reread(err, sizeof(err)), 0, "read through a symlink");
}

/* The text tests/fuzz/make-checkpoint-corpus.py writes as "one-worker": the
 * generator's own XXH64 agrees with the library's, so the valid seeds of the
 * fuzz corpus are valid. */
Test(checkpoint, the_fuzz_corpus_generator_writes_valid_files)
{
    static const char text[] = "fcrscan-checkpoint 2\n"
                               "config 0123456789abcdef\n"
                               "seed 7\n"
                               "shard 0/1\n"
                               "serial 3\n"
                               "output_bytes 4096\n"
                               "queues 1\n"
                               "next 0 700 1088\n"
                               "pending 3 3 1f4 2bb\n"
                               "sum 8eb5a915075a4cca\n";
    struct scan_ckpt c;
    char err[256] = "";
    cr_assert_eq(scan_ckpt_parse(text, sizeof(text) - 1, &c, "seed", err, sizeof(err)), 0, "%s",
                 err);
    cr_assert_eq(c.nb_pending, 3);
    cr_assert_eq(c.pending[2], 699);
    cr_assert_eq(c.next[0], 700);
    scan_ckpt_fini(&c);
}

/* Raw engines: FILE and FILE.alt written in turn, in place. The reader
 * takes the valid one with the higher serial; a slot damaged by a crash
 * during its write leaves the other; an empty slot counts as none. */
Test(checkpoint, two_slots_the_newest_valid_one_wins)
{
    int fds[2];
    char err[256] = "";
    cr_assert_eq(scan_ckpt_slots_open(path, true, fds, err, sizeof(err)), 0, "%s", err);
    struct scan_ckpt r;
    cr_assert_eq(scan_ckpt_read(path, &r, err, sizeof(err)), -ENOENT, "two empty slots: none");
    struct scan_ckpt c = sample();
    c.serial = 1;
    c.output_bytes = 100;
    cr_assert_eq(scan_ckpt_write_slot(fds[1], path, &c, err, sizeof(err)), 0, "%s", err);
    c.serial = 2;
    c.output_bytes = 200;
    cr_assert_eq(scan_ckpt_write_slot(fds[0], path, &c, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(scan_ckpt_read(path, &r, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(r.serial, 2);
    cr_assert_eq(r.output_bytes, 200);
    scan_ckpt_fini(&r);
    /* A crash while serial 3 was written into slot 1: half a file. */
    c.serial = 3;
    cr_assert_eq(scan_ckpt_write_slot(fds[1], path, &c, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(ftruncate(fds[1], 40), 0);
    cr_assert_eq(scan_ckpt_read(path, &r, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(r.serial, 2, "the whole older slot");
    scan_ckpt_fini(&r);
    /* Both damaged: refused. */
    cr_assert_eq(ftruncate(fds[0], 40), 0);
    cr_assert_eq(scan_ckpt_read(path, &r, err, sizeof(err)), -EINVAL);
    close(fds[0]);
    close(fds[1]);
    /* A fresh start elsewhere removes the old slot. */
    cr_assert_eq(scan_ckpt_remove_alt(path), 0);
    char alt[160];
    snprintf(alt, sizeof(alt), "%s.alt", path);
    struct stat st;
    cr_assert_neq(stat(alt, &st), 0);
    cr_assert_eq(scan_ckpt_remove_alt(path), 0, "none is fine");
}
