/*
 * tests/stats/test_counters.c - drop-reason keys, per-row counting, and
 * summing blocks while their owner writes.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "packet/dns.h"
#include "packet/frame.h"
#include "stats/counters.h"

Test(stats_counters, drop_keys_are_the_documented_unique_strings)
{
    static const char *const want[STATS_DROP_COUNT] = {
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
        "frame-short",
        "frame-ethertype",
        "frame-ip_header",
        "frame-len",
        "frame-ip_fragments",
        "frame-proto",
        "frame-csum",
        "frame-ext_header",
        "wrong-source",
        "wrong-port",
        "wrong-id",
        "question-mismatch",
        "case-0x20",
        "duplicate",
        "late",
        "conflict",
        "oversize",
        "engine-missed",
        "icmp",
        "icmp-unmatched",
    };
    for (unsigned d = 0; d < STATS_DROP_COUNT; d++) {
        cr_assert_str_eq(stats_drop_name(d), want[d], "drop %u", d);
        for (unsigned e = 0; e < d; e++)
            cr_assert_str_neq(stats_drop_name(d), stats_drop_name(e), "keys %u and %u", d, e);
    }
    cr_assert_str_eq(stats_drop_name(STATS_DROP_QUESTION), "question-mismatch");
    cr_assert_str_eq(stats_drop_name(STATS_DROP_CASE), "case-0x20");
    cr_assert_str_eq(stats_drop_name(STATS_DROP_COUNT), "?");
}

/* The table is our own copy: it must stay in step with packet/'s names. */
Test(stats_counters, parser_codes_map_to_the_parsers_own_names)
{
    for (int err = -1; err >= PKT_DNS_E_TOOMANY; err--) {
        unsigned d = stats_drop_from_dns(err);
        cr_assert_eq(d, (unsigned)(STATS_DROP_DNS_FIRST - 1 - err));
        cr_assert_str_eq(stats_drop_name(d), pkt_dns_err_name(err), "dns %d", err);
    }
    for (int err = -1; err >= PKT_FRAME_E_EXTHDR; err--) {
        unsigned d = stats_drop_from_frame(err);
        char key[64];
        snprintf(key, sizeof(key), "frame-%s", pkt_frame_err_name(err));
        cr_assert_eq(d, (unsigned)(STATS_DROP_FRAME_FIRST - 1 - err));
        cr_assert_str_eq(stats_drop_name(d), key, "frame %d", err);
    }
    cr_assert_eq(stats_drop_from_dns(PKT_DNS_E_SHORT), STATS_DROP_DNS_FIRST);
    cr_assert_eq(stats_drop_from_dns(PKT_DNS_E_TOOMANY), STATS_DROP_DNS_LAST);
    cr_assert_eq(stats_drop_from_frame(PKT_FRAME_E_EXTHDR), STATS_DROP_FRAME_LAST);
}

Test(stats_counters, a_row_counts_its_verdict_flags_and_rcode)
{
    static struct stats_counters c;
    static struct stats_record r;
    memset(&r, 0, sizeof(r));
    r.verdict = STATS_VERDICT_PARTIAL;
    r.flags = STATS_FLAG_MULTI_PTR | STATS_FLAG_WILDCARD_REVERSE;
    r.ptr_rcode = 3;
    stats_counters_row(&c, &r);
    r.verdict = STATS_VERDICT_TEMPFAIL;
    r.flags = 0;
    r.ptr_rcode = -1;
    stats_counters_row(&c, &r);
    r.ptr_rcode = 16; /* extended: no slot, but the row counts */
    stats_counters_row(&c, &r);
    cr_assert_eq(c.rows, 3);
    cr_assert_eq(c.verdicts[STATS_VERDICT_PARTIAL], 1);
    cr_assert_eq(c.verdicts[STATS_VERDICT_TEMPFAIL], 2);
    cr_assert_eq(c.flags[2], 1);
    cr_assert_eq(c.flags[STATS_FLAG_COUNT - 1], 1);
    cr_assert_eq(c.rcodes[3], 1);
    cr_assert_eq(c.rcodes[STATS_RCODE_SLOTS - 1], 1);
    uint64_t total = 0;
    for (unsigned i = 0; i < STATS_RCODE_SLOTS; i++)
        total += c.rcodes[i];
    cr_assert_eq(total, 2);
}

Test(stats_counters, sum_adds_every_field_of_every_block)
{
    static struct stats_counters b[3], out;
    const struct stats_counters *blocks[3] = { &b[0], &b[1], &b[2] };
    for (unsigned k = 0; k < 3; k++) {
        /* Fill every 64-bit word of the block (the struct is all counters). */
        uint64_t *w = (uint64_t *)&b[k];
        for (size_t i = 0; i < offsetof(struct stats_counters, dropped) / 8 + STATS_DROP_COUNT; i++)
            w[i] = (k + 1) * 1000 + i;
    }
    memset(&out, 0xFF, sizeof(out));
    stats_counters_sum(&out, blocks, 3);
    const uint64_t *o = (const uint64_t *)&out;
    for (size_t i = 0; i < offsetof(struct stats_counters, dropped) / 8 + STATS_DROP_COUNT; i++)
        cr_assert_eq(o[i], 6000 + 3 * i, "word %zu", i);
    stats_counters_sum(&out, blocks, 0);
    cr_assert_eq(out.rows, 0);
}

struct owner {
    struct stats_counters c;
    unsigned n;
};

static void *owner_thread(void *arg)
{
    struct owner *o = arg;
    struct stats_record r;
    memset(&r, 0, sizeof(r));
    r.verdict = STATS_VERDICT_PASS;
    r.ptr_rcode = 0;
    for (unsigned i = 0; i < o->n; i++)
        stats_counters_row(&o->c, &r);
    return NULL;
}

Test(stats_counters, summing_while_the_owner_writes_is_monotonic)
{
    static struct owner o;
    static struct stats_counters sum;
    o.n = 2000000;
    const struct stats_counters *blocks[1] = { &o.c };
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, owner_thread, &o), 0);
    uint64_t last = 0;
    for (unsigned i = 0; i < 2000; i++) {
        stats_counters_sum(&sum, blocks, 1);
        cr_assert_geq(sum.rows, last);
        cr_assert_leq(sum.rows, o.n);
        last = sum.rows;
    }
    pthread_join(th, NULL);
    stats_counters_sum(&sum, blocks, 1);
    cr_assert_eq(sum.rows, o.n);
    cr_assert_eq(sum.verdicts[STATS_VERDICT_PASS], o.n);
    cr_assert_eq(sum.rcodes[0], o.n);
}
