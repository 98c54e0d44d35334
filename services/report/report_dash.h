/* report_dash.h: the progress dashboard's figures: plans by state and progress, milestones overdue,
 * budget against spent by treatment owner and currency; pure, no I/O. */
#ifndef REPORT_DASH_H
#define REPORT_DASH_H

#include <stddef.h>
#include <stdint.h>

#include "riskline/v1/treatment.pb-c.h"

/* Owners (x currency) listed one by one; the plans of any further ones are summed into the last
 * row, "(other owners)", so the figures stay bounded whatever the tenant's size. */
#define REPORT_DASH_OWNERS 200
#define REPORT_DASH_STATES 10

typedef struct {
    char owner[129];
    char currency[4];
    uint32_t plans, over_budget;
    int64_t budget, spent;       /* minor units */
} report_dash_owner_t;

typedef struct {
    uint32_t plans, open, milestones, overdue;           /* overdue: open milestones of open plans */
    uint32_t by_state[REPORT_DASH_STATES];
    uint64_t progress[REPORT_DASH_STATES];               /* sum of progress_pct by state */
    size_t nowners;
    report_dash_owner_t owners[REPORT_DASH_OWNERS + 1];  /* + "(other owners)" */
} report_dash_t;

void report_dash_init(report_dash_t *d);
/* Adds plan p (derived: spent, over_budget, progress) as of day `today`. */
void report_dash_add(report_dash_t *d, const Riskline__V1__Plan *p, int64_t today);

#endif
