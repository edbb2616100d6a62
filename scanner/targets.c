/*
 * scanner/targets.c - the target set: interval arithmetic, blocklists and
 * the index -> address map (the text syntax: targets_parse.c).
 *
 * IPv4 intervals are packed into one uint64_t (lo << 32 | hi) while lines
 * are collected: 8 bytes per interval, and sorting the packed words sorts by
 * start. IPv6 intervals are two 128-bit integers. Both lists are sorted and
 * merged in place whenever they fill up, and grow only when merging did not
 * free at least half of them, so memory follows the number of distinct
 * intervals and not the number of lines or addresses.
 *
 * After finalize each family is an array of segments {first address, index
 * of that address}; the segment's length is the next segment's index minus
 * its own (the family count for the last one), which halves the memory of a
 * {lo, hi, index} layout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/targets_internal.h"

/* ------------------------------------------------------------------ */
/* 128-bit helpers                                                      */

int scan_u128_format(scan_u128 v, char *buf, size_t cap)
{
    char tmp[SCAN_U128_TEXT_MAX];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v != 0);
    if (cap < n + 1) {
        if (cap > 0)
            buf[0] = '\0';
        return -ENOSPC;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return (int)n;
}

/* ------------------------------------------------------------------ */
/* In-place introsort: qsort would need a comparator call per step and,    */
/* in glibc 2.36, a temporary copy of the whole array.                     */

#define LESS_U64(x, y) ((x) < (y))
#define LESS_R6(x, y)  ((x).lo < (y).lo)

#define DEFINE_INTROSORT(NAME, TYPE, LESS)                            \
    static void NAME##_sift(TYPE *a, size_t root, size_t n)           \
    {                                                                 \
        for (;;) {                                                    \
            size_t c = 2 * root + 1;                                  \
            if (c >= n)                                               \
                return;                                               \
            if (c + 1 < n && LESS(a[c], a[c + 1]))                    \
                c++;                                                  \
            if (!LESS(a[root], a[c]))                                 \
                return;                                               \
            TYPE tmp = a[root];                                       \
            a[root] = a[c];                                           \
            a[c] = tmp;                                               \
            root = c;                                                 \
        }                                                             \
    }                                                                 \
    static void NAME##_heapsort(TYPE *a, size_t n)                    \
    {                                                                 \
        for (size_t i = n / 2; i-- > 0;)                              \
            NAME##_sift(a, i, n);                                     \
        for (size_t e = n; e-- > 1;) {                                \
            TYPE tmp = a[0];                                          \
            a[0] = a[e];                                              \
            a[e] = tmp;                                               \
            NAME##_sift(a, 0, e);                                     \
        }                                                             \
    }                                                                 \
    static void NAME##_swap(TYPE *a, size_t i, size_t j)              \
    {                                                                 \
        TYPE tmp = a[i];                                              \
        a[i] = a[j];                                                  \
        a[j] = tmp;                                                   \
    }                                                                 \
    static void NAME##_intro(TYPE *a, size_t n, unsigned depth)       \
    {                                                                 \
        while (n > 16) {                                              \
            if (depth == 0) {                                         \
                NAME##_heapsort(a, n);                                \
                return;                                               \
            }                                                         \
            depth--;                                                  \
            size_t m = (n - 1) / 2;                                   \
            if (LESS(a[m], a[0]))                                     \
                NAME##_swap(a, 0, m);                                 \
            if (LESS(a[n - 1], a[0]))                                 \
                NAME##_swap(a, 0, n - 1);                             \
            if (LESS(a[n - 1], a[m]))                                 \
                NAME##_swap(a, m, n - 1);                             \
            TYPE pivot = a[m];                                        \
            size_t i = 0, j = n - 1;                                  \
            for (;;) {                                                \
                while (LESS(a[i], pivot))                             \
                    i++;                                              \
                while (LESS(pivot, a[j]))                             \
                    j--;                                              \
                if (i >= j)                                           \
                    break;                                            \
                NAME##_swap(a, i, j);                                 \
                i++;                                                  \
                j--;                                                  \
            }                                                         \
            /* Hoare split: [0, j] and [j + 1, n), both non-empty. */ \
            size_t left = j + 1;                                      \
            if (left < n - left) {                                    \
                NAME##_intro(a, left, depth);                         \
                a += left;                                            \
                n -= left;                                            \
            } else {                                                  \
                NAME##_intro(a + left, n - left, depth);              \
                n = left;                                             \
            }                                                         \
        }                                                             \
        for (size_t k = 1; k < n; k++) {                              \
            TYPE x = a[k];                                            \
            size_t p = k;                                             \
            while (p > 0 && LESS(x, a[p - 1])) {                      \
                a[p] = a[p - 1];                                      \
                p--;                                                  \
            }                                                         \
            a[p] = x;                                                 \
        }                                                             \
    }                                                                 \
    static void NAME(TYPE *a, size_t n)                               \
    {                                                                 \
        unsigned depth = 0;                                           \
        for (size_t k = n; k > 1; k >>= 1)                            \
            depth += 2;                                               \
        NAME##_intro(a, n, depth);                                    \
    }

