/* test_ids.c: entity ids ("R-42"), tenants and request ids (common/rl_ids.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rl_ids.h"
#include "rl_limits.h"

static void assert_id_rejected(const char *prefix, const char *s)
{
    uint64_t n = 777;
    if (rl_entity_id_parse(prefix, s, &n) != -1)
        fail_msg("accepted \"%s\" with prefix \"%s\"", s ? s : "(null)", prefix);
    assert_int_equal(n, 777);
}

static void test_entity_id_parse_ok(void **state)
{
    (void)state;
    uint64_t n = 0;
    assert_int_equal(rl_entity_id_parse("R", "R-42", &n), 0);
    assert_int_equal(n, 42);
    assert_int_equal(rl_entity_id_parse("R", "R-1", &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rl_entity_id_parse("R", "R-9007199254740992", &n), 0); /* 2^53 */
    assert_int_equal(n, 9007199254740992ULL);
    assert_int_equal(rl_entity_id_parse("TP", "TP-7", &n), 0);
    assert_int_equal(n, 7);
}

static void test_entity_id_parse_rejects(void **state)
{
    (void)state;
    assert_id_rejected("R", "R-0");
    assert_id_rejected("R", "R-042");
    assert_id_rejected("R", "R-");
    assert_id_rejected("R", "R");
    assert_id_rejected("R", "X-1");
    assert_id_rejected("R", "r-1");
    assert_id_rejected("R", "R-1a");
    assert_id_rejected("R", "R--1");
    assert_id_rejected("R", "R-+1");
    assert_id_rejected("R", "R- 1");
    assert_id_rejected("R", "R-1 ");
    assert_id_rejected("R", "R_1");
    assert_id_rejected("R", "RR-1");
    assert_id_rejected("R", "R-12345678901234567");  /* 17 digits */
    assert_id_rejected("R", "R-99999999999999999"); /* 17 digits */
    assert_id_rejected("R", "R-9007199254740993");  /* 2^53 + 1 */
    assert_id_rejected("R", "R-9999999999999999");  /* 16 digits, above 2^53 */
    assert_id_rejected("R", "");
    assert_id_rejected("R", NULL);
    assert_id_rejected("TP", "R-1");
}

static void test_entity_id_format(void **state)
{
    (void)state;
    char buf[RL_MAX_ENTITY_ID];
    assert_string_equal(rl_entity_id_format("R", 42, buf, sizeof buf), "R-42");
    assert_string_equal(rl_entity_id_format("R", 9007199254740992ULL, buf, sizeof buf), "R-9007199254740992");
    /* truncates within the given size rather than overflowing */
    char small[4];
    rl_entity_id_format("R", 12345, small, sizeof small);
    assert_string_equal(small, "R-1");
    /* format and parse agree */
    for (uint64_t v = 1; v < 2000000; v = v * 3 + 1) {
        uint64_t back = 0;
        assert_int_equal(rl_entity_id_parse("R", rl_entity_id_format("R", v, buf, sizeof buf), &back), 0);
        assert_int_equal(back, v);
    }
}

static void test_tenant_valid(void **state)
{
    (void)state;
    assert_true(rl_tenant_valid("default"));
    assert_true(rl_tenant_valid("acme-eu_1"));
    assert_true(rl_tenant_valid("a"));
    assert_true(rl_tenant_valid("0tenant"));
    assert_true(rl_tenant_valid("abcdefghijklmnopqrstuvwxyz012345")); /* 32 */

    assert_false(rl_tenant_valid(""));
    assert_false(rl_tenant_valid(NULL));
    assert_false(rl_tenant_valid("Bad Tenant!"));
    assert_false(rl_tenant_valid("-x"));
    assert_false(rl_tenant_valid("_x"));
    assert_false(rl_tenant_valid("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
    assert_false(rl_tenant_valid("Default"));
    assert_false(rl_tenant_valid("ACME"));
    assert_false(rl_tenant_valid("acme.eu"));
    assert_false(rl_tenant_valid("acme eu"));
    assert_false(rl_tenant_valid("acme{x}"));  /* would break the Redis hash tag */
    assert_false(rl_tenant_valid("acme:eu"));  /* would break the key layout */
    assert_false(rl_tenant_valid("\xc3\xa9t\xc3\xa9"));
}

static void test_request_id_valid(void **state)
{
    (void)state;
    char max[RL_MAX_REQUEST_ID + 2];
    memset(max, 'a', sizeof max);
    max[RL_MAX_REQUEST_ID] = '\0';

    assert_true(rl_request_id_valid("a"));
    assert_true(rl_request_id_valid("Req-1.retry_2"));
    assert_true(rl_request_id_valid("0123456789abcdef0123456789ABCDEF"));
    assert_true(rl_request_id_valid(max)); /* 64 */
    max[RL_MAX_REQUEST_ID] = 'a';
    max[RL_MAX_REQUEST_ID + 1] = '\0';
    assert_false(rl_request_id_valid(max)); /* 65 */
    assert_false(rl_request_id_valid(""));
    assert_false(rl_request_id_valid(NULL));
    assert_false(rl_request_id_valid("a b"));
    assert_false(rl_request_id_valid("a/b"));
    assert_false(rl_request_id_valid("a:b"));
    assert_false(rl_request_id_valid("id\n"));
    assert_false(rl_request_id_valid("\xc3\xa9"));
}

static int all_lower_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

static void test_request_id_new(void **state)
{
    (void)state;
    char a[RL_REQUEST_ID_LEN], b[RL_REQUEST_ID_LEN];
    memset(a, 'X', sizeof a);
    memset(b, 'X', sizeof b);
    assert_int_equal(rl_request_id_new(a), 0);
    assert_int_equal(rl_request_id_new(b), 0);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strlen(b), 32);
    assert_true(all_lower_hex(a));
    assert_true(all_lower_hex(b));
    assert_string_not_equal(a, b);
    assert_true(rl_request_id_valid(a));
    /* 128 random bits: across 64 ids every hex digit shows up */
    unsigned seen = 0;
    for (int i = 0; i < 64; i++) {
        assert_int_equal(rl_request_id_new(a), 0);
        for (int k = 0; k < 32; k++)
            seen |= 1u << (a[k] <= '9' ? a[k] - '0' : a[k] - 'a' + 10);
    }
    assert_int_equal(seen, 0xffffu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entity_id_parse_ok),
        cmocka_unit_test(test_entity_id_parse_rejects),
        cmocka_unit_test(test_entity_id_format),
        cmocka_unit_test(test_tenant_valid),
        cmocka_unit_test(test_request_id_valid),
        cmocka_unit_test(test_request_id_new),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
