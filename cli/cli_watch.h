/* cli_watch.h: `riskline watch`: the tenant's updates live, after a catch-up, resumable. */
#ifndef CLI_WATCH_H
#define CLI_WATCH_H

#include "cli_app.h"

const cli_cmd_t *cli_watch_command(void);

#endif
