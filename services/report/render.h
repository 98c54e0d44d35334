/* render.h: the report formats (JSON, CSV RFC 4180, self-contained XHTML with inline CSS and SVG)
 * written into a growing buffer, one bounded piece at a time; pure, no I/O.
 *
 * A document is: doc_begin, then tables (table_begin, rows, table_end), charts (HTML only), then
 * doc_end. The service renders a report over several chunks: each chunk is a fresh buffer, and
 * the writer state that spans chunks (inside a table? rows written?) is restored with
 * render_resume from the report's cursor. */
#ifndef RENDER_H
#define RENDER_H

/* HTML: a table of more columns than this shows each row as a card (field, value); a cell longer
 * than RENDER_HTML_FOLD characters is folded (<details>) after its first half of that. */
#define RENDER_HTML_MAX_COLS 20
#define RENDER_HTML_FOLD 400

#include <stddef.h>
#include <stdint.h>

/* Values as in riskline.v1.ReportFormat. */
typedef enum {
    RENDER_JSON = 1,
    RENDER_CSV = 2,
    RENDER_HTML = 3,
} render_format_t;

/* How a column's cells are written: text (JSON string), number (JSON number, right-aligned in
 * HTML; an empty cell is JSON null), level (text; HTML colours it by low/medium/high/critical). */
typedef enum {
    RENDER_TEXT = 0,
    RENDER_NUM = 1,
    RENDER_LEVEL = 2,
} render_kind_t;

typedef struct {
    const char *key;    /* JSON member and CSV header: "inherent_score" */
    const char *label;  /* HTML header: "Inherent score" */
    render_kind_t kind;
} render_col_t;

typedef struct render render_t;

/* A writer of fmt; NULL when out of memory or fmt is unknown. */
render_t *render_new(render_format_t fmt);
void render_destroy(render_t **self_p);
render_format_t render_format(const render_t *self);

/* The bytes written since the last render_clear; *len their count. */
const char *render_data(const render_t *self, size_t *len);
/* Drops the bytes written (keeps the state: inside which table, rows so far). */
void render_clear(render_t *self);
/* 1 when an allocation failed (the bytes are then incomplete: the report must fail). */
int render_failed(const render_t *self);

/* State across chunks: tables begun so far in this document, rows of the current table (JSON
 * commas), and whether the current table is the CSV one. */
void render_resume(render_t *self, uint32_t tables, uint32_t rows, int csv_table);
uint32_t render_tables(const render_t *self);
uint32_t render_rows(const render_t *self);
int render_csv_table(const render_t *self);

/* --- escaping (exposed for tests) --- */
/* A JSON string literal of s: quotes, backslash and control characters escaped; bytes that are
 * not well-formed UTF-8 become U+FFFD. */
void render_json_string(render_t *self, const char *s);
/* A CSV field of s (RFC 4180): quoted when it holds a comma, quote, CR or LF (quotes doubled);
 * a text field starting with = + - @ or a tab gets a leading ' so that a spreadsheet does not
 * run it as a formula (numbers are written as they are). Invalid UTF-8 becomes U+FFFD. */
void render_csv_field(render_t *self, const char *s, render_kind_t kind);
/* Text for XHTML: & < > " ' escaped; control characters that XML 1.0 forbids and invalid UTF-8
 * become U+FFFD. */
void render_html_text(render_t *self, const char *s);

/* --- the document --- */
/* Opens the document: JSON {"report", "title", "tenant", "generated_at", "parameters": {key:
 * value, ...}, "tables": {; HTML head with inline CSS, the title, and a definition list of the
 * parameters (label: value); CSV nothing. params: key, label, value triplets ending with NULL (may
 * be NULL). */
void render_doc_begin(render_t *self, const char *report, const char *title, const char *tenant,
                      const char *generated_at, const char *const *params);
/* Closes it (JSON "}}", HTML "</body></html>"). */
void render_doc_end(render_t *self);

/* Opens table `key` (JSON member holding an array of row objects; HTML h2 caption and table with
 * a header row). In CSV only the table with `csv` set is written (its header row first): a CSV
 * file is one table; the others are omitted there. */
void render_table_begin(render_t *self, const char *key, const char *caption, const render_col_t *cols,
                        size_t ncols, int csv);
/* One row: cells[i] for cols[i] (NULL = empty). */
void render_row(render_t *self, const render_col_t *cols, size_t ncols, const char *const *cells);
void render_table_end(render_t *self);
/* HTML only: a paragraph of text (escaped); nothing in JSON and CSV. */
void render_note(render_t *self, const char *text);

/* --- charts (HTML only; nothing in JSON and CSV, where the tables carry the figures) --- */
/* The risk matrix as an SVG grid: likelihood rows (highest on top) x impact columns, each cell
 * coloured by levels[(l-1)*nimpact + (i-1)] (1 low .. 4 critical, 0 none) and showing
 * counts[(l-1)*nimpact + (i-1)]. Up to 10 x 10. */
void render_heatmap_svg(render_t *self, const char *caption, uint32_t nlikelihood, uint32_t nimpact,
                        const uint32_t *counts, const uint8_t *levels);
/* A horizontal bar chart: one bar per label with its value (non-negative). */
void render_bars_svg(render_t *self, const char *caption, const char *const *labels, const double *values,
                     size_t n);

#endif
