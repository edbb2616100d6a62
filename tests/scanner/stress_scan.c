/*
 * The scan scenario of scan_scenario.h as a plain program, repeated, for the
 * ThreadSanitizer build (Criterion's runner does not start under TSan).
 * Exit 0 when every run gives exactly one correct row per target.
 */
#include <stdlib.h>

#include "scan_scenario.h"

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 3;
    for (int run = 0; run < runs; run++) {
        struct responder *resp = calloc(1, sizeof(*resp));
        struct collect *c = calloc(1, sizeof(*c));
        struct scan_config *cfg = calloc(1, sizeof(*cfg));
        struct scan_result *res = calloc(1, sizeof(*res));
        if (resp == NULL || c == NULL || cfg == NULL || res == NULL || !responder_start(resp)) {
            fprintf(stderr, "stress_scan: setup failed\n");
            return 1;
        }
        /* Small windows force slot recycling through the epochs. */
        config(cfg, c, resp->port, run % 2 == 0 ? 32 : 256);
        cfg->key.k0 += (uint64_t)run;
        /* Several TX and RX workers share the matcher: 1+1, 2+2, 3+4. */
        static const unsigned queues[3][2] = { { 1, 1 }, { 2, 2 }, { 3, 4 } };
        cfg->engine_cfg.nb_txq = queues[run % 3][0];
        cfg->engine_cfg.nb_rxq = queues[run % 3][1];
        int rc = scenario_run(cfg, res);
        responder_stop(resp);
        /* Rows, and every checkpoint against the rows written by then. */
        unsigned wrong = rc == 0 ? scenario_wrong_rows(c, true) + c->ck_violations : NB_TARGETS;
        printf("stress_scan: run %d (%u TX, %u RX): %llu rows, %u wrong, %llu duplicates, %llu "
               "wrong-id\n",
               run, cfg->engine_cfg.nb_txq, cfg->engine_cfg.nb_rxq,
               (unsigned long long)res->totals.rows, wrong,
               (unsigned long long)res->totals.dropped[STATS_DROP_DUPLICATE],
               (unsigned long long)res->totals.dropped[STATS_DROP_WRONG_ID]);
        if (rc != 0 || res->end != SCAN_END_DONE || wrong != 0) {
            fprintf(stderr, "stress_scan: run %d failed: %s\n", run, res->error);
            return 1;
        }
        free(resp);
        free(c);
        free(cfg);
        free(res);
    }
    return 0;
}
