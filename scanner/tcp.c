/*
 * scanner/tcp.c - the TCP fallback (RFC 7766): truncated answers asked
 * again over kernel TCP sockets, in every engine.
 *
 * RX hands a truncated answer's query over (scan_tcp_queue) by moving its state
 * word to SCAN_Q_TCP: from then on only this worker may end it. The query
 * goes out with the same ID and case as the UDP attempt it continues, to
 * the same resolver; the answer is applied like a UDP one (scan_lookup_answer),
 * and a failure ends the lookup as tempfail/other with the truncated flag.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "scanner/scan_internal.h"

/* A worker thread: no stdio (messages go through scan_notices). */
#pragma GCC poison fprintf printf fputs puts perror

void scan_tcp_queue(struct scan *s, uint32_t ref, uint32_t tcp_state, unsigned attempt, int ri,
                    const struct pkt_dns_reply *r)
{
    const struct scan_lookup *l = scan_lookup_of(s, ref);
    uint32_t slot;
    while (!scan_idxq_pop(&s->tcpjob_free, &slot)) {
        if (atomic_load(&s->fatal))
            return;
        sched_yield();
    }
    struct tcpjob *j = &s->tcpjobs[slot];
    j->ref = ref;
    j->state = tcp_state;
    j->attempt = attempt;
    j->resolver = (unsigned)ri;
    j->qtype = r->qtype;
    j->id = r->id;
    j->qname_len = l->qname_len;
    memcpy(j->qname, l->qname, l->qname_len);
    while (!scan_idxq_push(&s->tcpjob_q, slot))
        sched_yield();
}

static int tcp_io(int fd, bool out, uint8_t *buf, size_t len, uint64_t deadline_ns)
{
    size_t off = 0;
    while (off < len) {
        uint64_t now = mono_ns();
        if (now >= deadline_ns)
            return -ETIMEDOUT;
        struct pollfd p = { .fd = fd, .events = out ? POLLOUT : POLLIN };
        int pr = poll(&p, 1, (int)((deadline_ns - now) / 1000000 + 1));
        if (pr <= 0)
            continue;
        ssize_t k =
            out ? send(fd, buf + off, len - off, MSG_NOSIGNAL) : recv(fd, buf + off, len - off, 0);
        if (k == 0)
            return -ECONNRESET;
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return -errno;
        }
        off += (size_t)k;
    }
    return 0;
}

/* One query over TCP; returns the reply length in buf or a negative errno. */
static int tcp_query(const struct scan_resolver *res, const uint8_t *q, size_t qlen, uint8_t *buf,
                     size_t cap, unsigned timeout_ms)
{
    struct sockaddr_storage ss;
    socklen_t sl = pkt_addr_to_sockaddr(&res->addr, res->port, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    uint64_t deadline = mono_ns() + (uint64_t)timeout_ms * 1000000ull;
    int rc = 0;
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) {
        rc = -errno;
        goto out;
    }
    uint8_t msg[2 + PKT_DNS_QUERY_MAX];
    msg[0] = (uint8_t)(qlen >> 8);
    msg[1] = (uint8_t)qlen;
    memcpy(msg + 2, q, qlen);
    rc = tcp_io(fd, true, msg, qlen + 2, deadline);
    if (rc == 0) {
        uint8_t lenb[2];
        rc = tcp_io(fd, false, lenb, 2, deadline);
        size_t rlen = (size_t)lenb[0] << 8 | lenb[1];
        if (rc == 0 && rlen > cap)
            rc = -EMSGSIZE;
        if (rc == 0)
            rc = tcp_io(fd, false, buf, rlen, deadline);
        if (rc == 0)
            rc = (int)rlen;
    }
out:;
    /* Close with a reset: a clean close leaves the connection in TIME_WAIT
     * on our side for a minute, and thousands of truncated answers a
     * minute to one resolver then exhaust the ephemeral ports, each
     * connect() searching longer for a free one (measured: the TCP worker
     * went from 4 % to 85 % of a core by the third /12 benchmark run). The
     * answer has been read (or given up on) by now. */
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
    return rc;
}

