/* cli_risk.c: the `riskline risk ...` commands (add, list, show, update, archive, history). */
#include "cli_risk.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli_output.h"
#include "rl_json.h"
#include "rl_limits.h"

const char cli_risk_group_usage[] =
    "usage: riskline [global options] risk <subcommand> [args]\n"
    "\n"
    "Subcommands:\n"
    "  add       register a new risk\n"
    "  list      list risks (table; --all follows cursors to the end)\n"
    "  show      every field of one risk\n"
    "  update    change fields of a risk (compare-and-set on its version)\n"
    "  archive   archive a risk (hidden from default lists, kept for audit)\n"
    "  history   the audit trail of a risk: who changed what, when\n"
    "\n"
    "Run 'riskline risk <subcommand> --help' for its options.\n";

#define FIELD_OPTIONS_HELP \
    "  --title T                  title, 1..200 bytes\n" \
    "  --owner O                  risk owner (principal name)\n" \
    "  --likelihood N             inherent likelihood, 1..criteria likelihood levels\n" \
    "  --impact N                 inherent impact, 1..criteria impact levels\n" \
    "  --description D            description, up to 4000 bytes\n" \
    "  --category C               free-text category (e.g. supplier)\n" \
    "  --asset A                  affected asset; repeat for several (at most 32)\n" \
    "  --threat T                 threat description\n" \
    "  --vulnerability V          vulnerability description\n" \
    "  --cia LETTERS              affected properties: any of c, i, a (e.g. ci), or none\n" \
    "  --residual-likelihood N    residual rating after treatment (0 0 = not rated)\n" \
    "  --residual-impact N\n" \
    "  --target-likelihood N      rating the treatment aims for (0 0 = not rated)\n" \
    "  --target-impact N\n" \
    "  --treatment OPTION         avoid | reduce (modify) | transfer (share) | accept (retain)\n" \
    "  --status S                 identified | assessed | treatment_planned | in_treatment |\n" \
    "                             treated | accepted | closed\n" \
    "  --review-days N            review interval in days (0 = default for the level)\n" \
    "  --next-review YYYY-MM-DD   next review date (else computed from the interval)\n"

static const char add_usage[] =
    "usage: riskline [global options] risk add --title T --owner O --likelihood N --impact N [options]\n"
    "\n"
    "Registers a new risk and prints its id. Required: --title, --owner, --likelihood, --impact.\n"
    "\n"
    "Options:\n" FIELD_OPTIONS_HELP
    "  --help                     this help\n";

static const char update_usage[] =
    "usage: riskline [global options] risk update ID [--version N] [field options]\n"
    "\n"
    "Changes only the fields given. Without --version the current version is read first and used\n"
    "for the compare-and-set (exit 4 when someone else changed the risk in between).\n"
    "Giving only one of --likelihood/--impact (or of a residual/target pair) keeps the other value.\n"
    "A single --asset '' clears the asset list; an empty string clears a text field.\n"
    "\n"
    "Options:\n"
    "  --version N                the version you read (expected_version)\n" FIELD_OPTIONS_HELP
    "  --help                     this help\n";

static const char list_usage[] =
    "usage: riskline [global options] risk list [options]\n"
    "\n"
    "Prints a table (ID TITLE OWNER L I SCORE LEVEL RESIDUAL STATUS NEXT REVIEW), the count and,\n"
    "when more pages remain, the cursor for --cursor.\n"
    "\n"
    "Options:\n"
    "  --owner O                  only risks of this owner\n"
    "  --level L                  only this inherent level: low | medium | high | critical\n"
    "  --status S                 only this status (see 'risk add --help')\n"
    "  --category C               only this category\n"
    "  --review-before YYYY-MM-DD only risks whose next review is before this date\n"
    "  --sort KEY                 id (default, oldest first) | score (highest first) | review (earliest first)\n"
    "  --limit N                  page size, 1..500 (default 50)\n"
    "  --cursor C                 continue from a previous page's next cursor\n"
    "  --archived                 list archived risks instead of live ones\n"
    "  --all                      follow cursors and print every page\n"
    "  --help                     this help\n";

