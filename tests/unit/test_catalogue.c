/* test_catalogue.c: the Annex A catalogue, custom controls and the Statement of Applicability
 * (services/treatment/catalogue.c): data, lookups, validation, parsers and SoA derivation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "catalogue.h"
#include "rl_limits.h"
#include "unit_arena.h"

#define TH_ORG RISKLINE__V1__CONTROL_THEME__CONTROL_THEME_ORGANIZATIONAL
#define TH_PPL RISKLINE__V1__CONTROL_THEME__CONTROL_THEME_PEOPLE
#define TH_PHY RISKLINE__V1__CONTROL_THEME__CONTROL_THEME_PHYSICAL
#define TH_TEC RISKLINE__V1__CONTROL_THEME__CONTROL_THEME_TECHNOLOGICAL
#define TH_ALL RISKLINE__V1__CONTROL_THEME__CONTROL_THEME_UNSPECIFIED

#define S_NONE RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_UNSPECIFIED
#define S_NOT RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_NOT_STARTED
#define S_PROG RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_IN_PROGRESS
#define S_IMPL RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_IMPLEMENTED
#define S_VERI RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_VERIFIED

#define P_DRAFT RISKLINE__V1__PLAN_STATE__PLAN_STATE_DRAFT
#define P_PROG RISKLINE__V1__PLAN_STATE__PLAN_STATE_IN_PROGRESS
#define P_IMPL RISKLINE__V1__PLAN_STATE__PLAN_STATE_IMPLEMENTED
#define P_VERI RISKLINE__V1__PLAN_STATE__PLAN_STATE_VERIFIED
#define P_CLOSED RISKLINE__V1__PLAN_STATE__PLAN_STATE_CLOSED
#define P_HOLD RISKLINE__V1__PLAN_STATE__PLAN_STATE_ON_HOLD
#define P_CANCEL RISKLINE__V1__PLAN_STATE__PLAN_STATE_CANCELLED

#define NOT_SELECTED "not selected by any treatment plan"
#define MAX_PLAN_CONTROLS 16

typedef Riskline__V1__Plan plan_t;
typedef Riskline__V1__Control control_t;
typedef Riskline__V1__SoaEntry entry_t;

/* --- fixtures ---------------------------------------------------------------------------------- */

/* A plan in the arena with room for MAX_PLAN_CONTROLS controls; verification only when `effective`
 * is 0 or 1 (-1: none). */
static plan_t *mk_plan(rl_arena_t *a, const char *id, const char *risk, Riskline__V1__PlanState state,
                       int effective)
{
    plan_t *p = rl_arena_alloc(a, sizeof *p);
    assert_non_null(p);
    riskline__v1__plan__init(p);
    p->id = rl_arena_strdup(a, id);
    p->risk_id = rl_arena_strdup(a, risk);
    p->state = state;
    p->controls = rl_arena_alloc(a, MAX_PLAN_CONTROLS * sizeof *p->controls);
    assert_non_null(p->controls);
    if (effective >= 0) {
        p->verification = rl_arena_alloc(a, sizeof *p->verification);
        assert_non_null(p->verification);
        riskline__v1__verification__init(p->verification);
        p->verification->effective = effective;
        p->verification->result = rl_arena_strdup(a, "tested");
    }
    return p;
}

static void add_ctl(rl_arena_t *a, plan_t *p, const char *control_id, Riskline__V1__ImplementationStatus st)
{
    assert_true(p->n_controls < MAX_PLAN_CONTROLS);
    Riskline__V1__PlanControl *c = rl_arena_alloc(a, sizeof *c);
    assert_non_null(c);
    riskline__v1__plan_control__init(c);
    c->control_id = rl_arena_strdup(a, control_id);
    c->status = st;
    p->controls[p->n_controls++] = c;
}

/* A plan as one table row; controls "A.5.1=1 8.12=2": control id = ImplementationStatus. */
typedef struct {
    const char *id, *risk;
    Riskline__V1__PlanState state;
    int effective;  /* -1: no verification record */
    const char *controls;
} plan_spec_t;

static plan_t **mk_plans(rl_arena_t *a, const plan_spec_t *spec, size_t n)
{
    plan_t **p = rl_arena_alloc(a, n * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        if (!spec[i].id) {
            p[i] = NULL;  /* a hole in the input is tolerated */
            continue;
        }
        p[i] = mk_plan(a, spec[i].id, spec[i].risk, spec[i].state, spec[i].effective);
        char id[32];
        int st, used;
        for (const char *c = spec[i].controls; c && sscanf(c, " %31[^=]=%d%n", id, &st, &used) == 2; c += used)
            add_ctl(a, p[i], id, (Riskline__V1__ImplementationStatus)st);
    }
    return p;
}

