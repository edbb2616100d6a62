/*
 * stats/summary.c - the --summary JSON file.
 *
 * Every verdict, flag and drop key is always present (zeros included) so
 * consumers can compare runs key by key; rcodes list only what occurred,
 * since 4096 mostly-zero extended rcodes would be noise.
 * The file appears complete or not at all: it is written to a temporary
 * name in the same directory (same file system, so rename is atomic),
 * fsynced, renamed, and the directory is fsynced so the rename survives a
 * crash too. Runs that drop privileges use stats_summary_file_* instead
 * (created before the drop, written in place; summary.h says the cost).
 */
#include "stats/summary.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fcrscan_config.h"
#include "stats/stats_internal.h"
#include "stats/writer.h"

enum entry_kind { E_STR, E_U64, E_I64, E_BOOL, E_FIXED, E_LIST };

struct entry {
    char *key;
    enum entry_kind kind;
    union {
        char *s; /* E_STR; NULL means null */
        uint64_t u;
        int64_t i;
        bool b;
        struct {
            double v;
            unsigned decimals;
        } f;
        struct {
            char **v;
            size_t nb;
        } list;
    } val;
};

struct stats_summary {
    struct entry *entries;
    size_t nb;
    size_t cap;
};

struct stats_summary *stats_summary_new(void)
{
    return calloc(1, sizeof(struct stats_summary));
}

static void entry_fini(struct entry *e)
{
    free(e->key);
    if (e->kind == E_STR)
        free(e->val.s);
    if (e->kind == E_LIST) {
        for (size_t i = 0; i < e->val.list.nb; i++)
            free(e->val.list.v[i]);
        free(e->val.list.v);
    }
}

void stats_summary_free(struct stats_summary *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nb; i++)
        entry_fini(&s->entries[i]);
    free(s->entries);
    free(s);
}

/* Reserve a new entry for key; returns it, or NULL with *rc set. */
static struct entry *entry_add(struct stats_summary *s, const char *key, enum entry_kind kind,
                               int *rc)
{
    if (key == NULL) {
        *rc = -EINVAL;
        return NULL;
    }
    for (size_t i = 0; i < s->nb; i++) {
        if (strcmp(s->entries[i].key, key) == 0) {
            *rc = -EEXIST;
            return NULL;
        }
    }
    if (s->nb == s->cap) {
        size_t cap = s->cap == 0 ? 32 : s->cap * 2;
        struct entry *n = realloc(s->entries, cap * sizeof(*n));
        if (n == NULL) {
            *rc = -ENOMEM;
            return NULL;
        }
        s->entries = n;
        s->cap = cap;
    }
    struct entry *e = &s->entries[s->nb];
    memset(e, 0, sizeof(*e));
    e->key = strdup(key);
    if (e->key == NULL) {
        *rc = -ENOMEM;
        return NULL;
    }
    e->kind = kind;
    *rc = 0;
    return e;
}

int stats_summary_config_str(struct stats_summary *s, const char *key, const char *value)
{
    int rc;
    struct entry *e = entry_add(s, key, E_STR, &rc);
    if (e == NULL)
        return rc;
    if (value != NULL && (e->val.s = strdup(value)) == NULL) {
        free(e->key);
        return -ENOMEM;
    }
    s->nb++;
    return 0;
}

int stats_summary_config_u64(struct stats_summary *s, const char *key, uint64_t value)
{
    int rc;
    struct entry *e = entry_add(s, key, E_U64, &rc);
    if (e == NULL)
        return rc;
    e->val.u = value;
    s->nb++;
    return 0;
}

int stats_summary_config_i64(struct stats_summary *s, const char *key, int64_t value)
{
    int rc;
    struct entry *e = entry_add(s, key, E_I64, &rc);
    if (e == NULL)
        return rc;
    e->val.i = value;
    s->nb++;
    return 0;
}

int stats_summary_config_bool(struct stats_summary *s, const char *key, bool value)
{
    int rc;
    struct entry *e = entry_add(s, key, E_BOOL, &rc);
    if (e == NULL)
        return rc;
    e->val.b = value;
    s->nb++;
    return 0;
}

int stats_summary_config_fixed(struct stats_summary *s, const char *key, double value,
                               unsigned decimals)
{
    int rc;
    struct entry *e = entry_add(s, key, E_FIXED, &rc);
    if (e == NULL)
        return rc;
    e->val.f.v = value;
    e->val.f.decimals = decimals;
    s->nb++;
    return 0;
}

