/* plan.h: treatment plan domain rules (workflow, duties, milestones, budget, approvals,
 * acceptance); pure functions over the protobuf structs, no I/O. */
#ifndef PLAN_H
#define PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "riskline/v1/treatment.pb-c.h"
#include "rl_arena.h"
#include "rl_err.h"
#include "rl_principal.h"

typedef Riskline__V1__Plan plan_t;
typedef Riskline__V1__Milestone plan_milestone_t;
typedef Riskline__V1__PlanState plan_state_t;
typedef Riskline__V1__PlanAction plan_action_t;
typedef Riskline__V1__Risk plan_risk_t;
typedef Riskline__V1__Criteria plan_criteria_t;

/* Tenant settings of the workflow (defaults: plan_policy_defaults). */
typedef struct {
    uint32_t reapproval_budget_pct;   /* budget up by more than this share outdates an approval (10) */
    uint32_t max_acceptance_days;     /* an acceptance expires within this many days (365) */
} plan_policy_t;
void plan_policy_defaults(plan_policy_t *p);

/* --- validation --- */
/* Input checks of a plan as a client sent it (create, or the result of a patch): required fields
 * (risk_id, title, option, treatment_owner, approver), lengths (rl_limits.h), approver != owner,
 * dates (YYYY-MM-DD, target >= start), expected residual on the matrix of c (may be 0/0),
 * transfer needs transfer_party, controls: no duplicates, status in NOT_STARTED..IMPLEMENTED,
 * resources: budget >= 0 with a valid ISO 4217 code (3 upper-case letters) when an amount is set,
 * personnel/tools bounded. Controls are checked for existence by the caller (catalogue).
 * err->field is "plan.<field>" ("plan.controls[2].control_id"). */
rl_err_t plan_validate(const plan_t *p, const plan_criteria_t *c, rl_error_t *err);

/* Copies the fields named in mask from patch into dst (arena copies). Computed fields, state,
 * milestones and costs are refused (field "update_mask"); unknown names too; risk_id too (a plan
 * stays with its risk). "resources" replaces budget, personnel, tools and effort_days (costs kept);
 * "resources.budget|personnel|tools|effort_days" replace one of them. Once costs are recorded the
 * budget currency cannot change nor the budget go (field "plan.resources.budget[.currency]").
 * Sub-messages are replaced by new ones, never changed in place (a shallow copy of dst taken
 * before stays as it was, for plan_check_material_change). */
rl_err_t plan_apply_patch(plan_t *dst, const plan_t *patch, char *const *mask, size_t nmask, rl_arena_t *arena,
                          rl_error_t *err);

/* Fills computed fields: resources.spent_minor (sum of costs), resources.over_budget,
 * progress_pct (settled milestones / all, 0 without milestones; waived count as settled). */
void plan_derive(plan_t *p);

/* --- workflow --- */
/* 1 when the state is open (DRAFT..VERIFIED, ON_HOLD); 0 for CLOSED, CANCELLED, UNSPECIFIED. */
int plan_state_open(plan_state_t s);
/* Short names: "draft", "in_progress", ...; "submit", "approve", ... */
const char *plan_state_name(plan_state_t s);
const char *plan_action_name(plan_action_t a);
/* Text to enum; -1 when unknown. */
int plan_state_parse(const char *s);
int plan_action_parse(const char *s);

/* The inputs of one transition. */
typedef struct {
    plan_action_t action;
    const char *comment;         /* reason (reject, hold, cancel), result (verify) */
    int effective;               /* verify */
    char *const *waive;          /* close: milestone ids waived ... */
    size_t nwaive;
    const char *waive_reason;    /* ... with this reason */
} plan_transition_t;

/* Applies a transition to p in place if `who` may do it now:
 *   submit: draft -> submitted                   treatment owner (or admin)
 *   approve: submitted -> approved               the plan's approver (with the approver role) or an
 *                                                admin, never its treatment owner;
 *                                                records approval {approver, at, plan_version = p->version,
 *                                                risk snapshot (caller sets approval->risk)}
 *   reject: submitted -> draft                   as approve; comment (reason) required
 *   start: approved -> in_progress               treatment owner; approval must not be outdated
 *   implement: in_progress -> implemented        treatment owner
 *   verify: implemented -> verified|in_progress  approver (not the treatment owner) or admin; comment
 *                                                (the effectiveness result) required; effective decides
 *   close: verified -> closed                    treatment owner or approver; every milestone done or
 *                                                waived (waive list + reason settles the rest)
 *   hold: open state -> on_hold (held_from)      treatment owner or approver; reason required
 *   resume: on_hold -> held_from                 treatment owner or approver
 *   cancel: open state -> cancelled              treatment owner, approver or admin; reason required
 * Admin may act as treatment owner, never as approver of a plan it owns. "Owner" and "approver"
 * compare p->treatment_owner / p->approver with who->name. A refused transition gets:
 *   RL_ERR_CONFLICT, field "state": "plan TP-3 is <state>; <action> needs <from>; allowed now: a, b"
 *   RL_ERR_FORBIDDEN, field "action": who may do it, and why not this principal
 *   RL_ERR_CONFLICT, field "approval": start without a valid (not outdated) approval
 *   RL_ERR_INVALID, field "comment"/"waive"/"waive_reason": what is missing
 * Sets state, held_from, verification, timestamps (now_ms) but not version (the caller). */
