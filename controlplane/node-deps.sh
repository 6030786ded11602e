#!/usr/bin/env bash
# Installs what the real node of the e2e harness needs beside the Go-built
# kubelet (test/harness/realnode.ts): Debian's containerd (1.6.x) and runc,
# the CNI plugins (bridge, host-local, loopback), iptables and conntrack.
# Idempotent: a no-op (well under a second) when every package is present.
# Needs root and apt; prints why and exits 3 when it cannot install, so the
# caller can run the kwok-only suite instead (PODGATE_REAL_NODE=auto).
#
# Usage: controlplane/node-deps.sh
set -euo pipefail
{
PACKAGES=(containerd runc containernetworking-plugins iptables conntrack util-linux iproute2)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "[node-deps] present: ${PACKAGES[*]}"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "node-deps.sh: missing ${missing[*]} and not root: cannot install them (the real node needs root anyway)" >&2
  exit 3
fi
command -v apt-get >/dev/null || { echo "node-deps.sh: missing ${missing[*]} and no apt-get on this machine" >&2; exit 3; }
t0=$(date +%s)
echo "[node-deps] installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends: containerd would otherwise pull in more than it runs with here.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts containerd.service on install where systemd runs; the harness
# runs its own containerd with a private root and socket, so the system one
# is left as the package set it up.
echo "[node-deps] installed ${missing[*]} in $(( $(date +%s) - t0 ))s"
exit
}
