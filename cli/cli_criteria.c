/* cli_criteria.c: the `riskline criteria ...` commands (show, set) for risk evaluation/acceptance criteria. */
#include "cli_criteria.h"

#include <inttypes.h>

#include "cli_output.h"
#include "rl_json.h"

const char cli_criteria_group_usage[] =
    "usage: riskline [global options] criteria <subcommand> [args]\n"
    "\n"
    "The tenant's risk evaluation and acceptance criteria (ISO/IEC 27001 6.1.2).\n"
    "\n"
    "Subcommands:\n"
    "  show      print the matrix, level thresholds, appetite and review intervals\n"
    "  set       change them (compare-and-set on the criteria version)\n"
    "\n"
    "Run 'riskline criteria <subcommand> --help' for its options.\n";

static const char show_usage[] =
    "usage: riskline [global options] criteria show\n"
    "\n"
    "Prints the criteria in force (the defaults until someone sets them: version 0).\n";

static const char set_usage[] =
    "usage: riskline [global options] criteria set [options]\n"
    "\n"
    "Changes the options given and keeps the others (the current criteria are read first).\n"
    "Without --version the version just read is used for the compare-and-set (exit 4 when\n"
    "someone else changed the criteria in between).\n"
    "\n"
    "Options:\n"
    "  --matrix LxI                        likelihood x impact levels, each 3..10 (e.g. 4x6)\n"
    "  --thresholds MEDIUM,HIGH,CRITICAL   lowest score of each level (e.g. 5,10,16)\n"
    "  --appetite N                        highest score that may be accepted\n"
    "  --review-days LOW,MEDIUM,HIGH,CRITICAL  default review interval per level, in days\n"
    "  --version N                         the version you read (0 = still the defaults)\n"
    "  --help                              this help\n";

static const cli_opt_t set_opts[] = {
    {"matrix", CLI_OPT_VALUE}, {"thresholds", CLI_OPT_VALUE}, {"appetite", CLI_OPT_VALUE},
    {"review-days", CLI_OPT_VALUE}, {"version", CLI_OPT_VALUE},
};

/* criteria_get: CLI_EXIT_OK with *reply set, or an exit code after printing the error. */
static int get_criteria(cli_app_t *app, rl_envelope_t **reply)
{
    rl_envelope_t *req = cli_request(app);
    Riskline__V1__CriteriaGet *g = rl_arena_alloc(app->arena, sizeof *g);
    if (!req || !g)
        return cli_oom(app);
    riskline__v1__criteria_get__init(g);
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_CRITERIA_GET;
    req->criteria_get = g;
    int rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_CRITERIA_RESULT, reply);
    if (rc == CLI_EXIT_OK && !(*reply)->criteria_result->criteria) {
        rl_error_t err;
        rl_error_set(&err, RL_ERR_MALFORMED, "criteria", "the service replied without criteria");
        return cli_fail(app, &err);
    }
    return rc;
}

static int print_criteria(cli_app_t *app, const rl_envelope_t *reply)
{
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&reply->criteria_result->base));
    cli_output_criteria(app, reply->criteria_result->criteria);
    return CLI_EXIT_OK;
}

static int cmd_show(cli_app_t *app, const cli_args_t *a)
{
    (void)a;
    rl_envelope_t *reply = NULL;
    int rc = get_criteria(app, &reply);
    return rc != CLI_EXIT_OK ? rc : print_criteria(app, reply);
}

static int cmd_set(cli_app_t *app, const cli_args_t *a)
{
    rl_error_t err;
    rl_error_clear(&err);
    uint32_t matrix[2], thresholds[3], review[4], appetite = 0;
    const char *v;
    int given = 0;
    if ((v = cli_args_get(a, "matrix"))) {
        if (cli_parse_u32_list("--matrix", v, 'x', matrix, 2, &err) != 0)
            return cli_usage_fail(app, &err);
        given = 1;
    }
    if ((v = cli_args_get(a, "thresholds"))) {
        if (cli_parse_u32_list("--thresholds", v, ',', thresholds, 3, &err) != 0)
            return cli_usage_fail(app, &err);
        given = 1;
    }
    if ((v = cli_args_get(a, "review-days"))) {
        if (cli_parse_u32_list("--review-days", v, ',', review, 4, &err) != 0)
            return cli_usage_fail(app, &err);
        given = 1;
    }
    int has_appetite = cli_args_u32(a, "appetite", &appetite, &err);
    if (has_appetite < 0)
        return cli_usage_fail(app, &err);
    uint64_t version = 0;
    int has_version = cli_args_u64(a, "version", &version, &err);
    if (has_version < 0)
        return cli_usage_fail(app, &err);
    if (!given && !has_appetite)
        return cli_usage(app, "", "nothing to set: give --matrix, --thresholds, --appetite or --review-days");

    rl_envelope_t *cur = NULL;
    int rc = get_criteria(app, &cur);
    if (rc != CLI_EXIT_OK)
        return rc;
    Riskline__V1__Criteria *c = rl_arena_alloc(app->arena, sizeof *c);
    Riskline__V1__CriteriaSet *s = rl_arena_alloc(app->arena, sizeof *s);
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    if (!c || !s || !req)
        return cli_oom(app);
    *c = *cur->criteria_result->criteria;  /* start from what is in force; computed fields are ignored */
    if (cli_args_get(a, "matrix")) {
        c->likelihood_levels = matrix[0];
        c->impact_levels = matrix[1];
    }
    if (cli_args_get(a, "thresholds")) {
        c->medium_min = thresholds[0];
        c->high_min = thresholds[1];
        c->critical_min = thresholds[2];
    }
    if (has_appetite)
        c->acceptance_max = appetite;
    if (cli_args_get(a, "review-days")) {
        c->review_days_low = review[0];
        c->review_days_medium = review[1];
        c->review_days_high = review[2];
        c->review_days_critical = review[3];
    }
    riskline__v1__criteria_set__init(s);
    s->criteria = c;
    s->expected_version = has_version ? version : c->version;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_CRITERIA_SET;
    req->criteria_set = s;
    if ((rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_CRITERIA_RESULT, &reply)) != CLI_EXIT_OK)
        return rc;
    if (!app->json && reply->criteria_result->criteria)
        fprintf(app->out, "criteria set: version %" PRIu64 "\n", reply->criteria_result->criteria->version);
    if (!reply->criteria_result->criteria && !app->json)
        return CLI_EXIT_OK;
    return print_criteria(app, reply);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const cli_cmd_t commands[] = {
    {"criteria", "show", NULL, 0, 0, 0, NULL, show_usage, cmd_show},
    {"criteria", "set", set_opts, N(set_opts), 0, 0, NULL, set_usage, cmd_set},
};

const cli_cmd_t *cli_criteria_commands(size_t *n)
{
    *n = N(commands);
    return commands;
}
