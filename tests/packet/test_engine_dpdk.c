/*
 * tests/packet/test_engine_dpdk.c - the dpdk engine over net_ring: frames
 * built by tx_burst, looped back by the ring PMD (TX queue i feeds RX queue
 * i), received, classified and returned by rx_burst.
 *
 * The looped frames must look addressed to us, so the datagrams go to our
 * own --source address with the broadcast address as next hop. The ring
 * the PMD creates for queue pair i is named ETH_RXTX<i>_net_ring0; the
 * tests put hand-made frames into the RX side and read the engine's
 * ARP/NDP answers from queue 1's ring.
 *
 * EAL can be set up once per process: Criterion runs each test in its own
 * process, and each test opens (hence initialises EAL) itself.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "packet/dns.h"
#include "packet/engine.h"
#include "packet/frame.h"
#include "packet/raw.h"
#include "packet/rev.h"

#include "icmp_frame.h"

#define EAL_ARGS "--no-huge --no-pci --no-shconf -m 256 --vdev=net_ring0"

static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct pkt_addr addr(const char *text)
{
    struct pkt_addr a;
    cr_assert_eq(pkt_addr_parse(text, &a), 0, "%s", text);
    return a;
}

static const struct pkt_engine_ops *ops(void)
{
    const struct pkt_engine_ops *o = pkt_engine_find("dpdk");
    cr_assert_not_null(o, "this build has the dpdk engine");
    return o;
}

/* An engine on net_ring0 whose only peer is itself, next hop broadcast,
 * with nb_txq TX and nb_rxq RX queues (threads) and EAL arguments args. */
static struct pkt_engine *open_loop_q(const char *self4, const char *self6, unsigned nb_txq,
                                      unsigned nb_rxq, const char *args)
{
    struct pkt_engine_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.dpdk_args = args;
    cfg.nb_txq = nb_txq;
    cfg.nb_rxq = nb_rxq;
    if (self4 != NULL) {
        cfg.want_v4 = true;
        cfg.source_v4 = addr(self4);
        cfg.peers[cfg.nb_peers++] = cfg.source_v4;
    }
    if (self6 != NULL) {
        cfg.want_v6 = true;
        cfg.source_v6 = addr(self6);
        cfg.peers[cfg.nb_peers++] = cfg.source_v6;
    }
    cfg.has_next_hop_mac = true;
    memcpy(cfg.next_hop_mac, BCAST, 6);
    struct pkt_engine *e = NULL;
    char err[256] = "";
    int rc = ops()->open(&cfg, &e, err, sizeof(err));
    cr_assert_eq(rc, 0, "open: %s", err);
    cr_assert_not_null(e);
    return e;
}

static struct pkt_engine *open_loop(const char *self4, const char *self6)
{
    return open_loop_q(self4, self6, 1, 1, EAL_ARGS);
}

/* n PTR queries for consecutive addresses, from varied ports. */
struct batch {
    struct pkt_dgram d[PKT_ENGINE_BURST_MAX];
    uint8_t buf[PKT_ENGINE_BURST_MAX][PKT_DNS_QUERY_MAX];
};

static void make_queries(struct batch *b, unsigned n, struct pkt_addr to, unsigned salt)
{
    for (unsigned i = 0; i < n; i++) {
        struct pkt_addr target = addr(to.family == PKT_ADDR_V4 ? "198.51.100.0" : "2001:db8::");
        target.bytes[to.family == PKT_ADDR_V4 ? 3 : 15] = (uint8_t)(i + salt);
        uint8_t qname[PKT_DNS_NAME_MAX];
        int qlen = to.family == PKT_ADDR_V4 ? pkt_rev_name_v4(target.bytes, qname, sizeof(qname))
                                            : pkt_rev_name_v6(target.bytes, qname, sizeof(qname));
        cr_assert_gt(qlen, 0);
        struct pkt_dns_query q = { .qname = qname,
                                   .qname_len = (uint8_t)qlen,
                                   .qtype = PKT_DNS_TYPE_PTR,
                                   .id = (uint16_t)(0x1000 + i * 31 + salt),
                                   .rd = true,
                                   .edns = true };
        int len = pkt_dns_query_build(b->buf[i], sizeof(b->buf[i]), &q);
        cr_assert_gt(len, 0);
        b->d[i] = (struct pkt_dgram){ .peer = to,
                                      .peer_port = (uint16_t)(53 + salt),
                                      .local_port = (uint16_t)(1024 + i * 997 + salt),
                                      .len = (uint16_t)len,
                                      .data = b->buf[i] };
    }
}

