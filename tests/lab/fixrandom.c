/*
 * tests/lab/fixrandom.c - LD_PRELOAD shim for the lab's key case
 * (docs/test-cases.md M07; tests/lab/run t_key): getrandom() returns bytes
 * from a fixed stream instead of the kernel's, and every request is logged,
 * so the test knows the query key fcrscan drew and can look for it in what
 * the run wrote. Test-only; never linked into fcrscan.
 *
 *   FCRTEST_RANDOM_SEED  a number: the stream (splitmix64 of seed + call)
 *   FCRTEST_RANDOM_LOG   file: one line per call, "LEN HEX" of what it got
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

ssize_t getrandom(void *buf, size_t len, unsigned int flags);

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
    (void)flags;
    static uint64_t calls;
    const char *seed = getenv("FCRTEST_RANDOM_SEED");
    uint64_t s = (seed != NULL ? strtoull(seed, NULL, 0) : 1) ^ (++calls << 32);
    uint8_t *p = buf;
    uint64_t w = 0;
    for (size_t i = 0; i < len; i++) {
        if (i % 8 == 0)
            w = splitmix(&s);
        p[i] = (uint8_t)(w >> (8 * (i % 8)));
    }
    const char *log = getenv("FCRTEST_RANDOM_LOG");
    if (log != NULL) {
        int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) {
            char line[64 + 2 * 256];
            int n = snprintf(line, sizeof(line), "%zu ", len);
            for (size_t i = 0; i < len && i < 256; i++)
                n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", p[i]);
            line[n++] = '\n';
            (void)!write(fd, line, (size_t)n);
            close(fd);
        }
    }
    return (ssize_t)len;
}
