/* handlers.c: monitor request handlers: risk events from other systems are checked one by one,
 * the valid ones persisted in one pipeline, and each is acknowledged only after that. */
#include "handlers.h"
#include "alert_store.h"
#include "correlate_consumer.h"
#include "metric_store.h"
#include "rl_clock.h"
#include "rl_codec.h"
#include "rl_ingest.h"
#include "rl_limits.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  rl:{t}:riskevent:log                 stream  an entry per batch: b = the new events as received,
 *                                                at, by = when and from whom (rl_ingest.h)
 *  rl:{t}:riskevent:seen                set     "<source>\n<event id>" of every event stored: once
 *  rl:{t}:riskevent:count               hash    "<source>.accepted|duplicate|rejected|unlinked" -> n
 *                                                (unlinked: counted by correlate_consumer.c)
 *  rl:{t}:riskevent:unmeasured          zset    occurred_at -> "<source>\n<event id>": control tests no
 *                                                metric took (correlate_consumer.c)
 */
static char *key(rl_arena_t *a, const char *tenant, const char *rest)
{
    return rl_arena_printf(a, "rl:{%s}:riskevent:%s", tenant, rest);
}

/* Counter field of a source; a source that is not valid is counted as "(invalid)". */
static const char *counter(rl_arena_t *a, const char *source, const char *what)
{
    int ok = source && source[0] && strlen(source) <= 64 && strspn(source,
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(source);
    return rl_arena_printf(a, "%s.%s", ok ? source : "(invalid)", what);
}

/* "<source>\n<event id>": the idempotency key of an event (the set rl:{t}:riskevent:seen). */
static char *seen_member(rl_arena_t *a, const Riskline__V1__RiskEvent *e)
{
    size_t ls = strlen(e->source), li = strlen(e->event_id);
    char *m = rl_arena_alloc(a, ls + li + 2);
    if (m) {
        memcpy(m, e->source, ls);
        m[ls] = '\n';
        memcpy(m + ls + 1, e->event_id, li + 1);
    }
    return m;
}

/* One request's batch, checked: its acks (the rejected ones final), the items to store, and the
 * counts of its rejected events per source (added with the append). */
typedef struct {
    Riskline__V1__EventAck *ack;
    Riskline__V1__EventAck **ackp;
    size_t n;
    rl_append_item_t *items;
    size_t *item_of;          /* items[k] is event item_of[k] */
    size_t nitems;
    rl_append_count_t *rejected;  /* "<source>.rejected" and how many */
    size_t nrejected_fields, nrejected;
} batch_t;

/* Checks every event of req's batch into bt: the rejected ones get their ack now, the valid ones
 * become items. RL_OK, or an error for the whole request. */
static rl_err_t batch_check(const rl_bus_req_t *req, int64_t now, batch_t *bt, rl_error_t *err)
{
    const Riskline__V1__EventBatch *b = req->env->event_batch;
    rl_arena_t *a = req->arena;
    if (b->n_events == 0)
        return rl_error_set(err, RL_ERR_INVALID, "events", "a batch holds 1..%d events", RL_MAX_BATCH);
    if (b->n_events > RL_MAX_BATCH)
        return rl_error_set(err, RL_ERR_TOO_LARGE, "events", "a batch holds at most %d events, got %zu", RL_MAX_BATCH,
                            b->n_events);
    size_t n = b->n_events;
    memset(bt, 0, sizeof *bt);
    bt->n = n;
    bt->ack = rl_arena_alloc(a, n * sizeof *bt->ack);
    bt->ackp = rl_arena_alloc(a, n * sizeof *bt->ackp);
    bt->items = rl_arena_alloc(a, n * sizeof *bt->items);
    bt->item_of = rl_arena_alloc(a, n * sizeof *bt->item_of);
    bt->rejected = rl_arena_alloc(a, n * sizeof *bt->rejected);
    rl_wire_record_t *raw = rl_arena_alloc(a, n * sizeof *raw);
    if (!bt->ack || !bt->ackp || !bt->items || !bt->item_of || !bt->rejected || !raw)
        return RL_ERR_INTERNAL;
    /* each event's record as the sender packed it (Envelope 80 event_batch -> EventBatch 1 events):
     * stored as it is; when the records do not match what was decoded, each is packed again */
    int have_raw = req->data && rl_codec_wire_find(req->data, req->len, RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH, 1,
                                                   raw, n) == (int)n;
    const char *last_source = NULL, *acc_field = NULL, *dup_field = NULL;
    for (size_t i = 0; i < n; i++) {
        Riskline__V1__RiskEvent *e = b->events[i];
        Riskline__V1__EventAck *ack = &bt->ack[i];
        riskline__v1__event_ack__init(ack);
        bt->ackp[i] = ack;
        ack->index = (uint32_t)i;
        rl_error_t eerr;
        rl_error_clear(&eerr);
        /* checked without a prefix; the event's name ("events[3]") is put before the field only
         * for a rejected one, so a valid batch formats none */
        if (!e || event_validate(e, now, "", &eerr) != RL_OK) {
            /* echoed to name the event, even a rejected one: never bytes that are not UTF-8 */
            ack->source = rl_codec_utf8_scrub(rl_arena_strdup(a, e && e->source ? e->source : ""));
            ack->event_id = rl_codec_utf8_scrub(rl_arena_strdup(a, e && e->event_id ? e->event_id : ""));
            ack->status = RISKLINE__V1__ACK_STATUS__ACK_STATUS_REJECTED;
            ack->reason = rl_arena_strdup(a, e ? eerr.message : "empty event");
            ack->field = rl_arena_printf(a, "events[%zu]%s%s", i, e && eerr.field[0] ? "." : "", e ? eerr.field : "");
            const char *field = counter(a, e ? e->source : "", "rejected");
            size_t f = 0;
            while (f < bt->nrejected_fields && strcmp(bt->rejected[f].field, field))
                f++;
            if (f == bt->nrejected_fields)
                bt->rejected[bt->nrejected_fields++] = (rl_append_count_t){field, 0};
            bt->rejected[f].n++;
            bt->nrejected++;
            continue;
        }
        /* valid: its source and id are checked text; the reply is packed before the request's
         * arena is reset, so the ack can point at them */
        ack->source = e->source;
        ack->event_id = e->event_id;
        if (!last_source || strcmp(last_source, e->source)) {  /* a batch is mostly one source */
            last_source = e->source;
            acc_field = counter(a, e->source, "accepted");
            dup_field = counter(a, e->source, "duplicate");
        }
        /* what is stored: the event as sent (the entry says when and from whom); one with fields
         * this version does not know is packed again without them */
        const uint8_t *bytes = have_raw ? raw[i].start : NULL;
        size_t len = have_raw ? raw[i].len : 0;
        if (!bytes || e->base.n_unknown_fields) {
            Riskline__V1__RiskEvent known = *e;
            known.base.n_unknown_fields = 0;
            known.base.unknown_fields = NULL;
            size_t plen = 0;
            uint8_t *packed = rl_codec_pack(&known.base, a, &plen);
            if (!packed || !(bytes = rl_codec_wire_frame(1, packed, plen, a, &len)))
                return RL_ERR_INTERNAL;
        }
        char *member = seen_member(a, e);
        if (!member || !acc_field || !dup_field)
            return RL_ERR_INTERNAL;
        bt->items[bt->nitems] = (rl_append_item_t){member, bytes, len, acc_field, dup_field};
        bt->item_of[bt->nitems++] = i;
    }
    return RL_OK;
}

/* Acks the stored items as outcome says and sets the reply. */
static rl_err_t batch_reply(server_t *srv, const rl_bus_req_t *req, const batch_t *bt,
                            const rl_append_outcome_t *outcome, rl_envelope_t *reply)
{
    rl_arena_t *a = req->arena;
    for (size_t k = 0; k < bt->nitems; k++) {
        int accepted = outcome[k] == RL_APPEND_ACCEPTED;
        bt->ack[bt->item_of[k]].status = accepted ? RISKLINE__V1__ACK_STATUS__ACK_STATUS_ACCEPTED
                                                  : RISKLINE__V1__ACK_STATUS__ACK_STATUS_DUPLICATE;
        srv->accepted += accepted;
        srv->duplicates += !accepted;
    }
    srv->rejected += bt->nrejected;
    Riskline__V1__EventAcks *acks = rl_arena_alloc(a, sizeof *acks);
    if (!acks)
        return RL_ERR_INTERNAL;
    riskline__v1__event_acks__init(acks);
    acks->acks = bt->ackp;
    acks->n_acks = bt->n;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_EVENT_ACKS;
    reply->event_acks = acks;
    return RL_OK;
}

/* Two requests whose items may share one stream entry: same tenant, same sender. */
static int same_entry(const rl_bus_req_t *x, const rl_bus_req_t *y)
{
    return !strcmp(x->tenant, y->tenant) && !strcmp(x->principal->name, y->principal->name);
}

/* A group's append and the requests it answers: sent on srv->answer_store and answered when its
 * reply is in (handlers_answer), or already done (appended on srv->store because it could not be
 * sent so, while appends were in flight: answered in its turn, so that replies keep their order).
 * Lives in the first request's arena, which the bus keeps until that request is answered. */
typedef enum { JOB_IN_FLIGHT, JOB_DONE } job_state_t;
/* How long after batches last overlapped their appends are still sent without waiting (ms). */
#define OVERLAP_MS 200
struct ingest_job {
    job_state_t state;
    rl_append_ticket_t ticket;
    rl_err_t rc;                  /* JOB_DONE */
    rl_error_t err;
    size_t n;                     /* requests */
    rl_bus_req_t req[RL_GATHER_MAX];
    rl_envelope_t *reply[RL_GATHER_MAX];
    batch_t *bt[RL_GATHER_MAX];
    rl_append_t to;
    rl_append_item_t *items;
    size_t nitems;
    rl_append_outcome_t *outcome;
};

/* Each request of job answered as its append came out. */
static void job_answer(server_t *srv, rl_bus_server_t *rpc, struct ingest_job *j)
{
    for (size_t g = 0, o = 0; g < j->n; o += j->bt[g]->nitems, g++) {
        rl_error_t err = j->err;
        rl_err_t code = j->rc != RL_OK ? j->rc : batch_reply(srv, &j->req[g], j->bt[g], j->outcome + o, j->reply[g]);
        if (code != RL_OK && j->rc == RL_OK)
            rl_error_set(&err, code, "", "out of memory");
        rl_bus_server_answer(rpc, j->req[g].later, code, &err);
    }
}

void handlers_answer(server_t *srv, rl_bus_server_t *rpc, int wait)
{
    while (srv->njobs) {
        struct ingest_job *j = srv->jobs[srv->job_head];
        if (j->state == JOB_IN_FLIGHT) {
            int ready = 1;
            rl_arena_t *a = j->req[0].arena;
            rl_err_t rc = rl_store_append_recv(srv->answer_store, j->ticket, a, j->nitems, j->outcome, wait, &ready,
                                               &j->err);
            if (!ready)
                return;
            /* not written (duplicates, the script lost, a failover) or unknown (the connection
             * lost): settled the way a retry would be, on the loop's own connection */
            if (rc == RL_ERR_CONFLICT || rc == RL_ERR_UNAVAILABLE) {
                rl_error_clear(&j->err);
                rc = rl_store_append_once(srv->store, a, &j->to, j->items, j->nitems, j->outcome, &j->err);
            }
            j->rc = rc;
            j->state = JOB_DONE;
        }
        srv->job_head = (srv->job_head + 1) % RL_LATER_MAX;
        srv->njobs--;
        job_answer(srv, rpc, j);
    }
}

int handlers_answer_fd(const server_t *srv) { return srv->njobs ? rl_store_append_fd(srv->answer_store) : -1; }

/* The group's append as a job to answer later; NULL when it is answered now instead (a request
 * that must be, nothing in flight and the append not sendable so, or no memory). */
static struct ingest_job *job_new(server_t *srv, const rl_bus_req_t *reqs, rl_envelope_t *const *replies,
                                  batch_t *const *bt, const size_t *group, size_t ng, const rl_append_t *to,
                                  rl_append_item_t *items, size_t nitems, rl_append_outcome_t *outcome)
{
    /* sent without waiting only while batches overlap (several at once, or one behind another's
     * append): a lone sender's batch is appended at once, one wake-up fewer */
    if (!srv->answer_store || srv->njobs == RL_LATER_MAX || (!srv->njobs && rl_mono_ms() >= srv->overlap_until_ms))
        return NULL;
    for (size_t g = 0; g < ng; g++)
        if (!reqs[group[g]].later)
            return NULL;
    rl_arena_t *a = reqs[group[0]].arena;
    struct ingest_job *j = rl_arena_alloc(a, sizeof *j);
    if (!j)
        return NULL;
    j->n = ng;
    for (size_t g = 0; g < ng; g++) {
        j->req[g] = reqs[group[g]];
        j->reply[g] = replies[group[g]];
        j->bt[g] = bt[group[g]];
    }
    j->to = *to;
    j->items = items;
    j->nitems = nitems;
    j->outcome = outcome;
    rl_error_t err;
    rl_error_clear(&err);
    if (rl_store_append_send(srv->answer_store, a, to, items, nitems, &j->ticket, &err) == 1) {
        j->state = JOB_IN_FLIGHT;
    } else if (srv->njobs) {  /* behind the appends in flight: done now, answered in turn */
        j->rc = rl_store_append_once(srv->store, a, to, items, nitems, outcome, &j->err);
        j->state = JOB_DONE;
    } else {
        return NULL;
    }
    srv->jobs[(srv->job_head + srv->njobs++) % RL_LATER_MAX] = j;
    return j;
}

/* The batches waiting together (rl_bus_server_route_gather): each checked; then those of one
 * tenant and sender, up to RL_MAX_BATCH events, persisted in one append (one stream entry, one
 * round trip), and each acknowledged only after that. The append is sent without waiting where it
 * can be (a job: answered by handlers_answer once its reply is in), so the loop checks the next
 * batches while Redis appends. A failed append fails its requests alone: nothing of them is acked
 * and their senders retry. */
static void h_event_batches(void *app, const rl_bus_req_t *reqs, size_t n, rl_envelope_t *const *replies,
                            rl_err_t *codes, rl_error_t *errs)
{
    server_t *srv = app;
    int64_t now = rl_clock_now(&srv->clock);
    batch_t *bt[RL_GATHER_MAX];
    int taken[RL_GATHER_MAX] = {0};
    assert(n <= RL_GATHER_MAX);
    if (n > 1 || srv->njobs)  /* batches overlap: for a while, appends go without waiting (job_new) */
        srv->overlap_until_ms = rl_mono_ms() + OVERLAP_MS;
    for (size_t i = 0; i < n; i++) {
        /* in the request's own memory: a job answered later still needs it */
        bt[i] = rl_arena_alloc(reqs[i].arena, sizeof *bt[i]);
        codes[i] = bt[i] ? batch_check(&reqs[i], now, bt[i], &errs[i])
                         : rl_error_set(&errs[i], RL_ERR_INTERNAL, "", "out of memory");
    }
    for (size_t first = 0; first < n; first++) {
        if (codes[first] != RL_OK || taken[first])
            continue;
        /* the group: first, and the later requests that may join it (those not taken yet) */
        size_t group[RL_GATHER_MAX], ng = 0, nitems = 0, ncounts = 0;
        for (size_t i = first; i < n; i++)
            if (codes[i] == RL_OK && !taken[i] &&
                (i == first || (same_entry(&reqs[first], &reqs[i]) && nitems + bt[i]->nitems <= RL_MAX_BATCH))) {
                group[ng++] = i;
                nitems += bt[i]->nitems;
                ncounts += bt[i]->nrejected_fields;
                taken[i] = 1;
            }
        const rl_bus_req_t *req = &reqs[first];
        rl_arena_t *a = req->arena;
        rl_append_item_t *items = rl_arena_alloc(a, (nitems + 1) * sizeof *items);
        rl_append_outcome_t *outcome = rl_arena_alloc(a, (nitems + 1) * sizeof *outcome);
        rl_append_count_t *counts = rl_arena_alloc(a, (ncounts + 1) * sizeof *counts);
        const char **fields = rl_arena_alloc(a, 4 * sizeof *fields);
        const char *at = rl_arena_printf(a, "%lld", (long long)now);
        rl_err_t rc = items && outcome && counts && fields && at
                          ? RL_OK
                          : rl_error_set(&errs[first], RL_ERR_INTERNAL, "", "out of memory");
        for (size_t g = 0, o = 0, oc = 0; rc == RL_OK && g < ng; g++) {
            const batch_t *b = bt[group[g]];
            memcpy(items + o, b->items, b->nitems * sizeof *items);
            memcpy(counts + oc, b->rejected, b->nrejected_fields * sizeof *counts);
            o += b->nitems;
            oc += b->nrejected_fields;
        }
        /* persisted first, acknowledged after; the refused events are counted with the append */
        if (rc == RL_OK) {
            fields[0] = RL_INGEST_AT;
            fields[1] = at;
            fields[2] = RL_INGEST_BY;
            fields[3] = req->principal->name;
            rl_append_t to = {key(a, req->tenant, "seen"), key(a, req->tenant, "log"), key(a, req->tenant, "count"),
                              fields, 2, counts, ncounts};
            if (job_new(srv, reqs, replies, bt, group, ng, &to, items, nitems, outcome)) {
                for (size_t g = 0; g < ng; g++)
                    codes[group[g]] = RL_BUS_LATER;
                continue;
            }
            rc = rl_store_append_once(srv->store, a, &to, items, nitems, outcome, &errs[first]);
        }
        for (size_t g = 0, o = 0; g < ng; o += bt[group[g]]->nitems, g++) {
            size_t i = group[g];
            if (rc != RL_OK) {
                codes[i] = rc;
                errs[i] = errs[first];
            } else {
                codes[i] = batch_reply(srv, &reqs[i], bt[i], outcome + o, replies[i]);
            }
        }
    }
}

static rl_err_t h_status(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    rl_arena_t *a = req->arena;
    rl_cmd_t *cmds[3];
    cmds[0] = rl_cmd_new(a, "HGETALL");
    rl_cmd_arg(cmds[0], key(a, req->tenant, "count"));
    cmds[1] = rl_cmd_new(a, "ZCARD");
    rl_cmd_argf(cmds[1], "rl:{%s}:idx:alert:open", req->tenant);
    cmds[2] = rl_cmd_new(a, "ZCARD");
    rl_cmd_arg(cmds[2], key(a, req->tenant, "unmeasured"));
    const rl_val_t *vals[3];
    rl_err_t rc = rl_store_pipeline(srv->store, a, 3, cmds, vals, err);
    if (rc)
        return rc;
    const rl_val_t *v = vals[0];
    if (v->type != RL_VAL_ARR)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "counters: %s", v->type == RL_VAL_ERR ? v->s : "?");
    Riskline__V1__MonitorStatus *st = rl_arena_alloc(a, sizeof *st);
    Riskline__V1__SourceCount **list = rl_arena_alloc(a, (v->n / 2 + 1) * sizeof *list);
    if (!st || !list)
        return RL_ERR_INTERNAL;
    riskline__v1__monitor_status__init(st);
    size_t n = 0;
    for (size_t i = 0; i + 1 < v->n; i += 2) {
        const char *f = v->elem[i].s, *dot = strrchr(f, '.');
        if (!dot)
            continue;
        Riskline__V1__SourceCount *sc = NULL;
        for (size_t j = 0; j < n && !sc; j++)
            if (strlen(list[j]->source) == (size_t)(dot - f) && !strncmp(list[j]->source, f, (size_t)(dot - f)))
                sc = list[j];
        if (!sc) {
            sc = rl_arena_alloc(a, sizeof *sc);
            if (!sc)
                return RL_ERR_INTERNAL;
            riskline__v1__source_count__init(sc);
            sc->source = rl_arena_strndup(a, f, (size_t)(dot - f));
            list[n++] = sc;
        }
        uint64_t count = strtoull(v->elem[i + 1].s, NULL, 10);
        if (!strcmp(dot + 1, "accepted"))
            sc->accepted = count;
        else if (!strcmp(dot + 1, "duplicate"))
            sc->duplicate = count;
        else if (!strcmp(dot + 1, "rejected"))
            sc->rejected = count;
        else if (!strcmp(dot + 1, "unlinked"))
            sc->unlinked = count;
    }
    st->sources = list;
    st->n_sources = n;
    st->last_sweep_ms = srv->last_sweep_ms;
    st->alerts_open = vals[1]->type == RL_VAL_INT ? (uint64_t)vals[1]->i : 0;
    st->control_tests_unmeasured = vals[2]->type == RL_VAL_INT ? (uint64_t)vals[2]->i : 0;
    rl_group_info_t gi;
    if ((rc = rl_store_group_info(srv->store, a, key(a, req->tenant, "log"), CORRELATOR_GROUP, &gi, err)))
        return rc;
    st->stream_lag = gi.lag;
    st->stream_lag_unknown = !gi.lag_known;
    st->stream_pending = gi.pending;
    st->stream_length = gi.length;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_MONITOR_STATUS;
    reply->monitor_status = st;
    return RL_OK;
}

