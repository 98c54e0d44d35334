/* rl_principal.c: principal helpers. */
#include "rl_principal.h"

#include <stdio.h>
#include <string.h>

void rl_principal_local(rl_principal_t *p, const char *name)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->roles = RL_ROLES_ALL;
    p->all_tenants = 1;
}

int rl_principal_has_tenant(const rl_principal_t *p, const char *tenant)
{
    if (p->all_tenants)
        return 1;
    for (int i = 0; i < p->ntenants; i++)
        if (strcmp(p->tenants[i], tenant) == 0)
            return 1;
    return 0;
}
