/* test_config.c: defaults, RISKLINE_* overrides, the JSON file and the password file (common/rl_config.c).
 * The environment is a table passed through rl_config_load_with; files live in a temp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rl_clock.h"
#include "rl_config.h"

/* --- fake environment ---------------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *value;
} env_var_t;

typedef struct {
    env_var_t vars[16];
    size_t n;
} env_t;

static const char *env_get(const char *name, void *ctx)
{
    const env_t *e = ctx;
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(e->vars[i].name, name) == 0)
            return e->vars[i].value;
    return NULL;
}

static void env_set(env_t *e, const char *name, const char *value)
{
    assert_true(e->n < sizeof e->vars / sizeof e->vars[0]);
    e->vars[e->n].name = name;
    e->vars[e->n].value = value;
    e->n++;
}

/* --- temp files ------------------------------------------------------------------------------ */

typedef struct {
    char dir[256];
    char paths[16][320];
    size_t n;
} files_t;

static int setup_files(void **state)
{
    files_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/rl-test-config.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown_files(void **state)
{
    files_t *f = *state;
    for (size_t i = 0; i < f->n; i++)
        unlink(f->paths[i]);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Writes text to a new file in the temp directory and returns its path (valid until teardown). */
static const char *write_file(files_t *f, const char *name, const char *text)
{
    assert_true(f->n < sizeof f->paths / sizeof f->paths[0]);
    char *path = f->paths[f->n++];
    size_t dl = strlen(f->dir), nl = strlen(name);
    assert_true(dl + 1 + nl < sizeof f->paths[0]);
    memcpy(path, f->dir, dl);
    path[dl] = '/';
    memcpy(path + dl + 1, name, nl + 1);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
    assert_int_equal(fclose(fp), 0);
    return path;
}

/* Loads with env and expects RL_ERR_INVALID naming `field`. */
static void assert_invalid(env_t *env, const char *field)
{
    rl_config_t cfg;
    rl_error_t err;
    rl_error_clear(&err);
    rl_err_t rc = rl_config_load_with(&cfg, env_get, env, &err);
    if (rc != RL_ERR_INVALID)
        fail_msg("expected invalid_argument on %s, got %s", field, rl_strerror(rc));
    assert_int_equal(err.code, RL_ERR_INVALID);
    assert_string_equal(err.field, field);
    assert_true(err.message[0] != '\0');
}

static void load_ok(env_t *env, rl_config_t *cfg)
{
    rl_error_t err;
    rl_error_clear(&err);
    rl_err_t rc = rl_config_load_with(cfg, env_get, env, &err);
    if (rc != RL_OK)
        fail_msg("load failed: %s: %s: %s", rl_strerror(rc), err.field, err.message);
}

/* --- tests ------------------------------------------------------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    env_t env = {0};
    rl_config_t cfg;
    memset(&cfg, 0x5a, sizeof cfg);
    load_ok(&env, &cfg);
    assert_string_equal(cfg.redis_host, "127.0.0.1");
    assert_int_equal(cfg.redis_port, 7100);
    assert_string_equal(cfg.redis_user, "");
    assert_string_equal(cfg.redis_password, "");
    assert_string_equal(cfg.redis_password_file, "");
    assert_int_equal(cfg.redis_timeout_ms, 2000);
    assert_string_equal(cfg.register_endpoint, "tcp://127.0.0.1:7101");
    assert_string_equal(cfg.treatment_endpoint, "tcp://127.0.0.1:7102");
    assert_string_equal(cfg.monitor_endpoint, "tcp://127.0.0.1:7103");
    assert_string_equal(cfg.report_endpoint, "tcp://127.0.0.1:7104");
    assert_string_equal(cfg.report_pub_endpoint, "tcp://127.0.0.1:7105");
    assert_string_equal(cfg.tenant, "default");
    assert_string_equal(cfg.principal, "local-admin");
    assert_string_equal(cfg.log_level, "info");
    assert_int_equal(cfg.timeout_ms, 3000);
    assert_int_equal(cfg.retries, 2);
    assert_string_equal(cfg.var_dir, "var");
    assert_string_equal(cfg.keys_dir, "var/keys");  /* derived from var_dir when not set */
    assert_string_equal(cfg.key_file, "");
    assert_int_equal(cfg.insecure, 0);

    /* rl_config_defaults gives the same, but for the derived keys_dir and WAIT replicas (-1:
     * decided by the sentinels at load) */
    rl_config_t d;
    rl_config_defaults(&d);
    assert_string_equal(d.keys_dir, "");
    snprintf(d.keys_dir, sizeof d.keys_dir, "var/keys");
    assert_int_equal(d.redis_wait_replicas, -1);
    d.redis_wait_replicas = 0;
    assert_memory_equal(&d, &cfg, sizeof d);
}

static void test_env_overrides(void **state)
{
    (void)state;
    env_t env = {0};
    env_set(&env, "RISKLINE_REDIS_HOST", "redis.internal");
    env_set(&env, "RISKLINE_REDIS_PORT", "6380");
    env_set(&env, "RISKLINE_REDIS_USER", "register");
    env_set(&env, "RISKLINE_REDIS_PASSWORD", "pw");
    env_set(&env, "RISKLINE_REGISTER_ENDPOINT", "tcp://0.0.0.0:9101");
    env_set(&env, "RISKLINE_TENANT", "acme-eu_1");
    env_set(&env, "RISKLINE_PRINCIPAL", "alice");
    env_set(&env, "RISKLINE_LOG_LEVEL", "debug");
    env_set(&env, "RISKLINE_TIMEOUT_MS", "500");
    env_set(&env, "RISKLINE_RETRIES", "0");
    env_set(&env, "RISKLINE_REDIS_TIMEOUT_MS", "10");
    env_set(&env, "RISKLINE_VAR_DIR", "/var/lib/riskline");
    rl_config_t cfg;
    load_ok(&env, &cfg);
    assert_string_equal(cfg.redis_host, "redis.internal");
    assert_int_equal(cfg.redis_port, 6380);
    assert_string_equal(cfg.redis_user, "register");
    assert_string_equal(cfg.redis_password, "pw");
    assert_string_equal(cfg.register_endpoint, "tcp://0.0.0.0:9101");
    assert_string_equal(cfg.tenant, "acme-eu_1");
    assert_string_equal(cfg.principal, "alice");
    assert_string_equal(cfg.log_level, "debug");
    assert_int_equal(cfg.timeout_ms, 500);
    assert_int_equal(cfg.retries, 0);
    assert_int_equal(cfg.redis_timeout_ms, 10);
    assert_string_equal(cfg.var_dir, "/var/lib/riskline");
    /* untouched settings keep their defaults */
    assert_string_equal(cfg.treatment_endpoint, "tcp://127.0.0.1:7102");
}

static void test_port_bounds(void **state)
{
    (void)state;
    env_t env = {0};
    rl_config_t cfg;
    env_set(&env, "RISKLINE_REDIS_PORT", "1");
    load_ok(&env, &cfg);
    assert_int_equal(cfg.redis_port, 1);
    env.vars[0].value = "65535";
    load_ok(&env, &cfg);
    assert_int_equal(cfg.redis_port, 65535);
}

static void test_bad_port(void **state)
{
    (void)state;
    static const char *const bad[] = {"abc", "70000", "65536", "0", "-1", "", "7100x", "71 00",
                                      "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        env_t env = {0};
        env_set(&env, "RISKLINE_REDIS_PORT", bad[i]);
        assert_invalid(&env, "RISKLINE_REDIS_PORT");
    }
}

static void test_bad_ints(void **state)
{
    (void)state;
    env_t env = {0};
    env_set(&env, "RISKLINE_RETRIES", "101");
    assert_invalid(&env, "RISKLINE_RETRIES");
    env.vars[0] = (env_var_t){"RISKLINE_TIMEOUT_MS", "9"};
    assert_invalid(&env, "RISKLINE_TIMEOUT_MS");
    env.vars[0] = (env_var_t){"RISKLINE_REDIS_TIMEOUT_MS", "600001"};
    assert_invalid(&env, "RISKLINE_REDIS_TIMEOUT_MS");
}

/* RISKLINE_CLOCK_OFFSET_S (tests only): 0 by default, +-10 years, and the clock it makes. */
static void test_clock_offset(void **state)
{
    (void)state;
    env_t env = {0};
    rl_config_t cfg;
    load_ok(&env, &cfg);
    assert_int_equal(cfg.clock_offset_s, 0);
    env_set(&env, "RISKLINE_CLOCK_OFFSET_S", "-2764800");  /* 32 days back */
    load_ok(&env, &cfg);
    assert_int_equal(cfg.clock_offset_s, -2764800);
    env.vars[0].value = "315360000";
    load_ok(&env, &cfg);
    assert_int_equal(cfg.clock_offset_s, 315360000);
    static const char *const bad[] = {"315360001", "-315360001", "1.5", "1d", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        env.vars[0].value = bad[i];
        assert_invalid(&env, "RISKLINE_CLOCK_OFFSET_S");
    }
    /* the clock: the wall clock plus the offset, read live (the owner may change it) */
    int64_t off = -2764800000LL;
    rl_clock_t sys = rl_clock_system(), shifted = rl_clock_offset(&off);
    int64_t before = rl_clock_now(&sys), got = rl_clock_now(&shifted), after = rl_clock_now(&sys);
    assert_true(got >= before + off && got <= after + off);
    off = 0;
    before = rl_clock_now(&sys);
    got = rl_clock_now(&shifted);
    after = rl_clock_now(&sys);
    assert_true(got >= before && got <= after);
}

static void test_bad_tenant(void **state)
{
    (void)state;
    static const char *const bad[] = {"Bad Tenant!", "", "-x", "ACME",
                                      "abcdefghijklmnopqrstuvwxyz0123456" /* 33 */};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        env_t env = {0};
        env_set(&env, "RISKLINE_TENANT", bad[i]);
        assert_invalid(&env, "RISKLINE_TENANT");
    }
}

