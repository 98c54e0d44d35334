/* plan_store.c: treatment keys in Redis: plans with their indexes, custom controls, SoA
 * exclusions and acceptances, each change written atomically with its domain event. */
#include "plan_store.h"
#include "catalogue.h"
#include "rl_codec.h"
#include "rl_criteria.h"
#include "rl_history.h"
#include "rl_ids.h"
#include "rl_limits.h"
#include "rl_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* composite zset scores: day (or number) * SLOT + n keeps order unique and exact in a double */
#define SLOT 1e9

struct plan_store {
    rl_store_t *store;
};

plan_store_t *plan_store_new(rl_store_t *store)
{
    plan_store_t *self = calloc(1, sizeof *self);
    if (self)
        self->store = store;
    return self;
}

void plan_store_destroy(plan_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

static char *key(rl_arena_t *a, const char *tenant, const char *rest)
{
    return rl_arena_printf(a, "rl:{%s}:%s", tenant, rest);
}

static char *dedupe_key(rl_arena_t *a, const char *tenant, const char *request_id)
{
    return rl_arena_printf(a, "rl:{%s}:req:treatment:%s", tenant, request_id);
}

static rl_err_t unavailable_if_err(const rl_val_t *v, rl_error_t *err)
{
    if (v->type == RL_VAL_ERR)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "redis: %.200s", v->s);
    return RL_OK;
}

rl_err_t plan_store_next(plan_store_t *self, rl_arena_t *arena, const char *tenant, const char *kind,
                         const char *request_id, uint64_t *n, const char **dup, rl_error_t *err)
{
    *dup = NULL;
    return rl_store_reserve(self->store, arena, key(arena, tenant, rl_arena_printf(arena, "seq:%s", kind)),
                            dedupe_key(arena, tenant, request_id), 1, n, dup, err);
}

rl_err_t plan_store_served(plan_store_t *self, rl_arena_t *arena, const char *tenant, const char *request_id,
                           const char **dup, rl_error_t *err)
{
    *dup = NULL;
    rl_cmd_t *cmd = rl_cmd_new(arena, "GET");
    rl_cmd_arg(cmd, dedupe_key(arena, tenant, request_id));
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(self->store, arena, cmd, &v, err);
    if (rc == RL_OK && v->type == RL_VAL_STR)
        *dup = v->s;
    return rc;
}

/* HMGET key v pb -> decoded message with its version, or NULL when absent. */
static rl_cmd_t *hmget(rl_arena_t *a, const char *k)
{
    rl_cmd_t *c = rl_cmd_new(a, "HMGET");
    rl_cmd_arg(c, k);
    rl_cmd_arg(c, "v");
    rl_cmd_arg(c, "pb");
    return c;
}

static void *decode(rl_arena_t *a, const ProtobufCMessageDescriptor *d, const rl_val_t *v, uint64_t *version)
{
    if (v->type != RL_VAL_ARR || v->n != 2 || v->elem[1].type != RL_VAL_STR)
        return NULL;
    if (version)
        *version = v->elem[0].type == RL_VAL_STR ? strtoull(v->elem[0].s, NULL, 10) : 0;
    return rl_codec_unpack(d, v->elem[1].s, v->elem[1].len, RL_MAX_REPLY_BYTES, a);
}

static plan_t *decode_plan(rl_arena_t *a, const char *id, const rl_val_t *v)
{
    uint64_t version = 0;
    plan_t *p = decode(a, &riskline__v1__plan__descriptor, v, &version);
    if (p) {
        p->id = rl_arena_strdup(a, id);
        p->version = version;
    }
    return p;
}

rl_err_t plan_store_get(plan_store_t *self, rl_arena_t *arena, const char *tenant, const char *id, plan_t **out,
                        rl_error_t *err)
{
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(self->store, arena, hmget(arena, key(arena, tenant, rl_arena_printf(arena, "plan:%s", id))),
                               &v, err);
    if (rc || (rc = unavailable_if_err(v, err)))
        return rc;
    if (v->type != RL_VAL_ARR || v->n != 2 || v->elem[1].type != RL_VAL_STR)
        return rl_error_set(err, RL_ERR_NOT_FOUND, "id", "plan %s does not exist in tenant %s", id, tenant);
    *out = decode_plan(arena, id, v);
    return *out ? RL_OK : rl_error_set(err, RL_ERR_INTERNAL, "", "plan record %s does not decode", id);
}

