/* rl_riskevent_names.c: the one table of risk event kind and severity names (text <-> enum). */
#include "rl_riskevent_names.h"

#include <strings.h>

#include "riskline/v1/monitor.pb-c.h"

#define KIND(x) RISKLINE__V1__EVENT_KIND__EVENT_KIND_##x
#define SEV(x) RISKLINE__V1__SEVERITY__SEVERITY_##x

typedef struct {
    const char *name;
    int value;
    int canonical; /* the name value -> text gives */
} name_t;

static const name_t kinds[] = {
    {"incident", KIND(INCIDENT), 1},
    {"vulnerability", KIND(VULNERABILITY), 1},
    {"threat_intel", KIND(THREAT_INTEL), 1},
    {"threat-intelligence", KIND(THREAT_INTEL), 0},
    {"audit_finding", KIND(AUDIT_FINDING), 1},
    {"nonconformity", KIND(NONCONFORMITY), 1},
    {"kri", KIND(KRI_MEASUREMENT), 1},
    {"kri_measurement", KIND(KRI_MEASUREMENT), 0},
    {"control_test", KIND(CONTROL_TEST), 1},
    {"change", KIND(CHANGE), 1},
};

static const name_t severities[] = {
    {"info", SEV(INFO), 1},
    {"low", SEV(LOW), 1},
    {"medium", SEV(MEDIUM), 1},
    {"high", SEV(HIGH), 1},
    {"critical", SEV(CRITICAL), 1},
};

static int parse(const name_t *t, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcasecmp(s, t[i].name) == 0)
            return t[i].value;
    return -1;
}

static const char *name(const name_t *t, size_t n, int v)
{
    if (v == 0)
        return "unspecified";
    for (size_t i = 0; i < n; i++)
        if (t[i].canonical && t[i].value == v)
            return t[i].name;
    return "unknown";
}

int rl_riskevent_kind_parse(const char *s) { return parse(kinds, sizeof kinds / sizeof kinds[0], s); }

int rl_riskevent_severity_parse(const char *s)
{
    return parse(severities, sizeof severities / sizeof severities[0], s);
}

const char *rl_riskevent_kind_name(int kind) { return name(kinds, sizeof kinds / sizeof kinds[0], kind); }

const char *rl_riskevent_severity_name(int severity)
{
    return name(severities, sizeof severities / sizeof severities[0], severity);
}

/* the canonical names of the tables above, in enum order (test_riskevent_json checks they agree) */
const char *rl_riskevent_kind_list(void)
{
    return "incident, vulnerability, threat_intel, audit_finding, nonconformity, kri, control_test, change";
}

const char *rl_riskevent_severity_list(void) { return "info, low, medium, high, critical"; }
