/* render.c: the report formats (JSON, CSV, XHTML with inline CSS/SVG) into a growing buffer. */
#include "render.h"
#include "rl_ids.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct render {
    render_format_t fmt;
    char *p;
    size_t len, cap;
    int oom;
    uint32_t tables;    /* tables begun in this document */
    uint32_t rows;      /* rows of the current table */
    int csv_table;      /* the current table is the one a CSV file holds */
};

/* Print-friendly, no external fonts or images; no '<' or '&' (the page is also XML). */
static const char css[] =
    "body{font-family:Helvetica,Arial,sans-serif;font-size:10pt;color:#222;margin:16px}"
    "h1{font-size:16pt;margin:0 0 6px}h2{font-size:12pt;margin:18px 0 6px}"
    "dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:0 0 8px}"
    "dl.meta dt{font-weight:bold}dl.meta dd{margin:0}"
    "table{border-collapse:collapse;width:100%;margin:4px 0 10px}"
    "th,td{border:1px solid #999;padding:3px 5px;text-align:left;vertical-align:top;overflow-wrap:anywhere}"
    "th{background:#e8e8e8;overflow-wrap:normal}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "td.n,td.low,td.medium,td.high,td.critical,tbody td:first-child{white-space:nowrap}"
    "table.cards th{width:12em}table.cards td.n{text-align:left}table.cards tr.rec>*{border-top:3px solid #555}"
    "details summary{cursor:pointer;color:#335}"
    "td.low{background:#c8e6c9}td.medium{background:#fff59d}td.high{background:#ffcc80}"
    "td.critical{background:#ef9a9a}p.note{color:#555}svg{display:block;margin:6px 0 12px}"
    "thead{display:table-header-group}tr{page-break-inside:avoid;break-inside:avoid}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "@page{size:A4 landscape;margin:12mm}@media print{body{font-size:8pt;margin:0}th,td{padding:2px 3px}}";

static const char *const level_names[] = {"", "low", "medium", "high", "critical"};
static const char *const level_fill[] = {"#f5f5f5", "#c8e6c9", "#fff59d", "#ffcc80", "#ef9a9a"};

render_t *render_new(render_format_t fmt)
{
    if (fmt != RENDER_JSON && fmt != RENDER_CSV && fmt != RENDER_HTML)
        return NULL;
    render_t *self = calloc(1, sizeof *self);
    if (self)
        self->fmt = fmt;
    return self;
}

void render_destroy(render_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->p);
    free(*self_p);
    *self_p = NULL;
}

render_format_t render_format(const render_t *self) { return self->fmt; }

const char *render_data(const render_t *self, size_t *len)
{
    *len = self->len;
    return self->p ? self->p : "";
}

void render_clear(render_t *self) { self->len = 0; }

int render_failed(const render_t *self) { return self->oom; }

void render_resume(render_t *self, uint32_t tables, uint32_t rows, int csv_table)
{
    self->tables = tables;
    self->rows = rows;
    self->csv_table = csv_table != 0;
}

uint32_t render_tables(const render_t *self) { return self->tables; }
uint32_t render_rows(const render_t *self) { return self->rows; }
int render_csv_table(const render_t *self) { return self->csv_table; }

static void put(render_t *self, const char *s, size_t n)
{
    if (self->oom || n == 0)
        return;
    if (self->len + n + 1 > self->cap) {
        size_t cap = self->cap ? self->cap : 4096;
        while (cap < self->len + n + 1)
            cap *= 2;
        char *p = realloc(self->p, cap);
        if (!p) {
            self->oom = 1;
            return;
        }
        self->p = p;
        self->cap = cap;
    }
    memcpy(self->p + self->len, s, n);
    self->len += n;
    self->p[self->len] = '\0';
}

static void puts_(render_t *self, const char *s) { put(self, s, strlen(s)); }

static void putf(render_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(render_t *self, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(self, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Length (1..4) of the well-formed UTF-8 character at s, or 0 when the byte starts none. */
static size_t utf8_len(const char *s)
{
    for (size_t len = 1; len <= 4; len++) {
        if (memchr(s, '\0', len))
            return 0;
        if (rl_utf8_valid(s, len))
            return len;
    }
    return 0;
}

static const char replacement[] = "\xEF\xBF\xBD";  /* U+FFFD */

/* Copies the UTF-8 character at s (U+FFFD for a byte that starts none); returns the bytes read. */
static size_t put_char(render_t *self, const char *s)
{
    size_t n = utf8_len(s);
    if (n)
        put(self, s, n);
    else
        puts_(self, replacement);
    return n ? n : 1;
}

void render_json_string(render_t *self, const char *s)
{
    put(self, "\"", 1);
    for (size_t i = 0; s && s[i];) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            put(self, e, 2);
            i++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n': puts_(self, "\\n"); break;
            case '\r': puts_(self, "\\r"); break;
            case '\t': puts_(self, "\\t"); break;
            default: putf(self, "\\u%04x", c);
            }
            i++;
        } else {
            i += put_char(self, s + i);
        }
    }
    put(self, "\"", 1);
}

