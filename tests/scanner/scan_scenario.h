/*
 * Shared by test_scan.c (Criterion) and stress_scan.c (plain, for the
 * ThreadSanitizer build, where Criterion's process arena cannot run).
 *
 * The scan end to end on loopback against a small responder thread whose
 * answer to every address follows a rule, so every row can be checked.
 * The responder also misbehaves on purpose: it drops first attempts, sends
 * answers twice, sends answers with a wrong ID first (M01, M08, M10), and a
 * small window forces slot recycling and back-pressure. Run under
 * ThreadSanitizer in CI (suite "tsan").
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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
    R_COUNT
};

static uint8_t expected_verdict[R_COUNT] = {
    STATS_VERDICT_NO_PTR,   STATS_VERDICT_PASS,       STATS_VERDICT_PASS,
    STATS_VERDICT_MISMATCH, STATS_VERDICT_PTR_NODATA, STATS_VERDICT_TEMPFAIL,
    STATS_VERDICT_PASS,     STATS_VERDICT_PASS,       STATS_VERDICT_PASS,
    STATS_VERDICT_PASS,     STATS_VERDICT_MISMATCH,   STATS_VERDICT_PASS,
};

enum { FLOOD_NONE, FLOOD_OTHER_PORT, FLOOD_SAME_PORT };

/* A few plain "pass" targets get flooded (M06). */
static bool is_flooded(unsigned i)
{
    return i % R_COUNT == R_PASS && (i / R_COUNT) % 32 == 0;
}

static inline unsigned rule_count(unsigned rule)
{
    return NB_TARGETS / R_COUNT + (rule < NB_TARGETS % R_COUNT ? 1u : 0u);
}

static enum rule rule_of(unsigned i)
{
    return (enum rule)(i % R_COUNT);
}

/* ---- responder ------------------------------------------------------------ */

struct responder {
    int fd;
    int fd_spoof;                    /* 127.0.0.2, same port: a source we never queried */
    bool lower_question;             /* answer with the question lower-cased (no 0x20) */
    int flood;                       /* M06: FLOOD_* before the real answer of flooded targets */
    uint16_t other_port;             /* a port of ours seen on another query */
    unsigned flooded;                /* targets flooded */
    uint8_t race_q[NB_TARGETS][256]; /* R_RACE: the first query, held back ... */
    uint16_t race_len[NB_TARGETS];
    uint16_t race_port[NB_TARGETS]; /* ... and its port, answered after the retry */
    uint16_t port;
    _Atomic int quit;
    _Atomic uint8_t seen[NB_TARGETS];
    pthread_t th;
};

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

struct extra {
    int race_target;     /* >= 0: first answer the held-back first query of this target */
    int copies;          /* send the answer this often */
    bool wrong_id_first; /* a copy with another ID first */
    bool spoof_first;    /* a copy from 127.0.0.2 first */
    bool conflict_after; /* then an answer naming another host */
};