static void test_bad_log_level(void **state)
{
    (void)state;
    static const char *const bad[] = {"verbose", "", "INFO!", "trace"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        env_t env = {0};
        env_set(&env, "RISKLINE_LOG_LEVEL", bad[i]);
        assert_invalid(&env, "RISKLINE_LOG_LEVEL");
    }
    static const char *const good[] = {"debug", "info", "warn", "error", "off"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        env_t env = {0};
        rl_config_t cfg;
        env_set(&env, "RISKLINE_LOG_LEVEL", good[i]);
        load_ok(&env, &cfg);
        assert_string_equal(cfg.log_level, good[i]);
    }
}

static void test_empty_principal_and_long_strings(void **state)
{
    (void)state;
    env_t env = {0};
    env_set(&env, "RISKLINE_PRINCIPAL", "");
    assert_invalid(&env, "RISKLINE_PRINCIPAL");

    char host[300];
    memset(host, 'h', sizeof host);
    host[256] = '\0'; /* one byte more than redis_host holds */
    env_t env2 = {0};
    env_set(&env2, "RISKLINE_REDIS_HOST", host);
    assert_invalid(&env2, "RISKLINE_REDIS_HOST");
    host[255] = '\0'; /* exactly fits */
    rl_config_t cfg;
    load_ok(&env2, &cfg);
    assert_int_equal(strlen(cfg.redis_host), 255);
}

