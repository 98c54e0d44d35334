/* rl_bus.c: ZeroMQ sockets, frame layout checks, Envelope dispatch; the only file that includes zmq.h. */
#include "rl_bus.h"
#include "rl_acl.h"
#include "rl_clock.h"
#include "rl_ids.h"
#include "rl_limits.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#ifndef RL_VERSION
#define RL_VERSION "0.1.0"
#endif

#define MAX_ROUTES 128
#define SERVER_LINGER_MS 1000

struct rl_bus {
    void *zctx;
    rl_log_t *log;
    void *zap;               /* REP on inproc://zeromq.zap.01, or NULL (plaintext process) */
    rl_bus_authn_fn authn;
    void *authn_ctx;
    uint64_t zap_denied;
    unsigned clients;        /* names monitor endpoints */
};

typedef struct {
    int body_case;
    const char *name;
    rl_bus_handler_fn fn;
    rl_bus_gather_fn gather;  /* set: its requests are handled together (rl_bus_server_route_gather) */
} route_t;

/* A request in hand, from its frames to its reply: the frames stay open until it is answered (the
 * request's bytes are handed on), its memory is its own, so that several can wait for one gathered
 * call. */
typedef struct {
    zmq_msg_t parts[RL_MAX_FRAMES];
    int nparts;
    zmq_msg_t *delim;         /* REQ clients' empty frame, echoed */
    rl_arena_t *arena;
    rl_envelope_t *reply;
    rl_error_t err;
    rl_err_t code;
    const char *route;
    int64_t t0;
    rl_principal_t who;       /* lives until the reply is packed: handlers point into it */
    rl_bus_req_t req;
    const route_t *gather;    /* set while it waits for its route's gather call */
    int state;                /* SLOT_FREE, SLOT_GATHER (in a poll's batch), SLOT_LATER (answered later) */
    uint32_t gen;             /* bumped each time it is left for later: a stale answer is ignored */
} slot_t;

enum { SLOT_FREE = 0, SLOT_GATHER, SLOT_LATER };
/* Slots: a poll's batch of RL_GATHER_MAX, and the requests gather handlers answer later. */
#define SLOTS (RL_GATHER_MAX + RL_LATER_MAX)

struct rl_bus_server {
    rl_bus_t *bus;
    void *sock;
    int curve;               /* 0: plaintext, every request runs as `principal` */
    char service[32];
    char endpoint[256];
    rl_principal_t principal;
    route_t routes[MAX_ROUTES];
    int nroutes;
    slot_t slots[SLOTS];
    size_t later;            /* slots left for later */
    rl_bus_stats_t stats;
    rl_bus_handler_fn health_fn;
    void *health_ctx;
    rl_bus_observer_fn observer;
    void *observer_ctx;
    int watch_fd;            /* -1: none */
    int answers_fd;          /* readable when answers for later are ready; -1: none */
    const volatile sig_atomic_t *stop;  /* the service's stop flag (NULL: none) */
    int draining;            /* rl_bus_server_drain ran: every request is refused */
};

struct rl_bus_client {
    rl_bus_t *bus;
    void *sock;
    void *mon;               /* PAIR receiving the DEALER's handshake events (CURVE only) */
    char mon_ep[64];
    int curve;
    int handshaken;          /* a CURVE handshake succeeded on the current socket */
    rl_bus_client_keys_t keys;
    char endpoint[256];
    int timeout_ms;
    int retries;
};

rl_bus_t *rl_bus_new(rl_log_t *log)
{
    rl_bus_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->zctx = zmq_ctx_new();
    if (!self->zctx) {
        free(self);
        return NULL;
    }
    self->log = log;
    return self;
}

void rl_bus_destroy(rl_bus_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if ((*self_p)->zap)
        zmq_close((*self_p)->zap);
    zmq_ctx_term((*self_p)->zctx);
    free(*self_p);
    *self_p = NULL;
}

static void set_int(void *sock, int opt, int v) { zmq_setsockopt(sock, opt, &v, sizeof v); }

static void set_common_opts(void *sock, int linger_ms, int64_t max)
{
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
    set_int(sock, ZMQ_LINGER, linger_ms);
    set_int(sock, ZMQ_SNDHWM, RL_SNDHWM);
    set_int(sock, ZMQ_RCVHWM, RL_RCVHWM);
}

/* --- ZAP (RFC 27): the handshake-time check of a client's CURVE key --- */

int rl_bus_zap_start(rl_bus_t *bus, rl_bus_authn_fn fn, void *ctx)
{
    if (bus->zap)
        return -1;
    bus->zap = zmq_socket(bus->zctx, ZMQ_REP);
    if (!bus->zap)
        return -1;
    set_int(bus->zap, ZMQ_LINGER, 0);
    if (zmq_bind(bus->zap, "inproc://zeromq.zap.01") != 0) {
        zmq_close(bus->zap);
        bus->zap = NULL;
        return -1;
    }
    bus->authn = fn;
    bus->authn_ctx = ctx;
    return 0;
}

uint64_t rl_bus_zap_denied(const rl_bus_t *bus) { return bus->zap_denied; }

/*  request: [version "1.0"][request id][domain][address][identity][mechanism][credentials...]
 *  reply:   [version "1.0"][request id][status "200"|"400"|"500"][text][user id][metadata ""]
 * The user id is the client key (Z85): each request re-resolves it, so revocation reaches
 * connections that are already open. */
