/*
 * fcrscan: the command line (DESIGN.md "Command line" is the contract).
 *
 * Parses options and every target before anything is sent (usage errors
 * exit 2), sizes the scan, wires targets, classification and output into
 * scan_run through its hooks, and writes the summary. Exit status: 0 every
 * target has its row, 1 run-time failure, 2 usage error, 3 interrupted.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "fcrscan_config.h"
#include "packet/addr.h"
#include "packet/engine.h"
#include "scanner/checkpoint.h"
#include "scanner/classify.h"
#include "scanner/keyed.h"
#include "scanner/perm.h"
#include "scanner/scan.h"
#include "scanner/targets.h"
#include "stats/progress.h"
#include "stats/recover.h"
#include "stats/summary.h"
#include "stats/writer.h"
#include "stats/zsink.h"

#define EXIT_RUNTIME        1
#define EXIT_USAGE          2
#define SCAN_CKPT_PERIOD_MS 2000 /* --resume: a checkpoint every 2 s (with a zstd frame) */
#define EXIT_INTERRUPTED    3
#define ARG_ECHO_MAX        80 /* bytes of a bad argument echoed in messages (S05) */

enum {
    OPT_FORCE = 256,
    OPT_RESOLVER_RATE,
    OPT_DPDK_ARGS,
    OPT_SOURCE,
    OPT_INTERFACE,
    OPT_NEXT_HOP_MAC,
    OPT_TIMEOUT,
    OPT_RETRIES,
    OPT_MAX_PTR,
    OPT_0X20,
    OPT_NO_TCP,
    OPT_SEED,
    OPT_SHARD,
    OPT_MAX_RUNTIME,
    OPT_DRY_RUN,
    OPT_ALLOW_LARGE,
    OPT_NO_DEFAULT_BLOCKLIST,
    OPT_BLOCKLIST,
    OPT_USER,
    OPT_RESUME,
    OPT_WALK,
    OPT_WINDOW,
    OPT_SOCKETS,
    OPT_TX_QUEUES,
    OPT_RECOVER,
    OPT_RX_QUEUES,
};

static const struct option long_opts[] = {
    { "input", required_argument, NULL, 'i' },
    { "resolvers", required_argument, NULL, 'r' },
    { "output", required_argument, NULL, 'o' },
    { "summary", required_argument, NULL, 'S' },
    { "force", no_argument, NULL, OPT_FORCE },
    { "rate", required_argument, NULL, 'R' },
    { "resolver-rate", required_argument, NULL, OPT_RESOLVER_RATE },
    { "engine", required_argument, NULL, 'e' },
    { "dpdk-args", required_argument, NULL, OPT_DPDK_ARGS },
    { "source", required_argument, NULL, OPT_SOURCE },
    { "interface", required_argument, NULL, OPT_INTERFACE },
    { "next-hop-mac", required_argument, NULL, OPT_NEXT_HOP_MAC },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "retries", required_argument, NULL, OPT_RETRIES },
    { "max-ptr", required_argument, NULL, OPT_MAX_PTR },
    { "0x20", no_argument, NULL, OPT_0X20 },
    { "no-tcp", no_argument, NULL, OPT_NO_TCP },
    { "seed", required_argument, NULL, OPT_SEED },
    { "shard", required_argument, NULL, OPT_SHARD },
    { "max-runtime", required_argument, NULL, OPT_MAX_RUNTIME },
    { "dry-run", no_argument, NULL, OPT_DRY_RUN },
    { "allow-large", no_argument, NULL, OPT_ALLOW_LARGE },
    { "no-default-blocklist", no_argument, NULL, OPT_NO_DEFAULT_BLOCKLIST },
    { "blocklist", required_argument, NULL, OPT_BLOCKLIST },
    { "user", required_argument, NULL, OPT_USER },
    { "resume", required_argument, NULL, OPT_RESUME },
    { "walk", required_argument, NULL, OPT_WALK },
    { "window", required_argument, NULL, OPT_WINDOW },
    { "sockets", required_argument, NULL, OPT_SOCKETS },
    { "tx-queues", required_argument, NULL, OPT_TX_QUEUES },
    { "recover", required_argument, NULL, OPT_RECOVER },
    { "rx-queues", required_argument, NULL, OPT_RX_QUEUES },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