/* Receive until n datagrams arrived or a few seconds passed. */
static unsigned receive(struct pkt_engine *e, struct pkt_dgram *out, uint8_t (*copy)[4096],
                        unsigned n)
{
    unsigned got = 0;
    for (unsigned tries = 0; tries < 200 && got < n; tries++) {
        struct pkt_dgram d[PKT_ENGINE_BURST_MAX];
        unsigned k = ops()->rx_burst(e, 0, d, PKT_ENGINE_BURST_MAX, 10);
        for (unsigned i = 0; i < k && got < n; i++) {
            out[got] = d[i];
            /* The data lives in an mbuf until the next rx_burst: keep a copy. */
            memcpy(copy[got], d[i].data, d[i].len);
            out[got].data = copy[got];
            got++;
        }
    }
    return got;
}

static void loop_and_compare(struct pkt_engine *e, struct pkt_addr self, unsigned salt)
{
    static struct batch b;
    static struct pkt_dgram got[PKT_ENGINE_BURST_MAX];
    static uint8_t copy[PKT_ENGINE_BURST_MAX][4096];
    unsigned n = PKT_ENGINE_BURST_MAX;
    make_queries(&b, n, self, salt);
    unsigned sent = 0;
    for (unsigned tries = 0; tries < 100 && sent < n; tries++)
        sent += ops()->tx_burst(e, 0, b.d + sent, n - sent);
    cr_assert_eq(sent, n, "the ring takes a whole burst");
    cr_assert_eq(ops()->tx_errors(e), 0);
    cr_assert_eq(receive(e, got, copy, n), n, "every frame comes back");
    for (unsigned i = 0; i < n; i++) {
        /* A ring keeps order; the reply's ports are the query's, swapped. */
        cr_assert(pkt_addr_equal(&got[i].peer, &self));
        cr_assert_eq(got[i].peer_port, b.d[i].local_port, "datagram %u", i);
        cr_assert_eq(got[i].local_port, b.d[i].peer_port, "datagram %u", i);
        cr_assert_eq(got[i].len, b.d[i].len, "datagram %u", i);
        cr_assert_eq(got[i].truncated, 0);
        cr_assert_eq(memcmp(got[i].data, b.d[i].data, b.d[i].len), 0, "datagram %u", i);
        struct pkt_dns_reply r;
        /* It is our own query, so the reply parser refuses it as QR=0: parsed, not trusted. */
        cr_assert_lt(pkt_dns_reply_parse(got[i].data, got[i].len, &r), 0);
    }
    uint64_t drops[8] = { 0 };
    ops()->rx_drops(e, drops);
    for (unsigned i = 0; i < 8; i++)
        cr_assert_eq(drops[i], 0, "drop reason %u", i);
}

Test(pkt_engine_dpdk, ipv4_datagrams_loop_back_equal, .timeout = 60)
{
    struct pkt_engine *e = open_loop("10.53.0.100", NULL);
    loop_and_compare(e, addr("10.53.0.100"), 0);
    loop_and_compare(e, addr("10.53.0.100"), 7);
    ops()->close(e);
}

Test(pkt_engine_dpdk, ipv6_datagrams_loop_back_equal, .timeout = 60)
{
    struct pkt_engine *e = open_loop(NULL, "fd53::100");
    loop_and_compare(e, addr("fd53::100"), 3);
    ops()->close(e);
}

Test(pkt_engine_dpdk, both_families_and_no_mbuf_leaks, .timeout = 120)
{
    struct pkt_engine *e = open_loop("10.53.0.100", "fd53::100");
    struct rte_mempool *mp = rte_mempool_lookup("fcrscan_mbufs");
    cr_assert_not_null(mp);
    unsigned before = rte_mempool_avail_count(mp);
    for (unsigned round = 0; round < 50; round++)
        loop_and_compare(e, addr(round % 2 ? "fd53::100" : "10.53.0.100"), round);
    /* The last burst's mbufs are held until the next rx_burst. */
    struct pkt_dgram d[4];
    (void)ops()->rx_burst(e, 0, d, 4, 0);
    cr_assert_eq(rte_mempool_avail_count(mp), before, "every mbuf back in the pool");
    ops()->close(e);
}

