/*
 * scanner/cli/datadir.c - where the pinned data files are (cli.h,
 * cli_data_dir): an installed tree finds them relative to its binary.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcrscan_config.h"
#include "scanner/cli/cli.h"

const char *const cli_data_files[2] = { "public_suffix_list.dat", "provider-patterns.tsv" };

static bool data_dir_has_files(const char *dir)
{
    char path[PATH_MAX];
    for (size_t i = 0; i < 2; i++) {
        if (snprintf(path, sizeof(path), "%s/%s", dir, cli_data_files[i]) >= (int)sizeof(path) ||
            access(path, R_OK) != 0)
            return false;
    }
    return true;
}

/* See cli.h. A given folder must hold the files: never a silent fallback. */
int cli_data_dir(const char *opt, char *dir, size_t cap, char *err, size_t err_len)
{
    const char *given = opt != NULL ? opt : getenv("FCRSCAN_DATADIR");
    if (given != NULL && given[0] != '\0') {
        if (!data_dir_has_files(given)) {
            snprintf(err, err_len, "%s %.200s does not hold %s and %s",
                     opt != NULL ? "--data-dir" : "FCRSCAN_DATADIR", given, cli_data_files[0],
                     cli_data_files[1]);
            return -EINVAL;
        }
        snprintf(dir, cap, "%s", given);
        return 0;
    }
    char exe[PATH_MAX], bindir[PATH_MAX];
    char tried[2][PATH_MAX] = { "", "" };
    if (realpath("/proc/self/exe", exe) != NULL) {
        snprintf(bindir, sizeof(bindir), "%s", exe);
        char *slash = strrchr(bindir, '/');
        if (slash != NULL)
            *slash = '\0';
        const char *rel = FCRSCAN_DATADIR_FROM_BIN;
        if (rel[0] == '/')
            snprintf(tried[0], sizeof(tried[0]), "%s", rel);
        else if (snprintf(tried[0], sizeof(tried[0]), "%s/%s", bindir, rel) >=
                 (int)sizeof(tried[0]))
            tried[0][0] = '\0';
        char canon[PATH_MAX];
        if (tried[0][0] != '\0' && data_dir_has_files(tried[0])) {
            snprintf(dir, cap, "%s", realpath(tried[0], canon) != NULL ? canon : tried[0]);
            return 0;
        }
        char build[PATH_MAX];
        size_t bl;
        if (realpath(FCRSCAN_BUILDDIR, build) != NULL && (bl = strlen(build)) > 0 &&
            strncmp(exe, build, bl) == 0 && exe[bl] == '/') {
            snprintf(tried[1], sizeof(tried[1]), "%s", FCRSCAN_SRCDATADIR);
            if (data_dir_has_files(tried[1])) {
                snprintf(dir, cap, "%s", tried[1]);
                return 0;
            }
        }
    }
    snprintf(err, err_len,
             "cannot find the data files (%s, %s) in %.100s%s%.100s; give --data-dir DIR",
             cli_data_files[0], cli_data_files[1], tried[0][0] ? tried[0] : "(no install location)",
             tried[1][0] ? " or " : "", tried[1]);
    return -ENOENT;
}