static const char usage_text[] =
    "Usage: fcrscan [OPTIONS] [TARGET...]\n"
    "Forward-confirmed reverse DNS (FCrDNS) for every address of IPv4/IPv6 ranges.\n"
    "TARGET: an address or CIDR, IPv4 or IPv6.\n"
    "\n"
    "  -i, --input FILE           more targets, one per line, '#' comments, '-' = stdin\n"
    "                             (repeatable)\n"
    "  -r, --resolvers LIST       comma-separated addresses[:port] ([v6]:port), or @FILE;\n"
    "                             default: the nameservers of /etc/resolv.conf\n"
    "  -o, --output FILE          .jsonl or .csv, optionally + .zst; default: JSONL on stdout\n"
    "  -S, --summary FILE         summary JSON\n"
    "      --force                overwrite an existing output file (default: refuse)\n"
    "  -R, --rate N               global queries per second (default 10000)\n"
    "      --resolver-rate N      per-resolver queries per second (default: no extra cap)\n"
    "  -e, --engine NAME          socket (default), dpdk, pcap\n"
    "      --dpdk-args \"ARGS\"     EAL arguments for the dpdk engine\n"
    "      --source ADDR          raw engines: our own address (repeatable, one per family)\n"
    "      --interface IF         pcap engine: the interface\n"
    "      --next-hop-mac MAC     raw engines: skip ARP/NDP and send to this MAC\n"
    "      --timeout MS           first attempt's timeout (default 1500; doubles per retry,\n"
    "                             max 6000)\n"
    "      --retries N            retries after the first attempt (default 4, max 15)\n"
    "      --max-ptr N            PTR names evaluated per target (default 16, max 32)\n"
    "      --0x20                 randomise the case of question names and require it echoed\n"
    "      --no-tcp               do not retry truncated replies over TCP (they become\n"
    "                             tempfail/other)\n"
    "      --seed N               permutation seed (default: random, printed in the summary)\n"
    "      --shard I/N            shard I of N, 0-based (0 <= I < N); requires --seed\n"
    "      --max-runtime SEC      stop sending after SEC seconds, drain, write what was obtained\n"
    "      --dry-run              print the targets in scan order (after blocklist and shard),\n"
    "                             send nothing\n"
    "      --allow-large          accept an IPv6 prefix shorter than /96 (otherwise refused)\n"
    "      --no-default-blocklist do not skip special-purpose ranges (RFC 6890 registries)\n"
    "      --blocklist FILE       never scan these targets (repeatable)\n"
    "      --user NAME            raw engines: user to drop to after setup (default: nobody)\n"
    "      --resume FILE          checkpoint written periodically and on SIGINT/SIGTERM\n"
    "      --walk PREFIX          enumerate PTRs under PREFIX by NXDOMAIN pruning (RFC 8020)\n"
    "      --window N             targets in flight at once (default 65536)\n"
    "      --sockets N            socket engine: UDP sockets per family (default 64, min 64)\n"
    "      --tx-queues N          TX threads, one engine queue each (default 1, max 4)\n"
    "      --recover FILE         cut an output torn by a crash back to its last whole row\n"
    "                             (zstd: last whole frame), then exit; nothing is scanned\n"
    "      --rx-queues N          RX threads, one engine queue each (default 1, max 8);\n"
    "                             dpdk: with enough worker lcores in --dpdk-args (-l),\n"
    "                             TX thread q runs on worker lcore q, RX r on tx-queues + r\n"
    "  -q, --quiet                no progress line (progress is on by default on a terminal)\n"
    "  -h, --help                 this text\n"
    "  -V, --version              version and engines of this build\n"
    "\n"
    "Exit status: 0 every target has its row; 1 run-time failure; 2 usage error;\n"
    "3 interrupted (SIGINT/SIGTERM or --max-runtime).\n";

struct options {
    const char *inputs[64];
    unsigned nb_inputs;
    const char *blocklists[64];
    unsigned nb_blocklists;
    const char *resolvers;
    const char *output;
    const char *resume;  /* checkpoint file (--resume) */
    const char *recover; /* --recover FILE: only that */
    const char *summary;
    const char *engine;
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
    bool raw_option; /* any raw-engine option given */
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    /* 1st: drain; 2nd: stop at once (output still valid); 3rd: leave now. */
    if (stop_flag >= 2)
        _exit(EXIT_INTERRUPTED);
    stop_flag = stop_flag + 1;
}

/* Print a usage error naming the argument (bounded, no format use of it). */
static int usage_error(const char *what, const char *arg)
{
    if (arg != NULL) {
        size_t n = strlen(arg);
        fprintf(stderr, "fcrscan: %s: '%.*s%s'\n", what, (int)(n > ARG_ECHO_MAX ? ARG_ECHO_MAX : n),
                arg, n > ARG_ECHO_MAX ? "..." : "");
    } else {
        fprintf(stderr, "fcrscan: %s\n", what);
    }
    fprintf(stderr, "Try 'fcrscan --help'.\n");
    return EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_unsigned(const char *s, unsigned min, unsigned max, unsigned *out)
{
    uint64_t v;
    if (!parse_u64(s, min, max, &v))
        return false;
    *out = (unsigned)v;
    return true;
}

/* One resolver "addr", "addr:port", "[v6]" or "[v6]:port". */
static bool parse_resolver(const char *text, struct scan_resolver *out)
{
    char buf[128];
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, text, n + 1);
    char *host = buf;
    char *port = NULL;
    if (buf[0] == '[') {
        char *close = strchr(buf, ']');
        if (close == NULL)
            return false;
        *close = '\0';
        host = buf + 1;
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != '\0')
            return false;
    } else {
        char *colon = strchr(buf, ':');
        if (colon != NULL && strchr(colon + 1, ':') == NULL) {
            /* Exactly one colon: IPv4 with a port. */
            *colon = '\0';
            port = colon + 1;
        }
    }
    out->port = 53;
    if (port != NULL) {
        unsigned p;
        if (!parse_unsigned(port, 1, 65535, &p))
            return false;
        out->port = (uint16_t)p;
    }
    if (pkt_addr_parse(host, &out->addr) != 0)
        return false;
    /* An IPv4-mapped resolver address is the IPv4 address. */
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (out->addr.family == PKT_ADDR_V6 && memcmp(out->addr.bytes, mapped, 12) == 0) {
        memmove(out->addr.bytes, out->addr.bytes + 12, 4);
        memset(out->addr.bytes + 4, 0, 12);
        out->addr.family = PKT_ADDR_V4;
    }
    return true;
}

static int add_resolver(struct scan_config *cfg, const char *text, const char *origin,
                        unsigned line)
{
    if (cfg->nb_resolvers == SCAN_RESOLVERS_MAX) {
        fprintf(stderr, "fcrscan: more than %d resolvers\n", SCAN_RESOLVERS_MAX);
        return -1;
    }
    if (!parse_resolver(text, &cfg->resolvers[cfg->nb_resolvers])) {
        char what[160];
        if (origin != NULL)
            snprintf(what, sizeof(what), "%s:%u: not a resolver address[:port]", origin, line);
        else
            snprintf(what, sizeof(what), "-r: not a resolver address[:port]");
        usage_error(what, text);
        return -1;
    }
    cfg->nb_resolvers++;
    return 0;
}

