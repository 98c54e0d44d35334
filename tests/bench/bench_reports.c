/* bench_reports.c: `make bench`, reports part: time and peak memory of every report in every
 * format for a tenant of 10,000 risks, 10,000 plans and 50,000 milestones.
 *
 * Starts its own redis-server (temp dir, requirepass), $RISKLINE_BUILD/bin/riskline-register,
 * riskline-treatment and riskline-report with CURVE (keys like `riskline keys init`; cli is the
 * seeded admin), on free loopback ports.
 * Setup (not measured, rates printed): tenant "bench" gets N risks (ratings spread over the 5x5
 * matrix), N plans (one per risk, 2 Annex A controls, a budget) and 5 milestones each (due dates
 * from 30 days ago to 60 days ahead: about a third overdue), sent pipelined on one DEALER per
 * service.
 * Measured: for each report (risk_register, heatmap, soa, plans, dashboard, audit_trail of the
 * whole stream since today (every event: about 80,000 at N = 10,000), review_pack since today) and
 * format (json, csv, html), one run of the real CLI `riskline report NAME --format F --out FILE`: wall time, chunks,
 * bytes written, the CLI's peak RSS (wait4 ru_maxrss), and the peak RSS (VmHWM) of riskline-report,
 * restarted before each run so that the peak is that report's. Then risk_register, heatmap, soa and
 * plans in JSON again `--as-of` the instant after the setup: the same reports rebuilt from the
 * events (one pass over them per chunk; see docs/CONTRACT.md "Reports").
 *
 * Environment (optional): RISKLINE_BUILD (default "build"), RISKLINE_BENCH_SCALE (multiplies N =
 * 10,000; e.g. 0.1 for a quick run), RISKLINE_REDIS_SERVER.
 * Exit 0 when every report was written, 1 on a setup or report failure, 2 when interrupted. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "bench_util.h"
#include "riskline/v1/envelope.pb-c.h"
#include "rl_clock.h"
#include "rl_ids.h"
#include "rl_keyfile.h"
#include "rl_time.h"

#define WINDOW 64           /* requests in flight on the setup DEALER */
#define MILESTONES 5
#define REPLY_TIMEOUT_MS 30000

typedef Riskline__V1__Envelope env_t;
enum { S_REG = 0, S_TR, S_REP, S_COUNT };

typedef struct {
    char dir[BENCH_PATH_BUF];
    char password[64];
    int port[4];
    char ep[S_COUNT][64];
    bench_keys_t keys[S_COUNT];
    bench_child_t redis, svc[S_COUNT];
    char redis_version[32];
    void *zctx;
    size_t seq;
    char env[9][BENCH_PATH_BUF + 48];   /* the services' environment */
    char exe[S_COUNT][BENCH_PATH_BUF];
} bench_t;

static const char *const svc_names[S_COUNT] = {"register", "treatment", "report"};

/* Starts service s and waits for its pong. 0 ok. */
static int start_svc(bench_t *b, int s)
{
    char *env[] = {b->env[0], b->env[1], b->env[2], b->env[3], b->env[4], b->env[5], b->env[6], b->env[7],
                   b->env[8], NULL};
    char *argv[] = {b->exe[s], NULL};
    b->svc[s].name = svc_names[s];
    b->svc[s].reaped = 0;
    bench_fmt(b->svc[s].log, sizeof b->svc[s].log, "%s/%s.log", b->dir, svc_names[s]);
    return bench_start_and_wait(&b->svc[s], argv, env, b->zctx, b->ep[s], 1, &b->keys[s]);
}

/* Sends the n requests made by make(i) on sock, WINDOW at a time, and checks each reply is OK;
 * keep(i, reply) may look at it. 0 ok, -1 with the first error printed. */
typedef void (*make_fn)(size_t i, env_t *env, void *ctx);
typedef int (*keep_fn)(size_t i, const env_t *reply, void *ctx);

/* Sends request i (made by make, with request id rid) on sock. 0 ok. */
static int send_one(void *sock, size_t i, make_fn make, void *ctx, const char *rid)
{
    env_t env = RISKLINE__V1__ENVELOPE__INIT;
    make(i, &env, ctx);
    env.schema_version = 1;
    env.request_id = (char *)rid;
    env.tenant = "bench";
    size_t len = riskline__v1__envelope__get_packed_size(&env);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -1;
    riskline__v1__envelope__pack(&env, buf);
    int rc = zmq_send(sock, buf, len, 0);
    free(buf);
    return rc < 0 ? -1 : 0;
}

