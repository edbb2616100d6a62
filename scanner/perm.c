/*
 * scanner/perm.c - Feistel permutation with cycle walking (Black and
 * Rogaway, "Ciphers with Arbitrary Finite Domains", 2002), sharded by
 * striding over positions.
 */
#include "scanner/perm.h"

#include <errno.h>

#pragma GCC poison malloc calloc realloc free strdup

_Static_assert(SCAN_PERM_ROUNDS % 2 == 0, "an even number of rounds restores the split");

static uint64_t mask_of(unsigned bits)
{
    return bits >= 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
}

/* Round function: 64 pseudo-random bits of (half, round, width). */
static uint64_t round_f(const struct scan_perm *p, unsigned round, uint64_t half)
{
    /*
     * The width goes into the hash so that sets of different widths sharing
     * a seed do not share round outputs, which would relate their orders.
     */
    uint64_t tweak = (uint64_t)round | (uint64_t)(p->hi_bits + p->lo_bits) << 8;
    return scan_siphash_u64x2(&p->key, half, tweak);
}

/*
 * x = a:b with a the hi_bits high bits and b the lo_bits low bits. Each round
 * replaces (a, b) by (b, a ^ F(b)), F cut to the width of a, so the two parts
 * trade widths every round (as in the alternating Feistel of NIST SP 800-38G
 * FF1) and an even round count gives the original split back. With widths
 * differing by at most one bit, odd total widths need no padding bit, which
 * halves the expected cycle-walking steps.
 */
static scan_u128 feistel_fwd(const struct scan_perm *p, scan_u128 x)
{
    uint64_t a = (uint64_t)(x >> p->lo_bits) & p->hi_mask;
    uint64_t b = (uint64_t)x & p->lo_mask;
    for (unsigned i = 0; i < SCAN_PERM_ROUNDS; i++) {
        uint64_t a_mask = i % 2 == 0 ? p->hi_mask : p->lo_mask;
        uint64_t c = a ^ (round_f(p, i, b) & a_mask);
        a = b;
        b = c;
    }
    return (scan_u128)a << p->lo_bits | b;
}

static scan_u128 feistel_inv(const struct scan_perm *p, scan_u128 x)
{
    uint64_t a = (uint64_t)(x >> p->lo_bits) & p->hi_mask;
    uint64_t b = (uint64_t)x & p->lo_mask;
    for (unsigned i = SCAN_PERM_ROUNDS; i-- > 0;) {
        uint64_t a_mask = i % 2 == 0 ? p->hi_mask : p->lo_mask;
        uint64_t prev_b = a;
        a = b ^ (round_f(p, i, prev_b) & a_mask);
        b = prev_b;
    }
    return (scan_u128)a << p->lo_bits | b;
}

int scan_perm_init(struct scan_perm *p, scan_u128 total, uint64_t seed, uint64_t shard_i,
                   uint64_t shard_n)
{
    if (shard_n == 0 || shard_i >= shard_n)
        return -EINVAL;

    /* Width: bit length of total - 1 (the largest value), at least 2. */
    unsigned bits = 0;
    for (scan_u128 m = total > 0 ? total - 1 : 0; m != 0; m >>= 1)
        bits++;
    if (bits < 2)
        bits = 2;

    p->key = scan_key_derive(seed, "perm");
    p->total = total;
    p->shard_i = shard_i;
    p->shard_n = shard_n;
    p->hi_bits = bits / 2;
    p->lo_bits = bits - bits / 2;
    p->hi_mask = mask_of(p->hi_bits);
    p->lo_mask = mask_of(p->lo_bits);
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
