#!/usr/bin/env bash
# A real kubelet node joined to the test control plane (control-plane.sh), so pods really run on this machine:
# containerd + runc + a CNI bridge + kubelet + kube-proxy, all inside a network namespace of their own.
#
#   node.sh install   build kubelet, kube-proxy (same version and method as the control plane) and CoreDNS,
#                     and the node's two local images (pause, echo); installs missing Debian packages
#   node.sh start     idempotent: clean up whatever a crashed run left, start everything, wait for Ready
#                     (the control plane must be running: control-plane.sh start)
#   node.sh stop      kill the node's pods and processes, unmount, remove its netns and cgroups, restore sysctls
#   node.sh status    per-component pid and health, and the Node's Ready condition; exit 1 unless all good
#   node.sh env       print `export LIKEPIPE_REAL_NODE=...` and friends (use: eval "$(node.sh env)")
#   node.sh load ARCHIVE...  import docker-archive images (scripts/images.sh writes them) into the node's
#                     containerd, where its pods find them (no registry here)
#
# Binaries: $LIKEPIPE_CACHE/k8s-<version>/bin (beside the control plane's, CoreDNS too); images:
# $LIKEPIPE_CACHE/k8s-<version>/node-images. State: $LIKEPIPE_STATE/k8s/node. See scripts/k8s/README.md.
# shellcheck source-path=SCRIPTDIR source=control-plane.sh
source "$(dirname "${BASH_SOURCE[0]}")/control-plane.sh"

NODE_NAME="${LIKEPIPE_K8S_REAL_NODE:-likepipe-real-node}"
NODE_STATE="$K8S_STATE/node"
RUN_DIR="$NODE_STATE/run"
LOG_DIR="$NODE_STATE/logs"
NODE_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/node" && pwd)"
NODE_IMAGES="$K8S_HOME/node-images"
NODE_MARKER="$K8S_HOME/stamps/node-kubernetes-$K8S_VERSION"
# Cluster DNS, built from the Go module proxy with only the plugins a cluster needs (see build_coredns).
COREDNS_VERSION="${LIKEPIPE_COREDNS_VERSION:-v1.14.7}"
COREDNS_MARKER="$K8S_HOME/stamps/coredns-$COREDNS_VERSION"
COREDNS_USER=system:likepipe:coredns
# Local PersistentVolumes on the node, for StatefulSets' claims (no provisioner): a StorageClass of this name
# and this many volumes of this size, directories under $NODE_STATE/volumes. node.sh start tops the pool up
# and recycles the Released ones (their claims were deleted).
STORAGE_CLASS="${LIKEPIPE_K8S_REAL_NODE_STORAGE_CLASS:-likepipe-real-node}"
VOLUMES="${LIKEPIPE_K8S_REAL_NODE_VOLUMES:-12}"
VOLUME_SIZE="${LIKEPIPE_K8S_REAL_NODE_VOLUME_SIZE:-10Gi}"

# One id per state dir, so two checkouts (or a test stack beside `npm run up`'s) never share a namespace or a
# cgroup. Interface names live inside the namespace and need no id.
NODE_ID=$(printf '%s' "$NODE_STATE" | sha256sum | cut -c1-8)
NETNS="likepipe-$NODE_ID"
NETNS_PATH="/var/run/netns/$NETNS"
CGROUP_ROOT="likepipe-$NODE_ID"
CNI_NETWORK="likepipe-$NODE_ID"
# The pods' subnet, on a bridge inside the namespace; the bridge's address is the node's InternalIP. Private
# to the namespace, so every node of every checkout may use the same one.
NODE_SUBNET="${LIKEPIPE_K8S_REAL_NODE_SUBNET:-10.244.255.0/24}"
NODE_IP="${NODE_SUBNET%.*}.1"
BRIDGE=cni0
CTR_SOCK="$NODE_STATE/containerd/containerd.sock"
APISERVER_SOCK="$NODE_STATE/run/apiserver.sock"
NODE_TAINT_KEY=likepipe.io/real-node
# The kernel settings the kubelet rewrites at start (kubelet's setupKernelTunables with protectKernelDefaults
# off): saved before it starts, restored by stop (and by the next start after a crash).
KERNEL_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes)
SAVED_SYSCTLS="$NODE_STATE/sysctls.saved"
# Start order. Every one listens inside the namespace only, so none needs a port on the host: the two socats
# carry API connections from inside the namespace (the kubelet's, kube-proxy's and CoreDNS's on its 127.0.0.1,
# the pods' on the node IP by way of the `kubernetes` Service) over a unix socket to the API server on the
# host's 127.0.0.1.
NODE_COMPONENTS=(apiserver-tunnel-host apiserver-tunnel coredns containerd kubelet kube-proxy)
NODE_PACKAGES=(containerd runc containernetworking-plugins iptables conntrack socat iproute2 util-linux curl gcc
  libc6-dev)

