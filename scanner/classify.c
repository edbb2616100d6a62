/*
 * scanner/classify.c - PTR name classification (docs/classification.md).
 *
 * A name is read once from wire form into a lower-case text buffer while the
 * label checks (LDH, IP literal) run on the raw octets. The text is then cut
 * into three views, all prefixes of the same buffer:
 *
 *     static . 10.113.0.203 . clients . your-server . de
 *     |------------ host ------------|               |ps|   ps = ICANN public suffix
 *     |------------------- search -----------------|        registrable = your-server.de
 *
 * Address rules (S1, S1c, S2, S3, W1) look at `search`, keyword and digit
 * rules (S5, W2, W3, W4) at the tokens of `host`, and provider patterns (S4)
 * at the whole name. Nothing here allocates: every buffer is sized by the
 * 255-octet limit on wire names.
 */
#include "scanner/classify.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

/* Pattern file limits: generous for hand-written data, small enough to bound setup. */
#define CLASSIFY_PATTERNS_MAX 4096
#define CLASSIFY_LINE_MAX     4096

/* A label of digits only, as a run value: anything above 255 is "not an octet". */
#define CLASSIFY_NOT_OCTET 1000u

/* Numeric runs in `search`: it has at most 253 characters, so at most 127 runs. */
#define CLASSIFY_RUNS_MAX 128

/* IPv6 group fields followed from one start position; 8 groups is the most that can match. */
#define CLASSIFY_FIELDS_MAX 16

struct classify_pattern {
    regex_t re;
    unsigned line;
    uint8_t suffix_len;
    char suffix[SCAN_CLASSIFY_TEXT_MAX];
};

struct scan_classifier {
    psl_ctx_t *psl;
    /*
     * Labels of the longest ICANN rule (a wildcard's '*' counts): no longer
     * suffix can be public, so the walk starts there instead of at the whole
     * name, which bounds the libpsl calls per name by a small constant.
     */
    unsigned psl_max_labels;
    size_t nb_patterns;
    struct classify_pattern *patterns;
};

/* ---- small character helpers (ASCII only; the locale must not matter) ---- */

static bool is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_lower(int ch)
{
    return ch >= 'a' && ch <= 'z';
}

static bool is_hex(int ch)
{
    return is_digit(ch) || (ch >= 'a' && ch <= 'f');
}

static unsigned hex_value(int ch)
{
    return is_digit(ch) ? (unsigned)(ch - '0') : (unsigned)(ch - 'a' + 10);
}

static int to_lower(int ch)
{
    return (ch >= 'A' && ch <= 'Z') ? ch + ('a' - 'A') : ch;
}

static const char hex_digits[] = "0123456789abcdef";

/* ---- setup ---------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t err_len,
                                                          const char *fmt, ...)
{
    if (err == NULL || err_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

/*
 * Does libpsl hold this ICANN rule (p[0..len), as in the file)? libpsl
 * drops a rule it cannot store (an allocation failing while it loads) and
 * says nothing, which would silently change verdict flags
 * (docs/test-cases.md R11). Only ASCII rules are checked: libpsl keeps
 * those as written (IDN rules are stored converted).
 */
static bool psl_has_rule(const psl_ctx_t *psl, const char *p, size_t len)
{
    char rule[256];
    bool exception = p[0] == '!';
    if (exception) {
        p++;
        len--;
    }
    /* A wildcard "*.x" makes x itself a public suffix. */
    if (len > 2 && p[0] == '*' && p[1] == '.') {
        p += 2;
        len -= 2;
    }
    if (len == 0 || len >= sizeof(rule))
        return true;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)p[i] >= 0x80 || p[i] == '*')
            return true;
    memcpy(rule, p, len);
    rule[len] = '\0';
    return psl_is_public_suffix2(psl, rule, PSL_TYPE_ICANN) != exception;
}

/*
 * Read the list once ourselves before libpsl does: libpsl reports failure as
 * a bare NULL, while a startup error has to say what is wrong, and the scan
 * yields the longest ICANN rule for the suffix walk. With loaded non-NULL
 * (a second pass, after libpsl has loaded the file), every ASCII ICANN rule
 * must be in it. Returns 0 or -1 (err set).
 */
