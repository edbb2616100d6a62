/*
 * Criterion suite for scanner/perm.h: the keyed permutation is a bijection
 * of [0, total) for small sizes (exhaustively) and huge ones (by sampling
 * and inversion), shards are disjoint, balanced and complete (docs/test-cases.md
 * I05), and the order is reproducible per seed and resumable.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/perm.h"
#include "scanner/targets.h"

#define P2(n) ((scan_u128)1 << (n))

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static scan_u128 rng_below(uint64_t *s, scan_u128 bound)
{
    scan_u128 x = (scan_u128)rng_next(s) << 64 | rng_next(s);
    return x % bound;
}

static struct scan_perm perm_of(scan_u128 total, uint64_t seed, uint64_t i, uint64_t n)
{
    struct scan_perm p;
    cr_assert_eq(scan_perm_init(&p, total, seed, i, n), 0);
    return p;
}

/* Enumerate the whole permutation of [0, total) and check it hits each once. */
static void check_bijection(uint64_t total, uint64_t seed, uint8_t *seen)
{
    struct scan_perm p = perm_of(total, seed, 0, 1);
    cr_assert_eq(scan_perm_shard_size(&p), total);
    memset(seen, 0, total);
    scan_u128 x;
    uint64_t n = 0;
    while (scan_perm_next(&p, &x)) {
        cr_assert_lt(x, total, "total %llu: value out of range", (unsigned long long)total);
        cr_assert_eq(seen[x], 0, "total %llu: value %llu twice", (unsigned long long)total,
                     (unsigned long long)x);
        seen[x] = 1;
        n++;
    }
    cr_assert_eq(n, total, "total %llu: %llu values", (unsigned long long)total,
                 (unsigned long long)n);
    cr_assert_eq(scan_perm_done(&p), total);
}

Test(scan_perm, every_size_up_to_2000_is_a_bijection)
{
    uint8_t *seen = malloc(2000);
    cr_assert_not_null(seen);
    for (uint64_t total = 1; total <= 2000; total++)
        check_bijection(total, total * 0x9e3779b97f4a7c15ULL, seen);
    free(seen);
}

Test(scan_perm, sampled_sizes_up_to_100000_are_bijections)
{
    uint8_t *seen = malloc(100000);
    cr_assert_not_null(seen);
    uint64_t s = 0x5eed;
    /* Powers of two and their neighbours are where the width changes. */
    static const uint64_t edges[] = { 2047,  2048,  2049,  4095,  4096,  4097,  16383, 16384,
                                      16385, 32768, 65535, 65536, 65537, 99999, 100000 };
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        check_bijection(edges[i], i, seen);
    for (int i = 0; i < 200; i++)
        check_bijection(2001 + rng_next(&s) % 98000, rng_next(&s), seen);
    free(seen);
}

Test(scan_perm, empty_set_yields_nothing)
{
    struct scan_perm p = perm_of(0, 1, 0, 1);
    scan_u128 x = 77;
    cr_expect_eq(scan_perm_shard_size(&p), 0);
    cr_expect(!scan_perm_next(&p, &x));
    cr_expect_eq(x, 77);
}

Test(scan_perm, tiny_sets_are_exact)
{
    for (uint64_t seed = 0; seed < 64; seed++) {
        for (uint64_t total = 1; total <= 3; total++) {
            struct scan_perm p = perm_of(total, seed, 0, 1);
            unsigned mask = 0;
            scan_u128 x;
            while (scan_perm_next(&p, &x)) {
                cr_assert_lt(x, total);
                mask |= 1u << (unsigned)x;
            }
            cr_assert_eq(mask, (1u << total) - 1);
        }
    }
}

Test(scan_perm, rejects_bad_shards)
{
    struct scan_perm p;
    cr_expect_eq(scan_perm_init(&p, 10, 1, 0, 0), -EINVAL);
    cr_expect_eq(scan_perm_init(&p, 10, 1, 4, 4), -EINVAL);
    cr_expect_eq(scan_perm_init(&p, 10, 1, 3, 4), 0);
}

static int cmp_u128(const void *a, const void *b)
{
    scan_u128 x = *(const scan_u128 *)a, y = *(const scan_u128 *)b;
    return x < y ? -1 : x > y;
}

