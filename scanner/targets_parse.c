/*
 * scanner/targets_parse.c - the text syntax of targets and blocklists
 * (targets.h): one token per line, files and streams read in chunks with
 * line, comment, CRLF and byte-order-mark handling, every bad line recorded
 * with its origin and line number.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/targets_internal.h"

/* Target text longer than this cannot be an address: "addr/len". */
#define TOKEN_MAX (INET6_ADDRSTRLEN + 4)
/* Read size of scan_targets_add_stream. */
#define READ_CHUNK 16384

/* ------------------------------------------------------------------ */
/* Text parsing                                                         */

struct parsed {
    int family; /* PKT_ADDR_V4 or PKT_ADDR_V6 */
    unsigned prefix;
    scan_u128 lo; /* inclusive; IPv4 values < 2^32 */
    scan_u128 hi;
};

/*
 * Strict dotted quad: four decimal octets 0-255, no leading zeros, nothing
 * else. Returns NULL or the reason it is not one.
 */
static const char *parse_v4(const char *s, size_t n, uint32_t *out)
{
    uint32_t v = 0;
    unsigned parts = 0;
    size_t i = 0;

    for (;;) {
        size_t start = i;
        unsigned octet = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (i - start >= 3)
                return "IPv4 octet out of range (0-255)";
            octet = octet * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        if (i == start)
            return i < n && s[i] != '.' ? "not an IPv4 or IPv6 address"
                                        : "IPv4 address needs four decimal octets";
        if (s[start] == '0' && i - start > 1)
            return "leading zero in an IPv4 octet is ambiguous (octal or decimal?); "
                   "write it without";
        if (octet > 255)
            return "IPv4 octet out of range (0-255)";
        v = v << 8 | octet;
        parts++;
        if (i == n)
            break;
        if (s[i] != '.')
            return "not an IPv4 or IPv6 address";
        if (parts == 4)
            return "IPv4 address needs four decimal octets";
        i++;
    }
    if (parts != 4)
        return "IPv4 address needs four decimal octets";
    *out = v;
    return NULL;
}

/* IPv6 text of n bytes (no prefix) into 16 bytes. Returns NULL or why not. */
static const char *parse_v6(const char *s, size_t n, uint8_t out[16])
{
    char buf[INET6_ADDRSTRLEN];

    if (memchr(s, '%', n) != NULL)
        return "zone index (%...) not allowed in a target";
    if (n >= sizeof(buf))
        return "not an IPv4 or IPv6 address";
    /* An embedded dotted quad gets the same strict check as plain IPv4. */
    const char *colon = NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ':')
            colon = s + i;
    if (colon != NULL && memchr(colon, '.', n - (size_t)(colon - s)) != NULL) {
        uint32_t v4;
        const char *why = parse_v4(colon + 1, n - (size_t)(colon + 1 - s), &v4);
        if (why != NULL)
            return why;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (inet_pton(AF_INET6, buf, out) != 1)
        return "not a valid IPv6 address";
    return NULL;
}

static scan_u128 mask6(unsigned prefix)
{
    return prefix == 0 ? 0 : SCAN_U128_MAX << (128 - prefix);
}

/*
 * Parse "addr" or "addr/len". map_v4: treat IPv4-mapped IPv6 (prefix >= 96)
 * as IPv4. Returns NULL, or the reason the text is not a target.
 */
