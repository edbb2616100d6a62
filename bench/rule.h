/*
 * bench/rule.h - the synthetic DNS world of the end-to-end benchmark.
 *
 * Purpose: one deterministic rule, shared by bench/responder.c (which
 * answers by it) and bench/check.c (which judges fcrscan's rows by it), so
 * the expected verdict of every address is computed from (seed, address)
 * alone and nothing is ever stored per address. Any IPv4 or IPv6 range works.
 *
 * The rule: a keyed hash (XXH3 with the seed) of the address bytes picks a
 * category with the configured mix (basis points out of 10000). Each
 * category fixes the PTR answer; the forward answers depend only on the
 * name asked, so many addresses can share one name:
 *
 *   category    PTR answer (UDP)               forward answer        verdict
 *   pass        p<a>                           p<a> -> a             pass
 *   shared      s<g> (g = a's group)           s<g> -> group members pass
 *   mismatch    m<a>                           m<a> -> a ^ 1         mismatch
 *   dangling    d<a>                           d<a> NXDOMAIN         dangling
 *   no-ptr      NXDOMAIN                                             no-ptr
 *   ptr-nodata  NOERROR, no answer                                   ptr-nodata
 *   multi       p<a>, m<a>                                           partial (multi-ptr)
 *   slow        p<a>, sent after a delay                             pass
 *   servfail    SERVFAIL                                             tempfail reverse servfail
 *   tc          TC=1, empty; TCP: p<a>                               pass (truncated)
 *   drop        never answered                                       tempfail reverse timeout
 *
 * <a> is the address written as one letter per nibble ('a' + nibble: 8
 * letters for IPv4, 32 for IPv6) so no generic-name rule (docs/classification.md: digit
 * runs, hex of the address, keywords) can fire on a benchmark name. Names
 * are <tag><letters>.<zone>. A group is the address with its low
 * shared_bits bits cleared (at most 6 bits: 64 members, so the A/AAAA answer
 * of a shared name fits a 1232-octet EDNS reply and the parser's 64 kept
 * addresses). A forward query in the other family is NODATA.
 *
 * Pure: no I/O, no allocation; any thread once initialised.
 */
#ifndef FCRSCAN_BENCH_RULE_H
#define FCRSCAN_BENCH_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet/addr.h"
#include "packet/dns.h"

enum bench_cat {
    BENCH_CAT_PASS,
    BENCH_CAT_SHARED,
    BENCH_CAT_MISMATCH,
    BENCH_CAT_DANGLING,
    BENCH_CAT_NO_PTR,
    BENCH_CAT_PTR_NODATA,
    BENCH_CAT_MULTI,
    BENCH_CAT_SLOW,
    BENCH_CAT_SERVFAIL,
    BENCH_CAT_TC,
    BENCH_CAT_DROP,
    BENCH_CAT_COUNT
};

#define BENCH_MIX_TOTAL       10000u /* basis points */
#define BENCH_SHARED_BITS_MAX 6u
#define BENCH_ZONE_TEXT_MAX   128
#define BENCH_NAMES_MAX       2 /* PTR names per address (multi) */

/* Everything the rule depends on. Plain data; filled by bench_rule_init. */
struct bench_rule {
    uint64_t seed;
    uint16_t mix[BENCH_CAT_COUNT]; /* basis points, summing to BENCH_MIX_TOTAL */
    uint16_t cum[BENCH_CAT_COUNT]; /* cumulative upper bounds of mix */
    unsigned shared_bits;
    char zone_text[BENCH_ZONE_TEXT_MAX]; /* lower case, no final dot */
    struct pkt_dns_name zone;
};

/* What a forward (A/AAAA) query for one name gets. */
struct bench_fwd {
    uint8_t rcode; /* PKT_DNS_RCODE_NOERROR or _NXDOMAIN */
    unsigned nb_addr;
    uint8_t addr[1u << BENCH_SHARED_BITS_MAX][16];
};

/* Static short name of a category ("pass", "no-ptr", ...), "?" otherwise. */
const char *bench_cat_name(unsigned cat);

/*
 * Set up r. mix: NULL or "name=bp,name=bp,..." with category names of
 * bench_cat_name; categories not named keep their default share, and pass
 * takes what is left of 10000 (an error when nothing is left). zone: NULL for
 * "bench.example.net". Returns 0, or -1 with a message in err[0..err_len).
 */
int bench_rule_init(struct bench_rule *r, uint64_t seed, const char *mix, unsigned shared_bits,
                    const char *zone, char *err, size_t err_len);

/* The category of address a. */
enum bench_cat bench_rule_cat(const struct bench_rule *r, const struct pkt_addr *a);

/* a with the low shared_bits bits cleared (the group's name address). */
void bench_rule_group(const struct bench_rule *r, const struct pkt_addr *a, struct pkt_addr *g);

/*
 * The PTR names of address a (0, 1 or 2; tags 'p', 's', 'm', 'd') in wire
 * form into names[] and, when text is not NULL, in presentation form into
 * text[][PKT_DNS_PRESENT_MAX]. Returns the count. The answer of categories
 * without names (no-ptr, ptr-nodata, servfail, drop) is 0 names.
 */
unsigned bench_rule_ptr_names(const struct bench_rule *r, const struct pkt_addr *a,
                              struct pkt_dns_name names[BENCH_NAMES_MAX],
                              char (*text)[PKT_DNS_PRESENT_MAX]);

/*
 * The forward answer for name (wire form, any case) asked with qtype
 * (PKT_DNS_TYPE_A or _AAAA). Returns false when the name is not one of the
 * rule's names (not under the zone, bad tag or letters): the caller answers
 * NXDOMAIN for names under the zone and REFUSED otherwise, see
 * bench_rule_in_zone.
 */
bool bench_rule_forward(const struct bench_rule *r, const uint8_t *name, size_t len, uint16_t qtype,
                        struct bench_fwd *out);

/* True when name (wire form) is the zone or below it. */
bool bench_rule_in_zone(const struct bench_rule *r, const uint8_t *name, size_t len);

/*
 * Octets of the UDP reply to a forward query for a rule name of family
 * (PKT_ADDR_V4/V6) carrying nb_addr addresses, with an OPT RR when edns. The
 * responder sets TC (and sends no answer) when this exceeds the reply limit,
 * so the checker expects the truncated flag exactly then.
 */
size_t bench_rule_fwd_reply_len(const struct bench_rule *r, uint8_t family, unsigned nb_addr,
                                bool edns);

/* Largest UDP reply the responder sends (the query's EDNS size, capped). */
#define BENCH_UDP_MAX 1232u

/* Row flags the rule can produce (the checker compares the whole set). */
#define BENCH_FLAG_MULTI_PTR 1u
#define BENCH_FLAG_TRUNCATED 2u

/* One evaluated PTR name of an expected row. */
struct bench_expect_name {
    char name[PKT_DNS_PRESENT_MAX];
    const char *status; /* "confirmed", "mismatch", "dangling" */
    struct bench_fwd fwd;
};

/* The row fcrscan must write for an address (docs/output.md). */
struct bench_expect {
    enum bench_cat cat;
    const char *verdict;
    const char *stage;  /* NULL unless tempfail */
    const char *reason; /* NULL unless tempfail */
    const char *ptr_rcode;
    unsigned flags; /* BENCH_FLAG_* */
    unsigned nb_names;
    struct bench_expect_name names[BENCH_NAMES_MAX];
};

/* Fill *e for address a (fcrscan asks A for IPv4 and AAAA for IPv6 targets). */
void bench_rule_expect(const struct bench_rule *r, const struct pkt_addr *a,
                       struct bench_expect *e);

#endif
