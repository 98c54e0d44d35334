/* test_event.c: risk event domain rules (services/monitor/event.c): input checks of every field,
 * kind and severity names, correlation with risks, assets and plan controls, the reassessment rule. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"
#include "rl_limits.h"
#include "rl_time.h"
#include "unit_arena.h"

#define KIND(x) RISKLINE__V1__EVENT_KIND__EVENT_KIND_##x
#define SEV(x) RISKLINE__V1__SEVERITY__SEVERITY_##x
#define VALUE_CASE RISKLINE__V1__RISK_EVENT__MEASUREMENT_VALUE

#define NOW 1767225600000LL /* 2026-01-01T00:00:00Z */
#define DAY_MS 86400000LL
#define NLIST 34            /* one more than the limits of 32, and a spare */

/* --- fixtures ---------------------------------------------------------------------------------- */

/* A valid incident from siem-prod with a link of each kind and two attributes, in one block. */
typedef struct {
    event_t e;
    char source[80];
    char event_id[160];
    char summary[RL_MAX_TEXT + 8];
    char *risk_ids[NLIST];
    char risk_buf[NLIST][24];
    char *assets[NLIST];
    char asset_buf[NLIST][RL_MAX_NAME + 8];
    char *controls[NLIST];
    char control_buf[NLIST][24];
    Riskline__V1__Attribute attr[NLIST];
    Riskline__V1__Attribute *attrp[NLIST];
    char key_buf[NLIST][80];
    char value_buf[RL_MAX_TEXT + 8];
    char *linked[2];
} fx_t;

static void fx_init(fx_t *f)
{
    memset(f, 0, sizeof *f);
    riskline__v1__risk_event__init(&f->e);
    snprintf(f->source, sizeof f->source, "siem-prod");
    snprintf(f->event_id, sizeof f->event_id, "INC-2026-0042");
    snprintf(f->summary, sizeof f->summary, "Credential phishing wave against finance");
    f->e.source = f->source;
    f->e.event_id = f->event_id;
    f->e.summary = f->summary;
    f->e.kind = KIND(INCIDENT);
    f->e.severity = SEV(HIGH);
    f->e.occurred_at_ms = NOW - 3600000;
    for (size_t i = 0; i < NLIST; i++) {
        snprintf(f->risk_buf[i], sizeof f->risk_buf[i], "R-%zu", i + 1);
        f->risk_ids[i] = f->risk_buf[i];
        snprintf(f->asset_buf[i], sizeof f->asset_buf[i], "asset-%zu", i);
        f->assets[i] = f->asset_buf[i];
        snprintf(f->control_buf[i], sizeof f->control_buf[i], "C-%zu", i + 1);
        f->controls[i] = f->control_buf[i];
        riskline__v1__attribute__init(&f->attr[i]);
        snprintf(f->key_buf[i], sizeof f->key_buf[i], "k%zu", i);
        f->attr[i].key = f->key_buf[i];
        f->attr[i].value = "v";
        f->attrp[i] = &f->attr[i];
    }
    snprintf(f->control_buf[0], sizeof f->control_buf[0], "A.8.7");
    f->e.risk_ids = f->risk_ids;
    f->e.n_risk_ids = 1;
    f->e.assets = f->assets;
    f->e.n_assets = 1;
    f->e.controls = f->controls;
    f->e.n_controls = 1;
    f->e.attributes = f->attrp;
    f->e.n_attributes = 2;
    f->linked[0] = "R-1";
}

/* a KRI measurement of K-3 */
static void fx_kri(fx_t *f)
{
    f->e.kind = KIND(KRI_MEASUREMENT);
    f->e.measurement_case = VALUE_CASE;
    f->e.value = 42.5;
    snprintf(f->key_buf[1], sizeof f->key_buf[1], "metric");
    f->attr[1].value = "K-3";
}

static void expect_ok(const fx_t *f, const char *what)
{
    rl_error_t err;
    rl_error_clear(&err);
    rl_err_t rc = event_validate(&f->e, NOW, "events[3]", &err);
    if (rc != RL_OK)
        fail_msg("%s: expected ok, got %s on \"%s\": %s", what, rl_strerror(rc), err.field, err.message);
}

/* --- validate ---------------------------------------------------------------------------------- */

