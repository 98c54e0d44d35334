/* cli_metric.c: the `riskline metric define|record|list|show`, `riskline alert list|ack|resolve` and `riskline monitor sweep` commands (measurement of effectiveness, ISO/IEC 27001 9.1, and the monitor's alerts). */
#include "cli_metric.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_output.h"
#include "rl_ids.h"
#include "rl_json.h"
#include "rl_limits.h"
#include "rl_time.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define CELL_NAME 40
#define CELL_MESSAGE 100
#define CELL_KIND 32
#define NUM_LEN 32

#define DIR(x) RISKLINE__V1__METRIC_DIRECTION__METRIC_DIRECTION_##x
#define AS(x) RISKLINE__V1__ALERT_STATE__ALERT_STATE_##x

const char cli_metric_group_usage[] =
    "usage: riskline [global options] metric <subcommand> [args]\n"
    "\n"
    "Metrics (KPIs and KRIs, ISO/IEC 27001 9.1) of the monitor (RISKLINE_MONITOR_ENDPOINT): each\n"
    "measures a control or a risk against a target, with warning and breach thresholds. A result\n"
    "at or beyond breach raises a metric_breach alert; one back in range resolves it. A control's\n"
    "effectiveness comes from its metrics' latest results, weighted.\n"
    "\n"
    "Subcommands:\n"
    "  define    define a metric; prints its id (K-<n>) and the control's effectiveness\n"
    "  record    record a result; prints its level (ok, warning, breach) and the effectiveness\n"
    "  list      list metrics (table)\n"
    "  show      one metric\n"
    "\n"
    "Run 'riskline metric <subcommand> --help' for its options.\n";

const char cli_alert_group_usage[] =
    "usage: riskline [global options] alert <subcommand> [args]\n"
    "\n"
    "Alerts of the monitor: one per kind and subject while open or acknowledged (milestone_overdue,\n"
    "metric_breach, metric_not_measured, reassessment, ...), resolved by the monitor when the\n"
    "condition clears, or by a person.\n"
    "\n"
    "Subcommands:\n"
    "  list      list alerts (table; default: open and acknowledged)\n"
    "  ack       acknowledge an open alert\n"
    "  resolve   resolve an open or acknowledged alert\n"
    "\n"
    "Run 'riskline alert <subcommand> --help' for its options.\n";

static const char define_usage[] =
    "usage: riskline [global options] metric define --name N (--control A.8.8 | --risk R-2)\n"
    "                --frequency-days D --target T --warning W --breach B --direction higher|lower\n"
    "                --owner U [--method M] [--weight 1..100]\n"
    "\n"
    "Defines a metric and prints its id and, for a control's metric, the control's effectiveness:\n"
    "  K-1 defined; control A.8.8: not_measured\n"
    "\n"
    "Options:\n"
    "  --name N             what is measured, 1..200 bytes (required)\n"
    "  --control ID         the control it measures: A.5.1 .. A.8.34 or an own control C-<n>\n"
    "  --risk ID            or the risk it measures (R-<n>): exactly one of --control, --risk\n"
    "  --frequency-days D   a result is due at least every D days, 1..366 (required)\n"
    "  --target T           the value aimed at (required)\n"
    "  --warning W          the warning threshold (required)\n"
    "  --breach B           the breach threshold (required)\n"
    "  --direction DIR      higher (higher is better: breach <= warning <= target) or lower\n"
    "                       (lower is better: target <= warning <= breach) (required)\n"
    "  --owner U            who measures it (required)\n"
    "  --method M           how it is measured, up to 1000 bytes\n"
    "  --weight N           its weight in the control's effectiveness, 1..100 (default 1)\n"
    "  --help               this help\n"
    "\n"
    "Numbers are decimal (e.g. 95, 97.5, -3). Effectiveness: effective (>= 80% of the weight at\n"
    "ok), ineffective (>= 50% at breach), partially_effective, or not_measured.\n";

