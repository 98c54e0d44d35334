/* review_consumer.c: ineffective controls (monitor alerts) mark the plans implementing them. */
#include "review_consumer.h"
#include "rl_codec.h"
#include "rl_event.h"
#include "rl_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 100
#define INTERVAL_MS 200

struct review_consumer {
    server_t *srv;
    rl_group_reader_t reader;
    rl_arena_t *arena;
    int64_t next_ms;
};

review_consumer_t *review_consumer_new(server_t *srv, const rl_group_reader_t *reader)
{
    review_consumer_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->srv = srv;
    self->reader = *reader;
    self->arena = rl_arena_new(0);
    if (!self->arena)
        review_consumer_destroy(&self);
    return self;
}

void review_consumer_destroy(review_consumer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rl_arena_destroy(&(*self_p)->arena);
    free(*self_p);
    *self_p = NULL;
}

static int implements(const plan_t *p, const char *control)
{
    for (size_t i = 0; i < p->n_controls; i++)
        if (p->controls[i]->control_id && !strcmp(p->controls[i]->control_id, control))
            return 1;
    return 0;
}

/* One event; RL_OK when it may be acknowledged. */
static rl_err_t handle(review_consumer_t *self, const char *tenant, const rl_stream_entry_t *ent, size_t *marked,
                       rl_error_t *err)
{
    rl_arena_t *a = self->arena;
    if (!ent->event)
        return RL_OK;
    Riskline__V1__DomainEvent *ev =
        rl_codec_unpack(&riskline__v1__domain_event__descriptor, ent->event, ent->event_len, RL_MAX_REPLY_BYTES, a);
    if (!ev || strcmp(ev->entity_type, "alert") || strcmp(ev->kind, "alert.raised"))
        return RL_OK;
    Riskline__V1__Alert *al =
        rl_codec_unpack(&riskline__v1__alert__descriptor, ev->entity.data, ev->entity.len, RL_MAX_REPLY_BYTES, a);
    if (!al || strcmp(al->kind, "control_ineffective"))
        return RL_OK;
    plan_t **plans;
    size_t n;
    rl_err_t rc = plan_store_all(self->srv->plans, a, tenant, &plans, &n, err);
    if (rc)
        return rc;
    int64_t now = rl_clock_now(&self->srv->clock);
    for (size_t i = 0; i < n; i++) {
        plan_t *before = plans[i];
        if (!plan_state_open(before->state) || !implements(before, al->subject))
            continue;
        size_t len = 0;
        uint8_t *bytes = rl_codec_pack(&before->base, a, &len);
        plan_t *p = bytes ? rl_codec_unpack(&riskline__v1__plan__descriptor, bytes, len, RL_MAX_REPLY_BYTES, a) : NULL;
        if (!p)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
        p->id = before->id;
        p->review_requested = rl_arena_printf(a, "%s (alert %s)", al->message, al->id);
        p->review_requested_at_ms = now;
        p->version = before->version + 1;
        p->updated_at_ms = now;
        p->updated_by = "monitor";
        plan_derive(p);
        rl_principal_t who;
        memset(&who, 0, sizeof who);
        snprintf(who.name, sizeof who.name, "monitor");
        char rid[RL_MAX_REQUEST_ID + 1];
        snprintf(rid, sizeof rid, "review-%s-%.20s", ent->id, p->id);
        rl_bus_req_t req = {&who, NULL, tenant, rid, a, NULL, 0, 0};
        static const char *const skip[] = {"version", "updated_at_ms", "updated_by", NULL};
        Riskline__V1__DomainEvent *out = rl_event_new(&req, "plan.review_requested", "plan", p->id, p->version,
                                                      &before->base, &p->base, skip, p->review_requested, now);
        rl_write_result_t res;
        if (!out)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
        rc = plan_store_save(self->srv->plans, a, tenant, p, before->version, out, rid, &res, err);
        if (rc)
            return rc;  /* a concurrent change: read again next turn */
        if (res.outcome == RL_WRITE_DONE) {
            (*marked)++;
            rl_log_info(self->srv->log, "plan marked for review", "tenant", tenant, "plan", p->id, "control",
                        al->subject);
        }
    }
    return RL_OK;
}

size_t review_consumer_tick(review_consumer_t *self)
{
    int64_t now = rl_mono_ms();
    if (now < self->next_ms && !rl_group_stopping(&self->reader))  /* stopping: finish what it holds now */
        return 0;
    self->next_ms = now + INTERVAL_MS;
    rl_error_t err;
    rl_error_clear(&err);
    rl_arena_reset(self->arena);
    const char **tenants;
    size_t nt, marked = 0;
    if (rl_store_tenants(self->srv->store, self->arena, &tenants, &nt, &err) != RL_OK)
        return 0;
    char (*names)[RL_MAX_TENANT + 1] = calloc(nt ? nt : 1, sizeof *names);
    if (!names)
        return 0;
    for (size_t t = 0; t < nt; t++)
        snprintf(names[t], sizeof names[t], "%s", tenants[t]);
    int claim = rl_group_claim_due(&self->reader, now);
    for (size_t t = 0; t < nt && !rl_group_give_up(&self->reader); t++) {
        rl_arena_reset(self->arena);
        const char *stream = rl_arena_printf(self->arena, "rl:{%s}:events", names[t]);
        rl_stream_entry_t *ents;
        size_t n;
        if (rl_store_group_read(self->srv->store, self->arena, stream, &self->reader, claim, BATCH, &ents, &n,
                                &err) != RL_OK)
            continue;
        for (size_t i = 0; i < n && !rl_group_give_up(&self->reader); i++) {
            if (handle(self, names[t], &ents[i], &marked, &err) != RL_OK) {
                rl_log_warn(self->srv->log, "event not handled yet", "tenant", names[t], "stream_id", ents[i].id,
                            "reason", err.message);
                break;
            }
            if (rl_store_ack(self->srv->store, self->arena, stream, self->reader.group, ents[i].id, &err) != RL_OK)
                break;
        }
    }
    free(names);
    return marked;
}
