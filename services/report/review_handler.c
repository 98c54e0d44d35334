/* review_handler.c: the management review pack (ISO/IEC 27001 9.3): the figures since the last
 * review (first chunk, one pass over each source), then its sections paged: actions, plan state
 * changes, changes in risk, metrics, control effectiveness, alerts, nonconformities, acceptances
 * expiring. */
#include "measure.h"
#include "report_chunk.h"
#include "report_dash.h"
#include "report_review.h"
#include "rl_codec.h"
#include "rl_ingest.h"
#include "rl_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Phases, in document order; each section's table is the (phase + 1)-th of the document (the
 * figures are the first), the two alert phases sharing one. */
enum {
    RV_START = 0, RV_ACTIONS, RV_STATES, RV_RISKS, RV_METRICS, RV_EFFECT, RV_ALERTS_OPEN, RV_ALERTS_RESOLVED, RV_NC,
    RV_ACCEPT, RV_END
};
#define EVENT_PAGE 200   /* domain events per read */
#define LOG_PAGE 4       /* ingestion entries per read (each holds up to 500 risk events) */

static const char *key_of(chunk_t *c, const char *what)
{
    return rl_arena_printf(c->req->arena, "rl:{%s}:%s", c->req->tenant, what);
}

/* Calls fn(ctx, entry) for every entry of stream key from from_ms on, read a page at a time into
 * the scratch arena (reset after each page). */
static rl_err_t each_entry(chunk_t *c, const char *key, int64_t from_ms, uint32_t page,
                           rl_err_t (*fn)(void *ctx, const rl_stream_entry_t *e, rl_arena_t *s, rl_error_t *err),
                           void *ctx, rl_error_t *err)
{
    rl_arena_t *s = c->srv->scratch;
    char start[64];
    snprintf(start, sizeof start, "%" PRId64, from_ms);
    rl_err_t rc = RL_OK;
    size_t n;
    do {
        rl_arena_reset(s);
        rl_stream_entry_t *ents;
        if ((rc = report_xrange(c, s, key, start, "+", page, &ents, &n, err)))
            break;
        for (size_t i = 0; i < n && !rc; i++)
            rc = fn(ctx, &ents[i], s, err);
        if (n)
            snprintf(start, sizeof start, "(%.60s", ents[n - 1].id);
    } while (n == page && !rc);
    rl_arena_reset(s);
    return rc;
}

typedef struct {
    report_review_counts_t n;
    const Riskline__V1__Criteria *criteria;
    uint64_t nc;
} figures_t;

static rl_err_t count_event(void *ctx, const rl_stream_entry_t *e, rl_arena_t *s, rl_error_t *err)
{
    (void)err;
    figures_t *f = ctx;
    Riskline__V1__DomainEvent *ev =
        e->event ? rl_codec_unpack(&riskline__v1__domain_event__descriptor, e->event, e->event_len, RL_MAX_FRAME_BYTES, s)
                 : NULL;
    if (ev)
        report_review_count(&f->n, ev, f->criteria, s);
    return RL_OK;
}

static rl_err_t count_nc(void *ctx, const rl_stream_entry_t *e, rl_arena_t *s, rl_error_t *err)
{
    (void)err;
    figures_t *f = ctx;
    rl_ingest_iter_t it;
    Riskline__V1__RiskEvent *re;
    rl_ingest_iter_init(&it, e);
    while (rl_ingest_next(&it, s, &re) == 1)
        f->nc += re && report_review_is_nc(re);
    return RL_OK;
}

/* One integer reply of a command of 1..3 arguments. */
static rl_err_t count_cmd(chunk_t *c, const char *cmd, const char *key, const char *min, const char *max, uint64_t *out,
                          rl_error_t *err)
{
    rl_cmd_t *q = rl_cmd_new(c->req->arena, cmd);
    rl_cmd_arg(q, key);
    if (min) {
        rl_cmd_arg(q, min);
        rl_cmd_arg(q, max);
    }
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(c->srv->store, c->req->arena, q, &v, err);
    if (rc)
        return rc;
    if (v->type != RL_VAL_INT)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "redis: %s", v->type == RL_VAL_ERR ? v->s : "unexpected reply");
    *out = (uint64_t)v->i;
    return RL_OK;
}

