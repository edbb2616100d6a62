/*
 * scanner/keyed.h - the keyed pseudo-random function (SipHash-2-4).
 *
 * Purpose: every value an off-path attacker must not predict comes from
 * here: query IDs, source-port choice, 0x20 case bits (RFC 5452), and the
 * target permutation's round keys. xxHash is for hash tables only.
 * Threading: any thread; keys are const after setup. No allocation.
 * The key is never written to output, logs or checkpoints.
 */
#ifndef FCRSCAN_SCANNER_KEYED_H
#define FCRSCAN_SCANNER_KEYED_H

#include <stddef.h>
#include <stdint.h>

/* A 128-bit SipHash key. */
struct scan_key {
    uint64_t k0;
    uint64_t k1;
};

/* SipHash-2-4 of data[0..len) under key (64-bit output, reference vectors). */
uint64_t scan_siphash(const struct scan_key *key, const void *data, size_t len);

/* SipHash-2-4 of two 64-bit words (little-endian bytes of a then b); fast path. */
uint64_t scan_siphash_u64x2(const struct scan_key *key, uint64_t a, uint64_t b);

/*
 * Derive a key from a 64-bit seed and a domain label (e.g. "perm", "id"), so
 * one --seed gives independent keys per use. Deterministic.
 */
struct scan_key scan_key_derive(uint64_t seed, const char *label);

/* A key from the kernel's random source (getrandom). Returns 0 or -errno. */
__attribute__((warn_unused_result)) int scan_key_random(struct scan_key *out);

#endif
