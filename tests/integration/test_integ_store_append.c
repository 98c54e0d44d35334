/* test_integ_store_append.c: pipelined ingestion appends (rl_store_append_send/_recv) against a real
 * redis-server: replies in order, nothing written when a member was seen or the script was lost,
 * the connection lost with an append in flight, and rl_store_append_once settling each case. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "rl_arena.h"
#include "rl_store.h"

#define SEEN "rl:{ap}:riskevent:seen"
#define LOG "rl:{ap}:riskevent:log"
#define COUNT "rl:{ap}:riskevent:count"

typedef struct {
    harness_t *h;
    rl_log_t *log;
    rl_store_t *store;   /* the monitor's Redis user, as riskline-monitor connects: pipelined */
    rl_store_t *sync;    /* the same, for rl_store_append_once (as the monitor's loop has its own) */
    rl_arena_t *arena;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->h = harness_new();
    char pw[128];
    assert_int_equal(harness_redis_password(f->h, "monitor", pw, sizeof pw), 0);
    f->log = rl_log_new("monitor", RL_LOG_INFO, stdout, NULL);
    const char *seeds = f->h->cluster_n ? strchr(f->h->cluster_env, '=') + 1 : NULL;
    rl_store_opts_t so = {"127.0.0.1", f->h->redis_port, "monitor", pw, 2000, NULL, NULL, NULL, NULL, 0, 0, seeds};
    f->store = rl_store_new(&so, f->log);
    f->sync = rl_store_new(&so, f->log);
    f->arena = rl_arena_new(0);
    assert_non_null(f->store);
    assert_non_null(f->sync);
    assert_non_null(f->arena);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    rl_store_destroy(&f->store);
    rl_store_destroy(&f->sync);
    rl_arena_destroy(&f->arena);
    rl_log_destroy(&f->log);
    harness_destroy(&f->h);
    free(f);
    return 0;
}

/* A batch of n items named <tag>-<k> (members "src\n<tag>-<k>", bytes "<tag>-<k>;"). */
typedef struct {
    rl_append_item_t items[8];
    char member[8][32], bytes[8][32];
    size_t n;
} batch_t;

static void batch_make(batch_t *b, const char *tag, size_t n)
{
    b->n = n;
    for (size_t k = 0; k < n; k++) {
        snprintf(b->member[k], sizeof b->member[k], "src\n%s-%zu", tag, k);
        snprintf(b->bytes[k], sizeof b->bytes[k], "%s-%zu;", tag, k);
        b->items[k] = (rl_append_item_t){b->member[k], b->bytes[k], strlen(b->bytes[k]), "src.accepted",
                                         "src.duplicate"};
    }
}

static const char *const FIELDS[] = {"at", "1", "by", "siem"};
static const rl_append_t TO = {SEEN, LOG, COUNT, FIELDS, 2, NULL, 0};

static long long redis_int(fixture_t *f, const char *cmd) { return harness_redis_int(f->h, LOG, cmd); }

static void redis_ok(fixture_t *f, const char *cmd) { harness_redis_run(f->h, LOG, &cmd, 1); }

/* The field b of the newest entry of LOG. */
static void last_b(fixture_t *f, char *out, size_t size)
{
    redisContext *c = harness_redis_connect_key(f->h, LOG, "ops");
    redisReply *r = redisCommand(c, "XREVRANGE %s + - COUNT 1", LOG);
    assert_true(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1);
    redisReply *kv = r->element[0]->element[1];
    assert_string_equal(kv->element[0]->str, "b");
    snprintf(out, size, "%.*s", (int)kv->element[1]->len, kv->element[1]->str);
    freeReplyObject(r);
    redisFree(c);
}

static void recv_one(fixture_t *f, rl_append_ticket_t t, size_t n, rl_append_outcome_t *out, rl_err_t want)
{
    rl_error_t err;
    int ready = 0;
    rl_err_t rc = rl_store_append_recv(f->store, t, f->arena, n, out, 1, &ready, &err);
    assert_int_equal(ready, 1);
    if (rc != want)
        fail_msg("recv: %d (%s), wanted %d", (int)rc, err.message, (int)want);
}

