/* rl_acl.c: role table per request type; services add their requests here as they are built. */
#include "rl_acl.h"
#include "rl_codec.h"

#include <stdio.h>
#include <string.h>

#define READERS (RL_ROLE_VIEWER | RL_ROLE_RISK_OWNER | RL_ROLE_TREATMENT_OWNER | RL_ROLE_APPROVER | \
                 RL_ROLE_AUDITOR | RL_ROLE_ADMIN)

static const struct {
    int body;
    uint32_t roles;
} table[] = {
    {RISKLINE__V1__ENVELOPE__BODY_PING, RL_ROLES_ALL},
    /* answered by the bus of every service for any authenticated principal, even one without a
     * role (the service's own key: the --check probe); the row says so for the role matrix */
    {RISKLINE__V1__ENVELOPE__BODY_HEALTH_GET, RL_ROLES_ALL},
    /* register */
    {RISKLINE__V1__ENVELOPE__BODY_RISK_GET, READERS},
    {RISKLINE__V1__ENVELOPE__BODY_RISK_LIST, READERS},
    {RISKLINE__V1__ENVELOPE__BODY_RISK_HISTORY, READERS},
    {RISKLINE__V1__ENVELOPE__BODY_CRITERIA_GET, READERS},
    {RISKLINE__V1__ENVELOPE__BODY_RISK_CREATE, RL_ROLE_RISK_OWNER | RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_RISK_UPDATE, RL_ROLE_RISK_OWNER | RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_RISK_ARCHIVE, RL_ROLE_RISK_OWNER | RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_CRITERIA_SET, RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_AUDIT_READ, RL_ROLE_AUDITOR | RL_ROLE_ADMIN},
    /* treatment: ownership, segregation of duties and per-action rights are domain rules in the
     * service (plan.h); this table only says who may send the request at all */
    {RISKLINE__V1__ENVELOPE__BODY_PLAN_GET, READERS},
    {RISKLINE__V1__ENVELOPE__BODY_PLAN_LIST, READERS},
    {RISKLINE__V1__ENVELOPE__BODY_PLAN_HISTORY, READERS},
    {RISKLINE__V1__ENVELOPE__BODY_CONTROL_LIST, READERS},
    {RISKLINE__V1__ENVELOPE__BODY_CONTROL_GET, READERS},
    {RISKLINE__V1__ENVELOPE__BODY_SOA_GET, READERS},
    {RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE, RL_ROLE_RISK_OWNER | RL_ROLE_TREATMENT_OWNER | RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_PLAN_UPDATE, RL_ROLE_TREATMENT_OWNER | RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_PLAN_COST_ADD, RL_ROLE_TREATMENT_OWNER | RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_MILESTONE_ADD, RL_ROLE_TREATMENT_OWNER | RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_MILESTONE_UPDATE, RL_ROLE_TREATMENT_OWNER | RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_PLAN_TRANSITION, RL_ROLE_TREATMENT_OWNER | RL_ROLE_APPROVER | RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_RISK_ACCEPT, RL_ROLE_RISK_OWNER | RL_ROLE_APPROVER | RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_CONTROL_ADD, RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_SOA_EXCLUDE, RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_SOA_INCLUDE, RL_ROLE_ADMIN},
    /* monitor: sending risk events is the integrator's only right */
    {RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH, RL_ROLE_INTEGRATOR | RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_METRIC_LIST, READERS},
    {RISKLINE__V1__ENVELOPE__BODY_ALERT_LIST, READERS},
    {RISKLINE__V1__ENVELOPE__BODY_MONITOR_STATUS_GET, READERS},
    {RISKLINE__V1__ENVELOPE__BODY_METRIC_DEFINE, RL_ROLE_RISK_OWNER | RL_ROLE_TREATMENT_OWNER | RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_METRIC_RECORD, RL_ROLE_RISK_OWNER | RL_ROLE_TREATMENT_OWNER | RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_ALERT_CHANGE,
     RL_ROLE_RISK_OWNER | RL_ROLE_TREATMENT_OWNER | RL_ROLE_APPROVER | RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_SWEEP_RUN, RL_ROLE_ADMIN},
    /* report: catch-up of the update stream (every reader; the tenant check does the rest) */
    {RISKLINE__V1__ENVELOPE__BODY_UPDATES_AFTER, READERS},
    /* reports: what a reader may list it may read as a document (the tenant check does the rest) */
    {RISKLINE__V1__ENVELOPE__BODY_REPORT_GET, READERS},
    {RISKLINE__V1__ENVELOPE__BODY_KEY_ISSUE, RL_ROLE_ADMIN},
    {RISKLINE__V1__ENVELOPE__BODY_KEY_LIST, RL_ROLE_ADMIN | RL_ROLE_AUDITOR},
    {RISKLINE__V1__ENVELOPE__BODY_KEY_REVOKE, RL_ROLE_ADMIN},
};

uint32_t rl_acl_roles_for(int body_case)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].body == body_case)
            return table[i].roles;
    return 0;
}

const char *rl_role_name(uint32_t role)
{
    switch (role) {
    case RL_ROLE_VIEWER: return "viewer";
    case RL_ROLE_RISK_OWNER: return "risk_owner";
    case RL_ROLE_TREATMENT_OWNER: return "treatment_owner";
    case RL_ROLE_APPROVER: return "approver";
    case RL_ROLE_AUDITOR: return "auditor";
    case RL_ROLE_INTEGRATOR: return "integrator";
    case RL_ROLE_ADMIN: return "admin";
    }
    return "";
}

uint32_t rl_role_parse(const char *name)
{
    for (uint32_t bit = 1; bit & RL_ROLES_ALL; bit <<= 1)
        if (name && !strcmp(name, rl_role_name(bit)))
            return bit;
    return 0;
}

char *rl_roles_format(uint32_t mask, char *buf, size_t size)
{
    size_t pos = 0;
    buf[0] = '\0';
    for (uint32_t bit = 1; bit & RL_ROLES_ALL; bit <<= 1) {
        if (!(mask & bit))
            continue;
        int n = snprintf(buf + pos, size - pos, "%s%s", pos ? ", " : "", rl_role_name(bit));
        if (n < 0 || (size_t)n >= size - pos)
            break;
        pos += (size_t)n;
    }
    return buf;
}

rl_err_t rl_acl_check(const rl_principal_t *p, int body_case, rl_error_t *err)
{
    uint32_t need = rl_acl_roles_for(body_case);
    if (need & p->roles)
        return RL_OK;
    if (!need)
        return rl_error_set(err, RL_ERR_FORBIDDEN, "body", "body type %d may not be sent by anyone", body_case);
    char want[160], have[160];
    rl_roles_format(need, want, sizeof want);
    rl_roles_format(p->roles, have, sizeof have);
    return rl_error_set(err, RL_ERR_FORBIDDEN, "body", "needs the role %s; %s has %s", want, p->name,
                        have[0] ? have : "no role");
}
