/* rl_store.c: hiredis behind a small API; the only file that includes hiredis. */
#include "rl_store.h"
#include "rl_clock.h"
#include "rl_limits.h"

#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000

/* The atomic write. KEYS: 1 entity, 2 stream, 3 dedupe, 3+i op i's key.
 * ARGV: 1 expected v, 2 new v, 3 blob, 4 event, 5 ttl, 6 dedupe value, 7 nops, then (op, a, b) x nops. */
static const char WRITE_LUA[] =
    "local dv = redis.call('GET', KEYS[3])\n"
    "if dv then return {'DUP', dv} end\n"
    "local n = tonumber(ARGV[7])\n"
    "for i = 1, n do\n"
    "  local op, a, b, k = ARGV[5+3*i], ARGV[6+3*i], ARGV[7+3*i], KEYS[3+i]\n"
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
    "redis.call('HSET', KEYS[1], 'v', ARGV[2], 'pb', ARGV[3])\n"
    "local sid = redis.call('XADD', KEYS[2], '*', 'e', ARGV[4])\n"
    "for i = 1, n do\n"
    "  local op, a, b, k = ARGV[5+3*i], ARGV[6+3*i], ARGV[7+3*i], KEYS[3+i]\n"
    "  if op == 'ZA' then redis.call('ZADD', k, b, a)\n"
    "  elseif op == 'ZR' then redis.call('ZREM', k, a)\n"
    "  elseif op == 'HL' then redis.call('RPUSH', k, sid) end\n"
    "end\n"
    "redis.call('SET', KEYS[3], ARGV[6], 'EX', tonumber(ARGV[5]))\n"
    "return {'OK', sid}\n";

/* Reserve the next `count` numbers of a sequence, unless the request id was already served.
 * KEYS: 1 sequence, 2 dedupe marker. ARGV: 1 count. Returns the last number reserved. */
static const char RESERVE_LUA[] =
    "local dv = redis.call('GET', KEYS[2])\n"
    "if dv then return {'DUP', dv} end\n"
    "return {'OK', tostring(redis.call('INCRBY', KEYS[1], ARGV[1]))}\n";

struct rl_store {
    char *host;
    int port;
    char *user;
    char *password;
    int timeout_ms;
    rl_log_t *log;
    redisContext *ctx;
    int64_t next_attempt_ms;   /* monotonic; back-off gate */
    int backoff_ms;
    uint64_t connects;
    char write_sha[41];
    char reserve_sha[41];
};

struct rl_cmd {
    rl_arena_t *arena;
    int argc, cap;
    const char **argv;
    size_t *argvlen;
    int broken;                /* arena exhausted while building */
};

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

rl_store_t *rl_store_new(const rl_store_opts_t *opts, rl_log_t *log)
{
    rl_store_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->host = dup_or_empty(opts->host);
    self->user = dup_or_empty(opts->user);
    self->password = dup_or_empty(opts->password);
    if (!self->host || !self->user || !self->password) {
        rl_store_destroy(&self);
        return NULL;
    }
    self->port = opts->port;
    self->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 2000;
    self->log = log;
    self->backoff_ms = BACKOFF_MIN_MS;
    return self;
}

static void drop(rl_store_t *self)
{
    if (self->ctx) {
        redisFree(self->ctx);
        self->ctx = NULL;
    }
    self->write_sha[0] = '\0';
    self->reserve_sha[0] = '\0';
}

void rl_store_destroy(rl_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rl_store_t *self = *self_p;
    drop(self);
    if (self->password)
        memset(self->password, 0, strlen(self->password));
    free(self->host);
    free(self->user);
    free(self->password);
    free(self);
    *self_p = NULL;
}

uint64_t rl_store_connects(const rl_store_t *self) { return self->connects; }

static rl_err_t fail_connect(rl_store_t *self, rl_error_t *err, const char *why)
{
    drop(self);
    self->next_attempt_ms = rl_mono_ms() + self->backoff_ms;
    self->backoff_ms = self->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : self->backoff_ms * 2;
    rl_log_warn(self->log, "redis unavailable", "host", self->host, "reason", why);
    return rl_error_set(err, RL_ERR_UNAVAILABLE, "redis", "Redis at %s:%d is unavailable: %s", self->host,
                        self->port, why);
}

