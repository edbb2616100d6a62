/*
 * The dpdk engine: raw Ethernet frames through one DPDK port (any PMD: a
 * NIC, net_af_xdp, net_af_packet, net_ring, net_null).
 *
 * Threads, queues and lcores. scan.c runs nb_txq TX and nb_rxq RX threads
 * (plain pthreads); TX thread q owns TX queue q, RX thread r owns RX queue
 * r (and, on net_af_packet with more qpairs than RX threads, also queues
 * r + nb_rxq, r + 2 nb_rxq, ...: its fanout spreads frames over every
 * qpair, so every queue must be read). With several RX queues on a PMD
 * that hashes (RSS), replies are spread by IP addresses and UDP ports.
 * Each thread registers itself as an EAL lcore on its first burst
 * (rte_thread_register) so the mempool's per-lcore caches serve it; when
 * --dpdk-args names enough worker lcores (-l / --lcores: nb_txq + nb_rxq
 * besides the main one), TX thread q runs on the CPUs of the q-th worker
 * lcore and RX thread r on those of worker nb_txq + r; otherwise the
 * kernel places them.
 *
 * ARP and neighbour solicitations for our --source addresses are answered
 * by the RX thread that receives them (the resolver must reach us, and its
 * kernel re-checks the mapping now and then), on a TX queue of its own
 * (nb_txq + r) when the port has that many. Otherwise it shares TX queue
 * r mod nb_txq: whoever sends on a shared queue takes its flag with one
 * atomic exchange per burst and never waits for it. The TX thread gives up
 * the burst (returns 0, scan.c retries) and the RX thread keeps its few
 * answers for its next pass, at most a few milliseconds later.
 *
 * TX: one template per (family, resolver) built in open after the next-hop
 * MAC is known (--next-hop-mac, else ARP / neighbour discovery through the
 * port itself, so resolvers must be on-link: behind a gateway, give the
 * gateway's MAC with --next-hop-mac). Per datagram: an mbuf from the bulk
 * allocation, the template copied, the changing fields and checksums
 * written (packet/raw.c), the payload copied; one rte_eth_tx_burst. What the
 * PMD does not accept is freed and the caller retries it.
 *
 * RX: rte_eth_rx_burst on the thread's queues, each frame classified by
 * packet/raw.c; datagrams point into their mbufs, which are held until the
 * next rx_burst call and freed at its start. Frames to us that fail
 * validation are counted by reason (rx_drops); what the port itself lost
 * (imissed, rx_nombuf) is read at the end (rx_missed). With nothing to
 * read the thread sleeps in short naps until the timeout: PMDs in general
 * have no file descriptor to wait on, and a spinning core would starve the
 * TX thread on small machines.
 *
 * Privileges: EAL, port and mempool are set up in open, as root; after
 * scan.c drops to --user nothing here needs a privilege (with --no-huge the
 * memory is anonymous, af_packet's sockets stay open).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <linux/if_packet.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_alarm.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "packet/engine.h"
#include "packet/probes.h"
#include "packet/raw.h"

#define DPDK_ARGS_MAX      64   /* EAL arguments from --dpdk-args */
#define DPDK_DEV_RXQ_MAX   16   /* device RX queues read (net_af_packet: one per qpair) */
#define DPDK_RX_DESC       1024 /* per queue, adjusted to the PMD's limits */
#define DPDK_TX_DESC       1024
#define DPDK_MBUF_CACHE    256 /* per-lcore mempool cache */
#define DPDK_CTRL_PENDING  32  /* ARP/NDP answers waiting for the TX queue */
#define DPDK_RESOLVE_TRIES 3   /* ARP/NS rounds in open */
#define DPDK_RESOLVE_MS    1000
#define DPDK_IDLE_NAP_NS   50000 /* rx_burst nap when the port is empty */
#define DPDK_NB_DROPS      8     /* frame drop reasons, engine.h rx_drops */
#define DPDK_PKT_SOCKS_MAX 32    /* net_af_packet sockets watched for ring drops */

/* One TX queue: its TX thread's scratch, and the flag for sharing it. */
struct dpdk_txq {
    alignas(64) atomic_int busy;    /* 1 while a thread sends on a shared queue */
    alignas(64) uint64_t tx_errors; /* relaxed stores; any thread reads */
    uint16_t ip_id;
    struct rte_mbuf *tx_m[PKT_ENGINE_BURST_MAX];
    uint16_t tx_idx[PKT_ENGINE_BURST_MAX];
};

