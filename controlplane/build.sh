#!/usr/bin/env bash
# Builds the real control plane used by podgate's e2e harness from the Go
# module proxy, with the machine's Go (no Docker, no prebuilt downloads):
#   kube-apiserver, kube-controller-manager, kube-scheduler,
#   kubelet (the real node, test/harness/realnode.ts),
#   kubeadm, kube-proxy, kubectl (the offline kind node image,
#     controlplane/kind/)                                     (mod/kubernetes)
#   etcd                                                      (mod/etcd)
#   kwok                                                      (mod/kwok)
#   helm (charts/podgate: lint, template, the e2e install)    (mod/helm)
#   kind (npm run e2e:kind)                                   (mod/kind)
# into $PODGATE_CP_BIN (default: podgate/controlplane/bin in the user's cache
# directory, $XDG_CACHE_HOME or ~/.cache: shared by every checkout and project).
#
# A binary is rebuilt only when its stamp changes: sha256 of its module's
# go.mod + go.sum, `go version`, GOOS/GOARCH/CGO_ENABLED and this script.
#
# Usage: controlplane/build.sh [binary...]   (default: all eleven)
# Env:   PODGATE_CP_BIN   output dir
#        PODGATE_CP_FORCE=1  rebuild even if the stamp matches
#        GOCACHE / GOMODCACHE are honoured (left global by default so warm
#        caches survive fresh clones).
set -euo pipefail
# The whole script is one { } block: bash parses it before running, so editing
# this file while it runs (e.g. a git checkout) cannot derail a long build.
{

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BIN="${PODGATE_CP_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/podgate/controlplane/bin}"
mkdir -p "$BIN"
BIN="$(cd "$BIN" && pwd)"

ALL=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubeadm kube-proxy kubectl etcd kwok helm kind)
if [ "$#" -gt 0 ]; then WANT=("$@"); else WANT=("${ALL[@]}"); fi

# 2 cores: one package-level job per core; never let Go fetch a toolchain.
export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOFLAGS="-buildvcs=false -mod=readonly"
JOBS="${PODGATE_CP_JOBS:-$(nproc 2>/dev/null || echo 2)}"

command -v go >/dev/null || { echo "build.sh: go not found on PATH" >&2; exit 1; }
command -v sha256sum >/dev/null || { echo "build.sh: sha256sum not found" >&2; exit 1; }

T0=$(date +%s)
now() { date +%s; }
fmt() { local s=$1; printf '%dm%02ds' $((s / 60)) $((s % 60)); }
log() { echo "[controlplane/build $(fmt $(( $(now) - T0 )))] $*"; }

CURRENT=""
on_exit() {
  local rc=$?
  [ -n "${TICKER:-}" ] && kill "$TICKER" 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then
    echo "build.sh: FAILED${CURRENT:+ while $CURRENT} (exit $rc) after $(fmt $(( $(now) - T0 )))${CURRENT:+; see the go output above}." >&2
  fi
}
trap on_exit EXIT

# progress line every 60 s while a long go command runs
start_ticker() {
  local what=$1 t=$(now)
  # sleep must not inherit stdout: an orphaned sleep would keep a pipe
  # (| tee, a harness reading our output) open for up to 60 s after we exit.
  ( while sleep 60 >/dev/null 2>&1 </dev/null; do echo "[controlplane/build] ... still $what ($(fmt $(( $(now) - t ))))"; done ) &
  TICKER=$!
}
stop_ticker() { kill "$TICKER" 2>/dev/null || true; wait "$TICKER" 2>/dev/null || true; TICKER=""; }

module_of() {
  case "$1" in
    kube-apiserver|kube-controller-manager|kube-scheduler|kube-proxy|kubelet|kubeadm|kubectl) echo kubernetes ;;
    etcd) echo etcd ;;
    kwok) echo kwok ;;
    helm) echo helm ;;
    kind) echo kind ;;
    *) echo "build.sh: unknown binary '$1' (known: ${ALL[*]})" >&2; exit 2 ;;
  esac
}
pkg_of() {
  case "$1" in
    kube-*|kubelet|kubeadm|kubectl) echo "k8s.io/kubernetes/cmd/$1" ;;
    etcd) echo "go.etcd.io/etcd/server/v3" ;;
    kwok) echo "sigs.k8s.io/kwok/cmd/kwok" ;;
    helm) echo "helm.sh/helm/v4/cmd/helm" ;;
    kind) echo "sigs.k8s.io/kind" ;;
  esac
}

