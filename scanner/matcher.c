/* Lock-free building blocks of the scan; see matcher.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/matcher.h"

static size_t pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

/* ---- MPMC queue ------------------------------------------------------------
 * Dmitry Vyukov's bounded queue: each cell carries a sequence number that
 * tells producers and consumers whose turn it is, so both sides only CAS
 * their own position counter. */

int scan_idxq_init(struct scan_idxq *q, size_t cap)
{
    cap = pow2_at_least(cap < 2 ? 2 : cap);
    q->cells = calloc(cap, sizeof(q->cells[0]));
    if (q->cells == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < cap; i++)
        atomic_init(&q->cells[i].seq, i);
    q->mask = cap - 1;
    atomic_init(&q->head, 0);
    atomic_init(&q->tail, 0);
    return 0;
}

void scan_idxq_fini(struct scan_idxq *q)
{
    free(q->cells);
    q->cells = NULL;
}

bool scan_idxq_push(struct scan_idxq *q, uint32_t v)
{
    uint64_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
    for (;;) {
        struct scan_idxq_cell *c = &q->cells[pos & q->mask];
        uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        int64_t dif = (int64_t)(seq - pos);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->tail, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                c->value = v;
                atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
                return true;
            }
        } else if (dif < 0) {
            return false;
        } else {
            pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
        }
    }
}

bool scan_idxq_pop(struct scan_idxq *q, uint32_t *v)
{
    uint64_t pos = atomic_load_explicit(&q->head, memory_order_relaxed);
    for (;;) {
        struct scan_idxq_cell *c = &q->cells[pos & q->mask];
        uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        int64_t dif = (int64_t)(seq - (pos + 1));
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->head, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                *v = c->value;
                atomic_store_explicit(&c->seq, pos + q->mask + 1, memory_order_release);
                return true;
            }
        } else if (dif < 0) {
            return false;
        } else {
            pos = atomic_load_explicit(&q->head, memory_order_relaxed);
        }
    }
}

size_t scan_idxq_count(const struct scan_idxq *q)
{
    uint64_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    uint64_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    return t > h ? (size_t)(t - h) : 0;
}

/* ---- SPSC line ring ----------------------------------------------------------
 * Each line is stored as a 4-octet length and its bytes, wrapping around the
 * buffer end byte by byte; positions grow without bound and are masked. */

int scan_lines_init(struct scan_lines *r, size_t cap)
{
    r->cap = pow2_at_least(cap < 4096 ? 4096 : cap);
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
    while (head < tail) {
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

/* ---- hash index ----------------------------------------------------------------
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
    size_t buckets = pow2_at_least((2 * nb + SCAN_HINDEX_WAYS - 1) / SCAN_HINDEX_WAYS);
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

unsigned scan_hindex_find(const struct scan_hindex *h, uint64_t hash, uint32_t *refs, unsigned cap)
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
            if (c != 0 && (c & 0xFFFFFFFF00000000ull) == tag)
                refs[n++] = (uint32_t)(c & 0xFFFFFFFFu) - 1u;
        }
    }
    return n;
}

/* ---- epochs ----------------------------------------------------------------------
 * A worker publishes the global epoch when it enters a section and
 * SCAN_EPOCH_QUIET when it leaves. The global epoch advances only when every
 * active worker has seen the current one; something retired at epoch r was
 * unreachable for anyone entering after r, so at r + 2 no worker can still
 * hold it. */

void scan_epoch_init(struct scan_epoch *e, unsigned nb_workers)
{
    atomic_init(&e->global, 2);
    e->nb_workers = nb_workers;
    for (unsigned i = 0; i < SCAN_EPOCH_WORKERS; i++)
        atomic_init(&e->worker[i].local, SCAN_EPOCH_QUIET);
}

void scan_epoch_enter(struct scan_epoch *e, unsigned w)
{
    uint64_t g = atomic_load_explicit(&e->global, memory_order_relaxed);
    /* seq_cst: the announcement must be visible before any slot is read. */
    atomic_store_explicit(&e->worker[w].local, g, memory_order_seq_cst);
}

void scan_epoch_exit(struct scan_epoch *e, unsigned w)
{
    atomic_store_explicit(&e->worker[w].local, SCAN_EPOCH_QUIET, memory_order_release);
}

uint64_t scan_epoch_advance(struct scan_epoch *e)
{
    uint64_t g = atomic_load_explicit(&e->global, memory_order_seq_cst);
    for (unsigned i = 0; i < e->nb_workers; i++) {
        uint64_t l = atomic_load_explicit(&e->worker[i].local, memory_order_seq_cst);
        if (l != SCAN_EPOCH_QUIET && l != g)
            return g;
    }
    atomic_compare_exchange_strong_explicit(&e->global, &g, g + 1, memory_order_acq_rel,
                                            memory_order_relaxed);
    return atomic_load_explicit(&e->global, memory_order_acquire);
}

int scan_limbo_init(struct scan_limbo *l, size_t cap)
{
    l->cap = pow2_at_least(cap < 2 ? 2 : cap);
    l->ref = calloc(l->cap, sizeof(l->ref[0]));
    l->epoch = calloc(l->cap, sizeof(l->epoch[0]));
    l->head = l->tail = 0;
    if (l->ref == NULL || l->epoch == NULL) {
        scan_limbo_fini(l);
        return -ENOMEM;
    }
    return 0;
}

void scan_limbo_fini(struct scan_limbo *l)
{
    free(l->ref);
    free(l->epoch);
    l->ref = NULL;
    l->epoch = NULL;
}

bool scan_limbo_put(struct scan_limbo *l, uint32_t ref, uint64_t epoch)
{
    if (l->tail - l->head == l->cap)
        return false;
    l->ref[l->tail & (l->cap - 1)] = ref;
    l->epoch[l->tail & (l->cap - 1)] = epoch;
    l->tail++;
    return true;
}

bool scan_limbo_get(struct scan_limbo *l, const struct scan_epoch *e, uint32_t *ref)
{
    if (l->head == l->tail || !scan_epoch_safe(e, l->epoch[l->head & (l->cap - 1)]))
        return false;
    *ref = l->ref[l->head & (l->cap - 1)];
    l->head++;
    return true;
}