static int psl_scan_file(const char *path, const psl_ctx_t *loaded, unsigned *max_labels, char *err,
                         size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        set_err(err, err_len, "public suffix list %s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    bool in_icann = false, saw_begin = false, saw_end = false;
    unsigned max = 0, nb_rules = 0;
    errno = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        if (strstr(line, "===BEGIN ICANN DOMAINS===") != NULL) {
            in_icann = saw_begin = true;
            continue;
        }
        if (strstr(line, "===END ICANN DOMAINS===") != NULL) {
            in_icann = false;
            saw_end = true;
            continue;
        }
        if (!in_icann || (line[0] == '/' && line[1] == '/'))
            continue;
        /* A rule is the line's first whitespace-delimited word (PSL format). */
        const char *p = line[0] == '!' ? line + 1 : line;
        size_t word = strcspn(p, " \t\r\n");
        if (word == 0)
            continue;
        unsigned labels = 1;
        for (size_t i = 0; i < word; i++)
            labels += p[i] == '.';
        nb_rules++;
        if (loaded != NULL && !psl_has_rule(loaded, line, (size_t)(p - line) + word)) {
            set_err(err, err_len,
                    "public suffix list %s: libpsl lost the rule '%.*s' while loading it (out of "
                    "memory?)",
                    path, (int)(word < 100 ? word : 100), p);
            free(line);
            fclose(f);
            return -1;
        }
        if (labels > max)
            max = labels;
    }
    int read_errno = errno;
    bool read_failed = ferror(f) != 0;
    free(line);
    fclose(f);
    if (read_failed) {
        set_err(err, err_len, "public suffix list %s: read error: %s", path,
                strerror(read_errno != 0 ? read_errno : EIO));
        return -1;
    }
    if (!saw_begin || !saw_end) {
        set_err(err, err_len,
                "public suffix list %s: no \"===BEGIN/END ICANN DOMAINS===\" section markers "
                "(not a Public Suffix List file?)",
                path);
        return -1;
    }
    if (nb_rules == 0) {
        set_err(err, err_len, "public suffix list %s: the ICANN section has no rules", path);
        return -1;
    }
    *max_labels = max;
    return 0;
}

/* True when s[0..len) is lower-case LDH labels joined by single dots. */
static bool suffix_is_valid(const char *s, size_t len)
{
    if (len == 0 || len > SCAN_CLASSIFY_TEXT_MAX - 1)
        return false;
    size_t label_len = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (label_len == 0 || label_len > PKT_DNS_LABEL_MAX || s[i - 1] == '-' ||
                s[i - label_len] == '-')
                return false;
            label_len = 0;
        } else if (is_lower(s[i]) || is_digit(s[i]) || s[i] == '-') {
            label_len++;
        } else {
            return false;
        }
    }
    return true;
}

/* True when the regex's last '$' is an anchor, not an escaped dollar ("\$"). */
static bool regex_is_anchored(const char *re, size_t len)
{
    if (len < 2 || re[0] != '^' || re[len - 1] != '$')
        return false;
    size_t backslashes = 0;
    for (size_t i = len - 1; i > 0 && re[i - 1] == '\\'; i--)
        backslashes++;
    return backslashes % 2 == 0;
}

/* Parse one non-comment line into c->patterns[c->nb_patterns]. Returns 0 or -1 (err set). */
static int pattern_parse_line(struct scan_classifier *c, const char *path, unsigned lineno,
                              char *line, size_t len, char *err, size_t err_len)
{
    char *tab = memchr(line, '\t', len);
    if (tab == NULL) {
        set_err(err, err_len,
                "provider patterns %s:%u: no TAB between suffix and regex "
                "(expected \"suffix<TAB>POSIX ERE\")",
                path, lineno);
        return -1;
    }
    size_t suffix_len = (size_t)(tab - line);
    if (!suffix_is_valid(line, suffix_len)) {
        set_err(err, err_len,
                "provider patterns %s:%u: suffix \"%.*s\" is not lower-case LDH labels "
                "joined by dots",
                path, lineno, (int)(suffix_len > 80 ? 80 : suffix_len), line);
        return -1;
    }
    char *re = tab + 1;
    size_t re_len = len - suffix_len - 1;
    if (!regex_is_anchored(re, re_len)) {
        set_err(err, err_len,
                "provider patterns %s:%u: regex must be anchored: start with '^' and end with "
                "'$' (it is matched against the whole name)",
                path, lineno);
        return -1;
    }
    struct classify_pattern *p = &c->patterns[c->nb_patterns];
    int rc = regcomp(&p->re, re, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char why[256];
        regerror(rc, &p->re, why, sizeof why);
        set_err(err, err_len, "provider patterns %s:%u: bad regex: %s", path, lineno, why);
        return -1;
    }
    memcpy(p->suffix, line, suffix_len);
    p->suffix[suffix_len] = '\0';
    p->suffix_len = (uint8_t)suffix_len;
    p->line = lineno;
    c->nb_patterns++;
    return 0;
}

