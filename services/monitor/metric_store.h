/* metric_store.h: metric definitions and results in Redis, with the alerts they raise. */
#ifndef METRIC_STORE_H
#define METRIC_STORE_H

#include "measure.h"
#include "rl_bus.h"
#include "rl_store.h"

/*
 *  rl:{t}:metric:K-<n>        hash {v, pb: Metric (with its last result)}; results are its events
 *  rl:{t}:metric:K-<n>:hist   list  stream ids of its events (definition and every result)
 *  rl:{t}:idx:metric:id       zset  n -> K-n
 *  rl:{t}:idx:metric:due      zset  ms when a result is next due -> K-n   (the not-measured sweep)
 *  rl:{t}:seq:metric          counter
 */

/* Defines a metric (measure_validate), id K-<n>. A retried request gets the first one. */
rl_err_t metric_store_define(rl_store_t *store, const rl_bus_req_t *req, const metric_t *in, int64_t now_ms,
                             metric_t **out, rl_error_t *err);
/* Records a result (at_ms 0 = now): the metric's last value and time, its event, and the alerts:
 * metric_breach raised at or beyond breach and resolved otherwise; metric_not_measured resolved. */
rl_err_t metric_store_record(rl_store_t *store, const rl_bus_req_t *req, const char *id, double value, int64_t at_ms,
                             int64_t now_ms, metric_t **out, rl_error_t *err);
rl_err_t metric_store_get(rl_store_t *store, rl_arena_t *a, const char *tenant, const char *id, metric_t **out,
                          rl_error_t *err);
/* Every metric of the tenant (at most RL_MAX_LIST_SCAN). */
rl_err_t metric_store_all(rl_store_t *store, rl_arena_t *a, const char *tenant, metric_t ***out, size_t *n,
                          rl_error_t *err);
/* A control's effectiveness from all[0..n) (measure_control over those measuring control_id). */
Riskline__V1__Effectiveness metric_store_effectiveness(metric_t *const *all, size_t n, const char *control_id,
                                                       int64_t now_ms);

#endif
