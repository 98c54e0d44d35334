/* test_integ_register.c: the register against a real Redis, through the CLI and raw frames:
 * lifecycle, history, conflicts, criteria, idempotent retries, restarts, CLI exit codes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "harness.h"
#include "harness_msg.h"

#define OK 0
#define INVALID RISKLINE__V1__CODE__CODE_INVALID_ARGUMENT
#define NOT_FOUND RISKLINE__V1__CODE__CODE_NOT_FOUND
#define CONFLICT RISKLINE__V1__CODE__CODE_CONFLICT
#define UNAVAILABLE RISKLINE__V1__CODE__CODE_UNAVAILABLE

static int setup(void **state)
{
    *state = harness_new();
    return 0;
}

static int teardown(void **state)
{
    harness_t *h = *state;
    /* every test ends with a clean SIGTERM exit of the register */
    int st = h && h->register_pid > 0 ? harness_register_stop(h) : 0;
    harness_destroy(&h);
    if (st != 0) {
        print_error("riskline-register did not exit 0 within 5 s of SIGTERM (status %d)\n", st);
        return -1;
    }
    return 0;
}

static void free_reply(harness_env_t *r)
{
    if (r)
        riskline__v1__envelope__free_unpacked(r, NULL);
}

/* Creates a risk through raw frames and returns its id (static ring buffer). */
static const char *create_raw(harness_t *h, const char *title, const char *owner, unsigned l, unsigned i)
{
    static char ids[16][32];
    static unsigned next;
    harness_risk_in_t in;
    harness_risk_init(&in, title, owner, l, i);
    harness_env_t *r = harness_create(h, &in.risk, NULL);
    const harness_risk_t *risk = harness_reply_risk(r);
    if (!risk)
        fail_msg("create %s: %s", title, harness_reply_text(r));
    char *buf = ids[next++ % 16];
    snprintf(buf, 32, "%s", risk->id);
    free_reply(r);
    return buf;
}

static const cJSON *jrisk(const cJSON *j)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "risk");
    if (!cJSON_IsObject(r))
        fail_msg("reply JSON has no \"risk\" object");
    return r;
}

static const cJSON *jarray(const cJSON *j, const char *name)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, name);
    if (!cJSON_IsArray(a))
        fail_msg("reply JSON has no \"%s\" array", name);
    return a;
}

static const cJSON *find_change(const cJSON *event, const char *field)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, jarray(event, "changes"))
    {
        if (strcmp(harness_jstr(c, "field"), field) == 0)
            return c;
    }
    return NULL;
}

/* --- lifecycle through the CLI --- */

