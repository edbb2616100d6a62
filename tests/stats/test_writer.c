/*
 * tests/stats/test_writer.c - result rows as JSONL and CSV (docs/output.md,
 * docs/result.schema.json, docs/test-cases.md P19, P20).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "stats/stats_internal.h"
#include "stats/writer.h"
#include "testutil.h"

static struct stats_record rec; /* 17 KiB: static, not on the stack */
static char line[STATS_RECORD_LINE_MAX];

#define TS "\"ts\":\"2026-11-26T09:00:00.123Z\"}\n"

static const char *const none[] = { NULL };

/* ---- one builder per verdict, with the exact expected lines ---------------- */

static void build_partial(struct stats_record *r)
{
    tu_record(r, "198.51.100.7");
    r->verdict = STATS_VERDICT_PARTIAL;
    r->flags = STATS_FLAG_MULTI_PTR;
    tu_add_name(r, "mail.example.net", STATS_NAME_CONFIRMED,
                (const char *const[]){ "198.51.100.7", NULL });
    tu_add_name(r, "old.example.net", STATS_NAME_MISMATCH,
                (const char *const[]){ "203.0.113.9", NULL });
    r->ptr_rcode = 0;
    r->queries = 3;
    r->elapsed_us = 12500;
}

static void build_pass(struct stats_record *r)
{
    tu_record(r, "203.0.113.10");
    r->verdict = STATS_VERDICT_PASS;
    r->flags = STATS_FLAG_MULTI_PTR | STATS_FLAG_FORWARD_CNAME;
    tu_add_name(r, "MX1.Example.COM", STATS_NAME_CONFIRMED,
                (const char *const[]){ "203.0.113.10", "203.0.113.11", NULL });
    tu_add_name(r, "mx2.example.com", STATS_NAME_CONFIRMED,
                (const char *const[]){ "203.0.113.11", "203.0.113.10", NULL });
    r->queries = 3;
    r->elapsed_us = 999;
}

static void build_pass_over_limit(struct stats_record *r)
{
    tu_record(r, "203.0.113.20");
    r->verdict = STATS_VERDICT_PASS;
    r->flags = STATS_FLAG_MULTI_PTR | STATS_FLAG_MULTI_PTR_OVER_LIMIT | STATS_FLAG_GENERIC_NAME;
    tu_add_name(r, "host-203-0-113-20.example.net", STATS_NAME_CONFIRMED,
                (const char *const[]){ "203.0.113.20", NULL });
    tu_add_name(r, "extra.example.net", STATS_NAME_NOT_EVALUATED, none);
    r->queries = 2;
    r->elapsed_us = 1000;
}

static void build_tempfail_reverse(struct stats_record *r)
{
    tu_record(r, "2001:db8::1");
    r->verdict = STATS_VERDICT_TEMPFAIL;
    r->stage = STATS_STAGE_REVERSE;
    r->reason = STATS_REASON_TIMEOUT;
    r->ptr_rcode = -1;
    r->queries = 5;
    r->elapsed_us = 7500000;
}

static void build_tempfail_forward(struct stats_record *r)
{
    tu_record(r, "192.0.2.1");
    r->verdict = STATS_VERDICT_TEMPFAIL;
    r->stage = STATS_STAGE_FORWARD;
    r->reason = STATS_REASON_SERVFAIL;
    struct stats_name *n = tu_add_name(r, "a.example.net", STATS_NAME_TEMPFAIL, none);
    n->reason = STATS_REASON_SERVFAIL;
    r->queries = 6;
    r->elapsed_us = 1;
}

static void build_tempfail_refused(struct stats_record *r)
{
    tu_record(r, "192.0.2.9");
    r->verdict = STATS_VERDICT_TEMPFAIL;
    r->stage = STATS_STAGE_REVERSE;
    r->reason = STATS_REASON_REFUSED;
    r->ptr_rcode = 5;
    r->queries = 2;
    r->elapsed_us = 2000;
}

static void build_no_ptr(struct stats_record *r)
{
    tu_record(r, "192.0.2.2");
    r->verdict = STATS_VERDICT_NO_PTR;
    r->ptr_rcode = 3;
    /* stage/reason are ignored outside tempfail: never printed. */
    r->stage = STATS_STAGE_REVERSE;
    r->reason = STATS_REASON_OTHER;
}

static void build_ptr_nodata(struct stats_record *r)
{
    tu_record(r, "192.0.2.5");
    r->verdict = STATS_VERDICT_PTR_NODATA;
    r->flags = STATS_FLAG_CNAME_REVERSE;
    r->queries = 2;
    r->elapsed_us = 1234567;
}

static void build_mismatch_wrong_family(struct stats_record *r)
{
    tu_record(r, "192.0.2.3");
    r->verdict = STATS_VERDICT_MISMATCH;
    r->flags = STATS_FLAG_WRONG_FAMILY;
    tu_add_name(r, "v6only.example.net", STATS_NAME_MISMATCH,
                (const char *const[]){ "2001:db8::5", NULL });
    r->queries = 3;
}

static void build_dangling(struct stats_record *r)
{
    tu_record(r, "2001:db8:f00::1");
    r->verdict = STATS_VERDICT_DANGLING;
    r->flags = STATS_FLAG_GENERIC_NAME;
    tu_add_name(r, "2001-db8-f00--1.example.net", STATS_NAME_DANGLING, none);
    r->queries = 3;
}

static void build_unusable(struct stats_record *r)
{
    tu_record(r, "192.0.2.4");
    r->verdict = STATS_VERDICT_UNUSABLE;
    r->flags = STATS_FLAG_IP_LITERAL | STATS_FLAG_MULTI_PTR;
    tu_add_name(r, "192.0.2.4", STATS_NAME_UNUSABLE, none);
    struct stats_name *root = &r->names[r->nb_names++];
    memset(root, 0, sizeof(*root));
    root->name.len = 1; /* the root name: wire "\0", presented "." */
    root->status = STATS_NAME_UNUSABLE;
    r->ptr_rcode = 0;
}

