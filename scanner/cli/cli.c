/*
 * scanner/cli/cli.c - the table-driven option parser, --help and the
 * summary's config (cli.h).
 *
 * getopt_long does the scanning: its long and short option arrays are
 * generated from the command's table, so an option exists exactly when it
 * has a row, and --help lists exactly the rows.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/cli/cli.h"

#define HELP_COLUMN 29 /* where option descriptions start in --help */

int cli_usage_error(const struct cli_command *cmd, const char *what, const char *arg)
{
    if (arg != NULL) {
        size_t n = strlen(arg);
        fprintf(stderr, "fcrscan: %s: '%.*s%s'\n", what,
                (int)(n > CLI_ARG_ECHO_MAX ? CLI_ARG_ECHO_MAX : n), arg,
                n > CLI_ARG_ECHO_MAX ? "..." : "");
    } else {
        fprintf(stderr, "fcrscan: %s\n", what);
    }
    if (cmd != NULL && cmd != &cli_scan_command)
        fprintf(stderr, "Try 'fcrscan %s --help'.\n", cmd->name);
    else
        fprintf(stderr, "Try 'fcrscan --help'.\n");
    return CLI_EXIT_USAGE;
}

bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static void *field(void *opts, const struct cli_opt *o)
{
    return (char *)opts + o->off;
}

static const void *cfield(const void *opts, const struct cli_opt *o)
{
    return (const char *)opts + o->off;
}

/* Store arg for option o. Returns 0 or an exit status (message printed). */
static int apply(const struct cli_command *cmd, const struct cli_opt *o, const char *arg,
                 void *opts)
{
    char what[160];
    uint64_t v;
    switch (o->kind) {
    case CLI_FLAG:
        *(bool *)field(opts, o) = true;
        return 0;
    case CLI_UINT:
    case CLI_U64:
        if (!cli_parse_u64(arg, o->min, o->max, &v)) {
            snprintf(what, sizeof(what), "--%s takes %s, %llu..%llu", o->name, o->arg,
                     (unsigned long long)o->min, (unsigned long long)o->max);
            return cli_usage_error(cmd, what, arg);
        }
        if (o->kind == CLI_UINT)
            *(unsigned *)field(opts, o) = (unsigned)v;
        else
            *(uint64_t *)field(opts, o) = v;
        return 0;
    case CLI_SECONDS: {
        char *end;
        errno = 0;
        double d = strtod(arg, &end);
        if (errno != 0 || end == arg || *end != '\0' || !(d > 0) || d > (double)o->max) {
            snprintf(what, sizeof(what), "--%s takes seconds (> 0, at most %llu)", o->name,
                     (unsigned long long)o->max);
            return cli_usage_error(cmd, what, arg);
        }
        *(double *)field(opts, o) = d;
        return 0;
    }
    case CLI_STR:
        *(const char **)field(opts, o) = arg;
        return 0;
    case CLI_LIST: {
        struct cli_list *l = field(opts, o);
        if (l->n == CLI_LIST_MAX) {
            snprintf(what, sizeof(what), "too many --%s (%d at most)", o->name, CLI_LIST_MAX);
            return cli_usage_error(cmd, what, NULL);
        }
        l->v[l->n++] = arg;
        return 0;
    }
    case CLI_FN: {
        const char *err = o->fn(opts, arg);
        return err != NULL ? cli_usage_error(cmd, err, arg) : 0;
    }
    case CLI_HELP:
        cli_help(cmd, stdout);
        return -1;
    }
    return CLI_EXIT_USAGE;
}

int cli_parse(const struct cli_command *cmd, int argc, char **argv, void *opts, int *first,
              uint64_t *given)
{
    struct option longs[CLI_OPTS_MAX + 1];
    char shorts[2 + 2 * CLI_OPTS_MAX + 1];
    size_t ns = 0;
    _Static_assert(CLI_OPTS_MAX <= 64, "given is a 64-bit mask");
    if (cmd->nb_opts > CLI_OPTS_MAX)
        return cli_usage_error(cmd, "internal: too many options", NULL);
    shorts[ns++] = ':'; /* a missing argument is ':' */
    for (size_t i = 0; i < cmd->nb_opts; i++) {
        const struct cli_opt *o = &cmd->opts[i];
        longs[i] = (struct option){ o->name, o->arg != NULL ? required_argument : no_argument, NULL,
                                    256 + (int)i };
        if (o->short_name != 0) {
            shorts[ns++] = o->short_name;
            if (o->arg != NULL)
                shorts[ns++] = ':';
        }
        if (o->def != NULL) {
            int rc = apply(cmd, o, o->def, opts);
            if (rc != 0)
                return rc;
        }
    }
    longs[cmd->nb_opts] = (struct option){ NULL, 0, NULL, 0 };
    shorts[ns] = '\0';
    *given = 0;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        size_t i = cmd->nb_opts;
        if (c >= 256) {
            i = (size_t)(c - 256);
        } else if (c != ':' && c != '?') {
            for (i = 0; i < cmd->nb_opts && cmd->opts[i].short_name != c; i++)
                ;
        }
        if (c == ':')
            return cli_usage_error(cmd, "option needs an argument", argv[optind - 1]);
        if (i == cmd->nb_opts)
            return cli_usage_error(cmd, "unknown option", argv[optind - 1]);
        *given |= UINT64_C(1) << i;
        int rc = apply(cmd, &cmd->opts[i], optarg, opts);
        if (rc != 0)
            return rc;
    }
    *first = optind;
    return 0;
}