static control_t *mk_custom(rl_arena_t *a, const char *id, const char *title, Riskline__V1__ControlTheme theme)
{
    control_t *c = rl_arena_alloc(a, sizeof *c);
    assert_non_null(c);
    riskline__v1__control__init(c);
    c->id = rl_arena_strdup(a, id);
    c->title = rl_arena_strdup(a, title);
    c->theme = theme;
    c->type = RISKLINE__V1__CONTROL_TYPE__CONTROL_TYPE_PROCESS;
    c->custom = 1;
    c->created_by = rl_arena_strdup(a, "alice");
    c->created_at_ms = 1700000000000;
    return c;
}

/* Derives with no filter; asserts success. */
static entry_t **derive(rl_arena_t *a, plan_t **plans, size_t np, control_t **custom, size_t nc,
                        const soa_exclusion_t *ex, size_t nx, size_t *n)
{
    entry_t **e = NULL;
    rl_error_t err;
    rl_error_clear(&err);
    assert_int_equal(soa_derive((const plan_t *const *)plans, np, (const control_t *const *)custom, nc, ex, nx,
                                TH_ALL, S_NONE, a, &e, n, &err),
                     RL_OK);
    assert_non_null(e);
    return e;
}

/* The entry of control id, or fails. */
static const entry_t *entry(entry_t **e, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i]->control->id, id) == 0)
            return e[i];
    fail_msg("no SoA entry for %s", id);
    return NULL;
}

static void assert_ids(char **got, size_t n, const char *const *want, size_t nwant)
{
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(got[i], want[i]);
}

/* Applicability, status and the exclusion justification of one entry. */
static void assert_entry(const entry_t *x, int applicable, int status, const char *reason, const char *by,
                         int64_t at_ms)
{
    assert_int_equal(x->applicable, applicable);
    assert_int_equal(x->status, status);
    assert_string_equal(x->exclusion_reason, reason);
    assert_string_equal(x->excluded_by, by);
    assert_int_equal(x->excluded_at_ms, at_ms);
}

/* --- catalogue data ---------------------------------------------------------------------------- */

static void test_annex_count_themes_order(void **state)
{
    (void)state;
    size_t n = 0;
    const catalogue_control_t *a = catalogue_annex_a(&n);
    assert_int_equal(n, 93);
    assert_non_null(a);
    const struct { int clause; unsigned count; Riskline__V1__ControlTheme theme; } want[] = {
        {5, 37, TH_ORG}, {6, 8, TH_PPL}, {7, 14, TH_PHY}, {8, 34, TH_TEC}};
    size_t i = 0;
    for (size_t t = 0; t < 4; t++) {
        unsigned count = 0;
        for (unsigned k = 1; k <= want[t].count; k++, i++) {
            char id[16];
            snprintf(id, sizeof id, "A.%d.%u", want[t].clause, k);
            assert_string_equal(a[i].id, id);  /* in order, hence unique */
            assert_int_equal(a[i].theme, want[t].theme);
            assert_true(strlen(a[i].title) >= 5 && strlen(a[i].title) <= RL_MAX_TITLE);
            count++;
        }
        assert_int_equal(count, want[t].count);
    }
    assert_int_equal(i, 93);
    for (size_t x = 0; x < n; x++)
        for (size_t y = x + 1; y < n; y++) {
            assert_string_not_equal(a[x].id, a[y].id);
            assert_string_not_equal(a[x].title, a[y].title);
        }
    assert_ptr_equal(catalogue_annex_a(NULL), a);  /* n may be NULL */
}

