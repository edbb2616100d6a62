/*
 * scanner/lines.h - SPSC ring of length-prefixed output lines.
 *
 * Purpose: one per producing worker; formatted rows go in, the writer thread
 * takes whole lines out, so a row is never split and producers never meet.
 * Threading: one producer thread, one consumer thread. Memory: the buffer is
 * allocated once by scan_lines_init. Hot path: once per row.
 */
#ifndef FCRSCAN_SCANNER_LINES_H
#define FCRSCAN_SCANNER_LINES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scan_lines {
    char *buf;
    size_t cap;                       /* power of two */
    _Alignas(64) _Atomic size_t head; /* consumer position */
    _Alignas(64) _Atomic size_t tail; /* producer position */
};

__attribute__((warn_unused_result)) int scan_lines_init(struct scan_lines *r, size_t cap);
void scan_lines_fini(struct scan_lines *r);
/* Producer: append one line (len <= cap/2). False when there is no room now. */
bool scan_lines_put(struct scan_lines *r, const char *line, size_t len);
/*
 * Consumer: copy the oldest whole lines, without their length prefixes, into
 * out (at most out_cap octets; a line is never cut) and consume them.
 * Returns the octets copied: 0 when empty, and also while the oldest line is
 * longer than out_cap, so give out_cap >= cap / 2.
 */
size_t scan_lines_take(struct scan_lines *r, char *out, size_t out_cap);
bool scan_lines_empty(struct scan_lines *r);

#endif
