/*
 * scanner/cli/scan_cmd.c - the scan command (the default): its options,
 * their checks, and one run from targets to summary.
 *
 * Parses every option and every target before anything is sent (usage
 * errors exit 2), sizes the scan, wires targets, classification and output
 * into scan_run through its hooks (hooks.c), and writes the summary.
 * Exit status: 0 every target has its row, 1 run-time failure, 2 usage
 * error, 3 interrupted.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "fcrscan_config.h"
#include "packet/engine.h"
#include "scanner/cli/scan_cmd.h"
#include "scanner/keyed.h"
#include "scanner/privs.h"
#include "stats/summary.h"

#define CKPT_PERIOD_MS 2000 /* --resume: a checkpoint every 2 s (with a zstd frame) */

/* ---- options with their own syntax ---------------------------------------- */

static const char *opt_source(void *opts, const char *arg)
{
    struct scan_opts *o = opts;
    struct pkt_addr a;
    if (pkt_addr_parse(arg, &a) != 0)
        return "--source takes an IPv4 or IPv6 address";
    struct pkt_addr *slot = a.family == PKT_ADDR_V4 ? &o->source_v4 : &o->source_v6;
    if (slot->family != 0)
        return "--source given twice for one address family";
    *slot = a;
    return NULL;
}

static const char *opt_next_hop_mac(void *opts, const char *arg)
{
    struct scan_opts *o = opts;
    unsigned m[6];
    char tail;
    if (sscanf(arg, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &tail) !=
        6)
        return "--next-hop-mac takes a MAC address like 02:00:00:00:00:01";
    for (unsigned k = 0; k < 6; k++)
        o->next_hop_mac[k] = (uint8_t)m[k];
    o->has_next_hop_mac = true;
    return NULL;
}

static const char *opt_seed(void *opts, const char *arg)
{
    struct scan_opts *o = opts;
    if (!cli_parse_u64(arg, 0, UINT64_MAX, &o->seed))
        return "--seed takes a number (0..2^64-1)";
    o->have_seed = true;
    return NULL;
}

static const char *opt_shard(void *opts, const char *arg)
{
    struct scan_opts *o = opts;
    const char *slash = strchr(arg, '/');
    char ibuf[32];
    size_t il = slash != NULL ? (size_t)(slash - arg) : 0;
    if (slash == NULL || il == 0 || il >= sizeof(ibuf))
        return "--shard takes I/N";
    memcpy(ibuf, arg, il);
    ibuf[il] = '\0';
    if (!cli_parse_u64(ibuf, 0, UINT64_MAX - 1, &o->shard_i) ||
        !cli_parse_u64(slash + 1, 1, UINT64_MAX, &o->shard_n) || o->shard_i >= o->shard_n)
        return "--shard takes I/N with 0 <= I < N";
    o->have_shard = true;
    return NULL;
}

static const char *opt_walk(void *opts, const char *arg)
{
    (void)opts;
    (void)arg;
    return "--walk is not available in this version";
}

/* ---- the summary's view of options with effective values ------------------- */

static int sum_resolvers(struct stats_summary *sum, const char *key, const void *opts)
{
    const struct scan_config *cfg = ((const struct scan_opts *)opts)->cfg;
    char res[SCAN_RESOLVERS_MAX][PKT_ADDR_TEXT_MAX + 8];
    const char *resp[SCAN_RESOLVERS_MAX];
    for (unsigned i = 0; i < cfg->nb_resolvers; i++) {
        char a[PKT_ADDR_TEXT_MAX];
        pkt_addr_format(&cfg->resolvers[i].addr, a, sizeof(a));
        snprintf(res[i], sizeof(res[i]),
                 cfg->resolvers[i].addr.family == PKT_ADDR_V6 ? "[%s]:%u" : "%s:%u", a,
                 cfg->resolvers[i].port);
        resp[i] = res[i];
    }
    return stats_summary_config_list(sum, key, resp, cfg->nb_resolvers);
}

static int sum_seed(struct stats_summary *sum, const char *key, const void *opts)
{
    return stats_summary_config_u64(sum, key, ((const struct scan_opts *)opts)->seed);
}

static int sum_shard(struct stats_summary *sum, const char *key, const void *opts)
{
    const struct scan_opts *o = opts;
    char shard[48];
    snprintf(shard, sizeof(shard), "%" PRIu64 "/%" PRIu64, o->shard_i,
             o->have_shard ? o->shard_n : 1);
    return stats_summary_config_str(sum, key, shard);
}

