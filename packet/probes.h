/*
 * packet/probes.h - a memory of the datagrams an engine sent recently, to
 * tell an ICMP error that quotes one of our probes from one that does not.
 *
 * Purpose: an ICMP destination-unreachable message quotes the datagram it
 * is about. An off-path attacker can forge one quoting any address and port
 * of ours; what it cannot forge is the DNS ID of a query it never saw (the
 * first two octets of the quoted UDP payload). TX notes (destination,
 * destination port, source port, ID) of every datagram; RX asks whether an
 * ICMP error's quote matches one. The engines count the two kinds (engine.h
 * icmp_errors); neither ends a lookup: the query stays pending until its
 * timeout (docs/test-cases.md M13).
 * Memory: one table of PKT_PROBES_SLOTS 64-bit slots (2 MiB), taken in
 * pkt_probes_new; each probe takes the older of two slots, so one is
 * forgotten (its ICMP then counts as unmatched) with about (n / slots)^2
 * after n later ones, not n / slots. The hash is keyed with a per-engine
 * random key (getrandom).
 * Threading: any number of TX threads note and RX threads ask at once
 * (relaxed atomic stores and loads of whole tags). Hot path: one hash and
 * one store per datagram sent.
 * Untrusted input: the quote given to pkt_probes_sent.
 */
#ifndef FCRSCAN_PACKET_PROBES_H
#define FCRSCAN_PACKET_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet/addr.h"

#define PKT_PROBES_SLOTS 262144u

struct pkt_probes;

/* A table with a fresh random key. Returns 0 and *out (owned; release with
 * pkt_probes_free), or -errno (no memory, no random bytes). */
__attribute__((warn_unused_result)) int pkt_probes_new(struct pkt_probes **out);

/* Release p; NULL is a no-op. */
void pkt_probes_free(struct pkt_probes *p);

/* A coarse clock for pkt_probes_note (milliseconds, modulo 2^16): read it
 * once per burst, not per datagram. Any thread. */
uint16_t pkt_probes_now(void);

/* Note a datagram sent to peer:peer_port from our local_port whose payload
 * (borrowed) is payload[0..len), at time now (pkt_probes_now); payloads
 * shorter than 2 octets are not noted. Threading: any thread. */
void pkt_probes_note(struct pkt_probes *p, uint16_t now, const struct pkt_addr *peer,
                     uint16_t peer_port, uint16_t local_port, const uint8_t *payload, size_t len);

/* Whether a datagram with these fields was noted (and not overwritten):
 * the quote of an ICMP error, payload[0..len) the quoted UDP payload (at
 * least its first 2 octets, else false). Threading: any thread. */
bool pkt_probes_sent(const struct pkt_probes *p, const struct pkt_addr *peer, uint16_t peer_port,
                     uint16_t local_port, const uint8_t *payload, size_t len);

#endif
