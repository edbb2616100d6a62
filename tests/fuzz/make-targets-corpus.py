#!/usr/bin/python3
"""Write the seed corpus of fuzz_targets: target files with valid examples of
every syntax of scanner/targets.h and one file per input case of docs/test-cases.md
I04 (NUL byte, CRLF, over-long line, no final newline, 0::00:00:00/2,
1.2.3.4/33, ::ffff:1.2.3.4, leading zeros 010.1.1.1), plus I02/I03/I06 shapes.

The I04 "10 MB line" case is represented by lines of 1025 bytes and 20 KiB
(past the 1024-byte limit and past one 16 KiB read chunk); the real 10 MB line
is a unit test (tests/scanner/test_targets.c), so the corpus stays small.

Deterministic; standard library only. Files found by the fuzzer (fuzz-*) are
kept beside these and are not touched.

    tests/fuzz/make-targets-corpus.py [OUTDIR]   (default: corpus/targets beside this script)
"""

import os
import sys

LINE_MAX = 1024


def lines(*items, eol="\n", final=True):
    text = eol.join(items)
    return (text + (eol if final else "")).encode("latin-1")


CASES = {
    # valid
    "ok-ipv4": lines("192.0.2.1", "198.51.100.0/24", "203.0.113.128/25", "8.8.8.8/32"),
    "ok-ipv6": lines("2001:db8::1", "2001:db8:1::/120", "2001:DB8:2::/96", "::1", "::",
                     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"),
    "ok-mixed-comments": lines("# provider pool", "", "   192.0.2.0/28   # office",
                               "\t2001:db8::/124\t", "#2001:db8::/32", "  # indented comment"),
    "ok-host-bits-set": lines("1.2.3.4/24", "2001:db8::1234/120", "10.1.2.3/8"),
    "ok-whole-ipv4": lines("0.0.0.0/0"),
    "ok-large-ipv6": lines("2001:db8::/32", "::/1", "8000::/1"),
    "ok-ipv6-embedded-ipv4": lines("::1.2.3.4", "64:ff9b::192.0.2.33", "::ffff:192.0.2.0/120"),
    "ok-bom": b"\xef\xbb\xbf" + lines("192.0.2.7"),
    "ok-line-1024": lines(" " * (LINE_MAX - len("192.0.2.9")) + "192.0.2.9"),
    "ok-line-1024-crlf": lines(" " * (LINE_MAX - len("192.0.2.9")) + "192.0.2.9", eol="\r\n"),
    "ok-empty": b"",
    "ok-only-comments": lines("# nothing", "", "#"),
    # I03: overlaps and duplicates, scanned once
    "i03-overlap-dup": lines("10.0.0.0/24", "10.0.0.128/25", "10.0.0.5", "10.0.0.0/24",
                             "10.0.1.0/24", "10.0.0.0/23", "2001:db8::/120", "2001:db8::80/121",
                             "2001:db8::100/120"),
    "i03-adjacent": lines("1.2.3.0/25", "1.2.3.128/25", "255.255.255.254", "255.255.255.255",
                          "0.0.0.0", "0.0.0.1"),
    # I06: only special-purpose addresses
    "i06-only-blocklisted": lines("10.0.0.0/8", "192.168.1.0/24", "127.0.0.1", "fe80::1",
                                  "2001:db8::/96", "224.0.0.1", "::ffff:10.1.2.3"),
    # I02: large IPv6 prefixes and 128-bit counts
    "i02-ipv6-slash0": lines("::/0"),
    "i02-ipv6-slash63": lines("2001:db8:0:2::/63"),
    "i02-ipv6-halves": lines("::/1", "8000::/2", "c000::/3", "e000::/3"),
    "i02-over-2-to-128": lines("::/0", "0.0.0.0/0"),
    # regression (found by fuzzing): ::ffff:0:0/96 reached through a wider prefix
    "i02-mapped-block-in-wide-ipv6": lines("::/80", "::ffff:1.2.3.4"),
    # I04: the hostile lines
    "i04-nul": b"192.0.2.1\n192.0.\x002.2\n192.0.2.3\n",
    "i04-nul-last": b"192.0.2.1\n\x00",
    "i04-crlf": lines("192.0.2.1", "2001:db8::1", "# c", "", "192.0.2.0/30 # x", eol="\r\n"),
    "i04-lone-cr": b"192.0.2.1\r192.0.2.2\r",
    "i04-line-1025": lines(" " * (LINE_MAX + 1 - len("192.0.2.9")) + "192.0.2.9", "192.0.2.10"),
    "i04-line-20k": b"192.0.2.1\n" + b"7" * 20480 + b"\n192.0.2.2",
    "i04-no-final-newline": lines("192.0.2.1", "192.0.2.2", final=False),
    "i04-zero-compressed-slash2": lines("0::00:00:00/2"),
    "i04-prefix-33": lines("1.2.3.4/33"),
    "i04-mapped-ipv4": lines("::ffff:1.2.3.4", "1.2.3.4", "::ffff:1.2.3.0/126"),
    "i04-leading-zero": lines("010.1.1.1", "1.2.3.04", "::ffff:010.1.1.1", "0.0.0.0"),
    # malformed shapes, one rule each
    "bad-prefix": lines("1.2.3.4/", "/24", "1.2.3.4/2/4", "1.2.3.4/x", "1.2.3.4/-1",
                        "2001:db8::/129", "1.2.3.4/4294967328"),
    "bad-ipv4": lines("1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.256", "1.2.3.1000", "-1.2.3.4"),
    "bad-ipv6": lines("1::2::3", "2001:db8::g", "fe80::1%eth0", ":::", "1:2:3:4:5:6:7:8:9"),
    "bad-words": lines("example.com", "1.2.3.4 5.6.7.8", "localhost", "1.2.3.\xe9"),
    "bad-many-errors": lines(*(["bad"] * 30)),
    "bad-long-token": lines("9" * 300),
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "targets")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(CASES.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{len(CASES)} files in {out}")


if __name__ == "__main__":
    main()
