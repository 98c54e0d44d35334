/* rl_chain.c: audit chain hashing, head signatures and the bounded-memory chain verifier. */
#include "rl_chain.h"
#include "rl_sha256.h"
#include "rl_arena.h"
#include "rl_codec.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGN_DOMAIN "riskline-chain-v1"
#define NAME_MAX_LEN 64                 /* tenant or signer in the signed message */
#define WINDOW_MIN 4                    /* look-ahead the fork and reorder rules need */
#define EVENT_MAX_BYTES (4u * 1024 * 1024)

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

size_t rl_chain_append_fields(const void *event, size_t len, uint64_t seq, const uint8_t prev[RL_CHAIN_HASH_LEN],
                              uint8_t *out)
{
    if (len)
        memcpy(out, event, len);
    size_t n = len;
    out[n++] = 12 << 3 | 0;    /* chain_seq: varint */
    n += put_varint(out + n, seq);
    out[n++] = 13 << 3 | 2;    /* prev_hash: length-delimited */
    out[n++] = RL_CHAIN_HASH_LEN;
    memcpy(out + n, prev, RL_CHAIN_HASH_LEN);
    return n + RL_CHAIN_HASH_LEN;
}

void rl_chain_hash(const void *data, size_t len, uint8_t out[RL_CHAIN_HASH_LEN])
{
    rl_sha256(data, len, out);
}

/* The signed message (see rl_chain.h); -1 when a name does not fit or holds a NUL. */
static int head_message(uint8_t *buf, size_t size, size_t *len, const char *tenant, const char *signer, uint64_t seq,
                        const uint8_t h[RL_CHAIN_HASH_LEN])
{
    size_t tl = strlen(tenant), sl = strlen(signer);
    size_t need = sizeof SIGN_DOMAIN + tl + 1 + sl + 1 + 8 + RL_CHAIN_HASH_LEN;
    if (tl > NAME_MAX_LEN || sl > NAME_MAX_LEN || need > size)
        return -1;
    size_t n = 0;
    memcpy(buf, SIGN_DOMAIN, sizeof SIGN_DOMAIN);   /* with its NUL */
    n += sizeof SIGN_DOMAIN;
    memcpy(buf + n, tenant, tl + 1);
    n += tl + 1;
    memcpy(buf + n, signer, sl + 1);
    n += sl + 1;
    for (int i = 7; i >= 0; i--)
        buf[n++] = (uint8_t)(seq >> (8 * i));
    memcpy(buf + n, h, RL_CHAIN_HASH_LEN);
    *len = n + RL_CHAIN_HASH_LEN;
    return 0;
}

#define MSG_MAX (sizeof SIGN_DOMAIN + 2 * (NAME_MAX_LEN + 1) + 8 + RL_CHAIN_HASH_LEN)

rl_err_t rl_chain_sign(const char *tenant, const char *signer, uint64_t seq, const uint8_t h[RL_CHAIN_HASH_LEN],
                       const uint8_t secret[RL_CHAIN_SECRET_LEN], uint8_t sig[RL_CHAIN_SIG_LEN], rl_error_t *err)
{
    uint8_t msg[MSG_MAX];
    size_t len;
    if (head_message(msg, sizeof msg, &len, tenant, signer, seq, h) != 0)
        return rl_error_set(err, RL_ERR_INVALID, "signer", "tenant or signer name over %d bytes", NAME_MAX_LEN);
    if (sodium_init() < 0 || crypto_sign_detached(sig, NULL, msg, len, secret) != 0)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "cannot sign the chain head");
    return RL_OK;
}

int rl_chain_sig_valid(const char *tenant, const char *signer, uint64_t seq, const uint8_t h[RL_CHAIN_HASH_LEN],
                       const uint8_t sig[RL_CHAIN_SIG_LEN], const uint8_t pub[RL_CHAIN_PUB_LEN])
{
    uint8_t msg[MSG_MAX];
    size_t len;
    if (head_message(msg, sizeof msg, &len, tenant, signer, seq, h) != 0 || sodium_init() < 0)
        return 0;
    return crypto_sign_verify_detached(sig, msg, len, pub) == 0;
}

