/* test_integ_monitor.c: risk-event ingestion against the real monitor and Redis: exact acks for
 * 10,000 events with duplicates and malformed ones, and nothing acknowledged lost across a SIGKILL. */
#define _GNU_SOURCE /* SCHED_IDLE */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "harness_msg.h"

#define BATCH 100

static int setup(void **state)
{
    harness_t *h = harness_new();
    if (harness_monitor_start(h) != 0) {
        harness_destroy(&h);
        fail_msg("riskline-monitor did not start");
    }
    harness_issue_key(h, "siem", "integrator", "default");
    *state = h;
    return 0;
}

static int teardown(void **state)
{
    harness_t *h = *state;
    harness_monitor_stop(h);
    harness_destroy(&h);
    return 0;
}

/* Event number k of the stream; malformed ones have no summary. */
typedef struct {
    char id[32];
    int malformed;
    Riskline__V1__RiskEvent ev;
} gen_t;

static void gen(gen_t *g, unsigned k, int malformed)
{
    riskline__v1__risk_event__init(&g->ev);
    snprintf(g->id, sizeof g->id, "evt-%06u", k);
    g->malformed = malformed;
    g->ev.source = "siem-prod";
    g->ev.event_id = g->id;
    g->ev.kind = RISKLINE__V1__EVENT_KIND__EVENT_KIND_INCIDENT;
    g->ev.severity = RISKLINE__V1__SEVERITY__SEVERITY_MEDIUM;
    g->ev.occurred_at_ms = 1764000000000LL + k;
    g->ev.summary = malformed ? "" : "failed logins from an unusual country";
}

/* Sends events[0..n) as one batch on sock and waits for the acks; NULL when no reply came. */
static harness_env_t *send_batch(harness_t *h, void *sock, gen_t *g, size_t n, int wait_ms)
{
    Riskline__V1__RiskEvent *evs[BATCH];
    for (size_t i = 0; i < n; i++)
        evs[i] = &g[i].ev;
    return harness_send_events(h, sock, evs, n, wait_ms);
}

/* Sends g[0..n) as one batch and asserts that every event was accepted. */
static void send_accepted(harness_t *h, void *sock, gen_t *g, size_t n)
{
    harness_env_t *r = send_batch(h, sock, g, n, 5000);
    assert_non_null(r);
    assert_int_equal(r->event_acks->n_acks, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(r->event_acks->acks[i]->status, RISKLINE__V1__ACK_STATUS__ACK_STATUS_ACCEPTED);
    riskline__v1__envelope__free_unpacked(r, NULL);
}

static void *sender(harness_t *h) { return harness_monitor_dealer(h, "siem"); }

/* The acks' statuses as letters into got: A accepted, D duplicate, R rejected, ? other. */
static void ack_letters(const harness_env_t *r, char *got, size_t size)
{
    got[0] = '\0';
    for (size_t i = 0; r->event_acks && i < r->event_acks->n_acks && i + 1 < size; i++) {
        int st = r->event_acks->acks[i]->status;
        got[i] = st == RISKLINE__V1__ACK_STATUS__ACK_STATUS_ACCEPTED    ? 'A'
                 : st == RISKLINE__V1__ACK_STATUS__ACK_STATUS_DUPLICATE ? 'D'
                 : st == RISKLINE__V1__ACK_STATUS__ACK_STATUS_REJECTED  ? 'R'
                                                                        : '?';
        got[i + 1] = '\0';
    }
}

/* r (freed here) acks each event as `want` says: A accepted, D duplicate, R rejected. */
static void expect_acks(harness_env_t *r, const char *want)
{
    assert_non_null(r);
    if (!r->event_acks)
        fail_msg("no acks: %s (%s)", r->status ? r->status->message : "?", r->status ? r->status->field : "?");
    char got[64];
    ack_letters(r, got, sizeof got);
    assert_string_equal(got, want);
    riskline__v1__envelope__free_unpacked(r, NULL);
}

/* r acked with these statuses ("AA"), without asserting (a socket may still be open); frees r. */
static int acked_as(harness_env_t *r, const char *want)
{
    char got[64] = "";
    if (!r)
        return 0;
    ack_letters(r, got, sizeof got);
    riskline__v1__envelope__free_unpacked(r, NULL);
    return !strcmp(got, want);
}

static long long redis_int(harness_t *h, const char *cmd) { return harness_redis_int(h, NULL, cmd); }

/* Runs each command as ops, asserting that none fails. */
static void redis_run(harness_t *h, const char *const *cmds, size_t n) { harness_redis_run(h, NULL, cmds, n); }

/* Risk events stored for tenant "default", each asserted stored once. */
static long long stored_events(harness_t *h)
{
    long long total = -1, distinct = -2;
    assert_int_equal(harness_riskevents(h, "default", &total, &distinct), 0);
    assert_int_equal(total, distinct);
    return total;
}

static void test_exact_acks(void **state)
{
    harness_t *h = *state;
    void *s = sender(h);
    gen_t *g = calloc(BATCH, sizeof *g);
    unsigned next = 0, unique = 0, dups = 0, bad = 0;
    srand(7);
    for (int b = 0; b < 100; b++) {
        int expect[BATCH];
        for (int i = 0; i < BATCH; i++) {
            int r = rand() % 100;
            if (r < 5 && next > 0) {          /* 5%: an event sent before, again */
                gen(&g[i], (unsigned)(rand() % (int)next), 0);
                expect[i] = RISKLINE__V1__ACK_STATUS__ACK_STATUS_DUPLICATE;
            } else if (r < 7) {               /* 2%: malformed */
                gen(&g[i], next++, 1);
                expect[i] = RISKLINE__V1__ACK_STATUS__ACK_STATUS_REJECTED;
            } else {
                gen(&g[i], next++, 0);
                expect[i] = RISKLINE__V1__ACK_STATUS__ACK_STATUS_ACCEPTED;
            }
        }
        harness_env_t *r = send_batch(h, s, g, BATCH, 10000);
        assert_non_null(r);
        assert_int_equal(harness_code(r), 0);
        assert_int_equal(r->body_case, RISKLINE__V1__ENVELOPE__BODY_EVENT_ACKS);
        assert_int_equal(r->event_acks->n_acks, BATCH);
        for (int i = 0; i < BATCH; i++) {
            const Riskline__V1__EventAck *a = r->event_acks->acks[i];
            assert_int_equal(a->index, i);
            assert_string_equal(a->event_id, g[i].id);
            if (expect[i] == RISKLINE__V1__ACK_STATUS__ACK_STATUS_REJECTED) {
                assert_int_equal(a->status, RISKLINE__V1__ACK_STATUS__ACK_STATUS_REJECTED);
                char field[32];
                snprintf(field, sizeof field, "events[%d].summary", i);
                assert_string_equal(a->field, field);
                bad++;
            } else if (expect[i] == RISKLINE__V1__ACK_STATUS__ACK_STATUS_DUPLICATE) {
                /* a resend is a duplicate, unless its original was never stored (accepted now) */
                assert_true(a->status == RISKLINE__V1__ACK_STATUS__ACK_STATUS_DUPLICATE ||
                            a->status == RISKLINE__V1__ACK_STATUS__ACK_STATUS_ACCEPTED);
                if (a->status == RISKLINE__V1__ACK_STATUS__ACK_STATUS_DUPLICATE)
                    dups++;
                else
                    unique++;
            } else {
                assert_int_equal(a->status, RISKLINE__V1__ACK_STATUS__ACK_STATUS_ACCEPTED);
                unique++;
            }
        }
        riskline__v1__envelope__free_unpacked(r, NULL);
    }
    zmq_close(s);
    free(g);
    /* Redis holds exactly the accepted events, and the counters agree */
    assert_int_equal(stored_events(h), unique);
    assert_int_equal(redis_int(h, "HGET rl:{default}:riskevent:count siem-prod.accepted"), unique);
    assert_int_equal(redis_int(h, "HGET rl:{default}:riskevent:count siem-prod.duplicate"), dups);
    assert_int_equal(redis_int(h, "HGET rl:{default}:riskevent:count siem-prod.rejected"), bad);
    assert_true(dups > 300 && bad > 100);
    /* a sender's bytes that are not UTF-8 are rejected and echoed scrubbed (found by fuzzing):
     * a reply must stay decodable by every protobuf implementation */
    s = sender(h);
    gen_t bad_utf8;
    gen(&bad_utf8, 99999, 0);
    bad_utf8.ev.source = "siem\xff";
    harness_env_t *r = send_batch(h, s, &bad_utf8, 1, 5000);
    assert_non_null(r);
    assert_int_equal(r->event_acks->acks[0]->status, RISKLINE__V1__ACK_STATUS__ACK_STATUS_REJECTED);
    assert_string_equal(r->event_acks->acks[0]->source, "siem?");
    assert_string_equal(r->event_acks->acks[0]->field, "events[0].source");
    riskline__v1__envelope__free_unpacked(r, NULL);
    /* the same event three times in one batch: stored once, the copies acked as duplicates */
    gen_t same[3];
    for (int i = 0; i < 3; i++)
        gen(&same[i], 88888, 0);
    r = send_batch(h, s, same, 3, 5000);
    expect_acks(r, "ADD");
    assert_int_equal(stored_events(h), unique + 1);
    assert_int_equal(redis_int(h, "HGET rl:{default}:riskevent:count siem-prod.duplicate"), dups + 2);
    zmq_close(s);
}

/* The monitor is SIGKILLed while batches are in flight and restarted; the sender resends every
 * batch it has no acks for. Every acknowledged event is stored, every event is stored once. */
static void test_kill_and_restart(void **state)
{
    harness_t *h = *state;
    gen_t *g = calloc(BATCH, sizeof *g);
    const int batches = 40;
    int acked_batches = 0;
    void *s = sender(h);
    for (int b = 0; b < batches; b++) {
        for (int i = 0; i < BATCH; i++)
            gen(&g[i], (unsigned)(b * BATCH + i), 0);
        if (b == 20) {
            /* in flight: sent, then the monitor dies before we read the acks */
            send_batch(h, s, g, BATCH, 0);
            assert_int_equal(harness_monitor_kill(h), 0);
            zmq_close(s);
            assert_int_equal(harness_monitor_start(h), 0);
            s = sender(h);
        }
        harness_env_t *r = NULL;
        for (int attempt = 0; attempt < 5 && !r; attempt++)  /* the sender's retries */
            r = send_batch(h, s, g, BATCH, 5000);
        assert_non_null(r);
        assert_int_equal(harness_code(r), 0);
        for (int i = 0; i < BATCH; i++)
            assert_true(r->event_acks->acks[i]->status == RISKLINE__V1__ACK_STATUS__ACK_STATUS_ACCEPTED ||
                        r->event_acks->acks[i]->status == RISKLINE__V1__ACK_STATUS__ACK_STATUS_DUPLICATE);
        riskline__v1__envelope__free_unpacked(r, NULL);
        acked_batches++;
    }
    zmq_close(s);
    free(g);
    assert_int_equal(acked_batches, batches);
    /* exactly once: every event of every batch is stored, none twice */
    assert_int_equal(stored_events(h), batches * BATCH);
}

/* A request to `endpoint` of `service` as the admin CLI key; the reply (freed by the caller). */
static harness_env_t *admin_call(harness_t *h, const char *endpoint, const char *service, harness_env_t *env)
{
    char key[600];
    snprintf(key, sizeof key, "%s/cli.key", h->keys_dir);
    void *s = harness_dealer_to(h, endpoint, service, key);
    assert_non_null(s);
    harness_env_prepare(h, env);
    harness_env_t *r = NULL;
    if (harness_send_env(h, s, env) == 0)
        r = harness_recv_env(s, 10000);
    zmq_close(s);
    assert_non_null(r);
    if (harness_code(r) != 0)
        fail_msg("%s", harness_reply_text(r));
    return r;
}

static void sweep(harness_t *h)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__SweepRun q = RISKLINE__V1__SWEEP_RUN__INIT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_SWEEP_RUN;
    env.sweep_run = &q;
    riskline__v1__envelope__free_unpacked(admin_call(h, h->monitor_endpoint, "monitor", &env), NULL);
}

