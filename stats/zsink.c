/*
 * stats/zsink.c - output sink: safe open, buffered writes, zstd frames.
 *
 * Why frames: a zstd frame is the unit a decoder can verify and use on its
 * own. Closing one at a row boundary every couple of seconds, and writing it
 * out at once, bounds what a crash (SIGKILL, power loss) can lose to the
 * open frame, and the frame checksum lets a consumer reject a torn tail
 * instead of reading a partial row (docs/test-cases.md R01).
 *
 * Why errors are sticky and fsync is never retried: after a failed write or
 * fsync the kernel may already have dropped the dirty pages, so a retry that
 * "succeeds" would lie about durability (R06). The first error ends the
 * output; the caller reports it with the file name and exits non-zero.
 */
#include "stats/zsink.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "stats/stats_internal.h"

#define SINK_BUF_CAP    (256 * 1024)
#define SINK_ZSTD_LEVEL 3

struct stats_sink {
    int fd;
    bool own_fd;  /* opened here: close at the end */
    bool regular; /* a regular file: fsync at sync/close */
    bool closed;
    bool clock_set;
    bool pending; /* rows accepted since the last frame end / flush */
    bool wrote_frame;
    uint64_t last_end_ns;
    ZSTD_CCtx *zc; /* NULL: plain text */
    char *buf;     /* plain: rows; zstd: compressed bytes */
    size_t len;
    size_t cap;
    uint64_t bytes_in;
    uint64_t bytes_out;
    int err;
    char name[STATS_PATH_ECHO_MAX + 4]; /* echoed path for messages */
    char msg[STATS_SINK_ERR_MAX];
};

static int set_error(struct stats_sink *s, int err, const char *what, const char *why)
{
    if (s->err == 0) {
        s->err = err;
        snprintf(s->msg, sizeof(s->msg), "%s %s: %s", what, s->name,
                 why != NULL ? why : stats_strerror(err));
    }
    return s->err;
}

/* write(2) the whole range: EINTR retried, short writes continued, EAGAIN waited out. */
static int write_all(struct stats_sink *s, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(s->fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            s->bytes_out += (uint64_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* A non-blocking fd inherited as stdout: wait until the reader drains it. */
            struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
            if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
                return set_error(s, -errno, "write", NULL);
            continue;
        }
        if (w == 0)
            return set_error(s, -EIO, "write", "write returned 0 bytes");
        if (errno == EPIPE)
            return set_error(s, -EPIPE, "write", "the reader closed the pipe (EPIPE)");
        return set_error(s, -errno, "write", NULL);
    }
    return 0;
}

static int flush_buf(struct stats_sink *s)
{
    if (s->err != 0)
        return s->err;
    int rc = write_all(s, s->buf, s->len);
    s->len = 0;
    return rc;
}

/* Feed in[] to the compressor with the given directive, writing out full buffers. */
static int compress(struct stats_sink *s, const char *data, size_t n, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = { data, n, 0 };
    for (;;) {
        ZSTD_outBuffer out = { s->buf, s->cap, s->len };
        size_t left = ZSTD_compressStream2(s->zc, &out, &in, mode);
        s->len = out.pos;
        if (ZSTD_isError(left))
            return set_error(s, STATS_E_ZSTD, "compress", ZSTD_getErrorName(left));
        bool done = mode == ZSTD_e_continue ? in.pos == in.size : left == 0;
        if (done)
            return 0;
        /* The output buffer is full, or zstd has more to flush: make room. */
        if (flush_buf(s) < 0)
            return s->err;
    }
}

/* Close the open frame (zstd) and hand everything buffered to the kernel. */
static int end_frame(struct stats_sink *s)
{
    if (s->err != 0)
        return s->err;
    if (s->zc != NULL && (s->pending || !s->wrote_frame)) {
        if (compress(s, NULL, 0, ZSTD_e_end) < 0)
            return s->err;
        s->wrote_frame = true;
    }
    s->pending = false;
    return flush_buf(s);
}

static int sink_alloc(struct stats_sink **out, int fd, unsigned flags, char *err, size_t err_cap,
                      const char *path)
{
    struct stats_sink *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        stats_errmsg(err, err_cap, "output", path, stats_strerror(-ENOMEM));
        return -ENOMEM;
    }
    s->fd = fd;
    s->cap = SINK_BUF_CAP;
    s->buf = malloc(s->cap);
    if (s->buf == NULL) {
        free(s);
        stats_errmsg(err, err_cap, "output", path, stats_strerror(-ENOMEM));
        return -ENOMEM;
    }
    stats_path_echo(s->name, sizeof(s->name), path);
    if (flags & STATS_SINK_ZSTD) {
        s->zc = ZSTD_createCCtx();
        if (s->zc == NULL ||
            ZSTD_isError(ZSTD_CCtx_setParameter(s->zc, ZSTD_c_compressionLevel, SINK_ZSTD_LEVEL)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(s->zc, ZSTD_c_checksumFlag, 1))) {
            ZSTD_freeCCtx(s->zc);
            free(s->buf);
            free(s);
            stats_errmsg(err, err_cap, "output", path, "cannot set up zstd compression");
            return STATS_E_ZSTD;
        }
    }
    struct stat st;
    s->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    *out = s;
    return 0;
}

int stats_sink_new_fd(struct stats_sink **out, int fd, const char *name, unsigned flags, char *err,
                      size_t err_cap)
{
    char fdname[32];
    if (name == NULL) {
        snprintf(fdname, sizeof(fdname), "fd %d", fd);
        name = fdname;
    }
    *out = NULL;
    return sink_alloc(out, fd, flags & STATS_SINK_ZSTD, err, err_cap, name);
}

