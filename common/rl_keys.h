/* rl_keys.h: the key store: which CURVE client keys may connect, as which principal (Redis + cache). */
#ifndef RL_KEYS_H
#define RL_KEYS_H

#include <stdint.h>

#include "riskline/v1/auth.pb-c.h"
#include "rl_arena.h"
#include "rl_err.h"
#include "rl_log.h"
#include "rl_principal.h"
#include "rl_store.h"

/*
 * Keys (written by the register only, read by every service's ZAP handler):
 *   rl:{_auth}:key:<hex of the 32-byte public key>   hash {v, pb: Principal}
 *   rl:{_auth}:keys                                  zset hex -> issued_ms
 *   rl:{_auth}:events                                stream of key.issued / key.revoked events
 *   rl:{_auth}:req:<request id>                      idempotency markers
 * Every process caches the table and re-reads it when the stream's last id changed, checked at
 * most every RL_KEYS_REFRESH_MS: a revocation reaches every service within that time, with no
 * restart, on new connections and on connections already open.
 */
#define RL_KEYS_REFRESH_MS 200
/* An unknown key makes the table be re-read at once, at most this often. */
#define RL_KEYS_MISS_MS 5

typedef struct rl_keys rl_keys_t;

/* The store is borrowed (must outlive the key store). NULL when out of memory. */
rl_keys_t *rl_keys_new(rl_store_t *store, rl_log_t *log);
void rl_keys_destroy(rl_keys_t **self_p);

/* The principal of a client key (Z85). RL_ERR_UNAUTHENTICATED when unknown or revoked (err says
 * which); RL_ERR_UNAVAILABLE when the store cannot be read and nothing is cached yet. */
rl_err_t rl_keys_lookup(rl_keys_t *self, const char *key_z85, rl_principal_t *out, rl_error_t *err);

/* Re-reads the store if it changed (at most every RL_KEYS_REFRESH_MS). */
rl_err_t rl_keys_refresh(rl_keys_t *self, rl_error_t *err);
/* Revoked keys in the table last read: when it grows, long-lived subscriptions must be re-checked
 * (rl_bus_pub_reauthenticate). */
uint64_t rl_keys_revocations(const rl_keys_t *self);

/* Forget the cache: the next lookup re-reads the store. */
void rl_keys_invalidate(rl_keys_t *self);

/* --- writes (the register's key requests) --- */
/* Adds a key. `issuer` limits what may be granted: only its own tenants unless it has all.
 * *out is arena-owned. RL_ERR_INVALID (field named), RL_ERR_FORBIDDEN, RL_ERR_CONFLICT (key exists). */
rl_err_t rl_keys_issue(rl_keys_t *self, rl_arena_t *arena, const rl_principal_t *issuer, const char *request_id,
                       int64_t now_ms, const Riskline__V1__KeyIssue *req, Riskline__V1__Principal **out,
                       rl_error_t *err);
/* Revokes one key, or every valid key of a name. The revoked records are returned. */
rl_err_t rl_keys_revoke(rl_keys_t *self, rl_arena_t *arena, const rl_principal_t *issuer, const char *request_id,
                        int64_t now_ms, const Riskline__V1__KeyRevoke *req, Riskline__V1__KeyResult **out,
                        rl_error_t *err);
/* The keys whose tenants the viewer may see (all for an all-tenant viewer), oldest first. */
rl_err_t rl_keys_list(rl_keys_t *self, rl_arena_t *arena, const rl_principal_t *viewer, int include_revoked,
                      Riskline__V1__KeyResult **out, rl_error_t *err);
/* First start: adds key_z85 as `name` with every role on every tenant unless the key is already
 * in the store (valid or revoked: a revoked bootstrap key stays revoked). */
rl_err_t rl_keys_seed(rl_keys_t *self, rl_arena_t *arena, const char *key_z85, const char *name, int64_t now_ms,
                      rl_error_t *err);

/* --- pure --- */
/* Principal record -> rl_principal_t (unknown role names are ignored: a newer peer's role). */
void rl_keys_to_principal(const Riskline__V1__Principal *rec, rl_principal_t *out);
/* 1 when name is a valid principal name: 1..128 of [A-Za-z0-9._@+-]. */
int rl_keys_name_valid(const char *name);

#endif