static rl_err_t connect_now(rl_store_t *self, rl_error_t *err)
{
    if (self->ctx)
        return RL_OK;
    if (rl_mono_ms() < self->next_attempt_ms)
        return rl_error_set(err, RL_ERR_UNAVAILABLE, "redis", "Redis at %s:%d is unavailable (retrying)",
                            self->host, self->port);
    struct timeval tv = {self->timeout_ms / 1000, (self->timeout_ms % 1000) * 1000};
    self->ctx = redisConnectWithTimeout(self->host, self->port, tv);
    if (!self->ctx)
        return fail_connect(self, err, "out of memory");
    if (self->ctx->err) {
        char why[128];
        snprintf(why, sizeof why, "%s", self->ctx->errstr);
        return fail_connect(self, err, why);
    }
    redisSetTimeout(self->ctx, tv);
    if (self->password[0]) {
        redisReply *r = self->user[0]
                            ? redisCommand(self->ctx, "AUTH %s %s", self->user, self->password)
                            : redisCommand(self->ctx, "AUTH %s", self->password);
        int ok = r && r->type == REDIS_REPLY_STATUS;
        char why[128];
        snprintf(why, sizeof why, "AUTH failed: %s", r && r->str ? r->str : "no reply");
        freeReplyObject(r);
        if (!ok)
            return fail_connect(self, err, why);
    }
    const char *sources[] = {WRITE_LUA, RESERVE_LUA};
    char *shas[] = {self->write_sha, self->reserve_sha};
    for (int i = 0; i < 2; i++) {
        redisReply *r = redisCommand(self->ctx, "SCRIPT LOAD %s", sources[i]);
        int ok = r && r->type == REDIS_REPLY_STRING && r->len == 40;
        if (ok)
            memcpy(shas[i], r->str, 41);
        char why[128];
        snprintf(why, sizeof why, "SCRIPT LOAD failed: %s", r && r->str ? r->str : "no reply");
        freeReplyObject(r);
        if (!ok)
            return fail_connect(self, err, why);
    }
    self->backoff_ms = BACKOFF_MIN_MS;
    self->connects++;
    if (self->connects > 1)
        rl_log_info(self->log, "redis reconnected", "host", self->host);
    return RL_OK;
}

