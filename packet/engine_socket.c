/*
 * The socket engine: ordinary UDP sockets, no privileges.
 *
 * RFC 5452 asks for source-port entropy on top of the 16-bit ID, so the
 * engine binds a pool of sockets (at least 64 per family) to ports the kernel
 * picks at random from its ephemeral range; the scanner chooses a socket per
 * query with its keyed function. Sending groups consecutive datagrams of one
 * socket into a single sendmmsg; receiving asks epoll which sockets are
 * readable and drains each with recvmmsg, so a burst costs a few syscalls
 * however many datagrams it carries.
 *
 * Queues: socket i is read by RX queue i mod nb_rxq only (one epoll set per
 * queue), so every datagram reaches exactly one RX thread. Any TX queue may
 * send on any socket (the kernel serialises sendmmsg per socket); each TX
 * queue has its own message arrays and error count.
 *
 * ICMP errors (docs/test-cases.md M13): with IP_RECVERR / IPV6_RECVERR the
 * kernel queues every ICMP error about a socket's datagrams on its error
 * queue (epoll says EPOLLERR) with the quoted datagram's payload and
 * destination; RX drains it and counts those quoting a probe we sent
 * (packet/probes.h) apart from the others. Nothing else changes: the query
 * stays pending until its timeout. The option has one side effect: the
 * socket's pending error is also reported by the next send, which then
 * fails without sending (ECONNREFUSED for a port unreachable). A send that
 * fails for any reason but a full buffer is therefore tried once more: an
 * error of the past is gone by then, a real one fails again.
 */
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/errqueue.h>
#include <linux/sock_diag.h>

#include "packet/engine.h"
#include "packet/probes.h"

#define ERRQ_PER_EVENT 64 /* error queue messages read per EPOLLERR */

struct sock_entry {
    int fd;
    uint16_t port;
    uint8_t family;
};

/* One RX queue: its epoll set and receive buffers, owned by its thread. */
struct sock_rxq {
    int epfd;
    unsigned nb_socks; /* sockets in this queue's epoll set */
    struct epoll_event events[2 * PKT_ENGINE_PORTS_MAX];
    struct mmsghdr rx_msgs[PKT_ENGINE_BURST_MAX];
    struct iovec rx_iov[PKT_ENGINE_BURST_MAX];
    struct sockaddr_storage rx_from[PKT_ENGINE_BURST_MAX];
    uint8_t rx_buf[PKT_ENGINE_BURST_MAX][PKT_ENGINE_RX_BUF_LEN];
    _Alignas(64) uint64_t icmp[2]; /* quoting a probe / not; relaxed stores */
    uint8_t err_ctrl[512];
};

/* One TX queue's scratch, owned by its thread. */
struct sock_txq {
    _Alignas(64) uint64_t tx_errors; /* relaxed stores; any thread reads */
    struct mmsghdr tx_msgs[PKT_ENGINE_BURST_MAX];
    struct iovec tx_iov[PKT_ENGINE_BURST_MAX];
    struct sockaddr_storage tx_to[PKT_ENGINE_BURST_MAX];
};

struct pkt_engine {
    unsigned nb_socks;
    unsigned nb_rxq;
    unsigned nb_txq;
    struct sock_entry socks[2 * PKT_ENGINE_PORTS_MAX];
    uint16_t nb_ports[2]; /* [0] IPv4, [1] IPv6 */
    uint16_t ports[2][PKT_ENGINE_PORTS_MAX];
    /* Local port -> index into socks + 1, per family (0 = not ours). */
    uint16_t by_port[2][65536];
    struct sock_rxq *rxq[PKT_ENGINE_RXQ_MAX];
    struct sock_txq *txq[PKT_ENGINE_TXQ_MAX];
    struct pkt_probes *probes;
};

static unsigned fam_index(uint8_t family)
{
    return family == PKT_ADDR_V6 ? 1u : 0u;
}

static void socket_close(struct pkt_engine *e)
{
    if (e == NULL)
        return;
    for (unsigned i = 0; i < e->nb_socks; i++)
        close(e->socks[i].fd);
    for (unsigned q = 0; q < PKT_ENGINE_RXQ_MAX; q++) {
        if (e->rxq[q] != NULL && e->rxq[q]->epfd >= 0)
            close(e->rxq[q]->epfd);
        free(e->rxq[q]);
    }
    for (unsigned q = 0; q < PKT_ENGINE_TXQ_MAX; q++)
        free(e->txq[q]);
    pkt_probes_free(e->probes);
    free(e);
}