static void test_pipelined_appends(void **state)
{
    fixture_t *f = *state;
    rl_error_t err;
    batch_t b[3];
    rl_append_ticket_t t[3];
    rl_append_outcome_t out[8];
    batch_make(&b[0], "a", 3);
    batch_make(&b[1], "b", 2);
    batch_make(&b[2], "c", 4);
    if (f->h->cluster_n) {  /* a cluster: never pipelined; rl_store_append_once as before */
        assert_int_equal(rl_store_append_send(f->store, f->arena, &TO, b[0].items, b[0].n, &t[0], &err), 0);
        assert_int_equal(rl_store_append_once(f->sync, f->arena, &TO, b[0].items, b[0].n, out, &err), RL_OK);
        assert_int_equal(redis_int(f, "XLEN " LOG), 1);
        return;
    }
    assert_int_equal(rl_store_append_fd(f->store), -1);  /* nothing in flight */
    for (int i = 0; i < 3; i++)
        assert_int_equal(rl_store_append_send(f->store, f->arena, &TO, b[i].items, b[i].n, &t[i], &err), 1);
    assert_true(rl_store_append_fd(f->store) >= 0);
    for (int i = 0; i < 3; i++) {
        memset(out, 0xff, sizeof out);
        recv_one(f, t[i], b[i].n, out, RL_OK);
        for (size_t k = 0; k < b[i].n; k++)
            assert_int_equal(out[k], RL_APPEND_ACCEPTED);
    }
    assert_int_equal(rl_store_append_fd(f->store), -1);
    assert_int_equal(redis_int(f, "XLEN " LOG), 3);
    assert_int_equal(redis_int(f, "SCARD " SEEN), 9);
    assert_int_equal(redis_int(f, "HGET " COUNT " src.accepted"), 9);
    char last[128];
    last_b(f, last, sizeof last);
    assert_string_equal(last, "c-0;c-1;c-2;c-3;");  /* in the order sent */

    /* a member seen before: nothing written, and rl_store_append_once settles it */
    batch_t d;
    batch_make(&d, "d", 2);
    d.items[0] = b[0].items[1];
    assert_int_equal(rl_store_append_send(f->store, f->arena, &TO, d.items, d.n, &t[0], &err), 1);
    recv_one(f, t[0], d.n, out, RL_ERR_CONFLICT);
    assert_int_equal(redis_int(f, "XLEN " LOG), 3);
    assert_int_equal(redis_int(f, "HGET " COUNT " src.accepted"), 9);
    assert_int_equal(rl_store_append_once(f->sync, f->arena, &TO, d.items, d.n, out, &err), RL_OK);
    assert_int_equal(out[0], RL_APPEND_DUPLICATE);
    assert_int_equal(out[1], RL_APPEND_ACCEPTED);
    assert_int_equal(redis_int(f, "XLEN " LOG), 4);
    assert_int_equal(redis_int(f, "HGET " COUNT " src.duplicate"), 1);

    /* a member twice in the batch: not pipelined (rl_store_append_once sorts that out) */
    batch_t e;
    batch_make(&e, "e", 2);
    e.items[1] = e.items[0];
    assert_int_equal(rl_store_append_send(f->store, f->arena, &TO, e.items, e.n, &t[0], &err), 0);

    /* the scripts flushed (a restart, SCRIPT FLUSH): the transaction sends its check's source
     * (EVAL), so it still runs; a NOSCRIPT would come after the XADD had run */
    redis_ok(f, "SCRIPT FLUSH");
    batch_make(&e, "e", 2);
    assert_int_equal(rl_store_append_send(f->store, f->arena, &TO, e.items, e.n, &t[0], &err), 1);
    recv_one(f, t[0], e.n, out, RL_OK);
    assert_int_equal(out[0], RL_APPEND_ACCEPTED);
    assert_int_equal(redis_int(f, "XLEN " LOG), 5);
    assert_int_equal(redis_int(f, "SCARD " SEEN), 12);
}

/* "<entries-added> <max-deleted-entry-id> <lag of group g>" of LOG ("nil" for a lag Redis cannot
 * tell), as XINFO says. */