static rl_err_t h_alert_list(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const Riskline__V1__AlertList *q = req->env->alert_list;
    Riskline__V1__AlertPage *page = rl_arena_alloc(req->arena, sizeof *page);
    if (!page)
        return RL_ERR_INTERNAL;
    riskline__v1__alert_page__init(page);
    rl_err_t rc = alert_store_list(srv->store, req->arena, req->tenant, q->state, q->limit, page, err);
    if (rc)
        return rc;
    if (q->kind && q->kind[0]) {
        size_t k = 0;
        for (size_t i = 0; i < page->n_alerts; i++)
            if (!strcmp(page->alerts[i]->kind, q->kind))
                page->alerts[k++] = page->alerts[i];
        page->n_alerts = k;
    }
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_ALERT_PAGE;
    reply->alert_page = page;
    return RL_OK;
}

static rl_err_t h_alert_change(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    alert_t *al;
    rl_err_t rc = alert_store_change(srv->store, req, req->env->alert_change, rl_clock_now(&srv->clock), &al, err);
    if (rc)
        return rc;
    Riskline__V1__AlertResult *res = rl_arena_alloc(req->arena, sizeof *res);
    if (!res)
        return RL_ERR_INTERNAL;
    riskline__v1__alert_result__init(res);
    res->alert = al;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_ALERT_RESULT;
    reply->alert_result = res;
    return RL_OK;
}

