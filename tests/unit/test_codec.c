/* test_codec.c: Envelope encode/decode, frame limits, header rules, message diff and JSON rendering
 * (common/rl_codec.c, common/rl_json.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rl_codec.h"
#include "riskline/v1/monitor.pb-c.h"
#include "rl_ingest.h"
#include "rl_ids.h"
#include "rl_json.h"
#include "rl_limits.h"
#include "unit_arena.h"

static rl_envelope_t *header(rl_arena_t *a, uint32_t schema, const char *request_id, const char *tenant)
{
    rl_envelope_t *env = rl_codec_envelope_new(a);
    assert_non_null(env);
    env->schema_version = schema;
    env->request_id = rl_arena_strdup(a, request_id);
    env->tenant = rl_arena_strdup(a, tenant);
    return env;
}

static void expect_malformed(rl_arena_t *a, const uint8_t *bytes, size_t len, const char *what)
{
    rl_envelope_t *out = (rl_envelope_t *)(uintptr_t)1;
    rl_error_t err;
    rl_error_clear(&err);
    rl_err_t rc = rl_codec_decode_envelope(bytes, len, a, &out, &err);
    if (rc != RL_ERR_MALFORMED)
        fail_msg("%s: expected malformed, got %s", what, rl_strerror(rc));
    assert_null(out);
    assert_int_equal(err.code, RL_ERR_MALFORMED);
    assert_string_equal(err.field, "frame");
}

/* --- encode / decode ------------------------------------------------------------------------- */