static const char show_usage[] =
    "usage: riskline [global options] risk show ID\n"
    "\n"
    "Prints every field of the risk ID (e.g. R-42).\n";

static const char archive_usage[] =
    "usage: riskline [global options] risk archive ID [--version N] [--reason TEXT]\n"
    "\n"
    "Archives the risk: hidden from default lists, kept with its history.\n"
    "\n"
    "Options:\n"
    "  --version N                the version you read (read first when absent)\n"
    "  --reason TEXT              why, recorded in the history (up to 1000 bytes)\n"
    "  --help                     this help\n";

static const char history_usage[] =
    "usage: riskline [global options] risk history ID [--limit N] [--cursor C]\n"
    "\n"
    "Prints the risk's events, oldest first: time, actor, kind, version, then each changed\n"
    "field as 'field: from -> to' and the comment.\n"
    "\n"
    "Options:\n"
    "  --limit N                  events per page, 1..500 (default 100)\n"
    "  --cursor C                 continue from a previous page's next cursor\n"
    "  --help                     this help\n";

#define FIELD_OPTS                                                                              \
    {"title", CLI_OPT_VALUE}, {"owner", CLI_OPT_VALUE}, {"likelihood", CLI_OPT_VALUE},          \
    {"impact", CLI_OPT_VALUE}, {"description", CLI_OPT_VALUE}, {"category", CLI_OPT_VALUE},     \
    {"asset", CLI_OPT_MULTI}, {"threat", CLI_OPT_VALUE}, {"vulnerability", CLI_OPT_VALUE},      \
    {"cia", CLI_OPT_VALUE}, {"residual-likelihood", CLI_OPT_VALUE},                             \
    {"residual-impact", CLI_OPT_VALUE}, {"target-likelihood", CLI_OPT_VALUE},                   \
    {"target-impact", CLI_OPT_VALUE}, {"treatment", CLI_OPT_VALUE}, {"status", CLI_OPT_VALUE},  \
    {"review-days", CLI_OPT_VALUE}, {"next-review", CLI_OPT_VALUE}

static const cli_opt_t add_opts[] = {FIELD_OPTS};
static const cli_opt_t update_opts[] = {FIELD_OPTS, {"version", CLI_OPT_VALUE}};
static const cli_opt_t list_opts[] = {
    {"owner", CLI_OPT_VALUE}, {"level", CLI_OPT_VALUE},  {"status", CLI_OPT_VALUE},
    {"category", CLI_OPT_VALUE}, {"review-before", CLI_OPT_VALUE}, {"sort", CLI_OPT_VALUE},
    {"limit", CLI_OPT_VALUE}, {"cursor", CLI_OPT_VALUE}, {"archived", CLI_OPT_FLAG}, {"all", CLI_OPT_FLAG},
};
static const cli_opt_t archive_opts[] = {{"version", CLI_OPT_VALUE}, {"reason", CLI_OPT_VALUE}};
static const cli_opt_t history_opts[] = {{"limit", CLI_OPT_VALUE}, {"cursor", CLI_OPT_VALUE}};

/* --- value parsers --- */

/* An enum option: a lowercase name of desc, value > 0; -1 (err filled) otherwise. */
static int parse_enum(const ProtobufCEnumDescriptor *desc, const char *opt, const char *s, const char *allowed,
                      rl_error_t *err)
{
    int v = rl_json_enum_value(desc, s);
    if (v <= 0) {
        rl_error_set(err, RL_ERR_INVALID, opt, "expected %s, got '%.100s'", allowed, s);
        return -1;
    }
    return v;
}

/* ISO/IEC 27005 synonyms first, then the proto enum. */
static int parse_treatment(const char *s, rl_error_t *err)
{
    static const struct {
        const char *synonym, *name;
    } syn[] = {{"modify", "reduce"}, {"share", "transfer"}, {"retain", "accept"}};
    for (size_t i = 0; i < sizeof syn / sizeof syn[0]; i++)
        if (strcasecmp(s, syn[i].synonym) == 0)
            s = syn[i].name;
    return parse_enum(&riskline__v1__treatment__descriptor, "--treatment", s,
                      "avoid, reduce (modify), transfer (share) or accept (retain)", err);
}

