/* rl_store.h: the Redis adapter: connection with reconnect and back-off, pipelines, the atomic write. */
#ifndef RL_STORE_H
#define RL_STORE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "rl_arena.h"
#include "rl_chain.h"
#include "rl_err.h"
#include "rl_log.h"

typedef struct rl_store rl_store_t;

typedef struct {
    const char *host;
    int port;
    const char *user;       /* "" or NULL: AUTH with password only */
    const char *password;   /* "" or NULL: no AUTH */
    int timeout_ms;         /* connect and command timeout */
    /* Redis Sentinel: "host:port,host:port,..." ("" or NULL: connect to host:port). The store asks
     * them in turn for master_name's address, connects there and checks ROLE is master. */
    const char *sentinels;
    const char *master_name;        /* "" or NULL: "riskline" */
    const char *sentinel_user;      /* "" or NULL: AUTH with sentinel_password only */
    const char *sentinel_password;  /* "" or NULL: sentinels without AUTH */
    /* After every write, WAIT until this many replicas hold it (0: no WAIT), at most
     * wait_timeout_ms; fewer in time makes the call RL_ERR_UNAVAILABLE (the retry is de-duplicated). */
    int wait_replicas;
    int wait_timeout_ms;            /* <= 0: 1000 */
    /* Redis Cluster: seed nodes "host:port,host:port,..." ("" or NULL: no cluster; not together
     * with sentinels). The store reads the slot map (CLUSTER SLOTS) from the first seed that
     * answers and sends each command to the master of its key's slot (every key of a tenant shares
     * the tenant's hash tag, so one script or command never spans two nodes); MOVED updates the
     * map, ASK is followed once, TRYAGAIN waits; WAIT (wait_replicas) is asked of each master
     * written to. */
    const char *cluster;
} rl_store_opts_t;

/* Returns the store or NULL (out of memory, a sentinel or cluster list that is not host:port,...,
 * or both lists given).
 * Connects lazily: a down Redis gives RL_ERR_UNAVAILABLE from calls, with back-off between
 * connection attempts. opts strings are copied.
 *
 * Failover (Sentinel): a connection error, or a READONLY, LOADING or MASTERDOWN error reply (the
 * master was demoted or is not serving), drops the connection; the next attempt asks the
 * sentinels again. The call that saw it returns RL_ERR_UNAVAILABLE: a write whose reply was lost
 * may or may not have been applied, and the caller's retry with the same request id is
 * de-duplicated. */
rl_store_t *rl_store_new(const rl_store_opts_t *opts, rl_log_t *log);
void rl_store_destroy(rl_store_t **self_p);

/* Signs the audit chain heads this store writes as `signer` (a service name, <= 64 bytes) with
 * its Ed25519 secret key (64 bytes, copied). NULL secret: heads are written unsigned (and
 * `riskline audit verify` says so). A separate call because the key file is loaded after the
 * store exists (the key store behind CURVE lives in Redis). RL_ERR_INVALID for a bad name. */
rl_err_t rl_store_set_signer(rl_store_t *self, const char *signer, const uint8_t *sign_secret, rl_error_t *err);

/* Connects now if needed (respecting back-off). RL_OK when connected (a cluster: when every master
 * that holds slots answers PING). */
rl_err_t rl_store_ping(rl_store_t *self, rl_error_t *err);
/* Number of successful (re)connections so far. */
uint64_t rl_store_connects(const rl_store_t *self);

/* --- replies, copied into the caller's arena --- */
typedef enum { RL_VAL_NIL, RL_VAL_INT, RL_VAL_STR, RL_VAL_ARR, RL_VAL_ERR } rl_val_type_t;

typedef struct rl_val {
    rl_val_type_t type;
    long long i;                 /* RL_VAL_INT */
    const char *s;               /* RL_VAL_STR / RL_VAL_ERR (NUL-terminated; may contain NULs) */
    size_t len;
    size_t n;                    /* RL_VAL_ARR */
    const struct rl_val *elem;
} rl_val_t;

/* --- commands, built in the caller's arena --- */
typedef struct rl_cmd rl_cmd_t;

rl_cmd_t *rl_cmd_new(rl_arena_t *arena, const char *name);
void rl_cmd_arg(rl_cmd_t *cmd, const char *s);
void rl_cmd_argb(rl_cmd_t *cmd, const void *data, size_t len);
void rl_cmd_argf(rl_cmd_t *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sends ncmd commands in one pipeline; vals[i] receives command i's reply (which may be an
 * RL_VAL_ERR reply from Redis: the call still succeeds). RL_ERR_UNAVAILABLE when Redis cannot be
 * reached (after one reconnect attempt for a dropped connection), RL_ERR_INTERNAL on arena
 * exhaustion or a command that was not built. */
