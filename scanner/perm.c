/*
 * scanner/perm.c - Feistel permutation with cycle walking (Black and
 * Rogaway, "Ciphers with Arbitrary Finite Domains", 2002), sharded by
 * striding over positions.
 */
#include "scanner/perm.h"

#include <errno.h>

#pragma GCC poison malloc calloc realloc free strdup

/* Round function: k pseudo-random bits of (half, round, width). */
static uint64_t round_f(const struct scan_perm *p, unsigned round, uint64_t half)
{
    /*
     * The width goes into the hash so that two set sizes sharing a seed do
     * not share round outputs, which would make their orders related.
     */
    uint64_t tweak = (uint64_t)round | (uint64_t)p->half_bits << 8;
    return scan_siphash_u64x2(&p->key, half, tweak) & p->half_mask;
}

static scan_u128 feistel_fwd(const struct scan_perm *p, scan_u128 x)
{
    uint64_t l = (uint64_t)(x >> p->half_bits) & p->half_mask;
    uint64_t r = (uint64_t)x & p->half_mask;
    for (unsigned i = 0; i < SCAN_PERM_ROUNDS; i++) {
        uint64_t nl = r;
        r = l ^ round_f(p, i, r);
        l = nl;
    }
    return (scan_u128)l << p->half_bits | r;
}

static scan_u128 feistel_inv(const struct scan_perm *p, scan_u128 x)
{
    uint64_t l = (uint64_t)(x >> p->half_bits) & p->half_mask;
    uint64_t r = (uint64_t)x & p->half_mask;
    for (unsigned i = SCAN_PERM_ROUNDS; i-- > 0;) {
        uint64_t nr = l;
        l = r ^ round_f(p, i, l);
        r = nr;
    }
    return (scan_u128)l << p->half_bits | r;
}

int scan_perm_init(struct scan_perm *p, scan_u128 total, uint64_t seed, uint64_t shard_i,
                   uint64_t shard_n)
{
    if (shard_n == 0 || shard_i >= shard_n)
        return -EINVAL;

    /* bits = bit length of total - 1 (values 0..total-1), at least 1. */
    unsigned bits = 0;
    for (scan_u128 m = total > 0 ? total - 1 : 0; m != 0; m >>= 1)
        bits++;
    unsigned half = (bits + 1) / 2;
    if (half == 0)
        half = 1;

    p->key = scan_key_derive(seed, "perm");
    p->total = total;
    p->shard_i = shard_i;
    p->shard_n = shard_n;
    p->half_bits = half;
    p->half_mask = half >= 64 ? UINT64_MAX : ((uint64_t)1 << half) - 1;
    p->done = 0;
    /* Positions shard_i + j * shard_n below total: ceil((total - i) / n). */
    if (total > shard_i)
        p->shard_size = (total - shard_i - 1) / shard_n + 1;
    else
        p->shard_size = 0;
    return 0;
}

scan_u128 scan_perm_value(const struct scan_perm *p, scan_u128 pos)
{
    /*
     * Cycle walking: the Feistel network permutes [0, 2^2k); following the
     * cycle of pos until it re-enters [0, total) restricts it to a
     * permutation of [0, total). Terminates because pos itself is < total.
     */
    scan_u128 x = feistel_fwd(p, pos);
    while (x >= p->total)
        x = feistel_fwd(p, x);
    return x;
}

scan_u128 scan_perm_position(const struct scan_perm *p, scan_u128 index)
{
    scan_u128 x = feistel_inv(p, index);
    while (x >= p->total)
        x = feistel_inv(p, x);
    return x;
}

bool scan_perm_next(struct scan_perm *p, scan_u128 *index)
{
    if (p->done >= p->shard_size)
        return false;
    /* < total by the shard_size bound, so no overflow. */
    scan_u128 pos = p->shard_i + p->done * p->shard_n;
    *index = scan_perm_value(p, pos);
    p->done++;
    return true;
}

bool scan_perm_next_addr(struct scan_perm *p, const struct scan_targets *t, struct pkt_addr *out)
{
    scan_u128 index;
    if (!scan_perm_next(p, &index))
        return false;
    /* Cannot fail when t is the set p was built for; stop rather than lie. */
    return scan_targets_addr(t, index, out) == 0;
}

scan_u128 scan_perm_shard_size(const struct scan_perm *p)
{
    return p->shard_size;
}

scan_u128 scan_perm_done(const struct scan_perm *p)
{
    return p->done;
}

int scan_perm_seek(struct scan_perm *p, scan_u128 done)
{
    if (done > p->shard_size)
        return -ERANGE;
    p->done = done;
    return 0;
}
