/*
 * bench/check.c - compare fcrscan's rows with the benchmark rule.
 *
 *   check [RULE OPTIONS] [--range CIDR]... [--show N] [--json FILE] FILE...
 *
 * Reads fcrscan JSONL output (plain or zstd-compressed, detected by its
 * magic; "-" is stdin) and compares every row with the row bench/rule.h
 * expects for its address: verdict, stage, reason, ptr_rcode, the whole flag
 * set, the PTR names in order, and for every evaluated name its status and
 * its address set. With --range (IPv4 prefixes of at most 2^28 addresses,
 * IPv6 prefixes of /100 or longer) every address of the ranges must have
 * exactly one row and no row may lie outside them; a missing, duplicate or
 * outside row is a disagreement too.
 *
 * Prints per-category tallies, the first --show disagreements (default 10)
 * and the closing line "disagreements: N". Disagreements that are
 * tempfail/timeout rows for addresses the rule answers (replies lost on the
 * way, not wrong answers) are also counted apart ("timeouts"). Exit 0 when N is 0, 1 when not,
 * 2 on usage or input errors. Memory: one bit per address of the ranges.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zstd.h>

#include "bench/rule.h"
#include "packet/addr.h"

#define RANGES_MAX   16
#define RANGE_BITS   28 /* largest range: 2^28 addresses, a 32 MiB bitmap */
#define ROW_PTR_MAX  8
#define ROW_NAME_MAX 8
#define ROW_ADDR_MAX 64
#define STR_MAX      PKT_DNS_PRESENT_MAX

struct row_name {
    char name[STR_MAX];
    char status[32];
    unsigned nb_addr;
    bool addr_bad;
    uint8_t addr[ROW_ADDR_MAX][16];
};

struct row {
    char ip[64];
    char verdict[32];
    char stage[32];
    char reason[32];
    char ptr_rcode[32];
    char ts[40];
    double elapsed_ms;
    bool has_stage, has_reason;
    unsigned flags;
    char other_flag[64]; /* a flag the rule never produces */
    unsigned nb_ptr;
    char ptr[ROW_PTR_MAX][STR_MAX];
    unsigned nb_names;
    struct row_name names[ROW_NAME_MAX];
};

struct range {
    struct pkt_addr base;
    unsigned host_bits;
    uint64_t size;
    uint8_t *seen; /* bitmap */
    uint8_t *dup;  /* bitmap: more than one row */
};

static struct bench_rule rule;
static struct range ranges[RANGES_MAX];
static unsigned nb_ranges;
static unsigned show_max = 10;
static unsigned addrs_cap; /* 0: every address must be listed */
static uint64_t nb_capped;
static uint64_t nb_lost; /* disagreements that are tempfail/timeout rows: replies lost */
static uint64_t nb_rows, nb_bad_lines, nb_outside, nb_dup, nb_disagree;
static uint64_t by_cat[BENCH_CAT_COUNT], bad_by_cat[BENCH_CAT_COUNT];
static uint64_t shown;
/* Run timing from the rows: first query (ts - elapsed_ms), last row, and
 * last row of an address the rule answers (the rest is the drain of drops). */
static double t_first_ms = 1e300, t_last_ms, t_answered_ms;

/* "2026-11-26T09:00:00.123Z" to Unix milliseconds; -1 when malformed. */
static double ts_ms(const char *ts)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int ms = 0;
    if (sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) * 1000.0 + ms;
}

/* ---- a small JSON reader, enough for one fcrscan row -------------------------------- */

struct cur {
    const char *p, *end;
    bool bad;
};

static void ws(struct cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
        c->p++;
}

