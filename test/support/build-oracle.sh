#!/usr/bin/env bash
# Builds a differential test's Go oracle (a module of its own, so podgate's npm
# package never needs Go) from the Go module proxy into <out dir>/oracle.
# Rebuilt only when the stamp changes: sha256 of the module's go.mod, go.sum and
# sources, `go version`, GOOS/GOARCH/CGO_ENABLED and this script.
# Usage: test/support/build-oracle.sh <module dir> <out dir> <log name>
# Env: PODGATE_ORACLE_FORCE=1 rebuilds anyway.
set -euo pipefail
{
MOD="$(cd "$1" && pwd)"
mkdir -p "$2"
BIN="$(cd "$2" && pwd)"
NAME="$3"

export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOFLAGS="-buildvcs=false -mod=readonly"
command -v go >/dev/null || { echo "$NAME: go not found on PATH" >&2; exit 1; }

T0=$(date +%s)
log() { echo "[$NAME $(( $(date +%s) - T0 ))s] $*" >&2; }

stamp="$({ go version; go env GOOS GOARCH CGO_ENABLED; sha256sum "${BASH_SOURCE[0]}"; cat "$MOD/go.mod" "$MOD/go.sum" "$MOD"/*.go; } | sha256sum | cut -d' ' -f1)"
if [ "${PODGATE_ORACLE_FORCE:-0}" != 1 ] && [ -x "$BIN/oracle" ] && [ "$(cat "$BIN/.oracle.stamp" 2>/dev/null)" = "$stamp" ]; then
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
