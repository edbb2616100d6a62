/*
 * bench/engine.c - packet engine throughput per core, in one run:
 *
 *  1. dpdk TX on net_null: real IPv4 PTR queries (reverse name, query with
 *     EDNS0, template patch, rte_eth_tx_burst) through the engine's
 *     tx_burst, one thread; also the engine alone, resending prebuilt
 *     queries, to split the cost between the DNS build and the engine.
 *  2. dpdk RX on net_ring: recorded replies (the .bin files of tests/golden, captured
 *     from the lab's NSD and Unbound) wrapped in frames to us, fed through
 *     the ring into the engine's rx_burst (classify + validate), then
 *     pkt_dns_reply_parse and a hash-table lookup of the question, one
 *     thread; then with two RX queues, a thread each (the scaling of
 *     --rx-queues), when the machine has two CPUs.
 *  3. the socket engine on loopback: the same queries through its tx_burst
 *     (sendmmsg) to a local UDP sink socket, one thread.
 *
 * EAL can be set up once per process, so each part runs in its own child
 * process; the parent prints the CPU model and build type first.
 *
 *   bench_engine [SECONDS_PER_PART]      (default 3)
 *
 * A benchmark prints figures; it asserts nothing and is never a test.
 */
#include <errno.h>
#include <glob.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "packet/dns.h"
#include "packet/engine.h"
#include "packet/frame.h"
#include "packet/raw.h"
#include "packet/rev.h"

#ifndef FCRSCAN_BUILDTYPE
#define FCRSCAN_BUILDTYPE "unknown"
#endif
#ifndef FCRSCAN_GOLDEN_DIR
#define FCRSCAN_GOLDEN_DIR "tests/golden"
#endif

#define BURST     PKT_ENGINE_BURST_MAX
#define EAL_NULL  "--no-huge --no-pci --no-shconf -m 512 -l 0 --vdev=net_null0"
#define EAL_RING  "--no-huge --no-pci --no-shconf -m 512 -l 0 --vdev=net_ring0"
#define RX_FRAMES 256 /* distinct reply frames cycled through the ring */
#define TABLE_LEN 4096

static double seconds = 3.0;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct pkt_addr addr(const char *text)
{
    struct pkt_addr a;
    if (pkt_addr_parse(text, &a) != 0) {
        fprintf(stderr, "bench_engine: bad address %s\n", text);
        exit(1);
    }
    return a;
}

static struct pkt_engine *open_engine(const struct pkt_engine_ops *ops,
                                      const struct pkt_engine_config *cfg)
{
    struct pkt_engine *e = NULL;
    char err[512];
    if (ops == NULL || ops->open(cfg, &e, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_engine: open %s: %s\n", ops ? ops->name : "?", ops ? err : "");
        exit(1);
    }
    return e;
}

/* ---- queries ------------------------------------------------------------------ */

struct qbatch {
    struct pkt_dgram d[BURST];
    uint8_t buf[BURST][PKT_DNS_QUERY_MAX];
};

/* BURST real PTR queries for the IPv4 targets next, next+1, ... */
static void build_queries(struct qbatch *b, uint32_t next, struct pkt_addr to, uint16_t to_port)
{
    for (unsigned i = 0; i < BURST; i++) {
        uint32_t ip = next + i;
        uint8_t a[4] = { (uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8),
                         (uint8_t)ip };
        uint8_t qname[PKT_DNS_NAME_MAX];
        int qlen = pkt_rev_name_v4(a, qname, sizeof(qname));
        struct pkt_dns_query q = { .qname = qname,
                                   .qname_len = (uint8_t)qlen,
                                   .qtype = PKT_DNS_TYPE_PTR,
                                   .id = (uint16_t)(ip * 40503u),
                                   .rd = true,
                                   .edns = true };
        int len = pkt_dns_query_build(b->buf[i], sizeof(b->buf[i]), &q);
        b->d[i] = (struct pkt_dgram){ .peer = to,
                                      .peer_port = to_port,
                                      .local_port = (uint16_t)(1024 + (ip * 2654435761u) % 64512),
                                      .len = (uint16_t)(len > 0 ? len : 0),
                                      .data = b->buf[i] };
    }
}

/* Send for `seconds`: returns datagrams taken per second. build: make
 * fresh queries per burst, else resend one prebuilt burst. */
static double tx_loop(const struct pkt_engine_ops *ops, struct pkt_engine *e, struct pkt_addr to,
                      uint16_t to_port, int build, uint64_t *frames_out)
{
    static struct qbatch b;
    build_queries(&b, 0xC6336400u, to, to_port);
    uint64_t sent = 0;
    uint32_t next = 0x0A000000u;
    double t0 = now_s(), t1 = t0;
    for (unsigned iter = 0;; iter++) {
        if (build) {
            build_queries(&b, next, to, to_port);
            next += BURST;
        }
        unsigned off = 0;
        while (off < BURST)
            off += ops->tx_burst(e, 0, b.d + off, BURST - off);
        sent += BURST;
        if ((iter & 255) == 0 && (t1 = now_s()) - t0 >= seconds)
            break;
    }
    *frames_out = sent;
    return (double)sent / (t1 - t0);
}

/* The dpdk engine on eal's vdev: us 10.53.0.100, one peer 10.53.0.2 behind
 * a fixed next-hop MAC, one TX queue and nb_rxq RX queues. */
static void dpdk_cfg(struct pkt_engine_config *cfg, const char *eal, unsigned nb_rxq)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->dpdk_args = eal;
    cfg->nb_txq = 1;
    cfg->nb_rxq = nb_rxq;
    cfg->want_v4 = true;
    cfg->source_v4 = addr("10.53.0.100");
    cfg->peers[0] = addr("10.53.0.2");
    cfg->nb_peers = 1;
    cfg->has_next_hop_mac = true;
    memcpy(cfg->next_hop_mac, (uint8_t[6]){ 0x02, 0x53, 0, 0, 0, 0x02 }, 6);
}

