/*
 * packet/raw.c - link-layer duties of the raw engines: classify received
 * frames, answer ARP/NDP for our addresses, write UDP frames from templates.
 *
 * The classifier looks at the cheap things first (destination MAC, then the
 * destination IP at its fixed offset) so that the traffic of other hosts on
 * a shared segment is set aside before any checksum is computed, and only
 * then runs the full frame parser (packet/frame.c), whose verdict on damage
 * is the drop reason. ICMPv6 is not UDP, so the frame parser stops at it
 * with "proto"; neighbour discovery is recognised here after that.
 *
 * The TX template holds the finished header of one destination. Per packet
 * we copy it (a constant-size copy for each of the four header shapes),
 * write the four fields that change (source port, IPv4 ID, the lengths) and
 * finish both checksums from precomputed partial sums, so the only work
 * proportional to the packet is the payload copy and its checksum.
 */
#include "packet/raw.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#pragma GCC poison malloc calloc realloc free strdup

#define PKT_ETHERTYPE_QINQ 0x88A8
#define PKT_IPPROTO_ICMP   1
#define ICMP_UNREACH       3 /* RFC 792 */
#define ICMP6_UNREACH      1 /* RFC 4443 §3.1 */
#define ICMP_ERR_HDR_LEN   8 /* type, code, checksum, 4 unused octets */
#define ICMP6_NS           135
#define ICMP6_NA           136
#define NDP_OPT_SLLA       1
#define NDP_OPT_TLLA       2
#define NDP_HOP_LIMIT      255
#define NDP_NS_LEN         32 /* ICMPv6 header + reserved + target + one 8-octet option */
#define NDP_FRAME_LEN      (PKT_ETH_HDR_LEN + PKT_IPV6_HDR_LEN + NDP_NS_LEN)
#define NA_FLAGS_S_O       0x60 /* Solicited + Override, RFC 4861 §4.4 */
#define ARP_FRAME_LEN      42
#define PEER_SLOTS         (2 * PKT_RAW_PEERS_MAX)

_Static_assert(NDP_FRAME_LEN <= PKT_RAW_CTRL_MAX, "an NA fits the control buffer");
_Static_assert(ARP_FRAME_LEN <= PKT_RAW_CTRL_MAX, "an ARP reply fits the control buffer");
_Static_assert(PKT_RAW_PEERS_MAX < 256, "slot_of holds peer index + 1 in one octet");
_Static_assert((PEER_SLOTS & (PEER_SLOTS - 1)) == 0, "peer slots are a power of two");
_Static_assert(PKT_RAW_HDR_MAX == 66, "Ethernet + VLAN + IPv6 + UDP");

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static bool is_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/*
 * The Ethernet header and up to two VLAN tags, as pkt_frame_parse walks
 * them: *type is the inner ethertype, *off where its header starts.
 */
static int l2_walk(const uint8_t *f, size_t len, uint16_t *type, size_t *off, bool *tagged)
{
    size_t o = PKT_ETH_HDR_LEN;
    uint16_t t = rd16(f + 12);
    *tagged = false;
    if (t == PKT_ETHERTYPE_VLAN || t == PKT_ETHERTYPE_QINQ) {
        if (len - o < PKT_VLAN_HDR_LEN)
            return PKT_FRAME_E_SHORT;
        *tagged = true;
        t = rd16(f + o + 2);
        o += PKT_VLAN_HDR_LEN;
        if (t == PKT_ETHERTYPE_VLAN) {
            if (len - o < PKT_VLAN_HDR_LEN)
                return PKT_FRAME_E_SHORT;
            t = rd16(f + o + 2);
            o += PKT_VLAN_HDR_LEN;
        }
    }
    *type = t;
    *off = o;
    return 0;
}

/* RFC 4291 §2.7.1: ff02::1:ffXX:XXXX, the low 24 bits of the unicast address. */
static bool is_solicited_node(const uint8_t *dst, const uint8_t *ours)
{
    static const uint8_t prefix[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };
    return memcmp(dst, prefix, sizeof(prefix)) == 0 && memcmp(dst + 13, ours + 13, 3) == 0;
}

