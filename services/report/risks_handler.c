/* risks_handler.c: the risk register (paged by the register's list cursor) and the heat map (every
 * risk counted on the criteria's matrix), read from the register's keys. */
#include "report_chunk.h"
#include "rl_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Phases of the risk register. */
enum { REG_START = 0, REG_ROWS = 1, REG_END = 2 };

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

/* A page of the register as it is now, with each risk's plan ids. */
static rl_err_t risk_page(chunk_t *c, const Riskline__V1__RiskList *q, Riskline__V1__RiskPage *page, const char ***plans,
                          rl_error_t *err)
{
    rl_err_t rc = risk_store_list(c->srv->risks, c->req->arena, c->req->tenant, q, page, err);
    if (rc)
        return report_filters_err(rc, err);
    *plans = rl_arena_alloc(c->req->arena, (page->n_risks ? page->n_risks : 1) * sizeof **plans);
    if (!*plans)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    return plans_of(c, page->risks, page->n_risks, *plans, err);
}

static int changed_since(const chunk_t *c, const Riskline__V1__Risk *r)
{
    return !c->since_ms || r->updated_at_ms >= c->since_ms;
}

rl_err_t report_register_chunk(chunk_t *c, rl_error_t *err)
{
    render_t *out = c->out;
    rl_arena_t *a = c->req->arena;
    report_cursor_t *cur = &c->cur;
    if (cur->phase > REG_END)
        return rl_error_set(err, RL_ERR_INVALID, "cursor", "is not a cursor of this report");
    if (cur->phase == REG_START) {
        const char *const *p = report_params(c);
        if (!p)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        render_doc_begin(out, "risk_register", "Risk register", c->req->tenant, c->generated, p);
        render_table_begin(out, "risks", "Risks", report_risk_cols, REPORT_RISK_NCOLS, 1);
        cur->phase = REG_ROWS;
    }
    uint32_t rows = 0;
    while (cur->phase == REG_ROWS && report_room(c, rows)) {
        Riskline__V1__RiskList q = c->filters;
        q.limit = CHUNK_ROWS - rows;
        q.cursor = cur->inner;
        Riskline__V1__RiskPage page = RISKLINE__V1__RISK_PAGE__INIT;
        const char **plans;
        rl_err_t rc = c->asof_ms ? report_asof_risks(c, &q, &page, &plans, err) : risk_page(c, &q, &page, &plans, err);
        if (rc)
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
        if ((rc = report_set_inner(cur, page.next_cursor, err)))
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

/* The matrix of the current criteria with every risk the filters select, read page by page in
 * the scratch arena. */
static rl_err_t matrix_now(chunk_t *c, report_matrix_t *m, rl_error_t *err)
{
    const Riskline__V1__Criteria *crit;
    uint64_t cver;
    rl_err_t rc0 = risk_store_criteria(c->srv->risks, c->req->arena, c->req->tenant, 1, &crit, &cver, err);
    if (rc0)
        return rc0;
    if (report_matrix_init(m, crit) != 0)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "the criteria's matrix is beyond 10 x 10");
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
            return report_filters_err(rc, err);
        for (size_t i = 0; i < page.n_risks; i++)
            if (changed_since(c, page.risks[i]))
                report_matrix_add(m, page.risks[i]);
        snprintf(cursor, sizeof cursor, "%s", page.next_cursor);
    } while (cursor[0]);
    rl_arena_reset(s);
    return RL_OK;
}

rl_err_t report_heatmap_chunk(chunk_t *c, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    report_matrix_t *m = rl_arena_alloc(a, sizeof *m);
    if (!m)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    rl_err_t rc = c->asof_ms ? report_asof_matrix(c, m, changed_since, err) : matrix_now(c, m, err);
    if (rc)
        return rc;
    const char *const *p = report_params(c);
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

