/* rl_criteria.h: the tenant risk criteria defaults, shared by every service that reads criteria. */
#ifndef RL_CRITERIA_H
#define RL_CRITERIA_H

#include "riskline/v1/risk.pb-c.h"

/* ISO 27001 6.1.2 defaults: 5x5, medium >= 5, high >= 10, critical >= 16, appetite <= 6,
 * reviews every 365/180/90/30 days for low/medium/high/critical. Used while a tenant has never
 * set its criteria (version 0). */
void rl_criteria_defaults(Riskline__V1__Criteria *c);

#endif