static void test_lifecycle_cli(void **state)
{
    harness_t *h = *state;
    harness_run_t r;
    char review90[16], review30[16], review90b[16], review30b[16];
    harness_date_in(90, review90);

    harness_clif(h, &r, "--json", "risk", "add", "--title", "Phishing of finance staff", "--owner", "alice",
                 "--likelihood", "3", "--impact", "4", "--category", "people", "--asset", "mail", "--asset", "erp",
                 "--threat", "credential phishing", "--vulnerability", "no MFA on mail", NULL);
    cJSON *j = harness_json(&r, 0);
    harness_run_free(&r);
    harness_date_in(90, review90b);
    const cJSON *risk = jrisk(j);
    assert_string_equal(harness_jstr(risk, "id"), "R-1");
    assert_int_equal((int)harness_jnum(risk, "version"), 1);
    assert_string_equal(harness_jstr(risk, "title"), "Phishing of finance staff");
    assert_string_equal(harness_jstr(risk, "owner"), "alice");
    assert_string_equal(harness_jstr(risk, "category"), "people");
    assert_int_equal((int)harness_jnum(risk, "inherent_score"), 12);
    assert_string_equal(harness_jstr(risk, "inherent_level"), "high");
    assert_string_equal(harness_jstr(risk, "status"), "identified");
    assert_string_equal(harness_jstr(risk, "created_by"), "local-admin");
    /* high risks are reviewed every 90 days by default */
    const char *nr = harness_jstr(risk, "next_review");
    if (strcmp(nr, review90) != 0 && strcmp(nr, review90b) != 0)
        fail_msg("next_review %s, expected %s", nr, review90);
    const cJSON *assets = jarray(risk, "assets");
    assert_int_equal(cJSON_GetArraySize(assets), 2);
    assert_string_equal(cJSON_GetArrayItem(assets, 0)->valuestring, "mail");
    assert_string_equal(cJSON_GetArrayItem(assets, 1)->valuestring, "erp");
    cJSON_Delete(j);

    /* show: the same risk */
    harness_clif(h, &r, "--json", "risk", "show", "R-1", NULL);
    j = harness_json(&r, 0);
    harness_run_free(&r);
    assert_string_equal(harness_jstr(jrisk(j), "id"), "R-1");
    assert_string_equal(harness_jstr(jrisk(j), "threat"), "credential phishing");
    assert_string_equal(harness_jstr(jrisk(j), "vulnerability"), "no MFA on mail");
    cJSON_Delete(j);

    /* raw get agrees with the CLI */
    harness_env_t *g = harness_get(h, "R-1");
    const harness_risk_t *gr = harness_reply_risk(g);
    assert_non_null(gr);
    assert_int_equal(gr->inherent_score, 12);
    assert_int_equal(gr->inherent_level, RISKLINE__V1__LEVEL__LEVEL_HIGH);
    assert_int_equal(gr->status, RISKLINE__V1__RISK_STATUS__RISK_STATUS_IDENTIFIED);
    assert_int_equal(gr->version, 1);
    assert_true(gr->created_at_ms > 0);
    free_reply(g);

    /* list: JSON and table */
    harness_clif(h, &r, "--json", "risk", "list", NULL);
    j = harness_json(&r, 0);
    harness_run_free(&r);
    assert_int_equal(cJSON_GetArraySize(jarray(j, "risks")), 1);
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(jarray(j, "risks"), 0), "id"), "R-1");
    cJSON_Delete(j);
    harness_clif(h, &r, "risk", "list", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "ID"));
    assert_non_null(strstr(r.out, "TITLE"));
    assert_non_null(strstr(r.out, "LEVEL"));
    assert_non_null(strstr(r.out, "R-1"));
    assert_non_null(strstr(r.out, "alice"));
    assert_non_null(strstr(r.out, "high"));
    harness_run_free(&r);

    /* update: version 2, title and rating changed, review rescheduled for the new level */
    harness_date_in(30, review30b);
    harness_clif(h, &r, "--json", "risk", "update", "R-1", "--title", "Phishing of all staff", "--likelihood", "4",
                 NULL);
    j = harness_json(&r, 0);
    harness_run_free(&r);
    harness_date_in(30, review30);
    risk = jrisk(j);
    assert_string_equal(harness_jstr(risk, "id"), "R-1");
    assert_int_equal((int)harness_jnum(risk, "version"), 2);
    assert_string_equal(harness_jstr(risk, "title"), "Phishing of all staff");
    assert_string_equal(harness_jstr(risk, "owner"), "alice");
    assert_int_equal((int)harness_jnum(risk, "inherent_score"), 16);
    assert_string_equal(harness_jstr(risk, "inherent_level"), "critical");
    assert_string_equal(harness_jstr(risk, "updated_by"), "local-admin");
    nr = harness_jstr(risk, "next_review");
    if (strcmp(nr, review30) != 0 && strcmp(nr, review30b) != 0)
        fail_msg("next_review after update %s, expected %s (critical: 30 days)", nr, review30);
    cJSON_Delete(j);

    /* archive: hidden from the default list, listed with --archived */
    harness_clif(h, &r, "--json", "risk", "archive", "R-1", "--reason", "merged into the awareness risk", NULL);
    j = harness_json(&r, 0);
    harness_run_free(&r);
    assert_true(harness_jbool(jrisk(j), "archived"));
    assert_int_equal((int)harness_jnum(jrisk(j), "version"), 3);
    cJSON_Delete(j);
    harness_clif(h, &r, "--json", "risk", "list", NULL);
    j = harness_json(&r, 0);
    harness_run_free(&r);
    assert_int_equal(cJSON_GetArraySize(jarray(j, "risks")), 0);
    cJSON_Delete(j);
    harness_clif(h, &r, "--json", "risk", "list", "--archived", NULL);
    j = harness_json(&r, 0);
    harness_run_free(&r);
    assert_int_equal(cJSON_GetArraySize(jarray(j, "risks")), 1);
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(jarray(j, "risks"), 0), "id"), "R-1");
    assert_true(harness_jbool(cJSON_GetArrayItem(jarray(j, "risks"), 0), "archived"));
    cJSON_Delete(j);
    /* an archived risk stays readable for audit */
    harness_clif(h, &r, "--json", "risk", "show", "R-1", NULL);
    j = harness_json(&r, 0);
    harness_run_free(&r);
    assert_true(harness_jbool(jrisk(j), "archived"));
    cJSON_Delete(j);

    /* history: oldest first, with the changed fields and the actor */
    harness_clif(h, &r, "--json", "risk", "history", "R-1", NULL);
    j = harness_json(&r, 0);
    harness_run_free(&r);
    const cJSON *events = jarray(j, "events");
    assert_int_equal(cJSON_GetArraySize(events), 3);
    const char *kinds[] = {"risk.created", "risk.updated", "risk.archived"};
    for (int k = 0; k < 3; k++) {
        const cJSON *e = cJSON_GetArrayItem(events, k);
        assert_string_equal(harness_jstr(e, "kind"), kinds[k]);
        assert_string_equal(harness_jstr(e, "actor"), "local-admin");
        assert_string_equal(harness_jstr(e, "entity_id"), "R-1");
        assert_int_equal((int)harness_jnum(e, "version"), k + 1);
    }
    const cJSON *upd = cJSON_GetArrayItem(events, 1);
    const cJSON *ct = find_change(upd, "title");
    assert_non_null(ct);
    assert_non_null(strstr(harness_jstr(ct, "from"), "Phishing of finance staff"));
    assert_non_null(strstr(harness_jstr(ct, "to"), "Phishing of all staff"));
    const cJSON *ci = find_change(upd, "inherent");
    assert_non_null(ci);
    assert_non_null(strstr(harness_jstr(ci, "from"), "3"));
    assert_non_null(strstr(harness_jstr(ci, "to"), "4"));
    assert_null(find_change(upd, "owner"));  /* unchanged fields are not listed */
    assert_non_null(strstr(harness_jstr(cJSON_GetArrayItem(events, 2), "comment"), "merged into the awareness risk"));
    cJSON_Delete(j);

    /* raw history agrees: kinds oldest first */
    harness_env_t *hr = harness_history(h, "R-1", 0, NULL);
    assert_non_null(hr);
    assert_int_equal(hr->body_case, RISKLINE__V1__ENVELOPE__BODY_HISTORY_PAGE);
    assert_int_equal(hr->history_page->n_events, 3);
    assert_string_equal(hr->history_page->events[0]->kind, "risk.created");
    assert_string_equal(hr->history_page->events[2]->kind, "risk.archived");
    free_reply(hr);
}

