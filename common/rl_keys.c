/* rl_keys.c: key store reads (cached for ZAP and per-message checks) and the register's key writes. */
#include "rl_keys.h"
#include "rl_acl.h"
#include "rl_clock.h"
#include "rl_codec.h"
#include "rl_ids.h"
#include "rl_keyfile.h"
#include "rl_limits.h"

#include <stdlib.h>
#include <string.h>

#define AUTH "rl:{_auth}:"

typedef struct {
    char z85[41];
    int revoked;
    rl_principal_t p;
} entry_t;

struct rl_keys {
    rl_store_t *store;
    rl_log_t *log;
    entry_t *entries;      /* sorted by z85 */
    size_t n;
    int loaded;
    char marker[48];       /* last id of the auth stream when loaded */
    int64_t checked_ns;    /* when the marker was last compared */
    uint64_t revocations;  /* revoked entries in the table */
    rl_arena_t *arena;     /* scratch for refreshes */
};

rl_keys_t *rl_keys_new(rl_store_t *store, rl_log_t *log)
{
    rl_keys_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->log = log;
    self->arena = rl_arena_new(RL_MAX_REPLY_BYTES);
    if (!self->arena)
        rl_keys_destroy(&self);
    return self;
}

void rl_keys_destroy(rl_keys_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rl_arena_destroy(&(*self_p)->arena);
    free((*self_p)->entries);
    free(*self_p);
    *self_p = NULL;
}

uint64_t rl_keys_revocations(const rl_keys_t *self) { return self->revocations; }

void rl_keys_invalidate(rl_keys_t *self) { self->checked_ns = 0, self->marker[0] = '\0', self->loaded = 0; }

int rl_keys_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 1 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("._@+-", c)))
            return 0;
    }
    return 1;
}

void rl_keys_to_principal(const Riskline__V1__Principal *rec, rl_principal_t *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", rec->name ? rec->name : "");
    for (size_t i = 0; i < rec->n_roles; i++)
        out->roles |= rl_role_parse(rec->roles[i]);
    for (size_t i = 0; i < rec->n_tenants; i++) {
        if (!strcmp(rec->tenants[i], "*"))
            out->all_tenants = 1;
        else if (out->ntenants < RL_PRINCIPAL_MAX_TENANTS && rl_tenant_valid(rec->tenants[i]))
            snprintf(out->tenants[out->ntenants++], sizeof out->tenants[0], "%s", rec->tenants[i]);
    }
}

static char *key_hex(rl_arena_t *a, const char *z85)
{
    uint8_t raw[32];
    if (rl_keyfile_z85_decode(raw, z85))
        return NULL;
    char *hex = rl_arena_alloc(a, 65);
    if (!hex)
        return NULL;
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    return hex;
}

static int entry_cmp(const void *a, const void *b) { return strcmp(((const entry_t *)a)->z85, ((const entry_t *)b)->z85); }

/* The auth stream's last id: it changes with every key write. "" when there is none. */
static rl_err_t read_marker(rl_keys_t *self, rl_arena_t *a, char *marker, size_t size, rl_error_t *err)
{
    rl_cmd_t *cmd = rl_cmd_new(a, "XREVRANGE");
    rl_cmd_arg(cmd, AUTH "events");
    rl_cmd_arg(cmd, "+");
    rl_cmd_arg(cmd, "-");
    rl_cmd_arg(cmd, "COUNT");
    rl_cmd_arg(cmd, "1");
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(self->store, a, cmd, &v, err);
    if (rc)
        return rc;
    if (v->type == RL_VAL_ERR)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "key store: %s", v->s);
    marker[0] = '\0';
    if (v->type == RL_VAL_ARR && v->n == 1 && v->elem[0].type == RL_VAL_ARR && v->elem[0].n >= 1)
        snprintf(marker, size, "%s", v->elem[0].elem[0].s);
    return RL_OK;
}

