#!/usr/bin/env bash
# init-secrets.sh: make Riskline's CURVE keys and Redis ACL users into one directory, then lay out
# one sub-directory per consumer holding only what that consumer needs. Run by the one-shot `init`
# service of deploy/compose.yaml (image: riskline-init-secrets) into a named volume; for
# Kubernetes, run it on a trusted machine and load the results as Secrets (README "Kubernetes").
#
# Usage: init-secrets.sh DIR      (idempotent: keys and passwords are made once and kept)
#   DIR/acl/             deploy/redis/acl.sh's output: users.acl and redis-<user>.password (all)
#   DIR/keys/            `riskline keys init`: each service's .key and .pub, cli.key, cli.pub
#   DIR/<service>/       register, treatment, monitor, report: <service>.key, every .pub,
#                        redis.password (its own Redis user's); a service's RISKLINE_KEYS_DIR
#   DIR/redis/           users.acl and redis-ops.password (the ops user: health check, shell)
#   DIR/cli/             cli.key (the bootstrap admin) and every .pub: RISKLINE_KEYS_DIR of the CLI
# Files are mode 600, directories 700, owned by whoever runs this (uid 10001 in the image): the
# key loader refuses secret key files that group or others may read.
# Environment: RISKLINE_ACL_SH (default: deploy/redis/acl.sh next to this script, else the
#   image's /usr/local/share/riskline/acl.sh), RISKLINE_CLI (default: riskline from PATH).
# Exit: 0 ok; 1 on error (message on stderr).
set -euo pipefail
umask 077

die() { printf 'init-secrets: %s\n' "$*" >&2; exit 1; }
[[ $# -eq 1 && -n $1 ]] || die "usage: init-secrets.sh DIR"
DIR=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
acl_sh=${RISKLINE_ACL_SH:-}
if [[ -z $acl_sh ]]; then
  if [[ -x $here/redis/acl.sh ]]; then acl_sh=$here/redis/acl.sh; else acl_sh=/usr/local/share/riskline/acl.sh; fi
fi
cli=${RISKLINE_CLI:-riskline}
SERVICES=(register treatment monitor report)

mkdir -p "$DIR/acl" "$DIR/keys"
chmod 700 "$DIR" "$DIR/acl" "$DIR/keys"
"$acl_sh" "$DIR/acl" || die "cannot write the Redis users ($acl_sh $DIR/acl)"
# keys init needs no Redis and no service: it only writes the missing key files
RISKLINE_KEYS_DIR=$DIR/keys RISKLINE_INSECURE=0 "$cli" keys init | sed 's/^/init-secrets: /'

# put FROM... INTO: copies through a temporary name, so a reader never sees half a file.
put() {
  local dst=${*: -1} f
  for f in "${@:1:$#-1}"; do
    cp "$f" "$dst/.tmp.$$"
    chmod 600 "$dst/.tmp.$$"
    mv -f "$dst/.tmp.$$" "$dst/$(basename "$f")"
  done
}
for s in "${SERVICES[@]}"; do
  mkdir -p "$DIR/$s"
  chmod 700 "$DIR/$s"
  put "$DIR/keys/$s.key" "$DIR"/keys/*.pub "$DIR/$s"
  cp "$DIR/acl/redis-$s.password" "$DIR/$s/.tmp.$$"
  mv -f "$DIR/$s/.tmp.$$" "$DIR/$s/redis.password"
done
mkdir -p "$DIR/redis" "$DIR/cli"
chmod 700 "$DIR/redis" "$DIR/cli"
put "$DIR/acl/users.acl" "$DIR/acl/redis-ops.password" "$DIR/redis"
put "$DIR/keys/cli.key" "$DIR"/keys/*.pub "$DIR/cli"
echo "init-secrets: ready in $DIR"
