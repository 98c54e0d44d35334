/* test_integ_report_docs.c: reports (risk register, heat map, SoA) from the real report service through
 * `riskline report`, each in JSON, CSV and HTML: figures match the data, CSV parses back (RFC 4180)
 * to the JSON rows, HTML/SVG are well-formed XML (python3 xml.dom.minidom) with the data, a report
 * of many chunks is whole, and a key of another tenant is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <zmq.h>
#include <hiredis/hiredis.h>

#include <cjson/cJSON.h>

#include "harness.h"
#include "harness_msg.h"

static harness_run_t last;

static int setup(void **state)
{
    harness_t *h = harness_new_with_report();
    harness_issue_key(h, "vic", "viewer", "default");
    harness_issue_key(h, "bea", "viewer,auditor", "beta");
    *state = h;
    return 0;
}

static int teardown(void **state)
{
    harness_t *h = *state;
    harness_run_free(&last);
    harness_destroy(&h);
    return 0;
}

static void run_as(harness_t *h, const char *who, int want, const char *const *argv)
{
    harness_cli_as(h, who, want, argv, &last);
}
#define RUN(h, who, want, ...) run_as(h, who, want, (const char *const[]){__VA_ARGS__, NULL})

/* --- RFC 4180 --- */
typedef struct {
    size_t nrows;
    size_t nfields[400];
    char *fields[400][24];
} csv_t;

/* Parses text as RFC 4180 (quoted fields, "" inside quotes, CRLF record ends; a bare LF or CR outside
 * quotes, or a quote inside an unquoted field, fails the test). */
static void csv_parse(const char *text, csv_t *c)
{
    memset(c, 0, sizeof *c);
    const char *p = text;
    while (*p) {
        assert_true(c->nrows < 400);
        size_t nf = 0;
        for (;;) {
            assert_true(nf < 24);
            size_t cap = strlen(p) + 1, n = 0;
            char *f = malloc(cap);
            assert_non_null(f);
            if (*p == '"') {
                p++;
                for (;;) {
                    if (!*p)
                        fail_msg("CSV: unterminated quoted field");
                    if (p[0] == '"' && p[1] == '"') {
                        f[n++] = '"';
                        p += 2;
                    } else if (p[0] == '"') {
                        p++;
                        break;
                    } else {
                        f[n++] = *p++;
                    }
                }
            } else {
                while (*p && *p != ',' && *p != '\r' && *p != '\n') {
                    if (*p == '"')
                        fail_msg("CSV: a quote inside an unquoted field");
                    f[n++] = *p++;
                }
            }
            f[n] = '\0';
            c->fields[c->nrows][nf++] = f;
            if (*p == ',') {
                p++;
                continue;
            }
            if (p[0] == '\r' && p[1] == '\n') {
                p += 2;
                break;
            }
            fail_msg("CSV: record %zu does not end in CRLF (at \"%.20s\")", c->nrows + 1, p);
        }
        c->nfields[c->nrows++] = nf;
    }
}

static void csv_free(csv_t *c)
{
    for (size_t r = 0; r < c->nrows; r++)
        for (size_t i = 0; i < c->nfields[r]; i++)
            free(c->fields[r][i]);
}

static int csv_col(const csv_t *c, const char *name)
{
    for (size_t i = 0; i < c->nfields[0]; i++)
        if (!strcmp(c->fields[0][i], name))
            return (int)i;
    fail_msg("CSV has no column %s", name);
    return -1;
}

/* --- files --- */
static char *report_file(harness_t *h, const char *who, const char *name, const char *fmt, const char *const *extra)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s.%s", h->dir, name, fmt);
    const char *argv[24] = {"report", name, "--format", fmt, "--out", path};
    size_t k = 6;
    for (size_t i = 0; extra && extra[i] && k < 22; i++)
        argv[k++] = extra[i];
    argv[k] = NULL;
    run_as(h, who, 0, argv);
    size_t len;
    char *text = harness_read_file(path, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

static cJSON *report_json(harness_t *h, const char *name, const char *const *extra)
{
    char *text = report_file(h, NULL, name, "json", extra);
    cJSON *j = cJSON_Parse(text);
    if (!j)
        fail_msg("not JSON: %.300s", text);
    free(text);
    return j;
}

/* The chunks `riskline --json report ... --out FILE` says it wrote (the last run's output). */
static int chunks_written(void)
{
    cJSON *meta = cJSON_Parse(last.out);
    assert_non_null(meta);
    int n = (int)harness_jnum(meta, "chunks");
    cJSON_Delete(meta);
    return n;
}

/* The HTML file is well-formed XML with at least min_svg SVG images, no external asset, and every
 * string of need in its text. Checked by python3's XML parser (xml.dom.minidom). */
static void html_check_file(harness_t *h, const char *name, int min_svg, const char *const *need);
static void html_check(harness_t *h, const char *name, int min_svg, const char *const *need)
{
    char *text = report_file(h, NULL, name, "html", NULL);
    free(text);
    html_check_file(h, name, min_svg, need);
}

/* The same for <dir>/<name>.html made already. */
static void html_check_file(harness_t *h, const char *name, int min_svg, const char *const *need)
{
    char cmd[4096];
    int n = snprintf(cmd, sizeof cmd,
                     "python3 -c '\n"
                     "import sys, xml.dom.minidom as m\n"
                     "d = m.parse(sys.argv[1])\n"
                     "def text(n):\n"
                     "    if n.nodeType in (3, 4): return n.data\n"
                     "    return \"\".join(text(c) for c in n.childNodes)\n"
                     "t = text(d.documentElement)\n"
                     "svg = d.getElementsByTagNameNS(\"http://www.w3.org/2000/svg\", \"svg\")\n"
                     "if len(svg) < int(sys.argv[2]): sys.exit(\"svg images: %%d\" %% len(svg))\n"
                     "for tag in (\"link\", \"script\", \"img\", \"iframe\", \"object\"):\n"
                     "    if d.getElementsByTagName(tag): sys.exit(\"external asset: \" + tag)\n"
                     "for s in sys.argv[3:]:\n"
                     "    if s not in t: sys.exit(\"missing: \" + s)\n"
                     "' %s/%s.html %d",
                     h->dir, name, min_svg);
    for (size_t i = 0; need && need[i]; i++) {
        n += snprintf(cmd + n, sizeof cmd - (size_t)n, " '");
        for (const char *s = need[i]; *s; s++)  /* shell single quotes: ' -> '\'' */
            n += *s == '\'' ? snprintf(cmd + n, sizeof cmd - (size_t)n, "'\\''")
                            : snprintf(cmd + n, sizeof cmd - (size_t)n, "%c", *s);
        n += snprintf(cmd + n, sizeof cmd - (size_t)n, "'");
    }
    assert_true((size_t)n < sizeof cmd);
    int st = system(cmd);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("%s.html is not well-formed or lacks its data (status %d)", name, st);
}

static const cJSON *table(const cJSON *doc, const char *name)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "tables"), name);
    if (!cJSON_IsArray(t))
        fail_msg("no table %s", name);
    return t;
}

static const cJSON *row_with(const cJSON *t, const char *key, const char *value)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, t)
    if (!strcmp(harness_jstr(r, key), value))
        return r;
    fail_msg("no row with %s = %s", key, value);
    return NULL;
}