int stats_summary_config_list(struct stats_summary *s, const char *key, const char *const *values,
                              size_t nb)
{
    int rc;
    struct entry *e = entry_add(s, key, E_LIST, &rc);
    if (e == NULL)
        return rc;
    if (nb > 0) {
        e->val.list.v = calloc(nb, sizeof(char *));
        if (e->val.list.v == NULL) {
            free(e->key);
            return -ENOMEM;
        }
        for (size_t i = 0; i < nb; i++) {
            e->val.list.v[i] = strdup(values[i] != NULL ? values[i] : "");
            if (e->val.list.v[i] == NULL) {
                e->val.list.nb = i;
                entry_fini(e);
                return -ENOMEM;
            }
        }
    }
    e->val.list.nb = nb;
    s->nb++;
    return 0;
}

static void render_ts(struct stats_json *j, const char *key, int64_t ms)
{
    char ts[STATS_TS_LEN + 1];
    stats_json_key(j, key);
    stats_json_strn(j, ts, stats_writer_ts(ms, ts));
}

static void render_config(const struct stats_summary *s, struct stats_json *j)
{
    stats_json_key(j, "config");
    stats_json_object_begin(j);
    for (size_t i = 0; s != NULL && i < s->nb; i++) {
        const struct entry *e = &s->entries[i];
        stats_json_key(j, e->key);
        switch (e->kind) {
        case E_STR:
            stats_json_str(j, e->val.s);
            break;
        case E_U64:
            stats_json_u64(j, e->val.u);
            break;
        case E_I64:
            stats_json_i64(j, e->val.i);
            break;
        case E_BOOL:
            stats_json_bool(j, e->val.b);
            break;
        case E_FIXED:
            stats_json_fixed(j, e->val.f.v, e->val.f.decimals);
            break;
        case E_LIST:
            stats_json_array_begin(j);
            for (size_t k = 0; k < e->val.list.nb; k++)
                stats_json_str(j, e->val.list.v[k]);
            stats_json_array_end(j);
            break;
        }
    }
    stats_json_object_end(j);
}

void stats_summary_render(const struct stats_summary *s, const struct stats_summary_run *run,
                          struct stats_json *j)
{
    static const struct stats_counters zero;
    const struct stats_counters *c = run->totals != NULL ? run->totals : &zero;

    stats_json_object_begin(j);
    stats_json_key(j, "version");
    stats_json_str(j, run->version != NULL ? run->version : FCRSCAN_VERSION);
    render_config(s, j);
    render_ts(j, "started", run->started_ms);
    render_ts(j, "finished", run->finished_ms);
    stats_json_key(j, "elapsed_s");
    stats_json_fixed(j, (double)run->elapsed_ns / 1e9, 3);

    stats_json_key(j, "targets");
    stats_json_object_begin(j);
    stats_json_key(j, "total");
    stats_json_u128_carry(j, run->targets_total_carry, run->targets_total);
    stats_json_key(j, "scanned");
    stats_json_u128(j, run->targets_scanned);
    stats_json_key(j, "blocklisted");
    stats_json_u128(j, run->targets_blocklisted);
    stats_json_object_end(j);

    stats_json_key(j, "verdicts");
    stats_json_object_begin(j);
    for (unsigned v = 0; v < STATS_VERDICT_COUNT; v++) {
        stats_json_key(j, stats_verdict_name(v));
        stats_json_u64(j, c->verdicts[v]);
    }
    stats_json_object_end(j);

    stats_json_key(j, "flags");
    stats_json_object_begin(j);
    for (unsigned b = 0; b < STATS_FLAG_COUNT; b++) {
        stats_json_key(j, stats_flag_name(b));
        stats_json_u64(j, c->flags[b]);
    }
    stats_json_object_end(j);

    stats_json_key(j, "rcodes");
    stats_json_object_begin(j);
    for (unsigned r = 0; r < STATS_RCODE_SLOTS; r++) {
        if (c->rcodes[r] == 0)
            continue;
        stats_json_key(j, stats_rcode_name(r == STATS_RCODE_SLOTS - 1 ? -1 : (int)r));
        stats_json_u64(j, c->rcodes[r]);
    }
    stats_json_object_end(j);

    stats_json_key(j, "queries");
    stats_json_object_begin(j);
    stats_json_key(j, "sent");
    stats_json_u64(j, c->sent);
    stats_json_key(j, "received");
    stats_json_u64(j, c->received);
    stats_json_key(j, "retried");
    stats_json_u64(j, c->retried);
    stats_json_key(j, "tcp");
    stats_json_u64(j, c->tcp);
    stats_json_key(j, "send_errors");
    stats_json_u64(j, c->send_errors);
    stats_json_key(j, "breaker_opens");
    stats_json_u64(j, c->breaker_opens);
    stats_json_key(j, "index_full");
    stats_json_u64(j, c->index_full);
    stats_json_key(j, "tcp_full");
    stats_json_u64(j, c->tcp_full);
    stats_json_object_end(j);

