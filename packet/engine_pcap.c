/*
 * The pcap engine: raw Ethernet frames on one interface without DPDK,
 * libpcap for capture and pcap_inject for transmission.
 *
 * Two pcap handles on the interface, one per thread, so that no libpcap
 * object is shared (libpcap makes no thread-safety promise per handle):
 * - rx (RX thread): captures, in immediate mode with a kernel BPF filter
 *   for frames that can concern us (ARP, IPv4 to our --source, IPv6 to our
 *   --source or its solicited-node group) and inbound direction only; the
 *   same thread answers ARP / neighbour solicitations for our addresses
 *   through it. Nonblocking; rx_burst waits in poll() on its selectable fd.
 * - tx (TX thread): injection only; its filter accepts nothing, so the
 *   kernel never queues a captured frame for it.
 * Frames are classified and built by packet/raw.c, exactly as in the dpdk
 * engine: one template per (family, resolver), the next-hop MAC from
 * --next-hop-mac or resolved by ARP / neighbour discovery in open (resolvers
 * must be on-link, or give a gateway's MAC).
 *
 * Cost: one send() per datagram (pcap_inject) and a copy of each received
 * payload out of libpcap's ring, whose slot is released when the callback
 * returns. This engine is for hosts without DPDK, not for line rate.
 * Privileges: both handles are opened in open, as root (or CAP_NET_RAW);
 * after scan.c drops them the open sockets keep working.
 */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include <pcap/pcap.h>

#include "packet/engine.h"
#include "packet/probes.h"
#include "packet/raw.h"

#define PCAP_SNAPLEN       65535
#define PCAP_RX_BUFFER     (8 << 20) /* kernel ring for captured frames */
#define PCAP_TX_BUFFER     (1 << 16) /* the inject-only handle's (unused) ring */
#define PCAP_RESOLVE_TRIES 3
#define PCAP_RESOLVE_MS    1000
#define PCAP_NB_DROPS      8
#define PCAP_FILTER_MAX    512

struct pkt_engine {
    pcap_t *rx;
    pcap_t *tx;
    int rx_fd;
    bool has_next_hop_mac;
    uint8_t next_hop_mac[6];
    struct pkt_raw_self self;
    char ifname[IF_NAMESIZE];

    /* TX thread (the peer table is filled in open; with --next-hop-mac the
     * TX thread adds new destinations). */
    alignas(64) uint64_t tx_errors; /* relaxed stores; any thread reads */
    uint16_t ip_id;
    struct pkt_raw_peers peers;
    uint8_t tx_frame[PKT_RAW_HDR_MAX + PKT_ENGINE_RX_BUF_LEN];
    struct pkt_probes *probes; /* what TX sent, for ICMP errors (any thread) */

    /* RX thread (main thread during open), incl. pcap_dispatch's context. */
    alignas(64) uint64_t drops[PCAP_NB_DROPS]; /* relaxed stores; any thread reads */
    uint64_t icmp[2]; /* unreachables quoting a probe of ours / not (engine.h icmp_errors) */
    struct pkt_dgram *cb_d;
    unsigned cb_got;
    unsigned cb_resolved;
    bool cb_learn;
    uint8_t reply[PKT_RAW_CTRL_MAX];
    uint8_t rx_buf[PKT_ENGINE_BURST_MAX][PKT_ENGINE_RX_BUF_LEN];
};

/* Single writer, relaxed: the stats thread only needs eventual values. */
static void count(uint64_t *c, uint64_t n)
{
    __atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t err_len, int rc,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    return rc;
}

static void pcap_engine_close(struct pkt_engine *e)
{
    if (e == NULL)
        return;
    if (e->rx != NULL)
        pcap_close(e->rx);
    if (e->tx != NULL)
        pcap_close(e->tx);
    pkt_probes_free(e->probes);
    free(e);
}

/* ---- RX -------------------------------------------------------------------- */

