/* test_risk.c: risk register domain rules (services/register/risk.c): criteria, scoring, levels,
 * validation, derived fields, review scheduling, text parsers and update patches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "risk.h"
#include "rl_limits.h"
#include "rl_time.h"
#include "unit_arena.h"

#define L_UNSPEC RISKLINE__V1__LEVEL__LEVEL_UNSPECIFIED
#define L_LOW RISKLINE__V1__LEVEL__LEVEL_LOW
#define L_MEDIUM RISKLINE__V1__LEVEL__LEVEL_MEDIUM
#define L_HIGH RISKLINE__V1__LEVEL__LEVEL_HIGH
#define L_CRITICAL RISKLINE__V1__LEVEL__LEVEL_CRITICAL

/* --- fixtures ---------------------------------------------------------------------------------- */

/* A valid risk with its ratings and strings in one block (no heap pointers into other tests). */
typedef struct {
    risk_t r;
    risk_rating_t inherent, residual, target;
    char *assets[RL_MAX_ASSETS + 2];
    char title[RL_MAX_TITLE + 8];
    char owner[RL_MAX_NAME + 8];
    char asset_buf[RL_MAX_ASSETS + 2][RL_MAX_NAME + 8];
    char big[RL_MAX_DESCRIPTION + 8];
} fx_t;

static void fx_init(fx_t *f)
{
    memset(f, 0, sizeof *f);
    riskline__v1__risk__init(&f->r);
    riskline__v1__rating__init(&f->inherent);
    riskline__v1__rating__init(&f->residual);
    riskline__v1__rating__init(&f->target);
    snprintf(f->title, sizeof f->title, "Phishing of finance staff");
    snprintf(f->owner, sizeof f->owner, "alice");
    f->r.title = f->title;
    f->r.owner = f->owner;
    f->inherent.likelihood = 3;
    f->inherent.impact = 3;
    f->r.inherent = &f->inherent;
    for (size_t i = 0; i < sizeof f->assets / sizeof f->assets[0]; i++) {
        snprintf(f->asset_buf[i], sizeof f->asset_buf[i], "asset-%zu", i);
        f->assets[i] = f->asset_buf[i];
    }
    f->r.assets = f->assets;
    f->r.n_assets = 2;
    f->r.status = RISKLINE__V1__RISK_STATUS__RISK_STATUS_IDENTIFIED;
}

static risk_criteria_t defaults(void)
{
    risk_criteria_t c;
    risk_criteria_defaults(&c);
    return c;
}

/* 4x4 matrix: medium >= 3, high >= 6, critical >= 12, appetite <= 4. */
static risk_criteria_t custom4(void)
{
    risk_criteria_t c;
    risk_criteria_defaults(&c);
    c.likelihood_levels = 4;
    c.impact_levels = 4;
    c.medium_min = 3;
    c.high_min = 6;
    c.critical_min = 12;
    c.acceptance_max = 4;
    c.review_days_low = 300;
    c.review_days_medium = 120;
    c.review_days_high = 60;
    c.review_days_critical = 14;
    return c;
}

static int64_t day(const char *s)
{
    int64_t d = 0;
    assert_int_equal(rl_date_parse(s, &d), 0);
    return d;
}

/* --- criteria ---------------------------------------------------------------------------------- */

static void test_criteria_defaults(void **state)
{
    (void)state;
    risk_criteria_t c;
    memset(&c, 0x7f, sizeof c);
    risk_criteria_defaults(&c);
    assert_ptr_equal(c.base.descriptor, &riskline__v1__criteria__descriptor);
    assert_int_equal(c.likelihood_levels, 5);
    assert_int_equal(c.impact_levels, 5);
    assert_int_equal(c.medium_min, 5);
    assert_int_equal(c.high_min, 10);
    assert_int_equal(c.critical_min, 16);
    assert_int_equal(c.acceptance_max, 6);
    assert_int_equal(c.review_days_low, 365);
    assert_int_equal(c.review_days_medium, 180);
    assert_int_equal(c.review_days_high, 90);
    assert_int_equal(c.review_days_critical, 30);
    assert_int_equal(c.version, 0);
    assert_int_equal(c.updated_at_ms, 0);
}

static void test_criteria_validate_accepts(void **state)
{
    (void)state;
    rl_error_t err;
    risk_criteria_t c = defaults();
    rl_error_clear(&err);
    assert_int_equal(risk_criteria_validate(&c, &err), RL_OK);
    c = custom4();
    assert_int_equal(risk_criteria_validate(&c, &err), RL_OK);

    /* edges: smallest and largest matrices, critical_min == L*I, acceptance_max == L*I - 1,
     * equal review intervals, 1 and 1095 days */
    c = defaults();
    c.likelihood_levels = 3;
    c.impact_levels = 3;
    c.medium_min = 2;
    c.high_min = 3;
    c.critical_min = 9;
    c.acceptance_max = 8;
    assert_int_equal(risk_criteria_validate(&c, &err), RL_OK);
    c = defaults();
    c.likelihood_levels = 10;
    c.impact_levels = 10;
    c.critical_min = 100;
    c.acceptance_max = 99;
    c.review_days_low = c.review_days_medium = c.review_days_high = 1095;
    c.review_days_critical = 1;
    assert_int_equal(risk_criteria_validate(&c, &err), RL_OK);
    c = defaults();
    c.critical_min = 25;
    c.acceptance_max = 24;
    c.review_days_low = c.review_days_medium = c.review_days_high = c.review_days_critical = 30;
    assert_int_equal(risk_criteria_validate(&c, &err), RL_OK);
    /* non-square matrix */
    c = defaults();
    c.likelihood_levels = 3;
    c.impact_levels = 6;
    c.critical_min = 18;
    assert_int_equal(risk_criteria_validate(&c, &err), RL_OK);
}

typedef struct {
    const char *what;
    void (*mutate)(risk_criteria_t *c);
    const char *field;
} crit_case_t;

#define MUT(name, body) static void name(risk_criteria_t *c) { body; }
MUT(m_l2, c->likelihood_levels = 2)
MUT(m_l11, c->likelihood_levels = 11)
MUT(m_i2, c->impact_levels = 2)
MUT(m_i11, c->impact_levels = 11)
MUT(m_zero, memset((char *)c + sizeof c->base, 0, sizeof *c - sizeof c->base))
MUT(m_medium1, c->medium_min = 1)
MUT(m_medium_eq_high, c->medium_min = 10)
MUT(m_medium_above_high, { c->medium_min = 12; c->high_min = 10; })
MUT(m_high_eq_critical, c->high_min = 16)
MUT(m_high_above_critical, { c->high_min = 18; c->critical_min = 16; })
MUT(m_critical_above_max, c->critical_min = 26)
MUT(m_critical_above_max_4x4, { c->likelihood_levels = 4; c->impact_levels = 4; c->critical_min = 17; })
MUT(m_accept0, c->acceptance_max = 0)
MUT(m_accept_max, c->acceptance_max = 25)
MUT(m_accept_above, c->acceptance_max = 100)
MUT(m_low0, c->review_days_low = 0)
MUT(m_low1096, c->review_days_low = 1096)
MUT(m_medium0, c->review_days_medium = 0)
MUT(m_high1096, c->review_days_high = 1096)
MUT(m_critical0, c->review_days_critical = 0)
MUT(m_medium_gt_low, c->review_days_medium = 366)
MUT(m_high_gt_medium, c->review_days_high = 200)
MUT(m_critical_gt_high, c->review_days_critical = 91)
#undef MUT

