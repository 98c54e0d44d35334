/* harness.c: start/stop redis-server and riskline-register on free ports, run the CLI, raw frames,
 * Redis snapshots. Children die with the test process (PR_SET_PDEATHSIG) and are killed at exit. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "harness.h"
#include "rl_cluster.h"
#include "rl_keyfile.h"
#include "riskline/v1/monitor.pb-c.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include <ftw.h>
#include <arpa/inet.h>

#define START_TIMEOUT_MS 15000
#define STOP_TIMEOUT_MS 5000
#define CLI_TIMEOUT_MS 30000
#define MAX_LIVE 32

/* Test-process bookkeeping so that children and temp dirs go away even when a test aborts. */
static harness_t *g_live[MAX_LIVE];
static int g_atexit_done;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void harness_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int64_t harness_mono_ms(void) { return mono_ms(); }

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_rf(const char *dir)
{
    if (dir[0])
        nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Waits for pid up to ms; returns exit status / 128+sig, or -1 when still running. */
static int wait_pid(pid_t pid, int ms)
{
    int64_t deadline = mono_ms() + ms;
    for (;;) {
        int st = 0;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(st))
                return WEXITSTATUS(st);
            if (WIFSIGNALED(st))
                return 128 + WTERMSIG(st);
            return -2;
        }
        if (r < 0 && errno != EINTR)
            return -2;  /* not our child any more */
        if (mono_ms() >= deadline)
            return -1;
        harness_sleep_ms(5);
    }
}

/* SIGTERM, wait up to ms, then SIGKILL. Exit status, or -1 when it had to be killed. */
static int stop_pid(pid_t pid, int ms)
{
    if (pid <= 0)
        return -2;
    kill(pid, SIGTERM);
    int st = wait_pid(pid, ms);
    if (st == -1) {
        kill(pid, SIGKILL);
        wait_pid(pid, 2000);
    }
    return st;
}

static void kill_now(pid_t *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGKILL);
        wait_pid(*pid, 2000);
    }
    *pid = 0;
}

static void cleanup_all(void)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (g_live[i]) {
            harness_t *h = g_live[i];
            kill_now(&h->register_pid);
            kill_now(&h->treatment_pid);
            kill_now(&h->monitor_pid);
            kill_now(&h->report_pid);
            for (size_t k = 0; k < h->nreplicas; k++)
                kill_now(&h->replicas[k].pid);
            kill_now(&h->redis_pid);
            for (int n = 0; n < h->cluster_n; n++)
                kill_now(&h->cluster_pid[n]);
            rm_rf(h->dir);
            g_live[i] = NULL;
        }
}

static void track(harness_t *h, int add)
{
    if (!g_atexit_done) {
        atexit(cleanup_all);
        g_atexit_done = 1;
    }
    for (int i = 0; i < MAX_LIVE; i++) {
        if (add && !g_live[i]) {
            g_live[i] = h;
            return;
        }
        if (!add && g_live[i] == h) {
            g_live[i] = NULL;
            return;
        }
    }
}

int harness_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    /* Never hand out the suite's fixed ports (others use them). */
    if (port >= 7100 && port <= 7199)
        return harness_free_port();
    return port;
}

char *harness_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

char *harness_date_in(int days, char *buf)
{
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 11, "%Y-%m-%d", &tm);
    return buf;
}

/* --- Redis --- */

/* The password deploy/redis/acl.sh generated for user, into buf; 0 ok. */
static int acl_password(const harness_t *h, const char *user, char *buf, size_t size)
{
    char path[600];
    snprintf(path, sizeof path, "%s/redis-%s.password", h->dir, user);
    char *pw = harness_read_file(path, NULL);
    if (!pw)
        return -1;
    size_t len = strcspn(pw, "\r\n");
    int ok = len > 0 && len < size;
    if (ok)
        snprintf(buf, size, "%.*s", (int)len, pw);
    free(pw);
    return ok ? 0 : -1;
}

int harness_cluster_port_of(const harness_t *h, const char *key)
{
    redisContext *c = harness_redis_connect_port(h, h->cluster_port[0], "ops");
    redisReply *r = c ? redisCommand(c, "CLUSTER SLOTS") : NULL;
    unsigned slot = rl_cluster_slot(key, strlen(key));
    int port = 0;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply *e = r->element[i];
        if (e->elements >= 3 && slot >= (unsigned)e->element[0]->integer && slot <= (unsigned)e->element[1]->integer)
            port = (int)e->element[2]->element[1]->integer;
    }
    freeReplyObject(r);
    redisFree(c);
    return port;
}

void *harness_redis_connect_key(const harness_t *h, const char *key, const char *user)
{
    return harness_redis_connect_port(h, h->cluster_n ? harness_cluster_port_of(h, key) : h->redis_port, user);
}

/* On a cluster: the node of tenant default, the one most tests inspect. */
void *harness_redis_connect_as(const harness_t *h, const char *user)
{
    return harness_redis_connect_key(h, "rl:{default}:", user);
}

int harness_redis_password(const harness_t *h, const char *user, char *buf, size_t size)
{
    return acl_password(h, user, buf, size);
}

void harness_redis_run(const harness_t *h, const char *key, const char *const *cmds, size_t n)
{
    redisContext *c = harness_redis_connect_key(h, key ? key : "rl:{default}:", "ops");
    if (!c)
        fail_msg("cannot connect to Redis as ops");
    for (size_t i = 0; i < n; i++) {
        redisReply *x = redisCommand(c, cmds[i]);
        if (!x || x->type == REDIS_REPLY_ERROR) {
            char why[256];
            snprintf(why, sizeof why, "%s", x ? x->str : c->errstr);
            freeReplyObject(x);
            redisFree(c);
            fail_msg("%s: %s", cmds[i], why);
        }
        freeReplyObject(x);
    }
    redisFree(c);
}

long long harness_redis_int(const harness_t *h, const char *key, const char *cmd)
{
    redisContext *c = harness_redis_connect_key(h, key ? key : "rl:{default}:", "ops");
    redisReply *r = c ? redisCommand(c, cmd) : NULL;
    long long v = !r ? -1 : r->type == REDIS_REPLY_INTEGER ? r->integer
                          : r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;
    freeReplyObject(r);
    redisFree(c);
    return v;
}

void *harness_redis_connect_port(const harness_t *h, int port, const char *user)
{
    char pw[128];
    if (acl_password(h, user, pw, sizeof pw) != 0)
        return NULL;
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (!c || c->err) {
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, (struct timeval){10, 0});
    redisReply *r = redisCommand(c, "AUTH %s %s", user, pw);
    int ok = r && r->type == REDIS_REPLY_STATUS;
    if (r)
        freeReplyObject(r);
    if (!ok) {
        redisFree(c);
        return NULL;
    }
    return c;
}

/* Tests inspect and reset state (DEBUG DIGEST-VALUE, FLUSHALL): only ops may. */
void *harness_redis_connect(const harness_t *h) { return harness_redis_connect_as(h, "ops"); }

static int redis_ready(const harness_t *h)
{
    redisContext *c = harness_redis_connect(h);
    if (!c)
        return 0;
    redisReply *r = redisCommand(c, "PING");
    int ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return ok;
}

static int write_redis_conf(harness_t *h)
{
    char conf[2048];
    snprintf(conf, sizeof conf,
             "port %d\n"
             "bind 127.0.0.1\n"
             "protected-mode yes\n"
             "daemonize no\n"
             "dir %s\n"
             "logfile %s\n"
             "appendonly yes\n"
             "appendfsync everysec\n"
             "appendfilename \"appendonly.aof\"\n"
             "save \"\"\n"
             "aclfile %s/users.acl\n"
             "enable-debug-command local\n",
             h->redis_port, h->dir, h->redis_log, h->dir);
    return write_file(h->redis_conf, conf);
}

