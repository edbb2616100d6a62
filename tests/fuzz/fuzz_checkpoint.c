/*
 * tests/fuzz/fuzz_checkpoint.c - libFuzzer target for the checkpoint parser
 * (scanner/checkpoint.h), whose input is a file a crash, a full disk or a
 * user may have damaged.
 *
 * Properties, abort() on violation:
 *   - a refused input leaves an error message: bounded, printable;
 *   - an accepted one is consistent: 1..4 workers, next <= size < 2^56,
 *     pending ascending, each below its worker's next, shard i < n;
 *   - rendering an accepted checkpoint and parsing the text again gives
 *     the same checkpoint (the format is lossless);
 *   - a render cut short by one octet is refused.
 * Inputs starting with an odd octet are sealed with a correct sum first.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "scanner/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "fuzz_checkpoint: %s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                                   \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

static int same(const struct scan_ckpt *a, const struct scan_ckpt *b)
{
    if (a->config != b->config || a->seed != b->seed || a->shard_i != b->shard_i ||
        a->shard_n != b->shard_n || a->serial != b->serial || a->output_bytes != b->output_bytes ||
        a->nb_txq != b->nb_txq || a->nb_pending != b->nb_pending)
        return 0;
    for (unsigned q = 0; q < a->nb_txq; q++)
        if (a->next[q] != b->next[q] || a->size[q] != b->size[q])
            return 0;
    return a->nb_pending == 0 ||
           memcmp(a->pending, b->pending, a->nb_pending * sizeof(a->pending[0])) == 0;
}

/* With an input whose first octet is odd, the rest is a checkpoint body
 * that gets its correct sum line appended: mutations then reach the field
 * parser behind the integrity check instead of dying at the sum. */
static char sealed[65536];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scan_ckpt c;
    char err[512] = "";
    const char *text = (const char *)data;
    if (size > 0 && (data[0] & 1) && size - 1 + 22 <= sizeof(sealed)) {
        memcpy(sealed, data + 1, size - 1);
        size = size - 1 +
               (size_t)snprintf(sealed + size - 1, 22, "sum %016llx\n",
                                (unsigned long long)XXH64(data + 1, size - 1, 0));
        text = sealed;
    }
    int rc = scan_ckpt_parse(text, size, &c, "fuzz", err, sizeof(err));
    if (rc != 0) {
        CHECK(err[0] != '\0' && strlen(err) < sizeof(err));
        for (const char *p = err; *p != '\0'; p++)
            CHECK(*p >= 0x20 && *p < 0x7f);
        return 0;
    }
    CHECK(c.nb_txq >= 1 && c.nb_txq <= SCAN_CKPT_QUEUES_MAX);
    CHECK(c.shard_i < c.shard_n);
    for (unsigned q = 0; q < c.nb_txq; q++)
        CHECK(c.next[q] <= c.size[q] && c.size[q] <= SCAN_CKPT_POS_MASK);
    for (size_t i = 0; i < c.nb_pending; i++) {
        unsigned q = (unsigned)(c.pending[i] >> SCAN_CKPT_POS_BITS);
        CHECK(q < c.nb_txq && (c.pending[i] & SCAN_CKPT_POS_MASK) < c.next[q]);
        CHECK(i == 0 || c.pending[i - 1] < c.pending[i]);
    }
    char *out;
    size_t len;
    CHECK(scan_ckpt_format(&c, &out, &len) == 0);
    struct scan_ckpt again;
    CHECK(scan_ckpt_parse(out, len, &again, "again", err, sizeof(err)) == 0);
    CHECK(same(&c, &again));
    scan_ckpt_fini(&again);
    CHECK(scan_ckpt_parse(out, len - 1, &again, "cut", err, sizeof(err)) != 0);
    free(out);
    scan_ckpt_fini(&c);
    return 0;
}
