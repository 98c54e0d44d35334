/* alert_store.c: alert records, their indexes and events, and the milestone sweep over ms:due. */
#include "alert_store.h"
#include "rl_codec.h"
#include "rl_event.h"
#include "rl_ids.h"
#include "rl_limits.h"
#include "rl_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
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
                     uint64_t expected, const char *kind, const char *actor, const char *request_id,
                     const char *comment, int64_t now_ms, rl_error_t *err)
{
    rl_principal_t who;
    memset(&who, 0, sizeof who);
    snprintf(who.name, sizeof who.name, "%s", actor);
    rl_bus_req_t req = {&who, NULL, tenant, request_id, a, NULL, 0, 0};
    al->version = expected + 1;
    Riskline__V1__DomainEvent *ev = rl_event_new(&req, kind, "alert", al->id, al->version, NULL, &al->base, NULL,
                                                 comment && comment[0] ? comment : al->message, now_ms);
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
        if ((rc = save(store, a, tenant, ks, al, version, "alert.raised", "monitor", rid, NULL, now_ms, err)))
            return rc;
        *changed = 1;
    } else if (!f->active && open) {
        alert_auto_resolve(cur, now_ms);
        cur->message = (char *)f->message;
        if ((rc = save(store, a, tenant, ks, cur, version, "alert.resolved", "monitor", rid, NULL, now_ms, err)))
            return rc;
        *changed = 1;
    }
    return RL_OK;
}

/* Loads plan id of the tenant (read only: the treatment service owns it), or NULL; *failed says
 * the store could not answer (then nothing may be concluded from the absence). */
