/* test_integ_security.c: CURVE + ZAP against the real register: keys refused (none, unknown, revoked,
 * world-readable), the role x request matrix, tenant isolation, ownership, the actor, insecure mode. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "harness_msg.h"
#include "rl_keyfile.h"

#define FORBIDDEN RISKLINE__V1__CODE__CODE_FORBIDDEN
#define UNAUTHENTICATED RISKLINE__V1__CODE__CODE_UNAUTHENTICATED

static int setup(void **state)
{
    *state = harness_new();
    return 0;
}

static int teardown(void **state)
{
    harness_t *h = *state;
    harness_destroy(&h);
    return 0;
}

/* <dir>/<name>.key as a path. */
static const char *key_path(harness_t *h, const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s.key", h->keys_dir, name);
    return buf;
}

/* Issues a key for name through the CLI (as the local admin); the pair is written to keys_dir. */
/* One request on a fresh DEALER holding key_file; the reply or NULL (no reply in timeout_ms). */
static harness_env_t *call_to(harness_t *h, const char *endpoint, const char *service, const char *key_file,
                              harness_env_t *env, int timeout_ms)
{
    void *s = harness_dealer_to(h, endpoint, service, key_file);
    assert_non_null(s);
    harness_env_prepare(h, env);
    harness_env_t *reply = NULL;
    if (harness_send_env(h, s, env) == 0)
        reply = harness_recv_env(s, timeout_ms);
    zmq_close(s);
    return reply;
}

static harness_env_t *call_as(harness_t *h, const char *key_file, harness_env_t *env, int timeout_ms)
{
    void *s = harness_dealer_key(h, key_file);
    assert_non_null(s);
    harness_env_prepare(h, env);
    harness_env_t *reply = NULL;
    if (harness_send_env(h, s, env) == 0)
        reply = harness_recv_env(s, timeout_ms);
    zmq_close(s);
    return reply;
}

static harness_env_t *ping_as(harness_t *h, const char *key_file, int timeout_ms)
{
    Riskline__V1__Ping ping = RISKLINE__V1__PING__INIT;
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PING;
    env.ping = &ping;
    return call_as(h, key_file, &env, timeout_ms);
}

/* CLI run with RISKLINE_KEY_FILE=key_file. */
static void cli_as(harness_t *h, const char *key_file, harness_run_t *r, const char *const *argv)
{
    char e[800];
    snprintf(e, sizeof e, "RISKLINE_KEY_FILE=%s", key_file);
    const char *env[] = {e, NULL};
    harness_cli(h, env, argv, r);
}

static int log_has(harness_t *h, const char *needle)
{
    char *log = harness_read_file(h->register_log, NULL);
    int found = log && strstr(log, needle);
    free(log);
    return found;
}

/* --- who may connect --- */

static void test_plaintext_client_gets_nothing(void **state)
{
    harness_t *h = *state;
    harness_env_t *reply = ping_as(h, NULL, 1500);
    assert_null(reply);
    /* the same request with the admin key is answered: the silence above is the refusal */
    char p[600];
    reply = ping_as(h, key_path(h, "cli", p, sizeof p), 5000);
    assert_non_null(reply);
    assert_int_equal(reply->body_case, RISKLINE__V1__ENVELOPE__BODY_PONG);
    assert_string_equal(reply->pong->principal, "local-admin");
    riskline__v1__envelope__free_unpacked(reply, NULL);
}

static void test_unknown_key_refused(void **state)
{
    harness_t *h = *state;
    rl_keyfile_t kf;
    rl_error_t err;
    assert_int_equal(rl_keyfile_generate(&kf, 0, &err), RL_OK);
    assert_int_equal(rl_keyfile_save(&kf, h->keys_dir, "stranger", &err), RL_OK);
    char p[600];
    key_path(h, "stranger", p, sizeof p);
    assert_null(ping_as(h, p, 1500));
    harness_run_t r;
    const char *argv[] = {"risk", "list", NULL};
    cli_as(h, p, &r, argv);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "refused this client's key"));
    assert_string_equal(r.out, "");
    harness_run_free(&r);
    assert_true(log_has(h, "\"msg\":\"connection refused\""));
    assert_true(log_has(h, kf.curve_public));
    assert_true(log_has(h, "is not in the key store"));
}

