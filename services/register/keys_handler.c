/* keys_handler.c: the key requests (issue, list, revoke): the register owns the key store. */
#include "handlers.h"

static rl_err_t h_key_issue(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    Riskline__V1__Principal *p;
    rl_err_t rc = rl_keys_issue(srv->keys, req->arena, req->principal, req->request_id, rl_clock_now(&srv->clock),
                                req->env->key_issue, &p, err);
    if (rc)
        return rc;
    Riskline__V1__KeyResult *kr = rl_arena_alloc(req->arena, sizeof *kr);
    Riskline__V1__Principal **one = rl_arena_alloc(req->arena, sizeof *one);
    if (!kr || !one)
        return RL_ERR_INTERNAL;
    riskline__v1__key_result__init(kr);
    one[0] = p;
    kr->principals = one;
    kr->n_principals = 1;
    rl_log_info(srv->log, "key issued", "name", p->name, "public_key", p->public_key, "by", req->principal->name);
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_KEY_RESULT;
    reply->key_result = kr;
    return RL_OK;
}

static rl_err_t h_key_list(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    Riskline__V1__KeyResult *kr;
    rl_err_t rc = rl_keys_list(srv->keys, req->arena, req->principal, req->env->key_list->include_revoked, &kr, err);
    if (rc)
        return rc;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_KEY_RESULT;
    reply->key_result = kr;
    return RL_OK;
}

static rl_err_t h_key_revoke(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    Riskline__V1__KeyResult *kr;
    rl_err_t rc = rl_keys_revoke(srv->keys, req->arena, req->principal, req->request_id, rl_clock_now(&srv->clock),
                                 req->env->key_revoke, &kr, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < kr->n_principals; i++)
        rl_log_info(srv->log, "key revoked", "name", kr->principals[i]->name, "public_key",
                    kr->principals[i]->public_key, "by", req->principal->name);
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_KEY_RESULT;
    reply->key_result = kr;
    return RL_OK;
}

int keys_handler_route(rl_bus_server_t *bus)
{
    return rl_bus_server_route(bus, RISKLINE__V1__ENVELOPE__BODY_KEY_ISSUE, "key_issue", h_key_issue) ||
           rl_bus_server_route(bus, RISKLINE__V1__ENVELOPE__BODY_KEY_LIST, "key_list", h_key_list) ||
           rl_bus_server_route(bus, RISKLINE__V1__ENVELOPE__BODY_KEY_REVOKE, "key_revoke", h_key_revoke);
}
