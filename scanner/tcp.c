/*
 * scanner/tcp.c - the TCP fallback (RFC 7766): truncated answers asked
 * again over kernel TCP sockets, in every engine.
 *
 * RX hands a truncated answer's query over (scan_tcp_queue) by moving its
 * state word to SCAN_Q_TCP: from then on only this worker may end it. The
 * query goes out with the same ID and case as the UDP attempt it continues,
 * to the same resolver; the answer is applied like a UDP one
 * (scan_lookup_answer), and a failure ends the lookup as tempfail/other
 * with the truncated flag.
 *
 * The worker drives many connections at once with poll(), non-blocking
 * throughout: at most tcp_conns in all and tcp_per_server per resolver (a
 * resolver's TCP service is small: Unbound accepts 10 per thread by
 * default), each bounded by its attempt's timeout. Jobs wait in a FIFO for
 * a connection; when every job slot is taken, RX ends the lookup at once
 * (tempfail/other, counted as tcp_full) instead of waiting: one slow or
 * silent TCP server never holds up reception.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "scanner/scan_internal.h"

/* A worker thread: no stdio (messages go through scan_notices). */
#pragma GCC poison fprintf printf fputs puts perror

#define TCP_MSG_MAX 65535u

/* End the TCP-owned lookup of job state st as a temporary failure (abort:
 * cut short, no record). RX (tcp_full) and the TCP worker. */
static void tcp_fail(struct scan *s, struct worker *w, uint32_t ref, uint32_t st, bool abort)
{
    _Atomic uint32_t *stp = &scan_lookup_of(s, ref)->state;
    uint32_t want = st;
    if (!atomic_compare_exchange_strong(stp, &want, scan_qs_make(scan_qs_gen(st), SCAN_Q_DONE)))
        return;
    struct scan_ended e = { .outcome = abort ? OUTCOME_ABORT : SCAN_OUTCOME_TEMP,
                            .reason = STATS_REASON_OTHER,
                            .phase2 = (st & SCAN_Q_PHASE2) != 0,
                            .truncated = true,
                            .rcode = -1 };
    scan_lookup_end(s, w, ref, &e);
}

