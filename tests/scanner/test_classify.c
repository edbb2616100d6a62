/*
 * tests/scanner/test_classify.c - PTR name classification (scanner/classify.h).
 *
 * Every vector of docs/classification.md (and FCrDNS test vectors) is a row of spec_vectors
 * with the exact flag mask and the rules the table names; the other tables
 * cover each flag and rule on its own, with near misses that must not fire.
 * The data files are the pinned ones in data/ (env FCRSCAN_DATADIR, set by
 * meson; the source tree's data/ otherwise).
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/classify.h"

#if defined(__has_include)
#if __has_include("fcrscan_config.h")
#include "fcrscan_config.h"
#endif
#endif
#ifndef FCRSCAN_SRCDATADIR
#define FCRSCAN_SRCDATADIR "data"
#endif

#define G   STATS_FLAG_GENERIC_NAME
#define BD  STATS_FLAG_BARE_DOMAIN
#define INV STATS_FLAG_INVALID_NAME
#define LIT STATS_FLAG_IP_LITERAL
#define NF  STATS_FLAG_NON_FQDN
#define PH  STATS_FLAG_PLACEHOLDER_NAME

#define S1     SCAN_CLASSIFY_RULE_S1
#define S1C    SCAN_CLASSIFY_RULE_S1C
#define S2     SCAN_CLASSIFY_RULE_S2
#define S3     SCAN_CLASSIFY_RULE_S3
#define S4     SCAN_CLASSIFY_RULE_S4
#define S5     SCAN_CLASSIFY_RULE_S5
#define W1     SCAN_CLASSIFY_RULE_W1
#define W2     SCAN_CLASSIFY_RULE_W2
#define W3     SCAN_CLASSIFY_RULE_W3
#define W4     SCAN_CLASSIFY_RULE_W4
#define LAST   SCAN_CLASSIFY_RULE_LAST_OCTET
#define STRONG SCAN_CLASSIFY_RULES_STRONG
#define WEAK   (W1 | W2 | W3 | W4)

#define H_STATIC SCAN_CLASSIFY_HINT_STATIC_GENERIC
#define H_MAIL   SCAN_CLASSIFY_HINT_MAIL

static struct scan_classifier *cls;

static const char *data_dir(void)
{
    const char *d = getenv("FCRSCAN_DATADIR");
    return d != NULL && d[0] != '\0' ? d : FCRSCAN_SRCDATADIR;
}

static void load(void)
{
    char psl[4096], pat[4096], err[512];
    snprintf(psl, sizeof psl, "%s/public_suffix_list.dat", data_dir());
    snprintf(pat, sizeof pat, "%s/provider-patterns.tsv", data_dir());
    cls = scan_classifier_new(psl, pat, err, sizeof err);
    cr_assert_not_null(cls, "scan_classifier_new: %s", err);
}

static void unload(void)
{
    scan_classifier_free(cls);
    cls = NULL;
}

TestSuite(scan_classify, .init = load, .fini = unload);

/* Text to uncompressed wire form; "." and "" are the root. No escapes: tests build odd octets by
 * hand. */
static size_t to_wire(const char *text, uint8_t *out, size_t cap)
{
    size_t o = 0;
    const char *p = text;
    while (*p != '\0' && !(p[0] == '.' && p[1] == '\0')) {
        const char *dot = strchr(p, '.');
        size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);
        cr_assert(len > 0 && len <= 63 && o + 1 + len < cap, "bad test name %s", text);
        out[o++] = (uint8_t)len;
        memcpy(out + o, p, len);
        o += len;
        p += len;
        if (*p == '.')
            p++;
    }
    out[o++] = 0;
    return o;
}

/* Target from text via inet_pton (no dependency on packet/addr.c); NULL text gives NULL. */
static const struct pkt_addr *target(const char *ip, struct pkt_addr *a)
{
    if (ip == NULL)
        return NULL;
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, ip, a->bytes) == 1) {
        a->family = PKT_ADDR_V4;
    } else {
        cr_assert_eq(inet_pton(AF_INET6, ip, a->bytes), 1, "bad test address %s", ip);
        a->family = PKT_ADDR_V6;
    }
    return a;
}

struct vec {
    const char *name;
    const char *ip;     /* NULL: no target address */
    uint32_t flags;     /* exact STATS_FLAG_* mask */
    uint32_t rules_in;  /* rules that must hold */
    uint32_t rules_out; /* rules that must not hold */
    uint32_t hints;     /* exact hint mask */
};

static void check(const struct vec *v)
{
    uint8_t wire[PKT_DNS_NAME_MAX + 8];
    size_t len = to_wire(v->name, wire, sizeof wire);
    struct pkt_addr a;
    const struct pkt_addr *t = target(v->ip, &a);
    struct scan_classify_detail d;
    bool unusable = true;
    uint32_t flags = scan_classify_name_ex(cls, wire, len, t, &unusable, &d);
    cr_expect_eq(flags, v->flags, "%s / %s: flags 0x%x, expected 0x%x (rules 0x%x)", v->name,
                 v->ip ? v->ip : "-", flags, v->flags, d.rules);
    cr_expect_eq(d.rules & v->rules_in, v->rules_in, "%s / %s: rules 0x%x lack 0x%x", v->name,
                 v->ip ? v->ip : "-", d.rules, v->rules_in & ~d.rules);
    cr_expect_eq(d.rules & v->rules_out, 0, "%s / %s: rules 0x%x include forbidden 0x%x", v->name,
                 v->ip ? v->ip : "-", d.rules, d.rules & v->rules_out);
    cr_expect_eq(d.hints, v->hints, "%s / %s: hints 0x%x, expected 0x%x", v->name,
                 v->ip ? v->ip : "-", d.hints, v->hints);
    cr_expect_eq(unusable, (v->flags & LIT) != 0, "%s: unusable %d", v->name, unusable);
    bool plain_unusable = !unusable;
    cr_expect_eq(scan_classify_name(cls, wire, len, t, &plain_unusable), flags,
                 "%s: scan_classify_name disagrees with _ex", v->name);
    cr_expect_eq(plain_unusable, unusable, "%s: unusable differs between the two calls", v->name);
}

