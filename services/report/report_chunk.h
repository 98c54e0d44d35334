/* report_chunk.h: what the report service's report builders share (private to services/report):
 * the chunk being built, its bounds, and the helpers every report uses. */
#ifndef REPORT_CHUNK_H
#define REPORT_CHUNK_H

#include "handlers.h"
#include "render.h"
#include "report.h"
#include "report_dash.h"

/* A chunk holds at most this many entities (rows), and stops taking more past CHUNK_BYTES of output
 * or READ_BUDGET of request memory (sparse filters): chunks stay well under the 1 MiB frame. */
#define CHUNK_ROWS 200
#define CHUNK_BYTES (256 * 1024)
#define READ_BUDGET (4u * 1024 * 1024)
#define MATRIX_PAGE 500   /* entities read per page when a report reads them all (scratch arena) */
#define PLAN_PAGE 20      /* plans read per page of the plan document */

/* One report_get being answered. */
typedef struct {
    server_t *srv;
    const rl_bus_req_t *req;
    const Riskline__V1__ReportGet *q;
    report_name_t name;
    Riskline__V1__RiskList filters;   /* the request's, limit and cursor ours */
    int64_t since_ms;                 /* 0 = no since filter */
    int64_t asof_ms;                  /* 0 = now; else the instant the report rebuilds (as_of) */
    struct {                          /* as of: the plans of the last event pass, served page by page */
        Riskline__V1__Plan **plans;
        size_t n;
        uint64_t after;               /* they are every plan numbered after this one, up to the last */
        int more;                     /* plans follow the last */
        int valid;
    } asof_window;
    int64_t until_ms;                 /* audit_trail: the last ms of the until day; 0 = none */
    report_cursor_t cur;
    render_t *out;
    int done;
    char generated[40];               /* the document's time (first chunk only) */
} chunk_t;

/* A store error on the filters names the request's field: "filters.owner". */
rl_err_t report_filters_err(rl_err_t rc, rl_error_t *err);
/* The parameters a document states (key, label, value triplets for render_doc_begin, NULL-ended,
 * arena-owned): the filters, since and plan id given; NULL out of memory. */
const char *const *report_params(chunk_t *c);
/* The page source's next cursor into cur (RL_ERR_INTERNAL when it is too long). */
rl_err_t report_set_inner(report_cursor_t *cur, const char *next, rl_error_t *err);
/* 1 while the chunk may take more rows. */
int report_room(const chunk_t *c, uint32_t rows);
/* Calls fn(ctx, plan) for every plan of the tenant, read a page at a time into the scratch arena
 * (reset after each page: the plan is only valid during the call). */
rl_err_t report_each_plan(chunk_t *c, rl_err_t (*fn)(void *ctx, const Riskline__V1__Plan *p, rl_error_t *err),
                          void *ctx, rl_error_t *err);

/* --- as of a past instant (asof_handler.c): each call reads the tenant's events up to
 * c->asof_ms once, keeping one snapshot per entity of the page (never one per event) --- */
/* Refuses an as_of before the tenant's first event (field as_of). */
rl_err_t report_asof_check(chunk_t *c, rl_error_t *err);
/* risk_store_list's page as of then (id order; limit and cursor as there; archived risks only with
 * q->archived, as the store's index), with each risk's plan ids in *plans. */
rl_err_t report_asof_risks(chunk_t *c, const Riskline__V1__RiskList *q, Riskline__V1__RiskPage *page,
                           const char ***plans, rl_error_t *err);
/* The plans after cursor (at most limit, id order; or c->q->plan_id alone), derived as then. */
rl_err_t report_asof_plans(chunk_t *c, const char *cursor, uint32_t limit, Riskline__V1__Plan ***plans, size_t *n,
                           const char **next, rl_error_t *err);
/* The heat map's counts as then: m initialised from the criteria as then, every risk the filters
 * and counted select added (every risk's snapshot kept: refused above 50,000 risks). */