static void test_validate_ok(void **state)
{
    (void)state;
    fx_t f;
    fx_init(&f);
    expect_ok(&f, "the fixture");

    /* everything at its limit */
    memset(f.source, 'S', 64);
    f.source[64] = '\0';
    f.source[0] = 'a', f.source[1] = 'Z', f.source[2] = '0', f.source[3] = '.', f.source[4] = '_', f.source[5] = '-';
    memset(f.event_id, 'i', 128);
    f.event_id[128] = '\0';
    memcpy(f.event_id, "\xc3\xa4\xe2\x82\xac", 5); /* UTF-8 is fine in ids */
    memset(f.summary, 's', RL_MAX_TEXT);
    f.summary[RL_MAX_TEXT] = '\0';
    f.summary[1] = '\n';
    f.summary[2] = '\t';
    f.e.n_risk_ids = 32;
    f.e.n_assets = 32;
    memset(f.asset_buf[5], 'a', RL_MAX_NAME);
    f.asset_buf[5][RL_MAX_NAME] = '\0';
    f.e.n_controls = 32;
    f.e.n_attributes = 32;
    memset(f.key_buf[0], 'k', 64);
    f.key_buf[0][64] = '\0';
    memset(f.value_buf, 'v', RL_MAX_TEXT);
    f.value_buf[RL_MAX_TEXT] = '\0';
    f.attr[1].value = f.value_buf;
    f.attr[2].value = ""; /* an empty value is fine */
    f.e.occurred_at_ms = NOW + DAY_MS; /* a day ahead of our clock, exactly */
    expect_ok(&f, "everything at its limit");

    /* each first and last Annex A control of a theme, and large own-control and risk numbers */
    static const char *const ctl[] = {"A.5.1", "A.5.37", "A.6.1", "A.6.8", "A.7.1", "A.7.14", "A.8.1",
                                      "A.8.34", "C-1", "C-9007199254740992"};
    fx_init(&f);
    for (size_t i = 0; i < sizeof ctl / sizeof ctl[0]; i++)
        f.controls[i] = (char *)ctl[i];
    f.e.n_controls = sizeof ctl / sizeof ctl[0];
    f.risk_ids[0] = "R-9007199254740992";
    f.e.occurred_at_ms = 1;
    expect_ok(&f, "control and id boundaries");

    /* every severity and every kind that carries no value */
    static const Riskline__V1__EventKind plain[] = {KIND(INCIDENT), KIND(VULNERABILITY), KIND(THREAT_INTEL),
                                                    KIND(AUDIT_FINDING), KIND(NONCONFORMITY), KIND(CHANGE)};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        fx_init(&f);
        f.e.kind = plain[i];
        f.e.severity = (Riskline__V1__Severity)(1 + i % 5);
        expect_ok(&f, event_kind_name(plain[i]));
    }
    /* no links at all: kept and reported as unlinked, so valid */
    fx_init(&f);
    f.e.n_risk_ids = f.e.n_assets = f.e.n_controls = f.e.n_attributes = 0;
    expect_ok(&f, "no links");
    /* measurements: KRI any finite value, control test 0 and 100 */
    fx_init(&f);
    fx_kri(&f);
    f.e.value = -1e300;
    expect_ok(&f, "kri negative");
    fx_init(&f);
    f.e.kind = KIND(CONTROL_TEST);
    f.e.measurement_case = VALUE_CASE;
    f.e.value = 0;
    expect_ok(&f, "control test 0");
    f.e.value = 100;
    expect_ok(&f, "control test 100");
    /* no prefix: fields are named bare */
    fx_init(&f);
    rl_error_t err;
    f.e.severity = SEV(UNSPECIFIED);
    assert_int_equal(event_validate(&f.e, NOW, NULL, &err), RL_ERR_INVALID);
    assert_string_equal(err.field, "severity");
    assert_int_equal(event_validate(&f.e, NOW, "", &err), RL_ERR_INVALID);
    assert_string_equal(err.field, "severity");
    assert_int_equal(event_validate(NULL, NOW, "events[0]", &err), RL_ERR_INVALID);
    assert_string_equal(err.field, "events[0]");
}

enum {
    V_SOURCE_NULL, V_SOURCE_EMPTY, V_SOURCE_65, V_SOURCE_SPACE, V_SOURCE_SLASH, V_SOURCE_UTF8, V_SOURCE_CTRL,
    V_ID_NULL, V_ID_EMPTY, V_ID_129, V_ID_CTRL, V_ID_NEWLINE, V_ID_BAD_UTF8,
    V_KIND_UNSPEC, V_KIND_NEWER, V_KIND_NEG, V_SEV_UNSPEC, V_SEV_NEWER, V_SEV_NEG,
    V_AT_ZERO, V_AT_NEG, V_AT_FUTURE, V_AT_MAX,
    V_SUMMARY_NULL, V_SUMMARY_EMPTY, V_SUMMARY_1001, V_SUMMARY_CTRL, V_SUMMARY_BAD_UTF8,
    V_RISKS_33, V_RISK_EMPTY, V_RISK_NULL, V_RISK_LOWER, V_RISK_ZERO, V_RISK_LEADING0, V_RISK_PLAN, V_RISK_BIG,
    V_RISK_SPACE,
    V_ASSETS_33, V_ASSET_EMPTY, V_ASSET_129, V_ASSET_CTRL, V_ASSET_BAD_UTF8,
    V_CONTROLS_33, V_CONTROL_BARE, V_CONTROL_LOWER, V_CONTROL_5_38, V_CONTROL_6_9, V_CONTROL_7_15, V_CONTROL_8_35,
    V_CONTROL_4_1, V_CONTROL_9_1, V_CONTROL_5_0, V_CONTROL_LEADING0, V_CONTROL_TRAIL, V_CONTROL_C0, V_CONTROL_EMPTY,
    V_CONTROL_3DIGIT,
    V_ATTRS_33, V_ATTR_NULL, V_ATTR_KEY_EMPTY, V_ATTR_KEY_65, V_ATTR_KEY_SPACE, V_ATTR_KEY_DUP, V_ATTR_VALUE_1001,
    V_ATTR_VALUE_CTRL, V_ATTR_VALUE_BAD_UTF8,
    V_VALUE_ON_INCIDENT, V_KRI_NO_VALUE, V_KRI_NAN, V_KRI_INF, V_KRI_NO_METRIC, V_KRI_EMPTY_METRIC, V_TEST_NO_VALUE,
    V_TEST_NEG, V_TEST_101, V_TEST_NAN,
    V_RECEIVED_AT, V_RECEIVED_BY, V_LINKED,
    V_COUNT
};