void render_csv_field(render_t *self, const char *s, render_kind_t kind)
{
    s = s ? s : "";
    int quote = strpbrk(s, ",\"\r\n") != NULL;
    int guard = kind != RENDER_NUM && s[0] && strchr("=+-@\t", s[0]);
    if (quote)
        put(self, "\"", 1);
    if (guard)
        put(self, "'", 1);
    for (size_t i = 0; s[i];) {
        if (s[i] == '"') {
            put(self, "\"\"", 2);
            i++;
            continue;
        }
        i += put_char(self, s + i);
    }
    if (quote)
        put(self, "\"", 1);
}

void render_html_text(render_t *self, const char *s)
{
    for (size_t i = 0; s && s[i];) {
        unsigned char c = (unsigned char)s[i];
        const char *e = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&quot;"
                      : c == '\'' ? "&#39;" : NULL;
        if (e) {
            puts_(self, e);
            i++;
        } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            puts_(self, replacement);  /* XML 1.0 has no such characters, not even escaped */
            i++;
        } else {
            i += put_char(self, s + i);
        }
    }
}

void render_doc_begin(render_t *self, const char *report, const char *title, const char *tenant,
                      const char *generated_at, const char *const *params)
{
    self->tables = 0;
    self->rows = 0;
    if (self->fmt == RENDER_JSON) {
        puts_(self, "{\"report\":");
        render_json_string(self, report);
        puts_(self, ",\"title\":");
        render_json_string(self, title);
        puts_(self, ",\"tenant\":");
        render_json_string(self, tenant);
        puts_(self, ",\"generated_at\":");
        render_json_string(self, generated_at);
        puts_(self, ",\"parameters\":{");
        for (size_t i = 0; params && params[i] && params[i + 1] && params[i + 2]; i += 3) {
            if (i)
                put(self, ",", 1);
            render_json_string(self, params[i]);
            put(self, ":", 1);
            render_json_string(self, params[i + 2]);
        }
        puts_(self, "},\"tables\":{");
    } else if (self->fmt == RENDER_HTML) {
        puts_(self, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
                    "<meta charset=\"utf-8\"/>\n<title>");
        render_html_text(self, title);
        puts_(self, " — ");
        render_html_text(self, tenant);
        puts_(self, "</title>\n<style>");
        puts_(self, css);
        puts_(self, "</style>\n</head>\n<body>\n<h1>");
        render_html_text(self, title);
        puts_(self, "</h1>\n<dl class=\"meta\"><dt>Tenant</dt><dd>");
        render_html_text(self, tenant);
        puts_(self, "</dd><dt>Generated</dt><dd>");
        render_html_text(self, generated_at);
        puts_(self, "</dd>");
        for (size_t i = 0; params && params[i] && params[i + 1] && params[i + 2]; i += 3) {
            puts_(self, "<dt>");
            render_html_text(self, params[i + 1]);
            puts_(self, "</dt><dd>");
            render_html_text(self, params[i + 2]);
            puts_(self, "</dd>");
        }
        puts_(self, "</dl>\n");
    }
}

void render_doc_end(render_t *self)
{
    if (self->fmt == RENDER_JSON)
        puts_(self, "}}\n");
    else if (self->fmt == RENDER_HTML)
        puts_(self, "</body>\n</html>\n");
}

void render_table_begin(render_t *self, const char *key, const char *caption, const render_col_t *cols,
                        size_t ncols, int csv)
{
    self->rows = 0;
    self->csv_table = csv;
    if (self->fmt == RENDER_JSON) {
        if (self->tables)
            put(self, ",", 1);
        render_json_string(self, key);
        puts_(self, ":[");
    } else if (self->fmt == RENDER_CSV) {
        for (size_t i = 0; csv && i < ncols; i++) {
            if (i)
                put(self, ",", 1);
            render_csv_field(self, cols[i].key, RENDER_TEXT);
        }
        if (csv)
            put(self, "\r\n", 2);
    } else if (ncols > RENDER_HTML_MAX_COLS) {
        puts_(self, "<h2>");
        render_html_text(self, caption);
        puts_(self, "</h2>\n<table class=\"cards\">\n<tbody>\n");
    } else {
        puts_(self, "<h2>");
        render_html_text(self, caption);
        puts_(self, "</h2>\n<table>\n<thead><tr>");
        for (size_t i = 0; i < ncols; i++) {
            puts_(self, "<th>");
            render_html_text(self, cols[i].label);
            puts_(self, "</th>");
        }
        puts_(self, "</tr></thead>\n<tbody>\n");
    }
    self->tables++;
}