static void test_file_with_env_winning(void **state)
{
    files_t *f = *state;
    const char *path = write_file(f, "riskline.json",
                                  "{\"redis_host\": \"10.0.0.5\", \"redis_port\": 6390,\n"
                                  " \"tenant\": \"filetenant\", \"retries\": 5,\n"
                                  " \"register_endpoint\": \"tcp://10.0.0.5:8101\"}\n");
    env_t env = {0};
    env_set(&env, "RISKLINE_CONFIG", path);
    rl_config_t cfg;
    load_ok(&env, &cfg);
    assert_string_equal(cfg.redis_host, "10.0.0.5");
    assert_int_equal(cfg.redis_port, 6390);
    assert_string_equal(cfg.tenant, "filetenant");
    assert_int_equal(cfg.retries, 5);
    assert_string_equal(cfg.register_endpoint, "tcp://10.0.0.5:8101");
    assert_int_equal(cfg.timeout_ms, 3000); /* not in the file: default */

    env_set(&env, "RISKLINE_REDIS_PORT", "6391");
    env_set(&env, "RISKLINE_TENANT", "envtenant");
    load_ok(&env, &cfg);
    assert_int_equal(cfg.redis_port, 6391);
    assert_string_equal(cfg.tenant, "envtenant");
    assert_string_equal(cfg.redis_host, "10.0.0.5"); /* file still applies where env is silent */

    /* an empty RISKLINE_CONFIG means no file */
    env_t env2 = {0};
    env_set(&env2, "RISKLINE_CONFIG", "");
    load_ok(&env2, &cfg);
    assert_int_equal(cfg.redis_port, 7100);
}

