/* plan_consumer.c: consumes plan and acceptance events and moves their risks (status, residual). */
#include "plan_consumer.h"
#include "rl_clock.h"
#include "rl_codec.h"
#include "rl_event.h"
#include "rl_ids.h"
#include "rl_limits.h"
#include "rl_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 100
#define REASSESSMENT_PULL_DAYS 7  /* a reassessment brings the review to within a week */
#define TENANTS_REFRESH_MS 2000

struct follower {
    server_t *srv;
    rl_group_reader_t reader;
    rl_arena_t *arena;         /* one batch */
    rl_arena_t *tenants_arena; /* the tenant list, kept between refreshes */
    const char **tenants;
    size_t ntenants;
    int64_t tenants_at;
    int64_t next_ms;
};

follower_t *follower_new(server_t *srv, const rl_group_reader_t *reader)
{
    follower_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->srv = srv;
    self->reader = *reader;
    self->arena = rl_arena_new(0);
    self->tenants_arena = rl_arena_new(0);
    if (!self->arena || !self->tenants_arena)
        follower_destroy(&self);
    return self;
}

void follower_destroy(follower_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rl_arena_destroy(&(*self_p)->arena);
    rl_arena_destroy(&(*self_p)->tenants_arena);
    free(*self_p);
    *self_p = NULL;
}

static void *clone(rl_arena_t *a, const ProtobufCMessage *m)
{
    size_t len = 0;
    uint8_t *bytes = rl_codec_pack(m, a, &len);
    return bytes ? rl_codec_unpack(m->descriptor, bytes, len, RL_MAX_REPLY_BYTES, a) : NULL;
}

/* Applies one event; RL_OK when it is handled (applied, or nothing to do) and may be acked. */
static rl_err_t apply(follower_t *self, const char *tenant, const rl_stream_entry_t *ent, int *applied,
                      rl_error_t *err)
{
    rl_arena_t *a = self->arena;
    *applied = 0;
    if (!ent->event)
        return RL_OK;
    Riskline__V1__DomainEvent *ev =
        rl_codec_unpack(&riskline__v1__domain_event__descriptor, ent->event, ent->event_len, RL_MAX_REPLY_BYTES, a);
    if (!ev)
        return RL_OK;  /* not ours to judge: audit verify reports a broken entry */
    const Riskline__V1__Plan *plan = NULL;
    const Riskline__V1__Alert *alert = NULL;
    const char *risk_id = NULL;
    int accepted = 0;
    if (!strcmp(ev->entity_type, "plan")) {
        plan = rl_codec_unpack(&riskline__v1__plan__descriptor, ev->entity.data, ev->entity.len, RL_MAX_REPLY_BYTES, a);
        risk_id = plan ? plan->risk_id : NULL;
    } else if (!strcmp(ev->entity_type, "alert") && !strcmp(ev->kind, "alert.raised")) {
        alert = rl_codec_unpack(&riskline__v1__alert__descriptor, ev->entity.data, ev->entity.len, RL_MAX_REPLY_BYTES, a);
        risk_id = alert ? alert->subject : NULL;
    } else if (!strcmp(ev->entity_type, "acceptance")) {
        Riskline__V1__Acceptance *acc = rl_codec_unpack(&riskline__v1__acceptance__descriptor, ev->entity.data,
                                                        ev->entity.len, RL_MAX_REPLY_BYTES, a);
        risk_id = acc ? acc->risk_id : NULL;
        accepted = acc != NULL;
    }
    uint64_t n;
    if (!risk_id || rl_entity_id_parse("R", risk_id, &n) != 0)
        return RL_OK;
    risk_t *before;
    const risk_criteria_t *c;
    uint64_t cver;
    rl_err_t rc = risk_store_get(self->srv->risks, a, tenant, risk_id, &before, &c, &cver, err);
    if (rc == RL_ERR_NOT_FOUND)
        return RL_OK;
    if (rc)
        return rc;
    if (before->archived)
        return RL_OK;
    risk_t *r = clone(a, &before->base);
    if (!r)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    r->id = before->id;
    if (!r->residual && !strcmp(ev->kind, "plan.verify")) {  /* to fill when the plan proves effective */
        r->residual = rl_arena_alloc(a, sizeof *r->residual);
        if (!r->residual)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
        riskline__v1__rating__init(r->residual);
    }
    int64_t now = rl_clock_now(&self->srv->clock);
    if (alert ? !risk_follow_alert(r, alert->kind, rl_days_from_ms(now), REASSESSMENT_PULL_DAYS, a)
              : !risk_follow_plan(r, ev->kind, plan, accepted))
        return RL_OK;
    /* the actor of the risk's change is the one who acted on the plan */
    rl_principal_t who;
    memset(&who, 0, sizeof who);
    snprintf(who.name, sizeof who.name, "%s", ev->actor);
    char rid[RL_MAX_REQUEST_ID + 1];
    snprintf(rid, sizeof rid, "follow-%s", ent->id);
    rl_bus_req_t req = {&who, NULL, tenant, rid, a, NULL, 0, 0};
    r->version = before->version + 1;
    r->updated_at_ms = now;
    r->updated_by = who.name;
    risk_derive(r, c);
    risk_schedule_review(r, c, rl_days_from_ms(now), 0, a);
    const char *why = alert ? rl_arena_printf(a, "follows alert %s (%s): %s", alert->id, alert->kind, alert->message)
                            : rl_arena_printf(a, "follows %s %s (%s)", plan ? "plan" : "acceptance",
                                              plan ? plan->id : risk_id, ev->kind);
    Riskline__V1__DomainEvent *out =
        rl_event_new(&req, "risk.followed", "risk", r->id, r->version, &before->base, &r->base, risk_diff_skip, why, now);
    if (!out)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    rl_write_result_t res;
    rc = risk_store_save(self->srv->risks, a, tenant, r, before->version, cver, out, rid, &res, err);
    if (rc == RL_OK && res.outcome == RL_WRITE_DONE) {
        *applied = 1;
        rl_log_info(self->srv->log, "risk follows its plan", "tenant", tenant, "risk", r->id, "event", ev->kind,
                    "stream_id", ent->id);
    }
    return rc;
}

