/* test_integ_faults.c: faults under load: the register and the treatment service SIGKILLed, and
 * Redis restarted, while a client keeps several creates in flight and retries each unanswered one
 * with its request id. Afterwards every acknowledged change is there, none is applied twice.
 * (The monitor's SIGKILL under a stream of events is in test_integ_monitor, the report's restart
 * under subscribers in test_integ_watch.) */
#define _GNU_SOURCE  /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include <hiredis/hiredis.h>

#include "harness.h"
#include "harness_msg.h"

#define CHANGES 300     /* creates per scenario */
#define WINDOW 8        /* requests in flight at once */
#define REPLY_MS 1500   /* an unanswered window is resent after this */

/* The client socket of the running scenario: a failed assertion jumps out of drive(), and an open
 * socket would hang the harness's zmq_ctx_term in teardown. */
static void *open_sock;

static int setup(void **state)
{
    harness_t *h = harness_new();
    if (harness_treatment_start(h) != 0) {
        harness_destroy(&h);
        return -1;
    }
    harness_issue_key(h, "ann", "approver", "default");
    *state = h;
    return 0;
}

static int teardown(void **state)
{
    harness_t *h = *state;
    if (open_sock)
        zmq_close(open_sock);
    open_sock = NULL;
    harness_treatment_stop(h);
    harness_destroy(&h);
    return 0;
}

typedef enum { FAULT_REGISTER_KILL, FAULT_TREATMENT_KILL, FAULT_REDIS_RESTART } fault_t;

typedef struct {
    harness_t *h;
    const char *endpoint, *service;
    fault_t fault;
    const char *prefix;       /* titles and request ids: "<prefix>-<i>" */
    /* per change */
    char rid[CHANGES][40];
    char title[CHANGES][40];
    char id[CHANGES][24];     /* the entity id the acknowledgement named */
    int acked[CHANGES], inflight[CHANGES];
    /* counts printed at the end */
    unsigned sent, resent, unavailable, windows_lost;
    /* the fault comes from its own thread while the client keeps sending */
    atomic_int nacked, injected;
    int inject_rc, restarted;
} run_t;