/* The next reply on sock: 0 OK (kept), 1 unavailable (worth a retry), -1 any other failure. */
static int recv_one(void *sock, size_t i, keep_fn keep, void *ctx, const char *what)
{
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, REPLY_TIMEOUT_MS) <= 0) {
        fprintf(stderr, "bench_reports: %s: no reply\n", what);
        return -1;
    }
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, sock, 0) < 0) {
        zmq_msg_close(&msg);
        return -1;
    }
    env_t *r = riskline__v1__envelope__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
    zmq_msg_close(&msg);
    int code = !r ? -1 : r->status ? (int)r->status->code : 0;
    int rc = code == 0 ? 0 : code == RISKLINE__V1__CODE__CODE_UNAVAILABLE ? 1 : -1;
    if (rc < 0)
        fprintf(stderr, "bench_reports: %s: %s: %s\n", what, r && r->status ? r->status->field : "",
                r && r->status ? r->status->message : "undecodable reply");
    else if (rc == 0 && keep && keep(i, r, ctx) != 0)
        rc = -1;
    if (r)
        riskline__v1__envelope__free_unpacked(r, NULL);
    return rc;
}

/* Sends the n requests made by make(i) on sock, WINDOW at a time, and checks each reply is OK;
 * keep(i, reply) may look at it. A request refused as unavailable (e.g. the audit chain's
 * compare-and-set lost to other writers too often) is sent again alone, up to 8 times. 0 ok. */
static int pipelined(bench_t *b, void *sock, size_t n, make_fn make, keep_fn keep, void *ctx, const char *what)
{
    int64_t t0 = rl_mono_ns();
    size_t retried = 0;
    for (size_t base = 0; base < n && !bench_stop; base += WINDOW) {
        size_t m = n - base < WINDOW ? n - base : WINDOW;
        char rid[WINDOW][40];
        int again[WINDOW];
        for (size_t k = 0; k < m; k++) {
            bench_fmt(rid[k], sizeof rid[k], "bench-%zu", b->seq++);
            if (send_one(sock, base + k, make, ctx, rid[k]) != 0)
                return -1;
        }
        for (size_t k = 0; k < m; k++)
            if ((again[k] = recv_one(sock, base + k, keep, ctx, what)) < 0)
                return -1;
        for (size_t k = 0; k < m; k++)
            for (int t = 0; again[k] == 1 && t < 8; t++, retried++) {
                bench_sleep_ms(5);
                if (send_one(sock, base + k, make, ctx, rid[k]) != 0 ||
                    (again[k] = recv_one(sock, base + k, keep, ctx, what)) < 0)
                    return -1;
            }
        for (size_t k = 0; k < m; k++)
            if (again[k]) {
                fprintf(stderr, "bench_reports: %s: still unavailable after 8 retries\n", what);
                return -1;
            }
    }
    double s = (double)(rl_mono_ns() - t0) / 1e9;
    printf("setup: %zu %s in %.1f s (%.0f/s, %zu retried)\n", n, what, s, s > 0 ? (double)n / s : 0.0, retried);
    return bench_stop ? -1 : 0;
}

/* --- the data --- */
static const char *const titles[8] = {"Phishing of staff", "Ransomware on file servers", "Supplier data leak",
                             "Loss of the data centre", "Insider fraud, \"payments\"", "Cloud misconfiguration",
                             "Lost laptop <unencrypted>", "DDoS on the shop"};

static void make_risk(size_t i, env_t *env, void *ctx)
{
    (void)ctx;
    static Riskline__V1__RiskCreate body;
    static Riskline__V1__Risk r;
    static Riskline__V1__Rating in, res;
    static char title[96];
    riskline__v1__risk_create__init(&body);
    riskline__v1__risk__init(&r);
    riskline__v1__rating__init(&in);
    riskline__v1__rating__init(&res);
    bench_fmt(title, sizeof title, "%s #%zu", titles[i % 8], i + 1);
    r.title = title;
    r.owner = i % 3 ? "alice" : "bob";
    r.category = i % 2 ? "technology" : "people";
    in.likelihood = (uint32_t)(i % 5 + 1);
    in.impact = (uint32_t)((i / 5) % 5 + 1);
    r.inherent = &in;
    if (i % 2) {
        res.likelihood = in.likelihood > 1 ? in.likelihood - 1 : 1;
        res.impact = in.impact;
        r.residual = &res;
    }
    body.risk = &r;
    env->body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_CREATE;
    env->risk_create = &body;
}