static void test_criteria_validate_rejects(void **state)
{
    (void)state;
    static const crit_case_t cases[] = {
        {"matrix 2 likelihood", m_l2, "criteria.likelihood_levels"},
        {"matrix 11 likelihood", m_l11, "criteria.likelihood_levels"},
        {"matrix 2 impact", m_i2, "criteria.impact_levels"},
        {"matrix 11 impact", m_i11, "criteria.impact_levels"},
        {"all zero", m_zero, "criteria.likelihood_levels"},
        {"medium_min 1", m_medium1, "criteria.medium_min"},
        {"medium == high", m_medium_eq_high, "criteria.medium_min"},
        {"medium > high", m_medium_above_high, "criteria.medium_min"},
        {"high == critical", m_high_eq_critical, "criteria.high_min"},
        {"high > critical", m_high_above_critical, "criteria.high_min"},
        {"critical above 5x5", m_critical_above_max, "criteria.critical_min"},
        {"critical above 4x4", m_critical_above_max_4x4, "criteria.critical_min"},
        {"acceptance 0", m_accept0, "criteria.acceptance_max"},
        {"acceptance == L*I", m_accept_max, "criteria.acceptance_max"},
        {"acceptance > L*I", m_accept_above, "criteria.acceptance_max"},
        {"review low 0", m_low0, "criteria.review_days_low"},
        {"review low 1096", m_low1096, "criteria.review_days_low"},
        {"review medium 0", m_medium0, "criteria.review_days_medium"},
        {"review high 1096", m_high1096, "criteria.review_days_high"},
        {"review critical 0", m_critical0, "criteria.review_days_critical"},
        {"medium reviewed less often than low", m_medium_gt_low, "criteria.review_days_medium"},
        {"high reviewed less often than medium", m_high_gt_medium, "criteria.review_days_high"},
        {"critical reviewed less often than high", m_critical_gt_high, "criteria.review_days_critical"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        risk_criteria_t c = defaults();
        cases[i].mutate(&c);
        rl_error_t err;
        rl_error_clear(&err);
        rl_err_t rc = risk_criteria_validate(&c, &err);
        if (rc != RL_ERR_INVALID || strcmp(err.field, cases[i].field) != 0)
            fail_msg("%s: expected invalid_argument on %s, got %s on \"%s\"", cases[i].what, cases[i].field,
                     rl_strerror(rc), err.field);
        assert_int_equal(err.code, RL_ERR_INVALID);
        assert_true(err.message[0] != '\0');
    }
}

/* --- score, level, review days ------------------------------------------------------------------ */

static void test_score(void **state)
{
    (void)state;
    risk_rating_t r = RISKLINE__V1__RATING__INIT;
    assert_int_equal(risk_score(NULL), 0);
    assert_int_equal(risk_score(&r), 0);
    for (uint32_t l = 1; l <= 10; l++)
        for (uint32_t i = 1; i <= 10; i++) {
            r.likelihood = l;
            r.impact = i;
            assert_int_equal(risk_score(&r), l * i);
        }
}

static void test_level_defaults_boundaries(void **state)
{
    (void)state;
    risk_criteria_t c = defaults();
    assert_int_equal(risk_level(0, &c), L_UNSPEC);
    assert_int_equal(risk_level(1, &c), L_LOW);
    assert_int_equal(risk_level(4, &c), L_LOW);
    assert_int_equal(risk_level(5, &c), L_MEDIUM);
    assert_int_equal(risk_level(9, &c), L_MEDIUM);
    assert_int_equal(risk_level(10, &c), L_HIGH);
    assert_int_equal(risk_level(15, &c), L_HIGH);
    assert_int_equal(risk_level(16, &c), L_CRITICAL);
    assert_int_equal(risk_level(25, &c), L_CRITICAL);
    /* every score on the matrix, from the ratings */
    static const risk_level_t want[26] = {
        L_UNSPEC, L_LOW,    L_LOW,    L_LOW,    L_LOW,    L_MEDIUM,   L_MEDIUM,   L_MEDIUM,   L_MEDIUM,
        L_MEDIUM, L_HIGH,   L_HIGH,   L_HIGH,   L_HIGH,   L_HIGH,     L_HIGH,     L_CRITICAL, L_CRITICAL,
        L_CRITICAL, L_CRITICAL, L_CRITICAL, L_CRITICAL, L_CRITICAL, L_CRITICAL, L_CRITICAL, L_CRITICAL};
    for (uint32_t s = 0; s <= 25; s++)
        assert_int_equal(risk_level(s, &c), want[s]);
}

static void test_level_custom_criteria_relevels(void **state)
{
    (void)state;
    risk_criteria_t d = defaults(), c = custom4();
    assert_int_equal(risk_level(2, &c), L_LOW);
    assert_int_equal(risk_level(3, &c), L_MEDIUM);
    assert_int_equal(risk_level(5, &c), L_MEDIUM);
    assert_int_equal(risk_level(6, &c), L_HIGH);
    assert_int_equal(risk_level(11, &c), L_HIGH);
    assert_int_equal(risk_level(12, &c), L_CRITICAL);
    assert_int_equal(risk_level(16, &c), L_CRITICAL);
    /* the same score, a different level under the new criteria */
    assert_int_equal(risk_level(4, &d), L_LOW);
    assert_int_equal(risk_level(4, &c), L_MEDIUM);
    assert_int_equal(risk_level(6, &d), L_MEDIUM);
    assert_int_equal(risk_level(6, &c), L_HIGH);
    assert_int_equal(risk_level(12, &d), L_HIGH);
    assert_int_equal(risk_level(12, &c), L_CRITICAL);

    /* and a stored risk re-derived under new criteria changes level and appetite */
    fx_t f;
    fx_init(&f);
    f.inherent.likelihood = 2;
    f.inherent.impact = 3; /* 6 */
    risk_derive(&f.r, &d);
    assert_int_equal(f.r.inherent_level, L_MEDIUM);
    assert_true(f.r.within_appetite);
    risk_derive(&f.r, &c);
    assert_int_equal(f.r.inherent_score, 6);
    assert_int_equal(f.r.inherent_level, L_HIGH);
    assert_false(f.r.within_appetite);
}

static void test_review_days(void **state)
{
    (void)state;
    risk_criteria_t d = defaults(), c = custom4();
    assert_int_equal(risk_review_days(L_LOW, &d), 365);
    assert_int_equal(risk_review_days(L_MEDIUM, &d), 180);
    assert_int_equal(risk_review_days(L_HIGH, &d), 90);
    assert_int_equal(risk_review_days(L_CRITICAL, &d), 30);
    assert_int_equal(risk_review_days(L_UNSPEC, &d), 365);
    assert_int_equal(risk_review_days(L_LOW, &c), 300);
    assert_int_equal(risk_review_days(L_MEDIUM, &c), 120);
    assert_int_equal(risk_review_days(L_HIGH, &c), 60);
    assert_int_equal(risk_review_days(L_CRITICAL, &c), 14);
    assert_int_equal(risk_review_days(L_UNSPEC, &c), 300);
}

static void test_current_score(void **state)
{
    (void)state;
    fx_t f;
    fx_init(&f);
    f.inherent.likelihood = 4;
    f.inherent.impact = 5;
    assert_int_equal(risk_current_score(&f.r), 20); /* no residual: inherent */
    f.r.residual = &f.residual;                    /* residual present but 0/0: not rated */
    assert_int_equal(risk_current_score(&f.r), 20);
    f.residual.likelihood = 2;
    f.residual.impact = 2;
    assert_int_equal(risk_current_score(&f.r), 4); /* residual wins when rated */
    f.residual.likelihood = 5;
    f.residual.impact = 5;
    assert_int_equal(risk_current_score(&f.r), 25); /* even when it is worse */
    f.r.target = &f.target;
    f.target.likelihood = 1;
    f.target.impact = 1;
    assert_int_equal(risk_current_score(&f.r), 25); /* the target is only an aim */
}

/* --- validate ---------------------------------------------------------------------------------- */

static void test_validate_ok(void **state)
{
    (void)state;
    risk_criteria_t c = defaults();
    rl_error_t err;
    fx_t f;
    fx_init(&f);
    rl_error_clear(&err);
    assert_int_equal(risk_validate(&f.r, &c, &err), RL_OK);

    /* everything at its limit, plus optional ratings, treatment and dates */
    memset(f.title, 't', RL_MAX_TITLE);
    f.title[RL_MAX_TITLE] = '\0';
    memset(f.owner, 'o', RL_MAX_NAME);
    f.owner[RL_MAX_NAME] = '\0';
    memset(f.big, 'd', RL_MAX_DESCRIPTION);
    f.big[RL_MAX_DESCRIPTION] = '\0';
    f.r.description = f.big;
    f.r.n_assets = RL_MAX_ASSETS;
    memset(f.asset_buf[0], 'a', RL_MAX_NAME);
    f.asset_buf[0][RL_MAX_NAME] = '\0';
    f.r.category = "supplier";
    f.r.threat = "tab\tand\nnewline are fine in text";
    f.inherent.likelihood = 5;
    f.inherent.impact = 5;
    f.r.residual = &f.residual;
    f.residual.likelihood = 1;
    f.residual.impact = 5;
    f.r.target = &f.target;
    f.target.likelihood = 1;
    f.target.impact = 1;
    f.r.treatment = RISKLINE__V1__TREATMENT__TREATMENT_ACCEPT;
    f.r.status = RISKLINE__V1__RISK_STATUS__RISK_STATUS_CLOSED;
    f.r.review_interval_days = 1095;
    f.r.next_review = "2028-02-29";
    assert_int_equal(risk_validate(&f.r, &c, &err), RL_OK);

    /* residual/target explicitly 0/0 mean "not rated" and are fine */
    f.residual.likelihood = f.residual.impact = 0;
    f.target.likelihood = f.target.impact = 0;
    f.r.next_review = "";
    f.r.treatment = RISKLINE__V1__TREATMENT__TREATMENT_UNSPECIFIED;
    f.r.status = RISKLINE__V1__RISK_STATUS__RISK_STATUS_UNSPECIFIED;
    f.r.n_assets = 0;
    assert_int_equal(risk_validate(&f.r, &c, &err), RL_OK);
}

enum {
    V_TITLE_NULL, V_TITLE_EMPTY, V_TITLE_201, V_TITLE_CTRL, V_TITLE_ESC, V_TITLE_UNIT_SEP,
    V_OWNER_NULL, V_OWNER_EMPTY, V_OWNER_129, V_DESC_4001, V_CATEGORY_65, V_THREAT_1001, V_VULN_1001,
    V_ASSETS_33, V_ASSET_EMPTY, V_ASSET_129, V_ASSET_CTRL,
    V_INHERENT_NULL, V_INHERENT_00, V_INHERENT_L0, V_INHERENT_L6, V_INHERENT_I6, V_INHERENT_I0,
    V_RESIDUAL_I6, V_RESIDUAL_L0, V_TARGET_L9,
    V_TREATMENT_99, V_TREATMENT_NEG, V_STATUS_99, V_INTERVAL_1096,
    V_NEXT_REVIEW_BAD_DAY, V_NEXT_REVIEW_TEXT, V_NEXT_REVIEW_SHORT, V_NEXT_REVIEW_TS,
    V_COUNT
};

static const struct {
    const char *what;
    const char *field;
    int prefix; /* field only has to start with this */
} v_cases[V_COUNT] = {
    [V_TITLE_NULL] = {"missing title", "risk.title", 0},
    [V_TITLE_EMPTY] = {"empty title", "risk.title", 0},
    [V_TITLE_201] = {"201-byte title", "risk.title", 0},
    [V_TITLE_CTRL] = {"control character in title", "risk.title", 0},
    [V_TITLE_ESC] = {"escape sequence in title", "risk.title", 0},
    [V_TITLE_UNIT_SEP] = {"0x1f in title", "risk.title", 0},
    [V_OWNER_NULL] = {"missing owner", "risk.owner", 0},
    [V_OWNER_EMPTY] = {"empty owner", "risk.owner", 0},
    [V_OWNER_129] = {"129-byte owner", "risk.owner", 0},
    [V_DESC_4001] = {"4001-byte description", "risk.description", 0},
    [V_CATEGORY_65] = {"65-byte category", "risk.category", 0},
    [V_THREAT_1001] = {"1001-byte threat", "risk.threat", 0},
    [V_VULN_1001] = {"1001-byte vulnerability", "risk.vulnerability", 0},
    [V_ASSETS_33] = {"33 assets", "risk.assets", 0},
    [V_ASSET_EMPTY] = {"empty asset", "risk.assets", 1},
    [V_ASSET_129] = {"129-byte asset", "risk.assets", 1},
    [V_ASSET_CTRL] = {"control character in asset", "risk.assets", 1},
    [V_INHERENT_NULL] = {"no inherent rating", "risk.inherent", 0},
    [V_INHERENT_00] = {"inherent 0/0", "risk.inherent", 0},
    [V_INHERENT_L0] = {"likelihood 0 impact 3", "risk.inherent", 1},
    [V_INHERENT_L6] = {"likelihood 6 on 5x5", "risk.inherent.likelihood", 0},
    [V_INHERENT_I6] = {"impact 6 on 5x5", "risk.inherent.impact", 0},
    [V_INHERENT_I0] = {"likelihood 3 impact 0", "risk.inherent", 1},
    [V_RESIDUAL_I6] = {"residual impact 6", "risk.residual.impact", 0},
    [V_RESIDUAL_L0] = {"residual 0/2", "risk.residual", 1},
    [V_TARGET_L9] = {"target likelihood 9", "risk.target.likelihood", 0},
    [V_TREATMENT_99] = {"treatment 99", "risk.treatment", 0},
    [V_TREATMENT_NEG] = {"treatment -1", "risk.treatment", 0},
    [V_STATUS_99] = {"status 99", "risk.status", 0},
    [V_INTERVAL_1096] = {"review interval 1096", "risk.review_interval_days", 0},
    [V_NEXT_REVIEW_BAD_DAY] = {"next_review 2026-02-30", "risk.next_review", 0},
    [V_NEXT_REVIEW_TEXT] = {"next_review tomorrow", "risk.next_review", 0},
    [V_NEXT_REVIEW_SHORT] = {"next_review 2026-1-1", "risk.next_review", 0},
    [V_NEXT_REVIEW_TS] = {"next_review with a time", "risk.next_review", 0},
};

static void v_mutate(fx_t *f, int k)
{
    switch (k) {
    case V_TITLE_NULL: f->r.title = NULL; break;
    case V_TITLE_EMPTY: f->title[0] = '\0'; break;
    case V_TITLE_201: memset(f->title, 't', 201); f->title[201] = '\0'; break;
    case V_TITLE_CTRL: snprintf(f->title, sizeof f->title, "bad\x01title"); break;
    case V_TITLE_ESC: snprintf(f->title, sizeof f->title, "\x1b[2Jcleared"); break;
    case V_TITLE_UNIT_SEP: snprintf(f->title, sizeof f->title, "unit\x1fsep"); break;
    case V_OWNER_NULL: f->r.owner = NULL; break;
    case V_OWNER_EMPTY: f->owner[0] = '\0'; break;
    case V_OWNER_129: memset(f->owner, 'o', 129); f->owner[129] = '\0'; break;
    case V_DESC_4001: memset(f->big, 'd', 4001); f->big[4001] = '\0'; f->r.description = f->big; break;
    case V_CATEGORY_65: memset(f->big, 'c', 65); f->big[65] = '\0'; f->r.category = f->big; break;
    case V_THREAT_1001: memset(f->big, 'x', 1001); f->big[1001] = '\0'; f->r.threat = f->big; break;
    case V_VULN_1001: memset(f->big, 'v', 1001); f->big[1001] = '\0'; f->r.vulnerability = f->big; break;
    case V_ASSETS_33: f->r.n_assets = 33; break;
    case V_ASSET_EMPTY: f->asset_buf[1][0] = '\0'; break;
    case V_ASSET_129: memset(f->asset_buf[0], 'a', 129); f->asset_buf[0][129] = '\0'; break;
    case V_ASSET_CTRL: snprintf(f->asset_buf[1], sizeof f->asset_buf[1], "db\rserver"); break;
    case V_INHERENT_NULL: f->r.inherent = NULL; break;
    case V_INHERENT_00: f->inherent.likelihood = 0; f->inherent.impact = 0; break;
    case V_INHERENT_L0: f->inherent.likelihood = 0; f->inherent.impact = 3; break;
    case V_INHERENT_L6: f->inherent.likelihood = 6; break;
    case V_INHERENT_I6: f->inherent.impact = 6; break;
    case V_INHERENT_I0: f->inherent.impact = 0; break;
    case V_RESIDUAL_I6: f->r.residual = &f->residual; f->residual.likelihood = 2; f->residual.impact = 6; break;
    case V_RESIDUAL_L0: f->r.residual = &f->residual; f->residual.likelihood = 0; f->residual.impact = 2; break;
    case V_TARGET_L9: f->r.target = &f->target; f->target.likelihood = 9; f->target.impact = 1; break;
    case V_TREATMENT_99: f->r.treatment = (Riskline__V1__Treatment)99; break;
    case V_TREATMENT_NEG: f->r.treatment = (Riskline__V1__Treatment)-1; break;
    case V_STATUS_99: f->r.status = (Riskline__V1__RiskStatus)99; break;
    case V_INTERVAL_1096: f->r.review_interval_days = 1096; break;
    case V_NEXT_REVIEW_BAD_DAY: f->r.next_review = "2026-02-30"; break;
    case V_NEXT_REVIEW_TEXT: f->r.next_review = "tomorrow"; break;
    case V_NEXT_REVIEW_SHORT: f->r.next_review = "2026-1-1"; break;
    case V_NEXT_REVIEW_TS: f->r.next_review = "2026-06-30T00:00:00Z"; break;
    default: fail();
    }
}

static void test_validate_rejects(void **state)
{
    (void)state;
    risk_criteria_t c = defaults();
    for (int k = 0; k < V_COUNT; k++) {
        assert_non_null(v_cases[k].what);
        fx_t f;
        fx_init(&f);
        v_mutate(&f, k);
        rl_error_t err;
        rl_error_clear(&err);
        rl_err_t rc = risk_validate(&f.r, &c, &err);
        int match = v_cases[k].prefix ? strncmp(err.field, v_cases[k].field, strlen(v_cases[k].field)) == 0
                                      : strcmp(err.field, v_cases[k].field) == 0;
        if (rc != RL_ERR_INVALID || !match)
            fail_msg("%s: expected invalid_argument on %s%s, got %s on \"%s\"", v_cases[k].what,
                     v_cases[k].field, v_cases[k].prefix ? "*" : "", rl_strerror(rc), err.field);
        assert_int_equal(err.code, RL_ERR_INVALID);
        assert_true(err.message[0] != '\0');
    }
}

/* Risk strings are proto3 `string`s, which must be valid UTF-8: protobuf-c does not check this on
 * unpack, and risk_validate only refuses bytes below 0x20, so a title of "\xff\xfe" is stored, put in
 * the event stream and rendered into JSON as invalid UTF-8 (other-language consumers fail to parse it). */
static void test_validate_rejects_invalid_utf8(void **state)
{
    (void)state;
    risk_criteria_t c = defaults();
    rl_error_t err;
    fx_t f;
    fx_init(&f);
    snprintf(f.title, sizeof f.title, "Geh\xc3\xa4lter \xe2\x82\xac \xe6\x97\xa5\xe6\x9c\xac"); /* valid */
    assert_int_equal(risk_validate(&f.r, &c, &err), RL_OK);
    static const char *const bad[] = {"bad \xff\xfe bytes", "overlong \xc0\xaf", "cut \xe2\x82",
                                      "surrogate \xed\xa0\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fx_init(&f);
        snprintf(f.title, sizeof f.title, "%s", bad[i]);
        rl_error_clear(&err);
        rl_err_t rc = risk_validate(&f.r, &c, &err);
        if (rc != RL_ERR_INVALID || strcmp(err.field, "risk.title") != 0)
            fail_msg("title #%zu with invalid UTF-8: expected invalid_argument on risk.title, got %s on \"%s\"", i,
                     rl_strerror(rc), err.field);
    }
}

static void test_validate_exact_subfields(void **state)
{
    (void)state;
    /* where the prefix cases above land exactly */
    risk_criteria_t c = defaults();
    rl_error_t err;
    fx_t f;
    fx_init(&f);
    f.asset_buf[1][0] = '\0';
    assert_int_equal(risk_validate(&f.r, &c, &err), RL_ERR_INVALID);
    assert_string_equal(err.field, "risk.assets[1]");
    fx_init(&f);
    f.inherent.likelihood = 0;
    assert_int_equal(risk_validate(&f.r, &c, &err), RL_ERR_INVALID);
    assert_string_equal(err.field, "risk.inherent.likelihood");
}

static void test_validate_uses_tenant_matrix(void **state)
{
    (void)state;
    risk_criteria_t d = defaults(), c4 = custom4();
    rl_error_t err;
    fx_t f;
    fx_init(&f);
    f.inherent.likelihood = 5;
    f.inherent.impact = 2;
    assert_int_equal(risk_validate(&f.r, &d, &err), RL_OK);
    assert_int_equal(risk_validate(&f.r, &c4, &err), RL_ERR_INVALID);
    assert_string_equal(err.field, "risk.inherent.likelihood");
    f.inherent.likelihood = 4;
    f.r.residual = &f.residual;
    f.residual.likelihood = 1;
    f.residual.impact = 5;
    assert_int_equal(risk_validate(&f.r, &c4, &err), RL_ERR_INVALID);
    assert_string_equal(err.field, "risk.residual.impact");
    /* a 10x10 tenant accepts 10/10 */
    risk_criteria_t big = defaults();
    big.likelihood_levels = big.impact_levels = 10;
    f.inherent.likelihood = f.inherent.impact = 10;
    f.residual.likelihood = f.residual.impact = 10;
    assert_int_equal(risk_validate(&f.r, &big, &err), RL_OK);
}

/* --- derive and schedule ------------------------------------------------------------------------ */

static void test_derive(void **state)
{
    (void)state;
    risk_criteria_t c = defaults(); /* appetite 6 */
    fx_t f;
    fx_init(&f);
    f.inherent.likelihood = 4;
    f.inherent.impact = 4;
    /* computed fields sent by a client are overwritten */
    f.r.inherent_score = 999;
    f.r.inherent_level = L_LOW;
    f.r.residual_score = 77;
    f.r.residual_level = L_CRITICAL;
    f.r.within_appetite = 1;
    risk_derive(&f.r, &c);
    assert_int_equal(f.r.inherent_score, 16);
    assert_int_equal(f.r.inherent_level, L_CRITICAL);
    assert_int_equal(f.r.residual_score, 0);
    assert_int_equal(f.r.residual_level, L_UNSPEC);
    assert_false(f.r.within_appetite);

    f.r.residual = &f.residual;
    f.residual.likelihood = 2;
    f.residual.impact = 3; /* 6 == appetite */
    risk_derive(&f.r, &c);
    assert_int_equal(f.r.inherent_score, 16);
    assert_int_equal(f.r.residual_score, 6);
    assert_int_equal(f.r.residual_level, L_MEDIUM);
    assert_true(f.r.within_appetite);

    f.residual.likelihood = 7; /* 7 > appetite (impact 1) */
    f.residual.impact = 1;
    risk_derive(&f.r, &c);
    assert_int_equal(f.r.residual_score, 7);
    assert_false(f.r.within_appetite);

    /* no residual: the inherent score decides */
    fx_init(&f);
    f.inherent.likelihood = 2;
    f.inherent.impact = 3;
    risk_derive(&f.r, &c);
    assert_int_equal(f.r.inherent_score, 6);
    assert_int_equal(f.r.inherent_level, L_MEDIUM);
    assert_true(f.r.within_appetite);
    f.inherent.likelihood = 1;
    f.inherent.impact = 4;
    risk_derive(&f.r, &c);
    assert_int_equal(f.r.inherent_level, L_LOW);
    assert_true(f.r.within_appetite);
}

static void test_schedule_review(void **state)
{
    rl_arena_t *a = *state;
    risk_criteria_t c = defaults();
    const int64_t today = day("2026-01-01");
    static const struct {
        uint32_t l, i;
        const char *want;
    } cases[] = {
        {4, 4, "2026-01-31"}, /* critical: 30 */
        {2, 5, "2026-04-01"}, /* high: 90 */
        {3, 3, "2026-06-30"}, /* medium: 180 */
        {1, 2, "2027-01-01"}, /* low: 365 */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        fx_t f;
        fx_init(&f);
        f.inherent.likelihood = cases[k].l;
        f.inherent.impact = cases[k].i;
        risk_schedule_review(&f.r, &c, today, 0, a);
        assert_non_null(f.r.next_review);
        assert_string_equal(f.r.next_review, cases[k].want);
    }

    fx_t f;
    fx_init(&f);
    f.inherent.likelihood = 5;
    f.inherent.impact = 5;
    /* the residual level governs once rated: critical inherent, low residual -> 365 */
    f.r.residual = &f.residual;
    f.residual.likelihood = 1;
    f.residual.impact = 1;
    risk_schedule_review(&f.r, &c, today, 0, a);
    assert_string_equal(f.r.next_review, "2027-01-01");

    /* an existing date is kept unless rescheduling */
    f.r.next_review = "2026-05-05";
    risk_schedule_review(&f.r, &c, today, 0, a);
    assert_string_equal(f.r.next_review, "2026-05-05");
    risk_schedule_review(&f.r, &c, today, 1, a);
    assert_string_equal(f.r.next_review, "2027-01-01");
    /* an empty date counts as none */
    f.r.next_review = "";
    risk_schedule_review(&f.r, &c, today, 0, a);
    assert_string_equal(f.r.next_review, "2027-01-01");

    /* the risk's own interval wins over the level default */
    f.r.review_interval_days = 10;
    risk_schedule_review(&f.r, &c, today, 1, a);
    assert_string_equal(f.r.next_review, "2026-01-11");

    /* custom criteria intervals; across a leap day */
    risk_criteria_t c4 = custom4();
    fx_init(&f);
    f.inherent.likelihood = 4;
    f.inherent.impact = 3; /* 12: critical on c4 -> 14 days */
    risk_schedule_review(&f.r, &c4, day("2028-02-20"), 0, a);
    assert_string_equal(f.r.next_review, "2028-03-05");
    /* the date string lives in the arena */
    assert_true(rl_arena_used(a) > 0);
}

/* --- text parsers -------------------------------------------------------------------------------- */

static void test_treatment_parse(void **state)
{
    (void)state;
    assert_int_equal(risk_treatment_parse("avoid"), RISKLINE__V1__TREATMENT__TREATMENT_AVOID);
    assert_int_equal(risk_treatment_parse("reduce"), RISKLINE__V1__TREATMENT__TREATMENT_REDUCE);
    assert_int_equal(risk_treatment_parse("modify"), RISKLINE__V1__TREATMENT__TREATMENT_REDUCE);
    assert_int_equal(risk_treatment_parse("transfer"), RISKLINE__V1__TREATMENT__TREATMENT_TRANSFER);
    assert_int_equal(risk_treatment_parse("share"), RISKLINE__V1__TREATMENT__TREATMENT_TRANSFER);
    assert_int_equal(risk_treatment_parse("accept"), RISKLINE__V1__TREATMENT__TREATMENT_ACCEPT);
    assert_int_equal(risk_treatment_parse("retain"), RISKLINE__V1__TREATMENT__TREATMENT_ACCEPT);
    assert_int_equal(risk_treatment_parse("REDUCE"), RISKLINE__V1__TREATMENT__TREATMENT_REDUCE);
    assert_int_equal(risk_treatment_parse("Modify"), RISKLINE__V1__TREATMENT__TREATMENT_REDUCE);
    assert_int_equal(risk_treatment_parse("sHaRe"), RISKLINE__V1__TREATMENT__TREATMENT_TRANSFER);
    assert_int_equal(risk_treatment_parse("RETAIN"), RISKLINE__V1__TREATMENT__TREATMENT_ACCEPT);
    assert_int_equal(risk_treatment_parse("mitigate"), -1);
    assert_int_equal(risk_treatment_parse("unspecified"), -1);
    assert_int_equal(risk_treatment_parse("reduce "), -1);
    assert_int_equal(risk_treatment_parse("reduc"), -1);
    assert_int_equal(risk_treatment_parse(""), -1);
    assert_int_equal(risk_treatment_parse(NULL), -1);
}

static void test_status_parse(void **state)
{
    (void)state;
    static const char *const names[] = {"identified", "assessed", "treatment_planned", "in_treatment",
                                        "treated", "accepted", "closed"};
    for (int i = 0; i < 7; i++)
        assert_int_equal(risk_status_parse(names[i]), i + 1);
    assert_int_equal(risk_status_parse("In_Treatment"), RISKLINE__V1__RISK_STATUS__RISK_STATUS_IN_TREATMENT);
    assert_int_equal(risk_status_parse("CLOSED"), RISKLINE__V1__RISK_STATUS__RISK_STATUS_CLOSED);
    assert_int_equal(risk_status_parse("unspecified"), -1);
    assert_int_equal(risk_status_parse("open"), -1);
    assert_int_equal(risk_status_parse("treatment"), -1);
    assert_int_equal(risk_status_parse(""), -1);
    assert_int_equal(risk_status_parse(NULL), -1);
}

static void test_level_parse(void **state)
{
    (void)state;
    assert_int_equal(risk_level_parse("low"), L_LOW);
    assert_int_equal(risk_level_parse("medium"), L_MEDIUM);
    assert_int_equal(risk_level_parse("high"), L_HIGH);
    assert_int_equal(risk_level_parse("critical"), L_CRITICAL);
    assert_int_equal(risk_level_parse("HIGH"), L_HIGH);
    assert_int_equal(risk_level_parse("Critical"), L_CRITICAL);
    assert_int_equal(risk_level_parse("unspecified"), -1);
    assert_int_equal(risk_level_parse("severe"), -1);
    assert_int_equal(risk_level_parse(""), -1);
    assert_int_equal(risk_level_parse(NULL), -1);
}

/* --- patches ------------------------------------------------------------------------------------- */

static void test_apply_patch_copies_only_masked(void **state)
{
    rl_arena_t *a = *state;
    fx_t dst, p;
    fx_init(&dst);
    fx_init(&p);
    dst.r.description = "keep me";
    dst.r.category = "people";
    dst.r.next_review = "2026-09-09";
    snprintf(p.title, sizeof p.title, "New title");
    snprintf(p.owner, sizeof p.owner, "bob");
    p.r.description = "changed";
    p.r.category = "supplier";
    p.r.threat = "threat";
    p.r.vulnerability = "vuln";
    p.inherent.likelihood = 5;
    p.inherent.impact = 5;
    p.r.treatment = RISKLINE__V1__TREATMENT__TREATMENT_TRANSFER;
    p.r.status = RISKLINE__V1__RISK_STATUS__RISK_STATUS_ASSESSED;
    p.r.confidentiality = 1;
    p.r.version = 42;
    p.r.id = "R-99";

    char *mask[] = {"title"};
    int changed = -1;
    rl_error_t err;
    rl_error_clear(&err);
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, mask, 1, a, &changed, &err), RL_OK);
    assert_int_equal(changed, 0);
    assert_string_equal(dst.r.title, "New title");
    assert_ptr_not_equal(dst.r.title, p.r.title); /* arena copy */
    assert_string_equal(dst.r.owner, "alice");
    assert_string_equal(dst.r.description, "keep me");
    assert_string_equal(dst.r.category, "people");
    assert_int_equal(dst.r.inherent->likelihood, 3);
    assert_int_equal(dst.r.treatment, RISKLINE__V1__TREATMENT__TREATMENT_UNSPECIFIED);
    assert_false(dst.r.confidentiality);
    assert_string_equal(dst.r.next_review, "2026-09-09");
    assert_int_equal(dst.r.version, 0);
    assert_string_equal(dst.r.id, "");

    char *mask2[] = {"owner", "description", "category", "threat", "vulnerability", "treatment",
                     "status", "confidentiality", "integrity", "availability"};
    changed = -1;
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, mask2, 10, a, &changed, &err), RL_OK);
    assert_int_equal(changed, 0);
    assert_string_equal(dst.r.owner, "bob");
    assert_string_equal(dst.r.description, "changed");
    assert_string_equal(dst.r.category, "supplier");
    assert_string_equal(dst.r.threat, "threat");
    assert_string_equal(dst.r.vulnerability, "vuln");
    assert_int_equal(dst.r.treatment, RISKLINE__V1__TREATMENT__TREATMENT_TRANSFER);
    assert_int_equal(dst.r.status, RISKLINE__V1__RISK_STATUS__RISK_STATUS_ASSESSED);
    assert_true(dst.r.confidentiality);
    assert_int_equal(dst.r.inherent->likelihood, 3); /* still not in any mask */
    assert_int_equal(dst.r.inherent->impact, 3);

    /* a masked field set to empty in the patch is cleared */
    p.r.category = "";
    char *mask3[] = {"category"};
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, mask3, 1, a, &changed, &err), RL_OK);
    assert_string_equal(dst.r.category, "");
}

