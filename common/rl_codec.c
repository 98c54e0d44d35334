/* rl_codec.c: with rl_evwire.c, the only place that packs/unpacks protobuf; every unpack is size-checked first. */
#include "rl_codec.h"
#include "rl_evwire.h"
#include "rl_ids.h"
#include "rl_json.h"
#include "rl_limits.h"

#include <string.h>

rl_err_t rl_codec_decode_envelope(const void *data, size_t len, rl_arena_t *arena,
                                  rl_envelope_t **out, rl_error_t *err)
{
    *out = NULL;
    if (len > RL_MAX_FRAME_BYTES)
        return rl_error_set(err, RL_ERR_TOO_LARGE, "frame", "frame of %zu bytes is over the %d byte limit",
                            len, RL_MAX_FRAME_BYTES);
    /* an EventBatch, ingestion's hot path, is read straight from the wire where it can be */
    rl_envelope_t *env = NULL;
    int fast = rl_evwire_decode_envelope(data, len, arena, &env);
    if (fast < 0)
        return rl_error_set(err, RL_ERR_INTERNAL, "frame", "out of memory decoding the frame");
    if (!fast)
        env = rl_codec_unpack(&riskline__v1__envelope__descriptor, data, len, RL_MAX_FRAME_BYTES, arena);
    if (!env)
        return rl_error_set(err, RL_ERR_MALFORMED, "frame", "frame is not a riskline.v1.Envelope");
    *out = env;
    return RL_OK;
}

rl_err_t rl_codec_check_header(const rl_envelope_t *env, rl_error_t *err)
{
    if (env->schema_version > RL_SCHEMA_VERSION)
        return rl_error_set(err, RL_ERR_UNSUPPORTED, "schema_version",
                            "schema version %u is newer than this service's %d", env->schema_version,
                            RL_SCHEMA_VERSION);
    if (!rl_request_id_valid(env->request_id))
        return rl_error_set(err, RL_ERR_INVALID, "request_id",
                            "must be 1..%d bytes of [A-Za-z0-9_.-]", RL_MAX_REQUEST_ID);
    if (!rl_tenant_valid(env->tenant))
        return rl_error_set(err, RL_ERR_INVALID, "tenant",
                            "must be 1..%d bytes of [a-z0-9_-] starting with a letter or digit",
                            RL_MAX_TENANT);
    return RL_OK;
}

uint8_t *rl_codec_pack(const ProtobufCMessage *msg, rl_arena_t *arena, size_t *len_out)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = rl_arena_alloc(arena, n ? n : 1);
    if (!buf)
        return NULL;
    *len_out = protobuf_c_message_pack(msg, buf);
    return buf;
}

void *rl_codec_unpack(const ProtobufCMessageDescriptor *desc, const void *data, size_t len,
                      size_t max_len, rl_arena_t *arena)
{
    if (len > max_len)
        return NULL;
    return protobuf_c_message_unpack(desc, rl_arena_pb(arena), len, data);
}

rl_envelope_t *rl_codec_envelope_new(rl_arena_t *arena)
{
    rl_envelope_t *env = rl_arena_alloc(arena, sizeof *env);
    if (env)
        riskline__v1__envelope__init(env);
    return env;
}

/* Replaces each byte that does not start a well-formed UTF-8 character with '?': a message may
 * quote client bytes or be cut mid-character, and a proto3 string that is not UTF-8 makes other
 * languages' decoders refuse the whole reply. */
char *rl_codec_utf8_scrub(char *s)
{
    for (size_t i = 0; s && s[i];) {
        size_t len = 1;
        while (len <= 4 && !rl_utf8_valid(s + i, len))
            len++;
        if (len > 4 || memchr(s + i, '\0', len)) {
            s[i++] = '?';
            continue;
        }
        i += len;
    }
    return s;
}

void rl_codec_set_status(rl_envelope_t *reply, rl_arena_t *arena, rl_err_t code, const rl_error_t *err)
{
    Riskline__V1__Status *st = rl_arena_alloc(arena, sizeof *st);
    if (!st)
        return;
    riskline__v1__status__init(st);
    st->code = (Riskline__V1__Code)code;
    st->message = rl_codec_utf8_scrub(rl_arena_strdup(arena, err && err->message[0] ? err->message : rl_strerror(code)));
    st->field = rl_codec_utf8_scrub(rl_arena_strdup(arena, err ? err->field : ""));
    reply->status = st;
}

static char *json_text(const cJSON *v, rl_arena_t *arena)
{
    if (!v)
        return rl_arena_strdup(arena, "");
    if (cJSON_IsString(v))
        return rl_arena_strdup(arena, v->valuestring);
    char *s = cJSON_PrintUnformatted(v);
    char *text = rl_arena_strdup(arena, s ? s : "");
    cJSON_free(s);
    return text;
}

char *rl_codec_field_text(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, rl_arena_t *arena)
{
    /* Render through the JSON form: one rendering rule for all types. */
    cJSON *obj = rl_json_from_message(msg);
    char *text = json_text(obj ? cJSON_GetObjectItemCaseSensitive(obj, f->name) : NULL, arena);
    cJSON_Delete(obj);
    return text;
}