size_t handlers_sweep_all(server_t *srv)
{
    rl_arena_reset(srv->sweep_arena);
    rl_error_t err;
    rl_error_clear(&err);
    const char **tenants;
    size_t nt, total = 0;
    int64_t now = rl_clock_now(&srv->clock);
    if (rl_store_tenants(srv->store, srv->sweep_arena, &tenants, &nt, &err) != RL_OK)
        return 0;
    for (size_t i = 0; i < nt; i++) {
        size_t changes = 0;
        if (alert_store_sweep(srv->store, srv->sweep_arena, tenants[i], &srv->alerts, now, &changes, &err) != RL_OK)
            rl_log_warn(srv->log, "sweep failed", "tenant", tenants[i], "reason", err.message);
        total += changes;
    }
    srv->last_sweep_ms = now;
    return total;
}

static rl_err_t h_sweep_run(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    handlers_sweep_all(srv);
    return h_status(app, req, reply, err);
}

/* The reply of a define or record: the metric and its control's effectiveness now. */
static rl_err_t reply_metric(server_t *srv, const rl_bus_req_t *req, rl_envelope_t *reply, metric_t *m,
                             rl_error_t *err)
{
    Riskline__V1__MetricResultReply *res = rl_arena_alloc(req->arena, sizeof *res);
    if (!res)
        return RL_ERR_INTERNAL;
    riskline__v1__metric_result_reply__init(res);
    res->metric = m;
    if (m->control_id && m->control_id[0]) {
        metric_t **all;
        size_t n;
        rl_err_t rc = metric_store_all(srv->store, req->arena, req->tenant, &all, &n, err);
        if (rc)
            return rc;
        res->effectiveness = metric_store_effectiveness(all, n, m->control_id, rl_clock_now(&srv->clock));
    }
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_METRIC_RESULT;
    reply->metric_result = res;
    return RL_OK;
}

