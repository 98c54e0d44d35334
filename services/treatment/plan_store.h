/* plan_store.h: the treatment service's Redis keys, indexes and atomic writes, and its reads of
 * the register's risks and criteria (layout in docs/CONTRACT.md "Treatment keys"). */
#ifndef PLAN_STORE_H
#define PLAN_STORE_H

#include "plan.h"
#include "rl_store.h"

/*
 *  rl:{t}:plan:TP-<n>            hash {v, pb: Plan with its milestones and costs}
 *  rl:{t}:plan:TP-<n>:hist       list: stream ids of its events
 *  rl:{t}:seq:plan               counter
 *  rl:{t}:idx:plan:id            zset n -> TP-n                 (every plan)
 *  rl:{t}:idx:plan:risk:<R-n>    zset n -> TP-n                 (the plans of a risk)
 *  rl:{t}:idx:plan:target        zset day*1e9+n -> TP-n         (open plans by target date)
 *  rl:{t}:ms:due                 zset day*1e9+n -> TP-n/M-k     (open milestones by due date)
 *  rl:{t}:idx:plan:updated       zset updated_at_ms -> TP-n     (open plans by last change: stalled)
 *  rl:{t}:idx:plan:overbudget    zset updated_at_ms -> TP-n     (open plans over budget)
 *  rl:{t}:control:C-<n>          hash {v, pb: Control}          (custom controls)
 *  rl:{t}:seq:control, rl:{t}:idx:control:id
 *  rl:{t}:control:excl:<id>      hash {v, pb: SoaEntry}         (SoA exclusion record)
 *  rl:{t}:idx:control:excl       zset at_ms -> control id       (excluded now)
 *  rl:{t}:accept:<R-n>           hash {v, pb: Acceptance}       (the risk's acceptance)
 *  rl:{t}:idx:accept:expiry      zset day*1e9+n -> R-n
 */
typedef struct plan_store plan_store_t;

/* store is borrowed. NULL on allocation failure. */
plan_store_t *plan_store_new(rl_store_t *store);
void plan_store_destroy(plan_store_t **self_p);

/* The next number of kind ("plan", "control") for the tenant; when request_id was served before,
 * *dup names what its first attempt wrote instead. */
rl_err_t plan_store_next(plan_store_t *self, rl_arena_t *arena, const char *tenant, const char *kind,
                         const char *request_id, uint64_t *n, const char **dup, rl_error_t *err);
/* *dup names what request_id's first attempt wrote, or is NULL. */
rl_err_t plan_store_served(plan_store_t *self, rl_arena_t *arena, const char *tenant, const char *request_id,
                           const char **dup, rl_error_t *err);

/* Plan id (RL_ERR_NOT_FOUND field "id"), arena-owned with id and version set. */
rl_err_t plan_store_get(plan_store_t *self, rl_arena_t *arena, const char *tenant, const char *id, plan_t **out,
                        rl_error_t *err);
/* Writes plan p (version = expected + 1) with its indexes, event and history in one step. */
rl_err_t plan_store_save(plan_store_t *self, rl_arena_t *arena, const char *tenant, const plan_t *p,
                         uint64_t expected_version, const Riskline__V1__DomainEvent *event, const char *request_id,
                         rl_write_result_t *res, rl_error_t *err);
/* One page of plans (of a risk when q->risk_id is set), oldest first, filtered by state/owner. */
rl_err_t plan_store_list(plan_store_t *self, rl_arena_t *arena, const char *tenant, const Riskline__V1__PlanList *q,
                         Riskline__V1__PlanPage *page, rl_error_t *err);
/* Every plan of the tenant (for the SoA), arena-owned. */
rl_err_t plan_store_all(plan_store_t *self, rl_arena_t *arena, const char *tenant, plan_t ***out, size_t *n,
                        rl_error_t *err);
rl_err_t plan_store_history(plan_store_t *self, rl_arena_t *arena, const char *tenant, const char *id,
                            uint32_t limit, const char *cursor, Riskline__V1__HistoryPage *page, rl_error_t *err);

/* The register's risk id (read only; RL_ERR_NOT_FOUND field `field`) and the tenant's criteria
 * (defaults when never set), in one round trip. */
rl_err_t plan_store_risk(plan_store_t *self, rl_arena_t *arena, const char *tenant, const char *id,
                         const char *field, plan_risk_t **risk, plan_criteria_t **criteria, rl_error_t *err);

/* Custom controls. */
rl_err_t plan_store_controls(plan_store_t *self, rl_arena_t *arena, const char *tenant,
                             Riskline__V1__Control ***out, size_t *n, rl_error_t *err);
rl_err_t plan_store_save_control(plan_store_t *self, rl_arena_t *arena, const char *tenant,
                                 const Riskline__V1__Control *c, const Riskline__V1__DomainEvent *event,
                                 const char *request_id, rl_write_result_t *res, rl_error_t *err);
/* SoA exclusions in force (reason not empty), and writing one (reason "" clears it). */
rl_err_t plan_store_exclusions(plan_store_t *self, rl_arena_t *arena, const char *tenant,
                               Riskline__V1__SoaEntry ***out, size_t *n, rl_error_t *err);
rl_err_t plan_store_save_exclusion(plan_store_t *self, rl_arena_t *arena, const char *tenant,
                                   const Riskline__V1__SoaEntry *e, const Riskline__V1__DomainEvent *event,
                                   const char *request_id, rl_write_result_t *res, rl_error_t *err);
/* The Statement of Applicability now: catalogue.h soa_derive over every plan, custom control and
 * exclusion in force of the tenant (theme and status filters as there); entries arena-owned.
 * (the treatment's soa_get). */
rl_err_t plan_store_soa(plan_store_t *self, rl_arena_t *arena, const char *tenant, Riskline__V1__ControlTheme theme,
                       Riskline__V1__ImplementationStatus status, Riskline__V1__SoaEntry ***out, size_t *nout,
                       rl_error_t *err);
/* The same over plans the caller read (the report service reads them page by page and keeps only
 * what soa_derive reads, so the SoA of many plans costs their controls, not their milestones). */
rl_err_t plan_store_soa_of(plan_store_t *self, rl_arena_t *arena, const char *tenant, const plan_t *const *plans,
                           size_t np, Riskline__V1__ControlTheme theme, Riskline__V1__ImplementationStatus status,
                           Riskline__V1__SoaEntry ***out, size_t *nout, rl_error_t *err);
/* The risk's acceptance record (version 0 when none), and writing it. */
rl_err_t plan_store_save_acceptance(plan_store_t *self, rl_arena_t *arena, const char *tenant,
                                    const Riskline__V1__Acceptance *a, const Riskline__V1__DomainEvent *event,
                                    const char *request_id, rl_write_result_t *res, rl_error_t *err);

#endif