static const struct {
    const char *what;
    const char *field;
} v_cases[V_COUNT] = {
    [V_SOURCE_NULL] = {"missing source", "events[3].source"},
    [V_SOURCE_EMPTY] = {"empty source", "events[3].source"},
    [V_SOURCE_65] = {"65-byte source", "events[3].source"},
    [V_SOURCE_SPACE] = {"space in source", "events[3].source"},
    [V_SOURCE_SLASH] = {"slash in source", "events[3].source"},
    [V_SOURCE_UTF8] = {"non-ASCII source", "events[3].source"},
    [V_SOURCE_CTRL] = {"newline in source", "events[3].source"},
    [V_ID_NULL] = {"missing event id", "events[3].event_id"},
    [V_ID_EMPTY] = {"empty event id", "events[3].event_id"},
    [V_ID_129] = {"129-byte event id", "events[3].event_id"},
    [V_ID_CTRL] = {"control character in event id", "events[3].event_id"},
    [V_ID_NEWLINE] = {"newline in event id", "events[3].event_id"},
    [V_ID_BAD_UTF8] = {"invalid UTF-8 in event id", "events[3].event_id"},
    [V_KIND_UNSPEC] = {"no kind", "events[3].kind"},
    [V_KIND_NEWER] = {"a newer peer's kind 9", "events[3].kind"},
    [V_KIND_NEG] = {"kind -1", "events[3].kind"},
    [V_SEV_UNSPEC] = {"no severity", "events[3].severity"},
    [V_SEV_NEWER] = {"a newer peer's severity 6", "events[3].severity"},
    [V_SEV_NEG] = {"severity -1", "events[3].severity"},
    [V_AT_ZERO] = {"occurred at 0", "events[3].occurred_at_ms"},
    [V_AT_NEG] = {"occurred before 1970", "events[3].occurred_at_ms"},
    [V_AT_FUTURE] = {"a day and a millisecond ahead", "events[3].occurred_at_ms"},
    [V_AT_MAX] = {"occurred at INT64_MAX", "events[3].occurred_at_ms"},
    [V_SUMMARY_NULL] = {"missing summary", "events[3].summary"},
    [V_SUMMARY_EMPTY] = {"empty summary", "events[3].summary"},
    [V_SUMMARY_1001] = {"1001-byte summary", "events[3].summary"},
    [V_SUMMARY_CTRL] = {"escape in summary", "events[3].summary"},
    [V_SUMMARY_BAD_UTF8] = {"invalid UTF-8 in summary", "events[3].summary"},
    [V_RISKS_33] = {"33 risk ids", "events[3].risk_ids"},
    [V_RISK_EMPTY] = {"empty risk id", "events[3].risk_ids[1]"},
    [V_RISK_NULL] = {"NULL risk id", "events[3].risk_ids[1]"},
    [V_RISK_LOWER] = {"r-1", "events[3].risk_ids[0]"},
    [V_RISK_ZERO] = {"R-0", "events[3].risk_ids[0]"},
    [V_RISK_LEADING0] = {"R-01", "events[3].risk_ids[0]"},
    [V_RISK_PLAN] = {"TP-1 as a risk", "events[3].risk_ids[0]"},
    [V_RISK_BIG] = {"R-2^53+1", "events[3].risk_ids[0]"},
    [V_RISK_SPACE] = {"R-1 with a space", "events[3].risk_ids[0]"},
    [V_ASSETS_33] = {"33 assets", "events[3].assets"},
    [V_ASSET_EMPTY] = {"empty asset", "events[3].assets[1]"},
    [V_ASSET_129] = {"129-byte asset", "events[3].assets[0]"},
    [V_ASSET_CTRL] = {"tab in asset", "events[3].assets[0]"},
    [V_ASSET_BAD_UTF8] = {"invalid UTF-8 in asset", "events[3].assets[0]"},
    [V_CONTROLS_33] = {"33 controls", "events[3].controls"},
    [V_CONTROL_BARE] = {"8.7 without A.", "events[3].controls[0]"},
    [V_CONTROL_LOWER] = {"a.8.7", "events[3].controls[0]"},
    [V_CONTROL_5_38] = {"A.5.38", "events[3].controls[0]"},
    [V_CONTROL_6_9] = {"A.6.9", "events[3].controls[0]"},
    [V_CONTROL_7_15] = {"A.7.15", "events[3].controls[0]"},
    [V_CONTROL_8_35] = {"A.8.35", "events[3].controls[0]"},
    [V_CONTROL_4_1] = {"A.4.1", "events[3].controls[0]"},
    [V_CONTROL_9_1] = {"A.9.1", "events[3].controls[0]"},
    [V_CONTROL_5_0] = {"A.5.0", "events[3].controls[0]"},
    [V_CONTROL_LEADING0] = {"A.5.01", "events[3].controls[0]"},
    [V_CONTROL_TRAIL] = {"A.8.7 with a trailing space", "events[3].controls[0]"},
    [V_CONTROL_C0] = {"C-0", "events[3].controls[0]"},
    [V_CONTROL_EMPTY] = {"empty control", "events[3].controls[1]"},
    [V_CONTROL_3DIGIT] = {"A.8.100", "events[3].controls[0]"},
    [V_ATTRS_33] = {"33 attributes", "events[3].attributes"},
    [V_ATTR_NULL] = {"NULL attribute", "events[3].attributes[1].key"},
    [V_ATTR_KEY_EMPTY] = {"empty attribute key", "events[3].attributes[0].key"},
    [V_ATTR_KEY_65] = {"65-byte attribute key", "events[3].attributes[0].key"},
    [V_ATTR_KEY_SPACE] = {"space in attribute key", "events[3].attributes[0].key"},
    [V_ATTR_KEY_DUP] = {"repeated attribute key", "events[3].attributes[1].key"},
    [V_ATTR_VALUE_1001] = {"1001-byte attribute value", "events[3].attributes[1].value"},
    [V_ATTR_VALUE_CTRL] = {"control character in attribute value", "events[3].attributes[0].value"},
    [V_ATTR_VALUE_BAD_UTF8] = {"invalid UTF-8 in attribute value", "events[3].attributes[0].value"},
    [V_VALUE_ON_INCIDENT] = {"an incident with a value", "events[3].value"},
    [V_KRI_NO_VALUE] = {"a KRI without a value", "events[3].value"},
    [V_KRI_NAN] = {"a KRI of NaN", "events[3].value"},
    [V_KRI_INF] = {"a KRI of infinity", "events[3].value"},
    [V_KRI_NO_METRIC] = {"a KRI without its metric", "events[3].attributes"},
    [V_KRI_EMPTY_METRIC] = {"a KRI with an empty metric", "events[3].attributes"},
    [V_TEST_NO_VALUE] = {"a control test without a value", "events[3].value"},
    [V_TEST_NEG] = {"a control test of -0.001", "events[3].value"},
    [V_TEST_101] = {"a control test of 100.001", "events[3].value"},
    [V_TEST_NAN] = {"a control test of NaN", "events[3].value"},
    [V_RECEIVED_AT] = {"received_at_ms from the sender", "events[3].received_at_ms"},
    [V_RECEIVED_BY] = {"received_by from the sender", "events[3].received_by"},
    [V_LINKED] = {"linked_risks from the sender", "events[3].linked_risks"},
};

