/* risk_store.c: register persistence: keys, indexes, list scans and the criteria cache. */
#include "risk_store.h"
#include "rl_history.h"
#include "rl_clock.h"
#include "rl_ids.h"
#include "rl_limits.h"
#include "rl_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Composite index scores keep index order unique and cursors exact:
 *   score index:  s * 1e9 + n   (s <= 100)        review index: day * 1e9 + n
 * Both stay below 2^53, so doubles hold them exactly. */
#define SLOT 1000000000.0
#define CACHE_SLOTS 64
#define LIST_BATCH 200
#define LIST_ARENA_BUDGET (16u * 1024 * 1024)

typedef struct {
    char tenant[RL_MAX_TENANT + 1];
    uint64_t version;
    risk_criteria_t criteria;
    char updated_by[RL_MAX_NAME + 1];
} cache_entry_t;

/* Risk numbers reserved ahead for one tenant. Interactive use reserves one at a time (no gaps);
 * a burst of creates doubles the block up to ID_BLOCK_MAX, saving a round trip per create. A
 * restart can then skip the unused rest of a block: numbers are never reused, only skipped. */
#define ID_BLOCK_MAX 32
#define ID_BURST_MS 1000

typedef struct {
    char tenant[RL_MAX_TENANT + 1];
    uint64_t next, last;       /* reserved and unused: next..last (empty when next > last) */
    uint32_t block;
    int64_t filled_ms;         /* monotonic time of the last reservation */
} id_block_t;

struct risk_store {
    rl_store_t *store;
    cache_entry_t cache[CACHE_SLOTS];
    id_block_t ids[CACHE_SLOTS];
};

risk_store_t *risk_store_new(rl_store_t *store)
{
    risk_store_t *self = calloc(1, sizeof *self);
    if (self)
        self->store = store;
    return self;
}