static bool eat(struct cur *c, char ch)
{
    ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A JSON string into out[0..cap) (truncated to fit; \u escapes above
 * 0x7F become '?': fcrscan writes names in ASCII presentation form). */
static bool str(struct cur *c, char *out, size_t cap)
{
    ws(c);
    if (c->p >= c->end || *c->p != '"')
        return c->bad = true, false;
    c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != '"') {
        char ch = *c->p++;
        if (ch == '\\') {
            if (c->p >= c->end)
                return c->bad = true, false;
            char e = *c->p++;
            switch (e) {
            case 'n':
                ch = '\n';
                break;
            case 't':
                ch = '\t';
                break;
            case 'r':
                ch = '\r';
                break;
            case 'b':
                ch = '\b';
                break;
            case 'f':
                ch = '\f';
                break;
            case 'u': {
                if (c->end - c->p < 4)
                    return c->bad = true, false;
                unsigned v = 0;
                for (int i = 0; i < 4; i++) {
                    char h = *c->p++;
                    v = v * 16 + (unsigned)(h >= '0' && h <= '9'   ? h - '0'
                                            : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                            : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                                   : 0);
                }
                ch = v < 0x80 ? (char)v : '?';
                break;
            }
            default:
                ch = e;
                break;
            }
        }
        if (n + 1 < cap)
            out[n++] = ch;
    }
    if (c->p >= c->end)
        return c->bad = true, false;
    c->p++;
    if (cap > 0)
        out[n] = '\0';
    return true;
}

static void skip_value(struct cur *c, int depth)
{
    ws(c);
    if (c->p >= c->end || depth > 32) {
        c->bad = true;
        return;
    }
    char tmp[8];
    switch (*c->p) {
    case '"':
        str(c, tmp, sizeof(tmp));
        return;
    case '{':
        c->p++;
        if (eat(c, '}'))
            return;
        do {
            str(c, tmp, sizeof(tmp));
            if (!eat(c, ':'))
                c->bad = true;
            skip_value(c, depth + 1);
        } while (!c->bad && eat(c, ','));
        if (!eat(c, '}'))
            c->bad = true;
        return;
    case '[':
        c->p++;
        if (eat(c, ']'))
            return;
        do
            skip_value(c, depth + 1);
        while (!c->bad && eat(c, ','));
        if (!eat(c, ']'))
            c->bad = true;
        return;
    default:
        /* number, true, false, null */
        while (c->p < c->end && *c->p != ',' && *c->p != '}' && *c->p != ']' && *c->p != ' ')
            c->p++;
        return;
    }
}

/* [ "a", "b", ... ]: calls each(i, text) for every element. */
#define STR_ARRAY(c, buf, cap, body)   \
    do {                               \
        if (!eat(c, '[')) {            \
            (c)->bad = true;           \
            break;                     \
        }                              \
        if (eat(c, ']'))               \
            break;                     \
        do {                           \
            if (!str(c, buf, cap))     \
                break;                 \
            body;                      \
        } while (eat(c, ','));         \
        if (!(c)->bad && !eat(c, ']')) \
            (c)->bad = true;           \
    } while (0)

static void parse_name(struct cur *c, struct row_name *n)
{
    memset(n, 0, offsetof(struct row_name, addr));
    if (!eat(c, '{')) {
        c->bad = true;
        return;
    }
    if (eat(c, '}'))
        return;
    char key[32], a[STR_MAX];
    do {
        if (!str(c, key, sizeof(key)) || !eat(c, ':')) {
            c->bad = true;
            return;
        }
        if (strcmp(key, "name") == 0) {
            str(c, n->name, sizeof(n->name));
        } else if (strcmp(key, "status") == 0) {
            str(c, n->status, sizeof(n->status));
        } else if (strcmp(key, "addrs") == 0) {
            STR_ARRAY(c, a, sizeof(a), {
                struct pkt_addr pa;
                if (n->nb_addr < ROW_ADDR_MAX && pkt_addr_parse(a, &pa) == 0)
                    memcpy(n->addr[n->nb_addr++], pa.bytes, 16);
                else
                    n->addr_bad = true;
            });
        } else {
            skip_value(c, 1);
        }
    } while (!c->bad && eat(c, ','));
    if (!eat(c, '}'))
        c->bad = true;
}

