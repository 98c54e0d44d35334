/* test_integ_cluster.c: the suite on a real Redis Cluster of three masters (redis-server
 * --cluster-enabled yes, made by redis-cli --cluster create): tenants whose hash tags land on
 * different masters each get the demo organisation, a plan approved, a risk updated while a
 * watcher runs, events with duplicates (exact acks and counts), a report and an intact audit
 * chain; then one tenant's slot migrates to another master (MIGRATING/IMPORTING, MIGRATE, SETSLOT),
 * and another tenant's master is replaced by its new replica (CLUSTER FAILOVER), each while that
 * tenant's risks and events keep coming: every acknowledged one is there once afterwards. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "harness_msg.h"
#include "rl_cluster.h"

#define NTENANT 3
#define WATCH_MS 10000
#define ADDS 3              /* risk creates per round of the migration test */
#define MAX_RISKS 120
#define EVENTS_BEFORE (13 + 5 + 2)  /* each tenant's stored events after the first case */

typedef struct {
    harness_t *h;
    char tenant[NTENANT][16];
    char key[NTENANT][64];       /* each tenant's domain event stream: rl:{<tenant>}:events */
    int port[NTENANT];           /* the master of each tenant's slot */
} fx_t;

static harness_run_t res;

/* `riskline --tenant T ARGS` with env (NULL-ended, may be NULL); fails unless it exits `want`. */
static void run(harness_t *h, const char *const *env, int want, const char *const *argv)
{
    harness_run_free(&res);
    harness_cli(h, env, argv, &res);
    if (res.status != want)
        fail_msg("riskline %s %s %s ...: exit %d, want %d\nstdout: %s\nstderr: %s", argv[0], argv[1], argv[2],
                 res.status, want, res.out, res.err);
}
#define RUN(h, want, ...) run(h, NULL, want, (const char *const[]){__VA_ARGS__, NULL})

static void out_has(const char *want)
{
    if (!strstr(res.out, want))
        fail_msg("stdout lacks \"%s\":\n%s\nstderr: %s", want, res.out, res.err);
}

/* A reply of one command to the node at port, as ops (freeReplyObject it). */
static redisReply *node_cmd(const harness_t *h, int port, const char *fmt, ...)
{
    redisContext *c = harness_redis_connect_port(h, port, "ops");
    assert_non_null(c);
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    redisFree(c);
    assert_non_null(r);
    return r;
}