static void test_apply_patch_ratings_changed(void **state)
{
    rl_arena_t *a = *state;
    rl_error_t err;
    int changed;
    fx_t dst, p;
    fx_init(&dst);
    fx_init(&p);

    /* same inherent values: not a change */
    char *inh[] = {"inherent"};
    changed = -1;
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, inh, 1, a, &changed, &err), RL_OK);
    assert_int_equal(changed, 0);

    p.inherent.likelihood = 5;
    p.inherent.impact = 4;
    changed = -1;
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, inh, 1, a, &changed, &err), RL_OK);
    assert_int_equal(changed, 1);
    assert_non_null(dst.r.inherent);
    assert_ptr_not_equal(dst.r.inherent, p.r.inherent); /* copied, not aliased */
    assert_int_equal(dst.r.inherent->likelihood, 5);
    assert_int_equal(dst.r.inherent->impact, 4);

    /* a title change does not count as a ratings change */
    char *title[] = {"title"};
    changed = -1;
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, title, 1, a, &changed, &err), RL_OK);
    assert_int_equal(changed, 0);

    /* residual from absent to rated, target, review interval */
    p.r.residual = &p.residual;
    p.residual.likelihood = 2;
    p.residual.impact = 2;
    char *res[] = {"residual"};
    changed = -1;
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, res, 1, a, &changed, &err), RL_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(dst.r.residual->likelihood, 2);

    p.r.target = &p.target;
    p.target.likelihood = 1;
    p.target.impact = 1;
    char *tgt[] = {"target"};
    changed = -1;
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, tgt, 1, a, &changed, &err), RL_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(dst.r.target->impact, 1);

    p.r.review_interval_days = 45;
    char *rid[] = {"review_interval_days"};
    changed = -1;
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, rid, 1, a, &changed, &err), RL_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(dst.r.review_interval_days, 45);
    changed = -1;
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, rid, 1, a, &changed, &err), RL_OK);
    assert_int_equal(changed, 0);

    /* several fields: any rating change sets the flag */
    char *mix[] = {"title", "residual", "inherent"};
    p.residual.likelihood = 3;
    changed = -1;
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, mix, 3, a, &changed, &err), RL_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(dst.r.residual->likelihood, 3);

    /* clearing the residual (absent in the patch) is a change */
    p.r.residual = NULL;
    changed = -1;
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, res, 1, a, &changed, &err), RL_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(risk_score(dst.r.residual), 0);
}

