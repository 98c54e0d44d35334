/* test_integ_monitor_cli.c: `riskline event send` and `riskline monitor status` against the real monitor and Redis, as an integrating system (integrator key) uses them: one event from options (accepted, then duplicate), a JSON-lines file with a malformed line, an invalid event and a duplicate (exact per-line output and exit code), stdin streamed and acked as it comes, the counts per source, usage errors, the monitor down (3), and what an integrator may not do. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "harness_msg.h"

#define PAST "2025-11-26T10:00:00Z"
#define SEVERITIES "info, low, medium, high, critical"

static harness_run_t res;

static int setup(void **state)
{
    harness_t *h = harness_new();
    if (harness_monitor_start(h) != 0) {
        harness_destroy(&h);
        fail_msg("riskline-monitor did not start");
    }
    harness_issue_key(h, "siem", "integrator", "default");
    *state = h;
    return 0;
}

static int teardown(void **state)
{
    harness_t *h = *state;
    harness_run_free(&res);
    harness_monitor_stop(h);
    harness_destroy(&h);
    return 0;
}

/* `riskline <args>` with the key of `who` (NULL: the local admin) and extra env (NULL-ended, may
 * be NULL); fails unless it exits with `want`. The run stays in `res`. */
static void cli_env(harness_t *h, const char *who, const char *const *extra, int want, const char *const *args)
{
    char key[700];
    const char *env[8] = {key};
    snprintf(key, sizeof key, "RISKLINE_KEY_FILE=%s/%s.key", h->keys_dir, who ? who : "cli");
    for (size_t i = 0; extra && extra[i] && i < 6; i++)
        env[i + 1] = extra[i];
    harness_run_free(&res);
    harness_cli(h, env, args, &res);
    if (res.status != want)
        fail_msg("riskline %s ... as %s: exit %d, want %d\nstdout: %s\nstderr: %s", args[0], who ? who : "admin",
                 res.status, want, res.out, res.err);
}
#define SEND(h, want, ...) cli_env(h, "siem", NULL, want, (const char *const[]){"event", "send", __VA_ARGS__, NULL})

/* stdout is exactly want (or, with stdout_starts, begins with it). */
static void stdout_cmp(const char *want, size_t n)
{
    if (strncmp(res.out, want, n) != 0)
        fail_msg("stdout is:\n%s\nwant:\n%s", res.out, want);
}
static void stdout_is(const char *want) { stdout_cmp(want, strlen(want) + 1); }
static void stdout_starts(const char *want) { stdout_cmp(want, strlen(want)); }

static void stderr_has(const char *want)
{
    if (!strstr(res.err, want))
        fail_msg("stderr lacks \"%s\":\n%s", want, res.err);
}

static long long redis_ll(harness_t *h, const char *cmd)
{
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    redisReply *r = redisCommand(c, cmd);
    assert_non_null(r);
    long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;
    freeReplyObject(r);
    redisFree(c);
    return v;
}

/* Risk events stored for tenant "default", each asserted stored once. */
static long long stored_events(harness_t *h)
{
    long long total = -1, distinct = -2;
    assert_int_equal(harness_riskevents(h, "default", &total, &distinct), 0);
    assert_int_equal(total, distinct);
    return total;
}

/* --- one event from options --- */

