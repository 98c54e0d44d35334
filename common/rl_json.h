/* rl_json.h: any protobuf message <-> JSON through its descriptor (cJSON), for CLI output and logs. */
#ifndef RL_JSON_H
#define RL_JSON_H

#include <cjson/cJSON.h>
#include <protobuf-c/protobuf-c.h>

/* A cJSON object with every field of msg (proto names; enums as lowercase names without the type
 * prefix, e.g. RISK_STATUS_IN_TREATMENT -> "in_treatment"; 64-bit ints as numbers; bytes as
 * base64 strings). Zero/empty scalars are included so outputs have a stable shape.
 * Caller owns the result (cJSON_Delete). NULL on allocation failure. */
cJSON *rl_json_from_message(const ProtobufCMessage *msg);

/* Short name of an enum value ("in_treatment") written into buf; the decimal number when the value
 * is unknown (a newer peer's enum value stays visible). Returns buf. */
const char *rl_json_enum_name(const ProtobufCEnumDescriptor *e, int value, char *buf, size_t size);
/* Value of a short or full enum name (case-insensitive); -1 when unknown. */
int rl_json_enum_value(const ProtobufCEnumDescriptor *e, const char *name);

#endif