static const char record_usage[] =
    "usage: riskline [global options] metric record ID --value V [--at TS]\n"
    "\n"
    "Records a result of metric ID and prints where it stands against the thresholds and, for a\n"
    "control's metric, the control's effectiveness:\n"
    "  K-1 recorded 75: breach; control A.8.8: ineffective\n"
    "A breach raises (or keeps) the metric's metric_breach alert; ok or warning resolves it.\n"
    "\n"
    "Options:\n"
    "  --value V            the result, a decimal number (required)\n"
    "  --at TS              when it was measured: 2026-11-26T10:00:00Z, or with an offset +01:00\n"
    "                       (default: now; not more than a day ahead)\n"
    "  --help               this help\n";

static const char list_usage[] =
    "usage: riskline [global options] metric list [--control ID] [--risk ID]\n"
    "\n"
    "Prints a table (ID NAME SUBJECT TARGET WARNING BREACH LAST VALUE LAST AT) and the count;\n"
    "'-' for a metric without a result.\n"
    "\n"
    "Options:\n"
    "  --control ID         only the metrics of this control\n"
    "  --risk ID            only the metrics of this risk\n"
    "  --help               this help\n";

static const char show_usage[] =
    "usage: riskline [global options] metric show ID\n"
    "\n"
    "Prints every field of metric ID (K-<n>) and the level of its last result.\n";

static const char alert_list_usage[] =
    "usage: riskline [global options] alert list [--state open|acknowledged|resolved] [--kind K] [--limit N]\n"
    "\n"
    "Prints a table (ID KIND SEVERITY SUBJECT STATE RAISED MESSAGE) and the count: the open and\n"
    "acknowledged alerts oldest first, or with --state resolved the latest resolved first.\n"
    "\n"
    "Options:\n"
    "  --state S            open | acknowledged | resolved (default: open and acknowledged)\n"
    "  --kind K             only this kind, e.g. metric_breach, milestone_overdue, reassessment\n"
    "  --limit N            at most N alerts, 1..500 (default 50)\n"
    "  --help               this help\n";

static const char ack_usage[] =
    "usage: riskline [global options] alert ack ID [--comment C]\n"
    "\n"
    "Acknowledges open alert ID (AL-<n>): someone is on it. It stays until its condition clears or\n"
    "it is resolved. Prints 'AL-1 acknowledged by <you>'.\n"
    "\n"
    "Options:\n"
    "  --comment C          why: recorded as the comment of the alert's event (its audit trail)\n"
    "  --help               this help\n";

static const char resolve_usage[] =
    "usage: riskline [global options] alert resolve ID [--comment C]\n"
    "\n"
    "Resolves open or acknowledged alert ID (AL-<n>). If its condition persists, the next sweep\n"
    "raises a new alert. Prints 'AL-1 resolved by <you>'.\n"
    "\n"
    "Options:\n"
    "  --comment C          why: recorded as the comment of the alert's event (its audit trail)\n"
    "  --help               this help\n";

static const char sweep_usage[] =
    "usage: riskline [global options] monitor sweep\n"
    "\n"
    "Runs every schedule of the monitor now (admin role): overdue and due milestones, plans past\n"
    "their target, reviews due, acceptances expiring and expired, budget overruns, stalled plans,\n"
    "metrics not measured. Sweeps are idempotent. Prints when it ran; 'alert list' shows the result.\n";

static const cli_opt_t define_opts[] = {
    {"name", CLI_OPT_VALUE},    {"control", CLI_OPT_VALUE}, {"risk", CLI_OPT_VALUE},
    {"frequency-days", CLI_OPT_VALUE}, {"target", CLI_OPT_VALUE}, {"warning", CLI_OPT_VALUE},
    {"breach", CLI_OPT_VALUE},  {"direction", CLI_OPT_VALUE}, {"owner", CLI_OPT_VALUE},
    {"method", CLI_OPT_VALUE},  {"weight", CLI_OPT_VALUE},
};
static const cli_opt_t record_opts[] = {{"value", CLI_OPT_VALUE}, {"at", CLI_OPT_VALUE}};
static const cli_opt_t list_opts[] = {{"control", CLI_OPT_VALUE}, {"risk", CLI_OPT_VALUE}};
static const cli_opt_t alert_list_opts[] = {{"state", CLI_OPT_VALUE}, {"kind", CLI_OPT_VALUE},
                                            {"limit", CLI_OPT_VALUE}};
