/* asof_handler.c: reports as of a past instant: the tenant's events up to that instant read once
 * per page (bounded XRANGE pages in the scratch arena), each entity's latest snapshot kept
 * (report_asof.h), then the page handed to the report's usual rows. */
#include "report_asof.h"
#include "report_chunk.h"
#include "catalogue.h"
#include "rl_codec.h"
#include "rl_ids.h"
#include "rl_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_PAGE 500

typedef rl_err_t (*event_fn)(void *ctx, const Riskline__V1__DomainEvent *ev, rl_error_t *err);

/* One XRANGE of the tenant's stream: from `start` up to the as-of instant, at most count entries. */
static rl_err_t xrange(chunk_t *c, rl_arena_t *a, const char *start, const char *end, uint32_t count,
                       const rl_val_t **out, rl_error_t *err)
{
    rl_cmd_t *cmd = rl_cmd_new(a, "XRANGE");
    rl_cmd_argf(cmd, "rl:{%s}:events", c->req->tenant);
    rl_cmd_arg(cmd, start);
    rl_cmd_arg(cmd, end);
    rl_cmd_arg(cmd, "COUNT");
    rl_cmd_argf(cmd, "%u", count);
    rl_err_t rc = rl_store_cmd(c->srv->store, a, cmd, out, err);
    if (rc == RL_OK && (*out)->type == RL_VAL_ERR)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "redis: %s", (*out)->s);
    if (rc == RL_OK && (*out)->type != RL_VAL_ARR)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "unexpected stream reply");
    return rc;
}

rl_err_t report_asof_check(chunk_t *c, rl_error_t *err)
{
    const rl_val_t *v;
    char ts[RL_TS_LEN];
    rl_err_t rc = xrange(c, c->req->arena, "-", "+", 1, &v, err);
    if (rc)
        return rc;
    if (v->n == 0 || v->elem[0].type != RL_VAL_ARR || v->elem[0].n < 1)
        return rl_error_set(err, RL_ERR_INVALID, "as_of", "tenant %s has no events: nothing to rebuild",
                            c->req->tenant);
    int64_t first = strtoll(v->elem[0].elem[0].s, NULL, 10);
    if (c->asof_ms < first)
        return rl_error_set(err, RL_ERR_INVALID, "as_of", "is before the tenant's first event (%s)",
                            rl_ts_format(first, ts));
    return RL_OK;
}

/* Calls fn for every event of the tenant up to the as-of instant, oldest first; each page of
 * events lives in the scratch arena until the next (fn copies what it keeps). */
static rl_err_t scan(chunk_t *c, event_fn fn, void *ctx, rl_error_t *err)
{
    rl_arena_t *s = c->srv->scratch;
    char start[64] = "-", end[32];
    snprintf(end, sizeof end, "%" PRId64, c->asof_ms);
    rl_err_t rc = RL_OK;
    for (;;) {
        rl_arena_reset(s);
        const rl_val_t *v;
        if ((rc = xrange(c, s, start, end, SCAN_PAGE, &v, err)))
            break;
        for (size_t i = 0; i < v->n && !rc; i++) {
            const rl_val_t *ent = &v->elem[i];
            if (ent->type != RL_VAL_ARR || ent->n < 2 || ent->elem[0].type != RL_VAL_STR)
                continue;
            snprintf(start, sizeof start, "(%s", ent->elem[0].s);
            const rl_val_t *fv = &ent->elem[1];
            for (size_t k = 0; fv->type == RL_VAL_ARR && k + 1 < fv->n; k += 2) {
                if (fv->elem[k].type != RL_VAL_STR || strcmp(fv->elem[k].s, "e") != 0)
                    continue;
                const Riskline__V1__DomainEvent *ev = rl_codec_unpack(
                    &riskline__v1__domain_event__descriptor, fv->elem[k + 1].s, fv->elem[k + 1].len,
                    RL_MAX_FRAME_BYTES, s);
                if (ev && ev->entity_type && ev->entity_id)  /* an undecodable entry is no one's state */
                    rc = fn(ctx, ev, err);
                break;
            }
        }
        if (rc || v->n < SCAN_PAGE)
            break;
    }
    rl_arena_reset(s);
    return rc;
}