static int sum_source(struct stats_summary *sum, const char *key, const void *opts)
{
    const struct scan_opts *o = opts;
    char a4[PKT_ADDR_TEXT_MAX] = "", a6[PKT_ADDR_TEXT_MAX] = "";
    if (o->source_v4.family != 0)
        pkt_addr_format(&o->source_v4, a4, sizeof(a4));
    if (o->source_v6.family != 0)
        pkt_addr_format(&o->source_v6, a6, sizeof(a6));
    const char *srcs[2] = { a4, a6 };
    return stats_summary_config_list(sum, key, srcs, 2);
}

static int sum_next_hop_mac(struct stats_summary *sum, const char *key, const void *opts)
{
    return stats_summary_config_bool(sum, key, ((const struct scan_opts *)opts)->has_next_hop_mac);
}

static int sum_data_dir(struct stats_summary *sum, const char *key, const void *opts)
{
    const char *d = ((const struct scan_opts *)opts)->data_dir_used;
    return stats_summary_config_str(sum, key, d != NULL ? d : "");
}

/* ---- the option table ---------------------------------------------------- */

#define OFF(f) offsetof(struct scan_opts, f)

static const struct cli_opt scan_opts_table[] = {
    { .name = "input",
      .short_name = 'i',
      .arg = "FILE",
      .kind = CLI_LIST,
      .off = OFF(inputs),
      .key = "inputs",
      .help = "more targets, one per line, '#' comments, '-' = stdin\n(repeatable)" },
    { .name = "resolvers",
      .short_name = 'r',
      .arg = "LIST",
      .kind = CLI_STR,
      .off = OFF(resolvers),
      .fn_summary = sum_resolvers,
      .help = "comma-separated addresses[:port] ([v6]:port), or @FILE;\n"
              "default: the nameservers of /etc/resolv.conf" },
    { .name = "output",
      .short_name = 'o',
      .arg = "FILE",
      .kind = CLI_STR,
      .off = OFF(output),
      .def = "-",
      .help = ".jsonl or .csv, optionally + .zst; default: JSONL on stdout" },
    { .name = "summary",
      .short_name = 'S',
      .arg = "FILE",
      .kind = CLI_STR,
      .off = OFF(summary),
      .flags = CLI_NO_SUMMARY,
      .help = "summary JSON" },
    { .name = "force",
      .kind = CLI_FLAG,
      .off = OFF(force),
      .flags = CLI_NO_SUMMARY,
      .help = "overwrite an existing output file (default: refuse)" },
    { .name = "rate",
      .short_name = 'R',
      .arg = "N",
      .kind = CLI_U64,
      .off = OFF(rate),
      .min = 1,
      .max = 100000000,
      .def = "10000",
      .help = "global queries per second (default 10000)" },
    { .name = "resolver-rate",
      .arg = "N",
      .kind = CLI_U64,
      .off = OFF(resolver_rate),
      .min = 1,
      .max = 100000000,
      .help = "per-resolver queries per second (default: no extra cap)" },
    { .name = "engine",
      .short_name = 'e',
      .arg = "NAME",
      .kind = CLI_STR,
      .off = OFF(engine),
      .def = "socket",
      .help = "socket (default), dpdk, pcap" },
    { .name = "dpdk-args",
      .arg = "\"ARGS\"",
      .kind = CLI_STR,
      .off = OFF(dpdk_args),
      .flags = CLI_RAW,
      .help = "EAL arguments for the dpdk engine" },
    { .name = "source",
      .arg = "ADDR",
      .kind = CLI_FN,
      .fn = opt_source,
      .fn_summary = sum_source,
      .flags = CLI_RAW,
      .help = "raw engines: our own address (repeatable, one per family)" },
    { .name = "interface",
      .arg = "IF",
      .kind = CLI_STR,
      .off = OFF(interface),
      .flags = CLI_RAW,
      .help = "pcap engine: the interface" },
    { .name = "next-hop-mac",
      .arg = "MAC",
      .kind = CLI_FN,
      .fn = opt_next_hop_mac,
      .fn_summary = sum_next_hop_mac,
      .key = "next_hop_mac_given",
      .flags = CLI_RAW,
      .help = "raw engines: skip ARP/NDP and send to this MAC" },
    { .name = "timeout",
      .arg = "MS",
      .kind = CLI_UINT,
      .off = OFF(timeout_ms),
      .min = 1,
      .max = 60000,
      .def = "1500",
      .key = "timeout_ms",
      .help = "first attempt's timeout (default 1500; doubles per retry,\nmax 6000)" },
    { .name = "retries",
      .arg = "N",
      .kind = CLI_UINT,
      .off = OFF(retries),
      .min = 0,
      .max = SCAN_RETRIES_MAX,
      .def = "4",
      .help = "retries after the first attempt (default 4, max 15)" },
    { .name = "max-ptr",
      .arg = "N",
      .kind = CLI_UINT,
      .off = OFF(max_ptr),
      .min = 1,
      .max = STATS_NAMES_MAX,
      .def = "16",
      .help = "PTR names evaluated per target (default 16, max 32)" },
    { .name = "0x20",
      .kind = CLI_FLAG,
      .off = OFF(use_0x20),
      .help = "randomise the case of question names and require it echoed" },
    { .name = "no-tcp",
      .kind = CLI_FLAG,
      .off = OFF(no_tcp),
      .help = "do not retry truncated replies over TCP (they become\ntempfail/other)" },
    { .name = "seed",
      .arg = "N",
      .kind = CLI_FN,
      .fn = opt_seed,
      .fn_summary = sum_seed,
      .help = "permutation seed (default: random, printed in the summary)" },
    { .name = "shard",
      .arg = "I/N",
      .kind = CLI_FN,
      .fn = opt_shard,
      .fn_summary = sum_shard,
      .help = "shard I of N, 0-based (0 <= I < N); requires --seed" },
    { .name = "max-runtime",
      .arg = "SEC",
      .kind = CLI_SECONDS,
      .off = OFF(max_runtime),
      .max = 1000000000,
      .help = "stop sending after SEC seconds, drain, write what was obtained" },
    { .name = "dry-run",
      .kind = CLI_FLAG,
      .off = OFF(dry_run),
      .flags = CLI_NO_SUMMARY,
      .help = "print the targets in scan order (after blocklist and shard),\nsend nothing" },
    { .name = "allow-large",
      .kind = CLI_FLAG,
      .off = OFF(allow_large),
      .help = "accept an IPv6 prefix shorter than /96 (otherwise refused)" },
    { .name = "no-default-blocklist",
      .kind = CLI_FLAG,
      .off = OFF(no_default_blocklist),
      .help = "do not skip special-purpose ranges (RFC 6890 registries)" },
    { .name = "blocklist",
      .arg = "FILE",
      .kind = CLI_LIST,
      .off = OFF(blocklists),
      .key = "blocklists",
      .help = "never scan these targets (repeatable)" },
    { .name = "user",
      .arg = "NAME",
      .kind = CLI_STR,
      .off = OFF(user),
      .flags = CLI_RAW,
      .help = "raw engines: user to drop to after setup (default: nobody)" },
    { .name = "resume",
      .arg = "FILE",
      .kind = CLI_STR,
      .off = OFF(resume),
      .help = "checkpoint written periodically and on SIGINT/SIGTERM" },
    { .name = "walk",
      .arg = "PREFIX",
      .kind = CLI_FN,
      .fn = opt_walk,
      .flags = CLI_NO_SUMMARY,
      .help = "enumerate PTRs under PREFIX by NXDOMAIN pruning (RFC 8020);\n"
              "not available in this version (exits 2)" },
    { .name = "window",
      .arg = "N",
      .kind = CLI_UINT,
      .off = OFF(window),
      .min = 16,
      .max = 1u << 22,
      .def = "65536",
      .help = "targets in flight at once (default 65536)" },
    { .name = "sockets",
      .arg = "N",
      .kind = CLI_UINT,
      .off = OFF(sockets),
      .min = 64,
      .max = PKT_ENGINE_PORTS_MAX,
      .def = "64",
      .help = "socket engine: UDP sockets per family (default 64, min 64)" },
    { .name = "tx-queues",
      .arg = "N",
      .kind = CLI_UINT,
      .off = OFF(tx_queues),
      .min = 1,
      .max = PKT_ENGINE_TXQ_MAX,
      .def = "1",
      .help = "TX threads, one engine queue each (default 1, max 4)" },
    { .name = "rx-queues",
      .arg = "N",
      .kind = CLI_UINT,
      .off = OFF(rx_queues),
      .min = 1,
      .max = PKT_ENGINE_RXQ_MAX,
      .def = "1",
      .help = "RX threads, one engine queue each (default 1, max 8);\n"
              "dpdk: with enough worker lcores in --dpdk-args (-l),\n"
              "TX thread q runs on worker lcore q, RX r on tx-queues + r" },
    { .name = "recover",
      .arg = "FILE",
      .kind = CLI_STR,
      .off = OFF(recover),
      .flags = CLI_NO_SUMMARY,
      .help = "the same as 'fcrscan recover FILE': cut an output torn by a\n"
              "crash back to its last whole row, then exit" },
    { .name = "data-dir",
      .arg = "DIR",
      .kind = CLI_STR,
      .off = OFF(data_dir),
      .fn_summary = sum_data_dir,
      .help = "the public suffix list and provider patterns (default: found\n"
              "relative to the installed binary, PREFIX/share/fcrscan)" },
    { .name = "quiet",
      .short_name = 'q',
      .kind = CLI_FLAG,
      .off = OFF(quiet),
      .flags = CLI_NO_SUMMARY,
      .help = "no progress line (progress is on by default on a terminal)" },
    { .name = "help", .short_name = 'h', .kind = CLI_HELP, .help = "this text" },
    { .name = "version",
      .short_name = 'V',
      .kind = CLI_FLAG,
      .off = OFF(version),
      .flags = CLI_NO_SUMMARY,
      .help = "version, engines of this build and the data folder" },
};

