/* bench_util.c: helpers the `make bench` programs share (see bench_util.h). */
#include "bench_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "riskline/v1/envelope.pb-c.h"
#include "riskline/v1/status.pb-c.h"
#include "rl_clock.h"

extern char **environ;

volatile sig_atomic_t bench_stop;

static void on_signal(int sig)
{
    (void)sig;
    bench_stop = 1;
}

const char *bench_init(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *build = getenv("RISKLINE_BUILD");
    return build && *build ? build : "build";
}

int bench_make_tmpdir(char *dir, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    if (bench_fmt(dir, size, "%s/riskline-bench-XXXXXX", tmp) != 0 || !mkdtemp(dir)) {
        fprintf(stderr, "bench: cannot create a temp dir under %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    return 0;
}

long bench_env_long(const char *name, long def, long lo, long hi)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return def;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || v < lo || v > hi) {
        fprintf(stderr, "bench: ignoring %s=%s (want %ld..%ld), using %ld\n", name, s, lo, hi, def);
        return def;
    }
    return v;
}

void bench_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !bench_stop) {
    }
}

/* snprintf that reports truncation: 0 ok, -1 when it did not fit. */
int bench_fmt(char *buf, size_t size, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(buf, size, f, ap);
    va_end(ap);
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* Picks n distinct free loopback TCP ports (all held open together, then released). */
int bench_free_ports(int *ports, int n)
{
    int fds[8];
    int rc = 0, opened = 0;
    if (n > 8)
        return -1;
    for (int i = 0; i < n; i++) {
        struct sockaddr_in sa;
        socklen_t len = sizeof sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sa.sin_port = 0;
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0) {
            rc = -1;
            break;
        }
        opened++;
        if (bind(fds[i], (struct sockaddr *)&sa, sizeof sa) != 0 ||
            getsockname(fds[i], (struct sockaddr *)&sa, &len) != 0) {
            rc = -1;
            break;
        }
        ports[i] = ntohs(sa.sin_port);
    }
    for (int i = 0; i < opened; i++)
        close(fds[i]);
    return rc;
}

/* Removes a directory tree (no symlinks followed). */
void bench_remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[BENCH_PATH_BUF];
            struct stat st;
            if (bench_fmt(sub, sizeof sub, "%s/%s", path, e->d_name) != 0)
                continue;
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
                bench_remove_tree(sub);
            else
                unlink(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

/* Finds an executable in PATH (or takes `name` as is when it holds a '/'). */
int bench_find_exe(const char *name, char *out, size_t size)
{
    if (strchr(name, '/'))
        return (access(name, X_OK) == 0 && bench_fmt(out, size, "%s", name) == 0) ? 0 : -1;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n > 0 && bench_fmt(out, size, "%.*s/%s", (int)n, path, name) == 0 && access(out, X_OK) == 0)
            return 0;
        path += n;
        if (*path == ':')
            path++;
    }
    return -1;
}

/* ------------------------------------------------------------------ child processes */

/* Starts argv[0] with the current environment minus RISKLINE_* plus `extra` (NULL-ended
 * "K=V" list), stdout and stderr into child->log. 0 ok, -1 on failure. */
