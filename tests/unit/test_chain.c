/* test_chain.c: the audit chain (common/rl_chain.c): field appending, hashing, head signatures and
 * every verdict of the verifier on hand-built chains. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "rl_chain.h"
#include "rl_codec.h"
#include "rl_sha256.h"

#define MAXN 64
#define TENANT "acme"

typedef struct {
    char id[32];
    uint8_t bytes[512];
    size_t len;
    uint8_t h[RL_CHAIN_HASH_LEN];
} ent_t;

typedef struct {
    ent_t e[MAXN];
    size_t n;
    uint8_t pub[RL_CHAIN_PUB_LEN], sec[RL_CHAIN_SECRET_LEN];
    uint8_t sig[RL_CHAIN_SIG_LEN];
    rl_chain_head_t head;
    char head_id[32];
    uint8_t head_h[RL_CHAIN_HASH_LEN];   /* a copy: tests edit entries in place */
} chain_t;

/* A packed DomainEvent as a service would hand it to the store (no chain fields). */
static size_t pack_event(uint8_t *out, size_t size, const char *entity, uint64_t version)
{
    Riskline__V1__DomainEvent ev = RISKLINE__V1__DOMAIN_EVENT__INIT;
    ev.kind = "risk.updated";
    ev.entity_type = "risk";
    ev.entity_id = (char *)entity;
    ev.actor = "alice";
    ev.at_ms = 1700000000000 + (int64_t)version;
    ev.version = version;
    size_t len = riskline__v1__domain_event__get_packed_size(&ev);
    assert_true(len <= size);
    return riskline__v1__domain_event__pack(&ev, out);
}

static void chain_sign(chain_t *c)
{
    rl_error_t err;
    const ent_t *last = &c->e[c->n - 1];
    assert_int_equal(rl_chain_sign(TENANT, "register", c->n, last->h, c->sec, c->sig, &err), RL_OK);
    snprintf(c->head_id, sizeof c->head_id, "%s", last->id);
    memcpy(c->head_h, last->h, sizeof c->head_h);
    c->head = (rl_chain_head_t){c->n, c->head_h, RL_CHAIN_HASH_LEN, c->head_id, "register", c->sig, RL_CHAIN_SIG_LEN};
}

/* Appends one event the way the store does: fields 12/13 appended, hash of the stored bytes. */
static void chain_add(chain_t *c, uint64_t version)
{
    ent_t *e = &c->e[c->n];
    uint8_t ev[400];
    size_t len = pack_event(ev, sizeof ev, "R-1", version);
    uint8_t zero[RL_CHAIN_HASH_LEN] = {0};
    e->len = rl_chain_append_fields(ev, len, c->n + 1, c->n ? c->e[c->n - 1].h : zero, e->bytes);
    rl_chain_hash(e->bytes, e->len, e->h);
    snprintf(e->id, sizeof e->id, "1700000000%03zu-0", c->n);
    c->n++;
}

static chain_t *chain_new(size_t n)
{
    static chain_t c;
    memset(&c, 0, sizeof c);
    assert_true(sodium_init() >= 0);
    crypto_sign_keypair(c.pub, c.sec);
    for (size_t i = 0; i < n; i++)
        chain_add(&c, i + 1);
    chain_sign(&c);
    return &c;
}

/* Runs the verifier over entries (in the given order) and the head. */
static rl_chain_report_t verify(const chain_t *c, const ent_t *const *order, size_t n, const rl_chain_head_t *head,
                                size_t window)
{
    rl_chain_verifier_t *v = rl_chain_verifier_new(TENANT, window);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        rl_chain_verifier_feed(v, order[i]->id, order[i]->bytes, order[i]->len, order[i]->h, RL_CHAIN_HASH_LEN);
    rl_chain_report_t r;
    rl_chain_verifier_finish(v, head, c->pub, &r);
    rl_chain_verifier_destroy(&v);
    return r;
}

static rl_chain_report_t verify_all(const chain_t *c, size_t window)
{
    const ent_t *order[MAXN];
    for (size_t i = 0; i < c->n; i++)
        order[i] = &c->e[i];
    return verify(c, order, c->n, &c->head, window);
}

