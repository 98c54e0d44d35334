/* rl_config.h: configuration from documented defaults, then an optional JSON file, then RISKLINE_* env. */
#ifndef RL_CONFIG_H
#define RL_CONFIG_H

#include "rl_err.h"

/* Plain data: copy freely. Every field has a RISKLINE_<UPPER> variable and a JSON key <lower>. */
typedef struct {
    char redis_host[256];          /* RISKLINE_REDIS_HOST       127.0.0.1 */
    int redis_port;                /* RISKLINE_REDIS_PORT       7100 */
    char redis_user[64];           /* RISKLINE_REDIS_USER       "" (Redis default user) */
    char redis_password[256];      /* RISKLINE_REDIS_PASSWORD   "" */
    char redis_password_file[512]; /* RISKLINE_REDIS_PASSWORD_FILE: read when the password is empty */
    int redis_timeout_ms;          /* RISKLINE_REDIS_TIMEOUT_MS 2000 */
    /* Redis Sentinel (README "Redis Sentinel"): when sentinels are set, the master is the one they
     * name and redis_host/redis_port are not used. */
    char redis_sentinels[512];     /* RISKLINE_REDIS_SENTINELS  "" ("host:port,host:port,...") */
    char redis_master_name[64];    /* RISKLINE_REDIS_MASTER_NAME riskline */
    char redis_sentinel_user[64];  /* RISKLINE_REDIS_SENTINEL_USER "" (AUTH with the password only) */
    char redis_sentinel_password[256];      /* RISKLINE_REDIS_SENTINEL_PASSWORD "" (no AUTH) */
    char redis_sentinel_password_file[512]; /* RISKLINE_REDIS_SENTINEL_PASSWORD_FILE: read when empty */
    /* Replicas that must hold a write before it is acknowledged (WAIT after each write): -1 means
     * 1 with sentinels and 0 without. */
    int redis_wait_replicas;       /* RISKLINE_REDIS_WAIT_REPLICAS -1 (auto) */
    int redis_wait_timeout_ms;     /* RISKLINE_REDIS_WAIT_TIMEOUT_MS 1000 */
    /* Redis Cluster (README "Redis Cluster"): seed nodes; the store routes each command to the
     * master of its slot, and redis_host/redis_port are not used. Not with sentinels. */
    char redis_cluster[512];       /* RISKLINE_REDIS_CLUSTER    "" ("host:port,host:port,...") */
    char register_endpoint[256];   /* RISKLINE_REGISTER_ENDPOINT tcp://127.0.0.1:7101 */
    char treatment_endpoint[256];  /* RISKLINE_TREATMENT_ENDPOINT tcp://127.0.0.1:7102 */
    char monitor_endpoint[256];    /* RISKLINE_MONITOR_ENDPOINT tcp://127.0.0.1:7103 */
    char report_endpoint[256];     /* RISKLINE_REPORT_ENDPOINT  tcp://127.0.0.1:7104 */
    char report_pub_endpoint[256]; /* RISKLINE_REPORT_PUB_ENDPOINT tcp://127.0.0.1:7105 */
    char tenant[33];               /* RISKLINE_TENANT           default */
    char principal[129];           /* RISKLINE_PRINCIPAL        local-admin (until CURVE keys) */
    char log_level[16];            /* RISKLINE_LOG_LEVEL        info */
    int timeout_ms;                /* RISKLINE_TIMEOUT_MS       3000: client wait per attempt */
    int retries;                   /* RISKLINE_RETRIES          2: client resends after a timeout */
    char var_dir[512];             /* RISKLINE_VAR_DIR          var */
    char keys_dir[512];            /* RISKLINE_KEYS_DIR         <var_dir>/keys: key files (rl_keyfile.h) */
    char key_file[512];            /* RISKLINE_KEY_FILE         <keys_dir>/<own name>.key */
    int insecure;                  /* RISKLINE_INSECURE         0; 1 = plaintext transport (warned) */
    int reapproval_budget_pct;     /* RISKLINE_REAPPROVAL_BUDGET_PCT 10: budget rise that outdates an approval */
    int max_acceptance_days;       /* RISKLINE_MAX_ACCEPTANCE_DAYS 365: longest risk acceptance */
    /* RISKLINE_CLOCK_OFFSET_S 0, -315360000..315360000 (10 years): FOR TESTS ONLY. The services'
     * clock (rl_service_ctx_t.clock: every time they stamp or decide by) runs this many seconds
     * ahead of the wall clock (behind when negative), so a test can make a plan 30 days old or a
     * schedule 40 days late without waiting. Logs keep the wall clock. A service started with an
     * offset logs a warning; it stamps shifted times into entities and the audit trail, so it is
     * never set in production (nothing else refuses it: there is no production switch). */
    int clock_offset_s;
    /* Health and metrics (README "Health and metrics"): each service serves GET /metrics and
     * /healthz over HTTP on metrics_host:<its port>; port 0 turns it off. */
    char metrics_host[64];         /* RISKLINE_METRICS_HOST     127.0.0.1 (an IPv4 address) */
    int register_metrics_port;     /* RISKLINE_REGISTER_METRICS_PORT  9101 */
    int treatment_metrics_port;    /* RISKLINE_TREATMENT_METRICS_PORT 9102 */
    int monitor_metrics_port;      /* RISKLINE_MONITOR_METRICS_PORT   9103 */
    int report_metrics_port;       /* RISKLINE_REPORT_METRICS_PORT    9104 */
    int ready_max_lag;             /* RISKLINE_READY_MAX_LAG    1000: stream entries a consumer group
                                    * may be behind and the service still be ready */
    /* Replicas (README "Replicas"): this process's consumer name in its service's consumer group;
     * "" = <hostname>:<port of its request endpoint>, unique among the live processes of a host
     * (the bind proves it) and the same after a restart of the same replica. */
    char consumer_name[129];       /* RISKLINE_CONSUMER_NAME    "" */
    int claim_idle_ms;             /* RISKLINE_CLAIM_IDLE_MS    30000: stream entries pending this long
                                    * with another consumer (a crashed replica) are taken over */
} rl_config_t;

/* Fills cfg from defaults, the JSON file named by RISKLINE_CONFIG (if set), then the environment.
 * RL_ERR_INVALID with err->field naming the variable on a bad value or unreadable file. */
rl_err_t rl_config_load(rl_config_t *cfg, rl_error_t *err);

/* Same, with an explicit environment lookup (for tests); getenv when lookup is NULL. */
rl_err_t rl_config_load_with(rl_config_t *cfg, const char *(*lookup)(const char *name, void *ctx),
                             void *ctx, rl_error_t *err);

void rl_config_defaults(rl_config_t *cfg);

/* Applies the settings of one JSON object (the text of a RISKLINE_CONFIG file, NUL-terminated;
 * `path` names it in messages) over cfg: what loading the file does, without the file (fuzzing). */
rl_err_t rl_config_apply_json(rl_config_t *cfg, const char *text, const char *path, rl_error_t *err);

/* Parses item[0..len) as host:port (the last ':' splits, so an IPv6 host may hold others; host of
 * [A-Za-z0-9._:-], port 1..65535) into host (size bytes) and *port. 0 ok, -1 malformed. */
int rl_config_hostport(const char *item, size_t len, char *host, size_t size, int *port);

#endif
