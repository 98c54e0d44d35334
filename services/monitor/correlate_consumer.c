/* correlate_consumer.c: reads the ingestion log (a consumer group), links each event to risks
 * directly, by asset or by the controls of open plans, and raises reassessment alerts. */
#include "correlate_consumer.h"
#include "alert_store.h"
#include "metric_store.h"
#include "rl_codec.h"
#include "rl_event.h"
#include "rl_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 100         /* entries read at once: each a batch of up to RL_MAX_BATCH events */
#define TICK_EVENTS 2000  /* events handled per tick at most: the loop keeps serving requests */
#define CONTEXT_REFRESH_MS 5000  /* risks' assets and plans' controls are re-read at most this often */
#define RECORD_ATTEMPTS 5  /* a result re-tried at once on a version conflict, then left pending */

static char *key(rl_arena_t *a, const char *tenant, const char *rest)
{
    return rl_arena_printf(a, "rl:{%s}:%s", tenant, rest);
}

#define CONTEXT_MAX 200000  /* risks or plans of a tenant held for correlation, at most */

/* The members of zset idx (every one, read a page of RL_MAX_LIST_SCAN at a time), each loaded from
 * "<prefix><member>" field pb, decoded as desc. */
static size_t load_all(rl_store_t *store, rl_arena_t *a, const char *idx, const char *prefix,
                       const ProtobufCMessageDescriptor *desc, void ***out, const char ***ids)
{
    rl_error_t err;
    const rl_val_t *v;
    rl_cmd_t *c = rl_cmd_new(a, "ZCARD");
    rl_cmd_arg(c, idx);
    if (rl_store_cmd(store, a, c, &v, &err) != RL_OK || v->type != RL_VAL_INT || v->i <= 0)
        return 0;
    /* sized once: the arena does not grow an array */
    size_t total = v->i > CONTEXT_MAX ? CONTEXT_MAX : (size_t)v->i, n = 0;
    *out = rl_arena_alloc(a, total * sizeof **out);
    *ids = rl_arena_alloc(a, total * sizeof **ids);
    rl_cmd_t **cmds = rl_arena_alloc(a, RL_MAX_LIST_SCAN * sizeof *cmds);
    const rl_val_t **vals = rl_arena_alloc(a, RL_MAX_LIST_SCAN * sizeof *vals);
    if (!*out || !*ids || !cmds || !vals)
        return 0;
    for (size_t off = 0; off < total;) {
        c = rl_cmd_new(a, "ZRANGE");
        rl_cmd_arg(c, idx);
        rl_cmd_argf(c, "%zu", off);
        rl_cmd_argf(c, "%zu", off + RL_MAX_LIST_SCAN - 1);
        if (rl_store_cmd(store, a, c, &v, &err) != RL_OK || v->type != RL_VAL_ARR || !v->n)
            break;
        size_t page = v->n;
        for (size_t i = 0; i < page; i++) {
            cmds[i] = rl_cmd_new(a, "HGET");
            rl_cmd_argf(cmds[i], "%s%s", prefix, v->elem[i].s);
            rl_cmd_arg(cmds[i], "pb");
        }
        if (rl_store_pipeline(store, a, page, cmds, vals, &err) != RL_OK)
            break;
        for (size_t i = 0; i < page && n < total; i++) {
            if (vals[i]->type != RL_VAL_STR)
                continue;
            void *m = rl_codec_unpack(desc, vals[i]->s, vals[i]->len, RL_MAX_REPLY_BYTES, a);
            if (m) {
                (*ids)[n] = v->elem[i].s;
                (*out)[n++] = m;
            }
        }
        off += page;
    }
    return n;
}

struct correlator {
    rl_store_t *store;
    rl_log_t *log;
    rl_clock_t *clock;
    event_policy_t policy;
    rl_group_reader_t reader;
    rl_arena_t *arena;       /* one batch */
    rl_arena_t *ctx_arena;   /* the tenant context below, kept between batches */
    char ctx_tenant[RL_MAX_TENANT + 1];
    int64_t ctx_at;
    event_risk_t *risks;
    size_t nrisks;
    event_plan_t *plans;
    size_t nplans;
};

