/* cli_watch.c: `riskline watch`: the tenant's updates live from the report's publisher, after a
 * catch-up from a sequence, without gaps or duplicates (rules in cli_watch_seq.h), resumable. */
#include "cli_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli_output.h"
#include "cli_watch_seq.h"
#include "riskline/v1/monitor.pb-c.h"
#include "riskline/v1/report.pb-c.h"
#include "riskline/v1/treatment.pb-c.h"
#include "rl_clock.h"
#include "rl_json.h"
#include "rl_limits.h"
#include "rl_secure.h"
#include "rl_time.h"

#define PAGE 500
#define MAX_KINDS 16
/* A quiet watcher asks for what came after its position this often: a dropped last update of a
 * burst has no successor whose previous_sequence would reveal it. */
#define IDLE_CHECK_MS 5000
#define RECV_WAIT_MS 500

static const char watch_usage[] =
    "usage: riskline [global options] watch [--kind K]... [--since SEQ] [--state FILE]\n"
    "\n"
    "Prints the tenant's updates as they happen: every change of a risk, plan, milestone,\n"
    "acceptance, control, metric or alert, one line each:\n"
    "\n"
    "  SEQUENCE  TIME  EVENT  ENTITY  ACTOR\n"
    "\n"
    "SEQUENCE is the update's position in the tenant's stream (it rises, with gaps). With --since\n"
    "or --state the updates after that sequence are printed first (from the report service's\n"
    "RISKLINE_REPORT_ENDPOINT, default tcp://127.0.0.1:7104), then the live ones (from its\n"
    "publisher, RISKLINE_REPORT_PUB_ENDPOINT, default tcp://127.0.0.1:7105); an update the\n"
    "publisher did not deliver is fetched again, none is printed twice. Without either, it starts\n"
    "with the next change. Ctrl-C (or SIGTERM) stops it with exit 0.\n"
    "\n"
    "Options:\n"
    "  --kind K       only updates of kind K (risk, plan, milestone, acceptance, control, metric,\n"
    "                 alert, criteria, ...); repeat for several\n"
    "  --since SEQ    start after sequence SEQ (0: the tenant's whole history)\n"
    "  --state FILE   resume from the sequence saved in FILE (when it exists) and keep saving the\n"
    "                 last one accounted for there (atomically), so a restarted watch continues\n"
    "                 with no gap and no repeat; --since overrides the saved sequence\n"
    "  --json         one JSON object per line: sequence and previous_sequence as strings (exact\n"
    "                 64-bit), the entity decoded when its type is known\n"
    "  --help         this help\n";

static const cli_opt_t watch_opts[] = {
    {"kind", CLI_OPT_MULTI},
    {"since", CLI_OPT_VALUE},
    {"state", CLI_OPT_VALUE},
};

/* Set by SIGINT/SIGTERM: the one mutable global of the CLI, as a signal handler needs. */
static volatile sig_atomic_t watch_stop = 0;

static void on_signal(int sig)
{
    (void)sig;
    watch_stop = 1;
}

typedef struct {
    cli_app_t *app;
    rl_bus_sub_t *sub;
    rl_arena_t *scratch;        /* one update, or one catch-up page */
    const char *const *kinds;
    size_t nkinds;
    const char *state;          /* --state FILE, or NULL */
    int known;                  /* pos is set */
    uint64_t pos;               /* every update up to here is accounted for */
} watch_t;

/* --- output --- */

static const ProtobufCMessageDescriptor *entity_descriptor(const char *type)
{
    static const struct {
        const char *type;
        const ProtobufCMessageDescriptor *d;
    } types[] = {
        {"risk", &riskline__v1__risk__descriptor},         {"criteria", &riskline__v1__criteria__descriptor},
        {"plan", &riskline__v1__plan__descriptor},         {"control", &riskline__v1__control__descriptor},
        {"acceptance", &riskline__v1__acceptance__descriptor}, {"metric", &riskline__v1__metric__descriptor},
        {"alert", &riskline__v1__alert__descriptor},
    };
    for (size_t i = 0; type && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(types[i].type, type))
            return types[i].d;
    return NULL;
}

/* Replaces j's number `key` by the exact decimal string of v (JSON numbers lose 64-bit precision). */
static int exact_u64(cJSON *j, const char *key, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    cJSON *s = cJSON_CreateString(buf);
    if (!s)
        return -1;
    if (!cJSON_ReplaceItemInObject(j, key, s)) {
        cJSON_Delete(s);
        return -1;
    }
    return 0;
}

