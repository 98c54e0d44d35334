/* bench_monitor.c: `make bench`, third part: riskline-monitor's risk-event ingestion against pipelined
 * hiredis XADDs of the same payloads, and a milestone sweep over 1,000,000 indexed milestones.
 *
 * Starts its own redis-server (temp dir, appendonly yes, appendfsync everysec, requirepass; the automatic
 * AOF rewrite is turned off for the runs: a fork compressing the whole dataset at random moments),
 * $RISKLINE_BUILD/bin/riskline-register and riskline-monitor with CURVE (keys made like `riskline
 * keys init`: register and monitor with signing pairs, cli as the seeded admin) on free loopback
 * ports. The admin issues an integrator key "siem" for tenant "bench" through the register
 * (KeyIssue); every sender uses it.
 *
 * Measured, every scenario RUNS times, the two sides interleaved, median run by events/s shown:
 *   event_batch    senders (threads, one DEALER each, synchronous) send EventBatch requests of BATCH
 *                  realistic RiskEvents (~300 bytes packed each, unique event ids) to the monitor;
 *                  a batch's latency is from its send until its EventAcks are back. Every ack must
 *                  say accepted, at its index, for its event id: the monitor acks an event only
 *                  after the pipeline that persisted it (rl_store_append_once) has returned.
 *   xadd_pipeline  the baseline: the same packed RiskEvents XADDed by hiredis (password auth, one
 *                  connection per sender) to a stream of the same Redis, in pipelines of BATCH;
 *                  a pipeline's latency is from its first append until its last reply. The payloads
 *                  are sent again until the run has lasted 1 s (sustained, an fsync included); after
 *                  each run its stream must hold exactly the XADDs that got an id, and is deleted.
 * with 1 and 4 senders at batch 100, and 1 sender at batch 1 (latency of a lone event). Afterwards
 * the monitor's stream must hold exactly the events it acknowledged as accepted (a batch is one
 * stream entry, its field b an EventBatch of the accepted events as sent). redis-server's
 * and riskline-monitor's CPU time per event is shown too (where the time goes).
 * Then the sweep: rl:{bench}:ms:due is filled (pipelined ZADDs) with 1,000,000 milestones scored
 * day*1e9+n as services/treatment/plan_store.c does, 100 of them due before today. Timed, median
 * of SWEEPS: ZRANGEBYSCORE -inf (today LIMIT 0 1000 (what a monitor sweep asks: O(log N + due)),
 * against ZRANGE 0 -1 WITHSCORES filtered in the client (what a scan of every milestone costs).
 * Any error or miscount makes the benchmark invalid and is reported.
 *
 * Environment (all optional):
 *   RISKLINE_BUILD           build dir holding bin/ and bench/                        (default "build")
 *   RISKLINE_BENCH_SCALE     multiplies the event counts and the milestones (0.1: quick)   (default 1)
 *   RISKLINE_BENCH_RUNS      runs per scenario, median reported                       (default 3)
 *   RISKLINE_BENCH_SECONDS   time cap per ingestion run                               (default 3)
 *   RISKLINE_BENCH_SWEEPS    timed ZRANGEBYSCORE sweeps (the full ZRANGE: a quarter)   (default 20)
 *   RISKLINE_BENCH_CMDSTATS  1: redis-server's usec per event by command, each run alone (stderr)
 *   RISKLINE_BENCH_ONE       1: the 1-sender batch-100 ingestion alone, no sweep (comparing two builds or
 *                            settings: more runs in the same time; the table shows that shape only)
 *   RISKLINE_REDIS_SERVER    redis-server binary                                      (default: from PATH)
 *
 * Exit 0 when the benchmark ran (the tables say whether it is valid), 1 when the setup failed,
 * 2 when interrupted. Children are stopped and the temp dir is removed on every path. */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "bench_floor.h"
#include "bench_util.h"
#include "riskline/v1/auth.pb-c.h"
#include "riskline/v1/envelope.pb-c.h"
#include "riskline/v1/monitor.pb-c.h"
#include "riskline/v1/status.pb-c.h"
#include "rl_clock.h"
#include "rl_ids.h"
#include "rl_keyfile.h"
#include "rl_time.h"

#define TENANT "bench"
#define SOURCE "siem-prod"
#define EVENT_STREAM "rl:{bench}:riskevent:log"
#define EVENT_COUNTS "rl:{bench}:riskevent:count"
#define EVENT_SEEN "rl:{bench}:riskevent:seen"
#define FLOOR_PREFIX "rl:{bench}:floor"
#define BASELINE_STREAM "rl:{bench}:baseline:events"
#define DUE_KEY "rl:{bench}:ms:due"
#define DUE_COUNT 100
#define SLOT 1e9 /* plan_store.c: score = day * SLOT + plan number */
#define REPLY_TIMEOUT_MS 30000
#define MAX_SENDERS 4
#define MAX_RUNS 9
#define WHY_BUF 240
#define BASE_MIN_NS 1000000000LL /* a baseline run lasts at least 1 s: sustained, fsyncs included */

typedef Riskline__V1__Envelope env_t;
typedef enum { SC_BASE = 0, SC_MON = 1, SC_COUNT } scenario_t;
static const char *const SC_NAME[SC_COUNT] = {"xadd_pipeline", "event_batch"};

/* The measured configurations: senders and events per request. */
typedef struct {
    int senders, batch;
} shape_t;
static const shape_t SHAPES[] = {{1, 100}, {MAX_SENDERS, 100}, {1, 1}};
#define NSHAPES (int)(sizeof SHAPES / sizeof SHAPES[0])

typedef struct {
    void *zctx;
    char reg_ep[64], mon_ep[64];
    bench_keys_t admin;  /* cli towards the register */
    bench_keys_t siem;   /* the integrator towards the monitor */
    int redis_port;
    pid_t mon_pid;       /* its CPU time is read around each run */
    char password[RL_REQUEST_ID_LEN];
    char tag[24];        /* event and request id prefix, unique per bench process */
    int64_t now_ms;      /* wall clock at start: events occurred just before it */
    size_t events[NSHAPES]; /* events per run, split over the senders */
    double seconds;
} cfg_t;

/* ------------------------------------------------------------------ events */

/* One realistic RiskEvent with the storage its fields point to. */
typedef struct {
    Riskline__V1__RiskEvent ev;
    Riskline__V1__Attribute attr[4];
    Riskline__V1__Attribute *attrp[4];
    char *risks[1], *assets[2], *controls[2];
    char id[64], risk[16], ip[24], ticket[32], summary[160];
} event_t;

/* Event i of sender `sender` in run slot `slot` of scenario sc: the same content for both scenarios,
 * only the id's scenario letter differs (the monitor gets ids it has not seen). */
static void event_make(event_t *e, const cfg_t *cfg, scenario_t sc, int slot, int sender, size_t i)
{
    static const char *const what[] = {"Failed logins for %zu accounts from an unusual country on the VPN gateway",
                                       "Critical CVE found on %zu hosts of the mail relay pool by the weekly scan",
                                       "Threat feed lists %zu IPs that contacted the HR database this week",
                                       "Unapproved firewall change %zu on the payment zone, found by the audit"};
    static const Riskline__V1__EventKind kinds[] = {
        RISKLINE__V1__EVENT_KIND__EVENT_KIND_INCIDENT, RISKLINE__V1__EVENT_KIND__EVENT_KIND_VULNERABILITY,
        RISKLINE__V1__EVENT_KIND__EVENT_KIND_THREAT_INTEL, RISKLINE__V1__EVENT_KIND__EVENT_KIND_CHANGE};
    static const char *const asset[] = {"vpn-gateway", "mail-relay", "hr-database", "payment-firewall"};
    static const char *const control[] = {"A.8.16", "A.8.8", "A.5.7", "A.8.32"};
    size_t k = i % 4;
    riskline__v1__risk_event__init(&e->ev);
    bench_fmt(e->id, sizeof e->id, "%s-%c%d-s%d-%06zu", cfg->tag, sc == SC_MON ? 'm' : 'x', slot, sender, i);
    bench_fmt(e->risk, sizeof e->risk, "R-%zu", 1 + i % 500);
    bench_fmt(e->ip, sizeof e->ip, "203.0.113.%zu", 1 + i % 254);
    bench_fmt(e->ticket, sizeof e->ticket, "INC-2026-%06zu", i % 1000000);
    bench_fmt(e->summary, sizeof e->summary, what[k], 2 + i % 40);
    e->ev.source = (char *)SOURCE;
    e->ev.event_id = e->id;
    e->ev.kind = kinds[k];
    e->ev.severity = (Riskline__V1__Severity)(1 + i % 5);
    e->ev.occurred_at_ms = cfg->now_ms - 60000 - (int64_t)(i % 3600) * 1000;
    e->ev.summary = e->summary;
    e->risks[0] = e->risk;
    e->ev.risk_ids = e->risks;
    e->ev.n_risk_ids = 1;
    e->assets[0] = (char *)asset[k];
    e->assets[1] = (char *)"siem-collector";
    e->ev.assets = e->assets;
    e->ev.n_assets = 2;
    e->controls[0] = (char *)control[k];
    e->controls[1] = (char *)"A.5.25";
    e->ev.controls = e->controls;
    e->ev.n_controls = 2;
    static const char *const keys[4] = {"src_ip", "rule", "ticket", "reported_by"};
    const char *vals[4] = {e->ip, "SIEM-4711 brute force", e->ticket, "soc-analyst@example.com"};
    for (int a = 0; a < 4; a++) {
        riskline__v1__attribute__init(&e->attr[a]);
        e->attr[a].key = (char *)keys[a];
        e->attr[a].value = (char *)vals[a];
        e->attrp[a] = &e->attr[a];
    }
    e->ev.attributes = e->attrp;
    e->ev.n_attributes = 4;
}

