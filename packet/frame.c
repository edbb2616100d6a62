/*
 * packet/frame.c - Ethernet/802.1Q, IPv4, IPv6, UDP and ARP frames.
 *
 * The parser is the raw engines' RX path: every received frame goes through
 * it, most of them our DNS replies. It reads only inside [frame, frame+len),
 * checks each length against the captured bytes before touching what it
 * covers, and reports the first problem as one drop reason. Checks run in
 * wire order, cheapest first, and the IPv4 header checksum before any field
 * behind it is trusted (flags, protocol).
 *
 * Policies beyond the RFCs, all chosen so that nothing a real stack sends
 * is lost while odd datagrams cannot hide data:
 * - One or two VLAN tags (outer 0x8100 or 0x88A8, inner 0x8100); the outer
 *   tag's TCI is reported. A third tag is an unknown ethertype.
 * - The UDP length must equal the IP payload length exactly. Bytes after the
 *   IP datagram (Ethernet padding) are ignored.
 * - IPv6: hop-by-hop (first only), routing and destination options headers
 *   are skipped, at most PKT_FRAME_EXT_MAX of them; a fragment header is a
 *   fragment even when atomic; no-next-header and anything else is "proto".
 * - ARP: only Ethernet/IPv4 requests and replies; any other ARP is
 *   "ethertype", like every frame the engines cannot use.
 */
#include "packet/frame.h"

#include <string.h>

#pragma GCC poison malloc calloc realloc free strdup

#define PKT_ETHERTYPE_QINQ 0x88A8
#define PKT_ARP_LEN        28
#define PKT_FRAME_EXT_MAX  8 /* IPv6 extension headers skipped before "ext_header" */
#define IPV6_NH_HOPOPTS    0
#define IPV6_NH_ROUTING    43
#define IPV6_NH_FRAGMENT   44
#define IPV6_NH_DSTOPTS    60
#define IPV4_DF            0x4000
#define IPV4_FRAG_MASK     0x3FFF /* MF and the fragment offset */

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* ---- RFC 1071 checksum ---------------------------------------------------- */

/*
 * Sums are kept as the numeric sum of the big-endian 16-bit words, so a
 * caller can add pseudo-header fields as plain numbers (proto + length).
 * The bulk is summed as native 32-bit words into 64 bits and byte-swapped
 * once at the end, which RFC 1071 §2(B) shows is equivalent. Every chunk
 * except the last one of a sum must have an even length.
 */
uint32_t pkt_csum_partial(const uint8_t *data, size_t len, uint32_t sum)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint32_t a, b;
        memcpy(&a, data + i, 4);
        memcpy(&b, data + i + 4, 4);
        acc += (uint64_t)a + b;
    }
    for (; i + 2 <= len; i += 2) {
        uint16_t w;
        memcpy(&w, data + i, 2);
        acc += w;
    }
    acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
    acc = (acc & 0xFFFFu) + (acc >> 16);
    acc = (acc & 0xFFFFu) + (acc >> 16);
    acc = (acc & 0xFFFFu) + (acc >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    acc = ((acc & 0xFFu) << 8) | (acc >> 8);
#endif
    if (i < len)
        acc += (uint64_t)data[i] << 8;
    acc += sum;
    acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
    return (uint32_t)acc + (uint32_t)(acc >> 32);
}

uint16_t pkt_csum_fold(uint32_t sum)
{
    sum = (sum & 0xFFFFu) + (sum >> 16);
    sum = (sum & 0xFFFFu) + (sum >> 16);
    return (uint16_t)~sum;
}

/* ---- parse ----------------------------------------------------------------- */

/*
 * UDP (RFC 768) at udp[0..l4_len), where l4_len is what the IP layer says
 * its payload is. pseudo is the pseudo-header sum of the two addresses.
 */
static int parse_udp(const uint8_t *udp, size_t l4_len, uint32_t pseudo, bool v6,
                     struct pkt_frame_info *out)
{
    if (l4_len < PKT_UDP_HDR_LEN)
        return PKT_FRAME_E_LEN;
    size_t udp_len = rd16(udp + 4);
    if (udp_len != l4_len)
        return PKT_FRAME_E_LEN;
    /* Zero means "not computed": allowed for IPv4, forbidden for IPv6 (RFC 8200 §8.1). */
    if (rd16(udp + 6) == 0) {
        if (v6)
            return PKT_FRAME_E_CSUM;
    } else {
        uint32_t sum = pkt_csum_partial(udp, udp_len, pseudo + PKT_IPPROTO_UDP + (uint32_t)udp_len);
        if (pkt_csum_fold(sum) != 0)
            return PKT_FRAME_E_CSUM;
    }
    out->src_port = rd16(udp);
    out->dst_port = rd16(udp + 2);
    out->payload = udp + PKT_UDP_HDR_LEN;
    out->payload_len = (uint16_t)(udp_len - PKT_UDP_HDR_LEN);
    return PKT_FRAME_OK;
}