static void test_apply_patch_assets(void **state)
{
    rl_arena_t *a = *state;
    rl_error_t err;
    int changed;
    fx_t dst, p;
    fx_init(&dst);
    fx_init(&p);
    p.r.n_assets = 3;
    snprintf(p.asset_buf[2], sizeof p.asset_buf[2], "hr-portal");
    char *mask[] = {"assets"};
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, mask, 1, a, &changed, &err), RL_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(dst.r.n_assets, 3);
    assert_string_equal(dst.r.assets[2], "hr-portal");
    assert_ptr_not_equal(dst.r.assets, p.r.assets);
    assert_ptr_not_equal(dst.r.assets[0], p.r.assets[0]);
    /* the copy does not change when the patch's memory does */
    p.asset_buf[2][0] = 'X';
    assert_string_equal(dst.r.assets[2], "hr-portal");

    /* empty list */
    p.r.n_assets = 0;
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, mask, 1, a, &changed, &err), RL_OK);
    assert_int_equal(dst.r.n_assets, 0);

    /* too many */
    p.r.n_assets = RL_MAX_ASSETS + 1;
    rl_error_clear(&err);
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, mask, 1, a, &changed, &err), RL_ERR_INVALID);
    assert_string_equal(err.field, "risk.assets");
}

static void test_apply_patch_refuses(void **state)
{
    rl_arena_t *a = *state;
    static const char *const refused[] = {
        "bogus",          "version",       "id",            "inherent_score", "inherent_level",
        "residual_score", "residual_level", "within_appetite", "archived",     "created_at_ms",
        "created_by",     "updated_at_ms", "updated_by",    "Title",          "",
        "title ",         "inherent.likelihood",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        fx_t dst, p;
        fx_init(&dst);
        fx_init(&p);
        p.r.version = 7;
        p.r.archived = 1;
        char *mask[] = {(char *)refused[i]};
        rl_error_t err;
        rl_error_clear(&err);
        int changed = -1;
        rl_err_t rc = risk_apply_patch(&dst.r, &p.r, mask, 1, a, &changed, &err);
        if (rc != RL_ERR_INVALID || strcmp(err.field, "update_mask") != 0)
            fail_msg("mask \"%s\": expected invalid_argument on update_mask, got %s on \"%s\"", refused[i],
                     rl_strerror(rc), err.field);
        assert_int_equal(dst.r.version, 0);
        assert_false(dst.r.archived);
    }

    /* an empty mask and an over-long mask */
    fx_t dst, p;
    fx_init(&dst);
    fx_init(&p);
    rl_error_t err;
    int changed;
    rl_error_clear(&err);
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, NULL, 0, a, &changed, &err), RL_ERR_INVALID);
    assert_string_equal(err.field, "update_mask");
    char *many[RL_MAX_UPDATE_MASK + 1];
    for (size_t i = 0; i < RL_MAX_UPDATE_MASK + 1; i++)
        many[i] = "title";
    rl_error_clear(&err);
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, many, RL_MAX_UPDATE_MASK + 1, a, &changed, &err),
                     RL_ERR_INVALID);
    assert_string_equal(err.field, "update_mask");
    assert_int_equal(risk_apply_patch(&dst.r, &p.r, many, RL_MAX_UPDATE_MASK, a, &changed, &err), RL_OK);
}

