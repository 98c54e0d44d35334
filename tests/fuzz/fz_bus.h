/* fz_bus.h: the service-independent half of the Envelope fuzz targets: a bus server without a socket
 * peer, two principals, the fuzz Redis settings, and the invariants every reply must hold.
 *
 * A service's target (fuzz_envelope_<service>.c) builds its app state, routes its handlers on
 * fz->server and hands each input to fz_bus_run: a new service adds a target of a few lines. */
#ifndef FZ_BUS_H
#define FZ_BUS_H

#include <stddef.h>
#include <stdint.h>

#include "rl_bus.h"
#include "rl_log.h"
#include "rl_principal.h"
#include "rl_store.h"

typedef struct {
    rl_log_t *log;            /* level off: a fuzz run would otherwise log every refusal */
    rl_bus_t *bus;
    rl_bus_server_t *server;  /* bound on inproc://fuzz-<service>: nothing ever connects */
    rl_principal_t admin;     /* the local principal: all roles, all tenants */
    rl_principal_t viewer;    /* viewer only, tenants "default" and "acme" */
    rl_arena_t *arena;        /* the harness's own decode of each input */
    char redis_password[256];
} fz_bus_t;

/* Creates the log, bus and server for `service`; aborts on failure (a fuzz target cannot run). */
void fz_bus_init(fz_bus_t *fz, const char *service);

/* Redis for the handlers: 127.0.0.1:$RISKLINE_FUZZ_REDIS_PORT with the password in
 * $RISKLINE_FUZZ_REDIS_PASSWORD_FILE (tests/fuzz/run.sh starts that Redis); when the port is not
 * set, a closed port, so every store call answers `unavailable` at once. Never the default port:
 * a developer's `make run` Redis must not receive fuzz writes. Returns 1 for a real Redis. */
int fz_bus_store_opts(fz_bus_t *fz, rl_store_opts_t *opts);

/* The start of every Envelope target's LLVMFuzzerInitialize: with FZ_WRITE_SEEDS=<dir> set,
 * write_seeds(dir) (it writes the corpus and exits; may be NULL), then fz_bus_init and a store on the
 * fuzz Redis (fz_bus_store_opts). Returns the store, NULL when it cannot be made. */
rl_store_t *fz_bus_start(fz_bus_t *fz, const char *service, void (*write_seeds)(const char *dir));

/* Dispatches data as the viewer, then as the admin, and aborts with a message when a reply breaks
 * an invariant (status always set and equal to the return code; errors carry no body; a success
 * carries a result body, echoes the request id and was allowed by the role table and tenant list;
 * every string in the reply is valid UTF-8; the reply packs and decodes again). */
void fz_bus_run(fz_bus_t *fz, void *app, const uint8_t *data, size_t size);

/* Writes env (schema 1, tenant "default", request id "seed") with each body case/message of
 * bodies[0..n) as <dir>/seed-NN (the committed seed corpus of an envelope target), then exits. */
typedef struct {
    int body;
    void *msg;
} fz_seed_t;
void fz_bus_write_seeds(const char *dir, const fz_seed_t *bodies, size_t n);

#endif
