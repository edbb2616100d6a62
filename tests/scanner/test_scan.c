/* The scan end to end on loopback: see scan_scenario.h. */
#include <criterion/criterion.h>

#include "scan_scenario.h"

/* One scan against the scenario's responder: everything a test needs, on
 * the heap (the responder holds a megabyte of held-back queries). */
struct fix {
    struct responder resp;
    struct collect c;
    struct scan_config cfg;
    struct scan_result res;
};

/* A responder in mode (MODE_*; started) and config() for window; the test
 * adjusts cfg. */
static struct fix *fix_new_mode(unsigned window, int mode)
{
    struct fix *f = calloc(1, sizeof(*f));
    cr_assert_not_null(f);
    cr_assert(responder_bind(&f->resp, INADDR_LOOPBACK, 0x7F000002));
    f->resp.mode = mode;
    f->resp.c = &f->c;
    cr_assert(responder_run(&f->resp));
    config(&f->cfg, &f->c, f->resp.port, window);
    return f;
}

static struct fix *fix_new(unsigned window)
{
    return fix_new_mode(window, MODE_NORMAL);
}

/* Run the scan, stop the responder; returns scan_run's result. */
static int fix_run(struct fix *f)
{
    int rc = scenario_run(&f->cfg, &f->res);
    responder_stop(&f->resp);
    return rc;
}

/* The misbehaving responder's whole scenario with nb_txq TX and nb_rxq RX
 * workers (engine queues). */
static void misbehaving_scenario(unsigned nb_txq, unsigned nb_rxq)
{
    struct fix *f = fix_new(128);
    struct collect *c = &f->c;
    struct scan_result *res = &f->res;
    f->cfg.engine_cfg.nb_txq = nb_txq;
    f->cfg.engine_cfg.nb_rxq = nb_rxq;
    int rc = fix_run(f);
    cr_assert_eq(rc, 0, "scan_run: %s", res->error);
    cr_assert_eq(res->end, SCAN_END_DONE);
    cr_assert_eq(c->bad_lines, 0);
    cr_assert_eq(res->targets_started, NB_TARGETS);
    cr_assert_eq(res->targets_done, NB_TARGETS);
    unsigned wrong = scenario_wrong_rows(c, true);
    cr_assert_eq(wrong, 0, "%u targets without exactly one correct row", wrong);
    cr_assert_eq(res->totals.rows, NB_TARGETS);
    cr_assert_gt(c->checkpoints, 1);
    cr_assert_eq(c->ck_violations, 0, "checkpoints that disagreed with the rows written");
    /* Exactly the misbehaviour the responder produced was counted. */
    cr_assert_eq(res->totals.dropped[STATS_DROP_WRONG_ID], rule_count(R_DUPLICATE));
    /* R_RACE: the late first answer wins, the retry's answer is a copy. */
    cr_assert_eq(
        res->totals.dropped[STATS_DROP_DUPLICATE], rule_count(R_DUPLICATE) + rule_count(R_RACE),
        "duplicates %llu (want %u), late %llu, conflicts %llu, wrong-id %llu, retried %llu (want "
        "%u)",
        (unsigned long long)res->totals.dropped[STATS_DROP_DUPLICATE],
        rule_count(R_DUPLICATE) + rule_count(R_RACE),
        (unsigned long long)res->totals.dropped[STATS_DROP_LATE],
        (unsigned long long)res->totals.dropped[STATS_DROP_CONFLICT],
        (unsigned long long)res->totals.dropped[STATS_DROP_WRONG_ID],
        (unsigned long long)res->totals.retried, rule_count(R_DROPFIRST) + rule_count(R_RACE));
    cr_assert_eq(res->totals.dropped[STATS_DROP_WRONG_SOURCE], rule_count(R_WRONGSRC));
    /* R_CONFLICT's second answers, and R_WRONGPORT copies read only after
     * the answer on the right port (another socket: no order between them). */
    unsigned wp = atomic_load(&f->resp.wrongport_sent);
    uint64_t wrong_port = res->totals.dropped[STATS_DROP_WRONG_PORT];
    cr_assert_eq(res->totals.dropped[STATS_DROP_CONFLICT], rule_count(R_CONFLICT) + wp - wrong_port,
                 "conflicts %llu, want %u + %u - %llu",
                 (unsigned long long)res->totals.dropped[STATS_DROP_CONFLICT],
                 rule_count(R_CONFLICT), wp, (unsigned long long)wrong_port);
    /* M04: each copy with another name, type or class was dropped as a
     * question mismatch (not as late or wrong-id), and the answer after it
     * was taken (no retry, see below). */
    cr_assert_eq(res->totals.dropped[STATS_DROP_QUESTION], rule_count(R_QUESTION),
                 "question-mismatch %llu, want %u (late %llu, wrong-id %llu)",
                 (unsigned long long)res->totals.dropped[STATS_DROP_QUESTION],
                 rule_count(R_QUESTION), (unsigned long long)res->totals.dropped[STATS_DROP_LATE],
                 (unsigned long long)res->totals.dropped[STATS_DROP_WRONG_ID]);
    /* The drop contract in a running scan: each malformed copy counted by
     * its reason, no row from it, the lookup still pending for the answer. */
    static const int kinds[3] = { PKT_DNS_E_COUNTS, PKT_DNS_E_SHORT, PKT_DNS_E_POINTER };
    for (unsigned v = 0; v < 3; v++)
        cr_assert_eq(res->totals.dropped[stats_drop_from_dns(kinds[v])],
                     variant_count(R_MALFORMED, v, 3), "%s: %llu, want %u",
                     stats_drop_name(stats_drop_from_dns(kinds[v])),
                     (unsigned long long)res->totals.dropped[stats_drop_from_dns(kinds[v])],
                     variant_count(R_MALFORMED, v, 3));
    /* M03: copies to another of our ports (most read before the answer). */
    cr_assert_gt(wp, rule_count(R_WRONGPORT) / 2, "only %u copies to another port", wp);
    cr_assert_gt(wrong_port, wp / 2, "wrong-port %llu of %u copies", (unsigned long long)wrong_port,
                 wp);
    /* Every R_DROPFIRST target needed exactly one retry. */
    cr_assert_eq(res->totals.retried, rule_count(R_DROPFIRST) + rule_count(R_RACE));
    unsigned pass = 0;
    for (unsigned r = 0; r < R_COUNT; r++)
        if (expected_verdict[r] == STATS_VERDICT_PASS)
            pass += rule_count(r);
    cr_assert_eq(res->totals.verdicts[STATS_VERDICT_PASS], pass);
    /* Complete: the last checkpoint has nothing pending and the bounds
     * cover every target (positions are target indices, shared). */
    cr_assert_eq(c->ck_nb_pending, 0);
    uint64_t top = 0;
    for (unsigned q = 0; q < nb_txq; q++)
        top = c->ck_next[q] > top ? c->ck_next[q] : top;
    cr_assert_eq(top, NB_TARGETS);
    free(f);
}