/* Sampled checks for sets too large to enumerate. */
static void check_large(scan_u128 total, uint64_t seed, size_t nb_positions)
{
    struct scan_perm p = perm_of(total, seed, 0, 1);
    scan_u128 *vals = malloc(nb_positions * sizeof(*vals));
    cr_assert_not_null(vals);
    for (size_t i = 0; i < nb_positions; i++) {
        scan_u128 v;
        cr_assert(scan_perm_next(&p, &v));
        cr_assert_lt(v, total);
        cr_assert_eq(v, scan_perm_value(&p, i));
        cr_assert_eq(scan_perm_position(&p, v), i, "inverse fails at position %zu", i);
        vals[i] = v;
    }
    qsort(vals, nb_positions, sizeof(*vals), cmp_u128);
    for (size_t i = 1; i < nb_positions; i++)
        cr_assert_neq(vals[i - 1], vals[i], "two positions give the same value");
    /* Values spread over the whole range, not bunched at the start. */
    cr_expect_gt(vals[nb_positions - 1], total / 2);

    /* The inverse of sampled values, near both ends and in between. */
    uint64_t s = seed | 1;
    for (int i = 0; i < 2000; i++) {
        scan_u128 v = i < 100   ? (scan_u128)i
                      : i < 200 ? total - 1 - (scan_u128)(i - 100)
                                : rng_below(&s, total);
        scan_u128 pos = scan_perm_position(&p, v);
        cr_assert_lt(pos, total);
        cr_assert_eq(scan_perm_value(&p, pos), v);
    }
    free(vals);
}

Test(scan_perm, bijection_sampled_across_2_to_32)
{
    check_large(P2(32) - 1, 1, 100000);
    check_large(P2(32), 2, 100000);
    check_large(P2(32) + 5, 3, 100000);
}

Test(scan_perm, bijection_sampled_across_2_to_64)
{
    check_large(P2(64) - 1, 4, 100000);
    check_large(P2(64), 5, 100000);
    check_large(P2(64) + 3, 6, 100000);
}

Test(scan_perm, bijection_sampled_up_to_2_to_128)
{
    check_large(P2(127) + 1, 7, 20000);
    check_large(SCAN_U128_MAX, 8, 20000);
}

/* Shards i/n of one seed: disjoint, complete, balanced, strided. */
static void check_shards(uint64_t total, uint64_t nb_shards, uint64_t seed)
{
    uint8_t *seen = calloc(total ? total : 1, 1);
    cr_assert_not_null(seen);
    struct scan_perm whole = perm_of(total, seed, 0, 1);
    uint64_t sum = 0, min = UINT64_MAX, max = 0;
    for (uint64_t i = 0; i < nb_shards; i++) {
        struct scan_perm p = perm_of(total, seed, i, nb_shards);
        uint64_t n = 0;
        scan_u128 x;
        while (scan_perm_next(&p, &x)) {
            cr_assert_lt(x, total);
            cr_assert_eq(seen[x], 0, "shard %llu/%llu repeats %llu", (unsigned long long)i,
                         (unsigned long long)nb_shards, (unsigned long long)x);
            seen[x] = 1;
            /* Shard i is positions i, i + n, ... of the unsharded order. */
            cr_assert_eq(x, scan_perm_value(&whole, i + n * nb_shards));
            n++;
        }
        cr_assert_eq(n, scan_perm_shard_size(&p));
        sum += n;
        min = n < min ? n : min;
        max = n > max ? n : max;
    }
    cr_expect_eq(sum, total, "shards of %llu cover %llu", (unsigned long long)total,
                 (unsigned long long)sum);
    cr_expect_leq(max - min, 1, "unbalanced: %llu..%llu", (unsigned long long)min,
                  (unsigned long long)max);
    free(seen);
}

Test(scan_perm, shards_1_4_5_8_are_disjoint_complete_and_balanced)
{
    static const uint64_t totals[] = { 1, 3, 7, 8, 1000, 12345, 65537 };
    static const uint64_t shards[] = { 1, 4, 5, 8 };
    for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++)
        for (size_t j = 0; j < sizeof(shards) / sizeof(shards[0]); j++)
            check_shards(totals[i], shards[j], 42 + i);
}

Test(scan_perm, shard_sizes_of_huge_sets)
{
    struct scan_perm p = perm_of(P2(64) + 3, 1, 0, 4);
    cr_expect_eq(scan_perm_shard_size(&p), P2(62) + 1);
    p = perm_of(P2(64) + 3, 1, 3, 4);
    cr_expect_eq(scan_perm_shard_size(&p), P2(62));
    p = perm_of(SCAN_U128_MAX, 1, 0, 1);
    cr_expect_eq(scan_perm_shard_size(&p), SCAN_U128_MAX);
    p = perm_of(SCAN_U128_MAX, 1, UINT64_MAX - 1, UINT64_MAX);
    cr_expect_eq(scan_perm_shard_size(&p), SCAN_U128_MAX / UINT64_MAX);
    scan_u128 x;
    cr_assert(scan_perm_next(&p, &x));
    cr_expect_lt(x, SCAN_U128_MAX);
}

