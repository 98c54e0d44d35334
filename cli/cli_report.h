/* cli_report.h: the `riskline report NAME` command (reports from the report service). */
#ifndef CLI_REPORT_H
#define CLI_REPORT_H

#include "cli_app.h"

/* The report command. Static storage. */
const cli_cmd_t *cli_report_command(void);

#endif
