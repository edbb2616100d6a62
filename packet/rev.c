/*
 * packet/rev.c - reverse names: in-addr.arpa (RFC 1035 §3.5), ip6.arpa
 * (RFC 3596 §2.5).
 *
 * Building is on the TX hot path (one name per target), so both builders
 * copy fixed four-octet entries from const tables instead of formatting:
 * one table row is a whole label, and a shorter label is simply overwritten
 * by the next one. Parsing takes untrusted wire names and accepts only the
 * canonical form the builders produce (modulo ASCII case), so a parsed name
 * always rebuilds to the same octets.
 */
#include "packet/rev.h"

#include <string.h>

#pragma GCC poison malloc calloc realloc free strdup

/*
 * rev_dec[v] = { label length, digits... } of the decimal label of v, unused
 * octets zero: rev_dec[7] = {1,'7',0,0}, rev_dec[42] = {2,'4','2',0}.
 */
#define REV_D(v)                                                         \
    {                                                                    \
        (v) < 10    ? 1                                                  \
        : (v) < 100 ? 2                                                  \
                    : 3,                                                 \
            '0' + ((v) < 10    ? (v)                                     \
                   : (v) < 100 ? (v) / 10                                \
                               : (v) / 100),                             \
            (v) < 10 ? 0 : '0' + ((v) < 100 ? (v) % 10 : (v) / 10 % 10), \
            (v) < 100 ? 0 : '0' + (v) % 10                               \
    }
#define REV_HEXC(n) ((n) < 10 ? '0' + (n) : 'a' + (n)-10)
/* rev_hex[b] = the two nibble labels of b in ip6.arpa order: low nibble first. */
#define REV_H(v)                                   \
    {                                              \
        1, REV_HEXC((v)&15), 1, REV_HEXC((v) >> 4) \
    }
#define REV_R4(M, b)  M(b), M((b) + 1), M((b) + 2), M((b) + 3)
#define REV_R16(M, b) REV_R4(M, b), REV_R4(M, (b) + 4), REV_R4(M, (b) + 8), REV_R4(M, (b) + 12)
#define REV_R64(M, b) \
    REV_R16(M, b), REV_R16(M, (b) + 16), REV_R16(M, (b) + 32), REV_R16(M, (b) + 48)
#define REV_R256(M) REV_R64(M, 0), REV_R64(M, 64), REV_R64(M, 128), REV_R64(M, 192)

static const uint8_t rev_dec[256][4] = { REV_R256(REV_D) };
static const uint8_t rev_hex[256][4] = { REV_R256(REV_H) };

/* The suffixes in wire form, root label included (the literal's NUL). */
static const char rev_v4_suffix[] = "\007in-addr\004arpa";
static const char rev_v6_suffix[] = "\003ip6\004arpa";
#define REV_V4_SUFFIX_LEN sizeof(rev_v4_suffix) /* 14 */
#define REV_V6_SUFFIX_LEN sizeof(rev_v6_suffix) /* 10 */

_Static_assert(4 * 4 + REV_V4_SUFFIX_LEN == PKT_REV_V4_MAX, "v4 reverse name length");
_Static_assert(32 * 2 + REV_V6_SUFFIX_LEN == PKT_REV_V6_MAX, "v6 reverse name length");

/* Writes up to PKT_REV_V4_MAX octets at p (whole table rows); returns the name length. */
static inline size_t rev_v4_write(const uint8_t addr[4], uint8_t *p)
{
    uint8_t *start = p;
    for (int i = 3; i >= 0; i--) {
        const uint8_t *row = rev_dec[addr[i]];
        memcpy(p, row, 4);
        p += row[0] + 1u;
    }
    memcpy(p, rev_v4_suffix, REV_V4_SUFFIX_LEN);
    return (size_t)(p - start) + REV_V4_SUFFIX_LEN;
}

int pkt_rev_name_v4(const uint8_t addr[4], uint8_t *out, size_t cap)
{
    if (cap >= PKT_REV_V4_MAX)
        return (int)rev_v4_write(addr, out);

    /* Short buffer: the whole rows may not fit, so go through a scratch copy. */
    uint8_t tmp[PKT_REV_V4_MAX];
    size_t n = rev_v4_write(addr, tmp);
    if (n > cap)
        return PKT_REV_E_SPACE;
    memcpy(out, tmp, n);
    return (int)n;
}

int pkt_rev_name_v6(const uint8_t addr[16], uint8_t *out, size_t cap)
{
    if (cap < PKT_REV_V6_MAX)
        return PKT_REV_E_SPACE;
    uint8_t *p = out;
    for (int i = 15; i >= 0; i--) {
        memcpy(p, rev_hex[addr[i]], 4);
        p += 4;
    }
    memcpy(p, rev_v6_suffix, REV_V6_SUFFIX_LEN);
    return PKT_REV_V6_MAX;
}

