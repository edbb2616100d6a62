/*
 * bench/responder.c - a fast synthetic authoritative DNS server for the
 * end-to-end benchmark (bench/run).
 *
 *   responder [OPTIONS]            serve until SIGINT/SIGTERM or --max-runtime
 *   responder [RULE OPTIONS] --expect ADDR...   print the row the rule expects
 *
 * Answers PTR for any in-addr.arpa/ip6.arpa name and A/AAAA for the names it
 * hands out, by the rule of bench/rule.h (seed, mix, shared groups, zone).
 * Several threads, each with its own SO_REUSEPORT UDP socket on the same
 * address and port (the kernel spreads the client's source ports over
 * them), receive and send in batches (recvmmsg/sendmmsg). Slow answers wait
 * in a per-thread FIFO (the delay is constant, so arrival order is deadline
 * order) and go out when due; the thread never sleeps on them. A TCP
 * listener on the same port serves the full answers that UDP truncated.
 *
 * --loss P drops each UDP reply with probability P percent, decided per
 * reply from a per-thread PRNG (not per address), so a retry of the same
 * query gets a fresh draw and recovers it.
 *
 * Benchmark tool, not part of fcrscan: it trusts nothing it receives, but
 * it is never exposed beyond the loopback or a namespace the bench creates.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/rule.h"
#include "packet/addr.h"
#include "packet/dns.h"
#include "packet/rev.h"

#define BATCH_MAX    256
#define RX_LEN       512  /* queries are small; longer ones are ignored */
#define TX_LEN       2048 /* largest reply built (64 AAAA) before the UDP limit */
#define DELAY_LEN    512  /* slow replies are single PTR answers */
#define DELAY_CAP    32768
#define THREADS_MAX  64
#define TCP_CONN_MAX 128
#define TCP_IDLE_MS  10000
#define TTL          300

enum act { ACT_SEND, ACT_DELAY, ACT_DROP, ACT_IGNORE };

/* Per-thread counters; summed at exit. */
struct counters {
    uint64_t queries;
    uint64_t replies;
    uint64_t rule_drops;
    uint64_t loss_drops;
    uint64_t delayed;
    uint64_t delay_overflow;
    uint64_t truncated;
    uint64_t ignored;
    uint64_t send_errors;
    uint64_t tcp_queries;
};

struct delayed {
    uint64_t due_ns;
    struct sockaddr_in6 peer;
    socklen_t peer_len;
    uint16_t len;
    uint8_t data[DELAY_LEN];
};

struct worker {
    int fd;
    uint64_t rng;
    struct counters c;
    pthread_t th;
    struct delayed *q; /* FIFO of DELAY_CAP entries */
    unsigned q_head, q_count;
    struct mmsghdr rmsg[BATCH_MAX];
    struct iovec riov[BATCH_MAX];
    struct sockaddr_in6 rpeer[BATCH_MAX];
    uint8_t rbuf[BATCH_MAX][RX_LEN];
    struct mmsghdr smsg[BATCH_MAX];
    struct iovec siov[BATCH_MAX];
    uint8_t sbuf[BATCH_MAX][TX_LEN];
};

struct options {
    const char *addr;
    unsigned port;
    unsigned threads;
    unsigned batch;
    unsigned slow_ms;
    double loss_pct;
    double max_runtime_s;
    uint64_t seed;
    const char *mix;
    unsigned shared_bits;
    const char *zone;
    const char *ready_file;
    const char *stats_file;
    bool expect;
    bool quiet;
};

static struct options opt = {
    .addr = "127.0.0.1",
    .threads = 1,
    .batch = 64,
    .slow_ms = 50,
    .max_runtime_s = 3600,
    .seed = 1,
    .shared_bits = 6,
};
static struct bench_rule rule;
static uint64_t loss_threshold; /* a reply is lost when rng < this (of 2^64) */
static atomic_int stop_flag;    /* lock-free, so a signal handler may store it */
static atomic_uint_fast64_t tcp_queries;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: a draw per reply for --loss; quality is ample for that. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* ---- answers ------------------------------------------------------------------- */

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Append an RR owned by the question name (pointer to offset 12). */
static size_t put_rr(uint8_t *p, size_t room, uint16_t type, const uint8_t *rdata, size_t rdlen)
{
    if (room < 12 + rdlen)
        return 0;
    put16(p, 0xC00C);
    put16(p + 2, type);
    put16(p + 4, PKT_DNS_CLASS_IN);
    put16(p + 6, 0);
    put16(p + 8, TTL);
    put16(p + 10, (unsigned)rdlen);
    memcpy(p + 12, rdata, rdlen);
    return 12 + rdlen;
}