static rl_err_t h_metric_define(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const Riskline__V1__MetricDefine *q = req->env->metric_define;
    if (!q->metric)
        return rl_error_set(err, RL_ERR_INVALID, "metric", "is required");
    metric_t *m;
    rl_err_t rc = metric_store_define(srv->store, req, q->metric, rl_clock_now(&srv->clock), &m, err);
    return rc ? rc : reply_metric(srv, req, reply, m, err);
}

static rl_err_t h_metric_record(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const Riskline__V1__MetricRecord *q = req->env->metric_record;
    metric_t *m;
    rl_err_t rc = metric_store_record(srv->store, req, q->metric_id, q->value, q->at_ms, rl_clock_now(&srv->clock), &m,
                                      err);
    return rc ? rc : reply_metric(srv, req, reply, m, err);
}

static rl_err_t h_metric_list(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const Riskline__V1__MetricList *q = req->env->metric_list;
    metric_t **all;
    size_t n;
    rl_err_t rc = metric_store_all(srv->store, req->arena, req->tenant, &all, &n, err);
    if (rc)
        return rc;
    Riskline__V1__MetricPage *page = rl_arena_alloc(req->arena, sizeof *page);
    if (!page)
        return RL_ERR_INTERNAL;
    riskline__v1__metric_page__init(page);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if ((!q->control_id[0] || !strcmp(all[i]->control_id, q->control_id)) &&
            (!q->risk_id[0] || !strcmp(all[i]->risk_id, q->risk_id)))
            all[k++] = all[i];
    page->metrics = all;
    page->n_metrics = k;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_METRIC_PAGE;
    reply->metric_page = page;
    return RL_OK;
}