/* ICMPv6 checksum (RFC 4443 §2.3) over the message at icmp[0..len), with
 * the IPv6 pseudo-header of the packet at ip. Returns the folded value. */
static uint16_t icmp6_csum(const uint8_t *ip, const uint8_t *icmp, size_t len)
{
    uint32_t sum = pkt_csum_partial(ip + 8, 32, 0) + (uint32_t)len + PKT_IPPROTO_ICMP6;
    return pkt_csum_fold(pkt_csum_partial(icmp, len, sum));
}

/*
 * An NS or NA with one link-layer address option (all the engines send):
 *  eth | IPv6 (payload 32, next header 58, hop limit 255) |
 *  type | code | checksum | flags/reserved (4) | target (16) | opt type | 1 | MAC
 */
static int ndp_build(uint8_t *b, size_t cap, const struct pkt_raw_self *self,
                     const uint8_t dst_mac[6], const uint8_t dst_ip[16], uint8_t type,
                     const uint8_t target[16])
{
    if (cap < NDP_FRAME_LEN)
        return PKT_FRAME_E_SPACE;
    memcpy(b, dst_mac, 6);
    memcpy(b + 6, self->mac, 6);
    wr16(b + 12, PKT_ETHERTYPE_IPV6);
    uint8_t *ip = b + PKT_ETH_HDR_LEN;
    memset(ip, 0, 4);
    ip[0] = 0x60;
    wr16(ip + 4, NDP_NS_LEN);
    ip[6] = PKT_IPPROTO_ICMP6;
    ip[7] = NDP_HOP_LIMIT;
    memcpy(ip + 8, self->v6.bytes, 16);
    memcpy(ip + 24, dst_ip, 16);
    uint8_t *icmp = ip + PKT_IPV6_HDR_LEN;
    icmp[0] = type;
    icmp[1] = 0;
    wr16(icmp + 2, 0);
    memset(icmp + 4, 0, 4);
    if (type == ICMP6_NA)
        icmp[4] = NA_FLAGS_S_O;
    memcpy(icmp + 8, target, 16);
    icmp[24] = type == ICMP6_NA ? NDP_OPT_TLLA : NDP_OPT_SLLA;
    icmp[25] = 1; /* length in units of 8 octets */
    memcpy(icmp + 26, self->mac, 6);
    wr16(icmp + 2, icmp6_csum(ip, icmp, NDP_NS_LEN));
    return NDP_FRAME_LEN;
}

/*
 * What an ICMP error (RFC 792 / RFC 4443) quotes, q[0..qlen): the IP header
 * of a datagram from our address (ours, of family fam) and its UDP header,
 * then whatever of the payload fits. RFC 792 asks for at least the IP
 * header and 8 octets; RFC 1812 §4.3.2.3 and RFC 4443 §2.4 for as much as
 * fits, which is the DNS header too. Returns PKT_RAW_ICMP_UNREACH or
 * "proto" (not a UDP datagram of ours, quote too short for its headers).
 */