static void test_missing_or_exposed_key_file(void **state)
{
    harness_t *h = *state;
    harness_run_t r;
    const char *argv[] = {"ping", NULL};
    cli_as(h, "/nonexistent/riskline.key", &r, argv);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "no client key at /nonexistent/riskline.key"));
    assert_non_null(strstr(r.err, "keys init"));
    harness_run_free(&r);
    /* a secret key others may read is refused before it is used */
    char src[600], dst[700];
    key_path(h, "cli", src, sizeof src);
    snprintf(dst, sizeof dst, "%s/exposed.key", h->dir);
    char *text = harness_read_file(src, NULL);
    assert_non_null(text);
    FILE *f = fopen(dst, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(text);
    chmod(dst, 0644);
    cli_as(h, dst, &r, argv);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "group or others may read it"));
    harness_run_free(&r);
    /* keys init made owner-only files */
    struct stat st;
    assert_int_equal(stat(src, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(h->keys_dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
}

static void test_wrong_server_key(void **state)
{
    harness_t *h = *state;
    /* a keys dir with the right client key but another "register" public key */
    char other[600], src[600], dst[700];
    snprintf(other, sizeof other, "%s/other-keys", h->dir);
    rl_keyfile_t kf;
    rl_error_t err;
    assert_int_equal(rl_keyfile_generate(&kf, 1, &err), RL_OK);
    assert_int_equal(rl_keyfile_save(&kf, other, "register", &err), RL_OK);
    key_path(h, "cli", src, sizeof src);
    snprintf(dst, sizeof dst, "%s/cli.key", other);
    char *text = harness_read_file(src, NULL);
    assert_non_null(text);
    FILE *f = fopen(dst, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(text);
    chmod(dst, 0600);
    char e[700];
    snprintf(e, sizeof e, "RISKLINE_KEYS_DIR=%s", other);
    const char *env[] = {e, "RISKLINE_RETRIES=0", "RISKLINE_TIMEOUT_MS=1000", NULL};
    const char *argv[] = {"ping", NULL};
    harness_run_t r;
    harness_cli(h, env, argv, &r);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "no CURVE handshake"));
    harness_run_free(&r);
    /* and a plaintext client is told why it hears nothing */
    const char *plain[] = {"RISKLINE_INSECURE=1", "RISKLINE_RETRIES=0", "RISKLINE_TIMEOUT_MS=1000", NULL};
    harness_cli(h, plain, argv, &r);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "plaintext mode"));
    harness_run_free(&r);
}

static void test_revocation_without_restart(void **state)
{
    harness_t *h = *state;
    harness_issue_key(h, "bob", "viewer", "default");
    char p[600];
    key_path(h, "bob", p, sizeof p);
    /* an open connection, used before and after the revocation */
    void *s = harness_dealer_key(h, p);
    assert_non_null(s);
    Riskline__V1__Ping ping = RISKLINE__V1__PING__INIT;
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PING;
    env.ping = &ping;
    harness_env_prepare(h, &env);
    assert_int_equal(harness_send_env(h, s, &env), 0);
    harness_env_t *reply = harness_recv_env(s, 5000);
    assert_non_null(reply);
    assert_string_equal(reply->pong->principal, "bob");
    riskline__v1__envelope__free_unpacked(reply, NULL);

    harness_run_t r;
    harness_clif(h, &r, "keys", "revoke", "bob", "--reason", "left the company", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "revoked 1 key"));
    harness_run_free(&r);
    harness_sleep_ms(600);  /* > RL_KEYS_REFRESH_MS */

    env.request_id = "";
    harness_env_prepare(h, &env);
    assert_int_equal(harness_send_env(h, s, &env), 0);
    reply = harness_recv_env(s, 5000);
    assert_non_null(reply);
    assert_int_equal(harness_code(reply), UNAUTHENTICATED);
    assert_string_equal(harness_field(reply), "key");
    assert_non_null(strstr(reply->status->message, "revoked"));
    assert_int_equal(reply->body_case, RISKLINE__V1__ENVELOPE__BODY__NOT_SET);
    riskline__v1__envelope__free_unpacked(reply, NULL);
    zmq_close(s);

    /* a new connection is refused at the handshake */
    const char *argv[] = {"risk", "list", NULL};
    cli_as(h, p, &r, argv);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "refused this client's key"));
    harness_run_free(&r);
    /* the record keeps who revoked it, when and why */
    harness_clif(h, &r, "--json", "keys", "list", "--all", NULL);
    cJSON *j = harness_json(&r, 0);
    cJSON *list = cJSON_GetObjectItem(j, "principals"), *it;
    int seen = 0;
    cJSON_ArrayForEach(it, list)
    {
        if (strcmp(harness_jstr(it, "name"), "bob"))
            continue;
        seen = 1;
        assert_string_equal(harness_jstr(it, "revoked_by"), "local-admin");
        assert_string_equal(harness_jstr(it, "revoke_reason"), "left the company");
        assert_true(harness_jnum(it, "revoked_ms") > 0);
    }
    assert_true(seen);
    cJSON_Delete(j);
    harness_run_free(&r);
    /* without --all the revoked key is not listed */
    harness_clif(h, &r, "keys", "list", NULL);
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "bob"));
    harness_run_free(&r);
    /* key changes have their own signed chain: the bootstrap key, bob issued, bob revoked */
    harness_clif(h, &r, "audit", "verify", "--keys", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "chain intact: 3 events checked, head signed by register\n");
    harness_run_free(&r);
}

