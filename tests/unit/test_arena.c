/* test_arena.c: the per-request bump allocator and its protobuf-c allocator (common/rl_arena.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rl_arena.h"
#include "rl_codec.h"

#define ALIGN _Alignof(max_align_t)
#define GRAIN sizeof(max_align_t) /* sizes are rounded up to a multiple of this */

static int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

static void test_new_destroy(void **state)
{
    (void)state;
    rl_arena_t *a = rl_arena_new(0);
    assert_non_null(a);
    assert_int_equal(rl_arena_used(a), 0);
    rl_arena_destroy(&a);
    assert_null(a);
    rl_arena_destroy(&a); /* destroying NULL is harmless */
    assert_null(a);
}

static void test_alloc_zeroed_aligned_disjoint(void **state)
{
    (void)state;
    rl_arena_t *a = rl_arena_new(0);
    enum { N = 2000 };
    unsigned char *ptrs[N];
    size_t sizes[N];
    for (size_t i = 0; i < N; i++) {
        sizes[i] = (i * 37) % 301 + 1; /* 1..301 bytes, crosses many chunk boundaries */
        ptrs[i] = rl_arena_alloc(a, sizes[i]);
        assert_non_null(ptrs[i]);
        assert_int_equal((uintptr_t)ptrs[i] % ALIGN, 0);
        assert_true(all_zero(ptrs[i], sizes[i]));
        memset(ptrs[i], (int)(i & 0xff), sizes[i]);
    }
    /* nothing overwrote anything else */
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < sizes[i]; k++)
            if (ptrs[i][k] != (unsigned char)(i & 0xff))
                fail_msg("allocation %zu byte %zu was overwritten", i, k);
    assert_true(rl_arena_used(a) >= N);

    /* zero-size requests still give a distinct, aligned pointer */
    void *z1 = rl_arena_alloc(a, 0), *z2 = rl_arena_alloc(a, 0);
    assert_non_null(z1);
    assert_non_null(z2);
    assert_ptr_not_equal(z1, z2);
    assert_int_equal((uintptr_t)z1 % ALIGN, 0);

    /* a block larger than any chunk */
    unsigned char *big = rl_arena_alloc(a, 3 * 1024 * 1024 + 5);
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % ALIGN, 0);
    assert_true(all_zero(big, 3 * 1024 * 1024 + 5));
    big[3 * 1024 * 1024 + 4] = 1;
    rl_arena_destroy(&a);
}

static void test_used_accounting(void **state)
{
    (void)state;
    rl_arena_t *a = rl_arena_new(0);
    assert_non_null(rl_arena_alloc(a, 1));
    size_t u1 = rl_arena_used(a);
    assert_true(u1 >= 1 && u1 <= GRAIN);
    assert_non_null(rl_arena_alloc(a, 100));
    assert_true(rl_arena_used(a) >= u1 + 100);
    assert_true(rl_arena_used(a) <= u1 + 100 + GRAIN);
    rl_arena_destroy(&a);
}

static void test_strings(void **state)
{
    (void)state;
    rl_arena_t *a = rl_arena_new(0);
    const char *src = "risk owner";
    char *s = rl_arena_strdup(a, src);
    assert_string_equal(s, "risk owner");
    assert_ptr_not_equal(s, src);
    assert_string_equal(rl_arena_strdup(a, NULL), "");
    assert_string_equal(rl_arena_strdup(a, ""), "");
    assert_string_equal(rl_arena_strndup(a, "hello world", 5), "hello");
    assert_string_equal(rl_arena_strndup(a, "hi", 0), "");
    /* strndup copies exactly n bytes, even past an embedded NUL it is not asked to look for */
    char *nd = rl_arena_strndup(a, "ab\0cd", 5);
    assert_memory_equal(nd, "ab\0cd\0", 6);

    assert_string_equal(rl_arena_printf(a, "%s-%d", "R", 42), "R-42");
    assert_string_equal(rl_arena_printf(a, "%s", ""), "");
    assert_string_equal(rl_arena_printf(a, "%05.1f|%x|%c", 3.14159, 255u, 'z'), "003.1|ff|z");

    /* long output (bigger than a chunk) is not truncated */
    char *long_src = malloc(100001);
    assert_non_null(long_src);
    memset(long_src, 'q', 100000);
    long_src[100000] = '\0';
    char *p = rl_arena_printf(a, "<%s>", long_src);
    assert_non_null(p);
    assert_int_equal(strlen(p), 100002);
    assert_int_equal(p[0], '<');
    assert_int_equal(p[100001], '>');
    char *d = rl_arena_strdup(a, long_src);
    assert_string_equal(d, long_src);
    free(long_src);
    rl_arena_destroy(&a);
}

static void test_reset_reuses(void **state)
{
    (void)state;
    rl_arena_t *a = rl_arena_new(0);
    unsigned char *p1 = rl_arena_alloc(a, 256);
    memset(p1, 0xab, 256);
    char *s1 = rl_arena_strdup(a, "before reset");
    assert_true(rl_arena_used(a) >= 256 + 13);
    rl_arena_reset(a);
    assert_int_equal(rl_arena_used(a), 0);
    /* the same memory is handed out again, zeroed */
    unsigned char *p2 = rl_arena_alloc(a, 256);
    assert_ptr_equal(p2, p1);
    assert_true(all_zero(p2, 256));
    char *s2 = rl_arena_strdup(a, "after");
    assert_ptr_equal(s2, s1);
    assert_string_equal(s2, "after");

    /* reset after growing past several chunks keeps working */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 500; i++)
            assert_non_null(rl_arena_alloc(a, 1000));
        assert_true(rl_arena_used(a) >= 500000);
        rl_arena_reset(a);
        assert_int_equal(rl_arena_used(a), 0);
    }
    /* reset of a fresh arena is harmless */
    rl_arena_t *b = rl_arena_new(0);
    rl_arena_reset(b);
    assert_int_equal(rl_arena_used(b), 0);
    assert_non_null(rl_arena_alloc(b, 8));
    rl_arena_destroy(&b);
    rl_arena_destroy(&a);
}

