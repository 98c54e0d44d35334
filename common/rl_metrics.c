/* rl_metrics.c: the metrics registry and its text rendering; the HTTP adapter is rl_metrics_http.c. */
#include "rl_metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char name[96];
    char help[200];
    rl_metric_type_t type;
    double buckets[RL_METRICS_MAX_BUCKETS];
    size_t nbuckets;
} family_t;

struct rl_metric {
    size_t family;
    rl_metric_type_t type;
    uint64_t hash;                       /* of family and labels: the lookup compares it first */
    size_t npairs;
    char *labels[2 * RL_METRICS_MAX_LABELS];
    double value;                        /* counter, gauge; a histogram's sum */
    uint64_t count;                      /* histogram */
    uint64_t bucket[RL_METRICS_MAX_BUCKETS]; /* observations <= bound i and > bound i-1 */
    const double *bounds;                /* the family's (the registry's arrays never move) */
    size_t nbounds;
};

struct rl_metrics {
    family_t fam[RL_METRICS_MAX_FAMILIES];
    size_t nfam;
    rl_metric_t *series[RL_METRICS_MAX_SERIES];
    size_t nseries;
    size_t dropped;
};

rl_metrics_t *rl_metrics_new(void) { return calloc(1, sizeof(rl_metrics_t)); }

void rl_metrics_destroy(rl_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rl_metrics_t *self = *self_p;
    for (size_t i = 0; i < self->nseries; i++) {
        for (size_t k = 0; k < 2 * self->series[i]->npairs; k++)
            free(self->series[i]->labels[k]);
        free(self->series[i]);
    }
    free(self);
    *self_p = NULL;
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* (colons only when allow_colon: label names have none) */
static int name_valid(const char *s, int allow_colon, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n >= max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':') ||
                 (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

static long find_family(const rl_metrics_t *self, const char *name)
{
    for (size_t i = 0; i < self->nfam; i++)
        if (!strcmp(self->fam[i].name, name))
            return (long)i;
    return -1;
}

int rl_metrics_declare(rl_metrics_t *self, const char *name, const char *help, rl_metric_type_t type,
                       const double *buckets, size_t nbuckets)
{
    long at = find_family(self, name);
    if (at >= 0)
        return self->fam[at].type == type ? 0 : -1;
    if (!name_valid(name, 1, sizeof self->fam[0].name) || self->nfam == RL_METRICS_MAX_FAMILIES)
        return -1;
    if (type == RL_METRIC_HISTOGRAM) {
        if (nbuckets == 0 || nbuckets > RL_METRICS_MAX_BUCKETS)
            return -1;
        for (size_t i = 0; i < nbuckets; i++)
            if (isnan(buckets[i]) || isinf(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1]))
                return -1;
    }
    family_t *f = &self->fam[self->nfam];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->help, sizeof f->help, "%s", help ? help : "");
    f->type = type;
    if (type == RL_METRIC_HISTOGRAM) {
        memcpy(f->buckets, buckets, nbuckets * sizeof *buckets);
        f->nbuckets = nbuckets;
    }
    self->nfam++;
    return 0;
}

