/* rl_secure.h: a process's transport security from its configuration: key files, the ZAP handler
 * over the key store, or the loud plaintext mode (RISKLINE_INSECURE=1). */
#ifndef RL_SECURE_H
#define RL_SECURE_H

#include "rl_bus.h"
#include "rl_config.h"
#include "rl_keyfile.h"
#include "rl_keys.h"
#include "rl_log.h"
#include "rl_store.h"

typedef struct rl_secure rl_secure_t;

/* For a service named `service`: loads cfg->key_file or <keys_dir>/<service>.key and starts the
 * ZAP handler on bus, answering from the key store in `store` (borrowed). With cfg->insecure it
 * loads nothing and logs a warning. NULL with err set (missing or unreadable key file, ...). */
rl_secure_t *rl_secure_new(const rl_config_t *cfg, const char *service, rl_bus_t *bus, rl_store_t *store,
                           rl_log_t *log, rl_error_t *err);
void rl_secure_destroy(rl_secure_t **self_p);

/* The service's CURVE secret key (Z85) for rl_bus_server_new, or NULL when insecure. */
const char *rl_secure_curve_secret(const rl_secure_t *self);
/* The service's key file (signing keys included), or NULL when insecure. */
const rl_keyfile_t *rl_secure_keyfile(const rl_secure_t *self);
/* The key store behind the ZAP handler (the register also writes through it). */
rl_keys_t *rl_secure_keys(rl_secure_t *self);

/* For a client: its own keys (cfg->key_file, default <keys_dir>/cli.key) and the public key of
 * `service` (<keys_dir>/<service>.pub). RL_OK with *out filled; with cfg->insecure RL_OK and
 * *plaintext = 1. err names the missing file and says how to make it. */
rl_err_t rl_secure_client_keys(const rl_config_t *cfg, const char *service, rl_bus_client_keys_t *out,
                               int *plaintext, rl_error_t *err);

/* For the service itself as a client (`riskline-<service> --check`): its own key pair as the client
 * key and its own public key as the server's. The service's ZAP handler accepts that key without
 * the key store, as a principal with no role and no tenant (HealthGet only). */
rl_err_t rl_secure_self_client_keys(const rl_config_t *cfg, const char *service, rl_bus_client_keys_t *out,
                                    int *plaintext, rl_error_t *err);

#endif
