#!/usr/bin/env bash
# Builds the differential test's oracle (test/pss/oracle: the Pod Security
# admission evaluator of k8s.io/pod-security-admission, with the apiserver's
# pod defaulting) from the Go module proxy into $PODGATE_PSS_BIN (default:
# <repo>/.cache/pss), and writes beside it `testdata`, the path of upstream's
# fixtures in the module cache.
#
# Rebuilt only when the stamp changes: sha256 of the oracle's go.mod, go.sum
# and sources, `go version`, GOOS/GOARCH/CGO_ENABLED and this script.
# Env: PODGATE_PSS_BIN output dir; PODGATE_PSS_FORCE=1 rebuild anyway.
set -euo pipefail
{
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${PODGATE_PSS_BIN:-$ROOT/.cache/pss}"
mkdir -p "$BIN"
BIN="$(cd "$BIN" && pwd)"
MOD="$HERE/oracle"

export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOFLAGS="-buildvcs=false -mod=readonly"
command -v go >/dev/null || { echo "test/pss/build.sh: go not found on PATH" >&2; exit 1; }

T0=$(date +%s)
log() { echo "[pss/build $(( $(date +%s) - T0 ))s] $*" >&2; }

stamp="$({ go version; go env GOOS GOARCH CGO_ENABLED; sha256sum "$HERE/build.sh"; cat "$MOD/go.mod" "$MOD/go.sum" "$MOD"/*.go; } | sha256sum | cut -d' ' -f1)"
# Also downloads the module if the cache lost it: the fixtures are read from there.
(cd "$MOD" && go mod download k8s.io/pod-security-admission && go list -m -f '{{.Dir}}/test/testdata' k8s.io/pod-security-admission) > "$BIN/testdata.tmp"
mv -f "$BIN/testdata.tmp" "$BIN/testdata"

if [ "${PODGATE_PSS_FORCE:-0}" != 1 ] && [ -x "$BIN/oracle" ] && [ "$(cat "$BIN/.oracle.stamp" 2>/dev/null)" = "$stamp" ]; then
  log "oracle is current ($BIN/oracle)"
  exit 0
fi
log "building the oracle -> $BIN/oracle ($(go version))"
rm -f "$BIN/.oracle.stamp"
(cd "$MOD" && go build -trimpath -ldflags "-s -w" -o "$BIN/oracle.tmp" .)
mv -f "$BIN/oracle.tmp" "$BIN/oracle"
echo "$stamp" > "$BIN/.oracle.stamp"
log "built in $(( $(date +%s) - T0 ))s"
exit
}
