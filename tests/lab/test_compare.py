#!/usr/bin/python3
"""Self-test of tests/lab/compare.py and scripts/lab/world.py, no lab needed.

Generates the default and demo worlds into a temporary directory, turns each
expected file into the rows a correct fcrscan would write (schema fields
added, reason_any resolved, over-limit names partly "not-evaluated", lists
shuffled), and checks that compare.py accepts them, split into shards and as
.zst, and rejects each of a set of single mutations. Prints
'N passed, M failed' and exits 1 on any failure.
"""

import copy
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
COMPARE = os.path.join(HERE, "compare.py")
WORLD = os.path.join(REPO, "scripts", "lab", "world.py")


def as_actual(row, rng):
    """The row a correct fcrscan would print for this expected row."""
    r = {"ip": row["ip"], "verdict": row["verdict"]}
    if row["verdict"] == "tempfail":
        r["stage"] = row["stage"]
        r["reason"] = row["reason"] if "reason" in row else rng.choice(row["reason_any"])
    r["flags"] = rng.sample(row["flags"], len(row["flags"]))
    r["ptr"] = rng.sample(row["ptr"], len(row["ptr"]))
    names = []
    for i, n in enumerate(rng.sample(row["names"], len(row["names"]))):
        m = {"name": n["name"], "status": n["status"], "addrs": list(reversed(n["addrs"]))}
        if "max_evaluated" in row and i >= row["max_evaluated"]:
            m = {"name": n["name"], "status": "not-evaluated", "addrs": []}
        if n["status"] == "tempfail":
            m["reason"] = rng.choice(n["reason_any"])
        names.append(m)
    r["names"] = names
    r["ptr_rcode"] = row["ptr_rcode"] if "ptr_rcode" in row else rng.choice(row["ptr_rcode_any"])
    r["queries"] = 1 + len(row["names"])
    r["elapsed_ms"] = round(rng.random() * 50, 3)
    r["ts"] = "2026-11-26T09:00:00.123Z"
    return r


