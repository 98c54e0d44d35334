/* test_integ_replicas.c: two replicas of each service on different ports, one Redis: consumer
 * groups split the work under one consumer name per replica, a SIGKILLed monitor's entries are
 * claimed by the survivor and every event takes effect once, two monitors ingesting the same
 * events store each once, every report replica publishes every update. */
#define _GNU_SOURCE  /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "harness_msg.h"

#define EVENTS_PER_BATCH 25
#define CLAIM_ENV "RISKLINE_CLAIM_IDLE_MS=1000"  /* the survivors claim after 1 s, not 30 */
#define WAIT_MS 60000

typedef struct {
    harness_t *h;
    harness_replica_t *reg2, *tr2, *mon2;
    char risk[32];          /* the KRI events' risk, made in setup ... */
    int64_t risk_at;        /* ... at this monotonic ms */
} fixture_t;

/* The correlator re-reads a tenant's risks at most this often (correlate_consumer.c): a risk
 * younger than that may not be known to it yet. */
#define CONTEXT_REFRESH_MS 5000

static void create_risk(harness_t *h, const char *endpoint, const char *title, char *id, size_t size);
static int64_t mono_ms(void);

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->h = harness_new();
    const char *env[] = {CLAIM_ENV, NULL};
    if (harness_treatment_start(f->h) != 0 || harness_monitor_start(f->h) != 0 ||
        !(f->reg2 = harness_replica_start(f->h, "register", env)) ||
        !(f->tr2 = harness_replica_start(f->h, "treatment", env)) ||
        !(f->mon2 = harness_replica_start(f->h, "monitor", env))) {
        harness_destroy(&f->h);
        fail_msg("the services or their replicas did not start");
    }
    harness_issue_key(f->h, "siem", "integrator", "default");
    harness_issue_key(f->h, "ann", "approver", "default");
    create_risk(f->h, f->h->endpoint, "Unpatched servers", f->risk, sizeof f->risk);
    f->risk_at = mono_ms();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    harness_destroy(&f->h);
    free(f);
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The consumer name a replica on `port` takes by default: <hostname>:<port>. */
static void consumer_of(int port, char *buf, size_t size)
{
    char host[64] = "localhost";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    snprintf(buf, size, "%s:%d", host, port);
}

/* A request to `endpoint` of `service` as the admin; the reply (the caller frees it). */
static harness_env_t *admin_call(harness_t *h, const char *endpoint, const char *service, harness_env_t *env)
{
    char key[600];
    snprintf(key, sizeof key, "%s/cli.key", h->keys_dir);
    harness_env_prepare(h, env);
    harness_env_t *r = harness_call_to(h, endpoint, service, h->insecure ? NULL : key, env);
    assert_non_null(r);
    if (harness_code(r) != 0)
        fail_msg("%s: %s", service, harness_reply_text(r));
    return r;
}

static long long redis_ll(harness_t *h, const char *fmt, ...)
{
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;
    freeReplyObject(r);
    redisFree(c);
    return v;
}

/* A group's state on a stream (XINFO GROUPS): lag and pending; -1 each when the group is absent. */
static void group_state(harness_t *h, const char *stream, const char *group, long long *lag, long long *pending)
{
    *lag = *pending = -1;
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "XINFO GROUPS %s", stream);
    assert_non_null(r);
    for (size_t g = 0; r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
        redisReply *kv = r->element[g];
        int mine = 0;
        long long lg = -1, pd = -1;
        for (size_t i = 0; i + 1 < kv->elements; i += 2) {
            const char *k = kv->element[i]->str;
            redisReply *v = kv->element[i + 1];
            if (!strcmp(k, "name"))
                mine = v->type == REDIS_REPLY_STRING && !strcmp(v->str, group);
            else if (!strcmp(k, "pending"))
                pd = v->integer;
            else if (!strcmp(k, "lag"))
                lg = v->type == REDIS_REPLY_INTEGER ? v->integer : -1;
        }
        if (mine) {
            *lag = lg;
            *pending = pd;
        }
    }
    freeReplyObject(r);
    redisFree(c);
}