/* The cell of a JSON row as CSV writes it. */
static void cell_text(const cJSON *v, char *buf, size_t size)
{
    if (cJSON_IsString(v))
        snprintf(buf, size, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(buf, size, "%.15g", v->valuedouble);
    else
        buf[0] = '\0';
}

/* The CSV's rows are the JSON table's rows, field by field. */
static void csv_equals_json(const csv_t *c, const cJSON *t)
{
    assert_int_equal(c->nrows - 1, (size_t)cJSON_GetArraySize(t));
    size_t r = 1;
    const cJSON *row;
    cJSON_ArrayForEach(row, t)
    {
        assert_int_equal(c->nfields[r], (size_t)cJSON_GetArraySize(row));
        size_t i = 0;
        const cJSON *cell;
        cJSON_ArrayForEach(cell, row)
        {
            char want[2048];
            cell_text(cell, want, sizeof want);
            assert_string_equal(c->fields[0][i], cell->string);
            if (cJSON_IsNumber(cell)) { /* "12.50" in CSV is 12.5 in JSON */
                char *end;
                double v = strtod(c->fields[r][i], &end);
                if (*end || v != cell->valuedouble)
                    fail_msg("CSV row %zu %s: %s, JSON %s", r, cell->string, c->fields[r][i], want);
            } else {
                assert_string_equal(c->fields[r][i], want);
            }
            i++;
        }
        r++;
    }
}

/* The report's CSV parses (RFC 4180) back to the JSON table's rows. */
static void csv_check(harness_t *h, const char *name, const cJSON *t)
{
    char *text = report_file(h, NULL, name, "csv", NULL);
    csv_t *c = malloc(sizeof *c);
    assert_non_null(c);
    csv_parse(text, c);
    csv_equals_json(c, t);
    csv_free(c);
    free(c);
    free(text);
}

#define TITLE1 "Phishing, \"CEO\" fraud <urgent> & wire"
#define TITLE3 "Données perdues — 東京 backup"

/* Five risks across the levels, a plan on R-1 selecting two controls. */
static void seed(harness_t *h)
{
    RUN(h, NULL, 0, "risk", "add", "--title", TITLE1, "--owner", "alice", "--likelihood", "4", "--impact", "5",
        "--category", "people, process", "--residual-likelihood", "2", "--residual-impact", "3");
    RUN(h, NULL, 0, "risk", "add", "--title", "Ransomware", "--owner", "bob", "--likelihood", "3", "--impact", "4",
        "--category", "technology");
    RUN(h, NULL, 0, "risk", "add", "--title", TITLE3, "--owner", "alice", "--likelihood", "1", "--impact", "2",
        "--category", "=cmd|' /C calc'!A0");
    RUN(h, NULL, 0, "risk", "add", "--title", "Supplier outage", "--owner", "bob", "--likelihood", "2", "--impact",
        "3", "--category", "supplier");
    RUN(h, NULL, 0, "risk", "add", "--title", "Data centre flood", "--owner", "carol", "--likelihood", "5", "--impact",
        "5", "--residual-likelihood", "4", "--residual-impact", "5");
    RUN(h, NULL, 0, "plan", "create", "--risk", "R-1", "--title", "Awareness and payment checks", "--option",
        "reduce", "--owner", "tom", "--approver", "ann", "--control", "5.1", "--control", "A.8.8:in_progress");
}

static void test_risk_register(void **state)
{
    harness_t *h = *state;
    seed(h);
    cJSON *doc = report_json(h, "risk_register", NULL);
    assert_string_equal(harness_jstr(doc, "report"), "risk_register");
    assert_string_equal(harness_jstr(doc, "tenant"), "default");
    const cJSON *risks = table(doc, "risks");
    assert_int_equal(cJSON_GetArraySize(risks), 5);
    const cJSON *r1 = row_with(risks, "id", "R-1");
    assert_string_equal(harness_jstr(r1, "title"), TITLE1);
    assert_string_equal(harness_jstr(r1, "category"), "people, process");
    assert_int_equal((int)harness_jnum(r1, "inherent_score"), 20);
    assert_string_equal(harness_jstr(r1, "inherent_level"), "critical");
    assert_int_equal((int)harness_jnum(r1, "residual_score"), 6);
    assert_string_equal(harness_jstr(r1, "residual_level"), "medium");
    assert_string_equal(harness_jstr(r1, "plans"), "TP-1");
    /* (R-1's status follows its plan asynchronously: the register's consumer) */
    assert_string_equal(harness_jstr(row_with(risks, "id", "R-2"), "status"), "identified");
    assert_string_equal(harness_jstr(row_with(risks, "id", "R-2"), "plans"), "");
    const cJSON *r3 = row_with(risks, "id", "R-3");
    assert_string_equal(harness_jstr(r3, "title"), TITLE3);
    assert_string_equal(harness_jstr(r3, "inherent_level"), "low");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r3, "residual_score")));
    /* the summary counts the risks by level */
    const cJSON *sum = table(doc, "summary");
    assert_int_equal((int)harness_jnum(row_with(sum, "level", "critical"), "inherent"), 2);
    assert_int_equal((int)harness_jnum(row_with(sum, "level", "high"), "inherent"), 1);
    assert_int_equal((int)harness_jnum(row_with(sum, "level", "medium"), "inherent"), 1);
    assert_int_equal((int)harness_jnum(row_with(sum, "level", "low"), "inherent"), 1);
    assert_int_equal((int)harness_jnum(row_with(sum, "level", "total"), "inherent"), 5);
    assert_int_equal((int)harness_jnum(row_with(sum, "level", "medium"), "residual"), 1);
    assert_int_equal((int)harness_jnum(row_with(sum, "level", "critical"), "residual"), 1);

    /* CSV: the same rows, except the formula guard on a text cell starting with '=' */
    char *text = report_file(h, NULL, "risk_register", "csv", NULL);
    csv_t *c = malloc(sizeof *c);
    assert_non_null(c);
    csv_parse(text, c);
    assert_string_equal(c->fields[0][0], "id");
    assert_string_equal(c->fields[3][csv_col(c, "category")], "'=cmd|' /C calc'!A0");
    free(c->fields[3][csv_col(c, "category")]);
    c->fields[3][csv_col(c, "category")] = strdup("=cmd|' /C calc'!A0");
    csv_equals_json(c, risks);
    csv_free(c);
    free(c);
    free(text);

    /* filters as in risk list, and their refusals */
    const char *crit[] = {"--level", "critical", NULL};
    cJSON *f = report_json(h, "risk_register", crit);
    assert_int_equal(cJSON_GetArraySize(table(f, "risks")), 2);
    assert_string_equal(harness_jstr(cJSON_GetObjectItemCaseSensitive(f, "parameters"), "level"), "critical");
    cJSON_Delete(f);
    const char *own[] = {"--owner", "alice", "--sort", "score", NULL};
    f = report_json(h, "risk_register", own);
    assert_int_equal(cJSON_GetArraySize(table(f, "risks")), 2);
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(table(f, "risks"), 0), "id"), "R-1");
    cJSON_Delete(f);
    const char *later[] = {"--since", "2999-01-01", NULL};
    f = report_json(h, "risk_register", later);
    assert_int_equal(cJSON_GetArraySize(table(f, "risks")), 0);
    cJSON_Delete(f);

    const char *need[] = {TITLE1, TITLE3, "Risks by level", "critical", "TP-1", NULL};
    html_check(h, "risk_register", 1, need);
    cJSON_Delete(doc);
}

