/* plans_handler.c: the Statement of Applicability and the risk treatment plan document, read
 * from the treatment's keys. */
#include "report_chunk.h"
#include "report_plan.h"
#include "rl_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

rl_err_t report_soa_chunk(chunk_t *c, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    Riskline__V1__SoaEntry **entries;
    size_t n;
    soa_plans_t kept = {a, NULL, 0, 0};
    rl_err_t rc;
    if (c->asof_ms)
        rc = report_asof_soa(c, &entries, &n, err);
    else if (!(rc = report_each_plan(c, keep_for_soa, &kept, err)))
        rc = plan_store_soa_of(c->srv->plans, a, c->req->tenant, (const Riskline__V1__Plan *const *)kept.plans, kept.n,
                               0, 0, &entries, &n, err);
    if (rc)
        return rc;
    const char *const *params = c->asof_ms ? report_params(c) : NULL;
    if (c->asof_ms && !params)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    render_t *out = c->out;
    render_doc_begin(out, "soa", "Statement of Applicability", c->req->tenant, c->generated, params);
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
    if (c->asof_ms)
        return report_asof_plans(c, cursor, limit, plans, n, next, err);
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
rl_err_t report_plans_chunk(chunk_t *c, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    report_cursor_t *cur = &c->cur;
    render_t *out = c->out;
    size_t ntables;
    const report_plan_table_t *tables = report_plan_tables(&ntables);
    const uint32_t history = (uint32_t)ntables + 1, end = history + 1;
    /* as of a past instant, overdue means overdue on that day */
    report_plan_ctx_t ctx = {rl_days_from_ms(c->asof_ms ? c->asof_ms : rl_clock_now(&c->srv->clock)), NULL, 0};
    size_t ncustom;
    Riskline__V1__Control **custom;
    rl_err_t rc = c->asof_ms ? report_asof_controls(c, &custom, &ncustom, err)
                             : plan_store_controls(c->srv->plans, a, c->req->tenant, &custom, &ncustom, err);
    if (rc)
        return rc;
    ctx.custom = custom;
    ctx.ncustom = ncustom;
    if (cur->phase == 0) {
        const char *const *params = report_params(c);
        if (!params)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
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
    while (cur->phase >= 1 && cur->phase <= ntables && report_room(c, rows)) {
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
        if ((rc = report_set_inner(cur, next, err)))
            return rc;
        if (!next[0]) {
            render_table_end(out);
            cur->phase = render_format(out) == RENDER_CSV ? end : cur->phase + 1;
        }
    }
    while (cur->phase == history && report_room(c, rows)) {
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
            if (c->asof_ms)
                report_asof_history_cut(c, &hp);
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
            if ((rc = report_set_inner(cur, next, err)))
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

