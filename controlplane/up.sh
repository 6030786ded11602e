#!/usr/bin/env bash
# Smoke test of the real control plane on loopback, no Docker:
# etcd + kube-apiserver + kube-controller-manager + kube-scheduler + kwok,
# 3 fake kwok nodes, a 2-replica Deployment + Service -> pods Running with
# IPs and an EndpointSlice. Everything runs from a temp dir and is torn down
# on exit (trap), leaving no process behind.
#
# Usage: controlplane/up.sh        (build first: controlplane/build.sh)
# Env:   PODGATE_CP_BIN      binaries dir (default as build.sh: ~/.cache/podgate/controlplane/bin)
#        PODGATE_CP_KEEP=1   keep the temp dir (certs, kubeconfig, logs)
#        PODGATE_CP_HOLD=1   keep the cluster up until Ctrl-C (prints KUBECONFIG)
set -euo pipefail
# The whole script is one { } block: bash parses it before running, so editing
# this file while it runs (e.g. a git checkout) cannot derail a long build.
{

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BIN="${PODGATE_CP_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/podgate/controlplane/bin}"
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
  [ -x "$BIN/$b" ] || { echo "up.sh: $BIN/$b missing; run controlplane/build.sh" >&2; exit 1; }
done
for t in openssl curl kubectl python3; do
  command -v "$t" >/dev/null || { echo "up.sh: $t not found on PATH" >&2; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/podgate-cp.XXXXXX")"
LOGS="$WORK/logs"; PKI="$WORK/pki"; mkdir -p "$LOGS" "$PKI"
export KUBECONFIG="$WORK/admin.kubeconfig"

T0=$(date +%s.%N)
el() { python3 -c "import sys;print('%.1fs' % (float(sys.argv[1]) - float(sys.argv[2])))" "$(date +%s.%N)" "$T0"; }
log() { echo "[up $(el)] $*"; }

# ---- teardown --------------------------------------------------------------
PIDS=()   # name:pid, started in this order; stopped in reverse
teardown() {
  local rc=$?
  set +e
  local td0; td0=$(date +%s.%N)
  if [ "$rc" -ne 0 ]; then
    echo "up.sh: FAILED (exit $rc). Last log lines:" >&2
    for f in "$LOGS"/*.log; do [ -f "$f" ] && { echo "--- $(basename "$f")" >&2; tail -n 15 "$f" >&2; }; done
  fi
  # stop in reverse start order, each fully before the next: clients first,
  # then kube-apiserver, etcd last (an apiserver whose etcd is gone hangs).
  local i entry name pid
  for (( i=${#PIDS[@]}-1; i>=0; i-- )); do
    entry="${PIDS[$i]}"; name="${entry%%:*}"; pid="${entry##*:}"
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "up.sh: $name ($pid) ignored SIGTERM for 10s; SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
  done
  local left=0
  for entry in "${PIDS[@]}"; do kill -0 "${entry##*:}" 2>/dev/null && left=1; done
  [ "$left" = 0 ] && [ "${#PIDS[@]}" -gt 0 ] && echo "[up] teardown: all ${#PIDS[@]} processes stopped in $(python3 -c "import sys;print('%.1fs' % (float(sys.argv[1]) - float(sys.argv[2])))" "$(date +%s.%N)" "$td0")"
  if [ "${PODGATE_CP_KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
    echo "[up] kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

start() { # start NAME CMD... ; logs to $LOGS/NAME.log
  local name=$1; shift
  "$@" >"$LOGS/$name.log" 2>&1 &
  PIDS+=("$name:$!")
  echo "$!" >"$WORK/$name.pid"
}
alive() { # fail fast if a component died
  local entry
  for entry in "${PIDS[@]}"; do
    kill -0 "${entry##*:}" 2>/dev/null || { echo "up.sh: ${entry%%:*} exited; see its log" >&2; return 1; }
  done
}
wait_for() { # wait_for DESC TIMEOUT_S CMD...
  local desc=$1 timeout=$2; shift 2
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    alive || exit 1
    [ "$(date +%s)" -lt "$deadline" ] || { echo "up.sh: timed out after ${timeout}s waiting for $desc" >&2; exit 1; }
    sleep 0.25
  done
}
free_port() {
  python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'
}

# ---- ports -----------------------------------------------------------------
ETCD_PORT=$(free_port); ETCD_PEER_PORT=$(free_port); API_PORT=$(free_port)
KCM_PORT=$(free_port); SCHED_PORT=$(free_port); KWOK_PORT=$(free_port)
log "work dir $WORK; ports: etcd=$ETCD_PORT/$ETCD_PEER_PORT apiserver=$API_PORT kcm=$KCM_PORT scheduler=$SCHED_PORT kwok=$KWOK_PORT"

# ---- PKI -------------------------------------------------------------------
(
  cd "$PKI"
  exec 2>"$LOGS/openssl.log"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
    -subj "/CN=podgate-e2e-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign"
  leaf() { # leaf NAME SUBJECT EXTFILE-CONTENT
    openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
    printf '%s\n' "$3" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
      -out "$1.crt" -days 2 -extfile "$1.ext"
  }
  leaf apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  leaf admin "/O=system:masters/CN=podgate-admin" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  # front-proxy (requestheader) CA: without it kcm/scheduler log "missing
  # content for CA bundle ... requestheader-client-ca-file" forever, and
  # aggregated API servers could not authenticate the apiserver.
  openssl req -x509 -newkey rsa:2048 -nodes -keyout front-proxy-ca.key -out front-proxy-ca.crt -days 2 \
    -subj "/CN=podgate-e2e-front-proxy-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign"
  openssl req -new -newkey rsa:2048 -nodes -keyout front-proxy-client.key -out front-proxy-client.csr \
    -subj "/CN=front-proxy-client"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >front-proxy-client.ext
  openssl x509 -req -in front-proxy-client.csr -CA front-proxy-ca.crt -CAkey front-proxy-ca.key \
    -CAcreateserial -out front-proxy-client.crt -days 2 -extfile front-proxy-client.ext
  openssl genrsa -out sa.key 2048
  openssl rsa -in sa.key -pubout -out sa.pub
)
kubectl config set-cluster podgate-e2e --server="https://127.0.0.1:$API_PORT" \
  --certificate-authority="$PKI/ca.crt" --embed-certs=true >/dev/null
kubectl config set-credentials admin --client-certificate="$PKI/admin.crt" \
  --client-key="$PKI/admin.key" --embed-certs=true >/dev/null
kubectl config set-context podgate-e2e --cluster=podgate-e2e --user=admin >/dev/null
kubectl config use-context podgate-e2e >/dev/null
log "certs + kubeconfig written"

# ---- etcd ------------------------------------------------------------------
start etcd "$BIN/etcd" \
  --name=podgate-e2e --data-dir="$WORK/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="podgate-e2e=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync --log-level=warn
wait_for "etcd /health" 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"
log "etcd healthy"

# ---- kube-apiserver --------------------------------------------------------
start kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" \
  --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User \
  --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$PKI/front-proxy-client.crt" --proxy-client-key-file="$PKI/front-proxy-client.key" \
  --authorization-mode=Node,RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --endpoint-reconciler-type=none \
  --allow-privileged=true --profiling=false
API_START=$(date +%s.%N)
wait_for "kube-apiserver /readyz" 120 curl -fsS --cacert "$PKI/ca.crt" \
  --cert "$PKI/admin.crt" --key "$PKI/admin.key" "https://127.0.0.1:$API_PORT/readyz"
T_READYZ=$(el)
log "kube-apiserver /readyz ok ($(python3 -c "import sys;print('%.1fs' % (float(sys.argv[1]) - float(sys.argv[2])))" "$(date +%s.%N)" "$API_START") after launch); server $(kubectl version -o json 2>/dev/null | python3 -c 'import json,sys;print(json.load(sys.stdin)["serverVersion"]["gitVersion"])')"

# ---- kube-controller-manager ------------------------------------------------
start kube-controller-manager "$BIN/kube-controller-manager" \
  --kubeconfig="$KUBECONFIG" \
  --authentication-kubeconfig="$KUBECONFIG" --authorization-kubeconfig="$KUBECONFIG" \
  --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
  --leader-elect=false \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$PKI/sa.key" \
  --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --controllers='*,-service-lb-controller,-cloud-node-lifecycle-controller,-node-route-controller' \
  --profiling=false

# ---- kube-scheduler ---------------------------------------------------------
cat >"$WORK/scheduler.yaml" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: $KUBECONFIG
leaderElection:
  leaderElect: false
EOF
start kube-scheduler "$BIN/kube-scheduler" \
  --config="$WORK/scheduler.yaml" \
  --authentication-kubeconfig="$KUBECONFIG" --authorization-kubeconfig="$KUBECONFIG" \
  --bind-address=127.0.0.1 --secure-port="$SCHED_PORT"

# ---- kwok (fake kubelets) -----------------------------------------------------
KWOK_CFG=""
for f in "$HERE"/kwok/*.yaml; do KWOK_CFG+=" --config=$f"; done
# shellcheck disable=SC2086
start kwok "$BIN/kwok" \
  --kubeconfig="$KUBECONFIG" \
  --manage-all-nodes=false \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds=40 \
  --cidr=10.244.0.1/16 --node-ip=127.0.0.1 \
  --server-address="127.0.0.1:$KWOK_PORT" \
  $KWOK_CFG

wait_for "kube-controller-manager /healthz" 60 curl -fsSk "https://127.0.0.1:$KCM_PORT/healthz"
wait_for "kube-scheduler /healthz" 60 curl -fsSk "https://127.0.0.1:$SCHED_PORT/healthz"
log "kube-controller-manager and kube-scheduler healthy"

# ---- fake nodes ---------------------------------------------------------------
fake_node() { # fake_node NAME ZONE [TAINTS-YAML]
  cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $1
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: $1
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    topology.kubernetes.io/zone: $2
spec:
${3:-  taints: []}
status:
  allocatable: {cpu: "4", memory: 16Gi, pods: "110"}
  capacity: {cpu: "4", memory: 16Gi, pods: "110"}
EOF
}
{
  fake_node kwok-node-a zone-a
  fake_node kwok-node-b zone-b
  fake_node kwok-node-c zone-c "  taints:
  - {key: podgate.dev/dedicated, value: special, effect: NoSchedule}"
} >"$WORK/nodes.yaml"
kubectl apply -f "$WORK/nodes.yaml" >/dev/null
wait_for "3 Ready nodes" 90 kubectl wait --for=condition=Ready node -l type=kwok --timeout=1s
T_NODES=$(el)
log "3 kwok nodes Ready"
kubectl get nodes -L topology.kubernetes.io/zone -o wide

# ---- workload -----------------------------------------------------------------
# kcm's serviceaccount controller must have made "default" first, or the
# ServiceAccount admission plugin rejects the ReplicaSet's pods for a while.
wait_for "serviceaccount default/default" 60 kubectl get serviceaccount default -n default
cat >"$WORK/demo.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: demo, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: demo}}
  template:
    metadata: {labels: {app: demo}}
    spec:
      nodeSelector: {type: kwok}
      containers:
      - name: app
        image: registry.invalid/podgate/demo:never-pulled
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: demo, namespace: default}
spec:
  selector: {app: demo}
  ports: [{port: 80, targetPort: 8080}]
EOF
kubectl apply -f "$WORK/demo.yaml" >/dev/null
log "Deployment demo (2 replicas) + Service demo created"
pods_running() {
  [ "$(kubectl get pods -n default -l app=demo \
        -o jsonpath='{range .items[?(@.status.phase=="Running")]}{.status.podIP}{"\n"}{end}' | grep -c .)" -eq 2 ]
}
wait_for "2 demo pods Running with IPs" 90 pods_running
T_PODS=$(el)
log "2 demo pods Running"
kubectl get pods -n default -l app=demo -o wide
slice_ready() {
  [ "$(kubectl get endpointslices -n default -l kubernetes.io/service-name=demo \
        -o jsonpath='{range .items[*].endpoints[*]}{.addresses[0]}{"\n"}{end}' | grep -c .)" -eq 2 ]
}
wait_for "EndpointSlice for demo with 2 endpoints" 60 slice_ready
T_SLICE=$(el)
log "EndpointSlice for service demo has 2 endpoints"
kubectl get endpointslices -n default -l kubernetes.io/service-name=demo
# the tainted node must not have got a pod
if kubectl get pods -n default -l app=demo -o jsonpath='{.items[*].spec.nodeName}' | grep -q kwok-node-c; then
  echo "up.sh: a demo pod landed on the tainted node kwok-node-c" >&2; exit 1
fi
log "SMOKE OK (no pod on tainted kwok-node-c)"
echo "[up] timings from start: apiserver /readyz $T_READYZ, 3 nodes Ready $T_NODES, 2 pods Running $T_PODS, EndpointSlice $T_SLICE"

if [ "${PODGATE_CP_HOLD:-0}" = 1 ]; then
  echo "KUBECONFIG=$KUBECONFIG  (Ctrl-C to tear down)"
  while alive; do sleep 2; done
fi
exit
}