static void test_heatmap(void **state)
{
    harness_t *h = *state;
    seed(h);
    cJSON *doc = report_json(h, "heatmap", NULL);
    const cJSON *cells = table(doc, "cells");
    assert_int_equal(cJSON_GetArraySize(cells), 50);  /* 5 x 5, inherent and residual */
    int in = 0, res = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, cells)
    {
        int n = (int)harness_jnum(r, "risks");
        int l = (int)harness_jnum(r, "likelihood"), i = (int)harness_jnum(r, "impact");
        assert_int_equal((int)harness_jnum(r, "score"), l * i);
        int inh = !strcmp(harness_jstr(r, "basis"), "inherent");
        if (inh)
            in += n;
        else
            res += n;
        int want = 0;
        if (inh)
            want = (l == 4 && i == 5) || (l == 3 && i == 4) || (l == 1 && i == 2) || (l == 2 && i == 3) ||
                   (l == 5 && i == 5);
        else
            want = (l == 2 && i == 3) || (l == 4 && i == 5);
        if (n != want)
            fail_msg("%s %d x %d: %d risks, want %d", harness_jstr(r, "basis"), l, i, n, want);
        const char *lv = harness_jstr(r, "level");
        const char *wl = l * i >= 16 ? "critical" : l * i >= 10 ? "high" : l * i >= 5 ? "medium" : "low";
        assert_string_equal(lv, wl);
    }
    assert_int_equal(in, 5);
    assert_int_equal(res, 2);
    const cJSON *tot = cJSON_GetArrayItem(table(doc, "totals"), 0);
    assert_int_equal((int)harness_jnum(tot, "risks"), 5);
    assert_int_equal((int)harness_jnum(tot, "residual_rated"), 2);

    csv_check(h, "heatmap", cells);
    const char *need[] = {"Inherent risk", "Residual risk", "Likelihood", "Impact", NULL};
    html_check(h, "heatmap", 2, need);
    /* the SVG grids show the counts: 5 x 5 cells each, the bold numbers sum to the risks placed */
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "python3 -c '\n"
             "import sys, xml.dom.minidom as m\n"
             "S = \"http://www.w3.org/2000/svg\"\n"
             "svg = m.parse(sys.argv[1]).getElementsByTagNameNS(S, \"svg\")\n"
             "for g, want in zip(svg, (5, 2)):\n"
             "    cells = g.getElementsByTagNameNS(S, \"rect\")\n"
             "    nums = [int(t.firstChild.data) for t in g.getElementsByTagNameNS(S, \"text\") if t.getAttribute(\"font-weight\") == \"bold\"]\n"
             "    if len(cells) != 25 or sum(nums) != want: sys.exit(\"cells %%d, counts %%s\" %% (len(cells), nums))\n"
             "' %s/heatmap.html",
             h->dir);
    int st = system(cmd);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("the heat map's SVG does not show the counts (status %d)", st);
    cJSON_Delete(doc);
}

static void test_soa(void **state)
{
    harness_t *h = *state;
    seed(h);
    RUN(h, NULL, 0, "soa", "exclude", "A.7.4", "--reason", "no premises of our own, \"cloud only\"");
    cJSON *doc = report_json(h, "soa", NULL);
    const cJSON *ctl = table(doc, "controls");
    assert_int_equal(cJSON_GetArraySize(ctl), 93);
    const cJSON *a51 = row_with(ctl, "control", "A.5.1");
    assert_string_equal(harness_jstr(a51, "applicable"), "yes");
    assert_string_equal(harness_jstr(a51, "risks"), "R-1");
    assert_string_equal(harness_jstr(a51, "plans"), "TP-1");
    assert_string_equal(harness_jstr(a51, "status"), "not_started");
    assert_string_equal(harness_jstr(row_with(ctl, "control", "A.8.8"), "status"), "in_progress");
    const cJSON *a74 = row_with(ctl, "control", "A.7.4");
    assert_string_equal(harness_jstr(a74, "applicable"), "no");
    assert_string_equal(harness_jstr(a74, "exclusion_reason"), "no premises of our own, \"cloud only\"");
    const cJSON *sum = cJSON_GetArrayItem(table(doc, "summary"), 0);
    assert_int_equal((int)harness_jnum(sum, "applicable"), 2);
    assert_int_equal((int)harness_jnum(sum, "not_applicable"), 91);
    assert_int_equal((int)harness_jnum(sum, "in_progress"), 1);
    csv_check(h, "soa", ctl);
    const char *need[] = {"Statement of Applicability", "Policies for information security",
                          "no premises of our own, \"cloud only\"", NULL};
    html_check(h, "soa", 1, need);
    cJSON_Delete(doc);
}

#define SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* seed, and TP-2 on R-2: budget 5000 EUR, 1300 spent, one person, one tool, two milestones (M-1
 * overdue since yesterday, M-2 with evidence), submitted and approved. */
static void seed_plans(harness_t *h)
{
    seed(h);
    char start[16], past[16], later[16], today[16];
    harness_date_in(-30, start);
    harness_date_in(-1, past);
    harness_date_in(20, later);
    harness_date_in(0, today);
    RUN(h, NULL, 0, "plan", "create", "--risk", "R-2", "--title", "Backups, \"offline\" & tested", "--option", "reduce",
        "--owner", "tom", "--approver", "ann", "--control", "8.13", "--control", "8.7:implemented", "--budget",
        "5000", "--currency", "EUR", "--start", start, "--target", later, "--person", "Ann Lee:engineer:40",
        "--tool", "backup vault", "--effort-days", "12");
    RUN(h, "tom", 0, "milestone", "add", "TP-2", "--title", "Offline copy", "--owner", "tom", "--due", past);
    RUN(h, "tom", 0, "milestone", "add", "TP-2", "--title", "Restore drill", "--owner", "tom", "--due", later);
    RUN(h, "tom", 0, "milestone", "update", "TP-2", "M-2", "--evidence", "https://docs.example/drill.pdf", "--sha256",
        SHA);
    RUN(h, "tom", 0, "plan", "cost", "add", "TP-2", "--amount", "1200.50", "--date", today, "--note", "tapes, \"LTO\"");
    RUN(h, "tom", 0, "plan", "cost", "add", "TP-2", "--amount", "99.50", "--date", today);
    RUN(h, "tom", 0, "plan", "submit", "TP-2");
    RUN(h, "ann", 0, "plan", "approve", "TP-2", "--comment", "proportionate");
}

/* The treatment plan document: TP-1 with budget, costs, people, milestones (one overdue, one with
 * evidence), approved; TP-2 a draft of another risk. */