static void test_envelope_round_trip_risk_create(void **state)
{
    rl_arena_t *a = *state;
    rl_envelope_t *env = header(a, 1, "req-1.a_b", "acme-eu");

    Riskline__V1__Rating inherent = RISKLINE__V1__RATING__INIT, residual = RISKLINE__V1__RATING__INIT;
    inherent.likelihood = 4;
    inherent.impact = 3;
    residual.likelihood = 2;
    residual.impact = 1;
    char *assets[] = {"crm-db", "payroll \xe2\x82\xac"};
    Riskline__V1__Risk risk = RISKLINE__V1__RISK__INIT;
    risk.title = "Supplier breach";
    risk.description = "line one\nline two";
    risk.owner = "alice";
    risk.n_assets = 2;
    risk.assets = assets;
    risk.inherent = &inherent;
    risk.residual = &residual;
    risk.treatment = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
    risk.status = RISKLINE__V1__RISK_STATUS__RISK_STATUS_IN_TREATMENT;
    risk.confidentiality = 1;
    risk.next_review = "2026-06-30";
    risk.version = 9007199254740993ULL; /* 2^53 + 1: survives as an integer on the wire */
    risk.created_at_ms = -5;
    Riskline__V1__RiskCreate create = RISKLINE__V1__RISK_CREATE__INIT;
    create.risk = &risk;
    env->body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_CREATE;
    env->risk_create = &create;

    size_t len = 0;
    uint8_t *bytes = rl_codec_pack(&env->base, a, &len);
    assert_non_null(bytes);
    assert_int_equal(len, protobuf_c_message_get_packed_size(&env->base));
    assert_true(len > 40);

    rl_arena_t *b = rl_arena_new(0);
    assert_non_null(b);
    rl_envelope_t *out = NULL;
    rl_error_t err;
    rl_error_clear(&err);
    assert_int_equal(rl_codec_decode_envelope(bytes, len, b, &out, &err), RL_OK);
    assert_non_null(out);
    assert_true(rl_arena_used(b) > 0); /* decoded into the arena */
    assert_int_equal(out->schema_version, 1);
    assert_string_equal(out->request_id, "req-1.a_b");
    assert_string_equal(out->tenant, "acme-eu");
    assert_null(out->status);
    assert_int_equal(out->body_case, RISKLINE__V1__ENVELOPE__BODY_RISK_CREATE);
    assert_non_null(out->risk_create);
    const Riskline__V1__Risk *r = out->risk_create->risk;
    assert_non_null(r);
    assert_string_equal(r->title, "Supplier breach");
    assert_string_equal(r->description, "line one\nline two");
    assert_string_equal(r->owner, "alice");
    assert_string_equal(r->category, "");
    assert_int_equal(r->n_assets, 2);
    assert_string_equal(r->assets[0], "crm-db");
    assert_string_equal(r->assets[1], "payroll \xe2\x82\xac");
    assert_non_null(r->inherent);
    assert_int_equal(r->inherent->likelihood, 4);
    assert_int_equal(r->inherent->impact, 3);
    assert_non_null(r->residual);
    assert_int_equal(r->residual->likelihood, 2);
    assert_int_equal(r->residual->impact, 1);
    assert_null(r->target);
    assert_int_equal(r->treatment, RISKLINE__V1__TREATMENT__TREATMENT_REDUCE);
    assert_int_equal(r->status, RISKLINE__V1__RISK_STATUS__RISK_STATUS_IN_TREATMENT);
    assert_true(r->confidentiality);
    assert_false(r->integrity);
    assert_string_equal(r->next_review, "2026-06-30");
    assert_true(r->version == 9007199254740993ULL);
    assert_int_equal(r->created_at_ms, -5);
    assert_int_equal(rl_codec_check_header(out, &err), RL_OK);

    /* re-encoding the decoded message gives the same bytes */
    size_t len2 = 0;
    uint8_t *again = rl_codec_pack(&out->base, b, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(again, bytes, len);
    rl_arena_destroy(&b);
}

static void test_status_round_trip(void **state)
{
    rl_arena_t *a = *state;
    rl_envelope_t *reply = header(a, 1, "r1", "default");
    rl_error_t err;
    rl_error_clear(&err);
    rl_error_set(&err, RL_ERR_INVALID, "risk.title", "is required");
    rl_codec_set_status(reply, a, RL_ERR_INVALID, &err);
    assert_non_null(reply->status);

    size_t len = 0;
    uint8_t *bytes = rl_codec_pack(&reply->base, a, &len);
    rl_envelope_t *out = NULL;
    assert_int_equal(rl_codec_decode_envelope(bytes, len, a, &out, NULL), RL_OK);
    assert_non_null(out->status);
    assert_int_equal(out->status->code, RISKLINE__V1__CODE__CODE_INVALID_ARGUMENT);
    assert_string_equal(out->status->message, "is required");
    assert_string_equal(out->status->field, "risk.title");

    /* without detail: the code's name, empty field */
    rl_codec_set_status(reply, a, RL_ERR_NOT_FOUND, NULL);
    assert_int_equal(reply->status->code, RISKLINE__V1__CODE__CODE_NOT_FOUND);
    assert_string_equal(reply->status->message, "not_found");
    assert_string_equal(reply->status->field, "");
}

/* Found by fuzz_envelope_register: a message quoting client bytes (a key request's role "\x87iewer")
 * carried invalid UTF-8 to the wire, which other languages' protobuf refuse to decode. */
static void test_status_is_utf8(void **state)
{
    rl_arena_t *a = *state;
    rl_envelope_t *reply = header(a, 1, "r1", "default");
    rl_error_t err;
    rl_error_clear(&err);
    rl_error_set(&err, RL_ERR_INVALID, "roles\xff", "\"\x87iewer\" is not valid; caf\xc3\xa9 \xe2\x82");
    rl_codec_set_status(reply, a, RL_ERR_INVALID, &err);
    assert_string_equal(reply->status->message, "\"?iewer\" is not valid; caf\xc3\xa9 ??");
    assert_string_equal(reply->status->field, "roles?");
    assert_true(rl_utf8_valid(reply->status->message, strlen(reply->status->message)));
}

static void test_decode_empty_frame(void **state)
{
    rl_arena_t *a = *state;
    /* zero bytes is a valid (all-default) Envelope; the header check then refuses it */
    rl_envelope_t *out = NULL;
    rl_error_t err;
    rl_error_clear(&err);
    assert_int_equal(rl_codec_decode_envelope("", 0, a, &out, &err), RL_OK);
    assert_non_null(out);
    assert_int_equal(out->body_case, RISKLINE__V1__ENVELOPE__BODY__NOT_SET);
    assert_int_equal(rl_codec_check_header(out, &err), RL_ERR_INVALID);
    assert_string_equal(err.field, "request_id");
}

static void test_decode_malformed(void **state)
{
    rl_arena_t *a = *state;
    /* field 1 with wire type 7 (no such wire type) */
    static const uint8_t wt7[] = {0x0f, 0x01};
    expect_malformed(a, wt7, sizeof wt7, "wire type 7");
    /* field number 0 */
    static const uint8_t field0[] = {0x00, 0x01};
    expect_malformed(a, field0, sizeof field0, "field 0");
    /* tenant (field 3, length-delimited) claims 5 bytes, has 1 */
    static const uint8_t trunc_ld[] = {0x12, 0x01, 'r', 0x1a, 0x05, 'a'};
    expect_malformed(a, trunc_ld, sizeof trunc_ld, "truncated length-delimited");
    /* schema_version varint cut off after a continuation byte */
    static const uint8_t trunc_varint[] = {0x08, 0x80};
    expect_malformed(a, trunc_varint, sizeof trunc_varint, "truncated varint");
    /* a tag with no value */
    static const uint8_t tag_only[] = {0x08};
    expect_malformed(a, tag_only, sizeof tag_only, "tag only");
    /* varint longer than 10 bytes */
    static const uint8_t long_varint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    expect_malformed(a, long_varint, sizeof long_varint, "overlong varint");
    /* risk_create (field 20) whose embedded Risk is itself truncated: title claims 9 bytes */
    static const uint8_t nested[] = {0xa2, 0x01, 0x05, 0x0a, 0x03, 0x12, 0x09, 'x'};
    expect_malformed(a, nested, sizeof nested, "truncated nested message");
    /* deprecated group wire types 3/4 on a known field */
    static const uint8_t group[] = {0x0b, 0x0c};
    expect_malformed(a, group, sizeof group, "group on field 1");
    /* plain text is not an Envelope */
    static const char text[] = "GET / HTTP/1.1\r\n\r\n";
    expect_malformed(a, (const uint8_t *)text, sizeof text - 1, "text");
    /* and the arena is still usable afterwards */
    assert_non_null(rl_arena_alloc(a, 16));
}

/* An Envelope that is nothing but one unknown length-delimited field 99 of the given total size. */
static uint8_t *padded_frame(size_t total)
{
    uint8_t *buf = malloc(total);
    assert_non_null(buf);
    size_t payload = total - 5;
    assert_true(payload >= (1u << 14) && payload < (1u << 21)); /* 3-byte length varint */
    buf[0] = 0x9a; /* (99 << 3) | 2 = 794 */
    buf[1] = 0x06;
    buf[2] = (uint8_t)(0x80 | (payload & 0x7f));
    buf[3] = (uint8_t)(0x80 | ((payload >> 7) & 0x7f));
    buf[4] = (uint8_t)(payload >> 14);
    memset(buf + 5, 'p', payload);
    return buf;
}

static void test_decode_too_large(void **state)
{
    rl_arena_t *a = *state;
    /* exactly at the limit: decodes */
    uint8_t *at = padded_frame(RL_MAX_FRAME_BYTES);
    rl_envelope_t *out = NULL;
    rl_error_t err;
    rl_error_clear(&err);
    assert_int_equal(rl_codec_decode_envelope(at, RL_MAX_FRAME_BYTES, a, &out, &err), RL_OK);
    assert_non_null(out);
    assert_int_equal(out->body_case, RISKLINE__V1__ENVELOPE__BODY__NOT_SET);
    free(at);

    /* one byte over: refused before decoding (the arena hands out nothing) */
    rl_arena_reset(a);
    uint8_t *over = padded_frame(RL_MAX_FRAME_BYTES + 1);
    out = (rl_envelope_t *)(uintptr_t)1;
    rl_error_clear(&err);
    assert_int_equal(rl_codec_decode_envelope(over, RL_MAX_FRAME_BYTES + 1, a, &out, &err), RL_ERR_TOO_LARGE);
    assert_null(out);
    assert_int_equal(err.code, RL_ERR_TOO_LARGE);
    assert_string_equal(err.field, "frame");
    assert_int_equal(rl_arena_used(a), 0);
    free(over);

    /* the size check does not even look at the bytes */
    out = (rl_envelope_t *)(uintptr_t)1;
    assert_int_equal(rl_codec_decode_envelope(NULL, (size_t)RL_HARD_FRAME_BYTES, a, &out, &err), RL_ERR_TOO_LARGE);
    assert_null(out);

    /* rl_codec_unpack honours its own max_len */
    static const uint8_t ping[] = {0x08, 0x01};
    assert_null(rl_codec_unpack(&riskline__v1__envelope__descriptor, ping, sizeof ping, 1, a));
    assert_non_null(rl_codec_unpack(&riskline__v1__envelope__descriptor, ping, sizeof ping, 2, a));
}

static void test_check_header(void **state)
{
    rl_arena_t *a = *state;
    rl_error_t err;

    rl_error_clear(&err);
    assert_int_equal(rl_codec_check_header(header(a, 1, "abc", "default"), &err), RL_OK);
    assert_int_equal(rl_codec_check_header(header(a, 0, "abc", "default"), &err), RL_OK); /* 0 = 1 */

    rl_error_clear(&err);
    assert_int_equal(rl_codec_check_header(header(a, 2, "abc", "default"), &err), RL_ERR_UNSUPPORTED);
    assert_int_equal(err.code, RL_ERR_UNSUPPORTED);
    assert_string_equal(err.field, "schema_version");

    rl_error_clear(&err);
    assert_int_equal(rl_codec_check_header(header(a, 1, "abc", "Bad Tenant"), &err), RL_ERR_INVALID);
    assert_string_equal(err.field, "tenant");
    rl_error_clear(&err);
    assert_int_equal(rl_codec_check_header(header(a, 1, "abc", ""), &err), RL_ERR_INVALID);
    assert_string_equal(err.field, "tenant");

    rl_error_clear(&err);
    assert_int_equal(rl_codec_check_header(header(a, 1, "", "default"), &err), RL_ERR_INVALID);
    assert_string_equal(err.field, "request_id");
    char long_id[RL_MAX_REQUEST_ID + 2];
    memset(long_id, 'x', RL_MAX_REQUEST_ID + 1);
    long_id[RL_MAX_REQUEST_ID + 1] = '\0';
    rl_error_clear(&err);
    assert_int_equal(rl_codec_check_header(header(a, 1, long_id, "default"), &err), RL_ERR_INVALID);
    assert_string_equal(err.field, "request_id");
    rl_error_clear(&err);
    assert_int_equal(rl_codec_check_header(header(a, 1, "a b", "default"), &err), RL_ERR_INVALID);
    assert_string_equal(err.field, "request_id");
}

static void test_unknown_body_from_newer_peer(void **state)
{
    rl_arena_t *a = *state;
    /* schema 1, request_id "r1", tenant "t1", then field 99 (length-delimited, 3 bytes) and a
     * varint in the reserved range (field 5) */
    static const uint8_t frame[] = {0x08, 0x01, 0x12, 0x02, 'r', '1', 0x1a, 0x02, 't', '1',
                                    0x9a, 0x06, 0x03, 0x0a, 0x01, 'x', 0x28, 0x07};
    rl_envelope_t *out = NULL;
    rl_error_t err;
    rl_error_clear(&err);
    assert_int_equal(rl_codec_decode_envelope(frame, sizeof frame, a, &out, &err), RL_OK);
    assert_non_null(out);
    assert_int_equal(out->body_case, RISKLINE__V1__ENVELOPE__BODY__NOT_SET);
    assert_int_equal(out->schema_version, 1);
    assert_string_equal(out->request_id, "r1");
    assert_string_equal(out->tenant, "t1");
    assert_int_equal(rl_codec_check_header(out, &err), RL_OK);
    /* unknown fields are kept, not lost */
    assert_int_equal(out->base.n_unknown_fields, 2);
}

/* --- diff ------------------------------------------------------------------------------------ */

static const Riskline__V1__FieldChange *find_change(Riskline__V1__FieldChange **list, int n, const char *field)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i]->field, field) == 0)
            return list[i];
    return NULL;
}

