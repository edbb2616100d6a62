/*
 * tests/packet/test_frame.c - Ethernet/VLAN/IPv4/IPv6/UDP/ARP frames:
 * parse (docs/test-cases.md P17, P18), build, checksums.
 *
 * Frames here come from three independent sources: the kernel (captured on
 * lo), a hand-made builder in this file with its own naive RFC 1071 sum, and
 * pkt_frame_udp_build. Each must agree with the others octet for octet.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet/frame.h"

#include "ref_csum.h"

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- a hand-made frame builder -------------------------------------------------- */

static const uint8_t MAC_DST[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
static const uint8_t MAC_SRC[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x02 };
static const uint8_t V4_SRC[4] = { 192, 0, 2, 53 };
static const uint8_t V4_DST[4] = { 198, 51, 100, 7 };
static const uint8_t V6_SRC[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53 };
static const uint8_t V6_DST[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7 };
#define SPORT 53
#define DPORT 40000
#define IP_ID 0x1234
#define TTL   64

/*
 * What a hand-made frame looks like; zero values give a valid frame. The
 * *_delta and override fields inject exactly one defect, and the checksums
 * are computed after them so that nothing else is wrong.
 */
struct hf {
    bool v6;
    int nb_vlan;         /* 0, 1, 2 or 3 tags */
    uint16_t outer_tpid; /* 0: 0x8100 */
    uint16_t ethertype;  /* 0: from v6 */
    const uint8_t *l3x;  /* IPv4 options or the IPv6 extension header chain */
    size_t l3x_len;
    uint8_t nh;         /* IPv6: fixed header's next header when l3x is set; IPv4: proto */
    uint8_t version;    /* 0: 4 or 6 */
    int ihl_delta;      /* IPv4 IHL field minus the real one (in 4-octet words) */
    uint16_t frag;      /* IPv4 flags+offset; 0 means DF */
    int ip_len_delta;   /* added to IPv4 total length / IPv6 payload length */
    int udp_len_delta;  /* added to the UDP length */
    bool bad_ip_csum;   /* IPv4 header checksum off by one */
    bool bad_udp_csum;  /* UDP checksum off by one */
    bool zero_udp_csum; /* UDP checksum field 0 */
    size_t payload_len; /* octets of the pattern payload */
    size_t pad;         /* Ethernet padding after the datagram */
};

static uint8_t payload_octet(size_t i)
{
    return (uint8_t)(i * 7 + 3);
}

struct hf_out {
    size_t len;         /* frame length */
    size_t payload_off; /* where the UDP payload starts */
};

static struct hf_out hf_build(uint8_t *buf, const struct hf *h)
{
    size_t n = 0;
    memcpy(buf, MAC_DST, 6);
    memcpy(buf + 6, MAC_SRC, 6);
    n = 12;
    for (int i = 0; i < h->nb_vlan; i++) {
        put16(buf + n, i == 0 && h->outer_tpid ? h->outer_tpid : 0x8100);
        put16(buf + n + 2, 0x0100u * (unsigned)(i + 1) + 42); /* PCP/VID differ per tag */
        n += 4;
    }
    put16(buf + n, h->ethertype ? h->ethertype : h->v6 ? 0x86DD : 0x0800);
    n += 2;
    uint8_t *ip = buf + n;
    size_t ip_hdr = h->v6 ? 40 : 20;
    if (h->l3x_len > 0)
        memcpy(ip + ip_hdr, h->l3x, h->l3x_len);
    uint8_t *udp = ip + ip_hdr + h->l3x_len;
    size_t udp_len = 8 + h->payload_len;
    for (size_t i = 0; i < h->payload_len; i++)
        udp[8 + i] = payload_octet(i);
    put16(udp, SPORT);
    put16(udp + 2, DPORT);
    put16(udp + 4, (unsigned)((int)udp_len + h->udp_len_delta));
    put16(udp + 6, 0);

    uint32_t pseudo;
    if (!h->v6) {
        size_t ihl = 20 + h->l3x_len;
        ip[0] =
            (uint8_t)((h->version ? h->version : 4) << 4 | (unsigned)((int)ihl / 4 + h->ihl_delta));
        ip[1] = 0;
        put16(ip + 2, (unsigned)((int)(ihl + udp_len) + h->ip_len_delta));
        put16(ip + 4, IP_ID);
        put16(ip + 6, h->frag ? h->frag : 0x4000);
        ip[8] = TTL;
        ip[9] = h->nh ? h->nh : 17;
        put16(ip + 10, 0);
        memcpy(ip + 12, V4_SRC, 4);
        memcpy(ip + 16, V4_DST, 4);
        put16(ip + 10, (unsigned)(ref_fold(ref_sum(ip, ihl, 0)) + h->bad_ip_csum));
        pseudo = ref_sum(ip + 12, 8, 0);
    } else {
        ip[0] = (uint8_t)((h->version ? h->version : 6) << 4);
        ip[1] = ip[2] = ip[3] = 0;
        put16(ip + 4, (unsigned)((int)(h->l3x_len + udp_len) + h->ip_len_delta));
        ip[6] = h->l3x_len ? h->nh : (h->nh ? h->nh : 17);
        ip[7] = TTL;
        memcpy(ip + 8, V6_SRC, 16);
        memcpy(ip + 24, V6_DST, 16);
        pseudo = ref_sum(ip + 8, 32, 0);
    }
    uint16_t ck = ref_fold(ref_sum(udp, udp_len, pseudo + 17 + (uint32_t)udp_len));
    if (ck == 0)
        ck = 0xffff;
    if (h->zero_udp_csum)
        ck = 0;
    if (h->bad_udp_csum)
        ck = (uint16_t)(ck + 1);
    put16(udp + 6, ck);
    size_t end = (size_t)(udp - buf) + udp_len;
    memset(buf + end, 0, h->pad);
    return (struct hf_out){ end + h->pad, (size_t)(udp - buf) + 8 };
}

/* IPv6 extension headers, 8 octets each, chained; the last points at final_nh. */
static size_t ext_chain(uint8_t *out, const uint8_t *types, size_t nb, uint8_t final_nh)
{
    for (size_t i = 0; i < nb; i++) {
        uint8_t *e = out + 8 * i;
        memset(e, 0, 8);
        e[0] = i + 1 < nb ? types[i + 1] : final_nh;
        e[1] = 0;
        if (types[i] == 44) {
            put16(e + 2, 0); /* offset 0, M=0: an atomic fragment, still refused */
            e[7] = 1;        /* identification */
        } else if (types[i] == 43) {
            e[2] = 4; /* routing type (SRH-like), segments left 0 */
            e[3] = 0;
        } else {
            e[2] = 1; /* PadN option, 4 octets of padding */
            e[3] = 4;
        }
    }
    return 8 * nb;
}

/* Parse from an exact-size heap copy, so ASAN sees any read past the end. */
static int parse_copy(const uint8_t *frame, size_t len, struct pkt_frame_info *info)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    cr_assert_not_null(copy);
    memcpy(copy, frame, len);
    int rc = pkt_frame_parse(copy, len, info);
    if (info->payload != NULL) /* re-base the borrowed pointer onto the caller's frame */
        info->payload = frame + (info->payload - copy);
    free(copy);
    return rc;
}

