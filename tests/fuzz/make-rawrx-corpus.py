#!/usr/bin/python3
"""Write the seed corpus of fuzz_rawrx: whole frames as a raw engine with MAC
02:53:00:00:01:00, 10.53.0.100 and fd53::100 receives them on the lab's
segment (resolver 10.53.0.2 / fd53::2, MAC 02:53:00:00:00:02): DNS replies to
us, ARP and neighbour discovery for and from us, ICMP destination
unreachable about our datagrams (M13), traffic for other hosts, and the
docs/test-cases.md P17/P18 damage (lengths, checksums, fragments, other
protocols, truncation) on frames addressed to us.

Deterministic (no randomness, no clock): running it again rewrites the same
files. Standard library only. Files found by the fuzzer (fuzz-*) are kept
beside these and are not touched.

    tests/fuzz/make-rawrx-corpus.py [OUTDIR]   (default: corpus/rawrx beside this script)
"""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpuslib import csum  # noqa: E402

OUR_MAC = bytes.fromhex("025300000100")
RES_MAC = bytes.fromhex("025300000002")
OTHER_MAC = bytes.fromhex("025300000010")
BCAST = b"\xff" * 6
OUR4 = bytes([10, 53, 0, 100])
RES4 = bytes([10, 53, 0, 2])
OTHER4 = bytes([10, 53, 0, 10])
OUR6 = bytes.fromhex("fd530000000000000000000000000100")
RES6 = bytes.fromhex("fd530000000000000000000000000002")
OTHER6 = bytes.fromhex("fd530000000000000000000000000010")


def pseudo_sum(src, dst, proto, length):
    """Sum of the pseudo-header's 16-bit words (RFC 768, RFC 8200 §8.1)."""
    data = src + dst
    return sum((data[i] << 8) | data[i + 1] for i in range(0, len(data), 2)) + proto + length


def dns_ptr_reply(qid=0x1234):
    """A PTR reply for 7.100.51.198.in-addr.arpa -> host.example.net, EDNS0."""
    qname = b"".join(bytes([len(x)]) + x for x in b"7.100.51.198.in-addr.arpa".split(b".")) + b"\0"
    target = b"\x04host\x07example\x03net\x00"
    hdr = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 1)
    question = qname + struct.pack("!HH", 12, 1)
    answer = b"\xc0\x0c" + struct.pack("!HHIH", 12, 1, 3600, len(target)) + target
    opt = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)
    return hdr + question + answer + opt


def eth(dst, src, etype, vlan=None):
    if vlan is not None:
        return dst + src + struct.pack("!HHH", 0x8100, vlan, etype)
    return dst + src + struct.pack("!H", etype)


def udp(src, dst, sport, dport, payload, v6, zero_csum=False):
    ulen = 8 + len(payload)
    hdr = struct.pack("!HHHH", sport, dport, ulen, 0)
    c = 0 if zero_csum else (csum(hdr + payload, pseudo_sum(src, dst, 17, ulen)) or 0xFFFF)
    return struct.pack("!HHHH", sport, dport, ulen, c) + payload


def ipv4(src, dst, proto, l4, frag=0x4000, ttl=64, ident=0x4242, total=None):
    tl = 20 + len(l4) if total is None else total
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tl, ident, frag, ttl, proto, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + l4


def ipv6(src, dst, nh, l4, hop=64, plen=None):
    pl = len(l4) if plen is None else plen
    return struct.pack("!IHBB", 0x60000000, pl, nh, hop) + src + dst + l4


def udp4_frame(dst_mac=OUR_MAC, src=RES4, dst=OUR4, payload=None, **kw):
    payload = dns_ptr_reply() if payload is None else payload
    return eth(dst_mac, RES_MAC, 0x0800, kw.pop("vlan", None)) + ipv4(
        src, dst, 17, udp(src, dst, 53, 40000, payload, False, kw.pop("zero_csum", False)), **kw)


