/* rl_clock.h: injectable clock, so schedules and timestamps are testable without waiting. */
#ifndef RL_CLOCK_H
#define RL_CLOCK_H

#include <stdint.h>

typedef struct {
    int64_t (*now_ms)(void *ctx);  /* Unix time in milliseconds */
    void *ctx;
} rl_clock_t;

/* The wall clock (CLOCK_REALTIME). */
rl_clock_t rl_clock_system(void);
/* A clock that always reads *ms (the caller owns and may change it). */
rl_clock_t rl_clock_fixed(int64_t *ms);
/* The wall clock plus *offset_ms (the caller owns it; tests' RISKLINE_CLOCK_OFFSET_S). */
rl_clock_t rl_clock_offset(int64_t *offset_ms);

static inline int64_t rl_clock_now(const rl_clock_t *c) { return c->now_ms(c->ctx); }

/* Monotonic milliseconds, for timeouts and latencies only. */
int64_t rl_mono_ms(void);
int64_t rl_mono_ns(void);

#endif
