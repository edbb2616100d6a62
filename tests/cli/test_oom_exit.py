#!/usr/bin/python3
"""Out of memory while reading targets is a run-time failure (exit 1), also
when a malformed line comes after it; only malformed input alone is a usage
error (exit 2). The errors of the target files are not ORed together: with
negative errno values, -ENOMEM | -EINVAL is -2, neither of them, and the
run used to exit 2 on a failed allocation.

Every allocation of a --dry-run over two target files (many distinct
addresses, so the interval lists grow; then a file with one bad line) is
failed in turn with the LD_PRELOAD shim of tests/preload/failmalloc.c. A
run whose target parsing hit the failure ("out of memory" on stderr) must
exit 1; one that parsed everything must exit 2 naming the bad line.
Usage: test_oom_exit.py FCRSCAN LIBFCRFAULT_MALLOC.so
"""

import os
import subprocess
import sys
import tempfile

BIN, SHIM = sys.argv[1], sys.argv[2]

with tempfile.TemporaryDirectory() as d:
    many = os.path.join(d, "many.txt")
    bad = os.path.join(d, "bad.txt")
    with open(many, "w") as f:
        # 3000 intervals that never merge: the lists grow several times.
        for i in range(3000):
            f.write("10.%d.%d.1\n" % (i // 200, i % 200))
    with open(bad, "w") as f:
        f.write("192.0.2.300\n")
    args = [BIN, "--dry-run", "--no-default-blocklist", "-i", many, "-i", bad]
    log = os.path.join(d, "count.log")
    env = dict(os.environ, LD_PRELOAD=SHIM, FCRFAULT_MALLOC_LOG=log)
    base = subprocess.run(args, env=env, capture_output=True, text=True)
    if base.returncode != 2 or "bad.txt:1" not in base.stderr:
        sys.exit("without a failure: exit %d, want 2 naming bad.txt:1: %s"
                 % (base.returncode, base.stderr))
    calls = int(open(log).read().split()[-1])
    oom = usage = other = 0
    problems = []
    for n in range(1, calls + 1):
        env["FCRFAULT_MALLOC_FAIL"] = str(n)
        r = subprocess.run(args, env=env, capture_output=True, text=True)
        if "out of memory" in r.stderr:
            oom += 1
            if r.returncode != 1:
                problems.append("allocation %d: out of memory, exit %d (want 1)"
                                % (n, r.returncode))
        elif r.returncode == 2 and "bad.txt:1" in r.stderr:
            usage += 1
        elif r.returncode == 1 and r.stderr.strip():
            other += 1  # another clean failure (e.g. stdio)
        else:
            problems.append("allocation %d: exit %d: %s" % (n, r.returncode, r.stderr[-200:]))
    print("oom_exit: %d allocations failed in turn: %d out of memory (exit 1), %d still "
          "parsed everything (exit 2), %d other clean errors" % (calls, oom, usage, other))
    if oom == 0:
        problems.append("no allocation failure reached target parsing")
    for p in problems[:10]:
        print("oom_exit:", p, file=sys.stderr)
    sys.exit(1 if problems else 0)
