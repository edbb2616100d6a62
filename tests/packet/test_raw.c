/*
 * tests/packet/test_raw.c - the raw engines' link-layer logic: frame
 * classification (ours or not, drop reasons), ARP and NDP answers, frame
 * templates, the peer table.
 *
 * Expected frames are written out octet by octet here, and checksums are
 * checked with a naive RFC 1071 sum of this file's own, so packet/raw.c is
 * compared with something that does not share its code.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet/frame.h"
#include "packet/raw.h"

#include "icmp_frame.h"
#include "ref_csum.h"

static const uint8_t OUR_MAC[6] = { 0x02, 0x53, 0x00, 0x00, 0x01, 0x00 };
static const uint8_t RES_MAC[6] = { 0x02, 0x53, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t OTHER_MAC[6] = { 0x02, 0x53, 0x00, 0x00, 0x00, 0x77 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct pkt_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct pkt_addr x = { .family = PKT_ADDR_V4 };
    x.bytes[0] = a;
    x.bytes[1] = b;
    x.bytes[2] = c;
    x.bytes[3] = d;
    return x;
}

static struct pkt_addr v6(const char *text)
{
    struct pkt_addr x;
    cr_assert_eq(pkt_addr_parse(text, &x), 0, "%s", text);
    return x;
}

/* Us: 10.53.0.100 / fd53::100. The resolver: 10.53.0.2 / fd53::2. */
static struct pkt_raw_self us(void)
{
    struct pkt_raw_self s;
    memset(&s, 0, sizeof(s));
    memcpy(s.mac, OUR_MAC, 6);
    s.v4 = v4(10, 53, 0, 100);
    s.v6 = v6("fd53::100");
    return s;
}