int pkt_rev_name(const struct pkt_addr *a, uint8_t *out, size_t cap)
{
    if (a->family == PKT_ADDR_V4)
        return pkt_rev_name_v4(a->bytes, out, cap);
    if (a->family == PKT_ADDR_V6)
        return pkt_rev_name_v6(a->bytes, out, cap);
    /* No address, so no name: the closest code in the contract. */
    return PKT_REV_E_NAME;
}

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* Case-insensitive (ASCII) comparison of the label at wire[off] with text. */
static bool label_is(const uint8_t *wire, size_t off, const char *text, size_t text_len)
{
    if (wire[off] != text_len)
        return false;
    for (size_t i = 0; i < text_len; i++) {
        if (lower(wire[off + 1 + i]) != (uint8_t)text[i])
            return false;
    }
    return true;
}

/* Value 0..15 of a hex digit (either case), or -1. */
static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Canonical decimal octet label ("0", "7", "42", "255"): value, or -1. */
static int dec_label(const uint8_t *label, size_t n)
{
    if (n == 0 || n > 3 || (n > 1 && label[0] == '0'))
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (label[i] < '0' || label[i] > '9')
            return -1;
        v = v * 10 + (label[i] - '0');
    }
    return v <= 255 ? v : -1;
}

#define REV_LABELS_KEPT 32 /* address labels of the longest (ip6.arpa) name */

int pkt_rev_name_parse(const uint8_t *wire, size_t len, struct pkt_addr *out)
{
    /*
     * RFC 1035 §3.1 first: label lengths 1..63 (no compression pointers or
     * extended label types here), every label inside len, the root label
     * exactly at the end, at most 255 octets. An empty label can only show
     * up as an early root label, so it fails here too.
     */
    if (wire == NULL || len == 0 || len > 255)
        return PKT_REV_E_NAME;
    size_t offs[REV_LABELS_KEPT];
    size_t nb_labels = 0, last = 0, prev = 0;
    size_t pos = 0;
    while (wire[pos] != 0) {
        size_t l = wire[pos];
        if (l > 63 || l + 1 >= len - pos)
            return PKT_REV_E_NAME;
        if (nb_labels < REV_LABELS_KEPT)
            offs[nb_labels] = pos;
        nb_labels++;
        prev = last;
        last = pos;
        pos += l + 1;
    }
    if (pos != len - 1)
        return PKT_REV_E_NAME;

    if (nb_labels < 2 || !label_is(wire, last, "arpa", 4))
        return PKT_REV_E_SUFFIX;
    struct pkt_addr a;
    memset(&a, 0, sizeof(a));
    if (label_is(wire, prev, "in-addr", 7)) {
        if (nb_labels - 2 != 4)
            return PKT_REV_E_LABELS;
        /* 4.3.2.1.in-addr.arpa: the first label is the last octet. */
        for (size_t i = 0; i < 4; i++) {
            int v = dec_label(wire + offs[i] + 1, wire[offs[i]]);
            if (v < 0)
                return PKT_REV_E_LABEL;
            a.bytes[3 - i] = (uint8_t)v;
        }
        a.family = PKT_ADDR_V4;
    } else if (label_is(wire, prev, "ip6", 3)) {
        if (nb_labels - 2 != 32)
            return PKT_REV_E_LABELS;
        /* Nibbles from the least significant: label 2k is the low half of byte 15-k. */
        for (size_t i = 0; i < 32; i++) {
            int v = wire[offs[i]] == 1 ? hex_value(wire[offs[i] + 1]) : -1;
            if (v < 0)
                return PKT_REV_E_LABEL;
            a.bytes[15 - i / 2] |= (uint8_t)(i % 2 == 0 ? v : v << 4);
        }
        a.family = PKT_ADDR_V6;
    } else {
        return PKT_REV_E_SUFFIX;
    }
    *out = a;
    return PKT_REV_OK;
}

const char *pkt_rev_strerror(int err)
{
    switch (err) {
    case PKT_REV_OK:
        return "ok";
    case PKT_REV_E_SPACE:
        return "output buffer too small for the reverse name";
    case PKT_REV_E_SUFFIX:
        return "name is not under in-addr.arpa. or ip6.arpa.";
    case PKT_REV_E_LABELS:
        return "wrong number of labels for a reverse name (4 for in-addr.arpa, 32 for ip6.arpa)";
    case PKT_REV_E_LABEL:
        return "label is not a canonical decimal octet or a single hex nibble";
    case PKT_REV_E_NAME:
        return "not a well-formed uncompressed wire name";
    default:
        return "unknown reverse-name error";
    }
}
