/* scanner/nethash.c - see nethash.h. */
#include <string.h>
#include <xxhash.h>

#include "packet/dns.h"
#include "scanner/nethash.h"

_Static_assert(SCAN_NETHASH_SECRET_LEN >= XXH3_SECRET_SIZE_MIN, "XXH3 needs a longer secret");
_Static_assert(SCAN_NETHASH_SECRET_LEN % 8 == 0, "filled 8 octets at a time");

void scan_nethash_init(struct scan_nethash *h, const struct scan_key *key)
{
    /* A key of its own for this use, then a SipHash stream of it. */
    static const char label[] = "fcrscan index hash";
    uint64_t a = scan_siphash(key, label, sizeof(label) - 1);
    struct scan_key k = { .k0 = a, .k1 = scan_siphash_u64x2(key, a, 1) };
    for (size_t i = 0; i < SCAN_NETHASH_SECRET_LEN / 8; i++) {
        uint64_t v = scan_siphash_u64x2(&k, i, 0);
        memcpy(h->secret + 8 * i, &v, 8);
    }
}

uint64_t scan_nethash_addr(const struct scan_nethash *h, const struct pkt_addr *a)
{
    return XXH3_64bits_withSecret(a, sizeof(*a), h->secret, sizeof(h->secret));
}

uint64_t scan_nethash_name(const struct scan_nethash *h, const uint8_t *name, size_t len,
                           uint8_t family)
{
    /* The family is part of the key: one entry per (name, family). */
    uint8_t buf[1 + PKT_DNS_NAME_MAX];
    if (len > PKT_DNS_NAME_MAX)
        len = PKT_DNS_NAME_MAX;
    buf[0] = family;
    memcpy(buf + 1, name, len);
    return XXH3_64bits_withSecret(buf, 1 + len, h->secret, sizeof(h->secret));
}
