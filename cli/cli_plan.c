/* cli_plan.c: the `riskline plan ...` and `riskline milestone ...` commands (treatment plans, their workflow, costs and milestones). */
#include "cli_plan.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli_output.h"
#include "cli_parse_treatment.h"
#include "rl_check.h"
#include "rl_json.h"
#include "rl_limits.h"
#include "rl_time.h"

typedef Riskline__V1__Plan plan_t;
typedef Riskline__V1__Milestone milestone_t;

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define CELL_TITLE 40
#define CELL_NAME 24
#define CELL_NOTE 50

/* ------------------------------------------------------------------------------------------ */
/* usage texts                                                                                */

const char cli_plan_group_usage[] =
    "usage: riskline [global options] plan <subcommand> [args]\n"
    "\n"
    "Risk treatment plans (ISO/IEC 27001 6.1.3, 8.3): option, owner and approver, Annex A or own\n"
    "controls, resources (budget, costs, people, tools, effort), timeline and milestones, and a\n"
    "workflow with segregation of duties. Talks to the treatment service.\n"
    "\n"
    "Subcommands:\n"
    "  create      create a plan for a risk (state draft)\n"
    "  show        every field of a plan, its controls, resources, milestones and approval\n"
    "  list        list plans (table)\n"
    "  update      change fields of a plan (compare-and-set on its version)\n"
    "  history     the audit trail of a plan: who changed what, when, why\n"
    "  submit      draft -> submitted (treatment owner)\n"
    "  approve     submitted -> approved (the plan's approver, never its owner)\n"
    "  reject      submitted -> draft, with --comment giving the reason (approver)\n"
    "  start       approved -> in progress (treatment owner)\n"
    "  implement   in progress -> implemented (treatment owner)\n"
    "  verify      implemented -> verified (--effective yes) or back to in progress (--effective no)\n"
    "  close       verified -> closed: every milestone done or waived; residual acceptance\n"
    "  hold        an open plan -> on hold, with --comment giving the reason\n"
    "  resume      on hold -> the state it left\n"
    "  cancel      an open plan -> cancelled, with --comment giving the reason\n"
    "  cost add    record a cost against the plan's budget\n"
    "\n"
    "Milestones: 'riskline milestone --help'. Run 'riskline plan <subcommand> --help' for options.\n";

const char cli_milestone_group_usage[] =
    "usage: riskline [global options] milestone <subcommand> PLAN [M-ID] [args]\n"
    "\n"
    "Milestones of a treatment plan: owner, due date, dependencies, evidence. Plan progress is\n"
    "derived from them; a milestone is done only after those it depends on.\n"
    "\n"
    "Subcommands:\n"
    "  add       add a milestone to a plan\n"
    "  update    change a milestone's title, owner, due date, dependencies; add evidence\n"
    "  start     pending -> in progress\n"
    "  done      -> done (its dependencies must be done or waived)\n"
    "  miss      -> missed\n"
    "  waive     -> waived, with --reason (counts as settled when the plan closes)\n"
    "  list      the milestones of a plan (table)\n"
    "\n"
    "Run 'riskline milestone <subcommand> --help' for its options.\n";

#define FIELD_OPTIONS_HELP \
    "  --title T                      title, 1..200 bytes\n" \
    "  --option O                     avoid | reduce (modify) | transfer (share) | accept (retain)\n" \
    "  --owner U                      treatment owner (principal name)\n" \
    "  --approver A                   who approves the plan (not the treatment owner)\n" \
    "  --rationale T                  why this treatment\n" \
    "  --control ID[:STATUS]          a control the plan implements, Annex A (A.5.1) or own (C-1),\n" \
    "                                 STATUS not_started (default) | in_progress | implemented;\n" \
    "                                 repeat for several\n" \
    "  --budget AMOUNT                budget, e.g. 1250.50 (at most 2 decimals) ...\n" \
    "  --currency CODE                ... in this ISO 4217 currency (EUR)\n" \
    "  --start YYYY-MM-DD             start date\n" \
    "  --target YYYY-MM-DD            target date (not before the start)\n" \
    "  --residual-likelihood N        expected residual rating after treatment ...\n" \
    "  --residual-impact N            ... (both, on the tenant's matrix)\n" \
    "  --transfer-party P             option transfer: who takes the risk (required then)\n" \
    "  --transfer-reference R         contract or insurance reference\n" \
    "  --tool T                       a tool used; repeat for several\n" \
    "  --effort-days N                effort estimate in person-days\n" \
    "  --person NAME:ROLE:HOURS       a person assigned with role and planned hours; repeat\n"

static const char create_usage[] =
    "usage: riskline [global options] plan create --risk R-1 --title T --option O --owner U --approver A [options]\n"
    "\n"
    "Creates a treatment plan (state draft) for a risk and prints its id.\n"
    "Required: --risk, --title, --option, --owner, --approver.\n"
    "\n"
    "Options:\n"
    "  --risk ID                      the risk treated (R-1); it must exist and not be archived\n"
    FIELD_OPTIONS_HELP
    "  --help                         this help\n";

static const char update_usage[] =
    "usage: riskline [global options] plan update ID [--version N] [field options]\n"
    "\n"
    "Changes only the fields given (the risk of a plan never changes). Without --version the plan\n"
    "is read first and its version used for the compare-and-set (exit 4 when someone changed it\n"
    "in between). An empty value clears a text field or date; a single --control '', --tool '' or\n"
    "--person '' clears that list; --budget '' removes the budget. Giving only one of --budget and\n"
    "--currency (or of the residual pair) keeps the other value. A material change (option,\n"
    "controls, target date, budget up, expected residual) of an approved plan outdates its approval.\n"
    "\n"
    "Options:\n"
    "  --version N                    the version you read (expected_version)\n"
    FIELD_OPTIONS_HELP
    "  --help                         this help\n";

static const char show_usage[] =
    "usage: riskline [global options] plan show ID\n"
    "\n"
    "Prints every field of plan ID (TP-1), then its controls, resources (budget, spent, over budget,\n"
    "costs, people, tools), milestones, approval (with the reason when outdated), verification and\n"
    "residual acceptance.\n";

static const char list_usage[] =
    "usage: riskline [global options] plan list [options]\n"
    "\n"
    "Prints a table (ID RISK TITLE OPTION OWNER STATE PROGRESS TARGET), the count and, when more\n"
    "pages remain, the cursor for --cursor.\n"
    "\n"
    "Options:\n"
    "  --risk ID          only plans of this risk\n"
    "  --state S          draft | submitted | approved | in_progress | implemented | verified |\n"
    "                     closed | on_hold | cancelled\n"
    "  --owner U          only plans of this treatment owner\n"
    "  --limit N          page size, 1..500 (default 50)\n"
    "  --cursor C         continue from a previous page's next cursor\n"
    "  --help             this help\n";

static const char history_usage[] =
    "usage: riskline [global options] plan history ID [--limit N] [--cursor C]\n"
    "\n"
    "Prints the plan's events, oldest first: time, actor, kind, version, each changed field as\n"
    "'field: from -> to' and the comment (reasons, results, outdated approvals).\n"
    "\n"
    "Options:\n"
    "  --limit N          events per page, 1..500 (default 100)\n"
    "  --cursor C         continue from a previous page's next cursor\n"
    "  --help             this help\n";

#define TRANSITION_HELP(usage_line, what, extra) \
    "usage: riskline [global options] plan " usage_line "\n" \
    "\n" what "\n" \
    "Without --version the plan is read first (exit 4 when it changed in between).\n" \
    "\n" \
    "Options:\n" \
    "  --version N                    the version you read (expected_version)\n" \
    "  --comment C                    recorded with the transition in the history\n" extra \
    "  --help                         this help\n"

static const char submit_usage[] =
    TRANSITION_HELP("submit ID [--version N] [--comment C]", "draft -> submitted, for approval (treatment owner).", "");
static const char approve_usage[] = TRANSITION_HELP(
    "approve ID [--version N] [--comment C]",
    "submitted -> approved (the plan's approver with the approver role, never its treatment owner).\n"
    "The approval records the plan version and the risk as it stands now.",
    "");
static const char reject_usage[] = TRANSITION_HELP("reject ID --comment REASON [--version N]",
                                                   "submitted -> draft; the reason is required (approver).", "");
static const char start_usage[] = TRANSITION_HELP(
    "start ID [--version N] [--comment C]",
    "approved -> in progress (treatment owner); the approval must not be outdated.", "");
static const char implement_usage[] = TRANSITION_HELP("implement ID [--version N] [--comment C]",
                                                      "in progress -> implemented (treatment owner).", "");
static const char verify_usage[] = TRANSITION_HELP(
    "verify ID --effective yes|no --comment RESULT [--version N]",
    "implemented -> verified when effective, else back to in progress (approver, not the owner).\n"
    "--comment is the effectiveness result (required).",
    "  --effective yes|no             the verification's verdict (required)\n");
