/* rl_store.c: hiredis behind a small API; the only file that includes hiredis. */
#include "rl_store.h"
#include "rl_clock.h"
#include "rl_cluster.h"
#include "rl_config.h"
#include "rl_limits.h"

#include <hiredis/hiredis.h>
#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000

/* The atomic write. KEYS: 1 entity, 2 stream, 3 dedupe, 4 chain head, 4+i op i's key.
 * ARGV: 1 expected v, 2 new v, 3 blob, 4 event', 5 ttl, 6 dedupe value, 7 nops, 8 expected head seq
 * ("0": none), 9 expected head hash ("" for none), 10 new seq, 11 new hash, 12 signer, 13 signature,
 * then (op, a, b) x nops. Every check comes before the first write, and XADD is the first write:
 * a script that fails midway keeps what it wrote, so a failing XADD must leave nothing behind.
 * A moved chain head returns {'CHAIN', seq, hash}: the caller re-chains the event and retries. */
static const char WRITE_LUA[] =
    "local dv = redis.call('GET', KEYS[3])\n"
    "if dv then return {'DUP', dv} end\n"
    "local n = tonumber(ARGV[7])\n"
    "for i = 1, n do\n"
    "  local op, a, b, k = ARGV[11+3*i], ARGV[12+3*i], ARGV[13+3*i], KEYS[4+i]\n"
    "  if op == 'G0' then\n"
    "    local c = redis.call('ZCOUNT', k, a, b)\n"
    "    if c > 0 then return {'GUARD', tostring(i), tostring(c)} end\n"
    "  elseif op == 'GH' then\n"
    "    local v = redis.call('HGET', k, a)\n"
    "    if (v or '') ~= b then return {'GUARD', tostring(i), '0'} end\n"
    "  end\n"
    "end\n"
    "local cur = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')\n"
    "if cur ~= tonumber(ARGV[1]) then return {'CONFLICT', tostring(cur)} end\n"
    "local head = redis.call('HMGET', KEYS[4], 'seq', 'h')\n"
    "local hs, hh = head[1] or '0', head[2] or ''\n"
    "if hs ~= ARGV[8] or hh ~= ARGV[9] then return {'CHAIN', hs, hh} end\n"
    "local sid = redis.call('XADD', KEYS[2], '*', 'e', ARGV[4], 'h', ARGV[11])\n"
    "redis.call('HSET', KEYS[1], 'v', ARGV[2], 'pb', ARGV[3])\n"
    "for i = 1, n do\n"
    "  local op, a, b, k = ARGV[11+3*i], ARGV[12+3*i], ARGV[13+3*i], KEYS[4+i]\n"
    "  if op == 'ZA' then redis.call('ZADD', k, b, a)\n"
    "  elseif op == 'ZR' then redis.call('ZREM', k, a)\n"
    "  elseif op == 'HL' then redis.call('RPUSH', k, sid)\n"
    "  elseif op == 'HS' then redis.call('HSET', k, a, b)\n"
    "  elseif op == 'HD' then redis.call('HDEL', k, a)\n"
    "  elseif op == 'HI' then redis.call('HINCRBY', k, a, b) end\n"
    "end\n"
    "redis.call('HSET', KEYS[4], 'seq', ARGV[10], 'h', ARGV[11], 'id', sid, 'signer', ARGV[12], 'sig', ARGV[13])\n"
    "redis.call('SET', KEYS[3], ARGV[6], 'EX', tonumber(ARGV[5]))\n"
    "return {'OK', sid}\n";

/* Reserve the next `count` numbers of a sequence, unless the request id was already served.
 * KEYS: 1 sequence, 2 dedupe marker. ARGV: 1 count. Returns the last number reserved. */
static const char RESERVE_LUA[] =
    "local dv = redis.call('GET', KEYS[2])\n"
    "if dv then return {'DUP', dv} end\n"
    "return {'OK', tostring(redis.call('INCRBY', KEYS[1], ARGV[1]))}\n";

/* A page of an audit chain and its head, atomically. KEYS: 1 stream, 2 chain head.
 * ARGV: 1 start ("-" or "(<id>"), 2 count. */
static const char CHAIN_READ_LUA[] =
    "return {redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2]),\n"
    "        redis.call('HMGET', KEYS[2], 'seq', 'h', 'id', 'signer', 'sig')}\n";

/* Ingestion: a batch appended once per idempotency key, as ONE stream entry whose field b holds
 * every item's bytes, in order:
 *
 *   XADD <stream> * b <item 1><item 2>...<item n> <field> <value> ...
 *
 * so Redis parses a few arguments and one large one, however many events a batch holds, and Lua
 * handles no event's bytes one by one. SMISMEMBER checks every idempotency key: if any is known,
 * nothing is written and the flags say which ('D'); the caller sends the others again (the bytes
 * would have to be cut apart otherwise). The XADD goes first: if it fails nothing is marked and the
 * sender's retry is accepted. Counters are added only with a write (or when n is 0). This form
 * runs on a Redis Cluster (whose client routes each command of a pipeline alone) and for counters
 * alone; one server runs the transaction below (APPEND_CHECK_LUA), which keeps the bytes out of Lua.
 * KEYS: 1 seen set, 2 stream, 3 counters. ARGV: 1 n, 2..n+1 members, n+2 bytes, n+3 npairs, then
 * npairs entry field/value pairs, then ncounts, then ncounts counter field/increment pairs.
 * Returns {entry id or "", flags: n of 'A', or some 'D' when nothing was written}. */
static const char APPEND_BATCH_LUA[] =
    "local n = tonumber(ARGV[1])\n"
    "local id = ''\n"
    "if n > 0 then\n"
    "  local known = redis.call('SMISMEMBER', KEYS[1], unpack(ARGV, 2, n + 1))\n"
    "  for i = 1, n do\n"
    "    if known[i] == 1 then\n"
    "      local flags = {}\n"
    "      for j = 1, n do flags[j] = known[j] == 1 and 'D' or 'A' end\n"
    "      return {'', table.concat(flags)}\n"
    "    end\n"
    "  end\n"
    "  local np = tonumber(ARGV[n + 3])\n"
    "  id = redis.pcall('XADD', KEYS[2], '*', 'b', ARGV[n + 2], unpack(ARGV, n + 4, n + 3 + 2 * np))\n"
    "  if type(id) == 'table' and id.err then return id end\n"
    "  redis.call('SADD', KEYS[1], unpack(ARGV, 2, n + 1))\n"
    "end\n"
    "local c = n + 4 + 2 * tonumber(ARGV[n + 3])\n"
    "for j = 0, tonumber(ARGV[c]) - 1 do\n"
    "  redis.call('HINCRBY', KEYS[3], ARGV[c + 1 + 2 * j], ARGV[c + 2 + 2 * j])\n"
    "end\n"
    "return {id, string.rep('A', n)}\n";

/* Ingestion on one server (or the master the sentinels named), the same append as a transaction
 * whose entry bytes never pass through Lua: there each byte cost ~1.3 ns to become a Lua string and
 * about as much to become a Redis string again, ~70 us of a 30 KB batch's ~250 us script.
 *
 *   MULTI
 *   XADD <stream> * b <item 1><item 2>...<item n> <field> <value> ...
 *   EVAL <APPEND_CHECK_LUA> 3 <seen> <stream> <counters> n <members> ncounts <field> <increment> ...
 *   EXEC                                        -> [entry id, flags]
 *
 * The check runs after the XADD, in the same transaction. When a member is known it deletes the
 * entry again and puts the stream's counters back (XSETID ENTRIESADDED, and MAXDELETEDID below the
 * first entry, as "0-0" cannot be set), so the log and every consumer group's lag are as if nothing
 * had been added: only the last generated id has moved on. A stream key of another type made the
 * XADD fail: nothing is marked. EVAL, not EVALSHA: a NOSCRIPT inside EXEC would come after the XADD
 * had run (Redis keeps the compiled script by its digest; the source costs ~1 us a call). A check
 * that fails (the seen set of another type) takes the entry back too. The take-back reads the entry
 * into Lua (XINFO STREAM): slow, and only for a batch sent again. Only a connection whose Redis user
 * may run MULTI/EXEC uses this form (append_tx_allowed): refused, MULTI would leave the XADD alone.
 * KEYS: 1 seen set, 2 stream, 3 counters. ARGV: 1 n, 2..n+1 members, n+2 ncounts, then ncounts
 * counter field/increment pairs. Returns the flags: n of 'A', or some 'D' when nothing was written. */
#define APPEND_TX_REPLIES 4  /* MULTI, XADD, EVAL, EXEC: the last one's is the outcome */
static const char APPEND_CHECK_LUA[] =
    "if redis.call('TYPE', KEYS[2])['ok'] ~= 'stream' then\n"
    "  return redis.error_reply('ERR the entry was not added: ' .. KEYS[2] .. ' is not a stream')\n"
    "end\n"
    "local function take_back()\n"
    "  local info, f = redis.call('XINFO', 'STREAM', KEYS[2]), {}\n"
    "  for j = 1, #info, 2 do f[info[j]] = info[j + 1] end\n"
    "  local id, md = f['last-generated-id'], f['max-deleted-entry-id']\n"
    "  if md == '0-0' then md = '0-1' end\n"
    "  redis.call('XDEL', KEYS[2], id)\n"
    "  redis.call('XSETID', KEYS[2], id, 'ENTRIESADDED', f['entries-added'] - 1, 'MAXDELETEDID', md)\n"
    "end\n"
    "local function failed(e)\n"
    "  take_back()\n"
    "  return redis.error_reply('ERR the entry was taken back: ' .. tostring(type(e) == 'table' and e.err or e))\n"
    "end\n"
    "local n = tonumber(ARGV[1])\n"
    "local ok, known = pcall(redis.call, 'SMISMEMBER', KEYS[1], unpack(ARGV, 2, n + 1))\n"
    "if not ok then return failed(known) end\n"
    "for i = 1, n do\n"
    "  if known[i] == 1 then\n"
    "    take_back()\n"
    "    local flags = {}\n"
    "    for j = 1, n do flags[j] = known[j] == 1 and 'D' or 'A' end\n"
    "    return table.concat(flags)\n"
    "  end\n"
    "end\n"
    "local added, e = pcall(redis.call, 'SADD', KEYS[1], unpack(ARGV, 2, n + 1))\n"
    "if not added then return failed(e) end\n"
    "local c = n + 2\n"
    "for j = 0, tonumber(ARGV[c]) - 1 do\n"
    "  redis.call('HINCRBY', KEYS[3], ARGV[c + 1 + 2 * j], ARGV[c + 2 + 2 * j])\n"
    "end\n"
    "return string.rep('A', n)\n";

enum { SCRIPT_WRITE, SCRIPT_RESERVE, SCRIPT_CHAIN_READ, SCRIPT_APPEND_BATCH, SCRIPT_COUNT };
static const char *const script_source[SCRIPT_COUNT] = {WRITE_LUA, RESERVE_LUA, CHAIN_READ_LUA, APPEND_BATCH_LUA};
/* Read-only scripts run as EVALSHA_RO: Redis then checks their keys as reads, so a service whose
 * ACL user may only read those keys (the report) can still run them. */
static const int script_ro[SCRIPT_COUNT] = {0, 0, 1, 0};

/* Audit chain heads last seen per stream, so a write needs no extra round trip to learn its
 * predecessor; a stale entry costs one retry (the script returns the real head). */
#define HEAD_SLOTS 64
#define HEAD_KEY_MAX 96
#define CHAIN_TRIES 8

typedef struct {
    char stream[HEAD_KEY_MAX];
    uint64_t seq;                       /* 0: no head (or not known yet) */
    uint8_t h[RL_CHAIN_HASH_LEN];
    int listed;                         /* its tenant is in the tenant directory */
} head_slot_t;

/* An address from a configured list (sentinels, cluster seed nodes). */
typedef struct {
    char host[256];
    int port;
} sentinel_t;

/* One server connection with its own back-off: the Redis server (or the master the sentinels
 * named), or one cluster node. */
typedef struct {
    char host[256];
    int port;
    redisContext *ctx;
    int64_t next_attempt_ms;   /* monotonic; back-off gate */
    int backoff_ms;
} conn_t;

/* Redis Cluster (README "Redis Cluster"): the masters met so far and which serves each slot. */
#define CLUSTER_NODES_MAX 64
#define CLUSTER_ROUNDS 8       /* rounds of redirects per call */