Test(scan, one_correct_row_per_target_under_misbehaving_server, .timeout = 240)
{
    misbehaving_scenario(1, 1);
}

/* Several TX workers (each with its timers and targets, sharing send
 * orders) and RX workers (each on its part of the sockets). */
Test(scan, same_rows_and_counts_with_two_tx_and_two_rx_queues, .timeout = 240)
{
    misbehaving_scenario(2, 2);
}

Test(scan, same_rows_and_counts_with_four_tx_and_eight_rx_queues, .timeout = 240)
{
    misbehaving_scenario(4, 8);
}

Test(scan, same_rows_and_counts_with_one_tx_and_three_rx_queues, .timeout = 240)
{
    misbehaving_scenario(1, 3);
}

Test(scan, max_runtime_stops_and_reports_interrupted, .timeout = 60)
{
    struct fix *f = fix_new(64);
    struct collect *c = &f->c;
    struct scan_result *res = &f->res;
    f->cfg.rate = 200; /* 4096 targets would need about 20 s */
    f->cfg.max_runtime_s = 0.5;
    int rc = fix_run(f);
    cr_assert_eq(rc, 0, "scan_run: %s", res->error);
    cr_assert_eq(res->end, SCAN_END_INTERRUPTED);
    cr_assert_lt(res->targets_done, NB_TARGETS);
    cr_assert_gt(res->targets_done, 0);
    /* No target has two rows, and each written row is correct. */
    cr_assert_eq(scenario_wrong_rows(c, false), 0);
    cr_assert_eq(c->ck_violations, 0, "checkpoints that disagreed with the rows written");
    /* The last checkpoint: below the bound, exactly the targets without a
     * row are pending (cut short by the stop); none at or above it has one. */
    cr_assert_gt(c->checkpoints, 1, "periodic checkpoints and the last one");
    size_t k = 0;
    for (unsigned i = 0; i < NB_TARGETS; i++) {
        bool pending = k < c->ck_nb_pending && c->ck_pending[k] == i;
        k += pending;
        if (i >= c->ck_next[0])
            cr_assert_eq(c->rows[i], 0, "target %u above the bound has a row", i);
        else
            cr_assert_eq(c->rows[i], pending ? 0u : 1u, "target %u (pending %d)", i, pending);
    }
    cr_assert_eq(k, c->ck_nb_pending, "pending list sorted, all below the bound");
    free(f);
}

