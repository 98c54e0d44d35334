/* cli_output.c: human-readable output: tables, key/value details, risk table, risk detail, history blocks, criteria, safe text. */
#include "cli_output.h"

#include <inttypes.h>
#include <string.h>

#include "rl_json.h"
#include "rl_limits.h"
#include "rl_time.h"

#define KEY_WIDTH 20       /* "review interval:" and friends, aligned */
#define TITLE_MAX_COLS 40  /* table cells longer than this are cut with "..." */
#define OWNER_MAX_COLS 24

void cli_out_text(FILE *f, const char *s, int keep_newlines)
{
    if (!s)
        return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n' && keep_newlines)
            fputc('\n', f);
        else if (*p == '\t')
            fputc(' ', f);
        else if (*p < 0x20 || *p == 0x7f)
            fputc('?', f);
        else
            fputc(*p, f);
    }
}

const char *cli_enum_text(const ProtobufCEnumDescriptor *e, int value, const char *none, char *buf, size_t size)
{
    if (value == 0)
        return none;
    return rl_json_enum_name(e, value, buf, size);
}

/* Display columns of UTF-8 text: one per code point (continuation bytes do not count). */
static size_t text_cols(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            n++;
    return n;
}

char *cli_out_cell(rl_arena_t *arena, const char *s, size_t max_cols)
{
    if (!s)
        s = "";
    size_t len = strlen(s);
    char *out = rl_arena_alloc(arena, len + 4);
    if (!out)
        return NULL;
    size_t cols = 0, o = 0;
    int cut = text_cols(s) > max_cols;
    size_t keep = cut ? max_cols - 3 : max_cols;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xC0) != 0x80) {
            if (cols == keep)
                break;
            cols++;
        }
        out[o++] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
    }
    if (cut) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

enum { COL_ID, COL_TITLE, COL_OWNER, COL_L, COL_I, COL_SCORE, COL_LEVEL, COL_RESIDUAL, COL_STATUS, COL_REVIEW,
       NCOLS };

static const char *const col_names[NCOLS] = {"ID", "TITLE", "OWNER", "L", "I", "SCORE", "LEVEL", "RESIDUAL",
                                             "STATUS", "NEXT REVIEW"};

static int row_cells(rl_arena_t *arena, const Riskline__V1__Risk *r, char **c)
{
    char buf[64];
    uint32_t l = r->inherent ? r->inherent->likelihood : 0, i = r->inherent ? r->inherent->impact : 0;
    c[COL_ID] = cli_out_cell(arena, r->id, RL_MAX_ENTITY_ID);
    c[COL_TITLE] = cli_out_cell(arena, r->title, TITLE_MAX_COLS);
    c[COL_OWNER] = cli_out_cell(arena, r->owner, OWNER_MAX_COLS);
    c[COL_L] = rl_arena_printf(arena, "%" PRIu32, l);
    c[COL_I] = rl_arena_printf(arena, "%" PRIu32, i);
    c[COL_SCORE] = rl_arena_printf(arena, "%" PRIu32, r->inherent_score);
    c[COL_LEVEL] = rl_arena_strdup(arena, cli_enum_text(&riskline__v1__level__descriptor, (int)r->inherent_level,
                                                        "-", buf, sizeof buf));
    if (r->residual_score)
        c[COL_RESIDUAL] = rl_arena_printf(arena, "%" PRIu32 " %s", r->residual_score,
                                          cli_enum_text(&riskline__v1__level__descriptor, (int)r->residual_level,
                                                        "-", buf, sizeof buf));
    else
        c[COL_RESIDUAL] = rl_arena_strdup(arena, "-");
    c[COL_STATUS] = rl_arena_strdup(arena, cli_enum_text(&riskline__v1__risk_status__descriptor, (int)r->status,
                                                         "-", buf, sizeof buf));
    c[COL_REVIEW] = cli_out_cell(arena, r->next_review && r->next_review[0] ? r->next_review : "-", RL_DATE_LEN);
    for (int k = 0; k < NCOLS; k++)
        if (!c[k])
            return -1;
    return 0;
}

static void print_row(FILE *f, const char *const *c, const size_t *width, size_t ncols)
{
    for (size_t k = 0; k < ncols; k++) {
        fputs(c[k], f);
        if (k + 1 < ncols)
            for (size_t pad = text_cols(c[k]); pad < width[k] + 2; pad++)
                fputc(' ', f);
    }
    fputc('\n', f);
}

