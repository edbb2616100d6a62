/*
 * packet/dns.h - DNS wire codec: query builder, hardened reply parser, names.
 *
 * Purpose: turn a question into query bytes and untrusted reply bytes into a
 * fixed, validated struct. Everything here is pure: (const uint8_t *, size_t)
 * in, caller-owned fixed structs out; no allocation, no I/O, no threads, no
 * global state. Reentrant; any thread.
 * Hot path: yes (one build per query, one parse per reply).
 * Untrusted input: yes. Every reply byte may be hostile; the parser keeps the
 * first error, returns a distinct negative code per kind of damage
 * (docs/test-cases.md P01-P22) and never reads outside [wire, wire + len).
 * Standards: RFC 1035 (wire format, compression, presentation), RFC 2308
 * (negative answers), RFC 3596 (AAAA), RFC 6672 (DNAME), RFC 6604 (rcode
 * after CNAME), RFC 6891 (EDNS0), RFC 7766 (TC -> TCP), RFC 5452 and
 * draft-vixie-dnsext-dns0x20 (ID, port and case entropy).
 *
 * Names are carried in uncompressed wire form (length-prefixed labels ending
 * with the root label 0), at most PKT_DNS_NAME_MAX octets. All comparisons in
 * packet/ are case-insensitive (ASCII only); whether a reply echoed our 0x20
 * case is decided by the matcher with pkt_dns_name_equal_case().
 */
#ifndef FCRSCAN_PACKET_DNS_H
#define FCRSCAN_PACKET_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_DNS_HDR_LEN      12
#define PKT_DNS_NAME_MAX     255 /* wire octets, RFC 1035 §2.3.4 */
#define PKT_DNS_LABELS_MAX   127 /* 127 one-octet labels + root = 255 */
#define PKT_DNS_LABEL_MAX    63
#define PKT_DNS_PRESENT_MAX  1024 /* 255 octets as "\DDD" each, plus NUL */
#define PKT_DNS_EDNS_BUFSIZE 1232 /* DNS Flag Day 2020 */
#define PKT_DNS_JUMPS_MAX    128  /* compression pointers followed per name */
#define PKT_DNS_RR_MAX       512  /* RRs examined per reply, all sections */
#define PKT_DNS_PTR_MAX      32   /* PTR names kept per reply */
#define PKT_DNS_ADDR_MAX     64   /* A/AAAA addresses kept per reply */
#define PKT_DNS_CHAIN_MAX    8    /* CNAME/DNAME hops followed */
#define PKT_DNS_QUERY_MAX    (PKT_DNS_HDR_LEN + PKT_DNS_NAME_MAX + 4 + 11)

enum pkt_dns_type {
    PKT_DNS_TYPE_A = 1,
    PKT_DNS_TYPE_NS = 2,
    PKT_DNS_TYPE_CNAME = 5,
    PKT_DNS_TYPE_SOA = 6,
    PKT_DNS_TYPE_PTR = 12,
    PKT_DNS_TYPE_TXT = 16,
    PKT_DNS_TYPE_AAAA = 28,
    PKT_DNS_TYPE_DNAME = 39,
    PKT_DNS_TYPE_OPT = 41,
};

#define PKT_DNS_CLASS_IN 1

enum pkt_dns_rcode {
    PKT_DNS_RCODE_NOERROR = 0,
    PKT_DNS_RCODE_FORMERR = 1,
    PKT_DNS_RCODE_SERVFAIL = 2,
    PKT_DNS_RCODE_NXDOMAIN = 3,
    PKT_DNS_RCODE_NOTIMP = 4,
    PKT_DNS_RCODE_REFUSED = 5,
};

/*
 * Parse and build errors. Each parse error is one drop reason; its short name
 * (pkt_dns_err_name) is the counter key in the summary's "dropped" object.
 */
