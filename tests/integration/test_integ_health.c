/* test_integ_health.c: health and metrics with real processes: HealthGet on every service, readiness
 * following Redis down and up, `riskline-<service> --check` exit codes, and GET /metrics and
 * /healthz over HTTP (a small socket client here: no curl) with counters that follow requests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "harness_msg.h"
#include "riskline/v1/health.pb-c.h"

static int setup(void **state)
{
    harness_t *h = harness_new();
    *state = h;
    return 0;
}

static int teardown(void **state)
{
    harness_t *h = *state;
    harness_destroy(&h);
    return 0;
}

/* HealthGet to a service as `key` (a .key file; NULL: the local admin's cli.key). The reply, or
 * NULL when none came within 5 s. */
static harness_env_t *health_as(harness_t *h, const char *endpoint, const char *service, const char *key)
{
    char path[600];
    snprintf(path, sizeof path, "%s/cli.key", h->keys_dir);
    void *s = harness_dealer_to(h, endpoint, service, key ? key : path);
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__HealthGet get = RISKLINE__V1__HEALTH_GET__INIT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_HEALTH_GET;
    env.health_get = &get;
    harness_env_t *reply = harness_send_env(h, s, &env) == 0 ? harness_recv_env(s, 5000) : NULL;
    zmq_close(s);
    return reply;
}

static harness_env_t *health(harness_t *h, const char *endpoint, const char *service)
{
    return health_as(h, endpoint, service, NULL);
}

/* The reply is a Health of `service`: live, with the build version. */
static const Riskline__V1__Health *health_of(const harness_env_t *reply, const char *service)
{
    assert_non_null(reply);
    assert_int_equal(harness_code(reply), 0);
    assert_int_equal(reply->body_case, RISKLINE__V1__ENVELOPE__BODY_HEALTH);
    const Riskline__V1__Health *hl = reply->health;
    assert_string_equal(hl->service, service);
    assert_string_equal(hl->version, "0.1.0");
    assert_true(hl->live);
    assert_int_equal(hl->max_lag, 1000);
    return hl;
}

/* --- a small HTTP/1.1 client: one request per connection --- */

typedef struct {
    int status;          /* 0: no answer */
    char head[2048];     /* status line and headers */
    char *body;          /* malloc'd, NUL-terminated */
} http_t;

static void http_free(http_t *r)
{
    free(r->body);
    r->body = NULL;
}

/* Sends `method path` (plus body when not NULL) to 127.0.0.1:port and reads the whole answer. */
static void http(int port, const char *method, const char *path, const char *body, http_t *r)
{
    memset(r, 0, sizeof *r);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        fail_msg("cannot connect to the metrics port %d", port);
    }
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
                     method, path, body ? strlen(body) : 0, body ? body : "");
    assert_int_equal(send(fd, req, (size_t)n, 0), n);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        ssize_t got = recv(fd, buf + len, 4096, 0);
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    buf[len] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1)
        r->status = 0;
    size_t hl = end ? (size_t)(end - buf) : len;
    snprintf(r->head, sizeof r->head, "%.*s", (int)(hl < sizeof r->head ? hl : sizeof r->head - 1), buf);
    r->body = strdup(end ? end + 4 : "");
    free(buf);
    assert_non_null(r->body);
}

/* The text holds `line` as a whole line. */
static void has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = strstr(text, line); p; p = strstr(p + 1, line))
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return;
    fputs(text, stdout);  /* whole: cmocka cuts long messages */
    fail_msg("no line %s in the text above", line);
}

/* The status of one request; its head into head when not NULL. */
static int http_status(int port, const char *method, const char *path, const char *body, char *head, size_t hsize)
{
    http_t g;
    http(port, method, path, body, &g);
    if (head)
        snprintf(head, hsize, "%s", g.head);
    int status = g.status;
    http_free(&g);
    return status;
}

/* Scrapes /metrics until it holds `line` (a whole line), up to 5 s; g keeps the last scrape. */
static void scrape_until(int port, const char *line, http_t *g)
{
    char want[300];
    snprintf(want, sizeof want, "\n%s\n", line);
    for (int attempt = 0; attempt < 50; attempt++) {
        http(port, "GET", "/metrics", NULL, g);
        if (strstr(g->body, want))
            return;
        http_free(g);
        harness_sleep_ms(100);
    }
    http(port, "GET", "/metrics", NULL, g);
    has_line(g->body, line);
}

