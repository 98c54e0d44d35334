/* metric_store.c: metric definitions and results (ISO/IEC 27001 9.1) in Redis, each change with its
 * event; a breach raises an alert, a result in range resolves it; effectiveness per control. */
#include "metric_store.h"
#include "alert_store.h"
#include "rl_codec.h"
#include "rl_event.h"
#include "rl_ids.h"
#include "rl_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *key(rl_arena_t *a, const char *tenant, const char *rest)
{
    return rl_arena_printf(a, "rl:{%s}:%s", tenant, rest);
}

/* When the metric is next due: the monitor's not-measured sweep reads this index. */
static double due_ms(const metric_t *m, int64_t created_at_ms)
{
    int64_t from = m->last_at_ms ? m->last_at_ms : created_at_ms;
    return (double)(from + (int64_t)m->frequency_days * 86400000LL);
}

/* *outcome (may be NULL) says whether this request id was written before (then nothing is). */
static rl_err_t save(rl_store_t *store, const rl_bus_req_t *req, metric_t *m, uint64_t expected, const char *kind,
                     const char *comment, int64_t now_ms, rl_write_outcome_t *outcome, rl_error_t *err)
{
    rl_arena_t *a = req->arena;
    uint64_t n;
    if (rl_entity_id_parse("K", m->id, &n) != 0)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "bad metric id %s", m->id);
    m->version = expected + 1;
    Riskline__V1__DomainEvent *ev =
        rl_event_new(req, kind, "metric", m->id, m->version, NULL, &m->base, NULL, comment, now_ms);
    size_t blob_len = 0, ev_len = 0;
    uint8_t *blob = rl_codec_pack(&m->base, a, &blob_len);
    uint8_t *evb = ev ? rl_codec_pack(&ev->base, a, &ev_len) : NULL;
    if (!blob || !evb)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    const char *ek = key(a, req->tenant, rl_arena_printf(a, "metric:%s", m->id));
    rl_op_t ops[3] = {
        {RL_OP_ZADD, key(a, req->tenant, "idx:metric:id"), (double)n, m->id, NULL},
        {RL_OP_ZADD, key(a, req->tenant, "idx:metric:due"), due_ms(m, now_ms), m->id, NULL},
        {RL_OP_HISTORY, rl_arena_printf(a, "%s:hist", ek), 0, NULL, NULL},
    };
    rl_write_t w = {
        .entity_key = ek, .expected_version = expected, .new_version = m->version, .blob = blob,
        .blob_len = blob_len, .stream_key = key(a, req->tenant, "events"), .event = evb, .event_len = ev_len,
        .dedupe_key = key(a, req->tenant, rl_arena_printf(a, "req:monitor:%s", req->request_id)),
        .dedupe_value = m->id, .ops = ops, .nops = 3,
    };
    rl_write_result_t res;
    rl_err_t rc = rl_store_write(store, a, &w, &res, err);
    if (rc == RL_ERR_CONFLICT)
        return rl_error_set(err, RL_ERR_CONFLICT, "metric_id", "metric %s changed meanwhile: try again", m->id);
    if (outcome)
        *outcome = res.outcome;
    return rc;
}

rl_err_t metric_store_get(rl_store_t *store, rl_arena_t *a, const char *tenant, const char *id, metric_t **out,
                          rl_error_t *err)
{
    uint64_t n;
    if (!id || rl_entity_id_parse("K", id, &n) != 0)
        return rl_error_set(err, RL_ERR_INVALID, "metric_id", "must be a metric id such as K-3");
    rl_cmd_t *c = rl_cmd_new(a, "HMGET");
    rl_cmd_arg(c, key(a, tenant, rl_arena_printf(a, "metric:%s", id)));
    rl_cmd_arg(c, "v");
    rl_cmd_arg(c, "pb");
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(store, a, c, &v, err);
    if (rc)
        return rc;
    if (v->type != RL_VAL_ARR || v->n != 2 || v->elem[1].type != RL_VAL_STR)
        return rl_error_set(err, RL_ERR_NOT_FOUND, "metric_id", "no metric %s in tenant %s", id, tenant);
    *out = rl_codec_unpack(&riskline__v1__metric__descriptor, v->elem[1].s, v->elem[1].len, RL_MAX_FRAME_BYTES, a);
    if (!*out)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "metric %s does not decode", id);
    (*out)->version = v->elem[0].type == RL_VAL_STR ? strtoull(v->elem[0].s, NULL, 10) : 0;
    return RL_OK;
}

