/* test_riskevent_json.c: JSON event input (common/rl_riskevent_json.c): every key mapped onto
 * RiskEvent, refusals naming the key (types, unknown and repeated keys, ranges, UTF-8, size), and
 * the kind/severity name table (common/rl_riskevent_names.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rl_limits.h"
#include "rl_riskevent_json.h"
#include "rl_riskevent_names.h"
#include "rl_time.h"
#include "unit_arena.h"

#define KIND(x) RISKLINE__V1__EVENT_KIND__EVENT_KIND_##x
#define SEV(x) RISKLINE__V1__SEVERITY__SEVERITY_##x

static Riskline__V1__RiskEvent *parse_ok(rl_arena_t *a, const char *json)
{
    Riskline__V1__RiskEvent *e = NULL;
    rl_error_t err;
    rl_error_clear(&err);
    rl_err_t rc = rl_riskevent_from_json(json, strlen(json), a, &e, &err);
    if (rc != RL_OK)
        fail_msg("%s: expected ok, got %s on \"%s\": %s", json, rl_strerror(rc), err.field, err.message);
    assert_non_null(e);
    return e;
}

static int64_t ts(const char *s)
{
    int64_t ms = 0;
    assert_int_equal(rl_ts_parse(s, &ms), 0);
    return ms;
}

/* --- mapping ------------------------------------------------------------------------------------ */

static void test_every_key(void **state)
{
    rl_arena_t *a = *state;
    const char *json = "{\"source\": \"siem-prod\", \"event_id\": \"INC-42\", \"kind\": \"incident\",\n"
                       " \"severity\": \"high\", \"occurred_at\": \"2026-11-26T10:00:00Z\",\n"
                       " \"summary\": \"Phishing wave\\nfinance\", \"risk_ids\": [\"R-1\", \"R-12\"],\n"
                       " \"assets\": [\"email\"], \"controls\": [\"A.8.7\", \"C-3\", \"A.5.1\"],\n"
                       " \"attributes\": {\"cve\": \"CVE-2026-1\", \"ticket\": \"\"}}\n";
    Riskline__V1__RiskEvent *e = parse_ok(a, json);
    assert_string_equal(e->source, "siem-prod");
    assert_string_equal(e->event_id, "INC-42");
    assert_int_equal(e->kind, KIND(INCIDENT));
    assert_int_equal(e->severity, SEV(HIGH));
    assert_int_equal(e->occurred_at_ms, ts("2026-11-26T10:00:00Z"));
    assert_string_equal(e->summary, "Phishing wave\nfinance");
    assert_int_equal(e->n_risk_ids, 2);
    assert_string_equal(e->risk_ids[0], "R-1");
    assert_string_equal(e->risk_ids[1], "R-12");
    assert_int_equal(e->n_assets, 1);
    assert_string_equal(e->assets[0], "email");
    assert_int_equal(e->n_controls, 3);
    assert_string_equal(e->controls[2], "A.5.1");
    assert_int_equal(e->n_attributes, 2);
    assert_string_equal(e->attributes[0]->key, "cve");
    assert_string_equal(e->attributes[0]->value, "CVE-2026-1");
    assert_string_equal(e->attributes[1]->key, "ticket");
    assert_string_equal(e->attributes[1]->value, "");
    assert_int_equal(e->measurement_case, RISKLINE__V1__RISK_EVENT__MEASUREMENT__NOT_SET);
    assert_int_equal(e->received_at_ms, 0);
    assert_int_equal(e->n_linked_risks, 0);
    assert_ptr_equal(e->base.descriptor, &riskline__v1__risk_event__descriptor);

    /* a measurement with occurred_at_ms and a value; names in other cases and spellings */
    e = parse_ok(a, "{\"source\":\"scanner\",\"event_id\":\"k1\",\"kind\":\"KRI_Measurement\",\"severity\":\"Info\","
                    "\"occurred_at_ms\":1767225600000,\"summary\":\"s\",\"attributes\":{\"metric\":\"K-3\"},"
                    "\"value\":-12.5e1}");
    assert_int_equal(e->kind, KIND(KRI_MEASUREMENT));
    assert_int_equal(e->severity, SEV(INFO));
    assert_int_equal(e->occurred_at_ms, 1767225600000LL);
    assert_int_equal(e->measurement_case, RISKLINE__V1__RISK_EVENT__MEASUREMENT_VALUE);
    assert_true(e->value == -125.0);
    e = parse_ok(a, "{\"kind\":\"threat-intelligence\",\"value\":0}");
    assert_int_equal(e->kind, KIND(THREAT_INTEL));
    assert_int_equal(e->measurement_case, RISKLINE__V1__RISK_EVENT__MEASUREMENT_VALUE);
    assert_true(e->value == 0.0);

    /* a timestamp with an offset and milliseconds; the smallest and largest exact ms */
    e = parse_ok(a, "{\"occurred_at\":\"2026-11-26T11:00:00.250+01:00\"}");
    assert_int_equal(e->occurred_at_ms, ts("2026-11-26T10:00:00.250Z"));
    e = parse_ok(a, "{\"occurred_at_ms\":1}");
    assert_int_equal(e->occurred_at_ms, 1);
    e = parse_ok(a, "{\"occurred_at_ms\":9007199254740992}");
    assert_int_equal(e->occurred_at_ms, 9007199254740992LL);
    e = parse_ok(a, "{\"occurred_at_ms\":1.7672256e12}"); /* an integer, in exponent notation */
    assert_int_equal(e->occurred_at_ms, 1767225600000LL);
}

