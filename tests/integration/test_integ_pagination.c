/* test_integ_pagination.c: 1,000 risks created through pipelined raw frames, then listed: cursors,
 * sort orders and filters, through raw frames and the CLI. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "harness.h"
#include "harness_msg.h"

#define N 1000

static const char *const owners[] = {"alice", "bob", "carol", "dave"};
static const char *const categories[] = {"people", "supplier", "technology"};
static const Riskline__V1__RiskStatus statuses[] = {
    RISKLINE__V1__RISK_STATUS__RISK_STATUS_IDENTIFIED,
    RISKLINE__V1__RISK_STATUS__RISK_STATUS_ASSESSED,
    RISKLINE__V1__RISK_STATUS__RISK_STATUS_TREATMENT_PLANNED,
};

typedef struct {
    unsigned l, i;
    const char *owner, *category;
    Riskline__V1__RiskStatus status;
} spec_t;

typedef struct {
    harness_t *h;
    spec_t spec[N + 1];  /* by risk number */
} fixture_t;

static void spec_of(int k, spec_t *s)
{
    s->l = 1 + (unsigned)k % 5;
    s->i = 1 + (unsigned)(k / 5) % 5;
    s->owner = owners[k % 4];
    s->category = categories[(k / 4) % 3];
    s->status = statuses[(k / 12) % 3];
}

/* default criteria: medium >= 5, high >= 10, critical >= 16 */
static Riskline__V1__Level level_of_score(unsigned s)
{
    return s >= 16 ? RISKLINE__V1__LEVEL__LEVEL_CRITICAL
           : s >= 10 ? RISKLINE__V1__LEVEL__LEVEL_HIGH
           : s >= 5  ? RISKLINE__V1__LEVEL__LEVEL_MEDIUM
                     : RISKLINE__V1__LEVEL__LEVEL_LOW;
}

static int risk_number(const char *id)
{
    if (strncmp(id, "R-", 2) != 0)
        fail_msg("unexpected id %s", id);
    return atoi(id + 2);
}

static int group_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->h = harness_new();
    *state = f;
    /* pipelined: all requests first, then all replies */
    void *s = harness_dealer(f->h);
    assert_non_null(s);
    char titles[N + 1][32], rids[N + 1][32];
    for (int k = 1; k <= N; k++) {
        spec_t sp;
        spec_of(k, &sp);
        snprintf(titles[k], sizeof titles[k], "Bulk risk %d", k);
        snprintf(rids[k], sizeof rids[k], "bulk-%d", k);
        harness_risk_in_t in;
        harness_risk_init(&in, titles[k], sp.owner, sp.l, sp.i);
        in.risk.category = (char *)sp.category;
        in.risk.status = sp.status;
        harness_env_t env;
        Riskline__V1__RiskCreate body;
        harness_env_create(&env, &body, &in.risk);
        env.request_id = rids[k];
        if (harness_send_env(f->h, s, &env) != 0)
            fail_msg("send %d failed", k);
    }
    int got = 0;
    while (got < N) {
        harness_env_t *rep = harness_recv_env(s, 30000);
        if (!rep)
            fail_msg("only %d of %d create replies arrived", got, N);
        const harness_risk_t *r = harness_reply_risk(rep);
        if (!r)
            fail_msg("create %s: %s", rep->request_id, harness_reply_text(rep));
        int k = atoi(rep->request_id + 5);
        assert_in_range(k, 1, N);
        int n = risk_number(r->id);
        assert_in_range(n, 1, N);
        if (f->spec[n].owner)
            fail_msg("id %s handed out twice", r->id);
        assert_string_equal(r->title, titles[k]);
        spec_of(k, &f->spec[n]);
        riskline__v1__envelope__free_unpacked(rep, NULL);
        got++;
    }
    zmq_close(s);
    return 0;
}

static int group_teardown(void **state)
{
    fixture_t *f = *state;
    int st = 0;
    if (f) {
        st = f->h && f->h->register_pid > 0 ? harness_register_stop(f->h) : 0;
        harness_destroy(&f->h);
        free(f);
    }
    if (st != 0) {
        print_error("riskline-register did not exit 0 within 5 s of SIGTERM (status %d)\n", st);
        return -1;
    }
    return 0;
}

/* Walks every page of q (q->cursor is overwritten). Fills ids (risk numbers, in order), scores and
 * review dates; returns the count. Asserts page sizes and that risks match their spec. */