static bool parse_row(const char *line, size_t len, struct row *r)
{
    struct cur c = { line, line + len, false };
    r->ip[0] = r->verdict[0] = r->ptr_rcode[0] = r->other_flag[0] = r->ts[0] = '\0';
    r->elapsed_ms = 0;
    r->has_stage = r->has_reason = false;
    r->flags = 0;
    r->nb_ptr = r->nb_names = 0;
    if (!eat(&c, '{'))
        return false;
    char key[32], tmp[STR_MAX];
    do {
        if (!str(&c, key, sizeof(key)) || !eat(&c, ':'))
            return false;
        if (strcmp(key, "ip") == 0) {
            str(&c, r->ip, sizeof(r->ip));
        } else if (strcmp(key, "verdict") == 0) {
            str(&c, r->verdict, sizeof(r->verdict));
        } else if (strcmp(key, "stage") == 0) {
            r->has_stage = str(&c, r->stage, sizeof(r->stage));
        } else if (strcmp(key, "reason") == 0) {
            r->has_reason = str(&c, r->reason, sizeof(r->reason));
        } else if (strcmp(key, "ptr_rcode") == 0) {
            str(&c, r->ptr_rcode, sizeof(r->ptr_rcode));
        } else if (strcmp(key, "ts") == 0) {
            str(&c, r->ts, sizeof(r->ts));
        } else if (strcmp(key, "elapsed_ms") == 0) {
            ws(&c);
            /* The line sits in a larger buffer and a number is followed by
             * ',' or '}', so strtod stops inside it. */
            char *end;
            r->elapsed_ms = strtod(c.p, &end);
            if (end == c.p || end > c.end)
                return false;
            c.p = end;
        } else if (strcmp(key, "flags") == 0) {
            STR_ARRAY(&c, tmp, sizeof(tmp), {
                if (strcmp(tmp, "multi-ptr") == 0)
                    r->flags |= BENCH_FLAG_MULTI_PTR;
                else if (strcmp(tmp, "truncated") == 0)
                    r->flags |= BENCH_FLAG_TRUNCATED;
                else
                    snprintf(r->other_flag, sizeof(r->other_flag), "%.60s", tmp);
            });
        } else if (strcmp(key, "ptr") == 0) {
            STR_ARRAY(&c, tmp, sizeof(tmp), {
                if (r->nb_ptr < ROW_PTR_MAX)
                    memcpy(r->ptr[r->nb_ptr], tmp, sizeof(tmp));
                r->nb_ptr++;
            });
        } else if (strcmp(key, "names") == 0) {
            if (!eat(&c, '['))
                return false;
            if (!eat(&c, ']')) {
                do {
                    struct row_name scratch;
                    parse_name(&c, r->nb_names < ROW_NAME_MAX ? &r->names[r->nb_names] : &scratch);
                    r->nb_names++;
                } while (!c.bad && eat(&c, ','));
                if (!eat(&c, ']'))
                    return false;
            }
        } else {
            skip_value(&c, 1);
        }
    } while (!c.bad && eat(&c, ','));
    return !c.bad && eat(&c, '}') && r->ip[0] != '\0' && r->verdict[0] != '\0';
}

/* ---- comparison -------------------------------------------------------------------- */

static int cmp16(const void *a, const void *b)
{
    return memcmp(a, b, 16);
}

/*
 * Same address sets (order-free; compared on the family's bytes). With
 * --addrs-cap N, a name with more than N expected addresses may list just
 * the first N in answer order (fcrscan keeps STATS_ADDRS_MAX per name); that
 * is counted in *capped, not as a disagreement.
 */
static bool same_addrs(const struct row_name *n, const struct bench_fwd *f, size_t alen,
                       bool *capped)
{
    if (n->addr_bad)
        return false;
    if (addrs_cap > 0 && f->nb_addr > addrs_cap && n->nb_addr == addrs_cap) {
        for (unsigned i = 0; i < n->nb_addr; i++)
            if (memcmp(n->addr[i], f->addr[i], alen) != 0)
                return false;
        *capped = true;
        return true;
    }
    if (n->nb_addr != f->nb_addr)
        return false;
    uint8_t a[ROW_ADDR_MAX][16], b[ROW_ADDR_MAX][16];
    memset(a, 0, sizeof(a[0]) * n->nb_addr);
    memset(b, 0, sizeof(b[0]) * n->nb_addr);
    for (unsigned i = 0; i < n->nb_addr; i++) {
        memcpy(a[i], n->addr[i], alen);
        memcpy(b[i], f->addr[i], alen);
    }
    qsort(a, n->nb_addr, 16, cmp16);
    qsort(b, n->nb_addr, 16, cmp16);
    return memcmp(a, b, 16 * (size_t)n->nb_addr) == 0;
}