static Riskline__V1__Plan *load_plan(rl_store_t *store, rl_arena_t *a, const char *tenant, const char *id, int *failed)
{
    rl_cmd_t *c = rl_cmd_new(a, "HGET");
    rl_cmd_arg(c, key(a, tenant, rl_arena_printf(a, "plan:%s", id)));
    rl_cmd_arg(c, "pb");
    const rl_val_t *v;
    rl_error_t err;
    *failed = rl_store_cmd(store, a, c, &v, &err) != RL_OK || v->type == RL_VAL_ERR;
    if (*failed || v->type != RL_VAL_STR)
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
    int failed = !plan_id;
    Riskline__V1__Plan *plan = plan_id ? load_plan(store, a, tenant, plan_id, &failed) : NULL;
    if (failed)
        return 0;
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

/* The findings for one subject of a rule family (it loads what it needs). */
typedef size_t (*findings_fn)(rl_store_t *store, rl_arena_t *a, const char *tenant, const char *subject,
                              int64_t today, int64_t now_ms, const alert_policy_t *p, alert_finding_t *out,
                              size_t max);

static size_t milestone_fn(rl_store_t *store, rl_arena_t *a, const char *tenant, const char *subject, int64_t today,
                           int64_t now_ms, const alert_policy_t *p, alert_finding_t *out, size_t max)
{
    (void)now_ms;
    return milestone_findings(store, a, tenant, subject, today, p, out, max);
}

static size_t plan_fn(rl_store_t *store, rl_arena_t *a, const char *tenant, const char *subject, int64_t today,
                      int64_t now_ms, const alert_policy_t *p, alert_finding_t *out, size_t max)
{
    int failed;
    Riskline__V1__Plan *plan = load_plan(store, a, tenant, subject, &failed);
    if (failed)
        return 0;
    if (!plan) {
        const char *kinds[3] = {ALERT_PLAN_PAST_TARGET, ALERT_BUDGET_OVERRUN, ALERT_PLAN_STALLED};
        size_t n = 0;
        for (; n < 3 && n < max; n++)
            out[n] = (alert_finding_t){kinds[n], subject, RISKLINE__V1__SEVERITY__SEVERITY_MEDIUM,
                                       rl_arena_printf(a, "plan %s no longer exists", subject), 0};
        return n;
    }
    return alert_rule_plan(plan, today, now_ms, p, a, out, max);
}

/* The day a "<day>*1e9+n" index holds for member: -1 when it is not in the index, -2 when the
 * store could not say (then nothing is concluded: an alert is never resolved on a failed read). */
static int64_t index_day(rl_store_t *store, rl_arena_t *a, const char *idx, const char *member)
{
    rl_cmd_t *c = rl_cmd_new(a, "ZSCORE");
    rl_cmd_arg(c, idx);
    rl_cmd_arg(c, member);
    const rl_val_t *v;
    rl_error_t err;
    if (rl_store_cmd(store, a, c, &v, &err) != RL_OK || v->type == RL_VAL_ERR)
        return -2;
    if (v->type != RL_VAL_STR)
        return -1;
    return (int64_t)(strtod(v->s, NULL) / SLOT);
}

static size_t review_fn(rl_store_t *store, rl_arena_t *a, const char *tenant, const char *subject, int64_t today,
                        int64_t now_ms, const alert_policy_t *p, alert_finding_t *out, size_t max)
{
    (void)now_ms;
    (void)p;
    int64_t day = index_day(store, a, key(a, tenant, "idx:risk:review"), subject);
    if (day == -2)
        return 0;
    if (day < 0 && max) {  /* archived or gone: nothing is due */
        out[0] = (alert_finding_t){ALERT_REVIEW_DUE, subject, RISKLINE__V1__SEVERITY__SEVERITY_MEDIUM,
                                   rl_arena_printf(a, "risk %s has no review due", subject), 0};
        return 1;
    }
    return alert_rule_review(subject, day, today, a, out, max);
}

static size_t acceptance_fn(rl_store_t *store, rl_arena_t *a, const char *tenant, const char *subject, int64_t today,
                            int64_t now_ms, const alert_policy_t *p, alert_finding_t *out, size_t max)
{
    (void)now_ms;
    int64_t day = index_day(store, a, key(a, tenant, "idx:accept:expiry"), subject);
    if (day == -2)
        return 0;
    if (day < 0) {
        const char *kinds[2] = {ALERT_ACCEPTANCE_EXPIRING, ALERT_ACCEPTANCE_EXPIRED};
        size_t n = 0;
        for (; n < 2 && n < max; n++)
            out[n] = (alert_finding_t){kinds[n], subject, RISKLINE__V1__SEVERITY__SEVERITY_MEDIUM,
                                       rl_arena_printf(a, "risk %s has no acceptance", subject), 0};
        return n;
    }
    return alert_rule_acceptance(subject, day, today, p, a, out, max);
}

static size_t metric_fn(rl_store_t *store, rl_arena_t *a, const char *tenant, const char *subject, int64_t today,
                        int64_t now_ms, const alert_policy_t *p, alert_finding_t *out, size_t max)
{
    (void)today;
    (void)p;
    rl_cmd_t *c = rl_cmd_new(a, "ZSCORE");
    rl_cmd_arg(c, key(a, tenant, "idx:metric:due"));
    rl_cmd_arg(c, subject);
    const rl_val_t *v;
    rl_error_t err;
    if (!max || rl_store_cmd(store, a, c, &v, &err) != RL_OK || v->type == RL_VAL_ERR)
        return 0;
    int64_t due = v->type == RL_VAL_STR ? (int64_t)strtod(v->s, NULL) : INT64_MAX;
    char date[RL_DATE_LEN];
    rl_date_format(rl_days_from_ms(due == INT64_MAX ? now_ms : due), date);
    out[0] = (alert_finding_t){ALERT_METRIC_NOT_MEASURED, subject, RISKLINE__V1__SEVERITY__SEVERITY_LOW,
                               due <= now_ms ? rl_arena_printf(a, "metric %s has no result since its due date %s",
                                                               subject, date)
                                             : rl_arena_printf(a, "metric %s is measured (next due %s)", subject, date),
                               due <= now_ms};
    return 1;
}

/* One rule family: the index that finds its subjects, the upper score bound, its alert kinds. */
typedef struct {
    const char *index;          /* key after rl:{t}: */
    int by_ms;                  /* the index scores are ms (else day*1e9+n) */
    findings_fn fn;
    const char *kinds[3];
} family_t;

static double upper_bound(const family_t *f, int64_t today, int64_t now_ms, const alert_policy_t *p)
{
    if (!strcmp(f->index, "ms:due"))
        return (double)(today + (int64_t)p->due_soon_days + 1) * SLOT;
    if (!strcmp(f->index, "idx:accept:expiry"))
        return (double)(today + (int64_t)p->acceptance_warn_days + 1) * SLOT;
    if (!strcmp(f->index, "idx:plan:updated"))
        return (double)(now_ms - (int64_t)p->stalled_days * 86400000LL);
    if (!strcmp(f->index, "idx:plan:overbudget"))
        return 1e300;
    if (!strcmp(f->index, "idx:metric:due"))
        return (double)now_ms + 1;
    return (double)today * SLOT;  /* past target; review due: due before tomorrow */
}

static const family_t families[] = {
    {"ms:due", 0, milestone_fn, {ALERT_MILESTONE_OVERDUE, ALERT_MILESTONE_DUE_SOON, NULL}},
    {"idx:plan:target", 0, plan_fn, {ALERT_PLAN_PAST_TARGET, ALERT_BUDGET_OVERRUN, ALERT_PLAN_STALLED}},
    {"idx:plan:updated", 1, plan_fn, {NULL, NULL, NULL}},
    {"idx:plan:overbudget", 1, plan_fn, {NULL, NULL, NULL}},
    {"idx:risk:review", 0, review_fn, {ALERT_REVIEW_DUE, NULL, NULL}},
    {"idx:accept:expiry", 0, acceptance_fn, {ALERT_ACCEPTANCE_EXPIRING, ALERT_ACCEPTANCE_EXPIRED, NULL}},
    {"idx:metric:due", 1, metric_fn, {ALERT_METRIC_NOT_MEASURED, NULL, NULL}},
};

static const family_t *family_of_kind(const char *kind, size_t len)
{
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        for (int k = 0; k < 3; k++)
            if (families[i].kinds[k] && strlen(families[i].kinds[k]) == len && !strncmp(families[i].kinds[k], kind, len))
                return &families[i];
    return NULL;
}

/* Applies every finding of fn for subject, unless this sweep handled the pair already. */
static rl_err_t sweep_subject(rl_store_t *store, rl_arena_t *a, const char *tenant, findings_fn fn, const char *subject,
                              int64_t today, int64_t now_ms, const alert_policy_t *p, const char ***seen, size_t *nseen,
                              size_t *changes, rl_error_t *err)
{
    for (size_t j = 0; j < *nseen; j += 2)
        if ((*seen)[j] == (const char *)fn && !strcmp((*seen)[j + 1], subject))
            return RL_OK;
    (*seen)[(*nseen)++] = (const char *)fn;
    (*seen)[(*nseen)++] = subject;
    alert_finding_t f[4];
    size_t nf = fn(store, a, tenant, subject, today, now_ms, p, f, 4);
    for (size_t k = 0; k < nf; k++) {
        int changed = 0;
        rl_err_t rc = alert_store_apply(store, a, tenant, &f[k], now_ms, &changed, err);
        if (rc)
            return rc;
        *changes += (size_t)changed;
    }
    return RL_OK;
}

rl_err_t alert_store_sweep(rl_store_t *store, rl_arena_t *a, const char *tenant, const alert_policy_t *p,
                           int64_t now_ms, size_t *changes, rl_error_t *err)
{
    *changes = 0;
    int64_t today = rl_days_from_ms(now_ms);
    size_t nfam = sizeof families / sizeof families[0];
    rl_cmd_t *cmds[10];
    const rl_val_t *vals[10];
    /* 1. what each index says is due now: O(log N + due) each, one round trip */
    for (size_t i = 0; i < nfam; i++) {
        rl_cmd_t *c = rl_cmd_new(a, "ZRANGEBYSCORE");
        rl_cmd_arg(c, key(a, tenant, families[i].index));
        rl_cmd_arg(c, "-inf");
        rl_cmd_argf(c, "(%.17g", upper_bound(&families[i], today, now_ms, p));
        rl_cmd_arg(c, "LIMIT");
        rl_cmd_arg(c, "0");
        rl_cmd_argf(c, "%d", SWEEP_MAX);
        cmds[i] = c;
    }
    /* 2. what is open now: each re-checked, so that a cleared condition resolves */
    cmds[nfam] = rl_cmd_new(a, "ZRANGE");
    rl_cmd_arg(cmds[nfam], key(a, tenant, "idx:alert:open"));
    rl_cmd_arg(cmds[nfam], "0");
    rl_cmd_argf(cmds[nfam], "%d", SWEEP_MAX - 1);
    rl_err_t rc = rl_store_pipeline(store, a, nfam + 1, cmds, vals, err);
    if (rc)
        return rc;
    size_t total = 0;
    for (size_t i = 0; i <= nfam; i++)
        total += vals[i]->type == RL_VAL_ARR ? vals[i]->n : 0;
    const char **seen = rl_arena_alloc(a, (2 * total + 2) * sizeof *seen);
    size_t nseen = 0;
    if (!seen)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    for (size_t i = 0; i < nfam; i++)
        for (size_t k = 0; vals[i]->type == RL_VAL_ARR && k < vals[i]->n; k++)
            if ((rc = sweep_subject(store, a, tenant, families[i].fn, vals[i]->elem[k].s, today, now_ms, p, &seen,
                                    &nseen, changes, err)))
                return rc;
    const rl_val_t *open = vals[nfam];
    for (size_t k = 0; open->type == RL_VAL_ARR && k < open->n; k++) {
        const char *ks = open->elem[k].s, *colon = strchr(ks, ':');
        const family_t *f = colon ? family_of_kind(ks, (size_t)(colon - ks)) : NULL;
        if (f && (rc = sweep_subject(store, a, tenant, f->fn, colon + 1, today, now_ms, p, &seen, &nseen, changes,
                                     err)))
            return rc;
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
    /* the person's comment is the event's: the audit trail says why it was acknowledged */
    if ((rc = save(store, a, req->tenant, ks, al, version, kind, req->principal->name, req->request_id, q->comment,
                   now_ms, err)))
        return rc;
    *out = al;
    return RL_OK;
}
