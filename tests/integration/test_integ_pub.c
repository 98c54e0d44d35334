/* test_integ_pub.c: the updates publisher (rl_bus_pub) over CURVE with the real key store: a
 * subscriber receives only its own tenants' topics, whatever prefix it asks for. */
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
#include "rl_bus.h"
#include "rl_clock.h"
#include "rl_keyfile.h"
#include "rl_keys.h"
#include "rl_store.h"

typedef struct {
    harness_t *h;
    rl_log_t *log;
    rl_store_t *store;
    rl_keys_t *keys;
    rl_bus_t *bus;
    rl_bus_pub_t *pub;
    rl_keyfile_t server;
    char endpoint[64];
    void *subs[8];   /* closed by the teardown, so a failed assertion cannot hang zmq_ctx_term */
    int nsubs;
} fixture_t;

static rl_err_t authn(void *ctx, const char *key, rl_principal_t *out, rl_error_t *err)
{
    return rl_keys_lookup(ctx, key, out, err);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->h = harness_new();
    char path[600], *pw;
    snprintf(path, sizeof path, "%s/redis-report.password", f->h->dir);
    pw = harness_read_file(path, NULL);
    assert_non_null(pw);
    pw[strcspn(pw, "\r\n")] = '\0';
    f->log = rl_log_new("report", RL_LOG_INFO, stdout, NULL);
    /* the report's own Redis user: reading the key store is all the publisher needs */
    rl_store_opts_t so = {"127.0.0.1", f->h->redis_port, "report", pw, 2000, NULL, NULL, NULL, NULL, 0, 0, NULL};
    f->store = rl_store_new(&so, f->log);
    free(pw);
    f->keys = rl_keys_new(f->store, f->log);
    f->bus = rl_bus_new(f->log);
    assert_non_null(f->keys);
    assert_non_null(f->bus);
    assert_int_equal(rl_bus_zap_start(f->bus, authn, f->keys), 0);
    rl_error_t err;
    snprintf(path, sizeof path, "%s/report.key", f->h->keys_dir);
    assert_int_equal(rl_keyfile_load(&f->server, path, &err), RL_OK);
    snprintf(f->endpoint, sizeof f->endpoint, "tcp://127.0.0.1:%d", harness_free_port());
    rl_principal_t none;
    memset(&none, 0, sizeof none);
    f->pub = rl_bus_pub_new(f->bus, f->endpoint, f->server.curve_secret, &none, &err);
    if (!f->pub)
        fail_msg("pub: %s", err.message);
    harness_issue_key(f->h, "sub-acme", "viewer", "acme");
    harness_issue_key(f->h, "sub-all", "auditor", "*");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < f->nsubs; i++)
        zmq_close(f->subs[i]);
    rl_bus_pub_destroy(&f->pub);
    rl_bus_destroy(&f->bus);
    rl_keys_destroy(&f->keys);
    rl_store_destroy(&f->store);
    rl_log_destroy(&f->log);
    harness_destroy(&f->h);
    free(f);
    return 0;
}

/* A SUB with the key file of name (NULL: plaintext) subscribed to each prefix. */
static void *subscriber(fixture_t *f, const char *name, const char *const *prefixes)
{
    void *s = zmq_socket(f->h->zctx, ZMQ_SUB);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (name) {
        char path[600];
        rl_keyfile_t me;
        rl_error_t err;
        snprintf(path, sizeof path, "%s/%s.key", f->h->keys_dir, name);
        assert_int_equal(rl_keyfile_load(&me, path, &err), RL_OK);
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, f->server.curve_public, 40);
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, me.curve_public, 40);
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, me.curve_secret, 40);
    }
    for (size_t i = 0; prefixes[i]; i++)
        zmq_setsockopt(s, ZMQ_SUBSCRIBE, prefixes[i], strlen(prefixes[i]));
    assert_int_equal(zmq_connect(s, f->endpoint), 0);
    assert_true(f->nsubs < 8);
    f->subs[f->nsubs++] = s;
    return s;
}

/* Every topic the socket received within ms, joined by spaces (caller frees). */
static char *drain(void *s, int ms)
{
    char *all = calloc(1, 4096);
    int64_t until = rl_mono_ms() + ms;
    while (rl_mono_ms() < until) {
        zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 50) <= 0)
            continue;
        char topic[64] = "", body[64] = "";
        int n = zmq_recv(s, topic, sizeof topic - 1, 0);
        int m = zmq_recv(s, body, sizeof body - 1, 0);
        if (n < 0 || m < 0)
            break;
        topic[n < 63 ? n : 63] = '\0';
        body[m < 63 ? m : 63] = '\0';
        snprintf(all + strlen(all), 4096 - strlen(all), "%s=%s ", topic, body);
    }
    return all;
}