/* NULL when row r agrees with e, else the name of the first field that differs. */
static const char *compare(const struct row *r, const struct bench_expect *e, size_t alen,
                           bool *capped)
{
    if (strcmp(r->verdict, e->verdict) != 0)
        return "verdict";
    if (r->has_stage != (e->stage != NULL) || (e->stage && strcmp(r->stage, e->stage) != 0))
        return "stage";
    if (r->has_reason != (e->reason != NULL) || (e->reason && strcmp(r->reason, e->reason) != 0))
        return "reason";
    if (strcmp(r->ptr_rcode, e->ptr_rcode) != 0)
        return "ptr_rcode";
    if (r->flags != e->flags || r->other_flag[0] != '\0')
        return "flags";
    if (r->nb_ptr != e->nb_names)
        return "ptr";
    for (unsigned i = 0; i < e->nb_names; i++)
        if (strcmp(r->ptr[i], e->names[i].name) != 0)
            return "ptr";
    if (r->nb_names != e->nb_names)
        return "names";
    for (unsigned i = 0; i < e->nb_names; i++) {
        const struct row_name *n = NULL;
        for (unsigned k = 0; k < r->nb_names && n == NULL; k++)
            if (strcmp(r->names[k].name, e->names[i].name) == 0)
                n = &r->names[k];
        if (n == NULL)
            return "names";
        if (strcmp(n->status, e->names[i].status) != 0)
            return "names.status";
        if (!same_addrs(n, &e->names[i].fwd, alen, capped))
            return "names.addrs";
    }
    return NULL;
}

static void report(const char *ip, const char *cat, const char *what, const char *want,
                   const char *line, size_t len)
{
    nb_disagree++;
    if (shown++ >= show_max)
        return;
    printf("check: %s (%s): %s differs, want %s\n  row: %.*s\n", ip, cat, what, want,
           (int)(len > 400 ? 400 : len), line);
}

/* Mark a in its range's bitmap; false when it is in no range. */
static bool mark(const struct pkt_addr *a, const char *ip, const char *line, size_t len)
{
    size_t alen = pkt_addr_len(a);
    for (unsigned i = 0; i < nb_ranges; i++) {
        struct range *g = &ranges[i];
        if (g->base.family != a->family)
            continue;
        /* Split a into the range's host bits (the offset) and its prefix. */
        struct pkt_addr p = *a;
        uint64_t off = 0;
        for (unsigned b = 0; b < g->host_bits; b++) {
            size_t at = alen - 1 - b / 8;
            off |= (uint64_t)((p.bytes[at] >> (b % 8)) & 1u) << b;
            p.bytes[at] &= (uint8_t) ~(1u << (b % 8));
        }
        if (memcmp(p.bytes, g->base.bytes, alen) != 0)
            continue;
        uint8_t bit = (uint8_t)(1u << (off & 7));
        if (g->seen[off >> 3] & bit) {
            if (!(g->dup[off >> 3] & bit)) {
                g->dup[off >> 3] |= bit;
                nb_dup++;
            }
            report(ip, "-", "row count", "exactly one row", line, len);
        }
        g->seen[off >> 3] |= bit;
        return true;
    }
    return false;
}

static struct row row;