static void check_table(const struct vec *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        check(&v[i]);
}

#define CHECK_TABLE(t) check_table((t), sizeof(t) / sizeof((t)[0]))

/* docs/classification.md "Test vectors", in table order; "x"/"any" addresses are fixed here. */
Test(scan_classify, fcrdns_md_vectors)
{
    static const struct vec v[] = {
        { "dhcp024-210-034-053.columbus.rr.com", "24.210.34.53", G, S1 | W2, 0, 0 },
        { "c-67-168-174-61.client.comcast.net", "67.168.174.61", G, S1, 0, 0 },
        { "118.red-80-35-201.pooles.rima-tde.net", "80.35.201.118", G, S1, 0, 0 },
        { "modemcable090.28-201-24.mc.videotron.ca", "24.201.28.90", G, S1, 0, 0 },
        { "yahoobb219173000034.bbtec.net", "219.173.0.34", G, S1C, S1, 0 },
        { "pd9e4f89f.dip.t-dialin.net", "217.228.248.159", G, S2, 0, 0 },
        { "ool-18be1aaf.dyn.optonline.net", "24.190.26.175", G, S2 | W2, 0, 0 },
        { "0xd5aaf40b.dhcp.kabelnettet.dk", "213.170.244.11", G, S2, 0, 0 },
        { "ec2-203-0-113-10.compute-1.amazonaws.com", "203.0.113.10", G, S1 | S4, 0, 0 },
        { "10.113.0.203.bc.googleusercontent.com", "203.0.113.10", G, S1 | S4, 0, 0 },
        { "static.10.113.0.203.clients.your-server.de", "203.0.113.10", G, S1, 0, H_STATIC },
        /* 193.70.80.x: the last octet plays no part, so two of them. */
        { "ns3063261.ip-193-70-80.eu", "193.70.80.1", G, W1 | W3, 0, 0 },
        { "ns3063261.ip-193-70-80.eu", "193.70.80.250", G, W1 | W3, 0, 0 },
        /* "S4 only": nothing else may hold, for an unrelated address and for none. */
        { "vmi123456.contaboserver.net", "203.0.113.10", G, S4, (STRONG & ~S4) | WEAK, 0 },
        { "vmi123456.contaboserver.net", NULL, G, S4, (STRONG & ~S4) | WEAK, 0 },
        { "66-220-155-151.mail-mail.facebook.com", "66.220.155.151", G, S1, 0, H_MAIL },
        { "2001-db8-f00--1.example.net", "2001:db8:f00::1", G, S3, 0, 0 },
        { "cpc35-sutt4-2-0-cust110.xx-x.cable.virginm.net", "203.0.113.10", G, S5, 0, 0 },
        { "cpc35-sutt4-2-0-cust110.xx-x.cable.virginm.net", NULL, G, S5, 0, 0 },
        { "mail.example.com", "203.0.113.10", 0, 0, STRONG | WEAK, 0 },
        { "mx1.example.com", "203.0.113.10", 0, 0, STRONG | WEAK, 0 },
        /* Only the last octet (199) is present: a weak hint with no second signal. */
        { "mail-qt0-f199.google.com", "209.85.216.199", 0, LAST, STRONG | WEAK, 0 },
        { "o1.ptr1234.sendgrid.net", "167.89.1.2", 0, W4, STRONG | W1 | W2 | W3, 0 },
        { "localhost", "203.0.113.10", PH | NF, 0, 0, 0 },
        { "localhost", NULL, PH | NF, 0, 0, 0 },
    };
    CHECK_TABLE(v);
}

/* 167.89.x.y is "any": W1 ("1234" = 12,34 adjacent) or the last octet alone never suffice. */
Test(scan_classify, sendgrid_not_generic_for_other_addresses)
{
    static const struct vec v[] = {
        { "o1.ptr1234.sendgrid.net", "167.89.12.34", 0, W1 | W4, STRONG | W2 | W3, 0 },
        { "o1.ptr1234.sendgrid.net", "167.89.0.1", 0, W4 | LAST, STRONG | W2 | W3, 0 },
        { "o1.ptr1234.sendgrid.net", "167.89.255.255", 0, W4, STRONG | W1 | W2 | W3, 0 },
    };
    CHECK_TABLE(v);
}

Test(scan_classify, upper_case_input_is_the_same_name)
{
    static const struct vec v[] = {
        { "DHCP024-210-034-053.Columbus.RR.COM", "24.210.34.53", G, S1 | W2, 0, 0 },
        { "PD9E4F89F.DIP.T-DIALIN.NET", "217.228.248.159", G, S2, 0, 0 },
        { "VMI123456.ContaboServer.NET", NULL, G, S4, 0, 0 },
        { "2001-DB8-F00--1.EXAMPLE.NET", "2001:db8:f00::1", G, S3, 0, 0 },
        { "Example.CO.UK", NULL, BD, 0, 0, 0 },
        { "LOCALHOST", NULL, PH | NF, 0, 0, 0 },
        { "Mail.Example.Com", "203.0.113.10", 0, 0, STRONG | WEAK, 0 },
    };
    CHECK_TABLE(v);
}

