/*
 * tests/fuzz/fuzz_reply.c - libFuzzer target for pkt_dns_reply_parse.
 *
 * Properties, abort() on violation:
 * - an error is one of the parse codes of dns.h (never a build-only code);
 * - a parsed reply is self-consistent: header bits and ID match the input,
 *   counts within their caps, stored <= total, answers only of the asked
 *   type, no chain without hops, A addresses zero-padded;
 * - every stored name (qname, target, PTRs) is a well-formed uncompressed
 *   name of 1-255 octets; its presentation form fits PKT_DNS_PRESENT_MAX, is
 *   NUL-terminated at the returned length, needs exactly that room, and
 *   parses back with pkt_dns_name_from_text to the same name (case aside);
 * - a query built from the parsed question (with and without 0x20 case) is
 *   a valid query and, once flagged as a response, parses back to the same
 *   ID, type and octet-exact name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const struct pkt_dns_name *nm)
{
    if (nm->len < 1)
        abort();
    size_t pos = 0;
    while (nm->wire[pos] != 0) {
        if (nm->wire[pos] > PKT_DNS_LABEL_MAX)
            abort();
        pos += (size_t)nm->wire[pos] + 1;
        if (pos >= nm->len)
            abort();
    }
    if (pos != (size_t)nm->len - 1)
        abort();

    char text[PKT_DNS_PRESENT_MAX];
    memset(text, 'Z', sizeof(text));
    int n = pkt_dns_name_present(nm->wire, nm->len, text, sizeof(text));
    if (n <= 0 || (size_t)n >= sizeof(text) || text[n] != '\0' || strlen(text) != (size_t)n)
        abort();
    /* Exactly n + 1 octets are needed: one less must fail cleanly. */
    char tight[PKT_DNS_PRESENT_MAX];
    if (pkt_dns_name_present(nm->wire, nm->len, tight, (size_t)n + 1) != n ||
        memcmp(tight, text, (size_t)n + 1) != 0)
        abort();
    if (pkt_dns_name_present(nm->wire, nm->len, tight, (size_t)n) != PKT_DNS_E_SPACE ||
        tight[0] != '\0')
        abort();
    for (int i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x21 || c > 0x7E || (c >= 'A' && c <= 'Z'))
            abort();
    }

    uint8_t back[PKT_DNS_NAME_MAX];
    int bl = pkt_dns_name_from_text(text, back, sizeof(back));
    if (bl != nm->len || !pkt_dns_name_equal(back, (size_t)bl, nm->wire, nm->len))
        abort();
}

static void check_query_round_trip(const struct pkt_dns_reply *r, uint64_t bits)
{
    for (int variant = 0; variant < 2; variant++) {
        uint8_t qn[PKT_DNS_NAME_MAX];
        memcpy(qn, r->qname.wire, r->qname.len);
        if (variant == 1)
            pkt_dns_name_case20(qn, r->qname.len, bits);
        if (!pkt_dns_name_equal(qn, r->qname.len, r->qname.wire, r->qname.len))
            abort();
        struct pkt_dns_query q = {
            .qname = qn,
            .qname_len = r->qname.len,
            .qtype = r->qtype,
            .id = r->id,
            .rd = r->rd,
            .edns = variant == 0 ? r->has_opt : !r->has_opt,
        };
        uint8_t buf[PKT_DNS_QUERY_MAX];
        int n = pkt_dns_query_build(buf, sizeof(buf), &q);
        size_t want = PKT_DNS_HDR_LEN + q.qname_len + 4 + (q.edns ? 11u : 0u);
        if (n <= 0 || (size_t)n != want)
            abort();
        static struct pkt_dns_reply back;
        if (pkt_dns_reply_parse(buf, (size_t)n, &back) != PKT_DNS_E_NOTRESP)
            abort();
        buf[2] |= 0x80;
        if (pkt_dns_reply_parse(buf, (size_t)n, &back) != PKT_DNS_OK)
            abort();
        if (back.id != q.id || back.qtype != q.qtype || back.qclass != PKT_DNS_CLASS_IN ||
            back.rd != q.rd || back.has_opt != q.edns || back.rcode != 0 || back.nb_hops != 0 ||
            !pkt_dns_name_equal_case(back.qname.wire, back.qname.len, qn, q.qname_len))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct pkt_dns_reply r; /* ~10 KB */
    int rc = pkt_dns_reply_parse(data, size, &r);
    if (rc != PKT_DNS_OK) {
        if (rc > 0 || rc < PKT_DNS_E_TOOMANY)
            abort();
        if (size < PKT_DNS_HDR_LEN && rc != PKT_DNS_E_SHORT)
            abort();
        return 0;
    }

    if (size < PKT_DNS_HDR_LEN + 5)
        abort();
    if (r.id != (uint16_t)(data[0] << 8 | data[1]) || !(data[2] & 0x80) ||
        r.tc != ((data[2] & 0x02) != 0) || r.aa != ((data[2] & 0x04) != 0) ||
        r.rd != ((data[2] & 0x01) != 0) || r.ra != ((data[3] & 0x80) != 0))
        abort();
    if (r.nb_an != (data[6] << 8 | data[7]) || r.nb_ns != (data[8] << 8 | data[9]) ||
        r.nb_ar != (data[10] << 8 | data[11]))
        abort();
    if ((r.rcode & 0xF) != (data[3] & 0xF) || r.rcode > 0xFFF || (!r.has_opt && r.rcode > 0xF))
        abort();
    if (!r.has_opt && (r.opt_udp_size != 0 || r.opt_version != 0))
        abort();
    if ((unsigned)r.nb_an + r.nb_ns + r.nb_ar > PKT_DNS_RR_MAX)
        abort();

    if (r.nb_ptr > PKT_DNS_PTR_MAX || r.nb_ptr > r.nb_ptr_total ||
        (r.nb_ptr < PKT_DNS_PTR_MAX && r.nb_ptr != r.nb_ptr_total))
        abort();
    if (r.nb_addr > PKT_DNS_ADDR_MAX || r.nb_addr > r.nb_addr_total ||
        (r.nb_addr < PKT_DNS_ADDR_MAX && r.nb_addr != r.nb_addr_total))
        abort();
    if (r.nb_ptr_total > r.nb_an || r.nb_addr_total > r.nb_an)
        abort();
    if (r.nb_ptr_total != 0 && r.qtype != PKT_DNS_TYPE_PTR)
        abort();
    if (r.nb_addr_total != 0 && r.qtype != PKT_DNS_TYPE_A && r.qtype != PKT_DNS_TYPE_AAAA)
        abort();
    for (unsigned i = 0; i < r.nb_addr && r.qtype == PKT_DNS_TYPE_A; i++)
        for (unsigned k = 4; k < 16; k++)
            if (r.addr[i][k] != 0)
                abort();
    if (r.nb_hops > PKT_DNS_CHAIN_MAX || (r.saw_dname && r.nb_hops == 0))
        abort();
    if (r.nb_hops == 0 &&
        !pkt_dns_name_equal_case(r.target.wire, r.target.len, r.qname.wire, r.qname.len))
        abort();
    if (r.has_soa == false && r.soa_minimum != 0)
        abort();

    check_name(&r.qname);
    check_name(&r.target);
    for (unsigned i = 0; i < r.nb_ptr; i++)
        check_name(&r.ptr[i]);

    uint64_t bits = 0;
    for (size_t i = 0; i < size && i < 8; i++)
        bits = bits << 8 | data[size - 1 - i];
    check_query_round_trip(&r, bits);
    return 0;
}
