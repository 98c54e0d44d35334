/* correlate_consumer.c: reads the ingestion log (a consumer group), links each event to risks
 * directly, by asset or by the controls of open plans, and raises reassessment alerts. */
#include "correlate_consumer.h"
#include "alert_store.h"
#include "metric_store.h"
#include "rl_codec.h"
#include "rl_event.h"
#include "rl_ingest.h"
#include "rl_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_EVENTS 200   /* events read at once, about: entries are batches of 1..RL_MAX_BATCH events, so
                           * the count of entries follows their recent size. Not more: Redis builds a
                           * read's reply in one go (~30 KB per 100 events), and an ingestion append
                           * waits behind it (1000 made the senders' p99 ~2x) */
#define READ_ENTRIES_MAX 100
#define TICK_EVENTS 5000   /* events handled per tick at most ... */
#define TICK_BUDGET_MS 20  /* ... and for at most this long (then the entry in hand is finished): the
                            * work thread then sees a stop, and the next tick starts at the next
                            * tenant; a tick that handled entries is followed by the next at once */
#define LINK_PIPELINE 512 /* commands of an entry's links sent in one round trip at most */
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
    size_t next_tenant;      /* where the next tick starts (its budget ran out there) */
    size_t avg_events;       /* events per entry lately (READ_EVENTS) */
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
    self->avg_events = RL_MAX_BATCH;
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
        rl_bus_req_t req = {&who, NULL, tenant, rid, a, NULL, 0, 0};
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

/* Records event k of entry `id` when it is a measurement, and correlates it: e gets its linked
 * risks. RL_OK when it may go on to link_entry. */
static rl_err_t prepare(correlator_t *self, const char *tenant, const char *id, size_t k, Riskline__V1__RiskEvent *e,
                        rl_error_t *err)
{
    rl_arena_t *a = self->arena;
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
    return RL_OK;
}

/* The commands of one link_entry pipeline, and for each ZCOUNT the event and risk it counts for. */
typedef struct {
    rl_cmd_t *cmd[LINK_PIPELINE];
    const rl_val_t *val[LINK_PIPELINE];
    const Riskline__V1__RiskEvent *ev[LINK_PIPELINE];  /* NULL: a ZADD */
    const char *risk[LINK_PIPELINE];
    size_t n;
    const char **raised;  /* risks whose reassessment this entry raised (or found open) */
    size_t nraised;
} link_batch_t;

/* Sends the batch, then raises the reassessments its counts call for: one alert_store_apply per
 * risk per entry, since a risk's alert, once open, is not raised again (alert_store.h). */
static rl_err_t link_flush(correlator_t *self, const char *tenant, link_batch_t *lb, int64_t now, rl_error_t *err)
{
    rl_arena_t *a = self->arena;
    rl_err_t rc = lb->n ? rl_store_pipeline(self->store, a, lb->n, lb->cmd, lb->val, err) : RL_OK;
    size_t n = lb->n;
    lb->n = 0;
    for (size_t c = 0; rc == RL_OK && c < n; c++) {
        const Riskline__V1__RiskEvent *e = lb->ev[c];
        if (!e)
            continue;
        uint32_t count = lb->val[c]->type == RL_VAL_INT ? (uint32_t)lb->val[c]->i : 1;
        if (!event_triggers_reassessment(e, count, &self->policy))
            continue;
        size_t r = 0;
        while (r < lb->nraised && strcmp(lb->raised[r], lb->risk[c]))
            r++;
        if (r < lb->nraised)
            continue;
        lb->raised[lb->nraised++] = lb->risk[c];
        char sev[16];
        snprintf(sev, sizeof sev, "%s", event_severity_name(e->severity));
        alert_finding_t f = {ALERT_REASSESSMENT, lb->risk[c], e->severity,
                             rl_arena_printf(a, "%s event %s from %s (%s, %u in %u days): %.300s", sev, e->event_id,
                                             e->source, event_kind_name(e->kind), count, self->policy.window_days,
                                             e->summary),
                             1};
        int changed;
        if ((rc = alert_store_apply(self->store, a, tenant, &f, now, &changed, err)))
            break;
        if (changed)
            rl_log_info(self->log, "reassessment raised", "tenant", tenant, "risk", lb->risk[c], "event", e->event_id,
                        "source", e->source);
    }
    return rc;
}

/* Adds each linked event of an entry to its risks' rl:{t}:riskevent:linked:<R>, reading the count
 * in the window just after each add: in one pipeline, in order, so each event counts those before
 * it exactly as one at a time would. Then the reassessments the counts and severities call for.
 * (Unlinked events are counted by record_entry.) RL_OK when the entry may be acknowledged;
 * handling it again (it stayed pending) changes nothing more (ZADD of the same member). */
static rl_err_t link_entry(correlator_t *self, const char *tenant, Riskline__V1__RiskEvent *const *evs, size_t n,
                           rl_error_t *err)
{
    rl_arena_t *a = self->arena;
    size_t pairs = 0;
    for (size_t i = 0; i < n; i++)
        pairs += evs[i]->n_linked_risks;
    link_batch_t *lb = rl_arena_alloc(a, sizeof *lb);
    if (!lb || !(lb->raised = rl_arena_alloc(a, (pairs + 1) * sizeof *lb->raised)))
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    lb->n = lb->nraised = 0;
    int64_t now = rl_clock_now(self->clock);
    const char *since = rl_arena_printf(a, "%lld", (long long)(now - (int64_t)self->policy.window_days * 86400000LL));
    rl_err_t rc = RL_OK;
    for (size_t i = 0; rc == RL_OK && i < n; i++) {
        const Riskline__V1__RiskEvent *e = evs[i];
        if (!e->n_linked_risks)
            continue;
        const char *member = rl_arena_printf(a, "%s\n%s", e->source, e->event_id);
        const char *at = rl_arena_printf(a, "%lld", (long long)e->occurred_at_ms);
        for (size_t j = 0; rc == RL_OK && j < e->n_linked_risks; j++) {
            if (lb->n + 2 > LINK_PIPELINE)
                rc = link_flush(self, tenant, lb, now, err);
            const char *zkey = key(a, tenant, rl_arena_printf(a, "riskevent:linked:%s", e->linked_risks[j]));
            rl_cmd_t *c = rl_cmd_new(a, "ZADD");
            rl_cmd_arg(c, zkey);
            rl_cmd_arg(c, at);
            rl_cmd_arg(c, member);
            lb->ev[lb->n] = NULL;
            lb->cmd[lb->n++] = c;
            c = rl_cmd_new(a, "ZCOUNT");
            rl_cmd_arg(c, zkey);
            rl_cmd_arg(c, since);
            rl_cmd_arg(c, "+inf");
            lb->ev[lb->n] = e;
            lb->risk[lb->n] = e->linked_risks[j];
            lb->cmd[lb->n++] = c;
        }
    }
    return rc == RL_OK ? link_flush(self, tenant, lb, now, err) : rc;
}

/* The events of entry `id`, as correlated, become one domain event "event.received" (entity: the
 * EventBatch, each event with its linked risks) in the tenant's stream, so subscribers see risk
 * events arrive (topic <tenant>.event) and the audit trail holds them. One signed write per entry
 * (an ingestion batch), not per event. In the same atomic step the events that matched no risk are
 * counted per source (rl:{t}:riskevent:count "<source>.unlinked", shown by monitor status), so a
 * redelivered entry counts nothing twice: written again after a crash before the ack, the entity
 * exists (conflict) or the request id is known (duplicate): both mean done. */
static rl_err_t record_entry(correlator_t *self, const char *tenant, const char *id, Riskline__V1__RiskEvent **evs,
                             size_t n, rl_error_t *err)
{
    rl_arena_t *a = self->arena;
    size_t linked = 0;
    /* what is received, classified and linked, not the sender's links and attributes: those stay
     * in the ingestion log, and the update (and the audit chain's hashing) stays small */
    Riskline__V1__RiskEvent *brief = rl_arena_alloc(a, n * sizeof *brief);
    Riskline__V1__RiskEvent **bp = rl_arena_alloc(a, n * sizeof *bp);
    if (!brief || !bp)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    /* unlinked events per source: a batch is mostly one source, so a short list */
    rl_op_t *ops = rl_arena_alloc(a, n * sizeof *ops);
    size_t *counts = rl_arena_alloc(a, n * sizeof *counts);
    if (!ops || !counts)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    size_t nops = 0;
    const char *counters = key(a, tenant, "riskevent:count");
    for (size_t i = 0; i < n; i++) {
        linked += evs[i]->n_linked_risks > 0;
        if (!evs[i]->n_linked_risks) {
            const char *field = rl_arena_printf(a, "%s.unlinked", evs[i]->source);
            size_t o = 0;
            while (o < nops && strcmp(ops[o].a, field))
                o++;
            if (o == nops) {
                ops[nops++] = (rl_op_t){RL_OP_HINCRBY, counters, 0, field, NULL};
                counts[o] = 0;
            }
            counts[o]++;
        }
        brief[i] = *evs[i];
        brief[i].n_risk_ids = brief[i].n_assets = brief[i].n_controls = brief[i].n_attributes = 0;
        brief[i].risk_ids = brief[i].assets = brief[i].controls = NULL;
        brief[i].attributes = NULL;
        bp[i] = &brief[i];
    }
    for (size_t o = 0; o < nops; o++)
        ops[o].b = rl_arena_printf(a, "%zu", counts[o]);
    Riskline__V1__EventBatch batch = RISKLINE__V1__EVENT_BATCH__INIT;
    batch.events = bp;
    batch.n_events = n;
    rl_principal_t who;
    memset(&who, 0, sizeof who);
    snprintf(who.name, sizeof who.name, "%s", evs[0]->received_by && evs[0]->received_by[0] ? evs[0]->received_by
                                                                                              : "monitor");
    char rid[RL_MAX_REQUEST_ID + 1];
    snprintf(rid, sizeof rid, "ev-%s", id);
    rl_bus_req_t req = {&who, NULL, tenant, rid, a, NULL, 0, 0};
    const char *eid = rl_arena_printf(a, "%s/%s", evs[0]->source, evs[0]->event_id);
    const char *comment = rl_arena_printf(a, "%zu event%s from %s; %zu linked to risks", n, n == 1 ? "" : "s",
                                          evs[0]->source, linked);
    Riskline__V1__DomainEvent *ev =
        rl_event_new(&req, "event.received", "event_batch", eid, 1, NULL, &batch.base, NULL, comment,
                     rl_clock_now(self->clock));
    size_t ev_len = 0;
    uint8_t *evb = ev ? rl_codec_pack(&ev->base, a, &ev_len) : NULL;
    if (!eid || !comment || !evb)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    rl_write_t w = {
        .entity_key = key(a, tenant, rl_arena_printf(a, "riskevent:entry:%s", id)), .expected_version = 0,
        /* the key only marks the entry recorded: the batch is the domain event's, stored once */
        .new_version = 1, .blob = "", .blob_len = 0, .stream_key = key(a, tenant, "events"),
        .event = evb, .event_len = ev_len,
        .dedupe_key = key(a, tenant, rl_arena_printf(a, "req:monitor:%s", rid)), .dedupe_value = eid,
        .ops = ops, .nops = nops,
    };
    rl_write_result_t res;
    rl_err_t rc = rl_store_write(self->store, a, &w, &res, err);
    return rc == RL_ERR_CONFLICT ? RL_OK : rc;
}

/* Entry ent of tenant: each event prepared, the entry's links, its domain event. RL_OK: ack it. */
static rl_err_t handle_entry(correlator_t *self, const char *tenant, const rl_stream_entry_t *ent, size_t *nevents,
                             rl_error_t *err)
{
    size_t k = 0, nev = 0;
    rl_err_t rc = RL_OK;
    Riskline__V1__RiskEvent **evs = rl_arena_alloc(self->arena, (RL_MAX_BATCH + 1) * sizeof *evs);
    if (!evs)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    /* an entry is an ingestion batch (rl_ingest.h); bytes that do not decode stay in the log and
     * are passed over */
    Riskline__V1__RiskEvent *e;
    rl_ingest_iter_t it;
    rl_ingest_iter_init(&it, ent);
    while (rc == RL_OK && k < RL_MAX_BATCH && rl_ingest_next(&it, self->arena, &e) == 1) {
        if (e && (rc = prepare(self, tenant, ent->id, k, e, err)) == RL_OK)
            evs[nev++] = e;
        k++;
    }
    *nevents += k;
    if (rc == RL_OK && nev)
        rc = link_entry(self, tenant, evs, nev, err);
    if (rc == RL_OK && nev)
        rc = record_entry(self, tenant, ent->id, evs, nev, err);
    return rc;
}

size_t correlator_tick(correlator_t *self)
{
    rl_error_t err;
    rl_error_clear(&err);
    rl_arena_reset(self->arena);
    const char **tenants;
    size_t nt, total = 0, nevents = 0;
    int64_t t0 = rl_mono_ms();
    if (rl_store_tenants(self->store, self->arena, &tenants, &nt, &err) != RL_OK || !nt)
        return 0;
    /* the tenant list lives in the batch arena: copy the names before resetting per read */
    char (*names)[RL_MAX_TENANT + 1] = calloc(nt, sizeof *names);
    if (!names)
        return 0;
    for (size_t t = 0; t < nt; t++)
        snprintf(names[t], sizeof names[t], "%s", tenants[t]);
    int claim = rl_group_claim_due(&self->reader, rl_mono_ms());
    int spent = 0;
    /* tenants in turn from where the last tick's budget ran out: a busy tenant starves no other */
    /* stopping: reads return only what this consumer holds; it is finished whatever the budget,
     * read by read (the arena is reset per read), until rl_group_give_up bounds it */
    for (size_t t = 0; t < nt && !spent && !rl_group_give_up(&self->reader); t++) {
        size_t ti = (self->next_tenant + t) % nt;
        for (int first = 1, more = 1; more && !spent && !rl_group_give_up(&self->reader); first = 0) {
            rl_arena_reset(self->arena);
            const char *stream = key(self->arena, names[ti], "riskevent:log");
            rl_stream_entry_t *ents;
            size_t n, ndone = 0;
            uint32_t want = (uint32_t)(READ_EVENTS / (self->avg_events ? self->avg_events : 1));
            want = want < 1 ? 1 : want > READ_ENTRIES_MAX ? READ_ENTRIES_MAX : want;
            if (rl_store_group_read(self->store, self->arena, stream, &self->reader, claim && first, want, &ents, &n,
                                    &err) != RL_OK || !n)
                break;
            /* handled entries are acknowledged together; one that fails stays pending with the rest */
            const char **done = rl_arena_alloc(self->arena, n * sizeof *done);
            more = done != NULL;
            for (size_t i = 0; more && i < n; i++) {
                size_t before = nevents;
                if (handle_entry(self, names[ti], &ents[i], &nevents, &err) != RL_OK) {
                    rl_log_warn(self->log, "event not correlated yet", "tenant", names[ti], "stream_id", ents[i].id,
                                "reason", err.message);
                    more = 0;  /* left pending: read again first next time */
                    break;
                }
                done[ndone++] = ents[i].id;
                self->avg_events = (self->avg_events * 3 + (nevents - before)) / 4;
                spent = !rl_group_stopping(&self->reader) &&
                        (nevents >= TICK_EVENTS || rl_mono_ms() - t0 >= TICK_BUDGET_MS);
                if (spent || rl_group_give_up(&self->reader))
                    break;  /* entries read but not reached stay pending: read again first next tick */
            }
            if (ndone && rl_store_ack_many(self->store, self->arena, stream, self->reader.group, done, ndone, &err) ==
                             RL_OK)
                total += ndone;
            more = more && (n == want || rl_group_stopping(&self->reader));
        }
        if (spent)
            self->next_tenant = ti;
    }
    /* total > 0: more may wait (the budget ran out, or a read stopped short of the count: own
     * pending entries come back alone, before new ones); 0 ends the run */
    free(names);
    return total;
}
