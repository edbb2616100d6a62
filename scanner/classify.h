/*
 * scanner/classify.h - what a PTR name says about itself: generic provider
 * name, bare domain, placeholder, IP literal, invalid or single-label name.
 *
 * Purpose: the per-name flags of a result row (docs/output.md "Verdicts", flags
 * generic-name, bare-domain, invalid-name, ip-literal, non-fqdn,
 * placeholder-name) and the "unusable" decision (an IP literal or the root is
 * never queried). The rules, their names (S1..S5, W1..W4) and the test
 * vectors are those of docs/classification.md.
 * Threading: build once before the workers start; afterwards any thread,
 * read-only (regexec serialises internally on each compiled pattern, so
 * threads that hit the same provider pattern queue on its lock).
 * Memory: scan_classifier_new allocates the public suffix list and the
 * compiled patterns; classification allocates nothing itself (fixed stack
 * buffers, names are at most 255 wire octets). glibc's regexec may allocate
 * internally; it runs only when a name ends with a pattern's suffix.
 * Hot path: once per emitted row (per PTR name), not per packet.
 * Untrusted input: yes. PTR names are whatever a server sent: any octet in
 * any label, and the wire form is checked before use.
 * Standards: RFC 1123 §2.1 and RFC 952 (LDH host names), RFC 1035 §2.3.4
 * (lengths), RFC 6761 (special-use names: localhost, invalid), RFC 6762
 * (local), RFC 8375 (home.arpa), RFC 1035 §3.5 / RFC 3596 §2.5 (reverse
 * trees), the Public Suffix List (ICANN section only, pinned file).
 */
#ifndef FCRSCAN_SCANNER_CLASSIFY_H
#define FCRSCAN_SCANNER_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet/addr.h"
#include "packet/dns.h"
#include "stats/record.h"

/* Longest text form of a name: 255 wire octets give 253 characters, + NUL. */
#define SCAN_CLASSIFY_TEXT_MAX 254

/*
 * Rules that held for a name (docs/classification.md). Each bit says the rule's condition
 * is true, whether or not the decision needed it; the decision is
 * strong || (W2 && (W1 || W3)) || (W1 && W3) || (W2 && W4 && LAST_OCTET).
 */
enum scan_classify_rule {
    SCAN_CLASSIFY_RULE_S1 = 1u << 0,          /* all four octets as numeric runs in search */
    SCAN_CLASSIFY_RULE_S1C = 1u << 1,         /* 12-digit padded octets, forward or reversed */
    SCAN_CLASSIFY_RULE_S2 = 1u << 2,          /* 8 hex digits of the IPv4 address */
    SCAN_CLASSIFY_RULE_S3 = 1u << 3,          /* IPv6 nibbles or >= 4 groups in order */
    SCAN_CLASSIFY_RULE_S4 = 1u << 4,          /* provider-default pattern (data file) */
    SCAN_CLASSIFY_RULE_S5 = 1u << 5,          /* two strong dynamic keywords in host */
    SCAN_CLASSIFY_RULE_W1 = 1u << 6,          /* last two or first three octets adjacent */
    SCAN_CLASSIFY_RULE_W2 = 1u << 7,          /* at least one strong keyword in host */
    SCAN_CLASSIFY_RULE_W3 = 1u << 8,          /* >= 7 digits or >= 3 numeric runs in host */
    SCAN_CLASSIFY_RULE_W4 = 1u << 9,          /* weak keyword in host */
    SCAN_CLASSIFY_RULE_LAST_OCTET = 1u << 10, /* a numeric run in host equals the last octet */
};
#define SCAN_CLASSIFY_RULES_STRONG                                            \
    (SCAN_CLASSIFY_RULE_S1 | SCAN_CLASSIFY_RULE_S1C | SCAN_CLASSIFY_RULE_S2 | \
     SCAN_CLASSIFY_RULE_S3 | SCAN_CLASSIFY_RULE_S4 | SCAN_CLASSIFY_RULE_S5)

/* Sub-reasons of a generic name, for reports; never output flags. Set only with generic-name. */
enum scan_classify_hint {
    SCAN_CLASSIFY_HINT_STATIC_GENERIC = 1u << 0, /* generic, and host says "static" */
    SCAN_CLASSIFY_HINT_MAIL = 1u << 1,           /* generic, yet host names a mail role */
};

