/* scanner/lines.c - see lines.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/bits.h"
#include "scanner/lines.h"

/*
 * Each line is stored as a 4-octet length and its bytes, wrapping around the
 * buffer end byte by byte; positions grow without bound and are masked. */

int scan_lines_init(struct scan_lines *r, size_t cap)
{
    r->cap = scan_pow2_at_least(cap < 4096 ? 4096 : cap);
    r->buf = malloc(r->cap);
    if (r->buf == NULL)
        return -ENOMEM;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return 0;
}

void scan_lines_fini(struct scan_lines *r)
{
    free(r->buf);
    r->buf = NULL;
}

static void ring_copy_in(struct scan_lines *r, size_t pos, const void *src, size_t len)
{
    size_t off = pos & (r->cap - 1);
    size_t first = r->cap - off < len ? r->cap - off : len;
    memcpy(r->buf + off, src, first);
    memcpy(r->buf, (const char *)src + first, len - first);
}

static void ring_copy_out(const struct scan_lines *r, size_t pos, void *dst, size_t len)
{
    size_t off = pos & (r->cap - 1);
    size_t first = r->cap - off < len ? r->cap - off : len;
    memcpy(dst, r->buf + off, first);
    memcpy((char *)dst + first, r->buf, len - first);
}

bool scan_lines_put(struct scan_lines *r, const char *line, size_t len)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    uint32_t l32 = (uint32_t)len;
    if (len > r->cap / 2 || r->cap - (tail - head) < len + sizeof(l32))
        return false;
    ring_copy_in(r, tail, &l32, sizeof(l32));
    ring_copy_in(r, tail + sizeof(l32), line, len);
    atomic_store_explicit(&r->tail, tail + sizeof(l32) + len, memory_order_release);
    return true;
}

size_t scan_lines_take(struct scan_lines *r, char *out, size_t out_cap)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t n = 0;
    while (head != tail) {
        uint32_t l32;
        ring_copy_out(r, head, &l32, sizeof(l32));
        if (n + l32 > out_cap)
            break;
        ring_copy_out(r, head + sizeof(l32), out + n, l32);
        n += l32;
        head += sizeof(l32) + l32;
    }
    atomic_store_explicit(&r->head, head, memory_order_release);
    return n;
}

bool scan_lines_empty(struct scan_lines *r)
{
    return atomic_load_explicit(&r->head, memory_order_acquire) ==
           atomic_load_explicit(&r->tail, memory_order_acquire);
}