Test(scan_classify, bare_domain_is_the_registrable_domain_itself)
{
    static const struct vec v[] = {
        { "example.com", "203.0.113.10", BD, 0, 0, 0 },
        { "www.example.com", "203.0.113.10", 0, 0, 0, 0 },
        { "example.co.uk", "203.0.113.10", BD, 0, 0, 0 },
        { "www.example.co.uk", "203.0.113.10", 0, 0, 0, 0 },
        /* A public suffix is not a registrable domain. */
        { "co.uk", "203.0.113.10", 0, 0, 0, 0 },
        /* An unlisted TLD is a one-label suffix. */
        { "example.notatld", NULL, BD, 0, 0, 0 },
        /* ICANN only: amazonaws.com is registrable, so EC2 names are not bare domains. */
        { "ec2-203-0-113-10.compute-1.amazonaws.com", NULL, G, S4, 0, 0 },
        { "amazonaws.com", NULL, BD, 0, 0, 0 },
        { "googleusercontent.com", NULL, BD, 0, 0, 0 },
        /* Generic and bare at once. */
        { "203-0-113-10.com", "203.0.113.10", G | BD, S1, 0, 0 },
    };
    CHECK_TABLE(v);
}

struct split {
    const char *name;
    unsigned suffix_labels;
    const char *suffix;
    const char *registrable; /* NULL: none */
};

Test(scan_classify, public_suffix_from_icann_section_only)
{
    static const struct split s[] = {
        { "ec2-203-0-113-10.compute-1.amazonaws.com", 1, "com", "amazonaws.com" },
        { "10.113.0.203.bc.googleusercontent.com", 1, "com", "googleusercontent.com" },
        { "www.example.co.uk", 2, "co.uk", "example.co.uk" },
        { "host.example.notatld", 1, "notatld", "example.notatld" },
        { "co.uk", 2, "co.uk", NULL },
        /* Wildcard and exception rules (*.ck, !www.ck). */
        { "a.b.ck", 2, "b.ck", "a.b.ck" },
        { "www.ck", 1, "ck", "www.ck" },
        { "ns3063261.ip-193-70-80.eu", 1, "eu", "ip-193-70-80.eu" },
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        uint8_t wire[PKT_DNS_NAME_MAX + 8];
        size_t len = to_wire(s[i].name, wire, sizeof wire);
        struct scan_classify_detail d;
        bool unusable;
        scan_classify_name_ex(cls, wire, len, NULL, &unusable, &d);
        cr_expect_str_eq(d.name, s[i].name);
        cr_expect_eq(d.name_len, strlen(s[i].name));
        cr_expect_eq(d.suffix_labels, s[i].suffix_labels, "%s: %u suffix labels", s[i].name,
                     d.suffix_labels);
        cr_expect_str_eq(d.name + d.suffix_off, s[i].suffix, "%s: suffix %s", s[i].name,
                         d.name + d.suffix_off);
        if (s[i].registrable != NULL) {
            cr_expect_gt(d.nb_labels, d.suffix_labels, "%s", s[i].name);
            cr_expect_str_eq(d.name + d.registrable_off, s[i].registrable, "%s: registrable %s",
                             s[i].name, d.name + d.registrable_off);
        } else {
            cr_expect_eq(d.nb_labels, d.suffix_labels, "%s has a registrable domain", s[i].name);
        }
    }
}

Test(scan_classify, invalid_name_is_not_ldh)
{
    static const struct vec v[] = {
        { "foo_bar.example.com", NULL, INV, 0, 0, 0 },
        { "_dmarc.example.com", NULL, INV, 0, 0, 0 },
        { "-foo.example.com", NULL, INV, 0, 0, 0 },
        { "foo-.example.com", NULL, INV, 0, 0, 0 },
        { "example.com-", NULL, INV | BD, 0, 0, 0 },
        { "a*b.example.com", NULL, INV, 0, 0, 0 },
        { "foo-bar.example.com", NULL, 0, 0, 0, 0 },
        { "x--y.example.com", NULL, 0, 0, 0, 0 },
        { "xn--bcher-kva.example", NULL, BD, 0, 0, 0 },
        /* Invalid names are still classified: underscores separate tokens too. */
        { "dhcp_24_210_34_53.example.net", "24.210.34.53", INV | G, S1 | W1 | W2 | W3, 0, 0 },
        { "foo_bar", NULL, INV | NF, 0, 0, 0 },
    };
    CHECK_TABLE(v);
}