/* Resolvers from a file: one per line, or resolv.conf "nameserver" lines. */
static int resolvers_from_file(struct scan_config *cfg, const char *path, bool resolv_conf)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "fcrscan: %s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    char line[512];
    unsigned lineno = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        char *p = line + strspn(line, " \t");
        p[strcspn(p, "#;\r\n")] = '\0';
        if (resolv_conf) {
            if (strncmp(p, "nameserver", 10) != 0 || (p[10] != ' ' && p[10] != '\t'))
                continue;
            p += 10;
            p += strspn(p, " \t");
        }
        p[strcspn(p, " \t")] = '\0';
        if (*p == '\0')
            continue;
        /* resolv.conf may carry a zone index (fe80::1%eth0): not supported. */
        if (resolv_conf && strchr(p, '%') != NULL)
            continue;
        rc = add_resolver(cfg, p, path, lineno);
    }
    fclose(f);
    return rc;
}

static int parse_resolvers(struct scan_config *cfg, const char *list)
{
    if (list == NULL) {
        if (resolvers_from_file(cfg, "/etc/resolv.conf", true) != 0)
            return -1;
        if (cfg->nb_resolvers == 0) {
            fprintf(stderr, "fcrscan: /etc/resolv.conf names no usable nameserver; use -r\n");
            return -1;
        }
        return 0;
    }
    if (list[0] == '@')
        return resolvers_from_file(cfg, list + 1, false);
    char buf[4096];
    if (strlen(list) >= sizeof(buf))
        return usage_error("-r: list too long", NULL), -1;
    strcpy(buf, list);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
        if (add_resolver(cfg, tok, NULL, 0) != 0)
            return -1;
    if (cfg->nb_resolvers == 0)
        return usage_error("-r: no resolver given", list), -1;
    return 0;
}

