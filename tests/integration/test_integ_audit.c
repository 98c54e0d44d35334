/* test_integ_audit.c: `riskline audit verify` against a real register and Redis: an untouched chain
 * passes with the right count, and each kind of tampering someone with redis-cli could do is
 * reported as the right kind at the right event. */
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
#include "harness_msg.h"
#include "rl_chain.h"

#define STREAM "rl:{default}:events"
#define CHAIN "rl:{default}:chain"
#define NEVENTS 7
#define EXIT_TAMPERED 5

typedef struct {
    char id[64];
    char *e;
    size_t elen;
    char *h;
    size_t hlen;
} entry_t;

/* One harness for the group: the events are made once, and every test starts from a byte-exact
 * copy of the stream and the head (DUMP/RESTORE), so each tampering is done on a clean chain. */
typedef struct {
    harness_t *h;
    char *dump[2];
    size_t dump_len[2];
    char ids[NEVENTS][64];
} fixture_t;

static const char *const saved_keys[2] = {STREAM, CHAIN};

static redisContext *redis(const fixture_t *f)
{
    redisContext *c = harness_redis_connect(f->h);
    if (!c)
        fail_msg("cannot connect to Redis");
    return c;
}

static void cmd_ok(redisContext *c, redisReply *r, const char *what)
{
    if (!r || r->type == REDIS_REPLY_ERROR)
        fail_msg("%s: %s", what, r ? r->str : c->errstr);
    freeReplyObject(r);
}

static void cli_ok(harness_t *h, ...)
{
    const char *argv[32];
    va_list ap;
    va_start(ap, h);
    size_t n = 0;
    while (n < 31 && (argv[n] = va_arg(ap, const char *)) != NULL)
        n++;
    va_end(ap);
    argv[n] = NULL;
    harness_run_t r;
    harness_cli(h, NULL, argv, &r);
    if (r.status != 0)
        fail_msg("riskline %s %s: status %d: %s", argv[0], argv[1], r.status, r.err);
    harness_run_free(&r);
}

/* Every entry of the stream, in order (malloc'd; free with entries_free). */
static size_t entries_read(redisContext *c, entry_t **out)
{
    redisReply *r = redisCommand(c, "XRANGE %s - +", STREAM);
    if (!r || r->type != REDIS_REPLY_ARRAY)
        fail_msg("XRANGE failed");
    entry_t *e = calloc(r->elements ? r->elements : 1, sizeof *e);
    assert_non_null(e);
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *x = r->element[i], *fv = x->element[1];
        snprintf(e[i].id, sizeof e[i].id, "%s", x->element[0]->str);
        for (size_t k = 0; k + 1 < fv->elements; k += 2) {
            redisReply *v = fv->element[k + 1];
            char *copy = malloc(v->len + 1);
            assert_non_null(copy);
            memcpy(copy, v->str, v->len + 1);
            if (strcmp(fv->element[k]->str, "e") == 0) {
                e[i].e = copy;
                e[i].elen = v->len;
            } else if (strcmp(fv->element[k]->str, "h") == 0) {
                e[i].h = copy;
                e[i].hlen = v->len;
            } else {
                free(copy);
            }
        }
    }
    size_t n = r->elements;
    freeReplyObject(r);
    *out = e;
    return n;
}

static void entries_free(entry_t *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].e);
        free(e[i].h);
    }
    free(e);
}

/* The untouched chain's NEVENTS entries, and order[i] = &e[i] to rearrange. */
static entry_t *entries_all(redisContext *c, const entry_t **order)
{
    entry_t *e;
    size_t n = entries_read(c, &e);
    if (n != NEVENTS)
        fail_msg("the stream holds %zu entries, not %d", n, NEVENTS);
    for (size_t i = 0; i < n; i++)
        order[i] = &e[i];
    return e;
}

/* What an attacker does to rewrite history with redis-cli: DEL the stream, XADD it back entry by
 * entry with explicit ids (here the entries in `order`, ids given or kept). */
static void stream_rebuild(redisContext *c, const entry_t *const *order, size_t n, const char *const *ids)
{
    cmd_ok(c, redisCommand(c, "DEL %s", STREAM), "DEL");
    for (size_t i = 0; i < n; i++)
        cmd_ok(c,
               redisCommand(c, "XADD %s %s e %b h %b", STREAM, ids ? ids[i] : order[i]->id, order[i]->e,
                            order[i]->elen, order[i]->h, order[i]->hlen),
               "XADD");
}

