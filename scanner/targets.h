/*
 * scanner/targets.h - the target set: the addresses to scan, minus the
 * blocklists, as sorted disjoint intervals indexed by a 128-bit counter.
 *
 * Purpose: turns command-line targets, --input files and --blocklist files
 * into a set that can be enumerated lazily: index i in [0, count) maps to
 * exactly one address (IPv4 first, ascending, then IPv6, ascending), so the
 * permutation (scanner/perm.h) shuffles indices, never addresses.
 *
 * Memory: proportional to the number of intervals, never to the number of
 * addresses (0.0.0.0/0 and ::/0 are one interval each). While lines are
 * added, the interval arrays are sorted and merged in place whenever they
 * fill, so a list of 10^7 lines with duplicates or neighbours stays small.
 * Not the hot path except scan_targets_addr (one binary search).
 * Untrusted input: target and blocklist text (files, stdin, arguments).
 * Threading: setup only (new, add_*, finalize) on one thread; after
 * scan_targets_finalize the object is read-only and the query functions may
 * be called from any thread.
 *
 * Text syntax, one target per line in files:
 *   - "addr" or "addr/len": IPv4 dotted quad, or IPv6 in any inet_pton form
 *     (no zone index); len in decimal, 0-32 or 0-128. One target per line:
 *     spaces inside a target, control and non-ASCII bytes are errors.
 *   - Host bits set below the prefix ("1.2.3.4/24") are accepted and cleared:
 *     the line means the network 1.2.3.0/24. This is documented behaviour,
 *     not an error, because it is how people copy ranges from whois.
 *   - IPv4 octets with a leading zero ("010.1.1.1") are rejected: inet_aton
 *     reads them as octal, other tools as decimal, so the intent is unknown.
 *   - IPv4-mapped IPv6 with a prefix of /96 or longer (::ffff:a.b.c.d,
 *     ::ffff:a.b.c.0/120) is the IPv4 range a.b.c.d/(len-96): it is scanned,
 *     deduplicated and blocklisted as IPv4. Consequently "::ffff:0:0/96" means
 *     all of IPv4, in a blocklist too. A wider IPv6 prefix that merely
 *     contains the mapped block stays IPv6 (the default blocklist removes
 *     ::ffff:0:0/96 from it).
 *   - Files: '#' starts a comment to the end of the line; blank lines and
 *     leading/trailing spaces and tabs are ignored; LF or CRLF line ends; a
 *     missing final newline is fine; a UTF-8 byte order mark on line 1 is
 *     skipped. A line holding a NUL byte, or longer than
 *     SCAN_TARGETS_LINE_MAX bytes (terminator excluded), is an error; an
 *     over-long line is skipped without being stored.
 *   - An IPv6 target prefix shorter than /96 is refused unless the set was
 *     created with SCAN_TARGETS_ALLOW_LARGE (the CLI's --allow-large).
 *     Blocklist entries may have any length.
 *
 * Errors: every malformed line is recorded as one message of the form
 * "ORIGIN:LINE: TEXT: WHY" (e.g. "t.txt:3: 1.2.3.4/33: prefix length out of
 * range (0-32)"); the first SCAN_TARGETS_ERRORS_MAX are kept verbatim, the
 * rest only counted. Parsing goes on after an error so that the CLI can list
 * them all at once and exit 2 before sending anything.
 *
 * Default blocklist (disable with SCAN_TARGETS_NO_DEFAULT_BLOCKLIST): the
 * entries of the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * (RFC 6890 and its updates) plus 224.0.0.0/4 (multicast, RFC 5771). Left
 * out are registry entries of real, globally reachable hosts: AS112
 * (192.31.196.0/24, 192.175.48.0/24, 2620:4f:8000::/48) and AMT
 * (192.52.193.0/24). 2001::/23 is blocked whole, as the registry lists it,
 * so its small reachable sub-blocks (2001:3::/32, 2001:4:112::/48) go too.
 * Blocked deliberately although debatable: 2002::/16 (6to4; relays
 * deprecated by RFC 7526) and 64:ff9b::/96 (NAT64, RFC 6052; the registry
 * marks it globally reachable): their addresses stand for embedded IPv4
 * addresses, which are the real targets. scan_targets_default_blocklist
 * prints the list with the source of each entry.
 */