static void check_line(const char *line, size_t len)
{
    if (len == 0)
        return;
    if (!parse_row(line, len, &row)) {
        nb_bad_lines++;
        report("?", "-", "JSON", "a parsable row", line, len);
        return;
    }
    nb_rows++;
    struct pkt_addr a;
    if (pkt_addr_parse(row.ip, &a) != 0) {
        nb_bad_lines++;
        report(row.ip, "-", "ip", "an address", line, len);
        return;
    }
    if (nb_ranges > 0 && !mark(&a, row.ip, line, len)) {
        nb_outside++;
        report(row.ip, "-", "range", "an address of the scanned ranges", line, len);
        return;
    }
    struct bench_expect e;
    bench_rule_expect(&rule, &a, &e);
    by_cat[e.cat]++;
    double t = ts_ms(row.ts);
    if (t >= 0) {
        if (t - row.elapsed_ms < t_first_ms)
            t_first_ms = t - row.elapsed_ms;
        if (t > t_last_ms)
            t_last_ms = t;
        if (e.cat != BENCH_CAT_DROP && t > t_answered_ms)
            t_answered_ms = t;
    }
    bool capped = false;
    const char *what = compare(&row, &e, pkt_addr_len(&a), &capped);
    if (what == NULL && capped)
        nb_capped++;
    if (what != NULL) {
        bad_by_cat[e.cat]++;
        if (strcmp(row.verdict, "tempfail") == 0 && row.has_reason &&
            strcmp(row.reason, "timeout") == 0)
            nb_lost++;
        char want[2 * STR_MAX];
        snprintf(want, sizeof(want), "%s%s%s%s%s ptr_rcode %s flags %s%s, %u name(s)%s%s%s%s",
                 e.verdict, e.stage ? " " : "", e.stage ? e.stage : "", e.reason ? " " : "",
                 e.reason ? e.reason : "", e.ptr_rcode,
                 (e.flags & BENCH_FLAG_MULTI_PTR) ? "multi-ptr " : "",
                 (e.flags & BENCH_FLAG_TRUNCATED) ? "truncated" : "", e.nb_names,
                 e.nb_names ? " " : "", e.nb_names ? e.names[0].name : "", e.nb_names ? " " : "",
                 e.nb_names ? e.names[0].status : "");
        report(row.ip, bench_cat_name(e.cat), what, want, line, len);
    }
}

/* ---- input ------------------------------------------------------------------------- */

#define IN_CHUNK (1u << 20)

struct lines {
    char *buf;
    size_t have, cap;
};

static void lines_feed(struct lines *l, const char *data, size_t len)
{
    if (l->have + len > l->cap) {
        size_t cap = l->cap ? l->cap : IN_CHUNK;
        while (cap < l->have + len)
            cap *= 2;
        char *nb = realloc(l->buf, cap);
        if (nb == NULL) {
            fprintf(stderr, "check: out of memory\n");
            exit(2);
        }
        l->buf = nb;
        l->cap = cap;
    }
    memcpy(l->buf + l->have, data, len);
    l->have += len;
    size_t start = 0;
    for (;;) {
        char *nl = memchr(l->buf + start, '\n', l->have - start);
        if (nl == NULL)
            break;
        check_line(l->buf + start, (size_t)(nl - (l->buf + start)));
        start = (size_t)(nl - l->buf) + 1;
    }
    memmove(l->buf, l->buf + start, l->have - start);
    l->have -= start;
}

static int read_file(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "check: %s: %s\n", path, strerror(errno));
        return -1;
    }
    static char in[IN_CHUNK];
    static char out[IN_CHUNK];
    struct lines l = { 0 };
    ZSTD_DCtx *z = NULL;
    bool first = true;
    int rc = 0;
    size_t n;
    while ((n = fread(in, 1, sizeof(in), f)) > 0) {
        if (first) {
            first = false;
            if (n >= 4 && (uint8_t)in[0] == 0x28 && (uint8_t)in[1] == 0xB5 &&
                (uint8_t)in[2] == 0x2F && (uint8_t)in[3] == 0xFD) {
                z = ZSTD_createDCtx();
                if (z == NULL) {
                    rc = -1;
                    break;
                }
            }
        }
        if (z == NULL) {
            lines_feed(&l, in, n);
            continue;
        }
        ZSTD_inBuffer zi = { in, n, 0 };
        while (zi.pos < zi.size) {
            ZSTD_outBuffer zo = { out, sizeof(out), 0 };
            size_t r = ZSTD_decompressStream(z, &zo, &zi);
            if (ZSTD_isError(r)) {
                fprintf(stderr, "check: %s: zstd: %s\n", path, ZSTD_getErrorName(r));
                rc = -1;
                break;
            }
            lines_feed(&l, out, zo.pos);
        }
        if (rc != 0)
            break;
    }
    if (z != NULL) {
        /* Drain what the decoder still holds. */
        for (;;) {
            ZSTD_inBuffer zi = { in, 0, 0 };
            ZSTD_outBuffer zo = { out, sizeof(out), 0 };
            size_t r = ZSTD_decompressStream(z, &zo, &zi);
            if (ZSTD_isError(r) || zo.pos == 0)
                break;
            lines_feed(&l, out, zo.pos);
        }
        ZSTD_freeDCtx(z);
    }
    if (ferror(f)) {
        fprintf(stderr, "check: %s: read error\n", path);
        rc = -1;
    }
    if (l.have > 0) {
        /* A last line without its newline is a torn write. */
        nb_bad_lines++;
        report("?", "-", "last line", "a newline-terminated row", l.buf, l.have);
    }
    free(l.buf);
    if (f != stdin)
        fclose(f);
    return rc;
}

