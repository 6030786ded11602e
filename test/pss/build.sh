#!/usr/bin/env bash
# Builds the differential test's oracle (test/pss/oracle: the Pod Security
# admission evaluator of k8s.io/pod-security-admission, with the apiserver's
# pod defaulting) into $PODGATE_PSS_BIN (default: <repo>/.cache/pss), and
# writes beside it `testdata`, the path of upstream's fixtures in the module
# cache. Env: PODGATE_PSS_BIN output dir; PODGATE_ORACLE_FORCE=1 rebuild anyway.
set -euo pipefail
{
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${PODGATE_PSS_BIN:-$ROOT/.cache/pss}"
mkdir -p "$BIN"
export GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=readonly"
# Also downloads the module if the cache lost it: the fixtures are read from there.
(cd "$HERE/oracle" && go mod download k8s.io/pod-security-admission && go list -m -f '{{.Dir}}/test/testdata' k8s.io/pod-security-admission) > "$BIN/testdata.tmp"
mv -f "$BIN/testdata.tmp" "$BIN/testdata"
"$ROOT/test/support/build-oracle.sh" "$HERE/oracle" "$BIN" pss/build
exit
}
