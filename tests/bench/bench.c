/* bench.c: `make bench`: throughput and latency of riskline-register against a baseline.
 *
 * Starts its own redis-server (temp dir, appendonly yes, appendfsync everysec, password in the
 * config file), $RISKLINE_BUILD/bin/riskline-register and $RISKLINE_BUILD/bench/baseline (a bare
 * ROUTER doing one Redis GET per request) on free loopback ports. Then, with 1 and 8 client threads
 * (one DEALER each, one shared ZeroMQ context, synchronous request/reply, distinct request ids),
 * measures risk_create, risk_get (of risks created in the warm-up) and the baseline; every
 * scenario runs RUNS times (interleaved) and the median run by req/s is reported. Every reply is
 * decoded and its status checked; any error makes the benchmark invalid and is reported.
 *
 * Environment (all optional):
 *   RISKLINE_BUILD           build dir holding bin/ and bench/          (default "build")
 *   RISKLINE_BENCH_REQUESTS  requests per scenario run, split over the clients (default 20000)
 *   RISKLINE_BENCH_SECONDS   time cap per scenario run                  (default 3)
 *   RISKLINE_BENCH_RUNS      runs per scenario, median reported         (default 3)
 *   RISKLINE_BENCH_WARMUP    risks created before measuring             (default 1000)
 *   RISKLINE_REDIS_SERVER    redis-server binary                        (default: from PATH)
 *
 * Exit 0 when the benchmark ran (the table says PASS/BELOW and whether it is valid), 1 when the
 * setup failed (a process did not start), 2 when interrupted. Children are stopped and the temp
 * dir is removed on every path. */
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
#include "riskline/v1/envelope.pb-c.h"
#include "riskline/v1/risk.pb-c.h"
#include "riskline/v1/status.pb-c.h"
#include "rl_clock.h"
#include "rl_ids.h"
#include "rl_keyfile.h"

#define TENANT "bench"
#define BASELINE_KEY "rl:{bench}:baseline"
#define REPLY_TIMEOUT_MS 5000
#define START_TIMEOUT_MS BENCH_START_TIMEOUT_MS
#define MAX_CLIENTS 8
#define MAX_RUNS 15
#define REQ_BUF 1024
#define PATH_BUF BENCH_PATH_BUF
#define WHY_BUF 200

/* ------------------------------------------------------------------ requests and replies */

typedef enum { SC_BASELINE = 0, SC_GET = 1, SC_CREATE = 2, SC_COUNT } scenario_t;
static const char *const SC_NAME[SC_COUNT] = {"baseline", "risk_get", "risk_create"};

/* Packs an Envelope for `sc` into buf. Returns its length, or 0 when it does not fit. */
static size_t build_request(scenario_t sc, const char *request_id, const char *risk_id, uint8_t *buf,
                            size_t cap)
{
    Riskline__V1__Envelope env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__RiskCreate create = RISKLINE__V1__RISK_CREATE__INIT;
    Riskline__V1__Risk risk = RISKLINE__V1__RISK__INIT;
    Riskline__V1__Rating inherent = RISKLINE__V1__RATING__INIT;
    Riskline__V1__RiskGet get = RISKLINE__V1__RISK_GET__INIT;
    Riskline__V1__Ping ping = RISKLINE__V1__PING__INIT;

    env.schema_version = 1;
    env.request_id = (char *)request_id;
    env.tenant = (char *)TENANT;
    if (sc == SC_CREATE) {
        risk.title = (char *)"Benchmark risk: phishing of staff";
        risk.owner = (char *)"bench-owner";
        inherent.likelihood = 3;
        inherent.impact = 4;
        risk.inherent = &inherent;
        create.risk = &risk;
        env.body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_CREATE;
        env.risk_create = &create;
    } else if (sc == SC_GET || (sc == SC_BASELINE && risk_id)) {
        get.id = (char *)risk_id;
        env.body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_GET;
        env.risk_get = &get;
    } else {
        env.body_case = RISKLINE__V1__ENVELOPE__BODY_PING;
        env.ping = &ping;
    }
    size_t len = riskline__v1__envelope__get_packed_size(&env);
    if (len > cap)
        return 0;
    return riskline__v1__envelope__pack(&env, buf);
}