static const char *parse_target(const char *s, size_t n, bool map_v4, struct parsed *out)
{
    size_t addr_len = n;
    unsigned prefix = 0;
    bool has_prefix = false;

    if (n == 0)
        return "empty target";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t')
            return "more than one target on a line (use one per line)";
        if (c < 0x21 || c > 0x7e)
            return "unexpected control or non-ASCII character";
    }
    if (n > TOKEN_MAX)
        return "not an IPv4 or IPv6 address";
    const char *slash = memchr(s, '/', n);
    if (slash != NULL) {
        addr_len = (size_t)(slash - s);
        const char *p = slash + 1;
        size_t plen = n - addr_len - 1;
        if (plen == 0)
            return "missing prefix length after '/'";
        if (memchr(p, '/', plen) != NULL)
            return "more than one '/'";
        for (size_t i = 0; i < plen; i++) {
            if (p[i] < '0' || p[i] > '9')
                return "prefix length is not a decimal number";
            if (prefix <= 128)
                prefix = prefix * 10 + (unsigned)(p[i] - '0');
        }
        has_prefix = true;
    }
    if (addr_len == 0)
        return "missing address before '/'";

    if (memchr(s, ':', addr_len) == NULL) {
        uint32_t v4;
        const char *why = parse_v4(s, addr_len, &v4);
        if (why != NULL)
            return why;
        if (!has_prefix)
            prefix = 32;
        if (prefix > 32)
            return "prefix length out of range (0-32)";
        uint32_t m = prefix == 0 ? 0 : UINT32_MAX << (32 - prefix);
        out->family = PKT_ADDR_V4;
        out->prefix = prefix;
        out->lo = v4 & m;
        out->hi = (v4 & m) | ~m;
        return NULL;
    }

    uint8_t b[16];
    const char *why = parse_v6(s, addr_len, b);
    if (why != NULL)
        return why;
    if (!has_prefix)
        prefix = 128;
    if (prefix > 128)
        return "prefix length out of range (0-128)";
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (map_v4 && prefix >= 96 && memcmp(b, mapped, sizeof(mapped)) == 0) {
        unsigned p4 = prefix - 96;
        uint32_t v4 = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
        uint32_t m = p4 == 0 ? 0 : UINT32_MAX << (32 - p4);
        out->family = PKT_ADDR_V4;
        out->prefix = p4;
        out->lo = v4 & m;
        out->hi = (v4 & m) | ~m;
        return NULL;
    }
    scan_u128 v = u128_from_bytes(b), m = mask6(prefix);
    out->family = PKT_ADDR_V6;
    out->prefix = prefix;
    out->lo = v & m;
    out->hi = (v & m) | ~m;
    return NULL;
}

static int add_parsed(struct scan_targets *t, enum scan_targets_list list, const struct parsed *p)
{
    if (p->family == PKT_ADDR_V4)
        return scan_targets_list4_push(list == SCAN_TARGETS_BLOCK ? &t->blk4 : &t->inc4,
                                       (uint32_t)p->lo, (uint32_t)p->hi);
    return scan_targets_list6_push(list == SCAN_TARGETS_BLOCK ? &t->blk6 : &t->inc6, p->lo, p->hi);
}

int scan_targets_add_cidr(struct scan_targets *t, enum scan_targets_list list, const char *cidr,
                          bool map_v4)
{
    struct parsed p;
    if (parse_target(cidr, strlen(cidr), map_v4, &p) != NULL)
        return -EINVAL;
    return add_parsed(t, list, &p);
}

/* Parse and add one token of n bytes; records errors. */
static int add_token(struct scan_targets *t, enum scan_targets_list list, const char *s, size_t n,
                     const char *origin, unsigned long line)
{
    struct parsed p;
    const char *why = parse_target(s, n, true, &p);
    if (why != NULL) {
        scan_targets_record_error(t, origin, line, s, n, "%s", why);
        return -EINVAL;
    }
    if (list == SCAN_TARGETS_INCLUDE && p.family == PKT_ADDR_V6 && p.prefix < 96 &&
        !(t->flags & SCAN_TARGETS_ALLOW_LARGE)) {
        scan_targets_record_error(t, origin, line, s, n,
                                  "IPv6 prefix /%u holds 2^%u addresses, more than a /96; "
                                  "pass --allow-large to scan it",
                                  p.prefix, 128 - p.prefix);
        return -EINVAL;
    }
    int rc = add_parsed(t, list, &p);
    if (rc != 0)
        scan_targets_record_error(t, origin, line, NULL, 0, "out of memory");
    return rc;
}

int scan_targets_add_text(struct scan_targets *t, enum scan_targets_list list, const char *text,
                          const char *origin, unsigned long line)
{
    if (t->finalized)
        return -EBUSY;
    return add_token(t, list, text, strlen(text), origin, line);
}

/* ------------------------------------------------------------------ */
/* Line assembly for files, streams and buffers                         */

struct reader {
    struct scan_targets *t;
    enum scan_targets_list list;
    const char *origin;
    unsigned long line;                  /* number of the line being assembled, from 1 */
    size_t len;                          /* bytes in buf */
    bool overflow;                       /* line longer than buf: rest not stored */
    bool nul;                            /* NUL byte seen in this line */
    int rc;                              /* first error: -ENOMEM wins over -EINVAL */
    char buf[SCAN_TARGETS_LINE_MAX + 1]; /* +1 keeps a CR of a maximal CRLF line */
};

