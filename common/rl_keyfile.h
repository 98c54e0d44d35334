/* rl_keyfile.h: key files on disk: a CURVE key pair and, for services, an Ed25519 signing pair. */
#ifndef RL_KEYFILE_H
#define RL_KEYFILE_H

#include <stdint.h>

#include "rl_err.h"

/*
 * <dir>/<name>.key   mode 0600, refused when group/other may read it
 *     curve-public = <Z85, 40 chars>
 *     curve-secret = <Z85, 40 chars>
 *     sign-public  = <hex, 64 chars>      (services only)
 *     sign-secret  = <hex, 128 chars>     (services only)
 * <dir>/<name>.pub   mode 0644: the same without the secret lines
 */
typedef struct {
    char curve_public[41];
    char curve_secret[41];      /* "" when loaded from a .pub file */
    int has_sign;               /* sign-public present */
    int has_sign_secret;
    uint8_t sign_public[32];
    uint8_t sign_secret[64];
} rl_keyfile_t;

/* New random CURVE pair, plus a signing pair when with_sign. RL_ERR_INTERNAL when no entropy. */
rl_err_t rl_keyfile_generate(rl_keyfile_t *kf, int with_sign, rl_error_t *err);

/* Writes <dir>/<name>.key (0600) and <dir>/<name>.pub (0644), creating dir (0700). Refuses to
 * overwrite an existing .key (RL_ERR_CONFLICT). */
rl_err_t rl_keyfile_save(const rl_keyfile_t *kf, const char *dir, const char *name, rl_error_t *err);

/* Loads a .key or .pub file. RL_ERR_NOT_FOUND when missing; RL_ERR_INVALID (field = path) when
 * malformed or when a file holding a secret is readable by group or other. */
rl_err_t rl_keyfile_load(rl_keyfile_t *kf, const char *path, rl_error_t *err);

/* "<dir>/<name>.<ext>" into buf; -1 when it does not fit. */
int rl_keyfile_path(char *buf, size_t size, const char *dir, const char *name, const char *ext);

/* 1 if s is 40 valid Z85 characters. */
int rl_keyfile_z85_valid(const char *s);
/* Decodes 40 Z85 characters into 32 bytes. 0 ok, -1 when not valid Z85 of a 32-byte key. */
int rl_keyfile_z85_decode(uint8_t out[32], const char *s);

#endif
