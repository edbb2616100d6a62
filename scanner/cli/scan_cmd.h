/*
 * scanner/cli/scan_cmd.h - the scan command's options and run state,
 * shared by its files: scan_cmd.c (options, setup, the run), hooks.c (what
 * scan_run calls back), resume.c (--resume) and resolvers.c (-r).
 * Threading: main thread, except the hooks (hooks.c says which threads).
 */
#ifndef FCRSCAN_SCANNER_CLI_SCAN_CMD_H
#define FCRSCAN_SCANNER_CLI_SCAN_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "packet/addr.h"
#include "scanner/checkpoint.h"
#include "scanner/classify.h"
#include "scanner/cli/cli.h"
#include "scanner/perm.h"
#include "scanner/scan.h"
#include "scanner/targets.h"
#include "stats/progress.h"
#include "stats/writer.h"
#include "stats/zsink.h"

/* The scan command's options, as parsed (cli table in scan_cmd.c). */
struct scan_opts {
    struct cli_list inputs;
    struct cli_list blocklists;
    const char *resolvers;
    const char *output;
    const char *resume;  /* checkpoint file (--resume) */
    const char *recover; /* --recover FILE: the recover command instead */
    const char *summary;
    const char *engine;
    const char *data_dir;
    bool force;
    uint64_t rate;
    uint64_t resolver_rate;
    unsigned timeout_ms;
    unsigned retries;
    unsigned max_ptr;
    bool use_0x20;
    bool no_tcp;
    bool have_seed;
    uint64_t seed;
    bool have_shard;
    uint64_t shard_i;
    uint64_t shard_n;
    double max_runtime;
    bool dry_run;
    bool allow_large;
    bool no_default_blocklist;
    bool quiet;
    bool version;
    const char *walk;
    unsigned window;
    unsigned sockets;
    unsigned tx_queues;
    unsigned rx_queues;
    /* raw engines */
    const char *dpdk_args;
    const char *interface;
    const char *user;
    struct pkt_addr source_v4;
    struct pkt_addr source_v6;
    bool has_next_hop_mac;
    uint8_t next_hop_mac[6];
    /* Effective values filled in during setup, for the summary. */
    const struct scan_config *cfg;
    const char *data_dir_used;
};

/* Everything one run of the scan command holds; the hooks' context. */
struct run {
    struct scan_opts *o;
    struct scan_targets *targets;
    struct scan_perm perm;
    /* With several TX workers, worker q walks its own part of perm's shard:
     * shard (shard_i + q * shard_n) of (shard_n * tx_queues), the same
     * positions split further (perm.h). */
    struct scan_perm txperm[PKT_ENGINE_TXQ_MAX];
    unsigned nb_txperm;
    /* --resume: the checkpoint being kept (its pending list has room for
     * the window and prev's), the one this run resumes (prev: positions
     * below prev.next not pending in it are done and skipped), a cursor
     * per TX worker into prev's pending list, and the output's length when
     * this run started. */
    bool resuming;
    struct scan_ckpt ckpt;
    struct scan_ckpt prev;
    size_t pending_cap;
    size_t prev_at[PKT_ENGINE_TXQ_MAX];
    uint64_t out_base;
    /* Raw engines: FILE and FILE.alt, opened before the privilege drop and
     * written in turn (checkpoint.h); -1 with the other engines. */
    int ck_fd[2];
    struct scan_classifier *classifier;
    struct stats_sink *sink;
    enum stats_format fmt;
    struct stats_progress progress;
    bool show_progress;
    stats_u128 total;
    int sink_error;
};

/* The permutation part of TX worker q. */
struct scan_perm *run_perm(struct run *r, unsigned q);

/* The hooks scan_run calls (hooks.c), with r as their context. */
void run_hooks(struct run *r, struct scan_hooks *out);
/* The checkpoint hook itself (also called once before the scan starts). */
int run_checkpoint(void *ctx, const uint64_t *next, const uint64_t *pending, size_t nb_pending,
                   unsigned nb);

/* -r LIST / @FILE / resolv.conf into cfg (resolvers.c). Returns 0, or -1
 * after printing why. */
int run_parse_resolvers(struct scan_config *cfg, const char *list);

/*
 * --resume (resume.c). resume_read: read the checkpoint (none: a fresh
 * start that will write one) and take the seed from it. resume_setup, once
 * the order and output format are known: check that it belongs to this
 * configuration and move every TX worker's part to its resume point, or
 * fill in a new checkpoint; *all_done when nothing is left. resume_output:
 * reopen the output cut back to len; the fd or -1 (message printed). The
 * first two return 0 or an exit status.
 */
int resume_read(struct scan_opts *o, struct run *r, bool *resuming);
int resume_setup(struct scan_opts *o, struct run *r, bool resuming, size_t window, bool zstd,
                 bool *all_done);
int resume_output(const char *path, uint64_t len);

#endif
