/* test_render.c: unit tests of the report formats (escaping, tables across chunks, charts) and of
 * the report rules (cursor, risk cells, heat map counts), without I/O. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "render.h"
#include "report.h"
#include "report_dash.h"
#include "report_plan.h"
#include "report_review.h"
#include "rl_codec.h"
#include "risk.h"
#include "rl_time.h"

/* What fn wrote for s in format fmt (static buffer). */
static const char *esc(render_format_t fmt, void (*fn)(render_t *, const char *), const char *s)
{
    static char out[512];
    render_t *r = render_new(fmt);
    assert_non_null(r);
    fn(r, s);
    size_t len;
    const char *d = render_data(r, &len);
    assert_true(len < sizeof out);
    memcpy(out, d, len + 1);
    render_destroy(&r);
    return out;
}

static void csv_text(render_t *r, const char *s) { render_csv_field(r, s, RENDER_TEXT); }
static void csv_num(render_t *r, const char *s) { render_csv_field(r, s, RENDER_NUM); }

static void test_json_escaping(void **state)
{
    (void)state;
    assert_string_equal(esc(RENDER_JSON, render_json_string, "plain"), "\"plain\"");
    assert_string_equal(esc(RENDER_JSON, render_json_string, "a \"q\" \\ b"), "\"a \\\"q\\\" \\\\ b\"");
    assert_string_equal(esc(RENDER_JSON, render_json_string, "l1\nl2\r\t\x01"), "\"l1\\nl2\\r\\t\\u0001\"");
    assert_string_equal(esc(RENDER_JSON, render_json_string, "<b>&</b>"), "\"<b>&</b>\"");
    assert_string_equal(esc(RENDER_JSON, render_json_string, "Données 東京 €"), "\"Données 東京 €\"");
    /* bytes that are not UTF-8 become U+FFFD: the document stays valid JSON */
    assert_string_equal(esc(RENDER_JSON, render_json_string, "a\xff" "b\xc3"), "\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD\"");
    assert_string_equal(esc(RENDER_JSON, render_json_string, NULL), "\"\"");
    cJSON *j = cJSON_Parse(esc(RENDER_JSON, render_json_string, "x\"\n\x02\xfe y"));
    assert_non_null(j);
    assert_string_equal(j->valuestring, "x\"\n\x02\xEF\xBF\xBD y");
    cJSON_Delete(j);
}