static const char close_usage[] = TRANSITION_HELP(
    "close ID [--version N] [--comment C] [--waive M-1,M-2 --waive-reason R]\n"
    "           [--accept-justification J --accept-expires YYYY-MM-DD]",
    "verified -> closed. Every milestone must be done or waived: --waive settles the rest with a\n"
    "reason. --accept-* records the acceptance of the residual risk by the risk owner.",
    "  --waive IDS                    milestones waived at close (comma-separated or repeated)\n"
    "  --waive-reason R               why (required with --waive)\n"
    "  --accept-justification J       residual risk acceptance: the justification ...\n"
    "  --accept-expires YYYY-MM-DD    ... and its expiry (both together)\n");
static const char hold_usage[] =
    TRANSITION_HELP("hold ID --comment REASON [--version N]", "an open plan -> on hold; the reason is required.", "");
static const char resume_usage[] =
    TRANSITION_HELP("resume ID [--version N] [--comment C]", "on hold -> the state the plan left.", "");
static const char cancel_usage[] = TRANSITION_HELP("cancel ID --comment REASON [--version N]",
                                                   "an open plan -> cancelled; the reason is required.", "");

static const char cost_usage[] =
    "usage: riskline [global options] plan cost add ID --amount AMOUNT --date YYYY-MM-DD [--note N] [--version N]\n"
    "\n"
    "Records a cost against the plan's budget (in the budget's currency): spent so far and the\n"
    "over-budget state follow. Without --version the plan is read first.\n"
    "\n"
    "Options:\n"
    "  --amount AMOUNT    e.g. 12.50 (more than 0, at most 2 decimals)\n"
    "  --date YYYY-MM-DD  when the cost was incurred\n"
    "  --note N           what it was for\n"
    "  --version N        the version you read (expected_version)\n"
    "  --help             this help\n";

static const char ms_add_usage[] =
    "usage: riskline [global options] milestone add PLAN --title T --owner U --due YYYY-MM-DD [options]\n"
    "\n"
    "Adds a milestone (state pending) to plan PLAN and prints its id. Without --version the plan\n"
    "is read first.\n"
    "\n"
    "Options:\n"
    "  --title T          what is to be achieved\n"
    "  --owner U          who reports it\n"
    "  --due YYYY-MM-DD   due date\n"
    "  --depends IDS      milestones of the plan it depends on (M-1; comma-separated or repeated)\n"
    "  --version N        the plan version you read\n"
    "  --help             this help\n";

static const char ms_update_usage[] =
    "usage: riskline [global options] milestone update PLAN M-ID [options]\n"
    "\n"
    "Changes the fields given and/or adds a piece of evidence. A single --depends '' clears the\n"
    "dependencies. Without --version the plan is read first.\n"
    "\n"
    "Options:\n"
    "  --title T          new title\n"
    "  --owner U          new owner\n"
    "  --due YYYY-MM-DD   new due date\n"
    "  --depends IDS      new dependencies (replace the old ones)\n"
    "  --evidence URI     add evidence: where the document is ...\n"
    "  --sha256 HEX       ... and its SHA-256 (64 hex characters)\n"
    "  --version N        the plan version you read\n"
    "  --help             this help\n";

#define MS_STATUS_HELP(word, what, extra) \
    "usage: riskline [global options] milestone " word " PLAN M-ID [options]\n" \
    "\n" what "\n" \
    "The milestone's owner may report its progress; other changes are the treatment owner's.\n" \
    "\n" \
    "Options:\n" extra \
    "  --evidence URI     add evidence with the change ...\n" \
    "  --sha256 HEX       ... and its SHA-256 (64 hex characters)\n" \
    "  --version N        the plan version you read (read first when absent)\n" \
    "  --help             this help\n"

static const char ms_start_usage[] = MS_STATUS_HELP("start", "Marks the milestone in progress.", "");
static const char ms_done_usage[] =
    MS_STATUS_HELP("done", "Marks the milestone done (its dependencies must be done or waived).", "");
static const char ms_miss_usage[] = MS_STATUS_HELP("miss", "Marks the milestone missed.", "");
static const char ms_waive_usage[] = MS_STATUS_HELP(
    "waive", "Waives the milestone: settled without being done, with a reason.",
    "  --reason R         why it is waived (required)\n");

static const char ms_list_usage[] =
    "usage: riskline [global options] milestone list PLAN\n"
    "\n"
    "Prints the plan's milestones (ID TITLE OWNER DUE STATUS DEPENDS EVIDENCE COMPLETED), then\n"
    "their evidence and waive reasons. --json prints {\"plan_id\", \"progress_pct\", \"milestones\"}.\n";

/* ------------------------------------------------------------------------------------------ */
/* options                                                                                    */

#define FIELD_OPTS                                                                                     \
    {"title", CLI_OPT_VALUE}, {"option", CLI_OPT_VALUE}, {"owner", CLI_OPT_VALUE},                      \
    {"approver", CLI_OPT_VALUE}, {"rationale", CLI_OPT_VALUE}, {"control", CLI_OPT_MULTI},              \
    {"budget", CLI_OPT_VALUE}, {"currency", CLI_OPT_VALUE}, {"start", CLI_OPT_VALUE},                   \
    {"target", CLI_OPT_VALUE}, {"residual-likelihood", CLI_OPT_VALUE},                                  \
    {"residual-impact", CLI_OPT_VALUE}, {"transfer-party", CLI_OPT_VALUE},                              \
    {"transfer-reference", CLI_OPT_VALUE}, {"tool", CLI_OPT_MULTI}, {"effort-days", CLI_OPT_VALUE},     \
    {"person", CLI_OPT_MULTI}

static const cli_opt_t create_opts[] = {{"risk", CLI_OPT_VALUE}, FIELD_OPTS};
static const cli_opt_t update_opts[] = {{"version", CLI_OPT_VALUE}, FIELD_OPTS};
static const cli_opt_t list_opts[] = {{"risk", CLI_OPT_VALUE}, {"state", CLI_OPT_VALUE}, {"owner", CLI_OPT_VALUE},
                                      {"limit", CLI_OPT_VALUE}, {"cursor", CLI_OPT_VALUE}};
static const cli_opt_t history_opts[] = {{"limit", CLI_OPT_VALUE}, {"cursor", CLI_OPT_VALUE}};
static const cli_opt_t transition_opts[] = {{"version", CLI_OPT_VALUE}, {"comment", CLI_OPT_VALUE}};
static const cli_opt_t verify_opts[] = {{"version", CLI_OPT_VALUE}, {"comment", CLI_OPT_VALUE},
                                        {"effective", CLI_OPT_VALUE}};
static const cli_opt_t close_opts[] = {{"version", CLI_OPT_VALUE},     {"comment", CLI_OPT_VALUE},
                                       {"waive", CLI_OPT_MULTI},       {"waive-reason", CLI_OPT_VALUE},
                                       {"accept-justification", CLI_OPT_VALUE}, {"accept-expires", CLI_OPT_VALUE}};
static const cli_opt_t cost_opts[] = {{"amount", CLI_OPT_VALUE}, {"date", CLI_OPT_VALUE}, {"note", CLI_OPT_VALUE},
                                      {"version", CLI_OPT_VALUE}};
static const cli_opt_t ms_add_opts[] = {{"title", CLI_OPT_VALUE}, {"owner", CLI_OPT_VALUE}, {"due", CLI_OPT_VALUE},
                                        {"depends", CLI_OPT_MULTI}, {"version", CLI_OPT_VALUE}};
static const cli_opt_t ms_update_opts[] = {{"title", CLI_OPT_VALUE},   {"owner", CLI_OPT_VALUE},
                                           {"due", CLI_OPT_VALUE},     {"depends", CLI_OPT_MULTI},
                                           {"evidence", CLI_OPT_VALUE}, {"sha256", CLI_OPT_VALUE},
                                           {"version", CLI_OPT_VALUE}};
static const cli_opt_t ms_status_opts[] = {{"evidence", CLI_OPT_VALUE}, {"sha256", CLI_OPT_VALUE},
                                           {"version", CLI_OPT_VALUE}};
static const cli_opt_t ms_waive_opts[] = {{"reason", CLI_OPT_VALUE}, {"evidence", CLI_OPT_VALUE},
                                          {"sha256", CLI_OPT_VALUE}, {"version", CLI_OPT_VALUE}};

/* ------------------------------------------------------------------------------------------ */
/* building requests                                                                          */

typedef struct {
    char *names[RL_MAX_UPDATE_MASK];
    size_t n;
} mask_t;

static void mask_add(mask_t *m, const char *name)
{
    if (m && m->n < RL_MAX_UPDATE_MASK)
        m->names[m->n++] = (char *)name;
}

/* What fill_plan could not complete without the stored plan (update with half a pair). */
enum { KEEP_CURRENCY = 1, KEEP_AMOUNT = 2, KEEP_LIKELIHOOD = 4, KEEP_IMPACT = 8 };

static Riskline__V1__Resources *resources_of(rl_arena_t *arena, plan_t *p)
{
    if (!p->resources && (p->resources = rl_arena_alloc(arena, sizeof *p->resources)))
        riskline__v1__resources__init(p->resources);
    return p->resources;
}

