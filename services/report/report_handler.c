/* report_handler.c: report_get: one chunk of a report, rendered from a bounded page of entities
 * read from the register's and treatment's keys (read only), with the cursor of the next chunk. */
#include "handlers.h"
#include "render.h"
#include "report.h"
#include "report_dash.h"
#include "report_plan.h"
#include "riskline/v1/monitor.pb-c.h"
#include "rl_ids.h"
#include "rl_json.h"
#include "rl_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A chunk holds at most this many entities (rows), and stops taking more past CHUNK_BYTES of output
 * or READ_BUDGET of request memory (sparse filters): chunks stay well under the 1 MiB frame. */
#define CHUNK_ROWS 200
#define CHUNK_BYTES (256 * 1024)
#define READ_BUDGET (4u * 1024 * 1024)
#define MATRIX_PAGE 500
#define PLAN_PAGE 20

/* Phases of the risk register. */
enum { REG_START = 0, REG_ROWS = 1, REG_END = 2 };

typedef struct {
    server_t *srv;
    const rl_bus_req_t *req;
    const Riskline__V1__ReportGet *q;
    Riskline__V1__RiskList filters;   /* the request's, limit and cursor ours */
    int64_t since_ms;                 /* 0 = no since filter */
    report_cursor_t cur;
    render_t *out;
    int done;
    char generated[40];               /* the document's time (first chunk only) */
} chunk_t;

/* A store error on the filters names the request's field: "filters.owner". */
static rl_err_t filters_err(rl_err_t rc, rl_error_t *err)
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

/* The parameters a document states (name/value pairs, NULL-ended, arena-owned). */
static const char *const *params(chunk_t *c)
{
    rl_arena_t *a = c->req->arena;
    const char **p = rl_arena_alloc(a, 20 * sizeof *p);
    if (!p)
        return NULL;
    size_t n = 0;
    const Riskline__V1__RiskList *f = &c->filters;
    char buf[64];
    if (f->owner && f->owner[0])
        p[n++] = "Owner", p[n++] = f->owner;
    if (f->category && f->category[0])
        p[n++] = "Category", p[n++] = f->category;
    if (f->level)
        p[n++] = "Inherent level", p[n++] = report_level_name(f->level);
    if (f->status)
        p[n++] = "Status",
        p[n++] = rl_arena_strdup(a, rl_json_enum_name(&riskline__v1__risk_status__descriptor, f->status, buf, sizeof buf));
    if (f->review_before && f->review_before[0])
        p[n++] = "Review before", p[n++] = f->review_before;
    if (f->archived)
        p[n++] = "Archived risks", p[n++] = "yes";
    if (c->q->since && c->q->since[0])
        p[n++] = "Changed since", p[n++] = c->q->since;
    p[n] = NULL;
    return p;
}

/* The plan ids of each risk of the page (space-separated), from the treatment's per-risk index. */
static rl_err_t plans_of(chunk_t *c, Riskline__V1__Risk *const *risks, size_t n, const char **out, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    if (n == 0)
        return RL_OK;
    rl_cmd_t **cmds = rl_arena_alloc(a, n * sizeof *cmds);
    const rl_val_t **vals = rl_arena_alloc(a, n * sizeof *vals);
    if (!cmds || !vals)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    for (size_t i = 0; i < n; i++) {
        cmds[i] = rl_cmd_new(a, "ZRANGE");
        rl_cmd_argf(cmds[i], "rl:{%s}:idx:plan:risk:%s", c->req->tenant, risks[i]->id);
        rl_cmd_arg(cmds[i], "0");
        rl_cmd_arg(cmds[i], "-1");
    }
    rl_err_t rc = rl_store_pipeline(c->srv->store, a, n, cmds, vals, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        const rl_val_t *v = vals[i];
        out[i] = "";
        if (v->type == RL_VAL_ERR)
            return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "redis: %s", v->s);
        for (size_t k = 0; v->type == RL_VAL_ARR && k < v->n; k++)
            out[i] = rl_arena_printf(a, "%s%s%s", out[i], k ? " " : "", v->elem[k].s);
        if (!out[i])
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    }
    return RL_OK;
}

static rl_err_t set_inner(report_cursor_t *cur, const char *next, rl_error_t *err)
{
    if (strlen(next) > RL_MAX_CURSOR)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "a list returned a cursor over %d bytes", RL_MAX_CURSOR);
    snprintf(cur->inner, sizeof cur->inner, "%s", next);
    return RL_OK;
}