/* ZADD of an open milestone, ZREM of a settled one: the monitor sweeps only what is due. */
static int milestone_open(const plan_milestone_t *m)
{
    return m->status == RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_PENDING ||
           m->status == RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_IN_PROGRESS ||
           m->status == RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_UNSPECIFIED;
}

rl_err_t plan_store_save(plan_store_t *self, rl_arena_t *arena, const char *tenant, const plan_t *p,
                         uint64_t expected_version, const Riskline__V1__DomainEvent *event, const char *request_id,
                         rl_write_result_t *res, rl_error_t *err)
{
    uint64_t n;
    if (rl_entity_id_parse("TP", p->id, &n) != 0)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "bad plan id %s", p->id);
    plan_t stored = *p;
    stored.id = (char *)protobuf_c_empty_string;
    stored.version = 0;
    size_t blob_len = 0, ev_len = 0;
    uint8_t *blob = rl_codec_pack(&stored.base, arena, &blob_len);
    uint8_t *ev = rl_codec_pack(&event->base, arena, &ev_len);
    rl_op_t *ops = rl_arena_alloc(arena, (p->n_milestones + 7) * sizeof *ops);
    if (!blob || !ev || !ops)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    const char *ek = key(arena, tenant, rl_arena_printf(arena, "plan:%s", p->id));
    size_t k = 0;
    int64_t day = 0;
    ops[k++] = (rl_op_t){RL_OP_ZADD, key(arena, tenant, "idx:plan:id"), (double)n, p->id, NULL};
    ops[k++] = (rl_op_t){RL_OP_ZADD, key(arena, tenant, rl_arena_printf(arena, "idx:plan:risk:%s", p->risk_id)),
                         (double)n, p->id, NULL};
    int open = plan_state_open(p->state);
    if (open && p->target_date && p->target_date[0] && rl_date_parse(p->target_date, &day) == 0)
        ops[k++] = (rl_op_t){RL_OP_ZADD, key(arena, tenant, "idx:plan:target"), (double)day * SLOT + (double)n,
                             p->id, NULL};
    else
        ops[k++] = (rl_op_t){RL_OP_ZREM, key(arena, tenant, "idx:plan:target"), 0, p->id, NULL};
    /* for the monitor's sweeps: open plans by last change (stalled), and those over budget */
    ops[k++] = open ? (rl_op_t){RL_OP_ZADD, key(arena, tenant, "idx:plan:updated"), (double)p->updated_at_ms, p->id, NULL}
                    : (rl_op_t){RL_OP_ZREM, key(arena, tenant, "idx:plan:updated"), 0, p->id, NULL};
    int over = open && p->resources && p->resources->over_budget;
    ops[k++] = over ? (rl_op_t){RL_OP_ZADD, key(arena, tenant, "idx:plan:overbudget"), (double)p->updated_at_ms, p->id, NULL}
                    : (rl_op_t){RL_OP_ZREM, key(arena, tenant, "idx:plan:overbudget"), 0, p->id, NULL};
    const char *due = key(arena, tenant, "ms:due");
    for (size_t i = 0; i < p->n_milestones; i++) {
        const plan_milestone_t *m = p->milestones[i];
        const char *member = rl_arena_printf(arena, "%s/%s", p->id, m->id);
        day = 0;
        if (open && milestone_open(m) && m->due_date && rl_date_parse(m->due_date, &day) == 0)
            ops[k++] = (rl_op_t){RL_OP_ZADD, due, (double)day * SLOT + (double)n, member, NULL};
        else
            ops[k++] = (rl_op_t){RL_OP_ZREM, due, 0, member, NULL};
    }
    ops[k++] = (rl_op_t){RL_OP_HISTORY, rl_arena_printf(arena, "%s:hist", ek), 0, NULL, NULL};
    rl_write_t w = {
        .entity_key = ek, .expected_version = expected_version, .new_version = p->version,
        .blob = blob, .blob_len = blob_len, .stream_key = key(arena, tenant, "events"),
        .event = ev, .event_len = ev_len, .dedupe_key = dedupe_key(arena, tenant, request_id),
        .dedupe_value = p->id, .ops = ops, .nops = k,
    };
    return rl_store_write(self->store, arena, &w, res, err);
}

