/* bench_floor.c: the floors under one ingestion batch's round trip (bench_floor.h). */
#include "bench_floor.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bench_util.h"
#include "rl_clock.h"

#define MEMBER_MAX 96
#define RESET_EVERY 50       /* rounds between emptying the floor's streams (memory stays flat) */
#define ECHO_TIMEOUT_MS 5000
#define WARMUP 50

/* The core of the monitor's check (rl_store.c APPEND_CHECK_LUA, without its type check, counters
 * and take-back): members known -> 'D', else all added -> 'A'. */
static const char CHECK_LUA[] =
    "local n = tonumber(ARGV[1])\n"
    "local known = redis.call('SMISMEMBER', KEYS[1], unpack(ARGV, 2, n + 1))\n"
    "for i = 1, n do if known[i] == 1 then return 'D' end end\n"
    "redis.call('SADD', KEYS[1], unpack(ARGV, 2, n + 1))\n"
    "return 'A'\n";

static int fail(bench_floor_t *out, const char *what, const redisReply *r)
{
    bench_fmt(out->error, sizeof out->error, "%s: %s", what,
              r && r->type == REDIS_REPLY_ERROR ? r->str : r ? "unexpected reply" : "no reply");
    return -1;
}

static void timing(uint64_t *v, int n, bench_floor_time_t *t)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += (double)v[i];
    qsort(v, (size_t)n, sizeof *v, bench_cmp_u64);
    t->p50 = bench_pct_us(v, (size_t)n, 50);
    t->mean = n ? sum / n / 1000.0 : 0.0;
}

/* --- Redis: the three appends, interleaved --- */

typedef struct {
    redisContext *c;
    const bench_floor_batch_t *b;
    char seen[128], base[128], log[128];
    const char **argv;         /* room for 5 + n arguments */
    size_t *argl;
    char (*member)[MEMBER_MAX];
    long long next;            /* member counter: every member is new */
    const char *prefix;
} redis_floor_t;

static void new_members(redis_floor_t *f)
{
    for (size_t k = 0; k < f->b->n; k++)
        snprintf(f->member[k], MEMBER_MAX, "%s\n%s-%lld", f->b->source, f->prefix, f->next++);
}

static int xadds(redis_floor_t *f, bench_floor_t *out)
{
    for (size_t k = 0; k < f->b->n; k++) {
        const char *a[5] = {"XADD", f->base, "*", "e", (const char *)f->b->event[k]};
        size_t l[5] = {4, strlen(f->base), 1, 1, f->b->event_len[k]};
        redisAppendCommandArgv(f->c, 5, a, l);
    }
    int rc = 0;
    for (size_t k = 0; k < f->b->n; k++) {
        redisReply *r = NULL;
        if (redisGetReply(f->c, (void **)&r) != REDIS_OK || !r || r->type != REDIS_REPLY_STRING)
            rc = rc ? rc : fail(out, "XADD", r);
        freeReplyObject(r);
        if (!f->c || f->c->err)
            return -1;
    }
    return rc;
}

/* The members as arguments from argv[first]. */
static void member_args(redis_floor_t *f, int first)
{
    for (size_t k = 0; k < f->b->n; k++) {
        f->argv[first + (int)k] = f->member[k];
        f->argl[first + (int)k] = strlen(f->member[k]);
    }
}

static int dedupe(redis_floor_t *f, bench_floor_t *out)
{
    int n = (int)f->b->n;
    new_members(f);
    f->argv[0] = "SMISMEMBER";
    f->argl[0] = 10;
    f->argv[1] = f->seen;
    f->argl[1] = strlen(f->seen);
    member_args(f, 2);
    redisAppendCommandArgv(f->c, 2 + n, f->argv, f->argl);
    f->argv[0] = "SADD";
    f->argl[0] = 4;
    redisAppendCommandArgv(f->c, 2 + n, f->argv, f->argl);
    const char *a[5] = {"XADD", f->log, "*", "b", (const char *)f->b->batch};
    size_t l[5] = {4, strlen(f->log), 1, 1, f->b->batch_len};
    redisAppendCommandArgv(f->c, 5, a, l);
    int rc = 0;
    for (int i = 0; i < 3; i++) {
        redisReply *r = NULL;
        if (redisGetReply(f->c, (void **)&r) != REDIS_OK || !r)
            return fail(out, "pipeline", r);
        int ok = i == 0   ? r->type == REDIS_REPLY_ARRAY && r->elements == (size_t)n
                 : i == 1 ? r->type == REDIS_REPLY_INTEGER && r->integer == n
                          : r->type == REDIS_REPLY_STRING;
        for (size_t k = 0; ok && i == 0 && k < r->elements; k++)
            ok = r->element[k]->type == REDIS_REPLY_INTEGER && r->element[k]->integer == 0;
        if (!ok)
            rc = rc ? rc : fail(out, i == 0 ? "SMISMEMBER (a member not new)" : i == 1 ? "SADD" : "XADD", r);
        freeReplyObject(r);
    }
    return rc;
}