/* Put a hand-made frame on the receive side of queue pair q. */
static void inject_q(unsigned q, const uint8_t *frame, size_t len)
{
    char name[RTE_RING_NAMESIZE];
    snprintf(name, sizeof(name), "ETH_RXTX%u_net_ring0", q);
    struct rte_mempool *mp = rte_mempool_lookup("fcrscan_mbufs");
    struct rte_ring *r = rte_ring_lookup(name);
    cr_assert_not_null(mp);
    cr_assert_not_null(r);
    struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
    cr_assert_not_null(m);
    uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
    cr_assert_not_null(p);
    memcpy(p, frame, len);
    cr_assert_eq(rte_ring_enqueue(r, m), 0);
}

static void inject(const uint8_t *frame, size_t len)
{
    inject_q(0, frame, len);
}

Test(pkt_engine_dpdk, answers_arp_and_ndp_on_the_second_queue, .timeout = 60)
{
    struct pkt_engine *e = open_loop("10.53.0.100", "fd53::100");
    struct pkt_raw_self asker = { .mac = { 0x02, 0x53, 0, 0, 0, 0x02 } };
    asker.v4 = addr("10.53.0.2");
    asker.v6 = addr("fd53::2");
    struct pkt_addr us4 = addr("10.53.0.100"), us6 = addr("fd53::100");
    uint8_t f[PKT_RAW_CTRL_MAX];
    int n = pkt_raw_arp_request_build(f, sizeof(f), &asker, &us4);
    cr_assert_gt(n, 0);
    inject(f, (size_t)n);
    n = pkt_raw_ns_build(f, sizeof(f), &asker, &us6);
    cr_assert_gt(n, 0);
    inject(f, (size_t)n);

    struct pkt_dgram d[8];
    cr_assert_eq(ops()->rx_burst(e, 0, d, 8, 50), 0, "no datagram, only answers");
    struct rte_ring *ctrl = rte_ring_lookup("ETH_RXTX1_net_ring0");
    cr_assert_not_null(ctrl);
    struct rte_mbuf *m[4];
    unsigned k = rte_ring_dequeue_burst(ctrl, (void **)m, 4, NULL);
    cr_assert_eq(k, 2, "an ARP reply and a neighbour advertisement");
    struct pkt_raw_rx rx;
    int kind = pkt_raw_classify(rte_pktmbuf_mtod(m[0], const uint8_t *), m[0]->data_len, &asker,
                                &rx, NULL, 0);
    cr_assert_eq(kind, PKT_RAW_ARP_REPLY);
    cr_assert(pkt_addr_equal(&rx.learned_ip, &us4));
    kind = pkt_raw_classify(rte_pktmbuf_mtod(m[1], const uint8_t *), m[1]->data_len, &asker, &rx,
                            NULL, 0);
    cr_assert_eq(kind, PKT_RAW_NDP_ADVERT);
    cr_assert(pkt_addr_equal(&rx.learned_ip, &us6));
    rte_pktmbuf_free_bulk(m, k);
    ops()->close(e);
}

Test(pkt_engine_dpdk, counts_damaged_frames_by_reason, .timeout = 60)
{
    struct pkt_engine *e = open_loop("10.53.0.100", NULL);
    struct pkt_frame_udp spec = { .dst = addr("10.53.0.100"),
                                  .src = addr("10.53.0.2"),
                                  .src_port = 53,
                                  .dst_port = 4000,
                                  .ttl = 64 };
    /* To the port's own MAC: a frame too short to show its IP destination
     * counts only when it was sent to us. */
    struct rte_ether_addr mac;
    cr_assert_eq(rte_eth_macaddr_get(0, &mac), 0);
    memcpy(spec.dst_mac, mac.addr_bytes, 6);
    static const uint8_t payload[20] = { 1, 2, 3 };
    uint8_t f[128];
    int n = pkt_frame_udp_build(f, sizeof(f), &spec, payload, sizeof(payload));
    cr_assert_gt(n, 0);
    f[n - 1] ^= 0x55; /* UDP checksum */
    inject(f, (size_t)n);
    inject(f, 20); /* cut inside the IP header */
    f[n - 1] ^= 0x55;
    inject(f, (size_t)n); /* and a good one after them */
    struct pkt_dgram d[8];
    unsigned got = ops()->rx_burst(e, 0, d, 8, 50);
    cr_assert_eq(got, 1, "the valid frame after the bad ones still arrives");
    cr_assert_eq(d[0].len, sizeof(payload));
    uint64_t drops[8];
    ops()->rx_drops(e, drops);
    cr_assert_eq(drops[-PKT_FRAME_E_CSUM - 1], 1);
    cr_assert_eq(drops[-PKT_FRAME_E_SHORT - 1], 1);
    ops()->close(e);
}