/* --- CLI exit codes --- */

static void test_cli_exit_codes(void **state)
{
    harness_t *h = *state;
    harness_run_t r;

    harness_clif(h, &r, "ping", NULL);
    assert_int_equal(r.status, 0);
    harness_run_free(&r);

    /* 2: not found, with the documented error line */
    harness_clif(h, &r, "risk", "show", "R-999", NULL);
    if (r.status != 2)
        fail_msg("risk show R-999: exit %d, want 2; stderr %s", r.status, r.err);
    assert_non_null(strstr(r.err, "riskline: not_found:"));
    harness_run_free(&r);

    /* 2: rejected input */
    harness_clif(h, &r, "risk", "add", "--title", "T", "--owner", "o", "--likelihood", "9", "--impact", "1", NULL);
    if (r.status != 2)
        fail_msg("likelihood 9: exit %d, want 2; stderr %s", r.status, r.err);
    assert_non_null(strstr(r.err, "riskline: invalid_argument: risk.inherent"));
    harness_run_free(&r);

    /* 1: usage errors */
    const char *const usage[][4] = {
        {"frobnicate", NULL},
        {"risk", "show", NULL},
        {"risk", "list", "--no-such-option", NULL},
        {"risk", "add", "--likelihood", NULL},
    };
    for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) {
        harness_cli(h, NULL, usage[i], &r);
        if (r.status != 1)
            fail_msg("usage case %zu (%s %s): exit %d, want 1; stderr %s", i, usage[i][0],
                     usage[i][1] ? usage[i][1] : "", r.status, r.err);
        assert_true(r.err_len > 0);
        harness_run_free(&r);
    }

    /* 3: service unavailable (nothing listens on the endpoint) */
    char ep[64];
    snprintf(ep, sizeof ep, "RISKLINE_REGISTER_ENDPOINT=tcp://127.0.0.1:%d", harness_free_port());
    const char *down[] = {ep, "RISKLINE_TIMEOUT_MS=300", "RISKLINE_RETRIES=0", NULL};
    const char *ping[] = {"ping", NULL};
    const char *show[] = {"risk", "show", "R-1", NULL};
    harness_cli(h, down, ping, &r);
    if (r.status != 3)
        fail_msg("ping to a dead endpoint: exit %d, want 3; stderr %s", r.status, r.err);
    harness_run_free(&r);
    harness_cli(h, down, show, &r);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "unavailable"));
    harness_run_free(&r);

    /* 3 also when the register is stopped */
    assert_int_equal(harness_register_stop(h), 0);
    const char *fast[] = {"RISKLINE_TIMEOUT_MS=300", "RISKLINE_RETRIES=0", NULL};
    harness_cli(h, fast, ping, &r);
    assert_int_equal(r.status, 3);
    harness_run_free(&r);
}

/* --- conflicting updates --- */

