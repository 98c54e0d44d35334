/* bench_report.c: `make bench`, fourth part: event-to-subscriber latency of riskline-report's update
 * stream against Redis's own stream delivery (XADD -> XREAD BLOCK) at the same event rate.
 *
 * Starts its own redis-server (temp dir, appendonly yes, appendfsync everysec, requirepass),
 * $RISKLINE_BUILD/bin/riskline-register and riskline-report with CURVE (keys made like `riskline
 * keys init`; cli is the seeded admin) on free loopback ports. A SUB (CURVE, the admin's key)
 * subscribes to "bench.risk" on the report's PUB and stays connected.
 *
 * Measured, every scenario RUNS times, the two sides interleaved, the median of each figure shown:
 *   riskline   writers (threads, one DEALER each, synchronous) create a risk and then update it
 *              (RiskCreate, RiskUpdate of the title) on the register; an event's latency is from
 *              the moment its request's reply is back at the writer until its Update
 *              ([bench.risk][Update], matched by entity id and event) arrives at the SUB: the
 *              register's write is in Redis by then, so this is the publisher's delay plus the
 *              PUB/SUB hop. Every update must arrive once (none missing: else invalid).
 *   redis      the baseline: writers XADD a payload of the same size (a packed DomainEvent of a
 *              risk) to a stream of the same Redis; a reader waits in XREAD BLOCK on it; an event's
 *              latency is from its XADD's send until the reader has it (Redis answers the blocked
 *              reader in the same turn as the XADD: from the XADD's reply it would be ~0). Paced
 *              to the event rate the riskline run achieved, so both sides carry the same load.
 * in two shapes: "idle", one writer with ~IDLE_GAP_MS between events (what a lone change sees), and
 * "load", LOAD_WRITERS writers as fast as the register answers. Ratios riskline / redis.
 *
 * Environment (all optional):
 *   RISKLINE_BUILD           build dir holding bin/ and bench/                       (default "build")
 *   RISKLINE_BENCH_SCALE     multiplies the event counts (0.1: quick)                (default 1)
 *   RISKLINE_BENCH_RUNS      runs per scenario, medians reported                     (default 3)
 *   RISKLINE_REDIS_SERVER    redis-server binary                                     (default: from PATH)
 *
 * Exit 0 when the benchmark ran (the table says whether it is valid), 1 when the setup failed,
 * 2 when interrupted. Children are stopped and the temp dir is removed on every path. */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "bench_util.h"
#include "riskline/v1/envelope.pb-c.h"
#include "riskline/v1/report.pb-c.h"
#include "riskline/v1/risk.pb-c.h"
#include "riskline/v1/status.pb-c.h"
#include "rl_clock.h"
#include "rl_ids.h"
#include "rl_keyfile.h"

#define TENANT "bench"
#define BASE_STREAM "rl:{bench}:bench:baseline"
#define REPLY_TIMEOUT_MS 10000
#define DRAIN_MS 5000          /* after the writers: how long the last events may take */
#define IDLE_GAP_MS 40
#define LOAD_WRITERS 2
#define MAX_RUNS 9
#define WHY_BUF 240
#define PAYLOAD_BYTES 330      /* about a packed risk.created DomainEvent */

typedef enum { SIDE_RISKLINE = 0, SIDE_REDIS = 1 } side_t;
typedef enum { SHAPE_IDLE = 0, SHAPE_LOAD = 1, SHAPE_COUNT } shape_t;
static const char *const SHAPE_NAME[SHAPE_COUNT] = {"idle", "load"};

typedef struct {
    void *zctx;
    char reg_ep[64], rep_ep[64], pub_ep[64];
    bench_keys_t to_reg, to_rep;  /* the admin towards the register and towards the report */
    int redis_port;
    char password[RL_REQUEST_ID_LEN];
    char tag[24];
    void *sub;                    /* the subscriber, connected for the whole benchmark */
    size_t risks;                 /* risks created so far (ids R-1..R-risks) */
    size_t events[SHAPE_COUNT];
} cfg_t;