static int icmp_quote(const uint8_t *q, size_t qlen, const struct pkt_addr *ours,
                      struct pkt_raw_rx *out)
{
    size_t ihl;
    const uint8_t *src, *dst;
    if (ours->family == PKT_ADDR_V4) {
        if (qlen < PKT_IPV4_HDR_LEN || q[0] >> 4 != 4)
            return PKT_FRAME_E_PROTO;
        ihl = (size_t)(q[0] & 0xFu) * 4;
        /* A quoted later fragment has no UDP header. */
        if (ihl < PKT_IPV4_HDR_LEN || q[9] != PKT_IPPROTO_UDP || (rd16(q + 6) & 0x1FFF) != 0)
            return PKT_FRAME_E_PROTO;
        src = q + 12;
        dst = q + 16;
    } else {
        /* Our datagrams carry no extension headers. */
        if (qlen < PKT_IPV6_HDR_LEN || q[0] >> 4 != 6 || q[6] != PKT_IPPROTO_UDP)
            return PKT_FRAME_E_PROTO;
        ihl = PKT_IPV6_HDR_LEN;
        src = q + 8;
        dst = q + 24;
    }
    size_t alen = pkt_addr_len(ours);
    if (qlen < ihl + PKT_UDP_HDR_LEN || memcmp(src, ours->bytes, alen) != 0)
        return PKT_FRAME_E_PROTO;
    const uint8_t *udp = q + ihl;
    memset(&out->quoted_dst, 0, sizeof(out->quoted_dst));
    out->quoted_dst.family = ours->family;
    memcpy(out->quoted_dst.bytes, dst, alen);
    out->quoted_src_port = rd16(udp);
    out->quoted_dst_port = rd16(udp + 2);
    out->quoted_payload = udp + PKT_UDP_HDR_LEN;
    size_t plen = qlen - ihl - PKT_UDP_HDR_LEN;
    size_t ulen = rd16(udp + 4);
    if (ulen >= PKT_UDP_HDR_LEN && ulen - PKT_UDP_HDR_LEN < plen)
        plen = ulen - PKT_UDP_HDR_LEN; /* the quote may carry padding */
    out->quoted_payload_len = (uint16_t)plen;
    return PKT_RAW_ICMP_UNREACH;
}

/* ICMPv4 to our address, in a datagram pkt_frame_parse validated (header,
 * lengths, checksum, no fragment) and refused as not UDP. */
static int classify_icmp4(const uint8_t *ip, const struct pkt_raw_self *self,
                          struct pkt_raw_rx *out)
{
    if (ip[9] != PKT_IPPROTO_ICMP)
        return PKT_FRAME_E_PROTO;
    size_t ihl = (size_t)(ip[0] & 0xFu) * 4;
    size_t mlen = rd16(ip + 2) - ihl;
    const uint8_t *icmp = ip + ihl;
    if (mlen < ICMP_ERR_HDR_LEN || icmp[0] != ICMP_UNREACH)
        return PKT_FRAME_E_PROTO;
    if (pkt_csum_fold(pkt_csum_partial(icmp, mlen, 0)) != 0)
        return PKT_FRAME_E_CSUM;
    out->src.family = PKT_ADDR_V4;
    memcpy(out->src.bytes, ip + 12, 4);
    return icmp_quote(icmp + ICMP_ERR_HDR_LEN, mlen - ICMP_ERR_HDR_LEN, &self->v4, out);
}

/* ICMPv6 destination unreachable (plen octets, checked to be in the frame). */
static int classify_icmp6(const uint8_t *ip, size_t plen, const struct pkt_raw_self *self,
                          struct pkt_raw_rx *out)
{
    const uint8_t *icmp = ip + PKT_IPV6_HDR_LEN;
    if (plen < ICMP_ERR_HDR_LEN)
        return PKT_FRAME_E_PROTO;
    if (icmp6_csum(ip, icmp, plen) != 0)
        return PKT_FRAME_E_CSUM;
    out->src.family = PKT_ADDR_V6;
    memcpy(out->src.bytes, ip + 8, 16);
    return icmp_quote(icmp + ICMP_ERR_HDR_LEN, plen - ICMP_ERR_HDR_LEN, &self->v6, out);
}

/*
 * Neighbour discovery (RFC 4861) in an IPv6 packet the frame parser has
 * length-checked (payload length within the frame) and found not to be UDP.
 * Validity per §7.1.1/§7.1.2: hop limit 255, code 0, ICMP length >= 24,
 * checksum, every option of non-zero length inside the message.
 */