static void expect(const rl_chain_report_t *r, rl_chain_kind_t kind, uint64_t event, const char *id,
                   const char *detail_part)
{
    if (r->kind != kind || r->event != event || (id && strcmp(r->stream_id, id) != 0) ||
        (detail_part && !strstr(r->detail, detail_part)))
        fail_msg("got %s at #%llu (%s): %s; want %s at #%llu (%s) with \"%s\"", rl_chain_kind_name(r->kind),
                 (unsigned long long)r->event, r->stream_id, r->detail, rl_chain_kind_name(kind),
                 (unsigned long long)event, id ? id : "*", detail_part ? detail_part : "");
}

/* --- building blocks --- */

static void test_append_fields_decode(void **state)
{
    (void)state;
    uint8_t ev[400], out[400 + RL_CHAIN_APPEND_MAX], prev[RL_CHAIN_HASH_LEN];
    memset(prev, 0xab, sizeof prev);
    size_t len = pack_event(ev, sizeof ev, "R-7", 3);
    size_t n = rl_chain_append_fields(ev, len, 300, prev, out);   /* 300: a two-byte varint */
    assert_int_equal(n, len + 1 + 2 + 1 + 1 + RL_CHAIN_HASH_LEN);
    Riskline__V1__DomainEvent *d = riskline__v1__domain_event__unpack(NULL, n, out);
    assert_non_null(d);
    assert_string_equal(d->entity_id, "R-7");
    assert_int_equal(d->version, 3);
    assert_int_equal(d->chain_seq, 300);
    assert_int_equal(d->prev_hash.len, RL_CHAIN_HASH_LEN);
    assert_memory_equal(d->prev_hash.data, prev, RL_CHAIN_HASH_LEN);
    riskline__v1__domain_event__free_unpacked(d, NULL);
}

static void test_hash_is_sha256(void **state)
{
    (void)state;
    static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                                    0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                                    0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    uint8_t h[RL_CHAIN_HASH_LEN];
    rl_chain_hash("abc", 3, h);
    assert_memory_equal(h, abc, sizeof abc);
}

/* rl_sha256 (the SHA instructions where the CPU has them) against FIPS 180-2's examples, and against
 * libsodium's code for every length from 0 to 1100 bytes (every padding case: a rest of 0..63
 * bytes, one or two final blocks) and a 1 MB input. */
static void test_sha256_paths_agree(void **state)
{
    (void)state;
    static const uint8_t two_blocks[32] = {0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26,
                                           0x93, 0x0c, 0x3e, 0x60, 0x39, 0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff,
                                           0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1};
    static const uint8_t empty[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
                                      0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
                                      0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    uint8_t a[RL_SHA256_LEN], b[RL_SHA256_LEN];
    rl_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, a);
    assert_memory_equal(a, two_blocks, sizeof a);
    rl_sha256("", 0, a);
    assert_memory_equal(a, empty, sizeof a);
    enum { BIG = 1 << 20 };
    uint8_t *buf = malloc(BIG);
    assert_non_null(buf);
    randombytes_buf(buf, BIG);
    for (size_t len = 0; len <= 1100; len++) {
        rl_sha256(buf + len % 7, len, a);  /* unaligned starts too */
        rl_sha256_portable(buf + len % 7, len, b);
        if (memcmp(a, b, sizeof a))
            fail_msg("SHA-256 of %zu bytes differs between the paths", len);
    }
    rl_sha256(buf, BIG, a);
    rl_sha256_portable(buf, BIG, b);
    assert_memory_equal(a, b, sizeof a);
    free(buf);
    print_message("sha256: %s\n", rl_sha256_accelerated() ? "SHA instructions" : "libsodium (no SHA instructions)");
}