static void test_subscribers_see_only_their_tenants(void **state)
{
    fixture_t *f = *state;
    const char *acme_asks[] = {"acme.", "beta.", "", NULL};  /* tries everything */
    const char *short_asks[] = {"a", "acm", NULL};           /* prefixes matching more than acme */
    const char *all_asks[] = {"", NULL};
    void *acme = subscriber(f, "sub-acme", acme_asks);
    void *shorty = subscriber(f, "sub-acme", short_asks);
    void *all = subscriber(f, "sub-all", all_asks);
    void *anon = subscriber(f, NULL, all_asks);  /* no key: no handshake */
    /* serve handshakes and subscriptions until all were seen: 2 accepted, 4 refused */
    rl_bus_pub_stats_t st;
    int64_t until = rl_mono_ms() + 10000;
    do {
        rl_bus_pub_poll(f->pub, 50);
        rl_bus_pub_stats(f->pub, &st);
    } while ((st.subscribed < 2 || st.refused < 4) && rl_mono_ms() < until);
    assert_int_equal(st.subscribed, 2);
    assert_int_equal(st.refused, 4);
    rl_bus_pub_send(f->pub, "acme.risk", "A1", 2);
    rl_bus_pub_send(f->pub, "beta.risk", "B1", 2);
    rl_bus_pub_send(f->pub, "acmex.risk", "X1", 2);
    rl_bus_pub_send(f->pub, "acme.alert", "A2", 2);
    char *got_acme = drain(acme, 500), *got_short = drain(shorty, 200), *got_all = drain(all, 200),
         *got_anon = drain(anon, 200);
    assert_string_equal(got_acme, "acme.risk=A1 acme.alert=A2 ");
    assert_string_equal(got_short, "");
    assert_string_equal(got_all, "acme.risk=A1 beta.risk=B1 acmex.risk=X1 acme.alert=A2 ");
    assert_string_equal(got_anon, "");
    free(got_acme);
    free(got_short);
    free(got_all);
    free(got_anon);
    rl_bus_pub_stats(f->pub, &st);
    assert_int_equal(st.sent, 4);
    assert_int_equal(st.dropped, 0);
}

static void test_revoked_subscriber_is_dropped(void **state)
{
    fixture_t *f = *state;
    const char *acme_asks[] = {"acme.", NULL}, *all_asks[] = {"", NULL};
    void *acme = subscriber(f, "sub-acme", acme_asks);
    void *all = subscriber(f, "sub-all", all_asks);
    rl_bus_pub_stats_t st;
    int64_t until = rl_mono_ms() + 10000;
    do {
        rl_bus_pub_poll(f->pub, 50);
        rl_bus_pub_stats(f->pub, &st);
    } while (st.subscribed < 2 && rl_mono_ms() < until);
    assert_int_equal(st.subscribed, 2);
    rl_error_t err;
    assert_int_equal(rl_keys_refresh(f->keys, &err), RL_OK);
    uint64_t revoked_before = rl_keys_revocations(f->keys);

    harness_run_t r;
    harness_clif(f->h, &r, "keys", "revoke", "sub-acme", NULL);
    assert_int_equal(r.status, 0);
    harness_run_free(&r);
    /* what the report's loop does: notice the revocation, drop everyone, let them come back */
    until = rl_mono_ms() + 5000;
    while (rl_keys_revocations(f->keys) == revoked_before && rl_mono_ms() < until) {
        rl_bus_pub_poll(f->pub, 50);
        rl_keys_refresh(f->keys, &err);
    }
    assert_int_equal(rl_keys_revocations(f->keys), revoked_before + 1);
    assert_int_equal(rl_bus_pub_reauthenticate(f->pub, &err), 0);
    /* libzmq 4.3 SUB sockets reconnect but do not re-send their subscriptions to a re-made
     * publisher: a Riskline subscriber re-subscribes (here: a fresh socket, as `riskline watch`
     * does after a reconnect) and catches up by sequence. The revoked key cannot come back. */
    void *acme2 = subscriber(f, "sub-acme", acme_asks);
    void *all2 = subscriber(f, "sub-all", all_asks);
    until = rl_mono_ms() + 10000;
    do {
        rl_bus_pub_poll(f->pub, 50);
        rl_bus_pub_stats(f->pub, &st);
    } while (st.subscribed < 3 && rl_mono_ms() < until);
    if (st.subscribed != 3)
        fail_msg("after re-authentication: subscribed %llu refused %llu", (unsigned long long)st.subscribed,
                 (unsigned long long)st.refused);
    for (int i = 0; i < 10; i++)  /* give a (wrongly) re-admitted sub-acme every chance */
        rl_bus_pub_poll(f->pub, 50);
    rl_bus_pub_send(f->pub, "acme.risk", "A3", 2);
    char *got_acme = drain(acme, 300), *got_acme2 = drain(acme2, 300), *got_all2 = drain(all2, 300);
    assert_string_equal(got_acme, "");   /* the open connection of the revoked key was dropped */
    assert_string_equal(got_acme2, "");  /* and it cannot connect again */
    assert_string_equal(got_all2, "acme.risk=A3 ");
    free(got_acme);
    free(got_acme2);
    free(got_all2);
    (void)all;
}

static void test_topic_rule(void **state)
{
    (void)state;
    rl_principal_t p;
    memset(&p, 0, sizeof p);
    p.ntenants = 1;
    snprintf(p.tenants[0], sizeof p.tenants[0], "acme");
    assert_true(rl_bus_topic_allowed(&p, "acme.", 5));
    assert_true(rl_bus_topic_allowed(&p, "acme.risk", 9));
    assert_false(rl_bus_topic_allowed(&p, "acme", 4));
    assert_false(rl_bus_topic_allowed(&p, "", 0));
    assert_false(rl_bus_topic_allowed(&p, "beta.", 5));
    assert_false(rl_bus_topic_allowed(&p, ".", 1));
    assert_false(rl_bus_topic_allowed(&p, "ACME.", 5));
    p.all_tenants = 1;
    assert_true(rl_bus_topic_allowed(&p, "", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_subscribers_see_only_their_tenants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked_subscriber_is_dropped, setup, teardown),
        cmocka_unit_test(test_topic_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