static void assert_udp_info(const struct pkt_frame_info *in, const uint8_t *frame,
                            const struct hf *h, struct hf_out o, const char *what)
{
    cr_assert_arr_eq(in->dst_mac, MAC_DST, 6, "%s", what);
    cr_assert_arr_eq(in->src_mac, MAC_SRC, 6, "%s", what);
    cr_assert_eq(in->has_vlan, h->nb_vlan > 0, "%s", what);
    cr_assert_eq(in->vlan_tci, h->nb_vlan > 0 ? 0x0100 + 42 : 0, "%s: outer TCI", what);
    uint8_t fam = h->v6 ? PKT_ADDR_V6 : PKT_ADDR_V4;
    uint8_t want_src[16] = { 0 }, want_dst[16] = { 0 };
    memcpy(want_src, h->v6 ? V6_SRC : V4_SRC, h->v6 ? 16 : 4);
    memcpy(want_dst, h->v6 ? V6_DST : V4_DST, h->v6 ? 16 : 4);
    cr_assert_eq(in->src.family, fam, "%s", what);
    cr_assert_eq(in->dst.family, fam, "%s", what);
    cr_assert_arr_eq(in->src.bytes, want_src, 16, "%s", what);
    cr_assert_arr_eq(in->dst.bytes, want_dst, 16, "%s", what);
    cr_assert_eq(in->src_port, SPORT, "%s", what);
    cr_assert_eq(in->dst_port, DPORT, "%s", what);
    cr_assert_eq(in->payload, frame + o.payload_off, "%s: payload pointer", what);
    cr_assert_eq(in->payload_len, h->payload_len, "%s: payload length", what);
    cr_assert_eq(in->arp_op, 0, "%s", what);
}

/* ---- P17 / P18: table of hand-made frames and the verdict each must get -------- */

static const uint8_t opt_router_alert[4] = { 0x94, 0x04, 0x00, 0x00 };
static const uint8_t opt_nops_40[40] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0
};

enum chain_id {
    CH_NONE,
    CH_HBH_DST,
    CH_HBH_RT_DST,
    CH_DST8,
    CH_DST9,
    CH_DST_HBH,
    CH_FRAG,
    CH_HBH_FRAG,
    CH_NONEXT,
    CH_RT_BIG,   /* routing header whose length runs past the payload */
    CH_DST_LONG, /* a 24-octet destination options header */
};

struct frame_case {
    const char *name;
    struct hf h;
    enum chain_id chain;
    int want;
};

#define UDP_P .payload_len = 33