/* Load the provider pattern file into c. Returns 0 or -1 (err set). */
static int patterns_load(struct scan_classifier *c, const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        set_err(err, err_len, "provider patterns %s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int ret = -1;
    char *line = NULL;
    size_t line_cap = 0, cap = 0;
    unsigned lineno = 0;
    ssize_t n;
    errno = 0;
    while ((n = getline(&line, &line_cap, f)) >= 0) {
        size_t len = (size_t)n;
        lineno++;
        if (memchr(line, '\0', len) != NULL) {
            set_err(err, err_len, "provider patterns %s:%u: contains a NUL byte", path, lineno);
            goto out;
        }
        if (len > CLASSIFY_LINE_MAX) {
            set_err(err, err_len, "provider patterns %s:%u: longer than %d bytes", path, lineno,
                    CLASSIFY_LINE_MAX);
            goto out;
        }
        /* Trailing CR/LF and blanks: a Windows-edited file must load the same. */
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
                           line[len - 1] == '\t'))
            len--;
        line[len] = '\0';
        size_t lead = strspn(line, " \t");
        if (line[lead] == '\0' || line[lead] == '#')
            continue;
        if (c->nb_patterns == cap) {
            if (cap == CLASSIFY_PATTERNS_MAX) {
                set_err(err, err_len, "provider patterns %s:%u: more than %d patterns", path,
                        lineno, CLASSIFY_PATTERNS_MAX);
                goto out;
            }
            size_t new_cap = cap == 0 ? 32 : cap * 2;
            struct classify_pattern *np = realloc(c->patterns, new_cap * sizeof *np);
            if (np == NULL) {
                set_err(err, err_len, "provider patterns %s:%u: out of memory", path, lineno);
                goto out;
            }
            c->patterns = np;
            cap = new_cap;
        }
        if (pattern_parse_line(c, path, lineno, line, len, err, err_len) != 0)
            goto out;
        errno = 0;
    }
    if (ferror(f)) {
        set_err(err, err_len, "provider patterns %s: read error: %s", path,
                strerror(errno != 0 ? errno : EIO));
        goto out;
    }
    ret = 0;
out:
    free(line);
    fclose(f);
    return ret;
}

struct scan_classifier *scan_classifier_new(const char *psl_path, const char *patterns_path,
                                            char *err, size_t err_len)
{
    set_err(err, err_len, "%s", "");
    if (psl_path == NULL || patterns_path == NULL) {
        set_err(err, err_len, "classifier: %s path is NULL",
                psl_path == NULL ? "public suffix list" : "provider patterns");
        return NULL;
    }
    struct scan_classifier *c = calloc(1, sizeof *c);
    if (c == NULL) {
        set_err(err, err_len, "classifier: out of memory");
        return NULL;
    }
    if (psl_scan_file(psl_path, NULL, &c->psl_max_labels, err, err_len) != 0)
        goto fail;
    c->psl = psl_load_file(psl_path);
    if (c->psl == NULL) {
        set_err(err, err_len, "public suffix list %s: libpsl could not load it", psl_path);
        goto fail;
    }
    unsigned again;
    if (psl_scan_file(psl_path, c->psl, &again, err, err_len) != 0)
        goto fail;
    if (patterns_load(c, patterns_path, err, err_len) != 0)
        goto fail;
    return c;
fail:
    scan_classifier_free(c);
    return NULL;
}

void scan_classifier_free(struct scan_classifier *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nb_patterns; i++)
        regfree(&c->patterns[i].re);
    free(c->patterns);
    psl_free(c->psl);
    free(c);
}

/* ---- keyword tables ------------------------------------------------------- */

/*
 * Tokens are whole: "modemcable" is not "modem" + "cable". A few fused forms
 * seen in real provider names are listed as keywords of their own instead.
 * At most 64 strong keywords: S5 counts distinct ones in a 64-bit mask.
 */