static struct fix *run_0x20(bool lower_question)
{
    struct fix *f = fix_new(256);
    f->resp.lower_question = lower_question;
    f->cfg.use_0x20 = true;
    int rc = fix_run(f);
    cr_assert_eq(rc, 0, "scan_run: %s", f->res.error);
    cr_assert_eq(f->res.end, SCAN_END_DONE);
    return f;
}

Test(scan, with_0x20_case_echoed_every_answer_counts, .timeout = 120)
{
    struct fix *f = run_0x20(false);
    cr_assert_eq(scenario_wrong_rows(&f->c, true), 0);
    cr_assert_eq(f->res.totals.dropped[STATS_DROP_CASE], 0);
    free(f);
}

Test(scan, with_0x20_a_lowercasing_resolver_is_detected_not_trusted, .timeout = 120)
{
    struct fix *f = run_0x20(true);
    /* Answers whose case was not echoed were dropped, the resolver was then
     * checked without case, and every row is still right (M05). */
    cr_assert_gt(f->res.totals.dropped[STATS_DROP_CASE], 0);
    cr_assert_eq(scenario_wrong_rows(&f->c, true), 0);
    free(f);
}

static struct fix *run_flood(int mode, bool use_0x20)
{
    struct fix *f = fix_new(256);
    f->resp.flood = mode;
    f->cfg.use_0x20 = use_0x20;
    f->cfg.engine_cfg.rcvbuf_len = 8u << 20;
    int rc = fix_run(f);
    cr_assert_eq(rc, 0, "scan_run: %s", f->res.error);
    cr_assert_eq(f->res.end, SCAN_END_DONE);
    cr_assert_geq(f->resp.flooded, 5, "only %u targets flooded", f->resp.flooded);
    /* A flood larger than the socket buffer costs whatever else arrives on
     * that socket meanwhile (availability, not attribution): a lost first
     * answer of an R_CONFLICT target leaves its second, different answer
     * the first valid one. Without --0x20, a flooded target whose retry
     * left from the flooded port may take a forged answer: the socket
     * pool's share (docs/output.md). Everything else must be exactly right,
     * and a tolerated row needs the loss or the port reuse that explains it. */
    unsigned wrong = 0, conflicts_lost = 0, port_reused = 0;
    for (unsigned i = 0; i < NB_TARGETS; i++) {
        unsigned rule = rule_of(i);
        if (f->c.rows[i] == 1 && f->c.verdict[i] == expected_verdict[rule] &&
            f->c.reason[i] == expected_reason(rule))
            continue;
        if (f->c.rows[i] == 1 && rule == R_CONFLICT && f->c.verdict[i] == STATS_VERDICT_DANGLING) {
            conflicts_lost++;
            continue;
        }
        if (f->c.rows[i] == 1 && !use_0x20 && is_flooded(i) &&
            atomic_load(&f->resp.flood_port_reused[i])) {
            port_reused++;
            continue;
        }
        if (wrong++ < 10)
            fprintf(stderr, "target %u (rule %u): %u rows, verdict %u reason %u, want %u %u\n", i,
                    rule, f->c.rows[i], f->c.verdict[i], f->c.reason[i], expected_verdict[rule],
                    expected_reason(rule));
    }
    if (conflicts_lost > 0 || port_reused > 0)
        fprintf(stderr,
                "flood: %u conflict targets lost their first answer (engine-missed %llu), %u "
                "flooded targets retried from the flooded port\n",
                conflicts_lost, (unsigned long long)f->res.totals.dropped[STATS_DROP_ENGINE_MISSED],
                port_reused);
    cr_assert_eq(wrong, 0, "%u targets with a wrong row", wrong);
    cr_assert(conflicts_lost == 0 || f->res.totals.dropped[STATS_DROP_ENGINE_MISSED] > 0,
              "a conflict target's first answer lost without any loss below the engine");
    return f;
}

/* M06: an off-path attacker floods every ID to one of our ports other than
 * the one the query left from: nothing is attributed, rows stay right. */