static const struct frame_case frame_cases[] = {
    { "ipv4", { UDP_P }, CH_NONE, PKT_FRAME_OK },
    { "ipv4 empty payload", { .payload_len = 0 }, CH_NONE, PKT_FRAME_OK },
    { "ipv4 vlan", { UDP_P, .nb_vlan = 1 }, CH_NONE, PKT_FRAME_OK },
    { "ipv4 qinq 88a8+8100", { UDP_P, .nb_vlan = 2, .outer_tpid = 0x88A8 }, CH_NONE, PKT_FRAME_OK },
    { "ipv4 double 8100", { UDP_P, .nb_vlan = 2 }, CH_NONE, PKT_FRAME_OK },
    { "ipv4 three tags", { UDP_P, .nb_vlan = 3 }, CH_NONE, PKT_FRAME_E_ETHERTYPE },
    { "ipv4 ihl 6 router alert",
      { UDP_P, .l3x = opt_router_alert, .l3x_len = 4 },
      CH_NONE,
      PKT_FRAME_OK },
    { "ipv4 ihl 15", { UDP_P, .l3x = opt_nops_40, .l3x_len = 40 }, CH_NONE, PKT_FRAME_OK },
    { "ipv4 ihl 15 vlan",
      { UDP_P, .nb_vlan = 1, .l3x = opt_nops_40, .l3x_len = 40 },
      CH_NONE,
      PKT_FRAME_OK },
    { "ipv4 ihl 4", { UDP_P, .ihl_delta = -1 }, CH_NONE, PKT_FRAME_E_IPHDR },
    { "ipv4 ihl 0", { UDP_P, .ihl_delta = -5 }, CH_NONE, PKT_FRAME_E_IPHDR },
    { "ipv4 version 5", { UDP_P, .version = 5 }, CH_NONE, PKT_FRAME_E_IPHDR },
    { "ipv4 version 6 in 0800", { UDP_P, .version = 6 }, CH_NONE, PKT_FRAME_E_IPHDR },
    { "ipv4 options past total length",
      { .payload_len = 0, .ihl_delta = 10, .ip_len_delta = 0 },
      CH_NONE,
      PKT_FRAME_E_IPHDR },
    { "ipv4 total length > captured", { UDP_P, .ip_len_delta = 1 }, CH_NONE, PKT_FRAME_E_LEN },
    { "ipv4 total length 0", { UDP_P, .ip_len_delta = -61 }, CH_NONE, PKT_FRAME_E_IPHDR },
    { "ipv4 total length 65535", { UDP_P, .ip_len_delta = 65535 - 61 }, CH_NONE, PKT_FRAME_E_LEN },
    { "ipv4 total length short by one", { UDP_P, .ip_len_delta = -1 }, CH_NONE, PKT_FRAME_E_LEN },
    { "ipv4 udp length > ip payload", { UDP_P, .udp_len_delta = 1 }, CH_NONE, PKT_FRAME_E_LEN },
    { "ipv4 udp length < ip payload", { UDP_P, .udp_len_delta = -1 }, CH_NONE, PKT_FRAME_E_LEN },
    { "ipv4 udp length 7", { .payload_len = 0, .udp_len_delta = -1 }, CH_NONE, PKT_FRAME_E_LEN },
    { "ipv4 udp length 0", { UDP_P, .udp_len_delta = -41 }, CH_NONE, PKT_FRAME_E_LEN },
    { "ipv4 ip payload < udp header",
      { .payload_len = 0, .ip_len_delta = -4 },
      CH_NONE,
      PKT_FRAME_E_LEN },
    { "ipv4 MF", { UDP_P, .frag = 0x2000 }, CH_NONE, PKT_FRAME_E_FRAGMENT },
    { "ipv4 offset 185", { UDP_P, .frag = 185 }, CH_NONE, PKT_FRAME_E_FRAGMENT },
    { "ipv4 DF offset 1", { UDP_P, .frag = 0x4001 }, CH_NONE, PKT_FRAME_E_FRAGMENT },
    { "ipv4 MF offset 8191", { UDP_P, .frag = 0x3fff }, CH_NONE, PKT_FRAME_E_FRAGMENT },
    { "ipv4 reserved flag, no DF", { UDP_P, .frag = 0x8000 }, CH_NONE, PKT_FRAME_OK },
    { "ipv4 bad header checksum", { UDP_P, .bad_ip_csum = true }, CH_NONE, PKT_FRAME_E_CSUM },
    { "ipv4 bad udp checksum", { UDP_P, .bad_udp_csum = true }, CH_NONE, PKT_FRAME_E_CSUM },
    { "ipv4 udp checksum 0 (none)", { UDP_P, .zero_udp_csum = true }, CH_NONE, PKT_FRAME_OK },
    { "ipv4 tcp", { UDP_P, .nh = 6 }, CH_NONE, PKT_FRAME_E_PROTO },
    { "ipv4 icmp", { UDP_P, .nh = 1 }, CH_NONE, PKT_FRAME_E_PROTO },
    { "ipv4 ethernet padding", { .payload_len = 2, .pad = 16 }, CH_NONE, PKT_FRAME_OK },
    { "ipv4 long trailer", { UDP_P, .pad = 200 }, CH_NONE, PKT_FRAME_OK },
    { "lldp ethertype", { UDP_P, .ethertype = 0x88CC }, CH_NONE, PKT_FRAME_E_ETHERTYPE },
    { "vlan then lldp",
      { UDP_P, .nb_vlan = 1, .ethertype = 0x88CC },
      CH_NONE,
      PKT_FRAME_E_ETHERTYPE },
    { "ipv6", { UDP_P, .v6 = true }, CH_NONE, PKT_FRAME_OK },
    { "ipv6 empty payload", { .v6 = true }, CH_NONE, PKT_FRAME_OK },
    { "ipv6 vlan", { UDP_P, .v6 = true, .nb_vlan = 1 }, CH_NONE, PKT_FRAME_OK },
    { "ipv6 qinq",
      { UDP_P, .v6 = true, .nb_vlan = 2, .outer_tpid = 0x88A8 },
      CH_NONE,
      PKT_FRAME_OK },
    { "ipv6 hbh+dst", { UDP_P, .v6 = true }, CH_HBH_DST, PKT_FRAME_OK },
    { "ipv6 hbh+routing+dst", { UDP_P, .v6 = true, .nb_vlan = 1 }, CH_HBH_RT_DST, PKT_FRAME_OK },
    { "ipv6 24-octet dst options", { UDP_P, .v6 = true }, CH_DST_LONG, PKT_FRAME_OK },
    { "ipv6 8 ext headers", { UDP_P, .v6 = true }, CH_DST8, PKT_FRAME_OK },
    { "ipv6 9 ext headers", { UDP_P, .v6 = true }, CH_DST9, PKT_FRAME_E_EXTHDR },
    { "ipv6 hbh not first", { UDP_P, .v6 = true }, CH_DST_HBH, PKT_FRAME_E_EXTHDR },
    { "ipv6 ext past payload", { UDP_P, .v6 = true }, CH_RT_BIG, PKT_FRAME_E_EXTHDR },
    { "ipv6 fragment header", { UDP_P, .v6 = true }, CH_FRAG, PKT_FRAME_E_FRAGMENT },
    { "ipv6 hbh+fragment", { UDP_P, .v6 = true }, CH_HBH_FRAG, PKT_FRAME_E_FRAGMENT },
    { "ipv6 no next header", { UDP_P, .v6 = true }, CH_NONEXT, PKT_FRAME_E_PROTO },
    { "ipv6 tcp", { UDP_P, .v6 = true, .nh = 6 }, CH_NONE, PKT_FRAME_E_PROTO },
    { "ipv6 icmpv6", { UDP_P, .v6 = true, .nh = 58 }, CH_NONE, PKT_FRAME_E_PROTO },
    { "ipv6 payload length > captured",
      { UDP_P, .v6 = true, .ip_len_delta = 1 },
      CH_NONE,
      PKT_FRAME_E_LEN },
    { "ipv6 payload length short by one",
      { UDP_P, .v6 = true, .ip_len_delta = -1 },
      CH_NONE,
      PKT_FRAME_E_LEN },
    { "ipv6 payload length 0 (jumbo)",
      { UDP_P, .v6 = true, .ip_len_delta = -41 },
      CH_NONE,
      PKT_FRAME_E_LEN },
    { "ipv6 udp length > payload",
      { UDP_P, .v6 = true, .udp_len_delta = 1 },
      CH_NONE,
      PKT_FRAME_E_LEN },
    { "ipv6 udp length < payload",
      { UDP_P, .v6 = true, .udp_len_delta = -1 },
      CH_NONE,
      PKT_FRAME_E_LEN },
    { "ipv6 udp checksum 0",
      { UDP_P, .v6 = true, .zero_udp_csum = true },
      CH_NONE,
      PKT_FRAME_E_CSUM },
    { "ipv6 bad udp checksum",
      { UDP_P, .v6 = true, .bad_udp_csum = true },
      CH_NONE,
      PKT_FRAME_E_CSUM },
    { "ipv6 bad udp checksum after ext",
      { UDP_P, .v6 = true, .bad_udp_csum = true },
      CH_HBH_DST,
      PKT_FRAME_E_CSUM },
    { "ipv6 version 4 in 86dd", { UDP_P, .v6 = true, .version = 4 }, CH_NONE, PKT_FRAME_E_IPHDR },
    { "ipv6 padding", { .v6 = true, .payload_len = 1, .pad = 7 }, CH_NONE, PKT_FRAME_OK },
};

