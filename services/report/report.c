/* report.c: report names, the chunk cursor, and the rows of each report from domain entities. */
#include "report.h"
#include "risk.h"
#include "rl_json.h"
#include "rl_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {"", "risk_register", "soa", "heatmap", "plans", "dashboard", "audit_trail",
                                    "review_pack"};

report_name_t report_name_parse(const char *s)
{
    for (size_t i = 1; s && i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(s, names[i]))
            return (report_name_t)i;
    return REPORT_UNKNOWN;
}

const char *report_names(void)
{
    return "risk_register, soa, heatmap, plans, dashboard, audit_trail, review_pack";
}

/* Parses a decimal number < 2^53 at *p followed by '.', advancing past the dot. */
static int number(const char **p, uint64_t *out)
{
    const char *s = *p;
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 16 || s[n] != '.')
        return -1;
    *out = strtoull(s, NULL, 10);
    if (*out > (1ULL << 53))
        return -1;
    *p = s + n + 1;
    return 0;
}

int report_cursor_parse(const char *s, report_cursor_t *c)
{
    memset(c, 0, sizeof *c);
    if (!s || strncmp(s, "r1.", 3) != 0 || strlen(s) >= REPORT_CURSOR_MAX)
        return -1;
    const char *p = s + 3;
    uint64_t v[4];
    for (size_t i = 0; i < 4; i++)
        if (number(&p, &v[i]) != 0 || v[i] > UINT32_MAX)
            return -1;
    if (v[3] > 1)
        return -1;
    c->phase = (uint32_t)v[0];
    c->tables = (uint32_t)v[1];
    c->rows = (uint32_t)v[2];
    c->csv_table = (uint32_t)v[3];
    for (size_t i = 0; i < REPORT_NCOUNTS; i++)
        if (number(&p, &c->counts[i]) != 0)
            return -1;
    size_t n = strlen(p);
    if (n > RL_MAX_CURSOR || strspn(p, "0123456789") != n)
        return -1;
    memcpy(c->inner, p, n + 1);
    return 0;
}

char *report_cursor_format(const report_cursor_t *c, char *buf, size_t size)
{
    int pos = snprintf(buf, size, "r1.%u.%u.%u.%u.", c->phase, c->tables, c->rows, c->csv_table ? 1 : 0);
    for (size_t i = 0; i < REPORT_NCOUNTS && pos > 0 && (size_t)pos < size; i++)
        pos += snprintf(buf + pos, size - (size_t)pos, "%" PRIu64 ".", c->counts[i]);
    if (pos > 0 && (size_t)pos < size)
        snprintf(buf + pos, size - (size_t)pos, "%s", c->inner);
    return buf;
}

const char *report_level_name(int level)
{
    static const char *const lv[] = {"", "low", "medium", "high", "critical"};
    return level >= 0 && level <= 4 ? lv[level] : "";
}

const char *report_enum(rl_arena_t *a, const ProtobufCEnumDescriptor *e, int v)
{
    char buf[64];
    return v ? rl_arena_strdup(a, rl_json_enum_name(e, v, buf, sizeof buf)) : "";
}

const char *report_uint(rl_arena_t *a, uint64_t v, int blank_zero)
{
    return blank_zero && v == 0 ? "" : rl_arena_printf(a, "%" PRIu64, v);
}

const char *report_time(rl_arena_t *a, int64_t ms)
{
    char buf[RL_TS_LEN + 8];
    return ms > 0 ? rl_arena_strdup(a, rl_ts_format(ms, buf)) : "";
}

const char *report_join(rl_arena_t *a, char *const *list, size_t n, const char *sep)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(list[i]) + strlen(sep);
    char *out = rl_arena_alloc(a, len);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(out, sep);
        strcat(out, list[i]);
    }
    return out;
}

int report_cells_ok(const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!cells[i])
            return -1;
    return 0;
}