static const cli_opt_t change_opts[] = {{"comment", CLI_OPT_VALUE}};

/* ------------------------------------------------------------------------------------------ */
/* shared                                                                                     */

/* A decimal number, the whole of s: digits, '.', a sign, an exponent; finite. */
static int parse_number(cli_app_t *app, const char *opt, const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double d = s[0] ? strtod(s, &end) : 0;
    if (!s[0] || !end || *end || errno == ERANGE || !isfinite(d) || strspn(s, "0123456789.-+eE") != strlen(s))
        return cli_usage(app, opt, "'%.40s' is not a number", s);
    *out = d;
    return CLI_EXIT_OK;
}

/* A number as the user wrote it, without trailing zeros ("95", "97.5"). */
static char *num(char buf[NUM_LEN], double v)
{
    snprintf(buf, NUM_LEN, "%.15g", v);
    return buf;
}

/* An id positional argument of the given prefix ("K", "AL"). */
static int id_arg(cli_app_t *app, const char *prefix, const char *what, const char *s)
{
    uint64_t n;
    if (rl_entity_id_parse(prefix, s, &n) != 0)
        return cli_usage(app, "ID", "'%.40s' is not %s id like %s-1", s, what, prefix);
    return CLI_EXIT_OK;
}

static const char *level_name(const Riskline__V1__Metric *m, double v)
{
    if (isnan(v))
        return "breach";
    if (m->direction == DIR(LOWER_IS_BETTER))
        return v >= m->breach ? "breach" : v >= m->warning ? "warning" : "ok";
    return v <= m->breach ? "breach" : v <= m->warning ? "warning" : "ok";
}

static const char *subject(cli_app_t *app, const Riskline__V1__Metric *m)
{
    if (m->control_id && m->control_id[0])
        return rl_arena_printf(app->arena, "control %s", m->control_id);
    return rl_arena_printf(app->arena, "risk %s", m->risk_id ? m->risk_id : "");
}

/* A request of body_case (the caller sets its body); NULL when out of memory (body NULL too). */
static rl_envelope_t *request(cli_app_t *app, int body_case, const void *body)
{
    rl_envelope_t *req = body ? cli_request(app) : NULL;
    if (req)
        req->body_case = (Riskline__V1__Envelope__BodyCase)body_case;
    return req;
}

/* cli_call for a request from request(): NULL (out of memory) is reported as such. */
static int send_req(cli_app_t *app, rl_envelope_t *req, int want, rl_envelope_t **reply)
{
    return req ? cli_call(app, req, want, reply) : cli_oom(app);
}

/* Fills row (ncols cells, arena copies; NULL when out of memory) for item i of ctx. */
typedef void (*row_fn)(cli_app_t *app, const void *ctx, size_t i, char **row);