static void v_mutate(fx_t *f, int k)
{
    switch (k) {
    case V_SOURCE_NULL: f->e.source = NULL; break;
    case V_SOURCE_EMPTY: f->source[0] = '\0'; break;
    case V_SOURCE_65: memset(f->source, 's', 65); f->source[65] = '\0'; break;
    case V_SOURCE_SPACE: snprintf(f->source, sizeof f->source, "siem prod"); break;
    case V_SOURCE_SLASH: snprintf(f->source, sizeof f->source, "siem/prod"); break;
    case V_SOURCE_UTF8: snprintf(f->source, sizeof f->source, "si\xc3\xa4m"); break;
    case V_SOURCE_CTRL: snprintf(f->source, sizeof f->source, "siem\n"); break;
    case V_ID_NULL: f->e.event_id = NULL; break;
    case V_ID_EMPTY: f->event_id[0] = '\0'; break;
    case V_ID_129: memset(f->event_id, 'i', 129); f->event_id[129] = '\0'; break;
    case V_ID_CTRL: snprintf(f->event_id, sizeof f->event_id, "INC\x01" "1"); break;
    case V_ID_NEWLINE: snprintf(f->event_id, sizeof f->event_id, "INC\n1"); break;
    case V_ID_BAD_UTF8: snprintf(f->event_id, sizeof f->event_id, "INC\xff"); break;
    case V_KIND_UNSPEC: f->e.kind = KIND(UNSPECIFIED); break;
    case V_KIND_NEWER: f->e.kind = (Riskline__V1__EventKind)9; break;
    case V_KIND_NEG: f->e.kind = (Riskline__V1__EventKind)-1; break;
    case V_SEV_UNSPEC: f->e.severity = SEV(UNSPECIFIED); break;
    case V_SEV_NEWER: f->e.severity = (Riskline__V1__Severity)6; break;
    case V_SEV_NEG: f->e.severity = (Riskline__V1__Severity)-1; break;
    case V_AT_ZERO: f->e.occurred_at_ms = 0; break;
    case V_AT_NEG: f->e.occurred_at_ms = -1; break;
    case V_AT_FUTURE: f->e.occurred_at_ms = NOW + DAY_MS + 1; break;
    case V_AT_MAX: f->e.occurred_at_ms = INT64_MAX; break;
    case V_SUMMARY_NULL: f->e.summary = NULL; break;
    case V_SUMMARY_EMPTY: f->summary[0] = '\0'; break;
    case V_SUMMARY_1001: memset(f->summary, 's', 1001); f->summary[1001] = '\0'; break;
    case V_SUMMARY_CTRL: snprintf(f->summary, sizeof f->summary, "\x1b[2Jcleared"); break;
    case V_SUMMARY_BAD_UTF8: snprintf(f->summary, sizeof f->summary, "cut \xe2\x82"); break;
    case V_RISKS_33: f->e.n_risk_ids = 33; break;
    case V_RISK_EMPTY: f->e.n_risk_ids = 2; f->risk_buf[1][0] = '\0'; break;
    case V_RISK_NULL: f->e.n_risk_ids = 2; f->risk_ids[1] = NULL; break;
    case V_RISK_LOWER: f->risk_ids[0] = "r-1"; break;
    case V_RISK_ZERO: f->risk_ids[0] = "R-0"; break;
    case V_RISK_LEADING0: f->risk_ids[0] = "R-01"; break;
    case V_RISK_PLAN: f->risk_ids[0] = "TP-1"; break;
    case V_RISK_BIG: f->risk_ids[0] = "R-9007199254740993"; break;
    case V_RISK_SPACE: f->risk_ids[0] = "R-1 "; break;
    case V_ASSETS_33: f->e.n_assets = 33; break;
    case V_ASSET_EMPTY: f->e.n_assets = 2; f->asset_buf[1][0] = '\0'; break;
    case V_ASSET_129: memset(f->asset_buf[0], 'a', 129); f->asset_buf[0][129] = '\0'; break;
    case V_ASSET_CTRL: snprintf(f->asset_buf[0], sizeof f->asset_buf[0], "db\tserver"); break;
    case V_ASSET_BAD_UTF8: snprintf(f->asset_buf[0], sizeof f->asset_buf[0], "db \xc0\xaf"); break;
    case V_CONTROLS_33: f->e.n_controls = 33; break;
    case V_CONTROL_BARE: f->controls[0] = "8.7"; break;
    case V_CONTROL_LOWER: f->controls[0] = "a.8.7"; break;
    case V_CONTROL_5_38: f->controls[0] = "A.5.38"; break;
    case V_CONTROL_6_9: f->controls[0] = "A.6.9"; break;
    case V_CONTROL_7_15: f->controls[0] = "A.7.15"; break;
    case V_CONTROL_8_35: f->controls[0] = "A.8.35"; break;
    case V_CONTROL_4_1: f->controls[0] = "A.4.1"; break;
    case V_CONTROL_9_1: f->controls[0] = "A.9.1"; break;
    case V_CONTROL_5_0: f->controls[0] = "A.5.0"; break;
    case V_CONTROL_LEADING0: f->controls[0] = "A.5.01"; break;
    case V_CONTROL_TRAIL: f->controls[0] = "A.8.7 "; break;
    case V_CONTROL_C0: f->controls[0] = "C-0"; break;
    case V_CONTROL_EMPTY: f->e.n_controls = 2; f->control_buf[1][0] = '\0'; break;
    case V_CONTROL_3DIGIT: f->controls[0] = "A.8.100"; break;
    case V_ATTRS_33: f->e.n_attributes = 33; break;
    case V_ATTR_NULL: f->attrp[1] = NULL; break;
    case V_ATTR_KEY_EMPTY: f->key_buf[0][0] = '\0'; break;
    case V_ATTR_KEY_65: memset(f->key_buf[0], 'k', 65); f->key_buf[0][65] = '\0'; break;
    case V_ATTR_KEY_SPACE: snprintf(f->key_buf[0], sizeof f->key_buf[0], "cve id"); break;
    case V_ATTR_KEY_DUP: snprintf(f->key_buf[1], sizeof f->key_buf[1], "k0"); break;
    case V_ATTR_VALUE_1001: memset(f->value_buf, 'v', 1001); f->value_buf[1001] = '\0'; f->attr[1].value = f->value_buf; break;
    case V_ATTR_VALUE_CTRL: f->attr[0].value = "a\rb"; break;
    case V_ATTR_VALUE_BAD_UTF8: f->attr[0].value = "\xed\xa0\x80"; break;
    case V_VALUE_ON_INCIDENT: f->e.measurement_case = VALUE_CASE; f->e.value = 1; break;
    case V_KRI_NO_VALUE: fx_kri(f); f->e.measurement_case = RISKLINE__V1__RISK_EVENT__MEASUREMENT__NOT_SET; break;
    case V_KRI_NAN: fx_kri(f); f->e.value = NAN; break;
    case V_KRI_INF: fx_kri(f); f->e.value = -INFINITY; break;
    case V_KRI_NO_METRIC: fx_kri(f); f->e.n_attributes = 1; break;
    case V_KRI_EMPTY_METRIC: fx_kri(f); f->attr[1].value = ""; break;
    case V_TEST_NO_VALUE: f->e.kind = KIND(CONTROL_TEST); break;
    case V_TEST_NEG: f->e.kind = KIND(CONTROL_TEST); f->e.measurement_case = VALUE_CASE; f->e.value = -0.001; break;
    case V_TEST_101: f->e.kind = KIND(CONTROL_TEST); f->e.measurement_case = VALUE_CASE; f->e.value = 100.001; break;
    case V_TEST_NAN: f->e.kind = KIND(CONTROL_TEST); f->e.measurement_case = VALUE_CASE; f->e.value = NAN; break;
    case V_RECEIVED_AT: f->e.received_at_ms = NOW; break;
    case V_RECEIVED_BY: f->e.received_by = "mallory"; break;
    case V_LINKED: f->e.linked_risks = f->linked; f->e.n_linked_risks = 1; break;
    default: fail();
    }
}