static void test_one_event(void **state)
{
    harness_t *h = *state;
    SEND(h, 0, "--source", "siem-prod", "--id", "evt-1", "--kind", "incident", "--severity", "high", "--summary",
         "failed logins from an unusual country", "--occurred-at", PAST, "--risk", "R-1", "--asset", "fs01",
         "--control", "A.8.8", "--attr", "ticket=INC-7", "--attr", "rule=brute-force");
    stdout_is("evt-1 accepted\n");
    /* sent again: the monitor has it, stored once */
    SEND(h, 0, "--source", "siem-prod", "--id", "evt-1", "--kind", "incident", "--severity", "high", "--summary",
         "failed logins from an unusual country", "--occurred-at", PAST);
    stdout_is("evt-1 duplicate\n");
    assert_int_equal(stored_events(h), 1);

    /* occurred-at defaults to now; a measurement with its value; --json */
    cli_env(h, "siem", NULL, 0,
            (const char *const[]){"--json", "event", "send", "--source", "grc", "--id", "kri-1", "--kind", "kri",
                                  "--severity", "low", "--summary", "phishing click rate", "--attr", "metric=K-3",
                                  "--value", "4.5", NULL});
    stdout_is("{\"source\":\"grc\",\"event_id\":\"kri-1\",\"status\":\"accepted\"}\n");

    /* the monitor's refusal names the event's own field: exit 2, nothing stored */
    SEND(h, 2, "--source", "grc", "--id", "kri-2", "--kind", "kri", "--severity", "low", "--summary", "no value",
         "--attr", "metric=K-3");
    stdout_is("kri-2 rejected: value: is required for a kri event\n");
    SEND(h, 2, "--source", "scanner", "--id", "v-1", "--kind", "vulnerability", "--severity", "high", "--summary",
         "CVE-2026-0001 on fs01", "--control", "A.99.1");
    stdout_starts("v-1 rejected: controls[0]: ");
    assert_int_equal(stored_events(h), 2);

    /* usage errors: exit 1, nothing sent */
    SEND(h, 1, "--source", "grc", "--id", "x", "--kind", "incident", "--severity", "high");
    stderr_has("riskline: usage: missing required option --summary");
    SEND(h, 1, "--source", "grc", "--id", "x", "--kind", "flood", "--severity", "high", "--summary", "s");
    stderr_has("--kind: unknown kind 'flood' (incident, vulnerability, threat_intel, audit_finding, "
               "nonconformity, kri, control_test, change)");
    SEND(h, 1, "--source", "grc", "--id", "x", "--kind", "incident", "--severity", "urgent", "--summary", "s");
    stderr_has("--severity: unknown severity 'urgent' (" SEVERITIES ")");
    SEND(h, 1, "--source", "grc", "--id", "x", "--kind", "incident", "--severity", "low", "--summary", "s",
         "--occurred-at", "yesterday");
    stderr_has("--occurred-at: 'yesterday' is not a timestamp");
    SEND(h, 1, "--source", "grc", "--id", "x", "--kind", "incident", "--severity", "low", "--summary", "s",
         "--attr", "novalue");
    stderr_has("--attr: 'novalue' is not KEY=VALUE");
    SEND(h, 1, "--source", "grc", "--id", "x", "--kind", "kri", "--severity", "low", "--summary", "s", "--value",
         "lots");
    stderr_has("--value: 'lots' is not a number");
    SEND(h, 1, "--file", "-", "--source", "grc");
    stderr_has("--file: reads every event from the file: --source goes in its lines");
    SEND(h, 1, "--file", "/nonexistent/events.jsonl");
    stderr_has("--file: cannot open '/nonexistent/events.jsonl'");
    assert_int_equal(stored_events(h), 2);

    /* the help says what a resend does */
    cli_env(h, "siem", NULL, 0, (const char *const[]){"event", "send", "--help", NULL});
    assert_non_null(strstr(res.out, "RISKLINE_RETRIES"));
    assert_non_null(strstr(res.out, "resent as is"));
}

/* --- JSON lines --- */

#define NLINES 50
#define BAD_JSON 7      /* not JSON at all */
#define BAD_KEY 12      /* a key RiskEvent does not have */
#define INVALID 19      /* JSON fine, the event not: no severity */
#define DUP_OF 3        /* line DUP_LINE repeats the event of line DUP_OF */
#define DUP_LINE 26
#define BLANK 33