static int parse_options(int argc, char **argv, struct options *o, int *first_target)
{
    *o = (struct options){ .rate = 10000,
                           .timeout_ms = 1500,
                           .retries = 4,
                           .max_ptr = 16,
                           .engine = "socket",
                           .window = 65536,
                           .sockets = 64,
                           .tx_queues = 1,
                           .rx_queues = 1 };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":i:r:o:S:R:e:qhV", long_opts, NULL)) != -1) {
        const char *arg = optarg;
        switch (c) {
        case 'i':
            if (o->nb_inputs == 64)
                return usage_error("too many --input files (64 at most)", NULL);
            o->inputs[o->nb_inputs++] = arg;
            break;
        case 'r':
            o->resolvers = arg;
            break;
        case 'o':
            o->output = arg;
            break;
        case 'S':
            o->summary = arg;
            break;
        case OPT_FORCE:
            o->force = true;
            break;
        case 'R':
            if (!parse_u64(arg, 1, 100000000, &o->rate))
                return usage_error("--rate takes a number of queries per second (1..1e8)", arg);
            break;
        case OPT_RESOLVER_RATE:
            if (!parse_u64(arg, 1, 100000000, &o->resolver_rate))
                return usage_error("--resolver-rate takes a number (1..1e8)", arg);
            break;
        case 'e':
            o->engine = arg;
            break;
        case OPT_DPDK_ARGS:
            o->dpdk_args = arg;
            o->raw_option = true;
            break;
        case OPT_SOURCE: {
            struct pkt_addr a;
            if (pkt_addr_parse(arg, &a) != 0)
                return usage_error("--source takes an IPv4 or IPv6 address", arg);
            struct pkt_addr *slot = a.family == PKT_ADDR_V4 ? &o->source_v4 : &o->source_v6;
            if (slot->family != 0)
                return usage_error("--source given twice for one address family", arg);
            *slot = a;
            o->raw_option = true;
            break;
        }
        case OPT_INTERFACE:
            o->interface = arg;
            o->raw_option = true;
            break;
        case OPT_NEXT_HOP_MAC: {
            unsigned m[6];
            char tail;
            if (sscanf(arg, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
                       &tail) != 6)
                return usage_error("--next-hop-mac takes a MAC address like 02:00:00:00:00:01",
                                   arg);
            for (unsigned k = 0; k < 6; k++)
                o->next_hop_mac[k] = (uint8_t)m[k];
            o->has_next_hop_mac = true;
            o->raw_option = true;
            break;
        }
        case OPT_USER:
            o->user = arg;
            o->raw_option = true;
            break;
        case OPT_RESUME:
            o->resume = arg;
            break;
        case OPT_WALK:
            return usage_error("--walk is not available in this version", arg);
        case OPT_TIMEOUT:
            if (!parse_unsigned(arg, 1, 60000, &o->timeout_ms))
                return usage_error("--timeout takes milliseconds (1..60000)", arg);
            break;
        case OPT_RETRIES:
            if (!parse_unsigned(arg, 0, SCAN_RETRIES_MAX, &o->retries))
                return usage_error("--retries takes 0..15", arg);
            break;
        case OPT_MAX_PTR:
            if (!parse_unsigned(arg, 1, STATS_NAMES_MAX, &o->max_ptr))
                return usage_error("--max-ptr takes 1..32", arg);
            break;
        case OPT_0X20:
            o->use_0x20 = true;
            break;
        case OPT_NO_TCP:
            o->no_tcp = true;
            break;
        case OPT_SEED:
            if (!parse_u64(arg, 0, UINT64_MAX, &o->seed))
                return usage_error("--seed takes a number (0..2^64-1)", arg);
            o->have_seed = true;
            break;
        case OPT_SHARD: {
            const char *slash = strchr(arg, '/');
            char ibuf[32];
            size_t il = slash != NULL ? (size_t)(slash - arg) : 0;
            if (slash == NULL || il == 0 || il >= sizeof(ibuf))
                return usage_error("--shard takes I/N", arg);
            memcpy(ibuf, arg, il);
            ibuf[il] = '\0';
            if (!parse_u64(ibuf, 0, UINT64_MAX - 1, &o->shard_i) ||
                !parse_u64(slash + 1, 1, UINT64_MAX, &o->shard_n) || o->shard_i >= o->shard_n)
                return usage_error("--shard takes I/N with 0 <= I < N", arg);
            o->have_shard = true;
            break;
        }
        case OPT_MAX_RUNTIME: {
            char *end;
            errno = 0;
            o->max_runtime = strtod(arg, &end);
            if (errno != 0 || *end != '\0' || !(o->max_runtime > 0) || o->max_runtime > 1e9)
                return usage_error("--max-runtime takes seconds (> 0)", arg);
            break;
        }
        case OPT_DRY_RUN:
            o->dry_run = true;
            break;
        case OPT_ALLOW_LARGE:
            o->allow_large = true;
            break;
        case OPT_NO_DEFAULT_BLOCKLIST:
            o->no_default_blocklist = true;
            break;
        case OPT_BLOCKLIST:
            if (o->nb_blocklists == 64)
                return usage_error("too many --blocklist files (64 at most)", NULL);
            o->blocklists[o->nb_blocklists++] = arg;
            break;
        case OPT_WINDOW:
            if (!parse_unsigned(arg, 16, 1u << 22, &o->window))
                return usage_error("--window takes 16..4194304", arg);
            break;
        case OPT_SOCKETS:
            if (!parse_unsigned(arg, 64, PKT_ENGINE_PORTS_MAX, &o->sockets))
                return usage_error("--sockets takes 64..1024", arg);
            break;
        case OPT_RECOVER:
            o->recover = arg;
            break;
        case OPT_TX_QUEUES:
            if (!parse_unsigned(arg, 1, PKT_ENGINE_TXQ_MAX, &o->tx_queues))
                return usage_error("--tx-queues takes 1..4", arg);
            break;
        case OPT_RX_QUEUES:
            if (!parse_unsigned(arg, 1, PKT_ENGINE_RXQ_MAX, &o->rx_queues))
                return usage_error("--rx-queues takes 1..8", arg);
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            exit(0);
        case 'V':
            printf("fcrscan %s (engines: %s)\n", FCRSCAN_VERSION, pkt_engine_names());
            exit(0);
        case ':':
            return usage_error("option needs an argument", argv[optind - 1]);
        default:
            return usage_error("unknown option", argv[optind - 1]);
        }
    }
    if (o->have_shard && !o->have_seed)
        return usage_error("--shard requires --seed (every shard must use the same order)", NULL);
    if (pkt_engine_find(o->engine) == NULL)
        return usage_error("no such engine in this build (see fcrscan --version)", o->engine);
    bool raw = strcmp(o->engine, "socket") != 0;
    if (!raw && o->raw_option)
        return usage_error("--dpdk-args, --source, --interface, --next-hop-mac and --user are "
                           "for the raw engines (-e dpdk, -e pcap)",
                           NULL);
    if (raw && o->source_v4.family == 0 && o->source_v6.family == 0)
        return usage_error("a raw engine needs --source (its own address, one per family)", NULL);
    if (strcmp(o->engine, "pcap") == 0 && o->interface == NULL)
        return usage_error("-e pcap needs --interface", NULL);
    if (o->resume != NULL && !o->dry_run && (o->output == NULL || strcmp(o->output, "-") == 0))
        return usage_error("--resume needs -o FILE (a resumed run continues that file)", NULL);
    if (strcmp(o->engine, "pcap") == 0 && (o->tx_queues > 1 || o->rx_queues > 1))
        return usage_error("-e pcap has one TX and one RX queue (more: -e dpdk)", NULL);
    if (strcmp(o->engine, "socket") == 0 && o->rx_queues > o->sockets)
        return usage_error("--rx-queues needs at least as many --sockets", NULL);
    if (raw && o->user == NULL)
        o->user = "nobody";
    *first_target = optind;
    return 0;
}

/* ---- hooks ---------------------------------------------------------------- */

