/*
 * scanner/ptr.c - the PTR lookup of a target, as a kind of lookup.
 *
 * A target's PTR answer names up to STATS_NAMES_MAX hosts. Before the
 * answer is claimed (prepare), each distinct name gets a forward entry:
 * a running or cached lookup found in the index, a new one, or a private
 * holder for a name that is not asked (unusable, over --max-ptr). When the
 * PTR lookup ends (done), the target waits on every asked name; the target
 * counts its outstanding lookups down, and the thread that takes it to
 * zero writes its row (rows.c).
 */
#include <string.h>

#include "scanner/scan_internal.h"

/* The packet path: no allocation, no stdio (messages go through scan_notices). */
#pragma GCC poison malloc calloc realloc free strdup fprintf printf fputs puts perror

static uint16_t ptr_qtype(struct scan *s, uint32_t ref, bool phase2)
{
    (void)s;
    (void)ref;
    (void)phase2;
    return PKT_DNS_TYPE_PTR;
}

void scan_tgt_countdown(struct scan *s, struct worker *w, uint32_t ti)
{
    if (atomic_fetch_sub_explicit(&scan_tgt_of(s, ti)->outstanding, 1, memory_order_acq_rel) == 1)
        scan_row_finalize(s, w, ti);
}

/* Give back the references of the first nb entries of a set that will not
 * be used. An entry created here that nobody else holds is withdrawn
 * unasked; one that another target found in the index meanwhile is
 * started, since that target waits for it. */
static void ptr_set_release(struct scan *s, struct worker *w, struct ptr_set *ps, unsigned nb)
{
    for (unsigned k = 0; k < nb; k++) {
        if (ps->created[k]) {
            if (scan_fwd_withdraw(s, w, ps->refs[k]))
                continue;
            scan_fwd_start(s, ps->refs[k]);
        }
        scan_fwd_unref(s, w, ps->refs[k]);
    }
}

static void ptr_unprepare(struct scan *s, struct worker *w, void *prep)
{
    struct ptr_set *ps = prep;
    ptr_set_release(s, w, ps, ps->nb);
}

/* Collect the distinct PTR names of r for target ti into forward entries
 * (references taken). False when the forward table is full (all references
 * given back; the query stays pending). */
static bool ptr_prepare(struct scan *s, struct worker *w, uint32_t ti,
                        const struct pkt_dns_reply *r, void *prep)
{
    const struct scan_config *cfg = s->cfg;
    const struct tgt *t = scan_tgt_of(s, ti);
    struct ptr_set *ps = prep;
    unsigned nb = 0;
    uint8_t lower[STATS_NAMES_MAX][PKT_DNS_NAME_MAX];
    uint8_t lens[STATS_NAMES_MAX];
    for (unsigned i = 0; i < r->nb_ptr && nb < STATS_NAMES_MAX; i++) {
        const struct pkt_dns_name *n = &r->ptr[i];
        bool dup = false;
        for (unsigned k = 0; k < nb && !dup; k++)
            dup = pkt_dns_name_equal(lower[k], lens[k], n->wire, n->len);
        if (dup)
            continue;
        memcpy(lower[nb], n->wire, n->len);
        pkt_dns_name_lower(lower[nb], n->len);
        lens[nb] = n->len;
        nb++;
    }
    ps->nb = nb;
    ps->flags = 0;
    if (nb > 1)
        ps->flags |= STATS_FLAG_MULTI_PTR;
    if (nb > cfg->max_ptr || r->nb_ptr_total > r->nb_ptr)
        ps->flags |= STATS_FLAG_MULTI_PTR_OVER_LIMIT;
    for (unsigned i = 0; i < nb; i++) {
        bool unusable = false;
        ps->name_flags[i] =
            cfg->hooks.classify(cfg->hooks.ctx, lower[i], lens[i], &t->ip, &unusable);
        bool ok;
        ps->created[i] = false;
        if (unusable || i >= cfg->max_ptr)
            ok = scan_fwd_private(s, lower[i], lens[i], &ps->refs[i]);
        else
            ok = scan_fwd_get(s, w, lower[i], lens[i], t->ip.family, &ps->refs[i], &ps->created[i]);
        if (!ok) {
            ptr_set_release(s, w, ps, i);
            return false;
        }
    }
    return true;
}

/* The PTR lookup of target ti ended (state DONE, owned). */
static void ptr_done(struct scan *s, struct worker *w, uint32_t ti, const struct scan_ended *e)
{
    struct tgt *t = scan_tgt_of(s, ti);
    const struct ptr_set *ps = e->prep;
    t->ptr_outcome = e->outcome;
    t->ptr_reason = e->reason;
    t->ptr_rcode = (int16_t)e->rcode;
    if (e->truncated)
        t->flags |= STATS_FLAG_TRUNCATED;
    atomic_fetch_sub(&s->ptr_pending, 1);
    scan_recent_put(s, t->l.hkey, fp_load(&t->l.fp));
    /* RFC 2317: a chain in the reverse lookup, whatever it ended in. */
    if (e->r != NULL && e->r->nb_hops > 0)
        t->flags |= STATS_FLAG_CNAME_REVERSE;
    if (e->outcome != SCAN_OUTCOME_ANSWER || e->r == NULL || ps == NULL) {
        atomic_store(&t->outstanding, 1);
        scan_tgt_countdown(s, w, ti);
        return;
    }
    t->flags |= ps->flags;
    t->nb_names = (uint8_t)ps->nb;
    /* One for each looked-up name, plus a guard so no waiter can finish the
     * target before every name is registered. */
    atomic_store(&t->outstanding, 1);
    for (unsigned i = 0; i < ps->nb; i++) {
        t->name_ref[i] = ps->refs[i];
        t->name_flags[i] = ps->name_flags[i];
        if (scan_fwd_of(s, ps->refs[i])->noquery)
            continue;
        atomic_fetch_add(&t->outstanding, 1);
        if (ps->created[i])
            scan_fwd_start(s, ps->refs[i]);
        scan_fwd_wait(s, w, ti, i, ps->refs[i]);
    }
    scan_tgt_countdown(s, w, ti);
}

const struct scan_lookup_ops scan_ptr_ops = {
    .qtype = ptr_qtype,
    .prepare = ptr_prepare,
    .unprepare = ptr_unprepare,
    .done = ptr_done,
};
