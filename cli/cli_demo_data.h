/* cli_demo_data.h: the example organisation of `riskline demo load` (people, risks, plans, metrics, events) as constant tables, dates relative to the day of loading; pure data and checks, no I/O. */
#ifndef CLI_DEMO_DATA_H
#define CLI_DEMO_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "riskline/v1/monitor.pb-c.h"
#include "riskline/v1/risk.pb-c.h"
#include "riskline/v1/treatment.pb-c.h"
#include "rl_err.h"

#define DEMO_MAX_LIST 4   /* assets, controls, milestones, costs, people, tools of one entry */
#define DEMO_NO_RISK (-1)

/* A principal the demo issues a key to (demo-<tenant>-<name>.key) and acts as. */
typedef struct {
    const char *name;     /* principal name: the owner/approver names of the data below */
    const char *roles;    /* comma list, as `keys issue --roles` */
    const char *job;      /* for the key's comment and the summary */
} demo_person_t;

typedef struct {
    const char *title, *description, *category, *threat, *vulnerability;
    const char *assets[DEMO_MAX_LIST];
    const char *cia;       /* letters c, i, a */
    const char *owner;
    uint32_t likelihood, impact;
    Riskline__V1__Treatment treatment;  /* UNSPECIFIED: not decided yet */
    int review_in;         /* next review in days from today; 0 = the default of its level */
} demo_risk_t;

typedef struct {
    const char *title, *owner;
    int due;               /* days from today (negative: in the past) */
    Riskline__V1__MilestoneStatus status;  /* PENDING, IN_PROGRESS or DONE (then with evidence) */
    const char *evidence;  /* done: the evidence URI (its SHA-256 is taken of the URI's text) */
    int depends;           /* 1-based index of the milestone of the same plan it depends on, 0 none */
} demo_milestone_t;

typedef struct {
    int64_t amount_minor;  /* 0 ends the list */
    int day;               /* days from today */
    const char *note;
} demo_cost_t;

/* Where a plan's workflow ends. REJECTED leaves a draft with the rejection in its history,
 * INEFFECTIVE a plan back in progress after an ineffective verification. */
typedef enum {
    DEMO_END_DRAFT,
    DEMO_END_REJECTED,
    DEMO_END_SUBMITTED,
    DEMO_END_APPROVED,
    DEMO_END_IN_PROGRESS,
    DEMO_END_IMPLEMENTED,
    DEMO_END_VERIFIED,
    DEMO_END_INEFFECTIVE,
    DEMO_END_CLOSED,
    DEMO_END_ON_HOLD,
    DEMO_END_CANCELLED,
    DEMO_END_COUNT
} demo_end_t;

typedef struct {
    int risk;              /* index into demo_risks() */
    const char *title, *owner, *approver, *rationale;
    Riskline__V1__Treatment option;
    const char *transfer_party, *transfer_reference;
    const char *controls[DEMO_MAX_LIST];  /* "A.8.13", or "#0": the demo's own control 0 */
    int64_t budget_minor;
    const char *currency;
    int start, target;     /* days from today */
    uint32_t residual_l, residual_i;
    const char *people[DEMO_MAX_LIST];    /* "Name:role:hours", as `plan create --person` */
    const char *tools[DEMO_MAX_LIST];
    uint32_t effort_days;
    demo_milestone_t milestones[DEMO_MAX_LIST];
    demo_cost_t costs[DEMO_MAX_LIST];
    demo_end_t end;
    const char *decision;  /* approve comment; reject, hold, cancel reason; verify result */
    demo_milestone_t rework; /* INEFFECTIVE: the milestone added after the verification */
} demo_plan_t;

/* The organisation's own controls (C-<n> once added). */
typedef struct {
    const char *title, *description;
    Riskline__V1__ControlType type;
    Riskline__V1__ControlTheme theme;
} demo_control_t;

typedef struct {
    int day;               /* days from today */
    double value;
} demo_result_t;

typedef struct {
    const char *name, *control, *method, *owner;  /* control NULL: measures `risk` */
    int risk;
    uint32_t frequency_days, weight;
    Riskline__V1__MetricDirection direction;
    double target, warning, breach;
    demo_result_t results[DEMO_MAX_LIST];  /* oldest first; day 0 ends the list */
} demo_metric_t;

/* The last event of the last source is a KRI measurement (demo_data_check says so). */
typedef struct {
    int source;            /* index into demo_sources() */
    const char *event_id;
    Riskline__V1__EventKind kind;
    Riskline__V1__Severity severity;
    int hours_ago;
    const char *summary;
    int risk;              /* linked by id, or DEMO_NO_RISK */
    const char *assets[2], *controls[2];
    const char *attr_key, *attr_value;  /* one attribute besides the KRI's "metric" */
    int metric;            /* KRI: index into demo_metrics(), else -1 */
    int has_value;
    double value;
} demo_event_t;

typedef struct {
    int risk;
    const char *justification;
    int expires_in;        /* days from today */
} demo_acceptance_t;

typedef struct {
    const char *control, *reason;
} demo_exclusion_t;

/* The tables; *n gets the count. Static storage. */
const demo_person_t *demo_people(size_t *n);
const demo_risk_t *demo_risks(size_t *n);
const demo_control_t *demo_controls(size_t *n);
const demo_plan_t *demo_plans(size_t *n);
const demo_metric_t *demo_metrics(size_t *n);
/* The integrating systems (principal = source name), in the order their batches are sent. */
const char *const *demo_sources(size_t *n);
const demo_event_t *demo_events(size_t *n);
const demo_acceptance_t *demo_acceptances(size_t *n);
const demo_exclusion_t *demo_exclusions(size_t *n);

/* The organisation's name, for the summary. */
const char *demo_organisation(void);

/* Index of the person named `name` in demo_people(), or -1. */
int demo_person_index(const char *name);

/* Checks the tables against each other (indexes in range, every actor a person with the role
 * the action needs, milestone dependencies backwards, every end state used). RL_OK, or
 * RL_ERR_INTERNAL naming the first defect: a guard for whoever edits the tables. */
rl_err_t demo_data_check(rl_error_t *err);

#endif
