/* rl_riskevent_json.h: one risk event as JSON text (the CLI's `riskline event send`, JSON lines of
 * integrating systems) mapped field by field onto riskline.v1.RiskEvent, with errors naming the key. */
#ifndef RL_RISKEVENT_JSON_H
#define RL_RISKEVENT_JSON_H

#include <stddef.h>

#include "riskline/v1/monitor.pb-c.h"
#include "rl_arena.h"
#include "rl_err.h"

/* Maps one JSON object (the `len` bytes at text; no NUL terminator needed) onto a RiskEvent
 * allocated from arena. Keys:
 *   source, event_id, summary                       strings
 *   kind, severity                                  names (rl_riskevent_names.h), case-insensitive
 *   occurred_at                                     timestamp text "2026-11-26T10:00:00Z" (rl_ts_parse)
 *   occurred_at_ms                                  integer 1..2^53 (Unix ms); not both with occurred_at
 *   risk_ids, assets, controls                      arrays of strings
 *   attributes                                      object of string values ({"metric": "K-3"})
 *   value                                           finite number (kri and control_test events)
 * Refused with RL_ERR_INVALID and err->field naming the key ("kind", "risk_ids[2]",
 * "attributes.metric"): text that is not one JSON object (err->message says at which byte),
 * unknown or repeated keys, wrong types (null included: leave a key out instead), unknown kind or
 * severity names, numbers out of range, strings that are not valid UTF-8 or hold "\u0000".
 * Text over RL_MAX_FRAME_BYTES is refused with RL_ERR_TOO_LARGE before it is parsed.
 * The content rules (lengths, id formats, what is required) are the monitor's (event_validate);
 * a key left out leaves its field empty. *out is NULL on failure. */
rl_err_t rl_riskevent_from_json(const char *text, size_t len, rl_arena_t *arena, Riskline__V1__RiskEvent **out,
                                rl_error_t *err);

#endif
