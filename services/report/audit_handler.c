/* audit_handler.c: the audit trail: the domain events of one entity (its history list) or of the
 * tenant's stream in a time range, in order, with their audit chain position and hash. */
#include "report_chunk.h"
#include "rl_codec.h"
#include "rl_history.h"
#include "rl_ids.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Phases. The cursor's counts: [0] events written, [1] the first chain position written, [2] the
 * last; range mode: [6], [7] and inner the stream position (report_stream_page); entity mode:
 * inner is the offset in the history list. */
enum { AUDIT_START = 0, AUDIT_ROWS = 1, AUDIT_END = 2 };

static int in_range(const chunk_t *c, int64_t ms)
{
    return (!c->since_ms || ms >= c->since_ms) && (!c->until_ms || ms <= c->until_ms);
}

/* One row for stream entry e (an entry that is not a domain event still gets its row: an audit
 * trail that skipped what it cannot read would hide it). */
static rl_err_t audit_row(chunk_t *c, const rl_stream_entry_t *e, uint32_t *rows, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    Riskline__V1__DomainEvent *ev =
        e->event ? rl_codec_unpack(&riskline__v1__domain_event__descriptor, e->event, e->event_len, RL_MAX_FRAME_BYTES, a)
                 : NULL;
    Riskline__V1__DomainEvent unreadable = RISKLINE__V1__DOMAIN_EVENT__INIT;
    if (!ev) {
        unreadable.kind = "(unreadable entry)";
        ev = &unreadable;
    } else if (c->q->entity && c->q->entity[0] && !in_range(c, ev->at_ms)) {
        return RL_OK;  /* the stream's ranges are cut by XRANGE; an entity's history here */
    }
    const char *h = NULL;
    size_t hlen = 0;
    if (rl_stream_entry_field(e, "h", 0, &h, &hlen) != 0)
        h = NULL;
    const char *cells[REPORT_AUDIT_NCOLS];
    if (report_audit_cells(e->id, ev, (const uint8_t *)h, hlen, a, cells) != 0)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    render_row(c->out, report_audit_cols, REPORT_AUDIT_NCOLS, cells);
    uint64_t *counts = c->cur.counts;
    if (ev->chain_seq && !counts[1])
        counts[1] = ev->chain_seq;
    if (ev->chain_seq)
        counts[2] = ev->chain_seq;
    counts[0]++;
    (*rows)++;
    return RL_OK;
}

/* The next page of one entity's history. */
static rl_err_t entity_page(chunk_t *c, uint32_t *rows, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    const char *id = c->q->entity, *tenant = c->req->tenant;
    uint64_t n;
    const char *ek = rl_entity_id_parse("R", id, &n) == 0 ? rl_arena_printf(a, "rl:{%s}:risk:%s", tenant, id)
                                                         : rl_arena_printf(a, "rl:{%s}:plan:%s", tenant, id);
    rl_stream_entry_t *ents;
    size_t ne;
    const char *next;
    rl_err_t rc = rl_history_entries(c->srv->store, a, ek, rl_arena_printf(a, "rl:{%s}:events", tenant),
                                     rl_arena_printf(a, "entity %s in tenant %s", id, tenant), CHUNK_ROWS,
                                     c->cur.inner, &ents, &ne, &next, err);
    if (rc == RL_ERR_NOT_FOUND || (rc == RL_ERR_INVALID && !strcmp(err->field, "cursor")))
        snprintf(err->field, sizeof err->field, rc == RL_ERR_NOT_FOUND ? "entity" : "cursor");
    if (rc)
        return rc;
    for (size_t i = 0; i < ne && !rc; i++)
        rc = audit_row(c, &ents[i], rows, err);
    if (rc || (rc = report_set_inner(&c->cur, next, err)))
        return rc;
    if (!next[0]) {
        render_table_end(c->out);
        c->cur.phase = AUDIT_END;
    }
    return RL_OK;
}

/* The next page of the tenant's stream in the range (stream ids are ms timestamps). */
static rl_err_t range_page(chunk_t *c, uint32_t *rows, rl_error_t *err)
{
    rl_stream_entry_t *ents;
    size_t n;
    int end;
    rl_err_t rc = report_stream_page(c, rl_arena_printf(c->req->arena, "rl:{%s}:events", c->req->tenant), c->since_ms,
                                     c->until_ms, CHUNK_ROWS, &ents, &n, &end, err);
    for (size_t i = 0; i < n && !rc; i++)
        rc = audit_row(c, &ents[i], rows, err);
    if (!rc && end) {
        render_table_end(c->out);
        c->cur.phase = AUDIT_END;
    }
    return rc;
}

rl_err_t report_audit_chunk(chunk_t *c, rl_error_t *err)
{
    rl_arena_t *a = c->req->arena;
    report_cursor_t *cur = &c->cur;
    render_t *out = c->out;
    rl_err_t rc;
    if (cur->phase > AUDIT_END)
        return rl_error_set(err, RL_ERR_INVALID, "cursor", "is not a cursor of this report");
    if (cur->phase == AUDIT_START) {
        const char *const *params = report_params(c);
        if (!params)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        render_doc_begin(out, "audit_trail", "Audit trail", c->req->tenant, c->generated, params);
        render_note(out, "ISO/IEC 27001:2022 7.5.3: every recorded change, oldest first, with who made it and what "
                         "changed. Each event is a link of the tenant's audit chain: its position (Chain #) and "
                         "hash can be cross-checked with `riskline audit verify`, which reports a break by the "
                         "same position and stream id.");
        render_table_begin(out, "events", "Events", report_audit_cols, REPORT_AUDIT_NCOLS, 1);
        cur->phase = AUDIT_ROWS;
        cur->inner[0] = '\0';
    }
    uint32_t rows = 0;
    while (cur->phase == AUDIT_ROWS && report_room(c, rows))
        if ((rc = c->q->entity && c->q->entity[0] ? entity_page(c, &rows, err) : range_page(c, &rows, err)))
            return rc;
    if (cur->phase == AUDIT_END) {
        static const render_col_t scols[] = {{"events", "Events", RENDER_NUM},
                                             {"first_chain_seq", "First chain #", RENDER_NUM},
                                             {"last_chain_seq", "Last chain #", RENDER_NUM}};
        render_table_begin(out, "summary", "Summary", scols, 3, 0);
        const char *sc[3] = {report_uint(a, cur->counts[0], 0), report_uint(a, cur->counts[1], 1),
                             report_uint(a, cur->counts[2], 1)};
        if (report_cells_ok(sc, 3) != 0)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        render_row(out, scols, 3, sc);
        render_table_end(out);
        render_doc_end(out);
        c->done = 1;
    }
    return RL_OK;
}
