/* test_evwire.c: EventBatch envelopes decoded from the wire (common/rl_evwire.c) equal protobuf-c's decoding,
 * and every other form is left to protobuf-c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "riskline/v1/monitor.pb-c.h"
#include "rl_codec.h"
#include "rl_evwire.h"
#include "unit_arena.h"

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A random text of 0..max bytes, some of them not ASCII (or NUL: protobuf-c keeps the bytes). */
static char *text(rl_arena_t *a, uint64_t *s, size_t max)
{
    size_t n = (size_t)(rnd(s) % (max + 1));
    char *t = rl_arena_alloc(a, n + 1);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rnd(s) % 100;
        t[i] = (char)(r < 90 ? 'a' + (char)(r % 26) : r < 99 ? (char)(0x80 + r) : '-');
    }
    t[n] = '\0';
    return t;
}

/* min..max texts of 0..max_len bytes. */
static char **texts(rl_arena_t *a, uint64_t *s, size_t *n, size_t min, size_t max, size_t max_len)
{
    *n = min + (size_t)(rnd(s) % (max - min + 1));
    char **v = *n ? rl_arena_alloc(a, *n * sizeof *v) : NULL;
    for (size_t i = 0; i < *n; i++)
        v[i] = text(a, s, max_len);
    return v;
}

/* An event with each field set or not at random; all fields set when full (every field number is
 * then on the wire, with its own value). */
static Riskline__V1__RiskEvent *event(rl_arena_t *a, uint64_t *s, int full)
{
    Riskline__V1__RiskEvent *e = rl_arena_alloc(a, sizeof *e);
    riskline__v1__risk_event__init(e);
#define MAYBE (full || rnd(s) % 4)
    if (MAYBE)
        e->source = text(a, s, 12);
    if (MAYBE)
        e->event_id = text(a, s, 200);  /* over 127 bytes: a two-byte length */
    if (MAYBE)
        e->kind = (Riskline__V1__EventKind)(rnd(s) % 12);
    if (MAYBE)
        e->severity = (Riskline__V1__Severity)(rnd(s) % 2 ? (int64_t)(rnd(s) % 7) : -(int64_t)(rnd(s) % 5) - 1);
    if (MAYBE)
        e->occurred_at_ms = (int64_t)rnd(s) * (rnd(s) % 2 ? 1 : -1);
    if (MAYBE)
        e->summary = text(a, s, 40);
    e->risk_ids = texts(a, s, &e->n_risk_ids, full, 3, 8);
    e->assets = texts(a, s, &e->n_assets, full, 2, 16);
    e->controls = texts(a, s, &e->n_controls, full, 2, 8);
    e->linked_risks = texts(a, s, &e->n_linked_risks, full, 2, 8);
    e->n_attributes = (size_t)(rnd(s) % 4) + (full ? 1 : 0);
    e->attributes = e->n_attributes ? rl_arena_alloc(a, e->n_attributes * sizeof *e->attributes) : NULL;
    for (size_t i = 0; i < e->n_attributes; i++) {
        Riskline__V1__Attribute *at = rl_arena_alloc(a, sizeof *at);
        riskline__v1__attribute__init(at);
        if (full || rnd(s) % 3)
            at->key = text(a, s, 10);
        if (full || rnd(s) % 3)
            at->value = text(a, s, 30);
        e->attributes[i] = at;
    }
    if (MAYBE) {
        e->measurement_case = RISKLINE__V1__RISK_EVENT__MEASUREMENT_VALUE;
        e->value = (double)(int64_t)rnd(s) / 1000.0;
    }
    if (MAYBE)
        e->received_at_ms = (int64_t)(rnd(s) % 10000000000000ULL);
    if (MAYBE)
        e->received_by = text(a, s, 20);
#undef MAYBE
    return e;
}

/* A packed Envelope holding n events. */
static uint8_t *batch_envelope(rl_arena_t *a, uint64_t *s, size_t n, int full, size_t *len)
{
    Riskline__V1__EventBatch *b = rl_arena_alloc(a, sizeof *b);
    riskline__v1__event_batch__init(b);
    b->n_events = n;
    b->events = n ? rl_arena_alloc(a, n * sizeof *b->events) : NULL;
    for (size_t i = 0; i < n; i++)
        b->events[i] = event(a, s, full);
    rl_envelope_t *env = rl_codec_envelope_new(a);
    env->request_id = (char *)"req-7";
    env->tenant = (char *)"acme";
    env->schema_version = 1;
    env->body_case = RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH;
    env->event_batch = b;
    uint8_t *buf = rl_codec_pack(&env->base, a, len);
    assert_non_null(buf);
    return buf;
}

/* The bytes decoded both ways: 1 when the fast decoder took them (and then its result packs to the
 * same bytes as protobuf-c's), 0 when it declined. */