static void test_diff_risks(void **state)
{
    rl_arena_t *a = *state;
    Riskline__V1__Rating ra = RISKLINE__V1__RATING__INIT, rb = RISKLINE__V1__RATING__INIT;
    ra.likelihood = 2;
    ra.impact = 3;
    rb.likelihood = 4;
    rb.impact = 3;
    char *assets_b[] = {"db"};
    Riskline__V1__Risk before = RISKLINE__V1__RISK__INIT, after = RISKLINE__V1__RISK__INIT;
    before.id = after.id = "R-1";
    before.title = "a";
    after.title = "b";
    before.owner = after.owner = "alice";
    before.description = after.description = "same";
    before.inherent = &ra;
    after.inherent = &rb;
    after.n_assets = 1;
    after.assets = assets_b;
    before.version = 1;
    after.version = 2;
    before.updated_by = "x";
    after.updated_by = "y";
    before.inherent_score = 6;
    after.inherent_score = 12;

    static const char *const skip[] = {"version", "updated_by", "inherent_score", NULL};
    Riskline__V1__FieldChange **changes = NULL;
    int n = rl_codec_diff(&before.base, &after.base, skip, a, &changes);
    assert_int_equal(n, 3);
    const Riskline__V1__FieldChange *c = find_change(changes, n, "title");
    assert_non_null(c);
    assert_string_equal(c->from, "a");
    assert_string_equal(c->to, "b");
    c = find_change(changes, n, "inherent");
    assert_non_null(c);
    assert_string_equal(c->from, "{\"likelihood\":2,\"impact\":3}");
    assert_string_equal(c->to, "{\"likelihood\":4,\"impact\":3}");
    c = find_change(changes, n, "assets");
    assert_non_null(c);
    assert_string_equal(c->from, "[]");
    assert_string_equal(c->to, "[\"db\"]");
    assert_null(find_change(changes, n, "description"));
    assert_null(find_change(changes, n, "version"));
    assert_null(find_change(changes, n, "updated_by"));
    /* changes come in field-number order */
    assert_string_equal(changes[0]->field, "title");
    assert_string_equal(changes[1]->field, "assets");
    assert_string_equal(changes[2]->field, "inherent");

    /* without a skip list the bookkeeping fields show up too */
    n = rl_codec_diff(&before.base, &after.base, NULL, a, &changes);
    assert_int_equal(n, 6);
    c = find_change(changes, n, "version");
    assert_non_null(c);
    assert_string_equal(c->from, "1");
    assert_string_equal(c->to, "2");
    c = find_change(changes, n, "updated_by");
    assert_non_null(c);
    assert_string_equal(c->from, "x");
    assert_string_equal(c->to, "y");
    c = find_change(changes, n, "inherent_score");
    assert_non_null(c);
    assert_string_equal(c->from, "6");
    assert_string_equal(c->to, "12");

    /* identical messages: nothing */
    assert_int_equal(rl_codec_diff(&after.base, &after.base, NULL, a, &changes), 0);
}

