/* rl_cluster.c: Redis Cluster routing rules (slots, keys, slot map, redirects) without I/O. */
#include "rl_cluster.h"
#include "rl_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

uint16_t rl_cluster_crc16(const char *buf, size_t len)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)((uint16_t)(unsigned char)buf[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

unsigned rl_cluster_slot(const char *key, size_t len)
{
    const char *open = memchr(key, '{', len);
    if (open) {
        size_t from = (size_t)(open - key) + 1;
        const char *close = memchr(key + from, '}', len - from);
        if (close && close > key + from)
            return rl_cluster_crc16(key + from, (size_t)(close - key) - from) & (RL_CLUSTER_SLOTS - 1);
    }
    return rl_cluster_crc16(key, len) & (RL_CLUSTER_SLOTS - 1);
}

static int is(const char *arg, size_t len, const char *name)
{
    return len == strlen(name) && strncasecmp(arg, name, len) == 0;
}

int rl_cluster_key_index(int argc, const char *const *argv, const size_t *argvlen)
{
    if (argc < 1)
        return -1;
    const char *name = argv[0];
    size_t len = argvlen[0];
    static const char *const keyless[] = {"PING", "WAIT", "SCRIPT", "INFO", "ROLE", "CLUSTER", "AUTH", "ASKING",
                                          "ECHO", "TIME", "DBSIZE", "MULTI", "EXEC", "HELLO", "SELECT"};
    for (size_t i = 0; i < sizeof keyless / sizeof keyless[0]; i++)
        if (is(name, len, keyless[i]))
            return -1;
    if (is(name, len, "EVAL") || is(name, len, "EVALSHA") || is(name, len, "EVAL_RO") || is(name, len, "EVALSHA_RO")) {
        if (argc < 4)
            return -1;
        char num[16];
        if (argvlen[2] == 0 || argvlen[2] >= sizeof num)
            return -1;
        memcpy(num, argv[2], argvlen[2]);
        num[argvlen[2]] = '\0';
        char *end;
        long n = strtol(num, &end, 10);
        return *end == '\0' && n > 0 ? 3 : -1;
    }
    if (is(name, len, "XREAD") || is(name, len, "XREADGROUP")) {
        for (int i = 1; i + 1 < argc; i++)
            if (is(argv[i], argvlen[i], "STREAMS"))
                return i + 1;
        return -1;
    }
    if (is(name, len, "XINFO") || is(name, len, "XGROUP"))
        return argc >= 3 ? 2 : -1;
    return argc >= 2 ? 1 : -1;
}

/* A bulk or status string of at most size-1 bytes into buf; -1 otherwise. */
static int copy_str(const rl_val_t *v, char *buf, size_t size)
{
    if (v->type != RL_VAL_STR || v->len >= size || memchr(v->s, '\0', v->len))
        return -1;
    memcpy(buf, v->s, v->len);
    buf[v->len] = '\0';
    return 0;
}

int rl_cluster_parse_slots(const rl_val_t *reply, rl_cluster_range_t *out, size_t max, size_t *n)
{
    *n = 0;
    if (!reply || reply->type != RL_VAL_ARR)
        return -1;
    for (size_t i = 0; i < reply->n; i++) {
        const rl_val_t *r = &reply->elem[i];
        if (r->type != RL_VAL_ARR || r->n < 3 || r->elem[0].type != RL_VAL_INT || r->elem[1].type != RL_VAL_INT)
            return -1;
        const rl_val_t *master = &r->elem[2];
        long long first = r->elem[0].i, last = r->elem[1].i;
        if (first < 0 || last < first || last >= RL_CLUSTER_SLOTS || master->type != RL_VAL_ARR || master->n < 2 ||
            master->elem[1].type != RL_VAL_INT || master->elem[1].i < 1 || master->elem[1].i > 65535 || *n >= max)
            return -1;
        rl_cluster_range_t *o = &out[(*n)++];
        o->first = (unsigned)first;
        o->last = (unsigned)last;
        o->port = (int)master->elem[1].i;
        /* Redis answers "" or "?" for a node whose address it does not know: the asker's own */
        if (master->elem[0].type == RL_VAL_NIL || (master->elem[0].type == RL_VAL_STR && master->elem[0].len == 1 &&
                                                   master->elem[0].s[0] == '?'))
            o->host[0] = '\0';
        else if (copy_str(&master->elem[0], o->host, sizeof o->host) != 0)
            return -1;
    }
    return 0;
}

int rl_cluster_redirect(const char *err, int *ask, unsigned *slot, char *host, size_t size, int *port)
{
    size_t skip;
    if (!strncmp(err, "MOVED ", 6)) {
        *ask = 0;
        skip = 6;
    } else if (!strncmp(err, "ASK ", 4)) {
        *ask = 1;
        skip = 4;
    } else {
        return -1;
    }
    const char *p = err + skip;
    char *end;
    if (*p < '0' || *p > '9')
        return -1;
    unsigned long s = strtoul(p, &end, 10);
    if (*end != ' ' || s >= RL_CLUSTER_SLOTS)
        return -1;
    p = end + 1;
    size_t len = strcspn(p, " \r\n");
    if (p[len] != '\0')
        return -1;
    /* ":<port>": Redis does not know the node's address; the caller uses the one it asked */
    if (p[0] == ':' && !memchr(p + 1, ':', len - 1)) {
        char buf[16];
        if (len < 2 || len > 6)
            return -1;
        snprintf(buf, sizeof buf, "x%.*s", (int)(len), p);
        if (rl_config_hostport(buf, len + 1, host, size, port) != 0)
            return -1;
        host[0] = '\0';
    } else if (rl_config_hostport(p, len, host, size, port) != 0) {
        return -1;
    }
    *slot = (unsigned)s;
    return 0;
}