const struct cli_command cli_scan_command = {
    .name = "scan",
    .synopsis = "[OPTIONS] [TARGET...]",
    .about = "Forward-confirmed reverse DNS (FCrDNS) for every address of IPv4/IPv6 ranges.\n"
             "TARGET: an address or CIDR, IPv4 or IPv6. 'scan' may be left out.\n",
    .epilog = "Exit status: 0 every target has its row; 1 run-time failure; 2 usage error;\n"
              "3 interrupted (SIGINT/SIGTERM or --max-runtime).\n",
    .opts = scan_opts_table,
    .nb_opts = sizeof(scan_opts_table) / sizeof(scan_opts_table[0]),
    .run = cli_scan_run,
};

/* The checks across options, after parsing. Returns 0 or an exit status. */
static int check_options(struct scan_opts *o, uint64_t given)
{
    const struct cli_command *cmd = &cli_scan_command;
    if (o->have_shard && !o->have_seed)
        return cli_usage_error(cmd, "--shard requires --seed (every shard must use the same order)",
                               NULL);
    if (pkt_engine_find(o->engine) == NULL)
        return cli_usage_error(cmd, "no such engine in this build (see fcrscan --version)",
                               o->engine);
    bool raw = strcmp(o->engine, "socket") != 0;
    bool raw_option = false;
    for (size_t i = 0; i < cmd->nb_opts; i++)
        if ((given >> i & 1) && (cmd->opts[i].flags & CLI_RAW))
            raw_option = true;
    if (!raw && raw_option)
        return cli_usage_error(cmd,
                               "--dpdk-args, --source, --interface, --next-hop-mac and --user "
                               "are for the raw engines (-e dpdk, -e pcap)",
                               NULL);
    if (raw && o->source_v4.family == 0 && o->source_v6.family == 0)
        return cli_usage_error(cmd, "a raw engine needs --source (its own address, one per family)",
                               NULL);
    if (strcmp(o->engine, "pcap") == 0 && o->interface == NULL)
        return cli_usage_error(cmd, "-e pcap needs --interface", NULL);
    if (o->resume != NULL && !o->dry_run && strcmp(o->output, "-") == 0)
        return cli_usage_error(cmd, "--resume needs -o FILE (a resumed run continues that file)",
                               NULL);
    if (strcmp(o->engine, "pcap") == 0 && (o->tx_queues > 1 || o->rx_queues > 1))
        return cli_usage_error(cmd, "-e pcap has one TX and one RX queue (more: -e dpdk)", NULL);
    if (strcmp(o->engine, "socket") == 0 && o->rx_queues > o->sockets)
        return cli_usage_error(cmd, "--rx-queues needs at least as many --sockets", NULL);
    if (raw && o->user == NULL)
        o->user = "nobody";
    return 0;
}

