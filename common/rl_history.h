/* rl_history.h: an entity's history page (its list of stream entry ids -> the domain events),
 * and the numeric page cursor every service uses. */
#ifndef RL_HISTORY_H
#define RL_HISTORY_H

#include <stdint.h>

#include "riskline/v1/risk.pb-c.h"
#include "rl_store.h"

/* Events of the entity at entity_key (its ids listed at "<entity_key>:hist"), oldest first,
 * from the offset in cursor; `what` names the entity in a not_found message ("plan TP-3").
 * Events and strings are arena-owned. */
rl_err_t rl_history_page(rl_store_t *store, rl_arena_t *arena, const char *entity_key, const char *stream_key,
                         const char *what, uint32_t limit, const char *cursor, Riskline__V1__HistoryPage *page,
                         rl_error_t *err);

/* The same page as stream entries (id, every field: `e` the packed event, `h` its chain hash),
 * arena-owned; *next the next page's cursor, "" at the end. */
rl_err_t rl_history_entries(rl_store_t *store, rl_arena_t *arena, const char *entity_key, const char *stream_key,
                            const char *what, uint32_t limit, const char *cursor, rl_stream_entry_t **out, size_t *n,
                            const char **next, rl_error_t *err);

/* A cursor this service issued: decimal digits, at most 2^53. RL_ERR_INVALID field "cursor". */
rl_err_t rl_history_cursor_parse(const char *s, double *out, rl_error_t *err);

#endif
