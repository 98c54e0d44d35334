/* rl_config.c: table-driven loader, so a new setting is one line here and one in the README. */
#include "rl_config.h"
#include "rl_ids.h"
#include "rl_log.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_STR, T_INT } ftype_t;

typedef struct {
    const char *key;  /* JSON key; env name is RISKLINE_ + upper(key) */
    ftype_t type;
    size_t off;
    size_t size;      /* for strings */
    long min, max;    /* for ints */
} field_t;

#define S(k) {#k, T_STR, offsetof(rl_config_t, k), sizeof(((rl_config_t *)0)->k), 0, 0}
#define I(k, lo, hi) {#k, T_INT, offsetof(rl_config_t, k), 0, lo, hi}

static const field_t fields[] = {
    S(redis_host), I(redis_port, 1, 65535), S(redis_user), S(redis_password),
    S(redis_password_file), I(redis_timeout_ms, 10, 600000), S(redis_sentinels), S(redis_master_name),
    S(redis_sentinel_user), S(redis_sentinel_password), S(redis_sentinel_password_file),
    I(redis_wait_replicas, -1, 16), I(redis_wait_timeout_ms, 1, 600000), S(redis_cluster), S(register_endpoint),
    S(treatment_endpoint), S(monitor_endpoint), S(report_endpoint), S(report_pub_endpoint),
    S(tenant), S(principal), S(log_level), I(timeout_ms, 10, 600000), I(retries, 0, 100),
    S(var_dir), S(keys_dir), S(key_file), I(insecure, 0, 1), I(reapproval_budget_pct, 0, 1000),
    I(max_acceptance_days, 1, 3650), I(clock_offset_s, -315360000, 315360000), S(metrics_host),
    I(register_metrics_port, 0, 65535), I(treatment_metrics_port, 0, 65535), I(monitor_metrics_port, 0, 65535),
    I(report_metrics_port, 0, 65535), I(ready_max_lag, 0, 1000000000),
    S(consumer_name), I(claim_idle_ms, 100, 86400000),
};

void rl_config_defaults(rl_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->redis_host, sizeof cfg->redis_host, "127.0.0.1");
    cfg->redis_port = 7100;
    cfg->redis_timeout_ms = 2000;
    snprintf(cfg->redis_master_name, sizeof cfg->redis_master_name, "riskline");
    cfg->redis_wait_replicas = -1;
    cfg->redis_wait_timeout_ms = 1000;
    snprintf(cfg->register_endpoint, sizeof cfg->register_endpoint, "tcp://127.0.0.1:7101");
    snprintf(cfg->treatment_endpoint, sizeof cfg->treatment_endpoint, "tcp://127.0.0.1:7102");
    snprintf(cfg->monitor_endpoint, sizeof cfg->monitor_endpoint, "tcp://127.0.0.1:7103");
    snprintf(cfg->report_endpoint, sizeof cfg->report_endpoint, "tcp://127.0.0.1:7104");
    snprintf(cfg->report_pub_endpoint, sizeof cfg->report_pub_endpoint, "tcp://127.0.0.1:7105");
    snprintf(cfg->tenant, sizeof cfg->tenant, "default");
    snprintf(cfg->principal, sizeof cfg->principal, "local-admin");
    snprintf(cfg->log_level, sizeof cfg->log_level, "info");
    cfg->timeout_ms = 3000;
    cfg->retries = 2;
    snprintf(cfg->var_dir, sizeof cfg->var_dir, "var");
    cfg->reapproval_budget_pct = 10;
    cfg->max_acceptance_days = 365;
    snprintf(cfg->metrics_host, sizeof cfg->metrics_host, "127.0.0.1");
    cfg->register_metrics_port = 9101;
    cfg->treatment_metrics_port = 9102;
    cfg->monitor_metrics_port = 9103;
    cfg->report_metrics_port = 9104;
    cfg->ready_max_lag = 1000;
    cfg->claim_idle_ms = 30000;
}

static rl_err_t set_field(rl_config_t *cfg, const field_t *f, const char *value, const char *name,
                          rl_error_t *err)
{
    char *dst = (char *)cfg + f->off;
    if (f->type == T_STR) {
        if (strlen(value) >= f->size)
            return rl_error_set(err, RL_ERR_INVALID, name, "longer than %zu bytes", f->size - 1);
        memcpy(dst, value, strlen(value) + 1);
        return RL_OK;
    }
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < f->min || v > f->max)
        return rl_error_set(err, RL_ERR_INVALID, name, "must be an integer in %ld..%ld, got \"%.40s\"",
                            f->min, f->max, value);
    *(int *)dst = (int)v;
    return RL_OK;
}