void scan_tcp_queue(struct scan *s, struct worker *w, uint32_t ref, uint32_t tcp_state,
                    unsigned attempt, int ri, const struct pkt_dns_reply *r)
{
    const struct scan_lookup *l = scan_lookup_of(s, ref);
    uint32_t slot;
    if (!scan_idxq_pop(&s->tcpjob_free, &slot)) {
        /* Every job slot is taken: RX does not wait for one. */
        cnt_add(&w->c.tcp_full, 1);
        tcp_fail(s, w, ref, tcp_state, false);
        return;
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
    /* The queue has room for every slot: this cannot fail. */
    (void)scan_idxq_push(&s->tcpjob_q, slot);
}

enum conn_phase { CONN_FREE, CONN_CONNECTING, CONN_SENDING, CONN_READ_LEN, CONN_READ_BODY };

struct tcpconn {
    int fd;
    uint8_t phase; /* enum conn_phase */
    uint32_t job;  /* slot in s->tcpjobs */
    uint64_t deadline_ns;
    size_t off;  /* octets sent or read in this phase */
    size_t want; /* octets to send or read in this phase */
    uint8_t len[2];
    uint8_t msg[2 + PKT_DNS_QUERY_MAX];
    uint8_t *buf; /* TCP_MSG_MAX octets */
};

struct tcpctx {
    struct scan *s;
    struct worker *w;
    struct tcpconn *conns;
    struct pollfd *pfd;
    unsigned *pfd_conn;
    unsigned nb_conns; /* capacity */
    unsigned active;   /* connections in use */
    unsigned per_server[SCAN_RESOLVERS_MAX];
    uint32_t *waiting; /* FIFO of job slots without a connection */
    size_t wait_head, wait_tail, wait_cap;
    struct pkt_dns_reply *reply;
};

/* Close c with a reset: a clean close leaves the connection in TIME_WAIT on
 * our side for a minute, and thousands of truncated answers a minute to one
 * resolver then exhaust the ephemeral ports, each connect() searching longer
 * for a free one (measured: the TCP worker went from 4 % to 85 % of a core
 * by the third /12 benchmark run). The answer has been read (or given up
 * on) by now. Releases the job slot. */
static void conn_close(struct tcpctx *t, struct tcpconn *c)
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    (void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(c->fd);
    c->fd = -1;
    c->phase = CONN_FREE;
    t->per_server[t->s->tcpjobs[c->job].resolver]--;
    t->active--;
    scan_idxq_push(&t->s->tcpjob_free, c->job);
}

/* Build job's query, open a non-blocking connection. False: failed at once. */
static bool conn_start(struct tcpctx *t, struct tcpconn *c, uint32_t job)
{
    struct scan *s = t->s;
    const struct scan_config *cfg = s->cfg;
    const struct tcpjob *j = &s->tcpjobs[job];
    /* Same ID and case as the UDP attempt it continues. */
    struct ident id;
    scan_ident_make(s, j->qtype, j->attempt, j->qname, j->qname_len, &id);
    uint8_t name[PKT_DNS_NAME_MAX];
    memcpy(name, j->qname, j->qname_len);
    if (scan_use_0x20(s, j->resolver))
        pkt_dns_name_case20(name, j->qname_len, id.case_bits);
    struct pkt_dns_query qs = { .qname = name,
                                .qname_len = j->qname_len,
                                .qtype = j->qtype,
                                .id = j->id,
                                .rd = cfg->rd,
                                .edns = true };
    int qlen = pkt_dns_query_build(c->msg + 2, sizeof(c->msg) - 2, &qs);
    if (qlen <= 0)
        return false;
    c->msg[0] = (uint8_t)(qlen >> 8);
    c->msg[1] = (uint8_t)qlen;
    const struct scan_resolver *res = &cfg->resolvers[j->resolver];
    struct sockaddr_storage ss;
    socklen_t sl = pkt_addr_to_sockaddr(&res->addr, res->port, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) {
        close(fd);
        return false;
    }
    c->fd = fd;
    c->job = job;
    c->phase = CONN_CONNECTING;
    c->off = 0;
    c->want = (size_t)qlen + 2;
    c->deadline_ns =
        t->w->now_ns + (uint64_t)scan_attempt_timeout_ms(cfg->timeout_ms, j->attempt) * 1000000ull;
    t->active++;
    t->per_server[j->resolver]++;
    cnt_add(&t->w->c.sent, 1);
    cnt_add(&t->w->c.tcp, 1);
    return true;
}

/* The answer of c is in: parse and apply it, or fail the lookup. */
static void conn_done(struct tcpctx *t, struct tcpconn *c, size_t len)
{
    struct scan *s = t->s;
    struct worker *w = t->w;
    struct tcpjob j = s->tcpjobs[c->job];
    struct pkt_dns_reply *r = t->reply;
    conn_close(t, c);
    cnt_add(&w->c.received, 1);
    int rc = pkt_dns_reply_parse(c->buf, len, r);
    if (rc < 0) {
        cnt_add(&w->c.dropped[stats_drop_from_dns(rc)], 1);
    } else if (r->id != j.id || r->qtype != j.qtype ||
               !pkt_dns_name_equal(r->qname.wire, r->qname.len, j.qname, j.qname_len)) {
        cnt_add(&w->c.dropped[STATS_DROP_QUESTION], 1);
    } else if (!r->tc) {
        /* The answer needed TCP: scan_lookup_answer() sets the truncated flag. */
        scan_lookup_answer(s, w, j.ref, 0, r, (int)j.resolver, 0, true, j.state, j.attempt);
        return;
    }
    tcp_fail(s, w, j.ref, j.state, false);
}

/* The job of c failed (connect, I/O, timeout): end its lookup. */
static void conn_fail(struct tcpctx *t, struct tcpconn *c, bool abort)
{
    struct tcpjob j = t->s->tcpjobs[c->job];
    conn_close(t, c);
    tcp_fail(t->s, t->w, j.ref, j.state, abort);
}

/* Move c on as far as its socket allows now. */
static void conn_step(struct tcpctx *t, struct tcpconn *c)
{
    for (;;) {
        if (c->phase == CONN_CONNECTING) {
            int err = 0;
            socklen_t el = sizeof(err);
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
                conn_fail(t, c, false);
                return;
            }
            c->phase = CONN_SENDING;
        }
        ssize_t k;
        if (c->phase == CONN_SENDING)
            k = send(c->fd, c->msg + c->off, c->want - c->off, MSG_NOSIGNAL);
        else if (c->phase == CONN_READ_LEN)
            k = recv(c->fd, c->len + c->off, c->want - c->off, 0);
        else
            k = recv(c->fd, c->buf + c->off, c->want - c->off, 0);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
            return; /* poll says when to go on */
        if (k <= 0) {
            conn_fail(t, c, false);
            return;
        }
        c->off += (size_t)k;
        if (c->off < c->want)
            continue;
        c->off = 0;
        if (c->phase == CONN_SENDING) {
            c->phase = CONN_READ_LEN;
            c->want = 2;
        } else if (c->phase == CONN_READ_LEN) {
            c->want = (size_t)c->len[0] << 8 | c->len[1];
            if (c->want == 0) {
                conn_fail(t, c, false);
                return;
            }
            c->phase = CONN_READ_BODY;
        } else {
            conn_done(t, c, c->want);
            return;
        }
    }
}

