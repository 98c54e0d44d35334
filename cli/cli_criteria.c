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

/* criteria_get: the reply (with criteria), or NULL with *rc set to the exit code after printing the error. */
static const rl_envelope_t *get_criteria(cli_app_t *app, int *rc)
{
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    Riskline__V1__CriteriaGet *g = rl_arena_alloc(app->arena, sizeof *g);
    if (!req || !g) {
        *rc = cli_oom(app);
        return NULL;
    }
    riskline__v1__criteria_get__init(g);
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_CRITERIA_GET;
    req->criteria_get = g;
    if ((*rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_CRITERIA_RESULT, &reply)) != CLI_EXIT_OK)
        return NULL;
    if (!reply || !reply->criteria_result || !reply->criteria_result->criteria) {
        rl_error_t err;
        rl_error_set(&err, RL_ERR_MALFORMED, "criteria", "the service replied without criteria");
        *rc = cli_fail(app, &err);
        return NULL;
    }
    return reply;
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
    int rc = CLI_EXIT_OK;
    const rl_envelope_t *reply = get_criteria(app, &rc);
    return reply ? print_criteria(app, reply) : rc;
}

static int cmd_set(cli_app_t *app, const cli_args_t *a)
{
    rl_error_t err;
    rl_error_clear(&err);
    uint32_t matrix[2] = {0}, thresholds[3] = {0}, review[4] = {0}, appetite = 0;
    const char *v;
    int has_matrix = 0, has_thresholds = 0, has_review = 0;
    if ((v = cli_args_get(a, "matrix"))) {
        if (cli_parse_u32_list("--matrix", v, 'x', matrix, 2, &err) != 0)
            return cli_usage_fail(app, &err);
        has_matrix = 1;
    }
    if ((v = cli_args_get(a, "thresholds"))) {
        if (cli_parse_u32_list("--thresholds", v, ',', thresholds, 3, &err) != 0)
            return cli_usage_fail(app, &err);
        has_thresholds = 1;
    }
    if ((v = cli_args_get(a, "review-days"))) {
        if (cli_parse_u32_list("--review-days", v, ',', review, 4, &err) != 0)
            return cli_usage_fail(app, &err);
        has_review = 1;
    }
    int has_appetite = cli_args_u32(a, "appetite", &appetite, &err);
    if (has_appetite < 0)
        return cli_usage_fail(app, &err);
    uint64_t version = 0;
    int has_version = cli_args_u64(a, "version", &version, &err);
    if (has_version < 0)
        return cli_usage_fail(app, &err);
    if (!has_matrix && !has_thresholds && !has_review && !has_appetite)
        return cli_usage(app, "", "nothing to set: give --matrix, --thresholds, --appetite or --review-days");

    int rc = CLI_EXIT_OK;
    const rl_envelope_t *cur = get_criteria(app, &rc);
    if (!cur)
        return rc;
    Riskline__V1__Criteria *c = rl_arena_alloc(app->arena, sizeof *c);
    Riskline__V1__CriteriaSet *s = rl_arena_alloc(app->arena, sizeof *s);
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    if (!c || !s || !req)
        return cli_oom(app);
    *c = *cur->criteria_result->criteria;  /* start from what is in force; computed fields are ignored */
    if (has_matrix) {
        c->likelihood_levels = matrix[0];
        c->impact_levels = matrix[1];
    }
    if (has_thresholds) {
        c->medium_min = thresholds[0];
        c->high_min = thresholds[1];
        c->critical_min = thresholds[2];
    }
    if (has_appetite)
        c->acceptance_max = appetite;
    if (has_review) {
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
    if (!reply || !reply->criteria_result || !reply->criteria_result->criteria) {
        rl_error_set(&err, RL_ERR_MALFORMED, "criteria", "the service replied without criteria");
        return cli_fail(app, &err);
    }
    if (!app->json)
        fprintf(app->out, "criteria set: version %" PRIu64 "\n", reply->criteria_result->criteria->version);
    return print_criteria(app, reply);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const cli_cmd_t commands[] = {
    {"criteria", "show", NULL, 0, 0, 0, NULL, show_usage, cmd_show, NULL},
    {"criteria", "set", set_opts, N(set_opts), 0, 0, NULL, set_usage, cmd_set, NULL},
};

const cli_cmd_t *cli_criteria_commands(size_t *n)
{
    *n = N(commands);
    return commands;
}