static int same_as_protobuf_c(rl_arena_t *a, const uint8_t *buf, size_t len)
{
    rl_envelope_t *fast = NULL;
    int rc = rl_evwire_decode_envelope(buf, len, a, &fast);
    assert_true(rc == 0 || rc == 1);
    rl_envelope_t *ref = rl_codec_unpack(&riskline__v1__envelope__descriptor, buf, len, len, a);
    if (rc == 0) {
        assert_null(fast);
        return 0;
    }
    assert_non_null(fast);
    if (!ref)
        fail_msg("decoded %zu bytes that protobuf-c refuses", len);
    assert_int_equal(fast->body_case, RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH);
    assert_true(protobuf_c_message_check(&fast->base));
    size_t n1, n2;
    uint8_t *p1 = rl_codec_pack(&fast->base, a, &n1), *p2 = rl_codec_pack(&ref->base, a, &n2);
    assert_non_null(p1);
    assert_non_null(p2);
    assert_int_equal(n1, n2);
    assert_memory_equal(p1, p2, n1);
    return 1;
}

static void test_events_with_every_field(void **state)
{
    rl_arena_t *a = *state;
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    size_t len;
    const uint8_t *buf = batch_envelope(a, &s, 50, 1, &len);
    assert_int_equal(same_as_protobuf_c(a, buf, len), 1);
    /* field by field, against the values packed (a field number mixed up shows here) */
    rl_envelope_t *env = NULL;
    assert_int_equal(rl_evwire_decode_envelope(buf, len, a, &env), 1);
    rl_envelope_t *ref = rl_codec_unpack(&riskline__v1__envelope__descriptor, buf, len, len, a);
    assert_string_equal(env->request_id, "req-7");
    assert_string_equal(env->tenant, "acme");
    assert_int_equal(env->event_batch->n_events, 50);
    for (size_t i = 0; i < 50; i++) {
        const Riskline__V1__RiskEvent *e = env->event_batch->events[i], *r = ref->event_batch->events[i];
        assert_string_equal(e->source, r->source);
        assert_string_equal(e->event_id, r->event_id);
        assert_int_equal(e->kind, r->kind);
        assert_int_equal(e->severity, r->severity);
        assert_int_equal(e->occurred_at_ms, r->occurred_at_ms);
        assert_string_equal(e->summary, r->summary);
        assert_int_equal(e->n_risk_ids, r->n_risk_ids);
        assert_string_equal(e->risk_ids[e->n_risk_ids - 1], r->risk_ids[r->n_risk_ids - 1]);
        assert_int_equal(e->n_attributes, r->n_attributes);
        assert_string_equal(e->attributes[0]->key, r->attributes[0]->key);
        assert_string_equal(e->attributes[0]->value, r->attributes[0]->value);
        assert_int_equal(e->measurement_case, r->measurement_case);
        assert_memory_equal(&e->value, &r->value, sizeof e->value);
        assert_int_equal(e->received_at_ms, r->received_at_ms);
        assert_string_equal(e->received_by, r->received_by);
    }
}

static void test_random_batches(void **state)
{
    rl_arena_t *a = *state;
    uint64_t s = 42;
    for (int round = 0; round < 300; round++) {
        size_t len;
        const uint8_t *buf = batch_envelope(a, &s, (size_t)(rnd(&s) % 12), 0, &len);
        assert_int_equal(same_as_protobuf_c(a, buf, len), 1);
        rl_arena_reset(a);
    }
}

/* Hand-made envelopes: request id "r", tenant "t" (fields 1..3 of Envelope are not event_batch), then
 * event_batch (80: tag 82 05) holding what each case needs. */
static size_t frame(uint8_t *out, const uint8_t *batch, size_t n)
{
    static const uint8_t head[] = {0x12, 0x01, 'r', 0x1a, 0x01, 't'};
    size_t k = 0;
    memcpy(out, head, sizeof head);
    k += sizeof head;
    out[k++] = 0x82;
    out[k++] = 0x05;
    out[k++] = (uint8_t)n;
    memcpy(out + k, batch, n);
    return k + n;
}

