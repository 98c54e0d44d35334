/* test_integ_input.c: hostile input to the register over raw ZeroMQ frames. Each bad request gets an
 * error reply with the documented code and field, writes nothing to Redis, and the service keeps
 * answering. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "harness.h"
#include "harness_msg.h"

#define OK 0
#define INVALID RISKLINE__V1__CODE__CODE_INVALID_ARGUMENT
#define NOT_FOUND RISKLINE__V1__CODE__CODE_NOT_FOUND
#define CONFLICT RISKLINE__V1__CODE__CODE_CONFLICT
#define UNSUPPORTED RISKLINE__V1__CODE__CODE_UNSUPPORTED
#define TOO_LARGE RISKLINE__V1__CODE__CODE_TOO_LARGE
#define MALFORMED RISKLINE__V1__CODE__CODE_MALFORMED

#define EXACT 0
#define PREFIX 1
#define ANY 2 /* the contract names no field */

typedef struct {
    harness_t *h;
    harness_snapshot_t *before;
} fixture_t;

static void free_reply(harness_env_t *r)
{
    if (r)
        riskline__v1__envelope__free_unpacked(r, NULL);
}

/* A harness with one risk (R-1, version 1) and a snapshot of Redis taken after it. */
static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->h = harness_new();
    *state = f;
    harness_risk_in_t in;
    harness_risk_init(&in, "Baseline risk", "owner-a", 2, 2);
    harness_env_t *r = harness_create(f->h, &in.risk, NULL);
    if (!harness_reply_risk(r))
        fail_msg("baseline create: %s", harness_reply_text(r));
    free_reply(r);
    f->before = harness_snapshot(f->h);
    if (f->before->n == 0)
        fail_msg("baseline snapshot is empty");
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    int st = 0;
    if (f) {
        harness_snapshot_free(&f->before);
        st = f->h && f->h->register_pid > 0 ? harness_register_stop(f->h) : 0;
        harness_destroy(&f->h);
        free(f);
    }
    if (st != 0) {
        print_error("riskline-register did not exit 0 within 5 s of SIGTERM (status %d)\n", st);
        return -1;
    }
    return 0;
}

/* Nothing written since setup, and the service still answers. */
static void assert_untouched(fixture_t *f, const char *what)
{
    harness_snapshot_t *now = harness_snapshot(f->h);
    char diff[512];
    int same = harness_snapshot_equal(f->before, now, diff, sizeof diff);
    harness_snapshot_free(&now);
    if (!same)
        fail_msg("%s wrote to Redis: %s", what, diff);
    if (!harness_ping(f->h, 3000))
        fail_msg("%s: the register no longer answers a ping", what);
}

static void check_reply(const harness_env_t *rep, int code, const char *field, int match, const char *what)
{
    if (!rep)
        fail_msg("%s: no reply", what);
    if (rep->body_case != RISKLINE__V1__ENVELOPE__BODY__NOT_SET)
        fail_msg("%s: an error reply must have no body (body case %d)", what, (int)rep->body_case);
    int got = harness_code(rep);
    const char *gf = harness_field(rep);
    int field_ok = match == ANY     ? 1
                   : match == EXACT ? strcmp(gf, field) == 0
                                    : strncmp(gf, field, strlen(field)) == 0;
    if (got != code || !field_ok)
        fail_msg("%s: got %s; want code %d field %s'%s'", what, harness_reply_text(rep), code,
                 match == PREFIX ? "starting with " : match == ANY ? "(any) " : "", field);
    if (!rep->status->message || !rep->status->message[0])
        fail_msg("%s: error reply without a message", what);
}

/* Sends raw frames on a fresh DEALER and returns the unpacked reply (NULL when none). */
static harness_env_t *send_raw(harness_t *h, size_t n, const void *const *data, const size_t *len, int timeout_ms)
{
    void *s = harness_dealer(h);
    assert_non_null(s);
    assert_int_equal(harness_send_frames(s, n, data, len), 0);
    harness_env_t *rep = harness_recv_env(s, timeout_ms);
    zmq_close(s);
    return rep;
}

static void expect_create_refused(fixture_t *f, harness_risk_t *risk, int code, const char *field, int match,
                                  const char *what)
{
    harness_env_t env;
    Riskline__V1__RiskCreate body;
    harness_env_create(&env, &body, risk);
    env.request_id = "bad-create";
    harness_env_t *rep = harness_call(f->h, &env);
    check_reply(rep, code, field, match, what);
    assert_string_equal(rep->request_id, "bad-create");
    free_reply(rep);
    assert_untouched(f, what);
}