/* 1 while the chunk may take more rows. */
static int room(const chunk_t *c, uint32_t rows)
{
    size_t len;
    render_data(c->out, &len);
    return rows < CHUNK_ROWS && len < CHUNK_BYTES && rl_arena_used(c->req->arena) < READ_BUDGET;
}

static int changed_since(const chunk_t *c, const Riskline__V1__Risk *r)
{
    return !c->since_ms || r->updated_at_ms >= c->since_ms;
}

static rl_err_t register_chunk(chunk_t *c, rl_error_t *err)
{
    render_t *out = c->out;
    rl_arena_t *a = c->req->arena;
    report_cursor_t *cur = &c->cur;
    if (cur->phase > REG_END)
        return rl_error_set(err, RL_ERR_INVALID, "cursor", "is not a cursor of this report");
    if (cur->phase == REG_START) {
        const char *const *p = params(c);
        if (!p)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        render_doc_begin(out, "risk_register", "Risk register", c->req->tenant, c->generated, p);
        render_table_begin(out, "risks", "Risks", report_risk_cols, REPORT_RISK_NCOLS, 1);
        cur->phase = REG_ROWS;
    }
    uint32_t rows = 0;
    while (cur->phase == REG_ROWS && room(c, rows)) {
        Riskline__V1__RiskList q = c->filters;
        q.limit = CHUNK_ROWS - rows;
        q.cursor = cur->inner;
        Riskline__V1__RiskPage page = RISKLINE__V1__RISK_PAGE__INIT;
        rl_err_t rc = risk_store_list(c->srv->risks, a, c->req->tenant, &q, &page, err);
        if (rc)
            return filters_err(rc, err);
        const char **plans = rl_arena_alloc(a, (page.n_risks ? page.n_risks : 1) * sizeof *plans);
        if (!plans)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        if ((rc = plans_of(c, page.risks, page.n_risks, plans, err)))
            return rc;
        for (size_t i = 0; i < page.n_risks; i++) {
            const char *cells[REPORT_RISK_NCOLS];
            if (!changed_since(c, page.risks[i]))
                continue;
            if (report_risk_cells(page.risks[i], plans[i], a, cells) != 0)
                return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
            render_row(out, report_risk_cols, REPORT_RISK_NCOLS, cells);
            report_risk_count(page.risks[i], cur->counts);
            rows++;
        }
        if ((rc = set_inner(cur, page.next_cursor, err)))
            return rc;
        if (!page.next_cursor[0])
            cur->phase = REG_END;
    }
    if (cur->phase == REG_END) {
        render_table_end(out);
        static const render_col_t cols[] = {
            {"level", "Level", RENDER_LEVEL}, {"inherent", "Inherent", RENDER_NUM}, {"residual", "Residual", RENDER_NUM}};
        render_table_begin(out, "summary", "Risks by level", cols, 3, 0);
        uint64_t tin = 0, tres = 0;
        const char *labels[4];
        double values[4];
        for (int lv = 1; lv <= 4; lv++) {
            uint64_t in = cur->counts[lv - 1], res = cur->counts[4 + lv - 1];
            const char *cells[3] = {report_level_name(lv), rl_arena_printf(a, "%" PRIu64, in),
                                    rl_arena_printf(a, "%" PRIu64, res)};
            render_row(out, cols, 3, cells);
            labels[lv - 1] = report_level_name(lv);
            values[lv - 1] = (double)in;
            tin += in;
            tres += res;
        }
        const char *total[3] = {"total", rl_arena_printf(a, "%" PRIu64, tin), rl_arena_printf(a, "%" PRIu64, tres)};
        render_row(out, cols, 3, total);
        render_table_end(out);
        render_bars_svg(out, "Risks by inherent level", labels, values, 4);
        render_doc_end(out);
        c->done = 1;
    }
    return RL_OK;
}

/* Every risk the filters select, page by page in the scratch arena, into the matrix. */
static rl_err_t matrix_fill(chunk_t *c, report_matrix_t *m, rl_error_t *err)
{
    rl_arena_t *s = c->srv->scratch;
    char cursor[RL_MAX_CURSOR + 1] = "";
    do {
        rl_arena_reset(s);
        Riskline__V1__RiskList q = c->filters;
        q.limit = MATRIX_PAGE;
        q.cursor = cursor;
        Riskline__V1__RiskPage page = RISKLINE__V1__RISK_PAGE__INIT;
        rl_err_t rc = risk_store_list(c->srv->risks, s, c->req->tenant, &q, &page, err);
        if (rc)
            return filters_err(rc, err);
        for (size_t i = 0; i < page.n_risks; i++)
            if (changed_since(c, page.risks[i]))
                report_matrix_add(m, page.risks[i]);
        snprintf(cursor, sizeof cursor, "%s", page.next_cursor);
    } while (cursor[0]);
    rl_arena_reset(s);
    return RL_OK;
}