/* A string option into *dst and its field name into m. 1 given, 0 absent, -1 out of memory. */
static int str_opt(cli_app_t *app, const cli_args_t *a, const char *opt, const char *field, char **dst, mask_t *m)
{
    const char *v = cli_args_get(a, opt);
    if (!v)
        return 0;
    if (!(*dst = rl_arena_strdup(app->arena, v)))
        return -1;
    mask_add(m, field);
    return 1;
}

/* A date option (YYYY-MM-DD; "" clears on update). CLI_EXIT_OK or the printed error's exit code. */
static int date_opt(cli_app_t *app, const cli_args_t *a, const char *opt, const char *field, char **dst,
                    mask_t *m, int for_update)
{
    const char *v = cli_args_get(a, opt);
    if (!v)
        return CLI_EXIT_OK;
    char name[48];
    snprintf(name, sizeof name, "--%s", opt);
    rl_error_t err;
    if (!(for_update && !*v) && cli_parse_date(name, v, &err) != 0)
        return cli_usage_fail(app, &err);
    if (!(*dst = rl_arena_strdup(app->arena, v)))
        return cli_oom(app);
    mask_add(m, field);
    return CLI_EXIT_OK;
}

/* The values of a repeatable option; for_update and a single "" means "clear": *n = 0, returns 1. */
static const char *const *list_opt(const cli_args_t *a, const char *opt, size_t *n, int for_update, int *given)
{
    const char *const *v = cli_args_all(a, opt, n);
    *given = *n > 0;
    if (for_update && *n == 1 && v[0][0] == '\0')
        *n = 0;
    return v;
}

static int fill_controls(cli_app_t *app, const cli_args_t *a, plan_t *p, mask_t *m, int for_update)
{
    size_t n;
    int given;
    const char *const *v = list_opt(a, "control", &n, for_update, &given);
    if (!given)
        return CLI_EXIT_OK;
    if (n > RL_MAX_PLAN_CONTROLS)
        return cli_usage(app, "--control", "at most %d controls", RL_MAX_PLAN_CONTROLS);
    p->controls = rl_arena_alloc(app->arena, (n ? n : 1) * sizeof *p->controls);
    if (!p->controls)
        return cli_oom(app);
    rl_error_t err;
    for (size_t i = 0; i < n; i++) {
        if (!(p->controls[i] = rl_arena_alloc(app->arena, sizeof *p->controls[i])))
            return cli_oom(app);
        if (cli_parse_plan_control("--control", v[i], app->arena, p->controls[i], &err) != 0)
            return cli_usage_fail(app, &err);
    }
    p->n_controls = n;
    mask_add(m, "controls");
    return CLI_EXIT_OK;
}

static int fill_people(cli_app_t *app, const cli_args_t *a, plan_t *p, mask_t *m, int for_update)
{
    size_t n;
    int given;
    const char *const *v = list_opt(a, "person", &n, for_update, &given);
    if (given) {
        if (n > RL_MAX_PERSONNEL)
            return cli_usage(app, "--person", "at most %d people", RL_MAX_PERSONNEL);
        Riskline__V1__Resources *r = resources_of(app->arena, p);
        if (!r || !(r->personnel = rl_arena_alloc(app->arena, (n ? n : 1) * sizeof *r->personnel)))
            return cli_oom(app);
        rl_error_t err;
        for (size_t i = 0; i < n; i++) {
            if (!(r->personnel[i] = rl_arena_alloc(app->arena, sizeof *r->personnel[i])))
                return cli_oom(app);
            if (cli_parse_person("--person", v[i], app->arena, r->personnel[i], &err) != 0)
                return cli_usage_fail(app, &err);
        }
        r->n_personnel = n;
        mask_add(m, "resources.personnel");
    }
    v = list_opt(a, "tool", &n, for_update, &given);
    if (given) {
        if (n > RL_MAX_TOOLS)
            return cli_usage(app, "--tool", "at most %d tools", RL_MAX_TOOLS);
        Riskline__V1__Resources *r = resources_of(app->arena, p);
        if (!r || !(r->tools = rl_arena_alloc(app->arena, (n ? n : 1) * sizeof *r->tools)))
            return cli_oom(app);
        for (size_t i = 0; i < n; i++)
            if (!(r->tools[i] = rl_arena_strdup(app->arena, v[i])))
                return cli_oom(app);
        r->n_tools = n;
        mask_add(m, "resources.tools");
    }
    uint32_t days;
    rl_error_t err;
    int has = cli_args_u32(a, "effort-days", &days, &err);
    if (has < 0)
        return cli_usage_fail(app, &err);
    if (has) {
        Riskline__V1__Resources *r = resources_of(app->arena, p);
        if (!r)
            return cli_oom(app);
        r->effort_days = days;
        mask_add(m, "resources.effort_days");
    }
    return CLI_EXIT_OK;
}

/* --budget/--currency: both on create; on update one alone keeps the other (*keep), --budget ''
 * alone removes the budget. */
static int fill_budget(cli_app_t *app, const cli_args_t *a, plan_t *p, mask_t *m, int for_update, int *keep)
{
    const char *amount = cli_args_get(a, "budget"), *currency = cli_args_get(a, "currency");
    if (!amount && !currency)
        return CLI_EXIT_OK;
    Riskline__V1__Resources *r = resources_of(app->arena, p);
    if (!r)
        return cli_oom(app);
    mask_add(m, "resources.budget");
    if (for_update && amount && !*amount) {
        if (currency)
            return cli_usage(app, "--currency", "cannot go with --budget '' (which removes the budget)");
        r->budget = NULL;
        return CLI_EXIT_OK;
    }
    if (!for_update && (!amount || !currency))
        return cli_usage(app, amount ? "--currency" : "--budget", "required with %s", amount ? "--budget" : "--currency");
    Riskline__V1__Money *money = rl_arena_alloc(app->arena, sizeof *money);
    char *code = rl_arena_alloc(app->arena, 4);
    if (!money || !code)
        return cli_oom(app);
    riskline__v1__money__init(money);
    rl_error_t err;
    if (amount && cli_parse_money("--budget", amount, &money->amount_minor, &err) != 0)
        return cli_usage_fail(app, &err);
    if (currency) {
        if (cli_parse_currency("--currency", currency, code, &err) != 0)
            return cli_usage_fail(app, &err);
        money->currency = code;
    }
    *keep |= amount ? 0 : KEEP_AMOUNT;
    *keep |= currency ? 0 : KEEP_CURRENCY;
    r->budget = money;
    return CLI_EXIT_OK;
}

static int fill_residual(cli_app_t *app, const cli_args_t *a, plan_t *p, mask_t *m, int for_update, int *keep)
{
    uint32_t l = 0, i = 0;
    rl_error_t err;
    int hl = cli_args_u32(a, "residual-likelihood", &l, &err);
    if (hl < 0)
        return cli_usage_fail(app, &err);
    int hi = cli_args_u32(a, "residual-impact", &i, &err);
    if (hi < 0)
        return cli_usage_fail(app, &err);
    if (!hl && !hi)
        return CLI_EXIT_OK;
    if (!for_update && !(hl && hi))
        return cli_usage(app, hl ? "--residual-impact" : "--residual-likelihood", "required with %s",
                         hl ? "--residual-likelihood" : "--residual-impact");
    Riskline__V1__Rating *rt = rl_arena_alloc(app->arena, sizeof *rt);
    if (!rt)
        return cli_oom(app);
    riskline__v1__rating__init(rt);
    rt->likelihood = l;
    rt->impact = i;
    p->expected_residual = rt;
    *keep |= (hl ? 0 : KEEP_LIKELIHOOD) | (hi ? 0 : KEEP_IMPACT);
    mask_add(m, "expected_residual");
    return CLI_EXIT_OK;
}

/* Fills p from the field options, naming in m what was given (update_mask names of plan.h). */
static int fill_plan(cli_app_t *app, const cli_args_t *a, plan_t *p, mask_t *m, int for_update, int *keep)
{
    if (str_opt(app, a, "title", "title", &p->title, m) < 0 || str_opt(app, a, "owner", "treatment_owner",
                                                                        &p->treatment_owner, m) < 0 ||
        str_opt(app, a, "approver", "approver", &p->approver, m) < 0 ||
        str_opt(app, a, "rationale", "rationale", &p->rationale, m) < 0 ||
        str_opt(app, a, "transfer-party", "transfer_party", &p->transfer_party, m) < 0 ||
        str_opt(app, a, "transfer-reference", "transfer_reference", &p->transfer_reference, m) < 0)
        return cli_oom(app);
    const char *v = cli_args_get(a, "option");
    if (v) {
        int t = rl_treatment_parse(v);
        if (t <= 0)
            return cli_usage(app, "--option", "expected avoid, reduce (modify), transfer (share) or accept (retain), "
                                              "got '%.100s'", v);
        p->option = (Riskline__V1__Treatment)t;
        mask_add(m, "option");
    }
    int rc;
    if ((rc = date_opt(app, a, "start", "start_date", &p->start_date, m, for_update)) != CLI_EXIT_OK ||
        (rc = date_opt(app, a, "target", "target_date", &p->target_date, m, for_update)) != CLI_EXIT_OK ||
        (rc = fill_controls(app, a, p, m, for_update)) != CLI_EXIT_OK ||
        (rc = fill_budget(app, a, p, m, for_update, keep)) != CLI_EXIT_OK ||
        (rc = fill_residual(app, a, p, m, for_update, keep)) != CLI_EXIT_OK ||
        (rc = fill_people(app, a, p, m, for_update)) != CLI_EXIT_OK)
        return rc;
    return CLI_EXIT_OK;
}