static bool name_under(const uint8_t *name, size_t len, const uint8_t *suffix, size_t slen)
{
    size_t off = 0;
    while (off < len && len - off >= slen) {
        if (len - off == slen)
            return pkt_dns_name_equal(name + off, slen, suffix, slen);
        off += 1u + name[off];
    }
    return false;
}

static const uint8_t in_addr_arpa[] = "\7in-addr\4arpa";
static const uint8_t ip6_arpa[] = "\3ip6\4arpa";

/*
 * Build the reply to query q[0..qlen) into out[0..cap) and say what to do
 * with it. Over UDP a reply longer than the client's EDNS size (capped at
 * BENCH_UDP_MAX; 512 without EDNS) is sent with TC=1 and no records.
 */
static size_t answer(const uint8_t *q, size_t qlen, uint8_t *out, size_t cap, bool tcp,
                     enum act *act)
{
    *act = ACT_IGNORE;
    if (qlen < PKT_DNS_HDR_LEN || (q[2] & 0x80) != 0 || ((q[2] >> 3) & 0xF) != 0 || q[4] != 0 ||
        q[5] != 1)
        return 0;
    size_t off = PKT_DNS_HDR_LEN;
    while (off < qlen && q[off] != 0) {
        if (q[off] > PKT_DNS_LABEL_MAX)
            return 0;
        off += 1u + q[off];
    }
    if (off + 5 > qlen || off + 1 - PKT_DNS_HDR_LEN > PKT_DNS_NAME_MAX)
        return 0;
    const uint8_t *qname = q + PKT_DNS_HDR_LEN;
    size_t qname_len = off + 1 - PKT_DNS_HDR_LEN;
    size_t qend = off + 5;
    unsigned qtype = (unsigned)q[off + 1] << 8 | q[off + 2];
    unsigned qclass = (unsigned)q[off + 3] << 8 | q[off + 4];
    /* An OPT RR in the query (we only ever see EDNS in additional). */
    bool edns = false;
    size_t limit = 512;
    if ((q[10] | q[11]) != 0 && qend + 11 <= qlen && q[qend] == 0 &&
        (q[qend + 1] << 8 | q[qend + 2]) == PKT_DNS_TYPE_OPT) {
        edns = true;
        size_t sz = (size_t)q[qend + 3] << 8 | q[qend + 4];
        limit = sz < 512 ? 512 : sz > BENCH_UDP_MAX ? BENCH_UDP_MAX : sz;
    }
    if (cap < qend + 11)
        return 0;
    memcpy(out, q, qend);
    out[2] = (uint8_t)(0x80 | 0x04 | (q[2] & 0x01)); /* QR, AA, RD echoed */
    out[3] = 0x80;                                   /* RA: stub resolvers (adns) want it */
    memset(out + 6, 0, 6);
    size_t n = qend;
    unsigned ancount = 0;
    unsigned rcode = PKT_DNS_RCODE_NOERROR;
    *act = ACT_SEND;