static int classify_ndp(const uint8_t *frame, size_t off, bool tagged, bool to_unicast,
                        const struct pkt_raw_self *self, struct pkt_raw_rx *out, uint8_t *reply,
                        size_t reply_cap)
{
    const uint8_t *ip = frame + off;
    if (ip[6] != PKT_IPPROTO_ICMP6)
        return PKT_FRAME_E_PROTO; /* extension headers before ICMPv6: not NDP we use */
    size_t plen = rd16(ip + 4);
    const uint8_t *icmp = ip + PKT_IPV6_HDR_LEN;
    if (plen < 4)
        return PKT_FRAME_E_LEN;
    if (icmp[0] == ICMP6_UNREACH && to_unicast)
        return classify_icmp6(ip, plen, self, out);
    if (icmp[0] != ICMP6_NS && icmp[0] != ICMP6_NA)
        return to_unicast ? PKT_FRAME_E_PROTO : PKT_RAW_IGNORE;
    if (tagged)
        return PKT_RAW_IGNORE;
    if (icmp[1] != 0 || ip[7] != NDP_HOP_LIMIT || plen < 24)
        return PKT_FRAME_E_PROTO;
    if (icmp6_csum(ip, icmp, plen) != 0)
        return PKT_FRAME_E_CSUM;

    /* Options: (type, length in 8-octet units, data); length 0 is invalid. */
    const uint8_t *lla = NULL;
    uint8_t want = icmp[0] == ICMP6_NS ? NDP_OPT_SLLA : NDP_OPT_TLLA;
    for (size_t pos = 24; pos < plen;) {
        if (plen - pos < 2 || icmp[pos + 1] == 0)
            return PKT_FRAME_E_PROTO;
        size_t olen = (size_t)icmp[pos + 1] * 8;
        if (olen > plen - pos)
            return PKT_FRAME_E_PROTO;
        if (icmp[pos] == want && olen == 8 && lla == NULL)
            lla = icmp + pos + 2;
        pos += olen;
    }

    const uint8_t *target = icmp + 8;
    if (icmp[0] == ICMP6_NA) {
        out->has_learned = true;
        out->learned_ip.family = PKT_ADDR_V6;
        memcpy(out->learned_ip.bytes, target, 16);
        memcpy(out->learned_mac, lla != NULL ? lla : frame + 6, 6);
        return PKT_RAW_NDP_ADVERT;
    }
    if (memcmp(target, self->v6.bytes, 16) != 0)
        return PKT_RAW_IGNORE;
    const uint8_t *src = ip + 8;
    if (is_zero(src, 16))
        return PKT_RAW_IGNORE; /* duplicate address detection, §7.2.4: not answered */
    out->has_learned = true;
    out->learned_ip.family = PKT_ADDR_V6;
    memcpy(out->learned_ip.bytes, src, 16);
    memcpy(out->learned_mac, lla != NULL ? lla : frame + 6, 6);
    if (reply != NULL && reply_cap >= PKT_RAW_CTRL_MAX) {
        int n = ndp_build(reply, reply_cap, self, out->learned_mac, src, ICMP6_NA, self->v6.bytes);
        if (n > 0)
            out->reply_len = (uint16_t)n;
    }
    return PKT_RAW_NDP_SOLICIT;
}

static int classify_arp(const uint8_t *frame, size_t len, bool tagged,
                        const struct pkt_raw_self *self, struct pkt_raw_rx *out, uint8_t *reply,
                        size_t reply_cap)
{
    if (self->v4.family != PKT_ADDR_V4 || tagged)
        return PKT_RAW_IGNORE;
    struct pkt_frame_info fi;
    int rc = pkt_frame_parse(frame, len, &fi);
    if (rc == PKT_FRAME_E_ETHERTYPE)
        return PKT_RAW_IGNORE; /* ARP for other hardware or protocols */
    if (rc != PKT_FRAME_ARP)
        return rc;
    /* fi.src/src_mac: sender; fi.dst: target protocol address. */
    if (memcmp(fi.dst.bytes, self->v4.bytes, 4) != 0)
        return PKT_RAW_IGNORE;
    if (!is_zero(fi.src.bytes, 4)) { /* 0.0.0.0: an RFC 5227 probe, nothing to learn */
        out->has_learned = true;
        out->learned_ip = fi.src;
        memcpy(out->learned_mac, fi.src_mac, 6);
    }
    if (fi.arp_op == 2)
        return PKT_RAW_ARP_REPLY;
    if (reply != NULL && reply_cap >= PKT_RAW_CTRL_MAX) {
        int n = pkt_frame_arp_build(reply, reply_cap, 2, self->mac, self->v4.bytes, fi.src_mac,
                                    fi.src.bytes);
        if (n > 0)
            out->reply_len = (uint16_t)n;
    }
    return PKT_RAW_ARP_REQUEST;
}