rl_err_t report_asof_matrix(chunk_t *c, report_matrix_t *m, int (*counted)(const chunk_t *c, const risk_t *r),
                            rl_error_t *err);
/* The tenant's own controls as then. */
rl_err_t report_asof_controls(chunk_t *c, Riskline__V1__Control ***custom, size_t *n, rl_error_t *err);
/* The SoA as then: soa_derive over the plans, own controls and exclusion records as then. */
rl_err_t report_asof_soa(chunk_t *c, Riskline__V1__SoaEntry ***entries, size_t *n, rl_error_t *err);
/* Drops the events after the as-of instant from a plan's history page (and ends it there). */
void report_asof_history_cut(chunk_t *c, Riskline__V1__HistoryPage *hp);
/* Writes one row of cells (made: the cell builder's result, 0 when it made them), counting it in
 * rows; RL_ERR_INTERNAL out of memory otherwise. */
rl_err_t report_emit(chunk_t *c, const render_col_t *cols, size_t ncols, int made, const char *const *cells,
                     uint32_t *rows, rl_error_t *err);
/* Fills d (report_dash.h) from every plan of the tenant as of day today. */
rl_err_t report_dash_plans(chunk_t *c, report_dash_t *d, int64_t today, rl_error_t *err);
/* ZRANGE key min max BYSCORE LIMIT offset count: members (an array reply), or an error. */
rl_err_t report_zpage(chunk_t *c, const char *key, const char *min, const char *max, uint64_t offset, uint32_t count,
                      const rl_val_t **out, rl_error_t *err);
/* One page (CHUNK_ROWS) of the entities indexed in zset `key` with scores min..max, from the offset
 * in c->cur.inner: each member's message (field pb of hash "<prefix><member>", decoded as desc;
 * members whose hash is gone are skipped). *end 1 at the last page (inner then ""), else inner
 * advances. */
rl_err_t report_index_page(chunk_t *c, const char *key, const char *min, const char *max, const char *prefix,
                           const ProtobufCMessageDescriptor *desc, void ***msgs, size_t *n, int *end, rl_error_t *err);
/* The same for the monitor's alerts (members "<kind>:<subject>"), rendered as rows of
 * report_alert_cols; rows counts them. */
rl_err_t report_alert_page(chunk_t *c, const char *key, const char *min, const char *max, uint32_t *rows, int *end,
                           rl_error_t *err);
/* XRANGE key start end COUNT count -> entries (arena-owned; event = the first field `e`). */
rl_err_t report_xrange(chunk_t *c, rl_arena_t *a, const char *key, const char *start, const char *end, uint32_t count,
                       rl_stream_entry_t **out, size_t *n, rl_error_t *err);

/* The next page (at most count entries) of stream key with ids in [from_ms, to_ms] (0 = open
 * ends), after the position kept in c->cur (counts[6] set once an entry was read; inner its ms,
 * counts[7] its sequence), which it advances. *end 1 when no more follow (the position is then
 * cleared for the next phase). */
rl_err_t report_stream_page(chunk_t *c, const char *key, int64_t from_ms, int64_t to_ms, uint32_t count,
                            rl_stream_entry_t **ents, size_t *n, int *end, rl_error_t *err);

/* The next chunk of each report into c->out (c->done set with the last one). */
rl_err_t report_register_chunk(chunk_t *c, rl_error_t *err);   /* risks_handler.c */
rl_err_t report_heatmap_chunk(chunk_t *c, rl_error_t *err);    /* risks_handler.c */
rl_err_t report_soa_chunk(chunk_t *c, rl_error_t *err);        /* plans_handler.c */
rl_err_t report_plans_chunk(chunk_t *c, rl_error_t *err);      /* plans_handler.c */
rl_err_t report_dashboard_chunk(chunk_t *c, rl_error_t *err);  /* dashboard_handler.c */
rl_err_t report_audit_chunk(chunk_t *c, rl_error_t *err);      /* audit_handler.c */
rl_err_t report_review_chunk(chunk_t *c, rl_error_t *err);     /* review_handler.c */

#endif
