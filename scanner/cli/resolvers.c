/*
 * scanner/cli/resolvers.c - the resolver list: -r addr[,addr:port,[v6]:port],
 * -r @FILE (one per line), or the nameservers of /etc/resolv.conf.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scanner/cli/scan_cmd.h"

/* One resolver "addr", "addr:port", "[v6]" or "[v6]:port". */
static bool parse_resolver(const char *text, struct scan_resolver *out)
{
    char buf[128];
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, text, n + 1);
    char *host = buf;
    char *port = NULL;
    if (buf[0] == '[') {
        char *close = strchr(buf, ']');
        if (close == NULL)
            return false;
        *close = '\0';
        host = buf + 1;
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != '\0')
            return false;
    } else {
        char *colon = strchr(buf, ':');
        if (colon != NULL && strchr(colon + 1, ':') == NULL) {
            /* Exactly one colon: IPv4 with a port. */
            *colon = '\0';
            port = colon + 1;
        }
    }
    out->port = 53;
    if (port != NULL) {
        uint64_t p;
        if (!cli_parse_u64(port, 1, 65535, &p))
            return false;
        out->port = (uint16_t)p;
    }
    if (pkt_addr_parse(host, &out->addr) != 0)
        return false;
    /* An IPv4-mapped resolver address is the IPv4 address. */
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (out->addr.family == PKT_ADDR_V6 && memcmp(out->addr.bytes, mapped, 12) == 0) {
        memmove(out->addr.bytes, out->addr.bytes + 12, 4);
        memset(out->addr.bytes + 4, 0, 12);
        out->addr.family = PKT_ADDR_V4;
    }
    return true;
}

static int add_resolver(struct scan_config *cfg, const char *text, const char *origin,
                        unsigned line)
{
    if (cfg->nb_resolvers == SCAN_RESOLVERS_MAX) {
        fprintf(stderr, "fcrscan: more than %d resolvers\n", SCAN_RESOLVERS_MAX);
        return -1;
    }
    if (!parse_resolver(text, &cfg->resolvers[cfg->nb_resolvers])) {
        char what[160];
        if (origin != NULL)
            snprintf(what, sizeof(what), "%s:%u: not a resolver address[:port]", origin, line);
        else
            snprintf(what, sizeof(what), "-r: not a resolver address[:port]");
        cli_usage_error(&cli_scan_command, what, text);
        return -1;
    }
    cfg->nb_resolvers++;
    return 0;
}

/* Resolvers from a file: one per line, or resolv.conf "nameserver" lines. */
static int resolvers_from_file(struct scan_config *cfg, const char *path, bool resolv_conf)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "fcrscan: %s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    char line[512];
    unsigned lineno = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        char *p = line + strspn(line, " \t");
        p[strcspn(p, "#;\r\n")] = '\0';
        if (resolv_conf) {
            if (strncmp(p, "nameserver", 10) != 0 || (p[10] != ' ' && p[10] != '\t'))
                continue;
            p += 10;
            p += strspn(p, " \t");
        }
        p[strcspn(p, " \t")] = '\0';
        if (*p == '\0')
            continue;
        /* resolv.conf may carry a zone index (fe80::1%eth0): not supported. */
        if (resolv_conf && strchr(p, '%') != NULL)
            continue;
        rc = add_resolver(cfg, p, path, lineno);
    }
    fclose(f);
    return rc;
}

int run_parse_resolvers(struct scan_config *cfg, const char *list)
{
    if (list == NULL) {
        if (resolvers_from_file(cfg, "/etc/resolv.conf", true) != 0)
            return -1;
        if (cfg->nb_resolvers == 0) {
            fprintf(stderr, "fcrscan: /etc/resolv.conf names no usable nameserver; use -r\n");
            return -1;
        }
        return 0;
    }
    if (list[0] == '@')
        return resolvers_from_file(cfg, list + 1, false);
    char buf[4096];
    if (strlen(list) >= sizeof(buf))
        return cli_usage_error(&cli_scan_command, "-r: list too long", NULL), -1;
    strcpy(buf, list);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
        if (add_resolver(cfg, tok, NULL, 0) != 0)
            return -1;
    if (cfg->nb_resolvers == 0)
        return cli_usage_error(&cli_scan_command, "-r: no resolver given", list), -1;
    return 0;
}
