/* cli_control.c: the `riskline control ...` and `riskline soa ...` commands and `riskline accept` (control catalogue, Statement of Applicability, risk acceptance). */
#include "cli_control.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli_output.h"
#include "cli_parse_treatment.h"
#include "rl_json.h"
#include "rl_limits.h"
#include "rl_time.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define CELL_TITLE 50
#define CELL_JUSTIFICATION 60

#define THEMES "organizational, people, physical or technological"
#define TYPES "technical, policy, training, physical or process"
#define STATUSES "not_started, in_progress, implemented or verified"

const char cli_control_group_usage[] =
    "usage: riskline [global options] control <subcommand> [args]\n"
    "\n"
    "The control catalogue: the 93 controls of ISO/IEC 27001:2022 Annex A (A.5.1 .. A.8.34) and\n"
    "the organisation's own controls (C-1, ...), which plans select with --control.\n"
    "\n"
    "Subcommands:\n"
    "  list      list controls (table)\n"
    "  show      one control\n"
    "  add       add an own control\n"
    "\n"
    "Run 'riskline control <subcommand> --help' for its options.\n";

const char cli_soa_group_usage[] =
    "usage: riskline [global options] soa <subcommand> [args]\n"
    "\n"
    "The Statement of Applicability (ISO/IEC 27001 6.1.3 d), derived live from the catalogue, the\n"
    "treatment plans and the recorded exclusions.\n"
    "\n"
    "Subcommands:\n"
    "  show      the SoA (table)\n"
    "  exclude   record why a control is not applicable\n"
    "  include   clear a control's exclusion\n"
    "\n"
    "Run 'riskline soa <subcommand> --help' for its options.\n";

static const char control_list_usage[] =
    "usage: riskline [global options] control list [--theme T] [--custom]\n"
    "\n"
    "Prints a table (ID THEME TYPE TITLE) and the count.\n"
    "\n"
    "Options:\n"
    "  --theme T          only this theme: organizational | people | physical | technological\n"
    "  --custom           only the organisation's own controls\n"
    "  --help             this help\n";

static const char control_show_usage[] =
    "usage: riskline [global options] control show ID\n"
    "\n"
    "Prints one control: Annex A (A.5.1, or 5.1) or an own control (C-1).\n";

static const char control_add_usage[] =
    "usage: riskline [global options] control add --title T --type TYPE [--theme T] [--description D]\n"
    "\n"
    "Adds an own control to the catalogue and prints its id (C-<n>).\n"
    "\n"
    "Options:\n"
    "  --title T          title, 1..200 bytes (required)\n"
    "  --type TYPE        technical | policy | training | physical | process (required)\n"
    "  --theme T          organizational | people | physical | technological\n"
    "  --description D    up to 4000 bytes\n"
    "  --help             this help\n";

static const char soa_show_usage[] =
    "usage: riskline [global options] soa show [--theme T] [--status S]\n"
    "\n"
    "Prints the Statement of Applicability: CONTROL TITLE APPLICABLE STATUS JUSTIFICATION, where\n"
    "the justification of an applicable control names the risks and plans that select it, and that\n"
    "of an excluded one the exclusion's reason; then the counts.\n"
    "\n"
    "Options:\n"
    "  --theme T          only this theme: organizational | people | physical | technological\n"
    "  --status S         only this implementation status: not_started | in_progress |\n"
    "                     implemented | verified\n"
    "  --help             this help\n";

static const char soa_exclude_usage[] =
    "usage: riskline [global options] soa exclude ID --reason R\n"
    "\n"
    "Records that control ID is not applicable, with the justification (who and when are recorded).\n"
    "A control that a plan selects stays applicable.\n"
    "\n"
    "Options:\n"
    "  --reason R         why the control is excluded (required, up to 1000 bytes)\n"
    "  --help             this help\n";

