/*
 * scanner/privs.h - giving up privileges once the raw engines are set up.
 *
 * Purpose: a raw engine needs root or CAP_NET_RAW to open its port; nothing
 * after that does. This drops to an unprivileged user and clears every
 * capability, so a bug in the packet path cannot be turned into root
 * (docs/test-cases.md S01-S02). Threading: call from the main thread
 * before the scan threads start (capabilities are per thread; threads
 * created later inherit the dropped state). Not on the hot path.
 */
#ifndef FCRSCAN_SCANNER_PRIVS_H
#define FCRSCAN_SCANNER_PRIVS_H

#include <stddef.h>

/*
 * Started as root (any of the real/effective/saved IDs 0): switch every ID
 * to user's (getpwnam), drop supplementary groups, empty the capability
 * bounding set, clear all capabilities, set no_new_privs, and check that
 * setuid(0) now fails. Started as another user (file capabilities): clear
 * the capabilities and set no_new_privs. Returns 0, or a negative errno
 * with a message in err naming the step that failed; the caller must abort
 * the run then.
 */
__attribute__((warn_unused_result)) int scan_privs_drop(const char *user, char *err,
                                                        size_t err_len);

#endif