struct rl_store {
    char *host;                /* configured (without sentinels) */
    int port;
    conn_t main;               /* without cluster: host:port, or the master the sentinels named */
    char *user;
    char *password;
    int timeout_ms;
    sentinel_t *sentinels;     /* NULL: no Sentinel */
    size_t nsentinels;
    size_t sentinel_first;     /* the one that answered last is asked first */
    char *master_name;
    char *sentinel_user;
    char *sentinel_password;
    int wait_replicas;         /* 0: no WAIT after writes */
    int wait_timeout_ms;
    rl_log_t *log;
    sentinel_t *seeds;         /* cluster seed nodes; NULL: no cluster */
    size_t nseeds;
    conn_t *nodes;             /* cluster nodes met (seeds, masters named by CLUSTER SLOTS or MOVED) */
    size_t nnodes;
    uint8_t *slot_node;        /* per slot: 1 + index in nodes, 0 unknown */
    int map_stale;             /* refresh the slot map before the next command */
    uint64_t connects;
    uint64_t append_gen;       /* connects when the appends in flight were sent (rl_store_append_send) */
    uint64_t append_sent, append_read;  /* appends sent and replies read: in flight = sent - read */
    size_t append_part;        /* replies of the oldest append in flight read so far (of APPEND_TX_REPLIES) */
    char append_why[160];      /* ... the first error among them */
    size_t append_why_at;      /* ... and its place (1: MULTI's, the rest then ran alone) */
    uint64_t tx_gen;           /* connects when append_tx_allowed last asked (0: not yet) */
    int tx_ok;                 /* ... and whether that connection may run MULTI/EXEC */
    char sha[SCRIPT_COUNT][41];
    head_slot_t heads[HEAD_SLOTS];
    char signer[65];
    uint8_t sign_secret[RL_CHAIN_SECRET_LEN];
    int has_secret;
};

struct rl_cmd {
    rl_arena_t *arena;
    int argc, cap;
    const char **argv;
    size_t *argvlen;
    int broken;                /* arena exhausted while building */
};

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

/* "host:port,host:port,..." into *out (calloc'd) and *n; -1 on a malformed item or no memory. */
static int parse_addrs(const char *list, sentinel_t **out, size_t *count)
{
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    *out = calloc(n, sizeof **out);
    if (!*out)
        return -1;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        sentinel_t *st = &(*out)[*count];
        if (rl_config_hostport(p, len, st->host, sizeof st->host, &st->port) != 0)
            return -1;
        (*count)++;
        p += len;
        if (*p == ',')
            p++;
    }
    return *count ? 0 : -1;
}

rl_store_t *rl_store_new(const rl_store_opts_t *opts, rl_log_t *log)
{
    rl_store_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->host = dup_or_empty(opts->host);
    self->user = dup_or_empty(opts->user);
    self->password = dup_or_empty(opts->password);
    self->master_name = strdup(opts->master_name && opts->master_name[0] ? opts->master_name : "riskline");
    self->sentinel_user = dup_or_empty(opts->sentinel_user);
    self->sentinel_password = dup_or_empty(opts->sentinel_password);
    if (!self->host || !self->user || !self->password || !self->master_name || !self->sentinel_user ||
        !self->sentinel_password || strlen(self->host) >= sizeof self->main.host ||
        (opts->sentinels && opts->sentinels[0] && parse_addrs(opts->sentinels, &self->sentinels, &self->nsentinels)) ||
        (opts->cluster && opts->cluster[0] &&
         (self->nsentinels || parse_addrs(opts->cluster, &self->seeds, &self->nseeds) ||
          !(self->nodes = calloc(CLUSTER_NODES_MAX, sizeof *self->nodes)) ||
          !(self->slot_node = calloc(RL_CLUSTER_SLOTS, 1))))) {
        rl_store_destroy(&self);
        return NULL;
    }
    self->port = opts->port;
    snprintf(self->main.host, sizeof self->main.host, "%s", self->host);
    self->main.port = self->port;
    self->main.backoff_ms = BACKOFF_MIN_MS;
    self->map_stale = 1;
    self->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 2000;
    self->wait_replicas = opts->wait_replicas > 0 ? opts->wait_replicas : 0;
    self->wait_timeout_ms = opts->wait_timeout_ms > 0 ? opts->wait_timeout_ms : 1000;
    self->log = log;
    return self;
}

/* The script digests stay: they are the SHA-1 of the sources, the same on every server. */
static void drop(conn_t *c)
{
    if (c->ctx) {
        redisFree(c->ctx);
        c->ctx = NULL;
    }
}

void rl_store_destroy(rl_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rl_store_t *self = *self_p;
    drop(&self->main);
    for (size_t i = 0; i < self->nnodes; i++)
        drop(&self->nodes[i]);
    if (self->password)
        sodium_memzero(self->password, strlen(self->password));
    if (self->sentinel_password)
        sodium_memzero(self->sentinel_password, strlen(self->sentinel_password));
    sodium_memzero(self->sign_secret, sizeof self->sign_secret);
    free(self->host);
    free(self->user);
    free(self->password);
    free(self->master_name);
    free(self->sentinel_user);
    free(self->sentinel_password);
    free(self->sentinels);
    free(self->seeds);
    free(self->nodes);
    free(self->slot_node);
    free(self);
    *self_p = NULL;
}

uint64_t rl_store_connects(const rl_store_t *self) { return self->connects; }

rl_err_t rl_store_set_signer(rl_store_t *self, const char *signer, const uint8_t *sign_secret, rl_error_t *err)
{
    if (!signer || !signer[0] || strlen(signer) >= sizeof self->signer)
        return rl_error_set(err, RL_ERR_INVALID, "signer", "must be 1..%zu bytes", sizeof self->signer - 1);
    snprintf(self->signer, sizeof self->signer, "%s", signer);
    self->has_secret = sign_secret != NULL;
    if (sign_secret)
        memcpy(self->sign_secret, sign_secret, sizeof self->sign_secret);
    else
        sodium_memzero(self->sign_secret, sizeof self->sign_secret);
    return RL_OK;
}

/* Drops c and backs off; a cluster refreshes its slot map before the next command (a failover
 * may have moved c's slots to a replica it promoted). */
static rl_err_t fail_conn(rl_store_t *self, conn_t *c, rl_error_t *err, const char *why)
{
    drop(c);
    c->next_attempt_ms = rl_mono_ms() + c->backoff_ms;
    c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
    self->map_stale = self->seeds != NULL;
    rl_log_warn(self->log, "redis unavailable", "host", c->host, "reason", why);
    return rl_error_set(err, RL_ERR_UNAVAILABLE, "redis", "Redis at %s:%d is unavailable: %s", c->host, c->port,
                        why);
}

static rl_err_t fail_connect(rl_store_t *self, rl_error_t *err, const char *why)
{
    return fail_conn(self, &self->main, err, why);
}

