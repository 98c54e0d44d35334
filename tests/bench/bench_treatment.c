/* bench_treatment.c: `make bench`, second part: riskline-treatment's plan creation, workflow
 * transitions and SoA derivation against the same bare ZeroMQ+Redis baseline as bench.c.
 *
 * Starts its own redis-server (temp dir, appendonly yes, appendfsync everysec, requirepass),
 * $RISKLINE_BUILD/bin/riskline-register and riskline-treatment with CURVE (keys made like
 * `riskline keys init`: register and treatment with signing pairs, cli as the seeded admin) and
 * $RISKLINE_BUILD/bench/baseline, on free loopback ports. The admin issues two keys through the
 * register (KeyIssue): "tom" (treatment_owner) owns every plan, "ann" (approver) approves and
 * verifies them (segregation of duties as deployed).
 *
 * Setup (not measured, rates printed): tenant "soa" gets 10,000 risks and 5,000 plans of 2..5
 * Annex A controls each (mixed implementation status); tenant "bench" gets 1,000 risks. All of it
 * spread over 8 concurrent DEALERs.
 * Measured, with 1 and 8 client threads (one DEALER per principal each, synchronous), every
 * scenario RUNS times interleaved, median run by req/s shown:
 *   baseline     one request to the baseline (ROUTER + one Redis GET of a recorded plan reply)
 *   plan_create  1,000 plans, each plan_create + 10 milestone_add (11 requests a plan)
 *   transition   the plans of that create run: submit, approve, start, implement, verify, close
 *                (6 transitions a plan, by tom and ann; close waives the 10 milestones)
 *   soa_get      the whole SoA of tenant "soa", derived live from its 5,000 plans
 * Then the peak memory (VmHWM) of riskline-treatment. Every reply is decoded and its status,
 * request id and body checked; any error makes the benchmark invalid and is reported.
 *
 * Environment (all optional):
 *   RISKLINE_BUILD           build dir holding bin/ and bench/                     (default "build")
 *   RISKLINE_BENCH_SCALE     multiplies every count above (e.g. 0.1 for a quick run)  (default 1)
 *   RISKLINE_BENCH_RUNS      runs per scenario, median reported                    (default 3)
 *   RISKLINE_BENCH_SOA_GETS  soa_get requests per run, split over the clients      (default 16)
 *   RISKLINE_BENCH_REQUESTS  baseline requests per run                             (default 5000)
 *   RISKLINE_REDIS_SERVER    redis-server binary                                   (default: from PATH)
 *
 * Exit 0 when the benchmark ran (the table says whether it is valid), 1 when the setup failed,
 * 2 when interrupted. Children are stopped and the temp dir is removed on every path. */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "bench_util.h"
#include "riskline/v1/auth.pb-c.h"
#include "riskline/v1/envelope.pb-c.h"
#include "riskline/v1/risk.pb-c.h"
#include "riskline/v1/status.pb-c.h"
#include "riskline/v1/treatment.pb-c.h"
#include "rl_clock.h"
#include "rl_ids.h"
#include "rl_keyfile.h"

#define BASELINE_KEY "rl:{bench}:baseline"
#define REPLY_TIMEOUT_MS 30000
#define MAX_CLIENTS 8
#define MAX_RUNS 9
#define MILESTONES 10
#define WHY_BUF 240
#define REQ_BUF 4096

typedef Riskline__V1__Envelope env_t;

typedef enum { P_ADMIN_REG = 0, P_ADMIN_TR, P_TOM, P_ANN, P_BASE, P_COUNT } peer_t;

typedef enum { SC_BASELINE = 0, SC_CREATE, SC_TRANSITION, SC_SOA, SC_COUNT, SC_RISK, SC_FILL } scenario_t;
static const char *const SC_NAME[] = {"baseline", "plan_create", "transition", "soa_get", "", "risk_create",
                                      "soa_plan_create"};
static const char SC_SHORT[] = "bcts-rf";

typedef struct {
    char id[24];
    uint64_t version;
} plan_ref_t;

typedef struct {
    void *zctx;
    char ep[P_COUNT][64];
    bench_keys_t keys[P_COUNT]; /* per peer: server key and the principal's pair (none: baseline) */
    char tag[24];
    size_t bench_risks, soa_risks, soa_plans, plans_per_run, soa_gets, base_requests;
    plan_ref_t *plans;          /* plans_per_run per (clients, run) slot */
} cfg_t;

/* One client thread of one scenario run. */
typedef struct {
    const cfg_t *cfg;
    scenario_t sc;
    int run, clients, thread_no, slot;
    size_t nitems;
    void *sock[P_COUNT];
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    int *ready, *go;
    uint64_t *lat;
    size_t n, cap, seq;
    size_t items;          /* items completed */
    uint64_t errors;
    int broken;            /* a transport failure: stop */
    char first_error[WHY_BUF];
    int64_t start_ns, end_ns;
} client_t;

static void client_error(client_t *c, const char *f, const char *a, const char *b)
{
    if (c->errors++ == 0)
        bench_fmt(c->first_error, sizeof c->first_error, f, a, b);
}

static const char *code_name(int code)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&riskline__v1__code__descriptor, code);
    return v ? v->name : "?";
}