/* A double that is NaN or infinite (input checks refuse them, a peer may still send them) renders
 * as the proto3 JSON strings, and a message with one differs from nothing, itself included: the
 * fuzzer found a NaN threshold diffed as "null -> null". */
static void test_json_and_diff_of_non_finite(void **state)
{
    rl_arena_t *a = *state;
    Riskline__V1__Metric m = RISKLINE__V1__METRIC__INIT;
    m.id = "K-1";
    m.breach = NAN;
    m.warning = INFINITY;
    m.target = -INFINITY;
    cJSON *j = rl_json_from_message(&m.base);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "breach")->valuestring, "NaN");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "warning")->valuestring, "Infinity");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "target")->valuestring, "-Infinity");
    cJSON_Delete(j);
    Riskline__V1__FieldChange **changes = NULL;
    assert_int_equal(rl_codec_diff(&m.base, &m.base, NULL, a, &changes), 0);
    Riskline__V1__Metric m2 = m;
    m2.breach = 80;
    assert_int_equal(rl_codec_diff(&m.base, &m2.base, NULL, a, &changes), 1);
    assert_string_equal(changes[0]->from, "NaN");
    assert_string_equal(changes[0]->to, "80");
}

static void test_diff_enums_bools_and_absent_messages(void **state)
{
    rl_arena_t *a = *state;
    Riskline__V1__Rating res = RISKLINE__V1__RATING__INIT;
    res.likelihood = 1;
    res.impact = 2;
    Riskline__V1__Risk before = RISKLINE__V1__RISK__INIT, after = RISKLINE__V1__RISK__INIT;
    after.treatment = RISKLINE__V1__TREATMENT__TREATMENT_TRANSFER;
    after.status = RISKLINE__V1__RISK_STATUS__RISK_STATUS_TREATMENT_PLANNED;
    after.availability = 1;
    after.residual = &res;
    Riskline__V1__FieldChange **changes = NULL;
    int n = rl_codec_diff(&before.base, &after.base, NULL, a, &changes);
    assert_int_equal(n, 4);
    const Riskline__V1__FieldChange *c = find_change(changes, n, "treatment");
    assert_non_null(c);
    assert_string_equal(c->from, "unspecified");
    assert_string_equal(c->to, "transfer");
    c = find_change(changes, n, "status");
    assert_non_null(c);
    assert_string_equal(c->from, "unspecified");
    assert_string_equal(c->to, "treatment_planned");
    c = find_change(changes, n, "availability");
    assert_non_null(c);
    assert_string_equal(c->from, "false");
    assert_string_equal(c->to, "true");
    c = find_change(changes, n, "residual");
    assert_non_null(c);
    assert_string_equal(c->from, "null");
    assert_string_equal(c->to, "{\"likelihood\":1,\"impact\":2}");
}

