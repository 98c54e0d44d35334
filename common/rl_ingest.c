/* rl_ingest.c: reading the ingestion log's entries, of this version (a batch) and earlier ones. */
#include "rl_ingest.h"
#include "rl_codec.h"
#include "rl_limits.h"

#include <stdlib.h>
#include <string.h>

/* The entry's field `name` as text, or "" (the stamps are decimal and a principal name). */
static const char *text_field(const rl_stream_entry_t *ent, const char *name)
{
    const char *s;
    size_t len;
    return rl_stream_entry_field(ent, name, 0, &s, &len) == 0 ? s : "";
}

int rl_ingest_next(const rl_stream_entry_t *ent, size_t *cursor, rl_arena_t *arena, Riskline__V1__RiskEvent **out)
{
    const char *bytes;
    size_t len;
    *out = NULL;
    if (rl_stream_entry_field(ent, RL_INGEST_BATCH, 0, &bytes, &len) != 0) {
        /* an earlier version's entry: field e #cursor, stamped inside */
        if (rl_stream_entry_event(ent, *cursor, &bytes, &len) != 0)
            return 0;
        (*cursor)++;
        *out = rl_codec_unpack(&riskline__v1__risk_event__descriptor, bytes, len, RL_MAX_REPLY_BYTES, arena);
        return 1;
    }
    /* the batch's records: EventBatch field 1 each; anything else (a newer field) is skipped */
    rl_wire_record_t r;
    int rc;
    while ((rc = rl_codec_wire_next((const uint8_t *)bytes, len, cursor, &r)) == 1)
        if (r.field == 1 && r.wire_type == 2)
            break;
    if (rc <= 0)
        return 0;  /* the end, or bytes that are not well-formed: nothing after them can be read */
    Riskline__V1__RiskEvent *e =
        rl_codec_unpack(&riskline__v1__risk_event__descriptor, r.body, r.body_len, RL_MAX_REPLY_BYTES, arena);
    if (e) {
        e->received_at_ms = strtoll(text_field(ent, RL_INGEST_AT), NULL, 10);
        const char *by = text_field(ent, RL_INGEST_BY);
        e->received_by = rl_arena_strdup(arena, by);
        if (!e->received_by)
            e = NULL;
    }
    *out = e;
    return 1;
}