/* One request to peer p: fills request id and tenant, times the round trip, checks the reply
 * (status OK, echoed id, body case `want`; the baseline: a stored reply with that body). Returns
 * the decoded reply (free with riskline__v1__envelope__free_unpacked) or NULL (error counted). */
static env_t *call(client_t *c, peer_t p, env_t *env, const char *tenant, int want)
{
    char rid[64], why[WHY_BUF];
    uint8_t stack[REQ_BUF];
    if (c->broken || bench_stop)
        return NULL;
    bench_fmt(rid, sizeof rid, "%s.%c%d.%d.%d.%zu", c->cfg->tag, SC_SHORT[c->sc], c->clients, c->run, c->thread_no,
              c->seq++);
    env->schema_version = 1;
    env->request_id = rid;
    env->tenant = (char *)tenant;
    size_t len = riskline__v1__envelope__get_packed_size(env);
    uint8_t *buf = len <= sizeof stack ? stack : malloc(len);
    if (!buf) {
        client_error(c, "%s%s: out of memory", SC_NAME[c->sc], "");
        return NULL;
    }
    riskline__v1__envelope__pack(env, buf);
    zmq_msg_t reply;
    int64_t t0 = rl_mono_ns();
    int rc = bench_roundtrip(c->sock[p], buf, len, &reply, REPLY_TIMEOUT_MS, why, sizeof why);
    int64_t t1 = rl_mono_ns();
    if (buf != stack)
        free(buf);
    if (rc != 0) {
        zmq_msg_close(&reply);
        c->broken = 1;
        if (!bench_stop)
            client_error(c, "%s: %s", SC_NAME[c->sc], why);
        return NULL;
    }
    if (c->n < c->cap)
        c->lat[c->n++] = (uint64_t)(t1 - t0);
    env_t *r = riskline__v1__envelope__unpack(NULL, zmq_msg_size(&reply), zmq_msg_data(&reply));
    zmq_msg_close(&reply);
    if (!r) {
        client_error(c, "%s: undecodable reply%s", SC_NAME[c->sc], "");
    } else if (r->status && r->status->code != RISKLINE__V1__CODE__CODE_OK) {
        char msg[WHY_BUF];
        bench_fmt(msg, sizeof msg, "%s field '%s': %s", code_name(r->status->code), r->status->field,
                  r->status->message);
        client_error(c, "%s: %s", SC_NAME[c->sc], msg);
    } else if (p != P_BASE && strcmp(r->request_id, rid) != 0) {
        client_error(c, "reply for request id '%s', expected '%s'", r->request_id, rid);
    } else if ((int)r->body_case != want) {
        client_error(c, "%s: unexpected reply body%s", SC_NAME[c->sc], "");
    } else {
        return r;
    }
    if (r)
        riskline__v1__envelope__free_unpacked(r, NULL);
    return NULL;
}

/* A ping (the baseline: a request); measured or a warm-up that leaves no latency behind. */
static int ping(client_t *c, peer_t p, int measured)
{
    env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__Ping pg = RISKLINE__V1__PING__INIT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PING;
    env.ping = &pg;
    size_t keep = c->n;
    env_t *r = call(c, p, &env, "bench",
                    p == P_BASE ? RISKLINE__V1__ENVELOPE__BODY_PLAN_RESULT : RISKLINE__V1__ENVELOPE__BODY_PONG);
    if (!measured)
        c->n = keep;
    if (r)
        riskline__v1__envelope__free_unpacked(r, NULL);
    return r ? 0 : -1;
}

/* The plan result's id and version into ref; frees r. 0 ok. */
static int take_plan(client_t *c, env_t *r, plan_ref_t *ref)
{
    int ok = r && r->plan_result && r->plan_result->plan;
    if (ok) {
        bench_fmt(ref->id, sizeof ref->id, "%s", r->plan_result->plan->id);
        ref->version = r->plan_result->plan->version;
    } else if (r) {
        client_error(c, "%s: plan result without a plan%s", SC_NAME[c->sc], "");
    }
    if (r)
        riskline__v1__envelope__free_unpacked(r, NULL);
    return ok ? 0 : -1;
}

/* ------------------------------------------------------------------ the requests */

static int job_risk(client_t *c, size_t i, const char *tenant)
{
    static const char *const titles[] = {"Phishing of staff", "Ransomware on file servers", "Supplier data leak",
                                         "Lost laptop", "Cloud misconfiguration"};
    env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__RiskCreate rc = RISKLINE__V1__RISK_CREATE__INIT;
    Riskline__V1__Risk risk = RISKLINE__V1__RISK__INIT;
    Riskline__V1__Rating inh = RISKLINE__V1__RATING__INIT;
    risk.title = (char *)titles[i % 5];
    risk.owner = "rob";
    inh.likelihood = (uint32_t)(1 + i % 5);
    inh.impact = (uint32_t)(1 + (i / 5) % 5);
    risk.inherent = &inh;
    rc.risk = &risk;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_CREATE;
    env.risk_create = &rc;
    env_t *r = call(c, P_ADMIN_REG, &env, tenant, RISKLINE__V1__ENVELOPE__BODY_RISK_RESULT);
    if (r)
        riskline__v1__envelope__free_unpacked(r, NULL);
    return r ? 0 : -1;
}

