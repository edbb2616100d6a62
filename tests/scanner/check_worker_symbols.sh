#!/usr/bin/env bash
# The scan's worker threads (TX, RX, TCP, and the code they run) never
# write to stdio: messages reach the user through scan_notices on
# scan_run's thread (docs/test-cases.md, issue "a safe concurrency core").
# Fails when an object of those rooms imports a stdio output function.
#   check_worker_symbols.sh LIBFCRSCANNER.a
set -uo pipefail
lib=${1:?usage: check_worker_symbols.sh LIBFCRSCANNER.a}
rooms='(rx|tx|query|ptr|fwd|tcp|rows)\.c\.o'
stdio='(fprintf|printf|vfprintf|vprintf|puts|fputs|putchar|fputc|fwrite|perror|__fprintf_chk|__printf_chk|__vfprintf_chk)'
members=$(nm -A "$lib" 2>/dev/null | grep -cE "[:/]$rooms:")
[ "$members" -gt 0 ] || { echo "check_worker_symbols: no worker objects in $lib" >&2; exit 1; }
bad=$(nm -A --undefined-only "$lib" | grep -E "[:/]$rooms: +U $stdio\$")
if [ -n "$bad" ]; then
    echo "check_worker_symbols: worker code writes to stdio:" >&2
    echo "$bad" >&2
    exit 1
fi
echo "check_worker_symbols: rx, tx, query, ptr, fwd, tcp, rows import no stdio output"
