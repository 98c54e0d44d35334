/* cli_metric.h: the `riskline metric define|record|list|show`, `riskline alert list|ack|resolve` and `riskline monitor sweep` commands (measurement of effectiveness, ISO/IEC 27001 9.1, and the monitor's alerts). */
#ifndef CLI_METRIC_H
#define CLI_METRIC_H

#include <stddef.h>

#include "cli_app.h"

/* The metric commands (define, record, list, show); *n gets their count. Static storage. */
const cli_cmd_t *cli_metric_commands(size_t *n);
/* The alert commands (list, ack, resolve). */
const cli_cmd_t *cli_alert_commands(size_t *n);
/* `monitor sweep` (the monitor group's other commands are in cli_event.c). */
const cli_cmd_t *cli_monitor_sweep_command(void);

/* Usage of the `metric` and `alert` groups (list their subcommands). */
extern const char cli_metric_group_usage[];
extern const char cli_alert_group_usage[];

#endif
