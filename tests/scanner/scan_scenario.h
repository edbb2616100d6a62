/*
 * Shared by test_scan.c (Criterion) and stress_scan.c (plain, for the
 * ThreadSanitizer build, where Criterion's process arena cannot run).
 *
 * The scan end to end on loopback against a small responder thread whose
 * answer to every address follows a rule, so every row can be checked.
 * The responder also misbehaves on purpose: it drops first attempts, sends
 * answers twice, sends answers with a wrong ID first (M01, M08, M10), sends
 * a copy with another question, a malformed copy or a copy to another of
 * our ports before the answer (M04, P01-P04, M03), answers with an unknown
 * rcode (P22), and a small window forces slot recycling and back-pressure.
 * Run under ThreadSanitizer in CI (suite "tsan").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "packet/dns.h"
#include "scanner/scan.h"
#include "stats/record.h"

#ifndef FCRSCAN_TESTS_SCAN_SCENARIO_H
#define FCRSCAN_TESTS_SCAN_SCENARIO_H

#define NB_TARGETS 4096u

enum rule {
    R_NXDOMAIN,   /* no-ptr */
    R_PASS,       /* own name, own A */
    R_SHARED,     /* one name per /24 for all of its R_SHARED addresses: pass (dedup) */
    R_MISMATCH,   /* A elsewhere */
    R_NODATA,     /* ptr-nodata */
    R_SERVFAIL,   /* tempfail reverse servfail */
    R_DUPLICATE,  /* wrong ID first, then the answer twice: pass */
    R_DROPFIRST,  /* first attempt unanswered: pass after a retry */
    R_WRONGSRC,   /* the answer first comes from 127.0.0.2 (M02, M14): dropped, then pass */
    R_CONFLICT,   /* the answer, then a different answer (M11): first wins, pass */
    R_ADDITIONAL, /* PTR answer with an additional A for the target (M12): ignored, mismatch */
    R_RACE,       /* attempt 0's answer only after the retry, then the retry's (M10): pass */
    R_QUESTION,   /* first a copy with our ID and port whose question differs in name, type
                     or class, answering "m-N" (M04): dropped, then pass */
    R_MALFORMED,  /* first a malformed copy: counts, short or pointer (P01-P04, the running
                     scan's drop contract): dropped, the lookup stays pending, then pass */
    R_RCODE,      /* rcode 12..15 (P22): tempfail, reason other */
    R_WRONGPORT,  /* first a copy to another of our ports, answering "m-N" (M03): dropped,
                     then pass */
    R_COUNT
};

static uint8_t expected_verdict[R_COUNT] = {
    STATS_VERDICT_NO_PTR,   STATS_VERDICT_PASS,       STATS_VERDICT_PASS,
    STATS_VERDICT_MISMATCH, STATS_VERDICT_PTR_NODATA, STATS_VERDICT_TEMPFAIL,
    STATS_VERDICT_PASS,     STATS_VERDICT_PASS,       STATS_VERDICT_PASS,
    STATS_VERDICT_PASS,     STATS_VERDICT_MISMATCH,   STATS_VERDICT_PASS,
    STATS_VERDICT_PASS,     STATS_VERDICT_PASS,       STATS_VERDICT_TEMPFAIL,
    STATS_VERDICT_PASS,
};

/* The reason a tempfail row must give (STATS_REASON_NONE for the others). */
static uint8_t expected_reason(unsigned rule)
{
    return rule == R_SERVFAIL ? STATS_REASON_SERVFAIL
           : rule == R_RCODE  ? STATS_REASON_OTHER
                              : STATS_REASON_NONE;
}

/* Which variant of a rule target i gets (R_QUESTION: name, type, class;
 * R_MALFORMED: counts, short, pointer; R_RCODE: 12 + variant % 4). */
static unsigned variant_of(unsigned i)
{
    return i / R_COUNT;
}

enum { FLOOD_NONE, FLOOD_OTHER_PORT, FLOOD_SAME_PORT };

/* A few plain "pass" targets get flooded (M06). */
static bool is_flooded(unsigned i)
{
    return i % R_COUNT == R_PASS && (i / R_COUNT) % 32 == 0;
}

static inline unsigned rule_count(unsigned rule)
{
    unsigned n = 0;
    for (unsigned i = 0; i < NB_TARGETS; i++)
        n += i % R_COUNT == rule;
    return n;
}

static enum rule rule_of(unsigned i)
{
    return (enum rule)(i % R_COUNT);
}

/* ---- hooks' state ------------------------------------------------------- */