/* The n-th Annex A control id ("A.5.1" .. "A.8.34"), n taken modulo 93. */
static void annex_id(size_t n, char *buf, size_t size)
{
    static const int per_theme[4] = {37, 8, 14, 34};
    n %= 93;
    int theme = 0;
    while (n >= (size_t)per_theme[theme])
        n -= (size_t)per_theme[theme++];
    bench_fmt(buf, size, "A.%d.%zu", 5 + theme, n + 1);
}

/* tom creates a plan for risk R-<risk> of tenant with ncontrols Annex A controls. */
static env_t *plan_create(client_t *c, const char *tenant, size_t risk, size_t item, size_t ncontrols)
{
    env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__PlanCreate pc = RISKLINE__V1__PLAN_CREATE__INIT;
    Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
    Riskline__V1__PlanControl ctl[5], *cs[5];
    Riskline__V1__Resources res = RISKLINE__V1__RESOURCES__INIT;
    Riskline__V1__Money budget = RISKLINE__V1__MONEY__INIT;
    Riskline__V1__Rating resid = RISKLINE__V1__RATING__INIT;
    char ids[5][16], risk_id[24];
    for (size_t k = 0; k < ncontrols && k < 5; k++) {
        riskline__v1__plan_control__init(&ctl[k]);
        annex_id(item * 7 + k * 19, ids[k], sizeof ids[k]);
        ctl[k].control_id = ids[k];
        ctl[k].status = (Riskline__V1__ImplementationStatus)(1 + (item + k) % 3);
        cs[k] = &ctl[k];
    }
    bench_fmt(risk_id, sizeof risk_id, "R-%zu", risk);
    budget.amount_minor = 1000000 + (int64_t)(item % 100) * 1000;
    budget.currency = "EUR";
    res.budget = &budget;
    resid.likelihood = 1;
    resid.impact = 2;
    p.risk_id = risk_id;
    p.title = "Offline backups and EDR";
    p.option = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
    p.treatment_owner = "tom";
    p.approver = "ann";
    p.rationale = "restore within a day";
    p.controls = cs;
    p.n_controls = ncontrols < 5 ? ncontrols : 5;
    p.resources = &res;
    p.start_date = "2026-12-01";
    p.target_date = "2027-06-30";
    p.expected_residual = &resid;
    pc.plan = &p;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE;
    env.plan_create = &pc;
    return call(c, P_TOM, &env, tenant, RISKLINE__V1__ENVELOPE__BODY_PLAN_RESULT);
}

/* plan_create scenario: one plan with 10 milestones (each after the one before). */
static int job_create(client_t *c, size_t i)
{
    plan_ref_t *ref = &c->cfg->plans[(size_t)c->slot * c->cfg->plans_per_run + i];
    if (take_plan(c, plan_create(c, "bench", 1 + i % c->cfg->bench_risks, i, 2), ref) != 0)
        return -1;
    for (int m = 0; m < MILESTONES; m++) {
        env_t env = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__MilestoneAdd a = RISKLINE__V1__MILESTONE_ADD__INIT;
        Riskline__V1__Milestone ms = RISKLINE__V1__MILESTONE__INIT;
        char due[16], dep[16], *deps[1] = {dep};
        bench_fmt(due, sizeof due, "2027-%02d-15", 1 + m % 6);
        bench_fmt(dep, sizeof dep, "M-%d", m);
        ms.title = "Roll out and evidence";
        ms.owner = "tom";
        ms.due_date = due;
        if (m > 0) {
            ms.depends_on = deps;
            ms.n_depends_on = 1;
        }
        a.plan_id = ref->id;
        a.expected_version = ref->version;
        a.milestone = &ms;
        env.body_case = RISKLINE__V1__ENVELOPE__BODY_MILESTONE_ADD;
        env.milestone_add = &a;
        if (take_plan(c, call(c, P_TOM, &env, "bench", RISKLINE__V1__ENVELOPE__BODY_PLAN_RESULT), ref) != 0)
            return -1;
    }
    return 0;
}

/* transition scenario: the plan the same create run made goes from draft to closed. */
static int job_transition(client_t *c, size_t i)
{
    static const struct {
        Riskline__V1__PlanAction action;
        peer_t who;
    } steps[] = {
        {RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_SUBMIT, P_TOM},    {RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_APPROVE, P_ANN},
        {RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_START, P_TOM},     {RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_IMPLEMENT, P_TOM},
        {RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_VERIFY, P_ANN},    {RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_CLOSE, P_TOM},
    };
    plan_ref_t *ref = &c->cfg->plans[(size_t)c->slot * c->cfg->plans_per_run + i];
    if (!ref->id[0])
        return -1; /* its create failed (counted there) */
    char ms[MILESTONES][8], *waive[MILESTONES];
    for (int m = 0; m < MILESTONES; m++) {
        bench_fmt(ms[m], sizeof ms[m], "M-%d", m + 1);
        waive[m] = ms[m];
    }
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        env_t env = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__PlanTransition t = RISKLINE__V1__PLAN_TRANSITION__INIT;
        t.id = ref->id;
        t.expected_version = ref->version;
        t.action = steps[s].action;
        t.comment = "benchmark";
        if (t.action == RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_VERIFY) {
            t.comment = "phishing click rate below 2% for a quarter";
            t.effective = 1;
        } else if (t.action == RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_CLOSE) {
            t.waive = waive;
            t.n_waive = MILESTONES;
            t.waive_reason = "covered by the control's own evidence";
        }
        env.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_TRANSITION;
        env.plan_transition = &t;
        if (take_plan(c, call(c, steps[s].who, &env, "bench", RISKLINE__V1__ENVELOPE__BODY_PLAN_RESULT), ref) != 0)
            return -1;
    }
    return 0;
}