/* A connection to host:port, authenticated when password is set; NULL with why filled. */
static redisContext *open_conn(const rl_store_t *self, const char *host, int port, const char *user,
                               const char *password, char *why, size_t size)
{
    struct timeval tv = {self->timeout_ms / 1000, (self->timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (!c || c->err) {
        snprintf(why, size, "%s", c ? c->errstr : "out of memory");
        redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (!password[0])
        return c;
    redisReply *r = user[0] ? redisCommand(c, "AUTH %s %s", user, password) : redisCommand(c, "AUTH %s", password);
    int ok = r && r->type == REDIS_REPLY_STATUS;
    snprintf(why, size, "AUTH failed: %s", r && r->str ? r->str : "no reply");
    freeReplyObject(r);
    if (!ok) {
        redisFree(c);
        return NULL;
    }
    return c;
}

/* One sentinel's answer to SENTINEL get-master-addr-by-name into main.host/port; -1 with why. */
static int ask_sentinel(rl_store_t *self, const sentinel_t *st, char *why, size_t size)
{
    redisContext *c = open_conn(self, st->host, st->port, self->sentinel_user, self->sentinel_password, why, size);
    if (!c)
        return -1;
    redisReply *r = redisCommand(c, "SENTINEL get-master-addr-by-name %s", self->master_name);
    int ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STRING &&
             r->element[1]->type == REDIS_REPLY_STRING && r->element[0]->len > 0 &&
             r->element[0]->len < sizeof self->main.host;
    long port = ok ? strtol(r->element[1]->str, NULL, 10) : 0;
    if (ok && port >= 1 && port <= 65535) {
        if (self->connects && (strcmp(self->main.host, r->element[0]->str) || self->main.port != (int)port))
            rl_log_warn(self->log, "redis master changed (Sentinel)", "master", r->element[0]->str, "was",
                        self->main.host);
        snprintf(self->main.host, sizeof self->main.host, "%s", r->element[0]->str);
        self->main.port = (int)port;
    } else {
        snprintf(why, size, "sentinel %.64s:%d: %.80s", st->host, st->port,
                 r && r->type == REDIS_REPLY_ERROR ? r->str : r && r->type == REDIS_REPLY_NIL ? "unknown master name"
                                                                                               : "unexpected reply");
        ok = 0;
    }
    freeReplyObject(r);
    redisFree(c);
    return ok ? 0 : -1;
}

/* Asks the sentinels in turn (the last one that answered first) where the master is. */
static rl_err_t discover(rl_store_t *self, rl_error_t *err)
{
    char why[192] = "no sentinel";
    for (size_t i = 0; i < self->nsentinels; i++) {
        size_t k = (self->sentinel_first + i) % self->nsentinels;
        if (ask_sentinel(self, &self->sentinels[k], why, sizeof why) == 0) {
            self->sentinel_first = k;
            return RL_OK;
        }
    }
    char msg[256];
    snprintf(msg, sizeof msg, "no sentinel named master %s (%s)", self->master_name, why);
    return fail_connect(self, err, msg);
}

/* A write was not replicated in time: has a failover made another server the master? During a
 * SENTINEL FAILOVER the old master keeps serving (without replicas) for seconds until the
 * sentinels demote it; asking them now moves to the new master at once. Same master (a replica is
 * only slow or down): the connection stays, so reads go on. */
static void recheck_master(rl_store_t *self)
{
    char host[sizeof self->main.host], why[192];
    snprintf(host, sizeof host, "%s", self->main.host);
    int port = self->main.port;
    for (size_t i = 0; i < self->nsentinels; i++) {
        size_t k = (self->sentinel_first + i) % self->nsentinels;
        if (ask_sentinel(self, &self->sentinels[k], why, sizeof why) == 0) {
            self->sentinel_first = k;
            break;
        }
    }
    if (strcmp(host, self->main.host) != 0 || port != self->main.port)
        drop(&self->main);
}

/* ROLE must say master: a sentinel may name the old master for a moment during a failover. */
static int is_master(redisContext *c, char *why, size_t size)
{
    redisReply *r = redisCommand(c, "ROLE");
    int ok = r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 && r->element[0]->type == REDIS_REPLY_STRING &&
             strcmp(r->element[0]->str, "master") == 0;
    if (!ok)
        snprintf(why, size, "not the master: ROLE says %s",
                 !r ? "nothing" : r->type == REDIS_REPLY_ERROR ? r->str
                                : r->type == REDIS_REPLY_ARRAY && r->elements && r->element[0]->str ? r->element[0]->str
                                                                                                    : "?");
    freeReplyObject(r);
    return ok;
}

/* Connects c now if needed (respecting its back-off), authenticated, with every script loaded (a
 * cluster node holds its own script cache); the sentinels are asked first for the master. */
static rl_err_t connect_conn(rl_store_t *self, conn_t *c, rl_error_t *err)
{
    if (c->ctx)
        return RL_OK;
    if (rl_mono_ms() < c->next_attempt_ms)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "redis", "Redis at %s:%d is unavailable (retrying)", c->host,
                            c->port);
    rl_err_t rc = c == &self->main && self->nsentinels ? discover(self, err) : RL_OK;
    if (rc)
        return rc;
    char why[192];
    c->ctx = open_conn(self, c->host, c->port, self->user, self->password, why, sizeof why);
    if (!c->ctx || (c == &self->main && self->nsentinels && !is_master(c->ctx, why, sizeof why)))
        return fail_conn(self, c, err, why);
    for (int i = 0; i < SCRIPT_COUNT; i++) {
        redisReply *r = redisCommand(c->ctx, "SCRIPT LOAD %s", script_source[i]);
        int ok = r && r->type == REDIS_REPLY_STRING && r->len == 40;
        if (ok)
            memcpy(self->sha[i], r->str, 41);
        snprintf(why, sizeof why, "SCRIPT LOAD failed: %s", r && r->str ? r->str : "no reply");
        freeReplyObject(r);
        if (!ok)
            return fail_conn(self, c, err, why);
    }
    c->backoff_ms = BACKOFF_MIN_MS;
    self->connects++;
    if (self->connects > 1)
        rl_log_info(self->log, "redis reconnected", "host", c->host);
    return RL_OK;
}

static rl_err_t cluster_refresh(rl_store_t *self, rl_error_t *err);

/* Ready for commands: connected (without cluster), or a slot map known (a cluster: nodes connect
 * on first use). Either way the script digests are known afterwards. */
static rl_err_t connect_now(rl_store_t *self, rl_error_t *err)
{
    if (!self->seeds)
        return connect_conn(self, &self->main, err);
    return self->map_stale ? cluster_refresh(self, err) : RL_OK;
}

/* PING on c; RL_OK when it answers. */
static rl_err_t ping_conn(rl_store_t *self, conn_t *c, rl_error_t *err)
{
    rl_err_t rc = connect_conn(self, c, err);
    if (rc)
        return rc;
    redisReply *r = redisCommand(c->ctx, "PING");
    int ok = r != NULL;
    freeReplyObject(r);
    return ok ? RL_OK : fail_conn(self, c, err, "PING failed");
}

rl_err_t rl_store_ping(rl_store_t *self, rl_error_t *err)
{
    rl_err_t rc = connect_now(self, err);
    if (rc || !self->seeds)
        return rc ? rc : ping_conn(self, &self->main, err);
    /* a cluster serves every tenant only while every master that holds slots answers */
    for (size_t i = 0; i < self->nnodes; i++)
        if (memchr(self->slot_node, (int)(i + 1), RL_CLUSTER_SLOTS) && (rc = ping_conn(self, &self->nodes[i], err)))
            return rc;
    return RL_OK;
}

/* --- commands --- */

rl_cmd_t *rl_cmd_new(rl_arena_t *arena, const char *name)
{
    rl_cmd_t *c = rl_arena_alloc(arena, sizeof *c);
    if (!c)
        return NULL;
    c->arena = arena;
    rl_cmd_arg(c, name);
    return c;
}

void rl_cmd_argb(rl_cmd_t *c, const void *data, size_t len)
{
    if (!c || c->broken)
        return;
    if (c->argc == c->cap) {
        int cap = c->cap ? c->cap * 2 : 8;
        const char **argv = rl_arena_alloc(c->arena, (size_t)cap * sizeof *argv);
        size_t *argvlen = rl_arena_alloc(c->arena, (size_t)cap * sizeof *argvlen);
        if (!argv || !argvlen) {
            c->broken = 1;
            return;
        }
        if (c->argc) {
            memcpy(argv, c->argv, (size_t)c->argc * sizeof *argv);
            memcpy(argvlen, c->argvlen, (size_t)c->argc * sizeof *argvlen);
        }
        c->argv = argv;
        c->argvlen = argvlen;
        c->cap = cap;
    }
    c->argv[c->argc] = data ? data : "";
    c->argvlen[c->argc] = data ? len : 0;
    c->argc++;
}

void rl_cmd_arg(rl_cmd_t *c, const char *s) { rl_cmd_argb(c, s, s ? strlen(s) : 0); }

void rl_cmd_argf(rl_cmd_t *c, const char *fmt, ...)
{
    if (!c || c->broken)
        return;
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        c->broken = 1;
        return;
    }
    rl_cmd_arg(c, rl_arena_strdup(c->arena, tmp));
}

/* --- replies --- */

static int copy_reply(rl_arena_t *a, const redisReply *r, rl_val_t *v)
{
    switch (r->type) {
    case REDIS_REPLY_INTEGER:
        v->type = RL_VAL_INT;
        v->i = r->integer;
        return 0;
    case REDIS_REPLY_NIL:
        v->type = RL_VAL_NIL;
        return 0;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        v->type = r->type == REDIS_REPLY_ERROR ? RL_VAL_ERR : RL_VAL_STR;
        v->s = rl_arena_strndup(a, r->str, r->len);
        v->len = r->len;
        return v->s ? 0 : -1;
    case REDIS_REPLY_ARRAY: {
        v->type = RL_VAL_ARR;
        v->n = r->elements;
        rl_val_t *e = rl_arena_alloc(a, (r->elements ? r->elements : 1) * sizeof *e);
        if (!e)
            return -1;
        for (size_t i = 0; i < r->elements; i++)
            if (copy_reply(a, r->element[i], &e[i]))
                return -1;
        v->elem = e;
        return 0;
    }
    }
    v->type = RL_VAL_NIL;
    return 0;
}

/* Error replies that mean "this server cannot take the command now, another may": a master
 * demoted by a failover (READONLY), a server still loading its data (LOADING), a replica that lost
 * its master (MASTERDOWN). The connection is dropped so the next attempt finds the master anew. */
static int failover_reply(const rl_val_t *v)
{
    return v->type == RL_VAL_ERR &&
           (!strncmp(v->s, "READONLY", 8) || !strncmp(v->s, "LOADING", 7) || !strncmp(v->s, "MASTERDOWN", 10));
}

/* Commands that change nothing a failover could lose for good: reads, and the consumer-group steps
 * whose loss only redelivers an entry (at-least-once already; handlers are idempotent). Every
 * other command (every write script, SET, HSET, XGROUP CREATE, ...) is followed by WAIT when
 * replicas must hold a write before it is acknowledged: an unknown command errs on the safe side. */
static int needs_no_wait(const rl_cmd_t *c)
{
    static const char *const names[] = {
        "PING", "GET", "MGET", "HGET", "HMGET", "HGETALL", "HLEN", "HEXISTS", "EXISTS", "TYPE", "TTL", "PTTL",
        "STRLEN", "LRANGE", "LLEN", "LINDEX", "XRANGE", "XREVRANGE", "XLEN", "XINFO", "XPENDING", "XREAD",
        "ZRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZREVRANGE", "ZCOUNT", "ZSCORE", "ZMSCORE", "ZCARD",
        "ZRANK", "SMEMBERS", "SMISMEMBER", "SISMEMBER", "SCARD", "EVALSHA_RO", "EVAL_RO", "XREADGROUP", "XACK",
        "XAUTOCLAIM", "XCLAIM"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (c->argvlen[0] == strlen(names[i]) && !strncasecmp(c->argv[0], names[i], c->argvlen[0]))
            return 1;
    return 0;
}

static int pipeline_writes(const rl_store_t *self, size_t ncmd, rl_cmd_t *const *cmds)
{
    for (size_t i = 0; self->wait_replicas && i < ncmd; i++)
        if (!needs_no_wait(cmds[i]))
            return 1;
    return 0;
}

/* One reply off c into the arena; *io set (and c dropped) when the connection failed. */
static rl_err_t read_reply(rl_store_t *self, conn_t *c, rl_arena_t *arena, const rl_val_t **out, int *io,
                           rl_error_t *err)
{
    void *raw = NULL;
    if (redisGetReply(c->ctx, &raw) != REDIS_OK || !raw) {
        char why[128];
        snprintf(why, sizeof why, "%s", c->ctx->errstr[0] ? c->ctx->errstr : "connection lost");
        *io = 1;
        return fail_conn(self, c, err, why);
    }
    rl_val_t *v = rl_arena_alloc(arena, sizeof *v);
    int bad = !v || copy_reply(arena, raw, v);
    freeReplyObject(raw);
    *out = v;
    return bad ? rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory") : RL_OK;
}

/* A WAIT reply: RL_OK when wait_replicas replicas hold the writes before it. */
static rl_err_t check_wait(rl_store_t *self, const rl_val_t *waited, rl_error_t *err)
{
    if (waited->type == RL_VAL_INT && waited->i >= self->wait_replicas)
        return RL_OK;
    char n[24];
    snprintf(n, sizeof n, "%lld", waited->type == RL_VAL_INT ? waited->i : -1);
    rl_log_warn(self->log, "write not acknowledged by enough replicas: reported unavailable", "replicas", n,
                "error", waited->type == RL_VAL_ERR ? waited->s : "");
    if (self->nsentinels)
        recheck_master(self);
    self->map_stale = self->seeds != NULL;  /* a cluster failover may have moved the slots */
    return rl_error_set(err, RL_ERR_UNAVAILABLE, "redis",
                        "the write reached the master but not %d replica(s) within %d ms (%s): retry with the "
                        "same request id",
                        self->wait_replicas, self->wait_timeout_ms, waited->type == RL_VAL_ERR ? waited->s : n);
}

/* One attempt; *io set when the connection failed or the server cannot serve (worth one retry on a
 * fresh connection, to the master found anew). With `wait`, a WAIT follows the commands in the same
 * round trip: the call succeeds only when wait_replicas replicas hold every write before it. */
static rl_err_t pipeline_once(rl_store_t *self, rl_arena_t *arena, size_t ncmd, rl_cmd_t *const *cmds,
                              const rl_val_t **vals, int wait, int *io, rl_error_t *err)
{
    *io = 0;
    rl_err_t rc = connect_now(self, err);
    if (rc)
        return rc;
    conn_t *c = &self->main;
    for (size_t i = 0; i < ncmd; i++)
        redisAppendCommandArgv(c->ctx, cmds[i]->argc, cmds[i]->argv, cmds[i]->argvlen);
    if (wait)
        redisAppendCommand(c->ctx, "WAIT %d %d", self->wait_replicas, self->wait_timeout_ms);
    size_t nreply = ncmd + (wait ? 1 : 0);
    rl_err_t bad = RL_OK;
    const rl_val_t *waited = NULL;
    for (size_t i = 0; i < nreply; i++) {
        const rl_val_t *v = NULL;
        /* after a bad copy, keep reading so the connection stays in step */
        if ((rc = read_reply(self, c, arena, &v, io, err)) && *io)
            return rc;
        if (rc)
            bad = rc;
        else if (i < ncmd)
            vals[i] = v;
        else
            waited = v;
    }
    if (bad)
        return bad;
    for (size_t i = 0; i < ncmd; i++) {
        int ask, port;
        unsigned slot;
        char host[RL_CLUSTER_HOST_MAX];
        /* a cluster node reached as a single server: say what to set rather than pass MOVED on */
        if (vals[i]->type == RL_VAL_ERR && !rl_cluster_redirect(vals[i]->s, &ask, &slot, host, sizeof host, &port)) {
            rl_log_error(self->log, "redis is a cluster node: set RISKLINE_REDIS_CLUSTER", "host", c->host, "reply",
                         vals[i]->s);
            return rl_error_set(err, RL_ERR_UNAVAILABLE, "redis",
                                "Redis at %s:%d is a cluster node (%.60s): set RISKLINE_REDIS_CLUSTER", c->host,
                                c->port, vals[i]->s);
        }
        if (failover_reply(vals[i])) {
            char why[128];
            snprintf(why, sizeof why, "%.120s", vals[i]->s);
            *io = 1;
            return fail_connect(self, err, why);
        }
    }
    return waited ? check_wait(self, waited, err) : RL_OK;
}

/* --- Redis Cluster: each command to the master of its key's slot --- */

/* The node at host:port, added when new; NULL when the table is full or the name too long. */
static conn_t *node_at(rl_store_t *self, const char *host, int port)
{
    for (size_t i = 0; i < self->nnodes; i++)
        if (self->nodes[i].port == port && !strcmp(self->nodes[i].host, host))
            return &self->nodes[i];
    if (self->nnodes == CLUSTER_NODES_MAX || strlen(host) >= sizeof self->nodes[0].host)
        return NULL;
    conn_t *c = &self->nodes[self->nnodes++];
    memset(c, 0, sizeof *c);
    snprintf(c->host, sizeof c->host, "%s", host);
    c->port = port;
    c->backoff_ms = BACKOFF_MIN_MS;
    return c;
}

/* CLUSTER SLOTS on c (connected) into the slot map; -1 with why (c dropped when it failed). */
static int load_slots(rl_store_t *self, conn_t *c, char *why, size_t size)
{
    redisReply *r = redisCommand(c->ctx, "CLUSTER SLOTS");
    if (!r) {
        snprintf(why, size, "%.80s:%d: %.120s", c->host, c->port, c->ctx->errstr[0] ? c->ctx->errstr : "connection lost");
        fail_conn(self, c, NULL, why);
        return -1;
    }
    size_t cap = r->type == REDIS_REPLY_ARRAY && r->elements ? r->elements : 1, n = 0;
    rl_arena_t *a = rl_arena_new(4096 + cap * 1024);
    rl_cluster_range_t *ranges = calloc(cap, sizeof *ranges);
    uint8_t *map = calloc(RL_CLUSTER_SLOTS, 1);
    rl_val_t v;
    int ok = a && ranges && map && copy_reply(a, r, &v) == 0 && rl_cluster_parse_slots(&v, ranges, cap, &n) == 0;
    snprintf(why, size, "%.80s:%d: %.120s", c->host, c->port,
             r->type == REDIS_REPLY_ERROR ? r->str : !ok ? "unexpected CLUSTER SLOTS reply" : "no slot is assigned");
    ok = ok && n > 0;
    for (size_t i = 0; ok && i < n; i++) {
        /* a node whose address the cluster does not know is the one that answered */
        conn_t *node = node_at(self, ranges[i].host[0] ? ranges[i].host : c->host, ranges[i].port);
        if (!node)
            snprintf(why, size, "more than %d cluster nodes", CLUSTER_NODES_MAX);
        else
            memset(map + ranges[i].first, (int)(node - self->nodes) + 1, ranges[i].last - ranges[i].first + 1);
        ok = node != NULL;
    }
    if (ok)
        memcpy(self->slot_node, map, RL_CLUSTER_SLOTS);
    free(map);
    free(ranges);
    rl_arena_destroy(&a);
    freeReplyObject(r);
    return ok ? 0 : -1;
}

/* The slot map anew from the first node that answers (the known nodes, seeds first). */
static rl_err_t cluster_refresh(rl_store_t *self, rl_error_t *err)
{
    char why[256] = "no node";
    for (size_t i = 0; i < self->nseeds; i++)
        node_at(self, self->seeds[i].host, self->seeds[i].port);
    for (size_t i = 0; i < self->nnodes; i++) {
        rl_error_t e;
        rl_error_clear(&e);
        conn_t *c = &self->nodes[i];
        if (connect_conn(self, c, &e) != RL_OK) {
            snprintf(why, sizeof why, "%s", e.message);
            continue;
        }
        if (load_slots(self, c, why, sizeof why) == 0) {
            self->map_stale = 0;
            return RL_OK;
        }
    }
    self->map_stale = 1;
    rl_log_warn(self->log, "redis cluster slot map unavailable", "reason", why);
    return rl_error_set(err, RL_ERR_UNAVAILABLE, "redis", "no Redis Cluster node gave the slot map: %s", why);
}

/* The node index that serves cmd (a keyless command: the node of slot 0), -1 when none is known. */
static int route(const rl_store_t *self, const rl_cmd_t *cmd)
{
    int k = rl_cluster_key_index(cmd->argc, cmd->argv, cmd->argvlen);
    unsigned slot = k < 0 ? 0 : rl_cluster_slot(cmd->argv[k], cmd->argvlen[k]);
    return (int)self->slot_node[slot] - 1;
}

static void nap_ms(int ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

typedef struct {
    int *node;           /* per command: the node it goes to */
    uint8_t *asking;     /* per command: ASKING first (an ASK redirect during a slot migration) */
    int *sent;           /* per command: the node it went to this round, -1 */
    int tryagain;        /* a command met TRYAGAIN (its slot is half migrated): pause, then again */
} route_t;

/* One reply of command i from node n: final (vals[i] set), or redirected (MOVED: the slot map
 * learns the new owner; ASK: once to the importing node, with ASKING), or to try again. */
static rl_err_t take_reply(rl_store_t *self, conn_t *c, size_t i, const rl_val_t *v, route_t *rt,
                           const rl_val_t **vals, rl_error_t *err)
{
    int ask, port;
    unsigned slot;
    char host[RL_CLUSTER_HOST_MAX];
    if (v->type != RL_VAL_ERR) {
        vals[i] = v;
        return RL_OK;
    }
    if (rl_cluster_redirect(v->s, &ask, &slot, host, sizeof host, &port) == 0) {
        conn_t *to = node_at(self, host[0] ? host : c->host, port);
        if (!to)
            return rl_error_set(err, RL_ERR_UNAVAILABLE, "redis", "more than %d cluster nodes", CLUSTER_NODES_MAX);
        rt->node[i] = (int)(to - self->nodes);
        rt->asking[i] = (uint8_t)ask;
        if (!ask && self->slot_node[slot] != (uint8_t)(rt->node[i] + 1)) {
            char s[16], where[300];
            snprintf(s, sizeof s, "%u", slot);
            snprintf(where, sizeof where, "%s:%d", to->host, to->port);
            rl_log_info(self->log, "redis cluster slot moved", "slot", s, "node", where);
            self->slot_node[slot] = (uint8_t)(rt->node[i] + 1);
            self->map_stale = 1;  /* a slot moved: others may have too */
        }
        return RL_OK;
    }
    if (!strncmp(v->s, "TRYAGAIN", 8)) {
        rt->tryagain = 1;
        return RL_OK;
    }
    if (!strncmp(v->s, "CLUSTERDOWN", 11)) {
        self->map_stale = 1;
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "redis", "Redis Cluster is down: %.120s", v->s);
    }
    if (failover_reply(v)) {
        char why[128];
        snprintf(why, sizeof why, "%.120s", v->s);
        return fail_conn(self, c, err, why);
    }
    vals[i] = v;
    return RL_OK;
}

/* Sends every pending command routed to node n (each after ASKING when asked to, then WAIT when
 * they write) and flushes, so that the nodes work in parallel; -1 with *rc set when it cannot. */
static int send_to_node(rl_store_t *self, size_t n, size_t ncmd, rl_cmd_t *const *cmds, const rl_val_t **vals,
                        route_t *rt, int wait, int *waits, rl_error_t *err, rl_err_t *rc)
{
    conn_t *c = &self->nodes[n];
    int any = 0;
    *waits = 0;
    for (size_t i = 0; i < ncmd; i++)
        if (!vals[i] && rt->node[i] == (int)n) {
            if (!any && (*rc = connect_conn(self, c, err)))
                return -1;
            any = 1;
            if (rt->asking[i])
                redisAppendCommand(c->ctx, "ASKING");
            redisAppendCommandArgv(c->ctx, cmds[i]->argc, cmds[i]->argv, cmds[i]->argvlen);
            rt->sent[i] = (int)n;
            *waits |= wait && !needs_no_wait(cmds[i]);
        }
    if (*waits)
        redisAppendCommand(c->ctx, "WAIT %d %d", self->wait_replicas, self->wait_timeout_ms);
    for (int done = 0; any && !done;)
        if (redisBufferWrite(c->ctx, &done) != REDIS_OK) {
            char why[128];
            snprintf(why, sizeof why, "%s", c->ctx->errstr[0] ? c->ctx->errstr : "write failed");
            *rc = fail_conn(self, c, err, why);
            return -1;
        }
    return 0;
}

/* The replies of node n, in the order sent; *io set when its connection failed. */
static rl_err_t read_node(rl_store_t *self, size_t n, rl_arena_t *arena, size_t ncmd, route_t *rt,
                          const rl_val_t **vals, int waits, int *io, rl_error_t *err)
{
    conn_t *c = &self->nodes[n];
    rl_err_t bad = RL_OK, rc;
    for (size_t i = 0; i < ncmd; i++) {
        if (rt->sent[i] != (int)n)
            continue;
        const rl_val_t *v = NULL;
        /* the +OK of ASKING first; after a bad copy keep reading, so the connection stays in step */
        if (rt->asking[i] && (rc = read_reply(self, c, arena, &v, io, err)) && (*io || !bad))
            bad = rc;
        if (*io)
            return bad;
        if ((rc = read_reply(self, c, arena, &v, io, err)) && *io)
            return rc;
        if (rc || (rc = take_reply(self, c, i, v, rt, vals, err)))
            bad = bad ? bad : rc;
        if (!c->ctx)   /* a failover reply dropped the connection: nothing more to read */
            return bad;
    }
    const rl_val_t *waited = NULL;
    if (waits && (rc = read_reply(self, c, arena, &waited, io, err)))
        return rc;
    return bad ? bad : waited ? check_wait(self, waited, err) : RL_OK;
}

/* The pipeline over the cluster: commands grouped by node, one round trip per node (in parallel),
 * replies put back in order; redirected ones go again (up to CLUSTER_ROUNDS rounds). A connection
 * that was idle across a node restart gets one retry, as without cluster. */
static rl_err_t cluster_pipeline(rl_store_t *self, rl_arena_t *arena, size_t ncmd, rl_cmd_t *const *cmds,
                                 const rl_val_t **vals, int wait, rl_error_t *err)
{
    route_t rt = {rl_arena_alloc(arena, (ncmd + 1) * sizeof *rt.node), rl_arena_alloc(arena, ncmd + 1),
                  rl_arena_alloc(arena, (ncmd + 1) * sizeof *rt.sent), 0};
    if (!rt.node || !rt.asking || !rt.sent)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    rl_err_t rc = connect_now(self, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < ncmd; i++) {
        vals[i] = NULL;
        rt.asking[i] = 0;
        rt.node[i] = route(self, cmds[i]);
    }
    int io_retry = 1, redirects = 0;
    /* TRYAGAIN lasts as long as the slot migration (multi-key commands on a half-moved slot):
     * waited for up to the command timeout, so a reshard stalls writes rather than failing them */
    int64_t deadline = rl_mono_ms() + self->timeout_ms;
    for (int round = 0; rt.tryagain ? rl_mono_ms() < deadline : redirects++ < CLUSTER_ROUNDS; round++) {
        size_t pending = 0;
        for (size_t i = 0; i < ncmd; i++)
            pending += !vals[i];
        if (!pending)
            return RL_OK;
        if (round && self->map_stale)
            cluster_refresh(self, NULL);  /* a redirect already names the node; this is for the rest */
        if (rt.tryagain)
            nap_ms(round < 5 ? 10 * round : 50);
        rt.tryagain = 0;
        for (size_t i = 0; i < ncmd; i++) {
            rt.sent[i] = -1;
            if (!vals[i] && rt.node[i] < 0 && (rt.node[i] = route(self, cmds[i])) < 0)
                return rl_error_set(err, RL_ERR_UNAVAILABLE, "redis", "no Redis Cluster node serves the slot of "
                                    "command %zu (cluster not fully assigned?)", i);
        }
        int waits[CLUSTER_NODES_MAX] = {0}, had[CLUSTER_NODES_MAX] = {0};
        rl_err_t bad = RL_OK;
        int retry = 0;
        /* a node that cannot be reached fails the call, once the others' replies are read */
        for (size_t n = 0; n < self->nnodes; n++) {
            had[n] = self->nodes[n].ctx != NULL;
            if (!send_to_node(self, n, ncmd, cmds, vals, &rt, wait, &waits[n], err, &rc))
                continue;
            if (had[n] && io_retry) {
                retry = 1;
                self->nodes[n].next_attempt_ms = 0;
            } else if (!bad) {
                bad = rc;
            }
        }
        for (size_t n = 0; n < self->nnodes; n++) {
            int io = 0;
            if (!self->nodes[n].ctx || !(rc = read_node(self, n, arena, ncmd, &rt, vals, waits[n], &io, err)))
                continue;
            if (io && had[n] && io_retry) {
                retry = 1;
                self->nodes[n].next_attempt_ms = 0;
            } else if (!bad) {
                bad = rc;
            }
        }
        if (bad)
            return bad;
        if (retry) {
            io_retry = 0;
            for (size_t i = 0; i < ncmd; i++)
                if (!vals[i] && rt.sent[i] >= 0 && !self->nodes[rt.sent[i]].ctx)
                    rt.node[i] = -1;   /* routed anew once the map is refreshed */
        }
    }
    return rl_error_set(err, RL_ERR_UNAVAILABLE, "redis", "Redis Cluster kept redirecting the commands%s: a slot "
                        "migration in progress? retry", rt.tryagain ? " (TRYAGAIN until the timeout)" : "");
}

rl_err_t rl_store_pipeline(rl_store_t *self, rl_arena_t *arena, size_t ncmd, rl_cmd_t *const *cmds,
                           const rl_val_t **vals, rl_error_t *err)
{
    for (size_t i = 0; i < ncmd; i++)
        if (!cmds[i] || cmds[i]->broken)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "command %zu could not be built", i);
    int had_ctx = self->main.ctx != NULL, io = 0, wait = pipeline_writes(self, ncmd, cmds);
    if (self->seeds)
        return cluster_pipeline(self, arena, ncmd, cmds, vals, wait, err);
    rl_err_t rc = pipeline_once(self, arena, ncmd, cmds, vals, wait, &io, err);
    /* A connection that was idle across a Redis restart or a failover fails on first use: retry
     * once now. Safe: reads are idempotent and writes are de-duplicated by request id. */
    if (rc == RL_ERR_UNAVAILABLE && io && had_ctx) {
        self->main.next_attempt_ms = 0;
        rc = pipeline_once(self, arena, ncmd, cmds, vals, wait, &io, err);
    }
    return rc;
}

rl_err_t rl_store_cmd(rl_store_t *self, rl_arena_t *arena, rl_cmd_t *cmd, const rl_val_t **val,
                      rl_error_t *err)
{
    return rl_store_pipeline(self, arena, 1, &cmd, val, err);
}

/* --- the atomic write --- */

static const char *opcode(rl_op_type_t t)
{
    switch (t) {
    case RL_OP_ZADD: return "ZA";
    case RL_OP_ZREM: return "ZR";
    case RL_OP_HISTORY: return "HL";
    case RL_OP_HSET: return "HS";
    case RL_OP_HDEL: return "HD";
    case RL_OP_HINCRBY: return "HI";
    case RL_OP_GUARD_ZNONE: return "G0";
    case RL_OP_GUARD_HFIELD: return "GH";
    }
    return "??";
}

/* A script call: EVALSHA <sha> ...; eval() swaps in EVAL <source> when Redis lost the script
 * (a restart or SCRIPT FLUSH since we connected). Build it after connect_now (the sha comes with
 * the connection). */
static rl_cmd_t *script_cmd(rl_store_t *self, rl_arena_t *arena, int which)
{
    rl_cmd_t *c = rl_cmd_new(arena, script_ro[which] ? "EVALSHA_RO" : "EVALSHA");
    rl_cmd_arg(c, self->sha[which]);
    return c;
}

static rl_err_t eval(rl_store_t *self, rl_arena_t *arena, int which, rl_cmd_t *c, const rl_val_t **v,
                     rl_error_t *err)
{
    rl_err_t rc = rl_store_cmd(self, arena, c, v, err);
    if (rc == RL_OK && (*v)->type == RL_VAL_ERR && strncmp((*v)->s, "NOSCRIPT", 8) == 0) {
        c->argv[0] = script_ro[which] ? "EVAL_RO" : "EVAL";
        c->argvlen[0] = strlen(c->argv[0]);
        c->argv[1] = script_source[which];
        c->argvlen[1] = strlen(script_source[which]);
        rc = rl_store_cmd(self, arena, c, v, err);
    }
    return rc;
}

/* "rl:{t}:events" gives tenant "t" and its chain head key "rl:{t}:chain"; -1 without a hash tag. */
static int chain_names(rl_arena_t *a, const char *stream_key, char *tenant, size_t size, const char **chain_key)
{
    const char *o = strchr(stream_key, '{'), *c = o ? strchr(o, '}') : NULL;
    if (!c || c == o + 1 || (size_t)(c - o - 1) >= size)
        return -1;
    snprintf(tenant, size, "%.*s", (int)(c - o - 1), o + 1);
    *chain_key = rl_arena_printf(a, "%.*s:chain", (int)(c - stream_key + 1), stream_key);
    return *chain_key ? 0 : -1;
}

static head_slot_t *head_slot(rl_store_t *self, const char *stream_key)
{
    uint32_t hash = 2166136261u;
    for (const char *p = stream_key; *p; p++)
        hash = (hash ^ (unsigned char)*p) * 16777619u;
    head_slot_t *s = &self->heads[hash % HEAD_SLOTS];
    if (strcmp(s->stream, stream_key) != 0) {
        memset(s, 0, sizeof *s);
        if (strlen(stream_key) < sizeof s->stream)   /* a longer key is simply never cached */
            snprintf(s->stream, sizeof s->stream, "%s", stream_key);
    }
    return s;
}

/* The tenant directory lets consumers find every tenant's streams (domain events, ingestion
 * log); SADD is idempotent and done once per stream per process (a "_" pseudo-tenant such as the
 * key store is not listed). */
static rl_err_t list_tenant(rl_store_t *self, rl_arena_t *arena, head_slot_t *slot, const char *tenant,
                            rl_error_t *err)
{
    if (slot->listed || tenant[0] == '_')
        return RL_OK;
    rl_cmd_t *c = rl_cmd_new(arena, "SADD");
    rl_cmd_arg(c, RL_STORE_TENANTS_KEY);
    rl_cmd_arg(c, tenant);
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(self, arena, c, &v, err);
    if (rc)
        return rc;
    if (v->type == RL_VAL_ERR)
        rl_log_error(self->log, "cannot list the tenant", "tenant", tenant, "error", v->s);
    else
        slot->listed = 1;
    return RL_OK;
}

/* The event as it joins the chain after the head in slot. */
typedef struct {
    const char *key;                  /* rl:{t}:chain */
    uint64_t seq;                     /* the new event's position */
    uint8_t *event;                   /* event' (arena) */
    size_t event_len;
    uint8_t h[RL_CHAIN_HASH_LEN];
    uint8_t sig[RL_CHAIN_SIG_LEN];
    size_t sig_len;                   /* 0: unsigned */
} chained_t;

static rl_err_t chain_event(rl_store_t *self, const char *tenant, const rl_write_t *w, const head_slot_t *head,
                            chained_t *ch, rl_error_t *err)
{
    static const uint8_t zero[RL_CHAIN_HASH_LEN];
    ch->seq = head->seq + 1;
    ch->event_len = rl_chain_append_fields(w->event, w->event_len, ch->seq, head->seq ? head->h : zero, ch->event);
    rl_chain_hash(ch->event, ch->event_len, ch->h);
    ch->sig_len = 0;
    if (!self->has_secret)
        return RL_OK;
    rl_err_t rc = rl_chain_sign(tenant, self->signer, ch->seq, ch->h, self->sign_secret, ch->sig, err);
    if (rc == RL_OK)
        ch->sig_len = sizeof ch->sig;
    return rc;
}

static rl_cmd_t *build_write(rl_store_t *self, rl_arena_t *arena, const rl_write_t *w, const head_slot_t *head,
                             const chained_t *ch)
{
    rl_cmd_t *c = script_cmd(self, arena, SCRIPT_WRITE);
    rl_cmd_argf(c, "%zu", 4 + w->nops);
    rl_cmd_arg(c, w->entity_key);
    rl_cmd_arg(c, w->stream_key);
    rl_cmd_arg(c, w->dedupe_key);
    rl_cmd_arg(c, ch->key);
    for (size_t i = 0; i < w->nops; i++)
        rl_cmd_arg(c, w->ops[i].key);
    rl_cmd_argf(c, "%llu", (unsigned long long)w->expected_version);
    rl_cmd_argf(c, "%llu", (unsigned long long)w->new_version);
    rl_cmd_argb(c, w->blob, w->blob_len);
    rl_cmd_argb(c, ch->event, ch->event_len);
    rl_cmd_argf(c, "%d", RL_DEDUPE_TTL_S);
    rl_cmd_arg(c, w->dedupe_value);
    rl_cmd_argf(c, "%zu", w->nops);
    rl_cmd_argf(c, "%llu", (unsigned long long)head->seq);
    rl_cmd_argb(c, head->h, head->seq ? RL_CHAIN_HASH_LEN : 0);
    rl_cmd_argf(c, "%llu", (unsigned long long)ch->seq);
    rl_cmd_argb(c, ch->h, sizeof ch->h);
    rl_cmd_arg(c, self->signer);
    rl_cmd_argb(c, ch->sig, ch->sig_len);
    for (size_t i = 0; i < w->nops; i++) {
        const rl_op_t *op = &w->ops[i];
        rl_cmd_arg(c, opcode(op->type));
        rl_cmd_arg(c, op->a ? op->a : "");
        if (op->type == RL_OP_ZADD)
            rl_cmd_argf(c, "%.17g", op->score);
        else
            rl_cmd_arg(c, op->b ? op->b : "");
    }
    return c;
}

/* A {'CHAIN', seq, hash} reply: the head moved (another writer, or a stale cache). Learns it.
 * RL_ERR_INTERNAL when the stored head is not a head at all. */
static rl_err_t learn_head(rl_store_t *self, head_slot_t *slot, const char *stream_key, const rl_val_t *v,
                           rl_error_t *err)
{
    const rl_val_t *vs = &v->elem[1], *vh = &v->elem[2];
    char *end = NULL;
    unsigned long long seq = vs->s ? strtoull(vs->s, &end, 10) : 0;
    char canon[24];
    snprintf(canon, sizeof canon, "%llu", seq);
    if (!vs->s || strcmp(canon, vs->s) != 0 || (seq && vh->len != RL_CHAIN_HASH_LEN) || (!seq && vh->len)) {
        rl_log_error(self->log, "audit chain head is damaged: writes to its stream are refused", "stream", stream_key);
        return rl_error_set(err, RL_ERR_INTERNAL, "", "the audit chain head of %s is damaged (run riskline audit verify)",
                            stream_key);
    }
    if (slot->seq && seq < slot->seq)
        rl_log_warn(self->log, "audit chain head went backwards: possible tampering (run riskline audit verify)",
                    "stream", stream_key);
    slot->seq = seq;
    memset(slot->h, 0, sizeof slot->h);
    if (seq)
        memcpy(slot->h, vh->s, RL_CHAIN_HASH_LEN);
    return RL_OK;
}

/* Every reply of the write script but CHAIN. */
static rl_err_t write_outcome(rl_store_t *self, const rl_write_t *w, const rl_val_t *v, rl_write_result_t *res,
                              rl_error_t *err)
{
    const char *tag = v->elem[0].s, *arg = v->elem[1].s ? v->elem[1].s : "";
    if (strcmp(tag, "OK") == 0) {
        res->outcome = RL_WRITE_DONE;
        snprintf(res->stream_id, sizeof res->stream_id, "%s", arg);
        return RL_OK;
    }
    if (strcmp(tag, "DUP") == 0) {
        res->outcome = RL_WRITE_DUPLICATE;
        res->dup_value = arg;
        return RL_OK;
    }
    if (strcmp(tag, "CONFLICT") == 0) {
        res->current_version = strtoull(arg, NULL, 10);
        return rl_error_set(err, RL_ERR_CONFLICT, "expected_version",
                            "version %llu is stale: the current version is %llu",
                            (unsigned long long)w->expected_version,
                            (unsigned long long)res->current_version);
    }
    if (strcmp(tag, "GUARD") == 0 && v->n >= 3) {
        res->failed_guard = strtoull(arg, NULL, 10) - 1;
        res->guard_value = strtoll(v->elem[2].s ? v->elem[2].s : "0", NULL, 10);
        return rl_error_set(err, RL_ERR_CONFLICT, "", "a precondition of the write no longer holds");
    }
    rl_log_error(self->log, "unexpected store write reply", "tag", tag);
    return rl_error_set(err, RL_ERR_INTERNAL, "", "unexpected store write reply %s", tag);
}

rl_err_t rl_store_write(rl_store_t *self, rl_arena_t *arena, const rl_write_t *w, rl_write_result_t *res,
                        rl_error_t *err)
{
    memset(res, 0, sizeof *res);
    res->failed_guard = SIZE_MAX;
    char tenant[RL_MAX_TENANT * 2 + 1];
    chained_t ch;
    if (chain_names(arena, w->stream_key, tenant, sizeof tenant, &ch.key) != 0)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "stream key %s has no tenant hash tag", w->stream_key);
    ch.event = rl_arena_alloc(arena, w->event_len + RL_CHAIN_APPEND_MAX);
    if (!ch.event)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    head_slot_t *slot = head_slot(self, w->stream_key);
    rl_err_t lrc = list_tenant(self, arena, slot, tenant, err);
    if (lrc)
        return lrc;
    for (int attempt = 0; attempt < CHAIN_TRIES; attempt++) {
        rl_err_t rc = connect_now(self, err);  /* the script sha comes with the connection */
        if (rc || (rc = chain_event(self, tenant, w, slot, &ch, err)))
            return rc;
        const rl_val_t *v = NULL;
        if ((rc = eval(self, arena, SCRIPT_WRITE, build_write(self, arena, w, slot, &ch), &v, err)))
            return rc;
        if (v->type == RL_VAL_ERR) {
            rl_log_error(self->log, "write script failed", "error", v->s);
            return rl_error_set(err, RL_ERR_INTERNAL, "", "store write failed");
        }
        if (v->type != RL_VAL_ARR || v->n < 2 || v->elem[0].type != RL_VAL_STR)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "unexpected store write reply");
        if (strcmp(v->elem[0].s, "CHAIN") == 0 && v->n >= 3) {
            if ((rc = learn_head(self, slot, w->stream_key, v, err)))
                return rc;
            continue;
        }
        rc = write_outcome(self, w, v, res, err);
        if (rc == RL_OK && res->outcome == RL_WRITE_DONE) {
            slot->seq = ch.seq;
            memcpy(slot->h, ch.h, sizeof slot->h);
        }
        return rc;
    }
    return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "the audit chain of %s kept moving under other writers (%d tries)",
                        tenant, CHAIN_TRIES);
}