/* n risks made by the local admin; each must succeed. */
static void create_risks(harness_t *h, int n)
{
    for (int i = 0; i < n; i++) {
        harness_risk_in_t in;
        harness_risk_init(&in, "Measured", "olga", 2, 2);
        harness_env_t *reply = harness_create(h, &in.risk, NULL);
        assert_int_equal(harness_code(reply), 0);
        riskline__v1__envelope__free_unpacked(reply, NULL);
    }
}

/* --- tests --- */

/* Every service answers HealthGet itself: ready with Redis up, its consumer groups listed. */
static void test_health_every_service(void **state)
{
    harness_t *h = *state;
    assert_int_equal(harness_treatment_start(h), 0);
    assert_int_equal(harness_monitor_start(h), 0);
    assert_int_equal(harness_report_start(h), 0);
    /* a domain event in tenant default: the register's and the treatment's groups have a stream */
    harness_risk_in_t in;
    harness_risk_init(&in, "Health", "olga", 3, 3);
    harness_env_t *reply = harness_create(h, &in.risk, NULL);
    assert_int_equal(harness_code(reply), 0);
    riskline__v1__envelope__free_unpacked(reply, NULL);

    const struct {
        const char *name, *endpoint, *group, *stream;
    } svcs[] = {
        {"register", h->endpoint, "register", "rl:{default}:events"},
        {"treatment", h->treatment_endpoint, "treatment", "rl:{default}:events"},
        /* no risk event ingested yet: the tenant's log does not exist, and its lag is 0 */
        {"monitor", h->monitor_endpoint, "monitor", "rl:{default}:riskevent:log"},
        {"report", h->report_endpoint, NULL, NULL},     /* reads with its own position: no group */
    };
    for (size_t i = 0; i < sizeof svcs / sizeof svcs[0]; i++) {
        harness_env_t *r = NULL;
        const Riskline__V1__Health *hl = NULL;
        /* ready at once (3 entries behind is within the bound); caught up within a few ticks */
        for (int attempt = 0; attempt < 50; attempt++) {
            if (r)
                riskline__v1__envelope__free_unpacked(r, NULL);
            r = health(h, svcs[i].endpoint, svcs[i].name);
            hl = health_of(r, svcs[i].name);
            if (hl->ready && (!hl->n_consumers || hl->consumers[0]->lag == 0))
                break;
            harness_sleep_ms(100);
        }
        if (!hl->ready)
            fail_msg("%s not ready: %s", svcs[i].name, hl->n_reasons ? hl->reasons[0] : "(no reason)");
        assert_true(hl->redis_ok);
        assert_int_equal(hl->n_reasons, 0);
        assert_true(hl->uptime_ms >= 0);
        assert_true(hl->redis_connects >= 1);
        if (svcs[i].group) {
            assert_int_equal(hl->consumers_total, 1);
            assert_int_equal(hl->n_consumers, 1);
            assert_string_equal(hl->consumers[0]->group, svcs[i].group);
            assert_string_equal(hl->consumers[0]->stream, svcs[i].stream);
            assert_int_equal(hl->consumers[0]->lag, 0);
        } else {
            assert_int_equal(hl->n_consumers, 0);
        }
        riskline__v1__envelope__free_unpacked(r, NULL);
    }
}

/* Any authenticated principal may ask, whatever its role and tenants; an unknown key may not. */
static void test_health_any_principal(void **state)
{
    harness_t *h = *state;
    harness_issue_key(h, "far-away", "integrator", "elsewhere");
    char key[600];
    snprintf(key, sizeof key, "%s/far-away.key", h->keys_dir);
    harness_env_t *r = health_as(h, h->endpoint, "register", key);
    assert_true(health_of(r, "register")->ready);
    riskline__v1__envelope__free_unpacked(r, NULL);
    /* the service's own key (the probe's) is accepted for health only: nothing else */
    snprintf(key, sizeof key, "%s/register.key", h->keys_dir);
    r = health_as(h, h->endpoint, "register", key);
    assert_true(health_of(r, "register")->ready);
    riskline__v1__envelope__free_unpacked(r, NULL);
    void *s = harness_dealer_to(h, h->endpoint, "register", key);
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__RiskList list = RISKLINE__V1__RISK_LIST__INIT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_LIST;
    env.risk_list = &list;
    assert_int_equal(harness_send_env(h, s, &env), 0);
    r = harness_recv_env(s, 5000);
    zmq_close(s);
    assert_non_null(r);
    assert_int_equal(harness_code(r), RISKLINE__V1__CODE__CODE_FORBIDDEN);
    assert_string_equal(harness_field(r), "tenant");
    riskline__v1__envelope__free_unpacked(r, NULL);
}