Test(scan_perm, same_seed_gives_same_order)
{
    struct scan_perm a = perm_of(100000, 777, 0, 1);
    struct scan_perm b = perm_of(100000, 777, 0, 1);
    scan_u128 x, y;
    while (scan_perm_next(&a, &x)) {
        cr_assert(scan_perm_next(&b, &y));
        cr_assert_eq(x, y);
    }
    cr_expect(!scan_perm_next(&b, &y));
}

Test(scan_perm, different_seed_gives_different_order)
{
    for (uint64_t total = 16; total <= 1000000; total *= 10) {
        struct scan_perm a = perm_of(total, 1, 0, 1);
        struct scan_perm b = perm_of(total, 2, 0, 1);
        unsigned same = 0;
        for (int i = 0; i < 16; i++) {
            scan_u128 x, y;
            cr_assert(scan_perm_next(&a, &x));
            cr_assert(scan_perm_next(&b, &y));
            same += x == y;
        }
        cr_expect_lt(same, 8, "total %llu: seeds 1 and 2 agree on %u of 16 positions",
                     (unsigned long long)total, same);
    }
}

Test(scan_perm, order_looks_shuffled)
{
    /* Not a randomness test: it catches identity, strides and near-sorts. */
    const uint64_t total = 1000000;
    struct scan_perm p = perm_of(total, 31337, 0, 1);
    unsigned ascending = 0, buckets[10] = { 0 };
    scan_u128 prev = 0, x;
    for (int i = 0; i < 1000; i++) {
        cr_assert(scan_perm_next(&p, &x));
        if (i > 0)
            ascending += x > prev;
        buckets[(unsigned)(x * 10 / total)]++;
        prev = x;
    }
    cr_expect(ascending > 400 && ascending < 600, "%u of 999 steps ascend", ascending);
    for (int b = 0; b < 10; b++)
        cr_expect(buckets[b] > 50 && buckets[b] < 150, "decile %d holds %u of 1000", b, buckets[b]);
}

Test(scan_perm, resume_continues_where_it_stopped)
{
    struct scan_perm a = perm_of(10007, 5, 2, 5);
    scan_u128 x, y;
    for (int i = 0; i < 1234; i++)
        cr_assert(scan_perm_next(&a, &x));
    scan_u128 done = scan_perm_done(&a);
    cr_assert_eq(done, 1234);

    struct scan_perm b = perm_of(10007, 5, 2, 5);
    cr_assert_eq(scan_perm_seek(&b, done), 0);
    unsigned rest = 0;
    while (scan_perm_next(&a, &x)) {
        cr_assert(scan_perm_next(&b, &y));
        cr_assert_eq(x, y);
        rest++;
    }
    cr_expect(!scan_perm_next(&b, &y));
    cr_expect_eq(rest + 1234, scan_perm_shard_size(&a));

    cr_expect_eq(scan_perm_seek(&b, scan_perm_shard_size(&b) + 1), -ERANGE);
    cr_expect_eq(scan_perm_seek(&b, scan_perm_shard_size(&b)), 0);
    cr_expect(!scan_perm_next(&b, &y));
}

Test(scan_perm, address_iterator_visits_every_target_once)
{
    struct scan_targets *t = scan_targets_new(SCAN_TARGETS_NO_DEFAULT_BLOCKLIST);
    cr_assert_not_null(t);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, "192.0.2.0/24", NULL, 0), 0);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, "2001:db8::/120", NULL, 0), 0);
    cr_assert_eq(scan_targets_add_text(t, SCAN_TARGETS_INCLUDE, "192.0.2.128/25", NULL, 0), 0);
    cr_assert_eq(scan_targets_finalize(t), 0);
    cr_assert_eq(scan_targets_count(t), 512);

    uint8_t seen[512] = { 0 };
    unsigned v4 = 0, v6 = 0;
    for (uint64_t shard = 0; shard < 3; shard++) {
        struct scan_perm p = perm_of(scan_targets_count(t), 9, shard, 3);
        struct pkt_addr a;
        while (scan_perm_next_addr(&p, t, &a)) {
            scan_u128 idx;
            cr_assert_eq(scan_targets_index(t, &a, &idx), 0);
            cr_assert_eq(seen[idx], 0);
            seen[idx] = 1;
            if (a.family == PKT_ADDR_V4)
                v4++;
            else
                v6++;
        }
    }
    cr_expect_eq(v4, 256);
    cr_expect_eq(v6, 256);
    scan_targets_free(t);
}
