#!/usr/bin/python3
"""Write the seed corpus of fuzz_reply: one DNS reply per variant of the
parser cases P01-P16 and P19-P22 of docs/test-cases.md (named
pNN-<variant>.bin), a few well-formed replies (ok-*.bin), and a copy of
every golden reply recorded from NSD/Unbound (golden-*.bin).

Deterministic; standard library only. Files found by the fuzzer
(crash-*/fuzz-*) are kept beside these and are not touched.

    tests/fuzz/make-reply-corpus.py [OUTDIR]   (default: corpus/reply beside this script)
"""

import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "golden")

QR_RD_RA = 0x8180
TC = 0x0200
A, CNAME, SOA, PTR, AAAA, DNAME, OPT, UNKNOWN = 1, 5, 6, 12, 28, 39, 41, 0xFF00
QNAME = "4.3.2.1.in-addr.arpa"
QEND = 12 + 22 + 4
OWNER_Q = b"\xc0\x0c"


def wire(text):
    if text == ".":
        return b"\0"
    out = b""
    for label in text.split("."):
        raw = label.encode("latin-1")
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def long_name(n, fill=b"a"):
    """A flat name of exactly n octets (63-octet labels, never a 1-octet rest)."""
    out = b""
    left = n - 1
    while left > 0:
        l = min(left - 1, 63)
        if left - (l + 1) == 1:
            l -= 1
        out += bytes([l]) + fill * l
        left -= l + 1
    return out + b"\0"


def header(an=0, ns=0, ar=0, flags=QR_RD_RA, qd=1, qid=0x1234):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def question(qname=QNAME, qtype=PTR):
    return wire(qname) + struct.pack("!HH", qtype, 1)


def reply(an=0, ns=0, ar=0, flags=QR_RD_RA, qname=QNAME, qtype=PTR):
    return header(an, ns, ar, flags) + question(qname, qtype)


def rr(owner, rtype, rdata, rclass=1, ttl=3600, rdlen=None):
    if isinstance(owner, str):
        owner = wire(owner)
    if rdlen is None:
        rdlen = len(rdata)
    return owner + struct.pack("!HHIH", rtype, rclass, ttl, rdlen) + rdata


def ptr_q(target):
    return rr(OWNER_Q, PTR, wire(target))


def opt(owner=b"\0", udp=1232, ttl=0, rdata=b""):
    return rr(owner, OPT, rdata, rclass=udp, ttl=ttl)


def soa(owner, minimum=300, fixed=20):
    body = wire("ns1.example") + wire("hostmaster.example")
    tail = struct.pack("!IIIII", 1, 3600, 900, 604800, minimum)
    return rr(owner, SOA, body + tail[:fixed] + b"\0" * max(0, fixed - 20))


def pointer(off):
    return struct.pack("!H", 0xC000 | off)


def pointer_chain(k):
    """Unknown RR with k backward pointers ending at the question, then a PTR entering it."""
    r = QEND + 12
    rd = OWNER_Q + b"".join(pointer(r + 2 * (i - 1)) for i in range(1, k))
    return rr(OWNER_Q, UNKNOWN, rd) + rr(pointer(r + 2 * (k - 1)), PTR, wire("host.example"))


def minimal_rrs(n):
    return rr(b"\0", UNKNOWN, b"") * n


def chain(n, loop=False):
    out, prev = b"", QNAME
    for i in range(1, n + 1):
        nxt = QNAME if loop and i == n else "c%d.example" % i
        out += rr(prev, CNAME, wire(nxt))
        prev = nxt
    return reply(an=n + 1) + out + rr(prev, PTR, wire("end.example"))


