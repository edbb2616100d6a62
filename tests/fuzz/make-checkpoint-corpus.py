#!/usr/bin/python3
"""Write the seed corpus of fuzz_checkpoint: valid checkpoint files of
scanner/checkpoint.h (one and four TX workers, with and without pending
positions, complete) and damaged ones (cut short, a changed octet, a bad
sum, pending out of range or unsorted, unknown lines, an old version), and
"sealed-" seeds: an odd first octet and a body whose sum line the fuzz
target appends, so mutations reach the field parser.

XXH64 (seed 0) is implemented here so the generator needs only the standard
library. Deterministic. Files found by the fuzzer (fuzz-*) are kept.

    tests/fuzz/make-checkpoint-corpus.py [OUTDIR]  (default: corpus/checkpoint beside this script)
"""

import os
import sys

M = (1 << 64) - 1
P1, P2, P3, P4, P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                      0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5)


def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M


def rnd(acc, lane):
    acc = (acc + lane * P2) & M
    return (rotl(acc, 31) * P1) & M


def merge(acc, v):
    acc ^= rnd(0, v)
    return (acc * P1 + P4) & M


def xxh64(data, seed=0):
    n = len(data)
    i = 0
    if n >= 32:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed, (seed - P1) & M]
        while i + 32 <= n:
            for k in range(4):
                v[k] = rnd(v[k], int.from_bytes(data[i + 8 * k:i + 8 * k + 8], "little"))
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for k in range(4):
            h = merge(h, v[k])
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while i + 8 <= n:
        h ^= rnd(0, int.from_bytes(data[i:i + 8], "little"))
        h = (rotl(h, 27) * P1 + P4) & M
        i += 8
    if i + 4 <= n:
        h ^= (int.from_bytes(data[i:i + 4], "little") * P1) & M
        h = (rotl(h, 23) * P2 + P3) & M
        i += 4
    while i < n:
        h ^= (data[i] * P5) & M
        h = (rotl(h, 11) * P1) & M
        i += 1
    h ^= h >> 33
    h = (h * P2) & M
    h ^= h >> 29
    h = (h * P3) & M
    h ^= h >> 32
    return h


def ckpt(queues, pending, out_bytes=4096, seed=7, shard="0/1", version=2, extra=""):
    body = "fcrscan-checkpoint %d\n" % version
    body += ("config 0123456789abcdef\nseed %d\nshard %s\nserial 3\noutput_bytes %d\n"
             "queues %d\n") % (seed, shard, out_bytes, len(queues))
    for q, (nxt, size) in enumerate(queues):
        body += "next %d %d %d\n" % (q, nxt, size)
    body += "pending %d" % len(pending) + "".join(" %x" % p for p in pending) + "\n" + extra
    data = body.encode()
    return data + b"sum %016x\n" % xxh64(data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus",
                                                              "checkpoint")
    os.makedirs(out, exist_ok=True)
    q1 = 1 << 56
    good = {
        "fresh": ckpt([(0, 1088)], [], out_bytes=0),
        "one-worker": ckpt([(700, 1088)], [3, 500, 699]),
        "four-workers": ckpt([(10, 20), (5, 20), (20, 20), (0, 19)], [1, 9, q1 | 4, 2 * q1]),
        "complete": ckpt([(1088, 1088)], [], out_bytes=123456),
        "huge": ckpt([((1 << 56) - 2, (1 << 56) - 1)], [(1 << 56) - 3]),
    }
    bad = {
        "cut-short": good["one-worker"][:-7],
        "changed-octet": good["one-worker"].replace(b"next 0 700", b"next 0 701"),
        "bad-sum": good["one-worker"][:-17] + b"0000000000000000\n",
        "pending-beyond-next": ckpt([(700, 1088)], [700]),
        "pending-unsorted": ckpt([(700, 1088)], [500, 3]),
        "pending-other-queue": ckpt([(700, 1088)], [q1 | 3]),
        "next-beyond-size": ckpt([(1089, 1088)], []),
        "unknown-line": ckpt([(700, 1088)], [], extra="colour blue\n"),
        "old-version": ckpt([(700, 1088)], [], version=1),
        "bad-shard": ckpt([(700, 1088)], [], shard="3/3"),
        "pending-count-lies": good["one-worker"].replace(b"pending 3", b"pending 4"),
        "empty": b"",
    }
    for name, data in list(good.items()) + list(bad.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    # Sealed seeds (fuzz_checkpoint.c): an odd first octet, then a body
    # without its sum line; the target appends the right one.
    for name, data in good.items():
        body = data[:data.rfind(b"sum ")]
        with open(os.path.join(out, "sealed-" + name), "wb") as f:
            f.write(b"!" + body)
    for name in ("pending-beyond-next", "pending-unsorted", "unknown-line", "bad-shard"):
        body = bad[name][:bad[name].rfind(b"sum ")]
        with open(os.path.join(out, "sealed-" + name), "wb") as f:
            f.write(b"!" + body)


if __name__ == "__main__":
    main()