void risk_store_destroy(risk_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

static char *key(rl_arena_t *a, const char *tenant, const char *suffix)
{
    return rl_arena_printf(a, "rl:{%s}:%s", tenant, suffix);
}

static char *risk_key(rl_arena_t *a, const char *tenant, const char *id)
{
    return rl_arena_printf(a, "rl:{%s}:risk:%s", tenant, id);
}

static uint32_t slot_of(const char *tenant)
{
    uint32_t h = 2166136261u;
    for (const char *p = tenant; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % CACHE_SLOTS;
}

static cache_entry_t *cache_slot(risk_store_t *self, const char *tenant)
{
    return &self->cache[slot_of(tenant)];
}

static rl_err_t unavailable_if_err(const rl_val_t *v, rl_error_t *err)
{
    if (v->type == RL_VAL_ERR)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "store error: %.120s", v->s);
    return RL_OK;
}

/* Refreshes the cache slot from a criteria hash version reply; fetches the body when it changed. */
static rl_err_t cache_refresh(risk_store_t *self, rl_arena_t *arena, const char *tenant, const rl_val_t *vver,
                              cache_entry_t **out, rl_error_t *err)
{
    rl_err_t rc = unavailable_if_err(vver, err);
    if (rc)
        return rc;
    uint64_t version = vver->type == RL_VAL_STR ? strtoull(vver->s, NULL, 10) : 0;
    cache_entry_t *e = cache_slot(self, tenant);
    int hit = strcmp(e->tenant, tenant) == 0 && e->version == version;
    if (!hit) {
        risk_criteria_t c;
        risk_criteria_defaults(&c);
        if (version > 0) {
            rl_cmd_t *cmd = rl_cmd_new(arena, "HMGET");
            rl_cmd_arg(cmd, key(arena, tenant, "criteria"));
            rl_cmd_arg(cmd, "v");
            rl_cmd_arg(cmd, "pb");
            const rl_val_t *v;
            if ((rc = rl_store_cmd(self->store, arena, cmd, &v, err)))
                return rc;
            if (v->type != RL_VAL_ARR || v->n != 2 || v->elem[1].type != RL_VAL_STR)
                return rl_error_set(err, RL_ERR_INTERNAL, "", "criteria record is damaged");
            risk_criteria_t *got = rl_codec_unpack(&riskline__v1__criteria__descriptor, v->elem[1].s,
                                                   v->elem[1].len, RL_MAX_FRAME_BYTES, arena);
            if (!got)
                return rl_error_set(err, RL_ERR_INTERNAL, "", "criteria record does not decode");
            version = strtoull(v->elem[0].s ? v->elem[0].s : "0", NULL, 10);
            c = *got;
        }
        /* the cache outlives the arena: keep scalars, copy the one string */
        snprintf(e->updated_by, sizeof e->updated_by, "%s", c.updated_by ? c.updated_by : "");
        c.updated_by = e->updated_by;
        c.base.unknown_fields = NULL;
        c.base.n_unknown_fields = 0;
        snprintf(e->tenant, sizeof e->tenant, "%s", tenant);
        e->version = version;
        e->criteria = c;
        e->criteria.version = version;
    }
    *out = e;
    return RL_OK;
}

rl_err_t risk_store_criteria(risk_store_t *self, rl_arena_t *arena, const char *tenant, int revalidate,
                             const risk_criteria_t **out, uint64_t *version, rl_error_t *err)
{
    cache_entry_t *e = cache_slot(self, tenant);
    if (revalidate || strcmp(e->tenant, tenant) != 0) {
        rl_cmd_t *cmd = rl_cmd_new(arena, "HGET");
        rl_cmd_arg(cmd, key(arena, tenant, "criteria"));
        rl_cmd_arg(cmd, "v");
        const rl_val_t *v;
        rl_err_t rc = rl_store_cmd(self->store, arena, cmd, &v, err);
        if (rc || (rc = cache_refresh(self, arena, tenant, v, &e, err)))
            return rc;
    }
    *out = &e->criteria;
    *version = e->version;
    return RL_OK;
}

static risk_t *decode_risk(rl_arena_t *arena, const char *id, const rl_val_t *ver, const rl_val_t *pb)
{
    if (pb->type != RL_VAL_STR)
        return NULL;
    risk_t *r = rl_codec_unpack(&riskline__v1__risk__descriptor, pb->s, pb->len, RL_MAX_FRAME_BYTES, arena);
    if (!r)
        return NULL;
    r->id = rl_arena_strdup(arena, id);
    r->version = ver->type == RL_VAL_STR ? strtoull(ver->s, NULL, 10) : 0;
    return r;
}

rl_err_t risk_store_get(risk_store_t *self, rl_arena_t *arena, const char *tenant, const char *id,
                        risk_t **out, const risk_criteria_t **criteria, uint64_t *criteria_version,
                        rl_error_t *err)
{
    *out = NULL;
    rl_cmd_t *cmds[2];
    cmds[0] = rl_cmd_new(arena, "HGET");
    rl_cmd_arg(cmds[0], key(arena, tenant, "criteria"));
    rl_cmd_arg(cmds[0], "v");
    cmds[1] = rl_cmd_new(arena, "HMGET");
    rl_cmd_arg(cmds[1], risk_key(arena, tenant, id));
    rl_cmd_arg(cmds[1], "v");
    rl_cmd_arg(cmds[1], "pb");
    const rl_val_t *v[2];
    rl_err_t rc = rl_store_pipeline(self->store, arena, 2, cmds, v, err);
    if (rc)
        return rc;
    cache_entry_t *e;
    if ((rc = cache_refresh(self, arena, tenant, v[0], &e, err)))
        return rc;
    *criteria = &e->criteria;
    *criteria_version = e->version;
    if ((rc = unavailable_if_err(v[1], err)))
        return rc;
    if (v[1]->type != RL_VAL_ARR || v[1]->n != 2 || v[1]->elem[1].type == RL_VAL_NIL)
        return rl_error_set(err, RL_ERR_NOT_FOUND, "id", "risk %s does not exist in tenant %s", id, tenant);
    *out = decode_risk(arena, id, &v[1]->elem[0], &v[1]->elem[1]);
    if (!*out)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "risk record %s does not decode", id);
    return RL_OK;
}

static char *dedupe_key(rl_arena_t *a, const char *tenant, const char *request_id)
{
    /* per service: one request id sent to two services must not look like a retry */
    return rl_arena_printf(a, "rl:{%s}:req:register:%s", tenant, request_id);
}

rl_err_t risk_store_next_number(risk_store_t *self, rl_arena_t *arena, const char *tenant,
                                const char *request_id, uint64_t *n, const char **dup_id, rl_error_t *err)
{
    *dup_id = NULL;
    id_block_t *b = &self->ids[slot_of(tenant)];
    if (strcmp(b->tenant, tenant) == 0 && b->next <= b->last && b->next > 0) {
        *n = b->next++;
        return RL_OK;
    }
    int64_t now = rl_mono_ms();
    int same = strcmp(b->tenant, tenant) == 0;
    uint32_t want = same && b->block && now - b->filled_ms < ID_BURST_MS
                        ? (b->block * 2 > ID_BLOCK_MAX ? ID_BLOCK_MAX : b->block * 2)
                        : 1;
    uint64_t last;
    rl_err_t rc = rl_store_reserve(self->store, arena, key(arena, tenant, "seq:risk"),
                                   dedupe_key(arena, tenant, request_id), want, &last, dup_id, err);
    if (rc || *dup_id)
        return rc;
    snprintf(b->tenant, sizeof b->tenant, "%s", tenant);
    b->block = want;
    b->filled_ms = now;
    b->next = last - want + 1;
    b->last = last;
    *n = b->next++;
    return RL_OK;
}