/* Alerts of a state, as "kind subject" lines. */
static char *alerts(harness_t *h, Riskline__V1__AlertState st, char *buf, size_t size)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__AlertList q = RISKLINE__V1__ALERT_LIST__INIT;
    q.state = st;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_ALERT_LIST;
    env.alert_list = &q;
    harness_env_t *r = admin_call(h, h->monitor_endpoint, "monitor", &env);
    buf[0] = '\0';
    for (size_t i = 0; i < r->alert_page->n_alerts; i++)
        snprintf(buf + strlen(buf), size - strlen(buf), "%s %s %s;", r->alert_page->alerts[i]->id,
                 r->alert_page->alerts[i]->kind, r->alert_page->alerts[i]->subject);
    riskline__v1__envelope__free_unpacked(r, NULL);
    return buf;
}

/* Creates risk R-1 (`risk`) and its plan TP-1 (`plan`, reduce, owner local-admin), both as the
 * admin; the plan's updated_at_ms. */
static int64_t risk_and_plan(harness_t *h, const char *risk, const char *plan)
{
    harness_risk_in_t in;
    harness_risk_init(&in, risk, "local-admin", 3, 3);
    harness_env_t *r = harness_create(h, &in.risk, NULL);
    assert_int_equal(harness_code(r), 0);
    riskline__v1__envelope__free_unpacked(r, NULL);
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__PlanCreate pc = RISKLINE__V1__PLAN_CREATE__INIT;
    Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
    p.risk_id = "R-1";
    p.title = (char *)plan;
    p.option = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
    p.treatment_owner = "local-admin";
    p.approver = "ann";
    pc.plan = &p;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE;
    env.plan_create = &pc;
    r = admin_call(h, h->treatment_endpoint, "treatment", &env);
    assert_string_equal(r->plan_result->plan->id, "TP-1");
    int64_t at = r->plan_result->plan->updated_at_ms;
    riskline__v1__envelope__free_unpacked(r, NULL);
    return at;
}

/* Adds milestone `title` due in `days` to TP-1 at plan version `version`, as the admin. */
static void add_milestone(harness_t *h, const char *title, int days, uint64_t version)
{
    char due[16];
    harness_date_in(days, due);
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__MilestoneAdd ma = RISKLINE__V1__MILESTONE_ADD__INIT;
    Riskline__V1__Milestone m = RISKLINE__V1__MILESTONE__INIT;
    m.title = (char *)title;
    m.owner = "local-admin";
    m.due_date = due;
    ma.plan_id = "TP-1";
    ma.expected_version = version;
    ma.milestone = &m;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_MILESTONE_ADD;
    env.milestone_add = &ma;
    riskline__v1__envelope__free_unpacked(admin_call(h, h->treatment_endpoint, "treatment", &env), NULL);
}

/* Marks milestone M-1 of TP-1 done at plan version `version`; the plan's progress after. */
static uint32_t first_milestone_done(harness_t *h, uint64_t version)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__MilestoneUpdate mu = RISKLINE__V1__MILESTONE_UPDATE__INIT;
    mu.plan_id = "TP-1";
    mu.milestone_id = "M-1";
    mu.expected_version = version;
    mu.status = RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_DONE;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_MILESTONE_UPDATE;
    env.milestone_update = &mu;
    harness_env_t *r = admin_call(h, h->treatment_endpoint, "treatment", &env);
    uint32_t progress = r->plan_result->plan->progress_pct;
    riskline__v1__envelope__free_unpacked(r, NULL);
    return progress;
}

/* A milestone past its due date raises one alert, however often the sweep runs; done, it resolves. */
static void test_milestone_overdue_alert(void **state)
{
    harness_t *h = *state;
    assert_int_equal(harness_treatment_start(h), 0);
    risk_and_plan(h, "Phishing", "Awareness");
    add_milestone(h, "Training", -1, 1);  /* due yesterday */

    char buf[2048];
    sweep(h);
    sweep(h);  /* idempotent: still one alert */
    alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN, buf, sizeof buf);
    assert_string_equal(buf, "AL-1 milestone_overdue TP-1/M-1;");
    /* a person acknowledges it; it stays until the condition clears */
    {
        harness_env_t e = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__AlertChange q = RISKLINE__V1__ALERT_CHANGE__INIT;
        q.id = "AL-1";
        q.state = RISKLINE__V1__ALERT_STATE__ALERT_STATE_ACKNOWLEDGED;
        e.body_case = RISKLINE__V1__ENVELOPE__BODY_ALERT_CHANGE;
        e.alert_change = &q;
        harness_env_t *rr = admin_call(h, h->monitor_endpoint, "monitor", &e);
        assert_int_equal(rr->alert_result->alert->state, RISKLINE__V1__ALERT_STATE__ALERT_STATE_ACKNOWLEDGED);
        assert_string_equal(rr->alert_result->alert->acknowledged_by, "local-admin");
        riskline__v1__envelope__free_unpacked(rr, NULL);
    }
    /* the milestone is done: the next sweep resolves the alert */
    assert_int_equal(first_milestone_done(h, 2), 100);
    sweep(h);
    assert_string_equal(alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN, buf, sizeof buf), "");
    alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_RESOLVED, buf, sizeof buf);
    assert_string_equal(buf, "AL-1 milestone_overdue TP-1/M-1;");
    harness_treatment_stop(h);
}

/* Waits up to 5 s for risk R-1 to reach status st. */
static void wait_status(harness_t *h, Riskline__V1__RiskStatus st)
{
    for (int i = 0; i < 100; i++) {
        harness_env_t *r = harness_get(h, "R-1");
        int ok = r && harness_reply_risk(r) && harness_reply_risk(r)->status == st;
        if (r)
            riskline__v1__envelope__free_unpacked(r, NULL);
        if (ok)
            return;
        harness_sleep_ms(50);
    }
    fail_msg("risk R-1 never reached status %d", (int)st);
}

/* A review past due raises review_due; an expired acceptance raises acceptance_expired and the
 * register reopens the risk for treatment (it follows the alert's event). */
static void test_review_and_expired_acceptance(void **state)
{
    harness_t *h = *state;
    assert_int_equal(harness_treatment_start(h), 0);
    char yesterday[16], later[16];
    harness_date_in(-1, yesterday);
    harness_date_in(60, later);
    harness_risk_in_t in;
    harness_risk_init(&in, "Tailgating", "local-admin", 2, 2);
    in.risk.next_review = yesterday;
    harness_env_t *r = harness_create(h, &in.risk, NULL);
    assert_int_equal(harness_code(r), 0);
    riskline__v1__envelope__free_unpacked(r, NULL);
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__RiskAccept q = RISKLINE__V1__RISK_ACCEPT__INIT;
    q.risk_id = "R-1";
    q.justification = "low and cheap to live with";
    q.expires = later;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_ACCEPT;
    env.risk_accept = &q;
    riskline__v1__envelope__free_unpacked(admin_call(h, h->treatment_endpoint, "treatment", &env), NULL);
    wait_status(h, RISKLINE__V1__RISK_STATUS__RISK_STATUS_ACCEPTED);
    char buf[2048];
    sweep(h);
    alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN, buf, sizeof buf);
    assert_string_equal(buf, "AL-1 review_due R-1;");
    /* time passes: the acceptance's expiry is behind us (the index is what the sweep reads) */
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    long long day = (long long)(time(NULL) / 86400) - 1;
    redisReply *rep = redisCommand(c, "ZADD rl:{default}:idx:accept:expiry %lld R-1", day * 1000000000LL + 1);
    assert_non_null(rep);
    freeReplyObject(rep);
    redisFree(c);
    sweep(h);
    alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN, buf, sizeof buf);
    assert_non_null(strstr(buf, "acceptance_expired R-1;"));
    wait_status(h, RISKLINE__V1__RISK_STATUS__RISK_STATUS_ASSESSED);  /* reopened for treatment */
    harness_run_t run;
    harness_clif(h, &run, "risk", "history", "R-1", NULL);
    assert_int_equal(run.status, 0);
    assert_non_null(strstr(run.out, "follows alert"));
    assert_non_null(strstr(run.out, "acceptance_expired"));
    harness_run_free(&run);
    harness_treatment_stop(h);
}