/* --- misc ---------------------------------------------------------------------------------------- */

static void test_max_axes(void **state)
{
    (void)state;
    fx_t f;
    fx_init(&f);
    uint32_t ml = 99, mi = 99;
    f.r.inherent = NULL;
    risk_max_axes(&f.r, &ml, &mi);
    assert_int_equal(ml, 0);
    assert_int_equal(mi, 0);

    f.r.inherent = &f.inherent;
    f.inherent.likelihood = 2;
    f.inherent.impact = 5;
    risk_max_axes(&f.r, &ml, &mi);
    assert_int_equal(ml, 2);
    assert_int_equal(mi, 5);

    f.r.residual = &f.residual;
    f.residual.likelihood = 4;
    f.residual.impact = 1;
    f.r.target = &f.target;
    f.target.likelihood = 3;
    f.target.impact = 3;
    risk_max_axes(&f.r, &ml, &mi);
    assert_int_equal(ml, 4);
    assert_int_equal(mi, 5);

    f.target.impact = 7;
    risk_max_axes(&f.r, &ml, &mi);
    assert_int_equal(ml, 4);
    assert_int_equal(mi, 7);
}

static int in_skip(const char *name)
{
    for (const char *const *s = risk_diff_skip; *s; s++)
        if (strcmp(*s, name) == 0)
            return 1;
    return 0;
}