/* Reads every record (ZRANGE, then one pipelined HGET per key). */
static rl_err_t read_all(rl_keys_t *self, rl_arena_t *a, Riskline__V1__Principal ***recs, size_t *nrec,
                         rl_error_t *err)
{
    rl_cmd_t *cmd = rl_cmd_new(a, "ZRANGE");
    rl_cmd_arg(cmd, AUTH "keys");
    rl_cmd_arg(cmd, "0");
    rl_cmd_arg(cmd, "-1");
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(self->store, a, cmd, &v, err);
    if (rc)
        return rc;
    if (v->type != RL_VAL_ARR)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "key store: unexpected reply to ZRANGE");
    *nrec = 0;
    *recs = NULL;
    if (v->n == 0)
        return RL_OK;
    rl_cmd_t **cmds = rl_arena_alloc(a, v->n * sizeof *cmds);
    const rl_val_t **vals = rl_arena_alloc(a, v->n * sizeof *vals);
    *recs = rl_arena_alloc(a, v->n * sizeof **recs);
    if (!cmds || !vals || !*recs)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "key store too large for memory");
    for (size_t i = 0; i < v->n; i++) {
        cmds[i] = rl_cmd_new(a, "HGET");
        rl_cmd_argf(cmds[i], AUTH "key:%s", v->elem[i].s);
        rl_cmd_arg(cmds[i], "pb");
    }
    if ((rc = rl_store_pipeline(self->store, a, v->n, cmds, vals, err)))
        return rc;
    for (size_t i = 0; i < v->n; i++) {
        if (vals[i]->type != RL_VAL_STR)
            continue;
        Riskline__V1__Principal *p = rl_codec_unpack(&riskline__v1__principal__descriptor, vals[i]->s,
                                                     vals[i]->len, RL_MAX_FRAME_BYTES, a);
        if (p && rl_keyfile_z85_valid(p->public_key))
            (*recs)[(*nrec)++] = p;
    }
    return RL_OK;
}

rl_err_t rl_keys_refresh(rl_keys_t *self, rl_error_t *err)
{
    int64_t now = rl_mono_ns();
    if (self->loaded && now - self->checked_ns < (int64_t)RL_KEYS_REFRESH_MS * 1000000)
        return RL_OK;
    rl_arena_reset(self->arena);
    char marker[48];
    rl_err_t rc = read_marker(self, self->arena, marker, sizeof marker, err);
    if (rc)
        return rc;
    self->checked_ns = now;
    if (self->loaded && !strcmp(marker, self->marker))
        return RL_OK;
    Riskline__V1__Principal **recs;
    size_t n;
    if ((rc = read_all(self, self->arena, &recs, &n, err)))
        return rc;
    entry_t *e = calloc(n ? n : 1, sizeof *e);
    if (!e)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    for (size_t i = 0; i < n; i++) {
        memcpy(e[i].z85, recs[i]->public_key, 41);
        e[i].revoked = recs[i]->revoked_ms != 0;
        rl_keys_to_principal(recs[i], &e[i].p);
    }
    qsort(e, n, sizeof *e, entry_cmp);
    self->revocations = 0;
    for (size_t i = 0; i < n; i++)
        self->revocations += (uint64_t)e[i].revoked;
    free(self->entries);
    self->entries = e;
    self->n = n;
    self->loaded = 1;
    snprintf(self->marker, sizeof self->marker, "%s", marker);
    rl_log_debug(self->log, "key store loaded", "marker", marker);
    return RL_OK;
}

rl_err_t rl_keys_lookup(rl_keys_t *self, const char *key_z85, rl_principal_t *out, rl_error_t *err)
{
    rl_error_t ferr;
    rl_error_clear(&ferr);
    /* A store outage keeps the last table: who was allowed a moment ago still is. */
    if (rl_keys_refresh(self, &ferr) != RL_OK && !self->loaded)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "key store unreadable: %s", ferr.message);
    entry_t probe;
    snprintf(probe.z85, sizeof probe.z85, "%s", key_z85 ? key_z85 : "");
    const entry_t *e = self->n ? bsearch(&probe, self->entries, self->n, sizeof *e, entry_cmp) : NULL;
    /* A key issued a moment ago must work at once: on a miss, look again unless we just did
     * (at most one extra store read per RL_KEYS_MISS_MS, so unknown keys cannot flood Redis). */
    if (!e && rl_mono_ns() - self->checked_ns > (int64_t)RL_KEYS_MISS_MS * 1000000) {
        self->checked_ns = 0;
        if (rl_keys_refresh(self, &ferr) == RL_OK && self->n)
            e = bsearch(&probe, self->entries, self->n, sizeof *e, entry_cmp);
    }
    if (!e)
        return rl_error_set(err, RL_ERR_UNAUTHENTICATED, "key", "client key %.40s is not in the key store%s%s",
                            probe.z85, ferr.message[0] ? " (key store: " : "", ferr.message[0] ? ferr.message : "");
    if (e->revoked)
        return rl_error_set(err, RL_ERR_UNAUTHENTICATED, "key", "client key %.40s of %s has been revoked", e->z85,
                            e->p.name);
    *out = e->p;
    return RL_OK;
}

