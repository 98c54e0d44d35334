/* rl_json.c: descriptor-driven protobuf -> JSON, so every message of every service prints the same way. */
#include "rl_json.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* "RiskStatus" -> "RISK_STATUS_" */
static void enum_prefix(const ProtobufCEnumDescriptor *e, char *buf, size_t size)
{
    size_t p = 0;
    const char *n = e->short_name;
    for (size_t i = 0; n[i] && p + 3 < size; i++) {
        if (i > 0 && isupper((unsigned char)n[i]))
            buf[p++] = '_';
        buf[p++] = (char)toupper((unsigned char)n[i]);
    }
    buf[p++] = '_';
    buf[p] = '\0';
}

const char *rl_json_enum_name(const ProtobufCEnumDescriptor *e, int value, char *buf, size_t size)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(e, value);
    if (!v) {
        snprintf(buf, size, "%d", value);
        return buf;
    }
    char prefix[64];
    enum_prefix(e, prefix, sizeof prefix);
    const char *name = v->name;
    if (strncmp(name, prefix, strlen(prefix)) == 0)
        name += strlen(prefix);
    size_t i = 0;
    for (; name[i] && i + 1 < size; i++)
        buf[i] = (char)tolower((unsigned char)name[i]);
    buf[i] = '\0';
    return buf;
}

int rl_json_enum_value(const ProtobufCEnumDescriptor *e, const char *name)
{
    char prefix[64], full[128];
    if (!name || !*name)
        return -1;
    enum_prefix(e, prefix, sizeof prefix);
    snprintf(full, sizeof full, "%s%s", prefix, name);
    for (unsigned i = 0; i < e->n_values; i++)
        if (strcasecmp(e->values[i].name, name) == 0 || strcasecmp(e->values[i].name, full) == 0)
            return e->values[i].value;
    return -1;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static cJSON *bytes_json(const ProtobufCBinaryData *bd)
{
    size_t olen = (bd->len + 2) / 3 * 4;
    char *s = cJSON_malloc(olen + 1);
    if (!s)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < bd->len; i += 3) {
        uint32_t v = (uint32_t)bd->data[i] << 16;
        if (i + 1 < bd->len) v |= (uint32_t)bd->data[i + 1] << 8;
        if (i + 2 < bd->len) v |= bd->data[i + 2];
        s[o++] = b64[v >> 18 & 63];
        s[o++] = b64[v >> 12 & 63];
        s[o++] = i + 1 < bd->len ? b64[v >> 6 & 63] : '=';
        s[o++] = i + 2 < bd->len ? b64[v & 63] : '=';
    }
    s[o] = '\0';
    cJSON *j = cJSON_CreateString(s);
    cJSON_free(s);
    return j;
}

/* JSON has no NaN or infinity (cJSON would print null, and a NaN never equals itself, so a diff
 * would see a change that is none): the proto3 JSON mapping's strings instead. Input checks refuse
 * them; this is for what is decoded anyway (a fuzzer found it). */
static cJSON *double_json(double v)
{
    if (isnan(v))
        return cJSON_CreateString("NaN");
    if (isinf(v))
        return cJSON_CreateString(v > 0 ? "Infinity" : "-Infinity");
    return cJSON_CreateNumber(v);
}

static cJSON *value_json(const ProtobufCFieldDescriptor *f, const void *p)
{
    char buf[64];
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        return cJSON_CreateNumber(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        return cJSON_CreateNumber(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        return cJSON_CreateNumber((double)*(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        return cJSON_CreateNumber((double)*(const uint64_t *)p);
    case PROTOBUF_C_TYPE_FLOAT: return double_json(*(const float *)p);
    case PROTOBUF_C_TYPE_DOUBLE: return double_json(*(const double *)p);
    case PROTOBUF_C_TYPE_BOOL: return cJSON_CreateBool(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_ENUM:
        return cJSON_CreateString(rl_json_enum_name(f->descriptor, *(const int *)p, buf, sizeof buf));
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return cJSON_CreateString(s ? s : "");
    }
    case PROTOBUF_C_TYPE_BYTES: return bytes_json(p);
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;
        return m ? rl_json_from_message(m) : cJSON_CreateNull();
    }
    }
    return cJSON_CreateNull();
}

static size_t type_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: return 8;
    case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
    default: return 4;
    }
}

cJSON *rl_json_from_message(const ProtobufCMessage *msg)
{
    cJSON *obj = cJSON_CreateObject();
    if (!obj || !msg)
        return obj;
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const char *base = (const char *)msg;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const void *p = base + f->offset;
        cJSON *v;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            const char *arr = *(char *const *)p;
            v = cJSON_CreateArray();
            for (size_t k = 0; v && k < n; k++)
                cJSON_AddItemToArray(v, value_json(f, arr + k * type_size(f->type)));
        } else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            if (*(const uint32_t *)(base + f->quantifier_offset) != f->id)
                continue;
            v = value_json(f, p);
        } else {
            v = value_json(f, p);
        }
        if (v)
            cJSON_AddItemToObject(obj, f->name, v);
    }
    return obj;
}
