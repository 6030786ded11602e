#!/usr/bin/env bash
# Builds the CEL differential test's oracle (test/cel/oracle: kube-apiserver
# 1.36's admission policy CEL environment from k8s.io/apiserver) into
# $PODGATE_CEL_BIN (default: <repo>/.cache/cel).
# Env: PODGATE_CEL_BIN output dir; PODGATE_ORACLE_FORCE=1 rebuild anyway.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
exec "$ROOT/test/support/build-oracle.sh" "$HERE/oracle" "${PODGATE_CEL_BIN:-$ROOT/.cache/cel}" cel/build
