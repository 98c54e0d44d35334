/* cli_parse_treatment.c: strict parsers of the treatment commands' option values (money, control[:status], person triples, id lists, enums); pure, no I/O. */
#include "cli_parse_treatment.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rl_json.h"
#include "rl_limits.h"

static int bad(rl_error_t *err, const char *opt, const char *what, const char *s)
{
    rl_error_set(err, RL_ERR_INVALID, opt, "expected %s, got '%.100s'", what, s ? s : "");
    return -1;
}

static int oom(rl_error_t *err)
{
    rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    return -1;
}

int cli_parse_money(const char *opt, const char *s, int64_t *minor, rl_error_t *err)
{
    static const char what[] = "an amount like 1250.50 (digits, at most 2 after the point)";
    if (!s || !*s)
        return bad(err, opt, what, s);
    const char *p = s;
    uint64_t units = 0;
    size_t nint = 0;
    for (; *p >= '0' && *p <= '9'; p++, nint++) {
        unsigned d = (unsigned)(*p - '0');
        if (units > ((uint64_t)INT64_MAX - d) / 10)
            goto overflow;
        units = units * 10 + d;
    }
    if (nint == 0)
        return bad(err, opt, what, s);
    unsigned frac = 0, nfrac = 0;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (++nfrac > 2)
                return bad(err, opt, what, s);
            frac = frac * 10 + (unsigned)(*p - '0');
        }
        if (nfrac == 0)
            return bad(err, opt, what, s);
    }
    if (*p)
        return bad(err, opt, what, s);
    if (nfrac == 1)
        frac *= 10;
    if (units > ((uint64_t)INT64_MAX - frac) / 100)
        goto overflow;
    *minor = (int64_t)(units * 100 + frac);
    return 0;
overflow:
    rl_error_set(err, RL_ERR_INVALID, opt, "amount '%.40s' is too large (at most %lld.%02lld)", s,
                 (long long)(INT64_MAX / 100), (long long)(INT64_MAX % 100));
    return -1;
}

char *cli_format_money(int64_t minor, char *buf, size_t size)
{
    /* through uint64 so that INT64_MIN has a magnitude too */
    uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    snprintf(buf, size, "%s%llu.%02llu", minor < 0 ? "-" : "", (unsigned long long)(mag / 100),
             (unsigned long long)(mag % 100));
    return buf;
}

int cli_parse_currency(const char *opt, const char *s, char out[4], rl_error_t *err)
{
    if (!s || strlen(s) != 3)
        return bad(err, opt, "an ISO 4217 currency code like EUR", s);
    for (int i = 0; i < 3; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c < 'A' || c > 'Z')
            return bad(err, opt, "an ISO 4217 currency code like EUR", s);
        out[i] = c;
    }
    out[3] = '\0';
    return 0;
}

/* An id: 1..RL_MAX_ENTITY_ID bytes of letters, digits, '.', '-', '_'. */
static int id_ok(const char *s, size_t len)
{
    if (len == 0 || len > RL_MAX_ENTITY_ID)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_'))
            return 0;
    }
    return 1;
}

int cli_parse_enum(const ProtobufCEnumDescriptor *desc, const char *opt, const char *s, int min, int max,
                   const char *allowed, rl_error_t *err)
{
    int v = s && *s ? rl_json_enum_value(desc, s) : -1;
    if (v <= 0 || v < min || v > max) {
        rl_error_set(err, RL_ERR_INVALID, opt, "expected %s, got '%.100s'", allowed, s ? s : "");
        return -1;
    }
    return v;
}

int cli_parse_plan_control(const char *opt, const char *s, rl_arena_t *arena, Riskline__V1__PlanControl *out,
                           rl_error_t *err)
{
    static const char what[] = "a control id with an optional status, like A.5.1 or A.8.7:in_progress "
                               "(not_started, in_progress, implemented)";
    const char *colon = s ? strchr(s, ':') : NULL;
    size_t len = s ? (colon ? (size_t)(colon - s) : strlen(s)) : 0;
    if (!s || !id_ok(s, len))
        return bad(err, opt, what, s);
    riskline__v1__plan_control__init(out);
    if (colon) {
        int v = rl_json_enum_value(&riskline__v1__implementation_status__descriptor, colon + 1);
        if (v < RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_NOT_STARTED ||
            v > RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_IMPLEMENTED)
            return bad(err, opt, what, s);
        out->status = (Riskline__V1__ImplementationStatus)v;
    }
    if (!(out->control_id = rl_arena_strndup(arena, s, len)))
        return oom(err);
    return 0;
}

int cli_parse_person(const char *opt, const char *s, rl_arena_t *arena, Riskline__V1__Personnel *out,
                     rl_error_t *err)
{
    static const char what[] = "NAME:ROLE:PLANNED_HOURS, like 'Ann Lee:engineer:40'";
    const char *last = s ? strrchr(s, ':') : NULL;
    if (!last || last == s)
        return bad(err, opt, what, s);
    const char *mid = last - 1;
    while (mid > s && *mid != ':')
        mid--;
    if (*mid != ':' || mid == s || mid + 1 == last)
        return bad(err, opt, what, s);
    /* hours: plain digits within uint32 */
    const char *h = last + 1;
    uint64_t hours = 0;
    if (!*h)
        return bad(err, opt, what, s);
    for (; *h; h++) {
        if (*h < '0' || *h > '9' || hours > (UINT32_MAX - (unsigned)(*h - '0')) / 10)
            return bad(err, opt, what, s);
        hours = hours * 10 + (unsigned)(*h - '0');
    }
    riskline__v1__personnel__init(out);
    out->person = rl_arena_strndup(arena, s, (size_t)(mid - s));
    out->role = rl_arena_strndup(arena, mid + 1, (size_t)(last - mid - 1));
    out->planned_hours = (uint32_t)hours;
    if (!out->person || !out->role)
        return oom(err);
    return 0;
}

int cli_parse_id_list(const char *opt, const char *s, rl_arena_t *arena, char **list, size_t cap, size_t *n,
                      rl_error_t *err)
{
    const char *p = s;
    if (!p)
        return bad(err, opt, "ids separated by commas, like M-1,M-2", s);
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (!id_ok(p, len))
            return bad(err, opt, "ids separated by commas, like M-1,M-2", s);
        if (*n >= cap) {
            rl_error_set(err, RL_ERR_INVALID, opt, "at most %zu ids", cap);
            return -1;
        }
        if (!(list[*n] = rl_arena_strndup(arena, p, len)))
            return oom(err);
        (*n)++;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int cli_parse_yes_no(const char *opt, const char *s, int *out, rl_error_t *err)
{
    static const char *const yes[] = {"yes", "true", "effective"}, *const no[] = {"no", "false", "ineffective"};
    for (size_t i = 0; s && i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return bad(err, opt, "yes or no", s);
}

int cli_parse_sha256(const char *opt, const char *s, char out[65], rl_error_t *err)
{
    if (!s || strlen(s) != 64)
        return bad(err, opt, "64 hexadecimal characters (the SHA-256 of the document)", s);
    for (int i = 0; i < 64; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return bad(err, opt, "64 hexadecimal characters (the SHA-256 of the document)", s);
        out[i] = c;
    }
    out[64] = '\0';
    return 0;
}