/* Labels built by hand: octets a text name cannot carry. */
Test(scan_classify, invalid_name_odd_octets_in_a_label)
{
    static const uint8_t nul[] = { 5,   'h', 'o', 0,   's', 't', 7,   'e', 'x', 'a',
                                   'm', 'p', 'l', 'e', 3,   'c', 'o', 'm', 0 };
    static const uint8_t dot[] = { 3,   'a', '.', 'b', 7,   'e', 'x', 'a', 'm',
                                   'p', 'l', 'e', 3,   'c', 'o', 'm', 0 };
    static const uint8_t space[] = { 3,   'a', ' ', 'b', 7,   'e', 'x', 'a', 'm',
                                     'p', 'l', 'e', 3,   'c', 'o', 'm', 0 };
    static const uint8_t ff[] = { 2,   0xff, 'a', 7, 'e', 'x', 'a', 'm',
                                  'p', 'l',  'e', 3, 'c', 'o', 'm', 0 };
    static const uint8_t esc[] = { 4,   0x1b, '[', '2', 'J', 7,   'e', 'x', 'a',
                                   'm', 'p',  'l', 'e', 3,   'c', 'o', 'm', 0 };
    static const struct {
        const uint8_t *wire;
        size_t len;
        const char *text;
    } c[] = {
        { nul, sizeof nul, "ho?st.example.com" },   { dot, sizeof dot, "a?b.example.com" },
        { space, sizeof space, "a?b.example.com" }, { ff, sizeof ff, "?a.example.com" },
        { esc, sizeof esc, "??2j.example.com" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct scan_classify_detail d;
        bool unusable = true;
        uint32_t f = scan_classify_name_ex(cls, c[i].wire, c[i].len, NULL, &unusable, &d);
        cr_expect_eq(f, INV, "case %zu: flags 0x%x", i, f);
        cr_expect(!unusable, "case %zu: an invalid name is still queried", i);
        /* A '.' inside a label must not become a label boundary. */
        cr_expect_eq(d.nb_labels, 3, "case %zu: %u labels", i, d.nb_labels);
        cr_expect_str_eq(d.name, c[i].text, "case %zu", i);
    }
}

Test(scan_classify, longest_names_and_labels)
{
    /* 63-octet labels, 255 wire octets (253 characters): valid. */
    char text[300];
    memset(text, 'a', sizeof text);
    text[63] = text[127] = text[191] = '.';
    text[253] = '\0';
    uint8_t wire[PKT_DNS_NAME_MAX + 8];
    size_t len = to_wire(text, wire, sizeof wire);
    cr_assert_eq(len, 255);
    bool unusable = true;
    struct scan_classify_detail d;
    uint32_t f = scan_classify_name_ex(cls, wire, len, NULL, &unusable, &d);
    cr_expect_eq(f, 0, "flags 0x%x", f);
    cr_expect(!unusable);
    cr_expect_eq(d.name_len, 253);
    cr_expect_eq(d.nb_labels, 4);

    /* 127 one-octet labels: the most labels a name can have. */
    uint8_t many[PKT_DNS_NAME_MAX];
    for (size_t i = 0; i < 127; i++) {
        many[2 * i] = 1;
        many[2 * i + 1] = 'a';
    }
    many[254] = 0;
    f = scan_classify_name_ex(cls, many, sizeof many, NULL, &unusable, &d);
    cr_expect_eq(f, 0, "flags 0x%x", f);
    cr_expect_eq(d.nb_labels, 127);
}

Test(scan_classify, malformed_wire_is_invalid_and_unusable)
{
    static const uint8_t no_root[] = { 3, 'f', 'o', 'o', 3, 'c', 'o', 'm' };
    static const uint8_t past_end[] = { 3, 'f', 'o', 'o', 9, 'c', 'o', 'm', 0 };
    static const uint8_t label64[] = { 64, 'a' };
    static const uint8_t pointer[] = { 3, 'f', 'o', 'o', 0xc0, 0x0c };
    static const uint8_t trailing[] = { 3, 'f', 'o', 'o', 3, 'c', 'o', 'm', 0, 0 };
    static const struct {
        const uint8_t *wire;
        size_t len;
    } c[] = {
        { no_root, sizeof no_root }, { past_end, sizeof past_end }, { label64, sizeof label64 },
        { pointer, sizeof pointer }, { trailing, sizeof trailing }, { no_root, 0 },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        bool unusable = false;
        struct scan_classify_detail d;
        uint32_t f = scan_classify_name_ex(cls, c[i].wire, c[i].len, NULL, &unusable, &d);
        cr_expect_eq(f, INV, "case %zu: flags 0x%x", i, f);
        cr_expect(unusable, "case %zu", i);
        cr_expect_str_eq(d.name, "", "case %zu", i);
    }
    /* A 64-octet label that fits in wire_len is still malformed (RFC 1035 §2.3.4). */
    uint8_t long_label[66];
    long_label[0] = 64;
    memset(long_label + 1, 'a', 64);
    long_label[65] = 0;
    bool unusable64 = false;
    cr_expect_eq(scan_classify_name(cls, long_label, sizeof long_label, NULL, &unusable64), INV);
    cr_expect(unusable64);

    /* Over 255 octets, even if well formed label by label. */
    uint8_t big[300];
    for (size_t i = 0; i < 64; i++) {
        big[4 * i] = 3;
        memcpy(big + 4 * i + 1, "abc", 3);
    }
    big[256] = 0;
    bool unusable = false;
    cr_expect_eq(scan_classify_name(cls, big, 257, NULL, &unusable), INV);
    cr_expect(unusable);
}

Test(scan_classify, root_name_is_unusable)
{
    static const uint8_t root[] = { 0 };
    bool unusable = false;
    struct scan_classify_detail d;
    struct pkt_addr a;
    uint32_t f = scan_classify_name_ex(cls, root, 1, target("192.0.2.1", &a), &unusable, &d);
    cr_expect_eq(f, INV, "flags 0x%x", f);
    cr_expect(unusable);
    cr_expect_eq(d.nb_labels, 0);
    cr_expect_str_eq(d.name, "");
}

Test(scan_classify, ip_literals_are_unusable_and_only_ip_literal)
{
    static const struct vec v[] = {
        { "192.0.2.1", "192.0.2.1", LIT, 0, 0, 0 },
        { "192.0.2.1.", "203.0.113.10", LIT, 0, 0, 0 },
        { "2001:db8::1", "2001:db8::1", LIT, 0, 0, 0 },
        { "::ffff:192.0.2.1", "192.0.2.1", LIT, 0, 0, 0 },
        { "1.2", NULL, LIT, 0, 0, 0 },
        { "12345", NULL, LIT, 0, 0, 0 },
        { "010.000.002.001", NULL, LIT, 0, 0, 0 },
        { "host:25.example.com", NULL, LIT, 0, 0, 0 },
        /* Not literals: a letter somewhere, or the address in dashed form. */
        { "192.0.2.1.example.com", "192.0.2.1", G, S1, 0, 0 },
        { "192-0-2-1.example.com", "192.0.2.1", G, S1, 0, 0 },
        { "1.2.3.4a", NULL, 0, 0, 0, 0 },
        { "0x7f000001", NULL, NF, 0, 0, 0 },
    };
    CHECK_TABLE(v);
}

Test(scan_classify, non_fqdn_is_one_label)
{
    static const struct vec v[] = {
        { "mailserver", "203.0.113.10", NF, 0, 0, 0 },
        { "mailserver.", "203.0.113.10", NF, 0, 0, 0 },
        { "com", NULL, NF, 0, 0, 0 },
        { "mail.example", NULL, BD, 0, 0, 0 },
    };
    CHECK_TABLE(v);
}

Test(scan_classify, placeholders_replace_generic_and_bare)
{
    static const struct vec v[] = {
        { "localhost.localdomain", "203.0.113.10", PH, 0, 0, 0 },
        { "foo.localhost", NULL, PH, 0, 0, 0 },
        { "printer.local", NULL, PH, 0, 0, 0 },
        { "local", NULL, PH | NF, 0, 0, 0 },
        { "router.lan", NULL, PH, 0, 0, 0 },
        { "box.home", NULL, PH, 0, 0, 0 },
        { "db1.internal", NULL, PH, 0, 0, 0 },
        { "x.invalid", NULL, PH, 0, 0, 0 },
        { "router.home.arpa", NULL, PH, 0, 0, 0 },
        /* Would be generic (S1) anywhere else. */
        { "1.2.0.192.in-addr.arpa", "192.0.2.1", PH, 0, 0, 0 },
        { "dhcp-192-0-2-1.lan", "192.0.2.1", PH, 0, 0, 0 },
        { "in-addr.arpa", NULL, PH, 0, 0, 0 },
        { "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "2001:db8::1",
          PH, 0, 0, 0 },
        { "bad_name.local", NULL, PH | INV, 0, 0, 0 },
        /* Not placeholders: the word is not the suffix at a label boundary. */
        { "localhost.example.com", NULL, 0, 0, 0, 0 },
        { "mylocal", NULL, NF, 0, 0, 0 },
        { "notlan.com", NULL, BD, 0, 0, 0 },
        { "home.example.net", NULL, 0, 0, 0, 0 },
        { "arpa", NULL, NF, 0, 0, 0 },
    };
    CHECK_TABLE(v);
}

Test(scan_classify, s1_octets_order_free_and_each_needs_its_own_run)
{
    static const struct vec v[] = {
        { "host-1-10-0-0.example.net", "10.0.0.1", G, S1, 0, 0 },
        { "a0-b0-c10-d1.example.net", "10.0.0.1", G, S1, 0, 0 },
        /* 10.0.0.10 needs two runs equal to 10 and two equal to 0. */
        { "a10-b0-c0-d1.example.net", "10.0.0.10", 0, W3, S1, 0 },
        /* Only in the registrable label: outside host, inside search. */
        { "www.x203-0-113-10.net", "203.0.113.10", G, S1, 0, 0 },
        /* The public suffix ("10", an unlisted TLD) is not searched. */
        { "a-203-0-113.10", "203.0.113.10", BD, W1, S1, 0 },
    };
    CHECK_TABLE(v);
}

Test(scan_classify, s1c_padded_concatenation_forward_and_reversed)
{
    static const struct vec v[] = {
        { "host203000113010.example.net", "203.0.113.10", G, S1C, S1, 0 },
        { "host010113000203.example.net", "203.0.113.10", G, S1C, S1, 0 },
        { "p-010113000203.example.net", "203.0.113.10", G, S1C, 0, 0 },
        /* Not zero-padded: no S1c. */
        { "host203011310.example.net", "203.0.113.10", 0, 0, S1C, 0 },
        /* Digits of the octets reversed is not "reversed". */
        { "host010311000302.example.net", "203.0.113.10", 0, 0, S1C, 0 },
    };
    CHECK_TABLE(v);
}

Test(scan_classify, s2_hex_with_optional_separators)
{
    static const struct vec v[] = {
        /* 203.0.113.10 = cb 00 71 0a */
        { "cb00710a.example.net", "203.0.113.10", G, S2, 0, 0 },
        { "ip-cb-00-71-0a.example.net", "203.0.113.10", G, S2, 0, 0 },
        { "cb.00.71.0a.example.net", "203.0.113.10", G, S2, 0, 0 },
        { "x_cb_00_71_0a.example.net", "203.0.113.10", INV | G, S2, 0, 0 },
        { "cb0071-0a.example.net", "203.0.113.10", G, S2, 0, 0 },
        /* Two separators, a separator inside a byte, the wrong address. */
        { "cb--00-71-0a.example.net", "203.0.113.10", 0, 0, S2, 0 },
        { "c-b00710a.example.net", "203.0.113.10", 0, 0, S2, 0 },
        { "cb00710b.example.net", "203.0.113.10", 0, 0, S2, 0 },
    };
    CHECK_TABLE(v);
}

Test(scan_classify, s3_ipv6_nibbles_and_groups)
{
    static const struct vec v[] = {
        /* The last 16 nibbles, forward, with or without separators. */
        { "v6-a1b2c3d4e5f6789a.example.net", "2001:db8:1:2:a1b2:c3d4:e5f6:789a", G, S3, 0, 0 },
        { "a1b2-c3d4-e5f6-789a.example.net", "2001:db8:1:2:a1b2:c3d4:e5f6:789a", G, S3, 0, 0 },
        /* All 32 nibbles. */
        { "h20010db8000100020000000000000005.example.net", "2001:db8:1:2::5", G, S3, 0, 0 },
        /* ip6.arpa order: the last 16 nibbles reversed, one per label. */
        { "a.9.8.7.6.f.5.e.4.d.3.c.2.b.1.a.dyn.example.net", "2001:db8:1:2:a1b2:c3d4:e5f6:789a", G,
          S3, 0, 0 },
        /* >= 4 groups in order, '-' or '.' joined, leading zeros optional. */
        { "2001-db8-1-2.example.net", "2001:db8:1:2::5", G, S3, 0, 0 },
        { "2001.0db8.0001.0002.example.net", "2001:db8:1:2::5", G, S3, 0, 0 },
        { "host-db8-1-2-0.example.net", "2001:db8:1:2::5", G, S3, 0, 0 },
        /* '--' stands for the '::' run. */
        { "2001-db8-f00--1.example.net", "2001:db8:f00::1", G, S3, 0, 0 },
        { "2001-db8--5.example.net", "2001:db8::5", G, S3, 0, 0 },
        { "fe80--1.example.net", "fe80::1", G, S3, 0, 0 },
        /* Three groups, out of order, wrong gap, a single written group. */
        { "2001-db8-1.example.net", "2001:db8:1:2::5", 0, 0, S3, 0 },
        { "db8-2001-1-2.example.net", "2001:db8:1:2::5", 0, 0, S3, 0 },
        { "2001-db8--2.example.net", "2001:db8:1:2::5", 0, 0, S3, 0 },
        { "x--1.example.net", "::1", 0, 0, S3, 0 },
        { "2001-db8-f00--2.example.net", "2001:db8:f00::1", 0, 0, S3, 0 },
        /* A 5-digit hex run is not a group. */
        { "12001-db8-1-2.example.net", "2001:db8:1:2::5", 0, 0, S3, 0 },
        /* IPv4 rules do not apply to an IPv6 target. */
        { "203-0-113-10.example.net", "2001:db8::1", 0, 0, S1 | W1, 0 },
    };
    CHECK_TABLE(v);
}

Test(scan_classify, s4_provider_defaults_and_near_misses)
{
    static const struct vec v[] = {
        { "ec2-54-1-2-3.eu-west-1.compute.amazonaws.com", NULL, G, S4, 0, 0 },
        { "ec2-54-1-2-3.us-gov-west-1.compute.amazonaws.com", NULL, G, S4, 0, 0 },
        { "ec2-52-80-1-2.cn-north-1.compute.amazonaws.com.cn", NULL, G, S4, 0, 0 },
        { "vmd12345.contaboserver.net", NULL, G, S4, 0, 0 },
        { "static.88-198-1-2.clients.your-server.de", NULL, G, S4, 0, H_STATIC },
        { "static.10.113.0.203.clients.your-server.de", NULL, G, S4, 0, H_STATIC },
        { "ip42.ip-51-38-12.eu", NULL, G, S4, 0, 0 },
        { "ns500000.ip-1-2-3.net", NULL, G, S4, 0, 0 },
        { "vps-1a2b3c4d.vps.ovh.net", NULL, G, S4, 0, 0 },
        { "vps123456.ovh.net", NULL, G, S4, 0, 0 },
        { "li123-45.members.linode.com", NULL, G, S4, 0, 0 },
        { "172-105-1-2.ip.linodeusercontent.com", NULL, G, S4, 0, 0 },
        { "2600-3c00--f03c-91ff-fe00-1234.ip.linodeusercontent.com", NULL, G, S4, 0, 0 },
        { "45.77.1.2.vultrusercontent.com", NULL, G, S4, 0, 0 },
        { "45.32.1.2.vultr.com", NULL, G, S4, 0, 0 },
        { "163-172-1-2.rev.poneytelecom.eu", NULL, G, S4, 0, 0 },
        /* Customer-chosen or service names under the same domains. */
        { "s3.amazonaws.com", NULL, 0, 0, S4, 0 },
        { "ec2-1-2-3.compute-1.amazonaws.com", NULL, 0, 0, S4, 0 },
        { "ec2-1-2-3-4.compute-1.amazonaws.com.evil.example", NULL, 0, 0, S4, 0 },
        { "mail.contaboserver.net", NULL, 0, 0, S4, 0 },
        { "vmi123456.contaboserver.net.example.com", NULL, 0, 0, S4, 0 },
        { "xvmi123456.contaboserver.net", NULL, 0, 0, S4, 0 },
        { "mail.your-server.de", NULL, 0, 0, S4, 0 },
        /* Not the default form, though generic by W2 (clients) + W3 (three runs). */
        { "static.1.2.3.clients.your-server.de", NULL, G, W2 | W3, S4, H_STATIC },
        { "mail.ip-193-70-80.eu", NULL, 0, 0, S4, 0 },
        { "ns1.example.eu", NULL, 0, 0, S4, 0 },
        { "www.ovh.net", NULL, 0, 0, S4, 0 },
        { "www.linode.com", NULL, 0, 0, S4, 0 },
        { "mail.members.linode.com", NULL, 0, 0, S4, 0 },
        { "www.vultr.com", NULL, 0, 0, S4, 0 },
        { "www.bc.googleusercontent.com", NULL, 0, 0, S4, 0 },
        { "mail-qt0-f199.google.com", NULL, 0, 0, S4, 0 },
        { "o1.ptr1234.sendgrid.net", NULL, 0, 0, S4, 0 },
        { "mail.example.com", NULL, 0, 0, S4, 0 },
        { "mx1.example.com", NULL, 0, 0, S4, 0 },
    };
    CHECK_TABLE(v);
}

Test(scan_classify, s4_reports_the_pattern_line)
{
    uint8_t wire[PKT_DNS_NAME_MAX];
    size_t len = to_wire("vmi123456.contaboserver.net", wire, sizeof wire);
    struct scan_classify_detail d;
    bool unusable;
    scan_classify_name_ex(cls, wire, len, NULL, &unusable, &d);
    cr_assert_neq(d.s4_line, 0);

    /* That line of the data file is the contabo one. */
    char path[4096], buf[4096];
    snprintf(path, sizeof path, "%s/provider-patterns.tsv", data_dir());
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    for (unsigned i = 0; i < d.s4_line; i++)
        cr_assert_not_null(fgets(buf, sizeof buf, f));
    fclose(f);
    cr_expect_eq(strncmp(buf, "contaboserver.net\t", 18), 0, "line %u: %s", d.s4_line, buf);
}

Test(scan_classify, s5_two_distinct_strong_keywords)
{
    static const struct vec v[] = {
        { "cust-pool.example.net", NULL, G, S5 | W2, 0, 0 },
        { "dyn.dsl.example.net", NULL, G, S5, 0, 0 },
        { "cpe.res.example.net", NULL, G, S5, 0, 0 },
        /* One keyword, twice: W2 only. */
        { "dsl.dsl.example.net", NULL, 0, W2, S5, 0 },
        /* Whole tokens only. */
        { "modemcable.example.net", NULL, 0, 0, S5 | W2, 0 },
        { "poolside.customerservice.example.net", NULL, 0, 0, S5 | W2, 0 },
        /* Keywords in the registrable domain are not in host. */
        { "www.dsl-cable.net", NULL, 0, 0, S5 | W2, 0 },
    };
    CHECK_TABLE(v);
}

Test(scan_classify, weak_rules_need_a_second_signal)
{
    static const struct vec v[] = {
        /* W2 + W3 (>= 7 digits). */
        { "pool-abc1234567.example.net", "203.0.113.10", G, W2 | W3, STRONG, 0 },
        /* W2 + W3 (>= 3 runs). */
        { "dynamic-1-2-3.example.net", "203.0.113.10", G, W2 | W3, STRONG, 0 },
        { "dsl-1-2-3.example.net", "203.0.113.10", G, W2 | W3, STRONG, 0 },
        /* W2 + W1 (last two octets). */
        { "dsl-113-10.example.net", "203.0.113.10", G, W1 | W2, STRONG | W3, 0 },
        /* W1 (first three, by nothing, zero padded) + W3. */
        { "x203000113-a1-b2.example.net", "203.0.113.10", G, W1 | W3, STRONG, 0 },
        /* W1 + W3 with no keyword. */
        { "x1-x2-x3-113-10.example.net", "203.0.113.10", G, W1 | W3, STRONG | W2, 0 },
        /* W2 + W4 + the last octet. */
        { "dsl-host-10.example.net", "203.0.113.10", G, W2 | W4 | LAST, STRONG | W1 | W3, 0 },
        /* One weak signal each: never enough. */
        { "srv-113-10.example.net", "203.0.113.10", 0, W1 | W4, STRONG | W2 | W3, 0 },
        { "dsl-gw.example.net", "203.0.113.10", 0, W2, STRONG | W1 | W3, 0 },
        { "a1b2c3.example.net", "203.0.113.10", 0, W3, STRONG | W1 | W2, 0 },
        { "static-host-10.example.net", "203.0.113.10", 0, W4 | LAST, STRONG | W2, 0 },
        /* W2 + W4 with a different last octet. */
        { "dsl-host-11.example.net", "203.0.113.10", 0, W2 | W4, STRONG | LAST, 0 },
        /* W1 must sit on run boundaries: 1113-10 is not 113-10. */
        { "dsl-1113-10.example.net", "203.0.113.10", 0, W2, STRONG | W1, 0 },
        { "dsl-113-100.example.net", "203.0.113.10", 0, W2, STRONG | W1, 0 },
    };
    CHECK_TABLE(v);
}

Test(scan_classify, hints_only_on_generic_names)
{
    static const struct vec v[] = {
        { "static.example.net", NULL, 0, W4, 0, 0 },
        { "mail.example.net", NULL, 0, 0, 0, 0 },
        { "smtp-203-0-113-10.example.net", "203.0.113.10", G, S1, 0, H_MAIL },
        { "static-mx-203-0-113-10.example.net", "203.0.113.10", G, S1, 0, H_STATIC | H_MAIL },
    };
    CHECK_TABLE(v);
}

/* ---- constructor errors ---------------------------------------------------- */

static char tmp_dir[64];

static void tmp_setup(void)
{
    strcpy(tmp_dir, "/tmp/test_classify.XXXXXX");
    cr_assert_not_null(mkdtemp(tmp_dir));
}

static void tmp_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "%s/p.tsv", tmp_dir);
    unlink(cmd);
    snprintf(cmd, sizeof cmd, "%s/psl.dat", tmp_dir);
    unlink(cmd);
    rmdir(tmp_dir);
}

