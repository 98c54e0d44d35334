/* cli_event.c: the `riskline event send` command (risk events from flags or JSON lines, as an integrating system sends them, one ack line each) and `riskline monitor status`. */
#include "cli_event.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_output.h"
#include "rl_clock.h"
#include "rl_json.h"
#include "rl_limits.h"
#include "rl_riskevent_json.h"
#include "rl_riskevent_names.h"
#include "rl_time.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A line of JSON is one event: at most a frame. */
#define LINE_MAX_BYTES RL_MAX_FRAME_BYTES
#define READ_CHUNK 65536
/* What one EventBatch request may hold besides its events (request id, tenant, tags), and what
 * each event costs besides its packed bytes (tag and length). */
#define ENVELOPE_SLACK 4096
#define EVENT_OVERHEAD 8
#define BATCH_BUDGET (RL_MAX_FRAME_BYTES - ENVELOPE_SLACK)
/* Lines (events and lines not sent) held before they are sent and printed. */
#define ITEM_CAP (2 * RL_MAX_BATCH)
#define CELL_SOURCE 64

const char cli_event_group_usage[] =
    "usage: riskline [global options] event <subcommand> [args]\n"
    "\n"
    "Risk events from other systems (SIEM, scanners, ticketing, audit tools), sent to the monitor\n"
    "(RISKLINE_MONITOR_ENDPOINT, default tcp://127.0.0.1:7103) with the integrator role.\n"
    "\n"
    "Subcommands:\n"
    "  send      send one event from options, or JSON lines from a file or stdin; one ack each\n"
    "\n"
    "Run 'riskline event send --help' for its options.\n";

const char cli_monitor_group_usage[] =
    "usage: riskline [global options] monitor <subcommand> [args]\n"
    "\n"
    "The monitoring service (ISO/IEC 27001 9.1): risk-event ingestion, measurements, alerts.\n"
    "\n"
    "Subcommands:\n"
    "  status    events ingested per source (accepted, duplicate, rejected, unlinked), alerts, stream lag\n"
    "  sweep     run every schedule now (admin): alerts raised or resolved at once\n"
    "\n"
    "Run 'riskline monitor status --help' for its options.\n";

static const char send_usage[] =
    "usage: riskline [global options] event send --source S --id ID --kind K --severity S --summary T\n"
    "                [--occurred-at TS] [--risk R-1]... [--asset A]... [--control A.8.8]...\n"
    "                [--attr KEY=VALUE]... [--value N]\n"
    "       riskline [global options] event send --file F|-\n"
    "\n"
    "Sends risk events to the monitor as an integrating system does (integrator role) and prints\n"
    "one acknowledgement per event, in input order:\n"
    "  line 3 evt-17 accepted                 persisted now\n"
    "  line 4 evt-9 duplicate                 (source, id) was stored before: kept once\n"
    "  line 5 evt-18 rejected: severity: ...  not stored; the field and the reason\n"
    "  line 6 not sent: kind: unknown ...     the line is not one valid JSON event\n"
    "One event from options prints the same without 'line N'.\n"
    "\n"
    "One event:\n"
    "  --source S          the sending system: 1..64 of A-Z a-z 0-9 . _ - (e.g. siem-prod)\n"
    "  --id ID             the event's id at its source (the idempotency key), 1..128 bytes\n"
    "  --kind K            incident | vulnerability | threat_intel | audit_finding |\n"
    "                      nonconformity | kri | control_test | change\n"
    "  --severity S        info | low | medium | high | critical\n"
    "  --summary T         what happened, 1..1000 bytes\n"
    "  --occurred-at TS    when: 2026-11-26T10:00:00Z, or with an offset +01:00 (default: now)\n"
    "  --risk R-1          a risk it concerns; repeat for several\n"
    "  --asset A           an asset it concerns; repeat\n"
    "  --control A.8.8     a control it concerns (Annex A, or own: C-3); repeat\n"
    "  --attr KEY=VALUE    an attribute, e.g. metric=K-3 for a kri event; repeat\n"
    "  --value N           the measurement: kri (required), control_test (0..100 % passed)\n"
    "\n"
    "Many events:\n"
    "  --file F            JSON lines, '-' for stdin: one JSON object per line, keys source,\n"
    "                      event_id, kind, severity, occurred_at (or occurred_at_ms), summary,\n"
    "                      risk_ids, assets, controls (arrays of strings), attributes (an object\n"
    "                      of strings), value. Blank lines are skipped. A line that is not one\n"
    "                      valid event is reported with its number and not sent; the others are.\n"
    "                      Events go in batches of up to 500 (and 1 MiB); a batch also goes as\n"
    "                      soon as the input pauses, so a stream piped in is acked as it comes.\n"
    "\n"
    "Retries: a batch without a reply within RISKLINE_TIMEOUT_MS (3000) is resent as is, up to\n"
    "RISKLINE_RETRIES (2) more times. The monitor de-duplicates by (source, id): a resent event is\n"
    "stored once, and its ack may say duplicate.\n"
    "\n"
    "--json prints one JSON object per line and event: {\"line\", \"source\", \"event_id\", \"status\"\n"
    "(accepted | duplicate | rejected | not_sent), \"field\", \"reason\"} (\"line\" with --file only).\n"
    "\n"
    "Exit: 0 every event accepted or duplicate; 1 usage; 2 any event rejected or line not sent, or\n"
    "the request refused (e.g. forbidden); 3 the monitor did not answer: the lines without an ack\n"
    "line were not acknowledged; send the same input again (what was stored is acked duplicate).\n";