/* `riskline-<service> --check` exit codes and its one line. */
static void test_check_exit_codes(void **state)
{
    harness_t *h = *state;
    assert_int_equal(harness_treatment_start(h), 0);
    const char *fast[] = {"RISKLINE_TIMEOUT_MS=700", NULL};
    harness_run_t r;
    harness_service_run(h, "register", fast, (const char *const[]){"--check", NULL}, &r);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "riskline-register: ready: redis ok, 0 consumer stream(s) within 1000 entries\n");
    harness_run_free(&r);
    harness_service_run(h, "treatment", fast, (const char *const[]){"--check=ready", NULL}, &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "riskline-treatment: ready"));
    harness_run_free(&r);
    harness_service_run(h, "treatment", fast, (const char *const[]){"--check=live", NULL}, &r);
    assert_int_equal(r.status, 0);
    harness_run_free(&r);
    harness_service_run(h, "register", fast, (const char *const[]){"--check=maybe", NULL}, &r);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "riskline-register: --check=maybe: the mode is live or ready\n");
    harness_run_free(&r);
    /* a service that is not running: not live, and so not ready */
    assert_int_equal(harness_treatment_stop(h), 0);
    harness_service_run(h, "treatment", fast, (const char *const[]){"--check=live", NULL}, &r);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, "riskline-treatment: not live: no reply from tcp://127.0.0.1:"));
    harness_run_free(&r);
    harness_service_run(h, "treatment", fast, (const char *const[]){"--check", NULL}, &r);
    assert_int_equal(r.status, 1);
    harness_run_free(&r);
}

/* Redis stopped: live but not ready, the reason names Redis, --check exits 1; Redis back: ready. */
static void test_ready_follows_redis(void **state)
{
    harness_t *h = *state;
    assert_int_equal(harness_redis_stop(h), 0);
    harness_env_t *r = health(h, h->endpoint, "register");
    const Riskline__V1__Health *hl = health_of(r, "register");
    assert_false(hl->ready);
    assert_false(hl->redis_ok);
    assert_int_equal(hl->n_reasons, 1);
    assert_non_null(strstr(hl->reasons[0], "redis unreachable"));
    riskline__v1__envelope__free_unpacked(r, NULL);

    const char *fast[] = {"RISKLINE_TIMEOUT_MS=2000", NULL};
    harness_run_t run;
    harness_service_run(h, "register", fast, (const char *const[]){"--check", NULL}, &run);
    assert_int_equal(run.status, 1);
    assert_non_null(strstr(run.out, "riskline-register: not ready: redis unreachable"));
    /* one line */
    assert_ptr_equal(strchr(run.out, '\n'), run.out + strlen(run.out) - 1);
    harness_run_free(&run);
    harness_service_run(h, "register", fast, (const char *const[]){"--check=live", NULL}, &run);
    assert_int_equal(run.status, 0);
    assert_non_null(strstr(run.out, "riskline-register: live, not ready: redis unreachable"));
    harness_run_free(&run);
    /* /healthz says the same */
    http_t g;
    http(h->register_metrics_port, "GET", "/healthz", NULL, &g);
    assert_int_equal(g.status, 503);
    assert_non_null(strstr(g.body, "not ready: redis unreachable"));
    http_free(&g);

    assert_int_equal(harness_redis_start(h), 0);
    int ready = 0;
    for (int attempt = 0; attempt < 100 && !ready; attempt++) {
        r = health(h, h->endpoint, "register");
        ready = health_of(r, "register")->ready;
        riskline__v1__envelope__free_unpacked(r, NULL);
        if (!ready)
            harness_sleep_ms(100);
    }
    assert_true(ready);
    harness_service_run(h, "register", fast, (const char *const[]){"--check", NULL}, &run);
    assert_int_equal(run.status, 0);
    harness_run_free(&run);
    http(h->register_metrics_port, "GET", "/healthz", NULL, &g);
    assert_int_equal(g.status, 200);
    assert_string_equal(g.body, "ready\n");
    http_free(&g);
}

