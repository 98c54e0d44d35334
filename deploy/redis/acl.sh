#!/usr/bin/env bash
# acl.sh: the one source of truth for Riskline's Redis ACL users. Creates one password per user
# and writes the Redis ACL file that deploy/run.sh, the integration harness and the deployment
# files load (`aclfile` in redis.conf). Change who may do what here and nowhere else.
#
# Usage: deploy/redis/acl.sh DIR
#   DIR/redis-<user>.password  one per user: 64 hex characters from /dev/urandom, mode 600.
#                              Created when missing, kept otherwise (a restart keeps passwords;
#                              delete a file and rerun to rotate that password).
#   DIR/users.acl              rewritten on every run, mode 600. Passwords appear only as
#                              #<sha256>, so the file holds no clear password. Redis allows no
#                              comments in an ACL file: the rules are explained here.
# Exit: 0 ok; 1 on error (message on stderr, nothing half-written is left in place).
#
# Users (the services read their password through RISKLINE_REDIS_PASSWORD_FILE, never argv):
#   default    off: no one can authenticate as it (it has no password either), so every
#              connection must AUTH as one of the users below (NOAUTH otherwise). It keeps
#              `~* &* +@all` on purpose: Redis up to 7.2 replays the AOF as the default user and
#              re-checks that user's ACL on each EXEC (redis/redis#14541, fixed by #14545 in 8.x);
#              every Lua write reaches the AOF as MULTI/EXEC, so a default user without those
#              rights makes a restart silently drop every scripted change. Its rights are used by
#              that replay only: a disabled user cannot be authenticated as.
#   register, treatment, monitor, report: one per service. A service writes only its own
#              entities and may read every Riskline key (`%R~rl:*`); commands are the few the
#              service uses (no KEYS, SCAN, FLUSHALL, CONFIG, DEBUG, SHUTDOWN, ACL, MODULE...).
#   ops        +@all on every key: for the launcher's health checks and for the engineer on
#              call (redis-cli --user ops with REDISCLI_AUTH). No service uses it.
#   replica    replication only (README "Redis Sentinel"): a replica's `masteruser replica` and
#              `masterauth <its password>`; no keys, only PSYNC, REPLCONF and PING.
#   sentinel   what Redis Sentinel needs on the master and the replicas it monitors
#              (`sentinel auth-user <master> sentinel`): INFO, ROLE, PING, REPLICAOF to reconfigure,
#              CONFIG REWRITE, CLIENT KILL/SETNAME, SCRIPT KILL, MULTI/EXEC, and the hello channel
#              __sentinel__:hello (publish, subscribe). No keys.
# The sentinels themselves need no ACL user from here: give them `requirepass` (or a user in
# their own config) and the services RISKLINE_REDIS_SENTINEL_PASSWORD_FILE, or none on a
# private network.
#
# Key naming (docs/CONTRACT.md "Redis users"): a service owns entity kinds; kind K owns
#   rl:{t}:K  rl:{t}:K:*  rl:{t}:idx:K:*  rl:{t}:seq:K
# The hash tag {t} is the tenant. The patterns match any tag (`rl:{*}:K:*`): valid tenants and
# ids never contain '}', so a key of one kind never matches another kind's pattern.
set -euo pipefail
set -f   # the key patterns below hold glob characters: never expand them against files
umask 077