static void build_rcode12(struct stats_record *r)
{
    tu_record(r, "192.0.2.6");
    r->verdict = STATS_VERDICT_TEMPFAIL;
    r->stage = STATS_STAGE_REVERSE;
    r->reason = STATS_REASON_OTHER;
    r->ptr_rcode = 12;
}

static void build_rcode_ext(struct stats_record *r)
{
    build_rcode12(r);
    r->ptr_rcode = 16; /* BADVERS/BADSIG via EDNS: no table name */
}

struct golden {
    const char *what;
    void (*build)(struct stats_record *r);
    const char *json;
    const char *csv;
};

static const struct golden goldens[] = {
    { "partial (docs/output.md example)", build_partial,
      "{\"ip\":\"198.51.100.7\",\"verdict\":\"partial\",\"flags\":[\"multi-ptr\"],"
      "\"ptr\":[\"mail.example.net\",\"old.example.net\"],"
      "\"names\":[{\"name\":\"mail.example.net\",\"status\":\"confirmed\",\"addrs\":[\"198.51.100."
      "7\"]},"
      "{\"name\":\"old.example.net\",\"status\":\"mismatch\",\"addrs\":[\"203.0.113.9\"]}],"
      "\"ptr_rcode\":\"NOERROR\",\"queries\":3,\"elapsed_ms\":12.500," TS,
      "198.51.100.7,partial,,,multi-ptr,mail.example.net;old.example.net,198.51.100.7;203.0.113."
      "9\n" },
    { "pass, two names, shared addresses", build_pass,
      "{\"ip\":\"203.0.113.10\",\"verdict\":\"pass\",\"flags\":[\"multi-ptr\",\"forward-cname\"],"
      "\"ptr\":[\"mx1.example.com\",\"mx2.example.com\"],"
      "\"names\":[{\"name\":\"mx1.example.com\",\"status\":\"confirmed\","
      "\"addrs\":[\"203.0.113.10\",\"203.0.113.11\"]},"
      "{\"name\":\"mx2.example.com\",\"status\":\"confirmed\","
      "\"addrs\":[\"203.0.113.11\",\"203.0.113.10\"]}],"
      "\"ptr_rcode\":\"NOERROR\",\"queries\":3,\"elapsed_ms\":0.999," TS,
      "203.0.113.10,pass,,,multi-ptr;forward-cname,mx1.example.com;mx2.example.com,203.0.113.10;"
      "203.0.113.11\n" },
    { "pass over the PTR limit", build_pass_over_limit,
      "{\"ip\":\"203.0.113.20\",\"verdict\":\"pass\","
      "\"flags\":[\"generic-name\",\"multi-ptr\",\"multi-ptr-over-limit\"],"
      "\"ptr\":[\"host-203-0-113-20.example.net\",\"extra.example.net\"],"
      "\"names\":[{\"name\":\"host-203-0-113-20.example.net\",\"status\":\"confirmed\","
      "\"addrs\":[\"203.0.113.20\"]},"
      "{\"name\":\"extra.example.net\",\"status\":\"not-evaluated\",\"addrs\":[]}],"
      "\"ptr_rcode\":\"NOERROR\",\"queries\":2,\"elapsed_ms\":1.000," TS,
      "203.0.113.20,pass,,,generic-name;multi-ptr;multi-ptr-over-limit,"
      "host-203-0-113-20.example.net;extra.example.net,203.0.113.20\n" },
    { "tempfail reverse timeout (IPv6)", build_tempfail_reverse,
      "{\"ip\":\"2001:db8::1\",\"verdict\":\"tempfail\",\"stage\":\"reverse\","
      "\"reason\":\"timeout\",\"flags\":[],\"ptr\":[],\"names\":[],\"ptr_rcode\":\"TIMEOUT\","
      "\"queries\":5,\"elapsed_ms\":7500.000," TS,
      "2001:db8::1,tempfail,reverse,timeout,,,\n" },
    { "tempfail forward servfail", build_tempfail_forward,
      "{\"ip\":\"192.0.2.1\",\"verdict\":\"tempfail\",\"stage\":\"forward\","
      "\"reason\":\"servfail\",\"flags\":[],\"ptr\":[\"a.example.net\"],"
      "\"names\":[{\"name\":\"a.example.net\",\"status\":\"tempfail\",\"addrs\":[],"
      "\"reason\":\"servfail\"}],"
      "\"ptr_rcode\":\"NOERROR\",\"queries\":6,\"elapsed_ms\":0.001," TS,
      "192.0.2.1,tempfail,forward,servfail,,a.example.net,\n" },
    { "tempfail reverse refused", build_tempfail_refused,
      "{\"ip\":\"192.0.2.9\",\"verdict\":\"tempfail\",\"stage\":\"reverse\","
      "\"reason\":\"refused\",\"flags\":[],\"ptr\":[],\"names\":[],\"ptr_rcode\":\"REFUSED\","
      "\"queries\":2,\"elapsed_ms\":2.000," TS,
      "192.0.2.9,tempfail,reverse,refused,,,\n" },
    { "no-ptr", build_no_ptr,
      "{\"ip\":\"192.0.2.2\",\"verdict\":\"no-ptr\",\"flags\":[],\"ptr\":[],\"names\":[],"
      "\"ptr_rcode\":\"NXDOMAIN\",\"queries\":1,\"elapsed_ms\":0.000," TS,
      "192.0.2.2,no-ptr,,,,,\n" },
    { "ptr-nodata", build_ptr_nodata,
      "{\"ip\":\"192.0.2.5\",\"verdict\":\"ptr-nodata\",\"flags\":[\"cname-reverse\"],\"ptr\":[],"
      "\"names\":[],\"ptr_rcode\":\"NOERROR\",\"queries\":2,\"elapsed_ms\":1234.567," TS,
      "192.0.2.5,ptr-nodata,,,cname-reverse,,\n" },
    { "mismatch, wrong family", build_mismatch_wrong_family,
      "{\"ip\":\"192.0.2.3\",\"verdict\":\"mismatch\",\"flags\":[\"wrong-family\"],"
      "\"ptr\":[\"v6only.example.net\"],"
      "\"names\":[{\"name\":\"v6only.example.net\",\"status\":\"mismatch\","
      "\"addrs\":[\"2001:db8::5\"]}],"
      "\"ptr_rcode\":\"NOERROR\",\"queries\":3,\"elapsed_ms\":0.000," TS,
      /* CSV addrs hold only the target's family. */
      "192.0.2.3,mismatch,,,wrong-family,v6only.example.net,\n" },
    { "dangling", build_dangling,
      "{\"ip\":\"2001:db8:f00::1\",\"verdict\":\"dangling\",\"flags\":[\"generic-name\"],"
      "\"ptr\":[\"2001-db8-f00--1.example.net\"],"
      "\"names\":[{\"name\":\"2001-db8-f00--1.example.net\",\"status\":\"dangling\","
      "\"addrs\":[]}],"
      "\"ptr_rcode\":\"NOERROR\",\"queries\":3,\"elapsed_ms\":0.000," TS,
      "2001:db8:f00::1,dangling,,,generic-name,2001-db8-f00--1.example.net,\n" },
    { "unusable: IP literal and root", build_unusable,
      "{\"ip\":\"192.0.2.4\",\"verdict\":\"unusable\",\"flags\":[\"multi-ptr\",\"ip-literal\"],"
      "\"ptr\":[\"192.0.2.4\",\".\"],"
      "\"names\":[{\"name\":\"192.0.2.4\",\"status\":\"unusable\",\"addrs\":[]},"
      "{\"name\":\".\",\"status\":\"unusable\",\"addrs\":[]}],"
      "\"ptr_rcode\":\"NOERROR\",\"queries\":1,\"elapsed_ms\":0.000," TS,
      "192.0.2.4,unusable,,,multi-ptr;ip-literal,192.0.2.4;.,\n" },
    { "rcode 12", build_rcode12,
      "{\"ip\":\"192.0.2.6\",\"verdict\":\"tempfail\",\"stage\":\"reverse\",\"reason\":\"other\","
      "\"flags\":[],\"ptr\":[],\"names\":[],\"ptr_rcode\":\"RCODE12\",\"queries\":1,"
      "\"elapsed_ms\":0.000," TS,
      "192.0.2.6,tempfail,reverse,other,,,\n" },
    { "extended rcode 16", build_rcode_ext,
      "{\"ip\":\"192.0.2.6\",\"verdict\":\"tempfail\",\"stage\":\"reverse\",\"reason\":\"other\","
      "\"flags\":[],\"ptr\":[],\"names\":[],\"ptr_rcode\":\"RCODE16\",\"queries\":1,"
      "\"elapsed_ms\":0.000," TS,
      "192.0.2.6,tempfail,reverse,other,,,\n" },
};
#define NB_GOLDEN (sizeof(goldens) / sizeof(goldens[0]))