static int parse_cia(const char *s, Riskline__V1__Risk *r, rl_error_t *err)
{
    r->confidentiality = r->integrity = r->availability = 0;
    if (strcasecmp(s, "none") == 0)
        return 0;
    if (!*s)
        goto bad;
    for (const char *p = s; *p; p++) {
        switch (tolower((unsigned char)*p)) {
        case 'c': r->confidentiality = 1; break;
        case 'i': r->integrity = 1; break;
        case 'a': r->availability = 1; break;
        default: goto bad;
        }
    }
    return 0;
bad:
    rl_error_set(err, RL_ERR_INVALID, "--cia", "expected letters c, i, a (e.g. ci) or none, got '%.100s'", s);
    return -1;
}

/* --- building a Risk from the field options --- */

/* Which halves of each rating pair were given. */
enum { HALF_L = 1, HALF_I = 2 };
enum { PAIR_INHERENT, PAIR_RESIDUAL, PAIR_TARGET, NPAIRS };

static const struct {
    const char *l_opt, *i_opt, *mask;
} pairs[NPAIRS] = {
    {"likelihood", "impact", "inherent"},
    {"residual-likelihood", "residual-impact", "residual"},
    {"target-likelihood", "target-impact", "target"},
};

typedef struct {
    char *names[RL_MAX_UPDATE_MASK];
    size_t n;
} mask_t;

static void mask_add(mask_t *m, const char *name)
{
    if (m->n < RL_MAX_UPDATE_MASK)
        m->names[m->n++] = (char *)name;
}

static Riskline__V1__Rating **pair_field(Riskline__V1__Risk *r, int p)
{
    return p == PAIR_INHERENT ? &r->inherent : p == PAIR_RESIDUAL ? &r->residual : &r->target;
}

static int str_opt(cli_app_t *app, const cli_args_t *a, const char *opt, const char *field, char **dst,
                   mask_t *m)
{
    const char *v = cli_args_get(a, opt);
    if (!v)
        return 0;
    *dst = rl_arena_strdup(app->arena, v);
    if (!*dst)
        return -1;
    mask_add(m, field);
    return 0;
}

/* Fills r from the field options and names what was given in m (proto field names) and halves.
 * CLI_EXIT_OK, or an exit code after printing the error. */