#ifndef FCRSCAN_SCANNER_TARGETS_H
#define FCRSCAN_SCANNER_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "packet/addr.h"

/*
 * Unsigned 128-bit integer for address counts and indices (2^128 addresses
 * in IPv6). __extension__ keeps -Wpedantic quiet; declared once, here.
 */
__extension__ typedef unsigned __int128 scan_u128;

#define SCAN_U128_MAX (~(scan_u128)0)

/* Buffer size for scan_u128_format: 39 digits of 2^128-1 plus NUL. */
#define SCAN_U128_TEXT_MAX 40

/*
 * Decimal text of v into buf (NUL-terminated). Returns the length, or -ENOSPC
 * when cap is too small (buf then holds "" if cap > 0).
 * Threading: any thread. No allocation.
 */
__attribute__((warn_unused_result)) int scan_u128_format(scan_u128 v, char *buf, size_t cap);

/* Longest accepted line in a target or blocklist file, terminator excluded. */
#define SCAN_TARGETS_LINE_MAX 1024
/* Error messages kept verbatim; later ones are only counted. */
#define SCAN_TARGETS_ERRORS_MAX 10
/* Buffer size of one kept error message, NUL included (longer ones are cut). */
#define SCAN_TARGETS_ERROR_LEN 256

/* Flags for scan_targets_new. */
#define SCAN_TARGETS_ALLOW_LARGE          0x1u /* accept IPv6 targets shorter than /96 */
#define SCAN_TARGETS_NO_DEFAULT_BLOCKLIST 0x2u /* do not subtract the special-purpose ranges */

/* Which list an added line goes to. */
enum scan_targets_list {
    SCAN_TARGETS_INCLUDE = 0, /* addresses to scan */
    SCAN_TARGETS_BLOCK = 1,   /* addresses never to scan (--blocklist) */
};

/* The target set (opaque). */
struct scan_targets;

/*
 * New empty set with flags SCAN_TARGETS_*. Returns owned, or NULL when out of
 * memory. Threading: setup only.
 */
struct scan_targets *scan_targets_new(unsigned flags);

/* Frees t and everything it owns; NULL is a no-op. Threading: setup only. */
void scan_targets_free(struct scan_targets *t);

/*
 * Add one target in text form ("addr" or "addr/len", no surrounding spaces,
 * no comment) to list. origin (borrowed; may be NULL) and line (0 = none)
 * only label error messages: "origin:line: text: why".
 * Returns 0, -EINVAL (malformed or refused; the message is recorded), -ENOMEM
 * (recorded too), or -EBUSY after scan_targets_finalize.
 * Threading: setup only.
 */
__attribute__((warn_unused_result)) int scan_targets_add_text(struct scan_targets *t,
                                                              enum scan_targets_list list,
                                                              const char *text, const char *origin,
                                                              unsigned long line);

/*
 * Parse data[0..len) (borrowed) as a target file (syntax above) into list.
 * origin (borrowed) names it in messages. Every line is examined even after
 * errors. Returns 0, -EINVAL if at least one line was malformed, -ENOMEM, or
 * -EBUSY after finalize. Threading: setup only.
 */
__attribute__((warn_unused_result)) int scan_targets_add_buffer(struct scan_targets *t,
                                                                enum scan_targets_list list,
                                                                const void *data, size_t len,
                                                                const char *origin);

/*
 * Like scan_targets_add_buffer, reading f (borrowed, left open) to its end
 * in fixed-size chunks: memory use does not depend on line lengths. A read
 * error is recorded and returned as -EIO (or the -errno fread left).
 * Threading: setup only.
 */
