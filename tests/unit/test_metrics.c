/* test_metrics.c: the metrics registry and its Prometheus text (exact output), label escaping,
 * histograms, bounds; the readiness rule (rl_health_judge); the probe's endpoint rewrite. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rl_health.h"
#include "rl_metrics.h"
#include "rl_probe.h"

static char *render(const rl_metrics_t *m)
{
    size_t len = 0;
    char *text = rl_metrics_render(m, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

static void test_small_registry_exact(void **state)
{
    (void)state;
    rl_metrics_t *m = rl_metrics_new();
    assert_non_null(m);
    const double b[] = {0.01, 0.1, 1};
    assert_int_equal(rl_metrics_declare(m, "rq_total", "Requests.", RL_METRIC_COUNTER, NULL, 0), 0);
    assert_int_equal(rl_metrics_declare(m, "up", "Up.", RL_METRIC_GAUGE, NULL, 0), 0);
    assert_int_equal(rl_metrics_declare(m, "lat_seconds", "Latency.", RL_METRIC_HISTOGRAM, b, 3), 0);
    const char *ok[] = {"type", "risk_create", "code", "ok"};
    const char *bad[] = {"type", "risk_create", "code", "invalid_argument"};
    rl_metric_add(rl_metrics_get(m, "rq_total", ok, 2), 1);
    rl_metric_add(rl_metrics_get(m, "rq_total", bad, 2), 1);
    rl_metric_add(rl_metrics_get(m, "rq_total", ok, 2), 2);
    rl_metric_add(rl_metrics_get(m, "rq_total", ok, 2), -5);   /* a counter never falls */
    rl_metric_set(rl_metrics_get(m, "up", NULL, 0), 1);
    rl_metric_observe(rl_metrics_get(m, "lat_seconds", ok, 1), 0.005);
    rl_metric_observe(rl_metrics_get(m, "lat_seconds", ok, 1), 0.25);
    rl_metric_observe(rl_metrics_get(m, "lat_seconds", ok, 1), 7);
    rl_metric_observe(rl_metrics_get(m, "lat_seconds", ok, 1), 0.01);  /* on a bound: that bucket */
    char *text = render(m);
    assert_string_equal(text,
                        "# HELP rq_total Requests.\n"
                        "# TYPE rq_total counter\n"
                        "rq_total{type=\"risk_create\",code=\"ok\"} 3\n"
                        "rq_total{type=\"risk_create\",code=\"invalid_argument\"} 1\n"
                        "# HELP up Up.\n"
                        "# TYPE up gauge\n"
                        "up 1\n"
                        "# HELP lat_seconds Latency.\n"
                        "# TYPE lat_seconds histogram\n"
                        "lat_seconds_bucket{type=\"risk_create\",le=\"0.01\"} 2\n"
                        "lat_seconds_bucket{type=\"risk_create\",le=\"0.1\"} 2\n"
                        "lat_seconds_bucket{type=\"risk_create\",le=\"1\"} 3\n"
                        "lat_seconds_bucket{type=\"risk_create\",le=\"+Inf\"} 4\n"
                        "lat_seconds_sum{type=\"risk_create\"} 7.265\n"
                        "lat_seconds_count{type=\"risk_create\"} 4\n");
    free(text);
    rl_metrics_destroy(&m);
    assert_null(m);
    rl_metrics_destroy(&m);  /* NULL-safe */
}

static void test_escaping(void **state)
{
    (void)state;
    rl_metrics_t *m = rl_metrics_new();
    assert_int_equal(rl_metrics_declare(m, "x", "Back\\slash and\nnewline \"quoted\".", RL_METRIC_GAUGE, NULL, 0),
                     0);
    const char *l[] = {"v", "a\\b \"c\"\nd"};
    rl_metric_set(rl_metrics_get(m, "x", l, 1), -2.5);
    char *text = render(m);
    assert_string_equal(text, "# HELP x Back\\\\slash and\\nnewline \"quoted\".\n"
                              "# TYPE x gauge\n"
                              "x{v=\"a\\\\b \\\"c\\\"\\nd\"} -2.5\n");
    free(text);
    rl_metrics_destroy(&m);
}