/* A table of n rows (none: no header) and the count "<n> <noun>s". Returns an exit code. */
static int print_table(cli_app_t *app, const char *const *head, size_t ncols, const void *ctx, size_t n, row_fn fill,
                       const char *noun)
{
    if (n) {
        char **c = rl_arena_alloc(app->arena, n * ncols * sizeof *c);
        if (!c)
            return cli_oom(app);
        for (size_t i = 0; i < n; i++) {
            fill(app, ctx, i, c + i * ncols);
            for (size_t j = 0; j < ncols; j++)
                if (!c[i * ncols + j])
                    return cli_oom(app);
        }
        cli_out_table(app->out, head, ncols, c, n);
    }
    fprintf(app->out, "%zu %s%s\n", n, noun, n == 1 ? "" : "s");
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* metric define / record                                                                     */

/* "K-1 defined; control A.8.8: not_measured" / "K-1 recorded 75: breach; control A.8.8: ..." */
static int print_result(cli_app_t *app, const Riskline__V1__MetricResultReply *res, int recorded)
{
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&res->base));
    const Riskline__V1__Metric *m = res->metric;
    if (!m) {
        rl_error_t err;
        rl_error_set(&err, RL_ERR_MALFORMED, "metric", "the monitor replied without the metric");
        return cli_fail(app, &err);
    }
    FILE *f = app->out;
    cli_out_text(f, m->id, 0);
    if (recorded) {
        char b[NUM_LEN];
        fprintf(f, " recorded %s: %s", num(b, m->last_value), level_name(m, m->last_value));
    } else {
        fputs(" defined", f);
    }
    if (m->control_id && m->control_id[0]) {
        char e[40];
        fputs("; control ", f);
        cli_out_text(f, m->control_id, 0);
        fprintf(f, ": %s", cli_enum_text(&riskline__v1__effectiveness__descriptor, (int)res->effectiveness,
                                         "not_measured", e, sizeof e));
    }
    fputc('\n', f);
    return CLI_EXIT_OK;
}

static int call_metric(cli_app_t *app, rl_envelope_t *req, int recorded)
{
    rl_envelope_t *reply = NULL;
    int rc = send_req(app, req, RISKLINE__V1__ENVELOPE__BODY_METRIC_RESULT, &reply);
    return rc != CLI_EXIT_OK ? rc : print_result(app, reply->metric_result, recorded);
}

static int cmd_define(cli_app_t *app, const cli_args_t *a)
{
    static const char *const required[] = {"name", "frequency-days", "target", "warning", "breach", "direction",
                                            "owner"};
    for (size_t i = 0; i < N(required); i++)
        if (!cli_args_get(a, required[i]))
            return cli_usage(app, "", "missing required option --%s", required[i]);
    const char *control = cli_args_get(a, "control"), *risk = cli_args_get(a, "risk");
    if (!control && !risk)
        return cli_usage(app, "", "missing --control or --risk: what the metric measures");
    if (control && risk)
        return cli_usage(app, "--risk", "a metric measures one control or one risk, not both");
    Riskline__V1__MetricDefine *q = rl_arena_alloc(app->arena, sizeof *q);
    Riskline__V1__Metric *m = rl_arena_alloc(app->arena, sizeof *m);
    if (!q || !m)
        return cli_oom(app);
    riskline__v1__metric_define__init(q);
    riskline__v1__metric__init(m);
    q->metric = m;
    m->name = (char *)cli_args_get(a, "name");
    if (control)
        m->control_id = (char *)control;
    if (risk)
        m->risk_id = (char *)risk;
    m->owner = (char *)cli_args_get(a, "owner");
    if (cli_args_get(a, "method"))
        m->method = (char *)cli_args_get(a, "method");
    rl_error_t err;
    rl_error_clear(&err);
    if (cli_args_u32(a, "frequency-days", &m->frequency_days, &err) < 0)
        return cli_usage_fail(app, &err);
    if (m->frequency_days < 1 || m->frequency_days > 366)
        return cli_usage(app, "--frequency-days", "must be 1..366, got %u", m->frequency_days);
    int got = cli_args_u32(a, "weight", &m->weight, &err);
    if (got < 0)
        return cli_usage_fail(app, &err);
    if (got && (m->weight < 1 || m->weight > 100))
        return cli_usage(app, "--weight", "must be 1..100, got %u", m->weight);
    int rc;
    if ((rc = parse_number(app, "--target", cli_args_get(a, "target"), &m->target)) != CLI_EXIT_OK ||
        (rc = parse_number(app, "--warning", cli_args_get(a, "warning"), &m->warning)) != CLI_EXIT_OK ||
        (rc = parse_number(app, "--breach", cli_args_get(a, "breach"), &m->breach)) != CLI_EXIT_OK)
        return rc;
    const char *dir = cli_args_get(a, "direction");
    if (!strcmp(dir, "higher") || !strcmp(dir, "higher_is_better"))
        m->direction = DIR(HIGHER_IS_BETTER);
    else if (!strcmp(dir, "lower") || !strcmp(dir, "lower_is_better"))
        m->direction = DIR(LOWER_IS_BETTER);
    else
        return cli_usage(app, "--direction", "expected higher or lower, got '%.40s'", dir);
    rl_envelope_t *req = request(app, RISKLINE__V1__ENVELOPE__BODY_METRIC_DEFINE, q);
    if (req)
        req->metric_define = q;
    return call_metric(app, req, 0);
}