/* Replaces the first "Title-" in e's bytes (same length: the protobuf stays valid). */
static void edit_title(entry_t *e)
{
    for (size_t i = 0; i + 6 <= e->elen; i++)
        if (memcmp(e->e + i, "Title-", 6) == 0) {
            memcpy(e->e + i, "Tampr-", 6);
            return;
        }
    fail_msg("no title in event %s", e->id);
}

static harness_run_t verify(fixture_t *f, int json)
{
    harness_run_t r;
    if (json)
        harness_clif(f->h, &r, "--json", "audit", "verify", NULL);
    else
        harness_clif(f->h, &r, "audit", "verify", NULL);
    return r;
}

/* The verdict line must be exactly `want` and the exit code `status`. */
static void expect_verdict(fixture_t *f, int status, const char *want_prefix)
{
    harness_run_t r = verify(f, 0);
    if (r.status != status || strncmp(r.out, want_prefix, strlen(want_prefix)) != 0)
        fail_msg("audit verify: status %d (want %d)\nout: %s\nerr: %s\nwant: %s", r.status, status, r.out, r.err,
                 want_prefix);
    harness_run_free(&r);
}

static int insecure(void) { return getenv("HARNESS_INSECURE") != NULL; }

static int group_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->h = harness_new();
    *state = f;
    /* 4 creates, 2 updates, 1 archive: 7 events in tenant "default" */
    cli_ok(f->h, "risk", "add", "--title", "Title-1 phishing", "--owner", "alice", "--likelihood", "3", "--impact",
           "3", NULL);
    cli_ok(f->h, "risk", "add", "--title", "Title-2 ransomware", "--owner", "bob", "--likelihood", "4", "--impact",
           "5", NULL);
    cli_ok(f->h, "risk", "add", "--title", "Title-3 supplier", "--owner", "carol", "--likelihood", "2", "--impact",
           "4", NULL);
    cli_ok(f->h, "risk", "add", "--title", "Title-4 insider", "--owner", "dave", "--likelihood", "2", "--impact",
           "2", NULL);
    cli_ok(f->h, "risk", "update", "R-1", "--likelihood", "2", NULL);
    cli_ok(f->h, "risk", "update", "R-2", "--owner", "erin", NULL);
    cli_ok(f->h, "risk", "archive", "R-3", "--reason", "supplier offboarded", NULL);
    redisContext *c = redis(f);
    entry_t *e;
    size_t n = entries_read(c, &e);
    assert_int_equal(n, NEVENTS);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(e[i].hlen, RL_CHAIN_HASH_LEN);
        snprintf(f->ids[i], sizeof f->ids[i], "%s", e[i].id);
    }
    entries_free(e, n);
    for (int k = 0; k < 2; k++) {
        redisReply *r = redisCommand(c, "DUMP %s", saved_keys[k]);
        assert_true(r && r->type == REDIS_REPLY_STRING);
        f->dump[k] = malloc(r->len);
        assert_non_null(f->dump[k]);
        memcpy(f->dump[k], r->str, r->len);
        f->dump_len[k] = r->len;
        freeReplyObject(r);
    }
    redisFree(c);
    return 0;
}

static int group_teardown(void **state)
{
    fixture_t *f = *state;
    if (!f)
        return 0;
    int st = f->h && f->h->register_pid > 0 ? harness_register_stop(f->h) : 0;
    harness_destroy(&f->h);
    free(f->dump[0]);
    free(f->dump[1]);
    free(f);
    return st == 0 ? 0 : -1;
}

/* Before each test: the untouched chain. */
static int restore(void **state)
{
    fixture_t *f = *state;
    redisContext *c = redis(f);
    for (int k = 0; k < 2; k++)
        cmd_ok(c, redisCommand(c, "RESTORE %s 0 %b REPLACE", saved_keys[k], f->dump[k], f->dump_len[k]), "RESTORE");
    redisFree(c);
    return 0;
}