static int open_one(struct pkt_engine *e, uint8_t family, const struct pkt_engine_config *cfg,
                    char *err, size_t err_len)
{
    int af = family == PKT_ADDR_V6 ? AF_INET6 : AF_INET;
    int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int rc = -errno;
        snprintf(err, err_len, "socket engine: socket(%s): %s", af == AF_INET6 ? "IPv6" : "IPv4",
                 strerror(errno));
        return rc;
    }
    int one = 1;
    if (af == AF_INET6)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (setsockopt(fd, af == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
                   af == AF_INET6 ? IPV6_RECVERR : IP_RECVERR, &one, sizeof(one)) != 0) {
        int rc = -errno;
        snprintf(err, err_len, "socket engine: %s: %s",
                 af == AF_INET6 ? "IPV6_RECVERR" : "IP_RECVERR", strerror(errno));
        close(fd);
        return rc;
    }
    if (cfg->rcvbuf_len > 0) {
        int len = (int)cfg->rcvbuf_len;
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &len, sizeof(len));
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t sl;
    if (af == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_any;
        sl = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_ANY);
        sl = sizeof(*s4);
    }
    /* Port 0: the kernel picks a random free ephemeral port. */
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || getsockname(fd, (struct sockaddr *)&ss, &sl)) {
        int rc = -errno;
        snprintf(err, err_len, "socket engine: bind: %s", strerror(errno));
        close(fd);
        return rc;
    }
    uint16_t port = ntohs(af == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                         : ((struct sockaddr_in *)&ss)->sin_port);
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = e->nb_socks };
    struct sock_rxq *rq = e->rxq[e->nb_socks % e->nb_rxq];
    if (epoll_ctl(rq->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        int rc = -errno;
        snprintf(err, err_len, "socket engine: epoll_ctl: %s", strerror(errno));
        close(fd);
        return rc;
    }
    unsigned fi = fam_index(family);
    e->socks[e->nb_socks] = (struct sock_entry){ .fd = fd, .port = port, .family = family };
    e->by_port[fi][port] = (uint16_t)(e->nb_socks + 1);
    e->ports[fi][e->nb_ports[fi]++] = port;
    e->nb_socks++;
    rq->nb_socks++;
    return 0;
}

static int socket_open(const struct pkt_engine_config *cfg, struct pkt_engine **out, char *err,
                       size_t err_len)
{
    unsigned n = cfg->nb_ports;
    if (n < 1 || n > PKT_ENGINE_PORTS_MAX) {
        snprintf(err, err_len, "socket engine: %u sockets per family (1..%u)", n,
                 PKT_ENGINE_PORTS_MAX);
        return -EINVAL;
    }
    unsigned nb_txq = cfg->nb_txq > 0 ? cfg->nb_txq : 1;
    unsigned nb_rxq = cfg->nb_rxq > 0 ? cfg->nb_rxq : 1;
    if (nb_txq > PKT_ENGINE_TXQ_MAX || nb_rxq > PKT_ENGINE_RXQ_MAX) {
        snprintf(err, err_len, "socket engine: %u TX / %u RX queues (at most %u / %u)", nb_txq,
                 nb_rxq, PKT_ENGINE_TXQ_MAX, PKT_ENGINE_RXQ_MAX);
        return -EINVAL;
    }
    if (nb_rxq > n) {
        snprintf(err, err_len, "socket engine: %u RX queues need at least as many sockets (%u)",
                 nb_rxq, n);
        return -EINVAL;
    }
    struct pkt_engine *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        snprintf(err, err_len, "socket engine: out of memory");
        return -ENOMEM;
    }
    e->nb_txq = nb_txq;
    e->nb_rxq = nb_rxq;
    bool nomem = false;
    for (unsigned q = 0; q < nb_txq; q++) {
        e->txq[q] = aligned_alloc(64, sizeof(struct sock_txq));
        if (e->txq[q] != NULL)
            memset(e->txq[q], 0, sizeof(struct sock_txq));
        nomem |= e->txq[q] == NULL;
    }
    for (unsigned q = 0; q < nb_rxq; q++) {
        e->rxq[q] = calloc(1, sizeof(struct sock_rxq));
        if (e->rxq[q] != NULL)
            e->rxq[q]->epfd = -1;
        nomem |= e->rxq[q] == NULL;
    }
    int prc = nomem ? -ENOMEM : pkt_probes_new(&e->probes);
    if (prc != 0) {
        snprintf(err, err_len, "socket engine: %s",
                 prc == -ENOMEM ? "out of memory" : "no random bytes for the probe table");
        socket_close(e);
        return prc;
    }
    for (unsigned q = 0; q < nb_rxq; q++) {
        e->rxq[q]->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (e->rxq[q]->epfd < 0) {
            int rc = -errno;
            snprintf(err, err_len, "socket engine: epoll_create1: %s", strerror(errno));
            socket_close(e);
            return rc;
        }
    }
    static const uint8_t families[2] = { PKT_ADDR_V4, PKT_ADDR_V6 };
    for (unsigned f = 0; f < 2; f++) {
        if (!(f == 0 ? cfg->want_v4 : cfg->want_v6))
            continue;
        for (unsigned i = 0; i < n; i++) {
            int rc = open_one(e, families[f], cfg, err, err_len);
            if (rc != 0) {
                socket_close(e);
                return rc;
            }
        }
    }
    *out = e;
    return 0;
}

