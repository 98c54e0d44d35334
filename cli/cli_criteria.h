/* cli_criteria.h: the `riskline criteria ...` commands (show, set) for risk evaluation/acceptance criteria. */
#ifndef CLI_CRITERIA_H
#define CLI_CRITERIA_H

#include <stddef.h>

#include "cli_app.h"

/* The criteria commands; *n gets their count. Static storage. */
const cli_cmd_t *cli_criteria_commands(size_t *n);

/* Usage of the `criteria` group. */
extern const char cli_criteria_group_usage[];

#endif