/* The newest domain event "event.received" of tenant default (freed by the caller); fails without. */
static Riskline__V1__DomainEvent *last_received(harness_t *h)
{
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    redisReply *x = redisCommand(c, "XREVRANGE rl:{default}:events + - COUNT 50");
    assert_non_null(x);
    Riskline__V1__DomainEvent *ev = NULL;
    for (size_t i = 0; i < x->elements && !ev; i++) {
        redisReply *fv = x->element[i]->element[1];
        for (size_t k = 0; k + 1 < fv->elements && !ev; k += 2)
            if (!strcmp(fv->element[k]->str, "e")) {
                ev = riskline__v1__domain_event__unpack(NULL, fv->element[k + 1]->len,
                                                        (const uint8_t *)fv->element[k + 1]->str);
                if (ev && strcmp(ev->kind, "event.received")) {
                    riskline__v1__domain_event__free_unpacked(ev, NULL);
                    ev = NULL;
                }
            }
    }
    freeReplyObject(x);
    redisFree(c);
    assert_non_null(ev);
    return ev;
}

/* A critical event about an asset links to the risk that lists it, raises a reassessment, and the
 * register pulls the risk's review forward (in its history); an event that matches nothing is kept
 * as unlinked. */
static void test_correlation_reassessment(void **state)
{
    harness_t *h = *state;
    harness_risk_in_t in;
    harness_risk_init(&in, "Mail gateway compromise", "local-admin", 3, 4);
    char *assets[] = {"mail gateway"};
    in.risk.assets = assets;
    in.risk.n_assets = 1;
    char later[16];
    in.risk.next_review = harness_date_in(200, later);
    harness_env_t *r = harness_create(h, &in.risk, NULL);
    assert_int_equal(harness_code(r), 0);
    riskline__v1__envelope__free_unpacked(r, NULL);
    void *s = sender(h);
    gen_t g[2];
    gen(&g[0], 1, 0);
    g[0].ev.severity = RISKLINE__V1__SEVERITY__SEVERITY_CRITICAL;
    char *ev_assets[] = {"mail gateway"};
    g[0].ev.assets = ev_assets;
    g[0].ev.n_assets = 1;
    gen(&g[1], 2, 0);  /* matches nothing */
    r = send_batch(h, s, g, 2, 5000);
    assert_non_null(r);
    assert_int_equal(r->event_acks->acks[0]->status, RISKLINE__V1__ACK_STATUS__ACK_STATUS_ACCEPTED);
    riskline__v1__envelope__free_unpacked(r, NULL);
    zmq_close(s);
    char buf[2048], week[16];
    harness_date_in(7, week);
    int ok = 0;
    for (int i = 0; i < 100 && !ok; i++) {
        harness_env_t *got = harness_get(h, "R-1");
        ok = got && harness_reply_risk(got) && !strcmp(harness_reply_risk(got)->next_review, week);
        if (got)
            riskline__v1__envelope__free_unpacked(got, NULL);
        if (!ok) {
            harness_sleep_ms(50);
        }
    }
    assert_true(ok);  /* the review came forward to within a week */
    alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN, buf, sizeof buf);
    assert_string_equal(buf, "AL-1 reassessment R-1;");
    harness_run_t run;
    harness_clif(h, &run, "risk", "history", "R-1", NULL);
    assert_non_null(strstr(run.out, "reassessment"));
    assert_non_null(strstr(run.out, "evt-000001 from siem-prod"));
    harness_run_free(&run);
    assert_int_equal(redis_int(h, "HGET rl:{default}:riskevent:count siem-prod.unlinked"), 1);
    /* the batch, as correlated, is one domain event: what subscribers and the audit trail see */
    Riskline__V1__DomainEvent *ev = last_received(h);
    assert_string_equal(ev->entity_type, "event_batch");
    assert_string_equal(ev->entity_id, "siem-prod/evt-000001");
    assert_string_equal(ev->actor, "siem");
    assert_string_equal(ev->comment, "2 events from siem-prod; 1 linked to risks");
    Riskline__V1__EventBatch *b = riskline__v1__event_batch__unpack(NULL, ev->entity.len, ev->entity.data);
    assert_non_null(b);
    assert_int_equal(b->n_events, 2);
    assert_int_equal(b->events[0]->n_linked_risks, 1);
    assert_string_equal(b->events[0]->linked_risks[0], "R-1");
    assert_int_equal(b->events[1]->n_linked_risks, 0);
    assert_string_equal(b->events[1]->event_id, "evt-000002");
    riskline__v1__event_batch__free_unpacked(b, NULL);
    riskline__v1__domain_event__free_unpacked(ev, NULL);
}

/* The count rule within one batch: 7 medium events (below the severity threshold) about one risk's
 * asset: the 6th is more than 5 in the window, so ONE reassessment is raised (the 7th finds it
 * open); 5 about another risk raise none. All counted per risk; the update carries each event
 * without the sender's links. */
static void test_correlation_count_rule(void **state)
{
    harness_t *h = *state;
    const char *names[2] = {"Payroll fraud", "Badge cloning"};
    char *asset[2][1] = {{"payroll"}, {"badge reader"}};
    for (int k = 0; k < 2; k++) {
        harness_risk_in_t in;
        harness_risk_init(&in, names[k], "local-admin", 3, 4);
        in.risk.assets = asset[k];
        in.risk.n_assets = 1;
        harness_env_t *r = harness_create(h, &in.risk, NULL);
        assert_int_equal(harness_code(r), 0);
        riskline__v1__envelope__free_unpacked(r, NULL);
    }
    void *s = sender(h);
    gen_t g[12];
    int64_t now = (int64_t)time(NULL) * 1000;
    for (unsigned i = 0; i < 12; i++) {
        gen(&g[i], 100 + i, 0);
        g[i].ev.occurred_at_ms = now - 60000 + i;  /* within the 7-day window */
        g[i].ev.assets = asset[i < 7 ? 0 : 1];
        g[i].ev.n_assets = 1;
    }
    send_accepted(h, s, g, 12);
    zmq_close(s);
    char buf[2048];
    for (int i = 0; i < 100 && redis_int(h, "ZCARD rl:{default}:riskevent:linked:R-2") < 5; i++) {
        harness_sleep_ms(50);
    }
    assert_int_equal(redis_int(h, "ZCARD rl:{default}:riskevent:linked:R-1"), 7);
    assert_int_equal(redis_int(h, "ZCARD rl:{default}:riskevent:linked:R-2"), 5);
    alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN, buf, sizeof buf);
    assert_string_equal(buf, "AL-1 reassessment R-1;");
    assert_int_equal(redis_int(h, "HEXISTS rl:{default}:riskevent:count siem-prod.unlinked"), 0);
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    redisReply *x = redisCommand(c, "HGET rl:{default}:alert:reassessment:R-1 pb");
    assert_non_null(x);
    assert_int_equal(x->type, REDIS_REPLY_STRING);
    Riskline__V1__Alert *al = riskline__v1__alert__unpack(NULL, x->len, (const uint8_t *)x->str);
    assert_non_null(al);
    assert_non_null(strstr(al->message, "evt-000105"));  /* the 6th event, its count 6 */
    assert_non_null(strstr(al->message, "6 in 7 days"));
    riskline__v1__alert__free_unpacked(al, NULL);
    freeReplyObject(x);
    /* the entry's key marks it recorded (an empty pb: the batch is in the domain event, once) */
    x = redisCommand(c, "KEYS rl:{default}:riskevent:entry:*");
    assert_non_null(x);
    assert_int_equal(x->elements, 1);
    redisReply *y = redisCommand(c, "HMGET %s v pb", x->element[0]->str);
    assert_non_null(y);
    assert_string_equal(y->element[0]->str, "1");
    assert_int_equal(y->element[1]->len, 0);
    freeReplyObject(y);
    freeReplyObject(x);
    redisFree(c);
    Riskline__V1__DomainEvent *ev = last_received(h);
    Riskline__V1__EventBatch *b = riskline__v1__event_batch__unpack(NULL, ev->entity.len, ev->entity.data);
    assert_non_null(b);
    assert_int_equal(b->n_events, 12);
    assert_string_equal(b->events[11]->linked_risks[0], "R-2");
    assert_int_equal(b->events[11]->n_assets, 0);  /* kept in the ingestion log, not repeated */
    assert_string_equal(b->events[11]->summary, "failed logins from an unusual country");
    riskline__v1__event_batch__free_unpacked(b, NULL);
    riskline__v1__domain_event__free_unpacked(ev, NULL);
}