void *scan_tcp_main(void *arg)
{
    struct worker *w = arg;
    struct scan *s = w->s;
    const struct scan_config *cfg = s->cfg;
    uint8_t *buf = malloc(65535);
    struct pkt_dns_reply *r = malloc(sizeof(*r));
    if (buf == NULL || r == NULL) {
        scan_set_fatal(s, "out of memory (TCP worker)");
        free(buf);
        free(r);
        return NULL;
    }
    long idle_ns = 1000000;
    while (!atomic_load(&s->all_done) && !atomic_load(&s->fatal)) {
        uint32_t slot;
        if (!scan_idxq_pop(&s->tcpjob_q, &slot)) {
            /* Truncated answers are rare: back off to 16 ms while idle. */
            struct timespec ts = { 0, idle_ns };
            nanosleep(&ts, NULL);
            if (idle_ns < 16000000)
                idle_ns *= 2;
            continue;
        }
        idle_ns = 1000000;
        struct tcpjob j = s->tcpjobs[slot];
        scan_idxq_push(&s->tcpjob_free, slot);
        /* Same ID and case as the UDP attempt it continues. */
        struct ident id;
        scan_ident_make(s, j.qtype, j.attempt, j.qname, j.qname_len, &id);
        uint8_t name[PKT_DNS_NAME_MAX];
        memcpy(name, j.qname, j.qname_len);
        if (scan_use_0x20(s, j.resolver))
            pkt_dns_name_case20(name, j.qname_len, id.case_bits);
        uint8_t q[PKT_DNS_QUERY_MAX];
        struct pkt_dns_query qs = { .qname = name,
                                    .qname_len = j.qname_len,
                                    .qtype = j.qtype,
                                    .id = j.id,
                                    .rd = cfg->rd,
                                    .edns = true };
        int qlen = pkt_dns_query_build(q, sizeof(q), &qs);
        int len = qlen > 0 ? tcp_query(&cfg->resolvers[j.resolver], q, (size_t)qlen, buf, 65535,
                                       scan_attempt_timeout_ms(cfg->timeout_ms, j.attempt))
                           : -EINVAL;
        cnt_add(&w->c.sent, 1);
        cnt_add(&w->c.tcp, 1);
        w->now_ns = mono_ns();
        w->wall_ms = wall_ms();
        scan_epoch_enter(&s->epoch, w->id);
        bool ok = false;
        if (len > 0) {
            cnt_add(&w->c.received, 1);
            int rc = pkt_dns_reply_parse(buf, (size_t)len, r);
            if (rc < 0) {
                cnt_add(&w->c.dropped[stats_drop_from_dns(rc)], 1);
            } else if (r->id != j.id || r->qtype != j.qtype ||
                       !pkt_dns_name_equal(r->qname.wire, r->qname.len, j.qname, j.qname_len)) {
                cnt_add(&w->c.dropped[STATS_DROP_QUESTION], 1);
            } else if (!r->tc) {
                /* The answer needed TCP: scan_lookup_answer() sets the truncated flag. */
                scan_lookup_answer(s, w, j.ref, 0, r, (int)j.resolver, 0, true, j.state, j.attempt);
                ok = true;
            }
        }
        if (!ok) {
            /* TCP failed: the lookup ends as a temporary failure. */
            _Atomic uint32_t *stp = &scan_lookup_of(s, j.ref)->state;
            uint32_t st = j.state;
            if (atomic_compare_exchange_strong(stp, &st,
                                               scan_qs_make(scan_qs_gen(st), SCAN_Q_DONE))) {
                struct scan_ended e = { .outcome = SCAN_OUTCOME_TEMP,
                                        .reason = STATS_REASON_OTHER,
                                        .phase2 = (j.state & SCAN_Q_PHASE2) != 0,
                                        .truncated = true,
                                        .rcode = -1 };
                scan_lookup_end(s, w, j.ref, &e);
            }
        }
        scan_epoch_exit(&s->epoch, w->id);
        scan_reclaim(s, w);
    }
    free(buf);
    free(r);
    return NULL;
}