static pid_t spawn(const char *path, char *const argv[], const char *out_path, int append,
                   const char *err_path, const char *const *env)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* child */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int in = open("/dev/null", O_RDONLY);
    int flags = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC);
    int out = open(out_path, flags, 0600);
    int err = err_path ? open(err_path, flags, 0600) : out;
    if (in < 0 || out < 0 || err < 0)
        _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    /* A clean RISKLINE_* environment: only what the harness and the test give. */
    static const char *const clear[] = {
        "RISKLINE_CONFIG", "RISKLINE_REDIS_HOST", "RISKLINE_REDIS_PORT", "RISKLINE_REDIS_USER",
        "RISKLINE_REDIS_PASSWORD", "RISKLINE_REDIS_PASSWORD_FILE", "RISKLINE_REDIS_TIMEOUT_MS",
        "RISKLINE_REGISTER_ENDPOINT", "RISKLINE_TREATMENT_ENDPOINT", "RISKLINE_MONITOR_ENDPOINT",
        "RISKLINE_REPORT_ENDPOINT", "RISKLINE_REPORT_PUB_ENDPOINT", "RISKLINE_TENANT",
        "RISKLINE_PRINCIPAL", "RISKLINE_LOG_LEVEL", "RISKLINE_TIMEOUT_MS", "RISKLINE_RETRIES",
        "RISKLINE_VAR_DIR", "RISKLINE_KEYS_DIR", "RISKLINE_KEY_FILE", "RISKLINE_INSECURE",
        "RISKLINE_METRICS_HOST", "RISKLINE_REGISTER_METRICS_PORT", "RISKLINE_TREATMENT_METRICS_PORT",
        "RISKLINE_MONITOR_METRICS_PORT", "RISKLINE_REPORT_METRICS_PORT", "RISKLINE_READY_MAX_LAG",
        "RISKLINE_REDIS_SENTINELS", "RISKLINE_REDIS_MASTER_NAME", "RISKLINE_REDIS_SENTINEL_USER",
        "RISKLINE_REDIS_SENTINEL_PASSWORD", "RISKLINE_REDIS_SENTINEL_PASSWORD_FILE", "RISKLINE_REDIS_WAIT_REPLICAS",
        "RISKLINE_REDIS_WAIT_TIMEOUT_MS", "RISKLINE_REDIS_CLUSTER", NULL};
    for (const char *const *c = clear; *c; c++)
        unsetenv(*c);
    for (const char *const *e = env; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
        setenv(name, eq + 1, 1);
    }
    execv(path, argv);
    _exit(127);
}

/* Users and passwords come from the launcher's own script, so the tests run under the ACL that
 * `make run` and the deployments use. The register's password is kept for the log-leak check. */
static int write_redis_acl(harness_t *h)
{
    const char *script = "deploy/redis/acl.sh";  /* tests run from the repository root */
    char log[600];
    snprintf(log, sizeof log, "%s/acl.log", h->dir);
    char *argv[] = {(char *)script, h->dir, NULL};
    pid_t pid = spawn(script, argv, log, 1, NULL, NULL);
    int st = pid > 0 ? wait_pid(pid, 10000) : -2;
    if (st == -1)
        kill_now(&pid);
    if (st != 0 || acl_password(h, "register", h->password, sizeof h->password) != 0) {
        char *text = harness_read_file(log, NULL);
        fprintf(stderr, "harness: %s %s failed (status %d): %s\n", script, h->dir, st, text ? text : "");
        free(text);
        return -1;
    }
    return 0;
}

/* redis-server <conf>, stdout and stderr appended to out; dies with the test (PDEATHSIG). */
static pid_t redis_server(const char *conf, const char *out)
{
    char *argv[] = {"redis-server", (char *)conf, NULL};
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int in = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (in >= 0)
            dup2(in, 0);
        execvp("redis-server", argv);
        _exit(127);
    }
    return pid;
}

/* A field "name:<n>" of a CLUSTER INFO or INFO text on port, as ops; -1 when absent. */
static long node_info(const harness_t *h, int port, const char *cmd, const char *name)
{
    redisContext *c = harness_redis_connect_port(h, port, "ops");
    redisReply *r = c ? redisCommand(c, cmd) : NULL;
    const char *p = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, name) : NULL;
    long v = p ? strtol(p + strlen(name), NULL, 10) : -1;
    if (p && !strncmp(name, "cluster_state:", 14))
        v = !strncmp(p + strlen(name), "ok", 2);
    freeReplyObject(r);
    redisFree(c);
    return v;
}

/* (Re)starts every node of the cluster from its config; waits until each answers and, when
 * `formed`, sees cluster_state:ok (its nodes.conf keeps the cluster across restarts). */
static int cluster_nodes_start(harness_t *h, int formed)
{
    char conf[600], out[600];
    for (int i = 0; i < h->cluster_n; i++) {
        snprintf(conf, sizeof conf, "%s/node%d/redis.conf", h->dir, i);
        snprintf(out, sizeof out, "%s/node%d/redis.stdout", h->dir, i);
        if (h->cluster_pid[i] <= 0 && (h->cluster_pid[i] = redis_server(conf, out)) < 0)
            return -1;
    }
    int64_t deadline = mono_ms() + START_TIMEOUT_MS;
    for (int i = 0; i < h->cluster_n; i++)
        while (node_info(h, h->cluster_port[i], formed ? "CLUSTER INFO" : "INFO server",
                         formed ? "cluster_state:" : "tcp_port:") != (formed ? 1 : h->cluster_port[i])) {
            int exited = wait_pid(h->cluster_pid[i], 0) != -1;   /* e.g. its port was taken */
            if (exited)
                h->cluster_pid[i] = 0;
            if (exited || mono_ms() > deadline) {
                /* the node's own words on why: the end of its log */
                char log[600];
                snprintf(log, sizeof log, "%s/node%d/redis.log", h->dir, i);
                char *text = harness_read_file(log, NULL);
                size_t len = text ? strlen(text) : 0, from = len > 1200 ? len - 1200 : 0;
                fprintf(stderr, "harness: cluster node %d (port %d) %s%s; its log ends:\n%s\n", i, h->cluster_port[i],
                        exited ? "exited" : "did not start", formed ? " or never saw cluster_state:ok" : "",
                        text ? text + from : "(none)");
                free(text);
                return -1;
            }
            harness_sleep_ms(20);
        }
    return 0;
}

/* New free ports and a config (own dir, AOF, the ACL file, cluster mode; a replica authenticates
 * to its master as user replica) for node i. */
static int node_configure(harness_t *h, int i)
{
    char conf[600], text[1536], pw[128] = "";
    h->cluster_port[i] = harness_free_port();
    do
        h->cluster_bus_port[i] = harness_free_port();
    while (h->cluster_bus_port[i] == h->cluster_port[i]);
    snprintf(conf, sizeof conf, "%s/node%d", h->dir, i);
    mkdir(conf, 0700);
    if (acl_password(h, "replica", pw, sizeof pw) != 0)
        return -1;
    snprintf(text, sizeof text,
             "port %d\nbind 127.0.0.1\nprotected-mode yes\ndaemonize no\ndir %s/node%d\nlogfile %s/node%d/redis.log\n"
             "appendonly yes\nappendfsync everysec\nsave \"\"\naclfile %s/users.acl\nenable-debug-command local\n"
             "cluster-enabled yes\ncluster-config-file nodes.conf\ncluster-node-timeout 5000\ncluster-port %d\n"
             "masteruser replica\nmasterauth %s\n",
             h->cluster_port[i], h->dir, i, h->dir, i, h->dir, h->cluster_bus_port[i], pw);
    snprintf(conf, sizeof conf, "%s/node%d/redis.conf", h->dir, i);
    return write_file(conf, text);
}