/* The --version option: 1 given, 0 absent, or an exit code (< 0 never: usage errors are > 0) in *rc. */
static int version_opt(cli_app_t *app, const cli_args_t *a, uint64_t *version, int *rc)
{
    rl_error_t err;
    int has = cli_args_u64(a, "version", version, &err);
    *rc = has < 0 ? cli_usage_fail(app, &err) : CLI_EXIT_OK;
    return has > 0;
}

/* plan_get: the plan, or NULL with *rc set to the exit code after printing the error. */
static const plan_t *get_plan(cli_app_t *app, const char *id, int *rc)
{
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    Riskline__V1__PlanGet *g = rl_arena_alloc(app->arena, sizeof *g);
    if (!req || !g) {
        *rc = cli_oom(app);
        return NULL;
    }
    riskline__v1__plan_get__init(g);
    g->id = (char *)id;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_GET;
    req->plan_get = g;
    if ((*rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_PLAN_RESULT, &reply)) != CLI_EXIT_OK)
        return NULL;
    if (!reply->plan_result || !reply->plan_result->plan) {
        rl_error_t err;
        rl_error_set(&err, RL_ERR_MALFORMED, "plan", "the service replied without a plan");
        *rc = cli_fail(app, &err);
        return NULL;
    }
    return reply->plan_result->plan;
}

/* The version to send: --version, else the stored plan's (read now). 0 with *rc on failure. */
static uint64_t expected_version(cli_app_t *app, const cli_args_t *a, const char *id, int *rc)
{
    uint64_t version = 0;
    if (version_opt(app, a, &version, rc) || *rc != CLI_EXIT_OK)
        return *rc == CLI_EXIT_OK ? version : 0;
    const plan_t *cur = get_plan(app, id, rc);
    return cur ? cur->version : 0;
}

/* Sends req (a plan write) and returns the resulting plan, or NULL with *rc. */
static const plan_t *call_plan(cli_app_t *app, rl_envelope_t *req, const rl_envelope_t **reply_out, int *rc)
{
    rl_envelope_t *reply = NULL;
    if ((*rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_PLAN_RESULT, &reply)) != CLI_EXIT_OK)
        return NULL;
    *reply_out = reply;
    if (!reply->plan_result || !reply->plan_result->plan) {
        rl_error_t err;
        rl_error_set(&err, RL_ERR_MALFORMED, "plan", "the service replied without a plan");
        *rc = cli_fail(app, &err);
        return NULL;
    }
    return reply->plan_result->plan;
}

/* A plan write in req (body set, its expected_version at *version): fills *version from --version
 * or by reading plan id first, sends, and returns the resulting plan (NULL with *rc). */
static const plan_t *plan_write(cli_app_t *app, const cli_args_t *a, const char *id, uint64_t *version,
                                rl_envelope_t *req, const rl_envelope_t **reply, int *rc)
{
    *version = expected_version(app, a, id, rc);
    return *rc == CLI_EXIT_OK ? call_plan(app, req, reply, rc) : NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* output                                                                                     */

static const char *state_text(int s, char *buf, size_t size)
{
    return cli_enum_text(&riskline__v1__plan_state__descriptor, s, "-", buf, size);
}

static void money_text(FILE *f, int64_t minor, const char *currency)
{
    char buf[32];
    fputs(cli_format_money(minor, buf, sizeof buf), f);
    if (currency && *currency) {
        fputc(' ', f);
        cli_out_text(f, currency, 0);
    }
}

/* "TP-1 created: version 1, state draft" (+ the outdated approval's reason). */
static int print_result(cli_app_t *app, const rl_envelope_t *reply, const plan_t *p, const char *what)
{
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&reply->plan_result->base));
    char sb[32];
    cli_out_text(app->out, p->id, 0);
    fprintf(app->out, " %s: version %" PRIu64 ", state %s", what, p->version, state_text((int)p->state, sb, sizeof sb));
    if (p->n_milestones)
        fprintf(app->out, ", progress %" PRIu32 "%%", p->progress_pct);
    fputc('\n', app->out);
    if (p->approval && p->approval->outdated) {
        fputs("approval outdated: ", app->out);
        cli_out_text(app->out, p->approval->outdated_reason, 0);
        fputs(" (re-approval needed)\n", app->out);
    }
    return CLI_EXIT_OK;
}

static int print_controls(cli_app_t *app, const plan_t *p)
{
    FILE *f = app->out;
    fputs("\ncontrols:\n", f);
    if (!p->n_controls) {
        fputs("none\n", f);
        return CLI_EXIT_OK;
    }
    static const char *const head[] = {"CONTROL", "STATUS", "NOTES"};
    char **c = rl_arena_alloc(app->arena, p->n_controls * N(head) * sizeof *c);
    if (!c)
        return cli_oom(app);
    for (size_t i = 0; i < p->n_controls; i++) {
        const Riskline__V1__PlanControl *pc = p->controls[i];
        char b[32];
        char **row = c + i * N(head);
        row[0] = cli_out_cell(app->arena, pc->control_id, RL_MAX_ENTITY_ID);
        row[1] = cli_out_cell(app->arena,
                              cli_enum_text(&riskline__v1__implementation_status__descriptor, (int)pc->status,
                                            "-", b, sizeof b),
                              32);
        row[2] = cli_out_cell(app->arena, pc->notes && *pc->notes ? pc->notes : "-", CELL_NOTE);
        if (!row[0] || !row[1] || !row[2])
            return cli_oom(app);
    }
    cli_out_table(f, head, N(head), c, p->n_controls);
    return CLI_EXIT_OK;
}

static int print_resources(cli_app_t *app, const plan_t *p)
{
    FILE *f = app->out;
    const Riskline__V1__Resources *r = p->resources;
    const Riskline__V1__Money *b = r ? r->budget : NULL;
    const char *cur = b ? b->currency : "";
    fputs("\nresources:\n", f);
    cli_out_key(f, "budget");
    if (b && (b->amount_minor || (b->currency && *b->currency)))
        money_text(f, b->amount_minor, cur);
    else
        fputc('-', f);
    fputc('\n', f);
    cli_out_key(f, "spent");
    money_text(f, r ? r->spent_minor : 0, cur);
    if (b && b->amount_minor > 0 && r)
        fprintf(f, " (%.0f%% of the budget)", (double)r->spent_minor * 100.0 / (double)b->amount_minor);
    fputc('\n', f);
    cli_out_key(f, "over budget");
    fputs(r && r->over_budget ? "yes\n" : "no\n", f);
    cli_out_key(f, "effort");
    if (r && r->effort_days)
        fprintf(f, "%" PRIu32 " day%s\n", r->effort_days, r->effort_days == 1 ? "" : "s");
    else
        fputs("-\n", f);
    cli_out_key(f, "tools");
    for (size_t i = 0; r && i < r->n_tools; i++) {
        if (i)
            fputs(", ", f);
        cli_out_text(f, r->tools[i], 0);
    }
    fputs(r && r->n_tools ? "\n" : "-\n", f);
    if (r && r->n_personnel) {
        static const char *const head[] = {"PERSON", "ROLE", "PLANNED HOURS", "ACTUAL HOURS"};
        char **c = rl_arena_alloc(app->arena, r->n_personnel * N(head) * sizeof *c);
        if (!c)
            return cli_oom(app);
        for (size_t i = 0; i < r->n_personnel; i++) {
            const Riskline__V1__Personnel *pe = r->personnel[i];
            char **row = c + i * N(head);
            row[0] = cli_out_cell(app->arena, pe->person, CELL_NAME);
            row[1] = cli_out_cell(app->arena, pe->role, CELL_NAME);
            row[2] = rl_arena_printf(app->arena, "%" PRIu32, pe->planned_hours);
            row[3] = rl_arena_printf(app->arena, "%" PRIu32, pe->actual_hours);
            if (!row[0] || !row[1] || !row[2] || !row[3])
                return cli_oom(app);
        }
        cli_out_table(f, head, N(head), c, r->n_personnel);
    }
    if (r && r->n_costs) {
        static const char *const head[] = {"DATE", "AMOUNT", "NOTE", "RECORDED BY"};
        char **c = rl_arena_alloc(app->arena, r->n_costs * N(head) * sizeof *c);
        if (!c)
            return cli_oom(app);
        for (size_t i = 0; i < r->n_costs; i++) {
            const Riskline__V1__Cost *co = r->costs[i];
            char mb[32];
            char **row = c + i * N(head);
            row[0] = cli_out_cell(app->arena, co->date, RL_DATE_LEN);
            row[1] = rl_arena_strdup(app->arena, cli_format_money(co->amount_minor, mb, sizeof mb));
            row[2] = cli_out_cell(app->arena, co->note && *co->note ? co->note : "-", CELL_NOTE);
            row[3] = cli_out_cell(app->arena, co->recorded_by && *co->recorded_by ? co->recorded_by : "-", CELL_NAME);
            if (!row[0] || !row[1] || !row[2] || !row[3])
                return cli_oom(app);
        }
        fputc('\n', f);
        cli_out_table(f, head, N(head), c, r->n_costs);
    }
    return CLI_EXIT_OK;
}

