/* rl_evwire.h: an Envelope holding an EventBatch decoded straight from the wire, for ingestion's hot path. */
#ifndef RL_EVWIRE_H
#define RL_EVWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "rl_arena.h"
#include "rl_codec.h"

/* protobuf-c's generic unpack spends ~0.4 us per event of a batch (a descriptor lookup, an allocation
 * and a copy per field); this decoder reads the few fields of RiskEvent directly, one allocation per
 * event. It takes only the plain form a sender writes: every field known to this build, singular
 * fields once, each record as protobuf-c would read it (tags and lengths of at most 5 bytes). For any
 * other bytes it declines, and protobuf-c decodes them as before (with the same result or the same
 * refusal): what it decodes equals protobuf-c's decoding field for field.
 *
 *   Envelope:   ... 80 event_batch { 1 events { RiskEvent } 1 events { ... } ... } ...
 *               the rest of the Envelope (request id, tenant, ...) is left to protobuf-c
 *
 * Returns 1 decoded (*out and all it points to in the arena), 0 declined (*out untouched: decode with
 * protobuf-c), -1 the arena is exhausted. */
int rl_evwire_decode_envelope(const uint8_t *data, size_t len, rl_arena_t *arena, rl_envelope_t **out);

#endif
