/*
 * stats/zsink.h - the result output sink: a file or stdout, plain or zstd.
 *
 * Purpose: take whole text lines (rows from writer.h) and get them to the
 * output safely. Files are created without clobbering (O_EXCL unless
 * --force) and never through a symlink (O_NOFOLLOW, even with --force:
 * docs/test-cases.md S03). With zstd, rows go through one streaming compressor and
 * a frame is closed at a row boundary at least every STATS_SINK_FRAME_NS
 * (driven by stats_sink_tick) and at close, and each closed frame is written
 * to the fd at once, so a crash loses at most the open frame; frames carry
 * a checksum, so a torn tail is detected (R01). Write errors are fatal and
 * sticky: EPIPE gives a clean -EPIPE (R05: the caller ignores SIGPIPE),
 * ENOSPC/EIO give -errno with a message naming the file (R06); EINTR is
 * retried and short writes are continued; a failed fsync is never retried.
 * Threading: a sink belongs to one thread (the writer thread); no locks.
 * Memory: allocated at open (sink, one 256 KiB buffer, zstd context); no
 * allocation per row. Hot path: stats_sink_write (one per row); the syscall
 * happens only when the buffer fills or a frame closes.
 */
#ifndef FCRSCAN_STATS_ZSINK_H
#define FCRSCAN_STATS_ZSINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/error.h"

/* A frame is closed at the first tick this long after the previous one ended. */
#define STATS_SINK_FRAME_NS 2000000000ull

#define STATS_SINK_FORCE 1u /* open flag: replace an existing regular file (still no symlink) */
#define STATS_SINK_ZSTD  2u /* open flag: zstd-compress (the name's ".zst" is not checked) */

/* Warning bits reported by stats_sink_new, for the caller to print. */
#define STATS_SINK_WARN_DIR_WORLD_WRITABLE 1u /* directory is o+w without the sticky bit */

#define STATS_SINK_ERR_MAX 320 /* size of error messages (stats_sink_error, err buffers) */

struct stats_sink; /* opaque */

/*
 * Open the output. path NULL or "-": stdout (borrowed, never closed, no
 * existence checks). Otherwise create path with mode 0666 & ~umask:
 * without STATS_SINK_FORCE an existing path (file, symlink, anything) is
 * refused with -EEXIST; with it, an existing regular file with exactly one
 * link is truncated, one with other hard links is refused
 * (STATS_E_HARDLINK), and a symlink is refused with -ELOOP either way.
 * flags: STATS_SINK_FORCE | STATS_SINK_ZSTD. *warnings (may be NULL) gets
 * STATS_SINK_WARN_* bits. Returns 0 and *out (owned: stats_sink_free), or
 * a negative code and a message naming the file in err[0..err_cap) (err may
 * be NULL). Threading: any thread; the sink then belongs to the caller.
 */
__attribute__((warn_unused_result)) int stats_sink_new(struct stats_sink **out, const char *path,
                                                       unsigned flags, unsigned *warnings,
                                                       char *err, size_t err_cap);

/*
 * Like stats_sink_new on an already open fd (borrowed: never closed by the
 * sink; the caller keeps it open until stats_sink_free). name is used in
 * messages (copied; NULL means "fd N"). Only STATS_SINK_ZSTD is meaningful.
 * Returns 0 or -ENOMEM / STATS_E_ZSTD with a message in err.
 * Threading: any thread; the sink then belongs to the caller.
 */
__attribute__((warn_unused_result)) int stats_sink_new_fd(struct stats_sink **out, int fd,
                                                          const char *name, unsigned flags,
                                                          char *err, size_t err_cap);

/*
 * Append one whole record (line[0..len), normally ending in '\n'; borrowed).
 * Buffered: bytes reach the fd when the buffer fills, at a frame end, at
 * stats_sink_sync and at stats_sink_close. Returns 0 or the sink's first
 * error (sticky; stats_sink_error has the message). Threading: owner only.
 */
__attribute__((warn_unused_result)) int stats_sink_write(struct stats_sink *s, const char *line,
                                                         size_t len);

/*
 * Periodic call from the owner, with a monotonic clock (now_ns): when data
 * is pending and at least STATS_SINK_FRAME_NS passed since the last frame end
 * (or since the first tick), close the zstd frame (plain: flush the buffer)
 * and write it out. The first tick only starts the clock. Call it every few
 * hundred milliseconds. Returns 1 when a frame was closed and written, 0
 * when nothing was due, or a negative error (sticky). Threading: owner only.
 */
__attribute__((warn_unused_result)) int stats_sink_tick(struct stats_sink *s, uint64_t now_ns);

/*
 * Make everything written so far durable (before a checkpoint records it):
 * close the open frame, write the buffer, fsync a regular file. Returns 0 or
 * a negative error (sticky; a failed fsync is not retried). Threading: owner only.
 */
__attribute__((warn_unused_result)) int stats_sink_sync(struct stats_sink *s);

/*
 * Finish: close the frame (an empty output still gets one empty frame, so
 * a .zst file always decodes), write the buffer, fsync and close a file the
 * sink opened. Returns 0 or the first error of the sink's life. Later calls
 * return the same result. Threading: owner only.
 */
__attribute__((warn_unused_result)) int stats_sink_close(struct stats_sink *s);

/*
 * Release the sink; closes it first if needed (ignoring the result: call
 * stats_sink_close to see it). s may be NULL. Threading: owner only.
 */
void stats_sink_free(struct stats_sink *s);

/* Message of the sink's first error ("" if none), naming the file. Borrowed from s. Owner. */
const char *stats_sink_error(const struct stats_sink *s);

/* Bytes given to stats_sink_write so far, and bytes written to the fd. Owner only. */
uint64_t stats_sink_bytes_in(const struct stats_sink *s);
uint64_t stats_sink_bytes_out(const struct stats_sink *s);

#endif
