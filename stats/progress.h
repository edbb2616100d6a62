/*
 * stats/progress.h - the one-line progress display.
 *
 * Purpose: render, e.g.
 *   "12.3k q/s  1.23M/4.29G 0.02%  ETA 96:47:09  pass 1.01M part 12 mism 3.4k
 *    dang 7 unus 0 noptr 201k nodata 35 temp 88"
 * (one line, at most STATS_PROGRESS_LINE_MAX bytes). Counts are 128-bit
 * (IPv6 totals beyond 2^64 display and divide correctly; nothing wraps);
 * the percentage is clamped to 100 and the ETA is "--" while unknown
 * (no total, no rate yet, or beyond 99999 hours). Rates are smoothed
 * (exponential moving average, time constant STATS_PROGRESS_TAU_NS).
 * The caller decides whether stderr is a terminal (isatty) and how often to
 * render (about 4 Hz); rendered with STATS_PROGRESS_TTY the line is framed
 * as "\r" + line + "\033[K" (clear to end of line), ready for write(2).
 * Threading: a struct stats_progress belongs to one thread (the stats
 * thread). Memory: caller storage, no allocation. Hot path: no.
 */
#ifndef FCRSCAN_STATS_PROGRESS_H
#define FCRSCAN_STATS_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/error.h"
#include "stats/json.h"
#include "stats/record.h"

#define STATS_PROGRESS_LINE_MAX 256           /* rendered line incl. framing and NUL */
#define STATS_PROGRESS_TAU_NS   5000000000ull /* rate smoothing time constant */
#define STATS_PROGRESS_TTY      1u            /* render flag: "\r" + line + "\033[K" */

/* One observation of the run, filled by the caller. Plain data; the filling thread's. */
struct stats_progress_sample {
    uint64_t now_ns;                        /* monotonic clock */
    uint64_t sent;                          /* query packets sent so far (counters' sent) */
    stats_u128 done;                        /* targets with a row */
    stats_u128 total;                       /* targets in the run; 0 = unknown */
    uint64_t verdicts[STATS_VERDICT_COUNT]; /* rows per verdict */
};

/* Rate state in caller storage. Fields are private to progress.c. Threading: one owner. */
struct stats_progress {
    uint64_t last_ns;
    uint64_t last_sent;
    stats_u128 last_done;
    double qps;     /* smoothed queries per second */
    double tps;     /* smoothed targets (rows) per second */
    bool primed;    /* one sample seen */
    bool have_rate; /* at least one interval measured */
};

/* Start with no rate known. Threading: owner. */
void stats_progress_init(struct stats_progress *p);

/*
 * Fold sample s into the smoothed rates (the first sample only sets the
 * baseline; a sample not later than the previous one is ignored). Owner.
 */
void stats_progress_update(struct stats_progress *p, const struct stats_progress_sample *s);

/*
 * Render the line for s with p's rates into buf[0..cap), NUL-terminated.
 * flags: 0 (bare line, no newline) or STATS_PROGRESS_TTY. Returns strlen(buf)
 * or STATS_E_SPACE (cap >= STATS_PROGRESS_LINE_MAX always suffices).
 * Threading: owner (reads p only).
 */
__attribute__((warn_unused_result)) int stats_progress_render(const struct stats_progress *p,
                                                              const struct stats_progress_sample *s,
                                                              unsigned flags, char *buf,
                                                              size_t cap);

#endif
