/* test_integ_sentinel.c: Redis high availability through Sentinel, with real processes on loopback:
 * the harness's master, a replica, three sentinels; the register and the monitor find the master
 * through the sentinels; mid-stream of event batches and risk creates the master is SIGKILLed (or
 * demoted by SENTINEL FAILOVER); afterwards every acknowledged event and risk is on the new
 * master, each once. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "harness_msg.h"

#define NSENTINEL 3
#define BATCH 50
#define BATCHES 40
#define KILL_AT 12          /* the master dies after this many acknowledged batches */
#define DEADLINE_MS 60000   /* the whole stream, failover included */
#define MEASURE_N 200       /* creates timed with and without WAIT */
#define WARMUP 5

typedef struct {
    harness_t *h;
    int replica_port;
    pid_t replica_pid;
    int sentinel_port[NSENTINEL];
    pid_t sentinel_pid[NSENTINEL];
    char sentinels_env[160];
    char replica_pw[80];
} fx_t;

/* First line of <dir>/redis-<user>.password into buf. */
static void password_of(const harness_t *h, const char *user, char *buf, size_t size)
{
    char path[600];
    snprintf(path, sizeof path, "%s/redis-%s.password", h->dir, user);
    char *pw = harness_read_file(path, NULL);
    assert_non_null(pw);
    pw[strcspn(pw, "\r\n")] = '\0';
    snprintf(buf, size, "%s", pw);
    free(pw);
}

static int write_conf(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    fclose(f);
    return chmod(path, 0600);
}

/* redis-server <conf> [--sentinel]; dies with the test (PDEATHSIG). */
static pid_t start_redis(const char *conf, int sentinel)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    char *argv[] = {"redis-server", (char *)conf, sentinel ? "--sentinel" : NULL, NULL};
    execvp("redis-server", argv);
    _exit(127);
}

static void stop(pid_t *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGKILL);
        waitpid(*pid, NULL, 0);
    }
    *pid = 0;
}

/* A connection to 127.0.0.1:port as ops (sentinels: without AUTH); NULL when it fails. */
static redisContext *connect_port(const harness_t *h, int port, int auth)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (!c || c->err) {
        redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (auth) {
        char pw[80];
        password_of(h, "ops", pw, sizeof pw);
        redisReply *r = redisCommand(c, "AUTH ops %s", pw);
        int ok = r && r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
        if (!ok) {
            redisFree(c);
            return NULL;
        }
    }
    return c;
}

/* A string or status reply of one command (malloc'd), "" when none. */
static char *ask(const harness_t *h, int port, int auth, const char *cmd)
{
    redisContext *c = connect_port(h, port, auth);
    redisReply *r = c ? redisCommand(c, cmd) : NULL;
    char *out = strdup(r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) ? r->str : "");
    freeReplyObject(r);
    redisFree(c);
    return out;
}

/* The master's port as sentinel i names it, 0 when it does not answer. */
static int master_port(const harness_t *h, int sentinel_port)
{
    redisContext *c = connect_port(h, sentinel_port, 0);
    redisReply *r = c ? redisCommand(c, "SENTINEL get-master-addr-by-name riskline") : NULL;
    int port = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 ? atoi(r->element[1]->str) : 0;
    freeReplyObject(r);
    redisFree(c);
    return port;
}

/* A field "name:value" of an INFO or SENTINEL MASTER text, or -1. */
static long info_field(const char *text, const char *name)
{
    const char *p = strstr(text, name);
    return p ? strtol(p + strlen(name), NULL, 10) : -1;
}