/* The milestones table, then one line per evidence and per waive reason. */
static int print_milestones(cli_app_t *app, const plan_t *p)
{
    FILE *f = app->out;
    if (!p->n_milestones) {
        fputs("no milestones\n", f);
        return CLI_EXIT_OK;
    }
    static const char *const head[] = {"ID", "TITLE", "OWNER", "DUE", "STATUS", "DEPENDS", "EVIDENCE", "COMPLETED"};
    char **c = rl_arena_alloc(app->arena, p->n_milestones * N(head) * sizeof *c);
    if (!c)
        return cli_oom(app);
    for (size_t i = 0; i < p->n_milestones; i++) {
        const milestone_t *m = p->milestones[i];
        char b[32], ts[RL_TS_LEN];
        char **row = c + i * N(head);
        char *deps = rl_arena_strdup(app->arena, m->n_depends_on ? "" : "-");
        for (size_t k = 0; deps && k < m->n_depends_on; k++)
            deps = rl_arena_printf(app->arena, "%s%s%s", deps, k ? "," : "", m->depends_on[k]);
        row[0] = cli_out_cell(app->arena, m->id, RL_MAX_ENTITY_ID);
        row[1] = cli_out_cell(app->arena, m->title, CELL_TITLE);
        row[2] = cli_out_cell(app->arena, m->owner, CELL_NAME);
        row[3] = cli_out_cell(app->arena, m->due_date && *m->due_date ? m->due_date : "-", RL_DATE_LEN);
        row[4] = cli_out_cell(
            app->arena, cli_enum_text(&riskline__v1__milestone_status__descriptor, (int)m->status, "-", b, sizeof b), 32);
        row[5] = deps ? cli_out_cell(app->arena, deps, CELL_NAME) : NULL;
        row[6] = rl_arena_printf(app->arena, "%zu", m->n_evidence);
        row[7] = m->completed_at_ms ? cli_out_cell(app->arena,
                                                   rl_arena_printf(app->arena, "%s by %s", rl_ts_format(m->completed_at_ms, ts),
                                                                   m->completed_by ? m->completed_by : "-"),
                                                   CELL_TITLE + 20)
                                    : rl_arena_strdup(app->arena, "-");
        for (size_t k = 0; k < N(head); k++)
            if (!row[k])
                return cli_oom(app);
    }
    cli_out_table(f, head, N(head), c, p->n_milestones);
    for (size_t i = 0; i < p->n_milestones; i++) {
        const milestone_t *m = p->milestones[i];
        for (size_t k = 0; k < m->n_evidence; k++) {
            const Riskline__V1__Evidence *e = m->evidence[k];
            char ts[RL_TS_LEN];
            cli_out_text(f, m->id, 0);
            fputs(" evidence: ", f);
            cli_out_text(f, e->uri, 0);
            if (e->sha256 && *e->sha256) {
                fputs(" sha256:", f);
                cli_out_text(f, e->sha256, 0);
            }
            if (e->added_at_ms) {
                fprintf(f, " (%s by ", rl_ts_format(e->added_at_ms, ts));
                cli_out_text(f, e->added_by, 0);
                fputc(')', f);
            }
            fputc('\n', f);
        }
        if (m->waive_reason && *m->waive_reason) {
            cli_out_text(f, m->id, 0);
            fputs(" waived: ", f);
            cli_out_text(f, m->waive_reason, 0);
            fputc('\n', f);
        }
    }
    return CLI_EXIT_OK;
}

static void print_decisions(cli_app_t *app, const plan_t *p)
{
    FILE *f = app->out;
    char ts[RL_TS_LEN];
    fputc('\n', f);
    const Riskline__V1__Approval *ap = p->approval;
    cli_out_key(f, "approval");
    if (!ap) {
        fputs("-\n", f);
    } else {
        fputs("by ", f);
        cli_out_text(f, ap->approver, 0);
        fprintf(f, " at %s, plan version %" PRIu64, ap->at_ms ? rl_ts_format(ap->at_ms, ts) : "-", ap->plan_version);
        if (ap->risk && ap->risk->id && *ap->risk->id) {
            fputs(", risk ", f);
            cli_out_text(f, ap->risk->id, 0);
            fprintf(f, " at score %" PRIu32 " (version %" PRIu64 ")", ap->risk->inherent_score, ap->risk->version);
        }
        fputs(ap->outdated ? " - OUTDATED\n" : "\n", f);
        if (ap->outdated)
            cli_out_kv(f, "outdated because", ap->outdated_reason);
        if (ap->comment && *ap->comment)
            cli_out_kv(f, "approval comment", ap->comment);
    }
    const Riskline__V1__Verification *v = p->verification;
    cli_out_key(f, "verification");
    if (!v) {
        fputs("-\n", f);
    } else {
        fputs(v->effective ? "effective, by " : "ineffective, by ", f);
        cli_out_text(f, v->verified_by, 0);
        fprintf(f, " at %s\n", v->at_ms ? rl_ts_format(v->at_ms, ts) : "-");
        cli_out_kv(f, "result", v->result);
    }
    const Riskline__V1__Acceptance *ac = p->acceptance;
    cli_out_key(f, "acceptance");
    if (!ac) {
        fputs("-\n", f);
    } else {
        fputs("by ", f);
        cli_out_text(f, ac->accepted_by, 0);
        fprintf(f, " at %s, score %" PRIu32 ", expires ", ac->at_ms ? rl_ts_format(ac->at_ms, ts) : "-", ac->score);
        cli_out_text(f, ac->expires, 0);
        if (ac->above_appetite) {
            fputs(", above appetite (co-signed by ", f);
            cli_out_text(f, ac->approver && *ac->approver ? ac->approver : "-", 0);
            fputc(')', f);
        }
        fputc('\n', f);
        cli_out_kv(f, "justification", ac->justification);
    }
}

static int print_plan(cli_app_t *app, const plan_t *p)
{
    FILE *f = app->out;
    char b[32], b2[32];
    cli_out_kv(f, "id", p->id);
    cli_out_kv(f, "risk", p->risk_id);
    cli_out_kv(f, "title", p->title);
    cli_out_key(f, "option");
    fprintf(f, "%s\n", cli_enum_text(&riskline__v1__treatment__descriptor, (int)p->option, "-", b, sizeof b));
    cli_out_key(f, "state");
    fputs(state_text((int)p->state, b, sizeof b), f);
    if (p->state == RISKLINE__V1__PLAN_STATE__PLAN_STATE_ON_HOLD && p->held_from)
        fprintf(f, " (from %s)", state_text((int)p->held_from, b2, sizeof b2));
    fputc('\n', f);
    cli_out_kv(f, "treatment owner", p->treatment_owner);
    cli_out_kv(f, "approver", p->approver);
    cli_out_kv(f, "rationale", p->rationale);
    cli_out_kv(f, "start", p->start_date);
    cli_out_kv(f, "target", p->target_date);
    size_t settled = 0;
    for (size_t i = 0; i < p->n_milestones; i++)
        settled += p->milestones[i]->status == RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_DONE ||
                   p->milestones[i]->status == RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_WAIVED;
    cli_out_key(f, "progress");
    fprintf(f, "%" PRIu32 "%% (%zu of %zu milestones done or waived)\n", p->progress_pct, settled, p->n_milestones);
    cli_out_key(f, "expected residual");
    const Riskline__V1__Rating *er = p->expected_residual;
    if (er && (er->likelihood || er->impact))
        fprintf(f, "likelihood %" PRIu32 " x impact %" PRIu32 " = %" PRIu64 "\n", er->likelihood, er->impact,
                (uint64_t)er->likelihood * er->impact);
    else
        fputs("not rated\n", f);
    cli_out_kv(f, "transfer party", p->transfer_party);
    cli_out_kv(f, "transfer reference", p->transfer_reference);
    cli_out_kv_ts(f, "created", p->created_at_ms, p->created_by);
    cli_out_kv_ts(f, "updated", p->updated_at_ms, p->updated_by);
    cli_out_key(f, "version");
    fprintf(f, "%" PRIu64 "\n", p->version);
    int rc;
    if ((rc = print_controls(app, p)) != CLI_EXIT_OK || (rc = print_resources(app, p)) != CLI_EXIT_OK)
        return rc;
    fputs("\nmilestones:\n", f);
    if ((rc = print_milestones(app, p)) != CLI_EXIT_OK)
        return rc;
    print_decisions(app, p);
    return CLI_EXIT_OK;
}