rl_err_t risk_store_served(risk_store_t *self, rl_arena_t *arena, const char *tenant, const char *request_id,
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

void risk_store_unuse_number(risk_store_t *self, const char *tenant, uint64_t n)
{
    id_block_t *b = &self->ids[slot_of(tenant)];
    if (strcmp(b->tenant, tenant) == 0 && b->next == n + 1)
        b->next = n;
}

static char *guard_value(rl_arena_t *a, uint64_t version)
{
    return version ? rl_arena_printf(a, "%llu", (unsigned long long)version) : "";
}

rl_err_t risk_store_save(risk_store_t *self, rl_arena_t *arena, const char *tenant, const risk_t *r,
                         uint64_t expected_version, uint64_t criteria_version,
                         const Riskline__V1__DomainEvent *event, const char *request_id,
                         rl_write_result_t *res, rl_error_t *err)
{
    uint64_t n;
    if (rl_entity_id_parse("R", r->id, &n) != 0)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "bad risk id %s", r->id);
    /* The stored blob has no id and version: the key and the hash field carry them. */
    risk_t stored = *r;
    stored.id = (char *)protobuf_c_empty_string;
    stored.version = 0;
    size_t blob_len = 0, ev_len = 0;
    uint8_t *blob = rl_codec_pack(&stored.base, arena, &blob_len);
    uint8_t *ev = rl_codec_pack(&event->base, arena, &ev_len);
    if (!blob || !ev)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    int64_t day = 0;
    if (r->next_review)
        rl_date_parse(r->next_review, &day);
    uint32_t ml, mi;
    risk_max_axes(r, &ml, &mi);
    const char *ek = risk_key(arena, tenant, r->id);
    rl_op_t ops[9];
    size_t k = 0;
    ops[k++] = (rl_op_t){RL_OP_GUARD_HFIELD, key(arena, tenant, "criteria"), 0, "v",
                         guard_value(arena, criteria_version)};
    if (r->archived) {
        ops[k++] = (rl_op_t){RL_OP_ZREM, key(arena, tenant, "idx:risk:id"), 0, r->id, NULL};
        ops[k++] = (rl_op_t){RL_OP_ZREM, key(arena, tenant, "idx:risk:score"), 0, r->id, NULL};
        ops[k++] = (rl_op_t){RL_OP_ZREM, key(arena, tenant, "idx:risk:review"), 0, r->id, NULL};
        ops[k++] = (rl_op_t){RL_OP_ZREM, key(arena, tenant, "idx:risk:axis_l"), 0, r->id, NULL};
        ops[k++] = (rl_op_t){RL_OP_ZREM, key(arena, tenant, "idx:risk:axis_i"), 0, r->id, NULL};
        ops[k++] = (rl_op_t){RL_OP_ZADD, key(arena, tenant, "idx:risk:archived"), (double)n, r->id, NULL};
    } else {
        ops[k++] = (rl_op_t){RL_OP_ZADD, key(arena, tenant, "idx:risk:id"), (double)n, r->id, NULL};
        ops[k++] = (rl_op_t){RL_OP_ZADD, key(arena, tenant, "idx:risk:score"),
                             (double)risk_score(r->inherent) * SLOT + (double)n, r->id, NULL};
        ops[k++] = (rl_op_t){RL_OP_ZADD, key(arena, tenant, "idx:risk:review"), (double)day * SLOT + (double)n,
                             r->id, NULL};
        ops[k++] = (rl_op_t){RL_OP_ZADD, key(arena, tenant, "idx:risk:axis_l"), ml, r->id, NULL};
        ops[k++] = (rl_op_t){RL_OP_ZADD, key(arena, tenant, "idx:risk:axis_i"), mi, r->id, NULL};
    }
    ops[k++] = (rl_op_t){RL_OP_HISTORY, rl_arena_printf(arena, "%s:hist", ek), 0, NULL, NULL};
    rl_write_t w = {
        .entity_key = ek, .expected_version = expected_version, .new_version = r->version,
        .blob = blob, .blob_len = blob_len, .stream_key = key(arena, tenant, "events"),
        .event = ev, .event_len = ev_len,
        .dedupe_key = dedupe_key(arena, tenant, request_id),
        .dedupe_value = r->id, .ops = ops, .nops = k,
    };
    rl_err_t rc = rl_store_write(self->store, arena, &w, res, err);
    if (rc == RL_ERR_CONFLICT && res->failed_guard == 0)
        return rl_error_set(err, RL_ERR_CONFLICT, "criteria",
                            "the tenant's risk criteria changed while the request was handled; retry");
    return rc;
}