GOVERSION="$(go version)"
SCRIPT_SUM="$(sha256sum "$HERE/build.sh" | cut -d' ' -f1)"
stamp_of() {
  local mod="$HERE/mod/$(module_of "$1")"
  { echo "$1"; echo "$GOVERSION"; go env GOOS GOARCH CGO_ENABLED; echo "$SCRIPT_SUM";
    cat "$mod/go.mod" "$mod/go.sum"; } | sha256sum | cut -d' ' -f1
}

# Kubernetes' own hack/lib/version.sh sets these; without them the apiserver
# reports v0.0.0-master and kubectl complains about version skew.
kube_ldflags() {
  local dir="$HERE/mod/kubernetes" v t major minor
  v="$(cd "$dir" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
  t="$(cd "$dir" && go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes)"
  major="${v#v}"; major="${major%%.*}"
  minor="${v#v*.}"; minor="${minor%%.*}"
  local f=""
  for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    f+=" -X '$p.gitVersion=$v' -X '$p.gitMajor=$major' -X '$p.gitMinor=$minor'"
    f+=" -X '$p.gitTreeState=clean' -X '$p.buildDate=${t:-1970-01-01T00:00:00Z}'"
  done
  echo "$f"
}

TODO=()
for b in "${WANT[@]}"; do
  module_of "$b" >/dev/null
  s="$(stamp_of "$b")"
  if [ "${PODGATE_CP_FORCE:-0}" != 1 ] && [ -x "$BIN/$b" ] && [ -f "$BIN/.$b.stamp" ] \
     && [ "$(cat "$BIN/.$b.stamp")" = "$s" ]; then
    log "$b is current ($BIN/$b)"
  else
    TODO+=("$b")
  fi
done
if [ "${#TODO[@]}" -eq 0 ]; then
  log "all current, nothing to build"
  exit 0
fi
log "building: ${TODO[*]} -> $BIN  ($GOVERSION, -p $JOBS)"

# 1. resolve + download the modules each needed module graph uses (timed
#    separately so the report can tell network time from compile time).
declare -A DONE_MOD=()
for b in "${TODO[@]}"; do
  m="$(module_of "$b")"
  [ -n "${DONE_MOD[$m]:-}" ] && continue
  DONE_MOD[$m]=1
  pkgs=""
  for x in "${TODO[@]}"; do [ "$(module_of "$x")" = "$m" ] && pkgs+=" $(pkg_of "$x")"; done
  CURRENT="downloading modules for mod/$m"
  t=$(now)
  start_ticker "downloading modules for mod/$m"
  # shellcheck disable=SC2086
  (cd "$HERE/mod/$m" && go list -deps $pkgs >/dev/null)
  stop_ticker
  log "modules for mod/$m ready in $(fmt $(( $(now) - t )))"
done

# 2. compile, one binary at a time (the first kube-* pays for the shared
#    k8s.io packages; later ones mostly hit the build cache).
KUBE_LDFLAGS=""
for b in "${TODO[@]}"; do
  m="$(module_of "$b")"
  ld="-s -w"
  if [ "$m" = kubernetes ]; then
    [ -z "$KUBE_LDFLAGS" ] && KUBE_LDFLAGS="$(kube_ldflags)"
    ld+="$KUBE_LDFLAGS"
  fi
  CURRENT="building $b"
  t=$(now)
  log "go build $b ..."
  start_ticker "building $b"
  rm -f "$BIN/.$b.stamp"
  (cd "$HERE/mod/$m" && go build -p "$JOBS" -trimpath -ldflags "$ld" -o "$BIN/$b.tmp" "$(pkg_of "$b")")
  stop_ticker
  mv -f "$BIN/$b.tmp" "$BIN/$b"
  stamp_of "$b" > "$BIN/.$b.stamp"
  log "built $b in $(fmt $(( $(now) - t ))) ($(du -h "$BIN/$b" | cut -f1))"
done
CURRENT=""
log "done in $(fmt $(( $(now) - T0 )))"
exit
}
