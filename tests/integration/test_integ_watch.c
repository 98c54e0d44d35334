/* test_integ_watch.c: `riskline watch` against the real register, treatment, report and Redis:
 * every update printed once and in order while others change state (compared with the tenant's
 * stream itself), a stopped watcher resumes from its state file with nothing missing or repeated,
 * --kind filters, a key of one tenant cannot watch another, a restarted publisher loses nothing, a
 * revoked key is cut off, the text line format. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "harness.h"
#include "harness_msg.h"

#define MAX_UPD 400
#define WAIT_MS 20000

typedef struct {
    uint64_t seq;
    char event[48];
    char id[48];
    char kind[32];
} upd_t;

static int setup(void **state)
{
    harness_t *h = harness_new_with_report();
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

/* The tenant's stream itself, in order: what every watcher must print. */
static size_t stream_updates(harness_t *h, const char *tenant, upd_t *out, size_t max)
{
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "XRANGE rl:{%s}:events - +", tenant);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    size_t n = 0;
    for (size_t i = 0; i < r->elements && n < max; i++) {
        redisReply *e = r->element[i];
        unsigned long long ms = 0, k = 0;
        assert_int_equal(sscanf(e->element[0]->str, "%llu-%llu", &ms, &k), 2);
        redisReply *fv = e->element[1];
        for (size_t f = 0; f + 1 < fv->elements; f += 2) {
            if (strcmp(fv->element[f]->str, "e"))
                continue;
            Riskline__V1__DomainEvent *ev = riskline__v1__domain_event__unpack(
                NULL, fv->element[f + 1]->len, (const uint8_t *)fv->element[f + 1]->str);
            assert_non_null(ev);
            upd_t *u = &out[n++];
            u->seq = (uint64_t)ms << 20 | (uint64_t)k;  /* the report's sequence of a stream id */
            snprintf(u->event, sizeof u->event, "%s", ev->kind);
            snprintf(u->id, sizeof u->id, "%s", ev->entity_id);
            snprintf(u->kind, sizeof u->kind, "%.*s", (int)strcspn(ev->kind, "."), ev->kind);
            riskline__v1__domain_event__free_unpacked(ev, NULL);
            break;
        }
    }
    freeReplyObject(r);
    redisFree(c);
    return n;
}

/* The JSON lines of a watcher's output (a last line without its newline is not complete yet). */
static size_t parse_lines(const char *text, upd_t *out, size_t max)
{
    size_t n = 0;
    for (const char *p = text; *p && n < max;) {
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        char *line = strndup(p, (size_t)(nl - p));
        cJSON *j = cJSON_Parse(line);
        if (!j)
            fail_msg("watch printed a line that is not JSON: %s", line);
        upd_t *u = &out[n++];
        const cJSON *seq = cJSON_GetObjectItemCaseSensitive(j, "sequence");
        assert_true(cJSON_IsString(seq));  /* exact 64-bit */
        u->seq = strtoull(seq->valuestring, NULL, 10);
        snprintf(u->event, sizeof u->event, "%s", harness_jstr(j, "event"));
        snprintf(u->id, sizeof u->id, "%s", harness_jstr(j, "entity_id"));
        snprintf(u->kind, sizeof u->kind, "%s", harness_jstr(j, "kind"));
        cJSON_Delete(j);
        free(line);
        p = nl + 1;
    }
    return n;
}

/* `riskline watch --json ARGS...` as who (NULL: the local admin), running in the background. */
static harness_proc_t *watch_start(harness_t *h, const char *who, const char *const *args)
{
    static char key[700];
    const char *env[] = {key, NULL};
    snprintf(key, sizeof key, "RISKLINE_KEY_FILE=%s/%s.key", h->keys_dir, who ? who : "cli");
    const char *argv[16] = {"watch", "--json"};
    size_t k = 2;
    for (size_t i = 0; args && args[i] && k < 15; i++)
        argv[k++] = args[i];
    argv[k] = NULL;
    harness_proc_t *p = harness_cli_spawn(h, env, argv);
    assert_non_null(p);
    return p;
}
#define WATCH(h, who, ...) watch_start(h, who, (const char *const[]){__VA_ARGS__, NULL})

