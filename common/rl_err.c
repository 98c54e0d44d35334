/* rl_err.c: error code names and the error detail setter. */
#include "rl_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *rl_strerror(rl_err_t code)
{
    switch (code) {
    case RL_OK: return "ok";
    case RL_ERR_INVALID: return "invalid_argument";
    case RL_ERR_NOT_FOUND: return "not_found";
    case RL_ERR_CONFLICT: return "conflict";
    case RL_ERR_UNSUPPORTED: return "unsupported";
    case RL_ERR_FORBIDDEN: return "forbidden";
    case RL_ERR_UNAUTHENTICATED: return "unauthenticated";
    case RL_ERR_TOO_LARGE: return "too_large";
    case RL_ERR_UNAVAILABLE: return "unavailable";
    case RL_ERR_INTERNAL: return "internal";
    case RL_ERR_MALFORMED: return "malformed";
    }
    return "unknown";
}

rl_err_t rl_error_set(rl_error_t *err, rl_err_t code, const char *field, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    } else {
        snprintf(err->message, sizeof err->message, "%s", rl_strerror(code));
    }
    return code;
}

void rl_error_clear(rl_error_t *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}
