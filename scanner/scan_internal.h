/*
 * scanner/scan_internal.h - what the rooms of one scan share.
 *
 * The scan (scan.h) is split by noun, one file each:
 *   scan.c    setup, the threads, teardown, slot lifetime (scan_retire/scan_reclaim)
 *   query.c   a lookup's identity (ID, port, case, resolver), its state
 *             transitions (answer, retry, end) and the circuit breaker
 *   ptr.c     the PTR lookup of a target: its names, the forward entries
 *             they take, the count-down to the row
 *   fwd.c     the forward-name table: shared A/AAAA lookups and waiters
 *   tx.c      the TX thread: admission, rates, batches, retry timers
 *   rx.c      the RX thread: receive, scan_validate, attribute, count drops
 *   tcp.c     the TCP fallback thread (RFC 7766)
 *   rows.c    a target's row, emission into the line rings, the writer
 *             thread and the checkpoint's stock-taking
 *
 * A lookup is one question asked of the resolvers until an answer, NXDOMAIN,
 * NODATA or a final failure. Its common part (struct scan_lookup: state
 * word, attempts, resolver per attempt, answer fingerprint) is embedded
 * first in each kind of slot; what differs per kind (the question type of a
 * phase, what to gather before claiming an answer, what happens when it
 * ends) is a table of functions (struct scan_lookup_ops). A new kind of
 * lookup (walk nodes, delegations, MX/TXT) is a new slot type with its own
 * ops, reusing the matcher, retries, rates and TCP fallback.
 *
 * Slot references: a target slot is its index; a forward entry is its index
 * with SCAN_REF_FWD set. Both carry a generation in their state word, so a
 * timer or a stale index cell for a recycled slot can never claim it.
 *
 * Threading: each function below says which threads call it. Shared state
 * is only what struct scan holds behind atomics, the index and the queues.
 */
#ifndef FCRSCAN_SCANNER_SCAN_INTERNAL_H
#define FCRSCAN_SCANNER_SCAN_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "packet/dns.h"
#include "packet/rev.h"
#include "scanner/epoch.h"
#include "scanner/hindex.h"
#include "scanner/idxq.h"
#include "scanner/lines.h"
#include "scanner/nethash.h"
#include "scanner/qstate.h"
#include "scanner/scan.h"
#include "scanner/verdict.h"

#define SCAN_REF_FWD        0x80000000u
#define FWD_EVICTING        UINT32_MAX
#define WAIT_CLOSED         UINT64_MAX
#define FWD_ADDRS_MAX       STATS_ADDRS_MAX /* addresses kept per forward answer */
#define RECENT_SLOTS        65536u
#define SCAN_0X20_LOWER_MAX 8u /* lower-cased answers before a resolver counts as non-0x20 */
#define SCAN_BREAKER_STREAK 32 /* timeouts in a row that open a resolver's breaker */
#define CAND_MAX            (2 * SCAN_HINDEX_WAYS) /* index candidates per key */

/* Workers: TX queues 0..nb_tx-1, then RX queues, then the TCP worker. Each
 * has its own counters, limbo list, line ring and epoch slot. */
#define W_MAX (PKT_ENGINE_TXQ_MAX + PKT_ENGINE_RXQ_MAX + 1)
_Static_assert(W_MAX <= SCAN_EPOCH_WORKERS, "an epoch slot per worker");

/* Internal outcome when a lookup was cut short by a stop: no record. */
#define OUTCOME_ABORT 0xFFu

/* Fingerprints are odd; FP_NONE marks a lookup that ended without an
 * answer; 0 is "not published yet" (between a claim and its fp_store).
 * Read by other RX workers while the owner writes: atomic. */
#define FP_NONE 2u

/* The part of every lookup, embedded first in each kind of slot. */
struct scan_lookup {
    _Atomic uint32_t state;                       /* qstate.h word */
    _Atomic uint32_t queries;                     /* packets sent */
    _Atomic uint32_t nocase;                      /* bit a: attempt a went out without 0x20 */
    _Atomic uint8_t res_of[SCAN_RETRIES_MAX + 1]; /* resolver attempt a went to */
    _Atomic uint8_t temp_reason;                  /* SERVFAIL/REFUSED seen on an earlier attempt */
    _Atomic int16_t temp_rcode;                   /* ... and its rcode (-1: none) */
    uint8_t qname_len;
    uint8_t *qname; /* the slot's own question buffer (lower case), set at setup */
    uint64_t hkey;  /* index key (keyed hash of the question) */
    uint64_t fp;    /* fingerprint of the answer taken (fp_store/fp_load) */
};

