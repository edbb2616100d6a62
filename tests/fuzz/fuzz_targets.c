/*
 * tests/fuzz/fuzz_targets.c - libFuzzer target for the target-file parser
 * and the interval arithmetic of scanner/targets.h, plus the permutation on
 * small results.
 *
 * The input is one target file. Properties, abort() on violation:
 *   - the buffer parser and the stream parser (fmemopen) agree;
 *   - kept error messages are bounded, printable ASCII;
 *   - after finalize: index -> address -> index is the identity on sampled
 *     indices, addresses ascend within a family, out-of-range indices fail;
 *   - the CLI-default set (default blocklist, no --allow-large) is a subset of
 *     the permissive set: its count plus its blocklisted count is at most
 *     the permissive count;
 *   - the input used as its own blocklist leaves nothing, and blocklists
 *     exactly the permissive count;
 *   - for at most 4096 targets, the permutation in 3 shards visits every
 *     address once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/perm.h"
#include "scanner/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_targets: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const unsigned PERMISSIVE = SCAN_TARGETS_NO_DEFAULT_BLOCKLIST | SCAN_TARGETS_ALLOW_LARGE;

/* -1, 0, 1 comparing two addresses of the same family. */
static int addr_cmp(const struct pkt_addr *a, const struct pkt_addr *b)
{
    return memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

static void check_messages(const struct scan_targets *t)
{
    size_t kept = scan_targets_nb_errors(t);
    if (kept > SCAN_TARGETS_ERRORS_MAX)
        kept = SCAN_TARGETS_ERRORS_MAX;
    for (size_t i = 0; i < kept; i++) {
        const char *m = scan_targets_error(t, i);
        CHECK(m != NULL);
        size_t len = strlen(m);
        CHECK(len > 0 && len < SCAN_TARGETS_ERROR_LEN);
        for (size_t j = 0; j < len; j++)
            CHECK(m[j] >= 0x20 && m[j] < 0x7f);
    }
    CHECK(scan_targets_error(t, kept) == NULL);
}

static void check_index(const struct scan_targets *t, scan_u128 i, struct pkt_addr *out)
{
    scan_u128 back = ~(scan_u128)0;
    CHECK(scan_targets_addr(t, i, out) == 0);
    CHECK(out->family == (i < scan_targets_count_v4(t) ? PKT_ADDR_V4 : PKT_ADDR_V6));
    CHECK(scan_targets_index(t, out, &back) == 0);
    CHECK(back == i);
}

/* Sampled consistency of a finalized set. */
static void check_set(const struct scan_targets *t)
{
    scan_u128 count = scan_targets_count(t);
    uint64_t v4 = scan_targets_count_v4(t);
    size_t nb = scan_targets_nb_intervals(t);
    struct pkt_addr a, b;

    CHECK(v4 <= count && v4 <= ((uint64_t)1 << 32));
    CHECK((nb == 0) == (count == 0));
    CHECK((scan_u128)nb <= count);
    CHECK(scan_targets_addr(t, count, &a) == -ERANGE);
    if (count == 0)
        return;

    /* Both ends, the family boundary, and a spread in between. */
    scan_u128 samples[48];
    size_t n = 0;
    for (unsigned k = 0; k < 8 && k < count; k++) {
        samples[n++] = k;
        samples[n++] = count - 1 - k;
    }
    if (v4 > 0 && v4 < count) {
        samples[n++] = v4 - 1;
        samples[n++] = v4;
    }
    for (unsigned k = 1; k < 16; k++)
        samples[n++] = count / 16 * k + (count % 16) * k / 16;
    for (size_t k = 0; k < n; k++) {
        scan_u128 i = samples[k] < count ? samples[k] : count - 1;
        check_index(t, i, &a);
        if (i + 1 < count && i + 1 != v4) {
            check_index(t, i + 1, &b);
            CHECK(addr_cmp(&a, &b) < 0);
        }
    }
}

/* For small sets: every address once over 3 shards of the permutation. */
static void check_perm(const struct scan_targets *t)
{
    scan_u128 count = scan_targets_count(t);
    if (count == 0 || count > 4096)
        return;
    static uint8_t seen[4096];
    memset(seen, 0, (size_t)count);
    size_t total = 0;
    for (uint64_t shard = 0; shard < 3; shard++) {
        struct scan_perm p;
        CHECK(scan_perm_init(&p, count, (uint64_t)count * 31, shard, 3) == 0);
        struct pkt_addr a;
        while (scan_perm_next_addr(&p, t, &a)) {
            scan_u128 i;
            CHECK(scan_targets_index(t, &a, &i) == 0);
            CHECK(i < count && seen[i] == 0);
            seen[i] = 1;
            total++;
        }
        CHECK(scan_perm_done(&p) == scan_perm_shard_size(&p));
    }
    CHECK(total == count);
}

/* Parse the input through the stream API too; results must match. */
static void check_stream_agrees(const uint8_t *data, size_t size, const struct scan_targets *ref,
                                int ref_rc)
{
    if (size == 0)
        return; /* fmemopen rejects empty buffers on some libcs */
    uint8_t *copy = malloc(size);
    CHECK(copy != NULL);
    memcpy(copy, data, size);
    FILE *f = fmemopen(copy, size, "r");
    CHECK(f != NULL);
    struct scan_targets *t = scan_targets_new(PERMISSIVE);
    CHECK(t != NULL);
    int rc = scan_targets_add_stream(t, SCAN_TARGETS_INCLUDE, f, "fuzz");
    fclose(f);
    CHECK(rc == ref_rc);
    CHECK(scan_targets_nb_errors(t) == scan_targets_nb_errors(ref));
    for (size_t i = 0; i < SCAN_TARGETS_ERRORS_MAX; i++) {
        const char *x = scan_targets_error(t, i), *y = scan_targets_error(ref, i);
        CHECK((x == NULL) == (y == NULL));
        CHECK(x == NULL || strcmp(x, y) == 0);
    }
    scan_targets_free(t);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* What the CLI does by default. */
    struct scan_targets *def = scan_targets_new(0);
    CHECK(def != NULL);
    int def_add = scan_targets_add_buffer(def, SCAN_TARGETS_INCLUDE, data, size, "fuzz");
    CHECK(def_add == 0 || def_add == -EINVAL);
    int def_fin = scan_targets_finalize(def);
    CHECK(def_fin == 0 || def_fin == -EINVAL);
    CHECK((def_fin == 0) == (scan_targets_nb_errors(def) == 0));
    check_messages(def);
    check_set(def);

    /* Everything allowed. */
    struct scan_targets *all = scan_targets_new(PERMISSIVE);
    CHECK(all != NULL);
    int all_add = scan_targets_add_buffer(all, SCAN_TARGETS_INCLUDE, data, size, "fuzz");
    CHECK(all_add == 0 || all_add == -EINVAL);
    check_stream_agrees(data, size, all, all_add);
    int all_fin = scan_targets_finalize(all);
    CHECK(all_fin == 0 || all_fin == -EINVAL);
    check_messages(all);
    check_set(all);
    check_perm(def);
    check_perm(all);

    /* all_add == 0 and all_fin != 0: 2^128 addresses or more, refused. */
    if (all_add == 0 && all_fin == 0) {
        scan_u128 c_all = scan_targets_count(all);
        CHECK(scan_targets_blocklisted(all) == 0);
        CHECK(scan_targets_count(def) <= c_all);
        CHECK(scan_targets_count(def) + scan_targets_blocklisted(def) <= c_all);

        struct scan_targets *none = scan_targets_new(PERMISSIVE);
        CHECK(none != NULL);
        CHECK(scan_targets_add_buffer(none, SCAN_TARGETS_INCLUDE, data, size, "fuzz") == 0);
        CHECK(scan_targets_add_buffer(none, SCAN_TARGETS_BLOCK, data, size, "fuzz") == 0);
        CHECK(scan_targets_finalize(none) == 0);
        CHECK(scan_targets_count(none) == 0);
        CHECK(scan_targets_nb_intervals(none) == 0);
        CHECK(scan_targets_blocklisted(none) == c_all);
        scan_targets_free(none);
    }
    scan_targets_free(all);
    scan_targets_free(def);
    return 0;
}
