/* cli_demo.c: `riskline demo load`: fills an empty tenant with the example organisation of cli_demo_data through the services' own requests, each sent by the principal whose job it is, then runs the monitor's schedules and prints what it made. */
#include "cli_demo.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli_demo_data.h"
#include "cli_keys.h"
#include "cli_output.h"
#include "cli_parse_treatment.h"
#include "rl_keyfile.h"
#include "rl_limits.h"
#include "rl_time.h"

const char cli_demo_group_usage[] =
    "usage: riskline [global options] demo <subcommand> [args]\n"
    "\n"
    "Subcommands:\n"
    "  load      fill an empty tenant with an example organisation (risks, plans, metrics,\n"
    "            events, alerts), so that every list and report has something to show\n"
    "\n"
    "Run 'riskline demo load --help' for what it makes.\n";

static const char load_usage[] =
    "usage: riskline [global options] demo load [--tenant T]\n"
    "\n"
    "Fills tenant T (default: RISKLINE_TENANT, else \"default\") with an example organisation,\n"
    "Northwind Freight, through the services' own requests, dates relative to today: 30 risks of\n"
    "every level; 14 treatment plans in every workflow state (one rejected, one verified\n"
    "ineffective) with Annex A and own controls, budgets, costs (one plan over budget) and\n"
    "milestones (some overdue, some done with evidence); an SoA exclusion; 6 metrics with results\n"
    "(some breaching); risk events from two integrating systems (siem-prod, vuln-scanner), linked\n"
    "to risks by id and by asset, one a KRI measurement; two risk acceptances, one expiring within\n"
    "30 days; then a sweep of the monitor's schedules raises the alerts. Prints a summary and\n"
    "commands to try (--json: the summary as one JSON object).\n"
    "\n"
    "Every change is made by the principal whose job it is. With the CLI's admin key the demo\n"
    "issues keys for tenant T only to maria (risk owner), sofia (approver), david, lena, grace\n"
    "(treatment owners), siem-prod and vuln-scanner (integrators), kept in RISKLINE_KEYS_DIR as\n"
    "demo-<T>-<name>.key (an existing one is reused). Plans are approved and verified by their\n"
    "approver, never their owner; risks are accepted by their risk owner; events are sent with\n"
    "the integrators' keys. With RISKLINE_INSECURE=1 everything runs as the one local principal\n"
    "and the acceptances are left out (only a risk's owner accepts it).\n"
    "\n"
    "A tenant that already holds risks is refused (exit 4) and nothing is written: load the demo\n"
    "into another tenant with --tenant. Talks to the register, treatment and monitor services at\n"
    "RISKLINE_REGISTER_ENDPOINT, RISKLINE_TREATMENT_ENDPOINT and RISKLINE_MONITOR_ENDPOINT.\n";

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL
#define MAX_PEOPLE 8
#define MAX_ITEMS 64       /* risks, plans, metrics, controls of the tables */
#define MAX_CONNS 24
#define ID_LEN (RL_MAX_ENTITY_ID + 1)
#define ADMIN (-1)
#define ACTION(x) RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_##x
#define BODY(x) RISKLINE__V1__ENVELOPE__BODY_##x
#define NSTATES 10         /* PlanState values 0..9 */
#define NLEVELS 5          /* Level values 0..4 */

/* One connection: a principal (a demo person, or the CLI's own admin key) to one service. */
typedef struct {
    int who;
    const char *service;
    cli_app_t app;         /* a copy of the run's, with its own client, key and endpoint */
} conn_t;

typedef struct {
    size_t keys_issued, keys_reused;
    size_t risks, levels[NLEVELS];
    size_t plans, states[NSTATES], rejected, ineffective;
    size_t milestones, done, overdue, costs, over_budget;
    size_t acceptances;
    size_t metrics, results;
    size_t events[2], accepted, duplicate, rejected_events;
    size_t ack;
} counts_t;

typedef struct {
    cli_app_t *app;        /* the run: its key is the admin's */
    rl_arena_t *scratch;   /* one step's requests and replies; reset between steps */
    conn_t conns[MAX_CONNS];
    size_t nconns;
    char key_files[MAX_PEOPLE][sizeof(((rl_config_t *)0)->key_file)];
    int64_t now_ms, today;
    char risk_ids[MAX_ITEMS][ID_LEN], plan_ids[MAX_ITEMS][ID_LEN];
    char control_ids[MAX_ITEMS][ID_LEN], metric_ids[MAX_ITEMS][ID_LEN];
    char ms_ids[DEMO_MAX_LIST + 1][ID_LEN];  /* of the plan being loaded */
    uint64_t version;      /* of the plan being loaded ... */
    int state;             /* ... and its state after the last step */
    char over_budget[ID_LEN], expiring_risk[ID_LEN], expiring_on[RL_DATE_LEN], submitted[ID_LEN];
    char admin[RL_MAX_NAME + 1];  /* the principal of the CLI's own key, as the services see it */
    counts_t n;
} demo_t;

/* ------------------------------------------------------------------------------------------ */
/* connections and calls                                                                      */

static const char *who_name(const demo_t *d, int who)
{
    size_t np;
    return who != ADMIN ? demo_people(&np)[who].name : d->admin[0] ? d->admin : d->app->cfg.principal;
}

/* The connection of `who` to `service` (made on first use; every request of the insecure mode
 * runs as the one local principal, so `who` is moot there). */
static conn_t *as(demo_t *d, int who, const char *service)
{
    if (d->app->cfg.insecure)
        who = ADMIN;
    for (size_t i = 0; i < d->nconns; i++)
        if (d->conns[i].who == who && !strcmp(d->conns[i].service, service))
            return &d->conns[i];
    if (d->nconns == MAX_CONNS)
        return NULL;
    conn_t *c = &d->conns[d->nconns++];
    c->who = who;
    c->service = service;
    c->app = *d->app;
    c->app.client = NULL;  /* the bus (ZeroMQ context) is shared, the client is this connection's */
    c->app.arena = d->scratch;
    c->app.service = service;
    c->app.endpoint = !strcmp(service, "treatment") ? d->app->cfg.treatment_endpoint
                      : !strcmp(service, "monitor") ? d->app->cfg.monitor_endpoint
                                                    : d->app->cfg.register_endpoint;
    /* both fit: key_files are checked against the size of cfg.key_file when made */
    if (who != ADMIN)
        memcpy(c->app.cfg.key_file, d->key_files[who], strlen(d->key_files[who]) + 1);
    return c;
}

/* After a failed step (its error printed): which step, as whom. Returns rc. */
static int stopped(demo_t *d, int who, const char *step, int rc)
{
    fprintf(d->app->errf, "riskline: demo load stopped at %s (as %s); what was loaded before stays\n", step,
            who_name(d, who));
    return rc;
}

/* A request envelope of the tenant on connection c, or NULL (out of memory). */
static rl_envelope_t *request(conn_t *c, int body_case)
{
    rl_envelope_t *req = c ? cli_request(&c->app) : NULL;
    if (req)
        req->body_case = (Riskline__V1__Envelope__BodyCase)body_case;
    return req;
}

/* Sends req on c and waits for a reply of case `want`. On failure the service's error is printed
 * (by cli_call), then which step of the demo failed and as whom. */
