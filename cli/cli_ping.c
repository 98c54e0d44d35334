/* cli_ping.c: the `riskline ping` command: is the register service there, who does it see, how fast. */
#include "cli_ping.h"

#include "cli_output.h"
#include "rl_clock.h"
#include "rl_json.h"

static const char ping_usage[] =
    "usage: riskline [global options] ping\n"
    "\n"
    "Asks the register service for a pong and prints the service name, its version, the principal\n"
    "it sees calling, and the round trip in milliseconds. Exit 3 when no reply comes in\n"
    "RISKLINE_TIMEOUT_MS (default 3000) after RISKLINE_RETRIES resends (default 2).\n";

static int cmd_ping(cli_app_t *app, const cli_args_t *a)
{
    (void)a;
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    Riskline__V1__Ping *p = rl_arena_alloc(app->arena, sizeof *p);
    if (!req || !p)
        return cli_oom(app);
    riskline__v1__ping__init(p);
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_PING;
    req->ping = p;
    int64_t t0 = rl_mono_ns();
    int rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_PONG, &reply);
    double rtt_ms = (double)(rl_mono_ns() - t0) / 1e6;
    if (rc != CLI_EXIT_OK)
        return rc;
    const Riskline__V1__Pong *pong = reply->pong;
    if (app->json) {
        cJSON *j = rl_json_from_message(&pong->base);
        if (j && !cJSON_AddNumberToObject(j, "round_trip_ms", rtt_ms)) {
            cJSON_Delete(j);
            j = NULL;
        }
        return cli_print_json(app, j);
    }
    fputs("service:    ", app->out);
    cli_out_text(app->out, pong->service, 0);
    fputs("\nversion:    ", app->out);
    cli_out_text(app->out, pong->version, 0);
    fputs("\nprincipal:  ", app->out);
    cli_out_text(app->out, pong->principal, 0);
    fputs("\ntenant:     ", app->out);
    cli_out_text(app->out, app->tenant, 0);
    fprintf(app->out, "\nround trip: %.3f ms\n", rtt_ms);
    return CLI_EXIT_OK;
}

static const cli_cmd_t ping = {NULL, "ping", NULL, 0, 0, 0, NULL, ping_usage, cmd_ping, NULL};

const cli_cmd_t *cli_ping_command(void)
{
    return &ping;
}