/* --- list --- */

typedef struct {
    const char *key;
    int desc;
    double lo, hi;       /* inclusive bounds of composite scores */
} scan_t;

rl_err_t risk_store_list(risk_store_t *self, rl_arena_t *arena, const char *tenant,
                         const Riskline__V1__RiskList *q, Riskline__V1__RiskPage *page, rl_error_t *err)
{
    rl_err_t rc;
    int64_t before;
    if ((rc = risk_list_check(q, &before, err)))
        return rc;
    uint32_t limit = q->limit ? q->limit : RL_DEFAULT_PAGE;
    const risk_criteria_t *crit;
    uint64_t cver;
    if ((rc = risk_store_criteria(self, arena, tenant, 1, &crit, &cver, err)))
        return rc;

    scan_t s = {key(arena, tenant, "idx:risk:id"), 0, 0, 9e15};
    if (q->archived) {
        s.key = key(arena, tenant, "idx:risk:archived");
    } else if (q->sort == RISKLINE__V1__RISK_SORT__RISK_SORT_SCORE) {
        s.key = key(arena, tenant, "idx:risk:score");
        s.desc = 1;
        if (q->level) { /* the level is a score band: scan only that band */
            uint32_t lo = 1, hi = 100;
            for (uint32_t sc = 1; sc <= 100; sc++)
                if (risk_level(sc, crit) == q->level) { lo = sc; break; }
            for (uint32_t sc = 100; sc >= 1; sc--)
                if (risk_level(sc, crit) == q->level) { hi = sc; break; }
            s.lo = lo * SLOT;
            s.hi = (hi + 1) * SLOT - 1;
        }
    } else if (q->sort == RISKLINE__V1__RISK_SORT__RISK_SORT_REVIEW) {
        s.key = key(arena, tenant, "idx:risk:review");
        if (before >= 0)
            s.hi = (double)before * SLOT - 1;
    } else if (q->sort != RISKLINE__V1__RISK_SORT__RISK_SORT_ID) {
        return rl_error_set(err, RL_ERR_INVALID, "sort", "unknown sort %d", (int)q->sort);
    }
    if (q->cursor && q->cursor[0]) {
        double c;
        if ((rc = rl_history_cursor_parse(q->cursor, &c, err)))
            return rc;
        if (s.desc)
            s.hi = c - 1;
        else
            s.lo = c + 1;
    }
    Riskline__V1__Risk **out = rl_arena_alloc(arena, limit * sizeof *out);
    if (!out)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    size_t n = 0;
    uint32_t scanned = 0;
    double last = -1;
    int exhausted = 0;
    int filtered = (q->owner && q->owner[0]) || (q->category && q->category[0]) || q->status || q->level ||
                   before >= 0;
    /* bounded memory too: a sparse filter over large risks stops early with a cursor */
    while (n < limit && scanned < RL_MAX_LIST_SCAN && rl_arena_used(arena) < LIST_ARENA_BUDGET && !exhausted) {
        if (s.lo > s.hi) {
            exhausted = 1;
            break;
        }
        rl_cmd_t *cmd = rl_cmd_new(arena, s.desc ? "ZREVRANGEBYSCORE" : "ZRANGEBYSCORE");
        rl_cmd_arg(cmd, s.key);
        rl_cmd_argf(cmd, "%.0f", s.desc ? s.hi : s.lo);
        rl_cmd_argf(cmd, "%.0f", s.desc ? s.lo : s.hi);
        rl_cmd_arg(cmd, "WITHSCORES");
        rl_cmd_arg(cmd, "LIMIT");
        rl_cmd_arg(cmd, "0");
        /* unfiltered pages fetch what they need; filtered ones read ahead in batches */
        uint32_t want = filtered || limit - (uint32_t)n > LIST_BATCH ? LIST_BATCH : limit - (uint32_t)n;
        rl_cmd_argf(cmd, "%u", want);
        const rl_val_t *ids;
        if ((rc = rl_store_cmd(self->store, arena, cmd, &ids, err)))
            return rc;
        if (ids->type != RL_VAL_ARR)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "unexpected index reply");
        size_t got = ids->n / 2;
        if (got == 0) {
            exhausted = 1;
            break;
        }
        rl_cmd_t **gets = rl_arena_alloc(arena, got * sizeof *gets);
        const rl_val_t **vals = rl_arena_alloc(arena, got * sizeof *vals);
        if (!gets || !vals)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        for (size_t i = 0; i < got; i++) {
            gets[i] = rl_cmd_new(arena, "HMGET");
            rl_cmd_arg(gets[i], risk_key(arena, tenant, ids->elem[2 * i].s));
            rl_cmd_arg(gets[i], "v");
            rl_cmd_arg(gets[i], "pb");
        }
        if ((rc = rl_store_pipeline(self->store, arena, got, gets, vals, err)))
            return rc;
        for (size_t i = 0; i < got && n < limit && scanned < RL_MAX_LIST_SCAN; i++) {
            double score = strtod(ids->elem[2 * i + 1].s, NULL);
            last = score;
            scanned++;
            if (s.desc)
                s.hi = score - 1;
            else
                s.lo = score + 1;
            if (vals[i]->type != RL_VAL_ARR || vals[i]->n != 2)
                continue;
            risk_t *r = decode_risk(arena, ids->elem[2 * i].s, &vals[i]->elem[0], &vals[i]->elem[1]);
            if (!r)
                continue;
            risk_derive(r, crit);
            if (risk_list_match(r, q, before))
                out[n++] = r;
        }
    }
    page->risks = out;
    page->n_risks = n;
    page->scanned = scanned;
    /* A page that stopped before the end carries a cursor; the next page may then be empty. */
    page->next_cursor = (!exhausted && last >= 0) ? rl_arena_printf(arena, "%.0f", last)
                                                  : (char *)protobuf_c_empty_string;
    return RL_OK;
}

