/*
 * fcrscan: the commands (docs/usage.md and docs/fcrscan.1 document them).
 *
 * "fcrscan COMMAND ..." runs that command; anything else (a target, an
 * option, nothing) is the scan command, so command lines without a command
 * name keep working. Each command has its own options table and --help.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "scanner/cli/cli.h"
#include "stats/recover.h"
#include "stats/writer.h"
#include "stats/zsink.h"

/* ---- recover ------------------------------------------------------------ */

int cli_recover_file(const char *path)
{
    enum stats_format fmt;
    bool zstd = false;
    char err[STATS_SINK_ERR_MAX];
    if (stats_writer_format_from_path(path, &fmt, &zstd, err, sizeof(err)) != 0)
        return cli_usage_error(NULL, err, NULL);
    struct stats_recover_result r;
    if (stats_recover(path, zstd, &r, err, sizeof(err)) != 0) {
        fprintf(stderr, "fcrscan: recover: %s\n", err);
        return CLI_EXIT_RUNTIME;
    }
    fprintf(stderr,
            "fcrscan: %s: %" PRIu64 " whole rows kept (%" PRIu64 " octets), %" PRIu64
            " octets of torn tail cut\n",
            path, r.rows, r.kept_bytes, r.cut_bytes);
    return 0;
}

struct no_opts {
    bool unused;
};

static const struct cli_opt help_only[] = {
    { .name = "help", .short_name = 'h', .kind = CLI_HELP, .help = "this text" },
};

static int recover_run(const struct cli_command *cmd, int argc, char **argv)
{
    struct no_opts o;
    int first;
    uint64_t given;
    int rc = cli_parse(cmd, argc, argv, &o, &first, &given);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (argc - first != 1)
        return cli_usage_error(cmd, "recover takes exactly one FILE", NULL);
    return cli_recover_file(argv[first]);
}

/* A command whose home exists but whose work is not in this version. */
static int unavailable_run(const struct cli_command *cmd, int argc, char **argv)
{
    struct no_opts o;
    int first;
    uint64_t given;
    int rc = cli_parse(cmd, argc, argv, &o, &first, &given);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    fprintf(stderr, "fcrscan: %s is not available in this version\n", cmd->name);
    return CLI_EXIT_USAGE;
}

#define HELP_ONLY .opts = help_only, .nb_opts = 1

static const struct cli_command recover_command = {
    .name = "recover",
    .synopsis = "FILE",
    .about = "Cut an output torn by a crash back to its last whole row (zstd: its last whole,\n"
             "checksum-verified frame ending at a row boundary; an empty frame if none).\n"
             "A whole file is left as it is. Nothing is scanned.\n",
    .epilog = "Exit status: 0 done; 1 the file could not be read or cut; 2 usage error.\n",
    HELP_ONLY,
    .run = recover_run,
};

static const struct cli_command walk_command = {
    .name = "walk",
    .synopsis = "PREFIX",
    .about = "Enumerate the PTR records under an IPv6 (or IPv4) prefix by NXDOMAIN pruning\n"
             "(RFC 8020). Not available in this version: exits 2.\n",
    HELP_ONLY,
    .run = unavailable_run,
    .unavailable = true,
};

static const struct cli_command report_command = {
    .name = "report",
    .synopsis = "RESULTS... -o FILE.html",
    .about = "A report a person reads, from result files. Not available in this version:\n"
             "exits 2.\n",
    HELP_ONLY,
    .run = unavailable_run,
    .unavailable = true,
};

static const struct cli_command diff_command = {
    .name = "diff",
    .synopsis = "OLD NEW",
    .about = "What changed between two scans of the same targets. Not available in this\n"
             "version: exits 2.\n",
    HELP_ONLY,
    .run = unavailable_run,
    .unavailable = true,
};

static const struct cli_command merge_command = {
    .name = "merge",
    .synopsis = "[-o OUT] [--check] SHARD...",
    .about = "Merge shard outputs into one row per target. Not available in this version:\n"
             "exits 2.\n",
    HELP_ONLY,
    .run = unavailable_run,
    .unavailable = true,
};

const struct cli_command *const cli_commands[] = {
    &cli_scan_command, &recover_command, &walk_command,
    &report_command,   &diff_command,    &merge_command,
};
const size_t cli_nb_commands = sizeof(cli_commands) / sizeof(cli_commands[0]);

int main(int argc, char **argv)
{
    if (argc > 1) {
        for (size_t i = 0; i < cli_nb_commands; i++)
            if (strcmp(argv[1], cli_commands[i]->name) == 0)
                return cli_commands[i]->run(cli_commands[i], argc - 1, argv + 1);
    }
    return cli_scan_command.run(&cli_scan_command, argc, argv);
}