typedef struct {
    int n;
    int ids[N + 1];
    unsigned scores[N + 1];
    char reviews[N + 1][11];
    int pages;
    int full_pages;  /* pages that had exactly `limit` risks */
} walk_t;

static void walk(fixture_t *f, Riskline__V1__RiskList *q, walk_t *w)
{
    memset(w, 0, sizeof *w);
    char cursor[128] = "";
    unsigned limit = q->limit ? q->limit : 50;
    for (;;) {
        q->cursor = cursor;
        harness_env_t *rep = harness_list(f->h, q);
        if (!rep || harness_code(rep) != 0 || rep->body_case != RISKLINE__V1__ENVELOPE__BODY_RISK_PAGE)
            fail_msg("list page %d: %s", w->pages, harness_reply_text(rep));
        const Riskline__V1__RiskPage *p = rep->risk_page;
        if (p->n_risks > limit)
            fail_msg("page of %zu risks over the limit %u", p->n_risks, limit);
        w->pages++;
        if (p->n_risks == limit)
            w->full_pages++;
        for (size_t i = 0; i < p->n_risks; i++) {
            const harness_risk_t *r = p->risks[i];
            if (w->n >= N)
                fail_msg("more than %d risks listed", N);
            int k = risk_number(r->id);
            assert_in_range(k, 1, N);
            const spec_t *sp = &f->spec[k];
            assert_int_equal(r->inherent_score, sp->l * sp->i);
            assert_int_equal(r->inherent_level, level_of_score(sp->l * sp->i));
            assert_string_equal(r->owner, sp->owner);
            assert_string_equal(r->category, sp->category);
            w->ids[w->n] = k;
            w->scores[w->n] = r->inherent_score;
            snprintf(w->reviews[w->n], sizeof w->reviews[w->n], "%s", r->next_review);
            w->n++;
        }
        if (strlen(p->next_cursor) >= sizeof cursor)
            fail_msg("cursor of %zu bytes", strlen(p->next_cursor));
        int last = p->next_cursor[0] == '\0';
        if (!last && strcmp(p->next_cursor, cursor) == 0)
            fail_msg("the cursor did not advance");
        snprintf(cursor, sizeof cursor, "%s", p->next_cursor);
        riskline__v1__envelope__free_unpacked(rep, NULL);
        if (last)
            break;
        if (w->pages > 2 * N)
            fail_msg("pagination does not end");
    }
    q->cursor = "";
}

static void assert_each_once(const walk_t *w, int want)
{
    static char seen[N + 1];
    memset(seen, 0, sizeof seen);
    assert_int_equal(w->n, want);
    for (int i = 0; i < w->n; i++) {
        if (seen[w->ids[i]])
            fail_msg("R-%d listed twice", w->ids[i]);
        seen[w->ids[i]] = 1;
    }
}

static void test_walk_by_id(void **state)
{
    fixture_t *f = *state;
    Riskline__V1__RiskList q = RISKLINE__V1__RISK_LIST__INIT;
    q.limit = 100;
    static walk_t w;
    walk(f, &q, &w);
    assert_each_once(&w, N);
    for (int i = 0; i < N; i++)
        if (w.ids[i] != i + 1)
            fail_msg("position %d holds R-%d, want R-%d (oldest first)", i, w.ids[i], i + 1);
    assert_int_equal(w.full_pages, 10);
    assert_in_range(w.pages, 10, 11);  /* an empty last page is tolerated */
}

static void test_default_page_size(void **state)
{
    fixture_t *f = *state;
    Riskline__V1__RiskList q = RISKLINE__V1__RISK_LIST__INIT;
    harness_env_t *rep = harness_list(f->h, &q);
    assert_int_equal(harness_code(rep), 0);
    assert_int_equal(rep->risk_page->n_risks, 50);
    assert_string_equal(rep->risk_page->risks[0]->id, "R-1");
    assert_true(rep->risk_page->next_cursor[0] != '\0');
    riskline__v1__envelope__free_unpacked(rep, NULL);
    q.limit = 500;
    rep = harness_list(f->h, &q);
    assert_int_equal(harness_code(rep), 0);
    assert_int_equal(rep->risk_page->n_risks, 500);
    riskline__v1__envelope__free_unpacked(rep, NULL);
}