static void test_annex_titles(void **state)
{
    (void)state;
    static const char *const t[][2] = {
        {"A.5.1", "Policies for information security"},
        {"A.5.7", "Threat intelligence"},
        {"A.5.9", "Inventory of information and other associated assets"},
        {"A.5.15", "Access control"},
        {"A.5.21", "Managing information security in the information and communication technology (ICT) supply chain"},
        {"A.5.23", "Information security for use of cloud services"},
        {"A.5.30", "ICT readiness for business continuity"},
        {"A.5.34", "Privacy and protection of personal identifiable information (PII)"},
        {"A.5.37", "Documented operating procedures"},
        {"A.6.1", "Screening"},
        {"A.6.3", "Information security awareness, education and training"},
        {"A.6.7", "Remote working"},
        {"A.6.8", "Information security event reporting"},
        {"A.7.1", "Physical security perimeters"},
        {"A.7.4", "Physical security monitoring"},
        {"A.7.7", "Clear desk and clear screen"},
        {"A.7.14", "Secure disposal or re-use of equipment"},
        {"A.8.1", "User end point devices"},
        {"A.8.9", "Configuration management"},
        {"A.8.10", "Information deletion"},
        {"A.8.11", "Data masking"},
        {"A.8.12", "Data leakage prevention"},
        {"A.8.16", "Monitoring activities"},
        {"A.8.20", "Networks security"},
        {"A.8.23", "Web filtering"},
        {"A.8.25", "Secure development life cycle"},
        {"A.8.28", "Secure coding"},
        {"A.8.34", "Protection of information systems during audit testing"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        const catalogue_control_t *c = catalogue_find(t[i][0]);
        assert_non_null(c);
        assert_string_equal(c->id, t[i][0]);
        assert_string_equal(c->title, t[i][1]);
    }
}

static void test_find_accepts(void **state)
{
    (void)state;
    size_t n;
    const catalogue_control_t *a = catalogue_annex_a(&n);
    assert_ptr_equal(catalogue_find("5.1"), &a[0]);
    assert_ptr_equal(catalogue_find("A.5.1"), &a[0]);
    assert_ptr_equal(catalogue_find("a.5.1"), &a[0]);
    assert_ptr_equal(catalogue_find("5.37"), &a[36]);
    assert_ptr_equal(catalogue_find("A.6.1"), &a[37]);
    assert_ptr_equal(catalogue_find("6.8"), &a[44]);
    assert_ptr_equal(catalogue_find("a.7.1"), &a[45]);
    assert_ptr_equal(catalogue_find("7.14"), &a[58]);
    assert_ptr_equal(catalogue_find("8.1"), &a[59]);
    assert_ptr_equal(catalogue_find("A.8.34"), &a[92]);
    /* every id of the catalogue finds itself, with and without the prefix */
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(catalogue_find(a[i].id), &a[i]);
        assert_ptr_equal(catalogue_find(a[i].id + 2), &a[i]);
    }
}

static const char *const refused_ids[] = {
    "5.38", "6.9", "7.15", "8.35", "4.1", "9.1", "0.1", "5", "5.", "5.0", "5.01", "05.1", "A.05.1", "A.5.01",
    "5.1 ", " 5.1", "5.1x", "5.1.", "A5.1", "A..5.1", "A.", "", "B.5.1", "A.5.1.2", "5.100", "5.-1", "+5.1",
    "5,1", "A-5.1", "8.340", "C-1", "A.5.1\n",
};

static void test_find_refuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof refused_ids / sizeof refused_ids[0]; i++)
        if (catalogue_find(refused_ids[i]))
            fail_msg("catalogue_find accepted \"%s\"", refused_ids[i]);
    assert_null(catalogue_find(NULL));
}

static void test_normalise(void **state)
{
    (void)state;
    char buf[16];
    memset(buf, 'x', sizeof buf);
    assert_int_equal(catalogue_normalise("5.1", buf, sizeof buf), 0);
    assert_string_equal(buf, "A.5.1");
    assert_int_equal(catalogue_normalise("a.8.12", buf, sizeof buf), 0);
    assert_string_equal(buf, "A.8.12");
    assert_int_equal(catalogue_normalise("A.7.4", buf, sizeof buf), 0);
    assert_string_equal(buf, "A.7.4");
    /* buffer bounds: "A.8.34" needs 7 bytes */
    assert_int_equal(catalogue_normalise("8.34", buf, 7), 0);
    assert_string_equal(buf, "A.8.34");
    memset(buf, 'x', sizeof buf);
    assert_int_equal(catalogue_normalise("8.34", buf, 6), -1);
    assert_int_equal(buf[6], 'x');
    assert_int_equal(catalogue_normalise("5.1", buf, 6), 0);
    assert_string_equal(buf, "A.5.1");
    assert_int_equal(catalogue_normalise("5.1", buf, 5), -1);
    assert_int_equal(catalogue_normalise("5.1", NULL, 0), -1);
    for (size_t i = 0; i < sizeof refused_ids / sizeof refused_ids[0]; i++)
        if (catalogue_normalise(refused_ids[i], buf, sizeof buf) != -1)
            fail_msg("catalogue_normalise accepted \"%s\"", refused_ids[i]);
    assert_int_equal(catalogue_normalise(NULL, buf, sizeof buf), -1);
}

/* --- custom controls --------------------------------------------------------------------------- */

static void expect_invalid(const control_t *c, const char *field)
{
    rl_error_t err;
    rl_error_clear(&err);
    assert_int_equal(catalogue_custom_validate(c, &err), RL_ERR_INVALID);
    assert_int_equal(err.code, RL_ERR_INVALID);
    assert_string_equal(err.field, field);
    assert_true(strlen(err.message) > 0);
}

static void expect_valid(const control_t *c)
{
    rl_error_t err;
    rl_error_clear(&err);
    rl_err_t rc = catalogue_custom_validate(c, &err);
    if (rc != RL_OK)
        fail_msg("refused: %s: %s", err.field, err.message);
}

