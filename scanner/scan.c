/*
 * The scan: TX, RX, TCP and writer threads around the lock-free matcher.
 *
 * A target lives in a target slot from admission to its record: its PTR
 * query state, the names its PTR answer gave and references to one forward
 * entry per name. A forward entry is one A/AAAA lookup shared by every target
 * whose PTR answer names it (dedup), with a Treiber stack of waiting
 * (target, name) pairs. Completing a forward entry closes its stack with one
 * atomic exchange and counts each waiter's outstanding lookups down; the
 * thread that takes a target to zero writes its record. Entries whose last
 * target is done stay in the index as a cache of answers until space is
 * needed.
 *
 * Slot references: a target slot is its index; a forward entry is its index
 * with SCAN_REF_FWD set. Both carry a generation in their query state word,
 * so a timer or a stale index cell for a recycled slot can never claim it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "packet/dns.h"
#include "packet/rev.h"
#include "scanner/matcher.h"
#include "scanner/privs.h"
#include "scanner/scan.h"
#include "scanner/verdict.h"

#define SCAN_REF_FWD        0x80000000u
#define FWD_EVICTING        UINT32_MAX
#define WAIT_CLOSED         UINT64_MAX
#define FWD_ADDRS_MAX       STATS_ADDRS_MAX /* addresses kept per forward answer */
#define TIMEOUT_MAX_MS      6000u
#define RECENT_SLOTS        65536u
#define SCAN_0X20_LOWER_MAX 8u /* lower-cased answers before a resolver counts as non-0x20 */
#define REQ_UDP             0u /* send the current attempt over UDP */

/* Workers: TX queues 0..nb_tx-1, then RX queues, then the TCP worker. Each
 * has its own counters, limbo list, line ring and epoch slot. */
#define W_MAX (PKT_ENGINE_TXQ_MAX + PKT_ENGINE_RXQ_MAX + 1)
_Static_assert(W_MAX <= SCAN_EPOCH_WORKERS, "an epoch slot per worker");

/* Internal outcome when a lookup was cut short by a stop: no record. */
#define OUTCOME_ABORT 0xFFu

struct tgt {
    _Atomic uint32_t state;                       /* PTR query */
    _Atomic uint32_t outstanding;                 /* forward lookups still running (+1 guard) */
    _Atomic uint32_t queries;                     /* PTR packets sent */
    _Atomic uint32_t nocase;                      /* bit a: attempt a went out without 0x20 */
    _Atomic uint8_t res_of[SCAN_RETRIES_MAX + 1]; /* resolver attempt a went to */
    _Atomic uint8_t temp_reason;                  /* SERVFAIL/REFUSED seen on an earlier attempt */
    struct pkt_addr ip;
    uint8_t rev_len;
    uint8_t rev[PKT_REV_V6_MAX];
    uint8_t ptr_outcome;
    uint8_t ptr_reason;
    int16_t ptr_rcode;
    uint8_t nb_names;
    bool aborted;
    uint32_t flags;
    uint64_t hkey;
    uint64_t fp;
    uint64_t t_start_ns;
    uint32_t name_ref[STATS_NAMES_MAX];
    uint32_t name_flags[STATS_NAMES_MAX];
    uint32_t wnext[STATS_NAMES_MAX]; /* waiter links, node + 1 */
};

struct fwd {
    _Atomic uint32_t state;
    _Atomic uint32_t refs;
    _Atomic uint64_t waiters; /* stack of (target * 32 + name) + 1, or WAIT_CLOSED */
    _Atomic uint32_t queries;
    _Atomic uint32_t nocase; /* bit a: attempt a (this phase) went out without 0x20 */
    _Atomic uint8_t res_of[SCAN_RETRIES_MAX + 1]; /* resolver attempt a (this phase) went to */
    _Atomic uint8_t temp_reason;                  /* SERVFAIL/REFUSED seen this phase */
    _Atomic uint8_t in_idle;
    uint8_t family; /* the targets' family: decides A or AAAA first */
    bool noquery;   /* holds an unusable / not evaluated name; not indexed */
    uint8_t name_len;
    uint8_t name[PKT_DNS_NAME_MAX]; /* lower case */
    uint64_t hkey;
    uint64_t fp;
    /* result, written before the waiter stack is closed */
    uint8_t outcome;
    uint8_t reason;
    uint8_t other_outcome;
    uint8_t other_reason;
    bool cname;
    bool truncated;
    uint8_t addr_family;
    uint8_t nb_addr;
    bool addrs_cut; /* the answer had more addresses than are kept here */
    uint8_t addr[FWD_ADDRS_MAX][16];
};

/* A send order from RX (forward lookups, immediate retries) to TX. */
struct txreq {
    uint32_t ref;
    uint32_t gen;
};

/* A truncated answer to re-ask over TCP; self-contained (no slot reads). */
struct tcpjob {
    uint32_t ref;
    uint32_t state; /* the SCAN_Q_TCP state word the job owns */
    unsigned attempt;
    unsigned resolver;
    uint16_t qtype;
    uint16_t id;
    uint8_t qname_len;
    uint8_t qname[PKT_DNS_NAME_MAX];
};

struct timer {
    uint32_t ref;
    uint32_t state; /* the pending state word the timer belongs to */
    uint64_t deadline_ns;
};

struct timerq {
    struct timer *t;
    size_t cap;
    size_t head;
    size_t tail;
};

struct recent {
    _Atomic uint64_t key;
    _Atomic uint64_t fp;
};

struct txbatch;

struct worker {
    struct stats_counters c;
    struct scan_limbo limbo;
    struct scan_lines lines;
    char *line_buf;
    uint64_t now_ns;
    int64_t wall_ms;
    struct scan *s;
    _Atomic int emitting; /* inside emit_enter .. row emitted and live cleared */
    unsigned id;          /* index in scan.w and the epoch */
    unsigned q;           /* engine queue (TX and RX workers) */
    /* TX workers only: retry timers, the batch being built, rate limiting
     * (token buckets, queries per second, this worker's share of the
     * rates) and a target taken from the hook but not admitted yet. */
    struct timerq timers[SCAN_RETRIES_MAX + 1]; /* one FIFO per attempt */
    struct txbatch *batch;
    _Atomic uint64_t admitted; /* one more than the last admitted position */
    double tokens;
    double res_tokens[SCAN_RESOLVERS_MAX];
    bool has_stash;
    struct pkt_addr stash;
    uint64_t stash_pos;
};

