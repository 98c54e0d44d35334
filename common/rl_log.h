/* rl_log.h: structured logging, one JSON object per line: time, level, service, msg, fields. */
#ifndef RL_LOG_H
#define RL_LOG_H

#include <stdio.h>
#include "rl_clock.h"

typedef enum { RL_LOG_DEBUG = 0, RL_LOG_INFO, RL_LOG_WARN, RL_LOG_ERROR, RL_LOG_OFF } rl_log_level_t;

typedef struct rl_log rl_log_t;

/* out is borrowed (stdout when NULL); clock is copied (system clock when NULL). */
rl_log_t *rl_log_new(const char *service, rl_log_level_t min, FILE *out, const rl_clock_t *clock);
void rl_log_destroy(rl_log_t **self_p);

/* "debug"|"info"|"warn"|"error"|"off" -> level; -1 when unknown. */
int rl_log_level_parse(const char *s);

/* Fields are key, value string pairs ending with NULL: rl_log(l, RL_LOG_INFO, "up", "port", "7101", NULL).
 * Values are JSON-escaped. A NULL self logs nothing. */
void rl_log(rl_log_t *self, rl_log_level_t level, const char *msg, ...) __attribute__((sentinel));

#define rl_log_debug(l, ...) rl_log((l), RL_LOG_DEBUG, __VA_ARGS__, (char *)NULL)
#define rl_log_info(l, ...) rl_log((l), RL_LOG_INFO, __VA_ARGS__, (char *)NULL)
#define rl_log_warn(l, ...) rl_log((l), RL_LOG_WARN, __VA_ARGS__, (char *)NULL)
#define rl_log_error(l, ...) rl_log((l), RL_LOG_ERROR, __VA_ARGS__, (char *)NULL)

/* Append s JSON-escaped (without quotes) to buf of size `size` at *pos; truncates safely. */
void rl_json_escape_into(char *buf, size_t size, size_t *pos, const char *s);

#endif