struct collect {
    _Atomic unsigned next;
    unsigned limit; /* targets 0..limit-1 (0: all NB_TARGETS) */
    unsigned rows[NB_TARGETS];
    uint8_t verdict[NB_TARGETS];
    uint8_t nb_names[NB_TARGETS];
    uint8_t reason[NB_TARGETS];
    _Atomic uint8_t row_seen[NB_TARGETS]; /* for the responder thread */
    unsigned bad_lines;
    /* The counters of the last tick (about every 100 ms), for the responder. */
    _Atomic uint64_t tick_late;
    /* Records that carried the run's key (M07): must stay 0. */
    struct scan_key key;
    unsigned key_in_record;
    /* The last checkpoint: bounds per TX worker and the pending targets;
     * which TX worker took each target (q + 1, 0: none yet), and how often
     * a checkpoint disagreed with the rows written so far (the writer
     * thread calls both hooks, so they see one consistent state). */
    _Atomic uint8_t q_of[NB_TARGETS];
    unsigned ck_violations;
    unsigned checkpoints;
    uint64_t ck_next[4];
    uint64_t ck_pending[NB_TARGETS];
    size_t ck_nb_pending;
};

/* ---- responder ------------------------------------------------------------ */

/*
 * Modes for the late-reply cases (M09). In both, the R_PASS targets
 * is_late_target() picks are never answered until their row (tempfail,
 * timeout) is written; then every query they sent is answered.
 * MODE_LATE: the keeper (the last plain R_PASS target) is held until the
 * scan has counted those late answers, so the scan is still running when
 * they arrive. MODE_DRAIN: R_NXDOMAIN targets are held a third of a
 * timeout each (then answered); once the late targets' rows are in, the
 * responder asks the scan to stop (cfg.stop), and after 30 ms sends the late
 * answers and answers every other held target (drain_role 1), keeping the
 * rest unanswered (drain_role 2).
 */
enum { MODE_NORMAL, MODE_LATE, MODE_DRAIN };

#define HOLD_MAX 64

struct held {
    bool used;
    int target;
    int fd;
    struct sockaddr_in to;
    uint64_t since_ns;
    uint16_t len;
    uint8_t q[256];
};

struct responder {
    int fd;
    int fd_spoof;        /* another address, same port (127.0.0.2): a source we never queried
                            (M14), or a second resolver when the scan asks it too (M02) */
    bool lower_question; /* answer with the question lower-cased (no 0x20) */
    int flood;           /* M06: FLOOD_* before the real answer of flooded targets */
    int mode;            /* MODE_*, with c set */
    struct collect *c;
    unsigned timeout_ms;        /* MODE_DRAIN: the scan's first-attempt timeout */
    uint64_t late_expected;     /* MODE_LATE: late answers the scan must count */
    volatile sig_atomic_t stop; /* MODE_DRAIN: point cfg.stop here */
    uint64_t stop_ns;
    bool drained;
    unsigned drain_next;
    unsigned late_sent;
    uint8_t drain_role[NB_TARGETS];
    struct held hold[HOLD_MAX];
    unsigned hold_overflow;
    uint16_t other_port; /* a port of ours seen on another query */
    unsigned flooded;    /* targets flooded */
    /* Per flooded target: the port its flood went to, and whether a later
     * query of it left from that very port (the socket engine's keyed port
     * choice can land there: then the attacker has, in effect, guessed the
     * port, which only --0x20 defeats; docs/output.md engines). */
    _Atomic uint16_t flood_port[NB_TARGETS];
    _Atomic uint8_t flood_port_reused[NB_TARGETS];
    _Atomic unsigned wrongport_sent; /* R_WRONGPORT copies sent to another port */
    uint8_t race_q[NB_TARGETS][256]; /* R_RACE: the first query, held back ... */
    uint16_t race_len[NB_TARGETS];
    uint16_t race_port[NB_TARGETS]; /* ... its port and the socket it came on, */
    int race_fd[NB_TARGETS];        /* answered after the retry */
    uint32_t addr_be;               /* where fd is bound (network order) */
    uint16_t port;
    _Atomic int quit;
    _Atomic uint8_t seen[NB_TARGETS];
    pthread_t th;
};

/* M09: a few early plain R_PASS targets. */
static bool is_late_target(unsigned i)
{
    return rule_of(i) == R_PASS && !is_flooded(i) && i < 1024 && variant_of(i) % 8 == 1;
}

static inline unsigned late_targets(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < NB_TARGETS; i++)
        n += is_late_target(i);
    return n;
}

/* MODE_LATE: the last plain R_PASS target. */
static inline unsigned keeper_target(void)
{
    unsigned k = 0;
    for (unsigned i = 0; i < NB_TARGETS; i++)
        if (rule_of(i) == R_PASS && !is_flooded(i) && !is_late_target(i))
            k = i;
    return k;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static size_t put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}

/* Append an RR owned by the question name (pointer to offset 12). */
static size_t put_rr(uint8_t *p, uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
    size_t n = 0;
    n += put16(p + n, 0xC00C);
    n += put16(p + n, type);
    n += put16(p + n, 1);
    n += put16(p + n, 0);
    n += put16(p + n, 60);
    n += put16(p + n, rdlen);
    memcpy(p + n, rdata, rdlen);
    return n + rdlen;
}