/* --- the control: the snapshot does see a write --- */

static void test_snapshot_sees_writes(void **state)
{
    fixture_t *f = *state;
    harness_risk_in_t in;
    harness_risk_init(&in, "A real write", "owner-a", 1, 1);
    harness_env_t *r = harness_create(f->h, &in.risk, NULL);
    assert_non_null(harness_reply_risk(r));
    free_reply(r);
    harness_snapshot_t *now = harness_snapshot(f->h);
    char diff[256];
    assert_false(harness_snapshot_equal(f->before, now, diff, sizeof diff));
    harness_snapshot_free(&now);
}

/* --- header --- */

static void test_bad_tenant(void **state)
{
    fixture_t *f = *state;
    harness_risk_in_t in;
    harness_risk_init(&in, "Tenant test", "owner-a", 1, 1);
    harness_env_t env;
    Riskline__V1__RiskCreate body;
    harness_env_create(&env, &body, &in.risk);
    env.tenant = "Bad Tenant!";
    env.request_id = "bad-tenant";
    harness_env_t *rep = harness_call(f->h, &env);
    check_reply(rep, INVALID, "tenant", EXACT, "tenant \"Bad Tenant!\"");
    assert_string_equal(rep->request_id, "bad-tenant");
    free_reply(rep);
    assert_untouched(f, "tenant \"Bad Tenant!\"");

    char long_tenant[40];
    memset(long_tenant, 'a', 33);
    long_tenant[33] = '\0';
    env.tenant = long_tenant;
    rep = harness_call(f->h, &env);
    check_reply(rep, INVALID, "tenant", EXACT, "tenant of 33 bytes");
    free_reply(rep);
    assert_untouched(f, "tenant of 33 bytes");
}

static void test_bad_request_id_and_schema(void **state)
{
    fixture_t *f = *state;
    harness_risk_in_t in;
    harness_risk_init(&in, "Header test", "owner-a", 1, 1);
    harness_env_t env;
    Riskline__V1__RiskCreate body;
    harness_env_create(&env, &body, &in.risk);
    env.request_id = "not a valid id!";
    harness_env_t *rep = harness_call(f->h, &env);
    check_reply(rep, INVALID, "request_id", EXACT, "request id with spaces");
    free_reply(rep);
    assert_untouched(f, "request id with spaces");

    env.request_id = "schema-2";
    env.schema_version = 2;
    rep = harness_call(f->h, &env);
    check_reply(rep, UNSUPPORTED, "schema_version", EXACT, "schema version 2");
    free_reply(rep);
    assert_untouched(f, "schema version 2");
}

/* --- risk fields --- */

static void test_likelihood_out_of_range(void **state)
{
    fixture_t *f = *state;
    harness_risk_in_t in;
    harness_risk_init(&in, "Out of range", "owner-a", 6, 3);
    expect_create_refused(f, &in.risk, INVALID, "risk.inherent", PREFIX, "likelihood 6 on a 5x5 matrix");
    harness_risk_init(&in, "Half rated", "owner-a", 0, 3);
    expect_create_refused(f, &in.risk, INVALID, "risk.inherent", PREFIX, "likelihood 0 with impact 3");
    harness_risk_init(&in, "No rating", "owner-a", 1, 1);
    in.risk.inherent = NULL;
    expect_create_refused(f, &in.risk, INVALID, "risk.inherent", PREFIX, "no inherent rating");
    harness_risk_init(&in, "Residual off matrix", "owner-a", 2, 2);
    in.residual.likelihood = 1;
    in.residual.impact = 9;
    in.risk.residual = &in.residual;
    expect_create_refused(f, &in.risk, INVALID, "risk.residual", PREFIX, "residual impact 9");
}