static harness_env_t *record(harness_t *h, const char *id, double value)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__MetricRecord q = RISKLINE__V1__METRIC_RECORD__INIT;
    q.metric_id = (char *)id;
    q.value = value;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_METRIC_RECORD;
    env.metric_record = &q;
    return admin_call(h, h->monitor_endpoint, "monitor", &env);
}

/* A plan without progress for longer than the stalled threshold (30 days) raises exactly one
 * plan_stalled alert however often the sweep runs, and it resolves when progress is made. The
 * plan is made 32 days old by a treatment service whose clock runs 32 days behind
 * (RISKLINE_CLOCK_OFFSET_S, tests only); the monitor keeps the wall clock. */
static void test_plan_stalled(void **state)
{
    harness_t *h = *state;
    assert_int_equal(harness_treatment_start_with(h, "RISKLINE_CLOCK_OFFSET_S=-2764800"), 0);
    int64_t created = risk_and_plan(h, "Backups not restorable", "Restore drills");
    /* the treatment service's clock is 32 days behind (give or take the test's own seconds) */
    int64_t wall = (int64_t)time(NULL) * 1000;
    assert_true(created <= wall - 2764800000LL + 60000 && created >= wall - 2764800000LL - 60000);
    add_milestone(h, "First drill", 200, 1);
    add_milestone(h, "Second drill", 220, 2);
    assert_int_equal(harness_treatment_stop(h), 0);
    char *log = harness_read_file(h->treatment_log, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "\"clock_offset_s\":\"-2764800\""));
    free(log);
    /* its last change 32 days ago, at 0 % progress: stalled, once however often the sweep runs */
    char buf[2048], since[16];
    harness_date_in(-32, since);
    sweep(h);
    sweep(h);
    sweep(h);
    alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN, buf, sizeof buf);
    assert_string_equal(buf, "AL-1 plan_stalled TP-1;");
    {
        harness_env_t e = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__AlertList q = RISKLINE__V1__ALERT_LIST__INIT;
        e.body_case = RISKLINE__V1__ENVELOPE__BODY_ALERT_LIST;
        e.alert_list = &q;
        harness_env_t *rr = admin_call(h, h->monitor_endpoint, "monitor", &e);
        assert_int_equal(rr->alert_page->n_alerts, 1);
        const char *msg = rr->alert_page->alerts[0]->message;
        if (!strstr(msg, "has not changed since") || !strstr(msg, since) || !strstr(msg, "at 0% progress"))
            fail_msg("plan_stalled message: %s (want the date %s)", msg, since);
        assert_int_equal(rr->alert_page->alerts[0]->severity, RISKLINE__V1__SEVERITY__SEVERITY_LOW);
        riskline__v1__envelope__free_unpacked(rr, NULL);
    }
    /* progress now, at the wall clock: the first drill done; the next sweep resolves the alert */
    assert_int_equal(harness_treatment_start(h), 0);
    assert_int_equal(first_milestone_done(h, 3), 50);  /* progress, not done: the change clears it */
    sweep(h);
    sweep(h);
    assert_string_equal(alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN, buf, sizeof buf), "");
    alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_RESOLVED, buf, sizeof buf);
    assert_string_equal(buf, "AL-1 plan_stalled TP-1;");
    harness_treatment_stop(h);
}

/* Defines a metric of control A.8.8 (frequency 30 days, owner ops-lead); the reply (freed by the caller). */
static harness_env_t *define_a88(harness_t *h, const char *name, Riskline__V1__MetricDirection dir, double target,
                                 double warning, double breach)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__MetricDefine q = RISKLINE__V1__METRIC_DEFINE__INIT;
    Riskline__V1__Metric m = RISKLINE__V1__METRIC__INIT;
    m.name = (char *)name;
    m.control_id = "A.8.8";
    m.frequency_days = 30;
    m.target = target;
    m.warning = warning;
    m.breach = breach;
    m.direction = dir;
    m.owner = "ops-lead";
    q.metric = &m;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_METRIC_DEFINE;
    env.metric_define = &q;
    return admin_call(h, h->monitor_endpoint, "monitor", &env);
}

/* A metric of a control: a result beyond breach raises an alert and makes the control
 * ineffective; a good one resolves it; a metric left unmeasured past its frequency alerts. */
static void test_metrics_and_effectiveness(void **state)
{
    harness_t *h = *state;
    /* a plan implementing A.8.8, to be marked for review when the control proves ineffective */
    assert_int_equal(harness_treatment_start(h), 0);
    {
        harness_risk_in_t in;
        harness_risk_init(&in, "Unpatched servers", "local-admin", 4, 4);
        harness_env_t *cr = harness_create(h, &in.risk, NULL);
        assert_int_equal(harness_code(cr), 0);
        riskline__v1__envelope__free_unpacked(cr, NULL);
        harness_env_t pe = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__PlanCreate pc = RISKLINE__V1__PLAN_CREATE__INIT;
        Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
        Riskline__V1__PlanControl c1 = RISKLINE__V1__PLAN_CONTROL__INIT;
        Riskline__V1__PlanControl *cs[] = {&c1};
        c1.control_id = "A.8.8";
        p.risk_id = "R-1";
        p.title = "Patch management";
        p.option = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
        p.treatment_owner = "local-admin";
        p.approver = "ann";
        p.controls = cs;
        p.n_controls = 1;
        pc.plan = &p;
        pe.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE;
        pe.plan_create = &pc;
        riskline__v1__envelope__free_unpacked(admin_call(h, h->treatment_endpoint, "treatment", &pe), NULL);
    }
    harness_env_t *r = define_a88(h, "Patched within 14 days",
                                  RISKLINE__V1__METRIC_DIRECTION__METRIC_DIRECTION_HIGHER_IS_BETTER, 95, 90, 80);
    assert_string_equal(r->metric_result->metric->id, "K-1");
    assert_int_equal(r->metric_result->effectiveness, RISKLINE__V1__EFFECTIVENESS__EFFECTIVENESS_NOT_MEASURED);
    riskline__v1__envelope__free_unpacked(r, NULL);
    r = record(h, "K-1", 75);
    assert_int_equal(r->metric_result->effectiveness, RISKLINE__V1__EFFECTIVENESS__EFFECTIVENESS_INEFFECTIVE);
    riskline__v1__envelope__free_unpacked(r, NULL);
    char buf[2048];
    alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN, buf, sizeof buf);
    assert_non_null(strstr(buf, "AL-1 metric_breach K-1;"));
    /* the treatment service marks the plan implementing the ineffective control for review */
    int marked = 0;
    for (int i = 0; i < 100 && !marked; i++) {
        harness_env_t ge = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__PlanGet gq = RISKLINE__V1__PLAN_GET__INIT;
        gq.id = "TP-1";
        ge.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_GET;
        ge.plan_get = &gq;
        harness_env_t *gr = admin_call(h, h->treatment_endpoint, "treatment", &ge);
        marked = gr->plan_result->plan->review_requested && strstr(gr->plan_result->plan->review_requested,
                                                                    "control A.8.8 is ineffective");
        riskline__v1__envelope__free_unpacked(gr, NULL);
        if (!marked) {
            harness_sleep_ms(50);
        }
    }
    assert_true(marked);
    assert_non_null(strstr(buf, "AL-2 control_ineffective A.8.8;"));
    r = record(h, "K-1", 97);
    assert_int_equal(r->metric_result->effectiveness, RISKLINE__V1__EFFECTIVENESS__EFFECTIVENESS_EFFECTIVE);
    riskline__v1__envelope__free_unpacked(r, NULL);
    assert_string_equal(alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN, buf, sizeof buf), "");
    /* 31 days without a result: the sweep reads the due index */
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    redisReply *rep = redisCommand(c, "ZADD rl:{default}:idx:metric:due %lld K-1", (long long)time(NULL) * 1000 - 1000);
    assert_non_null(rep);
    freeReplyObject(rep);
    redisFree(c);
    sweep(h);
    alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN, buf, sizeof buf);
    assert_string_equal(buf, "AL-3 metric_not_measured K-1;");
    riskline__v1__envelope__free_unpacked(record(h, "K-1", 96), NULL);
    assert_string_equal(alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN, buf, sizeof buf), "");
    /* a KRI measurement from the scanner is a result of the metric it names */
    void *s = sender(h);
    gen_t g[1];
    gen(&g[0], 7, 0);
    g[0].ev.kind = RISKLINE__V1__EVENT_KIND__EVENT_KIND_KRI_MEASUREMENT;
    g[0].ev.measurement_case = RISKLINE__V1__RISK_EVENT__MEASUREMENT_VALUE;
    g[0].ev.value = 70;
    g[0].ev.occurred_at_ms = (int64_t)time(NULL) * 1000;
    Riskline__V1__Attribute attr = RISKLINE__V1__ATTRIBUTE__INIT;
    Riskline__V1__Attribute *attrs[] = {&attr};
    attr.key = "metric";
    attr.value = "K-1";
    g[0].ev.attributes = attrs;
    g[0].ev.n_attributes = 1;
    send_accepted(h, s, g, 1);
    zmq_close(s);
    int seen = 0;
    for (int i = 0; i < 100 && !seen; i++) {
        seen = strstr(alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN, buf, sizeof buf), "metric_breach K-1") != NULL;
        if (!seen) {
            harness_sleep_ms(50);
        }
    }
    assert_true(seen);
    harness_treatment_stop(h);
}

/* The other schedule rules, each raised once by the sweep and resolved when its condition clears:
 * a milestone due soon, a plan past its target and over budget, an acceptance expiring. */