static int text_name(const char *t, uint8_t *w)
{
    return pkt_dns_name_from_text(t, w, PKT_DNS_NAME_MAX);
}

/* Index of a target from its reverse name 4.3.0.10.in-addr.arpa. */
static int target_of_rev(const char *txt)
{
    unsigned a, b, c, d;
    if (sscanf(txt, "%u.%u.%u.%u.in-addr.arpa", &d, &c, &b, &a) != 4 || a != 10 || b != 0)
        return -1;
    return (int)(c * 256 + d);
}

enum { PRE_NONE, PRE_QUESTION, PRE_MALFORMED, PRE_WRONGPORT };

struct extra {
    int race_target;     /* >= 0: first answer the held-back first query of this target */
    int copies;          /* send the answer this often */
    bool wrong_id_first; /* a copy with another ID first */
    bool spoof_first;    /* a copy from the other address first */
    bool conflict_after; /* then an answer naming another host */
    int pre;             /* PRE_*: a damaged copy first */
    int target;          /* PTR queries: the target, else -1 */
};

static size_t answer(struct responder *r, uint8_t *q, size_t qlen, uint8_t *out, struct extra *x)
{
    memset(x, 0, sizeof(*x));
    x->race_target = -1;
    x->target = -1;
    x->copies = 1;
    struct pkt_dns_name name;
    size_t off = 12;
    while (off < qlen && q[off] != 0)
        off += q[off] + 1u;
    if (off + 5 > qlen)
        return 0;
    size_t qend = off + 5;
    name.len = (uint8_t)(off + 1 - 12);
    memcpy(name.wire, q + 12, name.len);
    uint16_t qtype = (uint16_t)(q[off + 1] << 8 | q[off + 2]);
    char txt[PKT_DNS_PRESENT_MAX];
    if (pkt_dns_name_present(name.wire, name.len, txt, sizeof(txt)) < 0)
        return 0;
    memcpy(out, q, qend);
    if (r->lower_question)
        pkt_dns_name_lower(out + 12, name.len);
    out[2] = 0x80 | (q[2] & 0x01); /* QR, RD echoed */
    out[3] = 0x80;                 /* RA */
    out[6] = out[7] = out[8] = out[9] = out[10] = out[11] = 0;
    size_t n = qend;
    uint16_t ancount = 0;
    uint8_t rd[PKT_DNS_NAME_MAX];
    if (qtype == PKT_DNS_TYPE_PTR) {
        int i = target_of_rev(txt);
        if (i < 0 || (unsigned)i >= NB_TARGETS) {
            out[3] |= PKT_DNS_RCODE_REFUSED;
            return n;
        }
        x->target = i;
        char host[64];
        switch (rule_of((unsigned)i)) {
        case R_NXDOMAIN:
            out[3] |= PKT_DNS_RCODE_NXDOMAIN;
            return n;
        case R_NODATA:
            return n;
        case R_SERVFAIL:
            out[3] |= PKT_DNS_RCODE_SERVFAIL;
            return n;
        case R_RCODE:
            out[3] |= (uint8_t)(12 + variant_of((unsigned)i) % 4);
            return n;
        case R_SHARED:
            snprintf(host, sizeof(host), "shared-%u.example.net", (unsigned)i / 256);
            break;
        case R_MISMATCH:
            snprintf(host, sizeof(host), "m-%d.example.net", i);
            break;
        case R_DROPFIRST:
            if (atomic_exchange(&r->seen[i], 1) == 0)
                return 0;
            snprintf(host, sizeof(host), "h-%d.example.net", i);
            break;
        case R_DUPLICATE:
            x->copies = 2;
            x->wrong_id_first = true;
            snprintf(host, sizeof(host), "h-%d.example.net", i);
            break;
        case R_WRONGSRC:
            x->spoof_first = true;
            snprintf(host, sizeof(host), "h-%d.example.net", i);
            break;
        case R_CONFLICT:
            x->conflict_after = true;
            snprintf(host, sizeof(host), "h-%d.example.net", i);
            break;
        case R_ADDITIONAL:
            snprintf(host, sizeof(host), "m-%d.example.net", i);
            break;
        case R_RACE:
            snprintf(host, sizeof(host), "h-%d.example.net", i);
            x->race_target = i;
            break;
        case R_QUESTION:
            x->pre = PRE_QUESTION;
            snprintf(host, sizeof(host), "h-%d.example.net", i);
            break;
        case R_MALFORMED:
            x->pre = PRE_MALFORMED;
            snprintf(host, sizeof(host), "h-%d.example.net", i);
            break;
        case R_WRONGPORT:
            x->pre = PRE_WRONGPORT;
            snprintf(host, sizeof(host), "h-%d.example.net", i);
            break;
        default:
            snprintf(host, sizeof(host), "h-%d.example.net", i);
            break;
        }
        int len = text_name(host, rd);
        if (len < 0)
            return 0;
        n += put_rr(out + n, PKT_DNS_TYPE_PTR, rd, (uint16_t)len);
        ancount = 1;
        if (rule_of((unsigned)i) == R_ADDITIONAL) {
            /* An A record for the PTR name claiming the target: must not
             * count, the forward lookup decides (M12). */
            memcpy(out + n, rd, (size_t)len);
            n += (size_t)len;
            n += put16(out + n, PKT_DNS_TYPE_A);
            n += put16(out + n, 1);
            n += put16(out + n, 0);
            n += put16(out + n, 60);
            n += put16(out + n, 4);
            const uint8_t a[4] = { 10, 0, (uint8_t)(i / 256), (uint8_t)(i % 256) };
            memcpy(out + n, a, 4);
            n += 4;
            put16(out + 10, 1);
        }
    } else if (qtype == PKT_DNS_TYPE_A) {
        unsigned i, blk;
        if (sscanf(txt, "h-%u.example.net", &i) == 1) {
            uint8_t a[4] = { 10, 0, (uint8_t)(i / 256), (uint8_t)(i % 256) };
            n += put_rr(out + n, PKT_DNS_TYPE_A, a, 4);
            ancount = 1;
        } else if (sscanf(txt, "m-%u.example.net", &i) == 1) {
            uint8_t a[4] = { 192, 0, 2, 1 };
            n += put_rr(out + n, PKT_DNS_TYPE_A, a, 4);
            ancount = 1;
        } else if (sscanf(txt, "shared-%u.example.net", &blk) == 1) {
            for (unsigned k = 0; k < 256; k++) {
                if (rule_of(blk * 256 + k) != R_SHARED)
                    continue;
                uint8_t a[4] = { 10, 0, (uint8_t)blk, (uint8_t)k };
                n += put_rr(out + n, PKT_DNS_TYPE_A, a, 4);
                ancount++;
            }
        } else {
            out[3] |= PKT_DNS_RCODE_NXDOMAIN;
        }
    }
    /* AAAA: NODATA. */
    put16(out + 6, ancount);
    return n;
}