/* Sentinel i knows the 2 others and the replica (they find each other over the hello channel). */
static int sentinel_ready(const harness_t *h, int port)
{
    redisContext *c = connect_port(h, port, 0);
    redisReply *r = c ? redisCommand(c, "SENTINEL master riskline") : NULL;
    int others = -1, replicas = -1;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        if (!strcmp(r->element[i]->str, "num-other-sentinels"))
            others = atoi(r->element[i + 1]->str);
        if (!strcmp(r->element[i]->str, "num-slaves"))
            replicas = atoi(r->element[i + 1]->str);
    }
    freeReplyObject(r);
    redisFree(c);
    return others == NSENTINEL - 1 && replicas == 1;
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    harness_t *h = f->h = harness_new();
    char pw[80], conf[600], text[2048];
    password_of(h, "replica", f->replica_pw, sizeof f->replica_pw);
    /* the master follows the new master after a failover too: it authenticates as `replica` */
    redisContext *m = connect_port(h, h->redis_port, 1);
    assert_non_null(m);
    freeReplyObject(redisCommand(m, "CONFIG SET masteruser replica"));
    freeReplyObject(redisCommand(m, "CONFIG SET masterauth %s", f->replica_pw));
    redisFree(m);

    f->replica_port = harness_free_port();
    snprintf(conf, sizeof conf, "%s/replica", h->dir);
    mkdir(conf, 0700);
    snprintf(text, sizeof text,
             "port %d\nbind 127.0.0.1\ndaemonize no\ndir %s/replica\nlogfile %s/replica.log\nappendonly yes\n"
             "appendfsync everysec\nsave \"\"\naclfile %s/users.acl\nreplicaof 127.0.0.1 %d\nmasteruser replica\n"
             "masterauth %s\nrepl-diskless-sync-delay 0\n",
             f->replica_port, h->dir, h->dir, h->dir, h->redis_port, f->replica_pw);
    snprintf(conf, sizeof conf, "%s/replica.conf", h->dir);
    assert_int_equal(write_conf(conf, text), 0);
    f->replica_pid = start_redis(conf, 0);

    password_of(h, "sentinel", pw, sizeof pw);
    size_t off = (size_t)snprintf(f->sentinels_env, sizeof f->sentinels_env, "RISKLINE_REDIS_SENTINELS=");
    for (int i = 0; i < NSENTINEL; i++) {
        f->sentinel_port[i] = harness_free_port();
        snprintf(text, sizeof text,
                 "port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\nlogfile %s/sentinel-%d.log\n"
                 "sentinel monitor riskline 127.0.0.1 %d 2\nsentinel down-after-milliseconds riskline 1000\n"
                 "sentinel failover-timeout riskline 5000\nsentinel auth-user riskline sentinel\n"
                 "sentinel auth-pass riskline %s\n",
                 f->sentinel_port[i], h->dir, h->dir, i, h->redis_port, pw);
        snprintf(conf, sizeof conf, "%s/sentinel-%d.conf", h->dir, i);
        assert_int_equal(write_conf(conf, text), 0);
        f->sentinel_pid[i] = start_redis(conf, 1);
        off += (size_t)snprintf(f->sentinels_env + off, sizeof f->sentinels_env - off, "%s127.0.0.1:%d",
                                i ? "," : "", f->sentinel_port[i]);
    }
    /* the replica in sync, and every sentinel knowing the others and the replica (bounded: a
     * sentinel learns of a replica on its 10 s INFO poll; 40 s leaves room for a loaded machine,
     * the sanitizer build among them) */
    int64_t deadline = harness_mono_ms() + 40000;
    int ready = 0;
    while (!ready && harness_mono_ms() < deadline) {
        harness_sleep_ms(200);
        char *info = ask(h, f->replica_port, 1, "INFO replication");
        ready = strstr(info, "master_link_status:up") != NULL;
        free(info);
        for (int i = 0; ready && i < NSENTINEL; i++)
            ready = sentinel_ready(h, f->sentinel_port[i]);
    }
    if (!ready)
        fail_msg("replica and sentinels not ready in 40 s (logs in %s)", h->dir);
    harness_issue_key(h, "siem", "integrator", "default");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    harness_monitor_stop(f->h);
    for (int i = 0; i < NSENTINEL; i++)
        stop(&f->sentinel_pid[i]);
    stop(&f->replica_pid);
    harness_destroy(&f->h);
    free(f);
    return 0;
}