static void test_file_unknown_key(void **state)
{
    files_t *f = *state;
    const char *path = write_file(f, "typo.json", "{\"redis_port\": 6390, \"redis_prot\": 6391}");
    env_t env = {0};
    env_set(&env, "RISKLINE_CONFIG", path);
    assert_invalid(&env, "redis_prot");
}

static void test_file_bad_values(void **state)
{
    files_t *f = *state;
    static const struct {
        const char *json;
        const char *field;
    } cases[] = {
        {"{\"redis_port\": \"6390\"}", "redis_port"},   /* string for a number */
        {"{\"redis_port\": 6390.5}", "redis_port"},     /* not an integer */
        {"{\"redis_port\": 70000}", "redis_port"},      /* out of range */
        {"{\"redis_port\": -5}", "redis_port"},
        {"{\"tenant\": 7}", "tenant"},                  /* number for a string */
        {"{\"tenant\": \"Bad Tenant\"}", "RISKLINE_TENANT"},
        {"{\"log_level\": \"loud\"}", "RISKLINE_LOG_LEVEL"},
        {"[1, 2]", "RISKLINE_CONFIG"},                  /* not an object */
        {"{\"redis_port\": ", "RISKLINE_CONFIG"},       /* not JSON */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "bad%zu.json", i);
        env_t env = {0};
        env_set(&env, "RISKLINE_CONFIG", write_file(f, name, cases[i].json));
        assert_invalid(&env, cases[i].field);
    }
}

/* A number too large for `long` must be refused like any other out-of-range value, without
 * undefined behaviour (rl_config.c converts the double with (long) before checking the range). */
static void test_file_huge_number(void **state)
{
    files_t *f = *state;
    env_t env = {0};
    env_set(&env, "RISKLINE_CONFIG", write_file(f, "huge.json", "{\"redis_port\": 1e300}"));
    assert_invalid(&env, "redis_port");
}

static void test_file_missing(void **state)
{
    files_t *f = *state;
    char path[400];
    snprintf(path, sizeof path, "%s/does-not-exist.json", f->dir);
    env_t env = {0};
    env_set(&env, "RISKLINE_CONFIG", path);
    assert_invalid(&env, "RISKLINE_CONFIG");
}

static void test_password_file(void **state)
{
    files_t *f = *state;
    rl_config_t cfg;

    env_t env = {0};
    env_set(&env, "RISKLINE_REDIS_PASSWORD_FILE", write_file(f, "pw", "s3cret-pass\n"));
    load_ok(&env, &cfg);
    assert_string_equal(cfg.redis_password, "s3cret-pass");

    env_t crlf = {0};
    env_set(&crlf, "RISKLINE_REDIS_PASSWORD_FILE", write_file(f, "pw-crlf", "win-pass\r\n"));
    load_ok(&crlf, &cfg);
    assert_string_equal(cfg.redis_password, "win-pass");

    env_t nonl = {0};
    env_set(&nonl, "RISKLINE_REDIS_PASSWORD_FILE", write_file(f, "pw-nonl", "no-newline"));
    load_ok(&nonl, &cfg);
    assert_string_equal(cfg.redis_password, "no-newline");

    /* an explicit password wins; the file is not even opened */
    env_t both = {0};
    env_set(&both, "RISKLINE_REDIS_PASSWORD", "from-env");
    env_set(&both, "RISKLINE_REDIS_PASSWORD_FILE", "/nonexistent/riskline/pw");
    load_ok(&both, &cfg);
    assert_string_equal(cfg.redis_password, "from-env");

    /* named in the JSON file works too */
    char json[512];
    snprintf(json, sizeof json, "{\"redis_password_file\": \"%s/pw\"}", f->dir);
    env_t viafile = {0};
    env_set(&viafile, "RISKLINE_CONFIG", write_file(f, "pwcfg.json", json));
    load_ok(&viafile, &cfg);
    assert_string_equal(cfg.redis_password, "s3cret-pass");
}