static void handle_zap(rl_bus_t *bus)
{
    zmq_msg_t f[8];
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t tmp, *m = n < 8 ? &f[n] : &tmp;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, bus->zap, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(m);
            break;
        }
        more = zmq_msg_more(m);
        if (n < 8)
            n++;
        else
            zmq_msg_close(&tmp);
    }
    if (n == 0)
        return;
    const char *status = "400", *text = "malformed ZAP request";
    char user[41] = "", key[41] = "", mech[16] = "", addr[64] = "";
    rl_error_t err;
    rl_error_clear(&err);
    if (n >= 7) {
        snprintf(mech, sizeof mech, "%.*s", (int)zmq_msg_size(&f[5]), (const char *)zmq_msg_data(&f[5]));
        snprintf(addr, sizeof addr, "%.*s", (int)zmq_msg_size(&f[3]), (const char *)zmq_msg_data(&f[3]));
    }
    if (n >= 7 && !strcmp(mech, "CURVE") && zmq_msg_size(&f[6]) == 32) {
        zmq_z85_encode(key, zmq_msg_data(&f[6]), 32);
        rl_principal_t p;
        rl_err_t rc = bus->authn(bus->authn_ctx, key, &p, &err);
        if (rc == RL_OK) {
            status = "200", text = "OK";
            memcpy(user, key, sizeof user);
        } else {
            status = rc == RL_ERR_UNAVAILABLE ? "300" : "400";
            text = err.message;
        }
    } else if (n >= 7) {
        text = "only CURVE clients are accepted";
    }
    if (strcmp(status, "200")) {
        bus->zap_denied++;
        rl_log_warn(bus->log, "connection refused", "mechanism", mech, "address", addr, "key", key, "reason", text);
    }
    const void *ver = n > 0 ? zmq_msg_data(&f[0]) : "1.0";
    size_t ver_len = n > 0 ? zmq_msg_size(&f[0]) : 3;
    zmq_send(bus->zap, ver, ver_len, ZMQ_SNDMORE);
    if (n > 1)
        zmq_send(bus->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
    else
        zmq_send(bus->zap, "", 0, ZMQ_SNDMORE);
    zmq_send(bus->zap, status, 3, ZMQ_SNDMORE);
    zmq_send(bus->zap, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(bus->zap, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(bus->zap, "", 0, 0);
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}

/* --- server --- */

rl_bus_server_t *rl_bus_server_new(rl_bus_t *bus, const char *service, const char *endpoint,
                                   const char *curve_secret, const rl_principal_t *principal, rl_error_t *err)
{
    rl_bus_server_t *self = calloc(1, sizeof *self);
    if (!self) {
        rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
        return NULL;
    }
    self->bus = bus;
    snprintf(self->service, sizeof self->service, "%s", service);
    snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->principal = *principal;
    self->watch_fd = -1;
    self->answers_fd = -1;
    int arenas = 1;
    for (int i = 0; i < SLOTS; i++)
        arenas = (self->slots[i].arena = rl_arena_new(0)) != NULL && arenas;
    self->sock = zmq_socket(bus->zctx, ZMQ_ROUTER);
    if (!arenas || !self->sock) {
        rl_error_set(err, RL_ERR_INTERNAL, "", "cannot create socket: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    set_common_opts(self->sock, SERVER_LINGER_MS, RL_HARD_FRAME_BYTES);
    set_int(self->sock, ZMQ_RCVHWM, RL_MAX_QUEUED_PER_CONN);
    /* A reply to a vanished peer must fail visibly (counted), not vanish silently. */
    set_int(self->sock, ZMQ_ROUTER_MANDATORY, 1);
    if (curve_secret) {
        /* Without a ZAP handler libzmq would accept any client that knows our public key. */
        if (!bus->zap) {
            rl_error_set(err, RL_ERR_INTERNAL, "", "CURVE server without a ZAP handler: call rl_bus_zap_start first");
            goto fail;
        }
        set_int(self->sock, ZMQ_CURVE_SERVER, 1);
        if (zmq_setsockopt(self->sock, ZMQ_CURVE_SECRETKEY, curve_secret, 40) != 0) {
            rl_error_set(err, RL_ERR_INVALID, "key_file", "the service's CURVE secret key is not valid Z85");
            goto fail;
        }
        zmq_setsockopt(self->sock, ZMQ_ZAP_DOMAIN, "riskline", 8);
        self->curve = 1;
    }
    if (zmq_bind(self->sock, endpoint) != 0) {
        rl_error_set(err, RL_ERR_UNAVAILABLE, "endpoint", "cannot bind %s: %s", endpoint,
                     zmq_strerror(zmq_errno()));
        goto fail;
    }
    return self;
fail:
    rl_bus_server_destroy(&self);
    return NULL;
}

void rl_bus_server_destroy(rl_bus_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rl_bus_server_t *self = *self_p;
    for (int i = 0; i < SLOTS; i++) {  /* a request still left for later goes unanswered */
        for (int k = 0; k < self->slots[i].nparts; k++)
            zmq_msg_close(&self->slots[i].parts[k]);
        rl_arena_destroy(&self->slots[i].arena);
    }
    if (self->sock)
        zmq_close(self->sock);
    free(self);
    *self_p = NULL;
}

static int add_route(rl_bus_server_t *self, route_t r)
{
    for (int i = 0; i < self->nroutes; i++)
        if (self->routes[i].body_case == r.body_case) {
            self->routes[i] = r;
            return 0;
        }
    if (self->nroutes == MAX_ROUTES)
        return -1;
    self->routes[self->nroutes++] = r;
    return 0;
}

int rl_bus_server_route(rl_bus_server_t *self, int body_case, const char *name, rl_bus_handler_fn fn)
{
    return add_route(self, (route_t){body_case, name, fn, NULL});
}

int rl_bus_server_route_gather(rl_bus_server_t *self, int body_case, const char *name, rl_bus_gather_fn fn)
{
    return add_route(self, (route_t){body_case, name, NULL, fn});
}

void rl_bus_server_stats(const rl_bus_server_t *self, rl_bus_stats_t *out) { *out = self->stats; }

void rl_bus_server_set_health(rl_bus_server_t *self, rl_bus_handler_fn fn, void *ctx)
{
    self->health_fn = fn;
    self->health_ctx = ctx;
}

void rl_bus_server_observe(rl_bus_server_t *self, rl_bus_observer_fn fn, void *ctx)
{
    self->observer = fn;
    self->observer_ctx = ctx;
}

void rl_bus_server_watch_fd(rl_bus_server_t *self, int fd) { self->watch_fd = fd; }

void rl_bus_server_watch_answers(rl_bus_server_t *self, int fd) { self->answers_fd = fd; }

size_t rl_bus_server_later(const rl_bus_server_t *self) { return self->later; }

static const route_t *find_route(const rl_bus_server_t *self, int body_case)
{
    for (int i = 0; i < self->nroutes; i++)
        if (self->routes[i].body_case == body_case)
            return &self->routes[i];
    return NULL;
}

static rl_err_t handle_ping(rl_bus_server_t *self, const rl_bus_req_t *req, rl_envelope_t *reply)
{
    Riskline__V1__Pong *pong = rl_arena_alloc(req->arena, sizeof *pong);
    if (!pong)
        return RL_ERR_INTERNAL;
    riskline__v1__pong__init(pong);
    pong->service = self->service;
    pong->version = RL_VERSION;
    pong->principal = (char *)req->principal->name;
    rl_clock_t clock = rl_clock_system();
    pong->now_ms = rl_clock_now(&clock);
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_PONG;
    reply->pong = pong;
    return RL_OK;
}

/* Runs one request body through header checks and its handler; fills sl->reply, sl->route and
 * sl->err. A request of a gathered route that passed every check is left waiting (sl->gather set,
 * sl->req filled, RL_OK): gather_flush runs it. */
static int stopping(const rl_bus_server_t *self) { return self->draining || (self->stop && *self->stop); }

static rl_err_t dispatch(rl_bus_server_t *self, void *app, slot_t *sl, const rl_principal_t *principal,
                         const void *data, size_t len)
{
    rl_envelope_t *env = NULL, *reply = sl->reply;
    rl_error_t *err = &sl->err;
    sl->route = "invalid";
    sl->gather = NULL;
    rl_err_t rc = rl_codec_decode_envelope(data, len, sl->arena, &env, err);
    if (rc) {
        if (rc == RL_ERR_MALFORMED)
            self->stats.malformed++;
        else
            self->stats.too_large++;
        return rc;
    }
    /* Echo only what is well-formed, never the client's garbage. */
    if (rl_request_id_valid(env->request_id))
        reply->request_id = env->request_id;
    if (rl_tenant_valid(env->tenant))
        reply->tenant = env->tenant;
    rc = rl_codec_check_header(env, err);
    if (rc)
        return rc;
    /* Stopping: nothing runs and nothing is written, so the same request id sent again to another
     * replica (or to this one restarted) is applied once. */
    if (stopping(self)) {
        sl->route = "stopping";
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "stopping",
                            "the %s service is stopping: send the request again (same request id) to another "
                            "replica",
                            self->service);
    }
    sl->req = (rl_bus_req_t){principal, env, env->tenant, env->request_id, sl->arena, data, len, 0};
    if (env->body_case == RISKLINE__V1__ENVELOPE__BODY_HEALTH_GET) {
        /* any authenticated principal, whatever its tenants: probes ask with the service's own key */
        sl->route = "health_get";
        if (!self->health_fn)
            return rl_error_set(err, RL_ERR_UNSUPPORTED, "body", "the %s service does not report health",
                                self->service);
        return self->health_fn(self->health_ctx, &sl->req, reply, err);
    }
    if (!rl_principal_has_tenant(principal, env->tenant))
        return rl_error_set(err, RL_ERR_FORBIDDEN, "tenant", "principal %s has no access to tenant %s",
                            principal->name, env->tenant);
    if (env->body_case == RISKLINE__V1__ENVELOPE__BODY_PING) {
        sl->route = "ping";
        return handle_ping(self, &sl->req, reply);
    }
    const route_t *r = find_route(self, (int)env->body_case);
    if (!r && env->body_case == RISKLINE__V1__ENVELOPE__BODY__NOT_SET)
        return rl_error_set(err, RL_ERR_UNSUPPORTED, "body",
                            "request has no body, or a body type the %s service does not know",
                            self->service);
    if (!r)
        return rl_error_set(err, RL_ERR_UNSUPPORTED, "body", "body type %d is not a request the %s service serves",
                            (int)env->body_case, self->service);
    sl->route = r->name;
    if ((rc = rl_acl_check(principal, (int)env->body_case, err)))
        return rc;
    if (r->gather) {
        sl->gather = r;
        return RL_OK;
    }
    return r->fn(app, &sl->req, reply, err);
}

static void send_reply(rl_bus_server_t *self, slot_t *sl)
{
    size_t len = 0;
    uint8_t *bytes = rl_codec_pack((const ProtobufCMessage *)sl->reply, sl->arena, &len);
    if (!bytes)
        return;
    zmq_msg_t *ident = &sl->parts[0];
    int rc = zmq_send(self->sock, zmq_msg_data(ident), zmq_msg_size(ident), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0 && sl->delim)
        rc = zmq_send(self->sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0)
        rc = zmq_send(self->sock, bytes, len, ZMQ_DONTWAIT);
    if (rc < 0) {
        self->stats.unroutable++;
        rl_log_warn(self->bus->log, "reply not delivered", "reason", zmq_strerror(zmq_errno()));
    }
}

/* The request is done: its status, its reply sent, counted and logged; its frames closed. */
static void finish(rl_bus_server_t *self, slot_t *sl)
{
    rl_envelope_t *reply = sl->reply;
    rl_err_t code = sl->code;
    if (reply) {
        if (code != RL_OK) {
            reply->body_case = RISKLINE__V1__ENVELOPE__BODY__NOT_SET;
            self->stats.errors++;
        } else {
            self->stats.ok++;
        }
        rl_codec_set_status(reply, sl->arena, code, code ? &sl->err : NULL);
        send_reply(self, sl);
        int64_t took = rl_mono_ns() - sl->t0;
        if (self->observer)
            self->observer(self->observer_ctx, sl->route, code, took);
        char us[32];
        snprintf(us, sizeof us, "%lld", (long long)(took / 1000));
        rl_log_level_t lvl = code == RL_OK ? RL_LOG_DEBUG : code == RL_ERR_INTERNAL ? RL_LOG_ERROR : RL_LOG_INFO;
        rl_log(self->bus->log, lvl, code ? "request refused" : "request", "request", sl->route, "request_id",
               reply->request_id ? reply->request_id : "", "tenant", reply->tenant ? reply->tenant : "", "code",
               rl_strerror(code), "field", sl->err.field, "message", sl->err.message, "us", us, (char *)NULL);
    }
    for (int i = 0; i < sl->nparts; i++)
        zmq_msg_close(&sl->parts[i]);
    sl->nparts = 0;
    sl->reply = NULL;
    sl->gather = NULL;
    sl->state = SLOT_FREE;
}

/* Reads one multipart message into sl without blocking and runs it (dispatch): 1 answered, 2
 * waiting for its gather call, 0 none waiting, -1 failure. */
static int handle_in(rl_bus_server_t *self, void *app, slot_t *sl)
{
    int n = 0, more = 1, extra = 0;
    sl->nparts = 0;
    sl->reply = NULL;
    while (more) {
        zmq_msg_t tmp;
        zmq_msg_t *m = n < RL_MAX_FRAMES ? &sl->parts[n] : &tmp;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, self->sock, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            int e = zmq_errno();
            zmq_msg_close(m);
            if (n > 0 && e == EINTR)
                continue;  /* the rest of a multipart message is queued: keep frames in step */
            sl->nparts = n;
            finish(self, sl);
            return e == EAGAIN ? 0 : -1;
        }
        more = zmq_msg_more(m);
        if (n < RL_MAX_FRAMES)
            sl->nparts = ++n;
        else {
            extra++;
            zmq_msg_close(&tmp);
        }
    }
    self->stats.requests++;
    rl_arena_reset(sl->arena);
    rl_error_clear(&sl->err);
    sl->route = "invalid";
    sl->t0 = rl_mono_ns();
    sl->delim = NULL;
    sl->reply = rl_codec_envelope_new(sl->arena);
    if (!sl->reply) {
        finish(self, sl);
        return 1;
    }
    sl->reply->schema_version = RL_SCHEMA_VERSION;
    zmq_msg_t *body = NULL;
    /* [identity][body] from a DEALER, [identity][""][body] from a REQ */
    if (!extra && n == 2) {
        body = &sl->parts[1];
    } else if (!extra && n == 3 && zmq_msg_size(&sl->parts[1]) == 0) {
        sl->delim = &sl->parts[1];
        body = &sl->parts[2];
    }
    if (!body) {
        self->stats.malformed++;
        sl->code = rl_error_set(&sl->err, RL_ERR_MALFORMED, "frames",
                                "expected [body] or [\"\"][body] after the identity, got %d frames", n + extra - 1);
    } else {
        const rl_principal_t *p = &self->principal;
        const char *uid = self->curve ? zmq_msg_gets(body, "User-Id") : NULL;
        sl->code = RL_OK;
        if (self->curve) {
            /* Re-checked per request: a key revoked after the handshake stops working at once. */
            sl->code = uid ? self->bus->authn(self->bus->authn_ctx, uid, &sl->who, &sl->err)
                           : rl_error_set(&sl->err, RL_ERR_UNAUTHENTICATED, "key", "connection has no authenticated key");
            p = &sl->who;
        }
        if (sl->code == RL_OK)
            sl->code = dispatch(self, app, sl, p, zmq_msg_data(body), zmq_msg_size(body));
        else
            self->stats.unauthenticated++;
    }
    if (sl->code == RL_OK && sl->gather)
        return 2;
    finish(self, sl);
    return 1;
}

/* Runs the requests waiting in batch[0..n) (each of a gathered route), a call per route, and
 * answers them, but those its handler leaves for later (RL_BUS_LATER: rl_bus_server_answer). */
static void gather_flush(rl_bus_server_t *self, void *app, slot_t *const *batch, size_t n)
{
    rl_bus_req_t reqs[RL_GATHER_MAX];
    rl_envelope_t *replies[RL_GATHER_MAX];
    rl_err_t codes[RL_GATHER_MAX];
    rl_error_t errs[RL_GATHER_MAX];
    slot_t *of[RL_GATHER_MAX];
    for (size_t first = 0; first < n; first++) {
        const route_t *r = batch[first]->gather;
        if (!r)
            continue;  /* already run with an earlier route's call */
        size_t k = 0;
        for (size_t i = first; i < n; i++) {
            slot_t *sl = batch[i];
            if (sl->gather != r)
                continue;
            of[k] = sl;
            reqs[k] = sl->req;
            /* a token naming the slot, for an answer later: 1 + index, and the generation */
            reqs[k].later = (uint32_t)(sl - self->slots + 1) | (++sl->gen << 8);
            replies[k] = sl->reply;
            codes[k] = RL_OK;
            rl_error_clear(&errs[k]);
            k++;
        }
        r->gather(app, reqs, k, replies, codes, errs);
        for (size_t i = 0; i < k; i++) {
            if (codes[i] == RL_BUS_LATER) {
                of[i]->state = SLOT_LATER;
                of[i]->gather = NULL;
                self->later++;
                continue;
            }
            of[i]->code = codes[i];
            of[i]->err = errs[i];
            finish(self, of[i]);
        }
    }
}

void rl_bus_server_answer(rl_bus_server_t *self, uint32_t later, rl_err_t code, const rl_error_t *err)
{
    uint32_t i = (later & 0xff) - 1;
    assert(i < SLOTS && self->slots[i].state == SLOT_LATER && (later >> 8) == (self->slots[i].gen & 0xffffff));
    slot_t *sl = &self->slots[i];
    sl->code = code;
    if (code != RL_OK && err)
        sl->err = *err;
    self->later--;
    finish(self, sl);
}

/* A free slot for the next request; NULL when every one is taken (a poll's batch, or later). */
static slot_t *free_slot(rl_bus_server_t *self)
{
    for (int i = 0; i < SLOTS; i++)
        if (self->slots[i].state == SLOT_FREE)
            return &self->slots[i];
    return NULL;
}

/* Reads and answers one request (a gathered one alone); returns 1 handled, 0 none waiting (or no
 * slot free), -1 failure. */
static int handle_one(rl_bus_server_t *self, void *app)
{
    slot_t *sl = free_slot(self);
    if (!sl)
        return 0;
    int r = handle_in(self, app, sl);
    if (r == 2) {
        sl->state = SLOT_GATHER;
        gather_flush(self, app, &sl, 1);
    }
    return r > 0 ? 1 : r;
}

/* 1 when sock has a message waiting. */
static int readable(void *sock)
{
    int ev = 0;
    size_t evlen = sizeof ev;
    zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &evlen);
    return (ev & ZMQ_POLLIN) != 0;
}

/* Answers the ZAP requests waiting (a bounded batch). */
static void serve_zap(rl_bus_t *bus)
{
    for (int i = 0; bus->zap && i < RL_POLL_BATCH && readable(bus->zap); i++)
        handle_zap(bus);
}

/* Waits up to timeout_ms for sock or the ZAP socket, and answers the handshakes waiting.
 * 0, or -1 on a poll failure (EINTR counts as 0). */
static int wait_and_serve_zap(rl_bus_t *bus, void *sock, int timeout_ms, int watch_fd, int answers_fd)
{
    /* sock (unless NULL: no slot free), then the ZAP socket (when there is one), then the watched
     * fds (when set) */
    zmq_pollitem_t items[4];
    int n = 0, zap_at = -1;
    if (sock)
        items[n++] = (zmq_pollitem_t){sock, 0, ZMQ_POLLIN, 0};
    if (bus->zap) {
        zap_at = n;
        items[n++] = (zmq_pollitem_t){bus->zap, 0, ZMQ_POLLIN, 0};
    }
    if (watch_fd >= 0)
        items[n++] = (zmq_pollitem_t){NULL, watch_fd, ZMQ_POLLIN, 0};
    if (answers_fd >= 0)
        items[n++] = (zmq_pollitem_t){NULL, answers_fd, ZMQ_POLLIN, 0};
    int rc = zmq_poll(items, n, timeout_ms);
    if (rc < 0)
        return zmq_errno() == EINTR ? 0 : -1;
    if (zap_at > 0 && (items[zap_at].revents & ZMQ_POLLIN))
        serve_zap(bus);
    return 0;
}

int rl_bus_server_poll(rl_bus_server_t *self, void *app, int timeout_ms)
{
    /* every slot taken by requests left for later: the socket waits (its queue is the back-pressure) */
    if (wait_and_serve_zap(self->bus, free_slot(self) ? self->sock : NULL, timeout_ms, self->watch_fd,
                           self->answers_fd) < 0)
        return -1;
    int handled = 0, r = 1;
    /* once stopping, the batch ends with the requests in hand: the rest is for rl_bus_server_drain.
     * Requests of a gathered route wait in the slots until RL_GATHER_MAX of them, or none is
     * waiting at the socket, then run in one call. */
    while (r > 0 && handled < RL_POLL_BATCH && !stopping(self)) {
        slot_t *batch[RL_GATHER_MAX], *sl = NULL;
        size_t waiting = 0;
        while (waiting < RL_GATHER_MAX && handled < RL_POLL_BATCH && !stopping(self) &&
               (sl = free_slot(self)) != NULL && (r = handle_in(self, app, sl)) > 0) {
            handled++;
            if (r == 2) {
                sl->state = SLOT_GATHER;
                batch[waiting++] = sl;
            }
        }
        if (!sl)
            r = 0;  /* no slot free: the rest waits for answers */
        gather_flush(self, app, batch, waiting);
    }
    if (r < 0) {
        rl_log_error(self->bus->log, "receive failed", "reason", zmq_strerror(zmq_errno()));
        return -1;
    }
    return handled;
}

void rl_bus_server_stop_on(rl_bus_server_t *self, const volatile sig_atomic_t *stop) { self->stop = stop; }

int rl_bus_server_drain(rl_bus_server_t *self, int quiet_ms, int max_ms)
{
    self->draining = 1;
    int refused = 0;
    int64_t start = rl_mono_ms(), last = start;
    for (;;) {
        int r;
        while ((r = handle_one(self, NULL)) > 0) {
            refused++;
            last = rl_mono_ms();
        }
        int64_t now = rl_mono_ms(), quiet_left = last + quiet_ms - now, left = start + max_ms - now;
        int64_t wait = quiet_left < left ? quiet_left : left;
        if (r < 0 || wait <= 0 || wait_and_serve_zap(self->bus, self->sock, (int)wait, -1, -1) < 0)
            break;
    }
    return refused;
}

rl_err_t rl_bus_server_dispatch(rl_bus_server_t *self, void *app, const rl_principal_t *principal,
                                const void *data, size_t len, rl_envelope_t **reply, rl_error_t *err)
{
    slot_t *sl = free_slot(self);
    if (!sl)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "every request slot is taken: retry");
    rl_arena_reset(sl->arena);
    rl_error_clear(&sl->err);
    *reply = sl->reply = rl_codec_envelope_new(sl->arena);
    if (!*reply)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    (*reply)->schema_version = RL_SCHEMA_VERSION;
    rl_err_t code = dispatch(self, app, sl, principal, data, len);
    if (code == RL_OK && sl->gather) {  /* a gathered route: alone */
        rl_envelope_t *replies[1] = {*reply};
        sl->gather->gather(app, &sl->req, 1, replies, &code, &sl->err);
        sl->gather = NULL;
    }
    if (code != RL_OK)
        (*reply)->body_case = RISKLINE__V1__ENVELOPE__BODY__NOT_SET;
    rl_codec_set_status(*reply, sl->arena, code, code ? &sl->err : NULL);
    *err = sl->err;
    sl->reply = NULL;
    return code;
}

