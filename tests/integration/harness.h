/* harness.h: integration test harness: a real redis-server and the real riskline-register on free
 * loopback ports in a temp dir, the real CLI, raw ZeroMQ frames and Redis state snapshots.
 *
 * Usage from cmocka: harness_new() in a setup, harness_destroy() in the teardown (it also runs at
 * exit for anything left behind). Functions that cannot go on fail the current test (cmocka fail). */
#ifndef HARNESS_H
#define HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "riskline/v1/envelope.pb-c.h"
#include "riskline/v1/risk.pb-c.h"
#include "riskline/v1/status.pb-c.h"

typedef Riskline__V1__Envelope harness_env_t;

/* One more process of a service (harness_replica_start), beside the harness's own. */
#define HARNESS_MAX_REPLICAS 8
typedef struct {
    char service[16];           /* register, treatment, monitor, report */
    int port;
    char endpoint[64];          /* tcp://127.0.0.1:<port> */
    int pub_port;               /* report: its own PUB port */
    char pub_endpoint[64];
    char log[512];              /* <dir>/<service>-<port>.log */
    pid_t pid;                  /* 0 when stopped */
    char env[8][256];           /* the env it was started with, for its restart ("" ends) */
} harness_replica_t;

typedef struct harness {
    char build[512];            /* $RISKLINE_BUILD or "build" */
    char dir[256];              /* mkdtemp: redis data, config, logs */
    char redis_conf[512];
    char redis_log[512];
    char register_log[512];     /* the register's stdout+stderr (appended across restarts) */
    char password[65];          /* the register's Redis password (ACL user register), from
                                 * <dir>/redis-register.password written by deploy/redis/acl.sh */
    int redis_port;
    pid_t redis_pid;            /* 0 when stopped */
    int register_port;
    char endpoint[64];          /* tcp://127.0.0.1:<register_port> */
    pid_t register_pid;         /* 0 when stopped */
    void *zctx;                 /* ZeroMQ context for the test's own sockets */
    unsigned seq;               /* request id counter */
    char keys_dir[300];         /* <dir>/keys: made by `riskline keys init` (cli.key = all roles) */
    char keys_env[320];         /* "RISKLINE_KEYS_DIR=<keys_dir>" for every process started */
    int insecure;               /* HARNESS_INSECURE set: plaintext everywhere (RISKLINE_INSECURE=1) */
    /* the treatment service, once harness_treatment_start ran */
    int treatment_port;
    char treatment_endpoint[64];
    char treatment_log[512];
    pid_t treatment_pid;
    /* the monitor, once harness_monitor_start ran */
    int monitor_port;
    char monitor_endpoint[64];
    char monitor_log[512];
    pid_t monitor_pid;
    /* the report service, once harness_report_start ran */
    int report_port, report_pub_port;
    char report_endpoint[64], report_pub_endpoint[64];
    char report_log[512];
    pid_t report_pid;
    /* each service's metrics HTTP port (RISKLINE_<SERVICE>_METRICS_PORT, a free port per start) */
    int register_metrics_port, treatment_metrics_port, monitor_metrics_port, report_metrics_port;
    /* more replicas, stopped (SIGKILL after the grace period) by harness_destroy */
    harness_replica_t replicas[HARNESS_MAX_REPLICAS];
    size_t nreplicas;
    /* "K=V" entries added to the environment of every service started from now on (e.g.
     * RISKLINE_REDIS_SENTINELS=...), NULL-ended; the test owns the strings. */
    const char *svc_env[8];
    /* Redis Cluster (harness_new_cluster, or RISKLINE_TEST_REDIS=cluster): three masters; the
     * services get cluster_env; redis_port is the first node's (harness_redis_connect reaches
     * only the keys of its slots: use harness_redis_connect_port for the others). */
    int cluster_n;              /* nodes: the three masters, then replicas added */
#define HARNESS_CLUSTER_MAX 4
    int cluster_port[HARNESS_CLUSTER_MAX], cluster_bus_port[HARNESS_CLUSTER_MAX];
    pid_t cluster_pid[HARNESS_CLUSTER_MAX];
    char cluster_env[160];      /* "RISKLINE_REDIS_CLUSTER=127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3" */
} harness_t;

/* Starts Redis and the register; fails the test on error. With RISKLINE_TEST_REDIS=cluster in
 * the environment, Redis is a cluster of three masters (harness_new_cluster). */
