/*
 * stats/recover.h - make an output cut short by a crash whole again
 * (docs/test-cases.md R01).
 *
 * Purpose: after SIGKILL, power loss or a full disk, an output file may end
 * in a torn tail: half a line, or half a zstd frame. fcrscan writes zstd
 * frames that end at row boundaries and carry a checksum, and plain files
 * row by row, so everything up to the last complete frame (zstd) or the
 * last newline (JSONL, CSV) is whole. stats_recover finds that point,
 * checking every frame by decompressing it (content checksum included),
 * and truncates the file there, so a consumer never sees a partial row.
 * A file that is already whole is left as it is (running it twice is the
 * same as once).
 *
 * Threading: any thread. Memory: a decompression context and buffers,
 * freed before it returns; the file is read in 1 MiB pieces.
 */
#ifndef FCRSCAN_STATS_RECOVER_H
#define FCRSCAN_STATS_RECOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stats_recover_result {
    uint64_t kept_bytes; /* the file's length afterwards */
    uint64_t cut_bytes;  /* what was cut from the end */
    uint64_t rows;       /* complete rows kept (lines; a CSV header counts) */
    uint64_t frames;     /* zstd: complete frames kept */
};

/*
 * Recover path in place; zstd selects the format (a ".zst" output). Never
 * follows a symlink. Returns 0 with *res filled, or a negative code
 * (stats/error.h) with a message naming the file in err[0..err_cap): the
 * file is then left untouched. Threading: any thread.
 */
__attribute__((warn_unused_result)) int stats_recover(const char *path, bool zstd,
                                                      struct stats_recover_result *res, char *err,
                                                      size_t err_cap);

#endif
