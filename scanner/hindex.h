/*
 * scanner/hindex.h - hash index from a 64-bit key hash to slot references.
 *
 * Purpose: finds the target slot of a PTR question and the forward entry of
 * an A/AAAA question. Buckets of SCAN_HINDEX_WAYS cells, two choices per key,
 * CAS insert and remove; a lookup visits at most 2 * SCAN_HINDEX_WAYS cells,
 * so deleting never breaks a probe chain and a spoofed question costs O(1).
 * The index does not hash: callers pass hashes keyed with the run's secret
 * (names and addresses come from the network: docs/test-cases.md M07).
 * Threading: any thread, lock-free. Memory: cells allocated once by
 * scan_hindex_init. Hot path: yes.
 */
#ifndef FCRSCAN_SCANNER_HINDEX_H
#define FCRSCAN_SCANNER_HINDEX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCAN_HINDEX_WAYS 8

struct scan_hindex {
    _Atomic uint64_t *cells; /* nb_buckets * SCAN_HINDEX_WAYS */
    uint64_t bucket_mask;
};

/* Room for at least nb entries at <= 50% load. Returns 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int scan_hindex_init(struct scan_hindex *h, size_t nb);
void scan_hindex_fini(struct scan_hindex *h);
/* Insert ref (< 2^32 - 1) under hash. False when both buckets are full.
 * Threading: any thread, lock-free. */
bool scan_hindex_insert(struct scan_hindex *h, uint64_t hash, uint32_t ref);
/* Remove exactly the (hash, ref) cell. Any thread. */
void scan_hindex_remove(struct scan_hindex *h, uint64_t hash, uint32_t ref);
/* The two buckets a hash may live in (equal when both choices agree). */
void scan_hindex_buckets(const struct scan_hindex *h, uint64_t hash, uint64_t out[2]);
/*
 * Every ref in hash's two buckets, whatever its tag (up to cap; the caller
 * makes room by removing some). Any thread; a snapshot.
 */
unsigned scan_hindex_occupants(const struct scan_hindex *h, uint64_t hash, uint32_t *refs,
                               unsigned cap);
/*
 * Collect up to cap refs whose cells carry hash's tag (candidates: the caller
 * compares the key). Returns the count. Any thread.
 */
unsigned scan_hindex_find(const struct scan_hindex *h, uint64_t hash, uint32_t *refs, unsigned cap);

#endif