static int skipped(const char *name, const char *const *skip)
{
    for (; skip && *skip; skip++)
        if (strcmp(*skip, name) == 0)
            return 1;
    return 0;
}

int rl_codec_diff(const ProtobufCMessage *before, const ProtobufCMessage *after, const char *const *skip,
                  rl_arena_t *arena, Riskline__V1__FieldChange ***out)
{
    const ProtobufCMessageDescriptor *d = after->descriptor;
    cJSON *a = rl_json_from_message(before), *b = rl_json_from_message(after);
    Riskline__V1__FieldChange **list = rl_arena_alloc(arena, (d->n_fields + 1) * sizeof *list);
    int n = 0;
    if (!a || !b || !list) {
        n = -1;
        goto cleanup;
    }
    for (unsigned i = 0; i < d->n_fields; i++) {
        const char *name = d->fields[i].name;
        if (skipped(name, skip))
            continue;
        cJSON *va = cJSON_GetObjectItemCaseSensitive(a, name);
        cJSON *vb = cJSON_GetObjectItemCaseSensitive(b, name);
        if ((!va && !vb) || (va && vb && cJSON_Compare(va, vb, 1)))
            continue;
        Riskline__V1__FieldChange *fc = rl_arena_alloc(arena, sizeof *fc);
        if (!fc) {
            n = -1;
            goto cleanup;
        }
        riskline__v1__field_change__init(fc);
        fc->field = rl_arena_strdup(arena, name);
        fc->from = json_text(va, arena);
        fc->to = json_text(vb, arena);
        list[n++] = fc;
    }
    *out = list;
cleanup:
    cJSON_Delete(a);
    cJSON_Delete(b);
    return n;
}

/* --- the wire format --- */

/* A varint of at most max bytes at *pos: 0 (and *pos past it), -1 when longer or cut short. */
static int varint(const uint8_t *buf, size_t len, size_t *pos, unsigned max, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < max && *pos < len; i++) {
        uint8_t b = buf[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* Read as protobuf-c reads a record (parse_tag_and_wiretype, scan_length_prefixed_data,
 * scan_varint), so that what is well-formed here is what it decodes. */
#define TAG_MAX_BYTES 5
#define LENGTH_MAX_BYTES 5
#define VARINT_MAX_BYTES 10

int rl_codec_wire_next(const uint8_t *buf, size_t len, size_t *pos, rl_wire_record_t *out)
{
    if (*pos >= len)
        return 0;
    size_t p = *pos;
    uint64_t tag, n = 0;
    if (varint(buf, len, &p, TAG_MAX_BYTES, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
        return -1;
    out->field = (uint32_t)(tag >> 3);
    out->wire_type = (int)(tag & 7);
    out->value = 0;
    size_t body = p;
    switch (out->wire_type) {
    case 0:
        if (varint(buf, len, &p, VARINT_MAX_BYTES, &out->value))
            return -1;
        n = p - body;
        break;
    case 1: n = 8; break;
    case 5: n = 4; break;
    case 2:
        if (varint(buf, len, &p, LENGTH_MAX_BYTES, &n))
            return -1;
        body = p;
        break;
    default: return -1;  /* groups (3, 4) are not used by proto3 */
    }
    if (n > len - body)
        return -1;
    if (out->wire_type == 1 || out->wire_type == 5)  /* little-endian */
        for (size_t i = (size_t)n; i-- > 0;)
            out->value = out->value << 8 | buf[body + i];
    out->start = buf + *pos;
    out->body = buf + body;
    out->body_len = (size_t)n;
    out->len = body + (size_t)n - *pos;
    *pos = body + (size_t)n;
    return 1;
}

int rl_codec_wire_find(const uint8_t *buf, size_t len, uint32_t outer, uint32_t inner, rl_wire_record_t *out,
                       size_t max)
{
    size_t pos = 0, found = 0;
    rl_wire_record_t r;
    int rc;
    while ((rc = rl_codec_wire_next(buf, len, &pos, &r)) == 1) {
        if (r.field != outer || r.wire_type != 2)
            continue;
        size_t ipos = 0;
        rl_wire_record_t e;
        int irc;
        while ((irc = rl_codec_wire_next(r.body, r.body_len, &ipos, &e)) == 1)
            if (e.field == inner && e.wire_type == 2 && found++ < max)
                out[found - 1] = e;
        if (irc < 0)
            return -1;
    }
    return rc < 0 || found > INT32_MAX ? -1 : (int)found;
}

/* v as a varint at out; returns its length (at most 10). */
static size_t put_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    for (; v >= 0x80; v >>= 7)
        out[n++] = (uint8_t)((v & 0x7f) | 0x80);
    out[n++] = (uint8_t)v;
    return n;
}

uint8_t *rl_codec_wire_frame(uint32_t field, const uint8_t *body, size_t body_len, rl_arena_t *arena, size_t *len_out)
{
    uint8_t head[20];
    size_t h = put_varint(head, (uint64_t)field << 3 | 2);
    h += put_varint(head + h, body_len);
    uint8_t *out = rl_arena_alloc(arena, h + body_len);
    if (!out)
        return NULL;
    memcpy(out, head, h);
    if (body_len)
        memcpy(out + h, body, body_len);
    *len_out = h + body_len;
    return out;
}