static void test_missing_and_long_strings(void **state)
{
    fixture_t *f = *state;
    harness_risk_in_t in;
    harness_risk_init(&in, "", "owner-a", 1, 1);
    expect_create_refused(f, &in.risk, INVALID, "risk.title", EXACT, "missing title");

    harness_risk_init(&in, "No owner", "", 1, 1);
    expect_create_refused(f, &in.risk, INVALID, "risk.owner", EXACT, "missing owner");

    char title[202];
    memset(title, 'x', 201);
    title[201] = '\0';
    harness_risk_init(&in, title, "owner-a", 1, 1);
    expect_create_refused(f, &in.risk, INVALID, "risk.title", EXACT, "title of 201 bytes");

    char desc[4002];
    memset(desc, 'd', 4001);
    desc[4001] = '\0';
    harness_risk_init(&in, "Long description", "owner-a", 1, 1);
    in.risk.description = desc;
    expect_create_refused(f, &in.risk, INVALID, "risk.description", EXACT, "description of 4001 bytes");

    char owner[130];
    memset(owner, 'o', 129);
    owner[129] = '\0';
    harness_risk_init(&in, "Long owner", owner, 1, 1);
    expect_create_refused(f, &in.risk, INVALID, "risk.owner", EXACT, "owner of 129 bytes");
}

static void test_too_many_assets(void **state)
{
    fixture_t *f = *state;
    char names[33][16];
    char *assets[33];
    for (int i = 0; i < 33; i++) {
        snprintf(names[i], sizeof names[i], "asset-%d", i);
        assets[i] = names[i];
    }
    harness_risk_in_t in;
    harness_risk_init(&in, "Many assets", "owner-a", 1, 1);
    in.risk.assets = assets;
    in.risk.n_assets = 33;
    expect_create_refused(f, &in.risk, INVALID, "risk.assets", PREFIX, "33 assets");
    names[5][0] = '\0';
    in.risk.n_assets = 10;
    expect_create_refused(f, &in.risk, INVALID, "risk.assets", PREFIX, "an empty asset name");
}

/* The limits themselves are accepted (the refusals above are exactly at the boundary). */
static void test_limits_accepted(void **state)
{
    fixture_t *f = *state;
    char title[201];
    memset(title, 't', 200);
    title[200] = '\0';
    char names[32][16];
    char *assets[32];
    for (int i = 0; i < 32; i++) {
        snprintf(names[i], sizeof names[i], "asset-%d", i);
        assets[i] = names[i];
    }
    harness_risk_in_t in;
    harness_risk_init(&in, title, "owner-a", 5, 5);
    in.risk.assets = assets;
    in.risk.n_assets = 32;
    harness_env_t *r = harness_create(f->h, &in.risk, NULL);
    const harness_risk_t *risk = harness_reply_risk(r);
    if (!risk)
        fail_msg("title of 200 bytes and 32 assets: %s", harness_reply_text(r));
    assert_int_equal(strlen(risk->title), 200);
    assert_int_equal(risk->n_assets, 32);
    assert_int_equal(risk->inherent_score, 25);
    assert_int_equal(risk->inherent_level, RISKLINE__V1__LEVEL__LEVEL_CRITICAL);
    free_reply(r);
}

/* --- frames --- */

static void test_not_protobuf(void **state)
{
    fixture_t *f = *state;
    uint8_t junk[512];
    unsigned x = 12345u;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (uint8_t)(x >> 16);
    }
    junk[0] = 0x0f;  /* field 1, wire type 7: never a valid protobuf tag */
    const void *d[] = {junk};
    size_t len = sizeof junk;
    harness_env_t *rep = send_raw(f->h, 1, d, &len, 5000);
    check_reply(rep, MALFORMED, "frame", EXACT, "random bytes");
    free_reply(rep);
    assert_untouched(f, "random bytes");

    /* a truncated Envelope (length prefix longer than the data) */
    const uint8_t trunc[] = {0x12, 0x40, 'a', 'b'};
    d[0] = trunc;
    len = sizeof trunc;
    rep = send_raw(f->h, 1, d, &len, 5000);
    check_reply(rep, MALFORMED, "frame", EXACT, "truncated Envelope");
    free_reply(rep);
    assert_untouched(f, "truncated Envelope");
}

