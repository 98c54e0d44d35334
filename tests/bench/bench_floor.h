/* bench_floor.h: bench_monitor's floors: what one ingestion batch's round trip costs at least on
 * this machine, part by part, whatever the monitor does (a de-duplicating append to Redis, a CURVE
 * round trip), beside the baseline's pipeline of XADDs on the same Redis. */
#ifndef BENCH_FLOOR_H
#define BENCH_FLOOR_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

/* One batch of n events as the two sides send it. */
typedef struct {
    const uint8_t *const *event;  /* each event packed: the baseline XADDs each */
    const size_t *event_len;
    size_t n;
    const uint8_t *batch;         /* the packed EventBatch: what the monitor XADDs as one entry */
    size_t batch_len;
    const char *source;           /* "<source>\n<id>" members are made from it and a counter */
    size_t request_len;           /* the Envelope a sender sends, and the EventAcks reply */
    size_t reply_len;
} bench_floor_batch_t;

/* A round trip's median and mean, microseconds. */
typedef struct {
    double p50, mean;
} bench_floor_time_t;

typedef struct {
    bench_floor_time_t xadds;    /* n XADDs, one pipeline: the baseline's round trip */
    bench_floor_time_t dedupe;   /* SMISMEMBER and SADD of n new members, XADD of the batch: one pipeline */
    bench_floor_time_t tx;       /* the same as one transaction: MULTI, XADD, EVAL (SMISMEMBER, SADD), EXEC */
    bench_floor_time_t curve;    /* DEALER -> ROUTER with CURVE, request_len out, reply_len back, no work */
    long long members;           /* the seen set's size the appends met */
    int rounds;
    char error[160];
} bench_floor_t;

/* Measures the floors with `rounds` round trips each (the three Redis ones interleaved), on c's
 * Redis: the appends go to a copy of seen_key (so they meet a set as large as the monitor's), under
 * keys named after prefix, removed afterwards. 0 ok, -1 with out->error set. */
int bench_floor_run(redisContext *c, const char *seen_key, const char *prefix, const bench_floor_batch_t *b,
                    int rounds, bench_floor_t *out);

#endif