/* Checks a reply. For the register: status OK, echoed request id, the expected body (risk_get:
 * the asked id; risk_create: a new id, copied to new_id when given). The baseline returns the bytes
 * of a recorded risk_get reply: status OK and a risk_result body. 0 ok, -1 with `why` filled. */
static int check_reply(scenario_t sc, const void *data, size_t len, const char *request_id,
                       const char *want_risk_id, char *new_id, size_t new_id_size, char *why,
                       size_t why_size)
{
    Riskline__V1__Envelope *env = riskline__v1__envelope__unpack(NULL, len, data);
    int rc = -1;
    if (!env) {
        bench_fmt(why, why_size, "%s: undecodable reply (%zu bytes)", SC_NAME[sc], len);
        return -1;
    }
    if (env->status && env->status->code != RISKLINE__V1__CODE__CODE_OK) {
        const ProtobufCEnumValue *v =
            protobuf_c_enum_descriptor_get_value(&riskline__v1__code__descriptor, env->status->code);
        bench_fmt(why, why_size, "%s: status %s field '%s': %s", SC_NAME[sc], v ? v->name : "?",
            env->status->field ? env->status->field : "", env->status->message ? env->status->message : "");
    } else if (sc != SC_BASELINE && strcmp(env->request_id, request_id) != 0) {
        bench_fmt(why, why_size, "%s: reply for request id '%s', expected '%s'", SC_NAME[sc], env->request_id,
            request_id);
    } else if (env->body_case != RISKLINE__V1__ENVELOPE__BODY_RISK_RESULT || !env->risk_result ||
               !env->risk_result->risk) {
        bench_fmt(why, why_size, "%s: reply body case %d, expected risk_result", SC_NAME[sc], (int)env->body_case);
    } else if (sc == SC_GET && strcmp(env->risk_result->risk->id, want_risk_id) != 0) {
        bench_fmt(why, why_size, "risk_get: got risk '%s', asked '%s'", env->risk_result->risk->id, want_risk_id);
    } else if (sc == SC_CREATE && env->risk_result->risk->id[0] == '\0') {
        bench_fmt(why, why_size, "risk_create: reply without a risk id");
    } else {
        if (new_id && bench_fmt(new_id, new_id_size, "%s", env->risk_result->risk->id) != 0)
            bench_fmt(why, why_size, "risk_create: risk id too long");
        else
            rc = 0;
    }
    riskline__v1__envelope__free_unpacked(env, NULL);
    return rc;
}

/* ------------------------------------------------------------------ measurement */

typedef struct {
    void *zctx;
    char register_ep[64];
    bench_keys_t reg_keys;     /* the register runs with CURVE, as deployed */
    char baseline_ep[64];
    char tag[24];          /* request id prefix, unique per bench process */
    char (*ids)[32];       /* risks created in the warm-up */
    size_t nids;
    size_t total_requests; /* per scenario run */
    double seconds;        /* per scenario run */
} bench_cfg_t;

/* Start gate: every client connects and warms up, then all start measuring together. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ready, go, abort;
} gate_t;

typedef struct {
    const bench_cfg_t *cfg;
    scenario_t sc;
    int run, clients, thread_no;
    size_t max_req;
    gate_t *gate;
    uint64_t *lat_ns;      /* max_req entries */
    size_t n;              /* completed requests */
    uint64_t errors;
    char first_error[WHY_BUF];
    int64_t start_ns, end_ns;
} worker_t;

