#!/usr/bin/python3
"""Prove the lab world is what expected.jsonl claims, with dig, before fcrscan exists.

For every expected row: ask the lab resolver (from the scanner namespace) for
the PTR of the target, then A and AAAA for every usable PTR name, and check
that what the real servers answer is consistent with the row: reverse rcode
(and the row's ptr_rcode / ptr_rcode_any), PTR set, CNAME in the reverse chain (cname-reverse), TC over UDP (truncated),
forward address sets per names[].status, wrong-family, forward-cname,
temporary failures (SERVFAIL or no answer), and that the row's verdict follows
from its name statuses by the rules of docs/output.md. It does not check the
name-classification flags (generic-name, bare-domain, ...): world.py derives
and sanity-checks those.

Usage: selfcheck.py [--dir /tmp/fcrlab] [--expected FILE] [--resolver ADDR]
                    [--netns NS] [--tries N] [--time S] [--jobs N]
Defaults come from DIR/lab.env (written by 'lab start'). Exit 0 when every
row is consistent, 1 otherwise. Stdlib only.
"""

import argparse
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile
import time

MAX_PTR = 16
LITERAL = re.compile(r"^[0-9.]+$")


def load_env(path):
    env = {}
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#") and "=" in line:
                    k, v = line.split("=", 1)
                    env[k] = v
    except OSError:
        pass
    return env


def rev_name(ip):
    return ipaddress.ip_address(ip).reverse_pointer + "."


def norm_name(n):
    n = n.lower()
    return n[:-1] if len(n) > 1 and n.endswith(".") else n


def norm_addr(a):
    return str(ipaddress.ip_address(a))


def parse_batch(text):
    """Split dig batch output (+noall +cmd +comments +answer) into per-query results."""
    blocks = []
    prefix = []
    cur = None
    for line in text.splitlines():
        if line.startswith("; <<>> DiG"):
            cur = {"q": line.split("<<>>")[-1].strip(), "rcode": None, "tc": False,
                   "answer": [], "pre": prefix}
            prefix = []
            blocks.append(cur)
            continue
        # dig prints these before the header of the query they belong to.
        if line.startswith(";; Truncated") or line.startswith(";; communications error"):
            prefix.append(line)
            continue
        if cur is None:
            continue
        m = re.search(r"status: ([A-Z0-9]+)", line)
        if m and line.startswith(";; ->>HEADER<<-"):
            cur["rcode"] = m.group(1)
            continue
        if "no servers could be reached" in line or "connection timed out" in line:
            cur["rcode"] = "TIMEOUT"
            continue
        if line and not line.startswith(";"):
            parts = line.split()
            if len(parts) >= 5 and parts[2] == "IN":
                cur["answer"].append((norm_name(parts[0]), parts[3], " ".join(parts[4:])))
    for b in blocks:
        b["tc"] = any(l.startswith(";; Truncated") for l in b.pop("pre"))
        if b["rcode"] is None:
            b["rcode"] = "TIMEOUT"
    return blocks


class Digger:
    def __init__(self, netns, resolver, tries, timeout, jobs):
        self.netns, self.resolver = netns, resolver
        self.tries, self.timeout, self.jobs = tries, timeout, jobs
        self.sent = 0

    def run(self, queries):
        """queries: list of (name, type) -> dict (name, type) -> result."""
        queries = list(dict.fromkeys(queries))
        results = {}
        todo = queries
        for rnd in range(3):                   # re-ask what got no answer at all
            if not todo:
                break
            res = self._run_once(todo)
            results.update(res)
            todo = [q for q in todo if res[q]["rcode"] == "TIMEOUT"]
        return results

    def _run_once(self, queries):
        chunks = [queries[i::self.jobs] for i in range(self.jobs)]
        procs = []
        with tempfile.TemporaryDirectory(prefix="fcrlab-selfcheck.") as tmp:
            for i, chunk in enumerate(chunks):
                if not chunk:
                    continue
                path = os.path.join(tmp, "batch%d" % i)
                with open(path, "w") as f:
                    for name, qtype in chunk:
                        f.write("%s %s\n" % (name, qtype))
                cmd = ["dig", "@" + self.resolver, "+tries=%d" % self.tries, "+time=%d" % self.timeout,
                       "+noall", "+cmd", "+comments", "+answer", "-f", path]
                if self.netns:
                    cmd = ["ip", "netns", "exec", self.netns] + cmd
                procs.append((chunk, subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                                      stderr=subprocess.STDOUT, text=True)))
            out = {}
            for chunk, p in procs:
                text, _ = p.communicate()
                blocks = parse_batch(text)
                if len(blocks) != len(chunk):
                    raise RuntimeError("dig batch gave %d results for %d queries:\n%s"
                                       % (len(blocks), len(chunk), text[-2000:]))
                for (name, qtype), b in zip(chunk, blocks):
                    if b["q"].split()[0].lower() != name.lower():
                        raise RuntimeError("dig batch out of order: %r vs %r" % (b["q"], name))
                    out[(name, qtype)] = b
                self.sent += len(chunk)
        return out