/* Every metric of the tenant (read 200 at a time into the request arena: metrics are few and small). */
static rl_err_t all_metrics(chunk_t *c, Riskline__V1__Metric ***out, size_t *n, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    char saved[sizeof c->cur.inner];
    memcpy(saved, c->cur.inner, sizeof saved);
    c->cur.inner[0] = '\0';
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int end = 0;
    rl_err_t rc = RL_OK;
    while (!end && !rc) {
        void **msgs;
        size_t k;
        if ((rc = report_index_page(c, key_of(c, "idx:metric:id"), "-inf", "+inf", key_of(c, "metric:"),
                                    &riskline__v1__metric__descriptor, &msgs, &k, &end, err)))
            break;
        if (*n + k > cap) {
            size_t ncap = (*n + k) * 2 + 16;
            Riskline__V1__Metric **grown = rl_arena_alloc(a, ncap * sizeof *grown);
            if (!grown)
                return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
            if (*n)
                memcpy(grown, *out, *n * sizeof *grown);
            *out = grown;
            cap = ncap;
        }
        for (size_t i = 0; i < k; i++)
            (*out)[(*n)++] = msgs[i];
    }
    memcpy(c->cur.inner, saved, sizeof saved);
    return rc;
}

static const render_col_t figure_cols[] = {
    {"section", "Section", RENDER_TEXT}, {"figure", "Figure", RENDER_TEXT}, {"value", "Value", RENDER_NUM}};

static void figure(chunk_t *c, const char *section, const char *name, uint64_t v)
{
    const char *cells[3] = {section, name, report_uint(c->req->arena, v, 0)};
    render_row(c->out, figure_cols, 3, cells);
}

/* The first chunk: the document's head and the figures, each from one pass over its source. */
static rl_err_t review_figures(chunk_t *c, const Riskline__V1__Criteria *crit, int64_t today, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    render_t *out = c->out;
    figures_t f = {.criteria = crit};
    rl_err_t rc = each_entry(c, key_of(c, "events"), c->since_ms, EVENT_PAGE, count_event, &f, err);
    if (!rc)
        rc = each_entry(c, key_of(c, "riskevent:log"), c->since_ms, LOG_PAGE, count_nc, &f, err);
    report_dash_t *d = rl_arena_alloc(a, sizeof *d);
    if (!rc && !d)
        rc = rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    if (!rc)
        rc = report_dash_plans(c, d, today, err);
    Riskline__V1__Metric **metrics = NULL;
    size_t nm = 0;
    uint64_t by_status[4] = {0};  /* ok, warning, breach, not measured */
    if (!rc)
        rc = all_metrics(c, &metrics, &nm, err);
    for (size_t i = 0; !rc && i < nm; i++) {
        const char *st = report_metric_status(metrics[i]);
        by_status[!strcmp(st, "ok") ? 0 : !strcmp(st, "warning") ? 1 : !strcmp(st, "breach") ? 2 : 3]++;
    }
    char since[32], day_min[32], day_max[32];
    snprintf(since, sizeof since, "%" PRId64, c->since_ms);
    snprintf(day_min, sizeof day_min, "%" PRId64 "000000000", today);
    snprintf(day_max, sizeof day_max, "(%" PRId64 "000000000", today + REPORT_REVIEW_EXPIRY_DAYS + 1);
    uint64_t open = 0, raised = 0, resolved = 0, expiring = 0;
    if (!rc)
        rc = count_cmd(c, "ZCARD", key_of(c, "idx:alert:open"), NULL, NULL, &open, err);
    if (!rc)
        rc = count_cmd(c, "ZCOUNT", key_of(c, "idx:alert:open"), since, "+inf", &raised, err);
    if (!rc)
        rc = count_cmd(c, "ZCOUNT", key_of(c, "idx:alert:resolved"), since, "+inf", &resolved, err);
    if (!rc)
        rc = count_cmd(c, "ZCOUNT", key_of(c, "idx:accept:expiry"), day_min, day_max, &expiring, err);
    if (rc)
        return rc;
    const char *const *params = report_params(c);
    if (!params)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    render_doc_begin(out, "review_pack", "Management review pack", c->req->tenant, c->generated, params);
    render_note(out, "ISO/IEC 27001:2022 9.3.2: status of actions from previous reviews, changes in risks, "
                     "monitoring and measurement results, nonconformities and alerts, and acceptances "
                     "expiring, since the last review. Levels are under the tenant's current criteria.");
    render_table_begin(out, "figures", "Figures since the last review", figure_cols, 3, 1);
    figure(c, "actions", "plans_open", d->open);
    figure(c, "actions", "plans_created", f.n.plans_created);
    figure(c, "actions", "plan_state_changes", f.n.plan_state_changes);
    figure(c, "actions", "overdue_milestones", d->overdue);
    figure(c, "risk", "risks_created", f.n.risks_created);
    figure(c, "risk", "risks_rerated", f.n.risks_rerated);
    figure(c, "risk", "risks_archived", f.n.risks_archived);
    figure(c, "risk", "risks_accepted", f.n.risks_accepted);
    figure(c, "monitoring", "metrics", nm);
    figure(c, "monitoring", "metrics_ok", by_status[0]);
    figure(c, "monitoring", "metrics_warning", by_status[1]);
    figure(c, "monitoring", "metrics_breach", by_status[2]);
    figure(c, "monitoring", "metrics_not_measured", by_status[3]);
    figure(c, "alerts", "alerts_open", open);
    figure(c, "alerts", "alerts_raised_and_open", raised);
    figure(c, "alerts", "alerts_resolved", resolved);
    figure(c, "nonconformities", "audit_findings_and_nonconformities", f.nc);
    figure(c, "acceptances", "acceptances_expiring_90_days", expiring);
    figure(c, "events", "domain_events", f.n.events);
    render_table_end(out);
    const char *rl[] = {"Created", "Re-rated", "Archived", "Accepted"};
    double rv[] = {(double)f.n.risks_created, (double)f.n.risks_rerated, (double)f.n.risks_archived,
                   (double)f.n.risks_accepted};
    render_bars_svg(out, "Changes in risk since the last review", rl, rv, 4);
    const char *ml[] = {"OK", "Warning", "Breach", "Not measured"};
    double mv[] = {(double)by_status[0], (double)by_status[1], (double)by_status[2], (double)by_status[3]};
    render_bars_svg(out, "Metrics by status", ml, mv, 4);
    const char *al[] = {"Open now", "Raised since and open", "Resolved since"};
    double av[] = {(double)open, (double)raised, (double)resolved};
    render_bars_svg(out, "Alerts", al, av, 3);
    return RL_OK;
}

