/* alert_store.c: alert records, their indexes and events, and the milestone sweep over ms:due. */
#include "alert_store.h"
#include "rl_codec.h"
#include "rl_event.h"
#include "rl_ids.h"
#include "rl_limits.h"
#include "rl_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOT 1e9
#define SWEEP_MAX 1000  /* due milestones handled per sweep and tenant; the rest next time */

static char *key(rl_arena_t *a, const char *tenant, const char *rest)
{
    return rl_arena_printf(a, "rl:{%s}:%s", tenant, rest);
}

/* The Alert stored at "alert:<ks>" (ks = "<kind>:<subject>"), or NULL; *version 0 when absent. */
static rl_err_t load(rl_store_t *store, rl_arena_t *a, const char *tenant, const char *ks, alert_t **out,
                     uint64_t *version, rl_error_t *err)
{
    rl_cmd_t *c = rl_cmd_new(a, "HMGET");
    rl_cmd_arg(c, key(a, tenant, rl_arena_printf(a, "alert:%s", ks)));
    rl_cmd_arg(c, "v");
    rl_cmd_arg(c, "pb");
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(store, a, c, &v, err);
    if (rc)
        return rc;
    *out = NULL;
    *version = 0;
    if (v->type == RL_VAL_ERR)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "redis: %s", v->s);
    if (v->type == RL_VAL_ARR && v->n == 2 && v->elem[1].type == RL_VAL_STR) {
        *version = v->elem[0].type == RL_VAL_STR ? strtoull(v->elem[0].s, NULL, 10) : 0;
        *out = rl_codec_unpack(&riskline__v1__alert__descriptor, v->elem[1].s, v->elem[1].len, RL_MAX_FRAME_BYTES, a);
        if (*out)
            (*out)->version = *version;
    }
    return RL_OK;
}

/* Writes alert al (version = expected + 1) with its index moves and event. */
static rl_err_t save(rl_store_t *store, rl_arena_t *a, const char *tenant, const char *ks, alert_t *al,
                     uint64_t expected, const char *kind, const char *actor, const char *request_id, int64_t now_ms,
                     rl_error_t *err)
{
    rl_principal_t who;
    memset(&who, 0, sizeof who);
    snprintf(who.name, sizeof who.name, "%s", actor);
    rl_bus_req_t req = {&who, NULL, tenant, request_id, a};
    al->version = expected + 1;
    Riskline__V1__DomainEvent *ev = rl_event_new(&req, kind, "alert", al->id, al->version, NULL, &al->base, NULL,
                                                 al->message, now_ms);
    size_t blob_len = 0, ev_len = 0;
    uint8_t *blob = rl_codec_pack(&al->base, a, &blob_len);
    uint8_t *evb = ev ? rl_codec_pack(&ev->base, a, &ev_len) : NULL;
    if (!blob || !evb)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    int open = al->state != RISKLINE__V1__ALERT_STATE__ALERT_STATE_RESOLVED;
    rl_op_t ops[4] = {
        {open ? RL_OP_ZADD : RL_OP_ZREM, key(a, tenant, "idx:alert:open"), (double)al->raised_at_ms, ks, NULL},
        {open ? RL_OP_ZREM : RL_OP_ZADD, key(a, tenant, "idx:alert:resolved"), (double)al->resolved_at_ms, ks, NULL},
        {RL_OP_HSET, key(a, tenant, "alert:ids"), 0, al->id, ks},
    };
    rl_write_t w = {
        .entity_key = key(a, tenant, rl_arena_printf(a, "alert:%s", ks)), .expected_version = expected,
        .new_version = al->version, .blob = blob, .blob_len = blob_len, .stream_key = key(a, tenant, "events"),
        .event = evb, .event_len = ev_len,
        .dedupe_key = key(a, tenant, rl_arena_printf(a, "req:monitor:%s", request_id)),
        .dedupe_value = al->id, .ops = ops, .nops = 3,
    };
    rl_write_result_t res;
    return rl_store_write(store, a, &w, &res, err);
}