DEFINE_INTROSORT(sort_u64, uint64_t, LESS_U64)
DEFINE_INTROSORT(sort_r6, struct range6, LESS_R6)

/* ------------------------------------------------------------------ */
/* Interval lists                                                       */

static uint64_t pack4(uint32_t lo, uint32_t hi)
{
    return (uint64_t)lo << 32 | hi;
}

/* Sort and merge overlapping or adjacent intervals, in place. */
static void list4_compact(struct list4 *l)
{
    if (l->len < 2)
        return;
    sort_u64(l->v, l->len);
    size_t out = 0;
    uint64_t lo = l->v[0] >> 32, hi = (uint32_t)l->v[0];
    for (size_t i = 1; i < l->len; i++) {
        uint64_t nlo = l->v[i] >> 32, nhi = (uint32_t)l->v[i];
        if (nlo <= hi + 1) {
            if (nhi > hi)
                hi = nhi;
            continue;
        }
        l->v[out++] = pack4((uint32_t)lo, (uint32_t)hi);
        lo = nlo;
        hi = nhi;
    }
    l->v[out++] = pack4((uint32_t)lo, (uint32_t)hi);
    l->len = out;
}

static void list6_compact(struct list6 *l)
{
    if (l->len < 2)
        return;
    sort_r6(l->v, l->len);
    size_t out = 0;
    struct range6 cur = l->v[0];
    for (size_t i = 1; i < l->len; i++) {
        struct range6 r = l->v[i];
        /* cur.hi == MAX covers everything after it; avoid cur.hi + 1. */
        if (cur.hi == SCAN_U128_MAX || r.lo <= cur.hi + 1) {
            if (r.hi > cur.hi)
                cur.hi = r.hi;
            continue;
        }
        l->v[out++] = cur;
        cur = r;
    }
    l->v[out++] = cur;
    l->len = out;
}

/*
 * Make room for one more interval: merge first, and grow only when merging
 * left the list more than half full, so that the cost of merging stays
 * amortised O(log n) per line and capacity stays below 4x the distinct
 * intervals.
 */
static int list4_reserve(struct list4 *l)
{
    if (l->len < l->cap)
        return 0;
    list4_compact(l);
    if (l->cap != 0 && l->len <= l->cap / 2)
        return 0;
    size_t cap = l->cap ? l->cap * 2 : LIST_CAP_MIN;
    if (cap > SIZE_MAX / sizeof(*l->v))
        return -ENOMEM;
    uint64_t *v = realloc(l->v, cap * sizeof(*v));
    if (v == NULL)
        return -ENOMEM;
    l->v = v;
    l->cap = cap;
    return 0;
}

static int list6_reserve(struct list6 *l)
{
    if (l->len < l->cap)
        return 0;
    list6_compact(l);
    if (l->cap != 0 && l->len <= l->cap / 2)
        return 0;
    size_t cap = l->cap ? l->cap * 2 : LIST_CAP_MIN;
    if (cap > SIZE_MAX / sizeof(*l->v))
        return -ENOMEM;
    struct range6 *v = realloc(l->v, cap * sizeof(*v));
    if (v == NULL)
        return -ENOMEM;
    l->v = v;
    l->cap = cap;
    return 0;
}

int scan_targets_list4_push(struct list4 *l, uint32_t lo, uint32_t hi)
{
    int rc = list4_reserve(l);
    if (rc != 0)
        return rc;
    l->v[l->len++] = pack4(lo, hi);
    return 0;
}