/* ---- main -------------------------------------------------------------------------- */

static int add_range(const char *text)
{
    if (nb_ranges == RANGES_MAX) {
        fprintf(stderr, "check: at most %u --range\n", RANGES_MAX);
        return -1;
    }
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", text);
    char *slash = strchr(buf, '/');
    struct range *g = &ranges[nb_ranges];
    if (slash != NULL)
        *slash = '\0';
    if (pkt_addr_parse(buf, &g->base) != 0) {
        fprintf(stderr, "check: --range '%.80s' is not a CIDR\n", text);
        return -1;
    }
    unsigned width = (unsigned)pkt_addr_len(&g->base) * 8;
    unsigned long prefix = slash ? strtoul(slash + 1, NULL, 10) : width;
    if (prefix > width || width - prefix > RANGE_BITS) {
        fprintf(stderr, "check: --range '%.80s': at most 2^%u addresses\n", text, RANGE_BITS);
        return -1;
    }
    g->host_bits = width - (unsigned)prefix;
    g->size = 1ull << g->host_bits;
    /* Clear the host bits of the base. */
    for (unsigned b = 0; b < g->host_bits; b++)
        g->base.bytes[(width - 1 - b) / 8] &= (uint8_t) ~(1u << (b % 8));
    size_t bytes = (size_t)((g->size + 7) / 8);
    g->seen = calloc(1, bytes);
    g->dup = calloc(1, bytes);
    if (g->seen == NULL || g->dup == NULL) {
        fprintf(stderr, "check: out of memory for --range %s\n", text);
        return -1;
    }
    nb_ranges++;
    return 0;
}

static const char usage_text[] =
    "Usage: check [RULE OPTIONS] [--range CIDR]... [--show N] [--json FILE] FILE...\n"
    "Compare fcrscan JSONL(.zst) rows with the benchmark rule; prints 'disagreements: N'.\n"
    "  -s, --seed N, --mix SPEC, --shared-bits N, --zone NAME   as for bench/responder\n"
    "  -r, --range CIDR   every address of CIDR must have exactly one row (repeatable)\n"
    "      --show N       print the first N disagreements (default 10)\n"
    "      --addrs-cap N  accept the first N addresses of a name that has more\n"
    "                     (counted as addrs_capped, not as disagreements)\n"
    "      --json FILE    the tallies as JSON\n";

enum { O_MIX = 256, O_SHARED, O_ZONE, O_SHOW, O_JSON, O_CAP };