/* The keys of tenant t held by the node at port (SCAN MATCH on that node only). */
static long long tenant_keys_on(const harness_t *h, int port, const char *t)
{
    redisContext *c = harness_redis_connect_port(h, port, "ops");
    assert_non_null(c);
    long long n = 0;
    char cursor[32] = "0";
    do {
        redisReply *r = redisCommand(c, "SCAN %s MATCH rl:{%s}:* COUNT 1000", cursor, t);
        assert_true(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        n += (long long)r->element[1]->elements;
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    redisFree(c);
    return n;
}

/* The node id (CLUSTER MYID) of the node at port. */
static void node_id(const harness_t *h, int port, char *id, size_t size)
{
    redisReply *r = node_cmd(h, port, "CLUSTER MYID");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    snprintf(id, size, "%s", r->str);
    freeReplyObject(r);
}

/* Tenants named from a list until each master holds one: the slot of rl:{t}:... decides. */
static int setup(void **state)
{
    static const char *const names[] = {"acme", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta",
                                        "zeta", "iota", "lambda", "nova", "orbit", "pixel", "quartz", "rho"};
    fx_t *f = calloc(1, sizeof *f);
    harness_t *h = f->h = harness_new_cluster();
    if (harness_treatment_start(h) || harness_monitor_start(h) || harness_report_start(h)) {
        harness_destroy(&f->h);
        fail_msg("a service did not start on the cluster");
    }
    size_t n = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && n < NTENANT; i++) {
        char key[64];
        snprintf(key, sizeof key, "rl:{%s}:events", names[i]);
        int port = harness_cluster_port_of(h, key), taken = 0;
        for (size_t k = 0; k < n; k++)
            taken |= f->port[k] == port;
        if (port <= 0 || taken)
            continue;
        snprintf(f->tenant[n], sizeof f->tenant[n], "%s", names[i]);
        snprintf(f->key[n], sizeof f->key[n], "%s", key);
        f->port[n++] = port;
    }
    assert_int_equal(n, NTENANT);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    harness_run_free(&res);
    int st = harness_report_stop(f->h) | harness_monitor_stop(f->h) | harness_treatment_stop(f->h);
    harness_destroy(&f->h);
    free(f);
    return st == 0 ? 0 : -1;
}

/* The cluster's own slot of each tenant key equals ours, and the tenants sit on three masters. */
static void check_spread(fx_t *f)
{
    for (int i = 0; i < NTENANT; i++) {
        char key[64];
        snprintf(key, sizeof key, "rl:{%s}:risk:R-1", f->tenant[i]);
        redisReply *r = node_cmd(f->h, f->h->cluster_port[0], "CLUSTER KEYSLOT %s", key);
        assert_int_equal(r->type, REDIS_REPLY_INTEGER);
        assert_int_equal(r->integer, rl_cluster_slot(key, strlen(key)));
        freeReplyObject(r);
        for (int k = 0; k < i; k++)
            assert_int_not_equal(f->port[i], f->port[k]);
        int seen = 0;
        for (int n = 0; n < f->h->cluster_n; n++)
            seen += f->h->cluster_port[n] == f->port[i];
        assert_int_equal(seen, 1);
    }
}

/* `riskline watch --json` of tenant t in the background. */
static harness_proc_t *watch(harness_t *h, const char *t)
{
    const char *argv[] = {"--tenant", t, "watch", "--json", NULL};
    harness_proc_t *p = harness_cli_spawn(h, NULL, argv);
    assert_non_null(p);
    return p;
}

/* Waits until the watcher printed `event` of entity `id`. */
static void watch_wait(harness_proc_t *p, const char *event, const char *id)
{
    for (int64_t end = harness_mono_ms() + WATCH_MS;;) {
        char *out = harness_cli_output(p);
        int found = 0;
        for (char *line = strtok(out, "\n"); line && !found; line = strtok(NULL, "\n")) {
            cJSON *j = cJSON_Parse(line);
            found = j && !strcmp(harness_jstr(j, "event"), event) && !strcmp(harness_jstr(j, "entity_id"), id);
            cJSON_Delete(j);
        }
        free(out);
        if (found)
            return;
        if (harness_mono_ms() > end)
            fail_msg("watch did not print %s %s within %d ms", event, id, WATCH_MS);
        harness_sleep_ms(50);
    }
}

/* k events of tenant t as JSON lines (ids <prefix>-<i>), each line i >= dup_from repeating line
 * i - dup_from; returns the path. */
static const char *event_file(harness_t *h, const char *t, const char *prefix, int k, int dup_from)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s-%s.jsonl", h->dir, t, prefix);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < k; i++) {
        int id = dup_from > 0 && i >= dup_from ? i - dup_from : i;
        fprintf(fp, "{\"source\":\"cluster-test\",\"event_id\":\"%s-%d\",\"kind\":\"incident\",\"severity\":\"low\","
                    "\"occurred_at\":\"2026-11-26T10:00:00Z\",\"summary\":\"event %d of %s\",\"risk_ids\":[\"R-2\"]}\n",
                prefix, id, id, t);
    }
    fclose(fp);
    return path;
}

/* How many lines of the last output end with " accepted" / " duplicate". */
static void count_acks(int *accepted, int *duplicate)
{
    *accepted = *duplicate = 0;
    for (const char *p = res.out; (p = strstr(p, " accepted\n")); p++)
        (*accepted)++;
    for (const char *p = res.out; (p = strstr(p, " duplicate\n")); p++)
        (*duplicate)++;
}

/* The whole scenario in tenant t: demo organisation, approval, update seen live, events with
 * duplicates, report, audit chain. */
