#!/usr/bin/python3
"""Probe the lab's raw-engine hook the way a DPDK/pcap engine will use it.

Runs inside the scanner namespace ('lab exec scripts/lab/rawprobe.py'). On
the unaddressed veth end (FCRLAB_RAW_IF, raw0) it sends, from an address no
kernel interface holds (FCRLAB_RAW_SOURCE4, 10.53.0.100), UDP DNS queries
straight to the resolver's MAC, answers the resolver's ARP requests for that
address itself, and checks that the replies arrive with correct IPv4 and UDP
checksums (which needs TX checksum offload off on the server side; see
docs/test-cases.md). Exit 0 when every query got a valid reply. Stdlib only.

Usage: rawprobe.py [--dir /tmp/fcrlab] [NAME TYPE]...   (default: a few PTRs)
"""

import argparse
import os
import random
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def load_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                k, v = line.strip().split("=", 1)
                env[k] = v
    return env


def mac_bytes(m):
    return bytes(int(x, 16) for x in m.split(":"))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def dns_query(qid, name, qtype):
    types = {"A": 1, "PTR": 12, "AAAA": 28, "SOA": 6, "NS": 2}
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1)
    for lab in name.rstrip(".").split("."):
        q += bytes([len(lab)]) + lab.encode()
    q += b"\0" + struct.pack("!HH", types[qtype], 1)
    q += b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)        # EDNS0 OPT, 1232
    return q


def udp_frame(src_mac, dst_mac, src_ip, dst_ip, sport, dport, payload):
    udp_len = 8 + len(payload)
    pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    c = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, random.randrange(65536), 0x4000,
                     64, 17, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + udp


def arp_reply(my_mac, my_ip, req):
    sha, spa = req[8:14], req[14:18]          # sender MAC and IP of the request
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + my_mac + my_ip + sha + spa
    return sha + my_mac + b"\x08\x06" + arp


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=os.environ.get("FCRLAB_DIR", "/tmp/fcrlab"))
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("query", nargs="*")
    args = ap.parse_args()
    env = load_env(os.path.join(args.dir, "lab.env"))
    ifname = env["FCRLAB_RAW_IF"]
    my_mac = mac_bytes(env["FCRLAB_RAW_MAC"])
    res_mac = mac_bytes(env["FCRLAB_RESOLVER_MAC"])
    my_ip = socket.inet_aton(env["FCRLAB_RAW_SOURCE4"])
    res_ip = socket.inet_aton(env["FCRLAB_RESOLVER4"])
    qs = args.query or ["1.2.0.192.in-addr.arpa", "PTR", "7.100.51.198.in-addr.arpa", "PTR",
                        "mail.example.net", "A"]
    queries = list(zip(qs[0::2], qs[1::2]))

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    pending = {}
    for name, qtype in queries:
        qid, sport = random.randrange(65536), random.randrange(20000, 60000)
        pending[(sport, qid)] = (name, qtype)
        s.send(udp_frame(my_mac, res_mac, my_ip, res_ip, sport, 53, dns_query(qid, name, qtype)))
    ok = bad = arps = 0
    deadline = time.monotonic() + args.timeout
    while pending and time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], 0.2)
        if not r:
            continue
        fr = s.recv(65535)
        if len(fr) < 14 or fr[0:6] not in (my_mac, b"\xff" * 6):
            continue
        etype = struct.unpack("!H", fr[12:14])[0]
        if etype == 0x0806 and len(fr) >= 42 and fr[20:22] == b"\x00\x01" and fr[38:42] == my_ip:
            s.send(arp_reply(my_mac, my_ip, fr[14:]))
            arps += 1
            continue
        if etype != 0x0800 or fr[23] != 17:
            continue
        ihl = (fr[14] & 0x0F) * 4
        ip = fr[14:14 + ihl]
        if ip[12:16] != res_ip or ip[16:20] != my_ip:
            continue
        tot = struct.unpack("!H", ip[2:4])[0]
        udp = fr[14 + ihl:14 + tot]
        sport, dport, ulen, ucs = struct.unpack("!HHHH", udp[:8])
        qid = struct.unpack("!H", udp[8:10])[0]
        key = (dport, qid)
        if sport != 53 or key not in pending:
            continue
        ip_ok = csum(ip) == 0
        pseudo = ip[12:16] + ip[16:20] + struct.pack("!BBH", 0, 17, ulen)
        udp_ok = ucs != 0 and csum(pseudo + udp[:ulen]) == 0
        rcode = udp[11] & 0x0F
        name, qtype = pending.pop(key)
        status = "ok" if ip_ok and udp_ok else "BAD CHECKSUM (ip %s, udp %s)" % (ip_ok, udp_ok)
        print("rawprobe: %s %s -> rcode %d, %d bytes, %s" % (name, qtype, rcode, ulen - 8, status))
        if ip_ok and udp_ok:
            ok += 1
        else:
            bad += 1
    for name, qtype in pending.values():
        print("rawprobe: %s %s -> no reply" % (name, qtype))
    print("rawprobe: %d ok, %d bad checksums, %d unanswered; answered %d ARP requests on %s"
          % (ok, bad, len(pending), arps, ifname))
    return 0 if ok == len(queries) else 1


if __name__ == "__main__":
    sys.exit(main())