/* redis-cli --user ops <args> (the password in REDISCLI_AUTH, never argv); 0 when it exits 0. */
static int redis_cli(harness_t *h, const char *args)
{
    char pw[128], auth[160], log[600], cmd[1200];
    if (acl_password(h, "ops", pw, sizeof pw) != 0)
        return -1;
    snprintf(auth, sizeof auth, "REDISCLI_AUTH=%s", pw);
    snprintf(log, sizeof log, "%s/redis-cli.log", h->dir);
    snprintf(cmd, sizeof cmd, "exec redis-cli --user ops %s", args);
    const char *env[] = {auth, NULL};
    char *argv[] = {"sh", "-c", cmd, NULL};
    pid_t pid = spawn("/bin/sh", argv, log, 0, NULL, env);
    int st = pid > 0 ? wait_pid(pid, 30000) : -2;
    if (st != 0) {
        if (st == -1)
            kill_now(&pid);
        char *text_log = harness_read_file(log, NULL);
        fprintf(stderr, "harness: %s: status %d\n%s\n", cmd, st, text_log ? text_log : "");
        free(text_log);
        return -1;
    }
    return 0;
}

/* Three cluster-enabled masters under the deployment's ACL, made one cluster by redis-cli (every
 * slot assigned), each node seeing cluster_state:ok. 0 ok, -1 (with a message) on failure. */
static int cluster_start_once(harness_t *h)
{
    h->cluster_n = 3;
    for (int i = 0; i < h->cluster_n; i++)
        if (node_configure(h, i) != 0)
            return -1;
    if (cluster_nodes_start(h, 0) != 0)
        return -1;
    char cmd[1024] = "--cluster create";
    size_t off = strlen(cmd), eoff = (size_t)snprintf(h->cluster_env, sizeof h->cluster_env, "RISKLINE_REDIS_CLUSTER=");
    for (int i = 0; i < h->cluster_n; i++) {
        off += (size_t)snprintf(cmd + off, sizeof cmd - off, " 127.0.0.1:%d", h->cluster_port[i]);
        eoff += (size_t)snprintf(h->cluster_env + eoff, sizeof h->cluster_env - eoff, "%s127.0.0.1:%d", i ? "," : "",
                                 h->cluster_port[i]);
    }
    snprintf(cmd + off, sizeof cmd - off, " --cluster-replicas 0 --cluster-yes");
    h->redis_port = h->cluster_port[0];
    if (redis_cli(h, cmd) != 0)
        return -1;
    return cluster_nodes_start(h, 1);
}

static int cluster_start(harness_t *h)
{
    if (write_redis_acl(h) != 0)
        return -1;
    /* a cluster that did not form (a port taken between the probe and the bind, a node gone, the
     * state never ok on a loaded machine) is made again from nothing: nodes stopped, their
     * directories (nodes.conf, AOF) removed, fresh ports */
    for (int attempt = 0;; attempt++) {
        if (cluster_start_once(h) == 0)
            return 0;
        if (attempt == 2)
            return -1;
        fprintf(stderr, "harness: making the cluster again (attempt %d of 3)\n", attempt + 2);
        for (int i = 0; i < h->cluster_n; i++) {
            char dir[600];
            kill_now(&h->cluster_pid[i]);
            snprintf(dir, sizeof dir, "%s/node%d", h->dir, i);
            rm_rf(dir);
        }
    }
}

int harness_cluster_add_replica(harness_t *h, int master_port)
{
    int i = h->cluster_n;
    if (i >= HARNESS_CLUSTER_MAX || node_configure(h, i) != 0)
        return -1;
    h->cluster_n++;
    char id[64] = "", args[256];
    redisContext *c = harness_redis_connect_port(h, master_port, "ops");
    redisReply *r = c ? redisCommand(c, "CLUSTER MYID") : NULL;
    if (r && r->type == REDIS_REPLY_STRING)
        snprintf(id, sizeof id, "%s", r->str);
    freeReplyObject(r);
    redisFree(c);
    snprintf(args, sizeof args, "--cluster add-node 127.0.0.1:%d 127.0.0.1:%d --cluster-slave --cluster-master-id %s",
             h->cluster_port[i], master_port, id);
    if (!id[0] || cluster_nodes_start(h, 0) != 0 || redis_cli(h, args) != 0)
        return -1;
    int64_t deadline = mono_ms() + START_TIMEOUT_MS;
    while (node_info(h, h->cluster_port[i], "INFO replication", "master_sync_in_progress:") != 0 ||
           node_info(h, h->cluster_port[i], "INFO replication", "master_last_io_seconds_ago:") < 0)
        if (mono_ms() > deadline) {
            fprintf(stderr, "harness: the replica on port %d never synced with %d\n", h->cluster_port[i], master_port);
            return -1;
        } else {
            harness_sleep_ms(50);
        }
    return cluster_nodes_start(h, 1) == 0 ? h->cluster_port[i] : -1;
}

int harness_redis_start(harness_t *h)
{
    if (h->cluster_n)
        return cluster_nodes_start(h, 1);
    if (write_redis_acl(h) != 0)
        return -1;
    for (int attempt = 0; attempt < 5; attempt++) {
        if (!h->redis_port || attempt > 0)
            h->redis_port = harness_free_port();
        if (h->redis_port <= 0 || write_redis_conf(h) != 0)
            return -1;
        char out[600];
        snprintf(out, sizeof out, "%s/redis.stdout", h->dir);
        pid_t pid = redis_server(h->redis_conf, out);
        if (pid < 0)
            return -1;
        h->redis_pid = pid;
        int64_t deadline = mono_ms() + START_TIMEOUT_MS;
        int exited = 0;
        while (mono_ms() < deadline) {
            if (wait_pid(pid, 0) != -1) {
                exited = 1;
                break;
            }
            if (redis_ready(h))
                return 0;
            harness_sleep_ms(20);
        }
        if (!exited)
            kill_now(&h->redis_pid);
        h->redis_pid = 0;
        char *log = harness_read_file(h->redis_log, NULL);
        int in_use = log && strstr(log, "in use") != NULL;
        if (log && !in_use)
            fprintf(stderr, "harness: redis-server failed to start:\n%s\n", log);
        free(log);
        if (!in_use)
            return -1;
        /* port taken between probe and bind: try another one */
    }
    return -1;
}

int harness_redis_stop(harness_t *h)
{
    int worst = 0;
    for (int i = 0; i < h->cluster_n; i++)   /* a cluster: every node (Redis is down) */
        if (h->cluster_pid[i] > 0) {
            int st = stop_pid(h->cluster_pid[i], STOP_TIMEOUT_MS);
            worst = st ? st : worst;
            h->cluster_pid[i] = 0;
        }
    if (h->cluster_n)
        return worst;
    if (h->redis_pid <= 0)
        return 0;
    int st = stop_pid(h->redis_pid, STOP_TIMEOUT_MS);
    h->redis_pid = 0;
    return st;
}

int harness_redis_restart(harness_t *h)
{
    int st = harness_redis_stop(h);
    if (st != 0)
        fprintf(stderr, "harness: redis-server stop status %d\n", st);
    return harness_redis_start(h);
}

/* --- ZeroMQ --- */

void *harness_dealer(harness_t *h)
{
    char path[600];
    snprintf(path, sizeof path, "%s/cli.key", h->keys_dir);
    return harness_dealer_key(h, h->insecure ? NULL : path);
}

void *harness_dealer_key(harness_t *h, const char *key_file)
{
    return harness_dealer_to(h, h->endpoint, "register", key_file);
}

void *harness_dealer_to(harness_t *h, const char *endpoint, const char *service, const char *key_file)
{
    void *s = zmq_socket(h->zctx, ZMQ_DEALER);
    if (!s)
        return NULL;
    if (key_file) {
        rl_keyfile_t me, server;
        rl_error_t err;
        char spath[600];
        snprintf(spath, sizeof spath, "%s/%s.pub", h->keys_dir, service);
        if (rl_keyfile_load(&me, key_file, &err) || rl_keyfile_load(&server, spath, &err)) {
            fprintf(stderr, "harness: %s\n", err.message);
            zmq_close(s);
            return NULL;
        }
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server.curve_public, 40);
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, me.curve_public, 40);
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, me.curve_secret, 40);
    }
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    int hwm = 100000;
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_connect(s, endpoint) != 0) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