static void test_plans(void **state)
{
    harness_t *h = *state;
    seed_plans(h);

    cJSON *doc = report_json(h, "plans", NULL);
    const cJSON *plans = table(doc, "plans");
    assert_int_equal(cJSON_GetArraySize(plans), 2);
    const cJSON *p2 = row_with(plans, "id", "TP-2");
    assert_string_equal(harness_jstr(p2, "risk"), "R-2");
    assert_string_equal(harness_jstr(p2, "state"), "approved");
    assert_string_equal(harness_jstr(p2, "currency"), "EUR");
    assert_true(harness_jnum(p2, "budget") == 5000.0);
    assert_true(harness_jnum(p2, "spent") == 1300.0);  /* the sum of the costs */
    assert_int_equal((int)harness_jnum(p2, "milestones"), 2);
    assert_int_equal((int)harness_jnum(p2, "overdue_milestones"), 1);
    assert_string_equal(harness_jstr(p2, "tools"), "backup vault");
    const cJSON *d2 = row_with(table(doc, "decisions"), "plan", "TP-2");
    assert_string_equal(harness_jstr(d2, "approved_by"), "ann");
    const cJSON *ctl = table(doc, "controls");
    assert_int_equal(cJSON_GetArraySize(ctl), 4);
    const cJSON *c87 = row_with(ctl, "control", "A.8.7");
    assert_string_equal(harness_jstr(c87, "plan"), "TP-2");
    assert_string_equal(harness_jstr(c87, "status"), "implemented");
    assert_string_equal(harness_jstr(c87, "title"), "Protection against malware");
    const cJSON *ms = table(doc, "milestones");
    assert_int_equal(cJSON_GetArraySize(ms), 2);
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(ms, 0), "overdue"), "yes");
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(ms, 1), "overdue"), "no");
    assert_non_null(strstr(harness_jstr(cJSON_GetArrayItem(ms, 1), "evidence"), "https://docs.example/drill.pdf sha256:" SHA));
    const cJSON *costs = table(doc, "costs");
    assert_int_equal(cJSON_GetArraySize(costs), 2);
    double sum = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, costs) sum += harness_jnum(r, "amount");
    assert_true(sum == 1300.0);
    assert_string_equal(harness_jstr(row_with(table(doc, "personnel"), "person", "Ann Lee"), "role"), "engineer");
    /* history: every event of both plans, in order, with who did it */
    const cJSON *hist = table(doc, "history");
    int n2 = 0;
    const char *want[] = {"plan.created", "milestone.added", "milestone.added", "milestone.evidence_added",
                          "plan.cost_added", "plan.cost_added", "plan.submit", "plan.approve"};
    cJSON_ArrayForEach(r, hist)
    if (!strcmp(harness_jstr(r, "plan"), "TP-2")) {
        assert_true(n2 < 8);
        assert_string_equal(harness_jstr(r, "event"), want[n2]);
        n2++;
    }
    assert_int_equal(n2, 8);
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(hist, cJSON_GetArraySize(hist) - 1), "actor"), "ann");
    csv_check(h, "plans", plans);

    /* one plan */
    const char *one[] = {"--plan", "TP-2", NULL};
    cJSON *d = report_json(h, "plans", one);
    assert_int_equal(cJSON_GetArraySize(table(d, "plans")), 1);
    assert_string_equal(harness_jstr(cJSON_GetObjectItemCaseSensitive(d, "parameters"), "plan_id"), "TP-2");
    assert_int_equal(cJSON_GetArraySize(table(d, "history")), 8);
    assert_int_equal(cJSON_GetArraySize(table(d, "controls")), 2);
    cJSON_Delete(d);
    RUN(h, NULL, 2, "report", "plans", "--format", "json", "--plan", "TP-99");
    assert_non_null(strstr(last.err, "not_found: plan_id"));
    RUN(h, NULL, 2, "report", "plans", "--format", "json", "--plan", "R-1");
    assert_non_null(strstr(last.err, "invalid_argument: plan_id"));

    const char *need[] = {"Backups, \"offline\" & tested", "Protection against malware", "https://docs.example/drill.pdf",
                          "plan.approve", "proportionate", NULL};
    html_check(h, "plans", 0, need);
    cJSON_Delete(doc);
}

/* Sends env on sock and wants an OK reply; on failure closes sock first (an open socket would keep
 * the harness's ZeroMQ context from ending). */
static void call_ok(harness_t *h, void *sock, harness_env_t *env, const char *what)
{
    harness_env_prepare(h, env);
    harness_env_t *r = NULL;
    /* `unavailable` (e.g. the tenant's audit chain kept moving under the register's plan follower)
     * is retried with the same request id, as the contract says a client does */
    for (int attempt = 0; attempt < 20; attempt++) {
        r = harness_send_env(h, sock, env) == 0 ? harness_recv_env(sock, 5000) : NULL;
        if (!r || harness_code(r) != RISKLINE__V1__CODE__CODE_UNAVAILABLE)
            break;
        riskline__v1__envelope__free_unpacked(r, NULL);
        r = NULL;
        harness_sleep_ms(20);
    }
    if (!r || harness_code(r) != 0) {
        zmq_close(sock);
        fail_msg("%s: %s", what, r ? harness_reply_text(r) : "no reply");
    }
    riskline__v1__envelope__free_unpacked(r, NULL);
}

/* Plan "Plan <i>" on risk_id, created by a raw plan_create as the local admin. */
static void plan_create_raw(harness_t *h, void *sock, const char *risk_id, int i)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__PlanCreate body = RISKLINE__V1__PLAN_CREATE__INIT;
    Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
    char title[64];
    snprintf(title, sizeof title, "Plan %d", i);
    p.risk_id = (char *)risk_id;
    p.title = title;
    p.option = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
    p.treatment_owner = "tom";
    p.approver = "ann";
    Riskline__V1__Resources res = RISKLINE__V1__RESOURCES__INIT;
    Riskline__V1__Money budget = RISKLINE__V1__MONEY__INIT;
    budget.amount_minor = 100000;
    budget.currency = "EUR";
    res.budget = &budget;
    p.resources = &res;
    body.plan = &p;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE;
    env.plan_create = &body;
    call_ok(h, sock, &env, "plan_create");
}

/* The dashboard: its figures from the plans, the overdue milestone, the open alert of the monitor. */
static void test_dashboard(void **state)
{
    harness_t *h = *state;
    seed_plans(h);
    assert_int_equal(harness_monitor_start(h), 0);
    RUN(h, NULL, 0, "monitor", "sweep");
    RUN(h, NULL, 0, "alert", "list");
    if (!strstr(last.out, "TP-2/M-1"))
        fail_msg("no alert of the overdue milestone:\n%s", last.out);
    cJSON *doc = report_json(h, "dashboard", NULL);
    const cJSON *tot = cJSON_GetArrayItem(table(doc, "totals"), 0);
    assert_int_equal((int)harness_jnum(tot, "plans"), 2);
    assert_int_equal((int)harness_jnum(tot, "open_plans"), 2);
    assert_int_equal((int)harness_jnum(tot, "milestones"), 2);
    assert_int_equal((int)harness_jnum(tot, "overdue_milestones"), 1);
    assert_true(harness_jnum(tot, "open_alerts") >= 1);
    const cJSON *st = table(doc, "plans_by_state");
    assert_int_equal((int)harness_jnum(row_with(st, "state", "draft"), "plans"), 1);
    assert_int_equal((int)harness_jnum(row_with(st, "state", "approved"), "plans"), 1);
    assert_int_equal((int)harness_jnum(row_with(st, "state", "closed"), "plans"), 0);
    assert_true(harness_jnum(row_with(st, "state", "approved"), "average_progress_pct") == 0.0);
    const cJSON *own = row_with(table(doc, "budget_by_owner"), "currency", "EUR");
    assert_string_equal(harness_jstr(own, "treatment_owner"), "tom");
    assert_true(harness_jnum(own, "budget") == 5000.0);
    assert_true(harness_jnum(own, "spent") == 1300.0);
    assert_true(harness_jnum(own, "spent_pct") == 26.0);
    const cJSON *od = table(doc, "overdue_milestones");
    assert_int_equal(cJSON_GetArraySize(od), 1);
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(od, 0), "plan"), "TP-2");
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(od, 0), "milestone"), "M-1");
    assert_int_equal((int)harness_jnum(cJSON_GetArrayItem(od, 0), "days_overdue"), 1);
    const cJSON *al = row_with(table(doc, "open_alerts"), "subject", "TP-2/M-1");
    assert_string_equal(harness_jstr(al, "kind"), "milestone_overdue");
    csv_check(h, "dashboard", st);
    const char *need[] = {"Plans by state", "Budget spent (%) by treatment owner", "Offline copy", "milestone_overdue",
                          NULL};
    html_check(h, "dashboard", 2, need);
    cJSON_Delete(doc);
}

