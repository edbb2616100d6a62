#!/usr/bin/python3
"""Helpers of tests/lab/faults: find, signal and watch a running fcrscan,
read its output slowly, flood its sockets, and write expected rows for
filler ranges.

  faultlib.py pid TEXT [SECONDS]        pid of the fcrscan whose command line
                                        contains TEXT (waits up to SECONDS, 30)
  faultlib.py signal PID SIG...         send each signal in turn, waiting until
                                        the process has taken it (no longer
                                        pending), so that none merges with the
                                        next; exit 1 if the process is gone first
  faultlib.py wait-wchan PID WCHAN [SECONDS]
                                        wait until a thread of PID sleeps in the
                                        kernel function named ...WCHAN... (e.g.
                                        pipe_write, anon_pipe_write)
  faultlib.py sample PID OUT [PERIOD [CKPT]]
                                        until PID exits, append one JSON line per
                                        PERIOD (0.2 s) to OUT: t (s), rss_kb
                                        (VmRSS), fds (open descriptors), udp_out
                                        (UDP datagrams sent in its namespace),
                                        pending (targets pending in the
                                        checkpoint file CKPT, if given)
  faultlib.py fifo-read FIFO COPY STALLED GO
                                        read FIFO into COPY through a 4 KiB pipe;
                                        after the first burst of data (a whole
                                        zstd frame) stop reading and create the
                                        file STALLED; once the file GO exists,
                                        read the rest to end of file
  faultlib.py slow-read COPY RATE SECONDS
                                        copy stdin to COPY, RATE bytes/s for
                                        SECONDS (through a 4 KiB pipe buffer),
                                        then as fast as it comes
  faultlib.py flood DST4 PORTS_FILE SECONDS OUT [SPOOF4]
                                        send UDP junk to DST4 on the ports listed
                                        in PORTS_FILE, as fast as one thread can,
                                        for SECONDS: from a wrong source (our own
                                        address), and with a raw socket from
                                        SPOOF4 port 53 (the resolver): empty,
                                        1-byte and 11-byte payloads (short) and
                                        well-formed replies to questions never
                                        asked (late); counts per kind into OUT
  faultlib.py expect-noptr TEMPLATE_EXPECTED CIDR OUT
                                        expected rows "no-ptr" for every address
                                        of CIDR (fields as the template's no-ptr
                                        rows), appended to OUT
  faultlib.py malloc-sweep SHIM EXPECTED OUTDIR SPEC -- FCRSCAN ARGS...
                                        R11: run FCRSCAN ARGS -o OUTDIR/N.jsonl once
                                        per N of SPEC ("a..b/step,c..d,..." over
                                        the allocation count; "end" is the count
                                        of a run without failure, "end-K" K less)
                                        with the Nth
                                        allocation failing (SHIM); each run must
                                        exit 0 with every row, or 1 with a
                                        message; never a signal or a hang; every
                                        row written whole and as EXPECTED
  faultlib.py udp-stats                 this namespace's UDP counters (JSON):
                                        InDatagrams, RcvbufErrors (IPv4 + IPv6)
"""

import fcntl
import ipaddress
import json
import os
import random
import signal
import socket
import struct
import sys
import time

F_SETPIPE_SZ = 1031


def proc_status(pid, tid=None):
    path = f"/proc/{pid}/status" if tid is None else f"/proc/{pid}/task/{tid}/status"
    with open(path) as f:
        return dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)


def alive(pid):
    try:
        st = proc_status(pid)
    except (FileNotFoundError, ProcessLookupError):
        return False
    return not st["State"].startswith("Z")


def cmd_pid(text, seconds="30"):
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                comm = open(f"/proc/{p}/comm").read().strip()
                cmd = open(f"/proc/{p}/cmdline", "rb").read().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if comm.startswith("fcrscan") and text in cmd:
                print(p)
                return 0
        time.sleep(0.02)
    print(f"faultlib: no fcrscan with '{text}' in its command line", file=sys.stderr)
    return 1


