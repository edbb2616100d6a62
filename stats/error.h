/*
 * stats/error.h - the error codes of stats/ and their one message table.
 *
 * Every fallible function in stats/ returns 0 (or a length/count) on success
 * and a negative value on failure: -errno for system errors (-ENOSPC, -EPIPE,
 * -EEXIST, -ELOOP, ...), and the project codes below, which sit below the
 * kernel's errno range (-4095) so the two never collide.
 * Threading: constants and a pure function; any thread.
 * Implemented in writer.c (the unit every stats/ user links).
 */
#ifndef FCRSCAN_STATS_ERROR_H
#define FCRSCAN_STATS_ERROR_H

#include <stddef.h>

enum stats_err {
    STATS_E_SPACE = -4097,    /* caller's buffer too small for the output */
    STATS_E_RECORD = -4098,   /* a record field out of range (would break the schema) */
    STATS_E_FORMAT = -4099,   /* output file name has no known format suffix */
    STATS_E_ZSTD = -4100,     /* zstd (de)compression context failed */
    STATS_E_JSON = -4101,     /* JSON emitter misused (unbalanced or too deep nesting) */
    STATS_E_CLOSED = -4102,   /* sink already closed */
    STATS_E_HARDLINK = -4103, /* --force target has other hard links: refused */
    STATS_E_LAST = -4103,
};

/*
 * Static English message for err: a code above, or -errno (the C library's
 * text, without locale), or "ok" for 0 and "unknown error" for anything else.
 * Never NULL. Threading: any thread.
 */
const char *stats_strerror(int err);

/*
 * Format a message into err[0..err_cap) (nothing when err is NULL or
 * err_cap 0) and return rc: the one-line "fail" of the stats/ and scanner/
 * files that report errors this way. Threading: any thread.
 */
__attribute__((format(printf, 4, 5))) int stats_fail(char *err, size_t err_cap, int rc,
                                                     const char *fmt, ...);

#endif