static const char *const strong_keywords[] = {
    "dynamic",     "dyn",   "dynip",     "pool",   "dsl",        "adsl",      "vdsl",   "xdsl",
    "sdsl",        "dhcp",  "dial",      "dialup", "dialin",     "dip",       "ppp",    "pppoe",
    "cable",       "modem", "broadband", "cust",   "customer",   "customers", "client", "clients",
    "residential", "res",   "user",      "users",  "subscriber", "cpe",       "ftth",   "cgnat",
};
_Static_assert(sizeof strong_keywords / sizeof strong_keywords[0] <= 64,
               "S5 counts strong keywords in a 64-bit mask");

static const char *const weak_keywords[] = {
    "ip",  "ipv",  "host",    "static",    "server", "srv",  "vps",   "vds", "node",   "rev",
    "ptr", "rdns", "reverse", "dedicated", "ded",    "dedi", "cloud", "vm",  "hosted", "unassigned",
};

static const char *const mail_keywords[] = {
    "mail", "mx", "smtp", "mta", "mailout", "mxout", "smtpout", "relay", "outbound", "mailer",
};

/*
 * Index of tok[0..len) in words[0..nb), or -1. The tables are short, so a
 * scan that rejects on the first letter before comparing is enough.
 */
static int keyword_find(const char *const *words, size_t nb, const char *tok, size_t len)
{
    for (size_t i = 0; i < nb; i++)
        if (words[i][0] == tok[0] && strncmp(words[i], tok, len) == 0 && words[i][len] == '\0')
            return (int)i;
    return -1;
}

#define KEYWORD_FIND(table, tok, len) \
    keyword_find((table), sizeof(table) / sizeof((table)[0]), (tok), (len))

/*
 * Placeholders: names that cannot be a real host on the Internet, matched as
 * the name itself or a suffix at a label boundary.
 */
static const char *const placeholder_suffixes[] = {
    "localhost", "local",   "localdomain",  "lan",      "home",
    "internal",  "invalid", "in-addr.arpa", "ip6.arpa", "home.arpa",
};

/* True when name[0..len) is suffix or ends with "." suffix. */
static bool name_has_suffix(const char *name, size_t len, const char *suffix, size_t suffix_len)
{
    if (len < suffix_len || memcmp(name + len - suffix_len, suffix, suffix_len) != 0)
        return false;
    return len == suffix_len || name[len - suffix_len - 1] == '.';
}

static bool is_placeholder(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof placeholder_suffixes / sizeof placeholder_suffixes[0]; i++)
        if (name_has_suffix(name, len, placeholder_suffixes[i], strlen(placeholder_suffixes[i])))
            return true;
    return false;
}

/* ---- address rules -------------------------------------------------------- */

/* Value of the digit run s[0..len): leading zeros ignored, > 255 as CLASSIFY_NOT_OCTET. */
static unsigned run_value(const char *s, size_t len)
{
    while (len > 1 && s[0] == '0') {
        s++;
        len--;
    }
    if (len > 3)
        return CLASSIFY_NOT_OCTET;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    return v;
}

/*
 * S1: each octet needs a run of its own ("10-0-0-1" must not satisfy
 * 10.0.0.10 with a single "10"), so runs are matched as a multiset. Any
 * equal unused run will do, so greedy matching is exact.
 */
static bool rule_s1(const unsigned *runs, size_t nb_runs, const uint8_t o[4])
{
    bool used[CLASSIFY_RUNS_MAX] = { false };
    for (unsigned k = 0; k < 4; k++) {
        size_t i = 0;
        while (i < nb_runs && (used[i] || runs[i] != o[k]))
            i++;
        if (i == nb_runs)
            return false;
        used[i] = true;
    }
    return true;
}

/* Decimal digits of an octet, without leading zeros, into out; returns their count. */
static size_t octet_text(unsigned v, char out[3])
{
    if (v >= 100) {
        out[0] = (char)('0' + v / 100);
        out[1] = (char)('0' + v / 10 % 10);
        out[2] = (char)('0' + v % 10);
        return 3;
    }
    if (v >= 10) {
        out[0] = (char)('0' + v / 10);
        out[1] = (char)('0' + v % 10);
        return 2;
    }
    out[0] = (char)('0' + v);
    return 1;
}