/* pcap_dispatch callback: one captured frame, valid only during the call. */
static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct pkt_engine *e = (struct pkt_engine *)user;
    struct pkt_raw_rx rx;
    int kind = pkt_raw_classify(bytes, h->caplen, &e->self, &rx, e->reply, sizeof(e->reply));
    if (kind < 0) {
        if (kind >= -PCAP_NB_DROPS)
            count(&e->drops[-kind - 1], 1);
        return;
    }
    if (kind == PKT_RAW_UDP) {
        if (e->cb_d == NULL)
            return; /* open: datagrams are nobody's yet */
        struct pkt_dgram *d = &e->cb_d[e->cb_got];
        uint8_t *buf = e->rx_buf[e->cb_got];
        size_t n = rx.payload_len;
        d->truncated = n > PKT_ENGINE_RX_BUF_LEN;
        if (d->truncated)
            n = PKT_ENGINE_RX_BUF_LEN;
        memcpy(buf, rx.payload, n);
        d->peer = rx.src;
        d->peer_port = rx.src_port;
        d->local_port = rx.dst_port;
        d->len = (uint16_t)n;
        d->data = buf;
        e->cb_got++;
        return;
    }
    if (kind == PKT_RAW_ICMP_UNREACH) {
        bool ours = pkt_probes_sent(e->probes, &rx.quoted_dst, rx.quoted_dst_port,
                                    rx.quoted_src_port, rx.quoted_payload, rx.quoted_payload_len);
        count(&e->icmp[ours ? 0 : 1], 1);
    }
    if ((kind == PKT_RAW_ARP_REQUEST || kind == PKT_RAW_NDP_SOLICIT) && rx.reply_len > 0)
        (void)pcap_inject(e->rx, e->reply, rx.reply_len);
    if (e->cb_learn)
        e->cb_resolved += (unsigned)pkt_raw_peers_learn(&e->peers, &e->self, &rx);
}

/* Read what is queued now, up to nb frames; returns the frames seen (< 0:
 * a pcap error). Datagrams land in e->cb_d[e->cb_got...]. */
static int rx_dispatch(struct pkt_engine *e, unsigned nb)
{
    return pcap_dispatch(e->rx, (int)nb, on_frame, (u_char *)e);
}

static unsigned pcap_engine_rx_burst(struct pkt_engine *e, unsigned q, struct pkt_dgram *d,
                                     unsigned nb, int timeout_ms)
{
    (void)q; /* one queue */
    if (nb > PKT_ENGINE_BURST_MAX)
        nb = PKT_ENGINE_BURST_MAX;
    e->cb_d = d;
    e->cb_got = 0;
    e->cb_learn = false;
    uint64_t deadline = 0;
    for (;;) {
        int frames = rx_dispatch(e, nb - e->cb_got);
        if (e->cb_got > 0 || timeout_ms <= 0 || frames < 0)
            break;
        uint64_t now = mono_ms();
        if (deadline == 0)
            deadline = now + (uint64_t)timeout_ms;
        else if (now >= deadline)
            break;
        if (frames == 0) {
            struct pollfd p = { .fd = e->rx_fd, .events = POLLIN };
            if (poll(&p, 1, (int)(deadline - now)) == 0)
                break;
        }
    }
    e->cb_d = NULL;
    return e->cb_got;
}

/* ---- TX -------------------------------------------------------------------- */

static unsigned pcap_engine_tx_burst(struct pkt_engine *e, unsigned q, const struct pkt_dgram *d,
                                     unsigned nb)
{
    (void)q; /* one queue */
    if (nb > PKT_ENGINE_BURST_MAX)
        nb = PKT_ENGINE_BURST_MAX;
    uint16_t now = pkt_probes_now();
    for (unsigned i = 0; i < nb; i++) {
        const struct pkt_dgram *g = &d[i];
        struct pkt_raw_peer *peer = pkt_raw_peers_find(&e->peers, &g->peer);
        if (peer == NULL && e->has_next_hop_mac) {
            peer = pkt_raw_peers_add(&e->peers, &g->peer);
            if (peer != NULL && pkt_raw_peer_set_mac(peer, &e->self, e->next_hop_mac) != 0)
                peer = NULL;
        }
        if (peer == NULL || !peer->resolved || g->len > PKT_ENGINE_RX_BUF_LEN) {
            count(&e->tx_errors, 1);
            continue;
        }
        pkt_probes_note(e->probes, now, &g->peer, g->peer_port, g->local_port, g->data, g->len);
        size_t n = pkt_raw_tmpl_write(&peer->tmpl, e->tx_frame, g->local_port, g->peer_port,
                                      e->ip_id++, g->data, g->len);
        if (pcap_inject(e->tx, e->tx_frame, n) < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR)
                return i; /* socket buffer full: the caller retries the rest */
            count(&e->tx_errors, 1);
        }
    }
    return nb;
}