# ---------------------------------------------------------------------------------------------- install

# image_tag SRC: images are named after their source, so a changed program gets a new tag and a rebuild.
image_tag() { sha256sum "$NODE_SRC/$1.c" | cut -c1-12; }
image_ref() { echo "localhost/likepipe/$1:$(image_tag "$1")"; }
image_archive() { echo "$NODE_IMAGES/$1-$(image_tag "$1").tar"; }

node_is_installed() {
  [[ -f "$NODE_MARKER" && -x "$K8S_BIN/kubelet" && -x "$K8S_BIN/kube-proxy" && -s "$(image_archive pause)" &&
    -s "$(image_archive echo)" && -f "$COREDNS_MARKER" && -x "$K8S_BIN/coredns" ]]
}

# CoreDNS's own main package compiles in every plugin it ships (cloud DNS providers and all, with their SDKs);
# the documented alternative is a main of your own that imports the plugins you want and sets their order. These
# are the ones a cluster's DNS uses; without `forward` it answers cluster names only (nothing here resolves
# further anyway: no network beyond loopback).
build_coredns() {
  local dir="$K8S_HOME/src/coredns"
  new_build_module "$dir"
  printf '\nrequire github.com/coredns/coredns %s\n' "$COREDNS_VERSION" >>"$dir/go.mod"
  cat >"$dir/main.go" <<'GO'
// Written by scripts/k8s/node.sh: CoreDNS with the plugins a cluster DNS needs, in CoreDNS's own order.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/ready"
)

func init() {
	dnsserver.Directives = []string{"errors", "health", "ready", "cache", "loadbalance", "kubernetes"}
}

func main() { coremain.Run() }
GO
  (cd "$dir" && go_env go build -trimpath -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=" \
    -o "$K8S_BIN/coredns" .)
}

# build_image NAME: a one-file image from scratch, NAME.c built static as /NAME (the entrypoint), written as a
# docker-archive that `ctr images import` takes. By hand rather than with buildah: nothing to configure, no
# image store outside the cache.
build_image() {
  local name=$1 ref out tmp layer_sha cfg cfg_sha
  ref=$(image_ref "$name")
  out=$(image_archive "$name")
  tmp=$(mktemp -d)
  mkdir -p "$tmp/rootfs"
  gcc -static -Os -s -Wall -Wextra -Werror -o "$tmp/rootfs/$name" "$NODE_SRC/$name.c"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$tmp/rootfs" -cf "$tmp/layer.tar" .
  layer_sha=$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)
  mkdir -p "$tmp/$layer_sha"
  mv "$tmp/layer.tar" "$tmp/$layer_sha/layer.tar"
  cfg=$(printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/%s"],"Labels":{"likepipe.source":"scripts/k8s/node/%s.c"}},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$name" "$name" "$layer_sha")
  cfg_sha=$(printf '%s' "$cfg" | sha256sum | cut -d' ' -f1)
  printf '%s' "$cfg" >"$tmp/$cfg_sha.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$cfg_sha" "$ref" "$layer_sha" \
    >"$tmp/manifest.json"
  mkdir -p "$NODE_IMAGES"
  tar -C "$tmp" -cf "$out.tmp" manifest.json "$cfg_sha.json" "$layer_sha/layer.tar"
  mv "$out.tmp" "$out"
  rm -rf "$tmp"
}

