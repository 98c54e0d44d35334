/* event.c: risk events from other systems: input checks, correlation with risks, assets and
 * controls, and the reassessment rule; pure functions over the protobuf structs, no I/O. */
#include "event.h"
#include "rl_check.h"
#include "rl_ids.h"
#include "rl_limits.h"
#include "rl_riskevent_names.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIND(x) RISKLINE__V1__EVENT_KIND__EVENT_KIND_##x
#define SEV(x) RISKLINE__V1__SEVERITY__SEVERITY_##x

#define EVENT_MAX_SOURCE 64
#define EVENT_MAX_EVENT_ID 128
#define EVENT_MAX_LINKS 32      /* risk ids, assets, controls: each list */
#define EVENT_MAX_ATTRIBUTES 32
#define EVENT_MAX_ATTR_KEY 64
#define EVENT_DAY_MS 86400000LL

/* "<prefix>.<name>" (or just name without a prefix) into buf. */
static const char *fname(char *buf, size_t size, const char *prefix, const char *name)
{
    if (prefix && prefix[0])
        snprintf(buf, size, "%s.%s", prefix, name);
    else
        snprintf(buf, size, "%s", name);
    return buf;
}

/* rc, with err->field set to "<prefix>.<name>" (name a printf format): field names are built only
 * for a failure, so checking a batch's valid events never formats one. */
static rl_err_t named(rl_err_t rc, rl_error_t *err, const char *prefix, const char *name_fmt, ...)
    __attribute__((format(printf, 4, 5)));
static rl_err_t named(rl_err_t rc, rl_error_t *err, const char *prefix, const char *name_fmt, ...)
{
    if (rc == RL_OK)
        return rc;
    char name[48];
    va_list ap;
    va_start(ap, name_fmt);
    vsnprintf(name, sizeof name, name_fmt, ap);
    va_end(ap);
    fname(err->field, sizeof err->field, prefix, name);
    return rc;
}

/* 1..max bytes of [A-Za-z0-9._-] */
static int token_valid(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* A decimal 1..max without sign or leading zero, the whole of s. */
static int small_number(const char *s, size_t len, unsigned max)
{
    if (len < 1 || len > 2 || s[0] == '0')
        return 0;
    unsigned n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        n = n * 10 + (unsigned)(s[i] - '0');
    }
    return n <= max;
}

/* "A.5.1".."A.8.34" (the ISO/IEC 27001:2022 Annex A numbers, exactly spelled) or "C-<n>". */
static int control_valid(const char *s)
{
    uint64_t n;
    if (s && rl_entity_id_parse("C", s, &n) == 0)
        return 1;
    static const unsigned per_theme[4] = {37, 8, 14, 34}; /* 5.x, 6.x, 7.x, 8.x */
    if (!s || s[0] != 'A' || s[1] != '.' || s[2] < '5' || s[2] > '8' || s[3] != '.')
        return 0;
    return small_number(s + 4, strlen(s + 4), per_theme[s[2] - '5']);
}

static rl_err_t check_list(char *const *items, size_t n, const char *prefix, const char *name, rl_error_t *err,
                           rl_err_t (*one)(const char *s, const char *field, rl_error_t *err))
{
    char field[64];
    if (n > EVENT_MAX_LINKS)
        return rl_error_set(err, RL_ERR_INVALID, fname(field, sizeof field, prefix, name),
                            "has %zu entries, over the limit of %d", n, EVENT_MAX_LINKS);
    for (size_t i = 0; i < n; i++) {
        rl_err_t rc = one(items[i], "", err);
        if (rc)
            return named(rc, err, prefix, "%s[%zu]", name, i);
    }
    return RL_OK;
}

static rl_err_t one_risk_id(const char *s, const char *field, rl_error_t *err)
{
    uint64_t n;
    if (!s || rl_entity_id_parse("R", s, &n) != 0)
        return rl_error_set(err, RL_ERR_INVALID, field, "must be a risk id R-<n>");
    return RL_OK;
}

static rl_err_t one_asset(const char *s, const char *field, rl_error_t *err)
{
    return rl_check_text(s, 1, RL_MAX_NAME, 0, field, err);
}

static rl_err_t one_control(const char *s, const char *field, rl_error_t *err)
{
    if (!control_valid(s))
        return rl_error_set(err, RL_ERR_INVALID, field,
                            "must be an Annex A control A.5.1..A.8.34 or an own control C-<n>");
    return RL_OK;
}

