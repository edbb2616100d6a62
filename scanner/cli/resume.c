/*
 * scanner/cli/resume.c - --resume: reading, checking and continuing a
 * checkpoint (scanner/checkpoint.h has the file format).
 *
 * A resumed run takes the seed from the checkpoint, refuses one written
 * for another configuration, moves every TX worker's part of the
 * permutation to its first pending position, and cuts the output back to
 * the length the checkpoint recorded before appending.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "scanner/cli/scan_cmd.h"

/*
 * What must not change between a run and its resumption: the target set
 * (its size and 64 addresses spread over it), the seed, the shard, the TX
 * workers (each walks its own part), the output format and --max-ptr (the
 * rows). Resolvers, rates and timeouts may change (a resolver that died).
 */
static uint64_t config_hash(const struct scan_opts *o, const struct run *r, bool zstd)
{
    struct {
        uint64_t seed, shard_i, shard_n;
        uint32_t tx_queues, max_ptr, fmt, zstd;
        scan_u128 count;
        struct pkt_addr sample[64];
    } h;
    memset(&h, 0, sizeof(h));
    h.seed = o->seed;
    h.shard_i = o->have_shard ? o->shard_i : 0;
    h.shard_n = o->have_shard ? o->shard_n : 1;
    h.tx_queues = o->tx_queues;
    h.max_ptr = o->max_ptr;
    h.fmt = (uint32_t)r->fmt;
    h.zstd = zstd;
    h.count = scan_targets_count(r->targets);
    for (unsigned i = 0; i < 64 && h.count > 0; i++) {
        scan_u128 at = i == 63 ? h.count - 1 : h.count / 64 * i + (i < h.count ? i : 0) % h.count;
        if (at >= h.count)
            at = h.count - 1;
        if (scan_targets_addr(r->targets, at, &h.sample[i]) != 0)
            memset(&h.sample[i], 0, sizeof(h.sample[i]));
    }
    return XXH3_64bits(&h, sizeof(h));
}

/*
 * --resume: read the checkpoint (none: a fresh start that will write one)
 * and take the seed from it unless --seed was given. Returns 0 or an exit
 * status.
 */
int resume_read(struct scan_opts *o, struct run *r, bool *resuming)
{
    char err[512];
    *resuming = false;
    int rc = scan_ckpt_read(o->resume, &r->prev, err, sizeof(err));
    if (rc == -ENOENT)
        return 0;
    if (rc != 0) {
        fprintf(stderr, "fcrscan: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    if (o->have_seed && o->seed != r->prev.seed) {
        fprintf(stderr,
                "fcrscan: --seed %" PRIu64 " differs from checkpoint %s (seed %" PRIu64
                "): resuming needs the same order\n",
                o->seed, o->resume, r->prev.seed);
        return CLI_EXIT_USAGE;
    }
    o->seed = r->prev.seed;
    o->have_seed = true;
    *resuming = true;
    return 0;
}

/*
 * --resume, once the order and output format are known: check that the
 * checkpoint belongs to this configuration and move every TX worker's part
 * to its resume point; or, starting fresh, fill in the new checkpoint.
 * Returns 0, or an exit status; *all_done when nothing is left to scan.
 */
int resume_setup(struct scan_opts *o, struct run *r, bool resuming, size_t window, bool zstd,
                 bool *all_done)
{
    struct scan_ckpt *c = &r->ckpt, *p = &r->prev;
    *all_done = false;
    memset(c, 0, sizeof(*c));
    c->config = config_hash(o, r, zstd);
    c->seed = o->seed;
    c->shard_i = o->have_shard ? o->shard_i : 0;
    c->shard_n = o->have_shard ? o->shard_n : 1;
    c->nb_txq = o->tx_queues;
    for (unsigned q = 0; q < o->tx_queues; q++) {
        scan_u128 size = scan_perm_shard_size(run_perm(r, q));
        if (size > SCAN_CKPT_POS_MASK) {
            fprintf(stderr, "fcrscan: --resume: more than 2^56 targets per TX worker\n");
            return CLI_EXIT_USAGE;
        }
        c->size[q] = (uint64_t)size;
    }
    c->serial = resuming ? p->serial : 0;
    r->pending_cap = window + (resuming ? p->nb_pending : 0);
    c->pending = malloc(r->pending_cap * sizeof(c->pending[0]));
    if (c->pending == NULL) {
        fprintf(stderr, "fcrscan: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    if (!resuming)
        return 0;
    if (p->config != c->config || p->nb_txq != c->nb_txq) {
        fprintf(stderr,
                "fcrscan: checkpoint %s was written for another configuration (targets, "
                "blocklists, shard, --tx-queues, output format or --max-ptr differ); remove it "
                "to start over\n",
                o->resume);
        return CLI_EXIT_USAGE;
    }
    size_t at = 0;
    for (unsigned q = 0; q < c->nb_txq; q++) {
        /* Worker q resumes at its first pending position, or at next. */
        uint64_t from = p->next[q];
        while (at < p->nb_pending && (p->pending[at] >> SCAN_CKPT_POS_BITS) < q)
            at++;
        if (at < p->nb_pending && (p->pending[at] >> SCAN_CKPT_POS_BITS) == q)
            from = p->pending[at] & SCAN_CKPT_POS_MASK;
        if (p->size[q] != c->size[q] || scan_perm_seek(run_perm(r, q), from) != 0) {
            fprintf(stderr, "fcrscan: checkpoint %s does not fit these targets\n", o->resume);
            return CLI_EXIT_USAGE;
        }
    }
    *all_done = scan_ckpt_complete(p) != 0;
    /* Progress counts what this part has to do. */
    r->total = p->nb_pending;
    for (unsigned q = 0; q < c->nb_txq; q++)
        r->total += p->size[q] - p->next[q];
    return 0;
}

/*
 * Reopen the output of the run being resumed: cut it back to the length the
 * checkpoint recorded (rows after it belong to targets asked again, and a
 * crash may have torn the tail) and append from there. Returns the fd, or
 * -1 after printing why.
 */
int resume_output(const char *path, uint64_t len)
{
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr,
                "fcrscan: cannot resume into %s: %s (remove the checkpoint to start over)\n", path,
                strerror(errno));
        return -1;
    }
    struct stat st;
    const char *why = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        why = "not a regular file";
    else if (st.st_nlink != 1)
        why = "it has other hard links";
    else if ((uint64_t)st.st_size < len)
        why = "it is shorter than the checkpoint says: not the output of that run";
    else if (ftruncate(fd, (off_t)len) != 0 || lseek(fd, 0, SEEK_END) < 0)
        why = strerror(errno);
    if (why != NULL) {
        fprintf(stderr, "fcrscan: cannot resume into %s: %s\n", path, why);
        close(fd);
        return -1;
    }
    return fd;
}
