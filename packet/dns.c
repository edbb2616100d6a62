/*
 * packet/dns.c - DNS wire codec: query builder, hardened reply parser, names.
 *
 * The contract is in dns.h. This file explains the rules the parser applies
 * to hostile input and why they bound its work.
 *
 * Message layout (RFC 1035 §4.1.1), all fields big-endian:
 *
 *     0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |                      ID                       |  0
 *   +--+-----------+--+--+--+--+--------+-----------+
 *   |QR|  Opcode   |AA|TC|RD|RA|   Z    |   RCODE   |  2
 *   +--+-----------+--+--+--+--+--------+-----------+
 *   |                    QDCOUNT                    |  4
 *   |                    ANCOUNT                    |  6
 *   |                    NSCOUNT                    |  8
 *   |                    ARCOUNT                    | 10
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   question (QNAME QTYPE QCLASS), then ANCOUNT + NSCOUNT + ARCOUNT records
 *   (NAME TYPE CLASS TTL RDLENGTH RDATA; the fixed part is 10 octets).
 */
#include "packet/dns.h"

#include <string.h>

#pragma GCC poison malloc calloc realloc free strdup

#define HDR_QR     0x80u /* in octet 2 */
#define HDR_AA     0x04u
#define HDR_TC     0x02u
#define HDR_RD     0x01u
#define HDR_RA     0x80u /* in octet 3 */
#define RR_FIXED   10u   /* TYPE CLASS TTL RDLENGTH */
#define RR_MIN_LEN 11u   /* root owner + fixed part: the smallest possible RR */
#define OPT_LEN    11u   /* root owner, TYPE, CLASS, TTL, RDLENGTH 0 */
#define SOA_FIXED  20u   /* SERIAL REFRESH RETRY EXPIRE MINIMUM */

_Static_assert(PKT_DNS_QUERY_MAX == PKT_DNS_HDR_LEN + PKT_DNS_NAME_MAX + 4 + OPT_LEN,
               "PKT_DNS_QUERY_MAX must hold the longest query with EDNS");
_Static_assert(PKT_DNS_LABELS_MAX * 2 + 1 == PKT_DNS_NAME_MAX,
               "the label cap is implied by the octet cap");

/* ---- small helpers ------------------------------------------------------- */

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline bool is_upper(uint8_t c)
{
    return (unsigned)(c - 'A') < 26u;
}

static inline bool is_alpha(uint8_t c)
{
    return (unsigned)((c | 0x20u) - 'a') < 26u;
}

/* ASCII-only lower case: DNS names compare without locale (RFC 4343). */
static inline uint8_t lc(uint8_t c)
{
    return is_upper(c) ? (uint8_t)(c | 0x20u) : c;
}

/* Names usually match octet for octet: compare 8 at a time, then fold case. */
static bool ci_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y)
            break;
    }
    for (; i < n; i++) {
        if (a[i] != b[i] && lc(a[i]) != lc(b[i]))
            return false;
    }
    return true;
}

/* ---- errors and rcodes --------------------------------------------------- */

static const char *const err_msgs[PKT_DNS_E_COUNT] = {
    "ok",
    "reply shorter than a header or question cut",
    "not a response (QR=0)",
    "opcode is not QUERY",
    "QDCOUNT is not 1",
    "section counts exceed the packet",
    "bad compression pointer",
    "reserved label type",
    "name longer than 255 octets or 127 labels",
    "label or record runs past the end",
    "RDLENGTH beyond the packet",
    "malformed RDATA",
    "misplaced or duplicate OPT record",
    "CNAME/DNAME loop or chain too long",
    "too many records",
    "buffer too small",
    "invalid argument",
};

static const char *const err_names[PKT_DNS_E_COUNT] = {
    "ok",      "short",      "not_response", "opcode",  "question", "counts",
    "pointer", "labeltype",  "name_len",     "overrun", "rdlen",    "rdata",
    "opt",     "cname_loop", "too_many_rrs", "space",   "invalid",
};

const char *pkt_dns_strerror(int err)
{
    if (err > 0 || err <= -PKT_DNS_E_COUNT)
        return "unknown error";
    return err_msgs[-err];
}

const char *pkt_dns_err_name(int err)
{
    if (err > 0 || err <= -PKT_DNS_E_COUNT)
        return "unknown";
    return err_names[-err];
}

/*
 * IANA "DNS RCODEs": 0-11 are assigned header codes, 12-15 unassigned, 16 is
 * BADVERS when it comes from the OPT extended rcode. Every larger value is
 * reported as the one generic string "RCODE_OTHER": only EDNS can produce it,
 * and the TSIG/TKEY meanings of 17-23 do not apply to our unsigned queries.
 */