rl_err_t rl_store_reserve(rl_store_t *self, rl_arena_t *arena, const char *seq_key, const char *dedupe_key,
                          uint32_t count, uint64_t *n, const char **dup_value, rl_error_t *err)
{
    *n = 0;
    *dup_value = NULL;
    rl_err_t rc = connect_now(self, err);
    if (rc)
        return rc;
    const rl_val_t *v = NULL;
    rl_cmd_t *c = script_cmd(self, arena, SCRIPT_RESERVE);
    rl_cmd_arg(c, "2");
    rl_cmd_arg(c, seq_key);
    rl_cmd_arg(c, dedupe_key);
    rl_cmd_argf(c, "%u", count ? count : 1);
    if ((rc = eval(self, arena, SCRIPT_RESERVE, c, &v, err)))
        return rc;
    if (v->type != RL_VAL_ARR || v->n != 2 || v->elem[0].type != RL_VAL_STR || v->elem[1].type != RL_VAL_STR)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "unexpected reserve reply");
    if (strcmp(v->elem[0].s, "DUP") == 0) {
        *dup_value = v->elem[1].s;
        return RL_OK;
    }
    *n = strtoull(v->elem[1].s, NULL, 10);
    return *n ? RL_OK : rl_error_set(err, RL_ERR_INTERNAL, "", "sequence %s is damaged", seq_key);
}

