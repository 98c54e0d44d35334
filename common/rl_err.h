/* rl_err.h: error codes shared by all modules (same numbers as riskline.v1.Code) and error detail. */
#ifndef RL_ERR_H
#define RL_ERR_H

#include <stddef.h>

typedef enum {
    RL_OK = 0,
    RL_ERR_INVALID = 1,
    RL_ERR_NOT_FOUND = 2,
    RL_ERR_CONFLICT = 3,
    RL_ERR_UNSUPPORTED = 4,
    RL_ERR_FORBIDDEN = 5,
    RL_ERR_UNAUTHENTICATED = 6,
    RL_ERR_TOO_LARGE = 7,
    RL_ERR_UNAVAILABLE = 8,
    RL_ERR_INTERNAL = 9,
    RL_ERR_MALFORMED = 10,
} rl_err_t;

/* Detail of a failure: which field and why. Fixed buffers, always NUL-terminated. */
typedef struct {
    rl_err_t code;
    char field[64];
    char message[256];
} rl_error_t;

/* Short stable name of a code ("invalid_argument", "not_found", ...). Never NULL. */
const char *rl_strerror(rl_err_t code);

/* Fill err (may be NULL) and return code, so callers can `return rl_error_set(...)`. */
rl_err_t rl_error_set(rl_error_t *err, rl_err_t code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void rl_error_clear(rl_error_t *err);

#endif