static void test_keys_left_out(void **state)
{
    rl_arena_t *a = *state;
    /* the mapping is field by field; what is required is the monitor's check (event_validate) */
    Riskline__V1__RiskEvent *e = parse_ok(a, " \t\r\n{}\n\n");
    assert_string_equal(e->source, "");
    assert_string_equal(e->event_id, "");
    assert_int_equal(e->kind, KIND(UNSPECIFIED));
    assert_int_equal(e->severity, SEV(UNSPECIFIED));
    assert_int_equal(e->occurred_at_ms, 0);
    assert_int_equal(e->n_risk_ids + e->n_assets + e->n_controls + e->n_attributes, 0);
    assert_int_equal(e->measurement_case, RISKLINE__V1__RISK_EVENT__MEASUREMENT__NOT_SET);
    /* empty lists and objects */
    e = parse_ok(a, "{\"risk_ids\":[],\"assets\":[],\"controls\":[],\"attributes\":{}}");
    assert_int_equal(e->n_risk_ids + e->n_assets + e->n_controls + e->n_attributes, 0);
}

static void test_unicode(void **state)
{
    rl_arena_t *a = *state;
    /* escapes decode to UTF-8, raw UTF-8 passes through */
    Riskline__V1__RiskEvent *e =
        parse_ok(a, "{\"summary\":\"caf\\u00e9 \\ud83d\\ude00 \xe2\x82\xac\",\"assets\":[\"Geb\xc3\xa4ude\"]}");
    assert_string_equal(e->summary, "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac");
    assert_string_equal(e->assets[0], "Geb\xc3\xa4ude");
    /* an escaped backslash before "u0000" is text, not a NUL */
    e = parse_ok(a, "{\"summary\":\"C:\\\\u0000\"}");
    assert_string_equal(e->summary, "C:\\u0000");
    e = parse_ok(a, "{\"summary\":\"\\\"\\u0041\"}");
    assert_string_equal(e->summary, "\"A");
}

/* --- refusals ----------------------------------------------------------------------------------- */