Test(stats_writer, formats_every_verdict_exactly_as_jsonl)
{
    bool seen[STATS_VERDICT_COUNT] = { false };
    for (size_t i = 0; i < NB_GOLDEN; i++) {
        goldens[i].build(&rec);
        seen[rec.verdict] = true;
        int n = stats_record_format(&rec, STATS_FORMAT_JSONL, line, sizeof(line));
        cr_assert_gt(n, 0, "%s: rc %d", goldens[i].what, n);
        cr_assert_eq((size_t)n, strlen(line), "%s", goldens[i].what);
        cr_assert_str_eq(line, goldens[i].json, "%s", goldens[i].what);
    }
    for (unsigned v = 0; v < STATS_VERDICT_COUNT; v++)
        cr_assert(seen[v], "no golden row for verdict %s", stats_verdict_name(v));
}

Test(stats_writer, formats_every_verdict_exactly_as_csv)
{
    for (size_t i = 0; i < NB_GOLDEN; i++) {
        goldens[i].build(&rec);
        int n = stats_record_format(&rec, STATS_FORMAT_CSV, line, sizeof(line));
        cr_assert_gt(n, 0, "%s: rc %d", goldens[i].what, n);
        cr_assert_str_eq(line, goldens[i].csv, "%s", goldens[i].what);
    }
}

Test(stats_writer, csv_header_and_jsonl_has_none)
{
    cr_assert_str_eq(stats_writer_header(STATS_FORMAT_CSV),
                     "ip,verdict,stage,reason,flags,ptr,addrs\n");
    cr_assert_str_eq(stats_writer_header(STATS_FORMAT_JSONL), "");
}

Test(stats_writer, csv_addrs_are_unique_and_in_target_family)
{
    tu_record(&rec, "192.0.2.7");
    rec.verdict = STATS_VERDICT_PARTIAL;
    tu_add_name(&rec, "a.example", STATS_NAME_CONFIRMED,
                (const char *const[]){ "192.0.2.7", "192.0.2.8", NULL });
    tu_add_name(&rec, "b.example", STATS_NAME_MISMATCH,
                (const char *const[]){ "192.0.2.8", "192.0.2.9", "192.0.2.7", NULL });
    tu_add_name(&rec, "c.example", STATS_NAME_MISMATCH,
                (const char *const[]){ "2001:db8::7", NULL });
    int n = stats_record_format(&rec, STATS_FORMAT_CSV, line, sizeof(line));
    cr_assert_gt(n, 0);
    cr_assert_str_eq(line, "192.0.2.7,partial,,,,a.example;b.example;c.example,"
                           "192.0.2.7;192.0.2.8;192.0.2.9\n");
}

/* ---- rejected records -------------------------------------------------------- */