/* Fills the chain for a case into ext[]; sets h->l3x/l3x_len/nh. */
static void apply_chain(struct hf *h, enum chain_id c, uint8_t *ext)
{
    static const uint8_t hbh_dst[] = { 0, 60 }, hbh_rt_dst[] = { 0, 43, 60 },
                         dst9[] = { 60, 60, 60, 60, 60, 60, 60, 60, 60 }, dst_hbh[] = { 60, 0 },
                         frag[] = { 44 }, hbh_frag[] = { 0, 44 }, rt[] = { 43 };
    const uint8_t *types = NULL;
    size_t nb = 0;
    uint8_t final = 17;
    switch (c) {
    case CH_NONE:
        return;
    case CH_HBH_DST:
        types = hbh_dst, nb = 2;
        break;
    case CH_HBH_RT_DST:
        types = hbh_rt_dst, nb = 3;
        break;
    case CH_DST8:
        types = dst9, nb = 8;
        break;
    case CH_DST9:
        types = dst9, nb = 9;
        break;
    case CH_DST_HBH:
        types = dst_hbh, nb = 2;
        break;
    case CH_FRAG:
        types = frag, nb = 1;
        break;
    case CH_HBH_FRAG:
        types = hbh_frag, nb = 2;
        break;
    case CH_NONEXT:
        types = hbh_dst, nb = 2, final = 59;
        break;
    case CH_RT_BIG:
        types = rt, nb = 1;
        break;
    case CH_DST_LONG:
        break;
    }
    h->l3x_len = ext_chain(ext, types, nb, final);
    h->nh = types != NULL && nb > 0 ? types[0] : 60;
    if (c == CH_RT_BIG)
        ext[1] = 20; /* 168 octets: past the 8 + 41 that follow */
    if (c == CH_DST_LONG) {
        memset(ext, 0, 24);
        ext[0] = 17;
        ext[1] = 2; /* (2 + 1) * 8 = 24 octets */
        ext[2] = 1; /* PadN covering the rest */
        ext[3] = 20;
        h->l3x_len = 24;
    }
    h->l3x = ext;
}

static struct hf_out build_case(const struct frame_case *c, uint8_t *buf, struct hf *h,
                                uint8_t *ext)
{
    *h = c->h;
    apply_chain(h, c->chain, ext);
    return hf_build(buf, h);
}

Test(pkt_frame, classifies_every_p17_p18_case)
{
    for (size_t i = 0; i < sizeof(frame_cases) / sizeof(frame_cases[0]); i++) {
        const struct frame_case *c = &frame_cases[i];
        uint8_t buf[512], ext[128];
        struct hf h;
        struct hf_out o = build_case(c, buf, &h, ext);
        struct pkt_frame_info info;
        int rc = parse_copy(buf, o.len, &info);
        cr_assert_eq(rc, c->want, "%s: got %d (%s), want %d (%s)", c->name, rc,
                     pkt_frame_err_name(rc), c->want, pkt_frame_err_name(c->want));
        if (rc == PKT_FRAME_OK)
            assert_udp_info(&info, buf, &h, o, c->name);
    }
}

/* Cut every valid frame at every length: nothing crashes, only the full one passes. */
Test(pkt_frame, rejects_every_truncation_of_valid_frames)
{
    unsigned checked = 0;
    for (size_t i = 0; i < sizeof(frame_cases) / sizeof(frame_cases[0]); i++) {
        const struct frame_case *c = &frame_cases[i];
        if (c->want != PKT_FRAME_OK || c->h.pad > 0)
            continue; /* cutting into padding leaves a valid frame, by design */
        uint8_t buf[512], ext[128];
        struct hf h;
        struct hf_out o = build_case(c, buf, &h, ext);
        for (size_t n = 0; n < o.len; n++) {
            struct pkt_frame_info info;
            int rc = parse_copy(buf, n, &info);
            cr_assert_lt(rc, 0, "%s cut to %zu of %zu: got %d", c->name, n, o.len, rc);
            if (n < PKT_ETH_HDR_LEN)
                cr_assert_eq(rc, PKT_FRAME_E_SHORT, "%s cut to %zu", c->name, n);
        }
        struct pkt_frame_info info;
        cr_assert_eq(parse_copy(buf, o.len, &info), PKT_FRAME_OK, "%s", c->name);
        checked++;
    }
    cr_assert_eq(checked, 18, "every valid unpadded case was cut");
}

