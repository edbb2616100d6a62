/*
 * stats/writer.h - one result row (struct stats_record) as one text line.
 *
 * Purpose: the output formats of docs/output.md: JSONL (one object per
 * line, keys in schema order, docs/result.schema.json) and CSV (header
 * ip,verdict,stage,reason,flags,ptr,addrs; RFC 4180 quoting; LF line ends).
 * Names are presented with pkt_dns_name_present (lower case, \DDD escapes,
 * RFC 1035 §5.1) and then JSON- or CSV-escaped, so hostile label bytes
 * (docs/test-cases.md P19/P20) cannot break a line, a field or a terminal.
 * Formats are a static table of { suffix, header, format function } in
 * writer.c; the output file's name selects one.
 * Threading: pure functions on caller storage; any thread, reentrant.
 * Memory: no allocation; the caller's buffer (STATS_RECORD_LINE_MAX bytes
 * always suffice). Hot path: yes (one call per row, millions of rows).
 * Untrusted input: yes (names and addresses came off the wire).
 * Also implements record.h's name functions and error.h's stats_strerror.
 */
#ifndef FCRSCAN_STATS_WRITER_H
#define FCRSCAN_STATS_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/error.h"
#include "stats/record.h"

/* Output formats (the order of writer.c's table). */
enum stats_format { STATS_FORMAT_JSONL, STATS_FORMAT_CSV, STATS_FORMAT_COUNT };

/*
 * Longest JSON-escaped presentation of one name, without quotes: 4 labels
 * (63+63+63+61 octets, 255 wire octets) of 0xFF, each octet "\\255" (5 chars
 * after JSON doubles the backslash), plus 3 dots.
 */
#define STATS_NAME_JSON_MAX (5 * (PKT_DNS_NAME_MAX - 1 - 4) + 3)

/*
 * Buffer size that holds any record in any format, final newline and NUL
 * included: STATS_NAMES_MAX names of STATS_NAME_JSON_MAX, each with
 * STATS_ADDRS_MAX IPv6 addresses of maximal text, every flag, maximal
 * numbers. writer.c computes the exact worst case and _Static_asserts it
 * fits; P20's test formats such a record.
 */
#define STATS_RECORD_LINE_MAX (192 * 1024)

/* RFC 3339 UTC timestamp with milliseconds: "2026-11-26T09:00:00.123Z". */
#define STATS_TS_LEN 24

/*
 * Format one record as one line ending in '\n' into buf[0..cap) and NUL-
 * terminate it. r is borrowed. JSONL: ip, verdict, [stage, reason: tempfail
 * only], flags, ptr, names[{name, status, addrs[, reason: tempfail names
 * with a reason]}], ptr_rcode, queries, elapsed_ms (3 decimals), ts. CSV:
 * the header's seven fields; addrs are the unique addresses of the row's
 * family over all names, in order of appearance.
 * Returns the line length (without the NUL), STATS_E_SPACE when cap is too
 * small (cap >= STATS_RECORD_LINE_MAX never is; buf is then ""), or
 * STATS_E_RECORD when a field would violate the schema: verdict, status or
 * flag bits out of range; tempfail without stage or reason; nb_names or
 * nb_addr above their maxima; an empty or malformed name; an address family
 * other than 4/6; queries == 0; ptr_rcode < -1 or > 4095. ts_ms outside
 * years 0000-9999 is clamped to that range.
 * Threading: any thread.
 */
__attribute__((warn_unused_result)) int
stats_record_format(const struct stats_record *r, enum stats_format fmt, char *buf, size_t cap);

/*
 * The line a file of format fmt starts with: "ip,verdict,stage,reason,flags,
 * ptr,addrs\n" for CSV, "" for JSONL. Static string. Threading: any thread.
 */
const char *stats_writer_header(enum stats_format fmt);

/*
 * Choose the format from an output file name: "*.jsonl" or "*.csv",
 * optionally followed by ".zst" (*zstd is then true). NULL and "-" mean
 * stdout: JSONL, uncompressed. Anything else returns STATS_E_FORMAT and puts
 * a message naming the file (control bytes escaped, length bounded) into
 * err[0..err_cap) (err may be NULL). path borrowed. Threading: any thread.
 */
__attribute__((warn_unused_result)) int stats_writer_format_from_path(const char *path,
                                                                      enum stats_format *fmt,
                                                                      bool *zstd, char *err,
                                                                      size_t err_cap);

/*
 * Name of a PTR rcode as written in ptr_rcode and the summary: 0..15 by
 * their IANA mnemonics ("NOERROR", "NXDOMAIN", ..., "RCODE12".."RCODE15"),
 * -1 "TIMEOUT". Other values return NULL. Static strings. Threading: any.
 */
const char *stats_rcode_name(int rcode);

/*
 * ts_ms (Unix epoch milliseconds) as RFC 3339 UTC with milliseconds into
 * out[0..STATS_TS_LEN] (NUL-terminated). Years outside 0000-9999 are clamped.
 * No locale, no gmtime. Returns STATS_TS_LEN. Threading: any thread.
 */
size_t stats_writer_ts(int64_t ts_ms, char *out);

#endif