static const char soa_include_usage[] =
    "usage: riskline [global options] soa include ID\n"
    "\n"
    "Clears the exclusion of control ID (recorded in the audit trail).\n";

static const char accept_usage[] =
    "usage: riskline [global options] accept RISK --justification J --expires YYYY-MM-DD\n"
    "\n"
    "Records the acceptance of risk RISK (ISO/IEC 27001 6.1.3 f) by its risk owner, until the\n"
    "expiry date (within the tenant's maximum). The residual score is accepted when rated, else\n"
    "the inherent one; a score above the appetite needs the approver role as well.\n"
    "\n"
    "Options:\n"
    "  --justification J  why the risk is accepted (required)\n"
    "  --expires DATE     when the acceptance lapses and must be reviewed (required)\n"
    "  --help             this help\n";

static const cli_opt_t control_list_opts[] = {{"theme", CLI_OPT_VALUE}, {"custom", CLI_OPT_FLAG}};
static const cli_opt_t control_add_opts[] = {{"title", CLI_OPT_VALUE}, {"type", CLI_OPT_VALUE},
                                             {"theme", CLI_OPT_VALUE}, {"description", CLI_OPT_VALUE}};
static const cli_opt_t soa_show_opts[] = {{"theme", CLI_OPT_VALUE}, {"status", CLI_OPT_VALUE}};
static const cli_opt_t soa_exclude_opts[] = {{"reason", CLI_OPT_VALUE}};
static const cli_opt_t accept_opts[] = {{"justification", CLI_OPT_VALUE}, {"expires", CLI_OPT_VALUE}};

/* --theme into *theme (unchanged when absent). CLI_EXIT_OK or the printed error's exit code. */
static int theme_opt(cli_app_t *app, const cli_args_t *a, Riskline__V1__ControlTheme *theme)
{
    const char *v = cli_args_get(a, "theme");
    if (!v)
        return CLI_EXIT_OK;
    rl_error_t err;
    int t = cli_parse_enum(&riskline__v1__control_theme__descriptor, "--theme", v, 1, 4, THEMES, &err);
    if (t < 0)
        return cli_usage_fail(app, &err);
    *theme = (Riskline__V1__ControlTheme)t;
    return CLI_EXIT_OK;
}

static const char *enum_text(const ProtobufCEnumDescriptor *e, int v, char *buf, size_t size)
{
    return cli_enum_text(e, v, "-", buf, size);
}

/* --- control --- */

static int print_control_table(cli_app_t *app, const Riskline__V1__ControlPage *page)
{
    static const char *const head[] = {"ID", "THEME", "TYPE", "TITLE"};
    size_t n = page->n_controls;
    if (n) {
        char **c = rl_arena_alloc(app->arena, n * N(head) * sizeof *c);
        if (!c)
            return cli_oom(app);
        for (size_t i = 0; i < n; i++) {
            const Riskline__V1__Control *k = page->controls[i];
            char b[32];
            char **row = c + i * N(head);
            row[0] = cli_out_cell(app->arena, k->id, RL_MAX_ENTITY_ID);
            row[1] = cli_out_cell(app->arena, enum_text(&riskline__v1__control_theme__descriptor, (int)k->theme, b, sizeof b), 20);
            row[2] = cli_out_cell(app->arena, enum_text(&riskline__v1__control_type__descriptor, (int)k->type, b, sizeof b), 20);
            row[3] = cli_out_cell(app->arena, k->title, CELL_TITLE + 30);
            for (size_t j = 0; j < N(head); j++)
                if (!row[j])
                    return cli_oom(app);
        }
        cli_out_table(app->out, head, N(head), c, n);
    }
    fprintf(app->out, "%zu control%s\n", n, n == 1 ? "" : "s");
    return CLI_EXIT_OK;
}