static struct pkt_raw_self resolver(void)
{
    struct pkt_raw_self s;
    memset(&s, 0, sizeof(s));
    memcpy(s.mac, RES_MAC, 6);
    s.v4 = v4(10, 53, 0, 2);
    s.v6 = v6("fd53::2");
    return s;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* ICMPv6 checksum over an IPv6 packet at ip (no extension headers): 0 when valid. */
static uint16_t ref_icmp6_check(const uint8_t *ip)
{
    uint32_t plen = get16(ip + 4);
    uint32_t sum = ref_sum(ip + 8, 32, 0) + plen + 58;
    return ref_fold(ref_sum(ip + 40, plen, sum));
}

/* ---- frames for the tests ------------------------------------------------------ */

static int udp_frame(uint8_t *buf, size_t cap, const uint8_t dst_mac[6], struct pkt_addr src,
                     struct pkt_addr dst, uint16_t sport, uint16_t dport, const uint8_t *payload,
                     size_t len)
{
    struct pkt_frame_udp spec;
    memset(&spec, 0, sizeof(spec));
    memcpy(spec.src_mac, RES_MAC, 6);
    memcpy(spec.dst_mac, dst_mac, 6);
    spec.src = src;
    spec.dst = dst;
    spec.src_port = sport;
    spec.dst_port = dport;
    spec.ttl = 64;
    spec.ip_id = 0x1234;
    return pkt_frame_udp_build(buf, cap, &spec, payload, len);
}

static const uint8_t DNS[] = { 0xab, 0xcd, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0 };

/* ---- UDP ------------------------------------------------------------------------ */

Test(pkt_raw, udp_to_us_is_a_datagram_pointing_into_the_frame)
{
    struct pkt_raw_self self = us();
    uint8_t f[128];
    int n =
        udp_frame(f, sizeof(f), OUR_MAC, v4(10, 53, 0, 2), self.v4, 53, 40000, DNS, sizeof(DNS));
    cr_assert_gt(n, 0);
    struct pkt_raw_rx rx;
    cr_assert_eq(pkt_raw_classify(f, (size_t)n, &self, &rx, NULL, 0), PKT_RAW_UDP);
    cr_assert(
        pkt_addr_equal(&rx.src, &(struct pkt_addr){ .family = 4, .bytes = { 10, 53, 0, 2 } }));
    cr_assert_eq(rx.src_port, 53);
    cr_assert_eq(rx.dst_port, 40000);
    cr_assert_eq(rx.payload_len, sizeof(DNS));
    cr_assert_eq(rx.payload, f + 42);
    cr_assert_eq(rx.payload_off, 42);
    cr_assert_eq(memcmp(rx.payload, DNS, sizeof(DNS)), 0);

    struct pkt_addr src6 = v6("fd53::2");
    n = udp_frame(f, sizeof(f), OUR_MAC, src6, self.v6, 53, 1024, DNS, sizeof(DNS));
    cr_assert_eq(pkt_raw_classify(f, (size_t)n, &self, &rx, NULL, 0), PKT_RAW_UDP);
    cr_assert(pkt_addr_equal(&rx.src, &src6));
    cr_assert_eq(rx.payload_off, 62);
}

Test(pkt_raw, frames_for_others_are_ignored_not_counted)
{
    struct pkt_raw_self self = us();
    uint8_t f[128];
    struct pkt_raw_rx rx;
    /* Another host's unicast MAC, even with our IP inside. */
    int n =
        udp_frame(f, sizeof(f), OTHER_MAC, v4(10, 53, 0, 2), self.v4, 53, 4000, DNS, sizeof(DNS));
    cr_assert_eq(pkt_raw_classify(f, (size_t)n, &self, &rx, NULL, 0), PKT_RAW_IGNORE);
    /* Our MAC but another IP (and a broken checksum: still not ours to count). */
    n = udp_frame(f, sizeof(f), OUR_MAC, v4(10, 53, 0, 2), v4(10, 53, 0, 10), 53, 4000, DNS,
                  sizeof(DNS));
    f[n - 1] ^= 0xff;
    cr_assert_eq(pkt_raw_classify(f, (size_t)n, &self, &rx, NULL, 0), PKT_RAW_IGNORE);
    /* An IPv6 frame to another address. */
    n = udp_frame(f, sizeof(f), OUR_MAC, v6("fd53::2"), v6("fd53::10"), 53, 4000, DNS, sizeof(DNS));
    cr_assert_eq(pkt_raw_classify(f, (size_t)n, &self, &rx, NULL, 0), PKT_RAW_IGNORE);
    /* UDP to our solicited-node group is no reply. */
    struct pkt_addr group = v6("ff02::1:ff00:100");
    n = udp_frame(f, sizeof(f), BCAST, v6("fd53::2"), group, 53, 4000, DNS, sizeof(DNS));
    cr_assert_eq(pkt_raw_classify(f, (size_t)n, &self, &rx, NULL, 0), PKT_RAW_IGNORE);
    /* An unknown ethertype to a multicast MAC (LLDP). */
    uint8_t lldp[60] = { 0x01, 0x80, 0xc2, 0, 0, 0x0e, 2, 0, 0, 0, 0, 1, 0x88, 0xcc };
    cr_assert_eq(pkt_raw_classify(lldp, sizeof(lldp), &self, &rx, NULL, 0), PKT_RAW_IGNORE);
}

Test(pkt_raw, family_without_a_source_is_ignored)
{
    struct pkt_raw_self self = us();
    uint8_t f[128];
    struct pkt_raw_rx rx;
    int n4 =
        udp_frame(f, sizeof(f), OUR_MAC, v4(10, 53, 0, 2), self.v4, 53, 4000, DNS, sizeof(DNS));
    self.v4.family = 0;
    cr_assert_eq(pkt_raw_classify(f, (size_t)n4, &self, &rx, NULL, 0), PKT_RAW_IGNORE);
    self = us();
    int n6 = udp_frame(f, sizeof(f), OUR_MAC, v6("fd53::2"), self.v6, 53, 4000, DNS, sizeof(DNS));
    self.v6.family = 0;
    cr_assert_eq(pkt_raw_classify(f, (size_t)n6, &self, &rx, NULL, 0), PKT_RAW_IGNORE);
}

/* Damaged frames to us: the frame parser's reason (P17, P18). */
Test(pkt_raw, damaged_frames_to_us_are_drops_by_reason)
{
    struct pkt_raw_self self = us();
    uint8_t f[128], g[128];
    struct pkt_raw_rx rx;
    int n = udp_frame(f, sizeof(f), OUR_MAC, v4(10, 53, 0, 2), self.v4, 53, 4000, DNS, sizeof(DNS));
    cr_assert_gt(n, 0);

    cr_assert_eq(pkt_raw_classify(f, 10, &self, &rx, NULL, 0), PKT_FRAME_E_SHORT);
    cr_assert_eq(pkt_raw_classify(f, 30, &self, &rx, NULL, 0), PKT_FRAME_E_SHORT);
    cr_assert_eq(pkt_raw_classify(f, (size_t)n - 1, &self, &rx, NULL, 0), PKT_FRAME_E_LEN);

    memcpy(g, f, (size_t)n);
    g[n - 1] ^= 0x01; /* payload: UDP checksum */
    cr_assert_eq(pkt_raw_classify(g, (size_t)n, &self, &rx, NULL, 0), PKT_FRAME_E_CSUM);

    memcpy(g, f, (size_t)n);
    g[14 + 8] ^= 0x01; /* TTL: IPv4 header checksum */
    cr_assert_eq(pkt_raw_classify(g, (size_t)n, &self, &rx, NULL, 0), PKT_FRAME_E_CSUM);

    /* MF set, header checksum fixed up. */
    memcpy(g, f, (size_t)n);
    g[14 + 6] |= 0x20;
    g[14 + 10] = g[14 + 11] = 0;
    uint16_t c = ref_fold(ref_sum(g + 14, 20, 0));
    g[14 + 10] = (uint8_t)(c >> 8);
    g[14 + 11] = (uint8_t)c;
    cr_assert_eq(pkt_raw_classify(g, (size_t)n, &self, &rx, NULL, 0), PKT_FRAME_E_FRAGMENT);

    /* TCP (protocol 6) to us. */
    memcpy(g, f, (size_t)n);
    g[14 + 9] = 6;
    g[14 + 10] = g[14 + 11] = 0;
    c = ref_fold(ref_sum(g + 14, 20, 0));
    g[14 + 10] = (uint8_t)(c >> 8);
    g[14 + 11] = (uint8_t)c;
    cr_assert_eq(pkt_raw_classify(g, (size_t)n, &self, &rx, NULL, 0), PKT_FRAME_E_PROTO);

    /* An unknown ethertype to our own MAC is a drop, not noise. */
    memcpy(g, f, (size_t)n);
    g[12] = 0x88;
    g[13] = 0xb5;
    cr_assert_eq(pkt_raw_classify(g, (size_t)n, &self, &rx, NULL, 0), PKT_FRAME_E_ETHERTYPE);
}

/* ---- ICMP destination unreachable (M13) ------------------------------------------ */

/* An ICMP error from the resolver's MAC to ours (icmp_frame.h). */
static size_t icmp_frame(uint8_t *buf, struct pkt_addr from, struct pkt_addr to, uint8_t type,
                         uint8_t code, const uint8_t *q, size_t qlen)
{
    return test_icmp_frame(buf, OUR_MAC, RES_MAC, from, to, type, code, q + 14, qlen);
}

/* Our query to the resolver, as sent: the datagram an ICMP error quotes. */
static int our_query(uint8_t *buf, size_t cap, bool six)
{
    struct pkt_frame_udp spec;
    memset(&spec, 0, sizeof(spec));
    memcpy(spec.src_mac, OUR_MAC, 6);
    memcpy(spec.dst_mac, RES_MAC, 6);
    spec.src = six ? us().v6 : us().v4;
    spec.dst = six ? resolver().v6 : resolver().v4;
    spec.src_port = 40001;
    spec.dst_port = 53;
    spec.ttl = 64;
    return pkt_frame_udp_build(buf, cap, &spec, DNS, sizeof(DNS));
}

static void unreachable_quote(bool six)
{
    struct pkt_raw_self self = us();
    struct pkt_addr router = six ? v6("fd53::1") : v4(10, 53, 0, 1);
    struct pkt_addr res = six ? resolver().v6 : resolver().v4;
    struct pkt_addr ours = six ? self.v6 : self.v4;
    uint8_t q[128], f[256];
    int qn = our_query(q, sizeof(q), six);
    cr_assert_gt(qn, 0);
    size_t whole = (size_t)qn - 14;
    size_t n = icmp_frame(f, router, ours, six ? 1 : 3, six ? 4 : 3, q, whole);
    struct pkt_raw_rx rx;
    cr_assert_eq(pkt_raw_classify(f, n, &self, &rx, NULL, 0), PKT_RAW_ICMP_UNREACH);
    cr_assert(pkt_addr_equal(&rx.src, &router), "the ICMP sender");
    cr_assert(pkt_addr_equal(&rx.quoted_dst, &res), "the quoted destination");
    cr_assert_eq(rx.quoted_src_port, 40001);
    cr_assert_eq(rx.quoted_dst_port, 53);
    cr_assert_eq(rx.quoted_payload_len, sizeof(DNS));
    cr_assert_eq(memcmp(rx.quoted_payload, DNS, sizeof(DNS)), 0);
    /* RFC 792's minimum quote (IP header + 8): no DNS ID to check. */
    n = icmp_frame(f, router, ours, six ? 1 : 3, 1, q, (six ? 40 : 20) + 8);
    cr_assert_eq(pkt_raw_classify(f, n, &self, &rx, NULL, 0), PKT_RAW_ICMP_UNREACH);
    cr_assert_eq(rx.quoted_payload_len, 0);
    cr_assert_eq(rx.quoted_dst_port, 53);
}

Test(pkt_raw, ipv4_unreachable_quoting_our_datagram_says_what_it_quotes)
{
    unreachable_quote(false);
}

Test(pkt_raw, ipv6_unreachable_quoting_our_datagram_says_what_it_quotes)
{
    unreachable_quote(true);
}

Test(pkt_raw, unusable_icmp_to_us_is_dropped_by_reason)
{
    struct pkt_raw_self self = us();
    struct pkt_addr router4 = v4(10, 53, 0, 1), router6 = v6("fd53::1");
    uint8_t q[128], q6[128], f[256];
    int qn = our_query(q, sizeof(q), false), qn6 = our_query(q6, sizeof(q6), true);
    struct pkt_raw_rx rx;
    size_t n = icmp_frame(f, router4, self.v4, 3, 3, q, (size_t)qn - 14);
    f[n - 1] ^= 0x10; /* the ICMP checksum no longer holds */
    cr_assert_eq(pkt_raw_classify(f, n, &self, &rx, NULL, 0), PKT_FRAME_E_CSUM);
    n = icmp_frame(f, router6, self.v6, 1, 4, q6, (size_t)qn6 - 14);
    f[n - 1] ^= 0x10;
    cr_assert_eq(pkt_raw_classify(f, n, &self, &rx, NULL, 0), PKT_FRAME_E_CSUM);
    /* An echo request, a time exceeded: not ours to use. */
    n = icmp_frame(f, router4, self.v4, 8, 0, q, (size_t)qn - 14);
    cr_assert_eq(pkt_raw_classify(f, n, &self, &rx, NULL, 0), PKT_FRAME_E_PROTO);
    n = icmp_frame(f, router6, self.v6, 3, 0, q6, (size_t)qn6 - 14);
    cr_assert_eq(pkt_raw_classify(f, n, &self, &rx, NULL, 0), PKT_FRAME_E_PROTO);
    /* Quoting less than the UDP header. */
    n = icmp_frame(f, router4, self.v4, 3, 3, q, 20 + 4);
    cr_assert_eq(pkt_raw_classify(f, n, &self, &rx, NULL, 0), PKT_FRAME_E_PROTO);
    /* Quoting a datagram from another host. */
    uint8_t o[128];
    memcpy(o, q, (size_t)qn);
    o[14 + 15] = 99; /* quoted source 10.53.0.99 (its checksum is not ours to check) */
    n = icmp_frame(f, router4, self.v4, 3, 3, o, (size_t)qn - 14);
    cr_assert_eq(pkt_raw_classify(f, n, &self, &rx, NULL, 0), PKT_FRAME_E_PROTO);
    /* Quoting TCP. */
    memcpy(o, q, (size_t)qn);
    o[14 + 9] = 6;
    n = icmp_frame(f, router4, self.v4, 3, 3, o, (size_t)qn - 14);
    cr_assert_eq(pkt_raw_classify(f, n, &self, &rx, NULL, 0), PKT_FRAME_E_PROTO);
    /* To another host: not looked at. */
    n = icmp_frame(f, router4, v4(10, 53, 0, 10), 3, 3, q, (size_t)qn - 14);
    cr_assert_eq(pkt_raw_classify(f, n, &self, &rx, NULL, 0), PKT_RAW_IGNORE);
}

/* ---- ARP ------------------------------------------------------------------------- */

Test(pkt_raw, arp_request_for_us_gets_a_reply_octet_for_octet)
{
    struct pkt_raw_self self = us(), res = resolver();
    uint8_t req[60];
    int n = pkt_raw_arp_request_build(req, sizeof(req), &res, &self.v4);
    cr_assert_eq(n, 42);
    struct pkt_raw_rx rx;
    uint8_t reply[PKT_RAW_CTRL_MAX];
    /* Padded to the Ethernet minimum, as on the wire. */
    memset(req + 42, 0, sizeof(req) - 42);
    cr_assert_eq(pkt_raw_classify(req, sizeof(req), &self, &rx, reply, sizeof(reply)),
                 PKT_RAW_ARP_REQUEST);
    cr_assert(rx.has_learned);
    cr_assert(pkt_addr_equal(&rx.learned_ip, &res.v4));
    cr_assert_eq(memcmp(rx.learned_mac, RES_MAC, 6), 0);
    static const uint8_t want[42] = {
        0x02, 0x53, 0x00, 0x00, 0x00, 0x02,                     /* to the asker */
        0x02, 0x53, 0x00, 0x00, 0x01, 0x00,                     /* from us */
        0x08, 0x06,                                             /* ARP */
        0x00, 0x01, 0x08, 0x00, 6,    4,    0x00, 0x02,         /* Ethernet/IPv4, reply */
        0x02, 0x53, 0x00, 0x00, 0x01, 0x00, 10,   53,   0, 100, /* sender: us */
        0x02, 0x53, 0x00, 0x00, 0x00, 0x02, 10,   53,   0, 2,   /* target: the asker */
    };
    cr_assert_eq(rx.reply_len, 42);
    cr_assert_eq(memcmp(reply, want, sizeof(want)), 0);

    /* Without a buffer: still classified, nothing built. */
    cr_assert_eq(pkt_raw_classify(req, sizeof(req), &self, &rx, NULL, 0), PKT_RAW_ARP_REQUEST);
    cr_assert_eq(rx.reply_len, 0);
}

Test(pkt_raw, arp_for_others_tagged_or_foreign_is_ignored)
{
    struct pkt_raw_self self = us(), res = resolver();
    uint8_t f[64];
    struct pkt_raw_rx rx;
    uint8_t reply[PKT_RAW_CTRL_MAX];
    struct pkt_addr other = v4(10, 53, 0, 10);
    int n = pkt_raw_arp_request_build(f, sizeof(f), &res, &other);
    cr_assert_eq(pkt_raw_classify(f, (size_t)n, &self, &rx, reply, sizeof(reply)), PKT_RAW_IGNORE);

    /* A VLAN-tagged request for us: we answer untagged, so not at all. */
    uint8_t t[64];
    n = pkt_raw_arp_request_build(f, sizeof(f), &res, &self.v4);
    memcpy(t, f, 12);
    t[12] = 0x81;
    t[13] = 0x00;
    t[14] = 0x00;
    t[15] = 0x07;
    memcpy(t + 16, f + 12, (size_t)n - 12);
    cr_assert_eq(pkt_raw_classify(t, (size_t)n + 4, &self, &rx, reply, sizeof(reply)),
                 PKT_RAW_IGNORE);

    /* ARP for another protocol type. */
    n = pkt_raw_arp_request_build(f, sizeof(f), &res, &self.v4);
    f[16] = 0x86;
    f[17] = 0xdd;
    cr_assert_eq(pkt_raw_classify(f, (size_t)n, &self, &rx, reply, sizeof(reply)), PKT_RAW_IGNORE);

    /* No IPv4 source: ARP is none of our business. */
    n = pkt_raw_arp_request_build(f, sizeof(f), &res, &self.v4);
    self.v4.family = 0;
    cr_assert_eq(pkt_raw_classify(f, (size_t)n, &self, &rx, reply, sizeof(reply)), PKT_RAW_IGNORE);
}

Test(pkt_raw, arp_reply_to_us_is_learned)
{
    struct pkt_raw_self self = us(), res = resolver();
    uint8_t req[64], reply[PKT_RAW_CTRL_MAX];
    struct pkt_raw_rx rx;
    /* Our request, answered by the resolver's side of the same code. */
    int n = pkt_raw_arp_request_build(req, sizeof(req), &self, &res.v4);
    cr_assert_eq(memcmp(req, BCAST, 6), 0);
    cr_assert_eq(pkt_raw_classify(req, (size_t)n, &res, &rx, reply, sizeof(reply)),
                 PKT_RAW_ARP_REQUEST);
    cr_assert_eq(pkt_raw_classify(reply, rx.reply_len, &self, &rx, NULL, 0), PKT_RAW_ARP_REPLY);
    cr_assert(rx.has_learned);
    cr_assert(pkt_addr_equal(&rx.learned_ip, &res.v4));
    cr_assert_eq(memcmp(rx.learned_mac, RES_MAC, 6), 0);
}

/* ---- NDP ------------------------------------------------------------------------- */

Test(pkt_raw, neighbour_solicitation_is_well_formed)
{
    struct pkt_raw_self self = us();
    struct pkt_addr target = v6("fd53::2");
    uint8_t f[PKT_RAW_CTRL_MAX];
    cr_assert_eq(pkt_raw_ns_build(f, sizeof(f), &self, &target), 86);
    static const uint8_t dst_mac[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x02 };
    cr_assert_eq(memcmp(f, dst_mac, 6), 0);
    cr_assert_eq(memcmp(f + 6, OUR_MAC, 6), 0);
    cr_assert_eq(get16(f + 12), 0x86dd);
    const uint8_t *ip = f + 14;
    struct pkt_addr group = v6("ff02::1:ff00:2");
    cr_assert_eq(ip[0], 0x60);
    cr_assert_eq(get16(ip + 4), 32);
    cr_assert_eq(ip[6], 58);
    cr_assert_eq(ip[7], 255);
    cr_assert_eq(memcmp(ip + 8, self.v6.bytes, 16), 0);
    cr_assert_eq(memcmp(ip + 24, group.bytes, 16), 0);
    const uint8_t *icmp = ip + 40;
    cr_assert_eq(icmp[0], 135);
    cr_assert_eq(icmp[1], 0);
    cr_assert_eq(memcmp(icmp + 8, target.bytes, 16), 0);
    cr_assert_eq(icmp[24], 1); /* source link-layer address */
    cr_assert_eq(icmp[25], 1);
    cr_assert_eq(memcmp(icmp + 26, OUR_MAC, 6), 0);
    cr_assert_eq(ref_icmp6_check(ip), 0);
}

Test(pkt_raw, solicitation_for_us_gets_an_advertisement_with_right_checksum)
{
    struct pkt_raw_self self = us(), res = resolver();
    uint8_t ns[PKT_RAW_CTRL_MAX], na[PKT_RAW_CTRL_MAX];
    int n = pkt_raw_ns_build(ns, sizeof(ns), &res, &self.v6);
    cr_assert_eq(n, 86);
    struct pkt_raw_rx rx;
    cr_assert_eq(pkt_raw_classify(ns, (size_t)n, &self, &rx, na, sizeof(na)), PKT_RAW_NDP_SOLICIT);
    cr_assert(rx.has_learned);
    cr_assert(pkt_addr_equal(&rx.learned_ip, &res.v6));
    cr_assert_eq(memcmp(rx.learned_mac, RES_MAC, 6), 0);
    cr_assert_eq(rx.reply_len, 86);

    /* The advertisement, field by field (RFC 4861 §4.4). */
    cr_assert_eq(memcmp(na, RES_MAC, 6), 0);
    cr_assert_eq(memcmp(na + 6, OUR_MAC, 6), 0);
    const uint8_t *ip = na + 14;
    cr_assert_eq(ip[7], 255);
    cr_assert_eq(memcmp(ip + 8, self.v6.bytes, 16), 0);
    cr_assert_eq(memcmp(ip + 24, res.v6.bytes, 16), 0);
    const uint8_t *icmp = ip + 40;
    cr_assert_eq(icmp[0], 136);
    cr_assert_eq(icmp[4], 0x60); /* solicited, override; not a router */
    cr_assert_eq(memcmp(icmp + 8, self.v6.bytes, 16), 0);
    cr_assert_eq(icmp[24], 2); /* target link-layer address */
    cr_assert_eq(memcmp(icmp + 26, OUR_MAC, 6), 0);
    cr_assert_eq(ref_icmp6_check(ip), 0, "NA checksum");

    /* And the resolver's side learns us from it. */
    cr_assert_eq(pkt_raw_classify(na, rx.reply_len, &res, &rx, NULL, 0), PKT_RAW_NDP_ADVERT);
    cr_assert(rx.has_learned);
    cr_assert(pkt_addr_equal(&rx.learned_ip, &self.v6));
    cr_assert_eq(memcmp(rx.learned_mac, OUR_MAC, 6), 0);
}

static void fix_icmp6(uint8_t *ip)
{
    ip[42] = ip[43] = 0;
    uint16_t c = ref_icmp6_check(ip);
    ip[42] = (uint8_t)(c >> 8);
    ip[43] = (uint8_t)c;
}

Test(pkt_raw, bad_or_foreign_solicitations)
{
    struct pkt_raw_self self = us(), res = resolver();
    uint8_t ns[PKT_RAW_CTRL_MAX], f[PKT_RAW_CTRL_MAX], reply[PKT_RAW_CTRL_MAX];
    struct pkt_raw_rx rx;
    int n = pkt_raw_ns_build(ns, sizeof(ns), &res, &self.v6);

    memcpy(f, ns, (size_t)n);
    f[14 + 40 + 30] ^= 1; /* inside the option: checksum now wrong */
    cr_assert_eq(pkt_raw_classify(f, (size_t)n, &self, &rx, reply, sizeof(reply)),
                 PKT_FRAME_E_CSUM);

    memcpy(f, ns, (size_t)n);
    f[14 + 7] = 254; /* hop limit: forwarded, RFC 4861 §7.1.1 */
    cr_assert_eq(pkt_raw_classify(f, (size_t)n, &self, &rx, reply, sizeof(reply)),
                 PKT_FRAME_E_PROTO);

    memcpy(f, ns, (size_t)n);
    f[14 + 40 + 25] = 0; /* option of length 0 */
    fix_icmp6(f + 14);
    cr_assert_eq(pkt_raw_classify(f, (size_t)n, &self, &rx, reply, sizeof(reply)),
                 PKT_FRAME_E_PROTO);

    memcpy(f, ns, (size_t)n);
    f[14 + 40 + 25] = 2; /* option running past the message */
    fix_icmp6(f + 14);
    cr_assert_eq(pkt_raw_classify(f, (size_t)n, &self, &rx, reply, sizeof(reply)),
                 PKT_FRAME_E_PROTO);

    /* Duplicate address detection (source ::) for our address: not answered. */
    memcpy(f, ns, (size_t)n);
    memset(f + 14 + 8, 0, 16);
    fix_icmp6(f + 14);
    cr_assert_eq(pkt_raw_classify(f, (size_t)n, &self, &rx, reply, sizeof(reply)), PKT_RAW_IGNORE);

    /* NS for another address of the same solicited-node group. */
    struct pkt_addr other = v6("fd53:1::100");
    n = pkt_raw_ns_build(f, sizeof(f), &res, &other);
    cr_assert_eq(pkt_raw_classify(f, (size_t)n, &self, &rx, reply, sizeof(reply)), PKT_RAW_IGNORE);

    /* An echo request to our unicast address is traffic to us we cannot use. */
    n = pkt_raw_ns_build(ns, sizeof(ns), &res, &self.v6);
    memcpy(f, ns, (size_t)n);
    memcpy(f, OUR_MAC, 6);
    memcpy(f + 14 + 24, self.v6.bytes, 16);
    f[14 + 40] = 128;
    fix_icmp6(f + 14);
    cr_assert_eq(pkt_raw_classify(f, (size_t)n, &self, &rx, reply, sizeof(reply)),
                 PKT_FRAME_E_PROTO);
}

/* ---- templates ------------------------------------------------------------------- */

static void check_template(struct pkt_frame_udp spec)
{
    struct pkt_raw_tmpl t;
    cr_assert_eq(pkt_raw_tmpl_init(&t, &spec), 0);
    cr_assert_eq(t.hdr_len, pkt_frame_udp_hdr_len(&spec));
    static uint8_t payload[1500], want[1600], got[1600], inplace[1600];
    unsigned seed = 12345;
    for (unsigned i = 0; i < sizeof(payload); i++) {
        seed = seed * 1103515245u + 12345u;
        payload[i] = (uint8_t)(seed >> 16);
    }
    for (unsigned len = 0; len <= 300; len++) {
        seed = seed * 1103515245u + 12345u;
        spec.src_port = (uint16_t)(seed >> 8);
        spec.dst_port = (uint16_t)(len * 7919u);
        spec.ip_id = (uint16_t)(seed >> 16);
        if (len == 17) {
            spec.src_port = 0xffff;
            spec.ip_id = 0xffff;
        }
        int n = pkt_frame_udp_build(want, sizeof(want), &spec, payload, len);
        cr_assert_gt(n, 0);
        size_t m =
            pkt_raw_tmpl_write(&t, got, spec.src_port, spec.dst_port, spec.ip_id, payload, len);
        cr_assert_eq(m, (size_t)n, "length, payload %u", len);
        cr_assert_eq(memcmp(got, want, m), 0, "octets differ, payload %u", len);
        /* The payload already in place (the engines' way) gives the same frame. */
        memset(inplace, 0xee, sizeof(inplace));
        memcpy(inplace + t.hdr_len, payload, len);
        m = pkt_raw_tmpl_write(&t, inplace, spec.src_port, spec.dst_port, spec.ip_id,
                               inplace + t.hdr_len, len);
        cr_assert_eq(memcmp(inplace, want, m), 0, "in place, payload %u", len);

        struct pkt_frame_info fi;
        cr_assert_eq(pkt_frame_parse(got, m, &fi), PKT_FRAME_OK, "parse, payload %u", len);
        cr_assert(pkt_addr_equal(&fi.src, &spec.src));
        cr_assert(pkt_addr_equal(&fi.dst, &spec.dst));
        cr_assert_eq(fi.src_port, spec.src_port);
        cr_assert_eq(fi.dst_port, spec.dst_port);
        cr_assert_eq(fi.payload_len, len);
        cr_assert_eq(memcmp(fi.payload, payload, len), 0);
    }
}

static struct pkt_frame_udp spec_for(struct pkt_addr src, struct pkt_addr dst, bool vlan)
{
    struct pkt_frame_udp spec;
    memset(&spec, 0, sizeof(spec));
    memcpy(spec.src_mac, OUR_MAC, 6);
    memcpy(spec.dst_mac, RES_MAC, 6);
    spec.has_vlan = vlan;
    spec.vlan_tci = 0x0123;
    spec.src = src;
    spec.dst = dst;
    spec.ttl = 64;
    return spec;
}

Test(pkt_raw, template_frames_equal_the_builders_ipv4)
{
    check_template(spec_for(v4(10, 53, 0, 100), v4(10, 53, 0, 2), false));
    check_template(spec_for(v4(255, 255, 255, 254), v4(0, 0, 0, 1), false));
}

Test(pkt_raw, template_frames_equal_the_builders_ipv6)
{
    check_template(spec_for(v6("fd53::100"), v6("fd53::2"), false));
    check_template(spec_for(v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), v6("::1"), false));
}

