/*
 * scanner/checkpoint.h - the resume point of a scan (--resume FILE).
 *
 * Purpose: say how far a run got so that a later run with the same
 * configuration continues there instead of starting over, and writes every
 * row exactly once (docs/test-cases.md R02, R03). Each TX worker walks its own part
 * of the permutation (perm.h) in position order and completes targets out
 * of order; a checkpoint holds, per worker, the first position not yet
 * taken (next) and the positions below it that have no row yet (pending:
 * still running, or cut short by a stop). Every other position below next
 * has its row in the output, which is synced before the checkpoint is
 * written, and the checkpoint holds the output's length at that moment. A
 * resumed run cuts the output back to that length (rows after it are of
 * pending or later targets, which are asked again; a torn tail after a
 * crash goes with them), asks the pending positions and continues at next.
 *
 * File: text, "fcrscan-checkpoint 2", key value lines, and a last line
 * "sum" with XXH64 of everything before it, so a truncated or damaged file
 * is refused rather than trusted. Written to FILE.tmp, fsynced, renamed over
 * FILE and the directory fsynced: a crash at any point leaves the old
 * checkpoint or the new one, whole. A raw engine's process cannot create
 * files after its privilege drop, so it opens FILE and FILE.alt before and
 * writes them in turn in place (truncate, write, fsync): a crash damages at
 * most the one being written, and the reader takes the valid one with the
 * higher serial. The query key is never written (only the seed, which
 * fixes the order).
 *
 * Threading: plain functions on the caller's data.
 * Memory: the pending list is allocated by scan_ckpt_read (scan_ckpt_fini).
 */
#ifndef FCRSCAN_SCANNER_CHECKPOINT_H
#define FCRSCAN_SCANNER_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet/engine.h"
#include "scanner/targets.h"

#define SCAN_CKPT_QUEUES_MAX PKT_ENGINE_TXQ_MAX /* one part per TX worker */
/* Positions are kept below 2^56 (a part that large could not be scanned). */
#define SCAN_CKPT_POS_BITS 56
#define SCAN_CKPT_POS_MASK ((UINT64_C(1) << SCAN_CKPT_POS_BITS) - 1)

struct scan_ckpt {
    uint64_t config;  /* hash of everything that must match to resume */
    uint64_t seed;    /* the permutation seed (--seed or the random one) */
    uint64_t shard_i; /* --shard I/N (0/1 without) */
    uint64_t shard_n;
    uint64_t serial;                     /* one more per checkpoint written */
    uint64_t output_bytes;               /* output length covering the done rows */
    unsigned nb_txq;                     /* TX workers, each with its own part */
    uint64_t size[SCAN_CKPT_QUEUES_MAX]; /* positions in each worker's part */
    uint64_t next[SCAN_CKPT_QUEUES_MAX]; /* first position not taken yet */
    /* Positions below next without a row, as q << SCAN_CKPT_POS_BITS | pos,
     * ascending (so grouped by worker). */
    uint64_t *pending;
    size_t nb_pending;
};

/*
 * Write c to path atomically (path.tmp, fsync, rename, fsync of the
 * directory). Returns 0 or -errno with a message naming the file in
 * err[0..err_cap). Threading: any thread. Allocates a text buffer.
 */
__attribute__((warn_unused_result)) int scan_ckpt_write(const char *path, const struct scan_ckpt *c,
                                                        char *err, size_t err_cap);

/*
 * Open path and path.alt for scan_ckpt_write_slot (created 0600, never
 * through a symlink; emptied when fresh). Returns 0 and fds, or -errno with
 * a message. Threading: any thread.
 */
__attribute__((warn_unused_result)) int scan_ckpt_slots_open(const char *path, bool fresh,
                                                             int fds[2], char *err, size_t err_cap);

/* Write c into an open slot in place (truncate, write, fsync). name is for
 * messages. Returns 0 or -errno with a message. Threading: any thread. */
__attribute__((warn_unused_result)) int scan_ckpt_write_slot(int fd, const char *name,
                                                             const struct scan_ckpt *c, char *err,
                                                             size_t err_cap);

/* Remove path.alt (a fresh start must not find an old run's slot). Returns
 * 0 (also when there was none) or -errno. */
int scan_ckpt_remove_alt(const char *path);

/*
 * Read the checkpoint at path (and path.alt: the valid one with the higher
 * serial) into *c (release with scan_ckpt_fini). Returns 0; -ENOENT when
 * there is no checkpoint (a fresh start; an empty file counts as none);
 * -EINVAL when the file is damaged, truncated or not a checkpoint; another
 * -errno when it cannot be read. A message naming the file is in err for
 * every failure but -ENOENT. Threading: any thread.
 */
__attribute__((warn_unused_result)) int scan_ckpt_read(const char *path, struct scan_ckpt *c,
                                                       char *err, size_t err_cap);

/*
 * The parser and the renderer behind read and write, on memory (for tests
 * and the fuzzer). parse: text[0..len) (not NUL-terminated; copied) into *c
 * (release with scan_ckpt_fini), name used in messages; returns 0 or
 * -EINVAL / -ENOMEM with a message. format: *out allocated (free), *len.
 * Returns 0 or -ENOMEM. Threading: any thread.
 */
__attribute__((warn_unused_result)) int scan_ckpt_parse(const char *text, size_t len,
                                                        struct scan_ckpt *c, const char *name,
                                                        char *err, size_t err_cap);
__attribute__((warn_unused_result)) int scan_ckpt_format(const struct scan_ckpt *c, char **out,
                                                         size_t *len);

/* Free what scan_ckpt_read allocated; c may be zeroed. */
void scan_ckpt_fini(struct scan_ckpt *c);

/* True when every worker's part is taken and nothing is pending. */
int scan_ckpt_complete(const struct scan_ckpt *c);

#endif