static void test_field_text(void **state)
{
    rl_arena_t *a = *state;
    Riskline__V1__Rating r = RISKLINE__V1__RATING__INIT;
    r.likelihood = 5;
    r.impact = 1;
    Riskline__V1__Risk risk = RISKLINE__V1__RISK__INIT;
    risk.title = "quote \" and \\";
    risk.inherent = &r;
    risk.inherent_level = RISKLINE__V1__LEVEL__LEVEL_MEDIUM;
    const ProtobufCMessageDescriptor *d = &riskline__v1__risk__descriptor;
    assert_string_equal(rl_codec_field_text(&risk.base, protobuf_c_message_descriptor_get_field_by_name(d, "title"), a),
                        "quote \" and \\");
    assert_string_equal(rl_codec_field_text(&risk.base, protobuf_c_message_descriptor_get_field_by_name(d, "inherent"), a),
                        "{\"likelihood\":5,\"impact\":1}");
    assert_string_equal(
        rl_codec_field_text(&risk.base, protobuf_c_message_descriptor_get_field_by_name(d, "inherent_level"), a),
        "medium");
}

/* --- JSON -------------------------------------------------------------------------------------- */

static const char *jstr(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(v))
        fail_msg("\"%s\" is not a string", key);
    return v->valuestring;
}

static double jnum(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        fail_msg("\"%s\" is not a number", key);
    return v->valuedouble;
}

static void test_json_from_risk(void **state)
{
    (void)state;
    Riskline__V1__Rating inh = RISKLINE__V1__RATING__INIT;
    inh.likelihood = 3;
    inh.impact = 4;
    char *assets[] = {"crm", "erp"};
    Riskline__V1__Risk risk = RISKLINE__V1__RISK__INIT;
    risk.id = "R-1";
    risk.title = "t";
    risk.inherent = &inh;
    risk.inherent_score = 12;
    risk.inherent_level = RISKLINE__V1__LEVEL__LEVEL_HIGH;
    risk.status = RISKLINE__V1__RISK_STATUS__RISK_STATUS_IN_TREATMENT;
    risk.treatment = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
    risk.n_assets = 2;
    risk.assets = assets;
    risk.integrity = 1;
    risk.version = 3;
    risk.created_at_ms = 1773578096789LL;

    cJSON *j = rl_json_from_message(&risk.base);
    assert_non_null(j);
    assert_string_equal(jstr(j, "id"), "R-1");
    assert_string_equal(jstr(j, "status"), "in_treatment");
    assert_string_equal(jstr(j, "treatment"), "reduce");
    assert_string_equal(jstr(j, "inherent_level"), "high");
    assert_string_equal(jstr(j, "residual_level"), "unspecified");
    assert_true(jnum(j, "inherent_score") == 12);
    assert_true(jnum(j, "version") == 3);
    assert_true(jnum(j, "created_at_ms") == 1773578096789.0);
    assert_true(jnum(j, "residual_score") == 0); /* zero scalars are present */
    assert_string_equal(jstr(j, "description"), "");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "integrity")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "confidentiality")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "residual")));
    const cJSON *inherent = cJSON_GetObjectItemCaseSensitive(j, "inherent");
    assert_true(jnum(inherent, "likelihood") == 3);
    assert_true(jnum(inherent, "impact") == 4);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "assets");
    assert_true(cJSON_IsArray(arr));
    assert_int_equal(cJSON_GetArraySize(arr), 2);
    assert_string_equal(cJSON_GetArrayItem(arr, 1)->valuestring, "erp");
    /* every Risk field is present, so outputs have a stable shape */
    assert_int_equal(cJSON_GetArraySize(j), (int)riskline__v1__risk__descriptor.n_fields);
    cJSON_Delete(j);
}