static rl_err_t check_attributes(const event_t *e, const char *prefix, rl_error_t *err)
{
    char field[64];
    if (e->n_attributes > EVENT_MAX_ATTRIBUTES)
        return rl_error_set(err, RL_ERR_INVALID, fname(field, sizeof field, prefix, "attributes"),
                            "has %zu entries, over the limit of %d", e->n_attributes, EVENT_MAX_ATTRIBUTES);
    for (size_t i = 0; i < e->n_attributes; i++) {
        const Riskline__V1__Attribute *a = e->attributes[i];
        if (!a || !token_valid(a->key, EVENT_MAX_ATTR_KEY))
            return named(rl_error_set(err, RL_ERR_INVALID, "", "must be 1..%d of [A-Za-z0-9._-]", EVENT_MAX_ATTR_KEY),
                         err, prefix, "attributes[%zu].key", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(e->attributes[j]->key, a->key) == 0)
                return named(rl_error_set(err, RL_ERR_INVALID, "", "repeats the key of attributes[%zu]", j), err,
                             prefix, "attributes[%zu].key", i);
        rl_err_t rc = rl_check_text(a->value, 0, RL_MAX_TEXT, 1, "", err);
        if (rc)
            return named(rc, err, prefix, "attributes[%zu].value", i);
    }
    return RL_OK;
}

const char *event_attribute(const event_t *e, const char *key)
{
    for (size_t i = 0; i < e->n_attributes; i++)
        if (e->attributes[i] && e->attributes[i]->key && strcmp(e->attributes[i]->key, key) == 0)
            return e->attributes[i]->value;
    return NULL;
}

static rl_err_t check_value(const event_t *e, const char *prefix, rl_error_t *err)
{
    char field[64];
    int has = e->measurement_case == RISKLINE__V1__RISK_EVENT__MEASUREMENT_VALUE;
    int kri = e->kind == KIND(KRI_MEASUREMENT), test = e->kind == KIND(CONTROL_TEST);
    if (!kri && !test && !has)
        return RL_OK;  /* the common case: no value, none needed */
    fname(field, sizeof field, prefix, "value");
    if (!kri && !test) {
        if (has)
            return rl_error_set(err, RL_ERR_INVALID, field, "only a kri or control_test event carries a value");
        return RL_OK;
    }
    if (!has)
        return rl_error_set(err, RL_ERR_INVALID, field, "is required for a %s event",
                            rl_riskevent_kind_name(e->kind));
    if (!isfinite(e->value))
        return rl_error_set(err, RL_ERR_INVALID, field, "must be a finite number");
    if (test && (e->value < 0 || e->value > 100))
        return rl_error_set(err, RL_ERR_INVALID, field, "must be 0..100 (%% of the test passed), got %g", e->value);
    if (kri) {
        const char *metric = event_attribute(e, "metric");
        if (!metric || !metric[0])
            return rl_error_set(err, RL_ERR_INVALID, fname(field, sizeof field, prefix, "attributes"),
                                "a kri event names its metric in the attribute \"metric\"");
    }
    return RL_OK;
}

/* a value of the enum this build knows, other than UNSPECIFIED */
static int enum_known(const ProtobufCEnumDescriptor *d, int v)
{
    return v != 0 && protobuf_c_enum_descriptor_get_value(d, v) != NULL;
}

rl_err_t event_validate(const event_t *e, int64_t now_ms, const char *field_prefix, rl_error_t *err)
{
    char field[64];
    const char *p = field_prefix;
    rl_err_t rc;
    if (!e)
        return rl_error_set(err, RL_ERR_INVALID, p && p[0] ? p : "event", "is required");
    if (!token_valid(e->source, EVENT_MAX_SOURCE))
        return rl_error_set(err, RL_ERR_INVALID, fname(field, sizeof field, p, "source"),
                            "must be 1..%d of [A-Za-z0-9._-]", EVENT_MAX_SOURCE);
    if ((rc = rl_check_text(e->event_id, 1, EVENT_MAX_EVENT_ID, 0, "", err)))
        return named(rc, err, p, "event_id");
    /* a newer peer's value is refused, not guessed */
    if (e->kind == KIND(UNSPECIFIED))
        return rl_error_set(err, RL_ERR_INVALID, fname(field, sizeof field, p, "kind"), "is required (%s)",
                            rl_riskevent_kind_list());
    if (!enum_known(&riskline__v1__event_kind__descriptor, (int)e->kind))
        return rl_error_set(err, RL_ERR_INVALID, fname(field, sizeof field, p, "kind"), "unknown kind %d (%s)",
                            (int)e->kind, rl_riskevent_kind_list());
    if (e->severity == SEV(UNSPECIFIED))
        return rl_error_set(err, RL_ERR_INVALID, fname(field, sizeof field, p, "severity"), "is required (%s)",
                            rl_riskevent_severity_list());
    if (!enum_known(&riskline__v1__severity__descriptor, (int)e->severity))
        return rl_error_set(err, RL_ERR_INVALID, fname(field, sizeof field, p, "severity"),
                            "unknown severity %d (%s)", (int)e->severity, rl_riskevent_severity_list());
    /* now + 1 day without overflow at the end of the int64 range */
    int64_t latest = now_ms > INT64_MAX - EVENT_DAY_MS ? INT64_MAX : now_ms + EVENT_DAY_MS;
    if (e->occurred_at_ms <= 0)
        return rl_error_set(err, RL_ERR_INVALID, fname(field, sizeof field, p, "occurred_at_ms"), "is required");
    if (e->occurred_at_ms > latest)
        return rl_error_set(err, RL_ERR_INVALID, fname(field, sizeof field, p, "occurred_at_ms"),
                            "is more than a day in the future");
    if ((rc = named(rl_check_text(e->summary, 1, RL_MAX_TEXT, 1, "", err), err, p, "summary")) ||
        (rc = check_list(e->risk_ids, e->n_risk_ids, p, "risk_ids", err, one_risk_id)) ||
        (rc = check_list(e->assets, e->n_assets, p, "assets", err, one_asset)) ||
        (rc = check_list(e->controls, e->n_controls, p, "controls", err, one_control)) ||
        (rc = check_attributes(e, p, err)) || (rc = check_value(e, p, err)))
        return rc;
    /* stored by the monitor, never by the sender */
    if (e->received_at_ms != 0)
        return rl_error_set(err, RL_ERR_INVALID, fname(field, sizeof field, p, "received_at_ms"),
                            "is set by the monitor, not by the sender");
    if (e->received_by && e->received_by[0])
        return rl_error_set(err, RL_ERR_INVALID, fname(field, sizeof field, p, "received_by"),
                            "is set by the monitor, not by the sender");
    if (e->n_linked_risks)
        return rl_error_set(err, RL_ERR_INVALID, fname(field, sizeof field, p, "linked_risks"),
                            "is set by the monitor, not by the sender");
    return RL_OK;
}

