/*
 * packet/engine_mem.h - an engine without sockets: datagrams go through
 * rings in memory to a peer in the same process (a test's or a benchmark's
 * responder), like DPDK's net_ring.
 *
 * Purpose: the scan end to end with no kernel in between, so scan tests run
 * hermetically (no ports, no loopback, no privileges) and the peer can send
 * from any address and port, to any of our ports, at any moment.
 * Queues: one ring per TX queue (the scan's TX worker q writes, the peer
 * reads) and one per RX queue (the peer writes, the scan's RX worker q
 * reads). A datagram to local port p arrives on RX queue p % nb_rxq.
 * Ports: nb_ports ports per family, PKT_ENGINE_MEM_PORT_BASE + i.
 * Threading: tx_burst / rx_burst as engine.h; the peer side functions may
 * be called from any number of peer threads (they serialise among
 * themselves with a lock; the scan's side never takes it).
 * Memory: every ring allocated in open; nothing on the burst path.
 */
#ifndef FCRSCAN_PACKET_ENGINE_MEM_H
#define FCRSCAN_PACKET_ENGINE_MEM_H

#include <stdbool.h>

#include "packet/engine.h"

#define PKT_ENGINE_MEM_PORT_BASE 40000u
#define PKT_ENGINE_MEM_SLOTS     8192u /* datagrams per ring */

extern const struct pkt_engine_ops pkt_engine_mem;

/*
 * Peer side: take up to nb datagrams the scan sent (any TX queue) into
 * d[0..nb), each data pointing into buf + i * PKT_ENGINE_RX_BUF_LEN (the
 * caller's, nb * PKT_ENGINE_RX_BUF_LEN octets). Returns the count.
 */
unsigned pkt_engine_mem_peer_recv(struct pkt_engine *e, struct pkt_dgram *d, uint8_t *buf,
                                  unsigned nb);

/*
 * Peer side: deliver one datagram to the scan: d->peer / d->peer_port are
 * its source, d->local_port our port it is sent to, d->data (borrowed) and
 * d->len its payload. Larger than PKT_ENGINE_RX_BUF_LEN arrives truncated.
 * False when the RX queue's ring is full (counted as rx_missed, like a full
 * socket buffer).
 */
bool pkt_engine_mem_peer_send(struct pkt_engine *e, const struct pkt_dgram *d);

#endif