/* Opens the table of phase `phase` once (a chunk resumed inside it has it open already). */
static void section(chunk_t *c, uint32_t phase, const char *key, const char *caption, const render_col_t *cols,
                    size_t ncols)
{
    uint32_t index = phase >= RV_ALERTS_RESOLVED ? phase : phase + 1;  /* the alert phases share one table */
    if (render_tables(c->out) < index)
        render_table_begin(c->out, key, caption, cols, ncols, 0);
}

/* Ends the current phase's table (unless the next phase continues it) and moves on. */
static void next_phase(chunk_t *c)
{
    if (c->cur.phase != RV_ALERTS_OPEN)
        render_table_end(c->out);
    c->cur.inner[0] = '\0';
    c->cur.phase++;
}

static rl_err_t actions_page(chunk_t *c, int64_t today, uint32_t *rows, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    Riskline__V1__PlanList q = RISKLINE__V1__PLAN_LIST__INIT;
    Riskline__V1__PlanPage page = RISKLINE__V1__PLAN_PAGE__INIT;
    q.limit = PLAN_PAGE;
    q.cursor = c->cur.inner;
    rl_err_t rc = plan_store_list(c->srv->plans, a, c->req->tenant, &q, &page, err);
    for (size_t i = 0; !rc && i < page.n_plans; i++) {
        if (!report_review_action_selected(page.plans[i], c->since_ms))
            continue;
        const char *cells[REPORT_REVIEW_ACTION_NCOLS];
        rc = report_emit(c, report_review_action_cols, REPORT_REVIEW_ACTION_NCOLS,
                         report_review_action_cells(page.plans[i], c->since_ms, today, a, cells), cells, rows, err);
    }
    if (rc || (rc = report_set_inner(&c->cur, page.next_cursor, err)))
        return rc;
    if (!page.next_cursor[0])
        next_phase(c);
    return RL_OK;
}

/* Plan state changes (RV_STATES) or changes in risk (RV_RISKS) from the events since. */
static rl_err_t events_page(chunk_t *c, const Riskline__V1__Criteria *crit, uint32_t *rows, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    rl_stream_entry_t *ents;
    size_t n;
    int end;
    rl_err_t rc = report_stream_page(c, key_of(c, "events"), c->since_ms, 0, EVENT_PAGE, &ents, &n, &end, err);
    for (size_t i = 0; !rc && i < n; i++) {
        Riskline__V1__DomainEvent *ev = ents[i].event ? rl_codec_unpack(&riskline__v1__domain_event__descriptor,
                                                                        ents[i].event, ents[i].event_len,
                                                                        RL_MAX_FRAME_BYTES, a)
                                                      : NULL;
        const char *from, *to, *cells[REPORT_REVIEW_RISK_NCOLS];
        report_risk_delta_t d;
        if (!ev)
            continue;
        if (c->cur.phase == RV_STATES && report_review_state_change(ev, &from, &to))
            rc = report_emit(c, report_review_state_cols, REPORT_REVIEW_STATE_NCOLS,
                             report_review_state_cells(ev, a, cells), cells, rows, err);
        else if (c->cur.phase == RV_RISKS && report_review_risk_change(ev, crit, a, &d) != REVIEW_NONE)
            rc = report_emit(c, report_review_risk_cols, REPORT_REVIEW_RISK_NCOLS,
                             report_review_risk_cells(ev, &d, a, cells), cells, rows, err);
    }
    if (!rc && end)
        next_phase(c);
    return rc;
}