/* The text rules of one field of c: bounds min..max, control characters (multi-line text keeps
 * \n and \t), UTF-8. Leaves the field at a valid value. */
static void check_text_field(control_t *c, char **f, const char *field, size_t min, size_t max, int multiline)
{
    char *buf = calloc(1, max + 2);
    assert_non_null(buf);
    memset(buf, 'x', max);
    *f = buf;
    expect_valid(c);                  /* exactly max */
    buf[max] = 'x';
    expect_invalid(c, field);         /* max + 1 */
    *f = "";
    if (min)
        expect_invalid(c, field);
    else
        expect_valid(c);
    *f = NULL;
    if (min)
        expect_invalid(c, field);
    *f = "two\n\tlines";
    if (multiline)
        expect_valid(c);
    else
        expect_invalid(c, field);
    const char *bad[] = {"bell\x07", "nul-ish \x01 byte", "del\x7f", "bad \xc3\x28 utf8", "\xff", "\xed\xa0\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        *f = (char *)bad[i];
        expect_invalid(c, field);
    }
    *f = "ok";
    expect_valid(c);
    free(buf);
}

static void test_custom_validate(void **state)
{
    (void)state;
    control_t c;
    riskline__v1__control__init(&c);
    c.title = "Quarterly phishing simulation";
    c.type = RISKLINE__V1__CONTROL_TYPE__CONTROL_TYPE_TRAINING;
    expect_valid(&c);                          /* id empty: assigned later, theme optional */

    expect_invalid(NULL, "control");

    /* id: empty or C-<n>; never an Annex A id */
    c.id = "C-3";
    expect_valid(&c);
    const char *bad_ids[] = {"A.5.1", "5.1", "C-0", "C-", "C-03", "c-3", "X-3", "C-3x", "C 3"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        c.id = (char *)bad_ids[i];
        expect_invalid(&c, "control.id");
    }
    c.id = "";

    check_text_field(&c, &c.title, "control.title", 1, RL_MAX_TITLE, 0);
    c.title = "Sensibilisation \xc3\xa0 la s\xc3\xa9" "curit\xc3\xa9";
    expect_valid(&c);

    /* type: required, known */
    c.type = RISKLINE__V1__CONTROL_TYPE__CONTROL_TYPE_UNSPECIFIED;
    expect_invalid(&c, "control.type");
    c.type = (Riskline__V1__ControlType)6;
    expect_invalid(&c, "control.type");
    c.type = (Riskline__V1__ControlType)-1;
    expect_invalid(&c, "control.type");
    for (int t = 1; t <= 5; t++) {
        c.type = (Riskline__V1__ControlType)t;
        expect_valid(&c);
    }

    /* theme: optional, known */
    for (int t = 0; t <= 4; t++) {
        c.theme = (Riskline__V1__ControlTheme)t;
        expect_valid(&c);
    }
    c.theme = (Riskline__V1__ControlTheme)5;
    expect_invalid(&c, "control.theme");
    c.theme = TH_PPL;

    check_text_field(&c, &c.description, "control.description", 0, RL_MAX_DESCRIPTION, 1);
}

static void test_type_theme_parse(void **state)
{
    (void)state;
    const struct { const char *text; int type, theme; } t[] = {
        {"technical", RISKLINE__V1__CONTROL_TYPE__CONTROL_TYPE_TECHNICAL, -1},
        {"policy", RISKLINE__V1__CONTROL_TYPE__CONTROL_TYPE_POLICY, -1},
        {"Training", RISKLINE__V1__CONTROL_TYPE__CONTROL_TYPE_TRAINING, -1},
        {"PHYSICAL", RISKLINE__V1__CONTROL_TYPE__CONTROL_TYPE_PHYSICAL, TH_PHY},
        {"process", RISKLINE__V1__CONTROL_TYPE__CONTROL_TYPE_PROCESS, -1},
        {"CONTROL_TYPE_PROCESS", RISKLINE__V1__CONTROL_TYPE__CONTROL_TYPE_PROCESS, -1},
        {"organizational", -1, TH_ORG},
        {"Organisational", -1, TH_ORG},
        {"people", -1, TH_PPL},
        {"TECHNOLOGICAL", -1, TH_TEC},
        {"CONTROL_THEME_PEOPLE", -1, TH_PPL},
        {"unspecified", -1, -1},
        {"", -1, -1},
        {"tech", -1, -1},
        {"org", -1, -1},
        {"technical ", -1, -1},
        {NULL, -1, -1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (catalogue_type_parse(t[i].text) != t[i].type)
            fail_msg("type \"%s\": %d, want %d", t[i].text, catalogue_type_parse(t[i].text), t[i].type);
        if (catalogue_theme_parse(t[i].text) != t[i].theme)
            fail_msg("theme \"%s\": %d, want %d", t[i].text, catalogue_theme_parse(t[i].text), t[i].theme);
    }
}

/* --- Statement of Applicability ---------------------------------------------------------------- */

static void test_soa_nothing_selected(void **state)
{
    rl_arena_t *a = *state;
    size_t n = 0, na = 0;
    const catalogue_control_t *cat = catalogue_annex_a(&na);
    entry_t **e = derive(a, NULL, 0, NULL, 0, NULL, 0, &n);
    assert_int_equal(n, 93);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(e[i]->control->id, cat[i].id);
        assert_string_equal(e[i]->control->title, cat[i].title);
        assert_int_equal(e[i]->control->theme, cat[i].theme);
        assert_false(e[i]->control->custom);
        assert_entry(e[i], 0, S_NONE, NOT_SELECTED, "", 0);
        assert_int_equal(e[i]->n_plan_ids, 0);
        assert_int_equal(e[i]->n_risk_ids, 0);
    }
}