/* One measured run: event slot i has its reply (or XADD) time and its arrival time. */
typedef struct {
    const cfg_t *cfg;
    side_t side;
    shape_t shape;
    size_t n;                     /* events (riskline: two per risk, created then updated) */
    size_t base;                  /* riskline: risks before this run (slot of R-k: (k-base-1)*2+e) */
    int writers;
    double rate;                  /* redis side: events/s to pace to (0: as fast as possible) */
    int64_t *sent_ns, *got_ns;
    atomic_size_t next;           /* the next slot (riskline: the next risk pair) a writer takes */
    atomic_size_t received;
    atomic_int writers_done;
    atomic_int failed;
    char why[WHY_BUF];
    pthread_mutex_t lock;
    int64_t t0, t1;               /* first send, last reply */
} run_t;

static void run_fail(run_t *r, const char *why)
{
    pthread_mutex_lock(&r->lock);
    if (!atomic_exchange(&r->failed, 1))
        bench_fmt(r->why, sizeof r->why, "%s", why);
    pthread_mutex_unlock(&r->lock);
}

/* ------------------------------------------------------------------ riskline side */

/* One request on sock; the risk id of its RiskResult into id. 0 ok, -1 with why. */
static int risk_call(void *sock, Riskline__V1__Envelope *env, char *id, size_t id_size, char *why, size_t wsize)
{
    uint8_t buf[1024];
    size_t len = riskline__v1__envelope__get_packed_size(env);
    if (len > sizeof buf) {
        bench_fmt(why, wsize, "request too large");
        return -1;
    }
    riskline__v1__envelope__pack(env, buf);
    zmq_msg_t reply;
    if (bench_roundtrip(sock, buf, len, &reply, REPLY_TIMEOUT_MS, why, wsize) != 0)
        return -1;
    Riskline__V1__Envelope *r = riskline__v1__envelope__unpack(NULL, zmq_msg_size(&reply), zmq_msg_data(&reply));
    zmq_msg_close(&reply);
    int rc = -1;
    if (!r)
        bench_fmt(why, wsize, "undecodable reply");
    else if (r->status && r->status->code != RISKLINE__V1__CODE__CODE_OK)
        bench_fmt(why, wsize, "refused: %s: %s", r->status->field, r->status->message);
    else if (r->body_case != RISKLINE__V1__ENVELOPE__BODY_RISK_RESULT || !r->risk_result || !r->risk_result->risk)
        bench_fmt(why, wsize, "reply body case %d, expected risk_result", (int)r->body_case);
    else
        rc = bench_fmt(id, id_size, "%s", r->risk_result->risk->id);
    if (r)
        riskline__v1__envelope__free_unpacked(r, NULL);
    return rc;
}

/* RiskCreate, or (id given) RiskUpdate of its title at version 1. */
static int risk_write(run_t *r, void *sock, const char *update_id, char *id, size_t id_size, char *why, size_t wsize)
{
    Riskline__V1__Envelope env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__RiskCreate create = RISKLINE__V1__RISK_CREATE__INIT;
    Riskline__V1__RiskUpdate update = RISKLINE__V1__RISK_UPDATE__INIT;
    Riskline__V1__Risk risk = RISKLINE__V1__RISK__INIT;
    Riskline__V1__Rating inherent = RISKLINE__V1__RATING__INIT;
    char rid[64];
    static _Atomic unsigned long counter;
    bench_fmt(rid, sizeof rid, "%s.%lu", r->cfg->tag, (unsigned long)atomic_fetch_add(&counter, 1));
    char *mask[] = {(char *)"title"};
    env.schema_version = 1;
    env.request_id = rid;
    env.tenant = (char *)TENANT;
    risk.title = (char *)(update_id ? "Benchmark risk: phishing of staff, revised" : "Benchmark risk: phishing of staff");
    if (update_id) {
        update.id = (char *)update_id;
        update.expected_version = 1;
        update.patch = &risk;
        update.update_mask = mask;
        update.n_update_mask = 1;
        env.body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_UPDATE;
        env.risk_update = &update;
    } else {
        risk.owner = (char *)"bench-owner";
        inherent.likelihood = 3;
        inherent.impact = 4;
        risk.inherent = &inherent;
        create.risk = &risk;
        env.body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_CREATE;
        env.risk_create = &create;
    }
    return risk_call(sock, &env, id, id_size, why, wsize);
}

/* The event slot of risk id (R-k) and event e (0 created, 1 updated), or SIZE_MAX when not ours. */
static size_t risk_slot(const run_t *r, const char *id, int e)
{
    char *end;
    if (strncmp(id, "R-", 2))
        return SIZE_MAX;
    unsigned long long k = strtoull(id + 2, &end, 10);
    if (*end || k <= r->base || (k - r->base - 1) * 2 + 1 >= r->n)
        return SIZE_MAX;
    return (size_t)(k - r->base - 1) * 2 + (size_t)e;
}