/* Entries pending with one consumer of group on stream. */
static long long pending_of(harness_t *h, const char *stream, const char *group, const char *consumer)
{
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "XPENDING %s %s - + 10000 %s", stream, group, consumer);
    assert_non_null(r);
    long long n = r->type == REDIS_REPLY_ARRAY ? (long long)r->elements : -1;
    freeReplyObject(r);
    redisFree(c);
    return n;
}

/* The consumers of group on stream (XINFO CONSUMERS), as "name;" in Redis's order. */
static char *consumers(harness_t *h, const char *stream, const char *group, char *buf, size_t size)
{
    buf[0] = '\0';
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "XINFO CONSUMERS %s %s", stream, group);
    assert_non_null(r);
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        for (size_t k = 0; k + 1 < r->element[i]->elements; k += 2)
            if (!strcmp(r->element[i]->element[k]->str, "name"))
                snprintf(buf + strlen(buf), size - strlen(buf), "%s;", r->element[i]->element[k + 1]->str);
    freeReplyObject(r);
    redisFree(c);
    return buf;
}

/* Waits until group on stream has read everything and acknowledged it; fails after WAIT_MS. */
static void wait_drained(harness_t *h, const char *stream, const char *group)
{
    long long lag = -1, pending = -1;
    for (int64_t end = mono_ms() + WAIT_MS; mono_ms() < end; sleep_ms(50)) {
        group_state(h, stream, group, &lag, &pending);
        if (lag == 0 && pending == 0)
            return;
    }
    fail_msg("group %s on %s not drained: lag %lld, pending %lld", group, stream, lag, pending);
}

/* Counts the domain events of the tenant's stream: of `kind` (all when NULL), and of those how
 * many distinct request ids; alert.raised events of an alert of alert_kind when alert_kind. */
static long long stream_count(harness_t *h, const char *kind, const char *alert_kind, long long *distinct_rids)
{
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "XRANGE rl:{default}:events - +");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    long long n = 0, distinct = 0;
    char **rids = calloc(r->elements + 1, sizeof *rids);
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *fv = r->element[i]->element[1];
        for (size_t k = 0; k + 1 < fv->elements; k += 2) {
            if (strcmp(fv->element[k]->str, "e"))
                continue;
            Riskline__V1__DomainEvent *ev = riskline__v1__domain_event__unpack(
                NULL, fv->element[k + 1]->len, (const uint8_t *)fv->element[k + 1]->str);
            assert_non_null(ev);
            int match = !kind || !strcmp(ev->kind, kind);
            if (match && alert_kind) {
                Riskline__V1__Alert *al = riskline__v1__alert__unpack(NULL, ev->entity.len, ev->entity.data);
                match = al && !strcmp(al->kind, alert_kind);
                if (al)
                    riskline__v1__alert__free_unpacked(al, NULL);
            }
            if (match) {
                int seen = 0;
                for (long long q = 0; q < distinct && !seen; q++)
                    seen = !strcmp(rids[q], ev->request_id);
                if (!seen)
                    rids[distinct++] = strdup(ev->request_id);
                n++;
            }
            riskline__v1__domain_event__free_unpacked(ev, NULL);
            break;
        }
    }
    for (long long q = 0; q < distinct; q++)
        free(rids[q]);
    free(rids);
    freeReplyObject(r);
    redisFree(c);
    if (distinct_rids)
        *distinct_rids = distinct;
    return n;
}

/* --- register and treatment: two replicas each, load through both --- */

/* Creates a risk through the register at endpoint; its id into id. (Each replica reserves risk
 * numbers in blocks: ids are unique, not in the order of creation across replicas.) */
static void create_risk(harness_t *h, const char *endpoint, const char *title, char *id, size_t size)
{
    harness_env_t env;
    Riskline__V1__RiskCreate rc;
    harness_risk_in_t in;
    harness_risk_init(&in, title, "local-admin", 4, 4);
    harness_env_create(&env, &rc, &in.risk);
    harness_env_t *r = admin_call(h, endpoint, "register", &env);
    snprintf(id, size, "%s", r->risk_result->risk->id);
    riskline__v1__envelope__free_unpacked(r, NULL);
}

static void create_plan(harness_t *h, const char *endpoint, const char *risk, const char *title)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__PlanCreate pc = RISKLINE__V1__PLAN_CREATE__INIT;
    Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
    p.risk_id = (char *)risk;
    p.title = (char *)title;
    p.option = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
    p.treatment_owner = "local-admin";
    p.approver = "ann";
    pc.plan = &p;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE;
    env.plan_create = &pc;
    riskline__v1__envelope__free_unpacked(admin_call(h, endpoint, "treatment", &env), NULL);
}

