/* rl_riskevent_names.h: the names of risk event kinds and severities ("incident", "high"), one table
 * shared by the monitor's checks (services/monitor/event.c) and the JSON event input. */
#ifndef RL_RISKEVENT_NAMES_H
#define RL_RISKEVENT_NAMES_H

#include <stddef.h>

/* Text -> Riskline__V1__EventKind / Riskline__V1__Severity, case-insensitive: "incident",
 * "vulnerability", "threat_intel" (also "threat-intelligence"), "audit_finding", "nonconformity",
 * "kri" (also "kri_measurement"), "control_test", "change"; "info", "low", "medium", "high",
 * "critical". -1 when unknown (UNSPECIFIED has no name). */
int rl_riskevent_kind_parse(const char *s);
int rl_riskevent_severity_parse(const char *s);

/* Value -> its canonical name ("threat_intel", "kri"); "unspecified" for 0, "unknown" for a value
 * not in the table (a newer peer's). Never NULL. */
const char *rl_riskevent_kind_name(int kind);
const char *rl_riskevent_severity_name(int severity);

/* The canonical names, comma-separated ("incident, vulnerability, ..."), for error messages. */
const char *rl_riskevent_kind_list(void);
const char *rl_riskevent_severity_list(void);

#endif