static void test_json_envelope_oneof_and_status(void **state)
{
    rl_arena_t *a = *state;
    rl_envelope_t *env = header(a, 1, "r", "t");
    Riskline__V1__RiskGet get = RISKLINE__V1__RISK_GET__INIT;
    get.id = "R-7";
    env->body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_GET;
    env->risk_get = &get;
    rl_codec_set_status(env, a, RL_ERR_CONFLICT, NULL);
    cJSON *j = rl_json_from_message(&env->base);
    assert_non_null(j);
    /* only the chosen body is rendered */
    assert_non_null(cJSON_GetObjectItemCaseSensitive(j, "risk_get"));
    assert_null(cJSON_GetObjectItemCaseSensitive(j, "ping"));
    assert_null(cJSON_GetObjectItemCaseSensitive(j, "risk_create"));
    assert_string_equal(jstr(cJSON_GetObjectItemCaseSensitive(j, "risk_get"), "id"), "R-7");
    assert_string_equal(jstr(cJSON_GetObjectItemCaseSensitive(j, "status"), "code"), "conflict");
    cJSON_Delete(j);

    Riskline__V1__DomainEvent ev = RISKLINE__V1__DOMAIN_EVENT__INIT;
    static const uint8_t raw[] = {'M', 'a', 'n'};
    ev.entity.data = (uint8_t *)raw;
    ev.entity.len = 3;
    j = rl_json_from_message(&ev.base);
    assert_string_equal(jstr(j, "entity"), "TWFu"); /* base64 */
    cJSON_Delete(j);
}

static void test_json_enum_names(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(rl_json_enum_name(&riskline__v1__risk_status__descriptor, 4, buf, sizeof buf),
                        "in_treatment");
    assert_string_equal(rl_json_enum_name(&riskline__v1__level__descriptor, 4, buf, sizeof buf), "critical");
    assert_string_equal(rl_json_enum_name(&riskline__v1__code__descriptor, 1, buf, sizeof buf),
                        "invalid_argument");
    assert_string_equal(rl_json_enum_name(&riskline__v1__risk_sort__descriptor, 2, buf, sizeof buf), "review");

    assert_int_equal(rl_json_enum_value(&riskline__v1__risk_status__descriptor, "in_treatment"), 4);
    assert_int_equal(rl_json_enum_value(&riskline__v1__risk_status__descriptor, "IN_TREATMENT"), 4);
    assert_int_equal(rl_json_enum_value(&riskline__v1__risk_status__descriptor, "RISK_STATUS_IN_TREATMENT"), 4);
    assert_int_equal(rl_json_enum_value(&riskline__v1__treatment__descriptor, "Reduce"), 2);
    assert_int_equal(rl_json_enum_value(&riskline__v1__risk_status__descriptor, "treatment"), -1);
    assert_int_equal(rl_json_enum_value(&riskline__v1__risk_status__descriptor, ""), -1);
    assert_int_equal(rl_json_enum_value(&riskline__v1__risk_status__descriptor, NULL), -1);
}

/* rl_json.h: an unknown enum value (a newer peer's) renders as its decimal number, in the name
 * function and in the JSON of a message, and the result is written into buf. */
static void test_json_enum_name_unknown_value(void **state)
{
    (void)state;
    char buf[32];
    const char *got = rl_json_enum_name(&riskline__v1__treatment__descriptor, 99, buf, sizeof buf);
    assert_ptr_equal(got, buf);
    assert_string_equal(got, "99");
    assert_string_equal(rl_json_enum_name(&riskline__v1__level__descriptor, -3, buf, sizeof buf), "-3");

    Riskline__V1__Risk risk = RISKLINE__V1__RISK__INIT;
    risk.treatment = (Riskline__V1__Treatment)99;
    cJSON *j = rl_json_from_message(&risk.base);
    assert_string_equal(jstr(j, "treatment"), "99");
    cJSON_Delete(j);
}

/* --- the wire format ------------------------------------------------------------------------- */

static Riskline__V1__RiskEvent *wire_event(rl_arena_t *a, const char *id)
{
    Riskline__V1__RiskEvent *e = rl_arena_alloc(a, sizeof *e);
    assert_non_null(e);
    riskline__v1__risk_event__init(e);
    e->source = (char *)"siem";
    e->event_id = rl_arena_strdup(a, id);
    e->summary = (char *)"Failed logins";
    e->occurred_at_ms = 1795000000000;
    return e;
}

/* An Envelope holding an EventBatch of the events ids, packed. */
static uint8_t *wire_envelope(rl_arena_t *a, const char *const *ids, size_t n, size_t *len)
{
    rl_envelope_t *env = header(a, 1, "r-1", "default");
    Riskline__V1__EventBatch *b = rl_arena_alloc(a, sizeof *b);
    Riskline__V1__RiskEvent **evs = rl_arena_alloc(a, (n + 1) * sizeof *evs);
    assert_non_null(b);
    assert_non_null(evs);
    riskline__v1__event_batch__init(b);
    for (size_t i = 0; i < n; i++)
        evs[i] = wire_event(a, ids[i]);
    b->events = evs;
    b->n_events = n;
    env->body_case = RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH;
    env->event_batch = b;
    uint8_t *bytes = rl_codec_pack(&env->base, a, len);
    assert_non_null(bytes);
    return bytes;
}

