#!/usr/bin/python3
"""Write the seed corpus of fuzz_frame: one frame per docs/test-cases.md P17/P18 case
plus typical valid frames (DNS replies over IPv4/IPv6, VLAN, ARP).

Deterministic (no randomness, no clock): running it again rewrites the same
files. Standard library only. Files found by the fuzzer (fuzz-*) are kept
beside these and are not touched.

    tests/fuzz/make-frame-corpus.py [OUTDIR]   (default: corpus/frame beside this script)
"""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpuslib import csum  # noqa: E402

MAC_DST = bytes.fromhex("02005e100001")
MAC_SRC = bytes.fromhex("02005e100002")
V4_SRC = bytes([192, 0, 2, 53])
V4_DST = bytes([198, 51, 100, 7])
V6_SRC = bytes.fromhex("20010db8000000000000000000000053")
V6_DST = bytes.fromhex("20010db8000000010000000000000007")


def dns_ptr_reply():
    """A PTR reply for 7.100.51.198.in-addr.arpa -> host.example.net."""
    qname = b"".join(bytes([len(x)]) + x for x in b"7.100.51.198.in-addr.arpa".split(b".")) + b"\0"
    target = b"\x04host\x07example\x03net\x00"
    hdr = struct.pack("!HHHHHH", 0x1234, 0x8180, 1, 1, 0, 0)
    question = qname + struct.pack("!HH", 12, 1)
    answer = b"\xc0\x0c" + struct.pack("!HHIH", 12, 1, 3600, len(target)) + target
    return hdr + question + answer


PAYLOAD = dns_ptr_reply()


def ext_header(nh, kind, extra_units=0):
    """An 8*(1+extra_units)-octet IPv6 extension header of the given type."""
    if kind == 44:  # fragment: offset 0, M=0 (atomic), id 1
        return struct.pack("!BBHI", nh, 0, 0, 1)
    if kind == 43:  # routing type 4, segments left 0
        body = bytes([4, 0]) + bytes(4 + 8 * extra_units)
        return bytes([nh, extra_units]) + body
    # hop-by-hop / destination options: one PadN option filling the header
    pad = 4 + 8 * extra_units
    return bytes([nh, extra_units, 1, pad]) + bytes(pad)


def chain(kinds, final=17):
    out = b""
    for i, k in enumerate(kinds):
        nh = kinds[i + 1] if i + 1 < len(kinds) else final
        out += ext_header(nh, k)
    return out