const render_col_t report_risk_cols[REPORT_RISK_NCOLS] = {
    {"id", "ID", RENDER_TEXT},
    {"title", "Title", RENDER_TEXT},
    {"owner", "Owner", RENDER_TEXT},
    {"category", "Category", RENDER_TEXT},
    {"status", "Status", RENDER_TEXT},
    {"treatment", "Treatment", RENDER_TEXT},
    {"inherent_likelihood", "Inh. L", RENDER_NUM},
    {"inherent_impact", "Inh. I", RENDER_NUM},
    {"inherent_score", "Inh. score", RENDER_NUM},
    {"inherent_level", "Inh. level", RENDER_LEVEL},
    {"residual_likelihood", "Res. L", RENDER_NUM},
    {"residual_impact", "Res. I", RENDER_NUM},
    {"residual_score", "Res. score", RENDER_NUM},
    {"residual_level", "Res. level", RENDER_LEVEL},
    {"within_appetite", "Within appetite", RENDER_TEXT},
    {"plans", "Plans", RENDER_TEXT},
    {"next_review", "Next review", RENDER_TEXT},
    {"assets", "Assets", RENDER_TEXT},
    {"updated_at", "Updated", RENDER_TEXT},
    {"updated_by", "Updated by", RENDER_TEXT},
};

int report_risk_cells(const Riskline__V1__Risk *r, const char *plans, rl_arena_t *a,
                      const char *cells[REPORT_RISK_NCOLS])
{
    const Riskline__V1__Rating *in = r->inherent, *res = r->residual;
    size_t k = 0;
    cells[k++] = r->id;
    cells[k++] = r->title;
    cells[k++] = r->owner;
    cells[k++] = r->category;
    cells[k++] = report_enum(a, &riskline__v1__risk_status__descriptor, r->status);
    cells[k++] = report_enum(a, &riskline__v1__treatment__descriptor, r->treatment);
    cells[k++] = report_uint(a, in ? in->likelihood : 0, 1);
    cells[k++] = report_uint(a, in ? in->impact : 0, 1);
    cells[k++] = report_uint(a, r->inherent_score, 1);
    cells[k++] = report_level_name(r->inherent_level);
    cells[k++] = report_uint(a, res ? res->likelihood : 0, 1);
    cells[k++] = report_uint(a, res ? res->impact : 0, 1);
    cells[k++] = report_uint(a, r->residual_score, 1);
    cells[k++] = report_level_name(r->residual_level);
    cells[k++] = r->within_appetite ? "yes" : "no";
    cells[k++] = plans ? plans : "";
    cells[k++] = r->next_review;
    cells[k++] = report_join(a, r->assets, r->n_assets, "; ");
    cells[k++] = report_time(a, r->updated_at_ms);
    cells[k++] = r->updated_by;
    return report_cells_ok(cells, k);
}

void report_risk_count(const Riskline__V1__Risk *r, uint64_t counts[REPORT_NCOUNTS])
{
    if (r->inherent_level >= 1 && r->inherent_level <= 4)
        counts[r->inherent_level - 1]++;
    if (r->residual_level >= 1 && r->residual_level <= 4)
        counts[4 + r->residual_level - 1]++;
}

int report_matrix_init(report_matrix_t *m, const Riskline__V1__Criteria *c)
{
    memset(m, 0, sizeof *m);
    if (c->likelihood_levels < 1 || c->likelihood_levels > REPORT_MATRIX_MAX || c->impact_levels < 1 ||
        c->impact_levels > REPORT_MATRIX_MAX)
        return -1;
    m->nl = c->likelihood_levels;
    m->ni = c->impact_levels;
    for (uint32_t l = 1; l <= m->nl; l++)
        for (uint32_t i = 1; i <= m->ni; i++)
            m->level[(l - 1) * m->ni + (i - 1)] = (uint8_t)risk_level(l * i, c);
    return 0;
}

/* Counts rating g into cells; 1 when counted, 0 when unrated, -1 when off the matrix. */
static int add(report_matrix_t *m, uint32_t *cells, const Riskline__V1__Rating *g)
{
    if (!g || (g->likelihood == 0 && g->impact == 0))
        return 0;
    if (g->likelihood < 1 || g->likelihood > m->nl || g->impact < 1 || g->impact > m->ni)
        return -1;
    cells[(g->likelihood - 1) * m->ni + (g->impact - 1)]++;
    return 1;
}

