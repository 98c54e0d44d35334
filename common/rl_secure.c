/* rl_secure.c: key files -> CURVE server/client settings; the ZAP handler answers from rl_keys. */
#include "rl_secure.h"

#include <stdlib.h>
#include <string.h>

struct rl_secure {
    rl_keyfile_t kf;
    int insecure;
    rl_keys_t *keys;
    char service[32];
};

/* The service's own key is accepted without the key store: `riskline-<service> --check` connects
 * with it (a probe holds the service's key file and nothing else), and a probe must get an answer
 * while Redis, where the key store lives, is down. It stands for a principal with no role and no
 * tenant, so it can ask HealthGet (answered for any authenticated principal) and nothing else. */
static rl_err_t authn(void *ctx, const char *client_key, rl_principal_t *out, rl_error_t *err)
{
    rl_secure_t *self = ctx;
    if (self->kf.curve_public[0] && !strcmp(client_key, self->kf.curve_public)) {
        memset(out, 0, sizeof *out);
        snprintf(out->name, sizeof out->name, "riskline-%s", self->service);
        return RL_OK;
    }
    return rl_keys_lookup(self->keys, client_key, out, err);
}

/* Loads the service's key file (cfg->key_file, else <keys_dir>/<service>.key) into kf. */
static rl_err_t load_service_key(const rl_config_t *cfg, const char *service, rl_keyfile_t *kf, rl_error_t *err)
{
    char path[1100];
    if (cfg->key_file[0])
        snprintf(path, sizeof path, "%s", cfg->key_file);
    else if (rl_keyfile_path(path, sizeof path, cfg->keys_dir, service, "key"))
        return rl_error_set(err, RL_ERR_INVALID, "RISKLINE_KEYS_DIR", "too long");
    rl_err_t rc = rl_keyfile_load(kf, path, err);
    if (rc == RL_ERR_NOT_FOUND)
        return rl_error_set(err, RL_ERR_INVALID, "RISKLINE_KEY_FILE",
                            "no key file %s: run `riskline keys init` (make run does it), or set RISKLINE_INSECURE=1 "
                            "for a plaintext test setup", path);
    if (rc)
        return rc;
    if (!kf->curve_secret[0])
        return rl_error_set(err, RL_ERR_INVALID, "RISKLINE_KEY_FILE", "%s has no curve-secret", path);
    return RL_OK;
}

rl_secure_t *rl_secure_new(const rl_config_t *cfg, const char *service, rl_bus_t *bus, rl_store_t *store,
                           rl_log_t *log, rl_error_t *err)
{
    rl_secure_t *self = calloc(1, sizeof *self);
    if (!self) {
        rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
        return NULL;
    }
    self->insecure = cfg->insecure;
    snprintf(self->service, sizeof self->service, "%s", service);
    self->keys = rl_keys_new(store, log);
    if (!self->keys) {
        rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
        goto fail;
    }
    if (cfg->insecure) {
        rl_log_warn(log, "INSECURE: RISKLINE_INSECURE=1, transport is plaintext and unauthenticated; every request "
                    "runs as the configured principal with every role", "principal", cfg->principal);
        return self;
    }
    if (load_service_key(cfg, service, &self->kf, err) != RL_OK)
        goto fail;
    if (rl_bus_zap_start(bus, authn, self) != 0) {
        rl_error_set(err, RL_ERR_INTERNAL, "", "cannot start the ZAP handler");
        goto fail;
    }
    rl_log_info(log, "CURVE on: clients must hold a key in the key store", "public_key", self->kf.curve_public);
    return self;
fail:
    rl_secure_destroy(&self);
    return NULL;
}

void rl_secure_destroy(rl_secure_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rl_keys_destroy(&(*self_p)->keys);
    memset(&(*self_p)->kf, 0, sizeof (*self_p)->kf);
    free(*self_p);
    *self_p = NULL;
}

const char *rl_secure_curve_secret(const rl_secure_t *self) { return self->insecure ? NULL : self->kf.curve_secret; }
const rl_keyfile_t *rl_secure_keyfile(const rl_secure_t *self) { return self->insecure ? NULL : &self->kf; }
rl_keys_t *rl_secure_keys(rl_secure_t *self) { return self->keys; }

rl_err_t rl_secure_client_keys(const rl_config_t *cfg, const char *service, rl_bus_client_keys_t *out,
                               int *plaintext, rl_error_t *err)
{
    memset(out, 0, sizeof *out);
    *plaintext = cfg->insecure;
    if (cfg->insecure)
        return RL_OK;
    char path[1100];
    rl_keyfile_t kf;
    rl_err_t rc;
    if (cfg->key_file[0])
        snprintf(path, sizeof path, "%s", cfg->key_file);
    else
        rl_keyfile_path(path, sizeof path, cfg->keys_dir, "cli", "key");
    if ((rc = rl_keyfile_load(&kf, path, err)))
        return rc == RL_ERR_NOT_FOUND
                   ? rl_error_set(err, RL_ERR_UNAUTHENTICATED, "RISKLINE_KEY_FILE",
                                  "no client key at %s: run `riskline keys init` in the directory holding var/ "
                                  "(make run does it), or set RISKLINE_KEY_FILE / RISKLINE_KEYS_DIR", path)
                   : rc;
    if (!kf.curve_secret[0])
        return rl_error_set(err, RL_ERR_INVALID, "RISKLINE_KEY_FILE", "%s has no curve-secret", path);
    memcpy(out->public_key, kf.curve_public, 41);
    memcpy(out->secret_key, kf.curve_secret, 41);
    memset(&kf, 0, sizeof kf);
    rl_keyfile_path(path, sizeof path, cfg->keys_dir, service, "pub");
    if ((rc = rl_keyfile_load(&kf, path, err)))
        return rc == RL_ERR_NOT_FOUND
                   ? rl_error_set(err, RL_ERR_UNAUTHENTICATED, "RISKLINE_KEYS_DIR",
                                  "no public key of the %s service at %s", service, path)
                   : rc;
    memcpy(out->server_public, kf.curve_public, 41);
    return RL_OK;
}

rl_err_t rl_secure_self_client_keys(const rl_config_t *cfg, const char *service, rl_bus_client_keys_t *out,
                                    int *plaintext, rl_error_t *err)
{
    memset(out, 0, sizeof *out);
    *plaintext = cfg->insecure;
    if (cfg->insecure)
        return RL_OK;
    rl_keyfile_t kf;
    rl_err_t rc = load_service_key(cfg, service, &kf, err);
    if (rc == RL_OK) {
        memcpy(out->server_public, kf.curve_public, 41);
        memcpy(out->public_key, kf.curve_public, 41);
        memcpy(out->secret_key, kf.curve_secret, 41);
    }
    memset(&kf, 0, sizeof kf);
    return rc;
}
