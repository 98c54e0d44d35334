/* plan_consumer.h: the register follows the treatment plans through their events (a consumer group on
 * every tenant's stream), never through writes of the treatment service into risk keys. */
#ifndef PLAN_CONSUMER_H
#define PLAN_CONSUMER_H

#include "handlers.h"

typedef struct follower follower_t;

/* srv is borrowed; reader (group FOLLOWER_GROUP, this replica's consumer name) is copied. NULL
 * when out of memory. */
follower_t *follower_new(server_t *srv, const rl_group_reader_t *reader);
void follower_destroy(follower_t **self_p);

/* Reads what waits (a bounded batch per tenant) and applies it: a plan or acceptance event moves
 * its risk (risk_follow_plan) in one atomic write whose idempotency key is the event's stream id,
 * so a re-delivered event changes nothing twice; then acknowledges. Runs at most every
 * FOLLOWER_INTERVAL_MS; once the service is stopping, at once, and only to finish the entries
 * it holds (rl_group_give_up bounds it); returns the events applied. */
int follower_tick(follower_t *self);

#define FOLLOWER_INTERVAL_MS 100
#define FOLLOWER_GROUP "register"

#endif