static void test_update_conflict(void **state)
{
    harness_t *h = *state;
    const char *id = create_raw(h, "Ransomware on file servers", "bob", 3, 5);
    assert_string_equal(id, "R-1");

    /* two writers with the same expected_version, sent before either reply is read */
    harness_risk_in_t pa, pb;
    harness_risk_init(&pa, "Title from writer A", "", 0, 0);
    harness_risk_init(&pb, "Title from writer B", "", 0, 0);
    pa.risk.inherent = pb.risk.inherent = NULL;
    const char *mask[] = {"title", NULL};
    harness_env_t ea, eb;
    Riskline__V1__RiskUpdate ba, bb;
    harness_env_update(&ea, &ba, "R-1", 1, &pa.risk, mask);
    harness_env_update(&eb, &bb, "R-1", 1, &pb.risk, mask);
    void *sa = harness_dealer(h), *sb = harness_dealer(h);
    assert_true(harness_ping(h, 2000));
    assert_int_equal(harness_send_env(h, sa, &ea), 0);
    assert_int_equal(harness_send_env(h, sb, &eb), 0);
    harness_env_t *ra = harness_recv_env(sa, 5000), *rb = harness_recv_env(sb, 5000);
    zmq_close(sa);
    zmq_close(sb);
    assert_non_null(ra);
    assert_non_null(rb);
    int a_ok = harness_code(ra) == OK, b_ok = harness_code(rb) == OK;
    if (a_ok + b_ok != 1)
        fail_msg("exactly one update must win: A %s; B %s", harness_reply_text(ra), harness_reply_text(rb));
    harness_env_t *loser = a_ok ? rb : ra;
    assert_int_equal(harness_code(loser), CONFLICT);
    assert_string_equal(harness_field(loser), "expected_version");
    const char *winner = a_ok ? "Title from writer A" : "Title from writer B";
    assert_int_equal(harness_reply_risk(a_ok ? ra : rb)->version, 2);
    free_reply(ra);
    free_reply(rb);

    harness_env_t *g = harness_get(h, "R-1");
    assert_non_null(harness_reply_risk(g));
    assert_string_equal(harness_reply_risk(g)->title, winner);
    assert_int_equal(harness_reply_risk(g)->version, 2);
    free_reply(g);

    /* the CLI with a stale --version: exit 4 and the documented error line; nothing changes */
    harness_run_t r;
    harness_clif(h, &r, "risk", "update", "R-1", "--version", "1", "--title", "Stale writer", NULL);
    if (r.status != 4)
        fail_msg("stale CLI update: exit %d, want 4; stderr %s", r.status, r.err);
    assert_non_null(strstr(r.err, "riskline: conflict: expected_version"));
    harness_run_free(&r);
    g = harness_get(h, "R-1");
    assert_string_equal(harness_reply_risk(g)->title, winner);
    free_reply(g);

    /* two CLI processes racing on version 2: one exits 0, the other 4; the winner's owner stays */
    const char *u1[] = {"risk", "update", "R-1", "--version", "2", "--owner", "carol", NULL};
    const char *u2[] = {"risk", "update", "R-1", "--version", "2", "--owner", "dave", NULL};
    harness_proc_t *p1 = harness_cli_spawn(h, NULL, u1), *p2 = harness_cli_spawn(h, NULL, u2);
    harness_run_t r1, r2;
    harness_cli_wait(p1, &r1);
    harness_cli_wait(p2, &r2);
    if (!((r1.status == 0 && r2.status == 4) || (r1.status == 4 && r2.status == 0)))
        fail_msg("racing CLI updates: exits %d and %d, want 0 and 4; stderr: %s / %s", r1.status, r2.status, r1.err,
                 r2.err);
    const char *owner = r1.status == 0 ? "carol" : "dave";
    harness_run_free(&r1);
    harness_run_free(&r2);
    g = harness_get(h, "R-1");
    assert_string_equal(harness_reply_risk(g)->owner, owner);
    assert_int_equal(harness_reply_risk(g)->version, 3);
    free_reply(g);
}

/* --- criteria --- */

static Riskline__V1__Level level_of(harness_t *h, const char *id, uint64_t *version)
{
    harness_env_t *g = harness_get(h, id);
    const harness_risk_t *r = harness_reply_risk(g);
    if (!r)
        fail_msg("get %s: %s", id, harness_reply_text(g));
    Riskline__V1__Level l = r->inherent_level;
    if (version)
        *version = r->version;
    free_reply(g);
    return l;
}

