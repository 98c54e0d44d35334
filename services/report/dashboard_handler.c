/* dashboard_handler.c: the progress dashboard: figures from every plan, then the overdue
 * milestones (treatment's due index) and the open alerts (monitor's index), paged. */
#include "report_chunk.h"
#include "report_dash.h"
#include "report_plan.h"
#include "riskline/v1/monitor.pb-c.h"
#include "rl_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Phases of the dashboard. */
enum { DASH_START = 0, DASH_OVERDUE = 1, DASH_ALERTS = 2, DASH_END = 3 };

static const render_col_t overdue_cols[] = {
    {"plan", "Plan", RENDER_TEXT},         {"milestone", "Milestone", RENDER_TEXT},
    {"title", "Title", RENDER_TEXT},       {"owner", "Owner", RENDER_TEXT},
    {"due_date", "Due", RENDER_TEXT},      {"days_overdue", "Days overdue", RENDER_NUM},
    {"status", "Status", RENDER_TEXT},     {"treatment_owner", "Treatment owner", RENDER_TEXT},
};
#define OVERDUE_NCOLS (sizeof overdue_cols / sizeof overdue_cols[0])

/* The first chunk: totals, plans by state, budget by owner, and their charts. */
static rl_err_t dash_summary(chunk_t *c, int64_t today, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    render_t *out = c->out;
    report_dash_t *d = rl_arena_alloc(a, sizeof *d);
    if (!d)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    rl_err_t rc = report_dash_plans(c, d, today, err);
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
    rl_err_t rc = report_zpage(c, key, "-inf", max, off, CHUNK_ROWS, &v, err);
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
    char key[80];
    snprintf(key, sizeof key, "rl:{%s}:idx:alert:open", c->req->tenant);
    int end = 0;
    rl_err_t rc = report_alert_page(c, key, "-inf", "+inf", rows, &end, err);
    if (!rc && end) {
        render_table_end(c->out);
        c->cur.phase = DASH_END;
    }
    return rc;
}

/* The progress dashboard: the figures (first chunk, one pass over the plans), then the overdue
 * milestones from the treatment's due index and the open alerts from the monitor's, paged. */
rl_err_t report_dashboard_chunk(chunk_t *c, rl_error_t *err)
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
    while (cur->phase == DASH_OVERDUE && report_room(c, rows)) {
        if (render_tables(c->out) < 4)
            render_table_begin(c->out, "overdue_milestones", "Overdue milestones", overdue_cols, OVERDUE_NCOLS, 0);
        if ((rc = dash_overdue_rows(c, today, &rows, err)))
            return rc;
    }
    while (cur->phase == DASH_ALERTS && report_room(c, rows)) {
        if (render_tables(c->out) < 5)
            render_table_begin(c->out, "open_alerts", "Open alerts", report_alert_cols, REPORT_ALERT_NCOLS, 0);
        if ((rc = dash_alert_rows(c, &rows, err)))
            return rc;
    }
    if (cur->phase == DASH_END) {
        render_doc_end(c->out);
        c->done = 1;
    }
    return RL_OK;
}

