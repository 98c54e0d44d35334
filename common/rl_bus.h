/* rl_bus.h: the ZeroMQ adapter: a ROUTER request server that dispatches Envelopes, and a DEALER client. */
#ifndef RL_BUS_H
#define RL_BUS_H

#include <signal.h>
#include <stdint.h>

#include "rl_arena.h"
#include "rl_codec.h"
#include "rl_err.h"
#include "rl_log.h"
#include "rl_principal.h"

/* One per process: owns the ZeroMQ context every socket of the process shares. */
typedef struct rl_bus rl_bus_t;

rl_bus_t *rl_bus_new(rl_log_t *log);
/* Destroy servers and clients first. */
void rl_bus_destroy(rl_bus_t **self_p);

/* What a handler gets: the decoded request and who sent it (decided by the transport). */
typedef struct {
    const rl_principal_t *principal;
    const rl_envelope_t *env;  /* header already checked: request_id and tenant are valid */
    const char *tenant;
    const char *request_id;
    rl_arena_t *arena;         /* per-request memory: the reply body comes from here */
    const uint8_t *data;       /* env as received (packed): for passing parts of it on as they are */
    size_t len;
    /* A gather handler's request that may be answered later (non-zero: pass it to
     * rl_bus_server_answer); 0: it must be answered in the call. */
    uint32_t later;
} rl_bus_req_t;

/* Sets the reply body and returns RL_OK, or returns an error code with err filled in (the bus then
 * sends a Status with code, message and field, and no body). */
typedef rl_err_t (*rl_bus_handler_fn)(void *app, const rl_bus_req_t *req, rl_envelope_t *reply,
                                      rl_error_t *err);

/* Resolves a client's CURVE public key (Z85) to its principal, or refuses it (RL_ERR_UNAUTHENTICATED;
 * RL_ERR_UNAVAILABLE when it cannot tell now). Called at each handshake (ZAP) and for each request. */
typedef rl_err_t (*rl_bus_authn_fn)(void *ctx, const char *client_key, rl_principal_t *out, rl_error_t *err);

/* Starts this process's ZAP handler (RFC 27) on the bus's context; it is served from every server's
 * poll. Must run before any CURVE server binds. 0 ok, -1 (already started, or bind failed). */
int rl_bus_zap_start(rl_bus_t *bus, rl_bus_authn_fn fn, void *ctx);
/* Handshakes refused so far. */
uint64_t rl_bus_zap_denied(const rl_bus_t *bus);

typedef struct rl_bus_server rl_bus_server_t;

typedef struct {
    uint64_t requests;     /* frames received with a body */
    uint64_t ok;
    uint64_t errors;       /* error replies sent (including malformed and too large) */
    uint64_t malformed;    /* frames that were not an Envelope, or had the wrong frame layout */
    uint64_t too_large;
    uint64_t unroutable;   /* replies whose peer had gone */
    uint64_t unauthenticated; /* requests on a connection whose key was revoked after the handshake */
} rl_bus_stats_t;

/* Binds a ROUTER on endpoint. `service` names the service in Pong and logs. With curve_secret (the
 * service's Z85 secret key) it is a CURVE server: only clients the ZAP handler accepts connect, and
 * each request runs as the principal of its key. With NULL (RISKLINE_INSECURE) it is plaintext and
 * every request runs as `principal` (copied). NULL with err filled (e.g. address in use). */
rl_bus_server_t *rl_bus_server_new(rl_bus_t *bus, const char *service, const char *endpoint,
                                   const char *curve_secret, const rl_principal_t *principal, rl_error_t *err);
void rl_bus_server_destroy(rl_bus_server_t **self_p);

/* Route a body case (RISKLINE__V1__ENVELOPE__BODY_*) to a handler; `name` is used in logs.
 * Ping is answered by the bus itself. 0 ok, -1 when the table is full. */
int rl_bus_server_route(rl_bus_server_t *self, int body_case, const char *name, rl_bus_handler_fn fn);

/* A handler of several requests of one route at once, for requests that cost less together (one
 * store round trip for all: risk events from many senders). For each request i it sets the reply
 * body of replies[i] and codes[i] (RL_OK, or an error with errs[i] filled in), as a handler would;
 * each request's memory is its own (reqs[i].arena). */
typedef void (*rl_bus_gather_fn)(void *app, const rl_bus_req_t *reqs, size_t n, rl_envelope_t *const *replies,
                                 rl_err_t *codes, rl_error_t *errs);
/* Routes a body case to a gather handler: the requests of it that wait at the socket together (up
 * to RL_GATHER_MAX) are checked one by one like any request (frames, key, header, tenant, role),
 * then handed over in one call; each gets its own reply. 0 ok, -1 when the table is full. */
int rl_bus_server_route_gather(rl_bus_server_t *self, int body_case, const char *name, rl_bus_gather_fn fn);