static void scenario(fx_t *f, int i)
{
    harness_t *h = f->h;
    const char *t = f->tenant[i];
    RUN(h, 0, "demo", "load", "--tenant", t);
    out_has("risks        30: 4 critical, 8 high, 13 medium, 5 low\n");
    out_has("events       6 from vuln-scanner and 7 from siem-prod: 13 accepted, 0 duplicate\n");
    if (!h->insecure) {
        /* the approval the summary suggests, by the key it names (segregation of duties) */
        char key[700] = "", plan[32] = "", env_key[720];
        const char *hint = strstr(res.out, "RISKLINE_KEY_FILE=");
        if (!hint || sscanf(hint, "RISKLINE_KEY_FILE=%599s riskline --tenant %*s plan approve %31s", key, plan) != 2)
            fail_msg("no approval hint in:\n%s", res.out);
        snprintf(env_key, sizeof env_key, "RISKLINE_KEY_FILE=%s", key);
        const char *env[] = {env_key, NULL};
        run(h, env, 0, (const char *const[]){"--tenant", t, "plan", "approve", plan, NULL});
        out_has(" approved: version ");
        out_has(", state approved");
    }
    /* an update reaches a watcher of the tenant (report service, consumer group on its stream) */
    harness_proc_t *w = watch(h, t);
    harness_sleep_ms(300);
    RUN(h, 0, "--tenant", t, "risk", "update", "R-1", "--title", "Updated on the cluster");
    watch_wait(w, "risk.updated", "R-1");
    harness_cli_signal(w, SIGTERM);
    harness_run_t wr;
    harness_cli_wait(w, &wr);
    assert_int_equal(wr.status, 0);
    harness_run_free(&wr);
    /* 8 events, the last 3 repeating the first 3: 5 accepted, 3 duplicate; again: 8 duplicate */
    int acc, dup;
    RUN(h, 0, "--tenant", t, "event", "send", "--file", event_file(h, t, "ev", 8, 5));
    count_acks(&acc, &dup);
    assert_int_equal(acc, 5);
    assert_int_equal(dup, 3);
    RUN(h, 0, "--tenant", t, "event", "send", "--file", event_file(h, t, "ev", 8, 5));
    count_acks(&acc, &dup);
    assert_int_equal(acc, 0);
    assert_int_equal(dup, 8);
    long long total = 0, distinct = 0;
    assert_int_equal(harness_riskevents(h, t, &total, &distinct), 0);
    assert_int_equal(total, 13 + 5);
    assert_int_equal(distinct, total);
    /* a document over everything above */
    char path[600];
    snprintf(path, sizeof path, "%s/%s-register.json", h->dir, t);
    RUN(h, 0, "--tenant", t, "report", "risk_register", "--format", "json", "--out", path);
    char *doc = harness_read_file(path, NULL);
    assert_non_null(doc);
    if (!strstr(doc, "Updated on the cluster"))
        fail_msg("the report lacks the update:\n%.2000s", doc);
    free(doc);
    RUN(h, 0, "--tenant", t, "audit", "verify");
    if (strncmp(res.out, "chain intact: ", 14) != 0)
        fail_msg("audit verify: %s", res.out);
    long long mine = tenant_keys_on(h, f->port[i], t);
    printf("cluster: tenant %s on master :%d: %lld keys, %lld risk events stored; %s", t, f->port[i], mine, total,
           res.out);
}

static void test_tenants_on_three_masters(void **state)
{
    fx_t *f = *state;
    check_spread(f);
    int64_t t0 = harness_mono_ms();
    for (int i = 0; i < NTENANT; i++)
        scenario(f, i);
    /* each tenant's keys live on its master only */
    for (int i = 0; i < NTENANT; i++)
        for (int n = 0; n < f->h->cluster_n; n++) {
            long long keys = tenant_keys_on(f->h, f->h->cluster_port[n], f->tenant[i]);
            if (f->h->cluster_port[n] == f->port[i])
                assert_true(keys > 50);
            else
                assert_int_equal(keys, 0);
        }
    /* every node lost its scripts (SCRIPT FLUSH, as a restart without AOF would): the services'
     * EVALSHA meets NOSCRIPT on each master and sends the script there again */
    for (int n = 0; n < f->h->cluster_n; n++)
        freeReplyObject(node_cmd(f->h, f->h->cluster_port[n], "SCRIPT FLUSH"));
    for (int i = 0; i < NTENANT; i++) {
        RUN(f->h, 0, "--tenant", f->tenant[i], "risk", "add", "--title", "After SCRIPT FLUSH", "--owner",
            "local-admin", "--likelihood", "1", "--impact", "1");
        out_has(" created");
        RUN(f->h, 0, "--tenant", f->tenant[i], "event", "send", "--file", event_file(f->h, f->tenant[i], "fl", 2, 0));
        out_has("fl-1 accepted");
    }
    printf("cluster: %d tenants on %d masters, scenario in %lld ms\n", NTENANT, f->h->cluster_n,
           (long long)(harness_mono_ms() - t0));
}

/* --- a slot migrates while the services serve its tenant --- */