/* --- roles --- */

enum { V = 1, RO = 2, TO = 4, AP = 8, AU = 16, IN = 32, AD = 64 };
static const char *const role_names[] = {"viewer", "risk_owner", "treatment_owner", "approver",
                                         "auditor", "integrator", "admin"};

static void build_treatment(harness_env_t *env, int body, const char *owner);
static void build_monitor(harness_env_t *env, int body);
static void build_report(harness_env_t *env, int body);

/* Builds a request of body case `body` that passes validation far enough to reach the handler
 * (in tenant "default"); memory from static storage is fine: one request at a time. */
static void build(harness_env_t *env, int body, harness_risk_in_t *risk, const char *owner)
{
    static Riskline__V1__Ping ping = RISKLINE__V1__PING__INIT;
    static Riskline__V1__HealthGet hget = RISKLINE__V1__HEALTH_GET__INIT;
    static Riskline__V1__RiskCreate create;
    static Riskline__V1__RiskGet get;
    static Riskline__V1__RiskList list;
    static Riskline__V1__RiskUpdate update;
    static Riskline__V1__RiskArchive archive;
    static Riskline__V1__RiskHistory history;
    static Riskline__V1__CriteriaGet cget;
    static Riskline__V1__CriteriaSet cset;
    static Riskline__V1__Criteria crit;
    static Riskline__V1__KeyIssue kissue;
    static Riskline__V1__KeyList klist;
    static Riskline__V1__KeyRevoke krevoke;
    static Riskline__V1__AuditRead aread;
    static char *roles[] = {"viewer"}, *tenants[] = {"default"};
    riskline__v1__envelope__init(env);
    env->body_case = body;
    switch (body) {
    case RISKLINE__V1__ENVELOPE__BODY_PING: env->ping = &ping; break;
    case RISKLINE__V1__ENVELOPE__BODY_HEALTH_GET: env->health_get = &hget; break;
    case RISKLINE__V1__ENVELOPE__BODY_RISK_CREATE:
        harness_risk_init(risk, "Matrix risk", owner, 2, 2);
        harness_env_create(env, &create, &risk->risk);
        break;
    case RISKLINE__V1__ENVELOPE__BODY_RISK_GET:
        riskline__v1__risk_get__init(&get);
        get.id = "R-1";
        env->risk_get = &get;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_RISK_LIST:
        riskline__v1__risk_list__init(&list);
        env->risk_list = &list;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_RISK_UPDATE:
        riskline__v1__risk_update__init(&update);
        update.id = "R-1";
        update.expected_version = 999;  /* conflict: proves the handler ran, writes nothing */
        env->risk_update = &update;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_RISK_ARCHIVE:
        riskline__v1__risk_archive__init(&archive);
        archive.id = "R-1";
        archive.expected_version = 999;
        archive.reason = "matrix";
        env->risk_archive = &archive;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_RISK_HISTORY:
        riskline__v1__risk_history__init(&history);
        history.id = "R-1";
        env->risk_history = &history;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_CRITERIA_GET:
        riskline__v1__criteria_get__init(&cget);
        env->criteria_get = &cget;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_CRITERIA_SET:
        riskline__v1__criteria_set__init(&cset);
        harness_criteria_defaults(&crit);
        cset.criteria = &crit;
        cset.expected_version = 999;
        env->criteria_set = &cset;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_KEY_ISSUE:
        riskline__v1__key_issue__init(&kissue);
        kissue.public_key = "not-a-key";  /* invalid: reaches validation, writes nothing */
        kissue.name = "nobody";
        kissue.roles = roles;
        kissue.n_roles = 1;
        kissue.tenants = tenants;
        kissue.n_tenants = 1;
        env->key_issue = &kissue;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_KEY_LIST:
        riskline__v1__key_list__init(&klist);
        env->key_list = &klist;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_KEY_REVOKE:
        riskline__v1__key_revoke__init(&krevoke);
        krevoke.name = "no-such-principal";
        env->key_revoke = &krevoke;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_AUDIT_READ:
        riskline__v1__audit_read__init(&aread);
        env->audit_read = &aread;
        break;
    default:
        build_treatment(env, body, owner);
    }
}

/* Treatment requests that reach their handler and write nothing (a stale version, a missing
 * plan, invalid content): the matrix checks who passes the role table, not the domain rules. */
