/*
 * tests/packet/dns_msg.h - a small DNS message writer for hand-made
 * replies and parse helpers, shared by the test_dns*.c suites.
 */
#ifndef FCRSCAN_TESTS_PACKET_DNS_MSG_H
#define FCRSCAN_TESTS_PACKET_DNS_MSG_H

#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet/dns.h"

struct msg {
    uint8_t b[70000];
    size_t n;
};

static inline void m_raw(struct msg *m, const void *p, size_t n)
{
    cr_assert_leq(m->n + n, sizeof(m->b), "test message overflow");
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

static inline void m_u8(struct msg *m, unsigned v)
{
    uint8_t b = (uint8_t)v;
    m_raw(m, &b, 1);
}

static inline void m_u16(struct msg *m, unsigned v)
{
    m_u8(m, v >> 8);
    m_u8(m, v & 0xFF);
}

static inline void m_u32(struct msg *m, uint32_t v)
{
    m_u16(m, v >> 16);
    m_u16(m, v & 0xFFFF);
}

static inline void m_set16(struct msg *m, size_t off, unsigned v)
{
    m->b[off] = (uint8_t)(v >> 8);
    m->b[off + 1] = (uint8_t)v;
}

/* Dotted text (no escapes) to wire form; returns the length. */
static inline size_t wname(const char *text, uint8_t *out)
{
    size_t n = 0;
    if (strcmp(text, ".") == 0) {
        out[0] = 0;
        return 1;
    }
    const char *p = text;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        out[n++] = (uint8_t)l;
        memcpy(out + n, p, l);
        n += l;
        p += l;
        if (*p == '.')
            p++;
    }
    out[n++] = 0;
    return n;
}

static inline size_t m_name(struct msg *m, const char *text)
{
    uint8_t w[300];
    size_t off = m->n;
    m_raw(m, w, wname(text, w));
    return off;
}

#define FLAGS_RESP 0x8180u /* QR RD RA, NOERROR */
#define FLAG_TC    0x0200u
#define QNAME      "4.3.2.1.in-addr.arpa"
#define QEND       (12 + 22 + 4) /* end of the question for QNAME */
#define REV6       "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"

static inline void m_header(struct msg *m, unsigned flags, unsigned qd, unsigned an, unsigned ns,
                            unsigned ar)
{
    m->n = 0;
    m_u16(m, 0x1234);
    m_u16(m, flags);
    m_u16(m, qd);
    m_u16(m, an);
    m_u16(m, ns);
    m_u16(m, ar);
}

/* Header plus the question (qname, qtype, IN). */
static inline void m_reply(struct msg *m, const char *qname, unsigned qtype, unsigned an,
                           unsigned ns, unsigned ar)
{
    m_header(m, FLAGS_RESP, 1, an, ns, ar);
    m_name(m, qname);
    m_u16(m, qtype);
    m_u16(m, PKT_DNS_CLASS_IN);
}

static const uint8_t OWNER_Q[2] = { 0xC0, 0x0C }; /* pointer to the question name */

static inline void m_rr(struct msg *m, const uint8_t *owner, size_t owner_len, unsigned type,
                        unsigned rclass, const void *rdata, size_t rdlen)
{
    m_raw(m, owner, owner_len);
    m_u16(m, type);
    m_u16(m, rclass);
    m_u32(m, 3600);
    m_u16(m, (unsigned)rdlen);
    if (rdlen > 0)
        m_raw(m, rdata, rdlen);
}

/* An RR owned by a dotted name, RDATA a dotted name (PTR/CNAME/DNAME). */
static inline void m_rr_names(struct msg *m, const char *owner, unsigned type, const char *target)
{
    uint8_t o[300], t[300];
    size_t ol = wname(owner, o);
    size_t tl = wname(target, t);
    m_rr(m, o, ol, type, PKT_DNS_CLASS_IN, t, tl);
}

static inline void m_ptr_q(struct msg *m, const char *target)
{
    uint8_t t[300];
    size_t tl = wname(target, t);
    m_rr(m, OWNER_Q, 2, PKT_DNS_TYPE_PTR, PKT_DNS_CLASS_IN, t, tl);
}

/* Parse an exact-size heap copy so ASAN sees any read past the end. */
static inline int parse_bytes(const uint8_t *p, size_t n, struct pkt_dns_reply *r)
{
    uint8_t *copy = malloc(n > 0 ? n : 1);
    cr_assert_not_null(copy);
    if (n > 0)
        memcpy(copy, p, n);
    int err = pkt_dns_reply_parse(copy, n, r);
    free(copy);
    return err;
}

__attribute__((unused)) static struct pkt_dns_reply R; /* ~10 KB: keep it off the stack */

static inline int parse(const struct msg *m)
{
    memset(&R, 0xA5, sizeof(R)); /* garbage in: the parser must set every field */
    return parse_bytes(m->b, m->n, &R);
}

static const char *present(const struct pkt_dns_name *nm, char *buf)
{
    int n = pkt_dns_name_present(nm->wire, nm->len, buf, PKT_DNS_PRESENT_MAX);
    cr_assert_geq(n, 0, "present failed: %d", n);
    return buf;
}

#define assert_err(got, want, what)                                                             \
    cr_assert_eq((got), (want), "%s: got %s (%d), want %s (%d)", (what), pkt_dns_err_name(got), \
                 (got), pkt_dns_err_name(want), (want))

/* A flat name of exactly n octets (n >= 2): 63-octet labels, then the rest. */
static inline size_t long_name(uint8_t *out, size_t n, uint8_t fill)
{
    size_t pos = 0;
    size_t left = n - 1; /* octets before the root */
    while (left > 0) {
        size_t l = left - 1 > 63 ? 63 : left - 1;
        if (left - (l + 1) == 1)
            l--; /* never leave a single octet, which cannot form a label */
        out[pos++] = (uint8_t)l;
        memset(out + pos, fill, l);
        pos += l;
        left -= l + 1;
    }
    out[pos++] = 0;
    return pos;
}

/* The root name. */
__attribute__((unused)) static const uint8_t ROOT[1] = { 0 };

#endif
