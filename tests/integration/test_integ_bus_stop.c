/* test_integ_bus_stop.c: the bus's part of a graceful shutdown, on real sockets (loopback, no
 * Redis): a server whose stop flag is set ends its batch and answers every request queued
 * `unavailable`, field "stopping", without running a handler; a client refused so sends the same
 * request again (same request id) after RL_STOP_RETRY_PAUSE_MS, and a server restarted on the
 * endpoint answers it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "harness.h"
#include "rl_bus.h"
#include "rl_clock.h"
#include "rl_codec.h"
#include "rl_limits.h"
#include "rl_principal.h"

/* A plaintext "register" server on endpoint whose requests run as an admin of every tenant; NULL
 * when it cannot bind within 2 s (the port of a server just destroyed in this process is freed by
 * libzmq's I/O thread a moment later: retried). */
static rl_bus_server_t *server(rl_bus_t *bus, const char *endpoint)
{
    rl_principal_t local;
    rl_principal_local(&local, "local-admin");
    rl_error_t err;
    rl_bus_server_t *s = NULL;
    for (int64_t end = rl_mono_ms() + 2000; !s && rl_mono_ms() < end;) {
        rl_error_clear(&err);
        if (!(s = rl_bus_server_new(bus, "register", endpoint, NULL, &local, &err))) {
            struct timespec ts = {0, 10 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    return s;
}

/* A Ping under request id rid, packed into buf (at least 256 bytes); its length. */
static size_t ping_bytes(const char *rid, uint8_t *buf)
{
    Riskline__V1__Envelope env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__Ping p = RISKLINE__V1__PING__INIT;
    env.schema_version = 1;
    env.request_id = (char *)rid;
    env.tenant = "default";
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PING;
    env.ping = &p;
    assert_true(riskline__v1__envelope__get_packed_size(&env) < 256);
    return riskline__v1__envelope__pack(&env, buf);
}

/* Requests queued before the stop: the one handled before it is answered (pong); once the flag is
 * set a poll handles none, and the drain answers each queued one `unavailable` "stopping", echoing
 * its request id. */
static void test_stop_flag_and_drain(void **state)
{
    (void)state;
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", harness_free_port());
    rl_bus_t *bus = rl_bus_new(NULL);
    assert_non_null(bus);
    rl_bus_server_t *srv = server(bus, endpoint);
    assert_non_null(srv);
    volatile sig_atomic_t stop = 0;
    rl_bus_server_stop_on(srv, &stop);
    void *zctx = zmq_ctx_new();
    void *c = zmq_socket(zctx, ZMQ_DEALER);
    int zero = 0, wait_ms = 5000;
    zmq_setsockopt(c, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(c, ZMQ_RCVTIMEO, &wait_ms, sizeof wait_ms);
    assert_int_equal(zmq_connect(c, endpoint), 0);
    uint8_t buf[256], in[4096];
    size_t len = ping_bytes("before-stop", buf);
    assert_true(zmq_send(c, buf, len, 0) >= 0);
    int64_t end = rl_mono_ms() + 5000;
    while (rl_bus_server_poll(srv, NULL, 100) == 0 && rl_mono_ms() < end) {
    }
    int n = zmq_recv(c, in, sizeof in, 0);
    assert_true(n > 0);
    Riskline__V1__Envelope *r = riskline__v1__envelope__unpack(NULL, (size_t)n, in);
    assert_non_null(r);
    assert_int_equal(r->body_case, RISKLINE__V1__ENVELOPE__BODY_PONG);
    riskline__v1__envelope__free_unpacked(r, NULL);
    /* three more queued, then the stop */
    for (int i = 0; i < 3; i++) {
        char rid[32];
        snprintf(rid, sizeof rid, "queued-%d", i);
        len = ping_bytes(rid, buf);
        assert_true(zmq_send(c, buf, len, 0) >= 0);
    }
    stop = 1;
    assert_int_equal(rl_bus_server_poll(srv, NULL, 500), 0);  /* readable, but nothing taken */
    int64_t t0 = rl_mono_ms();
    assert_int_equal(rl_bus_server_drain(srv, RL_STOP_QUIET_MS, RL_STOP_DRAIN_MS), 3);
    int64_t drained_ms = rl_mono_ms() - t0;
    assert_true(drained_ms >= RL_STOP_QUIET_MS && drained_ms < RL_STOP_DRAIN_MS);
    for (int i = 0; i < 3; i++) {
        n = zmq_recv(c, in, sizeof in, 0);
        assert_true(n > 0);
        r = riskline__v1__envelope__unpack(NULL, (size_t)n, in);
        assert_non_null(r);
        char rid[32];
        snprintf(rid, sizeof rid, "queued-%d", i);
        assert_string_equal(r->request_id, rid);
        assert_int_equal(r->body_case, RISKLINE__V1__ENVELOPE__BODY__NOT_SET);
        assert_non_null(r->status);
        assert_int_equal(r->status->code, RISKLINE__V1__CODE__CODE_UNAVAILABLE);
        assert_string_equal(r->status->field, "stopping");
        assert_non_null(strstr(r->status->message, "same request id"));
        riskline__v1__envelope__free_unpacked(r, NULL);
    }
    rl_bus_stats_t st;
    rl_bus_server_stats(srv, &st);
    assert_int_equal(st.requests, 4);
    assert_int_equal(st.ok, 1);
    assert_int_equal(st.errors, 3);
    printf("bus: 1 request answered before the stop, 3 queued refused \"stopping\" by the drain in %lld ms\n",
           (long long)drained_ms);
    zmq_close(c);
    zmq_ctx_term(zctx);
    rl_bus_server_destroy(&srv);
    rl_bus_destroy(&bus);
}

typedef struct {
    char endpoint[64];
    int refused;      /* by the stopping server */
    int served;       /* by the one restarted after it */
    atomic_int done;
} restart_t;

/* A server that is stopping (refuses until 300 ms pass without a request), then a new one on the
 * same endpoint (its restart) that serves until told. */
static void *stopping_then_restarted(void *p)
{
    restart_t *x = p;
    rl_bus_t *bus = rl_bus_new(NULL);
    rl_bus_server_t *srv = server(bus, x->endpoint);
    int64_t end = rl_mono_ms() + 5000;
    while (srv && !x->refused && rl_mono_ms() < end)
        x->refused = rl_bus_server_drain(srv, 300, 300);
    rl_bus_server_destroy(&srv);
    srv = server(bus, x->endpoint);  /* NULL: the test sees nothing served */
    while (srv && !x->done)
        x->served += rl_bus_server_poll(srv, NULL, 20) > 0;
    rl_bus_server_destroy(&srv);
    rl_bus_destroy(&bus);
    return NULL;
}

/* The client's call is refused "stopping" by the first server, pauses, sends the same request
 * again on a fresh socket and gets the restarted server's pong: RL_OK, one refusal, one served. */
static void test_client_resends_after_stopping(void **state)
{
    (void)state;
    restart_t x = {.refused = 0};
    snprintf(x.endpoint, sizeof x.endpoint, "tcp://127.0.0.1:%d", harness_free_port());
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, stopping_then_restarted, &x), 0);
    rl_bus_t *bus = rl_bus_new(NULL);
    rl_bus_client_t *cl = rl_bus_client_new(bus, x.endpoint, 3000, 2, NULL);
    assert_non_null(cl);
    rl_arena_t *a = rl_arena_new(0);
    rl_envelope_t *req = rl_codec_envelope_new(a), *reply = NULL;
    Riskline__V1__Ping p = RISKLINE__V1__PING__INIT;
    req->tenant = "default";
    req->request_id = "resent-after-stopping";
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_PING;
    req->ping = &p;
    rl_error_t err;
    rl_error_clear(&err);
    int64_t t0 = rl_mono_ms();
    rl_err_t rc = rl_bus_client_call(cl, req, a, &reply, &err);
    int64_t took = rl_mono_ms() - t0;
    x.done = 1;
    pthread_join(th, NULL);
    if (rc != RL_OK)
        fail_msg("call: %s: %s: %s", rl_strerror(rc), err.field, err.message);
    assert_int_equal(reply->body_case, RISKLINE__V1__ENVELOPE__BODY_PONG);
    assert_string_equal(reply->request_id, "resent-after-stopping");
    assert_int_equal(x.refused, 1);
    assert_int_equal(x.served, 1);
    assert_true(took >= RL_STOP_RETRY_PAUSE_MS);
    printf("bus: a call refused \"stopping\" was sent again after %d ms and answered by the restarted server "
           "(%lld ms in all)\n",
           RL_STOP_RETRY_PAUSE_MS, (long long)took);
    rl_arena_destroy(&a);
    rl_bus_client_destroy(&cl);
    rl_bus_destroy(&bus);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_flag_and_drain),
        cmocka_unit_test(test_client_resends_after_stopping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