static void worker_error(worker_t *w, const char *why)
{
    if (w->errors++ == 0)
        bench_fmt(w->first_error, sizeof w->first_error, "%s", why);
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    const bench_cfg_t *cfg = w->cfg;
    const char *ep = w->sc == SC_BASELINE ? cfg->baseline_ep : cfg->register_ep;
    uint8_t req[REQ_BUF];
    char rid[64], why[WHY_BUF];
    int ready = 0;

    void *sock = bench_dealer_new(cfg->zctx, ep, w->sc == SC_BASELINE ? NULL : &cfg->reg_keys);
    if (!sock) {
        worker_error(w, "cannot create or connect the DEALER socket");
    } else { /* connect and warm the path outside the measurement */
        zmq_msg_t reply;
        bench_fmt(rid, sizeof rid, "%s.c%d.r%d.t%d.%s.hello", cfg->tag, w->clients, w->run, w->thread_no,
            SC_NAME[w->sc]);
        size_t len = build_request(SC_BASELINE, rid, NULL, req, sizeof req); /* a ping */
        if (bench_roundtrip(sock, req, len, &reply, REPLY_TIMEOUT_MS, why, sizeof why) != 0)
            worker_error(w, why);
        else
            ready = 1;
        zmq_msg_close(&reply);
    }
    pthread_mutex_lock(&w->gate->mu);
    w->gate->ready++;
    pthread_cond_broadcast(&w->gate->cv);
    while (!w->gate->go)
        pthread_cond_wait(&w->gate->cv, &w->gate->mu);
    if (w->gate->abort)
        ready = 0;
    pthread_mutex_unlock(&w->gate->mu);
    w->start_ns = rl_mono_ns();
    int64_t deadline = w->start_ns + (int64_t)(cfg->seconds * 1e9);
    for (size_t i = 0; ready && i < w->max_req && !bench_stop; i++) {
        const char *risk_id = NULL;
        if (w->sc == SC_GET || w->sc == SC_BASELINE)
            risk_id = cfg->ids[((size_t)w->thread_no * 7919u + i) % cfg->nids];
        if (bench_fmt(rid, sizeof rid, "%s.c%d.r%d.t%d.%c%zu", cfg->tag, w->clients, w->run, w->thread_no,
                SC_NAME[w->sc][5], i) != 0) {
            worker_error(w, "request id too long");
            break;
        }
        size_t len = build_request(w->sc, rid, risk_id, req, sizeof req);
        if (len == 0) {
            worker_error(w, "request does not fit the buffer");
            break;
        }
        zmq_msg_t reply;
        int64_t t0 = rl_mono_ns();
        int rc = bench_roundtrip(sock, req, len, &reply, REPLY_TIMEOUT_MS, why, sizeof why);
        int64_t t1 = rl_mono_ns();
        if (rc != 0) {
            zmq_msg_close(&reply);
            if (!bench_stop)
                worker_error(w, why);
            break; /* a lost reply could arrive later and confuse the next request */
        }
        if (check_reply(w->sc, zmq_msg_data(&reply), zmq_msg_size(&reply), rid, risk_id, NULL, 0, why,
                        sizeof why) != 0)
            worker_error(w, why);
        zmq_msg_close(&reply);
        w->lat_ns[w->n++] = (uint64_t)(t1 - t0);
        if (t1 >= deadline)
            break;
    }
    w->end_ns = rl_mono_ns();
    if (sock)
        zmq_close(sock);
    return NULL;
}

typedef struct {
    double rps, p50_us, p99_us;
    size_t requests;
    uint64_t errors;
    double elapsed_s;
    char first_error[WHY_BUF];
} result_t;