static void test_schedule_rules(void **state)
{
    harness_t *h = *state;
    assert_int_equal(harness_treatment_start(h), 0);
    char soon[16], past[16], far[16], month[16];
    harness_date_in(3, soon);
    harness_date_in(-2, past);
    harness_date_in(300, far);
    harness_date_in(10, month);
    harness_risk_in_t in;
    harness_risk_init(&in, "Data centre outage", "local-admin", 2, 3);
    in.risk.next_review = far;
    harness_env_t *r = harness_create(h, &in.risk, NULL);
    assert_int_equal(harness_code(r), 0);
    riskline__v1__envelope__free_unpacked(r, NULL);
    /* a plan past its target, with a small budget, and a milestone due in 3 days */
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__PlanCreate pc = RISKLINE__V1__PLAN_CREATE__INIT;
    Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
    Riskline__V1__Resources res = RISKLINE__V1__RESOURCES__INIT;
    Riskline__V1__Money budget = RISKLINE__V1__MONEY__INIT;
    budget.amount_minor = 10000;
    budget.currency = "EUR";
    res.budget = &budget;
    p.risk_id = "R-1";
    p.title = "Second site";
    p.option = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
    p.treatment_owner = "local-admin";
    p.approver = "ann";
    p.resources = &res;
    p.target_date = past;
    pc.plan = &p;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE;
    env.plan_create = &pc;
    riskline__v1__envelope__free_unpacked(admin_call(h, h->treatment_endpoint, "treatment", &env), NULL);
    harness_env_t e2 = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__MilestoneAdd ma = RISKLINE__V1__MILESTONE_ADD__INIT;
    Riskline__V1__Milestone m = RISKLINE__V1__MILESTONE__INIT;
    m.title = "Contract signed";
    m.owner = "local-admin";
    m.due_date = soon;
    ma.plan_id = "TP-1";
    ma.expected_version = 1;
    ma.milestone = &m;
    e2.body_case = RISKLINE__V1__ENVELOPE__BODY_MILESTONE_ADD;
    e2.milestone_add = &ma;
    riskline__v1__envelope__free_unpacked(admin_call(h, h->treatment_endpoint, "treatment", &e2), NULL);
    harness_env_t e3 = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__PlanCostAdd ca = RISKLINE__V1__PLAN_COST_ADD__INIT;
    Riskline__V1__Cost cost = RISKLINE__V1__COST__INIT;
    cost.date = past;
    cost.amount_minor = 25000;  /* over the budget of 100.00 */
    ca.id = "TP-1";
    ca.expected_version = 2;
    ca.cost = &cost;
    e3.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_COST_ADD;
    e3.plan_cost_add = &ca;
    riskline__v1__envelope__free_unpacked(admin_call(h, h->treatment_endpoint, "treatment", &e3), NULL);
    /* an acceptance expiring in 10 days */
    harness_env_t e4 = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__RiskAccept acc = RISKLINE__V1__RISK_ACCEPT__INIT;
    acc.risk_id = "R-1";
    acc.justification = "until the second site runs";
    acc.expires = month;
    e4.body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_ACCEPT;
    e4.risk_accept = &acc;
    riskline__v1__envelope__free_unpacked(admin_call(h, h->treatment_endpoint, "treatment", &e4), NULL);
    /* (stalled plans: test_plan_stalled, with a treatment service whose clock runs behind) */
    char buf[4096];
    sweep(h);
    sweep(h);  /* idempotent */
    alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN, buf, sizeof buf);
    const char *want[] = {"milestone_due_soon TP-1/M-1;", "plan_past_target TP-1;", "budget_overrun TP-1;",
                          "acceptance_expiring R-1;"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(buf, want[i]))
            fail_msg("missing %s in: %s", want[i], buf);
    int n = 0;
    for (const char *q = buf; (q = strchr(q, ';')); q++)
        n++;
    assert_int_equal(n, 4);  /* each once */
    /* the plan is cancelled: its alerts clear; a longer acceptance clears the expiring one */
    harness_env_t e5 = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__PlanTransition t = RISKLINE__V1__PLAN_TRANSITION__INIT;
    t.id = "TP-1";
    t.expected_version = 3;
    t.action = RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_CANCEL;
    t.comment = "site bought instead";
    e5.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_TRANSITION;
    e5.plan_transition = &t;
    riskline__v1__envelope__free_unpacked(admin_call(h, h->treatment_endpoint, "treatment", &e5), NULL);
    acc.expires = far;
    e4.request_id = "";  /* a new request, not a retry of the first */
    riskline__v1__envelope__free_unpacked(admin_call(h, h->treatment_endpoint, "treatment", &e4), NULL);
    sweep(h);
    assert_string_equal(alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN, buf, sizeof buf), "");
    alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_RESOLVED, buf, sizeof buf);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(buf, want[i]))
            fail_msg("not resolved: %s in: %s", want[i], buf);
    harness_treatment_stop(h);
}

/* The monitor's status for tenant "default", asserted to be one. */
static Riskline__V1__MonitorStatus *status(harness_t *h, harness_env_t **reply)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__MonitorStatusGet q = RISKLINE__V1__MONITOR_STATUS_GET__INIT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_MONITOR_STATUS_GET;
    env.monitor_status_get = &q;
    *reply = admin_call(h, h->monitor_endpoint, "monitor", &env);
    assert_int_equal((*reply)->body_case, RISKLINE__V1__ENVELOPE__BODY_MONITOR_STATUS);
    return (*reply)->monitor_status;
}

/* What Redis itself says of group "monitor" on the ingestion log: "length/lag/pending/entries-read". */
static void xinfo(harness_t *h, char *buf, size_t size)
{
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    redisReply *len = redisCommand(c, "XLEN rl:{default}:riskevent:log");
    redisReply *g = redisCommand(c, "XINFO GROUPS rl:{default}:riskevent:log");
    assert_non_null(len);
    assert_non_null(g);
    assert_int_equal(g->type, REDIS_REPLY_ARRAY);
    assert_int_equal(g->elements, 1);
    long long lag = -1, pending = -1, read = -1;
    const redisReply *grp = g->element[0];
    for (size_t i = 0; i + 1 < grp->elements; i += 2) {
        const char *k = grp->element[i]->str;
        long long v = grp->element[i + 1]->type == REDIS_REPLY_INTEGER ? grp->element[i + 1]->integer : -2;
        if (!strcmp(k, "lag"))
            lag = v;
        else if (!strcmp(k, "pending"))
            pending = v;
        else if (!strcmp(k, "entries-read"))
            read = v;
    }
    snprintf(buf, size, "%lld/%lld/%lld/%lld", len->integer, lag, pending, read);
    freeReplyObject(len);
    freeReplyObject(g);
    redisFree(c);
}

/* Of thread tid of process pid (/proc/<pid>/task/<tid>/stat): its name, nice value (field 19) and
 * scheduling policy (field 41). 0, or -1 when it cannot be read. */
static int thread_sched(int pid, int tid, char *name, size_t size, int *nice, int *policy)
{
    char path[96], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    if (!open || !close || close < open)
        return -1;
    snprintf(name, size, "%.*s", (int)(close - open - 1), open + 1);
    char *tok = strtok(close + 1, " ");
    for (int field = 3; tok && field < 41; field++) {
        if (field == 19)
            *nice = atoi(tok);
        tok = strtok(NULL, " ");
    }
    if (!tok)
        return -1;
    *policy = atoi(tok);
    return 0;
}

/* The thread ids of process pid (/proc/<pid>/task), at most max; how many, -1 when unreadable. */
static int task_ids(int pid, int *ids, int max)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", pid);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < max)
        if (de->d_name[0] != '.')
            ids[n++] = atoi(de->d_name);
    closedir(d);
    return n;
}

static void *try_idle(void *p)
{
    struct sched_param sp = {0};
    *(int *)p = pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) == 0;
    return NULL;
}

/* Correlation runs on the work thread, which yields the CPU to every thread that answers senders:
 * SCHED_IDLE where this system allows it (else nice 10); its backstop thread runs at nice 10; the
 * loop and ZeroMQ's threads keep the normal policy and priority. */
static void test_work_thread_yields(void **state)
{
    harness_t *h = *state;
    int idle_allowed = 0;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, try_idle, &idle_allowed), 0);
    pthread_join(t, NULL);
    int tids[64];
    int n = task_ids((int)h->monitor_pid, tids, 64);
    assert_true(n > 0);
    int yielding = 0, backstop = 0, normal = 0, main_seen = 0;
    for (int i = 0; i < n; i++) {
        char name[64];
        int nice = 0, policy = -1;
        assert_int_equal(thread_sched((int)h->monitor_pid, tids[i], name, sizeof name, &nice, &policy), 0);
        int is_main = tids[i] == (int)h->monitor_pid;
        main_seen += is_main;
        int nice10 = policy == SCHED_OTHER && nice == 10;
        if ((idle_allowed && policy == SCHED_IDLE) || nice10) {
            /* the work thread or its backstop: not the loop, not one of ZeroMQ's */
            assert_false(is_main);
            assert_null(strstr(name, "ZMQ"));
            yielding += policy == SCHED_IDLE;
            backstop += nice10;
        } else {
            if (policy != SCHED_OTHER || nice != 0)
                fail_msg("thread %d (%s) of the monitor: policy %d nice %d", tids[i], name, policy, nice);
            normal++;
        }
    }
    assert_int_equal(main_seen, 1);
    assert_int_equal(yielding, idle_allowed ? 1 : 0);
    assert_int_equal(backstop, idle_allowed ? 1 : 2);
    assert_true(normal >= 2);  /* the loop and ZeroMQ's I/O thread at least */
}

/* Pins every thread of process pid to cpu. 0 ok, -1 when one could not be. */
static int pin_process(int pid, int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    int tids[64];
    int n = task_ids(pid, tids, 64), rc = n > 0 ? 0 : -1;
    for (int i = 0; i < n; i++)
        if (sched_setaffinity(tids[i], sizeof set, &set) != 0)
            rc = -1;
    return rc;
}

