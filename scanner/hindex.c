/* scanner/hindex.c - see hindex.h. */
#include <errno.h>
#include <stdlib.h>

#include "scanner/bits.h"
#include "scanner/hindex.h"

/*
 * A cell holds (tag << 32) | (ref + 1); 0 is empty. The tag is the upper
 * half of the key hash, the two buckets come from the lower half, so a
 * candidate almost always is the entry sought and the caller's key compare
 * rarely fails. */

static uint64_t bucket1(const struct scan_hindex *h, uint64_t hash)
{
    return hash & h->bucket_mask;
}

static uint64_t bucket2(const struct scan_hindex *h, uint64_t hash)
{
    /* A second, different function of the hash (the tag mixed in). */
    uint64_t x = (hash >> 32) * 0x9E3779B97F4A7C15ull ^ (hash >> 17);
    return x & h->bucket_mask;
}

static uint64_t cell_value(uint64_t hash, uint32_t ref)
{
    return (hash & 0xFFFFFFFF00000000ull) | ((uint64_t)ref + 1u);
}

int scan_hindex_init(struct scan_hindex *h, size_t nb)
{
    size_t buckets = scan_pow2_at_least((2 * nb + SCAN_HINDEX_WAYS - 1) / SCAN_HINDEX_WAYS);
    if (buckets < 2)
        buckets = 2;
    h->cells = calloc(buckets * SCAN_HINDEX_WAYS, sizeof(h->cells[0]));
    if (h->cells == NULL)
        return -ENOMEM;
    h->bucket_mask = buckets - 1;
    return 0;
}

void scan_hindex_fini(struct scan_hindex *h)
{
    free(h->cells);
    h->cells = NULL;
}

static unsigned bucket_load(const struct scan_hindex *h, uint64_t b)
{
    unsigned n = 0;
    for (unsigned i = 0; i < SCAN_HINDEX_WAYS; i++)
        n += atomic_load_explicit(&h->cells[b * SCAN_HINDEX_WAYS + i], memory_order_relaxed) != 0;
    return n;
}

static bool bucket_insert(struct scan_hindex *h, uint64_t b, uint64_t v)
{
    for (unsigned i = 0; i < SCAN_HINDEX_WAYS; i++) {
        _Atomic uint64_t *c = &h->cells[b * SCAN_HINDEX_WAYS + i];
        uint64_t expect = 0;
        if (atomic_load_explicit(c, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_strong_explicit(c, &expect, v, memory_order_release,
                                                    memory_order_relaxed))
            return true;
    }
    return false;
}

bool scan_hindex_insert(struct scan_hindex *h, uint64_t hash, uint32_t ref)
{
    uint64_t v = cell_value(hash, ref);
    uint64_t b1 = bucket1(h, hash), b2 = bucket2(h, hash);
    /* Two choices, the emptier first, keep the fullest bucket short. */
    if (bucket_load(h, b2) < bucket_load(h, b1)) {
        uint64_t t = b1;
        b1 = b2;
        b2 = t;
    }
    return bucket_insert(h, b1, v) || bucket_insert(h, b2, v);
}

void scan_hindex_remove(struct scan_hindex *h, uint64_t hash, uint32_t ref)
{
    uint64_t v = cell_value(hash, ref);
    const uint64_t bs[2] = { bucket1(h, hash), bucket2(h, hash) };
    for (unsigned k = 0; k < 2; k++) {
        for (unsigned i = 0; i < SCAN_HINDEX_WAYS; i++) {
            uint64_t expect = v;
            if (atomic_compare_exchange_strong_explicit(&h->cells[bs[k] * SCAN_HINDEX_WAYS + i],
                                                        &expect, 0, memory_order_release,
                                                        memory_order_relaxed))
                return;
        }
    }
}

void scan_hindex_buckets(const struct scan_hindex *h, uint64_t hash, uint64_t out[2])
{
    out[0] = bucket1(h, hash);
    out[1] = bucket2(h, hash);
}

/* The refs of the cells in hash's two buckets: those carrying its tag, or
 * every occupied one (any_tag). */
static unsigned collect(const struct scan_hindex *h, uint64_t hash, bool any_tag, uint32_t *refs,
                        unsigned cap)
{
    uint64_t tag = hash & 0xFFFFFFFF00000000ull;
    const uint64_t bs[2] = { bucket1(h, hash), bucket2(h, hash) };
    unsigned n = 0;
    for (unsigned k = 0; k < 2 && n < cap; k++) {
        if (k == 1 && bs[1] == bs[0])
            break;
        for (unsigned i = 0; i < SCAN_HINDEX_WAYS && n < cap; i++) {
            uint64_t c =
                atomic_load_explicit(&h->cells[bs[k] * SCAN_HINDEX_WAYS + i], memory_order_acquire);
            if (c != 0 && (any_tag || (c & 0xFFFFFFFF00000000ull) == tag))
                refs[n++] = (uint32_t)(c & 0xFFFFFFFFu) - 1u;
        }
    }
    return n;
}

unsigned scan_hindex_occupants(const struct scan_hindex *h, uint64_t hash, uint32_t *refs,
                               unsigned cap)
{
    return collect(h, hash, true, refs, cap);
}

unsigned scan_hindex_find(const struct scan_hindex *h, uint64_t hash, uint32_t *refs, unsigned cap)
{
    return collect(h, hash, false, refs, cap);
}