/* ------------------------------------------------------------------ senders */

/* Start gate: every sender connects and builds its requests, then all start together. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ready, go;
} gate_t;

typedef struct {
    const cfg_t *cfg;
    scenario_t sc;
    int slot, sender, batch;
    size_t nevents;        /* this sender's share */
    gate_t *gate;
    uint64_t *lat;         /* one per request (batch or pipeline), grown as needed */
    size_t nlat, cap, acked; /* requests timed, events acknowledged (accepted / given an id) */
    size_t bytes;          /* packed event bytes built */
    uint64_t errors;
    char first_error[WHY_BUF];
    int64_t start_ns, end_ns;
} sender_t;

static void sender_error(sender_t *s, const char *why)
{
    if (s->errors++ == 0)
        bench_fmt(s->first_error, sizeof s->first_error, "%s: %s", SC_NAME[s->sc], why);
}

static void sender_latency(sender_t *s, int64_t ns)
{
    if (s->nlat == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        uint64_t *p = realloc(s->lat, cap * sizeof *p);
        if (!p)
            return;
        s->lat = p;
        s->cap = cap;
    }
    s->lat[s->nlat++] = (uint64_t)ns;
}

/* Packed requests (monitor: Envelopes holding an EventBatch; baseline: one RiskEvent each). */
typedef struct {
    uint8_t **buf;
    size_t *len, n;
} frames_t;

static void frames_free(frames_t *f)
{
    for (size_t i = 0; f->buf && i < f->n; i++)
        free(f->buf[i]);
    free(f->buf);
    free(f->len);
    memset(f, 0, sizeof *f);
}

static int frames_add(frames_t *f, size_t cap, const ProtobufCMessage *m)
{
    if (!f->buf && (!(f->buf = calloc(cap, sizeof *f->buf)) || !(f->len = calloc(cap, sizeof *f->len))))
        return -1;
    size_t len = protobuf_c_message_get_packed_size(m);
    if (f->n >= cap || !(f->buf[f->n] = malloc(len ? len : 1)))
        return -1;
    f->len[f->n] = protobuf_c_message_pack(m, f->buf[f->n]);
    f->n++;
    return 0;
}

/* Builds this sender's requests outside the measurement. 0 ok. */
static int build_frames(sender_t *s, frames_t *f)
{
    size_t nreq = (s->nevents + (size_t)s->batch - 1) / (size_t)s->batch;
    event_t *ev = calloc((size_t)s->batch, sizeof *ev);
    Riskline__V1__RiskEvent **evp = calloc((size_t)s->batch, sizeof *evp);
    int rc = ev && evp ? 0 : -1;
    for (size_t r = 0; rc == 0 && r < nreq; r++) {
        size_t first = r * (size_t)s->batch, n = s->nevents - first < (size_t)s->batch ? s->nevents - first
                                                                                      : (size_t)s->batch;
        for (size_t k = 0; rc == 0 && k < n; k++) {
            event_make(&ev[k], s->cfg, s->sc, s->slot, s->sender, first + k);
            evp[k] = &ev[k].ev;
            s->bytes += riskline__v1__risk_event__get_packed_size(&ev[k].ev);
            if (s->sc == SC_BASE)
                rc = frames_add(f, s->nevents, &ev[k].ev.base);
        }
        if (rc == 0 && s->sc == SC_MON) {
            char rid[64];
            env_t env = RISKLINE__V1__ENVELOPE__INIT;
            Riskline__V1__EventBatch b = RISKLINE__V1__EVENT_BATCH__INIT;
            b.events = evp;
            b.n_events = n;
            bench_fmt(rid, sizeof rid, "%s.m%d.s%d.%zu", s->cfg->tag, s->slot, s->sender, r);
            env.schema_version = 1;
            env.request_id = rid;
            env.tenant = (char *)TENANT;
            env.body_case = RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH;
            env.event_batch = &b;
            rc = frames_add(f, nreq, &env.base);
        }
    }
    free(ev);
    free(evp);
    return rc;
}

/* One batch to the monitor: every ack accepted, at its index, for its event. Returns the events
 * acknowledged as accepted; errors counted. -1 on a transport failure (stop: a late reply would be
 * taken for the next batch's). */
static long send_batch(sender_t *s, void *sock, const uint8_t *frame, size_t len, size_t first, size_t n)
{
    char why[WHY_BUF];
    zmq_msg_t reply;
    int64_t t0 = rl_mono_ns();
    int rc = bench_roundtrip(sock, frame, len, &reply, REPLY_TIMEOUT_MS, why, sizeof why);
    int64_t t1 = rl_mono_ns();
    if (rc != 0) {
        zmq_msg_close(&reply);
        if (!bench_stop)
            sender_error(s, why);
        return -1;
    }
    sender_latency(s, t1 - t0);
    env_t *r = riskline__v1__envelope__unpack(NULL, zmq_msg_size(&reply), zmq_msg_data(&reply));
    zmq_msg_close(&reply);
    long ok = 0;
    if (!r) {
        sender_error(s, "undecodable reply");
    } else if (r->status && r->status->code != RISKLINE__V1__CODE__CODE_OK) {
        bench_fmt(why, sizeof why, "status %d field '%s': %s", (int)r->status->code, r->status->field,
                  r->status->message);
        sender_error(s, why);
    } else if (r->body_case != RISKLINE__V1__ENVELOPE__BODY_EVENT_ACKS || r->event_acks->n_acks != n) {
        sender_error(s, "reply is not EventAcks with one ack per event");
    } else {
        /* the ids are "<tag>-m<slot>-s<sender>-%06zu" (event_make): the prefix is the sender's, the
         * number is checked without formatting each id in the measured loop */
        char prefix[48];
        bench_fmt(prefix, sizeof prefix, "%s-m%d-s%d-", s->cfg->tag, s->slot, s->sender);
        size_t plen = strlen(prefix);
        for (size_t k = 0; k < n; k++) {
            const Riskline__V1__EventAck *a = r->event_acks->acks[k];
            size_t i = first + k;
            char *end = NULL;
            int same = a->index == k && !strncmp(a->event_id, prefix, plen) && strlen(a->event_id) >= plen + 6 &&
                       strtoull(a->event_id + plen, &end, 10) == i && *end == '\0';
            if (!same) {
                sender_error(s, "ack out of order or for another event");
            } else if (a->status != RISKLINE__V1__ACK_STATUS__ACK_STATUS_ACCEPTED) {
                bench_fmt(why, sizeof why, "event %s acked with status %d: %s (%s)", a->event_id, (int)a->status,
                          a->reason, a->field);
                sender_error(s, why);
            } else {
                ok++;
            }
        }
    }
    if (r)
        riskline__v1__envelope__free_unpacked(r, NULL);
    return ok;
}

/* One pipeline of XADDs: every reply an entry id. Returns the ids received; -1 when the
 * connection failed. */