static rl_err_t put(report_asof_set_t *set, const char *id, const void *bytes, size_t len, const char *what,
                    rl_error_t *err)
{
    int r = report_asof_set_put(set, id, bytes, len);
    if (r == -2)
        return rl_error_set(err, RL_ERR_INVALID, "as_of", "the tenant had more than %d %s: too many to rebuild",
                            REPORT_ASOF_MAX, what);
    return r ? rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory") : RL_OK;
}

/* What a scan keeps: any of these may be NULL (not wanted). */
typedef struct {
    report_asof_set_t *risks, *plans, *links, *criteria, *controls, *records;
    const char *only_plan;   /* plans: this plan only */
    int soa;                 /* plans: keep what the SoA reads only */
    rl_arena_t *scratch;
} keep_t;

static int is(const char *a, const char *b)
{
    return a && !strcmp(a, b);
}

static rl_err_t keep(void *ctx, const Riskline__V1__DomainEvent *ev, rl_error_t *err)
{
    keep_t *k = ctx;
    const uint8_t *b = ev->entity.data;
    size_t n = ev->entity.len;
    if (is(ev->entity_type, "risk") && k->risks)
        return put(k->risks, ev->entity_id, b, n, "risks", err);
    if (is(ev->entity_type, "criteria") && k->criteria)
        return put(k->criteria, "criteria", b, n, "criteria", err);
    if (is(ev->entity_type, "control") && is(ev->kind, "control.added") && k->controls)
        return put(k->controls, ev->entity_id, b, n, "controls", err);
    if (is(ev->entity_type, "control") && k->records &&
        (is(ev->kind, "control.excluded") || is(ev->kind, "control.included")))
        return put(k->records, ev->entity_id, b, n, "exclusion records", err);
    if (!is(ev->entity_type, "plan"))
        return RL_OK;
    if (k->links && !report_asof_set_has(k->links, ev->entity_id)) {
        /* a plan's risk never changes: its first event says it */
        Riskline__V1__Plan *p = rl_codec_unpack(&riskline__v1__plan__descriptor, b, n, RL_MAX_FRAME_BYTES, k->scratch);
        if (p && p->risk_id) {
            rl_err_t rc = put(k->links, ev->entity_id, p->risk_id, strlen(p->risk_id) + 1, "plans", err);
            if (rc)
                return rc;
        }
    }
    if (!k->plans || (k->only_plan && strcmp(k->only_plan, ev->entity_id) != 0))
        return RL_OK;
    if (k->soa) {
        /* only what soa_derive reads: memory grows with plans x controls, not their history */
        Riskline__V1__Plan *p = rl_codec_unpack(&riskline__v1__plan__descriptor, b, n, RL_MAX_FRAME_BYTES, k->scratch);
        Riskline__V1__Plan *small = p ? report_plan_for_soa(p, k->scratch) : NULL;
        size_t len;
        uint8_t *packed = small ? rl_codec_pack(&small->base, k->scratch, &len) : NULL;
        if (!packed)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        return put(k->plans, ev->entity_id, packed, len, "plans", err);
    }
    return put(k->plans, ev->entity_id, b, n, "plans", err);
}

static void keep_destroy(keep_t *k)
{
    report_asof_set_destroy(&k->risks);
    report_asof_set_destroy(&k->plans);
    report_asof_set_destroy(&k->links);
    report_asof_set_destroy(&k->criteria);
    report_asof_set_destroy(&k->controls);
    report_asof_set_destroy(&k->records);
}

/* The kept entities of set decoded into the request arena (NULL entries skipped). */
static rl_err_t decode_all(chunk_t *c, const report_asof_set_t *set, const ProtobufCMessageDescriptor *d, void ***out,
                           size_t *n, rl_error_t *err)
{
    size_t count = set ? report_asof_set_count(set) : 0;
    *n = 0;
    *out = rl_arena_alloc(c->req->arena, (count ? count : 1) * sizeof **out);
    if (!*out)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    for (size_t i = 0; i < count; i++) {
        const void *b;
        size_t len;
        report_asof_set_at(set, i, &b, &len);
        void *m = rl_codec_unpack(d, b, len, RL_MAX_FRAME_BYTES, c->req->arena);
        if (!m)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "an event's entity does not decode (or out of memory)");
        (*out)[(*n)++] = m;
    }
    return RL_OK;
}