/* Processes that keep the monitor's CPU busy leave its SCHED_IDLE work thread a slice now and then
 * (it waits out theirs at every Redis round trip): once it has been behind for RL_WORK_STARVED_MS
 * the backstop thread (nice 10) correlates too, the log says so, and the group drains. */
static void test_correlation_when_work_starved(void **state)
{
    harness_t *h = *state;
    void *s = sender(h);
    gen_t g[10];
    for (unsigned i = 0; i < 10; i++)
        gen(&g[i], 700000 + i, 0);
    send_accepted(h, s, g, 10);
    assert_int_equal(harness_settle(h, "default", 10000), 0);
    assert_int_equal(pin_process((int)h->monitor_pid, 0), 0);
    /* several: beside one, a SCHED_IDLE thread still gets a slice every few ms */
    enum { NBUSY = 3 };
    pid_t busy[NBUSY];
    /* nothing asserts until they are killed; should this process die first, they end with it,
     * and they end anyway after BUSY_MS */
    enum { BUSY_MS = 120000 };
    for (int k = 0; k < NBUSY; k++) {
        busy[k] = fork();
        if (busy[k] == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            pin_process(getpid(), 0);
            for (int64_t end = harness_mono_ms() + BUSY_MS; harness_mono_ms() < end;)
                ;
            _exit(0);
        }
    }
    harness_sleep_ms(300);
    /* 30 entries: the work thread, given a slice now and then, would take minutes over them (each
     * Redis round trip costs it its slice) */
    int acked = 0;
    for (unsigned b = 0; b < 30; b++) {
        for (unsigned i = 0; i < 10; i++)
            gen(&g[i], 700100 + b * 10 + i, 0);
        acked += acked_as(send_batch(h, s, g, 10, 5000), "AAAAAAAAAA");
    }
    int64_t t0 = harness_mono_ms();
    int settled = harness_settle(h, "default", 60000);  /* ~3 s here; ~11 s without the backstop */
    printf("backstop: 300 events correlated %lld ms after their acks, %d busy processes on the monitor's CPU\n",
           (long long)(harness_mono_ms() - t0), NBUSY);
    for (int k = 0; k < NBUSY; k++)
        if (busy[k] > 0) {
            kill(busy[k], SIGKILL);
            waitpid(busy[k], NULL, 0);
        }
    zmq_close(s);
    for (int k = 0; k < NBUSY; k++)
        assert_true(busy[k] > 0);
    assert_int_equal(acked, 30);
    size_t len = 0;
    char *log = harness_read_file(h->monitor_log, &len);
    assert_non_null(log);
    int stood_in = strstr(log, "background work behind") != NULL;
    if (settled != 0 || !stood_in)
        fail_msg("settled %d, stood in %d; the monitor's log ends: %s", settled, stood_in,
                 len > 1500 ? log + len - 1500 : log);
    free(log);
}

/* `monitor status` reports how far correlation is behind on the ingestion log, in stream entries
 * (a batch of events is one entry), as Redis's XINFO GROUPS says: unread entries and pending ones. */
static void test_status_stream_lag(void **state)
{
    harness_t *h = *state;
    harness_env_t *r;
    /* nothing ingested yet: an empty log */
    Riskline__V1__MonitorStatus *st = status(h, &r);
    assert_int_equal(st->stream_length, 0);
    assert_int_equal(st->stream_lag, 0);
    assert_int_equal(st->stream_pending, 0);
    assert_false(st->stream_lag_unknown);
    riskline__v1__envelope__free_unpacked(r, NULL);
    /* one batch of 2 events is one entry; the batch itself lists the tenant (rl:{_sys}:tenants),
     * so the correlator reads the log of a tenant that has only ever sent events */
    void *s = sender(h);
    gen_t g[2];
    gen(&g[0], 1, 0);
    gen(&g[1], 2, 0);
    send_accepted(h, s, g, 2);
    int read_all = 0;
    for (int i = 0; i < 100 && !read_all; i++) {
        st = status(h, &r);
        assert_int_equal(st->stream_length, 1);
        read_all = st->stream_lag == 0 && st->stream_pending == 0;
        riskline__v1__envelope__free_unpacked(r, NULL);
        if (!read_all) {
            harness_sleep_ms(50);
        }
    }
    assert_true(read_all);
    assert_int_equal(redis_int(h, "SISMEMBER rl:{_sys}:tenants default"), 1);
    /* a risk (a domain write) and two more batches; the correlator reads all three and catches up */
    harness_risk_in_t in;
    harness_risk_init(&in, "Phishing", "local-admin", 3, 3);
    r = harness_create(h, &in.risk, NULL);
    assert_int_equal(harness_code(r), 0);
    riskline__v1__envelope__free_unpacked(r, NULL);
    for (unsigned b = 1; b <= 2; b++) {
        gen(&g[0], 10 * b + 1, 0);
        gen(&g[1], 10 * b + 2, 0);
        send_accepted(h, s, g, 2);
    }
    zmq_close(s);
    int caught_up = 0;
    for (int i = 0; i < 100 && !caught_up; i++) {
        st = status(h, &r);
        caught_up = st->stream_lag == 0 && st->stream_pending == 0;
        riskline__v1__envelope__free_unpacked(r, NULL);
        if (!caught_up) {
            harness_sleep_ms(50);
        }
    }
    assert_true(caught_up);
    char buf[128];
    xinfo(h, buf, sizeof buf);
    assert_string_equal(buf, "3/0/0/3");  /* 3 entries, none unread or pending, 3 read */
    assert_int_equal(redis_int(h, "HGET rl:{default}:riskevent:count siem-prod.unlinked"), 6);  /* every event handled, once */
    /* a group state made directly, atomically against the correlator: entry 1 delivered to another
     * consumer and never acknowledged (pending), entries 2 and 3 unread (lag); the correlator reads
     * only its own pending entries and new ones, so this state stays */
    const char *cmds[] = {"MULTI", "XGROUP SETID rl:{default}:riskevent:log monitor 0 ENTRIESREAD 0",
                          "XREADGROUP GROUP monitor probe COUNT 1 STREAMS rl:{default}:riskevent:log >",
                          "XGROUP SETID rl:{default}:riskevent:log monitor $ ENTRIESREAD 1", "EXEC"};
    redis_run(h, cmds, sizeof cmds / sizeof cmds[0]);
    xinfo(h, buf, sizeof buf);
    assert_string_equal(buf, "3/2/1/1");
    st = status(h, &r);
    assert_int_equal(st->stream_length, 3);
    assert_int_equal(st->stream_lag, 2);
    assert_int_equal(st->stream_pending, 1);
    assert_false(st->stream_lag_unknown);
    riskline__v1__envelope__free_unpacked(r, NULL);
    /* the CLI prints the same, in words and in JSON */
    harness_run_t run;
    harness_clif(h, &run, "monitor", "status", NULL);
    assert_int_equal(run.status, 0);
    if (!strstr(run.out, "\nstream lag:  2 entries unread, 1 pending (log: 3 entries)\n"))
        fail_msg("no stream lag line in:\n%s", run.out);
    harness_run_free(&run);
    harness_clif(h, &run, "monitor", "status", "--json", NULL);
    cJSON *j = harness_json(&run, 0);
    assert_int_equal((int)harness_jnum(j, "stream_lag"), 2);
    assert_int_equal((int)harness_jnum(j, "stream_pending"), 1);
    assert_int_equal((int)harness_jnum(j, "stream_length"), 3);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "stream_lag_unknown")));
    cJSON_Delete(j);
    harness_run_free(&run);
}

/* Metric id's last result as "<value>@<at ms>" ("-" when never measured) and its version. */
static char *metric_last(harness_t *h, const char *id, char *buf, size_t size, uint64_t *version)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__MetricList q = RISKLINE__V1__METRIC_LIST__INIT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_METRIC_LIST;
    env.metric_list = &q;
    harness_env_t *r = admin_call(h, h->monitor_endpoint, "monitor", &env);
    snprintf(buf, size, "no %s", id);
    for (size_t i = 0; i < r->metric_page->n_metrics; i++) {
        const Riskline__V1__Metric *m = r->metric_page->metrics[i];
        if (strcmp(m->id, id))
            continue;
        if (m->last_at_ms)
            snprintf(buf, size, "%g@%lld", m->last_value, (long long)m->last_at_ms);
        else
            snprintf(buf, size, "-");
        *version = m->version;
    }
    riskline__v1__envelope__free_unpacked(r, NULL);
    return buf;
}

/* Waits up to 5 s until the correlator has read and acknowledged every entry of the log. */
static void wait_caught_up(harness_t *h)
{
    for (int i = 0; i < 100; i++) {
        harness_env_t *r;
        Riskline__V1__MonitorStatus *st = status(h, &r);
        int ok = st->stream_lag == 0 && st->stream_pending == 0 && !st->stream_lag_unknown;
        riskline__v1__envelope__free_unpacked(r, NULL);
        if (ok)
            return;
        harness_sleep_ms(50);
    }
    fail_msg("the correlator did not catch up with the ingestion log");
}

/* The open alerts are exactly the two "AL-n kind subject;" given, in any order (raised in the
 * same millisecond, their order is the index's tie-break). */
static void expect_open(harness_t *h, const char *a, const char *b)
{
    char buf[2048];
    alerts(h, RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN, buf, sizeof buf);
    if (strlen(buf) != strlen(a) + strlen(b) || !strstr(buf, a) || !strstr(buf, b))
        fail_msg("open alerts: %s; want %s%s", buf, a, b);
}