int handlers_route(rl_bus_server_t *bus)
{
    return rl_bus_server_route_gather(bus, RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH, "event_batch", h_event_batches) ||
           rl_bus_server_route(bus, RISKLINE__V1__ENVELOPE__BODY_MONITOR_STATUS_GET, "monitor_status", h_status) ||
           rl_bus_server_route(bus, RISKLINE__V1__ENVELOPE__BODY_ALERT_LIST, "alert_list", h_alert_list) ||
           rl_bus_server_route(bus, RISKLINE__V1__ENVELOPE__BODY_ALERT_CHANGE, "alert_change", h_alert_change) ||
           rl_bus_server_route(bus, RISKLINE__V1__ENVELOPE__BODY_SWEEP_RUN, "sweep_run", h_sweep_run) ||
           rl_bus_server_route(bus, RISKLINE__V1__ENVELOPE__BODY_METRIC_DEFINE, "metric_define", h_metric_define) ||
           rl_bus_server_route(bus, RISKLINE__V1__ENVELOPE__BODY_METRIC_RECORD, "metric_record", h_metric_record) ||
           rl_bus_server_route(bus, RISKLINE__V1__ENVELOPE__BODY_METRIC_LIST, "metric_list", h_metric_list);
}

/* Tenants whose open alerts a scrape counts (one pipeline): past them the gauge is a lower bound. */
#define METRICS_MAX_TENANTS 4096

