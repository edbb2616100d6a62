/*
 * stats/stats_internal.h - helpers shared by the stats/ units; not an API.
 *
 * Threading: pure functions on caller storage; any thread.
 */
#ifndef FCRSCAN_STATS_INTERNAL_H
#define FCRSCAN_STATS_INTERNAL_H

#include <stddef.h>

/* Longest path text echoed into a message before "..." (S05: bounded echo). */
#define STATS_PATH_ECHO_MAX 200

/*
 * A file name made safe for a message: bytes outside 0x20-0x7E and '\'
 * become \xHH, and the result is cut (with "...") so it fits out[0..cap)
 * and STATS_PATH_ECHO_MAX. NULL or "-" reads "stdout". Returns strlen(out).
 * Implemented in writer.c.
 */
size_t stats_path_echo(char *out, size_t cap, const char *path);

/*
 * Message "<what> <echoed path>: <why>" into err[0..cap) (err may be NULL,
 * cap 0). Implemented in writer.c.
 */
void stats_errmsg(char *err, size_t cap, const char *what, const char *path, const char *why);

#endif
