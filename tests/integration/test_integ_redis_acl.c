/* test_integ_redis_acl.c: the Redis ACL users of deploy/redis/acl.sh against a real redis-server:
 * each service user writes only its own keys (directly and inside EVAL), reads any, runs no admin
 * command; the default user and wrong passwords are refused; no clear password on disk. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "harness_msg.h"

static const char *const SERVICE_USERS[] = {"register", "treatment", "monitor", "report"};
#define N_SERVICE_USERS (sizeof SERVICE_USERS / sizeof SERVICE_USERS[0])

static int setup(void **state)
{
    *state = harness_new();
    return 0;
}

static int teardown(void **state)
{
    harness_t *h = *state;
    int st = h && h->register_pid > 0 ? harness_register_stop(h) : 0;
    harness_destroy(&h);
    if (st != 0) {
        print_error("riskline-register did not exit 0 within 5 s of SIGTERM (status %d)\n", st);
        return -1;
    }
    return 0;
}

/* --- small helpers --- */

static redisContext *as(const harness_t *h, const char *user)
{
    redisContext *c = harness_redis_connect_as(h, user);
    if (!c)
        fail_msg("cannot connect to Redis as %s", user);
    return c;
}

/* A connection that has not authenticated. */
static redisContext *anonymous(const harness_t *h)
{
    redisContext *c = redisConnectWithTimeout("127.0.0.1", h->redis_port, (struct timeval){2, 0});
    if (!c || c->err)
        fail_msg("cannot connect to Redis at port %d", h->redis_port);
    return c;
}

static redisReply *run(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r)
        fail_msg("Redis connection lost: %s", c->errstr);
    return r;
}

static const char *reply_text(const redisReply *r)
{
    return r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING
               ? r->str
               : r->type == REDIS_REPLY_INTEGER ? "(integer)" : r->type == REDIS_REPLY_NIL ? "(nil)" : "(array)";
}

/* The reply must be an error starting with `prefix` (e.g. "NOPERM") and containing `part` (or NULL). */
static void expect_error(redisReply *r, const char *prefix, const char *part, const char *what)
{
    if (r->type != REDIS_REPLY_ERROR || strncmp(r->str, prefix, strlen(prefix)) != 0 ||
        (part && !strstr(r->str, part)))
        fail_msg("%s: want an error \"%s ...%s...\", got %s", what, prefix, part ? part : "", reply_text(r));
    freeReplyObject(r);
}

static void expect_ok(redisReply *r, const char *what)
{
    if (r->type == REDIS_REPLY_ERROR)
        fail_msg("%s: want success, got %s", what, r->str);
    freeReplyObject(r);
}

/* "no permissions to access one of the keys" / "to run the 'x' command": the two NOPERM texts. */
#define KEY_DENIED "access one of the keys"
#define CMD_DENIED "to run the"

static long long ops_exists(const harness_t *h, const char *key)
{
    redisContext *c = as(h, "ops");
    redisReply *r = run(c, "EXISTS %s", key);
    long long n = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    redisFree(c);
    return n;
}

static char *password_of(const harness_t *h, const char *user)
{
    char path[600];
    snprintf(path, sizeof path, "%s/redis-%s.password", h->dir, user);
    char *pw = harness_read_file(path, NULL);
    if (!pw)
        fail_msg("no password file %s", path);
    pw[strcspn(pw, "\r\n")] = '\0';
    return pw;
}

/* Writes of keys other services own, each tried directly and inside a script. */
static void expect_cannot_write(const harness_t *h, const char *user, const char *key)
{
    redisContext *c = as(h, user);
    char what[256];
    snprintf(what, sizeof what, "%s: HSET %s", user, key);
    expect_error(run(c, "HSET %s v 1", key), "NOPERM", KEY_DENIED, what);
    snprintf(what, sizeof what, "%s: EVAL HSET KEYS[1]=%s", user, key);
    expect_error(run(c, "EVAL %s 1 %s", "return redis.call('HSET', KEYS[1], 'v', '1')", key), "NOPERM",
                 KEY_DENIED, what);
    /* a key the script does not declare is checked when the script touches it */
    char script[300];
    snprintf(script, sizeof script, "return redis.call('HSET', '%s', 'v', '1')", key);
    snprintf(what, sizeof what, "%s: EVAL HSET (undeclared) %s", user, key);
    redisReply *r = run(c, "EVAL %s 0", script);
    if (r->type != REDIS_REPLY_ERROR || !strstr(r->str, "can't access at least one of the keys"))
        fail_msg("%s: want the script refused, got %s", what, reply_text(r));
    freeReplyObject(r);
    redisFree(c);
    if (ops_exists(h, key) != 0)
        fail_msg("%s: the key %s exists after the refused writes", user, key);
}