/* The next page's cursor: the number of the last kept id when more follow, else "". */
static const char *next_of(chunk_t *c, const report_asof_set_t *set)
{
    size_t n = report_asof_set_count(set);
    if (!report_asof_set_more(set) || n == 0)
        return "";
    const void *b;
    size_t len;
    const char *id = report_asof_set_at(set, n - 1, &b, &len);
    const char *dash = strrchr(id, '-');
    return rl_arena_strdup(c->req->arena, dash ? dash + 1 : "");
}

/* "R-<cursor>" (or "" for an empty cursor); NULL when the cursor is not a number. */
static const char *after_of(chunk_t *c, const char *prefix, const char *cursor)
{
    if (!cursor || !cursor[0])
        return "";
    if (strspn(cursor, "0123456789") != strlen(cursor) || strlen(cursor) > 15)
        return NULL;
    return rl_arena_printf(c->req->arena, "%s-%s", prefix, cursor);
}

/* The criteria as then: the last criteria.set's, or the defaults when none came before. */
static rl_err_t criteria_of(chunk_t *c, const report_asof_set_t *set, const risk_criteria_t **out, rl_error_t *err)
{
    void **crits;
    size_t n;
    rl_err_t rc = decode_all(c, set, &riskline__v1__criteria__descriptor, &crits, &n, err);
    if (rc)
        return rc;
    if (n) {
        *out = crits[0];
        return RL_OK;
    }
    risk_criteria_t *d = rl_arena_alloc(c->req->arena, sizeof *d);
    if (!d)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    riskline__v1__criteria__init(d);
    risk_criteria_defaults(d);
    *out = d;
    return RL_OK;
}

rl_err_t report_asof_risks(chunk_t *c, const Riskline__V1__RiskList *q, Riskline__V1__RiskPage *page,
                           const char ***plans, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    int64_t before;
    rl_err_t rc = risk_list_check(q, &before, err);
    if (rc)
        return report_filters_err(rc, err);
    const char *after = after_of(c, "R", q->cursor);
    if (!after)
        return rl_error_set(err, RL_ERR_INVALID, "cursor", "is not a cursor of this report");
    keep_t k = {.risks = report_asof_set_new(after, q->limit ? q->limit : RL_DEFAULT_PAGE, 0),
                .links = report_asof_set_new("", REPORT_ASOF_MAX, 1),
                .criteria = report_asof_set_new("", 1, 1), .scratch = c->srv->scratch};
    if (!k.risks || !k.links || !k.criteria)
        rc = rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    if (!rc)
        rc = scan(c, keep, &k, err);
    void **risks = NULL;
    size_t nr = 0;
    const risk_criteria_t *crit = NULL;
    if (!rc)
        rc = decode_all(c, k.risks, &riskline__v1__risk__descriptor, &risks, &nr, err);
    if (!rc)
        rc = criteria_of(c, k.criteria, &crit, err);
    page->risks = rl_arena_alloc(a, (nr ? nr : 1) * sizeof *page->risks);
    *plans = rl_arena_alloc(a, (nr ? nr : 1) * sizeof **plans);
    if (!rc && (!page->risks || !*plans))
        rc = rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    page->n_risks = 0;
    for (size_t i = 0; !rc && i < nr; i++) {
        risk_t *r = risks[i];
        risk_derive(r, crit);
        if (!report_asof_risk_listed(r, q, before))
            continue;
        /* its plans in id order, as the treatment's per-risk index lists them */
        const char *ids = "";
        for (size_t j = 0; ids && j < report_asof_set_count(k.links); j++) {
            const void *b;
            size_t len;
            const char *pid = report_asof_set_at(k.links, j, &b, &len);
            if (r->id && !strcmp(b, r->id))
                ids = rl_arena_printf(a, "%s%s%s", ids, ids[0] ? " " : "", pid);
        }
        if (!ids)
            rc = rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        (*plans)[page->n_risks] = ids;
        page->risks[page->n_risks++] = r;
    }
    if (!rc)
        page->next_cursor = (char *)next_of(c, k.risks);
    keep_destroy(&k);
    return rc;
}