static int fill_risk(cli_app_t *app, const cli_args_t *a, Riskline__V1__Risk *r, mask_t *m, int *halves,
                     int for_update)
{
    rl_error_t err;
    rl_error_clear(&err);
    if (str_opt(app, a, "title", "title", &r->title, m) || str_opt(app, a, "description", "description",
                                                                    &r->description, m) ||
        str_opt(app, a, "category", "category", &r->category, m))
        return cli_oom(app);

    size_t nassets = 0;
    const char *const *assets = cli_args_all(a, "asset", &nassets);
    if (nassets > 0) {
        if (for_update && nassets == 1 && assets[0][0] == '\0') {
            nassets = 0;  /* --asset '' on update: clear the list */
        } else {
            r->assets = rl_arena_alloc(app->arena, nassets * sizeof *r->assets);
            if (!r->assets)
                return cli_oom(app);
            for (size_t i = 0; i < nassets; i++)
                if (!(r->assets[i] = rl_arena_strdup(app->arena, assets[i])))
                    return cli_oom(app);
        }
        r->n_assets = nassets;
        mask_add(m, "assets");
    }

    if (str_opt(app, a, "threat", "threat", &r->threat, m) ||
        str_opt(app, a, "vulnerability", "vulnerability", &r->vulnerability, m))
        return cli_oom(app);

    const char *v = cli_args_get(a, "cia");
    if (v) {
        if (parse_cia(v, r, &err) != 0)
            return cli_usage_fail(app, &err);
        mask_add(m, "confidentiality");
        mask_add(m, "integrity");
        mask_add(m, "availability");
    }
    if (str_opt(app, a, "owner", "owner", &r->owner, m))
        return cli_oom(app);

    for (int p = 0; p < NPAIRS; p++) {
        uint32_t l = 0, i = 0;
        int hl = cli_args_u32(a, pairs[p].l_opt, &l, &err);
        if (hl < 0)
            return cli_usage_fail(app, &err);
        int hi = cli_args_u32(a, pairs[p].i_opt, &i, &err);
        if (hi < 0)
            return cli_usage_fail(app, &err);
        halves[p] = (hl ? HALF_L : 0) | (hi ? HALF_I : 0);
        if (!halves[p])
            continue;
        if (!for_update && halves[p] != (HALF_L | HALF_I)) {
            char missing[32];
            snprintf(missing, sizeof missing, "--%s", hl ? pairs[p].i_opt : pairs[p].l_opt);
            return cli_usage(app, missing, "required with --%s", hl ? pairs[p].l_opt : pairs[p].i_opt);
        }
        Riskline__V1__Rating *rt = rl_arena_alloc(app->arena, sizeof *rt);
        if (!rt)
            return cli_oom(app);
        riskline__v1__rating__init(rt);
        rt->likelihood = l;
        rt->impact = i;
        *pair_field(r, p) = rt;
        mask_add(m, pairs[p].mask);
    }

    if ((v = cli_args_get(a, "treatment"))) {
        int t = parse_treatment(v, &err);
        if (t < 0)
            return cli_usage_fail(app, &err);
        r->treatment = (Riskline__V1__Treatment)t;
        mask_add(m, "treatment");
    }
    if ((v = cli_args_get(a, "status"))) {
        int s = parse_enum(&riskline__v1__risk_status__descriptor, "--status", v,
                           "identified, assessed, treatment_planned, in_treatment, treated, accepted or closed",
                           &err);
        if (s < 0)
            return cli_usage_fail(app, &err);
        r->status = (Riskline__V1__RiskStatus)s;
        mask_add(m, "status");
    }
    int has = cli_args_u32(a, "review-days", &r->review_interval_days, &err);
    if (has < 0)
        return cli_usage_fail(app, &err);
    if (has)
        mask_add(m, "review_interval_days");
    if ((v = cli_args_get(a, "next-review"))) {
        if (cli_parse_date("--next-review", v, &err) != 0)
            return cli_usage_fail(app, &err);
        if (!(r->next_review = rl_arena_strdup(app->arena, v)))
            return cli_oom(app);
        mask_add(m, "next_review");
    }
    return CLI_EXIT_OK;
}

static const char *risk_id_arg(const cli_args_t *a)
{
    return a->pos[0];
}

/* "R-5 created: version 1, inherent 20 (critical), next review 2025-06-01" */
static void summary(cli_app_t *app, const Riskline__V1__Risk *r, const char *what)
{
    char lv[32];
    cli_out_text(app->out, r->id, 0);
    fprintf(app->out, " %s: version %" PRIu64, what, r->version);
    if (strcmp(what, "archived") != 0) {
        fprintf(app->out, ", inherent %" PRIu32 " (%s)", r->inherent_score,
                cli_enum_text(&riskline__v1__level__descriptor, (int)r->inherent_level, "unrated", lv, sizeof lv));
        if (r->residual_score)
            fprintf(app->out, ", residual %" PRIu32 " (%s)", r->residual_score,
                    cli_enum_text(&riskline__v1__level__descriptor, (int)r->residual_level, "unrated", lv,
                                  sizeof lv));
        if (r->next_review && r->next_review[0]) {
            fputs(", next review ", app->out);
            cli_out_text(app->out, r->next_review, 0);
        }
    }
    fputc('\n', app->out);
}

/* Prints a RiskResult reply as JSON or as a summary line. */
static int print_result(cli_app_t *app, const rl_envelope_t *reply, const char *what)
{
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&reply->risk_result->base));
    if (!reply->risk_result->risk)
        return cli_oom(app);
    summary(app, reply->risk_result->risk, what);
    return CLI_EXIT_OK;
}