    struct pkt_addr a;
    if (qclass != PKT_DNS_CLASS_IN) {
        rcode = PKT_DNS_RCODE_REFUSED;
    } else if (qtype == PKT_DNS_TYPE_PTR && pkt_rev_name_parse(qname, qname_len, &a) == 0) {
        enum bench_cat cat = bench_rule_cat(&rule, &a);
        switch (cat) {
        case BENCH_CAT_DROP:
            *act = ACT_DROP;
            return 0;
        case BENCH_CAT_SERVFAIL:
            rcode = PKT_DNS_RCODE_SERVFAIL;
            break;
        case BENCH_CAT_NO_PTR:
            rcode = PKT_DNS_RCODE_NXDOMAIN;
            break;
        case BENCH_CAT_PTR_NODATA:
            break;
        case BENCH_CAT_TC:
            if (!tcp) {
                out[2] |= 0x02;
                break;
            }
            __attribute__((fallthrough)); /* over TCP the whole answer */
        default: {
            struct pkt_dns_name names[BENCH_NAMES_MAX];
            unsigned nb = bench_rule_ptr_names(&rule, &a, names, NULL);
            for (unsigned i = 0; i < nb; i++) {
                size_t k =
                    put_rr(out + n, cap - n - 11, PKT_DNS_TYPE_PTR, names[i].wire, names[i].len);
                if (k == 0)
                    return 0;
                n += k;
                ancount++;
            }
            if (cat == BENCH_CAT_SLOW && !tcp)
                *act = ACT_DELAY;
            break;
        }
        }
    } else if (qtype == PKT_DNS_TYPE_A || qtype == PKT_DNS_TYPE_AAAA) {
        struct bench_fwd fwd;
        if (bench_rule_forward(&rule, qname, qname_len, (uint16_t)qtype, &fwd)) {
            rcode = fwd.rcode;
            size_t alen = qtype == PKT_DNS_TYPE_A ? 4 : 16;
            for (unsigned i = 0; i < fwd.nb_addr; i++) {
                size_t k = put_rr(out + n, cap - n - 11, (uint16_t)qtype, fwd.addr[i], alen);
                if (k == 0)
                    return 0;
                n += k;
                ancount++;
            }
        } else if (bench_rule_in_zone(&rule, qname, qname_len)) {
            rcode = PKT_DNS_RCODE_NXDOMAIN;
        } else {
            rcode = PKT_DNS_RCODE_REFUSED;
        }
    } else if (bench_rule_in_zone(&rule, qname, qname_len) ||
               name_under(qname, qname_len, in_addr_arpa, sizeof(in_addr_arpa)) ||
               name_under(qname, qname_len, ip6_arpa, sizeof(ip6_arpa))) {
        /* Other types, and reverse names that are not whole addresses
         * (empty non-terminals of a tree where every address exists): NODATA. */
    } else {
        rcode = PKT_DNS_RCODE_REFUSED;
    }
    if (!tcp && n + (edns ? 11u : 0u) > limit) {
        /* RFC 2181 §9: set TC rather than send a partial RRset. */
        out[2] |= 0x02;
        n = qend;
        ancount = 0;
    }
    out[3] = (uint8_t)(out[3] | rcode);
    put16(out + 6, ancount);
    if (edns) {
        /* OPT: root owner, our UDP size, no extended rcode or flags. */
        out[n] = 0;
        put16(out + n + 1, PKT_DNS_TYPE_OPT);
        put16(out + n + 3, BENCH_UDP_MAX);
        memset(out + n + 5, 0, 6);
        n += 11;
        put16(out + 10, 1);
    }
    return n;
}

/* ---- UDP workers ----------------------------------------------------------------- */

static void send_batch(struct worker *w, struct mmsghdr *m, unsigned nb)
{
    unsigned done = 0;
    while (done < nb) {
        int k = sendmmsg(w->fd, m + done, nb - done, 0);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            /* Skip the datagram that failed (e.g. ECONNREFUSED from an
             * earlier ICMP error) and go on with the rest. */
            w->c.send_errors++;
            done++;
            continue;
        }
        w->c.replies += (unsigned)k;
        done += (unsigned)k;
    }
}

