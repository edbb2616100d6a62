/*
 * scanner/scan.h - one scan: the query state machine, the lock-free matcher,
 * retries, TCP fallback and the output pipeline.
 *
 * Purpose: take targets one at a time from a hook (the keyed permutation in
 * fcrscan), ask PTR, then A/AAAA for every name, pair the answers and emit
 * exactly one record per target through the format/write hooks.
 *
 * Threads (all started and joined by scan_run):
 *   TX     admits targets (rate, window, forward-table reserve), builds and
 *          sends queries, owns the retry timers, ends lookups that time out.
 *          One per engine TX queue (engine_cfg.nb_txq), each with its own
 *          targets (next_target), timers and share of the rates; send
 *          orders from RX go to whichever TX worker takes them first.
 *   RX     receives, validates (source, ID, port, question, 0x20 case),
 *          claims the query with a CAS and processes the answer. One per
 *          engine RX queue (engine_cfg.nb_rxq).
 *   TCP    re-asks truncated answers over kernel TCP sockets (RFC 7766).
 *   writer formats nothing; it drains the producers' line rings into the
 *          sink, closes compressed frames on time and draws progress.
 * Shared state is only the matcher's slot arrays, hash index and rings:
 * claims, completions and count-downs are atomic; no mutex on the packet
 * path. Slots are recycled through epoch-based reclamation, so a reader that
 * found a slot can read it until its next quiescent point.
 *
 * Memory: sized once from scan_config (window, forward capacity); nothing
 * is allocated per packet, per target or per name while scanning.
 * Untrusted input: every received datagram.
 */
#ifndef FCRSCAN_SCANNER_SCAN_H
#define FCRSCAN_SCANNER_SCAN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet/addr.h"
#include "packet/engine.h"
#include "scanner/keyed.h"
#include "stats/counters.h"
#include "stats/record.h"

#define SCAN_RESOLVERS_MAX 64
#define SCAN_RETRIES_MAX   15

/* One resolver: address and port (53 unless given). */
struct scan_resolver {
    struct pkt_addr addr;
    uint16_t port;
};

/* Outside the scan: targets, classification, output. Called from the
 * threads named; each hook must be safe for the threads it lists. */
struct scan_hooks {
    void *ctx;
    /* Next target for TX worker q (0..engine_cfg.nb_txq-1) in scan order;
     * false when q has no more. The workers' sequences must be disjoint and
     * together the whole target set. *pos (preset to one more than the
     * last one's) may be set to the target's position in q's sequence,
     * ascending; checkpoints report positions. Threading: TX worker q. */
    bool (*next_target)(void *ctx, unsigned q, struct pkt_addr *out, uint64_t *pos);
    /* Flags (STATS_FLAG_*) for one PTR name of target t; *unusable when the
     * name must not be queried. Threading: RX and TCP threads. */
    uint32_t (*classify)(void *ctx, const uint8_t *wire, size_t len, const struct pkt_addr *t,
                         bool *unusable);
    /* One record as one output line into buf; returns its length or a
     * negative value when it does not fit. Threading: RX, TX, TCP. */
    int (*format)(void *ctx, const struct stats_record *r, char *buf, size_t cap);
    /* Write whole lines (never a partial record); returns 0 or negative.
     * Threading: writer thread only. */
    int (*write)(void *ctx, const char *buf, size_t len);
    /* Called by the writer about every 100 ms with the monotonic time (for
     * frame closing and progress). Threading: writer thread only. */
    void (*tick)(void *ctx, uint64_t now_ns, const struct stats_counters *sum);
    /* May be NULL. Every checkpoint_ms and once at the end: for each TX
     * worker q < nb, every target next_target gave it at a position below
     * next[q] has its row written through write, except pending[0..nb_pending)
     * (q << SCAN_CKPT_POS_BITS | position, ascending: still running or cut
     * short; scanner/checkpoint.h). The hook
     * makes the output durable and records the point. Returns 0, or nonzero
     * to fail the run. Threading: writer thread; the last call from
     * scan_run's thread after the workers stopped. */
    int (*checkpoint)(void *ctx, const uint64_t *next, const uint64_t *pending, size_t nb_pending,
                      unsigned nb);
    /* May be NULL. Something the user should know, one line without the
     * program name or a newline ("resolver 192.0.2.53 stopped answering
     * ..."). The workers never print: they note, and scan_run's thread
     * calls this within about 50 ms. Threading: scan_run's thread. */
    void (*notice)(void *ctx, const char *text);
};