harness_t *harness_new(void);
/* The same on a Redis Cluster of three masters (redis-server --cluster-enabled yes on free ports,
 * each with its own dir, the ACL of deploy/redis/acl.sh, appendonly; made one cluster by
 * `redis-cli --cluster create`); the services get RISKLINE_REDIS_CLUSTER. */
harness_t *harness_new_cluster(void);
/* Kills (SIGKILL after a grace period) whatever still runs, closes sockets, removes the temp dir. */
void harness_destroy(harness_t **h);

/* The monotonic clock in ms, and a sleep that resumes after signals. */
int64_t harness_mono_ms(void);
void harness_sleep_ms(int ms);

/* A free loopback TCP port (bind port 0, read it back). */
int harness_free_port(void);

/* --- Redis --- */
/* Starts redis-server on the data dir (new free port on collision). 0 ok, -1 on failure. On a
 * cluster, stop/start/restart act on every node (ports kept; nodes.conf keeps the cluster). */
int harness_redis_start(harness_t *h);
/* SIGTERM, wait up to 5 s; returns the exit status (0 = clean), -1 when it had to be killed. */
int harness_redis_stop(harness_t *h);
/* stop + start on the same data dir and port (AOF reload); 0 ok. */
int harness_redis_restart(harness_t *h);
/* Redis runs with the ACL of deploy/redis/acl.sh (users.acl and redis-<user>.password in dir).
 * A new hiredis connection authenticated as ops (every command and key: tests inspect and reset
 * state); redisContext *, the caller redisFree()s it; NULL on failure. */
void *harness_redis_connect(const harness_t *h);
/* The same, authenticated as the ACL user `user` (register, treatment, monitor, report, ops) with
 * its generated password; NULL when the user has no password file or AUTH fails. */
void *harness_redis_connect_as(const harness_t *h, const char *user);
/* The same to the Redis at 127.0.0.1:port (a cluster node) as `user`. */
void *harness_redis_connect_port(const harness_t *h, int port, const char *user);
/* The password of Redis user `user` (deploy/redis/acl.sh) into buf; 0 ok. */
int harness_redis_password(const harness_t *h, const char *user, char *buf, size_t size);
/* Runs cmds[0..n) as ops on the node of key (NULL: tenant default's); fails the test on an
 * error reply. */
void harness_redis_run(const harness_t *h, const char *key, const char *const *cmds, size_t n);
/* A command's integer (or number string) reply, run as ops on the node of key (NULL: tenant
 * default's); -1 when it failed or replied otherwise. */
long long harness_redis_int(const harness_t *h, const char *key, const char *cmd);
/* The same to the node that holds key (on a cluster; else the one Redis). On a cluster,
 * harness_redis_connect(_as) reach the node of tenant default's keys. */
void *harness_redis_connect_key(const harness_t *h, const char *key, const char *user);
/* The port of the cluster node serving key's slot now (CLUSTER SLOTS), 0 when none does. */
int harness_cluster_port_of(const harness_t *h, const char *key);
/* A new node as a replica of the master at master_port (redis-cli --cluster add-node
 * --cluster-slave; it authenticates as user replica), once it has synced: its port, or -1. */
int harness_cluster_add_replica(harness_t *h, int master_port);

/* The risk events stored in rl:{tenant}:riskevent:log (an ingestion batch is one entry with a
 * field `e` per event): how many, and how many distinct (source, event id) among them, so a test
 * can assert that each accepted event is stored exactly once. 0 ok, -1 when Redis or an event
 * cannot be read. */
int harness_riskevents(const harness_t *h, const char *tenant, long long *total, long long *distinct);

/* Waits until the services' background work on tenant is done: every consumer group on its
 * domain-event stream and ingestion log has nothing undelivered or pending, and its audit chain
 * stood still for two polls (what a consumer writes is itself an event others consume). For a
 * test that compares state across requests made right after changes. 0, or -1 after timeout_ms. */
int harness_settle(const harness_t *h, const char *tenant, int timeout_ms);

/* --- the register --- */
/* Starts build/bin/riskline-register and waits until it answers a ping (10 s). 0 ok, -1 failure. */
int harness_register_start(harness_t *h);
/* SIGTERM, wait up to 5 s; returns the exit status (0 = clean exit), 128+sig when killed by a
 * signal, -1 when it did not exit in time (then SIGKILLed). */