static void test_criteria_relevel(void **state)
{
    harness_t *h = *state;
    const char *a = create_raw(h, "Lost laptop", "erin", 2, 2);     /* 4: low */
    const char *b = create_raw(h, "Supplier outage", "erin", 3, 3); /* 9: medium */
    const char *c = create_raw(h, "Insider fraud", "erin", 4, 4);   /* 16: critical */
    assert_int_equal(level_of(h, a, NULL), RISKLINE__V1__LEVEL__LEVEL_LOW);
    assert_int_equal(level_of(h, b, NULL), RISKLINE__V1__LEVEL__LEVEL_MEDIUM);
    assert_int_equal(level_of(h, c, NULL), RISKLINE__V1__LEVEL__LEVEL_CRITICAL);

    harness_env_t *cg = harness_criteria_get(h);
    assert_non_null(cg);
    assert_int_equal(harness_code(cg), OK);
    assert_int_equal(cg->criteria_result->criteria->likelihood_levels, 5);
    assert_int_equal(cg->criteria_result->criteria->medium_min, 5);
    assert_int_equal(cg->criteria_result->criteria->high_min, 10);
    assert_int_equal(cg->criteria_result->criteria->critical_min, 16);
    free_reply(cg);

    harness_snapshot_t *before = harness_snapshot(h);

    /* 4x4 with thresholds 3/6/12 and appetite 4 */
    Riskline__V1__Criteria cr;
    harness_criteria_defaults(&cr);
    cr.likelihood_levels = cr.impact_levels = 4;
    cr.medium_min = 3;
    cr.high_min = 6;
    cr.critical_min = 12;
    cr.acceptance_max = 4;
    harness_env_t *cs = harness_criteria_set(h, &cr, 0);
    if (harness_code(cs) != OK)
        fail_msg("criteria_set 4x4: %s", harness_reply_text(cs));
    assert_int_equal(cs->criteria_result->criteria->likelihood_levels, 4);
    assert_int_equal(cs->criteria_result->criteria->version, 1);
    free_reply(cs);

    /* re-levelled on read */
    uint64_t v = 0;
    assert_int_equal(level_of(h, a, &v), RISKLINE__V1__LEVEL__LEVEL_MEDIUM);
    assert_int_equal(v, 1);
    assert_int_equal(level_of(h, b, &v), RISKLINE__V1__LEVEL__LEVEL_HIGH);
    assert_int_equal(level_of(h, c, &v), RISKLINE__V1__LEVEL__LEVEL_CRITICAL);
    harness_env_t *g = harness_get(h, a);
    assert_true(harness_reply_risk(g)->within_appetite);  /* 4 <= 4 */
    free_reply(g);
    g = harness_get(h, b);
    assert_false(harness_reply_risk(g)->within_appetite);
    free_reply(g);

    /* ... without rewriting the risks */
    harness_snapshot_t *after = harness_snapshot(h);
    char key[64];
    for (int i = 1; i <= 3; i++) {
        snprintf(key, sizeof key, "rl:{default}:risk:R-%d", i);
        assert_non_null(harness_snapshot_digest(before, key));
        assert_non_null(harness_snapshot_digest(after, key));
        assert_string_equal(harness_snapshot_digest(before, key), harness_snapshot_digest(after, key));
    }
    harness_snapshot_free(&before);
    harness_snapshot_free(&after);

    /* list filter by level uses the new levels */
    Riskline__V1__RiskList q = RISKLINE__V1__RISK_LIST__INIT;
    q.level = RISKLINE__V1__LEVEL__LEVEL_HIGH;
    harness_env_t *l = harness_list(h, &q);
    assert_non_null(l);
    assert_int_equal(harness_code(l), OK);
    assert_int_equal(l->risk_page->n_risks, 1);
    assert_string_equal(l->risk_page->risks[0]->id, b);
    assert_int_equal(l->risk_page->risks[0]->inherent_level, RISKLINE__V1__LEVEL__LEVEL_HIGH);
    free_reply(l);

    /* a rating off the new matrix is refused */
    harness_risk_in_t in;
    harness_risk_init(&in, "Off the matrix", "erin", 5, 1);
    harness_env_t *off = harness_create(h, &in.risk, NULL);
    assert_int_equal(harness_code(off), INVALID);
    assert_true(strncmp(harness_field(off), "risk.inherent", 13) == 0);
    free_reply(off);

    /* the CLI shows the criteria */
    harness_run_t r;
    harness_clif(h, &r, "--json", "criteria", "show", NULL);
    cJSON *j = harness_json(&r, 0);
    harness_run_free(&r);
    const cJSON *cj = cJSON_GetObjectItemCaseSensitive(j, "criteria");
    assert_non_null(cj);
    assert_int_equal((int)harness_jnum(cj, "likelihood_levels"), 4);
    assert_int_equal((int)harness_jnum(cj, "critical_min"), 12);
    assert_int_equal((int)harness_jnum(cj, "version"), 1);
    cJSON_Delete(j);
}

static void test_criteria_shrink_refused(void **state)
{
    harness_t *h = *state;
    const char *id = create_raw(h, "Flood in the data centre", "frank", 5, 1);
    create_raw(h, "Small one", "frank", 1, 1);
    Riskline__V1__Criteria cr;
    harness_criteria_defaults(&cr);
    cr.likelihood_levels = cr.impact_levels = 4;

    harness_snapshot_t *before = harness_snapshot(h);
    harness_env_t *cs = harness_criteria_set(h, &cr, 0);
    assert_non_null(cs);
    if (harness_code(cs) != CONFLICT)
        fail_msg("shrinking 5x5 to 4x4 with a likelihood-5 risk in use: %s, want conflict", harness_reply_text(cs));
    free_reply(cs);
    harness_snapshot_t *after = harness_snapshot(h);
    char diff[256];
    if (!harness_snapshot_equal(before, after, diff, sizeof diff))
        fail_msg("refused criteria_set wrote to Redis: %s", diff);
    harness_snapshot_free(&after);

    harness_run_t r;
    harness_clif(h, &r, "criteria", "set", "--matrix", "4x4", NULL);
    if (r.status != 4)
        fail_msg("CLI criteria set --matrix 4x4: exit %d, want 4; stderr %s", r.status, r.err);
    assert_non_null(strstr(r.err, "riskline: conflict:"));
    harness_run_free(&r);
    after = harness_snapshot(h);
    if (!harness_snapshot_equal(before, after, diff, sizeof diff))
        fail_msg("refused CLI criteria set wrote to Redis: %s", diff);
    harness_snapshot_free(&before);
    harness_snapshot_free(&after);

    harness_env_t *cg = harness_criteria_get(h);
    assert_int_equal(cg->criteria_result->criteria->likelihood_levels, 5);
    free_reply(cg);

    /* once the risk is archived the rating is no longer in use: the shrink goes through */
    harness_env_t *ar = harness_archive(h, id, 1, "out of scope");
    assert_int_equal(harness_code(ar), OK);
    free_reply(ar);
    cs = harness_criteria_set(h, &cr, 0);
    if (harness_code(cs) != OK)
        fail_msg("4x4 after archiving the only likelihood-5 risk: %s", harness_reply_text(cs));
    free_reply(cs);
}

