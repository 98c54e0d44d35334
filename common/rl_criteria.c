/* rl_criteria.c: the tenant risk criteria defaults (one place for register and treatment). */
#include "rl_criteria.h"

void rl_criteria_defaults(Riskline__V1__Criteria *c)
{
    riskline__v1__criteria__init(c);
    c->likelihood_levels = 5;
    c->impact_levels = 5;
    c->medium_min = 5;
    c->high_min = 10;
    c->critical_min = 16;
    c->acceptance_max = 6;
    c->review_days_low = 365;
    c->review_days_medium = 180;
    c->review_days_high = 90;
    c->review_days_critical = 30;
}