int scan_targets_list6_push(struct list6 *l, scan_u128 lo, scan_u128 hi)
{
    int rc = list6_reserve(l);
    if (rc != 0)
        return rc;
    l->v[l->len].lo = lo;
    l->v[l->len].hi = hi;
    l->len++;
    return 0;
}

static void list4_fini(struct list4 *l)
{
    free(l->v);
    l->v = NULL;
    l->len = l->cap = 0;
}

static void list6_fini(struct list6 *l)
{
    free(l->v);
    l->v = NULL;
    l->len = l->cap = 0;
}

/* ------------------------------------------------------------------ */
/* Errors                                                               */

/* Copy at most ECHO_MAX bytes of text, printable ASCII only, for a message. */
static void echo_text(char *dst, size_t cap, const char *text, size_t len)
{
    size_t n = len < ECHO_MAX ? len : ECHO_MAX;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)text[i];
        dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (n < len && o + 4 <= cap) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

/*
 * Record one error. text (may be NULL) is echoed sanitised and shortened;
 * only the first SCAN_TARGETS_ERRORS_MAX messages are kept, each cut to
 * SCAN_TARGETS_ERROR_LEN - 1 bytes.
 */
void scan_targets_record_error(struct scan_targets *t, const char *origin, unsigned long line,
                               const char *text, size_t text_len, const char *fmt, ...)
{
    size_t i = t->nb_errors++;
    if (i >= SCAN_TARGETS_ERRORS_MAX)
        return;

    char *msg = t->errors[i];
    size_t cap = SCAN_TARGETS_ERROR_LEN;
    size_t o = 0;
    int n;
    if (origin != NULL && line != 0)
        n = snprintf(msg, cap, "%s:%lu: ", origin, line);
    else if (origin != NULL)
        n = snprintf(msg, cap, "%s: ", origin);
    else
        n = 0;
    if (n > 0)
        o = (size_t)n < cap ? (size_t)n : cap - 1;
    if (text != NULL && text_len > 0 && o + 1 < cap) {
        char echo[ECHO_MAX + 4];
        echo_text(echo, sizeof(echo), text, text_len);
        n = snprintf(msg + o, cap - o, "%s: ", echo);
        if (n > 0)
            o += (size_t)n < cap - o ? (size_t)n : cap - o - 1;
    }
    if (o + 1 < cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg + o, cap - o, fmt, ap);
        va_end(ap);
    }
    msg[cap - 1] = '\0';
    /* A file name may hold control bytes too; keep terminals safe (S05). */
    for (char *c = msg; *c != '\0'; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
}

size_t scan_targets_nb_errors(const struct scan_targets *t)
{
    return t->nb_errors;
}

const char *scan_targets_error(const struct scan_targets *t, size_t i)
{
    if (i >= t->nb_errors || i >= SCAN_TARGETS_ERRORS_MAX)
        return NULL;
    return t->errors[i];
}

/* ------------------------------------------------------------------ */
/* Default blocklist                                                    */

struct special {
    const char *cidr;
    const char *why;
};

/* IANA IPv4 Special-Purpose Address Registry (RFC 6890 and updates). */
static const struct special default_blocklist[] = {
    { "0.0.0.0/8", "\"this network\", RFC 791 / RFC 1122" },
    { "10.0.0.0/8", "private use, RFC 1918" },
    { "100.64.0.0/10", "shared address space (CGN), RFC 6598" },
    { "127.0.0.0/8", "loopback, RFC 1122" },
    { "169.254.0.0/16", "link local, RFC 3927" },
    { "172.16.0.0/12", "private use, RFC 1918" },
    { "192.0.0.0/24", "IETF protocol assignments, RFC 6890" },
    { "192.0.2.0/24", "documentation TEST-NET-1, RFC 5737" },
    { "192.88.99.0/24", "deprecated 6to4 relay anycast, RFC 7526" },
    { "192.168.0.0/16", "private use, RFC 1918" },
    { "198.18.0.0/15", "benchmarking, RFC 2544" },
    { "198.51.100.0/24", "documentation TEST-NET-2, RFC 5737" },
    { "203.0.113.0/24", "documentation TEST-NET-3, RFC 5737" },
    { "224.0.0.0/4", "multicast, RFC 5771" },
    { "240.0.0.0/4", "reserved, RFC 1112; includes 255.255.255.255/32 limited broadcast" },
    /* IANA IPv6 Special-Purpose Address Registry. */
    { "::/128", "unspecified address, RFC 4291" },
    { "::1/128", "loopback, RFC 4291" },
    { "::ffff:0:0/96", "IPv4-mapped addresses, RFC 4291 (scanned as IPv4 when given as such)" },
    { "64:ff9b::/96", "IPv4-IPv6 translation well-known prefix, RFC 6052" },
    { "64:ff9b:1::/48", "IPv4-IPv6 translation, local use, RFC 8215" },
    { "100::/64", "discard-only, RFC 6666" },
    { "2001::/23", "IETF protocol assignments (Teredo, benchmarking, ORCHID...), RFC 2928" },
    { "2001:db8::/32", "documentation, RFC 3849" },
    { "2002::/16", "6to4, RFC 3056 (relays deprecated, RFC 7526)" },
    { "3fff::/20", "documentation, RFC 9637" },
    { "5f00::/16", "segment routing (SRv6) SIDs, RFC 9602" },
    { "fc00::/7", "unique local, RFC 4193" },
    { "fe80::/10", "link-local unicast, RFC 4291" },
    { "ff00::/8", "multicast, RFC 4291" },
};