/* risk_get: the risk, or NULL with *rc set to the exit code after printing the error. */
static const Riskline__V1__Risk *get_risk(cli_app_t *app, const char *id, int *rc)
{
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    Riskline__V1__RiskGet *g = rl_arena_alloc(app->arena, sizeof *g);
    if (!req || !g) {
        *rc = cli_oom(app);
        return NULL;
    }
    riskline__v1__risk_get__init(g);
    g->id = (char *)id;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_GET;
    req->risk_get = g;
    if ((*rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_RISK_RESULT, &reply)) != CLI_EXIT_OK)
        return NULL;
    if (!reply || !reply->risk_result || !reply->risk_result->risk) {
        rl_error_t err;
        rl_error_set(&err, RL_ERR_MALFORMED, "risk", "the service replied without a risk");
        *rc = cli_fail(app, &err);
        return NULL;
    }
    return reply->risk_result->risk;
}

/* --- commands --- */

static int cmd_add(cli_app_t *app, const cli_args_t *a)
{
    static const char *const required[] = {"title", "owner", "likelihood", "impact"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!cli_args_get(a, required[i]))
            return cli_usage(app, "", "missing required option --%s", required[i]);
    Riskline__V1__Risk *r = rl_arena_alloc(app->arena, sizeof *r);
    Riskline__V1__RiskCreate *c = rl_arena_alloc(app->arena, sizeof *c);
    mask_t *m = rl_arena_alloc(app->arena, sizeof *m);
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    if (!r || !c || !m || !req)
        return cli_oom(app);
    riskline__v1__risk__init(r);
    riskline__v1__risk_create__init(c);
    int halves[NPAIRS] = {0};
    int rc = fill_risk(app, a, r, m, halves, 0);
    if (rc != CLI_EXIT_OK)
        return rc;
    c->risk = r;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_CREATE;
    req->risk_create = c;
    rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_RISK_RESULT, &reply);
    return rc != CLI_EXIT_OK ? rc : print_result(app, reply, "created");
}

static int cmd_update(cli_app_t *app, const cli_args_t *a)
{
    rl_error_t err;
    rl_error_clear(&err);
    Riskline__V1__Risk *patch = rl_arena_alloc(app->arena, sizeof *patch);
    Riskline__V1__RiskUpdate *u = rl_arena_alloc(app->arena, sizeof *u);
    mask_t *m = rl_arena_alloc(app->arena, sizeof *m);
    if (!patch || !u || !m)
        return cli_oom(app);
    riskline__v1__risk__init(patch);
    riskline__v1__risk_update__init(u);
    int halves[NPAIRS] = {0};
    int rc = fill_risk(app, a, patch, m, halves, 1);
    if (rc != CLI_EXIT_OK)
        return rc;
    uint64_t version = 0;
    int has_version = cli_args_u64(a, "version", &version, &err);
    if (has_version < 0)
        return cli_usage_fail(app, &err);
    if (m->n == 0)
        return cli_usage(app, "", "nothing to update: give at least one field option (e.g. --status)");

    int partial = 0;
    for (int p = 0; p < NPAIRS; p++)
        if (halves[p] && halves[p] != (HALF_L | HALF_I))
            partial = 1;
    const char *id = risk_id_arg(a);
    if (!has_version || partial) {
        const Riskline__V1__Risk *cur = get_risk(app, id, &rc);
        if (!cur)
            return rc;
        if (!has_version)
            version = cur->version;
        for (int p = 0; p < NPAIRS; p++) {
            if (!halves[p] || halves[p] == (HALF_L | HALF_I))
                continue;
            const Riskline__V1__Rating *old = *pair_field((Riskline__V1__Risk *)cur, p);
            Riskline__V1__Rating *nw = *pair_field(patch, p);
            if (!old || (old->likelihood == 0 && old->impact == 0)) {
                char missing[32];
                snprintf(missing, sizeof missing, "--%s", halves[p] & HALF_L ? pairs[p].i_opt : pairs[p].l_opt);
                return cli_usage(app, missing, "required too: %s has no %s rating to keep a value from", id,
                                 pairs[p].mask);
            }
            if (!(halves[p] & HALF_L))
                nw->likelihood = old ? old->likelihood : 0;
            if (!(halves[p] & HALF_I))
                nw->impact = old ? old->impact : 0;
        }
    }
    u->id = (char *)id;
    u->expected_version = version;
    u->patch = patch;
    u->update_mask = m->names;
    u->n_update_mask = m->n;
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    if (!req)
        return cli_oom(app);
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_UPDATE;
    req->risk_update = u;
    rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_RISK_RESULT, &reply);
    return rc != CLI_EXIT_OK ? rc : print_result(app, reply, "updated");
}