/* FNV-1a over the family index and every label string (with separators). */
static uint64_t series_hash(size_t family, const char *const *labels, size_t nstr)
{
    uint64_t h = 1469598103934665603ULL ^ family;
    for (size_t i = 0; i < nstr; i++) {
        for (const unsigned char *p = (const unsigned char *)labels[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0xffu) * 1099511628211ULL;
    }
    return h;
}

static int series_equal(const rl_metric_t *m, size_t family, const char *const *labels, size_t npairs)
{
    if (m->family != family || m->npairs != npairs)
        return 0;
    for (size_t i = 0; i < 2 * npairs; i++)
        if (strcmp(m->labels[i], labels[i]))
            return 0;
    return 1;
}

rl_metric_t *rl_metrics_get(rl_metrics_t *self, const char *name, const char *const *labels, size_t npairs)
{
    long fam = find_family(self, name);
    if (fam < 0 || npairs > RL_METRICS_MAX_LABELS) {
        self->dropped++;
        return NULL;
    }
    uint64_t h = series_hash((size_t)fam, labels, 2 * npairs);
    for (size_t i = 0; i < self->nseries; i++)
        if (self->series[i]->hash == h && series_equal(self->series[i], (size_t)fam, labels, npairs))
            return self->series[i];
    for (size_t i = 0; i < npairs; i++)
        if (!name_valid(labels[2 * i], 0, 64) || !strcmp(labels[2 * i], "le")) {
            self->dropped++;
            return NULL;
        }
    rl_metric_t *m = self->nseries < RL_METRICS_MAX_SERIES ? calloc(1, sizeof *m) : NULL;
    if (!m) {
        self->dropped++;
        return NULL;
    }
    m->family = (size_t)fam;
    m->type = self->fam[fam].type;
    m->hash = h;
    m->bounds = self->fam[fam].buckets;
    m->nbounds = self->fam[fam].nbuckets;
    for (size_t i = 0; i < 2 * npairs; i++)
        if (!(m->labels[i] = strdup(labels[i]))) {
            for (size_t k = 0; k < i; k++)
                free(m->labels[k]);
            free(m);
            self->dropped++;
            return NULL;
        }
    m->npairs = npairs;
    self->series[self->nseries++] = m;
    return m;
}

size_t rl_metrics_dropped(const rl_metrics_t *self) { return self->dropped; }

void rl_metric_add(rl_metric_t *m, double v)
{
    if (m && m->type == RL_METRIC_COUNTER && v >= 0)
        m->value += v;
}

void rl_metric_set(rl_metric_t *m, double v)
{
    if (m && m->type != RL_METRIC_HISTOGRAM)
        m->value = v;
}

void rl_metric_observe(rl_metric_t *m, double v)
{
    if (!m || m->type != RL_METRIC_HISTOGRAM || isnan(v))
        return;
    m->value += v;
    m->count++;
    for (size_t i = 0; i < m->nbounds; i++)
        if (v <= m->bounds[i]) {
            m->bucket[i]++;
            break;
        }
}

/* --- rendering --- */

typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
    if (o->oom)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *b = realloc(o->buf, cap);
        if (!b) {
            o->oom = 1;
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void puts_(out_t *o, const char *s) { put(o, s, strlen(s)); }

/* The text format's escapes: backslash and newline always, the double quote in label values
 * (quote = 1) but not in HELP text. */
static void put_escaped(out_t *o, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            puts_(o, "\\\\");
        else if (*s == '"' && quote)
            puts_(o, "\\\"");
        else if (*s == '\n')
            puts_(o, "\\n");
        else
            put(o, s, 1);
    }
}

/* Shortest text that reads back as v: integers without a fraction, +Inf, -Inf, NaN. */
static const char *fmt_num(double v, char *buf, size_t size)
{
    if (isnan(v))
        return "NaN";
    if (isinf(v))
        return v > 0 ? "+Inf" : "-Inf";
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, size, "%.0f", v);
        return buf;
    }
    snprintf(buf, size, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, size, "%.17g", v);
    return buf;
}

/* name{k="v",...[,le="x"]} value */
static void put_sample(out_t *o, const char *name, const char *suffix, const rl_metric_t *m, const char *le,
                       const char *value)
{
    puts_(o, name);
    puts_(o, suffix);
    if (m->npairs || le) {
        puts_(o, "{");
        for (size_t i = 0; i < m->npairs; i++) {
            if (i)
                puts_(o, ",");
            puts_(o, m->labels[2 * i]);
            puts_(o, "=\"");
            put_escaped(o, m->labels[2 * i + 1], 1);
            puts_(o, "\"");
        }
        if (le) {
            puts_(o, m->npairs ? ",le=\"" : "le=\"");
            puts_(o, le);
            puts_(o, "\"");
        }
        puts_(o, "}");
    }
    puts_(o, " ");
    puts_(o, value);
    puts_(o, "\n");
}

static const char *const type_names[] = {"counter", "gauge", "histogram"};

char *rl_metrics_render(const rl_metrics_t *self, size_t *len)
{
    out_t o = {0};
    puts_(&o, "");  /* an empty registry renders as "" (not NULL) */
    for (size_t f = 0; f < self->nfam; f++) {
        const family_t *fam = &self->fam[f];
        puts_(&o, "# HELP ");
        puts_(&o, fam->name);
        puts_(&o, " ");
        put_escaped(&o, fam->help, 0);
        puts_(&o, "\n# TYPE ");
        puts_(&o, fam->name);
        puts_(&o, " ");
        puts_(&o, type_names[fam->type]);
        puts_(&o, "\n");
        for (size_t i = 0; i < self->nseries; i++) {
            const rl_metric_t *m = self->series[i];
            if (m->family != f)
                continue;
            char num[40], le[40];
            if (fam->type != RL_METRIC_HISTOGRAM) {
                put_sample(&o, fam->name, "", m, NULL, fmt_num(m->value, num, sizeof num));
                continue;
            }
            uint64_t cum = 0;
            for (size_t b = 0; b < fam->nbuckets; b++) {
                cum += m->bucket[b];
                put_sample(&o, fam->name, "_bucket", m, fmt_num(fam->buckets[b], le, sizeof le),
                           fmt_num((double)cum, num, sizeof num));
            }
            put_sample(&o, fam->name, "_bucket", m, "+Inf", fmt_num((double)m->count, num, sizeof num));
            put_sample(&o, fam->name, "_sum", m, NULL, fmt_num(m->value, num, sizeof num));
            put_sample(&o, fam->name, "_count", m, NULL, fmt_num((double)m->count, num, sizeof num));
        }
    }
    if (o.oom) {
        free(o.buf);
        return NULL;
    }
    *len = o.len;
    return o.buf;
}