int event_kind_parse(const char *s) { return rl_riskevent_kind_parse(s); }
int event_severity_parse(const char *s) { return rl_riskevent_severity_parse(s); }
const char *event_kind_name(Riskline__V1__EventKind k) { return rl_riskevent_kind_name((int)k); }
const char *event_severity_name(Riskline__V1__Severity s) { return rl_riskevent_severity_name((int)s); }

/* --- correlation -------------------------------------------------------------------------------- */

static int contains(char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && s && strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* natural id order: "R-2" before "R-10"; anything that is not R-<n> after them, bytewise */
static int id_cmp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    uint64_t nx, ny;
    int px = rl_entity_id_parse("R", x, &nx) == 0, py = rl_entity_id_parse("R", y, &ny) == 0;
    if (px && py)
        return nx < ny ? -1 : nx > ny;
    if (px != py)
        return px ? -1 : 1;
    return strcmp(x, y);
}

rl_err_t event_correlate(const event_t *e, const event_risk_t *risks, size_t nrisks, const event_plan_t *plans,
                         size_t nplans, rl_arena_t *arena, char ***out, size_t *nout, rl_error_t *err)
{
    *out = NULL;
    *nout = 0;
    /* at most one entry per risk and per open plan: an upper bound before anything is added */
    size_t cap = e->n_risk_ids + nrisks + nplans + 1, n = 0;
    const char **ids = rl_arena_alloc(arena, cap * sizeof *ids);
    if (!ids || cap < nrisks) /* cap wrapped: impossible in practice */
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    for (size_t i = 0; i < e->n_risk_ids; i++)
        for (size_t r = 0; r < nrisks; r++)
            if (risks[r].risk_id && e->risk_ids[i] && strcmp(risks[r].risk_id, e->risk_ids[i]) == 0) {
                ids[n++] = risks[r].risk_id;
                break;
            }
    if (e->n_assets)
        for (size_t r = 0; r < nrisks; r++)
            for (size_t k = 0; risks[r].risk_id && k < risks[r].nassets; k++)
                if (contains(e->assets, e->n_assets, risks[r].assets[k])) {
                    ids[n++] = risks[r].risk_id;
                    break;
                }
    if (e->n_controls)
        for (size_t p = 0; p < nplans; p++)
            for (size_t k = 0; plans[p].open && plans[p].risk_id && k < plans[p].ncontrols; k++)
                if (contains(e->controls, e->n_controls, plans[p].controls[k])) {
                    ids[n++] = plans[p].risk_id;
                    break;
                }
    qsort(ids, n, sizeof *ids, id_cmp);
    char **res = rl_arena_alloc(arena, (n + 1) * sizeof *res);
    if (!res)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && strcmp(res[m - 1], ids[i]) == 0)
            continue;
        if (!(res[m++] = rl_arena_strdup(arena, ids[i])))
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    }
    *out = res;
    *nout = m;
    return RL_OK;
}

/* --- reassessment ------------------------------------------------------------------------------- */

void event_policy_defaults(event_policy_t *p)
{
    p->min_severity = SEV(HIGH);
    p->max_events = 5;
    p->window_days = 7;
    p->pull_review_days = 7;
}

int event_triggers_reassessment(const event_t *e, uint32_t count_in_window, const event_policy_t *p)
{
    if (p->min_severity != SEV(UNSPECIFIED) && e->severity >= p->min_severity)
        return 1;
    return p->max_events != 0 && count_in_window > p->max_events;
}

int64_t event_pulled_review_day(int64_t current_review_day, int64_t today_days, const event_policy_t *p)
{
    int64_t pulled = today_days + (int64_t)p->pull_review_days;
    return current_review_day < pulled ? current_review_day : pulled;
}