/* --- writes --- */

/* Every tenant of rec is one the issuer may administer. */
static int issuer_covers(const rl_principal_t *issuer, const Riskline__V1__Principal *rec)
{
    if (issuer->all_tenants)
        return 1;
    for (size_t i = 0; i < rec->n_tenants; i++)
        if (!strcmp(rec->tenants[i], "*") || !rl_principal_has_tenant(issuer, rec->tenants[i]))
            return 0;
    return 1;
}

/* One record write: entity + key.<kind> event on the auth stream + index, atomically. */
static rl_err_t save(rl_keys_t *self, rl_arena_t *a, const char *request_id, const char *actor, int64_t now_ms,
                     Riskline__V1__Principal *rec, const char *kind, const char *comment, const char *dedupe_suffix,
                     rl_write_result_t *res, rl_error_t *err)
{
    const char *hex = key_hex(a, rec->public_key);
    if (!hex)
        return rl_error_set(err, RL_ERR_INVALID, "public_key", "is not a Z85 CURVE public key");
    size_t blob_len = 0, ev_len = 0;
    uint8_t *blob = rl_codec_pack(&rec->base, a, &blob_len);
    Riskline__V1__DomainEvent ev = RISKLINE__V1__DOMAIN_EVENT__INIT;
    ev.kind = (char *)kind;
    ev.entity_type = "key";
    ev.entity_id = rec->name;
    ev.actor = (char *)actor;
    ev.at_ms = now_ms;
    ev.version = rec->version;
    ev.comment = (char *)(comment ? comment : "");
    ev.request_id = (char *)request_id;
    ev.entity.data = blob;
    ev.entity.len = blob_len;
    uint8_t *evb = rl_codec_pack(&ev.base, a, &ev_len);
    if (!blob || !evb)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    rl_op_t op = {RL_OP_ZADD, AUTH "keys", (double)rec->issued_ms, hex, NULL};
    rl_write_t w = {
        .entity_key = rl_arena_printf(a, AUTH "key:%s", hex),
        .expected_version = rec->version - 1, .new_version = rec->version,
        .blob = blob, .blob_len = blob_len, .stream_key = AUTH "events",
        .event = evb, .event_len = ev_len,
        .dedupe_key = rl_arena_printf(a, AUTH "req:%s%s", request_id, dedupe_suffix ? dedupe_suffix : ""),
        .dedupe_value = rec->public_key, .ops = &op, .nops = 1,
    };
    rl_err_t rc = rl_store_write(self->store, a, &w, res, err);
    rl_keys_invalidate(self);
    return rc;
}

static rl_err_t check_list(char **items, size_t n, size_t max, const char *field, int (*valid)(const char *),
                           rl_error_t *err)
{
    if (n == 0)
        return rl_error_set(err, RL_ERR_INVALID, field, "at least one is required");
    if (n > max)
        return rl_error_set(err, RL_ERR_TOO_LARGE, field, "at most %zu", max);
    for (size_t i = 0; i < n; i++) {
        if (!valid(items[i]))
            return rl_error_set(err, RL_ERR_INVALID, field, "\"%.40s\" is not valid", items[i]);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(items[i], items[j]))
                return rl_error_set(err, RL_ERR_INVALID, field, "\"%.40s\" is listed twice", items[i]);
    }
    return RL_OK;
}

static int role_valid(const char *s) { return rl_role_parse(s) != 0; }
static int tenant_or_all(const char *s) { return !strcmp(s, "*") || rl_tenant_valid(s); }

static Riskline__V1__Principal *find_record(rl_keys_t *self, rl_arena_t *a, const char *hex, rl_error_t *err,
                                            rl_err_t *rc)
{
    rl_cmd_t *cmd = rl_cmd_new(a, "HGET");
    rl_cmd_argf(cmd, AUTH "key:%s", hex);
    rl_cmd_arg(cmd, "pb");
    const rl_val_t *v;
    if ((*rc = rl_store_cmd(self->store, a, cmd, &v, err)))
        return NULL;
    if (v->type != RL_VAL_STR)
        return NULL;
    return rl_codec_unpack(&riskline__v1__principal__descriptor, v->s, v->len, RL_MAX_FRAME_BYTES, a);
}