/* --- publisher: XPUB whose subscriptions are checked against the subscriber's tenants --- */

struct rl_bus_pub {
    rl_bus_t *bus;
    void *sock;
    char endpoint[256];
    char secret[41];
    int curve;
    rl_principal_t principal;   /* plaintext mode */
    rl_bus_pub_stats_t stats;
};

/* (Re)creates and binds the XPUB socket. */
static int pub_open(rl_bus_pub_t *self, rl_error_t *err)
{
    if (self->sock)
        zmq_close(self->sock);
    self->sock = zmq_socket(self->bus->zctx, ZMQ_XPUB);
    if (!self->sock) {
        rl_error_set(err, RL_ERR_INTERNAL, "", "cannot create socket: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    /* Small inbound frames only (subscriptions); a slow subscriber's queue is bounded and what
     * does not fit is dropped and counted, never blocking the publisher. */
    set_common_opts(self->sock, 0, 1024);
    /* Manual: a subscription takes effect only when we accept it (tenant check below). */
    set_int(self->sock, ZMQ_XPUB_MANUAL, 1);
    if (self->curve) {
        set_int(self->sock, ZMQ_CURVE_SERVER, 1);
        if (zmq_setsockopt(self->sock, ZMQ_CURVE_SECRETKEY, self->secret, 40) != 0) {
            rl_error_set(err, RL_ERR_INVALID, "key_file", "the service's CURVE secret key is not valid Z85");
            return -1;
        }
        zmq_setsockopt(self->sock, ZMQ_ZAP_DOMAIN, "riskline", 8);
    }
    /* a re-open may find the old listener still closing in the I/O thread: retry briefly */
    for (int attempt = 0;; attempt++) {
        if (zmq_bind(self->sock, self->endpoint) == 0)
            return 0;
        if (zmq_errno() != EADDRINUSE || attempt >= 20) {
            rl_error_set(err, RL_ERR_UNAVAILABLE, "endpoint", "cannot bind %s: %s", self->endpoint,
                         zmq_strerror(zmq_errno()));
            return -1;
        }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

rl_bus_pub_t *rl_bus_pub_new(rl_bus_t *bus, const char *endpoint, const char *curve_secret,
                             const rl_principal_t *principal, rl_error_t *err)
{
    rl_bus_pub_t *self = calloc(1, sizeof *self);
    if (!self) {
        rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
        return NULL;
    }
    self->bus = bus;
    self->principal = *principal;
    snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    if (curve_secret) {
        if (!bus->zap) {
            rl_error_set(err, RL_ERR_INTERNAL, "", "CURVE publisher without a ZAP handler");
            goto fail;
        }
        snprintf(self->secret, sizeof self->secret, "%s", curve_secret);
        self->curve = 1;
    }
    if (pub_open(self, err) != 0)
        goto fail;
    return self;
fail:
    rl_bus_pub_destroy(&self);
    return NULL;
}

int rl_bus_pub_reauthenticate(rl_bus_pub_t *self, rl_error_t *err)
{
    self->stats.reauthentications++;
    rl_log_info(self->bus->log, "publisher drops every subscriber to re-check keys and subscriptions", "endpoint",
                self->endpoint);
    return pub_open(self, err);
}

void rl_bus_pub_destroy(rl_bus_pub_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if ((*self_p)->sock)
        zmq_close((*self_p)->sock);
    memset((*self_p)->secret, 0, sizeof (*self_p)->secret);
    free(*self_p);
    *self_p = NULL;
}

int rl_bus_topic_allowed(const rl_principal_t *p, const char *prefix, size_t len)
{
    if (p->all_tenants)
        return 1;
    /* "acme." and longer only: a shorter prefix ("ac", "") would also match other tenants */
    const char *dot = memchr(prefix, '.', len);
    if (!dot || dot == prefix || (size_t)(dot - prefix) > RL_MAX_TENANT)
        return 0;
    char tenant[RL_MAX_TENANT + 1];
    memcpy(tenant, prefix, (size_t)(dot - prefix));
    tenant[dot - prefix] = '\0';
    return rl_tenant_valid(tenant) && rl_principal_has_tenant(p, tenant);
}

/* One subscription message: [1|0][prefix]. */
static void handle_subscription(rl_bus_pub_t *self)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, self->sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return;
    }
    const char *d = zmq_msg_data(&m);
    size_t n = zmq_msg_size(&m);
    rl_principal_t who;
    const rl_principal_t *p = &self->principal;
    const char *name = p->name;
    rl_error_t err;
    rl_error_clear(&err);
    int ok = n >= 1 && (d[0] == 0 || d[0] == 1);
    if (ok && d[0] == 0 && self->curve && !zmq_msg_gets(&m, "User-Id")) {
        /* libzmq's own unsubscription for a subscriber that went away (it carries no peer
         * metadata): its subscriptions left with its pipe; nothing to check, not a refusal */
        zmq_msg_close(&m);
        return;
    }
    if (ok && self->curve) {
        const char *uid = zmq_msg_gets(&m, "User-Id");
        ok = uid && self->bus->authn(self->bus->authn_ctx, uid, &who, &err) == RL_OK;
        p = &who;
        name = ok ? who.name : "?";
    }
    if (ok && d[0] == 1)
        ok = rl_bus_topic_allowed(p, d + 1, n - 1);
    if (ok) {
        zmq_setsockopt(self->sock, d[0] == 1 ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE, d + 1, n - 1);
        if (d[0] == 1)
            self->stats.subscribed++;
    } else {
        self->stats.refused++;
        char topic[80];
        snprintf(topic, sizeof topic, "%.*s", n > 1 ? (int)(n - 1 < 64 ? n - 1 : 64) : 0, n > 1 ? d + 1 : "");
        for (char *c = topic; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
                *c = '?';
        rl_log_warn(self->bus->log, "subscription refused", "principal", name,
                    "topic", topic, "reason", err.message[0] ? err.message : "topic outside the principal's tenants");
    }
    zmq_msg_close(&m);
}

int rl_bus_pub_poll(rl_bus_pub_t *self, int timeout_ms)
{
    if (wait_and_serve_zap(self->bus, self->sock, timeout_ms, -1, -1) < 0)
        return -1;
    int handled = 0;
    for (; handled < RL_POLL_BATCH && readable(self->sock); handled++)
        handle_subscription(self);
    return handled;
}

int rl_bus_pub_send(rl_bus_pub_t *self, const char *topic, const void *body, size_t len)
{
    if (zmq_send(self->sock, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(self->sock, body, len, ZMQ_DONTWAIT) < 0) {
        self->stats.dropped++;
        return -1;
    }
    self->stats.sent++;
    return 0;
}

void rl_bus_pub_stats(const rl_bus_pub_t *self, rl_bus_pub_stats_t *out) { *out = self->stats; }

/* --- client --- */

static void client_close(rl_bus_client_t *self)
{
    if (self->sock) {
        if (self->mon)
            zmq_socket_monitor(self->sock, NULL, 0);
        zmq_close(self->sock);
    }
    if (self->mon)
        zmq_close(self->mon);
    self->sock = self->mon = NULL;
}

/* A PAIR receiving sock's handshake events: the handshake outcome arrives as a monitor event, so
 * a refused key is reported as such at once instead of as a timeout. 0, or -1 (*mon may be set:
 * the caller closes it). */
static int monitor_open(rl_bus_t *bus, void *sock, const void *owner, char *mon_ep, size_t ep_size, void **mon)
{
    snprintf(mon_ep, ep_size, "inproc://rl-mon-%p-%u", owner, bus->clients++);
    if (zmq_socket_monitor(sock, mon_ep,
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) != 0)
        return -1;
    *mon = zmq_socket(bus->zctx, ZMQ_PAIR);
    if (!*mon)
        return -1;
    set_int(*mon, ZMQ_LINGER, 0);
    return zmq_connect(*mon, mon_ep);
}

/* A CURVE client's keys on sock and its handshake monitor. 0, or -1. */
static int client_curve(rl_bus_t *bus, void *sock, const rl_bus_client_keys_t *keys, const void *owner,
                        char *mon_ep, size_t ep_size, void **mon)
{
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, keys->server_public, 40) ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, keys->public_key, 40) ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, keys->secret_key, 40))
        return -1;
    return monitor_open(bus, sock, owner, mon_ep, ep_size, mon);
}

