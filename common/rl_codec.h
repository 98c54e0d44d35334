/* rl_codec.h: protobuf encode/decode with size checks, Envelope header checks, message diff. */
#ifndef RL_CODEC_H
#define RL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "riskline/v1/envelope.pb-c.h"
#include "riskline/v1/risk.pb-c.h"
#include "riskline/v1/status.pb-c.h"
#include "rl_arena.h"
#include "rl_err.h"

typedef Riskline__V1__Envelope rl_envelope_t;

#define RL_SCHEMA_VERSION 1

/* Decode one Envelope frame into the arena. RL_ERR_TOO_LARGE above RL_MAX_FRAME_BYTES (checked
 * before decoding), RL_ERR_MALFORMED when the bytes are not an Envelope. */
rl_err_t rl_codec_decode_envelope(const void *data, size_t len, rl_arena_t *arena,
                                  rl_envelope_t **out, rl_error_t *err);

/* Header rules: schema version (0 = 1), request id, tenant. */
rl_err_t rl_codec_check_header(const rl_envelope_t *env, rl_error_t *err);

/* Pack any message into arena memory; NULL on arena exhaustion. */
uint8_t *rl_codec_pack(const ProtobufCMessage *msg, rl_arena_t *arena, size_t *len_out);
/* Unpack any message into the arena; NULL if malformed or above max_len. */
void *rl_codec_unpack(const ProtobufCMessageDescriptor *desc, const void *data, size_t len,
                      size_t max_len, rl_arena_t *arena);

/* New empty Envelope in the arena. */
rl_envelope_t *rl_codec_envelope_new(rl_arena_t *arena);
/* Sets reply->status from code and err (err may be NULL). */
void rl_codec_set_status(rl_envelope_t *reply, rl_arena_t *arena, rl_err_t code, const rl_error_t *err);

/* Field-by-field differences between two messages of the same type (top level; nested
 * messages and lists are compared and rendered as JSON). Fields named in `skip` (a NULL-ended
 * list) are ignored. Results live in the arena. Returns count, or -1 on arena exhaustion. */
int rl_codec_diff(const ProtobufCMessage *before, const ProtobufCMessage *after, const char *const *skip,
                  rl_arena_t *arena, Riskline__V1__FieldChange ***out);

/* The value of one field of msg rendered as compact JSON text (arena-owned). */
char *rl_codec_field_text(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, rl_arena_t *arena);

/* --- the wire format, for passing packed messages on without re-packing them ---
 *
 *   record = tag (varint: field << 3 | wire type) [length (varint)] body
 *
 * One record of a packed message: its field number and wire type, and where it lies. */
typedef struct {
    uint32_t field;
    int wire_type;          /* 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit */
    const uint8_t *start;   /* the whole record: tag, length, body */
    size_t len;
    const uint8_t *body;    /* a length-delimited record's body (else the value's bytes) */
    size_t body_len;
    uint64_t value;         /* a varint's value; a 64- or 32-bit value's bits; 0 for wire type 2 */
} rl_wire_record_t;

/* The record at *pos of buf (len bytes), and *pos past it: 1, or 0 at the end, -1 when the bytes
 * are not well-formed as protobuf-c reads them (a truncated record, a group, field number 0, a tag
 * or a length over 5 bytes, a varint over 10). */
int rl_codec_wire_next(const uint8_t *buf, size_t len, size_t *pos, rl_wire_record_t *out);

/* Each record of field `inner` inside the length-delimited records of field `outer` of a packed
 * message (in order; a field repeated on the wire counts as protobuf merges it): out[i] is a
 * whole inner record (e.g. Envelope 80 event_batch -> EventBatch 1 events: each event as sent,
 * tag and length included). Returns how many (at most max are stored), -1 on bytes that are not
 * well-formed. */
int rl_codec_wire_find(const uint8_t *buf, size_t len, uint32_t outer, uint32_t inner, rl_wire_record_t *out,
                       size_t max);

/* A length-delimited record of `field` holding body (tag, length, body) in arena memory; NULL on
 * arena exhaustion. */
uint8_t *rl_codec_wire_frame(uint32_t field, const uint8_t *body, size_t body_len, rl_arena_t *arena,
                             size_t *len_out);

/* Replaces, in place, each byte that does not start a well-formed UTF-8 character with '?';
 * for echoing client text in replies (a proto3 string must be UTF-8). Returns s. */
char *rl_codec_utf8_scrub(char *s);

#endif
