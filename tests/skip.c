/*
 * tests/skip.c - stands in for a suite this build cannot run: prints
 * "SKIP NAME: REASON" (its arguments) and exits 77, which meson records as
 * SKIP, so a missing suite shows in the summary instead of vanishing.
 *
 *   skip NAME REASON
 */
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: skip NAME REASON\n");
        return 2;
    }
    fprintf(stderr, "SKIP %s: %s\n", argv[1], argv[2]);
    return 77;
}