/* Loads the plans named in ids[0..n) in one pipeline; absent ones are skipped. */
static rl_err_t load_plans(plan_store_t *self, rl_arena_t *arena, const char *tenant, const rl_val_t *ids, size_t n,
                           plan_t **out, size_t *nout, rl_error_t *err)
{
    *nout = 0;
    if (!n)
        return RL_OK;
    rl_cmd_t **cmds = rl_arena_alloc(arena, n * sizeof *cmds);
    const rl_val_t **vals = rl_arena_alloc(arena, n * sizeof *vals);
    if (!cmds || !vals)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    for (size_t i = 0; i < n; i++)
        cmds[i] = hmget(arena, key(arena, tenant, rl_arena_printf(arena, "plan:%s", ids[i].s)));
    rl_err_t rc = rl_store_pipeline(self->store, arena, n, cmds, vals, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        plan_t *p = decode_plan(arena, ids[i].s, vals[i]);
        if (p)
            out[(*nout)++] = p;
    }
    return RL_OK;
}

rl_err_t plan_store_list(plan_store_t *self, rl_arena_t *arena, const char *tenant, const Riskline__V1__PlanList *q,
                         Riskline__V1__PlanPage *page, rl_error_t *err)
{
    rl_err_t rc;
    if (q->limit > RL_MAX_PAGE)
        return rl_error_set(err, RL_ERR_INVALID, "limit", "must be 1..%d, got %u", RL_MAX_PAGE, q->limit);
    uint32_t limit = q->limit ? q->limit : RL_DEFAULT_PAGE;
    double from = 0;
    if (q->cursor && q->cursor[0] && (rc = rl_history_cursor_parse(q->cursor, &from, err)))
        return rc;
    uint64_t rn;
    if (q->risk_id && q->risk_id[0] && rl_entity_id_parse("R", q->risk_id, &rn) != 0)
        return rl_error_set(err, RL_ERR_INVALID, "risk_id", "must look like R-12");
    const char *idx = q->risk_id && q->risk_id[0]
                          ? key(arena, tenant, rl_arena_printf(arena, "idx:plan:risk:%s", q->risk_id))
                          : key(arena, tenant, "idx:plan:id");
    plan_t **plans = rl_arena_alloc(arena, (limit + 1) * sizeof *plans);
    if (!plans)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    size_t got = 0;
    double next = from;
    int more = 1;
    /* a filtered page examines at most RL_MAX_LIST_SCAN plans, then hands back a cursor */
    for (size_t scanned = 0; got < limit && more && scanned < RL_MAX_LIST_SCAN;) {
        uint32_t batch = limit * 2 < 200 ? 200 : limit * 2;
        rl_cmd_t *c = rl_cmd_new(arena, "ZRANGE");
        rl_cmd_arg(c, idx);
        rl_cmd_argf(c, "(%.0f", next);
        rl_cmd_arg(c, "+inf");
        rl_cmd_arg(c, "BYSCORE");
        rl_cmd_arg(c, "LIMIT");
        rl_cmd_arg(c, "0");
        rl_cmd_argf(c, "%u", batch);
        rl_cmd_arg(c, "WITHSCORES");
        const rl_val_t *v;
        if ((rc = rl_store_cmd(self->store, arena, c, &v, err)) || (rc = unavailable_if_err(v, err)))
            return rc;
        if (v->type != RL_VAL_ARR)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "unexpected ZRANGE reply");
        size_t n = v->n / 2;
        more = n == batch;
        rl_val_t *ids = rl_arena_alloc(arena, (n ? n : 1) * sizeof *ids);
        double *scores = rl_arena_alloc(arena, (n ? n : 1) * sizeof *scores);
        plan_t **loaded = rl_arena_alloc(arena, (n ? n : 1) * sizeof *loaded);
        if (!ids || !scores || !loaded)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        for (size_t i = 0; i < n; i++) {
            ids[i] = v->elem[2 * i];
            scores[i] = strtod(v->elem[2 * i + 1].s, NULL);
        }
        size_t nl;
        if ((rc = load_plans(self, arena, tenant, ids, n, loaded, &nl, err)))
            return rc;
        for (size_t i = 0, j = 0; i < n && got < limit; i++) {
            next = scores[i];
            scanned++;
            if (j >= nl || strcmp(loaded[j]->id, ids[i].s) != 0)
                continue;
            plan_t *p = loaded[j++];
            if (q->state && p->state != q->state)
                continue;
            if (q->owner && q->owner[0] && strcmp(q->owner, p->treatment_owner) != 0)
                continue;
            plan_derive(p);
            plans[got++] = p;
        }
        if (got == limit)
            break;
    }
    page->plans = plans;
    page->n_plans = got;
    page->next_cursor = (got == limit || (more && got < limit)) ? rl_arena_printf(arena, "%.0f", next)
                                                                  : (char *)protobuf_c_empty_string;
    return RL_OK;
}