/* --- the audit chain, read side --- */

/* "<ms>" or "<ms>-<seq>", digits only: what XRANGE accepts as an exclusive start. */
static int stream_id_valid(const char *s)
{
    size_t len = strlen(s), digits = 0;
    int dash = 0;
    if (len == 0 || len > RL_CHAIN_STREAM_ID_MAX)
        return 0;
    for (const char *p = s; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            digits++;
        } else if (*p == '-' && !dash && digits) {
            dash = 1;
            digits = 0;
        } else {
            return 0;
        }
    }
    return digits > 0 && len <= RL_CHAIN_STREAM_ID_MAX;
}

static void parse_entry(const rl_val_t *x, rl_chain_entry_t *e)
{
    memset(e, 0, sizeof *e);
    e->stream_id = "";
    if (x->type != RL_VAL_ARR || x->n != 2)
        return;
    if (x->elem[0].type == RL_VAL_STR)
        e->stream_id = x->elem[0].s;
    const rl_val_t *f = &x->elem[1];
    for (size_t i = 0; f->type == RL_VAL_ARR && i + 1 < f->n; i += 2) {
        const rl_val_t *name = &f->elem[i], *val = &f->elem[i + 1];
        if (name->type != RL_VAL_STR || val->type != RL_VAL_STR)
            continue;
        if (strcmp(name->s, "e") == 0) {
            e->event = val->s;
            e->event_len = val->len;
        } else if (strcmp(name->s, "h") == 0) {
            e->hash = val->s;
            e->hash_len = val->len;
        }
    }
}