/* A control test (40 % passed) naming A.8.8 is a result of the control's pass-rate metric: the
 * metric shows it, it breaches (alert), the control turns ineffective; a metric of the same control
 * in other units is left alone; a test of a control nobody measures is counted; and the whole log
 * read again (redelivery) records nothing twice. */
static void test_control_test_results(void **state)
{
    harness_t *h = *state;
    harness_env_t *r = define_a88(h, "Patch tests passed",
                                  RISKLINE__V1__METRIC_DIRECTION__METRIC_DIRECTION_HIGHER_IS_BETTER, 95, 90, 80);
    assert_int_equal(r->metric_result->effectiveness, RISKLINE__V1__EFFECTIVENESS__EFFECTIVENESS_NOT_MEASURED);
    riskline__v1__envelope__free_unpacked(r, NULL);
    r = define_a88(h, "Days to patch", RISKLINE__V1__METRIC_DIRECTION__METRIC_DIRECTION_LOWER_IS_BETTER, 7, 14, 30);
    assert_string_equal(r->metric_result->metric->id, "K-2");
    riskline__v1__envelope__free_unpacked(r, NULL);
    void *s = sender(h);
    gen_t g[2];
    char *a888[] = {"A.8.8"}, *a63[] = {"A.6.3"};
    int64_t at = (int64_t)time(NULL) * 1000 - 60000;
    for (int i = 0; i < 2; i++) {
        gen(&g[i], 31 + (unsigned)i, 0);
        g[i].ev.kind = RISKLINE__V1__EVENT_KIND__EVENT_KIND_CONTROL_TEST;
        g[i].ev.measurement_case = RISKLINE__V1__RISK_EVENT__MEASUREMENT_VALUE;
        g[i].ev.occurred_at_ms = at;
        g[i].ev.n_controls = 1;
    }
    g[0].ev.value = 40;
    g[0].ev.controls = a888;
    g[1].ev.value = 90;
    g[1].ev.controls = a63;  /* no metric measures it */
    send_accepted(h, s, g, 2);
    zmq_close(s);
    char last[64], want[64];
    uint64_t v1 = 0, v2 = 0;
    snprintf(want, sizeof want, "40@%lld", (long long)at);
    int seen = 0;
    for (int i = 0; i < 100 && !seen; i++) {
        seen = !strcmp(metric_last(h, "K-1", last, sizeof last, &v1), want);
        if (!seen) {
            harness_sleep_ms(50);
        }
    }
    if (!seen)
        fail_msg("K-1 never showed %s, last %s", want, last);
    wait_caught_up(h);
    assert_string_equal(metric_last(h, "K-2", last, sizeof last, &v2), "-");  /* days, not a pass rate */
    /* a breach, as a recorded result raises it; with K-1 at breach the control is ineffective */
    expect_open(h, "AL-1 metric_breach K-1;", "AL-2 control_ineffective A.8.8;");
    /* K-2 in range: half the weight ok, half at breach: still ineffective (without the test's
     * result it would be partially effective) */
    r = record(h, "K-2", 5);
    assert_int_equal(r->metric_result->effectiveness, RISKLINE__V1__EFFECTIVENESS__EFFECTIVENESS_INEFFECTIVE);
    riskline__v1__envelope__free_unpacked(r, NULL);
    metric_last(h, "K-2", last, sizeof last, &v2);
    Riskline__V1__MonitorStatus *st = status(h, &r);
    assert_int_equal(st->control_tests_unmeasured, 1);
    assert_int_equal(st->alerts_open, 2);
    riskline__v1__envelope__free_unpacked(r, NULL);
    long long hist = redis_int(h, "LLEN rl:{default}:metric:K-1:hist");
    assert_int_equal(hist, 2);  /* defined, one result */
    /* redelivery: the group set back to the start of the log, every entry is handled again */
    redis_run(h, (const char *const[]){"XGROUP SETID rl:{default}:riskevent:log monitor 0 ENTRIESREAD 0"}, 1);
    wait_caught_up(h);
    uint64_t v1b = 0, v2b = 0;
    assert_string_equal(metric_last(h, "K-1", last, sizeof last, &v1b), want);
    metric_last(h, "K-2", last, sizeof last, &v2b);
    assert_int_equal(v1b, v1);
    assert_int_equal(v2b, v2);
    assert_int_equal(redis_int(h, "LLEN rl:{default}:metric:K-1:hist"), hist);
    expect_open(h, "AL-1 metric_breach K-1;", "AL-2 control_ineffective A.8.8;");
    st = status(h, &r);
    assert_int_equal(st->control_tests_unmeasured, 1);
    riskline__v1__envelope__free_unpacked(r, NULL);
}

/* What an entry of the ingestion log holds (rl_ingest.h): field b, the batch's new events each as
 * the sender packed it; at and by, when and from whom. An event with a field this version does not
 * know (a newer sender's) is stored without it; a duplicate in the batch is not stored again. */
static void test_stored_as_sent(void **state)
{
    harness_t *h = *state;
    void *s = sender(h);
    gen_t g[3];
    gen(&g[0], 1, 0);
    gen(&g[1], 2, 0);
    gen(&g[2], 1, 0);  /* a copy of the first */
    uint8_t extra[] = {0x03, 'n', 'e', 'w'};  /* field 99: "new" */
    /* protobuf-c packs an unknown field as its tag, then data as it is (the length included) */
    ProtobufCMessageUnknownField unk = {99, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, 4, extra};
    g[1].ev.base.n_unknown_fields = 1;
    g[1].ev.base.unknown_fields = &unk;
    int64_t t0 = (int64_t)time(NULL) * 1000;
    harness_env_t *r = send_batch(h, s, g, 3, 5000);
    zmq_close(s);
    expect_acks(r, "AAD");
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    redisReply *x = redisCommand(c, "XRANGE rl:{default}:riskevent:log - +");
    assert_non_null(x);
    assert_int_equal(x->elements, 1);
    redisReply *fv = x->element[0]->element[1];
    assert_int_equal(fv->elements, 6);
    assert_string_equal(fv->element[0]->str, "b");
    assert_string_equal(fv->element[2]->str, "at");
    assert_string_equal(fv->element[4]->str, "by");
    long long at = atoll(fv->element[3]->str);
    assert_true(at >= t0 - 1000 && at <= (int64_t)time(NULL) * 1000 + 1000);
    assert_string_equal(fv->element[5]->str, "siem");
    /* the first event's record is byte for byte what was sent; the second lost field 99 */
    size_t len0 = riskline__v1__risk_event__get_packed_size(&g[0].ev);
    uint8_t want0[512];
    assert_true(len0 + 2 < sizeof want0);
    want0[0] = 0x0a;
    want0[1] = (uint8_t)len0;  /* < 128 */
    riskline__v1__risk_event__pack(&g[0].ev, want0 + 2);
    assert_true(fv->element[1]->len > len0 + 2);
    assert_memory_equal(fv->element[1]->str, want0, len0 + 2);
    Riskline__V1__EventBatch *b =
        riskline__v1__event_batch__unpack(NULL, fv->element[1]->len, (const uint8_t *)fv->element[1]->str);
    assert_non_null(b);
    assert_int_equal(b->n_events, 2);
    assert_string_equal(b->events[0]->event_id, "evt-000001");
    assert_string_equal(b->events[1]->event_id, "evt-000002");
    assert_int_equal(b->events[1]->base.n_unknown_fields, 0);
    assert_int_equal(b->events[0]->received_at_ms, 0);  /* the stamps are the entry's */
    riskline__v1__event_batch__free_unpacked(b, NULL);
    freeReplyObject(x);
    redisFree(c);
}

/* Events k..k+3 as two batches of two sent together on s (they overlap), without waiting. */
static void overlapping(harness_t *h, void *s, gen_t *g, unsigned k)
{
    for (unsigned i = 0; i < 4; i++)
        gen(&g[i], k + i, 0);
    send_batch(h, s, g, 2, 0);
    send_batch(h, s, g + 2, 2, 0);
}

/* A sender whose first two overlapping batches (events k..k+3) are acked into r[0], r[1]: the
 * tenant is listed, so the next appends may be pipelined. */
static void *sender_listed(harness_t *h, gen_t *g, unsigned k, harness_env_t **r)
{
    void *s = sender(h);
    overlapping(h, s, g, k);
    r[0] = harness_recv_env(s, 5000);
    r[1] = harness_recv_env(s, 5000);
    return s;
}

/* Two more overlapping batches (events *k..*k+3), acked (*bad counts acks not "AA"): 1 when both
 * went into one stream entry, i.e. the monitor handled them together, so that for the next 200 ms
 * (handlers.c OVERLAP_MS) it sends appends without waiting, whichever batch it reads first. */
static int overlap_primed(harness_t *h, void *s, gen_t *g, unsigned *k, int *bad)
{
    long long before = redis_int(h, "XLEN rl:{default}:riskevent:log");
    overlapping(h, s, g, *k);
    *k += 4;
    *bad += !acked_as(harness_recv_env(s, 5000), "AA");
    *bad += !acked_as(harness_recv_env(s, 5000), "AA");
    return redis_int(h, "XLEN rl:{default}:riskevent:log") == before + 1;
}

/* SIGTERM with appends in flight (Redis writes paused, two overlapping batches waiting): the
 * monitor answers them once their appends are done, then exits 0; both are acked accepted and
 * stored. (The replies are collected first, and the socket closed before they are checked: a
 * failed check must not leave it open, which would hang the context's end.) */