def pending(pid, signo):
    """Is signo pending for the process or any of its threads?"""
    bit = 1 << (signo - 1)
    try:
        if int(proc_status(pid)["ShdPnd"], 16) & bit:
            return True
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                if int(proc_status(pid, tid)["SigPnd"], 16) & bit:
                    return True
            except FileNotFoundError:
                pass
    except FileNotFoundError:
        return False
    return False


def cmd_signal(pid, *sigs):
    pid = int(pid)
    for i, name in enumerate(sigs):
        signo = getattr(signal, name if name.startswith("SIG") else "SIG" + name)
        if not alive(pid):
            print(f"faultlib: pid {pid} exited before signal {i + 1} ({name})", file=sys.stderr)
            return 1
        os.kill(pid, signo)
        end = time.monotonic() + 10
        while pending(pid, signo) and time.monotonic() < end:
            time.sleep(0.0005)
        if pending(pid, signo):
            print(f"faultlib: signal {name} still pending after 10 s", file=sys.stderr)
            return 1
    return 0


def cmd_wait_wchan(pid, wchan, seconds="30"):
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                try:
                    if wchan in open(f"/proc/{pid}/task/{tid}/wchan").read():
                        return 0
                except OSError:
                    pass
        except FileNotFoundError:
            break
        time.sleep(0.05)
    print(f"faultlib: no thread of {pid} blocked in {wchan}", file=sys.stderr)
    return 1


def ckpt_pending(path):
    """The number of pending targets in a checkpoint file (None: unreadable)."""
    try:
        for line in open(path):
            if line.startswith("pending "):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def cmd_sample(pid, out, period="0.2", ckpt=None):
    t0 = time.monotonic()
    with open(out, "a") as f:
        while True:
            try:
                rss = int(proc_status(pid)["VmRSS"].split()[0])
                fds = len(os.listdir(f"/proc/{pid}/fd"))
                udp_out = udp_stats(f"/proc/{pid}/net")["OutDatagrams"]
            except (FileNotFoundError, KeyError, ProcessLookupError):
                break
            x = {"t": round(time.monotonic() - t0, 3), "rss_kb": rss, "fds": fds,
                 "udp_out": udp_out}
            if ckpt is not None:
                x["pending"] = ckpt_pending(ckpt)
            f.write(json.dumps(x) + "\n")
            f.flush()
            time.sleep(float(period))
    return 0


def cmd_fifo_read(fifo, copy, stalled, go):
    fd = os.open(fifo, os.O_RDONLY)
    fcntl.fcntl(fd, F_SETPIPE_SZ, 4096)
    with open(copy, "wb") as out:
        # The first burst: everything until the writer pauses for 0.5 s.
        got = 0
        while True:
            import select
            r, _, _ = select.select([fd], [], [], 0.5 if got else 60)
            if not r:
                break
            b = os.read(fd, 65536)
            if not b:
                break
            out.write(b)
            got += len(b)
        out.flush()
        open(stalled, "w").close()
        while not os.path.exists(go):
            time.sleep(0.05)
        while True:
            b = os.read(fd, 65536)
            if not b:
                break
            out.write(b)
    return 0


def cmd_slow_read(copy, rate, seconds):
    rate, seconds = float(rate), float(seconds)
    fd = sys.stdin.fileno()
    try:
        fcntl.fcntl(fd, F_SETPIPE_SZ, 4096)
    except OSError:
        pass
    t0 = time.monotonic()
    n = 0
    with open(copy, "wb") as out:
        while time.monotonic() - t0 < seconds:
            b = os.read(fd, 256)
            if not b:
                return 0
            out.write(b)
            n += len(b)
            # Stay at RATE on average.
            ahead = n / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
        while True:
            b = os.read(fd, 1 << 16)
            if not b:
                break
            out.write(b)
    return 0