Test(pkt_frame, truncated_headers_report_short)
{
    uint8_t buf[512], ext[128];
    struct hf h;
    struct pkt_frame_info info;
    /* VLAN tag cut, IPv4 fixed header cut, IPv6 fixed header cut. */
    struct frame_case vl = { "vlan", { UDP_P, .nb_vlan = 2 }, CH_NONE, 0 };
    build_case(&vl, buf, &h, ext);
    cr_assert_eq(parse_copy(buf, 16, &info), PKT_FRAME_E_SHORT);
    cr_assert_eq(parse_copy(buf, 20, &info), PKT_FRAME_E_SHORT);
    struct frame_case v4 = { "v4", { UDP_P }, CH_NONE, 0 };
    build_case(&v4, buf, &h, ext);
    cr_assert_eq(parse_copy(buf, 14 + 19, &info), PKT_FRAME_E_SHORT);
    cr_assert_eq(parse_copy(buf, 14 + 20, &info), PKT_FRAME_E_LEN, "total length > captured");
    struct frame_case v6 = { "v6", { UDP_P, .v6 = true }, CH_NONE, 0 };
    build_case(&v6, buf, &h, ext);
    cr_assert_eq(parse_copy(buf, 14 + 39, &info), PKT_FRAME_E_SHORT);
    cr_assert_eq(parse_copy(buf, 14 + 40, &info), PKT_FRAME_E_LEN);
}

/* ---- frames captured from the kernel ------------------------------------------- */

/*
 * Captured with an AF_PACKET socket on lo while a UDP socket sent
 * "fcrscan kernel " with MSG_MORE and then "frame" to port 5353 (IPv6 with
 * IPV6_AUTOFLOWLABEL off). MSG_MORE makes Linux checksum the datagram in
 * software instead of leaving it to lo's checksum "offload", so both
 * checksums below are the kernel's, complete.
 */
static const uint8_t kernel_v4[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x30, 0x2e, 0x1c, 0x40, 0x00, 0x40, 0x11, 0x0e, 0x9f, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00,
    0x00, 0x01, 0xb7, 0xa3, 0x14, 0xe9, 0x00, 0x1c, 0x47, 0x61, 0x66, 0x63, 0x72, 0x73, 0x63, 0x61,
    0x6e, 0x20, 0x6b, 0x65, 0x72, 0x6e, 0x65, 0x6c, 0x20, 0x66, 0x72, 0x61, 0x6d, 0x65,
};
static const uint8_t kernel_v6[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x86, 0xdd,
    0x60, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x11, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xbe, 0x99,
    0x14, 0xe9, 0x00, 0x1c, 0x3e, 0x6c, 0x66, 0x63, 0x72, 0x73, 0x63, 0x61, 0x6e, 0x20,
    0x6b, 0x65, 0x72, 0x6e, 0x65, 0x6c, 0x20, 0x66, 0x72, 0x61, 0x6d, 0x65,
};
static const char kernel_payload[] = "fcrscan kernel frame";

static void check_kernel_frame(const uint8_t *frame, size_t len, const char *addr, uint16_t sport,
                               uint16_t ip_id)
{
    struct pkt_frame_info info;
    cr_assert_eq(parse_copy(frame, len, &info), PKT_FRAME_OK);
    struct pkt_addr lo;
    cr_assert_eq(pkt_addr_parse(addr, &lo), 0);
    cr_assert(pkt_addr_equal(&info.src, &lo));
    cr_assert(pkt_addr_equal(&info.dst, &lo));
    cr_assert_eq(info.src_port, sport);
    cr_assert_eq(info.dst_port, 5353);
    cr_assert_not(info.has_vlan);
    cr_assert_eq(info.payload_len, strlen(kernel_payload));
    cr_assert_arr_eq(info.payload, kernel_payload, strlen(kernel_payload));
    cr_assert_eq(info.payload, frame + len - strlen(kernel_payload));

    /* Our builder must reproduce the kernel's frame octet for octet. */
    struct pkt_frame_udp spec;
    memset(&spec, 0, sizeof(spec));
    spec.src = lo;
    spec.dst = lo;
    spec.src_port = sport;
    spec.dst_port = 5353;
    spec.ttl = 64;
    spec.ip_id = ip_id;
    uint8_t out[128];
    int n = pkt_frame_udp_build(out, sizeof(out), &spec, (const uint8_t *)kernel_payload,
                                strlen(kernel_payload));
    cr_assert_eq(n, (int)len);
    cr_assert_arr_eq(out, frame, len);
}

Test(pkt_frame, parses_and_rebuilds_kernel_ipv4_frame)
{
    check_kernel_frame(kernel_v4, sizeof(kernel_v4), "127.0.0.1", 0xb7a3, 0x2e1c);
    /* The kernel's checksums, as captured. */
    cr_assert_eq(get16(kernel_v4 + 24), 0x0e9f);
    cr_assert_eq(get16(kernel_v4 + 40), 0x4761);
}

Test(pkt_frame, parses_and_rebuilds_kernel_ipv6_frame)
{
    check_kernel_frame(kernel_v6, sizeof(kernel_v6), "::1", 0xbe99, 0);
    cr_assert_eq(get16(kernel_v6 + 60), 0x3e6c);
}

Test(pkt_frame, kernel_frames_with_one_flipped_bit_fail)
{
    /* Every single-bit flip of the IP header or UDP part is caught (or is a field we ignore). */
    const struct {
        const uint8_t *f;
        size_t len;
    } frames[] = { { kernel_v4, sizeof(kernel_v4) }, { kernel_v6, sizeof(kernel_v6) } };
    for (size_t k = 0; k < 2; k++) {
        uint8_t buf[128];
        size_t ignored = 0;
        for (size_t byte = 14; byte < frames[k].len; byte++) {
            for (unsigned bit = 0; bit < 8; bit++) {
                memcpy(buf, frames[k].f, frames[k].len);
                buf[byte] ^= (uint8_t)(1u << bit);
                struct pkt_frame_info info;
                int rc = parse_copy(buf, frames[k].len, &info);
                if (rc == PKT_FRAME_OK)
                    ignored++;
            }
        }
        /*
         * Only flips of fields no check covers may pass: none in IPv4 (its
         * header checksum covers every header bit); in IPv6 the traffic
         * class and flow label (28 bits) and the hop limit (8).
         */
        cr_assert_eq(ignored, k == 0 ? 0u : 36u, "frame %zu: %zu flips passed", k, ignored);
    }
}