static void test_declines_what_it_does_not_read_as_protobuf_c(void **state)
{
    rl_arena_t *a = *state;
    /* each an EventBatch of one event (0a <length> <event>) */
    static const struct {
        const char *what;
        uint8_t batch[24];
        size_t n;
        int protobuf_c_takes, fast_takes;
    } cases[] = {
        {"plain: source, event_id", {0x0a, 0x06, 0x0a, 0x01, 's', 0x12, 0x01, 'e'}, 8, 1, 1},
        {"kind", {0x0a, 0x05, 0x0a, 0x01, 's', 0x18, 0x01}, 7, 1, 1},
        {"a five-byte tag", {0x0a, 0x07, 0x8a, 0x80, 0x80, 0x80, 0x00, 0x01, 's'}, 9, 1, 1},
        {"a singular field twice", {0x0a, 0x09, 0x0a, 0x01, 's', 0x0a, 0x01, 'x', 0x12, 0x01, 'e'}, 11, 1, 0},
        {"an unknown field", {0x0a, 0x09, 0x0a, 0x01, 's', 0xf8, 0x01, 0x05, 0x12, 0x01, 'e'}, 11, 1, 0},
        {"an unknown field, cut short", {0x0a, 0x08, 0x0a, 0x01, 's', 0xf8, 0x01, 0x05, 0x12, 0x01}, 10, 0, 0},
        {"kind as a length", {0x0a, 0x05, 0x1a, 0x01, 's', 0x12, 0x00}, 7, 0, 0},
        {"a six-byte tag", {0x0a, 0x08, 0x8a, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01, 's'}, 10, 0, 0},
        {"a six-byte length", {0x0a, 0x08, 0x0a, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00, 's'}, 10, 0, 0},
        {"cut short", {0x0a, 0x06, 0x0a, 0x05, 's', 0x12, 0x01, 'e'}, 8, 0, 0},
        {"a group", {0x0a, 0x04, 0x0b, 0x0c, 0x12, 0x00}, 6, 0, 0},
        {"an attribute with an unknown field", {0x0a, 0x07, 0x52, 0x05, 0x0a, 0x01, 'k', 0x18, 0x01}, 9, 1, 0},
        {"an attribute's key twice", {0x0a, 0x08, 0x52, 0x06, 0x0a, 0x01, 'k', 0x0a, 0x01, 'j'}, 10, 1, 0},
        {"a batch field other than events", {0x12, 0x00}, 2, 1, 0},
        {"a value of four bytes", {0x0a, 0x05, 0x5d, 0x00, 0x00, 0x80, 0x3f}, 7, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[64];
        size_t len = frame(buf, cases[i].batch, cases[i].n);
        rl_envelope_t *ref = rl_codec_unpack(&riskline__v1__envelope__descriptor, buf, len, len, a);
        if (!!ref != cases[i].protobuf_c_takes)
            fail_msg("%s: protobuf-c %s it (the case is wrong)", cases[i].what, ref ? "took" : "refused");
        int took = same_as_protobuf_c(a, buf, len);
        if (took != cases[i].fast_takes)
            fail_msg("%s: the fast decoder %s it", cases[i].what, took ? "took" : "declined");
        /* and the services' decoding gives protobuf-c's answer */
        rl_envelope_t *env = NULL;
        rl_error_t err;
        rl_error_clear(&err);
        rl_err_t rc = rl_codec_decode_envelope(buf, len, a, &env, &err);
        assert_int_equal(rc, ref ? RL_OK : RL_ERR_MALFORMED);
    }
    /* event_batch twice (protobuf-c merges them), and a second body beside it */
    static const uint8_t twice[] = {0x82, 0x05, 0x00, 0x82, 0x05, 0x00};
    static const uint8_t two_bodies[] = {0x82, 0x05, 0x00, 0x52, 0x00}; /* and ping (10) */
    rl_envelope_t *env = NULL;
    assert_int_equal(rl_evwire_decode_envelope(twice, sizeof twice, a, &env), 0);
    assert_int_equal(rl_evwire_decode_envelope(two_bodies, sizeof two_bodies, a, &env), 0);
    assert_null(env);
    /* no event_batch: nothing to do here */
    static const uint8_t header_only[] = {0x12, 0x01, 'r'};
    assert_int_equal(rl_evwire_decode_envelope(header_only, sizeof header_only, a, &env), 0);
}

/* Bytes changed at random, some of them still well-formed: whatever the fast decoder takes,
 * protobuf-c takes too and decodes the same. */
static void test_mutated_batches(void **state)
{
    rl_arena_t *a = *state;
    uint64_t s = 7;
    size_t len, took = 0, rounds = 20000;
    const uint8_t *packed = batch_envelope(a, &s, 3, 1, &len);
    uint8_t *orig = malloc(len), *buf = malloc(len);  /* outside the arena, which each round resets */
    assert_non_null(orig);
    assert_non_null(buf);
    memcpy(orig, packed, len);
    for (size_t round = 0; round < rounds; round++) {
        memcpy(buf, orig, len);
        size_t n = len;
        for (int k = (int)(rnd(&s) % 3); k >= 0; k--) {
            size_t at = (size_t)(rnd(&s) % n);
            switch (rnd(&s) % 4) {
            case 0: buf[at] = (uint8_t)rnd(&s); break;
            case 1: buf[at] ^= (uint8_t)(1u << (rnd(&s) % 8)); break;
            case 2: n = at + 1; break;                                    /* cut */
            default: memmove(buf + at, buf + at + 1, n - at - 1); n--; break; /* a byte out */
            }
        }
        took += (size_t)same_as_protobuf_c(a, buf, n);
        rl_arena_reset(a);
    }
    free(orig);
    free(buf);
    /* the property is checked on both sides: many mutations land in text and stay readable */
    if (took < rounds / 20 || took == rounds)
        fail_msg("the fast decoder took %zu of %zu mutated batches", took, rounds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_events_with_every_field, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_random_batches, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_declines_what_it_does_not_read_as_protobuf_c, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_mutated_batches, setup_arena, teardown_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