/* --- idempotent retries --- */

static long long redis_int(harness_t *h, const char *cmd, const char *key)
{
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "%s %s", cmd, key);
    long long v = -1;
    if (r && r->type == REDIS_REPLY_INTEGER)
        v = r->integer;
    else if (r && r->type == REDIS_REPLY_STRING)
        v = atoll(r->str);
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return v;
}

static void test_idempotent_retry(void **state)
{
    harness_t *h = *state;
    harness_risk_in_t in;
    harness_risk_init(&in, "Retry me", "gina", 2, 3);
    harness_env_t env;
    Riskline__V1__RiskCreate body;
    harness_env_create(&env, &body, &in.risk);
    env.request_id = "retry-create-1";
    size_t len = 0;
    uint8_t *bytes = harness_env_pack(h, &env, &len);
    assert_non_null(bytes);

    /* sequential retries, the second on a new connection (as the client's retry does) */
    char first[32] = "";
    for (int attempt = 0; attempt < 3; attempt++) {
        void *s = harness_dealer(h);
        const void *f[] = {bytes};
        assert_int_equal(harness_send_frames(s, 1, f, &len), 0);
        harness_env_t *rep = harness_recv_env(s, 5000);
        zmq_close(s);
        const harness_risk_t *risk = harness_reply_risk(rep);
        if (!risk)
            fail_msg("attempt %d: %s", attempt, harness_reply_text(rep));
        assert_string_equal(rep->request_id, "retry-create-1");
        if (attempt == 0)
            snprintf(first, sizeof first, "%s", risk->id);
        else
            assert_string_equal(risk->id, first);
        assert_string_equal(risk->title, "Retry me");
        free_reply(rep);
    }
    assert_string_equal(first, "R-1");

    /* two copies in flight at once */
    env.request_id = "retry-create-2";
    free(bytes);
    bytes = harness_env_pack(h, &env, &len);
    void *s = harness_dealer(h);
    const void *f[] = {bytes};
    assert_int_equal(harness_send_frames(s, 1, f, &len), 0);
    assert_int_equal(harness_send_frames(s, 1, f, &len), 0);
    harness_env_t *r1 = harness_recv_env(s, 5000), *r2 = harness_recv_env(s, 5000);
    zmq_close(s);
    free(bytes);
    assert_non_null(harness_reply_risk(r1));
    assert_non_null(harness_reply_risk(r2));
    assert_string_equal(harness_reply_risk(r1)->id, harness_reply_risk(r2)->id);
    assert_string_not_equal(harness_reply_risk(r1)->id, "R-1");
    free_reply(r1);
    free_reply(r2);

    /* exactly two risks, two events */
    Riskline__V1__RiskList q = RISKLINE__V1__RISK_LIST__INIT;
    harness_env_t *l = harness_list(h, &q);
    assert_int_equal(harness_code(l), OK);
    assert_int_equal(l->risk_page->n_risks, 2);
    free_reply(l);
    assert_int_equal(redis_int(h, "XLEN", "rl:{default}:events"), 2);
    assert_int_equal(redis_int(h, "LLEN", "rl:{default}:risk:R-1:hist"), 1);
}

/* A retried create must not consume a risk number: the register's numbering stays dense, so an
 * auditor never sees gaps (R-1, R-4, ...) that look like deleted risks. */
/* A change retried with the same request id (a client timeout) gets the first result, not a
 * conflict, and is applied once; a new request with the stale version is a conflict. */
static void test_retried_change_gets_first_result(void **state)
{
    harness_t *h = *state;
    harness_risk_in_t in;
    harness_risk_init(&in, "Change once", "ivan", 2, 2);
    harness_env_t *c = harness_create(h, &in.risk, NULL);
    assert_non_null(harness_reply_risk(c));
    free_reply(c);

    harness_risk_in_t patch;
    harness_risk_init(&patch, "Changed once", "ivan", 2, 2);
    static const char *const mask[] = {"title", NULL};
    harness_env_t env;
    Riskline__V1__RiskUpdate body;
    harness_env_update(&env, &body, "R-1", 1, &patch.risk, mask);
    env.request_id = "retry-update-1";
    for (int attempt = 0; attempt < 2; attempt++) {
        harness_env_t *rep = harness_call(h, &env);
        const harness_risk_t *risk = harness_reply_risk(rep);
        if (!risk)
            fail_msg("attempt %d: %s", attempt, harness_reply_text(rep));
        assert_string_equal(risk->title, "Changed once");
        assert_int_equal(risk->version, 2);
        free_reply(rep);
    }
    env.request_id = "retry-update-2";
    harness_env_t *stale = harness_call(h, &env);
    assert_int_equal(harness_code(stale), RISKLINE__V1__CODE__CODE_CONFLICT);
    assert_string_equal(harness_field(stale), "expected_version");
    free_reply(stale);
    harness_env_t *hist = harness_history(h, "R-1", 0, NULL);
    assert_int_equal(harness_code(hist), OK);
    assert_int_equal(hist->history_page->n_events, 2);  /* created + one update, not two */
    free_reply(hist);
}