static const char *str_or_empty(const rl_val_t *v, size_t *len)
{
    int ok = v->type == RL_VAL_STR;
    if (len)
        *len = ok ? v->len : 0;
    return ok ? v->s : "";
}

rl_err_t rl_store_chain_read(rl_store_t *self, rl_arena_t *arena, const char *stream_key, const char *after,
                             uint32_t limit, rl_chain_entry_t **entries, size_t *n, rl_chain_head_t *head,
                             rl_error_t *err)
{
    *entries = NULL;
    *n = 0;
    memset(head, 0, sizeof *head);
    char tenant[RL_MAX_TENANT * 2 + 1];
    const char *chain_key;
    if (chain_names(arena, stream_key, tenant, sizeof tenant, &chain_key) != 0)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "stream key %s has no tenant hash tag", stream_key);
    if (after && after[0] && !stream_id_valid(after))
        return rl_error_set(err, RL_ERR_INVALID, "after", "must be a stream id such as 1700000000000-0");
    rl_err_t rc = connect_now(self, err);
    if (rc)
        return rc;
    rl_cmd_t *c = script_cmd(self, arena, SCRIPT_CHAIN_READ);
    rl_cmd_arg(c, "2");
    rl_cmd_arg(c, stream_key);
    rl_cmd_arg(c, chain_key);
    if (after && after[0])
        rl_cmd_argf(c, "(%s", after);
    else
        rl_cmd_arg(c, "-");
    rl_cmd_argf(c, "%u", limit ? limit : 1);
    const rl_val_t *v = NULL;
    if ((rc = eval(self, arena, SCRIPT_CHAIN_READ, c, &v, err)))
        return rc;
    if (v->type == RL_VAL_ERR)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "store error: %.120s", v->s);
    if (v->type != RL_VAL_ARR || v->n != 2 || v->elem[0].type != RL_VAL_ARR || v->elem[1].type != RL_VAL_ARR ||
        v->elem[1].n != 5)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "unexpected chain read reply");
    const rl_val_t *xs = &v->elem[0], *hd = v->elem[1].elem;
    rl_chain_entry_t *out = rl_arena_alloc(arena, (xs->n ? xs->n : 1) * sizeof *out);
    if (!out)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    for (size_t i = 0; i < xs->n; i++)
        parse_entry(&xs->elem[i], &out[i]);
    *entries = out;
    *n = xs->n;
    head->seq = strtoull(str_or_empty(&hd[0], NULL), NULL, 10);
    head->hash = (const uint8_t *)str_or_empty(&hd[1], &head->hash_len);
    head->stream_id = str_or_empty(&hd[2], NULL);
    head->signer = str_or_empty(&hd[3], NULL);
    head->sig = (const uint8_t *)str_or_empty(&hd[4], &head->sig_len);
    return RL_OK;
}

/* --- consumer groups --- */

rl_err_t rl_store_tenants(rl_store_t *self, rl_arena_t *arena, const char ***out, size_t *n, rl_error_t *err)
{
    rl_cmd_t *c = rl_cmd_new(arena, "SMEMBERS");
    rl_cmd_arg(c, RL_STORE_TENANTS_KEY);
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(self, arena, c, &v, err);
    if (rc)
        return rc;
    if (v->type != RL_VAL_ARR)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "tenant directory: %s", v->type == RL_VAL_ERR ? v->s : "?");
    *out = rl_arena_alloc(arena, (v->n ? v->n : 1) * sizeof **out);
    if (!*out)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    *n = 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->elem[i].type == RL_VAL_STR)
            (*out)[(*n)++] = v->elem[i].s;
    return RL_OK;
}

/* A list of stream entries [[id, [f, v, ...]], ...] -> entries; `event` is the first field `e`.
 * Entries deleted from the stream (XAUTOCLAIM lists them apart, XREADGROUP gives nil fields) are
 * skipped. */
static size_t stream_entries(const rl_val_t *list, rl_stream_entry_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; list->type == RL_VAL_ARR && i < list->n && n < max; i++) {
        const rl_val_t *ent = &list->elem[i];
        if (ent->type != RL_VAL_ARR || ent->n < 2 || ent->elem[0].type != RL_VAL_STR)
            continue;
        rl_stream_entry_t *o = &out[n++];
        memset(o, 0, sizeof *o);
        o->id = ent->elem[0].s;
        o->fields = &ent->elem[1];
        rl_stream_entry_event(o, 0, &o->event, &o->event_len);
    }
    return n;
}

/* XREADGROUP reply [[stream, [entries]]] (nil: nothing), XAUTOCLAIM reply [cursor, [entries], [deleted]]. */
static size_t group_entries(const rl_val_t *v, int claimed, rl_stream_entry_t *out, size_t max)
{
    if (v->type != RL_VAL_ARR)
        return 0;
    if (claimed)
        return v->n >= 2 ? stream_entries(&v->elem[1], out, max) : 0;
    return v->n >= 1 && v->elem[0].type == RL_VAL_ARR && v->elem[0].n >= 2
               ? stream_entries(&v->elem[0].elem[1], out, max)
               : 0;
}

void rl_group_reader_init(rl_group_reader_t *r, const char *group, const char *consumer, int64_t claim_idle_ms,
                          const volatile sig_atomic_t *stop)
{
    memset(r, 0, sizeof *r);
    snprintf(r->group, sizeof r->group, "%s", group);
    snprintf(r->consumer, sizeof r->consumer, "%s", consumer && consumer[0] ? consumer : group);
    r->claim_idle_ms = claim_idle_ms;
    r->stop = stop;
}

int rl_group_claim_due(rl_group_reader_t *r, int64_t now_ms)
{
    if (r->claim_idle_ms <= 0 || now_ms < r->next_claim_ms)
        return 0;
    r->next_claim_ms = now_ms + (r->claim_idle_ms / 2 > 50 ? r->claim_idle_ms / 2 : 50);
    return 1;
}

int rl_group_stopping(const rl_group_reader_t *r)
{
    return r->stop && *r->stop;
}

int rl_group_give_up(rl_group_reader_t *r)
{
    if (!rl_group_stopping(r))
        return 0;
    int64_t now = rl_mono_ms();
    if (!r->stop_seen_ms)
        r->stop_seen_ms = now;
    return now - r->stop_seen_ms > RL_STOP_FINISH_MS;
}

int rl_stream_entry_event(const rl_stream_entry_t *ent, size_t k, const char **bytes, size_t *len)
{
    return rl_stream_entry_field(ent, "e", k, bytes, len);
}

int rl_stream_entry_field(const rl_stream_entry_t *ent, const char *name, size_t k, const char **bytes, size_t *len)
{
    const rl_val_t *fv = ent->fields;
    for (size_t i = 0; fv && fv->type == RL_VAL_ARR && i + 1 < fv->n; i += 2)
        if (fv->elem[i].type == RL_VAL_STR && fv->elem[i + 1].type == RL_VAL_STR && !strcmp(fv->elem[i].s, name) &&
            k-- == 0) {
            *bytes = fv->elem[i + 1].s;
            *len = fv->elem[i + 1].len;
            return 0;
        }
    return -1;
}

