/* cli_output.h: human-readable output: risk table, risk detail, history blocks, criteria, safe text. */
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