struct run {
    struct options *o;
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

/* Is position pos of worker q pending in the checkpoint being resumed?
 * Positions come in ascending order per worker: a cursor walks the list. */
static bool prev_pending(struct run *r, unsigned q, uint64_t pos)
{
    const struct scan_ckpt *c = &r->prev;
    size_t *at = &r->prev_at[q];
    uint64_t key = (uint64_t)q << SCAN_CKPT_POS_BITS | pos;
    while (*at < c->nb_pending && c->pending[*at] < key)
        (*at)++;
    return *at < c->nb_pending && c->pending[*at] == key;
}

static bool hook_next(void *ctx, unsigned q, struct pkt_addr *out, uint64_t *pos)
{
    struct run *r = ctx;
    struct scan_perm *p = r->nb_txperm > 0 ? &r->txperm[q] : &r->perm;
    for (;;) {
        uint64_t at = (uint64_t)scan_perm_done(p);
        if (!scan_perm_next_addr(p, r->targets, out))
            return false;
        /* Resumed: a position the previous runs finished has its row. */
        if (r->resuming && at < r->prev.next[q] && !prev_pending(r, q, at))
            continue;
        *pos = at;
        return true;
    }
}

static uint32_t hook_classify(void *ctx, const uint8_t *wire, size_t len, const struct pkt_addr *t,
                              bool *unusable)
{
    struct run *r = ctx;
    return scan_classify_name(r->classifier, wire, len, t, unusable);
}

static int hook_format(void *ctx, const struct stats_record *rec, char *buf, size_t cap)
{
    struct run *r = ctx;
    return stats_record_format(rec, r->fmt, buf, cap);
}

static int hook_write(void *ctx, const char *buf, size_t len)
{
    struct run *r = ctx;
    int rc = stats_sink_write(r->sink, buf, len);
    if (rc != 0 && r->sink_error == 0) {
        r->sink_error = rc;
        fprintf(stderr, "fcrscan: %s\n", stats_sink_error(r->sink));
    }
    return rc;
}

/*
 * Make the rows written so far durable, then record how far the run got:
 * this run's bound and pending targets per TX worker, merged with what the
 * resumed checkpoint still had pending beyond this run's progress.
 */
static int hook_checkpoint(void *ctx, const uint64_t *next, const uint64_t *pending,
                           size_t nb_pending, unsigned nb)
{
    struct run *r = ctx;
    if (r->sink_error != 0)
        return -EIO;
    int rc = stats_sink_sync(r->sink);
    if (rc != 0) {
        r->sink_error = rc;
        fprintf(stderr, "fcrscan: %s\n", stats_sink_error(r->sink));
        return rc;
    }
    struct scan_ckpt *c = &r->ckpt;
    size_t i = 0, j = 0, n = 0;
    const struct scan_ckpt *p = &r->prev;
    for (;;) {
        /* The next of prev's pending that this run has not reached yet. */
        while (r->resuming && j < p->nb_pending &&
               (p->pending[j] & SCAN_CKPT_POS_MASK) < next[p->pending[j] >> SCAN_CKPT_POS_BITS])
            j++;
        uint64_t x = i < nb_pending ? pending[i] : UINT64_MAX;
        uint64_t y = r->resuming && j < p->nb_pending ? p->pending[j] : UINT64_MAX;
        if (x == UINT64_MAX && y == UINT64_MAX)
            break;
        if (n == r->pending_cap)
            return -ENOSPC; /* cannot happen: room for the window and prev's */
        c->pending[n++] = x < y ? x : y;
        i += x <= y;
        j += y <= x;
    }
    c->nb_pending = n;
    for (unsigned q = 0; q < nb && q < SCAN_CKPT_QUEUES_MAX; q++)
        c->next[q] = r->resuming && p->next[q] > next[q] ? p->next[q] : next[q];
    c->output_bytes = r->out_base + stats_sink_bytes_out(r->sink);
    c->serial++;
    char err[512];
    if (r->ck_fd[0] >= 0)
        rc = scan_ckpt_write_slot(r->ck_fd[c->serial & 1], r->o->resume, c, err, sizeof(err));
    else
        rc = scan_ckpt_write(r->o->resume, c, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "fcrscan: %s\n", err);
    return rc;
}

static void hook_tick(void *ctx, uint64_t now_ns, const struct stats_counters *sum)
{
    struct run *r = ctx;
    if (r->sink_error == 0) {
        /* 1 means a frame was closed; only negative values are errors. */
        int rc = stats_sink_tick(r->sink, now_ns);
        if (rc < 0) {
            r->sink_error = rc;
            fprintf(stderr, "fcrscan: %s\n", stats_sink_error(r->sink));
        }
    }
    if (!r->show_progress)
        return;
    struct stats_progress_sample smp = {
        .now_ns = now_ns, .sent = sum->sent, .done = sum->rows, .total = r->total
    };
    memcpy(smp.verdicts, sum->verdicts, sizeof(smp.verdicts));
    stats_progress_update(&r->progress, &smp);
    char line[STATS_PROGRESS_LINE_MAX];
    if (stats_progress_render(&r->progress, &smp, STATS_PROGRESS_TTY, line, sizeof(line)) > 0)
        fputs(line, stderr);
}

/* ---- setup helpers ----------------------------------------------------------- */

static const char *data_file(const char *name, char *buf, size_t cap)
{
    const char *dirs[3] = { getenv("FCRSCAN_DATADIR"), FCRSCAN_DATADIR, FCRSCAN_SRCDATADIR };
    for (unsigned i = 0; i < 3; i++) {
        if (dirs[i] == NULL)
            continue;
        snprintf(buf, cap, "%s/%s", dirs[i], name);
        if (access(buf, R_OK) == 0)
            return buf;
    }
    snprintf(buf, cap, "%s/%s", FCRSCAN_DATADIR, name);
    return buf;
}

static int load_targets(struct options *o, int argc, char **argv, int first,
                        struct scan_targets **out)
{
    unsigned flags = (o->allow_large ? SCAN_TARGETS_ALLOW_LARGE : 0) |
                     (o->no_default_blocklist ? SCAN_TARGETS_NO_DEFAULT_BLOCKLIST : 0);
    struct scan_targets *t = scan_targets_new(flags);
    if (t == NULL) {
        fprintf(stderr, "fcrscan: out of memory\n");
        return EXIT_RUNTIME;
    }
    int rc = 0;
    for (int i = first; i < argc; i++)
        rc |= scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, argv[i], "argument",
                                    (unsigned long)(i - first + 1));
    for (unsigned i = 0; i < o->nb_inputs; i++)
        rc |= scan_targets_add_file(t, SCAN_TARGETS_INCLUDE, o->inputs[i]);
    for (unsigned i = 0; i < o->nb_blocklists; i++)
        rc |= scan_targets_add_file(t, SCAN_TARGETS_BLOCK, o->blocklists[i]);
    if (first >= argc && o->nb_inputs == 0) {
        scan_targets_free(t);
        return usage_error("no targets (give addresses/CIDRs or -i FILE)", NULL);
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
        return rc == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
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
        return EXIT_USAGE;
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
            return EXIT_RUNTIME;
        }
        if ((++n & 0xFFFF) == 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            double el = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
            if (stop_flag || (max_runtime > 0 && el >= max_runtime))
                return fflush(stdout) == 0 ? EXIT_INTERRUPTED : EXIT_RUNTIME;
        }
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "fcrscan: writing to stdout: %s\n", strerror(errno));
        return EXIT_RUNTIME;
    }
    return 0;
}