/* A gather handler sets codes[i] = RL_BUS_LATER (only when reqs[i].later is non-zero) to answer
 * request i later: its frames, memory (reqs[i].arena) and reply (replies[i]) are kept until
 * rl_bus_server_answer(self, reqs[i].later, code, err), which sends it, on the thread that polls.
 * At most RL_LATER_MAX wait so; while every slot is taken no request is read. */
#define RL_BUS_LATER ((rl_err_t)0x7fffffff)
void rl_bus_server_answer(rl_bus_server_t *self, uint32_t later, rl_err_t code, const rl_error_t *err);
/* Requests left for later and not answered yet. */
size_t rl_bus_server_later(const rl_bus_server_t *self);
/* A descriptor that becomes readable when answers for later are ready (e.g. a store connection
 * with replies in flight): the poll returns for it. -1 = none. Set before each poll. */
void rl_bus_server_watch_answers(rl_bus_server_t *self, int fd);

/* HealthGet is answered by the bus for ANY authenticated principal (roles or none: the service's
 * own key, used by `riskline-<service> --check`, has none), before the tenant check: health is not
 * tenant data. fn builds the Health reply (rl_service does it); ctx is passed instead of app.
 * Without it HealthGet gets CODE_UNSUPPORTED. */
void rl_bus_server_set_health(rl_bus_server_t *self, rl_bus_handler_fn fn, void *ctx);

/* Called once per request received, after its reply was sent: the route name ("invalid" when the
 * request reached none: malformed, unknown body), its outcome and how long it took (ns). For the
 * metrics; runs in the thread that polls. */
typedef void (*rl_bus_observer_fn)(void *ctx, const char *route, rl_err_t code, int64_t duration_ns);
void rl_bus_server_observe(rl_bus_server_t *self, rl_bus_observer_fn fn, void *ctx);

/* A file descriptor the server's poll also waits on (e.g. the metrics HTTP server's): when it
 * becomes readable the poll returns early so the caller can serve it. -1 = none. */
void rl_bus_server_watch_fd(rl_bus_server_t *self, int fd);

/* Waits up to timeout_ms for requests, then handles those waiting (a bounded batch).
 * Returns the number handled, or -1 on a socket failure (logged). */
int rl_bus_server_poll(rl_bus_server_t *self, void *app, int timeout_ms);

/* The service's stop flag (set by SIGTERM): once set, a poll's batch ends after the request in
 * hand, and any request read afterwards is answered UNAVAILABLE, field "stopping", without
 * reaching its handler. NULL: none. */
void rl_bus_server_stop_on(rl_bus_server_t *self, const volatile sig_atomic_t *stop);
/* Stopping: answers every request queued, and those arriving meanwhile, UNAVAILABLE "stopping"
 * (nothing runs: the client resends the same request id elsewhere) until none came for quiet_ms,
 * at most max_ms; from then on the server refuses every request. Returns how many it refused. */
int rl_bus_server_drain(rl_bus_server_t *self, int quiet_ms, int max_ms);

/* Runs one Envelope's bytes through everything a received frame goes through (decode, header and
 * tenant checks, role table, handler) as `principal`, without a socket: for fuzzing and tests.
 * *reply (owned by the server's arena, valid until the next call) always carries the Status. */
rl_err_t rl_bus_server_dispatch(rl_bus_server_t *self, void *app, const rl_principal_t *principal,
                                const void *data, size_t len, rl_envelope_t **reply, rl_error_t *err);

void rl_bus_server_stats(const rl_bus_server_t *self, rl_bus_stats_t *out);

/* --- publisher (the report's updates) --- */
/*
 *  [topic "<tenant>.<kind>"][body]          two frames per update
 *
 * An XPUB in manual mode: a subscription takes effect only if the subscriber may see it: its
 * prefix must name one of the principal's tenants and end with the dot ("acme." or longer); a
 * shorter prefix ("", "ac") would match other tenants' topics, so only an all-tenant principal
 * may use one. Refused subscriptions are logged and counted; the subscriber gets nothing.
 */
typedef struct rl_bus_pub rl_bus_pub_t;

typedef struct {
    uint64_t sent;
    uint64_t dropped;      /* updates the socket could not take (slow subscribers): never blocks */
    uint64_t subscribed;
    uint64_t refused;      /* subscriptions outside the principal's tenants, or from a revoked key */
    uint64_t reauthentications;
} rl_bus_pub_stats_t;

/* Binds an XPUB on endpoint; CURVE with curve_secret (ZAP started first), else plaintext where
 * every subscriber is `principal`. NULL with err filled. */
rl_bus_pub_t *rl_bus_pub_new(rl_bus_t *bus, const char *endpoint, const char *curve_secret,
                             const rl_principal_t *principal, rl_error_t *err);