static int client_open(rl_bus_client_t *self)
{
    client_close(self);
    self->sock = zmq_socket(self->bus->zctx, ZMQ_DEALER);
    if (!self->sock)
        return -1;
    set_common_opts(self->sock, 0, RL_MAX_REPLY_BYTES);
    self->handshaken = 0;
    if (self->curve && client_curve(self->bus, self->sock, &self->keys, self, self->mon_ep, sizeof self->mon_ep,
                                    &self->mon) != 0)
        return -1;
    return zmq_connect(self->sock, self->endpoint);
}

/* Reads one monitor event; returns its event id (0 when none could be read), value in *value. */
static int read_event(void *mon, uint32_t *value)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    int ev = 0;
    if (zmq_msg_recv(&m, mon, ZMQ_DONTWAIT) >= 0 && zmq_msg_size(&m) >= 6) {
        const uint8_t *d = zmq_msg_data(&m);
        uint16_t e;
        memcpy(&e, d, 2);
        memcpy(value, d + 2, 4);
        ev = e;
    }
    int more = zmq_msg_more(&m);
    zmq_msg_close(&m);
    while (more) {
        zmq_msg_init(&m);
        more = zmq_msg_recv(&m, mon, 0) >= 0 && zmq_msg_more(&m);
        zmq_msg_close(&m);
    }
    return ev;
}

