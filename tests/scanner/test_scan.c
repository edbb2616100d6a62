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

/* A started responder and config() for window; the test adjusts cfg. */
static struct fix *fix_new(unsigned window)
{
    struct fix *f = calloc(1, sizeof(*f));
    cr_assert_not_null(f);
    cr_assert(responder_start(&f->resp));
    config(&f->cfg, &f->c, f->resp.port, window);
    return f;
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
    cr_assert_eq(res->totals.dropped[STATS_DROP_CONFLICT], rule_count(R_CONFLICT));
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
    cr_assert_eq(scenario_wrong_rows(&f->c, true), 0);
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
