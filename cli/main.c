/* main.c: the `riskline` command-line client: configuration, global options and command dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli_app.h"
#include "cli_args.h"
#include "cli_audit.h"
#include "cli_control.h"
#include "cli_criteria.h"
#include "cli_demo.h"
#include "cli_event.h"
#include "cli_keys.h"
#include "cli_metric.h"
#include "cli_ping.h"
#include "cli_plan.h"
#include "cli_report.h"
#include "cli_risk.h"
#include "cli_watch.h"
#include "rl_ids.h"

static const char top_usage[] =
    "usage: riskline [--tenant T] [--json] [--endpoint URL] <command> [args]\n"
    "\n"
    "Command-line client of the Riskline risk register (ISO/IEC 27001 risk treatment).\n"
    "\n"
    "Commands:\n"
    "  ping                                  check the register service answers\n"
    "  risk add|list|show|update|archive|history\n"
    "                                        the risk register\n"
    "  criteria show|set                     risk evaluation and acceptance criteria\n"
    "  keys init|issue|list|revoke           CURVE keys, principals and their roles\n"
    "  audit verify                          check the tamper-evident audit trail\n"
    "  plan create|show|list|update|history|submit|approve|reject|start|implement|verify|\n"
    "       close|hold|resume|cancel|cost add\n"
    "                                        risk treatment plans and their workflow\n"
    "  milestone add|update|start|done|miss|waive|list\n"
    "                                        milestones of a treatment plan\n"
    "  control list|show|add                 Annex A and own controls\n"
    "  soa show|exclude|include              the Statement of Applicability\n"
    "  accept RISK                           accept a risk (risk owner), with expiry\n"
    "  event send                            send risk events (integrating systems): one from\n"
    "                                        options, or JSON lines from a file or stdin\n"
    "  monitor status|sweep                  events ingested per source, stream lag; run the\n"
    "                                        schedules now\n"
    "  metric define|record|list|show        metrics (9.1) of controls and risks, effectiveness\n"
    "  alert list|ack|resolve                the monitor's alerts\n"
    "  watch [--kind K]... [--since SEQ] [--state FILE]\n"
    "                                        the tenant's changes live (report service)\n"
    "  demo load                             fill an empty tenant with an example organisation\n"
    "  report NAME --format json|csv|html [--out FILE]\n"
    "                                        risk_register, soa, heatmap, plans, dashboard,\n"
    "                                        audit_trail, review_pack: documents for audits\n"
    "                                        and reviews\n"
    "\n"
    "Global options (before or after the command):\n"
    "  --tenant T        tenant to act in (default: RISKLINE_TENANT, else \"default\")\n"
    "  --json            print the service's reply as JSON\n"
    "  --endpoint URL    the command's service (default: RISKLINE_REGISTER_ENDPOINT,\n"
    "                    RISKLINE_TREATMENT_ENDPOINT for plan, milestone, control, soa, accept;\n"
    "                    RISKLINE_MONITOR_ENDPOINT for event, monitor, metric, alert;\n"
    "                    RISKLINE_REPORT_ENDPOINT for watch and report (watch's updates come from\n"
    "                    RISKLINE_REPORT_PUB_ENDPOINT, default tcp://127.0.0.1:7105);\n"
    "                    else tcp://127.0.0.1:7101)\n"
    "  --help            help; also after any command, e.g. 'riskline risk add --help'\n"
    "\n"
    "Environment: RISKLINE_TENANT, RISKLINE_REGISTER_ENDPOINT, RISKLINE_TIMEOUT_MS (3000),\n"
    "RISKLINE_RETRIES (2), RISKLINE_KEYS_DIR (var/keys), RISKLINE_KEY_FILE (<keys dir>/cli.key),\n"
    "RISKLINE_INSECURE (1 = plaintext, only against services started so), RISKLINE_CONFIG\n"
    "(optional JSON settings file).\n"
    "\n"
    "Exit codes: 0 ok; 1 usage error; 2 rejected input, not found or forbidden;\n"
    "3 service unavailable; 4 conflict (someone changed it first: read again and retry);\n"
    "5 audit chain broken or unsigned (audit verify).\n";

static const cli_opt_t global_opts[] = {
    {"tenant", CLI_OPT_VALUE},
    {"json", CLI_OPT_FLAG},
    {"endpoint", CLI_OPT_VALUE},
};

/* Index of the command word: skips the global options (and their values) that precede it. */
static int command_index(int argc, char **argv)
{
    int i = 1;
    while (i < argc && argv[i][0] == '-' && argv[i][1]) {
        if (strcmp(argv[i], "--") == 0)
            return i + 1;
        if (strcmp(argv[i], "--tenant") == 0 || strcmp(argv[i], "--endpoint") == 0)
            i++;
        i++;
    }
    return i;
}