/* Writes the 50-line file and the exact output `event send --file` must print. */
static void write_lines(const char *path, char *want, size_t size)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    size_t o = 0;
    unsigned accepted = 0;
    for (unsigned line = 1; line <= NLINES; line++) {
        unsigned id = line == DUP_LINE ? DUP_OF : line;
        if (line == BAD_JSON) {
            fputs("source=siem-prod id=evt-7\n", f);
            o += (size_t)snprintf(want + o, size - o, "line %u not sent: the line is not valid JSON (at byte 0)\n",
                                  line);
        } else if (line == BAD_KEY) {
            fprintf(f, "{\"source\":\"siem-prod\",\"event_id\":\"evt-%u\",\"colour\":\"red\"}\n", id);
            o += (size_t)snprintf(want + o, size - o,
                                  "line %u not sent: colour: unknown key \"colour\" (source, event_id, kind, severity, "
                                  "occurred_at, occurred_at_ms, summary, risk_ids, assets, controls, attributes, "
                                  "value)\n",
                                  line);
        } else if (line == BLANK) {
            fputs("   \n", f);
        } else if (line == INVALID) {
            fprintf(f, "{\"source\":\"siem-prod\",\"event_id\":\"evt-%u\",\"kind\":\"incident\","
                       "\"occurred_at\":\"" PAST "\",\"summary\":\"no severity\"}\n", id);
            o += (size_t)snprintf(want + o, size - o,
                                  "line %u evt-%u rejected: severity: is required (" SEVERITIES ")\n", line, id);
        } else {
            fprintf(f, "{\"source\":\"siem-prod\",\"event_id\":\"evt-%u\",\"kind\":\"%s\",\"severity\":\"%s\","
                       "\"occurred_at_ms\":%u,\"summary\":\"event number %u\",\"risk_ids\":[\"R-%u\"],"
                       "\"assets\":[\"fs01\"],\"controls\":[\"A.8.%u\"],\"attributes\":{\"n\":\"%u\"}}\r\n",
                    id, line % 2 ? "incident" : "vulnerability", line % 3 ? "medium" : "high", 1764000000u + id, id,
                    id % 5 + 1, id % 34 + 1, id);
            o += (size_t)snprintf(want + o, size - o, "line %u evt-%u %s\n", line, id,
                                  line == DUP_LINE ? "duplicate" : "accepted");
            accepted += line != DUP_LINE;
        }
    }
    fclose(f);
    snprintf(want + o, size - o, "%u events sent: %u accepted, 1 duplicate, 1 rejected; 2 lines not sent\n",
             accepted + 2, accepted);
}

