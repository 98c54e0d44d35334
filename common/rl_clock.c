/* rl_clock.c: system, fixed and offset clocks. */
#include "rl_clock.h"

#include <time.h>

static int64_t system_now(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t fixed_now(void *ctx) { return *(int64_t *)ctx; }

rl_clock_t rl_clock_system(void) { return (rl_clock_t){system_now, NULL}; }
rl_clock_t rl_clock_fixed(int64_t *ms) { return (rl_clock_t){fixed_now, ms}; }

static int64_t offset_now(void *ctx) { return system_now(NULL) + *(int64_t *)ctx; }

rl_clock_t rl_clock_offset(int64_t *offset_ms) { return (rl_clock_t){offset_now, offset_ms}; }

int64_t rl_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t rl_mono_ms(void) { return rl_mono_ns() / 1000000; }
