/* cli_audit.h: the `riskline audit ...` commands (verify): check the tenant's tamper-evident audit chain. */
#ifndef CLI_AUDIT_H
#define CLI_AUDIT_H

#include <stddef.h>

#include "cli_app.h"

/* Exit code of `audit verify` when the chain is broken or its head cannot be attested
 * (README "Exit codes"). */
#define CLI_EXIT_TAMPERED 5

/* The audit commands; *n gets their count. Static storage. */
const cli_cmd_t *cli_audit_commands(size_t *n);

/* Usage of the `audit` group. */
extern const char cli_audit_group_usage[];

#endif
