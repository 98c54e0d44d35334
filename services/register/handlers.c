/* handlers.c: register request handlers; each validates, applies domain rules, writes atomically. */
#include "handlers.h"
#include "rl_event.h"
#include "rl_ids.h"
#include "rl_limits.h"
#include "rl_time.h"

#include <stdio.h>
#include <string.h>

static rl_err_t check_id(const char *id, rl_error_t *err)
{
    uint64_t n;
    if (!id || strlen(id) > RL_MAX_ENTITY_ID || rl_entity_id_parse("R", id, &n) != 0)
        return rl_error_set(err, RL_ERR_INVALID, "id", "must be a risk id such as R-42");
    return RL_OK;
}

static void *reply_risk(const rl_bus_req_t *req, rl_envelope_t *reply, risk_t *r)
{
    Riskline__V1__RiskResult *res = rl_arena_alloc(req->arena, sizeof *res);
    if (!res)
        return NULL;
    riskline__v1__risk_result__init(res);
    res->risk = r;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_RESULT;
    reply->risk_result = res;
    return res;
}

/* The domain event of a change: who, when, what kind, which fields, and the entity after. */
static Riskline__V1__DomainEvent *make_event(const rl_bus_req_t *req, const char *kind,
                                             const char *type, const char *id, uint64_t version,
                                             const ProtobufCMessage *before, const ProtobufCMessage *after,
                                             const char *const *skip, const char *comment, int64_t now)
{
    return rl_event_new(req, kind, type, id, version, before, after, skip, comment, now);
}

/* A retried request (same request id) gets the current state of what the first attempt wrote. */
static rl_err_t reply_duplicate(server_t *srv, const rl_bus_req_t *req, rl_envelope_t *reply, const char *id,
                                rl_error_t *err)
{
    risk_t *r;
    const risk_criteria_t *c;
    uint64_t cv;
    rl_err_t rc = risk_store_get(srv->risks, req->arena, req->tenant, id, &r, &c, &cv, err);
    if (rc)
        return rc;
    risk_derive(r, c);
    return reply_risk(req, reply, r) ? RL_OK : RL_ERR_INTERNAL;
}

static rl_err_t h_create(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const risk_t *in = req->env->risk_create->risk;
    if (!in)
        return rl_error_set(err, RL_ERR_INVALID, "risk", "is required");
    const risk_criteria_t *c;
    uint64_t cver;
    rl_err_t rc;
    for (int attempt = 0;; attempt++) {
        /* Validate against cached criteria; the write is guarded by their version, and a change
         * in between sends us round once more with fresh criteria. */
        if ((rc = risk_store_criteria(srv->risks, req->arena, req->tenant, attempt > 0, &c, &cver, err)))
            return rc;
        if ((rc = risk_validate(in, c, err)))
            return rc;
        if ((rc = risk_check_owner(req->principal, NULL, in->owner, err)))
            return rc;
        risk_t *r = rl_arena_alloc(req->arena, sizeof *r);
        if (!r)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        *r = *in;
        risk_sanitize(r, req->arena);
        uint64_t n;
        const char *dup_id;
        if ((rc = risk_store_next_number(srv->risks, req->arena, req->tenant, req->request_id, &n, &dup_id, err)))
            return rc;
        if (dup_id)
            return reply_duplicate(srv, req, reply, dup_id, err);
        char idbuf[RL_MAX_ENTITY_ID + 1];
        r->id = rl_arena_strdup(req->arena, rl_entity_id_format("R", n, idbuf, sizeof idbuf));
        int64_t now = rl_clock_now(&srv->clock);
        r->version = 1;
        r->archived = 0;
        r->created_at_ms = r->updated_at_ms = now;
        r->created_by = r->updated_by = (char *)req->principal->name;
        if (r->status == RISKLINE__V1__RISK_STATUS__RISK_STATUS_UNSPECIFIED)
            r->status = RISKLINE__V1__RISK_STATUS__RISK_STATUS_IDENTIFIED;
        risk_derive(r, c);
        risk_schedule_review(r, c, rl_days_from_ms(now), 0, req->arena);
        Riskline__V1__DomainEvent *ev = make_event(req, "risk.created", "risk", r->id, 1, NULL, &r->base,
                                                   NULL, NULL, now);
        if (!ev)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        rl_write_result_t res;
        rc = risk_store_save(srv->risks, req->arena, req->tenant, r, 0, cver, ev, req->request_id, &res, err);
        /* Give the number back only when certainly unused: a criteria guard refused the write, or
         * the request was served before under another number. */
        if ((rc == RL_ERR_CONFLICT && res.failed_guard != SIZE_MAX) ||
            (rc == RL_OK && res.outcome == RL_WRITE_DUPLICATE && strcmp(res.dup_value, r->id) != 0))
            risk_store_unuse_number(srv->risks, req->tenant, n);
        if (rc == RL_ERR_CONFLICT && strcmp(err->field, "criteria") == 0 && attempt == 0)
            continue;
        if (rc)
            return rc;
        if (res.outcome == RL_WRITE_DUPLICATE)
            return reply_duplicate(srv, req, reply, res.dup_value, err);
        return reply_risk(req, reply, r) ? RL_OK : RL_ERR_INTERNAL;
    }
}

