/* cli_report.c: `riskline report NAME --format F [--out FILE]`: fetches a report chunk by chunk
 * from the report service and appends each chunk to the file (or stdout) as it comes. */
#include "cli_report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli_risk.h"
#include "rl_json.h"

static const char report_usage[] =
    "usage: riskline [global options] report NAME --format json|csv|html [--out FILE]\n"
    "         [--owner O] [--level L] [--status S] [--category C] [--review-before YYYY-MM-DD]\n"
    "         [--sort id|score|review] [--archived] [--since YYYY-MM-DD] [--plan TP-N]\n"
    "         [--as-of YYYY-MM-DD|YYYY-MM-DDTHH:MM:SS[.mmm]Z]\n"
    "         [--entity R-N|TP-N] [--until YYYY-MM-DD]\n"
    "\n"
    "Renders a report on the report service (RISKLINE_REPORT_ENDPOINT, default\n"
    "tcp://127.0.0.1:7104) and writes it to FILE (default: stdout). NAME:\n"
    "  risk_register   every risk the filters select (as in `risk list`), with ratings, levels,\n"
    "                  treatment, plans and review dates, and the counts by level\n"
    "  soa             the Statement of Applicability: every Annex A and own control, applicable or\n"
    "                  why not, the risks and plans selecting it, implementation status\n"
    "  heatmap         the risk matrix with the number of risks at each inherent and residual\n"
    "                  position (filters as for risk_register)\n"
    "  plans           the risk treatment plan document: every plan (or --plan TP-N) with owner,\n"
    "                  controls, budget, costs, people, milestones and evidence, approval,\n"
    "                  verification, acceptance, and its history\n"
    "  dashboard       treatment progress: plans by state and progress, budget against spent by\n"
    "                  owner, overdue milestones, open alerts\n"
    "  audit_trail     the audit trail: every domain event of one entity (--entity R-N|TP-N) or of\n"
    "                  the tenant in a time range (--since, --until), in order, with who, what\n"
    "                  changed, and the chain position and hash to cross-check with `audit verify`\n"
    "  review_pack     the management review pack (ISO/IEC 27001 9.3) since the last review\n"
    "                  (--since, required): actions, changes in risk, metrics and control\n"
    "                  effectiveness, alerts and nonconformities, acceptances expiring\n"
    "Formats: json (one document), csv (RFC 4180, one table: the main one), html (one\n"
    "self-contained page with inline CSS and SVG charts; prints to PDF).\n"
    "--as-of: risk_register, plans, soa and heatmap as they stood at that instant (a date: the end\n"
    "of that day, UTC), rebuilt from the tenant's events; refused in the future (a day not yet over)\n"
    "or before the tenant's first event; the register then lists in id order.\n"
    "--since: only risks (plans) changed on or after that day (audit_trail: events from that day;\n"
    "review_pack: the last review's date); --until: audit_trail's events up to the end of that day.\n"
    "The report comes in chunks of at most 200\n"
    "entities: memory stays small on both sides whatever the tenant's size. FILE is written as\n"
    "FILE.part and renamed when the last chunk arrived, so a failed run leaves no half report (on\n"
    "stdout, what came before a failure stays printed).\n"
    "Exit 0 written; 1 usage; 2 refused (forbidden, unknown report, bad filter); 3 no reply.\n";

static const cli_opt_t report_opts[] = {
    {"format", CLI_OPT_VALUE},   {"out", CLI_OPT_VALUE},      {"owner", CLI_OPT_VALUE},
    {"level", CLI_OPT_VALUE},    {"status", CLI_OPT_VALUE},   {"category", CLI_OPT_VALUE},
    {"review-before", CLI_OPT_VALUE}, {"sort", CLI_OPT_VALUE}, {"archived", CLI_OPT_FLAG},
    {"since", CLI_OPT_VALUE}, {"plan", CLI_OPT_VALUE},   {"as-of", CLI_OPT_VALUE},
    {"entity", CLI_OPT_VALUE}, {"until", CLI_OPT_VALUE},
};

/* Writes all of data; 0 ok. */
static int write_all(FILE *f, const void *data, size_t len)
{
    return len && fwrite(data, 1, len, f) != len ? -1 : 0;
}