/*
 * W1 matcher: octets o[0..nb) written one after the other from s[pos], each
 * with optional leading zeros, separated by exactly one of ".-_" or by
 * nothing; the last one must end a numeric run.
 */
static bool adjacent_at(const char *s, size_t n, size_t pos, const uint8_t *o, size_t nb)
{
    char d[3];
    size_t dlen = octet_text(o[0], d);
    size_t zeros = 0;
    while (pos + zeros < n && s[pos + zeros] == '0')
        zeros++;
    for (size_t k = 0; k <= zeros; k++) {
        size_t p = pos + k;
        if (p + dlen > n || memcmp(s + p, d, dlen) != 0)
            continue;
        size_t end = p + dlen;
        if (nb == 1) {
            if (end == n || !is_digit(s[end]))
                return true;
            continue;
        }
        if (end < n && is_digit(s[end]) && adjacent_at(s, n, end, o + 1, nb - 1))
            return true;
        if (end + 1 < n && (s[end] == '.' || s[end] == '-' || s[end] == '_') &&
            is_digit(s[end + 1]) && adjacent_at(s, n, end + 1, o + 1, nb - 1))
            return true;
    }
    return false;
}

/* W1 over the whole of s: the sequence must start where a numeric run starts. */
static bool adjacent_in(const char *s, size_t n, const uint8_t *o, size_t nb)
{
    for (size_t pos = 0; pos < n; pos++)
        if (is_digit(s[pos]) && (pos == 0 || !is_digit(s[pos - 1])) &&
            adjacent_at(s, n, pos, o, nb))
            return true;
    return false;
}

/*
 * Does hex[0..hn) occur in s[0..n), allowing one character of seps between
 * two hex digits at every multiple of step (step 2: between bytes; 1: between
 * nibbles)? Separators are not hex digits, so matching is greedy without
 * backtracking.
 */
static bool hex_occurs(const char *s, size_t n, const char *hex, size_t hn, size_t step,
                       const char *seps)
{
    for (size_t start = 0; start + hn <= n; start++) {
        size_t p = start, i = 0;
        while (i < hn && p < n) {
            if (s[p] == hex[i]) {
                p++;
                i++;
            } else if (i > 0 && i % step == 0 && s[p] != '\0' && strchr(seps, s[p]) != NULL &&
                       p + 1 < n && s[p + 1] == hex[i]) {
                p++;
            } else {
                break;
            }
        }
        if (i == hn)
            return true;
    }
    return false;
}

/* One IPv6 group as written in a name; gap says "--" (the "::" run) came before it. */
struct v6_field {
    uint16_t value;
    bool gap;
};

/*
 * Fields f[j..nf) against groups g[gi..8): a gap stands for k >= 1 zero
 * groups, whichever k lets the rest match. Matched once >= 4 groups are
 * covered. A gap always follows a written field (a run that starts with "--"
 * has no field before it), so "x--1" alone never covers ::1.
 */
static bool v6_walk(const struct v6_field *f, size_t nf, size_t j, const uint16_t g[8], unsigned gi,
                    unsigned covered)
{
    if (covered >= 4)
        return true;
    if (j == nf || gi >= 8)
        return false;
    if (!f[j].gap)
        return f[j].value == g[gi] && v6_walk(f, nf, j + 1, g, gi + 1, covered + 1);
    for (unsigned k = 1; gi + k < 8 && g[gi + k - 1] == 0; k++)
        if (f[j].value == g[gi + k] && v6_walk(f, nf, j + 1, g, gi + k + 1, covered + k + 1))
            return true;
    return false;
}

/*
 * S3, groups form: from every place a hex run starts, read fields of 1-4 hex
 * digits joined by '-' or '.', with at most one "--", and try them against
 * every starting group of the address.
 */
static bool v6_groups_in(const char *s, size_t n, const uint16_t g[8])
{
    for (size_t a = 0; a < n; a++) {
        if (!is_hex(s[a]) || (a > 0 && is_hex(s[a - 1])))
            continue;
        struct v6_field f[CLASSIFY_FIELDS_MAX];
        size_t nf = 0, p = a;
        bool gap = false, had_gap = false;
        while (nf < CLASSIFY_FIELDS_MAX) {
            size_t q = p;
            unsigned v = 0;
            while (q < n && is_hex(s[q]) && q - p < 5) {
                v = v * 16 + hex_value(s[q]);
                q++;
            }
            if (q - p > 4)
                break; /* a longer hex run is not a group */
            f[nf].value = (uint16_t)v;
            f[nf].gap = gap;
            nf++;
            if (q + 1 < n && (s[q] == '-' || s[q] == '.') && is_hex(s[q + 1])) {
                gap = false;
                p = q + 1;
            } else if (!had_gap && q + 2 < n && s[q] == '-' && s[q + 1] == '-' &&
                       is_hex(s[q + 2])) {
                gap = had_gap = true;
                p = q + 2;
            } else {
                break;
            }
        }
        for (unsigned gi = 0; gi < 8; gi++)
            if (v6_walk(f, nf, 0, g, gi, 0))
                return true;
    }
    return false;
}

