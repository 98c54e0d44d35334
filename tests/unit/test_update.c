/* test_update.c: unit tests of the report's update rules: sequence <-> stream id, topic kinds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "riskline/v1/risk.pb-c.h"
#include "update.h"

static void test_sequence_round_trip(void **state)
{
    (void)state;
    char buf[48];
    uint64_t a = update_sequence("1764000000000-0"), b = update_sequence("1764000000000-1"),
             c = update_sequence("1764000000001-0");
    assert_true(a > 0);
    assert_true(b > a);  /* rises with the stream */
    assert_true(c > b);
    assert_string_equal(update_stream_id(b, buf, sizeof buf), "1764000000000-1");
    assert_string_equal(update_stream_id(c, buf, sizeof buf), "1764000000001-0");
    assert_int_equal(update_sequence("1764000000000-1048575"), ((uint64_t)1764000000000 << 20) | 1048575);
    /* what is not a stream id, or does not fit, has no sequence */
    assert_int_equal(update_sequence("1764000000000-1048576"), 0);
    assert_int_equal(update_sequence(""), 0);
    assert_int_equal(update_sequence("-1-0"), 0);
    assert_int_equal(update_sequence("12"), 0);
    assert_int_equal(update_sequence("12-x"), 0);
    assert_int_equal(update_sequence("12-3x"), 0);
    assert_int_equal(update_sequence(NULL), 0);
}

static void test_topic_kind(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(update_topic_kind("plan.approve", buf, sizeof buf), "plan");
    assert_string_equal(update_topic_kind("risk.created", buf, sizeof buf), "risk");
    assert_string_equal(update_topic_kind("acceptance.recorded", buf, sizeof buf), "acceptance");
    assert_string_equal(update_topic_kind("nodot", buf, sizeof buf), "event");
    assert_string_equal(update_topic_kind(".x", buf, sizeof buf), "event");
    assert_string_equal(update_topic_kind("Bad.x", buf, sizeof buf), "event");
    assert_string_equal(update_topic_kind(NULL, buf, sizeof buf), "event");
}

static void test_update_of_event(void **state)
{
    (void)state;
    Riskline__V1__DomainEvent ev = RISKLINE__V1__DOMAIN_EVENT__INIT;
    ev.kind = "plan.approve";
    ev.entity_type = "plan";
    ev.entity_id = "TP-3";
    ev.actor = "ann";
    ev.at_ms = 1764000000123;
    uint8_t buf[256];
    size_t len = riskline__v1__domain_event__pack(&ev, buf);
    rl_arena_t *a = rl_arena_new(0);
    Riskline__V1__Update *u = NULL;
    rl_error_t err;
    uint64_t prev = update_sequence("1764000000000-4");
    assert_int_equal(update_from_event("acme", "1764000000123-0", prev, buf, len, a, &u, &err), RL_OK);
    assert_true(u->sequence == update_sequence("1764000000123-0"));
    assert_true(u->previous_sequence == prev);  /* what a subscriber checks its position against */
    assert_string_equal(u->kind, "plan");
    assert_string_equal(u->event, "plan.approve");
    assert_string_equal(u->entity_type, "plan");
    assert_string_equal(u->entity_id, "TP-3");
    assert_string_equal(u->actor, "ann");
    assert_string_equal(u->tenant, "acme");
    assert_true(u->at_ms == 1764000000123);
    /* bytes that are not an event */
    const uint8_t junk[] = {0xff, 0xff, 0xff};
    assert_int_equal(update_from_event("acme", "1-0", 0, junk, sizeof junk, a, &u, &err), RL_ERR_MALFORMED);
    rl_arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequence_round_trip),
        cmocka_unit_test(test_topic_kind),
        cmocka_unit_test(test_update_of_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