static long send_pipeline(sender_t *s, redisContext *c, const frames_t *f, size_t first, size_t n)
{
    const char *argv[5] = {"XADD", BASELINE_STREAM, "*", "e", NULL};
    size_t argl[5] = {4, strlen(BASELINE_STREAM), 1, 1, 0};
    int64_t t0 = rl_mono_ns();
    for (size_t k = 0; k < n; k++) {
        argv[4] = (const char *)f->buf[first + k];
        argl[4] = f->len[first + k];
        if (redisAppendCommandArgv(c, 5, argv, argl) != REDIS_OK) {
            sender_error(s, "cannot append a command");
            return -1;
        }
    }
    long ok = 0;
    for (size_t k = 0; k < n; k++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK || !r) {
            sender_error(s, c->errstr[0] ? c->errstr : "no reply");
            return -1;
        }
        if (r->type == REDIS_REPLY_STRING)
            ok++;
        else
            sender_error(s, r->type == REDIS_REPLY_ERROR ? r->str : "XADD reply is not an id");
        freeReplyObject(r);
    }
    sender_latency(s, rl_mono_ns() - t0);
    return ok;
}

static void *sender_main(void *arg)
{
    sender_t *s = arg;
    const cfg_t *cfg = s->cfg;
    frames_t f = {NULL, NULL, 0};
    void *sock = NULL;
    redisContext *rc = NULL;
    int ok = build_frames(s, &f) == 0;
    if (!ok)
        sender_error(s, "out of memory building the requests");
    if (ok && s->sc == SC_MON) { /* connect and finish the CURVE handshake outside the measurement */
        Riskline__V1__Envelope env = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__Ping ping = RISKLINE__V1__PING__INIT;
        uint8_t req[128];
        char why[WHY_BUF];
        zmq_msg_t reply;
        env.schema_version = 1;
        env.request_id = (char *)"bench-monitor-hello";
        env.tenant = (char *)TENANT;
        env.body_case = RISKLINE__V1__ENVELOPE__BODY_PING;
        env.ping = &ping;
        sock = bench_dealer_new(cfg->zctx, cfg->mon_ep, &cfg->siem);
        ok = sock && bench_roundtrip(sock, req, riskline__v1__envelope__pack(&env, req), &reply, REPLY_TIMEOUT_MS,
                                     why, sizeof why) == 0;
        if (sock)
            zmq_msg_close(&reply);
        if (!ok)
            sender_error(s, sock ? why : "cannot connect a DEALER");
    } else if (ok) {
        rc = bench_redis_connect(cfg->redis_port, cfg->password);
        if (!rc)
            sender_error(s, "cannot connect to Redis");
        else
            redisSetTimeout(rc, (struct timeval){REPLY_TIMEOUT_MS / 1000, 0});
        ok = rc != NULL;
    }
    pthread_mutex_lock(&s->gate->mu);
    s->gate->ready++;
    pthread_cond_broadcast(&s->gate->cv);
    while (!s->gate->go)
        pthread_cond_wait(&s->gate->cv, &s->gate->mu);
    pthread_mutex_unlock(&s->gate->mu);

    s->start_ns = rl_mono_ns();
    int64_t deadline = s->start_ns + (int64_t)(cfg->seconds * 1e9);
    size_t nreq = (s->nevents + (size_t)s->batch - 1) / (size_t)s->batch;
    for (size_t r = 0; ok && !bench_stop; r++) {
        if (r == nreq) { /* the baseline sends its payloads again until it has run BASE_MIN_NS */
            if (s->sc != SC_BASE || rl_mono_ns() - s->start_ns >= BASE_MIN_NS)
                break;
            r = 0;
        }
        size_t first = r * (size_t)s->batch;
        size_t n = s->nevents - first < (size_t)s->batch ? s->nevents - first : (size_t)s->batch;
        long got = s->sc == SC_MON ? send_batch(s, sock, f.buf[r], f.len[r], first, n)
                                   : send_pipeline(s, rc, &f, first, n);
        if (got < 0)
            break;
        s->acked += (size_t)got;
        if (rl_mono_ns() >= deadline)
            break;
    }
    s->end_ns = rl_mono_ns();
    if (sock)
        zmq_close(sock);
    redisFree(rc);
    frames_free(&f);
    return NULL;
}

typedef struct {
    double eps, p50_us, p99_us, elapsed_s, mean_bytes;
    double redis_us, mon_us; /* CPU time of redis-server and riskline-monitor per event */
    size_t events, requests;
    uint64_t errors;
    char first_error[WHY_BUF];
} result_t;

/* CPU seconds (user + system) redis-server reports, or -1. */
static double redis_cpu_s(const cfg_t *cfg)
{
    redisContext *c = bench_redis_connect(cfg->redis_port, cfg->password);
    redisReply *r = c ? redisCommand(c, "INFO cpu") : NULL;
    const char *sys = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, "used_cpu_sys:") : NULL;
    const char *user = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, "used_cpu_user:") : NULL;
    double v = sys && user ? strtod(sys + 13, NULL) + strtod(user + 14, NULL) : -1.0;
    freeReplyObject(r);
    redisFree(c);
    return v;
}

/* Where redis-server's time went over the whole benchmark: INFO commandstats, top lines by usec. */
static void print_commandstats(const cfg_t *cfg)
{
    redisContext *c = bench_redis_connect(cfg->redis_port, cfg->password);
    redisReply *r = c ? redisCommand(c, "INFO commandstats") : NULL;
    if (r && r->type == REDIS_REPLY_STRING) {
        printf("\nredis-server time by command (INFO commandstats, whole benchmark):\n");
        for (char *line = strtok(r->str, "\r\n"); line; line = strtok(NULL, "\r\n"))
            if (!strncmp(line, "cmdstat_", 8) && !strstr(line, "usec=0,") && !strstr(line, "usec=1,"))
                printf("  %s\n", line + 8);
    }
    freeReplyObject(r);
    redisFree(c);
}

/* RISKLINE_BENCH_CMDSTATS=1 (profiling): redis-server's time in each run alone, on stderr, per
 * event: by command (INFO commandstats, reset before every run), and for event_batch runs by script
 * (SLOWLOG with every command logged: on for those runs only, since logging each of the baseline's
 * XADDs would slow it and flatter the ratio). cmdstats_begin before a run, cmdstats_end after. */
static void cmdstats_begin(const cfg_t *cfg, scenario_t sc)
{
    redisContext *c = bench_redis_connect(cfg->redis_port, cfg->password);
    const char *cmds[] = {"CONFIG SET slowlog-max-len 100000",
                          sc == SC_MON ? "CONFIG SET slowlog-log-slower-than 0"
                                       : "CONFIG SET slowlog-log-slower-than 10000",
                          "SLOWLOG RESET", "CONFIG RESETSTAT"};
    for (int i = 0; i < 4 && c; i++)
        freeReplyObject(redisCommand(c, cmds[i]));
    redisFree(c);
}

/* Usec and calls of each script run (EVALSHA, told apart by their first 8 sha digits) in the slow log. */
static void print_scripts(const redisReply *r, const char *title)
{
    enum { SCRIPTS = 8 };
    char sha[SCRIPTS][12];
    long long us[SCRIPTS], calls[SCRIPTS];
    int ns = 0;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 4 || e->element[3]->type != REDIS_REPLY_ARRAY ||
            e->element[3]->elements < 2 || e->element[3]->element[0]->type != REDIS_REPLY_STRING ||
            e->element[3]->element[1]->type != REDIS_REPLY_STRING ||
            strcasecmp(e->element[3]->element[0]->str, "evalsha"))
            continue;
        int k = 0;
        while (k < ns && strncmp(sha[k], e->element[3]->element[1]->str, 8))
            k++;
        if (k == ns && ns < SCRIPTS) {
            bench_fmt(sha[k], sizeof sha[k], "%.8s", e->element[3]->element[1]->str);
            us[k] = calls[k] = 0;
            ns++;
        }
        if (k < ns) {
            us[k] += e->element[2]->integer;
            calls[k]++;
        }
    }
    fprintf(stderr, "    %s, scripts (slowlog):", title);
    for (int k = 0; k < ns; k++)
        fprintf(stderr, " %s %lld calls %.1f us a call;", sha[k], calls[k], (double)us[k] / (double)calls[k]);
    fprintf(stderr, "\n");
}

