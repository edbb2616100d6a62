/*
 * tests/packet/ref_csum.h - a naive RFC 1071 checksum, written apart from
 * packet/frame.c, for the frame and raw tests to check it against.
 */
#ifndef FCRSCAN_TESTS_REF_CSUM_H
#define FCRSCAN_TESTS_REF_CSUM_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i < len; i += 2) {
        uint32_t w = (uint32_t)p[i] << 8;
        if (i + 1 < len)
            w |= p[i + 1];
        sum += w;
    }
    return sum;
}

static inline uint16_t ref_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

#endif