/* M13: a port unreachable quoting a datagram the engine sent counts as
 * ours; one quoting an ID it never sent, or quoting too little to tell, as
 * unmatched. Neither is handed up as a datagram. */
Test(pkt_engine_dpdk, unreachables_are_counted_as_quoting_our_probe_or_not, .timeout = 60)
{
    struct pkt_engine *e = open_loop("10.53.0.100", NULL);
    struct pkt_addr us = addr("10.53.0.100"), router = addr("10.53.0.1");
    static struct batch b;
    make_queries(&b, 1, us, 0);
    cr_assert_eq(ops()->tx_burst(e, 0, b.d, 1), 1);
    static struct pkt_dgram got[4];
    static uint8_t copy[4][4096];
    cr_assert_eq(receive(e, got, copy, 1), 1, "our query looped back");
    /* What it quotes: our datagram as it went out (IP onwards). */
    struct pkt_frame_udp spec = { .src = us,
                                  .dst = b.d[0].peer,
                                  .src_port = b.d[0].local_port,
                                  .dst_port = b.d[0].peer_port,
                                  .ttl = 64 };
    uint8_t sent[256], f[512];
    int sn = pkt_frame_udp_build(sent, sizeof(sent), &spec, b.d[0].data, b.d[0].len);
    cr_assert_gt(sn, 0);
    struct rte_ether_addr mac;
    cr_assert_eq(rte_eth_macaddr_get(0, &mac), 0);
    static const uint8_t router_mac[6] = { 0x02, 0x53, 0, 0, 0, 0x01 };
    size_t n = test_icmp_frame(f, mac.addr_bytes, router_mac, router, us, 3, 3, sent + 14,
                               (size_t)sn - 14);
    inject(f, n);
    sent[14 + 28] ^= 0xFF; /* the quoted DNS ID: one we never sent */
    n = test_icmp_frame(f, mac.addr_bytes, router_mac, router, us, 3, 3, sent + 14,
                        (size_t)sn - 14);
    inject(f, n);
    n = test_icmp_frame(f, mac.addr_bytes, router_mac, router, us, 3, 3, sent + 14, 28);
    inject(f, n); /* IP + UDP header only */
    struct pkt_dgram d[8];
    cr_assert_eq(ops()->rx_burst(e, 0, d, 8, 50), 0, "errors are not datagrams");
    uint64_t ic[2];
    ops()->icmp_errors(e, ic);
    cr_assert_eq(ic[0], 1, "quoting our probe: %llu", (unsigned long long)ic[0]);
    cr_assert_eq(ic[1], 2, "quoting none: %llu", (unsigned long long)ic[1]);
    uint64_t drops[8];
    ops()->rx_drops(e, drops);
    cr_assert_eq(drops[-PKT_FRAME_E_PROTO - 1], 0, "not counted as proto drops any more");
    ops()->close(e);
}

Test(pkt_engine_dpdk, unsendable_destinations_are_tx_errors, .timeout = 60)
{
    struct pkt_engine *e = open_loop("10.53.0.100", NULL);
    static struct batch b;
    make_queries(&b, 4, addr("10.53.0.100"), 0);
    b.d[1].peer = addr("fd53::9");   /* no IPv6 source: no template */
    b.d[2].peer = addr("10.53.0.7"); /* another IPv4 destination: the next hop takes it */
    cr_assert_eq(ops()->tx_burst(e, 0, b.d, 4), 4);
    cr_assert_eq(ops()->tx_errors(e), 1);
    ops()->close(e);
}