/* Single writer (the queue's thread); readers use a relaxed load. */
static void count_tx_error(struct sock_txq *t)
{
    __atomic_store_n(&t->tx_errors, t->tx_errors + 1, __ATOMIC_RELAXED);
}

static unsigned socket_tx_burst(struct pkt_engine *e, unsigned q, const struct pkt_dgram *d,
                                unsigned nb)
{
    struct sock_txq *t = e->txq[q];
    if (nb > PKT_ENGINE_BURST_MAX)
        nb = PKT_ENGINE_BURST_MAX;
    unsigned done = 0;
    bool again = false; /* the datagram at done failed once */
    uint16_t now = pkt_probes_now();
    while (done < nb) {
        unsigned fi = fam_index(d[done].peer.family);
        uint16_t idx = e->by_port[fi][d[done].local_port];
        if (idx == 0) {
            /* Not one of our ports: a scanner bug, not a network event. */
            count_tx_error(t);
            done++;
            continue;
        }
        int fd = e->socks[idx - 1].fd;
        unsigned n = 0;
        while (done + n < nb && d[done + n].local_port == d[done].local_port &&
               d[done + n].peer.family == d[done].peer.family) {
            const struct pkt_dgram *g = &d[done + n];
            /* Before it leaves: an ICMP error about it may come at once. */
            if (!again)
                pkt_probes_note(e->probes, now, &g->peer, g->peer_port, g->local_port, g->data,
                                g->len);
            t->tx_iov[n] = (struct iovec){ .iov_base = g->data, .iov_len = g->len };
            socklen_t sl = pkt_addr_to_sockaddr(&g->peer, g->peer_port, &t->tx_to[n]);
            t->tx_msgs[n].msg_hdr = (struct msghdr){ .msg_name = &t->tx_to[n],
                                                     .msg_namelen = sl,
                                                     .msg_iov = &t->tx_iov[n],
                                                     .msg_iovlen = 1 };
            n++;
        }
        int sent = sendmmsg(fd, t->tx_msgs, n, 0);
        if (sent < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
                return done; /* socket buffer full: the caller retries the rest */
            if (errno == EINTR)
                continue;
            if (!again) {
                /* Perhaps an earlier ICMP error reported here (see the top). */
                again = true;
                continue;
            }
            /* The first datagram failed for good (unreachable, filtered). */
            count_tx_error(t);
            again = false;
            done++;
            continue;
        }
        again = false;
        done += (unsigned)sent;
        if ((unsigned)sent < n)
            return done;
    }
    return done;
}

/* Single writer (the queue's thread); readers use a relaxed load. */
static void count_icmp(struct sock_rxq *rq, unsigned kind)
{
    __atomic_store_n(&rq->icmp[kind], rq->icmp[kind] + 1, __ATOMIC_RELAXED);
}

/*
 * Drain a socket's error queue: each ICMP destination unreachable (RFC 792
 * type 3, RFC 4443 type 1) is counted as quoting a probe of ours or not.
 * The message's data is the quoted datagram's UDP payload, its name the
 * quoted destination; the port is the socket's. Other errors (local ones,
 * other ICMP types) are read and dropped.
 */
static void drain_errors(struct pkt_engine *e, struct sock_rxq *rq, const struct sock_entry *s)
{
    for (unsigned k = 0; k < ERRQ_PER_EVENT; k++) {
        uint8_t *buf = rq->rx_buf[0];
        struct sockaddr_storage to;
        struct iovec iov = { .iov_base = buf, .iov_len = PKT_ENGINE_RX_BUF_LEN };
        struct msghdr m = { .msg_name = &to,
                            .msg_namelen = sizeof(to),
                            .msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = rq->err_ctrl,
                            .msg_controllen = sizeof(rq->err_ctrl) };
        ssize_t n = recvmsg(s->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
        if (n < 0)
            return;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
            bool v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
            bool v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
            if (!v4 && !v6)
                continue;
            struct sock_extended_err ee;
            memcpy(&ee, CMSG_DATA(c), sizeof(ee));
            bool unreach = (ee.ee_origin == SO_EE_ORIGIN_ICMP && ee.ee_type == 3) ||
                           (ee.ee_origin == SO_EE_ORIGIN_ICMP6 && ee.ee_type == 1);
            if (!unreach)
                continue;
            struct pkt_addr peer;
            uint16_t peer_port = 0;
            memset(&peer, 0, sizeof(peer));
            pkt_addr_from_sockaddr(&to, &peer, &peer_port);
            bool ours = pkt_probes_sent(e->probes, &peer, peer_port, s->port, buf,
                                        (size_t)n > PKT_ENGINE_RX_BUF_LEN ? PKT_ENGINE_RX_BUF_LEN
                                                                          : (size_t)n);
            count_icmp(rq, ours ? 0 : 1);
        }
    }
}

