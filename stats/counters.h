/*
 * stats/counters.h - per-worker counters and their aggregation.
 *
 * Threading: each worker owns one struct stats_counters and is its only
 * writer (plain increments of naturally aligned 64-bit words); the stats
 * thread sums them with relaxed atomic loads (stats_counters_sum). No locks.
 * Memory: fixed arrays, sized at compile time.
 */
#ifndef FCRSCAN_STATS_COUNTERS_H
#define FCRSCAN_STATS_COUNTERS_H

#include <stdint.h>

#include "stats/record.h"

/*
 * Drop reasons: the reply parser's kinds (pkt_dns_err_name) first, then the
 * frame parser's, then the matcher's. The summary's "dropped" object uses
 * stats_drop_name() as keys.
 */
enum stats_drop {
    /* DNS parse failures, in enum pkt_dns_err order (-1 .. -14). */
    STATS_DROP_DNS_FIRST = 0,
    STATS_DROP_DNS_LAST = 13,
    /* Frame parse failures, in enum pkt_frame_err order (-1 .. -8). */
    STATS_DROP_FRAME_FIRST = 14,
    STATS_DROP_FRAME_LAST = 21,
    /* Matching. */
    STATS_DROP_WRONG_SOURCE = 22, /* "wrong-source": from an address/port we never queried */
    STATS_DROP_WRONG_PORT,        /* "wrong-port": arrived on a port we did not send from */
    STATS_DROP_WRONG_ID,          /* "wrong-id": no pending query with this ID */
    STATS_DROP_QUESTION,          /* "question-mismatch": name/type/class differ from ours */
    STATS_DROP_CASE,              /* "case-0x20": 0x20 case not echoed */
    STATS_DROP_DUPLICATE,         /* "duplicate": same reply again */
    STATS_DROP_LATE,              /* "late": the query had already ended */
    STATS_DROP_CONFLICT,          /* "conflict": a later valid reply that differs */
    STATS_DROP_OVERSIZE,          /* "oversize": datagram larger than the receive buffer */
    STATS_DROP_ENGINE_MISSED,     /* "engine-missed": lost below the engine (NIC, capture
                                     ring or socket buffer full), packet/engine.h rx_missed */
    STATS_DROP_ICMP,              /* "icmp": ICMP unreachable quoting a query we sent (the
                                     query stays pending), packet/engine.h icmp_errors */
    STATS_DROP_ICMP_UNMATCHED,    /* "icmp-unmatched": ICMP unreachable quoting no query of
                                     ours (forged or too short): ignored */
    STATS_DROP_COUNT
};

const char *stats_drop_name(unsigned drop);
/* Index for a negative pkt_dns_err / pkt_frame_err code. */
unsigned stats_drop_from_dns(int err);
unsigned stats_drop_from_frame(int err);

#define STATS_RCODE_SLOTS 17 /* rcodes 0..15, slot 16 = "TIMEOUT" */

struct stats_counters {
    uint64_t verdicts[STATS_VERDICT_COUNT];
    uint64_t flags[STATS_FLAG_COUNT];
    uint64_t rcodes[STATS_RCODE_SLOTS]; /* final PTR rcode per row */
    uint64_t sent;                      /* query packets sent (UDP and TCP) */
    uint64_t received;                  /* datagrams received */
    uint64_t retried;                   /* retransmissions */
    uint64_t tcp;                       /* queries sent over TCP */
    uint64_t send_errors;               /* queries the engine could not send (tx_errors) */
    uint64_t breaker_opens;             /* a silent resolver skipped for a while (scan.c) */
    uint64_t index_full;                /* a question waited: both of its index buckets full */
    uint64_t tcp_full;                  /* lookups ended: every TCP fallback slot was taken */
    uint64_t rows;                      /* rows emitted */
    uint64_t dropped[STATS_DROP_COUNT];
} __attribute__((aligned(64)));

/* Count one emitted row (verdict, its flags, its PTR rcode). Owner thread only. */
void stats_counters_row(struct stats_counters *c, const struct stats_record *r);

/* out = sum of nb counter blocks, read with relaxed atomic loads. Any thread. */
void stats_counters_sum(struct stats_counters *out, const struct stats_counters *const *blocks,
                        unsigned nb);

#endif