static void part_dpdk_tx(void)
{
    struct pkt_engine_config cfg;
    dpdk_cfg(&cfg, EAL_NULL, 1);
    const struct pkt_engine_ops *ops = pkt_engine_find("dpdk");
    struct pkt_engine *e = open_engine(ops, &cfg);
    uint64_t n;
    (void)tx_loop(ops, e, cfg.peers[0], 53, 1, &n); /* warm-up: caches, branch predictors */
    double full = tx_loop(ops, e, cfg.peers[0], 53, 1, &n);
    printf("dpdk TX net_null, PTR build + engine:   %6.2f M queries/s per core (%llu in %.1f s)\n",
           full / 1e6, (unsigned long long)n, seconds);
    double eng = tx_loop(ops, e, cfg.peers[0], 53, 0, &n);
    printf("dpdk TX net_null, engine only (prebuilt): %4.2f M frames/s per core\n", eng / 1e6);
    printf("  per query: %.1f ns total, %.1f ns engine (template, mbuf, PMD), %.1f ns DNS "
           "build (reverse name + query)\n",
           1e9 / full, 1e9 / eng, 1e9 / full - 1e9 / eng);
    printf("  tx_errors %llu\n", (unsigned long long)ops->tx_errors(e));
    ops->close(e);
}

/* ---- RX ---------------------------------------------------------------------- */

struct golden {
    uint8_t data[PKT_ENGINE_RX_BUF_LEN];
    size_t len;
};

static unsigned load_golden(struct golden *g, unsigned cap)
{
    glob_t gl;
    unsigned n = 0;
    if (glob(FCRSCAN_GOLDEN_DIR "/*.bin", 0, NULL, &gl) != 0)
        return 0;
    for (size_t i = 0; i < gl.gl_pathc && n < cap; i++) {
        FILE *f = fopen(gl.gl_pathv[i], "rb");
        if (f == NULL)
            continue;
        g[n].len = fread(g[n].data, 1, sizeof(g[n].data), f);
        fclose(f);
        /* Replies that fit a 1500-octet frame: what arrives over UDP. */
        if (g[n].len >= 12 && g[n].len <= 1400)
            n++;
    }
    globfree(&gl);
    return n;
}

static uint64_t name_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)(p[i] | 0x20)) * 1099511628211ull;
    return h;
}

/* One RX queue's feeder and consumer: its own reply frames cycled through
 * the queue's ring, then rx_burst on that queue, parse and lookup. */
struct rxq_run {
    const struct pkt_engine_ops *ops;
    struct pkt_engine *e;
    unsigned q;
    struct rte_mbuf *m[RX_FRAMES];
    struct rte_ring *ring;
    const uint64_t *table;
    pthread_barrier_t *start;
    uint64_t frames, parsed, matched, bad;
    double t0, t1;
};

