#!/usr/bin/env bash
# deps.sh: install the Debian packages Riskline needs, only those missing; a no-op when all are present.
set -euo pipefail
pkgs=(build-essential clang pkg-config libzmq3-dev libprotobuf-c-dev protobuf-c-compiler
      libhiredis-dev libcjson-dev libcmocka-dev libsodium-dev libmicrohttpd-dev libclang-rt-14-dev redis-server redis-tools
      python3 python3-yaml)  # python3 and PyYAML: tests/deploy/check_deploy.py
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
