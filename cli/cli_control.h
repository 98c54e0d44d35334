/* cli_control.h: the `riskline control ...` and `riskline soa ...` commands and `riskline accept` (control catalogue, Statement of Applicability, risk acceptance). */
#ifndef CLI_CONTROL_H
#define CLI_CONTROL_H

#include <stddef.h>

#include "cli_app.h"

/* The control commands (list, show, add); *n gets their count. Static storage. */
const cli_cmd_t *cli_control_commands(size_t *n);
/* The SoA commands (show, exclude, include). */
const cli_cmd_t *cli_soa_commands(size_t *n);
/* The top-level `accept` command. */
const cli_cmd_t *cli_accept_command(void);

/* Usage of the `control` and `soa` groups (list their subcommands). */
extern const char cli_control_group_usage[];
extern const char cli_soa_group_usage[];

#endif