static void test_numbers(void **state)
{
    (void)state;
    rl_metrics_t *m = rl_metrics_new();
    assert_int_equal(rl_metrics_declare(m, "g", "", RL_METRIC_GAUGE, NULL, 0), 0);
    const char *a[] = {"k", "a"}, *b[] = {"k", "b"}, *c[] = {"k", "c"}, *d[] = {"k", "d"}, *e[] = {"k", "e"};
    rl_metric_set(rl_metrics_get(m, "g", a, 1), 0.1);
    rl_metric_set(rl_metrics_get(m, "g", b, 1), INFINITY);
    rl_metric_set(rl_metrics_get(m, "g", c, 1), NAN);
    rl_metric_set(rl_metrics_get(m, "g", d, 1), 1e20);
    rl_metric_set(rl_metrics_get(m, "g", e, 1), 12345678901234.0);
    char *text = render(m);
    assert_string_equal(text, "# HELP g \n# TYPE g gauge\n"
                              "g{k=\"a\"} 0.1\ng{k=\"b\"} +Inf\ng{k=\"c\"} NaN\ng{k=\"d\"} 1e+20\n"
                              "g{k=\"e\"} 12345678901234\n");
    free(text);
    rl_metrics_destroy(&m);
}

static void test_refusals_and_bounds(void **state)
{
    (void)state;
    rl_metrics_t *m = rl_metrics_new();
    const double up[] = {1, 2}, down[] = {2, 1};
    assert_int_equal(rl_metrics_declare(m, "ok_total", "", RL_METRIC_COUNTER, NULL, 0), 0);
    assert_int_equal(rl_metrics_declare(m, "ok_total", "again", RL_METRIC_COUNTER, NULL, 0), 0);  /* no-op */
    assert_int_equal(rl_metrics_declare(m, "ok_total", "", RL_METRIC_GAUGE, NULL, 0), -1);        /* other type */
    assert_int_equal(rl_metrics_declare(m, "9bad", "", RL_METRIC_GAUGE, NULL, 0), -1);
    assert_int_equal(rl_metrics_declare(m, "bad-name", "", RL_METRIC_GAUGE, NULL, 0), -1);
    assert_int_equal(rl_metrics_declare(m, "", "", RL_METRIC_GAUGE, NULL, 0), -1);
    assert_int_equal(rl_metrics_declare(m, "h", "", RL_METRIC_HISTOGRAM, down, 2), -1);
    assert_int_equal(rl_metrics_declare(m, "h", "", RL_METRIC_HISTOGRAM, NULL, 0), -1);
    assert_int_equal(rl_metrics_declare(m, "h", "", RL_METRIC_HISTOGRAM, up, 2), 0);
    /* unknown family, bad label names, the reserved le */
    const char *badl[] = {"a-b", "x"}, *le[] = {"le", "1"};
    assert_null(rl_metrics_get(m, "nope", NULL, 0));
    assert_null(rl_metrics_get(m, "ok_total", badl, 1));
    assert_null(rl_metrics_get(m, "h", le, 1));
    assert_int_equal(rl_metrics_dropped(m), 3);
    /* the wrong update on a type is ignored; NULL series are harmless */
    rl_metric_t *c = rl_metrics_get(m, "ok_total", NULL, 0);
    rl_metric_observe(c, 1);
    rl_metric_add(NULL, 1);
    rl_metric_set(NULL, 1);
    rl_metric_observe(NULL, 1);
    /* at most RL_METRICS_MAX_SERIES series: then NULL, counted */
    size_t made = 1;
    for (int i = 0; made < RL_METRICS_MAX_SERIES + 10; i++, made++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        const char *l[] = {"i", v};
        rl_metric_t *s = rl_metrics_get(m, "ok_total", l, 1);
        if (made < RL_METRICS_MAX_SERIES)
            assert_non_null(s);
        else
            assert_null(s);
    }
    assert_int_equal(rl_metrics_dropped(m), 3 + 10);
    char *text = render(m);
    assert_non_null(strstr(text, "ok_total 0\n"));
    free(text);
    rl_metrics_destroy(&m);
}

/* --- readiness --- */