/* --- history --- */

rl_err_t risk_store_history(risk_store_t *self, rl_arena_t *arena, const char *tenant, const char *id,
                            uint32_t limit, const char *cursor, Riskline__V1__HistoryPage *page,
                            rl_error_t *err)
{
    return rl_history_page(self->store, arena, risk_key(arena, tenant, id), key(arena, tenant, "events"),
                           rl_arena_printf(arena, "risk %s in tenant %s", id, tenant), limit, cursor, page, err);
}

/* --- criteria --- */

rl_err_t risk_store_save_criteria(risk_store_t *self, rl_arena_t *arena, const char *tenant,
                                  const risk_criteria_t *c, uint64_t expected_version,
                                  const Riskline__V1__DomainEvent *event, const char *request_id,
                                  rl_write_result_t *res, rl_error_t *err)
{
    size_t blob_len = 0, ev_len = 0;
    uint8_t *blob = rl_codec_pack(&c->base, arena, &blob_len);
    uint8_t *ev = rl_codec_pack(&event->base, arena, &ev_len);
    if (!blob || !ev)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    const char *ek = key(arena, tenant, "criteria");
    rl_op_t ops[3] = {
        {RL_OP_GUARD_ZNONE, key(arena, tenant, "idx:risk:axis_l"), 0,
         rl_arena_printf(arena, "(%u", c->likelihood_levels), "+inf"},
        {RL_OP_GUARD_ZNONE, key(arena, tenant, "idx:risk:axis_i"), 0,
         rl_arena_printf(arena, "(%u", c->impact_levels), "+inf"},
        {RL_OP_HISTORY, rl_arena_printf(arena, "%s:hist", ek), 0, NULL, NULL},
    };
    rl_write_t w = {
        .entity_key = ek, .expected_version = expected_version, .new_version = c->version,
        .blob = blob, .blob_len = blob_len, .stream_key = key(arena, tenant, "events"),
        .event = ev, .event_len = ev_len,
        .dedupe_key = dedupe_key(arena, tenant, request_id),
        .dedupe_value = "criteria", .ops = ops, .nops = 3,
    };
    rl_err_t rc = rl_store_write(self->store, arena, &w, res, err);
    if (rc == RL_ERR_CONFLICT && res->failed_guard <= 1)
        return rl_error_set(err, RL_ERR_CONFLICT,
                            res->failed_guard == 0 ? "criteria.likelihood_levels" : "criteria.impact_levels",
                            "%lld live risk(s) use a %s above %u; re-rate or archive them first",
                            res->guard_value, res->failed_guard == 0 ? "likelihood" : "impact",
                            res->failed_guard == 0 ? c->likelihood_levels : c->impact_levels);
    return rc;
}
