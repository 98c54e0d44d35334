/* alert_store.h: alerts in Redis (one per kind and subject while open) and the schedule sweep that
 * raises and resolves them from the sorted-set indexes, never by scanning every entity. */
#ifndef ALERT_STORE_H
#define ALERT_STORE_H

#include "alert.h"
#include "rl_bus.h"
#include "rl_store.h"

/*
 *  rl:{t}:alert:<kind>:<subject>   hash {v, pb: Alert}  the alert of that kind and subject (latest)
 *  rl:{t}:alert:ids                hash AL-<n> -> "<kind>:<subject>"
 *  rl:{t}:idx:alert:open           zset raised_at -> "<kind>:<subject>"   (open or acknowledged)
 *  rl:{t}:idx:alert:resolved       zset resolved_at -> "<kind>:<subject>"
 *  rl:{t}:seq:alert                counter
 */

/* Raises (active) or auto-resolves (inactive) the alert of one finding; a no-op when it already is
 * so. Every change is one atomic write with its event (alert.raised / alert.resolved). *changed
 * tells whether anything was written. */
rl_err_t alert_store_apply(rl_store_t *store, rl_arena_t *arena, const char *tenant, const alert_finding_t *f,
                           int64_t now_ms, int *changed, rl_error_t *err);

/* One sweep of a tenant's milestone index: milestones due within the due-soon window (and overdue
 * ones), then every open milestone alert re-checked so that a cleared condition resolves. Returns
 * the alerts raised plus resolved in *changes. */
rl_err_t alert_store_sweep(rl_store_t *store, rl_arena_t *arena, const char *tenant, const alert_policy_t *p,
                           int64_t now_ms, size_t *changes, rl_error_t *err);

/* Alerts in a state (OPEN and ACKNOWLEDGED come from the open index, RESOLVED from the resolved
 * one, newest first), at most limit (1..500, 0 = 50). */
rl_err_t alert_store_list(rl_store_t *store, rl_arena_t *arena, const char *tenant, Riskline__V1__AlertState state,
                          uint32_t limit, Riskline__V1__AlertPage *page, rl_error_t *err);

/* A person's acknowledgement or resolution of alert id (AL-<n>), compare-and-set on its version. */
rl_err_t alert_store_change(rl_store_t *store, const rl_bus_req_t *req, const Riskline__V1__AlertChange *q,
                            int64_t now_ms, alert_t **out, rl_error_t *err);

#endif
