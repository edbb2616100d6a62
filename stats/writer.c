/*
 * stats/writer.c - result rows as JSONL and CSV lines; record.h's strings;
 * stats_strerror.
 *
 * This runs once per row, so it appends with memcpy into the caller's
 * buffer and converts numbers by hand: no snprintf, no locale, no gmtime,
 * no allocation. Every append is bounds-checked (a sticky "full" flag), so
 * a too small buffer can never overflow; STATS_RECORD_LINE_MAX is sized
 * from the exact worst case computed below.
 */
#include "stats/writer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "packet/addr.h"
#include "packet/dns.h"
#include "stats/stats_internal.h"

#pragma GCC poison malloc calloc realloc free strdup

/* ---- static strings (record.h) --------------------------------------------- */

static const char *const verdict_names[STATS_VERDICT_COUNT] = {
    [STATS_VERDICT_PASS] = "pass",
    [STATS_VERDICT_PARTIAL] = "partial",
    [STATS_VERDICT_MISMATCH] = "mismatch",
    [STATS_VERDICT_DANGLING] = "dangling",
    [STATS_VERDICT_UNUSABLE] = "unusable",
    [STATS_VERDICT_NO_PTR] = "no-ptr",
    [STATS_VERDICT_PTR_NODATA] = "ptr-nodata",
    [STATS_VERDICT_TEMPFAIL] = "tempfail",
};

/* NONE is the empty string: the writers omit it, and it can never be mistaken for a value. */
static const char *const stage_names[] = {
    [STATS_STAGE_NONE] = "",
    [STATS_STAGE_REVERSE] = "reverse",
    [STATS_STAGE_FORWARD] = "forward",
};
#define STAGE_COUNT (sizeof(stage_names) / sizeof(stage_names[0]))

static const char *const reason_names[STATS_REASON_COUNT] = {
    [STATS_REASON_NONE] = "",           [STATS_REASON_SERVFAIL] = "servfail",
    [STATS_REASON_TIMEOUT] = "timeout", [STATS_REASON_REFUSED] = "refused",
    [STATS_REASON_OTHER] = "other",
};

static const char *const status_names[STATS_NAME_STATUS_COUNT] = {
    [STATS_NAME_CONFIRMED] = "confirmed", [STATS_NAME_MISMATCH] = "mismatch",
    [STATS_NAME_DANGLING] = "dangling",   [STATS_NAME_UNUSABLE] = "unusable",
    [STATS_NAME_TEMPFAIL] = "tempfail",   [STATS_NAME_NOT_EVALUATED] = "not-evaluated",
};

/* Flag strings in bit order, from record.h's list (which also sizes the
 * worst-case line below, computed, not guessed). */
#define FLAG_NAMES(X)       STATS_FLAGS(X)
#define FLAG_STR(name, str) [STATS_FLAG_INDEX_##name] = str,
static const char *const flag_names[STATS_FLAG_COUNT] = { FLAG_NAMES(FLAG_STR) };
#define FLAGS_ALL ((1u << STATS_FLAG_COUNT) - 1u)

const char *stats_verdict_name(unsigned verdict)
{
    return verdict < STATS_VERDICT_COUNT ? verdict_names[verdict] : "?";
}

const char *stats_stage_name(unsigned stage)
{
    return stage < STAGE_COUNT ? stage_names[stage] : "?";
}

const char *stats_reason_name(unsigned reason)
{
    return reason < STATS_REASON_COUNT ? reason_names[reason] : "?";
}

const char *stats_name_status_name(unsigned status)
{
    return status < STATS_NAME_STATUS_COUNT ? status_names[status] : "?";
}

const char *stats_flag_name(unsigned bit_index)
{
    return bit_index < STATS_FLAG_COUNT ? flag_names[bit_index] : "?";
}

#define RCODE_MAX 4095 /* 12 bits with the EDNS extension (RFC 6891 §6.1.3) */

/* The header rcodes by the codec's one table (packet/dns.h); others by number. */
const char *stats_rcode_name(int rcode)
{
    if (rcode == -1)
        return "TIMEOUT";
    if (rcode >= 0 && rcode < 16)
        return pkt_dns_rcode_name((unsigned)rcode);
    return NULL;
}

/* ---- stats_strerror (error.h) ---------------------------------------------- */