static void test_intact(void **state)
{
    fixture_t *f = *state;
    if (insecure()) {
        expect_verdict(f, EXIT_TAMPERED, "chain not attested: 7 events checked, head unsigned");
        return;
    }
    expect_verdict(f, 0, "chain intact: 7 events checked, head signed by register\n");
    harness_run_t r = verify(f, 1);
    cJSON *j = harness_json(&r, 0);
    assert_true(harness_jbool(j, "intact"));
    assert_int_equal((int)harness_jnum(j, "events_checked"), NEVENTS);
    assert_string_equal(harness_jstr(cJSON_GetObjectItem(j, "head"), "signer"), "register");
    assert_true(harness_jbool(cJSON_GetObjectItem(j, "head"), "signed"));
    cJSON_Delete(j);
    harness_run_free(&r);
}

static void test_new_events_extend_the_chain(void **state)
{
    fixture_t *f = *state;
    cli_ok(f->h, "risk", "update", "R-4", "--impact", "3", NULL);
    if (!insecure())
        expect_verdict(f, 0, "chain intact: 8 events checked, head signed by register\n");
    /* a retried request is answered from its marker and adds nothing to the chain */
    harness_risk_in_t in;
    harness_risk_init(&in, "Title-5 retried", "frank", 2, 3);
    harness_env_t *r1 = harness_create(f->h, &in.risk, "audit-retry-1");
    assert_non_null(harness_reply_risk(r1));
    harness_snapshot_t *before = harness_snapshot(f->h);
    harness_env_t *r2 = harness_create(f->h, &in.risk, "audit-retry-1");
    assert_non_null(harness_reply_risk(r2));
    assert_string_equal(harness_reply_risk(r2)->id, harness_reply_risk(r1)->id);
    harness_snapshot_t *after = harness_snapshot(f->h);
    char diff[300];
    if (!harness_snapshot_equal(before, after, diff, sizeof diff))
        fail_msg("a retried create changed Redis: %s", diff);
    harness_snapshot_free(&before);
    harness_snapshot_free(&after);
    riskline__v1__envelope__free_unpacked(r1, NULL);
    riskline__v1__envelope__free_unpacked(r2, NULL);
    if (!insecure())
        expect_verdict(f, 0, "chain intact: 9 events checked, head signed by register\n");
}

static void test_removed_middle(void **state)
{
    fixture_t *f = *state;
    redisContext *c = redis(f);
    cmd_ok(c, redisCommand(c, "XDEL %s %s", STREAM, f->ids[2]), "XDEL");
    redisFree(c);
    char want[200];
    snprintf(want, sizeof want, "chain broken at event #3 (stream id %s): removed: event #3 is missing", f->ids[3]);
    expect_verdict(f, EXIT_TAMPERED, want);
    harness_run_t r = verify(f, 1);
    cJSON *j = harness_json(&r, EXIT_TAMPERED);
    assert_false(harness_jbool(j, "intact"));
    assert_string_equal(harness_jstr(j, "kind"), "removed");
    assert_int_equal((int)harness_jnum(j, "event"), 3);
    assert_string_equal(harness_jstr(j, "stream_id"), f->ids[3]);
    assert_int_equal((int)harness_jnum(j, "events_checked"), 2);
    cJSON_Delete(j);
    harness_run_free(&r);
}

/* Rebuilds the stream with event #(index+1)'s title edited; with rehash, its stored hash is
 * recomputed too (what an attacker who knows the scheme does). */
static void rebuild_edited(fixture_t *f, size_t index, int rehash)
{
    redisContext *c = redis(f);
    const entry_t *order[NEVENTS];
    entry_t *e = entries_all(c, order);
    edit_title(&e[index]);
    if (rehash)
        rl_chain_hash(e[index].e, e[index].elen, (uint8_t *)e[index].h);
    stream_rebuild(c, order, NEVENTS, NULL);
    entries_free(e, NEVENTS);
    redisFree(c);
}

static void test_changed_rebuilt(void **state)
{
    fixture_t *f = *state;
    rebuild_edited(f, 3, 0);   /* event #4's title edited, its hash left alone */
    char want[200];
    snprintf(want, sizeof want,
             "chain broken at event #4 (stream id %s): changed: its content no longer matches its stored hash",
             f->ids[3]);
    expect_verdict(f, EXIT_TAMPERED, want);
}

static void test_changed_rehashed(void **state)
{
    fixture_t *f = *state;
    rebuild_edited(f, 1, 1);   /* event #2 edited and re-hashed: only #3's link gives it away */
    char want[300];
    snprintf(want, sizeof want,
             "chain broken at event #2 (stream id %s): changed: event #3 (stream id %s) links to a different "
             "hash: event #2 was changed and re-hashed",
             f->ids[1], f->ids[2]);
    expect_verdict(f, EXIT_TAMPERED, want);
}