/*
 * IPv4 (RFC 791):
 *  0      4      8             16    19                     31
 * | ver  | IHL  |     TOS     |        total length         |
 * |        identification     |flags|   fragment offset     |
 * |     TTL     |  protocol   |      header checksum        |
 * |                    source address                       |
 * |                 destination address                     |
 * |                options (IHL > 5) ...                    |
 */
static int parse_ipv4(const uint8_t *ip, size_t cap, struct pkt_frame_info *out)
{
    if (cap < PKT_IPV4_HDR_LEN)
        return PKT_FRAME_E_SHORT;
    if (ip[0] >> 4 != 4)
        return PKT_FRAME_E_IPHDR;
    size_t ihl = (size_t)(ip[0] & 0xFu) * 4;
    size_t total = rd16(ip + 2);
    if (ihl < PKT_IPV4_HDR_LEN || ihl > total)
        return PKT_FRAME_E_IPHDR;
    if (total > cap)
        return PKT_FRAME_E_LEN;
    if (pkt_csum_fold(pkt_csum_partial(ip, ihl, 0)) != 0)
        return PKT_FRAME_E_CSUM;
    if ((rd16(ip + 6) & IPV4_FRAG_MASK) != 0)
        return PKT_FRAME_E_FRAGMENT;
    if (ip[9] != PKT_IPPROTO_UDP)
        return PKT_FRAME_E_PROTO;
    out->src.family = PKT_ADDR_V4;
    memcpy(out->src.bytes, ip + 12, 4);
    out->dst.family = PKT_ADDR_V4;
    memcpy(out->dst.bytes, ip + 16, 4);
    return parse_udp(ip + ihl, total - ihl, pkt_csum_partial(ip + 12, 8, 0), false, out);
}

/*
 * IPv6 (RFC 8200 §3, §4): a 40-octet fixed header (payload length at 4,
 * next header at 6, addresses at 8 and 24), then extension headers, each
 * starting with (next header, length in 8-octet units not counting the
 * first 8).
 */
static int parse_ipv6(const uint8_t *ip, size_t cap, struct pkt_frame_info *out)
{
    if (cap < PKT_IPV6_HDR_LEN)
        return PKT_FRAME_E_SHORT;
    if (ip[0] >> 4 != 6)
        return PKT_FRAME_E_IPHDR;
    size_t end = PKT_IPV6_HDR_LEN + (size_t)rd16(ip + 4);
    if (end > cap)
        return PKT_FRAME_E_LEN;

    size_t pos = PKT_IPV6_HDR_LEN;
    uint8_t nh = ip[6];
    for (unsigned nb = 0; nh != PKT_IPPROTO_UDP; nb++) {
        if (nh == IPV6_NH_FRAGMENT)
            return PKT_FRAME_E_FRAGMENT;
        if (nh != IPV6_NH_HOPOPTS && nh != IPV6_NH_ROUTING && nh != IPV6_NH_DSTOPTS)
            return PKT_FRAME_E_PROTO;
        /* Hop-by-hop must come right after the fixed header (RFC 8200 §4.3). */
        if ((nh == IPV6_NH_HOPOPTS && nb > 0) || nb == PKT_FRAME_EXT_MAX)
            return PKT_FRAME_E_EXTHDR;
        if (end - pos < 8)
            return PKT_FRAME_E_EXTHDR;
        size_t ext_len = ((size_t)ip[pos + 1] + 1) * 8;
        if (ext_len > end - pos)
            return PKT_FRAME_E_EXTHDR;
        nh = ip[pos];
        pos += ext_len;
    }
    out->src.family = PKT_ADDR_V6;
    memcpy(out->src.bytes, ip + 8, 16);
    out->dst.family = PKT_ADDR_V6;
    memcpy(out->dst.bytes, ip + 24, 16);
    return parse_udp(ip + pos, end - pos, pkt_csum_partial(ip + 8, 32, 0), true, out);
}

/*
 * ARP for IPv4 over Ethernet (RFC 826): htype 1, ptype 0x0800, hlen 6,
 * plen 4, op, sender MAC, sender IP, target MAC, target IP.
 */