static void build_treatment(harness_env_t *env, int body, const char *owner)
{
    static Riskline__V1__PlanCreate pcreate;
    static Riskline__V1__Plan plan;
    static Riskline__V1__PlanGet pget;
    static Riskline__V1__PlanList plist;
    static Riskline__V1__PlanUpdate pupdate;
    static Riskline__V1__PlanTransition ptrans;
    static Riskline__V1__PlanCostAdd pcost;
    static Riskline__V1__PlanHistory phist;
    static Riskline__V1__MilestoneAdd madd;
    static Riskline__V1__MilestoneUpdate mupd;
    static Riskline__V1__ControlList clist;
    static Riskline__V1__ControlGet cget;
    static Riskline__V1__ControlAdd cadd;
    static Riskline__V1__Control ctl;
    static Riskline__V1__SoaGet sget;
    static Riskline__V1__SoaExclude sexcl;
    static Riskline__V1__SoaInclude sincl;
    static Riskline__V1__RiskAccept racc;
    switch (body) {
    case RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE:
        riskline__v1__plan_create__init(&pcreate);
        riskline__v1__plan__init(&plan);
        plan.risk_id = "R-1";
        plan.title = "";  /* invalid: refused after the role table, nothing written */
        plan.treatment_owner = (char *)owner;
        plan.approver = "someone-else";
        pcreate.plan = &plan;
        env->plan_create = &pcreate;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_PLAN_GET:
        riskline__v1__plan_get__init(&pget);
        pget.id = "TP-99";
        env->plan_get = &pget;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_PLAN_LIST:
        riskline__v1__plan_list__init(&plist);
        env->plan_list = &plist;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_PLAN_UPDATE:
        riskline__v1__plan_update__init(&pupdate);
        pupdate.id = "TP-99";
        pupdate.expected_version = 1;
        env->plan_update = &pupdate;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_PLAN_TRANSITION:
        riskline__v1__plan_transition__init(&ptrans);
        ptrans.id = "TP-99";
        ptrans.expected_version = 1;
        ptrans.action = RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_SUBMIT;
        env->plan_transition = &ptrans;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_PLAN_COST_ADD:
        riskline__v1__plan_cost_add__init(&pcost);
        pcost.id = "TP-99";
        pcost.expected_version = 1;
        env->plan_cost_add = &pcost;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_PLAN_HISTORY:
        riskline__v1__plan_history__init(&phist);
        phist.id = "TP-99";
        env->plan_history = &phist;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_MILESTONE_ADD:
        riskline__v1__milestone_add__init(&madd);
        madd.plan_id = "TP-99";
        madd.expected_version = 1;
        env->milestone_add = &madd;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_MILESTONE_UPDATE:
        riskline__v1__milestone_update__init(&mupd);
        mupd.plan_id = "TP-99";
        mupd.milestone_id = "M-1";
        mupd.expected_version = 1;
        env->milestone_update = &mupd;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_CONTROL_LIST:
        riskline__v1__control_list__init(&clist);
        env->control_list = &clist;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_CONTROL_GET:
        riskline__v1__control_get__init(&cget);
        cget.id = "A.5.1";
        env->control_get = &cget;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_CONTROL_ADD:
        riskline__v1__control_add__init(&cadd);
        riskline__v1__control__init(&ctl);
        ctl.title = "";  /* invalid */
        cadd.control = &ctl;
        env->control_add = &cadd;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_SOA_GET:
        riskline__v1__soa_get__init(&sget);
        env->soa_get = &sget;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_SOA_EXCLUDE:
        riskline__v1__soa_exclude__init(&sexcl);
        sexcl.control_id = "A.5.1";  /* no reason: invalid */
        env->soa_exclude = &sexcl;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_SOA_INCLUDE:
        riskline__v1__soa_include__init(&sincl);
        sincl.control_id = "Z.9";  /* unknown control: not found */
        env->soa_include = &sincl;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_RISK_ACCEPT:
        riskline__v1__risk_accept__init(&racc);
        racc.risk_id = "R-99";
        env->risk_accept = &racc;
        break;
    default:
        build_monitor(env, body);
    }
}