static void test_stop_answers_appends_in_flight(void **state)
{
    harness_t *h = *state;
    if (h->cluster_n)  /* appends are not pipelined on a Redis Cluster (README) */
        skip();
    gen_t g[4];
    harness_env_t *r[4];
    void *s = sender_listed(h, g, 800, r);
    /* right after a pair handled together: these two are appended without waiting, whichever the
     * monitor reads first (a lone batch would be appended at once and hold the loop) */
    unsigned k = 804;
    int bad = 0, primed = 0;
    for (int p = 0; p < 20 && !primed; p++)
        primed = overlap_primed(h, s, g, &k, &bad);
    redis_run(h, (const char *const[]){"CLIENT PAUSE 3000 WRITE"}, 1);
    overlapping(h, s, g, k);
    k += 4;
    harness_sleep_ms(100);
    int killed = kill(h->monitor_pid, SIGTERM);
    harness_sleep_ms(200);
    redis_run(h, (const char *const[]){"CLIENT UNPAUSE"}, 1);
    int exit_status = harness_monitor_stop(h);
    r[2] = harness_recv_env(s, 5000);
    r[3] = harness_recv_env(s, 5000);
    zmq_close(s);
    assert_int_equal(killed, 0);
    assert_int_equal(exit_status, 0);
    for (int i = 0; i < 4; i++)
        expect_acks(r[i], "AA");
    assert_int_equal(bad, 0);
    assert_true(primed);
    assert_int_equal(redis_int(h, "SCARD rl:{default}:riskevent:seen"), (long long)(k - 800));
    assert_int_equal(redis_int(h, "HGET rl:{default}:riskevent:count siem-prod.accepted"), (long long)(k - 800));
}

/* Batches that overlap (two sent together) are appended without holding the loop: with Redis
 * writes paused, their acks wait, yet monitor status (a read) is answered at once; when writes
 * resume both are acked, every event accepted and stored once. Each attempt comes right after a
 * pair the monitor handled together (overlap_primed): a lone batch outside that window is
 * appended at once, holding the loop while writes are paused, and would prove nothing (a slow
 * build, the sanitizers', read the first of two batches alone about one run in three). An attempt
 * that still shows nothing is made again, five times at most: one must show it. */
static void test_loop_serves_while_appends_wait(void **state)
{
    harness_t *h = *state;
    if (h->cluster_n)  /* appends are not pipelined on a Redis Cluster (README) */
        skip();
    gen_t g[4];
    harness_env_t *r[2] = {NULL};
    unsigned k = 904;
    void *s = sender_listed(h, g, 900, r);
    int shown = 0, bad = 0, primed = 0;
    for (int attempt = 0; attempt < 5 && !shown; attempt++) {
        primed = 0;
        for (int p = 0; p < 20 && !primed; p++)
            primed = overlap_primed(h, s, g, &k, &bad);
        redis_run(h, (const char *const[]){"CLIENT PAUSE 3000 WRITE"}, 1);
        overlapping(h, s, g, k);
        k += 4;
        harness_sleep_ms(100);  /* both read and their appends sent */
        int64_t t0 = harness_mono_ms();
        harness_env_t *st;
        status(h, &st);
        int64_t took = harness_mono_ms() - t0;
        riskline__v1__envelope__free_unpacked(st, NULL);
        harness_env_t *early = harness_recv_env(s, 1);  /* no ack while writes are paused */
        shown = took < 1000 && !early;
        redis_run(h, (const char *const[]){"CLIENT UNPAUSE"}, 1);
        bad += !acked_as(early ? early : harness_recv_env(s, 5000), "AA");
        bad += !acked_as(harness_recv_env(s, 5000), "AA");
    }
    zmq_close(s);
    expect_acks(r[0], "AA");
    expect_acks(r[1], "AA");
    assert_int_equal(bad, 0);
    assert_true(primed);
    assert_true(shown);
    assert_int_equal(redis_int(h, "SCARD rl:{default}:riskevent:seen"), (long long)(k - 900));
    assert_int_equal(redis_int(h, "HGET rl:{default}:riskevent:count siem-prod.accepted"), (long long)(k - 900));
}

/* Batches that reach the monitor together are handled together (rl_bus_server_route_gather): those
 * of one tenant and sender share one append; each sender still gets exactly its own acks. Five
 * senders send at once, rounds after rounds: four with the key "siem" (the fourth's last event is a
 * copy of one of the first's) and one with "scanner"; every event is stored once, the copy acked a
 * duplicate once, and no entry mixes the two senders. A sixth, with "siem", sends what the checks
 * refuse, in the same rounds: an empty batch (an error reply) or three malformed events (rejected
 * acks); the others' batches are not touched by it. */
static void test_gathered_batches(void **state)
{
    harness_t *h = *state;
    harness_issue_key(h, "scanner", "integrator", "default");
    enum { SENDERS = 5, PER = 40, ROUNDS = 10 };
    void *s[SENDERS];
    for (int k = 0; k < SENDERS; k++)
        s[k] = harness_monitor_dealer(h, k < 4 ? "siem" : "scanner");
    void *hostile = harness_monitor_dealer(h, "siem");
    static gen_t g[SENDERS][PER + 1], bad[3];
    int accepted = 0, duplicate = 0;
    for (int round = 0; round < ROUNDS; round++) {
        Riskline__V1__RiskEvent *bad_evs[3];
        for (int i = 0; i < 3; i++) {
            gen(&bad[i], (unsigned)(round * 1000 + 900 + i), 1);  /* no summary */
            bad_evs[i] = &bad[i].ev;
        }
        assert_null(harness_send_events(h, hostile, bad_evs, round % 2 ? 3 : 0, 0));
        for (int k = 0; k < SENDERS; k++) {
            for (int i = 0; i < PER; i++)
                gen(&g[k][i], (unsigned)(round * 1000 + k * 100 + i), 0);
            size_t n = PER;
            if (k == 3)  /* the first sender's event 5 again */
                gen(&g[k][n++], (unsigned)(round * 1000 + 5), 0);
            Riskline__V1__RiskEvent *evs[PER + 1];
            for (size_t i = 0; i < n; i++)
                evs[i] = &g[k][i].ev;
            assert_null(harness_send_events(h, s[k], evs, n, 0));  /* sent, not waited for */
        }
        for (int k = 0; k < SENDERS; k++) {
            harness_env_t *r = harness_recv_env(s[k], 5000);
            assert_non_null(r);
            if (!r->event_acks)
                fail_msg("no acks: %s", r->status ? r->status->message : "?");
            size_t n = k == 3 ? PER + 1 : PER;
            assert_int_equal(r->event_acks->n_acks, n);
            for (size_t i = 0; i < n; i++) {
                const Riskline__V1__EventAck *a = r->event_acks->acks[i];
                assert_int_equal(a->index, i);
                assert_string_equal(a->event_id, g[k][i].id);  /* its own events, in its order */
                accepted += a->status == RISKLINE__V1__ACK_STATUS__ACK_STATUS_ACCEPTED;
                duplicate += a->status == RISKLINE__V1__ACK_STATUS__ACK_STATUS_DUPLICATE;
            }
            riskline__v1__envelope__free_unpacked(r, NULL);
        }
        harness_env_t *r = harness_recv_env(hostile, 5000);
        assert_non_null(r);
        if (round % 2) {
            expect_acks(r, "RRR");
        } else {
            assert_null(r->event_acks);
            assert_int_equal(r->status->code, RISKLINE__V1__CODE__CODE_INVALID_ARGUMENT);
            assert_string_equal(r->status->field, "events");
            riskline__v1__envelope__free_unpacked(r, NULL);
        }
    }
    zmq_close(hostile);
    for (int k = 0; k < SENDERS; k++)
        zmq_close(s[k]);
    assert_int_equal(accepted, ROUNDS * SENDERS * PER);
    assert_int_equal(duplicate, ROUNDS);
    long long total, distinct;
    assert_int_equal(harness_riskevents(h, "default", &total, &distinct), 0);
    assert_int_equal(total, ROUNDS * SENDERS * PER);
    assert_int_equal(distinct, total);
    /* every entry is one sender's: "by" names it, and its events are that sender's */
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    redisReply *x = redisCommand(c, "XRANGE rl:{default}:riskevent:log - +");
    assert_non_null(x);
    size_t scanner_events = 0;
    for (size_t e = 0; e < x->elements; e++) {
        redisReply *fv = x->element[e]->element[1];
        assert_int_equal(fv->elements, 6);
        Riskline__V1__EventBatch *b =
            riskline__v1__event_batch__unpack(NULL, fv->element[1]->len, (const uint8_t *)fv->element[1]->str);
        assert_non_null(b);
        int scanner = !strcmp(fv->element[5]->str, "scanner");
        for (size_t i = 0; i < b->n_events; i++) {
            unsigned id = (unsigned)atoi(b->events[i]->event_id + 4) % 1000;  /* evt-RKNN: k = id / 100 */
            assert_int_equal(id / 100 == 4, scanner);
        }
        scanner_events += scanner ? b->n_events : 0;
        riskline__v1__event_batch__free_unpacked(b, NULL);
    }
    print_message("gathered: %d batches stored in %zu entries\n", ROUNDS * SENDERS, x->elements);
    assert_true(x->elements <= ROUNDS * SENDERS);
    assert_int_equal(scanner_events, ROUNDS * PER);
    freeReplyObject(x);
    redisFree(c);
    assert_int_equal(redis_int(h, "HGET rl:{default}:riskevent:count siem-prod.duplicate"), ROUNDS);
    assert_int_equal(redis_int(h, "HGET rl:{default}:riskevent:count siem-prod.rejected"), 3 * (ROUNDS / 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exact_acks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stored_as_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gathered_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop_serves_while_appends_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_answers_appends_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_and_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_milestone_overdue_alert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_review_and_expired_acceptance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_correlation_reassessment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_correlation_count_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_and_effectiveness, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schedule_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_stream_lag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_work_thread_yields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_correlation_when_work_starved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_test_results, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_stalled, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