static void test_soa_applicable_by_selection(void **state)
{
    rl_arena_t *a = *state;
    const plan_spec_t spec[] = {
        {"TP-1", "R-1", P_DRAFT, -1, "A.5.1=1 8.12=2"},  /* short spellings name the same control */
        {"TP-2", "R-2", P_PROG, -1, "a.5.1=2"},
    };
    plan_t **p = mk_plans(a, spec, 2);
    size_t n;
    entry_t **e = derive(a, p, 2, NULL, 0, NULL, 0, &n);
    assert_int_equal(n, 93);

    const entry_t *x = entry(e, n, "A.5.1");
    assert_true(x->applicable);
    assert_int_equal(x->status, S_PROG);
    assert_ids(x->plan_ids, x->n_plan_ids, (const char *[]){"TP-1", "TP-2"}, 2);
    assert_ids(x->risk_ids, x->n_risk_ids, (const char *[]){"R-1", "R-2"}, 2);
    assert_string_equal(x->exclusion_reason, "");

    x = entry(e, n, "A.8.12");
    assert_true(x->applicable);
    assert_int_equal(x->status, S_PROG);
    assert_string_equal(x->control->title, "Data leakage prevention");
    assert_ids(x->plan_ids, x->n_plan_ids, (const char *[]){"TP-1"}, 1);
    assert_ids(x->risk_ids, x->n_risk_ids, (const char *[]){"R-1"}, 1);

    size_t applicable = 0;
    for (size_t i = 0; i < n; i++)
        applicable += e[i]->applicable;
    assert_int_equal(applicable, 2);
    x = entry(e, n, "A.5.2");
    assert_false(x->applicable);
    assert_string_equal(x->exclusion_reason, NOT_SELECTED);
}

static void test_soa_exclusions(void **state)
{
    rl_arena_t *a = *state;
    plan_t **p = mk_plans(a, &(plan_spec_t){"TP-1", "R-1", P_PROG, -1, "A.5.1=3"}, 1);
    const soa_exclusion_t ex[] = {
        {"A.7.4", "no premises: fully remote company", "carol", 1700000000001},
        {"5.1", "excluding a selected control", "mallory", 1700000000002},
        {"A.7.1", "older reason", "dave", 1700000000010},
        {"7.1", "newer reason", "erin", 1700000000020},
        {"A.7.1", "stale reason listed last", "frank", 1700000000005},
        {"A.9.9", "unknown control: ignored", "zed", 1},
        {NULL, "no id: ignored", "zed", 1},
    };
    size_t n;
    entry_t **e = derive(a, p, 1, NULL, 0, ex, sizeof ex / sizeof ex[0], &n);
    assert_int_equal(n, 93);

    assert_entry(entry(e, n, "A.7.4"), 0, S_NONE, "no premises: fully remote company", "carol", 1700000000001);
    /* an exclusion of a selected control is ignored: applicable, no exclusion shown */
    assert_entry(entry(e, n, "A.5.1"), 1, S_IMPL, "", "", 0);
    /* the latest record counts */
    assert_entry(entry(e, n, "A.7.1"), 0, S_NONE, "newer reason", "erin", 1700000000020);
    assert_entry(entry(e, n, "A.7.2"), 0, S_NONE, NOT_SELECTED, "", 0);
}