static void pace(const run_t *r, int64_t start_ns, size_t k)
{
    double gap_ns = r->shape == SHAPE_IDLE ? IDLE_GAP_MS * 1e6 : r->rate > 0 ? 1e9 * r->writers / r->rate : 0;
    if (gap_ns <= 0)
        return;
    /* jitter in the idle shape: events must not ride in step with the publisher's tick */
    int64_t due = start_ns + (int64_t)(gap_ns * (double)k) + (r->shape == SHAPE_IDLE ? (rand() % 20) * 1000000LL : 0);
    int64_t wait = due - rl_mono_ns();
    if (wait > 0)
        bench_sleep_ms(wait / 1000000);
}

static void *riskline_writer(void *arg)
{
    run_t *r = arg;
    char why[WHY_BUF];
    void *sock = bench_dealer_new(r->cfg->zctx, r->cfg->reg_ep, &r->cfg->to_reg);
    if (!sock) {
        run_fail(r, "writer: no DEALER");
        return NULL;
    }
    int64_t start = rl_mono_ns();
    for (size_t k = 0; !bench_stop && !atomic_load(&r->failed); k++) {
        size_t pair = atomic_fetch_add(&r->next, 1);
        if (pair * 2 >= r->n)
            break;
        pace(r, start, k);
        char id[32];
        if (risk_write(r, sock, NULL, id, sizeof id, why, sizeof why) != 0) {
            run_fail(r, why);
            break;
        }
        int64_t t = rl_mono_ns();
        size_t s = risk_slot(r, id, 0);
        if (s == SIZE_MAX) {
            /* ids are given in order of creation: a run's risks are base+1..base+n/2 */
            bench_fmt(why, sizeof why, "risk id %s outside this run's range", id);
            run_fail(r, why);
            break;
        }
        r->sent_ns[s] = t;
        if (risk_write(r, sock, id, id, sizeof id, why, sizeof why) != 0) {
            run_fail(r, why);
            break;
        }
        r->sent_ns[s + 1] = rl_mono_ns();
    }
    zmq_close(sock);
    return NULL;
}

/* 1 while a reader should go on: events are missing, and the writers are busy or finished less
 * than DRAIN_MS ago (*until: 0, then that deadline). */
static int reading(run_t *r, int64_t *until)
{
    if (atomic_load(&r->received) >= r->n || bench_stop)
        return 0;
    if (!atomic_load(&r->writers_done))
        return 1;
    if (!*until)
        *until = rl_mono_ms() + DRAIN_MS;
    return rl_mono_ms() <= *until;
}

/* Receives Updates until every event of the run arrived, or DRAIN_MS after the writers finished. */
static void *riskline_reader(void *arg)
{
    run_t *r = arg;
    int64_t drain_until = 0;
    while (reading(r, &drain_until)) {
        zmq_pollitem_t it = {r->cfg->sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 100) <= 0)
            continue;
        zmq_msg_t topic, body;
        zmq_msg_init(&topic);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&topic, r->cfg->sub, 0) < 0 || !zmq_msg_more(&topic) || zmq_msg_recv(&body, r->cfg->sub, 0) < 0) {
            zmq_msg_close(&topic);
            zmq_msg_close(&body);
            continue;
        }
        int64_t t = rl_mono_ns();
        Riskline__V1__Update *u = riskline__v1__update__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
        if (u && u->entity_id) {
            int e = !strcmp(u->event, "risk.created") ? 0 : !strcmp(u->event, "risk.updated") ? 1 : -1;
            size_t s = e < 0 ? SIZE_MAX : risk_slot(r, u->entity_id, e);
            if (s != SIZE_MAX && !r->got_ns[s]) {
                r->got_ns[s] = t;
                atomic_fetch_add(&r->received, 1);
            }
        }
        if (u)
            riskline__v1__update__free_unpacked(u, NULL);
        zmq_msg_close(&topic);
        zmq_msg_close(&body);
    }
    return NULL;
}

/* ------------------------------------------------------------------ redis side */