static int tx(redis_floor_t *f, bench_floor_t *out)
{
    int n = (int)f->b->n;
    new_members(f);
    char count[24];
    snprintf(count, sizeof count, "%d", n);
    redisAppendCommand(f->c, "MULTI");
    const char *a[5] = {"XADD", f->log, "*", "b", (const char *)f->b->batch};
    size_t l[5] = {4, strlen(f->log), 1, 1, f->b->batch_len};
    redisAppendCommandArgv(f->c, 5, a, l);
    f->argv[0] = "EVAL";
    f->argl[0] = 4;
    f->argv[1] = CHECK_LUA;
    f->argl[1] = sizeof CHECK_LUA - 1;
    f->argv[2] = "1";
    f->argl[2] = 1;
    f->argv[3] = f->seen;
    f->argl[3] = strlen(f->seen);
    f->argv[4] = count;
    f->argl[4] = strlen(count);
    member_args(f, 5);
    redisAppendCommandArgv(f->c, 5 + n, f->argv, f->argl);
    redisAppendCommand(f->c, "EXEC");
    int rc = 0;
    for (int i = 0; i < 4; i++) {
        redisReply *r = NULL;
        if (redisGetReply(f->c, (void **)&r) != REDIS_OK || !r)
            return fail(out, "transaction", r);
        if (i == 3 && !(r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
                        r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING &&
                        !strcmp(r->element[1]->str, "A")))
            rc = fail(out, "EXEC (the entry and 'A')", r->type == REDIS_REPLY_ARRAY && r->elements == 2 ? r->element[1] : r);
        freeReplyObject(r);
    }
    return rc;
}

static void del(redisContext *c, const char *key)
{
    redisReply *r = redisCommand(c, "DEL %s", key);
    freeReplyObject(r);
}

static int redis_floors(redisContext *c, const char *seen_key, const char *prefix, const bench_floor_batch_t *b,
                        int rounds, bench_floor_t *out)
{
    redis_floor_t f = {.c = c, .b = b, .prefix = prefix};
    snprintf(f.seen, sizeof f.seen, "%s:seen", prefix);
    snprintf(f.base, sizeof f.base, "%s:xadds", prefix);
    snprintf(f.log, sizeof f.log, "%s:log", prefix);
    f.argv = calloc(b->n + 5, sizeof *f.argv);
    f.argl = calloc(b->n + 5, sizeof *f.argl);
    f.member = calloc(b->n, sizeof *f.member);
    uint64_t *t[3] = {calloc((size_t)rounds, sizeof(uint64_t)), calloc((size_t)rounds, sizeof(uint64_t)),
                      calloc((size_t)rounds, sizeof(uint64_t))};
    int rc = -1;
    redisReply *r = NULL;
    if (!f.argv || !f.argl || !f.member || !t[0] || !t[1] || !t[2]) {
        bench_fmt(out->error, sizeof out->error, "out of memory");
        goto cleanup;
    }
    /* a set as large as the monitor's: each lookup costs what the monitor's does */
    r = redisCommand(c, "COPY %s %s REPLACE", seen_key, f.seen);
    int copied = r && r->type == REDIS_REPLY_INTEGER;
    if (!copied) {
        fail(out, "COPY of the seen set", r);
        freeReplyObject(r);
        goto cleanup;
    }
    freeReplyObject(r);
    r = redisCommand(c, "SCARD %s", f.seen);
    out->members = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    for (int i = 0; i < rounds && !bench_stop; i++) {
        if (i % RESET_EVERY == 0) {
            del(c, f.base);
            del(c, f.log);
        }
        /* the three in turn, each first in a third of the rounds */
        for (int j = 0; j < 3; j++) {
            int which = (i + j) % 3;
            int64_t t0 = rl_mono_ns();
            int bad = which == 0 ? xadds(&f, out) : which == 1 ? dedupe(&f, out) : tx(&f, out);
            t[which][i] = (uint64_t)(rl_mono_ns() - t0);
            if (bad)
                goto cleanup;
        }
    }
    if (bench_stop) {
        bench_fmt(out->error, sizeof out->error, "interrupted");
        goto cleanup;
    }
    timing(t[0], rounds, &out->xadds);
    timing(t[1], rounds, &out->dedupe);
    timing(t[2], rounds, &out->tx);
    rc = 0;
cleanup:
    if (!c->err) {
        del(c, f.seen);
        del(c, f.base);
        del(c, f.log);
    }
    for (int k = 0; k < 3; k++)
        free(t[k]);
    free(f.argv);
    free(f.argl);
    free(f.member);
    return rc;
}

/* --- ZeroMQ: a CURVE round trip with no work at either end --- */

