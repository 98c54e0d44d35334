/* report_handler.c: report_get: checks the request, picks the report, and returns one chunk with
 * the cursor of the next; the helpers every report shares (report_chunk.h). */
#include "report_chunk.h"
#include "rl_ids.h"
#include "rl_json.h"
#include "rl_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A store error on the filters names the request's field: "filters.owner". */
rl_err_t report_filters_err(rl_err_t rc, rl_error_t *err)
{
    if (rc == RL_ERR_INVALID && err->field[0] && strncmp(err->field, "filters.", 8) != 0) {
        char f[sizeof err->field];
        memcpy(f, err->field, sizeof f);
        size_t n = strnlen(f, sizeof f - 1);
        if (n + 8 < sizeof err->field) {
            memcpy(err->field, "filters.", 8);
            memcpy(err->field + 8, f, n + 1);
        }
    }
    return rc;
}

/* The parameters a document states (key, label, value triplets, NULL-ended, arena-owned). */
const char *const *report_params(chunk_t *c)
{
    rl_arena_t *a = c->req->arena;
    const char **p = rl_arena_alloc(a, 24 * sizeof *p);
    if (!p)
        return NULL;
    size_t n = 0;
    const Riskline__V1__RiskList *f = &c->filters;
    char buf[64];
#define PARAM(k, l, v) (p[n++] = (k), p[n++] = (l), p[n++] = (v))
    if (f->owner && f->owner[0])
        PARAM("owner", "Owner", f->owner);
    if (f->category && f->category[0])
        PARAM("category", "Category", f->category);
    if (f->level)
        PARAM("level", "Inherent level", report_level_name(f->level));
    if (f->status)
        PARAM("status", "Status",
              rl_arena_strdup(a, rl_json_enum_name(&riskline__v1__risk_status__descriptor, f->status, buf, sizeof buf)));
    if (f->review_before && f->review_before[0])
        PARAM("review_before", "Review before", f->review_before);
    if (f->archived)
        PARAM("archived", "Archived risks", "yes");
    if (c->q->since && c->q->since[0])
        PARAM("since", c->name == REPORT_REVIEW_PACK ? "Last review" : c->name == REPORT_AUDIT_TRAIL ? "Since" : "Changed since",
              c->q->since);
    if (c->q->until && c->q->until[0])
        PARAM("until", "Until", c->q->until);
    if (c->q->plan_id && c->q->plan_id[0])
        PARAM("plan_id", "Plan", c->q->plan_id);
    if (c->q->entity && c->q->entity[0])
        PARAM("entity", "Entity", c->q->entity);
#undef PARAM
    p[n] = NULL;
    return p;
}

rl_err_t report_set_inner(report_cursor_t *cur, const char *next, rl_error_t *err)
{
    if (strlen(next) > RL_MAX_CURSOR)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "a list returned a cursor over %d bytes", RL_MAX_CURSOR);
    snprintf(cur->inner, sizeof cur->inner, "%s", next);
    return RL_OK;
}

/* 1 while the chunk may take more rows. */
int report_room(const chunk_t *c, uint32_t rows)
{
    size_t len;
    render_data(c->out, &len);
    return rows < CHUNK_ROWS && len < CHUNK_BYTES && rl_arena_used(c->req->arena) < READ_BUDGET;
}

/* Calls fn(ctx, plan) for every plan of the tenant, read a page at a time into the scratch arena
 * (reset after each page: the plan is only valid during the call). */
rl_err_t report_each_plan(chunk_t *c, rl_err_t (*fn)(void *ctx, const Riskline__V1__Plan *p, rl_error_t *err),
                          void *ctx, rl_error_t *err)
{
    rl_arena_t *s = c->srv->scratch;
    char cursor[RL_MAX_CURSOR + 1] = "";
    rl_err_t rc = RL_OK;
    do {
        rl_arena_reset(s);
        Riskline__V1__PlanList q = RISKLINE__V1__PLAN_LIST__INIT;
        Riskline__V1__PlanPage page = RISKLINE__V1__PLAN_PAGE__INIT;
        q.limit = MATRIX_PAGE;
        q.cursor = cursor;
        if ((rc = plan_store_list(c->srv->plans, s, c->req->tenant, &q, &page, err)))
            break;
        for (size_t i = 0; i < page.n_plans && !rc; i++)
            rc = fn(ctx, page.plans[i], err);
        snprintf(cursor, sizeof cursor, "%s", page.next_cursor);
    } while (cursor[0] && !rc);
    rl_arena_reset(s);
    return rc;
}