/* Protobuf unknown fields (a hostile or newer peer) are not stored or echoed. */
static void test_unknown_fields_dropped(void **state)
{
    harness_t *h = *state;
    harness_risk_in_t in;
    harness_risk_init(&in, "Padded", "jane", 1, 1);
    /* protobuf-c packs an unknown field's data as is: for a length-prefixed field that is the
     * varint length (4094 = 0xfe 0x1f) followed by the bytes */
    static uint8_t pad[4096];
    memset(pad, 'x', sizeof pad);
    pad[0] = 0xfe;
    pad[1] = 0x1f;
    ProtobufCMessageUnknownField uf = {.tag = 900, .wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
                                       .len = sizeof pad, .data = pad};
    in.risk.base.unknown_fields = &uf;
    in.risk.base.n_unknown_fields = 1;
    harness_env_t *c = harness_create(h, &in.risk, NULL);
    const harness_risk_t *created = harness_reply_risk(c);
    if (!created)
        fail_msg("create: %s", harness_reply_text(c));
    assert_int_equal(created->base.n_unknown_fields, 0);
    free_reply(c);
    harness_env_t *g = harness_get(h, "R-1");
    assert_non_null(harness_reply_risk(g));
    assert_int_equal(harness_reply_risk(g)->base.n_unknown_fields, 0);
    assert_true(riskline__v1__risk__get_packed_size(harness_reply_risk(g)) < 1024);
    free_reply(g);
}

static void test_retry_keeps_ids_dense(void **state)
{
    harness_t *h = *state;
    harness_risk_in_t in;
    harness_risk_init(&in, "Retried three times", "gina", 2, 3);
    harness_env_t env;
    Riskline__V1__RiskCreate body;
    harness_env_create(&env, &body, &in.risk);
    env.request_id = "retry-dense-1";
    for (int attempt = 0; attempt < 3; attempt++) {
        harness_env_t *rep = harness_call(h, &env);
        assert_non_null(harness_reply_risk(rep));
        assert_string_equal(harness_reply_risk(rep)->id, "R-1");
        free_reply(rep);
    }
    assert_int_equal(redis_int(h, "GET", "rl:{default}:seq:risk"), 1);
    assert_string_equal(create_raw(h, "The next risk", "gina", 1, 1), "R-2");
}

/* --- restarts --- */

#define RESTART_N 40

static void test_restart_keeps_acknowledged(void **state)
{
    harness_t *h = *state;
    uint8_t *packed[RESTART_N + 1];
    size_t plen[RESTART_N + 1];
    char title[RESTART_N + 1][64];
    for (int i = 1; i <= RESTART_N; i++) {
        snprintf(title[i], sizeof title[i], "Durable risk %d", i);
        harness_risk_in_t in;
        harness_risk_init(&in, title[i], i % 2 ? "henry" : "iris", 1 + (unsigned)i % 5, 1 + (unsigned)(i / 5) % 5);
        in.risk.description = "survives restarts";
        harness_env_t *rep = harness_create(h, &in.risk, NULL);
        if (!harness_reply_risk(rep))
            fail_msg("create %d: %s", i, harness_reply_text(rep));
        free_reply(rep);
    }
    /* update every fourth, archive every tenth */
    for (int i = 4; i <= RESTART_N; i += 4) {
        char id[16];
        snprintf(id, sizeof id, "R-%d", i);
        harness_risk_in_t p;
        harness_risk_init(&p, "", "updated-owner", 0, 0);
        p.risk.inherent = NULL;
        const char *mask[] = {"owner", NULL};
        harness_env_t *rep = harness_update(h, id, 1, &p.risk, mask);
        assert_int_equal(harness_code(rep), OK);
        free_reply(rep);
    }
    for (int i = 10; i <= RESTART_N; i += 10) {
        char id[16];
        snprintf(id, sizeof id, "R-%d", i);
        harness_env_t *rep = harness_archive(h, id, i % 4 == 0 ? 2 : 1, "restart test");
        assert_int_equal(harness_code(rep), OK);
        free_reply(rep);
    }
    for (int i = 1; i <= RESTART_N; i++) {
        char id[16];
        snprintf(id, sizeof id, "R-%d", i);
        harness_env_t *g = harness_get(h, id);
        const harness_risk_t *risk = harness_reply_risk(g);
        assert_non_null(risk);
        plen[i] = riskline__v1__risk__get_packed_size(risk);
        packed[i] = malloc(plen[i] + 1);
        riskline__v1__risk__pack(risk, packed[i]);
        free_reply(g);
    }

    assert_int_equal(harness_register_stop(h), 0);
    assert_int_equal(harness_redis_stop(h), 0);
    assert_int_equal(harness_redis_start(h), 0);
    assert_int_equal(harness_register_start(h), 0);

    for (int i = 1; i <= RESTART_N; i++) {
        char id[16];
        snprintf(id, sizeof id, "R-%d", i);
        harness_env_t *g = harness_get(h, id);
        const harness_risk_t *risk = harness_reply_risk(g);
        if (!risk)
            fail_msg("%s lost after restart: %s", id, harness_reply_text(g));
        assert_string_equal(risk->title, title[i]);
        size_t n = riskline__v1__risk__get_packed_size(risk);
        uint8_t *buf = malloc(n + 1);
        riskline__v1__risk__pack(risk, buf);
        if (n != plen[i] || memcmp(buf, packed[i], n) != 0)
            fail_msg("%s differs after restart", id);
        free(buf);
        free(packed[i]);
        free_reply(g);
    }
    /* the id sequence survived too: numbers are never reused; a burst of creates reserves up to
     * 32 ahead, and a restart skips what was reserved but unused (bounded gap) */
    harness_risk_in_t in;
    harness_risk_init(&in, "After restart", "henry", 1, 1);
    harness_env_t *rep = harness_create(h, &in.risk, NULL);
    assert_non_null(harness_reply_risk(rep));
    const char *got_id = harness_reply_risk(rep)->id;
    assert_true(strncmp(got_id, "R-", 2) == 0);
    long got_n = strtol(got_id + 2, NULL, 10);
    if (got_n <= RESTART_N || got_n > RESTART_N + 32)
        fail_msg("after restart the next id is %s: want R-%d..R-%d (never reused, gap <= 32)", got_id,
                 RESTART_N + 1, RESTART_N + 32);
    free_reply(rep);
    /* and the history */
    harness_env_t *hr = harness_history(h, "R-4", 0, NULL);
    assert_int_equal(harness_code(hr), OK);
    assert_int_equal(hr->history_page->n_events, 2);
    free_reply(hr);
}

