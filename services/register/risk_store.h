/* risk_store.h: the register's Redis keys, indexes and atomic writes (layout in docs/CONTRACT.md). */
#ifndef RISK_STORE_H
#define RISK_STORE_H

#include "risk.h"
#include "rl_store.h"

typedef struct risk_store risk_store_t;

/* store is borrowed and must outlive the risk store. NULL on allocation failure. */
risk_store_t *risk_store_new(rl_store_t *store);
void risk_store_destroy(risk_store_t **self_p);

/* The tenant's criteria (defaults when never set) and their version (0 for defaults), from a
 * small per-process cache that is re-validated against Redis on every call that passes
 * `revalidate`; *out points into the cache until the next call. */
rl_err_t risk_store_criteria(risk_store_t *self, rl_arena_t *arena, const char *tenant, int revalidate,
                             const risk_criteria_t **out, uint64_t *version, rl_error_t *err);

/* Loads risk `id` (NULL *out when absent: RL_ERR_NOT_FOUND) together with the tenant's current
 * criteria, in one round trip. The risk is arena-owned, its id and version filled in. */
rl_err_t risk_store_get(risk_store_t *self, rl_arena_t *arena, const char *tenant, const char *id,
                        risk_t **out, const risk_criteria_t **criteria, uint64_t *criteria_version,
                        rl_error_t *err);

/* The next risk number of the tenant, from a block reserved ahead (see risk_store.c); when a
 * new block is needed and request_id was already served, *dup_id names the risk the first
 * attempt created instead. */
rl_err_t risk_store_next_number(risk_store_t *self, rl_arena_t *arena, const char *tenant,
                                const char *request_id, uint64_t *n, const char **dup_id, rl_error_t *err);
/* *dup names what request_id's first attempt wrote (its idempotency marker), or is NULL. */
rl_err_t risk_store_served(risk_store_t *self, rl_arena_t *arena, const char *tenant, const char *request_id,
                           const char **dup, rl_error_t *err);

/* Gives back number n when the write that took it wrote nothing (a duplicate or a refusal). */
void risk_store_unuse_number(risk_store_t *self, const char *tenant, uint64_t n);

/* Writes risk r (its id and version already set; version = expected + 1) with its indexes, the
 * event and the history entry in one step. Guarded by criteria_version (the criteria the risk was
 * validated against). res->outcome tells a duplicate request from a new write. */
rl_err_t risk_store_save(risk_store_t *self, rl_arena_t *arena, const char *tenant, const risk_t *r,
                         uint64_t expected_version, uint64_t criteria_version,
                         const Riskline__V1__DomainEvent *event, const char *request_id,
                         rl_write_result_t *res, rl_error_t *err);

/* One page of the list; risks arena-owned and derived with the current criteria. */
rl_err_t risk_store_list(risk_store_t *self, rl_arena_t *arena, const char *tenant,
                         const Riskline__V1__RiskList *q, Riskline__V1__RiskPage *page, rl_error_t *err);

/* Events of risk id, oldest first, from the offset in cursor. */
rl_err_t risk_store_history(risk_store_t *self, rl_arena_t *arena, const char *tenant, const char *id,
                            uint32_t limit, const char *cursor, Riskline__V1__HistoryPage *page,
                            rl_error_t *err);

/* Writes new criteria (version = expected + 1) with its event. RL_ERR_CONFLICT naming the field
 * when a live risk uses a likelihood or impact beyond the new matrix. */
rl_err_t risk_store_save_criteria(risk_store_t *self, rl_arena_t *arena, const char *tenant,
                                  const risk_criteria_t *c, uint64_t expected_version,
                                  const Riskline__V1__DomainEvent *event, const char *request_id,
                                  rl_write_result_t *res, rl_error_t *err);

#endif