/* One run of one scenario with `clients` threads. 0 ok (errors are in res), -1 on setup failure. */
static int run_scenario(const bench_cfg_t *cfg, scenario_t sc, int clients, int run, result_t *res)
{
    worker_t w[MAX_CLIENTS];
    pthread_t th[MAX_CLIENTS];
    gate_t gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    size_t per = (cfg->total_requests + (size_t)clients - 1) / (size_t)clients;
    int started = 0;

    memset(res, 0, sizeof *res);
    memset(w, 0, sizeof w);
    uint64_t *all = calloc(per * (size_t)clients, sizeof *all);
    if (!all)
        return -1;
    for (int i = 0; i < clients; i++) {
        w[i] = (worker_t){.cfg = cfg, .sc = sc, .run = run, .clients = clients, .thread_no = i,
                          .max_req = per, .gate = &gate, .lat_ns = all + per * (size_t)i};
        if (pthread_create(&th[i], NULL, worker_main, &w[i]) != 0)
            break;
        started++;
    }
    pthread_mutex_lock(&gate.mu);
    while (gate.ready < started)
        pthread_cond_wait(&gate.cv, &gate.mu);
    gate.abort = started < clients;
    gate.go = 1;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&gate.mu);
    pthread_cond_destroy(&gate.cv);
    if (started < clients) {
        fprintf(stderr, "bench: cannot start %d client threads\n", clients);
        free(all);
        return -1;
    }

    int64_t start = INT64_MAX, end = 0;
    size_t n = 0;
    for (int i = 0; i < clients; i++) {
        if (w[i].start_ns < start)
            start = w[i].start_ns;
        if (w[i].end_ns > end)
            end = w[i].end_ns;
        /* compact the latencies of all threads into one array */
        memmove(all + n, w[i].lat_ns, w[i].n * sizeof *all);
        n += w[i].n;
        if (w[i].errors && res->errors == 0)
            bench_fmt(res->first_error, sizeof res->first_error, "%s", w[i].first_error);
        res->errors += w[i].errors;
    }
    qsort(all, n, sizeof *all, bench_cmp_u64);
    res->requests = n;
    res->elapsed_s = end > start ? (double)(end - start) / 1e9 : 0.0;
    res->rps = res->elapsed_s > 0 ? (double)n / res->elapsed_s : 0.0;
    res->p50_us = bench_pct_us(all, n, 50.0);
    res->p99_us = bench_pct_us(all, n, 99.0);
    free(all);
    return 0;
}

/* ------------------------------------------------------------------ setup */

typedef struct {
    char dir[PATH_BUF];
    char password[RL_REQUEST_ID_LEN];
    int redis_port, register_port, baseline_port;
    bench_child_t redis, reg, base;
    char redis_version[32];
} env_t;

/* Single-client synchronous call used for the warm-up. 0 ok, -1 with why. */
static int call_once(void *sock, scenario_t sc, const char *rid, const char *risk_id, char *new_id, size_t size,
                     uint8_t *raw, size_t *raw_len, char *why, size_t why_size)
{
    uint8_t req[REQ_BUF];
    size_t len = build_request(sc, rid, risk_id, req, sizeof req);
    zmq_msg_t reply;
    if (len == 0) {
        bench_fmt(why, why_size, "request does not fit");
        return -1;
    }
    int rc = bench_roundtrip(sock, req, len, &reply, REPLY_TIMEOUT_MS, why, why_size);
    if (rc == 0)
        rc = check_reply(sc, zmq_msg_data(&reply), zmq_msg_size(&reply), rid, risk_id, new_id, size, why,
                         why_size);
    if (rc == 0 && raw && raw_len) {
        if (zmq_msg_size(&reply) <= *raw_len) {
            memcpy(raw, zmq_msg_data(&reply), zmq_msg_size(&reply));
            *raw_len = zmq_msg_size(&reply);
        } else {
            bench_fmt(why, why_size, "reply larger than %zu bytes", *raw_len);
            rc = -1;
        }
    }
    zmq_msg_close(&reply);
    return rc;
}

/* ------------------------------------------------------------------ main */

static void print_row(const char *name, int clients, const result_t *r, const result_t *base)
{
    char ratio[16] = "";
    if (base && base->rps > 0)
        bench_fmt(ratio, sizeof ratio, "%.2f", r->rps / base->rps);
    printf("%-12s %7d %10.0f %9.1f %9.1f %11s %9zu %7llu\n", name, clients, r->rps, r->p50_us, r->p99_us, ratio,
           r->requests, (unsigned long long)r->errors);
}

static int by_rps(const void *a, const void *b)
{
    double x = ((const result_t *)a)->rps, y = ((const result_t *)b)->rps;
    return (x > y) - (x < y);
}