static void make_plan(size_t i, env_t *env, void *ctx)
{
    (void)ctx;
    static Riskline__V1__PlanCreate body;
    static Riskline__V1__Plan p;
    static Riskline__V1__PlanControl c1, c2;
    static Riskline__V1__PlanControl *cs[2] = {&c1, &c2};
    static Riskline__V1__Resources res;
    static Riskline__V1__Money budget;
    static char rid[24], title[64], a1[16], a2[16];
    riskline__v1__plan_create__init(&body);
    riskline__v1__plan__init(&p);
    riskline__v1__plan_control__init(&c1);
    riskline__v1__plan_control__init(&c2);
    riskline__v1__resources__init(&res);
    riskline__v1__money__init(&budget);
    bench_fmt(rid, sizeof rid, "R-%zu", i + 1);
    bench_fmt(title, sizeof title, "Treat risk %zu", i + 1);
    bench_fmt(a1, sizeof a1, "A.5.%zu", i % 37 + 1);
    bench_fmt(a2, sizeof a2, "A.8.%zu", i % 34 + 1);
    c1.control_id = a1;
    c1.status = RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_NOT_STARTED;
    c2.control_id = a2;
    c2.status = RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_IN_PROGRESS;
    p.risk_id = rid;
    p.title = title;
    p.option = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
    p.treatment_owner = i % 4 ? "tom" : "tina";
    p.approver = "ann";
    p.controls = cs;
    p.n_controls = 2;
    budget.amount_minor = (int64_t)(100000 + i % 7 * 25000);
    budget.currency = "EUR";
    res.budget = &budget;
    p.resources = &res;
    body.plan = &p;
    env->body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE;
    env->plan_create = &body;
}

typedef struct {
    size_t k;         /* the milestone being added (1..MILESTONES) */
    int64_t today;
} ms_ctx_t;

static void make_milestone(size_t i, env_t *env, void *ctx)
{
    const ms_ctx_t *m = ctx;
    static Riskline__V1__MilestoneAdd body;
    static Riskline__V1__Milestone ms;
    static char pid[24], title[64], due[RL_DATE_LEN + 1];
    riskline__v1__milestone_add__init(&body);
    riskline__v1__milestone__init(&ms);
    bench_fmt(pid, sizeof pid, "TP-%zu", i + 1);
    bench_fmt(title, sizeof title, "Step %zu of plan %zu", m->k, i + 1);
    rl_date_format(m->today - 30 + (int64_t)((i * 7 + m->k * 13) % 90), due);
    ms.title = title;
    ms.owner = "tom";
    ms.due_date = due;
    body.plan_id = pid;
    body.expected_version = m->k;
    body.milestone = &ms;
    env->body_case = RISKLINE__V1__ENVELOPE__BODY_MILESTONE_ADD;
    env->milestone_add = &body;
}

/* Plans must get ids TP-1..TP-N in order (the milestones address them so). */
static int check_plan_id(size_t i, const env_t *r, void *ctx)
{
    (void)ctx;
    char want[24];
    bench_fmt(want, sizeof want, "TP-%zu", i + 1);
    if (!r->plan_result || !r->plan_result->plan || strcmp(r->plan_result->plan->id, want) != 0) {
        fprintf(stderr, "bench_reports: plan %zu got id %s\n", i + 1,
                r->plan_result && r->plan_result->plan ? r->plan_result->plan->id : "?");
        return -1;
    }
    return 0;
}

