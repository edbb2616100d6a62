/* Criterion suite for packet/engine_mem.h: the in-memory engine's rings,
 * queue choice, truncation, full rings and the peer side. */
#include <criterion/criterion.h>
#include <string.h>

#include "packet/engine_mem.h"

static struct pkt_engine *open_mem(unsigned nb_txq, unsigned nb_rxq)
{
    struct pkt_engine_config cfg = { .nb_ports = 64, .nb_txq = nb_txq, .nb_rxq = nb_rxq };
    struct pkt_engine *e = NULL;
    char err[128];
    cr_assert_eq(pkt_engine_mem.open(&cfg, &e, err, sizeof(err)), 0, "%s", err);
    return e;
}

static struct pkt_dgram dgram(uint8_t last, uint16_t peer_port, uint16_t local_port, uint8_t *data,
                              uint16_t len)
{
    struct pkt_dgram d = {
        .peer_port = peer_port, .local_port = local_port, .len = len, .data = data
    };
    d.peer.family = PKT_ADDR_V4;
    d.peer.bytes[0] = 192;
    d.peer.bytes[1] = 0;
    d.peer.bytes[2] = 2;
    d.peer.bytes[3] = last;
    return d;
}

Test(pkt_engine_mem, tx_reaches_the_peer_in_order_from_every_queue)
{
    struct pkt_engine *e = open_mem(2, 1);
    uint8_t a[3] = { 1, 2, 3 }, b[2] = { 9, 8 };
    struct pkt_dgram d0 = dgram(53, 53, 40001, a, 3), d1 = dgram(54, 53, 40002, b, 2);
    cr_assert_eq(pkt_engine_mem.tx_burst(e, 0, &d0, 1), 1);
    cr_assert_eq(pkt_engine_mem.tx_burst(e, 1, &d1, 1), 1);
    static uint8_t buf[8 * PKT_ENGINE_RX_BUF_LEN];
    struct pkt_dgram got[8];
    unsigned n = pkt_engine_mem_peer_recv(e, got, buf, 8);
    cr_assert_eq(n, 2);
    unsigned seen = 0;
    for (unsigned i = 0; i < n; i++) {
        if (got[i].len == 3 && memcmp(got[i].data, a, 3) == 0 && got[i].local_port == 40001)
            seen |= 1;
        if (got[i].len == 2 && memcmp(got[i].data, b, 2) == 0 && got[i].peer.bytes[3] == 54)
            seen |= 2;
    }
    cr_assert_eq(seen, 3);
    cr_assert_eq(pkt_engine_mem_peer_recv(e, got, buf, 8), 0);
    pkt_engine_mem.close(e);
}

Test(pkt_engine_mem, peer_datagrams_arrive_on_the_queue_of_their_port)
{
    struct pkt_engine *e = open_mem(1, 4);
    uint8_t p[4] = { 4, 3, 2, 1 };
    struct pkt_dgram d = dgram(7, 5353, 40006, p, 4); /* 40006 % 4 == 2 */
    cr_assert(pkt_engine_mem_peer_send(e, &d));
    struct pkt_dgram r[4];
    for (unsigned q = 0; q < 4; q++)
        if (q != 2)
            cr_assert_eq(pkt_engine_mem.rx_burst(e, q, r, 4, 0), 0, "queue %u", q);
    cr_assert_eq(pkt_engine_mem.rx_burst(e, 2, r, 4, 0), 1);
    cr_assert_eq(r[0].len, 4);
    cr_assert_eq(memcmp(r[0].data, p, 4), 0);
    cr_assert_eq(r[0].peer_port, 5353);
    cr_assert_eq(r[0].local_port, 40006);
    cr_assert_eq(r[0].peer.bytes[3], 7);
    cr_assert_eq(r[0].truncated, 0);
    /* Released by the next burst, never returned twice. */
    cr_assert_eq(pkt_engine_mem.rx_burst(e, 2, r, 4, 1), 0);
    pkt_engine_mem.close(e);
}

Test(pkt_engine_mem, an_oversized_datagram_arrives_truncated)
{
    struct pkt_engine *e = open_mem(1, 1);
    static uint8_t big[PKT_ENGINE_RX_BUF_LEN + 100];
    memset(big, 0xAB, sizeof(big));
    struct pkt_dgram d = dgram(1, 53, 40000, big, sizeof(big));
    cr_assert(pkt_engine_mem_peer_send(e, &d));
    struct pkt_dgram r;
    cr_assert_eq(pkt_engine_mem.rx_burst(e, 0, &r, 1, 0), 1);
    cr_assert_eq(r.truncated, 1);
    cr_assert_eq(r.len, PKT_ENGINE_RX_BUF_LEN);
    pkt_engine_mem.close(e);
}

Test(pkt_engine_mem, a_full_ring_refuses_and_counts)
{
    struct pkt_engine *e = open_mem(1, 1);
    uint8_t p = 1;
    struct pkt_dgram d = dgram(1, 53, 40000, &p, 1);
    for (unsigned i = 0; i < PKT_ENGINE_MEM_SLOTS; i++)
        cr_assert(pkt_engine_mem_peer_send(e, &d), "slot %u", i);
    cr_assert_not(pkt_engine_mem_peer_send(e, &d));
    cr_assert_eq(pkt_engine_mem.rx_missed(e), 1);
    /* TX: taken up to the ring's size, the rest is the caller's. */
    static struct pkt_dgram many[PKT_ENGINE_MEM_SLOTS + 5];
    for (unsigned i = 0; i < PKT_ENGINE_MEM_SLOTS + 5; i++)
        many[i] = d;
    cr_assert_eq(pkt_engine_mem.tx_burst(e, 0, many, PKT_ENGINE_MEM_SLOTS + 5),
                 PKT_ENGINE_MEM_SLOTS);
    uint16_t ports[128];
    cr_assert_eq(pkt_engine_mem.ports(e, PKT_ADDR_V4, ports, 128), 64);
    cr_assert_eq(ports[0], PKT_ENGINE_MEM_PORT_BASE);
    cr_assert_eq(ports[63], PKT_ENGINE_MEM_PORT_BASE + 63);
    pkt_engine_mem.close(e);
}

Test(pkt_engine_mem, rx_waits_at_most_its_timeout)
{
    struct pkt_engine *e = open_mem(1, 1);
    struct pkt_dgram r;
    cr_assert_eq(pkt_engine_mem.rx_burst(e, 0, &r, 1, 5), 0);
    pkt_engine_mem.close(e);
}
