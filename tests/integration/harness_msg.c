/* harness_msg.c: register requests as raw Envelopes, CLI JSON helpers. */
#include "harness_msg.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

void harness_risk_init(harness_risk_in_t *in, const char *title, const char *owner, unsigned likelihood,
                       unsigned impact)
{
    riskline__v1__risk__init(&in->risk);
    riskline__v1__rating__init(&in->inherent);
    riskline__v1__rating__init(&in->residual);
    riskline__v1__rating__init(&in->target);
    in->risk.title = (char *)title;
    in->risk.owner = (char *)owner;
    in->inherent.likelihood = likelihood;
    in->inherent.impact = impact;
    in->risk.inherent = &in->inherent;
}

void harness_env_create(harness_env_t *env, Riskline__V1__RiskCreate *body, harness_risk_t *risk)
{
    riskline__v1__envelope__init(env);
    riskline__v1__risk_create__init(body);
    body->risk = risk;
    env->body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_CREATE;
    env->risk_create = body;
}

void harness_env_update(harness_env_t *env, Riskline__V1__RiskUpdate *body, const char *id,
                        uint64_t expected_version, harness_risk_t *patch, const char *const *mask)
{
    riskline__v1__envelope__init(env);
    riskline__v1__risk_update__init(body);
    body->id = (char *)id;
    body->expected_version = expected_version;
    body->patch = patch;
    size_t n = 0;
    while (mask && mask[n])
        n++;
    body->n_update_mask = n;
    body->update_mask = (char **)mask;
    env->body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_UPDATE;
    env->risk_update = body;
}

harness_env_t *harness_create(harness_t *h, harness_risk_t *risk, const char *request_id)
{
    harness_env_t env;
    Riskline__V1__RiskCreate body;
    harness_env_create(&env, &body, risk);
    env.request_id = (char *)request_id;
    return harness_call(h, &env);
}

void harness_create_bulk(harness_t *h, int n)
{
    for (int i = 0; i < n; i++) {
        harness_risk_in_t in;
        char title[64];
        snprintf(title, sizeof title, "Risk number %d, bulk", i + 1);
        harness_risk_init(&in, title, "local-admin", (unsigned)(i % 5 + 1), (unsigned)((i / 5) % 5 + 1));
        harness_env_t *r = harness_create(h, &in.risk, NULL);
        assert_non_null(r);
        assert_int_equal(harness_code(r), 0);
        riskline__v1__envelope__free_unpacked(r, NULL);
    }
}

harness_env_t *harness_get(harness_t *h, const char *id)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__RiskGet body = RISKLINE__V1__RISK_GET__INIT;
    body.id = (char *)id;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_GET;
    env.risk_get = &body;
    return harness_call(h, &env);
}

harness_env_t *harness_list(harness_t *h, Riskline__V1__RiskList *q)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_LIST;
    env.risk_list = q;
    return harness_call(h, &env);
}

harness_env_t *harness_update(harness_t *h, const char *id, uint64_t expected_version, harness_risk_t *patch,
                              const char *const *mask)
{
    harness_env_t env;
    Riskline__V1__RiskUpdate body;
    harness_env_update(&env, &body, id, expected_version, patch, mask);
    return harness_call(h, &env);
}

harness_env_t *harness_archive(harness_t *h, const char *id, uint64_t expected_version, const char *reason)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__RiskArchive body = RISKLINE__V1__RISK_ARCHIVE__INIT;
    body.id = (char *)id;
    body.expected_version = expected_version;
    body.reason = (char *)(reason ? reason : "");
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_ARCHIVE;
    env.risk_archive = &body;
    return harness_call(h, &env);
}

harness_env_t *harness_history(harness_t *h, const char *id, unsigned limit, const char *cursor)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__RiskHistory body = RISKLINE__V1__RISK_HISTORY__INIT;
    body.id = (char *)id;
    body.limit = limit;
    body.cursor = (char *)(cursor ? cursor : "");
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_HISTORY;
    env.risk_history = &body;
    return harness_call(h, &env);
}

