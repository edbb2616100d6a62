/*
 * S01 (docs/test-cases.md S01): after scan_privs_drop, /proc/self/status
 * shows no way back to root: Uid and Gid non-zero in all four slots (real,
 * effective, saved, filesystem), Groups empty, CapEff, CapPrm and CapBnd 0,
 * NoNewPrivs 1, and setuid(0) fails.
 *
 * The status file separates fields with tabs ("Uid:\t0\t1000\t1000\t1000");
 * the checker splits them into numbers and looks at every slot. It is
 * tested on its own on hand-written status texts (no root needed), so a
 * checker that cannot see a saved gid of 0 fails here, not silently in CI.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scanner/privs.h"

/* The whitespace-separated fields after "Key:" on its line of status, as
 * unsigned numbers in base (10 or 16). Returns how many were read (at most
 * cap), or -1 when the key is missing or a field is not a number. */
static int status_numbers(const char *status, const char *key, int base, uint64_t *out, int cap)
{
    size_t kl = strlen(key);
    for (const char *line = status; *line != '\0';) {
        const char *end = strchr(line, '\n');
        if (end == NULL)
            end = line + strlen(line);
        if ((size_t)(end - line) > kl && strncmp(line, key, kl) == 0 && line[kl] == ':') {
            int n = 0;
            const char *p = line + kl + 1;
            for (;;) {
                while (p < end && (*p == ' ' || *p == '\t'))
                    p++;
                if (p == end)
                    return n;
                if (n == cap ||
                    !(base == 16 ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p)))
                    return -1;
                char *q;
                errno = 0;
                unsigned long long v = strtoull(p, &q, base);
                if (q == p || q > end || errno != 0 || (q < end && *q != ' ' && *q != '\t'))
                    return -1;
                out[n++] = v;
                p = q;
            }
        }
        line = *end == '\n' ? end + 1 : end;
    }
    return -1;
}

/* Every S01 condition on a status text: NULL when all hold, else a
 * description of the first one that does not (static storage). */
static const char *s01_violation(const char *status)
{
    static char why[160];
    uint64_t v[8];
    int n;
    static const char *const ids[] = { "Uid", "Gid" };
    static const char *const slot[] = { "real", "effective", "saved", "filesystem" };
    for (unsigned k = 0; k < 2; k++) {
        n = status_numbers(status, ids[k], 10, v, 8);
        if (n != 4) {
            snprintf(why, sizeof(why), "%s: %d fields, want 4", ids[k], n);
            return why;
        }
        for (int i = 0; i < 4; i++) {
            if (v[i] == 0) {
                snprintf(why, sizeof(why), "%s: %s id is 0", ids[k], slot[i]);
                return why;
            }
        }
    }
    n = status_numbers(status, "Groups", 10, v, 8);
    if (n != 0) {
        snprintf(why, sizeof(why), "Groups: %d supplementary groups (or unreadable), want none", n);
        return why;
    }
    static const char *const caps[] = { "CapEff", "CapPrm", "CapBnd" };
    for (unsigned k = 0; k < 3; k++) {
        n = status_numbers(status, caps[k], 16, v, 1);
        if (n != 1 || v[0] != 0) {
            snprintf(why, sizeof(why), "%s: %s", caps[k],
                     n == 1 ? "capabilities left" : "missing or malformed");
            return why;
        }
    }
    n = status_numbers(status, "NoNewPrivs", 10, v, 1);
    if (n != 1 || v[0] != 1) {
        snprintf(why, sizeof(why), "NoNewPrivs: not 1");
        return why;
    }
    return NULL;
}

/* Status of a process dropped as S01 wants (the fields the checker reads,
 * in the kernel's format); the table below breaks one slot at a time. */
#define GOOD_STATUS(uid, gid, groups, eff, prm, bnd, nnp)                                \
    "Name:\tfcrscan\nUmask:\t0022\nState:\tR (running)\nUid:\t" uid "\nGid:\t" gid       \
    "\nFDSize:\t64\nGroups:\t" groups "\nCapInh:\t0000000000000000\nCapPrm:\t" prm       \
    "\nCapEff:\t" eff "\nCapBnd:\t" bnd "\nCapAmb:\t0000000000000000\nNoNewPrivs:\t" nnp \
    "\nSeccomp:\t0\n"
#define Z16 "0000000000000000"
#define ALL "000001ffffffffff"
#define U   "65534\t65534\t65534\t65534"

Test(scan_privs, checker_accepts_a_clean_drop)
{
    const char *st = GOOD_STATUS(U, U, "", Z16, Z16, Z16, "1");
    const char *why = s01_violation(st);
    cr_assert_null(why, "%s", why);
}

