#!/usr/bin/env bash
# A private Docker engine for the offline kind run: Debian's dockerd (apt, as
# root) with its own socket, data root and cgroup parent, touching neither
# iptables, ip_forward nor NAT, and with a runc that drops CAP_SYS_RESOURCE
# (root lacks it here; see runc-without-sys-resource).
#
#   docker.sh start   starts it (a no-op when it already answers); prints DOCKER_HOST=...
#   docker.sh stop    removes every container and network it made, stops it,
#                     and removes its mounts and cgroups
#   docker.sh network NAME BRIDGE
#                     creates the network NAME on a bridge named BRIDGE with a free
#                     198.18.N.0/24 (RFC 2544, reserved for tests): no NAT, no route
#                     out; prints its gateway, the machine's address on it
# Env: PODGATE_DOCKER_ROOT (default ${XDG_CACHE_HOME:-~/.cache}/podgate/kind/docker:
#      images and the base stay cached there)
set -euo pipefail
{
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="${PODGATE_DOCKER_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/podgate/kind/docker}"
RUN_DIR=/run/podgate-docker
SOCK="unix://$RUN_DIR/docker.sock"
CGROUP_PARENT=podgate-docker
export DOCKER_HOST="$SOCK"
log() { echo "[docker] $*" >&2; }

answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start() {
  if answers; then log "already running at $SOCK"; echo "DOCKER_HOST=$SOCK"; return; fi
  [ "$(id -u)" = 0 ] || { echo "docker.sh: the offline kind run needs root (dockerd, privileged node containers)" >&2; exit 3; }
  if ! command -v dockerd >/dev/null || ! command -v jq >/dev/null; then
    command -v apt-get >/dev/null || { echo "docker.sh: no dockerd and no apt-get to install Debian's docker.io" >&2; exit 3; }
    log "installing Debian's docker.io and jq"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io jq >/dev/null
  fi
  mkdir -p "$ROOT_DIR" "$RUN_DIR"
  log "starting dockerd ($(dockerd --version)) at $SOCK, data in $ROOT_DIR"
  # In a private mount namespace whose resolv.conf names only loopback, so that
  # no lookup of dockerd's (a pull it was never meant to make) leaves the machine.
  # --bridge=none: no docker0; the kind network is the only bridge (docker.sh network).
  echo "nameserver 127.0.0.1" > "$RUN_DIR/resolv.conf"
  setsid unshare --mount --propagation private -- sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$RUN_DIR/resolv.conf" \
    dockerd --host "$SOCK" --data-root "$ROOT_DIR" --exec-root "$RUN_DIR/exec" \
    --pidfile "$RUN_DIR/dockerd.pid" --cgroup-parent "$CGROUP_PARENT" \
    --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
    --add-runtime podgate-runc="$HERE/runc-without-sys-resource" --default-runtime podgate-runc \
    --storage-driver overlay2 --log-level warn > "$RUN_DIR/dockerd.log" 2>&1 < /dev/null &
  for _ in $(seq 1 100); do answers && break; sleep 0.2; done
  answers || { tail -20 "$RUN_DIR/dockerd.log" >&2; echo "docker.sh: dockerd did not answer within 20 s" >&2; exit 1; }
  echo "DOCKER_HOST=$SOCK"
}

stop() {
  if answers; then
    ids="$(docker ps -aq)"
    [ -z "$ids" ] || docker rm -f $ids >/dev/null
    docker network prune -f >/dev/null
  fi
  if [ -f "$RUN_DIR/dockerd.pid" ]; then
    pid="$(cat "$RUN_DIR/dockerd.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  # Its managed containerd and any shim outlive a killed dockerd.
  pkill -f "containerd --config $RUN_DIR/exec/containerd" 2>/dev/null || true
  pkill -f "containerd-shim.*-namespace moby" 2>/dev/null || true
  { findmnt -rn -o TARGET | grep -E "^($ROOT_DIR|$RUN_DIR)" || true; } | sort -r | while read -r m; do umount -l "$m" || true; done
  for h in /sys/fs/cgroup/*/; do
    [ -d "$h$CGROUP_PARENT" ] && find "$h$CGROUP_PARENT" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  rm -rf "$RUN_DIR"
  log "stopped"
}

network() {
  local name="$1" bridge="$2" n
  docker network rm "$name" >/dev/null 2>&1 || true
  for n in $(seq 100 199); do
    ip -o addr show | grep -q " 198\.18\.$n\." && continue
    docker network create --subnet "198.18.$n.0/24" --gateway "198.18.$n.1" \
      -o com.docker.network.bridge.name="$bridge" "$name" >/dev/null && { echo "198.18.$n.1"; return; }
  done
  echo "docker.sh: no free 198.18.N.0/24 (N 100..199) for the network $name" >&2
  exit 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  network) [ $# = 3 ] || { echo "usage: docker.sh network NAME BRIDGE" >&2; exit 2; }; network "$2" "$3" ;;
  *) echo "usage: docker.sh start|stop|network NAME BRIDGE" >&2; exit 2 ;;
esac
exit
}