rl_bus_client_t *rl_bus_client_new(rl_bus_t *bus, const char *endpoint, int timeout_ms, int retries,
                                   const rl_bus_client_keys_t *keys)
{
    rl_bus_client_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->bus = bus;
    if (keys) {
        self->keys = *keys;
        self->curve = 1;
    }
    snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : 3000;
    self->retries = retries >= 0 ? retries : 0;
    if (client_open(self) != 0) {
        rl_bus_client_destroy(&self);
        return NULL;
    }
    return self;
}

void rl_bus_client_destroy(rl_bus_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    client_close(*self_p);
    free(*self_p);
    *self_p = NULL;
}

/* The reply of a server that is stopping (rl_bus_server_drain): its request did not run. */
static int refused_stopping(const Riskline__V1__Status *st)
{
    return st->code == RISKLINE__V1__CODE__CODE_UNAVAILABLE && st->field && !strcmp(st->field, "stopping");
}

/* Waits for the reply carrying request_id; 1 got it, 0 timed out, -1 socket failure, -2 the
 * server refused our key, -3 the CURVE handshake failed (wrong server key?). */
static int await_reply(rl_bus_client_t *self, const char *request_id, rl_arena_t *arena, rl_envelope_t **out)
{
    int64_t deadline = rl_mono_ms() + self->timeout_ms;
    for (;;) {
        int64_t left = deadline - rl_mono_ms();
        if (left <= 0)
            return 0;
        zmq_pollitem_t items[2] = {{self->sock, 0, ZMQ_POLLIN, 0}, {self->mon, 0, ZMQ_POLLIN, 0}};
        int rc = zmq_poll(items, self->mon ? 2 : 1, (long)left);
        if (rc < 0)
            return zmq_errno() == EINTR ? 0 : -1;
        if (rc == 0)
            return 0;
        if (self->mon && (items[1].revents & ZMQ_POLLIN)) {
            uint32_t value = 0;
            int ev = read_event(self->mon, &value);
            if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
                return -2;
            if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
                return -3;
            if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
                self->handshaken = 1;
            continue;
        }
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, self->sock, 0) < 0) {
            zmq_msg_close(&m);
            return -1;
        }
        int more = zmq_msg_more(&m);
        rl_envelope_t *env = rl_codec_unpack(&riskline__v1__envelope__descriptor, zmq_msg_data(&m),
                                             zmq_msg_size(&m), RL_MAX_REPLY_BYTES, arena);
        int ok = env != NULL;
        zmq_msg_close(&m);
        while (more) {  /* a stray multipart reply: drain it */
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, self->sock, 0) < 0)
                more = 0;
            else
                more = zmq_msg_more(&m);
            zmq_msg_close(&m);
        }
        /* A late reply to an earlier attempt of another call is skipped. */
        if (ok && strcmp(env->request_id, request_id) == 0) {
            *out = env;
            return 1;
        }
    }
}