rl_err_t plan_store_all(plan_store_t *self, rl_arena_t *arena, const char *tenant, plan_t ***out, size_t *n,
                        rl_error_t *err)
{
    rl_cmd_t *c = rl_cmd_new(arena, "ZRANGE");
    rl_cmd_arg(c, key(arena, tenant, "idx:plan:id"));
    rl_cmd_arg(c, "0");
    rl_cmd_arg(c, "-1");
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(self->store, arena, c, &v, err);
    if (rc || (rc = unavailable_if_err(v, err)))
        return rc;
    if (v->type != RL_VAL_ARR)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "unexpected ZRANGE reply");
    *out = rl_arena_alloc(arena, (v->n ? v->n : 1) * sizeof **out);
    if (!*out)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    /* pipelines of 500 keep each reply bounded */
    *n = 0;
    for (size_t off = 0; off < v->n; off += 500) {
        size_t chunk = v->n - off < 500 ? v->n - off : 500, got;
        if ((rc = load_plans(self, arena, tenant, v->elem + off, chunk, *out + *n, &got, err)))
            return rc;
        *n += got;
    }
    return RL_OK;
}

rl_err_t plan_store_history(plan_store_t *self, rl_arena_t *arena, const char *tenant, const char *id,
                            uint32_t limit, const char *cursor, Riskline__V1__HistoryPage *page, rl_error_t *err)
{
    return rl_history_page(self->store, arena, key(arena, tenant, rl_arena_printf(arena, "plan:%s", id)),
                           key(arena, tenant, "events"), rl_arena_printf(arena, "plan %s in tenant %s", id, tenant),
                           limit, cursor, page, err);
}

rl_err_t plan_store_risk(plan_store_t *self, rl_arena_t *arena, const char *tenant, const char *id,
                         const char *field, plan_risk_t **risk, plan_criteria_t **criteria, rl_error_t *err)
{
    rl_cmd_t *cmds[2] = {hmget(arena, key(arena, tenant, rl_arena_printf(arena, "risk:%s", id))),
                         hmget(arena, key(arena, tenant, "criteria"))};
    const rl_val_t *v[2];
    rl_err_t rc = rl_store_pipeline(self->store, arena, 2, cmds, v, err);
    if (rc || (rc = unavailable_if_err(v[0], err)) || (rc = unavailable_if_err(v[1], err)))
        return rc;
    uint64_t version = 0;
    *risk = decode(arena, &riskline__v1__risk__descriptor, v[0], &version);
    if (!*risk)
        return rl_error_set(err, RL_ERR_NOT_FOUND, field, "risk %s does not exist in tenant %s", id, tenant);
    (*risk)->id = rl_arena_strdup(arena, id);
    (*risk)->version = version;
    *criteria = decode(arena, &riskline__v1__criteria__descriptor, v[1], &version);
    if (!*criteria) {
        *criteria = rl_arena_alloc(arena, sizeof **criteria);
        if (!*criteria)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        rl_criteria_defaults(*criteria);
    }
    return RL_OK;
}