    stats_json_key(j, "dropped");
    stats_json_object_begin(j);
    for (unsigned d = 0; d < STATS_DROP_COUNT; d++) {
        stats_json_key(j, stats_drop_name(d));
        stats_json_u64(j, c->dropped[d]);
    }
    stats_json_object_end(j);

    stats_json_key(j, "rate_qps");
    stats_json_fixed(
        j, run->elapsed_ns == 0 ? 0.0 : (double)c->sent * 1e9 / (double)run->elapsed_ns, 1);

    stats_json_key(j, "exit");
    stats_json_object_begin(j);
    stats_json_key(j, "status");
    stats_json_i64(j, run->exit_status);
    stats_json_key(j, "why");
    stats_json_str(j, run->exit_why != NULL ? run->exit_why : "");
    stats_json_object_end(j);
    stats_json_object_end(j);
}

/* Directory part of path ("." when none) into dir[0..cap); false if it does not fit. */
static bool dir_of(const char *path, char *dir, size_t cap)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash == NULL ? 0 : slash == path ? 1 : (size_t)(slash - path);
    if (slash == NULL) {
        if (cap < 2)
            return false;
        memcpy(dir, ".", 2);
        return true;
    }
    if (n + 1 > cap)
        return false;
    memcpy(dir, path, n);
    dir[n] = '\0';
    return true;
}

int stats_summary_check_path(const char *path, bool force, char *err, size_t err_cap)
{
    char dir[4096];
    struct stat st;
    if (path == NULL || path[0] == '\0') {
        stats_errmsg(err, err_cap, "summary file", "", "empty file name");
        return -EINVAL;
    }
    if (lstat(path, &st) == 0) {
        if (!force) {
            stats_errmsg(err, err_cap, "summary file", path,
                         "already exists (use --force to overwrite)");
            return -EEXIST;
        }
        if (S_ISDIR(st.st_mode)) {
            stats_errmsg(err, err_cap, "summary file", path, stats_strerror(-EISDIR));
            return -EISDIR;
        }
    }
    if (!dir_of(path, dir, sizeof(dir))) {
        stats_errmsg(err, err_cap, "summary file", path, stats_strerror(-ENAMETOOLONG));
        return -ENAMETOOLONG;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        int e = errno;
        stats_errmsg(err, err_cap, "summary file", path, stats_strerror(-e));
        return -e;
    }
    return 0;
}