static int print_plan_table(cli_app_t *app, const Riskline__V1__PlanPage *page)
{
    static const char *const head[] = {"ID", "RISK", "TITLE", "OPTION", "OWNER", "STATE", "PROGRESS", "TARGET"};
    size_t n = page->n_plans;
    if (n) {
        char **c = rl_arena_alloc(app->arena, n * N(head) * sizeof *c);
        if (!c)
            return cli_oom(app);
        for (size_t i = 0; i < n; i++) {
            const plan_t *p = page->plans[i];
            char b[32];
            char **row = c + i * N(head);
            row[0] = cli_out_cell(app->arena, p->id, RL_MAX_ENTITY_ID);
            row[1] = cli_out_cell(app->arena, p->risk_id, RL_MAX_ENTITY_ID);
            row[2] = cli_out_cell(app->arena, p->title, CELL_TITLE);
            row[3] = cli_out_cell(
                app->arena, cli_enum_text(&riskline__v1__treatment__descriptor, (int)p->option, "-", b, sizeof b), 16);
            row[4] = cli_out_cell(app->arena, p->treatment_owner, CELL_NAME);
            row[5] = cli_out_cell(app->arena, state_text((int)p->state, b, sizeof b), 16);
            row[6] = rl_arena_printf(app->arena, "%" PRIu32 "%%", p->progress_pct);
            row[7] = cli_out_cell(app->arena, p->target_date && *p->target_date ? p->target_date : "-", RL_DATE_LEN);
            for (size_t k = 0; k < N(head); k++)
                if (!row[k])
                    return cli_oom(app);
        }
        cli_out_table(app->out, head, N(head), c, n);
    }
    fprintf(app->out, "%zu plan%s\n", n, n == 1 ? "" : "s");
    if (page->next_cursor && page->next_cursor[0]) {
        fputs("next cursor: ", app->out);
        cli_out_text(app->out, page->next_cursor, 0);
        fputc('\n', app->out);
    }
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* plan commands                                                                              */

static int cmd_create(cli_app_t *app, const cli_args_t *a)
{
    static const char *const required[] = {"risk", "title", "option", "owner", "approver"};
    for (size_t i = 0; i < N(required); i++)
        if (!cli_args_get(a, required[i]))
            return cli_usage(app, "", "missing required option --%s", required[i]);
    plan_t *p = rl_arena_alloc(app->arena, sizeof *p);
    Riskline__V1__PlanCreate *c = rl_arena_alloc(app->arena, sizeof *c);
    rl_envelope_t *req = cli_request(app);
    if (!p || !c || !req)
        return cli_oom(app);
    riskline__v1__plan__init(p);
    riskline__v1__plan_create__init(c);
    int keep = 0, rc;
    if ((rc = fill_plan(app, a, p, NULL, 0, &keep)) != CLI_EXIT_OK)
        return rc;
    p->risk_id = (char *)cli_args_get(a, "risk");
    c->plan = p;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE;
    req->plan_create = c;
    const rl_envelope_t *reply = NULL;
    const plan_t *out = call_plan(app, req, &reply, &rc);
    return out ? print_result(app, reply, out, "created") : rc;
}

static int cmd_update(cli_app_t *app, const cli_args_t *a)
{
    plan_t *patch = rl_arena_alloc(app->arena, sizeof *patch);
    Riskline__V1__PlanUpdate *u = rl_arena_alloc(app->arena, sizeof *u);
    mask_t *m = rl_arena_alloc(app->arena, sizeof *m);
    if (!patch || !u || !m)
        return cli_oom(app);
    riskline__v1__plan__init(patch);
    riskline__v1__plan_update__init(u);
    memset(m, 0, sizeof *m);
    int keep = 0, rc;
    if ((rc = fill_plan(app, a, patch, m, 1, &keep)) != CLI_EXIT_OK)
        return rc;
    uint64_t version = 0;
    int has_version = version_opt(app, a, &version, &rc);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (m->n == 0)
        return cli_usage(app, "", "nothing to update: give at least one field option (e.g. --target)");
    const char *id = a->pos[0];
    if (!has_version || keep) {
        const plan_t *cur = get_plan(app, id, &rc);
        if (!cur)
            return rc;
        if (!has_version)
            version = cur->version;
        const Riskline__V1__Money *ob = cur->resources ? cur->resources->budget : NULL;
        if (keep & (KEEP_AMOUNT | KEEP_CURRENCY)) {
            if (!ob || !ob->currency || !*ob->currency)
                return cli_usage(app, keep & KEEP_AMOUNT ? "--budget" : "--currency",
                                 "required too: %s has no budget to keep it from", id);
            Riskline__V1__Money *nb = patch->resources->budget;
            if (keep & KEEP_AMOUNT)
                nb->amount_minor = ob->amount_minor;
            if (keep & KEEP_CURRENCY)
                nb->currency = ob->currency;
        }
        if (keep & (KEEP_LIKELIHOOD | KEEP_IMPACT)) {
            const Riskline__V1__Rating *old = cur->expected_residual;
            if (!old || (!old->likelihood && !old->impact))
                return cli_usage(app, keep & KEEP_LIKELIHOOD ? "--residual-likelihood" : "--residual-impact",
                                 "required too: %s has no expected residual to keep it from", id);
            if (keep & KEEP_LIKELIHOOD)
                patch->expected_residual->likelihood = old->likelihood;
            if (keep & KEEP_IMPACT)
                patch->expected_residual->impact = old->impact;
        }
    }
    u->id = (char *)id;
    u->expected_version = version;
    u->patch = patch;
    u->update_mask = m->names;
    u->n_update_mask = m->n;
    rl_envelope_t *req = cli_request(app);
    if (!req)
        return cli_oom(app);
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_UPDATE;
    req->plan_update = u;
    const rl_envelope_t *reply = NULL;
    const plan_t *out = call_plan(app, req, &reply, &rc);
    return out ? print_result(app, reply, out, "updated") : rc;
}

static int cmd_show(cli_app_t *app, const cli_args_t *a)
{
    int rc;
    const plan_t *p = get_plan(app, a->pos[0], &rc);
    if (!p)
        return rc;
    if (app->json) {
        Riskline__V1__PlanResult res;
        riskline__v1__plan_result__init(&res);
        res.plan = (plan_t *)p;
        return cli_print_json(app, rl_json_from_message(&res.base));
    }
    return print_plan(app, p);
}

static int cmd_list(cli_app_t *app, const cli_args_t *a)
{
    Riskline__V1__PlanList *l = rl_arena_alloc(app->arena, sizeof *l);
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    if (!l || !req)
        return cli_oom(app);
    riskline__v1__plan_list__init(l);
    rl_error_t err;
    const char *v;
    if ((v = cli_args_get(a, "risk")))
        l->risk_id = (char *)v;
    if ((v = cli_args_get(a, "owner")))
        l->owner = (char *)v;
    if ((v = cli_args_get(a, "state"))) {
        int s = cli_parse_enum(&riskline__v1__plan_state__descriptor, "--state", v, 1, 9,
                               "draft, submitted, approved, in_progress, implemented, verified, closed, on_hold "
                               "or cancelled",
                               &err);
        if (s < 0)
            return cli_usage_fail(app, &err);
        l->state = (Riskline__V1__PlanState)s;
    }
    if (cli_args_u32(a, "limit", &l->limit, &err) < 0)
        return cli_usage_fail(app, &err);
    if ((v = cli_args_get(a, "cursor")))
        l->cursor = (char *)v;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_LIST;
    req->plan_list = l;
    int rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_PLAN_PAGE, &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&reply->plan_page->base));
    return print_plan_table(app, reply->plan_page);
}

static int cmd_history(cli_app_t *app, const cli_args_t *a)
{
    rl_error_t err;
    Riskline__V1__PlanHistory *h = rl_arena_alloc(app->arena, sizeof *h);
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    if (!h || !req)
        return cli_oom(app);
    riskline__v1__plan_history__init(h);
    h->id = (char *)a->pos[0];
    if (cli_args_u32(a, "limit", &h->limit, &err) < 0)
        return cli_usage_fail(app, &err);
    const char *cursor = cli_args_get(a, "cursor");
    if (cursor)
        h->cursor = (char *)cursor;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_HISTORY;
    req->plan_history = h;
    int rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_HISTORY_PAGE, &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&reply->history_page->base));
    cli_output_history(app, reply->history_page);
    return CLI_EXIT_OK;
}

/* --waive (comma lists, repeatable) with --waive-reason; --accept-* pair. */
static int close_options(cli_app_t *app, const cli_args_t *a, Riskline__V1__PlanTransition *t)
{
    rl_error_t err;
    size_t nw = 0;
    const char *const *w = cli_args_all(a, "waive", &nw);
    const char *reason = cli_args_get(a, "waive-reason");
    if (nw && !reason)
        return cli_usage(app, "--waive-reason", "required with --waive");
    if (reason && !nw)
        return cli_usage(app, "--waive", "required with --waive-reason");
    if (nw) {
        if (!(t->waive = rl_arena_alloc(app->arena, RL_MAX_WAIVE * sizeof *t->waive)))
            return cli_oom(app);
        for (size_t i = 0; i < nw; i++)
            if (cli_parse_id_list("--waive", w[i], app->arena, t->waive, RL_MAX_WAIVE, &t->n_waive, &err) != 0)
                return cli_usage_fail(app, &err);
        t->waive_reason = (char *)reason;
    }
    const char *just = cli_args_get(a, "accept-justification"), *exp = cli_args_get(a, "accept-expires");
    if (!just != !exp)
        return cli_usage(app, just ? "--accept-expires" : "--accept-justification", "required with %s",
                         just ? "--accept-justification" : "--accept-expires");
    if (exp) {
        if (cli_parse_date("--accept-expires", exp, &err) != 0)
            return cli_usage_fail(app, &err);
        Riskline__V1__Acceptance *ac = rl_arena_alloc(app->arena, sizeof *ac);
        if (!ac)
            return cli_oom(app);
        riskline__v1__acceptance__init(ac);
        ac->justification = (char *)just;
        ac->expires = (char *)exp;
        t->acceptance = ac;
    }
    return CLI_EXIT_OK;
}