rl_err_t plan_transition(plan_t *p, const plan_transition_t *t, const rl_principal_t *who, int64_t now_ms,
                         rl_arena_t *arena, rl_error_t *err);
/* Actions allowed from a state (for messages and help): writes names "a, b" into buf. */
char *plan_allowed_actions(plan_state_t s, char *buf, size_t size);

/* Who may change a plan's content (update, costs, milestones): its treatment owner or an admin,
 * only while open; RL_ERR_FORBIDDEN field "treatment_owner" / RL_ERR_CONFLICT field "state". */
rl_err_t plan_check_editor(const plan_t *p, const rl_principal_t *who, rl_error_t *err);

/* --- approvals bound to what was approved --- */
/* Compares the plan before and after a change; when the plan has a valid approval and the change
 * is material (option, controls set, target date, expected residual, budget currency, or budget up
 * by more than policy->reapproval_budget_pct), marks p_after->approval outdated with the reason
 * ("budget up 25% (> 10%)") and returns 1; else 0. An outdated approved plan goes back to
 * SUBMITTED state when it was APPROVED (in progress plans keep running but flag it). */
int plan_check_material_change(const plan_t *before, plan_t *after, const plan_policy_t *policy,
                               rl_arena_t *arena);

/* --- milestones --- */
/* Checks a new or changed milestone against its plan: title/owner/due date (YYYY-MM-DD) present,
 * evidence URIs 1..1000 bytes and sha256 "" or 64 hex, depends_on names milestones of the plan
 * (not itself), and the dependency graph of all milestones stays acyclic (RL_ERR_INVALID field
 * "milestone.depends_on" naming the cycle "M-1 -> M-3 -> M-1"). */
rl_err_t plan_milestone_validate(const plan_t *p, const plan_milestone_t *m, rl_error_t *err);
/* A status change of milestone m (in p): done needs every dependency done or waived
 * (RL_ERR_CONFLICT field "status" naming the first that is not); waived needs a reason; done
 * records completed_at/by (arena copies). A settled milestone (done, waived) is not reopened
 * while a done milestone depends on it (RL_ERR_CONFLICT field "status"). */
rl_err_t plan_milestone_set_status(plan_t *p, plan_milestone_t *m, Riskline__V1__MilestoneStatus status,
                                   const char *reason, const rl_principal_t *who, int64_t now_ms,
                                   rl_arena_t *arena, rl_error_t *err);
/* The milestone with this id, or NULL. */
plan_milestone_t *plan_milestone_find(const plan_t *p, const char *id);

/* --- budget --- */
/* Adds cost c to p (currency of the budget; amount > 0; no overflow of the sum: RL_ERR_INVALID
 * field "cost.amount_minor"); date YYYY-MM-DD. The cost is arena-copied and appended; derive after.
 * A plan without a budget currency takes no costs (RL_ERR_CONFLICT field "resources.budget"). */
rl_err_t plan_add_cost(plan_t *p, const Riskline__V1__Cost *c, const rl_principal_t *who, int64_t now_ms,
                       rl_arena_t *arena, rl_error_t *err);

/* --- acceptance (ISO 27001 6.1.3 f) --- */
/* Checks an acceptance of risk r (residual score if rated, else inherent) by `who`: the risk owner
 * (r->owner) must accept; justification required; expires a date after today and within
 * policy->max_acceptance_days; a score above c->acceptance_max also needs the approver role (who
 * has it, or a->approver is set by the caller after a second principal co-signed). Fills score,
 * above_appetite, at_ms, accepted_by, approver (who, when it holds the role), risk_id (arena
 * copies). Errors: RL_ERR_FORBIDDEN field "accepted_by" (not the risk owner) / "approver";
 * RL_ERR_INVALID field "justification" / "expires"; RL_ERR_CONFLICT field "risk_id" (archived). */
rl_err_t plan_acceptance_check(Riskline__V1__Acceptance *a, const plan_risk_t *r, const plan_criteria_t *c,
                               const plan_policy_t *policy, const rl_principal_t *who, int64_t today_days,
                               int64_t now_ms, rl_arena_t *arena, rl_error_t *err);

#endif
