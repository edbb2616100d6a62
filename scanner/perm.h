/*
 * scanner/perm.h - keyed pseudo-random permutation of target indices, with
 * sharding and resume.
 *
 * Purpose: the scan order. Index i of the target set (scanner/targets.h) is
 * visited at a position chosen by a keyed bijection of [0, total), so
 * consecutive probes hit unrelated networks, the order is reproducible from
 * --seed, and a run splits into shards without coordination.
 *
 * Construction: a Feistel network of SCAN_PERM_ROUNDS rounds over the
 * smallest bit width w >= 2 with 2^w >= total, split into halves of
 * floor(w/2) and ceil(w/2) bits that trade places every round (balanced for
 * even w, off by one bit for odd w, like NIST SP 800-38G FF1). The round
 * function is SipHash-2-4 (scan_siphash_u64x2) under
 * scan_key_derive(seed, "perm") of (one half, round number, w), cut to the
 * width of the other half. Values >= total are mapped again ("cycle
 * walking"), which keeps a bijection of [0, total); since 2^w < 2 * total
 * (for total > 2), fewer than 2 steps are needed on average.
 *
 * Sharding: shard i of n visits the positions i, i + n, i + 2n, ... of the
 * one permutation of the whole set. Shards of the same seed are therefore
 * disjoint, their union is the whole set, and their sizes differ by at most
 * one. The resume point of a shard is the number of values it has yielded.
 *
 * Memory: constant (the struct); nothing is allocated. Hot path: one
 * scan_perm_next per probe sent. Threading: a struct scan_perm belongs to one
 * thread (its iterator state changes); scan_perm_value and
 * scan_perm_position only read it and may run on any thread.
 */
#ifndef FCRSCAN_SCANNER_PERM_H
#define FCRSCAN_SCANNER_PERM_H

#include <stdbool.h>
#include <stdint.h>

#include "packet/addr.h"
#include "scanner/keyed.h"
#include "scanner/targets.h"

/* Feistel rounds (4 make a pseudo-random permutation; 6 leave a margin). */
#define SCAN_PERM_ROUNDS 6

/*
 * Permutation iterator. Plain data in the caller's storage; the fields are
 * private to perm.c (read them only through the functions below). The key
 * is in here: never write the struct to a file or log.
 */
struct scan_perm {
    struct scan_key key;  /* scan_key_derive(seed, "perm") */
    scan_u128 total;      /* size of the permuted set */
    scan_u128 shard_size; /* number of positions this shard visits */
    scan_u128 done;       /* values yielded so far (the resume point) */
    uint64_t shard_i;     /* this shard, 0 <= shard_i < shard_n */
    uint64_t shard_n;     /* number of shards, >= 1 */
    uint64_t hi_mask;     /* hi_bits low bits set */
    uint64_t lo_mask;     /* lo_bits low bits set */
    unsigned hi_bits;     /* high part: floor(w / 2) bits, 1..64 */
    unsigned lo_bits;     /* low part: ceil(w / 2) bits, 1..64 */
};

/*
 * Set up shard shard_i of shard_n (0 <= shard_i < shard_n; 0/1 = no sharding)
 * of the permutation of [0, total) for seed, positioned at its start.
 * total may be 0 (nothing is yielded). Returns 0, or -EINVAL for a bad shard.
 * Threading: any thread (caller's storage).
 */
__attribute__((warn_unused_result)) int scan_perm_init(struct scan_perm *p, scan_u128 total,
                                                       uint64_t seed, uint64_t shard_i,
                                                       uint64_t shard_n);

/*
 * Next index of this shard into *index. Returns true, or false (and leaves
 * *index alone) when the shard is exhausted. Threading: owner thread only.
 */
bool scan_perm_next(struct scan_perm *p, scan_u128 *index);

/*
 * Next target address of this shard: scan_perm_next composed with
 * scan_targets_addr on t (borrowed, finalized, and the set whose count was
 * passed to scan_perm_init). Returns true, or false when the shard is
 * exhausted. Threading: owner thread only (t is read-only).
 */
bool scan_perm_next_addr(struct scan_perm *p, const struct scan_targets *t, struct pkt_addr *out);

/* Number of indices this shard yields in all. Threading: any thread. */
scan_u128 scan_perm_shard_size(const struct scan_perm *p);

/*
 * Values yielded so far by this shard: the resume point to checkpoint.
 * Threading: owner thread (or any thread once it stopped).
 */
scan_u128 scan_perm_done(const struct scan_perm *p);

/*
 * Continue a shard from a checkpointed resume point: the next scan_perm_next
 * yields what the done+1-th call would have. Returns 0, or -ERANGE when done
 * exceeds the shard size. Threading: owner thread only.
 */
__attribute__((warn_unused_result)) int scan_perm_seek(struct scan_perm *p, scan_u128 done);

/*
 * The permutation itself: the index at global position pos (pos < total),
 * independent of sharding and iterator state. Threading: any thread.
 */
scan_u128 scan_perm_value(const struct scan_perm *p, scan_u128 pos);

/*
 * The inverse: the global position at which index (index < total) is
 * visited, so scan_perm_value(p, scan_perm_position(p, x)) == x.
 * Threading: any thread.
 */
scan_u128 scan_perm_position(const struct scan_perm *p, scan_u128 index);

#endif