__attribute__((warn_unused_result)) int scan_targets_add_stream(struct scan_targets *t,
                                                                enum scan_targets_list list,
                                                                FILE *f, const char *origin);

/*
 * Open path (borrowed; "-" means stdin, named "<stdin>" in messages) and
 * parse it with scan_targets_add_stream. An open failure is recorded
 * ("path: cannot open: why") and returned as -errno. Threading: setup only.
 */
__attribute__((warn_unused_result)) int
scan_targets_add_file(struct scan_targets *t, enum scan_targets_list list, const char *path);

/*
 * Number of errors recorded so far (add_* and finalize), all of them, also
 * those beyond SCAN_TARGETS_ERRORS_MAX. Threading: setup thread, or any
 * thread after finalize.
 */
size_t scan_targets_nb_errors(const struct scan_targets *t);

/*
 * The i-th recorded message (borrowed, valid until scan_targets_free), for
 * i < min(scan_targets_nb_errors, SCAN_TARGETS_ERRORS_MAX); NULL otherwise.
 * Threading: as scan_targets_nb_errors.
 */
const char *scan_targets_error(const struct scan_targets *t, size_t i);

/*
 * Merge the include lists, subtract the blocklists (user and, unless
 * disabled, default) and build the index. Afterwards no more lines can be
 * added. Returns 0; -EINVAL if any error was recorded (including here: a
 * set of 2^128 or more addresses, which no counter can hold, is refused);
 * -ENOMEM. An empty result is not an error: the caller checks
 * scan_targets_count() == 0 and says how many were blocklisted (exit 2).
 * Threading: setup only.
 */
__attribute__((warn_unused_result)) int scan_targets_finalize(struct scan_targets *t);

/*
 * After a successful finalize: number of addresses to scan (each once).
 * Threading: any thread.
 */
scan_u128 scan_targets_count(const struct scan_targets *t);

/* After finalize: how many of them are IPv4 (indices [0, count_v4)). */
uint64_t scan_targets_count_v4(const struct scan_targets *t);

/*
 * After finalize: distinct requested addresses removed by the blocklists
 * (default and user). Saturates at SCAN_U128_MAX (only ::/0 minus ::/0 gets
 * there). Threading: any thread.
 */
scan_u128 scan_targets_blocklisted(const struct scan_targets *t);

/* After finalize: number of disjoint intervals in the set. Any thread. */
size_t scan_targets_nb_intervals(const struct scan_targets *t);

/*
 * Bytes currently allocated for interval storage (for tests and the summary;
 * shows that memory follows intervals, not addresses). Setup thread, or any
 * thread after finalize.
 */
size_t scan_targets_mem_len(const struct scan_targets *t);

/*
 * After finalize: the address with the given index (0 <= index < count) into
 * *out. IPv4 indices come first, both families in ascending order. Returns 0
 * or -ERANGE. O(log intervals). Threading: any thread. No allocation.
 */
__attribute__((warn_unused_result)) int scan_targets_addr(const struct scan_targets *t,
                                                          scan_u128 index, struct pkt_addr *out);

/*
 * After finalize: the inverse of scan_targets_addr. *index receives the index
 * of a, looked up in its own family: an IPv4-mapped IPv6 address is not
 * converted here (text targets inside ::ffff:0:0/96 were stored as IPv4; only
 * a wider IPv6 prefix puts such addresses in the IPv6 part). Returns 0, or
 * -ENOENT when a is not in the set. Threading: any thread.
 */
__attribute__((warn_unused_result)) int
scan_targets_index(const struct scan_targets *t, const struct pkt_addr *a, scan_u128 *index);

/*
 * Write the default blocklist to f, one CIDR per line with its source as a
 * comment, in target-file syntax (for --help and documentation). Returns 0 or
 * -EIO. Threading: any thread.
 */
__attribute__((warn_unused_result)) int scan_targets_default_blocklist(FILE *f);

#endif
