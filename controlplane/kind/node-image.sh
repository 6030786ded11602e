#!/usr/bin/env bash
# Builds kind's node image without a registry: `kind build node-image` pulls
# its base image and several more, so this assembles what kind's base
# Dockerfile (images/base in the kind module) makes from parts built here:
#   - a Debian rootfs made by debootstrap (Debian's packages), with Debian's
#     containerd 1.6, runc and CNI plugins, imported once per package list;
#   - kind's own entrypoint, systemd units and scripts, from the kind module
#     controlplane/build.sh fetched;
#   - kubelet, kubeadm and kubectl, and the control plane's images (kube-apiserver,
#     kube-controller-manager, kube-scheduler, kube-proxy with Debian's
#     iptables, etcd, pause) packed from the Go-built binaries under the names
#     `kubeadm config images list --image-repository podgate.local` gives;
#   - podgate's guards (node/): /proc/sys read-only outside net/, the node's
#     pod network without kindnet, containerd's config, the images imported at boot.
#
# Usage: node-image.sh   (DOCKER_HOST set, as docker.sh start prints)
#   -> podgate.local/kind-node:<kubernetes version>
# Env: PODGATE_CP_BIN (Go-built binaries, as controlplane/build.sh)
set -euo pipefail
{
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${PODGATE_CP_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/podgate/controlplane/bin}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/podgate/kind"
t0=$(date +%s)
log() { echo "[kind/node-image $(( $(date +%s) - t0 ))s] $*" >&2; }

for b in kubelet kubeadm kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd; do
  [ -x "$BIN/$b" ] || { echo "node-image.sh: $BIN/$b missing: run controlplane/build.sh" >&2; exit 1; }
done
VERSION="$("$BIN/kubeadm" version -o short)"
IMAGE="podgate.local/kind-node:$VERSION"
KIND_FILES="$(cd "$ROOT/controlplane/mod/kind" && GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' sigs.k8s.io/kind)/images/base/files"
[ -d "$KIND_FILES" ] || { echo "node-image.sh: kind's base image files not found at $KIND_FILES" >&2; exit 1; }

# 1. The Debian base (kind's base Dockerfile's package list, plus Debian's
#    containerd, runc and CNI plugins in place of its Go builds).
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
PACKAGES=(systemd systemd-sysv dbus conntrack iptables nftables iproute2 ethtool util-linux mount kmod
  libseccomp2 pigz bash ca-certificates procps jq containerd runc containernetworking-plugins)
BASE="podgate.local/kind-base:$(echo "$SUITE ${PACKAGES[*]}" | sha256sum | cut -c1-12)"
if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  rootfs="$CACHE/rootfs"
  rm -rf "$rootfs" && mkdir -p "$CACHE"
  log "debootstrap $SUITE (${#PACKAGES[@]} packages and their dependencies) from $MIRROR ..."
  debootstrap --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" "$SUITE" "$rootfs" "$MIRROR" > "$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log" >&2; echo "node-image.sh: debootstrap failed (log: $CACHE/debootstrap.log)" >&2; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - "$BASE" >/dev/null
  rm -rf "$rootfs"
  log "base image $BASE imported"
fi

# 2. The images the node carries, packed as OCI archives.
# The build's context holds only what the image gets (the docker data root sits beside it in the cache).
CONTEXT="$CACHE/context"
STAGE="$CONTEXT/stage"
rm -rf "$CONTEXT" && mkdir -p "$STAGE/kind/images" "$STAGE/iptables"
(cd "$ROOT/controlplane/mod/images" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=readonly" \
  go build -trimpath -ldflags "-s -w" -o "$CACHE/pack" ./pack)
PATH_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
image_of() { "$BIN/kubeadm" config images list --kubernetes-version "$VERSION" --image-repository podgate.local 2>/dev/null | grep "/$1:"; }
for b in kube-apiserver kube-controller-manager kube-scheduler etcd; do
  "$CACHE/pack" -name "$(image_of "$b")" -out "$STAGE/kind/images/$b.tar" -env "$PATH_ENV" -entrypoint "/usr/local/bin/$b" "/usr/local/bin/$b=$BIN/$b"
done
# kube-proxy runs iptables: Debian's, with the libraries and modules it loads, from the base.
docker run --rm --pull never -v "$STAGE/iptables:/out" "$BASE" sh -euc '
  for f in /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi /usr/lib/x86_64-linux-gnu/xtables/*.so; do
    cp -L --parents "$f" /out
    ldd "$f" | grep -o "/[^ ]*" | while read -r lib; do cp -L --parents "$lib" /out; done
  done
  for t in iptables ip6tables; do for v in "" -save -restore; do
    ln -s xtables-nft-multi "/out/usr/sbin/$t$v"; ln -s xtables-nft-multi "/out/usr/sbin/$t-nft$v"; ln -s xtables-legacy-multi "/out/usr/sbin/$t-legacy$v"
  done; done'
kp=()
for d in "$STAGE"/iptables/*; do kp+=("/$(basename "$d")=$d"); done
"$CACHE/pack" -name "$(image_of kube-proxy)" -out "$STAGE/kind/images/kube-proxy.tar" -env "$PATH_ENV" \
  -entrypoint /usr/local/bin/kube-proxy /usr/local/bin/kube-proxy="$BIN/kube-proxy" "${kp[@]}"
PAUSE="$(image_of pause)"
(cd "$ROOT/controlplane/mod/images" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=readonly" \
  go build -trimpath -ldflags "-s -w" -o "$CACHE/pause" ./pause)
"$CACHE/pack" -name "$PAUSE" -out "$STAGE/kind/images/pause.tar" -entrypoint /pause /pause="$CACHE/pause"

# 3. kind's files, the binaries and podgate's node files on top of the base.
mkdir -p "$STAGE/usr/local/bin" "$STAGE/usr/bin" "$STAGE/kind/bin" "$STAGE/etc/systemd/system/kubelet.service.d" "$STAGE/etc/containerd"
cp "$KIND_FILES/usr/local/bin/entrypoint" "$STAGE/usr/local/bin/"
cp "$KIND_FILES"/kind/bin/*.sh "$STAGE/kind/bin/"
cp "$KIND_FILES"/etc/systemd/system/{kubelet.service,kubelet.slice,undo-mount-hacks.service} "$STAGE/etc/systemd/system/"
cp "$KIND_FILES"/etc/systemd/system/kubelet.service.d/*.conf "$STAGE/etc/systemd/system/kubelet.service.d/"
cp "$HERE"/node/{podgate-node-entrypoint,podgate-node-network} "$STAGE/usr/local/bin/"
cp "$HERE"/node/*.service "$STAGE/etc/systemd/system/"
sed "s#@PAUSE@#$PAUSE#" "$HERE/node/containerd.toml" > "$STAGE/etc/containerd/config.toml"
for b in kubelet kubeadm kubectl; do cp "$BIN/$b" "$STAGE/usr/bin/"; done
echo "$VERSION" > "$STAGE/kind/version"
rm -rf "$STAGE/iptables"
chmod -R a+rX "$STAGE" && chmod 0755 "$STAGE"/usr/local/bin/* "$STAGE"/kind/bin/*
cat > "$CONTEXT/Dockerfile" <<DOCKERFILE
FROM $BASE
COPY stage/ /
RUN rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \\
      /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \\
      /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/* \\
    && find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete \\
    && echo "ReadKMsg=no" >> /etc/systemd/journald.conf \\
    && systemctl enable kubelet.service containerd.service undo-mount-hacks.service podgate-node-network.service podgate-node-images.service \\
    && systemctl mask systemd-binfmt.service systemd-sysctl.service \\
    && mkdir -p /etc/kubernetes/manifests
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/usr/local/bin/podgate-node-entrypoint", "/sbin/init"]
DOCKERFILE
log "building $IMAGE ..."
# The classic builder: Debian's dockerd has no BuildKit, and nothing here needs it.
DOCKER_BUILDKIT=0 docker build -q -t "$IMAGE" "$CONTEXT" >/dev/null
rm -rf "$CONTEXT"
log "$IMAGE built ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1e6}'))"
echo "$IMAGE"
exit
}