static void bad_verdict(struct stats_record *r)
{
    r->verdict = STATS_VERDICT_COUNT;
}
static void bad_tempfail_no_stage(struct stats_record *r)
{
    r->verdict = STATS_VERDICT_TEMPFAIL;
    r->reason = STATS_REASON_TIMEOUT;
}
static void bad_tempfail_no_reason(struct stats_record *r)
{
    r->verdict = STATS_VERDICT_TEMPFAIL;
    r->stage = STATS_STAGE_FORWARD;
}
static void bad_tempfail_stage_range(struct stats_record *r)
{
    bad_tempfail_no_reason(r);
    r->reason = STATS_REASON_OTHER;
    r->stage = 7;
}
static void bad_flags(struct stats_record *r)
{
    r->flags = 1u << STATS_FLAG_COUNT;
}
static void bad_queries(struct stats_record *r)
{
    r->queries = 0;
}
static void bad_rcode_low(struct stats_record *r)
{
    r->ptr_rcode = -2;
}
static void bad_rcode_high(struct stats_record *r)
{
    r->ptr_rcode = 4096;
}
static void bad_family(struct stats_record *r)
{
    r->ip.family = 5;
}
static void bad_nb_names(struct stats_record *r)
{
    r->nb_names = STATS_NAMES_MAX + 1;
}
static void bad_status(struct stats_record *r)
{
    r->names[0].status = STATS_NAME_STATUS_COUNT;
}
static void bad_nb_addr(struct stats_record *r)
{
    r->names[0].nb_addr = STATS_ADDRS_MAX + 1;
}
static void bad_addr_family(struct stats_record *r)
{
    r->names[0].addr[0].family = 0;
}
static void bad_name_empty(struct stats_record *r)
{
    r->names[0].name.len = 0;
}
static void bad_name_label_overrun(struct stats_record *r)
{
    r->names[0].name.wire[0] = 40; /* "mail" label claims 40 octets */
}
static void bad_name_no_root(struct stats_record *r)
{
    r->names[0].name.len--; /* drop the root label */
}
static void bad_name_label_type(struct stats_record *r)
{
    r->names[0].name.wire[0] = 0xC0; /* a compression pointer has no place in a stored name */
}

Test(stats_writer, rejects_records_that_would_break_the_schema)
{
    static void (*const breakers[])(struct stats_record *) = {
        bad_verdict,
        bad_tempfail_no_stage,
        bad_tempfail_no_reason,
        bad_tempfail_stage_range,
        bad_flags,
        bad_queries,
        bad_rcode_low,
        bad_rcode_high,
        bad_family,
        bad_nb_names,
        bad_status,
        bad_nb_addr,
        bad_addr_family,
        bad_name_empty,
        bad_name_label_overrun,
        bad_name_no_root,
        bad_name_label_type,
    };
    for (size_t i = 0; i < sizeof(breakers) / sizeof(breakers[0]); i++) {
        for (unsigned f = 0; f < STATS_FORMAT_COUNT; f++) {
            build_partial(&rec);
            cr_assert_gt(stats_record_format(&rec, (enum stats_format)f, line, sizeof(line)), 0);
            breakers[i](&rec);
            memset(line, 'x', 64);
            int rc = stats_record_format(&rec, (enum stats_format)f, line, sizeof(line));
            cr_assert_eq(rc, STATS_E_RECORD, "breaker %zu format %u: rc %d", i, f, rc);
            cr_assert_str_eq(line, "", "breaker %zu leaves an empty buffer", i);
        }
    }
}

Test(stats_writer, too_small_buffers_never_overflow)
{
    static char small[2048];
    for (size_t g = 0; g < NB_GOLDEN; g++) {
        for (unsigned f = 0; f < STATS_FORMAT_COUNT; f++) {
            goldens[g].build(&rec);
            int full = stats_record_format(&rec, (enum stats_format)f, line, sizeof(line));
            cr_assert_gt(full, 0);
            cr_assert_lt((size_t)full + 64, sizeof(small));
            for (size_t cap = 0; cap <= (size_t)full + 1; cap++) {
                memset(small, 0x5A, sizeof(small));
                int rc = stats_record_format(&rec, (enum stats_format)f, small, cap);
                for (size_t k = cap; k < sizeof(small); k++)
                    cr_assert_eq(small[k], 0x5A, "%s cap %zu: byte %zu written", goldens[g].what,
                                 cap, k);
                if (cap == (size_t)full + 1) {
                    cr_assert_eq(rc, full);
                    cr_assert_str_eq(small, line);
                } else {
                    cr_assert_eq(rc, STATS_E_SPACE, "%s cap %zu rc %d", goldens[g].what, cap, rc);
                    if (cap > 0)
                        cr_assert_eq(small[0], '\0');
                }
            }
        }
    }
}

/* ---- time and numbers ---------------------------------------------------------- */