static void *redis_writer(void *arg)
{
    run_t *r = arg;
    char why[WHY_BUF], payload[PAYLOAD_BYTES];
    memset(payload, 'x', sizeof payload);
    redisContext *c = bench_redis_connect(r->cfg->redis_port, r->cfg->password);
    if (!c) {
        run_fail(r, "redis writer: no connection");
        return NULL;
    }
    int64_t start = rl_mono_ns();
    for (size_t k = 0; !bench_stop && !atomic_load(&r->failed); k++) {
        size_t s = atomic_fetch_add(&r->next, 1);
        if (s >= r->n)
            break;
        if (r->shape != SHAPE_IDLE || k % 2 == 0)  /* idle: in pairs, as the risk's create and update */
            pace(r, start, r->shape == SHAPE_IDLE ? k / 2 : k);
        char slot[24];
        bench_fmt(slot, sizeof slot, "%zu", s);
        /* from the send: Redis answers the blocked reader in the same turn as the XADD, so from the
         * XADD's reply the delivery would measure as nothing at all */
        int64_t t = rl_mono_ns();
        redisReply *rep = redisCommand(c, "XADD " BASE_STREAM " * i %s e %b", slot, payload, sizeof payload);
        if (!rep || rep->type != REDIS_REPLY_STRING) {
            bench_fmt(why, sizeof why, "XADD: %s", rep && rep->str ? rep->str : c->errstr);
            freeReplyObject(rep);
            run_fail(r, why);
            break;
        }
        freeReplyObject(rep);
        r->sent_ns[s] = t;
    }
    redisFree(c);
    return NULL;
}

static void *redis_reader(void *arg)
{
    run_t *r = arg;
    redisContext *c = bench_redis_connect(r->cfg->redis_port, r->cfg->password);
    if (!c) {
        run_fail(r, "redis reader: no connection");
        return NULL;
    }
    struct timeval tv = {3, 0};
    redisSetTimeout(c, tv);  /* above the BLOCK below */
    char last[64] = "0-0";
    int64_t drain_until = 0;
    while (reading(r, &drain_until)) {
        redisReply *rep = redisCommand(c, "XREAD COUNT 1000 BLOCK 100 STREAMS " BASE_STREAM " %s", last);
        int64_t t = rl_mono_ns();
        if (!rep) {
            run_fail(r, "XREAD failed");
            break;
        }
        if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1) {
            redisReply *ents = rep->element[0]->element[1];
            for (size_t i = 0; i < ents->elements; i++) {
                redisReply *ent = ents->element[i], *fv = ent->element[1];
                bench_fmt(last, sizeof last, "%s", ent->element[0]->str);
                size_t s = fv->elements >= 2 ? (size_t)strtoull(fv->element[1]->str, NULL, 10) : SIZE_MAX;
                if (s < r->n && !r->got_ns[s]) {
                    r->got_ns[s] = t;
                    atomic_fetch_add(&r->received, 1);
                }
            }
        }
        freeReplyObject(rep);
    }
    redisFree(c);
    return NULL;
}

/* ------------------------------------------------------------------ runs */

typedef struct {
    double p50, p99, max, eps;
    size_t missing;
    int ok;
    char why[WHY_BUF];
} result_t;

