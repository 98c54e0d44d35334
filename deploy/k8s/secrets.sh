#!/usr/bin/env bash
# secrets.sh: print the Kubernetes Secrets of Riskline (the services' CURVE keys, the Redis ACL
# file and passwords) as YAML on stdout, for `deploy/k8s/secrets.sh | kubectl apply -f -`.
# Their shape is deploy/k8s/secrets.example.yaml; nothing secret is ever committed.
#
# Usage: deploy/k8s/secrets.sh [DIR]     (from the repository root, after `make all`)
#   DIR (default var/k8s-secrets, mode 700) keeps what deploy/init-secrets.sh made, so a second
#   run prints the same keys and passwords; delete a file there to rotate it. DIR/cli/ holds the
#   bootstrap admin key (cli.key) and the services' public keys, for the CLI: keep it safe.
# Environment: RISKLINE_BUILD (default build), RISKLINE_NAMESPACE (default riskline).
# Exit: 0 ok; 1 on error.
set -euo pipefail
umask 077
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${1:-$ROOT/var/k8s-secrets}
NS=${RISKLINE_NAMESPACE:-riskline}
CLI=$ROOT/${RISKLINE_BUILD:-build}/bin/riskline
[[ -x $CLI ]] || { echo "secrets.sh: $CLI not found: run make all first" >&2; exit 1; }
mkdir -p "$DIR"
RISKLINE_CLI=$CLI "$ROOT/deploy/init-secrets.sh" "$DIR" >&2

# secret NAME SUBDIR: one Secret holding every file of DIR/SUBDIR
secret() {
  local f
  printf -- '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\n' "$1" "$NS"
  printf '  labels:\n    app.kubernetes.io/part-of: riskline\ntype: Opaque\ndata:\n'
  for f in "$DIR/$2"/*; do
    printf '  %s: %s\n' "$(basename "$f")" "$(base64 -w0 <"$f")"
  done
}
for s in register treatment monitor report; do secret "riskline-$s" "$s"; done
secret riskline-redis redis