rl_err_t rl_store_pipeline(rl_store_t *self, rl_arena_t *arena, size_t ncmd, rl_cmd_t *const *cmds,
                           const rl_val_t **vals, rl_error_t *err);
/* One command. */
rl_err_t rl_store_cmd(rl_store_t *self, rl_arena_t *arena, rl_cmd_t *cmd, const rl_val_t **val,
                      rl_error_t *err);

/* --- the atomic write: entity + indexes + domain event (+ history) in one Lua script --- */
/*
 *   guards (all must hold) -> version check (CAS) -> chain head check (CAS)
 *     -> XADD stream {e: event', h: SHA-256(event')} -> HSET entity {v, pb} -> index ops
 *     -> HSET chain head {seq, h, id, signer, sig} -> SET dedupe key (TTL)
 *
 * The entity is a hash {v: version, pb: packed entity}. A repeated request id returns
 * RL_WRITE_DUPLICATE with the value the first write stored, and writes nothing.
 * Every event joins its tenant's audit chain (rl_chain.h): event' is the packed event with its
 * chain position and the previous event's hash appended (the event must not set them); the head
 * lives at rl:{<tenant>}:chain, the tenant taken from the stream key's hash tag.
 */
typedef enum {
    RL_OP_ZADD,          /* key, score, member */
    RL_OP_ZREM,          /* key, member */
    RL_OP_HISTORY,       /* key: RPUSH the new stream entry id */
    RL_OP_GUARD_ZNONE,   /* key, min, max: ZCOUNT key min max must be 0 */
    RL_OP_GUARD_HFIELD,  /* key, field, value: HGET key field must equal value ("" = absent) */
    RL_OP_HSET,          /* key, field, value */
    RL_OP_HDEL,          /* key, field */
    RL_OP_HINCRBY,       /* key, field, increment (an integer, as text) */
} rl_op_type_t;

typedef struct {
    rl_op_type_t type;
    const char *key;
    double score;         /* ZADD */
    const char *a;        /* ZADD/ZREM member; GUARD_ZNONE min; GUARD_HFIELD, HSET, HINCRBY field */
    const char *b;        /* GUARD_ZNONE max; GUARD_HFIELD, HSET value; HINCRBY increment */
} rl_op_t;

typedef struct {
    const char *entity_key;
    uint64_t expected_version;   /* 0: the entity must not exist */
    uint64_t new_version;
    const void *blob;
    size_t blob_len;
    const char *stream_key;
    const void *event;
    size_t event_len;
    const char *dedupe_key;
    const char *dedupe_value;    /* returned to a duplicate request (e.g. the entity id) */
    const rl_op_t *ops;
    size_t nops;
} rl_write_t;

typedef enum { RL_WRITE_DONE, RL_WRITE_DUPLICATE } rl_write_outcome_t;

typedef struct {
    rl_write_outcome_t outcome;
    char stream_id[48];          /* DONE: id of the new stream entry */
    const char *dup_value;       /* DUPLICATE: arena-owned */
    uint64_t current_version;    /* on RL_ERR_CONFLICT */
    size_t failed_guard;         /* on RL_ERR_CONFLICT from a guard: index into ops, else SIZE_MAX */
    long long guard_value;       /* GUARD_ZNONE: the count found */
} rl_write_result_t;

/* RL_OK (see res->outcome), RL_ERR_CONFLICT (stale version or failed guard), RL_ERR_UNAVAILABLE
 * (also when the chain head kept moving under concurrent writers through every retry). */
rl_err_t rl_store_write(rl_store_t *self, rl_arena_t *arena, const rl_write_t *w, rl_write_result_t *res,
                        rl_error_t *err);

/* Reserves the next `count` numbers of the sequence at seq_key (INCRBY) and sets *n to the last
 * of them, unless dedupe_key (the request's idempotency marker) exists: then *dup_value is what
 * the first attempt stored and *n is 0. A retried request thus never burns a number. */
rl_err_t rl_store_reserve(rl_store_t *self, rl_arena_t *arena, const char *seq_key, const char *dedupe_key,
                          uint32_t count, uint64_t *n, const char **dup_value, rl_error_t *err);

/* One stream entry of an audit chain page (arena-owned). */
typedef struct {
    const char *stream_id;
    const void *event;          /* field e; NULL when absent */
    size_t event_len;
    const void *hash;           /* field h; NULL when absent */
    size_t hash_len;
} rl_chain_entry_t;

