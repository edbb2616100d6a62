/*
 * Criterion suite for scanner/hindex.h: the hash index, sequentially
 * (sizing, insert and its limit of two buckets, remove of exactly one cell,
 * find by tag, occupants, buckets). Concurrent insert/find/remove is in
 * stress_primitives.c.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "scanner/hindex.h"

#define WAYS   SCAN_HINDEX_WAYS
#define TAG(h) ((h) >> 32)

/* splitmix64: reproducible hashes. */
static uint64_t next_hash(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void buckets_of(const struct scan_hindex *h, uint64_t hash, uint64_t out[2])
{
    scan_hindex_buckets(h, hash, out);
}

/* A hash whose two buckets differ (distinct) or agree (!distinct). */
static uint64_t hash_with(const struct scan_hindex *h, uint64_t *seed, bool distinct)
{
    for (;;) {
        uint64_t x = next_hash(seed), b[2];
        buckets_of(h, x, b);
        if ((b[0] != b[1]) == distinct)
            return x;
    }
}

/* A hash with the same two buckets (in order) as hash but another tag. */
static uint64_t same_buckets_other_tag(const struct scan_hindex *h, uint64_t hash, uint64_t *seed)
{
    uint64_t want[2];
    buckets_of(h, hash, want);
    for (;;) {
        uint64_t x = next_hash(seed), b[2];
        buckets_of(h, x, b);
        if (b[0] == want[0] && b[1] == want[1] && TAG(x) != TAG(hash))
            return x;
    }
}

static bool has_ref(const uint32_t *refs, unsigned n, uint32_t ref)
{
    for (unsigned i = 0; i < n; i++)
        if (refs[i] == ref)
            return true;
    return false;
}

/* 8 buckets of WAYS cells: small enough to fill on purpose. */
static struct scan_hindex small_index(void)
{
    struct scan_hindex h;
    cr_assert_eq(scan_hindex_init(&h, 32), 0);
    cr_assert_eq(h.bucket_mask + 1, 8);
    return h;
}

Test(scan_hindex, has_room_for_the_entries_asked_at_half_load)
{
    static const struct {
        size_t nb, buckets;
    } cases[] = {
        { 0, 2 },  { 1, 2 },   { 8, 2 },      { 9, 4 },
        { 32, 8 }, { 33, 16 }, { 1000, 256 }, { 1u << 20, 1u << 18 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scan_hindex h;
        cr_assert_eq(scan_hindex_init(&h, cases[i].nb), 0);
        size_t buckets = (size_t)h.bucket_mask + 1;
        cr_expect_eq(buckets, cases[i].buckets, "nb %zu: %zu buckets, want %zu", cases[i].nb,
                     buckets, cases[i].buckets);
        cr_expect_geq(buckets * WAYS, 2 * cases[i].nb, "nb %zu: only %zu cells", cases[i].nb,
                      buckets * WAYS);
        for (size_t c = 0; c < buckets * WAYS; c++)
            cr_assert_eq(atomic_load(&h.cells[c]), 0, "nb %zu: cell %zu not empty", cases[i].nb, c);
        scan_hindex_fini(&h);
    }
}

Test(scan_hindex, finds_each_ref_it_inserted_under_its_hash)
{
    struct scan_hindex h;
    cr_assert_eq(scan_hindex_init(&h, 1000), 0);
    uint64_t seed = 1, hashes[500];
    for (uint32_t i = 0; i < 500; i++) {
        hashes[i] = next_hash(&seed);
        cr_assert(scan_hindex_insert(&h, hashes[i], i), "insert %u refused at 25%% load", i);
    }
    for (uint32_t i = 0; i < 500; i++) {
        uint32_t refs[2 * WAYS];
        unsigned n = scan_hindex_find(&h, hashes[i], refs, 2 * WAYS);
        cr_expect(has_ref(refs, n, i), "ref %u not among the %u candidates of its hash", i, n);
    }
    scan_hindex_fini(&h);
}

Test(scan_hindex, keeps_refs_and_tags_at_their_extremes)
{
    static const struct {
        uint64_t tag;
        uint32_t ref;
    } cases[] = {
        { 0, 0 },
        { 0, UINT32_MAX - 1 },
        { 0xFFFFFFFFull, 0 },
        { 0xFFFFFFFFull, UINT32_MAX - 1 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scan_hindex h = small_index();
        uint64_t hash = cases[i].tag << 32 | 5;
        cr_assert(scan_hindex_insert(&h, hash, cases[i].ref));
        uint32_t refs[2 * WAYS];
        unsigned n = scan_hindex_find(&h, hash, refs, 2 * WAYS);
        cr_expect_eq(n, 1, "case %zu: %u candidates", i, n);
        cr_expect_eq(refs[0], cases[i].ref, "case %zu: ref %#x came back as %#x", i, cases[i].ref,
                     refs[0]);
        scan_hindex_remove(&h, hash, cases[i].ref);
        cr_expect_eq(scan_hindex_occupants(&h, hash, refs, 2 * WAYS), 0, "case %zu: not removed",
                     i);
        scan_hindex_fini(&h);
    }
}

Test(scan_hindex, reports_the_two_buckets_its_entries_live_in)
{
    struct scan_hindex h = small_index();
    uint64_t seed = 2;
    for (int distinct = 0; distinct < 2; distinct++) {
        uint64_t hash = hash_with(&h, &seed, distinct), b[2];
        buckets_of(&h, hash, b);
        cr_expect_eq(b[0] != b[1], distinct);
        for (uint32_t r = 0; r < 2 * WAYS; r++)
            (void)scan_hindex_insert(&h, hash, r);
        unsigned seen = 0;
        for (uint64_t c = 0; c < (h.bucket_mask + 1) * WAYS; c++) {
            if (atomic_load(&h.cells[c]) == 0)
                continue;
            seen++;
            cr_expect(c / WAYS == b[0] || c / WAYS == b[1],
                      "an entry sits in bucket %llu, not in %llu or %llu",
                      (unsigned long long)c / WAYS, (unsigned long long)b[0],
                      (unsigned long long)b[1]);
        }
        cr_expect_eq(seen, distinct ? 2 * WAYS : WAYS, "%u entries for one hash", seen);
        for (uint32_t r = 0; r < 2 * WAYS; r++)
            scan_hindex_remove(&h, hash, r);
    }
    scan_hindex_fini(&h);
}

/*
 * Entries of one hash fill its buckets: 2 * WAYS inserts succeed when its two
 * choices differ, WAYS when they agree, and then the next one fails.
 */
Test(scan_hindex, refuses_an_insert_exactly_when_both_buckets_are_full)
{
    static const struct {
        bool distinct;
        unsigned room;
    } cases[] = { { true, 2 * WAYS }, { false, WAYS } };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scan_hindex h = small_index();
        uint64_t seed = 3 + i;
        uint64_t hash = hash_with(&h, &seed, cases[i].distinct);
        unsigned n = 0;
        while (n < 4 * WAYS && scan_hindex_insert(&h, hash, n))
            n++;
        cr_expect_eq(n, cases[i].room, "%s buckets: %u inserts succeeded, want %u",
                     cases[i].distinct ? "two" : "one", n, cases[i].room);
        /* One cell freed is one more insert. */
        scan_hindex_remove(&h, hash, 3);
        cr_expect(scan_hindex_insert(&h, hash, 100), "refused with a cell free");
        cr_expect_not(scan_hindex_insert(&h, hash, 101), "accepted when full again");
        scan_hindex_fini(&h);
    }
}

/* A full bucket pair does not stop a key that shares only one of them. */
Test(scan_hindex, a_key_sharing_one_full_bucket_still_goes_in)
{
    struct scan_hindex h = small_index();
    uint64_t seed = 5;
    uint64_t hash = hash_with(&h, &seed, true), b[2];
    buckets_of(&h, hash, b);
    for (uint32_t r = 0; r < 2 * WAYS; r++)
        cr_assert(scan_hindex_insert(&h, hash, r));
    for (unsigned k = 0; k < 2; k++) {
        /* A key with b[k] as one choice and a bucket outside the pair as the other. */
        uint64_t other, ob[2];
        do {
            other = next_hash(&seed);
            buckets_of(&h, other, ob);
        } while (!((ob[0] == b[k] || ob[1] == b[k]) && ob[0] != b[1 - k] && ob[1] != b[1 - k] &&
                   ob[0] != ob[1]));
        cr_expect(scan_hindex_insert(&h, other, 200 + k),
                  "refused a key with a free bucket beside full bucket %llu",
                  (unsigned long long)b[k]);
        uint32_t refs[2 * WAYS];
        unsigned n = scan_hindex_find(&h, other, refs, 2 * WAYS);
        cr_expect(has_ref(refs, n, 200 + k));
    }
    cr_expect_not(scan_hindex_insert(&h, hash, 99));
    scan_hindex_fini(&h);
}

Test(scan_hindex, finds_candidates_by_tag_only)
{
    struct scan_hindex h = small_index();
    uint64_t seed = 7;
    uint64_t hash = hash_with(&h, &seed, true);
    /* Same tag and buckets, other low bits: the index cannot tell them apart. */
    uint64_t twin = hash ^ (1ull << 10), tb[2], b[2];
    buckets_of(&h, hash, b);
    buckets_of(&h, twin, tb);
    cr_assert(twin != hash && TAG(twin) == TAG(hash) && tb[0] == b[0] && tb[1] == b[1]);
    /* Same buckets, another tag: not a candidate. */
    uint64_t stranger = same_buckets_other_tag(&h, hash, &seed);

    cr_assert(scan_hindex_insert(&h, hash, 5));
    cr_assert(scan_hindex_insert(&h, stranger, 6));
    uint32_t refs[2 * WAYS];
    unsigned n = scan_hindex_find(&h, twin, refs, 2 * WAYS);
    cr_expect_eq(n, 1, "%u candidates for a hash of the same tag", n);
    cr_expect_eq(refs[0], 5);
    n = scan_hindex_find(&h, hash, refs, 2 * WAYS);
    cr_expect_eq(n, 1, "%u candidates, the other tag's entry among them?", n);
    cr_expect_eq(refs[0], 5);
    n = scan_hindex_find(&h, stranger, refs, 2 * WAYS);
    cr_expect_eq(n, 1);
    cr_expect_eq(refs[0], 6);
    scan_hindex_fini(&h);
}

Test(scan_hindex, find_returns_at_most_both_buckets_worth_and_at_most_cap)
{
    static const struct {
        unsigned cap, want;
    } cases[] = { { 64, 2 * WAYS }, { 2 * WAYS, 2 * WAYS }, { 3, 3 }, { 1, 1 }, { 0, 0 } };
    struct scan_hindex h = small_index();
    uint64_t seed = 11;
    uint64_t hash = hash_with(&h, &seed, true);
    for (uint32_t r = 0; r < 2 * WAYS; r++)
        cr_assert(scan_hindex_insert(&h, hash, r));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t refs[64];
        unsigned n = scan_hindex_find(&h, hash, refs, cases[i].cap);
        cr_expect_eq(n, cases[i].want, "cap %u: %u candidates, want %u", cases[i].cap, n,
                     cases[i].want);
        for (unsigned k = 0; k < n; k++)
            cr_expect_lt(refs[k], 2 * WAYS, "cap %u: candidate %u is ref %u", cases[i].cap, k,
                         refs[k]);
        if (cases[i].want == 2 * WAYS)
            for (uint32_t r = 0; r < 2 * WAYS; r++)
                cr_expect(has_ref(refs, n, r), "cap %u: ref %u missing", cases[i].cap, r);
    }
    scan_hindex_fini(&h);
}

Test(scan_hindex, removes_exactly_the_hash_and_ref_given)
{
    struct scan_hindex h = small_index();
    uint64_t seed = 13;
    uint64_t hash = hash_with(&h, &seed, true);
    uint64_t other = same_buckets_other_tag(&h, hash, &seed);
    cr_assert(scan_hindex_insert(&h, hash, 1));
    cr_assert(scan_hindex_insert(&h, hash, 2));
    cr_assert(scan_hindex_insert(&h, other, 1));
    cr_assert(scan_hindex_insert(&h, hash, 7));
    cr_assert(scan_hindex_insert(&h, hash, 7));

    uint32_t refs[2 * WAYS];
    scan_hindex_remove(&h, hash, 1);
    unsigned n = scan_hindex_find(&h, hash, refs, 2 * WAYS);
    cr_expect_eq(n, 3, "%u left under the hash, want 2, 7, 7", n);
    cr_expect_not(has_ref(refs, n, 1), "(hash, 1) is still there");
    cr_expect(has_ref(refs, n, 2));
    n = scan_hindex_find(&h, other, refs, 2 * WAYS);
    cr_expect(n == 1 && refs[0] == 1, "(other tag, 1) went too (%u left)", n);

    /* Absent pairs change nothing. */
    scan_hindex_remove(&h, hash, 1);
    scan_hindex_remove(&h, hash, 3);
    cr_expect_eq(scan_hindex_occupants(&h, hash, refs, 2 * WAYS), 4);

    /* One remove takes one copy of a pair inserted twice. */
    scan_hindex_remove(&h, hash, 7);
    n = scan_hindex_find(&h, hash, refs, 2 * WAYS);
    cr_expect_eq(n, 2, "%u left, want 2 and one 7", n);
    cr_expect(has_ref(refs, n, 7), "both copies of (hash, 7) went");
    scan_hindex_fini(&h);
}

Test(scan_hindex, occupants_lists_every_cell_of_both_buckets_whatever_the_tag)
{
    struct scan_hindex h = small_index();
    uint64_t seed = 17;
    uint64_t hash = hash_with(&h, &seed, true);
    uint64_t other = same_buckets_other_tag(&h, hash, &seed);
    for (uint32_t r = 0; r < WAYS; r++) {
        cr_assert(scan_hindex_insert(&h, hash, r));
        cr_assert(scan_hindex_insert(&h, other, 100 + r));
    }
    uint32_t refs[4 * WAYS];
    unsigned n = scan_hindex_occupants(&h, hash, refs, 4 * WAYS);
    cr_expect_eq(n, 2 * WAYS, "%u occupants, want %u", n, 2 * WAYS);
    for (uint32_t r = 0; r < WAYS; r++) {
        cr_expect(has_ref(refs, n, r), "ref %u missing", r);
        cr_expect(has_ref(refs, n, 100 + r), "the other tag's ref %u missing", 100 + r);
    }
    cr_expect_eq(scan_hindex_occupants(&h, other, refs, 4 * WAYS), 2 * WAYS);
    cr_expect_eq(scan_hindex_occupants(&h, hash, refs, 5), 5, "cap not respected");

    /* When the two choices agree the bucket is listed once. */
    uint64_t single = hash_with(&h, &seed, false);
    struct scan_hindex h2 = small_index();
    for (uint32_t r = 0; r < 3; r++)
        cr_assert(scan_hindex_insert(&h2, single, r));
    n = scan_hindex_occupants(&h2, single, refs, 4 * WAYS);
    cr_expect_eq(n, 3, "%u occupants of one bucket holding 3", n);
    scan_hindex_fini(&h2);
    scan_hindex_fini(&h);
}
