/* cli_app.h: the CLI's run context (config, arena, bus client), exit codes, request calls and error lines. */
#ifndef CLI_APP_H
#define CLI_APP_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "cli_args.h"
#include "rl_arena.h"
#include "rl_bus.h"
#include "rl_codec.h"
#include "rl_config.h"
#include "rl_err.h"

/* Exit codes (docs/CONTRACT.md, CLI). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_USAGE = 1,
    CLI_EXIT_REJECTED = 2,    /* rejected input, not found, forbidden, malformed, unsupported, too large */
    CLI_EXIT_UNAVAILABLE = 3, /* no reply, or the service's dependency is down */
    CLI_EXIT_CONFLICT = 4,
};

/* Everything one run of the CLI uses; lives in main's frame. */
typedef struct {
    rl_config_t cfg;
    rl_arena_t *arena;         /* one arena for the whole run */
    rl_bus_t *bus;             /* created on the first call */
    rl_bus_client_t *client;
    const char *tenant;        /* --tenant, else cfg.tenant */
    const char *endpoint;      /* --endpoint, else cfg.register_endpoint */
    const char *service;       /* whose public key to expect at endpoint; NULL = "register" */
    int json;                  /* --json */
    const char *cmd_path;      /* "risk add": names the command in usage hints */
    FILE *out;
    FILE *errf;
} cli_app_t;

/* One command: its path, options, positional arguments, usage text and handler. */
typedef struct {
    const char *group;      /* "risk", "criteria", or NULL for a top-level command */
    const char *name;       /* "add" */
    const cli_opt_t *opts;
    size_t nopts;
    size_t min_pos;         /* positional arguments (e.g. the risk ID) */
    size_t max_pos;
    const char *pos_name;   /* "ID", for messages */
    const char *usage;      /* full --help text */
    int (*run)(cli_app_t *app, const cli_args_t *args);
    const char *service;    /* the service it talks to: NULL = register, "treatment", ... */
} cli_cmd_t;

/* Exit code for an error code. */
int cli_exit_code(rl_err_t code);

/* Prints "riskline: <code>: <field>: <message>" (field omitted when empty) and returns the exit code. */
int cli_fail(cli_app_t *app, const rl_error_t *err);
/* Prints "riskline: usage: <field>: <message>" and a hint to --help; returns CLI_EXIT_USAGE. */
int cli_usage_fail(cli_app_t *app, const rl_error_t *err);
/* Same with a message built here; field may be "". */
int cli_usage(cli_app_t *app, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A new request Envelope for the app's tenant (arena-owned), or NULL when out of memory. */
rl_envelope_t *cli_request(cli_app_t *app);
/* Sends req and waits for the reply (connecting on first use). CLI_EXIT_OK with *reply set, or
 * the error line printed and its exit code returned. `want` is the expected reply body case. */
int cli_call(cli_app_t *app, rl_envelope_t *req, int want, rl_envelope_t **reply);
/* The same with the reply in `arena` (a loop of many calls resets its own arena between them). */
int cli_call_in(cli_app_t *app, rl_arena_t *arena, rl_envelope_t *req, int want, rl_envelope_t **reply);

/* Prints json (pretty) to app->out and deletes it; NULL counts as out of memory. Returns an exit code. */
int cli_print_json(cli_app_t *app, cJSON *json);

/* Releases the bus client and context (not the arena). */
void cli_app_close(cli_app_t *app);

/* Out of memory in the arena: prints it and returns the exit code. */
int cli_oom(cli_app_t *app);

#endif