/* Monitor requests that reach their handler and write nothing. */
static void build_monitor(harness_env_t *env, int body)
{
    static Riskline__V1__EventBatch batch;
    static Riskline__V1__MetricDefine mdef;
    static Riskline__V1__MetricRecord mrec;
    static Riskline__V1__MetricList mlist;
    static Riskline__V1__AlertList alist;
    static Riskline__V1__AlertChange achange;
    static Riskline__V1__MonitorStatusGet status;
    static Riskline__V1__SweepRun sweep;
    switch (body) {
    case RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH:
        riskline__v1__event_batch__init(&batch);  /* no events: invalid, nothing counted */
        env->event_batch = &batch;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_METRIC_DEFINE:
        riskline__v1__metric_define__init(&mdef);
        env->metric_define = &mdef;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_METRIC_RECORD:
        riskline__v1__metric_record__init(&mrec);
        mrec.metric_id = "K-99";
        env->metric_record = &mrec;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_METRIC_LIST:
        riskline__v1__metric_list__init(&mlist);
        env->metric_list = &mlist;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_ALERT_LIST:
        riskline__v1__alert_list__init(&alist);
        env->alert_list = &alist;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_ALERT_CHANGE:
        riskline__v1__alert_change__init(&achange);
        achange.id = "AL-99";
        achange.state = RISKLINE__V1__ALERT_STATE__ALERT_STATE_ACKNOWLEDGED;
        env->alert_change = &achange;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_MONITOR_STATUS_GET:
        riskline__v1__monitor_status_get__init(&status);
        env->monitor_status_get = &status;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_SWEEP_RUN:
        riskline__v1__sweep_run__init(&sweep);
        env->sweep_run = &sweep;
        break;
    default:
        build_report(env, body);
    }
}

/* Report requests (they read only). */
static void build_report(harness_env_t *env, int body)
{
    static Riskline__V1__UpdatesAfter after;
    static Riskline__V1__ReportGet report;
    switch (body) {
    case RISKLINE__V1__ENVELOPE__BODY_UPDATES_AFTER:
        riskline__v1__updates_after__init(&after);
        env->updates_after = &after;
        break;
    case RISKLINE__V1__ENVELOPE__BODY_REPORT_GET:
        riskline__v1__report_get__init(&report);
        report.name = "heatmap";
        report.format = RISKLINE__V1__REPORT_FORMAT__REPORT_FORMAT_CSV;
        env->report_get = &report;
        break;
    default: fail_msg("no builder for body %d", body);
    }
}

static const struct {
    int body;
    const char *name;
    int allowed;  /* role bits, written out here (not read from rl_acl): the test checks the table */
    int treatment; /* sent to the treatment service (1), the monitor (2) or the report service (3) */
} matrix[] = {
    {RISKLINE__V1__ENVELOPE__BODY_PING, "ping", V | RO | TO | AP | AU | IN | AD, 0},
    {RISKLINE__V1__ENVELOPE__BODY_HEALTH_GET, "health_get", V | RO | TO | AP | AU | IN | AD, 0},
    {RISKLINE__V1__ENVELOPE__BODY_RISK_GET, "risk_get", V | RO | TO | AP | AU | AD, 0},
    {RISKLINE__V1__ENVELOPE__BODY_RISK_LIST, "risk_list", V | RO | TO | AP | AU | AD, 0},
    {RISKLINE__V1__ENVELOPE__BODY_RISK_HISTORY, "risk_history", V | RO | TO | AP | AU | AD, 0},
    {RISKLINE__V1__ENVELOPE__BODY_CRITERIA_GET, "criteria_get", V | RO | TO | AP | AU | AD, 0},
    {RISKLINE__V1__ENVELOPE__BODY_RISK_CREATE, "risk_create", RO | AD, 0},
    {RISKLINE__V1__ENVELOPE__BODY_RISK_UPDATE, "risk_update", RO | AD, 0},
    {RISKLINE__V1__ENVELOPE__BODY_RISK_ARCHIVE, "risk_archive", RO | AD, 0},
    {RISKLINE__V1__ENVELOPE__BODY_CRITERIA_SET, "criteria_set", AD, 0},
    {RISKLINE__V1__ENVELOPE__BODY_KEY_ISSUE, "key_issue", AD, 0},
    {RISKLINE__V1__ENVELOPE__BODY_KEY_LIST, "key_list", AU | AD, 0},
    {RISKLINE__V1__ENVELOPE__BODY_KEY_REVOKE, "key_revoke", AD, 0},
    {RISKLINE__V1__ENVELOPE__BODY_AUDIT_READ, "audit_read", AU | AD, 0},
    /* treatment */
    {RISKLINE__V1__ENVELOPE__BODY_PING, "ping (treatment)", V | RO | TO | AP | AU | IN | AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_HEALTH_GET, "health_get (treatment)", V | RO | TO | AP | AU | IN | AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_PLAN_GET, "plan_get", V | RO | TO | AP | AU | AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_PLAN_LIST, "plan_list", V | RO | TO | AP | AU | AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_PLAN_HISTORY, "plan_history", V | RO | TO | AP | AU | AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_CONTROL_LIST, "control_list", V | RO | TO | AP | AU | AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_CONTROL_GET, "control_get", V | RO | TO | AP | AU | AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_SOA_GET, "soa_get", V | RO | TO | AP | AU | AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE, "plan_create", RO | TO | AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_PLAN_UPDATE, "plan_update", TO | AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_PLAN_COST_ADD, "plan_cost_add", TO | AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_MILESTONE_ADD, "milestone_add", TO | AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_MILESTONE_UPDATE, "milestone_update", TO | AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_PLAN_TRANSITION, "plan_transition", TO | AP | AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_RISK_ACCEPT, "risk_accept", RO | AP | AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_CONTROL_ADD, "control_add", AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_SOA_EXCLUDE, "soa_exclude", AD, 1},
    {RISKLINE__V1__ENVELOPE__BODY_SOA_INCLUDE, "soa_include", AD, 1},
    /* monitor: sending events is the integrator's only right */
    {RISKLINE__V1__ENVELOPE__BODY_PING, "ping (monitor)", V | RO | TO | AP | AU | IN | AD, 2},
    {RISKLINE__V1__ENVELOPE__BODY_HEALTH_GET, "health_get (monitor)", V | RO | TO | AP | AU | IN | AD, 2},
    {RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH, "event_batch", IN | AD, 2},
    {RISKLINE__V1__ENVELOPE__BODY_METRIC_LIST, "metric_list", V | RO | TO | AP | AU | AD, 2},
    {RISKLINE__V1__ENVELOPE__BODY_ALERT_LIST, "alert_list", V | RO | TO | AP | AU | AD, 2},
    {RISKLINE__V1__ENVELOPE__BODY_MONITOR_STATUS_GET, "monitor_status", V | RO | TO | AP | AU | AD, 2},
    {RISKLINE__V1__ENVELOPE__BODY_METRIC_DEFINE, "metric_define", RO | TO | AD, 2},
    {RISKLINE__V1__ENVELOPE__BODY_METRIC_RECORD, "metric_record", RO | TO | AD, 2},
    {RISKLINE__V1__ENVELOPE__BODY_ALERT_CHANGE, "alert_change", RO | TO | AP | AD, 2},
    {RISKLINE__V1__ENVELOPE__BODY_SWEEP_RUN, "sweep_run", AD, 2},
    /* report: every reader, of its own tenants */
    {RISKLINE__V1__ENVELOPE__BODY_PING, "ping (report)", V | RO | TO | AP | AU | IN | AD, 3},
    {RISKLINE__V1__ENVELOPE__BODY_UPDATES_AFTER, "updates_after", V | RO | TO | AP | AU | AD, 3},
    {RISKLINE__V1__ENVELOPE__BODY_REPORT_GET, "report_get", V | RO | TO | AP | AU | AD, 3},
};