static rl_err_t metrics_page(chunk_t *c, uint32_t *rows, rl_error_t *err)
{
    void **msgs;
    size_t n;
    int end;
    rl_err_t rc = report_index_page(c, key_of(c, "idx:metric:id"), "-inf", "+inf", key_of(c, "metric:"),
                                    &riskline__v1__metric__descriptor, &msgs, &n, &end, err);
    for (size_t i = 0; !rc && i < n; i++) {
        const char *cells[REPORT_REVIEW_METRIC_NCOLS];
        rc = report_emit(c, report_review_metric_cols, REPORT_REVIEW_METRIC_NCOLS,
                         report_review_metric_cells(msgs[i], c->req->arena, cells), cells, rows, err);
    }
    if (!rc && end)
        next_phase(c);
    return rc;
}

static int by_control(const void *x, const void *y)
{
    const Riskline__V1__Metric *a = *(const Riskline__V1__Metric *const *)x, *b = *(const Riskline__V1__Metric *const *)y;
    return strcmp(a->control_id, b->control_id);
}

static const render_col_t effect_cols[] = {
    {"control", "Control", RENDER_TEXT}, {"metrics", "Metrics", RENDER_NUM}, {"effectiveness", "Effectiveness", RENDER_TEXT}};

/* Control effectiveness (monitor's measure_control over each control's metrics), one chunk: the
 * metrics are read whole, grouped by control. */