/* Moves slot from the node at src to the node at dst the way redis-cli --cluster reshard does
 * (IMPORTING, MIGRATING, MIGRATE keys in batches, SETSLOT NODE everywhere), with pauses so the
 * services meet ASK and TRYAGAIN, then MOVED. Runs in a child: 0 ok. */
static int migrate_slot(const harness_t *h, unsigned slot, int src, int dst)
{
    char src_id[64], dst_id[64], pw[128];
    node_id(h, src, src_id, sizeof src_id);
    node_id(h, dst, dst_id, sizeof dst_id);
    char path[600];
    snprintf(path, sizeof path, "%s/redis-ops.password", h->dir);
    char *p = harness_read_file(path, NULL);
    if (!p)
        return -1;
    snprintf(pw, sizeof pw, "%.*s", (int)strcspn(p, "\r\n"), p);
    free(p);
    redisContext *s = harness_redis_connect_port(h, src, "ops"), *d = harness_redis_connect_port(h, dst, "ops");
    if (!s || !d)
        return -1;
    int ok = 1;
    redisReply *r = redisCommand(d, "CLUSTER SETSLOT %u IMPORTING %s", slot, src_id);
    ok &= r && r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    r = redisCommand(s, "CLUSTER SETSLOT %u MIGRATING %s", slot, dst_id);
    ok &= r && r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    harness_sleep_ms(300);
    for (int batch = 0; ok; batch++) {
        r = redisCommand(s, "CLUSTER GETKEYSINSLOT %u 20", slot);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            ok = 0;
            break;
        }
        size_t n = r->elements;
        if (n == 0) {
            freeReplyObject(r);
            break;
        }
        const char *argv[64];
        size_t len[64], k = 0;
        const char *head[] = {"MIGRATE", "127.0.0.1", NULL, "", "0", "5000", "AUTH2", "ops", pw, "KEYS"};
        char port[16];
        snprintf(port, sizeof port, "%d", dst);
        head[2] = port;
        for (size_t i = 0; i < 10; i++) {
            argv[k] = head[i];
            len[k++] = strlen(head[i]);
        }
        for (size_t i = 0; i < n; i++) {
            argv[k] = r->element[i]->str;
            len[k++] = r->element[i]->len;
        }
        redisReply *m = redisCommandArgv(s, (int)k, argv, len);
        ok &= m && m->type == REDIS_REPLY_STATUS;
        if (!ok)
            fprintf(stderr, "MIGRATE: %s\n", m && m->str ? m->str : "no reply");
        freeReplyObject(m);
        freeReplyObject(r);
        harness_sleep_ms(20);
    }
    for (int n = 0; ok && n < h->cluster_n; n++) {
        redisContext *c = harness_redis_connect_port(h, h->cluster_port[n], "ops");
        r = c ? redisCommand(c, "CLUSTER SETSLOT %u NODE %s", slot, dst_id) : NULL;
        ok &= r && r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
        redisFree(c);
    }
    redisFree(s);
    redisFree(d);
    return ok ? 0 : -1;
}

/* The id printed by `risk add` ("R-<n>" somewhere in its output), or fails. */
static void added_id(char *id, size_t size)
{
    const char *p = strstr(res.out, "R-");
    if (!p)
        fail_msg("risk add printed no id: %s", res.out);
    snprintf(id, size, "%.*s", (int)strspn(p + 2, "0123456789") + 2, p);
}

/* Requests of one tenant from several clients at once, and what they were told. */
typedef struct {
    const char *tenant;
    const char *tag;                 /* in titles and event ids: each test its own */
    char ids[MAX_RISKS][16];         /* risks acknowledged */
    int nrisk, accepted, rounds;     /* accepted: events */
    int moved_before;                /* "slot moved" lines the register had logged before */
} traffic_t;

/* Lines of the register's log that say it learned a slot's new master from a MOVED. */
static int moves_logged(const harness_t *h)
{
    char *log = harness_read_file(h->register_log, NULL);
    assert_non_null(log);
    int n = 0;
    for (const char *p = log; (p = strstr(p, "redis cluster slot moved")); p++)
        n++;
    free(log);
    return n;
}

/* One round at once: ADDS risk creates, an event batch of 6 with 2 duplicates and a read of R-1,
 * each its own CLI process; every one must be acknowledged. -1 when ids would overflow. */