static void test_soa_cancelled_plans_do_not_select(void **state)
{
    rl_arena_t *a = *state;
    const plan_spec_t spec[] = {
        {"TP-1", "R-1", P_CANCEL, -1, "A.6.7=3 A.8.5=3"},
        {"TP-2", "R-2", P_HOLD, -1, "A.8.5=1"},
        {NULL, NULL, P_DRAFT, -1, NULL},
    };
    plan_t **p = mk_plans(a, spec, 3);
    size_t n;
    entry_t **e = derive(a, p, 3, NULL, 0, NULL, 0, &n);
    const entry_t *x = entry(e, n, "A.6.7");
    assert_entry(x, 0, S_NONE, NOT_SELECTED, "", 0);
    assert_int_equal(x->n_plan_ids, 0);
    /* the cancelled plan neither lists nor lifts the status */
    x = entry(e, n, "A.8.5");
    assert_entry(x, 1, S_NOT, "", "", 0);
    assert_ids(x->plan_ids, x->n_plan_ids, (const char *[]){"TP-2"}, 1);
    assert_ids(x->risk_ids, x->n_risk_ids, (const char *[]){"R-2"}, 1);
}

/* One control per case, so each status is derived from its own plans. */
static void test_soa_status_derivation(void **state)
{
    rl_arena_t *a = *state;
    const plan_spec_t spec[] = {
        /* A.5.1 not started only; A.5.4 unset status counts as not started */
        {"TP-1", "R-1", P_PROG, -1, "A.5.1=1 A.5.2=1 A.5.3=1 A.5.4=0"},
        /* A.5.2 in progress beats not started; A.5.3 implemented beats both */
        {"TP-2", "R-1", P_PROG, -1, "A.5.2=2 A.5.3=3"},
        /* A.5.5 implemented in a plan implemented but not verified */
        {"TP-3", "R-2", P_IMPL, -1, "A.5.5=3"},
        /* A.5.6 verified (plan verified, effective) beats not started elsewhere; A.5.7 in a
         * verified plan but not implemented: in progress */
        {"TP-4", "R-3", P_VERI, 1, "A.5.6=3 A.5.7=2"},
        {"TP-5", "R-3", P_DRAFT, -1, "A.5.6=1"},
        /* A.5.8 closed after an effective verification */
        {"TP-6", "R-4", P_CLOSED, 1, "A.5.8=3"},
        /* A.5.9 closed without an effective verification stays implemented */
        {"TP-7", "R-4", P_CLOSED, 0, "A.5.9=3"},
        /* A.5.10 verified state without a verification record: implemented only */
        {"TP-8", "R-5", P_VERI, -1, "A.5.10=3"},
        /* A.5.11 a plan status out of range (VERIFIED is SoA-only) counts as implemented */
        {"TP-9", "R-5", P_PROG, -1, "A.5.11=4"},
    };
    plan_t **p = mk_plans(a, spec, 9);
    size_t n;
    entry_t **e = derive(a, p, 9, NULL, 0, NULL, 0, &n);
    const struct { const char *id; int status; } want[] = {
        {"A.5.1", S_NOT}, {"A.5.2", S_PROG}, {"A.5.3", S_IMPL}, {"A.5.4", S_NOT}, {"A.5.5", S_IMPL},
        {"A.5.6", S_VERI}, {"A.5.7", S_PROG}, {"A.5.8", S_VERI}, {"A.5.9", S_IMPL}, {"A.5.10", S_IMPL},
        {"A.5.11", S_IMPL}, {"A.5.12", S_NONE},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const entry_t *x = entry(e, n, want[i].id);
        if ((int)x->status != want[i].status)
            fail_msg("%s: status %d, want %d", want[i].id, (int)x->status, want[i].status);
        assert_int_equal(x->applicable, want[i].status != S_NONE);
    }
    const entry_t *x = entry(e, n, "A.5.6");
    assert_ids(x->plan_ids, x->n_plan_ids, (const char *[]){"TP-4", "TP-5"}, 2);
    assert_ids(x->risk_ids, x->n_risk_ids, (const char *[]){"R-3"}, 1);
}