correlator_t *correlator_new(rl_store_t *store, rl_log_t *log, rl_clock_t *clock, const rl_group_reader_t *reader)
{
    correlator_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->log = log;
    self->clock = clock;
    self->reader = *reader;
    event_policy_defaults(&self->policy);
    self->arena = rl_arena_new(0);
    self->ctx_arena = rl_arena_new(0);
    if (!self->arena || !self->ctx_arena)
        correlator_destroy(&self);
    return self;
}

void correlator_destroy(correlator_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rl_arena_destroy(&(*self_p)->arena);
    rl_arena_destroy(&(*self_p)->ctx_arena);
    free(*self_p);
    *self_p = NULL;
}

/* What correlation needs of a tenant: live risks with their assets, plans with their controls. */
static void load_context(correlator_t *self, const char *tenant)
{
    int64_t now = rl_mono_ms();
    if (!strcmp(self->ctx_tenant, tenant) && now - self->ctx_at < CONTEXT_REFRESH_MS)
        return;
    rl_arena_t *a = self->ctx_arena;
    rl_arena_reset(a);
    snprintf(self->ctx_tenant, sizeof self->ctx_tenant, "%s", tenant);
    self->ctx_at = now;
    void **risks, **plans;
    const char **rids, **pids;
    size_t nr = load_all(self->store, a, key(a, tenant, "idx:risk:id"), key(a, tenant, "risk:"),
                         &riskline__v1__risk__descriptor, &risks, &rids);
    size_t np = load_all(self->store, a, key(a, tenant, "idx:plan:id"), key(a, tenant, "plan:"),
                         &riskline__v1__plan__descriptor, &plans, &pids);
    self->risks = rl_arena_alloc(a, (nr + 1) * sizeof *self->risks);
    self->plans = rl_arena_alloc(a, (np + 1) * sizeof *self->plans);
    self->nrisks = self->nplans = 0;
    if (!self->risks || !self->plans)
        return;
    for (size_t i = 0; i < nr; i++) {
        Riskline__V1__Risk *r = risks[i];
        self->risks[self->nrisks++] = (event_risk_t){rids[i], r->assets, r->n_assets};
    }
    for (size_t i = 0; i < np; i++) {
        Riskline__V1__Plan *p = plans[i];
        char **ctl = rl_arena_alloc(a, (p->n_controls + 1) * sizeof *ctl);
        if (!ctl)
            return;
        for (size_t k = 0; k < p->n_controls; k++)
            ctl[k] = p->controls[k]->control_id;
        int open = p->state != RISKLINE__V1__PLAN_STATE__PLAN_STATE_CLOSED &&
                   p->state != RISKLINE__V1__PLAN_STATE__PLAN_STATE_CANCELLED;
        self->plans[self->nplans++] = (event_plan_t){p->risk_id, ctl, p->n_controls, open};
    }
}

/* A KRI measurement or a control test is a result of metrics (9.1), recorded as if from the CLI
 * (alerts, effectiveness): the KRI's named metric; the control test's metrics as
 * measure_control_test_targets picks them. A control test that no metric takes is kept in
 * rl:{t}:riskevent:unmeasured (ZADD: counted once however often it is handled) and logged. Request
 * ids per entry id, event index (and metric): a redelivered entry records nothing twice.
 * RL_ERR_UNAVAILABLE, or a version conflict that outlasts RECORD_ATTEMPTS (replicas recording the
 * same metric at once), leaves the entry pending; other failures are logged and passed over. */