/* S1, S1c, S2, W1 for an IPv4 target over search[0..n); numeric runs precomputed. */
static uint32_t rules_v4(const char *search, size_t n, const unsigned *runs, size_t nb_runs,
                         const uint8_t o[4])
{
    uint32_t rules = 0;
    if (rule_s1(runs, nb_runs, o))
        rules |= SCAN_CLASSIFY_RULE_S1;

    char fwd[12], rev[12];
    for (unsigned k = 0; k < 4; k++) {
        for (unsigned j = 0; j < 3; j++) {
            unsigned digit = (unsigned)(j == 0 ? o[k] / 100 : j == 1 ? o[k] / 10 % 10 : o[k] % 10);
            fwd[3 * k + j] = (char)('0' + digit);
            rev[3 * (3 - k) + j] = (char)('0' + digit);
        }
    }
    if (memmem(search, n, fwd, sizeof fwd) != NULL || memmem(search, n, rev, sizeof rev) != NULL)
        rules |= SCAN_CLASSIFY_RULE_S1C;

    char hex[8];
    for (unsigned k = 0; k < 4; k++) {
        hex[2 * k] = hex_digits[o[k] >> 4];
        hex[2 * k + 1] = hex_digits[o[k] & 15];
    }
    if (hex_occurs(search, n, hex, sizeof hex, 2, ".-_"))
        rules |= SCAN_CLASSIFY_RULE_S2;

    if (adjacent_in(search, n, o + 2, 2) || adjacent_in(search, n, o, 3))
        rules |= SCAN_CLASSIFY_RULE_W1;
    return rules;
}

/* S3 for an IPv6 target over search[0..n). */
static bool rule_s3(const char *search, size_t n, const uint8_t a[16])
{
    /* The last 16 nibbles, forward (also the tail of all 32) or reversed as in ip6.arpa. */
    char fwd[16], rev[16];
    for (unsigned i = 0; i < 8; i++) {
        fwd[2 * i] = hex_digits[a[8 + i] >> 4];
        fwd[2 * i + 1] = hex_digits[a[8 + i] & 15];
    }
    for (unsigned i = 0; i < 16; i++)
        rev[i] = fwd[15 - i];
    if (hex_occurs(search, n, fwd, sizeof fwd, 1, ".-") ||
        hex_occurs(search, n, rev, sizeof rev, 1, ".-"))
        return true;

    uint16_t g[8];
    for (unsigned i = 0; i < 8; i++)
        g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
    return v6_groups_in(search, n, g);
}

/* ---- classification ------------------------------------------------------- */

/* What the wire pass learns about the labels. */
struct wire_scan {
    bool malformed;
    bool ldh;
    bool has_colon;
    bool all_numeric;
    unsigned nb_labels;
    uint8_t label_off[PKT_DNS_LABELS_MAX + 1]; /* start of each label in the text */
};

/*
 * One pass over the wire name: checks the form, the LDH and IP-literal rules
 * on the raw octets, and writes the text view (lower case, '?' for octets the
 * rules must not mistake for structure: a '.' inside a label would otherwise
 * fake a label boundary, and a NUL would cut the string).
 */