static bool wait_push(struct tcpctx *t, uint32_t job)
{
    if (t->wait_tail - t->wait_head == t->wait_cap)
        return false;
    t->waiting[t->wait_tail++ % t->wait_cap] = job;
    return true;
}

/* Start connections for waiting jobs while the limits allow, in order;
 * a job for a resolver at its limit keeps its place. */
static void start_waiting(struct tcpctx *t)
{
    size_t n = t->wait_tail - t->wait_head;
    for (size_t k = 0; k < n && t->active < t->nb_conns; k++) {
        uint32_t job = t->waiting[t->wait_head++ % t->wait_cap];
        unsigned res = t->s->tcpjobs[job].resolver;
        if (t->per_server[res] >= t->s->tcp_per_server) {
            wait_push(t, job); /* room: one was just taken out */
            continue;
        }
        struct tcpconn *c = NULL;
        for (unsigned i = 0; i < t->nb_conns && c == NULL; i++)
            if (t->conns[i].phase == CONN_FREE)
                c = &t->conns[i];
        if (!conn_start(t, c, job)) {
            struct tcpjob j = t->s->tcpjobs[job];
            scan_idxq_push(&t->s->tcpjob_free, job);
            tcp_fail(t->s, t->w, j.ref, j.state, false);
        }
    }
}

/* Every job, running or waiting, ends now (stop at once: no record). */
static void abort_all(struct tcpctx *t)
{
    for (unsigned i = 0; i < t->nb_conns; i++)
        if (t->conns[i].phase != CONN_FREE)
            conn_fail(t, &t->conns[i], true);
    while (t->wait_head != t->wait_tail) {
        uint32_t job = t->waiting[t->wait_head++ % t->wait_cap];
        struct tcpjob j = t->s->tcpjobs[job];
        scan_idxq_push(&t->s->tcpjob_free, job);
        tcp_fail(t->s, t->w, j.ref, j.state, true);
    }
}

static void tcp_ctx_free(struct tcpctx *t)
{
    if (t->conns != NULL)
        for (unsigned i = 0; i < t->nb_conns; i++)
            free(t->conns[i].buf);
    free(t->conns);
    free(t->pfd);
    free(t->pfd_conn);
    free(t->waiting);
    free(t->reply);
}

