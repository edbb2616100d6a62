/*
 * scanner/fwd.c - the forward-name table: one A/AAAA lookup per name,
 * shared by every target whose PTR answer names it (dedup).
 *
 * An entry has a reference count (one per target holding it, FWD_EVICTING
 * once it is being removed) and a Treiber stack of waiting (target, name)
 * pairs. Completing an entry closes the stack with one atomic exchange and
 * counts each waiter's outstanding lookups down. An entry whose last target
 * is done stays in the index as a cached answer (on the idle list) until
 * the allocator needs room; a temporary failure is not cached.
 *
 * A lookup asks the targets' family first (A for IPv4 targets); NODATA
 * there asks the other family once (phase 2), to tell wrong-family from
 * dangling (docs/output.md).
 */
#include <string.h>

#include "scanner/scan_internal.h"

/* The packet path: no allocation, no stdio (messages go through scan_notices). */
#pragma GCC poison malloc calloc realloc free strdup fprintf printf fputs puts perror

static uint16_t fwd_qtype(struct scan *s, uint32_t ref, bool phase2)
{
    bool v6 = (scan_fwd_of(s, ref)->family == PKT_ADDR_V6) != phase2;
    return v6 ? PKT_DNS_TYPE_AAAA : PKT_DNS_TYPE_A;
}

bool scan_fwd_has_addr(const struct fwd *f, const struct pkt_addr *ip)
{
    if (f->addr_family != ip->family)
        return false;
    size_t n = pkt_addr_len(ip);
    for (unsigned i = 0; i < f->nb_addr; i++)
        if (memcmp(f->addr[i], ip->bytes, n) == 0)
            return true;
    return false;
}

void scan_fwd_unref(struct scan *s, struct worker *w, uint32_t ref)
{
    struct fwd *f = scan_fwd_of(s, ref);
    uint32_t r = atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel);
    if (r != 1)
        return;
    /* Unused now. A private holder goes, and so does a temporary failure
     * (the next target asks again); an answer stays cached until the
     * allocator needs room (scan_fwd_evict_idle). */
    bool keep = !f->noquery && scan_qs_q(atomic_load(&f->l.state)) == SCAN_Q_DONE &&
                f->outcome != SCAN_OUTCOME_TEMP && f->outcome != OUTCOME_ABORT &&
                f->other_outcome != OUTCOME_ABORT &&
                (f->outcome != SCAN_OUTCOME_NODATA || f->other_outcome != SCAN_OUTCOME_TEMP);
    if (!keep) {
        uint32_t zero = 0;
        if (atomic_compare_exchange_strong(&f->refs, &zero, FWD_EVICTING)) {
            if (!f->noquery)
                scan_hindex_remove(&s->index, f->l.hkey, ref);
            scan_retire(s, w, ref);
        }
        return;
    }
    if (atomic_exchange(&f->in_idle, 1) == 0 && !scan_idxq_push(&s->fwd_idle, ref))
        atomic_store(&f->in_idle, 0);
}

/* Evict indexed entry ref if its reference count is exactly refs (refs ->
 * EVICTING: nobody can take it any more): out of the index, retired. */
static bool fwd_evict_at(struct scan *s, struct worker *w, uint32_t ref, uint32_t refs)
{
    struct fwd *f = scan_fwd_of(s, ref);
    if (!atomic_compare_exchange_strong(&f->refs, &refs, FWD_EVICTING))
        return false;
    scan_hindex_remove(&s->index, f->l.hkey, ref);
    scan_retire(s, w, ref);
    return true;
}

bool scan_fwd_withdraw(struct scan *s, struct worker *w, uint32_t ref)
{
    return fwd_evict_at(s, w, ref, 1);
}

/* Forward entry finished (state already DONE): wake every waiting target. */
static void fwd_complete(struct scan *s, struct worker *w, uint32_t ref)
{
    struct fwd *f = scan_fwd_of(s, ref);
    scan_recent_put(s, f->l.hkey, fp_load(&f->l.fp));
    uint64_t head = atomic_exchange_explicit(&f->waiters, WAIT_CLOSED, memory_order_acq_rel);
    while (head != 0 && head != WAIT_CLOSED) {
        uint32_t node = (uint32_t)(head - 1);
        uint32_t ti = node / STATS_NAMES_MAX;
        head = scan_tgt_of(s, ti)->wnext[node % STATS_NAMES_MAX];
        scan_tgt_countdown(s, w, ti);
    }
}

