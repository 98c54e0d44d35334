/* catalogue.h: the ISO/IEC 27001:2022 Annex A control catalogue (93 controls) as data, custom
 * control rules, and the Statement of Applicability derived from plans; pure, no I/O. */
#ifndef CATALOGUE_H
#define CATALOGUE_H

#include <stddef.h>
#include <stdint.h>

#include "riskline/v1/treatment.pb-c.h"
#include "rl_arena.h"
#include "rl_err.h"

typedef struct {
    const char *id;     /* "A.5.1" */
    const char *title;  /* "Policies for information security" */
    Riskline__V1__ControlTheme theme;
} catalogue_control_t;

/* The 93 Annex A controls in order (5.1..5.37, 6.1..6.8, 7.1..7.14, 8.1..8.34). */
const catalogue_control_t *catalogue_annex_a(size_t *n);
/* The Annex A control with this id ("A.5.1"; "5.1" is accepted too), or NULL. */
const catalogue_control_t *catalogue_find(const char *id);
/* Normalises "5.1"/"a.5.1"/"A.5.1" to "A.5.1" in buf (7 bytes are enough); 0, or -1 when it is
 * not an Annex A number (5.1..5.37, 6.1..6.8, 7.1..7.14, 8.1..8.34: leading zeros as in "5.01",
 * spaces and trailing characters are refused) or buf is too small. */
int catalogue_normalise(const char *id, char *buf, size_t size);

/* A custom control as a client sent it: title 1..200, type required, description <= 4000,
 * theme optional; id empty (assigned) or "C-<n>". err->field "control.<field>". */
rl_err_t catalogue_custom_validate(const Riskline__V1__Control *c, rl_error_t *err);
/* Control type / theme from text ("technical", "policy", "training", "physical", "process";
 * "organizational", "people", "physical", "technological"); -1 when unknown. */
int catalogue_type_parse(const char *s);
int catalogue_theme_parse(const char *s);

/* Natural order of ids: digit runs compare as numbers ("R-2" < "R-10"), then bytewise. */
int catalogue_natcmp(const char *a, const char *b);

/* --- Statement of Applicability --- */
/* An exclusion record (from the store). */
typedef struct {
    const char *control_id;
    const char *reason;
    const char *by;
    int64_t at_ms;
} soa_exclusion_t;

/* Derives the SoA: one entry per Annex A control (in catalogue order), then per custom control.
 * A control is applicable when a plan that is not cancelled selects it (risk_ids and plan_ids
 * list them, sorted, no duplicates), not applicable when excluded (the exclusion's reason, by,
 * at) or when nothing selects it (reason "not selected by any treatment plan"; an exclusion
 * record of a selected control is ignored but a selected control stays applicable). Status:
 * the best over its plans: VERIFIED when implemented in a plan in state VERIFIED or CLOSED with an
 * effective verification, else IMPLEMENTED / IN_PROGRESS / NOT_STARTED from the plans' control
 * statuses; UNSPECIFIED when not applicable. Filters: theme (UNSPECIFIED = all), status
 * (UNSPECIFIED = all). Entries and their strings come from arena. Runs in O(plans x controls
 * per plan + catalogue) time (plus sorting plans and custom controls once).
 * Order: risk_ids, plan_ids and custom controls in natural id order ("R-2" before "R-10");
 * duplicate custom ids keep the first; the latest exclusion record of a control counts; control
 * ids of plans and exclusions that are in neither catalogue are ignored (validated upstream).
 * VERIFIED needs the plan's verification record to say effective. */
rl_err_t soa_derive(const Riskline__V1__Plan *const *plans, size_t nplans, const Riskline__V1__Control *const *custom,
                    size_t ncustom, const soa_exclusion_t *excl, size_t nexcl, Riskline__V1__ControlTheme theme,
                    Riskline__V1__ImplementationStatus status, rl_arena_t *arena, Riskline__V1__SoaEntry ***out,
                    size_t *nout, rl_error_t *err);

/* soa_derive over the stored exclusion records (SoaEntry: control, exclusion_reason, excluded_by,
 * excluded_at_ms; a record without a reason is an inclusion and excludes nothing): what
 * `soa show` and the SoA report, current or as of a past instant, derive from. */
rl_err_t soa_derive_records(const Riskline__V1__Plan *const *plans, size_t nplans,
                            const Riskline__V1__Control *const *custom, size_t ncustom,
                            const Riskline__V1__SoaEntry *const *records, size_t nrecords,
                            Riskline__V1__ControlTheme theme, Riskline__V1__ImplementationStatus status,
                            rl_arena_t *arena, Riskline__V1__SoaEntry ***out, size_t *nout, rl_error_t *err);

#endif
