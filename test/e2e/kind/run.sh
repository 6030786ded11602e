#!/usr/bin/env bash
# The e2e suite on kind: builds podgate's image, creates a cluster whose
# kube-scheduler uses podgate as extender, loads the image, applies the kind
# overlay with the e2e config, and runs the same suite as `npm run e2e`
# through KUBECONFIG.
#   npm run e2e:kind          (PODGATE_KIND_KEEP=1 keeps the cluster)
#
# Two ways to get there (PODGATE_KIND_OFFLINE=0|1; by default offline when no
# Docker engine answers):
#   online   a Docker engine that pulls, and kind and kubectl on PATH: kind's
#            published node image, `docker build` of the Dockerfile.
#   offline  nothing pulled, everything from this repository's scripts (as
#            root): kind, kubeadm, kubelet and the control plane from the Go
#            module proxy (controlplane/build.sh), a private dockerd
#            (controlplane/kind/docker.sh), the node image from a Debian rootfs
#            (controlplane/kind/node-image.sh), podgate's image without Docker
#            (controlplane/images.sh --podgate). The machine's state is
#            read before and after, and the run fails if anything was left.
set -euo pipefail
{
cd "$(dirname "$0")/../../.."
NAME="${PODGATE_KIND_NAME:-podgate-e2e}"
WORK=test/e2e/kind/.work
OFFLINE="${PODGATE_KIND_OFFLINE:-auto}"
if [ "$OFFLINE" = auto ]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then OFFLINE=0; else OFFLINE=1; fi
fi
t0=$(date +%s)
log() { echo "[e2e:kind $(( $(date +%s) - t0 ))s] $*"; }
command -v kubectl >/dev/null || { echo "e2e:kind: kubectl not found" >&2; exit 1; }
rm -rf "$WORK" && mkdir -p "$WORK/scheduler" "$WORK/policies"
cp test/e2e/policies/*.yaml "$WORK/policies/"
export KUBECONFIG="$PWD/$WORK/kubeconfig"

if [ "$OFFLINE" = 1 ]; then
  log "offline: no image is pulled; kind, the node image and podgate's image are built here"
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" = 0 ] \
    || { echo "e2e:kind: net.ipv4.ip_forward is 1 here, so the nodes' traffic could leave the machine; refusing" >&2; exit 1; }
  export PODGATE_CP_BIN="${PODGATE_CP_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/podgate/controlplane/bin}"
  controlplane/build.sh kind kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd
  KIND="$PODGATE_CP_BIN/kind"
  node test/e2e/kind/machine-state.ts save "$WORK/machine-before.json"
else
  for t in docker kind; do command -v "$t" >/dev/null || { echo "e2e:kind: $t not found" >&2; exit 1; }; done
  KIND=kind
fi

# podgate's CA first: the scheduler needs its file when the cluster starts.
npx podgate certs generate --out "$WORK/tls" --service podgate --namespace podgate
cp "$WORK/tls/ca-bundle.crt" "$WORK/scheduler/ca-bundle.crt"
# The e2e config for the cluster: the base's server/certificates, the suite's namespaces/
# admission/extender, its policy files where test/e2e/kind mounts them; offline,
# the sidecar's image is the one loaded here.
node -e '
  const { readFileSync, writeFileSync } = require("node:fs");
  const { parse, stringify } = require("yaml");
  const base = parse(readFileSync("manifests/base/config.yaml", "utf8"));
  const e2e = parse(readFileSync("test/e2e/podgate.yaml", "utf8"));
  for (const w of e2e.admission.validating) if (w.settings?.files) w.settings.files = ["/etc/podgate/policies"];
  if (process.argv[2]) for (const t of Object.values(e2e.admission.mutating.find((w) => w.type === "sidecar").settings.templates)) t.values.image.default = process.argv[2];
  writeFileSync(process.argv[1], stringify({ server: base.server, certificates: base.certificates, namespaces: e2e.namespaces, admission: e2e.admission, extender: e2e.extender }));
  // What scheduler-config reads here: its policy files are where the pod mounts them, not on this machine.
  writeFileSync(process.argv[3], stringify({ server: base.server, extender: e2e.extender }));
' "$WORK/config.yaml" "$([ "$OFFLINE" = 1 ] && echo podgate.local/log-shipper:e2e)" "$WORK/extender.yaml"
# The scheduler reaches podgate on the NodePort and checks its Service name.
# Ignorable, as manifests/scheduler/default-scheduler.yaml has it: podgate's
# own pods are scheduled before podgate serves.
npx podgate scheduler-config --config "$WORK/extender.yaml" --url https://127.0.0.1:30443/extender \
  --ca-file /etc/kubernetes/podgate/ca-bundle.crt --kubeconfig /etc/kubernetes/scheduler.conf \
  | node -e '
  const { parse, stringify } = require("yaml");
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const c = parse(s);
    for (const e of c.extenders) Object.assign(e, { ignorable: true, tlsConfig: { ...e.tlsConfig, serverName: "podgate.podgate.svc" } });
    process.stdout.write(stringify(c));
  });' > "$WORK/scheduler/scheduler.yaml"
# The cluster's config: podgate/harness's (a control plane whose kube-scheduler
# reads .work/scheduler, three workers; offline, controlplane/kind/kind-offline.yaml too).
node test/e2e/kind/cluster-config.ts "$WORK/kind-cluster.yaml" "$OFFLINE" "$WORK/scheduler"

cleanup() {
  local rc=$?
  if [ "${PODGATE_KIND_KEEP:-0}" = 1 ]; then log "keeping the cluster (KUBECONFIG=$KUBECONFIG)"; exit "$rc"; fi
  "$KIND" delete cluster --name "$NAME" || rc=1
  if [ "$OFFLINE" = 1 ]; then
    docker network rm podgate-kind >/dev/null 2>&1 || true
    controlplane/kind/docker.sh stop || rc=1
    node test/e2e/kind/machine-state.ts check "$WORK/machine-before.json" || rc=1
  fi
  log "done (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT

if [ "$OFFLINE" = 1 ]; then
  eval "$(controlplane/kind/docker.sh start)"
  export DOCKER_HOST
  IMAGE="$(controlplane/kind/node-image.sh)"
  PODGATE_IMAGES_DIR="$PWD/$WORK/images" controlplane/images.sh --podgate
  # The nodes' network: a bridge of our own in 198.18.0.0/15 (RFC 2544, reserved
  # for tests), with no NAT and no route out (dockerd leaves iptables and ip_forward alone).
  controlplane/kind/docker.sh network podgate-kind pgb-kind >/dev/null
  export KIND_EXPERIMENTAL_DOCKER_NETWORK=podgate-kind
  "$KIND" create cluster --name "$NAME" --image "$IMAGE" --config "$WORK/kind-cluster.yaml" --kubeconfig "$KUBECONFIG" --wait 180s
  for image in podgate pause app log-shipper; do "$KIND" load image-archive "$WORK/images/$image.tar" --name "$NAME"; done
  # The kind overlay names podgate:dev, as `kind load docker-image podgate:dev` would have it.
  for node in $("$KIND" get nodes --name "$NAME"); do
    docker exec "$node" ctr -n k8s.io images tag podgate.local/podgate:e2e docker.io/library/podgate:dev >/dev/null
  done
  APP_IMAGE=podgate.local/pause:e2e
else
  "$KIND" create cluster --name "$NAME" --config "$WORK/kind-cluster.yaml" --kubeconfig "$KUBECONFIG" --wait 120s
  docker build -t podgate:dev .
  "$KIND" load docker-image podgate:dev --name "$NAME"
  APP_IMAGE=registry.k8s.io/pause:3.10
fi
log "cluster $NAME ready"
kubectl create namespace podgate
kubectl -n podgate create secret generic podgate-tls --from-file="$WORK/tls"
kubectl apply -k test/e2e/kind
kubectl -n podgate rollout status deploy/podgate --timeout=180s
until kubectl run probe -n default --image="$APP_IMAGE" --dry-run=server -o name >/dev/null 2>&1; do sleep 2; done
log "podgate serving in the cluster"

cat > "$WORK/env.json" <<JSON
{"cluster": "kind", "kubeconfig": "$KUBECONFIG", "bindThroughExtender": true, "appImage": "$APP_IMAGE"}
JSON
rc=0
for f in admission scheduling workload manifests rotation; do
  PODGATE_E2E_ENV="$PWD/$WORK/env.json" node --test --test-reporter=spec "test/e2e/$f.test.ts" || rc=1
done
exit "$rc"
}