/* --- the register runs as its user, end to end --- */

static void test_register_works_as_its_user(void **state)
{
    harness_t *h = *state;
    harness_run_t r;
    harness_clif(h, &r, "risk", "add", "--title", "Phishing of staff", "--owner", "alice", "--likelihood", "4",
                 "--impact", "3", NULL);
    if (r.status != 0 || !strstr(r.out, "R-1 created"))
        fail_msg("risk add: status %d: %s%s", r.status, r.out, r.err);
    harness_run_free(&r);
    harness_clif(h, &r, "risk", "update", "R-1", "--title", "Phishing of finance staff", "--residual-likelihood",
                 "2", "--residual-impact", "2", NULL);
    if (r.status != 0)
        fail_msg("risk update: status %d: %s%s", r.status, r.out, r.err);
    harness_run_free(&r);
    harness_clif(h, &r, "criteria", "set", "--appetite", "8", NULL);
    if (r.status != 0)
        fail_msg("criteria set: status %d: %s%s", r.status, r.out, r.err);
    harness_run_free(&r);
    harness_clif(h, &r, "risk", "list", NULL);
    if (r.status != 0 || !strstr(r.out, "Phishing of finance staff"))
        fail_msg("risk list: status %d: %s%s", r.status, r.out, r.err);
    harness_run_free(&r);
    harness_clif(h, &r, "risk", "history", "R-1", NULL);
    if (r.status != 0 || !strstr(r.out, "risk.updated"))
        fail_msg("risk history: status %d: %s%s", r.status, r.out, r.err);
    harness_run_free(&r);
    harness_clif(h, &r, "audit", "verify", NULL);
    if (r.status != 0)
        fail_msg("audit verify: status %d: %s%s", r.status, r.out, r.err);
    harness_run_free(&r);

    /* ... and it did so as the register user: every client but ours is `register` */
    redisContext *c = as(h, "ops");
    redisReply *cl = run(c, "CLIENT LIST");
    assert_int_equal(cl->type, REDIS_REPLY_STRING);
    int registers = 0;
    for (char *line = strtok(cl->str, "\n"); line; line = strtok(NULL, "\n")) {
        if (strstr(line, " user=register "))
            registers++;
        else if (!strstr(line, " user=ops "))
            fail_msg("a client as another user than register or ops: %s", line);
    }
    freeReplyObject(cl);
    assert_true(registers >= 1);
    redisReply *x = run(c, "XLEN rl:{default}:events");
    assert_int_equal(x->type, REDIS_REPLY_INTEGER);
    assert_true(x->integer >= 3); /* create, update, criteria set */
    freeReplyObject(x);
    redisFree(c);
}

/* --- each service writes only its own keys --- */