int scan_targets_default_blocklist(FILE *f)
{
    for (size_t i = 0; i < sizeof(default_blocklist) / sizeof(default_blocklist[0]); i++)
        if (fprintf(f, "%-16s # %s\n", default_blocklist[i].cidr, default_blocklist[i].why) < 0)
            return -EIO;
    return 0;
}

static int add_default_blocklist(struct scan_targets *t)
{
    for (size_t i = 0; i < sizeof(default_blocklist) / sizeof(default_blocklist[0]); i++) {
        /* No mapping: ::ffff:0:0/96 here is IPv6 space, not all of IPv4.
         * -EINVAL cannot happen: the table is tested. */
        int rc = scan_targets_add_cidr(t, SCAN_TARGETS_BLOCK, default_blocklist[i].cidr, false);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Object                                                               */

struct scan_targets *scan_targets_new(unsigned flags)
{
    struct scan_targets *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->flags = flags;
    return t;
}

void scan_targets_free(struct scan_targets *t)
{
    if (t == NULL)
        return;
    list4_fini(&t->inc4);
    list4_fini(&t->blk4);
    list6_fini(&t->inc6);
    list6_fini(&t->blk6);
    free(t->seg4);
    free(t->seg6);
    free(t);
}

/* ------------------------------------------------------------------ */
/* Finalize: include minus blocklist, then segments with indices         */

/*
 * inc minus blk (both compacted) into a new array of packed intervals;
 * *removed gets the number of addresses of inc that blk covers.
 */
static int subtract4(const struct list4 *inc, const struct list4 *blk, uint64_t **out,
                     size_t *nb_out, uint64_t *removed)
{
    size_t cap = inc->len + blk->len;
    uint64_t *v = malloc((cap ? cap : 1) * sizeof(*v));
    if (v == NULL)
        return -ENOMEM;
    size_t n = 0, j = 0;
    uint64_t gone = 0;
    for (size_t i = 0; i < inc->len; i++) {
        uint64_t lo = inc->v[i] >> 32, hi = (uint32_t)inc->v[i];
        uint64_t cur = lo;
        bool done = false;
        while (j < blk->len && (uint32_t)blk->v[j] < cur)
            j++;
        while (j < blk->len && (blk->v[j] >> 32) <= hi) {
            uint64_t blo = blk->v[j] >> 32, bhi = (uint32_t)blk->v[j];
            if (blo > cur)
                v[n++] = pack4((uint32_t)cur, (uint32_t)(blo - 1));
            uint64_t from = blo > cur ? blo : cur, to = bhi < hi ? bhi : hi;
            gone += to - from + 1;
            if (bhi >= hi) {
                done = true;
                break; /* blk->v[j] may cover the next include interval too */
            }
            cur = bhi + 1;
            j++;
        }
        if (!done)
            v[n++] = pack4((uint32_t)cur, (uint32_t)hi);
    }
    *out = v;
    *nb_out = n;
    *removed = gone;
    return 0;
}

static int subtract6(const struct list6 *inc, const struct list6 *blk, struct range6 **out,
                     size_t *nb_out, scan_u128 *removed)
{
    size_t cap = inc->len + blk->len;
    struct range6 *v = malloc((cap ? cap : 1) * sizeof(*v));
    if (v == NULL)
        return -ENOMEM;
    size_t n = 0, j = 0;
    scan_u128 gone = 0;
    for (size_t i = 0; i < inc->len; i++) {
        scan_u128 lo = inc->v[i].lo, hi = inc->v[i].hi;
        scan_u128 cur = lo;
        bool done = false;
        while (j < blk->len && blk->v[j].hi < cur)
            j++;
        while (j < blk->len && blk->v[j].lo <= hi) {
            scan_u128 blo = blk->v[j].lo, bhi = blk->v[j].hi;
            if (blo > cur) {
                v[n].lo = cur;
                v[n].hi = blo - 1;
                n++;
            }
            scan_u128 from = blo > cur ? blo : cur, to = bhi < hi ? bhi : hi;
            gone = u128_add_sat(u128_add_sat(gone, to - from), 1);
            if (bhi >= hi) {
                done = true;
                break;
            }
            cur = bhi + 1;
            j++;
        }
        if (!done) {
            v[n].lo = cur;
            v[n].hi = hi;
            n++;
        }
    }
    *out = v;
    *nb_out = n;
    *removed = gone;
    return 0;
}

int scan_targets_finalize(struct scan_targets *t)
{
    if (t->finalized)
        return -EBUSY;
    if (!(t->flags & SCAN_TARGETS_NO_DEFAULT_BLOCKLIST)) {
        int rc = add_default_blocklist(t);
        if (rc != 0) {
            scan_targets_record_error(t, NULL, 0, NULL, 0, "out of memory");
            return rc;
        }
    }
    list4_compact(&t->inc4);
    list4_compact(&t->blk4);
    list6_compact(&t->inc6);
    list6_compact(&t->blk6);

    uint64_t *r4 = NULL;
    struct range6 *r6 = NULL;
    size_t n4 = 0, n6 = 0;
    uint64_t gone4 = 0;
    scan_u128 gone6 = 0;
    if (subtract4(&t->inc4, &t->blk4, &r4, &n4, &gone4) != 0 ||
        subtract6(&t->inc6, &t->blk6, &r6, &n6, &gone6) != 0) {
        free(r4);
        free(r6);
        scan_targets_record_error(t, NULL, 0, NULL, 0, "out of memory");
        return -ENOMEM;
    }
    list4_fini(&t->inc4);
    list4_fini(&t->blk4);
    list6_fini(&t->inc6);
    list6_fini(&t->blk6);

    /* Packed interval -> segment, in place (both are 8 bytes). */
    _Static_assert(sizeof(struct seg4) == sizeof(uint64_t), "seg4 reuses the packed array");
    struct seg4 *s4 = (struct seg4 *)(void *)r4;
    uint64_t count4 = 0;
    for (size_t i = 0; i < n4; i++) {
        uint64_t packed = r4[i];
        uint32_t lo = (uint32_t)(packed >> 32), hi = (uint32_t)packed;
        s4[i].lo = lo;
        s4[i].start = (uint32_t)count4; /* < 2^32: more addresses follow */
        count4 += (uint64_t)hi - lo + 1;
    }

    _Static_assert(sizeof(struct seg6) == sizeof(struct range6), "seg6 reuses the range array");
    struct seg6 *s6 = (struct seg6 *)(void *)r6;
    scan_u128 count6 = 0;
    bool too_many = false;
    for (size_t i = 0; i < n6; i++) {
        scan_u128 lo = r6[i].lo, span = r6[i].hi - r6[i].lo; /* size - 1 */
        s6[i].lo = lo;
        s6[i].start = count6;
        if (span == SCAN_U128_MAX || count6 + span < count6 || count6 + span + 1 == 0) {
            too_many = true;
            break;
        }
        count6 += span + 1;
    }
    if (!too_many && count6 + count4 < count6)
        too_many = true;
    if (too_many) {
        free(r4);
        free(r6);
        t->finalized = true; /* an empty, queryable set */
        scan_targets_record_error(
            t, NULL, 0, NULL, 0,
            "the target set holds 2^128 addresses or more, beyond any counter; "
            "narrow the IPv6 ranges or keep the default blocklist");
        return -EINVAL;
    }

    /* Shrink to fit; failure to shrink is harmless. */
    if (n4 > 0) {
        struct seg4 *p = realloc(s4, n4 * sizeof(*p));
        s4 = p != NULL ? p : s4;
    }
    if (n6 > 0) {
        struct seg6 *p = realloc(s6, n6 * sizeof(*p));
        s6 = p != NULL ? p : s6;
    }
    t->seg4 = s4;
    t->nb_seg4 = n4;
    t->seg6 = s6;
    t->nb_seg6 = n6;
    t->count4 = count4;
    t->count6 = count6;
    t->blocklisted = u128_add_sat(gone6, gone4);
    t->finalized = true;
    return t->nb_errors != 0 ? -EINVAL : 0;
}

/* ------------------------------------------------------------------ */
/* Queries                                                              */

scan_u128 scan_targets_count(const struct scan_targets *t)
{
    return t->count6 + t->count4;
}

uint64_t scan_targets_count_v4(const struct scan_targets *t)
{
    return t->count4;
}

scan_u128 scan_targets_blocklisted(const struct scan_targets *t)
{
    return t->blocklisted;
}

size_t scan_targets_nb_intervals(const struct scan_targets *t)
{
    return t->nb_seg4 + t->nb_seg6;
}

size_t scan_targets_mem_len(const struct scan_targets *t)
{
    return (t->inc4.cap + t->blk4.cap) * sizeof(uint64_t) +
           (t->inc6.cap + t->blk6.cap) * sizeof(struct range6) + t->nb_seg4 * sizeof(struct seg4) +
           t->nb_seg6 * sizeof(struct seg6);
}

int scan_targets_addr(const struct scan_targets *t, scan_u128 index, struct pkt_addr *out)
{
    if (!t->finalized || index >= scan_targets_count(t))
        return -ERANGE;
    memset(out, 0, sizeof(*out));
    if (index < t->count4) {
        /* Last segment whose start <= index. */
        size_t lo = 0, hi = t->nb_seg4;
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (t->seg4[mid].start <= index)
                lo = mid;
            else
                hi = mid;
        }
        uint32_t a = t->seg4[lo].lo + (uint32_t)(index - t->seg4[lo].start);
        out->family = PKT_ADDR_V4;
        out->bytes[0] = (uint8_t)(a >> 24);
        out->bytes[1] = (uint8_t)(a >> 16);
        out->bytes[2] = (uint8_t)(a >> 8);
        out->bytes[3] = (uint8_t)a;
        return 0;
    }
    scan_u128 i6 = index - t->count4;
    size_t lo = 0, hi = t->nb_seg6;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->seg6[mid].start <= i6)
            lo = mid;
        else
            hi = mid;
    }
    out->family = PKT_ADDR_V6;
    u128_to_bytes(t->seg6[lo].lo + (i6 - t->seg6[lo].start), out->bytes);
    return 0;
}