rl_err_t rl_keys_issue(rl_keys_t *self, rl_arena_t *arena, const rl_principal_t *issuer, const char *request_id,
                       int64_t now_ms, const Riskline__V1__KeyIssue *req, Riskline__V1__Principal **out,
                       rl_error_t *err)
{
    rl_err_t rc;
    if (!rl_keyfile_z85_valid(req->public_key))
        return rl_error_set(err, RL_ERR_INVALID, "public_key", "must be a 40-character Z85 CURVE public key");
    if (!rl_keys_name_valid(req->name))
        return rl_error_set(err, RL_ERR_INVALID, "name", "must be 1..128 of [A-Za-z0-9._@+-]");
    if ((rc = check_list(req->roles, req->n_roles, 7, "roles", role_valid, err)))
        return rc;
    if ((rc = check_list(req->tenants, req->n_tenants, RL_MAX_KEY_TENANTS, "tenants", tenant_or_all, err)))
        return rc;
    if (strlen(req->comment) > RL_MAX_TEXT || !rl_utf8_valid(req->comment, strlen(req->comment)))
        return rl_error_set(err, RL_ERR_INVALID, "comment", "must be valid UTF-8 of at most %d bytes", RL_MAX_TEXT);
    Riskline__V1__Principal *rec = rl_arena_alloc(arena, sizeof *rec);
    if (!rec)
        return RL_ERR_INTERNAL;
    riskline__v1__principal__init(rec);
    rec->public_key = req->public_key;
    rec->name = req->name;
    rec->roles = req->roles;
    rec->n_roles = req->n_roles;
    rec->tenants = req->tenants;
    rec->n_tenants = req->n_tenants;
    rec->comment = req->comment;
    rec->issued_ms = now_ms;
    rec->issued_by = (char *)issuer->name;
    rec->version = 1;
    if (!issuer_covers(issuer, rec))
        return rl_error_set(err, RL_ERR_FORBIDDEN, "tenants",
                            "%s may only issue keys for its own tenants (and never \"*\")", issuer->name);
    rl_write_result_t res;
    rc = save(self, arena, request_id, issuer->name, now_ms, rec, "key.issued", req->comment, NULL, &res, err);
    if (rc == RL_ERR_CONFLICT)
        return rl_error_set(err, RL_ERR_CONFLICT, "public_key", "this key is already in the key store");
    if (rc)
        return rc;
    if (res.outcome == RL_WRITE_DUPLICATE) {
        Riskline__V1__Principal *first = find_record(self, arena, key_hex(arena, req->public_key), err, &rc);
        if (first)
            rec = first;
    }
    *out = rec;
    return RL_OK;
}

static rl_err_t revoke_one(rl_keys_t *self, rl_arena_t *a, const rl_principal_t *issuer, const char *request_id,
                           int64_t now_ms, Riskline__V1__Principal *rec, const char *reason, rl_error_t *err)
{
    if (!issuer_covers(issuer, rec))
        return rl_error_set(err, RL_ERR_FORBIDDEN, "public_key",
                            "%s may not revoke a key that reaches tenants it does not administer", issuer->name);
    rec->revoked_ms = now_ms;
    rec->revoked_by = (char *)issuer->name;
    rec->revoke_reason = (char *)reason;
    rec->version++;
    rl_write_result_t res;
    /* one request may revoke several keys: each write gets its own marker */
    return save(self, a, request_id, issuer->name, now_ms, rec, "key.revoked", reason,
                rl_arena_printf(a, ":%.12s", rec->public_key), &res, err);
}