static void test_register_cannot_write_other_services(void **state)
{
    harness_t *h = *state;
    static const char *const theirs[] = {
        "rl:{default}:plan:TP-1",    "rl:{default}:ms:M-1",         "rl:{default}:idx:plan:due",
        "rl:{default}:seq:plan",     "rl:{default}:control:A.5.1",  "rl:{default}:metric:K-1",
        "rl:{default}:riskevent:E-1", "rl:{default}:report:pack",   "other:{default}:risk:R-1",
    };
    for (size_t i = 0; i < sizeof theirs / sizeof theirs[0]; i++)
        expect_cannot_write(h, "register", theirs[i]);

    redisContext *c = as(h, "register");
    /* the refusals are about the keys: its own keys it writes, directly and in a script */
    expect_ok(run(c, "HSET rl:{acltest}:risk:R-1 v 1"), "register: HSET its own risk key");
    expect_ok(run(c, "EVAL %s 1 rl:{acltest}:idx:risk:id", "return redis.call('ZADD', KEYS[1], 1, 'R-1')"),
              "register: EVAL ZADD its own index");
    expect_ok(run(c, "XADD rl:{acltest}:events * e x"), "register: XADD the tenant stream");
    expect_ok(run(c, "HSET rl:{_auth}:key:test v 1"), "register: the key store is the register's");
    /* and it reads every service's keys */
    redisContext *o = as(h, "ops");
    expect_ok(run(o, "HSET rl:{default}:plan:TP-9 v 7"), "ops: HSET a plan");
    redisFree(o);
    redisReply *r = run(c, "HGET rl:{default}:plan:TP-9 v");
    if (r->type != REDIS_REPLY_STRING || strcmp(r->str, "7") != 0)
        fail_msg("register: HGET a plan: want \"7\", got %s", reply_text(r));
    freeReplyObject(r);
    r = run(c, "EVAL_RO %s 1 rl:{default}:plan:TP-9", "return redis.call('HGET', KEYS[1], 'v')");
    if (r->type != REDIS_REPLY_STRING || strcmp(r->str, "7") != 0)
        fail_msg("register: EVAL_RO HGET a plan: want \"7\", got %s", reply_text(r));
    freeReplyObject(r);
    /* reading is not writing: a write script may not even declare another service's key */
    expect_error(run(c, "EVAL %s 1 rl:{default}:plan:TP-9", "return redis.call('HGET', KEYS[1], 'v')"), "NOPERM",
                 KEY_DENIED, "register: EVAL declaring a plan key");
    redisFree(c);
}

static void test_report_cannot_write_domain_keys(void **state)
{
    harness_t *h = *state;
    static const char *const theirs[] = {"rl:{default}:risk:R-1", "rl:{default}:criteria",
                                         "rl:{default}:plan:TP-1", "rl:{default}:chain",
                                         "rl:{default}:req:r-1",  "rl:{_auth}:key:x"};
    for (size_t i = 0; i < sizeof theirs / sizeof theirs[0]; i++)
        expect_cannot_write(h, "report", theirs[i]);

    redisContext *c = as(h, "report");
    /* report appends no domain events */
    expect_error(run(c, "XADD rl:{default}:events * e x"), "NOPERM", CMD_DENIED, "report: XADD the events");
    /* but consumes them with a consumer group, and keeps its own keys */
    expect_ok(run(c, "XGROUP CREATE rl:{default}:events report 0 MKSTREAM"), "report: XGROUP CREATE");
    redisContext *o = as(h, "ops");
    expect_ok(run(o, "XADD rl:{default}:events * e one"), "ops: XADD");
    redisFree(o);
    redisReply *r = run(c, "XREADGROUP GROUP report r1 COUNT 10 STREAMS rl:{default}:events >");
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 1 || r->element[0]->elements != 2 ||
        r->element[0]->element[1]->elements != 1)
        fail_msg("report: XREADGROUP: want one entry, got %s", reply_text(r));
    char id[64];
    snprintf(id, sizeof id, "%s", r->element[0]->element[1]->element[0]->element[0]->str);
    freeReplyObject(r);
    r = run(c, "XACK rl:{default}:events report %s", id);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    expect_ok(run(c, "XAUTOCLAIM rl:{default}:events report r2 60000 0"), "report: XAUTOCLAIM");
    expect_ok(run(c, "HSET rl:{default}:report:pack v 1"), "report: HSET its own key");
    /* the consumer-group commands reach the event streams only */
    expect_error(run(c, "XGROUP CREATE rl:{default}:risk:R-1:s report 0 MKSTREAM"), "NOPERM", NULL,
                 "report: XGROUP CREATE outside the event streams");
    redisFree(c);
}

