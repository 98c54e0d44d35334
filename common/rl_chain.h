/* rl_chain.h: the tamper-evident audit chain: hashing, head signing and the verifier (pure, no I/O). */
#ifndef RL_CHAIN_H
#define RL_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "rl_err.h"

#define RL_CHAIN_HASH_LEN 32           /* SHA-256 */
#define RL_CHAIN_SIG_LEN 64            /* Ed25519 detached signature */
#define RL_CHAIN_PUB_LEN 32
#define RL_CHAIN_SECRET_LEN 64
/* Bytes rl_chain_append_fields adds at most: tag + 10-byte varint, tag + length + hash. */
#define RL_CHAIN_APPEND_MAX (1 + 10 + 1 + 1 + RL_CHAIN_HASH_LEN)
/* Look-ahead of the verifier (entries), see rl_chain_verifier_new. */
#define RL_CHAIN_WINDOW_DEFAULT 1024
#define RL_CHAIN_STREAM_ID_MAX 47      /* "<ms>-<seq>": two 20-digit numbers and a dash */

/*
 * Each DomainEvent of a tenant's chain carries its position (chain_seq, field 12, 1-based) and the
 * hash of the previous event (prev_hash, field 13; 32 zero bytes for the first). The store adds
 * both by appending their encoding to the packed event (protobuf: the last occurrence of a field
 * wins, so callers must not set them themselves). The stored bytes are the canonical bytes:
 * h = SHA-256(stored bytes), never of a re-encoding.
 *
 * The head {seq, h} of the chain is signed with the writing service's Ed25519 key over
 *   "riskline-chain-v1\0" || tenant || "\0" || signer || "\0" || seq (8 bytes big-endian) || h
 */

/* Writes event[0..len) followed by fields 12 (seq) and 13 (prev) to out, which must hold
 * len + RL_CHAIN_APPEND_MAX bytes (out may not overlap event). Returns the new length. */
size_t rl_chain_append_fields(const void *event, size_t len, uint64_t seq, const uint8_t prev[RL_CHAIN_HASH_LEN],
                              uint8_t *out);

/* SHA-256 of data. */
void rl_chain_hash(const void *data, size_t len, uint8_t out[RL_CHAIN_HASH_LEN]);

/* Signs the head. RL_ERR_INVALID when tenant or signer is too long or contains a NUL. */
rl_err_t rl_chain_sign(const char *tenant, const char *signer, uint64_t seq, const uint8_t h[RL_CHAIN_HASH_LEN],
                       const uint8_t secret[RL_CHAIN_SECRET_LEN], uint8_t sig[RL_CHAIN_SIG_LEN], rl_error_t *err);

/* 1 when sig is a valid signature of the head by the holder of pub, else 0. */
int rl_chain_sig_valid(const char *tenant, const char *signer, uint64_t seq, const uint8_t h[RL_CHAIN_HASH_LEN],
                       const uint8_t sig[RL_CHAIN_SIG_LEN], const uint8_t pub[RL_CHAIN_PUB_LEN]);

/* --- the verifier --- */

typedef enum {
    RL_CHAIN_INTACT = 0,
    RL_CHAIN_CHANGED,     /* an event's bytes differ from what was chained */
    RL_CHAIN_REMOVED,     /* events (or the head) are missing */
    RL_CHAIN_INSERTED,    /* an entry that is not part of the chain */
    RL_CHAIN_REORDERED,   /* an event is not at its position */
    RL_CHAIN_FORGED,      /* the head's signature does not verify: the head was rewritten */
    RL_CHAIN_UNSIGNED,    /* consistent, but the head carries no signature: not attributable */
} rl_chain_kind_t;

/* "intact", "changed", "removed", "inserted", "reordered", "forged", "unsigned". */
const char *rl_chain_kind_name(rl_chain_kind_t kind);

typedef struct {
    rl_chain_kind_t kind;
    uint64_t event;                              /* chain position where it breaks (1-based); 0 if none */
    char stream_id[RL_CHAIN_STREAM_ID_MAX + 1];  /* entry where it shows ("" when unknown) */
    uint64_t checked;                            /* events verified before it (all, when intact) */
    uint64_t legacy;                             /* entries before the chain began (no chain hash) */
    char detail[256];
} rl_chain_report_t;

/* The stored head, as read from the store. seq 0 = no head. */
typedef struct {
    uint64_t seq;
    const uint8_t *hash;        /* RL_CHAIN_HASH_LEN bytes, or hash_len says otherwise */
    size_t hash_len;
    const char *stream_id;
    const char *signer;
    const uint8_t *sig;         /* sig_len 0: unsigned */
    size_t sig_len;
} rl_chain_head_t;

typedef struct rl_chain_verifier rl_chain_verifier_t;

/* A verifier for one tenant's chain. It keeps at most `window` entries of look-ahead (0 =
 * RL_CHAIN_WINDOW_DEFAULT), about 180 bytes each, never the event bytes: memory is bounded by the
 * window, not by the chain's length. An event moved further than `window` entries away is
 * reported as removed rather than reordered. NULL when out of memory or tenant is too long. */
rl_chain_verifier_t *rl_chain_verifier_new(const char *tenant, size_t window);
void rl_chain_verifier_destroy(rl_chain_verifier_t **self_p);

/* Feeds the next stream entry in stream order: its id, stored bytes (field `e`) and stored hash
 * (field `h`; NULL/0 when absent). Returns 1 once an anomaly has been found (feeding more is
 * then pointless), else 0. Entries without a hash before the first chained one were written
 * before the audit chain existed: they are counted as legacy (report.legacy), not verified; an
 * entry without a hash after the chain began is an insertion. */
int rl_chain_verifier_feed(rl_chain_verifier_t *self, const char *stream_id, const void *bytes, size_t len,
                           const void *hash, size_t hash_len);

/* Ends the walk: checks what is left, then the head (NULL or seq 0: absent) against the last
 * event and its signature against pub (the signer's public key from the auditor's own copy; may
 * be NULL only for an unsigned head). Fills out with the first anomaly, or RL_CHAIN_INTACT. */
void rl_chain_verifier_finish(rl_chain_verifier_t *self, const rl_chain_head_t *head,
                              const uint8_t *pub, rl_chain_report_t *out);

#endif
