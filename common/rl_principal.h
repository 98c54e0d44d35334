/* rl_principal.h: who is calling, as decided by the transport (never by a field the client fills). */
#ifndef RL_PRINCIPAL_H
#define RL_PRINCIPAL_H

#include <stdint.h>

typedef enum {
    RL_ROLE_VIEWER = 1u << 0,
    RL_ROLE_RISK_OWNER = 1u << 1,
    RL_ROLE_TREATMENT_OWNER = 1u << 2,
    RL_ROLE_APPROVER = 1u << 3,
    RL_ROLE_AUDITOR = 1u << 4,
    RL_ROLE_INTEGRATOR = 1u << 5,
    RL_ROLE_ADMIN = 1u << 6,
} rl_role_t;

#define RL_ROLES_ALL 0x7fu
#define RL_PRINCIPAL_MAX_TENANTS 16  /* = RL_MAX_KEY_TENANTS (rl_limits.h) */

typedef struct {
    char name[129];
    uint32_t roles;                     /* rl_role_t bits */
    int all_tenants;                    /* 1: any tenant (the local principal, until CURVE lands) */
    int ntenants;
    char tenants[RL_PRINCIPAL_MAX_TENANTS][33];
} rl_principal_t;

/* The configured local principal: all roles, all tenants. */
void rl_principal_local(rl_principal_t *p, const char *name);
/* 1 if p may act in tenant t. */
int rl_principal_has_tenant(const rl_principal_t *p, const char *tenant);

#endif