typedef struct {
    char endpoint[64];
    char secret[41];
    size_t reply_len;
    atomic_int state;          /* 0 starting, 1 bound, -1 failed */
} echo_t;

/* A ROUTER with CURVE answering each message with reply_len bytes, until an empty one or a
 * timeout. Its own context: its own I/O thread, as a service process has. */
static void *echo_main(void *p)
{
    echo_t *e = p;
    void *ctx = zmq_ctx_new();
    void *s = ctx ? zmq_socket(ctx, ZMQ_ROUTER) : NULL;
    char *reply = calloc(1, e->reply_len ? e->reply_len : 1);
    int one = 1, linger = 0, timeout = ECHO_TIMEOUT_MS;
    if (!s || !reply || zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) ||
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout) ||
        zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one) || zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, e->secret, 40) ||
        zmq_bind(s, e->endpoint)) {
        atomic_store(&e->state, -1);
        goto cleanup;
    }
    atomic_store(&e->state, 1);
    for (;;) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        zmq_msg_init(&body);
        int ok = zmq_msg_recv(&id, s, 0) >= 0 && zmq_msg_recv(&body, s, 0) >= 0 && zmq_msg_size(&body) > 0 &&
                 zmq_msg_send(&id, s, ZMQ_SNDMORE) >= 0 && zmq_send(s, reply, e->reply_len, 0) >= 0;
        zmq_msg_close(&id);
        zmq_msg_close(&body);
        if (!ok)
            break;
    }
cleanup:
    free(reply);
    if (s)
        zmq_close(s);
    if (ctx)
        zmq_ctx_term(ctx);
    return NULL;
}

static int curve_floor(const bench_floor_batch_t *b, int rounds, bench_floor_t *out)
{
    echo_t e = {.reply_len = b->reply_len};
    atomic_init(&e.state, 0);
    bench_keys_t k;
    int port;
    if (bench_free_ports(&port, 1) || zmq_curve_keypair(k.server, e.secret) || zmq_curve_keypair(k.pub, k.sec)) {
        bench_fmt(out->error, sizeof out->error, "no port or keys for the CURVE floor");
        return -1;
    }
    snprintf(e.endpoint, sizeof e.endpoint, "tcp://127.0.0.1:%d", port);
    pthread_t th;
    if (pthread_create(&th, NULL, echo_main, &e)) {
        bench_fmt(out->error, sizeof out->error, "no thread for the CURVE floor");
        return -1;
    }
    while (atomic_load(&e.state) == 0)
        bench_sleep_ms(1);
    void *ctx = zmq_ctx_new();
    void *s = ctx && atomic_load(&e.state) == 1 ? bench_dealer_new(ctx, e.endpoint, &k) : NULL;
    char *req = calloc(1, b->request_len ? b->request_len : 1);
    uint64_t *t = calloc((size_t)rounds, sizeof *t);
    int rc = -1;
    if (!s || !req || !t) {
        bench_fmt(out->error, sizeof out->error, "CURVE floor: no socket");
        goto cleanup;
    }
    /* the round trip the senders make (bench_roundtrip), so the floor pays what they pay */
    for (int i = -WARMUP; i < rounds && !bench_stop; i++) {
        char why[120];
        zmq_msg_t reply;
        int64_t t0 = rl_mono_ns();
        int bad = bench_roundtrip(s, req, b->request_len, &reply, ECHO_TIMEOUT_MS, why, sizeof why) != 0;
        int64_t t1 = rl_mono_ns();
        if (!bad && zmq_msg_size(&reply) != b->reply_len) {
            bench_fmt(why, sizeof why, "a reply of %zu bytes", zmq_msg_size(&reply));
            bad = 1;
        }
        zmq_msg_close(&reply);
        if (bad) {
            bench_fmt(out->error, sizeof out->error, "CURVE floor: %s", why);
            goto cleanup;
        }
        if (i >= 0)
            t[i] = (uint64_t)(t1 - t0);
    }
    if (!bench_stop) {
        timing(t, rounds, &out->curve);
        rc = 0;
    }
cleanup:
    if (s) {
        zmq_send(s, "", 0, 0);  /* the echo's stop */
        zmq_close(s);
    }
    pthread_join(th, NULL);
    if (ctx)
        zmq_ctx_term(ctx);
    free(req);
    free(t);
    return rc;
}

int bench_floor_run(redisContext *c, const char *seen_key, const char *prefix, const bench_floor_batch_t *b,
                    int rounds, bench_floor_t *out)
{
    memset(out, 0, sizeof *out);
    out->rounds = rounds;
    if (!c || c->err || !b->n || rounds < 1) {
        bench_fmt(out->error, sizeof out->error, "no Redis connection or nothing to send");
        return -1;
    }
    if (redis_floors(c, seen_key, prefix, b, rounds, out) != 0)
        return -1;
    return curve_floor(b, rounds, out);
}