static int cmd_show(cli_app_t *app, const cli_args_t *a)
{
    const Riskline__V1__Risk *r = NULL;
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    Riskline__V1__RiskGet *g = rl_arena_alloc(app->arena, sizeof *g);
    if (!req || !g)
        return cli_oom(app);
    riskline__v1__risk_get__init(g);
    g->id = (char *)risk_id_arg(a);
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_GET;
    req->risk_get = g;
    int rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_RISK_RESULT, &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&reply->risk_result->base));
    if (!(r = reply->risk_result->risk))
        return cli_oom(app);
    cli_output_risk(app, r);
    return CLI_EXIT_OK;
}

static int cmd_archive(cli_app_t *app, const cli_args_t *a)
{
    rl_error_t err;
    rl_error_clear(&err);
    uint64_t version = 0;
    int has_version = cli_args_u64(a, "version", &version, &err);
    if (has_version < 0)
        return cli_usage_fail(app, &err);
    const char *id = risk_id_arg(a);
    int rc;
    if (!has_version) {
        const Riskline__V1__Risk *cur = get_risk(app, id, &rc);
        if (!cur)
            return rc;
        version = cur->version;
    }
    Riskline__V1__RiskArchive *ar = rl_arena_alloc(app->arena, sizeof *ar);
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    if (!ar || !req)
        return cli_oom(app);
    riskline__v1__risk_archive__init(ar);
    ar->id = (char *)id;
    ar->expected_version = version;
    const char *reason = cli_args_get(a, "reason");
    if (reason)
        ar->reason = (char *)reason;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_ARCHIVE;
    req->risk_archive = ar;
    rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_RISK_RESULT, &reply);
    return rc != CLI_EXIT_OK ? rc : print_result(app, reply, "archived");
}

static int cmd_history(cli_app_t *app, const cli_args_t *a)
{
    rl_error_t err;
    rl_error_clear(&err);
    Riskline__V1__RiskHistory *h = rl_arena_alloc(app->arena, sizeof *h);
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    if (!h || !req)
        return cli_oom(app);
    riskline__v1__risk_history__init(h);
    h->id = (char *)risk_id_arg(a);
    if (cli_args_u32(a, "limit", &h->limit, &err) < 0)
        return cli_usage_fail(app, &err);
    const char *cursor = cli_args_get(a, "cursor");
    if (cursor)
        h->cursor = (char *)cursor;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_HISTORY;
    req->risk_history = h;
    int rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_HISTORY_PAGE, &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&reply->history_page->base));
    cli_output_history(app, reply->history_page);
    return CLI_EXIT_OK;
}

int cli_risk_list_filters(cli_app_t *app, const cli_args_t *a, Riskline__V1__RiskList *l)
{
    rl_error_t err;
    rl_error_clear(&err);
    const char *v;
    if ((v = cli_args_get(a, "owner")))
        l->owner = (char *)v;
    if ((v = cli_args_get(a, "category")))
        l->category = (char *)v;
    if ((v = cli_args_get(a, "level"))) {
        int lv = parse_enum(&riskline__v1__level__descriptor, "--level", v, "low, medium, high or critical", &err);
        if (lv < 0)
            return cli_usage_fail(app, &err);
        l->level = (Riskline__V1__Level)lv;
    }
    if ((v = cli_args_get(a, "status"))) {
        int s = parse_enum(&riskline__v1__risk_status__descriptor, "--status", v,
                           "identified, assessed, treatment_planned, in_treatment, treated, accepted or closed",
                           &err);
        if (s < 0)
            return cli_usage_fail(app, &err);
        l->status = (Riskline__V1__RiskStatus)s;
    }
    if ((v = cli_args_get(a, "review-before"))) {
        if (cli_parse_date("--review-before", v, &err) != 0)
            return cli_usage_fail(app, &err);
        l->review_before = (char *)v;
    }
    if ((v = cli_args_get(a, "sort"))) {
        int s = rl_json_enum_value(&riskline__v1__risk_sort__descriptor, v);
        if (s < 0)
            return cli_usage(app, "--sort", "expected id, score or review, got '%.100s'", v);
        l->sort = (Riskline__V1__RiskSort)s;
    }
    if (cli_args_u32(a, "limit", &l->limit, &err) < 0)
        return cli_usage_fail(app, &err);
    if ((v = cli_args_get(a, "cursor")))
        l->cursor = (char *)v;
    l->archived = cli_args_get(a, "archived") != NULL;
    return CLI_EXIT_OK;
}