static int cmd_report(cli_app_t *app, const cli_args_t *a)
{
    const char *name = a->pos[0];
    rl_error_t err;
    rl_error_clear(&err);
    const char *fmt = cli_args_get(a, "format");
    if (!fmt)
        return cli_usage(app, "--format", "required: json, csv or html");
    int format = !strcmp(fmt, "json") ? 1 : !strcmp(fmt, "csv") ? 2 : !strcmp(fmt, "html") ? 3 : 0;
    if (!format)
        return cli_usage(app, "--format", "expected json, csv or html, got '%.40s'", fmt);
    Riskline__V1__RiskList *filters = rl_arena_alloc(app->arena, sizeof *filters);
    if (!filters)
        return cli_oom(app);
    riskline__v1__risk_list__init(filters);
    int rc = cli_risk_list_filters(app, a, filters);
    if (rc != CLI_EXIT_OK)
        return rc;
    const char *since = cli_args_get(a, "since");
    if (since && cli_parse_date("--since", since, &err) != 0)
        return cli_usage_fail(app, &err);
    const char *until = cli_args_get(a, "until");
    if (until && cli_parse_date("--until", until, &err) != 0)
        return cli_usage_fail(app, &err);
    const char *plan = cli_args_get(a, "plan");
    const char *as_of = cli_args_get(a, "as-of");  /* checked by the service (against its clock too) */
    const char *entity = cli_args_get(a, "entity");
    const char *path = cli_args_get(a, "out");
    if (path && !path[0])
        return cli_usage(app, "--out", "empty file name");
    char *part = path ? rl_arena_printf(app->arena, "%s.part", path) : NULL;
    if (path && !part)
        return cli_oom(app);
    FILE *f = path ? fopen(part, "wb") : app->out;
    if (!f) {
        rl_error_set(&err, RL_ERR_INVALID, "--out", "cannot write %.200s: %s", part, strerror(errno));
        return cli_fail(app, &err);
    }
    rl_arena_t *chunk_arena = rl_arena_new(0);
    char cursor[512] = "";
    size_t chunks = 0;
    int done = 0;
    rc = chunk_arena ? CLI_EXIT_OK : cli_oom(app);
    while (rc == CLI_EXIT_OK && !done) {
        rl_arena_reset(chunk_arena);  /* one chunk in memory at a time */
        rl_envelope_t *req = rl_codec_envelope_new(chunk_arena), *reply = NULL;
        Riskline__V1__ReportGet *q = rl_arena_alloc(chunk_arena, sizeof *q);
        if (!req || !q) {
            rc = cli_oom(app);
            break;
        }
        riskline__v1__report_get__init(q);
        q->name = (char *)name;
        q->format = (Riskline__V1__ReportFormat)format;
        q->filters = filters;
        q->since = since ? (char *)since : (char *)protobuf_c_empty_string;
        q->cursor = cursor;
        q->plan_id = plan ? (char *)plan : (char *)protobuf_c_empty_string;
        q->as_of = as_of ? (char *)as_of : (char *)protobuf_c_empty_string;
        q->entity = entity ? (char *)entity : (char *)protobuf_c_empty_string;
        q->until = until ? (char *)until : (char *)protobuf_c_empty_string;
        req->schema_version = RL_SCHEMA_VERSION;
        req->tenant = (char *)app->tenant;
        req->body_case = RISKLINE__V1__ENVELOPE__BODY_REPORT_GET;
        req->report_get = q;
        rc = cli_call_in(app, chunk_arena, req, RISKLINE__V1__ENVELOPE__BODY_REPORT_CHUNK, &reply);
        if (rc != CLI_EXIT_OK)
            break;
        const Riskline__V1__ReportChunk *c = reply->report_chunk;
        if (write_all(f, c->data.data, c->data.len) != 0) {
            rl_error_set(&err, RL_ERR_INTERNAL, "--out", "cannot write %.200s: %s", path ? part : "stdout",
                         strerror(errno));
            rc = cli_fail(app, &err);
            break;
        }
        chunks++;
        done = c->done;
        if (!done && (!c->cursor || !c->cursor[0] || strlen(c->cursor) >= sizeof cursor)) {
            rl_error_set(&err, RL_ERR_MALFORMED, "cursor", "the service sent an unfinished chunk without a cursor");
            rc = cli_fail(app, &err);
            break;
        }
        if (!done)
            snprintf(cursor, sizeof cursor, "%s", c->cursor);
    }
    rl_arena_destroy(&chunk_arena);
    if (path) {
        int closed = fclose(f);
        if (rc == CLI_EXIT_OK && closed != 0) {
            rl_error_set(&err, RL_ERR_INTERNAL, "--out", "cannot write %.200s: %s", part, strerror(errno));
            rc = cli_fail(app, &err);
        }
        if (rc == CLI_EXIT_OK && rename(part, path) != 0) {
            rl_error_set(&err, RL_ERR_INTERNAL, "--out", "cannot rename %.200s: %s", part, strerror(errno));
            rc = cli_fail(app, &err);
        }
        if (rc != CLI_EXIT_OK)
            unlink(part);
        else if (app->json)
            fprintf(app->out, "{\"report\":\"%s\",\"format\":\"%s\",\"chunks\":%zu}\n", name, fmt, chunks);
        else
            fprintf(app->out, "%s written to %s (%zu chunks)\n", name, path, chunks);
    }
    return rc;
}

static const cli_cmd_t report = {NULL, "report", report_opts, sizeof report_opts / sizeof report_opts[0], 1, 1,
                                 "NAME", report_usage, cmd_report, "report"};

const cli_cmd_t *cli_report_command(void) { return &report; }