def dns_reply(qname, qid):
    """A well-formed NOERROR PTR reply with no answer, for qname."""
    q = b"".join(bytes([len(l)]) + l.encode() for l in qname.split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 0, 0, 0) + q + struct.pack("!HH", 12, 1)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_udp(src, dst, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, len(udp))
    c = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + udp


def cmd_flood(dst, ports_file, seconds, out, spoof=None):
    ports = [int(p) for p in open(ports_file).read().split()]
    assert ports, "no ports to flood"
    plain = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw = None
    if spoof:
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    # Pre-built packets: per port, one of each kind.
    late = [dns_reply(f"{random.randrange(256)}.{random.randrange(256)}.0.10.in-addr.arpa",
                      random.randrange(65536)) for _ in range(64)]
    short = [b"", b"\x12", b"\x12" * 11]
    pk = []
    for p in ports:
        if raw:
            for s in short:
                pk.append(("short", ip_udp(spoof, dst, 53, p, s), p))
            for x in late[:4]:
                pk.append(("late", ip_udp(spoof, dst, 53, p, x), p))
        pk.append(("wrong-source", late[p % len(late)], p))
    sent = {"wrong-source": 0, "short": 0, "late": 0, "errors": 0}
    end = time.monotonic() + float(seconds)
    i = 0
    while True:
        if (i & 1023) == 0 and time.monotonic() >= end:
            break
        kind, data, port = pk[i % len(pk)]
        i += 1
        try:
            if kind == "wrong-source":
                plain.sendto(data, (dst, port))
            else:
                raw.sendto(data, (dst, 0))
            sent[kind] += 1
        except OSError:
            sent["errors"] += 1
    json.dump(sent, open(out, "w"))
    return 0


def cmd_expect_noptr(template, cidr, out):
    tpl = None
    for line in open(template):
        if line.strip():
            r = json.loads(line)
            if r["verdict"] == "no-ptr" and not r["flags"]:
                tpl = r
                break
    assert tpl is not None, "no plain no-ptr row in the template"
    with open(out, "a") as f:
        for a in ipaddress.ip_network(cidr):
            r = dict(tpl)
            r["ip"] = str(a)
            r.pop("case", None)
            f.write(json.dumps(r) + "\n")
    return 0


def udp_stats(net="/proc/net"):
    """UDP counters of a network namespace, IPv4 and IPv6 added up."""
    res = {"InDatagrams": 0, "RcvbufErrors": 0, "OutDatagrams": 0}
    lines = open(f"{net}/snmp").read().splitlines()
    udp = [l.split()[1:] for l in lines if l.startswith("Udp:")]
    for k, v in zip(udp[0], udp[1]):
        if k in res:
            res[k] += int(v)
    for l in open(f"{net}/snmp6"):
        k, v = l.split()
        if k[:4] == "Udp6" and k[4:] in res:
            res[k[4:]] += int(v)
    return res


def cmd_udp_stats():
    print(json.dumps(udp_stats()))
    return 0


def expected_rows(path):
    exp = {}
    for line in open(path):
        if line.strip():
            e = json.loads(line)
            exp[e["ip"]] = e
    return exp


def row_problem(line, exp):
    """Why one output line is not a right row (None when it is)."""
    try:
        r = json.loads(line)
    except ValueError:
        return "not JSON"
    e = exp.get(r.get("ip"))
    if e is None:
        return "unexpected ip"
    if r["verdict"] != e["verdict"] or set(r["flags"]) != set(e["flags"]):
        return f"verdict/flags {r['verdict']} {r['flags']}, want {e['verdict']} {e['flags']}"
    if sorted(r["ptr"]) != sorted(e["ptr"]):
        return f"ptr {r['ptr']}"
    return None