/* A register of more risks than one chunk holds: every risk once, in id order, in each format. */
static void test_many_chunks(void **state)
{
    harness_t *h = *state;
    enum { N = 230 };
    harness_create_bulk(h, N);
    const char *json[] = {"--json", NULL};
    cJSON *doc = report_json(h, "risk_register", json);
    assert_true(chunks_written() >= 2);
    const cJSON *risks = table(doc, "risks");
    assert_int_equal(cJSON_GetArraySize(risks), N);
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof id, "R-%d", i + 1);
        assert_string_equal(harness_jstr(cJSON_GetArrayItem(risks, i), "id"), id);
    }
    assert_int_equal((int)harness_jnum(row_with(table(doc, "summary"), "level", "total"), "inherent"), N);
    csv_check(h, "risk_register", risks);
    const char *need[] = {"Risk number 1, bulk", "Risk number 230, bulk", NULL};
    html_check(h, "risk_register", 1, need);
    cJSON_Delete(doc);

    /* as many plans: their rows, then their history (one plan at a time) cross chunks */
    char key[700], rid[16];
    snprintf(key, sizeof key, "%s/cli.key", h->keys_dir);
    void *sock = harness_dealer_to(h, h->treatment_endpoint, "treatment", key);
    assert_non_null(sock);
    for (int i = 0; i < N; i++) {
        snprintf(rid, sizeof rid, "R-%d", i + 1);
        plan_create_raw(h, sock, rid, i + 1);
    }
    /* and one plan whose history is longer than a chunk: 205 costs */
    enum { COSTS = 205 };
    for (int i = 0; i < COSTS; i++) {
        harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__PlanCostAdd body = RISKLINE__V1__PLAN_COST_ADD__INIT;
        Riskline__V1__Cost cost = RISKLINE__V1__COST__INIT;
        char date[16];
        cost.date = harness_date_in(0, date);
        cost.amount_minor = 100;
        body.id = "TP-1";
        body.expected_version = (uint64_t)i + 1;
        body.cost = &cost;
        env.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_COST_ADD;
        env.plan_cost_add = &body;
        call_ok(h, sock, &env, "plan_cost_add");
    }
    zmq_close(sock);
    doc = report_json(h, "plans", json);
    assert_true(chunks_written() >= 3);
    const cJSON *plans = table(doc, "plans"), *hist = table(doc, "history");
    assert_int_equal(cJSON_GetArraySize(plans), N);
    assert_int_equal(cJSON_GetArraySize(hist), N + COSTS);
    assert_true(harness_jnum(cJSON_GetArrayItem(plans, 0), "spent") == COSTS);
    for (int i = 0; i < N + COSTS; i++) {
        char id[16];
        int plan = i <= COSTS ? 1 : i - COSTS + 1;
        snprintf(id, sizeof id, "TP-%d", plan);
        if (i < N)
            assert_string_equal(harness_jstr(cJSON_GetArrayItem(plans, i), "id"), (snprintf(id, sizeof id, "TP-%d", i + 1), id));
        snprintf(id, sizeof id, "TP-%d", plan);
        const cJSON *ev = cJSON_GetArrayItem(hist, i);
        assert_string_equal(harness_jstr(ev, "plan"), id);
        assert_string_equal(harness_jstr(ev, "event"), i >= 1 && i <= COSTS ? "plan.cost_added" : "plan.created");
        if (i >= 1 && i <= COSTS)
            assert_int_equal((int)harness_jnum(ev, "version"), i + 1);  /* in order, none twice */
    }
    csv_check(h, "plans", plans);
    cJSON_Delete(doc);

    /* the audit trail across chunks: TP-1's 206 events from its history, the whole stream by range */
    const char *tp1[] = {"--json", "--entity", "TP-1", NULL};
    doc = report_json(h, "audit_trail", tp1);
    assert_true(chunks_written() >= 2);
    const cJSON *evs = table(doc, "events");
    assert_int_equal(cJSON_GetArraySize(evs), COSTS + 1);
    for (int i = 0; i <= COSTS; i++)
        assert_int_equal((int)harness_jnum(cJSON_GetArrayItem(evs, i), "version"), i + 1);
    cJSON_Delete(doc);
    char today[16];
    const char *all[] = {"--since", harness_date_in(0, today), NULL};
    doc = report_json(h, "audit_trail", all);
    evs = table(doc, "events");
    /* risks, plans, costs, and the register's status moves of risks that got a plan (its consumer
     * runs on its own time: how many of those are in by now varies) */
    int total = cJSON_GetArraySize(evs), kinds[3] = {0};
    assert_true(total >= N + N + COSTS);
    for (int i = 0; i < total; i++) {  /* the chain in order, none twice, none missing */
        const cJSON *e = cJSON_GetArrayItem(evs, i);
        assert_int_equal((int)harness_jnum(e, "chain_seq"), i + 1);
        const char *k = harness_jstr(e, "event");
        kinds[0] += !strcmp(k, "risk.created");
        kinds[1] += !strcmp(k, "plan.created");
        kinds[2] += !strcmp(k, "plan.cost_added");
    }
    assert_int_equal(kinds[0], N);
    assert_int_equal(kinds[1], N);
    assert_int_equal(kinds[2], COSTS);
    cJSON_Delete(doc);

    /* the review pack's sections across chunks: every plan (all open) and every risk created once */
    const char *review[] = {"--json", "--since", today, NULL};
    doc = report_json(h, "review_pack", review);
    assert_true(chunks_written() >= 3);
    const cJSON *fig = table(doc, "figures");
    assert_int_equal((int)harness_jnum(row_with(fig, "figure", "risks_created"), "value"), N);
    assert_int_equal((int)harness_jnum(row_with(fig, "figure", "plans_created"), "value"), N);
    assert_true(harness_jnum(row_with(fig, "figure", "domain_events"), "value") >= N + N + COSTS);
    const cJSON *acts = table(doc, "actions"), *rcs = table(doc, "risk_changes");
    assert_int_equal(cJSON_GetArraySize(acts), N);
    assert_int_equal(cJSON_GetArraySize(rcs), N);
    for (int i = 0; i < N; i++) {
        char want[16];
        snprintf(want, sizeof want, "R-%d", i + 1);
        assert_string_equal(harness_jstr(cJSON_GetArrayItem(rcs, i), "risk"), want);
        snprintf(want, sizeof want, "TP-%d", i + 1);
        assert_string_equal(harness_jstr(cJSON_GetArrayItem(acts, i), "plan"), want);
    }
    assert_int_equal(cJSON_GetArraySize(table(doc, "plan_state_changes")), 0);
    cJSON_Delete(doc);
}

