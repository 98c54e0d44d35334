/* update.h: domain events as subscribers' updates: sequence <-> stream position, topic kinds,
 * and the Update of an event; pure, no I/O. */
#ifndef UPDATE_H
#define UPDATE_H

#include <stddef.h>
#include <stdint.h>

#include "riskline/v1/report.pb-c.h"
#include "rl_arena.h"
#include "rl_err.h"

/* Redis stream id "<ms>-<n>" -> sequence (ms << 20 | n): rises with the stream. 0 when the id is
 * not a stream id or n >= 2^20. */
uint64_t update_sequence(const char *stream_id);
/* The stream id of a sequence into buf ("<ms>-<n>"); returns buf. */
char *update_stream_id(uint64_t sequence, char *buf, size_t size);

/* The topic kind of an event kind: the part before the first dot ("plan.approve" -> "plan"),
 * written into buf; "event" when there is no dot or the prefix is not [a-z_]{1,31}. */
const char *update_topic_kind(const char *event_kind, char *buf, size_t size);

/* The Update of the stored event bytes of tenant's entry stream_id (arena-owned); `previous` is
 * its previous_sequence: no entry of the stream lies strictly between it and stream_id.
 * RL_ERR_MALFORMED when the bytes are not a DomainEvent. */
rl_err_t update_from_event(const char *tenant, const char *stream_id, uint64_t previous, const void *bytes,
                           size_t len, rl_arena_t *arena, Riskline__V1__Update **out, rl_error_t *err);

#endif