static const struct {
    const char *json;
    const char *field;
    const char *message; /* a part of it */
} bad[] = {
    /* not one JSON object */
    {"", "", "is empty"},
    {"   ", "", "not valid JSON"},
    {"{", "", "not valid JSON"},
    {"{\"source\":\"a\",}", "", "not valid JSON"},
    {"{\"source\":'a'}", "", "not valid JSON (at byte 10)"},
    {"[]", "", "must be a JSON object, got an array"},
    {"\"text\"", "", "got a string"},
    {"42", "", "got a number"},
    {"null", "", "got null"},
    {"{} {}", "", "text after the JSON object (at byte 3)"},
    {"{}x", "", "text after the JSON object"},
    {"{\"summary\":\"a\\u0000b\"}", "", "\\u0000"},
    {"{\"sum\\u0000mary\":\"ab\"}", "", "\\u0000"},
    /* keys */
    {"{\"colour\":\"red\"}", "colour", "unknown key \"colour\" (source, event_id, kind, severity, occurred_at"},
    {"{\"Source\":\"a\"}", "Source", "unknown key"},
    {"{\"\":\"a\"}", "", "unknown key \"\""},
    {"{\"received_at_ms\":1}", "received_at_ms", "unknown key"},
    {"{\"linked_risks\":[]}", "linked_risks", "unknown key"},
    {"{\"a\\\"b\\n\":1}", "a?b?", "unknown key \"a?b?\""},
    {"{\"abcdefghijklmnopqrstuvwxyz0123456789\":1}", "abcdefghijklmnopqrstuvwxyz012345...", "unknown key"},
    {"{\"source\":\"a\",\"source\":\"b\"}", "source", "given twice"},
    /* types */
    {"{\"source\":42}", "source", "must be a string, got a number"},
    {"{\"source\":null}", "source", "must be a string, got null"},
    {"{\"event_id\":true}", "event_id", "must be a string, got a boolean"},
    {"{\"summary\":[\"a\"]}", "summary", "must be a string, got an array"},
    {"{\"kind\":1}", "kind", "must be a string, got a number"},
    {"{\"severity\":{}}", "severity", "must be a string, got an object"},
    {"{\"occurred_at\":1767225600000}", "occurred_at", "must be a timestamp string"},
    {"{\"occurred_at_ms\":\"1767225600000\"}", "occurred_at_ms", "must be a number (Unix ms), got a string"},
    {"{\"value\":\"42\"}", "value", "must be a number, got a string"},
    {"{\"value\":null}", "value", "got null"},
    {"{\"risk_ids\":\"R-1\"}", "risk_ids", "must be an array of strings, got a string"},
    {"{\"risk_ids\":[\"R-1\",\"R-2\",3]}", "risk_ids[2]", "must be a string, got a number"},
    {"{\"assets\":[[\"email\"]]}", "assets[0]", "must be a string, got an array"},
    {"{\"controls\":{\"A.8.7\":1}}", "controls", "must be an array of strings, got an object"},
    {"{\"controls\":[null]}", "controls[0]", "got null"},
    {"{\"attributes\":[\"metric\",\"K-3\"]}", "attributes", "must be an object of strings, got an array"},
    {"{\"attributes\":{\"metric\":3}}", "attributes.metric", "must be a string, got a number"},
    {"{\"attributes\":{\"a\":\"1\",\"a\":\"2\"}}", "attributes.a", "given twice"},
    /* names */
    {"{\"kind\":\"foo\"}", "kind",
     "unknown kind \"foo\" (incident, vulnerability, threat_intel, audit_finding, nonconformity, kri, control_test, "
     "change)"},
    {"{\"kind\":\"\"}", "kind", "unknown kind \"\""},
    {"{\"kind\":\"unspecified\"}", "kind", "unknown kind"},
    {"{\"kind\":\"incident \"}", "kind", "unknown kind"},
    {"{\"severity\":\"severe\"}", "severity", "unknown severity \"severe\" (info, low, medium, high, critical)"},
    /* times and numbers out of range */
    {"{\"occurred_at\":\"2026-11-26\"}", "occurred_at", "must be a timestamp like"},
    {"{\"occurred_at\":\"2026-11-26 10:00:00Z\"}", "occurred_at", "must be a timestamp like"},
    {"{\"occurred_at\":\"2026-02-30T10:00:00Z\"}", "occurred_at", "must be a timestamp like"},
    {"{\"occurred_at\":\"1970-01-01T00:00:00Z\"}", "occurred_at", "after 1970"},
    {"{\"occurred_at\":\"1969-12-31T23:59:59Z\"}", "occurred_at", "after 1970"},
    {"{\"occurred_at_ms\":0}", "occurred_at_ms", "integer 1..2^53"},
    {"{\"occurred_at_ms\":-1}", "occurred_at_ms", "integer 1..2^53"},
    {"{\"occurred_at_ms\":1.5}", "occurred_at_ms", "integer 1..2^53"},
    {"{\"occurred_at_ms\":9007199254740994}", "occurred_at_ms", "integer 1..2^53"},
    {"{\"occurred_at_ms\":1e400}", "occurred_at_ms", "integer 1..2^53"},
    {"{\"occurred_at_ms\":-1e400}", "occurred_at_ms", "integer 1..2^53"},
    {"{\"occurred_at\":\"2026-11-26T10:00:00Z\",\"occurred_at_ms\":1}", "occurred_at_ms", "not both"},
    {"{\"occurred_at_ms\":1,\"occurred_at\":\"2026-11-26T10:00:00Z\"}", "occurred_at", "not both"},
    {"{\"value\":1e400}", "value", "out of range"},
    {"{\"value\":-1e999}", "value", "out of range"},
    /* UTF-8 */
    {"{\"source\":\"a\xff\"}", "source", "not valid UTF-8"},
    {"{\"summary\":\"\xc0\xaf\"}", "summary", "not valid UTF-8"},
    {"{\"risk_ids\":[\"R-1\",\"\xed\xa0\x80\"]}", "risk_ids[1]", "not valid UTF-8"},
    {"{\"attributes\":{\"k\":\"\xe2\x82\"}}", "attributes.k", "not valid UTF-8"},
    {"{\"attributes\":{\"k\xff\":\"v\"}}", "attributes.k?", "key is not valid UTF-8"},
    {"{\"summary\":\"\\ud800\"}", "", "not valid JSON"}, /* a lone surrogate */
};