struct scan {
    const struct scan_config *cfg;
    struct pkt_engine *engine;
    struct scan_key key_case;
    struct tgt *tgts;
    struct fwd *fwds;
    uint32_t nb_tgts;
    uint32_t nb_fwds;
    struct scan_idxq tgt_free;
    struct scan_idxq fwd_free;
    struct scan_idxq fwd_idle;
    struct scan_hindex index;
    struct scan_epoch epoch;
    struct recent *recent;
    /* The query (ref + 1, 0: none) last sent with each DNS ID, so that a
     * reply whose question is none of ours can be recognised as carrying
     * a pending query's ID, port and source (M04). TX writes, RX reads. */
    _Atomic uint32_t *by_id;
    uint64_t *ck_pending; /* checkpoints: room for every target slot */
    /* Resume bookkeeping per target slot, compact so that a checkpoint
     * scans it fast: (TX worker << 56 | position) + 1 from admission until
     * the row is in a line ring, else 0 (an aborted target keeps it: it has
     * no row). */
    _Atomic uint64_t *live;
    struct worker w[W_MAX];
    unsigned nb_tx; /* TX workers: w[0 .. nb_tx-1] */
    unsigned nb_rx; /* RX workers: w[nb_tx .. nb_tx+nb_rx-1]; then TCP */
    unsigned nb_w;  /* nb_tx + nb_rx + 1 */
    /* RX/TCP -> TX send orders (any TX worker takes them); RX -> TCP jobs. */
    struct scan_idxq txreq_q; /* values index txreqs */
    struct txreq *txreqs;
    struct scan_idxq txreq_free;
    struct tcpjob *tcpjobs;
    struct scan_idxq tcpjob_q;
    struct scan_idxq tcpjob_free;
    uint16_t ports[2][PKT_ENGINE_PORTS_MAX];
    unsigned nb_ports[2];
    /* 0x20 per resolver: answers that echoed our case, lower-cased answers
     * that otherwise matched, and the verdict "does not do 0x20". */
    _Atomic uint8_t res_case_ok[SCAN_RESOLVERS_MAX];
    _Atomic uint32_t res_case_lower[SCAN_RESOLVERS_MAX];
    _Atomic uint64_t res_case_lower_since[SCAN_RESOLVERS_MAX]; /* first one, monotonic ns */
    _Atomic uint8_t res_no0x20[SCAN_RESOLVERS_MAX];
    /* Circuit breaker per resolver: timeouts in a row with no answer
     * between, how often it opened since the last answer, and until when
     * (monotonic ns) new queries go to the other resolvers. */
    _Atomic uint32_t res_streak[SCAN_RESOLVERS_MAX];
    _Atomic uint32_t res_opens[SCAN_RESOLVERS_MAX];
    _Atomic uint64_t res_open_until[SCAN_RESOLVERS_MAX];
    _Atomic uint8_t res_warned[SCAN_RESOLVERS_MAX];
    _Atomic uint64_t active;      /* admitted targets without a record yet */
    _Atomic uint64_t ptr_pending; /* targets whose PTR lookup is running */
    _Atomic uint64_t started;
    _Atomic uint64_t done_rows;
    _Atomic int stopping; /* 1 drain, 2 abort now */
    _Atomic int ck_pause; /* a checkpoint takes stock: no row is emitted */
    _Atomic int all_done;
    _Atomic int fatal;
    char fatal_msg[256];
    uint64_t t0_ns;
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_fatal(struct scan *s, const char *msg)
{
    int expect = 0;
    if (atomic_compare_exchange_strong(&s->fatal, &expect, 1))
        snprintf(s->fatal_msg, sizeof(s->fatal_msg), "%s", msg);
    atomic_store(&s->stopping, 2);
}

/* Single-writer counter increment, readable by the writer thread. */
static inline void cnt_add(uint64_t *c, uint64_t n)
{
    __atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static inline struct fwd *fwd_of(struct scan *s, uint32_t ref)
{
    return &s->fwds[ref & ~SCAN_REF_FWD];
}

static inline _Atomic uint32_t *state_of(struct scan *s, uint32_t ref)
{
    return (ref & SCAN_REF_FWD) ? &fwd_of(s, ref)->state : &s->tgts[ref].state;
}

/* Fingerprints are odd; FP_NONE marks a lookup that ended without an
 * answer; 0 is "not published yet" (between a claim and its fp_store).
 * Read by other RX workers while the owner writes: atomic. */
#define FP_NONE 2u

static inline void fp_store(uint64_t *p, uint64_t fp)
{
    __atomic_store_n(p, fp, __ATOMIC_RELEASE);
}

static inline uint64_t fp_load(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static uint64_t tgt_hash(const struct pkt_addr *a)
{
    return XXH3_64bits(a, sizeof(*a));
}

static uint64_t fwd_hash(const uint8_t *name, size_t len, uint8_t family)
{
    return XXH3_64bits_withSeed(name, len, family);
}

/* ---- query identity (RFC 5452) -------------------------------------------
 * ID, source port and 0x20 case bits come from SipHash over (qtype, attempt,
 * qname) under the run's secret key; the resolver for attempt a is a keyed
 * per-name base plus a, so retries rotate over resolvers. */

struct ident {
    uint16_t id;
    uint16_t port;
    unsigned resolver;
    uint64_t case_bits;
};

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

static void ident_make(const struct scan *s, uint16_t qtype, unsigned attempt, const uint8_t *qname,
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

static bool use_0x20_for(struct scan *s, unsigned resolver)
{
    return s->cfg->use_0x20 &&
           !atomic_load_explicit(&s->res_no0x20[resolver], memory_order_relaxed);
}

/* ---- circuit breaker (TESTING.md L05) -----------------------------------------
 * A resolver that lets SCAN_BREAKER_STREAK queries in a row time out with no
 * answer between is skipped for new queries (they go to the next resolver
 * whose breaker is closed) for one second, doubling with each reopening up
 * to 16 s; then queries flow again and the next streak reopens it. Any
 * answer closes it. With every breaker open, the keyed choice stands: a
 * lookup still gets its attempts (at most the retry cap) and ends as
 * tempfail/timeout. The choice is stored per attempt, so a reply is checked
 * against the resolver its attempt really went to. */
#define SCAN_BREAKER_STREAK  32
#define SCAN_BREAKER_OPEN_NS 1000000000ull

static unsigned resolver_pick(struct scan *s, unsigned keyed, uint64_t now)
{
    unsigned n = s->cfg->nb_resolvers;
    for (unsigned k = 0; k < n; k++) {
        unsigned r = (keyed + k) % n;
        if (atomic_load_explicit(&s->res_open_until[r], memory_order_relaxed) <= now)
            return r;
    }
    return keyed;
}

static void breaker_timeout(struct scan *s, struct worker *w, unsigned r)
{
    if (atomic_fetch_add(&s->res_streak[r], 1) + 1 < SCAN_BREAKER_STREAK ||
        atomic_load(&s->res_open_until[r]) > w->now_ns || s->cfg->nb_resolvers < 2)
        return;
    atomic_store(&s->res_streak[r], 0);
    unsigned opens = atomic_fetch_add(&s->res_opens[r], 1);
    atomic_store(&s->res_open_until[r],
                 w->now_ns + (SCAN_BREAKER_OPEN_NS << (opens < 4 ? opens : 4)));
    cnt_add(&w->c.breaker_opens, 1);
    if (atomic_exchange(&s->res_warned[r], 1) == 0) {
        char txt[PKT_ADDR_TEXT_MAX];
        pkt_addr_format(&s->cfg->resolvers[r].addr, txt, sizeof(txt));
        fprintf(stderr,
                "fcrscan: resolver %s stopped answering (%u timeouts in a row); new queries go "
                "to the other resolvers until it answers again\n",
                txt, SCAN_BREAKER_STREAK);
    }
}

static void breaker_answer(struct scan *s, unsigned r)
{
    if (atomic_load_explicit(&s->res_streak[r], memory_order_relaxed) != 0)
        atomic_store_explicit(&s->res_streak[r], 0, memory_order_relaxed);
    if (atomic_load_explicit(&s->res_open_until[r], memory_order_relaxed) != 0) {
        atomic_store(&s->res_open_until[r], 0);
        atomic_store(&s->res_opens[r], 0);
    }
}

static unsigned attempt_timeout_ms(const struct scan_config *cfg, unsigned attempt)
{
    uint64_t t = (uint64_t)cfg->timeout_ms << (attempt > 12 ? 12 : attempt);
    if (t > TIMEOUT_MAX_MS && cfg->timeout_ms <= TIMEOUT_MAX_MS)
        t = TIMEOUT_MAX_MS;
    return (unsigned)t;
}

/* ---- output ------------------------------------------------------------------ */

/* Hand one formatted record to the writer; waits while the ring is full
 * (back-pressure from a slow output), unless the run is failing. */
/* Enter the step "row into a ring, target no longer live": not while a
 * checkpoint takes stock (Dekker: both sides store, then load, seq_cst). */
static void emit_enter(struct scan *s, struct worker *w)
{
    for (;;) {
        atomic_store(&w->emitting, 1);
        if (!atomic_load(&s->ck_pause))
            return;
        atomic_store(&w->emitting, 0);
        while (atomic_load(&s->ck_pause) && !atomic_load(&s->fatal))
            sched_yield();
        if (atomic_load(&s->fatal))
            return;
    }
}

static bool emit_line(struct scan *s, struct worker *w, const char *line, size_t len)
{
    while (!scan_lines_put(&w->lines, line, len)) {
        if (atomic_load(&s->fatal))
            return false;
        sched_yield();
    }
    return true;
}

/* ---- slot lifetime --------------------------------------------------------- */

static void retire(struct scan *s, struct worker *w, uint32_t ref)
{
    uint64_t e = atomic_load_explicit(&s->epoch.global, memory_order_acquire);
    if (!scan_limbo_put(&w->limbo, ref, e))
        set_fatal(s, "internal: limbo overflow");
}

static void reclaim(struct scan *s, struct worker *w)
{
    scan_epoch_advance(&s->epoch);
    uint32_t ref;
    while (scan_limbo_get(&w->limbo, &s->epoch, &ref)) {
        bool ok = (ref & SCAN_REF_FWD) ? scan_idxq_push(&s->fwd_free, ref & ~SCAN_REF_FWD)
                                       : scan_idxq_push(&s->tgt_free, ref);
        if (!ok)
            set_fatal(s, "internal: free list overflow");
    }
}

static void fwd_unref(struct scan *s, struct worker *w, uint32_t ref)
{
    struct fwd *f = fwd_of(s, ref);
    uint32_t r = atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel);
    if (r != 1)
        return;
    /* Unused now. A private holder goes, and so does a temporary failure
     * (the next target asks again); an answer stays cached until the
     * allocator needs room (evict_idle). */
    bool keep = !f->noquery && scan_qs_q(atomic_load(&f->state)) == SCAN_Q_DONE &&
                f->outcome != SCAN_OUTCOME_TEMP && f->outcome != OUTCOME_ABORT &&
                f->other_outcome != OUTCOME_ABORT &&
                (f->outcome != SCAN_OUTCOME_NODATA || f->other_outcome != SCAN_OUTCOME_TEMP);
    if (!keep) {
        uint32_t zero = 0;
        if (atomic_compare_exchange_strong(&f->refs, &zero, FWD_EVICTING)) {
            if (!f->noquery)
                scan_hindex_remove(&s->index, f->hkey, ref);
            retire(s, w, ref);
        }
        return;
    }
    if (atomic_exchange(&f->in_idle, 1) == 0 && !scan_idxq_push(&s->fwd_idle, ref))
        atomic_store(&f->in_idle, 0);
}

/* ---- records --------------------------------------------------------------- */

static bool addr_in(const struct fwd *f, const struct pkt_addr *ip)
{
    if (f->addr_family != ip->family)
        return false;
    size_t n = pkt_addr_len(ip);
    for (unsigned i = 0; i < f->nb_addr; i++)
        if (memcmp(f->addr[i], ip->bytes, n) == 0)
            return true;
    return false;
}

/* Write the target's record (unless it was aborted by a stop) and release it.
 * Called by exactly one thread: the one that ended its last lookup. */
static void finalize(struct scan *s, struct worker *w, uint32_t ti)
{
    struct tgt *t = &s->tgts[ti];
    const struct scan_config *cfg = s->cfg;
    struct stats_record rec;
    bool aborted = t->aborted || t->ptr_outcome == OUTCOME_ABORT;

    memset(&rec, 0, offsetof(struct stats_record, names));
    rec.ip = t->ip;
    rec.flags = t->flags;
    rec.ptr_rcode = t->ptr_rcode;
    uint32_t queries = atomic_load_explicit(&t->queries, memory_order_relaxed);
    uint8_t status[STATS_NAMES_MAX], reasons[STATS_NAMES_MAX];

    if (!aborted && t->ptr_outcome != SCAN_OUTCOME_ANSWER) {
        rec.verdict = scan_verdict_reverse(t->ptr_outcome, t->ptr_reason, &rec.stage, &rec.reason);
    } else if (!aborted) {
        rec.nb_names = t->nb_names;
        for (unsigned i = 0; i < t->nb_names; i++) {
            struct fwd *f = fwd_of(s, t->name_ref[i]);
            struct stats_name *n = &rec.names[i];
            n->nb_addr = 0;
            n->name.len = f->name_len;
            memcpy(n->name.wire, f->name, f->name_len);
            rec.flags |= t->name_flags[i];
            reasons[i] = STATS_REASON_NONE;
            if (i >= cfg->max_ptr) {
                status[i] = STATS_NAME_NOT_EVALUATED;
            } else if (f->noquery) {
                status[i] = STATS_NAME_UNUSABLE;
            } else if (f->outcome == OUTCOME_ABORT || f->other_outcome == OUTCOME_ABORT) {
                aborted = true;
                break;
            } else {
                struct scan_name_lookup l = {
                    .outcome = f->outcome,
                    .reason = f->reason,
                    .target_found = addr_in(f, &t->ip),
                    .other_outcome = f->other_outcome,
                    .other_reason = f->other_reason,
                };
                if (l.outcome == SCAN_OUTCOME_ANSWER && !l.target_found && f->addrs_cut) {
                    /* The target may be among the addresses not kept: that
                     * is not a mismatch we can stand by, so no negative. */
                    l.outcome = SCAN_OUTCOME_TEMP;
                    l.reason = STATS_REASON_OTHER;
                }
                bool wrong_family = false;
                status[i] = scan_verdict_name_status(&l, &wrong_family, &reasons[i]);
                if (wrong_family)
                    rec.flags |= STATS_FLAG_WRONG_FAMILY;
                if (f->cname)
                    rec.flags |= STATS_FLAG_FORWARD_CNAME;
                if (f->truncated)
                    rec.flags |= STATS_FLAG_TRUNCATED;
                queries += atomic_load_explicit(&f->queries, memory_order_relaxed);
                unsigned na = f->nb_addr < STATS_ADDRS_MAX ? f->nb_addr : STATS_ADDRS_MAX;
                for (unsigned k = 0; k < na; k++) {
                    n->addr[k].family = f->addr_family;
                    memset(n->addr[k].bytes, 0, 16);
                    memcpy(n->addr[k].bytes, f->addr[k], f->addr_family == PKT_ADDR_V6 ? 16 : 4);
                }
                n->nb_addr = (uint8_t)na;
            }
            n->status = status[i];
            n->reason = reasons[i];
        }
        if (!aborted) {
            bool temp_other = false;
            rec.verdict = scan_verdict_aggregate(status, reasons, t->nb_names, &rec.stage,
                                                 &rec.reason, &temp_other);
            if (temp_other)
                rec.flags |= STATS_FLAG_FORWARD_TEMP_OTHER_NAME;
        }
    }

    if (!aborted) {
        rec.queries = queries > 0 ? queries : 1;
        rec.elapsed_us = (w->now_ns > t->t_start_ns ? w->now_ns - t->t_start_ns : 0) / 1000;
        rec.ts_ms = w->wall_ms;
        int len = cfg->hooks.format(cfg->hooks.ctx, &rec, w->line_buf, cfg->line_max);
        if (len < 0) {
            char msg[128];
            snprintf(msg, sizeof(msg), "internal: a record could not be formatted (%d)", len);
            set_fatal(s, msg);
        } else {
            /* Row in a line ring and live cleared, as one step for a
             * checkpoint (which pauses such steps while it takes stock). */
            emit_enter(s, w);
            if (emit_line(s, w, w->line_buf, (size_t)len))
                atomic_store_explicit(&s->live[ti], 0, memory_order_release);
            atomic_store(&w->emitting, 0);
            stats_counters_row(&w->c, &rec);
        }
        atomic_fetch_add(&s->done_rows, 1);
    }

    for (unsigned i = 0; i < t->nb_names; i++)
        fwd_unref(s, w, t->name_ref[i]);
    t->nb_names = 0;
    scan_hindex_remove(&s->index, t->hkey, ti);
    uint32_t st = atomic_load(&t->state);
    atomic_store(&t->state, scan_qs_make(scan_qs_gen(st), SCAN_Q_IDLE));
    retire(s, w, ti);
    atomic_fetch_sub(&s->active, 1);
}

/* One of target ti's lookups ended; the last one writes the record. */
static void tgt_countdown(struct scan *s, struct worker *w, uint32_t ti)
{
    if (atomic_fetch_sub_explicit(&s->tgts[ti].outstanding, 1, memory_order_acq_rel) == 1)
        finalize(s, w, ti);
}

/* ---- completing lookups ------------------------------------------------------ */

static void recent_put(struct scan *s, uint64_t key, uint64_t fp)
{
    struct recent *r = &s->recent[key & (RECENT_SLOTS - 1)];
    atomic_store_explicit(&r->fp, fp, memory_order_relaxed);
    atomic_store_explicit(&r->key, key, memory_order_relaxed);
}

/* Forward entry finished (state already DONE): wake every waiting target. */
static void fwd_complete(struct scan *s, struct worker *w, uint32_t ref)
{
    struct fwd *f = fwd_of(s, ref);
    recent_put(s, f->hkey, fp_load(&f->fp));
    uint64_t head = atomic_exchange_explicit(&f->waiters, WAIT_CLOSED, memory_order_acq_rel);
    while (head != 0 && head != WAIT_CLOSED) {
        uint32_t node = (uint32_t)(head - 1);
        uint32_t ti = node / STATS_NAMES_MAX;
        head = s->tgts[ti].wnext[node % STATS_NAMES_MAX];
        tgt_countdown(s, w, ti);
    }
}

/* Register target ti's name i as waiting on forward entry ref. */
static void fwd_wait(struct scan *s, struct worker *w, uint32_t ti, unsigned i, uint32_t ref)
{
    struct fwd *f = fwd_of(s, ref);
    uint64_t node = (uint64_t)ti * STATS_NAMES_MAX + i + 1;
    uint64_t head = atomic_load_explicit(&f->waiters, memory_order_acquire);
    for (;;) {
        if (head == WAIT_CLOSED) {
            /* Already answered: nothing to wait for. */
            tgt_countdown(s, w, ti);
            return;
        }
        s->tgts[ti].wnext[i] = (uint32_t)head;
        if (atomic_compare_exchange_weak_explicit(&f->waiters, &head, node, memory_order_acq_rel,
                                                  memory_order_acquire))
            return;
    }
}

/* Ask TX to send the current attempt of ref (state gen). */
static void request_send(struct scan *s, uint32_t ref, uint32_t gen)
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

/* Allocate a forward entry for name (lower case) and family. RX/TCP. */
static bool fwd_alloc(struct scan *s, uint32_t *ref_out)
{
    uint32_t idx;
    if (!scan_idxq_pop(&s->fwd_free, &idx))
        return false;
    struct fwd *f = &s->fwds[idx];
    uint32_t st = atomic_load(&f->state);
    atomic_store(&f->state, scan_qs_make((scan_qs_gen(st) + 1) & 0xFFFFFF, SCAN_Q_IDLE));
    atomic_store(&f->refs, 1);
    atomic_store(&f->waiters, 0);
    atomic_store(&f->queries, 0);
    atomic_store(&f->nocase, 0);
    atomic_store(&f->temp_reason, 0);
    atomic_store(&f->in_idle, 0);
    f->noquery = false;
    f->outcome = f->other_outcome = SCAN_OUTCOME_TEMP;
    f->reason = f->other_reason = STATS_REASON_OTHER;
    f->cname = f->truncated = false;
    f->nb_addr = 0;
    f->addrs_cut = false;
    f->addr_family = 0;
    fp_store(&f->fp, 0);
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

/* Find a cached or running lookup for (name, family), else start one.
 * *created tells the caller to request its first send. */
static bool fwd_get(struct scan *s, struct worker *w, const uint8_t *name, uint8_t len,
                    uint8_t family, uint32_t *ref, bool *created)
{
    uint64_t h = fwd_hash(name, len, family);
    uint32_t cand[16];
    unsigned n = scan_hindex_find(&s->index, h, cand, 16);
    for (unsigned i = 0; i < n; i++) {
        if (!(cand[i] & SCAN_REF_FWD))
            continue;
        struct fwd *f = fwd_of(s, cand[i]);
        if (f->hkey == h && f->family == family && f->name_len == len &&
            memcmp(f->name, name, len) == 0 && fwd_try_ref(f)) {
            /* Re-check: the slot may have been re-keyed between compare and ref. */
            if (f->hkey == h && f->name_len == len && memcmp(f->name, name, len) == 0) {
                *ref = cand[i];
                *created = false;
                return true;
            }
            fwd_unref(s, w, cand[i]);
        }
    }
    if (!fwd_alloc(s, ref))
        return false;
    struct fwd *f = fwd_of(s, *ref);
    f->family = family;
    f->name_len = len;
    memcpy(f->name, name, len);
    f->hkey = h;
    if (!scan_hindex_insert(&s->index, h, *ref)) {
        atomic_store(&f->refs, FWD_EVICTING);
        retire(s, w, *ref);
        return false;
    }
    *created = true;
    return true;
}

/* Evict cached answers nobody uses while the free list runs low. RX only. */
static void evict_idle(struct scan *s, struct worker *w)
{
    size_t low = s->nb_fwds / 8;
    unsigned budget = 256;
    uint32_t ref;
    while (budget-- > 0 && scan_idxq_count(&s->fwd_free) < low &&
           scan_idxq_pop(&s->fwd_idle, &ref)) {
        struct fwd *f = fwd_of(s, ref);
        atomic_store(&f->in_idle, 0);
        uint32_t zero = 0;
        if (!atomic_compare_exchange_strong(&f->refs, &zero, FWD_EVICTING))
            continue; /* in use again; it re-enters the idle list later */
        scan_hindex_remove(&s->index, f->hkey, ref);
        retire(s, w, ref);
    }
}

/* A private holder for a name that is not looked up (unusable, over limit). */
static bool fwd_private(struct scan *s, const uint8_t *name, uint8_t len, uint32_t *ref)
{
    if (!fwd_alloc(s, ref))
        return false;
    struct fwd *f = fwd_of(s, *ref);
    f->noquery = true;
    f->name_len = len;
    memcpy(f->name, name, len);
    f->hkey = 0;
    atomic_store(&f->waiters, WAIT_CLOSED);
    return true;
}

/* ---- processing one validated answer ---------------------------------------- */

/* Order-independent fingerprint of an answer's content (conflict detection). */
static uint64_t reply_fp(const struct pkt_dns_reply *r)
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

/* Start a forward entry this thread created: first attempt pending, ask TX. */
static void fwd_start(struct scan *s, uint32_t ref)
{
    struct fwd *f = fwd_of(s, ref);
    uint32_t g = scan_qs_gen(atomic_load(&f->state));
    atomic_store(&f->state, scan_qs_pending_make(g, 0, false));
    request_send(s, ref, g);
}

/* What a PTR answer gives a target, gathered before the claim so that a
 * losing claimer writes nothing into the target. */
struct ptr_set {
    unsigned nb;
    uint32_t flags;
    uint32_t refs[STATS_NAMES_MAX];
    uint32_t name_flags[STATS_NAMES_MAX];
    bool created[STATS_NAMES_MAX];
};

/* Give back the references of a set that will not be used. An entry created
 * here that nobody else holds is withdrawn unasked (refs 1 -> EVICTING: no
 * one can take it any more); one that another target found in the index
 * meanwhile is started, since that target waits for it. */
static void ptr_set_release(struct scan *s, struct worker *w, struct ptr_set *ps, unsigned nb)
{
    for (unsigned k = 0; k < nb; k++) {
        if (ps->created[k]) {
            struct fwd *f = fwd_of(s, ps->refs[k]);
            uint32_t one = 1;
            if (atomic_compare_exchange_strong(&f->refs, &one, FWD_EVICTING)) {
                scan_hindex_remove(&s->index, f->hkey, ps->refs[k]);
                retire(s, w, ps->refs[k]);
                continue;
            }
            fwd_start(s, ps->refs[k]);
        }
        fwd_unref(s, w, ps->refs[k]);
    }
}

/* Collect the distinct PTR names of r for target t into forward entries
 * (references taken). Returns false when the forward table is full (all
 * references given back; the query stays pending). */
static bool ptr_names(struct scan *s, struct worker *w, const struct tgt *t,
                      const struct pkt_dns_reply *r, struct ptr_set *ps)
{
    const struct scan_config *cfg = s->cfg;
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
            ok = fwd_private(s, lower[i], lens[i], &ps->refs[i]);
        else
            ok = fwd_get(s, w, lower[i], lens[i], t->ip.family, &ps->refs[i], &ps->created[i]);
        if (!ok) {
            ptr_set_release(s, w, ps, i);
            return false;
        }
    }
    return true;
}

/* The PTR lookup of target ti ended with outcome (state is DONE, owned). */
static void ptr_done(struct scan *s, struct worker *w, uint32_t ti, uint8_t outcome, uint8_t reason,
                     int rcode, const struct pkt_dns_reply *r, const struct ptr_set *ps)
{
    struct tgt *t = &s->tgts[ti];
    t->ptr_outcome = outcome;
    t->ptr_reason = reason;
    t->ptr_rcode = (int16_t)rcode;
    atomic_fetch_sub(&s->ptr_pending, 1);
    recent_put(s, t->hkey, fp_load(&t->fp));
    /* RFC 2317: a chain in the reverse lookup, whatever it ended in. */
    if (r != NULL && r->nb_hops > 0)
        t->flags |= STATS_FLAG_CNAME_REVERSE;
    if (outcome != SCAN_OUTCOME_ANSWER || r == NULL || ps == NULL) {
        atomic_store(&t->outstanding, 1);
        tgt_countdown(s, w, ti);
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
        if (fwd_of(s, ps->refs[i])->noquery)
            continue;
        atomic_fetch_add(&t->outstanding, 1);
        if (ps->created[i])
            fwd_start(s, ps->refs[i]);
        fwd_wait(s, w, ti, i, ps->refs[i]);
    }
    tgt_countdown(s, w, ti);
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
 * End (or advance) a forward lookup after a final reply for phase (state is
 * DONE and owned when called with a reply; for phase 1 NODATA of the primary
 * family we move to the other family instead).
 */
static void fwd_reply(struct scan *s, struct worker *w, uint32_t ref, uint32_t gen, bool phase2,
                      bool via_tcp, const struct pkt_dns_reply *r, uint8_t outcome, uint8_t reason)
{
    struct fwd *f = fwd_of(s, ref);
    uint8_t fam = r->qtype == PKT_DNS_TYPE_AAAA ? PKT_ADDR_V6 : PKT_ADDR_V4;
    if (r->nb_hops > 0)
        f->cname = true;
    if (via_tcp)
        f->truncated = true;
    if (!phase2) {
        f->outcome = outcome;
        f->reason = reason;
        if (outcome == SCAN_OUTCOME_ANSWER)
            fwd_store_addrs(f, r, fam);
        if (outcome == SCAN_OUTCOME_NODATA) {
            /* NODATA in the target's family: ask the other family to tell
             * wrong-family from dangling (DESIGN.md). */
            atomic_store(&f->nocase, 0);
            atomic_store(&f->temp_reason, 0);
            atomic_store(&f->state, scan_qs_pending_make(gen, 0, true));
            request_send(s, ref, gen);
            return;
        }
    } else {
        f->other_outcome = outcome;
        f->other_reason = reason;
        if (outcome == SCAN_OUTCOME_ANSWER)
            fwd_store_addrs(f, r, fam);
    }
    fwd_complete(s, w, ref);
}

/* ---- TX ------------------------------------------------------------------------ */

/* Queries are sent in batches of up to TX_BATCH_MAX, sorted by socket: with
 * 64 sockets a batch of 256 gives each sendmmsg about four datagrams. */
#define TX_BATCH_MAX 256

struct txbatch {
    struct pkt_dgram d[TX_BATCH_MAX];
    uint8_t buf[TX_BATCH_MAX][PKT_DNS_QUERY_MAX];
    unsigned n;
};

static int cmp_dgram(const void *a, const void *b)
{
    const struct pkt_dgram *x = a, *y = b;
    if (x->peer.family != y->peer.family)
        return x->peer.family - y->peer.family;
    return (int)x->local_port - (int)y->local_port;
}

static void tx_flush(struct scan *s, struct worker *w, struct txbatch *b)
{
    if (b->n == 0)
        return;
    /* Group by socket so each sendmmsg carries several datagrams. */
    qsort(b->d, b->n, sizeof(b->d[0]), cmp_dgram);
    unsigned off = 0;
    unsigned spins = 0;
    while (off < b->n) {
        unsigned k = s->cfg->engine->tx_burst(s->engine, w->q, b->d + off, b->n - off);
        off += k;
        if (k == 0) {
            if (++spins > 1000 || atomic_load(&s->stopping) == 2)
                break;
            struct timespec ts = { 0, 50000 };
            nanosleep(&ts, NULL);
        }
    }
    b->n = 0;
}

/*
 * Timers: one FIFO per attempt number. Every entry of a FIFO has the same
 * timeout, so pushing in send order keeps each FIFO sorted by deadline and
 * expiry is a look at the heads. An answered query leaves its entry behind
 * (RX cannot touch TX's queues); the entry is recognised as stale by its
 * state word. When a FIFO fills, stale entries are squeezed out in place:
 * with room for twice the number of queries that can be pending, each
 * compaction frees at least half the FIFO.
 */
static bool timer_live(struct scan *s, const struct timer *t)
{
    return atomic_load_explicit(state_of(s, t->ref), memory_order_relaxed) == t->state;
}

static void timerq_compact(struct scan *s, struct timerq *q)
{
    size_t out = q->head;
    for (size_t i = q->head; i != q->tail; i++) {
        struct timer t = q->t[i & (q->cap - 1)];
        if (timer_live(s, &t))
            q->t[out++ & (q->cap - 1)] = t;
    }
    q->tail = out;
}

static void timer_push(struct scan *s, struct worker *w, uint32_t ref, uint32_t state,
                       unsigned attempt, uint64_t deadline)
{
    struct timerq *q = &w->timers[attempt];
    if (q->tail - q->head == q->cap)
        timerq_compact(s, q);
    if (q->tail - q->head == q->cap) {
        set_fatal(s, "internal: timer queue overflow");
        return;
    }
    q->t[q->tail & (q->cap - 1)] =
        (struct timer){ .ref = ref, .state = state, .deadline_ns = deadline };
    q->tail++;
}

/* Build and queue the current attempt of ref's query. TX only. */
static void tx_send(struct scan *s, struct worker *w, struct txbatch *b, uint32_t ref,
                    uint32_t state)
{
    const struct scan_config *cfg = s->cfg;
    unsigned attempt;
    bool phase2;
    if (!scan_qs_pending(state, &attempt, &phase2))
        return;
    const uint8_t *qname;
    uint8_t qlen;
    uint16_t qtype;
    _Atomic uint32_t *qcount, *nocase;
    _Atomic uint8_t *res_of;
    if (ref & SCAN_REF_FWD) {
        struct fwd *f = fwd_of(s, ref);
        qname = f->name;
        qlen = f->name_len;
        bool v6 = (f->family == PKT_ADDR_V6) != phase2;
        qtype = v6 ? PKT_DNS_TYPE_AAAA : PKT_DNS_TYPE_A;
        qcount = &f->queries;
        nocase = &f->nocase;
        res_of = f->res_of;
    } else {
        struct tgt *t = &s->tgts[ref];
        qname = t->rev;
        qlen = t->rev_len;
        qtype = PKT_DNS_TYPE_PTR;
        qcount = &t->queries;
        nocase = &t->nocase;
        res_of = t->res_of;
    }
    struct ident id;
    ident_make(s, qtype, attempt, qname, qlen, &id);
    /* Published before the packet leaves, like nocase: the reply is checked
     * against it. */
    id.resolver = resolver_pick(s, id.resolver, w->now_ns);
    atomic_store_explicit(&res_of[attempt], (uint8_t)id.resolver, memory_order_release);
    atomic_store_explicit(&s->by_id[id.id], ref + 1, memory_order_relaxed);
    const struct scan_resolver *res = &cfg->resolvers[id.resolver];

    if (b->n == TX_BATCH_MAX)
        tx_flush(s, w, b);
    uint8_t *buf = b->buf[b->n];
    uint8_t name[PKT_DNS_NAME_MAX];
    memcpy(name, qname, qlen);
    if (use_0x20_for(s, id.resolver))
        pkt_dns_name_case20(name, qlen, id.case_bits);
    else if (cfg->use_0x20)
        /* Published before the packet leaves: its answer is then checked
         * without case, answers to earlier attempts still with case. */
        atomic_fetch_or_explicit(nocase, 1u << attempt, memory_order_release);
    struct pkt_dns_query q = {
        .qname = name, .qname_len = qlen, .qtype = qtype, .id = id.id, .rd = cfg->rd, .edns = true
    };
    int len = pkt_dns_query_build(buf, PKT_DNS_QUERY_MAX, &q);
    if (len < 0)
        return;
    b->d[b->n] = (struct pkt_dgram){ .peer = res->addr,
                                     .peer_port = res->port,
                                     .local_port = id.port,
                                     .len = (uint16_t)len,
                                     .data = buf };
    b->n++;
    /* Every query counts against the global and the resolver's rate;
     * retries and forward lookups may overdraw, which holds back new
     * targets until the buckets refill. */
    w->tokens -= 1;
    w->res_tokens[id.resolver] -= 1;
    atomic_fetch_add_explicit(qcount, 1, memory_order_relaxed);
    cnt_add(&w->c.sent, 1);
    if (attempt > 0)
        cnt_add(&w->c.retried, 1);
    timer_push(s, w, ref, state, attempt,
               w->now_ns + (uint64_t)attempt_timeout_ms(cfg, attempt) * 1000000ull);
}

/* End ref's lookup with a timeout (or an abort when stopping). TX only. */
static void tx_expire(struct scan *s, struct worker *w, uint32_t ref, uint32_t state,
                      bool abort_now)
{
    _Atomic uint32_t *st = state_of(s, ref);
    uint32_t gen = scan_qs_gen(state);
    if (!atomic_compare_exchange_strong(st, &state, scan_qs_make(gen, SCAN_Q_DONE)))
        return; /* answered meanwhile */
    uint8_t outcome = abort_now ? OUTCOME_ABORT : SCAN_OUTCOME_TEMP;
    /* A timeout after SERVFAIL/REFUSED from another resolver ends with that. */
    uint8_t reason = atomic_load((ref & SCAN_REF_FWD) ? &fwd_of(s, ref)->temp_reason
                                                      : &s->tgts[ref].temp_reason);
    if (reason == 0)
        reason = STATS_REASON_TIMEOUT;
    if (ref & SCAN_REF_FWD) {
        struct fwd *f = fwd_of(s, ref);
        unsigned attempt;
        bool phase2 = false;
        scan_qs_pending(state, &attempt, &phase2);
        fp_store(&f->fp, FP_NONE);
        if (phase2) {
            f->other_outcome = outcome;
            f->other_reason = reason;
        } else {
            f->outcome = outcome;
            f->reason = reason;
        }
        fwd_complete(s, w, ref);
    } else {
        struct tgt *t = &s->tgts[ref];
        fp_store(&t->fp, FP_NONE);
        ptr_done(s, w, ref, outcome, reason, -1, NULL, NULL);
    }
}

static void tx_timers(struct scan *s, struct worker *w, struct txbatch *b, bool stopping,
                      bool abort_all)
{
    const struct scan_config *cfg = s->cfg;
    for (unsigned a = 0; a <= cfg->retries; a++) {
        struct timerq *q = &w->timers[a];
        while (q->head != q->tail) {
            struct timer *tm = &q->t[q->head & (q->cap - 1)];
            if (!abort_all && tm->deadline_ns > w->now_ns)
                break;
            struct timer t = *tm;
            q->head++;
            uint32_t cur = atomic_load(state_of(s, t.ref));
            if (cur != t.state)
                continue; /* answered, advanced or recycled */
            if (!abort_all && !stopping) {
                _Atomic uint8_t *res_of =
                    (t.ref & SCAN_REF_FWD) ? fwd_of(s, t.ref)->res_of : s->tgts[t.ref].res_of;
                breaker_timeout(s, w, atomic_load_explicit(&res_of[a], memory_order_relaxed));
            }
            if (abort_all || stopping) {
                tx_expire(s, w, t.ref, t.state, true);
            } else if (a < cfg->retries) {
                bool phase2 = (t.state & SCAN_Q_PHASE2) != 0;
                uint32_t next = scan_qs_pending_make(scan_qs_gen(t.state), a + 1, phase2);
                if (atomic_compare_exchange_strong(state_of(s, t.ref), &cur, next))
                    tx_send(s, w, b, t.ref, next);
            } else {
                tx_expire(s, w, t.ref, t.state, false);
            }
        }
    }
}

/* Admit one target from the hook. False when there are no more. */
static bool tx_admit(struct scan *s, struct worker *w, struct txbatch *b, bool *no_room)
{
    const struct scan_config *cfg = s->cfg;
    *no_room = false;
    /* Reserve forward entries for the PTR answers in flight (back-pressure:
     * nothing is dropped, admission just waits). */
    size_t fwd_avail = scan_idxq_count(&s->fwd_free) + scan_idxq_count(&s->fwd_idle);
    if (fwd_avail < 64 + 2 * atomic_load(&s->ptr_pending)) {
        *no_room = true;
        return true;
    }
    struct pkt_addr a;
    uint64_t pos = atomic_load_explicit(&w->admitted, memory_order_relaxed);
    if (w->has_stash) {
        a = w->stash;
        pos = w->stash_pos;
    } else if (!cfg->hooks.next_target(cfg->hooks.ctx, w->q, &a, &pos)) {
        return false;
    }
    uint8_t rev[PKT_REV_V6_MAX];
    int len = pkt_rev_name(&a, rev, sizeof(rev));
    if (len < 0) {
        w->has_stash = false;
        return true;
    }
    if (cfg->resolver_rate > 0) {
        struct ident id;
        ident_make(s, PKT_DNS_TYPE_PTR, 0, rev, (size_t)len, &id);
        if (w->res_tokens[resolver_pick(s, id.resolver, w->now_ns)] < 1) {
            w->stash = a;
            w->stash_pos = pos;
            w->has_stash = true;
            *no_room = true;
            return true;
        }
    }
    uint32_t ti;
    if (!scan_idxq_pop(&s->tgt_free, &ti)) {
        w->stash = a;
        w->stash_pos = pos;
        w->has_stash = true;
        *no_room = true;
        return true;
    }
    w->has_stash = false;
    struct tgt *t = &s->tgts[ti];
    uint32_t gen = (scan_qs_gen(atomic_load(&t->state)) + 1) & 0xFFFFFF;
    atomic_store(&t->state, scan_qs_make(gen, SCAN_Q_IDLE));
    t->ip = a;
    memcpy(t->rev, rev, (size_t)len);
    t->rev_len = (uint8_t)len;
    t->nb_names = 0;
    t->flags = 0;
    t->aborted = false;
    t->ptr_rcode = -1;
    fp_store(&t->fp, 0);
    t->t_start_ns = w->now_ns;
    atomic_store(&t->queries, 0);
    atomic_store(&t->nocase, 0);
    atomic_store(&t->temp_reason, 0);
    atomic_store(&t->outstanding, 0);
    t->hkey = tgt_hash(&a);
    atomic_fetch_add(&s->active, 1);
    atomic_fetch_add(&s->ptr_pending, 1);
    atomic_fetch_add(&s->started, 1);
    if (!scan_hindex_insert(&s->index, t->hkey, ti)) {
        set_fatal(s, "internal: hash index full");
        return false;
    }
    /* Published before the admission count that covers it (checkpoints). */
    atomic_store_explicit(&s->live[ti],
                          ((uint64_t)w->q << 56 | (pos & ((UINT64_C(1) << 56) - 1))) + 1,
                          memory_order_release);
    atomic_store_explicit(&w->admitted, pos + 1, memory_order_release);
    uint32_t st = scan_qs_pending_make(gen, 0, false);
    atomic_store(&t->state, st);
    tx_send(s, w, b, ti, st);
    return true;
}

static void *tx_main(void *arg)
{
    struct worker *w = arg;
    struct scan *s = w->s;
    const struct scan_config *cfg = s->cfg;
    struct txbatch *b = w->batch;
    /* This worker's share of the rates (TX workers split them evenly). */
    double rate = (double)cfg->rate / s->nb_tx;
    double res_rate = (double)cfg->resolver_rate / s->nb_tx;
    double batch = rate / 1000.0;
    if (batch < 1)
        batch = 1;
    if (batch > TX_BATCH_MAX)
        batch = TX_BATCH_MAX;
    /* Buckets hold at most 10 ms of tokens (at least a few packets). */
    double burst = rate / 100.0 > 64 ? rate / 100.0 : 64;
    double res_burst = res_rate / 100.0 > 8 ? res_rate / 100.0 : 8;
    uint64_t last_ns = mono_ns();
    bool targets_left = true;
    uint64_t stop_at = 0;
    uint64_t deadline =
        cfg->max_runtime_s > 0 ? s->t0_ns + (uint64_t)(cfg->max_runtime_s * 1e9) : UINT64_MAX;

    for (;;) {
        w->now_ns = mono_ns();
        w->wall_ms = wall_ms();
        int stopping = atomic_load(&s->stopping);
        if (cfg->stop != NULL && *cfg->stop > stopping) {
            stopping = *cfg->stop;
            atomic_store(&s->stopping, stopping);
        }
        if (stopping == 0 && w->now_ns >= deadline) {
            stopping = 1;
            atomic_store(&s->stopping, 1);
        }
        if (stopping && stop_at == 0)
            stop_at = w->now_ns;
        /* Draining ends after one first-attempt timeout; then all remaining
         * lookups are cut (no record; a resume asks them again). */
        bool abort_all =
            stopping == 2 || (stopping == 1 && w->now_ns > stop_at + cfg->timeout_ms * 1000000ull);

        double dt = (double)(w->now_ns - last_ns) / 1e9;
        last_ns = w->now_ns;
        w->tokens += dt * rate;
        if (w->tokens > burst)
            w->tokens = burst;
        if (cfg->resolver_rate > 0) {
            for (unsigned r = 0; r < cfg->nb_resolvers; r++) {
                w->res_tokens[r] += dt * res_rate;
                if (w->res_tokens[r] > res_burst)
                    w->res_tokens[r] = res_burst;
            }
        }

        scan_epoch_enter(&s->epoch, w->id);
        uint32_t slot;
        unsigned work = 0;
        /* Send orders: a bounded share per pass, so that one TX worker
         * does not take them all while the others idle. */
        unsigned orders = 0;
        while (orders < TX_BATCH_MAX && scan_idxq_pop(&s->txreq_q, &slot)) {
            orders++;
            struct txreq rq = s->txreqs[slot];
            scan_idxq_push(&s->txreq_free, slot);
            uint32_t st = atomic_load(state_of(s, rq.ref));
            if (scan_qs_gen(st) != rq.gen)
                continue;
            if (stopping) {
                unsigned a;
                bool p2;
                if (scan_qs_pending(st, &a, &p2))
                    tx_expire(s, w, rq.ref, st, true);
                continue;
            }
            tx_send(s, w, b, rq.ref, st);
            work++;
        }
        tx_timers(s, w, b, stopping != 0, abort_all);
        /* New targets go out in batches of about a millisecond of the rate
         * (at most TX_BATCH_MAX): fewer wake-ups and fuller sendmmsg calls
         * than one query per loop, at a cost of a millisecond of latency. */
        if (!stopping && targets_left && w->tokens >= batch) {
            while (w->tokens >= 1) {
                bool no_room;
                if (!tx_admit(s, w, b, &no_room)) {
                    targets_left = false;
                    break;
                }
                if (no_room)
                    break;
                work++;
            }
        }
        scan_epoch_exit(&s->epoch, w->id);
        tx_flush(s, w, b);
        reclaim(s, w);

        /* A TX worker whose targets are done stays while any target is in
         * flight: its timers, and send orders any TX worker may take. */
        if ((!targets_left || stopping) && atomic_load(&s->active) == 0)
            break;
        if (atomic_load(&s->fatal))
            break;
        if (work == 0 && orders == 0) {
            /* Nothing to admit any more (draining): only timers, which are
             * hundreds of milliseconds, so 1 ms. Waiting for tokens: until
             * a batch is there. Waiting for room in the window: 200 us. */
            long ns = 200000;
            if (!targets_left || stopping) {
                ns = 1000000;
            } else if (w->tokens < batch) {
                ns = (long)((batch - w->tokens) / rate * 1e9);
                ns = ns < 50000 ? 50000 : ns > 1000000 ? 1000000 : ns;
            }
            struct timespec ts = { 0, ns };
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

/* ---- RX ------------------------------------------------------------------------ */

static int resolver_index(const struct scan *s, const struct pkt_addr *a, uint16_t port)
{
    for (unsigned i = 0; i < s->cfg->nb_resolvers; i++)
        if (s->cfg->resolvers[i].port == port && pkt_addr_equal(&s->cfg->resolvers[i].addr, a))
            return (int)i;
    return -1;
}

/* Count a reply that matched no pending query: a copy of one we took
 * (duplicate), a different answer to one we took (conflict), or late. */
static void drop_unmatched(struct scan *s, struct worker *w, uint64_t key,
                           const struct pkt_dns_reply *r)
{
    struct recent *rc = &s->recent[key & (RECENT_SLOTS - 1)];
    if (atomic_load_explicit(&rc->key, memory_order_relaxed) == key) {
        uint64_t fp = atomic_load_explicit(&rc->fp, memory_order_relaxed);
        if (fp == 0 || fp == FP_NONE)
            cnt_add(&w->c.dropped[STATS_DROP_LATE], 1);
        else if (fp == reply_fp(r))
            cnt_add(&w->c.dropped[STATS_DROP_DUPLICATE], 1);
        else
            cnt_add(&w->c.dropped[STATS_DROP_CONFLICT], 1);
        return;
    }
    cnt_add(&w->c.dropped[STATS_DROP_LATE], 1);
}

/*
 * Whether reply r (from resolver ri, on local_port), whose question matches
 * no query in flight, has the ID, port and source of a pending query (the
 * one last sent with that ID): then it answers another name, type or class
 * than we asked (M04). Reads the slot only after seeing it pending, inside
 * the caller's epoch section, so it cannot be reinitialised meanwhile.
 */
static bool question_mismatch(struct scan *s, const struct pkt_dns_reply *r, int ri,
                              uint16_t local_port)
{
    uint32_t v = atomic_load_explicit(&s->by_id[r->id], memory_order_relaxed);
    if (v == 0)
        return false;
    uint32_t ref = v - 1;
    unsigned cur;
    bool phase2;
    if (!scan_qs_pending(atomic_load_explicit(state_of(s, ref), memory_order_acquire), &cur,
                         &phase2))
        return false;
    const uint8_t *qname;
    uint8_t qlen;
    uint16_t qtype = PKT_DNS_TYPE_PTR;
    const _Atomic uint8_t *res_of;
    if (ref & SCAN_REF_FWD) {
        const struct fwd *f = fwd_of(s, ref);
        qname = f->name;
        qlen = f->name_len;
        qtype = (f->family == PKT_ADDR_V6) != phase2 ? PKT_DNS_TYPE_AAAA : PKT_DNS_TYPE_A;
        res_of = f->res_of;
    } else {
        const struct tgt *t = &s->tgts[ref];
        qname = t->rev;
        qlen = t->rev_len;
        res_of = t->res_of;
    }
    for (unsigned a = 0; a <= cur; a++) {
        struct ident id;
        ident_make(s, qtype, a, qname, qlen, &id);
        if (id.id == r->id && id.port == local_port &&
            (int)atomic_load_explicit(&res_of[a], memory_order_acquire) == ri)
            return true;
    }
    return false;
}

/* A reply whose question (key) matches no query in flight: one we
 * remember ending (duplicate, conflict, late), one that carries a pending
 * query's ID under another question (question-mismatch), else late. */
static void drop_foreign(struct scan *s, struct worker *w, uint64_t key,
                         const struct pkt_dns_reply *r, int ri, uint16_t local_port)
{
    const struct recent *rc = &s->recent[key & (RECENT_SLOTS - 1)];
    if (atomic_load_explicit(&rc->key, memory_order_relaxed) != key &&
        question_mismatch(s, r, ri, local_port)) {
        cnt_add(&w->c.dropped[STATS_DROP_QUESTION], 1);
        return;
    }
    drop_unmatched(s, w, key, r);
}

/*
 * Count a reply to a query that has ended (state st, read from stp): a copy
 * of the answer taken (duplicate), a different answer (conflict), or late
 * (the lookup ended without one). The RX worker that took the answer
 * publishes its fingerprint right after its claim; another RX worker can
 * get here in between and waits for it, a few instructions unless the
 * winner was preempted (then, after a bounded wait, a duplicate is the
 * likely kind: both arrived together).
 */
static void count_ended(struct scan *s, struct worker *w, const _Atomic uint32_t *stp, uint32_t st,
                        const uint64_t *fpp, const struct pkt_dns_reply *r, uint64_t key)
{
    unsigned drop = STATS_DROP_LATE;
    if (scan_qs_q(st) == SCAN_Q_TCP) {
        drop = STATS_DROP_DUPLICATE; /* its UDP copy was truncated, and taken */
    } else if (scan_qs_q(st) == SCAN_Q_DONE || scan_qs_q(st) == SCAN_Q_IDLE) {
        /* Ended (DONE), or its whole target or entry finished since (IDLE,
         * same generation). The fingerprint stays this query's while the
         * generation does; a new generation is a new occupant of the slot:
         * what it holds is not ours, and this reply is late. */
        uint32_t gen = scan_qs_gen(st);
        uint64_t fp = fp_load(fpp);
        bool same = scan_qs_gen(atomic_load_explicit(stp, memory_order_acquire)) == gen;
        for (unsigned i = 0; same && fp == 0 && i < 1000; i++) {
            sched_yield();
            fp = fp_load(fpp);
            same = scan_qs_gen(atomic_load_explicit(stp, memory_order_acquire)) == gen;
        }
        if (!same) {
            /* Recycled: what the slot's last lookup left in the table of
             * recent answers decides, as for a reply found in no slot. */
            drop_unmatched(s, w, key, r);
            return;
        }
        if (fp == 0)
            drop = STATS_DROP_DUPLICATE; /* the winner is still publishing: a copy */
        else if (fp != FP_NONE)
            drop = fp == reply_fp(r) ? STATS_DROP_DUPLICATE : STATS_DROP_CONFLICT;
    }
    cnt_add(&w->c.dropped[drop], 1);
}

/*
 * Validate reply r (from resolver ri, arrived on local_port, over TCP when
 * tcp) against the query of ref whose current state is st. Returns the
 * attempt it answers, or -1 after counting why not.
 */
static int validate(struct scan *s, struct worker *w, uint32_t st, const struct pkt_dns_reply *r,
                    int ri, uint16_t local_port, bool tcp, const uint8_t *qname, uint8_t qlen,
                    uint32_t nocase, const _Atomic uint8_t *res_of)
{
    unsigned cur;
    bool phase2;
    if (!scan_qs_pending(st, &cur, &phase2))
        return -1;
    int drop = STATS_DROP_WRONG_ID;
    for (int a = (int)cur; a >= 0; a--) {
        struct ident id;
        ident_make(s, r->qtype, (unsigned)a, qname, qlen, &id);
        if (id.id != r->id)
            continue;
        if ((int)atomic_load_explicit(&res_of[a], memory_order_acquire) != ri) {
            drop = STATS_DROP_WRONG_SOURCE;
            continue;
        }
        if (!tcp && id.port != local_port) {
            drop = STATS_DROP_WRONG_PORT;
            continue;
        }
        if (s->cfg->use_0x20 && !(nocase & (1u << a))) {
            uint8_t want[PKT_DNS_NAME_MAX];
            memcpy(want, qname, qlen);
            pkt_dns_name_case20(want, qlen, id.case_bits);
            if (!pkt_dns_name_equal_case(want, qlen, r->qname.wire, r->qname.len)) {
                /* A resolver that lower-cases every question cannot do 0x20.
                 * It counts as such only after SCAN_0X20_LOWER_MAX lower-cased
                 * answers spread over at least one first-attempt timeout
                 * with no answer that echoed our case: a spoofer who
                 * guesses IDs sends its lower-cased forgeries just before a
                 * genuine answer, which proves the resolver keeps case. Then
                 * say so once; later queries go to it without 0x20. */
                uint8_t low[PKT_DNS_NAME_MAX];
                memcpy(low, r->qname.wire, r->qname.len);
                pkt_dns_name_lower(low, r->qname.len);
                uint64_t zero = 0;
                bool lower = memcmp(low, r->qname.wire, r->qname.len) == 0;
                if (lower)
                    atomic_compare_exchange_strong(&s->res_case_lower_since[ri], &zero, w->now_ns);
                uint64_t since = atomic_load(&s->res_case_lower_since[ri]);
                if (lower && !atomic_load_explicit(&s->res_case_ok[ri], memory_order_relaxed) &&
                    atomic_fetch_add(&s->res_case_lower[ri], 1) + 1 >= SCAN_0X20_LOWER_MAX &&
                    w->now_ns >= since + (uint64_t)s->cfg->timeout_ms * 1000000ull &&
                    atomic_exchange(&s->res_no0x20[ri], 1) == 0) {
                    char txt[PKT_ADDR_TEXT_MAX];
                    pkt_addr_format(&s->cfg->resolvers[ri].addr, txt, sizeof(txt));
                    fprintf(stderr,
                            "fcrscan: resolver %s does not echo 0x20 case; "
                            "its answers are now checked without case\n",
                            txt);
                }
                drop = STATS_DROP_CASE;
                continue;
            }
            atomic_store_explicit(&s->res_case_ok[ri], 1, memory_order_relaxed);
        }
        return a;
    }
    cnt_add(&w->c.dropped[drop], 1);
    return -1;
}

static void queue_tcp(struct scan *s, uint32_t ref, uint32_t tcp_state, unsigned attempt, int ri,
                      const struct pkt_dns_reply *r, const uint8_t *qname, uint8_t qlen)
{
    uint32_t slot;
    while (!scan_idxq_pop(&s->tcpjob_free, &slot)) {
        if (atomic_load(&s->fatal))
            return;
        sched_yield();
    }
    struct tcpjob *j = &s->tcpjobs[slot];
    j->ref = ref;
    j->state = tcp_state;
    j->attempt = attempt;
    j->resolver = (unsigned)ri;
    j->qtype = r->qtype;
    j->id = r->id;
    j->qname_len = qlen;
    memcpy(j->qname, qname, qlen);
    while (!scan_idxq_push(&s->tcpjob_q, slot))
        sched_yield();
}

/*
 * Apply a validated final reply to ref, whose state word was st when the
 * claim succeeded (now DONE or, for phase changes, pending again).
 */
/*
 * Handle one answer to ref (found by its question). tcp: it came over TCP
 * and the caller owns the query (state SCAN_Q_TCP). Returns false when it
 * did not match ref (so the caller may try another candidate).
 */
static bool handle(struct scan *s, struct worker *w, uint32_t ref, uint64_t key,
                   const struct pkt_dns_reply *r, int ri, uint16_t local_port, bool tcp,
                   uint32_t tcp_state, unsigned tcp_attempt)
{
    const struct scan_config *cfg = s->cfg;
    _Atomic uint32_t *stp = state_of(s, ref);
    const uint8_t *qname;
    uint8_t qlen;
    bool is_fwd = (ref & SCAN_REF_FWD) != 0;
    struct tgt *t = NULL;
    struct fwd *f = NULL;
    if (is_fwd) {
        f = fwd_of(s, ref);
        qname = f->name;
        qlen = f->name_len;
    } else {
        t = &s->tgts[ref];
        qname = t->rev;
        qlen = t->rev_len;
    }

    uint32_t st = atomic_load_explicit(stp, memory_order_acquire);
    unsigned attempt = tcp_attempt;
    bool phase2 = false;
    if (tcp) {
        if (st != tcp_state)
            return true;
        phase2 = (st & SCAN_Q_PHASE2) != 0;
    } else {
        unsigned cur;
        if (!scan_qs_pending(st, &cur, &phase2)) {
            count_ended(s, w, stp, st, is_fwd ? &f->fp : &t->fp, r, key);
            return true;
        }
        /* The question type must be the one this phase asks. */
        if (is_fwd) {
            bool v6 = (f->family == PKT_ADDR_V6) != phase2;
            if (r->qtype != (v6 ? PKT_DNS_TYPE_AAAA : PKT_DNS_TYPE_A))
                return false;
        }
        uint32_t nocase =
            atomic_load_explicit(is_fwd ? &f->nocase : &t->nocase, memory_order_acquire);
        int a = validate(s, w, st, r, ri, local_port, false, qname, qlen, nocase,
                         is_fwd ? f->res_of : t->res_of);
        if (a < 0)
            return true;
        attempt = (unsigned)a;
        breaker_answer(s, (unsigned)ri);
    }
    uint32_t gen = scan_qs_gen(st);

    /* Truncated: not final (RFC 7766). Move it to the TCP worker. */
    if (r->tc && !tcp) {
        if (cfg->no_tcp) {
            /* Without TCP a truncated answer can only end as a failure. */
            if (!atomic_compare_exchange_strong(stp, &st, scan_qs_make(gen, SCAN_Q_DONE))) {
                count_ended(s, w, stp, st, is_fwd ? &f->fp : &t->fp, r, key);
                return true;
            }
            fp_store(is_fwd ? &f->fp : &t->fp, FP_NONE);
            if (is_fwd) {
                f->truncated = true;
                if (phase2) {
                    f->other_outcome = SCAN_OUTCOME_TEMP;
                    f->other_reason = STATS_REASON_OTHER;
                } else {
                    f->outcome = SCAN_OUTCOME_TEMP;
                    f->reason = STATS_REASON_OTHER;
                }
                fwd_complete(s, w, ref);
            } else {
                t->flags |= STATS_FLAG_TRUNCATED;
                ptr_done(s, w, ref, SCAN_OUTCOME_TEMP, STATS_REASON_OTHER, (int)r->rcode, NULL,
                         NULL);
            }
            return true;
        }
        uint32_t tcp_st = scan_qs_make(gen, SCAN_Q_TCP | (phase2 ? SCAN_Q_PHASE2 : 0));
        if (atomic_compare_exchange_strong(stp, &st, tcp_st))
            queue_tcp(s, ref, tcp_st, attempt, ri, r, qname, qlen);
        else
            count_ended(s, w, stp, st, is_fwd ? &f->fp : &t->fp, r, key);
        return true;
    }

    uint8_t reason;
    uint8_t outcome = reply_outcome(r, &reason);
    /* SERVFAIL/REFUSED: another resolver may do better, if there is one. */
    if (outcome == SCAN_OUTCOME_TEMP && cfg->nb_resolvers > 1 && attempt < cfg->retries && !tcp) {
        uint32_t next = scan_qs_pending_make(gen, attempt + 1, phase2);
        unsigned cur = 0;
        bool p2 = false;
        if (scan_qs_pending(st, &cur, &p2) && cur == attempt &&
            atomic_compare_exchange_strong(stp, &st, next)) {
            /* Should the remaining attempts only time out (a silent
             * resolver), this is the more telling reason to end with. */
            atomic_store(is_fwd ? &f->temp_reason : &t->temp_reason, reason);
            request_send(s, ref, gen);
        } else if (!scan_qs_pending(st, &cur, &p2))
            count_ended(s, w, stp, st, is_fwd ? &f->fp : &t->fp, r, key);
        return true;
    }

    if (!is_fwd && outcome == SCAN_OUTCOME_ANSWER) {
        struct ptr_set ps;
        if (!ptr_names(s, w, t, r, &ps))
            return true; /* forward table full: stays pending, a retry asks again */
        if (!atomic_compare_exchange_strong(stp, &st, scan_qs_make(gen, SCAN_Q_DONE))) {
            ptr_set_release(s, w, &ps, ps.nb);
            count_ended(s, w, stp, st, &t->fp, r, key);
            return true;
        }
        fp_store(&t->fp, reply_fp(r));
        if (r->tc || tcp)
            t->flags |= STATS_FLAG_TRUNCATED;
        ptr_done(s, w, ref, outcome, reason, (int)r->rcode, r, &ps);
        return true;
    }

    if (!tcp && !atomic_compare_exchange_strong(stp, &st, scan_qs_make(gen, SCAN_Q_DONE))) {
        count_ended(s, w, stp, st, is_fwd ? &f->fp : &t->fp, r, key);
        return true;
    }
    if (tcp)
        atomic_store(stp, scan_qs_make(gen, SCAN_Q_DONE));
    if (is_fwd) {
        fp_store(&f->fp, reply_fp(r));
        fwd_reply(s, w, ref, gen, phase2, tcp, r, outcome, reason);
    } else {
        fp_store(&t->fp, reply_fp(r));
        if (tcp)
            t->flags |= STATS_FLAG_TRUNCATED;
        ptr_done(s, w, ref, outcome, reason, (int)r->rcode, r, NULL);
    }
    return true;
}

static void rx_one(struct scan *s, struct worker *w, const struct pkt_dgram *d)
{
    cnt_add(&w->c.received, 1);
    if (d->truncated) {
        cnt_add(&w->c.dropped[STATS_DROP_OVERSIZE], 1);
        return;
    }
    /* M14: only addresses we queried, before spending time on parsing. */
    int ri = resolver_index(s, &d->peer, d->peer_port);
    if (ri < 0) {
        cnt_add(&w->c.dropped[STATS_DROP_WRONG_SOURCE], 1);
        return;
    }
    struct pkt_dns_reply r;
    int rc = pkt_dns_reply_parse(d->data, d->len, &r);
    if (rc < 0) {
        cnt_add(&w->c.dropped[stats_drop_from_dns(rc)], 1);
        return;
    }
    if (r.qclass != PKT_DNS_CLASS_IN) {
        cnt_add(&w->c.dropped[STATS_DROP_QUESTION], 1);
        return;
    }
    uint32_t cand[16];
    unsigned n;
    uint64_t key;
    if (r.qtype == PKT_DNS_TYPE_PTR) {
        struct pkt_addr a;
        if (pkt_rev_name_parse(r.qname.wire, r.qname.len, &a) != 0) {
            cnt_add(&w->c.dropped[STATS_DROP_QUESTION], 1);
            return;
        }
        key = tgt_hash(&a);
        n = scan_hindex_find(&s->index, key, cand, 16);
        for (unsigned i = 0; i < n; i++) {
            if (cand[i] & SCAN_REF_FWD)
                continue;
            struct tgt *t = &s->tgts[cand[i]];
            if (t->hkey == key && pkt_addr_equal(&t->ip, &a)) {
                handle(s, w, cand[i], key, &r, ri, d->local_port, false, 0, 0);
                return;
            }
        }
        drop_foreign(s, w, key, &r, ri, d->local_port);
        return;
    }
    if (r.qtype != PKT_DNS_TYPE_A && r.qtype != PKT_DNS_TYPE_AAAA) {
        cnt_add(&w->c.dropped[STATS_DROP_QUESTION], 1);
        return;
    }
    uint8_t low[PKT_DNS_NAME_MAX];
    memcpy(low, r.qname.wire, r.qname.len);
    pkt_dns_name_lower(low, r.qname.len);
    /* The entry is keyed by the targets' family; an A question belongs to an
     * IPv4 entry's first phase or an IPv6 entry's second, and vice versa. */
    static const uint8_t fams[2] = { PKT_ADDR_V4, PKT_ADDR_V6 };
    uint64_t first_key = 0;
    /* Two RX workers can each start an entry for the same name (their
     * PTR answers arrived together): both wait for an answer, so running
     * entries are tried first and an ended one only counts the reply. */
    uint32_t ended = UINT32_MAX;
    uint64_t ended_key = 0;
    for (unsigned k = 0; k < 2; k++) {
        uint8_t fam = r.qtype == PKT_DNS_TYPE_A ? fams[k] : fams[1 - k];
        key = fwd_hash(low, r.qname.len, fam);
        if (k == 0)
            first_key = key;
        n = scan_hindex_find(&s->index, key, cand, 16);
        for (unsigned i = 0; i < n; i++) {
            if (!(cand[i] & SCAN_REF_FWD))
                continue;
            struct fwd *f = fwd_of(s, cand[i]);
            if (f->hkey != key || f->family != fam || f->name_len != r.qname.len ||
                memcmp(f->name, low, r.qname.len) != 0)
                continue;
            unsigned a;
            bool p2;
            if (!scan_qs_pending(atomic_load_explicit(&f->state, memory_order_acquire), &a, &p2)) {
                if (ended == UINT32_MAX) {
                    ended = cand[i];
                    ended_key = key;
                }
                continue;
            }
            if (handle(s, w, cand[i], key, &r, ri, d->local_port, false, 0, 0))
                return;
        }
    }
    if (ended != UINT32_MAX && handle(s, w, ended, ended_key, &r, ri, d->local_port, false, 0, 0))
        return;
    drop_foreign(s, w, first_key, &r, ri, d->local_port);
}

static void *rx_main(void *arg)
{
    struct worker *w = arg;
    struct scan *s = w->s;
    struct pkt_dgram d[PKT_ENGINE_BURST_MAX];
    while (!atomic_load(&s->all_done) && !atomic_load(&s->fatal)) {
        unsigned n = s->cfg->engine->rx_burst(s->engine, w->q, d, PKT_ENGINE_BURST_MAX, 5);
        w->now_ns = mono_ns();
        w->wall_ms = wall_ms();
        scan_epoch_enter(&s->epoch, w->id);
        for (unsigned i = 0; i < n; i++)
            rx_one(s, w, &d[i]);
        evict_idle(s, w);
        scan_epoch_exit(&s->epoch, w->id);
        reclaim(s, w);
    }
    return NULL;
}

/* ---- TCP (RFC 7766) ------------------------------------------------------------ */

static int tcp_io(int fd, bool out, uint8_t *buf, size_t len, uint64_t deadline_ns)
{
    size_t off = 0;
    while (off < len) {
        uint64_t now = mono_ns();
        if (now >= deadline_ns)
            return -ETIMEDOUT;
        struct pollfd p = { .fd = fd, .events = out ? POLLOUT : POLLIN };
        int pr = poll(&p, 1, (int)((deadline_ns - now) / 1000000 + 1));
        if (pr <= 0)
            continue;
        ssize_t k =
            out ? send(fd, buf + off, len - off, MSG_NOSIGNAL) : recv(fd, buf + off, len - off, 0);
        if (k == 0)
            return -ECONNRESET;
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return -errno;
        }
        off += (size_t)k;
    }
    return 0;
}

/* One query over TCP; returns the reply length in buf or a negative errno. */
static int tcp_query(const struct scan_resolver *res, const uint8_t *q, size_t qlen, uint8_t *buf,
                     size_t cap, unsigned timeout_ms)
{
    struct sockaddr_storage ss;
    socklen_t sl = pkt_addr_to_sockaddr(&res->addr, res->port, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    uint64_t deadline = mono_ns() + (uint64_t)timeout_ms * 1000000ull;
    int rc = 0;
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) {
        rc = -errno;
        goto out;
    }
    uint8_t msg[2 + PKT_DNS_QUERY_MAX];
    msg[0] = (uint8_t)(qlen >> 8);
    msg[1] = (uint8_t)qlen;
    memcpy(msg + 2, q, qlen);
    rc = tcp_io(fd, true, msg, qlen + 2, deadline);
    if (rc == 0) {
        uint8_t lenb[2];
        rc = tcp_io(fd, false, lenb, 2, deadline);
        size_t rlen = (size_t)lenb[0] << 8 | lenb[1];
        if (rc == 0 && rlen > cap)
            rc = -EMSGSIZE;
        if (rc == 0)
            rc = tcp_io(fd, false, buf, rlen, deadline);
        if (rc == 0)
            rc = (int)rlen;
    }
out:;
    /* Close with a reset: a clean close leaves the connection in TIME_WAIT
     * on our side for a minute, and thousands of truncated answers a
     * minute to one resolver then exhaust the ephemeral ports, each
     * connect() searching longer for a free one (measured: the TCP worker
     * went from 4 % to 85 % of a core by the third /12 benchmark run). The
     * answer has been read (or given up on) by now. */
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
    return rc;
}

static void *tcp_main(void *arg)
{
    struct worker *w = arg;
    struct scan *s = w->s;
    const struct scan_config *cfg = s->cfg;
    uint8_t *buf = malloc(65535);
    struct pkt_dns_reply *r = malloc(sizeof(*r));
    if (buf == NULL || r == NULL) {
        set_fatal(s, "out of memory (TCP worker)");
        free(buf);
        free(r);
        return NULL;
    }
    long idle_ns = 1000000;
    while (!atomic_load(&s->all_done) && !atomic_load(&s->fatal)) {
        uint32_t slot;
        if (!scan_idxq_pop(&s->tcpjob_q, &slot)) {
            /* Truncated answers are rare: back off to 16 ms while idle. */
            struct timespec ts = { 0, idle_ns };
            nanosleep(&ts, NULL);
            if (idle_ns < 16000000)
                idle_ns *= 2;
            continue;
        }
        idle_ns = 1000000;
        struct tcpjob j = s->tcpjobs[slot];
        scan_idxq_push(&s->tcpjob_free, slot);
        /* Same ID and case as the UDP attempt it continues. */
        struct ident id;
        ident_make(s, j.qtype, j.attempt, j.qname, j.qname_len, &id);
        uint8_t name[PKT_DNS_NAME_MAX];
        memcpy(name, j.qname, j.qname_len);
        if (use_0x20_for(s, j.resolver))
            pkt_dns_name_case20(name, j.qname_len, id.case_bits);
        uint8_t q[PKT_DNS_QUERY_MAX];
        struct pkt_dns_query qs = { .qname = name,
                                    .qname_len = j.qname_len,
                                    .qtype = j.qtype,
                                    .id = j.id,
                                    .rd = cfg->rd,
                                    .edns = true };
        int qlen = pkt_dns_query_build(q, sizeof(q), &qs);
        int len = qlen > 0 ? tcp_query(&cfg->resolvers[j.resolver], q, (size_t)qlen, buf, 65535,
                                       attempt_timeout_ms(cfg, j.attempt))
                           : -EINVAL;
        cnt_add(&w->c.sent, 1);
        cnt_add(&w->c.tcp, 1);
        w->now_ns = mono_ns();
        w->wall_ms = wall_ms();
        scan_epoch_enter(&s->epoch, w->id);
        bool ok = false;
        if (len > 0) {
            cnt_add(&w->c.received, 1);
            int rc = pkt_dns_reply_parse(buf, (size_t)len, r);
            if (rc < 0) {
                cnt_add(&w->c.dropped[stats_drop_from_dns(rc)], 1);
            } else if (r->id != j.id || r->qtype != j.qtype ||
                       !pkt_dns_name_equal(r->qname.wire, r->qname.len, j.qname, j.qname_len)) {
                cnt_add(&w->c.dropped[STATS_DROP_QUESTION], 1);
            } else if (!r->tc) {
                /* The answer needed TCP: handle() sets the truncated flag. */
                handle(s, w, j.ref, 0, r, (int)j.resolver, 0, true, j.state, j.attempt);
                ok = true;
            }
        }
        if (!ok) {
            /* TCP failed: the lookup ends as a temporary failure. */
            _Atomic uint32_t *stp = state_of(s, j.ref);
            uint32_t st = j.state;
            uint32_t gen = scan_qs_gen(st);
            if (atomic_compare_exchange_strong(stp, &st, scan_qs_make(gen, SCAN_Q_DONE))) {
                fp_store((j.ref & SCAN_REF_FWD) ? &fwd_of(s, j.ref)->fp : &s->tgts[j.ref].fp,
                         FP_NONE);
                if (j.ref & SCAN_REF_FWD) {
                    struct fwd *f = fwd_of(s, j.ref);
                    f->truncated = true;
                    if (j.state & SCAN_Q_PHASE2) {
                        f->other_outcome = SCAN_OUTCOME_TEMP;
                        f->other_reason = STATS_REASON_OTHER;
                    } else {
                        f->outcome = SCAN_OUTCOME_TEMP;
                        f->reason = STATS_REASON_OTHER;
                    }
                    fwd_complete(s, w, j.ref);
                } else {
                    s->tgts[j.ref].flags |= STATS_FLAG_TRUNCATED;
                    ptr_done(s, w, j.ref, SCAN_OUTCOME_TEMP, STATS_REASON_OTHER, -1, NULL, NULL);
                }
            }
        }
        scan_epoch_exit(&s->epoch, w->id);
        reclaim(s, w);
    }
    free(buf);
    free(r);
    return NULL;
}

/* ---- writer ---------------------------------------------------------------------- */

static void sum_counters(struct scan *s, struct stats_counters *out)
{
    const struct stats_counters *blocks[W_MAX];
    for (unsigned i = 0; i < s->nb_w; i++)
        blocks[i] = &s->w[i].c;
    stats_counters_sum(out, blocks, s->nb_w);
}

/*
 * Checkpoint state: per TX worker the position bound (one more than the
 * last admitted position), then every live target as q << 56 | position,
 * sorted. The bound is read first; a target below it published live = 1
 * before the bound, so the slot scan sees it (or a later occupant of the
 * slot, whose predecessor's row was emitted before). Run while no row is
 * being emitted and the rings are empty (ckpt_take), so a target is live
 * exactly when its row is not in the output. Returns the number pending.
 */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t ckpt_collect(struct scan *s, uint64_t next[PKT_ENGINE_TXQ_MAX], uint64_t *pending)
{
    for (unsigned q = 0; q < s->nb_tx; q++)
        next[q] = atomic_load_explicit(&s->w[q].admitted, memory_order_acquire);
    size_t n = 0;
    for (uint32_t i = 0; i < s->nb_tgts; i++) {
        uint64_t v = atomic_load_explicit(&s->live[i], memory_order_acquire);
        if (v == 0)
            continue;
        uint64_t key = v - 1, q = key >> 56, pos = key & ((UINT64_C(1) << 56) - 1);
        if (q < s->nb_tx && pos < next[q])
            pending[n++] = key;
    }
    qsort(pending, n, sizeof(pending[0]), cmp_u64);
    return n;
}

static bool writer_drain(struct scan *s, char *buf, size_t cap);

/*
 * Take stock for a checkpoint (writer thread): stop row emission, wait for
 * the workers inside an emission (draining meanwhile: one may wait for ring
 * room), write out every row emitted, collect, and let emission go on. The
 * output is made durable afterwards by the hook; rows emitted from here on
 * go to the output after that sync.
 */
static size_t ckpt_take(struct scan *s, char *buf, size_t cap, uint64_t next[PKT_ENGINE_TXQ_MAX])
{
    atomic_store(&s->ck_pause, 1);
    for (unsigned i = 0; i < s->nb_w; i++)
        while (atomic_load(&s->w[i].emitting) && !atomic_load(&s->fatal)) {
            (void)writer_drain(s, buf, cap);
            sched_yield();
        }
    (void)writer_drain(s, buf, cap);
    size_t n = ckpt_collect(s, next, s->ck_pending);
    atomic_store(&s->ck_pause, 0);
    return n;
}

static bool writer_drain(struct scan *s, char *buf, size_t cap)
{
    bool any = false;
    for (unsigned i = 0; i < s->nb_w; i++) {
        size_t n;
        while ((n = scan_lines_take(&s->w[i].lines, buf, cap)) > 0) {
            any = true;
            if (!atomic_load(&s->fatal) && s->cfg->hooks.write(s->cfg->hooks.ctx, buf, n) != 0)
                set_fatal(s, "writing the output failed");
        }
    }
    return any;
}

struct writer_arg {
    struct scan *s;
    _Atomic int quit;
};

static void *writer_main(void *arg)
{
    struct writer_arg *wa = arg;
    struct scan *s = wa->s;
    size_t cap = s->w[0].lines.cap;
    char *buf = malloc(cap);
    if (buf == NULL) {
        set_fatal(s, "out of memory (writer)");
        return NULL;
    }
    uint64_t last_tick = 0, last_ckpt = mono_ns();
    const struct scan_config *cfg = s->cfg;
    for (;;) {
        bool quit = atomic_load(&wa->quit);
        uint64_t now = mono_ns();
        /* A checkpoint: take stock (rows written, targets still without
         * one), then the hook makes the output durable and records it. */
        if (cfg->hooks.checkpoint != NULL && cfg->checkpoint_ms > 0 && !quit &&
            now - last_ckpt >= (uint64_t)cfg->checkpoint_ms * 1000000ull) {
            uint64_t next[PKT_ENGINE_TXQ_MAX];
            size_t n = ckpt_take(s, buf, cap, next);
            if (!atomic_load(&s->fatal) &&
                cfg->hooks.checkpoint(cfg->hooks.ctx, next, s->ck_pending, n, s->nb_tx) != 0)
                set_fatal(s, "writing the checkpoint failed");
            last_ckpt = now;
        }
        bool any = writer_drain(s, buf, cap);
        now = mono_ns();
        if (now - last_tick >= 100000000ull || quit) {
            struct stats_counters sum;
            sum_counters(s, &sum);
            if (s->cfg->hooks.tick != NULL)
                s->cfg->hooks.tick(s->cfg->hooks.ctx, now, &sum);
            last_tick = now;
        }
        if (quit && !any)
            break;
        if (!any) {
            struct timespec ts = { 0, 2000000 };
            nanosleep(&ts, NULL);
        }
    }
    free(buf);
    return NULL;
}

/* ---- setup ------------------------------------------------------------------------ */

static void scan_free(struct scan *s)
{
    if (s->engine != NULL)
        s->cfg->engine->close(s->engine);
    free(s->tgts);
    free(s->fwds);
    scan_idxq_fini(&s->tgt_free);
    scan_idxq_fini(&s->fwd_free);
    scan_idxq_fini(&s->fwd_idle);
    scan_idxq_fini(&s->txreq_q);
    scan_idxq_fini(&s->txreq_free);
    scan_idxq_fini(&s->tcpjob_q);
    scan_idxq_fini(&s->tcpjob_free);
    free(s->txreqs);
    free(s->tcpjobs);
    scan_hindex_fini(&s->index);
    free(s->recent);
    free(s->by_id);
    free(s->ck_pending);
    free(s->live);
    for (unsigned i = 0; i < W_MAX; i++) {
        scan_limbo_fini(&s->w[i].limbo);
        scan_lines_fini(&s->w[i].lines);
        free(s->w[i].line_buf);
        free(s->w[i].batch);
        for (unsigned a = 0; a <= SCAN_RETRIES_MAX; a++)
            free(s->w[i].timers[a].t);
    }
    free(s);
}

static size_t pow2(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

static int scan_setup(struct scan *s, const struct scan_config *cfg, struct scan_result *res)
{
    s->cfg = cfg;
    s->nb_tgts = cfg->window;
    s->nb_fwds = cfg->fwd_cap;
    size_t nb_q = (size_t)s->nb_tgts + s->nb_fwds;
    s->tgts = calloc(s->nb_tgts, sizeof(s->tgts[0]));
    s->fwds = calloc(s->nb_fwds, sizeof(s->fwds[0]));
    s->recent = calloc(RECENT_SLOTS, sizeof(s->recent[0]));
    s->by_id = calloc(65536, sizeof(s->by_id[0]));
    s->txreqs = calloc(nb_q, sizeof(s->txreqs[0]));
    s->tcpjobs = calloc(1024, sizeof(s->tcpjobs[0]));
    s->live = calloc(s->nb_tgts, sizeof(s->live[0]));
    if (s->live == NULL || (cfg->hooks.checkpoint != NULL &&
                            (s->ck_pending = calloc(s->nb_tgts, sizeof(s->ck_pending[0]))) == NULL))
        goto nomem;
    if (s->tgts == NULL || s->fwds == NULL || s->recent == NULL || s->by_id == NULL ||
        s->txreqs == NULL || s->tcpjobs == NULL)
        goto nomem;
    if (scan_idxq_init(&s->tgt_free, s->nb_tgts) || scan_idxq_init(&s->fwd_free, s->nb_fwds) ||
        scan_idxq_init(&s->fwd_idle, s->nb_fwds) || scan_idxq_init(&s->txreq_q, nb_q) ||
        scan_idxq_init(&s->txreq_free, nb_q) || scan_idxq_init(&s->tcpjob_q, 1024) ||
        scan_idxq_init(&s->tcpjob_free, 1024) || scan_hindex_init(&s->index, nb_q))
        goto nomem;
    for (uint32_t i = 0; i < s->nb_tgts; i++)
        scan_idxq_push(&s->tgt_free, i);
    for (uint32_t i = 0; i < s->nb_fwds; i++)
        scan_idxq_push(&s->fwd_free, i);
    for (uint32_t i = 0; i < nb_q; i++)
        scan_idxq_push(&s->txreq_free, i);
    for (uint32_t i = 0; i < 1024; i++)
        scan_idxq_push(&s->tcpjob_free, i);
    s->nb_tx = cfg->engine_cfg.nb_txq > 0 ? cfg->engine_cfg.nb_txq : 1;
    s->nb_rx = cfg->engine_cfg.nb_rxq > 0 ? cfg->engine_cfg.nb_rxq : 1;
    s->nb_w = s->nb_tx + s->nb_rx + 1;
    for (unsigned i = 0; i < s->nb_w; i++) {
        struct worker *w = &s->w[i];
        w->s = s;
        w->id = i;
        w->q = i < s->nb_tx ? i : i - s->nb_tx;
        if (i >= s->nb_tx)
            continue;
        /* Each TX worker's FIFOs can hold every query that can be pending
         * (any TX worker may send any of them) twice over (compaction). */
        w->batch = calloc(1, sizeof(*w->batch));
        if (w->batch == NULL)
            goto nomem;
        for (unsigned a = 0; a <= cfg->retries; a++) {
            w->timers[a].cap = pow2(2 * nb_q);
            w->timers[a].t = calloc(w->timers[a].cap, sizeof(struct timer));
            if (w->timers[a].t == NULL)
                goto nomem;
        }
    }
    for (unsigned i = 0; i < s->nb_w; i++) {
        size_t ring = cfg->line_max * 4 > ((size_t)1 << 22) ? cfg->line_max * 4 : (size_t)1 << 22;
        if (scan_limbo_init(&s->w[i].limbo, nb_q) || scan_lines_init(&s->w[i].lines, ring))
            goto nomem;
        s->w[i].line_buf = malloc(cfg->line_max);
        if (s->w[i].line_buf == NULL)
            goto nomem;
    }
    scan_epoch_init(&s->epoch, s->nb_w);
    s->key_case = scan_key_derive(cfg->key.k0 ^ cfg->key.k1, "0x20");

    int rc = cfg->engine->open(&cfg->engine_cfg, &s->engine, res->error, sizeof(res->error));
    if (rc != 0)
        return rc;
    if (cfg->drop_user != NULL) {
        rc = scan_privs_drop(cfg->drop_user, res->error, sizeof(res->error));
        if (rc != 0)
            return rc; /* a failed drop aborts the run (S01) */
    }
    s->nb_ports[0] = cfg->engine->ports(s->engine, PKT_ADDR_V4, s->ports[0], PKT_ENGINE_PORTS_MAX);
    s->nb_ports[1] = cfg->engine->ports(s->engine, PKT_ADDR_V6, s->ports[1], PKT_ENGINE_PORTS_MAX);
    return 0;
nomem:
    snprintf(res->error, sizeof(res->error),
             "out of memory sizing the scan (window %u, "
             "forward table %u)",
             cfg->window, cfg->fwd_cap);
    return -ENOMEM;
}

int scan_run(const struct scan_config *cfg, struct scan_result *res)
{
    memset(res, 0, sizeof(*res));
    if (cfg->nb_resolvers == 0 || cfg->window == 0 || cfg->fwd_cap < 128 ||
        cfg->retries > SCAN_RETRIES_MAX || cfg->max_ptr == 0 || cfg->line_max == 0) {
        snprintf(res->error, sizeof(res->error), "invalid scan configuration");
        return -EINVAL;
    }
    struct scan *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(res->error, sizeof(res->error), "out of memory");
        return -ENOMEM;
    }
    int rc = scan_setup(s, cfg, res);
    if (rc != 0) {
        scan_free(s);
        return rc;
    }
    s->t0_ns = mono_ns();
    struct writer_arg wa = { .s = s };
    atomic_init(&wa.quit, 0);
    /* Writer first, then RX and TCP (they wait for replies), TX last. */
    pthread_t th[W_MAX], th_wr;
    bool have[W_MAX] = { false };
    bool ok = pthread_create(&th_wr, NULL, writer_main, &wa) == 0;
    bool have_wr = ok;
    for (unsigned i = s->nb_tx; ok && i < s->nb_w; i++) {
        ok = pthread_create(&th[i], NULL, i + 1 == s->nb_w ? tcp_main : rx_main, &s->w[i]) == 0;
        have[i] = ok;
    }
    for (unsigned i = 0; ok && i < s->nb_tx; i++) {
        ok = pthread_create(&th[i], NULL, tx_main, &s->w[i]) == 0;
        have[i] = ok;
    }
    if (!ok)
        set_fatal(s, "cannot start the scan threads");
    for (unsigned i = 0; i < s->nb_tx; i++)
        if (have[i])
            pthread_join(th[i], NULL);
    /* Every TX worker has left: no target is in flight any more. */
    atomic_store(&s->all_done, 1);
    for (unsigned i = s->nb_tx; i < s->nb_w; i++)
        if (have[i])
            pthread_join(th[i], NULL);
    atomic_store(&wa.quit, 1);
    if (have_wr)
        pthread_join(th_wr, NULL);

    /* The last checkpoint, with every worker stopped and every row written. */
    if (cfg->hooks.checkpoint != NULL && !atomic_load(&s->fatal)) {
        uint64_t next[PKT_ENGINE_TXQ_MAX];
        size_t n = ckpt_collect(s, next, s->ck_pending);
        if (cfg->hooks.checkpoint(cfg->hooks.ctx, next, s->ck_pending, n, s->nb_tx) != 0)
            set_fatal(s, "writing the checkpoint failed");
    }
    sum_counters(s, &res->totals);
    if (cfg->engine->rx_drops != NULL && s->engine != NULL) {
        uint64_t fd[8] = { 0 };
        cfg->engine->rx_drops(s->engine, fd);
        for (unsigned i = 0; i < 8; i++)
            res->totals.dropped[STATS_DROP_FRAME_FIRST + i] += fd[i];
    }
    if (s->engine != NULL) {
        if (cfg->engine->rx_missed != NULL)
            res->totals.dropped[STATS_DROP_ENGINE_MISSED] += cfg->engine->rx_missed(s->engine);
        if (cfg->engine->icmp_errors != NULL) {
            uint64_t ic[2] = { 0, 0 };
            cfg->engine->icmp_errors(s->engine, ic);
            res->totals.dropped[STATS_DROP_ICMP] += ic[0];
            res->totals.dropped[STATS_DROP_ICMP_UNMATCHED] += ic[1];
        }
        res->totals.send_errors += cfg->engine->tx_errors(s->engine);
    }
    res->targets_started = atomic_load(&s->started);
    res->targets_done = atomic_load(&s->done_rows);
    res->elapsed_s = (double)(mono_ns() - s->t0_ns) / 1e9;
    if (atomic_load(&s->fatal)) {
        snprintf(res->error, sizeof(res->error), "%s", s->fatal_msg);
        res->end = -EIO;
        scan_free(s);
        return -EIO;
    }
    res->end = atomic_load(&s->stopping) ? SCAN_END_INTERRUPTED : SCAN_END_DONE;
    scan_free(s);
    return 0;
}