Test(stats_writer, timestamps_are_rfc3339_utc_milliseconds)
{
    static const struct {
        int64_t ms;
        const char *text;
    } cases[] = {
        { 0, "1970-01-01T00:00:00.000Z" },
        { 1795683600123LL, "2026-11-26T09:00:00.123Z" },
        { 1709251199000LL + 999, "2024-02-29T23:59:59.999Z" },
        { 951868800000LL, "2000-03-01T00:00:00.000Z" },
        { -1, "1969-12-31T23:59:59.999Z" },
        { -2208988800000LL, "1900-01-01T00:00:00.000Z" },
        { 253402300799999LL, "9999-12-31T23:59:59.999Z" },
        { INT64_MAX, "9999-12-31T23:59:59.999Z" },
        { INT64_MIN, "0000-01-01T00:00:00.000Z" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char ts[STATS_TS_LEN + 1];
        memset(ts, 'x', sizeof(ts));
        cr_assert_eq(stats_writer_ts(cases[i].ms, ts), STATS_TS_LEN);
        cr_assert_str_eq(ts, cases[i].text, "ms %lld", (long long)cases[i].ms);
    }
}

Test(stats_writer, elapsed_ms_keeps_three_decimals_up_to_uint64_max)
{
    build_no_ptr(&rec);
    rec.elapsed_us = UINT64_MAX;
    int n = stats_record_format(&rec, STATS_FORMAT_JSONL, line, sizeof(line));
    cr_assert_gt(n, 0);
    cr_assert_not_null(strstr(line, "\"elapsed_ms\":18446744073709551.615,"), "%s", line);
    rec.queries = UINT32_MAX;
    n = stats_record_format(&rec, STATS_FORMAT_JSONL, line, sizeof(line));
    cr_assert_not_null(strstr(line, "\"queries\":4294967295,"), "%s", line);
}

Test(stats_writer, names_functions_match_the_schema_strings)
{
    cr_assert_str_eq(stats_verdict_name(STATS_VERDICT_PTR_NODATA), "ptr-nodata");
    cr_assert_str_eq(stats_verdict_name(STATS_VERDICT_NO_PTR), "no-ptr");
    cr_assert_str_eq(stats_verdict_name(99), "?");
    cr_assert_str_eq(stats_stage_name(STATS_STAGE_FORWARD), "forward");
    cr_assert_str_eq(stats_stage_name(STATS_STAGE_NONE), "");
    cr_assert_str_eq(stats_reason_name(STATS_REASON_REFUSED), "refused");
    cr_assert_str_eq(stats_name_status_name(STATS_NAME_NOT_EVALUATED), "not-evaluated");
    cr_assert_str_eq(stats_flag_name(0), "generic-name");
    cr_assert_str_eq(stats_flag_name(STATS_FLAG_COUNT - 1), "wildcard-reverse");
    cr_assert_str_eq(stats_flag_name(12), "forward-temp-other-name");
    cr_assert_str_eq(stats_flag_name(STATS_FLAG_COUNT), "?");
    cr_assert_str_eq(stats_rcode_name(-1), "TIMEOUT");
    cr_assert_str_eq(stats_rcode_name(3), "NXDOMAIN");
    cr_assert_str_eq(stats_rcode_name(11), "DSOTYPENI");
    cr_assert_null(stats_rcode_name(16));
    cr_assert_null(stats_rcode_name(-2));
}

/* Each flag bit with the string the schema gives it: a reordered list or
 * enum would pair a bit with another flag's name. */
Test(stats_writer, every_flag_bit_has_its_own_name)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } want[] = {
        { STATS_FLAG_GENERIC_NAME, "generic-name" },
        { STATS_FLAG_BARE_DOMAIN, "bare-domain" },
        { STATS_FLAG_MULTI_PTR, "multi-ptr" },
        { STATS_FLAG_MULTI_PTR_OVER_LIMIT, "multi-ptr-over-limit" },
        { STATS_FLAG_CNAME_REVERSE, "cname-reverse" },
        { STATS_FLAG_FORWARD_CNAME, "forward-cname" },
        { STATS_FLAG_WRONG_FAMILY, "wrong-family" },
        { STATS_FLAG_IP_LITERAL, "ip-literal" },
        { STATS_FLAG_INVALID_NAME, "invalid-name" },
        { STATS_FLAG_NON_FQDN, "non-fqdn" },
        { STATS_FLAG_PLACEHOLDER_NAME, "placeholder-name" },
        { STATS_FLAG_TRUNCATED, "truncated" },
        { STATS_FLAG_FORWARD_TEMP_OTHER_NAME, "forward-temp-other-name" },
        { STATS_FLAG_WILDCARD_REVERSE, "wildcard-reverse" },
    };
    cr_assert_eq(sizeof(want) / sizeof(want[0]), STATS_FLAG_COUNT);
    for (unsigned i = 0; i < STATS_FLAG_COUNT; i++)
        cr_assert_str_eq(stats_flag_name((unsigned)__builtin_ctz(want[i].bit)), want[i].name);
}

/* One rcode table: the rows' and the summary's names are the codec's. */
Test(stats_writer, rcode_names_are_the_codecs)
{
    for (int rc = 0; rc < 16; rc++)
        cr_assert_str_eq(stats_rcode_name(rc), pkt_dns_rcode_name((unsigned)rc), "rcode %d", rc);
}

Test(stats_writer, strerror_covers_project_and_system_codes)
{
    cr_assert_str_eq(stats_strerror(0), "ok");
    cr_assert_str_eq(stats_strerror(STATS_E_SPACE), "buffer too small");
    cr_assert_str_eq(stats_strerror(-ENOSPC), "No space left on device");
    cr_assert_str_eq(stats_strerror(-EPIPE), "Broken pipe");
    for (int e = STATS_E_SPACE; e >= STATS_E_LAST; e--)
        cr_assert_str_neq(stats_strerror(e), "unknown error", "code %d", e);
    cr_assert_str_eq(stats_strerror(STATS_E_LAST - 1), "unknown error");
    cr_assert_str_eq(stats_strerror(5), "unknown error");
}

/* ---- output file names ---------------------------------------------------------- */

Test(stats_writer, format_follows_the_output_file_name)
{
    static const struct {
        const char *path;
        int rc;
        enum stats_format fmt;
        bool zstd;
    } cases[] = {
        { NULL, 0, STATS_FORMAT_JSONL, false },
        { "-", 0, STATS_FORMAT_JSONL, false },
        { "out.jsonl", 0, STATS_FORMAT_JSONL, false },
        { "/tmp/x/out.jsonl.zst", 0, STATS_FORMAT_JSONL, true },
        { "r.csv", 0, STATS_FORMAT_CSV, false },
        { "dir.jsonl/r.csv.zst", 0, STATS_FORMAT_CSV, true },
        { "out.json", STATS_E_FORMAT, 0, false },
        { "out.zst", STATS_E_FORMAT, 0, false },
        { "out.csv.gz", STATS_E_FORMAT, 0, false },
        { "out.jsonl.zst.bak", STATS_E_FORMAT, 0, false },
        { "out.CSV", STATS_E_FORMAT, 0, false },
        { "", STATS_E_FORMAT, 0, false },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum stats_format fmt = STATS_FORMAT_COUNT;
        bool z = !cases[i].zstd;
        char err[256] = "";
        int rc = stats_writer_format_from_path(cases[i].path, &fmt, &z, err, sizeof(err));
        cr_assert_eq(rc, cases[i].rc, "%s", cases[i].path ? cases[i].path : "(null)");
        if (rc == 0) {
            cr_assert_eq(fmt, cases[i].fmt, "%s", cases[i].path ? cases[i].path : "(null)");
            cr_assert_eq(z, cases[i].zstd, "%s", cases[i].path ? cases[i].path : "(null)");
        } else {
            cr_assert_not_null(strstr(err, cases[i].path), "message names the file: %s", err);
        }
    }
}

