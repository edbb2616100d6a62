#!/usr/bin/python3
"""Write the seed corpus of fuzz_revname: uncompressed wire names, valid
reverse names (both families, both cases) and one example per rejection rule
of packet/rev.h, plus malformed wire names.

Deterministic; standard library only. Files found by the fuzzer (fuzz-*) are
kept beside these and are not touched.

    tests/fuzz/make-revname-corpus.py [OUTDIR]   (default: corpus/revname beside this script)
"""

import os
import sys


def wire(text):
    """Dotted text to wire form; empty labels become 0 octets on purpose."""
    out = b""
    labels = text.split(".") if text else []
    if labels and labels[-1] == "":
        labels.pop()
    for label in labels:
        b = label.encode("latin-1")
        out += bytes([len(b)]) + b
    return out + b"\0"


def v6name(hexaddr, upper=False):
    nibbles = ".".join(reversed(hexaddr))
    name = nibbles + ".ip6.arpa"
    return name.upper() if upper else name


ZERO31 = "0." * 23 + "8.b.d.0.1.0.0.2"  # the top 31 nibble labels of 2001:db8::/104

CASES = {
    # valid
    "ok-v4": wire("4.3.2.1.in-addr.arpa"),
    "ok-v4-zeros": wire("0.0.0.0.in-addr.arpa"),
    "ok-v4-max": wire("255.255.255.255.in-addr.arpa"),
    "ok-v4-upper": wire("10.2.0.192.IN-ADDR.ARPA"),
    "ok-v6-rfc3596": wire(v6name("4321000000010002000300040567" + "89ab")),
    "ok-v6-upper": wire(v6name("20010db8abcdef000000000000000001", upper=True)),
    "ok-v6-zero": wire(v6name("0" * 32)),
    # suffix
    "suffix-extra-label": wire("4.3.2.1.in-addr.arpa.example"),
    "suffix-arp": wire("4.3.2.1.in-addr.arp"),
    "suffix-ip7": wire("4.3.2.1.ip7.arpa"),
    "suffix-root": wire(""),
    "suffix-arpa-only": wire("arpa"),
    # label count
    "labels-v4-0": wire("in-addr.arpa"),
    "labels-v4-3": wire("3.2.1.in-addr.arpa"),
    "labels-v4-5": wire("5.4.3.2.1.in-addr.arpa"),
    "labels-rfc2317": wire("1.0/25.2.0.192.in-addr.arpa"),
    "labels-v6-31": wire(ZERO31 + ".ip6.arpa"),
    "labels-v6-33": wire("1." + "0." + ZERO31 + ".ip6.arpa"),
    "labels-v6-4": wire("4.3.2.1.ip6.arpa"),
    # label content
    "label-non-digit": wire("4a.3.2.1.in-addr.arpa"),
    "label-sign": wire("-1.3.2.1.in-addr.arpa"),
    "label-leading-zero": wire("04.3.2.1.in-addr.arpa"),
    "label-double-zero": wire("00.3.2.1.in-addr.arpa"),
    "label-256": wire("256.3.2.1.in-addr.arpa"),
    "label-4-digits": wire("1000.3.2.1.in-addr.arpa"),
    "label-non-hex": wire("g." + ZERO31 + ".ip6.arpa"),
    "label-two-nibbles": wire("10." + ZERO31[2:] + ".0.ip6.arpa"),
    "label-nul-octet": wire("4.3.2.\x00.in-addr.arpa"),
    # malformed wire names
    "name-empty-label": wire("4.3..1.in-addr.arpa"),
    "name-no-root": wire("4.3.2.1.in-addr.arpa")[:-1],
    "name-after-root": wire("4.3.2.1.in-addr.arpa") + b"\0",
    "name-label-overrun": b"\x09" + wire("4.3.2.1.in-addr.arpa")[1:],
    "name-pointer": b"\x014\x013\x012\x011\xc0\x0c",
    "name-label-64": b"\x40" + b"1" * 64 + b"\0",
    "name-256-octets": b"".join(b"\x3f" + b"a" * 63 for _ in range(3)) + b"\x3e" + b"a" * 62 + b"\0",
    "name-lone-octet": b"\x01",
    "name-empty": b"",
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "revname")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(CASES.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("%d names written to %s" % (len(CASES), out))


if __name__ == "__main__":
    main()
