/*
 * tests/packet/test_engine_socket.c - the socket engine on loopback: ICMP
 * destination-unreachable messages about our datagrams (docs/test-cases.md
 * M13) are counted as quoting a probe we sent or not, and sending goes on
 * after one (the kernel reports a socket's pending ICMP error on the next
 * send, which the engine must not take for a failure of that datagram).
 *
 * A port with nothing bound to it makes the kernel answer with a genuine
 * port unreachable; forged ones go out through a raw ICMP socket (root).
 * Loopback has no per-peer ICMP rate limit and these tests stay far below
 * the global one (a burst of 50).
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "packet/dns.h"
#include "packet/engine.h"
#include "packet/frame.h"
#include "packet/probes.h"

/* The rest of this test in a network namespace of its own (root; else the
 * host's): the kernel's ICMP budget (1,000 a second, bursts of 50) and its
 * free ports are then ours alone; the limits are lifted there. */
static void own_netns(void)
{
    if (geteuid() != 0)
        return;
    cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %s", strerror(errno));
    cr_assert_eq(system("ip link set lo up"), 0);
    static const char *const knobs[2][2] = { { "/proc/sys/net/ipv4/icmp_ratemask", "0\n" },
                                             { "/proc/sys/net/ipv6/icmp/ratemask", "\n" } };
    for (unsigned k = 0; k < 2; k++) {
        FILE *f = fopen(knobs[k][0], "w");
        if (f != NULL) {
            fputs(knobs[k][1], f);
            fclose(f);
        }
    }
}

static struct pkt_addr addr(const char *text)
{
    struct pkt_addr a;
    cr_assert_eq(pkt_addr_parse(text, &a), 0, "%s", text);
    return a;
}

static struct pkt_engine *open_socket(bool v4, bool v6)
{
    struct pkt_engine_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.nb_ports = 4;
    cfg.want_v4 = v4;
    cfg.want_v6 = v6;
    struct pkt_engine *e = NULL;
    char err[256] = "";
    cr_assert_eq(pkt_engine_socket.open(&cfg, &e, err, sizeof(err)), 0, "open: %s", err);
    return e;
}

/* A UDP port nobody listens on (bound once, then closed). */
static uint16_t closed_port(int af)
{
    int fd = socket(af, SOCK_DGRAM, 0);
    cr_assert_geq(fd, 0);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    ss.ss_family = (sa_family_t)af;
    socklen_t sl = af == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    cr_assert_eq(bind(fd, (struct sockaddr *)&ss, sl), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
    close(fd);
    return ntohs(af == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                : ((struct sockaddr_in *)&ss)->sin_port);
}

/* A PTR query with id into buf; returns its length. */
static uint16_t query(uint8_t *buf, uint16_t id)
{
    uint8_t qname[PKT_DNS_NAME_MAX];
    int qlen = pkt_dns_name_from_text("1.2.0.192.in-addr.arpa", qname, sizeof(qname));
    cr_assert_gt(qlen, 0);
    struct pkt_dns_query q = {
        .qname = qname, .qname_len = (uint8_t)qlen, .qtype = PKT_DNS_TYPE_PTR, .id = id, .rd = true
    };
    int len = pkt_dns_query_build(buf, PKT_DNS_QUERY_MAX, &q);
    cr_assert_gt(len, 0);
    return (uint16_t)len;
}

/* Call rx_burst until icmp_errors reaches want (in total) or 2 s passed;
 * returns the datagrams received meanwhile. */
static unsigned pump(struct pkt_engine *e, uint64_t want, uint64_t ic[2])
{
    unsigned got = 0;
    for (int i = 0; i < 200; i++) {
        struct pkt_dgram d[8];
        got += pkt_engine_socket.rx_burst(e, 0, d, 8, 10);
        pkt_engine_socket.icmp_errors(e, ic);
        if (ic[0] + ic[1] >= want)
            break;
    }
    return got;
}

static void unreachable_counted(const char *peer_text, int af)
{
    own_netns();
    bool v6 = af == AF_INET6;
    struct pkt_engine *e = open_socket(!v6, v6);
    uint16_t ports[8];
    cr_assert_eq(pkt_engine_socket.ports(e, v6 ? PKT_ADDR_V6 : PKT_ADDR_V4, ports, 8), 4);
    uint16_t dead = closed_port(af);
    uint8_t buf[3][PKT_DNS_QUERY_MAX];
    struct pkt_dgram d[3];
    /* One at a time from one socket: each send after the first finds the
     * previous one's error pending. */
    for (unsigned k = 0; k < 3; k++) {
        d[k] = (struct pkt_dgram){ .peer = addr(peer_text),
                                   .peer_port = dead,
                                   .local_port = ports[0],
                                   .len = query(buf[k], (uint16_t)(0x1000 + k)),
                                   .data = buf[k] };
        cr_assert_eq(pkt_engine_socket.tx_burst(e, 0, &d[k], 1), 1);
        struct timespec ts = { 0, 20000000 };
        nanosleep(&ts, NULL);
    }
    uint64_t ic[2];
    cr_assert_eq(pump(e, 3, ic), 0, "no datagram: only errors");
    cr_assert_eq(pkt_engine_socket.tx_errors(e), 0, "a past error is no send error");
    cr_assert_eq(ic[0], 3, "every datagram left and its port unreachable was counted (%llu)",
                 (unsigned long long)ic[0]);
    cr_assert_eq(ic[1], 0);
    pkt_engine_socket.close(e);
}

Test(pkt_engine_socket, ipv4_port_unreachable_quoting_our_query_is_counted, .timeout = 30)
{
    unreachable_counted("127.0.0.1", AF_INET);
}

Test(pkt_engine_socket, ipv6_port_unreachable_quoting_our_query_is_counted, .timeout = 30)
{
    own_netns();
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 lo = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&lo, sizeof(lo)) == 0;
    if (fd >= 0)
        close(fd);
    if (!ok)
        cr_skip_test("no IPv6 loopback here");
    unreachable_counted("::1", AF_INET6);
}

