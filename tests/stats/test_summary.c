/*
 * tests/stats/test_summary.c - the --summary file: every key present,
 * 128-bit counts, atomic publication, no clobbering without --force.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fcrscan_config.h"
#include "stats/summary.h"
#include "stats/writer.h"
#include "testutil.h"

static char errbuf[512];

static struct stats_summary *make_summary(void)
{
    struct stats_summary *s = stats_summary_new();
    cr_assert_not_null(s);
    static const char *const resolvers[] = { "192.0.2.53", "2001:db8::53:5353" };
    cr_assert_eq(stats_summary_config_str(s, "engine", "socket"), 0);
    cr_assert_eq(stats_summary_config_u64(s, "rate", 10000), 0);
    cr_assert_eq(stats_summary_config_u64(s, "seed", UINT64_MAX), 0);
    cr_assert_eq(stats_summary_config_i64(s, "max_runtime", -1), 0);
    cr_assert_eq(stats_summary_config_bool(s, "0x20", true), 0);
    cr_assert_eq(stats_summary_config_fixed(s, "timeout_s", 1.5, 3), 0);
    cr_assert_eq(stats_summary_config_list(s, "resolvers", resolvers, 2), 0);
    cr_assert_eq(stats_summary_config_list(s, "blocklist", NULL, 0), 0);
    cr_assert_eq(stats_summary_config_str(s, "resume", NULL), 0);
    cr_assert_eq(stats_summary_config_str(s, "input", "targets\n\"%n\xff.txt"), 0);
    return s;
}

static void make_run(struct stats_summary_run *run, struct stats_counters *c)
{
    memset(c, 0, sizeof(*c));
    c->verdicts[STATS_VERDICT_PASS] = 7;
    c->verdicts[STATS_VERDICT_TEMPFAIL] = 1;
    c->flags[0] = 3;                      /* generic-name */
    c->flags[STATS_FLAG_COUNT - 1] = 2;   /* wildcard-reverse */
    c->rcodes[0] = 5;                     /* NOERROR */
    c->rcodes[3] = 2;                     /* NXDOMAIN */
    c->rcodes[STATS_RCODE_SLOTS - 1] = 1; /* TIMEOUT */
    c->sent = 30;
    c->received = 25;
    c->retried = 4;
    c->tcp = 1;
    c->rows = 8;
    c->dropped[STATS_DROP_QUESTION] = 9;
    c->dropped[STATS_DROP_FRAME_FIRST] = 4;
    memset(run, 0, sizeof(*run));
    run->started_ms = 1795683600123LL;
    run->finished_ms = 1795683612623LL;
    run->elapsed_ns = 12500000000ull;
    run->targets_total = ((stats_u128)1 << 64) + 5;
    run->targets_scanned = 8;
    run->targets_blocklisted = ((stats_u128)1 << 64) - 3;
    run->totals = c;
    run->exit_status = 3;
    run->exit_why = "interrupted (SIGINT)";
}