static const char *const err_msgs[] = {
    [-(STATS_E_SPACE + 4097)] = "buffer too small",
    [-(STATS_E_RECORD + 4097)] = "record field out of range",
    [-(STATS_E_FORMAT + 4097)] = "unknown output format (use .jsonl or .csv, optionally + .zst)",
    [-(STATS_E_ZSTD + 4097)] = "zstd compression failed",
    [-(STATS_E_JSON + 4097)] = "JSON nesting unbalanced or too deep",
    [-(STATS_E_CLOSED + 4097)] = "output already closed",
    [-(STATS_E_HARDLINK + 4097)] = "refusing to overwrite a file with other hard links",
};
_Static_assert(sizeof(err_msgs) / sizeof(err_msgs[0]) == (size_t)(-(STATS_E_LAST + 4097)) + 1,
               "one message per stats_err code");

int stats_fail(char *err, size_t err_cap, int rc, const char *fmt, ...)
{
    if (err != NULL && err_cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_cap, fmt, ap);
        va_end(ap);
    }
    return rc;
}

const char *stats_strerror(int err)
{
    if (err == 0)
        return "ok";
    if (err <= STATS_E_SPACE && err >= STATS_E_LAST)
        return err_msgs[-(err + 4097)];
    if (err < 0 && err > -4096) {
        /* strerrordesc_np: static, untranslated, thread-safe (glibc >= 2.32). */
        const char *m = strerrordesc_np(-err);
        if (m != NULL)
            return m;
    }
    return "unknown error";
}

/* ---- bounded appends ------------------------------------------------------- */

struct out {
    char *p;
    char *end; /* one past the last byte usable for text (room for the NUL kept aside) */
    bool full;
};

static inline void put(struct out *o, const char *s, size_t n)
{
    if (n > (size_t)(o->end - o->p)) {
        o->full = true;
        return;
    }
    memcpy(o->p, s, n);
    o->p += n;
}

#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)

static inline void put_ch(struct out *o, char c)
{
    if (o->p == o->end) {
        o->full = true;
        return;
    }
    *o->p++ = c;
}

static inline void put_cstr(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_u64(struct out *o, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put(o, tmp + i, sizeof(tmp) - i);
}

static void put_addr(struct out *o, const struct pkt_addr *a)
{
    char tmp[PKT_ADDR_TEXT_MAX];
    if ((size_t)(o->end - o->p) >= PKT_ADDR_TEXT_MAX) {
        int n = pkt_addr_format(a, o->p, PKT_ADDR_TEXT_MAX);
        if (n > 0)
            o->p += n;
        return;
    }
    int n = pkt_addr_format(a, tmp, sizeof(tmp));
    if (n > 0)
        put(o, tmp, (size_t)n);
}

static const char hexdig[] = "0123456789abcdef";

/*
 * JSON string body of a presented name. The presentation form is printable
 * ASCII by contract, so only '\' (from \DDD) normally needs escaping; the
 * rest is defence in depth should that contract ever break.
 */
static void put_json_text(struct out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' || c == '"') {
            char esc[2] = { '\\', (char)c };
            put(o, esc, 2);
        } else if (c < 0x20 || c >= 0x7F) {
            char esc[6] = { '\\', 'u', '0', '0', hexdig[c >> 4], hexdig[c & 15] };
            put(o, esc, 6);
        } else {
            put_ch(o, (char)c);
        }
    }
}

/* ---- time ------------------------------------------------------------------ */

#define TS_MIN_MS (-62167219200000LL) /* 0000-01-01T00:00:00.000Z */
#define TS_MAX_MS 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