/* After the error, a real reply still arrives on the same socket. */
Test(pkt_engine_socket, replies_flow_after_an_icmp_error, .timeout = 30)
{
    own_netns();
    struct pkt_engine *e = open_socket(true, false);
    uint16_t ports[8];
    cr_assert_eq(pkt_engine_socket.ports(e, PKT_ADDR_V4, ports, 8), 4);
    int peer = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in pa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t pl = sizeof(pa);
    cr_assert_eq(bind(peer, (struct sockaddr *)&pa, sizeof(pa)), 0);
    cr_assert_eq(getsockname(peer, (struct sockaddr *)&pa, &pl), 0);
    uint8_t buf[2][PKT_DNS_QUERY_MAX];
    struct pkt_dgram d[2] = {
        { .peer = addr("127.0.0.1"), .peer_port = closed_port(AF_INET), .local_port = ports[1] },
        { .peer = addr("127.0.0.1"), .peer_port = ntohs(pa.sin_port), .local_port = ports[1] },
    };
    for (unsigned k = 0; k < 2; k++) {
        d[k].len = query(buf[k], (uint16_t)(0x2000 + k));
        d[k].data = buf[k];
    }
    cr_assert_eq(pkt_engine_socket.tx_burst(e, 0, &d[0], 1), 1);
    cr_assert_eq(pkt_engine_socket.tx_burst(e, 0, &d[1], 1), 1);
    uint8_t q[512];
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    ssize_t n = recvfrom(peer, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
    cr_assert_eq(n, d[1].len, "the query after the error left");
    cr_assert_eq(sendto(peer, q, (size_t)n, 0, (struct sockaddr *)&from, fl), n);
    uint64_t ic[2];
    unsigned got = 0;
    for (int i = 0; i < 200 && got == 0; i++) {
        struct pkt_dgram r[4];
        got = pkt_engine_socket.rx_burst(e, 0, r, 4, 10);
    }
    cr_assert_eq(got, 1, "the reply after the error is received");
    pump(e, 1, ic);
    cr_assert_eq(ic[0], 1);
    close(peer);
    pkt_engine_socket.close(e);
}

/*
 * A forged port unreachable (IPv4, through a raw ICMP socket) quoting one
 * of our ports and the destination we asked, but an ID we never sent:
 * ignored (counted unmatched). The same with the ID we did send counts as
 * quoting our probe: what decides is the quote, as for a reply.
 */
static void send_forged(uint16_t our_port, uint16_t peer_port, uint16_t id)
{
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    cr_assert_geq(fd, 0, "raw ICMP socket");
    uint8_t m[8 + 20 + 8 + 12];
    memset(m, 0, sizeof(m));
    m[0] = 3; /* destination unreachable */
    m[1] = 3; /* port unreachable */
    uint8_t *ip = m + 8;
    ip[0] = 0x45;
    ip[3] = 20 + 8 + 12;
    ip[8] = 64;
    ip[9] = PKT_IPPROTO_UDP;
    const uint8_t lo[4] = { 127, 0, 0, 1 };
    memcpy(ip + 12, lo, 4);
    memcpy(ip + 16, lo, 4);
    uint16_t sum = pkt_csum_fold(pkt_csum_partial(ip, 20, 0));
    ip[10] = (uint8_t)(sum >> 8);
    ip[11] = (uint8_t)sum;
    uint8_t *udp = ip + 20;
    udp[0] = (uint8_t)(our_port >> 8);
    udp[1] = (uint8_t)our_port;
    udp[2] = (uint8_t)(peer_port >> 8);
    udp[3] = (uint8_t)peer_port;
    udp[5] = 8 + 12;
    udp[8] = (uint8_t)(id >> 8);
    udp[9] = (uint8_t)id;
    sum = pkt_csum_fold(pkt_csum_partial(m, sizeof(m), 0));
    m[2] = (uint8_t)(sum >> 8);
    m[3] = (uint8_t)sum;
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    cr_assert_eq(sendto(fd, m, sizeof(m), 0, (struct sockaddr *)&to, sizeof(to)),
                 (ssize_t)sizeof(m));
    close(fd);
}

Test(pkt_engine_socket, forged_unreachable_not_quoting_our_query_is_ignored, .timeout = 30)
{
    if (geteuid() != 0)
        cr_skip_test("forging ICMP needs a raw socket (root)");
    own_netns();
    struct pkt_engine *e = open_socket(true, false);
    uint16_t ports[8];
    cr_assert_eq(pkt_engine_socket.ports(e, PKT_ADDR_V4, ports, 8), 4);
    /* A listener, so our query draws no genuine ICMP error. */
    int peer = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in pa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t pl = sizeof(pa);
    cr_assert_eq(bind(peer, (struct sockaddr *)&pa, sizeof(pa)), 0);
    cr_assert_eq(getsockname(peer, (struct sockaddr *)&pa, &pl), 0);
    uint16_t peer_port = ntohs(pa.sin_port);
    uint8_t buf[PKT_DNS_QUERY_MAX];
    struct pkt_dgram d = { .peer = addr("127.0.0.1"),
                           .peer_port = peer_port,
                           .local_port = ports[2],
                           .len = query(buf, 0x4242),
                           .data = buf };
    cr_assert_eq(pkt_engine_socket.tx_burst(e, 0, &d, 1), 1);
    send_forged(ports[2], peer_port, 0xBEEF);     /* an ID we never sent */
    send_forged(ports[2], peer_port ^ 1, 0x4242); /* another destination port */
    uint64_t ic[2];
    pump(e, 2, ic);
    cr_assert_eq(ic[1], 2, "forged errors seen and set aside (%llu)", (unsigned long long)ic[1]);
    cr_assert_eq(ic[0], 0, "none taken for ours");
    send_forged(ports[2], peer_port, 0x4242); /* quotes exactly what we sent */
    pump(e, 3, ic);
    cr_assert_eq(ic[0], 1);
    cr_assert_eq(ic[1], 2);
    close(peer);
    pkt_engine_socket.close(e);
}

/* ---- the probe table -------------------------------------------------------- */

Test(pkt_probes, remembers_what_was_noted_and_nothing_else)
{
    struct pkt_probes *p = NULL;
    cr_assert_eq(pkt_probes_new(&p), 0);
    struct pkt_addr a = addr("192.0.2.53"), b = addr("2001:db8::53");
    const uint8_t id[2] = { 0x12, 0x34 }, other[2] = { 0x12, 0x35 };
    pkt_probes_note(p, pkt_probes_now(), &a, 53, 40000, id, 2);
    pkt_probes_note(p, pkt_probes_now(), &b, 53, 40001, id, 2);
    cr_assert(pkt_probes_sent(p, &a, 53, 40000, id, 2));
    cr_assert(pkt_probes_sent(p, &b, 53, 40001, id, 2));
    cr_assert_not(pkt_probes_sent(p, &a, 53, 40000, other, 2), "another ID");
    cr_assert_not(pkt_probes_sent(p, &a, 54, 40000, id, 2), "another destination port");
    cr_assert_not(pkt_probes_sent(p, &a, 53, 40001, id, 2), "another source port");
    cr_assert_not(pkt_probes_sent(p, &b, 53, 40000, id, 2), "another destination");
    cr_assert_not(pkt_probes_sent(p, &a, 53, 40000, id, 1), "a quote too short to tell");
    pkt_probes_free(p);
    pkt_probes_free(NULL);
}

/* A probe outlives many later ones: each new probe takes the older of its
 * two slots, so 20,000 later probes (a second at 20k queries/s) cost about
 * 1000 * (20000 / 262144)^2 = 6 of 1,000 earlier ones (more than 20: 1e-6),
 * where a direct-mapped table of the same size forgets about 76. */
Test(pkt_probes, earlier_probes_survive_later_ones)
{
    struct pkt_probes *p = NULL;
    cr_assert_eq(pkt_probes_new(&p), 0);
    struct pkt_addr a = addr("192.0.2.53"), b = addr("198.51.100.53");
    for (unsigned i = 0; i < 1000; i++) {
        uint8_t id[2] = { (uint8_t)(i >> 8), (uint8_t)i };
        pkt_probes_note(p, 100, &a, 53, (uint16_t)(1024 + i % 64), id, 2);
    }
    for (unsigned i = 0; i < 20000; i++) {
        uint8_t id[2] = { (uint8_t)(i >> 8), (uint8_t)i };
        pkt_probes_note(p, (uint16_t)(101 + i / 1000), &b, 53, (uint16_t)(1024 + i % 1000), id, 2);
    }
    unsigned lost = 0;
    for (unsigned i = 0; i < 1000; i++) {
        uint8_t id[2] = { (uint8_t)(i >> 8), (uint8_t)i };
        lost += !pkt_probes_sent(p, &a, 53, (uint16_t)(1024 + i % 64), id, 2);
    }
    cr_assert_leq(lost, 20, "%u of 1000 earlier probes forgotten", lost);
    pkt_probes_free(p);
}
