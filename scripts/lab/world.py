#!/usr/bin/python3
"""Generate the fcrscan lab: a DNS world of real servers and its expected results.

The world is a fake root ('.', 'arpa.'), TLD zones, reverse zones for the
documentation ranges and forward zones (example.net, example.com, lab-isp.net
on one server; example.org, example.co.uk and an RFC 2317 child zone on
another), plus two broken kinds of delegation: one to an address that never
answers ("dead": the lab drops everything sent to it) and one to an NSD that
is not authoritative for the delegated zone ("refuser": it answers REFUSED).

Every target address gets an expected fcrscan row. The rows are not written
by hand: each case declares its records and its intended verdict, and the
row is computed by resolving the case against the generated zone data with
the verdict rules of docs/output.md; a disagreement with the declared verdict is a
bug in this file and aborts generation. Name-class flags that need the
classifier (generic-name) are declared per case and sanity-checked here
against docs/classification.md rules S1/S2/S3; bare-domain is computed from the project's
pinned Public Suffix List (data/public_suffix_list.dat, ICANN section).

Usage:
  world.py gen [--world default|demo] [--seed N] --out DIR [--run-dir DIR]
  world.py table [--world default|demo] [--seed N]     (markdown, for the README)
  world.py summary EXPECTED.jsonl
Stdlib only; deterministic for a given (world, seed).
"""


import argparse
import ipaddress
import json
import os
import random
import re
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from worldlib import *  # noqa: E402,F401,F403  the machinery: World, Zone, constants, helpers

# ---------------------------------------------------------------------------
# Word material for names that are clearly not generic: letters only, no
# classifier keywords.

WORDS = """alder amber anvil apple aspen azure badger basil beacon birch bison bramble brook cedar
cherry cinder clover cobalt comet copper coral cormorant crane crocus daisy delta dune ember
falcon fennel fern finch fjord flint forge fox garnet ginger glacier granite grove harbor hazel
heron indigo iris ivy jade juniper kestrel lagoon larch lark laurel lemon lichen lilac linden
lotus lynx magnet maple marble meadow mesa mint mirror moss myrtle nectar nimbus oak olive onyx
opal orchid osprey otter owl pebble pepper pine plum poplar prism quartz quill raven reed ridge
robin rowan saffron sage salmon sequoia shale slate sorrel spruce starling stone sumac swallow
tamarind teal thistle thyme tulip tundra umber valley velvet violet walnut willow wren yarrow
zephyr zinnia""".split()
HOSTS = "mail smtp mx www web shop blog api cdn edge gateway portal relay vpn backup files".split()


# ---------------------------------------------------------------------------
# The default world: every verdict and flag at a documented address