enum pkt_dns_err {
    PKT_DNS_OK = 0,
    PKT_DNS_E_SHORT = -1,     /* "short": fewer than 12 octets, or question cut */
    PKT_DNS_E_NOTRESP = -2,   /* "not_response": QR=0 */
    PKT_DNS_E_OPCODE = -3,    /* "opcode": opcode other than QUERY */
    PKT_DNS_E_QUESTION = -4,  /* "question": QDCOUNT != 1 */
    PKT_DNS_E_COUNTS = -5,    /* "counts": section counts exceed the packet */
    PKT_DNS_E_POINTER = -6,   /* "pointer": forward/self/header/out-of-range ptr, jump cap */
    PKT_DNS_E_LABELTYPE = -7, /* "labeltype": label octet 0x40-0xBF */
    PKT_DNS_E_NAMELEN = -8,   /* "name_len": > 255 octets or > 127 labels */
    PKT_DNS_E_OVERRUN = -9,   /* "overrun": label or fixed RR fields run past the end */
    PKT_DNS_E_RDLEN = -10,    /* "rdlen": RDLENGTH beyond the packet */
    PKT_DNS_E_RDATA = -11,    /* "rdata": A not 4, AAAA not 16, name not filling RDATA, bad SOA */
    PKT_DNS_E_OPT = -12,      /* "opt": two OPT RRs, OPT outside additional, non-root owner */
    PKT_DNS_E_CHAIN = -13,    /* "cname_loop": CNAME/DNAME loop or more than 8 hops */
    PKT_DNS_E_TOOMANY = -14,  /* "too_many_rrs": more than PKT_DNS_RR_MAX records */
    PKT_DNS_E_SPACE = -15,    /* build only: caller's buffer too small */
    PKT_DNS_E_INVAL = -16,    /* build only / text names: invalid argument */
};
#define PKT_DNS_E_COUNT 17 /* number of codes including PKT_DNS_OK */

/* Static English message for a code from this header ("ok" for 0). */
const char *pkt_dns_strerror(int err);
/* Static counter key for a code ("short", "pointer", ...; "ok" for 0). */
const char *pkt_dns_err_name(int err);

/* ---- names ---------------------------------------------------------------- */

/* A name in uncompressed wire form. len counts every octet incl. the root 0. */
struct pkt_dns_name {
    uint8_t len;
    uint8_t wire[PKT_DNS_NAME_MAX];
};

/*
 * Text ("mail.example.net", final dot optional, "." is the root; \DDD and \X
 * escapes accepted) to wire form in out[0..cap). Returns the wire length or
 * PKT_DNS_E_INVAL / PKT_DNS_E_NAMELEN / PKT_DNS_E_SPACE.
 */
__attribute__((warn_unused_result)) int pkt_dns_name_from_text(const char *text, uint8_t *out,
                                                               size_t cap);