/* Waits until the watcher printed `event` of `id`; fails the test after WAIT_MS. */
static void wait_for(harness_proc_t *p, const char *event, const char *id)
{
    static upd_t got[MAX_UPD];
    for (int waited = 0;; waited += 50) {
        char *out = harness_cli_output(p);
        size_t n = parse_lines(out, got, MAX_UPD);
        for (size_t i = 0; i < n; i++)
            if (!strcmp(got[i].event, event) && !strcmp(got[i].id, id)) {
                free(out);
                return;
            }
        if (waited >= WAIT_MS)
            fail_msg("watch did not print %s %s within %d ms; it printed:\n%s", event, id, WAIT_MS, out);
        free(out);
        harness_sleep_ms(50);
    }
}

/* SIGTERM; the watcher exits 0. Returns its updates (run r keeps the text). */
static size_t watch_stop(harness_proc_t *p, harness_run_t *r, upd_t *out, size_t max)
{
    assert_int_equal(harness_cli_signal(p, SIGTERM), 0);
    harness_cli_wait(p, r);
    if (r->status != 0)
        fail_msg("watch exited %d after SIGTERM\nstderr: %s", r->status, r->err);
    return parse_lines(r->out, out, max);
}

/* got[0..n) is exactly the stream's updates (of `kind`, NULL: all) up to the last one printed:
 * in order, none missing, none twice. */
static void assert_stream_prefix(harness_t *h, const upd_t *got, size_t n, const char *kind)
{
    static upd_t all[MAX_UPD];
    size_t na = stream_updates(h, "default", all, MAX_UPD), k = 0;
    assert_true(n > 0);
    for (size_t i = 0; i < na && all[i].seq <= got[n - 1].seq; i++) {
        if (kind && strcmp(all[i].kind, kind))
            continue;
        if (k >= n)
            fail_msg("watch missed %s %s (sequence %" PRIu64 ")", all[i].event, all[i].id, all[i].seq);
        if (got[k].seq != all[i].seq || strcmp(got[k].event, all[i].event) || strcmp(got[k].id, all[i].id) ||
            strcmp(got[k].kind, all[i].kind))
            fail_msg("watch line %zu: got %" PRIu64 " %s %s (%s), the stream has %" PRIu64 " %s %s (%s)", k,
                     got[k].seq, got[k].event, got[k].id, got[k].kind, all[i].seq, all[i].event, all[i].id,
                     all[i].kind);
        k++;
    }
    assert_int_equal(k, n);
}

static void create_risk(harness_t *h, int i)
{
    char title[64];
    snprintf(title, sizeof title, "Risk %d", i);
    harness_risk_in_t in;
    harness_risk_init(&in, title, "local-admin", 3, 4);
    harness_env_t *r = harness_create(h, &in.risk, NULL);
    assert_non_null(r);
    assert_int_equal(harness_code(r), 0);
    riskline__v1__envelope__free_unpacked(r, NULL);
}

static void update_risk(harness_t *h, int i)
{
    char id[16], title[64];
    snprintf(id, sizeof id, "R-%d", i);
    snprintf(title, sizeof title, "Risk %d, revised", i);
    harness_risk_in_t p;
    harness_risk_init(&p, title, "", 0, 0);
    p.risk.inherent = NULL;
    const char *mask[] = {"title", NULL};
    harness_env_t *r = harness_update(h, id, 1, &p.risk, mask);
    assert_non_null(r);
    assert_int_equal(harness_code(r), 0);
    riskline__v1__envelope__free_unpacked(r, NULL);
}