/* --- the stream --- */

typedef struct {
    char id[32];
    Riskline__V1__RiskEvent ev;
} gen_t;

static void gen(gen_t *g, unsigned k)
{
    riskline__v1__risk_event__init(&g->ev);
    snprintf(g->id, sizeof g->id, "ha-%06u", k);
    g->ev.source = "siem-ha";
    g->ev.event_id = g->id;
    g->ev.kind = RISKLINE__V1__EVENT_KIND__EVENT_KIND_INCIDENT;
    g->ev.severity = RISKLINE__V1__SEVERITY__SEVERITY_HIGH;
    g->ev.occurred_at_ms = 1764000000000LL + k;
    g->ev.summary = "ransomware note on a file server";
}

static void *sender(harness_t *h) { return harness_monitor_dealer(h, "siem"); }

typedef struct {
    int unavailable;   /* replies that said "retry" (Redis unavailable, not replicated) */
    int timeouts;      /* no reply in time */
    fx_t *f;           /* NULL: nothing to recover */
    int killed;        /* the master was SIGKILLed ... */
    int restarted;     /* ... and started again once the sentinels had promoted the replica */
    int64_t longest_ms; /* the longest a batch or create waited for its ack, retries included */
} retries_t;

static void acked_after(retries_t *rt, int64_t since)
{
    int64_t took = harness_mono_ms() - since;
    if (took > rt->longest_ms)
        rt->longest_ms = took;
}

/* Between retries: once the sentinels name the replica as master, the dead master comes back (the
 * engineer on call restarts it) and the sentinels make it a replica of the new master. Until then
 * the new master has no replica, so WAIT 1 cannot succeed and writes are refused as unavailable:
 * nothing is acknowledged that only one server holds. */
