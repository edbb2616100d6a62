#!/usr/bin/python3
"""docs/test-cases.md S05 through the binary: hostile arguments.

- a format string as an option value and as a target ('%n%s%x'): a usage
  error (exit 2) that echoes it literally, never interpreted;
- a 120 KB argument (the kernel caps one at 128 KiB; target, option value,
  file name): exit 2, and stderr
  stays small (each echo is cut to a bounded length);
- invalid UTF-8 and terminal escapes in a target and in a file name:
  exit 2, and no raw control byte reaches stderr;
- the same bytes in an input file's name given with --dry-run: "cannot
  open" with the name escaped.
Nothing is sent: every run ends before the first query.
Usage: test_args.py FCRSCAN
"""

import subprocess
import sys

BIN = sys.argv[1]
fails = []


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, timeout=60)


def check(ok, what):
    if not ok:
        fails.append(what)


def no_raw_controls(b):
    return not any(c < 0x20 and c not in (0x0A,) for c in b)


fmt = "%n%s%x%p"
r = run("--rate", fmt, "192.0.2.1")
check(r.returncode == 2, "format string as --rate: exit %d" % r.returncode)
check(fmt.encode() in r.stderr, "format string not echoed literally: %r" % r.stderr)
r = run("--no-default-blocklist", "-r", "127.0.0.1:1", "--dry-run", fmt)
check(r.returncode == 2 and fmt.encode() in r.stderr,
      "format string as a target: exit %d %r" % (r.returncode, r.stderr[:200]))

# One argument is at most 128 KiB (MAX_ARG_STRLEN): as long as the kernel allows.
big = "1" * 120000
for args in (["--dry-run", big], ["--rate", big, "192.0.2.1"], ["--dry-run", "-i", big]):
    r = run(*args)
    check(r.returncode == 2, "long argument %s: exit %d" % (args[0:2] if len(args) < 3 else args[:2], r.returncode))
    check(len(r.stderr) < 4096, "long argument echoed at length %d" % len(r.stderr))

hostile = b"\xff\xfe\x1b[2J\x07bad\xc3(".decode("utf-8", "surrogateescape")
r = run("--dry-run", hostile)
check(r.returncode == 2, "invalid UTF-8 target: exit %d" % r.returncode)
check(no_raw_controls(r.stderr), "raw control bytes on stderr: %r" % r.stderr)
r = run("--dry-run", "-i", "/nonexistent/" + hostile)
check(r.returncode == 2, "hostile file name: exit %d" % r.returncode)
check(no_raw_controls(r.stderr), "raw control bytes on stderr for a file name: %r" % r.stderr)

if fails:
    for f in fails:
        print("args:", f, file=sys.stderr)
    sys.exit(1)
print("args: format strings echoed literally, long arguments cut, hostile bytes escaped")