static void create_plan(harness_t *h, const char *risk)
{
    char target[16];
    harness_run_t r;
    const char *argv[] = {"plan", "create", "--risk", risk, "--title", "Harden the file servers", "--option",
                          "modify", "--owner", "tom", "--approver", "ann", "--residual-likelihood", "2",
                          "--residual-impact", "2", "--target", harness_date_in(90, target), NULL};
    harness_cli(h, NULL, argv, &r);
    if (r.status != 0)
        fail_msg("plan create: exit %d\n%s%s", r.status, r.out, r.err);
    harness_run_free(&r);
}

/* (a) 25 creates, 25 updates and a plan from other clients while one watcher runs: it prints
 * exactly the stream, in order, and our own writes in the order we made them. */
static void test_every_update_in_order(void **state)
{
    harness_t *h = *state;
    harness_proc_t *w = WATCH(h, "view-a", "--since", "0");
    create_risk(h, 1);
    wait_for(w, "risk.created", "R-1");  /* connected and caught up: the rest comes live */
    for (int i = 2; i <= 25; i++)
        create_risk(h, i);
    for (int i = 1; i <= 25; i++)
        update_risk(h, i);
    create_plan(h, "R-1");
    wait_for(w, "plan.created", "TP-1");
    harness_run_t r;
    static upd_t got[MAX_UPD];
    size_t n = watch_stop(w, &r, got, MAX_UPD);
    assert_stream_prefix(h, got, n, NULL);
    /* our own writes, in the order we made them */
    size_t k = 0;
    char want_id[16];
    for (size_t i = 0; i < n; i++) {
        int step = (int)k;
        const char *want = step < 25 ? "risk.created" : step < 50 ? "risk.updated" : "plan.created";
        if (step < 50)
            snprintf(want_id, sizeof want_id, "R-%d", step % 25 + 1);
        else
            snprintf(want_id, sizeof want_id, "TP-1");
        if (!strcmp(got[i].event, want) && !strcmp(got[i].id, want_id))
            k++;
        else if (!strcmp(got[i].event, "risk.created") || !strcmp(got[i].event, "plan.created"))
            fail_msg("line %zu: %s %s out of order (expected %s %s)", i, got[i].event, got[i].id, want, want_id);
        if (k == 51)
            break;
    }
    assert_int_equal(k, 51);
    /* the entity comes decoded: the risk as it was after the change */
    assert_non_null(strstr(r.out, "\"entity_type\":\"risk\""));
    assert_non_null(strstr(r.out, "\"title\":\"Risk 7, revised\""));
    assert_non_null(strstr(r.out, "\"title\":\"Harden the file servers\""));
    harness_run_free(&r);
}

/* (b) stopped and restarted with --state: the updates made meanwhile come first, none twice. */
static void test_restart_resumes_from_state(void **state)
{
    harness_t *h = *state;
    char path[400], sarg[420];
    snprintf(path, sizeof path, "%s/watch.state", h->dir);
    snprintf(sarg, sizeof sarg, "%s", path);
    harness_proc_t *w = WATCH(h, "view-a", "--since", "0", "--state", sarg);
    for (int i = 1; i <= 10; i++)
        create_risk(h, i);
    wait_for(w, "risk.created", "R-10");
    harness_run_t r1, r2;
    static upd_t all[2 * MAX_UPD];
    size_t n1 = watch_stop(w, &r1, all, MAX_UPD);
    /* the state holds the last sequence printed */
    char *saved = harness_read_file(path, NULL);
    assert_non_null(saved);
    char want[32];
    snprintf(want, sizeof want, "%" PRIu64 "\n", all[n1 - 1].seq);
    assert_string_equal(saved, want);
    free(saved);
    /* changes while nobody watches */
    for (int i = 11; i <= 20; i++)
        create_risk(h, i);
    update_risk(h, 3);
    w = WATCH(h, "view-a", "--state", sarg);
    wait_for(w, "risk.updated", "R-3");
    for (int i = 21; i <= 25; i++)  /* and live again */
        create_risk(h, i);
    wait_for(w, "risk.created", "R-25");
    size_t n2 = watch_stop(w, &r2, all + n1, MAX_UPD);
    assert_true(n2 >= 16);
    assert_true(all[n1].seq > all[n1 - 1].seq);  /* resumed right after, nothing repeated */
    assert_stream_prefix(h, all, n1 + n2, NULL);
    harness_run_free(&r1);
    harness_run_free(&r2);
    /* a watcher that went away is not a refused subscription (libzmq unsubscribes it, without a
     * peer): the publisher refused nothing here */
    char *log = harness_read_file(h->report_log, NULL);
    assert_non_null(log);
    if (strstr(log, "subscription refused"))
        fail_msg("the report refused a subscription: %.300s", strstr(log, "subscription refused"));
    free(log);
}