static cJSON *update_json(watch_t *w, const Riskline__V1__Update *u)
{
    cJSON *j = rl_json_from_message(&u->base);
    if (!j || exact_u64(j, "sequence", u->sequence) || exact_u64(j, "previous_sequence", u->previous_sequence))
        goto fail;
    char ts[RL_TS_LEN];
    if (!cJSON_AddStringToObject(j, "at", rl_ts_format(u->at_ms, ts)))
        goto fail;
    const ProtobufCMessageDescriptor *d = entity_descriptor(u->entity_type);
    if (d && u->entity.len) {
        /* a type we know is shown as JSON; what does not decode stays base64 */
        const ProtobufCMessage *m = rl_codec_unpack(d, u->entity.data, u->entity.len, RL_MAX_REPLY_BYTES, w->scratch);
        cJSON *e = m ? rl_json_from_message(m) : NULL;
        if (e && !cJSON_ReplaceItemInObject(j, "entity", e)) {
            cJSON_Delete(e);
            goto fail;
        }
    }
    return j;
fail:
    cJSON_Delete(j);
    return NULL;
}

static int print_update(watch_t *w, const Riskline__V1__Update *u)
{
    FILE *f = w->app->out;
    if (w->app->json) {
        cJSON *j = update_json(w, u);
        char *text = j ? cJSON_PrintUnformatted(j) : NULL;
        cJSON_Delete(j);
        if (!text)
            return cli_oom(w->app);
        fputs(text, f);
        fputc('\n', f);
        cJSON_free(text);
    } else {
        char ts[RL_TS_LEN];
        fprintf(f, "%" PRIu64 "  %s  ", u->sequence, rl_ts_format(u->at_ms, ts));
        cli_out_text(f, u->event && u->event[0] ? u->event : "-", 0);
        fputs("  ", f);
        cli_out_text(f, u->entity_id && u->entity_id[0] ? u->entity_id : "-", 0);
        fputs("  ", f);
        cli_out_text(f, u->actor && u->actor[0] ? u->actor : "-", 0);
        fputc('\n', f);
    }
    /* a pipe or a file sees each update as it comes */
    if (fflush(f) != 0) {
        rl_error_t err;
        rl_error_set(&err, RL_ERR_INTERNAL, "", "cannot write the output: %s", strerror(errno));
        return cli_fail(w->app, &err);
    }
    return CLI_EXIT_OK;
}

/* --- the state file: the position, written to a temp file, synced, renamed over the old one --- */

static int state_fail(watch_t *w, const char *what)
{
    rl_error_t err;
    rl_error_set(&err, RL_ERR_INVALID, "--state", "%s %.300s: %s", what, w->state, strerror(errno));
    return cli_fail(w->app, &err);
}

static int state_save(watch_t *w)
{
    if (!w->state || !w->known)
        return CLI_EXIT_OK;
    char tmp[1100], text[24];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", w->state) >= (int)sizeof tmp)
        return cli_usage(w->app, "--state", "path too long");
    int n = snprintf(text, sizeof text, "%" PRIu64 "\n", w->pos);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return state_fail(w, "cannot write");
    /* synced before the rename: after a crash the file holds the old position or the new one */
    int ok = write(fd, text, (size_t)n) == n && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, w->state) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return state_fail(w, "cannot write");
    }
    return CLI_EXIT_OK;
}

/* Reads the saved position when the file exists. */
static int state_load(watch_t *w)
{
    FILE *f = fopen(w->state, "r");
    if (!f)
        return errno == ENOENT ? CLI_EXIT_OK : state_fail(w, "cannot read");
    char text[64];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    if (cli_watch_parse_seq(text, n, &w->pos) != 0)
        return cli_usage(w->app, "--state", "%.300s does not hold a sequence (one decimal number); remove it "
                                            "or give --since", w->state);
    w->known = 1;
    return CLI_EXIT_OK;
}

/* --- catch-up --- */

/* One UpdatesAfter; the reply lives in w->scratch until the next call (the run's arena is swapped
 * out for the call, so a long catch-up never accumulates). */
static int read_page(watch_t *w, uint64_t after, uint32_t limit, const Riskline__V1__UpdatePage **out)
{
    cli_app_t *app = w->app;
    rl_arena_t *run_arena = app->arena;
    rl_arena_reset(w->scratch);
    app->arena = w->scratch;
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    Riskline__V1__UpdatesAfter *q = rl_arena_alloc(w->scratch, sizeof *q);
    int rc;
    if (!req || !q) {
        rc = cli_oom(app);
        goto cleanup;
    }
    riskline__v1__updates_after__init(q);
    q->after_sequence = after;
    q->limit = limit;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_UPDATES_AFTER;
    req->updates_after = q;
    if ((rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_UPDATE_PAGE, &reply)) != CLI_EXIT_OK)
        goto cleanup;
    if (!reply->update_page) {
        rl_error_t err;
        rl_error_set(&err, RL_ERR_MALFORMED, "update_page", "the service replied without a page");
        rc = cli_fail(app, &err);
        goto cleanup;
    }
    *out = reply->update_page;