static void test_sign_binds_every_part(void **state)
{
    (void)state;
    chain_t *c = chain_new(1);
    uint8_t h[RL_CHAIN_HASH_LEN];
    memcpy(h, c->e[0].h, sizeof h);
    assert_true(rl_chain_sig_valid(TENANT, "register", 1, h, c->sig, c->pub));
    assert_false(rl_chain_sig_valid("other", "register", 1, h, c->sig, c->pub));
    assert_false(rl_chain_sig_valid(TENANT, "monitor", 1, h, c->sig, c->pub));
    assert_false(rl_chain_sig_valid(TENANT, "register", 2, h, c->sig, c->pub));
    h[5] ^= 1;
    assert_false(rl_chain_sig_valid(TENANT, "register", 1, h, c->sig, c->pub));
    uint8_t other_pub[RL_CHAIN_PUB_LEN], other_sec[RL_CHAIN_SECRET_LEN];
    crypto_sign_keypair(other_pub, other_sec);
    assert_false(rl_chain_sig_valid(TENANT, "register", 1, c->e[0].h, c->sig, other_pub));
}

/* --- verdicts --- */

static void test_intact(void **state)
{
    (void)state;
    chain_t *c = chain_new(40);
    rl_chain_report_t r = verify_all(c, 0);
    expect(&r, RL_CHAIN_INTACT, 0, "", "40 events checked");
    assert_int_equal(r.checked, 40);
    /* a window smaller than the chain changes nothing for an intact chain */
    r = verify_all(c, 4);
    expect(&r, RL_CHAIN_INTACT, 0, "", NULL);
    assert_int_equal(r.checked, 40);
}

static void test_empty(void **state)
{
    (void)state;
    chain_t *c = chain_new(1);
    rl_chain_report_t r = verify(c, NULL, 0, NULL, 0);
    expect(&r, RL_CHAIN_INTACT, 0, "", NULL);
    assert_int_equal(r.checked, 0);
}

static void test_changed_bytes(void **state)
{
    (void)state;
    chain_t *c = chain_new(10);
    c->e[4].bytes[10] ^= 0x20;   /* edited, hash left as it was */
    rl_chain_report_t r = verify_all(c, 0);
    expect(&r, RL_CHAIN_CHANGED, 5, c->e[4].id, "no longer matches its stored hash");
    assert_int_equal(r.checked, 4);
}

static void test_changed_rehashed(void **state)
{
    (void)state;
    chain_t *c = chain_new(10);
    c->e[3].bytes[10] ^= 0x20;   /* edited and re-hashed: its successor's link gives it away */
    rl_chain_hash(c->e[3].bytes, c->e[3].len, c->e[3].h);
    rl_chain_report_t r = verify_all(c, 0);
    expect(&r, RL_CHAIN_CHANGED, 4, c->e[3].id, "event #4 was changed and re-hashed");
}

static void test_changed_garbage_rehashed(void **state)
{
    (void)state;
    chain_t *c = chain_new(5);
    c->e[2].bytes[0] = 0x07;   /* field 0, wire type 7: not a protobuf any more */
    rl_chain_hash(c->e[2].bytes, c->e[2].len, c->e[2].h);
    rl_chain_report_t r = verify_all(c, 0);
    expect(&r, RL_CHAIN_CHANGED, 3, c->e[2].id, "not a domain event");
}

static void test_changed_last_rehashed(void **state)
{
    (void)state;
    chain_t *c = chain_new(6);
    c->e[5].bytes[10] ^= 0x20;   /* the last one: only the signed head still knows */
    rl_chain_hash(c->e[5].bytes, c->e[5].len, c->e[5].h);
    rl_chain_report_t r = verify_all(c, 0);
    expect(&r, RL_CHAIN_CHANGED, 6, c->e[5].id, "does not match the signed head");
}

static void test_removed_middle(void **state)
{
    (void)state;
    chain_t *c = chain_new(10);
    const ent_t *order[MAXN];
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++)
        if (i != 6)
            order[k++] = &c->e[i];
    rl_chain_report_t r = verify(c, order, k, &c->head, 0);
    expect(&r, RL_CHAIN_REMOVED, 7, c->e[7].id, "event #7 is missing");
    assert_int_equal(r.checked, 6);
}

static void test_removed_several(void **state)
{
    (void)state;
    chain_t *c = chain_new(10);
    const ent_t *order[MAXN] = {&c->e[0], &c->e[1], &c->e[5], &c->e[6], &c->e[7], &c->e[8], &c->e[9]};
    rl_chain_report_t r = verify(c, order, 7, &c->head, 0);
    expect(&r, RL_CHAIN_REMOVED, 3, c->e[5].id, "events #3..#5 are missing");
}