int bench_child_start(bench_child_t *c, char *const argv[], char *const extra[])
{
    size_t nenv = 0, nextra = 0;
    while (environ[nenv])
        nenv++;
    while (extra && extra[nextra])
        nextra++;
    /* no metrics HTTP port unless extra names one (getenv takes the first): two benches, or a
     * bench and `make run`, must not fight over the default ports */
    static char *const no_metrics[] = {"RISKLINE_REGISTER_METRICS_PORT=0", "RISKLINE_TREATMENT_METRICS_PORT=0",
                                       "RISKLINE_MONITOR_METRICS_PORT=0", "RISKLINE_REPORT_METRICS_PORT=0"};
    size_t nno = sizeof no_metrics / sizeof no_metrics[0];
    char **envp = calloc(nenv + nextra + nno + 1, sizeof *envp);
    if (!envp)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < nenv; i++)
        if (strncmp(environ[i], "RISKLINE_", 9) != 0)
            envp[k++] = environ[i];
    for (size_t i = 0; i < nextra; i++)
        envp[k++] = extra[i];
    for (size_t i = 0; i < nno; i++)
        envp[k++] = no_metrics[i];
    envp[k] = NULL;

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        free(envp);
        return -1;
    }
    if (pid == 0) { /* only async-signal-safe calls from here */
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the bench, even if it is killed */
#endif
        if (getppid() != parent)
            _exit(127);
        int fd = open(c->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    free(envp);
    c->pid = pid;
    c->reaped = 0;
    return 0;
}

/* 1 while the child runs; 0 once it has exited (reaped, status kept). */
int bench_child_alive(bench_child_t *c)
{
    if (c->pid <= 0 || c->reaped)
        return 0;
    pid_t r = waitpid(c->pid, &c->status, WNOHANG);
    if (r == c->pid || (r < 0 && errno == ECHILD)) {
        c->reaped = 1;
        return 0;
    }
    return 1;
}

void bench_child_describe_exit(const bench_child_t *c, char *buf, size_t size)
{
    if (WIFEXITED(c->status))
        bench_fmt(buf, size, "exit code %d", WEXITSTATUS(c->status));
    else if (WIFSIGNALED(c->status))
        bench_fmt(buf, size, "killed by signal %d", WTERMSIG(c->status));
    else
        bench_fmt(buf, size, "status %d", c->status);
}

/* Prints the last lines of the child's log to stderr. */
void bench_child_log_tail(const bench_child_t *c, int lines)
{
    FILE *fp = fopen(c->log, "r");
    if (!fp)
        return;
    char ring[20][512];
    int n = 0;
    if (lines > 20)
        lines = 20;
    while (fgets(ring[n % lines], sizeof ring[0], fp))
        n++;
    fclose(fp);
    fprintf(stderr, "---- last lines of %s (%s) ----\n", c->name, c->log);
    for (int i = n > lines ? n - lines : 0; i < n; i++)
        fputs(ring[i % lines], stderr);
    fprintf(stderr, "----\n");
}

/* SIGTERM, wait up to BENCH_STOP_GRACE_MS, then SIGKILL. Returns 1 when it had to kill. */
int bench_child_stop(bench_child_t *c)
{
    if (c->pid <= 0 || !bench_child_alive(c))
        return 0;
    kill(c->pid, SIGTERM);
    int64_t until = rl_mono_ms() + BENCH_STOP_GRACE_MS;
    while (rl_mono_ms() < until) {
        if (!bench_child_alive(c))
            return 0;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kill(c->pid, SIGKILL);
    waitpid(c->pid, &c->status, 0);
    c->reaped = 1;
    fprintf(stderr, "bench: %s did not stop within %d ms: killed\n", c->name, BENCH_STOP_GRACE_MS);
    return 1;
}

/* Sends one frame and waits up to timeout_ms for a one-frame reply (into *reply, initialised here).
 * 0 ok, -1 on timeout, interruption or socket error (why filled). */
int bench_roundtrip(void *sock, const void *req, size_t len, zmq_msg_t *reply, int timeout_ms, char *why,
                     size_t why_size)
{
    zmq_msg_init(reply);
    if (zmq_send(sock, req, len, 0) < 0) {
        bench_fmt(why, why_size, "send: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    int64_t until = rl_mono_ms() + timeout_ms;
    for (;;) {
        int rc = zmq_msg_recv(reply, sock, ZMQ_DONTWAIT);
        if (rc >= 0) {
            while (zmq_msg_more(reply)) { /* not expected from a DEALER peer: keep the last part */
                if (zmq_msg_recv(reply, sock, 0) < 0)
                    break;
            }
            return 0;
        }
        if (zmq_errno() != EAGAIN && zmq_errno() != EINTR) {
            bench_fmt(why, why_size, "recv: %s", zmq_strerror(zmq_errno()));
            return -1;
        }
        int64_t left = until - rl_mono_ms();
        if (bench_stop) {
            bench_fmt(why, why_size, "interrupted");
            return -1;
        }
        if (left <= 0) {
            bench_fmt(why, why_size, "no reply within %d ms", timeout_ms);
            return -1;
        }
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        zmq_poll(&item, 1, left < 100 ? (long)left : 100);
    }
}

void *bench_dealer_new(void *zctx, const char *endpoint, const bench_keys_t *k)
{
    void *s = zmq_socket(zctx, ZMQ_DEALER);
    if (!s)
        return NULL;
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (k && (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, k->server, 40) ||
              zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, k->pub, 40) || zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, k->sec, 40))) {
        zmq_close(s);
        return NULL;
    }
    if (zmq_connect(s, endpoint) != 0) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

int bench_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
double bench_pct_us(const uint64_t *v, size_t n, double p)
{
    if (n == 0)
        return 0.0;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)v[rank - 1] / 1000.0;
}

redisContext *bench_redis_connect(int port, const char *password)
{
    struct timeval tv = {2, 0};
    redisContext *rc = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (!rc || rc->err) {
        redisFree(rc);
        return NULL;
    }
    redisSetTimeout(rc, tv);
    redisReply *r = redisCommand(rc, "AUTH %s", password);
    int ok = r && r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    if (ok) {
        r = redisCommand(rc, "PING");
        ok = r && r->type == REDIS_REPLY_STATUS && r->str && strcmp(r->str, "PONG") == 0;
        freeReplyObject(r);
    }
    if (!ok) {
        redisFree(rc);
        return NULL;
    }
    return rc;
}

int bench_redis_start(bench_child_t *c, const char *dir, int port, const char *password, char *version,
                      size_t version_size)
{
    char exe[BENCH_PATH_BUF], conf[BENCH_PATH_BUF];
    const char *name = getenv("RISKLINE_REDIS_SERVER");
    if (bench_find_exe(name && *name ? name : "redis-server", exe, sizeof exe) != 0) {
        fprintf(stderr, "bench: redis-server not found (install it: make deps)\n");
        return -1;
    }
    if (bench_fmt(conf, sizeof conf, "%s/redis.conf", dir) != 0)
        return -1;
    int fd = open(conf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!fp) {
        fprintf(stderr, "bench: cannot write %s: %s\n", conf, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    fprintf(fp,
            "bind 127.0.0.1\nport %d\nprotected-mode yes\ndaemonize no\ndir %s\nlogfile \"\"\n"
            "appendonly yes\nappendfsync everysec\nsave \"\"\nrequirepass %s\n",
            port, dir, password);
    if (fclose(fp) != 0)
        return -1;
    c->name = "redis-server";
    if (bench_fmt(c->log, sizeof c->log, "%s/redis.log", dir) != 0)
        return -1;
    char *argv[] = {exe, conf, NULL};
    if (bench_child_start(c, argv, NULL) != 0) {
        fprintf(stderr, "bench: cannot start redis-server: %s\n", strerror(errno));
        return -1;
    }
    int64_t until = rl_mono_ms() + BENCH_START_TIMEOUT_MS;
    while (!bench_stop && rl_mono_ms() < until) {
        redisContext *rc = bench_redis_connect(port, password);
        if (rc) {
            redisReply *r = redisCommand(rc, "INFO server");
            const char *v = r && r->type == REDIS_REPLY_STRING ? r->str : NULL;
            const char *p = v ? strstr(v, "redis_version:") : NULL;
            if (p)
                bench_fmt(version, version_size, "%.*s", (int)strcspn(p + 14, "\r\n"), p + 14);
            freeReplyObject(r);
            redisFree(rc);
            return 0;
        }
        if (!bench_child_alive(c))
            break;
        bench_sleep_ms(50);
    }
    fprintf(stderr, "bench: redis-server did not come up on port %d\n", port);
    bench_child_log_tail(c, 15);
    return -1;
}

int bench_wait_ping(bench_child_t *c, void *zctx, const char *endpoint, const bench_keys_t *keys, int want_pong)
{
    Riskline__V1__Envelope env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__Ping ping = RISKLINE__V1__PING__INIT;
    uint8_t req[128];
    char why[200] = "";
    env.schema_version = 1;
    env.request_id = "bench-start";
    env.tenant = "bench";
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PING;
    env.ping = &ping;
    size_t len = riskline__v1__envelope__pack(&env, req);
    int64_t until = rl_mono_ms() + BENCH_START_TIMEOUT_MS;
    while (!bench_stop && rl_mono_ms() < until && bench_child_alive(c)) {
        void *s = bench_dealer_new(zctx, endpoint, keys);
        if (!s)
            return -1;
        zmq_msg_t reply;
        int ok = bench_roundtrip(s, req, len, &reply, 300, why, sizeof why) == 0;
        if (ok && want_pong) {
            Riskline__V1__Envelope *r =
                riskline__v1__envelope__unpack(NULL, zmq_msg_size(&reply), zmq_msg_data(&reply));
            ok = r && r->body_case == RISKLINE__V1__ENVELOPE__BODY_PONG &&
                 (!r->status || r->status->code == RISKLINE__V1__CODE__CODE_OK);
            if (!ok)
                bench_fmt(why, sizeof why, "ping reply is not an OK pong");
            if (r)
                riskline__v1__envelope__free_unpacked(r, NULL);
        }
        zmq_msg_close(&reply);
        zmq_close(s);
        if (ok)
            return 0;
        bench_sleep_ms(50);
    }
    if (bench_stop)
        return -1;
    char how[64] = "still running";
    if (!bench_child_alive(c))
        bench_child_describe_exit(c, how, sizeof how);
    fprintf(stderr, "bench: %s did not answer on %s (%s; last: %s)\n", c->name, endpoint, how, why);
    bench_child_log_tail(c, 15);
    return -1;
}

int bench_start_and_wait(bench_child_t *c, char *const argv[], char *const extra[], void *zctx, const char *endpoint,
                         int want_pong, const bench_keys_t *keys)
{
    if (access(argv[0], X_OK) != 0) {
        fprintf(stderr, "bench: %s not found or not executable (build it: make all bench)\n", argv[0]);
        return -1;
    }
    if (bench_child_start(c, argv, extra) != 0) {
        fprintf(stderr, "bench: cannot start %s: %s\n", argv[0], strerror(errno));
        return -1;
    }
    return bench_wait_ping(c, zctx, endpoint, keys, want_pong);
}

int bench_service_start(bench_child_t *c, const char *build, const char *dir, const char *exe, char *const env[],
                        void *zctx, const char *endpoint, const bench_keys_t *keys)
{
    char path[BENCH_PATH_BUF];
    if (bench_fmt(path, sizeof path, "%s/bin/%s", build, exe) || bench_fmt(c->log, sizeof c->log, "%s/%s.log", dir, exe))
        return -1;
    c->name = exe;
    char *argv[] = {path, NULL};
    return bench_start_and_wait(c, argv, env, zctx, endpoint, 1, keys);
}

double bench_env_scale(const char *prog)
{
    const char *s = getenv("RISKLINE_BENCH_SCALE");
    if (!s || !*s)
        return 1.0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end && !*end && v >= 0.01 && v <= 10.0)
        return v;
    fprintf(stderr, "%s: ignoring RISKLINE_BENCH_SCALE=%s (want 0.01..10), using 1\n", prog, s);
    return 1.0;
}