static int transition(cli_app_t *app, const cli_args_t *a, Riskline__V1__PlanAction action, const char *done)
{
    Riskline__V1__PlanTransition *t = rl_arena_alloc(app->arena, sizeof *t);
    if (!t)
        return cli_oom(app);
    riskline__v1__plan_transition__init(t);
    t->action = action;
    const char *v;
    if ((v = cli_args_get(a, "comment")))
        t->comment = (char *)v;
    int rc;
    if (action == RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_VERIFY) {
        rl_error_t err;
        int eff = 0;
        if (!(v = cli_args_get(a, "effective")))
            return cli_usage(app, "--effective", "required: yes (verified) or no (back to in progress)");
        if (cli_parse_yes_no("--effective", v, &eff, &err) != 0)
            return cli_usage_fail(app, &err);
        t->effective = eff;
    }
    if (action == RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_CLOSE && (rc = close_options(app, a, t)) != CLI_EXIT_OK)
        return rc;
    t->id = (char *)a->pos[0];
    rl_envelope_t *req = cli_request(app);
    if (!req)
        return cli_oom(app);
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_TRANSITION;
    req->plan_transition = t;
    const rl_envelope_t *reply = NULL;
    const plan_t *out = plan_write(app, a, t->id, &t->expected_version, req, &reply, &rc);
    if (out && action == RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_VERIFY && !t->effective)
        done = "verified ineffective";
    return out ? print_result(app, reply, out, done) : rc;
}

#define ACTION_CMD(fn, ACTION, done)                                                                   \
    static int fn(cli_app_t *app, const cli_args_t *a)                                                  \
    {                                                                                                  \
        return transition(app, a, RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_##ACTION, done);              \
    }
ACTION_CMD(cmd_submit, SUBMIT, "submitted")
ACTION_CMD(cmd_approve, APPROVE, "approved")
ACTION_CMD(cmd_reject, REJECT, "rejected")
ACTION_CMD(cmd_start, START, "started")
ACTION_CMD(cmd_implement, IMPLEMENT, "implemented")
ACTION_CMD(cmd_verify, VERIFY, "verified")
ACTION_CMD(cmd_close, CLOSE, "closed")
ACTION_CMD(cmd_hold, HOLD, "put on hold")
ACTION_CMD(cmd_resume, RESUME, "resumed")
ACTION_CMD(cmd_cancel, CANCEL, "cancelled")
#undef ACTION_CMD

static int cmd_cost(cli_app_t *app, const cli_args_t *a)
{
    if (strcmp(a->pos[0], "add") != 0)
        return cli_usage(app, "", "unknown cost subcommand '%.64s' (expected: plan cost add ID ...)", a->pos[0]);
    if (a->npos < 2)
        return cli_usage(app, "", "missing argument ID");
    const char *amount = cli_args_get(a, "amount"), *date = cli_args_get(a, "date");
    if (!amount)
        return cli_usage(app, "", "missing required option --amount");
    if (!date)
        return cli_usage(app, "", "missing required option --date");
    Riskline__V1__PlanCostAdd *c = rl_arena_alloc(app->arena, sizeof *c);
    Riskline__V1__Cost *cost = rl_arena_alloc(app->arena, sizeof *cost);
    if (!c || !cost)
        return cli_oom(app);
    riskline__v1__plan_cost_add__init(c);
    riskline__v1__cost__init(cost);
    rl_error_t err;
    if (cli_parse_money("--amount", amount, &cost->amount_minor, &err) != 0 ||
        cli_parse_date("--date", date, &err) != 0)
        return cli_usage_fail(app, &err);
    cost->date = (char *)date;
    const char *note = cli_args_get(a, "note");
    if (note)
        cost->note = (char *)note;
    int rc;
    c->id = (char *)a->pos[1];
    c->cost = cost;
    rl_envelope_t *req = cli_request(app);
    if (!req)
        return cli_oom(app);
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_COST_ADD;
    req->plan_cost_add = c;
    const rl_envelope_t *reply = NULL;
    const plan_t *p = plan_write(app, a, c->id, &c->expected_version, req, &reply, &rc);
    if (!p)
        return rc;
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&reply->plan_result->base));
    const Riskline__V1__Resources *r = p->resources;
    const Riskline__V1__Money *b = r ? r->budget : NULL;
    cli_out_text(app->out, p->id, 0);
    fputs(" cost recorded: ", app->out);
    money_text(app->out, cost->amount_minor, b ? b->currency : "");
    fprintf(app->out, ", version %" PRIu64 ", spent ", p->version);
    money_text(app->out, r ? r->spent_minor : 0, b ? b->currency : "");
    if (b) {
        fputs(" of ", app->out);
        money_text(app->out, b->amount_minor, b->currency);
    }
    fputs(r && r->over_budget ? " - OVER BUDGET\n" : "\n", app->out);
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* milestone commands                                                                         */

/* --depends: comma lists, repeatable; a single '' on update clears. */
static int depends_opt(cli_app_t *app, const cli_args_t *a, milestone_t *m, int for_update, int *given)
{
    size_t n;
    const char *const *v = list_opt(a, "depends", &n, for_update, given);
    if (!*given)
        return CLI_EXIT_OK;
    if (!(m->depends_on = rl_arena_alloc(app->arena, RL_MAX_MILESTONE_DEPS * sizeof *m->depends_on)))
        return cli_oom(app);
    rl_error_t err;
    for (size_t i = 0; i < n; i++)
        if (cli_parse_id_list("--depends", v[i], app->arena, m->depends_on, RL_MAX_MILESTONE_DEPS, &m->n_depends_on,
                              &err) != 0)
            return cli_usage_fail(app, &err);
    return CLI_EXIT_OK;
}

/* --evidence URI [--sha256 HEX] into *out (NULL when not given). */
static int evidence_opt(cli_app_t *app, const cli_args_t *a, Riskline__V1__Evidence **out)
{
    const char *uri = cli_args_get(a, "evidence"), *sha = cli_args_get(a, "sha256");
    *out = NULL;
    if (sha && !uri)
        return cli_usage(app, "--evidence", "required with --sha256 (the document it is the hash of)");
    if (!uri)
        return CLI_EXIT_OK;
    if (!*uri)
        return cli_usage(app, "--evidence", "expected a URI or path of the evidence, got ''");
    Riskline__V1__Evidence *e = rl_arena_alloc(app->arena, sizeof *e);
    char *hex = rl_arena_alloc(app->arena, 65);
    if (!e || !hex)
        return cli_oom(app);
    riskline__v1__evidence__init(e);
    e->uri = (char *)uri;
    rl_error_t err;
    if (sha) {
        if (cli_parse_sha256("--sha256", sha, hex, &err) != 0)
            return cli_usage_fail(app, &err);
        e->sha256 = hex;
    }
    *out = e;
    return CLI_EXIT_OK;
}

/* "M-3" for the added milestone: the newest (the service appends). */
static const milestone_t *last_milestone(const plan_t *p)
{
    return p->n_milestones ? p->milestones[p->n_milestones - 1] : NULL;
}

static int print_ms_result(cli_app_t *app, const rl_envelope_t *reply, const plan_t *p, const char *mid,
                           const char *what)
{
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&reply->plan_result->base));
    const milestone_t *m = NULL;
    for (size_t i = 0; i < p->n_milestones && !m; i++)
        if (p->milestones[i]->id && mid && strcmp(p->milestones[i]->id, mid) == 0)
            m = p->milestones[i];
    char b[32];
    cli_out_text(app->out, p->id, 0);
    fputc(' ', app->out);
    cli_out_text(app->out, mid ? mid : "-", 0);
    fprintf(app->out, " %s: ", what);
    if (m) {
        fprintf(app->out, "%s, due ",
                cli_enum_text(&riskline__v1__milestone_status__descriptor, (int)m->status, "-", b, sizeof b));
        cli_out_text(app->out, m->due_date, 0);
        fputs(", ", app->out);
    }
    fprintf(app->out, "plan version %" PRIu64 ", progress %" PRIu32 "%%\n", p->version, p->progress_pct);
    return CLI_EXIT_OK;
}

