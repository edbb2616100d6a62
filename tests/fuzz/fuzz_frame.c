/*
 * tests/fuzz/fuzz_frame.c - libFuzzer target for pkt_frame_parse (P17, P18).
 *
 * Properties checked on every input, abort() on violation:
 * - an accepted UDP frame's payload lies inside the input;
 * - rebuilding it with pkt_frame_udp_build from the parsed fields gives a
 *   frame that parses again to the same addresses, ports, VLAN and payload;
 * - an accepted ARP frame rebuilt with pkt_frame_arp_build parses again to
 *   the same opcode, addresses and sender MAC.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_arp(const struct pkt_frame_info *in)
{
    static const uint8_t zero_mac[6];
    uint8_t buf[64];
    if (in->src.family != PKT_ADDR_V4 || in->dst.family != PKT_ADDR_V4 ||
        (in->arp_op != 1 && in->arp_op != 2) || in->payload != NULL || in->payload_len != 0)
        abort();
    int n = pkt_frame_arp_build(buf, sizeof(buf), in->arp_op, in->src_mac, in->src.bytes, zero_mac,
                                in->dst.bytes);
    if (n != 42)
        abort();
    struct pkt_frame_info again;
    if (pkt_frame_parse(buf, (size_t)n, &again) != PKT_FRAME_ARP)
        abort();
    if (again.arp_op != in->arp_op || !pkt_addr_equal(&again.src, &in->src) ||
        !pkt_addr_equal(&again.dst, &in->dst) || memcmp(again.src_mac, in->src_mac, 6) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pkt_frame_info in;
    int rc = pkt_frame_parse(data, size, &in);
    if (rc == PKT_FRAME_ARP) {
        check_arp(&in);
        return 0;
    }
    if (rc != PKT_FRAME_OK) {
        if (rc >= 0 || rc < PKT_FRAME_E_EXTHDR)
            abort(); /* not a parse error code */
        return 0;
    }

    if (in.payload < data || in.payload_len > size ||
        (size_t)(in.payload - data) > size - in.payload_len)
        abort();
    if (in.src.family != in.dst.family ||
        (in.src.family != PKT_ADDR_V4 && in.src.family != PKT_ADDR_V6))
        abort();

    struct pkt_frame_udp spec;
    memset(&spec, 0, sizeof(spec));
    memcpy(spec.src_mac, in.src_mac, 6);
    memcpy(spec.dst_mac, in.dst_mac, 6);
    spec.has_vlan = in.has_vlan;
    spec.vlan_tci = in.vlan_tci;
    spec.src = in.src;
    spec.dst = in.dst;
    spec.src_port = in.src_port;
    spec.dst_port = in.dst_port;
    spec.ttl = 64;
    spec.ip_id = (uint16_t)size;

    static uint8_t buf[PKT_ETH_HDR_LEN + PKT_VLAN_HDR_LEN + PKT_IPV6_HDR_LEN + 65536];
    int n = pkt_frame_udp_build(buf, sizeof(buf), &spec, in.payload, in.payload_len);
    if (n <= 0 || (size_t)n != pkt_frame_udp_hdr_len(&spec) + in.payload_len)
        abort();

    struct pkt_frame_info again;
    if (pkt_frame_parse(buf, (size_t)n, &again) != PKT_FRAME_OK)
        abort();
    if (!pkt_addr_equal(&again.src, &in.src) || !pkt_addr_equal(&again.dst, &in.dst) ||
        again.src_port != in.src_port || again.dst_port != in.dst_port ||
        again.has_vlan != in.has_vlan || again.vlan_tci != in.vlan_tci ||
        memcmp(again.src_mac, in.src_mac, 6) != 0 || memcmp(again.dst_mac, in.dst_mac, 6) != 0 ||
        again.payload_len != in.payload_len ||
        again.payload != buf + pkt_frame_udp_hdr_len(&spec) ||
        memcmp(again.payload, in.payload, in.payload_len) != 0)
        abort();
    return 0;
}
