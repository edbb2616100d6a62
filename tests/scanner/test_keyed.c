/*
 * Criterion suite for scanner/keyed.h: SipHash-2-4 against the reference
 * vectors, the two-word fast path against the byte version, and key setup.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "scanner/keyed.h"

/*
 * SipHash-2-4 reference vectors (Aumasson and Bernstein, SipHash paper,
 * appendix; vectors.h of the reference implementation): key 00 01 .. 0f,
 * message 00 01 .. (n-1) for n = 0..63, 64-bit output as a little-endian
 * integer. Entry 15 is the worked example of the paper.
 */
static const uint64_t sip64_vectors[64] = {
    0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL, 0x85676696d7fb7e2dULL,
    0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL, 0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL,
    0x93f5f5799a932462ULL, 0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
    0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL, 0xa129ca6149be45e5ULL,
    0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL, 0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL,
    0xbed65cf21aa2ee98ULL, 0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
    0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL, 0x2f2e6163076bcfadULL,
    0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL, 0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL,
    0x7127512f72f27cceULL, 0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
    0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL, 0x9abfd8766a33735cULL,
    0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL, 0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL,
    0xf935451de4f21df2ULL, 0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
    0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL, 0xa192d576b245165aULL,
    0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL, 0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL,
    0xb78dbfaf3a8d83bdULL, 0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
    0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL, 0x958a324ceb064572ULL,
};

/* The reference key 00 01 02 .. 0f as two little-endian words. */
static const struct scan_key ref_key = {
    .k0 = 0x0706050403020100ULL,
    .k1 = 0x0f0e0d0c0b0a0908ULL,
};

static void le_bytes(uint64_t v, uint8_t out[8])
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(v >> (8 * i));
}

/* A small xorshift generator so the sampled inputs are reproducible. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

Test(scan_keyed, matches_the_64_reference_vectors)
{
    uint8_t msg[64];
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    for (size_t n = 0; n < 64; n++)
        cr_expect_eq(scan_siphash(&ref_key, msg, n), sip64_vectors[n],
                     "vector %zu: got %016llx, want %016llx", n,
                     (unsigned long long)scan_siphash(&ref_key, msg, n),
                     (unsigned long long)sip64_vectors[n]);
}

Test(scan_keyed, reads_unaligned_input_correctly)
{
    /* The same 64 messages at an odd address must give the same vectors. */
    uint8_t storage[80];
    uint8_t *msg = storage + 3;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    for (size_t n = 0; n < 64; n++)
        cr_expect_eq(scan_siphash(&ref_key, msg, n), sip64_vectors[n], "vector %zu", n);
}

Test(scan_keyed, u64x2_equals_the_byte_version_of_16_le_bytes)
{
    /* Reference vector 16 is the message 00..0f: two words of the key. */
    cr_assert_eq(scan_siphash_u64x2(&ref_key, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL),
                 sip64_vectors[16]);

    uint64_t s = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 10000; i++) {
        struct scan_key k = { rng_next(&s), rng_next(&s) };
        uint64_t a = rng_next(&s), b = rng_next(&s);
        if (i % 7 == 0)
            a = 0;
        if (i % 11 == 0)
            b = UINT64_MAX;
        uint8_t msg[16];
        le_bytes(a, msg);
        le_bytes(b, msg + 8);
        cr_assert_eq(scan_siphash_u64x2(&k, a, b), scan_siphash(&k, msg, sizeof(msg)), "sample %d",
                     i);
    }
}

Test(scan_keyed, output_depends_on_every_key_and_message_word)
{
    struct scan_key k = ref_key;
    uint64_t h = scan_siphash_u64x2(&k, 1, 2);
    cr_expect_neq(h, scan_siphash_u64x2(&k, 2, 1));
    cr_expect_neq(h, scan_siphash_u64x2(&k, 1, 3));
    k.k0 ^= 1;
    cr_expect_neq(h, scan_siphash_u64x2(&k, 1, 2));
    k = ref_key;
    k.k1 ^= 1ULL << 63;
    cr_expect_neq(h, scan_siphash_u64x2(&k, 1, 2));
}

Test(scan_keyed, derive_is_deterministic)
{
    struct scan_key a = scan_key_derive(42, "perm");
    struct scan_key b = scan_key_derive(42, "perm");
    cr_assert_eq(a.k0, b.k0);
    cr_assert_eq(a.k1, b.k1);
}

Test(scan_keyed, derive_differs_per_label_and_per_seed)
{
    static const char *labels[] = { "perm", "id", "port", "0x20", "", "perm2", "Perm" };
    const size_t nb = sizeof(labels) / sizeof(labels[0]);
    struct scan_key keys[sizeof(labels) / sizeof(labels[0]) * 3];
    size_t n = 0;
    for (uint64_t seed = 0; seed < 3; seed++)
        for (size_t i = 0; i < nb; i++)
            keys[n++] = scan_key_derive(seed, labels[i]);
    for (size_t i = 0; i < n; i++) {
        cr_expect(keys[i].k0 != keys[i].k1, "key %zu has equal halves", i);
        for (size_t j = i + 1; j < n; j++)
            cr_expect(keys[i].k0 != keys[j].k0 && keys[i].k1 != keys[j].k1,
                      "keys %zu and %zu share a half", i, j);
    }
}

Test(scan_keyed, derived_key_is_not_the_raw_seed)
{
    struct scan_key k = scan_key_derive(0, "perm");
    cr_expect(k.k0 != 0 || k.k1 != 0);
    k = scan_key_derive(12345, "id");
    cr_expect_neq(k.k0, 12345);
    cr_expect_neq(k.k1, 12345);
}

Test(scan_keyed, random_keys_differ)
{
    struct scan_key k[8];
    for (int i = 0; i < 8; i++)
        cr_assert_eq(scan_key_random(&k[i]), 0);
    for (int i = 0; i < 8; i++) {
        cr_expect(k[i].k0 != 0 || k[i].k1 != 0);
        for (int j = i + 1; j < 8; j++)
            cr_expect(k[i].k0 != k[j].k0 || k[i].k1 != k[j].k1, "keys %d and %d equal", i, j);
    }
}