static void test_refusals(void **state)
{
    harness_t *h = *state;
    seed(h);
    char path[600];
    snprintf(path, sizeof path, "%s/refused.json", h->dir);
    /* a reader of the tenant may; a key of another tenant may not */
    char *text = report_file(h, "vic", "risk_register", "json", NULL);
    assert_non_null(strstr(text, "Phishing, \\\"CEO\\\" fraud"));
    free(text);
    RUN(h, "bea", 2, "report", "risk_register", "--format", "json", "--out", path);
    assert_non_null(strstr(last.err, "forbidden: tenant"));
    assert_null(harness_read_file(path, NULL));
    RUN(h, "bea", 2, "--tenant", "default", "report", "heatmap", "--format", "html");
    assert_string_equal(last.out, "");
    /* hostile or wrong input: named, nothing written */
    RUN(h, NULL, 2, "report", "budget", "--format", "json", "--out", path);
    assert_non_null(strstr(last.err, "invalid_argument: name: unknown report 'budget'"));
    RUN(h, NULL, 1, "report", "soa", "--format", "pdf");
    assert_non_null(strstr(last.err, "--format"));
    RUN(h, NULL, 1, "report", "soa");
    RUN(h, NULL, 2, "report", "soa", "--format", "csv", "--owner", "alice");
    assert_non_null(strstr(last.err, "filters"));
    assert_null(harness_read_file(path, NULL));
    RUN(h, NULL, 0, "report", "--help");
    assert_non_null(strstr(last.out, "risk_register"));

    /* forged cursors are refused by name, and a valid one continues where it said */
    const char *bad[] = {"r1.9.1.0.1.0.0.0.0.0.0.0.0.", "r1.1.1.0.1.0.0.0.0.0.0.0.0.x", "x", "r1.1.1.0.1.0.0.0.0.0.0.0.0.1",
                         "r1.1.1.0.1.0.0.0.0.0.0.1.0.", "r1.3.1.0.1.0.0.0.0.0.0.0.0.", NULL};
    const char *names[] = {"risk_register", "risk_register", "plans", "heatmap", "audit_trail", "audit_trail"};
    char key[700];
    snprintf(key, sizeof key, "%s/cli.key", h->keys_dir);
    for (size_t i = 0; bad[i]; i++) {
        void *sock = harness_dealer_to(h, h->report_endpoint, "report", key);
        assert_non_null(sock);
        harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__ReportGet q = RISKLINE__V1__REPORT_GET__INIT;
        q.name = (char *)names[i];
        q.format = RISKLINE__V1__REPORT_FORMAT__REPORT_FORMAT_JSON;
        q.cursor = (char *)bad[i];
        env.body_case = RISKLINE__V1__ENVELOPE__BODY_REPORT_GET;
        env.report_get = &q;
        harness_env_prepare(h, &env);
        harness_env_t *r = harness_send_env(h, sock, &env) == 0 ? harness_recv_env(sock, 5000) : NULL;
        zmq_close(sock);
        assert_non_null(r);
        if (harness_code(r) != RISKLINE__V1__CODE__CODE_INVALID_ARGUMENT || strcmp(harness_field(r), "cursor") != 0)
            fail_msg("cursor '%s' of %s: %s", bad[i], names[i], harness_reply_text(r));
        riskline__v1__envelope__free_unpacked(r, NULL);
    }
}

/* Sends report_get q with the CLI's key; the reply (caller frees). */
static harness_env_t *report_raw(harness_t *h, const char *who, Riskline__V1__ReportGet *q)
{
    char key[700];
    snprintf(key, sizeof key, "%s/%s.key", h->keys_dir, who);
    void *sock = harness_dealer_to(h, h->report_endpoint, "report", key);
    assert_non_null(sock);
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_REPORT_GET;
    env.report_get = q;
    harness_env_prepare(h, &env);
    harness_env_t *r = harness_send_env(h, sock, &env) == 0 ? harness_recv_env(sock, 5000) : NULL;
    zmq_close(sock);
    assert_non_null(r);
    return r;
}

/* The reply to q is a refusal of code on field. */
static void refused(harness_t *h, Riskline__V1__ReportGet *q, int code, const char *field)
{
    q->format = RISKLINE__V1__REPORT_FORMAT__REPORT_FORMAT_JSON;
    harness_env_t *r = report_raw(h, "cli", q);
    if (harness_code(r) != code || strcmp(harness_field(r), field) != 0)
        fail_msg("%s: want code %d field %s, got %s", q->name, code, field, harness_reply_text(r));
    riskline__v1__envelope__free_unpacked(r, NULL);
}

/* The hex of stream entry id's chain hash `h` in the tenant's events, first 8 bytes. */
static void stream_hash_prefix(harness_t *h, const char *id, char out[17])
{
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "XRANGE rl:{default}:events %s %s", id, id);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 1);
    const redisReply *f = r->element[0]->element[1];
    out[0] = '\0';
    for (size_t i = 0; i + 1 < f->elements; i += 2)
        if (!strcmp(f->element[i]->str, "h") && f->element[i + 1]->len >= 8)
            for (size_t k = 0; k < 8; k++)
                snprintf(out + 2 * k, 3, "%02x", (unsigned char)f->element[i + 1]->str[k]);
    freeReplyObject(r);
    redisFree(c);
    assert_int_equal(strlen(out), 16);
}

/* The audit trail of an entity (its history) and of a time range (the stream): every event once,
 * in order, with its chain position and the hash stored in the stream; the count agrees with
 * `audit verify`; CSV and HTML carry the same rows; bad ranges and entities are refused by name. */