/* A JSON number as the text is one: -?digits(.digits)? */
static int json_number(const char *s)
{
    size_t i = s[0] == '-';
    size_t d = strspn(s + i, "0123456789");
    if (!d || (d > 1 && s[i] == '0'))
        return 0;
    i += d;
    if (s[i] == '.') {
        size_t f = strspn(s + i + 1, "0123456789");
        if (!f)
            return 0;
        i += 1 + f;
    }
    return s[i] == '\0';
}

static const char *level_class(const char *v)
{
    for (size_t i = 1; i < sizeof level_names / sizeof level_names[0]; i++)
        if (v && !strcmp(v, level_names[i]))
            return level_names[i];
    return NULL;
}

/* A cell's text; a long one (a change of a whole list) folded after its start, all of it kept in
 * the page (the browser unfolds it; JSON and CSV carry it as it is). */
static void html_cell(render_t *self, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 24 && s[10] == 'T' && s[23] == 'Z' && s[4] == '-') {  /* a time: may break after the date */
        char date[11];
        memcpy(date, s, 10);
        date[10] = '\0';
        render_html_text(self, date);
        puts_(self, "T<wbr/>");
        render_html_text(self, s + 11);
        return;
    }
    if (len <= RENDER_HTML_FOLD) {
        render_html_text(self, s);
        return;
    }
    size_t cut = RENDER_HTML_FOLD / 2;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)  /* not inside a UTF-8 sequence */
        cut--;
    char head[RENDER_HTML_FOLD / 2 + 1];
    memcpy(head, s, cut);
    head[cut] = '\0';
    puts_(self, "<details><summary>");
    render_html_text(self, head);
    putf(self, " \u2026 (%zu characters)</summary>", len);
    render_html_text(self, s);
    puts_(self, "</details>");
}

void render_row(render_t *self, const render_col_t *cols, size_t ncols, const char *const *cells)
{
    if (self->fmt == RENDER_JSON) {
        puts_(self, self->rows ? ",\n{" : "\n{");
        for (size_t i = 0; i < ncols; i++) {
            const char *v = cells[i] ? cells[i] : "";
            if (i)
                put(self, ",", 1);
            render_json_string(self, cols[i].key);
            put(self, ":", 1);
            if (cols[i].kind == RENDER_NUM && !v[0])
                puts_(self, "null");
            else if (cols[i].kind == RENDER_NUM && json_number(v))
                puts_(self, v);
            else
                render_json_string(self, v);
        }
        put(self, "}", 1);
    } else if (self->fmt == RENDER_CSV) {
        if (!self->csv_table)
            return;
        for (size_t i = 0; i < ncols; i++) {
            if (i)
                put(self, ",", 1);
            render_csv_field(self, cells[i], cols[i].kind);
        }
        put(self, "\r\n", 2);
    } else {
        /* a wide table (a plan has 20-odd fields) reads as one card per row, field by field, empty
         * ones left out: as columns it would not fit a page */
        int cards = ncols > RENDER_HTML_MAX_COLS;
        if (!cards)
            puts_(self, "<tr>");
        for (size_t i = 0; i < ncols; i++) {
            if (cards) {
                if (i && (!cells[i] || !cells[i][0]))
                    continue;
                puts_(self, i ? "<tr><th>" : "<tr class=\"rec\"><th>");
                render_html_text(self, cols[i].label);
                puts_(self, "</th>");
            }
            const char *cls = cols[i].kind == RENDER_NUM ? "n" : cols[i].kind == RENDER_LEVEL ? level_class(cells[i]) : NULL;
            if (cls) {
                puts_(self, "<td class=\"");
                puts_(self, cls);
                puts_(self, "\">");
            } else {
                puts_(self, "<td>");
            }
            html_cell(self, cells[i]);
            puts_(self, cards ? "</td></tr>\n" : "</td>");
        }
        if (!cards)
            puts_(self, "</tr>\n");
    }
    self->rows++;
}