static void test_cap(void **state)
{
    (void)state;
    rl_arena_t *a = rl_arena_new(1024);
    assert_non_null(rl_arena_alloc(a, 960)); /* a multiple of any sane grain */
    assert_int_equal(rl_arena_used(a), 960);
    assert_null(rl_arena_alloc(a, 100));
    assert_int_equal(rl_arena_used(a), 960); /* a refused request takes nothing */
    assert_null(rl_arena_strdup(a, "this string does not fit into the remaining 64 bytes of the arena"));
    assert_null(rl_arena_printf(a, "%0100d", 1));
    assert_int_equal(rl_arena_used(a), 960);
    /* what still fits is granted, up to the cap exactly */
    assert_non_null(rl_arena_alloc(a, 64));
    assert_int_equal(rl_arena_used(a), 1024);
    assert_null(rl_arena_alloc(a, 1));
    /* a reset gives the budget back */
    rl_arena_reset(a);
    assert_non_null(rl_arena_alloc(a, 1024));
    assert_null(rl_arena_alloc(a, 1));
    rl_arena_destroy(&a);

    /* a request above the cap is refused outright */
    rl_arena_t *b = rl_arena_new(4096);
    assert_null(rl_arena_alloc(b, 4097));
    assert_int_equal(rl_arena_used(b), 0);
    rl_arena_destroy(&b);

    /* default cap: 64 MiB */
    rl_arena_t *c = rl_arena_new(0);
    assert_null(rl_arena_alloc(c, (size_t)64 * 1024 * 1024 + 1));
    assert_int_equal(rl_arena_used(c), 0);
    rl_arena_destroy(&c);
}

/* rl_arena_alloc rounds size up with (size + align - 1) / align * align before checking the cap.
 * For sizes within `align` of SIZE_MAX that wraps to 0, then becomes `align`, and a 16-byte block is
 * returned for a request of ~SIZE_MAX bytes. rl_arena_strndup(a, s, SIZE_MAX) then writes p[SIZE_MAX]. */
static void test_cap_huge_request(void **state)
{
    (void)state;
    rl_arena_t *a = rl_arena_new(1024);
    assert_null(rl_arena_alloc(a, SIZE_MAX / 2));
    assert_null(rl_arena_alloc(a, SIZE_MAX - 3));
    assert_null(rl_arena_alloc(a, SIZE_MAX));
    assert_int_equal(rl_arena_used(a), 0);
    rl_arena_destroy(&a);
}

static void test_protobuf_allocator(void **state)
{
    (void)state;
    /* pack a Risk with plain memory */
    Riskline__V1__Rating inh = RISKLINE__V1__RATING__INIT;
    inh.likelihood = 5;
    inh.impact = 4;
    char *assets[] = {"a1", "a2", "a3"};
    Riskline__V1__Risk risk = RISKLINE__V1__RISK__INIT;
    risk.id = "R-9";
    risk.title = "Ransomware on file servers";
    risk.owner = "bob";
    risk.inherent = &inh;
    risk.n_assets = 3;
    risk.assets = assets;
    size_t len = protobuf_c_message_get_packed_size(&risk.base);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    assert_int_equal(protobuf_c_message_pack(&risk.base, buf), len);

    rl_arena_t *a = rl_arena_new(0);
    ProtobufCAllocator *pb = rl_arena_pb(a);
    assert_non_null(pb);
    assert_ptr_equal(rl_arena_pb(a), pb);
    Riskline__V1__Risk *out = riskline__v1__risk__unpack(pb, len, buf);
    assert_non_null(out);
    assert_true(rl_arena_used(a) > sizeof *out);
    assert_string_equal(out->id, "R-9");
    assert_string_equal(out->title, "Ransomware on file servers");
    assert_string_equal(out->owner, "bob");
    assert_int_equal(out->n_assets, 3);
    assert_string_equal(out->assets[2], "a3");
    assert_int_equal(out->inherent->likelihood, 5);
    assert_int_equal(out->inherent->impact, 4);
    /* the decoded message owns no malloc memory: its strings live in the arena and survive the
     * input buffer; freeing through the arena allocator is a no-op */
    memset(buf, 0, len);
    assert_string_equal(out->title, "Ransomware on file servers");
    riskline__v1__risk__free_unpacked(out, pb);
    size_t used = rl_arena_used(a);
    assert_non_null(rl_arena_alloc(a, 8));
    assert_true(rl_arena_used(a) > used);

    /* an arena too small for the decoded message makes unpack fail cleanly */
    protobuf_c_message_pack(&risk.base, buf);
    rl_arena_t *tiny = rl_arena_new(64);
    assert_null(riskline__v1__risk__unpack(rl_arena_pb(tiny), len, buf));
    rl_arena_destroy(&tiny);

    /* the codec helpers go through the same allocator */
    rl_arena_reset(a);
    size_t len2 = 0;
    uint8_t *packed = rl_codec_pack(&risk.base, a, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(packed, buf, len);
    Riskline__V1__Risk *again = rl_codec_unpack(&riskline__v1__risk__descriptor, packed, len2, len2, a);
    assert_non_null(again);
    assert_string_equal(again->title, "Ransomware on file servers");
    free(buf);
    rl_arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_destroy),
        cmocka_unit_test(test_alloc_zeroed_aligned_disjoint),
        cmocka_unit_test(test_used_accounting),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_reset_reuses),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_cap_huge_request),
        cmocka_unit_test(test_protobuf_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