void cli_help(const struct cli_command *cmd, FILE *out)
{
    fprintf(out, "Usage: fcrscan %s%s%s\n", cmd == &cli_scan_command ? "[scan] " : cmd->name,
            cmd == &cli_scan_command ? "" : " ", cmd->synopsis);
    fputs(cmd->about, out);
    if (cmd == &cli_scan_command) {
        /* The commands, from their table: what exists, and what is only a home. */
        for (int avail = 1; avail >= 0; avail--) {
            fputs(avail ? "Commands:" : "Not available yet:", out);
            const char *sep = " ";
            for (size_t i = 0; i < cli_nb_commands; i++) {
                if (cli_commands[i]->unavailable == !avail) {
                    fprintf(out, "%s%s", sep, cli_commands[i]->name);
                    sep = ", ";
                }
            }
            fputs(avail ? ". " : ".\n", out);
        }
        fputs("'fcrscan COMMAND --help' describes each.\n", out);
    }
    if (cmd->nb_opts > 0)
        fputs("\n", out);
    for (size_t i = 0; i < cmd->nb_opts; i++) {
        const struct cli_opt *o = &cmd->opts[i];
        char left[96];
        int n = snprintf(left, sizeof(left), "  %c%c%s--%s%s%s", o->short_name ? '-' : ' ',
                         o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name,
                         o->arg != NULL ? " " : "", o->arg != NULL ? o->arg : "");
        fputs(left, out);
        for (int k = n; k < HELP_COLUMN - 1; k++)
            fputc(' ', out);
        fputc(' ', out);
        for (const char *p = o->help; *p != '\0'; p++) {
            fputc(*p, out);
            if (*p == '\n')
                fprintf(out, "%*s", HELP_COLUMN, "");
        }
        fputc('\n', out);
    }
    if (cmd->epilog != NULL) {
        fputs("\n", out);
        fputs(cmd->epilog, out);
    }
}

/* The value of option o in opts as the config member key. */
static int summary_value(struct stats_summary *sum, const struct cli_opt *o, const char *key,
                         const void *opts)
{
    if (o->fn_summary != NULL)
        return o->fn_summary(sum, key, opts);
    const void *f = cfield(opts, o);
    switch (o->kind) {
    case CLI_FLAG:
        return stats_summary_config_bool(sum, key, *(const bool *)f);
    case CLI_UINT:
        return stats_summary_config_u64(sum, key, *(const unsigned *)f);
    case CLI_U64:
        return stats_summary_config_u64(sum, key, *(const uint64_t *)f);
    case CLI_SECONDS:
        return stats_summary_config_fixed(sum, key, *(const double *)f, 3);
    case CLI_STR: {
        const char *v = *(const char *const *)f;
        return stats_summary_config_str(sum, key, v != NULL ? v : "");
    }
    case CLI_LIST: {
        const struct cli_list *l = f;
        return stats_summary_config_list(sum, key, l->v, l->n);
    }
    case CLI_FN:
    case CLI_HELP:
        break;
    }
    return 0;
}

int cli_summary_config(struct stats_summary *sum, const struct cli_command *cmd, const void *opts,
                       bool raw)
{
    for (size_t i = 0; i < cmd->nb_opts; i++) {
        const struct cli_opt *o = &cmd->opts[i];
        if ((o->flags & CLI_NO_SUMMARY) || ((o->flags & CLI_RAW) && !raw) || o->kind == CLI_HELP)
            continue;
        char key[64];
        snprintf(key, sizeof(key), "%s", o->key != NULL ? o->key : o->name);
        for (char *p = key; *p != '\0'; p++)
            if (*p == '-')
                *p = '_';
        int rc = summary_value(sum, o, key, opts);
        if (rc != 0)
            return rc; /* the first error; the summary is abandoned */
    }
    return 0;
}