Test(pkt_engine_dpdk, unresolvable_peer_fails_open_naming_it, .timeout = 60)
{
    struct pkt_engine_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.dpdk_args = EAL_ARGS;
    cfg.want_v4 = true;
    cfg.source_v4 = addr("10.53.0.100");
    cfg.peers[0] = addr("10.53.0.2");
    cfg.nb_peers = 1;
    struct pkt_engine *e = NULL;
    char err[512] = "";
    /* The ring only echoes our own request back: nobody answers for 10.53.0.2. */
    int rc = ops()->open(&cfg, &e, err, sizeof(err));
    cr_assert_lt(rc, 0);
    cr_assert_null(e);
    cr_assert(strstr(err, "10.53.0.2") != NULL, "%s", err);
    cr_assert(strstr(err, "--next-hop-mac") != NULL, "%s", err);
}

/* Open with EAL arguments args (IPv4 only, our address 10.53.0.100), for
 * an open that must fail: returns its code, the message in err. */
static int open_failing(const char *args, char *err, size_t err_len)
{
    struct pkt_engine_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.dpdk_args = args;
    cfg.want_v4 = true;
    cfg.source_v4 = addr("10.53.0.100");
    struct pkt_engine *e = NULL;
    int rc = ops()->open(&cfg, &e, err, err_len);
    cr_assert(rc != 0 || e != NULL);
    if (rc == 0)
        ops()->close(e);
    return rc;
}

Test(pkt_engine_dpdk, bad_eal_arguments_fail_cleanly, .timeout = 60)
{
    char err[512] = "";
    cr_assert_lt(
        open_failing("--no-huge --no-pci --no-shconf -m 256 --definitely-not-an-eal-option", err,
                     sizeof(err)),
        0);
    cr_assert(strstr(err, "EAL") != NULL, "%s", err);
}

Test(pkt_engine_dpdk, no_port_is_an_error, .timeout = 60)
{
    char err[512] = "";
    cr_assert_eq(open_failing("--no-huge --no-pci --no-shconf -m 256", err, sizeof(err)), -ENODEV);
    cr_assert(strstr(err, "no DPDK port") != NULL, "%s", err);
}

/* Receive on RX queue q until n datagrams arrived or a second passed. */
static unsigned receive_q(struct pkt_engine *e, unsigned q, unsigned n)
{
    unsigned got = 0;
    for (unsigned tries = 0; tries < 100 && got < n; tries++) {
        struct pkt_dgram d[PKT_ENGINE_BURST_MAX];
        got += ops()->rx_burst(e, q, d, PKT_ENGINE_BURST_MAX, 10);
    }
    return got;
}

/* net_ring loops TX queue i into RX queue i: what TX queue 1 sends arrives
 * on RX queue 1 only, what TX queue 0 sends on RX queue 0 only. */
Test(pkt_engine_dpdk, each_queue_is_its_own_path, .timeout = 60)
{
    struct pkt_engine *e = open_loop_q("10.53.0.100", NULL, 2, 2, EAL_ARGS);
    static struct batch b;
    make_queries(&b, 10, addr("10.53.0.100"), 0);
    cr_assert_eq(ops()->tx_burst(e, 1, b.d, 10), 10);
    cr_assert_eq(receive_q(e, 1, 10), 10, "TX queue 1's frames on RX queue 1");
    cr_assert_eq(receive_q(e, 0, 1), 0, "and nothing on RX queue 0");
    make_queries(&b, 7, addr("10.53.0.100"), 1);
    cr_assert_eq(ops()->tx_burst(e, 0, b.d, 7), 7);
    cr_assert_eq(receive_q(e, 0, 7), 7);
    cr_assert_eq(receive_q(e, 1, 1), 0);
    cr_assert_eq(ops()->tx_errors(e), 0);
    ops()->close(e);
}

/* Two TX queues and two RX queues: RX queue r answers ARP on TX queue
 * 2 + r, never on a TX thread's queue. */