static void cmdstats_end(const cfg_t *cfg, scenario_t sc, size_t events)
{
    redisContext *c = bench_redis_connect(cfg->redis_port, cfg->password);
    redisReply *r = c ? redisCommand(c, "INFO commandstats") : NULL;
    if (r && r->type == REDIS_REPLY_STRING && events) {
        fprintf(stderr, "    %s, redis usec per event by command:", SC_NAME[sc]);
        for (char *line = strtok(r->str, "\r\n"); line; line = strtok(NULL, "\r\n")) {
            char name[64];
            long long calls = 0, usec = 0;
            if (sscanf(line, "cmdstat_%63[^:]:calls=%lld,usec=%lld", name, &calls, &usec) == 3 &&
                usec * 100 >= (long long)events)
                fprintf(stderr, " %s %.2f (%lld calls)", name, (double)usec / (double)events, calls);
        }
        fprintf(stderr, "\n");
    }
    freeReplyObject(r);
    r = c && sc == SC_MON ? redisCommand(c, "SLOWLOG GET -1") : NULL;
    if (r && r->type == REDIS_REPLY_ARRAY)
        print_scripts(r, SC_NAME[sc]);
    freeReplyObject(r);
    if (c)
        freeReplyObject(redisCommand(c, "CONFIG SET slowlog-log-slower-than 10000"));
    redisFree(c);
}

/* CPU seconds (user + system) of process pid from /proc, or -1. */
static double proc_cpu_s(pid_t pid)
{
    char path[64], line[1024];
    bench_fmt(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *fp = fopen(path, "r");
    const char *p = fp && fgets(line, sizeof line, fp) ? strrchr(line, ')') : NULL;
    unsigned long long ut = 0, st = 0;
    int ok = p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2;
    if (fp)
        fclose(fp);
    return ok ? (double)(ut + st) / (double)sysconf(_SC_CLK_TCK) : -1.0;
}

/* One run of scenario sc in shape `sh`. 0 ok (errors are in res), -1 when threads did not start. */
static int run_scenario(const cfg_t *cfg, scenario_t sc, int sh, int slot, result_t *res)
{
    const shape_t *shape = &SHAPES[sh];
    sender_t s[MAX_SENDERS];
    pthread_t th[MAX_SENDERS];
    gate_t gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    size_t per = cfg->events[sh] / (size_t)shape->senders, built = 0;
    int started = 0;
    memset(res, 0, sizeof *res);
    memset(s, 0, sizeof s);
    int cmdstats = getenv("RISKLINE_BENCH_CMDSTATS") && !strcmp(getenv("RISKLINE_BENCH_CMDSTATS"), "1");
    if (cmdstats)
        cmdstats_begin(cfg, sc);
    double redis0 = redis_cpu_s(cfg), mon0 = proc_cpu_s(cfg->mon_pid);
    for (int i = 0; i < shape->senders; i++) {
        s[i] = (sender_t){.cfg = cfg, .sc = sc, .slot = slot, .sender = i, .batch = shape->batch, .nevents = per,
                          .gate = &gate};
        if (pthread_create(&th[i], NULL, sender_main, &s[i]) != 0)
            break;
        started++;
    }
    pthread_mutex_lock(&gate.mu);
    while (gate.ready < started)
        pthread_cond_wait(&gate.cv, &gate.mu);
    gate.go = 1;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&gate.mu);
    pthread_cond_destroy(&gate.cv);
    double redis1 = redis_cpu_s(cfg), mon1 = proc_cpu_s(cfg->mon_pid);
    size_t got = 0;
    for (int i = 0; i < started; i++)
        got += s[i].acked;
    if (cmdstats)
        cmdstats_end(cfg, sc, got);
    size_t n = 0, bytes = 0;
    for (int i = 0; i < started; i++)
        n += s[i].nlat;
    uint64_t *all = calloc(n + 1, sizeof *all);
    if (started < shape->senders || !all) {
        fprintf(stderr, "bench_monitor: cannot start %d sender threads\n", shape->senders);
        for (int i = 0; i < started; i++)
            free(s[i].lat);
        free(all);
        return -1;
    }
    int64_t start = INT64_MAX, end = 0;
    n = 0;
    for (int i = 0; i < shape->senders; i++) {
        start = s[i].start_ns < start ? s[i].start_ns : start;
        end = s[i].end_ns > end ? s[i].end_ns : end;
        if (s[i].nlat)
            memcpy(all + n, s[i].lat, s[i].nlat * sizeof *all);
        n += s[i].nlat;
        free(s[i].lat);
        res->events += s[i].acked;
        bytes += s[i].bytes;
        built += s[i].nevents;
        if (s[i].errors && !res->errors)
            bench_fmt(res->first_error, sizeof res->first_error, "%s", s[i].first_error);
        res->errors += s[i].errors;
    }
    qsort(all, n, sizeof *all, bench_cmp_u64);
    res->requests = n;
    res->elapsed_s = end > start ? (double)(end - start) / 1e9 : 0.0;
    res->eps = res->elapsed_s > 0 ? (double)res->events / res->elapsed_s : 0.0;
    res->p50_us = bench_pct_us(all, n, 50.0);
    res->p99_us = bench_pct_us(all, n, 99.0);
    res->mean_bytes = built ? (double)bytes / (double)built : 0.0;
    res->redis_us = redis0 >= 0 && redis1 >= 0 && res->events ? (redis1 - redis0) * 1e6 / (double)res->events : 0;
    res->mon_us = mon0 >= 0 && mon1 >= 0 && res->events ? (mon1 - mon0) * 1e6 / (double)res->events : 0;
    free(all);
    return 0;
}

/* ------------------------------------------------------------------ setup */

typedef struct {
    char dir[BENCH_PATH_BUF];
    int port[3]; /* redis, register, monitor */
    bench_child_t redis, reg, mon;
    char redis_version[32];
} procs_t;

/* Keys like `riskline keys init` (register and monitor with signing pairs, cli the seeded admin) in
 * <dir>/keys; siem is a fresh pair the admin registers as an integrator. 0 ok. */
static int make_keys(const procs_t *pr, cfg_t *cfg, rl_keyfile_t *siem)
{
    rl_keyfile_t reg, mon, cli;
    rl_error_t kerr;
    char kdir[BENCH_PATH_BUF + 8];
    bench_fmt(kdir, sizeof kdir, "%s/keys", pr->dir);
    if (rl_keyfile_generate(&reg, 1, &kerr) || rl_keyfile_save(&reg, kdir, "register", &kerr) ||
        rl_keyfile_generate(&mon, 1, &kerr) || rl_keyfile_save(&mon, kdir, "monitor", &kerr) ||
        rl_keyfile_generate(&cli, 0, &kerr) || rl_keyfile_save(&cli, kdir, "cli", &kerr) ||
        rl_keyfile_generate(siem, 0, &kerr)) {
        fprintf(stderr, "bench_monitor: keys: %s\n", kerr.message);
        return -1;
    }
    memcpy(cfg->admin.server, reg.curve_public, 41);
    memcpy(cfg->admin.pub, cli.curve_public, 41);
    memcpy(cfg->admin.sec, cli.curve_secret, 41);
    memcpy(cfg->siem.server, mon.curve_public, 41);
    memcpy(cfg->siem.pub, siem->curve_public, 41);
    memcpy(cfg->siem.sec, siem->curve_secret, 41);
    return 0;
}