int scan_targets_index(const struct scan_targets *t, const struct pkt_addr *a, scan_u128 *index)
{
    if (!t->finalized)
        return -ENOENT;
    const uint8_t *v4 = a->family == PKT_ADDR_V4 ? a->bytes : NULL;

    if (v4 != NULL) {
        uint32_t x = (uint32_t)v4[0] << 24 | (uint32_t)v4[1] << 16 | (uint32_t)v4[2] << 8 | v4[3];
        if (t->nb_seg4 == 0 || x < t->seg4[0].lo)
            return -ENOENT;
        size_t lo = 0, hi = t->nb_seg4;
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (t->seg4[mid].lo <= x)
                lo = mid;
            else
                hi = mid;
        }
        uint64_t end = lo + 1 < t->nb_seg4 ? t->seg4[lo + 1].start : t->count4;
        uint64_t off = (uint64_t)x - t->seg4[lo].lo;
        if (off >= end - t->seg4[lo].start)
            return -ENOENT;
        *index = t->seg4[lo].start + off;
        return 0;
    }
    scan_u128 x = u128_from_bytes(a->bytes);
    if (t->nb_seg6 == 0 || x < t->seg6[0].lo)
        return -ENOENT;
    size_t lo = 0, hi = t->nb_seg6;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->seg6[mid].lo <= x)
            lo = mid;
        else
            hi = mid;
    }
    scan_u128 end = lo + 1 < t->nb_seg6 ? t->seg6[lo + 1].start : t->count6;
    scan_u128 off = x - t->seg6[lo].lo;
    if (off >= end - t->seg6[lo].start)
        return -ENOENT;
    *index = t->count4 + t->seg6[lo].start + off;
    return 0;
}