static void test_csv_escaping(void **state)
{
    (void)state;
    assert_string_equal(esc(RENDER_CSV, csv_text, "plain text"), "plain text");
    assert_string_equal(esc(RENDER_CSV, csv_text, "a,b"), "\"a,b\"");
    assert_string_equal(esc(RENDER_CSV, csv_text, "say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_string_equal(esc(RENDER_CSV, csv_text, "l1\r\nl2"), "\"l1\r\nl2\"");
    assert_string_equal(esc(RENDER_CSV, csv_text, "l1\nl2"), "\"l1\nl2\"");
    assert_string_equal(esc(RENDER_CSV, csv_text, "Données, 東京"), "\"Données, 東京\"");
    assert_string_equal(esc(RENDER_CSV, csv_text, ""), "");
    /* formulas are not run by a spreadsheet: a text cell starting with = + - @ tab gets a quote */
    assert_string_equal(esc(RENDER_CSV, csv_text, "=1+2"), "'=1+2");
    assert_string_equal(esc(RENDER_CSV, csv_text, "@SUM(A1)"), "'@SUM(A1)");
    assert_string_equal(esc(RENDER_CSV, csv_text, "-x,y"), "\"'-x,y\"");
    assert_string_equal(esc(RENDER_CSV, csv_num, "-12.5"), "-12.5");
    assert_string_equal(esc(RENDER_CSV, csv_text, "bad\xff"), "bad\xEF\xBF\xBD");
}

static void test_html_escaping(void **state)
{
    (void)state;
    assert_string_equal(esc(RENDER_HTML, render_html_text, "<script>alert('x')</script> & \"q\""),
                        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
    assert_string_equal(esc(RENDER_HTML, render_html_text, "Données 東京"), "Données 東京");
    /* XML 1.0 has no control characters but tab, CR, LF */
    assert_string_equal(esc(RENDER_HTML, render_html_text, "a\x01" "b\tc\n"), "a\xEF\xBF\xBD" "b\tc\n");
    assert_string_equal(esc(RENDER_HTML, render_html_text, "\xc0\xaf"), "\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_string_equal(esc(RENDER_HTML, render_html_text, "&amp;"), "&amp;amp;");
}

static const render_col_t cols[] = {{"id", "ID", RENDER_TEXT}, {"n", "Count", RENDER_NUM}, {"lv", "Level", RENDER_LEVEL}};

/* A document written over two chunks (the state carried as the service carries it) equals one
 * written at once, and parses. */
static char *two_chunks(render_format_t fmt)
{
    const char *rows[3][3] = {{"R-1", "3", "high"}, {"R-2, \"b\"", "", "low"}, {"R-3", "7", "critical"}};
    render_t *r = render_new(fmt);
    const char *params[] = {"owner", "Owner", "alice <a@x>", NULL};
    render_doc_begin(r, "test", "Test & report", "default", "2026-01-01T00:00:00.000Z", params);
    render_table_begin(r, "rows", "Rows", cols, 3, 1);
    render_row(r, cols, 3, rows[0]);
    uint32_t t = render_tables(r), n = render_rows(r);
    int csv = render_csv_table(r);
    size_t len;
    const char *d = render_data(r, &len);
    char *all = malloc(1 << 16);
    memcpy(all, d, len);
    size_t total = len;
    render_destroy(&r);
    r = render_new(fmt);  /* the next chunk: a new writer */
    render_resume(r, t, n, csv);
    render_row(r, cols, 3, rows[1]);
    render_row(r, cols, 3, rows[2]);
    render_table_end(r);
    render_table_begin(r, "other", "Other", cols, 3, 0);
    render_row(r, cols, 3, rows[0]);
    render_table_end(r);
    uint32_t counts[9] = {0, 1, 0, 0, 2, 0, 0, 0, 3};
    uint8_t levels[9] = {1, 2, 2, 2, 3, 3, 2, 3, 4};
    render_heatmap_svg(r, "Matrix", 3, 3, counts, levels);
    const char *labels[] = {"low", "high"};
    double values[] = {1, 4};
    render_bars_svg(r, "Bars", labels, values, 2);
    render_doc_end(r);
    assert_false(render_failed(r));
    d = render_data(r, &len);
    memcpy(all + total, d, len);
    all[total + len] = '\0';
    render_destroy(&r);
    return all;
}

static void test_json_document(void **state)
{
    (void)state;
    char *doc = two_chunks(RENDER_JSON);
    cJSON *j = cJSON_Parse(doc);
    if (!j)
        fail_msg("not JSON: %s", doc);
    assert_string_equal(cJSON_GetObjectItem(j, "title")->valuestring, "Test & report");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "parameters"), "owner")->valuestring, "alice <a@x>");
    cJSON *rows = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "tables"), "rows");
    assert_int_equal(cJSON_GetArraySize(rows), 3);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "n")->valueint, 3);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 1), "n")));
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 1), "id")->valuestring, "R-2, \"b\"");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "tables"), "other")), 1);
    assert_null(strstr(doc, "<svg"));  /* charts are HTML only */
    cJSON_Delete(j);
    free(doc);
}

static void test_csv_document(void **state)
{
    (void)state;
    char *doc = two_chunks(RENDER_CSV);
    /* one table (the CSV one), header first, CRLF line ends */
    assert_string_equal(doc, "id,n,lv\r\nR-1,3,high\r\n\"R-2, \"\"b\"\"\",,low\r\nR-3,7,critical\r\n");
    free(doc);
}

/* HTML: a table wider than RENDER_HTML_MAX_COLS is a card per row (field, value; empty fields left
 * out); a cell longer than RENDER_HTML_FOLD is folded after its start, whole in the page. */