static const char status_usage[] =
    "usage: riskline [global options] monitor status\n"
    "\n"
    "Prints the events ingested per source as a table (SOURCE ACCEPTED DUPLICATE REJECTED, sources\n"
    "in name order; rejected events whose source was not valid count under '(invalid)'), then the\n"
    "open alerts, the stream lag and the last sweep. The lag counts entries of the tenant's ingestion\n"
    "log (one entry per batch of events sent): unread by the monitor's correlation yet (the whole log\n"
    "before it started on the tenant; 'unknown' when Redis cannot tell), and pending: read but not\n"
    "acknowledged (being handled, or waiting for a retry). Then the control-test events that no\n"
    "metric took (no metric of their controls holds a pass rate, or the metric they named does not\n"
    "exist). --json: stream_lag, stream_pending, stream_length, stream_lag_unknown,\n"
    "control_tests_unmeasured.\n";

static const cli_opt_t send_opts[] = {
    {"source", CLI_OPT_VALUE}, {"id", CLI_OPT_VALUE},       {"kind", CLI_OPT_VALUE},
    {"severity", CLI_OPT_VALUE}, {"summary", CLI_OPT_VALUE}, {"occurred-at", CLI_OPT_VALUE},
    {"risk", CLI_OPT_MULTI},   {"asset", CLI_OPT_MULTI},    {"control", CLI_OPT_MULTI},
    {"attr", CLI_OPT_MULTI},   {"value", CLI_OPT_VALUE},    {"file", CLI_OPT_VALUE},
};

/* ------------------------------------------------------------------------------------------ */
/* a batch: lines in input order, each an event to send or a reason it is not sent            */

typedef struct {
    size_t line;                    /* 1-based; 0 for the event from options */
    Riskline__V1__RiskEvent *ev;    /* NULL: not sent */
    const char *field, *reason;     /* why not sent */
} item_t;

typedef struct {
    cli_app_t *app;
    rl_arena_t *arena;              /* the batch's events and messages; reset after each send */
    item_t *items;
    size_t nitems, nevents, bytes;
    /* totals */
    size_t accepted, duplicate, rejected, not_sent;
} batch_t;

/* "events[12].severity" -> "severity": the batch position means nothing to the sender, who has
 * the line number; "events[12]" alone -> "". */