Test(stats_writer, format_error_echoes_a_hostile_name_safely)
{
    char path[600];
    char err[STATS_PATH_ECHO_MAX + 200];
    memset(path, 'a', sizeof(path));
    memcpy(path, "\033[2J%n%s\n", 9);
    path[sizeof(path) - 1] = '\0';
    enum stats_format fmt;
    bool z;
    int rc = stats_writer_format_from_path(path, &fmt, &z, err, sizeof(err));
    cr_assert_eq(rc, STATS_E_FORMAT);
    cr_assert_not_null(strstr(err, "\\x1b[2J%n%s\\x0a"), "%s", err);
    cr_assert_not_null(strstr(err, "...: unknown format"), "cut visibly: %s", err);
    for (const char *p = err; *p != '\0'; p++)
        cr_assert(*p >= 0x20 && *p < 0x7F, "control byte in message");
    cr_assert_lt(strlen(err), (size_t)STATS_PATH_ECHO_MAX + 120);
    /* A tiny buffer still gets a NUL-terminated (cut) message. */
    char tiny[8];
    rc = stats_writer_format_from_path(path, &fmt, &z, tiny, sizeof(tiny));
    cr_assert_eq(rc, STATS_E_FORMAT);
    cr_assert_eq(strlen(tiny), sizeof(tiny) - 1);
}

/* ---- P19: hostile labels stay well-formed JSON and CSV --------------------------- */

struct hostile {
    const char *label;
    size_t len;
    const char *presented; /* presentation of "<label>.example.net" */
};

#define H(lit, pres)                              \
    {                                             \
        lit, sizeof(lit) - 1, pres ".example.net" \
    }
static const struct hostile hostiles[] = {
    H("a\0b", "a\\000b"),
    H("line\nbreak", "line\\010break"),
    H("cr\rlf", "cr\\013lf"),
    H("q\"uote", "q\\034uote"),
    H("com,ma", "com\\044ma"),
    H("semi;colon", "semi\\059colon"),
    H("back\\slash", "back\\092slash"),
    H("dot.ted", "dot\\.ted"),
    H("<script>alert(1)</script>", "<script>alert\\0401\\041</script>"),
    H("\xff\xfe", "\\255\\254"),
    H("\033[2J", "\\027[2j"),
    H("sp ace", "sp\\032ace"),
    H("del\x7f", "del\\127"),
    H("MiXeD", "mixed"),
    H("'single'", "'single'"),
    H("{\"json\":1}", "{\\034json\\034:1}"),
};
#define NB_HOSTILE (sizeof(hostiles) / sizeof(hostiles[0]))

/* Rows of hostile names: each hostile name once alone, then all in one row (up to 32). */
static unsigned build_hostile_rows(struct stats_record *rows, unsigned max)
{
    unsigned nb = 0;
    for (size_t i = 0; i < NB_HOSTILE && nb < max; i++, nb++) {
        struct stats_record *r = &rows[nb];
        tu_record(r, "192.0.2.77");
        r->verdict = STATS_VERDICT_MISMATCH;
        struct stats_name *n = &r->names[r->nb_names++];
        const char *labels[] = { hostiles[i].label, "example", "net" };
        const size_t lens[] = { hostiles[i].len, 7, 3 };
        tu_name_labels(&n->name, labels, lens, 3);
        n->status = STATS_NAME_MISMATCH;
        n->addr[n->nb_addr++] = tu_addr("192.0.2.78");
    }
    struct stats_record *r = &rows[nb++];
    tu_record(r, "2001:db8::77");
    r->verdict = STATS_VERDICT_TEMPFAIL;
    r->stage = STATS_STAGE_FORWARD;
    r->reason = STATS_REASON_OTHER;
    for (size_t i = 0; i < NB_HOSTILE; i++) {
        struct stats_name *n = &r->names[r->nb_names++];
        const char *labels[] = { hostiles[i].label, "example", "net" };
        const size_t lens[] = { hostiles[i].len, 7, 3 };
        tu_name_labels(&n->name, labels, lens, 3);
        n->status = (uint8_t)(i % STATS_NAME_STATUS_COUNT);
        n->reason = STATS_REASON_TIMEOUT;
        n->addr[n->nb_addr++] = tu_addr(i % 2 ? "2001:db8::1" : "192.0.2.1");
    }
    return nb;
}

/* Expected names: "<row>\t<presented>" per line. */
static void write_expected(const char *path, const struct stats_record *rows, unsigned nb)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (unsigned i = 0; i < nb; i++) {
        for (unsigned k = 0; k < rows[i].nb_names; k++) {
            size_t h = i < NB_HOSTILE ? i : k;
            fprintf(f, "%u\t%s\n", i, hostiles[h].presented);
        }
    }
    fclose(f);
}

static void write_rows(const char *path, enum stats_format fmt, const struct stats_record *rows,
                       unsigned nb)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs(stats_writer_header(fmt), f);
    for (unsigned i = 0; i < nb; i++) {
        int n = stats_record_format(&rows[i], fmt, line, sizeof(line));
        cr_assert_gt(n, 0, "row %u rc %d", i, n);
        cr_assert_eq(memchr(line, '\n', (size_t)n - 1), NULL, "row %u: one line per row", i);
        cr_assert_eq(fwrite(line, 1, (size_t)n, f), (size_t)n);
    }
    cr_assert_eq(fclose(f), 0);
}

/* Exit statuses of py_check_jsonl besides 0 (every row fine) and 1 (an
 * assertion): a row the schema rejects, and no jsonschema module (a
 * failure of its own, never mistaken for a rejected row). */
#define PY_SCHEMA_VIOLATION 3
#define PY_NO_JSONSCHEMA    4

