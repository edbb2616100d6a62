/*
 * stats/progress.c - the progress line.
 *
 * Counts go through their decimal text, which makes the compact form
 * ("12.3k", "4.29G", "3.40e38") exact for the whole 128-bit range without
 * floating point; only rates and the ETA use doubles, where rounding is
 * harmless.
 */
#include "stats/progress.h"

#include <stdio.h>
#include <string.h>

void stats_progress_init(struct stats_progress *p)
{
    memset(p, 0, sizeof(*p));
}

void stats_progress_update(struct stats_progress *p, const struct stats_progress_sample *s)
{
    if (!p->primed) {
        p->primed = true;
        p->last_ns = s->now_ns;
        p->last_sent = s->sent;
        p->last_done = s->done;
        return;
    }
    if (s->now_ns <= p->last_ns)
        return;
    double dt = (double)(s->now_ns - p->last_ns) / 1e9;
    double q = s->sent >= p->last_sent ? (double)(s->sent - p->last_sent) / dt : 0.0;
    double t = s->done >= p->last_done ? (double)(s->done - p->last_done) / dt : 0.0;
    if (!p->have_rate) {
        p->qps = q;
        p->tps = t;
        p->have_rate = true;
    } else {
        /* Exponential smoothing with weight dt / (tau + dt): stable for any render period, and
         * needs no exp() from libm. */
        double tau = (double)STATS_PROGRESS_TAU_NS / 1e9;
        double a = dt / (tau + dt);
        p->qps += a * (q - p->qps);
        p->tps += a * (t - p->tps);
    }
    p->last_ns = s->now_ns;
    p->last_sent = s->sent;
    p->last_done = s->done;
}

struct line {
    char *p;
    size_t left; /* bytes available, NUL excluded */
    bool full;
};

static void add(struct line *l, const char *s, size_t n)
{
    if (n > l->left) {
        l->full = true;
        return;
    }
    memcpy(l->p, s, n);
    l->p += n;
    l->left -= n;
}

static void add_str(struct line *l, const char *s)
{
    add(l, s, strlen(s));
}

/*
 * Compact count: exact below 10000, then three significant digits (truncated, so it never
 * shows "1000k") with k M G T P E Z Y R Q, then d.dde<exp>.
 */
static void add_count(struct line *l, stats_u128 v)
{
    static const char prefix[] = "kMGTPEZYRQ";
    char d[STATS_U128_TEXT_MAX];
    char out[16];
    size_t n = stats_u128_format(v, d), o = 0;
    if (n <= 4) {
        add(l, d, n);
        return;
    }
    size_t groups = (n - 1) / 3;
    if (groups <= sizeof(prefix) - 1) {
        size_t lead = n - 3 * groups;
        memcpy(out, d, lead);
        o = lead;
        if (lead < 3) {
            out[o++] = '.';
            memcpy(out + o, d + lead, 3 - lead);
            o += 3 - lead;
        }
        out[o++] = prefix[groups - 1];
    } else {
        out[o++] = d[0];
        out[o++] = '.';
        out[o++] = d[1];
        out[o++] = d[2];
        out[o++] = 'e';
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%zu", n - 1);
    }
    add(l, out, o);
}

static unsigned bit_length(stats_u128 v)
{
    unsigned n = 0;
    while (v != 0) {
        v >>= 1;
        n++;
    }
    return n;
}

/* done/total in hundredths of a percent, exact for any 128-bit values, clamped to 100 %. */
static unsigned percent_x100(stats_u128 done, stats_u128 total)
{
    if (done >= total)
        return 10000;
    unsigned bits = bit_length(total);
    if (bits > 100) {
        /* Keep 100 significant bits so done * 10000 (< 2^114) cannot overflow. */
        done >>= bits - 100;
        total >>= bits - 100;
    }
    return (unsigned)(done * 10000 / total);
}

#define ETA_MAX_S (99999.0 * 3600.0)

static const char *const verdict_short[STATS_VERDICT_COUNT] = {
    [STATS_VERDICT_PASS] = "pass",         [STATS_VERDICT_PARTIAL] = "part",
    [STATS_VERDICT_MISMATCH] = "mism",     [STATS_VERDICT_DANGLING] = "dang",
    [STATS_VERDICT_UNUSABLE] = "unus",     [STATS_VERDICT_NO_PTR] = "noptr",
    [STATS_VERDICT_PTR_NODATA] = "nodata", [STATS_VERDICT_TEMPFAIL] = "temp",
};

int stats_progress_render(const struct stats_progress *p, const struct stats_progress_sample *s,
                          unsigned flags, char *buf, size_t cap)
{
    char tmp[48];
    if (cap == 0)
        return STATS_E_SPACE;
    struct line l = { buf, cap - 1, false };
    bool tty = (flags & STATS_PROGRESS_TTY) != 0;

    if (tty)
        add_str(&l, "\r");
    if (p->have_rate) {
        /* Clamped before the conversion: a double beyond the integer's range is UB to convert. */
        double q = p->qps >= 0.0 ? p->qps : 0.0;
        add_count(&l, (stats_u128)(uint64_t)(q < 1e18 ? q + 0.5 : 1e18));
    } else
        add_str(&l, "--");
    add_str(&l, " q/s  ");
    add_count(&l, s->done);
    if (s->total != 0) {
        unsigned pct = percent_x100(s->done, s->total);
        add_str(&l, "/");
        add_count(&l, s->total);
        snprintf(tmp, sizeof(tmp), " %u.%02u%%", pct / 100, pct % 100);
        add_str(&l, tmp);
    }
    add_str(&l, "  ETA ");
    if (s->total != 0 && s->done >= s->total) {
        add_str(&l, "0:00:00");
    } else if (s->total != 0 && p->have_rate && p->tps > 0.0 &&
               (double)(s->total - s->done) / p->tps <= ETA_MAX_S) {
        unsigned long eta = (unsigned long)((double)(s->total - s->done) / p->tps + 0.5);
        snprintf(tmp, sizeof(tmp), "%lu:%02lu:%02lu", eta / 3600, eta / 60 % 60, eta % 60);
        add_str(&l, tmp);
    } else {
        add_str(&l, "--");
    }
    for (unsigned v = 0; v < STATS_VERDICT_COUNT; v++) {
        add_str(&l, v == 0 ? "  " : " ");
        add_str(&l, verdict_short[v]);
        add_str(&l, " ");
        add_count(&l, s->verdicts[v]);
    }
    if (tty)
        add_str(&l, "\033[K");
    if (l.full) {
        buf[0] = '\0';
        return STATS_E_SPACE;
    }
    *l.p = '\0';
    return (int)(l.p - buf);
}