void render_table_end(render_t *self)
{
    if (self->fmt == RENDER_JSON)
        puts_(self, self->rows ? "\n]" : "]");
    else if (self->fmt == RENDER_HTML)
        puts_(self, self->rows ? "</tbody>\n</table>\n" : "</tbody>\n</table>\n<p class=\"note\">None.</p>\n");
    self->csv_table = 0;
}

void render_note(render_t *self, const char *text)
{
    if (self->fmt != RENDER_HTML)
        return;
    puts_(self, "<p class=\"note\">");
    render_html_text(self, text);
    puts_(self, "</p>\n");
}

/* A chart's heading and the opening of its SVG image w x h (its title: the caption). */
static void svg_open(render_t *self, const char *caption, unsigned w, unsigned h)
{
    puts_(self, "<h2>");
    render_html_text(self, caption);
    puts_(self, "</h2>\n");
    putf(self, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" "
               "role=\"img\" font-family=\"Helvetica,Arial,sans-serif\" font-size=\"12\">\n<title>",
         w, h, w, h);
    render_html_text(self, caption);
    puts_(self, "</title>\n");
}

#define CELL 48
#define LEFT 90
#define TOP 16

void render_heatmap_svg(render_t *self, const char *caption, uint32_t nl, uint32_t ni, const uint32_t *counts,
                        const uint8_t *levels)
{
    if (self->fmt != RENDER_HTML || nl < 1 || ni < 1 || nl > 10 || ni > 10)
        return;
    unsigned w = LEFT + ni * CELL + 10, hgt = TOP + nl * CELL + 50;
    svg_open(self, caption, w, hgt);
    for (uint32_t l = nl; l >= 1; l--) {
        unsigned y = TOP + (nl - l) * CELL;
        putf(self, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">%u</text>\n", LEFT - 8, y + CELL / 2 + 4, l);
        for (uint32_t i = 1; i <= ni; i++) {
            size_t k = (size_t)(l - 1) * ni + (i - 1);
            unsigned x = LEFT + (i - 1) * CELL;
            uint8_t lv = levels[k] <= 4 ? levels[k] : 0;
            putf(self, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"%s\" stroke=\"#666\"/>", x, y,
                 CELL, CELL, level_fill[lv]);
            if (counts[k])
                putf(self, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">%u</text>",
                     x + CELL / 2, y + CELL / 2 + 5, counts[k]);
            put(self, "\n", 1);
        }
    }
    unsigned base = TOP + nl * CELL;
    for (uint32_t i = 1; i <= ni; i++)
        putf(self, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">%u</text>\n", LEFT + (i - 1) * CELL + CELL / 2,
             base + 16, i);
    putf(self, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">Impact</text>\n", LEFT + ni * CELL / 2, base + 36);
    putf(self, "<text x=\"14\" y=\"%u\" text-anchor=\"middle\" transform=\"rotate(-90 14 %u)\">Likelihood</text>\n",
         TOP + nl * CELL / 2, TOP + nl * CELL / 2);
    puts_(self, "</svg>\n");
}

void render_bars_svg(render_t *self, const char *caption, const char *const *labels, const double *values, size_t n)
{
    if (self->fmt != RENDER_HTML || n == 0)
        return;
    double max = 0;
    for (size_t i = 0; i < n; i++)
        if (values[i] > max)
            max = values[i];
    unsigned bar = 22, label_w = 170, plot_w = 420, w = label_w + plot_w + 90, hgt = (unsigned)n * (bar + 6) + 10;
    svg_open(self, caption, w, hgt);
    for (size_t i = 0; i < n; i++) {
        unsigned y = 5 + (unsigned)i * (bar + 6);
        double v = values[i] > 0 ? values[i] : 0;
        unsigned len = max > 0 ? (unsigned)(v / max * plot_w + 0.5) : 0;
        const char *cls = level_class(labels[i]);
        const char *fill = "#6d8fb3";
        for (size_t k = 1; cls && k < sizeof level_names / sizeof level_names[0]; k++)
            if (!strcmp(cls, level_names[k]))
                fill = level_fill[k];
        putf(self, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">", label_w - 8, y + bar / 2 + 4);
        render_html_text(self, labels[i]);
        puts_(self, "</text>");
        putf(self, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"%s\" stroke=\"#666\"/>", label_w, y,
             len ? len : 1, bar, fill);
        /* a count as it is, a share to one decimal, as the tables beside the bars show it */
        int whole = v < 1e15 && v == (double)(long long)v;
        putf(self, "<text x=\"%u\" y=\"%u\">%.*f</text>\n", label_w + len + 6, y + bar / 2 + 4, whole ? 0 : 1, v);
    }
    puts_(self, "</svg>\n");
}