static rl_err_t heatmap_chunk(chunk_t *c, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    const Riskline__V1__Criteria *crit;
    uint64_t cver;
    rl_err_t rc = risk_store_criteria(c->srv->risks, a, c->req->tenant, 1, &crit, &cver, err);
    if (rc)
        return rc;
    report_matrix_t *m = rl_arena_alloc(a, sizeof *m);
    if (!m)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    if (report_matrix_init(m, crit) != 0)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "the criteria's matrix is beyond 10 x 10");
    if ((rc = matrix_fill(c, m, err)))
        return rc;
    const char *const *p = params(c);
    if (!p)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    render_t *out = c->out;
    render_doc_begin(out, "heatmap", "Risk heat map", c->req->tenant, c->generated, p);
    render_heatmap_svg(out, "Inherent risk", m->nl, m->ni, m->inherent, m->level);
    render_heatmap_svg(out, "Residual risk", m->nl, m->ni, m->residual, m->level);
    render_table_begin(out, "cells", "Risks by position on the matrix", report_matrix_cols, REPORT_MATRIX_NCOLS, 1);
    for (int basis = 0; basis < 2; basis++)
        for (uint32_t l = m->nl; l >= 1; l--)
            for (uint32_t i = 1; i <= m->ni; i++) {
                size_t k = (size_t)(l - 1) * m->ni + (i - 1);
                const char *cells[REPORT_MATRIX_NCOLS] = {
                    basis ? "residual" : "inherent", rl_arena_printf(a, "%u", l), rl_arena_printf(a, "%u", i),
                    rl_arena_printf(a, "%u", l * i), report_level_name(m->level[k]),
                    rl_arena_printf(a, "%u", basis ? m->residual[k] : m->inherent[k])};
                render_row(out, report_matrix_cols, REPORT_MATRIX_NCOLS, cells);
            }
    render_table_end(out);
    static const render_col_t tcols[] = {{"risks", "Risks", RENDER_NUM},
                                         {"residual_rated", "With a residual rating", RENDER_NUM},
                                         {"off_matrix", "Ratings off the matrix", RENDER_NUM},
                                         {"likelihood_levels", "Likelihood levels", RENDER_NUM},
                                         {"impact_levels", "Impact levels", RENDER_NUM}};
    render_table_begin(out, "totals", "Totals", tcols, 5, 0);
    const char *tc[5] = {rl_arena_printf(a, "%u", m->risks), rl_arena_printf(a, "%u", m->residual_rated),
                         rl_arena_printf(a, "%u", m->off_matrix), rl_arena_printf(a, "%u", m->nl),
                         rl_arena_printf(a, "%u", m->ni)};
    render_row(out, tcols, 5, tc);
    render_table_end(out);
    render_doc_end(out);
    c->done = 1;
    return RL_OK;
}

/* Calls fn(ctx, plan) for every plan of the tenant, read a page at a time into the scratch arena
 * (reset after each page: the plan is only valid during the call). */