/* Each event's record, found in the packed Envelope, is the event as packed (framed as field 1);
 * the records concatenated are an EventBatch of the same events. */
static void test_wire_find_events(void **state)
{
    rl_arena_t *a = *state;
    const char *ids[] = {"evt-1", "evt-22", "evt-333"};
    size_t len;
    uint8_t *bytes = wire_envelope(a, ids, 3, &len);
    rl_wire_record_t rec[4];
    assert_int_equal(rl_codec_wire_find(bytes, len, RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH, 1, rec, 4), 3);
    uint8_t joined[1024];
    size_t o = 0;
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(rec[i].field, 1);
        assert_int_equal(rec[i].wire_type, 2);
        Riskline__V1__RiskEvent *e =
            rl_codec_unpack(&riskline__v1__risk_event__descriptor, rec[i].body, rec[i].body_len, 4096, a);
        assert_non_null(e);
        assert_string_equal(e->event_id, ids[i]);
        size_t flen;
        uint8_t *framed = rl_codec_wire_frame(1, rec[i].body, rec[i].body_len, a, &flen);
        assert_non_null(framed);
        assert_int_equal(flen, rec[i].len);
        assert_memory_equal(framed, rec[i].start, flen);
        memcpy(joined + o, rec[i].start, rec[i].len);
        o += rec[i].len;
    }
    Riskline__V1__EventBatch *b = rl_codec_unpack(&riskline__v1__event_batch__descriptor, joined, o, 4096, a);
    assert_non_null(b);
    assert_int_equal(b->n_events, 3);
    assert_string_equal(b->events[2]->event_id, "evt-333");
    /* only max stored, every one counted */
    assert_int_equal(rl_codec_wire_find(bytes, len, RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH, 1, rec, 2), 3);
    /* another field: none */
    assert_int_equal(rl_codec_wire_find(bytes, len, 81, 1, rec, 4), 0);
}

