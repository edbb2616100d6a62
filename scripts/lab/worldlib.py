"""The machinery of the lab's worlds (scripts/lab/world.py): constants shared
with fcrscan's behaviour, name helpers, the Public Suffix List reader, and the
World that collects zones, records and cases, computes every expected row
by the verdict rules of docs/output.md, and writes NSD and Unbound
configuration. world.py holds the worlds themselves and the command line.
Stdlib only.
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