/* A target in flight: its PTR lookup, the names its answer gave and one
 * forward entry reference per name. */
struct tgt {
    struct scan_lookup l;         /* the PTR lookup; first */
    _Atomic uint32_t outstanding; /* forward lookups still running (+1 guard) */
    struct pkt_addr ip;
    uint8_t rev[PKT_REV_V6_MAX]; /* reverse name: l.qname */
    uint8_t ptr_outcome;
    uint8_t ptr_reason;
    int16_t ptr_rcode;
    uint8_t nb_names;
    bool aborted;
    uint32_t flags;
    uint64_t t_start_ns;
    uint32_t name_ref[STATS_NAMES_MAX];
    uint32_t name_flags[STATS_NAMES_MAX];
    uint32_t wnext[STATS_NAMES_MAX]; /* waiter links, node + 1 */
};

/* One A/AAAA lookup shared by every target whose PTR answer names it. */
struct fwd {
    struct scan_lookup l; /* first */
    _Atomic uint32_t refs;
    _Atomic uint64_t waiters; /* stack of (target * 32 + name) + 1, or WAIT_CLOSED */
    _Atomic uint8_t in_idle;
    uint8_t family;                 /* the targets' family: decides A or AAAA first */
    bool noquery;                   /* holds an unusable / not evaluated name; not indexed */
    uint8_t name[PKT_DNS_NAME_MAX]; /* lower case: l.qname */
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

/* One FIFO of retry timers per attempt number (tx.c). */
struct timerq {
    struct timer *t;
    size_t cap;
    size_t head;
    size_t tail;
};

/* The last answer of a recently ended lookup, by index key (drops). */
struct recent {
    _Atomic uint64_t key;
    _Atomic uint64_t fp;
};

/* Queries are sent in batches of up to TX_BATCH_MAX, sorted by socket: with
 * 64 sockets a batch of 256 gives each sendmmsg about four datagrams. */
#define TX_BATCH_MAX 256

struct txbatch {
    struct pkt_dgram d[TX_BATCH_MAX];
    uint8_t buf[TX_BATCH_MAX][PKT_DNS_QUERY_MAX];
    unsigned n;
};

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
    bool stash_counted; /* the stashed target was counted as index_full */
    struct pkt_addr stash;
    uint64_t stash_pos;
};