int pkt_raw_classify(const uint8_t *frame, size_t len, const struct pkt_raw_self *self,
                     struct pkt_raw_rx *out, uint8_t *reply, size_t reply_cap)
{
    memset(out, 0, sizeof(*out));
    if (len < PKT_ETH_HDR_LEN)
        return PKT_FRAME_E_SHORT;
    /* Group bit set: broadcast or multicast, which L3 then decides on. */
    bool to_our_mac = memcmp(frame, self->mac, 6) == 0;
    if (!to_our_mac && (frame[0] & 1) == 0)
        return PKT_RAW_IGNORE;
    uint16_t type;
    size_t off;
    bool tagged;
    int rc = l2_walk(frame, len, &type, &off, &tagged);
    if (rc < 0)
        return to_our_mac ? rc : PKT_RAW_IGNORE;

    struct pkt_frame_info fi;
    switch (type) {
    case PKT_ETHERTYPE_ARP:
        return classify_arp(frame, len, tagged, self, out, reply, reply_cap);
    case PKT_ETHERTYPE_IPV4:
        if (self->v4.family != PKT_ADDR_V4)
            return PKT_RAW_IGNORE;
        if (len - off < PKT_IPV4_HDR_LEN)
            return to_our_mac ? PKT_FRAME_E_SHORT : PKT_RAW_IGNORE;
        if (memcmp(frame + off + 16, self->v4.bytes, 4) != 0)
            return PKT_RAW_IGNORE;
        rc = pkt_frame_parse(frame, len, &fi);
        if (rc == PKT_FRAME_E_PROTO)
            return classify_icmp4(frame + off, self, out);
        break;
    case PKT_ETHERTYPE_IPV6: {
        if (self->v6.family != PKT_ADDR_V6)
            return PKT_RAW_IGNORE;
        if (len - off < PKT_IPV6_HDR_LEN)
            return to_our_mac ? PKT_FRAME_E_SHORT : PKT_RAW_IGNORE;
        const uint8_t *dst = frame + off + 24;
        bool unicast = memcmp(dst, self->v6.bytes, 16) == 0;
        if (!unicast && !is_solicited_node(dst, self->v6.bytes))
            return PKT_RAW_IGNORE;
        rc = pkt_frame_parse(frame, len, &fi);
        if (rc == PKT_FRAME_E_PROTO)
            return classify_ndp(frame, off, tagged, unicast, self, out, reply, reply_cap);
        if (rc == PKT_FRAME_OK && !unicast)
            return PKT_RAW_IGNORE; /* UDP to the multicast group: not a reply to us */
        break;
    }
    default:
        return to_our_mac ? PKT_FRAME_E_ETHERTYPE : PKT_RAW_IGNORE;
    }
    if (rc != PKT_FRAME_OK)
        return rc;
    out->src = fi.src;
    out->src_port = fi.src_port;
    out->dst_port = fi.dst_port;
    out->payload = fi.payload;
    out->payload_len = fi.payload_len;
    out->payload_off = (uint16_t)(fi.payload - frame);
    return PKT_RAW_UDP;
}

int pkt_raw_arp_request_build(uint8_t *buf, size_t cap, const struct pkt_raw_self *self,
                              const struct pkt_addr *target)
{
    static const uint8_t unknown[6];
    if (self->v4.family != PKT_ADDR_V4 || target->family != PKT_ADDR_V4)
        return PKT_FRAME_E_IPHDR;
    return pkt_frame_arp_build(buf, cap, 1, self->mac, self->v4.bytes, unknown, target->bytes);
}