rl_err_t alert_store_apply(rl_store_t *store, rl_arena_t *a, const char *tenant, const alert_finding_t *f,
                           int64_t now_ms, int *changed, rl_error_t *err)
{
    *changed = 0;
    const char *ks = rl_arena_printf(a, "%s:%s", f->kind, f->subject);
    alert_t *cur;
    uint64_t version;
    rl_err_t rc = load(store, a, tenant, ks, &cur, &version, err);
    if (rc)
        return rc;
    int open = cur && cur->state != RISKLINE__V1__ALERT_STATE__ALERT_STATE_RESOLVED;
    /* sweep ids: the same sweep retried writes nothing twice */
    const char *rid = rl_arena_printf(a, "sweep-%llu-%llu", (unsigned long long)version,
                                      (unsigned long long)(rl_mono_ns() & 0xffffffffffULL));
    if (f->active && !open) {
        uint64_t n;
        const char *dup;
        if ((rc = rl_store_reserve(store, a, key(a, tenant, "seq:alert"), key(a, tenant, "req:monitor:none"), 1, &n,
                                   &dup, err)))
            return rc;
        alert_t *al = rl_arena_alloc(a, sizeof *al);
        char idbuf[RL_MAX_ENTITY_ID + 1];
        if (!al)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
        riskline__v1__alert__init(al);
        al->id = rl_arena_strdup(a, rl_entity_id_format("AL", n, idbuf, sizeof idbuf));
        al->kind = (char *)f->kind;
        al->severity = f->severity;
        al->subject = (char *)f->subject;
        al->message = (char *)f->message;
        al->state = RISKLINE__V1__ALERT_STATE__ALERT_STATE_OPEN;
        al->raised_at_ms = now_ms;
        if ((rc = save(store, a, tenant, ks, al, version, "alert.raised", "monitor", rid, now_ms, err)))
            return rc;
        *changed = 1;
    } else if (!f->active && open) {
        alert_auto_resolve(cur, now_ms);
        cur->message = (char *)f->message;
        if ((rc = save(store, a, tenant, ks, cur, version, "alert.resolved", "monitor", rid, now_ms, err)))
            return rc;
        *changed = 1;
    }
    return RL_OK;
}

/* Loads plan id of the tenant (read only: the treatment service owns it), or NULL. */
static Riskline__V1__Plan *load_plan(rl_store_t *store, rl_arena_t *a, const char *tenant, const char *id)
{
    rl_cmd_t *c = rl_cmd_new(a, "HGET");
    rl_cmd_arg(c, key(a, tenant, rl_arena_printf(a, "plan:%s", id)));
    rl_cmd_arg(c, "pb");
    const rl_val_t *v;
    rl_error_t err;
    if (rl_store_cmd(store, a, c, &v, &err) != RL_OK || v->type != RL_VAL_STR)
        return NULL;
    Riskline__V1__Plan *p = rl_codec_unpack(&riskline__v1__plan__descriptor, v->s, v->len, RL_MAX_REPLY_BYTES, a);
    if (p)
        p->id = rl_arena_strdup(a, id);
    return p;
}

/* Findings of the milestone rules for member "TP-n/M-k" (none when plan or milestone is gone:
 * then every milestone kind is inactive, so its alerts resolve). */
static size_t milestone_findings(rl_store_t *store, rl_arena_t *a, const char *tenant, const char *member,
                                 int64_t today, const alert_policy_t *p, alert_finding_t *out, size_t max)
{
    const char *slash = strchr(member, '/');
    if (!slash)
        return 0;
    char *plan_id = rl_arena_strndup(a, member, (size_t)(slash - member));
    Riskline__V1__Plan *plan = plan_id ? load_plan(store, a, tenant, plan_id) : NULL;
    const Riskline__V1__Milestone *m = NULL;
    for (size_t i = 0; plan && i < plan->n_milestones && !m; i++)
        if (plan->milestones[i]->id && !strcmp(plan->milestones[i]->id, slash + 1))
            m = plan->milestones[i];
    if (!m) {
        const char *kinds[2] = {ALERT_MILESTONE_OVERDUE, ALERT_MILESTONE_DUE_SOON};
        for (size_t k = 0; k < 2 && k < max; k++)
            out[k] = (alert_finding_t){kinds[k], member, RISKLINE__V1__SEVERITY__SEVERITY_MEDIUM,
                                       rl_arena_printf(a, "milestone %s no longer exists", member), 0};
        return max < 2 ? max : 2;
    }
    return alert_rule_milestone(plan, m, today, p, a, out, max);
}

rl_err_t alert_store_sweep(rl_store_t *store, rl_arena_t *a, const char *tenant, const alert_policy_t *p,
                           int64_t now_ms, size_t *changes, rl_error_t *err)
{
    *changes = 0;
    int64_t today = rl_days_from_ms(now_ms);
    /* 1. what the index says is due: overdue or due within the window, O(log N + due) */
    rl_cmd_t *c = rl_cmd_new(a, "ZRANGEBYSCORE");
    rl_cmd_arg(c, key(a, tenant, "ms:due"));
    rl_cmd_arg(c, "-inf");
    rl_cmd_argf(c, "(%.0f", (double)(today + (int64_t)p->due_soon_days + 1) * SLOT);
    rl_cmd_arg(c, "LIMIT");
    rl_cmd_arg(c, "0");
    rl_cmd_argf(c, "%d", SWEEP_MAX);
    const rl_val_t *due;
    rl_err_t rc = rl_store_cmd(store, a, c, &due, err);
    if (rc)
        return rc;
    /* 2. what is open now: each re-checked, so a cleared condition resolves */
    c = rl_cmd_new(a, "ZRANGE");
    rl_cmd_arg(c, key(a, tenant, "idx:alert:open"));
    rl_cmd_arg(c, "0");
    rl_cmd_argf(c, "%d", SWEEP_MAX - 1);
    const rl_val_t *open;
    if ((rc = rl_store_cmd(store, a, c, &open, err)))
        return rc;
    if (due->type != RL_VAL_ARR || open->type != RL_VAL_ARR)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "sweep: unexpected reply");
    size_t nsub = 0;
    const char **subjects = rl_arena_alloc(a, (due->n + open->n + 1) * sizeof *subjects);
    if (!subjects)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    for (size_t i = 0; i < due->n; i++)
        subjects[nsub++] = due->elem[i].s;
    for (size_t i = 0; i < open->n; i++) {
        const char *ks = open->elem[i].s, *colon = strchr(ks, ':');
        if (colon && (!strncmp(ks, ALERT_MILESTONE_OVERDUE ":", strlen(ALERT_MILESTONE_OVERDUE) + 1) ||
                      !strncmp(ks, ALERT_MILESTONE_DUE_SOON ":", strlen(ALERT_MILESTONE_DUE_SOON) + 1)))
            subjects[nsub++] = colon + 1;
    }
    for (size_t i = 0; i < nsub; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(subjects[i], subjects[j]);
        if (seen)
            continue;
        alert_finding_t f[4];
        size_t nf = milestone_findings(store, a, tenant, subjects[i], today, p, f, 4);
        for (size_t k = 0; k < nf; k++) {
            int changed = 0;
            if ((rc = alert_store_apply(store, a, tenant, &f[k], now_ms, &changed, err)))
                return rc;
            *changes += (size_t)changed;
        }
    }
    return RL_OK;
}