static const char *own_field(const char *f)
{
    if (!f || strncmp(f, "events[", 7) != 0)
        return f ? f : "";
    const char *p = f + 7 + strspn(f + 7, "0123456789");
    if (p == f + 7 || *p != ']')
        return f;
    return p[1] == '.' ? p + 2 : p + 1;
}

static const char *status_name(Riskline__V1__AckStatus s)
{
    switch (s) {
    case RISKLINE__V1__ACK_STATUS__ACK_STATUS_ACCEPTED: return "accepted";
    case RISKLINE__V1__ACK_STATUS__ACK_STATUS_DUPLICATE: return "duplicate";
    case RISKLINE__V1__ACK_STATUS__ACK_STATUS_REJECTED: return "rejected";
    default: return "unknown";
    }
}

/* One output line: text or a JSON object. status "not_sent" for a line that was not sent. */
static int print_line(cli_app_t *app, const item_t *it, const char *status, const char *field, const char *reason)
{
    FILE *f = app->out;
    if (app->json) {
        cJSON *j = cJSON_CreateObject();
        int ok = j != NULL;
        if (ok && it->line)
            ok = cJSON_AddNumberToObject(j, "line", (double)it->line) != NULL;
        if (ok && it->ev)
            ok = cJSON_AddStringToObject(j, "source", it->ev->source ? it->ev->source : "") &&
                 cJSON_AddStringToObject(j, "event_id", it->ev->event_id ? it->ev->event_id : "");
        if (ok)
            ok = cJSON_AddStringToObject(j, "status", status) != NULL;
        if (ok && reason)
            ok = cJSON_AddStringToObject(j, "field", field ? field : "") &&
                 cJSON_AddStringToObject(j, "reason", reason);
        char *text = ok ? cJSON_PrintUnformatted(j) : NULL;
        cJSON_Delete(j);
        if (!text)
            return cli_oom(app);
        fputs(text, f);
        fputc('\n', f);
        cJSON_free(text);
        return CLI_EXIT_OK;
    }
    if (it->line)
        fprintf(f, "line %zu ", it->line);
    if (it->ev) {
        cli_out_text(f, it->ev->event_id && it->ev->event_id[0] ? it->ev->event_id : "-", 0);
        fputc(' ', f);
    }
    fputs(status, f);
    if (reason) {
        fputs(": ", f);
        if (field && field[0]) {
            cli_out_text(f, field, 0);
            fputs(": ", f);
        }
        cli_out_text(f, reason, 0);
    }
    fputc('\n', f);
    return CLI_EXIT_OK;
}

/* In text mode "not sent" reads better than the JSON status. */
static const char *text_not_sent(const cli_app_t *app) { return app->json ? "not_sent" : "not sent"; }

static int add_item(batch_t *b, size_t line, Riskline__V1__RiskEvent *ev, size_t cost, const char *field,
                    const char *reason)
{
    item_t *it = &b->items[b->nitems++];
    it->line = line;
    it->ev = ev;
    it->field = field ? rl_arena_strdup(b->arena, field) : NULL;
    it->reason = reason ? rl_arena_strdup(b->arena, reason) : NULL;
    if ((field && !it->field) || (reason && !it->reason))
        return cli_oom(b->app);
    if (ev) {
        b->nevents++;
        b->bytes += cost;
    }
    return CLI_EXIT_OK;
}

/* Sends the batch's events in one EventBatch (the bus client resends it as is on silence) and
 * prints every line in input order. CLI_EXIT_OK, or the exit code of a failed request (its error
 * printed; nothing of this batch printed). */