static void test_html_cards_and_folding(void **state)
{
    (void)state;
    render_col_t wcols[RENDER_HTML_MAX_COLS + 1];
    const char *cells[RENDER_HTML_MAX_COLS + 1];
    char labels[RENDER_HTML_MAX_COLS + 1][16];
    char long_cell[RENDER_HTML_FOLD + 101];
    memset(long_cell, 'x', sizeof long_cell - 1);
    long_cell[sizeof long_cell - 1] = '\0';
    memcpy(long_cell + sizeof long_cell - 4, "END", 3);
    for (size_t i = 0; i <= RENDER_HTML_MAX_COLS; i++) {
        snprintf(labels[i], sizeof labels[i], "Field %zu", i);
        wcols[i] = (render_col_t){labels[i], labels[i], RENDER_TEXT};
        cells[i] = i == 3 ? "" : i == 5 ? long_cell : "v";
    }
    render_t *r = render_new(RENDER_HTML);
    assert_non_null(r);
    render_table_begin(r, "wide", "Wide", wcols, RENDER_HTML_MAX_COLS + 1, 0);
    render_row(r, wcols, RENDER_HTML_MAX_COLS + 1, cells);
    render_table_end(r);
    render_table_begin(r, "narrow", "Narrow", wcols, 2, 0);
    render_row(r, wcols, 2, cells);
    render_table_end(r);
    size_t len;
    const char *d = render_data(r, &len);
    assert_non_null(strstr(d, "<table class=\"cards\">\n<tbody>\n<tr class=\"rec\"><th>Field 0</th><td>v</td></tr>\n"
                              "<tr><th>Field 1</th><td>v</td></tr>"));
    assert_null(strstr(d, "Field 3"));  /* empty: left out */
    assert_non_null(strstr(d, "<tr><th>Field 5</th><td><details><summary>xxx"));
    assert_non_null(strstr(d, " \u2026 (500 characters)</summary>xxx"));
    assert_non_null(strstr(d, "xEND</details></td></tr>"));
    /* a narrow table keeps its columns */
    assert_non_null(strstr(d, "<thead><tr><th>Field 0</th><th>Field 1</th></tr></thead>\n<tbody>\n<tr><td>v</td><td>v</td></tr>"));
    render_destroy(&r);
}