static void wire_read(const uint8_t *wire, size_t wire_len, struct wire_scan *w,
                      struct scan_classify_detail *d)
{
    size_t pos = 0, out = 0;
    w->malformed = true;
    w->ldh = true;
    w->has_colon = false;
    w->all_numeric = true;
    w->nb_labels = 0;
    if (wire == NULL || wire_len == 0 || wire_len > PKT_DNS_NAME_MAX)
        return;
    for (;;) {
        if (pos >= wire_len)
            return; /* no root label */
        size_t len = wire[pos++];
        if (len == 0)
            break;
        if (len > PKT_DNS_LABEL_MAX || len > wire_len - pos || w->nb_labels >= PKT_DNS_LABELS_MAX)
            return;
        if (out > 0)
            d->name[out++] = '.';
        w->label_off[w->nb_labels++] = (uint8_t)out;
        bool numeric = true;
        for (size_t i = 0; i < len; i++) {
            int ch = to_lower(wire[pos + i]);
            bool alnum = is_lower(ch) || is_digit(ch);
            if (!is_digit(ch))
                numeric = false;
            if (ch == ':')
                w->has_colon = true;
            if (!alnum && ch != '-')
                w->ldh = false;
            d->name[out++] = (alnum || ch == '-' || ch == '_') ? (char)ch : '?';
        }
        if (wire[pos] == '-' || wire[pos + len - 1] == '-')
            w->ldh = false;
        if (!numeric)
            w->all_numeric = false;
        pos += len;
    }
    if (pos != wire_len)
        return; /* octets after the root label */
    /*
     * RFC 1123's 253-character limit on the text form needs no test of its
     * own: 255 wire octets are at most 253 characters without the final dot.
     */
    d->name[out] = '\0';
    d->name_len = (uint8_t)out;
    d->nb_labels = (uint8_t)w->nb_labels;
    w->malformed = false;
}

/*
 * ICANN public suffix: the longest suffix libpsl calls public, tried only
 * from psl_max_labels down (no longer suffix can match). A TLD missing from
 * the list counts as a one-label suffix (docs/classification.md), which is also the
 * fallback when no longer suffix is public.
 */
static unsigned public_suffix_labels(const struct scan_classifier *c, const struct wire_scan *w,
                                     const char *name)
{
    unsigned nb = w->nb_labels;
    unsigned k = nb < c->psl_max_labels ? nb : c->psl_max_labels;
    for (; k >= 2; k--)
        if (psl_is_public_suffix2(c->psl, name + w->label_off[nb - k], PSL_TYPE_ICANN))
            return k;
    return 1;
}

/* Keyword and digit rules over the tokens of host[0..n). */
static uint32_t rules_host(const char *host, size_t n, int last_octet, uint32_t *hints)
{
    uint32_t rules = 0;
    uint64_t strong = 0;
    unsigned digits = 0, nb_runs = 0;
    bool is_static = false, is_mail = false;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        if (is_digit(host[i])) {
            while (j < n && is_digit(host[j]))
                j++;
            digits += (unsigned)(j - i);
            nb_runs++;
            if (last_octet >= 0 && run_value(host + i, j - i) == (unsigned)last_octet)
                rules |= SCAN_CLASSIFY_RULE_LAST_OCTET;
        } else if (is_lower(host[i])) {
            while (j < n && is_lower(host[j]))
                j++;
            int k = KEYWORD_FIND(strong_keywords, host + i, j - i);
            if (k >= 0)
                strong |= UINT64_C(1) << k;
            if (KEYWORD_FIND(weak_keywords, host + i, j - i) >= 0)
                rules |= SCAN_CLASSIFY_RULE_W4;
            if (j - i == 6 && memcmp(host + i, "static", 6) == 0)
                is_static = true;
            if (KEYWORD_FIND(mail_keywords, host + i, j - i) >= 0)
                is_mail = true;
        } else {
            j++; /* '.', '-', '_' and '?' separate tokens */
        }
        i = j;
    }
    if (strong != 0)
        rules |= SCAN_CLASSIFY_RULE_W2;
    if ((strong & (strong - 1)) != 0)
        rules |= SCAN_CLASSIFY_RULE_S5;
    if (digits >= 7 || nb_runs >= 3)
        rules |= SCAN_CLASSIFY_RULE_W3;
    *hints = (is_static ? SCAN_CLASSIFY_HINT_STATIC_GENERIC : 0u) |
             (is_mail ? SCAN_CLASSIFY_HINT_MAIL : 0u);
    return rules;
}

/* S4: the first pattern whose suffix ends the name and whose regex matches. */
static unsigned rule_s4(const struct scan_classifier *c, const char *name, size_t len)
{
    for (size_t i = 0; i < c->nb_patterns; i++) {
        const struct classify_pattern *p = &c->patterns[i];
        /* The suffix test is a memcmp; the regex only runs for names it could match. */
        if (name_has_suffix(name, len, p->suffix, p->suffix_len) &&
            regexec(&p->re, name, 0, NULL, 0) == 0)
            return p->line;
    }
    return 0;
}