static void write_file(const char *name, const char *content, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", tmp_dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(content, 1, strlen(content), f), strlen(content));
    cr_assert_eq(fclose(f), 0);
}

static void psl_path(char *path, size_t cap)
{
    snprintf(path, cap, "%s/public_suffix_list.dat", data_dir());
}

/* Expect failure with each of the fragments in the message. */
static void expect_error(const char *psl, const char *pat, const char *frag1, const char *frag2)
{
    char err[512];
    memset(err, 'x', sizeof err);
    struct scan_classifier *c = scan_classifier_new(psl, pat, err, sizeof err);
    cr_expect_null(c, "loaded %s / %s", psl, pat);
    scan_classifier_free(c);
    cr_expect_not_null(memchr(err, '\0', sizeof err), "err not terminated");
    cr_expect_not_null(strstr(err, frag1), "\"%s\" lacks \"%s\"", err, frag1);
    if (frag2 != NULL)
        cr_expect_not_null(strstr(err, frag2), "\"%s\" lacks \"%s\"", err, frag2);
}

Test(scan_classify, new_fails_on_missing_files, .init = tmp_setup, .fini = tmp_teardown)
{
    char psl[4096], pat[4096], missing[4096];
    psl_path(psl, sizeof psl);
    write_file("p.tsv", "example.com\t^a\\.example\\.com$\n", pat, sizeof pat);
    snprintf(missing, sizeof missing, "%s/nope", tmp_dir);
    expect_error(missing, pat, missing, "No such file");
    expect_error(psl, missing, missing, "No such file");
}