static void test_role_matrix(void **state)
{
    harness_t *h = *state;
    assert_int_equal(harness_treatment_start(h), 0);
    assert_int_equal(harness_monitor_start(h), 0);
    assert_int_equal(harness_report_start(h), 0);
    /* R-1 exists (owned by the risk owner of the matrix) so reads and changes reach their handler */
    harness_risk_in_t in;
    harness_risk_init(&in, "Seed", "m-risk_owner", 3, 3);
    harness_env_t *reply = harness_create(h, &in.risk, NULL);
    assert_non_null(reply);
    assert_int_equal(harness_code(reply), 0);
    riskline__v1__envelope__free_unpacked(reply, NULL);
    for (size_t ri = 0; ri < 7; ri++) {
        char name[64], p[600];
        snprintf(name, sizeof name, "m-%s", role_names[ri]);
        harness_issue_key(h, name, role_names[ri], "default");
        key_path(h, name, p, sizeof p);
        harness_snapshot_t *before = ri == 5 ? harness_snapshot(h) : NULL;  /* the integrator */
        for (size_t bi = 0; bi < sizeof matrix / sizeof matrix[0]; bi++) {
            harness_env_t env;
            harness_risk_in_t risk;
            build(&env, matrix[bi].body, &risk, name);
            reply = matrix[bi].treatment == 1   ? call_to(h, h->treatment_endpoint, "treatment", p, &env, 5000)
                    : matrix[bi].treatment == 2 ? call_to(h, h->monitor_endpoint, "monitor", p, &env, 5000)
                    : matrix[bi].treatment == 3 ? call_to(h, h->report_endpoint, "report", p, &env, 5000)
                                                : call_as(h, p, &env, 5000);
            if (!reply)
                fail_msg("%s as %s: no reply", matrix[bi].name, role_names[ri]);
            int allowed = (matrix[bi].allowed >> ri) & 1;
            int code = harness_code(reply);
            const char *field = harness_field(reply);
            if (allowed && code == FORBIDDEN && !strcmp(field, "body"))
                fail_msg("%s as %s: refused but should be allowed: %s", matrix[bi].name, role_names[ri],
                         harness_reply_text(reply));
            if (!allowed) {
                if (code != FORBIDDEN || strcmp(field, "body"))
                    fail_msg("%s as %s: should be forbidden, got %s", matrix[bi].name, role_names[ri],
                             harness_reply_text(reply));
                /* the message names the roles that would allow it, and who asked with what */
                assert_non_null(strstr(reply->status->message, "needs the role"));
                assert_non_null(strstr(reply->status->message, "admin"));
                assert_non_null(strstr(reply->status->message, name));
                assert_int_equal(reply->body_case, RISKLINE__V1__ENVELOPE__BODY__NOT_SET);
            }
            riskline__v1__envelope__free_unpacked(reply, NULL);
        }
        if (before) {
            harness_snapshot_t *after = harness_snapshot(h);
            char diff[512];
            if (!harness_snapshot_equal(before, after, diff, sizeof diff))
                fail_msg("refused requests of the integrator changed Redis: %s", diff);
            harness_snapshot_free(&before);
            harness_snapshot_free(&after);
        }
    }
    assert_true(log_has(h, "\"code\":\"forbidden\""));
    assert_true(log_has(h, "needs the role admin; m-viewer has viewer"));
}

