/* risk.h: risk register domain rules (scoring, levels, criteria, validation, patches); pure, no I/O. */
#ifndef RISK_H
#define RISK_H

#include <stddef.h>
#include <stdint.h>

#include "riskline/v1/treatment.pb-c.h"
#include "rl_arena.h"
#include "rl_codec.h"
#include "rl_err.h"
#include "rl_principal.h"

typedef Riskline__V1__Risk risk_t;
typedef Riskline__V1__Criteria risk_criteria_t;
typedef Riskline__V1__Rating risk_rating_t;
typedef Riskline__V1__Level risk_level_t;

/* ISO 27001 6.1.2 defaults: 5x5, medium >= 5, high >= 10, critical >= 16, appetite <= 6,
 * reviews every 365/180/90/30 days for low/medium/high/critical. */
void risk_criteria_defaults(risk_criteria_t *c);
/* Bounds: 3..10 per axis; 1 < medium_min < high_min < critical_min <= L*I; 1 <= acceptance_max < L*I;
 * review days 1..1095 and non-increasing with level. err->field names the criteria field. */
rl_err_t risk_criteria_validate(const risk_criteria_t *c, rl_error_t *err);

/* likelihood * impact, or 0 when the rating is absent (NULL or 0/0). */
uint32_t risk_score(const risk_rating_t *r);
/* Level of a score under c; LEVEL_UNSPECIFIED for 0. */
risk_level_t risk_level(uint32_t score, const risk_criteria_t *c);
/* Default review interval of a level (the low interval for UNSPECIFIED). */
uint32_t risk_review_days(risk_level_t level, const risk_criteria_t *c);
/* The score that governs reviews and appetite: residual when rated, else inherent. */
uint32_t risk_current_score(const risk_t *r);

/* Input checks of a risk as a client sent it: required fields, lengths, list sizes, ratings on
 * the matrix of c, enum ranges, next_review date format. err->field is "risk.<field>". */
rl_err_t risk_validate(const risk_t *r, const risk_criteria_t *c, rl_error_t *err);

/* Fills the computed fields (scores, levels, within_appetite) from ratings and c. */
void risk_derive(risk_t *r, const risk_criteria_t *c);

/* Sets next_review to today + interval (the risk's own, else its level's default) when
 * `reschedule` or when next_review is empty. The date string is arena-owned. */
void risk_schedule_review(risk_t *r, const risk_criteria_t *c, int64_t today_days, int reschedule,
                          rl_arena_t *arena);

/* Treatment from text: avoid; reduce|modify; transfer|share; accept|retain (case-insensitive).
 * -1 when unknown. */
int risk_treatment_parse(const char *s);
/* Status from text: identified, assessed, treatment_planned, in_treatment, treated, accepted, closed. */
int risk_status_parse(const char *s);
/* Level from text: low, medium, high, critical. */
int risk_level_parse(const char *s);

/* Copies the fields named in mask from patch into dst (strings and lists arena-copied).
 * Unknown names and computed fields are refused (field "update_mask"). Returns 1 in *ratings_changed
 * when inherent, residual, target or review_interval_days changed (the review is then rescheduled). */
rl_err_t risk_apply_patch(risk_t *dst, const risk_t *patch, char *const *mask, size_t nmask,
                          rl_arena_t *arena, int *ratings_changed, rl_error_t *err);

/* Ownership (ISO 27001 6.1.2 c: risk owners): an admin may create or change any risk; anyone else
 * (a risk_owner) only a risk it owns, and may not hand it to someone else. owner_before is NULL
 * on create. RL_ERR_FORBIDDEN with field "owner". */
rl_err_t risk_check_owner(const rl_principal_t *p, const char *owner_before, const char *owner_after,
                          rl_error_t *err);

/* A change reason (archive): 0..RL_MAX_TEXT bytes of UTF-8 text; err->field "reason". */
rl_err_t risk_validate_reason(const char *reason, rl_error_t *err);

/* Drops protobuf unknown fields (of a newer or hostile peer) from r and its ratings, so nothing
 * unvalidated is stored or echoed. Ratings are re-allocated in the arena. */
void risk_sanitize(risk_t *r, rl_arena_t *arena);

/* Fields that the history diff ignores (bookkeeping, computed). NULL-terminated. */
extern const char *const risk_diff_skip[];

/* Largest likelihood and impact used by any rating of r (for criteria shrink checks). */
void risk_max_axes(const risk_t *r, uint32_t *max_likelihood, uint32_t *max_impact);

/* The register follows the treatment plans (ISO 27001 6.1.3): what a plan event means for its
 * risk. kind is the event kind ("plan.created", "plan.start", "plan.verify", "plan.close",
 * "acceptance.recorded", ...), plan the plan after the change (NULL for an acceptance event; then
 * residual_accepted says the acceptance is recorded). Moves the status forward only:
 *   plan created/submitted/approved  identified|assessed -> treatment_planned (and the treatment
 *                                    decision, when still undecided, from the plan's option)
 *   plan started                     identified..treatment_planned -> in_treatment
 *   plan verified effective          -> treated, residual := the plan's expected residual
 *   plan closed with an acceptance,
 *   acceptance recorded              -> accepted
 * Returns 1 when r changed (then it must be saved), 0 when the event changes nothing (again). */
int risk_follow_plan(risk_t *r, const char *kind, const Riskline__V1__Plan *plan, int residual_accepted);

/* ... and the monitor's alerts raised on a risk: "acceptance_expired" reopens an accepted risk for
 * treatment (status assessed); "reassessment" pulls the next review forward to today +
 * pull_days when that is earlier. The date string is arena-owned. 1 when r changed. */
int risk_follow_alert(risk_t *r, const char *alert_kind, int64_t today_days, uint32_t pull_days, rl_arena_t *arena);

/* The checks of a risk_list's filters (limit, lengths, enums, review_before date, sort);
 * *before_day gets review_before as a day number (-1 when absent). err->field names the field. */
rl_err_t risk_list_check(const Riskline__V1__RiskList *q, int64_t *before_day, rl_error_t *err);
/* 1 when r (derived) passes q's owner, category, status, inherent level and review-before filters
 * (before_day from risk_list_check); archived and sort are the caller's. */
int risk_list_match(const risk_t *r, const Riskline__V1__RiskList *q, int64_t before_day);

#endif
