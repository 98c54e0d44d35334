/* fuzz_codec.c: libFuzzer target: bytes decoded as every message type of the wire contract through
 * rl_codec (size limit), then rendered as JSON, diffed and re-encoded; the first byte picks the type.
 * An Envelope is also decoded by the EventBatch wire decoder (rl_evwire), which must agree with protobuf-c.
 * The type list (fuzz_descriptors.inc) is generated from the protoc-c headers, so a new message is
 * fuzzed without touching this file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskline/v1/audit.pb-c.h"
#include "riskline/v1/auth.pb-c.h"
#include "riskline/v1/envelope.pb-c.h"
#include "riskline/v1/risk.pb-c.h"
#include "riskline/v1/status.pb-c.h"
#include "rl_codec.h"
#include "rl_evwire.h"
#include "rl_json.h"
#include "rl_limits.h"

static const ProtobufCMessageDescriptor *const types[] = {
#include "fuzz_descriptors.inc"
};
#define NTYPES (sizeof types / sizeof types[0])

static rl_arena_t *arena;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    arena = rl_arena_new(0);
    if (!arena)
        abort();
    return 0;
}

/* Drops unknown fields at every depth, as the services do before storing or echoing a message:
 * protobuf-c keeps an unknown field with number 0 (an overlong tag such as 80 00) and writes it back
 * as a tag it then refuses, so only messages without unknown fields re-encode stably. */
static void drop_unknown(ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    char *base = (char *)m;
    m->n_unknown_fields = 0;
    m->unknown_fields = NULL;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(size_t *)(base + f->quantifier_offset);
            ProtobufCMessage **items = *(ProtobufCMessage ***)(base + f->offset);
            for (size_t j = 0; j < n; j++)
                if (items[j])
                    drop_unknown(items[j]);
            continue;
        }
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *(uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        ProtobufCMessage *sub = *(ProtobufCMessage **)(base + f->offset);
        if (sub)
            drop_unknown(sub);
    }
}

static void die(const ProtobufCMessageDescriptor *d, const char *what)
{
    fprintf(stderr, "fuzz invariant broken: %s: %s\n", d->name, what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const ProtobufCMessageDescriptor *d = types[data[0] % NTYPES];
    data++;
    size--;
    rl_arena_reset(arena);
    /* The size limit is checked before any decoding. */
    if (size > 0 && rl_codec_unpack(d, data, size, size - 1, arena))
        die(d, "decoded above its max_len");
    if (d == &riskline__v1__envelope__descriptor) {
        rl_envelope_t *env = NULL;
        rl_error_t err;
        rl_error_clear(&err);
        rl_err_t rc = rl_codec_decode_envelope(data, size, arena, &env, &err);
        if ((rc == RL_OK) != (env != NULL) || (rc != RL_OK && rc != RL_ERR_MALFORMED))
            die(d, "decode_envelope result and code disagree");
        if (env)
            (void)rl_codec_check_header(env, &err);
        /* What the EventBatch wire decoder takes, protobuf-c takes too, with the same result. */
        rl_envelope_t *fast = NULL;
        if (rl_evwire_decode_envelope(data, size, arena, &fast) == 1) {
            const ProtobufCMessage *ref = rl_codec_unpack(d, data, size, RL_MAX_FRAME_BYTES, arena);
            if (!ref)
                die(d, "the EventBatch wire decoder took bytes protobuf-c refuses");
            size_t nf = 0, nr = 0;
            const uint8_t *pf = rl_codec_pack(&fast->base, arena, &nf), *pr = rl_codec_pack(ref, arena, &nr);
            if (!pf || !pr || nf != nr || memcmp(pf, pr, nf) != 0)
                die(d, "the EventBatch wire decoder and protobuf-c decode differently");
        }
    }
    ProtobufCMessage *m = rl_codec_unpack(d, data, size, RL_MAX_FRAME_BYTES, arena);
    if (!m)
        return 0;
    if (!protobuf_c_message_check(m))
        die(d, "decoded message fails protobuf_c_message_check");
    drop_unknown(m);
    /* Encoding is stable: decode(encode(m)) encodes to the same bytes. */
    size_t n1 = 0, n2 = 0;
    uint8_t *b1 = rl_codec_pack(m, arena, &n1);
    if (!b1)
        die(d, "pack failed");
    const ProtobufCMessage *m2 = rl_codec_unpack(d, b1, n1, RL_MAX_REPLY_BYTES, arena);
    if (!m2)
        die(d, "its own encoding does not decode");
    uint8_t *b2 = rl_codec_pack(m2, arena, &n2);
    if (!b2 || n1 != n2 || memcmp(b1, b2, n1) != 0)
        die(d, "re-encoding changed the bytes");
    /* JSON rendering (CLI --json, logs, diffs) of any decoded message. */
    cJSON *j = rl_json_from_message(m);
    if (!j)
        die(d, "no JSON rendering");
    char *text = cJSON_PrintUnformatted(j);
    if (!text)
        die(d, "JSON does not print");
    cJSON_free(text);
    cJSON_Delete(j);
    /* A message compared with its own re-decoding has no differences. */
    Riskline__V1__FieldChange **changes = NULL;
    int nch = rl_codec_diff(m, m2, NULL, arena, &changes);
    if (nch < 0)
        die(d, "diff failed");
    if (nch > 0) {
        fprintf(stderr, "field %s: %s -> %s\n", changes[0]->field, changes[0]->from, changes[0]->to);
        die(d, "diff of a message with its re-decoding is not empty");
    }
    for (unsigned i = 0; i < d->n_fields; i++) {
        char *t = rl_codec_field_text(m, &d->fields[i], arena);
        if (!t)
            die(d, "field_text failed");
    }
    return 0;
}