Test(scan_classify, new_fails_on_a_non_psl_file, .init = tmp_setup, .fini = tmp_teardown)
{
    char psl[4096], pat[4096];
    write_file("p.tsv", "example.com\t^a\\.example\\.com$\n", pat, sizeof pat);
    write_file("psl.dat", "com\nnet\n", psl, sizeof psl);
    expect_error(psl, pat, psl, "ICANN");
}

Test(scan_classify, new_reports_pattern_file_line_and_reason, .init = tmp_setup,
     .fini = tmp_teardown)
{
    static const struct {
        const char *content;
        const char *frag1;
        const char *frag2;
    } c[] = {
        { "# ok\n\nexample.com ^a$\n", ":3:", "no TAB" },
        { "example.com\t^a\\.example\\.com$\nexample.com\t^a(\\.example\\.com$\n",
          ":2:", "bad regex" },
        { "example.com\ta\\.example\\.com$\n", ":1:", "anchored" },
        { "example.com\t^a\\.example\\.com\n", ":1:", "anchored" },
        { "example.com\t^a\\.example\\.com\\$\n", ":1:", "anchored" },
        { "example.com\t\n", ":1:", "no TAB" },
        { "Example.com\t^a$\n", ":1:", "suffix" },
        { "\t^a$\n", ":1:", "suffix" },
        { "example..com\t^a$\n", ":1:", "suffix" },
        { "-example.com\t^a$\n", ":1:", "suffix" },
        { "exa mple.com\t^a$\n", ":1:", "suffix" },
    };
    char psl[4096], pat[4096];
    psl_path(psl, sizeof psl);
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        write_file("p.tsv", c[i].content, pat, sizeof pat);
        expect_error(psl, pat, c[i].frag1, c[i].frag2);
        expect_error(psl, pat, pat, NULL);
    }
}

