#!/usr/bin/env bash
# run.sh: run Riskline locally in the foreground (`make run`): an embedded Redis plus every service
# binary that has been built, with logs on stdout (each line prefixed with the process name).
# Ctrl-C (or SIGTERM) stops everything: SIGTERM to each child, SIGKILL after 5 s; exit 0.
#
# State lives in var/ at the repo root (mode 700):
#   var/redis-<user>.password  one Redis ACL user per service (register, treatment, monitor,
#                       report) plus ops, generated on first run by deploy/redis/acl.sh from
#                       /dev/urandom (mode 600); each service reads its own through
#                       RISKLINE_REDIS_PASSWORD_FILE, never from a command line. ops is for this
#                       launcher's health check and for you: REDISCLI_AUTH=... redis-cli --user ops
#   var/users.acl       the Redis ACL (aclfile), rewritten on every start; hashes, no passwords
#   var/redis.conf      written on every start (mode 600)
#   var/redis/          Redis data (append-only file, fsync every second)
#   var/run.pid         this launcher's pid while it runs
#
# Environment: RISKLINE_BUILD (default build), RISKLINE_REDIS_PORT (7100),
#   RISKLINE_REGISTER_ENDPOINT (tcp://127.0.0.1:7101), RISKLINE_TREATMENT_ENDPOINT (:7102),
#   RISKLINE_MONITOR_ENDPOINT (:7103), RISKLINE_REPORT_ENDPOINT (:7104),
#   RISKLINE_REPORT_PUB_ENDPOINT (:7105), RISKLINE_LOG_PREFIX=0 to print logs unprefixed.
# Exit: 0 after a clean stop; 1 when already running, a port is taken, or something failed to start.
set -euo pipefail

# Started in the background by a script, bash inherits SIGINT ignored and cannot trap it; re-exec
# with the default disposition so that Ctrl-C / kill -INT stop Riskline cleanly in every case.
if [[ $(trap -p INT) == "trap -- '' SIGINT" && -z ${RISKLINE_RUN_REEXEC:-} ]] \
   && env --default-signal=INT true 2>/dev/null; then
  RISKLINE_RUN_REEXEC=1 exec env --default-signal=INT bash "${BASH_SOURCE[0]}" "$@"
fi
unset RISKLINE_RUN_REEXEC

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BUILD=${RISKLINE_BUILD:-build}
BIN=$BUILD/bin
VAR=var
PIDFILE=$VAR/run.pid
STOP_GRACE_S=10  # above RL_STOP_BOUND_MS (5 s, common/rl_limits.h): a service stopping gracefully is not killed
START_TIMEOUT_S=30
SERVICES=(riskline-register riskline-treatment riskline-monitor riskline-report)