static bool is_generic(uint32_t r)
{
    bool w1 = (r & SCAN_CLASSIFY_RULE_W1) != 0, w2 = (r & SCAN_CLASSIFY_RULE_W2) != 0;
    bool w3 = (r & SCAN_CLASSIFY_RULE_W3) != 0, w4 = (r & SCAN_CLASSIFY_RULE_W4) != 0;
    bool last = (r & SCAN_CLASSIFY_RULE_LAST_OCTET) != 0;
    return (r & SCAN_CLASSIFY_RULES_STRONG) != 0 || (w2 && (w1 || w3)) || (w1 && w3) ||
           (w2 && w4 && last);
}

uint32_t scan_classify_name_ex(const struct scan_classifier *c, const uint8_t *wire,
                               size_t wire_len, const struct pkt_addr *t, bool *unusable,
                               struct scan_classify_detail *d)
{
    struct wire_scan w;
    memset(d, 0, offsetof(struct scan_classify_detail, name));
    d->name[0] = '\0';
    *unusable = true;

    wire_read(wire, wire_len, &w, d);
    if (w.malformed) {
        d->name[0] = '\0';
        d->nb_labels = 0;
        d->name_len = 0;
        return STATS_FLAG_INVALID_NAME;
    }
    if (w.nb_labels == 0)
        return STATS_FLAG_INVALID_NAME; /* the root */
    /* docs/output.md: an IP literal is unusable, and its other flags would be noise. */
    if (w.has_colon || w.all_numeric)
        return STATS_FLAG_IP_LITERAL;
    *unusable = false;

    uint32_t flags = 0;
    if (!w.ldh)
        flags |= STATS_FLAG_INVALID_NAME;
    if (w.nb_labels == 1)
        flags |= STATS_FLAG_NON_FQDN;

    const char *name = d->name;
    size_t len = d->name_len;
    unsigned ps = public_suffix_labels(c, &w, name);
    d->suffix_labels = (uint8_t)ps;
    d->suffix_off = w.label_off[w.nb_labels - ps];
    d->registrable_off = ps < w.nb_labels ? w.label_off[w.nb_labels - ps - 1] : d->suffix_off;

    if (is_placeholder(name, len))
        return flags | STATS_FLAG_PLACEHOLDER_NAME;
    if (w.nb_labels == ps + 1)
        flags |= STATS_FLAG_BARE_DOMAIN;

    /* search = the name without its public suffix; host = left of the registrable domain. */
    size_t search_len = ps < w.nb_labels ? (size_t)d->suffix_off - 1 : 0;
    size_t host_len = ps + 1 < w.nb_labels ? (size_t)d->registrable_off - 1 : 0;

    bool v4 = t != NULL && t->family == PKT_ADDR_V4;
    bool v6 = t != NULL && t->family == PKT_ADDR_V6;
    uint32_t hints = 0;
    uint32_t rules = rules_host(name, host_len, v4 ? t->bytes[3] : -1, &hints);
    if (v4) {
        unsigned runs[CLASSIFY_RUNS_MAX];
        size_t nb_runs = 0;
        for (size_t i = 0; i < search_len;) {
            size_t j = i;
            while (j < search_len && is_digit(name[j]))
                j++;
            if (j > i) {
                runs[nb_runs++] = run_value(name + i, j - i);
                i = j;
            } else {
                i++;
            }
        }
        rules |= rules_v4(name, search_len, runs, nb_runs, t->bytes);
    } else if (v6 && rule_s3(name, search_len, t->bytes)) {
        rules |= SCAN_CLASSIFY_RULE_S3;
    }
    d->s4_line = rule_s4(c, name, len);
    if (d->s4_line != 0)
        rules |= SCAN_CLASSIFY_RULE_S4;

    d->rules = rules;
    if (is_generic(rules)) {
        flags |= STATS_FLAG_GENERIC_NAME;
        d->hints = hints;
    }
    return flags;
}

uint32_t scan_classify_name(const struct scan_classifier *c, const uint8_t *wire, size_t wire_len,
                            const struct pkt_addr *t, bool *unusable)
{
    struct scan_classify_detail d;
    return scan_classify_name_ex(c, wire, wire_len, t, unusable, &d);
}
