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

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PSL_FILE = os.path.join(REPO, "data", "public_suffix_list.dat")

MAX_PTR = 16            # fcrscan --max-ptr default
EDNS_SIZE = 1232        # fcrscan's and Unbound's EDNS UDP size
TC_MARGIN = 120         # estimated sizes must be this far from EDNS_SIZE
TTL = 3600
NEG_TTL = 300

# Infrastructure. The resolver side (10.53.0.0/24, fd53::/64) is the lab
# script's business; it passes the resolver addresses in. The authoritative
# servers live in 10.53.1.0/24 in the auth namespace.
SERVERS = {
    # name: (NS host name, IPv4 address, kind)
    "root": ("a.root-servers.net.", "10.53.1.10", "nsd"),
    "tld": ("a.gtld-servers.net.", "10.53.1.11", "nsd"),
    "rev": ("ns1.rev.lab-servers.net.", "10.53.1.12", "nsd"),
    "fwd": ("ns1.fwd.lab-servers.net.", "10.53.1.13", "nsd"),
    "cust": ("ns1.customer.lab-servers.net.", "10.53.1.14", "nsd"),
    "refuser": ("ns1.refuser.lab-servers.net.", "10.53.1.98", "refuser"),
    "dead": ("ns1.dead.lab-servers.net.", "10.53.1.99", "dead"),
}

# Kinds: "nsd" serves its zones; "refuser" is an NSD with no zones at all (it
# answers REFUSED to everything); "dead" has an address but no daemon, and the
# lab drops every packet sent to it.

# NSD instances that serve every zone of the world at once, for scans that
# ask an authoritative server directly (fcrscan -r ADDR, no resolver): one
# plain, one with response rate limiting (RRL: per /24 of clients, over-limit
# answers dropped and every 2nd sent back empty with TC=1, TESTING.md L02).
# Nothing delegates to them; servers.tsv lists them with kind "direct".
DIRECT = {
    # name: (IPv4 address, extra 'server:' lines)
    "all": ("10.53.1.15", []),
    "rrl": ("10.53.1.16", ["rrl-ratelimit: 20", "rrl-whitelist-ratelimit: 20", "rrl-slip: 2",
                           "rrl-ipv4-prefix-length: 24", "rrl-size: 100000"]),
}

# Unbound's built-in local zones that cover lab data (AS112/documentation
# ranges); each gets 'local-zone: ... nodefault' when the world uses it.
UNBOUND_DEFAULT_ZONES = [
    "10.in-addr.arpa.", "2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.",
    "113.0.203.in-addr.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa.", "d.f.ip6.arpa.",
]

REASONS_DEAD = ["servfail", "timeout"]   # resolver timing decides
REASONS_REFUSED = ["servfail"]           # Unbound turns REFUSED into SERVFAIL
# ptr_rcode of a reverse tempfail: the rcode of the last PTR reply, or
# TIMEOUT when none came (the same timing as the reasons above).
RCODES_DEAD = ["SERVFAIL", "TIMEOUT"]
RCODES_REFUSED = ["SERVFAIL"]

# Tokens that feed docs/classification.md S5/W2/W4; non-generic names in this world avoid
# all of them (and digits), so no classifier rule can fire on them.
KEYWORDS = set("""dynamic dyn pool dsl adsl vdsl xdsl dhcp dial dialup dialin ppp pppoe cable
modem broadband cust customer client clients residential res user users home nat cpe ftth
fttx fiber fibre wireless wifi lte mobile ip ipv host hosts static server servers vps node rev
ptr reverse unassigned generic gprs ded dedicated colo hosted cloud instance vm bb dip pc
""".split())


# ---------------------------------------------------------------------------
# Names


def norm(name):
    """Lower-case absolute form used as a lookup key."""
    name = name.lower()
    return name if name.endswith(".") else name + "."


def present(name):
    """fcrscan's output form: lower case, no final dot (root stays '.')."""
    name = name.lower()
    return name[:-1] if len(name) > 1 and name.endswith(".") else name


def labels(name):
    """Labels of a presentation name without escaped dots (none used here)."""
    n = name.rstrip(".")
    return n.split(".") if n else []


def rev_name(ip):
    return ipaddress.ip_address(ip).reverse_pointer + "."


def is_ip_literal(name):
    """docs/output.md: dotted quad, contains ':', or all numeric."""
    n = name.rstrip(".")
    if ":" in n:
        return True
    if re.fullmatch(r"[0-9.]+", n or "x"):
        return True
    return False