static void test_validate_rejects(void **state)
{
    (void)state;
    for (int k = 0; k < V_COUNT; k++) {
        assert_non_null(v_cases[k].what);
        fx_t f;
        fx_init(&f);
        v_mutate(&f, k);
        rl_error_t err;
        rl_error_clear(&err);
        rl_err_t rc = event_validate(&f.e, NOW, "events[3]", &err);
        if (rc != RL_ERR_INVALID || strcmp(err.field, v_cases[k].field) != 0)
            fail_msg("%s: expected invalid_argument on %s, got %s on \"%s\" (%s)", v_cases[k].what,
                     v_cases[k].field, rl_strerror(rc), err.field, err.message);
        assert_int_equal(err.code, RL_ERR_INVALID);
        assert_true(err.message[0] != '\0');
    }
}

static void test_validate_messages(void **state)
{
    (void)state;
    fx_t f;
    rl_error_t err;
    /* a newer peer's kind is named by number, with the kinds this monitor knows */
    fx_init(&f);
    f.e.kind = (Riskline__V1__EventKind)9;
    assert_int_equal(event_validate(&f.e, NOW, "events[3]", &err), RL_ERR_INVALID);
    assert_non_null(strstr(err.message, "unknown kind 9"));
    assert_non_null(strstr(err.message, "incident, vulnerability, threat_intel"));
    fx_init(&f);
    f.e.severity = (Riskline__V1__Severity)6;
    assert_int_equal(event_validate(&f.e, NOW, "events[3]", &err), RL_ERR_INVALID);
    assert_non_null(strstr(err.message, "unknown severity 6"));
    fx_init(&f);
    f.e.n_controls = 33;
    assert_int_equal(event_validate(&f.e, NOW, "events[3]", &err), RL_ERR_INVALID);
    assert_non_null(strstr(err.message, "33 entries, over the limit of 32"));
    fx_init(&f);
    f.e.kind = KIND(CONTROL_TEST);
    assert_int_equal(event_validate(&f.e, NOW, "events[3]", &err), RL_ERR_INVALID);
    assert_non_null(strstr(err.message, "required for a control_test event"));
    /* the clock decides "future": the same instant is fine a millisecond later */
    fx_init(&f);
    f.e.occurred_at_ms = NOW + DAY_MS + 1;
    assert_int_equal(event_validate(&f.e, NOW, "e", &err), RL_ERR_INVALID);
    assert_int_equal(event_validate(&f.e, NOW + 1, "e", &err), RL_OK);
    /* a clock at the end of time does not overflow */
    f.e.occurred_at_ms = INT64_MAX;
    assert_int_equal(event_validate(&f.e, INT64_MAX, "e", &err), RL_OK);
    assert_int_equal(event_validate(&f.e, INT64_MAX - DAY_MS, "e", &err), RL_OK);
    assert_int_equal(event_validate(&f.e, INT64_MAX - DAY_MS - 1, "e", &err), RL_ERR_INVALID);
}

