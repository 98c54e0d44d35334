/* unit_arena.h: the cmocka fixture most unit tests share: a fresh arena as the test's state. */
#ifndef UNIT_ARENA_H
#define UNIT_ARENA_H

#include "rl_arena.h"

static int setup_arena(void **state)
{
    *state = rl_arena_new(0);
    return *state ? 0 : -1;
}

static int teardown_arena(void **state)
{
    rl_arena_t *a = *state;
    rl_arena_destroy(&a);
    return 0;
}

#endif