/* Risks and plans created through both replicas of each service: every change stored once, both
 * consumer groups (register, treatment) read under one name per replica, and every event a
 * register replica follows takes effect once (one risk.followed per event at most). */
static void test_register_treatment_replicas(void **state)
{
    fixture_t *f = *state;
    harness_t *h = f->h;
    const char *regs[2] = {h->endpoint, f->reg2->endpoint};
    const char *trs[2] = {h->treatment_endpoint, f->tr2->endpoint};
    char ids[20][32];
    for (int i = 0; i < 20; i++) {
        char title[32];
        snprintf(title, sizeof title, "Replicated risk %d", i);
        create_risk(h, regs[i % 2], title, ids[i], sizeof ids[i]);
        for (int k = 0; k < i; k++)
            assert_string_not_equal(ids[i], ids[k]);
    }
    assert_int_equal(redis_ll(h, "ZCARD rl:{default}:idx:risk:id"), 21);  /* and the fixture's */
    for (int i = 0; i < 20; i++) {
        char title[32];
        snprintf(title, sizeof title, "Plan %d", i);
        create_plan(h, trs[i % 2], ids[i], title);
    }
    assert_int_equal(redis_ll(h, "ZCARD rl:{default}:idx:plan:id"), 20);
    wait_drained(h, "rl:{default}:events", "register");
    wait_drained(h, "rl:{default}:events", "treatment");
    /* each plan moved its risk once: 20 follows, each keyed by a distinct event */
    long long rids = 0, followed = stream_count(h, "risk.followed", NULL, &rids);
    assert_int_equal(followed, 20);
    assert_int_equal(rids, 20);
    /* each group's consumers are the replicas' own names (a replica appears once it got an entry:
     * which one reads a burst first is timing), never the group's name */
    const char *groups[2] = {"register", "treatment"};
    int ports[2][2] = {{h->register_port, f->reg2->port}, {h->treatment_port, f->tr2->port}};
    char got[2][1024];
    for (int g = 0; g < 2; g++) {
        char want[2][160];
        consumer_of(ports[g][0], want[0], sizeof want[0]);
        consumer_of(ports[g][1], want[1], sizeof want[1]);
        consumers(h, "rl:{default}:events", groups[g], got[g], sizeof got[g]);
        assert_true(got[g][0]);
        for (char *p = got[g], *semi; (semi = strchr(p, ';')); p = semi + 1)
            if (strncmp(p, want[0], strlen(want[0])) && strncmp(p, want[1], strlen(want[1])))
                fail_msg("%s group: consumer %.*s is neither replica (%s, %s)", groups[g], (int)(semi - p), p,
                         want[0], want[1]);
    }
    printf("replicas: 20 risks and 20 plans through two replicas each; 20 follows, one per event; "
           "consumers: register %s treatment %s\n", got[0], got[1]);
}

/* --- monitor: ingestion and correlation by two replicas --- */

typedef struct {
    char id[EVENTS_PER_BATCH][32];
    Riskline__V1__RiskEvent ev[EVENTS_PER_BATCH];
    Riskline__V1__RiskEvent *evp[EVENTS_PER_BATCH];
    Riskline__V1__Attribute attr;
    Riskline__V1__Attribute *attrs[1];
    char *risks[1];
    const char *risk;   /* the KRI events' risk */
} batch_t;

/* Batch b: KRI results of K-1 (value 99: fine) naming bt->risk, critical: each is a metric result and
 * a reassessment trigger; `prefix` keeps the event ids of one test apart. */