/* ---- open ------------------------------------------------------------------ */

static int handle_open(const char *ifname, int snaplen, int buffer, pcap_t **out, char *err,
                       size_t err_len)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(ifname, perr);
    if (p == NULL)
        return fail(err, err_len, -ENODEV, "pcap engine: %s: %s", ifname, perr);
    int rc = 0;
    if (pcap_set_snaplen(p, snaplen) != 0 || pcap_set_promisc(p, 0) != 0 ||
        pcap_set_immediate_mode(p, 1) != 0 || pcap_set_buffer_size(p, buffer) != 0)
        rc = fail(err, err_len, -EINVAL, "pcap engine: %s: cannot set capture options", ifname);
    if (rc == 0) {
        int a = pcap_activate(p);
        if (a < 0)
            rc = fail(err, err_len, a == PCAP_ERROR_PERM_DENIED ? -EPERM : -ENODEV,
                      "pcap engine: %s: %s (%s)", ifname, pcap_statustostr(a), pcap_geterr(p));
    }
    if (rc == 0 && pcap_datalink(p) != DLT_EN10MB)
        rc = fail(err, err_len, -EINVAL, "pcap engine: %s is not an Ethernet interface", ifname);
    if (rc != 0) {
        pcap_close(p);
        return rc;
    }
    *out = p;
    return 0;
}

static int set_filter(pcap_t *p, const char *ifname, const char *expr, char *err, size_t err_len)
{
    struct bpf_program prog;
    if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0)
        return fail(err, err_len, -EINVAL, "pcap engine: %s: filter \"%s\": %s", ifname, expr,
                    pcap_geterr(p));
    int rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc != 0)
        return fail(err, err_len, -EINVAL, "pcap engine: %s: cannot set the filter: %s", ifname,
                    pcap_geterr(p));
    return 0;
}

/* The kernel filter: what pkt_raw_classify may want, nothing else. */
static int rx_filter(const struct pkt_engine *e, char *buf, size_t cap)
{
    char a4[PKT_ADDR_TEXT_MAX], a6[PKT_ADDR_TEXT_MAX], sn[PKT_ADDR_TEXT_MAX];
    int n = 0;
    if (e->self.v4.family == PKT_ADDR_V4) {
        pkt_addr_format(&e->self.v4, a4, sizeof(a4));
        n = snprintf(buf, cap, "arp or (ip and dst host %s)", a4);
    }
    if (e->self.v6.family == PKT_ADDR_V6) {
        struct pkt_addr group = { .family = PKT_ADDR_V6,
                                  .bytes = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff } };
        memcpy(group.bytes + 13, e->self.v6.bytes + 13, 3);
        pkt_addr_format(&e->self.v6, a6, sizeof(a6));
        pkt_addr_format(&group, sn, sizeof(sn));
        n += snprintf(buf + n, cap - (size_t)n, "%s(ip6 and (dst host %s or dst host %s))",
                      n > 0 ? " or " : "", a6, sn);
    }
    return n > 0 && (size_t)n < cap ? 0 : -ENAMETOOLONG;
}

static int interface_mac(struct pkt_engine *e, char *err, size_t err_len)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", e->ifname);
    if (ioctl(pcap_fileno(e->rx), SIOCGIFHWADDR, &ifr) != 0)
        return fail(err, err_len, -errno, "pcap engine: %s: no hardware address: %s", e->ifname,
                    strerror(errno));
    if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
        return fail(err, err_len, -EINVAL, "pcap engine: %s is not an Ethernet interface",
                    e->ifname);
    memcpy(e->self.mac, ifr.ifr_hwaddr.sa_data, 6);
    return 0;
}