/* The open alerts of every tenant (the open index of alert_store.h), or -1 when Redis fails. */
static double alerts_open(server_t *srv, rl_arena_t *a)
{
    const char **tenants = NULL;
    size_t nt = 0;
    rl_error_t err;
    rl_error_clear(&err);
    if (rl_store_tenants(srv->store, a, &tenants, &nt, &err) != RL_OK)
        return -1;
    if (nt > METRICS_MAX_TENANTS)
        nt = METRICS_MAX_TENANTS;
    if (!nt)
        return 0;
    rl_cmd_t **cmds = rl_arena_alloc(a, nt * sizeof *cmds);
    const rl_val_t **vals = rl_arena_alloc(a, nt * sizeof *vals);
    if (!cmds || !vals)
        return -1;
    for (size_t i = 0; i < nt; i++) {
        cmds[i] = rl_cmd_new(a, "ZCARD");
        rl_cmd_argf(cmds[i], "rl:{%s}:idx:alert:open", tenants[i]);
    }
    if (rl_store_pipeline(srv->store, a, nt, cmds, vals, &err) != RL_OK)
        return -1;
    double sum = 0;
    for (size_t i = 0; i < nt; i++)
        if (vals[i]->type == RL_VAL_INT)
            sum += (double)vals[i]->i;
    return sum;
}