static void test_monitor_and_treatment_cannot_write_risk_keys(void **state)
{
    harness_t *h = *state;
    static const char *const risk_keys[] = {"rl:{default}:risk:R-1", "rl:{default}:idx:risk:id",
                                            "rl:{default}:seq:risk", "rl:{default}:criteria",
                                            "rl:{_auth}:key:x",      "rl:{default}:report:pack"};
    for (size_t i = 0; i < sizeof risk_keys / sizeof risk_keys[0]; i++) {
        expect_cannot_write(h, "monitor", risk_keys[i]);
        expect_cannot_write(h, "treatment", risk_keys[i]);
    }
    expect_cannot_write(h, "monitor", "rl:{default}:plan:TP-1");
    expect_cannot_write(h, "treatment", "rl:{default}:metric:K-1");

    redisContext *m = as(h, "monitor"), *t = as(h, "treatment");
    expect_ok(run(m, "HSET rl:{default}:metric:K-1 v 1"), "monitor: HSET its own metric");
    expect_ok(run(m, "XADD rl:{default}:events * e m"), "monitor: XADD the shared stream");
    expect_ok(run(m, "HSET rl:{default}:chain seq 1"), "monitor: the shared chain head");
    expect_ok(run(t, "EVAL %s 2 rl:{default}:plan:TP-1 rl:{default}:idx:plan:due",
                  "redis.call('HSET', KEYS[1], 'v', '1'); return redis.call('ZADD', KEYS[2], 1, 'TP-1')"),
              "treatment: EVAL plan and its index");
    expect_ok(run(t, "SET rl:{default}:req:t-1 x EX 60"), "treatment: an idempotency marker");
    redisFree(m);
    redisFree(t);
}

/* The monitor's ingestion transaction may take an entry back (XDEL, XSETID) on its own riskevent
 * keys only: never on the shared event stream the audit chain covers. MULTI is the monitor's. */
static void test_monitor_takes_back_only_its_log(void **state)
{
    harness_t *h = *state;
    redisContext *m = as(h, "monitor"), *o = as(h, "ops"), *r = as(h, "register");
    expect_ok(run(o, "XADD rl:{default}:events 1-1 e one"), "ops: XADD the events");
    expect_error(run(m, "XDEL rl:{default}:events 1-1"), "NOPERM", NULL, "monitor: XDEL the shared events");
    expect_error(run(m, "XSETID rl:{default}:events 1-1 ENTRIESADDED 1"), "NOPERM", NULL,
                 "monitor: XSETID the shared events");
    expect_ok(run(m, "XADD rl:{default}:riskevent:log 1-1 b x"), "monitor: XADD its log");
    expect_ok(run(m, "TYPE rl:{default}:riskevent:log"), "monitor: TYPE its log");
    expect_ok(run(m, "XINFO STREAM rl:{default}:riskevent:log"), "monitor: XINFO STREAM its log");
    expect_ok(run(m, "XDEL rl:{default}:riskevent:log 1-1"), "monitor: XDEL its log");
    expect_ok(run(m, "XSETID rl:{default}:riskevent:log 1-1 ENTRIESADDED 0 MAXDELETEDID 0-1"),
              "monitor: XSETID its log");
    expect_ok(run(m, "MULTI"), "monitor: MULTI");
    expect_ok(run(m, "EXEC"), "monitor: EXEC");
    expect_error(run(r, "MULTI"), "NOPERM", CMD_DENIED, "register: MULTI");
    redisFree(m);
    redisFree(o);
    redisFree(r);
}

/* --- no admin commands for any service --- */

static void test_services_run_no_admin_commands(void **state)
{
    harness_t *h = *state;
    static const char *const admin[] = {
        "FLUSHALL",          "FLUSHDB",       "CONFIG GET maxmemory", "CONFIG SET maxmemory 1",
        "KEYS *",            "SCAN 0",        "DEBUG SLEEP 0",        "ACL LIST",
        "ACL SETUSER x on",  "ACL WHOAMI",    "MODULE LIST",          "SHUTDOWN NOSAVE",
        "SCRIPT FLUSH",      "CLIENT LIST",   "SAVE",                 "BGREWRITEAOF",
        "DEL rl:{default}:events", "PUBLISH rl x", "SUBSCRIBE rl",   "FUNCTION FLUSH",
    };
    for (size_t u = 0; u < N_SERVICE_USERS; u++) {
        redisContext *c = as(h, SERVICE_USERS[u]);
        for (size_t i = 0; i < sizeof admin / sizeof admin[0]; i++) {
            char what[128];
            snprintf(what, sizeof what, "%s: %s", SERVICE_USERS[u], admin[i]);
            expect_error(run(c, admin[i]), "NOPERM", CMD_DENIED, what);
        }
        redisFree(c);
    }
    /* Redis is still there with its data (SHUTDOWN and FLUSHALL were refused) */
    redisContext *o = as(h, "ops");
    redisReply *r = run(o, "PING");
    assert_string_equal(r->str, "PONG");
    freeReplyObject(r);
    redisFree(o);
    assert_true(harness_ping(h, 2000));
}