static int job_soa(client_t *c)
{
    env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__SoaGet q = RISKLINE__V1__SOA_GET__INIT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_SOA_GET;
    env.soa_get = &q;
    env_t *r = call(c, P_ADMIN_TR, &env, "soa", RISKLINE__V1__ENVELOPE__BODY_SOA_RESULT);
    int ok = r && r->soa_result && r->soa_result->n_entries >= 93;
    if (r && !ok)
        client_error(c, "soa_get: %s%s", "fewer than 93 entries", "");
    if (r)
        riskline__v1__envelope__free_unpacked(r, NULL);
    return ok ? 0 : -1;
}

static int job(client_t *c, size_t i)
{
    switch (c->sc) {
    case SC_BASELINE:
        return ping(c, P_BASE, 1);
    case SC_CREATE:
        return job_create(c, i);
    case SC_TRANSITION:
        return job_transition(c, i);
    case SC_SOA:
        return job_soa(c);
    case SC_RISK:
        return job_risk(c, i, i < c->cfg->soa_risks ? "soa" : "bench");
    case SC_FILL:
        return take_plan(c, plan_create(c, "soa", 1 + (i * 2) % c->cfg->soa_risks, i, 2 + i % 4),
                         &(plan_ref_t){"", 0});
    default:
        return -1;
    }
}

/* ------------------------------------------------------------------ runs */

static void *client_main(void *arg)
{
    client_t *c = arg;
    int ok = 1;
    for (int p = 0; p < P_COUNT && ok; p++) {
        int need = c->sc == SC_BASELINE ? p == P_BASE : c->sc == SC_RISK ? p == P_ADMIN_REG : p != P_BASE && p != P_ADMIN_REG;
        if (!need)
            continue;
        c->sock[p] = bench_dealer_new(c->cfg->zctx, c->cfg->ep[p], p == P_BASE ? NULL : &c->cfg->keys[p]);
        if (!c->sock[p]) {
            client_error(c, "%s: cannot connect a DEALER%s", SC_NAME[c->sc], "");
            ok = 0;
        } else if (ping(c, (peer_t)p, 0) != 0) { /* connect and authenticate outside the measurement */
            ok = 0;
        }
    }
    pthread_mutex_lock(c->mu);
    (*c->ready)++;
    pthread_cond_broadcast(c->cv);
    while (!*c->go)
        pthread_cond_wait(c->cv, c->mu);
    pthread_mutex_unlock(c->mu);
    c->start_ns = rl_mono_ns();
    for (size_t i = (size_t)c->thread_no; ok && i < c->nitems && !c->broken && !bench_stop; i += (size_t)c->clients)
        if (job(c, i) == 0)
            c->items++;
    c->end_ns = rl_mono_ns();
    for (int p = 0; p < P_COUNT; p++)
        if (c->sock[p])
            zmq_close(c->sock[p]);
    return NULL;
}

typedef struct {
    double rps, items_ps, p50_us, p99_us, elapsed_s;
    size_t requests, items;
    uint64_t errors;
    char first_error[WHY_BUF];
} result_t;

/* One run of scenario sc over nitems items with `clients` threads. 0 ok (errors in res), -1 setup. */
static int run_scenario(const cfg_t *cfg, scenario_t sc, int clients, int run, int slot, size_t nitems,
                        size_t req_per_item, result_t *res)
{
    client_t cl[MAX_CLIENTS];
    pthread_t th[MAX_CLIENTS];
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    int ready = 0, go = 0, started = 0;
    size_t per = (nitems + (size_t)clients - 1) / (size_t)clients * req_per_item;
    memset(res, 0, sizeof *res);
    memset(cl, 0, sizeof cl);
    uint64_t *all = calloc(per * (size_t)clients + 1, sizeof *all);
    if (!all)
        return -1;
    for (int i = 0; i < clients; i++) {
        cl[i] = (client_t){.cfg = cfg, .sc = sc, .run = run, .clients = clients, .thread_no = i, .slot = slot,
                           .nitems = nitems, .mu = &mu, .cv = &cv, .ready = &ready, .go = &go,
                           .lat = all + per * (size_t)i, .cap = per};
        if (pthread_create(&th[i], NULL, client_main, &cl[i]) != 0)
            break;
        started++;
    }
    pthread_mutex_lock(&mu);
    while (ready < started)
        pthread_cond_wait(&cv, &mu);
    go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (started < clients) {
        fprintf(stderr, "bench_treatment: cannot start %d client threads\n", clients);
        free(all);
        return -1;
    }
    int64_t start = INT64_MAX, end = 0;
    size_t n = 0;
    for (int i = 0; i < clients; i++) {
        start = cl[i].start_ns < start ? cl[i].start_ns : start;
        end = cl[i].end_ns > end ? cl[i].end_ns : end;
        memmove(all + n, cl[i].lat, cl[i].n * sizeof *all);
        n += cl[i].n;
        res->items += cl[i].items;
        if (cl[i].errors && !res->errors)
            bench_fmt(res->first_error, sizeof res->first_error, "%s", cl[i].first_error);
        res->errors += cl[i].errors;
    }
    qsort(all, n, sizeof *all, bench_cmp_u64);
    res->requests = n;
    res->elapsed_s = end > start ? (double)(end - start) / 1e9 : 0.0;
    res->rps = res->elapsed_s > 0 ? (double)n / res->elapsed_s : 0.0;
    res->items_ps = res->elapsed_s > 0 ? (double)res->items / res->elapsed_s : 0.0;
    res->p50_us = bench_pct_us(all, n, 50.0);
    res->p99_us = bench_pct_us(all, n, 99.0);
    free(all);
    return 0;
}