static void print_control(cli_app_t *app, const Riskline__V1__Control *k)
{
    FILE *f = app->out;
    char b[32];
    cli_out_kv(f, "id", k->id);
    cli_out_kv(f, "title", k->title);
    cli_out_kv(f, "theme", enum_text(&riskline__v1__control_theme__descriptor, (int)k->theme, b, sizeof b));
    cli_out_kv(f, "type", enum_text(&riskline__v1__control_type__descriptor, (int)k->type, b, sizeof b));
    cli_out_kv(f, "catalogue", k->custom ? "own control" : "ISO/IEC 27001:2022 Annex A");
    cli_out_kv(f, "description", k->description);
    if (k->custom)
        cli_out_kv_ts(f, "created", k->created_at_ms, k->created_by);
}

/* Sends req, expecting a ControlPage; *page or the exit code. */
static int call_controls(cli_app_t *app, rl_envelope_t *req, const Riskline__V1__ControlPage **page)
{
    rl_envelope_t *reply = NULL;
    int rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_CONTROL_PAGE, &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    *page = reply->control_page;
    return CLI_EXIT_OK;
}

/* One control out of a one-control page (show, add). */
static int print_one(cli_app_t *app, const Riskline__V1__ControlPage *page, const char *added)
{
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&page->base));
    if (page->n_controls != 1) {
        rl_error_t err;
        rl_error_set(&err, RL_ERR_MALFORMED, "controls", "the service replied with %zu controls, not one",
                     page->n_controls);
        return cli_fail(app, &err);
    }
    const Riskline__V1__Control *k = page->controls[0];
    if (!added) {
        print_control(app, k);
        return CLI_EXIT_OK;
    }
    cli_out_text(app->out, k->id, 0);
    fprintf(app->out, " %s: ", added);
    cli_out_text(app->out, k->title, 0);
    fputc('\n', app->out);
    return CLI_EXIT_OK;
}

static int cmd_control_list(cli_app_t *app, const cli_args_t *a)
{
    Riskline__V1__ControlList *l = rl_arena_alloc(app->arena, sizeof *l);
    rl_envelope_t *req = cli_request(app);
    if (!l || !req)
        return cli_oom(app);
    riskline__v1__control_list__init(l);
    int rc = theme_opt(app, a, &l->theme);
    if (rc != CLI_EXIT_OK)
        return rc;
    l->custom_only = cli_args_get(a, "custom") != NULL;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_CONTROL_LIST;
    req->control_list = l;
    const Riskline__V1__ControlPage *page;
    if ((rc = call_controls(app, req, &page)) != CLI_EXIT_OK)
        return rc;
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&page->base));
    return print_control_table(app, page);
}

static int cmd_control_show(cli_app_t *app, const cli_args_t *a)
{
    Riskline__V1__ControlGet *g = rl_arena_alloc(app->arena, sizeof *g);
    rl_envelope_t *req = cli_request(app);
    if (!g || !req)
        return cli_oom(app);
    riskline__v1__control_get__init(g);
    g->id = (char *)a->pos[0];
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_CONTROL_GET;
    req->control_get = g;
    const Riskline__V1__ControlPage *page;
    int rc = call_controls(app, req, &page);
    return rc != CLI_EXIT_OK ? rc : print_one(app, page, NULL);
}

static int cmd_control_add(cli_app_t *app, const cli_args_t *a)
{
    static const char *const required[] = {"title", "type"};
    for (size_t i = 0; i < N(required); i++)
        if (!cli_args_get(a, required[i]))
            return cli_usage(app, "", "missing required option --%s", required[i]);
    Riskline__V1__ControlAdd *ad = rl_arena_alloc(app->arena, sizeof *ad);
    Riskline__V1__Control *k = rl_arena_alloc(app->arena, sizeof *k);
    rl_envelope_t *req = cli_request(app);
    if (!ad || !k || !req)
        return cli_oom(app);
    riskline__v1__control_add__init(ad);
    riskline__v1__control__init(k);
    rl_error_t err;
    int t = cli_parse_enum(&riskline__v1__control_type__descriptor, "--type", cli_args_get(a, "type"), 1, 5, TYPES,
                           &err);
    if (t < 0)
        return cli_usage_fail(app, &err);
    k->type = (Riskline__V1__ControlType)t;
    int rc = theme_opt(app, a, &k->theme);
    if (rc != CLI_EXIT_OK)
        return rc;
    k->title = (char *)cli_args_get(a, "title");
    const char *d = cli_args_get(a, "description");
    if (d)
        k->description = (char *)d;
    ad->control = k;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_CONTROL_ADD;
    req->control_add = ad;
    const Riskline__V1__ControlPage *page;
    rc = call_controls(app, req, &page);
    return rc != CLI_EXIT_OK ? rc : print_one(app, page, "added");
}

