/* test_update.c: unit tests of the report's update rules: sequence <-> stream id, topic kinds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequence_round_trip),
        cmocka_unit_test(test_topic_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