def udp6_frame(dst_mac=OUR_MAC, src=RES6, dst=OUR6, payload=None, vlan=None):
    payload = dns_ptr_reply() if payload is None else payload
    return eth(dst_mac, RES_MAC, 0x86DD, vlan) + ipv6(src, dst, 17,
                                                      udp(src, dst, 53, 40000, payload, True))


def arp(op, sha, spa, tha, tpa, dst_mac, vlan=None, pad=True):
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + sha + spa + tha + tpa
    f = eth(dst_mac, sha, 0x0806, vlan) + body
    return f + b"\0" * (60 - len(f)) if pad and len(f) < 60 else f


def solicited(addr):
    return bytes.fromhex("ff0200000000000000000001ff") + addr[13:]


def icmp6(src, dst, msg):
    c = csum(msg, pseudo_sum(src, dst, 58, len(msg)))
    return msg[:2] + struct.pack("!H", c) + msg[4:]


def ndp(kind, src, dst, target, lla=None, opt_type=None, flags=0, hop=255, dst_mac=None,
        src_mac=RES_MAC, raw_opts=None, bad_csum=False):
    msg = struct.pack("!BBHI", kind, 0, 0, flags) + target
    if raw_opts is not None:
        msg += raw_opts
    elif lla is not None:
        msg += bytes([opt_type or (1 if kind == 135 else 2), 1]) + lla
    msg = icmp6(src, dst, msg)
    if bad_csum:
        msg = msg[:2] + bytes([msg[2] ^ 0xFF]) + msg[3:]
    if dst_mac is None:
        dst_mac = b"\x33\x33" + dst[12:] if dst[0] == 0xFF else OUR_MAC
    return eth(dst_mac, src_mac, 0x86DD) + ipv6(src, dst, 58, msg, hop=hop)


def fix_ip4(frame, off=14):
    """Recompute the IPv4 header checksum after a field was changed."""
    f = bytearray(frame)
    f[off + 10:off + 12] = b"\0\0"
    ihl = (f[off] & 0x0F) * 4
    f[off + 10:off + 12] = struct.pack("!H", csum(bytes(f[off:off + ihl])))
    return bytes(f)