void rl_bus_pub_destroy(rl_bus_pub_t **self_p);
/* Waits up to timeout_ms, then handles waiting subscriptions and handshakes. Count, or -1. */
int rl_bus_pub_poll(rl_bus_pub_t *self, int timeout_ms);
/* Publishes one update without blocking; -1 when dropped (counted). */
int rl_bus_pub_send(rl_bus_pub_t *self, const char *topic, const void *body, size_t len);
void rl_bus_pub_stats(const rl_bus_pub_t *self, rl_bus_pub_stats_t *out);
/* Drops every subscriber (the socket is re-made and re-bound). Call it when a key was revoked
 * (rl_keys_revocations grew): XPUB cannot drop one peer, and a revoked subscriber must stop
 * receiving. Subscribers reconnect and must pass the ZAP handler again; libzmq 4.3 SUB sockets do
 * not re-send their subscriptions to a re-made publisher, so a subscriber re-subscribes after a
 * reconnect (its handshake event) and catches up by sequence. 0, or -1 when re-binding failed. */
int rl_bus_pub_reauthenticate(rl_bus_pub_t *self, rl_error_t *err);
/* 1 if principal p may subscribe to topics starting with prefix[0..len) (pure). */
int rl_bus_topic_allowed(const rl_principal_t *p, const char *prefix, size_t len);

/* --- client --- */
typedef struct rl_bus_client rl_bus_client_t;

/* A DEALER connected to endpoint. Each call waits timeout_ms per attempt and resends the same
 * request (same request id, so the server de-duplicates writes) up to `retries` more times on a
 * fresh socket: after no reply, and after a reply UNAVAILABLE "stopping" (the server is shutting
 * down and ran nothing; resent after RL_STOP_RETRY_PAUSE_MS). NULL on failure. */
/* CURVE keys of a client (Z85, 40 characters each). */
typedef struct {
    char server_public[41];
    char public_key[41];
    char secret_key[41];
} rl_bus_client_keys_t;

/* keys NULL: plaintext. A server that refuses the key makes calls fail with RL_ERR_UNAUTHENTICATED. */
rl_bus_client_t *rl_bus_client_new(rl_bus_t *bus, const char *endpoint, int timeout_ms, int retries,
                                   const rl_bus_client_keys_t *keys);
void rl_bus_client_destroy(rl_bus_client_t **self_p);

/* Sends req (schema version and a request id are filled in when unset), waits for its reply and
 * decodes it into arena (*reply is arena-owned). Returns RL_OK, the reply's Status code with err
 * filled from it (*reply still set), or RL_ERR_UNAVAILABLE when no reply came. */
rl_err_t rl_bus_client_call(rl_bus_client_t *self, rl_envelope_t *req, rl_arena_t *arena,
                            rl_envelope_t **reply, rl_error_t *err);

/* --- subscriber (the report's updates) --- */
typedef struct rl_bus_sub rl_bus_sub_t;

/* A SUB connected to a publisher's endpoint: CURVE client with keys (plaintext when NULL),
 * linger 0, inbound frames over max_bytes drop the connection (ZMQ_MAXMSGSIZE). NULL with err. */
rl_bus_sub_t *rl_bus_sub_new(rl_bus_t *bus, const char *endpoint, const rl_bus_client_keys_t *keys,
                             int64_t max_bytes, rl_error_t *err);
void rl_bus_sub_destroy(rl_bus_sub_t **self_p);
/* Subscribes to topics starting with prefix; kept and sent again after every reconnect (a re-made
 * publisher does not get a SUB's subscriptions by itself). 0, or -1 when the table is full. */
int rl_bus_sub_subscribe(rl_bus_sub_t *self, const char *prefix);

typedef enum {
    RL_BUS_SUB_TIMEOUT = 0,   /* nothing within the wait */
    RL_BUS_SUB_MESSAGE,       /* topic, body, len set (arena-owned, each NUL-terminated) */
    RL_BUS_SUB_CONNECTED,     /* a handshake with the publisher succeeded: the first one, or a
                               * reconnect after which updates may have been missed meanwhile */
    RL_BUS_SUB_DISCONNECTED,  /* the connection dropped (libzmq reconnects by itself) */
} rl_bus_sub_event_t;

typedef struct {
    rl_bus_sub_event_t event;
    char *topic;              /* NUL-terminated copy of the first frame */
    uint8_t *body;
    size_t len;
} rl_bus_sub_msg_t;

/* Waits up to timeout_ms for one update ([topic][body]; other frame layouts are dropped and
 * counted) or a connection event. RL_OK with out->event set (RL_BUS_SUB_TIMEOUT also when a signal
 * interrupted the wait); RL_ERR_UNAUTHENTICATED when the publisher refused our key or the CURVE
 * handshake failed; RL_ERR_UNAVAILABLE on a socket failure; RL_ERR_INTERNAL out of memory. */
rl_err_t rl_bus_sub_recv(rl_bus_sub_t *self, int timeout_ms, rl_arena_t *arena, rl_bus_sub_msg_t *out,
                         rl_error_t *err);
/* Messages dropped because they were not [topic][body]. */
uint64_t rl_bus_sub_malformed(const rl_bus_sub_t *self);

#endif