/* --- SoA --- */

/* "risks; plans TP-1" or the exclusion reason. */
static char *justification(rl_arena_t *arena, const Riskline__V1__SoaEntry *e)
{
    if (!e->applicable)
        return rl_arena_strdup(arena, e->exclusion_reason && *e->exclusion_reason ? e->exclusion_reason : "-");
    char *s = rl_arena_strdup(arena, e->n_risk_ids ? "risks " : "");
    for (size_t i = 0; s && i < e->n_risk_ids; i++)
        s = rl_arena_printf(arena, "%s%s%s", s, i ? ", " : "", e->risk_ids[i]);
    if (s && e->n_plan_ids)
        s = rl_arena_printf(arena, "%s%splans ", s, e->n_risk_ids ? "; " : "");
    for (size_t i = 0; s && i < e->n_plan_ids; i++)
        s = rl_arena_printf(arena, "%s%s%s", s, i ? ", " : "", e->plan_ids[i]);
    return s;
}

static int print_soa(cli_app_t *app, const Riskline__V1__SoaResult *res)
{
    static const char *const head[] = {"CONTROL", "TITLE", "APPLICABLE", "STATUS", "JUSTIFICATION"};
    size_t n = res->n_entries, applicable = 0, by_status[5] = {0};
    if (n) {
        char **c = rl_arena_alloc(app->arena, n * N(head) * sizeof *c);
        if (!c)
            return cli_oom(app);
        for (size_t i = 0; i < n; i++) {
            const Riskline__V1__SoaEntry *e = res->entries[i];
            const Riskline__V1__Control *k = e->control;
            char b[32];
            char **row = c + i * N(head);
            if (e->applicable) {
                applicable++;
                if ((unsigned)e->status < N(by_status))
                    by_status[e->status]++;
            }
            row[0] = cli_out_cell(app->arena, k ? k->id : "-", RL_MAX_ENTITY_ID);
            row[1] = cli_out_cell(app->arena, k ? k->title : "-", CELL_TITLE);
            row[2] = rl_arena_strdup(app->arena, e->applicable ? "yes" : "no");
            row[3] = cli_out_cell(app->arena,
                                  enum_text(&riskline__v1__implementation_status__descriptor, (int)e->status, b, sizeof b), 20);
            char *j = justification(app->arena, e);
            row[4] = j ? cli_out_cell(app->arena, j, CELL_JUSTIFICATION) : NULL;
            for (size_t k2 = 0; k2 < N(head); k2++)
                if (!row[k2])
                    return cli_oom(app);
        }
        cli_out_table(app->out, head, N(head), c, n);
    }
    fprintf(app->out,
            "%zu control%s: %zu applicable (%zu verified, %zu implemented, %zu in progress, %zu not started), "
            "%zu not applicable\n",
            n, n == 1 ? "" : "s", applicable, by_status[4], by_status[3], by_status[2], by_status[1], n - applicable);
    return CLI_EXIT_OK;
}

static int call_soa(cli_app_t *app, rl_envelope_t *req, const Riskline__V1__SoaResult **res)
{
    rl_envelope_t *reply = NULL;
    int rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_SOA_RESULT, &reply);
    if (rc == CLI_EXIT_OK)
        *res = reply->soa_result;
    return rc;
}