rl_err_t rl_bus_client_call(rl_bus_client_t *self, rl_envelope_t *req, rl_arena_t *arena,
                            rl_envelope_t **reply, rl_error_t *err)
{
    *reply = NULL;
    if (!req->schema_version)
        req->schema_version = RL_SCHEMA_VERSION;
    if (!req->request_id || !req->request_id[0]) {
        char id[RL_REQUEST_ID_LEN];
        if (rl_request_id_new(id) != 0)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "no randomness for a request id");
        req->request_id = rl_arena_strdup(arena, id);
    }
    size_t len = 0;
    uint8_t *bytes = rl_codec_pack((const ProtobufCMessage *)req, arena, &len);
    if (!bytes)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    if (len > RL_MAX_FRAME_BYTES)
        return rl_error_set(err, RL_ERR_TOO_LARGE, "frame", "request of %zu bytes is over the %d byte limit",
                            len, RL_MAX_FRAME_BYTES);
    for (int attempt = 0; attempt <= self->retries; attempt++) {
        /* Lazy Pirate: a fresh socket per retry drops whatever the old one had queued. */
        if (attempt > 0 && client_open(self) != 0)
            break;
        if (zmq_send(self->sock, bytes, len, 0) < 0)
            continue;
        int got = await_reply(self, req->request_id, arena, reply);
        if (got == -2)
            return rl_error_set(err, RL_ERR_UNAUTHENTICATED, "key",
                                "%s refused this client's key: it is not in the key store, or it was revoked",
                                self->endpoint);
        if (got == -3)
            return rl_error_set(err, RL_ERR_UNAUTHENTICATED, "key",
                                "CURVE handshake with %s failed: is the server's public key the right one?",
                                self->endpoint);
        if (got < 0)
            break;
        if (got == 0)
            continue;
        const Riskline__V1__Status *st = (*reply)->status;
        if (!st || st->code == RISKLINE__V1__CODE__CODE_OK)
            return RL_OK;
        if (refused_stopping(st) && attempt < self->retries) {
            /* nothing ran: the same request again, on a fresh connection (behind a load balancer,
             * another replica) once the stopping one had time to close (RL_STOP_RETRY_PAUSE_MS) */
            struct timespec pause = {RL_STOP_RETRY_PAUSE_MS / 1000, (RL_STOP_RETRY_PAUSE_MS % 1000) * 1000000L};
            nanosleep(&pause, NULL);
            continue;
        }
        return rl_error_set(err, (rl_err_t)st->code, st->field, "%s", st->message);
    }
    /* Say what the silence most likely means: a CURVE server drops a client that has the wrong
     * server key without a word, and never answers a plaintext client. */
    return rl_error_set(err, RL_ERR_UNAVAILABLE, "endpoint", "no reply from %s after %d attempt(s) of %d ms%s",
                        self->endpoint, self->retries + 1, self->timeout_ms,
                        !self->curve ? " (this client is in plaintext mode, RISKLINE_INSECURE=1: a service with "
                                       "CURVE does not answer it)"
                        : !self->handshaken ? " (no CURVE handshake: the service is down, or its public key is "
                                              "not the one this client holds)"
                                            : "");
}