static int64_t now_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Every option's effective value (never the key) for the summary. */
static int summary_config(struct stats_summary *sum, const struct options *o,
                          const struct scan_config *cfg)
{
    int rc = 0;
    char res[SCAN_RESOLVERS_MAX][PKT_ADDR_TEXT_MAX + 8];
    const char *resp[SCAN_RESOLVERS_MAX];
    for (unsigned i = 0; i < cfg->nb_resolvers; i++) {
        char a[PKT_ADDR_TEXT_MAX];
        pkt_addr_format(&cfg->resolvers[i].addr, a, sizeof(a));
        if (cfg->resolvers[i].addr.family == PKT_ADDR_V6)
            snprintf(res[i], sizeof(res[i]), "[%s]:%u", a, cfg->resolvers[i].port);
        else
            snprintf(res[i], sizeof(res[i]), "%s:%u", a, cfg->resolvers[i].port);
        resp[i] = res[i];
    }
    rc |= stats_summary_config_list(sum, "resolvers", resp, cfg->nb_resolvers);
    rc |= stats_summary_config_list(sum, "inputs", o->inputs, o->nb_inputs);
    rc |= stats_summary_config_str(sum, "output", o->output != NULL ? o->output : "-");
    rc |= stats_summary_config_str(sum, "engine", o->engine);
    rc |= stats_summary_config_u64(sum, "rate", o->rate);
    rc |= stats_summary_config_u64(sum, "resolver_rate", o->resolver_rate);
    rc |= stats_summary_config_u64(sum, "timeout_ms", o->timeout_ms);
    rc |= stats_summary_config_u64(sum, "retries", o->retries);
    rc |= stats_summary_config_u64(sum, "max_ptr", o->max_ptr);
    rc |= stats_summary_config_bool(sum, "0x20", o->use_0x20);
    rc |= stats_summary_config_bool(sum, "no_tcp", o->no_tcp);
    rc |= stats_summary_config_u64(sum, "seed", o->seed);
    char shard[48];
    snprintf(shard, sizeof(shard), "%" PRIu64 "/%" PRIu64, o->shard_i,
             o->have_shard ? o->shard_n : 1);
    rc |= stats_summary_config_str(sum, "shard", shard);
    rc |= stats_summary_config_fixed(sum, "max_runtime", o->max_runtime, 3);
    rc |= stats_summary_config_bool(sum, "allow_large", o->allow_large);
    rc |= stats_summary_config_bool(sum, "no_default_blocklist", o->no_default_blocklist);
    rc |= stats_summary_config_list(sum, "blocklists", o->blocklists, o->nb_blocklists);
    rc |= stats_summary_config_u64(sum, "window", o->window);
    rc |= stats_summary_config_u64(sum, "sockets", o->sockets);
    rc |= stats_summary_config_str(sum, "resume", o->resume != NULL ? o->resume : "");
    rc |= stats_summary_config_u64(sum, "tx_queues", o->tx_queues);
    rc |= stats_summary_config_u64(sum, "rx_queues", o->rx_queues);
    if (strcmp(o->engine, "socket") != 0) {
        char a4[PKT_ADDR_TEXT_MAX] = "", a6[PKT_ADDR_TEXT_MAX] = "";
        if (o->source_v4.family != 0)
            pkt_addr_format(&o->source_v4, a4, sizeof(a4));
        if (o->source_v6.family != 0)
            pkt_addr_format(&o->source_v6, a6, sizeof(a6));
        const char *srcs[2] = { a4, a6 };
        rc |= stats_summary_config_list(sum, "source", srcs, 2);
        rc |= stats_summary_config_str(sum, "interface", o->interface ? o->interface : "");
        rc |= stats_summary_config_str(sum, "dpdk_args", o->dpdk_args ? o->dpdk_args : "");
        rc |= stats_summary_config_str(sum, "user", o->user ? o->user : "");
        rc |= stats_summary_config_bool(sum, "next_hop_mac_given", o->has_next_hop_mac);
    }
    return rc;
}

/*
 * What must not change between a run and its resumption: the target set
 * (its size and 64 addresses spread over it), the seed, the shard, the TX
 * workers (each walks its own part), the output format and --max-ptr (the
 * rows). Resolvers, rates and timeouts may change (a resolver that died).
 */
static uint64_t config_hash(const struct options *o, const struct run *r, bool zstd)
{
    struct {
        uint64_t seed, shard_i, shard_n;
        uint32_t tx_queues, max_ptr, fmt, zstd;
        scan_u128 count;
        struct pkt_addr sample[64];
    } h;
    memset(&h, 0, sizeof(h));
    h.seed = o->seed;
    h.shard_i = o->have_shard ? o->shard_i : 0;
    h.shard_n = o->have_shard ? o->shard_n : 1;
    h.tx_queues = o->tx_queues;
    h.max_ptr = o->max_ptr;
    h.fmt = (uint32_t)r->fmt;
    h.zstd = zstd;
    h.count = scan_targets_count(r->targets);
    for (unsigned i = 0; i < 64 && h.count > 0; i++) {
        scan_u128 at = i == 63 ? h.count - 1 : h.count / 64 * i + (i < h.count ? i : 0) % h.count;
        if (at >= h.count)
            at = h.count - 1;
        if (scan_targets_addr(r->targets, at, &h.sample[i]) != 0)
            memset(&h.sample[i], 0, sizeof(h.sample[i]));
    }
    return XXH3_64bits(&h, sizeof(h));
}

