/*
 * tests/stats/testutil.h - helpers shared by the stats/ Criterion suites:
 * building records, temporary directories, running external validators
 * (python3 json/csv/jsonschema, the zstd CLI) as child processes.
 */
#ifndef FCRSCAN_TESTS_STATS_TESTUTIL_H
#define FCRSCAN_TESTS_STATS_TESTUTIL_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "packet/addr.h"
#include "stats/record.h"

#define PYTHON "/usr/bin/python3"

/* Wire name from labels given with explicit lengths (labels may hold any byte). */
static inline void tu_name_labels(struct pkt_dns_name *n, const char *const *labels,
                                  const size_t *lens, unsigned nb)
{
    size_t o = 0;
    for (unsigned i = 0; i < nb; i++) {
        cr_assert(lens[i] >= 1 && lens[i] <= 63 && o + 1 + lens[i] + 1 <= PKT_DNS_NAME_MAX);
        n->wire[o++] = (uint8_t)lens[i];
        memcpy(n->wire + o, labels[i], lens[i]);
        o += lens[i];
    }
    n->wire[o++] = 0;
    n->len = (uint8_t)o;
}

/* Wire name from a plain dotted ASCII name (no escapes), e.g. "Mail.Example.NET". */
static inline void tu_name(struct pkt_dns_name *n, const char *dotted)
{
    const char *labels[128];
    size_t lens[128];
    unsigned nb = 0;
    const char *p = dotted;
    while (*p != '\0') {
        const char *dot = strchr(p, '.');
        size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);
        labels[nb] = p;
        lens[nb++] = l;
        p += l;
        if (*p == '.')
            p++;
    }
    tu_name_labels(n, labels, lens, nb);
}

static inline struct pkt_addr tu_addr(const char *text)
{
    struct pkt_addr a;
    memset(&a, 0, sizeof(a));
    int rc = pkt_addr_parse(text, &a);
    cr_assert_eq(rc, 0, "pkt_addr_parse(%s)", text);
    return a;
}

/* A fresh row: the given target, pass-neutral defaults, no names. */
static inline void tu_record(struct stats_record *r, const char *ip)
{
    memset(r, 0, sizeof(*r));
    r->ip = tu_addr(ip);
    r->queries = 1;
    r->ts_ms = 1795683600123LL; /* 2026-11-26T09:00:00.123Z */
}

/* Append a name with status and addresses (NULL-terminated list of texts). */
static inline struct stats_name *tu_add_name(struct stats_record *r, const char *dotted,
                                             unsigned status, const char *const *addrs)
{
    cr_assert(r->nb_names < STATS_NAMES_MAX);
    struct stats_name *n = &r->names[r->nb_names++];
    memset(n, 0, sizeof(*n));
    tu_name(&n->name, dotted);
    n->status = (uint8_t)status;
    for (unsigned i = 0; addrs != NULL && addrs[i] != NULL; i++)
        n->addr[n->nb_addr++] = tu_addr(addrs[i]);
    return n;
}

static char tu_tmpdir_path[512];

static inline int tu_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void tu_tmpdir_cleanup(void)
{
    if (tu_tmpdir_path[0] != '\0')
        nftw(tu_tmpdir_path, tu_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * mkdtemp under $TMPDIR or /tmp, removed with its contents when the test
 * process exits (Criterion runs each test in its own process). One per test.
 */
static inline const char *tu_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tu_tmpdir_path, sizeof(tu_tmpdir_path), "%s/fcrscan-stats-XXXXXX",
             base != NULL ? base : "/tmp");
    cr_assert_not_null(mkdtemp(tu_tmpdir_path), "mkdtemp: %s", strerror(errno));
    atexit(tu_tmpdir_cleanup);
    return tu_tmpdir_path;
}

static inline void tu_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "fopen %s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

/* Whole file into a malloc'd buffer (NUL-terminated); *len gets its size. */
static inline char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "fopen %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    cr_assert_not_null(buf);
    for (;;) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        cap *= 2;
        buf = realloc(buf, cap + 1);
        cr_assert_not_null(buf);
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/*
 * Run argv[0] (an absolute path) with argv; stdout goes to out_path when it
 * is not NULL. Returns the exit status, or -1 when the child did not exit
 * normally.
 */
static inline int tu_run(const char *const *argv, const char *out_path)
{
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        if (out_path != NULL) {
            int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
                _exit(126);
            close(fd);
        }
        /* execv takes char *const[]; copy the pointers instead of casting const away. */
        char *args[16];
        size_t n = 0;
        while (argv[n] != NULL && n < 15) {
            memcpy(&args[n], &argv[n], sizeof(args[n]));
            n++;
        }
        args[n] = NULL;
        execv(args[0], args);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        cr_assert_eq(errno, EINTR);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Run a python3 script given as text, with arguments; returns its exit status. */
static inline int tu_python(const char *script, const char *a1, const char *a2, const char *a3)
{
    const char *argv[] = { PYTHON, "-c", script, a1, a2, a3, NULL };
    return tu_run(argv, NULL);
}

/* Same, stderr discarded: for checks that are expected to fail. */
static inline int tu_python_quiet(const char *script, const char *a1, const char *a2,
                                  const char *a3)
{
    fflush(NULL);
    int saved = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY);
    cr_assert(saved >= 0 && null >= 0);
    dup2(null, STDERR_FILENO);
    close(null);
    int rc = tu_python(script, a1, a2, a3);
    dup2(saved, STDERR_FILENO);
    close(saved);
    return rc;
}

/* The result schema: $FCRSCAN_SCHEMA, else $FCRSCAN_SRCDIR/docs/result.schema.json. */
static inline const char *tu_schema_path(void)
{
    static char path[1024];
    const char *env = getenv("FCRSCAN_SCHEMA");
    if (env != NULL && env[0] != '\0')
        return env;
    const char *src = getenv("FCRSCAN_SRCDIR");
    cr_assert_not_null(src, "set FCRSCAN_SCHEMA or FCRSCAN_SRCDIR (meson test sets the latter)");
    snprintf(path, sizeof(path), "%s/docs/result.schema.json", src);
    cr_assert_eq(access(path, R_OK), 0, "result schema not found at %s", path);
    return path;
}

#endif
