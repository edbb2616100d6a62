/*
 * scanner/nethash.h - hashing of addresses and names from the network for
 * the hash index, under a per-run secret.
 *
 * Purpose: forward names come from untrusted PTR answers and share the
 * index with the targets. With an unkeyed hash, names crafted offline to
 * collide could fill the buckets of the targets still to come; under a
 * secret derived from the run's key (read from the kernel, never written
 * anywhere) they cannot be crafted. XXH3 with a 192-octet secret keeps the
 * speed of a table hash (one call per received reply).
 * Threading: init before the workers start; then any thread, read-only.
 * Memory: the secret lives in the struct. Hot path: yes.
 */
#ifndef FCRSCAN_SCANNER_NETHASH_H
#define FCRSCAN_SCANNER_NETHASH_H

#include <stddef.h>
#include <stdint.h>

#include "packet/addr.h"
#include "scanner/keyed.h"

#define SCAN_NETHASH_SECRET_LEN 192 /* >= XXH3_SECRET_SIZE_MIN (136) */

struct scan_nethash {
    _Alignas(64) uint8_t secret[SCAN_NETHASH_SECRET_LEN];
};

/* Derive the secret from the run's key (deterministic for a key). */
void scan_nethash_init(struct scan_nethash *h, const struct scan_key *key);
/* The index hash of a target address. */
uint64_t scan_nethash_addr(const struct scan_nethash *h, const struct pkt_addr *a);
/* The index hash of a lower-cased wire name for targets of family. */
uint64_t scan_nethash_name(const struct scan_nethash *h, const uint8_t *name, size_t len,
                           uint8_t family);

#endif
