#!/usr/bin/python3
"""Compare fcrscan output with a lab expected file.

Usage:
  compare.py [--schema FILE] [--max-diffs N] [--union]
             [--subset --min-rows N]
             EXPECTED.jsonl ACTUAL.jsonl[.zst] [ACTUAL...]

Several ACTUAL files (shards, resumed runs) are concatenated before the
comparison; --union is accepted for readability and changes nothing. '-'
reads standard input. Files ending in .zst are decoded with the zstd CLI.

Checks:
  - every actual row is valid against result.schema.json (Draft 2020-12;
    default: docs/result.schema.json of this repository) and
    its "ip" is canonical (dotted quad; RFC 5952 for IPv6);
  - every expected ip appears exactly once (with --subset: at most once, for
    interrupted runs, and at least --min-rows N of them: an interrupted run
    that wrote nothing, or much less than it should have, fails; --subset
    without --min-rows is a usage error), and no other ip appears;
  - per row: verdict, stage, reason, flags (as a set), ptr (as a sorted
    list: resolvers rotate RRsets), names (as a set of (name, status,
    sorted addrs)), and ptr_rcode when the expected row has "ptr_rcode" or
    "ptr_rcode_any". queries, elapsed_ms and ts are not compared.

Expected-file conventions (written by scripts/lab/world.py):
  - "reason": one allowed tempfail reason; "reason_any": [..] when several
    are legitimate (a dead server ends in SERVFAIL or in a client timeout
    depending on resolver timing). The actual row's "reason" must be one.
  - "ptr_rcode": the rcode of the final PTR reply (NOERROR, NXDOMAIN,
    SERVFAIL, REFUSED, ..., TIMEOUT when none came); "ptr_rcode_any": [..]
    when timing decides, as for reason_any.
  - names[].reason_any: allowed reasons of a tempfail name; checked only when
    the actual name carries a "reason".
  - "max_evaluated": N on multi-ptr-over-limit rows: which N names get
    evaluated depends on the resolver's RRset order, so the actual names may
    list each PTR name either with its expected (status, addrs) or with
    status "not-evaluated", exactly N entries must be evaluated, and names
    not listed at all are accepted (every listed name must be a PTR name).
    The world keeps all names of such rows in one status, so the verdict and
    flags do not depend on the order.
  - "case" (and any other key) is documentation and ignored.

Prints up to --max-diffs (20) differences, then the line
  compare: N rows checked, M mismatches
and exits 1 on any mismatch, missing, extra or duplicate row, or schema
violation; 2 on usage errors (unreadable files, no jsonschema module).
"""

import argparse
import ipaddress
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_SCHEMA = os.path.join(REPO, "docs", "result.schema.json")


