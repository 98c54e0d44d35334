/* rl_health.h: a service's readiness: how far its consumer groups are behind (read from the store)
 * and the pure judgement of ready / not ready with one reason per cause. */
#ifndef RL_HEALTH_H
#define RL_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "riskline/v1/health.pb-c.h"
#include "rl_arena.h"
#include "rl_err.h"
#include "rl_store.h"

/* A consumer group a service runs on one stream of every tenant: rl:{<tenant>}:<suffix>. */
typedef struct {
    const char *suffix;     /* "events", "riskevent:log" */
    const char *group;      /* "register" */
} rl_health_group_t;

/* Consumers listed in a Health reply (the most behind first); all are judged. */
#define RL_HEALTH_MAX_CONSUMERS 16
/* Streams examined per request: each costs a round trip, so a health request stays bounded with
 * many tenants; streams past the bound (tenants in set order) are not looked at. */
#define RL_HEALTH_MAX_STREAMS 2048

typedef struct {
    const char *stream;     /* arena-owned */
    const char *group;      /* borrowed from the rl_health_group_t */
    uint64_t lag;
    uint64_t pending;
    int lag_known;
} rl_health_lag_t;

/* Every (tenant stream, group) pair's lag, in tenant order, into arena (*out, *n). RL_OK, or the
 * store's error (Redis unreachable) with err filled. */
rl_err_t rl_health_lags(rl_store_t *store, rl_arena_t *arena, const rl_health_group_t *groups, size_t ngroups,
                        rl_health_lag_t **out, size_t *n, rl_error_t *err);

/* Pure: fills out's redis_ok, ready, reasons, consumers (the RL_HEALTH_MAX_CONSUMERS most behind,
 * lags[] is sorted in place), consumers_total and max_lag. redis_error: why Redis did not answer a
 * PING (NULL: it did); lag_error: why the lags could not be read (NULL: lags[0..n) are them).
 * Either makes the service not ready. Strings and arrays come from arena. -1 out of memory. */
int rl_health_judge(const char *redis_error, const char *lag_error, rl_health_lag_t *lags, size_t n,
                    uint64_t max_lag, rl_arena_t *arena, Riskline__V1__Health *out);

#endif