static void test_judge_ready_and_lag(void **state)
{
    (void)state;
    rl_arena_t *a = rl_arena_new(0);
    rl_health_lag_t lags[] = {
        {"rl:{a}:events", "register", 5, 1, 1},
        {"rl:{b}:events", "register", 1500, 0, 1},
        {"rl:{c}:events", "register", 1000, 2, 1},
    };
    Riskline__V1__Health h = RISKLINE__V1__HEALTH__INIT;
    assert_int_equal(rl_health_judge(NULL, NULL, lags, 3, 1000, a, &h), 0);
    assert_false(h.ready);
    assert_true(h.redis_ok);
    assert_int_equal(h.consumers_total, 3);
    assert_int_equal(h.n_reasons, 1);  /* 1000 is within the bound */
    assert_string_equal(h.reasons[0], "consumer group register is 1500 entries behind on rl:{b}:events (bound 1000)");
    assert_int_equal(h.n_consumers, 3);  /* the most behind first */
    assert_string_equal(h.consumers[0]->stream, "rl:{b}:events");
    assert_int_equal(h.consumers[1]->lag, 1000);
    assert_int_equal(h.consumers[2]->pending, 1);
    assert_int_equal(h.max_lag, 1000);
    /* a larger bound: ready, no reason */
    Riskline__V1__Health h2 = RISKLINE__V1__HEALTH__INIT;
    assert_int_equal(rl_health_judge(NULL, NULL, lags, 3, 1500, a, &h2), 0);
    assert_true(h2.ready);
    assert_int_equal(h2.n_reasons, 0);
    /* no consumers at all: ready with Redis */
    Riskline__V1__Health h3 = RISKLINE__V1__HEALTH__INIT;
    assert_int_equal(rl_health_judge(NULL, NULL, NULL, 0, 0, a, &h3), 0);
    assert_true(h3.ready);
    assert_int_equal(h3.n_consumers, 0);
    rl_arena_destroy(&a);
}

static void test_judge_redis_and_many(void **state)
{
    (void)state;
    rl_arena_t *a = rl_arena_new(0);
    Riskline__V1__Health h = RISKLINE__V1__HEALTH__INIT;
    assert_int_equal(rl_health_judge("Connection refused", NULL, NULL, 0, 1000, a, &h), 0);
    assert_false(h.ready);
    assert_false(h.redis_ok);
    assert_int_equal(h.n_reasons, 1);
    assert_string_equal(h.reasons[0], "redis unreachable: Connection refused");
    Riskline__V1__Health h1 = RISKLINE__V1__HEALTH__INIT;
    assert_int_equal(rl_health_judge(NULL, "NOPERM xinfo", NULL, 0, 1000, a, &h1), 0);
    assert_false(h1.ready);
    assert_true(h1.redis_ok);
    assert_string_equal(h1.reasons[0], "consumer lag unknown: NOPERM xinfo");
    /* more consumers behind than are listed: one line for the rest */
    enum { N = RL_HEALTH_MAX_CONSUMERS + 4 };
    rl_health_lag_t lags[N];
    char names[N][32];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "rl:{t%02d}:events", i);
        lags[i] = (rl_health_lag_t){names[i], "treatment", (uint64_t)(10 + i), 0, 1};
    }
    Riskline__V1__Health h2 = RISKLINE__V1__HEALTH__INIT;
    assert_int_equal(rl_health_judge(NULL, NULL, lags, N, 0, a, &h2), 0);
    assert_false(h2.ready);
    assert_int_equal(h2.consumers_total, N);
    assert_int_equal(h2.n_consumers, RL_HEALTH_MAX_CONSUMERS);
    assert_int_equal(h2.n_reasons, RL_HEALTH_MAX_CONSUMERS + 1);
    assert_string_equal(h2.reasons[RL_HEALTH_MAX_CONSUMERS], "and 4 more consumer groups behind");
    assert_int_equal(h2.consumers[0]->lag, 10 + N - 1);
    rl_arena_destroy(&a);
}

static void test_connect_endpoint(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(rl_probe_connect_endpoint("tcp://*:7101", buf, sizeof buf), 0);
    assert_string_equal(buf, "tcp://127.0.0.1:7101");
    assert_int_equal(rl_probe_connect_endpoint("tcp://0.0.0.0:7102", buf, sizeof buf), 0);
    assert_string_equal(buf, "tcp://127.0.0.1:7102");
    assert_int_equal(rl_probe_connect_endpoint("tcp://10.0.0.5:7103", buf, sizeof buf), 0);
    assert_string_equal(buf, "tcp://10.0.0.5:7103");
    assert_int_equal(rl_probe_connect_endpoint("ipc:///tmp/rl.sock", buf, sizeof buf), 0);
    assert_string_equal(buf, "ipc:///tmp/rl.sock");
    assert_int_equal(rl_probe_connect_endpoint("tcp://a-very-long-host-name.example.org:7101", buf, 16), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_registry_exact), cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_numbers),              cmocka_unit_test(test_refusals_and_bounds),
        cmocka_unit_test(test_judge_ready_and_lag),  cmocka_unit_test(test_judge_redis_and_many),
        cmocka_unit_test(test_connect_endpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