static rl_err_t each_plan(chunk_t *c, rl_err_t (*fn)(void *ctx, const Riskline__V1__Plan *p, rl_error_t *err),
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

/* The plans the SoA derives from: copies of what it reads, in the request arena. */
typedef struct {
    rl_arena_t *arena;
    Riskline__V1__Plan **plans;
    size_t n, cap;
} soa_plans_t;

static rl_err_t keep_for_soa(void *ctx, const Riskline__V1__Plan *p, rl_error_t *err)
{
    soa_plans_t *k = ctx;
    if (k->n == k->cap) {
        size_t ncap = k->cap ? k->cap * 2 : 256;
        Riskline__V1__Plan **grown = rl_arena_alloc(k->arena, ncap * sizeof *grown);
        if (!grown)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        if (k->n)
            memcpy(grown, k->plans, k->n * sizeof *grown);
        k->plans = grown;
        k->cap = ncap;
    }
    if (!(k->plans[k->n] = report_plan_for_soa(p, k->arena)))
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    k->n++;
    return RL_OK;
}

static rl_err_t soa_chunk(chunk_t *c, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    Riskline__V1__SoaEntry **entries;
    size_t n;
    soa_plans_t kept = {a, NULL, 0, 0};
    rl_err_t rc = each_plan(c, keep_for_soa, &kept, err);
    if (rc || (rc = plan_store_soa_of(c->srv->plans, a, c->req->tenant, (const Riskline__V1__Plan *const *)kept.plans,
                                      kept.n, 0, 0, &entries, &n, err)))
        return rc;
    render_t *out = c->out;
    render_doc_begin(out, "soa", "Statement of Applicability", c->req->tenant, c->generated, NULL);
    render_note(out, "ISO/IEC 27001:2022 6.1.3 d): every Annex A control and the organisation's own controls, "
                     "whether applicable, the justification (the risks and treatment plans that select it, or the "
                     "reason for its exclusion) and its implementation status.");
    render_table_begin(out, "controls", "Controls", report_soa_cols, REPORT_SOA_NCOLS, 1);
    uint32_t applicable = 0, by_status[5] = {0};
    for (size_t i = 0; i < n; i++) {
        const char *cells[REPORT_SOA_NCOLS];
        if (report_soa_cells(entries[i], a, cells) != 0)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        render_row(out, report_soa_cols, REPORT_SOA_NCOLS, cells);
        applicable += entries[i]->applicable != 0;
        if (entries[i]->applicable && entries[i]->status <= 4)
            by_status[entries[i]->status]++;
    }
    render_table_end(out);
    static const render_col_t scols[] = {{"controls", "Controls", RENDER_NUM}, {"applicable", "Applicable", RENDER_NUM},
                                         {"not_applicable", "Not applicable", RENDER_NUM},
                                         {"not_started", "Not started", RENDER_NUM},
                                         {"in_progress", "In progress", RENDER_NUM},
                                         {"implemented", "Implemented", RENDER_NUM},
                                         {"verified", "Verified", RENDER_NUM}};
    render_table_begin(out, "summary", "Summary", scols, 7, 0);
    const char *sc[7] = {rl_arena_printf(a, "%zu", n), rl_arena_printf(a, "%u", applicable),
                         rl_arena_printf(a, "%zu", n - applicable), rl_arena_printf(a, "%u", by_status[1]),
                         rl_arena_printf(a, "%u", by_status[2]), rl_arena_printf(a, "%u", by_status[3]),
                         rl_arena_printf(a, "%u", by_status[4])};
    render_row(out, scols, 7, sc);
    render_table_end(out);
    const char *labels[] = {"Not started", "In progress", "Implemented", "Verified"};
    double values[] = {by_status[1], by_status[2], by_status[3], by_status[4]};
    render_bars_svg(out, "Applicable controls by implementation status", labels, values, 4);
    render_doc_end(out);
    c->done = 1;
    return RL_OK;
}

/* The next page of plans after `cursor`: the tenant's (oldest first) or the one plan asked for
 * (then cursor "" gives it and "1" nothing). *next: "" when no plan follows. */
static rl_err_t plan_page(chunk_t *c, const char *cursor, uint32_t limit, Riskline__V1__Plan ***plans, size_t *n,
                          const char **next, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    if (c->q->plan_id && c->q->plan_id[0]) {
        *n = 0;
        *next = "";
        if (cursor[0])
            return RL_OK;
        *plans = rl_arena_alloc(a, sizeof **plans);
        if (!*plans)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        rl_err_t rc = plan_store_get(c->srv->plans, a, c->req->tenant, c->q->plan_id, &(*plans)[0], err);
        if (rc) {
            if (rc == RL_ERR_NOT_FOUND)
                snprintf(err->field, sizeof err->field, "plan_id");
            return rc;
        }
        plan_derive((*plans)[0]);
        *n = 1;
        *next = "1";
        return RL_OK;
    }
    Riskline__V1__PlanList q = RISKLINE__V1__PLAN_LIST__INIT;
    Riskline__V1__PlanPage page = RISKLINE__V1__PLAN_PAGE__INIT;
    q.limit = limit;
    q.cursor = (char *)cursor;
    rl_err_t rc = plan_store_list(c->srv->plans, a, c->req->tenant, &q, &page, err);
    if (rc)
        return rc;
    *plans = page.plans;
    *n = page.n_plans;
    *next = page.next_cursor;
    return RL_OK;
}

static int plan_selected(const chunk_t *c, const Riskline__V1__Plan *p)
{
    return !c->since_ms || p->updated_at_ms >= c->since_ms;
}

/* The plan document: each table pages through the plans (phase 1..ntables), then the history
 * one plan at a time (its events paged by counts[7]), then the end. */
static rl_err_t plans_chunk(chunk_t *c, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    report_cursor_t *cur = &c->cur;
    render_t *out = c->out;
    size_t ntables;
    const report_plan_table_t *tables = report_plan_tables(&ntables);
    const uint32_t history = (uint32_t)ntables + 1, end = history + 1;
    report_plan_ctx_t ctx = {rl_days_from_ms(rl_clock_now(&c->srv->clock)), NULL, 0};
    size_t ncustom;
    Riskline__V1__Control **custom;
    rl_err_t rc = plan_store_controls(c->srv->plans, a, c->req->tenant, &custom, &ncustom, err);
    if (rc)
        return rc;
    ctx.custom = custom;
    ctx.ncustom = ncustom;
    if (cur->phase == 0) {
        const char *p[] = {"Plan", c->q->plan_id, "Changed since", c->q->since, NULL};
        const char *const *params = c->q->plan_id && c->q->plan_id[0] ? p : c->q->since && c->q->since[0] ? p + 2 : NULL;
        render_doc_begin(out, "plans", "Risk treatment plans", c->req->tenant, c->generated, params);
        render_note(out, "ISO/IEC 27001:2022 6.1.3 e), 8.3: each plan with its owner, controls, resources and "
                         "costs, milestones and evidence, approval, verification, acceptance, and its history.");
        cur->phase = 1;
    }
    if (cur->phase > end)
        return rl_error_set(err, RL_ERR_INVALID, "cursor", "is not a cursor of this report");
    uint32_t rows = 0;
    if (render_format(out) == RENDER_CSV && cur->phase == 2)
        cur->phase = end;  /* a CSV file is the plans table only: the other tables need no reading */
    while (cur->phase >= 1 && cur->phase <= ntables && room(c, rows)) {
        const report_plan_table_t *t = &tables[cur->phase - 1];
        if (render_tables(out) < cur->phase)
            render_table_begin(out, t->key, t->caption, t->cols, t->ncols, cur->phase == 1);
        Riskline__V1__Plan **plans;
        size_t n;
        const char *next;
        if ((rc = plan_page(c, cur->inner, PLAN_PAGE, &plans, &n, &next, err)))
            return rc;
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; plan_selected(c, plans[i]) && k < t->count(plans[i]); k++) {
                const char *cells[32];
                if (t->cells(plans[i], k, &ctx, a, cells) != 0)
                    return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
                render_row(out, t->cols, t->ncols, cells);
                rows++;
            }
        if ((rc = set_inner(cur, next, err)))
            return rc;
        if (!next[0]) {
            render_table_end(out);
            cur->phase = render_format(out) == RENDER_CSV ? end : cur->phase + 1;
        }
    }
    while (cur->phase == history && room(c, rows)) {
        if (render_tables(out) < cur->phase)
            render_table_begin(out, "history", "History (who decided what, when)", report_event_cols,
                               REPORT_EVENT_NCOLS, 0);
        Riskline__V1__Plan **plans;
        size_t n;
        const char *next;
        if ((rc = plan_page(c, cur->inner, 1, &plans, &n, &next, err)))
            return rc;
        if (n == 0) {
            render_table_end(out);
            cur->phase++;
            break;
        }
        Riskline__V1__HistoryPage hp = RISKLINE__V1__HISTORY_PAGE__INIT;
        if (plan_selected(c, plans[0])) {
            char from[24];
            snprintf(from, sizeof from, "%" PRIu64, cur->counts[7]);
            if ((rc = plan_store_history(c->srv->plans, a, c->req->tenant, plans[0]->id, CHUNK_ROWS, from, &hp, err)))
                return rc;
        }
        for (size_t i = 0; i < hp.n_events; i++) {
            const char *cells[REPORT_EVENT_NCOLS];
            if (report_event_cells(plans[0]->id, hp.events[i], a, cells) != 0)
                return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
            render_row(out, report_event_cols, REPORT_EVENT_NCOLS, cells);
            rows++;
        }
        if (hp.next_cursor && hp.next_cursor[0]) {
            cur->counts[7] = strtoull(hp.next_cursor, NULL, 10);  /* the same plan, further on */
        } else {
            cur->counts[7] = 0;
            if ((rc = set_inner(cur, next, err)))
                return rc;
            if (!next[0]) {
                render_table_end(out);
                cur->phase++;
            }
        }
    }
    if (cur->phase == end) {
        render_doc_end(out);
        c->done = 1;
    }
    return RL_OK;
}