rl_err_t rl_store_ping(rl_store_t *self, rl_error_t *err)
{
    rl_err_t rc = connect_now(self, err);
    if (rc)
        return rc;
    redisReply *r = redisCommand(self->ctx, "PING");
    int ok = r != NULL;
    freeReplyObject(r);
    return ok ? RL_OK : fail_connect(self, err, "PING failed");
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

/* One attempt; *io set when the connection failed (worth one retry on a fresh connection). */
static rl_err_t pipeline_once(rl_store_t *self, rl_arena_t *arena, size_t ncmd, rl_cmd_t *const *cmds,
                              const rl_val_t **vals, int *io, rl_error_t *err)
{
    *io = 0;
    rl_err_t rc = connect_now(self, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < ncmd; i++)
        redisAppendCommandArgv(self->ctx, cmds[i]->argc, cmds[i]->argv, cmds[i]->argvlen);
    for (size_t i = 0; i < ncmd; i++) {
        void *raw = NULL;
        if (redisGetReply(self->ctx, &raw) != REDIS_OK || !raw) {
            char why[128];
            snprintf(why, sizeof why, "%s", self->ctx->errstr[0] ? self->ctx->errstr : "connection lost");
            *io = 1;
            return fail_connect(self, err, why);
        }
        rl_val_t *v = rl_arena_alloc(arena, sizeof *v);
        int bad = !v || copy_reply(arena, raw, v);
        freeReplyObject(raw);
        if (bad) {
            /* drain so the connection stays in step */
            for (size_t k = i + 1; k < ncmd; k++)
                if (redisGetReply(self->ctx, &raw) == REDIS_OK)
                    freeReplyObject(raw);
            return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
        }
        vals[i] = v;
    }
    return RL_OK;
}

rl_err_t rl_store_pipeline(rl_store_t *self, rl_arena_t *arena, size_t ncmd, rl_cmd_t *const *cmds,
                           const rl_val_t **vals, rl_error_t *err)
{
    for (size_t i = 0; i < ncmd; i++)
        if (!cmds[i] || cmds[i]->broken)
            return rl_error_set(err, RL_ERR_INTERNAL, "", "command %zu could not be built", i);
    int had_ctx = self->ctx != NULL, io = 0;
    rl_err_t rc = pipeline_once(self, arena, ncmd, cmds, vals, &io, err);
    /* A connection that was idle across a Redis restart fails on first use: retry once now.
     * Safe: reads are idempotent and writes are de-duplicated by request id. */
    if (rc == RL_ERR_UNAVAILABLE && io && had_ctx) {
        self->next_attempt_ms = 0;
        rc = pipeline_once(self, arena, ncmd, cmds, vals, &io, err);
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
    case RL_OP_GUARD_ZNONE: return "G0";
    case RL_OP_GUARD_HFIELD: return "GH";
    }
    return "??";
}

static rl_cmd_t *build_write(rl_store_t *self, rl_arena_t *arena, const rl_write_t *w, int with_source)
{
    rl_cmd_t *c = rl_cmd_new(arena, with_source ? "EVAL" : "EVALSHA");
    rl_cmd_arg(c, with_source ? WRITE_LUA : self->write_sha);
    rl_cmd_argf(c, "%zu", 3 + w->nops);
    rl_cmd_arg(c, w->entity_key);
    rl_cmd_arg(c, w->stream_key);
    rl_cmd_arg(c, w->dedupe_key);
    for (size_t i = 0; i < w->nops; i++)
        rl_cmd_arg(c, w->ops[i].key);
    rl_cmd_argf(c, "%llu", (unsigned long long)w->expected_version);
    rl_cmd_argf(c, "%llu", (unsigned long long)w->new_version);
    rl_cmd_argb(c, w->blob, w->blob_len);
    rl_cmd_argb(c, w->event, w->event_len);
    rl_cmd_argf(c, "%d", RL_DEDUPE_TTL_S);
    rl_cmd_arg(c, w->dedupe_value);
    rl_cmd_argf(c, "%zu", w->nops);
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

rl_err_t rl_store_write(rl_store_t *self, rl_arena_t *arena, const rl_write_t *w, rl_write_result_t *res,
                        rl_error_t *err)
{
    memset(res, 0, sizeof *res);
    res->failed_guard = SIZE_MAX;
    rl_err_t rc = connect_now(self, err);  /* the script sha comes with the connection */
    if (rc)
        return rc;
    const rl_val_t *v = NULL;
    rc = rl_store_cmd(self, arena, build_write(self, arena, w, 0), &v, err);
    if (rc == RL_OK && v->type == RL_VAL_ERR && strncmp(v->s, "NOSCRIPT", 8) == 0)
        rc = rl_store_cmd(self, arena, build_write(self, arena, w, 1), &v, err);
    if (rc)
        return rc;
    if (v->type == RL_VAL_ERR) {
        rl_log_error(self->log, "write script failed", "error", v->s);
        return rl_error_set(err, RL_ERR_INTERNAL, "", "store write failed");
    }
    if (v->type != RL_VAL_ARR || v->n < 2 || v->elem[0].type != RL_VAL_STR)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "unexpected store write reply");
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
    return rl_error_set(err, RL_ERR_INTERNAL, "", "unexpected store write reply %s", tag);
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
    for (int with_source = 0; with_source < 2; with_source++) {
        rl_cmd_t *c = rl_cmd_new(arena, with_source ? "EVAL" : "EVALSHA");
        rl_cmd_arg(c, with_source ? RESERVE_LUA : self->reserve_sha);
        rl_cmd_arg(c, "2");
        rl_cmd_arg(c, seq_key);
        rl_cmd_arg(c, dedupe_key);
        rl_cmd_argf(c, "%u", count ? count : 1);
        if ((rc = rl_store_cmd(self, arena, c, &v, err)))
            return rc;
        if (!(v->type == RL_VAL_ERR && strncmp(v->s, "NOSCRIPT", 8) == 0))
            break;
    }
    if (v->type != RL_VAL_ARR || v->n != 2 || v->elem[0].type != RL_VAL_STR || v->elem[1].type != RL_VAL_STR)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "unexpected reserve reply");
    if (strcmp(v->elem[0].s, "DUP") == 0) {
        *dup_value = v->elem[1].s;
        return RL_OK;
    }
    *n = strtoull(v->elem[1].s, NULL, 10);
    return *n ? RL_OK : rl_error_set(err, RL_ERR_INTERNAL, "", "sequence %s is damaged", seq_key);
}
