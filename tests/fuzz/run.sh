#!/usr/bin/env bash
# run.sh: run libFuzzer targets for a bounded time each, against a private Redis; report and fail on a crash.
# Usage: FUZZ_SECONDS=60 FUZZ_MAX_LEN=4096 tests/fuzz/run.sh <build dir> <target>...
# Seeds: tests/fuzz/corpus/<name> (name = target without "fuzz_"), dictionary tests/fuzz/<name>.dict
# when there is one; what a run adds goes to
# <build>/corpus/<name>, crashes to <build>/crashes/<name>-crash-<sha1>. Last line: "fuzz: N passed, N failed".
set -u
build="$1"
shift
seconds="${FUZZ_SECONDS:-60}"
max_len="${FUZZ_MAX_LEN:-4096}"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/rl-fuzz.XXXXXX")"
chmod 700 "$tmp"
redis_pid=""
cleanup() {
  if [ -n "$redis_pid" ]; then
    kill "$redis_pid" 2>/dev/null
    wait "$redis_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A Redis of our own on a free port, password in its conf file (never on a command line), no persistence.
start_redis() {
  local pw port i
  pw="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  printf '%s\n' "$pw" >"$tmp/redis.password"
  for i in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    port_in_use "$port" && continue
    cat >"$tmp/redis.conf" <<EOF
bind 127.0.0.1
port $port
requirepass $pw
save ""
appendonly no
dir $tmp
maxmemory 512mb
maxmemory-policy allkeys-lru
loglevel warning
logfile $tmp/redis.log
EOF
    redis-server "$tmp/redis.conf" &
    redis_pid=$!
    for _ in $(seq 1 50); do
      if REDISCLI_AUTH="$pw" redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
        export RISKLINE_FUZZ_REDIS_PORT="$port" RISKLINE_FUZZ_REDIS_PASSWORD_FILE="$tmp/redis.password"
        echo "fuzz: Redis on 127.0.0.1:$port"
        return 0
      fi
      kill -0 "$redis_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill "$redis_pid" 2>/dev/null
    wait "$redis_pid" 2>/dev/null
    redis_pid=""
  done
  echo "fuzz: cannot start redis-server (see $tmp/redis.log); the store targets run against a closed port"
  return 1
}

if command -v redis-server >/dev/null 2>&1; then
  start_redis
else
  echo "fuzz: no redis-server: the store targets run against a closed port"
fi

passed=0
failed=0
mkdir -p "$build/crashes"
for target in "$@"; do
  name="${target#fuzz_}"
  bin="$build/fuzz/$target"
  seeds="$here/corpus/$name"
  work="$build/corpus/$name"
  log="$build/fuzz/$target.log"
  mkdir -p "$work"
  dict=()
  [ -f "$here/$name.dict" ] && dict=(-dict="$here/$name.dict")
  echo "=== $target (${seconds}s, max_len $max_len)"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin: missing"
    failed=$((failed + 1))
    continue
  fi
  timeout -k 10 $((seconds + 120)) "$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/crashes/$name-" "${dict[@]}" \
    "$work" "$seeds" </dev/null >"$log" 2>&1
  rc=$?
  done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  eps="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")"
  corp="$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$done_line")"
  if [ "$rc" -eq 0 ] && [ -n "$done_line" ]; then
    echo "$target: ok: ${runs:-?} runs, ${eps:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
    passed=$((passed + 1))
  else
    tail -n 60 "$log"
    echo "$target: FAILED (exit $rc); input saved as: $(grep -o "$build/crashes/[^ ]*" "$log" | tail -1)"
    echo "  reproduce: $bin <that file>   full log: $log"
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