int harness_send_frames(void *sock, size_t nframes, const void *const *data, const size_t *len)
{
    for (size_t i = 0; i < nframes; i++) {
        int flags = i + 1 < nframes ? ZMQ_SNDMORE : 0;
        if (zmq_send(sock, data[i], len[i], flags) < 0)
            return -1;
    }
    return 0;
}

int harness_recv(void *sock, int timeout_ms, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    int rc = zmq_poll(&item, 1, timeout_ms);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return 0;
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            return -1;
        }
        if (n == 0) {
            *len = zmq_msg_size(&m);
            *data = malloc(*len ? *len : 1);
            if (*data)
                memcpy(*data, zmq_msg_data(&m), *len);
        }
        more = zmq_msg_more(&m);
        zmq_msg_close(&m);
        n++;
    }
    return n;
}

void harness_env_prepare(harness_t *h, harness_env_t *env)
{
    if (!env->schema_version)
        env->schema_version = 1;
    if (!env->request_id || !env->request_id[0]) {
        /* Stable storage for the id: a small ring of buffers owned by the harness call. */
        static char ids[64][48];
        static unsigned next;
        char *buf = ids[next++ % 64];
        snprintf(buf, 48, "t-%d-%u-%u", (int)getpid(), h->seq++, (unsigned)(mono_ms() & 0xffffff));
        env->request_id = buf;
    }
    if (!env->tenant || !env->tenant[0])
        env->tenant = "default";
}

uint8_t *harness_env_pack(harness_t *h, harness_env_t *env, size_t *len)
{
    harness_env_prepare(h, env);
    *len = riskline__v1__envelope__get_packed_size(env);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf)
        riskline__v1__envelope__pack(env, buf);
    return buf;
}

int harness_send_env(harness_t *h, void *sock, harness_env_t *env)
{
    size_t len = 0;
    uint8_t *buf = harness_env_pack(h, env, &len);
    if (!buf)
        return -1;
    int rc = zmq_send(sock, buf, len, 0) < 0 ? -1 : 0;
    free(buf);
    return rc;
}

harness_env_t *harness_recv_env(void *sock, int timeout_ms)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int n = harness_recv(sock, timeout_ms, &data, &len);
    if (n <= 0) {
        free(data);
        return NULL;
    }
    harness_env_t *env = riskline__v1__envelope__unpack(NULL, len, data);
    free(data);
    return env;
}

/* One request on socket s (then closed): the reply or NULL (timeout 5 s). */
static harness_env_t *call_on(harness_t *h, void *s, harness_env_t *env)
{
    if (!s)
        return NULL;
    harness_env_t *reply = NULL;
    if (harness_send_env(h, s, env) == 0)
        reply = harness_recv_env(s, 5000);
    zmq_close(s);
    return reply;
}

harness_env_t *harness_call(harness_t *h, harness_env_t *env)
{
    return call_on(h, harness_dealer(h), env);
}

harness_env_t *harness_call_to(harness_t *h, const char *endpoint, const char *service, const char *key_file,
                               harness_env_t *env)
{
    return call_on(h, harness_dealer_to(h, endpoint, service, h->insecure ? NULL : key_file), env);
}

int harness_code(const harness_env_t *reply) { return reply && reply->status ? (int)reply->status->code : 0; }

const char *harness_field(const harness_env_t *reply)
{
    return reply && reply->status && reply->status->field ? reply->status->field : "";
}

int harness_ping(harness_t *h, int timeout_ms)
{
    return harness_ping_to(h, h->endpoint, "register", timeout_ms);
}

int harness_ping_to(harness_t *h, const char *endpoint, const char *service, int timeout_ms)
{
    char key[600];
    snprintf(key, sizeof key, "%s/cli.key", h->keys_dir);
    void *s = harness_dealer_to(h, endpoint, service, h->insecure ? NULL : key);
    if (!s)
        return 0;
    Riskline__V1__Ping ping = RISKLINE__V1__PING__INIT;
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PING;
    env.ping = &ping;
    int ok = 0;
    if (harness_send_env(h, s, &env) == 0) {
        harness_env_t *reply = harness_recv_env(s, timeout_ms);
        ok = reply && harness_code(reply) == 0 && reply->body_case == RISKLINE__V1__ENVELOPE__BODY_PONG;
        if (reply)
            riskline__v1__envelope__free_unpacked(reply, NULL);
    }
    zmq_close(s);
    return ok;
}

/* --- the register --- */

/* base[0..n) (a NULL entry ends it early) then h->svc_env, NULL-ended, into out (size entries). */
static void with_svc_env(const harness_t *h, const char *const *base, size_t n, const char **out, size_t size)
{
    size_t k = 0;
    for (size_t i = 0; i < n && base[i] && k + 1 < size; i++)
        out[k++] = base[i];
    for (size_t i = 0; i < sizeof h->svc_env / sizeof h->svc_env[0] && h->svc_env[i] && k + 1 < size; i++)
        out[k++] = h->svc_env[i];
    if (h->cluster_n && k + 1 < size)
        out[k++] = h->cluster_env;
    out[k] = NULL;
}

int harness_register_alive(harness_t *h) { return h->register_pid > 0 && wait_pid(h->register_pid, 0) == -1; }

int harness_register_start(harness_t *h)
{
    char path[600];
    snprintf(path, sizeof path, "%s/bin/riskline-register", h->build);
    if (access(path, X_OK) != 0) {
        fprintf(stderr, "harness: %s is not built\n", path);
        return -1;
    }
    for (int attempt = 0; attempt < 5; attempt++) {
        if (!h->register_port || attempt > 0)
            h->register_port = harness_free_port();
        snprintf(h->endpoint, sizeof h->endpoint, "tcp://127.0.0.1:%d", h->register_port);
        if (!h->register_metrics_port || attempt > 0)
            h->register_metrics_port = harness_free_port();
        char port[16], e1[64], e2[700], e3[128], e4[64];
        snprintf(port, sizeof port, "%d", h->redis_port);
        snprintf(e1, sizeof e1, "RISKLINE_REDIS_PORT=%s", port);
        snprintf(e2, sizeof e2, "RISKLINE_REDIS_PASSWORD_FILE=%s/redis-register.password", h->dir);
        snprintf(e3, sizeof e3, "RISKLINE_REGISTER_ENDPOINT=%s", h->endpoint);
        snprintf(e4, sizeof e4, "RISKLINE_REGISTER_METRICS_PORT=%d", h->register_metrics_port);
        const char *base[] = {"RISKLINE_REDIS_HOST=127.0.0.1", "RISKLINE_REDIS_USER=register", e1, e2, e3, e4,
                              h->keys_env, h->insecure ? "RISKLINE_INSECURE=1" : NULL};
        const char *env[24];
        with_svc_env(h, base, sizeof base / sizeof base[0], env, sizeof env / sizeof env[0]);
        char *argv[] = {path, NULL};
        pid_t pid = spawn(path, argv, h->register_log, 1, NULL, env);
        if (pid < 0)
            return -1;
        h->register_pid = pid;
        int64_t deadline = mono_ms() + START_TIMEOUT_MS;
        int st = -1;
        while (mono_ms() < deadline) {
            st = wait_pid(pid, 0);
            if (st != -1)
                break;
            if (harness_ping(h, 200))
                return 0;
        }
        if (st == -1)
            kill_now(&h->register_pid);
        h->register_pid = 0;
        if (st != 3) {  /* 3: cannot bind (port taken meanwhile): try another port */
            char *log = harness_read_file(h->register_log, NULL);
            fprintf(stderr, "harness: riskline-register did not become ready (status %d); log:\n%s\n", st,
                    log ? log : "");
            free(log);
            return -1;
        }
    }
    return -1;
}