static const cli_cmd_t *find_command(const char *group, const char *name)
{
    size_t n = 0;
    const cli_cmd_t *cmds = NULL;
    if (!group)
        return strcmp(name, "ping") == 0     ? cli_ping_command()
               : strcmp(name, "accept") == 0 ? cli_accept_command()
               : strcmp(name, "watch") == 0  ? cli_watch_command()
               : strcmp(name, "report") == 0 ? cli_report_command()
                                             : NULL;
    if (strcmp(group, "risk") == 0)
        cmds = cli_risk_commands(&n);
    else if (strcmp(group, "criteria") == 0)
        cmds = cli_criteria_commands(&n);
    else if (strcmp(group, "keys") == 0)
        cmds = cli_keys_commands(&n);
    else if (strcmp(group, "audit") == 0)
        cmds = cli_audit_commands(&n);
    else if (strcmp(group, "plan") == 0)
        cmds = cli_plan_commands(&n);
    else if (strcmp(group, "milestone") == 0)
        cmds = cli_milestone_commands(&n);
    else if (strcmp(group, "control") == 0)
        cmds = cli_control_commands(&n);
    else if (strcmp(group, "soa") == 0)
        cmds = cli_soa_commands(&n);
    else if (strcmp(group, "event") == 0)
        cmds = cli_event_commands(&n);
    else if (strcmp(group, "monitor") == 0) {
        if (strcmp(name, "sweep") == 0)
            return cli_monitor_sweep_command();
        cmds = cli_monitor_commands(&n);
    } else if (strcmp(group, "metric") == 0)
        cmds = cli_metric_commands(&n);
    else if (strcmp(group, "alert") == 0)
        cmds = cli_alert_commands(&n);
    else if (strcmp(group, "demo") == 0)
        cmds = cli_demo_commands(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(cmds[i].name, name) == 0)
            return &cmds[i];
    return NULL;
}

static int help(cli_app_t *app, const char *text)
{
    fputs(text, app->out);
    return CLI_EXIT_OK;
}