static int run_one(cfg_t *cfg, side_t side, shape_t shape, double rate, result_t *res)
{
    run_t *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    memset(res, 0, sizeof *res);
    r->cfg = cfg;
    r->side = side;
    r->shape = shape;
    r->n = cfg->events[shape];
    r->base = cfg->risks;
    r->writers = shape == SHAPE_IDLE ? 1 : LOAD_WRITERS;
    r->rate = side == SIDE_REDIS && shape == SHAPE_LOAD ? rate : 0;
    r->sent_ns = calloc(r->n, sizeof *r->sent_ns);
    r->got_ns = calloc(r->n, sizeof *r->got_ns);
    uint64_t *lat = calloc(r->n, sizeof *lat);
    pthread_mutex_init(&r->lock, NULL);
    if (!r->sent_ns || !r->got_ns || !lat) {
        free(r->sent_ns);
        free(r->got_ns);
        free(lat);
        free(r);
        return -1;
    }
    pthread_t reader, writers[LOAD_WRITERS];
    pthread_create(&reader, NULL, side == SIDE_RISKLINE ? riskline_reader : redis_reader, r);
    if (side == SIDE_REDIS)
        bench_sleep_ms(50);  /* the reader is in XREAD before the first XADD */
    int64_t t0 = rl_mono_ns();
    for (int w = 0; w < r->writers; w++)
        pthread_create(&writers[w], NULL, side == SIDE_RISKLINE ? riskline_writer : redis_writer, r);
    for (int w = 0; w < r->writers; w++)
        pthread_join(writers[w], NULL);
    int64_t t1 = rl_mono_ns();
    atomic_store(&r->writers_done, 1);
    pthread_join(reader, NULL);
    if (side == SIDE_RISKLINE)
        cfg->risks += r->n / 2;
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!r->sent_ns[i] || !r->got_ns[i]) {
            res->missing++;
            continue;
        }
        /* the update may beat the writer's own reply handling: that is no latency at all */
        lat[k++] = r->got_ns[i] > r->sent_ns[i] ? (uint64_t)(r->got_ns[i] - r->sent_ns[i]) : 0;
    }
    qsort(lat, k, sizeof *lat, bench_cmp_u64);
    res->p50 = bench_pct_us(lat, k, 50);
    res->p99 = bench_pct_us(lat, k, 99);
    res->max = bench_pct_us(lat, k, 100);
    res->eps = (double)r->n / ((double)(t1 - t0) / 1e9);
    res->ok = !atomic_load(&r->failed) && res->missing == 0 && k == r->n;
    if (atomic_load(&r->failed))
        bench_fmt(res->why, sizeof res->why, "%s", r->why);
    else if (res->missing)
        bench_fmt(res->why, sizeof res->why, "%zu of %zu events never arrived", res->missing, r->n);
    if (side == SIDE_REDIS) {
        redisContext *c = bench_redis_connect(cfg->redis_port, cfg->password);
        if (c) {
            freeReplyObject(redisCommand(c, "DEL " BASE_STREAM));
            redisFree(c);
        }
    }
    pthread_mutex_destroy(&r->lock);
    free(r->sent_ns);
    free(r->got_ns);
    free(lat);
    free(r);
    return 0;
}

/* ------------------------------------------------------------------ setup */

typedef struct {
    char dir[BENCH_PATH_BUF];
    int port[4]; /* redis, register, report, report pub */
    bench_child_t redis, reg, rep;
    char redis_version[32];
} procs_t;

static int make_keys(const procs_t *pr, cfg_t *cfg)
{
    rl_keyfile_t reg, rep, cli;
    rl_error_t kerr;
    char kdir[BENCH_PATH_BUF + 8];
    bench_fmt(kdir, sizeof kdir, "%s/keys", pr->dir);
    if (rl_keyfile_generate(&reg, 1, &kerr) || rl_keyfile_save(&reg, kdir, "register", &kerr) ||
        rl_keyfile_generate(&rep, 1, &kerr) || rl_keyfile_save(&rep, kdir, "report", &kerr) ||
        rl_keyfile_generate(&cli, 0, &kerr) || rl_keyfile_save(&cli, kdir, "cli", &kerr)) {
        fprintf(stderr, "bench_report: keys: %s\n", kerr.message);
        return -1;
    }
    memcpy(cfg->to_reg.server, reg.curve_public, 41);
    memcpy(cfg->to_rep.server, rep.curve_public, 41);
    memcpy(cfg->to_reg.pub, cli.curve_public, 41);
    memcpy(cfg->to_rep.pub, cli.curve_public, 41);
    memcpy(cfg->to_reg.sec, cli.curve_secret, 41);
    memcpy(cfg->to_rep.sec, cli.curve_secret, 41);
    return 0;
}