static const char py_check[] =
    "import json, sys\n"
    "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
    "keys = ['version','config','started','finished','elapsed_s','targets','verdicts','flags',\n"
    "        'rcodes','queries','dropped','rate_qps','exit']\n"
    "assert list(d) == keys, list(d)\n"
    "assert d['version'] == sys.argv[2], d['version']\n"
    "assert d['config'] == {'engine':'socket','rate':10000,'seed':2**64-1,'max_runtime':-1,\n"
    "    '0x20':True,'timeout_s':1.5,'resolvers':['192.0.2.53','2001:db8::53:5353'],\n"
    "    'blocklist':[],'resume':None,'input':'targets\\n\"%n\\ufffd.txt'}, d['config']\n"
    "assert d['started'] == '2026-11-26T09:00:00.123Z'\n"
    "assert d['finished'] == '2026-11-26T09:00:12.623Z'\n"
    "assert d['elapsed_s'] == 12.5\n"
    "assert d['targets'] == {'total':2**64+5,'scanned':8,'blocklisted':2**64-3}, d['targets']\n"
    "v = ['pass','partial','mismatch','dangling','unusable','no-ptr','ptr-nodata','tempfail']\n"
    "assert list(d['verdicts']) == v\n"
    "assert d['verdicts']['pass'] == 7 and d['verdicts']['tempfail'] == 1\n"
    "assert sum(d['verdicts'].values()) == 8\n"
    "f = ['generic-name','bare-domain','multi-ptr','multi-ptr-over-limit','cname-reverse',\n"
    "     'forward-cname','wrong-family','ip-literal','invalid-name','non-fqdn',\n"
    "     'placeholder-name','truncated','forward-temp-other-name','wildcard-reverse']\n"
    "assert list(d['flags']) == f\n"
    "assert d['flags']['generic-name'] == 3 and d['flags']['wildcard-reverse'] == 2\n"
    "assert sum(d['flags'].values()) == 5\n"
    "assert d['rcodes'] == {'NOERROR':5,'NXDOMAIN':2,'TIMEOUT':1}, d['rcodes']\n"
    "assert d['queries'] == "
    "{'sent':30,'received':25,'retried':4,'tcp':1,'send_errors':0,'breaker_opens':0,'index_full':0,"
    "'tcp_full':0}\n"
    "dr = ['short','not_response','opcode','question','counts','pointer','labeltype',\n"
    "      'name_len','overrun','rdlen','rdata','opt','cname_loop','too_many_rrs',\n"
    "      'frame-short','frame-ethertype','frame-ip_header','frame-len','frame-ip_fragments',\n"
    "      'frame-proto','frame-csum','frame-ext_header','wrong-source','wrong-port',\n"
    "      "
    "'wrong-id','question-mismatch','case-0x20','duplicate','late','conflict','oversize','engine-"
    "missed','icmp','icmp-unmatched']\n"
    "assert list(d['dropped']) == dr, list(d['dropped'])\n"
    "assert d['dropped']['question-mismatch'] == 9 and d['dropped']['frame-short'] == 4\n"
    "assert d['dropped']['question'] == 0\n"
    "assert sum(d['dropped'].values()) == 13\n"
    "assert d['rate_qps'] == 2.4, d['rate_qps']\n"
    "assert d['exit'] == {'status':3,'why':'interrupted (SIGINT)'}\n";

static unsigned count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

Test(stats_summary, has_every_key_and_exact_values)
{
    struct stats_summary *s = make_summary();
    struct stats_summary_run run;
    struct stats_counters c;
    make_run(&run, &c);
    run.version = "9.8.7-test";
    const char *dir = tu_tmpdir();
    char p[600];
    snprintf(p, sizeof(p), "%s/summary.json", dir);
    int rc = stats_summary_write(s, &run, p, false, errbuf, sizeof(errbuf));
    cr_assert_eq(rc, 0, "%d %s", rc, errbuf);
    cr_assert_eq(count_entries(dir), 1, "no temporary file left");
    cr_assert_eq(tu_python(py_check, p, "9.8.7-test", NULL), 0);
    stats_summary_free(s);
}

Test(stats_summary, defaults_version_and_zero_counters)
{
    struct stats_summary_run run;
    memset(&run, 0, sizeof(run));
    struct stats_json j;
    stats_json_init(&j, NULL, 0, 0);
    stats_summary_render(NULL, &run, &j);
    int n = stats_json_finish(&j);
    cr_assert_gt(n, 0);
    char want[128];
    snprintf(want, sizeof(want), "{\"version\":\"%s\",\"config\":{},", FCRSCAN_VERSION);
    cr_assert_eq(strncmp(j.buf, want, strlen(want)), 0, "%s", j.buf);
    cr_assert_not_null(strstr(j.buf, "\"rcodes\":{},"), "no rcode occurred");
    cr_assert_not_null(strstr(j.buf, "\"pass\":0,"));
    cr_assert_not_null(strstr(j.buf, "\"engine-missed\":0,\"icmp\":0,\"icmp-unmatched\":0}"));
    cr_assert_not_null(strstr(j.buf, "\"rate_qps\":0.0,"));
    cr_assert_not_null(strstr(j.buf, "\"elapsed_s\":0.000,"));
    stats_json_fini(&j);
}

