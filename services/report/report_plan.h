/* report_plan.h: the rows of the risk treatment plan document (plans, controls, milestones and
 * evidence, costs, personnel, decisions, history) from plans and their events; pure, no I/O. */
#ifndef REPORT_PLAN_H
#define REPORT_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "render.h"
#include "riskline/v1/treatment.pb-c.h"
#include "rl_arena.h"

/* What the rows need besides the plan: today (day number, for overdue milestones) and the titles
 * of the tenant's own controls (Annex A titles come from the catalogue). */
typedef struct {
    int64_t today;
    Riskline__V1__Control *const *custom;
    size_t ncustom;
} report_plan_ctx_t;

/* One table of the document: its rows are the items of each plan (count(p) of them). */
typedef struct {
    const char *key;
    const char *caption;
    const render_col_t *cols;
    size_t ncols;
    size_t (*count)(const Riskline__V1__Plan *p);
    /* The cells of item i of p (arena-owned); 0 ok, -1 out of memory. */
    int (*cells)(const Riskline__V1__Plan *p, size_t i, const report_plan_ctx_t *ctx, rl_arena_t *a,
                 const char **cells);
} report_plan_table_t;

/* The tables in document order: plans (the CSV one), decisions, controls, milestones, costs,
 * personnel. *n gets their count. */
const report_plan_table_t *report_plan_tables(size_t *n);

/* The history table: one row per domain event of a plan. */
#define REPORT_EVENT_NCOLS 7
extern const render_col_t report_event_cols[REPORT_EVENT_NCOLS];
int report_event_cells(const char *plan_id, const Riskline__V1__DomainEvent *ev, rl_arena_t *a,
                       const char *cells[REPORT_EVENT_NCOLS]);

/* Money in minor units as "1234.50" (two decimals), arena-owned. */
const char *report_money(rl_arena_t *a, int64_t minor);

/* 1 when milestone m is open (pending or in progress) and due before today. */
int report_milestone_overdue(const Riskline__V1__Milestone *m, int64_t today);

#endif
