/*
 * stats/json.h - a tiny streaming JSON emitter (RFC 8259) and 128-bit counts.
 *
 * Purpose: build small JSON documents (the --summary file) without a
 * library: values are appended in order, commas and (optionally) indentation
 * are inserted automatically, every string is escaped. Strings may hold any
 * bytes: control characters become \n, \t, ... or \u00XX, and invalid UTF-8
 * becomes U+FFFD, so the output is always valid UTF-8 JSON whatever the
 * input (command-line values are user bytes: docs/test-cases.md S05).
 * Errors are sticky: the first one is kept, later calls do nothing, and
 * stats_json_finish() reports it, so callers check once at the end.
 * Threading: an emitter belongs to one thread. Memory: the caller's fixed
 * buffer, or a growable heap buffer owned by the emitter (released by
 * stats_json_fini). Hot path: no (one summary per run); per-row output uses
 * writer.h instead.
 */
#ifndef FCRSCAN_STATS_JSON_H
#define FCRSCAN_STATS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Unsigned 128-bit count (IPv6 target totals reach 2^128). */
__extension__ typedef unsigned __int128 stats_u128;

/* Decimal digits of the largest stats_u128 (2^128 - 1) plus NUL. */
#define STATS_U128_TEXT_MAX 40

/*
 * Decimal text of v into buf (at least STATS_U128_TEXT_MAX bytes), NUL-
 * terminated. Returns strlen(buf). Threading: any thread.
 */
size_t stats_u128_format(stats_u128 v, char *buf);

#define STATS_JSON_DEPTH_MAX 32 /* nesting of objects and arrays */
#define STATS_JSON_PRETTY    1u /* flag: newline + 2-space indentation */

/* Emitter state in caller storage. Fields are private to json.c. Threading: one owner. */
struct stats_json {
    char *buf;
    size_t len;
    size_t cap;
    bool grow;         /* buf is the emitter's heap buffer */
    bool after_key;    /* a key was written; its value comes next */
    unsigned flags;    /* STATS_JSON_* */
    unsigned depth;    /* open containers */
    uint64_t nonempty; /* bit d: container at depth d has a member */
    uint64_t is_obj;   /* bit d: container at depth d is an object */
    int err;           /* first error, sticky */
};

/*
 * Start an emitter. buf != NULL: write into buf[0..cap) (borrowed; never
 * grows; overflow is STATS_E_SPACE). buf == NULL: use a heap buffer that
 * grows as needed (out of memory is -ENOMEM). flags: 0 or STATS_JSON_PRETTY.
 * Threading: the calling thread owns j.
 */
void stats_json_init(struct stats_json *j, char *buf, size_t cap, unsigned flags);

/* Release a growable buffer (no-op for a caller's buffer). j may be NULL. Threading: owner. */
void stats_json_fini(struct stats_json *j);

/*
 * Containers. Unbalanced ends or nesting beyond STATS_JSON_DEPTH_MAX: STATS_E_JSON.
 * Threading (this and every value function below): the thread that owns j.
 */
void stats_json_object_begin(struct stats_json *j);
void stats_json_object_end(struct stats_json *j);
void stats_json_array_begin(struct stats_json *j);
void stats_json_array_end(struct stats_json *j);

/* Member key inside an object (escaped like a string); the next call writes its value. Owner. */
void stats_json_key(struct stats_json *j, const char *key);

/* String values, escaped; s borrowed. stats_json_str(j, NULL) writes null. Owner. */
void stats_json_str(struct stats_json *j, const char *s);
void stats_json_strn(struct stats_json *j, const char *s, size_t len);

/* Number and literal values. Owner. */
void stats_json_u64(struct stats_json *j, uint64_t v);
void stats_json_i64(struct stats_json *j, int64_t v);
void stats_json_u128(struct stats_json *j, stats_u128 v);
/* 2^128 + v when carry, else v: a count that can reach 2^128 (every IPv6
 * address, as the sum of targets and blocklisted ones). Owner. */
void stats_json_u128_carry(struct stats_json *j, bool carry, stats_u128 v);
/*
 * v rounded to `decimals` (0..9) fraction digits, written without exponent
 * and independently of the C locale. NaN and infinities are written as null
 * (JSON has no such numbers).
 */
void stats_json_fixed(struct stats_json *j, double v, unsigned decimals);
void stats_json_bool(struct stats_json *j, bool v);
void stats_json_null(struct stats_json *j);

/*
 * Finish the document: every container must be closed; appends a final
 * newline and a NUL (not counted). Returns the document length (j->buf holds
 * it) or the first error (STATS_E_SPACE, -ENOMEM, STATS_E_JSON). Call once.
 * Threading: owner.
 */
__attribute__((warn_unused_result)) int stats_json_finish(struct stats_json *j);

#endif