static int cmd_ms_add(cli_app_t *app, const cli_args_t *a)
{
    static const char *const required[] = {"title", "owner", "due"};
    for (size_t i = 0; i < N(required); i++)
        if (!cli_args_get(a, required[i]))
            return cli_usage(app, "", "missing required option --%s", required[i]);
    Riskline__V1__MilestoneAdd *ad = rl_arena_alloc(app->arena, sizeof *ad);
    milestone_t *m = rl_arena_alloc(app->arena, sizeof *m);
    if (!ad || !m)
        return cli_oom(app);
    riskline__v1__milestone_add__init(ad);
    riskline__v1__milestone__init(m);
    rl_error_t err;
    if (cli_parse_date("--due", cli_args_get(a, "due"), &err) != 0)
        return cli_usage_fail(app, &err);
    m->title = (char *)cli_args_get(a, "title");
    m->owner = (char *)cli_args_get(a, "owner");
    m->due_date = (char *)cli_args_get(a, "due");
    int given, rc;
    if ((rc = depends_opt(app, a, m, 0, &given)) != CLI_EXIT_OK)
        return rc;
    ad->plan_id = (char *)a->pos[0];
    ad->milestone = m;
    rl_envelope_t *req = cli_request(app);
    if (!req)
        return cli_oom(app);
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_MILESTONE_ADD;
    req->milestone_add = ad;
    const rl_envelope_t *reply = NULL;
    const plan_t *p = plan_write(app, a, ad->plan_id, &ad->expected_version, req, &reply, &rc);
    if (!p)
        return rc;
    const milestone_t *nm = last_milestone(p);
    return print_ms_result(app, reply, p, nm ? nm->id : NULL, "added");
}

/* update (status 0) or a status change; the common request. */
static int ms_change(cli_app_t *app, const cli_args_t *a, Riskline__V1__MilestoneStatus status, const char *what)
{
    Riskline__V1__MilestoneUpdate *u = rl_arena_alloc(app->arena, sizeof *u);
    milestone_t *patch = rl_arena_alloc(app->arena, sizeof *patch);
    mask_t *m = rl_arena_alloc(app->arena, sizeof *m);
    if (!u || !patch || !m)
        return cli_oom(app);
    riskline__v1__milestone_update__init(u);
    riskline__v1__milestone__init(patch);
    memset(m, 0, sizeof *m);
    int rc, given = 0;
    if (!status) {
        if (str_opt(app, a, "title", "title", &patch->title, m) < 0 ||
            str_opt(app, a, "owner", "owner", &patch->owner, m) < 0)
            return cli_oom(app);
        const char *due = cli_args_get(a, "due");
        rl_error_t err;
        if (due) {
            if (cli_parse_date("--due", due, &err) != 0)
                return cli_usage_fail(app, &err);
            patch->due_date = (char *)due;
            mask_add(m, "due_date");
        }
        if ((rc = depends_opt(app, a, patch, 1, &given)) != CLI_EXIT_OK)
            return rc;
        if (given)
            mask_add(m, "depends_on");
    }
    const char *reason = cli_args_get(a, "reason");
    if (reason)
        patch->waive_reason = (char *)reason;
    if ((rc = evidence_opt(app, a, &u->evidence)) != CLI_EXIT_OK)
        return rc;
    if (!status && m->n == 0 && !u->evidence)
        return cli_usage(app, "", "nothing to update: give --title, --owner, --due, --depends or --evidence");
    u->plan_id = (char *)a->pos[0];
    u->milestone_id = (char *)a->pos[1];
    u->status = status;
    u->patch = patch;
    u->update_mask = m->names;
    u->n_update_mask = m->n;
    rl_envelope_t *req = cli_request(app);
    if (!req)
        return cli_oom(app);
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_MILESTONE_UPDATE;
    req->milestone_update = u;
    const rl_envelope_t *reply = NULL;
    const plan_t *p = plan_write(app, a, u->plan_id, &u->expected_version, req, &reply, &rc);
    return p ? print_ms_result(app, reply, p, u->milestone_id, what) : rc;
}

static int cmd_ms_update(cli_app_t *app, const cli_args_t *a)
{
    return ms_change(app, a, RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_UNSPECIFIED, "updated");
}

#define MS_CMD(fn, STATUS, what)                                                                      \
    static int fn(cli_app_t *app, const cli_args_t *a)                                                 \
    {                                                                                                 \
        return ms_change(app, a, RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_##STATUS, what);    \
    }
MS_CMD(cmd_ms_start, IN_PROGRESS, "started")
MS_CMD(cmd_ms_done, DONE, "done")
MS_CMD(cmd_ms_miss, MISSED, "missed")
MS_CMD(cmd_ms_waive, WAIVED, "waived")
#undef MS_CMD

static int cmd_ms_list(cli_app_t *app, const cli_args_t *a)
{
    int rc;
    const plan_t *p = get_plan(app, a->pos[0], &rc);
    if (!p)
        return rc;
    if (app->json) {
        cJSON *obj = cJSON_CreateObject();
        cJSON *arr = obj && cJSON_AddStringToObject(obj, "plan_id", p->id) &&
                             cJSON_AddNumberToObject(obj, "progress_pct", p->progress_pct)
                         ? cJSON_AddArrayToObject(obj, "milestones")
                         : NULL;
        for (size_t i = 0; arr && i < p->n_milestones; i++) {
            cJSON *item = rl_json_from_message(&p->milestones[i]->base);
            if (!item)
                arr = NULL;
            else
                cJSON_AddItemToArray(arr, item);
        }
        if (!arr) {
            cJSON_Delete(obj);
            return cli_oom(app);
        }
        return cli_print_json(app, obj);
    }
    if ((rc = print_milestones(app, p)) != CLI_EXIT_OK)
        return rc;
    fprintf(app->out, "%zu milestone%s, progress %" PRIu32 "%%\n", p->n_milestones, p->n_milestones == 1 ? "" : "s",
            p->progress_pct);
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------------------------------------ */

#define TREATMENT "treatment"
#define PLAN_TRANSITION(name, opts, fn, usage) \
    {"plan", name, opts, N(opts), 1, 1, "ID", usage, fn, TREATMENT}

static const cli_cmd_t plan_commands[] = {
    {"plan", "create", create_opts, N(create_opts), 0, 0, NULL, create_usage, cmd_create, TREATMENT},
    {"plan", "show", NULL, 0, 1, 1, "ID", show_usage, cmd_show, TREATMENT},
    {"plan", "list", list_opts, N(list_opts), 0, 0, NULL, list_usage, cmd_list, TREATMENT},
    {"plan", "update", update_opts, N(update_opts), 1, 1, "ID", update_usage, cmd_update, TREATMENT},
    {"plan", "history", history_opts, N(history_opts), 1, 1, "ID", history_usage, cmd_history, TREATMENT},
    PLAN_TRANSITION("submit", transition_opts, cmd_submit, submit_usage),
    PLAN_TRANSITION("approve", transition_opts, cmd_approve, approve_usage),
    PLAN_TRANSITION("reject", transition_opts, cmd_reject, reject_usage),
    PLAN_TRANSITION("start", transition_opts, cmd_start, start_usage),
    PLAN_TRANSITION("implement", transition_opts, cmd_implement, implement_usage),
    PLAN_TRANSITION("verify", verify_opts, cmd_verify, verify_usage),
    PLAN_TRANSITION("close", close_opts, cmd_close, close_usage),
    PLAN_TRANSITION("hold", transition_opts, cmd_hold, hold_usage),
    PLAN_TRANSITION("resume", transition_opts, cmd_resume, resume_usage),
    PLAN_TRANSITION("cancel", transition_opts, cmd_cancel, cancel_usage),
    {"plan", "cost", cost_opts, N(cost_opts), 1, 2, "add ID", cost_usage, cmd_cost, TREATMENT},
};

static const cli_cmd_t milestone_commands[] = {
    {"milestone", "add", ms_add_opts, N(ms_add_opts), 1, 1, "PLAN", ms_add_usage, cmd_ms_add, TREATMENT},
    {"milestone", "update", ms_update_opts, N(ms_update_opts), 2, 2, "PLAN M-ID", ms_update_usage, cmd_ms_update,
     TREATMENT},
    {"milestone", "start", ms_status_opts, N(ms_status_opts), 2, 2, "PLAN M-ID", ms_start_usage, cmd_ms_start,
     TREATMENT},
    {"milestone", "done", ms_status_opts, N(ms_status_opts), 2, 2, "PLAN M-ID", ms_done_usage, cmd_ms_done,
     TREATMENT},
    {"milestone", "miss", ms_status_opts, N(ms_status_opts), 2, 2, "PLAN M-ID", ms_miss_usage, cmd_ms_miss,
     TREATMENT},
    {"milestone", "waive", ms_waive_opts, N(ms_waive_opts), 2, 2, "PLAN M-ID", ms_waive_usage, cmd_ms_waive,
     TREATMENT},
    {"milestone", "list", NULL, 0, 1, 1, "PLAN", ms_list_usage, cmd_ms_list, TREATMENT},
};

const cli_cmd_t *cli_plan_commands(size_t *n)
{
    *n = N(plan_commands);
    return plan_commands;
}

const cli_cmd_t *cli_milestone_commands(size_t *n)
{
    *n = N(milestone_commands);
    return milestone_commands;
}