static void test_refusals(void **state)
{
    rl_arena_t *a = *state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        Riskline__V1__RiskEvent *e = (Riskline__V1__RiskEvent *)&e; /* must be reset */
        rl_error_t err;
        rl_error_clear(&err);
        rl_err_t rc = rl_riskevent_from_json(bad[i].json, strlen(bad[i].json), a, &e, &err);
        if (rc != RL_ERR_INVALID || strcmp(err.field, bad[i].field) != 0 || !strstr(err.message, bad[i].message))
            fail_msg("#%zu %s: expected invalid_argument on \"%s\" saying \"%s\", got %s on \"%s\": %s", i,
                     bad[i].json, bad[i].field, bad[i].message, rl_strerror(rc), err.field, err.message);
        assert_null(e);
    }
}

static void test_nul_byte_and_length(void **state)
{
    rl_arena_t *a = *state;
    Riskline__V1__RiskEvent *e = NULL;
    rl_error_t err;
    /* a raw NUL inside the text is refused, not a place where the text silently ends */
    static const char nul[] = "{\"summary\":\"a\0b\"}";
    assert_int_equal(rl_riskevent_from_json(nul, sizeof nul - 1, a, &e, &err), RL_ERR_INVALID);
    assert_non_null(strstr(err.message, "NUL byte at byte 13"));
    static const char nul_after[] = "{}\0{\"x\":1}";
    assert_int_equal(rl_riskevent_from_json(nul_after, sizeof nul_after - 1, a, &e, &err), RL_ERR_INVALID);
    /* only `len` bytes count: what follows is not read */
    const char *two = "{\"source\":\"a\"}{\"source\":\"b\"}";
    assert_int_equal(rl_riskevent_from_json(two, 14, a, &e, &err), RL_OK);
    assert_string_equal(e->source, "a");
    assert_int_equal(rl_riskevent_from_json(two, 13, a, &e, &err), RL_ERR_INVALID);
    assert_null(e);
    assert_int_equal(rl_riskevent_from_json(NULL, 0, a, &e, &err), RL_ERR_INVALID);
}

