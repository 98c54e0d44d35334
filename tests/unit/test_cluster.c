/* test_cluster.c: Redis Cluster routing rules (common/rl_cluster.c): CRC16 and hash slots with
 * hash tags, the routing key of each command the store sends, CLUSTER SLOTS parsing, redirects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rl_cluster.h"

static unsigned slot_of(const char *key) { return rl_cluster_slot(key, strlen(key)); }

/* The values Redis's own documentation gives (CLUSTER KEYSLOT, the cluster spec's CRC16 check). */
static void test_slots(void **state)
{
    (void)state;
    assert_int_equal(rl_cluster_crc16("123456789", 9), 0x31C3);
    assert_int_equal(slot_of("somekey"), 11058);
    assert_int_equal(slot_of("foo{hash_tag}"), 2515);
    assert_int_equal(slot_of("bar{hash_tag}"), 2515);
    assert_int_equal(slot_of("foo"), 12182);
    assert_int_equal(slot_of("bar"), 5061);
    /* the spec's hash tag cases */
    assert_int_equal(slot_of("{user1000}.following"), slot_of("{user1000}.followers"));
    assert_int_equal(slot_of("{user1000}.following"), slot_of("user1000"));
    assert_int_equal(slot_of("foo{}{bar}"), rl_cluster_crc16("foo{}{bar}", 10) & 16383);  /* empty tag: whole key */
    assert_int_equal(slot_of("foo{{bar}}zap"), slot_of("{bar"));
    assert_int_equal(slot_of("foo{bar}{zap}"), slot_of("bar"));
    assert_int_equal(slot_of("{}"), rl_cluster_crc16("{}", 2) & 16383);
    assert_int_equal(slot_of("no{close"), rl_cluster_crc16("no{close", 8) & 16383);
    /* every key of a tenant shares its slot; the tenant directory and key store have their own */
    unsigned acme = slot_of("rl:{acme}:events");
    assert_int_equal(slot_of("rl:{acme}:risk:R-1"), acme);
    assert_int_equal(slot_of("rl:{acme}:req:register:x{y}"), acme);
    assert_int_equal(slot_of("acme"), acme);
    assert_int_not_equal(slot_of("rl:{_sys}:tenants"), slot_of("rl:{_auth}:keys"));
    for (int i = 0; i < 100; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%d", i);
        assert_true(slot_of(key) < 16384);
    }
    /* NUL bytes and high bytes are hashed as data */
    assert_int_not_equal(rl_cluster_slot("a\0b", 3), rl_cluster_slot("a\0c", 3));
    assert_true(slot_of("\xff\xfe{\x80}") == rl_cluster_slot("\x80", 1));
}

static int key_of(int argc, const char *const *argv)
{
    size_t len[16];
    for (int i = 0; i < argc; i++)
        len[i] = strlen(argv[i]);
    return rl_cluster_key_index(argc, argv, len);
}

#define KEY(...) key_of((int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)), \
                        (const char *const[]){__VA_ARGS__})

static void test_key_index(void **state)
{
    (void)state;
    assert_int_equal(KEY("GET", "k"), 1);
    assert_int_equal(KEY("hmget", "k", "a", "b"), 1);
    assert_int_equal(KEY("ZRANGEBYSCORE", "z", "0", "1"), 1);
    assert_int_equal(KEY("EVALSHA", "abc", "3", "k1", "k2", "k3", "x"), 3);
    assert_int_equal(KEY("EVALSHA_RO", "abc", "2", "k1", "k2"), 3);
    assert_int_equal(KEY("eval", "return 1", "1", "k"), 3);
    assert_int_equal(KEY("EVAL", "return 1", "0"), -1);          /* no key: any node */
    assert_int_equal(KEY("EVAL", "return 1", "x", "k"), -1);     /* not a number */
    assert_int_equal(KEY("EVALSHA", "abc"), -1);
    assert_int_equal(KEY("XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS", "s", "0"), 7);
    assert_int_equal(KEY("XREADGROUP", "GROUP", "streams", "c", "STREAMS", "s", ">"), 3);  /* a group named streams */
    assert_int_equal(KEY("XREAD", "COUNT", "1", "streams", "s", "0"), 4);
    assert_int_equal(KEY("XREAD", "COUNT", "1"), -1);
    assert_int_equal(KEY("XINFO", "GROUPS", "s"), 2);
    assert_int_equal(KEY("XINFO", "HELP"), -1);
    assert_int_equal(KEY("XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"), 2);
    assert_int_equal(KEY("XACK", "s", "g", "1-0"), 1);
    assert_int_equal(KEY("PING"), -1);
    assert_int_equal(KEY("WAIT", "1", "100"), -1);
    assert_int_equal(KEY("SCRIPT", "LOAD", "return 1"), -1);
    assert_int_equal(KEY("cluster", "slots"), -1);
    assert_int_equal(KEY("ROLE"), -1);
    assert_int_equal(KEY("GET"), -1);
    assert_int_equal(rl_cluster_key_index(0, NULL, NULL), -1);
}

/* [first, last, [host, port, id], [replica host, port, id]] */
static rl_val_t v_int(long long i) { return (rl_val_t){.type = RL_VAL_INT, .i = i}; }
static rl_val_t v_str(const char *s) { return (rl_val_t){.type = RL_VAL_STR, .s = s, .len = strlen(s)}; }
static rl_val_t v_arr(const rl_val_t *e, size_t n) { return (rl_val_t){.type = RL_VAL_ARR, .elem = e, .n = n}; }