/* One RX thread's state (the main thread's during open: thread 0). */
struct dpdk_rxq {
    alignas(64) uint64_t drops[DPDK_NB_DROPS]; /* relaxed stores; any thread reads */
    uint64_t icmp[2];  /* unreachables quoting a probe of ours / not (engine.h icmp_errors) */
    uint16_t ctrl_txq; /* TX queue for its ARP/NDP answers */
    bool ctrl_shared;  /* that queue is a TX thread's too: take its flag */
    unsigned nb_held;
    unsigned nb_ctrl;
    struct rte_mbuf *held[PKT_ENGINE_BURST_MAX];
    struct rte_mbuf *rx_m[PKT_ENGINE_BURST_MAX];
    struct rte_mbuf *ctrl[DPDK_CTRL_PENDING];
    uint8_t reply[PKT_RAW_CTRL_MAX];
};

struct pkt_engine {
    uint16_t port;
    uint16_t nb_txq;     /* TX threads (queues 0..nb_txq-1) */
    uint16_t nb_rxq;     /* RX threads */
    uint16_t dev_rxq;    /* RX queues configured on the port */
    uint16_t dev_txq;    /* TX queues configured on the port */
    unsigned nb_workers; /* EAL worker lcores to run the threads on (0: none) */
    unsigned worker[PKT_ENGINE_TXQ_MAX + PKT_ENGINE_RXQ_MAX];
    bool has_next_hop_mac;
    bool eal_up;
    bool port_configured;
    bool port_started;
    uint8_t next_hop_mac[6];
    struct pkt_raw_self self;
    struct rte_mempool *pool;
    char *args; /* the split --dpdk-args; EAL may keep pointers into it */
    char port_name[RTE_ETH_NAME_MAX_LEN];
    char driver[32];
    /* Written in open; read-only during the scan, except that with
     * --next-hop-mac and a single TX queue the TX thread adds new
     * destinations. */
    struct pkt_raw_peers peers;
    struct pkt_probes *probes; /* what TX sent, for ICMP errors (any thread) */
    /* net_af_packet: its PF_PACKET sockets, whose ring drops (tp_drops)
     * the PMD does not report in imissed. */
    int pkt_socks[DPDK_PKT_SOCKS_MAX];
    unsigned nb_pkt_socks;
    struct dpdk_txq txq[PKT_ENGINE_TXQ_MAX];
    struct dpdk_rxq rxq[PKT_ENGINE_RXQ_MAX];
};

/* Set once per thread: rte_thread_register gives a plain pthread an lcore
 * ID, hence its own mempool cache. Failing that (all lcore slots taken), the
 * thread still works, on the mempool's shared ring only. slot is the
 * thread's place among the workers (TX q: q; RX r: nb_txq + r): with enough
 * EAL worker lcores the thread moves to that lcore's CPUs. */
static _Thread_local bool thread_known;

static void thread_register(const struct pkt_engine *e, unsigned slot)
{
    if (thread_known)
        return;
    thread_known = true;
    if (rte_lcore_id() == LCORE_ID_ANY)
        (void)rte_thread_register();
    if (slot < e->nb_workers) {
        rte_cpuset_t cpus = rte_lcore_cpuset(e->worker[slot]);
        (void)pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
    }
}

/* Single writer, relaxed: the stats thread only needs eventual values. */
static void count(uint64_t *c, uint64_t n)
{
    __atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void nap(long ns)
{
    struct timespec ts = { 0, ns };
    nanosleep(&ts, NULL);
}

static void dpdk_close(struct pkt_engine *e)
{
    if (e == NULL)
        return;
    for (unsigned r = 0; r < PKT_ENGINE_RXQ_MAX; r++) {
        struct dpdk_rxq *rq = &e->rxq[r];
        if (rq->nb_held > 0)
            rte_pktmbuf_free_bulk(rq->held, rq->nb_held);
        if (rq->nb_ctrl > 0)
            rte_pktmbuf_free_bulk(rq->ctrl, rq->nb_ctrl);
    }
    if (e->port_started)
        (void)rte_eth_dev_stop(e->port);
    if (e->port_configured)
        (void)rte_eth_dev_close(e->port);
    rte_mempool_free(e->pool);
    if (e->eal_up)
        (void)rte_eal_cleanup();
    pkt_probes_free(e->probes);
    free(e->args);
    free(e);
}

/* ---- control frames (ARP/NDP) -------------------------------------------- */

/* Send rq's pending answers that its TX queue takes now; keep the rest. */
static void ctrl_flush(struct pkt_engine *e, struct dpdk_rxq *rq)
{
    if (rq->nb_ctrl == 0)
        return;
    uint16_t sent;
    if (rq->ctrl_shared) {
        atomic_int *busy = &e->txq[rq->ctrl_txq].busy;
        if (atomic_exchange_explicit(busy, 1, memory_order_acquire) != 0)
            return; /* the TX thread is sending; next pass */
        sent = rte_eth_tx_burst(e->port, rq->ctrl_txq, rq->ctrl, (uint16_t)rq->nb_ctrl);
        atomic_store_explicit(busy, 0, memory_order_release);
    } else {
        sent = rte_eth_tx_burst(e->port, rq->ctrl_txq, rq->ctrl, (uint16_t)rq->nb_ctrl);
    }
    rq->nb_ctrl -= sent;
    memmove(rq->ctrl, rq->ctrl + sent, rq->nb_ctrl * sizeof(rq->ctrl[0]));
}

/* Queue one control frame (copied) for ctrl_flush; dropped when full. */
static void ctrl_queue(struct pkt_engine *e, struct dpdk_rxq *rq, const uint8_t *frame,
                       uint16_t len)
{
    if (rq->nb_ctrl == DPDK_CTRL_PENDING)
        return;
    struct rte_mbuf *m = rte_pktmbuf_alloc(e->pool);
    if (m == NULL)
        return;
    uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, len);
    if (p == NULL) {
        rte_pktmbuf_free(m);
        return;
    }
    memcpy(p, frame, len);
    rq->ctrl[rq->nb_ctrl++] = m;
}

