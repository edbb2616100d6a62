/*
 * bench/rule.c - the synthetic world's rule (see rule.h for the table).
 */
#include "bench/rule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

static const char *const cat_names[BENCH_CAT_COUNT] = {
    [BENCH_CAT_PASS] = "pass",         [BENCH_CAT_SHARED] = "shared",
    [BENCH_CAT_MISMATCH] = "mismatch", [BENCH_CAT_DANGLING] = "dangling",
    [BENCH_CAT_NO_PTR] = "no-ptr",     [BENCH_CAT_PTR_NODATA] = "ptr-nodata",
    [BENCH_CAT_MULTI] = "multi",       [BENCH_CAT_SLOW] = "slow",
    [BENCH_CAT_SERVFAIL] = "servfail", [BENCH_CAT_TC] = "tc",
    [BENCH_CAT_DROP] = "drop",
};

/*
 * Default shares in basis points: mostly answers that need the forward leg,
 * a realistic tail of negative and failing ones, and few drops because each
 * costs the full retry schedule (the run's last drops decide its length).
 */
static const uint16_t default_mix[BENCH_CAT_COUNT] = {
    [BENCH_CAT_SHARED] = 1000, [BENCH_CAT_MISMATCH] = 800,   [BENCH_CAT_DANGLING] = 500,
    [BENCH_CAT_NO_PTR] = 1000, [BENCH_CAT_PTR_NODATA] = 300, [BENCH_CAT_MULTI] = 400,
    [BENCH_CAT_SLOW] = 200,    [BENCH_CAT_SERVFAIL] = 150,   [BENCH_CAT_TC] = 100,
    [BENCH_CAT_DROP] = 5,
};

const char *bench_cat_name(unsigned cat)
{
    return cat < BENCH_CAT_COUNT ? cat_names[cat] : "?";
}

static int cat_from_name(const char *s, size_t len)
{
    for (unsigned i = 0; i < BENCH_CAT_COUNT; i++)
        if (strlen(cat_names[i]) == len && memcmp(cat_names[i], s, len) == 0)
            return (int)i;
    return -1;
}

/* Parse "name=bp,..." into mix[]; *named marks the categories given. */
static int parse_mix(const char *spec, uint16_t *mix, bool *named, char *err, size_t err_len)
{
    const char *p = spec;
    while (*p != '\0') {
        const char *eq = strchr(p, '=');
        const char *end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        if (eq == NULL || eq > end) {
            snprintf(err, err_len, "--mix: expected NAME=BASIS_POINTS at '%.*s'", (int)(end - p),
                     p);
            return -1;
        }
        int c = cat_from_name(p, (size_t)(eq - p));
        if (c < 0) {
            snprintf(err, err_len, "--mix: unknown category '%.*s'", (int)(eq - p), p);
            return -1;
        }
        char *num_end;
        unsigned long v = strtoul(eq + 1, &num_end, 10);
        if (num_end != end || num_end == eq + 1 || v > BENCH_MIX_TOTAL) {
            snprintf(err, err_len, "--mix: %s takes 0..%u basis points", cat_names[c],
                     BENCH_MIX_TOTAL);
            return -1;
        }
        mix[c] = (uint16_t)v;
        named[c] = true;
        p = *end == ',' ? end + 1 : end;
    }
    return 0;
}

