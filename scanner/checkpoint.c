/*
 * The checkpoint file: see checkpoint.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "scanner/checkpoint.h"
#include "stats/error.h"

#define CKPT_MAGIC     "fcrscan-checkpoint 2\n"
#define CKPT_FIXED_MAX 1024        /* everything but the pending positions */
#define CKPT_FILE_MAX  (64u << 20) /* refuse anything larger when reading */

struct text {
    char *buf;
    size_t len;
    size_t cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
    if (t->len >= t->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len = n < 0 ? t->cap : t->len + (size_t)n;
}

/* The file's text into t (allocated); false when out of memory. */
static bool render(const struct scan_ckpt *c, struct text *t)
{
    /* A position is at most 17 digits and a space. */
    t->cap = CKPT_FIXED_MAX + c->nb_pending * 18 + 64;
    t->len = 0;
    t->buf = malloc(t->cap);
    if (t->buf == NULL)
        return false;
    put(t, "%s", CKPT_MAGIC);
    put(t, "config %016" PRIx64 "\n", c->config);
    put(t, "seed %" PRIu64 "\n", c->seed);
    put(t, "shard %" PRIu64 "/%" PRIu64 "\n", c->shard_i, c->shard_n);
    put(t, "serial %" PRIu64 "\n", c->serial);
    put(t, "output_bytes %" PRIu64 "\n", c->output_bytes);
    put(t, "queues %u\n", c->nb_txq);
    for (unsigned q = 0; q < c->nb_txq && q < SCAN_CKPT_QUEUES_MAX; q++)
        put(t, "next %u %" PRIu64 " %" PRIu64 "\n", q, c->next[q], c->size[q]);
    put(t, "pending %zu", c->nb_pending);
    for (size_t i = 0; i < c->nb_pending; i++)
        put(t, " %" PRIx64, c->pending[i]);
    put(t, "\n");
    put(t, "sum %016llx\n", (unsigned long long)XXH64(t->buf, t->len, 0));
    return t->len < t->cap;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

int scan_ckpt_write(const char *path, const struct scan_ckpt *c, char *err, size_t err_cap)
{
    struct text text;
    if (!render(c, &text)) {
        free(text.buf);
        return stats_fail(err, err_cap, -ENOMEM, "checkpoint %s: out of memory", path);
    }
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        free(text.buf);
        return stats_fail(err, err_cap, -ENAMETOOLONG, "checkpoint %s: name too long", path);
    }
    /* A .tmp left by a crash is ours to replace; never through a symlink. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        free(text.buf);
        return stats_fail(err, err_cap, -errno, "checkpoint %s: %s", tmp, strerror(errno));
    }
    int rc = write_all(fd, text.buf, text.len);
    free(text.buf);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0) {
        (void)unlink(tmp);
        return stats_fail(err, err_cap, rc, "checkpoint %s: %s", path, strerror(-rc));
    }
    /* The rename is durable once the directory is. */
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* A file that is not a whole checkpoint: refused, never half trusted. */
static int damaged(char *err, size_t err_cap, const char *path, const char *why)
{
    return stats_fail(err, err_cap, -EINVAL,
                      "checkpoint %s is damaged or not a checkpoint (%s); remove it to start over",
                      path, why);
}

/* The whole file into *out (NUL-terminated, allocated). */
static int slurp(const char *path, char **out, size_t *len, char *err, size_t err_cap)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT
                   ? -ENOENT
                   : stats_fail(err, err_cap, -errno, "checkpoint %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > CKPT_FILE_MAX) {
        close(fd);
        return damaged(err, err_cap, path, "not a regular file of a sane size");
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t at = 0;
    while (buf != NULL && at < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + at, (size_t)st.st_size - at);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        at += (size_t)r;
    }
    close(fd);
    if (buf == NULL || at != (size_t)st.st_size) {
        free(buf);
        return stats_fail(err, err_cap, -EIO, "checkpoint %s: cannot read it whole", path);
    }
    buf[at] = '\0';
    *out = buf;
    *len = at;
    return 0;
}

static int parse(char *text, size_t len, struct scan_ckpt *c, const char *path, char *err,
                 size_t err_cap)
{
    if (strlen(text) != len || strncmp(text, CKPT_MAGIC, strlen(CKPT_MAGIC)) != 0)
        return damaged(err, err_cap, path, "no checkpoint header");
    char *sum = len >= 22 ? text + len - 22 : NULL; /* "sum " + 16 hex + "\n", after a "\n" */
    unsigned long long want;
    char tail;
    if (sum == NULL || sum[0] != '\n' || strncmp(sum + 1, "sum ", 4) != 0 ||
        sscanf(sum + 5, "%16llx%c", &want, &tail) != 2 || tail != '\n')
        return damaged(err, err_cap, path, "no final sum line: cut short?");
    if (XXH64(text, (size_t)(sum + 1 - text), 0) != want)
        return damaged(err, err_cap, path, "sum mismatch");
    sum[1] = '\0';

    unsigned seen = 0, nb_next = 0;
    char *save = NULL;
    for (char *line = strtok_r(text + strlen(CKPT_MAGIC), "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        unsigned q;
        uint64_t a, b;
        size_t n;
        int used = 0;
        if (sscanf(line, "config %16" SCNx64, &c->config) == 1) {
            seen |= 1;
        } else if (sscanf(line, "seed %" SCNu64, &c->seed) == 1) {
            seen |= 2;
        } else if (sscanf(line, "shard %" SCNu64 "/%" SCNu64, &c->shard_i, &c->shard_n) == 2) {
            seen |= 4;
        } else if (sscanf(line, "output_bytes %" SCNu64, &c->output_bytes) == 1) {
            seen |= 8;
        } else if (sscanf(line, "serial %" SCNu64, &c->serial) == 1 && !(seen & 64)) {
            seen |= 64;
        } else if (sscanf(line, "queues %u", &c->nb_txq) == 1) {
            seen |= 16;
        } else if (sscanf(line, "next %u %" SCNu64 " %" SCNu64, &q, &a, &b) == 3) {
            if (q != nb_next || q >= SCAN_CKPT_QUEUES_MAX || a > b || b > SCAN_CKPT_POS_MASK)
                return damaged(err, err_cap, path, "bad next line");
            c->next[q] = a;
            c->size[q] = b;
            nb_next++;
        } else if (sscanf(line, "pending %zu%n", &n, &used) == 1 && !(seen & 32)) {
            seen |= 32;
            if (n > (size_t)CKPT_FILE_MAX / 2)
                return damaged(err, err_cap, path, "bad pending count");
            c->pending = n > 0 ? malloc(n * sizeof(c->pending[0])) : NULL;
            if (n > 0 && c->pending == NULL)
                return stats_fail(err, err_cap, -ENOMEM, "checkpoint %s: out of memory", path);
            const char *p = line + used;
            for (size_t i = 0; i < n; i++) {
                char *end;
                errno = 0;
                if (*p != ' ')
                    return damaged(err, err_cap, path, "short pending list");
                unsigned long long v = strtoull(p + 1, &end, 16);
                if (errno != 0 || end == p + 1 || (i > 0 && v <= c->pending[i - 1]))
                    return damaged(err, err_cap, path, "bad pending list");
                c->pending[i] = v;
                p = end;
            }
            if (*p != '\0')
                return damaged(err, err_cap, path, "long pending list");
            c->nb_pending = n;
        } else {
            return damaged(err, err_cap, path, "unknown line");
        }
    }
    if (seen != 127 || c->nb_txq == 0 || c->nb_txq > SCAN_CKPT_QUEUES_MAX || nb_next != c->nb_txq ||
        c->shard_n == 0 || c->shard_i >= c->shard_n)
        return damaged(err, err_cap, path, "missing or inconsistent fields");
    for (size_t i = 0; i < c->nb_pending; i++) {
        unsigned q = (unsigned)(c->pending[i] >> SCAN_CKPT_POS_BITS);
        if (q >= c->nb_txq || (c->pending[i] & SCAN_CKPT_POS_MASK) >= c->next[q])
            return damaged(err, err_cap, path, "pending position out of range");
    }
    return 0;
}

int scan_ckpt_parse(const char *text, size_t len, struct scan_ckpt *c, const char *name, char *err,
                    size_t err_cap)
{
    memset(c, 0, sizeof(*c));
    if (len > CKPT_FILE_MAX)
        return damaged(err, err_cap, name, "too large");
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return stats_fail(err, err_cap, -ENOMEM, "checkpoint %s: out of memory", name);
    memcpy(copy, text, len);
    copy[len] = '\0';
    int rc = parse(copy, len, c, name, err, err_cap);
    free(copy);
    if (rc != 0)
        scan_ckpt_fini(c);
    return rc;
}

int scan_ckpt_format(const struct scan_ckpt *c, char **out, size_t *len)
{
    struct text t;
    if (!render(c, &t)) {
        free(t.buf);
        return -ENOMEM;
    }
    *out = t.buf;
    *len = t.len;
    return 0;
}

/* One file: 0, -ENOENT (absent, or an empty slot file), or the error. */
static int read_one(const char *path, struct scan_ckpt *c, char *err, size_t err_cap)
{
    memset(c, 0, sizeof(*c));
    char *text = NULL;
    size_t len = 0;
    int rc = slurp(path, &text, &len, err, err_cap);
    if (rc != 0)
        return rc;
    rc = len == 0 ? -ENOENT : parse(text, len, c, path, err, err_cap);
    free(text);
    if (rc != 0)
        scan_ckpt_fini(c);
    return rc;
}

int scan_ckpt_read(const char *path, struct scan_ckpt *c, char *err, size_t err_cap)
{
    char alt[4096];
    if ((size_t)snprintf(alt, sizeof(alt), "%s.alt", path) >= sizeof(alt))
        return stats_fail(err, err_cap, -ENAMETOOLONG, "checkpoint %s: name too long", path);
    struct scan_ckpt a;
    char err_a[512] = "";
    int rc = read_one(path, c, err, err_cap);
    int rc_a = read_one(alt, &a, err_a, sizeof(err_a));
    if (rc_a == 0 && (rc != 0 || a.serial > c->serial)) {
        /* The slot written last (raw engines alternate two files); a
         * damaged other slot is what a crash during its write leaves. */
        if (rc == 0)
            scan_ckpt_fini(c);
        *c = a;
        return 0;
    }
    if (rc_a == 0)
        scan_ckpt_fini(&a);
    if (rc == -ENOENT && rc_a != -ENOENT)
        return stats_fail(err, err_cap, rc_a, "%s", err_a);
    return rc;
}

int scan_ckpt_slots_open(const char *path, bool fresh, int fds[2], char *err, size_t err_cap)
{
    char alt[4096];
    if ((size_t)snprintf(alt, sizeof(alt), "%s.alt", path) >= sizeof(alt))
        return stats_fail(err, err_cap, -ENAMETOOLONG, "checkpoint %s: name too long", path);
    const char *names[2] = { path, alt };
    for (unsigned i = 0; i < 2; i++) {
        fds[i] =
            open(names[i], O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (fresh ? O_TRUNC : 0), 0600);
        if (fds[i] < 0) {
            int rc = -errno;
            if (i == 1)
                close(fds[0]);
            fds[0] = fds[1] = -1;
            return stats_fail(err, err_cap, rc, "checkpoint %s: %s", names[i], strerror(-rc));
        }
    }
    return 0;
}

int scan_ckpt_write_slot(int fd, const char *name, const struct scan_ckpt *c, char *err,
                         size_t err_cap)
{
    struct text text;
    if (!render(c, &text)) {
        free(text.buf);
        return stats_fail(err, err_cap, -ENOMEM, "checkpoint %s: out of memory", name);
    }
    int rc = 0;
    size_t at = 0;
    if (ftruncate(fd, 0) != 0)
        rc = -errno;
    while (rc == 0 && at < text.len) {
        ssize_t w = pwrite(fd, text.buf + at, text.len - at, (off_t)at);
        if (w < 0 && errno != EINTR)
            rc = -errno;
        else if (w > 0)
            at += (size_t)w;
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    free(text.buf);
    if (rc != 0)
        return stats_fail(err, err_cap, rc, "checkpoint %s: %s", name, strerror(-rc));
    return 0;
}

int scan_ckpt_remove_alt(const char *path)
{
    char alt[4096];
    if ((size_t)snprintf(alt, sizeof(alt), "%s.alt", path) >= sizeof(alt))
        return -ENAMETOOLONG;
    return unlink(alt) == 0 || errno == ENOENT ? 0 : -errno;
}

void scan_ckpt_fini(struct scan_ckpt *c)
{
    free(c->pending);
    c->pending = NULL;
    c->nb_pending = 0;
}

int scan_ckpt_complete(const struct scan_ckpt *c)
{
    if (c->nb_pending > 0)
        return 0;
    for (unsigned q = 0; q < c->nb_txq; q++)
        if (c->next[q] != c->size[q])
            return 0;
    return 1;
}
