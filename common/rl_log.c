/* rl_log.c: JSON-lines logger; each line is built in one buffer and written with one call. */
#include "rl_log.h"
#include "rl_time.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct rl_log {
    char service[32];
    rl_log_level_t min;
    FILE *out;
    rl_clock_t clock;
};

static const char *level_names[] = {"debug", "info", "warn", "error", "off"};

rl_log_t *rl_log_new(const char *service, rl_log_level_t min, FILE *out, const rl_clock_t *clock)
{
    rl_log_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    snprintf(self->service, sizeof self->service, "%s", service ? service : "riskline");
    self->min = min;
    self->out = out ? out : stdout;
    self->clock = clock ? *clock : rl_clock_system();
    return self;
}

void rl_log_destroy(rl_log_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

int rl_log_level_parse(const char *s)
{
    for (int i = 0; s && i <= RL_LOG_OFF; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

static void put(char *buf, size_t size, size_t *pos, const char *s)
{
    size_t n = strlen(s);
    if (*pos + n >= size)
        n = size - 1 - *pos;
    memcpy(buf + *pos, s, n);
    *pos += n;
    buf[*pos] = '\0';
}

void rl_json_escape_into(char *buf, size_t size, size_t *pos, const char *s)
{
    for (; s && *s && *pos + 7 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[(*pos)++] = '\\';
            buf[(*pos)++] = (char)c;
        } else if (c < 0x20) {
            *pos += (size_t)snprintf(buf + *pos, size - *pos, "\\u%04x", c);
        } else {
            buf[(*pos)++] = (char)c;
        }
    }
    buf[*pos] = '\0';
}

void rl_log(rl_log_t *self, rl_log_level_t level, const char *msg, ...)
{
    if (!self || level < self->min || level >= RL_LOG_OFF)
        return;
    char line[4096];
    size_t pos = 0;
    char ts[RL_TS_LEN];
    line[0] = '\0';
    put(line, sizeof line - 2, &pos, "{\"time\":\"");
    put(line, sizeof line - 2, &pos, rl_ts_format(rl_clock_now(&self->clock), ts));
    put(line, sizeof line - 2, &pos, "\",\"level\":\"");
    put(line, sizeof line - 2, &pos, level_names[level]);
    put(line, sizeof line - 2, &pos, "\",\"service\":\"");
    rl_json_escape_into(line, sizeof line - 2, &pos, self->service);
    put(line, sizeof line - 2, &pos, "\",\"msg\":\"");
    rl_json_escape_into(line, sizeof line - 2, &pos, msg);
    put(line, sizeof line - 2, &pos, "\"");
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        put(line, sizeof line - 2, &pos, ",\"");
        rl_json_escape_into(line, sizeof line - 2, &pos, k);
        put(line, sizeof line - 2, &pos, "\":\"");
        rl_json_escape_into(line, sizeof line - 2, &pos, v ? v : "");
        put(line, sizeof line - 2, &pos, "\"");
    }
    va_end(ap);
    line[pos++] = '}';
    line[pos++] = '\n';
    fwrite(line, 1, pos, self->out);
    fflush(self->out);
}
