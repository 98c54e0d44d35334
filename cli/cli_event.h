/* cli_event.h: the `riskline event send` command (risk events from flags or JSON lines, as an integrating system sends them, one ack line each) and `riskline monitor status`. */
#ifndef CLI_EVENT_H
#define CLI_EVENT_H

#include <stddef.h>

#include "cli_app.h"

/* The event commands (send); *n gets their count. Static storage. */
const cli_cmd_t *cli_event_commands(size_t *n);
/* The monitor commands (status). */
const cli_cmd_t *cli_monitor_commands(size_t *n);

/* Usage of the `event` and `monitor` groups (list their subcommands). */
extern const char cli_event_group_usage[];
extern const char cli_monitor_group_usage[];

#endif
