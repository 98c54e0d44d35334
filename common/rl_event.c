/* rl_event.c: the domain event of a change, the same for every service. */
#include "rl_event.h"

Riskline__V1__DomainEvent *rl_event_new(const rl_bus_req_t *req, const char *kind, const char *type, const char *id,
                                        uint64_t version, const ProtobufCMessage *before,
                                        const ProtobufCMessage *after, const char *const *skip, const char *comment,
                                        int64_t now_ms)
{
    Riskline__V1__DomainEvent *e = rl_arena_alloc(req->arena, sizeof *e);
    if (!e)
        return NULL;
    riskline__v1__domain_event__init(e);
    e->kind = (char *)kind;
    e->entity_type = (char *)type;
    e->entity_id = (char *)id;
    e->actor = (char *)req->principal->name;
    e->at_ms = now_ms;
    e->version = version;
    e->comment = (char *)(comment ? comment : "");
    e->request_id = (char *)req->request_id;
    if (before) {
        int n = rl_codec_diff(before, after, skip, req->arena, &e->changes);
        if (n < 0)
            return NULL;
        e->n_changes = (size_t)n;
    }
    size_t len = 0;
    e->entity.data = rl_codec_pack(after, req->arena, &len);
    e->entity.len = len;
    return e->entity.data ? e : NULL;
}