def write(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def run(*args):
    p = subprocess.run([sys.executable, COMPARE] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def main():
    passed = failed = 0
    tmp = tempfile.mkdtemp(prefix="fcrlab-test-compare.")
    rng = random.Random(7)

    def ok(cond, what, out=""):
        nonlocal passed, failed
        if cond:
            passed += 1
        else:
            failed += 1
            print("FAIL: %s\n%s" % (what, out))

    try:
        # The hand-written expected files are in a form compare.py takes:
        # the rows a correct fcrscan would write for them pass.
        for name in ("by-hand.jsonl", "by-hand-refused.jsonl"):
            exp = os.path.join(HERE, name)
            rows = [json.loads(l) for l in open(exp) if l.strip()]
            ok(rows and all("ptr_rcode" in r and "case" in r for r in rows),
               "%s: every row has ptr_rcode and a case" % name)
            act = os.path.join(tmp, name)
            write(act, [as_actual(r, rng) for r in rows])
            rc, o = run(exp, act)
            ok(rc == 0 and "compare: %d rows checked, 0 mismatches" % len(rows) in o,
               "%s: rows as written pass" % name, o)
        for world in ("default", "demo"):
            out = os.path.join(tmp, world)
            p = subprocess.run([sys.executable, WORLD, "gen", "--world", world, "--out", out],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            ok(p.returncode == 0, "world.py gen %s" % world, p.stdout)
            if p.returncode:
                continue
            exp = os.path.join(out, "expected.jsonl")
            rows = [json.loads(l) for l in open(exp)]
            # compare.py checks ptr_rcode only where a row has one: every row must.
            bare = [r["ip"] for r in rows if "ptr_rcode" not in r and "ptr_rcode_any" not in r]
            ok(not bare, "%s: rows without ptr_rcode: %s" % (world, bare[:5]))
            act_rows = [as_actual(r, rng) for r in rows]
            rng.shuffle(act_rows)
            act = os.path.join(tmp, world + "-actual.jsonl")
            write(act, act_rows)
            rc, o = run(exp, act)
            ok(rc == 0 and "compare: %d rows checked, 0 mismatches" % len(rows) in o, "%s: clean run" % world, o)
            # Shards, one compressed.
            k = len(act_rows) // 3
            parts = [act_rows[:k], act_rows[k:2 * k], act_rows[2 * k:]]
            paths = []
            for i, part in enumerate(parts):
                pth = os.path.join(tmp, "%s-shard%d.jsonl" % (world, i))
                write(pth, part)
                paths.append(pth)
            if shutil.which("zstd"):
                subprocess.run(["zstd", "-q", "--rm", paths[1]], check=True)
                paths[1] += ".zst"
            rc, o = run("--union", exp, *paths)
            ok(rc == 0, "%s: shards" % world, o)
            rc, o = run(exp, paths[0], paths[2])
            ok(rc == 1 and "missing from actual" in o, "%s: missing shard detected" % world, o)
            present = len(parts[0]) + len(parts[2])
            rc, o = run("--subset", "--min-rows", str(present), exp, paths[0], paths[2])
            ok(rc == 0 and "(subset of %d, at least %d wanted), 0 mismatches" % (len(rows), present) in o,
               "%s: --subset" % world, o)
            rc, o = run("--subset", "--min-rows", "1", exp, paths[0], paths[0])
            ok(rc == 1 and "duplicate row" in o, "%s: --subset still rejects duplicates" % world, o)
            # An interrupted run must have written something: --subset needs
            # a minimum, fewer rows than it (none at all, too) fail.
            rc, o = run("--subset", exp, paths[0])
            ok(rc == 2 and "--min-rows" in o, "%s: --subset without --min-rows is refused" % world, o)
            rc, o = run("--subset", "--min-rows", str(present + 1), exp, paths[0], paths[2])
            ok(rc == 1 and "only %d expected rows present, want at least %d" % (present, present + 1) in o,
               "%s: --subset with fewer rows than --min-rows" % world, o)
            empty = os.path.join(tmp, world + "-empty.jsonl")
            write(empty, [])
            rc, o = run("--subset", "--min-rows", "1", exp, empty)
            ok(rc == 1 and "only 0 expected rows present" in o, "%s: --subset on an empty file" % world, o)
            rc, o = run("--subset", "--min-rows", "-1", exp, empty)
            ok(rc == 2, "%s: negative --min-rows refused" % world, o)
            if world != "default":
                continue
            # Single mutations that must be caught, on the declared cases only
            # (no fillers) to keep the runs short.
            rows = [r for r in rows if not r.get("case", "").startswith("no-ptr")]
            exp = os.path.join(tmp, "cases-expected.jsonl")
            write(exp, rows)
            keep = {r["ip"] for r in rows}
            act_rows = [r for r in act_rows if r["ip"] in keep]
            # Each case's first address in the expected file (not in the
            # shuffled order: a mutation must not depend on the shuffle).
            first_ip = {}
            for r in rows:
                first_ip.setdefault(r.get("case"), r["ip"])
            index = {r["ip"]: i for i, r in enumerate(act_rows)}
            by_case = {c: index[ip] for c, ip in first_ip.items()}

            def mutated(case, fn, what):
                rows2 = copy.deepcopy(act_rows)
                fn(rows2[by_case[case]])
                pth = os.path.join(tmp, "mut.jsonl")
                write(pth, rows2)
                rc, o = run(exp, pth)
                ok(rc == 1 and "1 mismatches" in o, "mutation not caught: %s" % what, o)

            mutated("pass", lambda r: r.update(verdict="partial"), "verdict")
            mutated("pass", lambda r: r["flags"].append("generic-name"), "extra flag")
            mutated("pass-generic-s1", lambda r: r.update(flags=[]), "missing flag")
            mutated("pass", lambda r: r["ptr"].append("x.example.net"), "extra ptr")
            mutated("pass", lambda r: r["names"][0].update(status="mismatch"), "name status")
            mutated("pass", lambda r: r["names"][0]["addrs"].append("192.0.2.250"), "name addrs")
            mutated("pass-upper-case-ptr", lambda r: r.update(ptr=["SMTP.EXAMPLE.NET"]), "upper case kept")
            mutated("tempfail-reverse-refused", lambda r: r.update(reason="timeout"), "reason")
            mutated("tempfail-reverse-dead", lambda r: r.update(reason="refused"), "reason_any")
            mutated("tempfail-reverse-dead", lambda r: r.update(stage="forward"), "stage")
            mutated("pass", lambda r: r.update(ptr_rcode="NXDOMAIN"), "ptr_rcode")
            mutated("ptr-nodata-cname-reverse", lambda r: r.update(ptr_rcode="NXDOMAIN"), "ptr_rcode after a CNAME")
            mutated("tempfail-reverse-refused", lambda r: r.update(ptr_rcode="REFUSED"), "ptr_rcode via Unbound")
            mutated("tempfail-reverse-dead", lambda r: r.update(ptr_rcode="NOERROR"), "ptr_rcode_any")
            mutated("pass", lambda r: r.update(stage="forward"), "stage on pass (schema)")
            mutated("pass", lambda r: r.pop("ts"), "schema: missing ts")
            mutated("pass", lambda r: r.update(flags=["no-such-flag"]), "schema: bad flag")
            mutated("pass-dual-stack-name", lambda r: r.update(ip="2001:db8:f00:0:0:0:0:2"), "non-canonical ip")
            mutated("pass-over-limit-truncated", lambda r: r["names"][-1].update(
                status=r["names"][0]["status"]) if r["names"][-1]["status"] == "not-evaluated" else
                r["names"][0].update(status="not-evaluated"), "evaluated count")
            mutated("pass-forward-temp-other-name",
                    lambda r: [n.update(reason="other") for n in r["names"] if n["status"] == "tempfail"],
                    "name reason")
            # Duplicate and extra rows.
            rows2 = act_rows + [act_rows[0]]
            pth = os.path.join(tmp, "dup.jsonl")
            write(pth, rows2)
            rc, o = run(exp, pth)
            ok(rc == 1 and "duplicate row" in o, "duplicate row", o)
            extra = copy.deepcopy(act_rows[0])
            extra["ip"] = "192.0.2.0" if extra["ip"] != "192.0.2.0" else "192.0.2.1"
            rows2 = [r for r in act_rows if r["ip"] != extra["ip"]] + [extra]
            extra2 = copy.deepcopy(act_rows[0])
            extra2["ip"] = "198.18.255.1"
            write(pth, act_rows + [extra2])
            rc, o = run(exp, pth)
            ok(rc == 1 and "extra row" in o, "extra row", o)
            with open(pth, "w") as f:
                f.write("{not json\n")
            rc, o = run(exp, pth)
            ok(rc == 1, "garbage line", o)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
