/* test_service_work.c: when the work thread (rl_service_t.work) calls its hook again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rl_service.h"

/* A turn that read everything waits, so that what arrives meanwhile is handled in one turn;
 * one whose budget ran out goes on at once (a backlog is never slowed down). */
static void test_waits_after_reading_all_goes_on_with_a_backlog(void **state)
{
    (void)state;
    assert_int_equal(rl_service_work_wait_ms(0, 0, 0), RL_WORK_WAIT_MS);
    assert_int_equal(rl_service_work_wait_ms(3, 0, 0), RL_WORK_WAIT_MS);
    assert_int_equal(rl_service_work_wait_ms(5000, 1, 0), 0);
    assert_true(RL_WORK_WAIT_MS > 0 && RL_WORK_WAIT_MS <= 100);  /* an entry is correlated soon */
}

/* Stopping: what is held is finished without waiting, and the thread ends once nothing is. */
static void test_stopping_finishes_at_once_then_ends(void **state)
{
    (void)state;
    assert_int_equal(rl_service_work_wait_ms(7, 0, 1), 0);
    assert_int_equal(rl_service_work_wait_ms(7, 1, 1), 0);
    assert_int_equal(rl_service_work_wait_ms(0, 0, 1), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waits_after_reading_all_goes_on_with_a_backlog),
        cmocka_unit_test(test_stopping_finishes_at_once_then_ends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