static rl_err_t h_get(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const char *id = req->env->risk_get->id;
    rl_err_t rc = check_id(id, err);
    if (rc)
        return rc;
    risk_t *r;
    const risk_criteria_t *c;
    uint64_t cv;
    if ((rc = risk_store_get(srv->risks, req->arena, req->tenant, id, &r, &c, &cv, err)))
        return rc;
    risk_derive(r, c);
    return reply_risk(req, reply, r) ? RL_OK : RL_ERR_INTERNAL;
}

static rl_err_t h_list(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    Riskline__V1__RiskPage *page = rl_arena_alloc(req->arena, sizeof *page);
    if (!page)
        return RL_ERR_INTERNAL;
    riskline__v1__risk_page__init(page);
    rl_err_t rc = risk_store_list(srv->risks, req->arena, req->tenant, req->env->risk_list, page, err);
    if (rc)
        return rc;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_PAGE;
    reply->risk_page = page;
    return RL_OK;
}

/* Shared by update and archive: load, check version, change, derive, write with event. */
typedef rl_err_t (*change_fn)(const void *arg, risk_t *r, const risk_criteria_t *c, rl_arena_t *a,
                              int *reschedule, rl_error_t *err);

static rl_err_t change_risk(server_t *srv, const rl_bus_req_t *req, rl_envelope_t *reply, const char *id,
                            uint64_t expected, const char *kind, const char *comment, change_fn fn,
                            const void *arg, rl_error_t *err)
{
    rl_err_t rc = check_id(id, err);
    if (rc)
        return rc;
    if (expected == 0)
        return rl_error_set(err, RL_ERR_INVALID, "expected_version", "is required (the version you read)");
    if (comment && (rc = risk_validate_reason(comment, err)))
        return rc;
    for (int attempt = 0;; attempt++) {
        risk_t *before;
        const risk_criteria_t *c;
        uint64_t cver;
        if ((rc = risk_store_get(srv->risks, req->arena, req->tenant, id, &before, &c, &cver, err)))
            return rc;
        if (before->version != expected || before->archived) {
            /* A retry of a change that was already applied gets its result, not a conflict. */
            const char *dup;
            if ((rc = risk_store_served(srv->risks, req->arena, req->tenant, req->request_id, &dup, err)))
                return rc;
            if (dup)
                return reply_duplicate(srv, req, reply, dup, err);
            if (before->version != expected)
                return rl_error_set(err, RL_ERR_CONFLICT, "expected_version",
                                    "risk %s is at version %llu, not %llu: read it again", id,
                                    (unsigned long long)before->version, (unsigned long long)expected);
            return rl_error_set(err, RL_ERR_CONFLICT, "id", "risk %s is archived and cannot change", id);
        }
        risk_t *r = rl_arena_alloc(req->arena, sizeof *r);
        if (!r)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        *r = *before;
        int reschedule = 0;
        if ((rc = fn(arg, r, c, req->arena, &reschedule, err)))
            return rc;
        if ((rc = risk_check_owner(req->principal, before->owner, r->owner, err)))
            return rc;
        int64_t now = rl_clock_now(&srv->clock);
        r->version = expected + 1;
        r->updated_at_ms = now;
        r->updated_by = (char *)req->principal->name;
        risk_derive(r, c);
        risk_schedule_review(r, c, rl_days_from_ms(now), reschedule, req->arena);
        Riskline__V1__DomainEvent *ev = make_event(req, kind, "risk", r->id, r->version, &before->base,
                                                   &r->base, risk_diff_skip, comment, now);
        if (!ev)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        rl_write_result_t res;
        rc = risk_store_save(srv->risks, req->arena, req->tenant, r, expected, cver, ev, req->request_id, &res,
                             err);
        if (rc == RL_ERR_CONFLICT && strcmp(err->field, "criteria") == 0 && attempt == 0)
            continue;
        if (rc == RL_ERR_CONFLICT && res.failed_guard == SIZE_MAX)
            return rl_error_set(err, RL_ERR_CONFLICT, "expected_version",
                                "risk %s is at version %llu, not %llu: read it again", id,
                                (unsigned long long)res.current_version, (unsigned long long)expected);
        if (rc)
            return rc;
        if (res.outcome == RL_WRITE_DUPLICATE)
            return reply_duplicate(srv, req, reply, res.dup_value, err);
        return reply_risk(req, reply, r) ? RL_OK : RL_ERR_INTERNAL;
    }
}