/* Phases of the dashboard. */
enum { DASH_START = 0, DASH_OVERDUE = 1, DASH_ALERTS = 2, DASH_END = 3 };

typedef struct {
    report_dash_t *d;
    int64_t today;
} dash_fill_t;

static rl_err_t dash_add(void *ctx, const Riskline__V1__Plan *p, rl_error_t *err)
{
    (void)err;
    dash_fill_t *f = ctx;
    report_dash_add(f->d, p, f->today);
    return RL_OK;
}

/* ZRANGE key min max BYSCORE LIMIT offset count: members (an array reply) or an error. */
static rl_err_t zpage(chunk_t *c, const char *key, const char *min, const char *max, uint64_t offset, uint32_t count,
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

static const render_col_t overdue_cols[] = {
    {"plan", "Plan", RENDER_TEXT},         {"milestone", "Milestone", RENDER_TEXT},
    {"title", "Title", RENDER_TEXT},       {"owner", "Owner", RENDER_TEXT},
    {"due_date", "Due", RENDER_TEXT},      {"days_overdue", "Days overdue", RENDER_NUM},
    {"status", "Status", RENDER_TEXT},     {"treatment_owner", "Treatment owner", RENDER_TEXT},
};
#define OVERDUE_NCOLS (sizeof overdue_cols / sizeof overdue_cols[0])

static const render_col_t alert_cols[] = {
    {"id", "Alert", RENDER_TEXT},          {"kind", "Kind", RENDER_TEXT},
    {"severity", "Severity", RENDER_TEXT}, {"subject", "Subject", RENDER_TEXT},
    {"state", "State", RENDER_TEXT},       {"raised_at", "Raised", RENDER_TEXT},
    {"message", "Message", RENDER_TEXT},
};
#define ALERT_NCOLS (sizeof alert_cols / sizeof alert_cols[0])

/* The first chunk: totals, plans by state, budget by owner, and their charts. */
static rl_err_t dash_summary(chunk_t *c, int64_t today, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    render_t *out = c->out;
    report_dash_t *d = rl_arena_alloc(a, sizeof *d);
    if (!d)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    report_dash_init(d);
    dash_fill_t fill = {d, today};
    rl_err_t rc = each_plan(c, dash_add, &fill, err);
    rl_cmd_t *cnt = rl_cmd_new(a, "ZCOUNT");
    rl_cmd_argf(cnt, "rl:{%s}:idx:alert:open", c->req->tenant);
    rl_cmd_arg(cnt, "-inf");
    rl_cmd_arg(cnt, "+inf");
    const rl_val_t *v;
    if (rc || (rc = rl_store_cmd(c->srv->store, a, cnt, &v, err)))
        return rc;
    long long alerts = v->type == RL_VAL_INT ? v->i : 0;
    render_doc_begin(out, "dashboard", "Treatment progress dashboard", c->req->tenant, c->generated, NULL);
    static const render_col_t tcols[] = {
        {"plans", "Plans", RENDER_NUM},         {"open_plans", "Open plans", RENDER_NUM},
        {"milestones", "Milestones", RENDER_NUM}, {"overdue_milestones", "Overdue milestones", RENDER_NUM},
        {"open_alerts", "Open alerts", RENDER_NUM}};
    render_table_begin(out, "totals", "Totals", tcols, 5, 0);
    const char *tc[5] = {report_uint(a, d->plans, 0), report_uint(a, d->open, 0), report_uint(a, d->milestones, 0),
                         report_uint(a, d->overdue, 0), report_uint(a, (uint64_t)alerts, 0)};
    render_row(out, tcols, 5, tc);
    render_table_end(out);
    static const render_col_t scols[] = {
        {"state", "State", RENDER_TEXT}, {"plans", "Plans", RENDER_NUM}, {"average_progress_pct", "Average progress %", RENDER_NUM}};
    render_table_begin(out, "plans_by_state", "Plans by state", scols, 3, 1);
    const char *labels[REPORT_DASH_STATES];
    double values[REPORT_DASH_STATES];
    size_t nl = 0;
    for (int st = 1; st < REPORT_DASH_STATES; st++) {
        const char *name = report_enum(a, &riskline__v1__plan_state__descriptor, st);
        uint32_t n = d->by_state[st];
        const char *cells[3] = {name, report_uint(a, n, 0),
                                n ? rl_arena_printf(a, "%.1f", (double)d->progress[st] / n) : ""};
        render_row(out, scols, 3, cells);
        labels[nl] = name;
        values[nl++] = n;
    }
    render_table_end(out);
    render_bars_svg(out, "Plans by state", labels, values, nl);
    static const render_col_t ocols[] = {
        {"treatment_owner", "Treatment owner", RENDER_TEXT}, {"currency", "Currency", RENDER_TEXT},
        {"plans", "Plans", RENDER_NUM},  {"budget", "Budget", RENDER_NUM}, {"spent", "Spent", RENDER_NUM},
        {"spent_pct", "Spent %", RENDER_NUM}, {"over_budget_plans", "Plans over budget", RENDER_NUM}};
    render_table_begin(out, "budget_by_owner", "Budget against spent by treatment owner", ocols, 7, 0);
    size_t no = d->nowners + (d->owners[REPORT_DASH_OWNERS].plans ? 1 : 0);
    const char **olabels = rl_arena_alloc(a, (no + 1) * sizeof *olabels);
    double *ovalues = rl_arena_alloc(a, (no + 1) * sizeof *ovalues);
    if (!olabels || !ovalues)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    size_t nb = 0;
    for (size_t i = 0; i < no; i++) {
        const report_dash_owner_t *o = &d->owners[i < d->nowners ? i : REPORT_DASH_OWNERS];
        int mixed = i >= d->nowners;
        const char *pct = !mixed && o->budget > 0 ? rl_arena_printf(a, "%.1f", (double)o->spent * 100.0 / (double)o->budget) : "";
        const char *cells[7] = {o->owner, o->currency, report_uint(a, o->plans, 0),
                                mixed ? "" : report_money(a, o->budget), mixed ? "" : report_money(a, o->spent), pct,
                                report_uint(a, o->over_budget, 0)};
        render_row(out, ocols, 7, cells);
        if (pct[0]) {
            olabels[nb] = rl_arena_printf(a, "%s (%s)", o->owner, o->currency);
            ovalues[nb++] = (double)o->spent * 100.0 / (double)o->budget;
        }
    }
    render_table_end(out);
    render_bars_svg(out, "Budget spent (%) by treatment owner", olabels, ovalues, nb);
    return RL_OK;
}

static rl_err_t dash_overdue_rows(chunk_t *c, int64_t today, uint32_t *rows, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    report_cursor_t *cur = &c->cur;
    const rl_val_t *v;
    char key[80], max[32];
    snprintf(key, sizeof key, "rl:{%s}:ms:due", c->req->tenant);
    snprintf(max, sizeof max, "(%" PRId64 "000000000", today);  /* due before today: day * 1e9 + n */
    uint64_t off = strtoull(cur->inner, NULL, 10);
    rl_err_t rc = zpage(c, key, "-inf", max, off, CHUNK_ROWS, &v, err);
    if (rc)
        return rc;
    Riskline__V1__Plan *plan = NULL;
    for (size_t i = 0; i < v->n; i++) {
        const char *member = v->elem[i].s, *slash = strchr(member, '/');
        if (!slash)
            continue;
        char *pid = rl_arena_strndup(a, member, (size_t)(slash - member));
        if (!pid)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        if (!plan || strcmp(plan->id, pid) != 0) {
            plan = NULL;
            rc = plan_store_get(c->srv->plans, a, c->req->tenant, pid, &plan, err);
            if (rc == RL_ERR_NOT_FOUND)
                continue;  /* gone since the index was read */
            if (rc)
                return rc;
        }
        for (size_t k = 0; k < plan->n_milestones; k++) {
            const Riskline__V1__Milestone *m = plan->milestones[k];
            int64_t due;
            if (strcmp(m->id, slash + 1) != 0 || rl_date_parse(m->due_date, &due) != 0)
                continue;
            const char *cells[OVERDUE_NCOLS] = {plan->id, m->id, m->title, m->owner, m->due_date,
                                                report_uint(a, (uint64_t)(today - due), 0),
                                                report_enum(a, &riskline__v1__milestone_status__descriptor, m->status),
                                                plan->treatment_owner};
            render_row(c->out, overdue_cols, OVERDUE_NCOLS, cells);
            (*rows)++;
        }
    }
    if (v->n < CHUNK_ROWS) {
        render_table_end(c->out);
        cur->inner[0] = '\0';
        cur->phase = DASH_ALERTS;
    } else {
        snprintf(cur->inner, sizeof cur->inner, "%" PRIu64, off + v->n);
    }
    return RL_OK;
}

static rl_err_t dash_alert_rows(chunk_t *c, uint32_t *rows, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    report_cursor_t *cur = &c->cur;
    const rl_val_t *v;
    char key[80];
    snprintf(key, sizeof key, "rl:{%s}:idx:alert:open", c->req->tenant);
    uint64_t off = strtoull(cur->inner, NULL, 10);
    rl_err_t rc = zpage(c, key, "-inf", "+inf", off, CHUNK_ROWS, &v, err);
    if (rc)
        return rc;
    rl_cmd_t **cmds = rl_arena_alloc(a, (v->n ? v->n : 1) * sizeof *cmds);
    const rl_val_t **vals = rl_arena_alloc(a, (v->n ? v->n : 1) * sizeof *vals);
    if (!cmds || !vals)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    for (size_t i = 0; i < v->n; i++) {
        cmds[i] = rl_cmd_new(a, "HGET");
        rl_cmd_argf(cmds[i], "rl:{%s}:alert:%s", c->req->tenant, v->elem[i].s);
        rl_cmd_arg(cmds[i], "pb");
    }
    if (v->n && (rc = rl_store_pipeline(c->srv->store, a, v->n, cmds, vals, err)))
        return rc;
    for (size_t i = 0; i < v->n; i++) {
        if (vals[i]->type != RL_VAL_STR)
            continue;
        Riskline__V1__Alert *al =
            rl_codec_unpack(&riskline__v1__alert__descriptor, vals[i]->s, vals[i]->len, RL_MAX_FRAME_BYTES, a);
        if (!al)
            continue;
        const char *cells[ALERT_NCOLS] = {al->id, al->kind,
                                          report_enum(a, &riskline__v1__severity__descriptor, al->severity), al->subject,
                                          report_enum(a, &riskline__v1__alert_state__descriptor, al->state),
                                          report_time(a, al->raised_at_ms), al->message};
        if (report_cells_ok(cells, ALERT_NCOLS) != 0)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        render_row(c->out, alert_cols, ALERT_NCOLS, cells);
        (*rows)++;
    }
    if (v->n < CHUNK_ROWS) {
        render_table_end(c->out);
        cur->phase = DASH_END;
    } else {
        snprintf(cur->inner, sizeof cur->inner, "%" PRIu64, off + v->n);
    }
    return RL_OK;
}

/* The progress dashboard: the figures (first chunk, one pass over the plans), then the overdue
 * milestones from the treatment's due index and the open alerts from the monitor's, paged. */
static rl_err_t dashboard_chunk(chunk_t *c, rl_error_t *err)
{
    report_cursor_t *cur = &c->cur;
    int64_t today = rl_days_from_ms(rl_clock_now(&c->srv->clock));
    rl_err_t rc;
    if (cur->phase > DASH_END)
        return rl_error_set(err, RL_ERR_INVALID, "cursor", "is not a cursor of this report");
    if (cur->phase == DASH_START) {
        if ((rc = dash_summary(c, today, err)))
            return rc;
        /* a CSV file is the plans-by-state table only: the lists need no reading */
        cur->phase = render_format(c->out) == RENDER_CSV ? DASH_END : DASH_OVERDUE;
        cur->inner[0] = '\0';
    }
    uint32_t rows = 0;
    while (cur->phase == DASH_OVERDUE && room(c, rows)) {
        if (render_tables(c->out) < 4)
            render_table_begin(c->out, "overdue_milestones", "Overdue milestones", overdue_cols, OVERDUE_NCOLS, 0);
        if ((rc = dash_overdue_rows(c, today, &rows, err)))
            return rc;
    }
    while (cur->phase == DASH_ALERTS && room(c, rows)) {
        if (render_tables(c->out) < 5)
            render_table_begin(c->out, "open_alerts", "Open alerts", alert_cols, ALERT_NCOLS, 0);
        if ((rc = dash_alert_rows(c, &rows, err)))
            return rc;
    }
    if (cur->phase == DASH_END) {
        render_doc_end(c->out);
        c->done = 1;
    }
    return RL_OK;
}

rl_err_t report_handle_get(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    const Riskline__V1__ReportGet *q = req->env->report_get;
    chunk_t c = {.srv = app, .req = req, .q = q};
    report_name_t name = report_name_parse(q->name);
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
    uint64_t pn;
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
            (name != REPORT_RISK_REGISTER && name != REPORT_PLANS && name != REPORT_DASHBOARD))
            return rl_error_set(err, RL_ERR_INVALID, "cursor", "is not a cursor of this report");
    } else {
        rl_ts_format(rl_clock_now(&c.srv->clock), c.generated);
    }
    c.out = render_new((render_format_t)q->format);
    if (!c.out)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    if (c.cur.phase)
        render_resume(c.out, c.cur.tables, c.cur.rows, (int)c.cur.csv_table);
    rl_err_t rc = name == REPORT_RISK_REGISTER ? register_chunk(&c, err)
                  : name == REPORT_HEATMAP     ? heatmap_chunk(&c, err)
                  : name == REPORT_PLANS       ? plans_chunk(&c, err)
                  : name == REPORT_DASHBOARD   ? dashboard_chunk(&c, err)
                                               : soa_chunk(&c, err);
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