static void test_parse_slots(void **state)
{
    (void)state;
    rl_val_t m1[3] = {v_str("127.0.0.1"), v_int(7001), v_str("id1")};
    rl_val_t r1[3] = {v_str("10.0.0.9"), v_int(7004), v_str("id4")};
    rl_val_t m2[3] = {v_str(""), v_int(7002), v_str("id2")};
    rl_val_t m3[4] = {v_str("?"), v_int(7003), v_str("id3"), v_arr(NULL, 0)};
    rl_val_t e1[4] = {v_int(0), v_int(5460), v_arr(m1, 3), v_arr(r1, 3)};
    rl_val_t e2[3] = {v_int(5461), v_int(10922), v_arr(m2, 3)};
    rl_val_t e3[3] = {v_int(10923), v_int(16383), v_arr(m3, 4)};
    rl_val_t ranges[3] = {v_arr(e1, 4), v_arr(e2, 3), v_arr(e3, 3)};
    rl_val_t reply = v_arr(ranges, 3);
    rl_cluster_range_t out[4];
    size_t n = 99;
    assert_int_equal(rl_cluster_parse_slots(&reply, out, 4, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(out[0].first, 0);
    assert_int_equal(out[0].last, 5460);
    assert_string_equal(out[0].host, "127.0.0.1");
    assert_int_equal(out[0].port, 7001);           /* the master, not the replica */
    assert_string_equal(out[1].host, "");          /* unknown address */
    assert_int_equal(out[1].port, 7002);
    assert_string_equal(out[2].host, "");
    assert_int_equal(out[2].last, 16383);
    /* too many ranges for out */
    assert_int_equal(rl_cluster_parse_slots(&reply, out, 2, &n), -1);
    /* an empty cluster (no slots assigned yet) parses to nothing */
    rl_val_t none = v_arr(NULL, 0);
    assert_int_equal(rl_cluster_parse_slots(&none, out, 4, &n), 0);
    assert_int_equal(n, 0);
    /* hostile shapes */
    rl_val_t bad_last[3] = {v_int(10), v_int(16384), v_arr(m1, 3)};
    rl_val_t bad_order[3] = {v_int(10), v_int(9), v_arr(m1, 3)};
    rl_val_t bad_port_m[3] = {v_str("h"), v_int(0), v_str("id")};
    rl_val_t bad_port[3] = {v_int(0), v_int(1), v_arr(bad_port_m, 3)};
    rl_val_t str_first[3] = {v_str("0"), v_int(1), v_arr(m1, 3)};
    rl_val_t short_m[1] = {v_str("h")};
    rl_val_t no_port[3] = {v_int(0), v_int(1), v_arr(short_m, 1)};
    rl_val_t *bads[] = {bad_last, bad_order, bad_port, str_first, no_port};
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        rl_val_t one = v_arr(bads[i], 3), wrap = v_arr(&one, 1);
        assert_int_equal(rl_cluster_parse_slots(&wrap, out, 4, &n), -1);
    }
    rl_val_t err = {.type = RL_VAL_ERR, .s = "ERR This instance has cluster support disabled", .len = 46};
    assert_int_equal(rl_cluster_parse_slots(&err, out, 4, &n), -1);
    assert_int_equal(rl_cluster_parse_slots(NULL, out, 4, &n), -1);
}

static void test_redirect(void **state)
{
    (void)state;
    int ask = -1, port = 0;
    unsigned slot = 0;
    char host[64];
    assert_int_equal(rl_cluster_redirect("MOVED 3999 127.0.0.1:6381", &ask, &slot, host, sizeof host, &port), 0);
    assert_int_equal(ask, 0);
    assert_int_equal(slot, 3999);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 6381);
    assert_int_equal(rl_cluster_redirect("ASK 16383 redis-2.redis:7000", &ask, &slot, host, sizeof host, &port), 0);
    assert_int_equal(ask, 1);
    assert_int_equal(slot, 16383);
    assert_string_equal(host, "redis-2.redis");
    assert_int_equal(rl_cluster_redirect("MOVED 12 :7005", &ask, &slot, host, sizeof host, &port), 0);
    assert_string_equal(host, "");
    assert_int_equal(port, 7005);
    assert_int_equal(rl_cluster_redirect("MOVED 1 ::1:7005", &ask, &slot, host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    const char *bad[] = {"ERR MOVED 1 h:1", "MOVED", "MOVED 16384 h:1", "MOVED x h:1", "MOVED 1 h", "MOVED 1 h:0",
                         "MOVED 1 h:1 extra", "ASK 1 h:70000", "MOVED 1  h:1", "MOVED -1 h:1", "MOVED 1 :", "TRYAGAIN",
                         "CROSSSLOT Keys in request don't hash to the same slot", "MOVED 1 h$:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(rl_cluster_redirect(bad[i], &ask, &slot, host, sizeof host, &port), -1);
    char tiny[4];
    assert_int_equal(rl_cluster_redirect("MOVED 1 longhost:1", &ask, &slot, tiny, sizeof tiny, &port), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots),
        cmocka_unit_test(test_key_index),
        cmocka_unit_test(test_parse_slots),
        cmocka_unit_test(test_redirect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
