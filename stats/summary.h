/*
 * stats/summary.h - the --summary JSON file (docs/output.md).
 *
 * Purpose: one JSON object at the end of a run: version, config (every
 * option's effective value, as the caller adds them; never the key),
 * started, finished (RFC 3339 UTC, ms), elapsed_s, targets {total, scanned,
 * blocklisted} (128-bit integers), verdicts (every verdict, zeros too), flags
 * (every flag), rcodes (final PTR rcode names with a non-zero count,
 * "TIMEOUT" included), queries {sent, received, retried, tcp}, dropped
 * (every drop reason of counters.h), rate_qps, exit {status, why}.
 * The file is written atomically: a temporary file in the same directory,
 * fsync, then rename (no replacement without force), then fsync of the
 * directory; a reader never sees half a summary.
 * Threading: a summary object belongs to one thread (the main thread);
 * config is added during setup. Memory: the object and its config entries
 * are heap-allocated at setup (strings copied); writing allocates one
 * growable buffer. Hot path: no.
 */
#ifndef FCRSCAN_STATS_SUMMARY_H
#define FCRSCAN_STATS_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/counters.h"
#include "stats/error.h"
#include "stats/json.h"

/* Opaque: the config entries. Threading: one owner thread. */
struct stats_summary;

/* New empty summary (owned: stats_summary_free), or NULL when out of memory. Any thread. */
struct stats_summary *stats_summary_new(void);

/* Release s and its entries. s may be NULL. Threading: owner. */
void stats_summary_free(struct stats_summary *s);

/*
 * Add one "config" member, in the order added; key and values are copied.
 * _str: a string (NULL gives null); _u64/_i64/_bool/_fixed: a number or
 * boolean (_fixed: `decimals` fraction digits, see stats_json_fixed); _list:
 * an array of nb strings (repeatable options). Returns 0, -EEXIST for a key
 * already added, -EINVAL for a NULL key, or -ENOMEM.
 * Threading: owner only, before stats_summary_write.
 */
__attribute__((warn_unused_result)) int
stats_summary_config_str(struct stats_summary *s, const char *key, const char *value);
__attribute__((warn_unused_result)) int stats_summary_config_u64(struct stats_summary *s,
                                                                 const char *key, uint64_t value);
__attribute__((warn_unused_result)) int stats_summary_config_i64(struct stats_summary *s,
                                                                 const char *key, int64_t value);
__attribute__((warn_unused_result)) int stats_summary_config_bool(struct stats_summary *s,
                                                                  const char *key, bool value);
__attribute__((warn_unused_result)) int stats_summary_config_fixed(struct stats_summary *s,
                                                                   const char *key, double value,
                                                                   unsigned decimals);
__attribute__((warn_unused_result)) int stats_summary_config_list(struct stats_summary *s,
                                                                  const char *key,
                                                                  const char *const *values,
                                                                  size_t nb);

/*
 * The run's results, filled by the caller at the end. Plain data; pointers
 * borrowed. Threading: the filling thread's.
 */
struct stats_summary_run {
    const char *version; /* program version; NULL means FCRSCAN_VERSION */
    int64_t started_ms;  /* wall clock, Unix epoch milliseconds */
    int64_t finished_ms;
    uint64_t elapsed_ns;                 /* monotonic duration of the run */
    stats_u128 targets_total;            /* targets after parsing, before the blocklist */
    bool targets_total_carry;            /* the total is 2^128 + targets_total (::/0) */
    stats_u128 targets_scanned;          /* targets with a row */
    stats_u128 targets_blocklisted;      /* targets skipped by the blocklist */
    const struct stats_counters *totals; /* summed counters (stats_counters_sum); NULL = zeros */
    int exit_status;                     /* the process exit status (docs/usage.md: 0..3) */
    const char *exit_why;                /* one line saying why ("complete", "interrupted", ...) */
};

/*
 * Render the summary as pretty-printed JSON into j (an initialised emitter,
 * borrowed). rate_qps = queries sent / elapsed seconds (0 when elapsed is 0).
 * Errors are left in j (stats_json_finish reports them). Threading: owner.
 */
void stats_summary_render(const struct stats_summary *s, const struct stats_summary_run *run,
                          struct stats_json *j);

/*
 * Render and write atomically to path (borrowed). Without force an existing
 * path is never replaced (-EEXIST, checked again at the rename); with force
 * it is replaced by the rename (a symlink at path is replaced, not followed).
 * Returns 0 or a negative code with a message naming the file in
 * err[0..err_cap) (err may be NULL); on failure no temporary file remains.
 * Threading: owner only.
 */
__attribute__((warn_unused_result)) int stats_summary_write(const struct stats_summary *s,
                                                            const struct stats_summary_run *run,
                                                            const char *path, bool force, char *err,
                                                            size_t err_cap);

/*
 * A summary file created before the run, for runs that give up privileges
 * once set up (the raw engines drop to --user, scanner/privs.h): afterwards
 * the summary's directory may not accept a new file (a root-only
 * directory), so neither the temporary file nor the rename of
 * stats_summary_write would work. The file is created now, while the
 * directory is writable, and filled in place at the end.
 * Trade-off against stats_summary_write: the file exists, empty, while the
 * run goes on (a consumer treats an empty summary as "not finished"); a run
 * killed before its end leaves it empty; the final content is written by one
 * write at offset 0 plus a truncate, so a reader racing that instant may see
 * a partial file; with force an existing summary is overwritten in place at
 * the end (and a symlink at path is replaced by a new file when opening).
 * Opaque. Threading: one owner thread.
 */
struct stats_summary_file;

/*
 * Create path (O_EXCL, O_NOFOLLOW; mode 0666 less the umask). Without force
 * an existing path is -EEXIST; with force an existing regular file is opened
 * without truncating it and anything else at path is removed first.
 * Returns 0 and *out (owned: stats_summary_file_close), or a negative code
 * with a message naming the file in err[0..err_cap). Threading: owner.
 */
__attribute__((warn_unused_result)) int stats_summary_file_open(const char *path, bool force,
                                                                struct stats_summary_file **out,
                                                                char *err, size_t err_cap);

/*
 * Render the summary and write it into f (borrowed) from offset 0, cut the
 * file to that length and fsync it. Returns 0 or a negative code with a
 * message naming the file in err. Threading: owner.
 */
__attribute__((warn_unused_result)) int
stats_summary_file_write(const struct stats_summary *s, const struct stats_summary_run *run,
                         struct stats_summary_file *f, char *err, size_t err_cap);

/*
 * Close f. A file this object created and never wrote is removed (while
 * the caller may still do so), so a run that stops before scanning leaves
 * no empty summary behind. NULL is a no-op. Threading: owner.
 */
void stats_summary_file_close(struct stats_summary_file *f);

/*
 * Startup check, so a run does not fail only at its end: without force,
 * -EEXIST if path exists (lstat); with or without, -ENOENT/-ENOTDIR/-EACCES
 * when its directory cannot take a new file. Returns 0 or the code with a
 * message in err. Threading: any thread.
 */
__attribute__((warn_unused_result)) int stats_summary_check_path(const char *path, bool force,
                                                                 char *err, size_t err_cap);

#endif
