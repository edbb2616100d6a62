/*
 * packet/rev.h - reverse-lookup names: in-addr.arpa (RFC 1035 §3.5) and
 * ip6.arpa (RFC 3596 §2.5).
 *
 * Pure, reentrant, no allocation. Hot path: building (one per target).
 * Untrusted input: parsing (question names of replies, walk answers).
 */
#ifndef FCRSCAN_PACKET_REV_H
#define FCRSCAN_PACKET_REV_H

#include <stddef.h>
#include <stdint.h>

#include "packet/addr.h"

/* Longest reverse names in wire octets: 4*4+1+7+1+4+1 = 30 (v4), 32*2+4+5+1 = 74 (v6). */
#define PKT_REV_V4_MAX 30
#define PKT_REV_V6_MAX 74

enum pkt_rev_err {
    PKT_REV_OK = 0,
    PKT_REV_E_SPACE = -1,  /* output buffer too small */
    PKT_REV_E_SUFFIX = -2, /* not under in-addr.arpa. or ip6.arpa. */
    PKT_REV_E_LABELS = -3, /* wrong number of labels (4 for v4, 32 for v6) */
    PKT_REV_E_LABEL = -4,  /* a label is not a canonical octet / single hex nibble */
    PKT_REV_E_NAME = -5,   /* not a well-formed uncompressed wire name */
};

/* Static message for a code above. */
const char *pkt_rev_strerror(int err);

/*
 * Write the reverse name of a (4.3.2.1.in-addr.arpa. or the 32-nibble
 * ip6.arpa. name, lower-case hex) in wire form into out[0..cap). Returns the
 * wire length or PKT_REV_E_SPACE. The IPv4 builder is on the TX hot path.
 */
__attribute__((warn_unused_result)) int pkt_rev_name_v4(const uint8_t addr[4], uint8_t *out,
                                                        size_t cap);
__attribute__((warn_unused_result)) int pkt_rev_name_v6(const uint8_t addr[16], uint8_t *out,
                                                        size_t cap);
/* Dispatch on a->family. */
__attribute__((warn_unused_result)) int pkt_rev_name(const struct pkt_addr *a, uint8_t *out,
                                                     size_t cap);

/*
 * Parse a wire name that must be exactly a full reverse name back into the
 * address. Case-insensitive suffix and hex. Rejects: wrong label count,
 * empty labels, non-digit octets, leading zeros (only "0" itself may start
 * with 0), values > 255, non-hex or multi-character nibbles. Returns 0 and
 * fills *out, or a negative enum pkt_rev_err.
 */
__attribute__((warn_unused_result)) int pkt_rev_name_parse(const uint8_t *wire, size_t len,
                                                           struct pkt_addr *out);

#endif
