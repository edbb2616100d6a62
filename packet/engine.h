/*
 * packet/engine.h - the packet engine interface: whole UDP datagrams in and
 * out, in bursts, with addresses and ports.
 *
 * Purpose: one interface (open, tx_burst, rx_burst, close) with several
 * backends, each a const struct of function pointers in its own file, listed
 * in one static table (engine.c): socket (default; sendmmsg/recvmmsg on a
 * pool of UDP sockets, no privileges), dpdk and pcap (raw frames).
 * Queues: the config asks for nb_txq TX and nb_rxq RX queues; queue q of
 * each kind belongs to one thread (scan.c's TX worker q, RX worker q), which
 * alone calls tx_burst / rx_burst with that q. A backend that cannot give
 * the queues asked for fails in open with a message saying why. open,
 * rx_missed and close run on the main thread while no worker runs.
 * Memory: everything allocated in open; nothing on the burst path.
 * Hot path: tx_burst/rx_burst. Untrusted input: what rx_burst returns.
 */
#ifndef FCRSCAN_PACKET_ENGINE_H
#define FCRSCAN_PACKET_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet/addr.h"

#define PKT_ENGINE_BURST_MAX  64
#define PKT_ENGINE_PORTS_MAX  1024 /* socket engine: most sockets per family */
#define PKT_ENGINE_RX_BUF_LEN 4096 /* larger datagrams are reported truncated */
#define PKT_ENGINE_PEERS_MAX  64   /* destinations a raw engine resolves in open */
#define PKT_ENGINE_TXQ_MAX    4    /* TX queues (threads) an engine serves */
#define PKT_ENGINE_RXQ_MAX    8    /* RX queues (threads) an engine serves */

/* A datagram handed to tx_burst or returned by rx_burst. */
struct pkt_dgram {
    struct pkt_addr peer; /* TX: destination; RX: source */
    uint16_t peer_port;
    uint16_t local_port; /* TX: our source port (from the engine's port list);
                            RX: the port it arrived on */
    uint16_t len;
    uint8_t truncated; /* RX: the datagram was larger than the receive buffer */
    uint8_t *data;     /* TX: borrowed until tx_burst returns;
                          RX: engine-owned, valid until the next rx_burst */
};

/* Open-time settings; plain data, borrowed during open only. */
struct pkt_engine_config {
    unsigned nb_ports; /* socket engine: UDP sockets per family (>= 64) */
    unsigned nb_txq;   /* TX queues, 1..PKT_ENGINE_TXQ_MAX (0 means 1) */
    unsigned nb_rxq;   /* RX queues, 1..PKT_ENGINE_RXQ_MAX (0 means 1) */
    bool want_v4;      /* families the scan will send */
    bool want_v6;
    unsigned rcvbuf_len; /* SO_RCVBUF request in octets, 0 = default */
    /* raw engines */
    const char *interface;
    const char *dpdk_args;
    struct pkt_addr source_v4;
    struct pkt_addr source_v6;
    bool has_next_hop_mac;
    uint8_t next_hop_mac[6];
    /* The destinations tx_burst will be given (the resolvers). Without
     * next_hop_mac a raw engine resolves each one's MAC by ARP / neighbour
     * discovery in open, so they must be on-link; datagrams to any other
     * address are counted as tx_errors. With next_hop_mac, any address. */
    struct pkt_addr peers[PKT_ENGINE_PEERS_MAX];
    unsigned nb_peers;
};

struct pkt_engine;

struct pkt_engine_ops {
    const char *name;
    /* Returns 0 and *out (owned; release with close), or -errno / negative
     * with a message in err[0..err_len) naming what failed. */
    int (*open)(const struct pkt_engine_config *cfg, struct pkt_engine **out, char *err,
                size_t err_len);
    /* Sends up to nb datagrams on TX queue q; returns how many were taken.
     * Threading: queue q's TX thread. */
    unsigned (*tx_burst)(struct pkt_engine *e, unsigned q, const struct pkt_dgram *d, unsigned nb);
    /* Receives up to nb datagrams from RX queue q, waiting at most
     * timeout_ms when none is ready. Returns the count. Every datagram for
     * us arrives on exactly one queue (the socket engine splits its sockets
     * over the queues; the dpdk engine spreads by RSS or the PMD's fanout).
     * Threading: queue q's RX thread. */
    unsigned (*rx_burst)(struct pkt_engine *e, unsigned q, struct pkt_dgram *d, unsigned nb,
                         int timeout_ms);
    /* The source ports datagrams may use for family (PKT_ADDR_V4/V6):
     * writes up to cap ports, returns the count (0: any port is fine). */
    unsigned (*ports)(const struct pkt_engine *e, uint8_t family, uint16_t *ports, unsigned cap);
    /* Datagrams the backend dropped itself (queue full, send errors). */
    uint64_t (*tx_errors)(const struct pkt_engine *e);
    /* Received frames the backend dropped, by reason: out[i] counts frame
     * parse error -(i + 1) of packet/frame.h (8 reasons). NULL for engines
     * that never see frames (socket). Any thread; relaxed reads. */
    void (*rx_drops)(const struct pkt_engine *e, uint64_t out[8]);
    /* Packets lost below the engine before it could see them: the NIC or
     * driver (DPDK imissed + rx_nombuf), the capture ring (pcap ps_drop +
     * ps_ifdrop) or the sockets' receive buffers (SO_MEMINFO drops). Some
     * of those may not have been for us (a capture ring sees other frames).
     * Threading: main thread, after the workers stopped. */
    uint64_t (*rx_missed)(const struct pkt_engine *e);
    /* ICMP destination-unreachable messages about our datagrams (RFC 792
     * type 3, RFC 4443 type 1): out[0] counts those quoting a datagram we
     * sent (packet/probes.h: destination, ports and DNS ID), out[1] those
     * quoting none (forged, or quoting too little to tell), which are
     * ignored. Neither kind ends a lookup: the query stays pending until
     * its timeout. NULL for an engine that does not see them. Any thread;
     * relaxed reads. */
    void (*icmp_errors)(const struct pkt_engine *e, uint64_t out[2]);
    void (*close)(struct pkt_engine *e); /* NULL is a no-op */
};

/* ports for a raw engine, which sends from any port: 0 (scan.c keys them
 * over 1024..65535). */
unsigned pkt_engine_ports_any(const struct pkt_engine *e, uint8_t family, uint16_t *ports,
                              unsigned cap);

/* A raw engine's own addresses from cfg: *v4 / *v6 set (family 0 when not
 * given). False when a family cfg wants has no --source address. */
bool pkt_engine_sources(const struct pkt_engine_config *cfg, struct pkt_addr *v4,
                        struct pkt_addr *v6);

/* The backend called name, or NULL when it does not exist in this build. */
const struct pkt_engine_ops *pkt_engine_find(const char *name);

/* Comma-separated names of the backends in this build, static. */
const char *pkt_engine_names(void);

extern const struct pkt_engine_ops pkt_engine_socket;

#endif