/* Members of a zset index, each loaded from "<prefix><member>" (HMGET v pb), decoded as desc. */
static rl_err_t load_index(plan_store_t *self, rl_arena_t *arena, const char *idx, const char *prefix,
                           const ProtobufCMessageDescriptor *desc, void ***out, size_t *n, rl_error_t *err)
{
    rl_cmd_t *c = rl_cmd_new(arena, "ZRANGE");
    rl_cmd_arg(c, idx);
    rl_cmd_arg(c, "0");
    rl_cmd_arg(c, "-1");
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(self->store, arena, c, &v, err);
    if (rc || (rc = unavailable_if_err(v, err)))
        return rc;
    *n = 0;
    *out = rl_arena_alloc(arena, (v->n ? v->n : 1) * sizeof **out);
    rl_cmd_t **cmds = rl_arena_alloc(arena, (v->n ? v->n : 1) * sizeof *cmds);
    const rl_val_t **vals = rl_arena_alloc(arena, (v->n ? v->n : 1) * sizeof *vals);
    if (!*out || !cmds || !vals)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    for (size_t i = 0; i < v->n; i++)
        cmds[i] = hmget(arena, rl_arena_printf(arena, "%s%s", prefix, v->elem[i].s));
    if (v->n && (rc = rl_store_pipeline(self->store, arena, v->n, cmds, vals, err)))
        return rc;
    for (size_t i = 0; i < v->n; i++) {
        void *m = decode(arena, desc, vals[i], NULL);
        if (m)
            (*out)[(*n)++] = m;
    }
    return RL_OK;
}

rl_err_t plan_store_controls(plan_store_t *self, rl_arena_t *arena, const char *tenant,
                             Riskline__V1__Control ***out, size_t *n, rl_error_t *err)
{
    return load_index(self, arena, key(arena, tenant, "idx:control:id"), key(arena, tenant, "control:"),
                      &riskline__v1__control__descriptor, (void ***)out, n, err);
}

rl_err_t plan_store_exclusions(plan_store_t *self, rl_arena_t *arena, const char *tenant,
                               Riskline__V1__SoaEntry ***out, size_t *n, rl_error_t *err)
{
    return load_index(self, arena, key(arena, tenant, "idx:control:excl"), key(arena, tenant, "control:excl:"),
                      &riskline__v1__soa_entry__descriptor, (void ***)out, n, err);
}

rl_err_t plan_store_soa(plan_store_t *self, rl_arena_t *arena, const char *tenant, Riskline__V1__ControlTheme theme,
                       Riskline__V1__ImplementationStatus status, Riskline__V1__SoaEntry ***out, size_t *nout,
                       rl_error_t *err)
{
    plan_t **plans;
    size_t np;
    rl_err_t rc = plan_store_all(self, arena, tenant, &plans, &np, err);
    if (rc)
        return rc;
    return plan_store_soa_of(self, arena, tenant, (const plan_t *const *)plans, np, theme, status, out, nout, err);
}

rl_err_t plan_store_soa_of(plan_store_t *self, rl_arena_t *arena, const char *tenant, const plan_t *const *plans,
                           size_t np, Riskline__V1__ControlTheme theme, Riskline__V1__ImplementationStatus status,
                           Riskline__V1__SoaEntry ***out, size_t *nout, rl_error_t *err)
{
    size_t nc, ne;
    Riskline__V1__Control **custom;
    Riskline__V1__SoaEntry **excl;
    rl_err_t rc;
    if ((rc = plan_store_controls(self, arena, tenant, &custom, &nc, err)) ||
        (rc = plan_store_exclusions(self, arena, tenant, &excl, &ne, err)))
        return rc;
    return soa_derive_records(plans, np, (const Riskline__V1__Control *const *)custom, nc,
                              (const Riskline__V1__SoaEntry *const *)excl, ne, theme, status, arena, out, nout, err);
}