void pkt_raw_ns_mac(const struct pkt_addr *target, uint8_t mac[6])
{
    mac[0] = 0x33;
    mac[1] = 0x33;
    mac[2] = 0xff;
    memcpy(mac + 3, target->bytes + 13, 3);
}

int pkt_raw_ns_build(uint8_t *buf, size_t cap, const struct pkt_raw_self *self,
                     const struct pkt_addr *target)
{
    if (self->v6.family != PKT_ADDR_V6 || target->family != PKT_ADDR_V6)
        return PKT_FRAME_E_IPHDR;
    uint8_t mac[6];
    uint8_t group[16] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };
    pkt_raw_ns_mac(target, mac);
    memcpy(group + 13, target->bytes + 13, 3);
    return ndp_build(buf, cap, self, mac, group, ICMP6_NS, target->bytes);
}

/* ---- TX templates -------------------------------------------------------- */

int pkt_raw_tmpl_init(struct pkt_raw_tmpl *t, const struct pkt_frame_udp *spec)
{
    memset(t, 0, sizeof(*t));
    struct pkt_frame_udp s = *spec;
    s.src_port = 0;
    s.ip_id = 0;
    /* The builder validates the families and writes every constant field. */
    int n = pkt_frame_udp_build(t->hdr, sizeof(t->hdr), &s, NULL, 0);
    if (n < 0)
        return n;
    bool v4 = s.src.family == PKT_ADDR_V4;
    t->hdr_len = (uint8_t)n;
    t->ip_off = (uint8_t)(PKT_ETH_HDR_LEN + (s.has_vlan ? PKT_VLAN_HDR_LEN : 0u));
    t->family = s.src.family;
    uint8_t *ip = t->hdr + t->ip_off;
    uint8_t *udp;
    if (v4) {
        wr16(ip + 2, 0);
        wr16(ip + 10, 0);
        t->ip_sum = pkt_csum_partial(ip, PKT_IPV4_HDR_LEN, 0);
        t->udp_sum = pkt_csum_partial(ip + 12, 8, 0);
        udp = ip + PKT_IPV4_HDR_LEN;
    } else {
        wr16(ip + 4, 0);
        t->udp_sum = pkt_csum_partial(ip + 8, 32, 0);
        udp = ip + PKT_IPV6_HDR_LEN;
    }
    t->udp_sum += PKT_IPPROTO_UDP;
    wr16(udp, 0);
    wr16(udp + 2, 0);
    wr16(udp + 4, 0);
    wr16(udp + 6, 0);
    return 0;
}

