/*
 * packet/addr.c - address parse, RFC 5952 format, equality.
 *
 * Parsing leans on inet_pton(3) for the grammar and adds the one rule the
 * header promises on top of it: no decimal component with a leading zero,
 * because "010" means 8 to inet_aton() and 10 to inet_pton() (I04). glibc's
 * inet_pton already refuses it; the explicit check keeps that true on any
 * libc and also covers the dotted tail of an IPv6 address.
 */
#include <netinet/in.h>

#include "packet/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#pragma GCC poison malloc calloc realloc free strdup

/*
 * True when some decimal component of the dotted quad starting at s has a
 * leading zero ("01", "00"). Only the part after the last ':' can be dotted.
 */
static bool dotted_has_leading_zero(const char *s)
{
    bool start = true;
    for (; *s != '\0'; s++) {
        if (*s == '.') {
            start = true;
            continue;
        }
        if (start && s[0] == '0' && s[1] >= '0' && s[1] <= '9')
            return true;
        start = false;
    }
    return false;
}

int pkt_addr_parse(const char *text, struct pkt_addr *out)
{
    if (text == NULL || out == NULL)
        return -EINVAL;

    struct pkt_addr a;
    memset(&a, 0, sizeof(a));
    const char *colon = strrchr(text, ':');
    if (colon != NULL) {
        if (strchr(colon, '.') != NULL && dotted_has_leading_zero(colon + 1))
            return -EINVAL;
        if (inet_pton(AF_INET6, text, a.bytes) != 1)
            return -EINVAL;
        a.family = PKT_ADDR_V6;
    } else {
        if (dotted_has_leading_zero(text))
            return -EINVAL;
        if (inet_pton(AF_INET, text, a.bytes) != 1)
            return -EINVAL;
        a.family = PKT_ADDR_V4;
    }
    *out = a;
    return 0;
}

/* Decimal 0..255 without leading zeros; returns the characters written. */
static size_t put_dec_u8(char *p, unsigned v)
{
    size_t n = 0;
    if (v >= 100)
        p[n++] = (char)('0' + v / 100);
    if (v >= 10)
        p[n++] = (char)('0' + (v / 10) % 10);
    p[n++] = (char)('0' + v % 10);
    return n;
}

static size_t put_dotted(char *p, const uint8_t b[4])
{
    size_t n = 0;
    for (unsigned i = 0; i < 4; i++) {
        if (i > 0)
            p[n++] = '.';
        n += put_dec_u8(p + n, b[i]);
    }
    return n;
}

/* Lower-case hex 0..ffff without leading zeros (RFC 5952 §4.1, §4.3). */
static size_t put_hex16(char *p, unsigned v)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (int shift = 12; shift >= 0; shift -= 4) {
        unsigned d = (v >> (unsigned)shift) & 0xfu;
        if (n > 0 || d != 0 || shift == 0)
            p[n++] = hex[d];
    }
    return n;
}

static size_t put_v6(char *p, const uint8_t b[16])
{
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    size_t n = 0;

    /* RFC 5952 §5: IPv4-mapped addresses keep the dotted quad. */
    if (memcmp(b, mapped, sizeof(mapped)) == 0) {
        memcpy(p, "::ffff:", 7);
        return 7 + put_dotted(p + 7, b + 12);
    }

    unsigned w[8];
    for (unsigned i = 0; i < 8; i++)
        w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];

    /* RFC 5952 §4.2: the longest run of two or more zero groups, the first on a tie. */
    unsigned best = 8, best_len = 1;
    for (unsigned i = 0; i < 8;) {
        if (w[i] != 0) {
            i++;
            continue;
        }
        unsigned j = i;
        while (j < 8 && w[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }

    for (unsigned i = 0; i < 8; i++) {
        if (i == best) {
            p[n++] = ':';
            p[n++] = ':';
            i += best_len - 1;
            continue;
        }
        if (i > 0 && i != best + best_len)
            p[n++] = ':';
        n += put_hex16(p + n, w[i]);
    }
    return n;
}

int pkt_addr_format(const struct pkt_addr *a, char *buf, size_t cap)
{
    char tmp[PKT_ADDR_TEXT_MAX];
    size_t n;

    if (a->family == PKT_ADDR_V4)
        n = put_dotted(tmp, a->bytes);
    else if (a->family == PKT_ADDR_V6)
        n = put_v6(tmp, a->bytes);
    else
        n = 0;
    /* Out of contract (unknown family, cap too small): an empty string, -EINVAL. */
    if (n == 0 || n >= cap) {
        if (cap > 0)
            buf[0] = '\0';
        return -EINVAL;
    }
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return (int)n;
}

bool pkt_addr_equal(const struct pkt_addr *a, const struct pkt_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, pkt_addr_len(a)) == 0;
}

socklen_t pkt_addr_to_sockaddr(const struct pkt_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (a->family == PKT_ADDR_V6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        memcpy(&s6->sin6_addr, a->bytes, 16);
        return sizeof(*s6);
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    memcpy(&s4->sin_addr, a->bytes, 4);
    return sizeof(*s4);
}

void pkt_addr_from_sockaddr(const struct sockaddr_storage *ss, struct pkt_addr *a, uint16_t *port)
{
    memset(a, 0, sizeof(*a));
    a->family = PKT_ADDR_V4;
    *port = 0;
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        a->family = PKT_ADDR_V6;
        memcpy(a->bytes, &s6->sin6_addr, 16);
        *port = ntohs(s6->sin6_port);
    } else if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        memcpy(a->bytes, &s4->sin_addr, 4);
        *port = ntohs(s4->sin_port);
    }
}
