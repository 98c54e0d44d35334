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

void rl_ingest_iter_init(rl_ingest_iter_t *it, const rl_stream_entry_t *ent)
{
    const char *bytes;
    memset(it, 0, sizeof *it);
    it->ent = ent;
    if (rl_stream_entry_field(ent, RL_INGEST_BATCH, 0, &bytes, &it->len) != 0)
        return;  /* an earlier version's entry: a field e per event, stamped inside */
    it->batch = (const uint8_t *)bytes;
    it->at = strtoll(text_field(ent, RL_INGEST_AT), NULL, 10);
    it->by = (char *)text_field(ent, RL_INGEST_BY);
}

int rl_ingest_next(rl_ingest_iter_t *it, rl_arena_t *arena, Riskline__V1__RiskEvent **out)
{
    const char *bytes;
    size_t len;
    *out = NULL;
    if (!it->batch) {
        if (rl_stream_entry_event(it->ent, it->pos, &bytes, &len) != 0)
            return 0;
        it->pos++;
        *out = rl_codec_unpack(&riskline__v1__risk_event__descriptor, bytes, len, RL_MAX_REPLY_BYTES, arena);
        return 1;
    }
    /* the batch's records: EventBatch field 1 each; anything else (a newer field) is skipped */
    rl_wire_record_t r;
    int rc;
    while ((rc = rl_codec_wire_next(it->batch, it->len, &it->pos, &r)) == 1)
        if (r.field == 1 && r.wire_type == 2)
            break;
    if (rc <= 0)
        return 0;  /* the end, or bytes that are not well-formed: nothing after them can be read */
    Riskline__V1__RiskEvent *e =
        rl_codec_unpack(&riskline__v1__risk_event__descriptor, r.body, r.body_len, RL_MAX_REPLY_BYTES, arena);
    if (e) {
        e->received_at_ms = it->at;
        e->received_by = it->by;
    }
    *out = e;
    return 1;
}