static void test_size_limit(void **state)
{
    rl_arena_t *a = *state;
    Riskline__V1__RiskEvent *e = NULL;
    rl_error_t err;
    size_t n = RL_MAX_FRAME_BYTES + 1;
    char *text = malloc(n);
    assert_non_null(text);
    /* exactly the limit: a valid object padded with spaces */
    memset(text, ' ', n);
    memcpy(text, "{\"source\":\"a\"}", 14);
    assert_int_equal(rl_riskevent_from_json(text, RL_MAX_FRAME_BYTES, a, &e, &err), RL_OK);
    assert_string_equal(e->source, "a");
    /* one byte more: too large, before parsing (the same text, valid JSON, is not looked at) */
    rl_error_clear(&err);
    assert_int_equal(rl_riskevent_from_json(text, n, a, &e, &err), RL_ERR_TOO_LARGE);
    assert_null(e);
    assert_non_null(strstr(err.message, "over the limit of 1048576"));
    /* nesting deeper than cJSON's limit is refused, not a stack overflow */
    size_t depth = 100000, o = 0;
    o += (size_t)snprintf(text, n, "{\"risk_ids\":");
    for (size_t i = 0; i < depth; i++)
        text[o++] = '[';
    for (size_t i = 0; i < depth; i++)
        text[o++] = ']';
    text[o++] = '}';
    assert_int_equal(rl_riskevent_from_json(text, o, a, &e, &err), RL_ERR_INVALID);
    assert_non_null(strstr(err.message, "not valid JSON"));
    free(text);
}

/* --- the name table ------------------------------------------------------------------------------ */

/* The lists in error messages are the canonical names, in enum order, and every one parses back. */
static void check_list(const char *list, int (*parse)(const char *), const char *(*name)(int), int count)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    int v = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        v++;
        assert_int_equal(parse(tok), v);
        assert_string_equal(name(v), tok);
    }
    assert_int_equal(v, count);
    assert_string_equal(name(0), "unspecified");
    assert_string_equal(name(count + 1), "unknown");
    assert_string_equal(name(-1), "unknown");
}

static void test_name_table(void **state)
{
    (void)state;
    check_list(rl_riskevent_kind_list(), rl_riskevent_kind_parse, rl_riskevent_kind_name, 8);
    check_list(rl_riskevent_severity_list(), rl_riskevent_severity_parse, rl_riskevent_severity_name, 5);
    /* the last enum values this build knows are the last in the lists */
    assert_int_equal(KIND(CHANGE), 8);
    assert_int_equal(SEV(CRITICAL), 5);
    assert_int_equal(rl_riskevent_kind_parse("threat-intelligence"), KIND(THREAT_INTEL));
    assert_int_equal(rl_riskevent_kind_parse("kri_measurement"), KIND(KRI_MEASUREMENT));
    assert_int_equal(rl_riskevent_kind_parse("CONTROL_TEST"), KIND(CONTROL_TEST));
    assert_int_equal(rl_riskevent_kind_parse(NULL), -1);
    assert_int_equal(rl_riskevent_severity_parse("Medium"), SEV(MEDIUM));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_key, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_keys_left_out, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_unicode, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_refusals, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_nul_byte_and_length, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_size_limit, setup_arena, teardown_arena),
        cmocka_unit_test(test_name_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