static int traffic_round(harness_t *h, traffic_t *tr)
{
    if (tr->nrisk + ADDS > MAX_RISKS)
        return -1;
    const char *t = tr->tenant;
    char title[ADDS][64], prefix[32];
    harness_proc_t *p[ADDS + 2];
    for (int k = 0; k < ADDS; k++) {
        snprintf(title[k], sizeof title[k], "Added during %s %d.%d", tr->tag, tr->rounds, k);
        p[k] = harness_cli_spawn(h, NULL, (const char *const[]){"--tenant", t, "risk", "add", "--title", title[k],
                                                               "--owner", "local-admin", "--likelihood", "3",
                                                               "--impact", "2", NULL});
    }
    snprintf(prefix, sizeof prefix, "%s%d", tr->tag, tr->rounds);
    p[ADDS] = harness_cli_spawn(h, NULL, (const char *const[]){"--tenant", t, "event", "send", "--file",
                                                              event_file(h, t, prefix, 6, 4), NULL});
    p[ADDS + 1] = harness_cli_spawn(h, NULL, (const char *const[]){"--tenant", t, "risk", "show", "R-1", NULL});
    for (int k = 0; k < ADDS + 2; k++) {
        harness_run_free(&res);
        harness_cli_wait(p[k], &res);
        if (res.status != 0)
            fail_msg("%s round %d, client %d: exit %d\nstdout: %s\nstderr: %s", tr->tag, tr->rounds, k, res.status,
                     res.out, res.err);
        if (k < ADDS) {
            added_id(tr->ids[tr->nrisk++], sizeof tr->ids[0]);
        } else if (k == ADDS) {
            int acc, dup;
            count_acks(&acc, &dup);
            assert_int_equal(acc, 4);
            assert_int_equal(dup, 2);
            tr->accepted += acc;
        } else {
            out_has("Updated on the cluster");
        }
    }
    tr->rounds++;
    return 0;
}

/* Nothing acknowledged lost or doubled: every risk id once and readable, every event stored once
 * (events_before + accepted), the chain intact, and the register redirected by a MOVED. Returns
 * the events stored; res keeps the verdict of audit verify. */
static long long traffic_check(harness_t *h, const traffic_t *tr, long long events_before)
{
    const char *t = tr->tenant;
    for (int i = 0; i < tr->nrisk; i++) {
        for (int k = 0; k < i; k++)
            if (!strcmp(tr->ids[i], tr->ids[k]))
                fail_msg("%s was given twice", tr->ids[i]);
        RUN(h, 0, "--tenant", t, "risk", "show", tr->ids[i]);
        out_has("Added during ");
    }
    long long total = 0, distinct = 0;
    assert_int_equal(harness_riskevents(h, t, &total, &distinct), 0);
    assert_int_equal(total, events_before + tr->accepted);
    assert_int_equal(distinct, total);
    assert_true(moves_logged(h) > tr->moved_before);
    RUN(h, 0, "--tenant", t, "audit", "verify");
    if (strncmp(res.out, "chain intact: ", 14) != 0)
        fail_msg("audit verify: %s", res.out);
    return total;
}

static void test_slot_migration(void **state)
{
    fx_t *f = *state;
    harness_t *h = f->h;
    const char *t = f->tenant[0], *key = f->key[0];
    unsigned slot = rl_cluster_slot(key, strlen(key));
    int src = f->port[0], dst = f->port[1];
    RUN(h, 0, "--tenant", t, "risk", "add", "--title", "Before the move", "--owner", "local-admin", "--likelihood", "2",
        "--impact", "3");
    long long before_keys = tenant_keys_on(h, src, t);
    assert_true(before_keys > 0);

    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        _exit(migrate_slot(h, slot, src, dst) == 0 ? 0 : 1);
    }
    assert_true(child > 0);
    traffic_t tr = {.tenant = t, .tag = "mv", .moved_before = moves_logged(h)};
    int after = 0, st = -1;
    int64_t t0 = harness_mono_ms();
    while (after < 2 && traffic_round(h, &tr) == 0) {
        if (st < 0) {
            int w = 0;
            st = waitpid(child, &w, WNOHANG) == child ? (WIFEXITED(w) ? WEXITSTATUS(w) : 128) : -1;
        }
        after += st >= 0;
    }
    if (st < 0) {
        int w = 0;
        waitpid(child, &w, 0);
        st = WIFEXITED(w) ? WEXITSTATUS(w) : 128;
    }
    assert_int_equal(st, 0);
    int64_t took = harness_mono_ms() - t0;
    /* the slot is the other master's now, with every key of the tenant */
    assert_int_equal(harness_cluster_port_of(h, key), dst);
    assert_int_equal(tenant_keys_on(h, src, t), 0);
    assert_true(tenant_keys_on(h, dst, t) >= before_keys);
    long long total = traffic_check(h, &tr, EVENTS_BEFORE);
    printf("cluster: slot %u of tenant %s moved :%d -> :%d; %d rounds of %d clients in %lld ms: %d risks and %d events "
           "acknowledged, all stored once (%lld events in the log); %s",
           slot, t, src, dst, tr.rounds, ADDS + 2, (long long)took, tr.nrisk, tr.accepted, total, res.out);
}

