/* rl_riskevent_json.c: JSON text -> riskline.v1.RiskEvent, key by key, strict about types and keys. */
#include "rl_riskevent_json.h"
#include "rl_ids.h"
#include "rl_limits.h"
#include "rl_riskevent_names.h"
#include "rl_time.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_EXACT_MS 9007199254740992.0 /* 2^53: every integer up to it is exact in a double */
#define ECHO_MAX 32                     /* bytes of client text quoted back in a message */

#define KNOWN_KEYS                                                                                            \
    "source, event_id, kind, severity, occurred_at, occurred_at_ms, summary, risk_ids, assets, controls, "    \
    "attributes, value"

typedef struct {
    rl_arena_t *arena;
    Riskline__V1__RiskEvent *e;
    rl_error_t *err;
    int has_time; /* occurred_at or occurred_at_ms given */
} ctx_t;

/* Client text fit to quote in a message or field: printable ASCII, other bytes as '?', at most
 * ECHO_MAX bytes then "...". */
static const char *echo(const char *s, char *buf, size_t size)
{
    size_t o = 0, i = 0;
    for (; s && s[i] && i < ECHO_MAX && o + 1 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[o++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
    }
    buf[o] = '\0';
    if (s && s[i] && o + 4 <= size)
        memcpy(buf + o, "...", 4);
    return buf;
}

static const char *type_name(const cJSON *j)
{
    return cJSON_IsNull(j) ? "null" : cJSON_IsBool(j) ? "a boolean" : cJSON_IsNumber(j) ? "a number"
         : cJSON_IsString(j) ? "a string" : cJSON_IsArray(j) ? "an array" : "an object";
}

static rl_err_t wrong_type(ctx_t *c, const char *field, const cJSON *j, const char *want)
{
    return rl_error_set(c->err, RL_ERR_INVALID, field, "must be %s, got %s", want, type_name(j));
}

/* An arena copy of a JSON string (UTF-8 checked), or an error naming field. */
static rl_err_t string_of(ctx_t *c, const char *field, const cJSON *j, char **out)
{
    if (!cJSON_IsString(j) || !j->valuestring)
        return wrong_type(c, field, j, "a string");
    if (!rl_utf8_valid(j->valuestring, strlen(j->valuestring)))
        return rl_error_set(c->err, RL_ERR_INVALID, field, "is not valid UTF-8");
    if (!(*out = rl_arena_strdup(c->arena, j->valuestring)))
        return rl_error_set(c->err, RL_ERR_INTERNAL, field, "out of request memory");
    return RL_OK;
}

static rl_err_t k_source(ctx_t *c, const cJSON *j) { return string_of(c, "source", j, &c->e->source); }
static rl_err_t k_event_id(ctx_t *c, const cJSON *j) { return string_of(c, "event_id", j, &c->e->event_id); }
static rl_err_t k_summary(ctx_t *c, const cJSON *j) { return string_of(c, "summary", j, &c->e->summary); }

/* a kind or severity name (what names it, the parser, the names for the message) */
static rl_err_t name_of(ctx_t *c, const char *key, const cJSON *j, int (*parse)(const char *), const char *names,
                        int *out)
{
    char buf[ECHO_MAX + 4];
    if (!cJSON_IsString(j))
        return wrong_type(c, key, j, "a string");
    int v = parse(j->valuestring);
    if (v < 0)
        return rl_error_set(c->err, RL_ERR_INVALID, key, "unknown %s \"%s\" (%s)", key,
                            echo(j->valuestring, buf, sizeof buf), names);
    *out = v;
    return RL_OK;
}

static rl_err_t k_kind(ctx_t *c, const cJSON *j)
{
    int v = 0;
    rl_err_t rc = name_of(c, "kind", j, rl_riskevent_kind_parse, rl_riskevent_kind_list(), &v);
    c->e->kind = (Riskline__V1__EventKind)v;
    return rc;
}

static rl_err_t k_severity(ctx_t *c, const cJSON *j)
{
    int v = 0;
    rl_err_t rc = name_of(c, "severity", j, rl_riskevent_severity_parse, rl_riskevent_severity_list(), &v);
    c->e->severity = (Riskline__V1__Severity)v;
    return rc;
}

static rl_err_t k_occurred_at(ctx_t *c, const cJSON *j)
{
    int64_t ms;
    if (c->has_time++)
        return rl_error_set(c->err, RL_ERR_INVALID, "occurred_at", "give occurred_at or occurred_at_ms, not both");
    if (!cJSON_IsString(j))
        return wrong_type(c, "occurred_at", j, "a timestamp string like \"2026-11-26T10:00:00Z\"");
    if (rl_ts_parse(j->valuestring, &ms) != 0)
        return rl_error_set(c->err, RL_ERR_INVALID, "occurred_at",
                            "must be a timestamp like \"2026-11-26T10:00:00Z\" or with an offset \"+01:00\"");
    if (ms <= 0)
        return rl_error_set(c->err, RL_ERR_INVALID, "occurred_at", "must be after 1970-01-01T00:00:00Z");
    c->e->occurred_at_ms = ms;
    return RL_OK;
}

static rl_err_t k_occurred_at_ms(ctx_t *c, const cJSON *j)
{
    if (c->has_time++)
        return rl_error_set(c->err, RL_ERR_INVALID, "occurred_at_ms",
                            "give occurred_at or occurred_at_ms, not both");
    if (!cJSON_IsNumber(j))
        return wrong_type(c, "occurred_at_ms", j, "a number (Unix ms)");
    double d = j->valuedouble;
    /* range before the cast: converting an out-of-range double is undefined */
    if (!(d >= 1 && d <= MAX_EXACT_MS) || d != floor(d))
        return rl_error_set(c->err, RL_ERR_INVALID, "occurred_at_ms", "must be an integer 1..2^53 (Unix ms)");
    c->e->occurred_at_ms = (int64_t)d;
    return RL_OK;
}

static rl_err_t k_value(ctx_t *c, const cJSON *j)
{
    if (!cJSON_IsNumber(j))
        return wrong_type(c, "value", j, "a number");
    if (!isfinite(j->valuedouble))
        return rl_error_set(c->err, RL_ERR_INVALID, "value", "is out of range");
    c->e->value = j->valuedouble;
    c->e->measurement_case = RISKLINE__V1__RISK_EVENT__MEASUREMENT_VALUE;
    return RL_OK;
}

static rl_err_t strings_of(ctx_t *c, const char *key, const cJSON *j, char ***out, size_t *nout)
{
    if (!cJSON_IsArray(j))
        return wrong_type(c, key, j, "an array of strings");
    size_t n = (size_t)cJSON_GetArraySize(j), i = 0;
    char **list = rl_arena_alloc(c->arena, (n + 1) * sizeof *list);
    if (!list)
        return rl_error_set(c->err, RL_ERR_INTERNAL, key, "out of request memory");
    for (const cJSON *it = j->child; it && i < n; it = it->next, i++) {
        char field[64];
        snprintf(field, sizeof field, "%s[%zu]", key, i);
        rl_err_t rc = string_of(c, field, it, &list[i]);
        if (rc)
            return rc;
    }
    *out = list;
    *nout = i;
    return RL_OK;
}

static rl_err_t k_risk_ids(ctx_t *c, const cJSON *j)
{
    return strings_of(c, "risk_ids", j, &c->e->risk_ids, &c->e->n_risk_ids);
}
static rl_err_t k_assets(ctx_t *c, const cJSON *j) { return strings_of(c, "assets", j, &c->e->assets, &c->e->n_assets); }
static rl_err_t k_controls(ctx_t *c, const cJSON *j)
{
    return strings_of(c, "controls", j, &c->e->controls, &c->e->n_controls);
}

static rl_err_t k_attributes(ctx_t *c, const cJSON *j)
{
    if (!cJSON_IsObject(j))
        return wrong_type(c, "attributes", j, "an object of strings");
    size_t n = (size_t)cJSON_GetArraySize(j), i = 0;
    Riskline__V1__Attribute **list = rl_arena_alloc(c->arena, (n + 1) * sizeof *list);
    if (!list)
        return rl_error_set(c->err, RL_ERR_INTERNAL, "attributes", "out of request memory");
    for (const cJSON *it = j->child; it && i < n; it = it->next, i++) {
        char field[64], buf[ECHO_MAX + 4];
        snprintf(field, sizeof field, "attributes.%s", echo(it->string, buf, sizeof buf));
        Riskline__V1__Attribute *a = rl_arena_alloc(c->arena, sizeof *a);
        if (!a)
            return rl_error_set(c->err, RL_ERR_INTERNAL, field, "out of request memory");
        riskline__v1__attribute__init(a);
        if (!rl_utf8_valid(it->string, strlen(it->string)))
            return rl_error_set(c->err, RL_ERR_INVALID, field, "the key is not valid UTF-8");
        for (size_t k = 0; k < i; k++)
            if (strcmp(list[k]->key, it->string) == 0)
                return rl_error_set(c->err, RL_ERR_INVALID, field, "is given twice");
        rl_err_t rc = string_of(c, field, it, &a->value);
        if (rc)
            return rc;
        if (!(a->key = rl_arena_strdup(c->arena, it->string)))
            return rl_error_set(c->err, RL_ERR_INTERNAL, field, "out of request memory");
        list[i] = a;
    }
    c->e->attributes = list;
    c->e->n_attributes = i;
    return RL_OK;
}

static const struct {
    const char *key;
    rl_err_t (*set)(ctx_t *c, const cJSON *j);
} keys[] = {
    {"source", k_source},         {"event_id", k_event_id},   {"kind", k_kind},
    {"severity", k_severity},     {"occurred_at", k_occurred_at}, {"occurred_at_ms", k_occurred_at_ms},
    {"summary", k_summary},       {"risk_ids", k_risk_ids},   {"assets", k_assets},
    {"controls", k_controls},     {"attributes", k_attributes}, {"value", k_value},
};

/* Byte offset of a "\u0000" escape inside a string of valid JSON text, or -1. cJSON decodes it to
 * a NUL byte, which would cut the string short without a word. */
static long nul_escape(const char *t, size_t len)
{
    int in = 0;
    for (size_t i = 0; i < len; i++) {
        if (!in) {
            in = t[i] == '"';
        } else if (t[i] == '"') {
            in = 0;
        } else if (t[i] == '\\' && i + 1 < len) {
            if (t[i + 1] == 'u' && i + 5 < len && memcmp(t + i + 2, "0000", 4) == 0)
                return (long)i;
            i++; /* the escaped character */
        }
    }
    return -1;
}

static rl_err_t map_object(ctx_t *c, const cJSON *root)
{
    int seen[sizeof keys / sizeof keys[0]] = {0};
    for (const cJSON *it = root->child; it; it = it->next) {
        char buf[ECHO_MAX + 4];
        size_t k = 0;
        while (k < sizeof keys / sizeof keys[0] && strcmp(keys[k].key, it->string) != 0)
            k++;
        if (k == sizeof keys / sizeof keys[0])
            return rl_error_set(c->err, RL_ERR_INVALID, echo(it->string, buf, sizeof buf),
                                "unknown key \"%s\" (%s)", echo(it->string, buf, sizeof buf), KNOWN_KEYS);
        if (seen[k]++)
            return rl_error_set(c->err, RL_ERR_INVALID, keys[k].key, "is given twice");
        rl_err_t rc = keys[k].set(c, it);
        if (rc)
            return rc;
    }
    return RL_OK;
}

rl_err_t rl_riskevent_from_json(const char *text, size_t len, rl_arena_t *arena, Riskline__V1__RiskEvent **out,
                                rl_error_t *err)
{
    *out = NULL;
    if (len > RL_MAX_FRAME_BYTES)
        return rl_error_set(err, RL_ERR_TOO_LARGE, "", "the event is %zu bytes, over the limit of %d", len,
                            RL_MAX_FRAME_BYTES);
    if (!text || len == 0)
        return rl_error_set(err, RL_ERR_INVALID, "", "is empty: one JSON object expected");
    const void *nul = memchr(text, '\0', len);
    if (nul)
        return rl_error_set(err, RL_ERR_INVALID, "", "contains a NUL byte at byte %zu", (size_t)((const char *)nul - text));
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        return rl_error_set(err, RL_ERR_INVALID, "", "is not valid JSON (at byte %zu)", at);
    }
    rl_err_t rc = RL_OK;
    size_t stop = end && end >= text && end <= text + len ? (size_t)(end - text) : len;
    while (stop < len && strchr(" \t\r\n", text[stop]))
        stop++;
    long nul_at = nul_escape(text, len);
    ctx_t c = {arena, NULL, err, 0};
    if (stop < len)
        rc = rl_error_set(err, RL_ERR_INVALID, "", "has text after the JSON object (at byte %zu)", stop);
    else if (!cJSON_IsObject(root))
        rc = rl_error_set(err, RL_ERR_INVALID, "", "must be a JSON object, got %s", type_name(root));
    else if (nul_at >= 0)
        rc = rl_error_set(err, RL_ERR_INVALID, "", "contains \\u0000 (a NUL character) at byte %ld", nul_at);
    else if (!(c.e = rl_arena_alloc(arena, sizeof *c.e)))
        rc = rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    if (rc == RL_OK) {
        riskline__v1__risk_event__init(c.e);
        rc = map_object(&c, root);
    }
    cJSON_Delete(root);
    if (rc == RL_OK)
        *out = c.e;
    return rc;
}