/* Case-insensitive (ASCII) equality of two wire names. */
bool pkt_dns_name_equal(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

/* Octet-exact equality (the 0x20 check). */
bool pkt_dns_name_equal_case(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

/* Lower-case the ASCII letters of a wire name in place. */
void pkt_dns_name_lower(uint8_t *wire, size_t len);

/*
 * 0x20 randomisation in place: the i-th ASCII letter of the name (counting
 * letters only, from the left) becomes upper case when bit (i mod 64) of bits
 * is set, lower case otherwise.
 */
void pkt_dns_name_case20(uint8_t *wire, size_t len, uint64_t bits);

/* Number of labels, not counting the root (0 for the root name). */
unsigned pkt_dns_name_labels(const uint8_t *wire, size_t len);

/*
 * Presentation form (RFC 1035 §5.1) into out[0..cap): lower case, no final
 * dot, the root as "."; an octet outside 0x21-0x7E and each of " \ ( ) ; ,
 * becomes \DDD, a '.' inside a label becomes "\.". cap >= PKT_DNS_PRESENT_MAX
 * always suffices. Returns strlen(out), or PKT_DNS_E_SPACE (out is then ""),
 * or PKT_DNS_E_INVAL for a malformed wire name (out is then "" too).
 */
int pkt_dns_name_present(const uint8_t *wire, size_t len, char *out, size_t cap);

/* ---- queries -------------------------------------------------------------- */

/* What to ask. Plain data; qname is borrowed. */
struct pkt_dns_query {
    const uint8_t *qname; /* wire form, case as it should go out */
    uint8_t qname_len;
    uint16_t qtype;
    uint16_t id;
    bool rd;   /* recursion desired */
    bool edns; /* append an OPT RR advertising PKT_DNS_EDNS_BUFSIZE */
};

/*
 * Write the query into buf[0..cap). Class IN, one question, RD as asked,
 * opcode QUERY. Returns the length written (> 0) or PKT_DNS_E_SPACE /
 * PKT_DNS_E_INVAL (qname_len 0 or > 255).
 */
__attribute__((warn_unused_result)) int pkt_dns_query_build(uint8_t *buf, size_t cap,
                                                            const struct pkt_dns_query *q);

/* ---- replies -------------------------------------------------------------- */

/*
 * One parsed, validated reply. Only records whose owner is the question name
 * or a name on its CNAME/DNAME chain count: PTR/A/AAAA answers are those of
 * the question's type owned by the chain's last name. Records of other types,
 * other owners, other classes, and the whole additional section except OPT
 * are ignored (M12).
 */
struct pkt_dns_reply {
    uint16_t id;
    uint16_t rcode; /* 4-bit header RCODE, extended by OPT to 12 bits */
    bool tc;        /* truncated: not final, retry over TCP (RFC 7766) */
    bool aa;
    bool ra;
    bool rd;
    uint16_t qtype;
    uint16_t qclass;
    struct pkt_dns_name qname; /* exactly as received, case preserved */
    uint16_t nb_an;            /* header counts */
    uint16_t nb_ns;
    uint16_t nb_ar;

    uint8_t nb_hops;            /* CNAME/DNAME hops from qname to target (0..8) */
    bool saw_dname;             /* a DNAME was followed */
    struct pkt_dns_name target; /* chain's last name; == qname when nb_hops == 0 */

    uint16_t nb_ptr_total; /* PTR RRs owned by target, may exceed PKT_DNS_PTR_MAX */
    uint16_t nb_ptr;       /* stored below, answer order */
    struct pkt_dns_name ptr[PKT_DNS_PTR_MAX];

    uint16_t nb_addr_total; /* A (qtype A) or AAAA (qtype AAAA) RRs owned by target */
    uint16_t nb_addr;
    uint8_t addr[PKT_DNS_ADDR_MAX][16]; /* A uses bytes 0..3 */

    bool has_soa; /* SOA in authority (negative answer) */
    uint32_t soa_minimum;
    bool has_opt;
    uint8_t opt_version;
    uint16_t opt_udp_size;
};

/*
 * Parse wire[0..len) into *out. Checks, in order: header length, QR=1,
 * opcode QUERY, QDCOUNT == 1, the question, that the section counts can fit
 * (each RR needs >= 11 octets, checked before any loop: linear time for P16),
 * then every RR of every section: owner name, fixed fields, RDLENGTH, and the
 * RDATA of A/AAAA/PTR/CNAME/DNAME/SOA/OPT. Then follows the CNAME/DNAME chain.
 *
 * TC=1: the question must be whole, but a record cut by the truncation ends
 * the parse successfully with what came before (out->tc tells the caller it
 * is not final).
 *
 * Returns PKT_DNS_OK or a negative enum pkt_dns_err; on error *out is
 * unspecified. Reads nothing outside wire[0..len).
 */
__attribute__((warn_unused_result)) int pkt_dns_reply_parse(const uint8_t *wire, size_t len,
                                                            struct pkt_dns_reply *out);

/*
 * Name of an rcode for output ("NOERROR", "NXDOMAIN", ..., "RCODE12"; 16 is
 * "BADVERS"; every value above 16 is the generic "RCODE_OTHER"). Static.
 */
const char *pkt_dns_rcode_name(unsigned rcode);

#endif