/* Offset of the question's QTYPE high octet (the octet after the name). */
static size_t off_qtype(const uint8_t *q, size_t len)
{
    size_t off = 12;
    while (off < len && q[off] != 0)
        off += q[off] + 1u;
    return off + 1 < len ? off + 1 : len - 1;
}

/*
 * M04: a reply with the answer's ID (so also its port and source) whose
 * question differs from ours in name (10.9.c.d instead of 10.0.c.d), type
 * (A) or class (CH), claiming a host whose A record is elsewhere: accepted,
 * it would turn the row into a mismatch. ans[0..n) is the real answer.
 */
static size_t forge_question(unsigned i, const uint8_t *ans, size_t n, uint8_t *out)
{
    size_t qt = off_qtype(ans, n);
    uint8_t qname[PKT_DNS_NAME_MAX];
    size_t qlen = qt - 12;
    memcpy(qname, ans + 12, qlen);
    uint16_t qtype = PKT_DNS_TYPE_PTR, qclass = PKT_DNS_CLASS_IN;
    char txt[64];
    switch (variant_of(i) % 3) {
    case 0:
        snprintf(txt, sizeof(txt), "%u.%u.9.10.in-addr.arpa", i % 256, i / 256);
        qlen = (size_t)text_name(txt, qname);
        break;
    case 1:
        qtype = PKT_DNS_TYPE_A;
        break;
    default:
        qclass = 3; /* CH */
        break;
    }
    memcpy(out, ans, 12);
    put16(out + 4, 1);
    put16(out + 6, 1);
    put16(out + 8, 0);
    put16(out + 10, 0);
    size_t k = 12;
    memcpy(out + k, qname, qlen);
    k += qlen;
    k += put16(out + k, qtype);
    k += put16(out + k, qclass);
    snprintf(txt, sizeof(txt), "m-%u.example.net", i);
    uint8_t rd[PKT_DNS_NAME_MAX];
    int rl = text_name(txt, rd);
    return k + put_rr(out + k, PKT_DNS_TYPE_PTR, rd, (uint16_t)rl);
}

/*
 * The running scan's drop contract (P01-P04): a malformed copy of the
 * answer ans[0..n): the answer count kept but the packet cut after the
 * question (counts), 11 octets (short), or the answer's owner a pointer to
 * itself (pointer). Returns its length.
 */
static size_t forge_malformed(unsigned i, const uint8_t *ans, size_t n, uint8_t *out)
{
    memcpy(out, ans, n);
    size_t qend = off_qtype(ans, n) + 4;
    switch (variant_of(i) % 3) {
    case 0:
        return qend;
    case 1:
        return 11;
    default:
        out[qend] = 0xC0;
        out[qend + 1] = (uint8_t)qend;
        return n;
    }
}

/* How many R_MALFORMED targets get variant v (of 3), R_QUESTION likewise. */
static inline unsigned variant_count(unsigned rule, unsigned v, unsigned nb_variants)
{
    unsigned n = 0;
    for (unsigned i = 0; i < NB_TARGETS; i++)
        n += rule_of(i) == rule && variant_of(i) % nb_variants == v;
    return n;
}