static void test_oversized_frames(void **state)
{
    fixture_t *f = *state;
    size_t big = 2u * 1024 * 1024;
    uint8_t *buf = calloc(1, 5u * 1024 * 1024);
    assert_non_null(buf);
    const void *d[] = {buf};
    harness_env_t *rep = send_raw(f->h, 1, d, &big, 10000);
    check_reply(rep, TOO_LARGE, "frame", EXACT, "a 2 MiB frame");
    free_reply(rep);
    assert_untouched(f, "a 2 MiB frame");

    /* 5 MiB: the connection is dropped, no reply; other clients are still served */
    void *other = harness_dealer(f->h);
    assert_true(harness_ping(f->h, 3000));
    size_t huge = 5u * 1024 * 1024;
    void *s = harness_dealer(f->h);
    assert_int_equal(harness_send_frames(s, 1, d, &huge), 0);
    uint8_t *data = NULL;
    size_t len = 0;
    int n = harness_recv(s, 2000, &data, &len);
    free(data);
    zmq_close(s);
    free(buf);
    if (n != 0)
        fail_msg("a 5 MiB frame got a reply (%d frames); the connection should have been dropped", n);
    Riskline__V1__Ping ping = RISKLINE__V1__PING__INIT;
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PING;
    env.ping = &ping;
    assert_int_equal(harness_send_env(f->h, other, &env), 0);
    rep = harness_recv_env(other, 3000);
    zmq_close(other);
    if (!rep || rep->body_case != RISKLINE__V1__ENVELOPE__BODY_PONG)
        fail_msg("a client connected before the 5 MiB frame is no longer served: %s", harness_reply_text(rep));
    assert_string_equal(rep->pong->service, "register");
    free_reply(rep);
    assert_true(harness_register_alive(f->h));
    assert_untouched(f, "a 5 MiB frame");
}

static void test_unknown_body(void **state)
{
    fixture_t *f = *state;
    /* schema_version=1, request_id="unknown-body", tenant="default", then field 99 (bytes, empty) */
    uint8_t msg[64];
    size_t n = 0;
    msg[n++] = 0x08;
    msg[n++] = 0x01;
    msg[n++] = 0x12;
    msg[n++] = 12;
    memcpy(msg + n, "unknown-body", 12);
    n += 12;
    msg[n++] = 0x1a;
    msg[n++] = 7;
    memcpy(msg + n, "default", 7);
    n += 7;
    msg[n++] = 0x9a;  /* (99 << 3) | 2 = 794 = 0x9a 0x06 */
    msg[n++] = 0x06;
    msg[n++] = 0x00;
    const void *d[] = {msg};
    harness_env_t *rep = send_raw(f->h, 1, d, &n, 5000);
    check_reply(rep, UNSUPPORTED, "body", EXACT, "an Envelope with body field 99");
    assert_string_equal(rep->request_id, "unknown-body");
    free_reply(rep);
    assert_untouched(f, "an Envelope with body field 99");

    /* no body at all */
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    env.request_id = "no-body";
    rep = harness_call(f->h, &env);
    check_reply(rep, UNSUPPORTED, "body", EXACT, "an Envelope with no body");
    free_reply(rep);
    assert_untouched(f, "an Envelope with no body");

    /* a reply body sent as a request */
    Riskline__V1__Pong pong = RISKLINE__V1__PONG__INIT;
    env.request_id = "pong-as-request";
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PONG;
    env.pong = &pong;
    rep = harness_call(f->h, &env);
    check_reply(rep, UNSUPPORTED, "body", EXACT, "a pong sent as a request");
    free_reply(rep);
    assert_untouched(f, "a pong sent as a request");
}

static void test_wrong_frame_layout(void **state)
{
    fixture_t *f = *state;
    harness_risk_in_t in;
    harness_risk_init(&in, "Three frames", "owner-a", 1, 1);
    harness_env_t env;
    Riskline__V1__RiskCreate body;
    harness_env_create(&env, &body, &in.risk);
    size_t len = 0;
    uint8_t *bytes = harness_env_pack(f->h, &env, &len);
    const void *d[] = {"x", bytes, bytes};
    size_t lens[] = {1, len, len};
    harness_env_t *rep = send_raw(f->h, 3, d, lens, 5000);
    check_reply(rep, MALFORMED, "frames", EXACT, "three frames");
    free_reply(rep);
    assert_untouched(f, "three frames");

    /* five frames (more than RL_MAX_FRAMES) */
    const void *d5[] = {"", bytes, bytes, bytes, bytes};
    size_t l5[] = {0, len, len, len, len};
    rep = send_raw(f->h, 5, d5, l5, 5000);
    check_reply(rep, MALFORMED, "frames", EXACT, "five frames");
    free_reply(rep);
    free(bytes);
    assert_untouched(f, "five frames");
}

/* --- other requests --- */