static int flush(batch_t *b)
{
    cli_app_t *app = b->app;
    const Riskline__V1__EventAcks *acks = NULL;
    if (b->nevents) {
        rl_arena_t *run_arena = app->arena;
        app->arena = b->arena; /* the request and its reply live as long as the batch */
        Riskline__V1__EventBatch *eb = rl_arena_alloc(b->arena, sizeof *eb);
        Riskline__V1__RiskEvent **evs = rl_arena_alloc(b->arena, b->nevents * sizeof *evs);
        rl_envelope_t *req = cli_request(app), *reply = NULL;
        int rc = CLI_EXIT_OK;
        if (!eb || !evs || !req) {
            rc = cli_oom(app);
        } else {
            riskline__v1__event_batch__init(eb);
            for (size_t i = 0, k = 0; i < b->nitems; i++)
                if (b->items[i].ev)
                    evs[k++] = b->items[i].ev;
            eb->events = evs;
            eb->n_events = b->nevents;
            req->body_case = RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH;
            req->event_batch = eb;
            rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_EVENT_ACKS, &reply);
        }
        app->arena = run_arena;
        if (rc != CLI_EXIT_OK)
            return rc;
        acks = reply->event_acks;
        int ok = acks && acks->n_acks == b->nevents;
        for (size_t k = 0; ok && k < acks->n_acks; k++)
            ok = acks->acks[k] && acks->acks[k]->index == k;
        if (!ok) {
            rl_error_t err;
            rl_error_set(&err, RL_ERR_MALFORMED, "acks", "the monitor replied with %zu acks for %zu events",
                         acks ? acks->n_acks : 0, b->nevents);
            return cli_fail(app, &err);
        }
    }
    int rc = CLI_EXIT_OK;
    for (size_t i = 0, k = 0; i < b->nitems && rc == CLI_EXIT_OK; i++) {
        const item_t *it = &b->items[i];
        if (!it->ev) {
            b->not_sent++;
            rc = print_line(app, it, text_not_sent(app), it->field, it->reason);
            continue;
        }
        const Riskline__V1__EventAck *a = acks->acks[k++];
        const char *status = status_name(a->status);
        if (a->status == RISKLINE__V1__ACK_STATUS__ACK_STATUS_ACCEPTED) {
            b->accepted++;
            rc = print_line(app, it, status, NULL, NULL);
        } else if (a->status == RISKLINE__V1__ACK_STATUS__ACK_STATUS_DUPLICATE) {
            b->duplicate++;
            rc = print_line(app, it, status, NULL, NULL);
        } else {
            b->rejected++;
            rc = print_line(app, it, status, own_field(a->field),
                            a->reason && a->reason[0] ? a->reason : "no reason given");
        }
    }
    fflush(app->out); /* a stream piped in sees its acks as they come */
    b->nitems = b->nevents = b->bytes = 0;
    rl_arena_reset(b->arena);
    return rc;
}

