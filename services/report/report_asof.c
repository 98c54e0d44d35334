/* report_asof.c: the as_of parameter and the latest-snapshot-per-entity set (report_asof.h). */
#include "report_asof.h"
#include "catalogue.h"
#include "risk.h"
#include "rl_time.h"

#include <stdlib.h>
#include <string.h>

int report_asof_parse(const char *s, int64_t *ms)
{
    int64_t day;
    if (!s)
        return -1;
    if (strlen(s) == 10) {
        if (rl_date_parse(s, &day) != 0)
            return -1;
        *ms = (day + 1) * 86400000LL - 1;
        return 0;
    }
    /* an instant in UTC only ("Z"): what the stream ids are */
    size_t n = strlen(s);
    if (n < 20 || s[n - 1] != 'Z' || rl_ts_parse(s, ms) != 0)
        return -1;
    return 0;
}

typedef struct {
    char *id;
    void *bytes;
    size_t len;
} entry_t;

struct report_asof_set {
    char *after;
    size_t cap, n, alloc;
    int strict, more;
    entry_t *e;   /* sorted by id; n <= cap */
};

report_asof_set_t *report_asof_set_new(const char *after, size_t cap, int strict)
{
    report_asof_set_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->after = strdup(after ? after : "");
    self->cap = cap;
    self->strict = strict;
    if (!self->after) {
        free(self);
        return NULL;
    }
    return self;
}

void report_asof_set_destroy(report_asof_set_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    report_asof_set_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++) {
        free(self->e[i].id);
        free(self->e[i].bytes);
    }
    free(self->e);
    free(self->after);
    free(self);
    *self_p = NULL;
}

/* The position of id: *found when kept, else where it would go. */
static size_t find(const report_asof_set_t *self, const char *id, int *found)
{
    size_t lo = 0, hi = self->n;
    *found = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = catalogue_natcmp(self->e[mid].id, id);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int set_bytes(entry_t *e, const void *bytes, size_t len)
{
    void *copy = malloc(len ? len : 1);
    if (!copy)
        return -1;
    if (len)
        memcpy(copy, bytes, len);
    free(e->bytes);
    e->bytes = copy;
    e->len = len;
    return 0;
}

int report_asof_set_put(report_asof_set_t *self, const char *id, const void *bytes, size_t len)
{
    if (!id || (self->after[0] && catalogue_natcmp(id, self->after) <= 0))
        return 0;
    int found;
    size_t pos = find(self, id, &found);
    if (found)
        return set_bytes(&self->e[pos], bytes, len);
    if (self->n == self->cap) {
        if (self->strict)
            return -2;
        self->more = 1;
        if (pos == self->n || self->cap == 0)
            return 0;  /* after the window: a later page's */
        /* the highest kept id leaves; its later events come after the window and are dropped */
        self->n--;
        free(self->e[self->n].id);
        free(self->e[self->n].bytes);
    } else if (self->n == self->alloc) {
        size_t ncap = self->alloc ? self->alloc * 2 : 16;
        entry_t *grown = realloc(self->e, ncap * sizeof *grown);
        if (!grown)
            return -1;
        self->e = grown;
        self->alloc = ncap;
    }
    entry_t e = {strdup(id), NULL, 0};
    if (!e.id || set_bytes(&e, bytes, len) != 0) {
        free(e.id);
        return -1;
    }
    memmove(&self->e[pos + 1], &self->e[pos], (self->n - pos) * sizeof *self->e);
    self->e[pos] = e;
    self->n++;
    return 0;
}

int report_asof_set_has(const report_asof_set_t *self, const char *id)
{
    int found;
    find(self, id, &found);
    return found;
}

size_t report_asof_set_count(const report_asof_set_t *self)
{
    return self->n;
}

const char *report_asof_set_at(const report_asof_set_t *self, size_t i, const void **bytes, size_t *len)
{
    *bytes = self->e[i].bytes;
    *len = self->e[i].len;
    return self->e[i].id;
}

int report_asof_set_more(const report_asof_set_t *self)
{
    return self->more;
}

int report_asof_risk_listed(const Riskline__V1__Risk *r, const Riskline__V1__RiskList *q, int64_t before_day)
{
    if (q->archived ? !r->archived : r->archived)
        return 0;
    return risk_list_match(r, q, before_day);
}