/* (c) --kind plan: exactly the stream's plan updates, from the catch-up and live. */
static void test_kind_filter(void **state)
{
    harness_t *h = *state;
    create_risk(h, 1);
    create_risk(h, 2);
    create_plan(h, "R-1");
    harness_proc_t *w = WATCH(h, "view-a", "--since", "0", "--kind", "plan");
    wait_for(w, "plan.created", "TP-1");
    create_risk(h, 3);
    update_risk(h, 2);
    create_plan(h, "R-2");
    wait_for(w, "plan.created", "TP-2");
    harness_run_t r;
    static upd_t got[MAX_UPD];
    size_t n = watch_stop(w, &r, got, MAX_UPD);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(got[i].kind, "plan");
    assert_stream_prefix(h, got, n, "plan");
    assert_null(strstr(r.out, "risk.created"));
    harness_run_free(&r);
    /* a kind that is not one is a usage error */
    const char *argv[] = {"watch", "--kind", "Plan!", NULL};
    harness_cli(h, NULL, argv, &r);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "--kind"));
    harness_run_free(&r);
}

/* (d) a key of tenant default cannot watch tenant beta: a clear refusal, exit 2. */
static void test_other_tenant_refused(void **state)
{
    harness_t *h = *state;
    if (h->insecure)
        skip();  /* plaintext: every client is the local principal, of every tenant */
    char key[700];
    const char *env[] = {key, NULL};
    snprintf(key, sizeof key, "RISKLINE_KEY_FILE=%s/view-a.key", h->keys_dir);
    const char *argv[] = {"watch", "--tenant", "beta", NULL};
    harness_run_t r;
    harness_cli(h, env, argv, &r);
    assert_int_equal(r.status, 2);
    if (!strstr(r.err, "riskline: forbidden: tenant: principal view-a has no access to tenant beta"))
        fail_msg("stderr: %s", r.err);
    assert_string_equal(r.out, "");
    harness_run_free(&r);
    /* with a position too */
    const char *argv2[] = {"watch", "--tenant", "beta", "--since", "0", NULL};
    harness_cli(h, env, argv2, &r);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "no access to tenant beta"));
    harness_run_free(&r);
}

/* Stops watcher w: it printed exactly the stream's first `want` updates, in order, once each. */
static void stop_expecting_all(harness_t *h, harness_proc_t *w, size_t want)
{
    harness_run_t r;
    static upd_t got[MAX_UPD];
    size_t n = watch_stop(w, &r, got, MAX_UPD);
    assert_int_equal(n, want);
    assert_stream_prefix(h, got, n, NULL);
    harness_run_free(&r);
}

/* The report restarted: what was written while it was down was never published (a new publisher
 * starts at the stream's end); the watcher fetches it on reconnecting, or at the first live update
 * whose predecessor it has not seen. */
static void test_publisher_restart(void **state)
{
    harness_t *h = *state;
    harness_proc_t *w = WATCH(h, "view-a", "--since", "0");
    create_risk(h, 1);
    wait_for(w, "risk.created", "R-1");
    assert_int_equal(harness_report_stop(h), 0);
    for (int i = 2; i <= 6; i++)
        create_risk(h, i);
    assert_int_equal(harness_report_start(h), 0);
    create_risk(h, 7);
    wait_for(w, "risk.created", "R-7");
    stop_expecting_all(h, w, 7);
}