static void test_soa_filters(void **state)
{
    rl_arena_t *a = *state;
    const plan_spec_t spec[] = {
        {"TP-1", "R-1", P_PROG, -1, "A.6.3=3 A.8.7=3 A.6.1=2 C-1=3"},
        {"TP-2", "R-2", P_VERI, 1, "A.7.2=3"},
    };
    plan_t **p = mk_plans(a, spec, 2);
    control_t *c[2] = {mk_custom(a, "C-1", "Awareness quiz", TH_PPL), mk_custom(a, "C-2", "Unthemed", TH_ALL)};
    const struct { Riskline__V1__ControlTheme theme; Riskline__V1__ImplementationStatus status; const char *ids; } f[] = {
        {TH_PPL, S_NONE, "A.6.1 A.6.2 A.6.3 A.6.4 A.6.5 A.6.6 A.6.7 A.6.8 C-1"},  /* theme only */
        {TH_ALL, S_IMPL, "A.6.3 A.8.7 C-1"},                                       /* status only */
        {TH_ALL, S_VERI, "A.7.2"},
        {TH_PPL, S_PROG, "A.6.1"},                                                 /* both */
        {TH_PHY, S_NOT, ""},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        entry_t **e = NULL;
        size_t n = 0;
        rl_error_t err;
        assert_int_equal(soa_derive((const plan_t *const *)p, 2, (const control_t *const *)c, 2, NULL, 0,
                                    f[i].theme, f[i].status, a, &e, &n, &err),
                         RL_OK);
        char got[256] = "";
        for (size_t k = 0; k < n; k++) {
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", k ? " " : "", e[k]->control->id);
            if (f[i].theme)
                assert_int_equal(e[k]->control->theme, f[i].theme);
            if (f[i].status)
                assert_int_equal(e[k]->status, f[i].status);
        }
        assert_string_equal(got, f[i].ids);
    }
    entry_t **e = NULL;
    size_t n = 0;
    rl_error_t err;
    assert_int_equal(soa_derive((const plan_t *const *)p, 2, (const control_t *const *)c, 2, NULL, 0, TH_TEC,
                                S_NONE, a, &e, &n, &err),
                     RL_OK);
    assert_int_equal(n, 34);
    assert_string_equal(e[0]->control->id, "A.8.1");
    assert_string_equal(e[33]->control->id, "A.8.34");
    assert_false(e[0]->control->custom);
}

static void test_soa_custom_controls(void **state)
{
    rl_arena_t *a = *state;
    control_t *c[6] = {
        mk_custom(a, "C-10", "Vendor questionnaire", TH_ORG),
        mk_custom(a, "C-2", "Tabletop exercise", TH_ALL),
        mk_custom(a, "C-2", "Duplicate of C-2", TH_ORG),
        NULL,
        mk_custom(a, "A.5.1", "Shadowing Annex A: dropped", TH_ORG),
        mk_custom(a, "", "No id: dropped", TH_ORG),
    };
    c[1]->description = rl_arena_strdup(a, "twice a year");
    c[1]->type = RISKLINE__V1__CONTROL_TYPE__CONTROL_TYPE_TRAINING;
    /* C-99 and A.9.1 are in neither catalogue: ignored */
    plan_t **p = mk_plans(a, &(plan_spec_t){"TP-1", "R-1", P_PROG, -1, "C-10=2 C-99=3 A.9.1=3"}, 1);
    const soa_exclusion_t ex[] = {{"C-2", "covered by the group's exercise", "carol", 42}};
    size_t n;
    entry_t **e = derive(a, p, 1, c, 6, ex, 1, &n);
    assert_int_equal(n, 95);
    assert_string_equal(e[92]->control->id, "A.8.34");

    const entry_t *x = e[93];
    assert_string_equal(x->control->id, "C-2");
    assert_string_equal(x->control->title, "Tabletop exercise");
    assert_string_equal(x->control->description, "twice a year");
    assert_int_equal(x->control->type, RISKLINE__V1__CONTROL_TYPE__CONTROL_TYPE_TRAINING);
    assert_string_equal(x->control->created_by, "alice");
    assert_int_equal(x->control->created_at_ms, 1700000000000);
    assert_true(x->control->custom);
    assert_entry(x, 0, S_NONE, "covered by the group's exercise", "carol", 42);
    assert_ptr_not_equal(x->control->title, c[1]->title);  /* copied into the arena */

    x = e[94];
    assert_string_equal(x->control->id, "C-10");
    assert_true(x->applicable);
    assert_int_equal(x->status, S_PROG);
    assert_ids(x->plan_ids, x->n_plan_ids, (const char *[]){"TP-1"}, 1);

    /* the Annex A entry keeps its official title */
    assert_string_equal(entry(e, n, "A.5.1")->control->title, "Policies for information security");
    size_t applicable = 0;
    for (size_t i = 0; i < n; i++)
        applicable += e[i]->applicable;
    assert_int_equal(applicable, 1);
}

static void test_soa_ids_sorted_and_unique(void **state)
{
    rl_arena_t *a = *state;
    const plan_spec_t spec[] = {
        {"TP-10", "R-10", P_PROG, -1, "A.8.8=1"},
        {"TP-2", "R-2", P_PROG, -1, "A.8.8=1 8.8=2 A.8.8=1"},  /* one control thrice, two spellings */
        {"TP-9", "R-2", P_DRAFT, -1, "A.8.8=1"},
        {"TP-2", "R-2", P_PROG, -1, "A.8.8=1"},  /* the same plan twice in the input */
        {"TP-100", "R-1", P_DRAFT, -1, "A.8.8=1"},
    };
    plan_t **p = mk_plans(a, spec, 5);
    size_t n;
    entry_t **e = derive(a, p, 5, NULL, 0, NULL, 0, &n);
    const entry_t *x = entry(e, n, "A.8.8");
    assert_ids(x->plan_ids, x->n_plan_ids, (const char *[]){"TP-2", "TP-9", "TP-10", "TP-100"}, 4);
    assert_ids(x->risk_ids, x->n_risk_ids, (const char *[]){"R-1", "R-2", "R-10"}, 3);
    assert_int_equal(x->status, S_PROG);
}

