/* handlers.c: the report's update stream: every domain event of every tenant published as
 * [<tenant>.<kind>][Update], and the catch-up of the updates after a sequence. */
#include "handlers.h"
#include "rl_codec.h"
#include "rl_limits.h"

#include <stdio.h>
#include <string.h>

#define PUBLISH_BATCH 500
#define KEYS_INTERVAL_MS 500

/* XRANGE reply [[id, [f, v, ...]], ...] -> (id, e) pairs. */
static size_t entries(const rl_val_t *v, const char **ids, const rl_val_t **es, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; v->type == RL_VAL_ARR && i < v->n && n < max; i++) {
        const rl_val_t *ent = &v->elem[i];
        if (ent->type != RL_VAL_ARR || ent->n < 2 || ent->elem[0].type != RL_VAL_STR)
            continue;
        const rl_val_t *fv = &ent->elem[1];
        for (size_t k = 0; fv->type == RL_VAL_ARR && k + 1 < fv->n; k += 2)
            if (fv->elem[k].type == RL_VAL_STR && !strcmp(fv->elem[k].s, "e")) {
                ids[n] = ent->elem[0].s;
                es[n++] = &fv->elem[k + 1];
                break;
            }
    }
    return n;
}

/* Up to count entries of tenant's stream after stream id `after` ("" = from the start). */
static rl_err_t read_after(rl_store_t *store, rl_arena_t *a, const char *tenant, const char *after, uint32_t count,
                           const rl_val_t **out, rl_error_t *err)
{
    rl_cmd_t *c = rl_cmd_new(a, "XRANGE");
    rl_cmd_argf(c, "rl:{%s}:events", tenant);
    if (after && after[0])
        rl_cmd_argf(c, "(%s", after);
    else
        rl_cmd_arg(c, "-");
    rl_cmd_arg(c, "+");
    rl_cmd_arg(c, "COUNT");
    rl_cmd_argf(c, "%u", count);
    rl_err_t rc = rl_store_cmd(store, a, c, out, err);
    if (rc == RL_OK && (*out)->type == RL_VAL_ERR)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "redis: %s", (*out)->s);
    return rc;
}

static rl_err_t h_updates_after(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const Riskline__V1__UpdatesAfter *q = req->env->updates_after;
    if (q->limit > RL_MAX_AUDIT_PAGE)
        return rl_error_set(err, RL_ERR_INVALID, "limit", "must be 1..%d, got %u", RL_MAX_AUDIT_PAGE, q->limit);
    uint32_t limit = q->limit ? q->limit : 500;
    char after[48] = "";
    if (q->after_sequence)
        update_stream_id(q->after_sequence, after, sizeof after);
    const rl_val_t *v;
    rl_err_t rc = read_after(srv->store, req->arena, req->tenant, after, limit + 1, &v, err);
    if (rc)
        return rc;
    size_t cap = v->type == RL_VAL_ARR ? v->n : 0;
    const char **ids = rl_arena_alloc(req->arena, (cap + 1) * sizeof *ids);
    const rl_val_t **es = rl_arena_alloc(req->arena, (cap + 1) * sizeof *es);
    Riskline__V1__UpdatePage *page = rl_arena_alloc(req->arena, sizeof *page);
    Riskline__V1__Update **list = rl_arena_alloc(req->arena, (cap + 1) * sizeof *list);
    if (!ids || !es || !page || !list)
        return RL_ERR_INTERNAL;
    riskline__v1__update_page__init(page);
    size_t n = entries(v, ids, es, cap);
    page->more = n > limit;
    if (n > limit)
        n = limit;
    /* nothing lies between the sequence asked for and the first entry after it, nor between two
     * entries of the range: each update's previous_sequence is the position before it */
    uint64_t previous = q->after_sequence;
    for (size_t i = 0; i < n; i++) {
        Riskline__V1__Update *u;
        rl_error_t uerr;
        if (update_from_event(req->tenant, ids[i], previous, es[i]->s, es[i]->len, req->arena, &u, &uerr) == RL_OK)
            list[page->n_updates++] = u;
        page->next_sequence = previous = update_sequence(ids[i]);
    }
    page->updates = list;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_UPDATE_PAGE;
    reply->update_page = page;
    return RL_OK;
}

int handlers_route(rl_bus_server_t *bus)
{
    return rl_bus_server_route(bus, RISKLINE__V1__ENVELOPE__BODY_UPDATES_AFTER, "updates_after", h_updates_after) ||
           rl_bus_server_route(bus, RISKLINE__V1__ENVELOPE__BODY_REPORT_GET, "report_get", report_handle_get);
}

