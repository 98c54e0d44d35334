/* rl_evwire.c: an Envelope holding an EventBatch decoded straight from the wire (rl_evwire.h). */
#include "rl_evwire.h"

#include <string.h>

#include "riskline/v1/monitor.pb-c.h"

/* RiskEvent's and Attribute's field numbers (proto/riskline/v1/monitor.proto; test_evwire decodes
 * events with every field set both ways, so a number that drifts from the proto shows there). Records
 * are read by rl_codec_wire_next, as protobuf-c reads them. */
enum {
    F_SOURCE = 1, F_EVENT_ID = 2, F_KIND = 3, F_SEVERITY = 4, F_OCCURRED_AT = 5, F_SUMMARY = 6,
    F_RISK_IDS = 7, F_ASSETS = 8, F_CONTROLS = 9, F_ATTRIBUTES = 10, F_VALUE = 11, F_RECEIVED_AT = 12,
    F_RECEIVED_BY = 13, F_LINKED_RISKS = 14, F_MAX = 14
};
enum { A_KEY = 1, A_VALUE = 2 };
enum { EVENTS = 1 };                 /* EventBatch.events */
enum { WT_VARINT = 0, WT_64 = 1, WT_LEN = 2 };

/* The wire type each RiskEvent field must have (protobuf-c refuses any other). */
static const int8_t event_wt[F_MAX + 1] = {
    -1, WT_LEN, WT_LEN, WT_VARINT, WT_VARINT, WT_VARINT, WT_LEN, WT_LEN, WT_LEN, WT_LEN, WT_LEN, WT_64,
    WT_VARINT, WT_LEN, WT_LEN};

/* Room for one event, counted by the first pass: its lists and every string with its NUL. */
typedef struct {
    size_t risk_ids, assets, controls, linked_risks, attributes;
    size_t strings;        /* bytes of all strings, the attributes' included, with their NULs */
} shape_t;

/* First pass over one RiskEvent: 0 and its shape, or -1 (declined). */
static int event_shape(const uint8_t *b, size_t len, shape_t *s)
{
    *s = (shape_t){0, 0, 0, 0, 0, 0};
    uint32_t once = 0;  /* singular fields seen */
    size_t pos = 0;
    rl_wire_record_t r;
    while (pos < len) {
        if (rl_codec_wire_next(b, len, &pos, &r) != 1 || r.field > F_MAX || r.wire_type != event_wt[r.field])
            return -1;
        switch (r.field) {
        case F_RISK_IDS: s->risk_ids++; break;
        case F_ASSETS: s->assets++; break;
        case F_CONTROLS: s->controls++; break;
        case F_LINKED_RISKS: s->linked_risks++; break;
        case F_ATTRIBUTES: s->attributes++; s->strings++; break;  /* an attribute: key and value */
        default:
            if (once & (1u << r.field))
                return -1;  /* protobuf-c keeps the last: left to it */
            once |= 1u << r.field;
            break;
        }
        if (r.wire_type == WT_LEN)
            s->strings += r.body_len + 1;
    }
    return 0;
}

/* s copied into *at (NUL-terminated), *at moved past it. */
static char *text(char **at, const uint8_t *p, size_t n)
{
    char *s = *at;
    memcpy(s, p, n);
    s[n] = '\0';
    *at += n + 1;
    return s;
}

/* One Attribute into a: 0, or -1 (declined). */
static int attribute(const uint8_t *b, size_t len, Riskline__V1__Attribute *a, char **at)
{
    riskline__v1__attribute__init(a);
    size_t pos = 0;
    int seen = 0;
    rl_wire_record_t r;
    while (pos < len) {
        if (rl_codec_wire_next(b, len, &pos, &r) != 1 || (r.field != A_KEY && r.field != A_VALUE) ||
            r.wire_type != WT_LEN || (seen & (1 << r.field)))
            return -1;
        seen |= 1 << r.field;
        if (r.field == A_KEY)
            a->key = text(at, r.body, r.body_len);
        else
            a->value = text(at, r.body, r.body_len);
    }
    return 0;
}

/* Second pass: the RiskEvent at b into e, its lists and strings in one arena block. 1, 0 declined,
 * -1 arena exhausted. */