static int print_version(const struct scan_opts *o)
{
    /* The data folder too: where an installed binary finds its files. */
    char dir[PATH_MAX], err[320];
    printf("fcrscan %s (engines: %s)\n", FCRSCAN_VERSION, pkt_engine_names());
    if (cli_data_dir(o->data_dir, dir, sizeof(dir), err, sizeof(err)) == 0)
        printf("data: %s\n", dir);
    else
        printf("data: none (%s)\n", err);
    return fflush(stdout) == 0 ? 0 : CLI_EXIT_RUNTIME;
}

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    /* 1st: drain; 2nd: stop at once (output still valid); 3rd: leave now. */
    if (stop_flag >= 2)
        _exit(CLI_EXIT_INTERRUPTED);
    stop_flag = stop_flag + 1;
}

/* *rc keeps the first error of a sequence of calls. */
static void keep_first(int *rc, int r)
{
    if (*rc == 0)
        *rc = r;
}

static int load_targets(struct scan_opts *o, int argc, char **argv, int first,
                        struct scan_targets **out)
{
    unsigned flags = (o->allow_large ? SCAN_TARGETS_ALLOW_LARGE : 0) |
                     (o->no_default_blocklist ? SCAN_TARGETS_NO_DEFAULT_BLOCKLIST : 0);
    struct scan_targets *t = scan_targets_new(flags);
    if (t == NULL) {
        fprintf(stderr, "fcrscan: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    /* The first error decides (errors are never ORed: -ENOMEM | -EINVAL
     * would be neither); parsing goes on to list every bad line. */
    int rc = 0;
    for (int i = first; i < argc; i++)
        keep_first(&rc, scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, argv[i], "argument",
                                              (unsigned long)(i - first + 1)));
    for (unsigned i = 0; i < o->inputs.n; i++)
        keep_first(&rc, scan_targets_add_file(t, SCAN_TARGETS_INCLUDE, o->inputs.v[i]));
    for (unsigned i = 0; i < o->blocklists.n; i++)
        keep_first(&rc, scan_targets_add_file(t, SCAN_TARGETS_BLOCK, o->blocklists.v[i]));
    if (first >= argc && o->inputs.n == 0) {
        scan_targets_free(t);
        return cli_usage_error(&cli_scan_command, "no targets (give addresses/CIDRs or -i FILE)",
                               NULL);
    }
    if (rc == 0)
        rc = scan_targets_finalize(t);
    size_t nerr = scan_targets_nb_errors(t);
    if (rc != 0 || nerr > 0) {
        for (size_t i = 0; i < nerr && i < SCAN_TARGETS_ERRORS_MAX; i++)
            fprintf(stderr, "fcrscan: %s\n", scan_targets_error(t, i));
        if (nerr > SCAN_TARGETS_ERRORS_MAX)
            fprintf(stderr, "fcrscan: ... and %zu more errors\n", nerr - SCAN_TARGETS_ERRORS_MAX);
        scan_targets_free(t);
        return rc == -ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE;
    }
    char nb[SCAN_U128_TEXT_MAX];
    if (scan_targets_blocklisted(t) > 0 && !o->no_default_blocklist &&
        scan_u128_format(scan_targets_blocklisted(t), nb, sizeof(nb)) >= 0)
        fprintf(stderr,
                "fcrscan: skipping %s blocklisted addresses (special-purpose ranges or "
                "--blocklist; --no-default-blocklist includes the special-purpose ones)\n",
                nb);
    if (o->no_default_blocklist)
        fprintf(stderr, "fcrscan: warning: the default blocklist of special-purpose ranges is "
                        "off\n");
    if (scan_targets_count(t) == 0) {
        scan_targets_free(t);
        fprintf(stderr, "fcrscan: no target left after the blocklist\n");
        return CLI_EXIT_USAGE;
    }
    *out = t;
    return 0;
}

