/*
 * LD_PRELOAD shim for docs/test-cases.md R11: the Nth allocation of the
 * process fails (returns NULL with ENOMEM), once.
 *
 *   FCRFAULT_MALLOC_FAIL  N (1-based); 0 or unset: count only
 *   FCRFAULT_MALLOC_LOG   file: "failed N SIZE" when the failure is injected,
 *                         and "calls N" at a normal exit
 *
 * malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign and
 * valloc are counted alike (one counter, all threads), including the C
 * library's own calls (stdio buffers, pthread, getpwnam). The real
 * allocator is glibc's, reached through its __libc_ entry points, so the
 * shim itself never allocates.
 *
 * Inside regcomp(3) only its first allocation is counted (and can fail):
 * glibc's regcomp double-frees when a later one fails (re_dfa_add_node
 * frees the arrays it reallocated while the DFA still points at the old
 * ones; seen with Debian's 2.36-9+deb12u14, which already carries the
 * CVE-2025-8058 fix), and that is glibc's bug, not the caller's. The first
 * one still exercises the caller's handling of REG_ESPACE.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static long fail_at;
static int log_fd = -1;
static atomic_long count;
static atomic_int ready;
static _Thread_local int in_regcomp; /* 0 outside; 1 + allocations made inside */

__attribute__((constructor)) static void failmalloc_init(void)
{
    const char *n = getenv("FCRFAULT_MALLOC_FAIL");
    const char *l = getenv("FCRFAULT_MALLOC_LOG");
    fail_at = n != NULL ? atol(n) : 0;
    if (l != NULL)
        log_fd = open(l, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    atomic_store(&ready, 1);
}

__attribute__((destructor)) static void failmalloc_fini(void)
{
    if (log_fd >= 0) {
        char line[64];
        int len = snprintf(line, sizeof(line), "calls %ld\n", atomic_load(&count));
        if (write(log_fd, line, (size_t)len) < 0) {
            /* best effort */
        }
    }
}

/* Count one allocation; true when this one must fail. */
static int must_fail(size_t size)
{
    if (!atomic_load(&ready))
        return 0;
    if (in_regcomp > 0 && in_regcomp++ > 1)
        return 0;
    long n = atomic_fetch_add(&count, 1) + 1;
    if (fail_at <= 0 || n != fail_at)
        return 0;
    if (log_fd >= 0) {
        char line[64];
        int len = snprintf(line, sizeof(line), "failed %ld %zu\n", n, size);
        if (write(log_fd, line, (size_t)len) < 0) {
            /* best effort */
        }
    }
    errno = ENOMEM;
    return 1;
}

void *malloc(size_t size)
{
    return must_fail(size) ? NULL : __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    return must_fail(n * size) ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    return must_fail(size) ? NULL : __libc_realloc(p, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    if (must_fail(size))
        return ENOMEM;
    void *p = __libc_memalign(align, size);
    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t size)
{
    return must_fail(size) ? NULL : __libc_memalign(align, size);
}

void *memalign(size_t align, size_t size)
{
    return must_fail(size) ? NULL : __libc_memalign(align, size);
}

void *valloc(size_t size)
{
    return must_fail(size) ? NULL : __libc_memalign((size_t)sysconf(_SC_PAGESIZE), size);
}

int regcomp(regex_t *preg, const char *pattern, int cflags)
{
    static int (*real)(regex_t *, const char *, int);
    if (real == NULL)
        real = (int (*)(regex_t *, const char *, int))dlsym(RTLD_NEXT, "regcomp");
    in_regcomp = 1;
    int rc = real(preg, pattern, cflags);
    in_regcomp = 0;
    return rc;
}
