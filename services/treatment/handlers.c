/* handlers.c: treatment request handlers; each validates, applies the domain rules of plan.h and
 * catalogue.h, and writes the change with its event atomically (plan_store.h). */
#include "handlers.h"
#include "rl_codec.h"
#include "rl_event.h"
#include "rl_ids.h"
#include "rl_limits.h"
#include "rl_time.h"

#include <stdio.h>
#include <string.h>

/* Fields a change event leaves out of its diff: they change with every write. */
static const char *const diff_skip[] = {"version", "updated_at_ms", "updated_by", "progress_pct", NULL};

static rl_err_t check_id(const char *prefix, const char *id, const char *field, rl_error_t *err)
{
    uint64_t n;
    if (!id || strlen(id) > RL_MAX_ENTITY_ID || rl_entity_id_parse(prefix, id, &n) != 0)
        return rl_error_set(err, RL_ERR_INVALID, field, "must be an id such as %s-7", prefix);
    return RL_OK;
}

static rl_err_t reply_plan(const rl_bus_req_t *req, rl_envelope_t *reply, plan_t *p)
{
    Riskline__V1__PlanResult *res = rl_arena_alloc(req->arena, sizeof *res);
    if (!res)
        return RL_ERR_INTERNAL;
    riskline__v1__plan_result__init(res);
    plan_derive(p);
    res->plan = p;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_RESULT;
    reply->plan_result = res;
    return RL_OK;
}

/* A retried request gets the current state of the plan its first attempt wrote. */
static rl_err_t reply_duplicate(server_t *srv, const rl_bus_req_t *req, rl_envelope_t *reply, const char *id,
                                rl_error_t *err)
{
    plan_t *p;
    rl_err_t rc = plan_store_get(srv->plans, req->arena, req->tenant, id, &p, err);
    return rc ? rc : reply_plan(req, reply, p);
}

/* Deep copy through the codec: a change must not alter the `before` it is compared with. */
static void *clone(rl_arena_t *a, const ProtobufCMessage *m)
{
    size_t len = 0;
    uint8_t *bytes = rl_codec_pack(m, a, &len);
    return bytes ? rl_codec_unpack(m->descriptor, bytes, len, RL_MAX_REPLY_BYTES, a) : NULL;
}

/* Every control a plan lists exists: Annex A ids are normalised ("5.1" -> "A.5.1"), custom
 * controls ("C-3") must be in the tenant's catalogue. */
static rl_err_t check_controls(server_t *srv, const rl_bus_req_t *req, plan_t *p, rl_error_t *err)
{
    Riskline__V1__Control **custom = NULL;
    size_t ncustom = 0;
    int loaded = 0;
    for (size_t i = 0; i < p->n_controls; i++) {
        Riskline__V1__PlanControl *pc = p->controls[i];
        char norm[16];
        if (catalogue_normalise(pc->control_id, norm, sizeof norm) == 0) {
            pc->control_id = rl_arena_strdup(req->arena, norm);
            continue;
        }
        uint64_t n;
        int found = 0;
        if (rl_entity_id_parse("C", pc->control_id, &n) == 0) {
            rl_err_t rc;
            if (!loaded && (rc = plan_store_controls(srv->plans, req->arena, req->tenant, &custom, &ncustom, err)))
                return rc;
            loaded = 1;
            for (size_t j = 0; j < ncustom && !found; j++)
                found = custom[j]->id && strcmp(custom[j]->id, pc->control_id) == 0;
        }
        if (!found)
            return rl_error_set(err, RL_ERR_INVALID, rl_arena_printf(req->arena, "plan.controls[%zu].control_id", i),
                                "\"%.40s\" is neither an Annex A control (A.5.1 .. A.8.34) nor a custom control "
                                "of this tenant",
                                pc->control_id);
    }
    return RL_OK;
}

/* Before validation: a control listed without a status has not been started, and Annex A ids
 * take one spelling ("5.1" -> "A.5.1") so that duplicates are seen as such. */
static void default_statuses(plan_t *p, rl_arena_t *arena)
{
    for (size_t i = 0; i < p->n_controls; i++) {
        Riskline__V1__PlanControl *pc = p->controls[i];
        if (!pc)
            continue;
        if (pc->status == RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_UNSPECIFIED)
            pc->status = RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_NOT_STARTED;
        char norm[16];
        if (pc->control_id && catalogue_normalise(pc->control_id, norm, sizeof norm) == 0) {
            char *id = rl_arena_strdup(arena, norm);
            if (id)
                pc->control_id = id;
        }
    }
}