int bench_rule_init(struct bench_rule *r, uint64_t seed, const char *mix, unsigned shared_bits,
                    const char *zone, char *err, size_t err_len)
{
    memset(r, 0, sizeof(*r));
    r->seed = seed;
    memcpy(r->mix, default_mix, sizeof(r->mix));
    bool named[BENCH_CAT_COUNT] = { false };
    if (mix != NULL && parse_mix(mix, r->mix, named, err, err_len) != 0)
        return -1;
    unsigned others = 0;
    for (unsigned i = 0; i < BENCH_CAT_COUNT; i++)
        if (i != BENCH_CAT_PASS)
            others += r->mix[i];
    if (named[BENCH_CAT_PASS]) {
        if (others + r->mix[BENCH_CAT_PASS] != BENCH_MIX_TOTAL) {
            snprintf(err, err_len, "--mix: shares add up to %u, not %u",
                     others + r->mix[BENCH_CAT_PASS], BENCH_MIX_TOTAL);
            return -1;
        }
    } else {
        if (others > BENCH_MIX_TOTAL) {
            snprintf(err, err_len, "--mix: shares add up to %u, more than %u", others,
                     BENCH_MIX_TOTAL);
            return -1;
        }
        r->mix[BENCH_CAT_PASS] = (uint16_t)(BENCH_MIX_TOTAL - others);
    }
    unsigned cum = 0;
    for (unsigned i = 0; i < BENCH_CAT_COUNT; i++) {
        cum += r->mix[i];
        r->cum[i] = (uint16_t)cum;
    }
    if (shared_bits > BENCH_SHARED_BITS_MAX) {
        snprintf(err, err_len, "--shared-bits takes 0..%u", BENCH_SHARED_BITS_MAX);
        return -1;
    }
    r->shared_bits = shared_bits;
    if (zone == NULL)
        zone = "bench.example.net";
    size_t zl = strlen(zone);
    while (zl > 0 && zone[zl - 1] == '.')
        zl--;
    if (zl == 0 || zl >= sizeof(r->zone_text)) {
        snprintf(err, err_len, "--zone: empty or longer than %zu", sizeof(r->zone_text) - 1);
        return -1;
    }
    for (size_t i = 0; i < zl; i++) {
        char c = zone[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        r->zone_text[i] = c;
    }
    /* The longest name is a 33-octet first label (IPv6) plus the zone. */
    int len = pkt_dns_name_from_text(r->zone_text, r->zone.wire, PKT_DNS_NAME_MAX - 34);
    if (len < 0) {
        snprintf(err, err_len, "--zone: '%s' is not a usable name", r->zone_text);
        return -1;
    }
    r->zone.len = (uint8_t)len;
    return 0;
}

enum bench_cat bench_rule_cat(const struct bench_rule *r, const struct pkt_addr *a)
{
    uint64_t h = XXH3_64bits_withSeed(a->bytes, pkt_addr_len(a), r->seed);
    /* Multiply-shift maps the hash onto [0, 10000) without a division. */
    unsigned b = (unsigned)(((h >> 32) * BENCH_MIX_TOTAL) >> 32);
    for (unsigned i = 0; i < BENCH_CAT_COUNT; i++)
        if (b < r->cum[i])
            return (enum bench_cat)i;
    return BENCH_CAT_PASS;
}

void bench_rule_group(const struct bench_rule *r, const struct pkt_addr *a, struct pkt_addr *g)
{
    *g = *a;
    size_t last = pkt_addr_len(a) - 1;
    g->bytes[last] = (uint8_t)(g->bytes[last] & ~((1u << r->shared_bits) - 1u));
}

/* <tag><one letter per nibble>.<zone> in wire form. */
static void make_name(const struct bench_rule *r, char tag, const struct pkt_addr *a,
                      struct pkt_dns_name *out)
{
    size_t n = pkt_addr_len(a);
    out->wire[0] = (uint8_t)(1 + 2 * n);
    out->wire[1] = (uint8_t)tag;
    for (size_t i = 0; i < n; i++) {
        out->wire[2 + 2 * i] = (uint8_t)('a' + (a->bytes[i] >> 4));
        out->wire[3 + 2 * i] = (uint8_t)('a' + (a->bytes[i] & 15));
    }
    size_t lab = 2 + 2 * n;
    memcpy(out->wire + lab, r->zone.wire, r->zone.len);
    out->len = (uint8_t)(lab + r->zone.len);
}

unsigned bench_rule_ptr_names(const struct bench_rule *r, const struct pkt_addr *a,
                              struct pkt_dns_name names[BENCH_NAMES_MAX],
                              char (*text)[PKT_DNS_PRESENT_MAX])
{
    unsigned nb = 0;
    struct pkt_addr g;
    switch (bench_rule_cat(r, a)) {
    case BENCH_CAT_PASS:
    case BENCH_CAT_SLOW:
    case BENCH_CAT_TC:
        make_name(r, 'p', a, &names[nb++]);
        break;
    case BENCH_CAT_SHARED:
        bench_rule_group(r, a, &g);
        make_name(r, 's', &g, &names[nb++]);
        break;
    case BENCH_CAT_MISMATCH:
        make_name(r, 'm', a, &names[nb++]);
        break;
    case BENCH_CAT_DANGLING:
        make_name(r, 'd', a, &names[nb++]);
        break;
    case BENCH_CAT_MULTI:
        make_name(r, 'p', a, &names[nb++]);
        make_name(r, 'm', a, &names[nb++]);
        break;
    default:
        break;
    }
    if (text != NULL)
        for (unsigned i = 0; i < nb; i++)
            if (pkt_dns_name_present(names[i].wire, names[i].len, text[i], PKT_DNS_PRESENT_MAX) < 0)
                text[i][0] = '\0';
    return nb;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

bool bench_rule_in_zone(const struct bench_rule *r, const uint8_t *name, size_t len)
{
    /* Walk the labels; compare every suffix as long as the zone. */
    size_t off = 0;
    while (off < len) {
        if (len - off == r->zone.len)
            return pkt_dns_name_equal(name + off, len - off, r->zone.wire, r->zone.len);
        if (name[off] == 0 || len - off < r->zone.len)
            return false;
        off += 1u + name[off];
    }
    return false;
}

bool bench_rule_forward(const struct bench_rule *r, const uint8_t *name, size_t len, uint16_t qtype,
                        struct bench_fwd *out)
{
    memset(out, 0, offsetof(struct bench_fwd, addr));
    if (len < 1 || (name[0] != 9 && name[0] != 33) || len != 1u + name[0] + r->zone.len)
        return false;
    if (!pkt_dns_name_equal(name + 1 + name[0], r->zone.len, r->zone.wire, r->zone.len))
        return false;
    struct pkt_addr a;
    memset(&a, 0, sizeof(a));
    a.family = name[0] == 9 ? PKT_ADDR_V4 : PKT_ADDR_V6;
    size_t n = pkt_addr_len(&a);
    for (size_t i = 0; i < 2 * n; i++) {
        int c = lower(name[2 + i]);
        if (c < 'a' || c > 'p')
            return false;
        a.bytes[i / 2] = (uint8_t)(a.bytes[i / 2] | (unsigned)(c - 'a') << (i % 2 ? 0 : 4));
    }
    int tag = lower(name[1]);
    bool same_family = (qtype == PKT_DNS_TYPE_A) == (a.family == PKT_ADDR_V4);
    out->rcode = PKT_DNS_RCODE_NOERROR;
    switch (tag) {
    case 'p':
        if (same_family)
            memcpy(out->addr[out->nb_addr++], a.bytes, n);
        return true;
    case 'm':
        if (same_family) {
            memcpy(out->addr[out->nb_addr], a.bytes, n);
            out->addr[out->nb_addr++][n - 1] ^= 1;
        }
        return true;
    case 'd':
        out->rcode = PKT_DNS_RCODE_NXDOMAIN;
        return true;
    case 's': {
        struct pkt_addr g;
        bench_rule_group(r, &a, &g);
        if (!pkt_addr_equal(&g, &a)) {
            out->rcode = PKT_DNS_RCODE_NXDOMAIN;
            return true;
        }
        unsigned members = 0;
        for (unsigned k = 0; k < 1u << r->shared_bits; k++) {
            struct pkt_addr m = g;
            m.bytes[n - 1] = (uint8_t)(m.bytes[n - 1] | k);
            if (bench_rule_cat(r, &m) != BENCH_CAT_SHARED)
                continue;
            members++;
            if (same_family)
                memcpy(out->addr[out->nb_addr++], m.bytes, n);
        }
        if (members == 0)
            out->rcode = PKT_DNS_RCODE_NXDOMAIN;
        return true;
    }
    default:
        return false;
    }
}

size_t bench_rule_fwd_reply_len(const struct bench_rule *r, uint8_t family, unsigned nb_addr,
                                bool edns)
{
    size_t alen = family == PKT_ADDR_V4 ? 4 : 16;
    size_t qname = 1 + (1 + 2 * alen) + r->zone.len;
    /* Header, question, one RR per address (2-octet pointer owner), OPT. */
    return PKT_DNS_HDR_LEN + qname + 4 + nb_addr * (12 + alen) + (edns ? 11u : 0u);
}

void bench_rule_expect(const struct bench_rule *r, const struct pkt_addr *a, struct bench_expect *e)
{
    memset(e, 0, sizeof(*e));
    e->cat = bench_rule_cat(r, a);
    e->ptr_rcode = "NOERROR";
    switch (e->cat) {
    case BENCH_CAT_NO_PTR:
        e->verdict = "no-ptr";
        e->ptr_rcode = "NXDOMAIN";
        return;
    case BENCH_CAT_PTR_NODATA:
        e->verdict = "ptr-nodata";
        return;
    case BENCH_CAT_SERVFAIL:
        e->verdict = "tempfail";
        e->stage = "reverse";
        e->reason = "servfail";
        e->ptr_rcode = "SERVFAIL";
        return;
    case BENCH_CAT_DROP:
        e->verdict = "tempfail";
        e->stage = "reverse";
        e->reason = "timeout";
        e->ptr_rcode = "TIMEOUT";
        return;
    default:
        break;
    }
    struct pkt_dns_name names[BENCH_NAMES_MAX];
    char text[BENCH_NAMES_MAX][PKT_DNS_PRESENT_MAX];
    e->nb_names = bench_rule_ptr_names(r, a, names, text);
    uint16_t qtype = a->family == PKT_ADDR_V4 ? PKT_DNS_TYPE_A : PKT_DNS_TYPE_AAAA;
    bool confirmed = false, other = false;
    for (unsigned i = 0; i < e->nb_names; i++) {
        struct bench_expect_name *n = &e->names[i];
        memcpy(n->name, text[i], sizeof(n->name));
        (void)bench_rule_forward(r, names[i].wire, names[i].len, qtype, &n->fwd);
        bool hit = false;
        for (unsigned k = 0; k < n->fwd.nb_addr; k++)
            hit = hit || memcmp(n->fwd.addr[k], a->bytes, pkt_addr_len(a)) == 0;
        if (n->fwd.rcode == PKT_DNS_RCODE_NXDOMAIN)
            n->status = "dangling";
        else if (hit)
            n->status = "confirmed";
        else
            n->status = "mismatch";
        confirmed = confirmed || hit;
        other = other || !hit;
        if (bench_rule_fwd_reply_len(r, a->family, n->fwd.nb_addr, true) > BENCH_UDP_MAX)
            e->flags |= BENCH_FLAG_TRUNCATED;
    }
    if (e->nb_names > 1)
        e->flags |= BENCH_FLAG_MULTI_PTR;
    if (e->cat == BENCH_CAT_TC)
        e->flags |= BENCH_FLAG_TRUNCATED;
    if (confirmed)
        e->verdict = other ? "partial" : "pass";
    else
        e->verdict = strcmp(e->names[0].status, "dangling") == 0 ? "dangling" : "mismatch";
}