static rl_err_t load_file(rl_config_t *cfg, const char *path, rl_error_t *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return rl_error_set(err, RL_ERR_INVALID, "RISKLINE_CONFIG", "cannot open %s: %s", path,
                            strerror(errno));
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    int toolong = !feof(fp);
    fclose(fp);
    if (toolong)
        return rl_error_set(err, RL_ERR_INVALID, "RISKLINE_CONFIG", "%s is larger than 64 KiB", path);
    buf[n] = '\0';
    return rl_config_apply_json(cfg, buf, path, err);
}

rl_err_t rl_config_apply_json(rl_config_t *cfg, const char *text, const char *path, rl_error_t *err)
{
    cJSON *root = cJSON_Parse(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return rl_error_set(err, RL_ERR_INVALID, "RISKLINE_CONFIG", "%s is not a JSON object", path);
    }
    rl_err_t rc = RL_OK;
    for (cJSON *it = root->child; it && rc == RL_OK; it = it->next) {
        const field_t *f = NULL;
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
            if (strcmp(fields[i].key, it->string) == 0)
                f = &fields[i];
        if (!f) {
            rc = rl_error_set(err, RL_ERR_INVALID, it->string, "unknown setting in %s", path);
        } else if (f->type == T_STR && cJSON_IsString(it)) {
            rc = set_field(cfg, f, it->valuestring, it->string, err);
        } else if (f->type == T_INT && cJSON_IsNumber(it)) {
            /* range before the cast: converting an out-of-range double is undefined */
            double d = it->valuedouble;
            char num[32];
            snprintf(num, sizeof num, "%.0f", d < -1e9 ? -1e9 : d > 1e9 ? 1e9 : d);
            rc = (d < (double)f->min || d > (double)f->max)
                     ? rl_error_set(err, RL_ERR_INVALID, it->string, "must be an integer in %ld..%ld", f->min,
                                    f->max)
                 : (d != (double)(long)d) ? rl_error_set(err, RL_ERR_INVALID, it->string, "must be an integer")
                                          : set_field(cfg, f, num, it->string, err);
        } else {
            rc = rl_error_set(err, RL_ERR_INVALID, it->string, "must be a %s",
                              f->type == T_STR ? "string" : "number");
        }
    }
    cJSON_Delete(root);
    return rc;
}

static const char *env_lookup(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

/* Reads the first line of `path` into pw (size bytes): a password that never sits on a command line. */
static rl_err_t read_password_file(const char *path, char *pw, size_t size, const char *var, rl_error_t *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return rl_error_set(err, RL_ERR_INVALID, var, "cannot open %s: %s", path, strerror(errno));
    char *got = fgets(pw, (int)size, fp);
    int rest = got ? fgetc(fp) : EOF;
    fclose(fp);
    if (!got || pw[0] == '\n' || pw[0] == '\r') {
        pw[0] = '\0';
        return rl_error_set(err, RL_ERR_INVALID, var, "%s is empty", path);
    }
    size_t len = strcspn(pw, "\r\n");
    /* the whole first line must fit: a silently cut password fails later, far from the cause */
    if (pw[len] == '\0' && rest != EOF && rest != '\n' && rest != '\r') {
        memset(pw, 0, size);
        return rl_error_set(err, RL_ERR_INVALID, var, "the password in %s is longer than %zu bytes", path, size - 1);
    }
    pw[len] = '\0';
    return RL_OK;
}

int rl_config_hostport(const char *item, size_t len, char *host, size_t size, int *port)
{
    size_t colon = len;
    for (size_t i = 0; i < len; i++)
        if (item[i] == ':')
            colon = i;   /* the last one: an IPv6 host holds others */
    if (colon == 0 || colon >= len || colon >= size || len - colon - 1 > 5)
        return -1;
    for (size_t i = 0; i < colon; i++)
        if (!isalnum((unsigned char)item[i]) && !strchr(".-_:", item[i]))
            return -1;
    long p = 0;
    for (size_t i = colon + 1; i < len; i++) {
        if (!isdigit((unsigned char)item[i]))
            return -1;
        p = p * 10 + (item[i] - '0');
    }
    if (p < 1 || p > 65535)
        return -1;
    memcpy(host, item, colon);
    host[colon] = '\0';
    *port = (int)p;
    return 0;
}

/* "host:port[,host:port...]" of variable `name`: checked at load so a typo fails at start, not at
 * the first failover. */
static rl_err_t check_addrs(const char *list, const char *name, rl_error_t *err)
{
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        char host[256];
        int port;
        if (rl_config_hostport(p, n, host, sizeof host, &port) != 0)
            return rl_error_set(err, RL_ERR_INVALID, name,
                                "must be host:port[,host:port...], got \"%.*s\"", (int)(n > 80 ? 80 : n), p);
        p += n;
        if (*p == ',' && *++p == '\0')
            return rl_error_set(err, RL_ERR_INVALID, name, "ends with a comma");
    }
    return RL_OK;
}