rl_err_t metric_store_all(rl_store_t *store, rl_arena_t *a, const char *tenant, metric_t ***out, size_t *n,
                          rl_error_t *err)
{
    rl_cmd_t *c = rl_cmd_new(a, "ZRANGE");
    rl_cmd_arg(c, key(a, tenant, "idx:metric:id"));
    rl_cmd_arg(c, "0");
    rl_cmd_argf(c, "%d", RL_MAX_LIST_SCAN - 1);
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(store, a, c, &v, err);
    if (rc)
        return rc;
    *n = 0;
    *out = rl_arena_alloc(a, ((v->type == RL_VAL_ARR ? v->n : 0) + 1) * sizeof **out);
    if (!*out)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    for (size_t i = 0; v->type == RL_VAL_ARR && i < v->n; i++) {
        metric_t *m;
        if ((rc = metric_store_get(store, a, tenant, v->elem[i].s, &m, err)))
            return rc;
        (*out)[(*n)++] = m;
    }
    return RL_OK;
}

Riskline__V1__Effectiveness metric_store_effectiveness(metric_t *const *all, size_t n, const char *control_id,
                                                       int64_t now_ms)
{
    const metric_t *mine[RL_MAX_PAGE];
    size_t k = 0;
    for (size_t i = 0; i < n && k < RL_MAX_PAGE; i++)
        if (control_id && all[i]->control_id && !strcmp(all[i]->control_id, control_id))
            mine[k++] = all[i];
    return measure_control(mine, k, now_ms);
}

rl_err_t metric_store_define(rl_store_t *store, const rl_bus_req_t *req, const metric_t *in, int64_t now_ms,
                             metric_t **out, rl_error_t *err)
{
    rl_err_t rc = measure_validate(in, err);
    if (rc)
        return rc;
    rl_arena_t *a = req->arena;
    size_t len = 0;
    uint8_t *bytes = rl_codec_pack(&in->base, a, &len);
    metric_t *m = bytes ? rl_codec_unpack(&riskline__v1__metric__descriptor, bytes, len, RL_MAX_FRAME_BYTES, a) : NULL;
    if (!m)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    uint64_t n;
    const char *dup;
    if ((rc = rl_store_reserve(store, a, key(a, req->tenant, "seq:metric"),
                               key(a, req->tenant, rl_arena_printf(a, "req:monitor:%s", req->request_id)), 1, &n, &dup,
                               err)))
        return rc;
    if (dup)
        return metric_store_get(store, a, req->tenant, dup, out, err);
    char idbuf[RL_MAX_ENTITY_ID + 1];
    m->id = rl_arena_strdup(a, rl_entity_id_format("K", n, idbuf, sizeof idbuf));
    m->last_at_ms = 0;
    m->last_value = 0;
    if (!m->weight)
        m->weight = 1;
    m->base.n_unknown_fields = 0;
    if ((rc = save(store, req, m, 0, "metric.defined", m->name, now_ms, NULL, err)))
        return rc;
    *out = m;
    return RL_OK;
}

/* The metric's last value against its thresholds: the level and a comment for events and alerts. */
static const char *describe(rl_arena_t *a, const metric_t *m, measure_level_t *lvl, const char **level)
{
    *lvl = measure_level(m, m->last_value);
    *level = *lvl == MEASURE_BREACH ? "breach" : *lvl == MEASURE_WARNING ? "warning" : "ok";
    return rl_arena_printf(a, "%g (%s; target %g, warning %g, breach %g)", m->last_value, *level, m->target,
                           m->warning, m->breach);
}