cleanup:
    app->arena = run_arena;
    return rc;
}

/* Prints every update after pos, page by page, in order, and moves pos to the end of the stream. */
static int catch_up(watch_t *w)
{
    for (;;) {
        const Riskline__V1__UpdatePage *page;
        int rc = read_page(w, w->pos, PAGE, &page);
        if (rc != CLI_EXIT_OK)
            return rc;
        uint64_t before = w->pos;
        for (size_t i = 0; i < page->n_updates; i++) {
            const Riskline__V1__Update *u = page->updates[i];
            if (u->sequence <= w->pos || strcmp(u->tenant ? u->tenant : "", w->app->tenant))
                continue;
            if (cli_watch_kind_selected(w->kinds, w->nkinds, u->kind ? u->kind : "") &&
                (rc = print_update(w, u)) != CLI_EXIT_OK)
                return rc;
            w->pos = u->sequence;
        }
        /* entries that are not updates (undecodable) are passed over too */
        if (page->next_sequence > w->pos)
            w->pos = page->next_sequence;
        if ((rc = state_save(w)) != CLI_EXIT_OK)
            return rc;
        if (!page->more || w->pos == before || watch_stop)
            return CLI_EXIT_OK;
    }
}

/* --- live --- */

static int on_live(watch_t *w, const rl_bus_sub_msg_t *m)
{
    Riskline__V1__Update *u =
        rl_codec_unpack(&riskline__v1__update__descriptor, m->body, m->len, RL_MAX_REPLY_BYTES, w->scratch);
    size_t tl = strlen(w->app->tenant);
    /* what is not an update of our tenant is not ours to print (the publisher checks topics) */
    if (!u || !u->tenant || strcmp(u->tenant, w->app->tenant) || strncmp(m->topic, w->app->tenant, tl) ||
        m->topic[tl] != '.')
        return CLI_EXIT_OK;
    int rc = CLI_EXIT_OK;
    switch (cli_watch_decide(w->known, w->pos, u->sequence, u->previous_sequence)) {
    case CLI_WATCH_DROP:
        return CLI_EXIT_OK;
    case CLI_WATCH_CATCH_UP:
        /* the stream holds u and everything missed before it: the catch-up prints them in order */
        return catch_up(w);
    case CLI_WATCH_PRINT:
        if (cli_watch_kind_selected(w->kinds, w->nkinds, u->kind ? u->kind : ""))
            rc = print_update(w, u);
        w->pos = u->sequence;
        w->known = 1;
        return rc == CLI_EXIT_OK ? state_save(w) : rc;
    }
    return CLI_EXIT_OK;
}

/* Waits for the first handshake with the publisher (or its refusal). */
static int await_connected(watch_t *w, const char *endpoint)
{
    int64_t deadline = rl_mono_ms() + w->app->cfg.timeout_ms;
    rl_error_t err;
    rl_error_clear(&err);
    while (!watch_stop) {
        int64_t left = deadline - rl_mono_ms();
        if (left <= 0) {
            rl_error_set(&err, RL_ERR_UNAVAILABLE, "RISKLINE_REPORT_PUB_ENDPOINT",
                         "no connection to the report's publisher at %.200s within %d ms (is riskline-report "
                         "running, and is report.pub its key?)",
                         endpoint, w->app->cfg.timeout_ms);
            return cli_fail(w->app, &err);
        }
        rl_bus_sub_msg_t m;
        rl_arena_reset(w->scratch);
        if (rl_bus_sub_recv(w->sub, (int)left, w->scratch, &m, &err) != RL_OK)
            return cli_fail(w->app, &err);
        if (m.event == RL_BUS_SUB_CONNECTED)
            return CLI_EXIT_OK;
    }
    return CLI_EXIT_OK;
}