/* argv: rows.jsonl schema.json expected.tsv */
static const char py_check_jsonl[] =
    "import json, sys\n"
    "try:\n"
    "    import jsonschema\n"
    "except ImportError as e:\n"
    "    print('python3-jsonschema is missing (scripts/deps installs it):', e, file=sys.stderr)\n"
    "    sys.exit(4)\n"
    "schema = json.load(open(sys.argv[2]))\n"
    "jsonschema.Draft202012Validator.check_schema(schema)\n"
    "val = jsonschema.Draft202012Validator(schema)\n"
    "exp = {}\n"
    "for l in open(sys.argv[3], encoding='ascii'):\n"
    "    i, name = l.rstrip('\\n').split('\\t', 1)\n"
    "    exp.setdefault(int(i), []).append(name)\n"
    "raw = open(sys.argv[1], 'rb').read()\n"
    "assert raw.endswith(b'\\n')\n"
    "lines = raw.split(b'\\n')[:-1]\n"
    "for n, b in enumerate(lines):\n"
    "    bad = [c for c in b if c < 0x20 or c >= 0x7f]\n"
    "    assert not bad, ('raw control/non-ASCII bytes in line', n, bad)\n"
    "    row = json.loads(b.decode('utf-8'))\n"
    "    try:\n"
    "        val.validate(row)\n"
    "    except jsonschema.ValidationError as e:\n"
    "        print('line', n, 'breaks the schema:', e.message, file=sys.stderr)\n"
    "        sys.exit(3)\n"
    "    assert row['ptr'] == exp.get(n, []), (n, row['ptr'], exp.get(n))\n"
    "    assert [x['name'] for x in row['names']] == row['ptr'], n\n"
    "assert all(i < len(lines) for i in exp), (len(lines), sorted(exp))\n";

/* argv: rows.csv expected.tsv */
static const char py_check_csv[] =
    "import csv, sys\n"
    "exp = {}\n"
    "for l in open(sys.argv[2], encoding='ascii'):\n"
    "    i, name = l.rstrip('\\n').split('\\t', 1)\n"
    "    exp.setdefault(int(i), []).append(name)\n"
    "with open(sys.argv[1], newline='', encoding='utf-8') as f:\n"
    "    rows = list(csv.reader(f, strict=True))\n"
    "assert rows[0] == ['ip','verdict','stage','reason','flags','ptr','addrs'], rows[0]\n"
    "rows = rows[1:]\n"
    "assert all(i < len(rows) for i in exp), (len(rows), sorted(exp))\n"
    "for n, r in enumerate(rows):\n"
    "    assert len(r) == 7, (n, r)\n"
    "    names = r[5].split(';') if r[5] else []\n"
    "    assert names == exp.get(n, []), (n, names, exp.get(n))\n";

Test(stats_writer, hostile_labels_give_wellformed_jsonl_and_csv)
{
    static struct stats_record rows[NB_HOSTILE + 1];
    unsigned nb = build_hostile_rows(rows, NB_HOSTILE + 1);
    const char *dir = tu_tmpdir();
    char jsonl[600], csvp[600], exp[600];
    snprintf(jsonl, sizeof(jsonl), "%s/hostile.jsonl", dir);
    snprintf(csvp, sizeof(csvp), "%s/hostile.csv", dir);
    snprintf(exp, sizeof(exp), "%s/expected.tsv", dir);
    write_expected(exp, rows, nb);
    write_rows(jsonl, STATS_FORMAT_JSONL, rows, nb);
    write_rows(csvp, STATS_FORMAT_CSV, rows, nb);

    cr_assert_eq(tu_python(py_check_jsonl, jsonl, tu_schema_path(), exp), 0,
                 "JSONL failed the parser/schema/round-trip check (see stderr)");
    cr_assert_eq(tu_python(py_check_csv, csvp, exp, NULL), 0,
                 "CSV failed the parser/round-trip check (see stderr)");
}

Test(stats_writer, golden_rows_validate_against_the_schema)
{
    const char *dir = tu_tmpdir();
    char jsonl[600], exp[600];
    snprintf(jsonl, sizeof(jsonl), "%s/golden.jsonl", dir);
    snprintf(exp, sizeof(exp), "%s/expected.tsv", dir);
    FILE *f = fopen(jsonl, "wb");
    FILE *e = fopen(exp, "w");
    cr_assert(f != NULL && e != NULL);
    for (size_t i = 0; i < NB_GOLDEN; i++) {
        goldens[i].build(&rec);
        int n = stats_record_format(&rec, STATS_FORMAT_JSONL, line, sizeof(line));
        cr_assert_gt(n, 0);
        fwrite(line, 1, (size_t)n, f);
        char pres[PKT_DNS_PRESENT_MAX];
        for (unsigned k = 0; k < rec.nb_names; k++) {
            cr_assert_geq(pkt_dns_name_present(rec.names[k].name.wire, rec.names[k].name.len, pres,
                                               sizeof(pres)),
                          0);
            fprintf(e, "%zu\t%s\n", i, pres);
        }
    }
    fclose(f);
    fclose(e);
    cr_assert_eq(tu_python(py_check_jsonl, jsonl, tu_schema_path(), exp), 0);
}

/* The validator itself must be able to fail: a row that breaks the schema is
 * caught as exactly that (not as a missing module or a crash), and the same
 * row unbroken passes. */
