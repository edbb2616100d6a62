/*
 * scanner/query.c - a lookup's identity and its state transitions.
 *
 * Identity (RFC 5452): ID, source port and 0x20 case bits come from SipHash
 * over (qtype, attempt, qname) under the run's secret key; the resolver for
 * attempt a is a keyed per-name base plus a, so retries rotate over
 * resolvers, skipping those whose circuit breaker is open.
 *
 * Transitions: every change of a lookup's state word is a CAS here or in
 * the thread that owns the timer (tx.c). An answer is applied by
 * scan_lookup_answer (truncated: to TCP; SERVFAIL/REFUSED with another resolver
 * left: the next attempt at once; final: claim and end), and every ending,
 * whatever its cause, goes through scan_lookup_end to the kind's done().
 */
#include <sched.h>
#include <string.h>
#include <xxhash.h>

#include "scanner/scan_internal.h"

/* The packet path: no allocation, no stdio (messages go through scan_notices). */
#pragma GCC poison malloc calloc realloc free strdup fprintf printf fputs puts perror

/* ---- identity --------------------------------------------------------------- */

static uint64_t ident_hash(const struct scan_key *k, uint16_t qtype, unsigned attempt,
                           const uint8_t *qname, size_t len)
{
    uint8_t buf[3 + PKT_DNS_NAME_MAX];
    buf[0] = (uint8_t)(qtype >> 8);
    buf[1] = (uint8_t)qtype;
    buf[2] = (uint8_t)attempt;
    memcpy(buf + 3, qname, len);
    return scan_siphash(k, buf, 3 + len);
}

void scan_ident_make(const struct scan *s, uint16_t qtype, unsigned attempt, const uint8_t *qname,
                     size_t len, struct ident *out)
{
    const struct scan_config *cfg = s->cfg;
    uint64_t h = ident_hash(&cfg->key, qtype, attempt, qname, len);
    uint64_t base = ident_hash(&cfg->key, qtype, 0xFF, qname, len);
    /* The per-name base spreads names over resolvers; + attempt rotates. */
    out->resolver = (unsigned)((base + attempt) % cfg->nb_resolvers);
    unsigned fi = cfg->resolvers[out->resolver].addr.family == PKT_ADDR_V6 ? 1 : 0;
    out->id = (uint16_t)h;
    /* A socket pool offers its bound ports; a raw engine sends from any
     * port, so the whole unprivileged range is keyed (16 bits of entropy). */
    if (s->nb_ports[fi] > 0)
        out->port = s->ports[fi][(h >> 16) % s->nb_ports[fi]];
    else
        out->port = (uint16_t)(1024u + (unsigned)((h >> 16) % (65536u - 1024u)));
    out->case_bits = cfg->use_0x20 ? ident_hash(&s->key_case, qtype, attempt, qname, len) : 0;
}

bool scan_use_0x20(struct scan *s, unsigned resolver)
{
    return s->cfg->use_0x20 &&
           !atomic_load_explicit(&s->res_no0x20[resolver], memory_order_relaxed);
}

/* ---- circuit breaker (docs/test-cases.md L05) -------------------------------------
 * A resolver that lets SCAN_BREAKER_STREAK queries in a row time out with no
 * answer between is skipped for new queries (they go to the next resolver
 * whose breaker is closed) for one second, doubling with each reopening up
 * to 16 s; then queries flow again and the next streak reopens it. Any
 * answer closes it. With every breaker open, the keyed choice stands: a
 * lookup still gets its attempts (at most the retry cap) and ends as
 * tempfail/timeout. The choice is stored per attempt, so a reply is checked
 * against the resolver its attempt really went to. */
#define SCAN_BREAKER_OPEN_NS 1000000000ull

unsigned scan_resolver_pick(struct scan *s, unsigned keyed, uint64_t now)
{
    unsigned n = s->cfg->nb_resolvers;
    for (unsigned k = 0; k < n; k++) {
        unsigned r = (keyed + k) % n;
        if (atomic_load_explicit(&s->res_open_until[r], memory_order_relaxed) <= now)
            return r;
    }
    return keyed;
}

void scan_breaker_timeout(struct scan *s, struct worker *w, unsigned r)
{
    if (atomic_fetch_add(&s->res_streak[r], 1) + 1 < SCAN_BREAKER_STREAK ||
        atomic_load(&s->res_open_until[r]) > w->now_ns || s->cfg->nb_resolvers < 2)
        return;
    atomic_store(&s->res_streak[r], 0);
    unsigned opens = atomic_fetch_add(&s->res_opens[r], 1);
    atomic_store(&s->res_open_until[r],
                 w->now_ns + (SCAN_BREAKER_OPEN_NS << (opens < 4 ? opens : 4)));
    cnt_add(&w->c.breaker_opens, 1);
    /* Said once, by the main thread (scan.c: notices). */
    atomic_store_explicit(&s->res_warned[r], 1, memory_order_release);
}