/* ---- RX -------------------------------------------------------------------- */

/*
 * One received frame. Returns 1 when it is a datagram for the caller (the
 * mbuf is then held), else 0 (the mbuf is freed). learn: apply ARP/NDP
 * mappings to the peer table (open only; during the scan the table is
 * read-only for RX threads).
 */
static unsigned rx_one(struct pkt_engine *e, struct dpdk_rxq *rq, struct rte_mbuf *m,
                       struct pkt_dgram *d, bool learn, unsigned *resolved)
{
    const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
    struct pkt_raw_rx rx;
    int kind;
    /* A frame in several segments is larger than one mbuf, hence than any
     * reply we accept: a length drop without looking further. */
    if (m->nb_segs != 1)
        kind = PKT_FRAME_E_LEN;
    else
        kind = pkt_raw_classify(frame, m->data_len, &e->self, &rx, rq->reply, sizeof(rq->reply));
    if (kind < 0) {
        if (kind >= -DPDK_NB_DROPS)
            count(&rq->drops[-kind - 1], 1);
        rte_pktmbuf_free(m);
        return 0;
    }
    if (kind == PKT_RAW_UDP) {
        d->peer = rx.src;
        d->peer_port = rx.src_port;
        d->local_port = rx.dst_port;
        d->len = rx.payload_len;
        d->truncated = 0;
        d->data = rte_pktmbuf_mtod_offset(m, uint8_t *, rx.payload_off);
        rq->held[rq->nb_held++] = m;
        return 1;
    }
    if (kind == PKT_RAW_ICMP_UNREACH) {
        bool ours = pkt_probes_sent(e->probes, &rx.quoted_dst, rx.quoted_dst_port,
                                    rx.quoted_src_port, rx.quoted_payload, rx.quoted_payload_len);
        count(&rq->icmp[ours ? 0 : 1], 1);
    }
    if ((kind == PKT_RAW_ARP_REQUEST || kind == PKT_RAW_NDP_SOLICIT) && rx.reply_len > 0)
        ctrl_queue(e, rq, rq->reply, rx.reply_len);
    if (learn && resolved != NULL)
        *resolved += (unsigned)pkt_raw_peers_learn(&e->peers, &e->self, &rx);
    rte_pktmbuf_free(m);
    return 0;
}

/* One pass over RX thread r's device queues (r, r + nb_rxq, ...): up to
 * nb datagrams into d. *frames counts the frames seen (datagrams or not). */
static unsigned rx_poll(struct pkt_engine *e, unsigned r, struct pkt_dgram *d, unsigned nb,
                        unsigned *frames, bool learn, unsigned *resolved)
{
    struct dpdk_rxq *rq = &e->rxq[r];
    unsigned got = 0;
    for (unsigned q = r; q < e->dev_rxq && got < nb; q += e->nb_rxq) {
        uint16_t k = rte_eth_rx_burst(e->port, (uint16_t)q, rq->rx_m, (uint16_t)(nb - got));
        *frames += k;
        for (uint16_t i = 0; i < k; i++)
            got += rx_one(e, rq, rq->rx_m[i], &d[got], learn, resolved);
    }
    return got;
}

static void rx_release(struct dpdk_rxq *rq)
{
    if (rq->nb_held > 0) {
        rte_pktmbuf_free_bulk(rq->held, rq->nb_held);
        rq->nb_held = 0;
    }
}