static int batch_exit(const batch_t *b)
{
    return b->rejected || b->not_sent ? CLI_EXIT_REJECTED : CLI_EXIT_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* JSON lines from a file descriptor, each bounded                                             */

typedef struct {
    int fd;
    char *buf;
    size_t off, len, cap;
    int eof;
} reader_t;

/* 1 when a whole line is buffered, or the descriptor has data (or its end) to read now. */
static int reader_ready(const reader_t *r)
{
    if (r->eof || memchr(r->buf + r->off, '\n', r->len - r->off))
        return 1;
    struct pollfd p = {r->fd, POLLIN, 0};
    return poll(&p, 1, 0) > 0;
}

/* Next line (without its '\n') in *line and *n. 1 a line, 0 end of input, -1 read error (errno).
 * A line over LINE_MAX_BYTES is skipped to its end and returned with *too_long set. */
static int reader_next(reader_t *r, const char **line, size_t *n, int *too_long)
{
    *too_long = 0;
    for (;;) {
        char *nl = memchr(r->buf + r->off, '\n', r->len - r->off);
        if (nl) {
            *line = r->buf + r->off;
            *n = (size_t)(nl - *line);
            r->off = (size_t)(nl - r->buf) + 1;
            return 1;
        }
        if (r->eof) {
            if (r->off == r->len)
                return *too_long ? 1 : 0;
            *line = r->buf + r->off;
            *n = r->len - r->off;
            r->off = r->len;
            return 1;
        }
        if (r->len - r->off > LINE_MAX_BYTES) { /* too long: drop what we have, keep reading */
            *too_long = 1;
            r->off = r->len = 0;
        }
        if (r->off) {
            memmove(r->buf, r->buf + r->off, r->len - r->off);
            r->len -= r->off;
            r->off = 0;
        }
        ssize_t got = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -1;
        if (got == 0)
            r->eof = 1;
        r->len += (size_t)got;
        if (*too_long) { /* still inside the long line: skip to its end */
            char *end = memchr(r->buf, '\n', r->len);
            if (end) {
                r->off = (size_t)(end - r->buf) + 1;
                *line = "";
                *n = 0;
                return 1;
            }
            r->len = 0;
            if (r->eof) {
                *line = "";
                *n = 0;
                return 1;
            }
        }
    }
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r", s[i]))
            return 0;
    return 1;
}

static int too_long_line(batch_t *b, size_t lineno)
{
    char msg[96];
    snprintf(msg, sizeof msg, "the line is over %d bytes: one JSON event per line", LINE_MAX_BYTES);
    return add_item(b, lineno, NULL, 0, "", msg);
}

/* One line of JSON into the batch (a parsed event, or why it is not sent); sends the batch
 * first when the event does not fit in it. */
static int take_line(batch_t *b, rl_arena_t *scratch, size_t lineno, const char *line, size_t n)
{
    rl_error_t err;
    rl_error_clear(&err);
    Riskline__V1__RiskEvent *ev = NULL;
    if (n && line[n - 1] == '\r')
        n--;
    if (lineno == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) { /* a UTF-8 byte order mark */
        line += 3;
        n -= 3;
    }
    rl_arena_reset(scratch);
    if (n > LINE_MAX_BYTES)
        return too_long_line(b, lineno);
    if (rl_riskevent_from_json(line, n, scratch, &ev, &err) != RL_OK) {
        if (err.code == RL_ERR_INTERNAL)
            return cli_fail(b->app, &err);
        if (err.field[0])
            return add_item(b, lineno, NULL, 0, err.field, err.message);
        char msg[sizeof err.message + 16];
        snprintf(msg, sizeof msg, "the line %s", err.message);
        return add_item(b, lineno, NULL, 0, "", msg);
    }
    size_t len = 0;
    uint8_t *bytes = rl_codec_pack(&ev->base, scratch, &len);
    if (!bytes)
        return cli_oom(b->app);
    size_t cost = len + EVENT_OVERHEAD;
    if (cost > BATCH_BUDGET) {
        char msg[96];
        snprintf(msg, sizeof msg, "the event is %zu bytes, over the request limit of %d", len, BATCH_BUDGET);
        return add_item(b, lineno, NULL, 0, "", msg);
    }
    int rc = CLI_EXIT_OK;
    if (b->nevents == RL_MAX_BATCH || b->bytes + cost > BATCH_BUDGET)
        rc = flush(b);
    if (rc != CLI_EXIT_OK)
        return rc;
    /* the batch keeps its own copy: the scratch arena is reused by the next line */
    Riskline__V1__RiskEvent *copy = riskline__v1__risk_event__unpack(rl_arena_pb(b->arena), len, bytes);
    if (!copy)
        return cli_oom(b->app);
    return add_item(b, lineno, copy, cost, NULL, NULL);
}

static int send_file(cli_app_t *app, batch_t *b, const char *path)
{
    int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cli_usage(app, "--file", "cannot open '%.200s': %s", path, strerror(errno));
    reader_t r = {fd, rl_arena_alloc(app->arena, LINE_MAX_BYTES + READ_CHUNK + 1), 0, 0,
                  LINE_MAX_BYTES + READ_CHUNK, 0};
    rl_arena_t *scratch = rl_arena_new(0);
    int rc = !r.buf || !scratch ? cli_oom(app) : CLI_EXIT_OK;
    size_t lineno = 0;
    while (rc == CLI_EXIT_OK) {
        /* the input pauses: what we have goes now */
        if (b->nitems && !reader_ready(&r) && (rc = flush(b)) != CLI_EXIT_OK)
            break;
        const char *line;
        size_t n;
        int too_long;
        int got = reader_next(&r, &line, &n, &too_long);
        if (got < 0) {
            rl_error_t err;
            rl_error_set(&err, RL_ERR_INVALID, "--file", "cannot read '%.200s' after line %zu: %s", path, lineno,
                         strerror(errno));
            if ((rc = flush(b)) == CLI_EXIT_OK)
                rc = cli_fail(app, &err);
            break;
        }
        if (got == 0)
            break;
        lineno++;
        if (too_long)
            rc = too_long_line(b, lineno);
        else if (!blank(line, n))
            rc = take_line(b, scratch, lineno, line, n);
        if (rc == CLI_EXIT_OK && b->nitems == ITEM_CAP)
            rc = flush(b);
    }
    if (rc == CLI_EXIT_OK && b->nitems)
        rc = flush(b);
    rl_arena_destroy(&scratch);
    if (fd != 0)
        close(fd);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (!app->json)
        fprintf(app->out, "%zu event%s sent: %zu accepted, %zu duplicate, %zu rejected; %zu line%s %s\n",
                b->accepted + b->duplicate + b->rejected, b->accepted + b->duplicate + b->rejected == 1 ? "" : "s",
                b->accepted, b->duplicate, b->rejected, b->not_sent, b->not_sent == 1 ? "" : "s", text_not_sent(app));
    return batch_exit(b);
}

/* ------------------------------------------------------------------------------------------ */
/* one event from options                                                                      */

static int strings_opt(cli_app_t *app, const cli_args_t *a, const char *name, char ***out, size_t *n)
{
    const char *const *v = cli_args_all(a, name, n);
    if (!*n)
        return CLI_EXIT_OK;
    *out = rl_arena_alloc(app->arena, *n * sizeof **out);
    if (!*out)
        return cli_oom(app);
    for (size_t i = 0; i < *n; i++)
        (*out)[i] = (char *)v[i];
    return CLI_EXIT_OK;
}

static int event_from_options(cli_app_t *app, const cli_args_t *a, Riskline__V1__RiskEvent **out)
{
    static const char *const required[] = {"source", "id", "kind", "severity", "summary"};
    for (size_t i = 0; i < N(required); i++)
        if (!cli_args_get(a, required[i]))
            return cli_usage(app, "", "missing required option --%s (or --file for JSON lines)", required[i]);
    Riskline__V1__RiskEvent *e = rl_arena_alloc(app->arena, sizeof *e);
    if (!e)
        return cli_oom(app);
    riskline__v1__risk_event__init(e);
    e->source = (char *)cli_args_get(a, "source");
    e->event_id = (char *)cli_args_get(a, "id");
    e->summary = (char *)cli_args_get(a, "summary");
    int k = rl_riskevent_kind_parse(cli_args_get(a, "kind"));
    if (k < 0)
        return cli_usage(app, "--kind", "unknown kind '%.40s' (%s)", cli_args_get(a, "kind"),
                         rl_riskevent_kind_list());
    e->kind = (Riskline__V1__EventKind)k;
    int s = rl_riskevent_severity_parse(cli_args_get(a, "severity"));
    if (s < 0)
        return cli_usage(app, "--severity", "unknown severity '%.40s' (%s)", cli_args_get(a, "severity"),
                         rl_riskevent_severity_list());
    e->severity = (Riskline__V1__Severity)s;
    const char *at = cli_args_get(a, "occurred-at");
    if (at) {
        if (rl_ts_parse(at, &e->occurred_at_ms) != 0 || e->occurred_at_ms <= 0)
            return cli_usage(app, "--occurred-at", "'%.40s' is not a timestamp like 2026-11-26T10:00:00Z", at);
    } else {
        rl_clock_t clock = rl_clock_system();
        e->occurred_at_ms = rl_clock_now(&clock);
    }
    int rc;
    if ((rc = strings_opt(app, a, "risk", &e->risk_ids, &e->n_risk_ids)) != CLI_EXIT_OK ||
        (rc = strings_opt(app, a, "asset", &e->assets, &e->n_assets)) != CLI_EXIT_OK ||
        (rc = strings_opt(app, a, "control", &e->controls, &e->n_controls)) != CLI_EXIT_OK)
        return rc;
    size_t nattr;
    const char *const *attrs = cli_args_all(a, "attr", &nattr);
    if (nattr) {
        e->attributes = rl_arena_alloc(app->arena, nattr * sizeof *e->attributes);
        if (!e->attributes)
            return cli_oom(app);
        for (size_t i = 0; i < nattr; i++) {
            const char *eq = strchr(attrs[i], '=');
            if (!eq || eq == attrs[i])
                return cli_usage(app, "--attr", "'%.40s' is not KEY=VALUE", attrs[i]);
            Riskline__V1__Attribute *at_ = rl_arena_alloc(app->arena, sizeof *at_);
            if (!at_)
                return cli_oom(app);
            riskline__v1__attribute__init(at_);
            at_->key = rl_arena_strndup(app->arena, attrs[i], (size_t)(eq - attrs[i]));
            at_->value = (char *)eq + 1;
            if (!at_->key)
                return cli_oom(app);
            e->attributes[e->n_attributes++] = at_;
        }
    }
    const char *v = cli_args_get(a, "value");
    if (v) {
        char *end = NULL;
        errno = 0;
        double d = strtod(v, &end);
        if (!v[0] || !end || *end || errno == ERANGE || !isfinite(d) || strspn(v, "0123456789.-+eE") != strlen(v))
            return cli_usage(app, "--value", "'%.40s' is not a number", v);
        e->value = d;
        e->measurement_case = RISKLINE__V1__RISK_EVENT__MEASUREMENT_VALUE;
    }
    *out = e;
    return CLI_EXIT_OK;
}

static int cmd_send(cli_app_t *app, const cli_args_t *a)
{
    const char *file = cli_args_get(a, "file");
    if (file) {
        for (size_t i = 0; i < N(send_opts); i++)
            if (strcmp(send_opts[i].name, "file") != 0 && cli_args_count(a, send_opts[i].name))
                return cli_usage(app, "--file", "reads every event from the file: --%s goes in its lines",
                                 send_opts[i].name);
        if (!file[0])
            return cli_usage(app, "--file", "empty path (use '-' for stdin)");
    }
    batch_t b;
    memset(&b, 0, sizeof b);
    b.app = app;
    b.arena = rl_arena_new(0);
    b.items = rl_arena_alloc(app->arena, ITEM_CAP * sizeof *b.items);
    if (!b.arena || !b.items) {
        rl_arena_destroy(&b.arena);
        return cli_oom(app);
    }
    int rc;
    if (file) {
        rc = send_file(app, &b, file);
    } else {
        Riskline__V1__RiskEvent *e = NULL;
        rc = event_from_options(app, a, &e);
        if (rc == CLI_EXIT_OK)
            rc = add_item(&b, 0, e, 0, NULL, NULL);
        if (rc == CLI_EXIT_OK)
            rc = flush(&b);
        if (rc == CLI_EXIT_OK)
            rc = batch_exit(&b);
    }
    rl_arena_destroy(&b.arena);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* monitor status                                                                             */

static int source_cmp(const void *x, const void *y)
{
    const Riskline__V1__SourceCount *a = *(Riskline__V1__SourceCount *const *)x;
    const Riskline__V1__SourceCount *b = *(Riskline__V1__SourceCount *const *)y;
    return strcmp(a->source ? a->source : "", b->source ? b->source : "");
}

static int cmd_status(cli_app_t *app, const cli_args_t *a)
{
    (void)a;
    Riskline__V1__MonitorStatusGet *g = rl_arena_alloc(app->arena, sizeof *g);
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    if (!g || !req)
        return cli_oom(app);
    riskline__v1__monitor_status_get__init(g);
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_MONITOR_STATUS_GET;
    req->monitor_status_get = g;
    int rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_MONITOR_STATUS, &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    Riskline__V1__MonitorStatus *st = reply->monitor_status;
    for (size_t i = 0; i < st->n_sources; i++)
        if (!st->sources[i]) {
            rl_error_t err;
            rl_error_set(&err, RL_ERR_MALFORMED, "sources", "the monitor replied with an empty source");
            return cli_fail(app, &err);
        }
    if (st->n_sources > 1)
        qsort(st->sources, st->n_sources, sizeof *st->sources, source_cmp);
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&st->base));
    static const char *const head[] = {"SOURCE", "ACCEPTED", "DUPLICATE", "REJECTED", "UNLINKED"};
    size_t n = st->n_sources;
    uint64_t total[4] = {0, 0, 0, 0};
    if (n) {
        char **c = rl_arena_alloc(app->arena, n * N(head) * sizeof *c);
        if (!c)
            return cli_oom(app);
        for (size_t i = 0; i < n; i++) {
            const Riskline__V1__SourceCount *s = st->sources[i];
            char **row = c + i * N(head);
            row[0] = cli_out_cell(app->arena, s->source, CELL_SOURCE);
            row[1] = rl_arena_printf(app->arena, "%" PRIu64, s->accepted);
            row[2] = rl_arena_printf(app->arena, "%" PRIu64, s->duplicate);
            row[3] = rl_arena_printf(app->arena, "%" PRIu64, s->rejected);
            row[4] = rl_arena_printf(app->arena, "%" PRIu64, s->unlinked);
            for (size_t j = 0; j < N(head); j++)
                if (!row[j])
                    return cli_oom(app);
            total[0] += s->accepted;
            total[1] += s->duplicate;
            total[2] += s->rejected;
            total[3] += s->unlinked;
        }
        cli_out_table(app->out, head, N(head), c, n);
    }
    FILE *f = app->out;
    fprintf(f, "%zu source%s: %" PRIu64 " accepted, %" PRIu64 " duplicate, %" PRIu64 " rejected; %" PRIu64
               " matched no risk (unlinked)\n",
            n, n == 1 ? "" : "s", total[0], total[1], total[2], total[3]);
    char ts[RL_TS_LEN];
    /* the lag is in stream entries: an ingestion batch of events is one entry */
    char lag[32];
    snprintf(lag, sizeof lag, "%" PRIu64, st->stream_lag);
    fprintf(f,
            "alerts open: %" PRIu64 "\nstream lag:  %s entries unread, %" PRIu64 " pending (log: %" PRIu64
            " entries)\ncontrol tests no metric took: %" PRIu64 "\nlast sweep:  %s\n",
            st->alerts_open, st->stream_lag_unknown ? "unknown" : lag, st->stream_pending, st->stream_length,
            st->control_tests_unmeasured,
            st->last_sweep_ms > 0 ? rl_ts_format(st->last_sweep_ms, ts) : "never");
    return CLI_EXIT_OK;
}

#define MONITOR "monitor"

static const cli_cmd_t event_commands[] = {
    {"event", "send", send_opts, N(send_opts), 0, 0, NULL, send_usage, cmd_send, MONITOR},
};

static const cli_cmd_t monitor_commands[] = {
    {"monitor", "status", NULL, 0, 0, 0, NULL, status_usage, cmd_status, MONITOR},
};

const cli_cmd_t *cli_event_commands(size_t *n)
{
    *n = N(event_commands);
    return event_commands;
}

const cli_cmd_t *cli_monitor_commands(size_t *n)
{
    *n = N(monitor_commands);
    return monitor_commands;
}
