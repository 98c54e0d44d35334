/* report_handler.c: report_get: checks the request, picks the report, and returns one chunk with
 * the cursor of the next; the helpers every report shares (report_chunk.h). */
#include "report_asof.h"
#include "report_chunk.h"
#include "report_dash.h"
#include "rl_codec.h"
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
    if (c->asof_ms)
        PARAM("as_of", "As of", c->q->as_of);
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

rl_err_t report_emit(chunk_t *c, const render_col_t *cols, size_t ncols, int made, const char *const *cells,
                     uint32_t *rows, rl_error_t *err)
{
    if (made != 0)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    render_row(c->out, cols, ncols, cells);
    (*rows)++;
    return RL_OK;
}

static rl_err_t dash_add(void *ctx, const Riskline__V1__Plan *p, rl_error_t *err)
{
    (void)err;
    const struct {
        report_dash_t *d;
        int64_t today;
    } *f = ctx;
    report_dash_add(f->d, p, f->today);
    return RL_OK;
}

rl_err_t report_dash_plans(chunk_t *c, report_dash_t *d, int64_t today, rl_error_t *err)
{
    struct {
        report_dash_t *d;
        int64_t today;
    } fill = {d, today};
    report_dash_init(d);
    return report_each_plan(c, dash_add, &fill, err);
}

rl_err_t report_index_page(chunk_t *c, const char *key, const char *min, const char *max, const char *prefix,
                           const ProtobufCMessageDescriptor *desc, void ***msgs, size_t *n, int *end, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    report_cursor_t *cur = &c->cur;
    const rl_val_t *v;
    uint64_t off = strtoull(cur->inner, NULL, 10);
    rl_err_t rc = report_zpage(c, key, min, max, off, CHUNK_ROWS, &v, err);
    if (rc)
        return rc;
    rl_cmd_t **cmds = rl_arena_alloc(a, (v->n ? v->n : 1) * sizeof *cmds);
    const rl_val_t **vals = rl_arena_alloc(a, (v->n ? v->n : 1) * sizeof *vals);
    *msgs = rl_arena_alloc(a, (v->n ? v->n : 1) * sizeof **msgs);
    if (!cmds || !vals || !*msgs)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    for (size_t i = 0; i < v->n; i++) {
        cmds[i] = rl_cmd_new(a, "HGET");
        rl_cmd_argf(cmds[i], "%s%s", prefix, v->elem[i].s);
        rl_cmd_arg(cmds[i], "pb");
    }
    if (v->n && (rc = rl_store_pipeline(c->srv->store, a, v->n, cmds, vals, err)))
        return rc;
    *n = 0;
    for (size_t i = 0; i < v->n; i++) {
        void *m = vals[i]->type == RL_VAL_STR ? rl_codec_unpack(desc, vals[i]->s, vals[i]->len, RL_MAX_FRAME_BYTES, a)
                                              : NULL;
        if (m)  /* gone since the index was read */
            (*msgs)[(*n)++] = m;
    }
    *end = v->n < CHUNK_ROWS;
    if (*end)
        cur->inner[0] = '\0';
    else
        snprintf(cur->inner, sizeof cur->inner, "%" PRIu64, off + v->n);
    return RL_OK;
}

rl_err_t report_alert_page(chunk_t *c, const char *key, const char *min, const char *max, uint32_t *rows, int *end,
                           rl_error_t *err)
{
    void **msgs;
    size_t n;
    rl_err_t rc = report_index_page(c, key, min, max, rl_arena_printf(c->req->arena, "rl:{%s}:alert:", c->req->tenant),
                                    &riskline__v1__alert__descriptor, &msgs, &n, end, err);
    for (size_t i = 0; i < n && !rc; i++) {
        const char *cells[REPORT_ALERT_NCOLS];
        rc = report_emit(c, report_alert_cols, REPORT_ALERT_NCOLS, report_alert_cells(msgs[i], c->req->arena, cells),
                         cells, rows, err);
    }
    return rc;
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

rl_err_t report_stream_page(chunk_t *c, const char *key, int64_t from_ms, int64_t to_ms, uint32_t count,
                            rl_stream_entry_t **ents, size_t *n, int *end, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    report_cursor_t *cur = &c->cur;
    if (cur->counts[6] && !cur->inner[0])
        return rl_error_set(err, RL_ERR_INVALID, "cursor", "is not a cursor of this report");
    const char *start = cur->counts[6] ? rl_arena_printf(a, "(%s-%" PRIu64, cur->inner, cur->counts[7])
                        : from_ms      ? rl_arena_printf(a, "%" PRId64, from_ms)
                                       : "-";
    const char *stop = to_ms ? rl_arena_printf(a, "%" PRId64, to_ms) : "+";
    if (!start || !stop)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    rl_err_t rc = report_xrange(c, a, key, start, stop, count, ents, n, err);
    if (rc)
        return rc;
    if (*n) {
        const char *id = (*ents)[*n - 1].id, *dash = strchr(id, '-');
        size_t ms_len = dash ? (size_t)(dash - id) : strlen(id);
        if (ms_len == 0 || ms_len > RL_MAX_CURSOR || strspn(id, "0123456789") != ms_len)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "unexpected stream id %.60s", id);
        memcpy(cur->inner, id, ms_len);
        cur->inner[ms_len] = '\0';
        cur->counts[7] = dash ? strtoull(dash + 1, NULL, 10) : 0;
        cur->counts[6] = 1;
    }
    *end = *n < count;
    if (*end) {  /* the next phase starts its own position */
        cur->inner[0] = '\0';
        cur->counts[6] = cur->counts[7] = 0;
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
    if (q->as_of && q->as_of[0]) {
        char now[RL_TS_LEN];
        if (name == REPORT_DASHBOARD)
            return rl_error_set(err, RL_ERR_INVALID, "as_of",
                                "only risk_register, plans, soa and heatmap are rebuilt as of a past date");
        if (report_asof_parse(q->as_of, &c.asof_ms) != 0)
            return rl_error_set(err, RL_ERR_INVALID, "as_of", "must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.mmm]Z");
        int64_t t = rl_clock_now(&c.srv->clock);
        if (c.asof_ms > t)
            return rl_error_set(err, RL_ERR_INVALID, "as_of", "is in the future (now %s; a day counts once it is over)",
                                rl_ts_format(t, now));
        if (name == REPORT_RISK_REGISTER && c.filters.sort != RISKLINE__V1__RISK_SORT__RISK_SORT_ID)
            return rl_error_set(err, RL_ERR_INVALID, "filters.sort", "an as-of register lists risks in id order only");
        rl_err_t rc = report_asof_check(&c, err);
        if (rc)
            return rc;
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
