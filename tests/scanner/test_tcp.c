/*
 * Criterion suite for the TCP fallback (scanner/tcp.c) inside a whole scan
 * on loopback: a resolver whose UDP side answers at once (NXDOMAIN, or an
 * empty truncated answer for most targets) and whose TCP side accepts
 * connections and never answers.
 *
 * What must hold: reception never waits for TCP. Every UDP answer is taken
 * on its first attempt (no retries) while the TCP fallback is saturated;
 * each truncated lookup ends as tempfail/other with the truncated flag,
 * either after its connection's timeout or at once when every TCP job slot
 * is taken (counted as tcp_full); nothing else.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
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

#define NB   2048u /* targets 10.1.0.0 .. 10.1.7.255 */
#define TCS  1280u /* of them truncated: far more than the job slots below */
#define JOBS 64u

static bool is_tc(unsigned i)
{
    return i % 8 < 5;
}

struct server {
    int udp, tcp;
    uint16_t port;
    _Atomic int quit;
    int held[4096];
    unsigned nb_held;
    pthread_t th;
};

static void *server_main(void *arg)
{
    struct server *sv = arg;
    uint8_t q[512], out[512];
    while (!atomic_load(&sv->quit)) {
        struct pollfd p[2] = { { .fd = sv->udp, .events = POLLIN },
                               { .fd = sv->tcp, .events = POLLIN } };
        if (poll(p, 2, 20) <= 0)
            continue;
        if (p[1].revents & POLLIN) {
            /* Accept and hold: the connection is up, the answer never comes. */
            int c = accept(sv->tcp, NULL, NULL);
            if (c >= 0 && sv->nb_held < 4096)
                sv->held[sv->nb_held++] = c;
            else if (c >= 0)
                close(c);
        }
        if (!(p[0].revents & POLLIN))
            continue;
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(sv->udp, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
        if (n < 17)
            continue;
        size_t off = 12;
        while (off < (size_t)n && q[off] != 0)
            off += q[off] + 1u;
        if (off + 5 > (size_t)n)
            continue;
        char txt[PKT_DNS_PRESENT_MAX];
        unsigned a, b, c, d;
        if (pkt_dns_name_present(q + 12, off + 1 - 12, txt, sizeof(txt)) < 0 ||
            sscanf(txt, "%u.%u.%u.%u.in-addr.arpa", &d, &c, &b, &a) != 4)
            continue;
        unsigned i = c * 256 + d;
        memcpy(out, q, off + 5);
        out[2] = (uint8_t)(0x80 | (q[2] & 0x01) | (is_tc(i) ? 0x02 : 0)); /* QR, TC, RD */
        out[3] = (uint8_t)(0x80 | (is_tc(i) ? 0 : PKT_DNS_RCODE_NXDOMAIN));
        memset(out + 6, 0, 6);
        sendto(sv->udp, out, off + 5, 0, (struct sockaddr *)&from, fl);
    }
    return NULL;
}

static void server_start(struct server *sv)
{
    memset(sv, 0, sizeof(*sv));
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7F000001) };
    sv->udp = socket(AF_INET, SOCK_DGRAM, 0);
    cr_assert(sv->udp >= 0 && bind(sv->udp, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    socklen_t sl = sizeof(sa);
    cr_assert(getsockname(sv->udp, (struct sockaddr *)&sa, &sl) == 0);
    sv->port = ntohs(sa.sin_port);
    int big = 4 << 20;
    setsockopt(sv->udp, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    sv->tcp = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(sv->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    cr_assert(sv->tcp >= 0 && bind(sv->tcp, (struct sockaddr *)&sa, sizeof(sa)) == 0,
              "TCP on the UDP port");
    cr_assert(listen(sv->tcp, 4096) == 0);
    cr_assert(pthread_create(&sv->th, NULL, server_main, sv) == 0);
}

static void server_stop(struct server *sv)
{
    atomic_store(&sv->quit, 1);
    pthread_join(sv->th, NULL);
    for (unsigned k = 0; k < sv->nb_held; k++)
        close(sv->held[k]);
    close(sv->udp);
    close(sv->tcp);
}

struct rows {
    _Atomic unsigned next;
    unsigned n[NB];
    unsigned verdict[NB], reason[NB], queries[NB], truncated[NB];
    unsigned bad;
};

static bool next_target(void *ctx, unsigned q, struct pkt_addr *out, uint64_t *pos)
{
    (void)q;
    struct rows *r = ctx;
    unsigned i = atomic_fetch_add(&r->next, 1);
    if (i >= NB)
        return false;
    *pos = i;
    memset(out, 0, sizeof(*out));
    out->family = PKT_ADDR_V4;
    out->bytes[0] = 10;
    out->bytes[1] = 1;
    out->bytes[2] = (uint8_t)(i / 256);
    out->bytes[3] = (uint8_t)(i % 256);
    return true;
}

static uint32_t classify(void *ctx, const uint8_t *w, size_t len, const struct pkt_addr *t,
                         bool *unusable)
{
    (void)ctx, (void)w, (void)len, (void)t;
    *unusable = false;
    return 0;
}

static int format(void *ctx, const struct stats_record *r, char *buf, size_t cap)
{
    (void)ctx;
    return snprintf(buf, cap, "%u %u %u %u %u\n", r->ip.bytes[2] * 256u + r->ip.bytes[3],
                    r->verdict, r->reason, r->queries, (r->flags & STATS_FLAG_TRUNCATED) ? 1u : 0u);
}

static int write_lines(void *ctx, const char *buf, size_t len)
{
    struct rows *r = ctx;
    for (const char *p = buf, *end = buf + len; p < end;) {
        unsigned i, v, rs, q, t;
        if (sscanf(p, "%u %u %u %u %u", &i, &v, &rs, &q, &t) != 5 || i >= NB) {
            r->bad++;
        } else {
            r->n[i]++;
            r->verdict[i] = v;
            r->reason[i] = rs;
            r->queries[i] = q;
            r->truncated[i] = t;
        }
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl != NULL ? nl + 1 : end;
    }
    return 0;
}

Test(scan_tcp, a_silent_tcp_server_never_holds_up_udp_answers, .timeout = 240)
{
    static struct server sv;
    static struct rows rows;
    static struct scan_config cfg;
    static struct scan_result res;
    server_start(&sv);
    memset(&rows, 0, sizeof(rows));
    memset(&cfg, 0, sizeof(cfg));
    cfg.resolvers[0].addr.family = PKT_ADDR_V4;
    cfg.resolvers[0].addr.bytes[0] = 127;
    cfg.resolvers[0].addr.bytes[3] = 1;
    cfg.resolvers[0].port = sv.port;
    cfg.nb_resolvers = 1;
    cfg.rate = 50000;
    /* Long enough for a loaded machine's UDP answers; also each TCP
     * connection's limit. 64 job slots, all connected at once: one round
     * of silent connections, the rest find every slot taken. A reception
     * that waited for TCP would wait for that round, its UDP answers would
     * time out and be asked again. */
    cfg.timeout_ms = 1000;
    cfg.tcp_jobs = JOBS;
    cfg.tcp_conns = JOBS;
    cfg.tcp_per_server = JOBS;
    cfg.retries = 1;
    cfg.max_ptr = 16;
    cfg.rd = true;
    cfg.window = NB;
    cfg.fwd_cap = 2 * NB;
    cfg.key = (struct scan_key){ 0x1111, 0x2222 };
    cfg.engine_ops = &pkt_engine_socket;
    cfg.engine_cfg =
        (struct pkt_engine_config){ .nb_ports = 64, .want_v4 = true, .rcvbuf_len = 4u << 20 };
    cfg.line_max = 256;
    cfg.hooks = (struct scan_hooks){ .ctx = &rows,
                                     .next_target = next_target,
                                     .classify = classify,
                                     .format = format,
                                     .write = write_lines };
    struct pkt_engine *e = NULL;
    cr_assert_eq(pkt_engine_socket.open(&cfg.engine_cfg, &e, res.error, sizeof(res.error)), 0, "%s",
                 res.error);
    cfg.engine = e;
    int rc = scan_run(&cfg, &res);
    pkt_engine_socket.close(e);
    server_stop(&sv);
    cr_assert_eq(rc, 0, "scan_run: %s", res.error);
    cr_assert_eq(rows.bad, 0);
    unsigned wrong = 0, tc = 0;
    for (unsigned i = 0; i < NB; i++) {
        bool ok;
        if (is_tc(i)) {
            tc++;
            ok = rows.n[i] == 1 && rows.verdict[i] == STATS_VERDICT_TEMPFAIL &&
                 rows.reason[i] == STATS_REASON_OTHER && rows.truncated[i] == 1;
        } else {
            /* Taken on the first attempt: RX kept reading while TCP was full. */
            ok = rows.n[i] == 1 && rows.verdict[i] == STATS_VERDICT_NO_PTR && rows.queries[i] == 1;
        }
        if (!ok && wrong++ < 10)
            fprintf(stderr, "target %u (%s): %u rows, verdict %u, reason %u, queries %u\n", i,
                    is_tc(i) ? "truncated" : "udp", rows.n[i], rows.verdict[i], rows.reason[i],
                    rows.queries[i]);
    }
    cr_assert_eq(tc, TCS);
    cr_assert_eq(wrong, 0, "%u targets with the wrong row", wrong);
    /* Every truncated lookup went to TCP once, or found every slot taken. */
    cr_assert_eq(res.totals.tcp + res.totals.tcp_full, TCS, "tcp %llu + tcp_full %llu",
                 (unsigned long long)res.totals.tcp, (unsigned long long)res.totals.tcp_full);
    cr_assert_gt(res.totals.tcp_full, 0, "more truncated answers than job slots: some were full");
    cr_assert_eq(res.totals.retried, 0);
}