static void test_reordered_swap(void **state)
{
    fixture_t *f = *state;
    redisContext *c = redis(f);
    const entry_t *order[NEVENTS];
    entry_t *e = entries_all(c, order);
    const char *ids[NEVENTS];
    for (size_t i = 0; i < NEVENTS; i++)
        ids[i] = e[i].id;
    order[1] = &e[4];   /* contents of #2 and #5 swapped, the stream ids kept in place */
    order[4] = &e[1];
    stream_rebuild(c, order, NEVENTS, ids);
    entries_free(e, NEVENTS);
    redisFree(c);
    char want[300];
    snprintf(want, sizeof want,
             "chain broken at event #2 (stream id %s): reordered: event #2 is found later, at stream id %s; "
             "event #5 stands here",
             f->ids[1], f->ids[4]);
    expect_verdict(f, EXIT_TAMPERED, want);
}

static void test_inserted_forged(void **state)
{
    fixture_t *f = *state;
    redisContext *c = redis(f);
    /* a copy of event #2 slipped in after #3: the stream is rebuilt with ids of the attacker's
     * choosing so that there is room between #3 and #4 */
    const entry_t *order[NEVENTS + 1];
    entry_t *e = entries_all(c, order);
    memmove(&order[4], &order[3], (NEVENTS - 3) * sizeof order[0]);
    order[3] = &e[1];
    const char *ids[NEVENTS + 1] = {"1000-0", "2000-0", "3000-0", "3500-0", "4000-0", "5000-0", "6000-0", "7000-0"};
    stream_rebuild(c, order, NEVENTS + 1, ids);
    entries_free(e, NEVENTS);
    redisFree(c);
    expect_verdict(f, EXIT_TAMPERED,
                   "chain broken at event #4 (stream id 3500-0): inserted: this entry is not part of the chain: the "
                   "entry after it continues from event #3");
}

static void test_removed_tail(void **state)
{
    fixture_t *f = *state;
    redisContext *c = redis(f);
    cmd_ok(c, redisCommand(c, "XDEL %s %s", STREAM, f->ids[NEVENTS - 1]), "XDEL");
    redisFree(c);
    char want[200];
    snprintf(want, sizeof want,
             "chain broken at event #7 (stream id %s): removed: event #7, the last one the head signs, is missing",
             f->ids[NEVENTS - 1]);
    expect_verdict(f, EXIT_TAMPERED, want);
}

static void test_head_hash_rewritten(void **state)
{
    fixture_t *f = *state;
    if (insecure())
        skip();
    redisContext *c = redis(f);
    cmd_ok(c, redisCommand(c, "HSET %s h %b", CHAIN, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", (size_t)32), "HSET");
    redisFree(c);
    char want[300];
    snprintf(want, sizeof want,
             "chain broken at event #7 (stream id %s): forged: the head's signature does not verify with register's "
             "public key: the head was rewritten",
             f->ids[NEVENTS - 1]);
    expect_verdict(f, EXIT_TAMPERED, want);
}

static void test_head_deleted(void **state)
{
    fixture_t *f = *state;
    redisContext *c = redis(f);
    cmd_ok(c, redisCommand(c, "DEL %s", CHAIN), "DEL");
    redisFree(c);
    char want[200];
    snprintf(want, sizeof want, "chain broken at event #7 (stream id %s): removed: the chain head is missing",
             f->ids[NEVENTS - 1]);
    expect_verdict(f, EXIT_TAMPERED, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_intact, restore),
        cmocka_unit_test_setup(test_removed_middle, restore),
        cmocka_unit_test_setup(test_changed_rebuilt, restore),
        cmocka_unit_test_setup(test_changed_rehashed, restore),
        cmocka_unit_test_setup(test_reordered_swap, restore),
        cmocka_unit_test_setup(test_inserted_forged, restore),
        cmocka_unit_test_setup(test_removed_tail, restore),
        cmocka_unit_test_setup(test_head_hash_rewritten, restore),
        cmocka_unit_test_setup(test_head_deleted, restore),
        cmocka_unit_test_setup(test_new_events_extend_the_chain, restore),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