static rl_err_t record_measurement(correlator_t *self, const char *tenant, const char *id, size_t k,
                                   const Riskline__V1__RiskEvent *e, rl_error_t *err)
{
    int kri = e->kind == RISKLINE__V1__EVENT_KIND__EVENT_KIND_KRI_MEASUREMENT;
    if ((!kri && e->kind != RISKLINE__V1__EVENT_KIND__EVENT_KIND_CONTROL_TEST) ||
        e->measurement_case != RISKLINE__V1__RISK_EVENT__MEASUREMENT_VALUE)
        return RL_OK;
    rl_arena_t *a = self->arena;
    const char *named = event_attribute(e, "metric");
    const char **ids = &named;
    size_t nids = named ? 1 : 0;
    rl_error_t merr;
    rl_error_clear(&merr);
    if (!kri) {
        metric_t **all;
        size_t n, idx[RL_MAX_PAGE];
        rl_err_t rc = metric_store_all(self->store, a, tenant, &all, &n, &merr);
        if (rc == RL_ERR_UNAVAILABLE)
            return rl_error_set(err, rc, merr.field, "%s", merr.message);
        nids = rc ? 0 : measure_control_test_targets(named, e->controls, e->n_controls, all, n, idx, RL_MAX_PAGE);
        ids = rl_arena_alloc(a, (nids + 1) * sizeof *ids);
        if (!ids)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
        for (size_t i = 0; i < nids; i++)
            ids[i] = all[idx[i]]->id;
        if (!nids) {
            rl_log_warn(self->log, "control test measures no metric: kept as unmeasured", "tenant", tenant,
                        "source", e->source, "event", e->event_id, "metric", named ? named : "",
                        "reason", rc ? merr.message : "no metric takes it");
            rl_cmd_t *c = rl_cmd_new(a, "ZADD");
            rl_cmd_arg(c, key(a, tenant, "riskevent:unmeasured"));
            rl_cmd_argf(c, "%lld", (long long)e->occurred_at_ms);
            rl_cmd_arg(c, rl_arena_printf(a, "%s\n%s", e->source, e->event_id));
            const rl_val_t *v;
            return rl_store_cmd(self->store, a, c, &v, err);
        }
    }
    rl_principal_t who;
    memset(&who, 0, sizeof who);
    snprintf(who.name, sizeof who.name, "%s", e->received_by && e->received_by[0] ? e->received_by : "monitor");
    for (size_t i = 0; i < nids; i++) {
        char rid[RL_MAX_REQUEST_ID + 1];
        if (kri)
            snprintf(rid, sizeof rid, "kri-%s-%zu", id, k);
        else
            snprintf(rid, sizeof rid, "ct-%s-%zu-%s", id, k, ids[i]);
        rl_bus_req_t req = {&who, NULL, tenant, rid, a};
        metric_t *m;
        rl_err_t rc = RL_ERR_CONFLICT;
        /* a conflict: another replica (or a user) recorded a result of the metric meanwhile; each
         * attempt re-reads it, and the request id keeps a result written once */
        for (int attempt = 0; attempt < RECORD_ATTEMPTS && rc == RL_ERR_CONFLICT; attempt++) {
            rl_error_clear(&merr);
            rc = metric_store_record(self->store, &req, ids[i], e->value, e->occurred_at_ms,
                                     rl_clock_now(self->clock), &m, &merr);
        }
        if (rc == RL_ERR_UNAVAILABLE || rc == RL_ERR_CONFLICT)  /* not acknowledged: read again, recorded then */
            return rl_error_set(err, rc, merr.field, "%s", merr.message);
        if (rc)
            rl_log_warn(self->log, kri ? "KRI measurement not recorded" : "control test not recorded", "tenant",
                        tenant, "metric", ids[i], "reason", merr.message);
    }
    return RL_OK;
}

/* Links event k of entry `id` and raises what its links call for; RL_OK when it may be
 * acknowledged. Handling it again (the entry stayed pending) changes nothing more. */