Test(scan_privs, checker_sees_a_zero_in_any_slot_and_any_privilege_left)
{
    static const struct {
        const char *status, *want;
    } cases[] = {
        { GOOD_STATUS("0\t65534\t65534\t65534", U, "", Z16, Z16, Z16, "1"), "Uid: real" },
        { GOOD_STATUS("65534\t0\t65534\t65534", U, "", Z16, Z16, Z16, "1"), "Uid: effective" },
        { GOOD_STATUS("65534\t65534\t0\t65534", U, "", Z16, Z16, Z16, "1"), "Uid: saved" },
        { GOOD_STATUS("65534\t65534\t65534\t0", U, "", Z16, Z16, Z16, "1"), "Uid: filesystem" },
        { GOOD_STATUS(U, "0\t65534\t65534\t65534", "", Z16, Z16, Z16, "1"), "Gid: real" },
        { GOOD_STATUS(U, "65534\t0\t65534\t65534", "", Z16, Z16, Z16, "1"), "Gid: effective" },
        { GOOD_STATUS(U, "65534\t65534\t0\t65534", "", Z16, Z16, Z16, "1"), "Gid: saved" },
        { GOOD_STATUS(U, "65534\t65534\t65534\t0", "", Z16, Z16, Z16, "1"), "Gid: filesystem" },
        { GOOD_STATUS(U, "65534\t65534\t65534", "", Z16, Z16, Z16, "1"), "Gid: 3 fields" },
        { GOOD_STATUS(U, U, "0 ", Z16, Z16, Z16, "1"), "Groups" },
        { GOOD_STATUS(U, U, "27 65534 ", Z16, Z16, Z16, "1"), "Groups" },
        { GOOD_STATUS(U, U, "", "0000000000002000", Z16, Z16, "1"), "CapEff" },
        { GOOD_STATUS(U, U, "", Z16, "0000000000002000", Z16, "1"), "CapPrm" },
        { GOOD_STATUS(U, U, "", Z16, Z16, ALL, "1"), "CapBnd" },
        { GOOD_STATUS(U, U, "", Z16, Z16, Z16, "0"), "NoNewPrivs" },
        { "Name:\tfcrscan\nUid:\t" U "\nGid:\t" U "\nGroups:\t\n", "CapEff: missing" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *why = s01_violation(cases[i].status);
        cr_assert_not_null(why, "case %zu (%s) not caught", i, cases[i].want);
        cr_assert_not_null(strstr(why, cases[i].want), "case %zu: %s, want %s", i, why,
                           cases[i].want);
    }
}

static int read_status(char *buf, size_t cap)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    int bad = ferror(f) || n == cap - 1;
    fclose(f);
    buf[n] = '\0';
    return bad ? -1 : 0;
}

/* Runs in a child: writes what went wrong (nothing when every S01
 * condition holds) to fd, exits 0 only when all hold. */
static int child_checks(int fd)
{
    char err[256], status[8192];
    const char *why = NULL;
    /* Start with supplementary groups (root here may have none), so that
     * dropping them is part of what is checked. */
    static const gid_t groups[] = { 0, 4 };
    if (setgroups(2, groups) != 0)
        why = "setgroups before the drop failed";
    else if (scan_privs_drop("nobody", err, sizeof(err)) != 0)
        why = err;
    else if (read_status(status, sizeof(status)) != 0)
        why = "cannot read /proc/self/status";
    else if ((why = s01_violation(status)) != NULL)
        ;
    else if (setuid(0) == 0)
        why = "setuid(0) works";
    if (why == NULL)
        return 0;
    (void)!write(fd, why, strlen(why));
    return 1;
}

Test(scan_privs, root_drops_to_nobody_without_capabilities)
{
    if (geteuid() != 0)
        cr_skip_test("needs root (CI runs as root)");
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(p[0]);
        _exit(child_checks(p[1]));
    }
    close(p[1]);
    char why[512] = "";
    ssize_t n = read(p[0], why, sizeof(why) - 1);
    why[n > 0 ? n : 0] = '\0';
    close(p[0]);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "S01 after the drop: %s", why);
}

Test(scan_privs, unknown_user_is_an_error)
{
    if (geteuid() != 0)
        cr_skip_test("needs root (CI runs as root)");
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        char err[256];
        int rc = scan_privs_drop("no-such-user-fcrscan", err, sizeof(err));
        _exit(rc != 0 && strstr(err, "no-such-user-fcrscan") != NULL && getuid() == 0 ? 0 : 1);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert_eq(WEXITSTATUS(st), 0);
}