void report_matrix_add(report_matrix_t *m, const Riskline__V1__Risk *r)
{
    m->risks++;
    if (add(m, m->inherent, r->inherent) < 0)
        m->off_matrix++;
    int res = add(m, m->residual, r->residual);
    if (res > 0)
        m->residual_rated++;
    else if (res < 0)
        m->off_matrix++;
}

const render_col_t report_matrix_cols[REPORT_MATRIX_NCOLS] = {
    {"basis", "Basis", RENDER_TEXT},
    {"likelihood", "Likelihood", RENDER_NUM},
    {"impact", "Impact", RENDER_NUM},
    {"score", "Score", RENDER_NUM},
    {"level", "Level", RENDER_LEVEL},
    {"risks", "Risks", RENDER_NUM},
};

const render_col_t report_soa_cols[REPORT_SOA_NCOLS] = {
    {"control", "Control", RENDER_TEXT},
    {"title", "Title", RENDER_TEXT},
    {"theme", "Theme", RENDER_TEXT},
    {"custom", "Own control", RENDER_TEXT},
    {"applicable", "Applicable", RENDER_TEXT},
    {"status", "Implementation", RENDER_TEXT},
    {"risks", "Risks (justification)", RENDER_TEXT},
    {"plans", "Plans", RENDER_TEXT},
    {"exclusion_reason", "Reason for exclusion", RENDER_TEXT},
    {"excluded_by", "Excluded by", RENDER_TEXT},
};

int report_soa_cells(const Riskline__V1__SoaEntry *e, rl_arena_t *a, const char *cells[REPORT_SOA_NCOLS])
{
    const Riskline__V1__Control *c = e->control;
    size_t k = 0;
    cells[k++] = c ? c->id : "";
    cells[k++] = c ? c->title : "";
    cells[k++] = report_enum(a, &riskline__v1__control_theme__descriptor, c ? (int)c->theme : 0);
    cells[k++] = c && c->custom ? "yes" : "no";
    cells[k++] = e->applicable ? "yes" : "no";
    cells[k++] = report_enum(a, &riskline__v1__implementation_status__descriptor, e->status);
    cells[k++] = report_join(a, e->risk_ids, e->n_risk_ids, " ");
    cells[k++] = report_join(a, e->plan_ids, e->n_plan_ids, " ");
    cells[k++] = e->exclusion_reason;
    cells[k++] = e->excluded_by;
    return report_cells_ok(cells, k);
}

Riskline__V1__Plan *report_plan_for_soa(const Riskline__V1__Plan *p, rl_arena_t *a)
{
    Riskline__V1__Plan *c = rl_arena_alloc(a, sizeof *c);
    Riskline__V1__PlanControl **cs = rl_arena_alloc(a, (p->n_controls ? p->n_controls : 1) * sizeof *cs);
    Riskline__V1__PlanControl *cb = rl_arena_alloc(a, (p->n_controls ? p->n_controls : 1) * sizeof *cb);
    if (!c || !cs || !cb)
        return NULL;
    riskline__v1__plan__init(c);
    c->id = rl_arena_strdup(a, p->id);
    c->risk_id = rl_arena_strdup(a, p->risk_id);
    c->state = p->state;
    for (size_t i = 0; i < p->n_controls; i++) {
        riskline__v1__plan_control__init(&cb[i]);
        cb[i].control_id = rl_arena_strdup(a, p->controls[i]->control_id);
        cb[i].status = p->controls[i]->status;
        if (!cb[i].control_id)
            return NULL;
        cs[i] = &cb[i];
    }
    c->controls = cs;
    c->n_controls = p->n_controls;
    if (p->verification) {
        Riskline__V1__Verification *v = rl_arena_alloc(a, sizeof *v);
        if (!v)
            return NULL;
        riskline__v1__verification__init(v);
        v->effective = p->verification->effective;
        c->verification = v;
    }
    return c->id && c->risk_id ? c : NULL;
}