/* ---- build ------------------------------------------------------------------------ */

static struct pkt_frame_udp spec_for(bool v6, bool vlan)
{
    struct pkt_frame_udp s;
    memset(&s, 0, sizeof(s));
    memcpy(s.src_mac, MAC_SRC, 6);
    memcpy(s.dst_mac, MAC_DST, 6);
    s.has_vlan = vlan;
    s.vlan_tci = 0x0100 + 42;
    s.src.family = s.dst.family = v6 ? PKT_ADDR_V6 : PKT_ADDR_V4;
    memcpy(s.src.bytes, v6 ? V6_SRC : V4_SRC, v6 ? 16 : 4);
    memcpy(s.dst.bytes, v6 ? V6_DST : V4_DST, v6 ? 16 : 4);
    s.src_port = SPORT;
    s.dst_port = DPORT;
    s.ttl = TTL;
    s.ip_id = IP_ID;
    return s;
}

Test(pkt_frame, header_lengths)
{
    struct pkt_frame_udp s = spec_for(false, false);
    cr_assert_eq(pkt_frame_udp_hdr_len(&s), 42);
    s = spec_for(false, true);
    cr_assert_eq(pkt_frame_udp_hdr_len(&s), 46);
    s = spec_for(true, false);
    cr_assert_eq(pkt_frame_udp_hdr_len(&s), 62);
    s = spec_for(true, true);
    cr_assert_eq(pkt_frame_udp_hdr_len(&s), 66);
}

/* The builder and the hand-made frame agree octet for octet (checksums included). */
Test(pkt_frame, build_matches_hand_made_frames)
{
    const size_t lens[] = { 0, 1, 2, 3, 33, 512, 1232 };
    for (int v6 = 0; v6 < 2; v6++) {
        for (int vlan = 0; vlan < 2; vlan++) {
            for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
                struct hf h = { .v6 = v6, .nb_vlan = vlan, .payload_len = lens[k] };
                uint8_t want[1400], got[1400], payload[1300];
                struct hf_out o = hf_build(want, &h);
                for (size_t i = 0; i < lens[k]; i++)
                    payload[i] = payload_octet(i);
                struct pkt_frame_udp s = spec_for(v6, vlan);
                int n = pkt_frame_udp_build(got, sizeof(got), &s, payload, lens[k]);
                cr_assert_eq(n, (int)o.len, "v6=%d vlan=%d len=%zu", v6, vlan, lens[k]);
                cr_assert_arr_eq(got, want, o.len, "v6=%d vlan=%d len=%zu", v6, vlan, lens[k]);
            }
        }
    }
}

Test(pkt_frame, build_then_parse_round_trips)
{
    uint8_t payload[1500];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 131 + 17);
    const size_t lens[] = { 0, 1, 12, 511, 1232, 1452, 1500 };
    for (int v6 = 0; v6 < 2; v6++) {
        for (int vlan = 0; vlan < 2; vlan++) {
            for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
                struct pkt_frame_udp s = spec_for(v6, vlan);
                s.src_port = (uint16_t)(1000 + k);
                s.dst_port = (uint16_t)(65535 - k);
                uint8_t buf[1600];
                int n = pkt_frame_udp_build(buf, sizeof(buf), &s, payload, lens[k]);
                cr_assert_eq(n, (int)(pkt_frame_udp_hdr_len(&s) + lens[k]));
                struct pkt_frame_info in;
                cr_assert_eq(parse_copy(buf, (size_t)n, &in), PKT_FRAME_OK);
                cr_assert_arr_eq(in.src_mac, s.src_mac, 6);
                cr_assert_arr_eq(in.dst_mac, s.dst_mac, 6);
                cr_assert_eq(in.has_vlan, s.has_vlan);
                cr_assert_eq(in.vlan_tci, vlan ? s.vlan_tci : 0);
                cr_assert(pkt_addr_equal(&in.src, &s.src));
                cr_assert(pkt_addr_equal(&in.dst, &s.dst));
                cr_assert_eq(in.src_port, s.src_port);
                cr_assert_eq(in.dst_port, s.dst_port);
                cr_assert_eq(in.payload_len, lens[k]);
                cr_assert_eq(in.payload, buf + pkt_frame_udp_hdr_len(&s));
                cr_assert_arr_eq(in.payload, payload, lens[k]);
                /* IPv4: DF set, our ID and TTL; IPv6: hop limit. */
                const uint8_t *ip = buf + 14 + (vlan ? 4 : 0);
                if (!v6) {
                    cr_assert_eq(get16(ip + 6), 0x4000);
                    cr_assert_eq(get16(ip + 4), IP_ID);
                    cr_assert_eq(ip[8], TTL);
                } else {
                    cr_assert_eq(ip[7], TTL);
                }
            }
        }
    }
}

/* A computed UDP checksum of zero goes out as 0xFFFF (RFC 768) and parses. */
Test(pkt_frame, computed_zero_checksum_is_sent_as_ffff)
{
    for (int v6 = 0; v6 < 2; v6++) {
        struct pkt_frame_udp s = spec_for(v6, false);
        uint8_t payload[2] = { 0, 0 }, buf[128];
        int n = pkt_frame_udp_build(buf, sizeof(buf), &s, payload, 2);
        cr_assert_gt(n, 0);
        size_t ck_off = (size_t)n - 2 - 2;
        uint16_t ck = get16(buf + ck_off);
        /* Adding the old checksum as a payload word makes the sum 0xFFFF. */
        payload[0] = (uint8_t)(ck >> 8);
        payload[1] = (uint8_t)ck;
        n = pkt_frame_udp_build(buf, sizeof(buf), &s, payload, 2);
        cr_assert_eq(get16(buf + ck_off), 0xFFFF, "v6=%d", v6);
        struct pkt_frame_info in;
        cr_assert_eq(parse_copy(buf, (size_t)n, &in), PKT_FRAME_OK, "v6=%d", v6);
    }
}