static void test_audit_trail(void **state)
{
    harness_t *h = *state;
    seed(h);
    RUN(h, NULL, 0, "risk", "update", "R-2", "--likelihood", "5");
    RUN(h, NULL, 0, "risk", "archive", "R-4", "--reason", "supplier offboarded");
    char today[16], yesterday[16];
    harness_date_in(0, today);
    harness_date_in(-1, yesterday);

    /* one entity: its three events, oldest first */
    const char *r2[] = {"--entity", "R-2", NULL};
    cJSON *doc = report_json(h, "audit_trail", r2);
    assert_string_equal(harness_jstr(cJSON_GetObjectItemCaseSensitive(doc, "parameters"), "entity"), "R-2");
    const cJSON *ev = table(doc, "events");
    assert_int_equal(cJSON_GetArraySize(ev), 2);
    const cJSON *e0 = cJSON_GetArrayItem(ev, 0), *e1 = cJSON_GetArrayItem(ev, 1);
    assert_string_equal(harness_jstr(e0, "event"), "risk.created");
    assert_string_equal(harness_jstr(e1, "event"), "risk.updated");
    assert_string_equal(harness_jstr(e1, "entity"), "R-2");
    assert_string_equal(harness_jstr(e1, "actor"), "local-admin");
    assert_int_equal((int)harness_jnum(e1, "version"), 2);
    if (!strstr(harness_jstr(e1, "changes"), "inherent: {\"likelihood\":3,\"impact\":4} -> {\"likelihood\":5,\"impact\":4}"))
        fail_msg("changes: %s", harness_jstr(e1, "changes"));
    assert_true(harness_jnum(e1, "chain_seq") > harness_jnum(e0, "chain_seq"));
    char hp[17];
    stream_hash_prefix(h, harness_jstr(e1, "stream_id"), hp);
    assert_string_equal(harness_jstr(e1, "hash"), hp);
    assert_int_equal(strlen(harness_jstr(e1, "prev_hash")), 16);
    const cJSON *sum = cJSON_GetArrayItem(table(doc, "summary"), 0);
    assert_int_equal((int)harness_jnum(sum, "events"), 2);
    assert_true(harness_jnum(sum, "last_chain_seq") == harness_jnum(e1, "chain_seq"));
    cJSON_Delete(doc);
    const char *tp1[] = {"--entity", "TP-1", NULL};
    doc = report_json(h, "audit_trail", tp1);
    ev = table(doc, "events");
    assert_int_equal(cJSON_GetArraySize(ev), 1);
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(ev, 0), "event"), "plan.created");
    cJSON_Delete(doc);

    /* the range: today holds every event of the chain, which audit verify counts; yesterday none.
     * The register's consumer moves R-1 forward for its plan on its own time: compare once
     * verify counts the same before and after the report. */
    const char *day[] = {"--since", today, "--until", today, NULL};
    int verified = -1, again = -2;
    doc = NULL;
    for (int tries = 0; tries < 50 && verified != again; tries++) {
        cJSON_Delete(doc);
        RUN(h, NULL, 0, "audit", "verify");
        assert_int_equal(sscanf(last.out, "chain intact: %d events checked", &verified), 1);
        doc = report_json(h, "audit_trail", day);
        RUN(h, NULL, 0, "audit", "verify");
        assert_int_equal(sscanf(last.out, "chain intact: %d events checked", &again), 1);
    }
    ev = table(doc, "events");
    assert_int_equal(cJSON_GetArraySize(ev), verified);
    const cJSON *e;
    double seq = 0;
    cJSON_ArrayForEach(e, ev)
    {
        assert_true(harness_jnum(e, "chain_seq") == seq + 1);  /* in chain order, none missing */
        seq = harness_jnum(e, "chain_seq");
    }
    assert_string_equal(harness_jstr(row_with(ev, "event", "risk.archived"), "comment"), "supplier offboarded");
    cJSON_Delete(doc);
    const char *before[] = {"--until", yesterday, NULL};
    doc = report_json(h, "audit_trail", before);
    assert_int_equal(cJSON_GetArraySize(table(doc, "events")), 0);
    cJSON_Delete(doc);

    /* CSV: the events table, row for row; HTML well-formed with the data */
    doc = report_json(h, "audit_trail", NULL);
    char *text = report_file(h, NULL, "audit_trail", "csv", NULL);
    csv_t *c = malloc(sizeof *c);
    assert_non_null(c);
    csv_parse(text, c);
    csv_equals_json(c, table(doc, "events"));
    csv_free(c);
    free(c);
    free(text);
    cJSON_Delete(doc);
    const char *need[] = {"risk.updated", "{\"likelihood\":5,\"impact\":4}", "supplier offboarded", "Chain #", NULL};
    html_check(h, "audit_trail", 0, need);

    /* refusals, by field; nothing written */
    Riskline__V1__ReportGet q = RISKLINE__V1__REPORT_GET__INIT;
    q.name = "audit_trail";
    q.since = today;
    q.until = yesterday;
    refused(h, &q, RISKLINE__V1__CODE__CODE_INVALID_ARGUMENT, "until");
    q.since = "2026-02-30";
    q.until = "";
    refused(h, &q, RISKLINE__V1__CODE__CODE_INVALID_ARGUMENT, "since");
    q.since = "";
    q.until = "yesterday";
    refused(h, &q, RISKLINE__V1__CODE__CODE_INVALID_ARGUMENT, "until");
    q.until = "";
    q.entity = "R-99";
    refused(h, &q, RISKLINE__V1__CODE__CODE_NOT_FOUND, "entity");
    q.entity = "K-1";
    refused(h, &q, RISKLINE__V1__CODE__CODE_INVALID_ARGUMENT, "entity");
    q.entity = "";
    q.name = "soa";
    q.until = today;
    refused(h, &q, RISKLINE__V1__CODE__CODE_INVALID_ARGUMENT, "until");
    char path[600];
    snprintf(path, sizeof path, "%s/refused.json", h->dir);
    RUN(h, NULL, 1, "report", "audit_trail", "--format", "json", "--until", "31.12.2026", "--out", path);
    assert_non_null(strstr(last.err, "--until"));
    RUN(h, NULL, 2, "report", "audit_trail", "--format", "json", "--entity", "TP-7", "--out", path);
    assert_non_null(strstr(last.err, "not_found: entity"));
    RUN(h, "bea", 2, "--tenant", "default", "report", "audit_trail", "--format", "json", "--entity", "R-1", "--out",
        path);
    assert_non_null(strstr(last.err, "forbidden: tenant"));
    assert_null(harness_read_file(path, NULL));
}

/* The management review pack since yesterday: the figures and each section match what was done
 * (a re-rated risk's old and new level, an archived and an accepted one, plan state changes, an
 * alert resolved and one open, a breached metric and its ineffective control, a nonconformity,
 * an acceptance expiring); since tomorrow nothing changed; CSV is the figures; HTML well-formed;
 * refusals by field. */