node_install() {
  apt_install "${NODE_PACKAGES[@]}"
  node_is_installed && return 0
  command -v go >/dev/null 2>&1 || die "go is not installed (need Go 1.26+ to build Kubernetes $K8S_VERSION)"
  mkdir -p "$K8S_BIN" "$K8S_HOME/src" "$K8S_HOME/stamps"
  # The control plane's lock: run beside its install (scripts/test.sh does), this waits and then finds most
  # packages in the shared Go build cache instead of compiling them twice at once on a small machine.
  take_lock 8 "$K8S_HOME/.lock" 7200
  if node_is_installed; then drop_lock 8; return 0; fi
  local t=$SECONDS
  if [[ ! -f "$NODE_MARKER" || ! -x "$K8S_BIN/kubelet" || ! -x "$K8S_BIN/kube-proxy" ]]; then
    log "building kubelet and kube-proxy $K8S_VERSION from the Go module proxy into $K8S_BIN"
    build_kubernetes kubernetes-node kubelet kube-proxy
    echo "$((SECONDS - t))" >"$NODE_MARKER"
  fi
  if [[ ! -f "$COREDNS_MARKER" || ! -x "$K8S_BIN/coredns" ]]; then
    log "building CoreDNS $COREDNS_VERSION from the Go module proxy into $K8S_BIN"
    local tc=$SECONDS
    build_coredns
    echo "$((SECONDS - tc))" >"$COREDNS_MARKER"
  fi
  build_image pause
  build_image echo
  drop_lock 8
  log "node binaries and images ready in $((SECONDS - t))s: $(image_ref pause), $(image_ref echo)"
}

# ---------------------------------------------------------------------------------------------- machine

in_netns() { nsenter --net="$NETNS_PATH" "$@"; }

# The cgroup v1 hierarchies (and the v2 one) the kubelet puts its pods under, one directory each.
cgroup_dirs() {
  local m
  while read -r m; do echo "$m/$CGROUP_ROOT"; done < <(findmnt -rn -t cgroup,cgroup2 -o TARGET)
}

# The kubelet insists that its cgroupRoot exists in every hierarchy.
make_cgroups() {
  local d parent
  while read -r d; do
    parent=$(dirname "$d")
    mkdir -p "$d"
    # A new cpuset has no CPUs or memory nodes until given its parent's.
    if [[ -f "$d/cpuset.cpus" && -z "$(cat "$d/cpuset.cpus")" ]]; then
      cat "$parent/cpuset.cpus" >"$d/cpuset.cpus"
      cat "$parent/cpuset.mems" >"$d/cpuset.mems"
    fi
    # Pure cgroup v2: hand the parent's controllers down (the hybrid layout's unified tree has none).
    if [[ -f "$d/cgroup.subtree_control" && -s "$parent/cgroup.subtree_control" ]]; then
      sed 's/\([^ ]*\)/+\1/g' "$parent/cgroup.subtree_control" >"$d/cgroup.subtree_control" 2>/dev/null || true
    fi
  done < <(cgroup_dirs)
}

# Every process in the node's cgroups: the containers of its pods.
cgroup_pids() {
  local d
  while read -r d; do
    if [[ -d "$d" ]]; then find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null || true; fi
  done < <(cgroup_dirs) | sort -un
}

# netns_pids: every process in the node's network namespace (containerd, its shims, kubelet, kube-proxy, the
# in-namespace socat), which is by construction nobody else's.
netns_pids() {
  if [[ -e "$NETNS_PATH" ]]; then ip netns pids "$NETNS" 2>/dev/null || true; fi
}

# The host side of the API tunnel, found by its socket's path even when its pid file is gone (a state dir
# deleted under a running node): the one process of ours outside the namespace.
host_tunnel_pids() { pgrep -f -- "^socat UNIX-LISTEN:$APISERVER_SOCK," || true; }

# none_left CMD...: CMD lists no pid
none_left() { [[ -z "$("$@")" ]]; }

# kill_all WHAT TIMEOUT_S CMD...: SIGTERM to every pid CMD lists, then SIGKILL to those left after TIMEOUT_S.
kill_all() {
  local what=$1 timeout=$2 pids
  shift 2
  pids=$("$@" | xargs)
  [[ -n "$pids" ]] || return 0
  log "stopping $what (pids $pids)"
  # shellcheck disable=SC2086  # one argument per pid
  kill -TERM $pids 2>/dev/null || true
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)) && ! none_left "$@"; do sleep 0.1; done
  pids=$("$@" | xargs)
  [[ -n "$pids" ]] || return 0
  log "killing what is left of $what (pids $pids)"
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  wait_until 10 "$what to exit" none_left "$@"
}