/* The plan's risk must exist and be live; *risk and *criteria arena-owned. */
static rl_err_t load_risk(server_t *srv, const rl_bus_req_t *req, const char *risk_id, plan_risk_t **risk,
                          plan_criteria_t **criteria, rl_error_t *err)
{
    rl_err_t rc = check_id("R", risk_id, "plan.risk_id", err);
    if (rc || (rc = plan_store_risk(srv->plans, req->arena, req->tenant, risk_id, "plan.risk_id", risk, criteria, err)))
        return rc;
    if ((*risk)->archived)
        return rl_error_set(err, RL_ERR_CONFLICT, "plan.risk_id", "risk %s is archived: it takes no new treatment",
                            risk_id);
    return RL_OK;
}

static rl_err_t h_plan_create(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const plan_t *in = req->env->plan_create->plan;
    if (!in)
        return rl_error_set(err, RL_ERR_INVALID, "plan", "is required");
    plan_risk_t *risk;
    plan_criteria_t *crit;
    rl_err_t rc = load_risk(srv, req, in->risk_id, &risk, &crit, err);
    if (rc)
        return rc;
    plan_t *p = clone(req->arena, &in->base);
    if (!p)
        return RL_ERR_INTERNAL;
    /* what only the workflow and the milestone/cost requests set */
    p->n_milestones = 0;
    p->next_milestone = 0;
    p->approval = NULL;
    p->verification = NULL;
    p->acceptance = NULL;
    p->held_from = 0;
    if (p->resources)
        p->resources->n_costs = 0;
    p->base.n_unknown_fields = 0;
    default_statuses(p, req->arena);
    if ((rc = plan_validate(p, crit, err)) || (rc = check_controls(srv, req, p, err)))
        return rc;
    /* a risk owner plans its own risks; a treatment owner the plans it will own */
    const rl_principal_t *who = req->principal;
    if (!(who->roles & RL_ROLE_ADMIN) && strcmp(who->name, risk->owner) != 0 && strcmp(who->name, p->treatment_owner) != 0)
        return rl_error_set(err, RL_ERR_FORBIDDEN, "plan.treatment_owner",
                            "%s may create plans only for risks it owns (%s is %s's) or plans it will own", who->name,
                            risk->id, risk->owner);
    uint64_t n;
    const char *dup;
    if ((rc = plan_store_next(srv->plans, req->arena, req->tenant, "plan", req->request_id, &n, &dup, err)))
        return rc;
    if (dup)
        return reply_duplicate(srv, req, reply, dup, err);
    char idbuf[RL_MAX_ENTITY_ID + 1];
    int64_t now = rl_clock_now(&srv->clock);
    p->id = rl_arena_strdup(req->arena, rl_entity_id_format("TP", n, idbuf, sizeof idbuf));
    p->state = RISKLINE__V1__PLAN_STATE__PLAN_STATE_DRAFT;
    p->version = 1;
    p->created_at_ms = p->updated_at_ms = now;
    p->created_by = p->updated_by = (char *)who->name;
    plan_derive(p);
    Riskline__V1__DomainEvent *ev = rl_event_new(req, "plan.created", "plan", p->id, 1, NULL, &p->base, NULL, NULL, now);
    if (!ev)
        return RL_ERR_INTERNAL;
    rl_write_result_t res;
    if ((rc = plan_store_save(srv->plans, req->arena, req->tenant, p, 0, ev, req->request_id, &res, err)))
        return rc;
    if (res.outcome == RL_WRITE_DUPLICATE)
        return reply_duplicate(srv, req, reply, res.dup_value, err);
    return reply_plan(req, reply, p);
}

static rl_err_t h_plan_get(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const char *id = req->env->plan_get->id;
    plan_t *p;
    rl_err_t rc = check_id("TP", id, "id", err);
    if (rc || (rc = plan_store_get(srv->plans, req->arena, req->tenant, id, &p, err)))
        return rc;
    return reply_plan(req, reply, p);
}

static rl_err_t h_plan_list(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    Riskline__V1__PlanPage *page = rl_arena_alloc(req->arena, sizeof *page);
    if (!page)
        return RL_ERR_INTERNAL;
    riskline__v1__plan_page__init(page);
    rl_err_t rc = plan_store_list(srv->plans, req->arena, req->tenant, req->env->plan_list, page, err);
    if (rc)
        return rc;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_PAGE;
    reply->plan_page = page;
    return RL_OK;
}