/* GET /metrics: Prometheus text whose counters follow the requests; other paths and methods refused. */
static void test_metrics_http(void **state)
{
    harness_t *h = *state;
    create_risks(h, 3);
    harness_env_t *reply = harness_get(h, "R-999");  /* one refused request */
    assert_int_equal(harness_code(reply), RISKLINE__V1__CODE__CODE_NOT_FOUND);
    riskline__v1__envelope__free_unpacked(reply, NULL);

    http_t g;
    http(h->register_metrics_port, "GET", "/metrics", NULL, &g);
    assert_int_equal(g.status, 200);
    assert_non_null(strstr(g.head, "text/plain; version=0.0.4"));
    has_line(g.body, "# TYPE riskline_requests_total counter");
    has_line(g.body, "riskline_requests_total{service=\"register\",type=\"risk_create\",code=\"ok\"} 3");
    has_line(g.body, "riskline_requests_total{service=\"register\",type=\"risk_get\",code=\"not_found\"} 1");
    has_line(g.body, "# TYPE riskline_request_duration_seconds histogram");
    has_line(g.body, "riskline_request_duration_seconds_count{service=\"register\",type=\"risk_create\"} 3");
    has_line(g.body, "riskline_request_duration_seconds_bucket{service=\"register\",type=\"risk_create\",le=\"+Inf\"} 3");
    has_line(g.body, "riskline_redis_up{service=\"register\"} 1");
    has_line(g.body, "riskline_build_info{service=\"register\",version=\"0.1.0\"} 1");
    http_free(&g);
    /* the register's own consumer reads the 3 risk.created events: its lag falls to 0 */
    int port = h->register_metrics_port;
    scrape_until(port, "riskline_consumer_lag_entries{service=\"register\",group=\"register\"} 0", &g);
    http_free(&g);

    /* two more: the counter rises */
    create_risks(h, 2);
    http(port, "GET", "/metrics", NULL, &g);
    has_line(g.body, "riskline_requests_total{service=\"register\",type=\"risk_create\",code=\"ok\"} 5");
    http_free(&g);

    /* hostile or stray requests get a status and no content; HEAD gets the headers only */
    char head[2048];
    assert_int_equal(http_status(port, "GET", "/", NULL, NULL, 0), 404);
    assert_int_equal(http_status(port, "GET", "/metrics/../etc/passwd", NULL, NULL, 0), 404);
    assert_int_equal(http_status(port, "POST", "/metrics", "x=1", head, sizeof head), 405);
    assert_non_null(strstr(head, "Allow: GET, HEAD"));
    assert_int_equal(http_status(port, "DELETE", "/healthz", NULL, NULL, 0), 405);
    assert_int_equal(http_status(port, "HEAD", "/metrics", NULL, head, sizeof head), 200);
    assert_non_null(strstr(head, "text/plain; version=0.0.4"));
    /* the service still serves requests */
    assert_true(harness_ping(h, 2000));
}

/* The monitor's own metrics: events by outcome, alerts open, its consumer group's lag. */
static void test_monitor_metrics(void **state)
{
    harness_t *h = *state;
    assert_int_equal(harness_monitor_start(h), 0);
    const char *send[] = {"event", "send", "--source", "siem", "--id", "e-1", "--kind", "incident", "--severity",
                          "high", "--summary", "odd logins", NULL};
    harness_run_t r;
    for (int i = 0; i < 2; i++) {  /* the second is a duplicate */
        harness_cli(h, NULL, send, &r);
        assert_int_equal(r.status, 0);
        harness_run_free(&r);
    }
    http_t g;
    scrape_until(h->monitor_metrics_port, "riskline_consumer_lag_entries{service=\"monitor\",group=\"monitor\"} 0",
                 &g);
    has_line(g.body, "riskline_events_total{service=\"monitor\",outcome=\"accepted\"} 1");
    has_line(g.body, "riskline_events_total{service=\"monitor\",outcome=\"duplicate\"} 1");
    has_line(g.body, "riskline_events_total{service=\"monitor\",outcome=\"rejected\"} 0");
    has_line(g.body, "riskline_alerts_open{service=\"monitor\"} 0");
    has_line(g.body, "riskline_requests_total{service=\"monitor\",type=\"event_batch\",code=\"ok\"} 2");
    http_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_health_every_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_health_any_principal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_exit_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ready_follows_redis, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_http, setup, teardown),
        cmocka_unit_test_setup_teardown(test_monitor_metrics, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