static void maybe_recover(retries_t *rt)
{
    if (!rt->f || !rt->killed || rt->restarted || master_port(rt->f->h, rt->f->sentinel_port[0]) != rt->f->replica_port)
        return;
    harness_t *h = rt->f->h;
    int port = h->redis_port;
    assert_int_equal(harness_redis_start(h), 0);
    assert_int_equal(h->redis_port, port);
    /* as deploy/k8s/redis.yaml does for a restarted pod: follow the master the sentinels name
     * at once (they would convert it too, but only on their next 10 s INFO round) */
    redisContext *m = connect_port(h, port, 1);
    assert_non_null(m);
    freeReplyObject(redisCommand(m, "CONFIG SET masteruser replica"));
    freeReplyObject(redisCommand(m, "CONFIG SET masterauth %s", rt->f->replica_pw));
    redisReply *r = redisCommand(m, "REPLICAOF 127.0.0.1 %d", rt->f->replica_port);
    assert_true(r && r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    redisFree(m);
    rt->restarted = 1;
}

/* After an "unavailable" reply: what a sender does (wait a little), and what the operator does. */
static void retry_later(retries_t *rt)
{
    rt->unavailable++;
    maybe_recover(rt);
    harness_sleep_ms(100);
}

/* Sends the batch until every event is acknowledged (accepted or duplicate), like a real sender:
 * the same event ids each time, a fresh socket after a timeout. */
static void send_until_acked(harness_t *h, void **sock, gen_t *g, size_t n, int64_t deadline, retries_t *rt)
{
    Riskline__V1__RiskEvent *evs[BATCH];
    for (size_t i = 0; i < n; i++)
        evs[i] = &g[i].ev;
    int64_t since = harness_mono_ms();
    for (;;) {
        if (harness_mono_ms() > deadline)
            fail_msg("batch %s not acknowledged before the deadline (%d unavailable, %d timeouts)", g[0].id,
                     rt->unavailable, rt->timeouts);
        harness_env_t *r = harness_send_events(h, *sock, evs, n, 4000);
        if (!r) {
            rt->timeouts++;
            zmq_close(*sock);
            *sock = sender(h);
            maybe_recover(rt);
            continue;
        }
        int ok = harness_code(r) == 0 && r->event_acks && r->event_acks->n_acks == n;
        for (size_t i = 0; ok && i < n; i++)
            ok = r->event_acks->acks[i]->status == RISKLINE__V1__ACK_STATUS__ACK_STATUS_ACCEPTED ||
                 r->event_acks->acks[i]->status == RISKLINE__V1__ACK_STATUS__ACK_STATUS_DUPLICATE;
        if (!ok && harness_code(r) != RISKLINE__V1__CODE__CODE_UNAVAILABLE)
            fail_msg("batch %s: unexpected reply %s", g[0].id, harness_reply_text(r));
        riskline__v1__envelope__free_unpacked(r, NULL);
        if (ok) {
            acked_after(rt, since);
            return;
        }
        retry_later(rt);
    }
}

/* Creates a risk with request id rid until acknowledged; its id into out. */
static void create_until_acked(harness_t *h, const char *rid, char *out, size_t size, int64_t deadline, retries_t *rt)
{
    harness_risk_in_t in;
    harness_risk_init(&in, rid, "ciso", 4, 4);
    int64_t since = harness_mono_ms();
    for (;;) {
        if (harness_mono_ms() > deadline)
            fail_msg("create %s not acknowledged before the deadline", rid);
        harness_env_t *r = harness_create(h, &in.risk, rid);
        if (!r) {
            rt->timeouts++;
            maybe_recover(rt);
            continue;
        }
        const harness_risk_t *risk = harness_code(r) == 0 ? harness_reply_risk(r) : NULL;
        if (!risk && harness_code(r) != RISKLINE__V1__CODE__CODE_UNAVAILABLE)
            fail_msg("create %s: unexpected reply %s", rid, harness_reply_text(r));
        if (risk)
            snprintf(out, size, "%s", risk->id);
        riskline__v1__envelope__free_unpacked(r, NULL);
        if (risk) {
            acked_after(rt, since);
            return;
        }
        retry_later(rt);
    }
}

/* Mean latency of n sequential creates on one DEALER (request ids prefix-0..n-1, after 5 to warm
 * up), in microseconds; every one must succeed (Redis is healthy here). */
static double create_cost_us(harness_t *h, const char *prefix, int n)
{
    void *s = harness_dealer(h);
    assert_non_null(s);
    harness_risk_in_t in;
    harness_risk_init(&in, prefix, "ciso", 3, 3);
    struct timespec a = {0, 0}, b;
    for (int i = -WARMUP; i < n; i++) {
        if (i == 0)
            clock_gettime(CLOCK_MONOTONIC, &a);
        char rid[64];
        snprintf(rid, sizeof rid, "%s-%d", prefix, i);
        harness_env_t env;
        Riskline__V1__RiskCreate body;
        harness_env_create(&env, &body, &in.risk);
        env.request_id = rid;
        assert_int_equal(harness_send_env(h, s, &env), 0);
        harness_env_t *r = harness_recv_env(s, 5000);
        assert_non_null(r);
        if (harness_code(r) != 0)
            fail_msg("create %s: %s", rid, harness_reply_text(r));
        riskline__v1__envelope__free_unpacked(r, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    zmq_close(s);
    return ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3) / n;
}

static long long zcard_idx(const harness_t *h, int port)
{
    redisContext *c = connect_port(h, port, 1);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "ZCARD rl:{default}:idx:risk:id");
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    redisFree(c);
    return n;
}


/* The register restarted and the monitor started with RISKLINE_REDIS_SENTINELS (WAIT 1). */
static void start_through_sentinels(fx_t *f)
{
    f->h->svc_env[0] = f->sentinels_env;
    assert_int_equal(harness_register_restart(f->h), 0);
    assert_int_equal(harness_monitor_start(f->h), 0);
}

/* Asks sentinel 0 for a graceful failover (it may refuse for a moment while it re-checks the
 * replica: NOGOODSLAVE); the promotion is then under way. */
static void sentinel_failover(fx_t *f)
{
    for (int64_t until = harness_mono_ms() + 10000;; harness_sleep_ms(200)) {
        char *ok = ask(f->h, f->sentinel_port[0], 0, "SENTINEL FAILOVER riskline");
        int done = strcmp(ok, "OK") == 0;
        free(ok);
        if (done)
            return;
        if (harness_mono_ms() > until)
            fail_msg("SENTINEL FAILOVER refused for 10 s");
    }
}

typedef enum { FAULT_SIGKILL, FAULT_SENTINEL_FAILOVER } fault_t;

/* The stream: a batch of events and a risk create at a time; the fault strikes after KILL_AT
 * batches; then, on the new master, every acknowledged event and risk once. */
static void stream_through_failover(fx_t *f, fault_t fault)
{
    harness_t *h = f->h;
    gen_t *g = calloc(BATCH, sizeof *g);
    char (*risk_ids)[32] = calloc(BATCHES, sizeof *risk_ids);
    retries_t rt = {0, 0, f, 0, 0, 0};
    void *s = sender(h);
    long long risks_before = zcard_idx(h, h->redis_port);
    int64_t deadline = harness_mono_ms() + DEADLINE_MS;
    int old_master = h->redis_port, acked_events = 0, acked_risks = 0;
    for (int b = 0; b < BATCHES; b++) {
        if (b == KILL_AT && fault == FAULT_SIGKILL) {
            /* SIGKILL: no shutdown, no last fsync; what only it held is gone */
            assert_int_equal(kill(h->redis_pid, SIGKILL), 0);
            waitpid(h->redis_pid, NULL, 0);
            h->redis_pid = 0;
            rt.killed = 1;
        } else if (b == KILL_AT) {
            /* graceful: the sentinels demote the master (its clients are disconnected, writes
             * to it get READONLY) and promote the replica */
            sentinel_failover(f);
            /* the rest of the stream goes after the promotion, while the old master may still
             * take writes (until a sentinel converts it): acked ones must reach the new master */
            for (int64_t until = harness_mono_ms() + 15000; master_port(h, f->sentinel_port[0]) != f->replica_port;
                 harness_sleep_ms(50))
                if (harness_mono_ms() > until)
                    fail_msg("the replica was not promoted within 15 s");
        }
        for (int i = 0; i < BATCH; i++)
            gen(&g[i], (unsigned)(b * BATCH + i));
        send_until_acked(h, &s, g, BATCH, deadline, &rt);
        acked_events += BATCH;
        char rid[32];
        snprintf(rid, sizeof rid, "ha-risk-%d", b);
        create_until_acked(h, rid, risk_ids[b], sizeof risk_ids[b], deadline, &rt);
        acked_risks++;
    }
    zmq_close(s);
    free(g);

    /* the sentinels promoted the replica (wait for a graceful one to be announced), and the
     * services followed */
    int new_master = 0;
    for (int64_t until = harness_mono_ms() + 10000; new_master != f->replica_port && harness_mono_ms() < until;
         harness_sleep_ms(100))
        new_master = master_port(h, f->sentinel_port[0]);
    assert_int_equal(new_master, f->replica_port);
    assert_int_not_equal(new_master, old_master);
    /* the services followed (the stream after the promotion was acknowledged), and said so */
    char *reg_log = harness_read_file(h->register_log, NULL), *mon_log = harness_read_file(h->monitor_log, NULL);
    assert_non_null(strstr(reg_log, "redis master changed"));
    assert_non_null(strstr(mon_log, "redis master changed"));
    free(reg_log);
    free(mon_log);

    /* on the new master: every acknowledged event once, every acknowledged risk once */
    h->redis_port = new_master;   /* harness_riskevents reads from here */
    long long total = -1, distinct = -2;
    assert_int_equal(harness_riskevents(h, "default", &total, &distinct), 0);
    assert_int_equal(total, distinct);
    assert_int_equal(total, acked_events);
    redisContext *c = connect_port(h, new_master, 1);
    assert_non_null(c);
    for (int b = 0; b < BATCHES; b++) {
        redisReply *r = redisCommand(c, "ZSCORE rl:{default}:idx:risk:id %s", risk_ids[b]);
        assert_non_null(r);
        if (r->type != REDIS_REPLY_STRING)
            fail_msg("acknowledged risk %s (ha-risk-%d) is not on the new master", risk_ids[b], b);
        freeReplyObject(r);
    }
    redisFree(c);
    /* each create request made one risk, none twice */
    long long risks = zcard_idx(h, new_master);
    assert_int_equal(risks - risks_before, BATCHES);
    h->redis_port = old_master;
    /* the old master (restarted after a SIGKILL) follows the new one: a sentinel converts it when
     * its INFO poll (every 10 s) finds it still claiming to be master, so allow two polls */
    assert_true(fault == FAULT_SENTINEL_FAILOVER || rt.restarted);
    long following = -1;
    for (int64_t until = harness_mono_ms() + 25000; following != new_master && harness_mono_ms() < until;
         harness_sleep_ms(200)) {
        char *info = ask(h, old_master, 1, "INFO replication");
        following = strstr(info, "role:slave") ? info_field(info, "master_port:") : -1;
        free(info);
    }
    assert_int_equal(following, new_master);
    free(risk_ids);
    printf("sentinel (%s): %d events in %d batches and %d risk creates acknowledged; on the new master %lld "
           "events (%lld distinct), %lld new risks; %d unavailable replies and %d timeouts retried; the longest "
           "wait for an ack %lld ms\n",
           fault == FAULT_SIGKILL ? "SIGKILL of the master" : "SENTINEL FAILOVER", acked_events, BATCHES,
           acked_risks, total, distinct, risks - risks_before, rt.unavailable, rt.timeouts,
           (long long)rt.longest_ms);
}

static void test_master_killed_loses_nothing_acknowledged(void **state)
{
    fx_t *f = *state;
    harness_t *h = f->h;
    /* the cost of WAIT on a create: the register as the harness started it (no sentinels, no
     * WAIT), then through the sentinels with WAIT 1 (printed, never asserted: speed lives in
     * benchmarks) */
    double before = create_cost_us(h, "cost-nowait", MEASURE_N);
    start_through_sentinels(f);
    char *stats = ask(h, h->redis_port, 1, "INFO commandstats");
    long waits_before = info_field(stats, "cmdstat_wait:calls=");
    free(stats);
    double after = create_cost_us(h, "cost-wait", MEASURE_N);
    /* the register did WAIT after each create (a create is a reserve and a write script) */
    stats = ask(h, h->redis_port, 1, "INFO commandstats");
    long waits = info_field(stats, "cmdstat_wait:calls=") - (waits_before > 0 ? waits_before : 0);
    free(stats);
    if (waits < MEASURE_N + WARMUP)
        fail_msg("%ld WAIT calls for %d creates", waits, MEASURE_N + WARMUP);
    printf("sentinel: mean create latency over %d creates on one connection: %.0f us without WAIT, "
           "%.0f us with WAIT 1 (%+.0f us)\n",
           MEASURE_N, before, after, after - before);
    stream_through_failover(f, FAULT_SIGKILL);
}

static void test_sentinel_failover_loses_nothing_acknowledged(void **state)
{
    fx_t *f = *state;
    start_through_sentinels(f);
    stream_through_failover(f, FAULT_SENTINEL_FAILOVER);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);   /* the figures reach the log even if a later step hangs */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_master_killed_loses_nothing_acknowledged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sentinel_failover_loses_nothing_acknowledged, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