rl_err_t rl_store_group_read(rl_store_t *self, rl_arena_t *arena, const char *stream, const rl_group_reader_t *r,
                             int claim, uint32_t count, rl_stream_entry_t **out, size_t *n, rl_error_t *err)
{
    *n = 0;
    *out = rl_arena_alloc(arena, (count ? count : 1) * sizeof **out);
    if (!*out)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    /* our own pending entries first (delivered, not acknowledged: we stopped mid-way), then those a
     * dead consumer left (claimed), then new */
    enum { OWN, CLAIM, NEW };
    for (int pass = OWN; pass <= (rl_group_stopping(r) ? OWN : NEW) && *n == 0; pass++) {
        if (pass == CLAIM && (!claim || r->claim_idle_ms <= 0))
            continue;
        rl_cmd_t *c;
        if (pass == CLAIM) {
            c = rl_cmd_new(arena, "XAUTOCLAIM");
            rl_cmd_arg(c, stream);
            rl_cmd_arg(c, r->group);
            rl_cmd_arg(c, r->consumer);
            rl_cmd_argf(c, "%lld", (long long)r->claim_idle_ms);
            rl_cmd_arg(c, "0");
        } else {
            c = rl_cmd_new(arena, "XREADGROUP");
            rl_cmd_arg(c, "GROUP");
            rl_cmd_arg(c, r->group);
            rl_cmd_arg(c, r->consumer);
        }
        rl_cmd_arg(c, "COUNT");
        rl_cmd_argf(c, "%u", count);
        if (pass != CLAIM) {
            rl_cmd_arg(c, "STREAMS");
            rl_cmd_arg(c, stream);
            rl_cmd_arg(c, pass == OWN ? "0" : ">");
        }
        const rl_val_t *v;
        rl_err_t rc = rl_store_cmd(self, arena, c, &v, err);
        if (rc)
            return rc;
        if (v->type == RL_VAL_ERR && !strncmp(v->s, "NOGROUP", 7)) {
            /* from the start: a consumer that joins late still sees every event once */
            rl_cmd_t *g = rl_cmd_new(arena, "XGROUP");
            rl_cmd_arg(g, "CREATE");
            rl_cmd_arg(g, stream);
            rl_cmd_arg(g, r->group);
            rl_cmd_arg(g, "0");
            rl_cmd_arg(g, "MKSTREAM");
            const rl_val_t *gv;
            if ((rc = rl_store_cmd(self, arena, g, &gv, err)))
                return rc;
            if (gv->type == RL_VAL_ERR && strncmp(gv->s, "BUSYGROUP", 9))
                return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "cannot create group %s on %s: %s", r->group, stream,
                                    gv->s);
            pass--;
            continue;
        }
        if (v->type == RL_VAL_ERR)
            return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "%s %s: %s", pass == CLAIM ? "XAUTOCLAIM" : "XREADGROUP",
                                stream, v->s);
        *n = group_entries(v, pass == CLAIM, *out, count);
    }
    return RL_OK;
}

rl_err_t rl_store_ack(rl_store_t *self, rl_arena_t *arena, const char *stream, const char *group, const char *id,
                      rl_error_t *err)
{
    return rl_store_ack_many(self, arena, stream, group, &id, 1, err);
}

rl_err_t rl_store_ack_many(rl_store_t *self, rl_arena_t *arena, const char *stream, const char *group,
                           const char *const *ids, size_t n, rl_error_t *err)
{
    if (!n)
        return RL_OK;
    rl_cmd_t *c = rl_cmd_new(arena, "XACK");
    rl_cmd_arg(c, stream);
    rl_cmd_arg(c, group);
    for (size_t i = 0; i < n; i++)
        rl_cmd_arg(c, ids[i]);
    const rl_val_t *v;
    rl_err_t rc = rl_store_cmd(self, arena, c, &v, err);
    if (rc == RL_OK && v->type == RL_VAL_ERR)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "XACK %s: %s", stream, v->s);
    return rc;
}

/* --- ingestion: append once per idempotency key, pipelined --- */

/* All items share one stream and counters hash: one script call for the batch. */
/* The value after `name` in a flat [name, value, ...] reply, or NULL. */
static const rl_val_t *field_of(const rl_val_t *kv, const char *name)
{
    for (size_t i = 0; kv->type == RL_VAL_ARR && i + 1 < kv->n; i += 2)
        if (kv->elem[i].type == RL_VAL_STR && !strcmp(kv->elem[i].s, name))
            return &kv->elem[i + 1];
    return NULL;
}

rl_err_t rl_store_group_info(rl_store_t *self, rl_arena_t *arena, const char *stream, const char *group,
                             rl_group_info_t *out, rl_error_t *err)
{
    memset(out, 0, sizeof *out);
    rl_cmd_t *cmds[2] = {rl_cmd_new(arena, "XINFO"), rl_cmd_new(arena, "XLEN")};
    rl_cmd_arg(cmds[0], "GROUPS");
    rl_cmd_arg(cmds[0], stream);
    rl_cmd_arg(cmds[1], stream);
    const rl_val_t *v[2];
    rl_err_t rc = rl_store_pipeline(self, arena, 2, cmds, v, err);
    if (rc)
        return rc;
    if (v[1]->type != RL_VAL_INT)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "XLEN %s: %s", stream, v[1]->type == RL_VAL_ERR ? v[1]->s : "?");
    out->length = v[1]->i > 0 ? (uint64_t)v[1]->i : 0;
    out->lag_known = 1;
    if (v[0]->type == RL_VAL_ERR && strstr(v[0]->s, "no such key")) {
        out->lag = out->length;  /* nothing was ever written: 0 */
        return RL_OK;
    }
    if (v[0]->type != RL_VAL_ARR)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "XINFO GROUPS %s: %s", stream,
                            v[0]->type == RL_VAL_ERR ? v[0]->s : "?");
    for (size_t i = 0; i < v[0]->n; i++) {
        const rl_val_t *g = &v[0]->elem[i], *name = field_of(g, "name");
        if (!name || name->type != RL_VAL_STR || strcmp(name->s, group))
            continue;
        const rl_val_t *pending = field_of(g, "pending"), *lag = field_of(g, "lag");
        out->group_exists = 1;
        out->pending = pending && pending->type == RL_VAL_INT && pending->i > 0 ? (uint64_t)pending->i : 0;
        /* Redis answers nil when deletions make the lag unknowable */
        out->lag_known = lag && lag->type == RL_VAL_INT;
        out->lag = out->lag_known && lag->i > 0 ? (uint64_t)lag->i : 0;
        return RL_OK;
    }
    out->lag = out->length;  /* no group yet: its consumer has not started on this stream */
    return RL_OK;
}

/* An item's state while it is appended. */
enum { APPEND_SEND = 1, APPEND_DUPLICATE, APPEND_STORED };

/* Adds n to field's count in field[0..*k) (a new one at *k). */
static void count_add(const char **field, size_t *count, size_t *k, const char *f, size_t n)
{
    size_t j = 0;
    while (j < *k && strcmp(field[j], f))
        j++;
    if (j == *k) {
        field[j] = f;
        count[(*k)++] = 0;
    }
    count[j] += n;
}

/* Counter increments of one call, summed per field: the accepted field of each item sent, the
 * duplicate field of each duplicate, and to->counts. */
static size_t append_counts(const rl_append_t *to, const rl_append_item_t *items, size_t n, const unsigned char *st,
                            const char **field, size_t *count)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (st[i] != APPEND_STORED)
            count_add(field, count, &k, st[i] == APPEND_SEND ? items[i].accepted_field : items[i].duplicate_field, 1);
    for (size_t i = 0; i < to->ncounts; i++)
        count_add(field, count, &k, to->counts[i].field, to->counts[i].n);
    return k;
}

static int member_cmp(const void *a, const void *b)
{
    const rl_append_item_t *const *x = a, *const *y = b;
    int c = strcmp((*x)->member, (*y)->member);
    return c ? c : (*x < *y ? -1 : *x > *y);
}

/* What an append works with: each item's state, and room for a call's counters. */
typedef struct {
    unsigned char *st;
    const char **field;
    size_t *count;
    size_t *sent;
    int repeated;           /* an item repeated inside the batch (a duplicate of its first copy) */
} append_work_t;

static rl_err_t append_prepare(rl_arena_t *arena, const rl_append_t *to, const rl_append_item_t *items, size_t n,
                               append_work_t *w, rl_error_t *err)
{
    const rl_append_item_t **order = rl_arena_alloc(arena, (n + 1) * sizeof *order);
    w->st = rl_arena_alloc(arena, n + 1);
    w->field = rl_arena_alloc(arena, (2 * n + to->ncounts + 1) * sizeof *w->field);
    w->count = rl_arena_alloc(arena, (2 * n + to->ncounts + 1) * sizeof *w->count);
    w->sent = rl_arena_alloc(arena, (n + 1) * sizeof *w->sent);
    w->repeated = 0;
    if (!w->st || !order || !w->field || !w->count || !w->sent)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    for (size_t i = 0; i < n; i++) {
        w->st[i] = APPEND_SEND;
        order[i] = &items[i];
    }
    qsort(order, n, sizeof *order, member_cmp);
    for (size_t i = 1; i < n; i++)
        if (!strcmp(order[i]->member, order[i - 1]->member)) {
            w->st[order[i] - items] = APPEND_DUPLICATE;
            w->repeated = 1;
        }
    return RL_OK;
}

/* Whether the main connection may run the transaction form: never on a cluster, whose client routes
 * each command of a pipeline alone; on one server when its Redis user may run MULTI/EXEC (a Redis
 * still holding an ACL file from before the transaction refuses MULTI, and the XADD would then run
 * alone). Asked once per connection with an empty transaction, only when may_ask (no reply is
 * pending); not asked yet and may not ask: 0. */
static int append_tx_allowed(rl_store_t *self, int may_ask)
{
    redisContext *c = self->main.ctx;
    if (self->seeds || !c)
        return 0;
    if (self->tx_gen == self->connects || !may_ask)
        return self->tx_gen == self->connects && self->tx_ok;
    void *m = NULL, *e = NULL;
    int io = redisAppendCommand(c, "MULTI") != REDIS_OK || redisAppendCommand(c, "EXEC") != REDIS_OK ||
             redisGetReply(c, &m) != REDIS_OK || redisGetReply(c, &e) != REDIS_OK;
    const redisReply *mr = m, *er = e;
    int ok = !io && mr && mr->type == REDIS_REPLY_STATUS && er && er->type == REDIS_REPLY_ARRAY;
    char why[160];
    snprintf(why, sizeof why, "%s", io ? (c->errstr[0] ? c->errstr : "connection lost")
                                       : mr && mr->type == REDIS_REPLY_ERROR ? mr->str : "unexpected reply");
    freeReplyObject(m);
    freeReplyObject(e);
    if (io) {
        fail_conn(self, &self->main, NULL, why);
        return 0;
    }
    self->tx_gen = self->connects;
    self->tx_ok = ok;
    if (!ok)
        rl_log_warn(self->log, "ingestion appends run as one Lua script: this Redis user may not run MULTI/EXEC "
                    "(load the ACL deploy/redis/acl.sh writes)", "reason", why);
    return ok;
}

/* The call for the items still to send (w->sent[0..*ns) says which), in cmds: the transaction
 * (APPEND_CHECK_LUA) when tx, 4 commands; else the script (APPEND_BATCH_LUA), as on a cluster or
 * for counters alone, 1 command. 0 out of memory. */
static size_t append_cmds(rl_store_t *self, rl_arena_t *arena, const rl_append_t *to, const rl_append_item_t *items,
                          size_t n, append_work_t *w, int tx, size_t *ns, rl_cmd_t **cmds)
{
    size_t bytes = 0;
    *ns = 0;
    for (size_t i = 0; i < n; i++)
        if (w->st[i] == APPEND_SEND) {
            w->sent[(*ns)++] = i;
            bytes += items[i].len;
        }
    uint8_t *blob = rl_arena_alloc(arena, bytes ? bytes : 1);
    if (!blob)
        return 0;
    for (size_t k = 0, o = 0; k < *ns; o += items[w->sent[k]].len, k++)
        memcpy(blob + o, items[w->sent[k]].bytes, items[w->sent[k]].len);
    size_t nc = append_counts(to, items, n, w->st, w->field, w->count), ncmd = 1;
    rl_cmd_t *c;
    if (tx && *ns) {
        cmds[0] = rl_cmd_new(arena, "MULTI");
        rl_cmd_t *x = cmds[1] = rl_cmd_new(arena, "XADD");
        rl_cmd_arg(x, to->stream_key);
        rl_cmd_arg(x, "*");
        rl_cmd_arg(x, "b");
        rl_cmd_argb(x, blob, bytes);
        for (size_t k = 0; k < 2 * to->nfields; k++)
            rl_cmd_arg(x, to->fields[k]);
        c = cmds[2] = rl_cmd_new(arena, "EVAL");
        rl_cmd_arg(c, APPEND_CHECK_LUA);
        cmds[3] = rl_cmd_new(arena, "EXEC");
        ncmd = 4;
    } else {
        c = cmds[0] = script_cmd(self, arena, SCRIPT_APPEND_BATCH);
    }
    rl_cmd_arg(c, "3");
    rl_cmd_arg(c, to->seen_key);
    rl_cmd_arg(c, to->stream_key);
    rl_cmd_arg(c, to->counter_key);
    rl_cmd_argf(c, "%zu", *ns);
    for (size_t k = 0; k < *ns; k++)
        rl_cmd_arg(c, items[w->sent[k]].member);
    if (ncmd == 1) {
        rl_cmd_argb(c, blob, bytes);
        rl_cmd_argf(c, "%zu", to->nfields);
        for (size_t k = 0; k < 2 * to->nfields; k++)
            rl_cmd_arg(c, to->fields[k]);
    }
    rl_cmd_argf(c, "%zu", nc);
    for (size_t k = 0; k < nc; k++) {
        rl_cmd_arg(c, w->field[k]);
        rl_cmd_argf(c, "%zu", w->count[k]);
    }
    for (size_t k = 0; k < ncmd; k++)
        if (!cmds[k] || cmds[k]->broken)
            return 0;
    return ncmd;
}

