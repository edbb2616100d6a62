/*
 * LD_PRELOAD shim for docs/test-cases.md R06: fsync(2) and fdatasync(2) of
 * one file fail, the way a device that lost the dirty pages reports it.
 *
 *   FCRFAULT_FSYNC_PATH   the file (absolute path, as /proc/self/fd shows it)
 *   FCRFAULT_FSYNC_AFTER  calls on it that succeed first (default 0)
 *   FCRFAULT_FSYNC_ERRNO  errno of the failing calls (default EIO)
 *   FCRFAULT_FSYNC_LOG    one line per call on the file: "fsync SIZE RC ERRNO"
 *                         (SIZE: the file's size at the call)
 *
 * Every call on the file after the first failure fails too, so that a
 * retry cannot pass for durability; the log shows whether one was made.
 * Calls on other files pass through.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *target;
static long after;
static int fail_errno = EIO;
static int log_fd = -1;
static atomic_long calls;

__attribute__((constructor)) static void fsyncfail_init(void)
{
    target = getenv("FCRFAULT_FSYNC_PATH");
    const char *a = getenv("FCRFAULT_FSYNC_AFTER");
    const char *e = getenv("FCRFAULT_FSYNC_ERRNO");
    const char *l = getenv("FCRFAULT_FSYNC_LOG");
    after = a != NULL ? atol(a) : 0;
    if (e != NULL)
        fail_errno = atoi(e);
    if (l != NULL)
        log_fd = open(l, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

static int is_target(int fd)
{
    char link[64], path[4096];
    if (target == NULL)
        return 0;
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof(path) - 1);
    if (n < 0)
        return 0;
    path[n] = '\0';
    return strcmp(path, target) == 0;
}

static int fake(int fd, const char *name, int (*real)(int))
{
    if (!is_target(fd))
        return real(fd);
    long n = atomic_fetch_add(&calls, 1) + 1;
    int rc = 0, err = 0;
    if (n > after) {
        rc = -1;
        err = fail_errno;
    } else {
        rc = real(fd);
        err = rc != 0 ? errno : 0;
    }
    if (log_fd >= 0) {
        struct stat st;
        char line[128];
        int len = snprintf(line, sizeof(line), "%s %lld %d %d\n", name,
                           fstat(fd, &st) == 0 ? (long long)st.st_size : -1LL, rc, err);
        if (write(log_fd, line, (size_t)len) < 0) {
            /* nothing to do: the log is best effort */
        }
    }
    errno = err;
    return rc;
}

int fsync(int fd)
{
    static int (*real)(int);
    if (real == NULL)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return fake(fd, "fsync", real);
}

int fdatasync(int fd)
{
    static int (*real)(int);
    if (real == NULL)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    return fake(fd, "fdatasync", real);
}