static int dry_run(struct run *r, double max_runtime)
{
    struct pkt_addr a;
    char txt[PKT_ADDR_TEXT_MAX];
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t n = 0;
    while (scan_perm_next_addr(&r->perm, r->targets, &a)) {
        pkt_addr_format(&a, txt, sizeof(txt));
        if (puts(txt) == EOF) {
            fprintf(stderr, "fcrscan: writing to stdout: %s\n", strerror(errno));
            return CLI_EXIT_RUNTIME;
        }
        if ((++n & 0xFFFF) == 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            double el = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
            if (stop_flag || (max_runtime > 0 && el >= max_runtime))
                return fflush(stdout) == 0 ? CLI_EXIT_INTERRUPTED : CLI_EXIT_RUNTIME;
        }
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "fcrscan: writing to stdout: %s\n", strerror(errno));
        return CLI_EXIT_RUNTIME;
    }
    return 0;
}

static int64_t now_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cli_scan_run(const struct cli_command *cmd, int argc, char **argv)
{
    struct scan_opts o;
    memset(&o, 0, sizeof(o));
    int first = 0;
    uint64_t given;
    int rc = cli_parse(cmd, argc, argv, &o, &first, &given);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (o.version)
        return print_version(&o);
    rc = check_options(&o, given);
    if (rc != 0)
        return rc;
    if (o.recover != NULL)
        return cli_recover_file(o.recover);
    struct pkt_engine *engine = NULL;
    struct scan_config *cfg = calloc(1, sizeof(*cfg));
    struct run run = { .o = &o, .ck_fd = { -1, -1 } };
    int status = CLI_EXIT_RUNTIME;
    int out_fd = -1; /* the output reopened by --resume */
    struct stats_summary *sum = NULL;
    struct stats_summary_file *sum_file = NULL;
    if (cfg == NULL) {
        fprintf(stderr, "fcrscan: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    if (!o.dry_run && run_parse_resolvers(cfg, o.resolvers) != 0) {
        status = CLI_EXIT_USAGE;
        goto out;
    }
    status = load_targets(&o, argc, argv, first, &run.targets);
    if (status != 0)
        goto out;
    bool resuming = false;
    if (o.resume != NULL && !o.dry_run) {
        status = resume_read(&o, &run, &resuming);
        if (status != 0)
            goto out;
        run.resuming = resuming;
    }
    status = CLI_EXIT_RUNTIME;
    if (!o.have_seed) {
        if (getrandom(&o.seed, sizeof(o.seed), 0) != (ssize_t)sizeof(o.seed)) {
            fprintf(stderr, "fcrscan: getrandom: %s\n", strerror(errno));
            goto out;
        }
    }
    run.total = scan_targets_count(run.targets);
    if (scan_perm_init(&run.perm, run.total, o.seed, o.have_shard ? o.shard_i : 0,
                       o.have_shard ? o.shard_n : 1) != 0) {
        fprintf(stderr, "fcrscan: cannot set up the permutation\n");
        goto out;
    }
    run.total = scan_perm_shard_size(&run.perm);
    if (o.tx_queues > 1) {
        uint64_t si = o.have_shard ? o.shard_i : 0, sn = o.have_shard ? o.shard_n : 1;
        if (sn > UINT64_MAX / o.tx_queues) {
            fprintf(stderr, "fcrscan: --shard N times --tx-queues exceeds 2^64\n");
            status = CLI_EXIT_USAGE;
            goto out;
        }
        for (unsigned q = 0; q < o.tx_queues; q++)
            if (scan_perm_init(&run.txperm[q], scan_targets_count(run.targets), o.seed, si + q * sn,
                               sn * o.tx_queues) != 0) {
                fprintf(stderr, "fcrscan: cannot set up the permutation\n");
                goto out;
            }
        run.nb_txperm = o.tx_queues;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);

    if (o.dry_run) {
        status = dry_run(&run, o.max_runtime);
        goto out;
    }

    /* Output and summary paths are checked before anything is sent. */
    bool zstd = false;
    char err[STATS_SINK_ERR_MAX];
    if (strcmp(o.output, "-") != 0) {
        if (stats_writer_format_from_path(o.output, &run.fmt, &zstd, err, sizeof(err)) != 0) {
            status = cli_usage_error(cmd, err, NULL);
            goto out;
        }
    } else {
        run.fmt = STATS_FORMAT_JSONL;
    }
    /* A resumed run replaces the summary its previous part wrote. */
    bool summary_force = o.force || resuming;
    if (o.summary != NULL &&
        stats_summary_check_path(o.summary, summary_force, err, sizeof(err)) != 0) {
        status = cli_usage_error(cmd, err, NULL);
        goto out;
    }
    char data_dir[PATH_MAX], psl_path[PATH_MAX + 32], pat_path[PATH_MAX + 32];
    if (cli_data_dir(o.data_dir, data_dir, sizeof(data_dir), err, sizeof(err)) != 0) {
        fprintf(stderr, "fcrscan: %s\n", err);
        status = o.data_dir != NULL || getenv("FCRSCAN_DATADIR") != NULL ? CLI_EXIT_USAGE
                                                                         : CLI_EXIT_RUNTIME;
        goto out;
    }
    o.data_dir_used = data_dir;
    snprintf(psl_path, sizeof(psl_path), "%s/%s", data_dir, cli_data_files[0]);
    snprintf(pat_path, sizeof(pat_path), "%s/%s", data_dir, cli_data_files[1]);
    run.classifier = scan_classifier_new(psl_path, pat_path, err, sizeof(err));
    if (run.classifier == NULL) {
        fprintf(stderr, "fcrscan: %s\n", err);
        goto out;
    }
    if (o.resume != NULL) {
        bool all_done;
        status = resume_setup(&o, &run, resuming, o.window, zstd, &all_done);
        if (status != 0)
            goto out;
        status = CLI_EXIT_RUNTIME;
        if (all_done) {
            fprintf(stderr, "fcrscan: every target already has its row (checkpoint %s)\n",
                    o.resume);
            status = 0;
            goto out;
        }
    }
    unsigned sink_flags = (o.force ? STATS_SINK_FORCE : 0) | (zstd ? STATS_SINK_ZSTD : 0);
    unsigned warnings = 0;
    if (resuming) {
        out_fd = resume_output(o.output, run.prev.output_bytes);
        if (out_fd < 0)
            goto out;
        run.out_base = run.prev.output_bytes;
        rc = stats_sink_new_fd(&run.sink, out_fd, o.output, zstd ? STATS_SINK_ZSTD : 0, err,
                               sizeof(err));
    } else if (strcmp(o.output, "-") != 0)
        rc = stats_sink_new(&run.sink, o.output, sink_flags, &warnings, err, sizeof(err));
    else
        rc = stats_sink_new_fd(&run.sink, STDOUT_FILENO, "<stdout>", 0, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "fcrscan: %s\n", err);
        status = rc == -EEXIST ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
        goto out;
    }
    if (warnings & STATS_SINK_WARN_DIR_WORLD_WRITABLE)
        fprintf(stderr, "fcrscan: warning: the output directory is world-writable\n");
    const char *header = stats_writer_header(run.fmt);
    if (header != NULL && run.out_base == 0 &&
        stats_sink_write(run.sink, header, strlen(header)) != 0) {
        fprintf(stderr, "fcrscan: %s\n", stats_sink_error(run.sink));
        goto out;
    }
    /* A raw engine drops its privileges before the first periodic
     * checkpoint and may then not create files: both slots now. A fresh
     * start elsewhere removes an old run's FILE.alt. */
    if (o.resume != NULL && strcmp(o.engine, "socket") != 0) {
        if (scan_ckpt_slots_open(o.resume, !resuming, run.ck_fd, err, sizeof(err)) != 0) {
            fprintf(stderr, "fcrscan: %s\n", err);
            goto out;
        }
    } else if (o.resume != NULL && !resuming && scan_ckpt_remove_alt(o.resume) != 0) {
        fprintf(stderr, "fcrscan: cannot remove the old %s.alt: %s\n", o.resume, strerror(errno));
        goto out;
    }
    /* The first checkpoint, before anything is sent: a crash from here on
     * leaves one to resume from. */
    if (o.resume != NULL && !resuming) {
        static const uint64_t none[PKT_ENGINE_TXQ_MAX];
        if (run_checkpoint(&run, none, NULL, 0, o.tx_queues) != 0)
            goto out;
    }
    run.show_progress = !o.quiet && isatty(STDERR_FILENO);
    stats_progress_init(&run.progress);

    bool want_v4 = false, want_v6 = false;
    for (unsigned i = 0; i < cfg->nb_resolvers; i++) {
        want_v4 |= cfg->resolvers[i].addr.family == PKT_ADDR_V4;
        want_v6 |= cfg->resolvers[i].addr.family == PKT_ADDR_V6;
    }
    cfg->rate = o.rate;
    cfg->resolver_rate = o.resolver_rate;
    cfg->timeout_ms = o.timeout_ms;
    cfg->retries = o.retries;
    cfg->max_ptr = o.max_ptr;
    cfg->use_0x20 = o.use_0x20;
    cfg->no_tcp = o.no_tcp;
    cfg->rd = true;
    cfg->max_runtime_s = o.max_runtime;
    cfg->window = o.window;
    /* scan_run needs at least 128 forward entries; --window goes down to 16. */
    cfg->fwd_cap = o.window * 2 < 128 ? 128 : o.window * 2;
    cfg->engine_ops = pkt_engine_find(o.engine);
    cfg->engine_cfg = (struct pkt_engine_config){ .nb_ports = o.sockets,
                                                  .nb_txq = o.tx_queues,
                                                  .nb_rxq = o.rx_queues,
                                                  .want_v4 = want_v4,
                                                  .want_v6 = want_v6,
                                                  .rcvbuf_len = 8u << 20,
                                                  .interface = o.interface,
                                                  .dpdk_args = o.dpdk_args,
                                                  .source_v4 = o.source_v4,
                                                  .source_v6 = o.source_v6,
                                                  .has_next_hop_mac = o.has_next_hop_mac };
    memcpy(cfg->engine_cfg.next_hop_mac, o.next_hop_mac, 6);
    /* Raw engines resolve the resolvers' MACs (ARP/NDP) when they open. */
    _Static_assert(SCAN_RESOLVERS_MAX <= PKT_ENGINE_PEERS_MAX, "every resolver is a peer");
    for (unsigned i = 0; i < cfg->nb_resolvers; i++)
        cfg->engine_cfg.peers[i] = cfg->resolvers[i].addr;
    cfg->engine_cfg.nb_peers = cfg->nb_resolvers;
    /* Raw engines give up root once their port is open (S01). */
    const char *drop_user = strcmp(o.engine, "socket") != 0 ? o.user : NULL;
    for (unsigned i = 0; i < cfg->nb_resolvers; i++) {
        uint8_t fam = cfg->resolvers[i].addr.family;
        if (drop_user != NULL &&
            (fam == PKT_ADDR_V4 ? o.source_v4.family : o.source_v6.family) == 0) {
            status =
                cli_usage_error(cmd, "a resolver's address family has no --source address", NULL);
            goto out;
        }
    }
    cfg->line_max = STATS_RECORD_LINE_MAX;
    cfg->stop = &stop_flag;
    /* The query key is always fresh from the kernel, even with --seed: the
     * seed fixes the order and is printed; IDs and ports must stay secret. */
    if (scan_key_random(&cfg->key) != 0) {
        fprintf(stderr, "fcrscan: cannot read random bytes for the query key\n");
        goto out;
    }
    run_hooks(&run, &cfg->hooks);
    cfg->checkpoint_ms = CKPT_PERIOD_MS;

    struct scan_result *res = calloc(1, sizeof(*res));
    if (res == NULL) {
        fprintf(stderr, "fcrscan: out of memory\n");
        goto out;
    }
    /* A raw engine drops privileges once its port is up, and the unprivileged
     * user may not create files in the summary's directory: the summary is
     * created now and written in place at the end (stats/summary.h). */
    if (o.summary != NULL && drop_user != NULL &&
        stats_summary_file_open(o.summary, summary_force, &sum_file, err, sizeof(err)) != 0) {
        fprintf(stderr, "fcrscan: %s\n", err);
        free(res);
        goto out;
    }
    int64_t started_ms = now_wall_ms();
    /* The engine is opened last, once every file the run writes is open:
     * a raw engine then drops privileges (a failed drop ends the run, S01)
     * and may not create files any more. */
    rc = cfg->engine_ops->open(&cfg->engine_cfg, &engine, res->error, sizeof(res->error));
    if (rc == 0 && drop_user != NULL)
        rc = scan_privs_drop(drop_user, res->error, sizeof(res->error));
    if (rc == 0) {
        cfg->engine = engine;
        rc = scan_run(cfg, res);
    }
    if (run.show_progress)
        fputs("\n", stderr);
    const char *why;
    if (rc != 0) {
        fprintf(stderr, "fcrscan: %s\n", res->error);
        status = CLI_EXIT_RUNTIME;
        why = res->error;
    } else if (res->end == SCAN_END_INTERRUPTED) {
        status = CLI_EXIT_INTERRUPTED;
        why = "interrupted";
    } else {
        status = 0;
        why = "complete";
    }
    if (stats_sink_close(run.sink) != 0 && run.sink_error == 0) {
        fprintf(stderr, "fcrscan: %s\n", stats_sink_error(run.sink));
        status = CLI_EXIT_RUNTIME;
        why = "output write failed";
    }
    if (status == 0 && res->targets_done != res->targets_started) {
        status = CLI_EXIT_RUNTIME;
        why = "internal: a target ended without a row";
        fprintf(stderr, "fcrscan: %s\n", why);
    }
    if (o.summary != NULL) {
        sum = stats_summary_new();
        o.cfg = cfg;
        if (sum == NULL || cli_summary_config(sum, cmd, &o, strcmp(o.engine, "socket") != 0) != 0) {
            fprintf(stderr, "fcrscan: out of memory building the summary\n");
            status = CLI_EXIT_RUNTIME;
        } else {
            struct stats_summary_run sr = {
                .started_ms = started_ms,
                .finished_ms = now_wall_ms(),
                .elapsed_ns = (uint64_t)(res->elapsed_s * 1e9),
                .targets_total =
                    scan_targets_count(run.targets) + scan_targets_blocklisted(run.targets),
                /* ::/0 with the default blocklist: 2^128 in all, one more than fits. */
                .targets_total_carry =
                    scan_targets_count(run.targets) + scan_targets_blocklisted(run.targets) <
                    scan_targets_count(run.targets),
                .targets_scanned = res->targets_done,
                .targets_blocklisted = scan_targets_blocklisted(run.targets),
                .totals = &res->totals,
                .exit_status = status,
                .exit_why = why,
            };
            rc = sum_file != NULL
                     ? stats_summary_file_write(sum, &sr, sum_file, err, sizeof(err))
                     : stats_summary_write(sum, &sr, o.summary, summary_force, err, sizeof(err));
            if (rc != 0) {
                fprintf(stderr, "fcrscan: %s\n", err);
                status = CLI_EXIT_RUNTIME;
            }
        }
    }
    free(res);
out:
    if (engine != NULL)
        cfg->engine_ops->close(engine);
    stats_summary_file_close(sum_file);
    stats_summary_free(sum);
    stats_sink_free(run.sink);
    if (out_fd >= 0)
        close(out_fd);
    scan_ckpt_fini(&run.ckpt);
    scan_ckpt_fini(&run.prev);
    for (unsigned i = 0; i < 2; i++)
        if (run.ck_fd[i] >= 0)
            close(run.ck_fd[i]);
    scan_classifier_free(run.classifier);
    scan_targets_free(run.targets);
    free(cfg);
    return status;
}