/* The number of "TP-<n>" (0 when not one). */
static uint64_t plan_number(const char *id)
{
    uint64_t n;
    return id && rl_entity_id_parse("TP", id, &n) == 0 ? n : 0;
}

/* One event pass keeping the plans numbered after `after` (at most cap), derived, into the chunk's
 * window: the document's pages of 20 plans (and its history, one plan at a time) are then served
 * from it, one pass per chunk rather than one per page. */
static rl_err_t window_fill(chunk_t *c, uint64_t after, size_t cap, rl_error_t *err)
{
    const char *only = c->q->plan_id && c->q->plan_id[0] ? c->q->plan_id : NULL;
    const char *a = after ? rl_arena_printf(c->req->arena, "TP-%" PRIu64, after) : "";
    if (!a)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    keep_t k = {.plans = report_asof_set_new(a, cap, 0), .only_plan = only, .scratch = c->srv->scratch};
    rl_err_t rc = k.plans ? scan(c, keep, &k, err) : rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    void **plans = NULL;
    size_t n = 0;
    if (!rc)
        rc = decode_all(c, k.plans, &riskline__v1__plan__descriptor, &plans, &n, err);
    if (!rc) {
        for (size_t i = 0; i < n; i++)
            plan_derive(plans[i]);
        c->asof_window.plans = (Riskline__V1__Plan **)plans;
        c->asof_window.n = n;
        c->asof_window.after = after;
        c->asof_window.more = report_asof_set_more(k.plans);
        c->asof_window.valid = 1;
    }
    keep_destroy(&k);
    return rc;
}

#define PLAN_WINDOW 100   /* plans decoded per event pass of the plan document */

rl_err_t report_asof_plans(chunk_t *c, const char *cursor, uint32_t limit, Riskline__V1__Plan ***plans, size_t *n,
                           const char **next, rl_error_t *err)
{
    const char *only = c->q->plan_id && c->q->plan_id[0] ? c->q->plan_id : NULL;
    *n = 0;
    *next = "";
    if (only && cursor[0])
        return RL_OK;  /* the one plan came with the first page */
    if (cursor[0] && (strspn(cursor, "0123456789") != strlen(cursor) || strlen(cursor) > 15))
        return rl_error_set(err, RL_ERR_INVALID, "cursor", "is not a cursor of this report");
    uint64_t k = cursor[0] ? strtoull(cursor, NULL, 10) : 0;
    for (int pass = 0; pass < 2; pass++) {
        if (c->asof_window.valid && k >= c->asof_window.after) {
            size_t i = 0;
            while (i < c->asof_window.n && plan_number(c->asof_window.plans[i]->id) <= k)
                i++;
            if (i < c->asof_window.n) {
                size_t m = c->asof_window.n - i < limit ? c->asof_window.n - i : limit;
                *plans = &c->asof_window.plans[i];
                *n = m;
                if (only)
                    *next = "1";
                else if (i + m < c->asof_window.n || c->asof_window.more)
                    *next = rl_arena_printf(c->req->arena, "%" PRIu64, plan_number((*plans)[m - 1]->id));
                return *next ? RL_OK : rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
            }
            if (!c->asof_window.more)
                break;
        }
        rl_err_t rc = window_fill(c, k, limit > PLAN_WINDOW ? limit : PLAN_WINDOW, err);
        if (rc)
            return rc;
    }
    if (only)
        return rl_error_set(err, RL_ERR_NOT_FOUND, "plan_id", "plan %s did not exist in tenant %s at %s", only,
                            c->req->tenant, c->q->as_of);
    return RL_OK;
}

