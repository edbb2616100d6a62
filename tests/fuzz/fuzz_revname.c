/*
 * tests/fuzz/fuzz_revname.c - libFuzzer target for pkt_rev_name_parse.
 *
 * Properties, abort() on violation: a name that parses rebuilds with
 * pkt_rev_name into the same octets up to ASCII case (the parser accepts
 * only the canonical form), and the rebuilt name parses to the same address.
 * Errors are always one of the codes of rev.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet/rev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pkt_addr a;
    int rc = pkt_rev_name_parse(data, size, &a);
    if (rc != PKT_REV_OK) {
        if (rc > 0 || rc < PKT_REV_E_NAME || rc == PKT_REV_E_SPACE)
            abort();
        return 0;
    }
    if (a.family != PKT_ADDR_V4 && a.family != PKT_ADDR_V6)
        abort();

    uint8_t name[PKT_REV_V6_MAX];
    int n = pkt_rev_name(&a, name, sizeof(name));
    if (n <= 0 || (size_t)n != size)
        abort();
    for (size_t i = 0; i < size; i++)
        if (lower(data[i]) != name[i])
            abort();

    struct pkt_addr b;
    if (pkt_rev_name_parse(name, (size_t)n, &b) != PKT_REV_OK || !pkt_addr_equal(&a, &b) ||
        memcmp(a.bytes, b.bytes, sizeof(a.bytes)) != 0)
        abort();
    return 0;
}
