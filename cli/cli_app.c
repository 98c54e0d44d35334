/* cli_app.c: the CLI's run context (config, arena, bus client), exit codes, request calls and error lines. */
#include "cli_app.h"
#include "rl_secure.h"

#include <stdarg.h>
#include <string.h>

int cli_exit_code(rl_err_t code)
{
    switch (code) {
    case RL_OK: return CLI_EXIT_OK;
    case RL_ERR_UNAVAILABLE: return CLI_EXIT_UNAVAILABLE;
    case RL_ERR_CONFLICT: return CLI_EXIT_CONFLICT;
    case RL_ERR_INVALID:
    case RL_ERR_NOT_FOUND:
    case RL_ERR_UNSUPPORTED:
    case RL_ERR_FORBIDDEN:
    case RL_ERR_UNAUTHENTICATED:
    case RL_ERR_TOO_LARGE:
    case RL_ERR_MALFORMED:
    case RL_ERR_INTERNAL:
        return CLI_EXIT_REJECTED;
    }
    return CLI_EXIT_REJECTED;
}

/* Writes s with control characters replaced, so a hostile message cannot drive the terminal. */
static void put_clean(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
}

static void error_line(FILE *f, const char *code, const rl_error_t *err)
{
    fputs("riskline: ", f);
    fputs(code, f);
    fputs(": ", f);
    if (err->field[0]) {
        put_clean(f, err->field);
        fputs(": ", f);
    }
    put_clean(f, err->message[0] ? err->message : code);
    fputc('\n', f);
}

int cli_fail(cli_app_t *app, const rl_error_t *err)
{
    error_line(app->errf, rl_strerror(err->code), err);
    return cli_exit_code(err->code);
}

int cli_usage_fail(cli_app_t *app, const rl_error_t *err)
{
    if (err->code != RL_ERR_INVALID)  /* e.g. out of memory while parsing */
        return cli_fail(app, err);
    error_line(app->errf, "usage", err);
    fprintf(app->errf, "Try 'riskline %s%s--help'.\n", app->cmd_path ? app->cmd_path : "",
            app->cmd_path && app->cmd_path[0] ? " " : "");
    return CLI_EXIT_USAGE;
}

int cli_usage(cli_app_t *app, const char *field, const char *fmt, ...)
{
    rl_error_t err;
    rl_error_clear(&err);
    err.code = RL_ERR_INVALID;
    snprintf(err.field, sizeof err.field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.message, sizeof err.message, fmt, ap);
    va_end(ap);
    return cli_usage_fail(app, &err);
}

int cli_oom(cli_app_t *app)
{
    rl_error_t err;
    rl_error_set(&err, RL_ERR_INTERNAL, "", "out of memory");
    return cli_fail(app, &err);
}

rl_envelope_t *cli_request(cli_app_t *app)
{
    rl_envelope_t *env = rl_codec_envelope_new(app->arena);
    if (!env)
        return NULL;
    env->schema_version = RL_SCHEMA_VERSION;
    env->tenant = rl_arena_strdup(app->arena, app->tenant);
    return env->tenant ? env : NULL;
}

static int connect_client(cli_app_t *app)
{
    if (app->client)
        return CLI_EXIT_OK;
    rl_error_t err;
    if (!app->bus)
        app->bus = rl_bus_new(NULL);
    if (!app->bus) {
        rl_error_set(&err, RL_ERR_UNAVAILABLE, "", "cannot create the ZeroMQ context");
        return cli_fail(app, &err);
    }
    rl_bus_client_keys_t keys;
    int plaintext = 0;
    const char *service = app->service ? app->service : "register";
    if (rl_secure_client_keys(&app->cfg, service, &keys, &plaintext, &err) != RL_OK)
        return cli_fail(app, &err);
    app->client = rl_bus_client_new(app->bus, app->endpoint, app->cfg.timeout_ms, app->cfg.retries,
                                    plaintext ? NULL : &keys);
    memset(&keys, 0, sizeof keys);
    if (!app->client)
        return cli_usage(app, "--endpoint", "cannot connect to '%.200s' (expected e.g. tcp://127.0.0.1:7101)",
                         app->endpoint);
    return CLI_EXIT_OK;
}

int cli_call(cli_app_t *app, rl_envelope_t *req, int want, rl_envelope_t **reply)
{
    return cli_call_in(app, app->arena, req, want, reply);
}

int cli_call_in(cli_app_t *app, rl_arena_t *arena, rl_envelope_t *req, int want, rl_envelope_t **reply)
{
    int rc = connect_client(app);
    if (rc != CLI_EXIT_OK)
        return rc;
    rl_error_t err;
    rl_error_clear(&err);
    rl_err_t code = rl_bus_client_call(app->client, req, arena, reply, &err);
    if (code != RL_OK)
        return cli_fail(app, &err);
    if (!*reply || (int)(*reply)->body_case != want) {
        rl_error_set(&err, RL_ERR_MALFORMED, "body", "the service replied with an unexpected body (case %d)",
                     *reply ? (int)(*reply)->body_case : -1);
        return cli_fail(app, &err);
    }
    return CLI_EXIT_OK;
}

int cli_print_json(cli_app_t *app, cJSON *json)
{
    if (!json)
        return cli_oom(app);
    char *text = cJSON_Print(json);
    cJSON_Delete(json);
    if (!text)
        return cli_oom(app);
    fputs(text, app->out);
    fputc('\n', app->out);
    cJSON_free(text);
    return CLI_EXIT_OK;
}

void cli_app_close(cli_app_t *app)
{
    rl_bus_client_destroy(&app->client);
    rl_bus_destroy(&app->bus);
}