static void batch_fill(batch_t *bt, const char *prefix, int b, int kri)
{
    riskline__v1__attribute__init(&bt->attr);
    bt->attr.key = "metric";
    bt->attr.value = "K-1";
    bt->attrs[0] = &bt->attr;
    bt->risks[0] = (char *)(bt->risk ? bt->risk : "R-1");
    for (int i = 0; i < EVENTS_PER_BATCH; i++) {
        Riskline__V1__RiskEvent *e = &bt->ev[i];
        riskline__v1__risk_event__init(e);
        snprintf(bt->id[i], sizeof bt->id[i], "%s-%04d-%02d", prefix, b, i);
        e->source = "scanner";
        e->event_id = bt->id[i];
        e->summary = "patch coverage measured";
        e->occurred_at_ms = (int64_t)time(NULL) * 1000 - 60000 + b * EVENTS_PER_BATCH + i;
        if (kri) {
            e->kind = RISKLINE__V1__EVENT_KIND__EVENT_KIND_KRI_MEASUREMENT;
            e->severity = RISKLINE__V1__SEVERITY__SEVERITY_CRITICAL;
            e->measurement_case = RISKLINE__V1__RISK_EVENT__MEASUREMENT_VALUE;
            e->value = 99;
            e->attributes = bt->attrs;
            e->n_attributes = 1;
            e->risk_ids = bt->risks;
            e->n_risk_ids = 1;
        } else {
            e->kind = RISKLINE__V1__EVENT_KIND__EVENT_KIND_INCIDENT;
            e->severity = RISKLINE__V1__SEVERITY__SEVERITY_LOW;
        }
        bt->evp[i] = e;
    }
}

static void *sender(harness_t *h, const char *endpoint)
{
    char key[600];
    snprintf(key, sizeof key, "%s/siem.key", h->keys_dir);
    void *s = harness_dealer_to(h, endpoint, "monitor", h->insecure ? NULL : key);
    assert_non_null(s);
    return s;
}

static void batch_send(harness_t *h, void *sock, batch_t *bt)
{
    Riskline__V1__EventBatch b = RISKLINE__V1__EVENT_BATCH__INIT;
    b.events = bt->evp;
    b.n_events = EVENTS_PER_BATCH;
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH;
    env.event_batch = &b;
    harness_env_prepare(h, &env);
    assert_int_equal(harness_send_env(h, sock, &env), 0);
}

/* The acks of one batch: how many accepted and duplicate (asserts nothing else came back). */
static void batch_acks(void *sock, int *accepted, int *duplicate)
{
    harness_env_t *r = harness_recv_env(sock, 10000);
    assert_non_null(r);
    if (harness_code(r) != 0)
        fail_msg("batch: %s", harness_reply_text(r));
    assert_int_equal(r->event_acks->n_acks, EVENTS_PER_BATCH);
    for (size_t i = 0; i < r->event_acks->n_acks; i++) {
        Riskline__V1__AckStatus st = r->event_acks->acks[i]->status;
        if (st == RISKLINE__V1__ACK_STATUS__ACK_STATUS_ACCEPTED)
            (*accepted)++;
        else if (st == RISKLINE__V1__ACK_STATUS__ACK_STATUS_DUPLICATE)
            (*duplicate)++;
        else
            fail_msg("event %zu: status %d", i, st);
    }
    riskline__v1__envelope__free_unpacked(r, NULL);
}

/* The same batches sent to both monitors at once: each event stored once, acked accepted by
 * exactly one of them and duplicate by the other. */
static void test_ingestion_dedupe_across_replicas(void **state)
{
    fixture_t *f = *state;
    harness_t *h = f->h;
    void *s1 = sender(h, h->monitor_endpoint), *s2 = sender(h, f->mon2->endpoint);
    batch_t *bt = calloc(1, sizeof *bt);
    const int batches = 20;
    long long before = 0, distinct = 0;
    assert_int_equal(harness_riskevents(h, "default", &before, &distinct), 0);
    int accepted = 0, duplicate = 0;
    for (int b = 0; b < batches; b++) {
        batch_fill(bt, "dup", b, 0);
        /* both in flight before either answers: the two processes race on the same events */
        batch_send(h, s1, bt);
        batch_send(h, s2, bt);
        batch_acks(s1, &accepted, &duplicate);
        batch_acks(s2, &accepted, &duplicate);
    }
    zmq_close(s1);
    zmq_close(s2);
    free(bt);
    assert_int_equal(accepted, batches * EVENTS_PER_BATCH);
    assert_int_equal(duplicate, batches * EVENTS_PER_BATCH);
    long long total = 0;
    assert_int_equal(harness_riskevents(h, "default", &total, &distinct), 0);
    assert_int_equal(total, distinct);
    assert_int_equal(total - before, batches * EVENTS_PER_BATCH);
    printf("replicas: %d events sent to both monitors at once: %d accepted, %d duplicate, %lld stored\n",
           batches * EVENTS_PER_BATCH, accepted, duplicate, total - before);
}