Test(stats_summary, refuses_to_replace_without_force_and_replaces_with_it)
{
    struct stats_summary *s = make_summary();
    struct stats_summary_run run;
    struct stats_counters c;
    make_run(&run, &c);
    const char *dir = tu_tmpdir();
    char p[600];
    snprintf(p, sizeof(p), "%s/summary.json", dir);
    tu_write_file(p, "old\n", 4);

    cr_assert_eq(stats_summary_check_path(p, false, errbuf, sizeof(errbuf)), -EEXIST);
    cr_assert_not_null(strstr(errbuf, p), "%s", errbuf);
    cr_assert_eq(stats_summary_write(s, &run, p, false, errbuf, sizeof(errbuf)), -EEXIST);
    cr_assert_not_null(strstr(errbuf, "--force"), "%s", errbuf);
    size_t len;
    char *got = tu_read_file(p, &len);
    cr_assert_str_eq(got, "old\n");
    free(got);
    cr_assert_eq(count_entries(dir), 1);

    cr_assert_eq(stats_summary_check_path(p, true, errbuf, sizeof(errbuf)), 0);
    cr_assert_eq(stats_summary_write(s, &run, p, true, errbuf, sizeof(errbuf)), 0, "%s", errbuf);
    got = tu_read_file(p, &len);
    cr_assert_eq(got[0], '{');
    free(got);
    cr_assert_eq(count_entries(dir), 1);
    stats_summary_free(s);
}

Test(stats_summary, a_symlink_at_the_path_is_replaced_not_followed)
{
    struct stats_summary_run run;
    struct stats_counters c;
    make_run(&run, &c);
    const char *dir = tu_tmpdir();
    char p[600], target[600];
    snprintf(p, sizeof(p), "%s/summary.json", dir);
    snprintf(target, sizeof(target), "%s/system-file", dir);
    tu_write_file(target, "keep\n", 5);
    cr_assert_eq(symlink(target, p), 0);
    cr_assert_eq(stats_summary_write(NULL, &run, p, false, errbuf, sizeof(errbuf)), -EEXIST);
    cr_assert_eq(stats_summary_write(NULL, &run, p, true, errbuf, sizeof(errbuf)), 0, "%s", errbuf);
    struct stat st;
    cr_assert_eq(lstat(p, &st), 0);
    cr_assert(S_ISREG(st.st_mode), "the link itself was replaced");
    size_t len;
    char *got = tu_read_file(target, &len);
    cr_assert_str_eq(got, "keep\n");
    free(got);
}

Test(stats_summary, reports_an_unusable_directory_with_the_name)
{
    struct stats_summary_run run;
    memset(&run, 0, sizeof(run));
    const char *dir = tu_tmpdir();
    char p[600];
    snprintf(p, sizeof(p), "%s/missing/summary.json", dir);
    cr_assert_eq(stats_summary_check_path(p, false, errbuf, sizeof(errbuf)), -ENOENT);
    cr_assert_eq(stats_summary_write(NULL, &run, p, true, errbuf, sizeof(errbuf)), -ENOENT);
    cr_assert_not_null(strstr(errbuf, p), "%s", errbuf);
    cr_assert_eq(count_entries(dir), 0);
    cr_assert_eq(stats_summary_check_path("", false, errbuf, sizeof(errbuf)), -EINVAL);
    snprintf(p, sizeof(p), "%s", dir);
    cr_assert_eq(stats_summary_check_path(p, true, errbuf, sizeof(errbuf)), -EISDIR);
}

Test(stats_summary, config_keys_are_unique)
{
    struct stats_summary *s = stats_summary_new();
    cr_assert_not_null(s);
    cr_assert_eq(stats_summary_config_u64(s, "rate", 1), 0);
    cr_assert_eq(stats_summary_config_str(s, "rate", "2"), -EEXIST);
    cr_assert_eq(stats_summary_config_bool(s, NULL, true), -EINVAL);
    static const char *const v[] = { "a", NULL };
    cr_assert_eq(stats_summary_config_list(s, "l", v, 2), 0, "a NULL item becomes \"\"");
    struct stats_summary_run run;
    memset(&run, 0, sizeof(run));
    struct stats_json j;
    stats_json_init(&j, NULL, 0, 0);
    stats_summary_render(s, &run, &j);
    cr_assert_gt(stats_json_finish(&j), 0);
    cr_assert_not_null(strstr(j.buf, "\"config\":{\"rate\":1,\"l\":[\"a\",\"\"]},"), "%s", j.buf);
    stats_json_fini(&j);
    stats_summary_free(s);
    stats_summary_free(NULL);
}