static void test_diff_skip_list(void **state)
{
    (void)state;
    static const char *const computed[] = {"id", "version", "created_at_ms", "created_by", "updated_at_ms",
                                           "updated_by", "inherent_score", "inherent_level", "residual_score",
                                           "residual_level", "within_appetite"};
    for (size_t i = 0; i < sizeof computed / sizeof computed[0]; i++)
        assert_true(in_skip(computed[i]));
    static const char *const tracked[] = {"title", "owner", "inherent", "residual", "target", "treatment",
                                          "status", "assets", "next_review", "archived"};
    for (size_t i = 0; i < sizeof tracked / sizeof tracked[0]; i++)
        assert_false(in_skip(tracked[i]));
    /* every entry names a real Risk field */
    for (const char *const *s = risk_diff_skip; *s; s++)
        assert_non_null(protobuf_c_message_descriptor_get_field_by_name(&riskline__v1__risk__descriptor, *s));
}

static void test_check_owner(void **state)
{
    (void)state;
    rl_principal_t admin, alice;
    rl_error_t err;
    memset(&admin, 0, sizeof admin);
    memset(&alice, 0, sizeof alice);
    snprintf(admin.name, sizeof admin.name, "root");
    admin.roles = RL_ROLE_ADMIN;
    snprintf(alice.name, sizeof alice.name, "alice");
    alice.roles = RL_ROLE_RISK_OWNER | RL_ROLE_VIEWER;
    /* an admin creates for anyone and reassigns */
    assert_int_equal(risk_check_owner(&admin, NULL, "bob", &err), RL_OK);
    assert_int_equal(risk_check_owner(&admin, "bob", "carol", &err), RL_OK);
    /* a risk owner creates and changes its own */
    assert_int_equal(risk_check_owner(&alice, NULL, "alice", &err), RL_OK);
    assert_int_equal(risk_check_owner(&alice, "alice", "alice", &err), RL_OK);
    /* ... not for someone else, not someone else's, and does not give it away */
    rl_error_clear(&err);
    assert_int_equal(risk_check_owner(&alice, NULL, "bob", &err), RL_ERR_FORBIDDEN);
    assert_string_equal(err.field, "owner");
    assert_non_null(strstr(err.message, "create only risks it owns"));
    rl_error_clear(&err);
    assert_int_equal(risk_check_owner(&alice, "bob", "bob", &err), RL_ERR_FORBIDDEN);
    assert_non_null(strstr(err.message, "owned by bob"));
    rl_error_clear(&err);
    assert_int_equal(risk_check_owner(&alice, "alice", "bob", &err), RL_ERR_FORBIDDEN);
    assert_non_null(strstr(err.message, "an admin assigns"));
    assert_int_equal(risk_check_owner(&alice, NULL, NULL, &err), RL_ERR_FORBIDDEN);
}