/* --- names -------------------------------------------------------------------------------------- */

static void test_kind_names(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int kind;
    } in[] = {
        {"incident", KIND(INCIDENT)}, {"vulnerability", KIND(VULNERABILITY)},
        {"threat_intel", KIND(THREAT_INTEL)}, {"threat-intelligence", KIND(THREAT_INTEL)},
        {"audit_finding", KIND(AUDIT_FINDING)}, {"nonconformity", KIND(NONCONFORMITY)},
        {"kri", KIND(KRI_MEASUREMENT)}, {"kri_measurement", KIND(KRI_MEASUREMENT)},
        {"control_test", KIND(CONTROL_TEST)}, {"change", KIND(CHANGE)},
        {"INCIDENT", KIND(INCIDENT)}, {"Threat_Intel", KIND(THREAT_INTEL)},
        {"", -1}, {NULL, -1}, {"unspecified", -1}, {"threat intel", -1}, {"incidents", -1}, {" incident", -1},
        {"threat_intelligence", -1}, {"1", -1},
    };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        if (event_kind_parse(in[i].text) != in[i].kind)
            fail_msg("kind \"%s\": expected %d, got %d", in[i].text ? in[i].text : "(null)", in[i].kind,
                     event_kind_parse(in[i].text));
    /* every kind has a name that parses back to it */
    for (int k = 1; k <= 8; k++)
        assert_int_equal(event_kind_parse(event_kind_name((Riskline__V1__EventKind)k)), k);
    assert_string_equal(event_kind_name(KIND(THREAT_INTEL)), "threat_intel");
    assert_string_equal(event_kind_name(KIND(KRI_MEASUREMENT)), "kri");
    assert_string_equal(event_kind_name(KIND(UNSPECIFIED)), "unspecified");
    assert_string_equal(event_kind_name((Riskline__V1__EventKind)9), "unknown");
    assert_string_equal(event_kind_name((Riskline__V1__EventKind)-3), "unknown");
}

static void test_severity_names(void **state)
{
    (void)state;
    static const char *const names[] = {"info", "low", "medium", "high", "critical"};
    for (int s = 1; s <= 5; s++) {
        assert_string_equal(event_severity_name((Riskline__V1__Severity)s), names[s - 1]);
        assert_int_equal(event_severity_parse(names[s - 1]), s);
    }
    assert_int_equal(event_severity_parse("CRITICAL"), SEV(CRITICAL));
    assert_int_equal(event_severity_parse("severe"), -1);
    assert_int_equal(event_severity_parse(""), -1);
    assert_int_equal(event_severity_parse(NULL), -1);
    assert_int_equal(event_severity_parse("unspecified"), -1);
    assert_string_equal(event_severity_name(SEV(UNSPECIFIED)), "unspecified");
    assert_string_equal(event_severity_name((Riskline__V1__Severity)6), "unknown");
}

/* --- correlation -------------------------------------------------------------------------------- */