def is_ldh(name):
    n = name.rstrip(".")
    if len(n) > 253:
        return False
    for lab in n.split("."):
        if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", lab):
            return False
    return True


PLACEHOLDER_SUFFIXES = ["local", "localdomain", "lan", "home", "internal", "invalid"]


def is_placeholder(name):
    n = name.lower().rstrip(".")
    if n == "localhost" or n.endswith(".localhost"):
        return True
    if n.endswith(".in-addr.arpa") or n.endswith(".ip6.arpa"):
        return True
    return any(n.endswith("." + s) for s in PLACEHOLDER_SUFFIXES)


class PSL:
    """ICANN section of the pinned Public Suffix List (exceptions, wildcards)."""

    def __init__(self, path):
        self.rules, self.wild, self.exc = set(), set(), set()
        icann = False
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if "===BEGIN ICANN DOMAINS===" in line:
                    icann = True
                elif "===END ICANN DOMAINS===" in line:
                    icann = False
                elif icann and line and not line.startswith("//"):
                    rule = line.split()[0].lower()
                    if rule.startswith("!"):
                        self.exc.add(rule[1:])
                    elif rule.startswith("*."):
                        self.wild.add(rule[2:])
                    else:
                        self.rules.add(rule)

    def suffix_len(self, labs):
        """Number of labels of the public suffix of a label list."""
        best = 1                       # an unlisted TLD is a one-label suffix
        for i in range(len(labs)):
            cand = ".".join(labs[i:])
            n = len(labs) - i
            if cand in self.exc:
                return n - 1
            if cand in self.rules:
                best = max(best, n)
            if i + 1 < len(labs) and ".".join(labs[i + 1:]) in self.wild:
                best = max(best, n)
        return best

    def is_bare(self, name):
        labs = [x.lower() for x in labels(name)]
        return len(labs) == self.suffix_len(labs) + 1

    def search_part(self, name):
        labs = [x.lower() for x in labels(name)]
        return ".".join(labs[: len(labs) - self.suffix_len(labs)])


def generic_strong(name, ip, psl):
    """True if docs/classification.md S1, S1c, S2 or S3 holds (the rules this world uses)."""
    addr = ipaddress.ip_address(ip)
    search = psl.search_part(name)
    if addr.version == 4:
        octets = [int(x) for x in ip.split(".")]
        runs = [int(x) for x in re.findall(r"[0-9]+", search)]
        if all(o in runs for o in octets):
            return True
        cat = "".join("%03d" % o for o in octets)
        rcat = "".join("%03d" % o for o in reversed(octets))
        if cat in search or rcat in search:
            return True
        hexs = ["%02x" % o for o in octets]
        for sep in ("", "-", ".", "_"):
            if sep.join(hexs) in search:
                return True
        return False
    form = str(addr).replace(":", "-")
    return form in name.lower()


def looks_nongeneric(name, psl):
    """No digits and no classifier keyword outside the public suffix."""
    search = re.sub(r"\\[0-9]{3}", "-", psl.search_part(name))
    if re.search(r"[0-9]", search):
        return False
    toks = [t for t in re.split(r"[.\-_]", search) if t]
    return not any(t in KEYWORDS for t in toks)


def wire_len(name):
    return sum(len(lab) + 1 for lab in labels(name)) + 1


def est_ptr_reply(qname, chain, ptrs):
    """Approximate size of the resolver's reply with name compression."""
    seen = set()

    def enc(n, seen):
        labs = labels(n.lower())
        size = 0
        for i in range(len(labs)):
            suf = ".".join(labs[i:])
            if suf in seen:
                return size + 2
            seen.add(suf)
            size += len(labs[i]) + 1
        return size + 1

    size = 12 + enc(qname, seen) + 4 + 11          # header, question, OPT
    for cn in chain:                                # CNAME RRs
        size += 2 + 10 + enc(cn, seen)
    for p in ptrs:
        size += 2 + 10 + enc(p, seen)
    return size


# ---------------------------------------------------------------------------
# The world