/* ------------------------------------------------------------------ setup */

typedef struct {
    char dir[BENCH_PATH_BUF];
    char password[RL_REQUEST_ID_LEN];
    int port[4]; /* redis, register, treatment, baseline */
    bench_child_t redis, reg, treat, base;
    char redis_version[32];
} procs_t;

/* Waits until peer p answers a ping (the baseline: any reply) while child c runs. 0 ok. */
static int wait_ping(bench_child_t *c, const cfg_t *cfg, peer_t p)
{
    return bench_wait_ping(c, cfg->zctx, cfg->ep[p], p == P_BASE ? NULL : &cfg->keys[p], p != P_BASE);
}

/* Starts a child and waits until peer p answers a ping. */
static int start_and_wait(bench_child_t *c, char *const argv[], char *const extra[], const cfg_t *cfg, peer_t p)
{
    return bench_start_and_wait(c, argv, extra, cfg->zctx, cfg->ep[p], p != P_BASE,
                                p == P_BASE ? NULL : &cfg->keys[p]);
}

/* The admin issues a key for name with one role, reaching tenants bench and soa; n makes the
 * request id unique (a repeated id is a retry: the register would answer the first issue). */
static int issue_key(const cfg_t *cfg, int n, const char *name, const char *role, const char *pub)
{
    client_t c = {.cfg = cfg, .sc = SC_RISK, .clients = 1, .run = 90 + n};
    c.sock[P_ADMIN_REG] = bench_dealer_new(cfg->zctx, cfg->ep[P_ADMIN_REG], &cfg->keys[P_ADMIN_REG]);
    if (!c.sock[P_ADMIN_REG])
        return -1;
    env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__KeyIssue ki = RISKLINE__V1__KEY_ISSUE__INIT;
    char *roles[1] = {(char *)role}, *tenants[2] = {"bench", "soa"};
    ki.public_key = (char *)pub;
    ki.name = (char *)name;
    ki.roles = roles;
    ki.n_roles = 1;
    ki.tenants = tenants;
    ki.n_tenants = 2;
    ki.comment = "bench_treatment";
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_KEY_ISSUE;
    env.key_issue = &ki;
    env_t *r = call(&c, P_ADMIN_REG, &env, "bench", RISKLINE__V1__ENVELOPE__BODY_KEY_RESULT);
    zmq_close(c.sock[P_ADMIN_REG]);
    if (!r)
        fprintf(stderr, "bench_treatment: key issue %s: %s\n", name, c.first_error);
    else
        riskline__v1__envelope__free_unpacked(r, NULL);
    return r ? 0 : -1;
}

/* Keys: register, treatment (with signing pairs) and cli in <dir>/keys, like `riskline keys
 * init`; tom and ann get fresh pairs the admin registers. */
static int make_keys(const procs_t *pr, cfg_t *cfg, rl_keyfile_t *tom, rl_keyfile_t *ann)
{
    rl_keyfile_t reg, tr, cli;
    rl_error_t kerr;
    char kdir[BENCH_PATH_BUF + 8];
    bench_fmt(kdir, sizeof kdir, "%s/keys", pr->dir);
    if (rl_keyfile_generate(&reg, 1, &kerr) || rl_keyfile_save(&reg, kdir, "register", &kerr) ||
        rl_keyfile_generate(&tr, 1, &kerr) || rl_keyfile_save(&tr, kdir, "treatment", &kerr) ||
        rl_keyfile_generate(&cli, 0, &kerr) || rl_keyfile_save(&cli, kdir, "cli", &kerr) ||
        rl_keyfile_generate(tom, 0, &kerr) || rl_keyfile_generate(ann, 0, &kerr)) {
        fprintf(stderr, "bench_treatment: keys: %s\n", kerr.message);
        return -1;
    }
    const rl_keyfile_t *owner[P_COUNT] = {&cli, &cli, tom, ann, NULL};
    for (int p = 0; p < P_BASE; p++) {
        memcpy(cfg->keys[p].server, p == P_ADMIN_REG ? reg.curve_public : tr.curve_public, 41);
        memcpy(cfg->keys[p].pub, owner[p]->curve_public, 41);
        memcpy(cfg->keys[p].sec, owner[p]->curve_secret, 41);
    }
    return 0;
}