/* --- processes --- */
static int start_all(bench_t *b, const char *build)
{
    rl_keyfile_t kf[S_COUNT], cli;
    rl_error_t kerr;
    char kdir[BENCH_PATH_BUF + 8];
    bench_fmt(kdir, sizeof kdir, "%s/keys", b->dir);
    for (int s = 0; s < S_COUNT; s++)
        if (rl_keyfile_generate(&kf[s], 1, &kerr) || rl_keyfile_save(&kf[s], kdir, svc_names[s], &kerr)) {
            fprintf(stderr, "bench_reports: keys: %s\n", kerr.message);
            return -1;
        }
    if (rl_keyfile_generate(&cli, 0, &kerr) || rl_keyfile_save(&cli, kdir, "cli", &kerr)) {
        fprintf(stderr, "bench_reports: keys: %s\n", kerr.message);
        return -1;
    }
    for (int s = 0; s < S_COUNT; s++) {
        memcpy(b->keys[s].server, kf[s].curve_public, 41);
        memcpy(b->keys[s].pub, cli.curve_public, 41);
        memcpy(b->keys[s].sec, cli.curve_secret, 41);
    }
    if (bench_free_ports(b->port, 4) != 0 || rl_request_id_new(b->password) != 0)
        return -1;
    if (bench_redis_start(&b->redis, b->dir, b->port[0], b->password, b->redis_version, sizeof b->redis_version))
        return -1;
    for (int s = 0; s < S_COUNT; s++) {
        bench_fmt(b->ep[s], sizeof b->ep[s], "tcp://127.0.0.1:%d", b->port[1 + s]);
        bench_fmt(b->exe[s], sizeof b->exe[s], "%s/bin/riskline-%s", build, svc_names[s]);
    }
    int pub_port;
    if (bench_free_ports(&pub_port, 1) != 0)
        return -1;
    bench_fmt(b->env[0], sizeof b->env[0], "RISKLINE_REDIS_PORT=%d", b->port[0]);
    bench_fmt(b->env[1], sizeof b->env[1], "RISKLINE_REDIS_PASSWORD=%s", b->password);
    bench_fmt(b->env[2], sizeof b->env[2], "RISKLINE_REGISTER_ENDPOINT=%s", b->ep[S_REG]);
    bench_fmt(b->env[3], sizeof b->env[3], "RISKLINE_TREATMENT_ENDPOINT=%s", b->ep[S_TR]);
    bench_fmt(b->env[4], sizeof b->env[4], "RISKLINE_REPORT_ENDPOINT=%s", b->ep[S_REP]);
    bench_fmt(b->env[5], sizeof b->env[5], "RISKLINE_VAR_DIR=%s", b->dir);
    bench_fmt(b->env[6], sizeof b->env[6], "RISKLINE_REPORT_PUB_ENDPOINT=tcp://127.0.0.1:%d", pub_port);
    bench_fmt(b->env[7], sizeof b->env[7], "RISKLINE_REDIS_HOST=127.0.0.1");
    bench_fmt(b->env[8], sizeof b->env[8], "RISKLINE_LOG_LEVEL=warn");
    for (int s = 0; s < S_COUNT; s++)
        if (start_svc(b, s) != 0)
            return -1;
    return 0;
}

/* VmHWM (peak resident memory) of pid in kB, 0 when unknown. */
static long hwm_kb(pid_t pid)
{
    char path[64], line[256];
    long v = 0;
    bench_fmt(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *fp = fopen(path, "r");
    while (fp && fgets(line, sizeof line, fp))
        if (!strncmp(line, "VmHWM:", 6))
            v = strtol(line + 6, NULL, 10);
    if (fp)
        fclose(fp);
    return v;
}

/* Runs the CLI for one report; 0 ok with wall seconds, the CLI's peak RSS (kB), chunks, bytes. */
static int run_report(bench_t *b, const char *build, const char *name, const char *since, const char *fmt, const char *as_of,
                      double *secs, long *cli_kb, long *chunks, long long *bytes)
{
    char exe[BENCH_PATH_BUF], out[BENCH_PATH_BUF + 64], log[BENCH_PATH_BUF + 64];
    char e_keys[BENCH_PATH_BUF + 32], e_ep[96];
    bench_fmt(exe, sizeof exe, "%s/bin/riskline", build);
    bench_fmt(out, sizeof out, "%s/report.%s", b->dir, fmt);
    bench_fmt(log, sizeof log, "%s/cli.out", b->dir);
    bench_fmt(e_keys, sizeof e_keys, "RISKLINE_KEYS_DIR=%s/keys", b->dir);
    bench_fmt(e_ep, sizeof e_ep, "RISKLINE_REPORT_ENDPOINT=%s", b->ep[S_REP]);
    char *argv[] = {exe, "--json", "report", (char *)name, "--format", (char *)fmt, "--out", out,
                    NULL, NULL, NULL, NULL, NULL};
    int k = 8;
    if (since) {
        argv[k++] = "--since";
        argv[k++] = (char *)since;
    }
    if (as_of) {
        argv[k++] = "--as-of";
        argv[k++] = (char *)as_of;
    }
    char *envp[] = {e_keys, e_ep, "RISKLINE_TENANT=bench", "RISKLINE_TIMEOUT_MS=120000", "RISKLINE_RETRIES=0", NULL};
    int64_t t0 = rl_mono_ns();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execve(exe, argv, envp);
        _exit(127);
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0)
        if (errno != EINTR || bench_stop)
            return -1;
    *secs = (double)(rl_mono_ns() - t0) / 1e9;
    *cli_kb = ru.ru_maxrss;
    struct stat st;
    *bytes = stat(out, &st) == 0 ? (long long)st.st_size : -1;
    *chunks = 0;
    FILE *fp = fopen(log, "r");
    char line[512] = "";
    if (fp) {
        if (fgets(line, sizeof line, fp)) {
            const char *c = strstr(line, "\"chunks\":");
            *chunks = c ? strtol(c + 9, NULL, 10) : 0;
        }
        fclose(fp);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_reports: report %s %s failed (status %d): %s\n", name, fmt, status, line);
        return -1;
    }
    unlink(out);
    return 0;
}