static int cmd_record(cli_app_t *app, const cli_args_t *a)
{
    int rc = id_arg(app, "K", "a metric", a->pos[0]);
    if (rc != CLI_EXIT_OK)
        return rc;
    const char *v = cli_args_get(a, "value");
    if (!v)
        return cli_usage(app, "", "missing required option --value");
    Riskline__V1__MetricRecord *q = rl_arena_alloc(app->arena, sizeof *q);
    if (!q)
        return cli_oom(app);
    riskline__v1__metric_record__init(q);
    q->metric_id = (char *)a->pos[0];
    if ((rc = parse_number(app, "--value", v, &q->value)) != CLI_EXIT_OK)
        return rc;
    const char *at = cli_args_get(a, "at");
    if (at && (rl_ts_parse(at, &q->at_ms) != 0 || q->at_ms <= 0))
        return cli_usage(app, "--at", "'%.40s' is not a timestamp like 2026-11-26T10:00:00Z", at);
    rl_envelope_t *req = request(app, RISKLINE__V1__ENVELOPE__BODY_METRIC_RECORD, q);
    if (req)
        req->metric_record = q;
    return call_metric(app, req, 1);
}

/* ------------------------------------------------------------------------------------------ */
/* metric list / show                                                                         */

static int call_list(cli_app_t *app, const char *control, const char *risk, const Riskline__V1__MetricPage **page)
{
    Riskline__V1__MetricList *q = rl_arena_alloc(app->arena, sizeof *q);
    if (!q)
        return cli_oom(app);
    riskline__v1__metric_list__init(q);
    if (control)
        q->control_id = (char *)control;
    if (risk)
        q->risk_id = (char *)risk;
    rl_envelope_t *req = request(app, RISKLINE__V1__ENVELOPE__BODY_METRIC_LIST, q), *reply = NULL;
    if (req)
        req->metric_list = q;
    int rc = send_req(app, req, RISKLINE__V1__ENVELOPE__BODY_METRIC_PAGE, &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    for (size_t i = 0; i < reply->metric_page->n_metrics; i++)
        if (!reply->metric_page->metrics[i]) {
            rl_error_t err;
            rl_error_set(&err, RL_ERR_MALFORMED, "metrics", "the monitor replied with an empty metric");
            return cli_fail(app, &err);
        }
    *page = reply->metric_page;
    return CLI_EXIT_OK;
}

static void metric_row(cli_app_t *app, const void *ctx, size_t i, char **row)
{
    const Riskline__V1__Metric *m = ((const Riskline__V1__MetricPage *)ctx)->metrics[i];
    char b[NUM_LEN], ts[RL_TS_LEN];
    const char *sub = subject(app, m);
    row[0] = cli_out_cell(app->arena, m->id, RL_MAX_ENTITY_ID);
    row[1] = cli_out_cell(app->arena, m->name, CELL_NAME);
    row[2] = sub ? cli_out_cell(app->arena, sub, RL_MAX_ENTITY_ID + 8) : NULL;
    row[3] = rl_arena_strdup(app->arena, num(b, m->target));
    row[4] = rl_arena_strdup(app->arena, num(b, m->warning));
    row[5] = rl_arena_strdup(app->arena, num(b, m->breach));
    row[6] = rl_arena_strdup(app->arena, m->last_at_ms ? num(b, m->last_value) : "-");
    row[7] = rl_arena_strdup(app->arena, m->last_at_ms ? rl_ts_format(m->last_at_ms, ts) : "-");
}

static int cmd_list(cli_app_t *app, const cli_args_t *a)
{
    const Riskline__V1__MetricPage *page;
    int rc = call_list(app, cli_args_get(a, "control"), cli_args_get(a, "risk"), &page);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&page->base));
    static const char *const head[] = {"ID", "NAME", "SUBJECT", "TARGET", "WARNING", "BREACH", "LAST VALUE",
                                       "LAST AT"};
    return print_table(app, head, N(head), page, page->n_metrics, metric_row, "metric");
}