static rl_err_t h_plan_history(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const Riskline__V1__PlanHistory *q = req->env->plan_history;
    Riskline__V1__HistoryPage *page = rl_arena_alloc(req->arena, sizeof *page);
    if (!page)
        return RL_ERR_INTERNAL;
    riskline__v1__history_page__init(page);
    rl_err_t rc = check_id("TP", q->id, "id", err);
    if (rc || (rc = plan_store_history(srv->plans, req->arena, req->tenant, q->id, q->limit, q->cursor, page, err)))
        return rc;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_HISTORY_PAGE;
    reply->history_page = page;
    return RL_OK;
}

/* One change of a plan: fn edits a deep copy of the stored plan; the rest is common. */
typedef rl_err_t (*change_fn)(server_t *srv, const rl_bus_req_t *req, const plan_t *before, plan_t *p,
                              const void *arg, const char **kind, const char **comment, rl_error_t *err);

static rl_err_t change_plan(server_t *srv, const rl_bus_req_t *req, rl_envelope_t *reply, const char *id,
                            uint64_t expected, change_fn fn, const void *arg, rl_error_t *err)
{
    rl_err_t rc = check_id("TP", id, "id", err);
    if (rc)
        return rc;
    if (expected == 0)
        return rl_error_set(err, RL_ERR_INVALID, "expected_version", "is required (the version you read)");
    plan_t *before;
    if ((rc = plan_store_get(srv->plans, req->arena, req->tenant, id, &before, err)))
        return rc;
    if (before->version != expected) {
        const char *dup;
        if ((rc = plan_store_served(srv->plans, req->arena, req->tenant, req->request_id, &dup, err)))
            return rc;
        if (dup)
            return reply_duplicate(srv, req, reply, dup, err);
        return rl_error_set(err, RL_ERR_CONFLICT, "expected_version", "plan %s is at version %llu, not %llu: read it again",
                            id, (unsigned long long)before->version, (unsigned long long)expected);
    }
    plan_derive(before);
    plan_t *p = clone(req->arena, &before->base);
    if (!p)
        return RL_ERR_INTERNAL;
    p->id = before->id;
    const char *kind = "plan.updated", *comment = NULL;
    if ((rc = fn(srv, req, before, p, arg, &kind, &comment, err)))
        return rc;
    int64_t now = rl_clock_now(&srv->clock);
    p->version = expected + 1;
    p->updated_at_ms = now;
    p->updated_by = (char *)req->principal->name;
    plan_derive(p);
    Riskline__V1__DomainEvent *ev =
        rl_event_new(req, kind, "plan", p->id, p->version, &before->base, &p->base, diff_skip, comment, now);
    if (!ev)
        return RL_ERR_INTERNAL;
    rl_write_result_t res;
    rc = plan_store_save(srv->plans, req->arena, req->tenant, p, expected, ev, req->request_id, &res, err);
    if (rc == RL_ERR_CONFLICT)
        return rl_error_set(err, RL_ERR_CONFLICT, "expected_version", "plan %s changed meanwhile: read it again", id);
    if (rc)
        return rc;
    if (res.outcome == RL_WRITE_DUPLICATE)
        return reply_duplicate(srv, req, reply, res.dup_value, err);
    return reply_plan(req, reply, p);
}

static rl_err_t apply_update(server_t *srv, const rl_bus_req_t *req, const plan_t *before, plan_t *p, const void *arg,
                             const char **kind, const char **comment, rl_error_t *err)
{
    const Riskline__V1__PlanUpdate *u = arg;
    rl_err_t rc = plan_check_editor(before, req->principal, err);
    if (rc)
        return rc;
    if (!u->patch)
        return rl_error_set(err, RL_ERR_INVALID, "patch", "is required");
    if ((rc = plan_apply_patch(p, u->patch, u->update_mask, u->n_update_mask, req->arena, err)))
        return rc;
    plan_risk_t *risk;
    plan_criteria_t *crit;
    default_statuses(p, req->arena);
    if ((rc = load_risk(srv, req, p->risk_id, &risk, &crit, err)) || (rc = plan_validate(p, crit, err)) ||
        (rc = check_controls(srv, req, p, err)))
        return rc;
    if (plan_check_material_change(before, p, &srv->policy, req->arena)) {
        *kind = "plan.approval_outdated";
        *comment = p->approval ? p->approval->outdated_reason : NULL;
    }
    return RL_OK;
}

