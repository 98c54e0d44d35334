/* cli_demo.h: the `riskline demo load` command: an example organisation loaded into a tenant through the services' own requests. */
#ifndef CLI_DEMO_H
#define CLI_DEMO_H

#include <stddef.h>

#include "cli_app.h"

extern const char cli_demo_group_usage[];
/* The demo commands (load); *n gets their count. Static storage. */
const cli_cmd_t *cli_demo_commands(size_t *n);

#endif
