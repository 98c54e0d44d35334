/* cli_output.h: human-readable output: tables, key/value details, risk table, risk detail, history blocks, criteria, safe text. */
#ifndef CLI_OUTPUT_H
#define CLI_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "cli_app.h"
#include "rl_codec.h"

/* Writes s with control characters (other than newlines when keep_newlines) replaced by '?',
 * so hostile stored text cannot move the cursor or recolour the terminal. */
void cli_out_text(FILE *f, const char *s, int keep_newlines);

/* Short lowercase enum name ("in_treatment"); `none` for value 0. */
const char *cli_enum_text(const ProtobufCEnumDescriptor *e, int value, const char *none, char *buf, size_t size);

/* Arena copy of s for a table cell: single-line, control characters as '?', cut to max_cols
 * columns (on a code point boundary) ending in "..."; NULL s is "". NULL when out of memory. */
char *cli_out_cell(rl_arena_t *arena, const char *s, size_t max_cols);

/* Columns a table may have. */
#define CLI_OUT_MAX_COLS 16
/* A table: the header line, then nrows rows of ncols cells (cells[r * ncols + k], already safe,
 * e.g. from cli_out_cell); each column padded to its widest cell plus two spaces. -1 when ncols
 * is 0 or above CLI_OUT_MAX_COLS (nothing printed). */
int cli_out_table(FILE *f, const char *const *head, size_t ncols, char *const *cells, size_t nrows);

/* Detail views: "key:" padded to the value column; "key: value" (multi-line text indented, "-"
 * when empty); "key: <timestamp> by <who>" ("-" when ms is 0). Values are written safely. */
void cli_out_key(FILE *f, const char *k);
void cli_out_kv(FILE *f, const char *k, const char *v);
void cli_out_kv_ts(FILE *f, const char *k, int64_t ms, const char *by);

/* Table of risks (columns ID TITLE OWNER L I SCORE LEVEL RESIDUAL STATUS NEXT REVIEW), then
 * "<n> risks" and "next cursor: X" when next_cursor is not empty. Returns an exit code. */
int cli_output_risk_table(cli_app_t *app, Riskline__V1__Risk *const *risks, size_t n, const char *next_cursor);

/* Every field of a risk as "key: value" lines. */
void cli_output_risk(cli_app_t *app, const Riskline__V1__Risk *r);

/* One block per event: time, actor, kind, version, then "  field: from -> to" and the comment. */
void cli_output_history(cli_app_t *app, const Riskline__V1__HistoryPage *page);

/* Every field of the criteria as "key: value" lines. */
void cli_output_criteria(cli_app_t *app, const Riskline__V1__Criteria *c);

#endif