static void *rxq_main(void *arg)
{
    struct rxq_run *r = arg;
    struct pkt_dgram d[BURST];
    pthread_barrier_wait(r->start);
    for (int pass = 0; pass < 2; pass++) { /* the first pass warms up */
        r->frames = r->parsed = r->matched = r->bad = 0;
        r->t0 = now_s();
        for (unsigned iter = 0;; iter++) {
            unsigned at = (iter * BURST) % RX_FRAMES;
            for (unsigned i = 0; i < BURST; i++)
                rte_mbuf_refcnt_update(r->m[at + i], 1);
            unsigned k = rte_ring_enqueue_burst(r->ring, (void **)(r->m + at), BURST, NULL);
            unsigned got = 0;
            while (got < k) {
                unsigned n = r->ops->rx_burst(r->e, r->q, d, BURST, 0);
                for (unsigned i = 0; i < n; i++) {
                    struct pkt_dns_reply rep;
                    if (pkt_dns_reply_parse(d[i].data, d[i].len, &rep) < 0) {
                        r->bad++;
                        continue;
                    }
                    r->parsed++;
                    uint64_t h = name_hash(rep.qname.wire, rep.qname.len);
                    r->matched += r->table[h & (TABLE_LEN - 1)] == h;
                }
                got += n;
            }
            r->frames += k;
            if ((iter & 255) == 0 && (r->t1 = now_s()) - r->t0 >= seconds / 2)
                break;
        }
    }
    (void)r->ops->rx_burst(r->e, r->q, d, BURST, 0); /* releases the last burst */
    return NULL;
}

/* RX on net_ring with nb_q queues, one thread each (nb_q 1: per core). */
static void dpdk_rx(unsigned nb_q)
{
    static struct golden g[64];
    unsigned nb_golden = load_golden(g, 64);
    if (nb_golden == 0) {
        printf("dpdk RX net_ring: no recorded replies in %s\n", FCRSCAN_GOLDEN_DIR);
        return;
    }
    struct pkt_engine_config cfg;
    dpdk_cfg(&cfg, EAL_RING, nb_q);
    const struct pkt_engine_ops *ops = pkt_engine_find("dpdk");
    struct pkt_engine *e = open_engine(ops, &cfg);

    /* Reply frames from the resolver to us, in mbufs that are never really
     * freed: each carries an extra reference per pass, which the engine's
     * free drops, so the same frames cycle without being rewritten. */
    struct rte_ether_addr mac;
    struct rte_mempool *mp = rte_pktmbuf_pool_create("bench_rx", 2048 * nb_q - 1, 0, 0,
                                                     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (mp == NULL || rte_eth_macaddr_get(0, &mac) != 0) {
        fprintf(stderr, "bench_engine: net_ring setup failed\n");
        exit(1);
    }
    static uint64_t table[TABLE_LEN];
    static struct rxq_run runs[PKT_ENGINE_RXQ_MAX];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, nb_q);
    size_t bytes = 0;
    for (unsigned q = 0; q < nb_q; q++) {
        struct rxq_run *r = &runs[q];
        char name[RTE_RING_NAMESIZE];
        snprintf(name, sizeof(name), "ETH_RXTX%u_net_ring0", q);
        *r = (struct rxq_run){ .ops = ops, .e = e, .q = q, .table = table, .start = &start };
        r->ring = rte_ring_lookup(name);
        if (r->ring == NULL) {
            fprintf(stderr, "bench_engine: no ring %s\n", name);
            exit(1);
        }
        bytes = 0;
        for (unsigned i = 0; i < RX_FRAMES; i++) {
            const struct golden *gr = &g[i % nb_golden];
            struct pkt_frame_udp spec = { .src = cfg.peers[0],
                                          .dst = cfg.source_v4,
                                          .src_port = 53,
                                          .dst_port = (uint16_t)(1024 + i),
                                          .ttl = 64,
                                          .ip_id = (uint16_t)i };
            memcpy(spec.src_mac, cfg.next_hop_mac, 6);
            memcpy(spec.dst_mac, mac.addr_bytes, 6);
            r->m[i] = rte_pktmbuf_alloc(mp);
            uint8_t *p = (uint8_t *)rte_pktmbuf_append(
                r->m[i], (uint16_t)(pkt_frame_udp_hdr_len(&spec) + gr->len));
            int n = p != NULL ? pkt_frame_udp_build(p, r->m[i]->data_len, &spec, gr->data, gr->len)
                              : -1;
            if (n <= 0) {
                fprintf(stderr, "bench_engine: frame build failed\n");
                exit(1);
            }
            bytes += (size_t)n;
            /* The question of each recorded reply is a "pending query". */
            struct pkt_dns_reply rep;
            if (pkt_dns_reply_parse(gr->data, gr->len, &rep) >= 0) {
                uint64_t h = name_hash(rep.qname.wire, rep.qname.len);
                table[h & (TABLE_LEN - 1)] = h;
            }
        }
    }
    pthread_t th[PKT_ENGINE_RXQ_MAX];
    for (unsigned q = 0; q < nb_q; q++)
        if (pthread_create(&th[q], NULL, rxq_main, &runs[q]) != 0) {
            fprintf(stderr, "bench_engine: cannot start RX thread %u\n", q);
            exit(1);
        }
    double rate = 0;
    uint64_t parsed = 0, matched = 0, bad = 0;
    for (unsigned q = 0; q < nb_q; q++) {
        pthread_join(th[q], NULL);
        rate += (double)runs[q].frames / (runs[q].t1 - runs[q].t0);
        parsed += runs[q].parsed;
        matched += runs[q].matched;
        bad += runs[q].bad;
    }
    if (nb_q == 1)
        printf("dpdk RX net_ring, classify + DNS parse + lookup: %5.2f M replies/s per core\n",
               rate / 1e6);
    else
        printf("dpdk RX net_ring, %u RX queues and threads: %5.2f M replies/s in all "
               "(%.2f M per queue)\n",
               nb_q, rate / 1e6, rate / nb_q / 1e6);
    printf("  %u recorded replies (%.0f octets per frame on average), %llu parsed, %llu matched, "
           "%llu refused by the parser, %.1f ns per reply per thread\n",
           nb_golden, (double)bytes / RX_FRAMES, (unsigned long long)parsed,
           (unsigned long long)matched, (unsigned long long)bad, 1e9 * nb_q / rate);
    for (unsigned q = 0; q < nb_q; q++)
        for (unsigned i = 0; i < RX_FRAMES; i++)
            rte_pktmbuf_free(runs[q].m[i]);
    ops->close(e);
}