static char *const A_MAIL[] = {"email", "staff laptops"};
static char *const A_FILES[] = {"file servers"};
static char *const A_NONE[] = {"EMAIL"};
static const event_risk_t RISKS[] = {
    {"R-10", A_MAIL, 2}, {"R-2", A_FILES, 1}, {"R-1", NULL, 0}, {"R-3", A_NONE, 1}, {"R-100", A_MAIL, 1},
};
static char *const C_EDR[] = {"A.8.7", "C-3"};
static char *const C_BACKUP[] = {"A.8.13"};
static const event_plan_t PLANS[] = {
    {"R-7", C_EDR, 2, 1},      /* open */
    {"R-8", C_EDR, 2, 0},      /* closed or cancelled: ignored */
    {"R-9", C_BACKUP, 1, 1},
    {"R-2", C_EDR + 1, 1, 1},  /* C-3 only */
};

static void correlate(rl_arena_t *a, const event_t *e, const char *want)
{
    char **out = NULL;
    size_t n = 99;
    rl_error_t err;
    rl_error_clear(&err);
    assert_int_equal(event_correlate(e, RISKS, sizeof RISKS / sizeof RISKS[0], PLANS, sizeof PLANS / sizeof PLANS[0],
                                     a, &out, &n, &err),
                     RL_OK);
    assert_non_null(out);
    char got[256] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "", out[i]);
    if (strcmp(got, want) != 0)
        fail_msg("correlation: expected \"%s\", got \"%s\"", want, got);
}

static void set_list(char **slot, size_t *n, char **items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        slot[i] = items[i];
    *n = count;
}

static void test_correlate(void **state)
{
    rl_arena_t *a = *state;
    fx_t f;
    fx_init(&f);
    f.e.n_risk_ids = f.e.n_assets = f.e.n_controls = 0;
    correlate(a, &f.e, ""); /* nothing to link: unlinked */

    /* direct ids: those that exist, in natural order, each once */
    char *ids[] = {"R-10", "R-404", "R-2", "R-10", "R-1"};
    set_list(f.risk_ids, &f.e.n_risk_ids, ids, 5);
    correlate(a, &f.e, "R-1 R-2 R-10");
    f.e.n_risk_ids = 0;

    /* by asset: exact and case-sensitive; a risk listing two matching assets counts once */
    char *assets[] = {"email", "staff laptops"};
    set_list(f.assets, &f.e.n_assets, assets, 2);
    correlate(a, &f.e, "R-10 R-100");
    char *upper[] = {"Email", "email "};
    set_list(f.assets, &f.e.n_assets, upper, 2);
    correlate(a, &f.e, "");
    char *files[] = {"file servers"};
    set_list(f.assets, &f.e.n_assets, files, 1);
    correlate(a, &f.e, "R-2");
    f.e.n_assets = 0;

    /* by control: the risks of open plans implementing it, not of closed ones; a plan's risk need
     * not be in the risk list */
    char *edr[] = {"A.8.7"};
    set_list(f.controls, &f.e.n_controls, edr, 1);
    correlate(a, &f.e, "R-7");
    char *own[] = {"C-3"};
    set_list(f.controls, &f.e.n_controls, own, 1);
    correlate(a, &f.e, "R-2 R-7");
    char *none[] = {"A.5.1", "C-4", "A.8.1"};
    set_list(f.controls, &f.e.n_controls, none, 3);
    correlate(a, &f.e, "");

    /* all three together, overlapping: sorted, duplicates removed */
    char *ids2[] = {"R-100", "R-2", "R-9"};
    set_list(f.risk_ids, &f.e.n_risk_ids, ids2, 3); /* R-9 is not a risk: only through its plan */
    set_list(f.assets, &f.e.n_assets, assets, 2);
    char *ctl2[] = {"C-3", "A.8.13", "A.8.7"};
    set_list(f.controls, &f.e.n_controls, ctl2, 3);
    correlate(a, &f.e, "R-2 R-7 R-9 R-10 R-100");

    /* no risks and no plans known */
    char **out = NULL;
    size_t n = 9;
    rl_error_t err;
    assert_int_equal(event_correlate(&f.e, NULL, 0, NULL, 0, a, &out, &n, &err), RL_OK);
    assert_int_equal(n, 0);
}

static void test_correlate_sorting(void **state)
{
    rl_arena_t *a = *state;
    /* many risks sharing an asset, in scrambled order; the output strings are the arena's copies */
    enum { N = 40 };
    char idbuf[N][16];
    event_risk_t risks[N];
    static char *const shared[] = {"vpn"};
    for (size_t i = 0; i < N; i++) {
        size_t num = (i * 17) % N + 1; /* 17 is coprime with 40: a permutation of 1..40 */
        snprintf(idbuf[i], sizeof idbuf[i], "R-%zu", num);
        risks[i].risk_id = idbuf[i];
        risks[i].assets = shared;
        risks[i].nassets = 1;
    }
    fx_t f;
    fx_init(&f);
    f.e.n_risk_ids = f.e.n_controls = 0;
    f.assets[0] = "vpn";
    f.e.n_assets = 1;
    char **out = NULL;
    size_t n = 0;
    rl_error_t err;
    assert_int_equal(event_correlate(&f.e, risks, N, NULL, 0, a, &out, &n, &err), RL_OK);
    assert_int_equal(n, N);
    for (size_t i = 0; i < N; i++) {
        char want[16];
        snprintf(want, sizeof want, "R-%zu", i + 1);
        assert_string_equal(out[i], want);
        for (size_t k = 0; k < N; k++)
            assert_ptr_not_equal(out[i], idbuf[k]);
    }
}

