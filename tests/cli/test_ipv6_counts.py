#!/usr/bin/python3
"""docs/test-cases.md I02 through the binary: large IPv6 target sets.

- 2001:db8::/32, ::/0 and a /63 are refused (exit 2, naming --allow-large),
  with or without the default blocklist, in --dry-run and in a scan; a /96
  is accepted;
- counts are 128-bit: ::/0 with --allow-large skips exactly the
  special-purpose registries' size (stderr) and the summary's
  targets.total is 2^128 (scanned + blocklisted, one more than a u128);
  the 2^64 boundary: a /64 gives total 2^64, a /64 plus one address
  2^64 + 1, a /64 less one blocklisted address 2^64 with 1 blocklisted, a
  /63 2^65;
- the progress line (stderr on a terminal) shows the total unwrapped:
  /18.4E for 2^64, /36.8E for 2^65.
Scans send their queries to a UDP socket this test holds on 127.0.0.1 and
stop after 0.3 s (--max-runtime: exit 3).
Usage: test_ipv6_counts.py FCRSCAN
"""

import json
import os
import pty
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import specials  # noqa: E402

BIN = sys.argv[1]
fails = []


def check(ok, what):
    if not ok:
        fails.append(what)
    return ok


def main():
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    res = "127.0.0.1:%d" % sink.getsockname()[1]
    tmp = tempfile.mkdtemp(prefix="fcrscan-i02.")
    scan = [BIN, "--force", "-r", res, "-R", "100", "--max-runtime", "0.3", "--timeout", "50",
            "--retries", "0", "-o", os.path.join(tmp, "rows.jsonl")]

    for cidr in ("2001:db8::/32", "::/0", "2a00::/63", "2001:db8::/63"):
        for extra in ([], ["--no-default-blocklist"]):
            for mode in (["--dry-run"], scan + ["-q"]):
                cmd = (mode if mode[0] == BIN else [BIN] + mode) + extra + [cidr]
                p = subprocess.run(cmd, capture_output=True, timeout=60)
                check(p.returncode == 2 and b"--allow-large" in p.stderr,
                      f"{' '.join(cmd[1:])}: exit {p.returncode}, {p.stderr[:200]!r}")
    p = subprocess.Popen([BIN, "--dry-run", "2a00::/96"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    check(len([p.stdout.readline() for _ in range(10)][-1]) > 2, "a /96 is accepted")
    p.stdout.close()
    p.wait()

    d = subprocess.Popen([BIN, "--dry-run", "--allow-large", "::/0"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    d.stdout.readline()
    d.stdout.close()
    err = d.stderr.read().decode()
    d.wait()
    m = re.search(r"skipping (\d+) blocklisted", err)
    bl6 = specials.union_size(specials.V6)
    check(m and int(m.group(1)) == bl6, f"::/0 skipped {m.group(1) if m else err!r}, want {bl6}")

    blf = os.path.join(tmp, "block.txt")
    open(blf, "w").write("2a00::5\n")
    cases = [  # targets, extra args, total, blocklisted, progress total
        (["::/0"], [], 2**128, bl6, None),
        (["2a00::/64"], [], 2**64, 0, "/18.4E"),
        (["2a00::/64", "2a00:1::1"], [], 2**64 + 1, 0, None),
        (["2a00::/64"], ["--blocklist", blf], 2**64, 1, None),
        (["2a00::/63"], [], 2**65, 0, "/36.8E"),
    ]
    for targets, extra, total, blocked, prog in cases:
        summ = os.path.join(tmp, "summary.json")
        cmd = scan + ["--allow-large", "-S", summ, "--force"] + extra + targets
        if prog is None:
            p = subprocess.run(cmd + ["-q"], capture_output=True, timeout=60)
            rc, err = p.returncode, p.stderr.decode(errors="replace")
        else:
            # stderr on a terminal: the progress line is drawn.
            master, slave = pty.openpty()
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=slave)
            os.close(slave)
            chunks = []
            while True:
                r, _, _ = select.select([master], [], [], 30)
                if not r:
                    break
                try:
                    b = os.read(master, 4096)
                except OSError:
                    break
                if not b:
                    break
                chunks.append(b)
            rc = p.wait()
            os.close(master)
            err = b"".join(chunks).decode(errors="replace")
            lines = [l for l in err.split("\r") if " q/s " in l]
            check(lines and all(prog + " " in l for l in lines),
                  f"{targets}: progress total, want {prog}: {lines[-1:]!r}")
        if not check(rc == 3, f"{targets}: exit {rc}, want 3: {err[-300:]}"):
            continue
        t = json.load(open(summ))["targets"]
        check(t["total"] == total and t["blocklisted"] == blocked and 0 < t["scanned"] < 100,
              f"{targets} {extra}: summary targets {t}, want total {total} blocklisted {blocked}")
        print(f"{' '.join(targets)} {' '.join(extra)}: summary {t}")
    shutil.rmtree(tmp, ignore_errors=True)
    for f in fails:
        print("FAIL: " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
