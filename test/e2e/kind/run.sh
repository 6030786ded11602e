#!/usr/bin/env bash
# The e2e suite on kind (needs Docker, kind, kubectl): builds podgate's image,
# creates a cluster whose kube-scheduler uses podgate as extender, loads the
# image, applies the kind overlay with the e2e config, and runs the same
# suite as `npm run e2e` through KUBECONFIG.
#   npm run e2e:kind            (PODGATE_KIND_KEEP=1 keeps the cluster)
set -euo pipefail
{
cd "$(dirname "$0")/../../.."
NAME="${PODGATE_KIND_NAME:-podgate-e2e}"
WORK=test/e2e/kind/.work
for t in docker kind kubectl; do command -v "$t" >/dev/null || { echo "e2e:kind: $t not found" >&2; exit 1; }; done
rm -rf "$WORK" && mkdir -p "$WORK/scheduler" "$WORK/policies"
cp test/e2e/policies/*.yaml "$WORK/policies/"
export KUBECONFIG="$PWD/$WORK/kubeconfig"

# podgate's CA first: the scheduler needs its file when the cluster starts.
npx podgate certs generate --out "$WORK/tls" --service podgate --namespace podgate
cp "$WORK/tls/ca-bundle.crt" "$WORK/scheduler/ca-bundle.crt"
# The e2e config for the cluster: the base's server/certificates, the suite's admission/extender.
node -e '
  const { readFileSync, writeFileSync } = require("node:fs");
  const { parse, stringify } = require("yaml");
  const base = parse(readFileSync("manifests/base/config.yaml", "utf8"));
  const e2e = parse(readFileSync("test/e2e/podgate.yaml", "utf8"));
  writeFileSync(process.argv[1], stringify({ server: base.server, certificates: base.certificates, admission: e2e.admission, extender: e2e.extender }));
' "$WORK/config.yaml"
# The scheduler reaches podgate on the NodePort and checks its Service name.
npx podgate scheduler-config --config "$WORK/config.yaml" --url https://127.0.0.1:30443/extender \
  --ca-file /etc/kubernetes/podgate/ca-bundle.crt --kubeconfig /etc/kubernetes/scheduler.conf \
  | node -e '
  const { parse, stringify } = require("yaml");
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const c = parse(s);
    for (const e of c.extenders) e.tlsConfig = { ...e.tlsConfig, serverName: "podgate.podgate.svc" };
    process.stdout.write(stringify(c));
  });' > "$WORK/scheduler/scheduler.yaml"

cleanup() { [ "${PODGATE_KIND_KEEP:-0}" = 1 ] || kind delete cluster --name "$NAME"; }
trap cleanup EXIT
kind create cluster --name "$NAME" --config test/e2e/kind/kind-cluster.yaml --kubeconfig "$KUBECONFIG" --wait 120s
docker build -t podgate:dev .
kind load docker-image podgate:dev --name "$NAME"
kubectl create namespace podgate
kubectl -n podgate create secret generic podgate-tls --from-file="$WORK/tls"
kubectl apply -k test/e2e/kind
kubectl -n podgate rollout status deploy/podgate --timeout=180s
until kubectl run probe -n default --image=registry.k8s.io/pause:3.10 --dry-run=server -o name >/dev/null 2>&1; do sleep 2; done

cat > "$WORK/env.json" <<JSON
{"cluster": "kind", "kubeconfig": "$KUBECONFIG", "bindThroughExtender": true}
JSON
rc=0
for f in admission scheduling workload manifests rotation; do
  PODGATE_E2E_ENV="$PWD/$WORK/env.json" node --test --test-reporter=spec "test/e2e/$f.test.ts" || rc=1
done
exit "$rc"
}