static int cmd_soa_show(cli_app_t *app, const cli_args_t *a)
{
    Riskline__V1__SoaGet *g = rl_arena_alloc(app->arena, sizeof *g);
    rl_envelope_t *req = cli_request(app);
    if (!g || !req)
        return cli_oom(app);
    riskline__v1__soa_get__init(g);
    int rc = theme_opt(app, a, &g->theme);
    if (rc != CLI_EXIT_OK)
        return rc;
    const char *v = cli_args_get(a, "status");
    if (v) {
        rl_error_t err;
        int s = cli_parse_enum(&riskline__v1__implementation_status__descriptor, "--status", v, 1, 4, STATUSES, &err);
        if (s < 0)
            return cli_usage_fail(app, &err);
        g->status = (Riskline__V1__ImplementationStatus)s;
    }
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_SOA_GET;
    req->soa_get = g;
    const Riskline__V1__SoaResult *res;
    if ((rc = call_soa(app, req, &res)) != CLI_EXIT_OK)
        return rc;
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&res->base));
    return print_soa(app, res);
}

/* The entry of control id in res: the id as typed, or its Annex A form ("5.1" -> "A.5.1"). */
static const Riskline__V1__SoaEntry *find_entry(const Riskline__V1__SoaResult *res, const char *id)
{
    for (size_t i = 0; i < res->n_entries; i++) {
        const char *k = res->entries[i]->control ? res->entries[i]->control->id : NULL;
        if (!k)
            continue;
        if (strcasecmp(k, id) == 0 || (strncasecmp(k, "A.", 2) == 0 && strcasecmp(k + 2, id) == 0))
            return res->entries[i];
    }
    return NULL;
}

/* After exclude/include: the control's SoA line as it now stands. */
static int print_mark(cli_app_t *app, const Riskline__V1__SoaResult *res, const char *id, const char *what)
{
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&res->base));
    const Riskline__V1__SoaEntry *e = find_entry(res, id);
    const char *shown = e && e->control ? e->control->id : id;
    cli_out_text(app->out, shown, 0);
    fprintf(app->out, " %s: ", what);
    if (!e) {
        fputs("recorded\n", app->out);
        return CLI_EXIT_OK;
    }
    char *j = justification(app->arena, e);
    if (!j)
        return cli_oom(app);
    fputs(e->applicable ? "applicable (" : "not applicable (", app->out);
    cli_out_text(app->out, j, 0);
    fputs(")\n", app->out);
    if (e->applicable && strcmp(what, "excluded") == 0)
        fputs("note: the control stays applicable while a treatment plan selects it\n", app->out);
    return CLI_EXIT_OK;
}

static int cmd_soa_exclude(cli_app_t *app, const cli_args_t *a)
{
    const char *reason = cli_args_get(a, "reason");
    if (!reason)
        return cli_usage(app, "", "missing required option --reason");
    if (!*reason)
        return cli_usage(app, "--reason", "an exclusion needs its justification, got ''");
    Riskline__V1__SoaExclude *x = rl_arena_alloc(app->arena, sizeof *x);
    rl_envelope_t *req = cli_request(app);
    if (!x || !req)
        return cli_oom(app);
    riskline__v1__soa_exclude__init(x);
    x->control_id = (char *)a->pos[0];
    x->reason = (char *)reason;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_SOA_EXCLUDE;
    req->soa_exclude = x;
    const Riskline__V1__SoaResult *res;
    int rc = call_soa(app, req, &res);
    return rc != CLI_EXIT_OK ? rc : print_mark(app, res, x->control_id, "excluded");
}