static int parse_arp(const uint8_t *arp, size_t cap, struct pkt_frame_info *out)
{
    static const uint8_t eth_ipv4[6] = { 0, 1, 0x08, 0x00, 6, 4 };
    if (cap < PKT_ARP_LEN)
        return PKT_FRAME_E_SHORT;
    uint16_t op = rd16(arp + 6);
    if (memcmp(arp, eth_ipv4, sizeof(eth_ipv4)) != 0 || (op != 1 && op != 2))
        return PKT_FRAME_E_ETHERTYPE;
    out->arp_op = op;
    memcpy(out->src_mac, arp + 8, 6);
    out->src.family = PKT_ADDR_V4;
    memcpy(out->src.bytes, arp + 14, 4);
    out->dst.family = PKT_ADDR_V4;
    memcpy(out->dst.bytes, arp + 24, 4);
    return PKT_FRAME_ARP;
}

int pkt_frame_parse(const uint8_t *frame, size_t len, struct pkt_frame_info *out)
{
    memset(out, 0, sizeof(*out));
    if (len < PKT_ETH_HDR_LEN)
        return PKT_FRAME_E_SHORT;
    memcpy(out->dst_mac, frame, 6);
    memcpy(out->src_mac, frame + 6, 6);
    size_t off = PKT_ETH_HDR_LEN;
    uint16_t type = rd16(frame + 12);

    /* 802.1Q: TPID, TCI, then the real ethertype; 802.1ad stacks a second tag. */
    if (type == PKT_ETHERTYPE_VLAN || type == PKT_ETHERTYPE_QINQ) {
        if (len - off < PKT_VLAN_HDR_LEN)
            return PKT_FRAME_E_SHORT;
        out->has_vlan = true;
        out->vlan_tci = rd16(frame + off);
        type = rd16(frame + off + 2);
        off += PKT_VLAN_HDR_LEN;
        if (type == PKT_ETHERTYPE_VLAN) {
            if (len - off < PKT_VLAN_HDR_LEN)
                return PKT_FRAME_E_SHORT;
            type = rd16(frame + off + 2);
            off += PKT_VLAN_HDR_LEN;
        }
    }

    switch (type) {
    case PKT_ETHERTYPE_IPV4:
        return parse_ipv4(frame + off, len - off, out);
    case PKT_ETHERTYPE_IPV6:
        return parse_ipv6(frame + off, len - off, out);
    case PKT_ETHERTYPE_ARP:
        return parse_arp(frame + off, len - off, out);
    default:
        return PKT_FRAME_E_ETHERTYPE;
    }
}

/* ---- build ----------------------------------------------------------------- */

static size_t ip_hdr_len(const struct pkt_frame_udp *spec)
{
    return spec->src.family == PKT_ADDR_V4 ? PKT_IPV4_HDR_LEN : PKT_IPV6_HDR_LEN;
}

size_t pkt_frame_udp_hdr_len(const struct pkt_frame_udp *spec)
{
    return PKT_ETH_HDR_LEN + (spec->has_vlan ? PKT_VLAN_HDR_LEN : 0u) + ip_hdr_len(spec) +
           PKT_UDP_HDR_LEN;
}

static uint8_t *put_eth(uint8_t *p, const uint8_t dst[6], const uint8_t src[6], bool has_vlan,
                        uint16_t tci, uint16_t type)
{
    memcpy(p, dst, 6);
    memcpy(p + 6, src, 6);
    p += 12;
    if (has_vlan) {
        wr16(p, PKT_ETHERTYPE_VLAN);
        wr16(p + 2, tci);
        p += PKT_VLAN_HDR_LEN;
    }
    wr16(p, type);
    return p + 2;
}

