/* measure.h: measurement of effectiveness (ISO/IEC 27001 9.1): metric definitions, results
 * against target and thresholds, a control's effectiveness from its weighted metrics; pure. */
#ifndef MEASURE_H
#define MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "riskline/v1/monitor.pb-c.h"
#include "rl_err.h"

typedef Riskline__V1__Metric metric_t;

/* Checks a definition: name 1..200; exactly one of control_id ("A.5.1"/"C-3") and risk_id
 * ("R-2"); method 0..1000; frequency_days 1..366; direction set; numbers finite; the thresholds
 * ordered by direction (higher is better: breach <= warning <= target; lower is better:
 * target <= warning <= breach); owner 1..128; weight 0..100 (0 = 1). err->field "metric.<f>". */
rl_err_t measure_validate(const metric_t *m, rl_error_t *err);

typedef enum { MEASURE_OK, MEASURE_WARNING, MEASURE_BREACH } measure_level_t;
/* Where a value stands: at or beyond breach -> BREACH, at or beyond warning -> WARNING, else OK
 * (beyond = below for higher-is-better, above for lower-is-better; NaN -> BREACH). */
measure_level_t measure_level(const metric_t *m, double value);

/* A control's effectiveness from its metrics' latest values (metrics[i]->last_at_ms 0 = never
 * measured; those measured longer ago than 2 x frequency count as not measured):
 * no measured metric -> NOT_MEASURED; weighted share of metrics at OK >= 80% -> EFFECTIVE;
 * weighted share at BREACH >= 50% -> INEFFECTIVE; else PARTIALLY_EFFECTIVE. The shares are of
 * the weight of all n metrics: a metric not measured is neither OK nor BREACH (evidence missing
 * for part of a control keeps it from EFFECTIVE). NULL entries are skipped. */
Riskline__V1__Effectiveness measure_control(const metric_t *const *metrics, size_t n, int64_t now_ms);

/* 1 when metric m is overdue at now: no result within its frequency, counted from its last result
 * (or from created_at_ms when never measured); exactly frequency_days after is not overdue yet. */
int measure_overdue(const metric_t *m, int64_t created_at_ms, int64_t now_ms);

/* Which metrics a control-test event's value (% of the test passed, 0..100) is a result of, as
 * indexes into all[0..n) (NULL entries skipped), at most max, in all's order; returns how many:
 *   - the event names a metric (attribute "metric", `named` non-empty): that metric, whatever it
 *     measures (the sender decided); none when no metric has that id;
 *   - otherwise every metric whose control_id is one of controls[0..ncontrols) (exact "A.8.8",
 *     "C-3") and that can hold a pass rate: higher is better, and target, warning and breach all
 *     within 0..100. A metric of the same control in other units ("days to patch", lower is
 *     better; "findings open", over 100) is left alone: a pass rate is no result of it.
 * 0 means no metric measures the tested controls: the caller keeps the event and counts it. */
size_t measure_control_test_targets(const char *named, char *const *controls, size_t ncontrols, metric_t *const *all,
                                    size_t n, size_t *out, size_t max);

#endif