/* A replica joins the master of a tenant, then takes over (CLUSTER FAILOVER on it: the master
 * stops, the replica catches up, they swap) while that tenant's requests keep coming: the old
 * master now answers MOVED, the services follow, nothing acknowledged is lost or doubled. */
static void test_manual_failover(void **state)
{
    fx_t *f = *state;
    harness_t *h = f->h;
    const char *t = f->tenant[2], *key = f->key[2];
    int master = f->port[2], replica = harness_cluster_add_replica(h, master);
    assert_true(replica > 0);
    assert_int_equal(harness_cluster_port_of(h, key), master);
    traffic_t tr = {.tenant = t, .tag = "fo", .moved_before = moves_logged(h)};
    int64_t t0 = harness_mono_ms(), switched = 0;
    int after = 0;
    while (after < 2 && traffic_round(h, &tr) == 0) {
        if (tr.rounds == 2) {
            redisReply *r = node_cmd(h, replica, "CLUSTER FAILOVER");
            if (r->type != REDIS_REPLY_STATUS)
                fail_msg("CLUSTER FAILOVER: %s", r->str ? r->str : "?");
            freeReplyObject(r);
        }
        if (!switched && tr.rounds > 2 && harness_cluster_port_of(h, key) == replica)
            switched = harness_mono_ms();
        after += switched != 0;
        if (harness_mono_ms() - t0 > 30000)
            fail_msg("the replica did not take over within 30 s");
    }
    assert_int_equal(harness_cluster_port_of(h, key), replica);
    /* the old master follows the new one */
    redisReply *r = node_cmd(h, master, "ROLE");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[0]->str, "slave");
    freeReplyObject(r);
    long long total = traffic_check(h, &tr, EVENTS_BEFORE);
    printf("cluster: tenant %s failed over :%d -> :%d (CLUSTER FAILOVER) after %d of %d rounds of %d clients: "
           "%d risks and %d events acknowledged, all stored once (%lld events in the log); %s",
           t, master, replica, 2, tr.rounds, ADDS + 2, tr.nrisk, tr.accepted, total, res.out);
}

/* A register pointed at one node without RISKLINE_REDIS_CLUSTER meets MOVED for the key store's
 * slot: it says what to set instead of handing MOVED on. */
static void test_single_server_setting_refused(void **state)
{
    fx_t *f = *state;
    harness_t *h = f->h;
    const char *auth = "rl:{_auth}:keys";
    int other = 0;
    for (int n = 0; n < 3 && !other; n++)
        if (h->cluster_port[n] != harness_cluster_port_of(h, auth) && h->cluster_port[n] > 0)
            other = h->cluster_port[n];
    assert_true(other > 0);
    char port[64], endpoint[80];
    snprintf(port, sizeof port, "RISKLINE_REDIS_PORT=%d", other);
    snprintf(endpoint, sizeof endpoint, "RISKLINE_REGISTER_ENDPOINT=tcp://127.0.0.1:%d", harness_free_port());
    const char *env[] = {"RISKLINE_REDIS_CLUSTER=", port, endpoint, NULL};
    harness_register_exec(h, env, 3000);
    char *log = harness_read_file(h->register_log, NULL);
    assert_non_null(log);
    int said = strstr(log, "redis is a cluster node: set RISKLINE_REDIS_CLUSTER") != NULL;
    free(log);
    assert_true(said);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tenants_on_three_masters),
        cmocka_unit_test(test_slot_migration),
        cmocka_unit_test(test_manual_failover),
        cmocka_unit_test(test_single_server_setting_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