static void refresh_tenants(follower_t *self, int64_t now)
{
    if (self->tenants && now - self->tenants_at < TENANTS_REFRESH_MS)
        return;
    rl_error_t err;
    rl_error_clear(&err);
    rl_arena_reset(self->tenants_arena);
    const char **t;
    size_t n;
    if (rl_store_tenants(self->srv->store, self->tenants_arena, &t, &n, &err) != RL_OK) {
        self->tenants = NULL;
        self->ntenants = 0;
        return;
    }
    self->tenants = t;
    self->ntenants = n;
    self->tenants_at = now;
}

int follower_tick(follower_t *self)
{
    int64_t now = rl_mono_ms();
    if (now < self->next_ms && !rl_group_stopping(&self->reader))  /* stopping: finish what it holds now */
        return 0;
    self->next_ms = now + FOLLOWER_INTERVAL_MS;
    refresh_tenants(self, now);
    int total = 0, claim = rl_group_claim_due(&self->reader, now);
    for (size_t t = 0; t < self->ntenants && !rl_group_give_up(&self->reader); t++) {
        rl_arena_reset(self->arena);
        rl_error_t err;
        rl_error_clear(&err);
        const char *tenant = self->tenants[t];
        const char *stream = rl_arena_printf(self->arena, "rl:{%s}:events", tenant);
        rl_stream_entry_t *ents;
        size_t n;
        if (!stream || rl_store_group_read(self->srv->store, self->arena, stream, &self->reader, claim, BATCH,
                                           &ents, &n, &err) != RL_OK) {
            if (err.message[0])
                rl_log_warn(self->srv->log, "cannot read events", "tenant", tenant, "reason", err.message);
            continue;
        }
        for (size_t i = 0; i < n && !rl_group_give_up(&self->reader); i++) {
            int applied = 0;
            rl_err_t rc = apply(self, tenant, &ents[i], &applied, &err);
            if (rc) {
                /* left pending: read again (first) on the next turn */
                rl_log_warn(self->srv->log, "event not applied yet", "tenant", tenant, "stream_id", ents[i].id,
                            "reason", err.message);
                break;
            }
            total += applied;
            if (rl_store_ack(self->srv->store, self->arena, stream, self->reader.group, ents[i].id, &err) != RL_OK)
                break;
        }
    }
    return total;
}