static rl_err_t h_plan_update(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    const Riskline__V1__PlanUpdate *u = req->env->plan_update;
    return change_plan(app, req, reply, u->id, u->expected_version, apply_update, u, err);
}

static rl_err_t apply_transition(server_t *srv, const rl_bus_req_t *req, const plan_t *before, plan_t *p,
                                 const void *arg, const char **kind, const char **comment, rl_error_t *err)
{
    (void)before;
    const Riskline__V1__PlanTransition *t = arg;
    plan_transition_t tr = {t->action, t->comment, t->effective, t->waive, t->n_waive, t->waive_reason};
    int64_t now = rl_clock_now(&srv->clock);
    rl_err_t rc = plan_transition(p, &tr, req->principal, now, req->arena, err);
    if (rc)
        return rc;
    plan_risk_t *risk;
    plan_criteria_t *crit;
    if (t->action == RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_APPROVE ||
        (t->action == RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_CLOSE && t->acceptance)) {
        if ((rc = plan_store_risk(srv->plans, req->arena, req->tenant, p->risk_id, "risk_id", &risk, &crit, err)))
            return rc;
        /* the approval is bound to the risk as it stood when approved */
        if (t->action == RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_APPROVE && p->approval)
            p->approval->risk = risk;
        if (t->action == RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_CLOSE) {
            Riskline__V1__Acceptance *a = clone(req->arena, &t->acceptance->base);
            if (!a)
                return RL_ERR_INTERNAL;
            a->risk_id = p->risk_id;
            a->plan_id = p->id;
            if ((rc = plan_acceptance_check(a, risk, crit, &srv->policy, req->principal, rl_days_from_ms(now), now,
                                            req->arena, err)))
                return rc;
            p->acceptance = a;
        }
    }
    *kind = rl_arena_printf(req->arena, "plan.%s", plan_action_name(t->action));
    *comment = t->comment;
    return *kind ? RL_OK : RL_ERR_INTERNAL;
}

static rl_err_t h_plan_transition(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    const Riskline__V1__PlanTransition *t = req->env->plan_transition;
    if (plan_action_name(t->action)[0] == '\0' || t->action == RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_UNSPECIFIED)
        return rl_error_set(err, RL_ERR_INVALID, "action", "must be one of submit, approve, reject, start, implement, "
                                                           "verify, close, hold, resume, cancel");
    rl_err_t rc = change_plan(app, req, reply, t->id, t->expected_version, apply_transition, t, err);
    if (rc || t->action != RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_CLOSE || reply->body_case !=
        RISKLINE__V1__ENVELOPE__BODY_PLAN_RESULT || !reply->plan_result->plan->acceptance)
        return rc;
    /* The residual acceptance at close is also the risk's acceptance record: indexed by expiry for
     * the monitor, and followed by the register. A second atomic write with its own event and
     * idempotency marker: a retry of the close finds both done. */
    server_t *srv = app;
    Riskline__V1__Acceptance *a = reply->plan_result->plan->acceptance;
    int64_t now = rl_clock_now(&srv->clock);
    Riskline__V1__DomainEvent *ev = rl_event_new(req, "acceptance.recorded", "acceptance", a->risk_id, 0, NULL,
                                                 &a->base, NULL, a->justification, now);
    const char *rid = rl_arena_printf(req->arena, "%.56s.accept", req->request_id);
    rl_write_result_t res;
    if (!ev || !rid)
        return RL_ERR_INTERNAL;
    return plan_store_save_acceptance(srv->plans, req->arena, req->tenant, a, ev, rid, &res, err);
}

static rl_err_t apply_cost(server_t *srv, const rl_bus_req_t *req, const plan_t *before, plan_t *p, const void *arg,
                           const char **kind, const char **comment, rl_error_t *err)
{
    const Riskline__V1__PlanCostAdd *c = arg;
    rl_err_t rc = plan_check_editor(before, req->principal, err);
    if (rc)
        return rc;
    if (!c->cost)
        return rl_error_set(err, RL_ERR_INVALID, "cost", "is required");
    if ((rc = plan_add_cost(p, c->cost, req->principal, rl_clock_now(&srv->clock), req->arena, err)))
        return rc;
    *kind = "plan.cost_added";
    *comment = c->cost->note;
    return RL_OK;
}

static rl_err_t h_plan_cost_add(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    const Riskline__V1__PlanCostAdd *c = req->env->plan_cost_add;
    return change_plan(app, req, reply, c->id, c->expected_version, apply_cost, c, err);
}