def read_lines(path):
    """Yield (location, text) for each non-empty line of a JSONL file (.zst ok)."""
    if path == "-":
        data = sys.stdin.buffer.read()
    elif path.endswith(".zst"):
        try:
            p = subprocess.run(["zstd", "-dcq", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except FileNotFoundError:
            raise SystemExit("compare: zstd CLI not found (apt-get install zstd) for %s" % path)
        if p.returncode != 0:
            raise SystemExit("compare: zstd failed on %s: %s" % (path, p.stderr.decode(errors="replace").strip()))
        data = p.stdout
    else:
        with open(path, "rb") as f:
            data = f.read()
    for i, line in enumerate(data.split(b"\n"), 1):
        if line.strip():
            yield "%s:%d" % (path, i), line.decode("utf-8", errors="replace")


def canon_ip(s):
    try:
        return str(ipaddress.ip_address(s))
    except (ValueError, TypeError):
        return None


def addr_key(a):
    c = canon_ip(a)
    return c if c is not None else str(a)


def name_tuple(n):
    return (n.get("name"), n.get("status"), tuple(sorted(addr_key(a) for a in n.get("addrs", []))))


def compare_names(exp, act):
    """Return a list of difference strings for the names arrays."""
    diffs = []
    if not isinstance(act, list):
        return ["names is not a list"]
    limit = exp.get("max_evaluated")
    enames = exp.get("names", [])
    if limit is None:
        es = sorted(name_tuple(n) for n in enames)
        as_ = sorted(name_tuple(n) for n in act if isinstance(n, dict))
        if es != as_:
            missing = [t for t in es if t not in as_]
            extra = [t for t in as_ if t not in es]
            diffs.append("names differ: expected-only %s, actual-only %s" % (fmt(missing), fmt(extra)))
    else:
        byname = {n["name"]: name_tuple(n) for n in enames}
        evaluated = 0
        seen = set()
        for n in act:
            if not isinstance(n, dict):
                diffs.append("names entry is not an object")
                continue
            t = name_tuple(n)
            if t[0] in seen:
                diffs.append("name %s listed twice" % t[0])
            seen.add(t[0])
            if t[0] not in byname:
                diffs.append("name %s is not a PTR name of this target" % t[0])
            elif t[1] == "not-evaluated":
                pass
            elif t != byname[t[0]]:
                diffs.append("name %s: expected %s, got %s" % (t[0], fmt([byname[t[0]]]), fmt([t])))
            else:
                evaluated += 1
        if evaluated != limit:
            diffs.append("%d names evaluated, expected exactly %d (max_evaluated)" % (evaluated, limit))
    # Reasons of tempfail names, where both sides say something.
    allowed = {n["name"]: n.get("reason_any") or ([n["reason"]] if "reason" in n else None) for n in enames}
    for n in act:
        if isinstance(n, dict) and "reason" in n and allowed.get(n.get("name")):
            if n["reason"] not in allowed[n["name"]]:
                diffs.append("name %s reason %s not in %s" % (n["name"], n["reason"], allowed[n["name"]]))
    return diffs


def fmt(tuples):
    return "[" + ", ".join("%s:%s%s" % (t[0], t[1], list(t[2]) if t[2] else "") for t in tuples) + "]"


def compare_row(exp, act):
    diffs = []
    if act.get("verdict") != exp["verdict"]:
        diffs.append("verdict: expected %s, got %s" % (exp["verdict"], act.get("verdict")))
    if act.get("stage") != exp.get("stage"):
        diffs.append("stage: expected %s, got %s" % (exp.get("stage"), act.get("stage")))
    if "reason_any" in exp:
        if act.get("reason") not in exp["reason_any"]:
            diffs.append("reason: expected one of %s, got %s" % (exp["reason_any"], act.get("reason")))
    elif act.get("reason") != exp.get("reason"):
        diffs.append("reason: expected %s, got %s" % (exp.get("reason"), act.get("reason")))
    if "ptr_rcode_any" in exp:
        if act.get("ptr_rcode") not in exp["ptr_rcode_any"]:
            diffs.append("ptr_rcode: expected one of %s, got %s" % (exp["ptr_rcode_any"], act.get("ptr_rcode")))
    elif "ptr_rcode" in exp and act.get("ptr_rcode") != exp["ptr_rcode"]:
        diffs.append("ptr_rcode: expected %s, got %s" % (exp["ptr_rcode"], act.get("ptr_rcode")))
    af = act.get("flags") if isinstance(act.get("flags"), list) else []
    if set(af) != set(exp["flags"]) or len(af) != len(set(af)):
        diffs.append("flags: expected %s, got %s (missing %s, extra %s)"
                     % (sorted(exp["flags"]), af, sorted(set(exp["flags"]) - set(af)),
                        sorted(set(af) - set(exp["flags"]))))
    ap_ = act.get("ptr") if isinstance(act.get("ptr"), list) else None
    if ap_ is None or sorted(ap_) != sorted(exp["ptr"]):
        diffs.append("ptr: expected %s, got %s" % (sorted(exp["ptr"]), ap_ if ap_ is None else sorted(ap_)))
    diffs += compare_names(exp, act.get("names", []))
    return diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("expected")
    ap.add_argument("actual", nargs="+")
    ap.add_argument("--schema", default=DEFAULT_SCHEMA)
    ap.add_argument("--no-schema", action="store_true", help="skip schema validation")
    ap.add_argument("--max-diffs", type=int, default=20)
    ap.add_argument("--union", action="store_true", help="(default) concatenate all ACTUAL files")
    ap.add_argument("--subset", action="store_true",
                    help="expected rows may be missing (an interrupted run, e.g. --max-runtime); "
                         "rows present must still be valid, correct and unique")
    ap.add_argument("--min-rows", type=int, metavar="N",
                    help="with --subset: at least N expected rows must be present (required)")
    args = ap.parse_args()
    if args.subset and args.min_rows is None:
        print("compare: --subset needs --min-rows N (the least number of rows the run must have "
              "written)", file=sys.stderr)
        return 2
    if args.min_rows is not None and args.min_rows < 0:
        print("compare: --min-rows must be >= 0", file=sys.stderr)
        return 2

    validator = None
    if not args.no_schema:
        try:
            import jsonschema
        except ImportError:
            print("compare: python3-jsonschema is needed (apt-get install python3-jsonschema)", file=sys.stderr)
            return 2
        try:
            with open(args.schema) as f:
                schema = json.load(f)
        except (OSError, ValueError) as e:
            print("compare: cannot read schema %s: %s" % (args.schema, e), file=sys.stderr)
            return 2
        validator = jsonschema.Draft202012Validator(schema)

    diffs = []
    bad = set()         # rows (by ip, else by location) with any problem

    def report(msg):
        diffs.append(msg)

    expected = {}
    try:
        for loc, line in read_lines(args.expected):
            row = json.loads(line)
            ip = canon_ip(row.get("ip"))
            if ip is None or ip in expected:
                print("compare: bad or duplicate ip in expected file at %s" % loc, file=sys.stderr)
                return 2
            expected[ip] = row
    except (OSError, ValueError) as e:
        print("compare: cannot read expected file: %s" % e, file=sys.stderr)
        return 2

    actual = {}
    try:
        for path in args.actual:
            for loc, line in read_lines(path):
                try:
                    row = json.loads(line)
                except ValueError as e:
                    bad.add(loc)
                    report("%s: not JSON: %s" % (loc, e))
                    continue
                if not isinstance(row, dict):
                    bad.add(loc)
                    report("%s: not a JSON object" % loc)
                    continue
                ip = canon_ip(row.get("ip"))
                if validator is not None:
                    errs = sorted(validator.iter_errors(row), key=lambda e: list(e.path))
                    if errs:
                        bad.add(ip or loc)
                        e = errs[0]
                        report("%s: schema: %s at /%s%s" % (loc, e.message[:200], "/".join(map(str, e.path)),
                                                           " (+%d more)" % (len(errs) - 1) if len(errs) > 1 else ""))
                if ip is None:
                    bad.add(loc)
                    report("%s: ip %r is not an address" % (loc, row.get("ip")))
                    continue
                if ip != row.get("ip"):
                    bad.add(ip)
                    report("%s: ip %r is not canonical (%s)" % (loc, row.get("ip"), ip))
                if ip in actual:
                    bad.add(ip)
                    report("%s: duplicate row for %s (first at %s)" % (loc, ip, actual[ip][0]))
                    continue
                actual[ip] = (loc, row)
    except OSError as e:
        print("compare: cannot read actual file: %s" % e, file=sys.stderr)
        return 2

    checked = 0
    for ip, exp in expected.items():
        if ip not in actual:
            if args.subset:
                continue
            bad.add(ip)
            report("%s [%s]: missing from actual" % (ip, exp.get("case", "")))
            continue
        loc, act = actual[ip]
        checked += 1
        d = compare_row(exp, act)
        if d:
            bad.add(ip)
            report("%s [%s] (%s): %s" % (ip, exp.get("case", ""), loc, "; ".join(d)))
    for ip, (loc, _) in actual.items():
        if ip not in expected:
            bad.add(ip)
            report("%s: extra row for %s (not a target of the expected file)" % (loc, ip))

    short = args.min_rows is not None and checked < args.min_rows
    if short:
        report("only %d expected rows present, want at least %d (--min-rows)" % (checked, args.min_rows))

    for d in diffs[: args.max_diffs]:
        print("  " + d)
    if len(diffs) > args.max_diffs:
        print("  ... %d more" % (len(diffs) - args.max_diffs))
    total = len(bad)
    if args.subset:
        print("compare: %d rows checked (subset of %d, at least %d wanted), %d mismatches"
              % (checked, len(expected), args.min_rows, total))
    else:
        print("compare: %d rows checked, %d mismatches" % (len(expected), total))
    return 1 if total or short else 0


if __name__ == "__main__":
    sys.exit(main())