class Zone:
    def __init__(self, origin, server):
        self.origin = norm(origin)
        self.server = server
        self.recs = []              # (owner_key, owner_text, rtype, rdata)
        self.owners = {}            # owner_key -> list of (rtype, rdata)
        self.ents = set()

    def add(self, owner, rtype, rdata):
        key = norm(owner)
        self.recs.append((key, owner, rtype, rdata))
        self.owners.setdefault(key, []).append((rtype, rdata))
        labs = labels(key)
        olabs = len(labels(self.origin))
        for i in range(1, len(labs) - olabs):
            self.ents.add(".".join(labs[i:]) + ".")


class Case:
    def __init__(self, ip, verdict, case, generic=False, truncated=False, reasons=None):
        self.ip, self.verdict, self.case = ip, verdict, case
        self.generic, self.truncated, self.reasons = generic, truncated, reasons


class World:
    def __init__(self, kind, seed):
        self.kind, self.seed = kind, seed
        self.rng = random.Random("%s:%d" % (kind, seed))
        self.zones = {}
        self.targets = []
        self.cases = {}
        self.psl = PSL(PSL_FILE)
        self.notes = []
        # Records the resolver itself serves (Unbound local-data): NSD and
        # Knot lower-case names in RDATA when they load a zone, Unbound's
        # local-data keeps the case, so upper-case PTR answers come from here.
        self.local = {}             # owner_key -> list of (owner_text, rtype, rdata)

    # -- zones and records ------------------------------------------------
    def zone(self, origin, server):
        z = Zone(origin, server)
        assert z.origin not in self.zones, origin
        self.zones[z.origin] = z
        return z

    def zone_for(self, name):
        labs = labels(norm(name))
        for i in range(len(labs) + 1):
            cand = ".".join(labs[i:]) + "." if i < len(labs) else "."
            if cand in self.zones:
                return self.zones[cand]
        raise KeyError(name)

    def add(self, owner, rtype, rdata):
        z = self.zone_for(owner)
        if SERVERS[z.server][2] != "nsd":
            raise ValueError("record %s in broken zone %s" % (owner, z.origin))
        z.add(owner, rtype, rdata)

    def local_data(self, owner, rtype, rdata):
        self.local.setdefault(norm(owner), []).append((owner, rtype, rdata))

    def ptr(self, ip, *names):
        for n in names:
            self.add(rev_name(ip), "PTR", n)

    def a(self, name, *ips):
        for ip in ips:
            self.add(name, "A", str(ip))

    def aaaa(self, name, *ips):
        for ip in ips:
            self.add(name, "AAAA", str(ip))

    def cname(self, name, target):
        self.add(name, "CNAME", target)

    def txt(self, name, text="no address here"):
        self.add(name, "TXT", '"%s"' % text)

    def expect(self, ip, verdict, case, **kw):
        ip = str(ipaddress.ip_address(ip))
        assert ip not in self.cases, ip
        self.cases[ip] = Case(ip, verdict, case, **kw)

    def target(self, cidr):
        self.targets.append(ipaddress.ip_network(cidr))

    # -- infrastructure ----------------------------------------------------
    def base(self):
        self.zone(".", "root")
        self.zone("arpa.", "root")
        for tld in ("in-addr.arpa.", "ip6.arpa.", "net.", "com.", "org.", "uk."):
            self.zone(tld, "tld")

    def finish(self):
        """SOA/NS at every apex, delegations and glue in parents, NS addresses."""
        for origin, z in sorted(self.zones.items(), key=lambda kv: len(kv[0])):
            ns = SERVERS[z.server][0]
            if SERVERS[z.server][2] == "nsd":      # served: SOA and NS at the apex
                z.recs.insert(0, (origin, origin, "SOA",
                                  "%s hostmaster.lab-servers.net. 1 3600 600 86400 %d" % (ns, NEG_TTL)))
                z.recs.insert(1, (origin, origin, "NS", ns))
                z.owners.setdefault(origin, []).extend([("SOA", ""), ("NS", ns)])
            if origin == ".":
                continue
            parent = self.zone_for(".".join(labels(origin)[1:]) + "." if len(labels(origin)) > 1 else ".")
            parent.add(origin, "NS", ns)
            if norm(ns).endswith("." + origin):
                parent.add(ns, "A", SERVERS[z.server][1])       # glue
        self.zones["."].add(SERVERS["root"][0], "A", SERVERS["root"][1])   # glue for the apex
        for name, (ns, addr, _) in sorted(SERVERS.items()):
            self.zones["net."].add(ns, "A", addr)

    # -- resolution over the zone data (what Unbound will find) -------------
    def lookup(self, qname, qtype):
        """-> (outcome, rdatas, cname_chain, reasons); outcome ANSWER/NODATA/NXDOMAIN/TEMP."""
        name = norm(qname)
        chain = []
        for _ in range(9):
            if name == "localhost.":              # Unbound's built-in local zone
                data = {"A": ["127.0.0.1"], "AAAA": ["::1"]}.get(qtype, [])
                return ("ANSWER" if data else "NODATA", data, chain, None)
            # Unbound local-data makes a transparent local zone of its owner:
            # the types it has are answered locally, others are resolved.
            local = [d for _, t, d in self.local.get(name, []) if t == qtype]
            if local:
                return ("ANSWER", local, chain, None)
            z = self.zone_for(name)
            kind = SERVERS[z.server][2]
            if kind == "dead":
                return ("TEMP", [], chain, REASONS_DEAD)
            if kind == "refuser":
                return ("TEMP", [], chain, REASONS_REFUSED)
            rrs = z.owners.get(name)
            if rrs:
                cn = [d for t, d in rrs if t == "CNAME"]
                if cn:
                    chain.append(cn[0])
                    name = norm(cn[0])
                    continue
                data = [d for t, d in rrs if t == qtype]
                return ("ANSWER" if data else "NODATA", data, chain, None)
            if name in z.ents:
                return ("NODATA", [], chain, None)
            return ("NXDOMAIN", [], chain, None)
        raise ValueError("CNAME loop at %s" % qname)

    def evaluate(self, ip):
        """The expected fcrscan row for one target, per docs/output.md."""
        addr = ipaddress.ip_address(ip)
        fam, other = ("A", "AAAA") if addr.version == 4 else ("AAAA", "A")
        row = {"ip": str(addr)}
        flags = set()
        qname = rev_name(ip)
        out, data, chain, reasons = self.lookup(qname, "PTR")
        if chain:
            flags.add("cname-reverse")
        extra = {}
        # RFC 6604: after a CNAME the rcode is that of the last name.
        extra["ptr_rcodes"] = {"ANSWER": ["NOERROR"], "NODATA": ["NOERROR"],
                               "NXDOMAIN": ["NXDOMAIN"]}.get(out)
        if out == "TEMP":
            row.update(verdict="tempfail", stage="reverse")
            extra["reasons"] = reasons
            extra["ptr_rcodes"] = RCODES_DEAD if reasons == REASONS_DEAD else RCODES_REFUSED
            return row, flags, [], [], extra
        if out == "NXDOMAIN":
            row["verdict"] = "no-ptr"
            return row, flags, [], [], extra
        if out == "NODATA":
            row["verdict"] = "ptr-nodata"
            return row, flags, [], [], extra
        ptrs = []
        for d in data:
            if present(d) not in ptrs:
                ptrs.append(present(d))
        extra["size"] = est_ptr_reply(qname, chain, data)
        if len(ptrs) > 1:
            flags.add("multi-ptr")
        if len(ptrs) > MAX_PTR:
            flags.add("multi-ptr-over-limit")
            extra["max_evaluated"] = MAX_PTR
        names = []
        for p in ptrs:
            raw = p + "." if p != "." else p
            if not is_ldh(raw) and not is_ip_literal(raw):
                flags.add("invalid-name")
            if is_placeholder(raw):
                flags.add("placeholder-name")
            if len(labels(raw)) == 1 and not is_ip_literal(raw):
                flags.add("non-fqdn")
            if is_ip_literal(raw) or p == ".":
                if p != ".":
                    flags.add("ip-literal")
                names.append({"name": p, "status": "unusable", "addrs": []})
                continue
            if self.psl.is_bare(raw):
                flags.add("bare-domain")
            o, d, ch, rs = self.lookup(raw, fam)
            if ch:
                flags.add("forward-cname")
            if o == "ANSWER":
                addrs = sorted({str(ipaddress.ip_address(x)) for x in d}, key=ipsort)
                st = "confirmed" if str(addr) in addrs else "mismatch"
                names.append({"name": p, "status": st, "addrs": addrs})
            elif o == "NODATA":
                o2, d2, _, _ = self.lookup(raw, other)
                if o2 == "ANSWER":
                    flags.add("wrong-family")
                    addrs = sorted({str(ipaddress.ip_address(x)) for x in d2}, key=ipsort)
                    names.append({"name": p, "status": "mismatch", "addrs": addrs})
                else:
                    names.append({"name": p, "status": "dangling", "addrs": []})
            elif o == "NXDOMAIN":
                names.append({"name": p, "status": "dangling", "addrs": []})
            else:
                names.append({"name": p, "status": "tempfail", "addrs": [], "reason_any": rs})
        ev = names[:MAX_PTR]
        sts = [n["status"] for n in ev]
        conf = sts.count("confirmed")
        if all(s == "unusable" for s in sts):
            v = "unusable"
        elif conf and all(s in ("confirmed", "tempfail") for s in sts):
            v = "pass"
            if "tempfail" in sts:
                flags.add("forward-temp-other-name")
        elif conf:
            v = "partial"
        elif "tempfail" in sts:
            v = "tempfail"
            row["stage"] = "forward"
            temps = [n["reason_any"] for n in ev if n["status"] == "tempfail"]
            extra["reasons"] = sorted({r for t in temps for r in t})
        elif "mismatch" in sts:
            v = "mismatch"
        else:
            v = "dangling"
        row["verdict"] = v
        if len(names) > MAX_PTR and len({n["status"] for n in names}) > 1:
            # Which names are evaluated depends on the resolver's RRset order
            # (Unbound rotates); keep over-limit rows order-independent.
            raise ValueError("%s: over-limit names must share one status" % ip)
        return row, flags, ptrs, names, extra

    def expected_rows(self):
        rows = []
        seen_ips = set()
        for net in self.targets:
            for addr in net:
                ip = str(addr)
                assert ip not in seen_ips, ip
                seen_ips.add(ip)
                row, flags, ptrs, names, extra = self.evaluate(ip)
                c = self.cases.get(ip)
                if c is None and ptrs:
                    raise ValueError("%s has PTR data but no declared case" % ip)
                if c is not None:
                    if c.verdict != row["verdict"]:
                        raise ValueError("%s (%s): declared %s, world gives %s"
                                         % (ip, c.case, c.verdict, row["verdict"]))
                    self.check_class(ip, c, ptrs, names)
                    if c.generic:
                        flags.add("generic-name")
                    size = extra.get("size", 0)
                    if c.truncated:
                        if size < EDNS_SIZE + TC_MARGIN:
                            raise ValueError("%s: truncated case only ~%d bytes" % (ip, size))
                        flags.add("truncated")
                    elif size > EDNS_SIZE - TC_MARGIN:
                        raise ValueError("%s: ~%d bytes is near/over %d" % (ip, size, EDNS_SIZE))
                    row["case"] = c.case
                if row["verdict"] == "tempfail":
                    reasons = (c.reasons if c is not None and c.reasons else extra["reasons"])
                    if len(reasons) == 1:
                        row["reason"] = reasons[0]
                    else:
                        row["reason_any"] = list(reasons)
                if len(extra["ptr_rcodes"]) == 1:
                    row["ptr_rcode"] = extra["ptr_rcodes"][0]
                else:
                    row["ptr_rcode_any"] = list(extra["ptr_rcodes"])
                row["flags"] = sorted(flags)
                row["ptr"] = sorted(ptrs)
                row["names"] = sorted(names, key=lambda n: n["name"])
                if "max_evaluated" in extra:
                    row["max_evaluated"] = extra["max_evaluated"]
                if c is None:
                    row["case"] = "no-ptr-filler" if not flags else "no-ptr-" + "-".join(sorted(flags))
                rows.append(row)
        missing = set(self.cases) - seen_ips
        if missing:
            raise ValueError("cases outside the targets: %s" % sorted(missing)[:5])
        return rows

    def check_class(self, ip, c, ptrs, names):
        usable = [n["name"] for n in names if n["status"] != "unusable"]
        if c.generic:
            if not any(generic_strong(p + ".", ip, self.psl) for p in usable):
                raise ValueError("%s: declared generic but no S1/S2/S3 match in %s" % (ip, ptrs))
        for p in usable:
            if generic_strong(p + ".", ip, self.psl):
                if not c.generic:
                    raise ValueError("%s: %s is generic but not declared" % (ip, p))
            elif not looks_nongeneric(p + ".", self.psl):
                raise ValueError("%s: %s is neither clearly generic nor clearly not" % (ip, p))

    # -- output -------------------------------------------------------------
    def zone_filename(self, origin):
        if origin == ".":
            return "root.zone"
        return origin.rstrip(".").replace("/", "-") + ".zone"

    def write(self, out, run_dir, resolvers, allow):
        zdir = os.path.join(out, "zones")
        os.makedirs(zdir, exist_ok=True)
        for origin, z in self.zones.items():
            if SERVERS[z.server][2] != "nsd":
                continue
            with open(os.path.join(zdir, self.zone_filename(origin)), "w") as f:
                f.write("; generated by scripts/lab/world.py (world %s, seed %d)\n"
                        % (self.kind, self.seed))
                f.write("$TTL %d\n" % TTL)
                for _, owner, rtype, rdata in z.recs:
                    f.write("%s\t%d\tIN\t%s\t%s\n" % (owner, TTL, rtype, rdata))
        served = {}
        for origin, z in self.zones.items():
            served.setdefault(z.server, []).append(origin)
        with open(os.path.join(out, "servers.tsv"), "w") as f:
            f.write("# name\taddress\tkind\tns-name\tzones\n")
            for name, (ns, addr, kind) in SERVERS.items():
                f.write("%s\t%s\t%s\t%s\t%s\n" % (name, addr, kind, ns.rstrip("."),
                                                  " ".join(sorted(served.get(name, []))) or "-"))
            for name, (addr, _) in DIRECT.items():
                f.write("%s\t%s\tdirect\t-\t*\n" % (name, addr))
        for name, (ns, addr, kind) in SERVERS.items():
            if kind == "dead":
                continue
            # The refuser is authoritative for nothing: REFUSED for every query.
            zones = sorted(served.get(name, [])) if kind == "nsd" else []
            with open(os.path.join(out, "nsd-%s.conf" % name), "w") as f:
                f.write(nsd_conf(name, addr, zones, run_dir, zdir, self))
        every = sorted(o for o, z in self.zones.items() if SERVERS[z.server][2] == "nsd")
        for name, (addr, extra) in DIRECT.items():
            with open(os.path.join(out, "nsd-%s.conf" % name), "w") as f:
                f.write(nsd_conf(name, addr, every, run_dir, zdir, self, extra))
        with open(os.path.join(out, "root.hints"), "w") as f:
            f.write(".\t3600000\tNS\t%s\n%s\t3600000\tA\t%s\n"
                    % (SERVERS["root"][0], SERVERS["root"][0], SERVERS["root"][1]))
        with open(os.path.join(out, "unbound.conf"), "w") as f:
            f.write(unbound_conf(self, run_dir, out, resolvers, allow))
        rows = self.expected_rows()
        with open(os.path.join(out, "expected.jsonl"), "w") as f:
            for r in rows:
                f.write(json.dumps(r, separators=(",", ":")) + "\n")
        with open(os.path.join(out, "targets.txt"), "w") as f:
            f.write("# fcrscan lab targets, world %s seed %d: %d addresses\n"
                    % (self.kind, self.seed, len(rows)))
            for net in self.targets:
                f.write("%s\n" % net)
        with open(os.path.join(out, "summary.json"), "w") as f:
            json.dump(summarize(rows), f, indent=1, sort_keys=True)
            f.write("\n")
        return rows