int harness_register_exec(harness_t *h, const char *const *env, int timeout_ms)
{
    char path[600];
    snprintf(path, sizeof path, "%s/bin/riskline-register", h->build);
    char e1[64], e2[700], e3[128];
    snprintf(e1, sizeof e1, "RISKLINE_REDIS_PORT=%d", h->redis_port);
    snprintf(e2, sizeof e2, "RISKLINE_REDIS_PASSWORD_FILE=%s/redis-register.password", h->dir);
    snprintf(e3, sizeof e3, "RISKLINE_REGISTER_ENDPOINT=%s", h->endpoint);
    /* a second register must not take the running one's metrics port: none unless env says */
    const char *all[32] = {"RISKLINE_REDIS_HOST=127.0.0.1", "RISKLINE_REDIS_USER=register", e1, e2, e3, h->keys_env,
                           "RISKLINE_REGISTER_METRICS_PORT=0", h->cluster_n ? h->cluster_env : NULL};
    size_t k = h->cluster_n ? 8 : 7;
    for (size_t i = 0; env && env[i] && k < 31; i++)
        all[k++] = env[i];
    all[k] = NULL;
    char *argv[] = {path, NULL};
    pid_t pid = spawn(path, argv, h->register_log, 1, NULL, all);
    if (pid < 0)
        return -1;
    int st = wait_pid(pid, timeout_ms);
    if (st == -1) {
        kill(pid, SIGKILL);
        wait_pid(pid, 2000);
    }
    return st;
}

int harness_register_stop(harness_t *h)
{
    if (h->register_pid <= 0)
        return 0;
    int st = stop_pid(h->register_pid, STOP_TIMEOUT_MS);
    h->register_pid = 0;
    return st;
}

int harness_register_restart(harness_t *h)
{
    int st = harness_register_stop(h);
    if (st != 0)
        fprintf(stderr, "harness: riskline-register stop status %d\n", st);
    return harness_register_start(h);
}

/* --- the treatment service --- */

int harness_treatment_alive(harness_t *h) { return h->treatment_pid > 0 && wait_pid(h->treatment_pid, 0) == -1; }

/* Starts riskline-<name> as ACL user <name> on a free port, waits for its ping over CURVE. */
/* extra: "K=V" entries (NULL-ended, may be NULL); metrics_port NULL: metrics off; log_named: the
 * log is <dir>/<name>-<port>.log (a replica), else <dir>/<name>.log. */
static int svc_start_env(harness_t *h, const char *name, int *port, char *endpoint, size_t esize, char *logp,
                         size_t lsize, pid_t *pidp, const char *const *extra, int *metrics_port, int log_named)
{
    char path[600], upper[32];
    snprintf(path, sizeof path, "%s/bin/riskline-%s", h->build, name);
    if (access(path, X_OK) != 0) {
        fprintf(stderr, "harness: %s is not built\n", path);
        return -1;
    }
    size_t k = 0;
    for (; name[k] && k < sizeof upper - 1; k++)
        upper[k] = (char)(name[k] - 'a' + 'A');
    upper[k] = '\0';
    for (int attempt = 0; attempt < 5; attempt++) {
        if (!*port || attempt > 0)
            *port = harness_free_port();
        snprintf(endpoint, esize, "tcp://127.0.0.1:%d", *port);
        if (log_named)
            snprintf(logp, lsize, "%s/%s-%d.log", h->dir, name, *port);
        else
            snprintf(logp, lsize, "%s/%s.log", h->dir, name);
        if (metrics_port && (!*metrics_port || attempt > 0))
            *metrics_port = harness_free_port();
        char e1[64], e2[700], e3[160], e4[64], e5[64];
        snprintf(e5, sizeof e5, "RISKLINE_%s_METRICS_PORT=%d", upper, metrics_port ? *metrics_port : 0);
        snprintf(e1, sizeof e1, "RISKLINE_REDIS_PORT=%d", h->redis_port);
        snprintf(e2, sizeof e2, "RISKLINE_REDIS_PASSWORD_FILE=%s/redis-%s.password", h->dir, name);
        snprintf(e3, sizeof e3, "RISKLINE_%s_ENDPOINT=%s", upper, endpoint);
        snprintf(e4, sizeof e4, "RISKLINE_REDIS_USER=%s", name);
        const char *env[32] = {"RISKLINE_REDIS_HOST=127.0.0.1", e4, e1, e2, e3, e5, h->keys_env,
                               "RISKLINE_LOG_LEVEL=info"};
        size_t ne = 8;
        if (h->insecure)
            env[ne++] = "RISKLINE_INSECURE=1";
        for (size_t i = 0; i < sizeof h->svc_env / sizeof h->svc_env[0] && h->svc_env[i] && ne < 31; i++)
            env[ne++] = h->svc_env[i];
        if (h->cluster_n && ne < 31)
            env[ne++] = h->cluster_env;
        for (size_t i = 0; extra && extra[i] && ne < 31; i++)
            env[ne++] = extra[i];  /* later entries override earlier ones */
        env[ne] = NULL;
        char *argv[] = {path, NULL};
        pid_t pid = spawn(path, argv, logp, 1, NULL, env);
        if (pid < 0)
            return -1;
        *pidp = pid;
        int64_t deadline = mono_ms() + START_TIMEOUT_MS;
        int st = -1;
        while (mono_ms() < deadline) {
            st = wait_pid(pid, 0);
            if (st != -1)
                break;
            if (harness_ping_to(h, endpoint, name, 200))
                return 0;
        }
        if (st == -1)
            kill_now(pidp);
        *pidp = 0;
        if (st != 3) {
            char *log = harness_read_file(logp, NULL);
            fprintf(stderr, "harness: riskline-%s did not become ready (status %d); log:\n%s\n", name, st,
                    log ? log : "");
            free(log);
            return -1;
        }
    }
    return -1;
}

static int svc_start(harness_t *h, const char *name, int *port, char *endpoint, size_t esize, char *logp,
                     size_t lsize, pid_t *pidp, const char *extra_env, int *metrics_port)
{
    const char *extra[] = {extra_env, NULL};
    return svc_start_env(h, name, port, endpoint, esize, logp, lsize, pidp, extra, metrics_port, 0);
}

int harness_treatment_start(harness_t *h) { return harness_treatment_start_with(h, NULL); }

int harness_treatment_start_with(harness_t *h, const char *env)
{
    return svc_start(h, "treatment", &h->treatment_port, h->treatment_endpoint, sizeof h->treatment_endpoint,
                     h->treatment_log, sizeof h->treatment_log, &h->treatment_pid, env, &h->treatment_metrics_port);
}

int harness_monitor_start(harness_t *h)
{
    return svc_start(h, "monitor", &h->monitor_port, h->monitor_endpoint, sizeof h->monitor_endpoint,
                     h->monitor_log, sizeof h->monitor_log, &h->monitor_pid, NULL, &h->monitor_metrics_port);
}

int harness_report_start(harness_t *h)
{
    if (!h->report_pub_port)
        h->report_pub_port = harness_free_port();
    snprintf(h->report_pub_endpoint, sizeof h->report_pub_endpoint, "tcp://127.0.0.1:%d", h->report_pub_port);
    char pub[128];
    snprintf(pub, sizeof pub, "RISKLINE_REPORT_PUB_ENDPOINT=%s", h->report_pub_endpoint);
    return svc_start(h, "report", &h->report_port, h->report_endpoint, sizeof h->report_endpoint, h->report_log,
                     sizeof h->report_log, &h->report_pid, pub, &h->report_metrics_port);
}

int harness_report_stop(harness_t *h)
{
    if (h->report_pid <= 0)
        return 0;
    int st = stop_pid(h->report_pid, STOP_TIMEOUT_MS);
    h->report_pid = 0;
    return st;
}

int harness_report_kill(harness_t *h)
{
    if (h->report_pid <= 0)
        return -1;
    kill_now(&h->report_pid);
    return 0;
}