rl_err_t rl_config_load_with(rl_config_t *cfg, const char *(*lookup)(const char *, void *),
                             void *ctx, rl_error_t *err)
{
    if (!lookup)
        lookup = env_lookup;
    rl_config_defaults(cfg);
    const char *file = lookup("RISKLINE_CONFIG", ctx);
    if (file && *file) {
        rl_err_t rc = load_file(cfg, file, err);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        char name[64] = "RISKLINE_";
        size_t p = strlen(name);
        for (const char *k = fields[i].key; *k && p < sizeof name - 1; k++)
            name[p++] = (char)toupper((unsigned char)*k);
        name[p] = '\0';
        const char *v = lookup(name, ctx);
        if (v) {
            rl_err_t rc = set_field(cfg, &fields[i], v, name, err);
            if (rc)
                return rc;
        }
    }
    if (!rl_tenant_valid(cfg->tenant))
        return rl_error_set(err, RL_ERR_INVALID, "RISKLINE_TENANT",
                            "must be 1..32 of [a-z0-9_-] starting with a letter or digit");
    if (rl_log_level_parse(cfg->log_level) < 0)
        return rl_error_set(err, RL_ERR_INVALID, "RISKLINE_LOG_LEVEL", "must be debug, info, warn, error or off");
    if (cfg->principal[0] == '\0')
        return rl_error_set(err, RL_ERR_INVALID, "RISKLINE_PRINCIPAL", "must not be empty");
    if (cfg->keys_dir[0] == '\0' &&
        snprintf(cfg->keys_dir, sizeof cfg->keys_dir, "%s/keys", cfg->var_dir) >= (int)sizeof cfg->keys_dir)
        return rl_error_set(err, RL_ERR_INVALID, "RISKLINE_VAR_DIR", "too long");
    rl_err_t rc = check_addrs(cfg->redis_sentinels, "RISKLINE_REDIS_SENTINELS", err);
    if (rc || (rc = check_addrs(cfg->redis_cluster, "RISKLINE_REDIS_CLUSTER", err)))
        return rc;
    /* Sentinel names one master; a cluster's masters fail over by themselves */
    if (cfg->redis_sentinels[0] && cfg->redis_cluster[0])
        return rl_error_set(err, RL_ERR_INVALID, "RISKLINE_REDIS_CLUSTER",
                            "cannot be used together with RISKLINE_REDIS_SENTINELS: choose one");
    if (cfg->redis_master_name[0] == '\0')
        return rl_error_set(err, RL_ERR_INVALID, "RISKLINE_REDIS_MASTER_NAME", "must not be empty");
    if (cfg->redis_wait_replicas < 0)
        cfg->redis_wait_replicas = cfg->redis_sentinels[0] ? 1 : 0;
    /* WAIT blocks the connection: it must give up before the command timeout gives up on it */
    if (cfg->redis_wait_replicas > 0 && cfg->redis_wait_timeout_ms >= cfg->redis_timeout_ms)
        return rl_error_set(err, RL_ERR_INVALID, "RISKLINE_REDIS_WAIT_TIMEOUT_MS",
                            "must be less than RISKLINE_REDIS_TIMEOUT_MS (%d) when replicas are waited for",
                            cfg->redis_timeout_ms);
    if (cfg->redis_sentinel_password[0] == '\0' && cfg->redis_sentinel_password_file[0] != '\0' &&
        (rc = read_password_file(cfg->redis_sentinel_password_file, cfg->redis_sentinel_password,
                                 sizeof cfg->redis_sentinel_password, "RISKLINE_REDIS_SENTINEL_PASSWORD_FILE", err)))
        return rc;
    if (cfg->redis_password[0] == '\0' && cfg->redis_password_file[0] != '\0')
        return read_password_file(cfg->redis_password_file, cfg->redis_password, sizeof cfg->redis_password,
                                  "RISKLINE_REDIS_PASSWORD_FILE", err);
    return RL_OK;
}

rl_err_t rl_config_load(rl_config_t *cfg, rl_error_t *err)
{
    return rl_config_load_with(cfg, NULL, NULL, err);
}