static void test_removed_tail(void **state)
{
    (void)state;
    chain_t *c = chain_new(8);
    const ent_t *order[MAXN];
    for (size_t i = 0; i < 7; i++)
        order[i] = &c->e[i];
    rl_chain_report_t r = verify(c, order, 7, &c->head, 0);
    expect(&r, RL_CHAIN_REMOVED, 8, c->e[7].id, "event #8, the last one the head signs, is missing");
    assert_int_equal(r.checked, 7);
}

static void test_removed_head(void **state)
{
    (void)state;
    chain_t *c = chain_new(3);
    const ent_t *order[MAXN] = {&c->e[0], &c->e[1], &c->e[2]};
    rl_chain_report_t r = verify(c, order, 3, NULL, 0);
    expect(&r, RL_CHAIN_REMOVED, 3, c->e[2].id, "head is missing");
}

static void test_reordered_swap(void **state)
{
    (void)state;
    chain_t *c = chain_new(10);
    const ent_t *order[MAXN];
    for (size_t i = 0; i < c->n; i++)
        order[i] = &c->e[i];
    order[2] = &c->e[6];
    order[6] = &c->e[2];
    rl_chain_report_t r = verify(c, order, c->n, &c->head, 0);
    expect(&r, RL_CHAIN_REORDERED, 3, c->e[6].id, "event #3 is found later");
    assert_int_equal(r.checked, 2);
}

static void test_reordered_beyond_window_is_removed(void **state)
{
    (void)state;
    chain_t *c = chain_new(20);
    const ent_t *order[MAXN];
    for (size_t i = 0; i < c->n; i++)
        order[i] = &c->e[i];
    order[1] = &c->e[15];   /* event #2 moved 14 places: beyond a window of 4 */
    order[15] = &c->e[1];
    rl_chain_report_t r = verify(c, order, c->n, &c->head, 4);
    expect(&r, RL_CHAIN_REMOVED, 2, NULL, NULL);
    r = verify(c, order, c->n, &c->head, 32);
    expect(&r, RL_CHAIN_REORDERED, 2, NULL, NULL);
}

static void test_inserted_replay(void **state)
{
    (void)state;
    chain_t *c = chain_new(10);
    const ent_t *order[MAXN];
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        order[k++] = &c->e[i];
        if (i == 4)
            order[k++] = &c->e[1];   /* a copy of event #2 after #5 */
    }
    rl_chain_report_t r = verify(c, order, k, &c->head, 0);
    expect(&r, RL_CHAIN_INSERTED, 6, c->e[1].id, "not part of the chain");
}

static void test_inserted_forged_with_link(void **state)
{
    (void)state;
    /* A forgery that claims position #4 and links correctly to #3: the real #5 links to the
     * real #4, which tells them apart. */
    chain_t *c = chain_new(8);
    ent_t forged;
    uint8_t ev[400];
    size_t len = pack_event(ev, sizeof ev, "R-666", 4);
    forged.len = rl_chain_append_fields(ev, len, 4, c->e[2].h, forged.bytes);
    rl_chain_hash(forged.bytes, forged.len, forged.h);
    snprintf(forged.id, sizeof forged.id, "1700000000002-1");
    const ent_t *order[MAXN] = {&c->e[0], &c->e[1], &c->e[2], &forged, &c->e[3],
                                &c->e[4], &c->e[5], &c->e[6], &c->e[7]};
    rl_chain_report_t r = verify(c, order, 9, &c->head, 0);
    expect(&r, RL_CHAIN_INSERTED, 4, "1700000000002-1", "does not continue from");
    /* after the real one: still the forgery is named */
    const ent_t *order2[MAXN] = {&c->e[0], &c->e[1], &c->e[2], &c->e[3], &forged,
                                 &c->e[4], &c->e[5], &c->e[6], &c->e[7]};
    r = verify(c, order2, 9, &c->head, 0);
    expect(&r, RL_CHAIN_INSERTED, 5, "1700000000002-1", "not part of the chain");
}

