/*
 * packet/engine_mem.c - the in-memory engine (engine_mem.h).
 *
 * Each ring is single-producer single-consumer on the scan's side: TX ring
 * q has TX worker q as its producer, RX ring q has RX worker q as its
 * consumer. The peer's side of every ring is serialised by one mutex, so
 * several peer threads may send and receive.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "packet/dns.h"
#include "packet/engine_mem.h"

#define TX_DATA_MAX 512u
_Static_assert(TX_DATA_MAX >= PKT_DNS_QUERY_MAX, "a query fits a TX slot");

struct slot_meta {
    struct pkt_addr peer;
    uint16_t peer_port;
    uint16_t local_port;
    uint16_t len;
    uint8_t truncated;
};

struct ring {
    struct slot_meta *meta;
    uint8_t *data; /* slots * data_len */
    size_t data_len;
    _Alignas(64) _Atomic size_t head; /* consumer */
    _Alignas(64) _Atomic size_t tail; /* producer */
};

struct pkt_engine {
    struct ring tx[PKT_ENGINE_TXQ_MAX];
    struct ring rx[PKT_ENGINE_RXQ_MAX];
    unsigned nb_txq, nb_rxq;
    uint16_t ports[PKT_ENGINE_PORTS_MAX];
    unsigned nb_ports;
    pthread_mutex_t peer_lock;
    unsigned next_tx;                     /* the peer's round-robin over TX rings */
    unsigned rx_held[PKT_ENGINE_RXQ_MAX]; /* slots of the last burst, RX worker q's */
    _Atomic uint64_t missed;
};

static int ring_init(struct ring *r, size_t data_len)
{
    r->meta = calloc(PKT_ENGINE_MEM_SLOTS, sizeof(r->meta[0]));
    r->data = malloc((size_t)PKT_ENGINE_MEM_SLOTS * data_len);
    r->data_len = data_len;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return r->meta != NULL && r->data != NULL ? 0 : -ENOMEM;
}

static void ring_fini(struct ring *r)
{
    free(r->meta);
    free(r->data);
}

/* Producer: one datagram in; false when full. */
static bool ring_put(struct ring *r, const struct pkt_dgram *d)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (tail - atomic_load_explicit(&r->head, memory_order_acquire) == PKT_ENGINE_MEM_SLOTS)
        return false;
    size_t i = tail % PKT_ENGINE_MEM_SLOTS;
    size_t len = d->len < r->data_len ? d->len : r->data_len;
    r->meta[i] = (struct slot_meta){ .peer = d->peer,
                                     .peer_port = d->peer_port,
                                     .local_port = d->local_port,
                                     .len = (uint16_t)len,
                                     .truncated = d->len > r->data_len };
    memcpy(r->data + i * r->data_len, d->data, len);
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
    return true;
}

/* Consumer: the oldest datagram, its data pointing into the ring (valid
 * until the slot is released with ring_release). False when empty. */
static bool ring_peek(struct ring *r, size_t at, struct pkt_dgram *d)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed) + at;
    if (head == atomic_load_explicit(&r->tail, memory_order_acquire))
        return false;
    size_t i = head % PKT_ENGINE_MEM_SLOTS;
    const struct slot_meta *m = &r->meta[i];
    *d = (struct pkt_dgram){ .peer = m->peer,
                             .peer_port = m->peer_port,
                             .local_port = m->local_port,
                             .len = m->len,
                             .truncated = m->truncated,
                             .data = r->data + i * r->data_len };
    return true;
}

static void ring_release(struct ring *r, size_t n)
{
    atomic_store_explicit(&r->head, atomic_load_explicit(&r->head, memory_order_relaxed) + n,
                          memory_order_release);
}

static void mem_close(struct pkt_engine *e)
{
    if (e == NULL)
        return;
    for (unsigned q = 0; q < PKT_ENGINE_TXQ_MAX; q++)
        ring_fini(&e->tx[q]);
    for (unsigned q = 0; q < PKT_ENGINE_RXQ_MAX; q++)
        ring_fini(&e->rx[q]);
    pthread_mutex_destroy(&e->peer_lock);
    free(e);
}