static unsigned socket_rx_burst(struct pkt_engine *e, unsigned q, struct pkt_dgram *d, unsigned nb,
                                int timeout_ms)
{
    struct sock_rxq *rq = e->rxq[q];
    if (nb > PKT_ENGINE_BURST_MAX)
        nb = PKT_ENGINE_BURST_MAX;
    int nev = epoll_wait(rq->epfd, rq->events, (int)rq->nb_socks, timeout_ms);
    if (nev <= 0)
        return 0;
    unsigned got = 0;
    for (int i = 0; i < nev; i++)
        if (rq->events[i].events & EPOLLERR)
            drain_errors(e, rq, &e->socks[rq->events[i].data.u32]);
    for (int i = 0; i < nev && got < nb; i++) {
        const struct sock_entry *s = &e->socks[rq->events[i].data.u32];
        if (!(rq->events[i].events & EPOLLIN))
            continue;
        unsigned want = nb - got;
        for (unsigned k = 0; k < want; k++) {
            rq->rx_iov[got + k].iov_base = rq->rx_buf[got + k];
            rq->rx_iov[got + k].iov_len = PKT_ENGINE_RX_BUF_LEN;
            rq->rx_msgs[got + k].msg_hdr = (struct msghdr){ .msg_name = &rq->rx_from[got + k],
                                                            .msg_namelen = sizeof(rq->rx_from[0]),
                                                            .msg_iov = &rq->rx_iov[got + k],
                                                            .msg_iovlen = 1 };
        }
        int r = recvmmsg(s->fd, &rq->rx_msgs[got], want, MSG_DONTWAIT, NULL);
        if (r <= 0)
            continue;
        for (int k = 0; k < r; k++) {
            struct pkt_dgram *g = &d[got];
            struct mmsghdr *m = &rq->rx_msgs[got];
            pkt_addr_from_sockaddr(&rq->rx_from[got], &g->peer, &g->peer_port);
            g->local_port = s->port;
            g->data = rq->rx_buf[got];
            g->truncated = (m->msg_hdr.msg_flags & MSG_TRUNC) != 0;
            g->len =
                (uint16_t)(m->msg_len > PKT_ENGINE_RX_BUF_LEN ? PKT_ENGINE_RX_BUF_LEN : m->msg_len);
            got++;
        }
    }
    return got;
}

static unsigned socket_ports(const struct pkt_engine *e, uint8_t family, uint16_t *ports,
                             unsigned cap)
{
    unsigned fi = fam_index(family);
    unsigned n = e->nb_ports[fi] < cap ? e->nb_ports[fi] : cap;
    memcpy(ports, e->ports[fi], n * sizeof(ports[0]));
    return n;
}

static uint64_t socket_tx_errors(const struct pkt_engine *e)
{
    uint64_t n = 0;
    for (unsigned q = 0; q < e->nb_txq; q++)
        n += __atomic_load_n(&e->txq[q]->tx_errors, __ATOMIC_RELAXED);
    return n;
}

/* Datagrams the kernel dropped because a socket's receive buffer was full. */
static uint64_t socket_rx_missed(const struct pkt_engine *e)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < e->nb_socks; i++) {
        uint32_t mi[SK_MEMINFO_VARS];
        socklen_t len = sizeof(mi);
        if (getsockopt(e->socks[i].fd, SOL_SOCKET, SO_MEMINFO, mi, &len) == 0 &&
            len > SK_MEMINFO_DROPS * sizeof(mi[0]))
            n += mi[SK_MEMINFO_DROPS];
    }
    return n;
}

static void socket_icmp_errors(const struct pkt_engine *e, uint64_t out[2])
{
    out[0] = out[1] = 0;
    for (unsigned q = 0; q < e->nb_rxq; q++)
        for (unsigned k = 0; k < 2; k++)
            out[k] += __atomic_load_n(&e->rxq[q]->icmp[k], __ATOMIC_RELAXED);
}

const struct pkt_engine_ops pkt_engine_socket = {
    .name = "socket",
    .open = socket_open,
    .tx_burst = socket_tx_burst,
    .rx_burst = socket_rx_burst,
    .ports = socket_ports,
    .tx_errors = socket_tx_errors,
    .rx_missed = socket_rx_missed,
    .icmp_errors = socket_icmp_errors,
    .close = socket_close,
};