int harness_monitor_stop(harness_t *h)
{
    if (h->monitor_pid <= 0)
        return 0;
    int st = stop_pid(h->monitor_pid, STOP_TIMEOUT_MS);
    h->monitor_pid = 0;
    return st;
}

int harness_monitor_kill(harness_t *h)
{
    if (h->monitor_pid <= 0)
        return -1;
    kill_now(&h->monitor_pid);
    return 0;
}

int harness_treatment_stop(harness_t *h)
{
    if (h->treatment_pid <= 0)
        return 0;
    int st = stop_pid(h->treatment_pid, STOP_TIMEOUT_MS);
    h->treatment_pid = 0;
    return st;
}

/* --- lifecycle --- */

static harness_t *harness_init(int cluster);

harness_t *harness_new(void)
{
    const char *mode = getenv("RISKLINE_TEST_REDIS");
    return harness_init(mode && !strcmp(mode, "cluster"));
}

harness_t *harness_new_cluster(void) { return harness_init(1); }

static harness_t *harness_init(int cluster)
{
    harness_t *h = calloc(1, sizeof *h);
    if (!h)
        fail_msg("out of memory");
    const char *b = getenv("RISKLINE_BUILD");
    snprintf(h->build, sizeof h->build, "%s", b && b[0] ? b : "build");
    const char *tmp = getenv("TMPDIR");
    snprintf(h->dir, sizeof h->dir, "%s/riskline-it.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(h->dir)) {
        free(h);
        fail_msg("mkdtemp: %s", strerror(errno));
    }
    track(h, 1);
    snprintf(h->redis_conf, sizeof h->redis_conf, "%s/redis.conf", h->dir);
    snprintf(h->redis_log, sizeof h->redis_log, "%s/redis.log", h->dir);
    snprintf(h->register_log, sizeof h->register_log, "%s/register.log", h->dir);
    h->zctx = zmq_ctx_new();
    if (!h->zctx) {
        harness_destroy(&h);
        fail_msg("harness init failed");
    }
    if (cluster ? cluster_start(h) != 0 : harness_redis_start(h) != 0) {
        harness_destroy(&h);
        fail_msg("%s did not start", cluster ? "the Redis Cluster" : "redis-server");
    }
    /* The same key files `make run` makes, by the same command. */
    snprintf(h->keys_dir, sizeof h->keys_dir, "%s/keys", h->dir);
    snprintf(h->keys_env, sizeof h->keys_env, "RISKLINE_KEYS_DIR=%s", h->keys_dir);
    h->insecure = getenv("HARNESS_INSECURE") != NULL;
    harness_run_t r;
    snprintf(h->endpoint, sizeof h->endpoint, "tcp://127.0.0.1:1");  /* not used by keys init */
    harness_clif(h, &r, "keys", "init", NULL);
    int keys_ok = r.status == 0;
    if (!keys_ok)
        fprintf(stderr, "harness: keys init failed: %s%s\n", r.out ? r.out : "", r.err ? r.err : "");
    harness_run_free(&r);
    if (!keys_ok || harness_register_start(h) != 0) {
        harness_destroy(&h);
        fail_msg("riskline-register did not start");
    }
    return h;
}

void harness_destroy(harness_t **hp)
{
    if (!hp || !*hp)
        return;
    harness_t *h = *hp;
    if (h->register_pid > 0 && stop_pid(h->register_pid, 2000) != 0) {
        char *log = harness_read_file(h->register_log, NULL);
        fprintf(stderr, "harness: register did not stop cleanly; log tail:\n%s\n",
                log ? (strlen(log) > 4000 ? log + strlen(log) - 4000 : log) : "");
        free(log);
    }
    h->register_pid = 0;
    if (h->treatment_pid > 0 && stop_pid(h->treatment_pid, 2000) != 0)
        fprintf(stderr, "harness: treatment did not stop cleanly\n");
    h->treatment_pid = 0;
    if (h->monitor_pid > 0 && stop_pid(h->monitor_pid, 2000) != 0)
        fprintf(stderr, "harness: monitor did not stop cleanly\n");
    h->monitor_pid = 0;
    if (h->report_pid > 0 && stop_pid(h->report_pid, 2000) != 0)
        fprintf(stderr, "harness: report did not stop cleanly\n");
    h->report_pid = 0;
    for (size_t k = 0; k < h->nreplicas; k++)
        if (h->replicas[k].pid > 0 && stop_pid(h->replicas[k].pid, 2000) != 0)
            fprintf(stderr, "harness: %s replica on port %d did not stop cleanly\n", h->replicas[k].service,
                    h->replicas[k].port);
    h->nreplicas = 0;
    if (h->redis_pid > 0)
        stop_pid(h->redis_pid, 2000);
    h->redis_pid = 0;
    for (int i = 0; i < h->cluster_n; i++)
        if (h->cluster_pid[i] > 0)
            stop_pid(h->cluster_pid[i], 2000);
    h->cluster_n = 0;
    if (h->zctx)
        zmq_ctx_term(h->zctx);
    if (!getenv("HARNESS_KEEP"))
        rm_rf(h->dir);
    else
        fprintf(stderr, "harness: kept %s\n", h->dir);
    track(h, 0);
    free(h);
    *hp = NULL;
}

/* --- the CLI --- */

struct harness_proc {
    pid_t pid;
    char out_path[600];
    char err_path[600];
};

/* Runs $RISKLINE_BUILD/bin/<exe> with the CLI's environment (every endpoint, the keys). */
static harness_proc_t *proc_spawn(harness_t *h, const char *exe, const char *const *env, const char *const *argv)
{
    harness_proc_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    unsigned n = h->seq++;
    snprintf(p->out_path, sizeof p->out_path, "%s/cli-%u.out", h->dir, n);
    snprintf(p->err_path, sizeof p->err_path, "%s/cli-%u.err", h->dir, n);
    char path[600];
    snprintf(path, sizeof path, "%s/bin/%s", h->build, exe);
    size_t argc = 0;
    while (argv && argv[argc])
        argc++;
    char **av = calloc(argc + 2, sizeof *av);
    const char **ev = NULL;
    size_t envc = 0;
    while (env && env[envc])
        envc++;
    ev = calloc(envc + 12, sizeof *ev);
    if (!av || !ev) {
        free(av);
        free(ev);
        free(p);
        return NULL;
    }
    av[0] = path;
    for (size_t i = 0; i < argc; i++)
        av[i + 1] = (char *)argv[i];
    /* No Redis password: the CLI talks to the services only. */
    char e1[64], e3[128];
    snprintf(e1, sizeof e1, "RISKLINE_REDIS_PORT=%d", h->redis_port);
    snprintf(e3, sizeof e3, "RISKLINE_REGISTER_ENDPOINT=%s", h->endpoint);
    size_t k = 0;
    ev[k++] = "RISKLINE_REDIS_HOST=127.0.0.1";
    ev[k++] = e1;
    ev[k++] = e3;
    ev[k++] = h->keys_env;
    char e4[128], e5[128];
    if (h->treatment_endpoint[0]) {
        snprintf(e4, sizeof e4, "RISKLINE_TREATMENT_ENDPOINT=%s", h->treatment_endpoint);
        ev[k++] = e4;
    }
    if (h->monitor_endpoint[0]) {
        snprintf(e5, sizeof e5, "RISKLINE_MONITOR_ENDPOINT=%s", h->monitor_endpoint);
        ev[k++] = e5;
    }
    char e6[128], e7[128];
    if (h->report_endpoint[0]) {
        snprintf(e6, sizeof e6, "RISKLINE_REPORT_ENDPOINT=%s", h->report_endpoint);
        snprintf(e7, sizeof e7, "RISKLINE_REPORT_PUB_ENDPOINT=%s", h->report_pub_endpoint);
        ev[k++] = e6;
        ev[k++] = e7;
    }
    if (h->insecure)
        ev[k++] = "RISKLINE_INSECURE=1";
    for (size_t i = 0; i < envc; i++)
        ev[k++] = env[i];
    ev[k] = NULL;
    p->pid = spawn(path, av, p->out_path, 0, p->err_path, ev);
    free(av);
    free(ev);
    if (p->pid < 0) {
        free(p);
        return NULL;
    }
    return p;
}

