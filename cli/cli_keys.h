/* cli_keys.h: the `riskline keys ...` commands (init, issue, list, revoke). */
#ifndef CLI_KEYS_H
#define CLI_KEYS_H

#include "cli_app.h"

extern const char cli_keys_group_usage[];
const cli_cmd_t *cli_keys_commands(size_t *n);

/* Issues a key of principal `name` (roles, tenants: comma lists). With `pub` that public key;
 * else the pair of <dir>/<file>.key: made here when missing and written (0600, with .pub) only
 * once the key store accepted its public half; an existing file is an error unless `reuse`, when
 * its public key is issued. CLI_EXIT_OK with the KeyResult in *reply, or the printed error's exit
 * code. */
int cli_keys_issue(cli_app_t *app, const char *name, const char *roles, const char *tenants, const char *comment,
                   const char *pub, const char *dir, const char *file, int reuse, rl_envelope_t **reply);

#endif