/* Correctness at the size of a large tenant (no timing here: speed is measured by make bench).
 * 5,000 plans x 10 controls over 2,500 risks, checked against a brute-force recount. */
#define BIG_PLANS 5000
#define BIG_CONTROLS 10
static size_t big_slot(size_t plan, size_t k)
{
    return (plan * 7 + k * 9) % 93;  /* k * 9 < 93: ten distinct slots per plan, every slot used */
}

static void test_soa_large(void **state)
{
    rl_arena_t *a = *state;
    size_t na;
    const catalogue_control_t *cat = catalogue_annex_a(&na);
    plan_t **p = rl_arena_alloc(a, BIG_PLANS * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < BIG_PLANS; i++) {
        char id[16], risk[16];
        snprintf(id, sizeof id, "TP-%zu", BIG_PLANS - i);    /* input in reverse order */
        snprintf(risk, sizeof risk, "R-%zu", i / 2 + 1);
        p[i] = mk_plan(a, id, risk, i % 50 == 0 ? P_CANCEL : P_PROG, -1);
        for (size_t k = 0; k < BIG_CONTROLS; k++)
            add_ctl(a, p[i], cat[big_slot(i, k)].id, i % 3 == 0 ? S_IMPL : S_NOT);
    }
    size_t n;
    entry_t **e = derive(a, p, BIG_PLANS, NULL, 0, NULL, 0, &n);
    assert_int_equal(n, 93);
    size_t total = 0;
    for (size_t s = 0; s < 93; s++) {
        size_t want_plans = 0, want_impl = 0;
        unsigned char *risk_seen = calloc(BIG_PLANS / 2 + 2, 1);
        assert_non_null(risk_seen);
        size_t want_risks = 0;
        for (size_t i = 0; i < BIG_PLANS; i++) {
            if (i % 50 == 0)
                continue;
            for (size_t k = 0; k < BIG_CONTROLS; k++)
                if (big_slot(i, k) == s) {
                    want_plans++;
                    want_impl |= i % 3 == 0;
                    if (!risk_seen[i / 2 + 1]++)
                        want_risks++;
                }
        }
        free(risk_seen);
        const entry_t *x = e[s];
        assert_string_equal(x->control->id, cat[s].id);
        assert_int_equal(x->n_plan_ids, want_plans);
        assert_int_equal(x->n_risk_ids, want_risks);
        assert_int_equal(x->applicable, want_plans > 0);
        assert_int_equal(x->status, want_plans ? (want_impl ? S_IMPL : S_NOT) : S_NONE);
        for (size_t j = 1; j < x->n_plan_ids; j++)
            assert_true(strtoul(x->plan_ids[j - 1] + 3, NULL, 10) < strtoul(x->plan_ids[j] + 3, NULL, 10));
        for (size_t j = 1; j < x->n_risk_ids; j++)
            assert_true(strtoul(x->risk_ids[j - 1] + 2, NULL, 10) < strtoul(x->risk_ids[j] + 2, NULL, 10));
        total += x->n_plan_ids;
    }
    assert_int_equal(total, (BIG_PLANS - BIG_PLANS / 50) * BIG_CONTROLS);
}

static void test_soa_out_of_memory(void **state)
{
    (void)state;
    rl_arena_t *small = rl_arena_new(2048);
    assert_non_null(small);
    entry_t *sentinel = NULL;
    entry_t **e = &sentinel;
    size_t n = 7;
    rl_error_t err;
    rl_error_clear(&err);
    assert_int_equal(soa_derive(NULL, 0, NULL, 0, NULL, 0, TH_ALL, S_NONE, small, &e, &n, &err), RL_ERR_INTERNAL);
    assert_null(e);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err.message, "out of memory"));
    rl_arena_destroy(&small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_annex_count_themes_order),
        cmocka_unit_test(test_annex_titles),
        cmocka_unit_test(test_find_accepts),
        cmocka_unit_test(test_find_refuses),
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_custom_validate),
        cmocka_unit_test(test_type_theme_parse),
        cmocka_unit_test_setup_teardown(test_soa_nothing_selected, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_soa_applicable_by_selection, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_soa_exclusions, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_soa_cancelled_plans_do_not_select, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_soa_status_derivation, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_soa_filters, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_soa_custom_controls, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_soa_ids_sorted_and_unique, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_soa_large, setup_arena, teardown_arena),
        cmocka_unit_test(test_soa_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