harness_env_t *harness_criteria_get(harness_t *h)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__CriteriaGet body = RISKLINE__V1__CRITERIA_GET__INIT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_CRITERIA_GET;
    env.criteria_get = &body;
    return harness_call(h, &env);
}

harness_env_t *harness_criteria_set(harness_t *h, Riskline__V1__Criteria *c, uint64_t expected_version)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__CriteriaSet body = RISKLINE__V1__CRITERIA_SET__INIT;
    body.criteria = c;
    body.expected_version = expected_version;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_CRITERIA_SET;
    env.criteria_set = &body;
    return harness_call(h, &env);
}

const harness_risk_t *harness_reply_risk(const harness_env_t *reply)
{
    if (!reply || reply->body_case != RISKLINE__V1__ENVELOPE__BODY_RISK_RESULT || !reply->risk_result)
        return NULL;
    return reply->risk_result->risk;
}

const char *harness_reply_text(const harness_env_t *reply)
{
    static char buf[512];
    if (!reply)
        return "no reply";
    if (!reply->status)
        return "no status";
    snprintf(buf, sizeof buf, "code %d field '%s': %s", (int)reply->status->code,
             reply->status->field ? reply->status->field : "", reply->status->message ? reply->status->message : "");
    return buf;
}

void harness_criteria_defaults(Riskline__V1__Criteria *c)
{
    riskline__v1__criteria__init(c);
    c->likelihood_levels = 5;
    c->impact_levels = 5;
    c->medium_min = 5;
    c->high_min = 10;
    c->critical_min = 16;
    c->acceptance_max = 6;
    c->review_days_low = 365;
    c->review_days_medium = 180;
    c->review_days_high = 90;
    c->review_days_critical = 30;
}

cJSON *harness_json(const harness_run_t *r, int want_status)
{
    if (r->status != want_status)
        fail_msg("CLI exit %d, expected %d\nstdout: %s\nstderr: %s", r->status, want_status, r->out, r->err);
    cJSON *j = cJSON_Parse(r->out);
    if (!j)
        fail_msg("CLI output is not JSON\nstdout: %s\nstderr: %s", r->out, r->err);
    return j;
}

const char *harness_jstr(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

double harness_jnum(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

int harness_jbool(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsTrue(v) ? 1 : 0;
}

void harness_issue_key(harness_t *h, const char *name, const char *roles, const char *tenants)
{
    harness_run_t r;
    harness_clif(h, &r, "keys", "issue", name, "--roles", roles, "--tenants", tenants, NULL);
    if (r.status != 0)
        fail_msg("keys issue %s: %s%s", name, r.out, r.err);
    harness_run_free(&r);
}

void *harness_monitor_dealer(harness_t *h, const char *name)
{
    char key[600];
    snprintf(key, sizeof key, "%s/%s.key", h->keys_dir, name);
    void *s = harness_dealer_to(h, h->monitor_endpoint, "monitor", key);
    assert_non_null(s);
    return s;
}

harness_env_t *harness_send_events(harness_t *h, void *sock, Riskline__V1__RiskEvent **events, size_t n, int wait_ms)
{
    Riskline__V1__EventBatch b = RISKLINE__V1__EVENT_BATCH__INIT;
    b.events = events;
    b.n_events = n;
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH;
    env.event_batch = &b;
    harness_env_prepare(h, &env);
    if (harness_send_env(h, sock, &env) != 0)
        return NULL;
    return wait_ms ? harness_recv_env(sock, wait_ms) : NULL;
}

harness_t *harness_new_with_report(void)
{
    harness_t *h = harness_new();
    if (harness_treatment_start(h) != 0 || harness_report_start(h) != 0) {
        harness_destroy(&h);
        fail_msg("riskline-treatment or riskline-report did not start");
    }
    harness_issue_key(h, "tom", "treatment_owner", "default");
    harness_issue_key(h, "ann", "approver", "default");
    return h;
}
