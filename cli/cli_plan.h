/* cli_plan.h: the `riskline plan ...` and `riskline milestone ...` commands (treatment plans, their workflow, costs and milestones). */
#ifndef CLI_PLAN_H
#define CLI_PLAN_H

#include <stddef.h>

#include "cli_app.h"

/* The plan commands (create, show, list, update, history, the workflow actions, cost); *n gets
 * their count. Static storage. */
const cli_cmd_t *cli_plan_commands(size_t *n);
/* The milestone commands (add, update, start, done, miss, waive, list). */
const cli_cmd_t *cli_milestone_commands(size_t *n);

/* Usage of the `plan` and `milestone` groups (list their subcommands). */
extern const char cli_plan_group_usage[];
extern const char cli_milestone_group_usage[];

#endif
