#!/usr/bin/env bash
# run.sh: run cmocka test binaries, print their output, count test cases.
# Usage: RISKLINE_BUILD=build tests/run.sh <test binary>...
# Last line: "N passed, N failed". Exit 1 when anything failed, a binary crashed, or no test ran.
set -u
export CMOCKA_MESSAGE_OUTPUT=stdout
export RISKLINE_BUILD="${RISKLINE_BUILD:-build}"
per_bin_timeout="${RISKLINE_TEST_TIMEOUT:-900}"

passed=0
failed=0
out="$(mktemp "${TMPDIR:-/tmp}/rl-run.XXXXXX")"
trap 'rm -f "$out"' EXIT

for bin in "$@"; do
  echo "=== $bin"
  if [ ! -x "$bin" ]; then
    echo "run.sh: $bin: missing or not executable"
    failed=$((failed + 1))
    continue
  fi
  if command -v timeout >/dev/null 2>&1; then
    timeout -k 10 "$per_bin_timeout" "$bin" </dev/null >"$out" 2>&1
  else
    "$bin" </dev/null >"$out" 2>&1
  fi
  rc=$?
  cat "$out"
  p=0; f=0; summaries=0; ok_lines=0; failed_lines=0
  while IFS= read -r line; do
    if [[ $line =~ ^\[\ \ PASSED\ \ \]\ ([0-9]+)\ test\(s\) ]]; then
      p=$((p + BASH_REMATCH[1])); summaries=$((summaries + 1))
    elif [[ $line =~ ^\[\ \ FAILED\ \ \]\ ([0-9]+)\ test\(s\) ]]; then
      f=$((f + BASH_REMATCH[1])); summaries=$((summaries + 1))
    elif [[ $line =~ ^\[\ \ \ \ \ \ \ OK\ \] ]]; then
      ok_lines=$((ok_lines + 1))
    elif [[ $line =~ ^\[\ \ FAILED\ \ \]\ [^0-9] ]]; then
      failed_lines=$((failed_lines + 1))
    fi
  done <"$out"
  if [ "$summaries" -eq 0 ]; then
    # No summary (crashed or killed): count the cases it reported before dying.
    p=$ok_lines; f=$failed_lines
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  # A crash, a timeout or a non-zero exit that cmocka did not account for is one more failure.
  if [ "$summaries" -eq 0 ] || [ "$rc" -ge 128 ] || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then
    echo "run.sh: $bin: exited with status $rc (crash, timeout or no cmocka summary)"
    failed=$((failed + 1))
  fi
done

status=0
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  status=1
fi
echo "$passed passed, $failed failed"
exit "$status"