static bool hold_put(struct responder *r, int target, int fd, const struct sockaddr_in *to,
                     const uint8_t *q, size_t len)
{
    for (unsigned k = 0; k < HOLD_MAX; k++) {
        struct held *h = &r->hold[k];
        if (h->used || len > sizeof(h->q))
            continue;
        h->used = true;
        h->target = target;
        h->fd = fd;
        h->to = *to;
        h->since_ns = now_ns();
        h->len = (uint16_t)len;
        memcpy(h->q, q, len);
        return true;
    }
    r->hold_overflow++;
    return false;
}

/* Answer a held query now (its extras ignored) and free its slot. */
static void hold_answer(struct responder *r, struct held *h)
{
    uint8_t out[2048];
    struct extra x;
    size_t n = answer(r, h->q, h->len, out, &x);
    if (n > 0)
        sendto(h->fd, out, n, 0, (const struct sockaddr *)&h->to, sizeof(h->to));
    h->used = false;
}

/* Held queries in MODE_LATE / MODE_DRAIN: see the modes above. */
static void responder_timed(struct responder *r)
{
    struct collect *c = r->c;
    uint64_t now = now_ns();
    bool stopping = r->mode == MODE_DRAIN && r->stop != 0;
    for (unsigned k = 0; k < HOLD_MAX; k++) {
        struct held *h = &r->hold[k];
        if (!h->used)
            continue;
        unsigned t = (unsigned)h->target;
        if (is_late_target(t)) {
            /* After the final timeout; in drain mode once the stop is on. */
            if (atomic_load(&c->row_seen[t]) &&
                (r->mode == MODE_LATE || (stopping && now >= r->stop_ns + 30000000ull))) {
                hold_answer(r, h);
                r->late_sent++;
            }
        } else if (r->mode == MODE_LATE) {
            if (atomic_load(&c->tick_late) >= r->late_expected)
                hold_answer(r, h); /* the keeper */
        } else if (!stopping) {
            if (now >= h->since_ns + (uint64_t)r->timeout_ms * 1000000ull / 3)
                hold_answer(r, h);
        } else if (!r->drained && now >= r->stop_ns + 30000000ull) {
            /* Held when the stop came, still pending: every other one is
             * answered during the drain, the rest never. */
            if (r->drain_role[t] == 0)
                r->drain_role[t] = (uint8_t)(r->drain_next++ % 2 + 1);
            if (r->drain_role[t] == 1)
                hold_answer(r, h);
        }
    }
    if (stopping && !r->drained && now >= r->stop_ns + 30000000ull)
        r->drained = true;
    if (r->mode == MODE_DRAIN && !stopping) {
        for (unsigned i = 0; i < NB_TARGETS; i++)
            if (is_late_target(i) && !atomic_load(&c->row_seen[i]))
                return;
        r->stop_ns = now;
        r->stop = 1;
    }
}

/* Late and drain modes: whether to hold this PTR query of target i. */
static bool responder_holds(struct responder *r, unsigned i)
{
    if (r->mode == MODE_NORMAL)
        return false;
    if (is_late_target(i))
        return true;
    if (r->mode == MODE_LATE)
        return i == keeper_target() && atomic_load(&r->c->tick_late) < r->late_expected;
    return rule_of(i) == R_NXDOMAIN && r->stop == 0;
}