static rl_err_t apply_milestone_add(server_t *srv, const rl_bus_req_t *req, const plan_t *before, plan_t *p,
                                    const void *arg, const char **kind, const char **comment, rl_error_t *err)
{
    (void)srv;
    const Riskline__V1__MilestoneAdd *a = arg;
    rl_err_t rc = plan_check_editor(before, req->principal, err);
    if (rc)
        return rc;
    if (!a->milestone)
        return rl_error_set(err, RL_ERR_INVALID, "milestone", "is required");
    if (p->n_milestones >= RL_MAX_PAGE)
        return rl_error_set(err, RL_ERR_TOO_LARGE, "milestone", "a plan has at most %d milestones", RL_MAX_PAGE);
    plan_milestone_t *m = clone(req->arena, &a->milestone->base);
    plan_milestone_t **list = rl_arena_alloc(req->arena, (p->n_milestones + 1) * sizeof *list);
    char idbuf[RL_MAX_ENTITY_ID + 1];
    if (!m || !list)
        return RL_ERR_INTERNAL;
    m->id = rl_arena_strdup(req->arena, rl_entity_id_format("M", p->next_milestone + 1, idbuf, sizeof idbuf));
    m->status = RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_PENDING;
    m->completed_at_ms = 0;
    m->completed_by = (char *)protobuf_c_empty_string;
    m->n_evidence = 0;
    if ((rc = plan_milestone_validate(p, m, err)))
        return rc;
    if (p->n_milestones)  /* memcpy from NULL is undefined even for 0 bytes */
        memcpy(list, p->milestones, p->n_milestones * sizeof *list);
    list[p->n_milestones++] = m;
    p->milestones = list;
    p->next_milestone++;
    *kind = "milestone.added";
    *comment = m->id;
    return RL_OK;
}

static rl_err_t h_milestone_add(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    const Riskline__V1__MilestoneAdd *a = req->env->milestone_add;
    return change_plan(app, req, reply, a->plan_id, a->expected_version, apply_milestone_add, a, err);
}

static rl_err_t apply_milestone_update(server_t *srv, const rl_bus_req_t *req, const plan_t *before, plan_t *p,
                                       const void *arg, const char **kind, const char **comment, rl_error_t *err)
{
    const Riskline__V1__MilestoneUpdate *u = arg;
    plan_milestone_t *m = plan_milestone_find(p, u->milestone_id);
    if (!m)
        return rl_error_set(err, RL_ERR_NOT_FOUND, "milestone_id", "plan %s has no milestone %.32s", p->id,
                            u->milestone_id);
    /* the milestone's owner reports its progress; content changes are the plan editor's */
    int own = strcmp(m->owner, req->principal->name) == 0;
    rl_err_t rc = RL_OK;
    if (!own || u->n_update_mask)
        rc = plan_check_editor(before, req->principal, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < u->n_update_mask; i++) {
        const char *f = u->update_mask[i];
        if (!u->patch)
            return rl_error_set(err, RL_ERR_INVALID, "patch", "is required with update_mask");
        if (!strcmp(f, "title"))
            m->title = rl_arena_strdup(req->arena, u->patch->title);
        else if (!strcmp(f, "owner"))
            m->owner = rl_arena_strdup(req->arena, u->patch->owner);
        else if (!strcmp(f, "due_date"))
            m->due_date = rl_arena_strdup(req->arena, u->patch->due_date);
        else if (!strcmp(f, "depends_on")) {
            m->depends_on = u->patch->depends_on;
            m->n_depends_on = u->patch->n_depends_on;
        } else
            return rl_error_set(err, RL_ERR_INVALID, "update_mask",
                                "\"%.40s\" cannot be set: title, owner, due_date, depends_on", f);
    }
    *kind = "milestone.updated";
    if (u->evidence) {
        Riskline__V1__Evidence *e = clone(req->arena, &u->evidence->base);
        Riskline__V1__Evidence **list = rl_arena_alloc(req->arena, (m->n_evidence + 1) * sizeof *list);
        if (!e || !list)
            return RL_ERR_INTERNAL;
        e->added_by = (char *)req->principal->name;
        e->added_at_ms = rl_clock_now(&srv->clock);
        if (m->n_evidence)
            memcpy(list, m->evidence, m->n_evidence * sizeof *list);
        list[m->n_evidence++] = e;
        m->evidence = list;
        *kind = "milestone.evidence_added";
    }
    if ((rc = plan_milestone_validate(p, m, err)))
        return rc;
    if (u->status) {
        const char *reason = u->patch ? u->patch->waive_reason : NULL;
        if ((rc = plan_milestone_set_status(p, m, u->status, reason, req->principal, rl_clock_now(&srv->clock),
                                            req->arena, err)))
            return rc;
        *kind = u->status == RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_DONE ? "milestone.done" : "milestone.status";
    }
    *comment = m->id;
    return RL_OK;
}

