/* cli_keys.h: the `riskline keys ...` commands (init, issue, list, revoke). */
#ifndef CLI_KEYS_H
#define CLI_KEYS_H

#include "cli_app.h"

extern const char cli_keys_group_usage[];
const cli_cmd_t *cli_keys_commands(size_t *n);

#endif
