/*
 * tests/packet/icmp_frame.h - ICMP destination-unreachable frames for the
 * raw classifier and dpdk engine tests (docs/test-cases.md M13), built
 * octet by octet with the reference checksum of ref_csum.h.
 */
#ifndef FCRSCAN_TESTS_ICMP_FRAME_H
#define FCRSCAN_TESTS_ICMP_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "packet/addr.h"
#include "ref_csum.h"

/*
 * Into buf: Ethernet (dst_mac, src_mac) + IPv4 or IPv6 (from -> to, by
 * from's family) + ICMP / ICMPv6 type and code quoting ip[0..qlen) (an IP
 * datagram). Returns the frame length; buf needs 14 + 40 + 8 + qlen octets.
 */
static inline size_t test_icmp_frame(uint8_t *buf, const uint8_t dst_mac[6],
                                     const uint8_t src_mac[6], struct pkt_addr from,
                                     struct pkt_addr to, uint8_t type, uint8_t code,
                                     const uint8_t *quote, size_t qlen)
{
    bool six = from.family == PKT_ADDR_V6;
    memcpy(buf, dst_mac, 6);
    memcpy(buf + 6, src_mac, 6);
    buf[12] = six ? 0x86 : 0x08;
    buf[13] = six ? 0xdd : 0x00;
    uint8_t *ip = buf + 14;
    size_t ihl = six ? 40 : 20;
    uint8_t *icmp = ip + ihl;
    size_t mlen = 8 + qlen;
    memset(ip, 0, ihl + 8);
    if (six) {
        ip[0] = 0x60;
        ip[4] = (uint8_t)(mlen >> 8);
        ip[5] = (uint8_t)mlen;
        ip[6] = 58;
        ip[7] = 64;
        memcpy(ip + 8, from.bytes, 16);
        memcpy(ip + 24, to.bytes, 16);
    } else {
        ip[0] = 0x45;
        ip[2] = (uint8_t)((20 + mlen) >> 8);
        ip[3] = (uint8_t)(20 + mlen);
        ip[8] = 64;
        ip[9] = 1;
        memcpy(ip + 12, from.bytes, 4);
        memcpy(ip + 16, to.bytes, 4);
        uint16_t c = ref_fold(ref_sum(ip, 20, 0));
        ip[10] = (uint8_t)(c >> 8);
        ip[11] = (uint8_t)c;
    }
    icmp[0] = type;
    icmp[1] = code;
    memcpy(icmp + 8, quote, qlen);
    uint32_t sum = six ? ref_sum(ip + 8, 32, 0) + (uint32_t)mlen + 58 : 0;
    uint16_t c = ref_fold(ref_sum(icmp, mlen, sum));
    icmp[2] = (uint8_t)(c >> 8);
    icmp[3] = (uint8_t)c;
    return 14 + ihl + mlen;
}

#endif