static int start_all(procs_t *pr, cfg_t *cfg, const char *build)
{
    char exe_reg[BENCH_PATH_BUF], exe_mon[BENCH_PATH_BUF], var_env[BENCH_PATH_BUF + 32];
    char port_env[48], pass_env[64], reg_ep_env[96], mon_ep_env[96];
    if (bench_fmt(exe_reg, sizeof exe_reg, "%s/bin/riskline-register", build) ||
        bench_fmt(exe_mon, sizeof exe_mon, "%s/bin/riskline-monitor", build) ||
        bench_fmt(var_env, sizeof var_env, "RISKLINE_VAR_DIR=%s", pr->dir))
        return -1;
    if (bench_free_ports(pr->port, 3) != 0 || rl_request_id_new(cfg->password) != 0) {
        fprintf(stderr, "bench_monitor: no free ports or no randomness\n");
        return -1;
    }
    cfg->redis_port = pr->port[0];
    if (bench_redis_start(&pr->redis, pr->dir, pr->port[0], cfg->password, pr->redis_version,
                          sizeof pr->redis_version) != 0)
        return -1;
    bench_fmt(cfg->reg_ep, sizeof cfg->reg_ep, "tcp://127.0.0.1:%d", pr->port[1]);
    bench_fmt(cfg->mon_ep, sizeof cfg->mon_ep, "tcp://127.0.0.1:%d", pr->port[2]);
    bench_fmt(port_env, sizeof port_env, "RISKLINE_REDIS_PORT=%d", pr->port[0]);
    bench_fmt(pass_env, sizeof pass_env, "RISKLINE_REDIS_PASSWORD=%s", cfg->password);
    bench_fmt(reg_ep_env, sizeof reg_ep_env, "RISKLINE_REGISTER_ENDPOINT=%s", cfg->reg_ep);
    bench_fmt(mon_ep_env, sizeof mon_ep_env, "RISKLINE_MONITOR_ENDPOINT=%s", cfg->mon_ep);
    pr->reg.name = "riskline-register";
    pr->mon.name = "riskline-monitor";
    bench_fmt(pr->reg.log, sizeof pr->reg.log, "%s/register.log", pr->dir);
    bench_fmt(pr->mon.log, sizeof pr->mon.log, "%s/monitor.log", pr->dir);
    char *reg_argv[] = {exe_reg, NULL}, *mon_argv[] = {exe_mon, NULL};
    char *svc_env[] = {"RISKLINE_REDIS_HOST=127.0.0.1", port_env, pass_env, reg_ep_env, mon_ep_env, var_env,
                       "RISKLINE_LOG_LEVEL=warn", NULL};
    /* the monitor answers the admin's ping too: the integrator key does not exist yet */
    bench_keys_t mon_admin = cfg->siem;
    memcpy(mon_admin.pub, cfg->admin.pub, 41);
    memcpy(mon_admin.sec, cfg->admin.sec, 41);
    if (bench_start_and_wait(&pr->reg, reg_argv, svc_env, cfg->zctx, cfg->reg_ep, 1, &cfg->admin) != 0 ||
        bench_start_and_wait(&pr->mon, mon_argv, svc_env, cfg->zctx, cfg->mon_ep, 1, &mon_admin) != 0)
        return -1;
    return 0;
}

/* The admin issues the integrator key "siem" (tenant bench) through the register. 0 ok. */
static int issue_key(const cfg_t *cfg, const char *pub)
{
    void *sock = bench_dealer_new(cfg->zctx, cfg->reg_ep, &cfg->admin);
    if (!sock)
        return -1;
    env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__KeyIssue ki = RISKLINE__V1__KEY_ISSUE__INIT;
    char *roles[1] = {(char *)"integrator"}, *tenants[1] = {(char *)TENANT}, rid[64], why[WHY_BUF] = "";
    bench_fmt(rid, sizeof rid, "%s.key-issue", cfg->tag);
    ki.public_key = (char *)pub;
    ki.name = (char *)"siem";
    ki.roles = roles;
    ki.n_roles = 1;
    ki.tenants = tenants;
    ki.n_tenants = 1;
    ki.comment = (char *)"bench_monitor";
    env.schema_version = 1;
    env.request_id = rid;
    env.tenant = (char *)TENANT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_KEY_ISSUE;
    env.key_issue = &ki;
    uint8_t req[1024];
    size_t len = riskline__v1__envelope__get_packed_size(&env);
    zmq_msg_t reply;
    int ok = len <= sizeof req &&
             bench_roundtrip(sock, req, riskline__v1__envelope__pack(&env, req), &reply, REPLY_TIMEOUT_MS, why,
                             sizeof why) == 0;
    if (ok) {
        env_t *r = riskline__v1__envelope__unpack(NULL, zmq_msg_size(&reply), zmq_msg_data(&reply));
        ok = r && (!r->status || r->status->code == RISKLINE__V1__CODE__CODE_OK) &&
             r->body_case == RISKLINE__V1__ENVELOPE__BODY_KEY_RESULT;
        if (!ok)
            bench_fmt(why, sizeof why, "%s", r && r->status ? r->status->message : "unexpected reply");
        if (r)
            riskline__v1__envelope__free_unpacked(r, NULL);
        zmq_msg_close(&reply);
    }
    zmq_close(sock);
    if (!ok)
        fprintf(stderr, "bench_monitor: key issue siem: %s\n", why);
    return ok ? 0 : -1;
}

/* The number a command on key (and arg) replies with, as an integer or a string; -1 on failure. */
static long long redis_number(redisContext *c, const char *cmd, const char *key, const char *arg)
{
    redisReply *r = arg ? redisCommand(c, cmd, key, arg) : redisCommand(c, cmd, key);
    long long v = !r ? -1 : r->type == REDIS_REPLY_INTEGER ? r->integer
                          : r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : -1;
    freeReplyObject(r);
    return v;
}

/* ------------------------------------------------------------------ sweep */

typedef struct {
    size_t milestones, found_index, found_scan;
    double fill_s, index_p50_us, index_max_us, scan_p50_us, scan_max_us;
    int index_runs, scan_runs;
    char error[WHY_BUF];
} sweep_t;

/* Fills DUE_KEY with n milestones TP-<p>/M-<k> (10 a plan) scored day*1e9+p: DUE_COUNT of them due
 * 1..30 days before today, the rest 1..1095 days after it. 0 ok. */
static int sweep_fill(redisContext *c, size_t n, int64_t today, sweep_t *sw)
{
    enum { PAIRS = 1000, DEPTH = 16 };
    static char member[PAIRS][32], score[PAIRS][24];
    const char *argv[2 + 2 * PAIRS];
    size_t argl[2 + 2 * PAIRS], every = n / DUE_COUNT, pending = 0;
    argv[0] = "ZADD";
    argv[1] = DUE_KEY;
    argl[0] = 4;
    argl[1] = strlen(DUE_KEY);
    for (size_t i = 0; i < n;) {
        int k = 0;
        for (; k < PAIRS && i < n; k++, i++) {
            size_t plan = i / 10 + 1;
            int due = i % every == every / 2 && i / every < DUE_COUNT;
            int64_t day = due ? today - 1 - (int64_t)(i % 30) : today + 1 + (int64_t)(i * 7919 % 1095);
            bench_fmt(member[k], sizeof member[k], "TP-%zu/M-%zu", plan, i % 10 + 1);
            bench_fmt(score[k], sizeof score[k], "%.0f", (double)day * SLOT + (double)plan);
            argv[2 + 2 * k] = score[k];
            argl[2 + 2 * k] = strlen(score[k]);
            argv[3 + 2 * k] = member[k];
            argl[3 + 2 * k] = strlen(member[k]);
        }
        /* hiredis copies the command into its output buffer: the arrays can be reused at once */
        if (redisAppendCommandArgv(c, 2 + 2 * k, argv, argl) != REDIS_OK)
            return -1;
        pending++;
        while (pending > 0 && (pending >= DEPTH || i >= n)) {
            redisReply *r = NULL;
            if (redisGetReply(c, (void **)&r) != REDIS_OK || !r || r->type != REDIS_REPLY_INTEGER) {
                bench_fmt(sw->error, sizeof sw->error, "ZADD failed: %s", r && r->str ? r->str : c->errstr);
                freeReplyObject(r);
                return -1;
            }
            freeReplyObject(r);
            pending--;
        }
    }
    return 0;
}

/* Times `runs` calls of one sweep query; median and max into p50/max, the due milestones it found
 * into *found (the same each time, or an error). 0 ok. */
static int sweep_time(redisContext *c, int scan, int runs, double limit, double *p50, double *max, size_t *found,
                      sweep_t *sw)
{
    uint64_t t[64];
    char lim[32];
    bench_fmt(lim, sizeof lim, "(%.0f", limit);
    for (int i = 0; i < runs && !bench_stop; i++) {
        int64_t t0 = rl_mono_ns();
        redisReply *r = scan ? redisCommand(c, "ZRANGE %s 0 -1 WITHSCORES", DUE_KEY)
                             : redisCommand(c, "ZRANGEBYSCORE %s -inf %s LIMIT 0 1000", DUE_KEY, lim);
        size_t due = 0;
        if (r && r->type == REDIS_REPLY_ARRAY && scan) { /* the scan decides in the client what is due */
            for (size_t k = 1; k < r->elements; k += 2)
                due += strtod(r->element[k]->str, NULL) < limit;
        } else if (r && r->type == REDIS_REPLY_ARRAY) {
            due = r->elements;
        }
        t[i] = (uint64_t)(rl_mono_ns() - t0);
        int bad = !r || r->type != REDIS_REPLY_ARRAY || (i > 0 && due != *found);
        freeReplyObject(r);
        if (bad) {
            bench_fmt(sw->error, sizeof sw->error, "%s failed or found %zu, then %zu", scan ? "ZRANGE" : "ZRANGEBYSCORE",
                      *found, due);
            return -1;
        }
        *found = due;
    }
    qsort(t, (size_t)runs, sizeof t[0], bench_cmp_u64);
    *p50 = bench_pct_us(t, (size_t)runs, 50.0);
    *max = (double)t[runs - 1] / 1000.0;
    return 0;
}

