/*
 * Recovering a torn output: see recover.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "stats/error.h"
#include "stats/recover.h"

#define RECOVER_CHUNK (1u << 20)

/* Plain text: the offset after the last newline; counts the newlines. */
static int plain_end(int fd, uint64_t size, uint64_t *end, uint64_t *rows)
{
    char *buf = malloc(RECOVER_CHUNK);
    if (buf == NULL)
        return -ENOMEM;
    uint64_t at = 0;
    *end = 0;
    *rows = 0;
    while (at < size) {
        ssize_t r = pread(fd, buf, RECOVER_CHUNK, (off_t)at);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            free(buf);
            return r < 0 ? -errno : -EIO;
        }
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] == '\n') {
                (*rows)++;
                *end = at + (uint64_t)i + 1;
            }
        at += (uint64_t)r;
    }
    free(buf);
    return 0;
}

/*
 * zstd: walk the frames; a frame counts when it is complete, decompresses
 * without error (its checksum included) and ends with a newline. Returns
 * the offset after the last such frame of the unbroken prefix.
 */
static int zstd_end(int fd, uint64_t size, struct stats_recover_result *res, uint64_t *end)
{
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    char *in = malloc(RECOVER_CHUNK);
    char *out = malloc(ZSTD_DStreamOutSize());
    int rc = 0;
    *end = 0;
    if (dc == NULL || in == NULL || out == NULL) {
        rc = -ENOMEM;
        goto done;
    }
    uint64_t at = 0;   /* next octet to read */
    uint64_t rows = 0; /* newlines in the frame so far */
    char last = '\n';
    ZSTD_DCtx_reset(dc, ZSTD_reset_session_only);
    while (at < size) {
        size_t want = size - at < RECOVER_CHUNK ? (size_t)(size - at) : RECOVER_CHUNK;
        ssize_t r = pread(fd, in, want, (off_t)at);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = r < 0 ? -errno : -EIO;
            goto done;
        }
        ZSTD_inBuffer ib = { in, (size_t)r, 0 };
        while (ib.pos < ib.size) {
            ZSTD_outBuffer ob = { out, ZSTD_DStreamOutSize(), 0 };
            size_t ret = ZSTD_decompressStream(dc, &ob, &ib);
            if (ZSTD_isError(ret))
                goto done; /* damaged from here on: keep what came before */
            for (size_t i = 0; i < ob.pos; i++)
                rows += out[i] == '\n';
            if (ob.pos > 0)
                last = out[ob.pos - 1];
            if (ret == 0) {
                /* A frame ended (checksum verified) at this input position. */
                uint64_t frame_end = at + ib.pos;
                if (last != '\n')
                    goto done; /* not ours: a frame that cuts a row */
                *end = frame_end;
                res->frames++;
                res->rows += rows;
                rows = 0;
                ZSTD_DCtx_reset(dc, ZSTD_reset_session_only);
            }
        }
        at += (uint64_t)r;
    }
done:
    ZSTD_freeDCtx(dc);
    free(in);
    free(out);
    return rc;
}

int stats_recover(const char *path, bool zstd, struct stats_recover_result *res, char *err,
                  size_t err_cap)
{
    memset(res, 0, sizeof(*res));
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return stats_fail(err, err_cap, -errno, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return stats_fail(err, err_cap, -EINVAL, "%s: not a regular file", path);
    }
    uint64_t size = (uint64_t)st.st_size, end = 0;
    int rc = zstd ? zstd_end(fd, size, res, &end) : plain_end(fd, size, &end, &res->rows);
    if (rc == 0 && end < size && ftruncate(fd, (off_t)end) != 0)
        rc = -errno;
    /* No whole frame at all: one empty frame, so that the file still
     * decodes (as the sink leaves an empty output). */
    if (rc == 0 && zstd && end == 0) {
        char empty[64];
        ZSTD_CCtx *c = ZSTD_createCCtx();
        size_t n = c != NULL ? ZSTD_compress2(c, empty, sizeof(empty), "", 0) : 0;
        ZSTD_freeCCtx(c);
        if (c == NULL || ZSTD_isError(n))
            rc = STATS_E_ZSTD;
        else if (pwrite(fd, empty, n, 0) != (ssize_t)n)
            rc = -EIO;
        else
            end = n;
    }
    if (rc == 0 && end < size && fsync(fd) != 0)
        rc = -errno;
    close(fd);
    if (rc != 0)
        return stats_fail(err, err_cap, rc, "%s: %s", path, stats_strerror(rc));
    res->kept_bytes = end;
    res->cut_bytes = size > end ? size - end : 0;
    return 0;
}