/* The stored version of an entity (0 when absent). */
static rl_err_t version_of(plan_store_t *self, rl_arena_t *arena, const char *ek, uint64_t *version, rl_error_t *err)
{
    rl_cmd_t *c = rl_cmd_new(arena, "HGET");
    rl_cmd_arg(c, ek);
    rl_cmd_arg(c, "v");
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(self->store, arena, c, &v, err);
    if (rc || (rc = unavailable_if_err(v, err)))
        return rc;
    *version = v->type == RL_VAL_STR ? strtoull(v->s, NULL, 10) : 0;
    return RL_OK;
}

/* Writes a small versioned record (read its version, then CAS on it) with its event and ops. */
static rl_err_t save_record(plan_store_t *self, rl_arena_t *arena, const char *tenant, const char *ek,
                            const ProtobufCMessage *msg, const Riskline__V1__DomainEvent *event, const char *request_id,
                            const char *dedupe_value, const rl_op_t *ops, size_t nops, rl_write_result_t *res,
                            rl_error_t *err)
{
    uint64_t version;
    rl_err_t rc = version_of(self, arena, ek, &version, err);
    if (rc)
        return rc;
    size_t blob_len = 0, ev_len = 0;
    uint8_t *blob = rl_codec_pack(msg, arena, &blob_len);
    uint8_t *ev = rl_codec_pack(&event->base, arena, &ev_len);
    if (!blob || !ev)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    rl_write_t w = {
        .entity_key = ek, .expected_version = version, .new_version = version + 1,
        .blob = blob, .blob_len = blob_len, .stream_key = key(arena, tenant, "events"),
        .event = ev, .event_len = ev_len, .dedupe_key = dedupe_key(arena, tenant, request_id),
        .dedupe_value = dedupe_value, .ops = ops, .nops = nops,
    };
    return rl_store_write(self->store, arena, &w, res, err);
}

rl_err_t plan_store_save_control(plan_store_t *self, rl_arena_t *arena, const char *tenant,
                                 const Riskline__V1__Control *c, const Riskline__V1__DomainEvent *event,
                                 const char *request_id, rl_write_result_t *res, rl_error_t *err)
{
    uint64_t n;
    if (rl_entity_id_parse("C", c->id, &n) != 0)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "bad control id %s", c->id);
    rl_op_t op = {RL_OP_ZADD, key(arena, tenant, "idx:control:id"), (double)n, c->id, NULL};
    return save_record(self, arena, tenant, key(arena, tenant, rl_arena_printf(arena, "control:%s", c->id)), &c->base,
                       event, request_id, c->id, &op, 1, res, err);
}

rl_err_t plan_store_save_exclusion(plan_store_t *self, rl_arena_t *arena, const char *tenant,
                                   const Riskline__V1__SoaEntry *e, const Riskline__V1__DomainEvent *event,
                                   const char *request_id, rl_write_result_t *res, rl_error_t *err)
{
    const char *id = e->control->id;
    rl_op_t op = e->exclusion_reason[0]
                     ? (rl_op_t){RL_OP_ZADD, key(arena, tenant, "idx:control:excl"), (double)e->excluded_at_ms, id, NULL}
                     : (rl_op_t){RL_OP_ZREM, key(arena, tenant, "idx:control:excl"), 0, id, NULL};
    return save_record(self, arena, tenant, key(arena, tenant, rl_arena_printf(arena, "control:excl:%s", id)),
                       &e->base, event, request_id, id, &op, 1, res, err);
}

rl_err_t plan_store_save_acceptance(plan_store_t *self, rl_arena_t *arena, const char *tenant,
                                    const Riskline__V1__Acceptance *a, const Riskline__V1__DomainEvent *event,
                                    const char *request_id, rl_write_result_t *res, rl_error_t *err)
{
    uint64_t n;
    int64_t day = 0;
    if (rl_entity_id_parse("R", a->risk_id, &n) != 0 || rl_date_parse(a->expires, &day) != 0)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "bad acceptance of %s", a->risk_id);
    rl_op_t op = {RL_OP_ZADD, key(arena, tenant, "idx:accept:expiry"), (double)day * SLOT + (double)n, a->risk_id,
                  NULL};
    return save_record(self, arena, tenant, key(arena, tenant, rl_arena_printf(arena, "accept:%s", a->risk_id)),
                       &a->base, event, request_id, a->risk_id, &op, 1, res, err);
}