/* Resolves the command, parses its arguments and runs it. */
static int dispatch(cli_app_t *app, int argc, char **argv)
{
    int ci = command_index(argc, argv);
    int wants_help = cli_args_wants_help(argc - 1, argv + 1);
    if (ci >= argc) {
        if (wants_help)
            return help(app, top_usage);
        if (argc <= 1) {
            fputs(top_usage, app->errf);
            return CLI_EXIT_USAGE;
        }
        /* Only options: report a bad one by name, else the missing command. */
        const cli_opt_t *const tables[] = {global_opts};
        const size_t sizes[] = {sizeof global_opts / sizeof global_opts[0]};
        cli_args_t a;
        rl_error_t err;
        rl_error_clear(&err);
        if (cli_args_parse(&a, tables, sizes, 1, argc - 1, argv + 1, app->arena, &err) != RL_OK)
            return cli_usage_fail(app, &err);
        return cli_usage(app, "", "missing command (ping, risk, criteria, keys, audit, plan, milestone, control, soa, accept, event, monitor, metric, alert, watch, demo or report)");
    }
    const char *word = argv[ci];
    const char *group = NULL;
    const char *group_usage = NULL;
    int rest = ci + 1;
    if (strcmp(word, "risk") == 0)
        group_usage = cli_risk_group_usage;
    else if (strcmp(word, "criteria") == 0)
        group_usage = cli_criteria_group_usage;
    else if (strcmp(word, "keys") == 0)
        group_usage = cli_keys_group_usage;
    else if (strcmp(word, "audit") == 0)
        group_usage = cli_audit_group_usage;
    else if (strcmp(word, "plan") == 0)
        group_usage = cli_plan_group_usage;
    else if (strcmp(word, "milestone") == 0)
        group_usage = cli_milestone_group_usage;
    else if (strcmp(word, "control") == 0)
        group_usage = cli_control_group_usage;
    else if (strcmp(word, "soa") == 0)
        group_usage = cli_soa_group_usage;
    else if (strcmp(word, "event") == 0)
        group_usage = cli_event_group_usage;
    else if (strcmp(word, "monitor") == 0)
        group_usage = cli_monitor_group_usage;
    else if (strcmp(word, "metric") == 0)
        group_usage = cli_metric_group_usage;
    else if (strcmp(word, "alert") == 0)
        group_usage = cli_alert_group_usage;
    else if (strcmp(word, "demo") == 0)
        group_usage = cli_demo_group_usage;
    const cli_cmd_t *cmd;
    if (group_usage) {
        group = word;
        app->cmd_path = group;
        if (rest >= argc || argv[rest][0] == '-') {
            if (wants_help)
                return help(app, group_usage);
            return cli_usage(app, "", "missing %s subcommand", group);
        }
        cmd = find_command(group, argv[rest]);
        if (!cmd) {
            if (wants_help)
                return help(app, group_usage);
            return cli_usage(app, "", "unknown %s subcommand '%.64s'", group, argv[rest]);
        }
        rest++;
    } else {
        cmd = find_command(NULL, word);
        if (!cmd) {
            if (wants_help)
                return help(app, top_usage);
            return cli_usage(app, "", "unknown command '%.64s'", word);
        }
    }
    if (wants_help)
        return help(app, cmd->usage);
    app->cmd_path = group ? rl_arena_printf(app->arena, "%s %s", group, cmd->name) : cmd->name;
    if (!app->cmd_path)
        return cli_oom(app);

    /* Global options may come before or after the command: parse both parts together. */
    int nargs = (ci - 1) + (argc - rest);
    char **args = rl_arena_alloc(app->arena, (size_t)(nargs > 0 ? nargs : 1) * sizeof *args);
    if (!args)
        return cli_oom(app);
    int k = 0;
    for (int i = 1; i < ci; i++)
        if (strcmp(argv[i], "--") != 0)
            args[k++] = argv[i];
    for (int i = rest; i < argc; i++)
        args[k++] = argv[i];

    const cli_opt_t *const tables[] = {cmd->opts, global_opts};
    const size_t sizes[] = {cmd->nopts, sizeof global_opts / sizeof global_opts[0]};
    cli_args_t a;
    rl_error_t err;
    rl_error_clear(&err);
    if (cli_args_parse(&a, tables, sizes, 2, k, args, app->arena, &err) != RL_OK)
        return cli_usage_fail(app, &err);
    if (a.npos < cmd->min_pos)
        return cli_usage(app, "", "missing argument %s", cmd->pos_name ? cmd->pos_name : "");
    if (a.npos > cmd->max_pos)
        return cli_usage(app, "", "unexpected argument '%.64s'", a.pos[cmd->max_pos]);

    const char *v;
    if ((v = cli_args_get(&a, "tenant")))
        app->tenant = v;
    /* each command talks to its service: its default endpoint and its public key */
    app->service = cmd->service ? cmd->service : "register";
    if (cmd->service && !strcmp(cmd->service, "treatment"))
        app->endpoint = app->cfg.treatment_endpoint;
    else if (cmd->service && !strcmp(cmd->service, "monitor"))
        app->endpoint = app->cfg.monitor_endpoint;
    else if (cmd->service && !strcmp(cmd->service, "report"))
        app->endpoint = app->cfg.report_endpoint;
    if ((v = cli_args_get(&a, "endpoint")))
        app->endpoint = v;
    app->json = cli_args_get(&a, "json") != NULL;
    if (!rl_tenant_valid(app->tenant))
        return cli_usage(app, cli_args_get(&a, "tenant") ? "--tenant" : "RISKLINE_TENANT",
                         "invalid tenant '%.40s': 1..32 of a-z 0-9 _ -, starting with a letter or digit",
                         app->tenant);
    if (!app->endpoint[0])
        return cli_usage(app, "--endpoint", "empty endpoint");
    return cmd->run(app, &a);
}

int main(int argc, char **argv)
{
    cli_app_t app;
    memset(&app, 0, sizeof app);
    app.out = stdout;
    app.errf = stderr;
    app.cmd_path = "";
    rl_error_t err;
    rl_error_clear(&err);
    if (rl_config_load(&app.cfg, &err) != RL_OK) {
        fprintf(stderr, "riskline: %s: %s%s%s\n", rl_strerror(err.code), err.field, err.field[0] ? ": " : "",
                err.message);
        return CLI_EXIT_USAGE;
    }
    app.tenant = app.cfg.tenant;
    app.endpoint = app.cfg.register_endpoint;
    app.arena = rl_arena_new(0);
    if (!app.arena) {
        fputs("riskline: internal: out of memory\n", stderr);
        return CLI_EXIT_REJECTED;
    }
    int rc = dispatch(&app, argc, argv);
    cli_app_close(&app);
    rl_arena_destroy(&app.arena);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fputs("riskline: internal: cannot write the output\n", stderr);
        if (rc == CLI_EXIT_OK)
            rc = CLI_EXIT_REJECTED;
    }
    return rc;
}