static void test_inserted_without_hash(void **state)
{
    (void)state;
    chain_t *c = chain_new(4);
    rl_chain_verifier_t *v = rl_chain_verifier_new(TENANT, 0);
    assert_non_null(v);
    for (size_t i = 0; i < 2; i++)
        rl_chain_verifier_feed(v, c->e[i].id, c->e[i].bytes, c->e[i].len, c->e[i].h, RL_CHAIN_HASH_LEN);
    rl_chain_verifier_feed(v, "1700000000001-5", "junk", 4, NULL, 0);
    assert_int_equal(rl_chain_verifier_feed(v, c->e[2].id, c->e[2].bytes, c->e[2].len, c->e[2].h, 32), 0);
    rl_chain_report_t r;
    rl_chain_verifier_finish(v, &c->head, c->pub, &r);
    rl_chain_verifier_destroy(&v);
    expect(&r, RL_CHAIN_INSERTED, 3, "1700000000001-5", NULL);
}

/* Events written before the audit chain existed come first and carry no hash: counted, not verified. */
static void test_legacy_prefix(void **state)
{
    (void)state;
    chain_t *c = chain_new(3);
    uint8_t old[64];
    size_t oldlen = pack_event(old, sizeof old, "R-1", 1);
    rl_chain_verifier_t *v = rl_chain_verifier_new(TENANT, 0);
    assert_non_null(v);
    rl_chain_verifier_feed(v, "1600000000000-0", old, oldlen, NULL, 0);
    rl_chain_verifier_feed(v, "1600000000001-0", old, oldlen, NULL, 0);
    for (size_t i = 0; i < 3; i++)
        rl_chain_verifier_feed(v, c->e[i].id, c->e[i].bytes, c->e[i].len, c->e[i].h, RL_CHAIN_HASH_LEN);
    rl_chain_report_t r;
    rl_chain_verifier_finish(v, &c->head, c->pub, &r);
    rl_chain_verifier_destroy(&v);
    expect(&r, RL_CHAIN_INTACT, 0, "", NULL);
    assert_int_equal(r.checked, 3);
    assert_int_equal(r.legacy, 2);
    /* nothing chained at all (old data, or hashes and head stripped): not attested */
    v = rl_chain_verifier_new(TENANT, 0);
    rl_chain_verifier_feed(v, "1600000000000-0", old, oldlen, NULL, 0);
    rl_chain_verifier_finish(v, NULL, c->pub, &r);
    rl_chain_verifier_destroy(&v);
    assert_int_equal(r.kind, RL_CHAIN_UNSIGNED);
    assert_int_equal(r.legacy, 1);
    assert_non_null(strstr(r.detail, "carry no chain hash"));
}

static void test_inserted_after_head(void **state)
{
    (void)state;
    chain_t *c = chain_new(5);
    chain_add(c, 6);                 /* appended with a valid link, head not updated */
    rl_chain_report_t r = verify_all(c, 0);
    expect(&r, RL_CHAIN_INSERTED, 6, c->e[5].id, "after the signed head (#5)");
}

static void test_forged_head(void **state)
{
    (void)state;
    chain_t *c = chain_new(5);
    uint8_t h[RL_CHAIN_HASH_LEN];
    memset(h, 7, sizeof h);
    c->head.hash = h;   /* head hash rewritten, signature left */
    rl_chain_report_t r = verify_all(c, 0);
    expect(&r, RL_CHAIN_FORGED, 5, c->e[4].id, "signature does not verify with register's public key");
}

static void test_forged_rewrite_without_key(void **state)
{
    (void)state;
    /* The whole chain rewritten from #2 on and a new head signed with the attacker's own key. */
    chain_t *c = chain_new(6);
    uint8_t real_pub[RL_CHAIN_PUB_LEN];
    memcpy(real_pub, c->pub, sizeof real_pub);
    c->n = 1;
    for (size_t i = 1; i < 6; i++)
        chain_add(c, 100 + i);
    crypto_sign_keypair(c->pub, c->sec);
    chain_sign(c);
    memcpy(c->pub, real_pub, sizeof real_pub);   /* the auditor's trusted copy */
    rl_chain_report_t r = verify_all(c, 0);
    expect(&r, RL_CHAIN_FORGED, 6, NULL, "the head was rewritten");
}