static unsigned dpdk_rx_burst(struct pkt_engine *e, unsigned r, struct pkt_dgram *d, unsigned nb,
                              int timeout_ms)
{
    thread_register(e, e->nb_txq + r);
    struct dpdk_rxq *rq = &e->rxq[r];
    rx_release(rq);
    if (nb > PKT_ENGINE_BURST_MAX)
        nb = PKT_ENGINE_BURST_MAX;
    uint64_t deadline = 0;
    for (;;) {
        unsigned frames = 0;
        unsigned got = rx_poll(e, r, d, nb, &frames, false, NULL);
        ctrl_flush(e, rq);
        if (got > 0 || timeout_ms <= 0)
            return got;
        uint64_t now = mono_ns();
        if (deadline == 0)
            deadline = now + (uint64_t)timeout_ms * 1000000u;
        else if (now >= deadline)
            return 0;
        if (frames == 0)
            nap(DPDK_IDLE_NAP_NS);
    }
}

/* ---- TX -------------------------------------------------------------------- */

static unsigned dpdk_tx_burst(struct pkt_engine *e, unsigned q, const struct pkt_dgram *d,
                              unsigned nb)
{
    thread_register(e, q);
    struct dpdk_txq *tq = &e->txq[q];
    if (nb > PKT_ENGINE_BURST_MAX)
        nb = PKT_ENGINE_BURST_MAX;
    if (nb == 0)
        return 0;
    /* Only a queue some RX thread shares has its flag taken by anyone else. */
    if (atomic_exchange_explicit(&tq->busy, 1, memory_order_acquire) != 0)
        return 0; /* an RX thread is sending ARP/NDP answers: retry */
    if (rte_pktmbuf_alloc_bulk(e->pool, tq->tx_m, nb) != 0) {
        atomic_store_explicit(&tq->busy, 0, memory_order_release);
        return 0; /* pool empty for a moment (mbufs in flight): retry */
    }
    unsigned n = 0;
    uint16_t now = pkt_probes_now();
    for (unsigned i = 0; i < nb; i++) {
        const struct pkt_dgram *g = &d[i];
        struct pkt_raw_peer *peer = pkt_raw_peers_find(&e->peers, &g->peer);
        if (peer == NULL && e->has_next_hop_mac && e->nb_txq == 1) {
            /* Any destination goes to the one next hop: its template is
             * made the first time (the table is the only TX thread's). */
            peer = pkt_raw_peers_add(&e->peers, &g->peer);
            if (peer != NULL && pkt_raw_peer_set_mac(peer, &e->self, e->next_hop_mac) != 0)
                peer = NULL;
        }
        struct rte_mbuf *m = tq->tx_m[n];
        if (peer == NULL || !peer->resolved ||
            (size_t)peer->tmpl.hdr_len + g->len > rte_pktmbuf_tailroom(m))
            continue; /* not ours to send: counted below if taken */
        pkt_probes_note(e->probes, now, &g->peer, g->peer_port, g->local_port, g->data, g->len);
        uint8_t *buf = rte_pktmbuf_mtod(m, uint8_t *);
        size_t flen = pkt_raw_tmpl_write(&peer->tmpl, buf, g->local_port, g->peer_port, tq->ip_id++,
                                         g->data, g->len);
        m->data_len = (uint16_t)flen;
        m->pkt_len = (uint32_t)flen;
        tq->tx_idx[n++] = (uint16_t)i;
    }
    uint16_t sent = n > 0 ? rte_eth_tx_burst(e->port, (uint16_t)q, tq->tx_m, (uint16_t)n) : 0;
    atomic_store_explicit(&tq->busy, 0, memory_order_release);
    /* Unsent frames and the mbufs of skipped datagrams go back to the pool. */
    if (sent < nb)
        rte_pktmbuf_free_bulk(tq->tx_m + sent, nb - sent);
    unsigned taken = sent == n ? nb : tq->tx_idx[sent];
    /* Datagrams skipped inside the taken prefix are errors; those after it
     * come back in the caller's retry and are judged then. */
    unsigned skipped = taken - sent;
    if (skipped > 0)
        count(&tq->tx_errors, skipped);
    return taken;
}

/* ---- open ------------------------------------------------------------------ */

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t err_len, int rc,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    return rc;
}