rl_err_t metric_store_record(rl_store_t *store, const rl_bus_req_t *req, const char *id, double value, int64_t at_ms,
                             int64_t now_ms, metric_t **out, rl_error_t *err)
{
    rl_arena_t *a = req->arena;
    metric_t *m;
    rl_err_t rc = metric_store_get(store, a, req->tenant, id, &m, err);
    if (rc)
        return rc;
    if (value != value || value > 1e15 || value < -1e15)
        return rl_error_set(err, RL_ERR_INVALID, "value", "must be a finite number within +-1e15");
    if (at_ms < 0 || at_ms > now_ms + 86400000LL)
        return rl_error_set(err, RL_ERR_INVALID, "at_ms", "must not be more than a day in the future");
    uint64_t expected = m->version;
    m->last_at_ms = at_ms ? at_ms : now_ms;
    m->last_value = value;
    measure_level_t lvl;
    const char *level, *comment = describe(a, m, &lvl, &level);
    rl_write_outcome_t outcome;
    if ((rc = save(store, req, m, expected, "metric.recorded", comment, now_ms, &outcome, err)))
        return rc;
    if (outcome == RL_WRITE_DUPLICATE) {
        /* recorded before (a retried request, a redelivered event): the alerts follow the metric
         * as it is now, which a newer result may have changed since */
        if ((rc = metric_store_get(store, a, req->tenant, id, &m, err)))
            return rc;
        comment = describe(a, m, &lvl, &level);
    }
    /* a breach raises its alert; a result back in range resolves it; a fresh result clears "not measured" */
    alert_finding_t f[2] = {
        {ALERT_METRIC_BREACH, m->id,
         RISKLINE__V1__SEVERITY__SEVERITY_HIGH,
         rl_arena_printf(a, "metric %s \"%.200s\" (%s%s): %s", m->id, m->name,
                         m->control_id[0] ? "control " : "risk ", m->control_id[0] ? m->control_id : m->risk_id,
                         comment),
         lvl == MEASURE_BREACH},
        {ALERT_METRIC_NOT_MEASURED, m->id, RISKLINE__V1__SEVERITY__SEVERITY_LOW,
         rl_arena_printf(a, "metric %s measured %s", m->id, level), 0},
    };
    for (int i = 0; i < 2; i++) {
        int changed;
        if ((rc = alert_store_apply(store, a, req->tenant, &f[i], now_ms, &changed, err)))
            return rc;
    }
    /* a control found ineffective: an alert, which the treatment service follows by marking the
     * plans that implement the control for review; effective again, the alert resolves */
    if (m->control_id && m->control_id[0]) {
        metric_t **all;
        size_t n;
        if ((rc = metric_store_all(store, a, req->tenant, &all, &n, err)))
            return rc;
        Riskline__V1__Effectiveness eff = metric_store_effectiveness(all, n, m->control_id, now_ms);
        alert_finding_t c = {ALERT_CONTROL_INEFFECTIVE, m->control_id, RISKLINE__V1__SEVERITY__SEVERITY_HIGH,
                             rl_arena_printf(a, "control %s is %s by its metrics (latest: %s %s)", m->control_id,
                                             eff == RISKLINE__V1__EFFECTIVENESS__EFFECTIVENESS_INEFFECTIVE
                                                 ? "ineffective" : "no longer ineffective",
                                             m->id, comment),
                             eff == RISKLINE__V1__EFFECTIVENESS__EFFECTIVENESS_INEFFECTIVE};
        int changed;
        if ((rc = alert_store_apply(store, a, req->tenant, &c, now_ms, &changed, err)))
            return rc;
    }
    *out = m;
    return RL_OK;
}