Test(pkt_engine_dpdk, each_rx_queue_answers_arp_on_its_own_tx_queue, .timeout = 60)
{
    struct pkt_engine *e = open_loop_q("10.53.0.100", NULL, 2, 2, EAL_ARGS);
    struct pkt_raw_self asker = { .mac = { 0x02, 0x53, 0, 0, 0, 0x02 } };
    asker.v4 = addr("10.53.0.2");
    struct pkt_addr us4 = addr("10.53.0.100");
    uint8_t f[PKT_RAW_CTRL_MAX];
    int n = pkt_raw_arp_request_build(f, sizeof(f), &asker, &us4);
    cr_assert_gt(n, 0);
    inject_q(1, f, (size_t)n);
    struct pkt_dgram d[8];
    cr_assert_eq(ops()->rx_burst(e, 1, d, 8, 50), 0);
    struct rte_mbuf *m[4];
    static const unsigned want[4] = { 0, 0, 0, 1 }; /* answers per ring 0..3 */
    for (unsigned q = 0; q < 4; q++) {
        char name[RTE_RING_NAMESIZE];
        snprintf(name, sizeof(name), "ETH_RXTX%u_net_ring0", q);
        struct rte_ring *r = rte_ring_lookup(name);
        cr_assert_not_null(r, "%s", name);
        unsigned k = rte_ring_dequeue_burst(r, (void **)m, 4, NULL);
        cr_assert_eq(k, want[q], "ring %u holds %u frames", q, k);
        if (k > 0) {
            struct pkt_raw_rx rx;
            cr_assert_eq(pkt_raw_classify(rte_pktmbuf_mtod(m[0], const uint8_t *), m[0]->data_len,
                                          &asker, &rx, NULL, 0),
                         PKT_RAW_ARP_REPLY);
            rte_pktmbuf_free_bulk(m, k);
        }
    }
    ops()->close(e);
}

/* With a worker lcore per thread (--lcores maps lcore IDs to CPUs), TX
 * queue 0's thread moves to worker lcore 1's CPU and RX queue 0's thread
 * to worker lcore 2's. */
struct rx_probe {
    struct pkt_engine *e;
    cpu_set_t cpus;
};

static void *rx_probe_main(void *arg)
{
    struct rx_probe *p = arg;
    struct pkt_dgram d[4];
    (void)ops()->rx_burst(p->e, 0, d, 4, 0);
    (void)pthread_getaffinity_np(pthread_self(), sizeof(p->cpus), &p->cpus);
    return NULL;
}

Test(pkt_engine_dpdk, threads_run_on_the_worker_lcores_given, .timeout = 60)
{
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        cr_skip_test("needs two CPUs");
    struct pkt_engine *e = open_loop_q("10.53.0.100", NULL, 1, 1, "--lcores 0@0,1@1,2@0 " EAL_ARGS);
    static struct batch b;
    make_queries(&b, 1, addr("10.53.0.100"), 0);
    cr_assert_eq(ops()->tx_burst(e, 0, b.d, 1), 1);
    cpu_set_t cpus;
    cr_assert_eq(pthread_getaffinity_np(pthread_self(), sizeof(cpus), &cpus), 0);
    cr_assert_eq(CPU_COUNT(&cpus), 1);
    cr_assert(CPU_ISSET(1, &cpus), "TX on lcore 1's CPU");
    struct rx_probe p = { .e = e };
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, rx_probe_main, &p), 0);
    pthread_join(th, NULL);
    cr_assert_eq(CPU_COUNT(&p.cpus), 1);
    cr_assert(CPU_ISSET(0, &p.cpus), "RX on lcore 2's CPU");
    ops()->close(e);
}

/* net_af_packet on lo with its default single qpair cannot give two RX
 * queues: open fails naming queues and the vdev's qpairs. */
Test(pkt_engine_dpdk, more_queues_than_the_port_has_fail_open_saying_so, .timeout = 60)
{
    if (geteuid() != 0)
        cr_skip_test("net_af_packet needs root");
    struct pkt_engine_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.dpdk_args = "--no-huge --no-pci --no-shconf -m 256 --vdev=net_af_packet0,iface=lo";
    cfg.want_v4 = true;
    cfg.source_v4 = addr("127.0.0.100");
    cfg.has_next_hop_mac = true;
    cfg.nb_txq = 1;
    cfg.nb_rxq = 2;
    struct pkt_engine *e = NULL;
    char err[256] = "";
    int rc = ops()->open(&cfg, &e, err, sizeof(err));
    cr_assert_neq(rc, 0, "one qpair cannot serve two RX queues");
    cr_assert_null(e);
    cr_assert_not_null(strstr(err, "2 RX queues"), "%s", err);
    cr_assert_not_null(strstr(err, "qpairs"), "%s", err);
}
