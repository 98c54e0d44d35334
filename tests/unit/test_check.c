/* test_check.c: the text check every free-text field passes (common/rl_check.c), word at a time,
 * against a byte-at-a-time reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rl_check.h"
#include "rl_ids.h"

/* What rl_check_text must say of s (no limits in the way): the byte of the first control
 * character a text may not hold, -2 for text that is not UTF-8, -1 for text that passes. */
static long reference(const char *s, int multiline)
{
    size_t n = strlen(s);
    int high = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        high |= c >= 0x80;
        if ((c < 0x20 || c == 0x7f) && !(multiline && (c == '\n' || c == '\t')))
            return (long)i;
    }
    return high && !rl_utf8_valid(s, n) ? -2 : -1;
}

static void expect_as_reference(const char *s, int multiline)
{
    rl_error_t err;
    rl_error_clear(&err);
    long want = reference(s, multiline);
    rl_err_t rc = rl_check_text(s, 0, 4096, multiline, "summary", &err);
    if (want == -1) {
        if (rc != RL_OK)
            fail_msg("refused a valid text of %zu bytes: %s", strlen(s), err.message);
        return;
    }
    assert_int_equal(rc, RL_ERR_INVALID);
    assert_string_equal(err.field, "summary");
    char msg[96];
    if (want == -2)
        snprintf(msg, sizeof msg, "is not valid UTF-8");
    else
        snprintf(msg, sizeof msg, "contains a control character at byte %ld", want);
    assert_string_equal(err.message, msg);
}

/* Every byte value at every place of a text around a word's size, alone and after a newline. */
static void test_each_byte_at_each_place(void **state)
{
    (void)state;
    char s[40];
    for (size_t len = 1; len < 34; len++)
        for (size_t at = 0; at < len; at++)
            for (int c = 1; c < 256; c++) {
                memset(s, 'a', len);
                s[len] = '\0';
                s[at] = (char)c;
                expect_as_reference(s, 0);
                expect_as_reference(s, 1);
                if (at > 0) {
                    s[at - 1] = '\n';  /* an allowed newline before it, in the same word */
                    expect_as_reference(s, 1);
                }
            }
}

/* Random texts mixing ASCII, control characters, tabs, newlines, DEL and UTF-8 (valid or cut). */
static void test_random_texts(void **state)
{
    (void)state;
    static const char *const parts[] = {"a", "Z", " ", "~", "\n", "\t", "\x01", "\x1f", "\x7f", "\xc3\xa9",
                                        "\xe2\x82\xac", "\xf0\x9f\x94\x92", "\xc3", "\x80", "\xff", "0123456789"};
    unsigned seed = 12345;
    char s[256];
    for (int round = 0; round < 20000; round++) {
        size_t len = 0, parts_n = (size_t)(rand_r(&seed) % 24);
        for (size_t k = 0; k < parts_n; k++) {
            const char *p = parts[rand_r(&seed) % (sizeof parts / sizeof parts[0])];
            size_t pl = strlen(p);
            if (len + pl >= sizeof s)
                break;
            memcpy(s + len, p, pl);
            len += pl;
        }
        s[len] = '\0';
        expect_as_reference(s, 0);
        expect_as_reference(s, 1);
    }
}

static void test_limits(void **state)
{
    (void)state;
    rl_error_t err;
    rl_error_clear(&err);
    assert_int_equal(rl_check_text("", 1, 10, 0, "source", &err), RL_ERR_INVALID);
    assert_string_equal(err.message, "is required");
    assert_int_equal(rl_check_text(NULL, 0, 10, 0, "source", &err), RL_OK);
    assert_int_equal(rl_check_text("0123456789a", 0, 10, 0, "source", &err), RL_ERR_INVALID);
    assert_string_equal(err.message, "is 11 bytes, over the limit of 10");
    assert_int_equal(rl_check_text("0123456789", 0, 10, 0, "source", &err), RL_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_byte_at_each_place),
        cmocka_unit_test(test_random_texts),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