rl_err_t rl_keys_revoke(rl_keys_t *self, rl_arena_t *arena, const rl_principal_t *issuer, const char *request_id,
                        int64_t now_ms, const Riskline__V1__KeyRevoke *req, Riskline__V1__KeyResult **out,
                        rl_error_t *err)
{
    rl_err_t rc;
    int by_key = req->public_key[0] != '\0';
    if (by_key == (req->name[0] != '\0'))
        return rl_error_set(err, RL_ERR_INVALID, by_key ? "name" : "public_key", "give either a key or a name");
    if (strlen(req->reason) > RL_MAX_TEXT || !rl_utf8_valid(req->reason, strlen(req->reason)))
        return rl_error_set(err, RL_ERR_INVALID, "reason", "must be valid UTF-8 of at most %d bytes", RL_MAX_TEXT);
    if (by_key && !rl_keyfile_z85_valid(req->public_key))
        return rl_error_set(err, RL_ERR_INVALID, "public_key", "must be a 40-character Z85 CURVE public key");
    if (!by_key && !rl_keys_name_valid(req->name))
        return rl_error_set(err, RL_ERR_INVALID, "name", "must be 1..128 of [A-Za-z0-9._@+-]");
    Riskline__V1__KeyResult *kr = rl_arena_alloc(arena, sizeof *kr);
    Riskline__V1__Principal **recs;
    size_t n;
    if (!kr)
        return RL_ERR_INTERNAL;
    riskline__v1__key_result__init(kr);
    if ((rc = read_all(self, arena, &recs, &n, err)))
        return rc;
    kr->principals = rl_arena_alloc(arena, (n ? n : 1) * sizeof *kr->principals);
    if (!kr->principals)
        return RL_ERR_INTERNAL;
    size_t matched = 0;
    for (size_t i = 0; i < n; i++) {
        Riskline__V1__Principal *rec = recs[i];
        if (by_key ? strcmp(rec->public_key, req->public_key) : strcmp(rec->name, req->name))
            continue;
        matched++;
        if (rec->revoked_ms)
            continue;
        if ((rc = revoke_one(self, arena, issuer, request_id, now_ms, rec, req->reason, err)))
            return rc;
        kr->principals[kr->n_principals++] = rec;
    }
    if (!matched)
        return rl_error_set(err, RL_ERR_NOT_FOUND, by_key ? "public_key" : "name", "no key %s %s",
                            by_key ? "" : "named", by_key ? req->public_key : req->name);
    if (!kr->n_principals)
        return rl_error_set(err, RL_ERR_CONFLICT, by_key ? "public_key" : "name", "already revoked");
    *out = kr;
    return RL_OK;
}

/* Some tenant of rec is one the viewer reaches. */
static int viewer_sees(const rl_principal_t *viewer, const Riskline__V1__Principal *rec)
{
    if (viewer->all_tenants)
        return 1;
    for (size_t i = 0; i < rec->n_tenants; i++)
        if (strcmp(rec->tenants[i], "*") && rl_principal_has_tenant(viewer, rec->tenants[i]))
            return 1;
    return 0;
}

rl_err_t rl_keys_list(rl_keys_t *self, rl_arena_t *arena, const rl_principal_t *viewer, int include_revoked,
                      Riskline__V1__KeyResult **out, rl_error_t *err)
{
    Riskline__V1__KeyResult *kr = rl_arena_alloc(arena, sizeof *kr);
    Riskline__V1__Principal **recs;
    size_t n;
    if (!kr)
        return RL_ERR_INTERNAL;
    riskline__v1__key_result__init(kr);
    rl_err_t rc = read_all(self, arena, &recs, &n, err);
    if (rc)
        return rc;
    kr->principals = recs;
    for (size_t i = 0; i < n; i++)
        if ((include_revoked || !recs[i]->revoked_ms) && viewer_sees(viewer, recs[i]))
            kr->principals[kr->n_principals++] = recs[i];
    *out = kr;
    return RL_OK;
}

rl_err_t rl_keys_seed(rl_keys_t *self, rl_arena_t *arena, const char *key_z85, const char *name, int64_t now_ms,
                      rl_error_t *err)
{
    rl_err_t rc = RL_OK;
    const char *hex = key_hex(arena, key_z85);
    if (!hex || !rl_keys_name_valid(name))
        return rl_error_set(err, RL_ERR_INVALID, "key", "bootstrap key or name is not valid");
    if (find_record(self, arena, hex, err, &rc) || rc)
        return rc;
    static char *roles[] = {"viewer", "risk_owner", "treatment_owner", "approver", "auditor", "admin"};
    static char *all[] = {"*"};
    Riskline__V1__Principal rec = RISKLINE__V1__PRINCIPAL__INIT;
    rec.public_key = (char *)key_z85;
    rec.name = (char *)name;
    rec.roles = roles;
    rec.n_roles = sizeof roles / sizeof roles[0];
    rec.tenants = all;
    rec.n_tenants = 1;
    rec.issued_ms = now_ms;
    rec.issued_by = "bootstrap";
    rec.comment = "local administrator key created by keys init";
    rec.version = 1;
    rl_write_result_t res;
    rc = save(self, arena, rl_arena_printf(arena, "seed-%s", hex), "bootstrap", now_ms, &rec, "key.issued",
              rec.comment, NULL, &res, err);
    return rc == RL_ERR_CONFLICT ? RL_OK : rc;  /* another replica seeded it first */
}