harness_proc_t *harness_cli_spawn(harness_t *h, const char *const *env, const char *const *argv)
{
    return proc_spawn(h, "riskline", env, argv);
}

void harness_service_run(harness_t *h, const char *service, const char *const *env, const char *const *argv,
                         harness_run_t *r)
{
    char exe[64];
    snprintf(exe, sizeof exe, "riskline-%s", service);
    harness_cli_wait(proc_spawn(h, exe, env, argv), r);
}

void harness_cli_wait(harness_proc_t *p, harness_run_t *r)
{
    memset(r, 0, sizeof *r);
    r->status = -1;
    if (!p)
        goto done;
    r->status = wait_pid(p->pid, CLI_TIMEOUT_MS);
    if (r->status == -1) {
        fprintf(stderr, "harness: CLI did not finish in %d ms: killed\n", CLI_TIMEOUT_MS);
        kill(p->pid, SIGKILL);
        wait_pid(p->pid, 2000);
    }
    r->out = harness_read_file(p->out_path, &r->out_len);
    r->err = harness_read_file(p->err_path, &r->err_len);
    remove(p->out_path);
    remove(p->err_path);
    free(p);
done:
    if (!r->out)
        r->out = calloc(1, 1);
    if (!r->err)
        r->err = calloc(1, 1);
}

char *harness_cli_output(const harness_proc_t *p)
{
    char *out = p ? harness_read_file(p->out_path, NULL) : NULL;
    return out ? out : calloc(1, 1);
}

int harness_cli_signal(const harness_proc_t *p, int sig)
{
    return p && p->pid > 0 ? kill(p->pid, sig) : -1;
}

void harness_cli(harness_t *h, const char *const *env, const char *const *argv, harness_run_t *r)
{
    harness_cli_wait(harness_cli_spawn(h, env, argv), r);
}

void harness_clif(harness_t *h, harness_run_t *r, ...)
{
    const char *argv[64];
    size_t n = 0;
    va_list ap;
    va_start(ap, r);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < 63)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    harness_cli(h, NULL, argv, r);
}

void harness_cli_as(harness_t *h, const char *who, int want, const char *const *argv, harness_run_t *r)
{
    char key[700];
    const char *env[] = {key, NULL};
    snprintf(key, sizeof key, "RISKLINE_KEY_FILE=%s/%s.key", h->keys_dir, who ? who : "cli");
    harness_run_free(r);
    harness_cli(h, env, argv, r);
    if (r->status != want) {
        char cmd[400] = "";
        for (size_t i = 0; argv[i] && strlen(cmd) < 300; i++)
            snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), " %s", argv[i]);
        fail_msg("riskline%s (as %s): exit %d, want %d\nstdout: %s\nstderr: %s", cmd, who ? who : "admin",
                 r->status, want, r->out, r->err);
    }
}

void harness_run_free(harness_run_t *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* --- snapshots --- */

static int key_cmp(const void *a, const void *b)
{
    return strcmp(((const harness_key_t *)a)->key, ((const harness_key_t *)b)->key);
}

static char *hex_of(const char *s, size_t n)
{
    char *out = malloc(2 * n + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", (unsigned char)s[i]);
    out[2 * n] = '\0';
    return out;
}

harness_snapshot_t *harness_snapshot(harness_t *h)
{
    redisContext *c = harness_redis_connect(h);
    if (!c)
        fail_msg("snapshot: cannot connect to Redis");
    harness_snapshot_t *s = calloc(1, sizeof *s);
    size_t cap = 0;
    char cursor[32] = "0";
    do {
        redisReply *r = redisCommand(c, "SCAN %s COUNT 1000", cursor);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            if (r)
                freeReplyObject(r);
            redisFree(c);
            fail_msg("snapshot: SCAN failed");
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        redisReply *keys = r->element[1];
        for (size_t i = 0; i < keys->elements; i++) {
            if (s->n == cap) {
                cap = cap ? cap * 2 : 64;
                s->keys = realloc(s->keys, cap * sizeof *s->keys);
                if (!s->keys)
                    fail_msg("out of memory");
            }
            harness_key_t *k = &s->keys[s->n++];
            memset(k, 0, sizeof *k);
            k->key = malloc(keys->element[i]->len + 1);
            memcpy(k->key, keys->element[i]->str, keys->element[i]->len);
            k->key[keys->element[i]->len] = '\0';
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    /* SCAN may return a key twice; sort and drop duplicates. */
    qsort(s->keys, s->n, sizeof *s->keys, key_cmp);
    size_t w = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (w > 0 && strcmp(s->keys[w - 1].key, s->keys[i].key) == 0) {
            free(s->keys[i].key);
            continue;
        }
        s->keys[w++] = s->keys[i];
    }
    s->n = w;
    for (size_t i = 0; i < s->n; i++) {
        harness_key_t *k = &s->keys[i];
        redisReply *r = redisCommand(c, "TYPE %s", k->key);
        snprintf(k->type, sizeof k->type, "%s", r && r->str ? r->str : "?");
        if (r)
            freeReplyObject(r);
        r = redisCommand(c, "DEBUG DIGEST-VALUE %s", k->key);
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->str) {
            k->digest = strdup(r->element[0]->str);
        } else {
            if (r)
                freeReplyObject(r);
            r = redisCommand(c, "DUMP %s", k->key);
            k->digest = r && r->type == REDIS_REPLY_STRING ? hex_of(r->str, r->len) : strdup("(none)");
        }
        if (r)
            freeReplyObject(r);
        r = redisCommand(c, "PTTL %s", k->key);
        k->ttl_set = r && r->type == REDIS_REPLY_INTEGER && r->integer >= 0;
        if (r)
            freeReplyObject(r);
    }
    redisFree(c);
    return s;
}

const char *harness_snapshot_digest(const harness_snapshot_t *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->keys[i].key, key) == 0)
            return s->keys[i].digest;
    return NULL;
}

int harness_snapshot_equal(const harness_snapshot_t *a, const harness_snapshot_t *b, char *diff, size_t size)
{
    size_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->keys[i].key, b->keys[j].key);
        if (c < 0) {
            snprintf(diff, size, "key %s removed", a->keys[i].key);
            return 0;
        }
        if (c > 0) {
            snprintf(diff, size, "key %s added (%s)", b->keys[j].key, b->keys[j].type);
            return 0;
        }
        const harness_key_t *x = &a->keys[i], *y = &b->keys[j];
        if (strcmp(x->type, y->type) != 0 || strcmp(x->digest, y->digest) != 0 || x->ttl_set != y->ttl_set) {
            snprintf(diff, size, "key %s changed (%s -> %s)", x->key, x->type, y->type);
            return 0;
        }
        i++;
        j++;
    }
    if (size)
        diff[0] = '\0';
    return 1;
}

void harness_snapshot_free(harness_snapshot_t **sp)
{
    if (!sp || !*sp)
        return;
    for (size_t i = 0; i < (*sp)->n; i++) {
        free((*sp)->keys[i].key);
        free((*sp)->keys[i].digest);
    }
    free((*sp)->keys);
    free(*sp);
    *sp = NULL;
}

/* Sorted "<source>\n<event id>" keys: distinct ones counted after qsort. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Entries of stream not yet delivered to, or not acknowledged by, its consumer groups; -1 unknown,
 * or when a group of `need` (NULL-ended: the services running) is not there yet: a consumer creates
 * its group on its first read, so no group is not "nothing to do". */