static void test_redis_restart_while_serving(void **state)
{
    harness_t *h = *state;
    create_raw(h, "Before the outage", "jack", 2, 2);
    assert_int_equal(harness_redis_stop(h), 0);

    /* Redis down: the register answers unavailable (no hang, no crash) */
    harness_env_t *g = harness_get(h, "R-1");
    if (!g)
        fail_msg("no reply while Redis is down");
    assert_int_equal(harness_code(g), UNAVAILABLE);
    free_reply(g);
    assert_true(harness_ping(h, 2000));
    assert_true(harness_register_alive(h));

    assert_int_equal(harness_redis_start(h), 0);
    /* it reconnects by itself (back-off bounded): poll for up to 10 s */
    const harness_risk_t *risk = NULL;
    for (int i = 0; i < 50 && !risk; i++) {
        g = harness_get(h, "R-1");
        risk = harness_reply_risk(g);
        if (risk)
            assert_string_equal(risk->title, "Before the outage");
        free_reply(g);
        if (!risk) {
            struct timespec ts = {0, 200000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (!risk)
        fail_msg("register did not reconnect to Redis within 10 s");
    create_raw(h, "After the outage", "jack", 1, 1);
}

/* --- process contract: exit codes, JSON logs without secrets --- */

static void test_process_exit_codes(void **state)
{
    harness_t *h = *state;
    /* the endpoint is taken by the running register: exit 3 */
    int st = harness_register_exec(h, NULL, 5000);
    if (st != 3)
        fail_msg("second register on a bound endpoint: status %d, want 3", st);
    /* bad configuration: exit 1 */
    const char *bad_port[] = {"RISKLINE_REDIS_PORT=not-a-port", NULL};
    st = harness_register_exec(h, bad_port, 5000);
    if (st != 1)
        fail_msg("RISKLINE_REDIS_PORT=not-a-port: status %d, want 1", st);
    const char *bad_ep[] = {"RISKLINE_REGISTER_ENDPOINT=", NULL};
    st = harness_register_exec(h, bad_ep, 5000);
    if (st != 1 && st != 3)
        fail_msg("empty endpoint: status %d, want 1 (or 3)", st);
    /* the first one is unharmed */
    assert_true(harness_ping(h, 2000));
}

static void test_logs_json_without_secrets(void **state)
{
    harness_t *h = *state;
    create_raw(h, "Log me", "kate", 1, 2);
    harness_env_t *g = harness_get(h, "R-404");
    free_reply(g);
    assert_int_equal(harness_register_stop(h), 0);
    size_t len = 0;
    char *log = harness_read_file(h->register_log, &len);
    assert_non_null(log);
    assert_true(len > 0);
    if (strstr(log, h->password))
        fail_msg("the Redis password appears in the register log");
    int lines = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *j = cJSON_Parse(line);
        if (!cJSON_IsObject(j))
            fail_msg("log line is not a JSON object: %s", line);
        if (!harness_jstr(j, "msg")[0] || !harness_jstr(j, "level")[0] || !harness_jstr(j, "service")[0])
            fail_msg("log line without msg/level/service: %s", line);
        cJSON_Delete(j);
        lines++;
    }
    assert_true(lines >= 2);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lifecycle_cli, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_exit_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_criteria_relevel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_criteria_shrink_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotent_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_keeps_ids_dense, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retried_change_gets_first_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_fields_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_keeps_acknowledged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redis_restart_while_serving, setup, teardown),
        cmocka_unit_test_setup_teardown(test_process_exit_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logs_json_without_secrets, setup, teardown),
    };
    return cmocka_run_group_tests_name("register", tests, NULL, NULL);
}