static void test_walk_by_score(void **state)
{
    fixture_t *f = *state;
    Riskline__V1__RiskList q = RISKLINE__V1__RISK_LIST__INIT;
    q.limit = 100;
    q.sort = RISKLINE__V1__RISK_SORT__RISK_SORT_SCORE;
    static walk_t w;
    walk(f, &q, &w);
    assert_each_once(&w, N);
    assert_int_equal(w.scores[0], 25);
    for (int i = 1; i < w.n; i++)
        if (w.scores[i] > w.scores[i - 1])
            fail_msg("score order broken at %d: R-%d (%u) after R-%d (%u)", i, w.ids[i], w.scores[i], w.ids[i - 1],
                     w.scores[i - 1]);
}

static void test_walk_by_review(void **state)
{
    fixture_t *f = *state;
    Riskline__V1__RiskList q = RISKLINE__V1__RISK_LIST__INIT;
    q.limit = 100;
    q.sort = RISKLINE__V1__RISK_SORT__RISK_SORT_REVIEW;
    static walk_t w;
    walk(f, &q, &w);
    assert_each_once(&w, N);
    for (int i = 1; i < w.n; i++)
        if (strcmp(w.reviews[i], w.reviews[i - 1]) < 0)
            fail_msg("review order broken at %d: %s after %s", i, w.reviews[i], w.reviews[i - 1]);
    /* critical risks (30 days) come before low ones (365 days) */
    char d30[11];
    harness_date_in(30, d30);
    assert_true(strcmp(w.reviews[0], d30) <= 0);
}

typedef int (*pred_fn)(const spec_t *s, const void *arg);

/* Walks with a filter and checks the result is exactly the matching risks, in id order. */
static void check_filter(fixture_t *f, Riskline__V1__RiskList *q, pred_fn pred, const void *arg, const char *what)
{
    static walk_t w;
    walk(f, q, &w);
    int want = 0, pos = 0;
    for (int k = 1; k <= N; k++) {
        if (!pred(&f->spec[k], arg))
            continue;
        want++;
        if (pos >= w.n || w.ids[pos] != k)
            fail_msg("%s: expected R-%d at position %d, got %s%d", what, k, pos, pos < w.n ? "R-" : "end ",
                     pos < w.n ? w.ids[pos] : w.n);
        pos++;
    }
    if (w.n != want)
        fail_msg("%s: %d risks listed, want %d", what, w.n, want);
    assert_true(want > 0);
}

static int by_owner(const spec_t *s, const void *a) { return strcmp(s->owner, a) == 0; }
static int by_category(const spec_t *s, const void *a) { return strcmp(s->category, a) == 0; }
static int by_level(const spec_t *s, const void *a)
{
    return level_of_score(s->l * s->i) == *(const Riskline__V1__Level *)a;
}
static int by_status(const spec_t *s, const void *a) { return s->status == *(const Riskline__V1__RiskStatus *)a; }
static int by_owner_and_high(const spec_t *s, const void *a)
{
    return strcmp(s->owner, a) == 0 && level_of_score(s->l * s->i) == RISKLINE__V1__LEVEL__LEVEL_HIGH;
}

static void test_filters(void **state)
{
    fixture_t *f = *state;
    Riskline__V1__RiskList q = RISKLINE__V1__RISK_LIST__INIT;
    q.limit = 100;
    q.owner = "bob";
    check_filter(f, &q, by_owner, "bob", "owner bob");
    q.owner = "";
    q.category = "supplier";
    check_filter(f, &q, by_category, "supplier", "category supplier");
    q.category = "";
    for (int lv = RISKLINE__V1__LEVEL__LEVEL_LOW; lv <= RISKLINE__V1__LEVEL__LEVEL_CRITICAL; lv++) {
        Riskline__V1__Level level = (Riskline__V1__Level)lv;
        q.level = level;
        char what[32];
        snprintf(what, sizeof what, "level %d", lv);
        check_filter(f, &q, by_level, &level, what);
    }
    q.level = RISKLINE__V1__LEVEL__LEVEL_UNSPECIFIED;
    Riskline__V1__RiskStatus st = RISKLINE__V1__RISK_STATUS__RISK_STATUS_ASSESSED;
    q.status = st;
    check_filter(f, &q, by_status, &st, "status assessed");
    q.status = RISKLINE__V1__RISK_STATUS__RISK_STATUS_UNSPECIFIED;
    q.owner = "carol";
    q.level = RISKLINE__V1__LEVEL__LEVEL_HIGH;
    q.limit = 7;
    check_filter(f, &q, by_owner_and_high, "carol", "owner carol and level high, pages of 7");

    /* no match at all: one empty page */
    q.owner = "nobody";
    q.level = RISKLINE__V1__LEVEL__LEVEL_UNSPECIFIED;
    static walk_t w;
    walk(f, &q, &w);
    assert_int_equal(w.n, 0);
}