int cli_out_table(FILE *f, const char *const *head, size_t ncols, char *const *cells, size_t nrows)
{
    size_t width[CLI_OUT_MAX_COLS];
    if (ncols == 0 || ncols > CLI_OUT_MAX_COLS)
        return -1;
    for (size_t k = 0; k < ncols; k++)
        width[k] = text_cols(head[k]);
    for (size_t r = 0; r < nrows; r++)
        for (size_t k = 0; k < ncols; k++) {
            size_t w = text_cols(cells[r * ncols + k]);
            if (w > width[k])
                width[k] = w;
        }
    print_row(f, head, width, ncols);
    for (size_t r = 0; r < nrows; r++)
        print_row(f, (const char *const *)cells + r * ncols, width, ncols);
    return 0;
}

int cli_output_risk_table(cli_app_t *app, Riskline__V1__Risk *const *risks, size_t n, const char *next_cursor)
{
    if (n > 0) {
        char **cells = rl_arena_alloc(app->arena, n * NCOLS * sizeof *cells);
        if (!cells)
            return cli_oom(app);
        for (size_t r = 0; r < n; r++)
            if (row_cells(app->arena, risks[r], cells + r * NCOLS) != 0)
                return cli_oom(app);
        cli_out_table(app->out, col_names, NCOLS, cells, n);
    }
    fprintf(app->out, "%zu risk%s\n", n, n == 1 ? "" : "s");
    if (next_cursor && next_cursor[0]) {
        fputs("next cursor: ", app->out);
        cli_out_text(app->out, next_cursor, 0);
        fputc('\n', app->out);
    }
    return CLI_EXIT_OK;
}

/* "key:" padded to the value column. */
static void key(FILE *f, const char *k)
{
    fprintf(f, "%s:", k);
    for (size_t i = strlen(k) + 1; i < KEY_WIDTH; i++)
        fputc(' ', f);
}

/* A possibly multi-line text value: continuation lines are indented to the value column. */
static void kv_text(FILE *f, const char *k, const char *v)
{
    key(f, k);
    if (!v || !*v) {
        fputs("-\n", f);
        return;
    }
    for (const char *p = v; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        while (len > 0) {  /* in slices: a line may be longer than the buffer */
            size_t take = len < sizeof line - 1 ? len : sizeof line - 1;
            memcpy(line, p, take);
            line[take] = '\0';
            cli_out_text(f, line, 0);
            p += take;
            len -= take;
        }
        fputc('\n', f);
        if (!nl)
            break;
        p = nl + 1;
        if (*p)
            fprintf(f, "%*s", KEY_WIDTH, "");
    }
}

static void kv_ts(FILE *f, const char *k, int64_t ms, const char *by)
{
    char ts[RL_TS_LEN];
    key(f, k);
    if (ms == 0) {
        fputs("-\n", f);
        return;
    }
    fputs(rl_ts_format(ms, ts), f);
    if (by && *by) {
        fputs(" by ", f);
        cli_out_text(f, by, 0);
    }
    fputc('\n', f);
}

static void kv_rating(FILE *f, const char *k, const Riskline__V1__Rating *r, uint32_t score, int level,
                      int has_level)
{
    char buf[32];
    key(f, k);
    if (!r || (r->likelihood == 0 && r->impact == 0)) {
        fputs("not rated\n", f);
        return;
    }
    uint64_t s = has_level ? score : (uint64_t)r->likelihood * r->impact;
    fprintf(f, "likelihood %" PRIu32 " x impact %" PRIu32 " = %" PRIu64, r->likelihood, r->impact, s);
    if (has_level)
        fprintf(f, " (%s)", cli_enum_text(&riskline__v1__level__descriptor, level, "unrated", buf, sizeof buf));
    fputc('\n', f);
}

