/* bench_util.h: what the `make bench` programs share: env knobs, free ports, child processes,
 * a private redis-server, DEALER round trips and percentiles. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <hiredis/hiredis.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zmq.h>

#define BENCH_PATH_BUF 1024
#define BENCH_START_TIMEOUT_MS 15000
#define BENCH_STOP_GRACE_MS 5000

/* Set by the program's signal handler; every wait below gives up once it is set. */
extern volatile sig_atomic_t bench_stop;

/* SIGINT/SIGTERM/SIGHUP set bench_stop, SIGPIPE ignored, stdout line-buffered; returns
 * $RISKLINE_BUILD or "build". */
const char *bench_init(void);
/* A fresh private directory $TMPDIR/riskline-bench-XXXXXX (default /tmp) into dir. 0 ok. */
int bench_make_tmpdir(char *dir, size_t size);
/* Integer from the environment, def when unset, def (with a warning) when outside lo..hi. */
long bench_env_long(const char *name, long def, long lo, long hi);
void bench_sleep_ms(long ms);
/* RISKLINE_BENCH_SCALE (0.01..10; 1 when unset, 1 with a warning naming prog when outside). */
double bench_env_scale(const char *prog);
/* snprintf that reports truncation: 0 ok, -1 when it did not fit. */
int bench_fmt(char *buf, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));
/* n (<= 8) distinct free loopback TCP ports. 0 ok, -1 on failure. */
int bench_free_ports(int *ports, int n);
/* Removes a directory tree (no symlinks followed). */
void bench_remove_tree(const char *path);
/* An executable from PATH (or name as is when it holds a '/'). 0 ok, -1 not found. */
int bench_find_exe(const char *name, char *out, size_t size);

/* A child process whose stdout and stderr go to log. */
typedef struct {
    const char *name;
    pid_t pid;
    int status;   /* wait status once reaped */
    int reaped;
    char log[BENCH_PATH_BUF];
} bench_child_t;

/* Starts argv[0] with the environment minus RISKLINE_* plus extra (NULL-ended "K=V"). 0 ok. */
int bench_child_start(bench_child_t *c, char *const argv[], char *const extra[]);
/* 1 while the child runs; 0 once it has exited (reaped, status kept). */
int bench_child_alive(bench_child_t *c);
void bench_child_describe_exit(const bench_child_t *c, char *buf, size_t size);
/* Prints the last lines of the child's log to stderr. */
void bench_child_log_tail(const bench_child_t *c, int lines);
/* SIGTERM, wait up to BENCH_STOP_GRACE_MS, then SIGKILL. Returns 1 when it had to kill. */
int bench_child_stop(bench_child_t *c);

/* redis-server on 127.0.0.1:port with data and its config (requirepass) in dir; version filled. */
int bench_redis_start(bench_child_t *c, const char *dir, int port, const char *password, char *version,
                      size_t version_size);
/* An authenticated connection (2 s timeouts), or NULL. */
redisContext *bench_redis_connect(int port, const char *password);

/* CURVE keys a DEALER uses towards a service. */
typedef struct {
    char server[41], pub[41], sec[41];
} bench_keys_t;

/* A DEALER (linger 0) connected to endpoint, with CURVE when k is given; NULL on failure. */
void *bench_dealer_new(void *zctx, const char *endpoint, const bench_keys_t *k);
/* Sends one frame and waits up to timeout_ms for a one-frame reply (into *reply, initialised
 * here). 0 ok, -1 on timeout, interruption or socket error (why filled). */
int bench_roundtrip(void *sock, const void *req, size_t len, zmq_msg_t *reply, int timeout_ms, char *why,
                    size_t why_size);
/* Waits (up to BENCH_START_TIMEOUT_MS, while child c runs) until endpoint answers a ping: an OK
 * pong when want_pong, any reply otherwise. A fresh socket per try: a request sent while the key
 * is still refused is lost with its connection. 0 ok; -1 with the child's log tail printed. */
int bench_wait_ping(bench_child_t *c, void *zctx, const char *endpoint, const bench_keys_t *keys, int want_pong);
/* Starts the child (see bench_child_start) and waits for its ping. 0 ok. */
int bench_start_and_wait(bench_child_t *c, char *const argv[], char *const extra[], void *zctx, const char *endpoint,
                         int want_pong, const bench_keys_t *keys);

/* Starts <build>/bin/<exe> (exe a string literal, e.g. "riskline-register": it names the child)
 * with env, its log in <dir>/<exe>.log, and waits for its pong with keys. 0 ok. */
int bench_service_start(bench_child_t *c, const char *build, const char *dir, const char *exe, char *const env[],
                        void *zctx, const char *endpoint, const bench_keys_t *keys);

/* qsort comparator of uint64_t, and the nearest-rank percentile (ns -> us) of a sorted array. */
int bench_cmp_u64(const void *a, const void *b);
double bench_pct_us(const uint64_t *v, size_t n, double p);

#endif
