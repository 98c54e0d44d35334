/* harness_msg.h: build and send register requests as raw protobuf Envelopes, parse CLI JSON. */
#ifndef HARNESS_MSG_H
#define HARNESS_MSG_H

#include <cjson/cJSON.h>

#include "harness.h"

typedef Riskline__V1__Risk harness_risk_t;

/* A risk with the required fields (title, owner, inherent rating); strings are not copied. */
typedef struct {
    harness_risk_t risk;
    Riskline__V1__Rating inherent;
    Riskline__V1__Rating residual;
    Riskline__V1__Rating target;
} harness_risk_in_t;

void harness_risk_init(harness_risk_in_t *in, const char *title, const char *owner, unsigned likelihood,
                       unsigned impact);

/* Each sends one request on a fresh DEALER (tenant "default" unless env_tenant) and returns the
 * reply (free with riskline__v1__envelope__free_unpacked), or NULL on timeout. */
harness_env_t *harness_create(harness_t *h, harness_risk_t *risk, const char *request_id);
/* n risks "Risk number <i>, bulk" (owner local-admin, ratings spread over the 5x5 matrix), each
 * created or the test fails. */
void harness_create_bulk(harness_t *h, int n);
harness_env_t *harness_get(harness_t *h, const char *id);
harness_env_t *harness_list(harness_t *h, Riskline__V1__RiskList *q);
harness_env_t *harness_update(harness_t *h, const char *id, uint64_t expected_version, harness_risk_t *patch,
                              const char *const *mask);
harness_env_t *harness_archive(harness_t *h, const char *id, uint64_t expected_version, const char *reason);
harness_env_t *harness_history(harness_t *h, const char *id, unsigned limit, const char *cursor);
harness_env_t *harness_criteria_get(harness_t *h);
harness_env_t *harness_criteria_set(harness_t *h, Riskline__V1__Criteria *c, uint64_t expected_version);

/* Envelope bodies without sending (for pipelining and malformed variants). */
void harness_env_create(harness_env_t *env, Riskline__V1__RiskCreate *body, harness_risk_t *risk);
void harness_env_update(harness_env_t *env, Riskline__V1__RiskUpdate *body, const char *id,
                        uint64_t expected_version, harness_risk_t *patch, const char *const *mask);

/* The risk of a risk_result reply, or NULL. */
const harness_risk_t *harness_reply_risk(const harness_env_t *reply);
/* "code field: message" of a reply, for failure messages (static buffer). */
const char *harness_reply_text(const harness_env_t *reply);

/* Default criteria (5x5, 5/10/16, appetite 6, 365/180/90/30 days). */
void harness_criteria_defaults(Riskline__V1__Criteria *c);

/* Parses r->out as JSON; fails the test (printing stdout/stderr) when r->status != want_status or
 * the output is not JSON. Caller cJSON_Delete()s. */
cJSON *harness_json(const harness_run_t *r, int want_status);
/* Helpers over cJSON objects: string ("" when absent), number (-1 when absent). */
const char *harness_jstr(const cJSON *obj, const char *name);
double harness_jnum(const cJSON *obj, const char *name);
int harness_jbool(const cJSON *obj, const char *name);

/* `riskline keys issue NAME --roles R --tenants T` as the local admin; the pair lands in
 * h->keys_dir/NAME.key. Fails the test when refused. */
void harness_issue_key(harness_t *h, const char *name, const char *roles, const char *tenants);
/* Redis, the register, treatment and report running, keys "tom" (treatment_owner) and "ann"
 * (approver) of tenant default issued: what the report tests start from. Fails the test otherwise. */
harness_t *harness_new_with_report(void);

/* A DEALER to the monitor with the client key NAME.key of keys_dir (an event sender); fails the
 * test when it cannot be made. zmq_close it. */
void *harness_monitor_dealer(harness_t *h, const char *name);
/* Sends events[0..n) as one EventBatch (a new request id) on sock and waits up to wait_ms for the
 * reply (the acks); NULL when none came, or at once when wait_ms is 0. */
harness_env_t *harness_send_events(harness_t *h, void *sock, Riskline__V1__RiskEvent **events, size_t n, int wait_ms);

#endif