static void test_follow_plan(void **state)
{
    (void)state;
    risk_t r = RISKLINE__V1__RISK__INIT;
    Riskline__V1__Rating resid = RISKLINE__V1__RATING__INIT;
    Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
    Riskline__V1__Rating exp = RISKLINE__V1__RATING__INIT;
    Riskline__V1__Verification ver = RISKLINE__V1__VERIFICATION__INIT;
    r.residual = &resid;
    r.status = RISKLINE__V1__RISK_STATUS__RISK_STATUS_IDENTIFIED;
    p.option = RISKLINE__V1__TREATMENT__TREATMENT_TRANSFER;
    exp.likelihood = 2;
    exp.impact = 1;
    p.expected_residual = &exp;
    assert_int_equal(risk_follow_plan(&r, "plan.created", &p, 0), 1);
    assert_int_equal(r.status, RISKLINE__V1__RISK_STATUS__RISK_STATUS_TREATMENT_PLANNED);
    assert_int_equal(r.treatment, RISKLINE__V1__TREATMENT__TREATMENT_TRANSFER);
    assert_int_equal(risk_follow_plan(&r, "plan.created", &p, 0), 0);  /* again: nothing */
    assert_int_equal(risk_follow_plan(&r, "plan.start", &p, 0), 1);
    assert_int_equal(r.status, RISKLINE__V1__RISK_STATUS__RISK_STATUS_IN_TREATMENT);
    assert_int_equal(risk_follow_plan(&r, "plan.submit", &p, 0), 0);   /* never backwards */
    /* verified but not effective: nothing */
    p.verification = &ver;
    assert_int_equal(risk_follow_plan(&r, "plan.verify", &p, 0), 0);
    ver.effective = 1;
    assert_int_equal(risk_follow_plan(&r, "plan.verify", &p, 0), 1);
    assert_int_equal(r.status, RISKLINE__V1__RISK_STATUS__RISK_STATUS_TREATED);
    assert_int_equal(resid.likelihood, 2);
    assert_int_equal(resid.impact, 1);
    assert_int_equal(risk_follow_plan(&r, "plan.verify", &p, 0), 0);
    /* a close without acceptance does not accept; an acceptance does */
    assert_int_equal(risk_follow_plan(&r, "plan.close", &p, 0), 0);
    assert_int_equal(risk_follow_plan(&r, "acceptance.recorded", NULL, 1), 1);
    assert_int_equal(r.status, RISKLINE__V1__RISK_STATUS__RISK_STATUS_ACCEPTED);
    /* unknown kinds change nothing */
    assert_int_equal(risk_follow_plan(&r, "plan.hold", &p, 0), 0);
    r.status = RISKLINE__V1__RISK_STATUS__RISK_STATUS_CLOSED;
    assert_int_equal(risk_follow_plan(&r, "acceptance.recorded", NULL, 1), 0);
}