/* Send every delayed reply that is due at now. */
static void flush_delayed(struct worker *w, uint64_t now)
{
    while (w->q_count > 0 && w->q[w->q_head].due_ns <= now) {
        unsigned nb = 0;
        while (nb < opt.batch && w->q_count > 0 && w->q[w->q_head].due_ns <= now) {
            struct delayed *d = &w->q[w->q_head];
            w->siov[nb] = (struct iovec){ .iov_base = d->data, .iov_len = d->len };
            w->smsg[nb].msg_hdr = (struct msghdr){ .msg_name = &d->peer,
                                                   .msg_namelen = d->peer_len,
                                                   .msg_iov = &w->siov[nb],
                                                   .msg_iovlen = 1 };
            nb++;
            w->q_head = (w->q_head + 1) % DELAY_CAP;
            w->q_count--;
        }
        /* The entries stay intact until overwritten: only this thread
         * pushes, and it does not push while sending. */
        send_batch(w, w->smsg, nb);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    uint64_t delay_ns = (uint64_t)opt.slow_ms * 1000000ull;
    unsigned B = opt.batch;
    for (unsigned i = 0; i < B; i++)
        w->riov[i] = (struct iovec){ .iov_base = w->rbuf[i], .iov_len = RX_LEN };
    while (!stop_flag) {
        for (unsigned i = 0; i < B; i++)
            w->rmsg[i].msg_hdr = (struct msghdr){ .msg_name = &w->rpeer[i],
                                                  .msg_namelen = sizeof(w->rpeer[i]),
                                                  .msg_iov = &w->riov[i],
                                                  .msg_iovlen = 1 };
        int nb = recvmmsg(w->fd, w->rmsg, B, MSG_DONTWAIT, NULL);
        uint64_t now = mono_ns();
        flush_delayed(w, now);
        if (nb <= 0) {
            /* Idle: wait for a query or the next delayed deadline. */
            int wait_ms = 50;
            if (w->q_count > 0) {
                uint64_t due = w->q[w->q_head].due_ns;
                wait_ms = due <= now ? 0 : (int)((due - now) / 1000000u + 1);
                if (wait_ms > 50)
                    wait_ms = 50;
            }
            struct pollfd p = { .fd = w->fd, .events = POLLIN };
            poll(&p, 1, wait_ms);
            continue;
        }
        unsigned out = 0;
        for (int i = 0; i < nb; i++) {
            w->c.queries++;
            if (w->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
                w->c.ignored++;
                continue;
            }
            enum act act;
            size_t len = answer(w->rbuf[i], w->rmsg[i].msg_len, w->sbuf[out], TX_LEN, false, &act);
            if (act == ACT_IGNORE) {
                w->c.ignored++;
                continue;
            }
            if (act == ACT_DROP) {
                w->c.rule_drops++;
                continue;
            }
            if (w->sbuf[out][2] & 0x02)
                w->c.truncated++;
            if (loss_threshold != 0 && rng_next(&w->rng) < loss_threshold) {
                w->c.loss_drops++;
                continue;
            }
            if (act == ACT_DELAY) {
                if (w->q_count < DELAY_CAP && len <= DELAY_LEN) {
                    struct delayed *d = &w->q[(w->q_head + w->q_count) % DELAY_CAP];
                    d->due_ns = now + delay_ns;
                    d->peer = w->rpeer[i];
                    d->peer_len = w->rmsg[i].msg_hdr.msg_namelen;
                    d->len = (uint16_t)len;
                    memcpy(d->data, w->sbuf[out], len);
                    w->q_count++;
                    w->c.delayed++;
                    continue;
                }
                w->c.delay_overflow++;
            }
            w->siov[out] = (struct iovec){ .iov_base = w->sbuf[out], .iov_len = len };
            w->smsg[out].msg_hdr = (struct msghdr){ .msg_name = &w->rpeer[i],
                                                    .msg_namelen = w->rmsg[i].msg_hdr.msg_namelen,
                                                    .msg_iov = &w->siov[out],
                                                    .msg_iovlen = 1 };
            out++;
        }
        send_batch(w, w->smsg, out);
    }
    return NULL;
}

/* ---- TCP (RFC 7766: two-octet length prefix) -------------------------------------- */

struct conn {
    int fd;
    size_t have;
    uint64_t last_ns;
    uint8_t buf[2 + RX_LEN];
};

static void conn_close(struct conn *c)
{
    close(c->fd);
    c->fd = -1;
}

/* Read what is there; answer every complete query. False: close it. */
static bool conn_serve(struct conn *c)
{
    ssize_t k = recv(c->fd, c->buf + c->have, sizeof(c->buf) - c->have, MSG_DONTWAIT);
    if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
        return false;
    if (k < 0)
        return true;
    c->have += (size_t)k;
    while (c->have >= 2) {
        size_t mlen = (size_t)c->buf[0] << 8 | c->buf[1];
        if (mlen > RX_LEN)
            return false;
        if (c->have < 2 + mlen)
            break;
        uint8_t out[2 + TX_LEN];
        enum act act;
        size_t len = answer(c->buf + 2, mlen, out + 2, TX_LEN, true, &act);
        atomic_fetch_add(&tcp_queries, 1);
        if (act == ACT_SEND || act == ACT_DELAY) {
            put16(out, (unsigned)len);
            if (send(c->fd, out, len + 2, MSG_NOSIGNAL) != (ssize_t)(len + 2))
                return false;
        }
        memmove(c->buf, c->buf + 2 + mlen, c->have - 2 - mlen);
        c->have -= 2 + mlen;
    }
    return true;
}

static void *tcp_main(void *arg)
{
    int lfd = *(int *)arg;
    static struct conn conns[TCP_CONN_MAX];
    struct pollfd pfd[TCP_CONN_MAX + 1];
    for (unsigned i = 0; i < TCP_CONN_MAX; i++)
        conns[i].fd = -1;
    while (!stop_flag) {
        unsigned np = 0;
        unsigned idx[TCP_CONN_MAX];
        pfd[np++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
        for (unsigned i = 0; i < TCP_CONN_MAX; i++)
            if (conns[i].fd >= 0) {
                idx[np - 1] = i;
                pfd[np++] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
            }
        if (poll(pfd, np, 50) < 0 && errno != EINTR)
            break;
        uint64_t now = mono_ns();
        for (unsigned p = 1; p < np; p++) {
            struct conn *c = &conns[idx[p - 1]];
            if (pfd[p].revents != 0) {
                c->last_ns = now;
                if (!conn_serve(c))
                    conn_close(c);
            } else if (now - c->last_ns > TCP_IDLE_MS * 1000000ull) {
                conn_close(c);
            }
        }
        if (pfd[0].revents & POLLIN) {
            int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0)
                continue;
            struct timeval tv = { .tv_sec = 1 };
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
            unsigned i = 0;
            while (i < TCP_CONN_MAX && conns[i].fd >= 0)
                i++;
            if (i == TCP_CONN_MAX) {
                close(fd);
                continue;
            }
            conns[i].fd = fd;
            conns[i].have = 0;
            conns[i].last_ns = now;
        }
    }
    for (unsigned i = 0; i < TCP_CONN_MAX; i++)
        if (conns[i].fd >= 0)
            conn_close(&conns[i]);
    return NULL;
}

/* ---- setup ------------------------------------------------------------------------ */

static socklen_t make_sockaddr(const struct pkt_addr *a, unsigned port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (a->family == PKT_ADDR_V4) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        memcpy(&s4->sin_addr, a->bytes, 4);
        return sizeof(*s4);
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    memcpy(&s6->sin6_addr, a->bytes, 16);
    return sizeof(*s6);
}

static int bound_socket(const struct pkt_addr *a, unsigned port, int type)
{
    struct sockaddr_storage ss;
    socklen_t sl = make_sockaddr(a, port, &ss);
    int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (type == SOCK_DGRAM) {
        /* Deep queues absorb the client's bursts; FORCE works as root. */
        int big = 16 << 20;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) != 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) != 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    }
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 ||
        (type == SOCK_STREAM && listen(fd, 256) != 0)) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static unsigned local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        return 0;
    return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                         : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static const char usage_text[] =
    "Usage: responder [OPTIONS]\n"
    "       responder [RULE OPTIONS] --expect ADDR...\n"
    "Synthetic authoritative DNS server for bench/run (see bench/rule.h for the rule).\n"
    "\n"
    "  -a, --addr ADDR        listen address (default 127.0.0.1)\n"
    "  -p, --port N           UDP and TCP port (default 0: any free port)\n"
    "  -t, --threads N        UDP threads, one SO_REUSEPORT socket each (default 1)\n"
    "  -b, --batch N          datagrams per recvmmsg/sendmmsg (default 64, max 256)\n"
    "      --slow-ms N        delay of slow answers (default 50)\n"
    "      --loss PCT         drop each UDP reply with this probability (default 0)\n"
    "      --max-runtime SEC  stop after SEC seconds (default 3600)\n"
    "      --ready-file FILE  write the port there once serving\n"
    "      --stats FILE       counters as JSON at exit\n"
    "  -q, --quiet            no counter line on stderr at exit\n"
    "Rule options (the checker bench/check takes the same):\n"
    "  -s, --seed N           rule seed (default 1)\n"
    "      --mix SPEC         shares in basis points: pass=..,shared=..,mismatch=..,\n"
    "                         dangling=..,no-ptr=..,ptr-nodata=..,multi=..,slow=..,\n"
    "                         servfail=..,tc=..,drop=.. (pass takes the rest)\n"
    "      --shared-bits N    addresses per shared name: 2^N (0..6, default 6)\n"
    "      --zone NAME        zone of the forward names (default bench.example.net)\n"
    "      --expect           print the expected row of each ADDR and exit\n";