static const struct option long_opts[] = {
    { "seed", required_argument, NULL, 's' },
    { "mix", required_argument, NULL, O_MIX },
    { "shared-bits", required_argument, NULL, O_SHARED },
    { "zone", required_argument, NULL, O_ZONE },
    { "range", required_argument, NULL, 'r' },
    { "show", required_argument, NULL, O_SHOW },
    { "json", required_argument, NULL, O_JSON },
    { "addrs-cap", required_argument, NULL, O_CAP },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
    uint64_t seed = 1;
    const char *mix = NULL, *zone = NULL, *json = NULL;
    unsigned shared_bits = 6;
    int c;
    while ((c = getopt_long(argc, argv, "s:r:h", long_opts, NULL)) != -1) {
        switch (c) {
        case 's':
            seed = strtoull(optarg, NULL, 10);
            break;
        case O_MIX:
            mix = optarg;
            break;
        case O_SHARED:
            shared_bits = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case O_ZONE:
            zone = optarg;
            break;
        case 'r':
            if (add_range(optarg) != 0)
                return 2;
            break;
        case O_SHOW:
            show_max = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case O_JSON:
            json = optarg;
            break;
        case O_CAP:
            addrs_cap = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            fputs(usage_text, stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        fputs(usage_text, stderr);
        return 2;
    }
    char err[256];
    if (bench_rule_init(&rule, seed, mix, shared_bits, zone, err, sizeof(err)) != 0) {
        fprintf(stderr, "check: %s\n", err);
        return 2;
    }
    for (int i = optind; i < argc; i++)
        if (read_file(argv[i]) != 0)
            return 2;
    uint64_t missing = 0, targets = 0;
    for (unsigned i = 0; i < nb_ranges; i++) {
        targets += ranges[i].size;
        uint64_t here = 0;
        for (uint64_t k = 0; k < (ranges[i].size + 7) / 8; k++)
            here += (uint64_t)(8 - __builtin_popcount(ranges[i].seen[k]));
        here -= (8 - ranges[i].size % 8) % 8; /* padding bits of the last byte */
        missing += here;
        if (here > 0 && shown < show_max) {
            for (uint64_t k = 0; k < ranges[i].size && shown < show_max; k++)
                if (!(ranges[i].seen[k >> 3] & (1u << (k & 7)))) {
                    printf("check: address #%" PRIu64 " of --range %u has no row\n", k, i);
                    shown++;
                }
        }
    }
    nb_disagree += missing;
    printf("check: rows %" PRIu64 ", unparsable %" PRIu64, nb_rows, nb_bad_lines);
    if (nb_ranges > 0)
        printf(", targets %" PRIu64 ", missing %" PRIu64 ", duplicate %" PRIu64
               ", outside %" PRIu64,
               targets, missing, nb_dup, nb_outside);
    if (addrs_cap > 0)
        printf(", addrs_capped %" PRIu64, nb_capped);
    if (nb_lost > 0)
        printf(", timeout rows the rule answers %" PRIu64, nb_lost);
    printf("\ncheck: by category (rows/disagreeing):");
    for (unsigned i = 0; i < BENCH_CAT_COUNT; i++)
        printf(" %s %" PRIu64 "/%" PRIu64, bench_cat_name(i), by_cat[i], bad_by_cat[i]);
    printf("\ndisagreements: %" PRIu64 "\n", nb_disagree);
    if (json != NULL) {
        FILE *f = fopen(json, "w");
        if (f == NULL) {
            fprintf(stderr, "check: %s: %s\n", json, strerror(errno));
            return 2;
        }
        fprintf(f,
                "{\"rows\":%" PRIu64 ",\"unparsable\":%" PRIu64 ",\"targets\":%" PRIu64
                ",\"missing\":%" PRIu64 ",\"duplicate\":%" PRIu64 ",\"outside\":%" PRIu64
                ",\"addrs_capped\":%" PRIu64 ",\"timeouts\":%" PRIu64 ",\"disagreements\":%" PRIu64
                ",\"by_category\":{",
                nb_rows, nb_bad_lines, targets, missing, nb_dup, nb_outside, nb_capped, nb_lost,
                nb_disagree);
        for (unsigned i = 0; i < BENCH_CAT_COUNT; i++)
            fprintf(f, "%s\"%s\":[%" PRIu64 ",%" PRIu64 "]", i ? "," : "", bench_cat_name(i),
                    by_cat[i], bad_by_cat[i]);
        if (t_last_ms > 0)
            fprintf(f, "},\"t_first_ms\":%.0f,\"t_answered_ms\":%.0f,\"t_last_ms\":%.0f}\n",
                    t_first_ms, t_answered_ms, t_last_ms);
        else
            fprintf(f, "}}\n");
        if (fclose(f) != 0)
            return 2;
    }
    for (unsigned i = 0; i < nb_ranges; i++) {
        free(ranges[i].seen);
        free(ranges[i].dup);
    }
    return nb_disagree == 0 ? 0 : 1;
}