Test(pkt_raw, template_frames_equal_the_builders_vlan)
{
    check_template(spec_for(v4(10, 53, 0, 100), v4(10, 53, 0, 2), true));
    check_template(spec_for(v6("fd53::100"), v6("fd53::2"), true));
}

Test(pkt_raw, template_refuses_mixed_families_and_huge_payloads)
{
    struct pkt_raw_tmpl t;
    cr_assert_eq(
        pkt_raw_tmpl_init(&t, &(struct pkt_frame_udp){ .src = v4(1, 2, 3, 4), .dst = v6("::1") }),
        PKT_FRAME_E_IPHDR);
    struct pkt_frame_udp spec = spec_for(v4(10, 53, 0, 100), v4(10, 53, 0, 2), false);
    cr_assert_eq(pkt_raw_tmpl_init(&t, &spec), 0);
    static uint8_t big[PKT_RAW_PAYLOAD_MAX + 200];
    cr_assert_eq(pkt_raw_tmpl_write(&t, big, 1, 2, 3, big + 100, PKT_RAW_PAYLOAD_MAX + 1), 0);
    cr_assert_eq(pkt_raw_tmpl_write(&t, big, 1, 2, 3, big + t.hdr_len, PKT_RAW_PAYLOAD_MAX),
                 t.hdr_len + PKT_RAW_PAYLOAD_MAX);
}

