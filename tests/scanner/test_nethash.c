/*
 * Criterion suite for scanner/nethash.h: the keyed index hash of addresses
 * and names. Besides determinism and key separation, it replays the attack
 * the key is there for (docs/test-cases.md M07): names crafted offline to
 * share one bucket pair under the old unkeyed hash fill it and lock out
 * every other entry of that pair; under the keyed hash they spread.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "packet/addr.h"
#include "packet/dns.h"
#include "scanner/hindex.h"
#include "scanner/nethash.h"

static const struct scan_key keys[] = {
    { 0x0123456789abcdefull, 0xfedcba9876543210ull },
    { 0x0123456789abcdefull, 0xfedcba9876543211ull }, /* one bit away */
    { 0, 0 },
    { 0xdeadbeefcafef00dull, 0x0badc0de12345678ull },
};
#define NB_KEYS (sizeof(keys) / sizeof(keys[0]))

/* Wire name "<prefix><n in hex>.example.com." lower case; returns its length. */
static size_t wire_name(uint8_t *out, const char *prefix, uint64_t n)
{
    char label[64];
    int l = snprintf(label, sizeof(label), "%s%llx", prefix, (unsigned long long)n);
    size_t at = 0;
    out[at++] = (uint8_t)l;
    memcpy(out + at, label, (size_t)l);
    at += (size_t)l;
    static const uint8_t tail[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0 };
    memcpy(out + at, tail, sizeof(tail));
    return at + sizeof(tail);
}

/* The index hash of names before it was keyed. */
static uint64_t unkeyed_name(const uint8_t *name, size_t len, uint8_t family)
{
    return XXH3_64bits_withSeed(name, len, family);
}

Test(scan_nethash, the_same_key_gives_the_same_hashes)
{
    for (size_t k = 0; k < NB_KEYS; k++) {
        struct scan_nethash a, b;
        scan_nethash_init(&a, &keys[k]);
        scan_nethash_init(&b, &keys[k]);
        cr_expect_arr_eq(a.secret, b.secret, sizeof(a.secret), "key %zu: two secrets", k);
        uint8_t name[PKT_DNS_NAME_MAX];
        for (uint64_t n = 0; n < 100; n++) {
            size_t len = wire_name(name, "host", n);
            cr_expect_eq(scan_nethash_name(&a, name, len, PKT_ADDR_V4),
                         scan_nethash_name(&b, name, len, PKT_ADDR_V4), "key %zu name %llu", k,
                         (unsigned long long)n);
        }
        struct pkt_addr ip = { .family = PKT_ADDR_V6, .bytes = { 0x20, 0x01, 0x0d, 0xb8, 1 } };
        cr_expect_eq(scan_nethash_addr(&a, &ip), scan_nethash_addr(&b, &ip), "key %zu", k);
    }
}

Test(scan_nethash, different_keys_give_different_hashes)
{
    struct scan_nethash h[NB_KEYS];
    for (size_t k = 0; k < NB_KEYS; k++)
        scan_nethash_init(&h[k], &keys[k]);
    uint8_t name[PKT_DNS_NAME_MAX];
    for (size_t a = 0; a < NB_KEYS; a++)
        for (size_t b = a + 1; b < NB_KEYS; b++) {
            unsigned same = 0;
            for (uint64_t n = 0; n < 200; n++) {
                size_t len = wire_name(name, "host", n);
                same += scan_nethash_name(&h[a], name, len, PKT_ADDR_V4) ==
                        scan_nethash_name(&h[b], name, len, PKT_ADDR_V4);
                struct pkt_addr ip = { .family = PKT_ADDR_V4, .bytes = { 192, 0, 2, (uint8_t)n } };
                same += scan_nethash_addr(&h[a], &ip) == scan_nethash_addr(&h[b], &ip);
            }
            cr_expect_eq(same, 0, "keys %zu and %zu: %u equal hashes of 400", a, b, same);
        }
}

/* One entry per (name, family): the A and the AAAA lookup of a name differ. */
Test(scan_nethash, the_family_is_part_of_a_names_key)
{
    struct scan_nethash h;
    scan_nethash_init(&h, &keys[0]);
    uint8_t name[PKT_DNS_NAME_MAX];
    unsigned same = 0;
    for (uint64_t n = 0; n < 200; n++) {
        size_t len = wire_name(name, "host", n);
        same += scan_nethash_name(&h, name, len, PKT_ADDR_V4) ==
                scan_nethash_name(&h, name, len, PKT_ADDR_V6);
    }
    cr_expect_eq(same, 0, "%u of 200 names hash alike in both families", same);
    /* The same octets as an IPv4 and an IPv6 target differ too. */
    struct pkt_addr v4 = { .family = PKT_ADDR_V4, .bytes = { 10, 1, 2, 3 } };
    struct pkt_addr v6 = v4;
    v6.family = PKT_ADDR_V6;
    cr_expect_neq(scan_nethash_addr(&h, &v4), scan_nethash_addr(&h, &v6));
}

