/* report_review.h: the management review pack's figures and rows (ISO/IEC 27001 9.3): what changed
 * in risk and treatment since the last review (read from the domain events), the status of
 * actions, metrics, alerts, nonconformities and acceptances; pure, no I/O. */
#ifndef REPORT_REVIEW_H
#define REPORT_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "render.h"
#include "riskline/v1/monitor.pb-c.h"
#include "riskline/v1/treatment.pb-c.h"
#include "rl_arena.h"

/* What an event says about a risk. */
typedef enum {
    REVIEW_NONE = 0,
    REVIEW_CREATED,   /* risk.created */
    REVIEW_RERATED,   /* risk.updated changing the inherent or residual rating */
    REVIEW_ARCHIVED,  /* risk.archived */
    REVIEW_ACCEPTED,  /* acceptance.recorded */
} report_risk_change_t;

/* Levels (1 low .. 4 critical, 0 unrated) before and after the event, under the criteria given. */
typedef struct {
    report_risk_change_t kind;
    int inherent_before, inherent_after, residual_before, residual_after;
} report_risk_delta_t;

/* The change ev makes to a risk: levels after from the entity the event carries, before from the
 * rating changes' "from" ({"likelihood":L,"impact":I}); REVIEW_NONE for events of other entities
 * or updates that leave both ratings alone. arena holds the decoded entity. */
report_risk_change_t report_review_risk_change(const Riskline__V1__DomainEvent *ev, const Riskline__V1__Criteria *c,
                                               rl_arena_t *arena, report_risk_delta_t *d);
/* 1 when ev changes a plan's state (a change of field `state`): *from and *to its values. */
int report_review_state_change(const Riskline__V1__DomainEvent *ev, const char **from, const char **to);

/* Running figures of the events since the last review. */
typedef struct {
    uint64_t events, risks_created, risks_rerated, risks_archived, risks_accepted, plans_created, plan_state_changes;
} report_review_counts_t;
void report_review_count(report_review_counts_t *n, const Riskline__V1__DomainEvent *ev,
                         const Riskline__V1__Criteria *c, rl_arena_t *arena);

/* --- rows --- */
#define REPORT_REVIEW_RISK_NCOLS 9
extern const render_col_t report_review_risk_cols[REPORT_REVIEW_RISK_NCOLS];
int report_review_risk_cells(const Riskline__V1__DomainEvent *ev, const report_risk_delta_t *d, rl_arena_t *a,
                             const char *cells[REPORT_REVIEW_RISK_NCOLS]);

#define REPORT_REVIEW_STATE_NCOLS 6
extern const render_col_t report_review_state_cols[REPORT_REVIEW_STATE_NCOLS];
int report_review_state_cells(const Riskline__V1__DomainEvent *ev, rl_arena_t *a,
                              const char *cells[REPORT_REVIEW_STATE_NCOLS]);

/* Actions: the plans open now or changed since the last review. */
int report_review_action_selected(const Riskline__V1__Plan *p, int64_t since_ms);
#define REPORT_REVIEW_ACTION_NCOLS 10
extern const render_col_t report_review_action_cols[REPORT_REVIEW_ACTION_NCOLS];
/* today: day number (overdue milestones); p derived (progress). */
int report_review_action_cells(const Riskline__V1__Plan *p, int64_t since_ms, int64_t today, rl_arena_t *a,
                               const char *cells[REPORT_REVIEW_ACTION_NCOLS]);

/* "ok", "warning", "breach" (measure_level of the latest result), "not measured". */
const char *report_metric_status(const Riskline__V1__Metric *m);
#define REPORT_REVIEW_METRIC_NCOLS 9
extern const render_col_t report_review_metric_cols[REPORT_REVIEW_METRIC_NCOLS];
int report_review_metric_cells(const Riskline__V1__Metric *m, rl_arena_t *a,
                               const char *cells[REPORT_REVIEW_METRIC_NCOLS]);

/* Nonconformities: risk events of kind audit_finding or nonconformity. */
int report_review_is_nc(const Riskline__V1__RiskEvent *e);
#define REPORT_REVIEW_NC_NCOLS 9
extern const render_col_t report_review_nc_cols[REPORT_REVIEW_NC_NCOLS];
int report_review_nc_cells(const Riskline__V1__RiskEvent *e, rl_arena_t *a, const char *cells[REPORT_REVIEW_NC_NCOLS]);

/* Acceptances expiring (within REPORT_REVIEW_EXPIRY_DAYS of today). */
#define REPORT_REVIEW_EXPIRY_DAYS 90
#define REPORT_REVIEW_ACCEPT_NCOLS 9
extern const render_col_t report_review_accept_cols[REPORT_REVIEW_ACCEPT_NCOLS];
int report_review_accept_cells(const Riskline__V1__Acceptance *ac, int64_t today, rl_arena_t *a,
                               const char *cells[REPORT_REVIEW_ACCEPT_NCOLS]);

#endif