static void stream_state(fixture_t *f, char *out, size_t size)
{
    redisContext *c = harness_redis_connect_key(f->h, LOG, "ops");
    redisReply *s = redisCommand(c, "XINFO STREAM %s", LOG), *g = redisCommand(c, "XINFO GROUPS %s", LOG);
    assert_true(s && s->type == REDIS_REPLY_ARRAY && g && g->type == REDIS_REPLY_ARRAY && g->elements == 1);
    long long added = -1;
    const char *deleted = "?", *lag = "?";
    char lagbuf[32];
    for (size_t i = 0; i + 1 < s->elements; i += 2) {
        if (!strcmp(s->element[i]->str, "entries-added"))
            added = s->element[i + 1]->integer;
        if (!strcmp(s->element[i]->str, "max-deleted-entry-id"))
            deleted = s->element[i + 1]->str;
    }
    redisReply *gr = g->element[0];
    for (size_t i = 0; i + 1 < gr->elements; i += 2)
        if (!strcmp(gr->element[i]->str, "lag")) {
            redisReply *v = gr->element[i + 1];
            snprintf(lagbuf, sizeof lagbuf, "%lld", v->integer);
            lag = v->type == REDIS_REPLY_INTEGER ? lagbuf : "nil";
        }
    snprintf(out, size, "%lld %s %s", added, deleted, lag);
    freeReplyObject(s);
    freeReplyObject(g);
    redisFree(c);
}

/* A batch with an event stored before, on one server (the transaction): its entry is taken back
 * with the stream's counters, so a consumer group's lag stays exact (XDEL alone leaves it unknown,
 * or one too high for good), then the new event is stored alone. */
static void test_duplicate_taken_back(void **state)
{
    fixture_t *f = *state;
    if (f->h->cluster_n)
        skip();  /* a cluster runs the script form, which writes nothing it would take back */
    rl_error_t err;
    rl_append_outcome_t out[8];
    redis_ok(f, "XGROUP CREATE " LOG " g $ MKSTREAM");
    batch_t a, d;
    batch_make(&a, "a", 2);
    assert_int_equal(rl_store_append_once(f->sync, f->arena, &TO, a.items, a.n, out, &err), RL_OK);
    const char *read = "XREADGROUP GROUP g c COUNT 10 STREAMS " LOG " >";
    redis_ok(f, read);
    char st[96];
    stream_state(f, st, sizeof st);
    assert_string_equal(st, "1 0-0 0");

    batch_make(&d, "d", 2);
    d.items[0] = a.items[1];
    assert_int_equal(rl_store_append_once(f->sync, f->arena, &TO, d.items, d.n, out, &err), RL_OK);
    assert_int_equal(out[0], RL_APPEND_DUPLICATE);
    assert_int_equal(out[1], RL_APPEND_ACCEPTED);
    assert_int_equal(redis_int(f, "XLEN " LOG), 2);
    char last[128];
    last_b(f, last, sizeof last);
    assert_string_equal(last, "d-1;");
    stream_state(f, st, sizeof st);
    assert_string_equal(st, "2 0-1 1");  /* one entry added, one to read */
    redis_ok(f, read);
    stream_state(f, st, sizeof st);
    assert_string_equal(st, "2 0-1 0");
    assert_int_equal(redis_int(f, "HGET " COUNT " src.accepted"), 3);
    assert_int_equal(redis_int(f, "HGET " COUNT " src.duplicate"), 1);
}

static void test_not_ready_then_connection_lost(void **state)
{
    fixture_t *f = *state;
    if (f->h->cluster_n)
        skip();
    rl_error_t err;
    rl_append_ticket_t t;
    rl_append_outcome_t out[8];
    batch_t g;
    batch_make(&g, "w", 1);  /* the tenant listed first (a write of its own, not under the pause) */
    assert_int_equal(rl_store_append_send(f->store, f->arena, &TO, g.items, g.n, &t, &err), 1);
    recv_one(f, t, g.n, out, RL_OK);
    batch_make(&g, "g", 2);
    /* writes paused: the append waits in Redis, its reply is not there yet */
    redis_ok(f, "CLIENT PAUSE 5000 WRITE");
    assert_int_equal(rl_store_append_send(f->store, f->arena, &TO, g.items, g.n, &t, &err), 1);
    int ready = 1;
    assert_int_equal(rl_store_append_recv(f->store, t, f->arena, g.n, out, 0, &ready, &err), RL_OK);
    assert_int_equal(ready, 0);
    /* the connection killed with the append in flight (and never run: a paused client's command
     * goes with it): unknown to the sender, so settled by rl_store_append_once */
    redis_ok(f, "CLIENT KILL USER monitor");
    redis_ok(f, "CLIENT UNPAUSE");
    assert_int_equal(rl_store_append_recv(f->store, t, f->arena, g.n, out, 1, &ready, &err), RL_ERR_UNAVAILABLE);
    assert_int_equal(ready, 1);
    assert_int_equal(rl_store_append_fd(f->store), -1);
    assert_int_equal(redis_int(f, "XLEN " LOG), 1);
    assert_int_equal(rl_store_append_once(f->sync, f->arena, &TO, g.items, g.n, out, &err), RL_OK);
    assert_int_equal(out[0], RL_APPEND_ACCEPTED);
    assert_int_equal(out[1], RL_APPEND_ACCEPTED);
    /* and once the store's back-off has passed, the next one is pipelined again, on a new
     * connection */
    harness_sleep_ms(300);
    batch_make(&g, "h", 1);
    assert_int_equal(rl_store_append_send(f->store, f->arena, &TO, g.items, g.n, &t, &err), 1);
    recv_one(f, t, g.n, out, RL_OK);
    assert_int_equal(redis_int(f, "XLEN " LOG), 3);
}