int harness_register_stop(harness_t *h);
int harness_register_restart(harness_t *h);
/* Runs another riskline-register with the harness environment plus `env` overrides ("K=V", NULL-ended),
 * stdout/stderr appended to the register log; waits up to timeout_ms. Returns its exit status, or -1
 * when it was still running (it is then killed). */
int harness_register_exec(harness_t *h, const char *const *env, int timeout_ms);
/* 1 if the register process is still running. */
int harness_register_alive(harness_t *h);
/* 1 when a ping over ZeroMQ gets a pong within timeout_ms. */
int harness_ping(harness_t *h, int timeout_ms);

/* --- processes: the CLI --- */
typedef struct {
    int status;      /* exit code, 128+signal when killed, -1 when it could not run */
    char *out;       /* captured stdout (NUL-terminated, malloc'd) */
    char *err;       /* captured stderr */
    size_t out_len, err_len;
} harness_run_t;

typedef struct harness_proc harness_proc_t;

/* Runs $RISKLINE_BUILD/bin/riskline with argv (NULL-terminated, without argv[0]) and the harness
 * environment (RISKLINE_REGISTER_ENDPOINT, RISKLINE_REDIS_*) plus `env` ("K=V" entries, NULL-ended,
 * may be NULL; they override). stdin is /dev/null. Killed after 30 s. */
harness_proc_t *harness_cli_spawn(harness_t *h, const char *const *env, const char *const *argv);
/* Waits for it and fills r (free with harness_run_free). */
void harness_cli_wait(harness_proc_t *p, harness_run_t *r);
void harness_cli(harness_t *h, const char *const *env, const char *const *argv, harness_run_t *r);
/* Same with a variadic argv, NULL-terminated: harness_clif(h, &r, "risk", "show", "R-1", NULL). */
void harness_clif(harness_t *h, harness_run_t *r, ...);
void harness_run_free(harness_run_t *r);
/* What a running CLI wrote to stdout so far (malloc'd, NUL-terminated; never NULL). */
char *harness_cli_output(const harness_proc_t *p);
/* Runs $RISKLINE_BUILD/bin/riskline-<service> with argv (e.g. {"--check", NULL}) and the CLI's
 * environment (every endpoint, RISKLINE_KEYS_DIR: the service finds its own key there), plus env. */
void harness_service_run(harness_t *h, const char *service, const char *const *env, const char *const *argv,
                         harness_run_t *r);
/* Sends sig to a running CLI (e.g. SIGTERM to stop `riskline watch`). 0 ok. */
int harness_cli_signal(const harness_proc_t *p, int sig);
/* Runs the CLI as `who` (RISKLINE_KEY_FILE=<keys_dir>/<who>.key; NULL = the local admin's cli.key)
 * into r (freed first) and fails the test, naming the command and its output, unless it exits
 * with `want`. */
void harness_cli_as(harness_t *h, const char *who, int want, const char *const *argv, harness_run_t *r);

/* --- raw ZeroMQ --- */
/* A DEALER connected to the register (linger 0) with the CLI's key (all roles). zmq_close it. */
void *harness_dealer(harness_t *h);
/* Same with the CURVE client key in key_file (a .key file), or plaintext when key_file is NULL. */
void *harness_dealer_key(harness_t *h, const char *key_file);
/* A DEALER to another service's endpoint (its public key: <keys_dir>/<service>.pub). */
void *harness_dealer_to(harness_t *h, const char *endpoint, const char *service, const char *key_file);
/* 1 when that service answers a ping within timeout_ms. */
int harness_ping_to(harness_t *h, const char *endpoint, const char *service, int timeout_ms);

/* --- the treatment service (started on demand; the CLI then gets RISKLINE_TREATMENT_ENDPOINT) --- */
int harness_treatment_start(harness_t *h);
/* The same with one more "K=V" in its environment, e.g. "RISKLINE_CLOCK_OFFSET_S=-2764800" (a
 * treatment service living 32 days ago); NULL = none. */
int harness_treatment_start_with(harness_t *h, const char *env);
/* SIGTERM, wait up to 5 s; 0 = clean exit, like harness_register_stop. */
int harness_treatment_stop(harness_t *h);
int harness_treatment_alive(harness_t *h);

/* --- the monitor (on demand; the CLI then gets RISKLINE_MONITOR_ENDPOINT) --- */
int harness_monitor_start(harness_t *h);
int harness_monitor_stop(harness_t *h);
/* SIGKILL: no clean shutdown (for crash tests). */
int harness_monitor_kill(harness_t *h);