static long long stream_backlog(redisContext *c, const char *stream, const char *const *need)
{
    redisReply *r = redisCommand(c, "XINFO GROUPS %s", stream);
    long long sum = 0;
    if (!r || r->type == REDIS_REPLY_ERROR) {  /* no stream yet: nothing to do */
        sum = r && strstr(r->str, "no such key") ? 0 : -1;
        freeReplyObject(r);
        return sum;
    }
    size_t found = 0, needed = 0;
    for (; need && need[needed]; needed++)
        ;
    for (size_t g = 0; r->type == REDIS_REPLY_ARRAY && g < r->elements && sum >= 0; g++) {
        const redisReply *grp = r->element[g];
        for (size_t k = 0; grp->type == REDIS_REPLY_ARRAY && k + 1 < grp->elements; k += 2) {
            const char *f = grp->element[k]->str;
            const redisReply *v = grp->element[k + 1];
            if (f && (!strcmp(f, "lag") || !strcmp(f, "pending")))
                sum = v->type == REDIS_REPLY_INTEGER && sum >= 0 ? sum + v->integer : -1;
            for (size_t i = 0; f && !strcmp(f, "name") && v->str && i < needed; i++)
                found += !strcmp(v->str, need[i]);
        }
    }
    freeReplyObject(r);
    return found < needed ? -1 : sum;
}

int harness_settle(const harness_t *h, const char *tenant, int timeout_ms)
{
    char tag[160];
    snprintf(tag, sizeof tag, "rl:{%s}:", tenant);
    redisContext *c = harness_redis_connect_key(h, tag, "ops");   /* on a cluster: the tenant's node */
    if (!c)
        return -1;
    int64_t until = mono_ms() + timeout_ms;
    long long last_seq = -1;
    int still = 0, rc = -1;
    while (mono_ms() < until) {
        char key[160];
        /* the groups of the services running: the register's follower, the treatment's review
         * consumer (README "Replicas"), the monitor's correlator */
        const char *on_events[3] = {NULL, NULL, NULL}, *on_log[2] = {NULL, NULL};
        size_t ne = 0;
        if (h->register_pid > 0)
            on_events[ne++] = "register";
        if (h->treatment_pid > 0)
            on_events[ne++] = "treatment";
        if (h->monitor_pid > 0)
            on_log[0] = "monitor";
        snprintf(key, sizeof key, "rl:{%s}:events", tenant);
        long long busy = stream_backlog(c, key, on_events);
        snprintf(key, sizeof key, "rl:{%s}:riskevent:log", tenant);
        long long ingest = stream_backlog(c, key, on_log);
        snprintf(key, sizeof key, "rl:{%s}:chain", tenant);
        redisReply *r = redisCommand(c, "HGET %s seq", key);
        long long seq = r && r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;
        freeReplyObject(r);
        still = busy == 0 && ingest == 0 && seq == last_seq ? still + 1 : 0;
        last_seq = seq;
        if (still >= 2) {
            rc = 0;
            break;
        }
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    redisFree(c);
    return rc;
}

/* Appends "<source>\n<event id>" of e to the growing list *ids. 0, or -1 out of memory. */
static int id_add(char ***ids, size_t *n, size_t *cap, const Riskline__V1__RiskEvent *e)
{
    if (*n == *cap) {
        size_t grown_cap = *cap ? 2 * *cap : 1024;
        char **grown = realloc(*ids, grown_cap * sizeof *grown);
        if (!grown)
            return -1;
        *ids = grown;
        *cap = grown_cap;
    }
    size_t len = strlen(e->source) + strlen(e->event_id) + 2;
    char *id = malloc(len);
    if (!id)
        return -1;
    snprintf(id, len, "%s\n%s", e->source, e->event_id);
    (*ids)[(*n)++] = id;
    return 0;
}

int harness_riskevents(const harness_t *h, const char *tenant, long long *total, long long *distinct)
{
    char key[300], start[64] = "-";
    snprintf(key, sizeof key, "rl:{%s}:riskevent:log", tenant);
    redisContext *c = harness_redis_connect_key(h, key, "ops");
    if (!c)
        return -1;
    char **ids = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (;;) {
        redisReply *r = redisCommand(c, "XRANGE %s %s + COUNT 1000", key, start);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(r);
            rc = -1;
            break;
        }
        size_t got = r->elements;
        for (size_t i = 0; i < got && rc == 0; i++) {
            redisReply *ent = r->element[i], *fv = ent->element[1];
            snprintf(start, sizeof start, "(%s", ent->element[0]->str);
            for (size_t k = 0; k + 1 < fv->elements && rc == 0; k += 2) {
                /* an entry is a batch: field b, an EventBatch of the events as received (rl_ingest.h) */
                if (strcmp(fv->element[k]->str, "b"))
                    continue;
                Riskline__V1__EventBatch *b = riskline__v1__event_batch__unpack(
                    NULL, fv->element[k + 1]->len, (const uint8_t *)fv->element[k + 1]->str);
                if (!b) {
                    rc = -1;
                    break;
                }
                for (size_t j = 0; j < b->n_events && rc == 0; j++)
                    rc = id_add(&ids, &n, &cap, b->events[j]);
                riskline__v1__event_batch__free_unpacked(b, NULL);
            }
        }
        freeReplyObject(r);
        if (rc || got < 1000)
            break;
    }
    redisFree(c);
    long long d = 0;
    if (n)
        qsort(ids, n, sizeof *ids, cmp_str);
    for (size_t i = 0; i < n; i++)
        d += i == 0 || strcmp(ids[i], ids[i - 1]);
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    *total = (long long)n;
    *distinct = d;
    return rc;
}

/* --- more replicas of a service --- */

static int replica_run(harness_t *h, harness_replica_t *r)
{
    const char *env[sizeof r->env / sizeof r->env[0] + 2];
    size_t n = 0;
    char pub[128];
    if (!strcmp(r->service, "report")) {
        snprintf(pub, sizeof pub, "RISKLINE_REPORT_PUB_ENDPOINT=%s", r->pub_endpoint);
        env[n++] = pub;
    }
    for (size_t i = 0; i < sizeof r->env / sizeof r->env[0] && r->env[i][0]; i++)
        env[n++] = r->env[i];
    env[n] = NULL;
    return svc_start_env(h, r->service, &r->port, r->endpoint, sizeof r->endpoint, r->log, sizeof r->log, &r->pid,
                         env, NULL, 1);
}

harness_replica_t *harness_replica_start(harness_t *h, const char *service, const char *const *env)
{
    if (h->nreplicas >= HARNESS_MAX_REPLICAS)
        return NULL;
    harness_replica_t *r = &h->replicas[h->nreplicas];
    memset(r, 0, sizeof *r);
    snprintf(r->service, sizeof r->service, "%s", service);
    if (!strcmp(service, "report")) {
        r->pub_port = harness_free_port();
        snprintf(r->pub_endpoint, sizeof r->pub_endpoint, "tcp://127.0.0.1:%d", r->pub_port);
    }
    for (size_t i = 0; env && env[i] && i < sizeof r->env / sizeof r->env[0]; i++)
        snprintf(r->env[i], sizeof r->env[i], "%s", env[i]);
    if (replica_run(h, r) != 0)
        return NULL;
    h->nreplicas++;
    return r;
}

int harness_replica_restart(harness_t *h, harness_replica_t *r)
{
    if (r->pid > 0)
        harness_replica_stop(r, STOP_TIMEOUT_MS);
    return replica_run(h, r);
}

int harness_replica_stop(harness_replica_t *r, int ms)
{
    if (r->pid <= 0)
        return 0;
    int st = stop_pid(r->pid, ms);
    r->pid = 0;
    return st;
}

int harness_replica_kill(harness_replica_t *r)
{
    if (r->pid <= 0)
        return -1;
    kill_now(&r->pid);
    return 0;
}

int harness_replica_alive(harness_replica_t *r) { return r->pid > 0 && wait_pid(r->pid, 0) == -1; }