static int sweep_run(const cfg_t *cfg, size_t n, int sweeps, sweep_t *sw)
{
    memset(sw, 0, sizeof *sw);
    sw->milestones = n;
    sw->index_runs = sweeps;
    sw->scan_runs = sweeps / 4 < 1 ? 1 : sweeps / 4;
    redisContext *c = bench_redis_connect(cfg->redis_port, cfg->password);
    if (!c)
        return -1;
    redisSetTimeout(c, (struct timeval){60, 0});
    int64_t today = rl_days_from_ms(cfg->now_ms);
    int64_t t0 = rl_mono_ns();
    int rc = sweep_fill(c, n, today, sw);
    sw->fill_s = (double)(rl_mono_ns() - t0) / 1e9;
    if (rc == 0 && redis_number(c, "ZCARD %s", DUE_KEY, NULL) != (long long)n) {
        bench_fmt(sw->error, sizeof sw->error, "ZCARD %s is not %zu", DUE_KEY, n);
        rc = -1;
    }
    double limit = (double)today * SLOT;
    if (rc == 0)
        rc = sweep_time(c, 0, sw->index_runs, limit, &sw->index_p50_us, &sw->index_max_us, &sw->found_index, sw);
    if (rc == 0)
        rc = sweep_time(c, 1, sw->scan_runs, limit, &sw->scan_p50_us, &sw->scan_max_us, &sw->found_scan, sw);
    redisFree(c);
    return rc;
}

/* ------------------------------------------------------------------ main */

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int by_eps(const void *a, const void *b)
{
    double x = ((const result_t *)a)->eps, y = ((const result_t *)b)->eps;
    return (x > y) - (x < y);
}

static void print_row(scenario_t sc, int sh, const result_t *r, const result_t *base)
{
    char ratio[16] = "", mon[16] = "-";
    if (sc == SC_MON && base->eps > 0)
        bench_fmt(ratio, sizeof ratio, "%.2f", r->eps / base->eps);
    if (sc == SC_MON)
        bench_fmt(mon, sizeof mon, "%.1f", r->mon_us);
    printf("%-14s %7d %5d %10.0f %10.1f %10.1f %11s %8.1f %8s %9zu %6llu\n", SC_NAME[sc], SHAPES[sh].senders,
           SHAPES[sh].batch, r->eps, r->p50_us, r->p99_us, ratio, r->redis_us, mon, r->events,
           (unsigned long long)r->errors);
}

/* After a baseline run: its stream holds exactly the XADDs that got an id (else an error is
 * counted in x); then it is deleted, outside the measurement. */
static void baseline_reset(const cfg_t *cfg, result_t *x)
{
    redisContext *c = bench_redis_connect(cfg->redis_port, cfg->password);
    long long n = c ? redis_number(c, "XLEN %s", BASELINE_STREAM, NULL) : -1;
    if (c && redis_number(c, "DEL %s", BASELINE_STREAM, NULL) < 0)
        n = -1;
    redisFree(c);
    if (n != (long long)x->events && x->errors++ == 0)
        bench_fmt(x->first_error, sizeof x->first_error, "%s holds %lld entries after %zu XADD ids", BASELINE_STREAM,
                  n, x->events);
}

/* The monitor's stream holds exactly what it acknowledged as accepted; prints the check. 0 when it holds. */
/* Events held in the monitor's stream: an entry per batch, its field b an EventBatch of them. -1 on error. */
static long long stream_events(redisContext *c)
{
    long long n = 0;
    char start[64] = "-";
    for (;;) {
        redisReply *r = redisCommand(c, "XRANGE %s %s + COUNT 1000", EVENT_STREAM, start);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(r);
            return -1;
        }
        size_t got = r->elements;
        for (size_t i = 0; i < got; i++) {
            redisReply *fv = r->element[i]->element[1];
            for (size_t k = 0; k + 1 < fv->elements; k += 2) {
                if (strcmp(fv->element[k]->str, "b"))  /* the batch's events (rl_ingest.h) */
                    continue;
                Riskline__V1__EventBatch *b = riskline__v1__event_batch__unpack(
                    NULL, fv->element[k + 1]->len, (const uint8_t *)fv->element[k + 1]->str);
                if (!b) {
                    freeReplyObject(r);
                    return -1;
                }
                n += (long long)b->n_events;
                riskline__v1__event_batch__free_unpacked(b, NULL);
            }
            snprintf(start, sizeof start, "(%s", r->element[i]->element[0]->str);
        }
        freeReplyObject(r);
        if (got < 1000)
            return n;
    }
}

/* The correlator's backlog on the ingestion log: entries not yet delivered to its group (lag)
 * plus those delivered and not acknowledged (pending); -1 when Redis cannot tell. */
static long long correlator_backlog(redisContext *c)
{
    redisReply *r = redisCommand(c, "XINFO GROUPS %s", EVENT_STREAM);
    long long lag = -1, pending = -1;
    for (size_t g = 0; r && r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
        const redisReply *grp = r->element[g];
        int ours = 0;
        long long l = -1, p = -1;
        for (size_t k = 0; grp->type == REDIS_REPLY_ARRAY && k + 1 < grp->elements; k += 2) {
            const char *f = grp->element[k]->str;
            const redisReply *v = grp->element[k + 1];
            if (!f)
                continue;
            if (!strcmp(f, "name") && v->str && !strcmp(v->str, "monitor"))
                ours = 1;
            else if (!strcmp(f, "lag") && v->type == REDIS_REPLY_INTEGER)
                l = v->integer;
            else if (!strcmp(f, "pending") && v->type == REDIS_REPLY_INTEGER)
                p = v->integer;
        }
        if (ours) {
            lag = l;
            pending = p;
        }
    }
    freeReplyObject(r);
    return lag < 0 || pending < 0 ? -1 : lag + pending;
}

/* One batch of 100 events as the 1-sender scenarios send it, packed: each event (the baseline's
 * XADDs), the EventBatch (the monitor's entry), the Envelope a sender sends and the EventAcks it
 * gets back (their sizes). Ids of a slot no run uses. 0 ok; free with floor_batch_free. */
typedef struct {
    bench_floor_batch_t b;
    uint8_t **event, *batch;
    size_t *event_len;
} floor_batch_t;

static void floor_batch_free(floor_batch_t *f)
{
    for (size_t k = 0; f->event && k < f->b.n; k++)
        free(f->event[k]);
    free(f->event);
    free(f->event_len);
    free(f->batch);
}

static int floor_batch_make(const cfg_t *cfg, floor_batch_t *f)
{
    enum { N = 100 };
    memset(f, 0, sizeof *f);
    event_t *ev = calloc(N, sizeof *ev);
    Riskline__V1__RiskEvent *evp[N];
    Riskline__V1__EventAck ack[N], *ackp[N];
    f->event = calloc(N, sizeof *f->event);
    f->event_len = calloc(N, sizeof *f->event_len);
    int rc = ev && f->event && f->event_len ? 0 : -1;
    for (size_t k = 0; rc == 0 && k < N; k++) {
        event_make(&ev[k], cfg, SC_MON, NSHAPES * MAX_RUNS, 0, k);
        evp[k] = &ev[k].ev;
        f->event_len[k] = riskline__v1__risk_event__get_packed_size(evp[k]);
        if (!(f->event[k] = malloc(f->event_len[k])))
            rc = -1;
        else
            riskline__v1__risk_event__pack(evp[k], f->event[k]);
        f->b.n = k + 1;
        riskline__v1__event_ack__init(&ack[k]);
        ack[k].source = evp[k]->source;
        ack[k].event_id = evp[k]->event_id;
        ack[k].status = RISKLINE__V1__ACK_STATUS__ACK_STATUS_ACCEPTED;
        ack[k].index = (uint32_t)k;
        ackp[k] = &ack[k];
    }
    Riskline__V1__EventBatch batch = RISKLINE__V1__EVENT_BATCH__INIT;
    batch.events = evp;
    batch.n_events = N;
    Riskline__V1__EventAcks acks = RISKLINE__V1__EVENT_ACKS__INIT;
    acks.acks = ackp;
    acks.n_acks = N;
    env_t req = RISKLINE__V1__ENVELOPE__INIT, reply = RISKLINE__V1__ENVELOPE__INIT;
    req.schema_version = reply.schema_version = 1;
    req.request_id = reply.request_id = (char *)"bench.floor.0";
    req.tenant = reply.tenant = (char *)TENANT;
    req.body_case = RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH;
    req.event_batch = &batch;
    reply.body_case = RISKLINE__V1__ENVELOPE__BODY_EVENT_ACKS;
    reply.event_acks = &acks;
    if (rc == 0) {
        f->b.batch_len = riskline__v1__event_batch__get_packed_size(&batch);
        if (!(f->batch = malloc(f->b.batch_len)))
            rc = -1;
        else
            riskline__v1__event_batch__pack(&batch, f->batch);
        f->b.request_len = riskline__v1__envelope__get_packed_size(&req);
        f->b.reply_len = riskline__v1__envelope__get_packed_size(&reply);
    }
    f->b.event = (const uint8_t *const *)f->event;
    f->b.event_len = f->event_len;
    f->b.batch = f->batch;
    f->b.source = SOURCE;
    free(ev);
    return rc;
}