static void part_dpdk_rx(void)
{
    dpdk_rx(1);
}

static void part_dpdk_rx2(void)
{
    dpdk_rx(2);
}

/* ---- socket engine ------------------------------------------------------------- */

static void part_socket_tx(void)
{
    int sink = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    if (sink < 0 || bind(sink, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        getsockname(sink, (struct sockaddr *)&sa, &sl) != 0) {
        fprintf(stderr, "bench_engine: sink socket: %s\n", strerror(errno));
        exit(1);
    }
    struct pkt_engine_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.nb_ports = 64;
    cfg.want_v4 = true;
    const struct pkt_engine_ops *ops = pkt_engine_find("socket");
    struct pkt_engine *e = open_engine(ops, &cfg);
    uint16_t port = ntohs(sa.sin_port);
    uint64_t n;
    /* The scanner spreads queries over the socket pool; here every burst
     * uses one of the pool's ports, so sendmmsg carries whole bursts. */
    uint16_t ports[PKT_ENGINE_PORTS_MAX];
    unsigned nb_ports = ops->ports(e, PKT_ADDR_V4, ports, PKT_ENGINE_PORTS_MAX);
    static struct qbatch b;
    uint64_t sent = 0;
    uint32_t next = 0x0A000000u;
    struct pkt_addr lo = addr("127.0.0.1");
    double t0 = now_s(), t1 = t0;
    for (unsigned iter = 0;; iter++) {
        build_queries(&b, next, lo, port);
        next += BURST;
        for (unsigned i = 0; i < BURST; i++)
            b.d[i].local_port = ports[iter % nb_ports];
        unsigned off = 0;
        for (unsigned tries = 0; off < BURST && tries < 1000; tries++)
            off += ops->tx_burst(e, 0, b.d + off, BURST - off);
        sent += off;
        if ((iter & 63) == 0 && (t1 = now_s()) - t0 >= seconds)
            break;
    }
    n = sent;
    double rate = (double)n / (t1 - t0);
    printf("socket TX loopback (sendmmsg), PTR build + engine: %5.2f M queries/s per core "
           "(%llu in %.1f s; the sink drops what it cannot queue)\n",
           rate / 1e6, (unsigned long long)n, seconds);
    ops->close(e);
    close(sink);
}

/* ---- main ---------------------------------------------------------------------- */

static void cpu_model(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "model name", 10) == 0) {
            char *v = strchr(line, ':');
            if (v != NULL) {
                v += strspn(v + 1, " ") + 1;
                v[strcspn(v, "\n")] = '\0';
                snprintf(buf, cap, "%s", v);
            }
            break;
        }
    }
    fclose(f);
}

static int run_part(const char *name, void (*part)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        part();
        fflush(stdout);
        _exit(0);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench_engine: part '%s' failed\n", name);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        seconds = atof(argv[1]);
    if (seconds <= 0)
        seconds = 3.0;
    char cpu[256];
    cpu_model(cpu, sizeof(cpu));
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    printf("bench_engine: CPU %s (%ld online), build %s, %.1f s per part, bursts of %d\n", cpu,
           ncpu, FCRSCAN_BUILDTYPE, seconds, BURST);
    int rc = 0;
    rc |= run_part("dpdk tx", part_dpdk_tx);
    rc |= run_part("dpdk rx", part_dpdk_rx);
    if (ncpu >= 2)
        rc |= run_part("dpdk rx, 2 queues", part_dpdk_rx2);
    rc |= run_part("socket tx", part_socket_tx);
    return rc == 0 ? 0 : 1;
}