static void test_cli_pages(void **state)
{
    fixture_t *f = *state;
    harness_run_t r;
    harness_clif(f->h, &r, "--json", "risk", "list", "--owner", "dave", "--all", NULL);
    cJSON *j = harness_json(&r, 0);
    harness_run_free(&r);
    const cJSON *risks = cJSON_GetObjectItemCaseSensitive(j, "risks");
    assert_true(cJSON_IsArray(risks));
    assert_int_equal(cJSON_GetArraySize(risks), N / 4);
    int prev = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, risks)
    {
        assert_string_equal(harness_jstr(it, "owner"), "dave");
        int k = risk_number(harness_jstr(it, "id"));
        assert_true(k > prev);
        prev = k;
    }
    cJSON_Delete(j);

    harness_clif(f->h, &r, "--json", "risk", "list", "--limit", "100", NULL);
    j = harness_json(&r, 0);
    harness_run_free(&r);
    risks = cJSON_GetObjectItemCaseSensitive(j, "risks");
    assert_int_equal(cJSON_GetArraySize(risks), 100);
    char cursor[128];
    snprintf(cursor, sizeof cursor, "%s", harness_jstr(j, "next_cursor"));
    assert_true(cursor[0] != '\0');
    cJSON_Delete(j);
    harness_clif(f->h, &r, "--json", "risk", "list", "--limit", "100", "--cursor", cursor, NULL);
    j = harness_json(&r, 0);
    harness_run_free(&r);
    risks = cJSON_GetObjectItemCaseSensitive(j, "risks");
    assert_int_equal(cJSON_GetArraySize(risks), 100);
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(risks, 0), "id"), "R-101");
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(risks, 99), "id"), "R-200");
    cJSON_Delete(j);

    harness_clif(f->h, &r, "--json", "risk", "list", "--level", "critical", "--sort", "score", "--all", NULL);
    j = harness_json(&r, 0);
    harness_run_free(&r);
    risks = cJSON_GetObjectItemCaseSensitive(j, "risks");
    assert_true(cJSON_GetArraySize(risks) > 0);
    double prev_score = 1e9;
    cJSON_ArrayForEach(it, risks)
    {
        assert_string_equal(harness_jstr(it, "inherent_level"), "critical");
        assert_true(harness_jnum(it, "inherent_score") <= prev_score);
        prev_score = harness_jnum(it, "inherent_score");
    }
    cJSON_Delete(j);
}

/* Runs last: it archives risks. */
static void test_archived_pages(void **state)
{
    fixture_t *f = *state;
    for (int k = 1; k <= 120; k += 2) {
        char id[16];
        snprintf(id, sizeof id, "R-%d", k);
        harness_env_t *rep = harness_archive(f->h, id, 1, "bulk archive");
        if (harness_code(rep) != 0)
            fail_msg("archive %s: %s", id, harness_reply_text(rep));
        riskline__v1__envelope__free_unpacked(rep, NULL);
    }
    Riskline__V1__RiskList q = RISKLINE__V1__RISK_LIST__INIT;
    q.limit = 25;
    q.archived = 1;
    static walk_t w;
    walk(f, &q, &w);
    assert_each_once(&w, 60);
    for (int i = 0; i < w.n; i++)
        assert_int_equal(w.ids[i], 1 + 2 * i);
    q.archived = 0;
    q.limit = 100;
    walk(f, &q, &w);
    assert_each_once(&w, N - 60);
    for (int i = 0; i < w.n; i++)
        if (w.ids[i] <= 120 && w.ids[i] % 2 == 1)
            fail_msg("archived R-%d in the default list", w.ids[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_by_id),
        cmocka_unit_test(test_default_page_size),
        cmocka_unit_test(test_walk_by_score),
        cmocka_unit_test(test_walk_by_review),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_cli_pages),
        cmocka_unit_test(test_archived_pages),
    };
    return cmocka_run_group_tests_name("pagination", tests, group_setup, group_teardown);
}