REDIS_PORT=${RISKLINE_REDIS_PORT:-7100}
declare -A ENDPOINT=(
  [riskline-register]=${RISKLINE_REGISTER_ENDPOINT:-tcp://127.0.0.1:7101}
  [riskline-treatment]=${RISKLINE_TREATMENT_ENDPOINT:-tcp://127.0.0.1:7102}
  [riskline-monitor]=${RISKLINE_MONITOR_ENDPOINT:-tcp://127.0.0.1:7103}
  [riskline-report]=${RISKLINE_REPORT_ENDPOINT:-tcp://127.0.0.1:7104}
)
REPORT_PUB=${RISKLINE_REPORT_PUB_ENDPOINT:-tcp://127.0.0.1:7105}

idx_of() { local i; for i in "${!SERVICES[@]}"; do [[ ${SERVICES[$i]} != "$1" ]] || { echo "$i"; return; }; done; }
say() { printf 'run: %s\n' "$*"; }
die() { printf 'run: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- checks before starting anything

REDIS_SERVER=$(command -v redis-server) || die "redis-server not found: install it with 'make deps'"
if ! [[ $REDIS_PORT =~ ^[0-9]+$ ]] || (( REDIS_PORT < 1 || REDIS_PORT > 65535 )); then
  die "RISKLINE_REDIS_PORT='$REDIS_PORT' is not a port number"
fi

to_run=()
for s in "${SERVICES[@]}"; do
  [[ -x $BIN/$s ]] && to_run+=("$s")
done
(( ${#to_run[@]} > 0 )) || die "no service binary in $BIN/ (build them first: make all)"

umask 077
mkdir -p "$VAR"
chmod 700 "$VAR"

# ---------------------------------------------------------------- children

names=() pids=() log_pids=()
stopping=0

# Children run in their own session, so a terminal Ctrl-C reaches only this launcher, which then
# stops them in order (services before Redis). A background job here is not a group leader, so
# setsid execs in place and $! stays the child's pid.
SETSID=()
if command -v setsid >/dev/null 2>&1; then SETSID=(setsid); fi

# start NAME CMD...: runs CMD in the background, output prefixed with NAME (unless RISKLINE_LOG_PREFIX=0).
start() {
  local name=$1 fd
  shift
  set -- "${SETSID[@]}" "$@"
  if [[ ${RISKLINE_LOG_PREFIX:-1} == 0 ]]; then
    "$@" </dev/null &
  else
    # The prefixer ignores INT/TERM: it ends when its process closes the pipe, so no log line is lost.
    exec {fd}> >(trap '' INT TERM HUP; exec sed -u "s/^/$(printf '%-9s |' "$name") /")
    log_pids+=("$!")
    "$@" </dev/null >&"$fd" 2>&1 &
    exec {fd}>&-
  fi
  names+=("$name")
  pids+=("$!")
}

# Stops the children in reverse start order (services before Redis); SIGKILL after STOP_GRACE_S.
stop_all() {
  local i pid t
  for (( i = ${#pids[@]} - 1; i >= 0; i-- )); do
    pid=${pids[$i]}
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null || true
    for (( t = 0; t < STOP_GRACE_S * 10; t++ )); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "${names[$i]} (pid $pid) did not stop within ${STOP_GRACE_S}s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  for pid in "${log_pids[@]}"; do  # prefixers end at EOF; never leave one behind
    for (( t = 0; t < 20; t++ )); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
}

shutdown() {
  local code=$1
  trap '' INT TERM HUP
  stopping=1
  say "stopping..."
  stop_all
  [[ $(cat "$PIDFILE" 2>/dev/null) != "$$" ]] || rm -f "$PIDFILE"
  say "stopped"
  exit "$code"
}

# On any exit (die, set -e, a signal before the main trap): stop what started, drop our pid file.
on_exit() {
  [[ $stopping == 1 ]] || stop_all
  [[ $(cat "$PIDFILE" 2>/dev/null) != "$$" ]] || rm -f "$PIDFILE"
}

# One launcher at a time: var/run.pid names the live one (a stale file from a crash is replaced).
running_pid() {
  local pid
  [[ -f $PIDFILE ]] || return 1
  pid=$(<"$PIDFILE") || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ $pid != "$$" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'run\.sh' || return 1
  printf '%s' "$pid"
}
claim_pidfile() { (set -o noclobber; printf '%s\n' "$$" >"$PIDFILE") 2>/dev/null; }
if ! claim_pidfile; then
  if pid=$(running_pid); then
    die "Riskline is already running (pid $pid, $PIDFILE)"
  fi
  rm -f "$PIDFILE"  # stale: its launcher is gone
  claim_pidfile || die "cannot create $PIDFILE (another launcher starting at the same time?)"
fi
trap on_exit EXIT
trap 'shutdown 0' INT TERM HUP

# Port of an endpoint (tcp://host:port), empty for other transports.
endpoint_port() {
  local ep=$1
  [[ $ep == tcp://* ]] || return 0
  ep=${ep##*:}
  [[ $ep =~ ^[0-9]+$ ]] && printf '%s' "$ep"
}

port_taken() {
  if command -v ss >/dev/null 2>&1; then
    [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

declare -A port_owner=([$REDIS_PORT]="Redis (RISKLINE_REDIS_PORT)")
for s in "${to_run[@]}"; do
  p=$(endpoint_port "${ENDPOINT[$s]}")
  [[ -n $p ]] || continue
  [[ -z ${port_owner[$p]:-} ]] || die "port $p is configured twice (${port_owner[$p]} and $s)"
  port_owner[$p]="$s (${ENDPOINT[$s]})"
done
if [[ -x $BIN/riskline-report ]]; then
  p=$(endpoint_port "$REPORT_PUB")
  [[ -z $p || -n ${port_owner[$p]:-} ]] || port_owner[$p]="riskline-report PUB ($REPORT_PUB)"
fi
for p in "${!port_owner[@]}"; do
  if port_taken "$p"; then
    die "port $p is already in use, needed by ${port_owner[$p]}: stop what listens there (ss -ltnp 'sport = :$p') or configure another port"
  fi
done

# ---------------------------------------------------------------- Redis users and config

# A var/ from before the ACL users holds var/redis.password, the default user's password. The
# default user is off now; that password becomes the ops password, so what a developer kept
# (a redis-cli habit, a script) keeps working once it names the ops user.
OPS_PWFILE=$VAR/redis-ops.password
if [[ -f $VAR/redis.password ]]; then
  if [[ -s $VAR/redis.password && ! -e $OPS_PWFILE ]]; then
    mv -f "$VAR/redis.password" "$OPS_PWFILE"
    say "Redis has one ACL user per service now: $VAR/redis.password moved to $OPS_PWFILE (user ops)"
  else
    rm -f "$VAR/redis.password"
    say "removed the unused $VAR/redis.password (Redis has one ACL user per service now)"
  fi
fi
"$ROOT/deploy/redis/acl.sh" "$VAR" || die "cannot write the Redis users (deploy/redis/acl.sh $VAR)"
OPS_PASSWORD=$(head -n 1 "$OPS_PWFILE")

mkdir -p "$VAR/redis"
chmod 700 "$VAR/redis"
cat >"$VAR/redis.conf.tmp" <<EOF
# Written by deploy/run.sh on every start; edit run.sh instead.
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize no
dir $ROOT/$VAR/redis
logfile ""
appendonly yes
appendfsync everysec
aclfile $ROOT/$VAR/users.acl
# even ops cannot load modules or run DEBUG on this instance
enable-module-command no
enable-debug-command no
EOF
chmod 600 "$VAR/redis.conf.tmp"
mv -f "$VAR/redis.conf.tmp" "$VAR/redis.conf"

fail() {
  printf 'run: %s\n' "$*" >&2
  shutdown 1
}

# 0 when Redis answers PONG to a PING as ops (the password goes over the socket only).
redis_ready() (
  exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" || exit 1
  printf 'AUTH ops %s\r\nPING\r\n' "$OPS_PASSWORD" >&3
  IFS= read -r -t 2 a <&3 || a=
  IFS= read -r -t 2 b <&3 || b=
  [[ $a == $'+OK\r' && $b == $'+PONG\r' ]]
) 2>/dev/null

# wait_up NAME PID CHECK...: polls CHECK until it succeeds, the process dies or START_TIMEOUT_S passes.
wait_up() {
  local name=$1 pid=$2 t code
  shift 2
  for (( t = 0; t < START_TIMEOUT_S * 10; t++ )); do
    "$@" && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      code=0
      wait "$pid" || code=$?
      fail "$name exited during start (exit code $code); see its log lines above"
    fi
    sleep 0.1
  done
  fail "$name did not become ready within ${START_TIMEOUT_S}s"
}

# CURVE keys, made on the first run and kept: each service's pair and the CLI's (the local admin,
# put into the empty key store by the register). Files are owner-only; the CLI finds them in
# var/keys when run from here, elsewhere through RISKLINE_KEYS_DIR.
export RISKLINE_KEYS_DIR=$ROOT/$VAR/keys
if [[ ${RISKLINE_INSECURE:-0} == 1 ]]; then
  say "WARNING: RISKLINE_INSECURE=1: plaintext transport, no authentication, every caller has every role"
else
  unset RISKLINE_INSECURE
  "$BIN/riskline" keys init | sed 's/^/run: /' || die "cannot create the keys in $VAR/keys"
fi

start redis "$REDIS_SERVER" "$VAR/redis.conf"
wait_up redis "${pids[0]}" redis_ready
# Loopback only, whatever the config says: a Redis reachable from the network is a finding.
if command -v ss >/dev/null 2>&1; then
  while read -r _ _ _ local _; do
    [[ $local == 127.0.0.1:* || $local == "[::1]:"* ]] || fail "Redis listens on $local: loopback only, please"
  done < <(ss -Hltn "sport = :$REDIS_PORT" 2>/dev/null)
fi

export RISKLINE_REDIS_HOST=127.0.0.1 RISKLINE_REDIS_PORT=$REDIS_PORT
# Each service gets its own user and password file at start (below); a stale exported password
# would win over the file, and a shared user would defeat the per-service ACL.
unset RISKLINE_REDIS_PASSWORD RISKLINE_REDIS_PASSWORD_FILE RISKLINE_REDIS_USER
export RISKLINE_REPORT_PUB_ENDPOINT=$REPORT_PUB
for s in "${to_run[@]}"; do
  var=RISKLINE_${s#riskline-}_ENDPOINT
  export "${var^^}=${ENDPOINT[$s]}"
done

for s in "${to_run[@]}"; do
  u=${s#riskline-}  # the service's Redis ACL user (deploy/redis/acl.sh)
  start "$u" env RISKLINE_REDIS_USER="$u" RISKLINE_REDIS_PASSWORD_FILE="$ROOT/$VAR/redis-$u.password" "$BIN/$s"
  p=$(endpoint_port "${ENDPOINT[$s]}")
  if [[ -n $p ]]; then
    wait_up "$s" "${pids[-1]}" port_taken "$p"
  fi
done

# ---------------------------------------------------------------- banner, then wait

cli=$BIN/riskline
{
  echo
  echo "Riskline is running (launcher pid $$, $PIDFILE):"
  printf '  %-18s %s\n' "Redis" "127.0.0.1:$REDIS_PORT  (a user per service, passwords in $VAR/redis-*.password, data in $VAR/redis)"
  printf '  %-18s %s\n' "Redis shell" "REDISCLI_AUTH=\$(cat $VAR/redis-ops.password) redis-cli -p $REDIS_PORT --user ops"
  for s in "${to_run[@]}"; do
    printf '  %-18s %s\n' "${s#riskline-}" "${ENDPOINT[$s]}"
  done
  [[ ! -x $BIN/riskline-report ]] || printf '  %-18s %s\n' "report updates" "$REPORT_PUB (PUB)"
  for s in "${SERVICES[@]}"; do
    [[ -x $BIN/$s ]] || printf '  %-18s %s\n' "${s#riskline-}" "not built yet"
  done
  echo
  echo "Try:"
  for s in "${to_run[@]}"; do  # the CLI defaults match the default endpoints only
    var=RISKLINE_${s#riskline-}_ENDPOINT
    [[ ${ENDPOINT[$s]} == "tcp://127.0.0.1:$(( 7101 + $(idx_of "$s") ))" ]] || echo "  export ${var^^}=${ENDPOINT[$s]}"
  done
  if [[ ${RISKLINE_INSECURE:-0} == 1 ]]; then
    echo "  export RISKLINE_INSECURE=1    # the services run without CURVE"
  else
    echo "  # encrypted and authenticated with $VAR/keys/cli.key (local admin, every role)"
  fi
  echo "  $cli ping"
  echo "  $cli risk add --title \"Phishing of staff\" --owner alice --likelihood 4 --impact 3"
  echo "  $cli risk list"
  echo "  $cli keys issue carol --roles viewer --tenants default   # a key for someone else"
  echo "  $cli audit verify"
  echo
  echo "Ctrl-C stops everything."
  echo
}

while :; do
  code=0
  wait -n "${pids[@]}" || code=$?
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      fail "${names[$i]} (pid ${pids[$i]}) exited unexpectedly (exit code $code); stopping the rest"
    fi
  done
done