static inline void two(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

size_t stats_writer_ts(int64_t ts_ms, char *out)
{
    if (ts_ms < TS_MIN_MS)
        ts_ms = TS_MIN_MS;
    if (ts_ms > TS_MAX_MS)
        ts_ms = TS_MAX_MS;
    int64_t days = ts_ms / 86400000;
    int64_t rem = ts_ms % 86400000;
    if (rem < 0) {
        rem += 86400000;
        days--;
    }
    /* Days to civil date: H. Hinnant, "chrono-Compatible Low-Level Date Algorithms". */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    unsigned y = (unsigned)(yoe + era * 400 + (m <= 2));
    unsigned ms = (unsigned)(rem % 1000);
    unsigned secs = (unsigned)(rem / 1000);

    two(out, y / 100);
    two(out + 2, y % 100);
    out[4] = '-';
    two(out + 5, m);
    out[7] = '-';
    two(out + 8, d);
    out[10] = 'T';
    two(out + 11, secs / 3600);
    out[13] = ':';
    two(out + 14, secs / 60 % 60);
    out[16] = ':';
    two(out + 17, secs % 60);
    out[19] = '.';
    out[20] = (char)('0' + ms / 100);
    two(out + 21, ms % 100);
    out[23] = 'Z';
    out[24] = '\0';
    return STATS_TS_LEN;
}

/* ---- validation ------------------------------------------------------------ */

/* Uncompressed wire name: labels of <= 63 octets ending with the root exactly at len. */
static bool wire_name_ok(const struct pkt_dns_name *n)
{
    size_t i = 0;
    if (n->len == 0)
        return false;
    while (i < n->len) {
        uint8_t l = n->wire[i];
        if (l == 0)
            return i + 1 == n->len;
        if (l > PKT_DNS_LABEL_MAX)
            return false;
        i += 1u + l;
    }
    return false;
}

static bool addr_ok(const struct pkt_addr *a)
{
    return a->family == PKT_ADDR_V4 || a->family == PKT_ADDR_V6;
}

static int record_check(const struct stats_record *r)
{
    if (r->verdict >= STATS_VERDICT_COUNT || !addr_ok(&r->ip) || (r->flags & ~FLAGS_ALL) != 0 ||
        r->queries == 0 || r->ptr_rcode < -1 || r->ptr_rcode > RCODE_MAX ||
        r->nb_names > STATS_NAMES_MAX)
        return STATS_E_RECORD;
    if (r->verdict == STATS_VERDICT_TEMPFAIL &&
        (r->stage == STATS_STAGE_NONE || r->stage >= STAGE_COUNT ||
         r->reason == STATS_REASON_NONE || r->reason >= STATS_REASON_COUNT))
        return STATS_E_RECORD;
    for (unsigned i = 0; i < r->nb_names; i++) {
        const struct stats_name *n = &r->names[i];
        if (n->status >= STATS_NAME_STATUS_COUNT || n->nb_addr > STATS_ADDRS_MAX ||
            n->reason >= STATS_REASON_COUNT || !wire_name_ok(&n->name))
            return STATS_E_RECORD;
        for (unsigned k = 0; k < n->nb_addr; k++)
            if (!addr_ok(&n->addr[k]))
                return STATS_E_RECORD;
    }
    return 0;
}

/* Presentation form of name i into tmp; returns its length or STATS_E_RECORD. */
static int present(const struct stats_name *n, char tmp[PKT_DNS_PRESENT_MAX])
{
    int len = pkt_dns_name_present(n->name.wire, n->name.len, tmp, PKT_DNS_PRESENT_MAX);
    return len < 0 ? STATS_E_RECORD : len;
}

static void put_rcode(struct out *o, int rcode)
{
    const char *s = stats_rcode_name(rcode);
    if (s != NULL) {
        put_cstr(o, s);
    } else {
        PUT_LIT(o, "RCODE");
        put_u64(o, (uint64_t)rcode);
    }
}

/* ---- JSONL ----------------------------------------------------------------- */

static int format_jsonl(const struct stats_record *r, struct out *o)
{
    char tmp[PKT_DNS_PRESENT_MAX];
    size_t name_off[STATS_NAMES_MAX];
    size_t name_len[STATS_NAMES_MAX];
    char *const base = o->p;

    PUT_LIT(o, "{\"ip\":\"");
    put_addr(o, &r->ip);
    PUT_LIT(o, "\",\"verdict\":\"");
    put_cstr(o, verdict_names[r->verdict]);
    if (r->verdict == STATS_VERDICT_TEMPFAIL) {
        PUT_LIT(o, "\",\"stage\":\"");
        put_cstr(o, stage_names[r->stage]);
        PUT_LIT(o, "\",\"reason\":\"");
        put_cstr(o, reason_names[r->reason]);
    }
    PUT_LIT(o, "\",\"flags\":[");
    bool first = true;
    for (unsigned b = 0; b < STATS_FLAG_COUNT; b++) {
        if ((r->flags & (1u << b)) == 0)
            continue;
        if (!first)
            put_ch(o, ',');
        first = false;
        put_ch(o, '"');
        put_cstr(o, flag_names[b]);
        put_ch(o, '"');
    }
    PUT_LIT(o, "],\"ptr\":[");
    for (unsigned i = 0; i < r->nb_names; i++) {
        int n = present(&r->names[i], tmp);
        if (n < 0)
            return n;
        if (i > 0)
            put_ch(o, ',');
        char *start = o->p;
        put_ch(o, '"');
        put_json_text(o, tmp, (size_t)n);
        put_ch(o, '"');
        if (o->full)
            return STATS_E_SPACE;
        name_off[i] = (size_t)(start - base);
        name_len[i] = (size_t)(o->p - start);
    }
    PUT_LIT(o, "],\"names\":[");
    for (unsigned i = 0; i < r->nb_names; i++) {
        const struct stats_name *n = &r->names[i];
        if (i > 0)
            put_ch(o, ',');
        /* The quoted name is already in the buffer (the ptr array): copy it, do not re-present. */
        PUT_LIT(o, "{\"name\":");
        put(o, base + name_off[i], name_len[i]);
        PUT_LIT(o, ",\"status\":\"");
        put_cstr(o, status_names[n->status]);
        PUT_LIT(o, "\",\"addrs\":[");
        for (unsigned k = 0; k < n->nb_addr; k++) {
            if (k > 0)
                put_ch(o, ',');
            put_ch(o, '"');
            put_addr(o, &n->addr[k]);
            put_ch(o, '"');
        }
        put_ch(o, ']');
        if (n->status == STATS_NAME_TEMPFAIL && n->reason != STATS_REASON_NONE) {
            PUT_LIT(o, ",\"reason\":\"");
            put_cstr(o, reason_names[n->reason]);
            put_ch(o, '"');
        }
        put_ch(o, '}');
    }
    PUT_LIT(o, "],\"ptr_rcode\":\"");
    put_rcode(o, r->ptr_rcode);
    PUT_LIT(o, "\",\"queries\":");
    put_u64(o, r->queries);
    PUT_LIT(o, ",\"elapsed_ms\":");
    put_u64(o, r->elapsed_us / 1000);
    char frac[4] = { '.', (char)('0' + r->elapsed_us / 100 % 10),
                     (char)('0' + r->elapsed_us / 10 % 10), (char)('0' + r->elapsed_us % 10) };
    put(o, frac, sizeof(frac));
    PUT_LIT(o, ",\"ts\":\"");
    char ts[STATS_TS_LEN + 1];
    put(o, ts, stats_writer_ts(r->ts_ms, ts));
    PUT_LIT(o, "\"}\n");
    return 0;
}

/* ---- CSV ------------------------------------------------------------------- */

/*
 * RFC 4180 §2: quote a field that holds a comma, a quote or a line break,
 * doubling inner quotes. The field is written raw first and fixed up in
 * place, because in practice (presented names, addresses, fixed words) it
 * never needs quoting.
 */
static void csv_close_field(struct out *o, char *start)
{
    size_t quotes = 0;
    bool special = false;
    if (o->full)
        return;
    for (const char *q = start; q < o->p; q++) {
        if (*q == '"')
            quotes++;
        if (*q == '"' || *q == ',' || *q == '\n' || *q == '\r')
            special = true;
    }
    if (!special)
        return;
    size_t extra = 2 + quotes;
    if (extra > (size_t)(o->end - o->p)) {
        o->full = true;
        return;
    }
    char *src = o->p;
    char *dst = o->p + extra;
    o->p = dst;
    *--dst = '"';
    while (src > start) {
        char c = *--src;
        *--dst = c;
        if (c == '"')
            *--dst = '"';
    }
    *--dst = '"';
}

static int format_csv(const struct stats_record *r, struct out *o)
{
    char tmp[PKT_DNS_PRESENT_MAX];
    char *start;

    put_addr(o, &r->ip);
    put_ch(o, ',');
    put_cstr(o, verdict_names[r->verdict]);
    put_ch(o, ',');
    if (r->verdict == STATS_VERDICT_TEMPFAIL)
        put_cstr(o, stage_names[r->stage]);
    put_ch(o, ',');
    if (r->verdict == STATS_VERDICT_TEMPFAIL)
        put_cstr(o, reason_names[r->reason]);
    put_ch(o, ',');
    bool first = true;
    for (unsigned b = 0; b < STATS_FLAG_COUNT; b++) {
        if ((r->flags & (1u << b)) == 0)
            continue;
        if (!first)
            put_ch(o, ';');
        first = false;
        put_cstr(o, flag_names[b]);
    }
    put_ch(o, ',');
    start = o->p;
    for (unsigned i = 0; i < r->nb_names; i++) {
        int n = present(&r->names[i], tmp);
        if (n < 0)
            return n;
        if (i > 0)
            put_ch(o, ';');
        put(o, tmp, (size_t)n);
    }
    csv_close_field(o, start);
    put_ch(o, ',');

    /* Unique addresses of the row's family, first appearance first. */
    const struct pkt_addr *seen[STATS_NAMES_MAX * STATS_ADDRS_MAX];
    unsigned nb_seen = 0;
    size_t alen = pkt_addr_len(&r->ip);
    for (unsigned i = 0; i < r->nb_names; i++) {
        const struct stats_name *n = &r->names[i];
        for (unsigned k = 0; k < n->nb_addr; k++) {
            const struct pkt_addr *a = &n->addr[k];
            bool dup = false;
            if (a->family != r->ip.family)
                continue;
            for (unsigned s = 0; s < nb_seen && !dup; s++)
                dup = memcmp(seen[s]->bytes, a->bytes, alen) == 0;
            if (dup)
                continue;
            if (nb_seen > 0)
                put_ch(o, ';');
            seen[nb_seen++] = a;
            put_addr(o, a);
        }
    }
    put_ch(o, '\n');
    return 0;
}

/* ---- worst case ------------------------------------------------------------ */

#define LIT(s)          (sizeof(s) - 1)
#define FLAG_JSON(n, s) +(LIT(s) + 3) /* "name", */
#define FLAG_CSV(n, s)  +(LIT(s) + 1) /* name; */
#define ADDR_TEXT       (PKT_ADDR_TEXT_MAX - 1)
#define ADDRS_JSON      (STATS_ADDRS_MAX * (ADDR_TEXT + 3))
#define NAME_JSON       (STATS_NAME_JSON_MAX + 3) /* quotes and a comma */
#define RCODE_TEXT      LIT("DSOTYPENI")          /* longest; also covers "RCODE4095" */
#define U64_TEXT        20
#define U32_TEXT        10
#define LONGEST_WORD    LIT("not-evaluated") /* covers every verdict/stage/reason/status */

#define JSON_WORST                                                                             \
    (LIT("{\"ip\":\"") + ADDR_TEXT + LIT("\",\"verdict\":\"") + LONGEST_WORD +                 \
     LIT("\",\"stage\":\"") + LONGEST_WORD + LIT("\",\"reason\":\"") + LONGEST_WORD +          \
     LIT("\",\"flags\":[") + (0 FLAG_NAMES(FLAG_JSON)) + LIT("],\"ptr\":[") +                  \
     STATS_NAMES_MAX * NAME_JSON + LIT("],\"names\":[") +                                      \
     STATS_NAMES_MAX * (LIT("{\"name\":") + NAME_JSON + LIT(",\"status\":\"") + LONGEST_WORD + \
                        LIT("\",\"addrs\":[") + ADDRS_JSON + LIT("],\"reason\":\"") +          \
                        LONGEST_WORD + LIT("\"},")) +                                          \
     LIT("],\"ptr_rcode\":\"") + RCODE_TEXT + LIT("\",\"queries\":") + U32_TEXT +              \
     LIT(",\"elapsed_ms\":") + U64_TEXT + 4 + LIT(",\"ts\":\"") + STATS_TS_LEN + LIT("\"}\n") + 1)

/* CSV: presented names are at most PKT_DNS_PRESENT_MAX - 1 chars; quoting at most doubles a field.
 */
#define CSV_WORST                                                        \
    (ADDR_TEXT + 1 + 3 * (LONGEST_WORD + 1) + (0 FLAG_NAMES(FLAG_CSV)) + \
     2 * STATS_NAMES_MAX * PKT_DNS_PRESENT_MAX + 2 + 1 +                 \
     STATS_NAMES_MAX * STATS_ADDRS_MAX * (ADDR_TEXT + 1) + 1 + 1)

_Static_assert(JSON_WORST <= STATS_RECORD_LINE_MAX, "worst JSON row fits STATS_RECORD_LINE_MAX");
_Static_assert(CSV_WORST <= STATS_RECORD_LINE_MAX, "worst CSV row fits STATS_RECORD_LINE_MAX");
_Static_assert(STATS_NAME_JSON_MAX == 1253, "4 labels, 250 octets of 0xFF as \\\\255, 3 dots");
_Static_assert(STATS_NAMES_MAX *STATS_ADDRS_MAX < 65536, "seen[] stays a small stack array");

/* ---- format table and API ---------------------------------------------------- */

struct format_ops {
    const char *suffix; /* without ".zst" */
    const char *header;
    int (*format)(const struct stats_record *r, struct out *o);
};

static const struct format_ops formats[STATS_FORMAT_COUNT] = {
    [STATS_FORMAT_JSONL] = { ".jsonl", "", format_jsonl },
    [STATS_FORMAT_CSV] = { ".csv", "ip,verdict,stage,reason,flags,ptr,addrs\n", format_csv },
};

int stats_record_format(const struct stats_record *r, enum stats_format fmt, char *buf, size_t cap)
{
    if (cap == 0)
        return STATS_E_SPACE;
    buf[0] = '\0';
    if ((unsigned)fmt >= STATS_FORMAT_COUNT)
        return STATS_E_RECORD;
    int rc = record_check(r);
    if (rc < 0)
        return rc;
    if (cap - 1 > (size_t)INT32_MAX)
        cap = (size_t)INT32_MAX + 1;
    struct out o = { buf, buf + cap - 1, false };
    rc = formats[fmt].format(r, &o);
    if (rc == 0 && o.full)
        rc = STATS_E_SPACE;
    if (rc < 0) {
        buf[0] = '\0';
        return rc;
    }
    *o.p = '\0';
    return (int)(o.p - buf);
}

const char *stats_writer_header(enum stats_format fmt)
{
    return (unsigned)fmt < STATS_FORMAT_COUNT ? formats[fmt].header : "";
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

int stats_writer_format_from_path(const char *path, enum stats_format *fmt, bool *zstd, char *err,
                                  size_t err_cap)
{
    if (path == NULL || strcmp(path, "-") == 0) {
        *fmt = STATS_FORMAT_JSONL;
        *zstd = false;
        return 0;
    }
    size_t len = strlen(path);
    bool z = ends_with(path, len, ".zst");
    if (z)
        len -= 4;
    for (unsigned f = 0; f < STATS_FORMAT_COUNT; f++) {
        if (ends_with(path, len, formats[f].suffix)) {
            *fmt = (enum stats_format)f;
            *zstd = z;
            return 0;
        }
    }
    stats_errmsg(err, err_cap, "output file", path,
                 "unknown format: the name must end in .jsonl or .csv, optionally + .zst");
    return STATS_E_FORMAT;
}

/* ---- messages (stats_internal.h) --------------------------------------------- */

size_t stats_path_echo(char *out, size_t cap, const char *path)
{
    size_t n = 0, cut = 0;
    bool truncated = false;
    if (cap == 0)
        return 0;
    if (path == NULL || strcmp(path, "-") == 0)
        path = "stdout";
    size_t limit = cap - 1 < STATS_PATH_ECHO_MAX ? cap - 1 : STATS_PATH_ECHO_MAX;
    for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++) {
        bool plain = *p >= 0x20 && *p < 0x7F && *p != '\\';
        if (n + (plain ? 1u : 4u) > limit) {
            truncated = true;
            break;
        }
        if (plain) {
            out[n++] = (char)*p;
        } else {
            out[n++] = '\\';
            out[n++] = 'x';
            out[n++] = hexdig[*p >> 4];
            out[n++] = hexdig[*p & 15];
        }
        /* The last whole-character boundary that still leaves room for "...". */
        if (n + 3 <= limit)
            cut = n;
    }
    if (truncated && limit >= 3) {
        n = cut;
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return n;
}

/* Append as much of s as fits (messages may be cut; rows never are). */
static void put_some(struct out *o, const char *s)
{
    size_t n = strlen(s);
    size_t room = (size_t)(o->end - o->p);
    put(o, s, n < room ? n : room);
}

void stats_errmsg(char *err, size_t cap, const char *what, const char *path, const char *why)
{
    char name[STATS_PATH_ECHO_MAX + 1];
    if (err == NULL || cap == 0)
        return;
    struct out o = { err, err + cap - 1, false };
    stats_path_echo(name, sizeof(name), path);
    put_some(&o, what);
    put_some(&o, " ");
    put_some(&o, name);
    put_some(&o, ": ");
    put_some(&o, why);
    *o.p = '\0';
}