Test(scan_classify, new_accepts_crlf_comments_and_blank_lines, .init = tmp_setup,
     .fini = tmp_teardown)
{
    char psl[4096], pat[4096], err[512];
    psl_path(psl, sizeof psl);
    write_file("p.tsv",
               "# comment\r\n\r\n   # indented comment\r\n"
               "example.com\t^gen[0-9]+\\..*$\r\n",
               pat, sizeof pat);
    struct scan_classifier *c = scan_classifier_new(psl, pat, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    uint8_t wire[PKT_DNS_NAME_MAX];
    struct scan_classify_detail d;
    bool unusable;
    size_t len = to_wire("gen42.example.com", wire, sizeof wire);
    cr_expect_eq(scan_classify_name_ex(c, wire, len, NULL, &unusable, &d), G);
    cr_expect_eq(d.s4_line, 4);
    len = to_wire("gen42.example.org", wire, sizeof wire);
    cr_expect_eq(scan_classify_name_ex(c, wire, len, NULL, &unusable, &d), 0);
    /* The suffix ends at a label boundary: "notexample.com" is not under "example.com". */
    len = to_wire("gen42.notexample.com", wire, sizeof wire);
    cr_expect_eq(scan_classify_name_ex(c, wire, len, NULL, &unusable, &d), 0);
    scan_classifier_free(c);
}

Test(scan_classify, free_null_is_a_no_op)
{
    scan_classifier_free(NULL);
}