static void reader_note(struct reader *r, int rc)
{
    if (rc == 0 || r->rc == -ENOMEM)
        return;
    if (r->rc == 0 || rc == -ENOMEM)
        r->rc = rc;
}

static void reader_end_line(struct reader *r)
{
    char *s = r->buf;
    size_t n = r->len;

    if (n > 0 && s[n - 1] == '\r' && !r->overflow)
        n--;
    if (r->nul) {
        scan_targets_record_error(r->t, r->origin, r->line, NULL, 0, "NUL byte in line");
        reader_note(r, -EINVAL);
    } else if (r->overflow || n > SCAN_TARGETS_LINE_MAX) {
        scan_targets_record_error(r->t, r->origin, r->line, NULL, 0, "line longer than %d bytes",
                                  SCAN_TARGETS_LINE_MAX);
        reader_note(r, -EINVAL);
    } else {
        if (r->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
            s += 3;
            n -= 3;
        }
        const char *hash = memchr(s, '#', n);
        if (hash != NULL)
            n = (size_t)(hash - s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        while (n > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        if (n > 0)
            reader_note(r, add_token(r->t, r->list, s, n, r->origin, r->line));
    }
    r->line++;
    r->len = 0;
    r->overflow = false;
    r->nul = false;
}

static void reader_feed(struct reader *r, const char *data, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        size_t seg = nl != NULL ? (size_t)(nl - data) : n;
        if (seg > 0) {
            if (memchr(data, '\0', seg) != NULL)
                r->nul = true;
            size_t room = sizeof(r->buf) - r->len;
            if (seg > room) {
                r->overflow = true;
                seg = room;
            }
            memcpy(r->buf + r->len, data, seg);
            r->len += seg;
        }
        if (nl == NULL)
            return;
        reader_end_line(r);
        n -= (size_t)(nl + 1 - data);
        data = nl + 1;
    }
}

static void reader_finish(struct reader *r)
{
    /* A last line without a newline is still a line. */
    if (r->len > 0 || r->overflow || r->nul)
        reader_end_line(r);
}

static void reader_init(struct reader *r, struct scan_targets *t, enum scan_targets_list list,
                        const char *origin)
{
    r->t = t;
    r->list = list;
    r->origin = origin;
    r->line = 1;
    r->len = 0;
    r->overflow = false;
    r->nul = false;
    r->rc = 0;
}

int scan_targets_add_buffer(struct scan_targets *t, enum scan_targets_list list, const void *data,
                            size_t len, const char *origin)
{
    if (t->finalized)
        return -EBUSY;
    struct reader *r = malloc(sizeof(*r));
    if (r == NULL) {
        scan_targets_record_error(t, origin, 0, NULL, 0, "out of memory");
        return -ENOMEM;
    }
    reader_init(r, t, list, origin);
    reader_feed(r, data, len);
    reader_finish(r);
    int rc = r->rc;
    free(r);
    return rc;
}

int scan_targets_add_stream(struct scan_targets *t, enum scan_targets_list list, FILE *f,
                            const char *origin)
{
    if (t->finalized)
        return -EBUSY;
    struct reader *r = malloc(sizeof(*r));
    char *chunk = malloc(READ_CHUNK);
    int rc;
    if (r == NULL || chunk == NULL) {
        scan_targets_record_error(t, origin, 0, NULL, 0, "out of memory");
        rc = -ENOMEM;
        goto out;
    }
    reader_init(r, t, list, origin);
    errno = 0;
    for (;;) {
        size_t got = fread(chunk, 1, READ_CHUNK, f);
        reader_feed(r, chunk, got);
        if (got < READ_CHUNK)
            break;
    }
    if (ferror(f)) {
        int err = errno != 0 ? errno : EIO;
        scan_targets_record_error(t, origin, 0, NULL, 0, "read error: %s", strerror(err));
        rc = -err;
        goto out;
    }
    reader_finish(r);
    rc = r->rc;
out:
    free(chunk);
    free(r);
    return rc;
}

int scan_targets_add_file(struct scan_targets *t, enum scan_targets_list list, const char *path)
{
    if (t->finalized)
        return -EBUSY;
    if (strcmp(path, "-") == 0)
        return scan_targets_add_stream(t, list, stdin, "<stdin>");
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int err = errno;
        scan_targets_record_error(t, path, 0, NULL, 0, "cannot open: %s", strerror(err));
        return -err;
    }
    int rc = scan_targets_add_stream(t, list, f, path);
    fclose(f);
    return rc;
}
