/* event.h: risk events from other systems: input checks and correlation with risks, assets and
 * controls, and the reassessment rule; pure functions over the protobuf structs, no I/O. */
#ifndef EVENT_H
#define EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "riskline/v1/monitor.pb-c.h"
#include "rl_arena.h"
#include "rl_err.h"

typedef Riskline__V1__RiskEvent event_t;

/* Input checks of one event as a sender sent it (stored fields received_* and linked_risks must be
 * empty). field_prefix names it in errors ("events[3]"): err->field "events[3].severity".
 *   source 1..64 of [A-Za-z0-9._-]; event_id 1..128 bytes, valid UTF-8, no control characters;
 *   kind and severity known and not UNSPECIFIED (a newer peer's unknown value is refused, not
 *   guessed); occurred_at_ms > 0 and <= now + 1 day; summary 1..1000 bytes;
 *   risk_ids "R-<n>" (<= 32), assets 1..128 bytes (<= 32), controls "A.5.1".."A.8.34" or "C-<n>"
 *   (<= 32) (existence is not checked here); attributes <= 32, key 1..64 [A-Za-z0-9._-], value
 *   <= 1000 bytes; KRI measurement and control test need a value (finite; control test 0..100),
 *   other kinds must not carry one; a KRI measurement names its metric in attribute "metric". */
rl_err_t event_validate(const event_t *e, int64_t now_ms, const char *field_prefix, rl_error_t *err);

/* The value of the event's attribute `key`, or NULL when it has none. */
const char *event_attribute(const event_t *e, const char *key);

/* Text <-> enum: "incident", "vulnerability", "threat_intel" (also "threat-intelligence"),
 * "audit_finding", "nonconformity", "kri" (also "kri_measurement"), "control_test", "change";
 * "info", "low", "medium", "high", "critical". -1 when unknown. */
int event_kind_parse(const char *s);
int event_severity_parse(const char *s);
const char *event_kind_name(Riskline__V1__EventKind k);
const char *event_severity_name(Riskline__V1__Severity s);

/* What correlation knows about a tenant (loaded by the caller; arrays need not be sorted). */
typedef struct {
    const char *risk_id;
    char *const *assets;
    size_t nassets;
} event_risk_t;

typedef struct {
    const char *risk_id;     /* the plan's risk */
    char *const *controls;   /* the controls the plan implements (normalised "A.8.8", "C-3") */
    size_t ncontrols;
    int open;                /* not closed or cancelled */
} event_plan_t;

/* The risks an event links to: its risk_ids that exist in risks, the risks listing one of its
 * assets (exact, case-sensitive match), and the risks of open plans implementing one of its
 * controls. Sorted ("R-2" before "R-10") and without duplicates, arena-owned. */
rl_err_t event_correlate(const event_t *e, const event_risk_t *risks, size_t nrisks, const event_plan_t *plans,
                         size_t nplans, rl_arena_t *arena, char ***out, size_t *nout, rl_error_t *err);

/* Tenant rule for reassessment: an event linked to a risk raises a reassessment when its severity
 * is at or above `min_severity`, or when the risk has had more than `max_events` linked events
 * within the window (count_in_window includes this one). Both thresholds 0 = that rule off. */
typedef struct {
    Riskline__V1__Severity min_severity;   /* default HIGH */
    uint32_t max_events;                   /* default 5 */
    uint32_t window_days;                  /* default 7 */
    uint32_t pull_review_days;             /* the review comes forward to today + this (default 7) */
} event_policy_t;
void event_policy_defaults(event_policy_t *p);
int event_triggers_reassessment(const event_t *e, uint32_t count_in_window, const event_policy_t *p);
/* The risk's next review after a reassessment: the earlier of its current one and today + pull. */
int64_t event_pulled_review_day(int64_t current_review_day, int64_t today_days, const event_policy_t *p);

#endif