static void print_metric(cli_app_t *app, const Riskline__V1__Metric *m)
{
    FILE *f = app->out;
    char b[NUM_LEN], ts[RL_TS_LEN];
    cli_out_kv(f, "id", m->id);
    cli_out_kv(f, "name", m->name);
    cli_out_kv(f, "measures", subject(app, m));
    cli_out_kv(f, "method", m->method);
    cli_out_kv(f, "frequency", rl_arena_printf(app->arena, "every %u day%s", m->frequency_days,
                                               m->frequency_days == 1 ? "" : "s"));
    cli_out_kv(f, "direction", m->direction == DIR(LOWER_IS_BETTER) ? "lower is better" : "higher is better");
    cli_out_kv(f, "target", num(b, m->target));
    cli_out_kv(f, "warning", num(b, m->warning));
    cli_out_kv(f, "breach", num(b, m->breach));
    cli_out_kv(f, "weight", rl_arena_printf(app->arena, "%u", m->weight ? m->weight : 1));
    cli_out_kv(f, "owner", m->owner);
    if (m->last_at_ms)
        cli_out_kv(f, "last result", rl_arena_printf(app->arena, "%s at %s: %s", num(b, m->last_value),
                                                     rl_ts_format(m->last_at_ms, ts), level_name(m, m->last_value)));
    else
        cli_out_kv(f, "last result", "-");
    cli_out_kv(f, "version", rl_arena_printf(app->arena, "%" PRIu64, m->version));
}

static int cmd_show(cli_app_t *app, const cli_args_t *a)
{
    const char *id = a->pos[0];
    int rc = id_arg(app, "K", "a metric", id);
    if (rc != CLI_EXIT_OK)
        return rc;
    const Riskline__V1__MetricPage *page;
    if ((rc = call_list(app, NULL, NULL, &page)) != CLI_EXIT_OK)
        return rc;
    for (size_t i = 0; i < page->n_metrics; i++) {
        const Riskline__V1__Metric *m = page->metrics[i];
        if (!m->id || strcmp(m->id, id) != 0)
            continue;
        if (app->json)
            return cli_print_json(app, rl_json_from_message(&m->base));
        print_metric(app, m);
        return CLI_EXIT_OK;
    }
    rl_error_t err;
    rl_error_set(&err, RL_ERR_NOT_FOUND, "metric_id", "no metric %.40s in tenant %s", id, app->tenant);
    return cli_fail(app, &err);
}

/* ------------------------------------------------------------------------------------------ */
/* alerts                                                                                     */

static const char *state_text(Riskline__V1__AlertState s, char *buf, size_t size)
{
    return cli_enum_text(&riskline__v1__alert_state__descriptor, (int)s, "-", buf, size);
}

