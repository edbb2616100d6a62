/*
 * packet/addr.h - one IPv4 or IPv6 address as plain data.
 *
 * Purpose: the address value every layer passes around (targets, resolvers,
 * frame endpoints, answers). Pure, reentrant, no allocation. Text forms:
 * IPv4 dotted quad, IPv6 per RFC 5952 (lower case, longest zero run as "::",
 * IPv4-mapped as ::ffff:a.b.c.d).
 */
#ifndef FCRSCAN_PACKET_ADDR_H
#define FCRSCAN_PACKET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PKT_ADDR_V4 4
#define PKT_ADDR_V6 6
/* Longest text form: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" + NUL. */
#define PKT_ADDR_TEXT_MAX 46

/* An address. IPv4 occupies bytes[0..3]; the rest is zero. */
struct pkt_addr {
    uint8_t family; /* PKT_ADDR_V4 or PKT_ADDR_V6 */
    uint8_t bytes[16];
};

/*
 * Parse text (no port, no prefix) into *out. Accepts exactly the forms
 * inet_pton accepts; IPv4 with leading zeros ("010.1.1.1") is rejected.
 * Returns 0, or -EINVAL. IPv4-mapped IPv6 stays IPv6 here (targets.c maps it).
 */
__attribute__((warn_unused_result)) int pkt_addr_parse(const char *text, struct pkt_addr *out);

/* Canonical text into buf (cap >= PKT_ADDR_TEXT_MAX). Returns strlen. */
int pkt_addr_format(const struct pkt_addr *a, char *buf, size_t cap);

/* Byte length of the family: 4 or 16. */
static inline size_t pkt_addr_len(const struct pkt_addr *a)
{
    return a->family == PKT_ADDR_V4 ? 4u : 16u;
}

/* Same family and same address bytes. */
bool pkt_addr_equal(const struct pkt_addr *a, const struct pkt_addr *b);

/* Fill *ss (zeroed first) with a and port; returns the sockaddr's length. */
socklen_t pkt_addr_to_sockaddr(const struct pkt_addr *a, uint16_t port,
                               struct sockaddr_storage *ss);

/* Address and port of an AF_INET or AF_INET6 *ss (anything else: IPv4 0.0.0.0:0). */
void pkt_addr_from_sockaddr(const struct sockaddr_storage *ss, struct pkt_addr *a, uint16_t *port);

#endif
