/* Dropping privileges; see privs.h. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "scanner/privs.h"

static int fail(char *err, size_t err_len, const char *step)
{
    int rc = errno != 0 ? -errno : -EPERM;
    snprintf(err, err_len, "dropping privileges: %s: %s", step, strerror(-rc));
    return rc;
}

/* Clear effective, permitted and inheritable sets of this thread. */
static int clear_caps(void)
{
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    memset(data, 0, sizeof(data));
    return (int)syscall(SYS_capset, &hdr, data);
}

int scan_privs_drop(const char *user, char *err, size_t err_len)
{
    uid_t ruid, euid, suid;
    if (getresuid(&ruid, &euid, &suid) != 0)
        return fail(err, err_len, "getresuid");
    bool root = ruid == 0 || euid == 0 || suid == 0;

    if (root) {
        errno = 0;
        struct passwd *pw = getpwnam(user);
        if (pw == NULL) {
            snprintf(err, err_len, "dropping privileges: no user '%s'", user);
            return errno != 0 ? -errno : -ENOENT;
        }
        if (pw->pw_uid == 0 || pw->pw_gid == 0) {
            snprintf(err, err_len, "dropping privileges: user '%s' is root", user);
            return -EINVAL;
        }
        uid_t uid = pw->pw_uid;
        gid_t gid = pw->pw_gid;
        /* The bounding set can only shrink while CAP_SETPCAP is held. */
        for (int cap = 0; cap <= 63; cap++) {
            if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
                return fail(err, err_len, "PR_CAPBSET_DROP");
        }
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
            return fail(err, err_len, "PR_SET_KEEPCAPS");
        if (setgroups(0, NULL) != 0)
            return fail(err, err_len, "setgroups");
        if (setresgid(gid, gid, gid) != 0)
            return fail(err, err_len, "setresgid");
        if (setresuid(uid, uid, uid) != 0)
            return fail(err, err_len, "setresuid");
    }
    if (clear_caps() != 0)
        return fail(err, err_len, "capset");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return fail(err, err_len, "PR_SET_NO_NEW_PRIVS");
    if (root) {
        /* Belt and braces: getting root back must be impossible now. */
        if (setuid(0) == 0 || seteuid(0) == 0) {
            snprintf(err, err_len, "dropping privileges: setuid(0) still works");
            return -EPERM;
        }
        /* All three IDs of each kind: a saved ID of 0 is a way back. */
        gid_t rgid, egid, sgid;
        if (getresuid(&ruid, &euid, &suid) != 0 || getresgid(&rgid, &egid, &sgid) != 0)
            return fail(err, err_len, "getresuid/getresgid");
        if (ruid == 0 || euid == 0 || suid == 0 || rgid == 0 || egid == 0 || sgid == 0) {
            snprintf(err, err_len, "dropping privileges: a user or group ID is still 0");
            return -EPERM;
        }
    }
    return 0;
}