static size_t answer(struct responder *r, uint8_t *q, size_t qlen, uint8_t *out, struct extra *x)
{
    memset(x, 0, sizeof(*x));
    x->race_target = -1;
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

static void *responder_main(void *arg)
{
    struct responder *r = arg;
    uint8_t q[512], out[2048];
    while (!atomic_load(&r->quit)) {
        struct pollfd p = { .fd = r->fd, .events = POLLIN };
        if (poll(&p, 1, 20) <= 0)
            continue;
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t len = recvfrom(r->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
        if (len < 12)
            continue;
        struct extra x;
        size_t n = answer(r, q, (size_t)len, out, &x);
        if (n == 0)
            continue;
        if (x.race_target >= 0) {
            unsigned rt = (unsigned)x.race_target;
            if (atomic_exchange(&r->seen[rt], 1) == 0 && len <= 256) {
                /* Hold the first query back: keep it and where it came from. */
                memcpy(r->race_q[rt], q, (size_t)len);
                r->race_len[rt] = (uint16_t)len;
                r->race_port[rt] = ntohs(from.sin_port);
                continue;
            }
            /* The retry came: first the late answer to the first query (its
             * ID, its case, its port), then the answer to the retry. */
            uint8_t late[2048];
            struct extra x0;
            size_t n0 = answer(r, r->race_q[rt], r->race_len[rt], late, &x0);
            struct sockaddr_in first = from;
            first.sin_port = htons(r->race_port[rt]);
            if (n0 > 0)
                sendto(r->fd, late, n0, 0, (struct sockaddr *)&first, fl);
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
            for (unsigned id = 0; id < 65536; id++) {
                forged[0] = (uint8_t)(id >> 8);
                forged[1] = (uint8_t)id;
                sendto(r->fd, forged, fn, 0, (struct sockaddr *)&to, fl);
            }
            r->flooded++;
        }
        if (qport != r->other_port)
            r->other_port = qport;
        if (x.wrong_id_first) {
            out[0] ^= 0x5A;
            sendto(r->fd, out, n, 0, (struct sockaddr *)&from, fl);
            out[0] ^= 0x5A;
        }
        if (x.spoof_first)
            sendto(r->fd_spoof, out, n, 0, (struct sockaddr *)&from, fl);
        for (int c = 0; c < x.copies; c++)
            sendto(r->fd, out, n, 0, (struct sockaddr *)&from, fl);
        if (x.conflict_after) {
            /* Same question and ID, another host name: "h-" becomes "x-". */
            for (size_t k = 12; k + 2 < n; k++)
                if (out[k] == 'h' && out[k + 1] == '-')
                    out[k] = 'x';
            sendto(r->fd, out, n, 0, (struct sockaddr *)&from, fl);
        }
    }
    return NULL;
}

static bool responder_start(struct responder *r)
{
    memset(r, 0, sizeof(*r));
    r->fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (r->fd < 0)
        return false;
    int big = 4 << 20;
    setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        return false;
    socklen_t sl = sizeof(sa);
    getsockname(r->fd, (struct sockaddr *)&sa, &sl);
    r->port = ntohs(sa.sin_port);
    r->fd_spoof = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sp = { .sin_family = AF_INET,
                              .sin_port = sa.sin_port,
                              .sin_addr.s_addr = htonl(0x7F000002) };
    if (r->fd_spoof < 0 || bind(r->fd_spoof, (struct sockaddr *)&sp, sizeof(sp)) != 0)
        return false;
    return pthread_create(&r->th, NULL, responder_main, r) == 0;
}

static void responder_stop(struct responder *r)
{
    atomic_store(&r->quit, 1);
    pthread_join(r->th, NULL);
    close(r->fd);
    close(r->fd_spoof);
}

/* ---- hooks ------------------------------------------------------------------ */

struct collect {
    _Atomic unsigned next;
    unsigned rows[NB_TARGETS];
    uint8_t verdict[NB_TARGETS];
    uint8_t nb_names[NB_TARGETS];
    unsigned bad_lines;
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
    if (i >= NB_TARGETS)
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

static int format(void *ctx, const struct stats_record *r, char *buf, size_t cap)
{
    (void)ctx;
    unsigned i = r->ip.bytes[2] * 256u + r->ip.bytes[3];
    return snprintf(buf, cap, "%u %u %u\n", i, r->verdict, r->nb_names);
}

static int write_lines(void *ctx, const char *buf, size_t len)
{
    struct collect *c = ctx;
    const char *p = buf, *end = buf + len;
    while (p < end) {
        unsigned i, v, nn;
        if (sscanf(p, "%u %u %u", &i, &v, &nn) != 3 || i >= NB_TARGETS) {
            c->bad_lines++;
        } else {
            c->rows[i]++;
            c->verdict[i] = (uint8_t)v;
            c->nb_names[i] = (uint8_t)nn;
        }
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl != NULL ? nl + 1 : end;
    }
    return 0;
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
    cfg->timeout_ms = 250;
    cfg->retries = 4;
    cfg->max_ptr = 16;
    cfg->rd = true;
    cfg->window = window;
    cfg->fwd_cap = 256;
    cfg->key = (struct scan_key){ 0x0123456789abcdefull, 0xfedcba9876543210ull };
    cfg->engine_ops = &pkt_engine_socket;
    cfg->engine_cfg = (struct pkt_engine_config){ .nb_ports = 64, .want_v4 = true };
    cfg->line_max = 256;
    cfg->hooks = (struct scan_hooks){ .ctx = c,
                                      .next_target = next_target,
                                      .classify = classify,
                                      .format = format,
                                      .write = write_lines,
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

/* Targets without exactly one row with the rule's verdict (logged to stderr). */
static unsigned scenario_wrong_rows(const struct collect *c, bool all_rows)
{
    unsigned wrong = 0;
    for (unsigned i = 0; i < NB_TARGETS; i++) {
        bool ok = c->rows[i] == 1 ? c->verdict[i] == expected_verdict[rule_of(i)]
                                  : (!all_rows && c->rows[i] == 0);
        if (!ok && wrong++ < 10)
            fprintf(stderr, "target %u (rule %u): %u rows, verdict %u, want %u\n", i, rule_of(i),
                    c->rows[i], c->verdict[i], expected_verdict[rule_of(i)]);
    }
    return wrong;
}

#endif
