/* The engine table: every backend compiled into this build, socket first. */
#include <string.h>

#include "fcrscan_config.h"
#include "packet/engine.h"

#if FCRSCAN_HAVE_DPDK
extern const struct pkt_engine_ops pkt_engine_dpdk;
#endif
#if FCRSCAN_HAVE_PCAP
extern const struct pkt_engine_ops pkt_engine_pcap;
#endif

static const struct pkt_engine_ops *const engines[] = {
    &pkt_engine_socket,
#if FCRSCAN_HAVE_DPDK
    &pkt_engine_dpdk,
#endif
#if FCRSCAN_HAVE_PCAP
    &pkt_engine_pcap,
#endif
};

unsigned pkt_engine_ports_any(const struct pkt_engine *e, uint8_t family, uint16_t *ports,
                              unsigned cap)
{
    (void)e;
    (void)family;
    (void)ports;
    (void)cap;
    return 0;
}

bool pkt_engine_sources(const struct pkt_engine_config *cfg, struct pkt_addr *v4,
                        struct pkt_addr *v6)
{
    memset(v4, 0, sizeof(*v4));
    memset(v6, 0, sizeof(*v6));
    if (cfg->source_v4.family == PKT_ADDR_V4)
        *v4 = cfg->source_v4;
    if (cfg->source_v6.family == PKT_ADDR_V6)
        *v6 = cfg->source_v6;
    return (!cfg->want_v4 || v4->family == PKT_ADDR_V4) &&
           (!cfg->want_v6 || v6->family == PKT_ADDR_V6);
}

const struct pkt_engine_ops *pkt_engine_find(const char *name)
{
    for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
        if (strcmp(engines[i]->name, name) == 0)
            return engines[i];
    return NULL;
}

const char *pkt_engine_names(void)
{
    return "socket"
#if FCRSCAN_HAVE_DPDK
           ",dpdk"
#endif
#if FCRSCAN_HAVE_PCAP
           ",pcap"
#endif
        ;
}