const char *rl_chain_kind_name(rl_chain_kind_t kind)
{
    switch (kind) {
    case RL_CHAIN_INTACT: return "intact";
    case RL_CHAIN_CHANGED: return "changed";
    case RL_CHAIN_REMOVED: return "removed";
    case RL_CHAIN_INSERTED: return "inserted";
    case RL_CHAIN_REORDERED: return "reordered";
    case RL_CHAIN_FORGED: return "forged";
    case RL_CHAIN_UNSIGNED: return "unsigned";
    }
    return "unknown";
}

/* --- verifier --- */

/* What the verifier keeps of one entry: no event bytes, so the window bounds memory. */
typedef struct {
    char id[RL_CHAIN_STREAM_ID_MAX + 1];
    uint64_t seq;                    /* chain_seq; 0 when absent */
    uint8_t prev[RL_CHAIN_HASH_LEN];
    uint8_t hash[RL_CHAIN_HASH_LEN]; /* SHA-256 of the stored bytes */
    unsigned has_h : 1;              /* a 32-byte stored hash is present */
    unsigned hash_ok : 1;            /* ... and equals SHA-256 of the bytes */
    unsigned decodes : 1;            /* the bytes are a DomainEvent */
    unsigned has_prev : 1;
} entry_t;

struct rl_chain_verifier {
    char tenant[NAME_MAX_LEN + 1];
    size_t window;
    entry_t *ring;                   /* pending entries: look-ahead */
    size_t cap, first, count;
    char (*ids)[RL_CHAIN_STREAM_ID_MAX + 1]; /* stream ids of the last `cap` accepted events, by seq */
    uint64_t next;                   /* the position the next event must have */
    uint8_t prev[RL_CHAIN_HASH_LEN]; /* hash of the last accepted event */
    const rl_chain_head_t *head;     /* during finish only */
    int done;
    int chained;                     /* an entry with a chain hash has been fed */
    uint64_t legacy;                 /* entries before it without one */
    rl_chain_report_t report;
    rl_arena_t *arena;               /* decoding scratch, reset per entry */
};

rl_chain_verifier_t *rl_chain_verifier_new(const char *tenant, size_t window)
{
    if (!tenant || strlen(tenant) > NAME_MAX_LEN || sodium_init() < 0)
        return NULL;
    rl_chain_verifier_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    snprintf(self->tenant, sizeof self->tenant, "%s", tenant);
    self->window = window ? window : RL_CHAIN_WINDOW_DEFAULT;
    if (self->window < WINDOW_MIN)
        self->window = WINDOW_MIN;
    self->cap = self->window + 1;
    self->ring = calloc(self->cap, sizeof *self->ring);
    self->ids = calloc(self->cap, sizeof *self->ids);
    self->arena = rl_arena_new(2 * EVENT_MAX_BYTES + 65536);
    self->next = 1;
    if (!self->ring || !self->ids || !self->arena)
        rl_chain_verifier_destroy(&self);
    return self;
}

void rl_chain_verifier_destroy(rl_chain_verifier_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rl_chain_verifier_t *self = *self_p;
    free(self->ring);
    free(self->ids);
    rl_arena_destroy(&self->arena);
    free(self);
    *self_p = NULL;
}

static entry_t *at(rl_chain_verifier_t *self, size_t i) { return &self->ring[(self->first + i) % self->cap]; }

static int found(rl_chain_verifier_t *self, rl_chain_kind_t kind, uint64_t event, const char *id, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));

