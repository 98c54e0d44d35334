/* rl_arena.c: chunked bump allocator; reset keeps the first chunk to avoid malloc churn. */
#include "rl_arena.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN (16 * 1024)

typedef struct chunk {
    struct chunk *next;
    size_t size;
    size_t used;
    max_align_t data[];
} chunk_t;

struct rl_arena {
    chunk_t *head;       /* current chunk; older ones follow */
    size_t cap;
    size_t total;        /* bytes handed out since reset */
    ProtobufCAllocator pb;
};

static void *alloc_raw(rl_arena_t *self, size_t size);
/* protobuf-c initialises all it allocates (messages, arrays, strings): no zeroing */
static void *pb_alloc(void *ctx, size_t size) { return alloc_raw(ctx, size); }
static void pb_free(void *ctx, void *ptr) { (void)ctx; (void)ptr; }

rl_arena_t *rl_arena_new(size_t cap)
{
    rl_arena_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cap = cap ? cap : (size_t)64 * 1024 * 1024;
    self->pb.alloc = pb_alloc;
    self->pb.free = pb_free;
    self->pb.allocator_data = self;
    return self;
}

static void free_chunks(chunk_t *c)
{
    while (c) {
        chunk_t *next = c->next;
        free(c);
        c = next;
    }
}

void rl_arena_destroy(rl_arena_t **self_p)
{
    assert(self_p);
    if (!*self_p)
        return;
    free_chunks((*self_p)->head);
    free(*self_p);
    *self_p = NULL;
}

/* size bytes, not zeroed (every caller writes all of them). */
static void *alloc_raw(rl_arena_t *self, size_t size)
{
    assert(self);
    size_t align = sizeof(max_align_t);
    if (size > self->cap)   /* also keeps the rounding below from wrapping */
        return NULL;
    size = (size + align - 1) / align * align;
    if (size == 0)
        size = align;
    if (size > self->cap - self->total)
        return NULL;
    chunk_t *c = self->head;
    if (!c || c->size - c->used < size) {
        size_t want = size > CHUNK_MIN ? size : CHUNK_MIN;
        if (c && c->size * 2 > want && c->size * 2 <= 1024 * 1024)
            want = c->size * 2;
        c = malloc(sizeof *c + want);
        if (!c)
            return NULL;
        c->size = want;
        c->used = 0;
        c->next = self->head;
        self->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    self->total += size;
    return p;
}

void *rl_arena_alloc(rl_arena_t *self, size_t size)
{
    void *p = alloc_raw(self, size);
    if (p)
        memset(p, 0, size);
    return p;
}

char *rl_arena_strndup(rl_arena_t *self, const char *s, size_t n)
{
    if (n >= self->cap)
        return NULL;
    char *p = alloc_raw(self, n + 1);  /* every byte written below */
    if (!p)
        return NULL;
    if (s && n)
        memcpy(p, s, n);
    else
        memset(p, 0, n);
    p[n] = '\0';
    return p;
}

char *rl_arena_strdup(rl_arena_t *self, const char *s)
{
    return rl_arena_strndup(self, s, s ? strlen(s) : 0);
}

char *rl_arena_printf(rl_arena_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = rl_arena_alloc(self, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void rl_arena_reset(rl_arena_t *self)
{
    assert(self);
    if (!self->head)
        return;
    /* keep the newest (largest) chunk */
    free_chunks(self->head->next);
    self->head->next = NULL;
    self->head->used = 0;
    self->total = 0;
}

size_t rl_arena_used(const rl_arena_t *self) { return self->total; }

ProtobufCAllocator *rl_arena_pb(rl_arena_t *self) { return &self->pb; }