/* --- subscriber --- */

#define SUB_MAX_TOPICS 32

struct rl_bus_sub {
    rl_bus_t *bus;
    void *sock;
    void *mon;               /* PAIR receiving the SUB's handshake events */
    char mon_ep[64];
    int connected;           /* handshakes seen: from the second on, subscriptions are sent again */
    uint64_t malformed;
    size_t ntopics;
    char topics[SUB_MAX_TOPICS][80];
};

rl_bus_sub_t *rl_bus_sub_new(rl_bus_t *bus, const char *endpoint, const rl_bus_client_keys_t *keys,
                             int64_t max_bytes, rl_error_t *err)
{
    rl_bus_sub_t *self = calloc(1, sizeof *self);
    if (!self) {
        rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
        return NULL;
    }
    self->bus = bus;
    self->sock = zmq_socket(bus->zctx, ZMQ_SUB);
    if (!self->sock) {
        rl_error_set(err, RL_ERR_INTERNAL, "", "cannot create socket: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    set_common_opts(self->sock, 0, max_bytes);
    /* plaintext too: the handshake events tell the caller when it (re)connected */
    if (keys ? client_curve(bus, self->sock, keys, self, self->mon_ep, sizeof self->mon_ep, &self->mon)
             : monitor_open(bus, self->sock, self, self->mon_ep, sizeof self->mon_ep, &self->mon)) {
        rl_error_set(err, RL_ERR_INVALID, "key", "the client's or the publisher's CURVE key is not valid Z85");
        goto fail;
    }
    if (zmq_connect(self->sock, endpoint) != 0) {
        rl_error_set(err, RL_ERR_INVALID, "endpoint", "cannot connect to '%.200s': %s", endpoint,
                     zmq_strerror(zmq_errno()));
        goto fail;
    }
    return self;
fail:
    rl_bus_sub_destroy(&self);
    return NULL;
}

void rl_bus_sub_destroy(rl_bus_sub_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rl_bus_sub_t *self = *self_p;
    if (self->sock) {
        if (self->mon)
            zmq_socket_monitor(self->sock, NULL, 0);
        zmq_close(self->sock);
    }
    if (self->mon)
        zmq_close(self->mon);
    free(self);
    *self_p = NULL;
}

int rl_bus_sub_subscribe(rl_bus_sub_t *self, const char *prefix)
{
    if (self->ntopics == SUB_MAX_TOPICS || strlen(prefix) >= sizeof self->topics[0])
        return -1;
    snprintf(self->topics[self->ntopics++], sizeof self->topics[0], "%s", prefix);
    return zmq_setsockopt(self->sock, ZMQ_SUBSCRIBE, prefix, strlen(prefix)) == 0 ? 0 : -1;
}

uint64_t rl_bus_sub_malformed(const rl_bus_sub_t *self) { return self->malformed; }

/* Copy of a frame into arena, NUL-terminated (bodies are binary; the NUL is not counted). */
static uint8_t *frame_copy(rl_arena_t *arena, zmq_msg_t *m)
{
    size_t len = zmq_msg_size(m);
    uint8_t *p = rl_arena_alloc(arena, len + 1);
    if (p) {
        memcpy(p, zmq_msg_data(m), len);
        p[len] = '\0';
    }
    return p;
}

/* Reads one whole message. 1: it was [topic][body], copied into arena; 0: none waiting, or dropped
 * (counted); -1: out of memory; -2: receive failure. */
static int sub_read(rl_bus_sub_t *self, rl_arena_t *arena, rl_bus_sub_msg_t *out)
{
    int n = 0, more = 1, oom = 0;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, self->sock, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&m);
            if (n == 0)
                return 0;
            if (zmq_errno() == EINTR)
                continue;  /* the rest of the message is queued: keep its frames together */
            return -2;
        }
        more = zmq_msg_more(&m);
        if (n == 0 && !(out->topic = (char *)frame_copy(arena, &m)))
            oom = 1;
        if (n == 1 && !oom && !(out->body = frame_copy(arena, &m)))
            oom = 1;
        if (n == 1)
            out->len = zmq_msg_size(&m);
        n++;
        zmq_msg_close(&m);
    }
    if (oom)
        return -1;
    if (n != 2) {
        self->malformed++;
        return 0;
    }
    return 1;
}