void scan_fwd_wait(struct scan *s, struct worker *w, uint32_t ti, unsigned i, uint32_t ref)
{
    struct fwd *f = scan_fwd_of(s, ref);
    uint64_t node = (uint64_t)ti * STATS_NAMES_MAX + i + 1;
    uint64_t head = atomic_load_explicit(&f->waiters, memory_order_acquire);
    for (;;) {
        if (head == WAIT_CLOSED) {
            /* Already answered: nothing to wait for. */
            scan_tgt_countdown(s, w, ti);
            return;
        }
        scan_tgt_of(s, ti)->wnext[i] = (uint32_t)head;
        if (atomic_compare_exchange_weak_explicit(&f->waiters, &head, node, memory_order_acq_rel,
                                                  memory_order_acquire))
            return;
    }
}

/* Allocate a forward entry. RX/TCP. */
static bool fwd_alloc(struct scan *s, uint32_t *ref_out)
{
    uint32_t idx;
    if (!scan_idxq_pop(&s->fwd_free, &idx))
        return false;
    struct fwd *f = &s->fwds[idx];
    uint32_t st = atomic_load(&f->l.state);
    atomic_store(&f->l.state, scan_qs_make((scan_qs_gen(st) + 1) & 0xFFFFFF, SCAN_Q_IDLE));
    atomic_store(&f->refs, 1);
    atomic_store(&f->waiters, 0);
    atomic_store(&f->l.queries, 0);
    atomic_store(&f->l.nocase, 0);
    atomic_store(&f->l.temp_reason, 0);
    atomic_store(&f->l.temp_rcode, -1);
    atomic_store(&f->in_idle, 0);
    f->noquery = false;
    f->outcome = f->other_outcome = SCAN_OUTCOME_TEMP;
    f->reason = f->other_reason = STATS_REASON_OTHER;
    f->cname = f->truncated = false;
    f->nb_addr = 0;
    f->addrs_cut = false;
    f->addr_family = 0;
    fp_store(&f->l.fp, 0);
    *ref_out = idx | SCAN_REF_FWD;
    return true;
}

/* Take a reference on a live, indexed forward entry unless it is going. */
static bool fwd_try_ref(struct fwd *f)
{
    uint32_t r = atomic_load_explicit(&f->refs, memory_order_acquire);
    while (r != FWD_EVICTING) {
        if (atomic_compare_exchange_weak_explicit(&f->refs, &r, r + 1, memory_order_acq_rel,
                                                  memory_order_acquire))
            return true;
    }
    return false;
}

static bool fwd_is(const struct fwd *f, uint64_t h, const uint8_t *name, uint8_t len)
{
    return f->l.hkey == h && f->l.qname_len == len && memcmp(f->name, name, len) == 0;
}

bool scan_fwd_get(struct scan *s, struct worker *w, const uint8_t *name, uint8_t len,
                  uint8_t family, uint32_t *ref, bool *created)
{
    uint64_t h = scan_nethash_name(&s->nethash, name, len, family);
    uint32_t cand[CAND_MAX];
    unsigned n = scan_hindex_find(&s->index, h, cand, CAND_MAX);
    for (unsigned i = 0; i < n; i++) {
        if (!(cand[i] & SCAN_REF_FWD))
            continue;
        struct fwd *f = scan_fwd_of(s, cand[i]);
        if (fwd_is(f, h, name, len) && f->family == family && fwd_try_ref(f)) {
            /* Re-check: the slot may have been re-keyed between compare and ref. */
            if (fwd_is(f, h, name, len)) {
                *ref = cand[i];
                *created = false;
                return true;
            }
            scan_fwd_unref(s, w, cand[i]);
        }
    }
    if (!fwd_alloc(s, ref))
        return false;
    struct fwd *f = scan_fwd_of(s, *ref);
    f->family = family;
    f->l.qname_len = len;
    memcpy(f->name, name, len);
    f->l.hkey = h;
    if (!scan_hindex_insert(&s->index, h, *ref) &&
        !(scan_fwd_make_room(s, w, h) && scan_hindex_insert(&s->index, h, *ref))) {
        /* Both buckets full of running lookups: the PTR answer waits (its
         * query stays pending; a retry asks again). */
        cnt_add(&w->c.index_full, 1);
        atomic_store(&f->refs, FWD_EVICTING);
        scan_retire(s, w, *ref);
        return false;
    }
    *created = true;
    return true;
}