void scan_breaker_answer(struct scan *s, unsigned r)
{
    if (atomic_load_explicit(&s->res_streak[r], memory_order_relaxed) != 0)
        atomic_store_explicit(&s->res_streak[r], 0, memory_order_relaxed);
    if (atomic_load_explicit(&s->res_open_until[r], memory_order_relaxed) != 0) {
        atomic_store(&s->res_open_until[r], 0);
        atomic_store(&s->res_opens[r], 0);
    }
}

unsigned scan_attempt_timeout_ms(unsigned first_ms, unsigned attempt)
{
    /* Doubling stops at SCAN_TIMEOUT_MAX_MS, or at the first timeout when
     * that is longer already (then every attempt waits that long). */
    uint64_t cap = first_ms > SCAN_TIMEOUT_MAX_MS ? first_ms : SCAN_TIMEOUT_MAX_MS;
    uint64_t t = (uint64_t)first_ms << (attempt > 16 ? 16 : attempt);
    return (unsigned)(t < cap ? t : cap);
}

/* ---- answers ------------------------------------------------------------------ */

uint64_t scan_reply_fp(const struct pkt_dns_reply *r)
{
    uint64_t fp = XXH3_64bits_withSeed(&r->rcode, sizeof(r->rcode), 1);
    for (unsigned i = 0; i < r->nb_ptr; i++) {
        uint8_t tmp[PKT_DNS_NAME_MAX];
        memcpy(tmp, r->ptr[i].wire, r->ptr[i].len);
        pkt_dns_name_lower(tmp, r->ptr[i].len);
        fp += XXH3_64bits(tmp, r->ptr[i].len);
    }
    for (unsigned i = 0; i < r->nb_addr; i++)
        fp += XXH3_64bits(r->addr[i], 16);
    return fp | 1;
}

static uint8_t rcode_reason(unsigned rcode)
{
    switch (rcode) {
    case PKT_DNS_RCODE_SERVFAIL:
        return STATS_REASON_SERVFAIL;
    case PKT_DNS_RCODE_REFUSED:
        return STATS_REASON_REFUSED;
    default:
        return STATS_REASON_OTHER;
    }
}

/* ANSWER / NODATA / NXDOMAIN / TEMP of a final reply (RFC 2308, RFC 6604:
 * after a CNAME the rcode speaks of the chain's last name). */
static uint8_t reply_outcome(const struct pkt_dns_reply *r, uint8_t *reason)
{
    *reason = STATS_REASON_NONE;
    if (r->rcode == PKT_DNS_RCODE_NXDOMAIN)
        return SCAN_OUTCOME_NXDOMAIN;
    if (r->rcode != PKT_DNS_RCODE_NOERROR) {
        *reason = rcode_reason(r->rcode);
        return SCAN_OUTCOME_TEMP;
    }
    bool any = r->qtype == PKT_DNS_TYPE_PTR ? r->nb_ptr_total > 0 : r->nb_addr_total > 0;
    return any ? SCAN_OUTCOME_ANSWER : SCAN_OUTCOME_NODATA;
}

void scan_recent_put(struct scan *s, uint64_t key, uint64_t fp)
{
    struct recent *r = &s->recent[key & (RECENT_SLOTS - 1)];
    atomic_store_explicit(&r->fp, fp, memory_order_relaxed);
    atomic_store_explicit(&r->key, key, memory_order_relaxed);
}

void scan_request_send(struct scan *s, uint32_t ref, uint32_t gen)
{
    uint32_t slot;
    while (!scan_idxq_pop(&s->txreq_free, &slot)) {
        if (atomic_load(&s->fatal))
            return;
        sched_yield();
    }
    s->txreqs[slot] = (struct txreq){ .ref = ref, .gen = gen };
    while (!scan_idxq_push(&s->txreq_q, slot))
        sched_yield();
}

void scan_lookup_end(struct scan *s, struct worker *w, uint32_t ref, const struct scan_ended *e)
{
    fp_store(&scan_lookup_of(s, ref)->fp, e->r != NULL ? scan_reply_fp(e->r) : FP_NONE);
    scan_lookup_ops_of(ref)->done(s, w, ref, e);
}

/* Claim ref's query (state st, or the TCP state the caller owns) for an
 * ending; false when someone else ended it first (then counted). */
