/*
 * packet/frame.h - Ethernet (+802.1Q VLAN), IPv4 (with options), IPv6 (with
 * extension headers) and UDP frames for the raw engines.
 *
 * Pure, reentrant, no allocation. Hot path: yes (one parse per received
 * frame, one build or patch per sent frame). Untrusted input: yes; the
 * parser never reads outside [frame, frame + len) and drops with a distinct
 * reason (docs/test-cases.md P17-P18).
 * Standards: RFC 791 (IPv4), RFC 8200 (IPv6, extension headers), RFC 768 and
 * RFC 1071 (UDP, Internet checksum), IEEE 802.1Q.
 */
#ifndef FCRSCAN_PACKET_FRAME_H
#define FCRSCAN_PACKET_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet/addr.h"

#define PKT_ETH_HDR_LEN    14
#define PKT_VLAN_HDR_LEN   4
#define PKT_IPV4_HDR_LEN   20
#define PKT_IPV6_HDR_LEN   40
#define PKT_UDP_HDR_LEN    8
#define PKT_ETHERTYPE_IPV4 0x0800
#define PKT_ETHERTYPE_ARP  0x0806
#define PKT_ETHERTYPE_VLAN 0x8100
#define PKT_ETHERTYPE_IPV6 0x86DD
#define PKT_IPPROTO_UDP    17
#define PKT_IPPROTO_ICMP6  58

enum pkt_frame_err {
    PKT_FRAME_OK = 0,
    PKT_FRAME_E_SHORT = -1,     /* "short": frame shorter than its headers */
    PKT_FRAME_E_ETHERTYPE = -2, /* "ethertype": neither IPv4 nor IPv6 (ARP is not an error:
                                   see PKT_FRAME_ARP below) */
    PKT_FRAME_E_IPHDR = -3,     /* "ip_header": bad version, IHL < 5, options past the end */
    PKT_FRAME_E_LEN = -4,       /* "len": IP total/payload length or UDP length mismatch */
    PKT_FRAME_E_FRAGMENT = -5,  /* "ip_fragments": MF set, offset > 0, IPv6 fragment header */
    PKT_FRAME_E_PROTO = -6,     /* "proto": not UDP after all extension headers */
    PKT_FRAME_E_CSUM = -7,      /* "csum": bad IPv4 header or UDP checksum (IPv6 UDP 0 too) */
    PKT_FRAME_E_EXTHDR = -8,    /* "ext_header": IPv6 extension chain malformed or too long */
    PKT_FRAME_E_SPACE = -9,     /* build only: buffer too small */
};
#define PKT_FRAME_ARP 1 /* parse result: an ARP frame, see info.arp_* (not an error) */

const char *pkt_frame_strerror(int err);
const char *pkt_frame_err_name(int err);

/* A parsed UDP datagram inside a frame; payload points into the frame (borrowed). */
struct pkt_frame_info {
    uint8_t src_mac[6];
    uint8_t dst_mac[6];
    bool has_vlan;
    uint16_t vlan_tci;
    struct pkt_addr src;
    struct pkt_addr dst;
    uint16_t src_port;
    uint16_t dst_port;
    const uint8_t *payload;
    uint16_t payload_len;
    /* ARP (result PKT_FRAME_ARP): opcode 1 request / 2 reply, IPv4 Ethernet only. */
    uint16_t arp_op;
};

/*
 * Parse an Ethernet frame carrying IPv4/IPv6 UDP. Validates every length
 * against the captured bytes, drops fragments, verifies the IPv4 header
 * checksum and the UDP checksum (a zero UDP checksum is allowed for IPv4
 * only). Ethernet padding after the IP datagram is ignored. Returns
 * PKT_FRAME_OK, PKT_FRAME_ARP (src/dst hold sender/target protocol address,
 * src_mac the sender hardware address) or a negative enum pkt_frame_err.
 */
__attribute__((warn_unused_result)) int pkt_frame_parse(const uint8_t *frame, size_t len,
                                                        struct pkt_frame_info *out);

/* Everything that goes into a UDP frame header; plain data. */
struct pkt_frame_udp {
    uint8_t src_mac[6];
    uint8_t dst_mac[6];
    bool has_vlan;
    uint16_t vlan_tci;
    struct pkt_addr src; /* src.family == dst.family */
    struct pkt_addr dst;
    uint16_t src_port;
    uint16_t dst_port;
    uint8_t ttl; /* hop limit for IPv6 */
    uint16_t ip_id;
};

/* Length of the headers pkt_frame_udp_build writes before the payload. */
size_t pkt_frame_udp_hdr_len(const struct pkt_frame_udp *spec);

/*
 * Build Ethernet[+VLAN]+IP+UDP headers and copy payload after them, with the
 * IPv4 header checksum and the UDP checksum computed. Returns the frame
 * length or PKT_FRAME_E_SPACE.
 */
__attribute__((warn_unused_result)) int pkt_frame_udp_build(uint8_t *buf, size_t cap,
                                                            const struct pkt_frame_udp *spec,
                                                            const uint8_t *payload,
                                                            size_t payload_len);

/*
 * Build an ARP reply (or request when op == 1) for IPv4 Ethernet into buf
 * (>= 42 octets). Returns 42 or PKT_FRAME_E_SPACE.
 */
__attribute__((warn_unused_result)) int
pkt_frame_arp_build(uint8_t *buf, size_t cap, uint16_t op, const uint8_t sha[6],
                    const uint8_t spa[4], const uint8_t tha[6], const uint8_t tpa[4]);

/* RFC 1071 one's-complement sum of data folded into a 16-bit checksum,
 * starting from a partial 32-bit sum (for pseudo-headers). */
uint16_t pkt_csum_fold(uint32_t sum);
uint32_t pkt_csum_partial(const uint8_t *data, size_t len, uint32_t sum);

#endif
