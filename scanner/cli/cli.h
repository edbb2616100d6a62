/*
 * scanner/cli/cli.h - the command line: commands and their options, each
 * defined once in a table that drives parsing, --help, the summary's
 * config and (through --help) the man page check (scripts/check-help).
 *
 * The CLI sits above the scanner library: files here may include anything
 * in scanner/, stats/ and packet/; nothing there includes these headers.
 * Threading: main thread only. Memory: nothing allocated by the parser.
 * Untrusted input: the arguments (bounded echo in messages: docs/test-cases.md S05).
 */
#ifndef FCRSCAN_SCANNER_CLI_CLI_H
#define FCRSCAN_SCANNER_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stats/summary.h"

#define CLI_EXIT_RUNTIME     1
#define CLI_EXIT_USAGE       2
#define CLI_EXIT_INTERRUPTED 3
#define CLI_OPTS_MAX         64 /* options per command */
#define CLI_LIST_MAX         64 /* values of a repeatable option */
#define CLI_ARG_ECHO_MAX     80 /* bytes of a bad argument echoed in messages (S05) */

/* A repeatable option's values, in the order given (borrowed from argv). */
struct cli_list {
    const char *v[CLI_LIST_MAX];
    unsigned n;
};

enum cli_kind {
    CLI_FLAG,    /* bool, set by the option */
    CLI_UINT,    /* unsigned in [min, max] */
    CLI_U64,     /* uint64_t in [min, max] */
    CLI_SECONDS, /* double > 0 and <= max */
    CLI_STR,     /* const char *, the argument itself */
    CLI_LIST,    /* struct cli_list, repeatable */
    CLI_FN,      /* parsed by fn */
    CLI_HELP,    /* print the command's help, exit 0 */
};

enum cli_opt_flags {
    CLI_RAW = 1u << 0,        /* an option of the raw engines only */
    CLI_NO_SUMMARY = 1u << 1, /* not part of the summary's config */
};

/* One option. Field values live in the command's options struct at off. */
struct cli_opt {
    const char *name; /* long name, without "--" */
    char short_name;  /* or 0 */
    const char *arg;  /* argument name in --help ("FILE"); NULL for a flag */
    const char *help; /* --help text; '\n' continues on the next line */
    enum cli_kind kind;
    size_t off;        /* offsetof the field */
    uint64_t min, max; /* CLI_UINT, CLI_U64 (and max for CLI_SECONDS) */
    const char *def;   /* default, parsed like an argument before argv; or NULL */
    /* CLI_FN: parse arg into opts; returns 0 or a message (a usage error). */
    const char *(*fn)(void *opts, const char *arg);
    /* Summary: the value as the config member named key (CLI_FN: fn_summary
     * renders it; NULL skips). Returns 0 or negative (out of memory). */
    int (*fn_summary)(struct stats_summary *sum, const char *key, const void *opts);
    const char *key; /* config key in the summary; NULL = name with '-' as '_' */
    unsigned flags;  /* enum cli_opt_flags */
};

/* One command: "fcrscan NAME ...". */
struct cli_command {
    const char *name;
    const char *synopsis; /* after "fcrscan NAME " in the usage line */
    const char *about;    /* what it does, a few lines */
    const char *epilog;   /* after the options, or NULL */
    const struct cli_opt *opts;
    size_t nb_opts;
    /* argv[0] is the command name (or the program's, for the default
     * command). Returns the exit status. NULL: not available in this
     */
    int (*run)(const struct cli_command *cmd, int argc, char **argv);
    bool unavailable; /* a home for a command not in this version (run exits 2) */
};

/* Every command, in the order --help lists them (main.c). */
extern const struct cli_command *const cli_commands[];
extern const size_t cli_nb_commands;

/* Print "fcrscan: what: 'arg'" (arg bounded, never a format) and the help
 * hint for cmd on stderr. Returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_command *cmd, const char *what, const char *arg);

/*
 * Parse argv[1..argc) for cmd into opts (its options struct, zeroed by the
 * caller): defaults first, then every option; arguments that are not
 * options are moved to the end, starting at *first (getopt's permutation).
 * *given gets bit i set for each option i that was given. Returns 0, or an
 * exit status after printing the message (or the help: status -1, meaning
 * "exit 0 now").
 */
int cli_parse(const struct cli_command *cmd, int argc, char **argv, void *opts, int *first,
              uint64_t *given);

/* The command's --help text on out. */
void cli_help(const struct cli_command *cmd, FILE *out);

/* Add every option's effective value of opts to the summary's config
 * (CLI_RAW options only when raw). Returns 0 or negative. */
int cli_summary_config(struct stats_summary *sum, const struct cli_command *cmd, const void *opts,
                       bool raw);

/* Number text helpers: strict decimal (no sign, no spaces), in [min, max]. */
bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* The scan command (scan_cmd.c), the default one, and its run. */
extern const struct cli_command cli_scan_command;
int cli_scan_run(const struct cli_command *cmd, int argc, char **argv);
/* The recover command's work on one file (main.c); returns the exit status. */
int cli_recover_file(const char *path);

/*
 * The data folder (public suffix list, provider patterns): opt (--data-dir)
 * or $FCRSCAN_DATADIR, which must hold the files; else PREFIX/share/fcrscan
 * relative to this binary; else, for a binary in its build tree, the source
 * tree's data/. Returns 0 with dir set; -EINVAL (a given folder lacks the
 * files) or -ENOENT (none found), with err saying where it looked.
 */
int cli_data_dir(const char *opt, char *dir, size_t cap, char *err, size_t err_len);
/* The data files' names, [0] the public suffix list, [1] the patterns. */
extern const char *const cli_data_files[2];

#endif
