/* correlate_consumer.h: links ingested risk events to risks and raises reassessment alerts. */
#ifndef CORRELATE_CONSUMER_H
#define CORRELATE_CONSUMER_H

#include "event.h"
#include "rl_clock.h"
#include "rl_log.h"
#include "rl_store.h"

/* The consumer group on every tenant's rl:{t}:riskevent:log (a consumer per replica); monitor
 * status reports its lag. */
#define CORRELATOR_GROUP "monitor"

typedef struct correlator correlator_t;

/* store (used by the correlator alone: it runs on the service's work thread), log and clock are
 * borrowed; reader (group CORRELATOR_GROUP, this replica's consumer name)
 * is copied. NULL when out of memory. */
correlator_t *correlator_new(rl_store_t *store, rl_log_t *log, rl_clock_t *clock, const rl_group_reader_t *reader);
void correlator_destroy(correlator_t **self_p);

/* Reads what waits on every tenant's ingestion log (consumer group "monitor", own pending entries
 * first, then those a dead replica left, then new), correlates each event (event_correlate: direct ids, assets of live risks, controls of open
 * plans), keeps unlinked ones in rl:{t}:riskevent:unlinked, counts linked ones per risk in
 * rl:{t}:riskevent:linked:<R-n>, raises a reassessment alert when event_triggers_reassessment says
 * so (the register then pulls the risk's review forward), and acknowledges. Once the service is
 * stopping it only finishes the entries it holds, turn after turn of TICK_EVENTS events (the
 * service answers no request any more), until none is left or rl_group_give_up.
 * Returns entries handled. */
size_t correlator_tick(correlator_t *self);

#endif