/* o+w without the sticky bit: anyone could swap the file between our runs (S03). */
static bool dir_world_writable(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof(dir))
            return false;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    struct stat st;
    return stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0;
}

int stats_sink_new(struct stats_sink **out, const char *path, unsigned flags, unsigned *warnings,
                   char *err, size_t err_cap)
{
    *out = NULL;
    if (warnings != NULL)
        *warnings = 0;
    if (path == NULL || strcmp(path, "-") == 0)
        return sink_alloc(out, STDOUT_FILENO, flags & STATS_SINK_ZSTD, err, err_cap, NULL);
    if (path[0] == '\0') {
        stats_errmsg(err, err_cap, "output file", path, "empty file name");
        return -EINVAL;
    }
    if (warnings != NULL && dir_world_writable(path))
        *warnings |= STATS_SINK_WARN_DIR_WORLD_WRITABLE;

    /* O_NOFOLLOW always: with --force too, a planted symlink must not redirect our write. */
    int oflags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
    bool force = (flags & STATS_SINK_FORCE) != 0;
    if (!force)
        oflags |= O_EXCL;
    int fd;
    do {
        fd = open(path, oflags, 0666);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        int e = errno;
        if (e == EEXIST)
            stats_errmsg(err, err_cap, "output file", path,
                         "already exists (use --force to overwrite)");
        else if (e == ELOOP)
            stats_errmsg(err, err_cap, "output file", path,
                         "is a symbolic link: refused, even with --force");
        else
            stats_errmsg(err, err_cap, "cannot create output file", path, stats_strerror(-e));
        return -e;
    }
    if (force) {
        /* Truncate only after checking what we opened: a hard link to someone else's file
         * (planted in a shared directory) must not be emptied. */
        struct stat st;
        if (fstat(fd, &st) != 0) {
            int e = errno;
            close(fd);
            stats_errmsg(err, err_cap, "output file", path, stats_strerror(-e));
            return -e;
        }
        if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
            close(fd);
            stats_errmsg(err, err_cap, "output file", path,
                         "has other hard links: refused, even with --force");
            return STATS_E_HARDLINK;
        }
        if (S_ISREG(st.st_mode) && ftruncate(fd, 0) != 0) {
            int e = errno;
            close(fd);
            stats_errmsg(err, err_cap, "cannot truncate output file", path, stats_strerror(-e));
            return -e;
        }
    }
    int rc = sink_alloc(out, fd, flags & STATS_SINK_ZSTD, err, err_cap, path);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    (*out)->own_fd = true;
    return 0;
}

int stats_sink_write(struct stats_sink *s, const char *line, size_t len)
{
    if (s->err != 0)
        return s->err;
    if (s->closed)
        return STATS_E_CLOSED;
    s->bytes_in += len;
    s->pending = true;
    if (s->zc != NULL)
        return compress(s, line, len, ZSTD_e_continue);
    if (len > s->cap - s->len) {
        if (flush_buf(s) < 0)
            return s->err;
        if (len > s->cap)
            return write_all(s, line, len);
    }
    memcpy(s->buf + s->len, line, len);
    s->len += len;
    return 0;
}

int stats_sink_tick(struct stats_sink *s, uint64_t now_ns)
{
    if (s->err != 0)
        return s->err;
    if (s->closed)
        return STATS_E_CLOSED;
    if (!s->clock_set) {
        s->clock_set = true;
        s->last_end_ns = now_ns;
        return 0;
    }
    /* A clock that went backwards (caller bug) just postpones the frame; never wraps. */
    if (!s->pending || now_ns < s->last_end_ns || now_ns - s->last_end_ns < STATS_SINK_FRAME_NS)
        return 0;
    if (end_frame(s) < 0)
        return s->err;
    s->last_end_ns = now_ns;
    return 1;
}

static int sync_fd(struct stats_sink *s)
{
    if (!s->regular)
        return 0;
    int rc;
    do {
        rc = fsync(s->fd);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0)
        return set_error(s, -errno, "fsync", NULL);
    return 0;
}

int stats_sink_sync(struct stats_sink *s)
{
    if (s->err != 0)
        return s->err;
    if (s->closed)
        return STATS_E_CLOSED;
    if (s->pending && end_frame(s) < 0)
        return s->err;
    return sync_fd(s);
}

static int sink_close(struct stats_sink *s)
{
    if (s->closed)
        return s->err;
    if (s->err == 0 && end_frame(s) == 0)
        (void)sync_fd(s);
    s->closed = true;
    if (s->own_fd) {
        /* close() can report a deferred write error (NFS); after it the fd is gone either way,
         * so it is never retried. */
        if (close(s->fd) != 0 && errno != EINTR)
            set_error(s, -errno, "close", NULL);
        s->own_fd = false;
    }
    s->fd = -1;
    return s->err;
}

int stats_sink_close(struct stats_sink *s)
{
    return sink_close(s);
}

void stats_sink_free(struct stats_sink *s)
{
    if (s == NULL)
        return;
    sink_close(s); /* its result stays readable through stats_sink_close before this */
    ZSTD_freeCCtx(s->zc);
    free(s->buf);
    free(s);
}

const char *stats_sink_error(const struct stats_sink *s)
{
    return s->msg;
}

uint64_t stats_sink_bytes_in(const struct stats_sink *s)
{
    return s->bytes_in;
}

uint64_t stats_sink_bytes_out(const struct stats_sink *s)
{
    return s->bytes_out;
}
