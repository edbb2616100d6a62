/* S01: after scan_privs_drop, /proc/self/status shows no way back to root. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scanner/privs.h"

/* Value of "Key:" in /proc/self/status, whitespace collapsed. */
static int status_field(const char *key, char *out, size_t cap)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[512];
    size_t kl = strlen(key);
    int rc = -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            char *p = line + kl + 1;
            size_t n = 0;
            for (; *p != '\0' && *p != '\n' && n + 1 < cap; p++)
                if (*p != '\t' && !(*p == ' ' && (n == 0 || out[n - 1] == ' ')))
                    out[n++] = *p == '\t' ? ' ' : *p;
            out[n] = '\0';
            rc = 0;
            break;
        }
    }
    fclose(f);
    return rc;
}

/* Runs in a child: 0 when every S01 condition holds, else the failed one. */
static int child_checks(void)
{
    char err[256], v[256];
    if (scan_privs_drop("nobody", err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 10;
    }
    if (status_field("Uid", v, sizeof(v)) != 0 || strstr(v, "0 ") == v || strstr(v, " 0"))
        return 11;
    if (status_field("Gid", v, sizeof(v)) != 0 || strstr(v, "0 ") == v || strstr(v, " 0"))
        return 12;
    if (status_field("Groups", v, sizeof(v)) != 0 || v[0] != '\0')
        return 13;
    const char *zero = "0000000000000000";
    if (status_field("CapEff", v, sizeof(v)) != 0 || strcmp(v, zero) != 0)
        return 14;
    if (status_field("CapPrm", v, sizeof(v)) != 0 || strcmp(v, zero) != 0)
        return 15;
    if (status_field("CapBnd", v, sizeof(v)) != 0 || strcmp(v, zero) != 0)
        return 16;
    if (status_field("NoNewPrivs", v, sizeof(v)) != 0 || strcmp(v, "1") != 0)
        return 17;
    if (setuid(0) == 0)
        return 18;
    return 0;
}

Test(scan_privs, root_drops_to_nobody_without_capabilities)
{
    if (geteuid() != 0)
        cr_skip_test("needs root (CI runs as root)");
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0)
        _exit(child_checks());
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st));
    cr_assert_eq(WEXITSTATUS(st), 0, "S01 check %d failed", WEXITSTATUS(st));
}

Test(scan_privs, unknown_user_is_an_error)
{
    if (geteuid() != 0)
        cr_skip_test("needs root");
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