def cmd_malloc_sweep(shim, expected, outdir, spec, *rest):
    import subprocess
    assert rest and rest[0] == "--", "malloc-sweep: -- FCRSCAN ARGS..."
    cmd = list(rest[1:])
    exp = expected_rows(expected)
    log = os.path.join(outdir, "malloc.log")

    def run(n):
        out = os.path.join(outdir, f"{n}.jsonl")
        for f in (out, log):
            if os.path.exists(f):
                os.unlink(f)
        env = dict(os.environ, LD_PRELOAD=shim, FCRFAULT_MALLOC_LOG=log,
                   FCRFAULT_MALLOC_FAIL=str(n))
        try:
            p = subprocess.run(cmd + ["-o", out], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=60)
            rc, err = p.returncode, p.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired:
            rc, err = "hang", ""
        info = open(log).read().split() if os.path.exists(log) else []
        failed = "failed" in info
        calls = int(info[info.index("calls") + 1]) if "calls" in info else None
        rows = []
        torn = False
        if os.path.exists(out):
            data = open(out, "rb").read()
            torn = not data.endswith(b"\n") and data != b""
            rows = data.decode(errors="replace").splitlines()
            os.unlink(out)
        return rc, err, failed, calls, rows, torn

    rc, err, _, total, rows, _ = run(0)
    nrows = len(rows)
    if rc != 0 or total is None or nrows == 0:
        print(f"faultlib: run without failure: exit {rc}, {len(rows)} rows, calls {total}\n{err}",
              file=sys.stderr)
        return 1
    bad = [(l, row_problem(l, exp)) for l in rows if row_problem(l, exp)]
    if bad:
        print(f"faultlib: run without failure: wrong rows {bad[:3]}", file=sys.stderr)
        return 1
    def value(x):  # "N", "end" or "end-K"
        return total - int(x[4:] or 0) if x.startswith("end") else int(x)

    ns = set()
    for part in spec.split(","):
        rng, _, step = part.partition("/")
        a, _, b = rng.partition("..")
        ns.update(range(max(1, value(a)), value(b or a) + 1, int(step or 1)))
    stats = {"ok": 0, "error": 0, "not reached": 0}
    problems = []
    for n in sorted(ns):
        rc, err, failed, calls, rows, torn = run(n)
        msgs = [l for l in err.splitlines() if l.startswith("fcrscan: ") and "warning" not in l]
        why = None
        if rc == "hang":
            why = "no exit in 60 s"
        elif rc < 0 or rc > 3:
            why = f"exit {rc} (signal {-rc if rc < 0 else rc - 128})"
        elif torn:
            why = "torn last row"
        elif rc == 0 and len(rows) != nrows:
            why = f"exit 0 with {len(rows)} rows of {nrows}"
        elif rc != 0 and not msgs:
            why = f"exit {rc} without a message: {err.strip()[:200]!r}"
        elif rc not in (0, 1):
            why = f"exit {rc}, want 0 or 1: {msgs[:1]}"
        else:
            wrong = [(l[:80], row_problem(l, exp)) for l in rows if row_problem(l, exp)]
            ips = [json.loads(l)["ip"] for l in rows]
            if wrong:
                why = f"wrong rows {wrong[:2]}"
            elif len(ips) != len(set(ips)):
                why = "a row twice"
        if why:
            problems.append(f"allocation {n}: {why}")
        elif not failed:
            stats["not reached"] += 1
        else:
            stats["ok" if rc == 0 else "error"] += 1
    for p in problems[:20]:
        print("faultlib: " + p, file=sys.stderr)
    print(f"faultlib: {len(ns)} allocations of {total} failed in turn: {stats['ok']} runs "
          f"complete anyway, {stats['error']} clean errors (exit 1 with a message), "
          f"{stats['not reached']} not reached, {len(problems)} problems")
    return 1 if problems else 0


def main(argv):
    cmds = {"pid": cmd_pid, "signal": cmd_signal, "wait-wchan": cmd_wait_wchan,
            "sample": cmd_sample, "fifo-read": cmd_fifo_read, "slow-read": cmd_slow_read,
            "flood": cmd_flood, "expect-noptr": cmd_expect_noptr, "udp-stats": cmd_udp_stats,
            "malloc-sweep": cmd_malloc_sweep}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[argv[1]](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