/*
 * --resume: read the checkpoint (none: a fresh start that will write one)
 * and take the seed from it unless --seed was given. Returns 0 or an exit
 * status.
 */
static int resume_read(struct options *o, struct run *r, bool *resuming)
{
    char err[512];
    *resuming = false;
    int rc = scan_ckpt_read(o->resume, &r->prev, err, sizeof(err));
    if (rc == -ENOENT)
        return 0;
    if (rc != 0) {
        fprintf(stderr, "fcrscan: %s\n", err);
        return EXIT_USAGE;
    }
    if (o->have_seed && o->seed != r->prev.seed) {
        fprintf(stderr,
                "fcrscan: --seed %" PRIu64 " differs from checkpoint %s (seed %" PRIu64
                "): resuming needs the same order\n",
                o->seed, o->resume, r->prev.seed);
        return EXIT_USAGE;
    }
    o->seed = r->prev.seed;
    o->have_seed = true;
    *resuming = true;
    return 0;
}

/* The permutation part of TX worker q. */
static struct scan_perm *run_perm(struct run *r, unsigned q)
{
    return r->nb_txperm > 0 ? &r->txperm[q] : &r->perm;
}

/*
 * --resume, once the order and output format are known: check that the
 * checkpoint belongs to this configuration and move every TX worker's part
 * to its resume point; or, starting fresh, fill in the new checkpoint.
 * Returns 0, or an exit status; *all_done when nothing is left to scan.
 */
static int resume_setup(struct options *o, struct run *r, bool resuming, size_t window, bool zstd,
                        bool *all_done)
{
    struct scan_ckpt *c = &r->ckpt, *p = &r->prev;
    *all_done = false;
    memset(c, 0, sizeof(*c));
    c->config = config_hash(o, r, zstd);
    c->seed = o->seed;
    c->shard_i = o->have_shard ? o->shard_i : 0;
    c->shard_n = o->have_shard ? o->shard_n : 1;
    c->nb_txq = o->tx_queues;
    for (unsigned q = 0; q < o->tx_queues; q++) {
        scan_u128 size = scan_perm_shard_size(run_perm(r, q));
        if (size > SCAN_CKPT_POS_MASK) {
            fprintf(stderr, "fcrscan: --resume: more than 2^56 targets per TX worker\n");
            return EXIT_USAGE;
        }
        c->size[q] = (uint64_t)size;
    }
    c->serial = resuming ? p->serial : 0;
    r->pending_cap = window + (resuming ? p->nb_pending : 0);
    c->pending = malloc(r->pending_cap * sizeof(c->pending[0]));
    if (c->pending == NULL) {
        fprintf(stderr, "fcrscan: out of memory\n");
        return EXIT_RUNTIME;
    }
    if (!resuming)
        return 0;
    if (p->config != c->config || p->nb_txq != c->nb_txq) {
        fprintf(stderr,
                "fcrscan: checkpoint %s was written for another configuration (targets, "
                "blocklists, shard, --tx-queues, output format or --max-ptr differ); remove it "
                "to start over\n",
                o->resume);
        return EXIT_USAGE;
    }
    size_t at = 0;
    for (unsigned q = 0; q < c->nb_txq; q++) {
        /* Worker q resumes at its first pending position, or at next. */
        uint64_t from = p->next[q];
        while (at < p->nb_pending && (p->pending[at] >> SCAN_CKPT_POS_BITS) < q)
            at++;
        if (at < p->nb_pending && (p->pending[at] >> SCAN_CKPT_POS_BITS) == q)
            from = p->pending[at] & SCAN_CKPT_POS_MASK;
        if (p->size[q] != c->size[q] || scan_perm_seek(run_perm(r, q), from) != 0) {
            fprintf(stderr, "fcrscan: checkpoint %s does not fit these targets\n", o->resume);
            return EXIT_USAGE;
        }
    }
    *all_done = scan_ckpt_complete(p) != 0;
    /* Progress counts what this part has to do. */
    r->total = p->nb_pending;
    for (unsigned q = 0; q < c->nb_txq; q++)
        r->total += p->size[q] - p->next[q];
    return 0;
}

/*
 * Reopen the output of the run being resumed: cut it back to the length the
 * checkpoint recorded (rows after it belong to targets asked again, and a
 * crash may have torn the tail) and append from there. Returns the fd, or
 * -1 after printing why.
 */
static int resume_output(const char *path, uint64_t len)
{
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr,
                "fcrscan: cannot resume into %s: %s (remove the checkpoint to start over)\n", path,
                strerror(errno));
        return -1;
    }
    struct stat st;
    const char *why = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        why = "not a regular file";
    else if (st.st_nlink != 1)
        why = "it has other hard links";
    else if ((uint64_t)st.st_size < len)
        why = "it is shorter than the checkpoint says: not the output of that run";
    else if (ftruncate(fd, (off_t)len) != 0 || lseek(fd, 0, SEEK_END) < 0)
        why = strerror(errno);
    if (why != NULL) {
        fprintf(stderr, "fcrscan: cannot resume into %s: %s\n", path, why);
        close(fd);
        return -1;
    }
    return fd;
}