static void test_file(void **state)
{
    harness_t *h = *state;
    char path[600], want[16384];
    snprintf(path, sizeof path, "%s/events.jsonl", h->dir);
    write_lines(path, want, sizeof want);
    SEND(h, 2, "--file", path);
    stdout_is(want);
    assert_string_equal(res.err, "");
    /* Redis holds exactly the accepted ones */
    long long accepted = NLINES - 5; /* bad JSON, bad key, invalid, duplicate, blank */
    assert_int_equal(stored_events(h), accepted);
    assert_int_equal(redis_ll(h, "HGET rl:{default}:riskevent:count siem-prod.accepted"), accepted);
    assert_int_equal(redis_ll(h, "HGET rl:{default}:riskevent:count siem-prod.duplicate"), 1);
    assert_int_equal(redis_ll(h, "HGET rl:{default}:riskevent:count siem-prod.rejected"), 1);

    /* the same file again (what a sender does after exit 3): every stored event comes back duplicate */
    SEND(h, 2, "--file", path);
    char line[128];
    snprintf(line, sizeof line, "line 1 evt-1 duplicate\n");
    assert_non_null(strstr(res.out, line));
    snprintf(line, sizeof line, "line %d evt-%d duplicate\n", NLINES, NLINES);
    assert_non_null(strstr(res.out, line));
    assert_null(strstr(res.out, " accepted\n"));
    snprintf(line, sizeof line, "%lld events sent: 0 accepted, %lld duplicate, 1 rejected; 2 lines not sent\n",
             accepted + 2, accepted + 1);
    assert_non_null(strstr(res.out, line));
    assert_int_equal(stored_events(h), accepted);

    /* only good lines: exit 0; --json prints one object per line */
    snprintf(path, sizeof path, "%s/good.jsonl", h->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"source\":\"scanner-1\",\"event_id\":\"cve-1\",\"kind\":\"vulnerability\",\"severity\":\"critical\","
          "\"occurred_at\":\"" PAST "\",\"summary\":\"CVE on fs01\",\"assets\":[\"fs01\"]}\n"
          "\n"
          "{\"source\":\"scanner-1\",\"event_id\":\"cve-2\",\"kind\":\"control_test\",\"severity\":\"info\","
          "\"occurred_at\":\"" PAST "\",\"summary\":\"patch scan\",\"controls\":[\"A.8.8\"],\"value\":97.5}",
          f); /* no newline at the end */
    fclose(f);
    cli_env(h, "siem", NULL, 0, (const char *const[]){"event", "send", "--json", "--file", path, NULL});
    stdout_is("{\"line\":1,\"source\":\"scanner-1\",\"event_id\":\"cve-1\",\"status\":\"accepted\"}\n"
              "{\"line\":3,\"source\":\"scanner-1\",\"event_id\":\"cve-2\",\"status\":\"accepted\"}\n");
    cli_env(h, "siem", NULL, 0, (const char *const[]){"event", "send", "--file", path, NULL});
    stdout_is("line 1 cve-1 duplicate\nline 3 cve-2 duplicate\n"
              "2 events sent: 0 accepted, 2 duplicate, 0 rejected; 0 lines not sent\n");

    /* --json for refusals: the field and reason of each */
    snprintf(path, sizeof path, "%s/bad.jsonl", h->dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"source\":\"scanner-1\",\"event_id\":\"cve-3\",\"kind\":\"change\",\"severity\":\"low\","
          "\"occurred_at\":\"" PAST "\",\"summary\":\"\"}\n"
          "[1,2]\n",
          f);
    fclose(f);
    cli_env(h, "siem", NULL, 2, (const char *const[]){"event", "send", "--json", "--file", path, NULL});
    stdout_is("{\"line\":1,\"source\":\"scanner-1\",\"event_id\":\"cve-3\",\"status\":\"rejected\","
              "\"field\":\"summary\",\"reason\":\"is required\"}\n"
              "{\"line\":2,\"status\":\"not_sent\",\"field\":\"\",\"reason\":\"the line must be a JSON object, "
              "got an array\"}\n");

    /* an empty file sends nothing */
    snprintf(path, sizeof path, "%s/empty.jsonl", h->dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    SEND(h, 0, "--file", path);
    stdout_is("0 events sent: 0 accepted, 0 duplicate, 0 rejected; 0 lines not sent\n");
}

/* More than one batch: 1,203 lines in three EventBatch requests, acked in order; a line over the
 * 1 MiB limit is skipped to its end without being held. */
static void test_many_batches(void **state)
{
    harness_t *h = *state;
    char path[600];
    snprintf(path, sizeof path, "%s/many.jsonl", h->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (unsigned i = 1; i <= 1203; i++) {
        if (i == 1000) { /* 1,126,400 bytes of digits */
            for (int k = 0; k < 1100; k++)
                fprintf(f, "%01024d", 0);
            fputc('\n', f);
            continue;
        }
        fprintf(f, "{\"source\":\"edr\",\"event_id\":\"e%u\",\"kind\":\"incident\",\"severity\":\"%s\","
                   "\"occurred_at\":\"" PAST "\",\"summary\":\"alert %u\"}\n",
                i, i == 777 ? "severe" : "low", i);
    }
    fclose(f);
    SEND(h, 2, "--file", path);
    assert_non_null(strstr(res.out, "line 1 e1 accepted\nline 2 e2 accepted\n"));
    assert_non_null(strstr(res.out, "line 500 e500 accepted\nline 501 e501 accepted\n"));
    assert_non_null(strstr(res.out, "line 776 e776 accepted\nline 777 not sent: severity: unknown severity "
                                    "\"severe\" (" SEVERITIES ")\nline 778 e778 accepted\n"));
    assert_non_null(strstr(res.out, "line 999 e999 accepted\nline 1000 not sent: the line is over 1048576 bytes: "
                                    "one JSON event per line\nline 1001 e1001 accepted\n"));
    assert_non_null(strstr(res.out, "line 1203 e1203 accepted\n"
                                    "1201 events sent: 1201 accepted, 0 duplicate, 0 rejected; 2 lines not sent\n"));
    assert_int_equal(stored_events(h), 1201);
}

/* --- stdin: a stream piped in is acked as it comes --- */

typedef struct {
    pid_t pid;
    int in, out; /* our ends: the CLI's stdin, its stdout */
} piped_t;

/* Starts `riskline event send --file -` as siem with pipes on stdin and stdout. */
static void start_piped(harness_t *h, piped_t *p)
{
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    char bin[600], key[700], endpoint[128];
    snprintf(bin, sizeof bin, "%s/bin/riskline", h->build);
    snprintf(key, sizeof key, "%s/siem.key", h->keys_dir);
    snprintf(endpoint, sizeof endpoint, "%s", h->monitor_endpoint);
    fflush(stdout);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 2);
        close(in[1]);
        close(out[0]);
        static const char *const clear[] = {"RISKLINE_CONFIG", "RISKLINE_TENANT", "RISKLINE_TIMEOUT_MS",
                                            "RISKLINE_RETRIES", "RISKLINE_INSECURE", NULL};
        for (const char *const *c = clear; *c; c++)
            unsetenv(*c);
        setenv("RISKLINE_MONITOR_ENDPOINT", endpoint, 1);
        setenv("RISKLINE_KEYS_DIR", h->keys_dir, 1);
        setenv("RISKLINE_KEY_FILE", key, 1);
        if (h->insecure)
            setenv("RISKLINE_INSECURE", "1", 1);
        execl(bin, bin, "event", "send", "--file", "-", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    p->in = in[1];
    p->out = out[0];
}

/* Reads the CLI's stdout into buf until it holds `until` (10 s at most). */
static void read_until(piped_t *p, char *buf, size_t size, size_t *len, const char *until)
{
    for (int waited = 0; !strstr(buf, until) && waited < 10000;) {
        struct pollfd pf = {p->out, POLLIN, 0};
        if (poll(&pf, 1, 100) <= 0) {
            waited += 100;
            continue;
        }
        ssize_t got = read(p->out, buf + *len, size - 1 - *len);
        if (got <= 0)
            break;
        *len += (size_t)got;
        buf[*len] = '\0';
    }
    if (!strstr(buf, until))
        fail_msg("the CLI's stdout lacks \"%s\":\n%s", until, buf);
}

static void put(int fd, const char *s)
{
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void test_stdin(void **state)
{
    harness_t *h = *state;
    signal(SIGPIPE, SIG_IGN);
    piped_t p;
    start_piped(h, &p);
    char out[4096] = "";
    size_t len = 0;
    /* two lines, and the input pauses: their acks come before stdin ends */
    put(p.in, "{\"source\":\"ticketing\",\"event_id\":\"T-1\",\"kind\":\"audit_finding\",\"severity\":\"medium\","
              "\"occurred_at\":\"" PAST "\",\"summary\":\"no MFA on the admin VPN\",\"controls\":[\"A.8.5\"]}\n"
              "{\"source\":\"ticketing\",\"event_id\":\"T-2\",\"kind\":\"nonconformity\",\"severity\":\"low\","
              "\"occurred_at\":\"" PAST "\",\"summary\":\"access review late\"}\n");
    read_until(&p, out, sizeof out, &len, "line 2 T-2 accepted\n");
    /* then a resend of T-1 and a broken line; then the end of input */
    put(p.in, "{\"source\":\"ticketing\",\"event_id\":\"T-1\",\"kind\":\"audit_finding\",\"severity\":\"medium\","
              "\"occurred_at\":\"" PAST "\",\"summary\":\"no MFA on the admin VPN\",\"controls\":[\"A.8.5\"]}\n"
              "{\"source\":\"ticketing\",\"event_id\":\"T-3\",\"kind\":\"incident\",\"severity\":\"low\","
              "\"occurred_at\":null,\"summary\":\"x\"}\n");
    close(p.in);
    read_until(&p, out, sizeof out, &len, "1 line not sent\n");
    int st = 0;
    assert_int_equal(waitpid(p.pid, &st, 0), p.pid);
    close(p.out);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 2);
    assert_string_equal(out, "line 1 T-1 accepted\n"
                             "line 2 T-2 accepted\n"
                             "line 3 T-1 duplicate\n"
                             "line 4 not sent: occurred_at: must be a timestamp string like "
                             "\"2026-11-26T10:00:00Z\", got null\n"
                             "3 events sent: 2 accepted, 1 duplicate, 0 rejected; 1 line not sent\n");
    assert_int_equal(stored_events(h), 2);
}

/* --- status, roles, the monitor down --- */

static void test_status_and_roles(void **state)
{
    harness_t *h = *state;
    SEND(h, 0, "--source", "siem-prod", "--id", "a", "--kind", "incident", "--severity", "low", "--summary", "s");
    SEND(h, 0, "--source", "siem-prod", "--id", "a", "--kind", "incident", "--severity", "low", "--summary", "s");
    SEND(h, 0, "--source", "siem-prod", "--id", "b", "--kind", "incident", "--severity", "low", "--summary", "s");
    SEND(h, 2, "--source", "siem-prod", "--id", "c", "--kind", "kri", "--severity", "low", "--summary", "s");
    SEND(h, 0, "--source", "aws-guardduty", "--id", "a", "--kind", "threat_intel", "--severity", "critical",
         "--summary", "s");
    SEND(h, 2, "--source", "bad source", "--id", "a", "--kind", "incident", "--severity", "low", "--summary", "s");
    stdout_is("a rejected: source: must be 1..64 of [A-Za-z0-9._-]\n");

    /* reading the status is for the readers (the admin here), not for the integrator; the first
     * batch listed tenant "default", so the correlator reads its log: wait until it caught up */
    for (int i = 0; i < 100; i++) {
        cli_env(h, NULL, NULL, 0, (const char *const[]){"monitor", "status", NULL});
        if (strstr(res.out, "stream lag:  0 entries unread"))
            break;
        usleep(50 * 1000);
    }
    /* no risk exists: every accepted event is unlinked */
    stdout_starts("SOURCE         ACCEPTED  DUPLICATE  REJECTED  UNLINKED\n"
              "(invalid)      0         0          1         0\n"
              "aws-guardduty  1         0          0         1\n"
              "siem-prod      2         1          1         2\n"
              "3 sources: 3 accepted, 1 duplicate, 2 rejected; 3 matched no risk (unlinked)\n"
              "alerts open: 0\n"
              /* 3 batches stored (one entry each), all read and acknowledged */
              "stream lag:  0 entries unread, 0 pending (log: 3 entries)\n"
              "control tests no metric took: 0\n"
              "last sweep:  ");
    /* the monitor sweeps every few seconds: its time, or never when none ran yet */
    const char *sweep = res.out + strlen("SOURCE");
    sweep = strstr(sweep, "last sweep:  ") + strlen("last sweep:  ");
    assert_true(strcmp(sweep, "never\n") == 0 ||
                (strlen(sweep) == strlen("2026-11-26T10:00:00.000Z\n") && sweep[10] == 'T' && sweep[23] == 'Z'));
    cli_env(h, NULL, NULL, 0, (const char *const[]){"monitor", "status", "--json", NULL});
    cJSON *j = harness_json(&res, 0);
    const cJSON *sources = cJSON_GetObjectItemCaseSensitive(j, "sources");
    assert_int_equal(cJSON_GetArraySize(sources), 3);
    const cJSON *siem = cJSON_GetArrayItem(sources, 2);
    assert_string_equal(harness_jstr(siem, "source"), "siem-prod");
    assert_int_equal((int)harness_jnum(siem, "accepted"), 2);
    assert_int_equal((int)harness_jnum(siem, "duplicate"), 1);
    assert_int_equal((int)harness_jnum(siem, "rejected"), 1);
    assert_int_equal((int)harness_jnum(siem, "unlinked"), 2);
    assert_int_equal((int)harness_jnum(j, "stream_lag"), 0);
    assert_int_equal((int)harness_jnum(j, "stream_pending"), 0);
    assert_int_equal((int)harness_jnum(j, "stream_length"), 3);
    cJSON_Delete(j);

    /* the integrator sends events and nothing else */
    cli_env(h, "siem", NULL, 2, (const char *const[]){"monitor", "status", NULL});
    stderr_has("riskline: forbidden:");
    cli_env(h, "siem", NULL, 2, (const char *const[]){"risk", "list", NULL});
    stderr_has("riskline: forbidden:");
    assert_string_equal(res.out, "");
    /* and only for its tenant */
    cli_env(h, "siem", NULL, 2,
            (const char *const[]){"--tenant", "other", "event", "send", "--source", "s", "--id", "x", "--kind",
                                  "incident", "--severity", "low", "--summary", "s", NULL});
    stderr_has("riskline: forbidden:");
    assert_string_equal(res.out, "");

    /* the monitor down: exit 3 after the retries, nothing acked */
    assert_int_equal(harness_monitor_stop(h), 0);
    const char *const fast[] = {"RISKLINE_TIMEOUT_MS=200", "RISKLINE_RETRIES=1", NULL};
    cli_env(h, "siem", fast, 3,
            (const char *const[]){"event", "send", "--source", "s", "--id", "x", "--kind", "incident",
                                  "--severity", "low", "--summary", "s", NULL});
    stderr_has("riskline: unavailable:");
    stderr_has("after 2 attempt(s)");
    assert_string_equal(res.out, "");
    assert_int_equal(harness_monitor_start(h), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_and_roles, setup, teardown),
    };
    return cmocka_run_group_tests_name("monitor_cli", tests, NULL, NULL);
}