Test(scan, offpath_flood_to_another_port_is_never_attributed, .timeout = 180)
{
    struct fix *f = run_flood(FLOOD_OTHER_PORT, false);
    /* Most of the flood is counted; some may overflow the socket buffer
     * before it is read (a loaded or sanitizer build). */
    cr_assert_gt(f->res.totals.dropped[STATS_DROP_WRONG_ID], 1000u);
    free(f);
}

/* M06 with --0x20: even a flood to the right port (the worst case for the
 * socket engine: the attacker guessed the port) is never attributed. */
Test(scan, offpath_flood_to_the_right_port_fails_with_0x20, .timeout = 180)
{
    struct fix *f = run_flood(FLOOD_SAME_PORT, true);
    /* The flood was seen and dropped (wrong IDs, and the one forged reply
     * with the right ID for its case, unless the socket buffer lost it). */
    cr_assert_gt(
        f->res.totals.dropped[STATS_DROP_WRONG_ID] + f->res.totals.dropped[STATS_DROP_CASE], 1000u);
    free(f);
}

/* ---- L05: a resolver that never answers -------------------------------------- */

struct silent {
    int fd;
    uint16_t port;
    _Atomic unsigned got;
    _Atomic int quit;
    pthread_t th;
};

static void *silent_main(void *arg)
{
    struct silent *sl = arg;
    uint8_t buf[512];
    while (!atomic_load(&sl->quit)) {
        struct pollfd p = { .fd = sl->fd, .events = POLLIN };
        if (poll(&p, 1, 20) > 0 && recv(sl->fd, buf, sizeof(buf), 0) > 0)
            atomic_fetch_add(&sl->got, 1);
    }
    return NULL;
}

/* Half the first attempts go to a resolver that swallows everything: its
 * breaker opens after a streak of timeouts, later queries go to the live
 * one, and every target still gets its one correct row. */