static rl_err_t h_milestone_update(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    const Riskline__V1__MilestoneUpdate *u = req->env->milestone_update;
    return change_plan(app, req, reply, u->plan_id, u->expected_version, apply_milestone_update, u, err);
}

/* --- controls and the SoA --- */

static Riskline__V1__Control *annex_control(rl_arena_t *a, const catalogue_control_t *c)
{
    Riskline__V1__Control *m = rl_arena_alloc(a, sizeof *m);
    if (!m)
        return NULL;
    riskline__v1__control__init(m);
    m->id = (char *)c->id;
    m->title = (char *)c->title;
    m->theme = c->theme;
    return m;
}

static rl_err_t h_control_list(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const Riskline__V1__ControlList *q = req->env->control_list;
    size_t na = 0, nc = 0;
    const catalogue_control_t *annex = catalogue_annex_a(&na);
    Riskline__V1__Control **custom;
    rl_err_t rc = plan_store_controls(srv->plans, req->arena, req->tenant, &custom, &nc, err);
    if (rc)
        return rc;
    Riskline__V1__ControlPage *page = rl_arena_alloc(req->arena, sizeof *page);
    Riskline__V1__Control **list = rl_arena_alloc(req->arena, (na + nc + 1) * sizeof *list);
    if (!page || !list)
        return RL_ERR_INTERNAL;
    riskline__v1__control_page__init(page);
    size_t n = 0;
    for (size_t i = 0; i < na && !q->custom_only; i++)
        if (!q->theme || annex[i].theme == q->theme)
            if (!(list[n++] = annex_control(req->arena, &annex[i])))
                return RL_ERR_INTERNAL;
    for (size_t i = 0; i < nc; i++)
        if (!q->theme || custom[i]->theme == q->theme)
            list[n++] = custom[i];
    page->controls = list;
    page->n_controls = n;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_CONTROL_PAGE;
    reply->control_page = page;
    return RL_OK;
}

/* The control with this id (Annex A or custom), or RL_ERR_NOT_FOUND naming field. */
static rl_err_t find_control(server_t *srv, const rl_bus_req_t *req, const char *id, const char *field,
                             Riskline__V1__Control **out, rl_error_t *err)
{
    char norm[16];
    if (id && catalogue_normalise(id, norm, sizeof norm) == 0) {
        *out = annex_control(req->arena, catalogue_find(norm));
        return *out ? RL_OK : RL_ERR_INTERNAL;
    }
    Riskline__V1__Control **custom;
    size_t nc;
    rl_err_t rc = plan_store_controls(srv->plans, req->arena, req->tenant, &custom, &nc, err);
    if (rc)
        return rc;
    for (size_t i = 0; id && i < nc; i++)
        if (custom[i]->id && !strcmp(custom[i]->id, id)) {
            *out = custom[i];
            return RL_OK;
        }
    return rl_error_set(err, RL_ERR_NOT_FOUND, field, "no control \"%.40s\" (Annex A: A.5.1 .. A.8.34; custom: C-1 ...)",
                        id ? id : "");
}

static rl_err_t h_control_get(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    Riskline__V1__Control *c;
    rl_err_t rc = find_control(app, req, req->env->control_get->id, "id", &c, err);
    if (rc)
        return rc;
    Riskline__V1__ControlPage *page = rl_arena_alloc(req->arena, sizeof *page);
    Riskline__V1__Control **one = rl_arena_alloc(req->arena, sizeof *one);
    if (!page || !one)
        return RL_ERR_INTERNAL;
    riskline__v1__control_page__init(page);
    one[0] = c;
    page->controls = one;
    page->n_controls = 1;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_CONTROL_PAGE;
    reply->control_page = page;
    return RL_OK;
}

