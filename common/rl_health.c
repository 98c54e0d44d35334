/* rl_health.c: consumer lag per tenant stream (XINFO GROUPS through rl_store) and the readiness rule. */
#include "rl_health.h"

#include <stdlib.h>
#include <string.h>

rl_err_t rl_health_lags(rl_store_t *store, rl_arena_t *arena, const rl_health_group_t *groups, size_t ngroups,
                        rl_health_lag_t **out, size_t *n, rl_error_t *err)
{
    *out = NULL;
    *n = 0;
    if (!ngroups)
        return RL_OK;
    const char **tenants = NULL;
    size_t nt = 0;
    rl_err_t rc = rl_store_tenants(store, arena, &tenants, &nt, err);
    if (rc)
        return rc;
    size_t cap = nt * ngroups < RL_HEALTH_MAX_STREAMS ? nt * ngroups : RL_HEALTH_MAX_STREAMS;
    rl_health_lag_t *lags = cap ? rl_arena_alloc(arena, cap * sizeof *lags) : NULL;
    if (cap && !lags)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    size_t k = 0;
    for (size_t t = 0; t < nt && k < cap; t++)
        for (size_t g = 0; g < ngroups && k < cap; g++) {
            const char *stream = rl_arena_printf(arena, "rl:{%s}:%s", tenants[t], groups[g].suffix);
            rl_group_info_t gi;
            if (!stream)
                return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
            if ((rc = rl_store_group_info(store, arena, stream, groups[g].group, &gi, err)))
                return rc;
            lags[k++] = (rl_health_lag_t){stream, groups[g].group, gi.lag, gi.pending, gi.lag_known};
        }
    *out = lags;
    *n = k;
    return RL_OK;
}

/* Most behind first; ties by stream name, so replies are stable. */
static int by_lag(const void *a, const void *b)
{
    const rl_health_lag_t *x = a, *y = b;
    if (x->lag != y->lag)
        return x->lag < y->lag ? 1 : -1;
    int c = strcmp(x->stream, y->stream);
    return c ? c : strcmp(x->group, y->group);
}

int rl_health_judge(const char *redis_error, const char *lag_error, rl_health_lag_t *lags, size_t n,
                    uint64_t max_lag, rl_arena_t *arena, Riskline__V1__Health *out)
{
    out->max_lag = max_lag;
    out->redis_ok = redis_error == NULL;
    out->n_reasons = 0;
    out->n_consumers = 0;
    out->consumers_total = 0;
    if (redis_error || lag_error) {
        /* the lags are unknown: nothing more to say */
        out->ready = 0;
        out->reasons = rl_arena_alloc(arena, sizeof *out->reasons);
        if (!out->reasons || !(out->reasons[0] = redis_error
                                                     ? rl_arena_printf(arena, "redis unreachable: %s", redis_error)
                                                     : rl_arena_printf(arena, "consumer lag unknown: %s", lag_error)))
            return -1;
        out->n_reasons = 1;
        return 0;
    }
    if (n > 1)
        qsort(lags, n, sizeof *lags, by_lag);
    size_t behind = 0;
    while (behind < n && lags[behind].lag > max_lag)
        behind++;
    out->consumers_total = (uint32_t)n;
    out->ready = behind == 0;
    /* one reason per consumer behind, up to the listed ones, then one line for the rest */
    size_t listed = n < RL_HEALTH_MAX_CONSUMERS ? n : RL_HEALTH_MAX_CONSUMERS;
    size_t nreasons = behind <= listed ? behind : listed + 1;
    if (nreasons && !(out->reasons = rl_arena_alloc(arena, nreasons * sizeof *out->reasons)))
        return -1;
    for (size_t i = 0; i < nreasons; i++) {
        out->reasons[i] = i < listed && i < behind
                              ? rl_arena_printf(arena, "consumer group %s is %llu entries behind on %s (bound %llu)",
                                                lags[i].group, (unsigned long long)lags[i].lag, lags[i].stream,
                                                (unsigned long long)max_lag)
                              : rl_arena_printf(arena, "and %zu more consumer groups behind", behind - listed);
        if (!out->reasons[i])
            return -1;
    }
    out->n_reasons = nreasons;
    if (listed) {
        out->consumers = rl_arena_alloc(arena, listed * sizeof *out->consumers);
        Riskline__V1__ConsumerLag *c = rl_arena_alloc(arena, listed * sizeof *c);
        if (!out->consumers || !c)
            return -1;
        for (size_t i = 0; i < listed; i++) {
            riskline__v1__consumer_lag__init(&c[i]);
            c[i].stream = (char *)lags[i].stream;
            c[i].group = (char *)lags[i].group;
            c[i].lag = lags[i].lag;
            c[i].pending = lags[i].pending;
            c[i].lag_known = lags[i].lag_known != 0;
            out->consumers[i] = &c[i];
        }
        out->n_consumers = listed;
    }
    return 0;
}