def addrs_of(res, qtype):
    return sorted({norm_addr(d) for _, t, d in res["answer"] if t == qtype},
                  key=lambda s: (ipaddress.ip_address(s).version, int(ipaddress.ip_address(s))))


def has_cname(res):
    return any(t in ("CNAME", "DNAME") for _, t, _ in res["answer"])


def verdict_from(statuses):
    """docs/output.md aggregation over the evaluated names."""
    conf = statuses.count("confirmed")
    if all(s == "unusable" for s in statuses):
        return "unusable"
    if conf and all(s in ("confirmed", "tempfail") for s in statuses):
        return "pass"
    if conf:
        return "partial"
    if "tempfail" in statuses:
        return "tempfail"
    if "mismatch" in statuses:
        return "mismatch"
    return "dangling"


def check(rows, dig):
    errors = []

    def err(row, msg):
        errors.append("%s [%s]: %s" % (row["ip"], row.get("case", ""), msg))

    ptr_q = [(rev_name(r["ip"]), "PTR") for r in rows]
    ptr_res = dig.run(ptr_q)
    fwd_q = []
    for r in rows:
        for n in r["names"]:
            if n["status"] != "unusable":
                fwd_q.append((n["name"], "A"))
                fwd_q.append((n["name"], "AAAA"))
    fwd_res = dig.run(fwd_q)

    for r in rows:
        flags = set(r["flags"])
        res = ptr_res[(rev_name(r["ip"]), "PTR")]
        rc = res["rcode"]
        ptrs = sorted({norm_name(d) for _, t, d in res["answer"] if t == "PTR"})
        v = r["verdict"]
        rcodes = r.get("ptr_rcode_any") or ([r["ptr_rcode"]] if "ptr_rcode" in r else None)
        if rcodes is not None and rc not in rcodes:
            err(r, "PTR rcode %s, expected ptr_rcode %s" % (rc, " or ".join(rcodes)))
        if v == "tempfail" and r.get("stage") == "reverse":
            allowed = r.get("reason_any") or [r.get("reason")]
            rc_of = {"servfail": "SERVFAIL", "timeout": "TIMEOUT", "refused": "REFUSED"}
            if rc not in [rc_of.get(a) for a in allowed]:
                err(r, "reverse tempfail with reason %s expected, got %s %s" % (allowed, rc, ptrs))
            continue
        if v == "no-ptr":
            if rc != "NXDOMAIN":
                err(r, "no-ptr expected, got %s %s" % (rc, ptrs))
        elif v == "ptr-nodata":
            if rc != "NOERROR" or ptrs:
                err(r, "ptr-nodata expected, got %s %s" % (rc, ptrs))
        else:
            if rc != "NOERROR":
                err(r, "PTR answer expected, got %s" % rc)
                continue
            if ptrs != sorted(r["ptr"]):
                err(r, "PTR set %s != expected %s" % (ptrs, sorted(r["ptr"])))
        if ("cname-reverse" in flags) != has_cname(res):
            err(r, "cname-reverse flag %s but CNAME in answer %s" % ("cname-reverse" in flags, has_cname(res)))
        if ("truncated" in flags) != res["tc"]:
            err(r, "truncated flag %s but TC over UDP %s" % ("truncated" in flags, res["tc"]))
        if v in ("no-ptr", "ptr-nodata"):
            if r["names"] or r["ptr"]:
                err(r, "names/ptr must be empty")
            continue
        # Names.
        ip = ipaddress.ip_address(r["ip"])
        fam, other = ("A", "AAAA") if ip.version == 4 else ("AAAA", "A")
        names = {n["name"]: n for n in r["names"]}
        if sorted(names) != sorted(r["ptr"]):
            err(r, "names %s do not match ptr %s" % (sorted(names), r["ptr"]))
        saw_cname = saw_wrong = False
        for name, n in names.items():
            st = n["status"]
            if st == "unusable":
                if not (LITERAL.match(name) or ":" in name or name == "."):
                    err(r, "%s unusable but not an IP literal" % name)
                continue
            f1, f2 = fwd_res[(name, fam)], fwd_res[(name, other)]
            a1, a2 = addrs_of(f1, fam), addrs_of(f2, other)
            saw_cname |= has_cname(f1)
            exp = sorted(n["addrs"], key=lambda s: (ipaddress.ip_address(s).version,
                                                    int(ipaddress.ip_address(s))))
            if st == "tempfail":
                if f1["rcode"] not in ("SERVFAIL", "TIMEOUT"):
                    err(r, "%s tempfail expected, %s gave %s" % (name, fam, f1["rcode"]))
            elif st == "confirmed":
                if f1["rcode"] != "NOERROR" or str(ip) not in a1 or a1 != exp:
                    err(r, "%s confirmed expected, %s gave %s %s (expected %s)"
                        % (name, fam, f1["rcode"], a1, exp))
            elif st == "mismatch":
                if f1["rcode"] == "NOERROR" and a1:
                    if str(ip) in a1 or a1 != exp:
                        err(r, "%s mismatch expected, %s gave %s (expected %s)" % (name, fam, a1, exp))
                elif f1["rcode"] == "NOERROR" and f2["rcode"] == "NOERROR" and a2:
                    saw_wrong = True
                    if a2 != exp:
                        err(r, "%s wrong-family addrs %s != expected %s" % (name, a2, exp))
                else:
                    err(r, "%s mismatch expected, %s gave %s %s, %s gave %s %s"
                        % (name, fam, f1["rcode"], a1, other, f2["rcode"], a2))
            elif st == "dangling":
                ok = f1["rcode"] == "NXDOMAIN" or (
                    f1["rcode"] == "NOERROR" and not a1 and
                    (f2["rcode"] == "NXDOMAIN" or (f2["rcode"] == "NOERROR" and not a2)))
                if not ok or n["addrs"]:
                    err(r, "%s dangling expected, %s gave %s %s, %s gave %s %s"
                        % (name, fam, f1["rcode"], a1, other, f2["rcode"], a2))
            else:
                err(r, "%s has status %s, not expected in lab files" % (name, st))
        if ("forward-cname" in flags) != saw_cname:
            err(r, "forward-cname flag %s but CNAME seen %s" % ("forward-cname" in flags, saw_cname))
        if ("wrong-family" in flags) != saw_wrong:
            err(r, "wrong-family flag %s but seen %s" % ("wrong-family" in flags, saw_wrong))
        # The row's own consistency with docs/output.md.
        statuses = [names[p]["status"] for p in sorted(names)]
        over = len(names) > MAX_PTR
        if over and len(set(statuses)) > 1:
            err(r, "over-limit row with mixed statuses")
        if over and r.get("max_evaluated") != MAX_PTR:
            err(r, "over-limit row without max_evaluated")
        if v != verdict_from(statuses[:MAX_PTR]):
            err(r, "verdict %s does not follow from statuses %s" % (v, statuses))
        if ("multi-ptr" in flags) != (len(names) > 1):
            err(r, "multi-ptr flag inconsistent")
        if ("multi-ptr-over-limit" in flags) != over:
            err(r, "multi-ptr-over-limit flag inconsistent")
        temp_other = v == "pass" and "tempfail" in statuses
        if ("forward-temp-other-name" in flags) != temp_other:
            err(r, "forward-temp-other-name flag inconsistent")
        if v == "tempfail" and r.get("stage") != "forward":
            err(r, "forward tempfail without stage forward")
    return errors, len(ptr_q), len(set(fwd_q))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=os.environ.get("FCRLAB_DIR", "/tmp/fcrlab"))
    ap.add_argument("--expected")
    ap.add_argument("--resolver", help="resolver address (default FCRLAB_RESOLVER4 of lab.env)")
    ap.add_argument("--netns", help="namespace to run dig in ('' = current; default FCRLAB_NS_SCAN)")
    ap.add_argument("--tries", type=int, default=3, help="dig +tries (default 3)")
    ap.add_argument("--time", type=int, default=2, help="dig +time seconds (default 2)")
    ap.add_argument("--jobs", type=int, default=16, help="parallel dig batch processes (default 16)")
    ap.add_argument("--max-errors", type=int, default=30)
    args = ap.parse_args()
    env = load_env(os.path.join(args.dir, "lab.env"))
    expected = args.expected or env.get("FCRLAB_EXPECTED") or os.path.join(args.dir, "world", "expected.jsonl")
    resolver = args.resolver or env.get("FCRLAB_RESOLVER4", "10.53.0.2")
    netns = env.get("FCRLAB_NS_SCAN", "fcrlab-scan") if args.netns is None else args.netns
    with open(expected) as f:
        rows = [json.loads(l) for l in f if l.strip()]
    t0 = time.monotonic()
    dig = Digger(netns, resolver, args.tries, args.time, args.jobs)
    errors, nptr, nfwd = check(rows, dig)
    dt = time.monotonic() - t0
    for e in errors[: args.max_errors]:
        print("  " + e)
    print("selfcheck: %d rows, %d PTR + %d forward queries (%d sent incl. re-asks) via %s in %.1fs: %d inconsistencies"
          % (len(rows), nptr, nfwd, dig.sent, resolver, dt, len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