static int start_all(procs_t *pr, cfg_t *cfg, const char *build)
{
    char var_env[BENCH_PATH_BUF + 32], port_env[48], pass_env[64], reg_env[96], rep_env[96], pub_env[96];
    if (bench_fmt(var_env, sizeof var_env, "RISKLINE_VAR_DIR=%s", pr->dir))
        return -1;
    if (bench_free_ports(pr->port, 4) != 0 || rl_request_id_new(cfg->password) != 0) {
        fprintf(stderr, "bench_report: no free ports or no randomness\n");
        return -1;
    }
    cfg->redis_port = pr->port[0];
    if (bench_redis_start(&pr->redis, pr->dir, pr->port[0], cfg->password, pr->redis_version,
                          sizeof pr->redis_version) != 0)
        return -1;
    bench_fmt(cfg->reg_ep, sizeof cfg->reg_ep, "tcp://127.0.0.1:%d", pr->port[1]);
    bench_fmt(cfg->rep_ep, sizeof cfg->rep_ep, "tcp://127.0.0.1:%d", pr->port[2]);
    bench_fmt(cfg->pub_ep, sizeof cfg->pub_ep, "tcp://127.0.0.1:%d", pr->port[3]);
    bench_fmt(port_env, sizeof port_env, "RISKLINE_REDIS_PORT=%d", pr->port[0]);
    bench_fmt(pass_env, sizeof pass_env, "RISKLINE_REDIS_PASSWORD=%s", cfg->password);
    bench_fmt(reg_env, sizeof reg_env, "RISKLINE_REGISTER_ENDPOINT=%s", cfg->reg_ep);
    bench_fmt(rep_env, sizeof rep_env, "RISKLINE_REPORT_ENDPOINT=%s", cfg->rep_ep);
    bench_fmt(pub_env, sizeof pub_env, "RISKLINE_REPORT_PUB_ENDPOINT=%s", cfg->pub_ep);
    char *svc_env[] = {"RISKLINE_REDIS_HOST=127.0.0.1", port_env, pass_env, reg_env, rep_env, pub_env, var_env,
                       "RISKLINE_LOG_LEVEL=warn", NULL};
    if (bench_service_start(&pr->reg, build, pr->dir, "riskline-register", svc_env, cfg->zctx, cfg->reg_ep,
                            &cfg->to_reg) != 0 ||
        bench_service_start(&pr->rep, build, pr->dir, "riskline-report", svc_env, cfg->zctx, cfg->rep_ep,
                            &cfg->to_rep) != 0)
        return -1;
    return 0;
}

/* The SUB on the report's PUB, and proof that its subscription is in effect: a risk created now
 * arrives on it. 0 ok. */