static int event_decode(const uint8_t *b, size_t len, Riskline__V1__RiskEvent *e, rl_arena_t *arena)
{
    shape_t s;
    if (event_shape(b, len, &s))
        return 0;
    riskline__v1__risk_event__init(e);
    size_t nptr = s.risk_ids + s.assets + s.controls + s.linked_risks + s.attributes;
    /* block: attributes | pointers (the lists', then the attributes') | strings */
    size_t size = s.attributes * sizeof(Riskline__V1__Attribute) + nptr * sizeof(void *) + s.strings;
    char *block = size ? rl_arena_alloc(arena, size) : NULL;
    if (size && !block)
        return -1;
    Riskline__V1__Attribute *attrs = (Riskline__V1__Attribute *)block;
    char **ptr = (char **)(block + s.attributes * sizeof *attrs);
    char *at = (char *)(ptr + nptr);
    /* a list's array stays NULL when it is empty, as protobuf-c leaves it */
    e->risk_ids = s.risk_ids ? ptr : NULL;
    ptr += s.risk_ids;
    e->assets = s.assets ? ptr : NULL;
    ptr += s.assets;
    e->controls = s.controls ? ptr : NULL;
    ptr += s.controls;
    e->linked_risks = s.linked_risks ? ptr : NULL;
    ptr += s.linked_risks;
    e->attributes = s.attributes ? (Riskline__V1__Attribute **)ptr : NULL;
    size_t pos = 0;
    rl_wire_record_t r;
    while (pos < len) {
        (void)rl_codec_wire_next(b, len, &pos, &r);  /* the first pass read the same records */
        switch (r.field) {
        case F_SOURCE: e->source = text(&at, r.body, r.body_len); break;
        case F_EVENT_ID: e->event_id = text(&at, r.body, r.body_len); break;
        case F_KIND: e->kind = (Riskline__V1__EventKind)(int32_t)(uint32_t)r.value; break;
        case F_SEVERITY: e->severity = (Riskline__V1__Severity)(int32_t)(uint32_t)r.value; break;
        case F_OCCURRED_AT: e->occurred_at_ms = (int64_t)r.value; break;
        case F_SUMMARY: e->summary = text(&at, r.body, r.body_len); break;
        case F_RECEIVED_AT: e->received_at_ms = (int64_t)r.value; break;
        case F_RECEIVED_BY: e->received_by = text(&at, r.body, r.body_len); break;
        case F_VALUE:
            memcpy(&e->value, &r.value, sizeof e->value);
            e->measurement_case = RISKLINE__V1__RISK_EVENT__MEASUREMENT_VALUE;
            break;
        case F_RISK_IDS: e->risk_ids[e->n_risk_ids++] = text(&at, r.body, r.body_len); break;
        case F_ASSETS: e->assets[e->n_assets++] = text(&at, r.body, r.body_len); break;
        case F_CONTROLS: e->controls[e->n_controls++] = text(&at, r.body, r.body_len); break;
        case F_LINKED_RISKS: e->linked_risks[e->n_linked_risks++] = text(&at, r.body, r.body_len); break;
        default: { /* F_ATTRIBUTES: the first pass let no other field through */
            Riskline__V1__Attribute *a = &attrs[e->n_attributes];
            if (attribute(r.body, r.body_len, a, &at))
                return 0;
            e->attributes[e->n_attributes++] = a;
            break;
        }
        }
    }
    return 1;
}

/* The EventBatch at b: 1 (*out), 0 declined, -1 arena exhausted. */
static int batch_decode(const uint8_t *b, size_t len, rl_arena_t *arena, Riskline__V1__EventBatch **out)
{
    size_t n = 0, pos = 0;
    rl_wire_record_t r;
    while (pos < len) {
        if (rl_codec_wire_next(b, len, &pos, &r) != 1 || r.field != EVENTS || r.wire_type != WT_LEN)
            return 0;
        n++;
    }
    Riskline__V1__EventBatch *batch = rl_arena_alloc(arena, sizeof *batch);
    Riskline__V1__RiskEvent *ev = n ? rl_arena_alloc(arena, n * sizeof *ev) : NULL;
    Riskline__V1__RiskEvent **evp = n ? rl_arena_alloc(arena, n * sizeof *evp) : NULL;
    if (!batch || (n && (!ev || !evp)))
        return -1;
    riskline__v1__event_batch__init(batch);
    batch->events = evp;
    pos = 0;
    for (size_t i = 0; i < n; i++) {
        (void)rl_codec_wire_next(b, len, &pos, &r);
        int rc = event_decode(r.body, r.body_len, &ev[i], arena);
        if (rc != 1)
            return rc;
        evp[i] = &ev[i];
    }
    batch->n_events = n;
    *out = batch;
    return 1;
}

int rl_evwire_decode_envelope(const uint8_t *data, size_t len, rl_arena_t *arena, rl_envelope_t **out)
{
    /* the event_batch record, once (protobuf-c would merge several) */
    size_t pos = 0, from = 0, to = 0;
    const uint8_t *body = NULL;
    size_t body_len = 0;
    rl_wire_record_t r;
    while (pos < len) {
        size_t at = pos;
        if (rl_codec_wire_next(data, len, &pos, &r) != 1)
            return 0;
        if (r.field != RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH)
            continue;
        if (body || r.wire_type != WT_LEN)
            return 0;
        body = r.body;
        body_len = r.body_len;
        from = at;
        to = pos;
    }
    if (!body)
        return 0;
    /* the other records, as they are, to protobuf-c: the header is a few dozen bytes */
    size_t hlen = len - (to - from);
    uint8_t *head = rl_arena_alloc(arena, hlen ? hlen : 1);
    if (!head)
        return -1;
    memcpy(head, data, from);
    memcpy(head + from, data + to, len - to);
    rl_envelope_t *env = riskline__v1__envelope__unpack(rl_arena_pb(arena), hlen, head);
    if (!env || env->body_case != RISKLINE__V1__ENVELOPE__BODY__NOT_SET)
        return 0;  /* not an Envelope, or a second body: protobuf-c decides */
    Riskline__V1__EventBatch *batch;
    int rc = batch_decode(body, body_len, arena, &batch);
    if (rc != 1)
        return rc;
    env->body_case = RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH;
    env->event_batch = batch;
    *out = env;
    return 1;
}