/* --- authentication --- */

static void test_default_user_refused(void **state)
{
    harness_t *h = *state;
    redisContext *c = anonymous(h);
    expect_error(run(c, "PING"), "NOAUTH", NULL, "no AUTH: PING");
    expect_error(run(c, "GET rl:{default}:seq:risk"), "NOAUTH", NULL, "no AUTH: GET");
    expect_error(run(c, "AUTH %s", ""), "WRONGPASS", NULL, "AUTH with an empty password (default user)");
    char *ops = password_of(h, "ops");
    expect_error(run(c, "AUTH %s", ops), "WRONGPASS", NULL, "AUTH <ops password> as the default user");
    expect_error(run(c, "AUTH default %s", ops), "WRONGPASS", NULL, "AUTH default <ops password>");
    expect_error(run(c, "PING"), "NOAUTH", NULL, "after the refused AUTHs: PING");
    free(ops);
    redisFree(c);

    /* disabled, no password; its rights exist only for the AOF replay (see deploy/redis/acl.sh) */
    redisContext *o = as(h, "ops");
    redisReply *r = run(o, "ACL GETUSER default");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    int seen_flags = 0;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (strcmp(k->str, "flags") == 0) {
            seen_flags = 1;
            int off = 0;
            for (size_t j = 0; j < v->elements; j++) {
                if (strcmp(v->element[j]->str, "off") == 0)
                    off = 1;
                if (strcmp(v->element[j]->str, "nopass") == 0)
                    fail_msg("the default user is nopass");
            }
            if (!off)
                fail_msg("the default user is not off");
        } else if (strcmp(k->str, "passwords") == 0 && v->elements != 0) {
            fail_msg("the default user has %zu passwords", v->elements);
        }
    }
    assert_true(seen_flags);
    freeReplyObject(r);
    redisFree(o);
}

static void test_wrong_password_refused(void **state)
{
    harness_t *h = *state;
    redisContext *c = anonymous(h);
    char *treatment = password_of(h, "treatment");
    expect_error(run(c, "AUTH register %s", "0123456789abcdef0123456789abcdef"), "WRONGPASS", NULL,
                 "AUTH register <wrong>");
    expect_error(run(c, "AUTH register %s", treatment), "WRONGPASS", NULL, "AUTH register <treatment's password>");
    expect_error(run(c, "AUTH nosuchuser %s", treatment), "WRONGPASS", NULL, "AUTH <unknown user>");
    expect_error(run(c, "HGET rl:{default}:risk:R-1 v"), "NOAUTH", NULL, "after the refused AUTHs: HGET");
    expect_ok(run(c, "AUTH treatment %s", treatment), "AUTH treatment <its password>");
    free(treatment);
    redisFree(c);
}

static void test_restart_replays_scripted_writes(void **state)
{
    harness_t *h = *state;
    harness_run_t r;
    harness_clif(h, &r, "risk", "add", "--title", "Survives a restart", "--owner", "bob", "--likelihood", "2",
                 "--impact", "2", NULL);
    if (r.status != 0)
        fail_msg("risk add: status %d: %s%s", r.status, r.out, r.err);
    harness_run_free(&r);
    /* every scripted write sits in the AOF as MULTI/EXEC, which Redis up to 7.2 replays with the
     * default user's rights: a default user without them loses these keys silently */
    assert_int_equal(harness_redis_restart(h), 0);
    assert_int_equal(ops_exists(h, "rl:{default}:risk:R-1"), 1);
    assert_int_equal(ops_exists(h, "rl:{default}:events"), 1);
    redisContext *c = as(h, "register");
    redisReply *x = run(c, "HGET rl:{default}:risk:R-1 v");
    if (x->type != REDIS_REPLY_STRING || strcmp(x->str, "1") != 0)
        fail_msg("after the restart, R-1 version: want \"1\", got %s", reply_text(x));
    freeReplyObject(x);
    redisFree(c);
}