/* KRI results through both monitors; monitor 1 is SIGKILLed while it holds read entries (pending
 * under its consumer name); the survivor claims them. Every result is recorded once (the metric's
 * version counts them), the reassessment alert of their risk is raised once, nothing stays pending. */
static void test_monitor_killed_survivor_claims(void **state)
{
    fixture_t *f = *state;
    harness_t *h = f->h;
    const char *risk = f->risk;
    while (mono_ms() - f->risk_at < CONTEXT_REFRESH_MS + 500)  /* the correlators know the risk */
        sleep_ms(100);
    /* K-1: a KRI of R-1, higher is better; 99 is fine (no alert of its own) */
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__MetricDefine q = RISKLINE__V1__METRIC_DEFINE__INIT;
    Riskline__V1__Metric m = RISKLINE__V1__METRIC__INIT;
    m.name = "Patched within 14 days";
    m.risk_id = (char *)risk;
    m.frequency_days = 30;
    m.target = 95;
    m.warning = 90;
    m.breach = 80;
    m.direction = RISKLINE__V1__METRIC_DIRECTION__METRIC_DIRECTION_HIGHER_IS_BETTER;
    m.owner = "ops-lead";
    q.metric = &m;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_METRIC_DEFINE;
    env.metric_define = &q;
    harness_env_t *r = admin_call(h, f->mon2->endpoint, "monitor", &env);
    assert_string_equal(r->metric_result->metric->id, "K-1");
    riskline__v1__envelope__free_unpacked(r, NULL);
    assert_int_equal(redis_ll(h, "HGET rl:{default}:metric:K-1 v"), 1);

    const char *log = "rl:{default}:riskevent:log";
    char m1[160];
    consumer_of(h->monitor_port, m1, sizeof m1);
    void *s[2] = {sender(h, h->monitor_endpoint), sender(h, f->mon2->endpoint)};
    batch_t *bt = calloc(1, sizeof *bt);
    bt->risk = risk;
    const int batches = 40;
    int accepted = 0, duplicate = 0, killed_at = -1;
    long long held = 0;
    for (int b = 0; b < batches; b++) {
        batch_fill(bt, "kri", b, 1);
        int to = killed_at < 0 ? b % 2 : 1;
        batch_send(h, s[to], bt);
        batch_acks(s[to], &accepted, &duplicate);
        /* from the 10th batch on, kill monitor 1 the moment it holds read, unacknowledged entries */
        if (killed_at < 0 && b >= 10 && (held = pending_of(h, log, "monitor", m1)) > 0) {
            assert_int_equal(harness_monitor_kill(h), 0);
            killed_at = b;
        }
    }
    for (int64_t end = mono_ms() + 10000; killed_at < 0 && mono_ms() < end; sleep_ms(1))
        if ((held = pending_of(h, log, "monitor", m1)) > 0) {
            assert_int_equal(harness_monitor_kill(h), 0);
            killed_at = batches;
        }
    zmq_close(s[0]);
    zmq_close(s[1]);
    free(bt);
    if (killed_at < 0)
        fail_msg("monitor 1 never held an entry in hand: nothing to claim");
    assert_int_equal(accepted, batches * EVENTS_PER_BATCH);
    wait_drained(h, log, "monitor");
    assert_int_equal(pending_of(h, log, "monitor", m1), 0);
    /* every result recorded once: K-1's version is its definition plus one per event */
    assert_int_equal(redis_ll(h, "HGET rl:{default}:metric:K-1 v"), 1 + batches * EVENTS_PER_BATCH);
    long long rids = 0;
    assert_int_equal(stream_count(h, "metric.recorded", NULL, &rids), batches * EVENTS_PER_BATCH);
    assert_int_equal(rids, batches * EVENTS_PER_BATCH);
    /* every event linked to R-1 once (a set member each) and one reassessment raised */
    assert_int_equal(redis_ll(h, "ZCARD rl:{default}:riskevent:linked:%s", risk), batches * EVENTS_PER_BATCH);
    assert_int_equal(stream_count(h, "alert.raised", "reassessment", NULL), 1);
    printf("replicas: %d KRI events through two monitors, monitor 1 SIGKILLed after batch %d holding %lld "
           "entries; the survivor claimed them: %d results recorded once, 1 reassessment, 0 pending\n",
           batches * EVENTS_PER_BATCH, killed_at, held, batches * EVENTS_PER_BATCH);
}