static int write_all_fd(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        if (w == 0)
            return -EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fsync_retry_eintr(int fd)
{
    int rc;
    do {
        rc = fsync(fd);
    } while (rc != 0 && errno == EINTR);
    return rc == 0 ? 0 : -errno;
}

/* Publish tmp as path: rename, refusing to replace unless force. */
static int publish(const char *tmp, const char *path, bool force)
{
    if (force)
        return rename(tmp, path) == 0 ? 0 : -errno;
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -errno;
    /* File systems without RENAME_NOREPLACE: link() also fails on an existing name. */
    if (link(tmp, path) != 0)
        return -errno;
    unlink(tmp);
    return 0;
}

int stats_summary_write(const struct stats_summary *s, const struct stats_summary_run *run,
                        const char *path, bool force, char *err, size_t err_cap)
{
    char tmp[4096 + 64];
    char dir[4096];
    struct stats_json j;
    int fd = -1, rc;
    const char *what = "summary file";

    rc = stats_summary_check_path(path, force, err, err_cap);
    if (rc < 0)
        return rc;
    if (!dir_of(path, dir, sizeof(dir)) || strlen(path) >= 4096) {
        stats_errmsg(err, err_cap, what, path, stats_strerror(-ENAMETOOLONG));
        return -ENAMETOOLONG;
    }

    stats_json_init(&j, NULL, 0, STATS_JSON_PRETTY);
    stats_summary_render(s, run, &j);
    rc = stats_json_finish(&j);
    if (rc < 0) {
        stats_errmsg(err, err_cap, what, path, stats_strerror(rc));
        goto out;
    }

    for (unsigned attempt = 0; attempt < 100 && fd < 0; attempt++) {
        snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%u", path, (long)getpid(), attempt);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST && errno != EINTR)
            break;
    }
    if (fd < 0) {
        rc = -errno;
        stats_errmsg(err, err_cap, "cannot create temporary file for", path, stats_strerror(rc));
        goto out;
    }
    rc = write_all_fd(fd, j.buf, j.len);
    if (rc == 0)
        rc = fsync_retry_eintr(fd);
    if (close(fd) != 0 && rc == 0 && errno != EINTR)
        rc = -errno;
    fd = -1;
    if (rc < 0) {
        stats_errmsg(err, err_cap, "cannot write summary file", path, stats_strerror(rc));
        unlink(tmp);
        goto out;
    }
    rc = publish(tmp, path, force);
    if (rc < 0) {
        stats_errmsg(err, err_cap, "cannot publish summary file", path,
                     rc == -EEXIST ? "already exists (use --force to overwrite)"
                                   : stats_strerror(rc));
        unlink(tmp);
        goto out;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        /* Some file systems cannot fsync a directory (EINVAL); the file itself is durable. */
        int drc = fsync_retry_eintr(dfd);
        close(dfd);
        if (drc < 0 && drc != -EINVAL) {
            rc = drc;
            stats_errmsg(err, err_cap, "cannot sync directory of summary file", path,
                         stats_strerror(rc));
        }
    }
out:
    stats_json_fini(&j);
    return rc;
}

/* ---- a summary file opened before the run ---------------------------------- */

struct stats_summary_file {
    int fd;
    bool created; /* by us, so removable while never written */
    bool written;
    char *path;
};

int stats_summary_file_open(const char *path, bool force, struct stats_summary_file **out,
                            char *err, size_t err_cap)
{
    const char *what = "summary file";
    *out = NULL;
    int rc = stats_summary_check_path(path, force, err, err_cap);
    if (rc < 0)
        return rc;
    struct stats_summary_file *f = calloc(1, sizeof(*f));
    char *copy = strdup(path);
    if (f == NULL || copy == NULL) {
        free(f);
        free(copy);
        stats_errmsg(err, err_cap, what, path, stats_strerror(-ENOMEM));
        return -ENOMEM;
    }
    f->path = copy;
    f->fd = -1;
    struct stat st;
    bool exists = lstat(path, &st) == 0;
    if (exists && force && S_ISREG(st.st_mode)) {
        /* Kept as it is until the run's summary overwrites it. */
        f->fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        if (f->fd < 0) {
            rc = -errno;
            stats_errmsg(err, err_cap, what, path, stats_strerror(rc));
            stats_summary_file_close(f);
            return rc;
        }
    } else {
        /* A symlink (or other non-file) is replaced, never followed. */
        if (exists && force && unlink(path) != 0) {
            rc = -errno;
            stats_errmsg(err, err_cap, what, path, stats_strerror(rc));
            stats_summary_file_close(f);
            return rc;
        }
        f->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (f->fd < 0) {
            rc = -errno;
            stats_errmsg(err, err_cap, what, path,
                         rc == -EEXIST ? "already exists (use --force to overwrite)"
                                       : stats_strerror(rc));
            stats_summary_file_close(f);
            return rc;
        }
        f->created = true;
    }
    *out = f;
    return 0;
}

int stats_summary_file_write(const struct stats_summary *s, const struct stats_summary_run *run,
                             struct stats_summary_file *f, char *err, size_t err_cap)
{
    struct stats_json j;
    stats_json_init(&j, NULL, 0, STATS_JSON_PRETTY);
    stats_summary_render(s, run, &j);
    int rc = stats_json_finish(&j);
    if (rc < 0) {
        stats_errmsg(err, err_cap, "summary file", f->path, stats_strerror(rc));
        goto out;
    }
    rc = 0;
    /* One pwrite loop from offset 0, then cut whatever a longer old file left. */
    size_t done = 0;
    while (done < j.len) {
        ssize_t w = pwrite(f->fd, j.buf + done, j.len - done, (off_t)done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = w < 0 ? -errno : -EIO;
            break;
        }
        done += (size_t)w;
    }
    if (rc == 0 && ftruncate(f->fd, (off_t)j.len) != 0)
        rc = -errno;
    if (rc == 0)
        rc = fsync_retry_eintr(f->fd);
    if (rc < 0)
        stats_errmsg(err, err_cap, "cannot write summary file", f->path, stats_strerror(rc));
    else
        f->written = true;
out:
    stats_json_fini(&j);
    return rc;
}

void stats_summary_file_close(struct stats_summary_file *f)
{
    if (f == NULL)
        return;
    if (f->fd >= 0)
        close(f->fd);
    if (f->created && !f->written)
        unlink(f->path);
    free(f->path);
    free(f);
}