static const char *const rcode_names[] = {
    "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "DSOTYPENI",
    "RCODE12",  "RCODE13", "RCODE14",  "RCODE15",  "BADVERS",
};

const char *pkt_dns_rcode_name(unsigned rcode)
{
    if (rcode < sizeof(rcode_names) / sizeof(rcode_names[0]))
        return rcode_names[rcode];
    return "RCODE_OTHER";
}

/* ---- names ---------------------------------------------------------------- */

bool pkt_dns_name_equal(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    /* Length octets are 0-63, never letters, so a flat comparison is exact. */
    return a_len == b_len && ci_equal(a, b, a_len);
}

bool pkt_dns_name_equal_case(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    return a_len == b_len && memcmp(a, b, a_len) == 0;
}

void pkt_dns_name_lower(uint8_t *wire, size_t len)
{
    for (size_t i = 0; i < len; i++)
        wire[i] = lc(wire[i]);
}

void pkt_dns_name_case20(uint8_t *wire, size_t len, uint64_t bits)
{
    unsigned i = 0;
    for (size_t k = 0; k < len; k++) {
        uint8_t c = wire[k];
        if (!is_alpha(c))
            continue;
        if ((bits >> (i & 63u)) & 1u)
            wire[k] = (uint8_t)(c & ~0x20u);
        else
            wire[k] = (uint8_t)(c | 0x20u);
        i++;
    }
}

unsigned pkt_dns_name_labels(const uint8_t *wire, size_t len)
{
    unsigned n = 0;
    size_t pos = 0;
    while (pos < len && wire[pos] != 0 && wire[pos] <= PKT_DNS_LABEL_MAX) {
        pos += (size_t)wire[pos] + 1;
        n++;
    }
    return n;
}

