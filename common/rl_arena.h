/* rl_arena.h: bump allocator for one request's memory (decoded frames, replies), freed at once. */
#ifndef RL_ARENA_H
#define RL_ARENA_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

typedef struct rl_arena rl_arena_t;

/* Returns a new arena or NULL. `cap` bounds the total bytes it will hand out (0 = 64 MiB). */
rl_arena_t *rl_arena_new(size_t cap);
void rl_arena_destroy(rl_arena_t **self_p);

/* Zeroed memory owned by the arena, or NULL when the cap is reached. */
void *rl_arena_alloc(rl_arena_t *self, size_t size);
/* Copy of s (or of n bytes of s, NUL-terminated); owned by the arena. NULL s gives "". */
char *rl_arena_strdup(rl_arena_t *self, const char *s);
char *rl_arena_strndup(rl_arena_t *self, const char *s, size_t n);
char *rl_arena_printf(rl_arena_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Frees everything handed out; the arena is reusable. */
void rl_arena_reset(rl_arena_t *self);
size_t rl_arena_used(const rl_arena_t *self);

/* A protobuf-c allocator that takes from this arena (its free is a no-op).
 * Valid as long as the arena lives. */
ProtobufCAllocator *rl_arena_pb(rl_arena_t *self);

#endif
