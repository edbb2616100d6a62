/*
 * stats/record.h - one result row (one verdict per target), as plain data.
 *
 * Purpose: the record scanner/ fills and stats/ writes (JSONL, CSV). Names
 * stay in wire form here; the writers present and escape them
 * (pkt_dns_name_present), so hostile octets never reach output unescaped.
 * Threading: plain data; a record belongs to the thread that fills it.
 * Memory: fixed size (about 17 KiB); build it on the stack or in a slot.
 * Schema: docs/result.schema.json, docs/output.md.
 */
#ifndef FCRSCAN_STATS_RECORD_H
#define FCRSCAN_STATS_RECORD_H

#include <stdint.h>

#include "packet/addr.h"
#include "packet/dns.h"

#define STATS_NAMES_MAX PKT_DNS_PTR_MAX /* PTR names kept per row */
#define STATS_ADDRS_MAX 32              /* addresses kept per name */

enum stats_verdict {
    STATS_VERDICT_PASS,
    STATS_VERDICT_PARTIAL,
    STATS_VERDICT_MISMATCH,
    STATS_VERDICT_DANGLING,
    STATS_VERDICT_UNUSABLE,
    STATS_VERDICT_NO_PTR,
    STATS_VERDICT_PTR_NODATA,
    STATS_VERDICT_TEMPFAIL,
    STATS_VERDICT_COUNT
};

enum stats_stage { STATS_STAGE_NONE, STATS_STAGE_REVERSE, STATS_STAGE_FORWARD };

enum stats_reason {
    STATS_REASON_NONE,
    STATS_REASON_SERVFAIL,
    STATS_REASON_TIMEOUT,
    STATS_REASON_REFUSED,
    STATS_REASON_OTHER,
    STATS_REASON_COUNT
};

/*
 * The flags, in output order (= bit order), with their output strings: one
 * list for the enum below and the writers' strings, so reordering or
 * adding one cannot pair a bit with another flag's name.
 */
#define STATS_FLAGS(X)                                    \
    X(GENERIC_NAME, "generic-name")                       \
    X(BARE_DOMAIN, "bare-domain")                         \
    X(MULTI_PTR, "multi-ptr")                             \
    X(MULTI_PTR_OVER_LIMIT, "multi-ptr-over-limit")       \
    X(CNAME_REVERSE, "cname-reverse")                     \
    X(FORWARD_CNAME, "forward-cname")                     \
    X(WRONG_FAMILY, "wrong-family")                       \
    X(IP_LITERAL, "ip-literal")                           \
    X(INVALID_NAME, "invalid-name")                       \
    X(NON_FQDN, "non-fqdn")                               \
    X(PLACEHOLDER_NAME, "placeholder-name")               \
    X(TRUNCATED, "truncated")                             \
    X(FORWARD_TEMP_OTHER_NAME, "forward-temp-other-name") \
    X(WILDCARD_REVERSE, "wildcard-reverse")

/* Bit indexes, then the bits. Strings: stats_flag_name(bit index). */
enum stats_flag_index {
#define STATS_FLAG_INDEX_(name, str) STATS_FLAG_INDEX_##name,
    STATS_FLAGS(STATS_FLAG_INDEX_)
#undef STATS_FLAG_INDEX_
        STATS_FLAG_COUNT
};
enum stats_flag {
#define STATS_FLAG_BIT_(name, str) STATS_FLAG_##name = 1u << STATS_FLAG_INDEX_##name,
    STATS_FLAGS(STATS_FLAG_BIT_)
#undef STATS_FLAG_BIT_
};

enum stats_name_status {
    STATS_NAME_CONFIRMED,
    STATS_NAME_MISMATCH,
    STATS_NAME_DANGLING,
    STATS_NAME_UNUSABLE,
    STATS_NAME_TEMPFAIL,
    STATS_NAME_NOT_EVALUATED,
    STATS_NAME_STATUS_COUNT
};

/* One PTR name of a row and what its forward lookup found. */
struct stats_name {
    struct pkt_dns_name name;              /* wire form, as received (writers lower-case) */
    uint8_t status;                        /* enum stats_name_status */
    uint8_t reason;                        /* enum stats_reason, for STATS_NAME_TEMPFAIL */
    uint8_t nb_addr;                       /* kept below (<= STATS_ADDRS_MAX) */
    struct pkt_addr addr[STATS_ADDRS_MAX]; /* target family; other family for wrong-family */
};

struct stats_record {
    struct pkt_addr ip;
    uint8_t verdict;     /* enum stats_verdict */
    uint8_t stage;       /* enum stats_stage; NONE unless tempfail */
    uint8_t reason;      /* enum stats_reason; NONE unless tempfail */
    uint32_t flags;      /* enum stats_flag bits */
    int32_t ptr_rcode;   /* rcode of the final PTR reply, or -1 for "TIMEOUT" */
    uint32_t queries;    /* query packets sent for this target, retries included */
    uint64_t elapsed_us; /* first query to verdict */
    int64_t ts_ms;       /* verdict time, Unix epoch milliseconds (wall clock) */
    uint8_t nb_names;    /* de-duplicated PTR names in answer order */
    struct stats_name names[STATS_NAMES_MAX];
};

/* Static strings as in docs/output.md and docs/result.schema.json. */
const char *stats_verdict_name(unsigned verdict);
const char *stats_stage_name(unsigned stage);
const char *stats_reason_name(unsigned reason);
const char *stats_name_status_name(unsigned status);
/* Name of the flag with bit index i (0..STATS_FLAG_COUNT-1). */
const char *stats_flag_name(unsigned bit_index);

#endif
