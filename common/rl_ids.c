/* rl_ids.c: id generation and validation. */
#include "rl_ids.h"
#include "rl_limits.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int rl_request_id_new(char *buf)
{
    unsigned char raw[16];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        buf[2 * i] = hex[raw[i] >> 4];
        buf[2 * i + 1] = hex[raw[i] & 15];
    }
    buf[32] = '\0';
    return 0;
}

char *rl_entity_id_format(const char *prefix, uint64_t n, char *buf, size_t size)
{
    snprintf(buf, size, "%s-%llu", prefix, (unsigned long long)n);
    return buf;
}

int rl_entity_id_parse(const char *prefix, const char *s, uint64_t *n_out)
{
    size_t pl = strlen(prefix);
    if (!s || strncmp(s, prefix, pl) != 0 || s[pl] != '-')
        return -1;
    const char *p = s + pl + 1;
    size_t len = strlen(p);
    if (len == 0 || len > 16 || p[0] == '0')
        return -1;
    uint64_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        n = n * 10 + (uint64_t)(p[i] - '0');
    }
    if (n > (1ULL << 53))
        return -1;
    *n_out = n;
    return 0;
}

int rl_tenant_valid(const char *s)
{
    if (!s)
        return 0;
    size_t len = strlen(s);
    if (len == 0 || len > RL_MAX_TENANT)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '_' || c == '-'));
        if (!ok)
            return 0;
    }
    return 1;
}

int rl_request_id_valid(const char *s)
{
    if (!s)
        return 0;
    size_t len = strlen(s);
    if (len == 0 || len > RL_MAX_REQUEST_ID)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

int rl_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t len;
        unsigned cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}