static int subscribe(cfg_t *cfg)
{
    cfg->sub = zmq_socket(cfg->zctx, ZMQ_SUB);
    int linger = 0, hwm = 0; /* no receive limit: every update counts */
    zmq_setsockopt(cfg->sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(cfg->sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_setsockopt(cfg->sub, ZMQ_CURVE_SERVERKEY, cfg->to_rep.server, 40) ||
        zmq_setsockopt(cfg->sub, ZMQ_CURVE_PUBLICKEY, cfg->to_rep.pub, 40) ||
        zmq_setsockopt(cfg->sub, ZMQ_CURVE_SECRETKEY, cfg->to_rep.sec, 40) ||
        zmq_setsockopt(cfg->sub, ZMQ_SUBSCRIBE, TENANT ".risk", strlen(TENANT ".risk")) ||
        zmq_connect(cfg->sub, cfg->pub_ep) != 0) {
        fprintf(stderr, "bench_report: SUB: %s\n", zmq_strerror(zmq_errno()));
        return -1;
    }
    /* a warm-up risk per try until one arrives (the first ones may pass before the subscription) */
    for (int attempt = 0; attempt < 50 && !bench_stop; attempt++) {
        run_t r = {.cfg = cfg, .n = 2, .base = cfg->risks, .writers = 1, .shape = SHAPE_LOAD};
        int64_t sent[2] = {0}, got[2] = {0};
        r.sent_ns = sent;
        r.got_ns = got;
        pthread_mutex_init(&r.lock, NULL);
        riskline_writer(&r);
        pthread_mutex_destroy(&r.lock);
        cfg->risks++;
        if (atomic_load(&r.failed)) {
            fprintf(stderr, "bench_report: warm-up: %s\n", r.why);
            return -1;
        }
        zmq_pollitem_t it = {cfg->sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 200) > 0) {
            bench_sleep_ms(300);  /* let the rest of the warm-up's updates arrive, then drop them */
            zmq_msg_t m;
            zmq_msg_init(&m);
            while (zmq_msg_recv(&m, cfg->sub, ZMQ_DONTWAIT) >= 0)
                ;
            zmq_msg_close(&m);
            return 0;
        }
    }
    fprintf(stderr, "bench_report: no update reached the subscriber\n");
    return -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static int bench_main(procs_t *pr, cfg_t *cfg, int runs, const char *build)
{
    cfg->zctx = zmq_ctx_new();
    if (!cfg->zctx || make_keys(pr, cfg) != 0 || start_all(pr, cfg, build) != 0 || subscribe(cfg) != 0)
        return -1;
    printf("bench_report: redis %s, riskline-register + riskline-report (CURVE), %d runs per scenario, "
           "medians; events: idle %zu (one writer, ~%d ms apart), load %zu (%d writers, as fast as they go; "
           "the redis side paced to the riskline rate)\n",
           pr->redis_version, runs, cfg->events[SHAPE_IDLE], IDLE_GAP_MS, cfg->events[SHAPE_LOAD], LOAD_WRITERS);
    printf("%-6s %-9s %10s %10s %10s %10s  %s\n", "shape", "path", "events/s", "p50 us", "p99 us", "max us",
           "ratio p50/p99 vs redis");
    int valid = 1;
    for (int sh = 0; sh < SHAPE_COUNT && !bench_stop; sh++) {
        double v[2][4][MAX_RUNS];
        for (int run = 0; run < runs && !bench_stop; run++) {
            result_t rl, rd;
            if (run_one(cfg, SIDE_RISKLINE, (shape_t)sh, 0, &rl) != 0 ||
                run_one(cfg, SIDE_REDIS, (shape_t)sh, rl.eps, &rd) != 0)
                return -1;
            const result_t *rs[2] = {&rl, &rd};
            for (int side = 0; side < 2; side++) {
                if (!rs[side]->ok) {
                    valid = 0;
                    printf("INVALID %s %s run %d: %s\n", SHAPE_NAME[sh], side ? "redis" : "riskline", run + 1,
                           rs[side]->why);
                }
                v[side][0][run] = rs[side]->eps;
                v[side][1][run] = rs[side]->p50;
                v[side][2][run] = rs[side]->p99;
                v[side][3][run] = rs[side]->max;
            }
        }
        if (bench_stop)
            break;
        double m[2][4];
        for (int side = 0; side < 2; side++)
            for (int f = 0; f < 4; f++)
                m[side][f] = median(v[side][f], runs);
        printf("%-6s %-9s %10.0f %10.0f %10.0f %10.0f  %.1fx / %.1fx\n", SHAPE_NAME[sh], "riskline", m[0][0], m[0][1],
               m[0][2], m[0][3], m[1][1] > 0 ? m[0][1] / m[1][1] : 0, m[1][2] > 0 ? m[0][2] / m[1][2] : 0);
        printf("%-6s %-9s %10.0f %10.0f %10.0f %10.0f\n", SHAPE_NAME[sh], "redis", m[1][0], m[1][1], m[1][2],
               m[1][3]);
    }
    if (bench_stop)
        return -2;
    printf("bench_report: %s (riskline: reply of the write -> Update at the SUB; redis: XADD sent -> XREAD "
           "BLOCK has it)\n",
           valid ? "valid" : "INVALID");
    return 0;
}

static size_t scaled(size_t n, double scale, size_t min)
{
    double v = (double)n * scale + 0.5;
    size_t r = v < (double)min ? min : (size_t)v;
    return r + (r & 1);  /* riskline events come in pairs */
}

int main(void)
{
    const char *build = bench_init();
    double scale = 1.0;
    const char *s = getenv("RISKLINE_BENCH_SCALE");
    char *end = NULL;
    if (s && *s && (!((scale = strtod(s, &end)) >= 0.01 && scale <= 10.0) || *end)) {
        fprintf(stderr, "bench_report: ignoring RISKLINE_BENCH_SCALE=%s (want 0.01..10), using 1\n", s);
        scale = 1.0;
    }
    int runs = (int)bench_env_long("RISKLINE_BENCH_RUNS", 3, 1, MAX_RUNS);
    procs_t pr;
    cfg_t cfg;
    memset(&pr, 0, sizeof pr);
    memset(&cfg, 0, sizeof cfg);
    cfg.events[SHAPE_IDLE] = scaled(200, scale, 20);
    cfg.events[SHAPE_LOAD] = scaled(6000, scale, 200);
    bench_fmt(cfg.tag, sizeof cfg.tag, "p%lx%llx", (unsigned long)getpid(), (unsigned long long)(rl_mono_ns() % 0xffffff));
    srand((unsigned)getpid());
    if (bench_make_tmpdir(pr.dir, sizeof pr.dir) != 0)
        return 1;
    int rc = bench_main(&pr, &cfg, runs, build);
    if (cfg.sub)
        zmq_close(cfg.sub);
    bench_child_stop(&pr.rep);
    bench_child_stop(&pr.reg);
    bench_child_stop(&pr.redis);
    if (cfg.zctx)
        zmq_ctx_term(cfg.zctx);
    bench_remove_tree(pr.dir);
    return rc == -2 ? 2 : rc == 0 ? 0 : 1;
}