def cases():
    c = {}
    full = reply(an=1) + ptr_q("host.example")
    # P01
    c["p01-empty"] = b""
    c["p01-one-octet"] = full[:1]
    c["p01-eleven-octets"] = full[:11]
    c["p01-header-only"] = full[:12]
    c["p01-question-cut"] = full[:20]
    c["p01-qtype-cut"] = full[:QEND - 3]
    # P02
    c["p02-ancount-no-records"] = reply(an=1)
    c["p02-arcount-junk"] = reply(ar=1) + b"0123456789"
    # P03
    c["p03-qdcount-0"] = header(qd=0)
    c["p03-qdcount-0-question"] = header(qd=0) + question()
    c["p03-qdcount-2"] = header(qd=2) + question() + question()
    # P04
    c["p04-self-pointer"] = header() + OWNER_Q + struct.pack("!HH", PTR, 1)
    c["p04-self-pointer-owner"] = reply(an=1) + rr(pointer(QEND), A, b"\1\2\3\4")
    c["p04-forward-pointer"] = reply(an=1) + rr(pointer(QEND + 12), UNKNOWN, b"\3abc\0")
    r = QEND + 12
    c["p04-two-cycle"] = (reply(an=2) + rr(OWNER_Q, UNKNOWN, pointer(r + 2) + pointer(r))
                          + rr(pointer(r + 2), UNKNOWN, b""))
    c["p04-ptr-self"] = reply(an=1) + rr(OWNER_Q, PTR, pointer(QEND + 12))
    # P05
    c["p05-pointer-into-header"] = reply(an=1) + rr(pointer(5), A, b"\1\2\3\4")
    c["p05-pointer-zero"] = reply(an=1) + rr(pointer(0), A, b"\1\2\3\4")
    c["p05-pointer-beyond-end"] = reply(an=1) + rr(pointer(0x3FFF), A, b"\1\2\3\4")
    c["p05-pointer-cut"] = reply(an=2) + rr(OWNER_Q, UNKNOWN, b"0123456789") + b"\xc0"
    c["p05-ptr-into-header"] = reply(an=1) + rr(OWNER_Q, PTR, pointer(11))
    # P06
    c["p06-chain-127"] = reply(an=2) + pointer_chain(127)
    c["p06-chain-128"] = reply(an=2) + pointer_chain(128)
    c["p06-chain-200"] = reply(an=2) + pointer_chain(200)
    # P07
    c["p07-qname-255"] = header() + long_name(255) + struct.pack("!HH", PTR, 1)
    c["p07-qname-256"] = header() + long_name(256) + struct.pack("!HH", PTR, 1)
    c["p07-labels-127"] = header() + b"\1x" * 127 + b"\0" + struct.pack("!HH", PTR, 1)
    c["p07-labels-128"] = header() + b"\1x" * 128 + b"\0" + struct.pack("!HH", PTR, 1)
    c["p07-ptr-255"] = reply(an=1) + rr(OWNER_Q, PTR, long_name(255, b"\xff"))
    c["p07-ptr-256"] = reply(an=1) + rr(OWNER_Q, PTR, long_name(256, b"\xff"))
    c["p07-concat-255"] = reply(an=1) + rr(long_name(255 - 22 + 1, b"p")[:-1] + OWNER_Q,
                                           UNKNOWN, b"")
    c["p07-concat-256"] = reply(an=1) + rr(long_name(256 - 22 + 1, b"p")[:-1] + OWNER_Q,
                                           UNKNOWN, b"")
    base = long_name(100, b"q")
    c["p07-concat-rdata-256"] = (reply(an=2) + rr(OWNER_Q, UNKNOWN, base)
                                 + rr(long_name(157, b"p")[:-1] + pointer(QEND + 12),
                                      UNKNOWN, b""))
    # P08
    for t in (0x40, 0x41, 0x7F, 0x80, 0xBF):
        bad = bytes([t]) + b"ab\0"
        c["p08-owner-%02x" % t] = reply(an=1) + rr(bad, A, b"\1\2\3\4")
        c["p08-ptr-%02x" % t] = reply(an=1) + rr(OWNER_Q, PTR, bad)
    c["p08-question-40"] = header() + b"\3abc\x40ab\0" + struct.pack("!HH", PTR, 1)
    # P09
    c["p09-label-past-end"] = reply(an=1) + b"\x3f" + b"z" * 20
    c["p09-no-root"] = reply(an=1) + b"\3abc\3def\3ghi\3jkl"
    c["p09-fixed-cut"] = reply(an=1) + b"\3abc\3def\0" + b"\0\1\0\1\0"
    c["p09-ptr-label-past-rdlen"] = (reply(an=2) + rr(OWNER_Q, PTR, b"\7exa")
                                     + rr(OWNER_Q, UNKNOWN, b"0123456789"))
    # P10
    for v in (5, 0x7FFF, 0x8000, 0xFFFF):
        c["p10-rdlen-%04x" % v] = reply(an=1) + rr(OWNER_Q, UNKNOWN, b"abcd", rdlen=v)
    c["p10-ptr-rdlen-ffff"] = reply(an=1) + rr(OWNER_Q, PTR, b"\2ab\0", rdlen=0xFFFF)
    # P11
    c["p11-a-3"] = reply(an=1) + rr(OWNER_Q, A, b"\1\2\3")
    c["p11-a-5"] = reply(an=1) + rr(OWNER_Q, A, b"\1\2\3\4\5")
    c["p11-aaaa-15"] = reply(an=1) + rr(OWNER_Q, AAAA, b"\0" * 15)
    c["p11-aaaa-17"] = reply(an=1) + rr(OWNER_Q, AAAA, b"\0" * 17)
    nm = wire("host.example")
    c["p11-ptr-ends-before"] = reply(an=1) + rr(OWNER_Q, PTR, nm + b"\0")
    # The root octet right after RDATA is outside RDLENGTH all the same.
    c["p11-ptr-ends-after"] = (reply(an=2) + rr(OWNER_Q, PTR, nm[:-1])
                               + rr(b"\0", UNKNOWN, b""))
    c["p11-soa-19"] = reply(ns=1) + soa("2.1.in-addr.arpa", fixed=19)
    # P12
    c["p12-ptr-query-a-answers"] = (reply(an=2) + rr(OWNER_Q, A, b"\xc0\0\2\7")
                                    + rr(OWNER_Q, AAAA, b"\x20\1\x0d\xb8" + b"\0" * 12))
    c["p12-aaaa-query-a-answer"] = (reply(an=1, qname="host.example", qtype=AAAA)
                                    + rr(OWNER_Q, A, b"\xc0\0\2\7"))
    # P13
    c["p13-other-owner"] = (reply(an=2) + rr("5.3.2.1.in-addr.arpa", PTR, wire("other.example"))
                            + rr("4.3.2.1.IN-ADDR.ARPA", PTR, wire("mine.example")))
    # P14
    c["p14-rfc2317"] = (reply(an=2) + rr(QNAME, CNAME, wire("4.0/25.3.2.1.in-addr.arpa"))
                        + rr("4.0/25.3.2.1.in-addr.arpa", PTR, wire("host.example")))
    c["p14-cname-loop"] = chain(2, loop=True)
    c["p14-cname-self"] = chain(1, loop=True)
    c["p14-chain-8"] = chain(8)
    c["p14-chain-9"] = chain(9)
    c["p14-chain-20"] = chain(20)
    c["p14-dname"] = (reply(an=3) + rr("2.1.in-addr.arpa", DNAME, wire("rev.example"))
                      + rr(QNAME, CNAME, wire("4.3.rev.example"))
                      + rr("4.3.rev.example", PTR, wire("host.example")))
    c["p14-dname-too-long"] = reply(an=1) + rr("arpa", DNAME, long_name(240, b"t"))
    c["p14-dname-loop"] = reply(an=1) + rr("in-addr.arpa", DNAME, wire("in-addr.arpa.in-addr.arpa"))
    # P15
    c["p15-two-opt"] = reply(ar=2) + opt() + opt()
    c["p15-opt-in-answer"] = reply(an=1) + opt()
    c["p15-opt-in-authority"] = reply(ns=1) + opt()
    c["p15-opt-owner"] = reply(ar=1) + opt(owner=OWNER_Q)
    c["p15-opt-bad-option"] = reply(ar=1) + opt(rdata=b"\0\12\0\3ab")
    c["p15-opt-badvers"] = reply(ar=1) + opt(ttl=0x01000000)
    # P16
    fit = (65507 - QEND) // 11
    c["p16-ancount-65535-in-65507"] = reply(an=65535) + minimal_rrs(fit)
    fit1500 = (1500 - QEND) // 11
    c["p16-ancount-65535-in-1500"] = reply(an=65535) + minimal_rrs(fit1500)
    c["p16-132-rrs-in-1500"] = reply(an=fit1500) + minimal_rrs(fit1500)
    c["p16-513-rrs"] = reply(an=513) + minimal_rrs(513)
    # P19, P20
    hostile = b"".join(bytes([len(l)]) + l for l in (
        b"a\0b", b"line\nfeed", b'q"uote', b"com,ma", b"back\\slash", b"dot.ted",
        b"<script>", b"\xff", b"\x1b[2J")) + wire("example")
    c["p19-hostile-labels"] = reply(an=1) + rr(OWNER_Q, PTR, hostile)
    c["p20-ff-255"] = reply(an=1) + rr(OWNER_Q, PTR, long_name(255, b"\xff"))
    # P21
    partial = reply(an=3, ar=1, flags=QR_RD_RA | TC) + ptr_q("one.example") + ptr_q("two.example")
    c["p21-tc-partial"] = partial[:-5]
    c["p21-tc-empty"] = reply(flags=QR_RD_RA | TC)
    c["p21-tc-counts-no-records"] = reply(an=5, flags=QR_RD_RA | TC)
    c["p21-tc-question-cut"] = reply(flags=QR_RD_RA | TC)[:QEND - 1]
    # P22
    c["p22-qr0"] = reply(flags=0x0100)
    c["p22-opcode-update"] = reply(flags=QR_RD_RA | 5 << 11)
    c["p22-opcode-notify"] = reply(flags=QR_RD_RA | 4 << 11)
    for rc, name in ((1, "formerr"), (2, "servfail"), (4, "notimp"), (5, "refused"),
                     (12, "rcode12"), (15, "rcode15")):
        c["p22-" + name] = reply(flags=QR_RD_RA | rc, ns=1) + soa("2.1.in-addr.arpa")
    # Well-formed replies.
    c["ok-ptr"] = full
    c["ok-ptr-edns"] = reply(an=1, ar=1) + ptr_q("host.example") + opt()
    c["ok-nxdomain-soa"] = reply(ns=1, flags=QR_RD_RA | 3) + soa("2.1.in-addr.arpa")
    c["ok-a-cname"] = (reply(an=2, qname="www.example", qtype=A)
                       + rr(OWNER_Q, CNAME, wire("host.example"))
                       + rr("host.example", A, b"\xc0\0\2\7"))
    c["ok-aaaa"] = (reply(an=1, qname="host.example", qtype=AAAA)
                    + rr(OWNER_Q, AAAA, b"\x20\1\x0d\xb8" + b"\0" * 11 + b"\7"))
    return c


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus", "reply")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(cases().items()):
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)
    for name in sorted(os.listdir(GOLDEN)):
        if name.endswith(".bin"):
            shutil.copyfile(os.path.join(GOLDEN, name), os.path.join(out, "golden-" + name))


if __name__ == "__main__":
    main()