const char *report_changes(rl_arena_t *a, const Riskline__V1__DomainEvent *ev)
{
    const char *ch = "";
    for (size_t i = 0; i < ev->n_changes && ch; i++)
        ch = rl_arena_printf(a, "%s%s%s: %s -> %s", ch, i ? "; " : "", ev->changes[i]->field, ev->changes[i]->from,
                             ev->changes[i]->to);
    return ch;
}

const char *report_hex_prefix(rl_arena_t *a, const uint8_t *h, size_t hlen, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (!h || hlen < n)
        return "";
    char *out = rl_arena_alloc(a, n * 2 + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[h[i] >> 4];
        out[2 * i + 1] = hex[h[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
}

const render_col_t report_audit_cols[REPORT_AUDIT_NCOLS] = {
    {"at", "When", RENDER_TEXT},
    {"stream_id", "Stream id", RENDER_TEXT},
    {"chain_seq", "Chain #", RENDER_NUM},
    {"hash", "Hash (prefix)", RENDER_TEXT},
    {"prev_hash", "Previous hash (prefix)", RENDER_TEXT},
    {"event", "Event", RENDER_TEXT},
    {"entity_type", "Entity type", RENDER_TEXT},
    {"entity", "Entity", RENDER_TEXT},
    {"actor", "Who", RENDER_TEXT},
    {"version", "Version", RENDER_NUM},
    {"changes", "Changes", RENDER_TEXT},
    {"comment", "Comment", RENDER_TEXT},
};

int report_audit_cells(const char *stream_id, const Riskline__V1__DomainEvent *ev, const uint8_t *h, size_t hlen,
                       rl_arena_t *a, const char *cells[REPORT_AUDIT_NCOLS])
{
    size_t k = 0;
    cells[k++] = report_time(a, ev->at_ms);
    cells[k++] = stream_id;
    cells[k++] = report_uint(a, ev->chain_seq, 1);
    cells[k++] = report_hex_prefix(a, h, hlen, REPORT_AUDIT_HASH_BYTES);
    cells[k++] = report_hex_prefix(a, ev->prev_hash.data, ev->prev_hash.len, REPORT_AUDIT_HASH_BYTES);
    cells[k++] = ev->kind;
    cells[k++] = ev->entity_type;
    cells[k++] = ev->entity_id;
    cells[k++] = ev->actor;
    cells[k++] = report_uint(a, ev->version, 0);
    cells[k++] = report_changes(a, ev);
    cells[k++] = ev->comment;
    return report_cells_ok(cells, k);
}

const render_col_t report_alert_cols[REPORT_ALERT_NCOLS] = {
    {"id", "Alert", RENDER_TEXT},          {"kind", "Kind", RENDER_TEXT},
    {"severity", "Severity", RENDER_TEXT}, {"subject", "Subject", RENDER_TEXT},
    {"state", "State", RENDER_TEXT},       {"raised_at", "Raised", RENDER_TEXT},
    {"resolved_at", "Resolved", RENDER_TEXT}, {"resolved_by", "Resolved by", RENDER_TEXT},
    {"message", "Message", RENDER_TEXT},
};

int report_alert_cells(const Riskline__V1__Alert *al, rl_arena_t *a, const char *cells[REPORT_ALERT_NCOLS])
{
    size_t k = 0;
    cells[k++] = al->id;
    cells[k++] = al->kind;
    cells[k++] = report_enum(a, &riskline__v1__severity__descriptor, al->severity);
    cells[k++] = al->subject;
    cells[k++] = report_enum(a, &riskline__v1__alert_state__descriptor, al->state);
    cells[k++] = report_time(a, al->raised_at_ms);
    cells[k++] = report_time(a, al->resolved_at_ms);
    cells[k++] = al->resolved_by;
    cells[k++] = al->message;
    return report_cells_ok(cells, k);
}