rl_err_t report_zpage(chunk_t *c, const char *key, const char *min, const char *max, uint64_t offset, uint32_t count,
                      const rl_val_t **out, rl_error_t *err)
{
    rl_cmd_t *cmd = rl_cmd_new(c->req->arena, "ZRANGE");
    rl_cmd_arg(cmd, key);
    rl_cmd_arg(cmd, min);
    rl_cmd_arg(cmd, max);
    rl_cmd_arg(cmd, "BYSCORE");
    rl_cmd_arg(cmd, "LIMIT");
    rl_cmd_argf(cmd, "%" PRIu64, offset);
    rl_cmd_argf(cmd, "%u", count);
    rl_err_t rc = rl_store_cmd(c->srv->store, c->req->arena, cmd, out, err);
    if (rc)
        return rc;
    if ((*out)->type == RL_VAL_ERR)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "redis: %s", (*out)->s);
    if ((*out)->type != RL_VAL_ARR)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "unexpected ZRANGE reply");
    return RL_OK;
}

rl_err_t report_xrange(chunk_t *c, rl_arena_t *a, const char *key, const char *start, const char *end, uint32_t count,
                       rl_stream_entry_t **out, size_t *n, rl_error_t *err)
{
    rl_cmd_t *cmd = rl_cmd_new(a, "XRANGE");
    rl_cmd_arg(cmd, key);
    rl_cmd_arg(cmd, start);
    rl_cmd_arg(cmd, end);
    rl_cmd_arg(cmd, "COUNT");
    rl_cmd_argf(cmd, "%u", count);
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(c->srv->store, a, cmd, &v, err);
    if (rc)
        return rc;
    if (v->type == RL_VAL_ERR)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "redis: %s", v->s);
    if (v->type != RL_VAL_ARR)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "unexpected XRANGE reply");
    *out = rl_arena_alloc(a, (v->n ? v->n : 1) * sizeof **out);
    if (!*out)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    *n = 0;
    for (size_t i = 0; i < v->n; i++) {
        const rl_val_t *ent = &v->elem[i];
        if (ent->type != RL_VAL_ARR || ent->n < 2 || ent->elem[0].type != RL_VAL_STR)
            continue;
        rl_stream_entry_t *o = &(*out)[(*n)++];
        memset(o, 0, sizeof *o);
        o->id = ent->elem[0].s;
        o->fields = &ent->elem[1];
        rl_stream_entry_event(o, 0, &o->event, &o->event_len);
    }
    return RL_OK;
}

