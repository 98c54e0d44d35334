/* rl_event.h: building the domain event of a change (who, when, kind, changed fields, entity after). */
#ifndef RL_EVENT_H
#define RL_EVENT_H

#include <stdint.h>

#include "rl_bus.h"

/* The event of a change made by req's principal: kind ("plan.approved"), entity type and id,
 * version after, the field changes between before and after (none when before is NULL; skip
 * lists fields left out of the diff), the entity after (packed) and the comment. Arena-owned;
 * NULL when out of request memory. */
Riskline__V1__DomainEvent *rl_event_new(const rl_bus_req_t *req, const char *kind, const char *type, const char *id,
                                        uint64_t version, const ProtobufCMessage *before,
                                        const ProtobufCMessage *after, const char *const *skip, const char *comment,
                                        int64_t now_ms);

#endif
