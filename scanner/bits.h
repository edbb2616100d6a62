/*
 * scanner/bits.h - small arithmetic helpers shared by the scanner's units.
 * Threading: pure. Hot path: setup only.
 */
#ifndef FCRSCAN_SCANNER_BITS_H
#define FCRSCAN_SCANNER_BITS_H

#include <stddef.h>

/* The smallest power of two >= n (1 for 0). */
static inline size_t scan_pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

#endif