static int eal_init(struct pkt_engine *e, const char *args, char *err, size_t err_len)
{
    static bool eal_used; /* DPDK cannot initialise EAL twice in one process */
    static char prog[] = "fcrscan";
    static char no_telemetry[] = "--no-telemetry";
    char *argv[DPDK_ARGS_MAX + 3];
    int argc = 0;
    argv[argc++] = prog;
    /* Telemetry would listen on a socket for the whole run; a later
     * --telemetry in --dpdk-args turns it back on. */
    argv[argc++] = no_telemetry;
    if (args != NULL) {
        e->args = strdup(args);
        if (e->args == NULL)
            return fail(err, err_len, -ENOMEM, "dpdk engine: %s", "out of memory");
        char *save = NULL;
        for (char *t = strtok_r(e->args, " \t\n", &save); t != NULL;
             t = strtok_r(NULL, " \t\n", &save)) {
            if (argc == DPDK_ARGS_MAX + 2)
                return fail(err, err_len, -E2BIG, "dpdk engine: more than %d --dpdk-args words",
                            DPDK_ARGS_MAX);
            argv[argc++] = t;
        }
    }
    argv[argc] = NULL;
    if (eal_used)
        return fail(err, err_len, -EALREADY, "dpdk engine: %s",
                    "EAL was already initialised in this process");
    eal_used = true;
    /* EAL pins the calling thread to the main lcore's CPU. scan.c creates
     * its TX and RX threads from this thread later, and they would inherit
     * that single CPU: give the thread back the CPU set it had. */
    cpu_set_t cpus;
    bool have_cpus = pthread_getaffinity_np(pthread_self(), sizeof(cpus), &cpus) == 0;
    /* EAL's notices ("Detected CPU lcores", ...) are noise on a scanner's
     * stderr; --log-level in --dpdk-args still overrides this. */
    rte_log_set_global_level(RTE_LOG_WARNING);
    if (rte_eal_init(argc, argv) < 0)
        return fail(err, err_len, rte_errno > 0 ? -rte_errno : -EINVAL,
                    "dpdk engine: EAL initialisation failed (--dpdk-args): %s",
                    rte_strerror(rte_errno));
    e->eal_up = true;
    if (have_cpus)
        (void)pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
    return 0;
}

/*
 * scan.c's privilege drop (scanner/privs.c) changes the IDs of every thread,
 * but no_new_privs and the capability bounding set are per thread, and EAL
 * started its own threads (an lcore worker per extra core, the interrupt
 * thread) before it. Set both on those threads now, while we still may
 * (CAP_SETPCAP), so no thread of the process could regain privileges
 * through a set-user-ID execve (docs/test-cases.md S01).
 */