static void test_follow_alert(void **state)
{
    rl_arena_t *a = *state;
    risk_t r = RISKLINE__V1__RISK__INIT;
    r.status = RISKLINE__V1__RISK_STATUS__RISK_STATUS_ACCEPTED;
    r.next_review = "2027-01-31";
    int64_t today;
    assert_int_equal(rl_date_parse("2026-11-26", &today), 0);
    /* an expired acceptance reopens the risk once */
    assert_int_equal(risk_follow_alert(&r, "acceptance_expired", today, 7, a), 1);
    assert_int_equal(r.status, RISKLINE__V1__RISK_STATUS__RISK_STATUS_ASSESSED);
    assert_int_equal(risk_follow_alert(&r, "acceptance_expired", today, 7, a), 0);
    /* a reassessment pulls the review forward, never back */
    assert_int_equal(risk_follow_alert(&r, "reassessment", today, 7, a), 1);
    assert_string_equal(r.next_review, "2026-12-03");
    assert_int_equal(risk_follow_alert(&r, "reassessment", today, 7, a), 0);
    r.next_review = "2026-11-28";
    assert_int_equal(risk_follow_alert(&r, "reassessment", today, 7, a), 0);
    assert_int_equal(risk_follow_alert(&r, "milestone_overdue", today, 7, a), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_criteria_defaults),
        cmocka_unit_test(test_criteria_validate_accepts),
        cmocka_unit_test(test_criteria_validate_rejects),
        cmocka_unit_test(test_score),
        cmocka_unit_test(test_level_defaults_boundaries),
        cmocka_unit_test(test_level_custom_criteria_relevels),
        cmocka_unit_test(test_review_days),
        cmocka_unit_test(test_current_score),
        cmocka_unit_test(test_validate_ok),
        cmocka_unit_test(test_validate_rejects),
        cmocka_unit_test(test_validate_rejects_invalid_utf8),
        cmocka_unit_test(test_validate_exact_subfields),
        cmocka_unit_test(test_validate_uses_tenant_matrix),
        cmocka_unit_test(test_derive),
        cmocka_unit_test_setup_teardown(test_schedule_review, setup_arena, teardown_arena),
        cmocka_unit_test(test_treatment_parse),
        cmocka_unit_test(test_status_parse),
        cmocka_unit_test(test_level_parse),
        cmocka_unit_test_setup_teardown(test_apply_patch_copies_only_masked, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_apply_patch_ratings_changed, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_apply_patch_assets, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_apply_patch_refuses, setup_arena, teardown_arena),
        cmocka_unit_test(test_max_axes),
        cmocka_unit_test(test_diff_skip_list),
        cmocka_unit_test(test_check_owner),
        cmocka_unit_test(test_follow_plan),
        cmocka_unit_test_setup_teardown(test_follow_alert, setup_arena, teardown_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