static void test_html_document(void **state)
{
    (void)state;
    char *doc = two_chunks(RENDER_HTML);
    assert_non_null(strstr(doc, "<html xmlns=\"http://www.w3.org/1999/xhtml\""));
    assert_non_null(strstr(doc, "<title>Test &amp; report"));
    assert_non_null(strstr(doc, "<dt>Owner</dt><dd>alice &lt;a@x&gt;</dd>"));
    assert_non_null(strstr(doc, "<td>R-2, &quot;b&quot;</td><td class=\"n\"></td><td class=\"low\">low</td>"));
    assert_non_null(strstr(doc, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    /* the matrix: 9 cells, the counts shown where not zero, highest likelihood on top */
    size_t rects = 0;
    for (const char *p = strstr(doc, "<title>Matrix</title>"); p && (p = strstr(p, "<rect")); p++)
        rects++;
    assert_int_equal(rects, 9 + 2);  /* the matrix, then the two bars */
    assert_non_null(strstr(doc, "font-weight=\"bold\">3</text>"));
    assert_null(strstr(doc, "http-equiv"));
    assert_null(strstr(doc, "<script"));
    assert_null(strstr(doc, "<link"));
    assert_null(strstr(doc, "src="));
    assert_non_null(strstr(doc, "</tbody>\n</table>\n<h2>Other</h2>"));
    assert_non_null(strstr(doc, "</body>\n</html>\n"));
    free(doc);
}

static void test_cursor(void **state)
{
    (void)state;
    report_cursor_t c, d;
    memset(&c, 0, sizeof c);
    c.phase = 1;
    c.tables = 2;
    c.rows = 200;
    c.csv_table = 1;
    c.counts[0] = 5;
    c.counts[7] = 9007199254740992ULL;
    strcpy(c.inner, "1234567");
    char buf[REPORT_CURSOR_MAX];
    report_cursor_format(&c, buf, sizeof buf);
    assert_string_equal(buf, "r1.1.2.200.1.5.0.0.0.0.0.0.9007199254740992.1234567");
    assert_int_equal(report_cursor_parse(buf, &d), 0);
    assert_memory_equal(&c, &d, sizeof c);
    assert_int_equal(report_cursor_parse("r1.1.2.200.1.5.0.0.0.0.0.0.0.", &d), 0);
    assert_string_equal(d.inner, "");
    /* anything else is refused */
    const char *bad[] = {"", "r2.1.2.200.1.5.0.0.0.0.0.0.0.", "r1.1.2.200.2.5.0.0.0.0.0.0.0.",
                         "r1.1.2.200.1.5.0.0.0.0.0.0.", "r1.1.2.200.1.5.0.0.0.0.0.0.0.12a",
                         "r1.-1.2.200.1.5.0.0.0.0.0.0.0.", "r1.1.2.200.1.5.0.0.0.0.0.0.99999999999999999.",
                         "r1.4294967296.2.200.1.5.0.0.0.0.0.0.0.", "r1. 1.2.200.1.5.0.0.0.0.0.0.0."};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (report_cursor_parse(bad[i], &d) == 0)
            fail_msg("accepted cursor '%s'", bad[i]);
    assert_int_equal(report_name_parse("risk_register"), REPORT_RISK_REGISTER);
    assert_int_equal(report_name_parse("heatmap"), REPORT_HEATMAP);
    assert_int_equal(report_name_parse("Heatmap"), REPORT_UNKNOWN);
    assert_int_equal(report_name_parse(NULL), REPORT_UNKNOWN);
}

static void test_matrix_and_cells(void **state)
{
    (void)state;
    Riskline__V1__Criteria c;
    risk_criteria_defaults(&c);
    report_matrix_t m;
    assert_int_equal(report_matrix_init(&m, &c), 0);
    assert_int_equal(m.level[(4 - 1) * 5 + (4 - 1)], 4);  /* 16: critical */
    assert_int_equal(m.level[(2 - 1) * 5 + (5 - 1)], 3);  /* 10: high */
    assert_int_equal(m.level[0], 1);
    Riskline__V1__Rating in = RISKLINE__V1__RATING__INIT, res = RISKLINE__V1__RATING__INIT,
                         off = RISKLINE__V1__RATING__INIT;
    in.likelihood = 4, in.impact = 5, res.likelihood = 2, res.impact = 3, off.likelihood = 6, off.impact = 1;
    Riskline__V1__Risk r = RISKLINE__V1__RISK__INIT;
    r.inherent = &in;
    r.residual = &res;
    report_matrix_add(&m, &r);
    r.residual = NULL;
    report_matrix_add(&m, &r);
    r.inherent = &off;
    report_matrix_add(&m, &r);
    assert_int_equal(m.inherent[(4 - 1) * 5 + (5 - 1)], 2);
    assert_int_equal(m.residual[(2 - 1) * 5 + (3 - 1)], 1);
    assert_int_equal(m.risks, 3);
    assert_int_equal(m.residual_rated, 1);
    assert_int_equal(m.off_matrix, 1);
    c.likelihood_levels = 11;
    assert_int_equal(report_matrix_init(&m, &c), -1);

    /* the cells of a risk, and the counts by level */
    rl_arena_t *a = rl_arena_new(0);
    char *assets[] = {"mail", "erp"};
    r.id = "R-7";
    r.title = "T";
    r.owner = "o";
    r.inherent = &in;
    r.residual = &res;
    r.inherent_score = 20;
    r.inherent_level = RISKLINE__V1__LEVEL__LEVEL_CRITICAL;
    r.residual_score = 6;
    r.residual_level = RISKLINE__V1__LEVEL__LEVEL_MEDIUM;
    r.status = RISKLINE__V1__RISK_STATUS__RISK_STATUS_IN_TREATMENT;
    r.treatment = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
    r.assets = assets;
    r.n_assets = 2;
    r.updated_at_ms = 86400000;
    const char *cells[REPORT_RISK_NCOLS];
    assert_int_equal(report_risk_cells(&r, "TP-1 TP-2", a, cells), 0);
    assert_string_equal(cells[4], "in_treatment");
    assert_string_equal(cells[5], "reduce");
    assert_string_equal(cells[8], "20");
    assert_string_equal(cells[9], "critical");
    assert_string_equal(cells[13], "medium");
    assert_string_equal(cells[15], "TP-1 TP-2");
    assert_string_equal(cells[17], "mail; erp");
    assert_string_equal(cells[18], "1970-01-02T00:00:00.000Z");
    uint64_t counts[REPORT_NCOUNTS] = {0};
    report_risk_count(&r, counts);
    report_risk_count(&r, counts);
    assert_int_equal(counts[3], 2);  /* inherent critical */
    assert_int_equal(counts[4 + 1], 2);  /* residual medium */
    rl_arena_destroy(&a);
}

static void test_plan_rows(void **state)
{
    (void)state;
    rl_arena_t *a = rl_arena_new(0);
    assert_string_equal(report_money(a, 0), "0.00");
    assert_string_equal(report_money(a, 125050), "1250.50");
    assert_string_equal(report_money(a, 7), "0.07");
    assert_string_equal(report_money(a, -199), "-1.99");
    assert_string_equal(report_money(a, INT64_MIN), "-92233720368547758.08");
    Riskline__V1__Milestone m = RISKLINE__V1__MILESTONE__INIT;
    m.due_date = "2026-01-10";
    m.status = RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_PENDING;
    int64_t day;
    rl_date_parse("2026-01-11", &day);
    assert_true(report_milestone_overdue(&m, day));
    assert_false(report_milestone_overdue(&m, day - 1));  /* due today: not yet */
    m.status = RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_DONE;
    assert_false(report_milestone_overdue(&m, day));
    m.status = RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_IN_PROGRESS;
    assert_true(report_milestone_overdue(&m, day));

    /* a plan's rows in every table */
    Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
    Riskline__V1__Milestone *ms[] = {&m};
    Riskline__V1__PlanControl pc = RISKLINE__V1__PLAN_CONTROL__INIT, own = RISKLINE__V1__PLAN_CONTROL__INIT;
    Riskline__V1__PlanControl *pcs[] = {&pc, &own};
    Riskline__V1__Control c3 = RISKLINE__V1__CONTROL__INIT;
    Riskline__V1__Control *custom[] = {&c3};
    Riskline__V1__Resources res = RISKLINE__V1__RESOURCES__INIT;
    Riskline__V1__Money budget = RISKLINE__V1__MONEY__INIT;
    p.id = "TP-3";
    p.state = RISKLINE__V1__PLAN_STATE__PLAN_STATE_IN_PROGRESS;
    p.milestones = ms;
    p.n_milestones = 1;
    pc.control_id = "A.5.1";
    pc.status = RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_IN_PROGRESS;
    own.control_id = "C-3";
    c3.id = "C-3";
    c3.title = "Own check";
    p.controls = pcs;
    p.n_controls = 2;
    budget.amount_minor = 500000;
    budget.currency = "EUR";
    res.budget = &budget;
    res.spent_minor = 12345;
    p.resources = &res;
    report_plan_ctx_t ctx = {day, custom, 1};
    size_t nt;
    const report_plan_table_t *t = report_plan_tables(&nt);
    assert_int_equal(nt, 6);
    assert_string_equal(t[0].key, "plans");
    const char *cells[32];
    assert_int_equal(t[0].count(&p), 1);
    assert_int_equal(t[0].cells(&p, 0, &ctx, a, cells), 0);
    for (size_t i = 0; i < t[0].ncols; i++) {
        const char *k = t[0].cols[i].key;
        const char *want = !strcmp(k, "state") ? "in_progress" : !strcmp(k, "budget") ? "5000.00"
                           : !strcmp(k, "spent") ? "123.45" : !strcmp(k, "overdue_milestones") ? "1"
                           : !strcmp(k, "currency") ? "EUR" : NULL;
        if (want)
            assert_string_equal(cells[i], want);
    }
    assert_string_equal(t[2].key, "controls");
    assert_int_equal(t[2].count(&p), 2);
    assert_int_equal(t[2].cells(&p, 0, &ctx, a, cells), 0);
    assert_string_equal(cells[2], "Policies for information security");
    assert_string_equal(cells[3], "in_progress");
    assert_int_equal(t[2].cells(&p, 1, &ctx, a, cells), 0);
    assert_string_equal(cells[2], "Own check");
    assert_int_equal(t[4].count(&p), 0);  /* no costs */
    /* what the SoA keeps of a plan: ids, state, controls, the verification result; not the rest */
    Riskline__V1__Verification ver = RISKLINE__V1__VERIFICATION__INIT;
    ver.effective = 1;
    ver.result = "tested";
    p.verification = &ver;
    p.risk_id = "R-9";
    Riskline__V1__Plan *k = report_plan_for_soa(&p, a);
    assert_non_null(k);
    assert_string_equal(k->id, "TP-3");
    assert_string_equal(k->risk_id, "R-9");
    assert_int_equal(k->state, p.state);
    assert_int_equal(k->n_controls, 2);
    assert_string_equal(k->controls[1]->control_id, "C-3");
    assert_int_equal(k->controls[0]->status, pc.status);
    assert_true(k->verification->effective);
    assert_int_equal(k->n_milestones, 0);
    assert_null(k->resources);
    p.verification = NULL;
    Riskline__V1__DomainEvent ev = RISKLINE__V1__DOMAIN_EVENT__INIT;
    Riskline__V1__FieldChange ch = RISKLINE__V1__FIELD_CHANGE__INIT;
    Riskline__V1__FieldChange *chs[] = {&ch, &ch};
    ch.field = "state";
    ch.from = "approved";
    ch.to = "in_progress";
    ev.kind = "plan.start";
    ev.actor = "tom";
    ev.changes = chs;
    ev.n_changes = 2;
    ev.version = 4;
    const char *ec[REPORT_EVENT_NCOLS];
    assert_int_equal(report_event_cells("TP-3", &ev, a, ec), 0);
    assert_string_equal(ec[3], "plan.start");
    assert_string_equal(ec[4], "4");
    assert_string_equal(ec[5], "state: approved -> in_progress; state: approved -> in_progress");
    rl_arena_destroy(&a);
}

static void test_dashboard_figures(void **state)
{
    (void)state;
    report_dash_t *d = malloc(sizeof *d);
    assert_non_null(d);
    report_dash_init(d);
    Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
    Riskline__V1__Resources res = RISKLINE__V1__RESOURCES__INIT;
    Riskline__V1__Money eur = RISKLINE__V1__MONEY__INIT;
    Riskline__V1__Milestone late = RISKLINE__V1__MILESTONE__INIT;
    Riskline__V1__Milestone *ms[] = {&late};
    late.due_date = "2026-01-01";
    late.status = RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_PENDING;
    int64_t today;
    rl_date_parse("2026-02-01", &today);
    eur.currency = "EUR";
    eur.amount_minor = 10000;
    res.budget = &eur;
    res.spent_minor = 2500;
    p.resources = &res;
    p.treatment_owner = "tom";
    p.milestones = ms;
    p.n_milestones = 1;
    p.state = RISKLINE__V1__PLAN_STATE__PLAN_STATE_IN_PROGRESS;
    p.progress_pct = 50;
    report_dash_add(d, &p, today);
    p.progress_pct = 100;
    report_dash_add(d, &p, today);
    p.state = RISKLINE__V1__PLAN_STATE__PLAN_STATE_CANCELLED;  /* closed: its milestone is not overdue */
    report_dash_add(d, &p, today);
    assert_int_equal(d->plans, 3);
    assert_int_equal(d->open, 2);
    assert_int_equal(d->milestones, 3);
    assert_int_equal(d->overdue, 2);
    assert_int_equal(d->by_state[RISKLINE__V1__PLAN_STATE__PLAN_STATE_IN_PROGRESS], 2);
    assert_int_equal(d->progress[RISKLINE__V1__PLAN_STATE__PLAN_STATE_IN_PROGRESS], 150);
    assert_int_equal(d->nowners, 1);
    assert_string_equal(d->owners[0].owner, "tom");
    assert_int_equal(d->owners[0].budget, 30000);
    assert_int_equal(d->owners[0].spent, 7500);
    /* past REPORT_DASH_OWNERS owners, the rest is summed in one row */
    char name[32];
    for (int i = 0; i < REPORT_DASH_OWNERS + 5; i++) {
        snprintf(name, sizeof name, "owner-%d", i);
        p.treatment_owner = name;
        report_dash_add(d, &p, today);
    }
    assert_int_equal(d->nowners, REPORT_DASH_OWNERS);
    assert_string_equal(d->owners[REPORT_DASH_OWNERS].owner, "(other owners)");
    assert_int_equal(d->owners[REPORT_DASH_OWNERS].plans, 6);
    free(d);
}

/* The audit trail's row: the event's fields, its chain position, and hash prefixes that match the
 * stored hash; an entry without a hash shows none rather than a made-up one. */
static void test_audit_rows(void **state)
{
    (void)state;
    rl_arena_t *a = rl_arena_new(0);
    uint8_t h[32], prev[32];
    for (int i = 0; i < 32; i++) {
        h[i] = (uint8_t)(0xa0 + i);
        prev[i] = (uint8_t)i;
    }
    Riskline__V1__FieldChange c1 = RISKLINE__V1__FIELD_CHANGE__INIT;
    Riskline__V1__FieldChange *chs[] = {&c1};
    c1.field = "owner";
    c1.from = "bob";
    c1.to = "=erin";
    Riskline__V1__DomainEvent ev = RISKLINE__V1__DOMAIN_EVENT__INIT;
    ev.kind = "risk.updated";
    ev.entity_type = "risk";
    ev.entity_id = "R-7";
    ev.actor = "ann";
    ev.at_ms = 1767225600123LL;  /* 2026-01-01T00:00:00.123Z */
    ev.version = 3;
    ev.changes = chs;
    ev.n_changes = 1;
    ev.chain_seq = 42;
    ev.prev_hash.data = prev;
    ev.prev_hash.len = 32;
    const char *cells[REPORT_AUDIT_NCOLS];
    assert_int_equal(report_audit_cells("1767225600123-0", &ev, h, 32, a, cells), 0);
    const char *want[REPORT_AUDIT_NCOLS] = {"2026-01-01T00:00:00.123Z", "1767225600123-0", "42", "a0a1a2a3a4a5a6a7",
                                            "0001020304050607", "risk.updated", "risk", "R-7", "ann", "3",
                                            "owner: bob -> =erin", ""};
    for (size_t i = 0; i < REPORT_AUDIT_NCOLS; i++)
        assert_string_equal(cells[i], want[i]);
    assert_string_equal(report_audit_cols[2].key, "chain_seq");
    /* no hash stored, no position (an entry written before the chain): blank, not invented */
    ev.chain_seq = 0;
    ev.prev_hash.len = 0;
    ev.n_changes = 0;
    assert_int_equal(report_audit_cells("1-0", &ev, NULL, 0, a, cells), 0);
    assert_string_equal(cells[2], "");
    assert_string_equal(cells[3], "");
    assert_string_equal(cells[4], "");
    assert_string_equal(cells[10], "");
    assert_string_equal(report_hex_prefix(a, h, 4, 8), "");  /* shorter than asked: none */
    assert_int_equal(report_name_parse("audit_trail"), REPORT_AUDIT_TRAIL);
    assert_int_equal(report_name_parse("review_pack"), REPORT_REVIEW_PACK);
    rl_arena_destroy(&a);
}

/* The review pack's rules: what an event says about a risk (levels before and after from the
 * rating changes, under the criteria), plan state changes, the figures, and the section rows. */
static void test_review_rows(void **state)
{
    (void)state;
    rl_arena_t *a = rl_arena_new(0);
    Riskline__V1__Criteria crit;
    riskline__v1__criteria__init(&crit);
    risk_criteria_defaults(&crit);  /* 5x5: medium >= 5, high >= 10, critical >= 16 */
    Riskline__V1__Risk risk = RISKLINE__V1__RISK__INIT;
    Riskline__V1__Rating in = RISKLINE__V1__RATING__INIT, res = RISKLINE__V1__RATING__INIT;
    in.likelihood = 5;
    in.impact = 4;
    res.likelihood = 1;
    res.impact = 2;
    risk.id = "R-2";
    risk.inherent = &in;
    risk.residual = &res;
    size_t len;
    uint8_t *packed = rl_codec_pack(&risk.base, a, &len);
    assert_non_null(packed);
    Riskline__V1__FieldChange rerate = RISKLINE__V1__FIELD_CHANGE__INIT, owner = RISKLINE__V1__FIELD_CHANGE__INIT;
    rerate.field = "inherent";
    rerate.from = "{\"likelihood\":3,\"impact\":4}";
    rerate.to = "{\"likelihood\":5,\"impact\":4}";
    owner.field = "owner";
    owner.from = "bob";
    owner.to = "erin";
    Riskline__V1__FieldChange *both[] = {&owner, &rerate};
    Riskline__V1__DomainEvent ev = RISKLINE__V1__DOMAIN_EVENT__INIT;
    ev.kind = "risk.updated";
    ev.entity_type = "risk";
    ev.entity_id = "R-2";
    ev.actor = "ann";
    ev.entity.data = packed;
    ev.entity.len = len;
    ev.changes = both;
    ev.n_changes = 2;
    report_risk_delta_t d;
    assert_int_equal(report_review_risk_change(&ev, &crit, a, &d), REVIEW_RERATED);
    assert_int_equal(d.inherent_before, 3);  /* 12: high */
    assert_int_equal(d.inherent_after, 4);   /* 20: critical */
    assert_int_equal(d.residual_before, 1);  /* unchanged: from the entity, 2: low */
    assert_int_equal(d.residual_after, 1);
    const char *cells[REPORT_REVIEW_RISK_NCOLS];
    assert_int_equal(report_review_risk_cells(&ev, &d, a, cells), 0);
    assert_string_equal(cells[1], "R-2");
    assert_string_equal(cells[2], "re-rated");
    assert_string_equal(cells[3], "high");
    assert_string_equal(cells[4], "critical");
    assert_string_equal(cells[7], "ann");
    /* an update that leaves the ratings alone is no change in risk */
    ev.n_changes = 1;
    assert_int_equal(report_review_risk_change(&ev, &crit, a, &d), REVIEW_NONE);
    ev.n_changes = 0;
    ev.kind = "risk.created";
    assert_int_equal(report_review_risk_change(&ev, &crit, a, &d), REVIEW_CREATED);
    assert_int_equal(d.inherent_before, 0);
    assert_int_equal(d.inherent_after, 4);
    ev.kind = "risk.archived";
    assert_int_equal(report_review_risk_change(&ev, &crit, a, &d), REVIEW_ARCHIVED);
    ev.kind = "acceptance.recorded";
    assert_int_equal(report_review_risk_change(&ev, &crit, a, &d), REVIEW_ACCEPTED);

    /* plan state changes and the figures */
    Riskline__V1__FieldChange stc = RISKLINE__V1__FIELD_CHANGE__INIT;
    Riskline__V1__FieldChange *sts[] = {&stc};
    stc.field = "state";
    stc.from = "submitted";
    stc.to = "approved";
    Riskline__V1__DomainEvent pe = RISKLINE__V1__DOMAIN_EVENT__INIT;
    pe.kind = "plan.approve";
    pe.entity_type = "plan";
    pe.entity_id = "TP-2";
    pe.changes = sts;
    pe.n_changes = 1;
    const char *from, *to;
    assert_int_equal(report_review_state_change(&pe, &from, &to), 1);
    assert_string_equal(to, "approved");
    assert_int_equal(report_review_risk_change(&pe, &crit, a, &d), REVIEW_NONE);
    const char *sc[REPORT_REVIEW_STATE_NCOLS];
    assert_int_equal(report_review_state_cells(&pe, a, sc), 0);
    assert_string_equal(sc[1], "TP-2");
    assert_string_equal(sc[2], "submitted");
    assert_string_equal(sc[3], "approved");
    ev.kind = "risk.updated";
    ev.changes = both;
    ev.n_changes = 2;
    report_review_counts_t n = {0};
    report_review_count(&n, &ev, &crit, a);
    report_review_count(&n, &pe, &crit, a);
    pe.kind = "plan.created";
    pe.n_changes = 0;
    report_review_count(&n, &pe, &crit, a);
    assert_int_equal(n.events, 3);
    assert_int_equal(n.risks_rerated, 1);
    assert_int_equal(n.plan_state_changes, 1);
    assert_int_equal(n.plans_created, 1);
    assert_int_equal(n.risks_created, 0);

    /* actions: open plans, or closed since the review */
    Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
    p.state = RISKLINE__V1__PLAN_STATE__PLAN_STATE_CLOSED;
    p.updated_at_ms = 1000;
    assert_int_equal(report_review_action_selected(&p, 2000), 0);
    assert_int_equal(report_review_action_selected(&p, 1000), 1);
    p.state = RISKLINE__V1__PLAN_STATE__PLAN_STATE_APPROVED;
    assert_int_equal(report_review_action_selected(&p, 2000), 1);

    /* metrics: status from the latest result; never measured says so */
    Riskline__V1__Metric m = RISKLINE__V1__METRIC__INIT;
    m.direction = RISKLINE__V1__METRIC_DIRECTION__METRIC_DIRECTION_HIGHER_IS_BETTER;
    m.target = 95;
    m.warning = 90;
    m.breach = 80;
    assert_string_equal(report_metric_status(&m), "not measured");
    m.last_at_ms = 1;
    m.last_value = 85;
    assert_string_equal(report_metric_status(&m), "warning");
    m.last_value = 70;
    assert_string_equal(report_metric_status(&m), "breach");
    m.last_value = 99;
    assert_string_equal(report_metric_status(&m), "ok");

    /* nonconformities and acceptances */
    Riskline__V1__RiskEvent re = RISKLINE__V1__RISK_EVENT__INIT;
    re.kind = RISKLINE__V1__EVENT_KIND__EVENT_KIND_INCIDENT;
    assert_int_equal(report_review_is_nc(&re), 0);
    re.kind = RISKLINE__V1__EVENT_KIND__EVENT_KIND_AUDIT_FINDING;
    assert_int_equal(report_review_is_nc(&re), 1);
    re.kind = RISKLINE__V1__EVENT_KIND__EVENT_KIND_NONCONFORMITY;
    assert_int_equal(report_review_is_nc(&re), 1);
    Riskline__V1__Acceptance ac = RISKLINE__V1__ACCEPTANCE__INIT;
    ac.risk_id = "R-3";
    ac.expires = "2026-03-01";
    ac.score = 2;
    int64_t today;
    rl_date_parse("2026-02-01", &today);
    const char *acc[REPORT_REVIEW_ACCEPT_NCOLS];
    assert_int_equal(report_review_accept_cells(&ac, today, a, acc), 0);
    assert_string_equal(acc[4], "28");
    assert_string_equal(acc[5], "2");
    assert_string_equal(acc[6], "no");
    rl_arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_escaping),   cmocka_unit_test(test_csv_escaping),
        cmocka_unit_test(test_html_escaping),   cmocka_unit_test(test_json_document),
        cmocka_unit_test(test_csv_document),    cmocka_unit_test(test_html_document),
        cmocka_unit_test(test_html_cards_and_folding),
        cmocka_unit_test(test_cursor),          cmocka_unit_test(test_matrix_and_cells),
        cmocka_unit_test(test_plan_rows),       cmocka_unit_test(test_dashboard_figures),
        cmocka_unit_test(test_audit_rows),      cmocka_unit_test(test_review_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
