#!/usr/bin/env bash
# Builds the real node's container images without a registry or Docker: static
# Go binaries from mod/images (pause, app, log-shipper), each packed by
# mod/images/pack into an OCI archive that `ctr -n k8s.io images import`
# takes. The harness imports them into its containerd (test/harness/realnode.ts).
#
#   podgate.local/pause:e2e        the sandbox image (containerd's sandbox_image)
#   podgate.local/app:e2e          the demo app (`app init` is its init container)
#   podgate.local/log-shipper:e2e  stands in for fluent-bit, the e2e sidecar template's image
#   podgate.local/podgate:e2e      with --podgate: podgate itself, what the Dockerfile's image
#                                  holds (the pinned Node 24 binary and the shared libraries it
#                                  links, dist/, the production node_modules, bin/ src/ webhooks/
#                                  extender/ config/ policies/), built from this checkout
#
# Usage: controlplane/images.sh [--podgate]  -> $PODGATE_IMAGES_DIR (default <repo>/.cache/controlplane/images)
# A few seconds with a warm Go build cache; the archives are rebuilt every run
# (the same inputs give the same image digests: fixed file times).
set -euo pipefail
{
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT="${PODGATE_IMAGES_DIR:-$ROOT/.cache/controlplane/images}"
mkdir -p "$OUT/bin/empty-dir"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=readonly"
t0=$(date +%s.%N)
cd "$HERE/mod/images"
for cmd in pause app log-shipper pack; do
  go build -trimpath -ldflags "-s -w" -o "$OUT/bin/$cmd" "./$cmd"
done
pack() { "$OUT/bin/pack" "$@"; }
pack -name podgate.local/pause:e2e -out "$OUT/pause.tar" -entrypoint /pause /pause="$OUT/bin/pause"
pack -name podgate.local/app:e2e -out "$OUT/app.tar" -entrypoint /app /app="$OUT/bin/app"
pack -name podgate.local/log-shipper:e2e -out "$OUT/log-shipper.tar" -entrypoint /log-shipper /log-shipper="$OUT/bin/log-shipper"
built="pause, app, log-shipper"
if [ "${1:-}" = --podgate ]; then
  # The Dockerfile's layout without Docker: /app as its final stage has it.
  cd "$ROOT"
  "$ROOT/node_modules/.bin/tsc" -p tsconfig.build.json
  STAGE="$OUT/podgate-stage"
  rm -rf "$STAGE" && mkdir -p "$STAGE/app"
  cp -a package.json bin src webhooks extender config policies dist "$STAGE/app/"
  # npm's own list of the production dependency tree (what `npm ci --omit=dev` installs).
  npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 | while read -r dir; do
    cp -a --parents "${dir#"$ROOT"/}" "$STAGE/app/"
  done
  NODE="$ROOT/node_modules/node/bin/node"
  libs=()
  for lib in $(ldd "$NODE" | grep -o '/[^ ]*'); do libs+=("$lib=$lib"); done
  pack -name podgate.local/podgate:e2e -out "$OUT/podgate.tar" -user 1000:1000 -workdir /app -env NODE_ENV=production \
    -entrypoint "/usr/local/bin/node --max-semi-space-size=8 --heap-growing-percent=50 /app/bin/podgate.js" \
    /usr/local/bin/node="$NODE" /app="$STAGE/app" /tmp="$OUT/bin/empty-dir" "${libs[@]}"
  rm -rf "$STAGE"
  built+=", podgate ($(du -h "$OUT/podgate.tar" | cut -f1))"
fi
echo "[images] $built -> $OUT in $(python3 -c "import sys;print('%.1fs' % (float(sys.argv[1]) - float(sys.argv[2])))" "$(date +%s.%N)" "$t0")"
exit
}