/* A check that fails at run time (the seen set is of another type) takes the entry back. */
static void test_failed_check_takes_entry_back(void **state)
{
    fixture_t *f = *state;
    if (f->h->cluster_n)
        skip();
    rl_error_t err;
    rl_append_outcome_t out[8];
    redis_ok(f, "XGROUP CREATE " LOG " g $ MKSTREAM");
    redis_ok(f, "SET " SEEN " not-a-set");
    batch_t a;
    batch_make(&a, "a", 2);
    rl_error_clear(&err);
    assert_int_not_equal(rl_store_append_once(f->sync, f->arena, &TO, a.items, a.n, out, &err), RL_OK);
    if (!strstr(err.message, "taken back") || !strstr(err.message, "WRONGTYPE"))
        fail_msg("error: %s", err.message);
    assert_int_equal(redis_int(f, "XLEN " LOG), 0);
    char st[96];
    stream_state(f, st, sizeof st);
    assert_string_equal(st, "0 0-1 0");
    assert_int_equal(redis_int(f, "HGET " COUNT " src.accepted"), -1);
}

/* A Redis user that may not run MULTI (an ACL file from before the transaction): appends run as
 * the script, as on a cluster, and are still stored once; nothing is pipelined. */
static void test_no_multi_uses_the_script(void **state)
{
    fixture_t *f = *state;
    if (f->h->cluster_n)
        skip();
    redis_ok(f, "ACL SETUSER monitor -multi");
    rl_error_t err;
    rl_append_outcome_t out[8];
    rl_append_ticket_t t;
    batch_t a, d;
    batch_make(&a, "a", 2);
    assert_int_equal(rl_store_append_once(f->sync, f->arena, &TO, a.items, a.n, out, &err), RL_OK);
    assert_int_equal(out[0], RL_APPEND_ACCEPTED);
    batch_make(&d, "d", 2);
    d.items[0] = a.items[1];
    assert_int_equal(rl_store_append_send(f->store, f->arena, &TO, d.items, d.n, &t, &err), 0);
    assert_int_equal(rl_store_append_once(f->sync, f->arena, &TO, d.items, d.n, out, &err), RL_OK);
    assert_int_equal(out[0], RL_APPEND_DUPLICATE);
    assert_int_equal(out[1], RL_APPEND_ACCEPTED);
    assert_int_equal(redis_int(f, "XLEN " LOG), 2);
    assert_int_equal(redis_int(f, "SCARD " SEEN), 3);
}

/* MULTI refused on a connection that was allowed it (the ACL changed since): the XADD ran alone,
 * so the append is reported unavailable, not "nothing written", and the connection is asked again
 * (nothing more is pipelined). */
static void test_multi_refused_later(void **state)
{
    fixture_t *f = *state;
    if (f->h->cluster_n)
        skip();
    rl_error_t err;
    rl_append_outcome_t out[8];
    rl_append_ticket_t t;
    batch_t a, b;
    batch_make(&a, "a", 2);
    /* on the pipelining store itself: connected, MULTI allowed, the tenant listed */
    assert_int_equal(rl_store_append_once(f->store, f->arena, &TO, a.items, a.n, out, &err), RL_OK);
    redis_ok(f, "ACL SETUSER monitor -multi");
    batch_make(&b, "b", 2);
    assert_int_equal(rl_store_append_send(f->store, f->arena, &TO, b.items, b.n, &t, &err), 1);
    recv_one(f, t, b.n, out, RL_ERR_UNAVAILABLE);
    assert_int_equal(redis_int(f, "XLEN " LOG), 2);  /* the XADD (and the check after it) ran alone */
    assert_int_equal(rl_store_append_send(f->store, f->arena, &TO, b.items, b.n, &t, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pipelined_appends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_ready_then_connection_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_taken_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_check_takes_entry_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_multi_uses_the_script, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_refused_later, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