die() { printf 'acl.sh: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 1 && -n $1 ]] || die "usage: acl.sh DIR"
DIR=$1
[[ -d $DIR ]] || die "$DIR is not a directory"
command -v sha256sum >/dev/null 2>&1 || die "sha256sum not found (coreutils)"

SERVICES=(register treatment monitor report)

# Entity kinds per service. Later services add their kinds here (and nothing else needs to change).
declare -A KINDS=(
  [register]="risk criteria"
  [treatment]="plan ms action control accept"
  [monitor]="metric riskevent nc ca sweep alert"
  [report]="report"
)
# Keys outside the kind scheme that a service owns.
declare -A EXTRA_KEYS=(
  [register]='rl:{_auth}:*'   # the key store of principals (tenant ids cannot start with '_')
  [treatment]=''
  [monitor]=''
  [report]=''
)
# Shared keys every service that changes domain state appends to, in the same atomic script as
# its entity: the tenant event stream, the audit chain head, the idempotency markers; and the
# tenant directory (a set consumers read to find every tenant's stream; SADD, idempotent).
SHARED_KEYS='rl:{*}:events rl:{*}:chain rl:{*}:req:* rl:{_sys}:tenants'
# Services that change domain state (report only keeps its own derived keys).
declare -A WRITES_DOMAIN=([register]=1 [treatment]=1 [monitor]=1 [report]=0)
# Services that consume the event streams with consumer groups.
declare -A CONSUMES=([register]=1 [treatment]=1 [monitor]=1 [report]=1)

# Commands. Every command a Lua script calls is checked against the caller's ACL too, so the
# commands of common/rl_store.c's WRITE_LUA and RESERVE_LUA are listed here as well.
# EVAL/EVALSHA need write access to every key they declare (Redis checks declared keys as
# read-write), so a script that only reads keys another service owns runs as EVAL_RO/EVALSHA_RO.
READ_CMDS='ping get hget hmget exists lrange xrange xrevrange zrange zrangebyscore zrevrangebyscore zcount
  eval_ro evalsha_ro smembers smismember hgetall zrevrange zscore zcard'
WRITE_CMDS='eval evalsha script|load set hset zadd zrem rpush incrby sadd hincrby'
DOMAIN_CMDS='xadd'
# Consumer-group state lives in the stream, so these are writes to the stream key: they get a
# selector of their own that reaches the event streams and nothing else.
GROUP_CMDS='xgroup|create xgroup|createconsumer xgroup|delconsumer xreadgroup xack xautoclaim xclaim xpending'
# Following a failover (Sentinel): ROLE checks that the server the sentinels named is the master,
# WAIT makes an acknowledged write wait for a replica (RISKLINE_REDIS_WAIT_REPLICAS). Redis Cluster
# (RISKLINE_REDIS_CLUSTER): CLUSTER SLOTS gives the slot map, ASKING follows a redirect during a
# slot migration. None reads or writes a key.
HA_CMDS='role wait cluster|slots asking'
# How far a group is behind (XINFO GROUPS lag/pending and XLEN), on the streams it consumes and
# nothing else: every service's readiness (HealthGet, /healthz) and lag metrics, and the
# monitor's `riskline monitor status`.
LAG_CMDS='xinfo|groups xlen'
# The monitor's ingestion append (common/rl_store.c, APPEND_CHECK_LUA): one transaction (MULTI,
# EXEC: keyless) whose check takes the entry back when one of its events was stored before (TYPE,
# XINFO STREAM, XDEL, XSETID): those in a selector that reaches the monitor's riskevent keys only,
# never the shared event streams the audit chain covers.
TX_CMDS='multi exec'
TAKE_BACK_CMDS='type xinfo|stream xdel xsetid'

plus() { local c out=''; for c in $1; do out+=" +$c"; done; printf '%s' "$out"; }

keys_of() {
  local s=$1 k p out=''
  for k in ${KINDS[$s]}; do
    for p in "rl:{*}:$k" "rl:{*}:$k:*" "rl:{*}:idx:$k:*" "rl:{*}:seq:$k"; do out+=" ~$p"; done
  done
  for p in ${EXTRA_KEYS[$s]}; do out+=" ~$p"; done
  if [[ ${WRITES_DOMAIN[$s]} == 1 ]]; then
    for p in $SHARED_KEYS; do out+=" ~$p"; done
  fi
  printf '%s' "$out"
}

rules_of() {
  local s=$1 r
  r="resetkeys resetchannels -@all$(plus "$READ_CMDS")$(plus "$WRITE_CMDS")$(plus "$HA_CMDS")"
  [[ ${WRITES_DOMAIN[$s]} != 1 ]] || r+="$(plus "$DOMAIN_CMDS")"
  [[ $s != monitor ]] || r+="$(plus "$TX_CMDS")"
  r+=" %R~rl:*$(keys_of "$s")"
  # the monitor also consumes its own ingestion log (correlation)
  local streams='~rl:{*}:events'
  [[ $s != monitor ]] || streams+=' ~rl:{*}:riskevent:log'
  [[ ${CONSUMES[$s]} != 1 ]] || r+=" ($streams resetchannels -@all$(plus "$GROUP_CMDS")$(plus "$LAG_CMDS"))"
  [[ $s != monitor ]] || r+=" (~rl:{*}:riskevent:* resetchannels -@all$(plus "$TAKE_BACK_CMDS"))"
  printf '%s' "$r"
}

# Reads (or first creates) DIR/redis-USER.password; prints its sha256.
password_hash() {
  local user=$1 f=$DIR/redis-$1.password pw
  if [[ ! -s $f ]]; then
    pw=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    [[ ${#pw} -eq 64 ]] || die "cannot read /dev/urandom"
    printf '%s\n' "$pw" >"$f.tmp"
    chmod 600 "$f.tmp"
    mv -f "$f.tmp" "$f"
  fi
  chmod 600 "$f"
  pw=$(head -n 1 "$f")
  # Same charset the launcher always used: safe in redis.conf, RESP and hiredis formats.
  [[ $pw =~ ^[A-Za-z0-9._-]{16,}$ ]] \
    || die "$f must hold one password of at least 16 of [A-Za-z0-9._-] (delete it to generate one)"
  printf '%s' "$pw" | sha256sum | cut -d' ' -f1
}

out=$DIR/users.acl
# Hashes first: a failure inside $(...) among printf arguments would not stop the script.
declare -A HASH=()
for u in "${SERVICES[@]}" ops replica sentinel; do HASH[$u]=$(password_hash "$u"); done
{
  printf 'user default off resetpass ~* &* +@all\n'   # rights for AOF replay only: see above
  for s in "${SERVICES[@]}"; do
    printf 'user %s on resetpass #%s %s\n' "$s" "${HASH[$s]}" "$(rules_of "$s")"
  done
  printf 'user ops on resetpass #%s ~* &* +@all\n' "${HASH[ops]}"
  printf 'user replica on resetpass #%s resetkeys resetchannels -@all +psync +replconf +ping\n' "${HASH[replica]}"
  printf 'user sentinel on resetpass #%s resetkeys resetchannels &__sentinel__:hello -@all +multi +exec +ping +info +role +slaveof +replicaof +config|rewrite +client|setname +client|kill +script|kill +subscribe +publish\n' "${HASH[sentinel]}"
} >"$out.tmp" || { rm -f "$out.tmp"; die "cannot write $out"; }
chmod 600 "$out.tmp"
mv -f "$out.tmp" "$out"
