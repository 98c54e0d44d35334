/* audit_handler.c: AuditRead: raw pages of the tenant's audit chain and its signed head, for an
 * independent verifier (`riskline audit verify`); the service vouches for nothing here. */
#include "handlers.h"
#include "rl_limits.h"

#include <string.h>

#define AUDIT_MAX_PAGE RL_MAX_AUDIT_PAGE
#define AUDIT_DEFAULT_PAGE 500
/* Event bytes per reply: well under the client's reply limit however large the snapshots are. */
#define AUDIT_PAGE_BYTES (8u * 1024 * 1024)

static ProtobufCBinaryData bin(const void *data, size_t len)
{
    ProtobufCBinaryData b = {len, (uint8_t *)(data ? data : "")};
    return b;
}

rl_err_t audit_handler_read(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    server_t *srv = app;
    const Riskline__V1__AuditRead *q = req->env->audit_read;
    if (q->limit > AUDIT_MAX_PAGE)
        return rl_error_set(err, RL_ERR_INVALID, "limit", "must be 1..%d, got %u", AUDIT_MAX_PAGE, q->limit);
    uint32_t limit = q->limit ? q->limit : AUDIT_DEFAULT_PAGE;
    /* the key store's chain spans every tenant: only a principal of every tenant reads it */
    if (q->keys && !req->principal->all_tenants)
        return rl_error_set(err, RL_ERR_FORBIDDEN, "keys",
                            "the key store's chain spans every tenant; %s reaches only some", req->principal->name);
    const char *stream = q->keys ? "rl:{_auth}:events" : rl_arena_printf(req->arena, "rl:{%s}:events", req->tenant);
    rl_chain_entry_t *ents;
    size_t n;
    rl_chain_head_t head;
    if (!stream)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    rl_err_t rc = rl_store_chain_read(srv->store, req->arena, stream, q->after, limit, &ents, &n, &head, err);
    if (rc)
        return rc;
    Riskline__V1__AuditPage *page = rl_arena_alloc(req->arena, sizeof *page);
    Riskline__V1__ChainHead *ch = rl_arena_alloc(req->arena, sizeof *ch);
    Riskline__V1__AuditEntry **out = rl_arena_alloc(req->arena, (n ? n : 1) * sizeof *out);
    Riskline__V1__AuditEntry *items = rl_arena_alloc(req->arena, (n ? n : 1) * sizeof *items);
    if (!page || !ch || !out || !items)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    riskline__v1__audit_page__init(page);
    size_t k = 0, bytes = 0;
    /* a page stops early rather than grow past the byte budget; it always carries one entry */
    for (; k < n && (k == 0 || bytes + ents[k].event_len <= AUDIT_PAGE_BYTES); k++) {
        Riskline__V1__AuditEntry *e = &items[k];
        riskline__v1__audit_entry__init(e);
        e->stream_id = (char *)ents[k].stream_id;
        e->event = bin(ents[k].event, ents[k].event_len);
        e->hash = bin(ents[k].hash, ents[k].hash_len);
        bytes += ents[k].event_len;
        out[k] = e;
    }
    page->entries = out;
    page->n_entries = k;
    page->next = (k < n || n == limit) && k ? out[k - 1]->stream_id : (char *)protobuf_c_empty_string;
    riskline__v1__chain_head__init(ch);
    ch->seq = head.seq;
    ch->hash = bin(head.hash, head.hash_len);
    ch->stream_id = (char *)head.stream_id;
    ch->signer = (char *)head.signer;
    ch->signature = bin(head.sig, head.sig_len);
    page->head = ch;
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_AUDIT_PAGE;
    reply->audit_page = page;
    return RL_OK;
}