/* Truncated or ill-formed bytes are refused, never read past their end. */
static void test_wire_malformed(void **state)
{
    rl_arena_t *a = *state;
    const char *ids[] = {"evt-1", "evt-2"};
    size_t len;
    uint8_t *bytes = wire_envelope(a, ids, 2, &len);
    rl_wire_record_t rec[4];
    for (size_t cut = 1; cut < len; cut++) {
        int n = rl_codec_wire_find(bytes, cut, RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH, 1, rec, 4);
        assert_true(n <= 2);  /* -1, or what lies wholly before the cut */
    }
    const uint8_t group[] = {0x0b, 0x0c};             /* field 1, wire types 3 and 4 */
    const uint8_t long_varint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    const uint8_t field0[] = {0x02, 0x00};            /* field number 0 */
    const uint8_t too_long[] = {0x0a, 0x05, 'a'};     /* says 5 bytes, holds 1 */
    size_t pos = 0;
    rl_wire_record_t r;
    assert_int_equal(rl_codec_wire_next(group, sizeof group, &pos, &r), -1);
    pos = 0;
    assert_int_equal(rl_codec_wire_next(long_varint, sizeof long_varint, &pos, &r), -1);
    pos = 0;
    assert_int_equal(rl_codec_wire_next(field0, sizeof field0, &pos, &r), -1);
    pos = 0;
    assert_int_equal(rl_codec_wire_next(too_long, sizeof too_long, &pos, &r), -1);
    pos = 0;
    assert_int_equal(rl_codec_wire_next(too_long, 0, &pos, &r), 0);  /* the end */
    /* tags and lengths over 5 bytes: protobuf-c refuses them, so they are not well-formed here */
    const uint8_t tag6[] = {0x8a, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01, 'a'};
    const uint8_t tag5[] = {0x8a, 0x80, 0x80, 0x80, 0x00, 0x01, 'a'};
    const uint8_t len6[] = {0x0a, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00, 'a'};
    pos = 0;
    assert_int_equal(rl_codec_wire_next(tag6, sizeof tag6, &pos, &r), -1);
    pos = 0;
    assert_int_equal(rl_codec_wire_next(len6, sizeof len6, &pos, &r), -1);
    pos = 0;
    assert_int_equal(rl_codec_wire_next(tag5, sizeof tag5, &pos, &r), 1);
    assert_int_equal(r.field, 1);
    assert_int_equal(r.body_len, 1);
    /* a scalar's value: a varint, a 64-bit one (little-endian) */
    const uint8_t scalars[] = {0x18, 0xac, 0x02, 0x59, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    pos = 0;
    assert_int_equal(rl_codec_wire_next(scalars, sizeof scalars, &pos, &r), 1);
    assert_int_equal(r.value, 300);
    assert_int_equal(rl_codec_wire_next(scalars, sizeof scalars, &pos, &r), 1);
    assert_int_equal(r.field, 11);
    assert_true(r.value == 0x0807060504030201ULL);
}

/* --- ingestion log entries (rl_ingest.h) ---------------------------------------------------- */

/* Event id packed as a RiskEvent; with the stamps inside when at > 0 (the earlier layout). */
static uint8_t *packed_event(rl_arena_t *a, const char *id, int64_t at, const char *by, size_t *len)
{
    Riskline__V1__RiskEvent e = RISKLINE__V1__RISK_EVENT__INIT;
    e.source = (char *)"scanner";
    e.event_id = (char *)id;
    e.summary = (char *)"CVE found";
    e.occurred_at_ms = 1795000000000;
    e.received_at_ms = at;
    if (by)
        e.received_by = (char *)by;
    uint8_t *b = rl_codec_pack(&e.base, a, len);
    assert_non_null(b);
    return b;
}

static rl_val_t str(const void *s, size_t len) { return (rl_val_t){RL_VAL_STR, 0, s, len, 0, NULL}; }

/* Reads every event of ent: "id@at/by;" each, "?;" for bytes that do not decode. */
static void read_all(rl_arena_t *a, const rl_stream_entry_t *ent, char *out, size_t size)
{
    size_t o = 0;
    Riskline__V1__RiskEvent *e;
    rl_ingest_iter_t it;
    rl_ingest_iter_init(&it, ent);
    out[0] = '\0';
    while (rl_ingest_next(&it, a, &e) == 1 && o < size)
        o += (size_t)snprintf(out + o, size - o, e ? "%s@%lld/%s;" : "?;", e ? e->event_id : "",
                              (long long)(e ? e->received_at_ms : 0), e ? e->received_by : "");
}

static void test_ingest_batch_entry(void **state)
{
    rl_arena_t *a = *state;
    uint8_t blob[1024];
    size_t o = 0;
    const char *ids[] = {"v-1", "v-2", "v-3"};
    for (int i = 0; i < 3; i++) {
        size_t len, flen;
        uint8_t *ev = packed_event(a, ids[i], 0, NULL, &len);
        uint8_t *rec = rl_codec_wire_frame(1, ev, len, a, &flen);
        assert_non_null(rec);
        memcpy(blob + o, rec, flen);
        o += flen;
    }
    rl_val_t f[6] = {str("b", 1), str(blob, o), str("at", 2), str("1795000001234", 13), str("by", 2), str("scanner-key", 11)};
    rl_val_t fields = {RL_VAL_ARR, 0, NULL, 0, 6, f};
    rl_stream_entry_t ent = {"1-0", NULL, 0, &fields};
    char got[256];
    read_all(a, &ent, got, sizeof got);
    assert_string_equal(got, "v-1@1795000001234/scanner-key;v-2@1795000001234/scanner-key;v-3@1795000001234/scanner-key;");
    /* an event record whose bytes are not a RiskEvent is passed over; the others still read */
    uint8_t bad[2048];
    memcpy(bad, blob, o);
    const uint8_t junk[] = {0x0a, 0x02, 0xff, 0xff};  /* field 1, 2 bytes: not a message */
    memcpy(bad + o, junk, sizeof junk);
    f[1] = str(bad, o + sizeof junk);
    read_all(a, &ent, got, sizeof got);
    assert_string_equal(got, "v-1@1795000001234/scanner-key;v-2@1795000001234/scanner-key;v-3@1795000001234/scanner-key;?;");
    /* a truncated batch ends where its bytes stop being well-formed */
    f[1] = str(blob, o - 1);
    read_all(a, &ent, got, sizeof got);
    assert_string_equal(got, "v-1@1795000001234/scanner-key;v-2@1795000001234/scanner-key;");
}

static void test_ingest_earlier_layout(void **state)
{
    rl_arena_t *a = *state;
    size_t l1, l2;
    uint8_t *e1 = packed_event(a, "old-1", 1700000000000, "siem", &l1);
    uint8_t *e2 = packed_event(a, "old-2", 1700000000001, "siem", &l2);
    rl_val_t f[6] = {str("e", 1), str(e1, l1), str("e", 1), str("junk", 4), str("e", 1), str(e2, l2)};
    rl_val_t fields = {RL_VAL_ARR, 0, NULL, 0, 6, f};
    rl_stream_entry_t ent = {"1-0", NULL, 0, &fields};
    char got[256];
    read_all(a, &ent, got, sizeof got);
    assert_string_equal(got, "old-1@1700000000000/siem;?;old-2@1700000000001/siem;");
    rl_val_t none = {RL_VAL_ARR, 0, NULL, 0, 0, NULL};
    rl_stream_entry_t empty = {"2-0", NULL, 0, &none};
    read_all(a, &empty, got, sizeof got);
    assert_string_equal(got, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_envelope_round_trip_risk_create, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_status_round_trip, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_status_is_utf8, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_decode_empty_frame, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_decode_malformed, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_decode_too_large, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_check_header, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_unknown_body_from_newer_peer, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_diff_risks, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_diff_enums_bools_and_absent_messages, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_json_and_diff_of_non_finite, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_field_text, setup_arena, teardown_arena),
        cmocka_unit_test(test_json_from_risk),
        cmocka_unit_test_setup_teardown(test_json_envelope_oneof_and_status, setup_arena, teardown_arena),
        cmocka_unit_test(test_json_enum_names),
        cmocka_unit_test(test_json_enum_name_unknown_value),
        cmocka_unit_test_setup_teardown(test_wire_find_events, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_wire_malformed, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_ingest_batch_entry, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_ingest_earlier_layout, setup_arena, teardown_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