static rl_err_t effect_rows(chunk_t *c, uint32_t *rows, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    Riskline__V1__Metric **m;
    size_t n, k = 0;
    rl_err_t rc = all_metrics(c, &m, &n, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (m[i]->control_id && m[i]->control_id[0])
            m[k++] = m[i];
    if (k)
        qsort(m, k, sizeof *m, by_control);
    int64_t now = rl_clock_now(&c->srv->clock);
    for (size_t i = 0; i < k;) {
        size_t j = i;
        while (j < k && !strcmp(m[j]->control_id, m[i]->control_id))
            j++;
        Riskline__V1__Effectiveness e = measure_control((const metric_t *const *)&m[i], j - i, now);
        const char *cells[3] = {m[i]->control_id, report_uint(a, j - i, 0),
                                report_enum(a, &riskline__v1__effectiveness__descriptor, e)};
        if ((rc = report_emit(c, effect_cols, 3, report_cells_ok(cells, 3), cells, rows, err)))
            return rc;
        i = j;
    }
    next_phase(c);
    return RL_OK;
}

static rl_err_t alerts_page(chunk_t *c, uint32_t *rows, rl_error_t *err)
{
    char since[32];
    snprintf(since, sizeof since, "%" PRId64, c->since_ms);
    int open = c->cur.phase == RV_ALERTS_OPEN, end;
    rl_err_t rc = report_alert_page(c, key_of(c, open ? "idx:alert:open" : "idx:alert:resolved"), open ? "-inf" : since,
                                    "+inf", rows, &end, err);
    if (!rc && end)
        next_phase(c);
    return rc;
}

static rl_err_t nc_page(chunk_t *c, uint32_t *rows, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    rl_stream_entry_t *ents;
    size_t n;
    int end;
    rl_err_t rc = report_stream_page(c, key_of(c, "riskevent:log"), c->since_ms, 0, LOG_PAGE, &ents, &n, &end, err);
    for (size_t i = 0; !rc && i < n; i++) {
        rl_ingest_iter_t it;
        Riskline__V1__RiskEvent *re;
        rl_ingest_iter_init(&it, &ents[i]);
        while (rl_ingest_next(&it, a, &re) == 1) {
            if (!re || !report_review_is_nc(re))
                continue;
            const char *cells[REPORT_REVIEW_NC_NCOLS];
            if ((rc = report_emit(c, report_review_nc_cols, REPORT_REVIEW_NC_NCOLS, report_review_nc_cells(re, a, cells),
                                  cells, rows, err)))
                return rc;
        }
    }
    if (!rc && end)
        next_phase(c);
    return rc;
}

static rl_err_t accept_page(chunk_t *c, int64_t today, uint32_t *rows, rl_error_t *err)
{
    char min[32], max[32];
    snprintf(min, sizeof min, "%" PRId64 "000000000", today);
    snprintf(max, sizeof max, "(%" PRId64 "000000000", today + REPORT_REVIEW_EXPIRY_DAYS + 1);
    void **msgs;
    size_t n;
    int end;
    rl_err_t rc = report_index_page(c, key_of(c, "idx:accept:expiry"), min, max, key_of(c, "accept:"),
                                    &riskline__v1__acceptance__descriptor, &msgs, &n, &end, err);
    for (size_t i = 0; !rc && i < n; i++) {
        const char *cells[REPORT_REVIEW_ACCEPT_NCOLS];
        rc = report_emit(c, report_review_accept_cols, REPORT_REVIEW_ACCEPT_NCOLS,
                         report_review_accept_cells(msgs[i], today, c->req->arena, cells), cells, rows, err);
    }
    if (!rc && end)
        next_phase(c);
    return rc;
}

rl_err_t report_review_chunk(chunk_t *c, rl_error_t *err)
{
    report_cursor_t *cur = &c->cur;
    int64_t today = rl_days_from_ms(rl_clock_now(&c->srv->clock));
    if (cur->phase > RV_END)
        return rl_error_set(err, RL_ERR_INVALID, "cursor", "is not a cursor of this report");
    const Riskline__V1__Criteria *crit;
    uint64_t cver;
    rl_err_t rc = risk_store_criteria(c->srv->risks, c->req->arena, c->req->tenant, 1, &crit, &cver, err);
    if (rc)
        return rc;
    if (cur->phase == RV_START) {
        if ((rc = review_figures(c, crit, today, err)))
            return rc;
        /* a CSV file is the figures table only: the sections need no reading */
        cur->phase = render_format(c->out) == RENDER_CSV ? RV_END : RV_ACTIONS;
        cur->inner[0] = '\0';
    }
    uint32_t rows = 0;
    while (cur->phase < RV_END && report_room(c, rows)) {
        switch (cur->phase) {
        case RV_ACTIONS:
            section(c, RV_ACTIONS, "actions", "Status of actions (treatment plans open or changed since the review)",
                    report_review_action_cols, REPORT_REVIEW_ACTION_NCOLS);
            rc = actions_page(c, today, &rows, err);
            break;
        case RV_STATES:
            section(c, RV_STATES, "plan_state_changes", "Plan state changes since the review", report_review_state_cols,
                    REPORT_REVIEW_STATE_NCOLS);
            rc = events_page(c, crit, &rows, err);
            break;
        case RV_RISKS:
            section(c, RV_RISKS, "risk_changes", "Changes in risk since the review", report_review_risk_cols,
                    REPORT_REVIEW_RISK_NCOLS);
            rc = events_page(c, crit, &rows, err);
            break;
        case RV_METRICS:
            section(c, RV_METRICS, "metrics", "Monitoring and measurement results", report_review_metric_cols,
                    REPORT_REVIEW_METRIC_NCOLS);
            rc = metrics_page(c, &rows, err);
            break;
        case RV_EFFECT:
            section(c, RV_EFFECT, "control_effectiveness", "Control effectiveness (from the metrics)", effect_cols, 3);
            rc = effect_rows(c, &rows, err);
            break;
        case RV_ALERTS_OPEN:
        case RV_ALERTS_RESOLVED:
            section(c, RV_ALERTS_OPEN, "alerts", "Alerts: open now, and resolved since the review", report_alert_cols,
                    REPORT_ALERT_NCOLS);
            rc = alerts_page(c, &rows, err);
            break;
        case RV_NC:
            section(c, RV_NC, "nonconformities", "Audit findings and nonconformities received since the review",
                    report_review_nc_cols, REPORT_REVIEW_NC_NCOLS);
            rc = nc_page(c, &rows, err);
            break;
        default:
            section(c, RV_ACCEPT, "acceptances_expiring", "Risk acceptances expiring within 90 days",
                    report_review_accept_cols, REPORT_REVIEW_ACCEPT_NCOLS);
            rc = accept_page(c, today, &rows, err);
            break;
        }
        if (rc)
            return rc;
    }
    if (cur->phase == RV_END) {
        render_doc_end(c->out);
        c->done = 1;
    }
    return RL_OK;
}