/* What one batch's round trip costs at least, part by part, and so what ratio one sender can
 * reach at most: a sender has one batch in flight, so its events/s are 100 / the round trip. */
static void floors(const cfg_t *cfg, int rounds, const result_t *mon)
{
    floor_batch_t fb;
    bench_floor_t fl;
    memset(&fl, 0, sizeof fl);
    bench_fmt(fl.error, sizeof fl.error, "no Redis connection, or out of memory");
    redisContext *c = bench_redis_connect(cfg->redis_port, cfg->password);
    int rc = floor_batch_make(cfg, &fb) == 0 && c ? bench_floor_run(c, EVENT_SEEN, FLOOR_PREFIX, &fb.b, rounds, &fl)
                                                  : -1;
    if (rc == 0) {
        double need = fl.dedupe.mean + fl.curve.mean;
        printf("\nfloors of one batch of 100 events (1 sender), %d round trips each, the Redis ones interleaved:"
               " median us (mean)\n", fl.rounds);
        printf("  redis  XADD of each event, one pipeline: the baseline's round trip            %7.1f (%.1f)\n",
               fl.xadds.p50, fl.xadds.mean);
        printf("  redis  SMISMEMBER + SADD of 100 new ids + XADD of the batch, one pipeline     %7.1f (%.1f)  "
               "seen set of %lld\n", fl.dedupe.p50, fl.dedupe.mean, fl.members);
        printf("  redis  the same as one transaction: MULTI, XADD, EVAL (SMISMEMBER, SADD), EXEC %6.1f (%.1f)\n",
               fl.tx.p50, fl.tx.mean);
        printf("  zmq    CURVE DEALER -> ROUTER, %zu bytes out, %zu back, no work at either end %6.1f (%.1f)\n",
               fb.b.request_len, fb.b.reply_len, fl.curve.p50, fl.curve.mean);
        printf("an exact, durable, de-duplicating append behind a CURVE round trip: %.1f us a batch at least "
               "(means), %.2fx the baseline's;\none sender's event_batch can reach at most %.2f of the baseline "
               "before the monitor decodes, checks and acks a single event (measured: %.1f us p50 a batch)\n",
               need, fl.xadds.mean > 0 ? need / fl.xadds.mean : 0.0, need > 0 ? fl.xadds.mean / need : 0.0,
               mon->p50_us);
    } else {
        printf("\nfloors: not measured (%s)\n", fl.error);
    }
    floor_batch_free(&fb);
    redisFree(c);
}

/* The sweep's table: its times, and whether it found exactly the due milestones. */
static void print_sweep(const sweep_t *sw, int sweep_rc)
{
    printf("\nsweep of %s: %zu milestones, %d due before today\n", DUE_KEY, sw->milestones, DUE_COUNT);
    printf("fill: %.1f s (%.0f ZADD members/s, pipelined, 1000 a command)\n", sw->fill_s,
           sw->fill_s > 0 ? (double)sw->milestones / sw->fill_s : 0.0);
    printf("%-44s %6s %11s %11s %6s\n", "query", "runs", "median us", "max us", "due");
    printf("%-44s %6d %11.1f %11.1f %6zu\n", "ZRANGEBYSCORE -inf (today LIMIT 0 1000 (index)", sw->index_runs,
           sw->index_p50_us, sw->index_max_us, sw->found_index);
    printf("%-44s %6d %11.1f %11.1f %6zu\n", "ZRANGE 0 -1 WITHSCORES + filter (scan)", sw->scan_runs, sw->scan_p50_us,
           sw->scan_max_us, sw->found_scan);
    int sweep_ok = sweep_rc == 0 && sw->found_index == DUE_COUNT && sw->found_scan == DUE_COUNT;
    if (sweep_ok)
        printf("the index answers in %.3f ms, %.0fx faster than the scan\n", sw->index_p50_us / 1000.0,
               sw->index_p50_us > 0 ? sw->scan_p50_us / sw->index_p50_us : 0.0);
    else
        printf("INVALID sweep: %s\n", sw->error[0] ? sw->error : "the due count is not 100");
}

/* Correlation runs beside ingestion (rl_service_t.work: its own thread) and may fall behind: how much was left
 * after the last run, and how long the idle monitor took to correlate it. Informational. */
static void correlation_drain(const cfg_t *cfg)
{
    redisContext *c = bench_redis_connect(cfg->redis_port, cfg->password);
    if (!c)
        return;
    int64_t t0 = rl_mono_ns();
    long long left = correlator_backlog(c), now = left;
    while (now > 0 && rl_mono_ns() - t0 < 120 * 1000000000LL && !bench_stop) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
        now = correlator_backlog(c);
    }
    double s = (double)(rl_mono_ns() - t0) / 1e9;
    if (left < 0 || now < 0)
        printf("correlation: the monitor group's lag is unknown\n");
    else
        printf("correlation: %lld ingestion entries (batches) not yet correlated after the last run; %s %.2f s later "
               "(%.0f entries/s once idle)\n",
               left, now == 0 ? "all correlated" : "STILL NOT correlated", s, s > 0 ? (double)(left - now) / s : 0.0);
    redisFree(c);
}

static int check_persisted(const cfg_t *cfg, size_t acked)
{
    redisContext *c = bench_redis_connect(cfg->redis_port, cfg->password);
    long long stored = c ? stream_events(c) : -1;
    long long entries = c ? redis_number(c, "XLEN %s", EVENT_STREAM, NULL) : -1;
    long long cnt = c ? redis_number(c, "HGET %s %s", EVENT_COUNTS, SOURCE ".accepted") : -1;
    redisReply *r = c ? redisCommand(c, "CONFIG GET appendfsync") : NULL;
    printf("persisted: %s holds %lld events (in %lld entries: one per batch), counted accepted %lld, acknowledged "
           "accepted %zu (appendfsync %s); the baseline's stream held exactly its XADD ids after each run\n",
           EVENT_STREAM, stored, entries, cnt, acked,
           r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 ? r->element[1]->str : "?");
    freeReplyObject(r);
    redisFree(c);
    return stored == (long long)acked && cnt == stored ? 0 : -1;
}