/*
 * Why a name got its flags. Plain data, filled by scan_classify_name_ex.
 * Offsets index name[]; the public suffix is name[suffix_off..name_len) and,
 * when nb_labels > suffix_labels, the registrable domain is
 * name[registrable_off..name_len). For the root and IP literals only
 * nb_labels, name_len and name are meaningful (the others are 0); for a
 * malformed wire name everything is 0 and name is "".
 */
struct scan_classify_detail {
    uint32_t rules;        /* enum scan_classify_rule bits */
    uint32_t hints;        /* enum scan_classify_hint bits */
    unsigned s4_line;      /* pattern file line of the S4 pattern that matched, else 0 */
    uint8_t nb_labels;     /* labels, root not counted */
    uint8_t suffix_labels; /* labels of the ICANN public suffix (>= 1 for a non-root name) */
    uint8_t suffix_off;
    uint8_t registrable_off;
    uint8_t name_len; /* strlen(name) */
    /*
     * Lower-case text, no final dot, NUL-terminated. An octet that is not a
     * letter, digit, '-' or '_' (including a '.' inside a label) is shown as
     * '?': this is the form the rules see, not a presentation form (use
     * pkt_dns_name_present for output).
     */
    char name[SCAN_CLASSIFY_TEXT_MAX];
};

struct scan_classifier; /* opaque: public suffix list + compiled provider patterns */

/*
 * Load the public suffix list at psl_path (load the pinned file shipped in
 * data/, never the system one, so results do not change with the installed
 * package) and the provider pattern file at patterns_path (one
 * "suffix<TAB>POSIX ERE" per line, '#' comments and blank lines ignored, CRLF
 * accepted; the suffix is lower-case LDH labels, the regex is anchored with
 * '^' and '$' and compiled with REG_EXTENDED | REG_NOSUB).
 * Returns owned (free with scan_classifier_free), or NULL with a
 * NUL-terminated message in err[0..err_len) naming the file, the line when
 * there is one, and why. err may be NULL when err_len is 0.
 * Threading: setup only (not thread-safe against itself; touches no globals).
 */
__attribute__((warn_unused_result)) struct scan_classifier *
scan_classifier_new(const char *psl_path, const char *patterns_path, char *err, size_t err_len);

/* Release everything c owns. NULL is a no-op. Threading: after all users are done. */
void scan_classifier_free(struct scan_classifier *c);

/*
 * Classify one PTR name for target t. wire[0..wire_len) is an uncompressed
 * wire name (as in packet/dns.h) in any case; it is borrowed. t is borrowed
 * and may be NULL (then only the address-free rules S4, S5, W2, W3, W4 run).
 * Returns STATS_FLAG_* bits among GENERIC_NAME, BARE_DOMAIN, INVALID_NAME,
 * IP_LITERAL, NON_FQDN and PLACEHOLDER_NAME, and sets *unusable (required):
 *   - malformed wire (label length > 63 or past wire_len, bytes after the
 *     root, longer than 255): INVALID_NAME, unusable;
 *   - the root name: INVALID_NAME (a host name has at least one label),
 *     unusable;
 *   - an IP literal (some label contains ':', or every label is all digits,
 *     which covers the dotted quad): exactly IP_LITERAL, unusable;
 *   - otherwise not unusable, and INVALID_NAME (not LDH: a label byte other
 *     than a letter, digit or '-', or a leading or trailing '-'), NON_FQDN
 *     (one label), then PLACEHOLDER_NAME (localhost, local, localdomain, lan,
 *     home, internal, invalid, and names under them; names under
 *     in-addr.arpa, ip6.arpa, home.arpa) which suppresses GENERIC_NAME and
 *     BARE_DOMAIN; else BARE_DOMAIN (the name is its own registrable domain)
 *     and GENERIC_NAME (docs/classification.md decision).
 * Threading: any thread, read-only (regexec serialises internally).
 */
uint32_t scan_classify_name(const struct scan_classifier *c, const uint8_t *wire, size_t wire_len,
                            const struct pkt_addr *t, bool *unusable);

/*
 * As scan_classify_name, and fills *d (caller's storage, required) with the
 * rules that held, the sub-reasons, the pattern line and the name's split.
 * Threading: any thread, read-only (regexec serialises internally).
 */
uint32_t scan_classify_name_ex(const struct scan_classifier *c, const uint8_t *wire,
                               size_t wire_len, const struct pkt_addr *t, bool *unusable,
                               struct scan_classify_detail *d);

#endif
