#!/usr/bin/python3
"""docs/test-cases.md I01 through the binary: 0.0.0.0/0 in --dry-run.

- Not materialised: RSS stays within 2 MB from the 100,000th line to the
  end of a 3 s run (--max-runtime 3 ends it: exit 3, whole lines only);
- the first 10^6 addresses (fewer in a slow sanitizer build): valid, unique, none special-purpose (default
  blocklist on), in a shuffled order (not ascending, spread over the /8s);
  the stderr count of skipped addresses is the registries' exact size;
- the same --seed gives the same order, another seed another;
- every allowed address exactly once: 172.0.0.0/11 less 172.16.0.0/12
  (private) gives exactly the other 2^20 addresses.
Usage: test_dryrun_ipv4.py FCRSCAN
"""

import bisect
import ipaddress
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import specials  # noqa: E402

BIN = sys.argv[1]


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def first_lines(args, n):
    p = subprocess.Popen([BIN, "--dry-run"] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    out = [p.stdout.readline() for _ in range(n)]
    p.stdout.close()
    p.wait()
    return out


def main():
    fails = []
    specials_v4 = specials.nets(specials.V4)
    p = subprocess.Popen([BIN, "--dry-run", "--seed", "7", "--max-runtime", "3", "0.0.0.0/0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = []
    rss = []
    for i in range(1000000):
        line = p.stdout.readline()
        if not line:
            break
        lines.append(line)
        if i % 100000 == 0 and i > 0:
            rss.append(rss_kb(p.pid))
    rest = 0
    last = b"\n"
    t = time.monotonic()
    while True:
        b = p.stdout.read(1 << 20)
        if not b:
            break
        rest += b.count(b"\n")
        last = b[-1:]
        if time.monotonic() - t > 0.1:
            r = rss_kb(p.pid)
            if r:
                rss.append(r)
            t = time.monotonic()
    err = p.stderr.read().decode()
    rc = p.wait()
    total = len(lines) + rest
    if rc != 3:
        fails.append(f"--max-runtime 3: exit {rc}, want 3: {err}")
    if last != b"\n":
        fails.append("the output does not end with a whole line")
    if len(rss) < 3 or max(rss) - rss[0] > 2048:
        fails.append(f"RSS not flat: {rss}")
    m = re.search(r"skipping (\d+) blocklisted", err)
    want = specials.union_size(specials.V4)
    if not m or int(m.group(1)) != want:
        fails.append(f"skipped count: {m.group(1) if m else None}, want {want}")
    addrs = []
    for l in lines:
        try:
            addrs.append(ipaddress.IPv4Address(l.strip().decode()))
        except ValueError:
            fails.append(f"not an IPv4 address: {l!r}")
            break
    if len(set(addrs)) != len(addrs):
        fails.append(f"{len(addrs) - len(set(addrs))} duplicates in the first 10^6")
    starts = [int(n.network_address) for n in specials_v4]
    ends = [int(n.broadcast_address) for n in specials_v4]

    def is_special(a):
        i = bisect.bisect_right(starts, int(a)) - 1
        return i >= 0 and int(a) <= ends[i]

    special = [a for a in addrs if is_special(a)]
    if special:
        fails.append(f"{len(special)} special-purpose addresses printed, e.g. {special[:3]}")
    head = addrs[:10000]
    if head == sorted(head):
        fails.append("the first 10000 addresses are in ascending order")
    if len({int(a) >> 24 for a in head}) < 200:
        fails.append("the first 10000 addresses cover fewer than 200 /8s")
    print(f"0.0.0.0/0: {total} lines in 3 s, RSS {rss[0] if rss else 0}..{max(rss or [0])} kB, "
          f"{m.group(1) if m else '?'} skipped")

    a, b, c = (first_lines(["--seed", s, "0.0.0.0/0"], 10000) for s in ("11", "11", "12"))
    if a != b:
        fails.append("the same seed gave another order")
    if a == c:
        fails.append("another seed gave the same order")

    net = ipaddress.IPv4Network("172.0.0.0/11")
    out = subprocess.run([BIN, "--dry-run", "--seed", "9", str(net)], capture_output=True)
    seen = bytearray(net.num_addresses)
    base = int(net.network_address)
    n = dup = outside = 0
    for l in out.stdout.split(b"\n")[:-1]:
        x = int(ipaddress.IPv4Address(l.decode())) - base
        n += 1
        if not 0 <= x < len(seen):
            outside += 1
        elif seen[x]:
            dup += 1
        else:
            seen[x] = 1
    private = ipaddress.IPv4Network("172.16.0.0/12")
    poff = int(private.network_address) - base
    in_private = sum(seen[poff:poff + private.num_addresses])
    want_n = net.num_addresses - private.num_addresses
    if out.returncode != 0 or n != want_n or dup or outside or in_private:
        fails.append(f"172.0.0.0/11: exit {out.returncode}, {n} lines (want {want_n}), {dup} "
                     f"twice, {outside} outside, {in_private} blocklisted")
    else:
        print(f"172.0.0.0/11: each of the {want_n} allowed addresses exactly once")

    for f in fails:
        print("FAIL: " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