Test(scan_nethash, distinct_names_and_addresses_get_distinct_hashes)
{
    struct scan_nethash h;
    scan_nethash_init(&h, &keys[3]);
    enum { NB = 2000 };
    static uint64_t seen[2 * NB];
    uint8_t name[PKT_DNS_NAME_MAX];
    for (uint64_t n = 0; n < NB; n++) {
        size_t len = wire_name(name, "h", n);
        seen[n] = scan_nethash_name(&h, name, len, PKT_ADDR_V4);
        struct pkt_addr ip = { .family = PKT_ADDR_V4,
                               .bytes = { 198, 51, (uint8_t)(n >> 8), (uint8_t)n } };
        seen[NB + n] = scan_nethash_addr(&h, &ip);
    }
    for (size_t i = 0; i < 2 * NB; i++)
        for (size_t j = i + 1; j < 2 * NB; j++)
            cr_assert_neq(seen[i], seen[j], "inputs %zu and %zu collide", i, j);
}

/*
 * The attack: with the unkeyed hash an attacker who controls PTR answers can
 * search offline for names that all land in one bucket pair of the index
 * (here 40 names, one pair of 256 buckets, about a million tries). They
 * fill the pair, so every further insert there fails: a target whose address
 * hashes there could not be asked. Under the run's secret the same names are
 * just names: they spread, and all of them go in.
 */
#define CRAFTED   40
#define INDEX_NB  1024 /* 256 buckets of SCAN_HINDEX_WAYS */
#define TRIES_MAX 100000000ull

Test(scan_nethash, names_crafted_to_collide_unkeyed_spread_under_the_key, .timeout = 120)
{
    struct scan_hindex idx;
    cr_assert_eq(scan_hindex_init(&idx, INDEX_NB), 0);
    cr_assert_eq(idx.bucket_mask + 1, 256);

    static uint8_t names[CRAFTED][PKT_DNS_NAME_MAX];
    size_t lens[CRAFTED];
    uint64_t pair[2], b[2];
    /* The pair of the first name with two distinct buckets is the target. */
    uint64_t n = 0;
    for (;; n++) {
        lens[0] = wire_name(names[0], "x", n);
        scan_hindex_buckets(&idx, unkeyed_name(names[0], lens[0], PKT_ADDR_V4), pair);
        if (pair[0] != pair[1])
            break;
    }
    unsigned found = 1;
    for (n++; found < CRAFTED && n < TRIES_MAX; n++) {
        lens[found] = wire_name(names[found], "x", n);
        scan_hindex_buckets(&idx, unkeyed_name(names[found], lens[found], PKT_ADDR_V4), b);
        if ((b[0] == pair[0] && b[1] == pair[1]) || (b[0] == pair[1] && b[1] == pair[0]))
            found++;
    }
    cr_assert_eq(found, CRAFTED, "found %u colliding names in %llu tries", found,
                 (unsigned long long)n);
    cr_log_info("%u names in buckets %llu and %llu after %llu tries", found,
                (unsigned long long)pair[0], (unsigned long long)pair[1], (unsigned long long)n);

    /* Unkeyed: the pair is full after 2 * WAYS of them, the rest are refused. */
    unsigned in = 0;
    for (unsigned i = 0; i < CRAFTED; i++)
        in += scan_hindex_insert(&idx, unkeyed_name(names[i], lens[i], PKT_ADDR_V4), i);
    cr_assert_eq(in, 2 * SCAN_HINDEX_WAYS, "unkeyed: %u of %u crafted names went in", in, CRAFTED);
    scan_hindex_fini(&idx);

    /* Keyed, under each key: few in the pair, and every name goes in. */
    for (size_t k = 0; k < NB_KEYS; k++) {
        struct scan_nethash nh;
        scan_nethash_init(&nh, &keys[k]);
        cr_assert_eq(scan_hindex_init(&idx, INDEX_NB), 0);
        unsigned in_pair = 0, per_bucket[256] = { 0 }, most = 0;
        in = 0;
        for (unsigned i = 0; i < CRAFTED; i++) {
            uint64_t hash = scan_nethash_name(&nh, names[i], lens[i], PKT_ADDR_V4);
            scan_hindex_buckets(&idx, hash, b);
            in_pair += (b[0] == pair[0] || b[0] == pair[1]) && (b[1] == pair[0] || b[1] == pair[1]);
            for (unsigned c = 0; c < 2 && (c == 0 || b[1] != b[0]); c++)
                if (++per_bucket[b[c]] > most)
                    most = per_bucket[b[c]];
            in += scan_hindex_insert(&idx, hash, i);
        }
        cr_log_info("key %zu: %u in the pair, at most %u in a bucket, %u of %u went in", k, in_pair,
                    most, in, CRAFTED);
        cr_expect_leq(in_pair, 2, "key %zu: %u of the crafted names still share their pair", k,
                      in_pair);
        cr_expect_lt(most, SCAN_HINDEX_WAYS, "key %zu: %u names can go to one bucket", k, most);
        cr_expect_eq(in, CRAFTED, "key %zu: only %u of %u names went in", k, in, CRAFTED);
        scan_hindex_fini(&idx);
    }
}
