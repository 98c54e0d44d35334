/* rl_acl.h: the one table of which roles may send which request (every request of every service). */
#ifndef RL_ACL_H
#define RL_ACL_H

#include <stddef.h>
#include <stdint.h>

#include "rl_err.h"
#include "rl_principal.h"

/* Roles allowed to send a request body case (RISKLINE__V1__ENVELOPE__BODY_*); 0 when the body is
 * not a request (results, unknown): nobody may send it. */
uint32_t rl_acl_roles_for(int body_case);

/* RL_OK when p holds one of the roles the request needs; else RL_ERR_FORBIDDEN with a message
 * naming the roles that would allow it (field "body"). */
rl_err_t rl_acl_check(const rl_principal_t *p, int body_case, rl_error_t *err);

/* "viewer", "risk_owner", ... for one role bit; "" for none. */
const char *rl_role_name(uint32_t role);
/* The role bit named, or 0 when unknown. */
uint32_t rl_role_parse(const char *name);
/* Writes the names of the role bits in mask, comma separated, into buf. Returns buf. */
char *rl_roles_format(uint32_t mask, char *buf, size_t size);

#endif