def cases():
    c = {}
    good4 = udp4_frame()
    good6 = udp6_frame()
    # Datagrams to us.
    c["ok-udp4-dns-reply"] = good4
    c["ok-udp6-dns-reply"] = good6
    c["ok-udp4-vlan"] = udp4_frame(vlan=0x0005)
    c["ok-udp6-vlan"] = udp6_frame(vlan=0x0005)
    c["ok-udp4-csum-zero"] = udp4_frame(zero_csum=True)
    c["ok-udp4-empty"] = udp4_frame(payload=b"")
    c["ok-udp4-padded"] = udp4_frame(payload=b"\x01\x02") + b"\0" * 14
    c["ok-udp4-broadcast-mac"] = udp4_frame(dst_mac=BCAST)
    # ARP and NDP for and from us.
    c["ok-arp-request-for-us"] = arp(1, RES_MAC, RES4, b"\0" * 6, OUR4, BCAST)
    c["ok-arp-request-unicast"] = arp(1, RES_MAC, RES4, OUR_MAC, OUR4, OUR_MAC)
    c["ok-arp-probe-for-us"] = arp(1, RES_MAC, b"\0" * 4, b"\0" * 6, OUR4, BCAST)
    c["ok-arp-reply-to-us"] = arp(2, RES_MAC, RES4, OUR_MAC, OUR4, OUR_MAC)
    c["ok-arp-unpadded"] = arp(1, RES_MAC, RES4, b"\0" * 6, OUR4, BCAST, pad=False)
    c["ok-ns-for-us-multicast"] = ndp(135, RES6, solicited(OUR6), OUR6, RES_MAC)
    c["ok-ns-for-us-unicast"] = ndp(135, RES6, OUR6, OUR6, RES_MAC)
    c["ok-ns-no-option"] = ndp(135, RES6, OUR6, OUR6)
    c["ok-na-to-us"] = ndp(136, RES6, OUR6, RES6, RES_MAC, flags=0x60000000)
    c["ok-na-no-tlla"] = ndp(136, RES6, OUR6, RES6, flags=0x60000000)
    c["ok-ns-two-options"] = ndp(135, RES6, OUR6, OUR6,
                                 raw_opts=bytes([14, 1]) + b"\x01" * 6 + bytes([1, 1]) + RES_MAC)
    # Somebody else's traffic: ignored, never counted.
    c["other-mac-unicast"] = udp4_frame(dst_mac=OTHER_MAC)
    c["other-ip4"] = udp4_frame(dst=OTHER4)
    c["other-ip6"] = udp6_frame(dst=OTHER6)
    c["other-arp-request"] = arp(1, RES_MAC, RES4, b"\0" * 6, OTHER4, BCAST)
    c["other-arp-vlan-for-us"] = arp(1, RES_MAC, RES4, b"\0" * 6, OUR4, BCAST, vlan=7)
    c["other-ns-target"] = ndp(135, RES6, solicited(OUR6), bytes.fromhex(
        "fd530001000000000000000000000100"), RES_MAC)
    c["other-ns-dad"] = ndp(135, b"\0" * 16, solicited(OUR6), OUR6)
    c["other-mld-query"] = eth(b"\x33\x33\x00\x00\x00\x01", RES_MAC, 0x86DD) + ipv6(
        RES6, bytes.fromhex("ff020000000000000000000000000001"), 0,
        bytes([58, 0, 5, 2, 0, 0, 1, 0]) + icmp6(RES6, bytes.fromhex(
            "ff020000000000000000000000000001"), struct.pack("!BBHHH", 130, 0, 0, 1000, 0) +
            b"\0" * 16), hop=1)
    c["other-lldp"] = bytes.fromhex("0180c200000e") + RES_MAC + b"\x88\xcc" + b"\x02\x07" + b"\0" * 44
    # P17/P18 damage on frames to us.
    c["p17-udp4-bad-csum"] = good4[:-1] + bytes([good4[-1] ^ 0xFF])
    c["p17-udp6-bad-csum"] = good6[:-1] + bytes([good6[-1] ^ 0xFF])
    c["p17-ip4-bad-header-csum"] = good4[:24] + bytes([good4[24] ^ 1]) + good4[25:]
    c["p17-ip4-mf"] = fix_ip4(good4[:20] + b"\x20\x00" + good4[22:])
    c["p17-ip4-offset"] = fix_ip4(good4[:20] + b"\x00\x10" + good4[22:])
    c["p17-ip4-total-gt-frame"] = fix_ip4(good4[:16] + struct.pack("!H", len(good4)) + good4[18:])
    c["p17-ip4-udp-len-short"] = good4[:38] + struct.pack("!H", 8) + good4[40:]
    c["p17-ip6-payload-gt-frame"] = good6[:18] + struct.pack("!H", 2000) + good6[20:]
    c["p17-ip6-fragment"] = eth(OUR_MAC, RES_MAC, 0x86DD) + ipv6(
        RES6, OUR6, 44, struct.pack("!BBHI", 17, 0, 1, 7) + b"\0" * 16)
    c["p18-ip4-tcp"] = fix_ip4(good4[:23] + b"\x06" + good4[24:])
    c["p18-ip4-icmp-to-us"] = eth(OUR_MAC, RES_MAC, 0x0800) + ipv4(RES4, OUR4, 1,
                                                                   b"\x03\x03\0\0\0\0\0\0")
    l4 = udp(RES4, OUR4, 53, 40000, dns_ptr_reply(), False)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x46, 0, 24 + len(l4), 1, 0x4000, 64, 17, 0, RES4, OUR4)
    c["ok-ip4-options"] = eth(OUR_MAC, RES_MAC, 0x0800) + fix_ip4(hdr + b"\x01\x01\x01\x00" + l4,
                                                                  off=0)
    c["p18-ethertype-to-us"] = OUR_MAC + RES_MAC + b"\x88\xb5" + b"\0" * 46
    c["p18-icmp6-echo-to-us"] = eth(OUR_MAC, RES_MAC, 0x86DD) + ipv6(
        RES6, OUR6, 58, icmp6(RES6, OUR6, struct.pack("!BBHHH", 128, 0, 0, 1, 1)))
    c["p18-ns-hop-254"] = ndp(135, RES6, OUR6, OUR6, RES_MAC, hop=254)
    c["p18-ns-bad-csum"] = ndp(135, RES6, OUR6, OUR6, RES_MAC, bad_csum=True)
    c["p18-ns-option-len-0"] = ndp(135, RES6, OUR6, OUR6, raw_opts=bytes([1, 0]) + RES_MAC)
    c["p18-ns-option-past-end"] = ndp(135, RES6, OUR6, OUR6, raw_opts=bytes([1, 2]) + RES_MAC)
    c["p18-ns-short-icmp"] = eth(OUR_MAC, RES_MAC, 0x86DD) + ipv6(
        RES6, OUR6, 58, icmp6(RES6, OUR6, struct.pack("!BBH", 135, 0, 0) + b"\0" * 12))
    c["p18-ns-after-dst-opts"] = eth(OUR_MAC, RES_MAC, 0x86DD) + ipv6(
        RES6, OUR6, 60, bytes([58, 0, 1, 4, 0, 0, 0, 0]) +
        icmp6(RES6, OUR6, struct.pack("!BBHI", 135, 0, 0, 0) + OUR6), hop=255)
    c["p18-three-vlan-tags"] = OUR_MAC + RES_MAC + b"\x88\xa8\x00\x01\x81\x00\x00\x02\x81\x00" \
        b"\x00\x03\x08\x00" + good4[14:]
    # M13: destination unreachable quoting our query (whole, RFC 792's
    # minimum, from another host), and damaged.
    ours4 = ipv4(OUR4, RES4, 17, udp(OUR4, RES4, 40000, 53, dns_ptr_reply(), False))
    ours6 = ipv6(OUR6, RES6, 17, udp(OUR6, RES6, 40000, 53, dns_ptr_reply(), True))

    def unreach4(quote, code=3):
        msg = struct.pack("!BBHI", 3, code, 0, 0) + quote
        msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
        return eth(OUR_MAC, RES_MAC, 0x0800) + ipv4(RES4, OUR4, 1, msg)

    c["m13-icmp4-unreach-quoting-us"] = unreach4(ours4)
    c["m13-icmp4-unreach-minimal-quote"] = unreach4(ours4[:28], code=1)
    c["m13-icmp4-unreach-quoting-other"] = unreach4(ours4[:12] + OTHER4 + ours4[16:])
    bad = unreach4(ours4)
    c["m13-icmp4-unreach-bad-csum"] = bad[:-1] + bytes([bad[-1] ^ 0x5A])
    c["m13-icmp6-unreach-quoting-us"] = eth(OUR_MAC, RES_MAC, 0x86DD) + ipv6(
        RES6, OUR6, 58, icmp6(RES6, OUR6, struct.pack("!BBHI", 1, 4, 0, 0) + ours6))
    c["m13-icmp6-unreach-short-quote"] = eth(OUR_MAC, RES_MAC, 0x86DD) + ipv6(
        RES6, OUR6, 58, icmp6(RES6, OUR6, struct.pack("!BBHI", 1, 4, 0, 0) + ours6[:44]))
    for cut in (0, 6, 13, 14, 15, 20, 33, 34, 41, 42):
        c["p18-truncated-udp4-%d" % cut] = good4[:cut]
    for cut in (14, 30, 53, 54, 61, 62):
        c["p18-truncated-udp6-%d" % cut] = good6[:cut]
    arp_req = c["ok-arp-request-for-us"]
    for cut in (14, 20, 41):
        c["p18-truncated-arp-%d" % cut] = arp_req[:cut]
    ns = c["ok-ns-for-us-multicast"]
    for cut in (14, 53, 54, 60, 85):
        c["p18-truncated-ns-%d" % cut] = ns[:cut]
    return c


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "rawrx")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(cases().items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("make-rawrx-corpus: %d files in %s" % (len(cases()), out))


if __name__ == "__main__":
    main()
