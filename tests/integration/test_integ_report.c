/* test_integ_report.c: the report's update stream with real processes: a subscriber gets its own
 * tenants' updates live with rising sequences, never another tenant's, and catches up by sequence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "harness.h"
#include "harness_msg.h"
#include "rl_clock.h"
#include "rl_keyfile.h"
#include "riskline/v1/report.pb-c.h"

static int setup(void **state)
{
    harness_t *h = harness_new();
    if (harness_report_start(h) != 0) {
        harness_destroy(&h);
        fail_msg("riskline-report did not start");
    }
    harness_issue_key(h, "view-a", "viewer", "default");
    harness_issue_key(h, "view-b", "viewer", "beta");
    *state = h;
    return 0;
}

static int teardown(void **state)
{
    harness_t *h = *state;
    harness_destroy(&h);
    return 0;
}

/* A SUB with name's key subscribed to prefix on the report's PUB. */
static void *subscriber(harness_t *h, const char *name, const char *prefix)
{
    void *s = zmq_socket(h->zctx, ZMQ_SUB);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    char path[600];
    rl_keyfile_t me, server;
    rl_error_t err;
    snprintf(path, sizeof path, "%s/%s.key", h->keys_dir, name);
    assert_int_equal(rl_keyfile_load(&me, path, &err), RL_OK);
    snprintf(path, sizeof path, "%s/report.pub", h->keys_dir);
    assert_int_equal(rl_keyfile_load(&server, path, &err), RL_OK);
    zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server.curve_public, 40);
    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, me.curve_public, 40);
    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, me.curve_secret, 40);
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, prefix, strlen(prefix));
    assert_int_equal(zmq_connect(s, h->report_pub_endpoint), 0);
    return s;
}

/* The next update on s within ms, or NULL; *topic gets its topic. */
static Riskline__V1__Update *next_update(void *s, int ms, char *topic, size_t tsize)
{
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, ms) <= 0)
        return NULL;
    int n = zmq_recv(s, topic, tsize - 1, 0);
    topic[n < 0 ? 0 : (size_t)n < tsize ? (size_t)n : tsize - 1] = '\0';
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, s, 0) < 0) {
        zmq_msg_close(&m);
        return NULL;
    }
    Riskline__V1__Update *u = riskline__v1__update__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    return u;
}

static harness_env_t *updates_after(harness_t *h, const char *who, const char *tenant, uint64_t after)
{
    char key[600];
    snprintf(key, sizeof key, "%s/%s.key", h->keys_dir, who);
    void *s = harness_dealer_to(h, h->report_endpoint, "report", key);
    assert_non_null(s);
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__UpdatesAfter q = RISKLINE__V1__UPDATES_AFTER__INIT;
    q.after_sequence = after;
    env.tenant = (char *)tenant;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_UPDATES_AFTER;
    env.updates_after = &q;
    harness_env_prepare(h, &env);
    harness_env_t *r = NULL;
    if (harness_send_env(h, s, &env) == 0)
        r = harness_recv_env(s, 5000);
    zmq_close(s);
    assert_non_null(r);
    return r;
}

static void test_live_updates_and_catch_up(void **state)
{
    harness_t *h = *state;
    void *a = subscriber(h, "view-a", "default.");
    void *b = subscriber(h, "view-b", "default.");  /* not its tenant: refused by the publisher */
    struct timespec ts = {0, 700 * 1000000L};       /* handshakes and subscriptions settle */
    nanosleep(&ts, NULL);
    harness_risk_in_t in;
    harness_risk_init(&in, "Insider fraud", "local-admin", 3, 4);
    harness_env_t *r = harness_create(h, &in.risk, NULL);
    assert_int_equal(harness_code(r), 0);
    riskline__v1__envelope__free_unpacked(r, NULL);
    harness_risk_init(&in, "Insider fraud 2", "local-admin", 2, 2);
    r = harness_create(h, &in.risk, NULL);
    riskline__v1__envelope__free_unpacked(r, NULL);
    char topic[80];
    Riskline__V1__Update *u1 = next_update(a, 5000, topic, sizeof topic);
    assert_non_null(u1);
    assert_string_equal(topic, "default.risk");
    assert_string_equal(u1->event, "risk.created");
    assert_string_equal(u1->entity_id, "R-1");
    assert_string_equal(u1->actor, "local-admin");
    assert_true(u1->sequence > 0);
    Riskline__V1__Update *u2 = next_update(a, 5000, topic, sizeof topic);
    assert_non_null(u2);
    assert_string_equal(u2->entity_id, "R-2");
    assert_true(u2->sequence > u1->sequence);  /* rises with every update */
    assert_null(next_update(b, 500, topic, sizeof topic));
    /* catch-up: everything after 0, then nothing after the last one seen */
    r = updates_after(h, "view-a", "default", 0);
    assert_int_equal(harness_code(r), 0);
    assert_int_equal(r->update_page->n_updates, 2);
    assert_int_equal(r->update_page->updates[0]->sequence, u1->sequence);
    assert_int_equal(r->update_page->updates[1]->sequence, u2->sequence);
    riskline__v1__envelope__free_unpacked(r, NULL);
    r = updates_after(h, "view-a", "default", u1->sequence);
    assert_int_equal(r->update_page->n_updates, 1);
    assert_string_equal(r->update_page->updates[0]->entity_id, "R-2");
    riskline__v1__envelope__free_unpacked(r, NULL);
    /* another tenant's principal reaches neither the stream nor the catch-up */
    r = updates_after(h, "view-b", "default", 0);
    assert_int_equal(harness_code(r), RISKLINE__V1__CODE__CODE_FORBIDDEN);
    assert_string_equal(harness_field(r), "tenant");
    riskline__v1__envelope__free_unpacked(r, NULL);
    riskline__v1__update__free_unpacked(u1, NULL);
    riskline__v1__update__free_unpacked(u2, NULL);
    zmq_close(a);
    zmq_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_live_updates_and_catch_up, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