# Everything mounted below the node's state dir (container root filesystems, pod volumes, sandbox /dev/shm and
# network namespaces), deepest first.
node_mounts() { awk -v p="$NODE_STATE/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | sort -r; }

save_sysctls() {
  local k
  for k in "${KERNEL_SYSCTLS[@]}"; do
    if [[ -r "/proc/sys/${k//.//}" ]]; then echo "$k=$(cat "/proc/sys/${k//.//}")"; fi
  done >"$SAVED_SYSCTLS.tmp"
  mv "$SAVED_SYSCTLS.tmp" "$SAVED_SYSCTLS"
}

restore_sysctls() {
  [[ -f "$SAVED_SYSCTLS" ]] || return 0
  local line k v
  while IFS= read -r line; do
    k=${line%%=*}
    v=${line#*=}
    [[ "$(cat "/proc/sys/${k//.//}" 2>/dev/null)" == "$v" ]] && continue
    log "restoring $k=$v"
    echo "$v" >"/proc/sys/${k//.//}" || log "could not restore $k=$v"
  done <"$SAVED_SYSCTLS"
  rm -f "$SAVED_SYSCTLS"
}

# What the kubelet, containerd and CNI put at fixed paths outside the state dir: normally removed with each
# container; after a crash, whatever is recognisably ours (or dead) goes here. Directories only when empty.
remove_fixed_path_leftovers() {
  local f
  # The kubelet's link to each container's log (podLogsDir holds the files).
  find /var/log/containers -maxdepth 1 -type l -lname "$NODE_STATE/*" -delete 2>/dev/null || true
  # libcni's result cache: ours name our network or our sandboxes' namespaces (containerd's loopback network).
  for f in /var/lib/cni/results/*; do
    [[ -f "$f" ]] || continue
    if [[ "$(basename "$f")" == "$CNI_NETWORK"-* ]] || grep -qF "\"sandbox\":\"$NODE_STATE/" "$f"; then rm -f "$f"; fi
  done
  # containerd 1.6 always puts shim sockets in /run/containerd/s (named by a hash): remove the dead ones.
  for f in /run/containerd/s/*; do
    [[ -S "$f" ]] || continue
    socat -u OPEN:/dev/null "UNIX-CONNECT:$f" 2>/dev/null || rm -f "$f"
  done
  # The device-plugin socket and checkpoint are at a fixed path in every kubelet; only when no kubelet runs (a
  # zombie does not count: ours may wait a moment for init to reap it).
  # shellcheck disable=SC2009  # pgrep cannot leave zombies out
  if ! ps -C kubelet -o stat= | grep -qv '^Z'; then
    rm -f /var/lib/kubelet/device-plugins/kubelet.sock /var/lib/kubelet/device-plugins/kubelet_internal_checkpoint
  fi
  rmdir /var/log/containers /var/lib/cni/results /var/lib/cni /run/containerd/s /run/containerd \
    /var/lib/kubelet/device-plugins /var/lib/kubelet 2>/dev/null || true
}

# Undo everything a node (running, stopped, or crashed half way) did to the machine. Safe to repeat.
node_cleanup() {
  local c m d
  for c in kube-proxy kubelet; do
    if component_running "$c" "$(component_exe "$c")"; then stop_pid "$c" "$STOP_TIMEOUT"; fi
  done
  # The pods' containers first, while their shims can still report their exit; then containerd, whatever is
  # left in the namespace (shims outlive containerd), and the tunnels.
  kill_all "the node's containers" 10 cgroup_pids
  for c in containerd apiserver-tunnel apiserver-tunnel-host; do
    if component_running "$c" "$(component_exe "$c")"; then stop_pid "$c" "$STOP_TIMEOUT"; fi
  done
  kill_all "the node's remaining processes" 10 netns_pids
  kill_all "the node's API tunnel" 10 host_tunnel_pids
  rm -f "$RUN_DIR"/*.pid
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" || log "could not unmount $m"
  done < <(node_mounts)
  while read -r d; do
    if [[ -d "$d" ]]; then find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
    if [[ -d "$d" ]]; then log "could not remove cgroup $d"; fi
  done < <(cgroup_dirs)
  if [[ -e "$NETNS_PATH" ]]; then ip netns delete "$NETNS"; fi
  # `ip netns add` made /run/netns a shared bind mount of itself; undone when no namespace is left in it.
  if [[ -d /run/netns && -z "$(ls -A /run/netns)" ]] && mountpoint -q /run/netns; then
    umount /run/netns && rmdir /run/netns
  fi
  remove_fixed_path_leftovers
  # containerd's state is per boot (a tmpfs under /run normally); its contents died with the processes.
  rm -rf "$NODE_STATE/containerd/state"
  restore_sysctls
}

setup_netns() {
  ip netns add "$NETNS"
  in_netns ip link set lo up
  in_netns ip link add "$BRIDGE" type bridge
  in_netns ip addr add "$NODE_IP/${NODE_SUBNET#*/}" dev "$BRIDGE"
  in_netns ip link set "$BRIDGE" up
  # ClusterIPs exist only in kube-proxy's NAT rules: without a route, a connection from the namespace itself
  # would have no way out to reach them.
  in_netns ip route add "$SERVICE_CIDR" dev "$BRIDGE" src "$NODE_IP"
}

# ---------------------------------------------------------------------------------------------- config

ensure_node_pki() {
  local client="extendedKeyUsage=clientAuth"
  # The names the Node authorizer and RBAC's system:node-proxier binding know.
  [[ -s "$PKI/kubelet-$NODE_NAME.crt" ]] ||
    make_cert "$PKI" ca "kubelet-$NODE_NAME" "/O=system:nodes/CN=system:node:$NODE_NAME" "$client"
  [[ -s "$PKI/kube-proxy.crt" ]] || make_cert "$PKI" ca kube-proxy "/CN=system:kube-proxy" "$client"
  [[ -s "$PKI/coredns.crt" ]] || make_cert "$PKI" ca coredns "/CN=$COREDNS_USER" "$client"
  chmod 600 "$PKI"/*.key
}

write_node_config() {
  local runc cni_bin
  runc=$(command -v runc)
  cni_bin=/usr/lib/cni
  [[ -x "$cni_bin/bridge" ]] || die "no CNI bridge plugin in $cni_bin (Debian's containernetworking-plugins)"
  mkdir -p "$NODE_STATE/containerd" "$NODE_STATE/cni/net.d" "$NODE_STATE/kubelet" "$NODE_STATE/pod-logs"
  cat >"$NODE_STATE/containerd/config.toml" <<EOF
# Written by scripts/k8s/node.sh on every start. Its own root, state and sockets: not /var/lib/containerd, not
# /run/containerd, not the Debian package's systemd unit.
version = 2
root = "$NODE_STATE/containerd/root"
state = "$NODE_STATE/containerd/state"
[grpc]
  address = "$CTR_SOCK"
[ttrpc]
  address = "$NODE_STATE/containerd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$NODE_STATE/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  # No registry: the pause image is built locally (scripts/k8s/node/pause.c) and imported at start.
  sandbox_image = "$(image_ref pause)"
  # The VM lacks CAP_SYS_RESOURCE, so runc may not raise a container's oom_score_adj above containerd's.
  restrict_oom_score_adj = true
  # Pod network namespaces under the state dir instead of /var/run/netns.
  netns_mounts_under_state_dir = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$runc"
        # runc's state, which would otherwise go to /run/containerd/runc.
        Root = "$NODE_STATE/containerd/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$cni_bin"
    conf_dir = "$NODE_STATE/cni/net.d"
    max_conf_num = 1
EOF
  cat >"$NODE_STATE/cni/net.d/10-likepipe.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$NODE_SUBNET", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$NODE_STATE/cni/ipam"
      }
    }
  ]
}
EOF
  cat >"$NODE_STATE/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$CTR_SOCK
# cgroup v1 (this kind of VM), no systemd: the pods' cgroups go under /$CGROUP_ROOT in every hierarchy.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_ROOT
failSwapOn: false
protectKernelDefaults: false
podLogsDir: $NODE_STATE/pod-logs
volumePluginDir: $NODE_STATE/kubelet/volume-plugins
clusterDomain: cluster.local
registerWithTaints:
- {key: $NODE_TAINT_KEY, value: "true", effect: NoSchedule}
maxPods: 30
# CoreDNS runs in the node's namespace on the node IP (a process of this script, not a pod: no image to pull).
clusterDNS: [$NODE_IP]
# The local images cannot be pulled again: never garbage-collect them, never evict for a full-ish disk. The
# floors are absolute, not percentages: this node shares a developer's disk, and at "1 %" of a large one (2.5 GB
# here) a CI run's eviction manager reclaimed the image filesystem, deleted the unused pause image (containerd
# 1.6 pins nothing) and no pod could get a sandbox again.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 100Mi, imagefs.available: 100Mi, nodefs.inodesFree: 1%,
  imagefs.inodesFree: 1%}
serializeImagePulls: false
shutdownGracePeriod: 0s
EOF
  cat >"$NODE_STATE/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $NODE_STATE/kube-proxy.kubeconfig}
mode: iptables
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
clusterCIDR: $NODE_SUBNET
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# Zero: leave the kernel's conntrack table size and timeouts alone (the table size is machine-wide).
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
# A pod that reaches another pod of the same bridge through a ClusterIP must get the answer back through the
# node (where conntrack undoes the DNAT), not straight across the bridge: masquerade all Service traffic, so no
# bridge-netfilter setting (a machine-wide one on older kernels) has to change.
iptables: {masqueradeAll: true}
EOF
  cat >"$NODE_STATE/Corefile" <<EOF
# Written by scripts/k8s/node.sh: cluster DNS for the real node's pods (kubelet clusterDNS: $NODE_IP).
.:53 {
    errors
    health 127.0.0.1:18080
    ready 127.0.0.1:18181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $NODE_STATE/coredns.kubeconfig likepipe
        pods insecure
        ttl 5
    }
    cache 5
    loadbalance
}
EOF
  write_kubeconfig "$NODE_STATE/kubelet.kubeconfig" "kubelet-$NODE_NAME"
  write_kubeconfig "$NODE_STATE/kube-proxy.kubeconfig" kube-proxy
  write_kubeconfig "$NODE_STATE/coredns.kubeconfig" coredns
}

# What the node's processes and pods need from the API: CoreDNS's read access; the `kubernetes` Service's
# endpoint, which the API server does not publish here (--endpoint-reconciler-type=none, as it only listens on
# 127.0.0.1): the node IP, where the in-namespace tunnel carries pods' connections to it; and the local volumes.
apply_cluster_objects() {
  kubectl_admin apply -f - >/dev/null <<EOF
apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: "$COREDNS_USER"}
  rules:
  - {apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch]}
  - {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch]}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: "$COREDNS_USER"}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "$COREDNS_USER"}
  subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "$COREDNS_USER"}]
- apiVersion: discovery.k8s.io/v1
  kind: EndpointSlice
  metadata:
    name: kubernetes-$NODE_NAME
    namespace: default
    labels: {kubernetes.io/service-name: kubernetes, endpointslice.kubernetes.io/managed-by: node.sh.likepipe.io}
  addressType: IPv4
  endpoints: [{addresses: ["$NODE_IP"], conditions: {ready: true}}]
  ports: [{name: https, port: $APISERVER_PORT, protocol: TCP}]
- apiVersion: storage.k8s.io/v1
  kind: StorageClass
  metadata: {name: "$STORAGE_CLASS"}
  provisioner: kubernetes.io/no-provisioner
  # Bound when a pod is scheduled, so a claim only ever gets a volume of the node its pod runs on.
  volumeBindingMode: WaitForFirstConsumer
  reclaimPolicy: Retain
EOF
}

volume_dir() { echo "$NODE_STATE/volumes/$1"; }

# ensure_volumes: VOLUMES local PersistentVolumes named <node>-vol-<i>. A Released one (its claim is gone) is
# deleted, wiped and made again, so the pool refills with every start; Bound ones are left alone.
ensure_volumes() {
  local i name phase
  local -A phases=()
  while read -r name phase; do
    [[ -n "$name" ]] && phases[$name]=$phase
  done < <(kubectl_admin get pv -l "likepipe.io/real-node-volume=$NODE_NAME" \
    -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.phase}{"\n"}{end}')
  for ((i = 0; i < VOLUMES; i++)); do
    name="$NODE_NAME-vol-$i"
    case "${phases[$name]:-}" in
      Available | Bound | Pending) continue ;;
      "") ;;
      *)
        kubectl_admin delete pv "$name" --wait=true >/dev/null
        rm -rf "$(volume_dir "$name")"
        ;;
    esac
    mkdir -p "$(volume_dir "$name")"
    kubectl_admin apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $name
  labels: {likepipe.io/real-node-volume: "$NODE_NAME"}
spec:
  capacity: {storage: $VOLUME_SIZE}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: "$STORAGE_CLASS"
  local: {path: "$(volume_dir "$name")"}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: ["$NODE_NAME"]}]
EOF
  done
}

# ---------------------------------------------------------------------------------------------- processes

# Redefines control-plane.sh's: the tunnels are socat processes.
component_exe() {
  case "$1" in
    apiserver-tunnel-host | apiserver-tunnel) echo socat ;;
    *) echo "$1" ;;
  esac
}

node_component_healthy() {
  case "$1" in
    apiserver-tunnel-host) [[ -S "$APISERVER_SOCK" ]] ;;
    apiserver-tunnel) in_netns curl -fsk --max-time 2 -o /dev/null "https://$NODE_IP:$APISERVER_PORT/livez" ;;
    coredns) in_netns curl -fs --max-time 2 -o /dev/null http://127.0.0.1:18181/ready ;;
    containerd) ctr --address "$CTR_SOCK" version ;;
    kubelet) [[ "$(in_netns curl -fs --max-time 2 http://127.0.0.1:10248/healthz)" == ok ]] ;;
    kube-proxy) in_netns curl -fs --max-time 2 -o /dev/null http://127.0.0.1:10256/livez ;;
  esac
}

node_component_args() {
  case "$1" in
    apiserver-tunnel-host)
      ARGS=(socat "UNIX-LISTEN:$APISERVER_SOCK,fork,unlink-early,mode=600" "TCP:127.0.0.1:$APISERVER_PORT") ;;
    # Every address of the namespace: its 127.0.0.1 for the node's processes, the node IP for pods.
    apiserver-tunnel)
      ARGS=(nsenter --net="$NETNS_PATH" socat "TCP-LISTEN:$APISERVER_PORT,fork,reuseaddr"
        "UNIX-CONNECT:$APISERVER_SOCK") ;;
    coredns) ARGS=(nsenter --net="$NETNS_PATH" "$K8S_BIN/coredns" -conf "$NODE_STATE/Corefile") ;;
    # nsenter, not `ip netns exec`: that also remounts /sys, which hides the cgroup v1 mounts from runc.
    containerd)
      ARGS=(nsenter --net="$NETNS_PATH" containerd --config "$NODE_STATE/containerd/config.toml") ;;
    kubelet)
      ARGS=(nsenter --net="$NETNS_PATH" "$K8S_BIN/kubelet" --config="$NODE_STATE/kubelet.yaml"
        --kubeconfig="$NODE_STATE/kubelet.kubeconfig" --root-dir="$NODE_STATE/kubelet"
        --cert-dir="$NODE_STATE/kubelet/pki" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP"
        --node-labels="$NODE_TAINT_KEY=true" --v=1) ;;
    kube-proxy)
      ARGS=(nsenter --net="$NETNS_PATH" "$K8S_BIN/kube-proxy" --config="$NODE_STATE/kube-proxy.yaml" --v=1) ;;
  esac
}

start_node_component() {
  local name=$1
  node_component_args "$name"
  printf '\n=== %s start %s\n' "$(date -Is)" "$name" >>"$LOG_DIR/$name.log"
  spawn "$name" "$LOG_DIR/$name.log" "${ARGS[@]}"
  wait_started "$name" "$START_TIMEOUT" "$LOG_DIR/$name.log" -- node_component_healthy "$name"
}

import_images() {
  local n
  for n in pause echo; do
    ctr --address "$CTR_SOCK" -n k8s.io images import "$(image_archive "$n")" >/dev/null
  done
}

node_ready() {
  [[ "$(kubectl_admin get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

node_all_running() {
  local c
  [[ -e "$NETNS_PATH" ]] || return 1
  for c in "${NODE_COMPONENTS[@]}"; do component_running "$c" "$(component_exe "$c")" || return 1; done
}

node_start() {
  node_install
  [[ "$(kubectl_admin get --raw /readyz 2>/dev/null)" == ok ]] ||
    die "the control plane is not running; start it first: scripts/k8s/control-plane.sh start"
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  chmod 700 "$NODE_STATE"
  lock_runtime
  local t0=$SECONDS c
  if node_all_running; then
    wait_until "$START_TIMEOUT" "node $NODE_NAME to be Ready; see $LOG_DIR/kubelet.log" node_ready
    ensure_volumes
    return 0
  fi
  # Some part is missing (a crash, a reboot, a half-done stop): start over from a clean machine.
  node_cleanup
  save_sysctls
  ensure_node_pki
  write_node_config
  apply_cluster_objects
  setup_netns
  make_cgroups
  for c in "${NODE_COMPONENTS[@]}"; do
    start_node_component "$c"
    if [[ "$c" == containerd ]]; then import_images; fi
  done
  wait_until "$START_TIMEOUT" "node $NODE_NAME to be Ready; see $LOG_DIR/kubelet.log" node_ready
  ensure_volumes
  log "real node $NODE_NAME Ready in $((SECONDS - t0))s (netns $NETNS, node IP $NODE_IP, pods $NODE_SUBNET," \
    "taint $NODE_TAINT_KEY=true:NoSchedule)"
}

node_stop() {
  mkdir -p "$RUN_DIR"
  lock_runtime
  node_cleanup
  # Pods must not be sent to an address nobody answers on (when the control plane is still up).
  if [[ "$(kubectl_admin get --raw /readyz 2>/dev/null)" == ok ]]; then
    kubectl_admin delete endpointslice -n default "kubernetes-$NODE_NAME" --ignore-not-found >/dev/null || true
  fi
  log "real node $NODE_NAME stopped"
}

node_status() {
  components_status node_component_healthy "${NODE_COMPONENTS[@]}" || return 1
  kubectl_admin get node "$NODE_NAME" -o wide && node_ready
}

node_env() {
  printf 'export LIKEPIPE_REAL_NODE=%q LIKEPIPE_REAL_NODE_NETNS=%q LIKEPIPE_REAL_NODE_CONTAINERD=%q\n' \
    "$NODE_NAME" "$NETNS_PATH" "$CTR_SOCK"
  printf 'export LIKEPIPE_REAL_NODE_TAINT=%q LIKEPIPE_REAL_NODE_PAUSE_IMAGE=%q LIKEPIPE_REAL_NODE_ECHO_IMAGE=%q\n' \
    "$NODE_TAINT_KEY" "$(image_ref pause)" "$(image_ref echo)"
  printf 'export LIKEPIPE_REAL_NODE_IP=%q LIKEPIPE_REAL_NODE_STORAGE_CLASS=%q LIKEPIPE_REAL_NODE_LOGS=%q\n' \
    "$NODE_IP" "$STORAGE_CLASS" "$NODE_STATE/pod-logs"
}

# node_load ARCHIVE...: what `kind load image-archive` does for a kind node.
node_load() {
  (($# > 0)) || die "usage: node.sh load ARCHIVE... (docker-archive tarballs, as scripts/images.sh writes them)"
  ctr --address "$CTR_SOCK" version >/dev/null 2>&1 || die "the node's containerd is not running: node.sh start"
  local a
  for a in "$@"; do
    [[ -s "$a" ]] || die "no image archive at $a"
    ctr --address "$CTR_SOCK" -n k8s.io images import "$a" >/dev/null || die "could not import $a"
    log "loaded $a"
  done
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case "$cmd" in
  start | stop | load) [[ $(id -u) -eq 0 ]] || die "the real node needs root (network namespace, mounts, cgroups, iptables)" ;;
esac
case "$cmd" in
  install) node_install ;;
  start) node_start ;;
  stop) node_stop ;;
  status) node_status ;;
  env) node_env ;;
  load) node_load "$@" ;;
  *) sed -n '5,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