static rl_err_t h_control_add(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const Riskline__V1__Control *in = req->env->control_add->control;
    if (!in)
        return rl_error_set(err, RL_ERR_INVALID, "control", "is required");
    rl_err_t rc = catalogue_custom_validate(in, err);
    if (rc)
        return rc;
    Riskline__V1__Control *c = clone(req->arena, &in->base);
    if (!c)
        return RL_ERR_INTERNAL;
    uint64_t n;
    const char *dup;
    if ((rc = plan_store_next(srv->plans, req->arena, req->tenant, "control", req->request_id, &n, &dup, err)))
        return rc;
    char idbuf[RL_MAX_ENTITY_ID + 1];
    int64_t now = rl_clock_now(&srv->clock);
    c->id = rl_arena_strdup(req->arena, dup ? dup : rl_entity_id_format("C", n, idbuf, sizeof idbuf));
    c->custom = 1;
    c->created_at_ms = now;
    c->created_by = (char *)req->principal->name;
    c->base.n_unknown_fields = 0;
    if (!dup) {
        Riskline__V1__DomainEvent *ev =
            rl_event_new(req, "control.added", "control", c->id, 1, NULL, &c->base, NULL, NULL, now);
        rl_write_result_t res;
        if (!ev)
            return RL_ERR_INTERNAL;
        if ((rc = plan_store_save_control(srv->plans, req->arena, req->tenant, c, ev, req->request_id, &res, err)))
            return rc;
        if (res.outcome == RL_WRITE_DUPLICATE)
            dup = res.dup_value;
    }
    if (dup && (rc = find_control(srv, req, dup, "id", &c, err)))
        return rc;
    Riskline__V1__ControlPage *page = rl_arena_alloc(req->arena, sizeof *page);
    Riskline__V1__Control **one = rl_arena_alloc(req->arena, sizeof *one);
    if (!page || !one)
        return RL_ERR_INTERNAL;
    riskline__v1__control_page__init(page);
    one[0] = c;
    page->controls = one;
    page->n_controls = 1;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_CONTROL_PAGE;
    reply->control_page = page;
    return RL_OK;
}

/* The SoA, derived now from every plan, custom control and exclusion of the tenant. */
static rl_err_t reply_soa(server_t *srv, const rl_bus_req_t *req, Riskline__V1__ControlTheme theme,
                          Riskline__V1__ImplementationStatus status, rl_envelope_t *reply, rl_error_t *err)
{
    Riskline__V1__SoaResult *res = rl_arena_alloc(req->arena, sizeof *res);
    if (!res)
        return RL_ERR_INTERNAL;
    riskline__v1__soa_result__init(res);
    rl_err_t rc = plan_store_soa(srv->plans, req->arena, req->tenant, theme, status, &res->entries,
                                 &res->n_entries, err);
    if (rc)
        return rc;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_SOA_RESULT;
    reply->soa_result = res;
    return RL_OK;
}

static rl_err_t h_soa_get(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    return reply_soa(app, req, req->env->soa_get->theme, req->env->soa_get->status, reply, err);
}

/* Exclusion (reason set) or inclusion (reason "") of a control in the SoA. */
static rl_err_t soa_mark(server_t *srv, const rl_bus_req_t *req, rl_envelope_t *reply, const char *id,
                         const char *reason, rl_error_t *err)
{
    Riskline__V1__Control *c;
    rl_err_t rc = find_control(srv, req, id, "control_id", &c, err);
    if (rc)
        return rc;
    if (reason && (strlen(reason) > RL_MAX_TEXT || !rl_utf8_valid(reason, strlen(reason))))
        return rl_error_set(err, RL_ERR_INVALID, "reason", "must be valid UTF-8 of at most %d bytes", RL_MAX_TEXT);
    Riskline__V1__SoaEntry *e = rl_arena_alloc(req->arena, sizeof *e);
    if (!e)
        return RL_ERR_INTERNAL;
    riskline__v1__soa_entry__init(e);
    int64_t now = rl_clock_now(&srv->clock);
    e->control = c;
    e->exclusion_reason = (char *)(reason ? reason : "");
    e->excluded_by = (char *)req->principal->name;
    e->excluded_at_ms = now;
    Riskline__V1__DomainEvent *ev = rl_event_new(req, reason ? "control.excluded" : "control.included", "control",
                                                 c->id, 0, NULL, &e->base, NULL, reason, now);
    rl_write_result_t res;
    if (!ev)
        return RL_ERR_INTERNAL;
    if ((rc = plan_store_save_exclusion(srv->plans, req->arena, req->tenant, e, ev, req->request_id, &res, err)))
        return rc;
    return reply_soa(srv, req, 0, 0, reply, err);
}