static int mem_open(const struct pkt_engine_config *cfg, struct pkt_engine **out, char *err,
                    size_t err_len)
{
    unsigned nb_txq = cfg->nb_txq > 0 ? cfg->nb_txq : 1;
    unsigned nb_rxq = cfg->nb_rxq > 0 ? cfg->nb_rxq : 1;
    unsigned nb_ports = cfg->nb_ports > 0 ? cfg->nb_ports : 64;
    if (nb_txq > PKT_ENGINE_TXQ_MAX || nb_rxq > PKT_ENGINE_RXQ_MAX ||
        nb_ports > PKT_ENGINE_PORTS_MAX) {
        snprintf(err, err_len, "mem engine: too many queues or ports");
        return -EINVAL;
    }
    struct pkt_engine *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        snprintf(err, err_len, "mem engine: out of memory");
        return -ENOMEM;
    }
    pthread_mutex_init(&e->peer_lock, NULL);
    e->nb_txq = nb_txq;
    e->nb_rxq = nb_rxq;
    int rc = 0;
    for (unsigned q = 0; q < nb_txq && rc == 0; q++)
        rc = ring_init(&e->tx[q], TX_DATA_MAX);
    for (unsigned q = 0; q < nb_rxq && rc == 0; q++)
        rc = ring_init(&e->rx[q], PKT_ENGINE_RX_BUF_LEN);
    if (rc != 0) {
        mem_close(e);
        snprintf(err, err_len, "mem engine: out of memory");
        return rc;
    }
    e->nb_ports = nb_ports;
    for (unsigned i = 0; i < nb_ports; i++)
        e->ports[i] = (uint16_t)(PKT_ENGINE_MEM_PORT_BASE + i);
    *out = e;
    return 0;
}

static unsigned mem_tx_burst(struct pkt_engine *e, unsigned q, const struct pkt_dgram *d,
                             unsigned nb)
{
    unsigned n = 0;
    while (n < nb && ring_put(&e->tx[q], &d[n]))
        n++;
    return n;
}

static unsigned mem_rx_burst(struct pkt_engine *e, unsigned q, struct pkt_dgram *d, unsigned nb,
                             int timeout_ms)
{
    struct ring *r = &e->rx[q];
    /* The previous burst's datagrams were the caller's until this call. */
    ring_release(r, e->rx_held[q]);
    e->rx_held[q] = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        unsigned n = 0;
        while (n < nb && ring_peek(r, n, &d[n]))
            n++;
        if (n > 0) {
            e->rx_held[q] = n;
            return n;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long el = (long)(now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (el >= timeout_ms)
            return 0;
        struct timespec ts = { 0, 100000 };
        nanosleep(&ts, NULL);
    }
}

static unsigned mem_ports(const struct pkt_engine *e, uint8_t family, uint16_t *ports, unsigned cap)
{
    (void)family;
    unsigned n = e->nb_ports < cap ? e->nb_ports : cap;
    memcpy(ports, e->ports, n * sizeof(ports[0]));
    return n;
}

static uint64_t mem_tx_errors(const struct pkt_engine *e)
{
    (void)e;
    return 0;
}

static uint64_t mem_rx_missed(const struct pkt_engine *e)
{
    return atomic_load_explicit(&e->missed, memory_order_relaxed);
}

unsigned pkt_engine_mem_peer_recv(struct pkt_engine *e, struct pkt_dgram *d, uint8_t *buf,
                                  unsigned nb)
{
    pthread_mutex_lock(&e->peer_lock);
    unsigned n = 0;
    for (unsigned k = 0; k < e->nb_txq && n < nb; k++) {
        struct ring *r = &e->tx[(e->next_tx + k) % e->nb_txq];
        size_t taken = 0;
        struct pkt_dgram x;
        while (n < nb && ring_peek(r, taken, &x)) {
            d[n] = x;
            d[n].data = buf + (size_t)n * PKT_ENGINE_RX_BUF_LEN;
            memcpy(d[n].data, x.data, x.len);
            n++;
            taken++;
        }
        ring_release(r, taken);
    }
    e->next_tx = (e->next_tx + 1) % e->nb_txq;
    pthread_mutex_unlock(&e->peer_lock);
    return n;
}

bool pkt_engine_mem_peer_send(struct pkt_engine *e, const struct pkt_dgram *d)
{
    pthread_mutex_lock(&e->peer_lock);
    bool ok = ring_put(&e->rx[d->local_port % e->nb_rxq], d);
    pthread_mutex_unlock(&e->peer_lock);
    if (!ok)
        atomic_fetch_add_explicit(&e->missed, 1, memory_order_relaxed);
    return ok;
}

const struct pkt_engine_ops pkt_engine_mem = {
    .name = "mem",
    .open = mem_open,
    .tx_burst = mem_tx_burst,
    .rx_burst = mem_rx_burst,
    .ports = mem_ports,
    .tx_errors = mem_tx_errors,
    .rx_missed = mem_rx_missed,
    .close = mem_close,
};