static void test_owner_and_actor(void **state)
{
    harness_t *h = *state;
    harness_issue_key(h, "olga", "risk_owner", "default");
    char p[600];
    key_path(h, "olga", p, sizeof p);
    harness_run_t r;
    /* creating for someone else is refused; for herself it works and she is the actor */
    const char *other[] = {"risk", "add", "--title", "Not mine", "--owner", "ivan", "--likelihood", "2",
                           "--impact", "2", NULL};
    cli_as(h, p, &r, other);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "forbidden: owner:"));
    harness_run_free(&r);
    const char *mine[] = {"--json", "risk", "add", "--title", "Mine", "--owner", "olga", "--likelihood", "2",
                          "--impact", "2", NULL};
    cli_as(h, p, &r, mine);
    cJSON *j = harness_json(&r, 0);
    const cJSON *risk = cJSON_GetObjectItem(j, "risk");
    assert_string_equal(harness_jstr(risk, "created_by"), "olga");
    char id[32];
    snprintf(id, sizeof id, "%s", harness_jstr(risk, "id"));
    cJSON_Delete(j);
    harness_run_free(&r);
    const char *hist[] = {"--json", "risk", "history", id, NULL};
    cli_as(h, p, &r, hist);
    j = harness_json(&r, 0);
    const cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "events"), 0);
    assert_non_null(ev);
    assert_string_equal(harness_jstr(ev, "kind"), "risk.created");
    assert_string_equal(harness_jstr(ev, "actor"), "olga");
    cJSON_Delete(j);
    harness_run_free(&r);
    /* a risk of someone else (made by the admin) cannot be changed by her */
    harness_clif(h, &r, "--json", "risk", "add", "--title", "Ivan's", "--owner", "ivan", "--likelihood", "3",
                 "--impact", "3", NULL);
    j = harness_json(&r, 0);
    char ivan[32];
    snprintf(ivan, sizeof ivan, "%s", harness_jstr(cJSON_GetObjectItem(j, "risk"), "id"));
    cJSON_Delete(j);
    harness_run_free(&r);
    const char *upd[] = {"risk", "update", ivan, "--title", "Taken over", NULL};
    cli_as(h, p, &r, upd);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "owned by ivan"));
    harness_run_free(&r);
    /* nor can she give her own away */
    const char *give[] = {"risk", "update", id, "--owner", "ivan", NULL};
    cli_as(h, p, &r, give);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "an admin assigns"));
    harness_run_free(&r);
}

/* --- tenants --- */