/* --- report: every replica publishes every update --- */

static harness_proc_t *watch_at(harness_t *h, const char *endpoint, const char *pub)
{
    char e1[128], e2[128];
    snprintf(e1, sizeof e1, "RISKLINE_REPORT_ENDPOINT=%s", endpoint);
    snprintf(e2, sizeof e2, "RISKLINE_REPORT_PUB_ENDPOINT=%s", pub);
    const char *env[] = {e1, e2, NULL};
    const char *argv[] = {"watch", "--json", "--kind", "risk", NULL};
    harness_proc_t *p = harness_cli_spawn(h, env, argv);
    assert_non_null(p);
    return p;
}

/* Lines of a watcher's JSON output that are risk.created of `id`. */
static int created_lines(const char *out, const char *id)
{
    int n = 0;
    for (const char *p = out; *p;) {
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        char *line = strndup(p, (size_t)(nl - p));
        cJSON *j = cJSON_Parse(line);
        if (!j)
            fail_msg("watch printed a line that is not JSON: %s", line);
        n += !strcmp(harness_jstr(j, "event"), "risk.created") && !strcmp(harness_jstr(j, "entity_id"), id);
        cJSON_Delete(j);
        free(line);
        p = nl + 1;
    }
    return n;
}

static void test_report_replicas_publish_everything(void **state)
{
    fixture_t *f = *state;
    harness_t *h = f->h;
    assert_int_equal(harness_report_start(h), 0);
    harness_replica_t *rep2 = harness_replica_start(h, "report", NULL);
    assert_non_null(rep2);
    harness_proc_t *w[2] = {watch_at(h, h->report_endpoint, h->report_pub_endpoint),
                            watch_at(h, rep2->endpoint, rep2->pub_endpoint)};
    /* a marker risk every 300 ms until both watchers print the same one: from there on both are
     * subscribed (a watcher prints what is published after it connects) */
    int synced = 0;
    for (int k = 0; k < 60 && !synced; k++) {
        char marker[32];
        create_risk(h, h->endpoint, "Published risk, marker", marker, sizeof marker);
        for (int64_t end = mono_ms() + 300; !synced && mono_ms() < end; sleep_ms(20)) {
            char *o0 = harness_cli_output(w[0]), *o1 = harness_cli_output(w[1]);
            synced = created_lines(o0, marker) && created_lines(o1, marker);
            free(o0);
            free(o1);
        }
    }
    assert_true(synced);
    const int n = 10;
    char ids[10][32];
    for (int i = 0; i < n; i++) {
        char title[32];
        snprintf(title, sizeof title, "Published risk %d", i);
        create_risk(h, i % 2 ? f->reg2->endpoint : h->endpoint, title, ids[i], sizeof ids[i]);
    }
    int all = 0;
    for (int64_t end = mono_ms() + 20000; !all && mono_ms() < end; sleep_ms(100)) {
        all = 1;
        for (int k = 0; k < 2 && all; k++) {
            char *out = harness_cli_output(w[k]);
            for (int i = 0; i < n && all; i++)
                all = created_lines(out, ids[i]) >= 1;
            free(out);
        }
    }
    for (int k = 0; k < 2; k++) {
        char *out = harness_cli_output(w[k]);
        for (int i = 0; i < n; i++)
            if (created_lines(out, ids[i]) != 1)
                fail_msg("watcher of report replica %d printed risk.created %s %d times:\n%s", k + 1, ids[i],
                         created_lines(out, ids[i]), out);
        free(out);
        harness_cli_signal(w[k], SIGTERM);
        harness_run_t run;
        harness_cli_wait(w[k], &run);
        harness_run_free(&run);
    }
    printf("replicas: %d risk.created updates, each printed once by a watcher of each report replica\n", n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_treatment_replicas),
        cmocka_unit_test(test_ingestion_dedupe_across_replicas),
        cmocka_unit_test(test_monitor_killed_survivor_claims),
        cmocka_unit_test(test_report_replicas_publish_everything),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