int pkt_frame_udp_build(uint8_t *buf, size_t cap, const struct pkt_frame_udp *spec,
                        const uint8_t *payload, size_t payload_len)
{
    bool v4 = spec->src.family == PKT_ADDR_V4;
    /* Mixed or unknown families have no IP header to write. */
    if (spec->src.family != spec->dst.family || (!v4 && spec->src.family != PKT_ADDR_V6))
        return PKT_FRAME_E_IPHDR;
    /* Both the UDP length and the IPv4 total length are 16-bit fields. */
    if (payload_len > 0xFFFFu - PKT_UDP_HDR_LEN - (v4 ? PKT_IPV4_HDR_LEN : 0u))
        return PKT_FRAME_E_SPACE;
    unsigned udp_len = PKT_UDP_HDR_LEN + (unsigned)payload_len;
    size_t hdr_len = pkt_frame_udp_hdr_len(spec);
    if (cap < hdr_len || cap - hdr_len < payload_len)
        return PKT_FRAME_E_SPACE;

    /* memmove: the caller may have written the payload in place already. */
    if (payload_len > 0 && payload != buf + hdr_len)
        memmove(buf + hdr_len, payload, payload_len);

    uint8_t *ip = put_eth(buf, spec->dst_mac, spec->src_mac, spec->has_vlan, spec->vlan_tci,
                          v4 ? PKT_ETHERTYPE_IPV4 : PKT_ETHERTYPE_IPV6);
    uint8_t *udp;
    uint32_t pseudo;
    if (v4) {
        ip[0] = 0x45;
        ip[1] = 0;
        wr16(ip + 2, PKT_IPV4_HDR_LEN + udp_len);
        wr16(ip + 4, spec->ip_id);
        wr16(ip + 6, IPV4_DF);
        ip[8] = spec->ttl;
        ip[9] = PKT_IPPROTO_UDP;
        wr16(ip + 10, 0);
        memcpy(ip + 12, spec->src.bytes, 4);
        memcpy(ip + 16, spec->dst.bytes, 4);
        wr16(ip + 10, pkt_csum_fold(pkt_csum_partial(ip, PKT_IPV4_HDR_LEN, 0)));
        pseudo = pkt_csum_partial(ip + 12, 8, 0);
        udp = ip + PKT_IPV4_HDR_LEN;
    } else {
        ip[0] = 0x60; /* version 6, traffic class 0, flow label 0 */
        ip[1] = 0;
        ip[2] = 0;
        ip[3] = 0;
        wr16(ip + 4, udp_len);
        ip[6] = PKT_IPPROTO_UDP;
        ip[7] = spec->ttl;
        memcpy(ip + 8, spec->src.bytes, 16);
        memcpy(ip + 24, spec->dst.bytes, 16);
        pseudo = pkt_csum_partial(ip + 8, 32, 0);
        udp = ip + PKT_IPV6_HDR_LEN;
    }
    wr16(udp, spec->src_port);
    wr16(udp + 2, spec->dst_port);
    wr16(udp + 4, udp_len);
    wr16(udp + 6, 0);
    uint16_t csum =
        pkt_csum_fold(pkt_csum_partial(udp, udp_len, pseudo + PKT_IPPROTO_UDP + udp_len));
    /* RFC 768: a computed zero goes out as all ones; zero means "none". */
    wr16(udp + 6, csum != 0 ? csum : 0xFFFFu);
    return (int)(hdr_len + payload_len);
}

int pkt_frame_arp_build(uint8_t *buf, size_t cap, uint16_t op, const uint8_t sha[6],
                        const uint8_t spa[4], const uint8_t tha[6], const uint8_t tpa[4])
{
    static const uint8_t broadcast[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    if (cap < PKT_ETH_HDR_LEN + PKT_ARP_LEN)
        return PKT_FRAME_E_SPACE;
    /* A request is broadcast; a reply goes straight to the asker. */
    uint8_t *arp = put_eth(buf, op == 1 ? broadcast : tha, sha, false, 0, PKT_ETHERTYPE_ARP);
    wr16(arp, 1);
    wr16(arp + 2, PKT_ETHERTYPE_IPV4);
    arp[4] = 6;
    arp[5] = 4;
    wr16(arp + 6, op);
    memcpy(arp + 8, sha, 6);
    memcpy(arp + 14, spa, 4);
    memcpy(arp + 18, tha, 6);
    memcpy(arp + 24, tpa, 4);
    return PKT_ETH_HDR_LEN + PKT_ARP_LEN;
}

/* ---- errors ---------------------------------------------------------------- */

/* Indexed by -err; the names are the summary's "dropped" keys. */
static const char *const frame_err_names[] = {
    "ok",           "short", "ethertype", "ip_header",  "len",
    "ip_fragments", "proto", "csum",      "ext_header", "space",
};
static const char *const frame_err_msgs[] = {
    "ok",
    "frame shorter than its headers",
    "ethertype is neither IPv4 nor IPv6 (nor Ethernet/IPv4 ARP)",
    "bad IP header (version, IHL, options past the datagram)",
    "IP total/payload length or UDP length does not match the frame",
    "IP fragment",
    "not UDP after all extension headers",
    "bad IPv4 header or UDP checksum",
    "IPv6 extension header chain malformed or too long",
    "buffer too small for the frame",
};
#define FRAME_NB_ERRS (sizeof(frame_err_names) / sizeof(frame_err_names[0]))
_Static_assert(sizeof(frame_err_msgs) == sizeof(frame_err_names), "one message per name");
_Static_assert(FRAME_NB_ERRS == (size_t)-PKT_FRAME_E_SPACE + 1, "one name per code");

const char *pkt_frame_err_name(int err)
{
    if (err == PKT_FRAME_ARP)
        return "arp";
    if (err > 0 || (size_t) - (long)err >= FRAME_NB_ERRS)
        return "unknown";
    return frame_err_names[-err];
}

const char *pkt_frame_strerror(int err)
{
    if (err == PKT_FRAME_ARP)
        return "ARP frame";
    if (err > 0 || (size_t) - (long)err >= FRAME_NB_ERRS)
        return "unknown frame error";
    return frame_err_msgs[-err];
}