static bool claim(struct scan *s, struct worker *w, uint32_t ref, uint32_t st,
                  const struct pkt_dns_reply *r, uint64_t key)
{
    struct scan_lookup *l = scan_lookup_of(s, ref);
    uint32_t want = st;
    if (atomic_compare_exchange_strong(&l->state, &want,
                                       scan_qs_make(scan_qs_gen(st), SCAN_Q_DONE)))
        return true;
    scan_count_ended(s, w, l, want, r, key);
    return false;
}

bool scan_lookup_answer(struct scan *s, struct worker *w, uint32_t ref, uint64_t key,
                        const struct pkt_dns_reply *r, int ri, uint16_t local_port, bool tcp,
                        uint32_t tcp_state, unsigned tcp_attempt)
{
    const struct scan_config *cfg = s->cfg;
    const struct scan_lookup_ops *ops = scan_lookup_ops_of(ref);
    struct scan_lookup *l = scan_lookup_of(s, ref);
    uint32_t st = atomic_load_explicit(&l->state, memory_order_acquire);
    unsigned attempt = tcp_attempt;
    bool phase2 = false;
    if (tcp) {
        if (st != tcp_state)
            return true;
        phase2 = (st & SCAN_Q_PHASE2) != 0;
    } else {
        unsigned cur;
        if (!scan_qs_pending(st, &cur, &phase2)) {
            scan_count_ended(s, w, l, st, r, key);
            return true;
        }
        /* The question type must be the one this phase asks. */
        if (r->qtype != ops->qtype(s, ref, phase2))
            return false;
        int a = scan_validate(s, w, l, st, r, ri, local_port);
        if (a < 0)
            return true;
        attempt = (unsigned)a;
        scan_breaker_answer(s, (unsigned)ri);
    }
    uint32_t gen = scan_qs_gen(st);

    /* Truncated: not final (RFC 7766). Move it to the TCP worker. */
    if (r->tc && !tcp) {
        if (cfg->no_tcp) {
            /* Without TCP a truncated answer can only end as a failure. */
            if (claim(s, w, ref, st, r, key)) {
                struct scan_ended e = { .outcome = SCAN_OUTCOME_TEMP,
                                        .reason = STATS_REASON_OTHER,
                                        .phase2 = phase2,
                                        .truncated = true,
                                        .rcode = (int)r->rcode };
                scan_lookup_end(s, w, ref, &e);
            }
            return true;
        }
        uint32_t tcp_st = scan_qs_make(gen, SCAN_Q_TCP | (phase2 ? SCAN_Q_PHASE2 : 0));
        uint32_t want = st;
        if (atomic_compare_exchange_strong(&l->state, &want, tcp_st))
            scan_tcp_queue(s, w, ref, tcp_st, attempt, ri, r);
        else
            scan_count_ended(s, w, l, want, r, key);
        return true;
    }

    uint8_t reason;
    uint8_t outcome = reply_outcome(r, &reason);
    /* SERVFAIL/REFUSED: another resolver may do better, if there is one. */
    if (outcome == SCAN_OUTCOME_TEMP && cfg->nb_resolvers > 1 && attempt < cfg->retries && !tcp) {
        uint32_t next = scan_qs_pending_make(gen, attempt + 1, phase2);
        unsigned cur = 0;
        bool p2 = false;
        uint32_t want = st;
        if (scan_qs_pending(st, &cur, &p2) && cur == attempt &&
            atomic_compare_exchange_strong(&l->state, &want, next)) {
            /* Should the remaining attempts only time out (a silent
             * resolver), this is the more telling reason to end with. */
            atomic_store(&l->temp_reason, reason);
            atomic_store(&l->temp_rcode, (int16_t)r->rcode);
            scan_request_send(s, ref, gen);
        } else if (!scan_qs_pending(want, &cur, &p2))
            scan_count_ended(s, w, l, want, r, key);
        return true;
    }

    /* What the answer gives is gathered before the claim, so that a losing
     * claimer writes nothing into the lookup's slot. */
    _Alignas(16) uint8_t prep[SCAN_PREP_MAX];
    bool prepared = outcome == SCAN_OUTCOME_ANSWER && ops->prepare != NULL;
    if (prepared && !ops->prepare(s, w, ref, r, prep))
        return true; /* no room: stays pending, a retry asks again */
    if (!claim(s, w, ref, st, r, key)) {
        if (prepared)
            ops->unprepare(s, w, prep);
        return true;
    }
    struct scan_ended e = { .outcome = outcome,
                            .reason = reason,
                            .phase2 = phase2,
                            .truncated = tcp,
                            .rcode = (int)r->rcode,
                            .r = r,
                            .prep = prepared ? prep : NULL };
    scan_lookup_end(s, w, ref, &e);
    return true;
}