static rl_err_t handle(correlator_t *self, const char *tenant, const char *id, size_t k, const char *bytes,
                       size_t len, Riskline__V1__RiskEvent **out, rl_error_t *err)
{
    rl_arena_t *a = self->arena;
    *out = NULL;
    Riskline__V1__RiskEvent *e =
        rl_codec_unpack(&riskline__v1__risk_event__descriptor, bytes, len, RL_MAX_REPLY_BYTES, a);
    if (!e)
        return RL_OK;
    rl_err_t rc = record_measurement(self, tenant, id, k, e, err);
    if (rc)
        return rc;
    load_context(self, tenant);
    char **linked;
    size_t nl;
    rc = event_correlate(e, self->risks, self->nrisks, self->plans, self->nplans, a, &linked, &nl, err);
    if (rc)
        return rc;
    e->linked_risks = linked;  /* what subscribers see of it (record_entry) */
    e->n_linked_risks = nl;
    *out = e;
    int64_t now = rl_clock_now(self->clock);
    const char *member = rl_arena_printf(a, "%s\n%s", e->source, e->event_id);
    if (!nl) {  /* kept and reported as unlinked */
        rl_cmd_t *c = rl_cmd_new(a, "ZADD");
        rl_cmd_arg(c, key(a, tenant, "riskevent:unlinked"));
        rl_cmd_argf(c, "%lld", (long long)e->occurred_at_ms);
        rl_cmd_arg(c, member);
        const rl_val_t *v;
        return rl_store_cmd(self->store, a, c, &v, err);
    }
    for (size_t i = 0; i < nl; i++) {
        /* the risk's recent linked events: the count in the window decides with the severity */
        const char *lk = key(a, tenant, rl_arena_printf(a, "riskevent:linked:%s", linked[i]));
        rl_cmd_t *cmds[2];
        cmds[0] = rl_cmd_new(a, "ZADD");
        rl_cmd_arg(cmds[0], lk);
        rl_cmd_argf(cmds[0], "%lld", (long long)e->occurred_at_ms);
        rl_cmd_arg(cmds[0], member);
        cmds[1] = rl_cmd_new(a, "ZCOUNT");
        rl_cmd_arg(cmds[1], lk);
        rl_cmd_argf(cmds[1], "%lld", (long long)(now - (int64_t)self->policy.window_days * 86400000LL));
        rl_cmd_arg(cmds[1], "+inf");
        const rl_val_t *v[2];
        if ((rc = rl_store_pipeline(self->store, a, 2, cmds, v, err)))
            return rc;
        uint32_t count = v[1]->type == RL_VAL_INT ? (uint32_t)v[1]->i : 1;
        if (!event_triggers_reassessment(e, count, &self->policy))
            continue;
        char sev[16];
        snprintf(sev, sizeof sev, "%s", event_severity_name(e->severity));
        alert_finding_t f = {ALERT_REASSESSMENT, linked[i], e->severity,
                             rl_arena_printf(a, "%s event %s from %s (%s, %u in %u days): %.300s", sev, e->event_id,
                                             e->source, event_kind_name(e->kind), count, self->policy.window_days,
                                             e->summary),
                             1};
        int changed;
        if ((rc = alert_store_apply(self->store, a, tenant, &f, now, &changed, err)))
            return rc;
        if (changed)
            rl_log_info(self->log, "reassessment raised", "tenant", tenant, "risk", linked[i], "event", e->event_id,
                        "source", e->source);
    }
    return RL_OK;
}

/* The events of entry `id`, as correlated, become one domain event "event.received" (entity: the
 * EventBatch, each event with its linked risks) in the tenant's stream, so subscribers see risk
 * events arrive (topic <tenant>.event) and the audit trail holds them. One signed write per entry
 * (an ingestion batch), not per event. Written again after a crash before the ack: the entity
 * exists (conflict) or the request id is known (duplicate): both mean done. */
static rl_err_t record_entry(correlator_t *self, const char *tenant, const char *id, Riskline__V1__RiskEvent **evs,
                             size_t n, rl_error_t *err)
{
    rl_arena_t *a = self->arena;
    size_t linked = 0;
    for (size_t i = 0; i < n; i++)
        linked += evs[i]->n_linked_risks > 0;
    Riskline__V1__EventBatch batch = RISKLINE__V1__EVENT_BATCH__INIT;
    batch.events = evs;
    batch.n_events = n;
    rl_principal_t who;
    memset(&who, 0, sizeof who);
    snprintf(who.name, sizeof who.name, "%s", evs[0]->received_by && evs[0]->received_by[0] ? evs[0]->received_by
                                                                                              : "monitor");
    char rid[RL_MAX_REQUEST_ID + 1];
    snprintf(rid, sizeof rid, "ev-%s", id);
    rl_bus_req_t req = {&who, NULL, tenant, rid, a};
    const char *eid = rl_arena_printf(a, "%s/%s", evs[0]->source, evs[0]->event_id);
    const char *comment = rl_arena_printf(a, "%zu event%s from %s; %zu linked to risks", n, n == 1 ? "" : "s",
                                          evs[0]->source, linked);
    Riskline__V1__DomainEvent *ev =
        rl_event_new(&req, "event.received", "event_batch", eid, 1, NULL, &batch.base, NULL, comment,
                     rl_clock_now(self->clock));
    size_t blob_len = 0, ev_len = 0;
    uint8_t *blob = rl_codec_pack(&batch.base, a, &blob_len);
    uint8_t *evb = ev ? rl_codec_pack(&ev->base, a, &ev_len) : NULL;
    if (!eid || !comment || !blob || !evb)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    rl_write_t w = {
        .entity_key = key(a, tenant, rl_arena_printf(a, "riskevent:entry:%s", id)), .expected_version = 0,
        .new_version = 1, .blob = blob, .blob_len = blob_len, .stream_key = key(a, tenant, "events"),
        .event = evb, .event_len = ev_len,
        .dedupe_key = key(a, tenant, rl_arena_printf(a, "req:monitor:%s", rid)), .dedupe_value = eid,
    };
    rl_write_result_t res;
    rl_err_t rc = rl_store_write(self->store, a, &w, &res, err);
    return rc == RL_ERR_CONFLICT ? RL_OK : rc;
}