def long_label(word, length):
    s = ("%s-" % word) * (length // (len(word) + 1) + 2)
    s = s[:length].strip("-")
    return s


def build_default(w):
    w.base()
    w.zone("2.0.192.in-addr.arpa.", "rev")
    w.zone("100.51.198.in-addr.arpa.", "rev")
    w.zone("113.0.203.in-addr.arpa.", "rev")
    w.zone("8.b.d.0.1.0.0.2.ip6.arpa.", "rev")
    w.zone("128/28.113.0.203.in-addr.arpa.", "cust")   # RFC 2317 child
    w.zone("example.net.", "fwd")
    w.zone("example.com.", "fwd")
    w.zone("lab-isp.net.", "fwd")
    w.zone("example.org.", "cust")
    w.zone("example.co.uk.", "cust")
    # Broken delegations (no zone file; the parent just points there).
    w.zone("1.19.198.in-addr.arpa.", "dead")
    w.zone("2.19.198.in-addr.arpa.", "refuser")
    w.zone(rev6_zone("2001:db8:dead::", 48), "dead")
    w.zone(rev6_zone("2001:db8:bad::", 48), "refuser")
    w.zone("broken-fwd.example.com.", "dead")
    w.zone("refused-fwd.example.com.", "refuser")

    for r in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
              "198.19.1.0/28", "198.19.2.0/28",
              "2001:db8:f00::/120", "2001:db8:dead::/124", "2001:db8:bad::/124"):
        w.target(r)

    E = w.expect
    n = "192.0.2."
    # --- plain verdicts ----------------------------------------------------
    w.ptr(n + "1", "mail.example.net."); w.a("mail.example.net.", n + "1")
    E(n + "1", "pass", "pass")
    w.local_data(rev_name(n + "2"), "PTR", "SMTP.EXAMPLE.NET."); w.a("smtp.example.net.", n + "2")
    E(n + "2", "pass", "pass-upper-case-ptr")
    w.ptr(n + "3", "www.example.org."); w.a("www.example.org.", n + "3")
    E(n + "3", "pass", "pass-other-server")
    w.a("rr.example.net.", n + "4", n + "5", n + "6")
    for i in (4, 5, 6):
        w.ptr(n + str(i), "rr.example.net.")
        E(n + str(i), "pass", "pass-round-robin-shared")
    w.ptr(n + "7", "rr.example.net.")
    E(n + "7", "mismatch", "mismatch-round-robin-without-target")
    w.local_data(rev_name(n + "8"), "PTR", "DUP.Example.NET.")
    w.local_data(rev_name(n + "8"), "PTR", "dup.example.net.")
    w.a("dup.example.net.", n + "8")
    E(n + "8", "pass", "pass-case-duplicate-ptr")
    w.ptr(n + "10", "old.example.net."); w.a("old.example.net.", "203.0.113.9")
    E(n + "10", "mismatch", "mismatch")
    w.ptr(n + "11", "moved.example.net."); w.a("moved.example.net.", "203.0.113.11", "203.0.113.12")
    E(n + "11", "mismatch", "mismatch-round-robin")
    w.ptr(n + "12", "gone.example.net.")
    E(n + "12", "dangling", "dangling-nxdomain")
    w.ptr(n + "13", "notes.example.net."); w.txt("notes.example.net.")
    E(n + "13", "dangling", "dangling-nodata-both")
    w.ptr(n + "14", "sixonly.example.net."); w.aaaa("sixonly.example.net.", "2001:db8:f00::e")
    E(n + "14", "mismatch", "mismatch-wrong-family")
    w.ptr(n + "15", "mail.nonexistent-domain.com.")
    E(n + "15", "dangling", "dangling-no-such-domain")
    # --- shared names --------------------------------------------------------
    pool = [n + str(i) for i in range(16, 32)]
    w.a("cluster.example.com.", *pool)
    for ip in pool:
        w.ptr(ip, "cluster.example.com.")
        E(ip, "pass", "pass-shared-name-28")
    web = [n + str(i) for i in range(32, 48)]
    w.a("web.example.com.", *web[:8])
    for i, ip in enumerate(web):
        w.ptr(ip, "web.example.com.")
        E(ip, "pass" if i < 8 else "mismatch",
          "pass-shared-name-partial-a" if i < 8 else "mismatch-shared-name-partial-a")
    # --- several names -------------------------------------------------------
    w.ptr(n + "50", "mail.example.org.", "legacy.example.org.")
    w.a("mail.example.org.", n + "50"); w.a("legacy.example.org.", "198.51.100.200")
    E(n + "50", "partial", "partial-mismatch")
    w.ptr(n + "51", "alpha.example.net.", "bravo.example.net.")
    w.a("alpha.example.net.", n + "51")
    E(n + "51", "partial", "partial-dangling")
    w.ptr(n + "52", "charlie.example.net.", "delta.example.com.")
    w.a("charlie.example.net.", n + "52"); w.a("delta.example.com.", n + "52")
    E(n + "52", "pass", "pass-multi-ptr")
    w.ptr(n + "53", "echo.example.net.", "foxtrot.example.net.")
    w.a("echo.example.net.", "203.0.113.53"); w.a("foxtrot.example.net.", "203.0.113.54")
    E(n + "53", "mismatch", "mismatch-multi-ptr")
    w.ptr(n + "54", "golf.example.net.", "hotel.example.net.")
    E(n + "54", "dangling", "dangling-multi-ptr")
    w.ptr(n + "55", "india.example.net.", "juliett.example.net.")
    w.a("india.example.net.", "203.0.113.55")
    E(n + "55", "mismatch", "mismatch-and-dangling")
    # --- forward CNAMEs ------------------------------------------------------
    w.ptr(n + "57", "alias.example.net."); w.cname("alias.example.net.", "target.example.net.")
    w.a("target.example.net.", n + "57")
    E(n + "57", "pass", "pass-forward-cname")
    w.ptr(n + "58", "www.example.com."); w.cname("www.example.com.", "edge.example.org.")
    w.a("edge.example.org.", n + "58")
    E(n + "58", "pass", "pass-forward-cname-cross-zone")
    w.ptr(n + "59", "broken-alias.example.net.")
    w.cname("broken-alias.example.net.", "missing.example.net.")
    E(n + "59", "dangling", "dangling-forward-cname-nxdomain")
    w.ptr(n + "60", "chain.example.net."); w.cname("chain.example.net.", "chain-two.example.com.")
    w.cname("chain-two.example.com.", "chain-three.example.org.")
    w.a("chain-three.example.org.", n + "60")
    E(n + "60", "pass", "pass-forward-cname-chain-3")
    w.ptr(n + "61", "stale-alias.example.net."); w.cname("stale-alias.example.net.", "old.example.net.")
    E(n + "61", "mismatch", "mismatch-forward-cname")
    # --- unusable and odd names ----------------------------------------------
    w.ptr(n + "77", "198.51.100.250.")
    E(n + "77", "unusable", "unusable-ip-literal")
    w.ptr(n + "78", "198.51.100.251.", "203.0.113.252.")
    E(n + "78", "unusable", "unusable-two-ip-literals")
    w.ptr(n + "79", "okay.example.net.", "203.0.113.251."); w.a("okay.example.net.", n + "79")
    E(n + "79", "partial", "partial-ip-literal")
    w.ptr(n + "82", "bad_name.example.net."); w.a("bad_name.example.net.", n + "82")
    E(n + "82", "pass", "pass-invalid-name-underscore")
    w.ptr(n + "83", "has\\032space.example.net."); w.a("has\\032space.example.net.", n + "83")
    E(n + "83", "pass", "pass-invalid-name-space")
    w.ptr(n + "84", "router."); w.a("router.", n + "84")
    E(n + "84", "pass", "pass-non-fqdn")
    w.ptr(n + "85", "gateway.")
    E(n + "85", "dangling", "dangling-non-fqdn")
    w.ptr(n + "86", "localhost.")
    E(n + "86", "mismatch", "mismatch-placeholder-localhost")
    w.ptr(n + "87", "printer.office.local.")
    E(n + "87", "dangling", "dangling-placeholder-local")
    w.ptr(n + "88", "example.com."); w.a("example.com.", n + "88")
    E(n + "88", "pass", "pass-bare-domain")
    w.ptr(n + "89", "example.co.uk."); w.a("example.co.uk.", n + "89")
    E(n + "89", "pass", "pass-bare-domain-co-uk")
    w.ptr(n + "90", "mail.example.co.uk."); w.a("mail.example.co.uk.", n + "90")
    E(n + "90", "pass", "pass-under-co-uk-not-bare")
    w.ptr(n + "91", "example.net."); w.a("example.net.", "203.0.113.80")
    E(n + "91", "mismatch", "mismatch-bare-domain")
    # --- generic names (docs/classification.md S1/S2) -------------------------------------
    w.ptr(n + "100", "c-192-0-2-100.client.lab-isp.net.")
    w.a("c-192-0-2-100.client.lab-isp.net.", n + "100")
    E(n + "100", "pass", "pass-generic-s1", generic=True)
    w.ptr(n + "101", "c0000265.dsl.lab-isp.net."); w.a("c0000265.dsl.lab-isp.net.", n + "101")
    E(n + "101", "pass", "pass-generic-s2", generic=True)
    w.ptr(n + "102", "c-192-0-2-102.client.lab-isp.net.")
    E(n + "102", "dangling", "dangling-generic", generic=True)
    w.ptr(n + "103", "c-192-0-2-103.client.lab-isp.net.")
    w.a("c-192-0-2-103.client.lab-isp.net.", "192.0.2.203")
    E(n + "103", "mismatch", "mismatch-generic", generic=True)
    # --- no PTR data -----------------------------------------------------------
    w.txt(rev_name(n + "110"), "reverse name with TXT only")
    E(n + "110", "ptr-nodata", "ptr-nodata-other-type")
    w.txt("sub." + rev_name(n + "111"), "below an empty non-terminal")
    E(n + "111", "ptr-nodata", "ptr-nodata-empty-non-terminal")
    # --- many names, large answers ---------------------------------------------
    big = ["%s.big.example.net." % long_label(wd, 55) for wd in WORDS[:20]]
    w.ptr(n + "120", *big)
    for b in big:
        w.a(b, n + "120")
    E(n + "120", "pass", "pass-over-limit-truncated", truncated=True)
    trunc = ["%s.%s.trunc.example.net." % (long_label(wd, 63), long_label(WORDS[-1 - i], 63))
             for i, wd in enumerate(WORDS[20:30])]
    w.ptr(n + "121", *trunc)
    for t in trunc:
        w.a(t, n + "121")
    E(n + "121", "pass", "pass-multi-ptr-truncated", truncated=True)
    many = ["%s.many.example.net." % wd for wd in WORDS[30:46]]
    w.ptr(n + "122", *many)
    for m in many:
        w.a(m, n + "122")
    E(n + "122", "pass", "pass-multi-ptr-16")
    more = ["%s.more.example.net." % wd for wd in WORDS[46:63]]
    w.ptr(n + "123", *more)
    for m in more:
        w.a(m, n + "123")
    E(n + "123", "pass", "pass-multi-ptr-17-over-limit")
    # --- temporary failures in the forward stage ---------------------------------
    w.ptr(n + "130", "fine.example.net.", "www.broken-fwd.example.com.")
    w.a("fine.example.net.", n + "130")
    E(n + "130", "pass", "pass-forward-temp-other-name")
    w.ptr(n + "131", "www.broken-fwd.example.com.")
    E(n + "131", "tempfail", "tempfail-forward-dead")
    w.ptr(n + "132", "www.refused-fwd.example.com.")
    E(n + "132", "tempfail", "tempfail-forward-refused")
    w.ptr(n + "133", "mail.broken-fwd.example.com.", "old.example.net.")
    E(n + "133", "tempfail", "tempfail-forward-and-mismatch")
    w.ptr(n + "134", "fine.example.net.", "mail.refused-fwd.example.com.")
    w.a("fine.example.net.", n + "134")
    E(n + "134", "pass", "pass-forward-refused-other-name")

    # --- 198.51.100.0/24: the generic pool and customers, seeded ----------------
    n = "198.51.100."
    w.ptr(n + "7", "c-198-51-100-7.client.lab-isp.net.")
    w.a("c-198-51-100-7.client.lab-isp.net.", n + "7")
    E(n + "7", "pass", "pass-generic-s1", generic=True)
    rng = w.rng
    for i in range(64, 128):
        ip = n + str(i)
        r = rng.random()
        if r < 0.1:
            continue                                    # no PTR
        name = "c-198-51-100-%d.client.lab-isp.net." % i
        w.ptr(ip, name)
        if r < 0.2:
            E(ip, "dangling", "pool-generic-dangling", generic=True)
        else:
            w.a(name, ip)
            E(ip, "pass", "pool-generic-pass", generic=True)
    used = set()
    for i in range(128, 192):
        ip = n + str(i)
        r = rng.random()
        if r < 0.15:
            continue
        while True:
            dom = "%s-%s" % (rng.choice(WORDS), rng.choice(WORDS))
            if dom not in used:
                used.add(dom)
                break
        name = "%s.%s.%s." % (rng.choice(HOSTS), dom, rng.choice(["example.com", "example.org"]))
        w.ptr(ip, name)
        if r < 0.25:
            w.a(name, n + str(rng.choice([j for j in range(192, 256)])))
            E(ip, "mismatch", "customer-mismatch")
        elif r < 0.30:
            E(ip, "dangling", "customer-dangling")
        else:
            w.a(name, ip)
            E(ip, "pass", "customer-pass")

    # --- 203.0.113.0/24: RFC 2317 classless delegation ------------------------
    n = "203.0.113."
    w.ptr(n + "10", "mx.example.com."); w.a("mx.example.com.", n + "10")
    E(n + "10", "pass", "pass")
    w.ptr(n + "80", "example.net.")
    E(n + "80", "pass", "pass-bare-domain")
    child = "128/28.113.0.203.in-addr.arpa."
    for i in range(128, 144):
        w.add(rev_name(n + str(i)), "CNAME", "%d.%s" % (i, child))
    w.add("129." + child, "PTR", "office.example.org."); w.a("office.example.org.", n + "129")
    E(n + "129", "pass", "pass-cname-reverse")
    w.add("130." + child, "PTR", "printer.example.org."); w.a("printer.example.org.", n + "99")
    E(n + "130", "mismatch", "mismatch-cname-reverse")
    w.add("131." + child, "PTR", "c-203-0-113-131.client.lab-isp.net.")
    w.a("c-203-0-113-131.client.lab-isp.net.", n + "131")
    E(n + "131", "pass", "pass-generic-cname-reverse", generic=True)
    w.txt("132." + child, "classless name without PTR")
    E(n + "132", "ptr-nodata", "ptr-nodata-cname-reverse")
    w.add("133." + child, "PTR", "lobby.example.org."); w.add("133." + child, "PTR", "desk.example.org.")
    w.a("lobby.example.org.", n + "133"); w.a("desk.example.org.", n + "133")
    E(n + "133", "pass", "pass-cname-reverse-multi-ptr")

    # --- reverse temporary failures ---------------------------------------------
    for i in range(16):
        E("198.19.1.%d" % i, "tempfail", "tempfail-reverse-dead")
        E("198.19.2.%d" % i, "tempfail", "tempfail-reverse-refused")
        E("2001:db8:dead::%x" % i, "tempfail", "tempfail-reverse-dead")
        E("2001:db8:bad::%x" % i, "tempfail", "tempfail-reverse-refused")

    # --- IPv6: 2001:db8:f00::/120 ------------------------------------------------
    p = "2001:db8:f00::"
    w.ptr(p + "1", "2001-db8-f00--1.example.net."); w.aaaa("2001-db8-f00--1.example.net.", p + "1")
    E(p + "1", "pass", "pass-generic-s3", generic=True)
    w.ptr(p + "2", "mail.example.net."); w.aaaa("mail.example.net.", p + "2")
    E(p + "2", "pass", "pass-dual-stack-name")
    w.ptr(p + "3", "fouronly.example.net."); w.a("fouronly.example.net.", "192.0.2.200")
    E(p + "3", "mismatch", "mismatch-wrong-family")
    w.ptr(p + "4", "vanished.example.net.")
    E(p + "4", "dangling", "dangling-nxdomain")
    w.ptr(p + "5", "elsewhere.example.net."); w.aaaa("elsewhere.example.net.", p + "99")
    E(p + "5", "mismatch", "mismatch")
    w.ptr(p + "6", "kilo.example.net.", "lima.example.net.")
    w.aaaa("kilo.example.net.", p + "6"); w.aaaa("lima.example.net.", p + "66")
    E(p + "6", "partial", "partial-mismatch")
    w.ptr(p + "7", "alias.example.org."); w.cname("alias.example.org.", "target.example.com.")
    w.aaaa("target.example.com.", p + "7")
    E(p + "7", "pass", "pass-forward-cname")
    w.txt(rev_name(p + "8"), "v6 reverse name with TXT only")
    E(p + "8", "ptr-nodata", "ptr-nodata-other-type")
    w.local_data(rev_name(p + "9"), "PTR", "UPPERSIX.Example.NET.")
    w.aaaa("uppersix.example.net.", p + "9")
    E(p + "9", "pass", "pass-upper-case-ptr")
    ring = [p + "%x" % i for i in range(0x10, 0x14)]
    w.aaaa("ring.example.net.", *ring)
    for ip in ring:
        w.ptr(ip, "ring.example.net.")
        E(ip, "pass", "pass-round-robin-shared")
    w.ptr(p + "14", "ring.example.net.")
    E(p + "14", "mismatch", "mismatch-round-robin-without-target")
    w.ptr(p + "20", "2001-db8-f00--20.example.net.")
    E(p + "20", "dangling", "dangling-generic-s3", generic=True)
    w.ptr(p + "21", "www.broken-fwd.example.com.")
    E(p + "21", "tempfail", "tempfail-forward-dead")
    w.ptr(p + "22", "mike.example.net.", "www.refused-fwd.example.com.")
    w.aaaa("mike.example.net.", p + "22")
    E(p + "22", "pass", "pass-forward-temp-other-name")
    w.ptr(p + "30", "example.org."); w.aaaa("example.org.", p + "30")
    E(p + "30", "pass", "pass-bare-domain")
    w.ptr(p + "31", "192.0.2.31.")
    E(p + "31", "unusable", "unusable-ip-literal")
    w.txt("sub." + rev_name(p + "40"), "below an empty non-terminal")
    E(p + "40", "ptr-nodata", "ptr-nodata-empty-non-terminal")
    for i in (0xa1, 0xa2, 0xa3):
        ip = p + "%x" % i
        name = "2001-db8-f00--%x.v6.lab-isp.net." % i
        w.ptr(ip, name); w.aaaa(name, ip)
        E(ip, "pass", "pass-generic-s3", generic=True)
    w.ptr(p + "b0", "november.example.net.")
    w.aaaa("november.example.net.", p + "b0"); w.a("november.example.net.", "192.0.2.1")
    E(p + "b0", "pass", "pass-dual-stack-name")

    # --- hooks outside the targets (no expected rows) ------------------------
    by_hand(w)
    # A wildcard in ip6.arpa for the future IPv6 walk tests: 2001:db8:cafe::/48.
    wz = rev6_zone("2001:db8:cafe::", 48)
    w.zone(wz, "rev")
    w.add("*." + wz, "PTR", "wildcard.example.net.")
    w.notes.append("2001:db8:cafe::/48 has a wildcard PTR (*.%s) -> wildcard.example.net; not in targets" % wz)
    w.finish()