/* ---- peers ----------------------------------------------------------------------- */

Test(pkt_raw, peer_table_holds_its_capacity_and_finds_each)
{
    static struct pkt_raw_peers p;
    pkt_raw_peers_init(&p);
    for (unsigned i = 0; i < PKT_RAW_PEERS_MAX; i++) {
        struct pkt_addr a = i % 2 ? v4(10, 0, (uint8_t)(i >> 8), (uint8_t)i) : v6("fd00::1");
        a.bytes[15] = a.family == PKT_ADDR_V6 ? (uint8_t)i : 0;
        struct pkt_raw_peer *x = pkt_raw_peers_add(&p, &a);
        cr_assert_not_null(x, "peer %u", i);
        cr_assert_eq(pkt_raw_peers_add(&p, &a), x, "same peer again");
    }
    cr_assert_eq(p.nb, PKT_RAW_PEERS_MAX);
    struct pkt_addr extra = v4(192, 0, 2, 1);
    cr_assert_null(pkt_raw_peers_add(&p, &extra));
    cr_assert_null(pkt_raw_peers_find(&p, &extra));
    for (unsigned i = 0; i < PKT_RAW_PEERS_MAX; i++) {
        struct pkt_addr a = i % 2 ? v4(10, 0, (uint8_t)(i >> 8), (uint8_t)i) : v6("fd00::1");
        a.bytes[15] = a.family == PKT_ADDR_V6 ? (uint8_t)i : 0;
        struct pkt_raw_peer *x = pkt_raw_peers_find(&p, &a);
        cr_assert_not_null(x);
        cr_assert(pkt_addr_equal(&x->addr, &a));
    }
    struct pkt_addr bad = { .family = 5 };
    cr_assert_null(pkt_raw_peers_add(&p, &bad));
}

