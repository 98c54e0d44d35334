/* fuzz_envelope_register.c: libFuzzer target: any bytes as a request Envelope through the register's
 * whole request path (decode, header and tenant checks, role table, handlers, Redis), as a viewer
 * and as the all-roles local principal; the reply invariants are in fz_bus.c. */
#include <stdint.h>
#include <stdlib.h>

#include "fz_bus.h"
#include "handlers.h"

static fz_bus_t fz;
static server_t srv;
static int64_t now_ms = 1773576000000LL; /* 2026-03-15T12:00:00Z: dates in replies are reproducible */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    srv.store = fz_bus_start(&fz, "register", NULL);
    srv.log = fz.log;
    srv.clock = rl_clock_fixed(&now_ms);
    srv.risks = srv.store ? risk_store_new(srv.store) : NULL;
    srv.keys = srv.store ? rl_keys_new(srv.store, fz.log) : NULL;
    if (!srv.risks || !srv.keys || handlers_route(fz.server) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_bus_run(&fz, &srv, data, size);
    return 0;
}