/* Up to `limit` entries of the stream at stream_key after stream id `after` ("" = from the start),
 * and the chain head, read in one atomic step (so the head matches the entries seen: no writer
 * slips in between). head->seq is 0 when there is no head. RL_ERR_INVALID (field "after") when
 * `after` is not a stream id. */
rl_err_t rl_store_chain_read(rl_store_t *self, rl_arena_t *arena, const char *stream_key, const char *after,
                             uint32_t limit, rl_chain_entry_t **entries, size_t *n, rl_chain_head_t *head,
                             rl_error_t *err);

/* --- ingestion: append once per idempotency key --- */
/* A counter of counter_key and what to add to it. */
typedef struct {
    const char *field;
    size_t n;
} rl_append_count_t;

/* Where a batch goes, and what its entry holds besides the items. */
typedef struct {
    const char *seen_key;         /* a set of the idempotency keys appended so far */
    const char *stream_key;       /* the log: one entry per batch */
    const char *counter_key;      /* a hash of counters */
    const char *const *fields;    /* more fields of the entry: name, value, name, value ... */
    size_t nfields;               /* pairs */
    const rl_append_count_t *counts;  /* more counters to add with the append (refused items) */
    size_t ncounts;
} rl_append_t;

typedef struct {
    const char *member;           /* its idempotency key */
    const void *bytes;            /* appended to the entry's field b */
    size_t len;
    const char *accepted_field;   /* HINCRBY'd on an append ... */
    const char *duplicate_field;  /* ... or on a duplicate */
} rl_append_item_t;

typedef enum { RL_APPEND_ACCEPTED, RL_APPEND_DUPLICATE } rl_append_outcome_t;

/* Appends the items whose member is not in the seen set yet (nor earlier in the batch) as ONE
 * stream entry: field b = their bytes concatenated in order, then to->fields; marks them seen and
 * adds the counters (each item's accepted or duplicate field, and to->counts), atomically (one
 * MULTI/EXEC transaction, or a Lua script on a cluster; replicas may append at once). out[i] says
 * which were appended. RL_OK means every item is persisted or was before: only then may the sender
 * be acknowledged. Usually one round trip; one more when some were seen before (nothing is written
 * then, the stream's counters included, and the rest is sent again).
 * At most RL_APPEND_MAX items (the script hands them to Redis as one command's arguments):
 * RL_ERR_TOO_LARGE above. */
#define RL_APPEND_MAX 4000
rl_err_t rl_store_append_once(rl_store_t *self, rl_arena_t *arena, const rl_append_t *to,
                              const rl_append_item_t *items, size_t n, rl_append_outcome_t *out, rl_error_t *err);

/* Pipelined appends, for a store whose connection does nothing else (a request loop that goes on
 * while Redis appends). rl_store_append_send sends what rl_store_append_once would send first,
 * without waiting: 1 sent (*ticket names it), 0 not sent (a cluster or WAIT replicas, an item
 * repeated in the batch, the tenant not listed yet with appends in flight, no connection: use
 * rl_store_append_once), -1 the connection failed (err; the appends in flight are lost too). */
typedef struct {
    uint64_t gen, seq;
} rl_append_ticket_t;
int rl_store_append_send(rl_store_t *self, rl_arena_t *arena, const rl_append_t *to, const rl_append_item_t *items,
                         size_t n, rl_append_ticket_t *ticket, rl_error_t *err);
/* The descriptor that becomes readable when a reply of an append in flight arrives; -1 none. */
int rl_store_append_fd(const rl_store_t *self);
/* The reply of the oldest append in flight (tickets in the order sent). wait 0: *ready 0 when it
 * is not there yet; wait 1: up to the store's timeout. RL_OK: every item appended (out[0..n)
 * RL_APPEND_ACCEPTED). RL_ERR_CONFLICT: nothing was written (some items were seen before, or the
 * script could not run). RL_ERR_UNAVAILABLE: the connection was lost, whether it was written is
 * unknown. After either, rl_store_append_once on another store settles the items (those stored
 * already come back RL_APPEND_DUPLICATE). */
rl_err_t rl_store_append_recv(rl_store_t *self, rl_append_ticket_t ticket, rl_arena_t *arena, size_t n,
                              rl_append_outcome_t *out, int wait, int *ready, rl_error_t *err);

/* --- the tenant directory and consumer groups --- */
/* Every tenant that has a domain event stream (a set; rl_store_write adds the tenant). */
#define RL_STORE_TENANTS_KEY "rl:{_sys}:tenants"
rl_err_t rl_store_tenants(rl_store_t *self, rl_arena_t *arena, const char ***out, size_t *n, rl_error_t *err);