static int found(rl_chain_verifier_t *self, rl_chain_kind_t kind, uint64_t event, const char *id, const char *fmt,
                 ...)
{
    rl_chain_report_t *r = &self->report;
    r->kind = kind;
    r->event = event;
    r->checked = self->next - 1;
    /* an accepted event later found changed does not count; an unsigned head breaks nothing */
    if (kind != RL_CHAIN_UNSIGNED && event && event - 1 < r->checked)
        r->checked = event - 1;
    snprintf(r->stream_id, sizeof r->stream_id, "%s", id ? id : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
    self->done = 1;
    return 1;
}

/* Entry e sits exactly where the chain expects event n after prev. */
static int fits(const entry_t *e, uint64_t n, const uint8_t prev[RL_CHAIN_HASH_LEN])
{
    return e->has_h && e->hash_ok && e->decodes && e->has_prev && e->seq == n &&
           memcmp(e->prev, prev, RL_CHAIN_HASH_LEN) == 0;
}

/* Two entries x, y both fit the next position: the chain continues from the one the entry after
 * them (or, at the end, the head) links to. 1 when x is the genuine one. */
static int x_genuine(rl_chain_verifier_t *self, const entry_t *x, const entry_t *y)
{
    const uint8_t *link = NULL;
    if (self->count > 2 && at(self, 2)->has_prev)
        link = at(self, 2)->prev;
    else if (self->count == 2 && self->head && self->head->seq == self->next &&
             self->head->hash_len == RL_CHAIN_HASH_LEN)
        link = self->head->hash;
    if (!link)
        return 1;
    return !(memcmp(link, y->hash, RL_CHAIN_HASH_LEN) == 0 && memcmp(link, x->hash, RL_CHAIN_HASH_LEN) != 0);
}

static const char *accepted_id(rl_chain_verifier_t *self, uint64_t seq)
{
    if (seq == 0 || seq >= self->next || self->next - seq > self->cap)
        return "";
    return self->ids[seq % self->cap];
}

static void pop(rl_chain_verifier_t *self)
{
    self->first = (self->first + 1) % self->cap;
    self->count--;
}

/* Classifies the oldest pending entry with the entries after it as look-ahead. 1 on an anomaly. */
static int step(rl_chain_verifier_t *self)
{
    entry_t *x = at(self, 0), *y = self->count > 1 ? at(self, 1) : NULL;
    uint64_t n = self->next;
    if (fits(x, n, self->prev)) {
        if (y && fits(y, n, self->prev) && !x_genuine(self, x, y))
            return found(self, RL_CHAIN_INSERTED, n, x->id,
                         "a second event #%llu that the chain does not continue from (it continues from the "
                         "entry %s after it)", (unsigned long long)n, y->id);
        memcpy(self->ids[n % self->cap], x->id, sizeof x->id);
        memcpy(self->prev, x->hash, RL_CHAIN_HASH_LEN);
        self->next++;
        pop(self);
        return 0;
    }
    unsigned long long un = n, us = x->seq;
    if (y && fits(y, n, self->prev))
        return found(self, RL_CHAIN_INSERTED, n, x->id,
                     "this entry is not part of the chain: the entry after it continues from event #%llu",
                     un - 1);
    if (!x->has_h)
        return found(self, RL_CHAIN_INSERTED, n, x->id, "this entry carries no chain hash: the store did not write it");
    if (!x->hash_ok)
        return found(self, RL_CHAIN_CHANGED, n, x->id, "its content no longer matches its stored hash");
    if (!x->decodes)
        return found(self, RL_CHAIN_CHANGED, n, x->id, "its content is not a domain event (replaced and re-hashed)");
    if (!x->seq || !x->has_prev)
        return found(self, RL_CHAIN_INSERTED, n, x->id, "this entry carries no chain position");
    if (x->seq == n) {
        if (n == 1)
            return found(self, RL_CHAIN_CHANGED, n, x->id, "its link to the start of the chain was altered");
        return found(self, RL_CHAIN_CHANGED, n - 1, accepted_id(self, n - 1),
                     "event #%llu (stream id %s) links to a different hash: event #%llu was changed and re-hashed",
                     un, x->id, un - 1);
    }
    if (x->seq > n) {
        for (size_t i = 1; i < self->count; i++) {
            const entry_t *z = at(self, i);
            if (z->seq == n && z->hash_ok && z->decodes)
                return found(self, RL_CHAIN_REORDERED, n, x->id,
                             "event #%llu is found later, at stream id %s; event #%llu stands here", un, z->id, us);
        }
        if (us == un + 1)
            return found(self, RL_CHAIN_REMOVED, n, x->id, "event #%llu is missing (event #%llu follows #%llu)", un, us,
                         un - 1);
        return found(self, RL_CHAIN_REMOVED, n, x->id, "events #%llu..#%llu are missing (event #%llu follows #%llu)",
                     un, us - 1, us, un - 1);
    }
    return found(self, RL_CHAIN_INSERTED, n, x->id, "a second event #%llu where the chain expects #%llu", us, un);
}

int rl_chain_verifier_feed(rl_chain_verifier_t *self, const char *stream_id, const void *bytes, size_t len,
                           const void *hash, size_t hash_len)
{
    if (self->done)
        return 1;
    if (!self->chained && !(hash && hash_len)) {
        self->legacy++;
        return 0;
    }
    self->chained = 1;
    entry_t *e = &self->ring[(self->first + self->count) % self->cap];
    memset(e, 0, sizeof *e);
    snprintf(e->id, sizeof e->id, "%s", stream_id ? stream_id : "");
    rl_chain_hash(bytes, len, e->hash);
    e->has_h = hash && hash_len == RL_CHAIN_HASH_LEN;
    e->hash_ok = e->has_h && memcmp(hash, e->hash, RL_CHAIN_HASH_LEN) == 0;
    rl_arena_reset(self->arena);
    Riskline__V1__DomainEvent *ev =
        len ? rl_codec_unpack(&riskline__v1__domain_event__descriptor, bytes, len, EVENT_MAX_BYTES, self->arena)
            : NULL;
    if (ev) {
        e->decodes = 1;
        e->seq = ev->chain_seq;
        e->has_prev = ev->prev_hash.len == RL_CHAIN_HASH_LEN;
        if (e->has_prev)
            memcpy(e->prev, ev->prev_hash.data, RL_CHAIN_HASH_LEN);
    }
    self->count++;
    /* classify an entry only once it has a full window of look-ahead behind it */
    if (self->count > self->window)
        return step(self);
    return 0;
}

static void head_checks(rl_chain_verifier_t *self, const rl_chain_head_t *head, const uint8_t *pub)
{
    uint64_t last = self->next - 1;
    unsigned long long ul = last;
    const char *last_id = accepted_id(self, last);
    if (!head || head->seq == 0) {
        if (last)
            found(self, RL_CHAIN_REMOVED, ul, last_id, "the chain head is missing");
        return;
    }
    unsigned long long hs = head->seq;
    const char *hid = head->stream_id ? head->stream_id : "";
    int is_signed = head->sig_len > 0;
    if (head->hash_len != RL_CHAIN_HASH_LEN)
        found(self, RL_CHAIN_FORGED, hs, hid, "the head's hash is malformed");
    else if (is_signed && !pub)
        found(self, RL_CHAIN_FORGED, hs, hid, "the head names the signer \"%.64s\", which is no service whose key "
              "you hold", head->signer ? head->signer : "");
    else if (is_signed && (head->sig_len != RL_CHAIN_SIG_LEN ||
                           !rl_chain_sig_valid(self->tenant, head->signer ? head->signer : "", head->seq, head->hash,
                                               head->sig, pub)))
        found(self, RL_CHAIN_FORGED, hs, hid,
              "the head's signature does not verify with %.64s's public key: the head was rewritten",
              head->signer ? head->signer : "");
    else if (head->seq == last + 1)
        found(self, RL_CHAIN_REMOVED, ul + 1, hid, "event #%llu, the last one the head signs, is missing", ul + 1);
    else if (head->seq > last)
        found(self, RL_CHAIN_REMOVED, ul + 1, hid, "events #%llu..#%llu at the end are missing", ul + 1, hs);
    else if (head->seq < last)
        found(self, RL_CHAIN_INSERTED, hs + 1, accepted_id(self, head->seq + 1),
              "%llu event(s) after the signed head (#%llu) are not part of the chain", ul - hs, hs);
    else if (memcmp(head->hash, self->prev, RL_CHAIN_HASH_LEN) != 0)
        found(self, RL_CHAIN_CHANGED, ul, last_id,
              "the last event does not match the signed head: it was changed and re-hashed");
    else if (!is_signed)
        found(self, RL_CHAIN_UNSIGNED, ul, last_id,
              "the head carries no signature: a rewrite of the whole chain would not show");
}

void rl_chain_verifier_finish(rl_chain_verifier_t *self, const rl_chain_head_t *head, const uint8_t *pub,
                              rl_chain_report_t *out)
{
    self->head = head;
    while (!self->done && self->count)
        step(self);
    if (!self->done)
        head_checks(self, head, pub);
    self->head = NULL;
    if (!self->done) {
        memset(&self->report, 0, sizeof self->report);
        self->report.kind = RL_CHAIN_INTACT;
        self->report.checked = self->next - 1;
        snprintf(self->report.detail, sizeof self->report.detail, "%llu events checked",
                 (unsigned long long)(self->next - 1));
        if (self->legacy && self->next == 1) {
            /* nothing chained at all: old data, or every hash stripped along with the head */
            self->report.kind = RL_CHAIN_UNSIGNED;
            snprintf(self->report.detail, sizeof self->report.detail,
                     "%llu events carry no chain hash and no event is chained: written before the audit "
                     "chain existed, or stripped", (unsigned long long)self->legacy);
        }
        self->done = 1;
    }
    self->report.legacy = self->legacy;
    *out = self->report;
}