/* The publisher's position in tenant's stream: a tenant known when the publisher starts starts at
 * its current end (older updates are the catch-up's); one that appears later from its beginning
 * (all of it is new). NULL when the table is full. */
static char *position(server_t *srv, const char *tenant)
{
    for (size_t i = 0; i < srv->ntenants; i++)
        if (!strcmp(srv->tenants[i].tenant, tenant))
            return srv->tenants[i].last;
    if (srv->ntenants == REPORT_MAX_TENANTS)
        return NULL;
    char *last = srv->tenants[srv->ntenants].last;
    snprintf(srv->tenants[srv->ntenants].tenant, sizeof srv->tenants[0].tenant, "%s", tenant);
    last[0] = '\0';
    if (srv->started) {
        snprintf(last, sizeof srv->tenants[0].last, "0-0");
        srv->ntenants++;
        return last;
    }
    rl_cmd_t *c = rl_cmd_new(srv->arena, "XREVRANGE");
    rl_cmd_argf(c, "rl:{%s}:events", tenant);
    rl_cmd_arg(c, "+");
    rl_cmd_arg(c, "-");
    rl_cmd_arg(c, "COUNT");
    rl_cmd_arg(c, "1");
    const rl_val_t *v;
    rl_error_t err;
    if (rl_store_cmd(srv->store, srv->arena, c, &v, &err) != RL_OK || v->type == RL_VAL_ERR)
        return NULL;  /* try again next time */
    if (v->type == RL_VAL_ARR && v->n == 1 && v->elem[0].type == RL_VAL_ARR && v->elem[0].n >= 1)
        snprintf(last, sizeof srv->tenants[0].last, "%s", v->elem[0].elem[0].s);
    else
        snprintf(last, sizeof srv->tenants[0].last, "0-0");
    srv->ntenants++;
    return last;
}

size_t handlers_publish(server_t *srv)
{
    int64_t now = rl_mono_ms();
    rl_error_t err;
    rl_error_clear(&err);
    if (srv->keys && now >= srv->next_keys_ms) {
        /* a revoked subscriber must stop receiving: XPUB cannot drop one peer, so all reconnect */
        srv->next_keys_ms = now + KEYS_INTERVAL_MS;
        if (rl_keys_refresh(srv->keys, &err) == RL_OK) {
            uint64_t r = rl_keys_revocations(srv->keys);
            if (r > srv->revocations && srv->revocations != UINT64_MAX && srv->pub)
                rl_bus_pub_reauthenticate(srv->pub, &err);
            srv->revocations = r;
        }
    }
    if (!srv->pub || now < srv->next_publish_ms)
        return 0;
    /* half the tick: an idle poll that returns a little early must not skip a whole round */
    srv->next_publish_ms = now + REPORT_TICK_MS / 2;
    rl_arena_reset(srv->arena);
    const char **tenants;
    size_t nt, sent = 0;
    if (rl_store_tenants(srv->store, srv->arena, &tenants, &nt, &err) != RL_OK)
        return 0;
    for (size_t t = 0; t < nt; t++) {
        char *last = position(srv, tenants[t]);
        if (!last)
            continue;
        const rl_val_t *v;
        if (read_after(srv->store, srv->arena, tenants[t], last, PUBLISH_BATCH, &v, &err) != RL_OK)
            continue;
        const char *ids[PUBLISH_BATCH];
        const rl_val_t *es[PUBLISH_BATCH];
        size_t n = entries(v, ids, es, PUBLISH_BATCH);
        for (size_t i = 0; i < n; i++) {
            Riskline__V1__Update *u;
            size_t len = 0;
            uint8_t *bytes;
            /* the exact predecessor in the stream: a subscriber that has not seen it missed updates */
            if (update_from_event(tenants[t], ids[i], update_sequence(last), es[i]->s, es[i]->len, srv->arena, &u,
                                  &err) == RL_OK &&
                (bytes = rl_codec_pack(&u->base, srv->arena, &len)) != NULL) {
                char topic[80];
                snprintf(topic, sizeof topic, "%s.%s", tenants[t], u->kind);
                /* never blocks: a slow subscriber's drops are counted by the publisher */
                rl_bus_pub_send(srv->pub, topic, bytes, len);
                sent++;
            }
            snprintf(last, sizeof srv->tenants[0].last, "%s", ids[i]);
        }
    }
    srv->started = 1;
    return sent;
}
