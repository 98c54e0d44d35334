/* test_watch_seq.c: unit tests of `riskline watch`'s rules: print, drop or catch up before a live
 * update (sequences are stream positions with gaps), kind filters, the state file's text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cli_watch_seq.h"

/* positions as the report makes them: ms << 20 | n */
#define SEQ(ms, n) (((uint64_t)(ms) << 20) | (uint64_t)(n))

static void test_next_update_is_printed(void **state)
{
    (void)state;
    /* not dense: 100-0 follows 90-3, and its previous_sequence says so */
    assert_int_equal(cli_watch_decide(1, SEQ(90, 3), SEQ(100, 0), SEQ(90, 3)), CLI_WATCH_PRINT);
    assert_int_equal(cli_watch_decide(1, SEQ(100, 0), SEQ(100, 1), SEQ(100, 0)), CLI_WATCH_PRINT);
    /* --since a position between two entries: nothing lies between it and the next one */
    assert_int_equal(cli_watch_decide(1, SEQ(95, 0), SEQ(100, 0), SEQ(90, 3)), CLI_WATCH_PRINT);
    /* the very first update of a stream */
    assert_int_equal(cli_watch_decide(1, 0, SEQ(100, 0), 0), CLI_WATCH_PRINT);
}

static void test_duplicates_are_dropped(void **state)
{
    (void)state;
    /* the catch-up printed it already, or a second replica published it too */
    assert_int_equal(cli_watch_decide(1, SEQ(100, 1), SEQ(100, 1), SEQ(100, 0)), CLI_WATCH_DROP);
    assert_int_equal(cli_watch_decide(1, SEQ(100, 5), SEQ(100, 1), SEQ(100, 0)), CLI_WATCH_DROP);
    /* an old update whose predecessor is beyond us too: still old, dropped, no catch-up */
    assert_int_equal(cli_watch_decide(1, SEQ(200, 0), SEQ(150, 0), SEQ(149, 0)), CLI_WATCH_DROP);
}

static void test_gap_asks_for_catch_up(void **state)
{
    (void)state;
    /* the update before 100-2 is 100-1, which we have not accounted for */
    assert_int_equal(cli_watch_decide(1, SEQ(100, 0), SEQ(100, 2), SEQ(100, 1)), CLI_WATCH_CATCH_UP);
    /* one position past ours is already a gap */
    assert_int_equal(cli_watch_decide(1, SEQ(100, 0), SEQ(300, 0), SEQ(100, 0) + 1), CLI_WATCH_CATCH_UP);
    /* from the start of the stream, an update that is not the first */
    assert_int_equal(cli_watch_decide(1, 0, SEQ(100, 1), SEQ(100, 0)), CLI_WATCH_CATCH_UP);
}

static void test_without_position(void **state)
{
    (void)state;
    /* no --since, no state, nothing seen: the first live update starts the watch */
    assert_int_equal(cli_watch_decide(0, 0, SEQ(100, 2), SEQ(100, 1)), CLI_WATCH_PRINT);
}

static void test_impossible_updates_dropped(void **state)
{
    (void)state;
    assert_int_equal(cli_watch_decide(1, 0, 0, 0), CLI_WATCH_DROP);
    assert_int_equal(cli_watch_decide(0, 0, 0, 0), CLI_WATCH_DROP);
    /* previous not below sequence: not from a stream */
    assert_int_equal(cli_watch_decide(1, SEQ(1, 0), SEQ(100, 0), SEQ(100, 0)), CLI_WATCH_DROP);
    assert_int_equal(cli_watch_decide(0, 0, SEQ(100, 0), SEQ(200, 0)), CLI_WATCH_DROP);
}

static void test_kinds(void **state)
{
    (void)state;
    assert_true(cli_watch_kind_valid("risk"));
    assert_true(cli_watch_kind_valid("risk_event"));
    assert_true(cli_watch_kind_valid("abcdefghijklmnopqrstuvwxyzabcde"));   /* 31 */
    assert_false(cli_watch_kind_valid("abcdefghijklmnopqrstuvwxyzabcdef")); /* 32 */
    assert_false(cli_watch_kind_valid(""));
    assert_false(cli_watch_kind_valid("Risk"));
    assert_false(cli_watch_kind_valid("risk."));
    assert_false(cli_watch_kind_valid("ri*"));
    const char *const kinds[] = {"risk", "plan"};
    assert_true(cli_watch_kind_selected(kinds, 2, "plan"));
    assert_false(cli_watch_kind_selected(kinds, 2, "planx"));
    assert_false(cli_watch_kind_selected(kinds, 2, "pla"));
    assert_true(cli_watch_kind_selected(kinds, 0, "alert"));  /* no filter */
}

static void test_state_text(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(cli_watch_parse_seq("1849000000000000001\n", 20, &v), 0);
    assert_true(v == 1849000000000000001ULL);
    assert_int_equal(cli_watch_parse_seq("0", 1, &v), 0);
    assert_true(v == 0);
    assert_int_equal(cli_watch_parse_seq("18446744073709551615", 20, &v), 0);
    assert_true(v == UINT64_MAX);
    v = 7;
    assert_int_equal(cli_watch_parse_seq("18446744073709551616", 20, &v), -1);  /* overflow */
    assert_int_equal(cli_watch_parse_seq("", 0, &v), -1);
    assert_int_equal(cli_watch_parse_seq("\n", 1, &v), -1);
    assert_int_equal(cli_watch_parse_seq("12 \n", 4, &v), -1);
    assert_int_equal(cli_watch_parse_seq("-1", 2, &v), -1);
    assert_int_equal(cli_watch_parse_seq("12\n\n", 4, &v), -1);
    assert_int_equal(cli_watch_parse_seq("1x", 2, &v), -1);
    assert_true(v == 7);  /* untouched on failure */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_update_is_printed), cmocka_unit_test(test_duplicates_are_dropped),
        cmocka_unit_test(test_gap_asks_for_catch_up),  cmocka_unit_test(test_without_position),
        cmocka_unit_test(test_impossible_updates_dropped), cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_state_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