/* --- the report service: requests on report_endpoint, updates published on report_pub_endpoint --- */
int harness_report_start(harness_t *h);
/* SIGTERM, wait up to 5 s; 0 = clean exit. A new harness_report_start reuses both ports. */
int harness_report_stop(harness_t *h);
/* SIGKILL (a crash: no shutdown at all); harness_report_start brings it back on the same ports. */
int harness_report_kill(harness_t *h);
/* --- more replicas of a service (tests of replicas and shutdown) --- */
/* Starts another riskline-<service> on its own free port (the report also on its own PUB port),
 * metrics off, as the service's ACL user, with env ("K=V", NULL-ended, may be NULL) added, and
 * waits for its ping. Its consumer name is the default (<hostname>:<port>) unless env sets one.
 * Returns the replica (owned by h) or NULL. */
harness_replica_t *harness_replica_start(harness_t *h, const char *service, const char *const *env);
/* The same process again on the same port(s) with the same env (a restart of the same replica). 0 ok. */
int harness_replica_restart(harness_t *h, harness_replica_t *r);
/* SIGTERM, wait up to ms: its exit status, 128+sig when killed, -1 when it had to be SIGKILLed. */
int harness_replica_stop(harness_replica_t *r, int ms);
/* SIGKILL (a crash). 0 ok. */
int harness_replica_kill(harness_replica_t *r);
/* 1 while it runs. */
int harness_replica_alive(harness_replica_t *r);

/* Sends nframes frames; 0 ok, -1 on failure. */
int harness_send_frames(void *sock, size_t nframes, const void *const *data, const size_t *len);
/* Receives one whole message; returns the number of frames (the first is in *data, malloc'd,
 * further frames are discarded), 0 on timeout, -1 on failure. */
int harness_recv(void *sock, int timeout_ms, uint8_t **data, size_t *len);

/* Fills in a unique request_id when empty, tenant "default" when empty, schema_version 1. */
void harness_env_prepare(harness_t *h, harness_env_t *env);
/* Packs env (after harness_env_prepare) into a malloc'd buffer. */
uint8_t *harness_env_pack(harness_t *h, harness_env_t *env, size_t *len);
/* Sends env on sock. 0 ok. */
int harness_send_env(harness_t *h, void *sock, harness_env_t *env);
/* Receives and unpacks one reply; NULL on timeout or when it is not an Envelope.
 * Free with riskline__v1__envelope__free_unpacked(reply, NULL). */
harness_env_t *harness_recv_env(void *sock, int timeout_ms);
/* One request on a fresh DEALER; the reply or NULL (timeout 5 s). */
harness_env_t *harness_call(harness_t *h, harness_env_t *env);
/* The same to another service's endpoint with the client key in key_file (plaintext when the
 * harness runs insecure). */
harness_env_t *harness_call_to(harness_t *h, const char *endpoint, const char *service, const char *key_file,
                               harness_env_t *env);
/* Reply status code (0 when the status is absent). */
int harness_code(const harness_env_t *reply);
const char *harness_field(const harness_env_t *reply);

/* --- Redis state snapshots --- */
typedef struct {
    char *key;
    char type[16];
    char *digest;    /* DEBUG DIGEST-VALUE, or hex of DUMP */
    long long ttl_set; /* 1 when the key has a TTL */
} harness_key_t;

typedef struct {
    size_t n;
    harness_key_t *keys;  /* sorted by key */
} harness_snapshot_t;

/* Every key of the Redis db with its type and a digest of its content; fails the test on error. */
harness_snapshot_t *harness_snapshot(harness_t *h);
/* 1 when equal; otherwise 0 and a description of the first difference in diff. */
int harness_snapshot_equal(const harness_snapshot_t *a, const harness_snapshot_t *b, char *diff, size_t size);
void harness_snapshot_free(harness_snapshot_t **s);
/* Digest of one key from a snapshot, NULL when absent. */
const char *harness_snapshot_digest(const harness_snapshot_t *s, const char *key);

/* --- small utilities --- */
/* Today (UTC) plus days, as YYYY-MM-DD into buf (>= 11). */
char *harness_date_in(int days, char *buf);
/* Contents of a file (malloc'd, NUL-terminated) or NULL. */
char *harness_read_file(const char *path, size_t *len);

#endif