/* Change i as an Envelope: a risk create (register) or a plan create on R-1 (treatment). */
static void send_change(run_t *r, void *sock, int i)
{
    harness_env_t env;
    Riskline__V1__RiskCreate rc;
    harness_risk_in_t in;
    Riskline__V1__PlanCreate pc = RISKLINE__V1__PLAN_CREATE__INIT;
    Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
    if (r->fault == FAULT_TREATMENT_KILL) {
        riskline__v1__envelope__init(&env);
        p.risk_id = "R-1";
        p.title = r->title[i];
        p.option = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
        p.treatment_owner = "local-admin";
        p.approver = "ann";
        pc.plan = &p;
        env.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE;
        env.plan_create = &pc;
    } else {
        harness_risk_init(&in, r->title[i], "local-admin", 1 + (unsigned)i % 5, 1 + (unsigned)(i / 5) % 5);
        harness_env_create(&env, &rc, &in.risk);
    }
    env.request_id = r->rid[i];
    harness_env_prepare(r->h, &env);
    assert_int_equal(harness_send_env(r->h, sock, &env), 0);
    r->inflight[i] = 1;
    r->sent++;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *admin_socket(run_t *r)
{
    char key[600];
    snprintf(key, sizeof key, "%s/cli.key", r->h->keys_dir);
    void *s = harness_dealer_to(r->h, r->endpoint, r->service, r->h->insecure ? NULL : key);
    assert_non_null(s);
    return open_sock = s;
}

/* The fault, from its own thread once a third of the changes is acknowledged, while the client
 * keeps its window in flight: the service SIGKILLed, or Redis shut down. The main thread restarts
 * it (restart()): the harness's children die with the thread that started them (PDEATHSIG). No
 * cmocka assertion here (they jump on the main thread's stack): inject_rc is checked after the
 * join. */
static void *inject(void *arg)
{
    run_t *r = arg;
    harness_t *h = r->h;
    while (atomic_load(&r->nacked) < CHANGES / 3) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    switch (r->fault) {
    case FAULT_REGISTER_KILL:
        r->inject_rc = kill(h->register_pid, SIGKILL);
        break;
    case FAULT_TREATMENT_KILL:
        r->inject_rc = kill(h->treatment_pid, SIGKILL);
        break;
    case FAULT_REDIS_RESTART:
        r->inject_rc = harness_redis_stop(h) == 0 ? 0 : -1;  /* SHUTDOWN: AOF flushed */
        break;
    }
    atomic_store(&r->injected, 1);
    return NULL;
}

/* On the main thread, after the fault: the same component back (same port, same data). */
static void restart(run_t *r)
{
    harness_t *h = r->h;
    int rc = 0;
    switch (r->fault) {
    case FAULT_REGISTER_KILL:
        harness_register_stop(h);  /* reaps the killed one */
        rc = harness_register_start(h);
        break;
    case FAULT_TREATMENT_KILL:
        harness_treatment_stop(h);
        rc = harness_treatment_start(h);
        break;
    case FAULT_REDIS_RESTART:
        rc = harness_redis_start(h);
        break;
    }
    assert_int_equal(rc, 0);
    r->restarted = 1;
}

/* Sends the changes WINDOW at a time while another thread injects the fault once a third is
 * acknowledged, and resends whatever was not acknowledged until everything is. */
static void drive(run_t *r)
{
    for (int i = 0; i < CHANGES; i++) {
        snprintf(r->rid[i], sizeof r->rid[i], "%s-req-%d", r->prefix, i);
        snprintf(r->title[i], sizeof r->title[i], "%s change %d", r->prefix, i);
    }
    void *sock = admin_socket(r);
    int nacked = 0, next = 0;
    int64_t down_at = 0;
    pthread_t fault;
    assert_int_equal(pthread_create(&fault, NULL, inject, r), 0);
    while (nacked < CHANGES || !atomic_load(&r->injected)) {

        /* keep WINDOW in flight: new changes first, then those a lost window left */
        int flying = 0;
        for (int i = 0; i < CHANGES; i++)
            flying += r->inflight[i];
        /* the last third waits for the fault, so it always lands with work still to do */
        int limit = atomic_load(&r->injected) ? CHANGES : 2 * CHANGES / 3;
        for (int i = 0; i < limit && flying < WINDOW; i++)
            if (!r->acked[i] && !r->inflight[i] && i <= next) {
                if (i < next)
                    r->resent++;
                else
                    next++;
                send_change(r, sock, i);
                flying++;
            }
        /* the requests sent in the 200 ms after the fault meet it (lost, or answered unavailable),
         * then the component comes back */
        if (atomic_load(&r->injected) && !r->restarted) {
            if (!down_at)
                down_at = mono_ms();
            else if (mono_ms() - down_at >= 200)
                restart(r);
        }
        if (!flying) {  /* waiting for the fault with nothing in flight */
            struct timespec ts = {0, 5 * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        harness_env_t *rep = harness_recv_env(sock, atomic_load(&r->injected) && !r->restarted ? 50 : REPLY_MS);
        if (!rep) {
            /* the window is lost (the service died with it, or its reply): a fresh socket, resend */
            zmq_close(sock);
            open_sock = NULL;
            sock = admin_socket(r);
            for (int i = 0; i < CHANGES; i++)
                r->inflight[i] = 0;
            if (++r->windows_lost > 20) {  /* the service did not come back */
                pthread_join(fault, NULL);
                fail_msg("%s: no answer for 20 windows; fault injected %d (rc %d), %d acknowledged", r->prefix,
                         atomic_load(&r->injected), r->inject_rc, nacked);
            }
            continue;
        }
        int i = -1;
        for (int k = 0; k < CHANGES && i < 0; k++)
            if (!strcmp(rep->request_id, r->rid[k]))
                i = k;
        assert_true(i >= 0);
        r->inflight[i] = 0;
        if (harness_code(rep) == RISKLINE__V1__CODE__CODE_UNAVAILABLE) {
            r->unavailable++;  /* Redis away: nothing written, asked again */
            riskline__v1__envelope__free_unpacked(rep, NULL);
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        if (harness_code(rep) != 0)
            fail_msg("change %d: %s", i, harness_reply_text(rep));
        const char *id = r->fault == FAULT_TREATMENT_KILL ? rep->plan_result->plan->id
                                                          : rep->risk_result->risk->id;
        if (r->acked[i])  /* a second answer to a resent request names the same entity */
            assert_string_equal(r->id[i], id);
        else {
            snprintf(r->id[i], sizeof r->id[i], "%s", id);
            r->acked[i] = 1;
            atomic_store(&r->nacked, ++nacked);
        }
        riskline__v1__envelope__free_unpacked(rep, NULL);
    }
    zmq_close(sock);
    open_sock = NULL;
    pthread_join(fault, NULL);
    assert_int_equal(r->inject_rc, 0);
}

static long long redis_ll(harness_t *h, const char *fmt, const char *arg)
{
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    redisReply *rep = redisCommand(c, fmt, arg);
    assert_non_null(rep);
    long long v = rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
    freeReplyObject(rep);
    redisFree(c);
    return v;
}

/* Every acknowledged change is stored once: `index` holds exactly base + CHANGES entities, the
 * acknowledgements name CHANGES distinct ids, and each id's entity has the title it was sent with. */
static void check(run_t *r, const char *index, const char *entity_fmt, long long base)
{
    assert_int_equal(redis_ll(r->h, "ZCARD %s", index), base + CHANGES);
    for (int i = 0; i < CHANGES; i++)
        for (int k = 0; k < i; k++)
            if (!strcmp(r->id[i], r->id[k]))
                fail_msg("changes %d and %d were both acknowledged as %s", k, i, r->id[i]);
    redisContext *c = harness_redis_connect(r->h);
    assert_non_null(c);
    for (int i = 0; i < CHANGES; i++) {
        char key[128];
        snprintf(key, sizeof key, entity_fmt, r->id[i]);
        redisReply *rep = redisCommand(c, "HGET %s pb", key);
        assert_non_null(rep);
        assert_int_equal(rep->type, REDIS_REPLY_STRING);
        /* the title is a field of the packed entity: its bytes appear in it */
        assert_non_null(memmem(rep->str, rep->len, r->title[i], strlen(r->title[i])));
        freeReplyObject(rep);
    }
    redisFree(c);
    printf("faults: %s: %d changes acknowledged and stored once; %u sent (%u resent), %u windows lost, "
           "%u answered unavailable\n", r->prefix, CHANGES, r->sent, r->resent, r->windows_lost, r->unavailable);
}

/* Risk creates on the register through `fault`. */
static void risk_scenario(harness_t *h, fault_t fault, const char *prefix)
{
    run_t *r = calloc(1, sizeof *r);
    assert_non_null(r);
    *r = (run_t){.h = h, .fault = fault, .prefix = prefix, .service = "register", .endpoint = h->endpoint};
    long long base = redis_ll(h, "ZCARD %s", "rl:{default}:idx:risk:id");
    drive(r);
    check(r, "rl:{default}:idx:risk:id", "rl:{default}:risk:%s", base);
    free(r);
}

static void test_register_killed(void **state) { risk_scenario(*state, FAULT_REGISTER_KILL, "regkill"); }
static void test_redis_restarted(void **state) { risk_scenario(*state, FAULT_REDIS_RESTART, "redis"); }

static void test_treatment_killed(void **state)
{
    harness_t *h = *state;
    /* the plans' risk */
    harness_risk_in_t in;
    harness_risk_init(&in, "Ransomware on file servers", "local-admin", 4, 5);
    harness_env_t *rep = harness_create(h, &in.risk, NULL);
    assert_int_equal(harness_code(rep), 0);
    char risk[24];
    snprintf(risk, sizeof risk, "%s", rep->risk_result->risk->id);
    riskline__v1__envelope__free_unpacked(rep, NULL);
    assert_string_equal(risk, "R-1");  /* the first test of this file */
    run_t *r = calloc(1, sizeof *r);
    *r = (run_t){.h = h, .fault = FAULT_TREATMENT_KILL, .prefix = "tkill", .service = "treatment"};
    r->endpoint = h->treatment_endpoint;
    long long base = redis_ll(h, "ZCARD %s", "rl:{default}:idx:plan:id");
    drive(r);
    check(r, "rl:{default}:idx:plan:id", "rl:{default}:plan:%s", base);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_treatment_killed),
        cmocka_unit_test(test_register_killed),
        cmocka_unit_test(test_redis_restarted),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
