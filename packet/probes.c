/*
 * packet/probes.c - the sent-datagram memory behind ICMP error checks.
 *
 * A tag is a keyed 64-bit mix of the datagram's destination, ports and
 * first two payload octets; its low bits pick the slot, the whole tag is
 * stored and compared (never 0, which marks an empty slot). The mix is the
 * MurmurHash3 finaliser over the fields xor-ed with a random key: not a
 * MAC, but an attacker learns nothing from it (RX only reads; a forged
 * quote matches only by naming a probe we sent, i.e. by guessing its port
 * and ID, the same 2^-32 chance a forged reply has).
 */
#include "packet/probes.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct pkt_probes {
    uint64_t k0, k1, k2;
    _Atomic uint64_t tag[PKT_PROBES_SLOTS];
};

_Static_assert((PKT_PROBES_SLOTS & (PKT_PROBES_SLOTS - 1)) == 0, "slots are a power of two");

static uint64_t fmix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static uint64_t tag_of(const struct pkt_probes *p, const struct pkt_addr *peer, uint16_t peer_port,
                       uint16_t local_port, const uint8_t *payload)
{
    uint8_t bytes[16] = { 0 };
    size_t n = pkt_addr_len(peer);
    memcpy(bytes, peer->bytes, n <= 16 ? n : 16);
    uint64_t a, b;
    memcpy(&a, bytes, 8);
    memcpy(&b, bytes + 8, 8);
    uint64_t c = (uint64_t)peer->family << 48 | (uint64_t)peer_port << 32 |
                 (uint64_t)local_port << 16 | (uint64_t)payload[0] << 8 | payload[1];
    uint64_t h = fmix(a ^ p->k0);
    h = fmix(h ^ b ^ p->k1);
    h = fmix(h ^ c ^ p->k2);
    return h != 0 ? h : 1;
}

int pkt_probes_new(struct pkt_probes **out)
{
    struct pkt_probes *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -ENOMEM;
    uint64_t k[3];
    if (getrandom(k, sizeof(k), 0) != (ssize_t)sizeof(k)) {
        int rc = errno != 0 ? -errno : -EIO;
        free(p);
        return rc;
    }
    p->k0 = k[0];
    p->k1 = k[1];
    p->k2 = k[2];
    *out = p;
    return 0;
}

void pkt_probes_free(struct pkt_probes *p)
{
    free(p);
}

void pkt_probes_note(struct pkt_probes *p, const struct pkt_addr *peer, uint16_t peer_port,
                     uint16_t local_port, const uint8_t *payload, size_t len)
{
    if (len < 2)
        return;
    uint64_t t = tag_of(p, peer, peer_port, local_port, payload);
    atomic_store_explicit(&p->tag[t & (PKT_PROBES_SLOTS - 1)], t, memory_order_relaxed);
}

bool pkt_probes_sent(const struct pkt_probes *p, const struct pkt_addr *peer, uint16_t peer_port,
                     uint16_t local_port, const uint8_t *payload, size_t len)
{
    if (len < 2)
        return false;
    uint64_t t = tag_of(p, peer, peer_port, local_port, payload);
    return atomic_load_explicit(&p->tag[t & (PKT_PROBES_SLOTS - 1)], memory_order_relaxed) == t;
}