static bool tcp_ctx_init(struct tcpctx *t, struct worker *w)
{
    struct scan *s = w->s;
    *t = (struct tcpctx){ .s = s, .w = w, .nb_conns = s->tcp_conns, .wait_cap = s->nb_tcpjobs };
    t->conns = calloc(t->nb_conns, sizeof(t->conns[0]));
    t->pfd = calloc(t->nb_conns, sizeof(t->pfd[0]));
    t->pfd_conn = calloc(t->nb_conns, sizeof(t->pfd_conn[0]));
    t->waiting = calloc(t->wait_cap, sizeof(t->waiting[0]));
    t->reply = malloc(sizeof(*t->reply));
    if (t->conns == NULL || t->pfd == NULL || t->pfd_conn == NULL || t->waiting == NULL ||
        t->reply == NULL)
        return false;
    for (unsigned i = 0; i < t->nb_conns; i++) {
        t->conns[i].fd = -1;
        if ((t->conns[i].buf = malloc(TCP_MSG_MAX)) == NULL)
            return false;
    }
    return true;
}

void *scan_tcp_main(void *arg)
{
    struct worker *w = arg;
    struct scan *s = w->s;
    struct tcpctx t;
    if (!tcp_ctx_init(&t, w)) {
        scan_set_fatal(s, "out of memory (TCP worker)");
        tcp_ctx_free(&t);
        return NULL;
    }
    int idle_ms = 1;
    while (!atomic_load(&s->all_done) && !atomic_load(&s->fatal)) {
        w->now_ns = mono_ns();
        w->wall_ms = wall_ms();
        scan_epoch_enter(&s->epoch, w->id);
        uint32_t job;
        bool any = false;
        while (scan_idxq_pop(&s->tcpjob_q, &job)) {
            any = true;
            if (!wait_push(&t, job)) /* cannot happen: room for every slot */
                scan_set_fatal(s, "internal: TCP wait list overflow");
        }
        if (atomic_load(&s->stopping) == 2)
            abort_all(&t);
        start_waiting(&t);
        /* Poll the connections that need the socket; fail the overdue. */
        unsigned np = 0;
        uint64_t next = UINT64_MAX;
        for (unsigned i = 0; i < t.nb_conns; i++) {
            struct tcpconn *c = &t.conns[i];
            if (c->phase == CONN_FREE)
                continue;
            if (c->deadline_ns <= w->now_ns) {
                conn_fail(&t, c, false);
                continue;
            }
            if (c->deadline_ns < next)
                next = c->deadline_ns;
            short ev = c->phase == CONN_CONNECTING || c->phase == CONN_SENDING ? POLLOUT : POLLIN;
            t.pfd[np] = (struct pollfd){ .fd = c->fd, .events = ev };
            t.pfd_conn[np++] = i;
        }
        scan_epoch_exit(&s->epoch, w->id);
        scan_reclaim(s, w);
        /* Idle, poll backs off to 16 ms (truncated answers are rare); with
         * connections, it waits for them or the nearest deadline. */
        int wait_ms = any || t.active > 0 ? 1 : idle_ms;
        if (t.active > 0 && next != UINT64_MAX) {
            uint64_t d = (next - w->now_ns) / 1000000 + 1;
            wait_ms = d < 10 ? (int)d : 10;
        }
        idle_ms = any || t.active > 0 ? 1 : (idle_ms < 16 ? idle_ms * 2 : 16);
        int pr = np > 0 ? poll(t.pfd, np, wait_ms) : 0;
        if (np == 0) {
            struct timespec ts = { 0, (long)wait_ms * 1000000L };
            nanosleep(&ts, NULL);
        }
        if (pr <= 0)
            continue;
        w->now_ns = mono_ns();
        w->wall_ms = wall_ms();
        scan_epoch_enter(&s->epoch, w->id);
        for (unsigned k = 0; k < np; k++)
            if (t.pfd[k].revents != 0 && t.conns[t.pfd_conn[k]].phase != CONN_FREE)
                conn_step(&t, &t.conns[t.pfd_conn[k]]);
        scan_epoch_exit(&s->epoch, w->id);
        scan_reclaim(s, w);
    }
    for (unsigned i = 0; i < t.nb_conns; i++)
        if (t.conns[i].phase != CONN_FREE) {
            close(t.conns[i].fd);
            t.conns[i].phase = CONN_FREE;
        }
    tcp_ctx_free(&t);
    return NULL;
}