static void test_forged_signer_unknown(void **state)
{
    (void)state;
    chain_t *c = chain_new(2);
    c->head.signer = "mallory";
    const ent_t *order[MAXN] = {&c->e[0], &c->e[1]};
    rl_chain_verifier_t *v = rl_chain_verifier_new(TENANT, 0);
    assert_non_null(v);
    for (size_t i = 0; i < 2; i++)
        rl_chain_verifier_feed(v, order[i]->id, order[i]->bytes, order[i]->len, order[i]->h, RL_CHAIN_HASH_LEN);
    rl_chain_report_t r;
    rl_chain_verifier_finish(v, &c->head, NULL, &r);   /* the CLI has no key for such a name */
    rl_chain_verifier_destroy(&v);
    expect(&r, RL_CHAIN_FORGED, 2, c->e[1].id, "\"mallory\", which is no service");
}

static void test_unsigned(void **state)
{
    (void)state;
    chain_t *c = chain_new(3);
    c->head.sig = NULL;
    c->head.sig_len = 0;
    rl_chain_report_t r = verify_all(c, 0);
    expect(&r, RL_CHAIN_UNSIGNED, 3, c->e[2].id, "no signature");
    assert_int_equal(r.checked, 3);
}

static void test_first_link_altered(void **state)
{
    (void)state;
    chain_t *c = chain_new(3);
    uint8_t ev[400], bad[RL_CHAIN_HASH_LEN];
    memset(bad, 1, sizeof bad);
    size_t len = pack_event(ev, sizeof ev, "R-1", 1);
    c->e[0].len = rl_chain_append_fields(ev, len, 1, bad, c->e[0].bytes);
    rl_chain_hash(c->e[0].bytes, c->e[0].len, c->e[0].h);
    rl_chain_report_t r = verify_all(c, 0);
    expect(&r, RL_CHAIN_CHANGED, 1, c->e[0].id, "start of the chain");
}

static void test_feed_after_anomaly_is_ignored(void **state)
{
    (void)state;
    chain_t *c = chain_new(12);
    c->e[1].bytes[10] ^= 1;
    rl_chain_verifier_t *v = rl_chain_verifier_new(TENANT, 4);
    assert_non_null(v);
    int stopped = 0;
    for (size_t i = 0; i < c->n; i++)
        stopped |= rl_chain_verifier_feed(v, c->e[i].id, c->e[i].bytes, c->e[i].len, c->e[i].h, 32);
    assert_true(stopped);   /* a window of 4 finds it while feeding */
    rl_chain_report_t r;
    rl_chain_verifier_finish(v, &c->head, c->pub, &r);
    rl_chain_verifier_destroy(&v);
    expect(&r, RL_CHAIN_CHANGED, 2, c->e[1].id, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_fields_decode),
        cmocka_unit_test(test_hash_is_sha256),
        cmocka_unit_test(test_sha256_paths_agree),
        cmocka_unit_test(test_sign_binds_every_part),
        cmocka_unit_test(test_intact),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_changed_bytes),
        cmocka_unit_test(test_changed_rehashed),
        cmocka_unit_test(test_changed_garbage_rehashed),
        cmocka_unit_test(test_changed_last_rehashed),
        cmocka_unit_test(test_removed_middle),
        cmocka_unit_test(test_removed_several),
        cmocka_unit_test(test_removed_tail),
        cmocka_unit_test(test_removed_head),
        cmocka_unit_test(test_reordered_swap),
        cmocka_unit_test(test_reordered_beyond_window_is_removed),
        cmocka_unit_test(test_inserted_replay),
        cmocka_unit_test(test_inserted_forged_with_link),
        cmocka_unit_test(test_inserted_without_hash),
        cmocka_unit_test(test_legacy_prefix),
        cmocka_unit_test(test_inserted_after_head),
        cmocka_unit_test(test_forged_head),
        cmocka_unit_test(test_forged_rewrite_without_key),
        cmocka_unit_test(test_forged_signer_unknown),
        cmocka_unit_test(test_unsigned),
        cmocka_unit_test(test_first_link_altered),
        cmocka_unit_test(test_feed_after_anomaly_is_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