/*
 * Learn every peer's MAC: a few rounds of ARP requests / neighbour
 * solicitations, each followed by a bounded wait in which replies are
 * applied and requests for our own addresses answered. Main thread.
 */
static int resolve_peers(struct pkt_engine *e, char *err, size_t err_len)
{
    unsigned left = pkt_raw_peers_unresolved(&e->peers);
    e->cb_d = NULL;
    e->cb_learn = true;
    for (unsigned round = 0; round < PCAP_RESOLVE_TRIES && left > 0; round++) {
        for (unsigned i = 0; i < e->peers.nb; i++) {
            const struct pkt_raw_peer *p = &e->peers.peer[i];
            uint8_t frame[PKT_RAW_CTRL_MAX];
            int n =
                p->resolved ? -1 : pkt_raw_solicit_build(frame, sizeof(frame), &e->self, &p->addr);
            if (n > 0 && pcap_inject(e->rx, frame, (size_t)n) < 0)
                return fail(err, err_len, -EIO, "pcap engine: %s: cannot send: %s", e->ifname,
                            pcap_geterr(e->rx));
        }
        uint64_t deadline = mono_ms() + PCAP_RESOLVE_MS;
        for (uint64_t now = mono_ms(); left > 0 && now < deadline; now = mono_ms()) {
            e->cb_resolved = 0;
            int frames = rx_dispatch(e, PKT_ENGINE_BURST_MAX);
            left -= e->cb_resolved;
            if (frames == 0) {
                struct pollfd pf = { .fd = e->rx_fd, .events = POLLIN };
                (void)poll(&pf, 1, (int)(deadline - now));
            }
        }
    }
    e->cb_learn = false;
    if (left == 0)
        return 0;
    char where[96];
    snprintf(where, sizeof(where), "pcap engine on %s", e->ifname);
    pkt_raw_peers_unresolved_error(&e->peers, where, PCAP_RESOLVE_TRIES,
                                   PCAP_RESOLVE_TRIES * PCAP_RESOLVE_MS / 1000, err, err_len);
    return -EHOSTUNREACH;
}

static int peers_setup(struct pkt_engine *e, const struct pkt_engine_config *cfg, char *err,
                       size_t err_len)
{
    char why[192];
    if (pkt_raw_peers_setup(&e->peers, &e->self, cfg->peers, cfg->nb_peers,
                            e->has_next_hop_mac ? e->next_hop_mac : NULL, why, sizeof(why)) != 0)
        return fail(err, err_len, -EINVAL, "pcap engine: %s", why);
    return e->has_next_hop_mac ? 0 : resolve_peers(e, err, err_len);
}

static int handles_setup(struct pkt_engine *e, char *err, size_t err_len)
{
    int rc = handle_open(e->ifname, PCAP_SNAPLEN, PCAP_RX_BUFFER, &e->rx, err, err_len);
    if (rc == 0)
        rc = handle_open(e->ifname, 64, PCAP_TX_BUFFER, &e->tx, err, err_len);
    if (rc != 0)
        return rc;
    char perr[PCAP_ERRBUF_SIZE];
    if (pcap_setnonblock(e->rx, 1, perr) != 0)
        return fail(err, err_len, -EINVAL, "pcap engine: %s: %s", e->ifname, perr);
    e->rx_fd = pcap_get_selectable_fd(e->rx);
    if (e->rx_fd < 0)
        return fail(err, err_len, -EINVAL, "pcap engine: %s: no selectable descriptor", e->ifname);
    /* Our own frames are never replies; the kernel can skip them where it
     * supports a direction. */
    (void)pcap_setdirection(e->rx, PCAP_D_IN);
    rc = interface_mac(e, err, err_len);
    if (rc != 0)
        return rc;
    char expr[PCAP_FILTER_MAX];
    if (rx_filter(e, expr, sizeof(expr)) != 0)
        return fail(err, err_len, -EINVAL, "pcap engine: %s", "no --source address");
    rc = set_filter(e->rx, e->ifname, expr, err, err_len);
    if (rc == 0)
        rc = set_filter(e->tx, e->ifname, "less 1", err, err_len); /* no frame is that short */
    return rc;
}