static int start_all(procs_t *pr, cfg_t *cfg, const char *build)
{
    char exe_reg[BENCH_PATH_BUF], exe_tr[BENCH_PATH_BUF], exe_base[BENCH_PATH_BUF], port_s[16];
    char port_env[48], pass_env[64], reg_ep_env[96], tr_ep_env[96], var_env[BENCH_PATH_BUF + 32];
    if (bench_fmt(exe_reg, sizeof exe_reg, "%s/bin/riskline-register", build) ||
        bench_fmt(exe_tr, sizeof exe_tr, "%s/bin/riskline-treatment", build) ||
        bench_fmt(exe_base, sizeof exe_base, "%s/bench/baseline", build) ||
        bench_fmt(var_env, sizeof var_env, "RISKLINE_VAR_DIR=%s", pr->dir))
        return -1;
    if (bench_free_ports(pr->port, 4) != 0 || rl_request_id_new(pr->password) != 0) {
        fprintf(stderr, "bench_treatment: no free ports or no randomness\n");
        return -1;
    }
    if (bench_redis_start(&pr->redis, pr->dir, pr->port[0], pr->password, pr->redis_version,
                          sizeof pr->redis_version) != 0)
        return -1;
    for (int p = 0; p < P_COUNT; p++)
        bench_fmt(cfg->ep[p], sizeof cfg->ep[p], "tcp://127.0.0.1:%d",
                  pr->port[p == P_ADMIN_REG ? 1 : p == P_BASE ? 3 : 2]);
    bench_fmt(port_s, sizeof port_s, "%d", pr->port[0]);
    bench_fmt(port_env, sizeof port_env, "RISKLINE_REDIS_PORT=%d", pr->port[0]);
    bench_fmt(pass_env, sizeof pass_env, "RISKLINE_REDIS_PASSWORD=%s", pr->password);
    bench_fmt(reg_ep_env, sizeof reg_ep_env, "RISKLINE_REGISTER_ENDPOINT=%s", cfg->ep[P_ADMIN_REG]);
    bench_fmt(tr_ep_env, sizeof tr_ep_env, "RISKLINE_TREATMENT_ENDPOINT=%s", cfg->ep[P_ADMIN_TR]);

    pr->reg.name = "riskline-register";
    pr->treat.name = "riskline-treatment";
    pr->base.name = "baseline";
    bench_fmt(pr->reg.log, sizeof pr->reg.log, "%s/register.log", pr->dir);
    bench_fmt(pr->treat.log, sizeof pr->treat.log, "%s/treatment.log", pr->dir);
    bench_fmt(pr->base.log, sizeof pr->base.log, "%s/baseline.log", pr->dir);
    char *reg_argv[] = {exe_reg, NULL}, *tr_argv[] = {exe_tr, NULL};
    char *base_argv[] = {exe_base, cfg->ep[P_BASE], port_s, (char *)BASELINE_KEY, NULL};
    char *svc_env[] = {"RISKLINE_REDIS_HOST=127.0.0.1", port_env, pass_env, reg_ep_env, tr_ep_env, var_env,
                       "RISKLINE_LOG_LEVEL=warn", NULL};
    char *base_env[] = {pass_env, NULL};
    if (start_and_wait(&pr->reg, reg_argv, svc_env, cfg, P_ADMIN_REG) != 0 ||
        start_and_wait(&pr->treat, tr_argv, svc_env, cfg, P_ADMIN_TR) != 0 ||
        start_and_wait(&pr->base, base_argv, base_env, cfg, P_BASE) != 0)
        return -1;
    return 0;
}

/* Records tom's reply to a plan_get of TP-1 (tenant bench) as the baseline's reply. */
static int record_baseline(const procs_t *pr, const cfg_t *cfg)
{
    client_t c = {.cfg = cfg, .sc = SC_CREATE, .clients = 1, .run = 99};
    env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__PlanGet g = RISKLINE__V1__PLAN_GET__INIT;
    plan_ref_t ref = {"", 0};
    c.sock[P_TOM] = bench_dealer_new(cfg->zctx, cfg->ep[P_TOM], &cfg->keys[P_TOM]);
    if (!c.sock[P_TOM])
        return -1;
    env_t *r = plan_create(&c, "bench", 1, 0, 2);
    if (r && take_plan(&c, r, &ref) == 0) {
        g.id = ref.id;
        env.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_GET;
        env.plan_get = &g;
        r = call(&c, P_TOM, &env, "bench", RISKLINE__V1__ENVELOPE__BODY_PLAN_RESULT);
    } else {
        r = NULL;
    }
    zmq_close(c.sock[P_TOM]);
    uint8_t raw[REQ_BUF];
    size_t len = r ? riskline__v1__envelope__get_packed_size(r) : 0;
    int ok = r && len <= sizeof raw;
    if (ok)
        riskline__v1__envelope__pack(r, raw);
    if (r)
        riskline__v1__envelope__free_unpacked(r, NULL);
    redisContext *rc = ok ? bench_redis_connect(pr->port[0], pr->password) : NULL;
    redisReply *rr = rc ? redisCommand(rc, "SET %s %b", BASELINE_KEY, raw, len) : NULL;
    ok = rr && rr->type == REDIS_REPLY_STATUS;
    freeReplyObject(rr);
    redisFree(rc);
    if (!ok)
        fprintf(stderr, "bench_treatment: cannot record the baseline reply: %s\n", c.first_error);
    return ok ? 0 : -1;
}

