/* cli_ping.h: the `riskline ping` command: is the register service there, who does it see, how fast. */
#ifndef CLI_PING_H
#define CLI_PING_H

#include "cli_app.h"

/* The ping command. Static storage. */
const cli_cmd_t *cli_ping_command(void);

#endif