static void harden_thread(void)
{
    (void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    for (int cap = 0; cap <= 63; cap++)
        (void)prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
}

static int harden_worker(void *arg)
{
    (void)arg;
    harden_thread();
    return 0;
}

static void harden_alarm(void *arg)
{
    harden_thread();
    atomic_store_explicit((atomic_int *)arg, 1, memory_order_release);
}

static int eal_threads_harden(char *err, size_t err_len)
{
    for (unsigned lc = rte_get_next_lcore(UINT_MAX, 1, 0); lc < RTE_MAX_LCORE;
         lc = rte_get_next_lcore(lc, 1, 0)) {
        if (rte_eal_remote_launch(harden_worker, NULL, lc) != 0)
            return fail(err, err_len, -EIO, "dpdk engine: cannot reach EAL lcore %u", lc);
        (void)rte_eal_wait_lcore(lc);
    }
    /* Alarm callbacks run on the interrupt thread. */
    static atomic_int done;
    atomic_store(&done, 0);
    if (rte_eal_alarm_set(1, harden_alarm, &done) != 0)
        return fail(err, err_len, -EIO, "dpdk engine: %s", "cannot set an EAL alarm");
    for (unsigned i = 0; i < 2000 && !atomic_load_explicit(&done, memory_order_acquire); i++)
        nap(500000);
    if (!atomic_load_explicit(&done, memory_order_acquire)) {
        (void)rte_eal_alarm_cancel(harden_alarm, &done);
        return fail(err, err_len, -ETIMEDOUT, "dpdk engine: %s",
                    "EAL's interrupt thread did not run its alarm");
    }
    return 0;
}

/*
 * net_af_packet receives through a kernel ring per qpair; frames that find
 * it full are dropped by the kernel and counted in the socket's
 * PACKET_STATISTICS, which this DPDK version's PMD does not read. Find the
 * PF_PACKET sockets of the process (the PMD's; open runs before anything
 * else here makes one) and read their statistics once, which resets them,
 * so rx_missed later sees this run's drops. Main thread, in open, while
 * /proc/self/fd is still ours to read (before the privilege drop).
 */
static void pkt_socks_find(struct pkt_engine *e)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return;
    int self = dirfd(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL && e->nb_pkt_socks < DPDK_PKT_SOCKS_MAX) {
        char *end;
        long fd = strtol(de->d_name, &end, 10);
        if (*end != '\0' || fd < 0 || fd == self)
            continue;
        int domain = 0;
        socklen_t len = sizeof(domain);
        if (getsockopt((int)fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_PACKET)
            continue;
        struct tpacket_stats st;
        len = sizeof(st);
        if (getsockopt((int)fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
            e->pkt_socks[e->nb_pkt_socks++] = (int)fd;
    }
    closedir(d);
}

/* The EAL worker lcores (-l / --lcores in --dpdk-args) the TX and RX
 * threads run on, when there is one for each; else none. */
static void workers_pick(struct pkt_engine *e)
{
    unsigned want = (unsigned)e->nb_txq + e->nb_rxq, n = 0;
    for (unsigned lc = rte_get_next_lcore(UINT_MAX, 1, 0); lc < RTE_MAX_LCORE && n < want;
         lc = rte_get_next_lcore(lc, 1, 0))
        e->worker[n++] = lc;
    e->nb_workers = n == want ? n : 0;
}

static int port_setup(struct pkt_engine *e, char *err, size_t err_len)
{
    /* The first port EAL probed (a NIC or the first --vdev). */
    e->port = rte_eth_find_next(0);
    if (e->port >= RTE_MAX_ETHPORTS)
        return fail(err, err_len, -ENODEV, "dpdk engine: no DPDK port (%s)",
                    "give a NIC or a --vdev=... in --dpdk-args");
    (void)rte_eth_dev_get_name_by_port(e->port, e->port_name);
    struct rte_eth_dev_info info;
    int rc = rte_eth_dev_info_get(e->port, &info);
    if (rc != 0)
        return fail(err, err_len, rc, "dpdk engine: port %s: cannot read device info",
                    e->port_name);
    snprintf(e->driver, sizeof(e->driver), "%s", info.driver_name);
    if (info.max_tx_queues < e->nb_txq || info.max_rx_queues < e->nb_rxq)
        return fail(err, err_len, -EINVAL,
                    "dpdk engine: port %s (%s) has %u TX and %u RX queues; %u TX and %u RX "
                    "queues were asked for (net_af_packet: qpairs=N in its --vdev)",
                    e->port_name, e->driver, info.max_tx_queues, info.max_rx_queues, e->nb_txq,
                    e->nb_rxq);
    /* net_af_packet fans received frames out over all its qpairs: every
     * RX queue must be read. Elsewhere the RX threads' queues are all. */
    e->dev_rxq = e->nb_rxq;
    if (strcmp(info.driver_name, "net_af_packet") == 0)
        e->dev_rxq = info.max_rx_queues < DPDK_DEV_RXQ_MAX ? info.max_rx_queues : DPDK_DEV_RXQ_MAX;
    if (e->dev_rxq < e->nb_rxq)
        e->dev_rxq = e->nb_rxq;
    /* A TX queue per TX thread, then one per RX thread for its answers
     * as far as the port has them. */
    unsigned want_txq = (unsigned)e->nb_txq + e->nb_rxq;
    e->dev_txq = (uint16_t)(info.max_tx_queues < want_txq ? info.max_tx_queues : want_txq);
    for (unsigned r = 0; r < e->nb_rxq; r++) {
        e->rxq[r].ctrl_shared = e->nb_txq + r >= e->dev_txq;
        e->rxq[r].ctrl_txq = (uint16_t)(e->rxq[r].ctrl_shared ? r % e->nb_txq : e->nb_txq + r);
    }
    uint16_t nb_rxd = DPDK_RX_DESC, nb_txd = DPDK_TX_DESC;
    struct rte_eth_conf conf;
    memset(&conf, 0, sizeof(conf));
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
    /* Several RX queues on a PMD that hashes: spread replies by addresses
     * and ports (the resolvers answer from one port to our many). */
    uint64_t rss = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
    if (e->dev_rxq > 1 && rss != 0) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf = rss;
    }
    rc = rte_eth_dev_configure(e->port, e->dev_rxq, e->dev_txq, &conf);
    if (rc != 0)
        return fail(err, err_len, rc, "dpdk engine: port %s: configure failed", e->port_name);
    e->port_configured = true;
    rc = rte_eth_dev_adjust_nb_rx_tx_desc(e->port, &nb_rxd, &nb_txd);
    if (rc != 0)
        return fail(err, err_len, rc, "dpdk engine: port %s: descriptor counts refused",
                    e->port_name);

    int sock = rte_eth_dev_socket_id(e->port);
    if (sock < 0)
        sock = (int)rte_socket_id();
    /* Every descriptor may hold an mbuf, plus bursts in flight, held RX
     * bursts, control frames, and what the lcore caches keep (<= 1.5x). */
    unsigned nb_mbufs = (unsigned)e->dev_rxq * nb_rxd + (unsigned)e->dev_txq * nb_txd +
                        (2u * e->nb_rxq + 2u * e->nb_txq) * PKT_ENGINE_BURST_MAX +
                        e->nb_rxq * DPDK_CTRL_PENDING +
                        (4u + e->nb_rxq + e->nb_txq) * DPDK_MBUF_CACHE * 3 / 2;
    unsigned pow = 1024;
    while (pow - 1 < nb_mbufs)
        pow <<= 1;
    e->pool = rte_pktmbuf_pool_create("fcrscan_mbufs", pow - 1, DPDK_MBUF_CACHE, 0,
                                      RTE_MBUF_DEFAULT_BUF_SIZE, sock);
    if (e->pool == NULL)
        return fail(err, err_len, -ENOMEM,
                    "dpdk engine: cannot create the mbuf pool: %s (more -m memory?)",
                    rte_strerror(rte_errno));
    for (uint16_t q = 0; q < e->dev_rxq; q++) {
        rc = rte_eth_rx_queue_setup(e->port, q, nb_rxd, (unsigned)sock, NULL, e->pool);
        if (rc != 0)
            return fail(err, err_len, rc, "dpdk engine: port %s: RX queue setup failed",
                        e->port_name);
    }
    for (uint16_t q = 0; q < e->dev_txq; q++) {
        rc = rte_eth_tx_queue_setup(e->port, q, nb_txd, (unsigned)sock, NULL);
        if (rc != 0)
            return fail(err, err_len, rc, "dpdk engine: port %s: TX queue setup failed",
                        e->port_name);
    }
    rc = rte_eth_dev_start(e->port);
    if (rc != 0)
        return fail(err, err_len, rc, "dpdk engine: port %s: start failed", e->port_name);
    e->port_started = true;
    if (strcmp(e->driver, "net_af_packet") == 0)
        pkt_socks_find(e);
    struct rte_ether_addr mac;
    rc = rte_eth_macaddr_get(e->port, &mac);
    if (rc != 0)
        return fail(err, err_len, rc, "dpdk engine: port %s: no MAC address", e->port_name);
    memcpy(e->self.mac, mac.addr_bytes, 6);
    /* Neighbour solicitations for us go to a multicast group. Not every
     * PMD filters multicast (or can be told to stop): failure is fine. */
    if (e->self.v6.family == PKT_ADDR_V6)
        (void)rte_eth_allmulticast_enable(e->port);
    return 0;
}

/* Send one ARP request / NS per unresolved peer. */
static void solicit_unresolved(struct pkt_engine *e)
{
    for (unsigned i = 0; i < e->peers.nb; i++) {
        const struct pkt_raw_peer *p = &e->peers.peer[i];
        if (p->resolved)
            continue;
        uint8_t frame[PKT_RAW_CTRL_MAX];
        int n = pkt_raw_solicit_build(frame, sizeof(frame), &e->self, &p->addr);
        if (n > 0) {
            ctrl_queue(e, &e->rxq[0], frame, (uint16_t)n);
            if (e->rxq[0].nb_ctrl == DPDK_CTRL_PENDING)
                ctrl_flush(e, &e->rxq[0]);
        }
    }
    ctrl_flush(e, &e->rxq[0]);
}

/*
 * Learn every peer's MAC through the port: a few rounds of requests, each
 * followed by a bounded wait in which replies are applied and requests for
 * our own addresses answered. Main thread, before any worker runs.
 */
static int resolve_peers(struct pkt_engine *e, char *err, size_t err_len)
{
    unsigned left = pkt_raw_peers_unresolved(&e->peers);
    struct pkt_dgram scratch[PKT_ENGINE_BURST_MAX];
    for (unsigned round = 0; round < DPDK_RESOLVE_TRIES && left > 0; round++) {
        solicit_unresolved(e);
        uint64_t deadline = mono_ns() + (uint64_t)DPDK_RESOLVE_MS * 1000000u;
        while (left > 0 && mono_ns() < deadline) {
            unsigned frames = 0, resolved = 0;
            /* Every RX thread's queues, answers through thread 0's state.
             * Datagrams arriving now are nobody's yet: dropped with the burst. */
            for (unsigned r = 0; r < e->nb_rxq; r++) {
                (void)rx_poll(e, r, scratch, PKT_ENGINE_BURST_MAX, &frames, true, &resolved);
                rx_release(&e->rxq[r]);
                ctrl_flush(e, &e->rxq[r]);
            }
            left -= resolved;
            if (frames == 0)
                nap(1000000);
        }
    }
    if (left == 0)
        return 0;
    char where[96];
    snprintf(where, sizeof(where), "dpdk engine, port %s", e->port_name);
    pkt_raw_peers_unresolved_error(&e->peers, where, DPDK_RESOLVE_TRIES,
                                   DPDK_RESOLVE_TRIES * DPDK_RESOLVE_MS / 1000, err, err_len);
    return -EHOSTUNREACH;
}

static int peers_setup(struct pkt_engine *e, const struct pkt_engine_config *cfg, char *err,
                       size_t err_len)
{
    char why[192];
    if (pkt_raw_peers_setup(&e->peers, &e->self, cfg->peers, cfg->nb_peers,
                            e->has_next_hop_mac ? e->next_hop_mac : NULL, why, sizeof(why)) != 0)
        return fail(err, err_len, -EINVAL, "dpdk engine: %s", why);
    return e->has_next_hop_mac ? 0 : resolve_peers(e, err, err_len);
}

static int dpdk_open(const struct pkt_engine_config *cfg, struct pkt_engine **out, char *err,
                     size_t err_len)
{
    struct pkt_addr v4, v6;
    if (!pkt_engine_sources(cfg, &v4, &v6)) {
        snprintf(err, err_len, "dpdk engine: each family scanned needs its --source address");
        return -EINVAL;
    }
    struct pkt_engine *e = aligned_alloc(64, sizeof(*e));
    if (e == NULL) {
        snprintf(err, err_len, "dpdk engine: out of memory");
        return -ENOMEM;
    }
    memset(e, 0, sizeof(*e));
    e->nb_txq = (uint16_t)(cfg->nb_txq > 0 ? cfg->nb_txq : 1);
    e->nb_rxq = (uint16_t)(cfg->nb_rxq > 0 ? cfg->nb_rxq : 1);
    if (e->nb_txq > PKT_ENGINE_TXQ_MAX || e->nb_rxq > PKT_ENGINE_RXQ_MAX) {
        snprintf(err, err_len, "dpdk engine: %u TX / %u RX queues (at most %u / %u)", e->nb_txq,
                 e->nb_rxq, PKT_ENGINE_TXQ_MAX, PKT_ENGINE_RXQ_MAX);
        free(e);
        return -EINVAL;
    }
    for (unsigned q = 0; q < PKT_ENGINE_TXQ_MAX; q++) {
        atomic_init(&e->txq[q].busy, 0);
        e->txq[q].ip_id = (uint16_t)(q << 14);
    }
    e->self.v4 = v4;
    e->self.v6 = v6;
    e->has_next_hop_mac = cfg->has_next_hop_mac;
    memcpy(e->next_hop_mac, cfg->next_hop_mac, 6);

    int rc = pkt_probes_new(&e->probes);
    if (rc != 0)
        snprintf(err, err_len, "dpdk engine: cannot make the probe table (%s)", strerror(-rc));
    if (rc == 0)
        rc = eal_init(e, cfg->dpdk_args, err, err_len);
    if (rc == 0)
        rc = eal_threads_harden(err, err_len);
    if (rc == 0)
        workers_pick(e);
    if (rc == 0)
        rc = port_setup(e, err, err_len);
    if (rc == 0)
        rc = peers_setup(e, cfg, err, err_len);
    if (rc != 0) {
        dpdk_close(e);
        return rc;
    }
    *out = e;
    return 0;
}

static uint64_t dpdk_tx_errors(const struct pkt_engine *e)
{
    uint64_t n = 0;
    for (unsigned q = 0; q < e->nb_txq; q++)
        n += __atomic_load_n(&e->txq[q].tx_errors, __ATOMIC_RELAXED);
    return n;
}

static void dpdk_rx_drops(const struct pkt_engine *e, uint64_t out[8])
{
    for (unsigned i = 0; i < DPDK_NB_DROPS; i++) {
        out[i] = 0;
        for (unsigned r = 0; r < e->nb_rxq; r++)
            out[i] += __atomic_load_n(&e->rxq[r].drops[i], __ATOMIC_RELAXED);
    }
}

/* Frames the port lost before rte_eth_rx_burst saw them: no free
 * descriptor (imissed), no mbuf to receive into (rx_nombuf), and on
 * net_af_packet a full kernel ring (tp_drops, read from its sockets). */
static uint64_t dpdk_rx_missed(const struct pkt_engine *e)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < e->nb_pkt_socks; i++) {
        struct tpacket_stats ps;
        socklen_t len = sizeof(ps);
        if (getsockopt(e->pkt_socks[i], SOL_PACKET, PACKET_STATISTICS, &ps, &len) == 0)
            n += ps.tp_drops;
    }
    struct rte_eth_stats st;
    if (e->port_started && rte_eth_stats_get(e->port, &st) == 0)
        n += st.imissed + st.rx_nombuf;
    return n;
}

static void dpdk_icmp_errors(const struct pkt_engine *e, uint64_t out[2])
{
    for (unsigned k = 0; k < 2; k++) {
        out[k] = 0;
        for (unsigned r = 0; r < e->nb_rxq; r++)
            out[k] += __atomic_load_n(&e->rxq[r].icmp[k], __ATOMIC_RELAXED);
    }
}

const struct pkt_engine_ops pkt_engine_dpdk = {
    .name = "dpdk",
    .open = dpdk_open,
    .tx_burst = dpdk_tx_burst,
    .rx_burst = dpdk_rx_burst,
    .ports = pkt_engine_ports_any,
    .tx_errors = dpdk_tx_errors,
    .rx_drops = dpdk_rx_drops,
    .rx_missed = dpdk_rx_missed,
    .icmp_errors = dpdk_icmp_errors,
    .close = dpdk_close,
};