/* --recover FILE: see stats/recover.h. */
static int recover_output(const char *path)
{
    enum stats_format fmt;
    bool zstd = false;
    char err[STATS_SINK_ERR_MAX];
    if (stats_writer_format_from_path(path, &fmt, &zstd, err, sizeof(err)) != 0)
        return usage_error(err, NULL);
    struct stats_recover_result r;
    if (stats_recover(path, zstd, &r, err, sizeof(err)) != 0) {
        fprintf(stderr, "fcrscan: --recover: %s\n", err);
        return EXIT_RUNTIME;
    }
    fprintf(stderr,
            "fcrscan: %s: %" PRIu64 " whole rows kept (%" PRIu64 " octets), %" PRIu64
            " octets of torn tail cut\n",
            path, r.rows, r.kept_bytes, r.cut_bytes);
    return 0;
}

int main(int argc, char **argv)
{
    struct options o;
    int first = 0;
    int rc = parse_options(argc, argv, &o, &first);
    if (rc != 0)
        return rc;

    if (o.recover != NULL)
        return recover_output(o.recover);
    struct scan_config *cfg = calloc(1, sizeof(*cfg));
    struct run run = { .o = &o, .ck_fd = { -1, -1 } };
    int status = EXIT_RUNTIME;
    int out_fd = -1; /* the output reopened by --resume */
    struct stats_summary *sum = NULL;
    struct stats_summary_file *sum_file = NULL;
    if (cfg == NULL) {
        fprintf(stderr, "fcrscan: out of memory\n");
        return EXIT_RUNTIME;
    }
    if (!o.dry_run && parse_resolvers(cfg, o.resolvers) != 0) {
        status = EXIT_USAGE;
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
    status = EXIT_RUNTIME;
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
            status = EXIT_USAGE;
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
    if (o.output != NULL && strcmp(o.output, "-") != 0) {
        if (stats_writer_format_from_path(o.output, &run.fmt, &zstd, err, sizeof(err)) != 0) {
            status = usage_error(err, NULL);
            goto out;
        }
    } else {
        run.fmt = STATS_FORMAT_JSONL;
    }
    /* A resumed run replaces the summary its previous part wrote. */
    bool summary_force = o.force || resuming;
    if (o.summary != NULL &&
        stats_summary_check_path(o.summary, summary_force, err, sizeof(err)) != 0) {
        status = usage_error(err, NULL);
        goto out;
    }
    char psl_path[512], pat_path[512];
    data_file("public_suffix_list.dat", psl_path, sizeof(psl_path));
    data_file("provider-patterns.tsv", pat_path, sizeof(pat_path));
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
        status = EXIT_RUNTIME;
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
    } else if (o.output != NULL && strcmp(o.output, "-") != 0)
        rc = stats_sink_new(&run.sink, o.output, sink_flags, &warnings, err, sizeof(err));
    else
        rc = stats_sink_new_fd(&run.sink, STDOUT_FILENO, "<stdout>", 0, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "fcrscan: %s\n", err);
        status = rc == -EEXIST ? EXIT_USAGE : EXIT_RUNTIME;
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
        if (hook_checkpoint(&run, none, NULL, 0, o.tx_queues) != 0)
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
    cfg->engine = pkt_engine_find(o.engine);
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
    cfg->drop_user = strcmp(o.engine, "socket") != 0 ? o.user : NULL;
    for (unsigned i = 0; i < cfg->nb_resolvers; i++) {
        uint8_t fam = cfg->resolvers[i].addr.family;
        if (cfg->drop_user != NULL &&
            (fam == PKT_ADDR_V4 ? o.source_v4.family : o.source_v6.family) == 0) {
            status = usage_error("a resolver's address family has no --source address", NULL);
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
    cfg->hooks = (struct scan_hooks){ .ctx = &run,
                                      .next_target = hook_next,
                                      .classify = hook_classify,
                                      .format = hook_format,
                                      .write = hook_write,
                                      .tick = hook_tick,
                                      .checkpoint = o.resume != NULL ? hook_checkpoint : NULL };
    cfg->checkpoint_ms = SCAN_CKPT_PERIOD_MS;

    struct scan_result *res = calloc(1, sizeof(*res));
    if (res == NULL) {
        fprintf(stderr, "fcrscan: out of memory\n");
        goto out;
    }
    /* A raw engine drops privileges once its port is up, and the unprivileged
     * user may not create files in the summary's directory: the summary is
     * created now and written in place at the end (stats/summary.h). */
    if (o.summary != NULL && cfg->drop_user != NULL &&
        stats_summary_file_open(o.summary, summary_force, &sum_file, err, sizeof(err)) != 0) {
        fprintf(stderr, "fcrscan: %s\n", err);
        free(res);
        goto out;
    }
    int64_t started_ms = now_wall_ms();
    rc = scan_run(cfg, res);
    if (run.show_progress)
        fputs("\n", stderr);
    const char *why;
    if (rc != 0) {
        fprintf(stderr, "fcrscan: %s\n", res->error);
        status = EXIT_RUNTIME;
        why = res->error;
    } else if (res->end == SCAN_END_INTERRUPTED) {
        status = EXIT_INTERRUPTED;
        why = "interrupted";
    } else {
        status = 0;
        why = "complete";
    }
    if (stats_sink_close(run.sink) != 0 && run.sink_error == 0) {
        fprintf(stderr, "fcrscan: %s\n", stats_sink_error(run.sink));
        status = EXIT_RUNTIME;
        why = "output write failed";
    }
    if (status == 0 && res->targets_done != res->targets_started) {
        status = EXIT_RUNTIME;
        why = "internal: a target ended without a row";
        fprintf(stderr, "fcrscan: %s\n", why);
    }
    if (o.summary != NULL) {
        sum = stats_summary_new();
        if (sum == NULL || summary_config(sum, &o, cfg) != 0) {
            fprintf(stderr, "fcrscan: out of memory building the summary\n");
            status = EXIT_RUNTIME;
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
                status = EXIT_RUNTIME;
            }
        }
    }
    free(res);
out:
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
