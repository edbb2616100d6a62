/*
 * The scan scenario (scan_scenario.h) through a raw engine: dpdk on
 * net_af_packet, in a network namespace of the test's own (root).
 *
 *   fa 10.77.0.1, 10.77.0.3 (kernel: the responder) ==veth== fb (no kernel
 *   address: the engine's port; our --source is 10.77.0.2, answered by ARP)
 *
 * Each Criterion test runs in its own process, so each has its own
 * namespace, and its own EAL (EAL starts once per process).
 */
#include <criterion/criterion.h>
#include <sched.h>
#include <stdlib.h>

#include "packet/frame.h"
#include "scan_scenario.h"

#define RESPONDER_ADDR 0x0A4D0001u /* 10.77.0.1 */
#define SPOOF_ADDR     0x0A4D0003u /* 10.77.0.3 */

static void sh(const char *cmd)
{
    int rc = system(cmd);
    cr_assert_eq(rc, 0, "%s: exit %d", cmd, rc);
}

static void netns_up(void)
{
    if (geteuid() != 0)
        cr_skip_test("needs root: a network namespace of its own and net_af_packet");
    if (pkt_engine_find("dpdk") == NULL)
        cr_skip_test("no dpdk engine in this build");
    if (system("command -v ethtool >/dev/null") != 0)
        cr_skip_test("no ethtool: veth checksum offload would stay on");
    cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare(CLONE_NEWNET)");
    sh("ip link set lo up && ip link add fa type veth peer name fb && "
       "sysctl -qw net.ipv6.conf.fb.disable_ipv6=1 && "
       "ip addr add 10.77.0.1/24 dev fa && ip addr add 10.77.0.3/24 dev fa && "
       "ip link set fa up && ip link set fb up");
    /* The engine reads what the kernel sends over the veth: finished
     * checksums; and ICMP errors unthrottled (this namespace only). */
    sh("ethtool -K fa tx off >/dev/null && sysctl -qw net.ipv4.icmp_ratelimit=0 && "
       "sysctl -qw net.ipv4.icmp_msgs_per_sec=100000");
}

struct fix {
    struct responder resp;
    struct collect c;
    struct scan_config cfg;
    struct scan_result res;
};

static struct fix *fix_new(unsigned window)
{
    netns_up();
    struct fix *f = calloc(1, sizeof(*f));
    cr_assert_not_null(f);
    cr_assert(responder_bind(&f->resp, RESPONDER_ADDR, SPOOF_ADDR));
    cr_assert(responder_run(&f->resp));
    config(&f->cfg, &f->c, f->resp.port, window);
    struct scan_config *cfg = &f->cfg;
    memcpy(cfg->resolvers[0].addr.bytes, (const uint8_t[]){ 10, 77, 0, 1 }, 4);
    cfg->engine_ops = pkt_engine_find("dpdk");
    cfg->engine_cfg = (struct pkt_engine_config){
        .want_v4 = true,
        .dpdk_args = "--no-huge --no-pci --no-shconf -m 256 --vdev=net_af_packet0,iface=fb",
        .rcvbuf_len = 0,
    };
    cfg->engine_cfg.source_v4.family = PKT_ADDR_V4;
    memcpy(cfg->engine_cfg.source_v4.bytes, (const uint8_t[]){ 10, 77, 0, 2 }, 4);
    return f;
}

static int fix_run(struct fix *f)
{
    for (unsigned i = 0; i < f->cfg.nb_resolvers; i++)
        f->cfg.engine_cfg.peers[i] = f->cfg.resolvers[i].addr;
    f->cfg.engine_cfg.nb_peers = f->cfg.nb_resolvers;
    int rc = scenario_run(&f->cfg, &f->res);
    responder_stop(&f->resp);
    return rc;
}

/*
 * M06 through a raw engine: the off-path attacker floods all 65,536 IDs
 * with a forged answer to one of our ports other than the one the query
 * left from. A raw engine keys the source port over 64,512 values, so the
 * port and the ID together must be guessed: nothing is attributed, every
 * row is the expected one, and the flood is counted (or lost below the
 * engine when its ring overflows: engine-missed).
 */
Test(scan_raw, offpath_flood_through_dpdk_is_never_attributed, .timeout = 300)
{
    struct fix *f = fix_new(256);
    f->resp.flood = FLOOD_OTHER_PORT;
    int rc = fix_run(f);
    cr_assert_eq(rc, 0, "scan_run: %s", f->res.error);
    cr_assert_eq(f->res.end, SCAN_END_DONE);
    const struct stats_counters *t = &f->res.totals;
    fprintf(stderr,
            "dpdk flood: %u targets flooded, wrong-id %llu, wrong-port %llu, question %llu, "
            "engine-missed %llu, retried %llu\n",
            f->resp.flooded, (unsigned long long)t->dropped[STATS_DROP_WRONG_ID],
            (unsigned long long)t->dropped[STATS_DROP_WRONG_PORT],
            (unsigned long long)t->dropped[STATS_DROP_QUESTION],
            (unsigned long long)t->dropped[STATS_DROP_ENGINE_MISSED],
            (unsigned long long)t->retried);
    cr_assert_geq(f->resp.flooded, 5, "only %u targets flooded", f->resp.flooded);
    unsigned wrong = scenario_wrong_rows(&f->c, true);
    cr_assert_eq(wrong, 0, "%u targets without exactly one correct row", wrong);
    cr_assert_eq(t->rows, NB_TARGETS);
    cr_assert_gt(t->dropped[STATS_DROP_WRONG_ID], 1000u);
    free(f);
}

/* M13 through a raw engine: a second resolver address whose port nobody
 * listens on. The kernel's port unreachables reach the engine as frames,
 * quote our queries and are counted; the lookups wait for their timeouts
 * and end at the live resolver with the expected rows. */
Test(scan_raw, port_unreachable_reaches_dpdk_and_is_counted, .timeout = 300)
{
    struct fix *f = fix_new(128);
    f->cfg.resolvers[1] = f->cfg.resolvers[0];
    f->cfg.resolvers[1].port = (uint16_t)(f->resp.port ^ 0x4000);
    f->cfg.nb_resolvers = 2;
    f->c.limit = 512;
    int rc = fix_run(f);
    cr_assert_eq(rc, 0, "scan_run: %s", f->res.error);
    cr_assert_eq(f->res.end, SCAN_END_DONE);
    const struct stats_counters *t = &f->res.totals;
    fprintf(stderr, "dpdk, dead port beside a live one: %llu queries, icmp %llu, unmatched %llu\n",
            (unsigned long long)t->sent, (unsigned long long)t->dropped[STATS_DROP_ICMP],
            (unsigned long long)t->dropped[STATS_DROP_ICMP_UNMATCHED]);
    for (unsigned i = 0; i < f->c.limit; i++)
        cr_assert_eq(f->c.rows[i], 1, "target %u: %u rows", i, f->c.rows[i]);
    cr_assert_eq(scenario_wrong_rows(&f->c, false), 0);
    cr_assert_gt(t->dropped[STATS_DROP_ICMP], 0);
    cr_assert_eq(t->dropped[STATS_DROP_ICMP_UNMATCHED], 0);
    cr_assert_eq(t->dropped[stats_drop_from_frame(PKT_FRAME_E_PROTO)], 0,
                 "no unreachable taken for another protocol");
    free(f);
}