static void responder_one(struct responder *r, int in_fd, int other_fd)
{
    uint8_t q[512], out[2048];
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    ssize_t len = recvfrom(in_fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
    if (len < 12)
        return;
    struct extra x;
    size_t n = answer(r, q, (size_t)len, out, &x);
    if (n == 0)
        return;
    if (x.target >= 0 && responder_holds(r, (unsigned)x.target) &&
        hold_put(r, x.target, in_fd, &from, q, (size_t)len))
        return;
    if (x.race_target >= 0) {
        unsigned rt = (unsigned)x.race_target;
        if (atomic_exchange(&r->seen[rt], 1) == 0 && len <= 256) {
            /* Hold the first query back: keep it and where it came from. */
            memcpy(r->race_q[rt], q, (size_t)len);
            r->race_len[rt] = (uint16_t)len;
            r->race_port[rt] = ntohs(from.sin_port);
            r->race_fd[rt] = in_fd;
            return;
        }
        /* The retry came: first the late answer to the first query (its
         * ID, its case, its port, from where it was asked), then the
         * answer to the retry. */
        uint8_t late[2048];
        struct extra x0;
        size_t n0 = answer(r, r->race_q[rt], r->race_len[rt], late, &x0);
        struct sockaddr_in first = from;
        first.sin_port = htons(r->race_port[rt]);
        if (n0 > 0)
            sendto(r->race_fd[rt], late, n0, 0, (struct sockaddr *)&first, fl);
    }
    uint16_t qport = ntohs(from.sin_port);
    size_t qt = off_qtype(q, (size_t)len);
    int ti = -1;
    char txt[PKT_DNS_PRESENT_MAX];
    if (qt + 1 < (size_t)len && q[qt] == 0 && q[qt + 1] == PKT_DNS_TYPE_PTR &&
        pkt_dns_name_present(q + 12, qt - 12, txt, sizeof(txt)) > 0)
        ti = target_of_rev(txt);
    /* Only a target's first query is flooded: a flood may overflow our
     * socket buffer and cost the real answer (availability, not
     * attribution); the retry must then get through. */
    if (r->flood != FLOOD_NONE && ti >= 0 && is_flooded((unsigned)ti) &&
        (r->flood == FLOOD_SAME_PORT || (r->other_port != 0 && r->other_port != qport)) &&
        atomic_exchange(&r->seen[ti], 1) == 0) {
        /* An off-path attacker who knows the server and the question
         * but not the ID: every ID, forged source = the server, a
         * lower-cased question and an answer of its choice. */
        uint8_t forged[512];
        size_t qend = qt + 4;
        memcpy(forged, q, qend);
        pkt_dns_name_lower(forged + 12, qend - 4 - 12);
        forged[2] = 0x81;
        forged[3] = 0x80;
        forged[6] = 0;
        forged[7] = 1;
        forged[8] = forged[9] = forged[10] = forged[11] = 0;
        uint8_t evil[PKT_DNS_NAME_MAX];
        int el = text_name("evil.example.net", evil);
        size_t fn = qend + put_rr(forged + qend, PKT_DNS_TYPE_PTR, evil, (uint16_t)el);
        struct sockaddr_in to = from;
        if (r->flood == FLOOD_OTHER_PORT)
            to.sin_port = htons(r->other_port);
        atomic_store(&r->flood_port[ti], ntohs(to.sin_port));
        for (unsigned id = 0; id < 65536; id++) {
            forged[0] = (uint8_t)(id >> 8);
            forged[1] = (uint8_t)id;
            sendto(in_fd, forged, fn, 0, (struct sockaddr *)&to, fl);
        }
        r->flooded++;
    } else if (ti >= 0 && atomic_load(&r->flood_port[ti]) == qport) {
        atomic_store(&r->flood_port_reused[ti], 1);
    }
    uint16_t prev_port = r->other_port;
    if (qport != r->other_port)
        r->other_port = qport;
    if (x.wrong_id_first) {
        out[0] ^= 0x5A;
        sendto(in_fd, out, n, 0, (struct sockaddr *)&from, fl);
        out[0] ^= 0x5A;
    }
    if (x.spoof_first)
        sendto(other_fd, out, n, 0, (struct sockaddr *)&from, fl);
    if (x.pre != PRE_NONE) {
        uint8_t bad[2048];
        size_t bn = 0;
        struct sockaddr_in to = from;
        if (x.pre == PRE_QUESTION) {
            bn = forge_question((unsigned)x.target, out, n, bad);
        } else if (x.pre == PRE_MALFORMED) {
            bn = forge_malformed((unsigned)x.target, out, n, bad);
        } else if (prev_port != 0 && prev_port != qport) {
            /* Right ID and source, another of our ports, naming a host
             * whose A record is elsewhere: taken, the row would be a
             * mismatch; read after the answer it is a conflict. */
            memcpy(bad, out, n);
            for (size_t k = 12; k + 2 < n; k++)
                if (bad[k] == 'h' && bad[k + 1] == '-')
                    bad[k] = 'm';
            bn = n;
            to.sin_port = htons(prev_port);
            atomic_fetch_add(&r->wrongport_sent, 1);
        }
        if (bn > 0)
            sendto(in_fd, bad, bn, 0, (struct sockaddr *)&to, fl);
    }
    for (int c = 0; c < x.copies; c++)
        sendto(in_fd, out, n, 0, (struct sockaddr *)&from, fl);
    if (x.conflict_after) {
        /* Same question and ID, another host name: "h-" becomes "x-". */
        for (size_t k = 12; k + 2 < n; k++)
            if (out[k] == 'h' && out[k + 1] == '-')
                out[k] = 'x';
        sendto(in_fd, out, n, 0, (struct sockaddr *)&from, fl);
    }
}

static void *responder_main(void *arg)
{
    struct responder *r = arg;
    while (!atomic_load(&r->quit)) {
        struct pollfd p[2] = { { .fd = r->fd, .events = POLLIN },
                               { .fd = r->fd_spoof, .events = POLLIN } };
        int k = poll(p, 2, 20);
        if (k > 0 && (p[0].revents & POLLIN))
            responder_one(r, r->fd, r->fd_spoof);
        if (k > 0 && (p[1].revents & POLLIN))
            responder_one(r, r->fd_spoof, r->fd);
        if (r->mode != MODE_NORMAL)
            responder_timed(r);
    }
    return NULL;
}

/* Bind the responder's two sockets to addr and spoof_addr (host order),
 * port chosen by the kernel for addr and the same for spoof_addr. The
 * thread starts with responder_run (after the test has set its mode). */
static bool responder_bind(struct responder *r, uint32_t addr, uint32_t spoof_addr)
{
    memset(r, 0, sizeof(*r));
    r->fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (r->fd < 0)
        return false;
    int big = 4 << 20;
    setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(addr) };
    if (bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        return false;
    socklen_t sl = sizeof(sa);
    getsockname(r->fd, (struct sockaddr *)&sa, &sl);
    r->port = ntohs(sa.sin_port);
    r->addr_be = htonl(addr);
    r->fd_spoof = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sp = { .sin_family = AF_INET,
                              .sin_port = sa.sin_port,
                              .sin_addr.s_addr = htonl(spoof_addr) };
    if (r->fd_spoof < 0 || bind(r->fd_spoof, (struct sockaddr *)&sp, sizeof(sp)) != 0)
        return false;
    setsockopt(r->fd_spoof, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    return true;
}

static bool responder_run(struct responder *r)
{
    return pthread_create(&r->th, NULL, responder_main, r) == 0;
}

static inline bool responder_start(struct responder *r)
{
    return responder_bind(r, INADDR_LOOPBACK, 0x7F000002) && responder_run(r);
}

static void responder_stop(struct responder *r)
{
    atomic_store(&r->quit, 1);
    pthread_join(r->th, NULL);
    close(r->fd);
    close(r->fd_spoof);
}

/*
 * Run the rest of this test in a network namespace of its own (root only;
 * otherwise the test stays in the host's): its loopback, its ports and its
 * ICMP rate limits are nobody else's. The kernel's global ICMP budget (1,000
 * a second, bursts of 50) is shared by everything in a namespace, and a
 * port found free may be bound by another process before it is used, so
 * tests that count port unreachables run here, with the limits lifted.
 * Each Criterion test is a process of its own: this is undone at its end.
 */
static inline void scenario_own_netns(void)
{
    if (geteuid() != 0)
        return;
    if (unshare(CLONE_NEWNET) != 0 || system("ip link set lo up") != 0) {
        fprintf(stderr, "scenario: no namespace of our own (%s); staying in the host's\n",
                strerror(errno));
        return;
    }
    FILE *f = fopen("/proc/sys/net/ipv4/icmp_ratemask", "w");
    if (f != NULL) {
        fputs("0\n", f);
        fclose(f);
    }
    f = fopen("/proc/sys/net/ipv6/icmp/ratemask", "w");
    if (f != NULL) {
        fputs("\n", f);
        fclose(f);
    }
}

/* ---- hooks ------------------------------------------------------------------ */

static int checkpoint(void *ctx, const uint64_t *next, const uint64_t *pending, size_t nb_pending,
                      unsigned nb)
{
    struct collect *c = ctx;
    c->checkpoints++;
    /* Resuming relies on: a target has its row written exactly when it is
     * below its worker's bound and not pending. */
    static uint8_t pend[NB_TARGETS];
    memset(pend, 0, sizeof(pend));
    for (size_t k = 0; k < nb_pending; k++)
        if ((pending[k] & 0xFFFFFFFFFFFFFFull) < NB_TARGETS)
            pend[pending[k] & 0xFFFFFFFFFFFFFFull] = 1;
    for (unsigned i = 0; i < NB_TARGETS; i++) {
        unsigned q = atomic_load(&c->q_of[i]);
        bool done = q > 0 && q - 1 < nb && i < next[q - 1] && !pend[i];
        if (done != (c->rows[i] > 0) && c->ck_violations++ < 5)
            fprintf(stderr, "checkpoint %u: target %u done %d, rows %u\n", c->checkpoints, i, done,
                    c->rows[i]);
    }
    for (unsigned q = 0; q < nb && q < 4; q++)
        c->ck_next[q] = next[q];
    c->ck_nb_pending = nb_pending < NB_TARGETS ? nb_pending : NB_TARGETS;
    memcpy(c->ck_pending, pending, c->ck_nb_pending * sizeof(pending[0]));
    return 0;
}

/* One shared counter: safe for any number of TX workers (q unused); a
 * target's position is its index (ascending for each worker). */
static bool next_target(void *ctx, unsigned q, struct pkt_addr *out, uint64_t *pos)
{
    (void)q;
    struct collect *c = ctx;
    unsigned i = atomic_fetch_add(&c->next, 1);
    if (i >= (c->limit > 0 ? c->limit : NB_TARGETS))
        return false;
    *pos = i;
    atomic_store(&c->q_of[i], (uint8_t)(q + 1));
    memset(out, 0, sizeof(*out));
    out->family = PKT_ADDR_V4;
    out->bytes[0] = 10;
    out->bytes[2] = (uint8_t)(i / 256);
    out->bytes[3] = (uint8_t)(i % 256);
    return true;
}

static uint32_t classify(void *ctx, const uint8_t *wire, size_t len, const struct pkt_addr *t,
                         bool *unusable)
{
    (void)ctx;
    (void)wire;
    (void)len;
    (void)t;
    *unusable = false;
    return 0;
}

/* Whether the 8 octets of v (either byte order) occur in p[0..len). */
static bool has_u64(const void *p, size_t len, uint64_t v)
{
    uint8_t le[8], be[8];
    for (unsigned k = 0; k < 8; k++) {
        le[k] = (uint8_t)(v >> (8 * k));
        be[7 - k] = le[k];
    }
    return memmem(p, len, le, 8) != NULL || memmem(p, len, be, 8) != NULL;
}

static int format(void *ctx, const struct stats_record *r, char *buf, size_t cap)
{
    struct collect *c = ctx;
    if (c->key.k0 != 0 && (has_u64(r, sizeof(*r), c->key.k0) || has_u64(r, sizeof(*r), c->key.k1)))
        __atomic_fetch_add(&c->key_in_record, 1, __ATOMIC_RELAXED);
    unsigned i = r->ip.bytes[2] * 256u + r->ip.bytes[3];
    return snprintf(buf, cap, "%u %u %u %u\n", i, r->verdict, r->nb_names, r->reason);
}

static int write_lines(void *ctx, const char *buf, size_t len)
{
    struct collect *c = ctx;
    const char *p = buf, *end = buf + len;
    while (p < end) {
        unsigned i, v, nn, rs;
        if (sscanf(p, "%u %u %u %u", &i, &v, &nn, &rs) != 4 || i >= NB_TARGETS) {
            c->bad_lines++;
        } else {
            c->rows[i]++;
            c->verdict[i] = (uint8_t)v;
            c->nb_names[i] = (uint8_t)nn;
            c->reason[i] = (uint8_t)rs;
            atomic_store(&c->row_seen[i], 1);
        }
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl != NULL ? nl + 1 : end;
    }
    return 0;
}

static void tick(void *ctx, uint64_t now, const struct stats_counters *sum)
{
    (void)now;
    struct collect *c = ctx;
    atomic_store(&c->tick_late, sum->dropped[STATS_DROP_LATE]);
}

static void config(struct scan_config *cfg, struct collect *c, uint16_t port, unsigned window)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->resolvers[0].addr.family = PKT_ADDR_V4;
    cfg->resolvers[0].addr.bytes[0] = 127;
    cfg->resolvers[0].addr.bytes[3] = 1;
    cfg->resolvers[0].port = port;
    cfg->nb_resolvers = 1;
    cfg->rate = 50000;
    cfg->timeout_ms = 600; /* a loaded machine still answers within one */
    cfg->retries = 4;
    cfg->max_ptr = 16;
    cfg->rd = true;
    cfg->window = window;
    cfg->fwd_cap = 256;
    cfg->key = (struct scan_key){ 0x0123456789abcdefull, 0xfedcba9876543210ull };
    c->key = cfg->key;
    cfg->engine_ops = &pkt_engine_socket;
    cfg->engine_cfg = (struct pkt_engine_config){ .nb_ports = 64, .want_v4 = true };
    cfg->line_max = 256;
    cfg->hooks = (struct scan_hooks){ .ctx = c,
                                      .next_target = next_target,
                                      .classify = classify,
                                      .format = format,
                                      .write = write_lines,
                                      .tick = tick,
                                      .checkpoint = checkpoint };
    cfg->checkpoint_ms = 300; /* every one is checked against the rows written */
}

/* Open cfg's engine as configured, run the scan, close the engine: what
 * the CLI does around scan_run. Returns scan_run's result (or the open's). */
static int scenario_run(struct scan_config *cfg, struct scan_result *res)
{
    memset(res, 0, sizeof(*res));
    struct pkt_engine *e = NULL;
    int rc = cfg->engine_ops->open(&cfg->engine_cfg, &e, res->error, sizeof(res->error));
    if (rc != 0)
        return rc;
    cfg->engine = e;
    rc = scan_run(cfg, res);
    cfg->engine_ops->close(e);
    cfg->engine = NULL;
    return rc;
}

/* Targets without exactly one row with the rule's verdict and reason
 * (logged to stderr). */
static unsigned scenario_wrong_rows(const struct collect *c, bool all_rows)
{
    unsigned wrong = 0;
    for (unsigned i = 0; i < NB_TARGETS; i++) {
        unsigned rule = rule_of(i);
        bool ok = c->rows[i] == 1 ? c->verdict[i] == expected_verdict[rule] &&
                                        c->reason[i] == expected_reason(rule)
                                  : (!all_rows && c->rows[i] == 0);
        if (!ok && wrong++ < 10)
            fprintf(stderr, "target %u (rule %u): %u rows, verdict %u reason %u, want %u %u\n", i,
                    rule, c->rows[i], c->verdict[i], c->reason[i], expected_verdict[rule],
                    expected_reason(rule));
    }
    return wrong;
}

#endif