def frame(v6=False, vlans=(), ethertype=None, opts=b"", ext=b"", first_nh=None,
          proto=17, version=None, ihl_delta=0, frag=0x4000, ip_len_delta=0,
          udp_len_delta=0, bad_ip_csum=False, bad_udp_csum=False, zero_udp_csum=False,
          payload=PAYLOAD, pad=0, cut=None):
    udp_len = 8 + len(payload)
    udp = struct.pack("!HHHH", 53, 40000, (udp_len + udp_len_delta) & 0xFFFF, 0) + payload
    if not v6:
        ihl = 20 + len(opts)
        vihl = ((version or 4) << 4) | ((ihl // 4 + ihl_delta) & 0xF)
        ip = struct.pack("!BBHHHBBH4s4s", vihl, 0, (ihl + udp_len + ip_len_delta) & 0xFFFF,
                         0x1234, frag, 64, proto, 0, V4_SRC, V4_DST) + opts
        ck = (csum(ip) + (1 if bad_ip_csum else 0)) & 0xFFFF
        ip = ip[:10] + struct.pack("!H", ck) + ip[12:]
        pseudo = V4_SRC + V4_DST + struct.pack("!BBH", 0, 17, udp_len)
    else:
        nh = first_nh if ext else proto
        ip = struct.pack("!IHBB16s16s", (version or 6) << 28,
                         (len(ext) + udp_len + ip_len_delta) & 0xFFFF, nh, 64,
                         V6_SRC, V6_DST) + ext
        pseudo = V6_SRC + V6_DST + struct.pack("!IxxxB", udp_len, 17)
    ck = csum(pseudo + udp) or 0xFFFF
    if zero_udp_csum:
        ck = 0
    if bad_udp_csum:
        ck = (ck + 1) & 0xFFFF
    udp = udp[:6] + struct.pack("!H", ck) + udp[8:]
    eth = MAC_DST + MAC_SRC
    for tpid, tci in vlans:
        eth += struct.pack("!HH", tpid, tci)
    if ethertype is None:
        ethertype = 0x86DD if v6 else 0x0800
    eth += struct.pack("!H", ethertype)
    f = eth + ip + udp + bytes(pad)
    return f if cut is None else f[:cut]


def arp(op=1, htype=1, ptype=0x0800, hlen=6, plen=4, vlans=(), pad=0):
    sha, spa = bytes.fromhex("02aabbccdd01"), bytes([10, 0, 0, 1])
    tha, tpa = bytes(6) if op == 1 else bytes.fromhex("02aabbccdd02"), bytes([10, 0, 0, 2])
    eth = (b"\xff" * 6 if op == 1 else tha) + sha
    for tpid, tci in vlans:
        eth += struct.pack("!HH", tpid, tci)
    eth += struct.pack("!H", 0x0806)
    body = struct.pack("!HHBBH", htype, ptype, hlen, plen, op) + sha + spa + tha + tpa
    return eth + body + bytes(pad)


VLAN = [(0x8100, 0x012A)]
QINQ = [(0x88A8, 0x0064), (0x8100, 0x012A)]
RA = bytes([0x94, 0x04, 0x00, 0x00])  # router alert
NOPS = bytes([1] * 39 + [0])

CASES = {
    # typical valid frames
    "ok-ipv4-dns-reply": frame(),
    "ok-ipv4-vlan": frame(vlans=VLAN),
    "ok-ipv4-qinq": frame(vlans=QINQ),
    "ok-ipv4-empty-payload": frame(payload=b""),
    "ok-ipv4-udp-csum-zero": frame(zero_udp_csum=True),
    "ok-ipv6-dns-reply": frame(v6=True),
    "ok-ipv6-vlan": frame(v6=True, vlans=VLAN),
    "ok-arp-request-padded": arp(op=1, pad=18),
    "ok-arp-reply-vlan": arp(op=2, vlans=VLAN),
    # P17
    "p17-ipv4-total-len-gt-captured": frame(ip_len_delta=1),
    "p17-ipv4-total-len-short": frame(ip_len_delta=-1),
    "p17-ipv4-total-len-65535": frame(ip_len_delta=65535 - 28 - len(PAYLOAD)),
    "p17-ipv4-udp-len-gt-ip-payload": frame(udp_len_delta=1),
    "p17-ipv4-udp-len-lt-ip-payload": frame(udp_len_delta=-1),
    "p17-ipv4-udp-len-7": frame(payload=b"", udp_len_delta=-1),
    "p17-ipv4-ip-payload-lt-8": frame(payload=b"", ip_len_delta=-4),
    "p17-ipv4-udp-len-gt-captured": frame(cut=14 + 20 + 8 + 10),
    "p17-ipv4-mf": frame(frag=0x2000),
    "p17-ipv4-offset-185": frame(frag=185),
    "p17-ipv4-mf-offset-max": frame(frag=0x3FFF),
    "p17-ipv4-bad-udp-csum": frame(bad_udp_csum=True),
    "p17-ipv4-bad-header-csum": frame(bad_ip_csum=True),
    "p17-ipv6-payload-len-gt-captured": frame(v6=True, ip_len_delta=1),
    "p17-ipv6-payload-len-short": frame(v6=True, ip_len_delta=-1),
    "p17-ipv6-jumbo-zero-len": frame(v6=True, ip_len_delta=-(8 + len(PAYLOAD))),
    "p17-ipv6-udp-len-mismatch": frame(v6=True, udp_len_delta=1),
    "p17-ipv6-fragment-header": frame(v6=True, ext=chain([44]), first_nh=44),
    "p17-ipv6-bad-udp-csum": frame(v6=True, bad_udp_csum=True),
    "p17-ipv6-udp-csum-zero": frame(v6=True, zero_udp_csum=True),
    # P18
    "p18-ipv4-ihl6-options": frame(opts=RA),
    "p18-ipv4-ihl15-options": frame(opts=NOPS, vlans=VLAN),
    "p18-ipv4-ihl4": frame(ihl_delta=-1),
    "p18-ipv4-ihl-past-total": frame(payload=b"", ihl_delta=10),
    "p18-ipv4-version5": frame(version=5),
    "p18-ipv4-tcp": frame(proto=6),
    "p18-ipv6-hbh-dst": frame(v6=True, ext=chain([0, 60]), first_nh=0),
    "p18-ipv6-hbh-routing-dst": frame(v6=True, ext=chain([0, 43, 60]), first_nh=0),
    "p18-ipv6-8-ext-headers": frame(v6=True, ext=chain([60] * 8), first_nh=60),
    "p18-ipv6-9-ext-headers": frame(v6=True, ext=chain([60] * 9), first_nh=60),
    "p18-ipv6-hbh-not-first": frame(v6=True, ext=chain([60, 0]), first_nh=60),
    "p18-ipv6-ext-past-payload": frame(v6=True, ext=bytes([17, 20, 4, 0, 0, 0, 0, 0]),
                                       first_nh=43),
    "p18-ipv6-no-next-header": frame(v6=True, ext=chain([0, 60], final=59), first_nh=0),
    "p18-ipv6-icmpv6": frame(v6=True, proto=58),
    "p18-ipv6-version4": frame(v6=True, version=4),
    "p18-ethernet-padding": frame(payload=b"ab", pad=16),
    "p18-lldp-ethertype": frame(ethertype=0x88CC),
    "p18-three-vlan-tags": frame(vlans=VLAN * 3),
    "p18-arp-ipv6-ptype": arp(ptype=0x86DD),
    "p18-arp-op3": arp(op=3),
}

# Truncated L2 frames: a cut inside each header of the usual stacks.
for name, full, cuts in (
        ("ipv4-vlan", frame(vlans=VLAN), (0, 1, 13, 14, 16, 17, 18, 37, 38, 45, 46, 60)),
        ("ipv6-hbh-dst", frame(v6=True, ext=chain([0, 60]), first_nh=0),
         (15, 53, 54, 60, 62, 70, 78, 85)),
        ("arp", arp(), (20, 41))):
    for c in cuts:
        CASES["p18-truncated-%s-%d" % (name, c)] = full[:c]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "frame")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(CASES.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("%d frames written to %s" % (len(CASES), out))


if __name__ == "__main__":
    main()
