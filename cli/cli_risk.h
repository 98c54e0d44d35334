/* cli_risk.h: the `riskline risk ...` commands (add, list, show, update, archive, history). */
#ifndef CLI_RISK_H
#define CLI_RISK_H

#include <stddef.h>

#include "cli_app.h"

/* The risk commands; *n gets their count. Static storage. */
const cli_cmd_t *cli_risk_commands(size_t *n);

/* Usage of the `risk` group (lists its subcommands). */
extern const char cli_risk_group_usage[];

#endif