static int pcap_engine_open(const struct pkt_engine_config *cfg, struct pkt_engine **out, char *err,
                            size_t err_len)
{
    if (cfg->interface == NULL || cfg->interface[0] == '\0')
        return fail(err, err_len, -EINVAL, "pcap engine: %s", "--interface is required");
    /* One capture handle and one injecting handle: a second queue would
     * need a second capture with a fanout group, which libpcap does not
     * offer; for several queues use the dpdk engine (net_af_packet). */
    if (cfg->nb_txq > 1 || cfg->nb_rxq > 1)
        return fail(err, err_len, -EINVAL, "pcap engine: %s",
                    "one TX and one RX queue only (use --engine dpdk for more)");
    if (strlen(cfg->interface) >= IF_NAMESIZE)
        return fail(err, err_len, -EINVAL, "pcap engine: interface name too long: %s",
                    cfg->interface);
    struct pkt_addr v4, v6;
    if (!pkt_engine_sources(cfg, &v4, &v6))
        return fail(err, err_len, -EINVAL, "pcap engine: %s",
                    "each family scanned needs its --source address");
    struct pkt_engine *e = aligned_alloc(64, sizeof(*e));
    if (e == NULL)
        return fail(err, err_len, -ENOMEM, "pcap engine: %s", "out of memory");
    memset(e, 0, sizeof(*e));
    e->rx_fd = -1;
    snprintf(e->ifname, sizeof(e->ifname), "%s", cfg->interface);
    e->self.v4 = v4;
    e->self.v6 = v6;
    e->has_next_hop_mac = cfg->has_next_hop_mac;
    memcpy(e->next_hop_mac, cfg->next_hop_mac, 6);

    int rc = pkt_probes_new(&e->probes);
    if (rc != 0)
        fail(err, err_len, rc, "pcap engine: cannot make the probe table (%s)", strerror(-rc));
    if (rc == 0)
        rc = handles_setup(e, err, err_len);
    if (rc == 0)
        rc = peers_setup(e, cfg, err, err_len);
    if (rc != 0) {
        pcap_engine_close(e);
        return rc;
    }
    *out = e;
    return 0;
}

static uint64_t pcap_engine_tx_errors(const struct pkt_engine *e)
{
    return __atomic_load_n(&e->tx_errors, __ATOMIC_RELAXED);
}

/* What the capture ring dropped (ps_drop) and the interface (ps_ifdrop). */
static uint64_t pcap_engine_rx_missed(const struct pkt_engine *e)
{
    struct pcap_stat st;
    if (e->rx == NULL || pcap_stats(e->rx, &st) != 0)
        return 0;
    return (uint64_t)st.ps_drop + st.ps_ifdrop;
}

static void pcap_engine_rx_drops(const struct pkt_engine *e, uint64_t out[8])
{
    for (unsigned i = 0; i < PCAP_NB_DROPS; i++)
        out[i] = __atomic_load_n(&e->drops[i], __ATOMIC_RELAXED);
}

static void pcap_engine_icmp_errors(const struct pkt_engine *e, uint64_t out[2])
{
    for (unsigned k = 0; k < 2; k++)
        out[k] = __atomic_load_n(&e->icmp[k], __ATOMIC_RELAXED);
}

const struct pkt_engine_ops pkt_engine_pcap = {
    .name = "pcap",
    .open = pcap_engine_open,
    .tx_burst = pcap_engine_tx_burst,
    .rx_burst = pcap_engine_rx_burst,
    .ports = pkt_engine_ports_any,
    .tx_errors = pcap_engine_tx_errors,
    .rx_drops = pcap_engine_rx_drops,
    .rx_missed = pcap_engine_rx_missed,
    .icmp_errors = pcap_engine_icmp_errors,
    .close = pcap_engine_close,
};