enum { O_SLOW = 256, O_LOSS, O_MAXRT, O_READY, O_STATS, O_MIX, O_SHARED, O_ZONE, O_EXPECT };

static const struct option long_opts[] = {
    { "addr", required_argument, NULL, 'a' },
    { "port", required_argument, NULL, 'p' },
    { "threads", required_argument, NULL, 't' },
    { "batch", required_argument, NULL, 'b' },
    { "slow-ms", required_argument, NULL, O_SLOW },
    { "loss", required_argument, NULL, O_LOSS },
    { "max-runtime", required_argument, NULL, O_MAXRT },
    { "ready-file", required_argument, NULL, O_READY },
    { "stats", required_argument, NULL, O_STATS },
    { "seed", required_argument, NULL, 's' },
    { "mix", required_argument, NULL, O_MIX },
    { "shared-bits", required_argument, NULL, O_SHARED },
    { "zone", required_argument, NULL, O_ZONE },
    { "expect", no_argument, NULL, O_EXPECT },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static bool parse_u(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v > max || s[0] == '-')
        return false;
    *out = v;
    return true;
}

static bool parse_d(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}

static int bad(const char *what)
{
    fprintf(stderr, "responder: %s (see --help)\n", what);
    return 2;
}

static int parse_args(int argc, char **argv)
{
    int c;
    unsigned long long v;
    while ((c = getopt_long(argc, argv, "a:p:t:b:s:qh", long_opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            opt.addr = optarg;
            break;
        case 'p':
            if (!parse_u(optarg, 65535, &v))
                return bad("--port takes 0..65535");
            opt.port = (unsigned)v;
            break;
        case 't':
            if (!parse_u(optarg, THREADS_MAX, &v) || v == 0)
                return bad("--threads takes 1..64");
            opt.threads = (unsigned)v;
            break;
        case 'b':
            if (!parse_u(optarg, BATCH_MAX, &v) || v == 0)
                return bad("--batch takes 1..256");
            opt.batch = (unsigned)v;
            break;
        case O_SLOW:
            if (!parse_u(optarg, 60000, &v))
                return bad("--slow-ms takes 0..60000");
            opt.slow_ms = (unsigned)v;
            break;
        case O_LOSS:
            if (!parse_d(optarg, 0, 100, &opt.loss_pct))
                return bad("--loss takes a percentage 0..100");
            break;
        case O_MAXRT:
            if (!parse_d(optarg, 0.1, 86400, &opt.max_runtime_s))
                return bad("--max-runtime takes 0.1..86400 seconds");
            break;
        case O_READY:
            opt.ready_file = optarg;
            break;
        case O_STATS:
            opt.stats_file = optarg;
            break;
        case 's':
            if (!parse_u(optarg, UINT64_MAX, &v))
                return bad("--seed takes an unsigned 64-bit number");
            opt.seed = v;
            break;
        case O_MIX:
            opt.mix = optarg;
            break;
        case O_SHARED:
            if (!parse_u(optarg, BENCH_SHARED_BITS_MAX, &v))
                return bad("--shared-bits takes 0..6");
            opt.shared_bits = (unsigned)v;
            break;
        case O_ZONE:
            opt.zone = optarg;
            break;
        case O_EXPECT:
            opt.expect = true;
            break;
        case 'q':
            opt.quiet = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            exit(0);
        default:
            return 2;
        }
    }
    return 0;
}

/* The expected row of one address, as JSON on one line. */
static int print_expect(const char *text)
{
    struct pkt_addr a;
    if (pkt_addr_parse(text, &a) != 0) {
        fprintf(stderr, "responder: --expect: '%.80s' is not an address\n", text);
        return 2;
    }
    struct bench_expect e;
    bench_rule_expect(&rule, &a, &e);
    char ip[PKT_ADDR_TEXT_MAX];
    if (pkt_addr_format(&a, ip, sizeof(ip)) < 0)
        return 2;
    printf("{\"ip\":\"%s\",\"category\":\"%s\",\"verdict\":\"%s\"", ip, bench_cat_name(e.cat),
           e.verdict);
    if (e.stage != NULL)
        printf(",\"stage\":\"%s\",\"reason\":\"%s\"", e.stage, e.reason);
    printf(",\"flags\":[%s%s%s]", (e.flags & BENCH_FLAG_MULTI_PTR) ? "\"multi-ptr\"" : "",
           (e.flags & BENCH_FLAG_MULTI_PTR) && (e.flags & BENCH_FLAG_TRUNCATED) ? "," : "",
           (e.flags & BENCH_FLAG_TRUNCATED) ? "\"truncated\"" : "");
    printf(",\"ptr\":[");
    for (unsigned i = 0; i < e.nb_names; i++)
        printf("%s\"%s\"", i ? "," : "", e.names[i].name);
    printf("],\"names\":[");
    for (unsigned i = 0; i < e.nb_names; i++) {
        printf("%s{\"name\":\"%s\",\"status\":\"%s\",\"addrs\":[", i ? "," : "", e.names[i].name,
               e.names[i].status);
        for (unsigned k = 0; k < e.names[i].fwd.nb_addr; k++) {
            struct pkt_addr m = a;
            memcpy(m.bytes, e.names[i].fwd.addr[k], pkt_addr_len(&a));
            char mt[PKT_ADDR_TEXT_MAX];
            if (pkt_addr_format(&m, mt, sizeof(mt)) < 0)
                return 2;
            printf("%s\"%s\"", k ? "," : "", mt);
        }
        printf("]}");
    }
    printf("],\"ptr_rcode\":\"%s\"}\n", e.ptr_rcode);
    return 0;
}

static void sum_counters(struct worker *w, unsigned nb, struct counters *t)
{
    memset(t, 0, sizeof(*t));
    for (unsigned i = 0; i < nb; i++) {
        t->queries += w[i].c.queries;
        t->replies += w[i].c.replies;
        t->rule_drops += w[i].c.rule_drops;
        t->loss_drops += w[i].c.loss_drops;
        t->delayed += w[i].c.delayed;
        t->delay_overflow += w[i].c.delay_overflow;
        t->truncated += w[i].c.truncated;
        t->ignored += w[i].c.ignored;
        t->send_errors += w[i].c.send_errors;
    }
    t->tcp_queries = atomic_load(&tcp_queries);
}

static void write_stats(const struct counters *t, double elapsed)
{
    char line[1024];
    snprintf(line, sizeof(line),
             "{\"queries\":%" PRIu64 ",\"replies\":%" PRIu64 ",\"rule_drops\":%" PRIu64
             ",\"loss_drops\":%" PRIu64 ",\"delayed\":%" PRIu64 ",\"delay_overflow\":%" PRIu64
             ",\"truncated\":%" PRIu64 ",\"ignored\":%" PRIu64 ",\"send_errors\":%" PRIu64
             ",\"tcp_queries\":%" PRIu64 ",\"elapsed_s\":%.3f}\n",
             t->queries, t->replies, t->rule_drops, t->loss_drops, t->delayed, t->delay_overflow,
             t->truncated, t->ignored, t->send_errors, t->tcp_queries, elapsed);
    if (!opt.quiet)
        fprintf(stderr, "responder: %s", line);
    if (opt.stats_file != NULL) {
        FILE *f = fopen(opt.stats_file, "w");
        if (f == NULL || fputs(line, f) < 0 || fclose(f) != 0)
            fprintf(stderr, "responder: cannot write %s: %s\n", opt.stats_file, strerror(errno));
    }
}

int main(int argc, char **argv)
{
    int rc = parse_args(argc, argv);
    if (rc != 0)
        return rc;
    char err[256];
    if (bench_rule_init(&rule, opt.seed, opt.mix, opt.shared_bits, opt.zone, err, sizeof(err)) !=
        0) {
        fprintf(stderr, "responder: %s\n", err);
        return 2;
    }
    if (opt.expect) {
        if (optind >= argc)
            return bad("--expect needs at least one ADDR");
        for (int i = optind; i < argc; i++)
            if ((rc = print_expect(argv[i])) != 0)
                return rc;
        return 0;
    }
    if (optind < argc)
        return bad("unexpected argument");
    struct pkt_addr listen_addr;
    if (pkt_addr_parse(opt.addr, &listen_addr) != 0)
        return bad("--addr is not an address");
    loss_threshold = (uint64_t)(opt.loss_pct / 100.0 * 18446744073709551616.0);
    if (opt.loss_pct >= 100)
        loss_threshold = UINT64_MAX;

    /* Port 0: take a free UDP port and retry until TCP has it too. */
    int ufd0 = -1, lfd = -1;
    unsigned port = opt.port;
    for (int attempt = 0; attempt < 50 && lfd < 0; attempt++) {
        ufd0 = bound_socket(&listen_addr, opt.port, SOCK_DGRAM);
        if (ufd0 < 0) {
            fprintf(stderr, "responder: UDP %s port %u: %s\n", opt.addr, opt.port, strerror(errno));
            return 1;
        }
        port = local_port(ufd0);
        lfd = bound_socket(&listen_addr, port, SOCK_STREAM);
        if (lfd < 0) {
            int e = errno;
            close(ufd0);
            ufd0 = -1;
            if (opt.port != 0) {
                fprintf(stderr, "responder: TCP %s port %u: %s\n", opt.addr, port, strerror(e));
                return 1;
            }
        }
    }
    if (lfd < 0) {
        fprintf(stderr, "responder: no port free for both UDP and TCP\n");
        return 1;
    }

    struct worker *w = calloc(opt.threads, sizeof(*w));
    if (w == NULL) {
        fprintf(stderr, "responder: out of memory\n");
        return 1;
    }
    uint64_t seed_rng;
    if (getrandom(&seed_rng, sizeof(seed_rng), 0) != sizeof(seed_rng))
        seed_rng = mono_ns();
    for (unsigned i = 0; i < opt.threads; i++) {
        w[i].fd = i == 0 ? ufd0 : bound_socket(&listen_addr, port, SOCK_DGRAM);
        w[i].q = calloc(DELAY_CAP, sizeof(*w[i].q));
        w[i].rng = (seed_rng ^ (0x9E3779B97F4A7C15ull * (i + 1))) | 1;
        if (w[i].fd < 0 || w[i].q == NULL) {
            fprintf(stderr, "responder: UDP socket %u on port %u: %s\n", i, port, strerror(errno));
            return 1;
        }
    }

    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    for (unsigned i = 0; i < opt.threads; i++)
        if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0) {
            fprintf(stderr, "responder: cannot start thread %u\n", i);
            return 1;
        }
    pthread_t tcp_th;
    if (pthread_create(&tcp_th, NULL, tcp_main, &lfd) != 0) {
        fprintf(stderr, "responder: cannot start the TCP thread\n");
        return 1;
    }
    uint64_t t0 = mono_ns();
    if (opt.ready_file != NULL) {
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", opt.ready_file);
        FILE *f = fopen(tmp, "w");
        if (f == NULL || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 ||
            rename(tmp, opt.ready_file) != 0) {
            fprintf(stderr, "responder: cannot write %s\n", opt.ready_file);
            stop_flag = 1;
        }
    }
    if (!opt.quiet)
        fprintf(stderr, "responder: %s port %u, %u UDP threads, seed %" PRIu64 "\n", opt.addr, port,
                opt.threads, opt.seed);
    /* Bounded: stop by itself after --max-runtime. */
    while (!stop_flag && (double)(mono_ns() - t0) / 1e9 < opt.max_runtime_s) {
        struct timespec ts = { 0, 50000000 };
        nanosleep(&ts, NULL);
    }
    stop_flag = 1;
    for (unsigned i = 0; i < opt.threads; i++)
        pthread_join(w[i].th, NULL);
    pthread_join(tcp_th, NULL);
    struct counters t;
    sum_counters(w, opt.threads, &t);
    write_stats(&t, (double)(mono_ns() - t0) / 1e9);
    for (unsigned i = 0; i < opt.threads; i++) {
        close(w[i].fd);
        free(w[i].q);
    }
    close(lfd);
    free(w);
    return 0;
}
