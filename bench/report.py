#!/usr/bin/env python3
"""bench/report.py - figures and bench/RESULTS.md for bench/run (stdlib only).

    report.py machine WORK VERSION BUILDTYPE BUILDDIR PARAMS
    report.py record  WORK LABEL ENGINE CIDR EXIT     one fcrscan run -> runs.jsonl
    report.py missed  WORK                            exit 0 when a CPU target is missed
    report.py write   WORK OUT.md                     the report; exit 1 on disagreements

Every figure comes from files bench/run left in WORK: /usr/bin/time output
("user sys maxrss_kb wall"), fcrscan's summary JSON, bench/check's JSON, and
the peers' outputs.
"""
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys

TARGET_US_PER_QUERY = {"socket": 3.0, "dpdk": 0.3}
TARGET_RSS_MIB = 256
TARGET_ADNS_RATIO = 4.0


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def load_time(path):
    """user, sys, maxrss_kb, wall from /usr/bin/time -f '%U %S %M %e'."""
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 4:
                    try:
                        u, s, m, e = (float(x) for x in parts)
                        return {"user": u, "sys": s, "rss_kb": m, "wall": e}
                    except ValueError:
                        continue
    except OSError:
        pass
    return None


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def cmd_machine(work, version, buildtype, builddir, params):
    model = ""
    for line in read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    m = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "hypervisor": "yes" if "hypervisor" in read("/proc/cpuinfo") else "no",
        "compiler": sh(["cc", "--version"]).splitlines()[0] if sh(["cc", "--version"]) else "",
        "fcrscan": version,
        "buildtype": buildtype,
        "builddir": builddir,
        "commit": sh(["git", "-C", root, "rev-parse", "--short", "HEAD"]),
        "dirty": bool(sh(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"])),
        "params": params,
        "load_start": read("/proc/loadavg").split()[:3],
    }
    with open(os.path.join(work, "machine.json"), "w") as f:
        json.dump(m, f)


def cmd_record(work, label, engine, cidr, rc):
    t = load_time(os.path.join(work, label + ".time"))
    s = load_json(os.path.join(work, label + ".summary.json"))
    c = load_json(os.path.join(work, label + ".check.json"))
    r = {"label": label, "engine": engine, "cidr": cidr, "exit": int(rc)}
    if t is None or s is None:
        r["error"] = "no timing or summary (fcrscan exit %s)" % rc
    else:
        q = s.get("queries", {})
        v = s.get("verdicts", {})
        targets = sum(v.values())
        elapsed = float(s.get("elapsed_s", 0)) or t["wall"]
        cpu = t["user"] + t["sys"]
        sent = int(q.get("sent", 0))
        confirmed = int(v.get("pass", 0)) + int(v.get("partial", 0))
        r.update({
            "targets": targets,
            "elapsed_s": elapsed,
            "wall_s": t["wall"],
            "sent": sent,
            "retried": int(q.get("retried", 0)),
            "tcp": int(q.get("tcp", 0)),
            "user_s": t["user"],
            "sys_s": t["sys"],
            "cpu_s": cpu,
            "rss_mib": t["rss_kb"] / 1024.0,
            "verdicts_per_s": targets / elapsed if elapsed else 0.0,
            "queries_per_s": sent / elapsed if elapsed else 0.0,
            "cpu_s_per_M_verdicts": cpu / targets * 1e6 if targets else 0.0,
            "cpu_us_per_query": cpu / sent * 1e6 if sent else 0.0,
            "confirmed": confirmed,
            "cpu_us_per_confirmed": cpu / confirmed * 1e6 if confirmed else 0.0,
            "verdicts": v,
        })
    if c is not None and "error" not in r and c.get("t_answered_ms"):
        # The answered phase: from the first query to the last row of an
        # address the rule answers; after it only the drops' retries drain.
        active = (c["t_answered_ms"] - c["t_first_ms"]) / 1000.0
        drops = c.get("by_category", {}).get("drop", [0])[0]
        if active > 0:
            r["active_s"] = active
            r["verdicts_per_s_active"] = (r["targets"] - drops) / active
            r["queries_per_s_active"] = r["sent"] / active
    if c is None:
        r["disagreements"] = None
    else:
        r["disagreements"] = c.get("disagreements")
        r["addrs_capped"] = c.get("addrs_capped", 0)
        r["timeouts"] = c.get("timeouts", 0)
        r["check"] = c
    with open(os.path.join(work, "runs.jsonl"), "a") as f:
        f.write(json.dumps(r) + "\n")
    if "error" in r:
        print("bench: %s: %s; disagreements %s" % (label, r["error"], r["disagreements"]))
    else:
        print("bench: %-9s %s %9d targets in %6.2f s (answered phase %s s): %8.0f verdicts/s "
              "(%s in the answered phase), %8.0f queries/s, %5.2f CPU s per M verdicts, "
              "%5.2f us CPU/query, peak RSS %5.1f MiB, disagreements %s" % (
                  label, engine, r["targets"], r["elapsed_s"], fmt(r.get("active_s")),
                  r["verdicts_per_s"], fmt(r.get("verdicts_per_s_active"), 0),
                  r["queries_per_s"], r["cpu_s_per_M_verdicts"], r["cpu_us_per_query"],
                  r["rss_mib"], r["disagreements"]))


def load_runs(work):
    runs = []
    try:
        with open(os.path.join(work, "runs.jsonl")) as f:
            for line in f:
                runs.append(json.loads(line))
    except OSError:
        pass
    return runs


def engine_runs(runs, engine):
    return [r for r in runs if r["engine"] == engine and re.match(engine + r"-\d+$", r["label"])
            and "error" not in r]


def adns_run(work, name):
    """CPU, wall and answer statuses of one adnshost measurement, or None."""
    t = load_time(os.path.join(work, name + ".time"))
    if t is None:
        return None
    status = {}
    for line in read(os.path.join(work, name + "-out.txt")).splitlines():
        p = line.split()
        if len(p) >= 5 and p[0].isdigit() and p[1].isdigit():
            status[p[2] + "/" + p[4]] = status.get(p[2] + "/" + p[4], 0) + 1
    ok = status.get("ok/ok", 0)
    a = {"cpu_s": t["user"] + t["sys"], "wall_s": t["wall"], "rss_mib": t["rss_kb"] / 1024.0,
         "ok": ok, "status": status, "answers": sum(status.values())}
    a["cpu_us_per_confirmed"] = a["cpu_s"] / ok * 1e6 if ok else 0.0
    return a


def adns_figures(work):
    """adnshost and the fcrscan run on the same subset, or None."""
    a = adns_run(work, "adns")
    if a is None:
        return None
    a["single"] = adns_run(work, "adns1")
    ok = a["ok"]
    ft = load_time(os.path.join(work, "adns-fcr.time"))
    fs = load_json(os.path.join(work, "adns-fcr.summary.json"))
    fc = load_json(os.path.join(work, "adns-fcr.check.json"))
    if ft is not None and fs is not None:
        v = fs.get("verdicts", {})
        conf = int(v.get("pass", 0)) + int(v.get("partial", 0))
        cpu = ft["user"] + ft["sys"]
        a["fcr"] = {"cpu_s": cpu, "wall_s": ft["wall"], "confirmed": conf,
                    "pass": int(v.get("pass", 0)), "targets": sum(v.values()),
                    "sent": int(fs.get("queries", {}).get("sent", 0)),
                    "cpu_us_per_confirmed": cpu / conf * 1e6 if conf else 0.0,
                    "disagreements": fc.get("disagreements") if fc else None}
        if a["fcr"]["cpu_us_per_confirmed"] > 0 and ok:
            a["ratio"] = a["cpu_us_per_confirmed"] / a["fcr"]["cpu_us_per_confirmed"]
    if fc is not None:
        bc = fc.get("by_category", {})
        # What adns can confirm: one PTR name that maps back (multi-PTR
        # answers fail in adns, which wants every name to map back).
        a["adns_confirmable"] = sum(bc.get(k, [0])[0] for k in ("pass", "shared", "slow", "tc"))
    return a


def perf_figures(work, tool):
    t = load_time(os.path.join(work, tool + ".time"))
    txt = read(os.path.join(work, tool + ".txt"))
    if t is None or not txt:
        return None
    d = {"cpu_s": t["user"] + t["sys"], "wall_s": t["wall"]}
    m = re.search(r"Queries sent:\s+(\d+)", txt)
    d["sent"] = int(m.group(1)) if m else 0
    m = re.search(r"Queries lost:\s+(\d+)", txt)
    d["lost"] = int(m.group(1)) if m else 0
    m = re.search(r"Queries per second:\s+([\d.]+)", txt)
    if m:
        d["qps"] = float(m.group(1))
    m = re.search(r"Maximum throughput:\s+([\d.]+)", txt)
    if m:
        d["qps"] = float(m.group(1))
    d["cpu_us_per_query"] = d["cpu_s"] / d["sent"] * 1e6 if d["sent"] else 0.0
    return d


def cmd_missed(work):
    runs = load_runs(work)
    sock = engine_runs(runs, "socket")
    if sock and statistics.median(r["cpu_us_per_query"] for r in sock) > TARGET_US_PER_QUERY["socket"]:
        return 0
    a = adns_figures(work)
    if a is not None and a.get("ratio", 0) < TARGET_ADNS_RATIO:
        return 0
    return 1


def fmt(x, nd=2):
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return ("%." + str(nd) + "f") % x
    return str(x)


def disagree_cell(r):
    d = r.get("disagreements")
    t = r.get("timeouts") or 0
    if d and t:
        return "**%d** (%d of them tempfail/timeout: replies lost)" % (d, t)
    return "**%d**" % d if d else fmt(d)


def stats_of(rs, key, best):
    vals = [r[key] for r in rs]
    return (best(vals), statistics.median(vals)) if vals else (None, None)


def cmd_write(work, out):
    m = load_json(os.path.join(work, "machine.json")) or {}
    runs = load_runs(work)
    L = []
    w = L.append
    w("# fcrscan end-to-end benchmark: results")
    w("")
    w("Written by `bench/run` on %s; every run replaces this file (do not edit it by hand)."
      % m.get("date", "?"))
    w("How to run and what each figure means: bench/README.md.")
    w("")
    w("## Machine and build")
    w("")
    w("| | |")
    w("|---|---|")
    w("| CPU | %s (%s cores; virtual machine: %s) |" % (m.get("cpu"), m.get("cores"),
                                                       m.get("hypervisor")))
    w("| memory | %s GiB |" % m.get("memory_gib"))
    w("| kernel | %s |" % m.get("kernel"))
    w("| compiler | %s |" % m.get("compiler"))
    w("| fcrscan | %s, commit %s%s |" % (m.get("fcrscan"), m.get("commit"),
                                         " (uncommitted changes)" if m.get("dirty") else ""))
    w("| build | %s, meson buildtype=%s |" % (m.get("builddir"), m.get("buildtype")))
    w("| parameters | %s |" % m.get("params"))
    w("| load average | %s at start, %s at the end |" % (
        " ".join(m.get("load_start", [])), " ".join(read("/proc/loadavg").split()[:3])))
    w("")
    w("The responder, fcrscan and the peers share the same two cores (and, on this machine, "
      "with other work): figures are noisy. Repeated runs give a best and a median; on "
      "loopback the sender's system time also pays for delivering each packet to the "
      "receiving socket, so fcrscan's sys time includes part of the responder's receive path "
      "(and vice versa).")
    w("")

    # Targets.
    sock = engine_runs(runs, "socket")
    dpdk = engine_runs(runs, "dpdk")
    full = [r for r in runs if r["label"] == "full" and "error" not in r]
    loss = [r for r in runs if r["label"] == "loss"]
    a = adns_figures(work)
    w("## Targets (issue 5)")
    w("")
    w("| target | measured | met |")
    w("|---|---|---|")
    if full:
        f = full[0]
        ref = statistics.median(r["rss_mib"] for r in sock) if sock else None
        indep = ref is not None and f["rss_mib"] <= ref * 1.10 + 8
        w("| peak RSS <= %d MiB for a /8, independent of range size | /8: %.1f MiB; /12: %s MiB "
          "(median) | %s |" % (TARGET_RSS_MIB, f["rss_mib"], fmt(ref, 1),
                               "yes" if f["rss_mib"] <= TARGET_RSS_MIB and indep else "**no**"))
    else:
        ref = statistics.median(r["rss_mib"] for r in sock) if sock else None
        w("| peak RSS <= %d MiB for a /8, independent of range size | /8 not run (`bench/run "
          "--full`); /12: %s MiB | not measured |" % (TARGET_RSS_MIB, fmt(ref, 1)))
    for eng, rs in (("socket", sock), ("dpdk", dpdk)):
        if rs:
            med = statistics.median(r["cpu_us_per_query"] for r in rs)
            best = min(r["cpu_us_per_query"] for r in rs)
            w("| %s engine: <= %.1f us fcrscan CPU per query | %.2f us median, %.2f best | %s |"
              % (eng, TARGET_US_PER_QUERY[eng], med, best,
                 "yes" if med <= TARGET_US_PER_QUERY[eng] else "**no**"))
        else:
            w("| %s engine: <= %.1f us fcrscan CPU per query | not run | not measured |"
              % (eng, TARGET_US_PER_QUERY[eng]))
    if a is not None and "ratio" in a:
        w("| >= %.0fx less CPU per confirmed address than adnshost | %.1fx (adnshost %.2f us, "
          "fcrscan %.2f us per confirmed address) | %s |"
          % (TARGET_ADNS_RATIO, a["ratio"], a["cpu_us_per_confirmed"],
             a["fcr"]["cpu_us_per_confirmed"], "yes" if a["ratio"] >= TARGET_ADNS_RATIO
             else "**no**"))
    else:
        w("| >= %.0fx less CPU per confirmed address than adnshost | not run | not measured |"
          % TARGET_ADNS_RATIO)
    if loss:
        d = loss[0].get("disagreements")
        w("| 0 disagreements at 10^6 targets with 1 %% of replies dropped | %s disagreements "
          "(%s targets) | %s |" % (fmt(d), fmt(loss[0].get("targets")),
                                   "yes" if d == 0 else "**no**"))
    w("")

    # Engine runs.
    w("## Scans")
    w("")
    w("Each row: one fcrscan run; every row of its output checked against the rule "
      "(`bench/check`). CPU = user + sys of fcrscan alone (/usr/bin/time); elapsed = "
      "fcrscan's own `elapsed_s`, which includes the drain of the last retries (the rule's "
      "drops end only after every retry timed out).")
    w("")
    w("| run | engine | targets | elapsed s | answered phase s | verdicts/s | verdicts/s, "
      "answered phase | queries/s, answered phase | retried | TCP | CPU s (user+sys) | "
      "CPU s / M verdicts | us CPU / query | us CPU / confirmed | peak RSS MiB | "
      "disagreements |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        if "error" in r:
            w("| %s | %s | %s | failed: %s | | | | | | | | | | | | %s |" % (
                r["label"], r["engine"], r["cidr"], r["error"], fmt(r.get("disagreements"))))
            continue
        w("| %s | %s | %d | %.2f | %s | %.0f | %s | %s | %d | %d | %.2f (%.2f+%.2f) | %.2f | "
          "%.2f | %.2f | %.1f | %s |" % (
              r["label"], r["engine"], r["targets"], r["elapsed_s"], fmt(r.get("active_s")),
              r["verdicts_per_s"], fmt(r.get("verdicts_per_s_active"), 0),
              fmt(r.get("queries_per_s_active"), 0), r["retried"], r["tcp"], r["cpu_s"],
              r["user_s"], r["sys_s"], r["cpu_s_per_M_verdicts"], r["cpu_us_per_query"],
              r["cpu_us_per_confirmed"], r["rss_mib"], disagree_cell(r)))
    w("")
    for eng, rs in (("socket", sock), ("dpdk", dpdk)):
        if not rs:
            continue
        act = [r for r in rs if "verdicts_per_s_active" in r]
        w("%s engine over %d runs, best / median: verdicts/s %s / %s (answered phase %s / %s); "
          "queries/s in the answered phase %s / %s; "
          "CPU s per M verdicts %s / %s; us CPU per query %s / %s; peak RSS %s / %s MiB." % (
              eng, len(rs),
              *[fmt(x, 0) for x in stats_of(rs, "verdicts_per_s", max)],
              *[fmt(x, 0) for x in stats_of(act, "verdicts_per_s_active", max)],
              *[fmt(x, 0) for x in stats_of(act, "queries_per_s_active", max)],
              *[fmt(x) for x in stats_of(rs, "cpu_s_per_M_verdicts", min)],
              *[fmt(x) for x in stats_of(rs, "cpu_us_per_query", min)],
              *[fmt(x, 1) for x in stats_of(rs, "rss_mib", min)]))
        w("")
    capped = sum(r.get("addrs_capped", 0) or 0 for r in runs)
    if capped:
        w("fcrscan listed only the first 16 addresses of a name in %d rows (shared names with "
          "more than 16 A records; `STATS_ADDRS_MAX` in stats/record.h, not in docs/output.md or the "
          "schema). The checker accepts that prefix (`--addrs-cap 16`) and counts it here; "
          "the verdicts of those rows are right." % capped)
        w("")
    bad = [r for r in runs if r.get("disagreements")]
    for r in bad:
        w("Disagreements in %s (first ones, from bench/check):" % r["label"])
        w("")
        w("```")
        w(read(os.path.join(work, r["label"] + ".check.txt")).strip()[:4000])
        w("```")
        w("")
    if runs:
        c = runs[0].get("check", {}).get("by_category", {})
        if c:
            w("Rows per rule category (first run): " + ", ".join(
                "%s %d" % (k, v[0]) for k, v in c.items()) + ".")
            w("")

    # Peers.
    w("## Peers")
    w("")
    dp = perf_figures(work, "dnsperf")
    rp = perf_figures(work, "resperf")
    act = [r["queries_per_s_active"] for r in sock if "queries_per_s_active" in r]
    med_qps = statistics.median(act) if act else None
    med_us = statistics.median(r["cpu_us_per_query"] for r in sock) if sock else None
    if dp or rp:
        w("Raw query-rate references against the same responder (PTR queries of the subset, "
          "no forward leg, no matching, no output): ")
        w("")
        w("| tool | queries/s | lost | CPU s | us CPU / query | fcrscan queries/s ratio | "
          "fcrscan CPU/query ratio |")
        w("|---|---|---|---|---|---|---|")
        for name, d in (("dnsperf", dp), ("resperf (max throughput)", rp)):
            if d is None:
                continue
            qps = d.get("qps")
            w("| %s | %s | %d | %.2f | %.2f | %s | %s |" % (
                name, fmt(qps, 0), d["lost"], d["cpu_s"], d["cpu_us_per_query"],
                fmt(med_qps / qps) if med_qps and qps else "n/a",
                fmt(med_us / d["cpu_us_per_query"]) if med_us and d["cpu_us_per_query"]
                else "n/a"))
        w("")
        w("Ratios: fcrscan's median socket run (queries/s in its answered phase, at the rate "
          "limit -R of the parameters) divided by the tool's figure (queries/s > 1: fcrscan "
          "faster; CPU/query > 1: fcrscan spends more CPU per query). dnsperf and resperf "
          "run busy-polling sender and receiver threads, so their CPU per query is an upper "
          "bound of what the raw exchange needs, not a floor.")
        w("")
    if a is not None:
        w("adnshost in checked-PTR mode (adns type `ptr`: the PTR name must map back to the "
          "address; `adnshost --asynch --config 'nameserver 127.0.0.1' -f` fed `-iADDR` lines, "
          "chunks of %s queries per process, two processes at a time) and fcrscan on the same "
          "%d targets against the same responder on 127.0.0.1:53 in a private network "
          "namespace; the rule has no drops there (adns retries a silent server 15 times, 2 s "
          "apart):" % (os.environ.get("BENCH_ADNS_CHUNK", "2048"),
                       a.get("fcr", {}).get("targets", 0)))
        w("")
        w("| tool | confirmed | CPU s | wall s | us CPU / confirmed address |")
        w("|---|---|---|---|---|")
        w("| adnshost | %d (of %s the rule lets adns confirm) | %.2f | %.1f | %.2f |" % (
            a["ok"], fmt(a.get("adns_confirmable")), a["cpu_s"], a["wall_s"],
            a["cpu_us_per_confirmed"]))
        one = a.get("single")
        if one is not None:
            w("| adnshost, one process for all targets | %d | %.2f | %.1f | %s |" % (
                one["ok"], one["cpu_s"], one["wall_s"],
                fmt(one["cpu_us_per_confirmed"]) if one["ok"] else "n/a"))
        if "fcr" in a:
            f = a["fcr"]
            w("| fcrscan | %d (pass + partial; disagreements %s) | %.2f | %.1f | %.2f |" % (
                f["confirmed"], fmt(f["disagreements"]), f["cpu_s"], f["wall_s"],
                f["cpu_us_per_confirmed"]))
        w("")
        if "ratio" in a:
            w("adnshost CPU per confirmed address / fcrscan's: **%.2fx** (adnshost in chunks, "
              "its best case; the target is judged on this)." % a["ratio"])
        if one is not None and one["ok"] and "fcr" in a and a["fcr"]["cpu_us_per_confirmed"]:
            w("With one adnshost process for the whole subset: %.1fx (%d answers were "
              "timeouts: adns's socket overflows with every query in flight)." % (
                  one["cpu_us_per_confirmed"] / a["fcr"]["cpu_us_per_confirmed"],
                  one["status"].get("remotefail/timeout", 0)))
        w("adnshost answer statuses: " + ", ".join(
            "%s %d" % (k, v) for k, v in sorted(a["status"].items())) + ".")
        w("")

    # Profile.
    prof = read(os.path.join(work, "profile-symbols.txt"))
    if prof:
        w("## Profile (a target was missed)")
        w("")
        w("`perf record -g` on one socket run of the same scan; flat profile (self time), top "
          "entries, then per shared object and per thread. The reading of it, and what "
          "would close the gap: bench/README.md, \"Where the CPU goes\".")
        w("")
        for name in ("profile-symbols.txt", "profile-dso.txt", "profile-threads.txt"):
            if not read(os.path.join(work, name)).strip():
                continue
            w("```")
            w(re.sub(r"[ \t]+$", "", read(os.path.join(work, name)).rstrip(), flags=re.M))
            w("```")
            w("")
    skipped = read(os.path.join(work, "skipped.txt")).strip()
    if skipped:
        w("## Not run")
        w("")
        for line in skipped.splitlines():
            what, _, why = line.partition("\t")
            w("- %s: %s" % (what, why))
        w("")
    w("## Commands")
    w("")
    w("Exactly as bench/run ran them (WORK = a temporary directory, removed afterwards):")
    w("")
    w("```")
    cmds = read(os.path.join(work, "commands.txt")).replace(work, "WORK")
    w(cmds.rstrip())
    w("```")
    text = "\n".join(L) + "\n"
    with open(out + ".tmp", "w") as f:
        f.write(text)
    os.replace(out + ".tmp", out)
    bad = any(r.get("disagreements") not in (0,) for r in runs)
    if a is not None and a.get("fcr", {}).get("disagreements") not in (0, None):
        bad = True
    return 1 if bad else 0


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, work = sys.argv[1], sys.argv[2]
    if cmd == "machine":
        cmd_machine(work, *sys.argv[3:7])
        return 0
    if cmd == "record":
        cmd_record(work, *sys.argv[3:7])
        return 0
    if cmd == "missed":
        return cmd_missed(work)
    if cmd == "write":
        return cmd_write(work, sys.argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
