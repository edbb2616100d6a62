/*
 * packet/probes.c - the sent-datagram memory behind ICMP error checks.
 *
 * A datagram's tag is a keyed 64-bit mix of its destination, ports and
 * first two payload octets: the MurmurHash3 finaliser over the fields
 * xor-ed with a random key. Not a MAC, but an attacker learns nothing from
 * it (RX only reads; a forged quote matches only by naming a probe we sent,
 * i.e. by guessing its port and ID, the same 2^-32 chance a forged reply
 * has).
 *
 * Each tag may live in either of two slots (two choices of its bits); a
 * slot holds the tag's upper 48 bits and a 16-bit millisecond stamp of when
 * it was noted. A new tag takes whichever of its slots is empty or older,
 * so a newer probe overwrites ours only when its other slot is taken by one
 * at least as new: with n probes noted while an ICMP error is on its way,
 * a probe is forgotten with about (n / slots)^2 instead of the n / slots of
 * a direct-mapped table (1,000 in flight: 1.5e-5). Two TX threads choosing
 * the same slot at once lose one tag (its ICMP then counts as unmatched);
 * nothing else races.
 */
#include "packet/probes.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define TAG_MASK (~(uint64_t)0xFFFF)

struct pkt_probes {
    uint64_t k0, k1, k2;
    _Atomic uint64_t slot[PKT_PROBES_SLOTS];
};

_Static_assert((PKT_PROBES_SLOTS & (PKT_PROBES_SLOTS - 1)) == 0, "slots are a power of two");
_Static_assert(PKT_PROBES_SLOTS <= (1u << 24), "two slot choices from 48 bits");

static uint64_t fmix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_of(const struct pkt_probes *p, const struct pkt_addr *peer, uint16_t peer_port,
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
    return fmix(h ^ c ^ p->k2);
}

/* The two slots of hash h: its low bits, and the next 24 bits (never the
 * same slot). */
static void slots_of(uint64_t h, size_t *i1, size_t *i2)
{
    *i1 = (size_t)(h & (PKT_PROBES_SLOTS - 1));
    *i2 = (size_t)((h >> 24) & (PKT_PROBES_SLOTS - 1));
    if (*i2 == *i1)
        *i2 = (*i1 + 1) & (PKT_PROBES_SLOTS - 1);
}

/* The stored form: the tag's upper 48 bits (never all zero: 0 is empty). */
static uint64_t tag_of(uint64_t h)
{
    uint64_t t = h & TAG_MASK;
    return t != 0 ? t : (uint64_t)1 << 16;
}

uint16_t pkt_probes_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint16_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

int pkt_probes_new(struct pkt_probes **out)
{
    struct pkt_probes *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -ENOMEM;
    /* Touch every page now: a table filled as queries go out would grow
     * the process by its size during the scan (memory must not grow with
     * the work done), and take its page faults on the send path. The
     * stores are atomic, so they cannot be optimised away as redundant
     * after calloc. */
    for (size_t i = 0; i < PKT_PROBES_SLOTS; i++)
        atomic_store_explicit(&p->slot[i], 0, memory_order_relaxed);
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

void pkt_probes_note(struct pkt_probes *p, uint16_t now, const struct pkt_addr *peer,
                     uint16_t peer_port, uint16_t local_port, const uint8_t *payload, size_t len)
{
    if (len < 2)
        return;
    uint64_t h = hash_of(p, peer, peer_port, local_port, payload);
    uint64_t t = tag_of(h);
    size_t i1, i2;
    slots_of(h, &i1, &i2);
    uint64_t v1 = atomic_load_explicit(&p->slot[i1], memory_order_relaxed);
    uint64_t v2 = atomic_load_explicit(&p->slot[i2], memory_order_relaxed);
    size_t at;
    if ((v1 & TAG_MASK) == t || v1 == 0)
        at = i1;
    else if ((v2 & TAG_MASK) == t || v2 == 0)
        at = i2;
    else /* the one noted longer ago (stamps wrap every 65 s) */
        at = (uint16_t)(now - (uint16_t)v1) >= (uint16_t)(now - (uint16_t)v2) ? i1 : i2;
    atomic_store_explicit(&p->slot[at], t | now, memory_order_relaxed);
}

bool pkt_probes_sent(const struct pkt_probes *p, const struct pkt_addr *peer, uint16_t peer_port,
                     uint16_t local_port, const uint8_t *payload, size_t len)
{
    if (len < 2)
        return false;
    uint64_t h = hash_of(p, peer, peer_port, local_port, payload);
    uint64_t t = tag_of(h);
    size_t i1, i2;
    slots_of(h, &i1, &i2);
    return (atomic_load_explicit(&p->slot[i1], memory_order_relaxed) & TAG_MASK) == t ||
           (atomic_load_explicit(&p->slot[i2], memory_order_relaxed) & TAG_MASK) == t;
}