rl_err_t report_asof_controls(chunk_t *c, Riskline__V1__Control ***custom, size_t *n, rl_error_t *err)
{
    keep_t k = {.controls = report_asof_set_new("", REPORT_ASOF_MAX, 1), .scratch = c->srv->scratch};
    rl_err_t rc = k.controls ? scan(c, keep, &k, err) : rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    if (!rc)
        rc = decode_all(c, k.controls, &riskline__v1__control__descriptor, (void ***)custom, n, err);
    keep_destroy(&k);
    return rc;
}

rl_err_t report_asof_soa(chunk_t *c, Riskline__V1__SoaEntry ***entries, size_t *n, rl_error_t *err)
{
    keep_t k = {.plans = report_asof_set_new("", REPORT_ASOF_MAX, 1),
                .controls = report_asof_set_new("", REPORT_ASOF_MAX, 1),
                .records = report_asof_set_new("", REPORT_ASOF_MAX, 1), .soa = 1, .scratch = c->srv->scratch};
    rl_err_t rc = k.plans && k.controls && k.records ? scan(c, keep, &k, err)
                                                       : rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    void **plans = NULL, **custom = NULL, **records = NULL;
    size_t np = 0, nc = 0, nr = 0;
    if (!rc)
        rc = decode_all(c, k.plans, &riskline__v1__plan__descriptor, &plans, &np, err);
    if (!rc)
        rc = decode_all(c, k.controls, &riskline__v1__control__descriptor, &custom, &nc, err);
    if (!rc)
        rc = decode_all(c, k.records, &riskline__v1__soa_entry__descriptor, &records, &nr, err);
    keep_destroy(&k);
    if (rc)
        return rc;
    return soa_derive_records((const Riskline__V1__Plan *const *)plans, np, (const Riskline__V1__Control *const *)custom,
                              nc, (const Riskline__V1__SoaEntry *const *)records, nr, 0, 0, c->req->arena, entries, n,
                              err);
}

/* The plan's history up to the as-of instant: a page whose events pass it ends there. */
void report_asof_history_cut(chunk_t *c, Riskline__V1__HistoryPage *hp)
{
    for (size_t i = 0; i < hp->n_events; i++) {
        const char *sid = hp->events[i]->stream_id;
        if (sid && strtoll(sid, NULL, 10) > c->asof_ms) {
            hp->n_events = i;
            hp->next_cursor = (char *)protobuf_c_empty_string;
            return;
        }
    }
}

rl_err_t report_asof_matrix(chunk_t *c, report_matrix_t *m, int (*counted)(const chunk_t *c, const risk_t *r),
                            rl_error_t *err)
{
    int64_t before;
    rl_err_t rc = risk_list_check(&c->filters, &before, err);
    if (rc)
        return report_filters_err(rc, err);
    keep_t k = {.risks = report_asof_set_new("", REPORT_ASOF_MAX, 1), .criteria = report_asof_set_new("", 1, 1),
                .scratch = c->srv->scratch};
    const risk_criteria_t *crit = NULL;
    if (!k.risks || !k.criteria)
        rc = rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    if (!rc)
        rc = scan(c, keep, &k, err);
    if (!rc)
        rc = criteria_of(c, k.criteria, &crit, err);
    if (!rc && report_matrix_init(m, crit) != 0)
        rc = rl_error_set(err, RL_ERR_INTERNAL, "", "the criteria's matrix is beyond 10 x 10");
    /* one risk decoded at a time: memory is the kept snapshots, not the decoded risks */
    for (size_t i = 0; !rc && i < report_asof_set_count(k.risks); i++) {
        const void *b;
        size_t len;
        report_asof_set_at(k.risks, i, &b, &len);
        rl_arena_reset(c->srv->scratch);
        risk_t *r = rl_codec_unpack(&riskline__v1__risk__descriptor, b, len, RL_MAX_FRAME_BYTES, c->srv->scratch);
        if (!r) {
            rc = rl_error_set(err, RL_ERR_INTERNAL, "", "an event's risk does not decode (or out of memory)");
            break;
        }
        risk_derive(r, crit);
        if (report_asof_risk_listed(r, &c->filters, before) && counted(c, r))
            report_matrix_add(m, r);
    }
    rl_arena_reset(c->srv->scratch);
    keep_destroy(&k);
    return rc;
}
