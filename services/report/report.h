/* report.h: what the reports say: their names, the cursor that carries a report across chunks,
 * the columns and cells of each report's rows, and the heat map's counts; pure, no I/O. */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "render.h"
#include "riskline/v1/monitor.pb-c.h"
#include "riskline/v1/treatment.pb-c.h"
#include "rl_arena.h"
#include "rl_limits.h"

typedef enum {
    REPORT_UNKNOWN = 0,
    REPORT_RISK_REGISTER,
    REPORT_SOA,
    REPORT_HEATMAP,
    REPORT_PLANS,
    REPORT_DASHBOARD,
    REPORT_AUDIT_TRAIL,
    REPORT_REVIEW_PACK,
} report_name_t;

/* "risk_register", "soa", "heatmap", "plans", "dashboard", "audit_trail", "review_pack" -> the
 * report; REPORT_UNKNOWN otherwise. */
report_name_t report_name_parse(const char *s);
/* The names, comma-separated, for messages. */
const char *report_names(void);

/* Where a report stands between two chunks. The client sends it back as it got it; it is checked
 * like any input (a forged one can only spoil the sender's own document). */
#define REPORT_NCOUNTS 8
typedef struct {
    uint32_t phase;                    /* report-specific: 0 = nothing written yet */
    uint32_t tables, rows;             /* render_resume */
    uint32_t csv_table;
    uint64_t counts[REPORT_NCOUNTS];   /* running totals written at the end */
    char inner[RL_MAX_CURSOR + 1];     /* the cursor of the page source (decimal digits) */
} report_cursor_t;

#define REPORT_CURSOR_MAX 320
/* "r1.<phase>.<tables>.<rows>.<csv>.<c0>...<c7>.<inner>"; 0 ok, -1 when s is not one. */
int report_cursor_parse(const char *s, report_cursor_t *c);
/* Into buf (REPORT_CURSOR_MAX bytes); returns buf. */
char *report_cursor_format(const report_cursor_t *c, char *buf, size_t size);

/* Cell text helpers (arena-owned; NULL when out of memory): an enum value's short name ("" for 0),
 * a number ("" for 0 when blank_zero), a time "YYYY-MM-DDTHH:MM:SS.mmmZ" ("" for 0), and the
 * strings of list joined by sep. */
const char *report_enum(rl_arena_t *a, const ProtobufCEnumDescriptor *e, int v);
const char *report_uint(rl_arena_t *a, uint64_t v, int blank_zero);
const char *report_time(rl_arena_t *a, int64_t ms);
const char *report_join(rl_arena_t *a, char *const *list, size_t n, const char *sep);
/* 0 when none of the n cells is NULL (an allocation failed), else -1. */
int report_cells_ok(const char *const *cells, size_t n);

/* Level name ("low" .. "critical"), "" for unspecified. */
const char *report_level_name(int level);

/* --- risk register --- */
#define REPORT_RISK_NCOLS 20
extern const render_col_t report_risk_cols[REPORT_RISK_NCOLS];
/* The cells of risk r (arena-owned strings); plans: the ids of its plans, space-separated (may be
 * NULL). 0 ok, -1 out of memory. */
int report_risk_cells(const Riskline__V1__Risk *r, const char *plans, rl_arena_t *arena,
                      const char *cells[REPORT_RISK_NCOLS]);
/* Adds r to the register's summary counts (kept in the cursor): counts[level - 1] by inherent
 * level, counts[4 + level - 1] by residual level (levels 1 low .. 4 critical; unrated not counted). */
void report_risk_count(const Riskline__V1__Risk *r, uint64_t counts[REPORT_NCOUNTS]);

/* --- heat map: counts of risks by position on the matrix --- */
#define REPORT_MATRIX_MAX 10
typedef struct {
    uint32_t nl, ni;                                           /* the criteria's axes */
    uint32_t inherent[REPORT_MATRIX_MAX * REPORT_MATRIX_MAX];  /* [(l-1)*ni + (i-1)] */
    uint32_t residual[REPORT_MATRIX_MAX * REPORT_MATRIX_MAX];
    uint8_t level[REPORT_MATRIX_MAX * REPORT_MATRIX_MAX];      /* the level of each position */
    uint32_t risks, residual_rated, off_matrix;
} report_matrix_t;

/* An empty matrix of c's size (levels of each position from c). -1 when c's axes are beyond 10. */
int report_matrix_init(report_matrix_t *m, const Riskline__V1__Criteria *c);
/* Adds r's inherent rating and, when rated, its residual one. */
void report_matrix_add(report_matrix_t *m, const Riskline__V1__Risk *r);

#define REPORT_MATRIX_NCOLS 6
extern const render_col_t report_matrix_cols[REPORT_MATRIX_NCOLS];

/* --- Statement of Applicability --- */
#define REPORT_SOA_NCOLS 10
extern const render_col_t report_soa_cols[REPORT_SOA_NCOLS];
int report_soa_cells(const Riskline__V1__SoaEntry *e, rl_arena_t *arena, const char *cells[REPORT_SOA_NCOLS]);
/* A copy of p with only what the SoA derivation reads (id, risk, state, controls and their status,
 * whether its verification says effective), in arena: the SoA of many plans then costs their
 * controls, not their milestones, costs or history. NULL when out of memory. */
Riskline__V1__Plan *report_plan_for_soa(const Riskline__V1__Plan *p, rl_arena_t *arena);

/* --- the monitor's alerts (dashboard, review pack) --- */
#define REPORT_ALERT_NCOLS 9
extern const render_col_t report_alert_cols[REPORT_ALERT_NCOLS];
int report_alert_cells(const Riskline__V1__Alert *al, rl_arena_t *a, const char *cells[REPORT_ALERT_NCOLS]);

/* --- audit trail --- */
/* "field: from -> to; ..." of ev's changes (arena-owned; "" for none, NULL out of memory). */
const char *report_changes(rl_arena_t *a, const Riskline__V1__DomainEvent *ev);
/* The first n bytes of h as lowercase hex ("" when h is shorter: the entry carries no hash). */
const char *report_hex_prefix(rl_arena_t *a, const uint8_t *h, size_t hlen, size_t n);

#define REPORT_AUDIT_NCOLS 12
#define REPORT_AUDIT_HASH_BYTES 8   /* the hash prefix shown: 16 hex digits */
extern const render_col_t report_audit_cols[REPORT_AUDIT_NCOLS];
/* The cells of event ev, read from stream entry stream_id with its chain hash h (hlen bytes, the
 * entry's field `h`; NULL when it has none): time, stream id, chain position, hash and previous
 * hash prefixes, kind, entity type and id, actor, version, changes, comment. 0 ok, -1 out of memory. */
int report_audit_cells(const char *stream_id, const Riskline__V1__DomainEvent *ev, const uint8_t *h, size_t hlen,
                       rl_arena_t *a, const char *cells[REPORT_AUDIT_NCOLS]);

#endif
