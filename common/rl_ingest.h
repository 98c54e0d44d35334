/* rl_ingest.h: the layout of the ingestion log rl:{t}:riskevent:log, one stream entry per batch a
 * sender's request brought, for the monitor that writes it and every reader. */
#ifndef RL_INGEST_H
#define RL_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "riskline/v1/monitor.pb-c.h"
#include "rl_arena.h"
#include "rl_store.h"

/*   XADD rl:{t}:riskevent:log * b <EventBatch> at <received_at_ms> by <received_by>
 *
 *   b   a packed EventBatch of the batch's new events, each exactly as the sender packed it (so
 *       the monitor stores the bytes it received instead of packing every event again; an event
 *       with fields this version does not know is packed again without them)
 *   at  when the monitor received the batch (ms since the epoch, decimal)
 *   by  the authenticated principal that sent it
 *
 * Entries of earlier versions hold a field `e` per event instead, each a RiskEvent with
 * received_at_ms and received_by inside; readers take both. */
#define RL_INGEST_BATCH "b"
#define RL_INGEST_AT "at"
#define RL_INGEST_BY "by"

/* Reading one entry's events: the entry's fields are looked up once, in rl_ingest_iter_init.
 * On the caller's stack; its fields are rl_ingest.c's. */
typedef struct {
    const rl_stream_entry_t *ent;
    const uint8_t *batch;   /* field b; NULL: an entry of an earlier version */
    size_t len;
    size_t pos;             /* the next record's offset in batch, or the next field e's number */
    int64_t at;             /* the entry's stamps */
    char *by;
} rl_ingest_iter_t;

void rl_ingest_iter_init(rl_ingest_iter_t *it, const rl_stream_entry_t *ent);

/* The next event of the entry, unpacked into arena with received_at_ms and received_by set from
 * the entry (received_by points into the entry, which must outlive the event): returns 1 with
 * *out (NULL for bytes that do not decode: they stay in the log, and are passed over), 0 when
 * there is no further event. */
int rl_ingest_next(rl_ingest_iter_t *it, rl_arena_t *arena, Riskline__V1__RiskEvent **out);

#endif