static rl_err_t h_soa_exclude(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    const Riskline__V1__SoaExclude *x = req->env->soa_exclude;
    if (!x->reason || !x->reason[0])
        return rl_error_set(err, RL_ERR_INVALID, "reason", "an exclusion needs its justification");
    return soa_mark(app, req, reply, x->control_id, x->reason, err);
}

static rl_err_t h_soa_include(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    return soa_mark(app, req, reply, req->env->soa_include->control_id, NULL, err);
}

static rl_err_t h_risk_accept(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const Riskline__V1__RiskAccept *q = req->env->risk_accept;
    plan_risk_t *risk;
    plan_criteria_t *crit;
    rl_err_t rc = check_id("R", q->risk_id, "risk_id", err);
    if (rc || (rc = plan_store_risk(srv->plans, req->arena, req->tenant, q->risk_id, "risk_id", &risk, &crit, err)))
        return rc;
    Riskline__V1__Acceptance *a = rl_arena_alloc(req->arena, sizeof *a);
    Riskline__V1__AcceptanceResult *res = rl_arena_alloc(req->arena, sizeof *res);
    if (!a || !res)
        return RL_ERR_INTERNAL;
    riskline__v1__acceptance__init(a);
    a->risk_id = q->risk_id;
    a->justification = q->justification;
    a->expires = q->expires;
    int64_t now = rl_clock_now(&srv->clock);
    if ((rc = plan_acceptance_check(a, risk, crit, &srv->policy, req->principal, rl_days_from_ms(now), now,
                                    req->arena, err)))
        return rc;
    Riskline__V1__DomainEvent *ev =
        rl_event_new(req, "acceptance.recorded", "acceptance", a->risk_id, 0, NULL, &a->base, NULL, a->justification, now);
    rl_write_result_t wres;
    if (!ev)
        return RL_ERR_INTERNAL;
    if ((rc = plan_store_save_acceptance(srv->plans, req->arena, req->tenant, a, ev, req->request_id, &wres, err)))
        return rc;
    riskline__v1__acceptance_result__init(res);
    res->acceptance = a;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_ACCEPTANCE_RESULT;
    reply->acceptance_result = res;
    return RL_OK;
}

int handlers_route(rl_bus_server_t *bus)
{
    static const struct {
        int body;
        const char *name;
        rl_bus_handler_fn fn;
    } routes[] = {
        {RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE, "plan_create", h_plan_create},
        {RISKLINE__V1__ENVELOPE__BODY_PLAN_GET, "plan_get", h_plan_get},
        {RISKLINE__V1__ENVELOPE__BODY_PLAN_LIST, "plan_list", h_plan_list},
        {RISKLINE__V1__ENVELOPE__BODY_PLAN_UPDATE, "plan_update", h_plan_update},
        {RISKLINE__V1__ENVELOPE__BODY_PLAN_TRANSITION, "plan_transition", h_plan_transition},
        {RISKLINE__V1__ENVELOPE__BODY_PLAN_COST_ADD, "plan_cost_add", h_plan_cost_add},
        {RISKLINE__V1__ENVELOPE__BODY_PLAN_HISTORY, "plan_history", h_plan_history},
        {RISKLINE__V1__ENVELOPE__BODY_MILESTONE_ADD, "milestone_add", h_milestone_add},
        {RISKLINE__V1__ENVELOPE__BODY_MILESTONE_UPDATE, "milestone_update", h_milestone_update},
        {RISKLINE__V1__ENVELOPE__BODY_CONTROL_LIST, "control_list", h_control_list},
        {RISKLINE__V1__ENVELOPE__BODY_CONTROL_GET, "control_get", h_control_get},
        {RISKLINE__V1__ENVELOPE__BODY_CONTROL_ADD, "control_add", h_control_add},
        {RISKLINE__V1__ENVELOPE__BODY_SOA_GET, "soa_get", h_soa_get},
        {RISKLINE__V1__ENVELOPE__BODY_SOA_EXCLUDE, "soa_exclude", h_soa_exclude},
        {RISKLINE__V1__ENVELOPE__BODY_SOA_INCLUDE, "soa_include", h_soa_include},
        {RISKLINE__V1__ENVELOPE__BODY_RISK_ACCEPT, "risk_accept", h_risk_accept},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (rl_bus_server_route(bus, routes[i].body, routes[i].name, routes[i].fn) != 0)
            return -1;
    return 0;
}