/* A setup step over 8 clients; prints its rate. 0 ok. */
static int fill(const cfg_t *cfg, scenario_t sc, size_t n, const char *what)
{
    result_t r;
    if (run_scenario(cfg, sc, MAX_CLIENTS, 0, 0, n, 1, &r) != 0)
        return -1;
    printf("setup: %zu %s in %.1f s (%.0f/s, 8 clients)\n", r.items, what, r.elapsed_s, r.items_ps);
    if (r.errors || r.items != n) {
        fprintf(stderr, "bench_treatment: setup %s: %llu errors (first: %s)\n", what, (unsigned long long)r.errors,
                r.first_error);
        return -1;
    }
    return 0;
}

/* VmHWM and VmRSS of pid in kB (0 when unknown). */
static void peak_memory(pid_t pid, long *hwm_kb, long *rss_kb)
{
    char path[64], line[256];
    *hwm_kb = *rss_kb = 0;
    bench_fmt(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *fp = fopen(path, "r");
    while (fp && fgets(line, sizeof line, fp)) {
        if (!strncmp(line, "VmHWM:", 6))
            *hwm_kb = strtol(line + 6, NULL, 10);
        else if (!strncmp(line, "VmRSS:", 6))
            *rss_kb = strtol(line + 6, NULL, 10);
    }
    if (fp)
        fclose(fp);
}

/* ------------------------------------------------------------------ main */

static int by_rps(const void *a, const void *b)
{
    double x = ((const result_t *)a)->rps, y = ((const result_t *)b)->rps;
    return (x > y) - (x < y);
}

static void print_row(scenario_t sc, int clients, const result_t *r, const result_t *base)
{
    char ratio[16] = "", items[24] = "";
    if (base->rps > 0)
        bench_fmt(ratio, sizeof ratio, "%.3f", r->rps / base->rps);
    if (sc == SC_CREATE || sc == SC_TRANSITION)
        bench_fmt(items, sizeof items, "%.0f %s", sc == SC_CREATE ? r->items_ps : r->rps,
                  sc == SC_CREATE ? "plans/s" : "trans/s");
    else if (sc == SC_SOA)
        bench_fmt(items, sizeof items, "%.1f ms/SoA", r->p50_us / 1000.0);
    printf("%-12s %7d %9.0f %-15s %10.1f %10.1f %11s %8zu %6llu\n", SC_NAME[sc], clients, r->rps, items, r->p50_us,
           r->p99_us, ratio, r->requests, (unsigned long long)r->errors);
}

static int bench_main(procs_t *pr, cfg_t *cfg, int runs, double scale, const char *build)
{
    rl_keyfile_t tom, ann;
    if (make_keys(pr, cfg, &tom, &ann) != 0 || !(cfg->zctx = zmq_ctx_new()) || start_all(pr, cfg, build) != 0)
        return -1;
    if (issue_key(cfg, 0, "tom", "treatment_owner", tom.curve_public) != 0 ||
        issue_key(cfg, 1, "ann", "approver", ann.curve_public) != 0 || wait_ping(&pr->treat, cfg, P_TOM) != 0 ||
        wait_ping(&pr->treat, cfg, P_ANN) != 0)
        return -1;
    printf("Riskline bench: riskline-treatment vs baseline (ZeroMQ ROUTER + one Redis GET per request)\n");
    printf("redis %s on 127.0.0.1:%d (appendonly yes, appendfsync everysec, requirepass); CURVE on both services; "
           "scale %.2f\n",
           pr->redis_version[0] ? pr->redis_version : "?", pr->port[0], scale);
    int64_t t0 = rl_mono_ms();
    if (fill(cfg, SC_RISK, cfg->soa_risks + cfg->bench_risks, "risks (tenants soa and bench, via the register)") ||
        record_baseline(pr, cfg) ||
        fill(cfg, SC_FILL, cfg->soa_plans, "plans with 2..5 Annex A controls (tenant soa)")) {
        bench_child_log_tail(&pr->treat, 10);
        bench_child_log_tail(&pr->reg, 10);
        return -1;
    }
    printf("setup took %.1f s; each run: %zu plans x %d milestones, their 6 transitions, %zu soa_get, %zu baseline "
           "requests; %d runs per scenario (interleaved), median run by req/s shown\n\n",
           (double)(rl_mono_ms() - t0) / 1000.0, cfg->plans_per_run, MILESTONES, cfg->soa_gets, cfg->base_requests,
           runs);

    static const int client_counts[2] = {1, MAX_CLIENTS};
    const size_t nitems[SC_COUNT] = {cfg->base_requests, cfg->plans_per_run, cfg->plans_per_run, cfg->soa_gets};
    const size_t per_item[SC_COUNT] = {1, 1 + MILESTONES, 6, 1};
    result_t med[2][SC_COUNT];
    uint64_t total_errors = 0, total_requests = 0;
    char first_error[WHY_BUF] = "";
    for (int ci = 0; ci < 2 && !bench_stop; ci++) {
        result_t res[SC_COUNT][MAX_RUNS];
        for (int run = 0; run < runs && !bench_stop; run++)
            for (int sc = 0; sc < SC_COUNT && !bench_stop; sc++) {
                result_t *x = &res[sc][run];
                if (run_scenario(cfg, (scenario_t)sc, client_counts[ci], run, ci * runs + run, nitems[sc], per_item[sc],
                                 x) != 0)
                    return -1;
                total_errors += x->errors;
                total_requests += x->requests;
                if (x->errors && !first_error[0])
                    bench_fmt(first_error, sizeof first_error, "%s", x->first_error);
                fprintf(stderr, "  run %d/%d %-11s clients=%d: %8.0f req/s  p50 %9.1f us  p99 %9.1f us  (%zu req, "
                                "%.2f s, %llu errors)\n",
                        run + 1, runs, SC_NAME[sc], client_counts[ci], x->rps, x->p50_us, x->p99_us, x->requests,
                        x->elapsed_s, (unsigned long long)x->errors);
            }
        for (int sc = 0; sc < SC_COUNT && !bench_stop; sc++) {
            qsort(res[sc], (size_t)runs, sizeof res[sc][0], by_rps);
            med[ci][sc] = res[sc][runs / 2];
        }
    }
    if (bench_stop) {
        fprintf(stderr, "bench_treatment: interrupted\n");
        return -2;
    }
    long hwm = 0, rss = 0;
    peak_memory(pr->treat.pid, &hwm, &rss);

    printf("\n%-12s %7s %9s %-15s %10s %10s %11s %8s %6s\n", "scenario", "clients", "req/s", "per item", "p50 us",
           "p99 us", "vs baseline", "requests", "errors");
    for (int ci = 0; ci < 2; ci++)
        for (int sc = 0; sc < SC_COUNT; sc++)
            print_row((scenario_t)sc, client_counts[ci], &med[ci][sc], &med[ci][SC_BASELINE]);
    printf("\nplan_create: one plan = plan_create + %d milestone_add; transition: submit, approve, start, implement, "
           "verify, close\n",
           MILESTONES);
    printf("SoA derivation (tenant soa: %zu risks, %zu plans): median %.1f ms per soa_get (1 client), p99 %.1f ms\n",
           cfg->soa_risks, cfg->soa_plans, med[0][SC_SOA].p50_us / 1000.0, med[0][SC_SOA].p99_us / 1000.0);
    printf("riskline-treatment memory after the SoA runs: VmHWM %.1f MB, VmRSS %.1f MB\n", (double)hwm / 1024.0,
           (double)rss / 1024.0);
    if (total_errors)
        printf("\nINVALID: %llu errors in %llu requests (first: %s)\n", (unsigned long long)total_errors,
               (unsigned long long)total_requests, first_error);
    else
        printf("\nerrors: 0 in %llu requests: valid\n", (unsigned long long)total_requests);
    bench_child_t *kids[2] = {&pr->reg, &pr->treat};
    for (int k = 0; k < 2; k++)
        if (!bench_child_alive(kids[k])) {
            char how[64];
            bench_child_describe_exit(kids[k], how, sizeof how);
            printf("WARNING: %s exited during the benchmark (%s)\n", kids[k]->name, how);
            bench_child_log_tail(kids[k], 15);
        }
    return 0;
}

static size_t scaled(size_t n, double scale)
{
    double v = (double)n * scale;
    return v < 1.0 ? 1 : (size_t)(v + 0.5);
}

int main(void)
{
    const char *build = bench_init();
    double scale = bench_env_scale("bench_treatment");
    int runs = (int)bench_env_long("RISKLINE_BENCH_RUNS", 3, 1, MAX_RUNS);

    procs_t pr;
    cfg_t cfg;
    memset(&pr, 0, sizeof pr);
    memset(&cfg, 0, sizeof cfg);
    cfg.bench_risks = scaled(1000, scale);
    cfg.soa_risks = scaled(10000, scale);
    cfg.soa_plans = scaled(5000, scale);
    cfg.plans_per_run = scaled(1000, scale);
    cfg.soa_gets = (size_t)bench_env_long("RISKLINE_BENCH_SOA_GETS", 16, 1, 100000);
    cfg.base_requests = (size_t)bench_env_long("RISKLINE_BENCH_REQUESTS", 5000, 1, 100000000);
    bench_fmt(cfg.tag, sizeof cfg.tag, "t%lx%llx", (unsigned long)getpid(), (unsigned long long)(rl_mono_ns() % 0xffffff));
    cfg.plans = calloc(2 * (size_t)runs * cfg.plans_per_run, sizeof *cfg.plans);

    if (!cfg.plans || bench_make_tmpdir(pr.dir, sizeof pr.dir) != 0) {
        free(cfg.plans);
        return 1;
    }
    int rc = bench_main(&pr, &cfg, runs, scale, build);

    bench_child_stop(&pr.base);
    bench_child_stop(&pr.treat);
    bench_child_stop(&pr.reg);
    bench_child_stop(&pr.redis);
    if (cfg.zctx)
        zmq_ctx_term(cfg.zctx);
    free(cfg.plans);
    bench_remove_tree(pr.dir);
    return rc == -2 ? 2 : rc == 0 ? 0 : 1;
}
