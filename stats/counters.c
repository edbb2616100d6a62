/*
 * stats/counters.c - drop-reason names and counter aggregation.
 *
 * The owner updates its block with relaxed atomic stores of (value + 1):
 * on x86-64 and arm64 that is the same plain load/add/store as "x++", but
 * it tells the compiler (and ThreadSanitizer) that the stats thread reads
 * the word concurrently, so there is no data race and no torn read.
 *
 * The drop names are kept here rather than taken from pkt_dns_err_name /
 * pkt_frame_err_name so the summary's keys are one fixed table; the
 * _Static_asserts tie its size to the enums of packet/.
 */
#include "stats/counters.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "packet/dns.h"
#include "packet/frame.h"

#pragma GCC poison malloc calloc realloc free strdup

static const char *const drop_names[STATS_DROP_COUNT] = {
    /* packet/dns.h, PKT_DNS_E_SHORT (-1) .. PKT_DNS_E_TOOMANY (-14) */
    "short",
    "not_response",
    "opcode",
    "question",
    "counts",
    "pointer",
    "labeltype",
    "name_len",
    "overrun",
    "rdlen",
    "rdata",
    "opt",
    "cname_loop",
    "too_many_rrs",
    /* packet/frame.h, PKT_FRAME_E_SHORT (-1) .. PKT_FRAME_E_EXTHDR (-8) */
    "frame-short",
    "frame-ethertype",
    "frame-ip_header",
    "frame-len",
    "frame-ip_fragments",
    "frame-proto",
    "frame-csum",
    "frame-ext_header",
    /* matcher */
    "wrong-source",
    "wrong-port",
    "wrong-id",
    "question-mismatch", /* "question" is the parser's QDCOUNT != 1 */
    "case-0x20",
    "duplicate",
    "late",
    "conflict",
    "oversize",
    "engine-missed",
    "icmp",
    "icmp-unmatched",
};

_Static_assert(STATS_DROP_DNS_LAST - STATS_DROP_DNS_FIRST + 1 == -PKT_DNS_E_TOOMANY,
               "one DNS drop slot per parse error of packet/dns.h");
_Static_assert(PKT_DNS_E_SPACE == PKT_DNS_E_TOOMANY - 1,
               "PKT_DNS_E_TOOMANY is the last parse error");
_Static_assert(STATS_DROP_FRAME_FIRST == STATS_DROP_DNS_LAST + 1, "groups are contiguous");
_Static_assert(STATS_DROP_FRAME_LAST - STATS_DROP_FRAME_FIRST + 1 == -PKT_FRAME_E_EXTHDR,
               "one frame drop slot per parse error of packet/frame.h");
_Static_assert(PKT_FRAME_E_SPACE == PKT_FRAME_E_EXTHDR - 1,
               "PKT_FRAME_E_EXTHDR is the last parse error");
_Static_assert(STATS_DROP_WRONG_SOURCE == STATS_DROP_FRAME_LAST + 1, "groups are contiguous");
_Static_assert(sizeof(drop_names) / sizeof(drop_names[0]) == STATS_DROP_COUNT,
               "one name per drop reason");

const char *stats_drop_name(unsigned drop)
{
    return drop < STATS_DROP_COUNT ? drop_names[drop] : "?";
}

/*
 * Out-of-range codes (build-only errors, which a parser never returns) land
 * in the group's first slot rather than outside the array: a miscounted drop
 * is recoverable, an out-of-bounds increment is not.
 */
unsigned stats_drop_from_dns(int err)
{
    assert(err <= -1 && err >= PKT_DNS_E_TOOMANY);
    if (err > -1 || err < PKT_DNS_E_TOOMANY)
        return STATS_DROP_DNS_FIRST;
    return (unsigned)(STATS_DROP_DNS_FIRST - 1 - err);
}

unsigned stats_drop_from_frame(int err)
{
    assert(err <= -1 && err >= PKT_FRAME_E_EXTHDR);
    if (err > -1 || err < PKT_FRAME_E_EXTHDR)
        return STATS_DROP_FRAME_FIRST;
    return (unsigned)(STATS_DROP_FRAME_FIRST - 1 - err);
}

static inline void bump(uint64_t *w)
{
    __atomic_store_n(w, *w + 1, __ATOMIC_RELAXED);
}

void stats_counters_row(struct stats_counters *c, const struct stats_record *r)
{
    if (r->verdict < STATS_VERDICT_COUNT)
        bump(&c->verdicts[r->verdict]);
    for (unsigned b = 0; b < STATS_FLAG_COUNT; b++)
        if (r->flags & (1u << b))
            bump(&c->flags[b]);
    /* Extended rcodes (16..4095, EDNS) have no slot; they are rare and still in each row. */
    if (r->ptr_rcode == -1)
        bump(&c->rcodes[STATS_RCODE_SLOTS - 1]);
    else if (r->ptr_rcode >= 0 && r->ptr_rcode < STATS_RCODE_SLOTS - 1)
        bump(&c->rcodes[r->ptr_rcode]);
    bump(&c->rows);
}

/* Every counter is summed below: a field added to the struct must be added here too. */
_Static_assert(offsetof(struct stats_counters, dropped) + sizeof(uint64_t) * STATS_DROP_COUNT ==
                   sizeof(uint64_t) * (STATS_VERDICT_COUNT + STATS_FLAG_COUNT + STATS_RCODE_SLOTS +
                                       9 + STATS_DROP_COUNT),
               "stats_counters_sum covers every field");

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

static void sum_words(uint64_t *out, const uint64_t *in, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        out[i] += LOAD(&in[i]);
}

#define SUM_ARRAY(out, in, field) \
    sum_words((out)->field, (in)->field, sizeof((in)->field) / sizeof((in)->field[0]))

void stats_counters_sum(struct stats_counters *out, const struct stats_counters *const *blocks,
                        unsigned nb)
{
    memset(out, 0, sizeof(*out));
    for (unsigned b = 0; b < nb; b++) {
        const struct stats_counters *c = blocks[b];
        SUM_ARRAY(out, c, verdicts);
        SUM_ARRAY(out, c, flags);
        SUM_ARRAY(out, c, rcodes);
        SUM_ARRAY(out, c, dropped);
        out->sent += LOAD(&c->sent);
        out->received += LOAD(&c->received);
        out->retried += LOAD(&c->retried);
        out->send_errors += LOAD(&c->send_errors);
        out->breaker_opens += LOAD(&c->breaker_opens);
        out->index_full += LOAD(&c->index_full);
        out->tcp_full += LOAD(&c->tcp_full);
        out->tcp += LOAD(&c->tcp);
        out->rows += LOAD(&c->rows);
    }
}