size_t pkt_raw_tmpl_write(const struct pkt_raw_tmpl *t, uint8_t *buf, uint16_t src_port,
                          uint16_t dst_port, uint16_t ip_id, const uint8_t *payload,
                          size_t payload_len)
{
    if (payload_len > PKT_RAW_PAYLOAD_MAX)
        return 0;
    size_t hl = t->hdr_len;
    if (payload_len > 0 && payload != buf + hl)
        memcpy(buf + hl, payload, payload_len);
    /* Constant sizes let the compiler turn each copy into a few vector moves. */
    switch (hl) {
    case PKT_ETH_HDR_LEN + PKT_IPV4_HDR_LEN + PKT_UDP_HDR_LEN:
        memcpy(buf, t->hdr, PKT_ETH_HDR_LEN + PKT_IPV4_HDR_LEN + PKT_UDP_HDR_LEN);
        break;
    case PKT_ETH_HDR_LEN + PKT_IPV6_HDR_LEN + PKT_UDP_HDR_LEN:
        memcpy(buf, t->hdr, PKT_ETH_HDR_LEN + PKT_IPV6_HDR_LEN + PKT_UDP_HDR_LEN);
        break;
    default:
        memcpy(buf, t->hdr, hl);
        break;
    }
    uint8_t *ip = buf + t->ip_off;
    unsigned udp_len = PKT_UDP_HDR_LEN + (unsigned)payload_len;
    uint8_t *udp;
    if (t->family == PKT_ADDR_V4) {
        unsigned total = PKT_IPV4_HDR_LEN + udp_len;
        wr16(ip + 2, total);
        wr16(ip + 4, ip_id);
        wr16(ip + 10, pkt_csum_fold(t->ip_sum + total + ip_id));
        udp = ip + PKT_IPV4_HDR_LEN;
    } else {
        wr16(ip + 4, udp_len);
        udp = ip + PKT_IPV6_HDR_LEN;
    }
    wr16(udp, src_port);
    wr16(udp + 2, dst_port);
    wr16(udp + 4, udp_len);
    /* Pseudo-header and header: addresses and protocol (in udp_sum), the
     * ports, and the UDP length twice (pseudo-header and header). */
    uint32_t sum = pkt_csum_partial(udp + PKT_UDP_HDR_LEN, payload_len,
                                    t->udp_sum + src_port + dst_port + 2 * udp_len);
    uint16_t c = pkt_csum_fold(sum);
    /* RFC 768: a computed zero goes out as all ones; zero means "none". */
    wr16(udp + 6, c != 0 ? c : 0xFFFFu);
    return hl + payload_len;
}

/* ---- peers --------------------------------------------------------------- */

static unsigned peer_hash(const struct pkt_addr *a)
{
    uint32_t h = a->family;
    size_t n = pkt_addr_len(a);
    for (size_t i = 0; i < n; i += 4) {
        uint32_t w;
        memcpy(&w, a->bytes + i, 4);
        h = (h ^ w) * 0x9E3779B1u;
        h ^= h >> 15;
    }
    return h & (PEER_SLOTS - 1);
}

static bool peer_is(const struct pkt_raw_peer *p, const struct pkt_addr *a)
{
    return p->addr.family == a->family && memcmp(p->addr.bytes, a->bytes, pkt_addr_len(a)) == 0;
}

void pkt_raw_peers_init(struct pkt_raw_peers *p)
{
    memset(p, 0, sizeof(*p));
}

struct pkt_raw_peer *pkt_raw_peers_find(struct pkt_raw_peers *p, const struct pkt_addr *a)
{
    if (a->family != PKT_ADDR_V4 && a->family != PKT_ADDR_V6)
        return NULL;
    /* At most half the slots are used, so an empty slot ends every probe. */
    for (unsigned i = peer_hash(a);; i = (i + 1) & (PEER_SLOTS - 1)) {
        unsigned k = p->slot_of[i];
        if (k == 0)
            return NULL;
        if (peer_is(&p->peer[k - 1], a))
            return &p->peer[k - 1];
    }
}

struct pkt_raw_peer *pkt_raw_peers_add(struct pkt_raw_peers *p, const struct pkt_addr *a)
{
    if (a->family != PKT_ADDR_V4 && a->family != PKT_ADDR_V6)
        return NULL;
    unsigned i = peer_hash(a);
    for (;; i = (i + 1) & (PEER_SLOTS - 1)) {
        unsigned k = p->slot_of[i];
        if (k == 0)
            break;
        if (peer_is(&p->peer[k - 1], a))
            return &p->peer[k - 1];
    }
    if (p->nb == PKT_RAW_PEERS_MAX)
        return NULL;
    struct pkt_raw_peer *peer = &p->peer[p->nb];
    memset(peer, 0, sizeof(*peer));
    peer->addr.family = a->family;
    memcpy(peer->addr.bytes, a->bytes, pkt_addr_len(a));
    p->nb++;
    p->slot_of[i] = (uint8_t)p->nb;
    return peer;
}