/* One turn on a tenant's log: reads (own pending first), handles at most TICK_EVENTS events (the
 * arena is sized for that), acknowledges what it handled. Returns the entries acknowledged. */
static size_t correlate_tenant(correlator_t *self, const char *tenant, int claim)
{
    rl_error_t err;
    rl_error_clear(&err);
    rl_arena_reset(self->arena);
    const char *stream = key(self->arena, tenant, "riskevent:log");
    rl_stream_entry_t *ents;
    size_t n;
    if (rl_store_group_read(self->store, self->arena, stream, &self->reader, claim, BATCH, &ents, &n, &err) != RL_OK)
        return 0;
    /* handled entries are acknowledged together; one that fails stays pending with the rest */
    const char **done = rl_arena_alloc(self->arena, (n ? n : 1) * sizeof *done);
    size_t ndone = 0, nevents = 0;
    for (size_t i = 0; done && i < n && nevents < TICK_EVENTS && !rl_group_give_up(&self->reader); i++) {
        /* an entry is an ingestion batch: a field `e` per event */
        const char *bytes;
        size_t len, k = 0, nev = 0;
        rl_err_t rc = RL_OK;
        Riskline__V1__RiskEvent **evs = rl_arena_alloc(self->arena, (RL_MAX_BATCH + 1) * sizeof *evs);
        if (!evs)
            break;
        while (rc == RL_OK && k < RL_MAX_BATCH && rl_stream_entry_event(&ents[i], k, &bytes, &len) == 0) {
            rc = handle(self, tenant, ents[i].id, k++, bytes, len, &evs[nev], &err);
            nev += rc == RL_OK && evs[nev];
        }
        if (rc == RL_OK && nev)
            rc = record_entry(self, tenant, ents[i].id, evs, nev, &err);
        nevents += k;
        if (rc != RL_OK) {
            rl_log_warn(self->log, "event not correlated yet", "tenant", tenant, "stream_id", ents[i].id, "reason",
                        err.message);
            break;  /* left pending: read again first next time */
        }
        done[ndone++] = ents[i].id;
    }  /* entries read but not reached stay pending: read again first next tick */
    if (done && rl_store_ack_many(self->store, self->arena, stream, self->reader.group, done, ndone, &err) == RL_OK)
        return ndone;
    return 0;
}

size_t correlator_tick(correlator_t *self)
{
    rl_error_t err;
    rl_error_clear(&err);
    rl_arena_reset(self->arena);
    const char **tenants;
    size_t nt, total = 0;
    if (rl_store_tenants(self->store, self->arena, &tenants, &nt, &err) != RL_OK)
        return 0;
    /* the tenant list lives in the batch arena: copy the names before resetting per tenant */
    char (*names)[RL_MAX_TENANT + 1] = calloc(nt ? nt : 1, sizeof *names);
    if (!names)
        return 0;
    for (size_t t = 0; t < nt; t++)
        snprintf(names[t], sizeof names[t], "%s", tenants[t]);
    int claim = rl_group_claim_due(&self->reader, rl_mono_ms());
    for (size_t t = 0; t < nt && !rl_group_give_up(&self->reader); t++) {
        size_t got;
        /* stopping: turn again while it still holds entries (its reads return only those), no
         * request waits for the loop any more; rl_group_give_up bounds it */
        do {
            got = correlate_tenant(self, names[t], claim);
            total += got;
        } while (got && rl_group_stopping(&self->reader) && !rl_group_give_up(&self->reader));
    }
    free(names);
    return total;
}