bool scan_fwd_make_room(struct scan *s, struct worker *w, uint64_t hash)
{
    uint32_t refs[CAND_MAX];
    unsigned n = scan_hindex_occupants(&s->index, hash, refs, CAND_MAX);
    bool freed = false;
    for (unsigned i = 0; i < n; i++) {
        if (!(refs[i] & SCAN_REF_FWD))
            continue;
        /* Only a cached answer nobody holds (refs 0) may go. */
        if (fwd_evict_at(s, w, refs[i], 0))
            freed = true;
    }
    return freed;
}

void scan_fwd_evict_idle(struct scan *s, struct worker *w)
{
    size_t low = s->nb_fwds / 8;
    unsigned budget = 256;
    uint32_t ref;
    while (budget-- > 0 && scan_idxq_count(&s->fwd_free) < low &&
           scan_idxq_pop(&s->fwd_idle, &ref)) {
        struct fwd *f = scan_fwd_of(s, ref);
        atomic_store(&f->in_idle, 0);
        /* In use again: it re-enters the idle list later. */
        (void)fwd_evict_at(s, w, ref, 0);
    }
}

bool scan_fwd_private(struct scan *s, const uint8_t *name, uint8_t len, uint32_t *ref)
{
    if (!fwd_alloc(s, ref))
        return false;
    struct fwd *f = scan_fwd_of(s, *ref);
    f->noquery = true;
    f->l.qname_len = len;
    memcpy(f->name, name, len);
    f->l.hkey = 0;
    atomic_store(&f->waiters, WAIT_CLOSED);
    return true;
}

void scan_fwd_start(struct scan *s, uint32_t ref)
{
    struct fwd *f = scan_fwd_of(s, ref);
    uint32_t g = scan_qs_gen(atomic_load(&f->l.state));
    atomic_store(&f->l.state, scan_qs_pending_make(g, 0, false));
    scan_request_send(s, ref, g);
}

/* Store a forward answer's addresses of family fam. */
static void fwd_store_addrs(struct fwd *f, const struct pkt_dns_reply *r, uint8_t fam)
{
    f->addr_family = fam;
    f->nb_addr = (uint8_t)(r->nb_addr < FWD_ADDRS_MAX ? r->nb_addr : FWD_ADDRS_MAX);
    f->addrs_cut = r->nb_addr_total > f->nb_addr;
    for (unsigned i = 0; i < f->nb_addr; i++)
        memcpy(f->addr[i], r->addr[i], 16);
}

/*
 * A phase of the lookup ended (state DONE, owned). With a reply: its
 * outcome and addresses; NODATA of the first phase moves on to the other
 * family instead of completing. Without (timeout, abort, TCP failure,
 * truncated with --no-tcp): the phase's failure.
 */
static void fwd_done(struct scan *s, struct worker *w, uint32_t ref, const struct scan_ended *e)
{
    struct fwd *f = scan_fwd_of(s, ref);
    const struct pkt_dns_reply *r = e->r;
    if (e->truncated)
        f->truncated = true;
    if (r != NULL && r->nb_hops > 0)
        f->cname = true;
    if (e->phase2) {
        f->other_outcome = e->outcome;
        f->other_reason = e->reason;
    } else {
        f->outcome = e->outcome;
        f->reason = e->reason;
    }
    if (r != NULL && e->outcome == SCAN_OUTCOME_ANSWER)
        fwd_store_addrs(f, r, r->qtype == PKT_DNS_TYPE_AAAA ? PKT_ADDR_V6 : PKT_ADDR_V4);
    if (r != NULL && !e->phase2 && e->outcome == SCAN_OUTCOME_NODATA) {
        /* NODATA in the target's family: ask the other family to tell
         * wrong-family from dangling (docs/output.md). */
        uint32_t gen = scan_qs_gen(atomic_load(&f->l.state));
        atomic_store(&f->l.nocase, 0);
        atomic_store(&f->l.temp_reason, 0);
        atomic_store(&f->l.temp_rcode, -1);
        atomic_store(&f->l.state, scan_qs_pending_make(gen, 0, true));
        scan_request_send(s, ref, gen);
        return;
    }
    fwd_complete(s, w, ref);
}

const struct scan_lookup_ops scan_fwd_ops = {
    .qtype = fwd_qtype,
    .done = fwd_done,
};