int pkt_dns_name_from_text(const char *text, uint8_t *out, size_t cap)
{
    uint8_t buf[PKT_DNS_NAME_MAX];
    size_t n = 0;

    if (text == NULL || (out == NULL && cap > 0))
        return PKT_DNS_E_INVAL;
    const char *p = text;
    if (p[0] == '.' && p[1] == '\0') {
        buf[n++] = 0;
        goto done;
    }
    if (*p == '\0')
        return PKT_DNS_E_INVAL;
    while (*p != '\0') {
        size_t lab = n++;
        size_t llen = 0;
        while (*p != '\0' && *p != '.') {
            uint8_t ch;
            if (*p == '\\') {
                p++;
                if (*p >= '0' && *p <= '9') {
                    /* \DDD: exactly three decimal digits, value <= 255. */
                    if (p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
                        return PKT_DNS_E_INVAL;
                    unsigned v = (unsigned)(p[0] - '0') * 100u + (unsigned)(p[1] - '0') * 10u +
                                 (unsigned)(p[2] - '0');
                    if (v > 255)
                        return PKT_DNS_E_INVAL;
                    ch = (uint8_t)v;
                    p += 3;
                } else if (*p == '\0') {
                    return PKT_DNS_E_INVAL;
                } else {
                    ch = (uint8_t)*p++;
                }
            } else {
                ch = (uint8_t)*p++;
            }
            if (llen == PKT_DNS_LABEL_MAX)
                return PKT_DNS_E_INVAL;
            /* This octet and the root must still fit in 255. */
            if (n + 2 > PKT_DNS_NAME_MAX)
                return PKT_DNS_E_NAMELEN;
            buf[n++] = ch;
            llen++;
        }
        if (llen == 0)
            return PKT_DNS_E_INVAL; /* empty label: "a..b", ".a" */
        buf[lab] = (uint8_t)llen;
        if (*p == '.')
            p++; /* a final dot just ends the loop */
    }
    buf[n++] = 0;
done:
    if (n > cap)
        return PKT_DNS_E_SPACE;
    memcpy(out, buf, n);
    return (int)n;
}

/* RFC 1035 §5.1 specials plus the docs/output.md set, as \DDD; '.' is "\." */
static inline bool needs_ddd(uint8_t c)
{
    return c < 0x21 || c > 0x7E || c == '"' || c == '\\' || c == '(' || c == ')' || c == ';' ||
           c == ',';
}

int pkt_dns_name_present(const uint8_t *wire, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    size_t pos = 0;

    if (out == NULL || cap == 0)
        return PKT_DNS_E_SPACE;
    out[0] = '\0';
    if (wire == NULL || len == 0)
        return PKT_DNS_E_INVAL;
    if (wire[0] == 0) {
        if (cap < 2)
            return PKT_DNS_E_SPACE;
        out[0] = '.';
        out[1] = '\0';
        return 1;
    }
    /* Room for each octet's characters plus the final NUL is checked before writing. */
    for (;;) {
        if (pos >= len)
            goto inval; /* no root label */
        unsigned b = wire[pos];
        if (b == 0)
            break;
        if (b > PKT_DNS_LABEL_MAX || b >= len - pos)
            goto inval;
        if (pos > 0) {
            if (o + 2 > cap)
                goto space;
            out[o++] = '.';
        }
        for (size_t i = pos + 1; i <= pos + b; i++) {
            uint8_t c = wire[i];
            size_t need = c == '.' ? 2u : needs_ddd(c) ? 4u : 1u;
            if (o + need + 1 > cap)
                goto space;
            if (c == '.') {
                out[o++] = '\\';
                out[o++] = '.';
            } else if (needs_ddd(c)) {
                out[o++] = '\\';
                out[o++] = (char)('0' + c / 100);
                out[o++] = (char)('0' + c / 10 % 10);
                out[o++] = (char)('0' + c % 10);
            } else {
                out[o++] = (char)lc(c);
            }
        }
        pos += (size_t)b + 1;
    }
    out[o] = '\0';
    return (int)o;
space:
    out[0] = '\0';
    return PKT_DNS_E_SPACE;
inval:
    out[0] = '\0';
    return PKT_DNS_E_INVAL;
}

/* ---- queries -------------------------------------------------------------- */

int pkt_dns_query_build(uint8_t *buf, size_t cap, const struct pkt_dns_query *q)
{
    if (q == NULL || q->qname == NULL || q->qname_len == 0 || (buf == NULL && cap > 0))
        return PKT_DNS_E_INVAL;
    const uint8_t *name = q->qname;
    size_t qlen = q->qname_len;

    /*
     * One step per label (about 6 for an in-addr.arpa name): never put a
     * malformed name on the wire, since the reply's question is compared
     * with it octet for octet.
     */
    size_t pos = 0;
    while (pos < qlen && name[pos] != 0) {
        if (name[pos] > PKT_DNS_LABEL_MAX)
            return PKT_DNS_E_INVAL;
        pos += (size_t)name[pos] + 1;
    }
    if (pos != qlen - 1)
        return PKT_DNS_E_INVAL;

    size_t need = PKT_DNS_HDR_LEN + qlen + 4 + (q->edns ? OPT_LEN : 0);
    if (need > cap)
        return PKT_DNS_E_SPACE;

    wr16(buf, q->id);
    buf[2] = q->rd ? (uint8_t)HDR_RD : 0; /* QR=0, opcode QUERY, AA=TC=0 */
    buf[3] = 0;
    wr16(buf + 4, 1);
    wr16(buf + 6, 0);
    wr16(buf + 8, 0);
    wr16(buf + 10, q->edns ? 1u : 0u);
    uint8_t *p = buf + PKT_DNS_HDR_LEN;
    memcpy(p, name, qlen);
    p += qlen;
    wr16(p, q->qtype);
    wr16(p + 2, PKT_DNS_CLASS_IN);
    if (q->edns) {
        /* RFC 6891 §6.1.2: root owner, TYPE OPT, CLASS = UDP payload size, TTL 0, no RDATA. */
        uint8_t *o = p + 4;
        o[0] = 0;
        wr16(o + 1, PKT_DNS_TYPE_OPT);
        wr16(o + 3, PKT_DNS_EDNS_BUFSIZE);
        memset(o + 5, 0, 6);
    }
    return (int)need;
}

/* ---- reply parsing -------------------------------------------------------- */

/*
 * Internal outcome of walking one name. The caller maps it to a public code
 * because the same damage means different things where it occurs: running
 * off the end is "short" in the question, "overrun" in an owner name, "rdata"
 * inside RDATA, and the end of a truncated (TC=1) reply otherwise.
 */
enum walk_res {
    W_OK = 0,
    W_CUT,       /* a label runs past the limit, or no root before it */
    W_PTRCUT,    /* the limit falls between the two pointer octets */
    W_POINTER,   /* header/forward/self pointer, or more than the jump cap */
    W_LABELTYPE, /* 0x40-0xBF: extended or reserved label type (RFC 6891 §5) */
    W_NAMELEN,   /* more than 255 octets once decompressed */
};

struct walk_ctx {
    const uint8_t *wire;
    size_t len;
    const uint8_t *qname; /* the validated question name, NULL while parsing it */
    size_t qname_len;     /* 0 while parsing it */
};

/*
 * Is offset t the start of a label of the question name? Then the name from
 * t on is a suffix of the qname, already validated and decompressed: most
 * compression pointers point there (the qname itself, its zone, its TLD).
 */
static inline bool qname_suffix_at(const struct walk_ctx *c, size_t t)
{
    size_t i = t - PKT_DNS_HDR_LEN; /* t >= 12 is checked first by every caller */
    if (i >= c->qname_len)
        return false;
    size_t j = 0;
    while (j < i)
        j += (size_t)c->qname[j] + 1; /* stops at the root: qname[qname_len - 1] */
    return j == i;
}

/*
 * Validate the name at off and, when out is not NULL, decompress it there
 * (PKT_DNS_NAME_MAX octets). Octets of the name's own occurrence must lie
 * below lim; after a pointer, anything below the packet length may be read.
 * Sets *end just past the occurrence and *name_len to the decompressed length.
 *
 * Pointer rule (RFC 1035 §4.1.4 allows "a prior occurance"): a pointer must
 * point at or after the question (>= 12) and strictly before the start of the
 * piece of name being read, which starts as the name occurrence itself and
 * becomes each jump's target. The read position therefore strictly decreases
 * with every jump, so loops are impossible and self, forward and cyclic
 * pointers all fail; the jump cap bounds long backward chains (P06). A
 * pointer to a label of the question name (usually C0 0C) ends the walk at
 * once: that suffix is already validated and its length known, so the common
 * owner names cost O(1).
 *
 * The label cap (127) needs no check of its own: every non-root label takes
 * at least 2 octets, so 128 labels cannot fit in 255 octets.
 */
static enum walk_res name_walk(const struct walk_ctx *c, size_t off, size_t lim, size_t *end,
                               uint8_t *out, size_t *name_len)
{
    const uint8_t *w = c->wire;
    size_t pos = off;
    size_t bound = off;
    size_t total = 0; /* octets so far, root excluded */
    size_t run = off; /* start of the contiguous run being read, copied in one go */
    size_t run_out = 0;
    size_t occ_end = 0;
    unsigned jumps = 0;

    for (;;) {
        if (pos >= lim)
            return W_CUT;
        unsigned b = w[pos];
        if (b <= PKT_DNS_LABEL_MAX) {
            if (b == 0)
                break;
            if (b >= lim - pos)
                return W_CUT; /* needs b + 1 octets from pos */
            total += (size_t)b + 1;
            if (total >= PKT_DNS_NAME_MAX)
                return W_NAMELEN; /* no room left for the root octet */
            pos += (size_t)b + 1;
            continue;
        }
        if (b < 0xC0)
            return W_LABELTYPE;
        if (lim - pos < 2)
            return W_PTRCUT;
        size_t t = (size_t)(b & 0x3Fu) << 8 | w[pos + 1];
        if (jumps == 0)
            occ_end = pos + 2;
        if (t < PKT_DNS_HDR_LEN || t >= bound || ++jumps > PKT_DNS_JUMPS_MAX)
            return W_POINTER;
        if (out != NULL)
            memcpy(out + run_out, w + run, pos - run);
        if (qname_suffix_at(c, t)) {
            size_t rest = c->qname_len - (t - PKT_DNS_HDR_LEN);
            if (total + rest > PKT_DNS_NAME_MAX)
                return W_NAMELEN;
            if (out != NULL)
                memcpy(out + total, c->qname + (t - PKT_DNS_HDR_LEN), rest);
            *end = occ_end;
            *name_len = total + rest;
            return W_OK;
        }
        bound = t;
        pos = t;
        lim = c->len;
        run = t;
        run_out = total;
    }
    if (jumps == 0)
        occ_end = pos + 1;
    if (out != NULL) {
        memcpy(out + run_out, w + run, pos - run);
        out[total] = 0;
    }
    *end = occ_end;
    *name_len = total + 1;
    return W_OK;
}

static int walk_err(enum walk_res r, int cut_code, int ptrcut_code)
{
    switch (r) {
    case W_OK:
        return PKT_DNS_OK;
    case W_CUT:
        return cut_code;
    case W_PTRCUT:
        return ptrcut_code;
    case W_POINTER:
        return PKT_DNS_E_POINTER;
    case W_LABELTYPE:
        return PKT_DNS_E_LABELTYPE;
    case W_NAMELEN:
        return PKT_DNS_E_NAMELEN;
    }
    return PKT_DNS_E_POINTER;
}

/*
 * Case-insensitive comparison of the (already validated) name at off with a
 * flat name. Still bounds-checked, so it is safe on any input: each step
 * either follows a pointer (capped) or consumes flat octets.
 */
static bool name_equal_at(const struct walk_ctx *c, size_t off, const uint8_t *f, size_t f_len)
{
    const uint8_t *w = c->wire;
    size_t pos = off;
    size_t fpos = 0;
    unsigned jumps = 0;

    for (;;) {
        if (pos >= c->len || fpos >= f_len)
            return false;
        unsigned b = w[pos];
        if (b >= 0xC0) {
            if (c->len - pos < 2 || ++jumps > PKT_DNS_JUMPS_MAX)
                return false;
            size_t t = (size_t)(b & 0x3Fu) << 8 | w[pos + 1];
            if (t >= PKT_DNS_HDR_LEN && qname_suffix_at(c, t)) {
                size_t rest = c->qname_len - (t - PKT_DNS_HDR_LEN);
                return f_len - fpos == rest &&
                       ci_equal(f + fpos, c->qname + (t - PKT_DNS_HDR_LEN), rest);
            }
            pos = t;
            continue;
        }
        if (b != f[fpos])
            return false;
        if (b == 0)
            return fpos + 1 == f_len;
        if (b > PKT_DNS_LABEL_MAX || b >= c->len - pos || b >= f_len - fpos)
            return false;
        if (!ci_equal(w + pos + 1, f + fpos + 1, b))
            return false;
        pos += (size_t)b + 1;
        fpos += (size_t)b + 1;
    }
}

/* Position of an answer RR kept for the chain walk (pass 2). */
struct an_rr {
    uint32_t owner;
    uint32_t rdata;
    uint16_t rdlen;
    uint16_t type;
    uint8_t owner_len; /* decompressed, filters most comparisons */
    uint8_t slot;      /* PTR already decompressed into out->ptr[slot], or NO_SLOT */
};

#define NO_SLOT 0xFFu

enum section { SEC_AN, SEC_NS, SEC_AR };

/* Does the answer RR's owner equal name? cur_is_q: name is the question name. */
static bool owner_is(const struct walk_ctx *c, const struct an_rr *rr,
                     const struct pkt_dns_name *name, bool cur_is_q)
{
    const uint8_t *w = c->wire + rr->owner;
    if (rr->owner_len != name->len)
        return false;
    if (w[0] == 0xC0 && w[1] == PKT_DNS_HDR_LEN) {
        /* Owner is exactly the question name: the usual case, no walk. */
        if (cur_is_q)
            return true;
        return pkt_dns_name_equal(c->qname, c->qname_len, name->wire, name->len);
    }
    return name_equal_at(c, rr->owner, name->wire, name->len);
}

/*
 * If the DNAME's owner is a proper ancestor of cur, replace that suffix of
 * cur by the DNAME target (RFC 6672 §2.2). Returns 1 when rewritten, 0 when
 * the DNAME does not apply, or a negative code.
 */
static int dname_apply(const struct walk_ctx *c, const struct an_rr *rr, struct pkt_dns_name *cur)
{
    uint8_t owner[PKT_DNS_NAME_MAX];
    uint8_t target[PKT_DNS_NAME_MAX];
    size_t owner_len, target_len, end;

    if (name_walk(c, rr->owner, c->len, &end, owner, &owner_len) != W_OK)
        return PKT_DNS_E_POINTER; /* validated in pass 1: cannot happen */
    if (owner_len >= cur->len)
        return 0;
    /* The only label boundary where the suffix can match is cur->len - owner_len. */
    size_t s = 0;
    while (s < cur->len - owner_len && cur->wire[s] != 0)
        s += (size_t)cur->wire[s] + 1;
    if (s != cur->len - owner_len || !ci_equal(cur->wire + s, owner, owner_len))
        return 0;
    if (name_walk(c, rr->rdata, (size_t)rr->rdata + rr->rdlen, &end, target, &target_len) != W_OK)
        return PKT_DNS_E_RDATA;
    if (s + target_len > PKT_DNS_NAME_MAX)
        return PKT_DNS_E_NAMELEN; /* RFC 6672 §2.2: would be YXDOMAIN */
    memcpy(cur->wire + s, target, target_len);
    cur->len = (uint8_t)(s + target_len);
    return 1;
}

/*
 * Follow CNAME/DNAME records of the answer section from the question name.
 * A DNAME that applies is preferred to a CNAME at the same step: a server
 * sends both (the CNAME synthesised from the DNAME, RFC 6672 §3.1), and
 * following the DNAME lets the caller see saw_dname. More than
 * PKT_DNS_CHAIN_MAX hops, which includes every loop, is PKT_DNS_E_CHAIN.
 */
static int chain_follow(const struct walk_ctx *c, const struct an_rr *rrs, unsigned nb_rr,
                        struct pkt_dns_reply *out)
{
    for (;;) {
        bool cur_is_q = out->nb_hops == 0;
        int hit = 0;
        for (unsigned i = 0; i < nb_rr && hit == 0; i++) {
            if (rrs[i].type != PKT_DNS_TYPE_DNAME)
                continue;
            hit = dname_apply(c, &rrs[i], &out->target);
            if (hit < 0)
                return hit;
            if (hit > 0)
                out->saw_dname = true;
        }
        for (unsigned i = 0; i < nb_rr && hit == 0; i++) {
            if (rrs[i].type != PKT_DNS_TYPE_CNAME || !owner_is(c, &rrs[i], &out->target, cur_is_q))
                continue;
            size_t end, n;
            if (name_walk(c, rrs[i].rdata, (size_t)rrs[i].rdata + rrs[i].rdlen, &end,
                          out->target.wire, &n) != W_OK)
                return PKT_DNS_E_RDATA; /* validated in pass 1: cannot happen */
            out->target.len = (uint8_t)n;
            hit = 1;
        }
        if (hit == 0)
            return PKT_DNS_OK;
        if (++out->nb_hops > PKT_DNS_CHAIN_MAX)
            return PKT_DNS_E_CHAIN;
    }
}

/*
 * RDATA checks by type. Returns 0 or a negative code. Names in RDATA must end
 * exactly at the end of RDATA; pointers inside them may reach anywhere
 * earlier in the packet (RFC 1035 §4.1.4, RFC 3597 §4 for DNAME).
 */
static int rdata_check(const struct walk_ctx *c, uint16_t type, uint16_t rclass, size_t rd,
                       size_t rdlen, enum section sec, struct pkt_dns_reply *out)
{
    size_t rdend = rd + rdlen;
    size_t end, n;
    enum walk_res r;

    switch (type) {
    case PKT_DNS_TYPE_A:
        /* The A layout is defined for class IN only (RFC 1035 §3.4.1). */
        if (rclass == PKT_DNS_CLASS_IN && rdlen != 4)
            return PKT_DNS_E_RDATA;
        return PKT_DNS_OK;
    case PKT_DNS_TYPE_AAAA:
        if (rclass == PKT_DNS_CLASS_IN && rdlen != 16)
            return PKT_DNS_E_RDATA;
        return PKT_DNS_OK;
    case PKT_DNS_TYPE_PTR:
    case PKT_DNS_TYPE_CNAME:
    case PKT_DNS_TYPE_DNAME:
        r = name_walk(c, rd, rdend, &end, NULL, &n);
        if (r != W_OK)
            return walk_err(r, PKT_DNS_E_RDATA, PKT_DNS_E_RDATA);
        return end == rdend ? PKT_DNS_OK : PKT_DNS_E_RDATA;
    case PKT_DNS_TYPE_SOA:
        r = name_walk(c, rd, rdend, &end, NULL, &n); /* MNAME */
        if (r == W_OK)
            r = name_walk(c, end, rdend, &end, NULL, &n); /* RNAME */
        if (r != W_OK)
            return walk_err(r, PKT_DNS_E_RDATA, PKT_DNS_E_RDATA);
        if (rdend - end != SOA_FIXED)
            return PKT_DNS_E_RDATA;
        if (sec == SEC_NS && rclass == PKT_DNS_CLASS_IN && !out->has_soa) {
            /* RFC 2308 §5: the negative TTL; the first SOA counts. */
            out->has_soa = true;
            out->soa_minimum = rd32(c->wire + rdend - 4);
        }
        return PKT_DNS_OK;
    case PKT_DNS_TYPE_OPT:
        /* RDATA is {CODE, LENGTH, DATA} options that must tile it exactly. */
        while (rd < rdend) {
            if (rdend - rd < 4)
                return PKT_DNS_E_RDATA;
            size_t olen = rd16(c->wire + rd + 2);
            if (olen > rdend - rd - 4)
                return PKT_DNS_E_RDATA;
            rd += 4 + olen;
        }
        return PKT_DNS_OK;
    default:
        return PKT_DNS_OK;
    }
}

int pkt_dns_reply_parse(const uint8_t *wire, size_t len, struct pkt_dns_reply *out)
{
    if (out == NULL || (wire == NULL && len > 0))
        return PKT_DNS_E_INVAL;
    if (len < PKT_DNS_HDR_LEN)
        return PKT_DNS_E_SHORT;
    unsigned f1 = wire[2];
    unsigned f2 = wire[3];
    if ((f1 & HDR_QR) == 0)
        return PKT_DNS_E_NOTRESP;
    if ((f1 >> 3 & 0xFu) != 0)
        return PKT_DNS_E_OPCODE;
    if (rd16(wire + 4) != 1)
        return PKT_DNS_E_QUESTION;

    out->id = rd16(wire);
    out->tc = (f1 & HDR_TC) != 0;
    out->aa = (f1 & HDR_AA) != 0;
    out->rd = (f1 & HDR_RD) != 0;
    out->ra = (f2 & HDR_RA) != 0;
    out->nb_an = rd16(wire + 6);
    out->nb_ns = rd16(wire + 8);
    out->nb_ar = rd16(wire + 10);

    /*
     * Question: whole even when TC=1. A pointer here could only hit the
     * header, so a valid question name is flat: one pass validates it and it
     * is copied in one go.
     */
    struct walk_ctx c = { .wire = wire, .len = len, .qname = NULL, .qname_len = 0 };
    size_t pos = PKT_DNS_HDR_LEN;
    for (;;) {
        if (pos >= len)
            return PKT_DNS_E_SHORT;
        unsigned b = wire[pos];
        if (b == 0)
            break;
        if (b > PKT_DNS_LABEL_MAX)
            return b >= 0xC0 ? (len - pos < 2 ? PKT_DNS_E_SHORT : PKT_DNS_E_POINTER)
                             : PKT_DNS_E_LABELTYPE;
        if (b >= len - pos)
            return PKT_DNS_E_SHORT;
        pos += (size_t)b + 1;
        if (pos - PKT_DNS_HDR_LEN >= PKT_DNS_NAME_MAX)
            return PKT_DNS_E_NAMELEN;
    }
    pos++;
    size_t qlen = pos - PKT_DNS_HDR_LEN;
    if (len - pos < 4)
        return PKT_DNS_E_SHORT;
    memcpy(out->qname.wire, wire + PKT_DNS_HDR_LEN, qlen);
    out->qname.len = (uint8_t)qlen;
    out->qtype = rd16(wire + pos);
    out->qclass = rd16(wire + pos + 2);
    pos += 4;
    c.qname = out->qname.wire;
    c.qname_len = qlen;
    enum walk_res wr;

    /*
     * P16: decide from the counts alone, before any loop, whether the records
     * can be there at all (each needs >= 11 octets) and whether there are
     * more than we examine. A truncated reply may legitimately announce more
     * than it carries, so it skips the first check and stops at the cut.
     */
    size_t nb_total = (size_t)out->nb_an + out->nb_ns + out->nb_ar;
    if (!out->tc && nb_total * RR_MIN_LEN > len - pos)
        return PKT_DNS_E_COUNTS;
    if (nb_total > PKT_DNS_RR_MAX)
        return PKT_DNS_E_TOOMANY;

    out->nb_hops = 0;
    out->saw_dname = false;
    out->nb_ptr_total = 0;
    out->nb_ptr = 0;
    out->nb_addr_total = 0;
    out->nb_addr = 0;
    out->has_soa = false;
    out->soa_minimum = 0;
    out->has_opt = false;
    out->opt_version = 0;
    out->opt_udp_size = 0;
    unsigned rcode = f2 & 0xFu;
    unsigned ext_rcode = 0;

    uint16_t qtype = out->qtype;
    bool want_ptr = qtype == PKT_DNS_TYPE_PTR;
    bool want_addr = qtype == PKT_DNS_TYPE_A || qtype == PKT_DNS_TYPE_AAAA;
    bool want_chain = qtype != PKT_DNS_TYPE_CNAME;
    struct an_rr rrs[PKT_DNS_RR_MAX];
    unsigned nb_rr = 0;
    unsigned nb_slots = 0;
    bool any_chain = false;

    /* Pass 1: validate every record, note the answer RRs that may matter. */
    for (size_t i = 0; i < nb_total; i++) {
        enum section sec = i < out->nb_an                        ? SEC_AN
                           : i < (size_t)out->nb_an + out->nb_ns ? SEC_NS
                                                                 : SEC_AR;
        size_t owner = pos;
        size_t owner_len;
        /* The two usual owners, C0 0C (the qname) and the root (OPT), inline. */
        if (len - pos >= 2 && wire[pos] == 0xC0 && wire[pos + 1] == PKT_DNS_HDR_LEN) {
            owner_len = qlen;
            pos += 2;
        } else if (pos < len && wire[pos] == 0) {
            owner_len = 1;
            pos++;
        } else {
            wr = name_walk(&c, pos, len, &pos, NULL, &owner_len);
            if (wr != W_OK) {
                if (out->tc && (wr == W_CUT || wr == W_PTRCUT))
                    break;
                return walk_err(wr, PKT_DNS_E_OVERRUN, PKT_DNS_E_POINTER);
            }
        }
        if (len - pos < RR_FIXED) {
            if (out->tc)
                break;
            return PKT_DNS_E_OVERRUN;
        }
        uint16_t type = rd16(wire + pos);
        uint16_t rclass = rd16(wire + pos + 2);
        uint32_t ttl = rd32(wire + pos + 4);
        size_t rdlen = rd16(wire + pos + 8);
        pos += RR_FIXED;
        if (rdlen > len - pos) {
            if (out->tc)
                break;
            return PKT_DNS_E_RDLEN;
        }
        size_t rd = pos;
        pos += rdlen;

        if (type == PKT_DNS_TYPE_OPT) {
            /*
             * OPT rule (RFC 6891 §6.1.1): at most one OPT, only in the
             * additional section, owned by the root. Anything else makes the
             * whole reply PKT_DNS_E_OPT rather than being ignored: a server
             * that gets this wrong cannot be trusted with the rest either.
             */
            if (sec != SEC_AR || out->has_opt || owner_len != 1)
                return PKT_DNS_E_OPT;
            out->has_opt = true;
            out->opt_udp_size = rclass;
            ext_rcode = ttl >> 24;
            out->opt_version = (uint8_t)(ttl >> 16);
        }
        bool answer = sec == SEC_AN && rclass == PKT_DNS_CLASS_IN;
        uint8_t slot = NO_SLOT;
        if (answer && want_ptr && type == PKT_DNS_TYPE_PTR) {
            /*
             * An answer PTR of a PTR query is validated and decompressed in
             * the same walk, into the next free out->ptr slot: most will be
             * kept, and pass 2 then only moves the ones owned by the target.
             */
            size_t end, n;
            uint8_t *dst = nb_slots < PKT_DNS_PTR_MAX ? out->ptr[nb_slots].wire : NULL;
            wr = name_walk(&c, rd, rd + rdlen, &end, dst, &n);
            if (wr != W_OK)
                return walk_err(wr, PKT_DNS_E_RDATA, PKT_DNS_E_RDATA);
            if (end != rd + rdlen)
                return PKT_DNS_E_RDATA;
            if (dst != NULL) {
                out->ptr[nb_slots].len = (uint8_t)n;
                slot = (uint8_t)nb_slots++;
            }
        } else {
            int err = rdata_check(&c, type, rclass, rd, rdlen, sec, out);
            if (err != PKT_DNS_OK)
                return err;
        }

        if (!answer)
            continue;
        bool keep;
        if (type == PKT_DNS_TYPE_CNAME || type == PKT_DNS_TYPE_DNAME) {
            keep = want_chain;
            any_chain |= want_chain;
        } else {
            keep = type == qtype && (want_ptr || want_addr);
        }
        if (keep) {
            rrs[nb_rr].owner = (uint32_t)owner;
            rrs[nb_rr].rdata = (uint32_t)rd;
            rrs[nb_rr].rdlen = (uint16_t)rdlen;
            rrs[nb_rr].type = type;
            rrs[nb_rr].owner_len = (uint8_t)owner_len;
            rrs[nb_rr].slot = slot;
            nb_rr++;
        }
    }
    out->rcode = (uint16_t)(ext_rcode << 4 | rcode);

    /* Pass 2: the chain from the question name, then the answers at its end. */
    memcpy(out->target.wire, out->qname.wire, qlen);
    out->target.len = (uint8_t)qlen;
    if (any_chain) {
        int err = chain_follow(&c, rrs, nb_rr, out);
        if (err != PKT_DNS_OK)
            return err;
    }
    if (!want_ptr && !want_addr)
        return PKT_DNS_OK;
    bool cur_is_q = out->nb_hops == 0;
    for (unsigned i = 0; i < nb_rr; i++) {
        const struct an_rr *rr = &rrs[i];
        if (rr->type != qtype || !owner_is(&c, rr, &out->target, cur_is_q))
            continue;
        if (want_ptr) {
            out->nb_ptr_total++;
            if (out->nb_ptr == PKT_DNS_PTR_MAX)
                continue;
            struct pkt_dns_name *nm = &out->ptr[out->nb_ptr];
            if (rr->slot != NO_SLOT) {
                /* Slots only move down: later RRs have higher slots than nb_ptr. */
                if (rr->slot != out->nb_ptr) {
                    const struct pkt_dns_name *from = &out->ptr[rr->slot];
                    nm->len = from->len;
                    memcpy(nm->wire, from->wire, from->len);
                }
            } else {
                size_t end, n;
                if (name_walk(&c, rr->rdata, (size_t)rr->rdata + rr->rdlen, &end, nm->wire, &n) !=
                    W_OK)
                    return PKT_DNS_E_RDATA; /* validated in pass 1: cannot happen */
                nm->len = (uint8_t)n;
            }
            out->nb_ptr++;
        } else {
            out->nb_addr_total++;
            if (out->nb_addr == PKT_DNS_ADDR_MAX)
                continue;
            uint8_t *a = out->addr[out->nb_addr];
            if (rr->rdlen == 4) {
                memcpy(a, wire + rr->rdata, 4);
                memset(a + 4, 0, 12);
            } else {
                memcpy(a, wire + rr->rdata, 16);
            }
            out->nb_addr++;
        }
    }
    return PKT_DNS_OK;
}
