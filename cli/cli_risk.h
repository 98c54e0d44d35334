/* cli_risk.h: the `riskline risk ...` commands (add, list, show, update, archive, history). */
#ifndef CLI_RISK_H
#define CLI_RISK_H

#include <stddef.h>

#include "cli_app.h"

/* The risk commands; *n gets their count. Static storage. */
const cli_cmd_t *cli_risk_commands(size_t *n);

/* The risk_list filters from the options owner, category, level, status, review-before, sort,
 * limit, cursor, archived (those the command has); CLI_EXIT_OK or an exit code after printing the
 * error (also used by `riskline report`). */
int cli_risk_list_filters(cli_app_t *app, const cli_args_t *a, Riskline__V1__RiskList *l);

/* Usage of the `risk` group (lists its subcommands). */
extern const char cli_risk_group_usage[];

#endif