/* Effective settings; written before scan_run, const during it. */
struct scan_config {
    struct scan_resolver resolvers[SCAN_RESOLVERS_MAX];
    unsigned nb_resolvers;
    uint64_t rate;          /* global queries per second */
    uint64_t resolver_rate; /* per resolver, 0 = no extra cap */
    unsigned timeout_ms;    /* first attempt (scan_attempt_timeout_ms) */
    unsigned retries;       /* after the first attempt */
    unsigned max_ptr;       /* PTR names evaluated per target (1..32) */
    bool use_0x20;
    bool no_tcp;
    /* TCP fallback: truncated answers that may wait (beyond them a lookup
     * ends as tempfail/other), connections at once in all and per
     * resolver. 0 takes the default (SCAN_TCP_*_DEFAULT). */
    unsigned tcp_jobs;
    unsigned tcp_conns;
    unsigned tcp_per_server;
    bool rd;              /* recursion desired (true for resolvers) */
    double max_runtime_s; /* 0 = no limit */
    unsigned window;      /* targets in flight (slots) */
    unsigned fwd_cap;     /* forward-name table entries */
    struct scan_key key;  /* per-run secret: IDs, ports, case bits */
    /* The engine, open: the caller opened it with engine_cfg (and, for a
     * raw engine, dropped privileges after), and closes it after scan_run
     * (borrowed). nb_txq TX and nb_rxq RX workers run, one per queue. */
    const struct pkt_engine_ops *engine_ops;
    struct pkt_engine *engine;
    struct pkt_engine_config engine_cfg;
    size_t line_max;        /* largest formatted record, octets */
    unsigned checkpoint_ms; /* period of hooks.checkpoint (0: only at the end) */
    struct scan_hooks hooks;
    /* Set asynchronously (signal handler) to stop: 1 = stop sending and
     * drain, 2 = stop now. May be NULL. */
    volatile sig_atomic_t *stop;
};

#define SCAN_TCP_JOBS_DEFAULT       1024
#define SCAN_TCP_CONNS_DEFAULT      64
#define SCAN_TCP_PER_SERVER_DEFAULT 16

#define SCAN_TIMEOUT_MAX_MS 6000u /* retries double the first timeout up to this */

/*
 * The timeout of attempt `attempt` (0 = first) in milliseconds: first_ms,
 * doubled per retry up to SCAN_TIMEOUT_MAX_MS; a first timeout above that is
 * kept for every attempt. Pure; any thread.
 */
unsigned scan_attempt_timeout_ms(unsigned first_ms, unsigned attempt);

/* Why scan_run returned. */
enum scan_end {
    SCAN_END_DONE = 0,        /* every target has its record */
    SCAN_END_INTERRUPTED = 3, /* stop requested or max runtime reached */
};

struct scan_result {
    int end;         /* enum scan_end, or negative on failure */
    char error[256]; /* failure message */
    struct stats_counters totals;
    uint64_t targets_started;
    uint64_t targets_done;
    double elapsed_s;
};

/*
 * Run the whole scan. Returns 0 (then res->end says done or interrupted) or
 * a negative error with res->error set (engine failure, output write
 * failure: rows already written stay valid). Threading: call from the main
 * thread; it blocks until every worker has stopped.
 */
__attribute__((warn_unused_result)) int scan_run(const struct scan_config *cfg,
                                                 struct scan_result *res);

#endif