void cli_output_risk(cli_app_t *app, const Riskline__V1__Risk *r)
{
    FILE *f = app->out;
    char buf[64];
    kv_text(f, "id", r->id);
    kv_text(f, "title", r->title);
    kv_text(f, "description", r->description);
    kv_text(f, "category", r->category);
    key(f, "assets");
    if (r->n_assets == 0)
        fputc('-', f);
    for (size_t i = 0; i < r->n_assets; i++) {
        if (i)
            fputs(", ", f);
        cli_out_text(f, r->assets[i], 0);
    }
    fputc('\n', f);
    kv_text(f, "threat", r->threat);
    kv_text(f, "vulnerability", r->vulnerability);
    key(f, "cia");
    if (!r->confidentiality && !r->integrity && !r->availability)
        fputs("none", f);
    else {
        const char *sep = "";
        if (r->confidentiality) {
            fputs("confidentiality", f);
            sep = ", ";
        }
        if (r->integrity) {
            fprintf(f, "%sintegrity", sep);
            sep = ", ";
        }
        if (r->availability)
            fprintf(f, "%savailability", sep);
    }
    fputc('\n', f);
    kv_text(f, "owner", r->owner);
    kv_rating(f, "inherent", r->inherent, r->inherent_score, (int)r->inherent_level, 1);
    kv_rating(f, "residual", r->residual, r->residual_score, (int)r->residual_level, 1);
    kv_rating(f, "target", r->target, 0, 0, 0);
    key(f, "within appetite");
    fputs(r->within_appetite ? "yes\n" : "no\n", f);
    key(f, "treatment");
    fprintf(f, "%s\n", cli_enum_text(&riskline__v1__treatment__descriptor, (int)r->treatment, "undecided", buf,
                                     sizeof buf));
    key(f, "status");
    fprintf(f, "%s\n", cli_enum_text(&riskline__v1__risk_status__descriptor, (int)r->status, "-", buf, sizeof buf));
    key(f, "review interval");
    if (r->review_interval_days)
        fprintf(f, "%" PRIu32 " day%s\n", r->review_interval_days, r->review_interval_days == 1 ? "" : "s");
    else
        fputs("default for the level\n", f);
    kv_text(f, "next review", r->next_review);
    key(f, "archived");
    fputs(r->archived ? "yes\n" : "no\n", f);
    kv_ts(f, "created", r->created_at_ms, r->created_by);
    kv_ts(f, "updated", r->updated_at_ms, r->updated_by);
    key(f, "version");
    fprintf(f, "%" PRIu64 "\n", r->version);
}

void cli_output_history(cli_app_t *app, const Riskline__V1__HistoryPage *page)
{
    FILE *f = app->out;
    char ts[RL_TS_LEN];
    for (size_t i = 0; i < page->n_events; i++) {
        const Riskline__V1__DomainEvent *e = page->events[i];
        if (i)
            fputc('\n', f);
        fputs(e->at_ms ? rl_ts_format(e->at_ms, ts) : "-", f);
        fputs("  ", f);
        cli_out_text(f, e->actor && e->actor[0] ? e->actor : "-", 0);
        fputs("  ", f);
        cli_out_text(f, e->kind, 0);
        fprintf(f, "  version %" PRIu64 "\n", e->version);
        for (size_t k = 0; k < e->n_changes; k++) {
            const Riskline__V1__FieldChange *c = e->changes[k];
            fputs("  ", f);
            cli_out_text(f, c->field, 0);
            fputs(": ", f);
            cli_out_text(f, c->from && c->from[0] ? c->from : "-", 0);
            fputs(" -> ", f);
            cli_out_text(f, c->to && c->to[0] ? c->to : "-", 0);
            fputc('\n', f);
        }
        if (e->comment && e->comment[0]) {
            fputs("  comment: ", f);
            cli_out_text(f, e->comment, 0);
            fputc('\n', f);
        }
    }
    if (page->n_events == 0)
        fputs("no history\n", f);
    if (page->next_cursor && page->next_cursor[0]) {
        fputs("\nnext cursor: ", f);
        cli_out_text(f, page->next_cursor, 0);
        fputc('\n', f);
    }
}

void cli_output_criteria(cli_app_t *app, const Riskline__V1__Criteria *c)
{
    FILE *f = app->out;
    key(f, "matrix");
    fprintf(f, "%" PRIu32 "x%" PRIu32 " (likelihood x impact)\n", c->likelihood_levels, c->impact_levels);
    key(f, "thresholds");
    fprintf(f, "medium >= %" PRIu32 ", high >= %" PRIu32 ", critical >= %" PRIu32 "\n", c->medium_min,
            c->high_min, c->critical_min);
    key(f, "appetite");
    fprintf(f, "scores <= %" PRIu32 " may be accepted\n", c->acceptance_max);
    key(f, "review days");
    fprintf(f, "low %" PRIu32 ", medium %" PRIu32 ", high %" PRIu32 ", critical %" PRIu32 "\n",
            c->review_days_low, c->review_days_medium, c->review_days_high, c->review_days_critical);
    key(f, "version");
    fprintf(f, "%" PRIu64 "%s\n", c->version, c->version == 0 ? " (defaults)" : "");
    kv_ts(f, "updated", c->updated_at_ms, c->updated_by);
}

void cli_out_key(FILE *f, const char *k)
{
    key(f, k);
}

void cli_out_kv(FILE *f, const char *k, const char *v)
{
    kv_text(f, k, v);
}

void cli_out_kv_ts(FILE *f, const char *k, int64_t ms, const char *by)
{
    kv_ts(f, k, ms, by);
}