Test(pkt_frame, build_accepts_payload_in_place)
{
    struct pkt_frame_udp s = spec_for(false, true);
    uint8_t a[256], b[256], payload[100];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i ^ 0x5a);
    int na = pkt_frame_udp_build(a, sizeof(a), &s, payload, sizeof(payload));
    memcpy(b + pkt_frame_udp_hdr_len(&s), payload, sizeof(payload));
    int nb = pkt_frame_udp_build(b, sizeof(b), &s, b + pkt_frame_udp_hdr_len(&s), sizeof(payload));
    cr_assert_eq(na, nb);
    cr_assert_arr_eq(a, b, (size_t)na);
}

Test(pkt_frame, build_refuses_short_buffer_without_writing)
{
    for (int v6 = 0; v6 < 2; v6++) {
        struct pkt_frame_udp s = spec_for(v6, true);
        uint8_t payload[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
        size_t need = pkt_frame_udp_hdr_len(&s) + sizeof(payload);
        for (size_t cap = 0; cap < need; cap++) {
            uint8_t buf[128];
            memset(buf, 0xEE, sizeof(buf));
            cr_assert_eq(pkt_frame_udp_build(buf, cap, &s, payload, sizeof(payload)),
                         PKT_FRAME_E_SPACE, "cap %zu", cap);
            for (size_t i = 0; i < sizeof(buf); i++)
                cr_assert_eq(buf[i], 0xEE, "cap %zu wrote octet %zu", cap, i);
        }
        uint8_t buf[128];
        cr_assert_eq(pkt_frame_udp_build(buf, need, &s, payload, sizeof(payload)), (int)need);
    }
}

/* The 16-bit length fields bound the payload: 65507 (IPv4), 65527 (IPv6). */
Test(pkt_frame, build_respects_length_field_limits)
{
    static uint8_t buf[70000], payload[65536];
    for (int v6 = 0; v6 < 2; v6++) {
        struct pkt_frame_udp s = spec_for(v6, false);
        size_t max = v6 ? 65527 : 65507;
        int n = pkt_frame_udp_build(buf, sizeof(buf), &s, payload, max);
        cr_assert_eq(n, (int)(pkt_frame_udp_hdr_len(&s) + max), "v6=%d", v6);
        struct pkt_frame_info in;
        cr_assert_eq(pkt_frame_parse(buf, (size_t)n, &in), PKT_FRAME_OK);
        cr_assert_eq(in.payload_len, max);
        cr_assert_eq(pkt_frame_udp_build(buf, sizeof(buf), &s, payload, max + 1), PKT_FRAME_E_SPACE,
                     "v6=%d", v6);
    }
}

Test(pkt_frame, build_refuses_mixed_families)
{
    struct pkt_frame_udp s = spec_for(false, false);
    s.dst.family = PKT_ADDR_V6;
    uint8_t buf[128];
    cr_assert_lt(pkt_frame_udp_build(buf, sizeof(buf), &s, NULL, 0), 0);
    s.src.family = s.dst.family = 0;
    cr_assert_lt(pkt_frame_udp_build(buf, sizeof(buf), &s, NULL, 0), 0);
}

/* ---- ARP ------------------------------------------------------------------------- */

static const uint8_t SHA[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01 };
static const uint8_t THA[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x02 };
static const uint8_t SPA[4] = { 10, 0, 0, 1 };
static const uint8_t TPA[4] = { 10, 0, 0, 2 };

Test(pkt_frame, builds_arp_reply_and_request_exactly)
{
    static const uint8_t want_reply[42] = {
        0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x02, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01, 0x08, 0x06,
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01,
        10,   0,    0,    1,    0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x02, 10,   0,    0,    2,
    };
    uint8_t buf[64];
    cr_assert_eq(pkt_frame_arp_build(buf, sizeof(buf), 2, SHA, SPA, THA, TPA), 42);
    cr_assert_arr_eq(buf, want_reply, 42);

    static const uint8_t zero_mac[6] = { 0 };
    cr_assert_eq(pkt_frame_arp_build(buf, sizeof(buf), 1, SHA, SPA, zero_mac, TPA), 42);
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    cr_assert_arr_eq(buf, bcast, 6, "a request is broadcast");
    cr_assert_eq(get16(buf + 20), 1);
    cr_assert_arr_eq(buf + 32, zero_mac, 6);

    memset(buf, 0xEE, sizeof(buf));
    cr_assert_eq(pkt_frame_arp_build(buf, 41, 2, SHA, SPA, THA, TPA), PKT_FRAME_E_SPACE);
    cr_assert_eq(buf[0], 0xEE);
}

Test(pkt_frame, parses_arp)
{
    uint8_t buf[64];
    memset(buf, 0, sizeof(buf));
    cr_assert_eq(pkt_frame_arp_build(buf, sizeof(buf), 1, SHA, SPA, THA, TPA), 42);
    for (size_t len = 42; len <= 60; len += 18) { /* bare, and padded to the Ethernet minimum */
        struct pkt_frame_info in;
        cr_assert_eq(parse_copy(buf, len, &in), PKT_FRAME_ARP);
        cr_assert_eq(in.arp_op, 1);
        cr_assert_eq(in.src.family, PKT_ADDR_V4);
        cr_assert_arr_eq(in.src.bytes, SPA, 4);
        cr_assert_eq(in.dst.family, PKT_ADDR_V4);
        cr_assert_arr_eq(in.dst.bytes, TPA, 4);
        cr_assert_arr_eq(in.src_mac, SHA, 6);
        cr_assert_eq(in.payload, NULL);
        cr_assert_eq(in.payload_len, 0);
    }
    for (size_t n = 0; n < 42; n++) {
        struct pkt_frame_info in;
        cr_assert_eq(parse_copy(buf, n, &in), PKT_FRAME_E_SHORT, "cut to %zu", n);
    }

    /* Behind a VLAN tag: the reply's sender is the target's address. */
    uint8_t tagged[64];
    cr_assert_eq(pkt_frame_arp_build(buf, sizeof(buf), 2, THA, TPA, SHA, SPA), 42);
    memcpy(tagged, buf, 12);
    put16(tagged + 12, 0x8100);
    put16(tagged + 14, 7);
    memcpy(tagged + 16, buf + 12, 30);
    struct pkt_frame_info in;
    cr_assert_eq(parse_copy(tagged, 46, &in), PKT_FRAME_ARP);
    cr_assert_eq(in.arp_op, 2);
    cr_assert(in.has_vlan);
    cr_assert_eq(in.vlan_tci, 7);
    cr_assert_arr_eq(in.src.bytes, TPA, 4);
    cr_assert_arr_eq(in.dst.bytes, SPA, 4);
    cr_assert_arr_eq(in.src_mac, THA, 6);
    cr_assert_arr_eq(in.dst_mac, SHA, 6);
}

Test(pkt_frame, rejects_arp_other_than_ethernet_ipv4)
{
    /* Offsets in the ARP body: htype 0, ptype 2, hlen 4, plen 5, op 6. */
    const struct {
        size_t off;
        uint8_t hi, lo;
    } bad[] = {
        { 0, 0, 6 },       /* htype IEEE 802 */
        { 2, 0x86, 0xdd }, /* ptype IPv6 */
        { 4, 8, 4 },       /* hlen 8 */
        { 4, 6, 16 },      /* plen 16 */
        { 6, 0, 3 },       /* RARP request */
        { 6, 0, 0 },       /* op 0 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t buf[64];
        cr_assert_eq(pkt_frame_arp_build(buf, sizeof(buf), 2, SHA, SPA, THA, TPA), 42);
        buf[14 + bad[i].off] = bad[i].hi;
        buf[14 + bad[i].off + 1] = bad[i].lo;
        struct pkt_frame_info in;
        cr_assert_eq(parse_copy(buf, 42, &in), PKT_FRAME_E_ETHERTYPE, "case %zu", i);
    }
}

/* ---- checksum primitives -------------------------------------------------------- */

Test(pkt_frame, csum_matches_rfc1071_example)
{
    /* RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2. */
    static const uint8_t d[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    cr_assert_eq(pkt_csum_fold(pkt_csum_partial(d, 8, 0)), (uint16_t)~0xddf2);
    cr_assert_eq(pkt_csum_fold(0), 0xFFFF);
    cr_assert_eq(pkt_csum_fold(0xFFFF), 0);
    cr_assert_eq(pkt_csum_fold(0x1FFFE), 0);
    cr_assert_eq(pkt_csum_fold(0xFFFFFFFFu), 0);
    cr_assert_eq(pkt_csum_fold(0x00010000u), 0xFFFE);
}

static uint64_t rng_state = 0xB7E151628AED2A6Bu;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}

/* Every length and alignment, random data and start sums, against the naive sum. */
Test(pkt_frame, csum_matches_naive_sum_at_every_length_and_alignment)
{
    uint8_t data[600];
    for (int round = 0; round < 4; round++) {
        for (size_t i = 0; i < sizeof(data); i++)
            data[i] = round == 3 ? 0xFF : (uint8_t)rng();
        for (size_t off = 0; off < 8; off++) {
            for (size_t len = 0; len + off <= 520; len++) {
                uint32_t start = round == 0 ? 0 : (uint32_t)rng() & 0x3FFFF;
                uint16_t want = ref_fold(ref_sum(data + off, len, start));
                uint16_t got = pkt_csum_fold(pkt_csum_partial(data + off, len, start));
                cr_assert_eq(got, want, "round %d off %zu len %zu", round, off, len);
            }
        }
    }
}

Test(pkt_frame, csum_partial_chains_over_even_chunks)
{
    uint8_t data[301];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)rng();
    uint16_t whole = pkt_csum_fold(pkt_csum_partial(data, sizeof(data), 7));
    for (size_t cut = 0; cut <= sizeof(data); cut += 2) {
        uint32_t s = pkt_csum_partial(data, cut, 7);
        s = pkt_csum_partial(data + cut, sizeof(data) - cut, s);
        cr_assert_eq(pkt_csum_fold(s), whole, "cut %zu", cut);
    }
}

/* ---- error names ----------------------------------------------------------------- */

Test(pkt_frame, error_names_are_the_counter_keys)
{
    const struct {
        int err;
        const char *name;
    } names[] = {
        { PKT_FRAME_OK, "ok" },
        { PKT_FRAME_E_SHORT, "short" },
        { PKT_FRAME_E_ETHERTYPE, "ethertype" },
        { PKT_FRAME_E_IPHDR, "ip_header" },
        { PKT_FRAME_E_LEN, "len" },
        { PKT_FRAME_E_FRAGMENT, "ip_fragments" },
        { PKT_FRAME_E_PROTO, "proto" },
        { PKT_FRAME_E_CSUM, "csum" },
        { PKT_FRAME_E_EXTHDR, "ext_header" },
        { PKT_FRAME_E_SPACE, "space" },
        { PKT_FRAME_ARP, "arp" },
        { -10, "unknown" },
        { 2, "unknown" },
        { -2147483647 - 1, "unknown" },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        cr_assert_str_eq(pkt_frame_err_name(names[i].err), names[i].name, "code %d", names[i].err);
        const char *m = pkt_frame_strerror(names[i].err);
        cr_assert_not_null(m);
        cr_assert_gt(strlen(m), 1);
    }
    /* Distinct messages for the eleven known codes (ok .. space, arp). */
    for (int a = PKT_FRAME_E_SPACE; a <= PKT_FRAME_ARP; a++)
        for (int b = PKT_FRAME_E_SPACE; b < a; b++)
            cr_assert_str_neq(pkt_frame_strerror(a), pkt_frame_strerror(b), "%d vs %d", a, b);
}