typedef struct {
    const char *id;         /* stream entry id */
    const char *event;      /* the first field `e`: packed DomainEvent (NULL when absent) */
    size_t event_len;
    const rl_val_t *fields; /* every field and value of the entry */
} rl_stream_entry_t;

/* The k-th field `e` of an entry (an ingestion batch holds one per event): 0, or -1 past the last. */
int rl_stream_entry_event(const rl_stream_entry_t *ent, size_t k, const char **bytes, size_t *len);
/* The k-th field `name` of an entry (the audit chain's hash is field `h`): 0, or -1 past the last. */
int rl_stream_entry_field(const rl_stream_entry_t *ent, const char *name, size_t k, const char **bytes, size_t *len);

/* One process's membership of a consumer group. Every replica of a service reads the group under
 * its OWN consumer name (two replicas under one name would share one pending list: each would
 * re-read, and acknowledge, what the other has in hand). The name is stable across restarts of
 * the same replica, so a restarted process first finishes what it left pending (README
 * "Replicas"). Entries pending longer than claim_idle_ms with any other consumer (a crashed
 * replica, or one renamed) are taken over with XAUTOCLAIM. */
#define RL_MAX_CONSUMER 128
typedef struct {
    char group[64];
    char consumer[RL_MAX_CONSUMER + 1];
    int64_t claim_idle_ms;           /* 0: never claim */
    int64_t next_claim_ms;           /* monotonic ms of the next claim pass (rl_group_claim_due) */
    const volatile sig_atomic_t *stop;  /* the service's stop flag (NULL: none): a consumer that sees
                                         * it set reads nothing new and finishes what it holds */
    int64_t stop_seen_ms;            /* monotonic ms rl_group_give_up first saw the stop (0: not yet) */
} rl_group_reader_t;

/* Fills r (strings truncated to fit). */
void rl_group_reader_init(rl_group_reader_t *r, const char *group, const char *consumer, int64_t claim_idle_ms,
                          const volatile sig_atomic_t *stop);
/* 1 when this tick's reads should also claim (every claim_idle_ms / 2, at least 50 ms apart), and
 * schedules the next claim pass; 0 otherwise. One round trip per stream is the cost of a claim. */
int rl_group_claim_due(rl_group_reader_t *r, int64_t now_ms);
/* 1 once the service is stopping: a consumer then ticks at once (no interval) to finish what it
 * holds; rl_store_group_read returns only its own pending entries. */
int rl_group_stopping(const rl_group_reader_t *r);
/* 1 when a stopping consumer must leave the rest of what it holds (pending under its name: handled
 * first on its restart, or claimed by another replica): the stop was first seen here more than
 * RL_STOP_FINISH_MS ago. 0 while not stopping, and until then: it finishes the entries in hand. */
int rl_group_give_up(rl_group_reader_t *r);

/* Up to count entries for r's consumer on stream: first those delivered to it before and not
 * acknowledged (it stopped mid-way, or was restarted), then, when `claim`, those pending longer
 * than r->claim_idle_ms with other consumers (XAUTOCLAIM: now ours), then new ones. Once the
 * service is stopping, only the first: it takes no new work. The group is
 * created on first use, from the start of the stream. Entries are arena-owned. At-least-once:
 * handle idempotently, then ack. */
rl_err_t rl_store_group_read(rl_store_t *self, rl_arena_t *arena, const char *stream, const rl_group_reader_t *r,
                             int claim, uint32_t count, rl_stream_entry_t **out, size_t *n, rl_error_t *err);
rl_err_t rl_store_ack(rl_store_t *self, rl_arena_t *arena, const char *stream, const char *group, const char *id,
                      rl_error_t *err);
/* The same for ids[0..n) in one command (a consumer acks a handled batch at once). */
rl_err_t rl_store_ack_many(rl_store_t *self, rl_arena_t *arena, const char *stream, const char *group,
                           const char *const *ids, size_t n, rl_error_t *err);

/* How far a consumer group is behind on a stream, in stream ENTRIES (an ingestion batch is one
 * entry holding many events): XINFO GROUPS (Redis >= 7.0) and XLEN, one round trip. */
typedef struct {
    uint64_t length;       /* entries in the stream now (0 when it does not exist) */
    int group_exists;      /* 0: the group was not created yet: every entry is unread (lag = length) */
    int lag_known;         /* 0: Redis cannot tell (entries were deleted or trimmed): lag is 0 */
    uint64_t lag;          /* entries not delivered to the group yet */
    uint64_t pending;      /* entries delivered to a consumer of the group and not acknowledged */
} rl_group_info_t;

rl_err_t rl_store_group_info(rl_store_t *self, rl_arena_t *arena, const char *stream, const char *group,
                             rl_group_info_t *out, rl_error_t *err);

#endif