static void alert_row(cli_app_t *app, const void *ctx, size_t i, char **row)
{
    const Riskline__V1__Alert *al = ((const Riskline__V1__AlertPage *)ctx)->alerts[i];
    char b[32], ts[RL_TS_LEN];
    row[0] = cli_out_cell(app->arena, al->id, RL_MAX_ENTITY_ID);
    row[1] = cli_out_cell(app->arena, al->kind, CELL_KIND);
    row[2] = cli_out_cell(app->arena,
                          cli_enum_text(&riskline__v1__severity__descriptor, (int)al->severity, "-", b, sizeof b), 16);
    row[3] = cli_out_cell(app->arena, al->subject, RL_MAX_ENTITY_ID * 2 + 1);
    row[4] = cli_out_cell(app->arena, state_text(al->state, b, sizeof b), 16);
    row[5] = rl_arena_strdup(app->arena, al->raised_at_ms ? rl_ts_format(al->raised_at_ms, ts) : "-");
    row[6] = cli_out_cell(app->arena, al->message, CELL_MESSAGE);
}

static int cmd_alert_list(cli_app_t *app, const cli_args_t *a)
{
    Riskline__V1__AlertList *q = rl_arena_alloc(app->arena, sizeof *q);
    if (!q)
        return cli_oom(app);
    riskline__v1__alert_list__init(q);
    const char *st = cli_args_get(a, "state");
    if (st) {
        if (!strcmp(st, "open"))
            q->state = AS(OPEN);
        else if (!strcmp(st, "acknowledged"))
            q->state = AS(ACKNOWLEDGED);
        else if (!strcmp(st, "resolved"))
            q->state = AS(RESOLVED);
        else
            return cli_usage(app, "--state", "expected open, acknowledged or resolved, got '%.40s'", st);
    }
    const char *kind = cli_args_get(a, "kind");
    if (kind) {
        if (!kind[0] || strlen(kind) > 64 || strspn(kind, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(kind))
            return cli_usage(app, "--kind", "'%.40s' is not an alert kind like metric_breach", kind);
        q->kind = (char *)kind;
    }
    rl_error_t err;
    rl_error_clear(&err);
    int got = cli_args_u32(a, "limit", &q->limit, &err);
    if (got < 0)
        return cli_usage_fail(app, &err);
    if (got && (q->limit < 1 || q->limit > RL_MAX_PAGE))
        return cli_usage(app, "--limit", "must be 1..%d, got %u", RL_MAX_PAGE, q->limit);
    rl_envelope_t *req = request(app, RISKLINE__V1__ENVELOPE__BODY_ALERT_LIST, q), *reply = NULL;
    if (req)
        req->alert_list = q;
    int rc = send_req(app, req, RISKLINE__V1__ENVELOPE__BODY_ALERT_PAGE, &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    const Riskline__V1__AlertPage *page = reply->alert_page;
    for (size_t i = 0; i < page->n_alerts; i++)
        if (!page->alerts[i]) {
            rl_error_set(&err, RL_ERR_MALFORMED, "alerts", "the monitor replied with an empty alert");
            return cli_fail(app, &err);
        }
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&page->base));
    static const char *const head[] = {"ID", "KIND", "SEVERITY", "SUBJECT", "STATE", "RAISED", "MESSAGE"};
    if ((rc = print_table(app, head, N(head), page, page->n_alerts, alert_row, "alert")) != CLI_EXIT_OK)
        return rc;
    if (page->next_cursor && page->next_cursor[0]) {
        fputs("next cursor: ", app->out);
        cli_out_text(app->out, page->next_cursor, 0);
        fputc('\n', app->out);
    }
    return CLI_EXIT_OK;
}