/* --- the files --- */

static void test_acl_file_holds_no_clear_password(void **state)
{
    harness_t *h = *state;
    char path[600];
    snprintf(path, sizeof path, "%s/users.acl", h->dir);
    char *acl = harness_read_file(path, NULL);
    assert_non_null(acl);
    if (!strstr(acl, "user default off "))
        fail_msg("users.acl does not disable the default user:\n%s", acl);
    if (strstr(acl, " >") || strstr(acl, "nopass"))
        fail_msg("users.acl holds a clear password or nopass:\n%s", acl);
    static const char *const users[] = {"register", "treatment", "monitor", "report", "ops"};
    assert_int_equal(sodium_init() >= 0, 1);
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++) {
        char *pw = password_of(h, users[i]);
        if (strstr(acl, pw))
            fail_msg("users.acl holds the clear password of %s", users[i]);
        unsigned char d[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(d, (const unsigned char *)pw, strlen(pw));
        char want[256];
        int n = snprintf(want, sizeof want, "user %s on resetpass #", users[i]);
        for (size_t k = 0; k < sizeof d; k++)
            n += snprintf(want + n, sizeof want - (size_t)n, "%02x", d[k]);
        if (!strstr(acl, want))
            fail_msg("users.acl has no line starting \"%s\"", want);
        free(pw);
    }
    free(acl);
}

static void test_files_owner_only(void **state)
{
    harness_t *h = *state;
    static const char *const files[] = {"users.acl", "redis-register.password", "redis-treatment.password",
                                        "redis-monitor.password", "redis-report.password", "redis-ops.password"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", h->dir, files[i]);
        struct stat st;
        if (stat(path, &st) != 0)
            fail_msg("%s is missing", path);
        if ((st.st_mode & 07777) != 0600)
            fail_msg("%s has mode %o, want 600", files[i], (unsigned)(st.st_mode & 07777));
    }
    for (size_t u = 0; u < N_SERVICE_USERS; u++) {
        char *pw = password_of(h, SERVICE_USERS[u]);
        assert_int_equal(strlen(pw), 64);
        assert_int_equal(strspn(pw, "0123456789abcdef"), 64);
        free(pw);
    }
}

/* Runs deploy/redis/acl.sh on the harness dir; its exit status. */
static int rerun_acl_script(const harness_t *h)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "deploy/redis/acl.sh '%s' 2>/dev/null", h->dir);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_acl_script_keeps_passwords_and_refuses_bad_ones(void **state)
{
    harness_t *h = *state;
    char path[600], pwpath[600];
    snprintf(path, sizeof path, "%s/users.acl", h->dir);
    snprintf(pwpath, sizeof pwpath, "%s/redis-monitor.password", h->dir);
    char *before = harness_read_file(path, NULL);
    char *pw = password_of(h, "monitor");
    /* a second run (every `make run` start) keeps every password and writes the same file */
    assert_int_equal(rerun_acl_script(h), 0);
    char *after = harness_read_file(path, NULL);
    char *pw2 = password_of(h, "monitor");
    assert_string_equal(pw, pw2);
    assert_string_equal(before, after);
    free(after);
    free(pw2);
    /* a password the ACL cannot carry safely is refused, and the ACL file is left as it was */
    FILE *f = fopen(pwpath, "w");
    assert_non_null(f);
    fputs("not a password!\n", f);
    fclose(f);
    assert_int_equal(rerun_acl_script(h), 1);
    after = harness_read_file(path, NULL);
    assert_string_equal(before, after);
    free(after);
    f = fopen(pwpath, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", pw);
    fclose(f);
    free(pw);
    free(before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_works_as_its_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_cannot_write_other_services, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_cannot_write_domain_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_monitor_and_treatment_cannot_write_risk_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_monitor_takes_back_only_its_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_services_run_no_admin_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_user_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_password_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_replays_scripted_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acl_file_holds_no_clear_password, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_owner_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acl_script_keeps_passwords_and_refuses_bad_ones, setup, teardown),
    };
    return cmocka_run_group_tests_name("redis_acl", tests, NULL, NULL);
}