/* --- reassessment ------------------------------------------------------------------------------- */

static void test_policy_defaults(void **state)
{
    (void)state;
    event_policy_t p;
    memset(&p, 0x7f, sizeof p);
    event_policy_defaults(&p);
    assert_int_equal(p.min_severity, SEV(HIGH));
    assert_int_equal(p.max_events, 5);
    assert_int_equal(p.window_days, 7);
    assert_int_equal(p.pull_review_days, 7);
}

static void test_reassessment_rule(void **state)
{
    (void)state;
    event_policy_t p;
    event_policy_defaults(&p);
    fx_t f;
    fx_init(&f);
    /* severity at or above the threshold, whatever the count */
    static const int want_sev[6] = {0, 0, 0, 0, 1, 1}; /* unspecified info low medium | high critical */
    for (int s = 0; s <= 5; s++) {
        f.e.severity = (Riskline__V1__Severity)s;
        if (event_triggers_reassessment(&f.e, 1, &p) != want_sev[s])
            fail_msg("severity %d with 1 event: expected %d", s, want_sev[s]);
    }
    /* count: more than max_events, this one included: 5 no, 6 yes */
    f.e.severity = SEV(LOW);
    assert_int_equal(event_triggers_reassessment(&f.e, 0, &p), 0);
    assert_int_equal(event_triggers_reassessment(&f.e, 5, &p), 0);
    assert_int_equal(event_triggers_reassessment(&f.e, 6, &p), 1);
    assert_int_equal(event_triggers_reassessment(&f.e, UINT32_MAX, &p), 1);
    /* a tenant threshold of medium */
    p.min_severity = SEV(MEDIUM);
    f.e.severity = SEV(MEDIUM);
    assert_int_equal(event_triggers_reassessment(&f.e, 1, &p), 1);
    f.e.severity = SEV(LOW);
    assert_int_equal(event_triggers_reassessment(&f.e, 1, &p), 0);
    /* critical only */
    p.min_severity = SEV(CRITICAL);
    f.e.severity = SEV(HIGH);
    assert_int_equal(event_triggers_reassessment(&f.e, 1, &p), 0);
    f.e.severity = SEV(CRITICAL);
    assert_int_equal(event_triggers_reassessment(&f.e, 1, &p), 1);
    /* severity rule off: only the count */
    p.min_severity = SEV(UNSPECIFIED);
    assert_int_equal(event_triggers_reassessment(&f.e, 5, &p), 0);
    assert_int_equal(event_triggers_reassessment(&f.e, 6, &p), 1);
    /* both off: never */
    p.max_events = 0;
    assert_int_equal(event_triggers_reassessment(&f.e, 0, &p), 0);
    assert_int_equal(event_triggers_reassessment(&f.e, UINT32_MAX, &p), 0);
    /* count off, severity on */
    p.min_severity = SEV(INFO);
    f.e.severity = SEV(INFO);
    assert_int_equal(event_triggers_reassessment(&f.e, 0, &p), 1);
    /* max_events 1: the second event in the window triggers */
    p.min_severity = SEV(UNSPECIFIED);
    p.max_events = 1;
    assert_int_equal(event_triggers_reassessment(&f.e, 1, &p), 0);
    assert_int_equal(event_triggers_reassessment(&f.e, 2, &p), 1);
}

static int64_t day(const char *s)
{
    int64_t d = 0;
    assert_int_equal(rl_date_parse(s, &d), 0);
    return d;
}

static void test_pulled_review_day(void **state)
{
    (void)state;
    event_policy_t p;
    event_policy_defaults(&p);
    int64_t today = day("2026-11-26");
    /* a review far away comes forward to today + 7 */
    assert_int_equal(event_pulled_review_day(day("2027-05-01"), today, &p), day("2026-12-03"));
    /* exactly today + 7, one day later, one day earlier */
    assert_int_equal(event_pulled_review_day(day("2026-12-03"), today, &p), day("2026-12-03"));
    assert_int_equal(event_pulled_review_day(day("2026-12-04"), today, &p), day("2026-12-03"));
    assert_int_equal(event_pulled_review_day(day("2026-12-02"), today, &p), day("2026-12-02"));
    /* an overdue review is never pushed back */
    assert_int_equal(event_pulled_review_day(day("2026-10-01"), today, &p), day("2026-10-01"));
    /* pull 0: today; across a year end and a leap day */
    p.pull_review_days = 0;
    assert_int_equal(event_pulled_review_day(day("2027-01-01"), today, &p), today);
    p.pull_review_days = 7;
    assert_int_equal(event_pulled_review_day(day("2028-06-01"), day("2028-02-25"), &p), day("2028-03-03"));
    assert_int_equal(event_pulled_review_day(day("2028-06-01"), day("2027-12-28"), &p), day("2028-01-04"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_ok),
        cmocka_unit_test(test_validate_rejects),
        cmocka_unit_test(test_validate_messages),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_severity_names),
        cmocka_unit_test_setup_teardown(test_correlate, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_correlate_sorting, setup_arena, teardown_arena),
        cmocka_unit_test(test_policy_defaults),
        cmocka_unit_test(test_reassessment_rule),
        cmocka_unit_test(test_pulled_review_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