Test(stats_writer, schema_check_rejects_a_broken_row)
{
    const char *dir = tu_tmpdir();
    char jsonl[600], exp[600];
    snprintf(jsonl, sizeof(jsonl), "%s/broken.jsonl", dir);
    snprintf(exp, sizeof(exp), "%s/expected.tsv", dir);
    build_no_ptr(&rec);
    int n = stats_record_format(&rec, STATS_FORMAT_JSONL, line, sizeof(line));
    cr_assert_gt(n, 0);
    /* Inject a stage into a non-tempfail row: the schema's if/then/else forbids it. */
    char broken[1024];
    const char *at = strstr(line, ",\"flags\"");
    cr_assert_not_null(at);
    snprintf(broken, sizeof(broken), "%.*s,\"stage\":\"reverse\"%s", (int)(at - line), line, at);
    tu_write_file(exp, "", 0);
    tu_write_file(jsonl, line, (size_t)n);
    int rc = tu_python(py_check_jsonl, jsonl, tu_schema_path(), exp);
    cr_assert_neq(rc, PY_NO_JSONSCHEMA, "python3-jsonschema is missing (scripts/deps installs it)");
    cr_assert_eq(rc, 0, "the unbroken row fails the check (exit %d)", rc);
    tu_write_file(jsonl, broken, strlen(broken));
    rc = tu_python_quiet(py_check_jsonl, jsonl, tu_schema_path(), exp);
    cr_assert_neq(rc, PY_NO_JSONSCHEMA, "python3-jsonschema is missing (scripts/deps installs it)");
    cr_assert_eq(rc, PY_SCHEMA_VIOLATION, "the broken row was not rejected by the schema (exit %d)",
                 rc);
}

/* ---- P20: the largest names and the largest record ------------------------------- */

/* 63+63+63+61 octets of 0xFF: 255 wire octets, the longest presentation there is. */
static void max_name(struct pkt_dns_name *n)
{
    static char ff[63];
    memset(ff, 0xFF, sizeof(ff));
    const char *labels[] = { ff, ff, ff, ff };
    const size_t lens[] = { 63, 63, 63, 61 };
    tu_name_labels(n, labels, lens, 4);
    cr_assert_eq(n->len, PKT_DNS_NAME_MAX);
}

static void build_max_record(struct stats_record *r)
{
    tu_record(r, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    r->verdict = STATS_VERDICT_TEMPFAIL;
    r->stage = STATS_STAGE_FORWARD;
    r->reason = STATS_REASON_SERVFAIL;
    r->flags = (1u << STATS_FLAG_COUNT) - 1;
    r->ptr_rcode = 4095;
    r->queries = UINT32_MAX;
    r->elapsed_us = UINT64_MAX;
    r->ts_ms = INT64_MAX;
    for (unsigned i = 0; i < STATS_NAMES_MAX; i++) {
        struct stats_name *n = &r->names[r->nb_names++];
        max_name(&n->name);
        n->status = STATS_NAME_TEMPFAIL;
        n->reason = STATS_REASON_SERVFAIL;
        for (unsigned k = 0; k < STATS_ADDRS_MAX; k++) {
            struct pkt_addr *a = &n->addr[n->nb_addr++];
            a->family = PKT_ADDR_V6;
            memset(a->bytes, 0xFF, sizeof(a->bytes));
            a->bytes[15] = (uint8_t)(k | 0xF0); /* unique, still 4 hex digits per group */
        }
    }
}

Test(stats_writer, longest_name_presents_and_escapes_within_bounds)
{
    struct pkt_dns_name n;
    char pres[PKT_DNS_PRESENT_MAX];
    max_name(&n);
    int len = pkt_dns_name_present(n.wire, n.len, pres, sizeof(pres));
    cr_assert_eq(len, 250 * 4 + 3);
    tu_record(&rec, "192.0.2.1");
    rec.verdict = STATS_VERDICT_DANGLING;
    rec.nb_names = 1;
    rec.names[0].name = n;
    rec.names[0].status = STATS_NAME_DANGLING;
    int total = stats_record_format(&rec, STATS_FORMAT_JSONL, line, sizeof(line));
    cr_assert_gt(total, 0);
    /* "ptr":["<name>"] holds exactly STATS_NAME_JSON_MAX characters between the quotes. */
    const char *start = strstr(line, "\"ptr\":[\"") + 8;
    const char *end = strchr(start, '"');
    cr_assert_eq((size_t)(end - start), (size_t)STATS_NAME_JSON_MAX);
    cr_assert_eq(strncmp(start, "\\\\255\\\\255", 10), 0);
}

Test(stats_writer, largest_record_fits_and_round_trips)
{
    build_max_record(&rec);
    const char *dir = tu_tmpdir();
    char jsonl[600], csvp[600], exp[600];
    snprintf(jsonl, sizeof(jsonl), "%s/max.jsonl", dir);
    snprintf(csvp, sizeof(csvp), "%s/max.csv", dir);
    snprintf(exp, sizeof(exp), "%s/expected.tsv", dir);

    int nj = stats_record_format(&rec, STATS_FORMAT_JSONL, line, sizeof(line));
    cr_assert_gt(nj, 0, "rc %d", nj);
    cr_assert_lt(nj, STATS_RECORD_LINE_MAX);
    /* The bound is meaningful: the worst record uses a good part of it. */
    cr_assert_gt(nj, STATS_RECORD_LINE_MAX / 2, "%d", nj);
    tu_write_file(jsonl, line, (size_t)nj);
    int nc = stats_record_format(&rec, STATS_FORMAT_CSV, line, sizeof(line));
    cr_assert_gt(nc, 0);
    cr_assert_lt(nc, STATS_RECORD_LINE_MAX);

    char pres[PKT_DNS_PRESENT_MAX];
    cr_assert_eq(
        pkt_dns_name_present(rec.names[0].name.wire, rec.names[0].name.len, pres, sizeof(pres)),
        1003);
    FILE *e = fopen(exp, "w");
    cr_assert_not_null(e);
    for (unsigned k = 0; k < rec.nb_names; k++)
        fprintf(e, "0\t%s\n", pres);
    fclose(e);
    cr_assert_eq(tu_python(py_check_jsonl, jsonl, tu_schema_path(), exp), 0);

    FILE *f = fopen(csvp, "wb");
    cr_assert_not_null(f);
    fputs(stats_writer_header(STATS_FORMAT_CSV), f);
    fwrite(line, 1, (size_t)nc, f);
    fclose(f);
    cr_assert_eq(tu_python(py_check_csv, csvp, exp, NULL), 0);

    /* One byte short of the line and its NUL: refused, not truncated. */
    cr_assert_eq(stats_record_format(&rec, STATS_FORMAT_JSONL, line, (size_t)nj), STATS_E_SPACE);
}