/* The publisher SIGKILLed while changes keep coming (a crash: no shutdown), restarted: the watcher
 * has every update of the stream once, in order (the missed ones by catch-up), none twice. */
static void test_publisher_killed_under_load(void **state)
{
    harness_t *h = *state;
    harness_proc_t *w = WATCH(h, "view-a", "--since", "0");
    for (int i = 1; i <= 5; i++)
        create_risk(h, i);
    assert_int_equal(harness_report_kill(h), 0);
    for (int i = 6; i <= 15; i++)  /* while it is gone */
        create_risk(h, i);
    assert_int_equal(harness_report_start(h), 0);
    for (int i = 16; i <= 20; i++)
        create_risk(h, i);
    wait_for(w, "risk.created", "R-20");
    stop_expecting_all(h, w, 20);
}

/* A watcher whose key is revoked is cut off: the publisher drops its subscribers, the reconnect
 * is refused, and watch says so (exit 2) instead of waiting for updates that never come. */
static void test_revoked_key_stops_watch(void **state)
{
    harness_t *h = *state;
    if (h->insecure)
        skip();
    harness_proc_t *w = WATCH(h, "view-a", "--since", "0");
    create_risk(h, 1);
    wait_for(w, "risk.created", "R-1");
    harness_run_t r;
    harness_clif(h, &r, "keys", "revoke", "view-a", "--reason", "left the company", NULL);
    assert_int_equal(r.status, 0);
    harness_run_free(&r);
    harness_cli_wait(w, &r);  /* ends by itself */
    assert_int_equal(r.status, 2);
    if (!strstr(r.err, "riskline: unauthenticated: key: the publisher refused this client's key"))
        fail_msg("stderr: %s", r.err);
    harness_run_free(&r);
}

/* The text line: SEQUENCE  TIME  EVENT  ENTITY  ACTOR; --since a real (64-bit) sequence. */
static void test_text_line(void **state)
{
    harness_t *h = *state;
    create_risk(h, 1);
    create_risk(h, 2);
    static upd_t all[4];
    assert_int_equal(stream_updates(h, "default", all, 4), 2);
    assert_true(all[0].seq > (1ULL << 53));  /* beyond what a JSON number or a double holds */
    char key[700], since[24];
    const char *env[] = {key, NULL};
    snprintf(key, sizeof key, "RISKLINE_KEY_FILE=%s/view-a.key", h->keys_dir);
    snprintf(since, sizeof since, "%" PRIu64, all[0].seq);
    const char *argv[] = {"watch", "--since", since, NULL};
    harness_proc_t *p = harness_cli_spawn(h, env, argv);
    assert_non_null(p);
    char *out = NULL;
    for (int waited = 0; waited < WAIT_MS; waited += 50) {
        free(out);
        out = harness_cli_output(p);
        if (strchr(out, '\n'))
            break;
        harness_sleep_ms(50);
    }
    harness_run_t r;
    assert_int_equal(harness_cli_signal(p, SIGTERM), 0);
    harness_cli_wait(p, &r);
    assert_int_equal(r.status, 0);
    /* only what came after R-1's sequence */
    char want[128];
    snprintf(want, sizeof want, "%" PRIu64 "  ", all[1].seq);
    assert_memory_equal(r.out, want, strlen(want));
    assert_non_null(strstr(r.out, "Z  risk.created  R-2  local-admin\n"));
    assert_null(strstr(r.out, "R-1"));
    free(out);
    harness_run_free(&r);
    /* a sequence that is not a number is a usage error naming the option */
    const char *bad[] = {"watch", "--since", "12x", NULL};
    harness_cli(h, env, bad, &r);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "--since"));
    harness_run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_update_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_resumes_from_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kind_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_tenant_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publisher_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publisher_killed_under_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked_key_stops_watch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_line, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