static rl_err_t apply_update(const void *arg, risk_t *r, const risk_criteria_t *c, rl_arena_t *a,
                             int *reschedule, rl_error_t *err)
{
    const Riskline__V1__RiskUpdate *u = arg;
    if (!u->patch)
        return rl_error_set(err, RL_ERR_INVALID, "patch", "is required");
    rl_err_t rc = risk_apply_patch(r, u->patch, u->update_mask, u->n_update_mask, a, reschedule, err);
    if (rc)
        return rc;
    /* An explicit next_review wins over rescheduling. */
    for (size_t i = 0; i < u->n_update_mask; i++)
        if (strcmp(u->update_mask[i], "next_review") == 0 && r->next_review && r->next_review[0])
            *reschedule = 0;
    return risk_validate(r, c, err);
}

static rl_err_t h_update(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    const Riskline__V1__RiskUpdate *u = req->env->risk_update;
    return change_risk(app, req, reply, u->id, u->expected_version, "risk.updated", NULL, apply_update, u, err);
}

static rl_err_t apply_archive(const void *arg, risk_t *r, const risk_criteria_t *c, rl_arena_t *a,
                              int *reschedule, rl_error_t *err)
{
    (void)arg, (void)c, (void)a, (void)err;
    *reschedule = 0;
    r->archived = 1;
    return RL_OK;
}

static rl_err_t h_archive(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    const Riskline__V1__RiskArchive *x = req->env->risk_archive;
    return change_risk(app, req, reply, x->id, x->expected_version, "risk.archived", x->reason, apply_archive,
                       NULL, err);
}

static rl_err_t h_history(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const Riskline__V1__RiskHistory *h = req->env->risk_history;
    rl_err_t rc = check_id(h->id, err);
    if (rc)
        return rc;
    Riskline__V1__HistoryPage *page = rl_arena_alloc(req->arena, sizeof *page);
    if (!page)
        return RL_ERR_INTERNAL;
    riskline__v1__history_page__init(page);
    if ((rc = risk_store_history(srv->risks, req->arena, req->tenant, h->id, h->limit, h->cursor, page, err)))
        return rc;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_HISTORY_PAGE;
    reply->history_page = page;
    return RL_OK;
}

static rl_err_t reply_criteria(const rl_bus_req_t *req, rl_envelope_t *reply, risk_criteria_t *c)
{
    Riskline__V1__CriteriaResult *res = rl_arena_alloc(req->arena, sizeof *res);
    if (!res)
        return RL_ERR_INTERNAL;
    riskline__v1__criteria_result__init(res);
    res->criteria = c;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_CRITERIA_RESULT;
    reply->criteria_result = res;
    return RL_OK;
}