static int bench_main(bench_t *b, const char *build, size_t n)
{
    b->zctx = zmq_ctx_new();
    if (!b->zctx || start_all(b, build) != 0)
        return -1;
    void *reg = bench_dealer_new(b->zctx, b->ep[S_REG], &b->keys[S_REG]);
    void *tr = bench_dealer_new(b->zctx, b->ep[S_TR], &b->keys[S_TR]);
    int rc = reg && tr ? 0 : -1;
    rl_clock_t clk = rl_clock_system();
    ms_ctx_t mc = {0, rl_days_from_ms(rl_clock_now(&clk))};
    if (!rc)
        rc = pipelined(b, reg, n, make_risk, NULL, NULL, "risks");
    if (!rc)
        rc = pipelined(b, tr, n, make_plan, check_plan_id, NULL, "plans");
    for (mc.k = 1; !rc && mc.k <= MILESTONES; mc.k++)
        rc = pipelined(b, tr, n, make_milestone, NULL, &mc, mc.k == MILESTONES ? "milestones (last round)" : "milestones");
    if (reg)
        zmq_close(reg);
    if (tr)
        zmq_close(tr);
    if (rc)
        return bench_stop ? -2 : -1;
    int64_t setup_end = rl_clock_now(&clk);
    printf("\nreports of tenant bench: %zu risks, %zu plans, %zu milestones (redis %s)\n", n, n, n * MILESTONES,
           b->redis_version);
    printf("%-14s %-5s %9s %7s %12s %14s %12s\n", "report", "fmt", "seconds", "chunks", "bytes", "report VmHWM",
           "cli maxrss");
    static const char *const reports[] = {"risk_register", "heatmap", "soa", "plans", "dashboard", "audit_trail",
                                          "review_pack"};
    static const char *const fmts[] = {"json", "csv", "html"};
    char today[RL_DATE_LEN + 1];
    rl_date_format(mc.today, today);
    for (size_t r = 0; r < sizeof reports / sizeof reports[0] && !bench_stop; r++)
        for (size_t f = 0; f < 3 && !bench_stop; f++) {
            /* a fresh riskline-report per run: its peak is this report's, not an earlier one's heap */
            bench_child_stop(&b->svc[S_REP]);
            if (start_svc(b, S_REP) != 0)
                return -1;
            double secs;
            long cli_kb, chunks;
            long long bytes;
            if (run_report(b, build, reports[r], r >= 5 ? today : NULL, fmts[f], NULL, &secs, &cli_kb, &chunks, &bytes) != 0)
                return -1;
            printf("%-14s %-5s %9.2f %7ld %12lld %11ld kB %9ld kB\n", reports[r], fmts[f], secs, chunks, bytes,
                   hwm_kb(b->svc[S_REP].pid), cli_kb);
        }
    /* as of the end of the setup: the same state, rebuilt from the events */
    char as_of[RL_TS_LEN];
    rl_ts_format(setup_end, as_of);
    static const char *const asof_reports[] = {"risk_register", "heatmap", "soa", "plans"};
    for (size_t r = 0; r < 4 && !bench_stop; r++) {
        bench_child_stop(&b->svc[S_REP]);
        if (start_svc(b, S_REP) != 0)
            return -1;
        double secs;
        long cli_kb, chunks;
        long long bytes;
        if (run_report(b, build, asof_reports[r], NULL, "json", as_of, &secs, &cli_kb, &chunks, &bytes) != 0)
            return -1;
        printf("%-14s %-5s %9.2f %7ld %12lld %11ld kB %9ld kB  (--as-of)\n", asof_reports[r], "json", secs, chunks,
               bytes, hwm_kb(b->svc[S_REP].pid), cli_kb);
    }
    return bench_stop ? -2 : 0;
}

int main(void)
{
    const char *build = bench_init();
    double scale = bench_env_scale("bench_reports");
    size_t n = (size_t)(10000 * scale + 0.5);
    bench_t b;
    memset(&b, 0, sizeof b);
    if (bench_make_tmpdir(b.dir, sizeof b.dir) != 0)
        return 1;
    int rc = bench_main(&b, build, n ? n : 1);
    for (int i = S_COUNT - 1; i >= 0; i--)
        if (b.svc[i].pid)
            bench_child_stop(&b.svc[i]);
    if (b.redis.pid)
        bench_child_stop(&b.redis);
    if (b.zctx)
        zmq_ctx_term(b.zctx);
    bench_remove_tree(b.dir);
    return rc == -2 ? 2 : rc == 0 ? 0 : 1;
}