static int watch_loop(watch_t *w)
{
    int64_t last = rl_mono_ms();
    int up = 1;  /* connected to the publisher: while it is away, so is its ROUTER; no idle check */
    rl_error_t err;
    rl_error_clear(&err);
    while (!watch_stop) {
        rl_bus_sub_msg_t m;
        rl_arena_reset(w->scratch);
        if (rl_bus_sub_recv(w->sub, RECV_WAIT_MS, w->scratch, &m, &err) != RL_OK)
            return cli_fail(w->app, &err);
        int rc = CLI_EXIT_OK;
        if (m.event == RL_BUS_SUB_DISCONNECTED)
            up = 0;
        if (m.event == RL_BUS_SUB_CONNECTED)
            up = 1;
        if (m.event == RL_BUS_SUB_MESSAGE) {
            rc = on_live(w, &m);
            last = rl_mono_ms();
        } else if (w->known && up && (m.event == RL_BUS_SUB_CONNECTED || rl_mono_ms() - last >= IDLE_CHECK_MS)) {
            /* reconnected (a restarted publisher never sends what it missed), or quiet for a while */
            rc = catch_up(w);
            last = rl_mono_ms();
        }
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    return CLI_EXIT_OK;
}

static int cmd_watch(cli_app_t *app, const cli_args_t *a)
{
    watch_t w = {.app = app, .state = cli_args_get(a, "state")};
    rl_error_t err;
    rl_error_clear(&err);
    w.kinds = cli_args_all(a, "kind", &w.nkinds);
    if (w.nkinds > MAX_KINDS)
        return cli_usage(app, "--kind", "at most %d kinds", MAX_KINDS);
    for (size_t i = 0; i < w.nkinds; i++)
        if (!cli_watch_kind_valid(w.kinds[i]))
            return cli_usage(app, "--kind", "'%.40s' is not a kind: 1..31 of a-z and _ (risk, plan, milestone, ...)",
                             w.kinds[i]);
    if (w.state && !w.state[0])
        return cli_usage(app, "--state", "empty file name");
    int rc = w.state ? state_load(&w) : CLI_EXIT_OK;
    if (rc != CLI_EXIT_OK)
        return rc;
    /* sequences use all 64 bits (ms << 20): the CLI's number parser stops at 2^53 */
    const char *since = cli_args_get(a, "since");
    if (since && cli_watch_parse_seq(since, strlen(since), &w.pos) != 0)
        return cli_usage(app, "--since", "expected a sequence (decimal, 0..18446744073709551615), got '%.40s'", since);
    if (since)
        w.known = 1;
    rl_bus_client_keys_t keys;
    int plaintext = 0;
    if (rl_secure_client_keys(&app->cfg, "report", &keys, &plaintext, &err) != RL_OK)
        return cli_fail(app, &err);
    if (!app->bus)
        app->bus = rl_bus_new(NULL);
    w.scratch = rl_arena_new(0);
    if (!app->bus || !w.scratch) {
        memset(&keys, 0, sizeof keys);
        rl_arena_destroy(&w.scratch);
        return cli_oom(app);
    }
    const char *pub = app->cfg.report_pub_endpoint;
    w.sub = rl_bus_sub_new(app->bus, pub, plaintext ? NULL : &keys, RL_MAX_REPLY_BYTES, &err);
    memset(&keys, 0, sizeof keys);
    if (!w.sub) {
        rc = cli_fail(app, &err);
        goto cleanup;
    }
    /* subscribe before the catch-up: what is published meanwhile arrives live, and what both
     * deliver is printed once */
    for (size_t i = 0; i < (w.nkinds ? w.nkinds : 1); i++) {
        char topic[80];
        snprintf(topic, sizeof topic, "%s.%s", app->tenant, w.nkinds ? w.kinds[i] : "");
        if (rl_bus_sub_subscribe(w.sub, topic) != 0) {
            rc = cli_oom(app);
            goto cleanup;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;  /* no SA_RESTART: the wait returns at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if ((rc = await_connected(&w, pub)) != CLI_EXIT_OK)
        goto cleanup;
    if (w.known) {
        rc = catch_up(&w);
    } else {
        /* no position: start with the next change. One request still checks, before anything is
         * awaited, that the key may read this tenant (the publisher refuses a foreign topic
         * silently): the updates after the highest sequence there is, none. */
        const Riskline__V1__UpdatePage *page;
        rc = read_page(&w, UINT64_MAX, 1, &page);
    }
    if (rc == CLI_EXIT_OK)
        rc = watch_loop(&w);
cleanup:
    rl_bus_sub_destroy(&w.sub);
    rl_arena_destroy(&w.scratch);
    return rc;
}

static const cli_cmd_t watch = {
    NULL, "watch", watch_opts, sizeof watch_opts / sizeof watch_opts[0], 0, 0, NULL, watch_usage, cmd_watch,
    "report",
};

const cli_cmd_t *cli_watch_command(void)
{
    return &watch;
}