Test(scan, silent_resolver_opens_its_breaker_and_rows_stay_correct, .timeout = 240)
{
    struct fix *f = fix_new(256);
    struct silent *sl = calloc(1, sizeof(*sl));
    cr_assert_not_null(sl);
    sl->fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7F000003) };
    socklen_t len = sizeof(sa);
    cr_assert_eq(bind(sl->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(getsockname(sl->fd, (struct sockaddr *)&sa, &len), 0);
    cr_assert_eq(pthread_create(&sl->th, NULL, silent_main, sl), 0);

    struct scan_config *cfg = &f->cfg;
    struct collect *c = &f->c;
    struct scan_result *res = &f->res;
    cfg->resolvers[1] = cfg->resolvers[0];
    cfg->resolvers[1].addr.bytes[3] = 3;
    cfg->resolvers[1].port = ntohs(sa.sin_port);
    cfg->nb_resolvers = 2;
    cfg->rate = 3000; /* about 1.5 s of admissions: the breaker has time to act */
    int rc = fix_run(f);
    atomic_store(&sl->quit, 1);
    pthread_join(sl->th, NULL);
    close(sl->fd);
    cr_assert_eq(rc, 0, "scan_run: %s", res->error);
    cr_assert_eq(res->end, SCAN_END_DONE);
    unsigned wrong = scenario_wrong_rows(c, true);
    cr_assert_eq(wrong, 0, "%u targets without exactly one correct row", wrong);
    unsigned got = atomic_load(&sl->got);
    uint64_t sent = res->totals.sent;
    fprintf(stderr, "silent resolver: %u of %llu queries, breaker opened %llu times\n", got,
            (unsigned long long)sent, (unsigned long long)res->totals.breaker_opens);
    cr_assert_geq(res->totals.breaker_opens, 1);
    /* Without the breaker about half of all first attempts, and the retries
     * of those, go to it; with it, a small share. */
    cr_assert_lt(got * 5, sent, "%u of %llu queries went to the silent resolver", got,
                 (unsigned long long)sent);
    free(f);
    free(sl);
}

/* ---- M02: a reply from another resolver we did query ----------------------- */

/* Two resolvers, 127.0.0.1 and 127.0.0.2 (the responder answers on both):
 * R_WRONGSRC's first copy comes from the resolver the query did not go to.
 * Both are addresses we query, so the copy passes the source check before
 * parsing and is dropped by the per-attempt check (wrong-source); the real
 * answer after it is taken. */
Test(scan, reply_from_the_other_resolver_is_dropped_and_the_real_one_taken, .timeout = 240)
{
    struct fix *f = fix_new(128);
    f->cfg.resolvers[1] = f->cfg.resolvers[0];
    f->cfg.resolvers[1].addr.bytes[3] = 2;
    f->cfg.nb_resolvers = 2;
    int rc = fix_run(f);
    cr_assert_eq(rc, 0, "scan_run: %s", f->res.error);
    cr_assert_eq(f->res.end, SCAN_END_DONE);
    unsigned wrong = scenario_wrong_rows(&f->c, true);
    cr_assert_eq(wrong, 0, "%u targets without exactly one correct row", wrong);
    cr_assert_eq(f->res.totals.dropped[STATS_DROP_WRONG_SOURCE], rule_count(R_WRONGSRC),
                 "wrong-source %llu, want %u",
                 (unsigned long long)f->res.totals.dropped[STATS_DROP_WRONG_SOURCE],
                 rule_count(R_WRONGSRC));
    free(f);
}

/* ---- M09: late replies ------------------------------------------------------ */

/* Every query of a few targets is answered only after their row (tempfail,
 * timeout) is written: each answer is counted as late, exactly, and gives
 * no second row. The keeper target is held until the scan has counted
 * them, so the scan is still reading when they arrive. */
Test(scan, replies_after_the_final_timeout_are_late_and_give_no_row, .timeout = 120)
{
    struct fix *f = fix_new_mode(128, MODE_LATE);
    f->cfg.retries = 2; /* R_DROPFIRST has a spare attempt on a loaded machine */
    f->cfg.timeout_ms = 300;
    f->cfg.rate = 2000; /* the keeper comes seconds after the late targets */
    f->resp.late_expected = late_targets() * (f->cfg.retries + 1);
    int rc = fix_run(f);
    cr_assert_eq(rc, 0, "scan_run: %s", f->res.error);
    cr_assert_eq(f->res.end, SCAN_END_DONE);
    struct collect *c = &f->c;
    for (unsigned i = 0; i < NB_TARGETS; i++) {
        if (!is_late_target(i))
            continue;
        cr_assert_eq(c->rows[i], 1, "late target %u: %u rows", i, c->rows[i]);
        cr_assert_eq(c->verdict[i], STATS_VERDICT_TEMPFAIL, "late target %u", i);
        cr_assert_eq(c->reason[i], STATS_REASON_TIMEOUT, "late target %u", i);
        c->rows[i] = 0; /* not part of the rule check below */
    }
    cr_assert_eq(scenario_wrong_rows(c, false), 0);
    unsigned keeper = keeper_target();
    cr_assert_eq(c->rows[keeper], 1);
    cr_assert_eq(c->verdict[keeper], STATS_VERDICT_PASS, "the keeper was answered in time");
    cr_assert_eq(f->resp.hold_overflow, 0);
    cr_assert_eq(f->resp.late_sent, f->resp.late_expected);
    cr_assert_eq(f->res.totals.dropped[STATS_DROP_LATE], f->resp.late_expected,
                 "late %llu, want %llu (question-mismatch %llu, wrong-id %llu)",
                 (unsigned long long)f->res.totals.dropped[STATS_DROP_LATE],
                 (unsigned long long)f->resp.late_expected,
                 (unsigned long long)f->res.totals.dropped[STATS_DROP_QUESTION],
                 (unsigned long long)f->res.totals.dropped[STATS_DROP_WRONG_ID]);
    free(f);
}

/* The scan is told to stop (as by SIGINT) once the late targets' rows are
 * in. During the drain: the answers to NXDOMAIN targets still pending are
 * taken (their rows are written), the answers to the late targets are
 * late (no second row), and the targets never answered end without a row. */
Test(scan, during_the_drain_only_pending_lookups_take_replies, .timeout = 120)
{
    struct fix *f = fix_new_mode(128, MODE_DRAIN);
    f->cfg.retries = 2;
    f->cfg.timeout_ms = 300;
    f->cfg.rate = 2000;
    f->resp.timeout_ms = f->cfg.timeout_ms;
    f->cfg.stop = &f->resp.stop;
    int rc = fix_run(f);
    cr_assert_eq(rc, 0, "scan_run: %s", f->res.error);
    cr_assert_eq(f->res.end, SCAN_END_INTERRUPTED);
    struct collect *c = &f->c;
    unsigned taken = 0, never = 0;
    for (unsigned i = 0; i < NB_TARGETS; i++) {
        if (is_late_target(i)) {
            cr_assert_eq(c->rows[i], 1, "late target %u: %u rows", i, c->rows[i]);
            cr_assert_eq(c->verdict[i], STATS_VERDICT_TEMPFAIL, "late target %u", i);
            c->rows[i] = 0;
        } else if (f->resp.drain_role[i] == 1) {
            cr_assert_eq(c->rows[i], 1, "answered during the drain: target %u", i);
            taken++;
        } else if (f->resp.drain_role[i] == 2) {
            cr_assert_eq(c->rows[i], 0, "never answered: target %u has a row", i);
            never++;
        }
    }
    fprintf(stderr, "drain: %u pending lookups answered during the drain, %u never\n", taken,
            never);
    cr_assert_geq(taken, 1, "a lookup still pending when the stop came");
    cr_assert_geq(never, 1);
    cr_assert_eq(scenario_wrong_rows(c, false), 0);
    cr_assert_eq(f->resp.hold_overflow, 0);
    unsigned want = late_targets() * (f->cfg.retries + 1);
    cr_assert_eq(f->resp.late_sent, want);
    cr_assert_eq(f->res.totals.dropped[STATS_DROP_LATE], want, "late %llu, want %u",
                 (unsigned long long)f->res.totals.dropped[STATS_DROP_LATE], want);
    free(f);
}

/* ---- M07: IDs and ports under two keys ------------------------------------- */

/*
 * A capture engine: keeps the ID and source port of every target's first
 * PTR query and answers nothing (every lookup times out at once). With
 * pool set it offers 64 ports 40000..40063 like a socket pool, else any
 * port like a raw engine.
 */
struct capture {
    bool pool;
    uint8_t got[NB_TARGETS];
    uint16_t id[NB_TARGETS];
    uint16_t port[NB_TARGETS];
};
static struct capture *cap_now;

static int cap_open(const struct pkt_engine_config *cfg, struct pkt_engine **out, char *err,
                    size_t err_len)
{
    (void)cfg;
    (void)err;
    (void)err_len;
    *out = (struct pkt_engine *)cap_now;
    return 0;
}

static unsigned cap_tx(struct pkt_engine *e, unsigned q, const struct pkt_dgram *d, unsigned nb)
{
    (void)q;
    struct capture *cp = (struct capture *)e;
    for (unsigned k = 0; k < nb; k++) {
        size_t qt = off_qtype(d[k].data, d[k].len);
        char txt[PKT_DNS_PRESENT_MAX];
        if (d[k].data[qt + 1] != PKT_DNS_TYPE_PTR ||
            pkt_dns_name_present(d[k].data + 12, qt - 12, txt, sizeof(txt)) < 0)
            continue;
        int i = target_of_rev(txt);
        if (i < 0 || cp->got[i])
            continue;
        cp->got[i] = 1;
        cp->id[i] = (uint16_t)(d[k].data[0] << 8 | d[k].data[1]);
        cp->port[i] = d[k].local_port;
    }
    return nb;
}

static unsigned cap_rx(struct pkt_engine *e, unsigned q, struct pkt_dgram *d, unsigned nb,
                       int timeout_ms)
{
    (void)e;
    (void)q;
    (void)d;
    (void)nb;
    struct timespec ts = { 0, (timeout_ms > 2 ? 2 : timeout_ms) * 1000000L };
    nanosleep(&ts, NULL);
    return 0;
}

static unsigned cap_ports(const struct pkt_engine *e, uint8_t family, uint16_t *ports, unsigned cap)
{
    (void)family;
    const struct capture *cp = (const struct capture *)e;
    if (!cp->pool)
        return 0;
    unsigned n = cap < 64 ? cap : 64;
    for (unsigned k = 0; k < n; k++)
        ports[k] = (uint16_t)(40000 + k);
    return n;
}

static uint64_t cap_tx_errors(const struct pkt_engine *e)
{
    (void)e;
    return 0;
}

static void cap_close(struct pkt_engine *e)
{
    (void)e;
}

static const struct pkt_engine_ops cap_ops = {
    .name = "capture",
    .open = cap_open,
    .tx_burst = cap_tx,
    .rx_burst = cap_rx,
    .ports = cap_ports,
    .tx_errors = cap_tx_errors,
    .close = cap_close,
};

/* One scan of every target through the capture engine under key. */
static struct capture *capture_run(struct scan_key key, bool pool)
{
    struct capture *cp = calloc(1, sizeof(*cp));
    struct collect *c = calloc(1, sizeof(*c));
    struct scan_config *cfg = calloc(1, sizeof(*cfg));
    struct scan_result *res = calloc(1, sizeof(*res));
    cr_assert(cp != NULL && c != NULL && cfg != NULL && res != NULL);
    cp->pool = pool;
    cap_now = cp;
    config(cfg, c, 53, 512);
    cfg->engine_ops = &cap_ops;
    cfg->retries = 0;
    cfg->timeout_ms = 20;
    cfg->key = key;
    c->key = key;
    cr_assert_eq(scenario_run(cfg, res), 0, "scan_run: %s", res->error);
    cr_assert_eq(res->end, SCAN_END_DONE);
    for (unsigned i = 0; i < NB_TARGETS; i++) {
        cr_assert(cp->got[i], "no query captured for target %u", i);
        cr_assert_eq(c->rows[i], 1);
    }
    cr_assert_eq(c->key_in_record, 0, "a record carried the key's bytes");
    free(c);
    free(cfg);
    free(res);
    return cp;
}

/* Targets whose values agree, and per bit of width how often a and b agree. */
static unsigned agree(const uint16_t *a, const uint16_t *b, unsigned width, double *bit_min,
                      double *bit_max)
{
    unsigned same = 0, bits[16] = { 0 };
    for (unsigned i = 0; i < NB_TARGETS; i++) {
        same += a[i] == b[i];
        for (unsigned k = 0; k < width; k++)
            bits[k] += ((a[i] ^ b[i]) >> k & 1) == 0;
    }
    *bit_min = 1;
    *bit_max = 0;
    for (unsigned k = 0; k < width; k++) {
        double p = (double)bits[k] / NB_TARGETS;
        *bit_min = p < *bit_min ? p : *bit_min;
        *bit_max = p > *bit_max ? p : *bit_max;
    }
    return same;
}

/*
 * A spoofer who knows the algorithm but not the key: two runs whose keys
 * differ in one bit give ID and port sequences that agree no more than
 * chance allows (IDs: 4096 targets, P(equal) = 2^-16, so at most 4 equal
 * by a margin of 8e-9; every bit agrees 50 % +- 6 sigma), while the same
 * key gives the same sequences (the capture sees what the key decides).
 */
static void independent_sequences(bool pool)
{
    struct scan_key k1 = { 0x9e3779b97f4a7c15ull, 0xbf58476d1ce4e5b9ull };
    struct scan_key k2 = { k1.k0 ^ 1, k1.k1 };
    struct capture *a = capture_run(k1, pool);
    struct capture *b = capture_run(k2, pool);
    struct capture *a2 = capture_run(k1, pool);
    cr_assert_eq(memcmp(a->id, a2->id, sizeof(a->id)), 0, "same key, same IDs");
    cr_assert_eq(memcmp(a->port, a2->port, sizeof(a->port)), 0, "same key, same ports");
    double lo, hi;
    unsigned same = agree(a->id, b->id, 16, &lo, &hi);
    fprintf(stderr, "%s: IDs equal under both keys: %u of %u, bit agreement %.3f..%.3f\n",
            pool ? "pool" : "any port", same, NB_TARGETS, lo, hi);
    cr_assert_leq(same, 4, "%u equal IDs", same);
    cr_assert(lo > 0.45 && hi < 0.55, "ID bit agreement %.3f..%.3f", lo, hi);
    if (pool) {
        /* A pool index (0..63): 64 equal expected, sigma 7.9. */
        uint16_t ia[NB_TARGETS], ib[NB_TARGETS];
        for (unsigned i = 0; i < NB_TARGETS; i++) {
            ia[i] = (uint16_t)(a->port[i] - 40000);
            ib[i] = (uint16_t)(b->port[i] - 40000);
            cr_assert_lt(ia[i], 64);
        }
        same = agree(ia, ib, 6, &lo, &hi);
        fprintf(stderr,
                "pool: sockets equal under both keys: %u of %u, bit agreement "
                "%.3f..%.3f\n",
                same, NB_TARGETS, lo, hi);
        cr_assert(same >= 24 && same <= 104, "%u equal socket choices", same);
    } else {
        same = agree(a->port, b->port, 16, &lo, &hi);
        fprintf(stderr, "any port: ports equal under both keys: %u of %u\n", same, NB_TARGETS);
        cr_assert_leq(same, 4, "%u equal ports", same);
        for (unsigned i = 0; i < NB_TARGETS; i++)
            cr_assert_geq(a->port[i], 1024);
    }
    cr_assert(lo > 0.45 && hi < 0.55, "port bit agreement %.3f..%.3f", lo, hi);
    free(a);
    free(b);
    free(a2);
}

Test(scan, ids_and_raw_ports_under_two_keys_are_independent, .timeout = 60)
{
    independent_sequences(false);
}

Test(scan, ids_and_socket_choice_under_two_keys_are_independent, .timeout = 60)
{
    independent_sequences(true);
}

/* ---- M13: ICMP port unreachable ------------------------------------------- */

/* A resolver address with nothing listening: the kernel answers each query
 * with a port unreachable quoting it. The error is counted (icmp) but ends
 * nothing: each lookup waits for its timeout, is retried, and ends as
 * tempfail/timeout after its last attempt. */
Test(scan, port_unreachable_is_counted_and_lookups_wait_for_their_timeouts, .timeout = 60)
{
    scenario_own_netns();
    struct fix *f = fix_new(64);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd); /* now nobody listens there */
    f->cfg.resolvers[0].port = ntohs(sa.sin_port);
    f->cfg.retries = 2;
    f->cfg.timeout_ms = 100;
    f->c.limit = 64;
    int rc = fix_run(f);
    cr_assert_eq(rc, 0, "scan_run: %s", f->res.error);
    cr_assert_eq(f->res.end, SCAN_END_DONE);
    const struct stats_counters *t = &f->res.totals;
    for (unsigned i = 0; i < f->c.limit; i++) {
        cr_assert_eq(f->c.rows[i], 1, "target %u: %u rows", i, f->c.rows[i]);
        cr_assert_eq(f->c.verdict[i], STATS_VERDICT_TEMPFAIL, "target %u", i);
        cr_assert_eq(f->c.reason[i], STATS_REASON_TIMEOUT, "target %u", i);
    }
    fprintf(stderr, "dead resolver: %llu queries, %llu retried, icmp %llu, unmatched %llu\n",
            (unsigned long long)t->sent, (unsigned long long)t->retried,
            (unsigned long long)t->dropped[STATS_DROP_ICMP],
            (unsigned long long)t->dropped[STATS_DROP_ICMP_UNMATCHED]);
    cr_assert_eq(t->retried, f->c.limit * f->cfg.retries, "every lookup used every attempt");
    cr_assert_eq(t->sent, f->c.limit * (f->cfg.retries + 1));
    /* Every query drew one, quoting it: all of them in a namespace of our
     * own (no rate limit there); in the host's the kernel may hold some
     * back. */
    if (geteuid() == 0)
        cr_assert_eq(t->dropped[STATS_DROP_ICMP], t->sent);
    cr_assert_gt(t->dropped[STATS_DROP_ICMP], 0);
    cr_assert_leq(t->dropped[STATS_DROP_ICMP], t->sent);
    cr_assert_eq(t->dropped[STATS_DROP_ICMP_UNMATCHED], 0);
    cr_assert_eq(t->send_errors, 0, "the errors reported on later sends did not cost a query");
    free(f);
}

