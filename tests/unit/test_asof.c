/* test_asof.c: the pure part of reports as of a past instant (services/report/report_asof.h): the
 * as_of parameter, and the latest snapshot per entity kept over a window of ids while events are
 * replayed oldest first (ordering, replacement, the window and its eviction, the strict bound). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "report_asof.h"
#include "rl_time.h"

static void test_parse(void **state)
{
    (void)state;
    int64_t ms, day;
    assert_int_equal(report_asof_parse("2026-03-31", &ms), 0);
    assert_int_equal(rl_date_parse("2026-04-01", &day), 0);
    assert_true(ms == day * 86400000LL - 1);  /* the day as it closed */
    assert_int_equal(report_asof_parse("2026-03-31T10:20:30Z", &ms), 0);
    int64_t want;
    assert_int_equal(rl_ts_parse("2026-03-31T10:20:30Z", &want), 0);
    assert_true(ms == want);
    assert_int_equal(report_asof_parse("2026-03-31T10:20:30.123Z", &ms), 0);
    assert_true(ms == want + 123);
    const char *bad[] = {"", "2026-02-30", "31/03/2026", "2026-03-31T10:20:30+01:00", "2026-03-31T25:00:00Z",
                         "yesterday", "2026-03-31 ", NULL};
    for (size_t i = 0; bad[i]; i++)
        assert_int_equal(report_asof_parse(bad[i], &ms), -1);
    assert_int_equal(report_asof_parse(NULL, &ms), -1);
}

static const char *bytes_of(const report_asof_set_t *s, size_t i, const char **id)
{
    const void *b;
    size_t len;
    *id = report_asof_set_at(s, i, &b, &len);
    assert_int_equal(len, strlen(b) + 1);
    return b;
}

#define PUT(s, id, v) assert_int_equal(report_asof_set_put(s, id, v, strlen(v) + 1), 0)

/* Each entity as after its last event; listed in natural id order whatever the event order. */
static void test_latest_per_id(void **state)
{
    (void)state;
    report_asof_set_t *s = report_asof_set_new("", 100, 0);
    assert_non_null(s);
    PUT(s, "R-10", "r10 v1");
    PUT(s, "R-2", "r2 v1");
    PUT(s, "R-10", "r10 v2");
    PUT(s, "R-1", "r1 v1");
    PUT(s, "R-2", "r2 v2 archived");
    PUT(s, "R-10", "r10 v3");
    assert_int_equal(report_asof_set_count(s), 3);
    const char *id;
    assert_string_equal(bytes_of(s, 0, &id), "r1 v1");
    assert_string_equal(id, "R-1");
    assert_string_equal(bytes_of(s, 1, &id), "r2 v2 archived");  /* archived at T: still kept, the reader filters */
    assert_string_equal(id, "R-2");
    assert_string_equal(bytes_of(s, 2, &id), "r10 v3");
    assert_string_equal(id, "R-10");
    assert_true(report_asof_set_has(s, "R-2"));
    assert_false(report_asof_set_has(s, "R-3"));
    assert_false(report_asof_set_more(s));
    report_asof_set_destroy(&s);
    assert_null(s);
    report_asof_set_destroy(&s);  /* NULL-safe */
}

/* A page: ids after the cursor, the cap lowest; an entity pushed out is not taken back by its later
 * events, and more says a next page follows. */
static void test_window(void **state)
{
    (void)state;
    report_asof_set_t *s = report_asof_set_new("R-2", 2, 0);
    assert_non_null(s);
    PUT(s, "R-1", "before the window");
    PUT(s, "R-2", "the cursor itself");
    PUT(s, "R-9", "r9 v1");
    PUT(s, "R-5", "r5 v1");
    assert_false(report_asof_set_more(s));
    PUT(s, "R-4", "r4 v1");  /* pushes R-9 out */
    assert_true(report_asof_set_more(s));
    PUT(s, "R-9", "r9 v2");  /* after the window: dropped */
    PUT(s, "R-5", "r5 v2");
    PUT(s, "R-12", "r12");
    assert_int_equal(report_asof_set_count(s), 2);
    const char *id;
    assert_string_equal(bytes_of(s, 0, &id), "r4 v1");
    assert_string_equal(id, "R-4");
    assert_string_equal(bytes_of(s, 1, &id), "r5 v2");
    assert_string_equal(id, "R-5");
    report_asof_set_destroy(&s);

    /* the next page, after R-5: R-9 as after its last event */
    s = report_asof_set_new("R-5", 2, 0);
    const char *ids[] = {"R-1", "R-9", "R-5", "R-4", "R-9", "R-5", "R-12", NULL};
    const char *vals[] = {"a", "r9 v1", "b", "c", "r9 v2", "d", "r12", NULL};
    for (size_t i = 0; ids[i]; i++)
        PUT(s, ids[i], vals[i]);
    assert_int_equal(report_asof_set_count(s), 2);
    assert_false(report_asof_set_more(s));
    assert_string_equal(bytes_of(s, 0, &id), "r9 v2");
    assert_string_equal(bytes_of(s, 1, &id), "r12");
    report_asof_set_destroy(&s);
}

/* A set that must be whole refuses an entity beyond its bound, and keeps replacing known ones. */
static void test_strict(void **state)
{
    (void)state;
    report_asof_set_t *s = report_asof_set_new(NULL, 2, 1);
    PUT(s, "TP-1", "a");
    PUT(s, "TP-2", "b");
    assert_int_equal(report_asof_set_put(s, "TP-3", "c", 2), -2);
    PUT(s, "TP-1", "a2");
    assert_int_equal(report_asof_set_count(s), 2);
    const char *id;
    assert_string_equal(bytes_of(s, 0, &id), "a2");
    report_asof_set_destroy(&s);
    /* many entities: order and growth */
    s = report_asof_set_new(NULL, 1000, 1);
    char idb[16], v[16];
    for (int i = 999; i >= 0; i--) {
        snprintf(idb, sizeof idb, "C-%d", i);
        snprintf(v, sizeof v, "%d", i);
        PUT(s, idb, v);
    }
    assert_int_equal(report_asof_set_count(s), 1000);
    for (size_t i = 0; i < 1000; i++) {
        snprintf(v, sizeof v, "%zu", i);
        assert_string_equal(bytes_of(s, i, &id), v);
    }
    report_asof_set_destroy(&s);
}

/* Archived at T: out of the register, in the archived one; the filters apply to the state then. */
static void test_archived(void **state)
{
    (void)state;
    Riskline__V1__Risk r = RISKLINE__V1__RISK__INIT;
    Riskline__V1__RiskList q = RISKLINE__V1__RISK_LIST__INIT;
    r.id = "R-1";
    r.owner = "alice";
    r.inherent_level = RISKLINE__V1__LEVEL__LEVEL_HIGH;
    assert_true(report_asof_risk_listed(&r, &q, -1));
    q.archived = 1;
    assert_false(report_asof_risk_listed(&r, &q, -1));
    r.archived = 1;
    assert_true(report_asof_risk_listed(&r, &q, -1));
    q.archived = 0;
    assert_false(report_asof_risk_listed(&r, &q, -1));
    r.archived = 0;
    q.owner = "bob";
    assert_false(report_asof_risk_listed(&r, &q, -1));
    q.owner = "alice";
    q.level = RISKLINE__V1__LEVEL__LEVEL_LOW;
    assert_false(report_asof_risk_listed(&r, &q, -1));
    q.level = RISKLINE__V1__LEVEL__LEVEL_HIGH;
    assert_true(report_asof_risk_listed(&r, &q, -1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_latest_per_id),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_strict),
        cmocka_unit_test(test_archived),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
