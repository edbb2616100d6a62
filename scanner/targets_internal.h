/*
 * scanner/targets_internal.h - the target set's representation, shared by
 * targets.c (the interval set: sorting, merging, blocklists, the index ->
 * address map) and targets_parse.c (the text syntax of targets.h).
 * Threading and memory: as targets.h.
 */
#ifndef FCRSCAN_SCANNER_TARGETS_INTERNAL_H
#define FCRSCAN_SCANNER_TARGETS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/targets.h"

/* Collection lists. */
struct list4 {
    uint64_t *v; /* lo << 32 | hi, inclusive */
    size_t len;
    size_t cap;
};

struct range6 {
    scan_u128 lo; /* inclusive */
    scan_u128 hi; /* inclusive */
};

struct list6 {
    struct range6 *v;
    size_t len;
    size_t cap;
};

/* Finalized segments. */
struct seg4 {
    uint32_t lo;    /* first address of the segment */
    uint32_t start; /* its index among IPv4 targets (< 2^32) */
};

struct seg6 {
    scan_u128 lo;
    scan_u128 start; /* index among IPv6 targets */
};

struct scan_targets {
    unsigned flags;
    bool finalized;
    struct list4 inc4;
    struct list4 blk4;
    struct list6 inc6;
    struct list6 blk6;

    struct seg4 *seg4;
    size_t nb_seg4;
    struct seg6 *seg6;
    size_t nb_seg6;
    uint64_t count4;
    scan_u128 count6;
    scan_u128 blocklisted;

    size_t nb_errors;
    char errors[SCAN_TARGETS_ERRORS_MAX][SCAN_TARGETS_ERROR_LEN];
};

/* Initial capacity of a collection list, in intervals. */
#define LIST_CAP_MIN 256
/* Bytes of the offending text echoed in an error message. */
#define ECHO_MAX 48
/* Read size of scan_targets_add_stream. */
#define READ_CHUNK 16384

static inline scan_u128 u128_from_bytes(const uint8_t b[16])
{
    scan_u128 v = 0;
    for (int i = 0; i < 16; i++)
        v = v << 8 | b[i];
    return v;
}

static inline void u128_to_bytes(scan_u128 v, uint8_t b[16])
{
    for (int i = 15; i >= 0; i--) {
        b[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* a + b, clamped to SCAN_U128_MAX. */
static inline scan_u128 u128_add_sat(scan_u128 a, scan_u128 b)
{
    scan_u128 s = a + b;
    return s < a ? SCAN_U128_MAX : s;
}

/* Add [lo, hi] to a collection list (sorting and merging when it fills).
 * Returns 0 or -ENOMEM. */
int scan_targets_list4_push(struct list4 *l, uint32_t lo, uint32_t hi);
int scan_targets_list6_push(struct list6 *l, scan_u128 lo, scan_u128 hi);

/* Parse one CIDR (no error recorded) and add it to list; map_v4: read
 * ::ffff:a.b.c.d/96+ as IPv4. Returns 0, -EINVAL (not a CIDR) or -ENOMEM. */
int scan_targets_add_cidr(struct scan_targets *t, enum scan_targets_list list, const char *cidr,
                          bool map_v4);

/* Record one error message "ORIGIN:LINE: TEXT: WHY" (origin NULL: no
 * location; text NULL: none); the first SCAN_TARGETS_ERRORS_MAX are kept. */
__attribute__((format(printf, 6, 7))) void
scan_targets_record_error(struct scan_targets *t, const char *origin, unsigned long line,
                          const char *text, size_t len, const char *fmt, ...);

#endif