def ipsort(s):
    a = ipaddress.ip_address(s)
    return (a.version, int(a))


def extra_lines(var):
    """Extra 'server:' lines from the environment, separated by ';' or newlines
    (e.g. FCRLAB_NSD_EXTRA='rrl-ratelimit: 20' for rate-limit tests)."""
    text = os.environ.get(var, "")
    return ["  " + l.strip() for l in re.split(r"[;\n]", text) if l.strip()]


def nsd_conf(name, addr, zones, run_dir, zdir, world, rrl=None):
    """rrl: 'server:' lines that replace the default (RRL off)."""
    p = os.path.join(run_dir, "nsd-" + name)
    lines = [
        "# generated by scripts/lab/world.py",
        "server:",
        "  ip-address: %s" % addr,
        "  port: 53",
        "  do-ip6: no",
        "  server-count: 1",
        "  username: \"\"",
        "  chroot: \"\"",
        "  zonesdir: \"%s\"" % zdir,
        "  database: \"\"",
        "  zonelistfile: \"%s.zonelist\"" % p,
        "  xfrdfile: \"%s.xfrd.state\"" % p,
        "  xfrdir: \"%s.xfr\"" % p,
        "  pidfile: \"%s.pid\"" % p,
        "  logfile: \"%s.log\"" % p,
        "  verbosity: 1",
        "  hide-version: yes",
        "  tcp-count: 256",
        "  refuse-any: yes",
    ]
    lines += ["  " + l for l in rrl] if rrl else ["  rrl-ratelimit: 0", "  rrl-whitelist-ratelimit: 0"]
    lines += extra_lines("FCRLAB_NSD_EXTRA")
    lines += [
        "remote-control:",
        "  control-enable: no",
    ]
    for z in zones:
        lines += ["zone:", "  name: \"%s\"" % z, "  zonefile: \"%s\"" % world.zone_filename(z)]
    return "\n".join(lines) + "\n"


