/*
 * tests/fuzz/fuzz_rawrx.c - libFuzzer target for the raw engines' receive
 * path: whole received frames into pkt_raw_classify (docs/test-cases.md P17, P18),
 * for an engine with MAC 02:53:00:00:01:00, 10.53.0.100 and fd53::100 (the
 * lab's raw identity, which the seed corpus addresses).
 *
 * Properties checked on every input, abort() on violation:
 * - the result is a kind or a frame drop reason the engines can count;
 * - a datagram's payload lies inside the input, agrees with the frame
 *   parser, and a template-built frame carrying it back to us classifies
 *   as the same datagram;
 * - an ARP reply or neighbour advertisement we build is well formed: the
 *   asker, classifying it, learns our address and MAC (and the NA's
 *   ICMPv6 checksum verifies);
 * - replies and advertisements to us always carry what was learned;
 * - an ICMP unreachable's quoted payload lies inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet/frame.h"
#include "packet/raw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pkt_raw_self self_identity(void)
{
    struct pkt_raw_self s;
    memset(&s, 0, sizeof(s));
    static const uint8_t mac[6] = { 0x02, 0x53, 0x00, 0x00, 0x01, 0x00 };
    memcpy(s.mac, mac, 6);
    s.v4.family = PKT_ADDR_V4;
    s.v4.bytes[0] = 10;
    s.v4.bytes[1] = 53;
    s.v4.bytes[2] = 0;
    s.v4.bytes[3] = 100;
    s.v6.family = PKT_ADDR_V6;
    s.v6.bytes[0] = 0xfd;
    s.v6.bytes[1] = 0x53;
    s.v6.bytes[14] = 0x01;
    return s;
}

static void check_udp(const uint8_t *data, size_t size, const struct pkt_raw_self *self,
                      const struct pkt_raw_rx *rx)
{
    if (rx->payload < data || rx->payload_len > size ||
        (size_t)(rx->payload - data) > size - rx->payload_len ||
        rx->payload != data + rx->payload_off)
        abort();
    struct pkt_frame_info fi;
    if (pkt_frame_parse(data, size, &fi) != PKT_FRAME_OK || fi.payload != rx->payload ||
        fi.payload_len != rx->payload_len || !pkt_addr_equal(&fi.src, &rx->src))
        abort();
    const struct pkt_addr *ours = rx->src.family == PKT_ADDR_V4 ? &self->v4 : &self->v6;
    if (!pkt_addr_equal(&fi.dst, ours))
        abort();

    /* The same datagram again, from a template the way the engines send. */
    struct pkt_frame_udp spec;
    memset(&spec, 0, sizeof(spec));
    memcpy(spec.src_mac, fi.src_mac, 6);
    memcpy(spec.dst_mac, self->mac, 6);
    spec.src = rx->src;
    spec.dst = *ours;
    spec.ttl = 64;
    struct pkt_raw_tmpl t;
    if (pkt_raw_tmpl_init(&t, &spec) != 0)
        abort();
    static uint8_t buf[PKT_RAW_HDR_MAX + 65536];
    size_t n = pkt_raw_tmpl_write(&t, buf, rx->src_port, rx->dst_port, (uint16_t)size, rx->payload,
                                  rx->payload_len);
    if (n != t.hdr_len + (size_t)rx->payload_len)
        abort();
    struct pkt_raw_rx again;
    if (pkt_raw_classify(buf, n, self, &again, NULL, 0) != PKT_RAW_UDP ||
        !pkt_addr_equal(&again.src, &rx->src) || again.src_port != rx->src_port ||
        again.dst_port != rx->dst_port || again.payload_len != rx->payload_len ||
        memcmp(again.payload, rx->payload, rx->payload_len) != 0)
        abort();
}

/* The asker classifies our answer and must learn exactly us. */
static void check_answer(const struct pkt_raw_self *self, const struct pkt_raw_rx *rx,
                         const uint8_t *reply, int want_kind)
{
    if (!rx->has_learned || rx->reply_len == 0 || rx->reply_len > PKT_RAW_CTRL_MAX)
        abort();
    struct pkt_raw_self asker;
    memset(&asker, 0, sizeof(asker));
    memcpy(asker.mac, rx->learned_mac, 6);
    if (rx->learned_ip.family == PKT_ADDR_V4)
        asker.v4 = rx->learned_ip;
    else
        asker.v6 = rx->learned_ip;
    struct pkt_raw_rx back;
    if (pkt_raw_classify(reply, rx->reply_len, &asker, &back, NULL, 0) != want_kind ||
        !back.has_learned || memcmp(back.learned_mac, self->mac, 6) != 0)
        abort();
    const struct pkt_addr *ours = want_kind == PKT_RAW_ARP_REPLY ? &self->v4 : &self->v6;
    if (!pkt_addr_equal(&back.learned_ip, ours))
        abort();
    if (want_kind == PKT_RAW_NDP_ADVERT) {
        const uint8_t *ip = reply + PKT_ETH_HDR_LEN;
        uint32_t plen = (uint32_t)ip[4] << 8 | ip[5];
        uint32_t sum = pkt_csum_partial(ip + 8, 32, 0) + plen + PKT_IPPROTO_ICMP6;
        if (pkt_csum_fold(pkt_csum_partial(ip + PKT_IPV6_HDR_LEN, plen, sum)) != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct pkt_raw_self self = self_identity();
    struct pkt_raw_rx rx;
    uint8_t reply[PKT_RAW_CTRL_MAX];
    int kind = pkt_raw_classify(data, size, &self, &rx, reply, sizeof(reply));
    if (kind < 0) {
        if (kind < PKT_FRAME_E_EXTHDR)
            abort(); /* not a reason the engines count */
        return 0;
    }
    switch (kind) {
    case PKT_RAW_IGNORE:
        break;
    case PKT_RAW_UDP:
        check_udp(data, size, &self, &rx);
        break;
    case PKT_RAW_ARP_REQUEST:
        /* A request from 0.0.0.0 (a probe) is answered but teaches nothing. */
        if (rx.has_learned)
            check_answer(&self, &rx, reply, PKT_RAW_ARP_REPLY);
        else if (rx.reply_len != 42)
            abort();
        break;
    case PKT_RAW_NDP_SOLICIT:
        check_answer(&self, &rx, reply, PKT_RAW_NDP_ADVERT);
        break;
    case PKT_RAW_ARP_REPLY:
    case PKT_RAW_NDP_ADVERT:
        if (!rx.has_learned && kind == PKT_RAW_NDP_ADVERT)
            abort();
        break;
    case PKT_RAW_ICMP_UNREACH:
        /* The quote lies inside the input and names a destination of the
         * ICMP message's family. */
        if (rx.quoted_payload < data || rx.quoted_payload_len > size ||
            (size_t)(rx.quoted_payload - data) > size - rx.quoted_payload_len ||
            rx.quoted_dst.family != rx.src.family)
            abort();
        break;
    default:
        abort();
    }
    return 0;
}