static void test_review_pack(void **state)
{
    harness_t *h = *state;
    seed_plans(h);
    assert_int_equal(harness_monitor_start(h), 0);
    harness_issue_key(h, "alice", "risk_owner", "default");
    char yesterday[16], tomorrow[16], expires[16];
    harness_date_in(-1, yesterday);
    harness_date_in(1, tomorrow);
    harness_date_in(30, expires);
    RUN(h, NULL, 0, "risk", "update", "R-2", "--likelihood", "5");   /* 3x4 high -> 5x4 critical */
    RUN(h, NULL, 0, "risk", "archive", "R-4", "--reason", "supplier offboarded");
    RUN(h, "alice", 0, "accept", "R-3", "--justification", "negligible, insured", "--expires", expires);
    RUN(h, NULL, 0, "monitor", "sweep");                              /* AL-1: TP-2/M-1 overdue */
    RUN(h, NULL, 0, "alert", "resolve", "AL-1", "--comment", "re-planned");
    RUN(h, NULL, 0, "metric", "define", "--name", "Patch coverage", "--control", "A.8.8", "--frequency-days", "30",
        "--target", "95", "--warning", "90", "--breach", "80", "--direction", "higher", "--owner", "tom");
    RUN(h, NULL, 0, "metric", "record", "K-1", "--value", "70");      /* breach: an open alert */
    RUN(h, NULL, 0, "event", "send", "--source", "audit-tool", "--id", "nc-7", "--kind", "nonconformity",
        "--severity", "high", "--summary", "Access reviews not done in Q3", "--risk", "R-1");
    RUN(h, NULL, 0, "event", "send", "--source", "siem", "--id", "inc-1", "--kind", "incident", "--severity", "low",
        "--summary", "Port scan");
    /* the events are correlated (and recorded as event.received) behind their acks: the JSON and
     * CSV below must see the same figures */
    assert_int_equal(harness_settle(h, "default", 20000), 0);

    const char *since[] = {"--since", yesterday, NULL};
    cJSON *doc = report_json(h, "review_pack", since);
    assert_string_equal(harness_jstr(cJSON_GetObjectItemCaseSensitive(doc, "parameters"), "since"), yesterday);
    const cJSON *fig = table(doc, "figures");
    struct { const char *name; int want; } figs[] = {
        {"risks_created", 5}, {"risks_rerated", 1}, {"risks_archived", 1}, {"risks_accepted", 1},
        {"plans_created", 2}, {"plan_state_changes", 2}, {"plans_open", 2}, {"overdue_milestones", 1},
        {"metrics", 1}, {"metrics_breach", 1}, {"metrics_ok", 0}, {"alerts_resolved", 1},
        {"audit_findings_and_nonconformities", 1}, {"acceptances_expiring_90_days", 1},
    };
    for (size_t i = 0; i < sizeof figs / sizeof figs[0]; i++) {
        int got = (int)harness_jnum(row_with(fig, "figure", figs[i].name), "value");
        if (got != figs[i].want)
            fail_msg("figure %s: %d, want %d", figs[i].name, got, figs[i].want);
    }
    const cJSON *rc = table(doc, "risk_changes"), *r;
    int rerated = 0, created = 0;
    cJSON_ArrayForEach(r, rc)
    {
        created += !strcmp(harness_jstr(r, "change"), "created");
        if (!strcmp(harness_jstr(r, "change"), "re-rated")) {
            rerated++;
            assert_string_equal(harness_jstr(r, "risk"), "R-2");
            assert_string_equal(harness_jstr(r, "inherent_before"), "high");
            assert_string_equal(harness_jstr(r, "inherent_after"), "critical");
        }
    }
    assert_int_equal(created, 5);
    assert_int_equal(rerated, 1);
    assert_string_equal(harness_jstr(row_with(rc, "change", "archived"), "risk"), "R-4");
    assert_string_equal(harness_jstr(row_with(rc, "change", "accepted"), "risk"), "R-3");
    const cJSON *st = table(doc, "plan_state_changes");
    assert_int_equal(cJSON_GetArraySize(st), 2);
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(st, 1), "plan"), "TP-2");
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(st, 1), "to"), "approved");
    const cJSON *act = row_with(table(doc, "actions"), "plan", "TP-2");
    assert_string_equal(harness_jstr(act, "state"), "approved");
    assert_int_equal((int)harness_jnum(act, "overdue_milestones"), 1);
    assert_string_equal(harness_jstr(act, "changed_since_review"), "yes");
    const cJSON *met = row_with(table(doc, "metrics"), "metric", "K-1");
    assert_string_equal(harness_jstr(met, "status"), "breach");
    assert_true(harness_jnum(met, "last_value") == 70.0);
    assert_string_equal(harness_jstr(row_with(table(doc, "control_effectiveness"), "control", "A.8.8"), "effectiveness"),
                        "ineffective");
    const cJSON *alerts = table(doc, "alerts");
    const cJSON *res = row_with(alerts, "id", "AL-1");
    assert_string_equal(harness_jstr(res, "state"), "resolved");
    assert_string_equal(harness_jstr(res, "subject"), "TP-2/M-1");
    assert_true(strlen(harness_jstr(res, "resolved_at")) > 0);
    assert_string_equal(harness_jstr(row_with(alerts, "kind", "metric_breach"), "state"), "open");
    int open = 0;  /* the sweep raises reassessment alerts too: the figure counts the open rows */
    cJSON_ArrayForEach(r, alerts)
    open += strcmp(harness_jstr(r, "state"), "resolved") != 0;
    assert_true(open >= 1);
    assert_int_equal((int)harness_jnum(row_with(fig, "figure", "alerts_open"), "value"), open);
    assert_int_equal(cJSON_GetArraySize(alerts), open + 1);
    const cJSON *nc = table(doc, "nonconformities");
    assert_int_equal(cJSON_GetArraySize(nc), 1);  /* the incident is not one */
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(nc, 0), "summary"), "Access reviews not done in Q3");
    const cJSON *acc = table(doc, "acceptances_expiring");
    assert_int_equal(cJSON_GetArraySize(acc), 1);
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(acc, 0), "risk"), "R-3");
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(acc, 0), "expires"), expires);
    assert_int_equal((int)harness_jnum(cJSON_GetArrayItem(acc, 0), "days_left"), 30);
    /* CSV: the figures table, row for row */
    char *text = report_file(h, NULL, "review_pack", "csv", since);
    csv_t *c = malloc(sizeof *c);
    assert_non_null(c);
    csv_parse(text, c);
    csv_equals_json(c, fig);
    csv_free(c);
    free(c);
    free(text);
    cJSON_Delete(doc);

    /* since tomorrow: no change in risk; the acceptance still expires */
    const char *later[] = {"--since", tomorrow, NULL};
    doc = report_json(h, "review_pack", later);
    fig = table(doc, "figures");
    assert_int_equal((int)harness_jnum(row_with(fig, "figure", "risks_created"), "value"), 0);
    assert_int_equal((int)harness_jnum(row_with(fig, "figure", "risks_rerated"), "value"), 0);
    assert_int_equal(cJSON_GetArraySize(table(doc, "risk_changes")), 0);
    assert_int_equal((int)harness_jnum(row_with(fig, "figure", "acceptances_expiring_90_days"), "value"), 1);
    cJSON_Delete(doc);

    /* HTML: sections, charts, the data */
    char path[600];
    snprintf(path, sizeof path, "%s/review_pack.html", h->dir);
    RUN(h, NULL, 0, "report", "review_pack", "--format", "html", "--since", yesterday, "--out", path);
    const char *need[] = {"Changes in risk since the review", "Metrics by status", "Access reviews not done in Q3",
                          "negligible, insured", "metric_breach", NULL};
    html_check_file(h, "review_pack", 3, need);

    /* refusals */
    Riskline__V1__ReportGet q = RISKLINE__V1__REPORT_GET__INIT;
    q.name = "review_pack";
    refused(h, &q, RISKLINE__V1__CODE__CODE_INVALID_ARGUMENT, "since");
    q.since = "2026-13-01";
    refused(h, &q, RISKLINE__V1__CODE__CODE_INVALID_ARGUMENT, "since");
    q.since = yesterday;
    q.entity = "R-1";
    refused(h, &q, RISKLINE__V1__CODE__CODE_INVALID_ARGUMENT, "entity");
    q.entity = "";
    q.until = tomorrow;
    refused(h, &q, RISKLINE__V1__CODE__CODE_INVALID_ARGUMENT, "until");
    snprintf(path, sizeof path, "%s/refused.json", h->dir);
    RUN(h, NULL, 2, "report", "review_pack", "--format", "json", "--out", path);
    assert_non_null(strstr(last.err, "invalid_argument: since"));
    RUN(h, "bea", 2, "--tenant", "default", "report", "review_pack", "--format", "json", "--since", yesterday, "--out",
        path);
    assert_non_null(strstr(last.err, "forbidden: tenant"));
    assert_null(harness_read_file(path, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_risk_register, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heatmap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_soa, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dashboard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_trail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_review_pack, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