static void test_bad_update_archive_get(void **state)
{
    fixture_t *f = *state;
    harness_risk_in_t p;
    harness_risk_init(&p, "New title", "", 0, 0);
    p.risk.inherent = NULL;

    const char *bad_mask[] = {"no_such_field", NULL};
    harness_env_t *rep = harness_update(f->h, "R-1", 1, &p.risk, bad_mask);
    check_reply(rep, INVALID, "update_mask", EXACT, "unknown update_mask name");
    free_reply(rep);
    assert_untouched(f, "unknown update_mask name");

    const char *computed[] = {"version", NULL};
    rep = harness_update(f->h, "R-1", 1, &p.risk, computed);
    check_reply(rep, INVALID, "update_mask", EXACT, "a computed field in update_mask");
    free_reply(rep);
    assert_untouched(f, "a computed field in update_mask");

    const char *mask[] = {"title", NULL};
    rep = harness_update(f->h, "R-1", 7, &p.risk, mask);
    check_reply(rep, CONFLICT, "expected_version", EXACT, "a stale expected_version");
    free_reply(rep);
    assert_untouched(f, "a stale expected_version");

    harness_risk_init(&p, "", "", 0, 0);
    p.risk.inherent = NULL;
    rep = harness_update(f->h, "R-1", 1, &p.risk, mask);
    check_reply(rep, INVALID, "risk.title", EXACT, "an update that empties the title");
    free_reply(rep);
    assert_untouched(f, "an update that empties the title");

    rep = harness_update(f->h, "R-404", 1, &p.risk, mask);
    check_reply(rep, NOT_FOUND, "", ANY, "update of R-404");
    free_reply(rep);
    assert_untouched(f, "update of R-404");

    rep = harness_archive(f->h, "R-404", 1, "");
    check_reply(rep, NOT_FOUND, "", ANY, "archive of R-404");
    free_reply(rep);
    rep = harness_archive(f->h, "R-1", 5, "");
    check_reply(rep, CONFLICT, "", ANY, "archive with a stale version");
    free_reply(rep);
    assert_untouched(f, "archive with a stale/unknown version");

    rep = harness_get(f->h, "X-1");
    check_reply(rep, INVALID, "id", EXACT, "get X-1");
    free_reply(rep);
    rep = harness_get(f->h, "R-01");
    check_reply(rep, INVALID, "id", EXACT, "get R-01");
    free_reply(rep);
    rep = harness_get(f->h, "R-404");
    check_reply(rep, NOT_FOUND, "", ANY, "get R-404");
    free_reply(rep);
    rep = harness_history(f->h, "R-404", 0, NULL);
    check_reply(rep, NOT_FOUND, "", ANY, "history of R-404");
    free_reply(rep);

    Riskline__V1__RiskList q = RISKLINE__V1__RISK_LIST__INIT;
    q.limit = 501;
    rep = harness_list(f->h, &q);
    check_reply(rep, INVALID, "", ANY, "list limit 501");
    free_reply(rep);
    q.limit = 10;
    q.cursor = "not-a-cursor!";
    rep = harness_list(f->h, &q);
    check_reply(rep, INVALID, "", ANY, "a forged list cursor");
    free_reply(rep);
    assert_untouched(f, "bad gets and lists");
}

static void test_bad_criteria(void **state)
{
    fixture_t *f = *state;
    Riskline__V1__Criteria c;
    harness_criteria_defaults(&c);
    c.medium_min = 12;  /* not below high_min */
    harness_env_t *rep = harness_criteria_set(f->h, &c, 0);
    check_reply(rep, INVALID, "criteria.", PREFIX, "medium_min above high_min");
    free_reply(rep);
    assert_untouched(f, "medium_min above high_min");

    harness_criteria_defaults(&c);
    c.likelihood_levels = 11;
    rep = harness_criteria_set(f->h, &c, 0);
    check_reply(rep, INVALID, "criteria.likelihood_levels", EXACT, "11 likelihood levels");
    free_reply(rep);
    assert_untouched(f, "11 likelihood levels");

    harness_criteria_defaults(&c);
    rep = harness_criteria_set(f->h, &c, 3);
    check_reply(rep, CONFLICT, "", ANY, "criteria_set with a stale version");
    free_reply(rep);
    assert_untouched(f, "criteria_set with a stale version");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_snapshot_sees_writes),
        T(test_bad_tenant),
        T(test_bad_request_id_and_schema),
        T(test_likelihood_out_of_range),
        T(test_missing_and_long_strings),
        T(test_too_many_assets),
        T(test_limits_accepted),
        T(test_not_protobuf),
        T(test_oversized_frames),
        T(test_unknown_body),
        T(test_wrong_frame_layout),
        T(test_bad_update_archive_get),
        T(test_bad_criteria),
    };
    return cmocka_run_group_tests_name("input", tests, NULL, NULL);
}