static int bench_main(env_t *e, bench_cfg_t *cfg, int runs, size_t warmup, const char *build)
{
    char exe_reg[PATH_BUF], exe_base[PATH_BUF], port_s[16], ep_env[96], port_env[48], pass_env[64], var_env[PATH_BUF + 32];
    if (bench_fmt(exe_reg, sizeof exe_reg, "%s/bin/riskline-register", build) != 0 ||
        bench_fmt(exe_base, sizeof exe_base, "%s/bench/baseline", build) != 0)
        return -1;

    /* ---- processes */
    int ports[3];
    if (bench_free_ports(ports, 3) != 0) {
        fprintf(stderr, "bench: cannot find free loopback ports\n");
        return -1;
    }
    e->redis_port = ports[0];
    e->register_port = ports[1];
    e->baseline_port = ports[2];
    if (rl_request_id_new(e->password) != 0) {
        fprintf(stderr, "bench: no randomness for the Redis password\n");
        return -1;
    }
    if (bench_redis_start(&e->redis, e->dir, e->redis_port, e->password, e->redis_version, sizeof e->redis_version) != 0)
        return -1;

    bench_fmt(cfg->register_ep, sizeof cfg->register_ep, "tcp://127.0.0.1:%d", e->register_port);
    bench_fmt(cfg->baseline_ep, sizeof cfg->baseline_ep, "tcp://127.0.0.1:%d", e->baseline_port);
    bench_fmt(port_s, sizeof port_s, "%d", e->redis_port);
    bench_fmt(port_env, sizeof port_env, "RISKLINE_REDIS_PORT=%d", e->redis_port);
    bench_fmt(pass_env, sizeof pass_env, "RISKLINE_REDIS_PASSWORD=%s", e->password);
    bench_fmt(ep_env, sizeof ep_env, "RISKLINE_REGISTER_ENDPOINT=%s", cfg->register_ep);
    if (bench_fmt(var_env, sizeof var_env, "RISKLINE_VAR_DIR=%s", e->dir) != 0)
        return -1;

    cfg->zctx = zmq_ctx_new();
    if (!cfg->zctx)
        return -1;

    /* Keys as `riskline keys init` makes them: <var>/keys/register.key, and cli.key, which the
     * register puts into its empty key store as the local admin. */
    {
        rl_keyfile_t reg, cli;
        rl_error_t kerr;
        char kdir[600];
        bench_fmt(kdir, sizeof kdir, "%s/keys", e->dir);
        if (rl_keyfile_generate(&reg, 1, &kerr) || rl_keyfile_save(&reg, kdir, "register", &kerr) ||
            rl_keyfile_generate(&cli, 0, &kerr) || rl_keyfile_save(&cli, kdir, "cli", &kerr)) {
            fprintf(stderr, "bench: keys: %s\n", kerr.message);
            return -1;
        }
        memcpy(cfg->reg_keys.server, reg.curve_public, 41);
        memcpy(cfg->reg_keys.pub, cli.curve_public, 41);
        memcpy(cfg->reg_keys.sec, cli.curve_secret, 41);
    }

    e->reg.name = "riskline-register";
    bench_fmt(e->reg.log, sizeof e->reg.log, "%s/register.log", e->dir);
    char *reg_argv[] = {exe_reg, NULL};
    char *reg_env[] = {"RISKLINE_REDIS_HOST=127.0.0.1", port_env, pass_env, ep_env, var_env,
                       "RISKLINE_LOG_LEVEL=warn", NULL};
    if (bench_start_and_wait(&e->reg, reg_argv, reg_env, cfg->zctx, cfg->register_ep, 1, &cfg->reg_keys) != 0)
        return -1;

    e->base.name = "baseline";
    bench_fmt(e->base.log, sizeof e->base.log, "%s/baseline.log", e->dir);
    char *base_argv[] = {exe_base, cfg->baseline_ep, port_s, (char *)BASELINE_KEY, NULL};
    char *base_env[] = {pass_env, NULL};
    if (bench_start_and_wait(&e->base, base_argv, base_env, cfg->zctx, cfg->baseline_ep, 0, NULL) != 0)
        return -1;

    /* ---- warm-up: create the risks risk_get reads; record one get reply for the baseline */
    char why[WHY_BUF], rid[64];
    cfg->ids = calloc(warmup, sizeof *cfg->ids);
    if (!cfg->ids)
        return -1;
    void *s = bench_dealer_new(cfg->zctx, cfg->register_ep, &cfg->reg_keys);
    if (!s)
        return -1;
    int64_t t0 = rl_mono_ns();
    for (size_t i = 0; i < warmup && !bench_stop; i++) {
        bench_fmt(rid, sizeof rid, "%s.warm.c%zu", cfg->tag, i);
        if (call_once(s, SC_CREATE, rid, NULL, cfg->ids[i], sizeof cfg->ids[i], NULL, NULL, why, sizeof why) != 0) {
            fprintf(stderr, "bench: warm-up create %zu failed: %s\n", i, why);
            zmq_close(s);
            bench_child_log_tail(&e->reg, 10);
            return -1;
        }
        cfg->nids++;
    }
    double warm_s = (double)(rl_mono_ns() - t0) / 1e9;
    uint8_t raw[8192];
    size_t raw_len = sizeof raw;
    int rc = bench_stop ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < warmup && !bench_stop; i++) {
        bench_fmt(rid, sizeof rid, "%s.warm.g%zu", cfg->tag, i);
        rc = call_once(s, SC_GET, rid, cfg->ids[i], NULL, 0, i == 0 ? raw : NULL, i == 0 ? &raw_len : NULL, why,
                       sizeof why);
    }
    zmq_close(s);
    if (rc != 0) {
        fprintf(stderr, "bench: warm-up get failed: %s\n", why);
        return -1;
    }
    redisContext *rcx = bench_redis_connect(e->redis_port, e->password);
    redisReply *r = rcx ? redisCommand(rcx, "SET %s %b", BASELINE_KEY, raw, raw_len) : NULL;
    int set_ok = r && r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    redisFree(rcx);
    if (!set_ok) {
        fprintf(stderr, "bench: cannot store the baseline reply in Redis\n");
        return -1;
    }
    s = bench_dealer_new(cfg->zctx, cfg->baseline_ep, NULL);
    for (size_t i = 0; s && rc == 0 && i < warmup && !bench_stop; i++) {
        bench_fmt(rid, sizeof rid, "%s.warm.b%zu", cfg->tag, i);
        rc = call_once(s, SC_BASELINE, rid, cfg->ids[0], NULL, 0, NULL, NULL, why, sizeof why);
    }
    if (s)
        zmq_close(s);
    if (!s || rc != 0) {
        fprintf(stderr, "bench: warm-up baseline failed: %s\n", s ? why : "no socket");
        return -1;
    }
    if (bench_stop)
        return -1;

    printf("Riskline bench: riskline-register vs baseline (ZeroMQ ROUTER + one Redis GET per request)\n");
    printf("redis %s on 127.0.0.1:%d (appendonly yes, appendfsync everysec, requirepass); tenant \"%s\"\n",
           e->redis_version[0] ? e->redis_version : "?", e->redis_port, TENANT);
    printf("warm-up: %zu risks created (%.0f req/s, 1 client), %zu gets, %zu baseline requests\n", warmup,
           warm_s > 0 ? (double)warmup / warm_s : 0.0, warmup, warmup);
    printf("each run: up to %zu requests or %.1f s, split over the clients; %d runs per scenario "
           "(interleaved), median run by req/s shown\n\n",
           cfg->total_requests, cfg->seconds, runs);
    fflush(stdout);

    /* ---- measurements */
    static const int client_counts[2] = {1, MAX_CLIENTS};
    result_t med[2][SC_COUNT];
    uint64_t total_errors = 0, total_requests = 0;
    char first_error[WHY_BUF] = "";
    for (int ci = 0; ci < 2 && !bench_stop; ci++) {
        result_t res[SC_COUNT][MAX_RUNS];
        for (int run = 0; run < runs && !bench_stop; run++)
            for (int sc = 0; sc < SC_COUNT && !bench_stop; sc++) {
                if (run_scenario(cfg, (scenario_t)sc, client_counts[ci], run, &res[sc][run]) != 0) {
                    fprintf(stderr, "bench: cannot run scenario %s\n", SC_NAME[sc]);
                    return -1;
                }
                result_t *x = &res[sc][run];
                total_errors += x->errors;
                total_requests += x->requests;
                if (x->errors && !first_error[0])
                    bench_fmt(first_error, sizeof first_error, "%s", x->first_error);
                fprintf(stderr, "  run %d/%d %-11s clients=%d: %8.0f req/s  p50 %7.1f us  p99 %7.1f us  (%zu req, %.2f s, %llu errors)\n",
                        run + 1, runs, SC_NAME[sc], client_counts[ci], x->rps, x->p50_us, x->p99_us, x->requests,
                        x->elapsed_s, (unsigned long long)x->errors);
            }
        if (bench_stop)
            break;
        for (int sc = 0; sc < SC_COUNT; sc++) {
            qsort(res[sc], (size_t)runs, sizeof res[sc][0], by_rps);
            med[ci][sc] = res[sc][runs / 2];
        }
    }
    if (bench_stop) {
        fprintf(stderr, "bench: interrupted\n");
        return -2;
    }

    printf("\n%-12s %7s %10s %9s %9s %11s %9s %7s\n", "scenario", "clients", "req/s", "p50 us", "p99 us",
           "vs baseline", "requests", "errors");
    for (int ci = 0; ci < 2; ci++) {
        print_row(SC_NAME[SC_BASELINE], client_counts[ci], &med[ci][SC_BASELINE], &med[ci][SC_BASELINE]);
        print_row(SC_NAME[SC_GET], client_counts[ci], &med[ci][SC_GET], &med[ci][SC_BASELINE]);
        print_row(SC_NAME[SC_CREATE], client_counts[ci], &med[ci][SC_CREATE], &med[ci][SC_BASELINE]);
    }
    printf("\n%-16s %7s %7s %8s  %s\n", "ratio", "clients", "value", "goal", "result");
    for (int k = 0; k < 2; k++) {
        scenario_t sc = k == 0 ? SC_GET : SC_CREATE;
        double goal = k == 0 ? 0.5 : 0.3;
        for (int ci = 0; ci < 2; ci++) {
            double base = med[ci][SC_BASELINE].rps;
            double v = base > 0 ? med[ci][sc].rps / base : 0.0;
            printf("%-16s %7d %7.2f %8s  %s\n", k == 0 ? "get/baseline" : "create/baseline", client_counts[ci], v,
                   k == 0 ? ">= 0.50" : ">= 0.30", total_errors ? "INVALID (errors)" : v >= goal ? "PASS" : "BELOW");
        }
    }
    if (total_errors)
        printf("\nINVALID: %llu errors in %llu requests (first: %s)\n", (unsigned long long)total_errors,
               (unsigned long long)total_requests, first_error);
    else
        printf("\nerrors: 0 in %llu requests: valid\n", (unsigned long long)total_requests);
    if (!bench_child_alive(&e->reg)) {
        char how[64];
        bench_child_describe_exit(&e->reg, how, sizeof how);
        printf("WARNING: riskline-register exited during the benchmark (%s)\n", how);
        bench_child_log_tail(&e->reg, 15);
    }
    fflush(stdout);
    return 0;
}