static int bench_main(procs_t *pr, cfg_t *cfg, int runs, int sweeps, size_t milestones, double scale,
                      const char *build)
{
    rl_keyfile_t siem;
    if (make_keys(pr, cfg, &siem) != 0 || !(cfg->zctx = zmq_ctx_new()) || start_all(pr, cfg, build) != 0 ||
        issue_key(cfg, siem.curve_public) != 0 ||
        bench_wait_ping(&pr->mon, cfg->zctx, cfg->mon_ep, &cfg->siem, 1) != 0)
        return -1;
    /* An automatic AOF rewrite forks and compresses the whole dataset on the same two cores, at
     * whatever moment the file has doubled: mostly right after a baseline run (it writes ~90 MB),
     * so during the next scenario's. Off for the measurements: both sides write the same AOF,
     * fsynced every second, and neither pays for the other's rewrite. */
    redisContext *rc = bench_redis_connect(cfg->redis_port, cfg->password);
    redisReply *off = rc ? redisCommand(rc, "CONFIG SET auto-aof-rewrite-percentage 0") : NULL;
    int aof_ok = off && off->type == REDIS_REPLY_STATUS;
    freeReplyObject(off);
    redisFree(rc);
    if (!aof_ok) {
        fprintf(stderr, "bench_monitor: cannot turn off the automatic AOF rewrite\n");
        return -1;
    }
    cfg->mon_pid = pr->mon.pid;
    printf("Riskline bench: riskline-monitor event ingestion vs pipelined XADD (hiredis) into the same Redis\n");
    printf("redis %s on 127.0.0.1:%d (appendonly yes, appendfsync everysec, no automatic AOF rewrite, requirepass); "
           "CURVE; integrator key "
           "\"siem\" issued by the admin; scale %.2f\n",
           pr->redis_version[0] ? pr->redis_version : "?", pr->port[0], scale);
    printf("each run: %zu events (batch 100, split over the senders) or %zu (batch 1), capped at %.0f s, the "
           "baseline repeating them for at least 1 s; %d runs per scenario (interleaved), median run by events/s "
           "shown\n\n",
           cfg->events[0], cfg->events[NSHAPES - 1], cfg->seconds, runs);

    result_t med[NSHAPES][SC_COUNT];
    double pair[NSHAPES][MAX_RUNS];  /* per run: event_batch / the baseline run just before it, sorted */
    uint64_t total_errors = 0;
    size_t acked[SC_COUNT] = {0, 0}, total_events = 0;
    double bytes = 0;
    char first_error[WHY_BUF] = "";
    int one = getenv("RISKLINE_BENCH_ONE") && !strcmp(getenv("RISKLINE_BENCH_ONE"), "1");
    int nshapes = one ? 1 : NSHAPES;
    for (int sh = 0; sh < nshapes && !bench_stop; sh++) {
        result_t res[SC_COUNT][MAX_RUNS];
        for (int run = 0; run < runs && !bench_stop; run++)
            for (int sc = 0; sc < SC_COUNT && !bench_stop; sc++) {
                result_t *x = &res[sc][run];
                if (run_scenario(cfg, (scenario_t)sc, sh, sh * MAX_RUNS + run, x) != 0)
                    return -1;
                if (sc == SC_BASE)
                    baseline_reset(cfg, x);
                total_errors += x->errors;
                acked[sc] += x->events;
                total_events += x->events;
                bytes = x->mean_bytes;
                if (x->errors && !first_error[0])
                    bench_fmt(first_error, sizeof first_error, "%s", x->first_error);
                fprintf(stderr, "  run %d/%d %-13s senders=%d batch=%-3d: %8.0f events/s  p50 %9.1f us  p99 %9.1f us"
                                "  (%zu events, %.2f s, %llu errors)\n",
                        run + 1, runs, SC_NAME[sc], SHAPES[sh].senders, SHAPES[sh].batch, x->eps, x->p50_us,
                        x->p99_us, x->events, x->elapsed_s, (unsigned long long)x->errors);
            }
        /* before the sorts part the pairs: each run's ratio to the baseline run just before it */
        for (int run = 0; run < runs && !bench_stop; run++)
            pair[sh][run] = res[SC_BASE][run].eps > 0 ? res[SC_MON][run].eps / res[SC_BASE][run].eps : 0.0;
        for (int sc = 0; sc < SC_COUNT && !bench_stop; sc++) {
            qsort(res[sc], (size_t)runs, sizeof res[sc][0], by_eps);
            med[sh][sc] = res[sc][runs / 2];
        }
        qsort(pair[sh], (size_t)runs, sizeof pair[sh][0], by_double);
    }
    sweep_t sw;
    memset(&sw, 0, sizeof sw);
    int sweep_rc = bench_stop || one ? -1 : sweep_run(cfg, milestones, sweeps, &sw);
    if (bench_stop) {
        fprintf(stderr, "bench_monitor: interrupted\n");
        return -2;
    }

    printf("\n%-14s %7s %5s %10s %10s %10s %11s %8s %8s %9s %6s\n", "scenario", "senders", "batch", "events/s",
           "p50 us", "p99 us", "vs baseline", "redis", "monitor", "events", "errors");
    for (int sh = 0; sh < nshapes; sh++)
        for (int sc = 0; sc < SC_COUNT; sc++)
            print_row((scenario_t)sc, sh, &med[sh][sc], &med[sh][SC_BASE]);
    printf("\nlatency: per request (a batch until its acks; a pipeline until its last reply); redis, monitor: CPU us "
           "per event; events: %.0f bytes packed on average\n", bytes);
    correlation_drain(cfg);
    print_commandstats(cfg);
    int persisted_ok = check_persisted(cfg, acked[SC_MON]) == 0;
    /* value: median events/s over median baseline events/s (the verdict); per run: each run against
     * the baseline run just before it, which the machine's drift between runs touches less */
    printf("\n%-22s %7s %5s %7s %8s  %-10s %s\n", "ratio", "senders", "batch", "value", "goal", "result",
           "per run: median (min..max)");
    for (int sh = 0; sh < nshapes; sh++) {
        double base = med[sh][SC_BASE].eps, v = base > 0 ? med[sh][SC_MON].eps / base : 0.0;
        int goal = SHAPES[sh].batch > 1;
        printf("%-22s %7d %5d %7.2f %8s  %-10s %.2f (%.2f..%.2f)\n", "event_batch/baseline", SHAPES[sh].senders,
               SHAPES[sh].batch, v, goal ? ">= 0.50" : "-",
               total_errors || !persisted_ok ? "INVALID"
               : !goal                       ? "(latency)"
               : v >= 0.5                    ? "PASS"
                                             : "BELOW",
               pair[sh][runs / 2], pair[sh][0], pair[sh][runs - 1]);
    }

    int floor_rounds = (int)(500 * scale + 0.5);
    floors(cfg, floor_rounds < 50 ? 50 : floor_rounds, &med[0][SC_MON]);
    if (one)
        printf("\nsweep: not run (RISKLINE_BENCH_ONE=1)\n");
    else
        print_sweep(&sw, sweep_rc);

    if (total_errors)
        printf("\nINVALID: %llu errors in %zu events (first: %s)\n", (unsigned long long)total_errors, total_events,
               first_error);
    else if (!persisted_ok)
        printf("\nINVALID: the monitor's stream does not hold exactly the events it acknowledged\n");
    else
        printf("\nerrors: 0 in %zu events, every acknowledged event persisted: valid\n", total_events);
    bench_child_t *kids[2] = {&pr->reg, &pr->mon};
    for (int k = 0; k < 2; k++)
        if (!bench_child_alive(kids[k])) {
            char how[64];
            bench_child_describe_exit(kids[k], how, sizeof how);
            printf("WARNING: %s exited during the benchmark (%s)\n", kids[k]->name, how);
            bench_child_log_tail(kids[k], 15);
        }
    return 0;
}

static size_t scaled(size_t n, double scale, size_t min)
{
    double v = (double)n * scale + 0.5;
    return v < (double)min ? min : (size_t)v;
}

int main(void)
{
    const char *build = bench_init();
    double scale = 1.0;
    const char *s = getenv("RISKLINE_BENCH_SCALE");
    char *end = NULL;
    if (s && *s && (!((scale = strtod(s, &end)) >= 0.01 && scale <= 10.0) || *end)) {
        fprintf(stderr, "bench_monitor: ignoring RISKLINE_BENCH_SCALE=%s (want 0.01..10), using 1\n", s);
        scale = 1.0;
    }
    int runs = (int)bench_env_long("RISKLINE_BENCH_RUNS", 3, 1, MAX_RUNS);
    int sweeps = (int)bench_env_long("RISKLINE_BENCH_SWEEPS", 20, 1, 64);

    procs_t pr;
    cfg_t cfg;
    memset(&pr, 0, sizeof pr);
    memset(&cfg, 0, sizeof cfg);
    cfg.seconds = (double)bench_env_long("RISKLINE_BENCH_SECONDS", 3, 1, 3600);
    cfg.events[0] = cfg.events[1] = scaled(60000, scale, 400);
    cfg.events[2] = scaled(2000, scale, 20);
    rl_clock_t wall = rl_clock_system();
    cfg.now_ms = rl_clock_now(&wall);
    bench_fmt(cfg.tag, sizeof cfg.tag, "n%lx%llx", (unsigned long)getpid(), (unsigned long long)(rl_mono_ns() % 0xffffff));
    size_t milestones = scaled(1000000, scale, 10 * DUE_COUNT);

    if (bench_make_tmpdir(pr.dir, sizeof pr.dir) != 0)
        return 1;
    int rc = bench_main(&pr, &cfg, runs, sweeps, milestones, scale, build);

    bench_child_stop(&pr.mon);
    bench_child_stop(&pr.reg);
    bench_child_stop(&pr.redis);
    if (cfg.zctx)
        zmq_ctx_term(cfg.zctx);
    bench_remove_tree(pr.dir);
    return rc == -2 ? 2 : rc == 0 ? 0 : 1;
}
