/* review_consumer.h: the treatment service follows the monitor: a control found ineffective marks
 * the open plans that implement it for review (a consumer group on every tenant's stream). */
#ifndef REVIEW_CONSUMER_H
#define REVIEW_CONSUMER_H

#include "handlers.h"

/* The consumer group on every tenant's rl:{<tenant>}:events (also in the service's readiness). */
#define REVIEW_GROUP "treatment"

typedef struct review_consumer review_consumer_t;

/* srv is borrowed; reader (group REVIEW_GROUP, this replica's consumer name) is copied. NULL when
 * out of memory. */
review_consumer_t *review_consumer_new(server_t *srv, const rl_group_reader_t *reader);
void review_consumer_destroy(review_consumer_t **self_p);
/* Reads what waits (group "treatment"); for each raised control_ineffective alert, every open plan
 * implementing that control gets review_requested (the alert's message) in one write per plan
 * (event plan.review_requested, keyed by the stream id: a re-delivery changes nothing twice), then
 * acknowledges. Runs at most every 200 ms; once the service is stopping, at once, and only to
 * finish the entries it holds (rl_group_give_up bounds it); returns the plans marked. */
size_t review_consumer_tick(review_consumer_t *self);

#endif