static void test_password_file_errors(void **state)
{
    files_t *f = *state;
    env_t missing = {0};
    env_set(&missing, "RISKLINE_REDIS_PASSWORD_FILE", "/nonexistent/riskline/pw");
    assert_invalid(&missing, "RISKLINE_REDIS_PASSWORD_FILE");

    env_t empty = {0};
    env_set(&empty, "RISKLINE_REDIS_PASSWORD_FILE", write_file(f, "pw-empty", ""));
    assert_invalid(&empty, "RISKLINE_REDIS_PASSWORD_FILE");
}

/* A password longer than redis_password holds is refused when it comes from the environment
 * ("longer than 255 bytes"); from the password file it must be refused too, not silently cut to
 * 255 bytes (which would only show up later as a confusing Redis authentication failure). */
static void test_password_file_too_long(void **state)
{
    files_t *f = *state;
    char pw[302];
    memset(pw, 'p', 300);
    pw[300] = '\n';
    pw[301] = '\0';
    env_t env = {0};
    env_set(&env, "RISKLINE_REDIS_PASSWORD_FILE", write_file(f, "pw-long", pw));
    assert_invalid(&env, "RISKLINE_REDIS_PASSWORD_FILE");

    pw[300] = '\0';
    env_t direct = {0};
    env_set(&direct, "RISKLINE_REDIS_PASSWORD", pw);
    assert_invalid(&direct, "RISKLINE_REDIS_PASSWORD");
}

/* Each of bad[0..n) as variable name is refused, naming it. */
static void each_invalid(const char *name, const char *const *bad, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        env_t e = {0};
        env_set(&e, name, bad[i]);
        assert_invalid(&e, name);
    }
}

/* Redis Sentinel: the list is checked at load, WAIT follows the sentinels unless set, the
 * sentinel password comes from its own file, and WAIT must give up before the command timeout. */
static void test_sentinel_settings(void **state)
{
    files_t *f = *state;
    rl_config_t cfg;
    env_t none = {0};
    load_ok(&none, &cfg);
    assert_string_equal(cfg.redis_sentinels, "");
    assert_string_equal(cfg.redis_master_name, "riskline");
    assert_int_equal(cfg.redis_wait_replicas, 0);   /* no sentinels: no WAIT */
    assert_int_equal(cfg.redis_wait_timeout_ms, 1000);

    env_t on = {0};
    env_set(&on, "RISKLINE_REDIS_SENTINELS", "10.0.0.1:26379,sentinel-1.sentinel:26380,::1:26381");
    env_set(&on, "RISKLINE_REDIS_MASTER_NAME", "prod");
    env_set(&on, "RISKLINE_REDIS_SENTINEL_PASSWORD_FILE", write_file(f, "spw", "sentinel-pass\n"));
    load_ok(&on, &cfg);
    assert_string_equal(cfg.redis_sentinels, "10.0.0.1:26379,sentinel-1.sentinel:26380,::1:26381");
    assert_string_equal(cfg.redis_master_name, "prod");
    assert_string_equal(cfg.redis_sentinel_password, "sentinel-pass");
    assert_string_equal(cfg.redis_password, "");   /* the two passwords never mix */
    assert_int_equal(cfg.redis_wait_replicas, 1);   /* sentinels: one replica by default */

    env_t off = {0};
    env_set(&off, "RISKLINE_REDIS_SENTINELS", "127.0.0.1:26379");
    env_set(&off, "RISKLINE_REDIS_WAIT_REPLICAS", "0");
    load_ok(&off, &cfg);
    assert_int_equal(cfg.redis_wait_replicas, 0);

    static const char *const bad[] = {"host", "host:", ":26379", "host:0", "host:65536", "a:1,", "a:1,,b:2",
                                      "a:1;b:2", "a:x"};
    each_invalid("RISKLINE_REDIS_SENTINELS", bad, sizeof bad / sizeof bad[0]);
    env_t name = {0};
    env_set(&name, "RISKLINE_REDIS_MASTER_NAME", "");
    assert_invalid(&name, "RISKLINE_REDIS_MASTER_NAME");
    env_t slow = {0};
    env_set(&slow, "RISKLINE_REDIS_WAIT_TIMEOUT_MS", "2000");   /* = RISKLINE_REDIS_TIMEOUT_MS */
    env_set(&slow, "RISKLINE_REDIS_WAIT_REPLICAS", "1");
    assert_invalid(&slow, "RISKLINE_REDIS_WAIT_TIMEOUT_MS");
    env_t unused = {0};   /* no WAIT: its timeout does not matter */
    env_set(&unused, "RISKLINE_REDIS_WAIT_TIMEOUT_MS", "2000");
    load_ok(&unused, &cfg);
    env_t many = {0};
    env_set(&many, "RISKLINE_REDIS_WAIT_REPLICAS", "17");
    assert_invalid(&many, "RISKLINE_REDIS_WAIT_REPLICAS");
    env_t nofile = {0};
    env_set(&nofile, "RISKLINE_REDIS_SENTINEL_PASSWORD_FILE", "/nonexistent/riskline/spw");
    assert_invalid(&nofile, "RISKLINE_REDIS_SENTINEL_PASSWORD_FILE");
}