rl_err_t rl_bus_sub_recv(rl_bus_sub_t *self, int timeout_ms, rl_arena_t *arena, rl_bus_sub_msg_t *out,
                         rl_error_t *err)
{
    memset(out, 0, sizeof *out);
    int64_t deadline = rl_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        int64_t left = deadline - rl_mono_ms();
        zmq_pollitem_t items[2] = {{self->sock, 0, ZMQ_POLLIN, 0}, {self->mon, 0, ZMQ_POLLIN, 0}};
        int rc = zmq_poll(items, self->mon ? 2 : 1, left > 0 ? (long)left : 0);
        if (rc < 0 && zmq_errno() == EINTR)
            return RL_OK;  /* a signal: the caller looks at its stop flag */
        if (rc < 0)
            return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "poll failed: %s", zmq_strerror(zmq_errno()));
        if (rc == 0)
            return RL_OK;
        if (self->mon && (items[1].revents & ZMQ_POLLIN)) {
            uint32_t value = 0;
            int ev = read_event(self->mon, &value);
            if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
                return rl_error_set(err, RL_ERR_UNAUTHENTICATED, "key",
                                    "the publisher refused this client's key: it is not in the key store, or it "
                                    "was revoked");
            if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
                return rl_error_set(err, RL_ERR_UNAUTHENTICATED, "key",
                                    "CURVE handshake with the publisher failed: is its public key the right one?");
            if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
                /* after a reconnect: say again what we want, a re-made publisher knows nothing */
                for (size_t i = 0; self->connected && i < self->ntopics; i++)
                    zmq_setsockopt(self->sock, ZMQ_SUBSCRIBE, self->topics[i], strlen(self->topics[i]));
                self->connected++;
                out->event = RL_BUS_SUB_CONNECTED;
                return RL_OK;
            }
            if (ev == ZMQ_EVENT_DISCONNECTED) {
                out->event = RL_BUS_SUB_DISCONNECTED;
                return RL_OK;
            }
            continue;
        }
        int got = sub_read(self, arena, out);
        if (got < 0)
            return got == -1 ? rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory")
                             : rl_error_set(err, RL_ERR_UNAVAILABLE, "", "receive failed: %s",
                                            zmq_strerror(zmq_errno()));
        if (got == 1) {
            out->event = RL_BUS_SUB_MESSAGE;
            return RL_OK;
        }
        if (left <= 0)
            return RL_OK;
    }
}