static int cmd_list(cli_app_t *app, const cli_args_t *a)
{
    Riskline__V1__RiskList *l = rl_arena_alloc(app->arena, sizeof *l);
    if (!l)
        return cli_oom(app);
    riskline__v1__risk_list__init(l);
    int rc = cli_risk_list_filters(app, a, l);
    if (rc != CLI_EXIT_OK)
        return rc;
    int all = cli_args_get(a, "all") != NULL;

    Riskline__V1__Risk **risks = NULL;
    size_t n = 0, cap = 0;
    const char *next = "";
    for (;;) {
        rl_envelope_t *req = cli_request(app), *reply = NULL;
        if (!req)
            return cli_oom(app);
        req->body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_LIST;
        req->risk_list = l;
        if ((rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_RISK_PAGE, &reply)) != CLI_EXIT_OK)
            return rc;
        const Riskline__V1__RiskPage *page = reply->risk_page;
        if (!all) {
            if (app->json)
                return cli_print_json(app, rl_json_from_message(&page->base));
            return cli_output_risk_table(app, page->risks, page->n_risks, page->next_cursor);
        }
        if (n + page->n_risks > cap) {  /* grow in the arena: the old block is simply left behind */
            size_t ncap = (cap ? cap * 2 : 64) + page->n_risks;
            Riskline__V1__Risk **grown = rl_arena_alloc(app->arena, ncap * sizeof *grown);
            if (!grown)
                return cli_oom(app);
            if (n)
                memcpy(grown, risks, n * sizeof *grown);
            risks = grown;
            cap = ncap;
        }
        for (size_t i = 0; i < page->n_risks; i++)
            risks[n++] = page->risks[i];
        next = page->next_cursor ? page->next_cursor : "";
        if (!next[0])
            break;
        if (l->cursor && strcmp(l->cursor, next) == 0) {
            rl_error_t err;
            rl_error_set(&err, RL_ERR_INTERNAL, "next_cursor", "the service returned the same cursor twice");
            return cli_fail(app, &err);
        }
        l->cursor = (char *)next;
    }
    if (!app->json)
        return cli_output_risk_table(app, risks, n, "");
    cJSON *obj = cJSON_CreateObject();
    cJSON *arr = obj ? cJSON_AddArrayToObject(obj, "risks") : NULL;
    if (!arr) {
        cJSON_Delete(obj);
        return cli_oom(app);
    }
    for (size_t i = 0; i < n; i++) {
        cJSON *item = rl_json_from_message(&risks[i]->base);
        if (!item) {
            cJSON_Delete(obj);
            return cli_oom(app);
        }
        cJSON_AddItemToArray(arr, item);
    }
    return cli_print_json(app, obj);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const cli_cmd_t commands[] = {
    {"risk", "add", add_opts, N(add_opts), 0, 0, NULL, add_usage, cmd_add, NULL},
    {"risk", "list", list_opts, N(list_opts), 0, 0, NULL, list_usage, cmd_list, NULL},
    {"risk", "show", NULL, 0, 1, 1, "ID", show_usage, cmd_show, NULL},
    {"risk", "update", update_opts, N(update_opts), 1, 1, "ID", update_usage, cmd_update, NULL},
    {"risk", "archive", archive_opts, N(archive_opts), 1, 1, "ID", archive_usage, cmd_archive, NULL},
    {"risk", "history", history_opts, N(history_opts), 1, 1, "ID", history_usage, cmd_history, NULL},
};

const cli_cmd_t *cli_risk_commands(size_t *n)
{
    *n = N(commands);
    return commands;
}
