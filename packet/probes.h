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
 * Memory: one direct-mapped table of 64-bit tags (PKT_PROBES_SLOTS), taken
 * in pkt_probes_new; a slot is overwritten by a later probe hashing to it,
 * so a very old probe may be forgotten (its ICMP then counts as unmatched).
 * The hash is keyed with a per-engine random key (getrandom).
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

#define PKT_PROBES_SLOTS 65536u

struct pkt_probes;

/* A table with a fresh random key. Returns 0 and *out (owned; release with
 * pkt_probes_free), or -errno (no memory, no random bytes). */
__attribute__((warn_unused_result)) int pkt_probes_new(struct pkt_probes **out);

/* Release p; NULL is a no-op. */
void pkt_probes_free(struct pkt_probes *p);

/* Note a datagram sent to peer:peer_port from our local_port whose payload
 * (borrowed) is payload[0..len); payloads shorter than 2 octets are not
 * noted. Threading: any thread. */
void pkt_probes_note(struct pkt_probes *p, const struct pkt_addr *peer, uint16_t peer_port,
                     uint16_t local_port, const uint8_t *payload, size_t len);

/* Whether a datagram with these fields was noted (and not overwritten):
 * the quote of an ICMP error, payload[0..len) the quoted UDP payload (at
 * least its first 2 octets, else false). Threading: any thread. */
bool pkt_probes_sent(const struct pkt_probes *p, const struct pkt_addr *peer, uint16_t peer_port,
                     uint16_t local_port, const uint8_t *payload, size_t len);

#endif