/* The transaction's outcome as the script form replies, {entry id or "", flags}, or an error: the
 * first error among its queued replies (`queued`, reply `at`) before EXEC's, which then only says
 * EXECABORT, else the check's. MULTI refused on a connection that was allowed it (its ACL changed
 * since) means the XADD ran alone and the log may hold an entry no seen key marks: logged, and the
 * connection asked again next time. */
static const rl_val_t *append_tx_result(rl_store_t *self, rl_arena_t *arena, const rl_val_t *queued, size_t at,
                                        const rl_val_t *exec)
{
    if (queued) {
        if (at == 1) {
            self->tx_gen = 0;
            rl_log_error(self->log, "MULTI refused with an ingestion append: its XADD ran alone (an entry may be "
                         "logged twice)", "reason", queued->s);
        }
        return queued;
    }
    if (exec->type != RL_VAL_ARR || exec->n != 2)
        return exec;
    if (exec->elem[1].type != RL_VAL_STR)
        return exec->elem[1].type == RL_VAL_ERR ? &exec->elem[1] : exec;
    rl_val_t *r = rl_arena_alloc(arena, sizeof *r), *e = rl_arena_alloc(arena, 2 * sizeof *e);
    if (!r || !e)
        return exec;
    e[0] = exec->elem[0];
    e[1] = exec->elem[1];
    if (memchr(e[1].s, 'D', e[1].len)) {  /* the entry was taken back */
        e[0].s = "";
        e[0].len = 0;
    }
    *r = (rl_val_t){.type = RL_VAL_ARR, .elem = e, .n = 2};
    return r;
}

/* The script's reply: {entry id or "", flags}. 1 written (or nothing left to write), 0 duplicates
 * named in the flags (nothing written), -1 an error or another reply. */
static int append_reply(const rl_val_t *v, size_t ns)
{
    if (v->type != RL_VAL_ARR || v->n != 2 || v->elem[0].type != RL_VAL_STR || v->elem[1].type != RL_VAL_STR ||
        v->elem[1].len != ns)
        return -1;
    return v->elem[0].len || !ns ? 1 : 0;
}

/* Listed like a domain stream, so the consumers find a tenant that only ever sent events. */
static rl_err_t append_list_tenant(rl_store_t *self, rl_arena_t *arena, const rl_append_t *to, rl_error_t *err)
{
    char tenant[RL_MAX_TENANT * 2 + 1];
    const char *unused;
    if (chain_names(arena, to->stream_key, tenant, sizeof tenant, &unused) != 0)
        return RL_OK;
    return list_tenant(self, arena, head_slot(self, to->stream_key), tenant, err);
}

rl_err_t rl_store_append_once(rl_store_t *self, rl_arena_t *arena, const rl_append_t *to,
                              const rl_append_item_t *items, size_t n, rl_append_outcome_t *out, rl_error_t *err)
{
    if (!n && !to->ncounts)
        return RL_OK;
    if (n > RL_APPEND_MAX)
        return rl_error_set(err, RL_ERR_TOO_LARGE, "", "%zu items to append, at most %d at once", n, RL_APPEND_MAX);
    rl_err_t rc = connect_now(self, err);  /* the script sha comes with the connection */
    if (rc || (n && (rc = append_list_tenant(self, arena, to, err))))
        return rc;
    append_work_t w;
    if ((rc = append_prepare(arena, to, items, n, &w, err)))
        return rc;
    /* a round per set of duplicates found: each round sends only items not known to be, so it ends
     * (at most n + 1 rounds; one when nothing was sent before, two for a batch sent again whole) */
    for (size_t round = 0; round <= n; round++) {
        size_t ns;
        rl_cmd_t *cmds[APPEND_TX_REPLIES];
        size_t ncmd = append_cmds(self, arena, to, items, n, &w, append_tx_allowed(self, 1), &ns, cmds);
        if (!ncmd)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
        const rl_val_t *v = NULL, *vals[APPEND_TX_REPLIES];
        if (ncmd == 1) {
            rc = eval(self, arena, SCRIPT_APPEND_BATCH, cmds[0], &v, err);
        } else if ((rc = rl_store_pipeline(self, arena, ncmd, cmds, vals, err)) == RL_OK) {
            size_t k = 0;
            while (k + 1 < ncmd && vals[k]->type != RL_VAL_ERR)
                k++;
            v = append_tx_result(self, arena, k + 1 < ncmd ? vals[k] : NULL, k + 1, vals[ncmd - 1]);
        }
        if (rc)
            return rc;
        int written = append_reply(v, ns);
        if (written < 0)
            return rl_error_set(err, RL_ERR_UNAVAILABLE, "", "append failed: %s",
                                v->type == RL_VAL_ERR ? v->s : "unexpected reply");
        if (written) {  /* counters too: done */
            for (size_t k = 0; k < ns; k++)
                w.st[w.sent[k]] = APPEND_STORED;
            for (size_t i = 0; i < n; i++)
                out[i] = w.st[i] == APPEND_STORED ? RL_APPEND_ACCEPTED : RL_APPEND_DUPLICATE;
            return RL_OK;
        }
        for (size_t k = 0; k < ns; k++)
            if (v->elem[1].s[k] == 'D')
                w.st[w.sent[k]] = APPEND_DUPLICATE;
    }
    return rl_error_set(err, RL_ERR_INTERNAL, "", "append did not settle");
}

/* --- pipelined appends: sent now, their replies read later, in order --- */

int rl_store_append_send(rl_store_t *self, rl_arena_t *arena, const rl_append_t *to, const rl_append_item_t *items,
                         size_t n, rl_append_ticket_t *ticket, rl_error_t *err)
{
    /* one connection serves it and no WAIT follows: a single server, or the master the sentinels
     * named; with nothing in flight the connection may be made now */
    int idle = self->append_sent == self->append_read;
    if (self->seeds || self->wait_replicas || !n || n > RL_APPEND_MAX || (!idle && !self->main.ctx))
        return 0;
    if ((idle && (connect_now(self, err) != RL_OK || append_list_tenant(self, arena, to, err) != RL_OK)) ||
        !append_tx_allowed(self, idle))
        return 0;
    if (!head_slot(self, to->stream_key)->listed)
        return 0;  /* listing it takes a round trip of its own: not behind replies in flight */
    append_work_t w;
    size_t ns, ncmd;
    rl_cmd_t *cmds[APPEND_TX_REPLIES];
    /* never a cluster here: always the transaction, whose 4 replies append_recv reads */
    if (append_prepare(arena, to, items, n, &w, err) != RL_OK || w.repeated ||
        (ncmd = append_cmds(self, arena, to, items, n, &w, 1, &ns, cmds)) != APPEND_TX_REPLIES)
        return 0;
    if (idle) {
        self->append_gen = self->connects;
        self->append_part = 0;
        self->append_why[0] = '\0';
        self->append_why_at = 0;
    }
    conn_t *conn = &self->main;
    int done = 0;
    for (size_t k = 0; k < ncmd; k++)
        if (redisAppendCommandArgv(conn->ctx, cmds[k]->argc, cmds[k]->argv, cmds[k]->argvlen) != REDIS_OK) {
            fail_conn(self, conn, err, "out of memory queueing an append");
            self->append_read = self->append_sent;  /* what was in flight is lost with it */
            return -1;
        }
    while (!done)
        if (redisBufferWrite(conn->ctx, &done) != REDIS_OK) {
            char why[128];
            snprintf(why, sizeof why, "%s", conn->ctx->errstr[0] ? conn->ctx->errstr : "write failed");
            fail_conn(self, conn, err, why);
            self->append_read = self->append_sent;  /* what was in flight is lost with it */
            return -1;
        }
    *ticket = (rl_append_ticket_t){self->append_gen, self->append_sent++};
    return 1;
}

int rl_store_append_fd(const rl_store_t *self)
{
    return self->main.ctx && self->append_sent != self->append_read ? self->main.ctx->fd : -1;
}

rl_err_t rl_store_append_recv(rl_store_t *self, rl_append_ticket_t ticket, rl_arena_t *arena, size_t n,
                              rl_append_outcome_t *out, int wait, int *ready, rl_error_t *err)
{
    conn_t *c = &self->main;
    *ready = 1;
    if (!c->ctx || ticket.gen != self->append_gen || ticket.seq != self->append_read ||
        self->append_read == self->append_sent)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "redis", "the connection was lost with the append in flight");
    /* the transaction's replies, each taken off the reader as it comes: +OK, +QUEUED twice, then
     * EXEC's (a call that is not ready keeps its place in self->append_part) */
    void *raw = NULL;
    int64_t deadline = rl_mono_ms() + self->timeout_ms;
    while (!raw) {
        if (redisGetReplyFromReader(c->ctx, &raw) != REDIS_OK)
            break;
        if (raw && ++self->append_part < APPEND_TX_REPLIES) {
            const redisReply *q = raw;  /* EXEC's reply says whether anything ran; this one says why not */
            if (q->type == REDIS_REPLY_ERROR && !self->append_why_at) {
                snprintf(self->append_why, sizeof self->append_why, "%s", q->str);
                self->append_why_at = self->append_part;
            }
            freeReplyObject(raw);
            raw = NULL;
            continue;
        }
        if (raw)
            break;
        struct pollfd p = {c->ctx->fd, POLLIN, 0};
        int64_t left = deadline - rl_mono_ms();
        int pr = poll(&p, 1, wait ? (int)(left > 0 ? left : 0) : 0);
        if (pr == 0 && !wait) {
            *ready = 0;
            return RL_OK;
        }
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0 || redisBufferRead(c->ctx) != REDIS_OK)
            break;
    }
    if (!raw) {
        char why[128];
        snprintf(why, sizeof why, "%s", c->ctx->errstr[0] ? c->ctx->errstr : "no reply in time");
        fail_conn(self, c, err, why);
        self->append_read = self->append_sent;
        self->append_part = 0;
        self->append_why[0] = '\0';
        self->append_why_at = 0;
        return RL_ERR_UNAVAILABLE;
    }
    self->append_part = 0;
    self->append_read++;
    char why[sizeof self->append_why];
    memcpy(why, self->append_why, sizeof why);
    size_t at = self->append_why_at;
    self->append_why[0] = '\0';
    self->append_why_at = 0;
    rl_val_t v, queued = {.type = RL_VAL_ERR, .s = why, .len = strlen(why)};
    int copied = copy_reply(arena, raw, &v) == 0;
    freeReplyObject(raw);
    const rl_val_t *res = copied ? append_tx_result(self, arena, at ? &queued : NULL, at, &v) : &v;
    if (at == 1)  /* the XADD ran alone: not "nothing written" */
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "redis", "append not in a transaction: %s", why);
    if (copied && append_reply(res, n) == 1) {
        for (size_t i = 0; i < n; i++)
            out[i] = RL_APPEND_ACCEPTED;
        return RL_OK;
    }
    /* duplicates named (the entry taken back), or the transaction refused: nothing written. A
     * server demoted by a failover refuses the appends behind it alike: made again */
    if (copied && failover_reply(res)) {
        fail_connect(self, NULL, res->s);
        self->append_read = self->append_sent;
    }
    return rl_error_set(err, RL_ERR_CONFLICT, "", "append not written: %s",
                        !copied ? "reply not copied" : res->type == RL_VAL_ERR ? res->s : "duplicates found");
}