void handlers_metrics(server_t *srv, rl_metrics_t *m)
{
    rl_metrics_declare(m, "riskline_events_total",
                       "Risk events received by this process, by outcome: accepted (stored), duplicate (stored "
                       "before: not again), rejected (invalid: not stored).",
                       RL_METRIC_COUNTER, NULL, 0);
    rl_metrics_declare(m, "riskline_alerts_open", "Alerts open or acknowledged, over every tenant.", RL_METRIC_GAUGE,
                       NULL, 0);
    const char *outcomes[] = {"accepted", "duplicate", "rejected"};
    const uint64_t counts[] = {srv->accepted, srv->duplicates, srv->rejected};
    for (size_t i = 0; i < 3; i++) {
        const char *l[] = {"service", "monitor", "outcome", outcomes[i]};
        rl_metric_set(rl_metrics_get(m, "riskline_events_total", l, 2), (double)counts[i]);
    }
    rl_arena_t *a = rl_arena_new(0);
    double open = a ? alerts_open(srv, a) : -1;
    rl_arena_destroy(&a);
    const char *l[] = {"service", "monitor"};
    if (open >= 0)  /* Redis down: the gauge keeps its last value (riskline_redis_up says why) */
        rl_metric_set(rl_metrics_get(m, "riskline_alerts_open", l, 1), open);
}