# Records whose expected rows are written by hand in tests/lab/by-hand.jsonl,
# not computed here: these names exercise rules this file would otherwise
# restate from the scanner's own lists (provider patterns, keywords, the
# Public Suffix List's sections, placeholders). 198.19.200.0/28 is outside
# the world's targets; the lab scans it separately.
BY_HAND_NET = "198.19.200.0/28"


def by_hand(w):
    w.zone("200.19.198.in-addr.arpa.", "rev")
    w.zone("amazonaws.com.", "fwd")
    w.zone("contaboserver.net.", "fwd")
    w.zone("virginm.net.", "fwd")
    w.zone("blogspot.com.", "fwd")
    w.zone("lab-hand.co.uk.", "cust")
    n = "198.19.200."
    named = {
        1: "ec2-203-0-113-10.compute-1.amazonaws.com.",     # S4 only (octets of another address)
        2: "ec2-198-19-200-2.compute-1.amazonaws.com.",     # S1 and S4
        3: "vmi123456.contaboserver.net.",                  # S4 only
        4: "shop.contaboserver.net.",                       # the provider's domain, not its pattern
        5: "cpc35-sutt4-2-0-cust110.xx-x.cable.virginm.net.",   # S5: cust + cable
        6: "dialup-pool.example.org.",                      # S5 alone, no digits
        7: "pool-party.example.org.",                       # one keyword: not generic
        10: "lab-hand.co.uk.",                              # bare under a two-label suffix
        11: "www.lab-hand.co.uk.",
        12: "myblog.blogspot.com.",                         # private-section suffix: not bare
    }
    for i, name in named.items():
        w.ptr(n + str(i), name)
        w.a(name, n + str(i))
    w.ptr(n + "8", "nas.office.internal.")                  # placeholder, no such name
    w.ptr(n + "9", "192.0.2.9.")                            # an IP literal
    # 198.19.200.13 has no PTR: NXDOMAIN.