static rl_err_t h_criteria_get(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const risk_criteria_t *c;
    uint64_t v;
    rl_err_t rc = risk_store_criteria(srv->risks, req->arena, req->tenant, 1, &c, &v, err);
    if (rc)
        return rc;
    risk_criteria_t *copy = rl_arena_alloc(req->arena, sizeof *copy);
    if (!copy)
        return RL_ERR_INTERNAL;
    *copy = *c;
    return reply_criteria(req, reply, copy);
}

static rl_err_t h_criteria_set(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const Riskline__V1__CriteriaSet *cs = req->env->criteria_set;
    if (!cs->criteria)
        return rl_error_set(err, RL_ERR_INVALID, "criteria", "is required");
    rl_err_t rc = risk_criteria_validate(cs->criteria, err);
    if (rc)
        return rc;
    const risk_criteria_t *cur;
    uint64_t v;
    if ((rc = risk_store_criteria(srv->risks, req->arena, req->tenant, 1, &cur, &v, err)))
        return rc;
    const char *dup;
    if (cs->expected_version != v &&
        (rc = risk_store_served(srv->risks, req->arena, req->tenant, req->request_id, &dup, err)) == RL_OK && dup)
        return h_criteria_get(app, req, reply, err);
    if (rc)
        return rc;
    if (cs->expected_version != v)
        return rl_error_set(err, RL_ERR_CONFLICT, "expected_version",
                            "criteria are at version %llu, not %llu: read them again", (unsigned long long)v,
                            (unsigned long long)cs->expected_version);
    risk_criteria_t before = *cur;
    risk_criteria_t *c = rl_arena_alloc(req->arena, sizeof *c);
    if (!c)
        return RL_ERR_INTERNAL;
    *c = *cs->criteria;
    c->base.unknown_fields = NULL;
    c->base.n_unknown_fields = 0;
    int64_t now = rl_clock_now(&srv->clock);
    c->version = v + 1;
    c->updated_at_ms = now;
    c->updated_by = (char *)req->principal->name;
    static const char *const skip[] = {"version", "updated_at_ms", "updated_by", NULL};
    Riskline__V1__DomainEvent *ev = make_event(req, "criteria.set", "criteria", "criteria", c->version,
                                               &before.base, &c->base, skip, NULL, now);
    if (!ev)
        return RL_ERR_INTERNAL;
    rl_write_result_t res;
    rc = risk_store_save_criteria(srv->risks, req->arena, req->tenant, c, v, ev, req->request_id, &res, err);
    if (rc == RL_ERR_CONFLICT && res.failed_guard == SIZE_MAX)
        return rl_error_set(err, RL_ERR_CONFLICT, "expected_version", "criteria changed meanwhile: read them again");
    if (rc)
        return rc;
    if (res.outcome == RL_WRITE_DUPLICATE)
        return h_criteria_get(app, req, reply, err);
    return reply_criteria(req, reply, c);
}

int handlers_route(rl_bus_server_t *bus)
{
    static const struct {
        int body;
        const char *name;
        rl_bus_handler_fn fn;
    } routes[] = {
        {RISKLINE__V1__ENVELOPE__BODY_RISK_CREATE, "risk_create", h_create},
        {RISKLINE__V1__ENVELOPE__BODY_RISK_GET, "risk_get", h_get},
        {RISKLINE__V1__ENVELOPE__BODY_RISK_LIST, "risk_list", h_list},
        {RISKLINE__V1__ENVELOPE__BODY_RISK_UPDATE, "risk_update", h_update},
        {RISKLINE__V1__ENVELOPE__BODY_RISK_ARCHIVE, "risk_archive", h_archive},
        {RISKLINE__V1__ENVELOPE__BODY_RISK_HISTORY, "risk_history", h_history},
        {RISKLINE__V1__ENVELOPE__BODY_CRITERIA_GET, "criteria_get", h_criteria_get},
        {RISKLINE__V1__ENVELOPE__BODY_CRITERIA_SET, "criteria_set", h_criteria_set},
        {RISKLINE__V1__ENVELOPE__BODY_AUDIT_READ, "audit_read", audit_handler_read},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (rl_bus_server_route(bus, routes[i].body, routes[i].name, routes[i].fn) != 0)
            return -1;
    return keys_handler_route(bus);
}