def unbound_conf(world, run_dir, out, resolvers, allow):
    used = {"10.in-addr.arpa."}
    for origin in world.zones:
        for d in UNBOUND_DEFAULT_ZONES:
            if origin == d or origin.endswith("." + d):
                used.add(d)
    lines = [
        "# generated by scripts/lab/world.py",
        "server:",
        "  username: \"\"",
        "  chroot: \"\"",
        "  directory: \"%s\"" % run_dir,
        "  pidfile: \"%s/unbound.pid\"" % run_dir,
        "  logfile: \"%s/unbound.log\"" % run_dir,
        "  use-syslog: no",
        "  verbosity: 1",
        "  log-servfail: yes",
        "  num-threads: %d" % max(1, int(os.environ.get("FCRLAB_UNBOUND_THREADS", "1"))),
        "  port: 53",
    ]
    lines += ["  interface: %s" % r for r in resolvers]
    lines += [
        "  do-ip4: yes",
        "  do-ip6: yes",
        "  do-udp: yes",
        "  do-tcp: yes",
        "  prefer-ip4: yes",
    ]
    lines += ["  access-control: %s allow" % a for a in allow]
    lines += [
        "  root-hints: \"%s/root.hints\"" % out,
        "  module-config: \"iterator\"",
        "  do-not-query-localhost: no",
        "  unblock-lan-zones: yes",
        "  insecure-lan-zones: yes",
        "  qname-minimisation: no",
        "  harden-referral-path: no",
        "  rrset-roundrobin: yes",
        "  minimal-responses: yes",
        "  edns-buffer-size: %d" % EDNS_SIZE,
        "  max-udp-size: %d" % EDNS_SIZE,
        "  msg-buffer-size: 65552",
        # A lab resolver answers one scanner: no per-client limits, no
        # dropping of slow recursions (the dead delegation must end in
        # SERVFAIL, not in silence), and bounded retransmit timeouts so that
        # SERVFAIL comes within a few seconds.
        "  wait-limit: 0",
        "  discard-timeout: 0",
        "  ratelimit: 0",
        "  ip-ratelimit: 0",
        "  num-queries-per-thread: 4096",
        "  outgoing-range: 8192",
        "  jostle-timeout: 2000",
        "  infra-cache-max-rtt: 1000",
        "  infra-host-ttl: 900",
        "  infra-keep-probing: no",
        "  outbound-msg-retry: 2",
        "  incoming-num-tcp: 256",
        "  outgoing-num-tcp: 64",
        "  so-rcvbuf: 4m",
        "  so-sndbuf: 4m",
        "  hide-identity: yes",
        "  hide-version: yes",
    ]
    lines += extra_lines("FCRLAB_UNBOUND_EXTRA")
    lines += ["  local-zone: \"%s\" nodefault" % d for d in sorted(used)]
    for key in sorted(world.local):
        for owner, rtype, rdata in world.local[key]:
            lines.append("  local-data: \"%s %d IN %s %s\"" % (owner, TTL, rtype, rdata))
    lines += [
        "remote-control:",
        "  control-enable: yes",
        "  control-interface: \"%s/unbound.ctl\"" % run_dir,
        "  control-use-cert: no",
    ]
    return "\n".join(lines) + "\n"


def summarize(rows):
    s = {"rows": len(rows), "verdicts": {}, "flags": {}, "cases": {}}
    for r in rows:
        s["verdicts"][r["verdict"]] = s["verdicts"].get(r["verdict"], 0) + 1
        for fl in r["flags"]:
            s["flags"][fl] = s["flags"].get(fl, 0) + 1
        s["cases"][r.get("case", "")] = s["cases"].get(r.get("case", ""), 0) + 1
    return s


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