/* Beside a live resolver, the dead one's lookups move on after their
 * timeout and every row is the expected one. */
Test(scan, a_dead_resolver_port_beside_a_live_one_costs_only_time, .timeout = 120)
{
    scenario_own_netns();
    struct fix *f = fix_new(128);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7F000005) };
    socklen_t sl = sizeof(sa);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    f->cfg.resolvers[1] = f->cfg.resolvers[0];
    f->cfg.resolvers[1].addr.bytes[3] = 5;
    f->cfg.resolvers[1].port = ntohs(sa.sin_port);
    f->cfg.nb_resolvers = 2;
    f->c.limit = 1024;
    int rc = fix_run(f);
    cr_assert_eq(rc, 0, "scan_run: %s", f->res.error);
    cr_assert_eq(f->res.end, SCAN_END_DONE);
    unsigned wrong = scenario_wrong_rows(&f->c, false);
    cr_assert_eq(wrong, 0);
    for (unsigned i = 0; i < f->c.limit; i++)
        cr_assert_eq(f->c.rows[i], 1, "target %u: %u rows", i, f->c.rows[i]);
    const struct stats_counters *t = &f->res.totals;
    fprintf(stderr, "dead beside live: %llu queries, %llu retried, icmp %llu\n",
            (unsigned long long)t->sent, (unsigned long long)t->retried,
            (unsigned long long)t->dropped[STATS_DROP_ICMP]);
    cr_assert_gt(t->dropped[STATS_DROP_ICMP], 0);
    cr_assert_eq(t->dropped[STATS_DROP_ICMP_UNMATCHED], 0);
    free(f);
}