static int cmd_soa_include(cli_app_t *app, const cli_args_t *a)
{
    Riskline__V1__SoaInclude *x = rl_arena_alloc(app->arena, sizeof *x);
    rl_envelope_t *req = cli_request(app);
    if (!x || !req)
        return cli_oom(app);
    riskline__v1__soa_include__init(x);
    x->control_id = (char *)a->pos[0];
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_SOA_INCLUDE;
    req->soa_include = x;
    const Riskline__V1__SoaResult *res;
    int rc = call_soa(app, req, &res);
    return rc != CLI_EXIT_OK ? rc : print_mark(app, res, x->control_id, "included");
}

/* --- accept --- */

static int cmd_accept(cli_app_t *app, const cli_args_t *a)
{
    static const char *const required[] = {"justification", "expires"};
    for (size_t i = 0; i < N(required); i++)
        if (!cli_args_get(a, required[i]))
            return cli_usage(app, "", "missing required option --%s", required[i]);
    rl_error_t err;
    const char *expires = cli_args_get(a, "expires");
    if (cli_parse_date("--expires", expires, &err) != 0)
        return cli_usage_fail(app, &err);
    Riskline__V1__RiskAccept *ac = rl_arena_alloc(app->arena, sizeof *ac);
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    if (!ac || !req)
        return cli_oom(app);
    riskline__v1__risk_accept__init(ac);
    ac->risk_id = (char *)a->pos[0];
    ac->justification = (char *)cli_args_get(a, "justification");
    ac->expires = (char *)expires;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_ACCEPT;
    req->risk_accept = ac;
    int rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_ACCEPTANCE_RESULT, &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&reply->acceptance_result->base));
    const Riskline__V1__Acceptance *r = reply->acceptance_result->acceptance;
    if (!r) {
        rl_error_set(&err, RL_ERR_MALFORMED, "acceptance", "the service replied without the acceptance");
        return cli_fail(app, &err);
    }
    FILE *f = app->out;
    cli_out_text(f, r->risk_id, 0);
    fputs(" accepted by ", f);
    cli_out_text(f, r->accepted_by, 0);
    fputs(" until ", f);
    cli_out_text(f, r->expires, 0);
    fprintf(f, ": score %" PRIu32, r->score);
    if (r->above_appetite) {
        fputs(", above appetite (co-signed by ", f);
        cli_out_text(f, r->approver && *r->approver ? r->approver : "-", 0);
        fputc(')', f);
    }
    fputc('\n', f);
    return CLI_EXIT_OK;
}

#define TREATMENT "treatment"

static const cli_cmd_t control_commands[] = {
    {"control", "list", control_list_opts, N(control_list_opts), 0, 0, NULL, control_list_usage, cmd_control_list,
     TREATMENT},
    {"control", "show", NULL, 0, 1, 1, "ID", control_show_usage, cmd_control_show, TREATMENT},
    {"control", "add", control_add_opts, N(control_add_opts), 0, 0, NULL, control_add_usage, cmd_control_add,
     TREATMENT},
};

static const cli_cmd_t soa_commands[] = {
    {"soa", "show", soa_show_opts, N(soa_show_opts), 0, 0, NULL, soa_show_usage, cmd_soa_show, TREATMENT},
    {"soa", "exclude", soa_exclude_opts, N(soa_exclude_opts), 1, 1, "ID", soa_exclude_usage, cmd_soa_exclude,
     TREATMENT},
    {"soa", "include", NULL, 0, 1, 1, "ID", soa_include_usage, cmd_soa_include, TREATMENT},
};

static const cli_cmd_t accept_cmd = {NULL, "accept", accept_opts, N(accept_opts), 1, 1, "RISK", accept_usage, cmd_accept,
                                 TREATMENT};

const cli_cmd_t *cli_control_commands(size_t *n)
{
    *n = N(control_commands);
    return control_commands;
}

const cli_cmd_t *cli_soa_commands(size_t *n)
{
    *n = N(soa_commands);
    return soa_commands;
}

const cli_cmd_t *cli_accept_command(void)
{
    return &accept_cmd;
}
