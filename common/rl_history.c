/* rl_history.c: history pages from an entity's stream-id list (one pipelined XRANGE per event). */
#include "rl_history.h"
#include "rl_codec.h"
#include "rl_limits.h"

#include <stdlib.h>
#include <string.h>

rl_err_t rl_history_cursor_parse(const char *s, double *out, rl_error_t *err)
{
    if (strlen(s) > 20)
        return rl_error_set(err, RL_ERR_INVALID, "cursor", "is not a cursor this service issued");
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || end == s || s[0] == '-' || s[0] == '+' || v > (1ULL << 53))
        return rl_error_set(err, RL_ERR_INVALID, "cursor", "is not a cursor this service issued");
    *out = (double)v;
    return RL_OK;
}

rl_err_t rl_history_entries(rl_store_t *store, rl_arena_t *arena, const char *entity_key, const char *stream_key,
                            const char *what, uint32_t limit, const char *cursor, rl_stream_entry_t **out, size_t *n,
                            const char **next, rl_error_t *err)
{
    if (limit > RL_MAX_PAGE)
        return rl_error_set(err, RL_ERR_INVALID, "limit", "must be 1..%d, got %u", RL_MAX_PAGE, limit);
    if (!limit)
        limit = RL_DEFAULT_HISTORY_PAGE;
    double off = 0;
    rl_err_t rc;
    if (cursor && cursor[0] && (rc = rl_history_cursor_parse(cursor, &off, err)))
        return rc;
    const char *ek = entity_key;
    rl_cmd_t *cmds[2];
    cmds[0] = rl_cmd_new(arena, "EXISTS");
    rl_cmd_arg(cmds[0], ek);
    cmds[1] = rl_cmd_new(arena, "LRANGE");
    rl_cmd_arg(cmds[1], rl_arena_printf(arena, "%s:hist", ek));
    rl_cmd_argf(cmds[1], "%.0f", off);
    rl_cmd_argf(cmds[1], "%.0f", off + limit);  /* one extra tells whether there is a next page */
    const rl_val_t *v[2];
    if ((rc = rl_store_pipeline(store, arena, 2, cmds, v, err)))
        return rc;
    if (v[0]->type != RL_VAL_INT || v[0]->i == 0)
        return rl_error_set(err, RL_ERR_NOT_FOUND, "id", "%s does not exist", what);
    if (v[1]->type != RL_VAL_ARR)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "unexpected history reply");
    size_t total = v[1]->n, take = total > limit ? limit : total;
    rl_stream_entry_t *ents = rl_arena_alloc(arena, (take + 1) * sizeof *ents);
    rl_cmd_t **cmd = rl_arena_alloc(arena, (take + 1) * sizeof *cmd);
    const rl_val_t **vals = rl_arena_alloc(arena, (take + 1) * sizeof *vals);
    if (!ents || !cmd || !vals)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    const char *stream = stream_key;
    for (size_t i = 0; i < take; i++) {
        cmd[i] = rl_cmd_new(arena, "XRANGE");
        rl_cmd_arg(cmd[i], stream);
        rl_cmd_arg(cmd[i], v[1]->elem[i].s);
        rl_cmd_arg(cmd[i], v[1]->elem[i].s);
    }
    if (take && (rc = rl_store_pipeline(store, arena, take, cmd, vals, err)))
        return rc;
    size_t k = 0;
    for (size_t i = 0; i < take; i++) {
        /* XRANGE reply: [[id, [field, value, ...]]] */
        const rl_val_t *x = vals[i];
        if (x->type != RL_VAL_ARR || x->n != 1 || x->elem[0].type != RL_VAL_ARR || x->elem[0].n != 2 ||
            x->elem[0].elem[0].type != RL_VAL_STR)
            continue;
        rl_stream_entry_t *o = &ents[k];
        memset(o, 0, sizeof *o);
        o->id = x->elem[0].elem[0].s;
        o->fields = &x->elem[0].elem[1];
        if (rl_stream_entry_event(o, 0, &o->event, &o->event_len) == 0)
            k++;
    }
    *out = ents;
    *n = k;
    *next = total > limit ? rl_arena_printf(arena, "%.0f", off + limit) : "";
    return *next ? RL_OK : rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
}

rl_err_t rl_history_page(rl_store_t *store, rl_arena_t *arena, const char *entity_key, const char *stream_key,
                         const char *what, uint32_t limit, const char *cursor, Riskline__V1__HistoryPage *page,
                         rl_error_t *err)
{
    rl_stream_entry_t *ents;
    size_t total;
    const char *next;
    rl_err_t rc = rl_history_entries(store, arena, entity_key, stream_key, what, limit, cursor, &ents, &total, &next,
                                     err);
    if (rc)
        return rc;
    Riskline__V1__DomainEvent **events = rl_arena_alloc(arena, (total + 1) * sizeof *events);
    if (!events)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    size_t n = 0;
    for (size_t i = 0; i < total; i++) {
        Riskline__V1__DomainEvent *e = rl_codec_unpack(&riskline__v1__domain_event__descriptor, ents[i].event,
                                                       ents[i].event_len, RL_MAX_FRAME_BYTES, arena);
        if (!e)
            continue;
        e->stream_id = rl_arena_strdup(arena, ents[i].id);
        events[n++] = e;
    }
    page->events = events;
    page->n_events = n;
    page->next_cursor = next[0] ? (char *)next : (char *)protobuf_c_empty_string;
    return RL_OK;
}