int main(void)
{
    const char *build = bench_init();
    int runs = (int)bench_env_long("RISKLINE_BENCH_RUNS", 3, 1, MAX_RUNS);
    size_t warmup = (size_t)bench_env_long("RISKLINE_BENCH_WARMUP", 1000, 1, 1000000);

    env_t e;
    bench_cfg_t cfg;
    memset(&e, 0, sizeof e);
    memset(&cfg, 0, sizeof cfg);
    cfg.total_requests = (size_t)bench_env_long("RISKLINE_BENCH_REQUESTS", 20000, MAX_CLIENTS, 100000000);
    cfg.seconds = (double)bench_env_long("RISKLINE_BENCH_SECONDS", 3, 1, 3600);
    bench_fmt(cfg.tag, sizeof cfg.tag, "b%lx%llx", (unsigned long)getpid(), (unsigned long long)(rl_mono_ns() % 0xffffff));

    if (bench_make_tmpdir(e.dir, sizeof e.dir) != 0)
        return 1;

    int rc = bench_main(&e, &cfg, runs, warmup, build);

    /* ---- teardown, on every path */
    bench_child_stop(&e.base);
    bench_child_stop(&e.reg);
    bench_child_stop(&e.redis);
    if (cfg.zctx)
        zmq_ctx_term(cfg.zctx);
    free(cfg.ids);
    bench_remove_tree(e.dir);
    if (rc == -2)
        return 2;
    return rc == 0 ? 0 : 1;
}
