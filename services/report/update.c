/* update.c: the Update of a domain event, and the sequence that orders them. */
#include "update.h"
#include "rl_codec.h"
#include "rl_limits.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEQ_BITS 20

uint64_t update_sequence(const char *stream_id)
{
    if (!stream_id)
        return 0;
    char *end;
    if (stream_id[0] < '0' || stream_id[0] > '9')
        return 0;
    unsigned long long ms = strtoull(stream_id, &end, 10);
    if (*end != '-' || end[1] < '0' || end[1] > '9')
        return 0;
    const char *nstr = end + 1;
    unsigned long long n = strtoull(nstr, &end, 10);
    if (*end || n >= (1ULL << SEQ_BITS) || ms >= (1ULL << (64 - SEQ_BITS)))
        return 0;
    return (uint64_t)ms << SEQ_BITS | (uint64_t)n;
}

char *update_stream_id(uint64_t sequence, char *buf, size_t size)
{
    snprintf(buf, size, "%" PRIu64 "-%" PRIu64, sequence >> SEQ_BITS, (uint64_t)(sequence & ((1ULL << SEQ_BITS) - 1)));
    return buf;
}

const char *update_topic_kind(const char *event_kind, char *buf, size_t size)
{
    const char *dot = event_kind ? strchr(event_kind, '.') : NULL;
    size_t n = dot ? (size_t)(dot - event_kind) : 0;
    int ok = n >= 1 && n <= 31 && n < size;
    for (size_t i = 0; ok && i < n; i++)
        ok = (event_kind[i] >= 'a' && event_kind[i] <= 'z') || event_kind[i] == '_';
    snprintf(buf, size, "%.*s", ok ? (int)n : 5, ok ? event_kind : "event");
    return buf;
}

rl_err_t update_from_event(const char *tenant, const char *stream_id, uint64_t previous, const void *bytes,
                           size_t len, rl_arena_t *arena, Riskline__V1__Update **out, rl_error_t *err)
{
    Riskline__V1__DomainEvent *ev =
        rl_codec_unpack(&riskline__v1__domain_event__descriptor, bytes, len, RL_MAX_REPLY_BYTES, arena);
    Riskline__V1__Update *u = rl_arena_alloc(arena, sizeof *u);
    char *kind = rl_arena_alloc(arena, 32);
    if (!ev)
        return rl_error_set(err, RL_ERR_MALFORMED, "event", "stream entry %.40s is not a domain event", stream_id);
    if (!u || !kind)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    riskline__v1__update__init(u);
    u->sequence = update_sequence(stream_id);
    u->tenant = (char *)tenant;
    u->kind = (char *)update_topic_kind(ev->kind, kind, 32);
    u->event = ev->kind;
    u->entity_id = ev->entity_id;
    u->at_ms = ev->at_ms;
    u->actor = ev->actor;
    u->entity = ev->entity;
    u->stream_id = (char *)stream_id;
    u->entity_type = ev->entity_type;
    u->previous_sequence = previous;
    *out = u;
    return RL_OK;
}