rl_err_t report_handle_get(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    const Riskline__V1__ReportGet *q = req->env->report_get;
    report_name_t name = report_name_parse(q->name);
    chunk_t c = {.srv = app, .req = req, .q = q, .name = name};
    if (!name)
        return rl_error_set(err, RL_ERR_INVALID, "name", "unknown report '%.40s': one of %s", q->name ? q->name : "",
                            report_names());
    if (q->format < RISKLINE__V1__REPORT_FORMAT__REPORT_FORMAT_JSON ||
        q->format > RISKLINE__V1__REPORT_FORMAT__REPORT_FORMAT_HTML)
        return rl_error_set(err, RL_ERR_INVALID, "format", "must be json, csv or html (1..3), got %d", (int)q->format);
    if (q->since && q->since[0]) {
        int64_t day;
        if (rl_date_parse(q->since, &day) != 0)
            return rl_error_set(err, RL_ERR_INVALID, "since", "must be a date YYYY-MM-DD");
        c.since_ms = day * 86400000LL;
    }
    if (name == REPORT_REVIEW_PACK && !(q->since && q->since[0]))
        return rl_error_set(err, RL_ERR_INVALID, "since", "the review pack needs the last review's date YYYY-MM-DD");
    if (q->until && q->until[0]) {
        int64_t day;
        if (name != REPORT_AUDIT_TRAIL)
            return rl_error_set(err, RL_ERR_INVALID, "until", "only the audit trail takes until");
        if (rl_date_parse(q->until, &day) != 0)
            return rl_error_set(err, RL_ERR_INVALID, "until", "must be a date YYYY-MM-DD");
        c.until_ms = (day + 1) * 86400000LL - 1;
        if (c.until_ms < c.since_ms)
            return rl_error_set(err, RL_ERR_INVALID, "until", "%s is before since %s", q->until, q->since);
    }
    uint64_t pn;
    if (q->entity && q->entity[0] && name != REPORT_AUDIT_TRAIL)
        return rl_error_set(err, RL_ERR_INVALID, "entity", "only the audit trail takes an entity");
    if (q->entity && q->entity[0] && rl_entity_id_parse("R", q->entity, &pn) != 0 &&
        rl_entity_id_parse("TP", q->entity, &pn) != 0)
        return rl_error_set(err, RL_ERR_INVALID, "entity", "must be a risk R-<n> or a plan TP-<n>, got '%.40s'",
                            q->entity);
    if (q->plan_id && q->plan_id[0] && name != REPORT_PLANS)
        return rl_error_set(err, RL_ERR_INVALID, "plan_id", "only the plans report takes a plan");
    if (q->plan_id && q->plan_id[0] && rl_entity_id_parse("TP", q->plan_id, &pn) != 0)
        return rl_error_set(err, RL_ERR_INVALID, "plan_id", "must look like TP-12");
    if (q->filters)
        c.filters = *q->filters;
    else
        riskline__v1__risk_list__init(&c.filters);
    c.filters.limit = 0;
    c.filters.cursor = NULL;
    if (name != REPORT_RISK_REGISTER && name != REPORT_HEATMAP && q->filters &&
        protobuf_c_message_get_packed_size(&q->filters->base) > 0)
        return rl_error_set(err, RL_ERR_INVALID, "filters", "only the risk register and the heat map take filters");
    if (q->cursor && q->cursor[0]) {
        if (report_cursor_parse(q->cursor, &c.cur) != 0 || c.cur.phase == 0 ||
            (name != REPORT_RISK_REGISTER && name != REPORT_PLANS && name != REPORT_DASHBOARD &&
             name != REPORT_AUDIT_TRAIL && name != REPORT_REVIEW_PACK))
            return rl_error_set(err, RL_ERR_INVALID, "cursor", "is not a cursor of this report");
    } else {
        rl_ts_format(rl_clock_now(&c.srv->clock), c.generated);
    }
    c.out = render_new((render_format_t)q->format);
    if (!c.out)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    if (c.cur.phase)
        render_resume(c.out, c.cur.tables, c.cur.rows, (int)c.cur.csv_table);
    rl_err_t rc = name == REPORT_RISK_REGISTER ? report_register_chunk(&c, err)
                  : name == REPORT_HEATMAP     ? report_heatmap_chunk(&c, err)
                  : name == REPORT_PLANS       ? report_plans_chunk(&c, err)
                  : name == REPORT_DASHBOARD   ? report_dashboard_chunk(&c, err)
                  : name == REPORT_AUDIT_TRAIL ? report_audit_chunk(&c, err)
                  : name == REPORT_REVIEW_PACK ? report_review_chunk(&c, err)
                                               : report_soa_chunk(&c, err);
    Riskline__V1__ReportChunk *chunk = rl_arena_alloc(req->arena, sizeof *chunk);
    size_t len;
    const char *data = render_data(c.out, &len);
    uint8_t *copy = rl_arena_alloc(req->arena, len + 1);
    if (!rc && (!chunk || !copy || render_failed(c.out)))
        rc = rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    if (!rc) {
        memcpy(copy, data, len);
        riskline__v1__report_chunk__init(chunk);
        chunk->data.data = copy;
        chunk->data.len = len;
        chunk->done = c.done;
        if (!c.done) {
            c.cur.tables = render_tables(c.out);
            c.cur.rows = render_rows(c.out);
            c.cur.csv_table = (uint32_t)render_csv_table(c.out);
            char buf[REPORT_CURSOR_MAX];
            chunk->cursor = rl_arena_strdup(req->arena, report_cursor_format(&c.cur, buf, sizeof buf));
        } else {
            chunk->cursor = (char *)protobuf_c_empty_string;
        }
        reply->body_case = RISKLINE__V1__ENVELOPE__BODY_REPORT_CHUNK;
        reply->report_chunk = chunk;
    }
    render_destroy(&c.out);
    return rc;
}
