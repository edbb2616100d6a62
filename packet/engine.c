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