struct scan {
    const struct scan_config *cfg;
    struct pkt_engine *engine;
    struct scan_key key_case;
    struct scan_nethash nethash; /* index hashes under the run's secret */
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
     * a pending query's ID, port and source (docs/test-cases.md M04).
     * TX writes, RX reads. */
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
    struct tcpjob *tcpjobs; /* nb_tcpjobs slots */
    uint32_t nb_tcpjobs;
    unsigned tcp_conns;      /* connections at once, in all */
    unsigned tcp_per_server; /* ... and per resolver */
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
    _Atomic uint8_t res_warned[SCAN_RESOLVERS_MAX]; /* the breaker opened at least once */
    /* Main thread only: which of those events the notice hook was told. */
    bool said_breaker[SCAN_RESOLVERS_MAX];
    bool said_no0x20[SCAN_RESOLVERS_MAX];
    _Atomic unsigned tx_running;  /* TX workers not finished yet */
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

/* ---- small shared helpers ------------------------------------------------ */

static inline uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Single-writer counter increment, readable by the writer thread. */
static inline void cnt_add(uint64_t *c, uint64_t n)
{
    __atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static inline struct fwd *scan_fwd_of(struct scan *s, uint32_t ref)
{
    return &s->fwds[ref & ~SCAN_REF_FWD];
}

static inline struct tgt *scan_tgt_of(struct scan *s, uint32_t ref)
{
    return &s->tgts[ref];
}

static inline struct scan_lookup *scan_lookup_of(struct scan *s, uint32_t ref)
{
    return (ref & SCAN_REF_FWD) ? &scan_fwd_of(s, ref)->l : &scan_tgt_of(s, ref)->l;
}

static inline void fp_store(uint64_t *p, uint64_t fp)
{
    __atomic_store_n(p, fp, __ATOMIC_RELEASE);
}

static inline uint64_t fp_load(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* ---- lookups (query.c) ------------------------------------------------------ */

/* How a lookup ended, handed to its kind's done(). */
struct scan_ended {
    uint8_t outcome;               /* enum scan_outcome, or OUTCOME_ABORT */
    uint8_t reason;                /* enum stats_reason for TEMP */
    bool phase2;                   /* the phase that ended (forward lookups) */
    bool truncated;                /* TC was seen: TCP used, refused (--no-tcp) or failed */
    int rcode;                     /* of the final reply, -1 when none */
    const struct pkt_dns_reply *r; /* the final reply, NULL when none */
    void *prep;                    /* what the kind's prepare() gathered, or NULL */
};

/* What differs per kind of lookup. Threading: RX, TX and TCP workers. */
struct scan_lookup_ops {
    /* The question type asked in the given phase. */
    uint16_t (*qtype)(struct scan *s, uint32_t ref, bool phase2);
    /* May be NULL. Before an answer (outcome ANSWER) is claimed: gather what
     * it gives into prep (at most SCAN_PREP_MAX octets). False leaves the
     * query pending (no room now: a retry asks again). */
    bool (*prepare)(struct scan *s, struct worker *w, uint32_t ref, const struct pkt_dns_reply *r,
                    void *prep);
    /* May be NULL with prepare. The claim was lost: give prep back. */
    void (*unprepare)(struct scan *s, struct worker *w, void *prep);
    /* The lookup's state is DONE and owned by the caller: take the result.
     * It may move the lookup on (a second phase) instead of finishing it. */
    void (*done)(struct scan *s, struct worker *w, uint32_t ref, const struct scan_ended *e);
};

extern const struct scan_lookup_ops scan_ptr_ops; /* ptr.c */
extern const struct scan_lookup_ops scan_fwd_ops; /* fwd.c */

static inline const struct scan_lookup_ops *scan_lookup_ops_of(uint32_t ref)
{
    return (ref & SCAN_REF_FWD) ? &scan_fwd_ops : &scan_ptr_ops;
}

/* A query's identity for an attempt (RFC 5452): all keyed. */
struct ident {
    uint16_t id;
    uint16_t port;
    unsigned resolver;
    uint64_t case_bits;
};

/* Identity of attempt `attempt` of (qtype, qname). Any worker. */
void scan_ident_make(const struct scan *s, uint16_t qtype, unsigned attempt, const uint8_t *qname,
                     size_t len, struct ident *out);
/* 0x20 is on and not switched off for this resolver. Any worker. */
bool scan_use_0x20(struct scan *s, unsigned resolver);
/* The keyed resolver, or the next one whose breaker is closed. Any worker. */
unsigned scan_resolver_pick(struct scan *s, unsigned keyed, uint64_t now);
/* An attempt to resolver r timed out / r answered (circuit breaker). */
void scan_breaker_timeout(struct scan *s, struct worker *w, unsigned r);
void scan_breaker_answer(struct scan *s, unsigned r);
/* Order-independent fingerprint of an answer's content (conflicts). Pure. */
uint64_t scan_reply_fp(const struct pkt_dns_reply *r);
/* Ask TX to send the current attempt of ref (state gen). RX, TCP. */
void scan_request_send(struct scan *s, uint32_t ref, uint32_t gen);
/* Remember the answer of an ending lookup for late copies (drops). */
void scan_recent_put(struct scan *s, uint64_t key, uint64_t fp);
/*
 * End ref's lookup: its state is DONE and owned by the caller. Publishes the
 * fingerprint (of e->r, or FP_NONE) and hands e to the kind's done(). The
 * one way every path (answer, timeout, abort, TCP failure) ends a lookup.
 */
void scan_lookup_end(struct scan *s, struct worker *w, uint32_t ref, const struct scan_ended *e);
/*
 * Apply answer r to ref, found by its question. From RX (tcp NULL): checked
 * against the pending attempts (scan_validate) first. From TCP: tcp_state is the
 * SCAN_Q_TCP word the caller owns and tcp_attempt the attempt it continues.
 * Returns false when r does not belong to ref (so RX may try another
 * candidate); true when it was used or counted.
 */
bool scan_lookup_answer(struct scan *s, struct worker *w, uint32_t ref, uint64_t key,
                        const struct pkt_dns_reply *r, int ri, uint16_t local_port, bool tcp,
                        uint32_t tcp_state, unsigned tcp_attempt);

/* ---- RX (rx.c) ------------------------------------------------------------- */

/*
 * Count a reply to ref's query that has ended (state st): duplicate,
 * conflict or late. RX and TCP workers.
 */
void scan_count_ended(struct scan *s, struct worker *w, const struct scan_lookup *l, uint32_t st,
                      const struct pkt_dns_reply *r, uint64_t key);
/*
 * Check r against the pending query of l (state st): which attempt it
 * answers, or -1 after counting why not (ID, source, port, 0x20 case).
 * RX workers.
 */
int scan_validate(struct scan *s, struct worker *w, const struct scan_lookup *l, uint32_t st,
                  const struct pkt_dns_reply *r, int ri, uint16_t local_port);
/* The RX thread. */
void *scan_rx_main(void *arg);

/* ---- forward entries (fwd.c) --------------------------------------------- */

/* Drop a reference; the last one evicts or parks the entry. Any worker. */
void scan_fwd_unref(struct scan *s, struct worker *w, uint32_t ref);
/* A cached or running lookup for (name, family), else a new one (*created:
 * the caller starts it). False when the table is full. RX, TCP. */
bool scan_fwd_get(struct scan *s, struct worker *w, const uint8_t *name, uint8_t len,
                  uint8_t family, uint32_t *ref, bool *created);
/* A private holder for a name that is not looked up. RX, TCP. */
bool scan_fwd_private(struct scan *s, const uint8_t *name, uint8_t len, uint32_t *ref);
/* Start an entry this thread created: first attempt pending, ask TX. */
void scan_fwd_start(struct scan *s, uint32_t ref);
/* Register target ti's name i as waiting on ref (counts down at once when
 * it is already answered). */
void scan_fwd_wait(struct scan *s, struct worker *w, uint32_t ti, unsigned i, uint32_t ref);
/* Withdraw an entry created here that nobody else holds (true), else false. */
bool scan_fwd_withdraw(struct scan *s, struct worker *w, uint32_t ref);
/* Evict the cached answers nobody holds from hash's index buckets, to make
 * room for hash; true when one went. Any worker. */
bool scan_fwd_make_room(struct scan *s, struct worker *w, uint64_t hash);
/* Evict cached answers nobody uses while the free list runs low. RX. */
void scan_fwd_evict_idle(struct scan *s, struct worker *w);
/* Is ip among the addresses f's answer kept? */
bool scan_fwd_has_addr(const struct fwd *f, const struct pkt_addr *ip);

/* ---- targets (ptr.c) -------------------------------------------------------- */

/* What a PTR answer gives a target, gathered before the claim (prepare). */
struct ptr_set {
    unsigned nb;
    uint32_t flags;
    uint32_t refs[STATS_NAMES_MAX];
    uint32_t name_flags[STATS_NAMES_MAX];
    bool created[STATS_NAMES_MAX];
};
#define SCAN_PREP_MAX sizeof(struct ptr_set)

/* One of target ti's lookups ended; the last one writes the record. */
void scan_tgt_countdown(struct scan *s, struct worker *w, uint32_t ti);

/* ---- rows (rows.c) ---------------------------------------------------------- */

/* Write target ti's record (unless aborted) and release it. Called by the
 * one thread that ended its last lookup. */
void scan_row_finalize(struct scan *s, struct worker *w, uint32_t ti);
/* Checkpoint stock: bound per TX worker and live targets (sorted). */
size_t scan_rows_ckpt_collect(struct scan *s, uint64_t next[PKT_ENGINE_TXQ_MAX], uint64_t *pending);
/* Sum every worker's counters. Writer and main thread. */
void scan_sum_counters(struct scan *s, struct stats_counters *out);

struct writer_arg {
    struct scan *s;
    _Atomic int quit;
};
/* The writer thread (arg: struct writer_arg). */
void *scan_writer_main(void *arg);

/* ---- TX (tx.c) and TCP (tcp.c) --------------------------------------------- */

void *scan_tx_main(void *arg);
void *scan_tcp_main(void *arg);
/* Hand a truncated answer's query (state tcp_state, set by the caller) to
 * the TCP worker; with every job slot taken, end it at once. RX. */
void scan_tcp_queue(struct scan *s, struct worker *w, uint32_t ref, uint32_t tcp_state,
                    unsigned attempt, int ri, const struct pkt_dns_reply *r);

/* ---- slot lifetime and failure (scan.c) -------------------------------------- */

/* Tell the notice hook what the workers noted since (main thread). */
void scan_notices(struct scan *s);
/* Stop the run with msg (the first failure wins). Any thread. */
void scan_set_fatal(struct scan *s, const char *msg);
/* Retire ref (slot reused after a grace period) / reuse what is due. */
void scan_retire(struct scan *s, struct worker *w, uint32_t ref);
void scan_reclaim(struct scan *s, struct worker *w);

#endif