rl_err_t alert_store_list(rl_store_t *store, rl_arena_t *a, const char *tenant, Riskline__V1__AlertState state,
                          uint32_t limit, Riskline__V1__AlertPage *page, rl_error_t *err)
{
    if (limit > RL_MAX_PAGE)
        return rl_error_set(err, RL_ERR_INVALID, "limit", "must be 1..%d, got %u", RL_MAX_PAGE, limit);
    if (!limit)
        limit = RL_DEFAULT_PAGE;
    int resolved = state == RISKLINE__V1__ALERT_STATE__ALERT_STATE_RESOLVED;
    rl_cmd_t *c = rl_cmd_new(a, resolved ? "ZREVRANGE" : "ZRANGE");
    rl_cmd_arg(c, key(a, tenant, resolved ? "idx:alert:resolved" : "idx:alert:open"));
    rl_cmd_arg(c, "0");
    rl_cmd_argf(c, "%u", (resolved ? limit : RL_MAX_LIST_SCAN) - 1);
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(store, a, c, &v, err);
    if (rc)
        return rc;
    if (v->type != RL_VAL_ARR)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "alerts: %s", v->type == RL_VAL_ERR ? v->s : "unexpected reply");
    alert_t **list = rl_arena_alloc(a, (v->n + 1) * sizeof *list);
    if (!list)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < v->n && n < limit; i++) {
        alert_t *al;
        uint64_t version;
        if ((rc = load(store, a, tenant, v->elem[i].s, &al, &version, err)))
            return rc;
        if (al && (!state || al->state == state))
            list[n++] = al;
    }
    page->alerts = list;
    page->n_alerts = n;
    page->next_cursor = (char *)protobuf_c_empty_string;
    return RL_OK;
}

rl_err_t alert_store_change(rl_store_t *store, const rl_bus_req_t *req, const Riskline__V1__AlertChange *q,
                            int64_t now_ms, alert_t **out, rl_error_t *err)
{
    rl_arena_t *a = req->arena;
    uint64_t n;
    if (!q->id || rl_entity_id_parse("AL", q->id, &n) != 0)
        return rl_error_set(err, RL_ERR_INVALID, "id", "must be an alert id such as AL-7");
    rl_cmd_t *c = rl_cmd_new(a, "HGET");
    rl_cmd_arg(c, key(a, req->tenant, "alert:ids"));
    rl_cmd_arg(c, q->id);
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(store, a, c, &v, err);
    if (rc)
        return rc;
    if (v->type != RL_VAL_STR)
        return rl_error_set(err, RL_ERR_NOT_FOUND, "id", "no alert %s in tenant %s", q->id, req->tenant);
    const char *ks = v->s;
    alert_t *al;
    uint64_t version;
    if ((rc = load(store, a, req->tenant, ks, &al, &version, err)))
        return rc;
    if (!al || strcmp(al->id, q->id) != 0)
        return rl_error_set(err, RL_ERR_NOT_FOUND, "id", "alert %s was superseded by a newer one of its kind", q->id);
    if (q->expected_version && q->expected_version != version)
        return rl_error_set(err, RL_ERR_CONFLICT, "expected_version", "alert %s is at version %llu, not %llu", q->id,
                            (unsigned long long)version, (unsigned long long)q->expected_version);
    if ((rc = alert_change(al, q->state, req->principal, now_ms, a, err)))
        return rc;
    const char *kind = q->state == RISKLINE__V1__ALERT_STATE__ALERT_STATE_RESOLVED ? "alert.resolved" : "alert.acknowledged";
    if ((rc = save(store, a, req->tenant, ks, al, version, kind, req->principal->name, req->request_id, now_ms, err)))
        return rc;
    *out = al;
    return RL_OK;
}
