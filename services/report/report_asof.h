/* report_asof.h: reports as of a past instant: the as_of parameter, and the set that keeps the
 * latest snapshot of each entity while the tenant's events are read in order; pure, no I/O. */
#ifndef REPORT_ASOF_H
#define REPORT_ASOF_H

#include <stddef.h>
#include <stdint.h>

#include "riskline/v1/risk.pb-c.h"

/* The most entities an as-of report keeps whole at once (the SoA's plans, the custom controls,
 * the exclusion records, the plans' risk links): above it the report is refused rather than let
 * memory grow with the tenant. Pages of the register and the plan document keep one page. */
#define REPORT_ASOF_MAX 50000

/* "YYYY-MM-DD" -> the last millisecond of that day (UTC): the day as it closed;
 * "YYYY-MM-DDTHH:MM:SS[.mmm]Z" -> that instant. 0 ok, -1 when s is neither. */
int report_asof_parse(const char *s, int64_t *ms);

/* The latest snapshot (bytes) of each entity, by id in natural order ("R-2" < "R-10").
 * Kept: the entities whose id comes after `after` ("" or NULL: all), at most cap of them, the
 * lowest ids. Fed the events oldest first, it holds each kept entity as it stood after its last
 * event: a later put of the same id replaces the bytes. With strict, an entity beyond cap is an
 * error instead (the set must be whole). Memory: cap entities, never the number of events. */
typedef struct report_asof_set report_asof_set_t;

report_asof_set_t *report_asof_set_new(const char *after, size_t cap, int strict);
void report_asof_set_destroy(report_asof_set_t **self_p);

/* 0 kept, replaced or outside the window; -1 out of memory; -2 a new entity beyond cap (strict). */
int report_asof_set_put(report_asof_set_t *self, const char *id, const void *bytes, size_t len);
/* 1 when id is kept. */
int report_asof_set_has(const report_asof_set_t *self, const char *id);
size_t report_asof_set_count(const report_asof_set_t *self);
/* The i-th kept entity in id order: its id, and its bytes into *bytes, *len. */
const char *report_asof_set_at(const report_asof_set_t *self, size_t i, const void **bytes, size_t *len);
/* 1 when an entity after the window was seen (dropped or pushed out): a next page may follow,
 * starting after the last kept id. */
int report_asof_set_more(const report_asof_set_t *self);

/* 1 when risk r (derived under the criteria as of then) is a row of the register as of then: an
 * archived risk only when q asks for the archived ones (as the store's archived index), the
 * others only when it does not; and q's filters (risk_list_match; before_day from risk_list_check). */
int report_asof_risk_listed(const Riskline__V1__Risk *r, const Riskline__V1__RiskList *q, int64_t before_day);

#endif