int pkt_raw_peer_set_mac(struct pkt_raw_peer *peer, const struct pkt_raw_self *self,
                         const uint8_t mac[6])
{
    const struct pkt_addr *src = peer->addr.family == PKT_ADDR_V4 ? &self->v4 : &self->v6;
    if (src->family != peer->addr.family)
        return PKT_FRAME_E_IPHDR;
    struct pkt_frame_udp spec;
    memset(&spec, 0, sizeof(spec));
    memcpy(spec.src_mac, self->mac, 6);
    memcpy(spec.dst_mac, mac, 6);
    spec.src = *src;
    spec.dst = peer->addr;
    spec.ttl = 64;
    int rc = pkt_raw_tmpl_init(&peer->tmpl, &spec);
    if (rc != 0)
        return rc;
    memcpy(peer->mac, mac, 6);
    peer->resolved = true;
    return 0;
}

int pkt_raw_solicit_build(uint8_t *buf, size_t cap, const struct pkt_raw_self *self,
                          const struct pkt_addr *target)
{
    if (target->family == PKT_ADDR_V4)
        return pkt_raw_arp_request_build(buf, cap, self, target);
    return pkt_raw_ns_build(buf, cap, self, target);
}

int pkt_raw_peers_learn(struct pkt_raw_peers *p, const struct pkt_raw_self *self,
                        const struct pkt_raw_rx *rx)
{
    if (!rx->has_learned)
        return 0;
    struct pkt_raw_peer *peer = pkt_raw_peers_find(p, &rx->learned_ip);
    if (peer == NULL || peer->resolved)
        return 0;
    return pkt_raw_peer_set_mac(peer, self, rx->learned_mac) == 0 ? 1 : 0;
}

int pkt_raw_peers_setup(struct pkt_raw_peers *p, const struct pkt_raw_self *self,
                        const struct pkt_addr *dst, unsigned nb, const uint8_t *next_hop_mac,
                        char *err, size_t err_len)
{
    pkt_raw_peers_init(p);
    if (nb > PKT_RAW_PEERS_MAX) {
        snprintf(err, err_len, "too many destinations (%u, at most %u)", nb, PKT_RAW_PEERS_MAX);
        return -EINVAL;
    }
    for (unsigned i = 0; i < nb; i++) {
        struct pkt_raw_peer *peer = pkt_raw_peers_add(p, &dst[i]);
        if (peer == NULL) {
            snprintf(err, err_len, "bad destination address");
            return -EINVAL;
        }
        const struct pkt_addr *src = dst[i].family == PKT_ADDR_V4 ? &self->v4 : &self->v6;
        if (src->family != dst[i].family) {
            snprintf(err, err_len, "a resolver's address family has no --source address");
            return -EINVAL;
        }
        if (next_hop_mac != NULL && !peer->resolved &&
            pkt_raw_peer_set_mac(peer, self, next_hop_mac) != 0) {
            snprintf(err, err_len, "cannot build a frame template");
            return -EINVAL;
        }
    }
    return 0;
}

unsigned pkt_raw_peers_unresolved(const struct pkt_raw_peers *p)
{
    unsigned n = 0;
    for (unsigned i = 0; i < p->nb; i++)
        n += p->peer[i].resolved ? 0u : 1u;
    return n;
}

void pkt_raw_peers_unresolved_error(const struct pkt_raw_peers *p, const char *where,
                                    unsigned tries, unsigned total_s, char *err, size_t err_len)
{
    err[0] = '\0';
    for (unsigned i = 0; i < p->nb; i++) {
        const struct pkt_raw_peer *peer = &p->peer[i];
        if (peer->resolved)
            continue;
        char addr[PKT_ADDR_TEXT_MAX];
        if (pkt_addr_format(&peer->addr, addr, sizeof(addr)) < 0)
            addr[0] = '\0';
        snprintf(err, err_len,
                 "%s: no %s reply from %s after %u tries in %u s; the raw engines reach on-link "
                 "resolvers only, or give the gateway's --next-hop-mac",
                 where, peer->addr.family == PKT_ADDR_V4 ? "ARP" : "neighbour advertisement", addr,
                 tries, total_s);
        return;
    }
}
