/* plan.c: treatment plan domain rules (validation, workflow, duties, milestones, budget, approvals,
 * acceptance); pure functions over the protobuf structs, no I/O. */
#include "plan.h"
#include "rl_check.h"
#include "rl_ids.h"
#include "rl_json.h"
#include "rl_limits.h"
#include "rl_time.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ST(x) RISKLINE__V1__PLAN_STATE__PLAN_STATE_##x
#define AC(x) RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_##x
#define MS(x) RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_##x
#define IS(x) RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_##x
#define TR(x) RISKLINE__V1__TREATMENT__TREATMENT_##x

typedef Riskline__V1__Resources resources_t;
typedef Riskline__V1__Money money_t;
typedef Riskline__V1__Rating rating_t;

void plan_policy_defaults(plan_policy_t *p)
{
    p->reapproval_budget_pct = 10;
    p->max_acceptance_days = 365;
}

static const char *str(const char *s)
{
    return s ? s : "";
}

static int same(const char *a, const char *b)
{
    return strcmp(str(a), str(b)) == 0;
}

static rl_err_t oom(rl_error_t *err)
{
    return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
}

/* A bounded text builder for messages (truncates, never overflows). */
typedef struct {
    char buf[512];
    size_t len;
} text_t;

static void text_add(text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(text_t *t, const char *fmt, ...)
{
    if (t->len >= sizeof t->buf - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len = (size_t)n < sizeof t->buf - t->len ? t->len + (size_t)n : sizeof t->buf - 1;
}

/* --- validation -------------------------------------------------------------------------------- */

/* Empty is fine unless required; *day_out is set when a date is present. */
static rl_err_t check_date(const char *s, int required, const char *field, int64_t *day_out, int *present,
                           rl_error_t *err)
{
    *present = 0;
    if (!s || !s[0])
        return required ? rl_error_set(err, RL_ERR_INVALID, field, "is required (YYYY-MM-DD)") : RL_OK;
    if (rl_date_parse(s, day_out) != 0)
        return rl_error_set(err, RL_ERR_INVALID, field, "must be a date YYYY-MM-DD");
    *present = 1;
    return RL_OK;
}

static int currency_valid(const char *s)
{
    if (!s || strlen(s) != 3)
        return 0;
    for (int i = 0; i < 3; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return 0;
    return 1;
}

static int has_currency(const money_t *b)
{
    return b && b->currency && b->currency[0];
}

static rl_err_t check_list_size(size_t n, size_t max, const char *field, rl_error_t *err)
{
    if (n > max)
        return rl_error_set(err, RL_ERR_INVALID, field, "has %zu entries, over the limit of %zu", n, max);
    return RL_OK;
}

static rl_err_t validate_controls(const plan_t *p, rl_error_t *err)
{
    rl_err_t rc;
    char field[64];
    if ((rc = check_list_size(p->n_controls, RL_MAX_PLAN_CONTROLS, "plan.controls", err)))
        return rc;
    for (size_t i = 0; i < p->n_controls; i++) {
        const Riskline__V1__PlanControl *pc = p->controls[i];
        snprintf(field, sizeof field, "plan.controls[%zu].control_id", i);
        if ((rc = rl_check_text(pc->control_id, 1, RL_MAX_ENTITY_ID, 0, field, err)))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (same(p->controls[j]->control_id, pc->control_id))
                return rl_error_set(err, RL_ERR_INVALID, field, "duplicates plan.controls[%zu]", j);
        if (pc->status < IS(NOT_STARTED) || pc->status > IS(IMPLEMENTED)) {
            snprintf(field, sizeof field, "plan.controls[%zu].status", i);
            return rl_error_set(err, RL_ERR_INVALID, field,
                                "must be not_started, in_progress or implemented, got %d", (int)pc->status);
        }
        snprintf(field, sizeof field, "plan.controls[%zu].notes", i);
        if ((rc = rl_check_text(pc->notes, 0, RL_MAX_TEXT, 1, field, err)))
            return rc;
    }
    return RL_OK;
}

static rl_err_t validate_resources(const resources_t *r, rl_error_t *err)
{
    rl_err_t rc;
    char field[64];
    if (!r)
        return RL_OK;
    const money_t *b = r->budget;
    if (b) {
        if (b->amount_minor < 0)
            return rl_error_set(err, RL_ERR_INVALID, "plan.resources.budget.amount_minor",
                                "must be 0 or more (minor units), got %lld", (long long)b->amount_minor);
        if ((b->amount_minor > 0 || has_currency(b)) && !currency_valid(b->currency))
            return rl_error_set(err, RL_ERR_INVALID, "plan.resources.budget.currency",
                                "must be an ISO 4217 code of 3 upper-case letters (EUR)%s",
                                has_currency(b) ? "" : " when an amount is set");
    }
    if ((rc = check_list_size(r->n_personnel, RL_MAX_PERSONNEL, "plan.resources.personnel", err)))
        return rc;
    for (size_t i = 0; i < r->n_personnel; i++) {
        snprintf(field, sizeof field, "plan.resources.personnel[%zu].person", i);
        if ((rc = rl_check_text(r->personnel[i]->person, 1, RL_MAX_NAME, 0, field, err)))
            return rc;
        snprintf(field, sizeof field, "plan.resources.personnel[%zu].role", i);
        if ((rc = rl_check_text(r->personnel[i]->role, 0, RL_MAX_NAME, 0, field, err)))
            return rc;
    }
    if ((rc = check_list_size(r->n_tools, RL_MAX_TOOLS, "plan.resources.tools", err)))
        return rc;
    for (size_t i = 0; i < r->n_tools; i++) {
        snprintf(field, sizeof field, "plan.resources.tools[%zu]", i);
        if ((rc = rl_check_text(r->tools[i], 1, RL_MAX_NAME, 0, field, err)))
            return rc;
    }
    return RL_OK;
}

rl_err_t plan_validate(const plan_t *p, const plan_criteria_t *c, rl_error_t *err)
{
    rl_err_t rc;
    uint64_t n;
    if (!p->risk_id || !p->risk_id[0])
        return rl_error_set(err, RL_ERR_INVALID, "plan.risk_id", "is required");
    if (rl_entity_id_parse("R", p->risk_id, &n) != 0)
        return rl_error_set(err, RL_ERR_INVALID, "plan.risk_id", "must be a risk id R-<n>");
    if ((rc = rl_check_text(p->title, 1, RL_MAX_TITLE, 0, "plan.title", err)))
        return rc;
    if (p->option == TR(UNSPECIFIED))
        return rl_error_set(err, RL_ERR_INVALID, "plan.option",
                            "is required: avoid, reduce (modify), transfer (share) or accept (retain)");
    if (p->option < TR(AVOID) || p->option > TR(ACCEPT))
        return rl_error_set(err, RL_ERR_INVALID, "plan.option", "unknown option %d", (int)p->option);
    if ((rc = rl_check_text(p->treatment_owner, 1, RL_MAX_NAME, 0, "plan.treatment_owner", err)) ||
        (rc = rl_check_text(p->approver, 1, RL_MAX_NAME, 0, "plan.approver", err)))
        return rc;
    if (same(p->approver, p->treatment_owner))
        return rl_error_set(err, RL_ERR_INVALID, "plan.approver",
                            "must not be the treatment owner (segregation of duties)");
    if ((rc = rl_check_text(p->rationale, 0, RL_MAX_DESCRIPTION, 1, "plan.rationale", err)) ||
        (rc = rl_check_text(p->transfer_party, 0, RL_MAX_TITLE, 0, "plan.transfer_party", err)) ||
        (rc = rl_check_text(p->transfer_reference, 0, RL_MAX_TITLE, 0, "plan.transfer_reference", err)))
        return rc;
    if (p->option == TR(TRANSFER) && !str(p->transfer_party)[0])
        return rl_error_set(err, RL_ERR_INVALID, "plan.transfer_party",
                            "is required for option transfer (the party that takes the risk on)");
    int64_t start = 0, target = 0;
    int has_start, has_target;
    if ((rc = check_date(p->start_date, 0, "plan.start_date", &start, &has_start, err)) ||
        (rc = check_date(p->target_date, 0, "plan.target_date", &target, &has_target, err)))
        return rc;
    if (has_start && has_target && target < start)
        return rl_error_set(err, RL_ERR_INVALID, "plan.target_date", "must not be before the start date %s",
                            p->start_date);
    if ((rc = rl_check_rating(p->expected_residual, 0, c, "plan.expected_residual", err)) ||
        (rc = validate_controls(p, err)))
        return rc;
    return validate_resources(p->resources, err);
}

/* --- patches ----------------------------------------------------------------------------------- */

static rating_t *copy_rating(const rating_t *r, rl_arena_t *a)
{
    if (!r)
        return NULL;
    rating_t *c = rl_arena_alloc(a, sizeof *c);
    if (c) {
        riskline__v1__rating__init(c);
        c->likelihood = r->likelihood;
        c->impact = r->impact;
    }
    return c;
}

static money_t *copy_money(const money_t *m, rl_arena_t *a)
{
    if (!m)
        return NULL;
    money_t *c = rl_arena_alloc(a, sizeof *c);
    if (c) {
        riskline__v1__money__init(c);
        c->amount_minor = m->amount_minor;
        c->currency = rl_arena_strdup(a, m->currency);
    }
    return c;
}

/* A new array of n pointers, or NULL when n is 0 or memory ran out (*ok tells). */
static void *new_array(rl_arena_t *a, size_t n, size_t elem, int *ok)
{
    if (n == 0)
        return NULL;
    void *p = rl_arena_alloc(a, n * elem);
    if (!p)
        *ok = 0;
    return p;
}

static int copy_strings(char ***dst, size_t *ndst, char *const *src, size_t n, rl_arena_t *a)
{
    int ok = 1;
    char **list = new_array(a, n, sizeof *list, &ok);
    for (size_t i = 0; ok && i < n; i++)
        ok = (list[i] = rl_arena_strdup(a, src[i])) != NULL;
    *dst = list;
    *ndst = ok ? n : 0;
    return ok;
}

static int copy_controls(plan_t *dst, const plan_t *p, rl_arena_t *a)
{
    int ok = 1;
    Riskline__V1__PlanControl **list = new_array(a, p->n_controls, sizeof *list, &ok);
    for (size_t i = 0; ok && i < p->n_controls; i++) {
        Riskline__V1__PlanControl *c = rl_arena_alloc(a, sizeof *c);
        if (!(ok = c != NULL))
            break;
        riskline__v1__plan_control__init(c);
        c->control_id = rl_arena_strdup(a, p->controls[i]->control_id);
        c->status = p->controls[i]->status;
        c->notes = rl_arena_strdup(a, p->controls[i]->notes);
        list[i] = c;
    }
    dst->controls = list;
    dst->n_controls = ok ? p->n_controls : 0;
    return ok;
}

static int copy_personnel(resources_t *dst, const resources_t *src, rl_arena_t *a)
{
    int ok = 1;
    size_t n = src ? src->n_personnel : 0;
    Riskline__V1__Personnel **list = new_array(a, n, sizeof *list, &ok);
    for (size_t i = 0; ok && i < n; i++) {
        Riskline__V1__Personnel *c = rl_arena_alloc(a, sizeof *c);
        if (!(ok = c != NULL))
            break;
        riskline__v1__personnel__init(c);
        c->person = rl_arena_strdup(a, src->personnel[i]->person);
        c->role = rl_arena_strdup(a, src->personnel[i]->role);
        c->planned_hours = src->personnel[i]->planned_hours;
        c->actual_hours = src->personnel[i]->actual_hours;
        list[i] = c;
    }
    dst->personnel = list;
    dst->n_personnel = ok ? n : 0;
    return ok;
}

/* A fresh copy of dst->resources (its costs shared) that this patch may change. */
static resources_t *own_resources(plan_t *dst, int *owned, rl_arena_t *a)
{
    if (*owned)
        return dst->resources;
    resources_t *r = rl_arena_alloc(a, sizeof *r);
    if (!r)
        return NULL;
    if (dst->resources)
        *r = *dst->resources;
    else
        riskline__v1__resources__init(r);
    r->base.unknown_fields = NULL;
    r->base.n_unknown_fields = 0;
    dst->resources = r;
    *owned = 1;
    return r;
}

/* Recorded costs are in the budget's currency: it stays, and the budget does not go. */
static rl_err_t check_budget_change(const resources_t *r, const money_t *next, rl_error_t *err)
{
    if (!r || r->n_costs == 0 || !has_currency(r->budget))
        return RL_OK;
    if (!has_currency(next))
        return rl_error_set(err, RL_ERR_INVALID, "plan.resources.budget",
                            "costs are recorded in %.3s: the budget may change but not go", r->budget->currency);
    if (!same(next->currency, r->budget->currency))
        return rl_error_set(err, RL_ERR_INVALID, "plan.resources.budget.currency",
                            "costs are recorded in %.3s: the budget currency cannot change (currency mismatch)",
                            r->budget->currency);
    return RL_OK;
}

static const struct {
    const char *name;
    const char *why;
} fixed_fields[] = {
    {"id", "is computed"},
    {"risk_id", "is fixed: a plan stays with its risk"},
    {"state", "changes by transitions only"},
    {"held_from", "changes by transitions only"},
    {"approval", "changes by transitions only"},
    {"verification", "changes by transitions only"},
    {"acceptance", "changes by transitions only"},
    {"milestones", "change by the milestone requests only"},
    {"next_milestone", "is computed"},
    {"progress_pct", "is computed"},
    {"version", "is computed"},
    {"created_at_ms", "is computed"},
    {"created_by", "is computed"},
    {"updated_at_ms", "is computed"},
    {"updated_by", "is computed"},
    {"resources.costs", "are added by plan cost add only"},
    {"resources.spent_minor", "is computed (the sum of the costs)"},
    {"resources.over_budget", "is computed (spent > budget)"},
};

rl_err_t plan_apply_patch(plan_t *dst, const plan_t *p, char *const *mask, size_t nmask, rl_arena_t *a,
                          rl_error_t *err)
{
    rl_err_t rc;
    if (nmask == 0)
        return rl_error_set(err, RL_ERR_INVALID, "update_mask", "names no field to change");
    if (nmask > RL_MAX_UPDATE_MASK)
        return rl_error_set(err, RL_ERR_INVALID, "update_mask", "has %zu entries, over the limit of %d", nmask,
                            RL_MAX_UPDATE_MASK);
    const resources_t *pr = p->resources;
    int owned = 0, ok = 1;
    for (size_t i = 0; i < nmask; i++) {
        const char *f = str(mask[i]);
        for (size_t k = 0; k < sizeof fixed_fields / sizeof fixed_fields[0]; k++)
            if (strcmp(f, fixed_fields[k].name) == 0)
                return rl_error_set(err, RL_ERR_INVALID, "update_mask", "entry %zu: %s %s", i,
                                    fixed_fields[k].name, fixed_fields[k].why);
#define STR(name) else if (strcmp(f, #name) == 0) ok = (dst->name = rl_arena_strdup(a, p->name)) != NULL
        if (0) {
        }
        STR(title); STR(rationale); STR(treatment_owner); STR(approver); STR(start_date); STR(target_date);
        STR(transfer_party); STR(transfer_reference);
#undef STR
        else if (strcmp(f, "option") == 0)
            dst->option = p->option;
        else if (strcmp(f, "expected_residual") == 0)
            ok = (dst->expected_residual = copy_rating(p->expected_residual, a)) != NULL || !p->expected_residual;
        else if (strcmp(f, "controls") == 0)
            ok = copy_controls(dst, p, a);
        else if (strcmp(f, "resources") == 0 || strcmp(f, "resources.budget") == 0) {
            const money_t *next = pr ? pr->budget : NULL;
            if ((rc = check_budget_change(dst->resources, next, err)))
                return rc;
            resources_t *r = own_resources(dst, &owned, a);
            if (!r)
                return oom(err);
            ok = (r->budget = copy_money(next, a)) != NULL || !next;
            if (ok && f[9] == '\0') { /* the whole of "resources" */
                ok = copy_personnel(r, pr, a) &&
                     copy_strings(&r->tools, &r->n_tools, pr ? pr->tools : NULL, pr ? pr->n_tools : 0, a);
                r->effort_days = pr ? pr->effort_days : 0;
            }
        } else if (strcmp(f, "resources.personnel") == 0 || strcmp(f, "resources.tools") == 0 ||
                   strcmp(f, "resources.effort_days") == 0) {
            resources_t *r = own_resources(dst, &owned, a);
            if (!r)
                return oom(err);
            if (f[10] == 'p')
                ok = copy_personnel(r, pr, a);
            else if (f[10] == 't')
                ok = copy_strings(&r->tools, &r->n_tools, pr ? pr->tools : NULL, pr ? pr->n_tools : 0, a);
            else
                r->effort_days = pr ? pr->effort_days : 0;
        } else {
            /* the name is not echoed: it is client bytes of unknown content */
            return rl_error_set(err, RL_ERR_INVALID, "update_mask",
                                "entry %zu does not name a field that can be changed", i);
        }
        if (!ok)
            return oom(err);
    }
    return RL_OK;
}

/* --- derived fields ---------------------------------------------------------------------------- */

static int settled(const plan_milestone_t *m)
{
    return m->status == MS(DONE) || m->status == MS(WAIVED);
}

/* The sum of the costs, or -1 when it would pass INT64_MAX (or a stored cost is negative). */
static int64_t costs_sum(const resources_t *r)
{
    int64_t sum = 0;
    for (size_t i = 0; r && i < r->n_costs; i++) {
        int64_t v = r->costs[i]->amount_minor;
        if (v < 0 || v > INT64_MAX - sum)
            return -1;
        sum += v;
    }
    return sum;
}

void plan_derive(plan_t *p)
{
    size_t done = 0;
    for (size_t i = 0; i < p->n_milestones; i++)
        done += settled(p->milestones[i]);
    p->progress_pct = p->n_milestones ? (uint32_t)(done * 100 / p->n_milestones) : 0;
    resources_t *r = p->resources;
    if (!r)
        return;
    int64_t sum = costs_sum(r);
    r->spent_minor = sum < 0 ? INT64_MAX : sum; /* only stored data out of bounds saturates */
    r->over_budget = has_currency(r->budget) && r->spent_minor > r->budget->amount_minor;
}

/* --- workflow ---------------------------------------------------------------------------------- */

static const char *const state_names[] = {"unspecified", "draft",       "submitted", "approved", "in_progress",
                                          "implemented", "verified",    "closed",    "on_hold",  "cancelled"};
static const char *const action_names[] = {"unspecified", "submit", "approve", "reject", "start", "implement",
                                           "verify",      "close",  "hold",    "resume", "cancel"};
#define N_STATES (sizeof state_names / sizeof state_names[0])
#define N_ACTIONS (sizeof action_names / sizeof action_names[0])

int plan_state_open(plan_state_t s)
{
    return (s >= ST(DRAFT) && s <= ST(VERIFIED)) || s == ST(ON_HOLD);
}

const char *plan_state_name(plan_state_t s)
{
    return (unsigned)s < N_STATES ? state_names[s] : "unknown";
}

const char *plan_action_name(plan_action_t a)
{
    return (unsigned)a < N_ACTIONS ? action_names[a] : "unknown";
}

int plan_state_parse(const char *s)
{
    int v = rl_json_enum_value(&riskline__v1__plan_state__descriptor, s);
    return v > 0 ? v : -1;
}

int plan_action_parse(const char *s)
{
    int v = rl_json_enum_value(&riskline__v1__plan_action__descriptor, s);
    return v > 0 ? v : -1;
}

/* The one state an action leaves from; UNSPECIFIED for hold and cancel (open states). */
static plan_state_t action_from(plan_action_t a)
{
    switch (a) {
    case AC(SUBMIT): return ST(DRAFT);
    case AC(APPROVE):
    case AC(REJECT): return ST(SUBMITTED);
    case AC(START): return ST(APPROVED);
    case AC(IMPLEMENT): return ST(IN_PROGRESS);
    case AC(VERIFY): return ST(IMPLEMENTED);
    case AC(CLOSE): return ST(VERIFIED);
    case AC(RESUME): return ST(ON_HOLD);
    default: return ST(UNSPECIFIED);
    }
}

static int action_allowed(plan_state_t s, plan_action_t a)
{
    if (a == AC(HOLD))
        return plan_state_open(s) && s != ST(ON_HOLD);
    if (a == AC(CANCEL))
        return plan_state_open(s);
    return a > AC(UNSPECIFIED) && a <= AC(CANCEL) && action_from(a) == s;
}

char *plan_allowed_actions(plan_state_t s, char *buf, size_t size)
{
    size_t len = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (size_t a = 1; a < N_ACTIONS; a++) {
        if (!action_allowed(s, (plan_action_t)a))
            continue;
        int n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", action_names[a]);
        if (n < 0 || (size_t)n >= size - len) {
            buf[len] = '\0'; /* whole names only */
            break;
        }
        len += (size_t)n;
    }
    if (len == 0)
        snprintf(buf, size, "none");
    return buf;
}

static const char *action_needs(plan_action_t a)
{
    if (a == AC(HOLD))
        return "an open state other than on_hold";
    if (a == AC(CANCEL))
        return "an open state";
    return plan_state_name(action_from(a));
}

typedef struct {
    int owner;    /* who is the treatment owner */
    int approver; /* who is the named approver and holds the approver role */
    int named;    /* who is the named approver */
    int admin;
} actor_t;

static actor_t actor_of(const plan_t *p, const rl_principal_t *who)
{
    actor_t r;
    r.owner = who->name[0] && same(who->name, p->treatment_owner);
    r.named = who->name[0] && same(who->name, p->approver);
    r.approver = r.named && (who->roles & RL_ROLE_APPROVER);
    r.admin = (who->roles & RL_ROLE_ADMIN) != 0;
    return r;
}

static rl_err_t check_actor(const plan_t *p, plan_action_t a, const rl_principal_t *who, rl_error_t *err)
{
    actor_t r = actor_of(p, who);
    const char *an = plan_action_name(a), *id = str(p->id);
    switch (a) {
    case AC(SUBMIT):
    case AC(START):
    case AC(IMPLEMENT):
        if (r.owner || r.admin)
            return RL_OK;
        return rl_error_set(err, RL_ERR_FORBIDDEN, "action",
                            "%s of plan %.32s is for its treatment owner (%.64s) or an admin; %.64s is neither", an,
                            id, str(p->treatment_owner), who->name);
    case AC(APPROVE):
    case AC(REJECT):
    case AC(VERIFY):
        if (r.owner)
            return rl_error_set(err, RL_ERR_FORBIDDEN, "action",
                                "%.64s is the treatment owner of plan %.32s and may not %s it (segregation of "
                                "duties); its approver %.64s does",
                                who->name, id, an, str(p->approver));
        if (r.approver || r.admin)
            return RL_OK;
        if (r.named)
            return rl_error_set(err, RL_ERR_FORBIDDEN, "action",
                                "%.64s is the approver named on plan %.32s but does not hold the approver role to %s it",
                                who->name, id, an);
        return rl_error_set(err, RL_ERR_FORBIDDEN, "action",
                            "%s of plan %.32s is for its approver (%.64s) or an admin; %.64s is neither", an, id,
                            str(p->approver), who->name);
    default: /* close, hold, resume, cancel */
        if (r.owner || r.named || r.admin)
            return RL_OK;
        return rl_error_set(err, RL_ERR_FORBIDDEN, "action",
                            "%s of plan %.32s is for its treatment owner (%.64s), its approver (%.64s) or an admin; "
                            "%.64s is none of them",
                            an, id, str(p->treatment_owner), str(p->approver), who->name);
    }
}

/* Close: the waive list names unsettled milestones of the plan, with a reason, and leaves none
 * unsettled. Nothing is changed here. */
static rl_err_t check_close(const plan_t *p, const plan_transition_t *t, rl_error_t *err)
{
    rl_err_t rc;
    if (t->nwaive > RL_MAX_WAIVE)
        return rl_error_set(err, RL_ERR_INVALID, "waive", "has %zu entries, over the limit of %d", t->nwaive,
                            RL_MAX_WAIVE);
    for (size_t i = 0; i < t->nwaive; i++) {
        const plan_milestone_t *m = plan_milestone_find(p, t->waive[i]);
        if (!m)
            return rl_error_set(err, RL_ERR_INVALID, "waive", "entry %zu names no milestone of plan %.32s", i,
                                str(p->id));
        if (m->status == MS(DONE))
            return rl_error_set(err, RL_ERR_INVALID, "waive", "%.32s is done; only unsettled milestones are waived",
                                str(m->id));
    }
    if (t->nwaive && !str(t->waive_reason)[0])
        return rl_error_set(err, RL_ERR_INVALID, "waive_reason", "a reason is required to waive milestones");
    if ((rc = rl_check_text(t->waive_reason, 0, RL_MAX_TEXT, 1, "waive_reason", err)))
        return rc;
    text_t open = {.len = 0};
    size_t nopen = 0;
    for (size_t i = 0; i < p->n_milestones; i++) {
        const plan_milestone_t *m = p->milestones[i];
        int waived = 0;
        for (size_t k = 0; !waived && k < t->nwaive; k++)
            waived = same(t->waive[k], m->id);
        if (settled(m) || waived)
            continue;
        text_add(&open, "%s%.32s (%s)", nopen++ ? ", " : "", str(m->id),
                 rl_json_enum_name(&riskline__v1__milestone_status__descriptor, m->status, (char[24]){0}, 24));
    }
    if (nopen)
        return rl_error_set(err, RL_ERR_INVALID, "waive",
                            "plan %.32s has %zu milestone(s) neither done nor waived: %.150s; finish them or waive "
                            "them with a reason",
                            str(p->id), nopen, open.buf);
    return RL_OK;
}

static rl_err_t check_inputs(const plan_t *p, const plan_transition_t *t, rl_error_t *err)
{
    rl_err_t rc;
    plan_action_t a = t->action;
    if ((rc = rl_check_text(t->comment, 0, RL_MAX_TEXT, 1, "comment", err)))
        return rc;
    int need = a == AC(REJECT) || a == AC(HOLD) || a == AC(CANCEL) || a == AC(VERIFY);
    if (need && !str(t->comment)[0])
        return rl_error_set(err, RL_ERR_INVALID, "comment", "%s",
                            a == AC(VERIFY) ? "the effectiveness result is required to verify"
                            : a == AC(REJECT) ? "a reason is required to reject"
                            : a == AC(HOLD) ? "a reason is required to hold"
                                            : "a reason is required to cancel");
    if (a != AC(CLOSE))
        return t->nwaive ? rl_error_set(err, RL_ERR_INVALID, "waive", "only close waives milestones") : RL_OK;
    return check_close(p, t, err);
}

rl_err_t plan_transition(plan_t *p, const plan_transition_t *t, const rl_principal_t *who, int64_t now_ms,
                         rl_arena_t *arena, rl_error_t *err)
{
    rl_err_t rc;
    plan_action_t a = t->action;
    plan_state_t s = p->state;
    if (a <= AC(UNSPECIFIED) || a > AC(CANCEL))
        return rl_error_set(err, RL_ERR_INVALID, "action",
                            "unknown action %d: submit, approve, reject, start, implement, verify, close, hold, "
                            "resume or cancel",
                            (int)a);
    if (!action_allowed(s, a)) {
        char allowed[128];
        return rl_error_set(err, RL_ERR_CONFLICT, "state", "plan %.32s is %s; %s needs %s; allowed now: %s",
                            str(p->id), plan_state_name(s), plan_action_name(a), action_needs(a),
                            plan_allowed_actions(s, allowed, sizeof allowed));
    }
    if ((rc = check_actor(p, a, who, err)) || (rc = check_inputs(p, t, err)))
        return rc;
    if (a == AC(START) && !p->approval)
        return rl_error_set(err, RL_ERR_CONFLICT, "approval", "plan %.32s has no approval; it cannot start",
                            str(p->id));
    if (a == AC(START) && p->approval->outdated)
        return rl_error_set(err, RL_ERR_CONFLICT, "approval",
                            "the approval of plan %.32s is outdated (%.120s); it needs re-approval before it starts",
                            str(p->id), str(p->approval->outdated_reason));
    if (a == AC(RESUME) && (!plan_state_open(p->held_from) || p->held_from == ST(ON_HOLD)))
        return rl_error_set(err, RL_ERR_CONFLICT, "held_from", "plan %.32s is on hold from no state it can resume",
                            str(p->id));

    char *by = rl_arena_strdup(arena, who->name);
    char *comment = rl_arena_strdup(arena, t->comment);
    char *reason = rl_arena_strdup(arena, t->waive_reason);
    if (!by || !comment || !reason)
        return oom(err);
    switch (a) {
    case AC(SUBMIT): p->state = ST(SUBMITTED); break;
    case AC(APPROVE): {
        Riskline__V1__Approval *ap = rl_arena_alloc(arena, sizeof *ap);
        if (!ap)
            return oom(err);
        riskline__v1__approval__init(ap);
        ap->approver = by;
        ap->at_ms = now_ms;
        ap->plan_version = p->version;
        ap->comment = comment;
        p->approval = ap;
        p->state = ST(APPROVED);
        break;
    }
    case AC(REJECT): p->state = ST(DRAFT); break;
    case AC(START): p->state = ST(IN_PROGRESS); break;
    case AC(IMPLEMENT): p->state = ST(IMPLEMENTED); break;
    case AC(VERIFY): {
        Riskline__V1__Verification *v = rl_arena_alloc(arena, sizeof *v);
        if (!v)
            return oom(err);
        riskline__v1__verification__init(v);
        v->effective = t->effective != 0;
        v->result = comment;
        v->verified_by = by;
        v->at_ms = now_ms;
        p->verification = v;
        p->state = t->effective ? ST(VERIFIED) : ST(IN_PROGRESS);
        break;
    }
    case AC(CLOSE):
        for (size_t i = 0; i < t->nwaive; i++) {
            plan_milestone_t *m = plan_milestone_find(p, t->waive[i]);
            m->status = MS(WAIVED);
            m->waive_reason = reason;
        }
        p->state = ST(CLOSED);
        break;
    case AC(HOLD):
        p->held_from = s;
        p->state = ST(ON_HOLD);
        break;
    case AC(RESUME):
        p->state = p->held_from;
        p->held_from = ST(UNSPECIFIED);
        break;
    default: /* cancel */
        p->state = ST(CANCELLED);
        p->held_from = ST(UNSPECIFIED);
        break;
    }
    p->updated_at_ms = now_ms;
    p->updated_by = by;
    return RL_OK;
}

rl_err_t plan_check_editor(const plan_t *p, const rl_principal_t *who, rl_error_t *err)
{
    actor_t r = actor_of(p, who);
    if (!r.owner && !r.admin)
        return rl_error_set(err, RL_ERR_FORBIDDEN, "treatment_owner",
                            "plan %.32s is changed by its treatment owner (%.64s) or an admin; %.64s is neither",
                            str(p->id), str(p->treatment_owner), who->name);
    if (!plan_state_open(p->state))
        return rl_error_set(err, RL_ERR_CONFLICT, "state", "plan %.32s is %s: a %s plan is not changed any more",
                            str(p->id), plan_state_name(p->state), plan_state_name(p->state));
    return RL_OK;
}

/* --- approvals bound to what was approved ------------------------------------------------------ */

/* a * b as a 128-bit number (hi, lo), portable (no __int128). */
static void mul_u64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    *lo = (p00 & 0xffffffffu) | (mid << 32);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/* 1 when a * b > c * d, exactly. */
static int mul_gt(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    uint64_t h1, l1, h2, l2;
    mul_u64(a, b, &h1, &l1);
    mul_u64(c, d, &h2, &l2);
    return h1 > h2 || (h1 == h2 && l1 > l2);
}

static int64_t budget_amount(const plan_t *p)
{
    return p->resources && p->resources->budget ? p->resources->budget->amount_minor : 0;
}

static const char *budget_currency(const plan_t *p)
{
    return p->resources && p->resources->budget ? str(p->resources->budget->currency) : "";
}

static int has_control(const plan_t *p, const char *id)
{
    for (size_t i = 0; i < p->n_controls; i++)
        if (same(p->controls[i]->control_id, id))
            return 1;
    return 0;
}

/* Adds " added A.8.7, A.8.8" for the controls of `a` that `b` lacks; returns how many. */
static size_t controls_missing(text_t *t, const plan_t *a, const plan_t *b, const char *verb)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n_controls; i++)
        if (!has_control(b, a->controls[i]->control_id))
            text_add(t, "%s%.32s", n++ ? ", " : verb, str(a->controls[i]->control_id));
    return n;
}

static int rating_eq(const rating_t *a, const rating_t *b)
{
    return (a ? a->likelihood : 0) == (b ? b->likelihood : 0) && (a ? a->impact : 0) == (b ? b->impact : 0);
}

static void rating_text(text_t *t, const rating_t *r)
{
    if (r && (r->likelihood || r->impact))
        text_add(t, "%ux%u", r->likelihood, r->impact);
    else
        text_add(t, "none");
}

/* "budget up 25% (> 10%)": the share with one decimal, without a trailing ".0". */
static void budget_text(text_t *t, int64_t before, int64_t after, uint32_t pct)
{
    if (before == 0) {
        text_add(t, "budget up from 0 to %lld (> %u%%)", (long long)after, pct);
        return;
    }
    /* rounded up, so a share just above the threshold never reads as the threshold itself */
    char share[32];
    snprintf(share, sizeof share, "%.1f", ceil((double)(uint64_t)(after - before) * 1000.0 / (double)before) / 10.0);
    size_t n = strlen(share);
    if (n > 2 && strcmp(share + n - 2, ".0") == 0)
        share[n - 2] = '\0';
    text_add(t, "budget up %s%% (> %u%%): %lld -> %lld", share, pct, (long long)before, (long long)after);
}

int plan_check_material_change(const plan_t *before, plan_t *after, const plan_policy_t *policy, rl_arena_t *arena)
{
    const Riskline__V1__Approval *ap = after->approval;
    if (!ap || ap->outdated)
        return 0;
    text_t why = {.len = 0};
#define SEP() text_add(&why, "%s", why.len ? "; " : "")
    if (before->option != after->option) {
        char b[24], a[24];
        text_add(&why, "option %s -> %s", rl_json_enum_name(&riskline__v1__treatment__descriptor, before->option, b, sizeof b),
                 rl_json_enum_name(&riskline__v1__treatment__descriptor, after->option, a, sizeof a));
    }
    text_t add = {.len = 0}, del = {.len = 0};
    size_t added = controls_missing(&add, after, before, "added ");
    size_t removed = controls_missing(&del, before, after, "removed ");
    if (added || removed) {
        SEP();
        text_add(&why, "controls %s%s%s", add.buf, added && removed ? ", " : "", del.buf);
    }
    if (!same(before->target_date, after->target_date)) {
        SEP();
        text_add(&why, "target date %.10s -> %.10s", str(before->target_date)[0] ? before->target_date : "none",
                 str(after->target_date)[0] ? after->target_date : "none");
    }
    if (!rating_eq(before->expected_residual, after->expected_residual)) {
        SEP();
        text_add(&why, "expected residual ");
        rating_text(&why, before->expected_residual);
        text_add(&why, " -> ");
        rating_text(&why, after->expected_residual);
    }
    const char *cb = budget_currency(before), *ca = budget_currency(after);
    int64_t bb = budget_amount(before), ba = budget_amount(after);
    if (cb[0] && !same(cb, ca)) {
        SEP();
        text_add(&why, "budget currency %.8s -> %.8s", cb, ca[0] ? ca : "none");
    } else if (ba > bb && bb >= 0 && mul_gt((uint64_t)(ba - bb), 100, (uint64_t)bb, policy->reapproval_budget_pct)) {
        SEP();
        budget_text(&why, bb, ba, policy->reapproval_budget_pct);
    }
#undef SEP
    if (why.len == 0)
        return 0;
    Riskline__V1__Approval *out = rl_arena_alloc(arena, sizeof *out);
    char *reason = rl_arena_strdup(arena, why.buf);
    if (out) { /* a copy: `before` may share the approval */
        *out = *ap;
        after->approval = out;
    } else {
        out = after->approval;
    }
    out->outdated = 1;
    out->outdated_reason = reason ? reason : (char *)"material change";
    if (after->state == ST(APPROVED))
        after->state = ST(SUBMITTED);
    if (after->state == ST(ON_HOLD) && after->held_from == ST(APPROVED))
        after->held_from = ST(SUBMITTED);
    return 1;
}

/* --- milestones -------------------------------------------------------------------------------- */

plan_milestone_t *plan_milestone_find(const plan_t *p, const char *id)
{
    if (!id || !id[0])
        return NULL;
    for (size_t i = 0; i < p->n_milestones; i++)
        if (same(p->milestones[i]->id, id))
            return p->milestones[i];
    return NULL;
}

static int hex64(const char *s)
{
    size_t n = strlen(s);
    if (n != 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
            return 0;
    return 1;
}

/* The dependency graph of the plan's milestones with m in place of its stored version. */
typedef struct {
    const plan_milestone_t *node[RL_MAX_MILESTONES + 1];
    size_t n;
    unsigned char color[RL_MAX_MILESTONES + 1]; /* 0 unseen, 1 on the path, 2 finished */
    size_t path[RL_MAX_MILESTONES + 2];
    size_t depth;
    size_t cycle_from; /* index into path where the cycle starts */
} graph_t;

static size_t graph_find(const graph_t *g, const char *id)
{
    for (size_t i = 0; i < g->n; i++)
        if (same(g->node[i]->id, id))
            return i;
    return SIZE_MAX;
}

/* Depth-first search from v; 1 when a cycle is found (path[cycle_from..depth-1] and back). */
static int graph_cycle(graph_t *g, size_t v)
{
    g->color[v] = 1;
    g->path[g->depth++] = v;
    const plan_milestone_t *m = g->node[v];
    for (size_t k = 0; k < m->n_depends_on; k++) {
        size_t w = graph_find(g, m->depends_on[k]);
        if (w == SIZE_MAX || g->color[w] == 2)
            continue;
        if (g->color[w] == 1) {
            for (g->cycle_from = 0; g->path[g->cycle_from] != w; g->cycle_from++)
                ;
            g->path[g->depth++] = w;
            return 1;
        }
        if (graph_cycle(g, w))
            return 1;
    }
    g->color[v] = 2;
    g->depth--;
    return 0;
}

static rl_err_t validate_depends(const plan_t *p, const plan_milestone_t *m, rl_error_t *err)
{
    rl_err_t rc;
    char field[64];
    if ((rc = check_list_size(m->n_depends_on, RL_MAX_MILESTONE_DEPS, "milestone.depends_on", err)))
        return rc;
    for (size_t i = 0; i < m->n_depends_on; i++) {
        const char *d = m->depends_on[i];
        snprintf(field, sizeof field, "milestone.depends_on[%zu]", i);
        if (str(m->id)[0] && same(d, m->id))
            return rl_error_set(err, RL_ERR_INVALID, field, "%.32s cannot depend on itself", m->id);
        const plan_milestone_t *dep = plan_milestone_find(p, d);
        if (!dep)
            return rl_error_set(err, RL_ERR_INVALID, field, "names no milestone of plan %.32s", str(p->id));
        for (size_t j = 0; j < i; j++)
            if (same(m->depends_on[j], d))
                return rl_error_set(err, RL_ERR_INVALID, field, "repeats milestone.depends_on[%zu]", j);
        if (m->status == MS(DONE) && !settled(dep))
            return rl_error_set(err, RL_ERR_INVALID, field, "%.32s is done and cannot depend on %.32s, which is not",
                                str(m->id), str(dep->id));
    }
    if (!str(m->id)[0])
        return RL_OK; /* a new milestone: nothing depends on it yet, so no cycle */
    graph_t g;
    memset(&g, 0, sizeof g);
    int stored = 0;
    for (size_t i = 0; i < p->n_milestones; i++) {
        int is_m = same(p->milestones[i]->id, m->id);
        stored |= is_m;
        g.node[g.n++] = is_m ? m : p->milestones[i];
    }
    if (!stored)
        g.node[g.n++] = m;
    if (!graph_cycle(&g, graph_find(&g, m->id)))
        return RL_OK;
    text_t cyc = {.len = 0};
    for (size_t i = g.cycle_from; i < g.depth; i++)
        text_add(&cyc, "%s%.32s", i > g.cycle_from ? " -> " : "", str(g.node[g.path[i]]->id));
    return rl_error_set(err, RL_ERR_INVALID, "milestone.depends_on", "would form a cycle: %.200s", cyc.buf);
}

rl_err_t plan_milestone_validate(const plan_t *p, const plan_milestone_t *m, rl_error_t *err)
{
    rl_err_t rc;
    char field[64];
    int64_t due;
    int present;
    if (!plan_milestone_find(p, m->id) && p->n_milestones >= RL_MAX_MILESTONES)
        return rl_error_set(err, RL_ERR_INVALID, "milestone", "plan %.32s has %zu milestones, the limit",
                            str(p->id), p->n_milestones);
    if (p->n_milestones > RL_MAX_MILESTONES)
        return rl_error_set(err, RL_ERR_INVALID, "milestone", "plan %.32s has %zu milestones, over the limit of %d",
                            str(p->id), p->n_milestones, RL_MAX_MILESTONES);
    if ((rc = rl_check_text(m->title, 1, RL_MAX_TITLE, 0, "milestone.title", err)) ||
        (rc = rl_check_text(m->owner, 1, RL_MAX_NAME, 0, "milestone.owner", err)) ||
        (rc = check_date(m->due_date, 1, "milestone.due_date", &due, &present, err)) ||
        (rc = rl_check_text(m->waive_reason, 0, RL_MAX_TEXT, 1, "milestone.waive_reason", err)))
        return rc;
    if (m->status < MS(UNSPECIFIED) || m->status > MS(WAIVED))
        return rl_error_set(err, RL_ERR_INVALID, "milestone.status", "unknown status %d", (int)m->status);
    if ((rc = check_list_size(m->n_evidence, RL_MAX_EVIDENCE, "milestone.evidence", err)))
        return rc;
    for (size_t i = 0; i < m->n_evidence; i++) {
        const Riskline__V1__Evidence *e = m->evidence[i];
        snprintf(field, sizeof field, "milestone.evidence[%zu].uri", i);
        if ((rc = rl_check_text(e->uri, 1, RL_MAX_URI, 0, field, err)))
            return rc;
        snprintf(field, sizeof field, "milestone.evidence[%zu].sha256", i);
        if (str(e->sha256)[0] && !hex64(e->sha256))
            return rl_error_set(err, RL_ERR_INVALID, field, "must be empty or 64 hex characters (SHA-256)");
    }
    return validate_depends(p, m, err);
}

static const char *ms_name(Riskline__V1__MilestoneStatus s, char *buf, size_t size)
{
    return rl_json_enum_name(&riskline__v1__milestone_status__descriptor, (int)s, buf, size);
}

rl_err_t plan_milestone_set_status(plan_t *p, plan_milestone_t *m, Riskline__V1__MilestoneStatus status,
                                   const char *reason, const rl_principal_t *who, int64_t now_ms,
                                   rl_arena_t *arena, rl_error_t *err)
{
    rl_err_t rc;
    char b1[24];
    if (status < MS(PENDING) || status > MS(WAIVED))
        return rl_error_set(err, RL_ERR_INVALID, "status",
                            "must be pending, in_progress, done, missed or waived, got %d", (int)status);
    if ((rc = rl_check_text(reason, 0, RL_MAX_TEXT, 1, "reason", err)))
        return rc;
    if (status == MS(WAIVED) && !str(reason)[0])
        return rl_error_set(err, RL_ERR_INVALID, "reason", "a reason is required to waive %.32s", str(m->id));
    if (status == MS(DONE))
        for (size_t i = 0; i < m->n_depends_on; i++) {
            const plan_milestone_t *d = plan_milestone_find(p, m->depends_on[i]);
            if (!d)
                return rl_error_set(err, RL_ERR_CONFLICT, "status",
                                    "%.32s depends on a milestone that does not exist (depends_on[%zu])", str(m->id),
                                    i);
            if (!settled(d))
                return rl_error_set(err, RL_ERR_CONFLICT, "status",
                                    "%.32s depends on %.32s, which is %s: finish or waive it first", str(m->id),
                                    str(d->id), ms_name(d->status, b1, sizeof b1));
        }
    if (settled(m) && status != MS(DONE) && status != MS(WAIVED))
        for (size_t i = 0; i < p->n_milestones; i++) {
            const plan_milestone_t *o = p->milestones[i];
            if (o == m || o->status != MS(DONE))
                continue;
            for (size_t k = 0; k < o->n_depends_on; k++)
                if (same(o->depends_on[k], m->id))
                    return rl_error_set(err, RL_ERR_CONFLICT, "status",
                                        "%.32s (done) depends on %.32s: reopen %.32s first", str(o->id), str(m->id),
                                        str(o->id));
        }
    char *by = rl_arena_strdup(arena, who->name);
    char *why = rl_arena_strdup(arena, reason);
    char *none = rl_arena_strdup(arena, "");
    if (!by || !why || !none)
        return oom(err);
    if (status == MS(DONE) && m->status != MS(DONE)) {
        m->completed_at_ms = now_ms;
        m->completed_by = by;
    } else if (status != MS(DONE)) {
        m->completed_at_ms = 0;
        m->completed_by = none;
    }
    m->waive_reason = status == MS(WAIVED) ? why : none;
    m->status = status;
    return RL_OK;
}

/* --- budget ------------------------------------------------------------------------------------ */

rl_err_t plan_add_cost(plan_t *p, const Riskline__V1__Cost *c, const rl_principal_t *who, int64_t now_ms,
                       rl_arena_t *arena, rl_error_t *err)
{
    rl_err_t rc;
    int64_t day;
    int present;
    if (!c)
        return rl_error_set(err, RL_ERR_INVALID, "cost", "is required");
    if (c->amount_minor <= 0)
        return rl_error_set(err, RL_ERR_INVALID, "cost.amount_minor", "must be more than 0 (minor units), got %lld",
                            (long long)c->amount_minor);
    if ((rc = check_date(c->date, 1, "cost.date", &day, &present, err)) ||
        (rc = rl_check_text(c->note, 0, RL_MAX_TEXT, 1, "cost.note", err)))
        return rc;
    const resources_t *r = p->resources;
    if (!r || !has_currency(r->budget))
        return rl_error_set(err, RL_ERR_CONFLICT, "resources.budget",
                            "plan %.32s has no budget: set its amount and currency before recording costs",
                            str(p->id));
    if (r->n_costs >= RL_MAX_COSTS)
        return rl_error_set(err, RL_ERR_INVALID, "cost", "plan %.32s has %zu costs, the limit", str(p->id),
                            r->n_costs);
    int64_t sum = costs_sum(r);
    if (sum < 0 || c->amount_minor > INT64_MAX - sum)
        return rl_error_set(err, RL_ERR_INVALID, "cost.amount_minor",
                            "the total spent would pass the largest amount (%lld): refused", (long long)INT64_MAX);
    resources_t *nr = rl_arena_alloc(arena, sizeof *nr);
    Riskline__V1__Cost **list = rl_arena_alloc(arena, (r->n_costs + 1) * sizeof *list);
    Riskline__V1__Cost *nc = rl_arena_alloc(arena, sizeof *nc);
    if (!nr || !list || !nc)
        return oom(err);
    riskline__v1__cost__init(nc);
    nc->date = rl_arena_strdup(arena, c->date);
    nc->amount_minor = c->amount_minor;
    nc->note = rl_arena_strdup(arena, c->note);
    nc->recorded_by = rl_arena_strdup(arena, who->name);
    nc->recorded_at_ms = now_ms;
    if (!nc->date || !nc->note || !nc->recorded_by)
        return oom(err);
    if (r->n_costs)
        memcpy(list, r->costs, r->n_costs * sizeof *list);
    list[r->n_costs] = nc;
    *nr = *r; /* a new Resources: a shallow copy of the plan taken before stays as it was */
    nr->costs = list;
    nr->n_costs = r->n_costs + 1;
    p->resources = nr;
    return RL_OK;
}

/* --- acceptance (ISO 27001 6.1.3 f) ------------------------------------------------------------ */

static uint32_t rating_score(const rating_t *r)
{
    return r ? r->likelihood * r->impact : 0;
}

rl_err_t plan_acceptance_check(Riskline__V1__Acceptance *a, const plan_risk_t *r, const plan_criteria_t *c,
                               const plan_policy_t *policy, const rl_principal_t *who, int64_t today_days,
                               int64_t now_ms, rl_arena_t *arena, rl_error_t *err)
{
    rl_err_t rc;
    if (r->archived)
        return rl_error_set(err, RL_ERR_CONFLICT, "risk_id", "risk %.32s is archived", str(r->id));
    if (!who->name[0] || !same(who->name, r->owner))
        return rl_error_set(err, RL_ERR_FORBIDDEN, "accepted_by",
                            "risk %.32s is accepted by its risk owner (%.64s), ISO/IEC 27001 6.1.3 f; %.64s is not",
                            str(r->id), str(r->owner), who->name);
    if ((rc = rl_check_text(a->justification, 1, RL_MAX_TEXT, 1, "justification", err)))
        return rc;
    int64_t exp;
    int present;
    if ((rc = check_date(a->expires, 1, "expires", &exp, &present, err)))
        return rc;
    if (exp <= today_days)
        return rl_error_set(err, RL_ERR_INVALID, "expires", "must be after today");
    if (exp > today_days + (int64_t)policy->max_acceptance_days)
        return rl_error_set(err, RL_ERR_INVALID, "expires", "must be within %u days of today (the tenant's maximum)",
                            policy->max_acceptance_days);
    uint32_t score = rating_score(r->residual);
    if (!score)
        score = rating_score(r->inherent);
    int above = score > c->acceptance_max;
    int has_role = (who->roles & RL_ROLE_APPROVER) != 0;
    if (above && !has_role && !str(a->approver)[0])
        return rl_error_set(err, RL_ERR_FORBIDDEN, "approver",
                            "score %u of risk %.32s is above the acceptance threshold %u: accepting it needs the "
                            "approver role as well (%.64s does not hold it; an approver co-signs)",
                            score, str(r->id), c->acceptance_max, who->name);
    char *by = rl_arena_strdup(arena, who->name);
    char *risk_id = rl_arena_strdup(arena, r->id);
    char *approver = above && has_role && !str(a->approver)[0] ? by : rl_arena_strdup(arena, a->approver);
    if (!by || !risk_id || !approver)
        return oom(err);
    a->score = score;
    a->above_appetite = above;
    a->at_ms = now_ms;
    a->accepted_by = by;
    a->risk_id = risk_id;
    a->approver = approver;
    return RL_OK;
}