/* Redis Cluster: seed nodes checked at load like the sentinels, no WAIT unless asked, and never
 * together with sentinels (one names a master, the other routes by slot). */
static void test_cluster_settings(void **state)
{
    (void)state;
    rl_config_t cfg;
    env_t none = {0};
    load_ok(&none, &cfg);
    assert_string_equal(cfg.redis_cluster, "");
    env_t on = {0};
    env_set(&on, "RISKLINE_REDIS_CLUSTER", "10.0.0.1:7000,redis-1.redis:7001,::1:7002");
    load_ok(&on, &cfg);
    assert_string_equal(cfg.redis_cluster, "10.0.0.1:7000,redis-1.redis:7001,::1:7002");
    assert_int_equal(cfg.redis_wait_replicas, 0);
    env_set(&on, "RISKLINE_REDIS_WAIT_REPLICAS", "1");
    load_ok(&on, &cfg);
    assert_int_equal(cfg.redis_wait_replicas, 1);
    static const char *const bad[] = {"host", ":7000", "host:0", "a:1,", "a:1,,b:2", "a:1 b:2", "a:x"};
    each_invalid("RISKLINE_REDIS_CLUSTER", bad, sizeof bad / sizeof bad[0]);
    env_t both = {0};
    env_set(&both, "RISKLINE_REDIS_CLUSTER", "127.0.0.1:7000");
    env_set(&both, "RISKLINE_REDIS_SENTINELS", "127.0.0.1:26379");
    assert_invalid(&both, "RISKLINE_REDIS_CLUSTER");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_env_overrides),
        cmocka_unit_test(test_port_bounds),
        cmocka_unit_test(test_bad_port),
        cmocka_unit_test(test_bad_ints),
        cmocka_unit_test(test_clock_offset),
        cmocka_unit_test(test_bad_tenant),
        cmocka_unit_test(test_bad_log_level),
        cmocka_unit_test(test_empty_principal_and_long_strings),
        cmocka_unit_test_setup_teardown(test_file_with_env_winning, setup_files, teardown_files),
        cmocka_unit_test_setup_teardown(test_file_unknown_key, setup_files, teardown_files),
        cmocka_unit_test_setup_teardown(test_file_bad_values, setup_files, teardown_files),
        cmocka_unit_test_setup_teardown(test_file_missing, setup_files, teardown_files),
        cmocka_unit_test_setup_teardown(test_password_file, setup_files, teardown_files),
        cmocka_unit_test_setup_teardown(test_password_file_errors, setup_files, teardown_files),
        cmocka_unit_test_setup_teardown(test_password_file_too_long, setup_files, teardown_files),
        cmocka_unit_test_setup_teardown(test_sentinel_settings, setup_files, teardown_files),
        cmocka_unit_test(test_cluster_settings),
        /* last: under -fsanitize=undefined it aborts the binary (see the test) */
        cmocka_unit_test_setup_teardown(test_file_huge_number, setup_files, teardown_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