def rev6_zone(prefix, plen):
    nib = ipaddress.ip_address(prefix).exploded.replace(":", "")[: plen // 4]
    return ".".join(reversed(nib)) + ".ip6.arpa."


# ---------------------------------------------------------------------------
# The demo world: a provider pool of realistic mix


def build_demo(w):
    w.base()
    w.zone("18.198.in-addr.arpa.", "rev")
    w.zone("8.b.d.0.1.0.0.2.ip6.arpa.", "rev")
    w.zone("example.net.", "fwd")
    w.zone("example.com.", "fwd")
    w.zone("lab-isp.net.", "fwd")
    w.zone("example.org.", "cust")
    w.zone("example.co.uk.", "cust")
    w.target("198.18.0.0/21")
    w.target("2001:db8:100::/118")
    rng = w.rng
    E = w.expect
    used = set()
    parents = ["example.com", "example.net", "example.org", "example.co.uk"]

    def custom_name():
        while True:
            dom = "%s-%s" % (rng.choice(WORDS), rng.choice(WORDS))
            if dom not in used:
                used.add(dom)
                return "%s.%s.%s." % (rng.choice(HOSTS), dom, rng.choice(parents))

    v4 = list(ipaddress.ip_network("198.18.0.0/21"))
    v6 = list(ipaddress.ip_network("2001:db8:100::/118"))
    bare = []

    def elsewhere(ip, others):
        while True:
            o = str(rng.choice(others))
            if o != ip:
                return o

    def customer(ip, others, rr):
        r = rng.random()
        ip = str(ip)
        fam = w.a if ipaddress.ip_address(ip).version == 4 else w.aaaa
        if r < rr["mismatch"]:
            name = custom_name(); w.ptr(ip, name); fam(name, elsewhere(ip, others))
            E(ip, "mismatch", "demo-customer-mismatch")
        elif r < rr["mismatch"] + rr["dangling"]:
            name = custom_name(); w.ptr(ip, name)
            E(ip, "dangling", "demo-customer-dangling")
        elif r < rr["mismatch"] + rr["dangling"] + rr["partial"]:
            name, old = custom_name(), custom_name()
            w.ptr(ip, name, old); fam(name, ip); fam(old, elsewhere(ip, others))
            E(ip, "partial", "demo-customer-partial")
        elif r < rr["mismatch"] + rr["dangling"] + rr["partial"] + rr["bare"]:
            dom = parents[len(bare) % len(parents)] + "."
            bare.append(ip)
            w.ptr(ip, dom); fam(dom, ip)
            E(ip, "pass", "demo-bare-domain")
        else:
            name = custom_name(); w.ptr(ip, name); fam(name, ip)
            E(ip, "pass", "demo-customer-pass")

    def generic(ip, label, dangling_p):
        ip = str(ip)
        v = ipaddress.ip_address(ip)
        if v.version == 4:
            name = "ip-%s.%s.lab-isp.net." % (ip.replace(".", "-"), label)
            fam = w.a
        else:
            name = "%s.%s.lab-isp.net." % (ip.replace(":", "-"), label)
            fam = w.aaaa
        w.ptr(ip, name)
        if rng.random() < dangling_p:
            E(ip, "dangling", "demo-generic-dangling", generic=True)
        else:
            fam(name, ip)
            E(ip, "pass", "demo-generic-pass", generic=True)

    rates = {"mismatch": 0.08, "dangling": 0.04, "partial": 0.02, "bare": 0.01}
    for ip in v4:
        o = ip.packed
        third, last = o[2], o[3]
        if last in (0, 255):
            continue
        r = rng.random()
        if third == 0:                                   # business customers
            if r < 0.12:
                continue
            customer(ip, v4, rates)
        elif third in (1, 2, 3):                         # dynamic pool
            if r < 0.08:
                continue
            generic(ip, "dyn", 0.04)
        elif third in (4, 5):                            # hosting: mixed
            if r < 0.15:
                continue
            if r < 0.45:
                generic(ip, "static", 0.02)
            else:
                customer(ip, v4, rates)
        else:                                            # mostly unassigned
            if r < 0.85:
                continue
            generic(ip, "dyn", 0.10)
    for ip in v6:
        idx = int(ip) & 0x3ff
        if idx == 0:
            continue
        r = rng.random()
        if idx < 0x100:                                  # hosting /120
            if r < 0.25:
                continue
            if r < 0.45:
                generic(ip, "v6", 0.03)
            else:
                customer(ip, v6, rates)
        else:                                            # sparse
            if r < 0.9:
                continue
            generic(ip, "v6", 0.05)
    w.finish()


# ---------------------------------------------------------------------------


def cmd_gen(args):
    w = World(args.world, args.seed)
    {"default": build_default, "demo": build_demo}[args.world](w)
    out = os.path.abspath(args.out)
    run_dir = os.path.abspath(args.run_dir or os.path.dirname(out))
    os.makedirs(out, exist_ok=True)
    rows = w.write(out, run_dir, args.resolver, args.allow)
    with open(os.path.join(out, "world.json"), "w") as f:
        json.dump({"world": args.world, "seed": args.seed, "rows": len(rows),
                   "targets": [str(t) for t in w.targets],
                   "servers": {k: {"ns": v[0].rstrip("."), "addr": v[1], "kind": v[2]}
                               for k, v in SERVERS.items()},
                   "direct": {k: {"addr": v[0], "rrl": bool(v[1])} for k, v in DIRECT.items()},
                   "resolvers": args.resolver, "max_ptr": MAX_PTR, "edns": EDNS_SIZE,
                   "notes": w.notes}, f, indent=1)
        f.write("\n")
    s = summarize(rows)
    print("world %s seed %d: %d rows, %d zones; verdicts %s"
          % (args.world, args.seed, len(rows), len(w.zones),
             " ".join("%s=%d" % kv for kv in sorted(s["verdicts"].items()))))
    return 0


SEEDED_CASES = ("pool-", "customer-", "demo-")


def cmd_table(args):
    """Markdown table of the declared cases, consecutive addresses merged."""
    w = World(args.world, args.seed)
    {"default": build_default, "demo": build_demo}[args.world](w)
    rows = w.expected_rows()
    print("| addresses | case | verdict | flags | ptr (first) |")
    print("|---|---|---|---|---|")
    groups = []
    for r in rows:
        key = (r.get("case"), r["verdict"], tuple(r["flags"]))
        if r.get("case", "").startswith("no-ptr-filler"):
            continue
        if args.fixed and r.get("case", "").startswith(SEEDED_CASES):
            continue
        ip = ipaddress.ip_address(r["ip"])
        if groups and groups[-1][0] == key and int(ip) == int(groups[-1][2]) + 1 and not args.all:
            groups[-1][2] = ip
            groups[-1][3] += 1
        else:
            groups.append([key, ip, ip, 1, r["ptr"][:1]])
    for key, first, last, count, ptr in groups:
        f = str(first) + ("0" if str(first).endswith("::") else "")
        tail = str(last).split(".")[-1] if first.version == 4 else str(last).split(":")[-1]
        addr = f if count == 1 else "%s-%s (%d)" % (f, tail, count)
        p = (ptr[0][:40] + ("…" if len(ptr[0]) > 40 else "")) if ptr else ""
        print("| %s | %s | %s | %s | %s |" % (addr, key[0], key[1], " ".join(key[2]), p))
    return 0


def cmd_summary(args):
    rows = [json.loads(l) for l in open(args.expected) if l.strip()]
    json.dump(summarize(rows), sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen", help="write zones, server configs, expected.jsonl, targets.txt")
    g.add_argument("--world", choices=["default", "demo"], default="default")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--out", required=True)
    g.add_argument("--run-dir", help="where daemons keep pid/log files (default: parent of --out)")
    g.add_argument("--resolver", action="append", default=None,
                   help="resolver listen address (repeatable; default 10.53.0.2 and fd53::2)")
    g.add_argument("--allow", action="append", default=None,
                   help="resolver access-control prefix (repeatable; default 10.53.0.0/16, fd53::/16)")
    t = sub.add_parser("table", help="markdown table of the declared cases (for the README)")
    t.add_argument("--world", choices=["default", "demo"], default="default")
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--all", action="store_true", help="one line per address")
    t.add_argument("--fixed", action="store_true", help="omit the seeded pools")
    s = sub.add_parser("summary", help="count verdicts/flags/cases of an expected file")
    s.add_argument("expected")
    args = ap.parse_args()
    if args.cmd == "gen":
        args.resolver = args.resolver or ["10.53.0.2", "fd53::2"]
        args.allow = args.allow or ["10.53.0.0/16", "fd53::/16"]
        return cmd_gen(args)
    if args.cmd == "table":
        return cmd_table(args)
    return cmd_summary(args)


if __name__ == "__main__":
    sys.exit(main())