static int send(demo_t *d, conn_t *c, rl_envelope_t *req, int want, rl_envelope_t **reply, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int send(demo_t *d, conn_t *c, rl_envelope_t *req, int want, rl_envelope_t **reply, const char *fmt, ...)
{
    if (!c || !req)
        return cli_oom(d->app);
    int rc = cli_call(&c->app, req, want, reply);
    if (rc == CLI_EXIT_OK)
        return rc;
    char step[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(step, sizeof step, fmt, ap);
    va_end(ap);
    return stopped(d, c->who, step, rc);
}

static char *date_in(const demo_t *d, int days, char *buf)
{
    return rl_date_format(d->today + days, buf);
}

static char *copy_id(char dst[ID_LEN], const char *src)
{
    snprintf(dst, ID_LEN, "%s", src ? src : "");
    return dst;
}

/* ------------------------------------------------------------------------------------------ */
/* steps                                                                                      */

/* The demo only loads into a tenant without risks: a second load would double every list. */
static int check_empty(demo_t *d)
{
    Riskline__V1__RiskList q = RISKLINE__V1__RISK_LIST__INIT;
    q.limit = RL_MAX_PAGE;
    conn_t *c = as(d, ADMIN, "register");
    rl_envelope_t *req = request(c, BODY(RISK_LIST)), *reply = NULL;
    if (req)
        req->risk_list = &q;
    int rc = send(d, c, req, BODY(RISK_PAGE), &reply, "counting the risks of tenant %s", d->app->tenant);
    if (rc != CLI_EXIT_OK)
        return rc;
    const Riskline__V1__RiskPage *page = reply->risk_page;
    if (!page || !page->n_risks)
        return CLI_EXIT_OK;
    rl_error_t err;
    rl_error_set(&err, RL_ERR_CONFLICT, "tenant",
                 "tenant %s already has %s%zu risks; demo load fills an empty tenant only: use --tenant NAME "
                 "(nothing was written)",
                 d->app->tenant, page->next_cursor && page->next_cursor[0] ? "more than " : "", page->n_risks);
    return cli_fail(d->app, &err);
}

/* Every service answers before anything is written. */
static int check_services(demo_t *d)
{
    static const char *const services[] = {"treatment", "monitor"};
    for (size_t i = 0; i < N(services); i++) {
        Riskline__V1__Ping p = RISKLINE__V1__PING__INIT;
        conn_t *c = as(d, ADMIN, services[i]);
        rl_envelope_t *req = request(c, BODY(PING)), *reply = NULL;
        if (req)
            req->ping = &p;
        int rc = send(d, c, req, BODY(PONG), &reply, "a ping of the %s service", services[i]);
        if (rc != CLI_EXIT_OK)
            return rc;
        if (reply->pong && reply->pong->principal)
            snprintf(d->admin, sizeof d->admin, "%s", reply->pong->principal);
    }
    return CLI_EXIT_OK;
}

/* 1 when key list kr holds a valid key `pub`. */
static int key_listed(const Riskline__V1__KeyResult *kr, const char *pub)
{
    for (size_t i = 0; kr && i < kr->n_principals; i++)
        if (!strcmp(kr->principals[i]->public_key, pub) && !kr->principals[i]->revoked_ms)
            return 1;
    return 0;
}

/* A key for each demo person, for this tenant only: issued (admin), or reused from an earlier
 * load when its file exists and the key store still holds it. */
static int load_keys(demo_t *d)
{
    size_t np;
    const demo_person_t *people = demo_people(&np);
    Riskline__V1__KeyList q = RISKLINE__V1__KEY_LIST__INIT;
    conn_t *c = as(d, ADMIN, "register");
    rl_envelope_t *req = request(c, BODY(KEY_LIST)), *reply = NULL;
    if (req)
        req->key_list = &q;
    int rc = send(d, c, req, BODY(KEY_RESULT), &reply, "listing the keys");
    if (rc != CLI_EXIT_OK)
        return rc;
    const Riskline__V1__KeyResult *listed = reply->key_result;
    for (size_t i = 0; i < np; i++) {
        char file[256];
        snprintf(file, sizeof file, "demo-%s-%s", d->app->tenant, people[i].name);
        if (rl_keyfile_path(d->key_files[i], sizeof d->key_files[i], d->app->cfg.keys_dir, file, "key"))
            return cli_usage(d->app, "RISKLINE_KEYS_DIR", "too long");
        rl_keyfile_t kf;
        rl_error_t err;
        rl_err_t lrc = rl_keyfile_load(&kf, d->key_files[i], &err);
        int known = lrc == RL_OK && key_listed(listed, kf.curve_public);
        memset(&kf, 0, sizeof kf);
        if (lrc != RL_OK && lrc != RL_ERR_NOT_FOUND)
            return cli_fail(d->app, &err);
        if (known) {
            d->n.keys_reused++;
            continue;
        }
        char comment[200];
        snprintf(comment, sizeof comment, "demo load: %s", people[i].job);
        rl_envelope_t *issued = NULL;
        if ((rc = cli_keys_issue(&c->app, people[i].name, people[i].roles, d->app->tenant, comment, NULL,
                                 d->app->cfg.keys_dir, file, 1, &issued)) != CLI_EXIT_OK) {
            char step[200];
            snprintf(step, sizeof step, "issuing the key of %s", people[i].name);
            return stopped(d, ADMIN, step, rc);
        }
        d->n.keys_issued++;
    }
    return CLI_EXIT_OK;
}

static int load_controls(demo_t *d)
{
    size_t n, nx;
    const demo_control_t *controls = demo_controls(&n);
    const demo_exclusion_t *ex = demo_exclusions(&nx);
    conn_t *c = as(d, ADMIN, "treatment");
    for (size_t i = 0; i < n && i < MAX_ITEMS; i++) {
        rl_arena_reset(d->scratch);
        Riskline__V1__Control k = RISKLINE__V1__CONTROL__INIT;
        Riskline__V1__ControlAdd q = RISKLINE__V1__CONTROL_ADD__INIT;
        k.title = (char *)controls[i].title;
        k.description = (char *)controls[i].description;
        k.type = controls[i].type;
        k.theme = controls[i].theme;
        q.control = &k;
        rl_envelope_t *req = request(c, BODY(CONTROL_ADD)), *reply = NULL;
        if (req)
            req->control_add = &q;
        int rc = send(d, c, req, BODY(CONTROL_PAGE), &reply, "adding the control \"%s\"", k.title);
        if (rc != CLI_EXIT_OK)
            return rc;
        const Riskline__V1__ControlPage *page = reply->control_page;
        copy_id(d->control_ids[i], page && page->n_controls ? page->controls[0]->id : "");
    }
    for (size_t i = 0; i < nx; i++) {
        rl_arena_reset(d->scratch);
        Riskline__V1__SoaExclude q = RISKLINE__V1__SOA_EXCLUDE__INIT;
        q.control_id = (char *)ex[i].control;
        q.reason = (char *)ex[i].reason;
        rl_envelope_t *req = request(c, BODY(SOA_EXCLUDE)), *reply = NULL;
        if (req)
            req->soa_exclude = &q;
        int rc = send(d, c, req, BODY(SOA_RESULT), &reply, "excluding %s from the SoA", ex[i].control);
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    return CLI_EXIT_OK;
}

static int load_risk(demo_t *d, size_t i, const demo_risk_t *r)
{
    rl_arena_reset(d->scratch);
    Riskline__V1__Risk k = RISKLINE__V1__RISK__INIT;
    Riskline__V1__Rating inherent = RISKLINE__V1__RATING__INIT;
    Riskline__V1__RiskCreate q = RISKLINE__V1__RISK_CREATE__INIT;
    char review[RL_DATE_LEN];
    size_t nassets = 0;
    while (nassets < DEMO_MAX_LIST && r->assets[nassets])
        nassets++;
    k.title = (char *)r->title;
    k.description = (char *)r->description;
    k.category = (char *)r->category;
    k.assets = (char **)r->assets;
    k.n_assets = nassets;
    k.threat = (char *)r->threat;
    k.vulnerability = (char *)r->vulnerability;
    k.confidentiality = strchr(r->cia, 'c') != NULL;
    k.integrity = strchr(r->cia, 'i') != NULL;
    k.availability = strchr(r->cia, 'a') != NULL;
    k.owner = (char *)r->owner;
    inherent.likelihood = r->likelihood;
    inherent.impact = r->impact;
    k.inherent = &inherent;
    k.treatment = r->treatment;
    k.status = RISKLINE__V1__RISK_STATUS__RISK_STATUS_ASSESSED;
    if (r->review_in)
        k.next_review = date_in(d, r->review_in, review);
    q.risk = &k;
    conn_t *c = as(d, ADMIN, "register");
    rl_envelope_t *req = request(c, BODY(RISK_CREATE)), *reply = NULL;
    if (req)
        req->risk_create = &q;
    int rc = send(d, c, req, BODY(RISK_RESULT), &reply, "registering the risk \"%s\"", r->title);
    if (rc != CLI_EXIT_OK)
        return rc;
    const Riskline__V1__Risk *out = reply->risk_result ? reply->risk_result->risk : NULL;
    copy_id(d->risk_ids[i], out ? out->id : "");
    d->n.risks++;
    if (out && (unsigned)out->inherent_level < NLEVELS)
        d->n.levels[out->inherent_level]++;
    return CLI_EXIT_OK;
}

/* --- plans --- */

/* Takes the plan of a plan write's reply: its version for the next write. */
static const Riskline__V1__Plan *plan_of(demo_t *d, const rl_envelope_t *reply)
{
    const Riskline__V1__Plan *p = reply && reply->plan_result ? reply->plan_result->plan : NULL;
    if (p) {
        d->version = p->version;
        d->state = (int)p->state;
    }
    return p;
}

static int transition(demo_t *d, size_t k, int who, Riskline__V1__PlanAction action, const char *comment,
                      int effective)
{
    rl_arena_reset(d->scratch);
    Riskline__V1__PlanTransition q = RISKLINE__V1__PLAN_TRANSITION__INIT;
    q.id = d->plan_ids[k];
    q.expected_version = d->version;
    q.action = action;
    if (comment)
        q.comment = (char *)comment;
    q.effective = effective;
    char name[24];
    conn_t *c = as(d, who, "treatment");
    rl_envelope_t *req = request(c, BODY(PLAN_TRANSITION)), *reply = NULL;
    if (req)
        req->plan_transition = &q;
    int rc = send(d, c, req, BODY(PLAN_RESULT), &reply, "plan %s: %s", q.id,
                  cli_enum_text(&riskline__v1__plan_action__descriptor, (int)action, "-", name, sizeof name));
    if (rc == CLI_EXIT_OK)
        plan_of(d, reply);
    return rc;
}

static int add_milestone(demo_t *d, size_t k, int owner, const demo_milestone_t *m, size_t slot)
{
    rl_arena_reset(d->scratch);
    Riskline__V1__Milestone ms = RISKLINE__V1__MILESTONE__INIT;
    Riskline__V1__MilestoneAdd q = RISKLINE__V1__MILESTONE_ADD__INIT;
    char due[RL_DATE_LEN];
    char *deps[1];
    ms.title = (char *)m->title;
    ms.owner = (char *)m->owner;
    ms.due_date = date_in(d, m->due, due);
    if (m->depends) {
        deps[0] = d->ms_ids[m->depends - 1];
        ms.depends_on = deps;
        ms.n_depends_on = 1;
    }
    q.plan_id = d->plan_ids[k];
    q.expected_version = d->version;
    q.milestone = &ms;
    conn_t *c = as(d, owner, "treatment");
    rl_envelope_t *req = request(c, BODY(MILESTONE_ADD)), *reply = NULL;
    if (req)
        req->milestone_add = &q;
    int rc = send(d, c, req, BODY(PLAN_RESULT), &reply, "plan %s: adding the milestone \"%s\"", q.plan_id,
                  m->title);
    if (rc != CLI_EXIT_OK)
        return rc;
    const Riskline__V1__Plan *p = plan_of(d, reply);
    copy_id(d->ms_ids[slot], p && p->n_milestones ? p->milestones[p->n_milestones - 1]->id : "");
    d->n.milestones++;
    if (m->status != RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_DONE && m->due < 0)
        d->n.overdue++;
    return CLI_EXIT_OK;
}

/* A milestone's status as the data says: in progress, or done with its evidence (a document
 * reference and the SHA-256 of its text here, as an auditor would check it). */
static int set_milestone(demo_t *d, size_t k, int owner, const demo_milestone_t *m, size_t slot)
{
    if (m->status == RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_PENDING)
        return CLI_EXIT_OK;
    rl_arena_reset(d->scratch);
    Riskline__V1__Milestone patch = RISKLINE__V1__MILESTONE__INIT;
    Riskline__V1__Evidence ev = RISKLINE__V1__EVIDENCE__INIT;
    Riskline__V1__MilestoneUpdate q = RISKLINE__V1__MILESTONE_UPDATE__INIT;
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    q.plan_id = d->plan_ids[k];
    q.milestone_id = d->ms_ids[slot];
    q.expected_version = d->version;
    q.patch = &patch;
    q.status = m->status;
    if (m->evidence) {
        unsigned char sum[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(sum, (const unsigned char *)m->evidence, strlen(m->evidence));
        sodium_bin2hex(hex, sizeof hex, sum, sizeof sum);
        ev.uri = (char *)m->evidence;
        ev.sha256 = hex;
        q.evidence = &ev;
    }
    conn_t *c = as(d, owner, "treatment");
    rl_envelope_t *req = request(c, BODY(MILESTONE_UPDATE)), *reply = NULL;
    if (req)
        req->milestone_update = &q;
    int rc = send(d, c, req, BODY(PLAN_RESULT), &reply, "plan %s: milestone %s", q.plan_id, q.milestone_id);
    if (rc == CLI_EXIT_OK) {
        plan_of(d, reply);
        d->n.done += m->status == RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_DONE;
    }
    return rc;
}

static int add_cost(demo_t *d, size_t k, int owner, const demo_cost_t *cost)
{
    rl_arena_reset(d->scratch);
    Riskline__V1__Cost co = RISKLINE__V1__COST__INIT;
    Riskline__V1__PlanCostAdd q = RISKLINE__V1__PLAN_COST_ADD__INIT;
    char day[RL_DATE_LEN];
    co.date = date_in(d, cost->day, day);
    co.amount_minor = cost->amount_minor;
    co.note = (char *)cost->note;
    q.id = d->plan_ids[k];
    q.expected_version = d->version;
    q.cost = &co;
    conn_t *c = as(d, owner, "treatment");
    rl_envelope_t *req = request(c, BODY(PLAN_COST_ADD)), *reply = NULL;
    if (req)
        req->plan_cost_add = &q;
    int rc = send(d, c, req, BODY(PLAN_RESULT), &reply, "plan %s: recording the cost \"%s\"", q.id, cost->note);
    if (rc != CLI_EXIT_OK)
        return rc;
    const Riskline__V1__Plan *p = plan_of(d, reply);
    d->n.costs++;
    if (p && p->resources && p->resources->over_budget && strcmp(d->over_budget, p->id) != 0) {
        copy_id(d->over_budget, p->id);
        d->n.over_budget++;
    }
    return CLI_EXIT_OK;
}

/* The plan's controls as "#<n>" resolved to the own control's id, with `status`. */
static size_t plan_controls(demo_t *d, const demo_plan_t *pl, Riskline__V1__PlanControl *pc,
                            Riskline__V1__PlanControl **list, Riskline__V1__ImplementationStatus status)
{
    size_t n = 0;
    for (; n < DEMO_MAX_LIST && pl->controls[n]; n++) {
        const char *id = pl->controls[n];
        riskline__v1__plan_control__init(&pc[n]);
        pc[n].control_id = (char *)(id[0] == '#' ? d->control_ids[id[1] - '0'] : id);
        pc[n].status = status;
        list[n] = &pc[n];
    }
    return n;
}

/* The controls' implementation status, as the treatment owner records it. */
static int set_controls(demo_t *d, size_t k, const demo_plan_t *pl, int owner,
                        Riskline__V1__ImplementationStatus status)
{
    rl_arena_reset(d->scratch);
    Riskline__V1__PlanControl pc[DEMO_MAX_LIST], *list[DEMO_MAX_LIST];
    Riskline__V1__Plan patch = RISKLINE__V1__PLAN__INIT;
    Riskline__V1__PlanUpdate q = RISKLINE__V1__PLAN_UPDATE__INIT;
    char *mask[] = {"controls"};
    patch.controls = list;
    patch.n_controls = plan_controls(d, pl, pc, list, status);
    q.id = d->plan_ids[k];
    q.expected_version = d->version;
    q.patch = &patch;
    q.update_mask = mask;
    q.n_update_mask = 1;
    conn_t *c = as(d, owner, "treatment");
    rl_envelope_t *req = request(c, BODY(PLAN_UPDATE)), *reply = NULL;
    if (req)
        req->plan_update = &q;
    int rc = send(d, c, req, BODY(PLAN_RESULT), &reply, "plan %s: control status", q.id);
    if (rc == CLI_EXIT_OK)
        plan_of(d, reply);
    return rc;
}

static int create_plan(demo_t *d, size_t k, const demo_plan_t *pl, int owner)
{
    rl_arena_reset(d->scratch);
    Riskline__V1__PlanControl pc[DEMO_MAX_LIST], *list[DEMO_MAX_LIST];
    Riskline__V1__Personnel staff[DEMO_MAX_LIST], *staff_list[DEMO_MAX_LIST];
    Riskline__V1__Money budget = RISKLINE__V1__MONEY__INIT;
    Riskline__V1__Resources res = RISKLINE__V1__RESOURCES__INIT;
    Riskline__V1__Rating residual = RISKLINE__V1__RATING__INIT;
    Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
    Riskline__V1__PlanCreate q = RISKLINE__V1__PLAN_CREATE__INIT;
    char start[RL_DATE_LEN], target[RL_DATE_LEN];
    p.risk_id = d->risk_ids[pl->risk];
    p.title = (char *)pl->title;
    p.option = pl->option;
    p.treatment_owner = (char *)pl->owner;
    p.approver = (char *)pl->approver;
    p.rationale = (char *)pl->rationale;
    if (pl->transfer_party) {
        p.transfer_party = (char *)pl->transfer_party;
        p.transfer_reference = (char *)pl->transfer_reference;
    }
    p.controls = list;
    p.n_controls = plan_controls(d, pl, pc, list, RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_UNSPECIFIED);
    budget.amount_minor = pl->budget_minor;
    budget.currency = (char *)pl->currency;
    res.budget = &budget;
    for (; res.n_personnel < DEMO_MAX_LIST && pl->people[res.n_personnel]; res.n_personnel++) {
        rl_error_t err;
        Riskline__V1__Personnel *s = &staff[res.n_personnel];
        if (cli_parse_person("person", pl->people[res.n_personnel], d->scratch, s, &err) != 0)
            return cli_fail(d->app, &err);
        staff_list[res.n_personnel] = s;
    }
    res.personnel = staff_list;
    while (res.n_tools < DEMO_MAX_LIST && pl->tools[res.n_tools])
        res.n_tools++;
    res.tools = (char **)pl->tools;
    res.effort_days = pl->effort_days;
    p.resources = &res;
    p.start_date = date_in(d, pl->start, start);
    p.target_date = date_in(d, pl->target, target);
    if (pl->residual_l) {
        residual.likelihood = pl->residual_l;
        residual.impact = pl->residual_i;
        p.expected_residual = &residual;
    }
    q.plan = &p;
    conn_t *c = as(d, owner, "treatment");
    rl_envelope_t *req = request(c, BODY(PLAN_CREATE)), *reply = NULL;
    if (req)
        req->plan_create = &q;
    int rc = send(d, c, req, BODY(PLAN_RESULT), &reply, "creating the plan \"%s\" for %s", pl->title, p.risk_id);
    if (rc != CLI_EXIT_OK)
        return rc;
    const Riskline__V1__Plan *out = plan_of(d, reply);
    copy_id(d->plan_ids[k], out ? out->id : "");
    return CLI_EXIT_OK;
}

/* The steps after start: milestones, costs, control status, then the end of the workflow. */
static int run_plan(demo_t *d, size_t k, const demo_plan_t *pl, int owner, int approver)
{
    int rc = CLI_EXIT_OK;
    for (size_t m = 0; rc == CLI_EXIT_OK && m < DEMO_MAX_LIST && pl->milestones[m].title; m++)
        rc = set_milestone(d, k, owner, &pl->milestones[m], m);
    for (size_t m = 0; rc == CLI_EXIT_OK && m < DEMO_MAX_LIST && pl->costs[m].amount_minor; m++)
        rc = add_cost(d, k, owner, &pl->costs[m]);
    int done = pl->end >= DEMO_END_IMPLEMENTED && pl->end <= DEMO_END_CLOSED;
    if (rc == CLI_EXIT_OK)
        rc = set_controls(d, k, pl, owner,
                          done ? RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_IMPLEMENTED
                               : RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_IN_PROGRESS);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (pl->end == DEMO_END_ON_HOLD)
        return transition(d, k, owner, ACTION(HOLD), pl->decision, 0);
    if (!done)
        return CLI_EXIT_OK;
    if ((rc = transition(d, k, owner, ACTION(IMPLEMENT), "every milestone done; controls in place", 0)) !=
            CLI_EXIT_OK ||
        pl->end == DEMO_END_IMPLEMENTED)
        return rc;
    int effective = pl->end != DEMO_END_INEFFECTIVE;
    if ((rc = transition(d, k, approver, ACTION(VERIFY), pl->decision, effective)) != CLI_EXIT_OK)
        return rc;
    if (!effective) {
        d->n.ineffective++;
        return add_milestone(d, k, owner, &pl->rework, DEMO_MAX_LIST);
    }
    if (pl->end == DEMO_END_CLOSED)
        return transition(d, k, owner, ACTION(CLOSE), "all milestones done; residual risk within appetite", 0);
    return CLI_EXIT_OK;
}

/* One plan from draft to where the data says its workflow ends, each step by its owner or its
 * approver. */
static int load_plan(demo_t *d, size_t k, const demo_plan_t *pl)
{
    int owner = demo_person_index(pl->owner), approver = demo_person_index(pl->approver);
    int rc = create_plan(d, k, pl, owner);
    for (size_t m = 0; rc == CLI_EXIT_OK && m < DEMO_MAX_LIST && pl->milestones[m].title; m++)
        rc = add_milestone(d, k, owner, &pl->milestones[m], m);
    if (rc != CLI_EXIT_OK || pl->end == DEMO_END_DRAFT)
        goto out;
    if ((rc = transition(d, k, owner, ACTION(SUBMIT), NULL, 0)) != CLI_EXIT_OK)
        return rc;
    switch (pl->end) {
    case DEMO_END_SUBMITTED:
        copy_id(d->submitted, d->plan_ids[k]);
        break;
    case DEMO_END_REJECTED:
        rc = transition(d, k, approver, ACTION(REJECT), pl->decision, 0);
        d->n.rejected += rc == CLI_EXIT_OK;
        break;
    case DEMO_END_CANCELLED:
        rc = transition(d, k, owner, ACTION(CANCEL), pl->decision, 0);
        break;
    case DEMO_END_APPROVED:
        rc = transition(d, k, approver, ACTION(APPROVE), pl->decision, 0);
        break;
    default:
        if ((rc = transition(d, k, approver, ACTION(APPROVE), "proportionate to the risk; controls fit", 0)) ==
                CLI_EXIT_OK &&
            (rc = transition(d, k, owner, ACTION(START), NULL, 0)) == CLI_EXIT_OK)
            rc = run_plan(d, k, pl, owner, approver);
        break;
    }
out:
    if (rc != CLI_EXIT_OK)
        return rc;
    d->n.plans++;
    if ((unsigned)d->state < NSTATES)
        d->n.states[d->state]++;
    return CLI_EXIT_OK;
}

/* --- acceptances, metrics, events --- */

static int load_acceptances(demo_t *d)
{
    size_t n, nr;
    const demo_acceptance_t *acc = demo_acceptances(&n);
    const demo_risk_t *risks = demo_risks(&nr);
    for (size_t i = 0; i < n; i++) {
        rl_arena_reset(d->scratch);
        Riskline__V1__RiskAccept q = RISKLINE__V1__RISK_ACCEPT__INIT;
        char expires[RL_DATE_LEN];
        q.risk_id = d->risk_ids[acc[i].risk];
        q.justification = (char *)acc[i].justification;
        q.expires = date_in(d, acc[i].expires_in, expires);
        conn_t *c = as(d, demo_person_index(risks[acc[i].risk].owner), "treatment");
        rl_envelope_t *req = request(c, BODY(RISK_ACCEPT)), *reply = NULL;
        if (req)
            req->risk_accept = &q;
        int rc = send(d, c, req, BODY(ACCEPTANCE_RESULT), &reply, "accepting %s", q.risk_id);
        if (rc != CLI_EXIT_OK)
            return rc;
        d->n.acceptances++;
        if (acc[i].expires_in <= 30) { /* within the monitor's warning window */
            copy_id(d->expiring_risk, q.risk_id);
            snprintf(d->expiring_on, sizeof d->expiring_on, "%s", expires);
        }
    }
    return CLI_EXIT_OK;
}

/* A metric's owner records its results when it holds a key that may; else the admin does. */
static int metric_actor(const char *owner)
{
    size_t np;
    int i = demo_person_index(owner);
    return i >= 0 && strstr(demo_people(&np)[i].roles, "owner") ? i : ADMIN;
}

static int load_metric(demo_t *d, size_t i, const demo_metric_t *m)
{
    rl_arena_reset(d->scratch);
    Riskline__V1__Metric k = RISKLINE__V1__METRIC__INIT;
    Riskline__V1__MetricDefine q = RISKLINE__V1__METRIC_DEFINE__INIT;
    k.name = (char *)m->name;
    if (m->control)
        k.control_id = (char *)m->control;
    else
        k.risk_id = d->risk_ids[m->risk];
    k.method = (char *)m->method;
    k.frequency_days = m->frequency_days;
    k.target = m->target;
    k.direction = m->direction;
    k.warning = m->warning;
    k.breach = m->breach;
    k.owner = (char *)m->owner;
    k.weight = m->weight;
    q.metric = &k;
    conn_t *c = as(d, metric_actor(m->owner), "monitor");
    rl_envelope_t *req = request(c, BODY(METRIC_DEFINE)), *reply = NULL;
    if (req)
        req->metric_define = &q;
    int rc = send(d, c, req, BODY(METRIC_RESULT), &reply, "defining the metric \"%s\"", m->name);
    if (rc != CLI_EXIT_OK)
        return rc;
    const Riskline__V1__Metric *out = reply->metric_result ? reply->metric_result->metric : NULL;
    copy_id(d->metric_ids[i], out ? out->id : "");
    d->n.metrics++;
    for (size_t r = 0; r < DEMO_MAX_LIST && m->results[r].day; r++) {
        rl_arena_reset(d->scratch);
        Riskline__V1__MetricRecord rec = RISKLINE__V1__METRIC_RECORD__INIT;
        rec.metric_id = d->metric_ids[i];
        rec.value = m->results[r].value;
        rec.at_ms = (d->today + m->results[r].day) * DAY_MS + 9 * HOUR_MS; /* measured at 09:00 UTC */
        req = request(c, BODY(METRIC_RECORD));
        if (req)
            req->metric_record = &rec;
        if ((rc = send(d, c, req, BODY(METRIC_RESULT), &reply, "recording a result of %s", rec.metric_id)) !=
            CLI_EXIT_OK)
            return rc;
        d->n.results++;
    }
    return CLI_EXIT_OK;
}

/* One batch per integrating system, sent with its own key. */
static int load_events(demo_t *d)
{
    size_t ns, ne;
    const char *const *sources = demo_sources(&ns);
    const demo_event_t *evs = demo_events(&ne);
    for (size_t s = 0; s < ns && s < N(d->n.events); s++) {
        rl_arena_reset(d->scratch);
        Riskline__V1__RiskEvent ev[MAX_ITEMS], *list[MAX_ITEMS];
        Riskline__V1__Attribute attr[MAX_ITEMS][2], *attrs[MAX_ITEMS][2];
        char *risk[MAX_ITEMS][1];
        size_t n = 0;
        for (size_t i = 0; i < ne && n < MAX_ITEMS; i++) {
            const demo_event_t *e = &evs[i];
            if ((size_t)e->source != s)
                continue;
            Riskline__V1__RiskEvent *x = &ev[n];
            riskline__v1__risk_event__init(x);
            x->source = (char *)sources[s];
            x->event_id = (char *)e->event_id;
            x->kind = e->kind;
            x->severity = e->severity;
            x->occurred_at_ms = d->now_ms - e->hours_ago * HOUR_MS;
            x->summary = (char *)e->summary;
            if (e->risk != DEMO_NO_RISK) {
                risk[n][0] = d->risk_ids[e->risk];
                x->risk_ids = risk[n];
                x->n_risk_ids = 1;
            }
            x->assets = (char **)e->assets;
            while (x->n_assets < 2 && e->assets[x->n_assets])
                x->n_assets++;
            x->controls = (char **)e->controls;
            while (x->n_controls < 2 && e->controls[x->n_controls])
                x->n_controls++;
            for (int a = 0; a < 2; a++) {
                riskline__v1__attribute__init(&attr[n][a]);
                attrs[n][a] = &attr[n][a];
            }
            attr[n][0].key = (char *)e->attr_key;
            attr[n][0].value = (char *)e->attr_value;
            x->attributes = attrs[n];
            x->n_attributes = 1;
            if (e->metric >= 0) { /* a KRI measurement names its metric */
                attr[n][1].key = (char *)"metric";
                attr[n][1].value = d->metric_ids[e->metric];
                x->n_attributes = 2;
            }
            if (e->has_value) {
                x->measurement_case = RISKLINE__V1__RISK_EVENT__MEASUREMENT_VALUE;
                x->value = e->value;
            }
            list[n++] = x;
        }
        Riskline__V1__EventBatch q = RISKLINE__V1__EVENT_BATCH__INIT;
        q.events = list;
        q.n_events = n;
        conn_t *c = as(d, demo_person_index(sources[s]), "monitor");
        rl_envelope_t *req = request(c, BODY(EVENT_BATCH)), *reply = NULL;
        if (req)
            req->event_batch = &q;
        int rc = send(d, c, req, BODY(EVENT_ACKS), &reply, "sending the events of %s", sources[s]);
        if (rc != CLI_EXIT_OK)
            return rc;
        const Riskline__V1__EventAcks *acks = reply->event_acks;
        for (size_t i = 0; acks && i < acks->n_acks; i++) {
            const Riskline__V1__EventAck *a = acks->acks[i];
            if (a->status == RISKLINE__V1__ACK_STATUS__ACK_STATUS_ACCEPTED)
                d->n.accepted++;
            else if (a->status == RISKLINE__V1__ACK_STATUS__ACK_STATUS_DUPLICATE)
                d->n.duplicate++;
            else {
                d->n.rejected_events++;
                fprintf(d->app->errf, "riskline: demo load: event %s of %s rejected: %s: %s\n", a->event_id,
                        sources[s], a->field, a->reason);
            }
        }
        d->n.events[s] = n;
    }
    return d->n.rejected_events ? CLI_EXIT_REJECTED : CLI_EXIT_OK;
}

/* --- the monitor: correlation, schedules, alerts --- */

/* Runs every schedule of the monitor now (admin), as the periodic sweep would within seconds. */
static int sweep(demo_t *d)
{
    rl_arena_reset(d->scratch);
    Riskline__V1__SweepRun s = RISKLINE__V1__SWEEP_RUN__INIT;
    conn_t *c = as(d, ADMIN, "monitor");
    rl_envelope_t *req = request(c, BODY(SWEEP_RUN)), *reply = NULL;
    if (req)
        req->sweep_run = &s;
    return send(d, c, req, BODY(MONITOR_STATUS), &reply, "the sweep of the schedules");
}

/* The pause between two polls of a consumer's progress (up to 50 of them). */
static void nap(void)
{
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* Waits (up to 5 s) until the monitor has correlated every event sent, so that the sweep and the
 * summary see the reassessments: the last event sent is a KRI measurement, and the monitor
 * records its metric's result when it correlates it (cli_demo_data.h). */
static int await_correlation(demo_t *d)
{
    size_t ne;
    const demo_event_t *evs = demo_events(&ne), *kri = NULL;
    for (size_t i = 0; i < ne; i++)
        if (evs[i].metric >= 0)
            kri = &evs[i];
    if (!kri)
        return CLI_EXIT_OK;
    int64_t at = d->now_ms - kri->hours_ago * HOUR_MS;
    conn_t *c = as(d, ADMIN, "monitor");
    for (int i = 0; i < 50; i++) {
        rl_arena_reset(d->scratch);
        Riskline__V1__MetricList q = RISKLINE__V1__METRIC_LIST__INIT;
        rl_envelope_t *req = request(c, BODY(METRIC_LIST)), *reply = NULL;
        if (req)
            req->metric_list = &q;
        int rc = send(d, c, req, BODY(METRIC_PAGE), &reply, "listing the metrics");
        if (rc != CLI_EXIT_OK)
            return rc;
        const Riskline__V1__MetricPage *page = reply->metric_page;
        for (size_t k = 0; page && k < page->n_metrics; k++)
            if (!strcmp(page->metrics[k]->id, d->metric_ids[kri->metric]) && page->metrics[k]->last_at_ms == at)
                return CLI_EXIT_OK;
        nap();
    }
    return CLI_EXIT_OK; /* still busy: the summary counts what is there */
}

/* Waits (up to 5 s) until the register has followed the plans and acceptances (a consumer of the
 * treatment's events, in their order): the last risk accepted shows as accepted. */
static int await_register(demo_t *d)
{
    size_t n;
    const demo_acceptance_t *acc = demo_acceptances(&n);
    if (!n || !d->n.acceptances)
        return CLI_EXIT_OK;
    conn_t *c = as(d, ADMIN, "register");
    for (int i = 0; i < 50; i++) {
        rl_arena_reset(d->scratch);
        Riskline__V1__RiskGet q = RISKLINE__V1__RISK_GET__INIT;
        q.id = d->risk_ids[acc[n - 1].risk];
        rl_envelope_t *req = request(c, BODY(RISK_GET)), *reply = NULL;
        if (req)
            req->risk_get = &q;
        int rc = send(d, c, req, BODY(RISK_RESULT), &reply, "reading %s", q.id);
        if (rc != CLI_EXIT_OK)
            return rc;
        const Riskline__V1__Risk *r = reply->risk_result ? reply->risk_result->risk : NULL;
        if (r && r->status == RISKLINE__V1__RISK_STATUS__RISK_STATUS_ACCEPTED)
            return CLI_EXIT_OK;
        nap();
    }
    return CLI_EXIT_OK; /* still busy: it catches up on its own */
}

static int list_alerts(demo_t *d, conn_t *c, const char *kind, const Riskline__V1__AlertPage **page)
{
    rl_arena_reset(d->scratch);
    Riskline__V1__AlertList q = RISKLINE__V1__ALERT_LIST__INIT;
    q.kind = (char *)kind;
    q.limit = RL_MAX_PAGE;
    rl_envelope_t *req = request(c, BODY(ALERT_LIST)), *reply = NULL;
    if (req)
        req->alert_list = &q;
    int rc = send(d, c, req, BODY(ALERT_PAGE), &reply, "listing the alerts");
    *page = rc == CLI_EXIT_OK ? reply->alert_page : NULL;
    return rc;
}

/* The over-budget plan's owner acknowledges its alert: open and acknowledged alerts both show. */
static int acknowledge_budget(demo_t *d)
{
    size_t np;
    const demo_plan_t *plans = demo_plans(&np);
    int owner = ADMIN;
    for (size_t k = 0; k < np; k++)
        if (!strcmp(d->plan_ids[k], d->over_budget))
            owner = demo_person_index(plans[k].owner);
    conn_t *c = as(d, owner, "monitor");
    const Riskline__V1__AlertPage *page;
    int rc = list_alerts(d, c, "budget_overrun", &page);
    if (rc != CLI_EXIT_OK || !page || !page->n_alerts)
        return rc;
    const Riskline__V1__Alert *al = page->alerts[0];
    Riskline__V1__AlertChange q = RISKLINE__V1__ALERT_CHANGE__INIT;
    q.id = al->id;
    q.expected_version = al->version;
    q.state = RISKLINE__V1__ALERT_STATE__ALERT_STATE_ACKNOWLEDGED;
    q.comment = (char *)"overrun of the consultant's remediation work approved by the CFO; budget change requested";
    rl_envelope_t *req = request(c, BODY(ALERT_CHANGE)), *reply = NULL;
    if (req)
        req->alert_change = &q;
    rc = send(d, c, req, BODY(ALERT_RESULT), &reply, "acknowledging alert %s", q.id);
    d->n.ack += rc == CLI_EXIT_OK;
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* the summary                                                                                */

/* "4 critical, 8 high" from counts by enum value, highest first; "none" when all are 0. */
static void print_counts(FILE *f, const ProtobufCEnumDescriptor *e, const size_t *counts, int n, int high_first)
{
    int any = 0;
    for (int k = 0; k < n; k++) {
        int v = high_first ? n - 1 - k : k;
        if (!counts[v])
            continue;
        char name[32];
        fprintf(f, "%s%zu %s", any++ ? ", " : "", counts[v], cli_enum_text(e, v, "-", name, sizeof name));
    }
    fputs(any ? "" : "none", f);
}

/* {"<name>": count, ...} of the non-zero counts by enum value. */
static cJSON *counts_json(const ProtobufCEnumDescriptor *e, const size_t *counts, int n)
{
    cJSON *o = cJSON_CreateObject();
    for (int v = 0; o && v < n; v++) {
        char name[32];
        if (counts[v] && !cJSON_AddNumberToObject(o, cli_enum_text(e, v, "-", name, sizeof name), (double)counts[v])) {
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}

/* The summary for scripts (--json): the same figures as the text. */
static int print_json(demo_t *d, const Riskline__V1__AlertPage *alerts)
{
    size_t np, ns;
    const demo_person_t *people = demo_people(&np);
    const char *const *sources = demo_sources(&ns);
    cJSON *j = cJSON_CreateObject(), *o = NULL;
    int ok = j && cJSON_AddStringToObject(j, "tenant", d->app->tenant) &&
             cJSON_AddStringToObject(j, "organisation", demo_organisation());
    if (ok && !d->app->cfg.insecure) {
        cJSON *keys = cJSON_AddArrayToObject(j, "keys");
        for (size_t i = 0; ok && i < np; i++) {
            ok = keys && (o = cJSON_CreateObject()) && cJSON_AddItemToArray(keys, o) &&
                 cJSON_AddStringToObject(o, "name", people[i].name) &&
                 cJSON_AddStringToObject(o, "roles", people[i].roles) &&
                 cJSON_AddStringToObject(o, "key_file", d->key_files[i]);
        }
    }
    ok = ok && (o = cJSON_AddObjectToObject(j, "risks")) && cJSON_AddNumberToObject(o, "total", (double)d->n.risks) &&
         cJSON_AddItemToObject(o, "by_level", counts_json(&riskline__v1__level__descriptor, d->n.levels, NLEVELS));
    ok = ok && (o = cJSON_AddObjectToObject(j, "plans")) && cJSON_AddNumberToObject(o, "total", (double)d->n.plans) &&
         cJSON_AddItemToObject(o, "by_state",
                               counts_json(&riskline__v1__plan_state__descriptor, d->n.states, NSTATES)) &&
         cJSON_AddNumberToObject(o, "rejected", (double)d->n.rejected) &&
         cJSON_AddNumberToObject(o, "verified_ineffective", (double)d->n.ineffective) &&
         cJSON_AddStringToObject(o, "over_budget", d->over_budget) &&
         cJSON_AddStringToObject(o, "submitted", d->submitted);
    ok = ok && (o = cJSON_AddObjectToObject(j, "milestones")) &&
         cJSON_AddNumberToObject(o, "total", (double)d->n.milestones) &&
         cJSON_AddNumberToObject(o, "done", (double)d->n.done) &&
         cJSON_AddNumberToObject(o, "overdue", (double)d->n.overdue) &&
         cJSON_AddNumberToObject(j, "costs", (double)d->n.costs);
    ok = ok && (o = cJSON_AddObjectToObject(j, "acceptances")) &&
         cJSON_AddNumberToObject(o, "total", (double)d->n.acceptances) &&
         cJSON_AddStringToObject(o, "expiring_risk", d->expiring_risk) &&
         cJSON_AddStringToObject(o, "expires", d->expiring_on);
    ok = ok && (o = cJSON_AddObjectToObject(j, "metrics")) &&
         cJSON_AddNumberToObject(o, "total", (double)d->n.metrics) &&
         cJSON_AddNumberToObject(o, "results", (double)d->n.results);
    ok = ok && (o = cJSON_AddObjectToObject(j, "events"));
    for (size_t i = 0; ok && i < ns && i < N(d->n.events); i++)
        ok = cJSON_AddNumberToObject(o, sources[i], (double)d->n.events[i]) != NULL;
    ok = ok && cJSON_AddNumberToObject(o, "accepted", (double)d->n.accepted) &&
         cJSON_AddNumberToObject(o, "duplicate", (double)d->n.duplicate);
    cJSON *kinds = NULL;
    ok = ok && (o = cJSON_AddObjectToObject(j, "alerts")) &&
         cJSON_AddNumberToObject(o, "total", (double)(alerts ? alerts->n_alerts : 0)) &&
         (kinds = cJSON_AddObjectToObject(o, "by_kind"));
    for (size_t i = 0; ok && alerts && i < alerts->n_alerts; i++) {
        cJSON *k = cJSON_GetObjectItemCaseSensitive(kinds, alerts->alerts[i]->kind);
        if (k)
            cJSON_SetNumberValue(k, k->valuedouble + 1);
        else
            ok = cJSON_AddNumberToObject(kinds, alerts->alerts[i]->kind, 1) != NULL;
    }
    if (!ok) {
        cJSON_Delete(j);
        j = NULL;
    }
    return cli_print_json(d->app, j);
}

static int print_summary(demo_t *d, const Riskline__V1__AlertPage *alerts)
{
    FILE *f = d->app->out;
    const char *t = d->app->tenant;
    size_t np, ns;
    const demo_person_t *people = demo_people(&np);
    const char *const *sources = demo_sources(&ns);
    fprintf(f, "Loaded %s into tenant %s:\n", demo_organisation(), t);
    if (!d->app->cfg.insecure) {
        fprintf(f, "  keys         %zu principals of tenant %s only (%zu issued, %zu reused): ", np, t,
                d->n.keys_issued, d->n.keys_reused);
        for (size_t i = 0; i < np; i++)
            fprintf(f, "%s%s (%s)", i ? ", " : "", people[i].name, people[i].roles);
        fprintf(f, "\n               in %s/demo-%s-<name>.key\n", d->app->cfg.keys_dir, t);
    }
    fprintf(f, "  risks        %zu: ", d->n.risks);
    print_counts(f, &riskline__v1__level__descriptor, d->n.levels, NLEVELS, 1);
    fprintf(f, "\n  plans        %zu: ", d->n.plans);
    print_counts(f, &riskline__v1__plan_state__descriptor, d->n.states, NSTATES, 0);
    fprintf(f, "\n               (%zu rejected back to draft, %zu verified ineffective and back in progress)\n",
            d->n.rejected, d->n.ineffective);
    fprintf(f, "  milestones   %zu: %zu done with evidence, %zu overdue\n", d->n.milestones, d->n.done, d->n.overdue);
    fprintf(f, "  costs        %zu recorded; %zu plan over budget%s%s\n", d->n.costs, d->n.over_budget,
            d->n.over_budget ? ": " : "", d->over_budget);
    if (d->n.acceptances)
        fprintf(f, "  acceptances  %zu; %s expires on %s\n", d->n.acceptances, d->expiring_risk, d->expiring_on);
    else
        fputs("  acceptances  none (plaintext mode: only a risk's owner accepts it)\n", f);
    fprintf(f, "  metrics      %zu with %zu results\n", d->n.metrics, d->n.results);
    fprintf(f, "  events       %zu from %s and %zu from %s: %zu accepted, %zu duplicate\n", d->n.events[0], sources[0],
            d->n.events[1], sources[1], d->n.accepted, d->n.duplicate);
    fprintf(f, "  alerts       %zu open or acknowledged after the sweep (%zu acknowledged by its plan's owner)",
            alerts ? alerts->n_alerts : 0, d->n.ack);
    for (size_t i = 0; alerts && i < alerts->n_alerts; i++) {
        const char *kind = alerts->alerts[i]->kind;
        size_t seen = 0, count = 0;
        for (size_t j = 0; j < alerts->n_alerts; j++) {
            seen += j < i && !strcmp(alerts->alerts[j]->kind, kind);
            count += !strcmp(alerts->alerts[j]->kind, kind);
        }
        if (!seen)
            fprintf(f, "%s%zu %s", i ? ", " : ": ", count, kind);
    }
    fputs("\n\nTry:\n", f);
    fprintf(f, "  riskline --tenant %s risk list --sort score\n", t);
    fprintf(f, "  riskline --tenant %s plan list\n", t);
    if (d->over_budget[0])
        fprintf(f, "  riskline --tenant %s plan show %s        # over budget, an overdue milestone\n", t,
                d->over_budget);
    fprintf(f, "  riskline --tenant %s alert list\n", t);
    fprintf(f, "  riskline --tenant %s metric list\n", t);
    fprintf(f, "  riskline --tenant %s soa show\n", t);
    fprintf(f, "  riskline --tenant %s monitor status\n", t);
    fprintf(f, "  riskline --tenant %s report dashboard --format html --out dashboard.html\n", t);
    fprintf(f, "  riskline --tenant %s report plans --format html --out plans.html   # the RTP document\n", t);
    fprintf(f, "  riskline --tenant %s watch        # changes live; make one from another shell\n", t);
    if (d->submitted[0] && !d->app->cfg.insecure) {
        int sofia = demo_person_index("sofia");
        fprintf(f, "  RISKLINE_KEY_FILE=%s riskline --tenant %s plan approve %s --comment \"go ahead\"\n",
                sofia >= 0 ? d->key_files[sofia] : "", t, d->submitted);
    }
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------------------------------------ */

static int load(demo_t *d)
{
    size_t nr, np, nm;
    const demo_risk_t *risks = demo_risks(&nr);
    const demo_plan_t *plans = demo_plans(&np);
    const demo_metric_t *metrics = demo_metrics(&nm);
    int rc;
    if ((rc = check_empty(d)) != CLI_EXIT_OK || (rc = check_services(d)) != CLI_EXIT_OK)
        return rc;
    if (!d->app->cfg.insecure && (rc = load_keys(d)) != CLI_EXIT_OK)
        return rc;
    if ((rc = load_controls(d)) != CLI_EXIT_OK)
        return rc;
    for (size_t i = 0; i < nr; i++)
        if ((rc = load_risk(d, i, &risks[i])) != CLI_EXIT_OK)
            return rc;
    for (size_t k = 0; k < np; k++) {
        if ((rc = load_plan(d, k, &plans[k])) != CLI_EXIT_OK)
            return rc;
    }
    if (!d->app->cfg.insecure && (rc = load_acceptances(d)) != CLI_EXIT_OK)
        return rc;
    for (size_t i = 0; i < nm; i++)
        if ((rc = load_metric(d, i, &metrics[i])) != CLI_EXIT_OK)
            return rc;
    const Riskline__V1__AlertPage *alerts;
    if ((rc = load_events(d)) != CLI_EXIT_OK || (rc = await_correlation(d)) != CLI_EXIT_OK ||
        (rc = sweep(d)) != CLI_EXIT_OK ||
        (d->over_budget[0] && (rc = acknowledge_budget(d)) != CLI_EXIT_OK))
        return rc;
    if ((rc = await_register(d)) != CLI_EXIT_OK ||
        (rc = list_alerts(d, as(d, ADMIN, "monitor"), "", &alerts)) != CLI_EXIT_OK)
        return rc;
    return d->app->json ? print_json(d, alerts) : print_summary(d, alerts);
}

static int cmd_load(cli_app_t *app, const cli_args_t *a)
{
    if (cli_args_get(a, "endpoint"))
        return cli_usage(app, "--endpoint",
                         "demo load talks to three services: set RISKLINE_REGISTER_ENDPOINT, "
                         "RISKLINE_TREATMENT_ENDPOINT and RISKLINE_MONITOR_ENDPOINT instead");
    rl_error_t err;
    rl_error_clear(&err);
    size_t np, nr, nk, nm, nc;
    demo_people(&np), demo_risks(&nr), demo_plans(&nk), demo_metrics(&nm), demo_controls(&nc);
    if (np > MAX_PEOPLE || nr > MAX_ITEMS || nk > MAX_ITEMS || nm > MAX_ITEMS || nc > MAX_ITEMS)
        rl_error_set(&err, RL_ERR_INTERNAL, "", "the demo's tables outgrew the room kept for their ids");
    if (err.code != RL_OK || demo_data_check(&err) != RL_OK)
        return cli_fail(app, &err);
    if (sodium_init() < 0) {
        rl_error_set(&err, RL_ERR_INTERNAL, "", "libsodium cannot start");
        return cli_fail(app, &err);
    }
    demo_t *d = rl_arena_alloc(app->arena, sizeof *d);
    if (!d || !(d->scratch = rl_arena_new(0)))
        return cli_oom(app);
    d->app = app;
    if (!app->bus && !(app->bus = rl_bus_new(NULL))) {
        rl_arena_destroy(&d->scratch);
        rl_error_set(&err, RL_ERR_UNAVAILABLE, "", "cannot create the ZeroMQ context");
        return cli_fail(app, &err);
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    d->now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    d->today = rl_days_from_ms(d->now_ms);
    int rc = load(d);
    for (size_t i = 0; i < d->nconns; i++)
        rl_bus_client_destroy(&d->conns[i].app.client);
    rl_arena_destroy(&d->scratch);
    return rc;
}

static const cli_cmd_t commands[] = {
    {"demo", "load", NULL, 0, 0, 0, NULL, load_usage, cmd_load, NULL},
};

const cli_cmd_t *cli_demo_commands(size_t *n)
{
    *n = N(commands);
    return commands;
}