static void test_tenant_isolation(void **state)
{
    harness_t *h = *state;
    harness_issue_key(h, "a-admin", "admin", "acme");
    harness_issue_key(h, "b-viewer", "viewer", "beta");
    char pa[600];
    key_path(h, "a-admin", pa, sizeof pa);
    harness_run_t r;
    /* the all-tenant admin puts a risk into beta */
    harness_clif(h, &r, "--tenant", "beta", "risk", "add", "--title", "Beta secret", "--owner", "x",
                 "--likelihood", "5", "--impact", "5", NULL);
    assert_int_equal(r.status, 0);
    harness_run_free(&r);
    /* acme's admin works in acme ... */
    const char *add[] = {"--tenant", "acme", "risk", "add", "--title", "Acme risk", "--owner", "a",
                         "--likelihood", "1", "--impact", "1", NULL};
    cli_as(h, pa, &r, add);
    assert_int_equal(r.status, 0);
    harness_run_free(&r);
    /* ... and reaches nothing of beta: every request type is refused on the tenant */
    const int bodies[] = {RISKLINE__V1__ENVELOPE__BODY_RISK_LIST, RISKLINE__V1__ENVELOPE__BODY_RISK_GET,
                          RISKLINE__V1__ENVELOPE__BODY_RISK_HISTORY, RISKLINE__V1__ENVELOPE__BODY_CRITERIA_GET,
                          RISKLINE__V1__ENVELOPE__BODY_CRITERIA_SET, RISKLINE__V1__ENVELOPE__BODY_RISK_CREATE,
                          RISKLINE__V1__ENVELOPE__BODY_RISK_UPDATE, RISKLINE__V1__ENVELOPE__BODY_RISK_ARCHIVE,
                          RISKLINE__V1__ENVELOPE__BODY_AUDIT_READ, RISKLINE__V1__ENVELOPE__BODY_KEY_LIST,
                          RISKLINE__V1__ENVELOPE__BODY_PING};
    harness_snapshot_t *before = harness_snapshot(h);
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        harness_env_t env;
        harness_risk_in_t risk;
        build(&env, bodies[i], &risk, "a-admin");
        env.tenant = "beta";
        harness_env_t *reply = call_as(h, pa, &env, 5000);
        assert_non_null(reply);
        if (harness_code(reply) != FORBIDDEN || strcmp(harness_field(reply), "tenant"))
            fail_msg("body %d in beta as a-admin: %s", bodies[i], harness_reply_text(reply));
        assert_non_null(strstr(reply->status->message, "a-admin has no access to tenant beta"));
        riskline__v1__envelope__free_unpacked(reply, NULL);
    }
    harness_snapshot_t *after = harness_snapshot(h);
    char diff[512];
    if (!harness_snapshot_equal(before, after, diff, sizeof diff))
        fail_msg("refused cross-tenant requests changed Redis: %s", diff);
    harness_snapshot_free(&before);
    harness_snapshot_free(&after);
    /* its own tenant's list does not show beta's risk */
    const char *list[] = {"--tenant", "acme", "risk", "list", NULL};
    cli_as(h, pa, &r, list);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "Acme risk"));
    assert_null(strstr(r.out, "Beta secret"));
    harness_run_free(&r);
    /* keys: it may not grant other tenants or every tenant, see or revoke beta's keys */
    const char *grant_b[] = {"--tenant", "acme", "keys", "issue", "evil", "--roles", "viewer", "--tenants", "beta", NULL};
    cli_as(h, pa, &r, grant_b);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "forbidden: tenants:"));
    harness_run_free(&r);
    const char *grant_all[] = {"--tenant", "acme", "keys", "issue", "evil2", "--roles", "admin", "--tenants", "*", NULL};
    cli_as(h, pa, &r, grant_all);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "forbidden: tenants:"));
    harness_run_free(&r);
    const char *klist[] = {"--tenant", "acme", "keys", "list", NULL};
    cli_as(h, pa, &r, klist);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "a-admin"));
    assert_null(strstr(r.out, "b-viewer"));
    assert_null(strstr(r.out, "local-admin"));  /* an all-tenant key reaches beta too: not its business */
    harness_run_free(&r);
    const char *keychain[] = {"--tenant", "acme", "audit", "verify", "--keys", NULL};
    cli_as(h, pa, &r, keychain);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "forbidden: keys: the key store's chain spans every tenant"));
    harness_run_free(&r);
    const char *revoke_b[] = {"--tenant", "acme", "keys", "revoke", "b-viewer", NULL};
    cli_as(h, pa, &r, revoke_b);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "forbidden"));
    harness_run_free(&r);
    /* and beta's viewer sees beta, not acme */
    char pb[600];
    key_path(h, "b-viewer", pb, sizeof pb);
    const char *blist[] = {"--tenant", "beta", "risk", "list", NULL};
    cli_as(h, pb, &r, blist);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "Beta secret"));
    harness_run_free(&r);
    const char *alist[] = {"--tenant", "acme", "risk", "list", NULL};
    cli_as(h, pb, &r, alist);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "no access to tenant acme"));
    harness_run_free(&r);
}

/* --- configuration --- */

static void test_no_key_file_or_insecure(void **state)
{
    harness_t *h = *state;
    const char *nokeys[] = {"RISKLINE_KEYS_DIR=/nonexistent-keys", NULL};
    assert_int_equal(harness_register_exec(h, nokeys, 10000), 1);
    assert_true(log_has(h, "no key file /nonexistent-keys/register.key"));
    assert_true(log_has(h, "RISKLINE_INSECURE=1"));
    /* insecure mode warns at start (then fails to bind: the harness register holds the port) */
    const char *insecure[] = {"RISKLINE_INSECURE=1", NULL};
    assert_int_equal(harness_register_exec(h, insecure, 10000), 3);
    assert_true(log_has(h, "\"level\":\"warn\",\"service\":\"register\",\"msg\":\"INSECURE"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plaintext_client_gets_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_or_exposed_key_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_server_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revocation_without_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_role_matrix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_and_actor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenant_isolation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_key_file_or_insecure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
