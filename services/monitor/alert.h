/* alert.h: alerts and the schedule rules that raise and resolve them; pure, the clock injected. */
#ifndef ALERT_H
#define ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "riskline/v1/monitor.pb-c.h"
#include "riskline/v1/treatment.pb-c.h"
#include "rl_arena.h"
#include "rl_err.h"
#include "rl_principal.h"

typedef Riskline__V1__Alert alert_t;

/* Alert kinds (alert_t.kind). */
#define ALERT_MILESTONE_OVERDUE "milestone_overdue"
#define ALERT_MILESTONE_DUE_SOON "milestone_due_soon"
#define ALERT_PLAN_PAST_TARGET "plan_past_target"
#define ALERT_REVIEW_DUE "review_due"
#define ALERT_ACCEPTANCE_EXPIRING "acceptance_expiring"
#define ALERT_ACCEPTANCE_EXPIRED "acceptance_expired"
#define ALERT_BUDGET_OVERRUN "budget_overrun"
#define ALERT_PLAN_STALLED "plan_stalled"
#define ALERT_METRIC_NOT_MEASURED "metric_not_measured"
#define ALERT_METRIC_BREACH "metric_breach"
#define ALERT_REASSESSMENT "reassessment"
#define ALERT_CONTROL_INEFFECTIVE "control_ineffective"

/* A person's change of an alert: acknowledge (open -> acknowledged) or resolve (open or
 * acknowledged -> resolved). Records who and when. RL_ERR_CONFLICT field "state" naming the
 * current state otherwise; RL_ERR_INVALID for other target states. */
rl_err_t alert_change(alert_t *a, Riskline__V1__AlertState to, const rl_principal_t *who, int64_t now_ms,
                      rl_arena_t *arena, rl_error_t *err);
/* The monitor resolves an alert whose condition cleared (resolved_by "monitor"). No-op when resolved. */
void alert_auto_resolve(alert_t *a, int64_t now_ms);

/* Schedule thresholds (defaults: due soon 7 days, acceptance expiring 30 days, stalled 30 days). */
typedef struct {
    uint32_t due_soon_days;
    uint32_t acceptance_warn_days;
    uint32_t stalled_days;
} alert_policy_t;
void alert_policy_defaults(alert_policy_t *p);

/* What a schedule rule concluded for one subject. */
typedef struct {
    const char *kind;
    const char *subject;
    Riskline__V1__Severity severity;
    const char *message;     /* arena-owned, names the subject and the dates */
    int active;              /* 1: the condition holds (raise, or keep open); 0: it cleared (resolve) */
} alert_finding_t;

/* The rules, each for one subject, given today (days since 1970-01-01):
 *   milestone: due day vs today, its status: overdue (due < today, not settled, severity HIGH);
 *              due soon (today <= due <= today + due_soon_days, not settled, MEDIUM)
 *   plan: target day < today and open -> past target (HIGH); over budget -> budget overrun
 *         (MEDIUM); open and updated_at older than stalled_days with progress < 100 -> stalled (LOW)
 *   review: next review day <= today -> review due (MEDIUM)
 *   acceptance: expires < today -> expired (HIGH); within acceptance_warn_days -> expiring (MEDIUM)
 * Each fills up to the findings it can conclude (inactive findings say "resolve if open").
 * Every rule reports each kind it governs, active or not, in this order (up to max): milestone:
 * overdue, due soon; plan: past target, budget overrun, stalled; review: review due; acceptance:
 * expired, expiring. Settled milestones (done, waived) and every milestone and rule of a plan that
 * is not open (closed, cancelled) give inactive findings only. Subjects: "TP-3/M-2", "TP-3",
 * "R-1" (arena-owned). Stalled: updated_at_ms (created_at_ms when 0) more than stalled_days x 24 h
 * before now_ms; exactly stalled_days is not stalled yet. */
size_t alert_rule_milestone(const Riskline__V1__Plan *plan, const Riskline__V1__Milestone *m, int64_t today,
                            const alert_policy_t *p, rl_arena_t *arena, alert_finding_t *out, size_t max);
size_t alert_rule_plan(const Riskline__V1__Plan *plan, int64_t today, int64_t now_ms, const alert_policy_t *p,
                       rl_arena_t *arena, alert_finding_t *out, size_t max);
size_t alert_rule_review(const char *risk_id, int64_t next_review_day, int64_t today, rl_arena_t *arena,
                         alert_finding_t *out, size_t max);
size_t alert_rule_acceptance(const char *risk_id, int64_t expires_day, int64_t today, const alert_policy_t *p,
                             rl_arena_t *arena, alert_finding_t *out, size_t max);

#endif
