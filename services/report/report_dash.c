/* report_dash.c: the progress dashboard's running figures, plan by plan. */
#include "report_dash.h"
#include "plan.h"
#include "report_plan.h"

#include <stdio.h>
#include <string.h>

void report_dash_init(report_dash_t *d)
{
    memset(d, 0, sizeof *d);
}

/* The row of owner x currency (the "(other owners)" row once the table is full). */
static report_dash_owner_t *owner_row(report_dash_t *d, const char *owner, const char *currency)
{
    for (size_t i = 0; i < d->nowners; i++)
        if (!strcmp(d->owners[i].owner, owner) && !strcmp(d->owners[i].currency, currency))
            return &d->owners[i];
    report_dash_owner_t *o = &d->owners[d->nowners < REPORT_DASH_OWNERS ? d->nowners : REPORT_DASH_OWNERS];
    if (d->nowners < REPORT_DASH_OWNERS) {
        snprintf(o->owner, sizeof o->owner, "%s", owner);
        snprintf(o->currency, sizeof o->currency, "%s", currency);
        d->nowners++;
    } else if (!o->owner[0]) {
        snprintf(o->owner, sizeof o->owner, "(other owners)");  /* currencies mixed: no sums */
    }
    return o;
}

void report_dash_add(report_dash_t *d, const Riskline__V1__Plan *p, int64_t today)
{
    int open = plan_state_open(p->state);
    d->plans++;
    d->open += (uint32_t)open;
    if ((unsigned)p->state < REPORT_DASH_STATES) {
        d->by_state[p->state]++;
        d->progress[p->state] += p->progress_pct;
    }
    d->milestones += (uint32_t)p->n_milestones;
    for (size_t i = 0; open && i < p->n_milestones; i++)
        d->overdue += (uint32_t)report_milestone_overdue(p->milestones[i], today);
    const Riskline__V1__Resources *r = p->resources;
    const Riskline__V1__Money *b = r ? r->budget : NULL;
    report_dash_owner_t *o = owner_row(d, p->treatment_owner ? p->treatment_owner : "", b && b->currency ? b->currency : "");
    o->plans++;
    o->over_budget += (uint32_t)(r && r->over_budget);
    o->budget += b ? b->amount_minor : 0;
    o->spent += r ? r->spent_minor : 0;
}