Test(pkt_raw, learning_resolves_a_peer_once)
{
    struct pkt_raw_self self = us(), res = resolver();
    static struct pkt_raw_peers p;
    pkt_raw_peers_init(&p);
    struct pkt_raw_peer *peer = pkt_raw_peers_add(&p, &res.v4);
    cr_assert(!peer->resolved);
    uint8_t req[64], reply[PKT_RAW_CTRL_MAX];
    struct pkt_raw_rx rx;
    int n = pkt_raw_solicit_build(req, sizeof(req), &self, &res.v4);
    cr_assert_eq(n, 42);
    cr_assert_eq(pkt_raw_classify(req, (size_t)n, &res, &rx, reply, sizeof(reply)),
                 PKT_RAW_ARP_REQUEST);
    cr_assert_eq(pkt_raw_classify(reply, rx.reply_len, &self, &rx, NULL, 0), PKT_RAW_ARP_REPLY);
    cr_assert_eq(pkt_raw_peers_learn(&p, &self, &rx), 1);
    cr_assert(peer->resolved);
    cr_assert_eq(memcmp(peer->mac, RES_MAC, 6), 0);
    cr_assert_eq(memcmp(peer->tmpl.hdr, RES_MAC, 6), 0, "template to the learned MAC");
    /* A later, different claim does not move a resolved peer. */
    memcpy(rx.learned_mac, OTHER_MAC, 6);
    cr_assert_eq(pkt_raw_peers_learn(&p, &self, &rx), 0);
    cr_assert_eq(memcmp(peer->mac, RES_MAC, 6), 0);
    /* IPv6 peer, our source missing: no template. */
    struct pkt_raw_peer *p6 = pkt_raw_peers_add(&p, &res.v6);
    self.v6.family = 0;
    cr_assert_eq(pkt_raw_peer_set_mac(p6, &self, RES_MAC), PKT_FRAME_E_IPHDR);
    cr_assert(!p6->resolved);
}