static int change(cli_app_t *app, const cli_args_t *a, Riskline__V1__AlertState to)
{
    int rc = id_arg(app, "AL", "an alert", a->pos[0]);
    if (rc != CLI_EXIT_OK)
        return rc;
    Riskline__V1__AlertChange *q = rl_arena_alloc(app->arena, sizeof *q);
    if (!q)
        return cli_oom(app);
    riskline__v1__alert_change__init(q);
    q->id = (char *)a->pos[0];
    q->state = to;
    const char *comment = cli_args_get(a, "comment");
    if (comment) {
        if (strlen(comment) > RL_MAX_TEXT)
            return cli_usage(app, "--comment", "at most %d bytes", RL_MAX_TEXT);
        q->comment = (char *)comment;
    }
    rl_envelope_t *req = request(app, RISKLINE__V1__ENVELOPE__BODY_ALERT_CHANGE, q), *reply = NULL;
    if (req)
        req->alert_change = q;
    if ((rc = send_req(app, req, RISKLINE__V1__ENVELOPE__BODY_ALERT_RESULT, &reply)) != CLI_EXIT_OK)
        return rc;
    const Riskline__V1__AlertResult *res = reply->alert_result;
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&res->base));
    const Riskline__V1__Alert *al = res->alert;
    if (!al) {
        rl_error_t err;
        rl_error_set(&err, RL_ERR_MALFORMED, "alert", "the monitor replied without the alert");
        return cli_fail(app, &err);
    }
    char b[32];
    FILE *f = app->out;
    cli_out_text(f, al->id, 0);
    fprintf(f, " %s by ", state_text(al->state, b, sizeof b));
    cli_out_text(f, to == AS(RESOLVED) ? al->resolved_by : al->acknowledged_by, 0);
    fputc('\n', f);
    return CLI_EXIT_OK;
}

static int cmd_ack(cli_app_t *app, const cli_args_t *a) { return change(app, a, AS(ACKNOWLEDGED)); }
static int cmd_resolve(cli_app_t *app, const cli_args_t *a) { return change(app, a, AS(RESOLVED)); }

/* ------------------------------------------------------------------------------------------ */
/* monitor sweep                                                                              */

static int cmd_sweep(cli_app_t *app, const cli_args_t *a)
{
    (void)a;
    Riskline__V1__SweepRun *q = rl_arena_alloc(app->arena, sizeof *q);
    if (!q)
        return cli_oom(app);
    riskline__v1__sweep_run__init(q);
    rl_envelope_t *req = request(app, RISKLINE__V1__ENVELOPE__BODY_SWEEP_RUN, q), *reply = NULL;
    if (req)
        req->sweep_run = q;
    int rc = send_req(app, req, RISKLINE__V1__ENVELOPE__BODY_MONITOR_STATUS, &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    const Riskline__V1__MonitorStatus *st = reply->monitor_status;
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&st->base));
    char ts[RL_TS_LEN];
    fprintf(app->out, "sweep done at %s\n", st->last_sweep_ms > 0 ? rl_ts_format(st->last_sweep_ms, ts) : "-");
    return CLI_EXIT_OK;
}

#define MONITOR "monitor"

static const cli_cmd_t metric_commands[] = {
    {"metric", "define", define_opts, N(define_opts), 0, 0, NULL, define_usage, cmd_define, MONITOR},
    {"metric", "record", record_opts, N(record_opts), 1, 1, "ID", record_usage, cmd_record, MONITOR},
    {"metric", "list", list_opts, N(list_opts), 0, 0, NULL, list_usage, cmd_list, MONITOR},
    {"metric", "show", NULL, 0, 1, 1, "ID", show_usage, cmd_show, MONITOR},
};

static const cli_cmd_t alert_commands[] = {
    {"alert", "list", alert_list_opts, N(alert_list_opts), 0, 0, NULL, alert_list_usage, cmd_alert_list, MONITOR},
    {"alert", "ack", change_opts, N(change_opts), 1, 1, "ID", ack_usage, cmd_ack, MONITOR},
    {"alert", "resolve", change_opts, N(change_opts), 1, 1, "ID", resolve_usage, cmd_resolve, MONITOR},
};

static const cli_cmd_t sweep_command = {"monitor", "sweep", NULL, 0, 0, 0, NULL, sweep_usage, cmd_sweep, MONITOR};

const cli_cmd_t *cli_metric_commands(size_t *n)
{
    *n = N(metric_commands);
    return metric_commands;
}

const cli_cmd_t *cli_alert_commands(size_t *n)
{
    *n = N(alert_commands);
    return alert_commands;
}

const cli_cmd_t *cli_monitor_sweep_command(void) { return &sweep_command; }
