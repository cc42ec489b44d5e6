#!/usr/bin/env bash
# A real Kubernetes control plane on 127.0.0.1 for tests, without Docker or a kubelet: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, and kwok faking the nodes (so pods get scheduled and go Running).
#
#   control-plane.sh install      build the binaries from the Go module proxy into the tool cache (once per version)
#   control-plane.sh start        idempotent: make certs/kubeconfig once, start what is not running, wait Ready
#   control-plane.sh stop         SIGTERM every component (SIGKILL after a timeout), in reverse start order
#   control-plane.sh restart      stop, then start
#   control-plane.sh status       per-component pid and health; exit 1 unless everything is up
#   control-plane.sh kubeconfig   print the admin kubeconfig path
#   control-plane.sh env          print `export KUBECONFIG=... PATH=...` (use: eval "$(control-plane.sh env)")
#   control-plane.sh reset        stop, then delete the whole state dir (certs, etcd data, logs)
#
# Binaries: $LIKEPIPE_CACHE/k8s-<k8s version>/bin. State: $LIKEPIPE_STATE/k8s ({pki,etcd,run,logs}, kubeconfig).
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

# Pinned versions. Newest releases on the Go module proxy when this was written that build with Go 1.26.
# Changing K8S_VERSION gives a fresh cache directory; changing another one rebuilds only that tool.
K8S_VERSION="${LIKEPIPE_K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${LIKEPIPE_ETCD_VERSION:-v3.5.35}"
KWOK_VERSION="${LIKEPIPE_KWOK_VERSION:-v0.8.0}"
HELM_VERSION="${LIKEPIPE_HELM_VERSION:-v4.3.1}"

K8S_HOME="$LIKEPIPE_CACHE/k8s-$K8S_VERSION"
K8S_BIN="$K8S_HOME/bin"
K8S_MARKER="$K8S_HOME/.likepipe-complete"
KWOK_STAGES="$K8S_HOME/kwok-stages.yaml"
# Dedicated Go caches: several GB while building, and nothing needs them afterwards, so they are kept apart
# from ~/go and ~/.cache/go-build where `rm -rf` cannot hurt anything else.
K8S_GO_CACHE="${LIKEPIPE_K8S_GO_CACHE:-$LIKEPIPE_CACHE/go}"

K8S_STATE="$LIKEPIPE_STATE/k8s"
PKI="$K8S_STATE/pki"
KUBECONFIG_FILE="$K8S_STATE/kubeconfig"
# common.sh's pid helpers read RUN_DIR at call time; point them at our own run dir.
RUN_DIR="$K8S_STATE/run"
LOG_DIR="$K8S_STATE/logs"

# Ports, all on 127.0.0.1, clear of the ranges the other local stacks use.
ETCD_CLIENT_PORT="${LIKEPIPE_K8S_ETCD_CLIENT_PORT:-2479}"
ETCD_PEER_PORT="${LIKEPIPE_K8S_ETCD_PEER_PORT:-2480}"
APISERVER_PORT="${LIKEPIPE_K8S_APISERVER_PORT:-6543}"
CONTROLLER_MANAGER_PORT="${LIKEPIPE_K8S_CONTROLLER_MANAGER_PORT:-10557}"
SCHEDULER_PORT="${LIKEPIPE_K8S_SCHEDULER_PORT:-10559}"
KWOK_PORT="${LIKEPIPE_K8S_KWOK_PORT:-10547}"
SERVICE_CIDR="${LIKEPIPE_K8S_SERVICE_CIDR:-10.96.0.0/16}"
POD_CIDR="${LIKEPIPE_K8S_POD_CIDR:-10.244.0.0/16}"
NODES="${LIKEPIPE_K8S_NODES:-kwok-node-0 kwok-node-1}"

START_TIMEOUT="${LIKEPIPE_K8S_START_TIMEOUT:-120}"
STOP_TIMEOUT="${LIKEPIPE_K8S_STOP_TIMEOUT:-30}"
# Start order; stop goes the other way so nothing loses its upstream while shutting down.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

usage() { sed -n '5,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# ---------------------------------------------------------------------------------------------- install

installed_stamp() { printf 'k8s=%s etcd=%s kwok=%s helm=%s\n' "$K8S_VERSION" "$ETCD_VERSION" "$KWOK_VERSION" "$HELM_VERSION"; }
is_installed() { [[ -f "$K8S_MARKER" && "$(cat "$K8S_MARKER")" == "$(installed_stamp)" && -s "$KWOK_STAGES" ]]; }

# go_env: the dedicated caches, cgo-free static binaries, and -mod=mod so go fills in the wrapper's go.mod/go.sum.
go_env() {
  env GOMODCACHE="$K8S_GO_CACHE/mod" GOCACHE="$K8S_GO_CACHE/build" \
    GOFLAGS="-mod=mod -modcacherw" CGO_ENABLED=0 GOWORK=off "$@"
}

# new_build_module DIR: an empty module to hang the tool's requirements on. A wrapper module (rather than
# `go install pkg@version`) because etcd's and kubernetes' own go.mod files carry directory replaces, which
# `go install pkg@version` refuses.
new_build_module() {
  rm -rf "$1"
  mkdir -p "$1"
  printf 'module likepipe.local/build\n\ngo 1.26.0\n' >"$1/go.mod"
}

# release_date MODULE VERSION: the tag's time from the proxy, used as buildDate so rebuilds are reproducible.
release_date() {
  (cd "$K8S_HOME/src" && go_env go mod download -json "$1@$2") |
    sed -n 's/^[[:space:]]*"Info": "\(.*\)",$/\1/p' | xargs sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' |
    sed 's/\.[0-9]*Z$/Z/'
}

# build_kubernetes DIR CMD...: builds k8s.io/kubernetes/cmd/CMD... at K8S_VERSION into K8S_BIN, from a wrapper
# module in $K8S_HOME/src/DIR (one per caller, so the control plane's and the node's builds can run side by side).
build_kubernetes() {
  local dir="$K8S_HOME/src/$1"
  shift
  new_build_module "$dir"
  local kmod
  kmod=$(cd "$dir" && go_env go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [[ -s "$kmod" ]] || die "could not fetch k8s.io/kubernetes@$K8S_VERSION from the module proxy"

  # k8s.io/kubernetes requires its staging repos (k8s.io/api, client-go, apiserver, ...) as v0.0.0 and
  # replaces them with ./staging/src/...; those replaces do not apply to a dependency, so pin each one to
  # the published v0.<minor>.<patch> cut from the same release.
  local staging_version="v0.${K8S_VERSION#v1.}" m
  local -a staging
  mapfile -t staging < <(awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$kmod")
  ((${#staging[@]} > 0)) || die "no staging replaces found in $kmod"
  {
    printf '\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$K8S_VERSION"
    for m in "${staging[@]}"; do
      # Only what kubernetes requires; it also replaces a couple of sample repos that are never published.
      grep -qE "^[[:space:]]+$m v0\.0\.0\$" "$kmod" && printf '\t%s => %s %s\n' "$m" "$m" "$staging_version"
    done
    printf ')\n'
  } >>"$dir/go.mod"

  local major minor date ldflags="-s -w" k v
  major=${K8S_VERSION#v}; major=${major%%.*}
  minor=${K8S_VERSION#v*.}; minor=${minor%%.*}
  date=$(release_date k8s.io/kubernetes "$K8S_VERSION")
  # What hack/lib/version.sh stamps into release builds; without it /version reports v0.0.0-master.
  # The module zip carries no commit id; empty beats the "$Format:%H$" placeholder.
  for k in gitVersion="$K8S_VERSION" gitMajor="$major" gitMinor="$minor" gitCommit= gitTreeState=clean buildDate="$date"; do
    for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do ldflags+=" -X $v.$k"; done
  done
  # One `go build` for all of them so the shared packages (most of the work) compile once. Tags and the static
  # build match hack/lib/golang.sh for release binaries.
  local pkgs=() c
  for c in "$@"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  (cd "$dir" && go_env go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ldflags" -o "$K8S_BIN/" "${pkgs[@]}")
}

# build_tool NAME MODULE VERSION PACKAGE [LDFLAGS]
build_tool() {
  local name=$1 module=$2 version=$3 pkg=$4 ldflags="-s -w ${5:-}"
  local dir="$K8S_HOME/src/$name"
  new_build_module "$dir"
  printf '\nrequire %s %s\n' "$module" "$version" >>"$dir/go.mod"
  (cd "$dir" && go_env go build -trimpath -ldflags "$ldflags" -o "$K8S_BIN/$name" "$pkg")
}

# The kwok binary has no built-in stages (kwokctl normally writes them into its config), and without stages it
# changes nothing. Keep the ones kwokctl uses by default, from the same kwok release, next to the binaries.
save_kwok_stages() {
  local dir src f
  dir=$(cd "$K8S_HOME/src" && go_env go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  src="$dir/kustomize/stage"
  {
    for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
      pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
      [[ -f "$src/$f" ]] || die "kwok $KWOK_VERSION has no $src/$f"
      printf -- '---\n# from sigs.k8s.io/kwok@%s kustomize/stage/%s\n' "$KWOK_VERSION" "$f"
      cat "$src/$f"
    done
  } >"$KWOK_STAGES.tmp"
  mv "$KWOK_STAGES.tmp" "$KWOK_STAGES"
}

k8s_install() {
  is_installed && return 0
  command -v go >/dev/null 2>&1 || die "go is not installed (need Go 1.26+ to build Kubernetes $K8S_VERSION)"
  mkdir -p "$K8S_BIN" "$K8S_HOME/src" "$K8S_HOME/stamps"
  # Two starts racing on a fresh machine must not both spend ten minutes compiling into the same place.
  take_lock 8 "$K8S_HOME/.lock" 7200
  if is_installed; then drop_lock 8; return 0; fi
  rm -f "$K8S_MARKER"

  log "building the Kubernetes control plane from the Go module proxy into $K8S_BIN (first time only; about 10 min on 2 cores)"
  local t0=$SECONDS step t name
  # Each step leaves a stamp, so an interrupted install or a changed etcd/kwok/helm pin redoes only what is missing.
  for step in "kubernetes-$K8S_VERSION" "etcd-$ETCD_VERSION" "kwok-$KWOK_VERSION" "helm-$HELM_VERSION"; do
    [[ -f "$K8S_HOME/stamps/$step" ]] && continue
    name=${step%-v*}
    log "  building $step"
    t=$SECONDS
    case "$name" in
      kubernetes) build_kubernetes kubernetes kube-apiserver kube-controller-manager kube-scheduler kubectl ;;
      # etcd 3.5's main package is the server module's root.
      etcd) build_tool etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3 ;;
      kwok) build_tool kwok sigs.k8s.io/kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok ;;
      helm)
        local hmod="helm.sh/helm/${HELM_VERSION%%.*}"
        # Without these, `helm version` reports the bare major.minor with an "unreleased" suffix.
        build_tool helm "$hmod" "$HELM_VERSION" "$hmod/cmd/helm" \
          "-X $hmod/internal/version.version=$HELM_VERSION -X $hmod/internal/version.metadata= -X $hmod/internal/version.gitTreeState=clean"
        ;;
    esac
    log "  $step built in $((SECONDS - t))s"
    echo "$((SECONDS - t))" >"$K8S_HOME/stamps/$step"
  done
  save_kwok_stages
  installed_stamp >"$K8S_MARKER"
  drop_lock 8
  log "control plane binaries ready in $K8S_BIN ($((SECONDS - t0))s; $(du -sh "$K8S_BIN" | cut -f1));" \
    "the Go caches in $K8S_GO_CACHE ($(du -sh "$K8S_GO_CACHE" 2>/dev/null | cut -f1)) may be deleted"
}

# ---------------------------------------------------------------------------------------------- pki

# make_ca DIR NAME SUBJECT: a self-signed CA.
make_ca() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/$2.key" -out "$1/$2.crt" -days 3650 -sha256 -subj "$3" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    2>/dev/null
}

# make_cert DIR CA NAME SUBJECT EXT: key + certificate signed by CA. EXT is an openssl extension section body.
make_cert() {
  local dir=$1 ca=$2 name=$3 subj=$4 ext=$5
  openssl genrsa -out "$dir/$name.key" 2048 2>/dev/null
  openssl req -new -key "$dir/$name.key" -subj "$subj" -out "$dir/$name.csr" 2>/dev/null
  printf '[ext]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n%s\n' "$ext" \
    >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.crt" -CAkey "$dir/$ca.key" -CAcreateserial -days 3650 \
    -sha256 -extfile "$dir/$name.ext" -extensions ext -out "$dir/$name.crt" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
}

# Once per state dir: the certificates outlive restarts, so kubeconfigs handed to tests stay valid.
ensure_pki() {
  [[ -s "$PKI/front-proxy-client.crt" ]] && return 0 # the last file made; the directory is renamed into place
  command -v openssl >/dev/null 2>&1 || apt_install openssl
  log "generating CAs, certificates and the service-account key in $PKI"
  local tmp="$PKI.partial" client="extendedKeyUsage=clientAuth"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  chmod 700 "$tmp"
  make_ca "$tmp" ca "/CN=likepipe-kubernetes-ca"
  # The first address of the service range is the in-cluster `kubernetes` Service.
  make_cert "$tmp" ca apiserver "/CN=kube-apiserver" "extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$(first_service_ip),DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  # system:masters short-circuits RBAC: the admin and kwok (which plays every node's kubelet, so writes any
  # pod's and node's status) need everything, and this saves bootstrapping bindings before RBAC is up.
  make_cert "$tmp" ca admin "/O=system:masters/CN=likepipe-admin" "$client"
  make_cert "$tmp" ca kwok "/O=system:masters/CN=kwok-controller" "$client"
  # The names RBAC's bootstrap roles are bound to.
  make_cert "$tmp" ca kube-controller-manager "/CN=system:kube-controller-manager" "$client"
  make_cert "$tmp" ca kube-scheduler "/CN=system:kube-scheduler" "$client"
  openssl genrsa -out "$tmp/sa.key" 2048 2>/dev/null
  openssl rsa -in "$tmp/sa.key" -pubout -out "$tmp/sa.pub" 2>/dev/null
  # The aggregation layer's front proxy, with its own CA as kubeadm does: a certificate from the main CA must
  # not be able to assert arbitrary users through the request headers. Without it the controller manager and
  # scheduler also log a missing requestheader CA bundle over and over.
  make_ca "$tmp" front-proxy-ca "/CN=likepipe-front-proxy-ca"
  make_cert "$tmp" front-proxy-ca front-proxy-client "/CN=front-proxy-client" "$client"
  chmod 600 "$tmp"/*.key
  rm -rf "$PKI"
  mv "$tmp" "$PKI"
}

first_service_ip() {
  local net=${SERVICE_CIDR%/*}
  echo "${net%.*}.$((${net##*.} + 1))"
}

# write_kubeconfig FILE CERT_NAME: rewritten on every start (cheap) so a changed port is picked up; written
# beside and renamed so a test reading it never sees half a file.
write_kubeconfig() {
  local file=$1 name=$2 tmp="$1.tmp"
  rm -f "$tmp"
  local kc=("$K8S_BIN/kubectl" config --kubeconfig="$tmp")
  "${kc[@]}" set-cluster likepipe --server="https://127.0.0.1:$APISERVER_PORT" \
    --certificate-authority="$PKI/ca.crt" --embed-certs=true >/dev/null
  "${kc[@]}" set-credentials "$name" --client-certificate="$PKI/$name.crt" --client-key="$PKI/$name.key" \
    --embed-certs=true >/dev/null
  "${kc[@]}" set-context likepipe --cluster=likepipe --user="$name" >/dev/null
  "${kc[@]}" use-context likepipe >/dev/null
  chmod 600 "$tmp"
  mv "$tmp" "$file"
}

write_kubeconfigs() {
  write_kubeconfig "$KUBECONFIG_FILE" admin
  local n
  for n in kube-controller-manager kube-scheduler kwok; do write_kubeconfig "$K8S_STATE/$n.kubeconfig" "$n"; done
}

# ---------------------------------------------------------------------------------------------- processes

kubectl_admin() { "$K8S_BIN/kubectl" --kubeconfig="$KUBECONFIG_FILE" "$@"; }

component_port() {
  case "$1" in
    etcd) echo "$ETCD_CLIENT_PORT $ETCD_PEER_PORT" ;;
    kube-apiserver) echo "$APISERVER_PORT" ;;
    kube-controller-manager) echo "$CONTROLLER_MANAGER_PORT" ;;
    kube-scheduler) echo "$SCHEDULER_PORT" ;;
    kwok) echo "$KWOK_PORT" ;;
  esac
}

component_healthy() {
  case "$1" in
    etcd) http_ok "http://127.0.0.1:$ETCD_CLIENT_PORT/health" '{"health":"true","reason":""}' ;;
    kube-apiserver) [[ "$(kubectl_admin get --raw /readyz 2>/dev/null)" == ok ]] ;;
    # /healthz is on the authorization always-allow list, so no client certificate is needed.
    kube-controller-manager) http_ok "https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz" ok ;;
    kube-scheduler) http_ok "https://127.0.0.1:$SCHEDULER_PORT/healthz" ok ;;
    kwok) http_ok "http://127.0.0.1:$KWOK_PORT/healthz" ok ;;
  esac
}

# component_running NAME [BINARY]: alive and really our binary (named NAME unless given): a pid file that
# survived a reboot may name some unrelated process by now.
component_running() {
  pid_alive "$1" || return 1
  local exe
  exe=$(readlink "/proc/$(cat "$RUN_DIR/$1.pid")/exe" 2>/dev/null) || return 1
  [[ "${exe% (deleted)}" == */"${2:-$1}" ]]
}

component_args() {
  local sa_issuer="https://kubernetes.default.svc.cluster.local"
  case "$1" in
    etcd)
      # Plain HTTP: loopback only, and the API server is its only client.
      ARGS=(--name=likepipe --data-dir="$K8S_STATE/etcd"
        --listen-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT"
        --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT"
        --initial-cluster="likepipe=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state=new
        --listen-metrics-urls="" --log-level=warn)
      ;;
    kube-apiserver)
      # shellcheck disable=SC2054  # Node,RBAC is one value
      ARGS=(--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT"
        --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT"
        --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key"
        --client-ca-file="$PKI/ca.crt"
        --service-account-issuer="$sa_issuer" --api-audiences="$sa_issuer"
        --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key"
        --service-cluster-ip-range="$SERVICE_CIDR"
        --authorization-mode=Node,RBAC --allow-privileged=true
        # A namespace's annotations may give its pods a node selector and tolerations: the real node's tests
        # place a whole LikePipeline on that (tainted) node this way, without touching its manifests.
        --enable-admission-plugins=PodNodeSelector,PodTolerationRestriction
        # The endpoint reconciler would publish 127.0.0.1 as the `kubernetes` Service's endpoint, which
        # Endpoints validation rejects (loopback), and it would log that every 10 s.
        --endpoint-reconciler-type=none
        --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client
        --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group
        --requestheader-extra-headers-prefix=X-Remote-Extra-
        --proxy-client-cert-file="$PKI/front-proxy-client.crt" --proxy-client-key-file="$PKI/front-proxy-client.key")
      ;;
    kube-controller-manager)
      ARGS=(--kubeconfig="$K8S_STATE/kube-controller-manager.kubeconfig"
        --authentication-kubeconfig="$K8S_STATE/kube-controller-manager.kubeconfig"
        --authorization-kubeconfig="$K8S_STATE/kube-controller-manager.kubeconfig"
        --bind-address=127.0.0.1 --secure-port="$CONTROLLER_MANAGER_PORT" --cert-dir="$K8S_STATE/pki/kube-controller-manager"
        --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt"
        --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key"
        --use-service-account-credentials=true --controllers='*' --leader-elect=false
        --cluster-name=likepipe --service-cluster-ip-range="$SERVICE_CIDR")
      ;;
    kube-scheduler)
      ARGS=(--kubeconfig="$K8S_STATE/kube-scheduler.kubeconfig"
        --authentication-kubeconfig="$K8S_STATE/kube-scheduler.kubeconfig"
        --authorization-kubeconfig="$K8S_STATE/kube-scheduler.kubeconfig"
        --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --cert-dir="$K8S_STATE/pki/kube-scheduler"
        --leader-elect=false)
      ;;
    kwok)
      # Only nodes carrying the annotation are faked, so a real node joined for some other test is left alone.
      ARGS=(--config="$KWOK_STAGES" --kubeconfig="$K8S_STATE/kwok.kubeconfig"
        --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake
        --cidr="$POD_CIDR" --node-lease-duration-seconds=40
        --server-address="127.0.0.1:$KWOK_PORT")
      ;;
  esac
}

start_component() {
  local name=$1
  if component_running "$name"; then
    wait_until "$START_TIMEOUT" "running $name to be healthy; see $LOG_DIR/$name.log" component_healthy "$name"
    return 0
  fi
  rm -f "$RUN_DIR/$name.pid"
  # shellcheck disable=SC2046  # one argument per port
  ports_free "$name" $(component_port "$name")
  if [[ "$name" == kwok ]]; then
    # Each kwok process has a new lease-holder identity and leaves a predecessor's node leases alone until they
    # expire (40 s), so pods on those nodes would sit in Pending after a restart. No kwok is running now, so
    # nobody holds them legitimately.
    # shellcheck disable=SC2086  # one argument per node
    kubectl_admin -n kube-node-lease delete lease $NODES --ignore-not-found >/dev/null
  fi
  component_args "$name"
  printf '\n=== %s start %s\n' "$(date -Is)" "$name" >>"$LOG_DIR/$name.log"
  # KWOK_WORKDIR keeps kwok from reading ~/.kwok/kwok.yaml.
  spawn "$name" "$LOG_DIR/$name.log" env KWOK_WORKDIR="$K8S_STATE/kwok" "$K8S_BIN/$name" "${ARGS[@]}"
  wait_started "$name" "$START_TIMEOUT" "$LOG_DIR/$name.log" -- component_healthy "$name"
  log "$name up (pid $(cat "$RUN_DIR/$name.pid"))"
}

# Fake nodes in the shape kwokctl makes them (kustomize/kwokctl/resource/node.yaml), IPv4 only. Addresses
# come from TEST-NET-1 so nobody mistakes them for reachable hosts. Status is accepted on create, and kwok
# keeps it (and the node lease) fresh from then on.
node_manifest() {
  local i=0 n
  for n in $NODES; do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $n
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: $n
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    type: kwok
spec:
  podCIDR: ${POD_CIDR%.*.*}.$i.0/24
  podCIDRs: [${POD_CIDR%.*.*}.$i.0/24]
status:
  # Both kinds: kwok's node-initialize stage rewrites the address list unless both are present.
  addresses:
  - {type: InternalIP, address: 192.0.2.$((i + 1))}
  - {type: Hostname, address: $n}
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
  nodeInfo: {architecture: amd64, operatingSystem: linux}
EOF
    i=$((i + 1))
  done
}

# Ready, and kwok holds the node's lease: only then does it act on the node's pods.
nodes_ready() {
  local n
  for n in $NODES; do
    [[ "$(kubectl_admin get node "$n" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]] ||
      return 1
    [[ -n "$(kubectl_admin -n kube-node-lease get lease "$n" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)" ]] ||
      return 1
  done
}

lock_runtime() { take_lock 7 "$RUN_DIR/lock" $((START_TIMEOUT * 6)); }

k8s_start() {
  k8s_install
  command -v curl >/dev/null 2>&1 || apt_install curl ca-certificates
  mkdir -p "$K8S_STATE" "$RUN_DIR" "$LOG_DIR" "$K8S_STATE/kwok"
  chmod 700 "$K8S_STATE"
  lock_runtime
  local t0=$SECONDS c
  ensure_pki
  write_kubeconfigs
  mkdir -p "$K8S_STATE/etcd"
  chmod 700 "$K8S_STATE/etcd" # etcd warns about anything looser
  for c in "${COMPONENTS[@]}"; do start_component "$c"; done

  # apply, not create: idempotent, and a later start restores a node someone deleted.
  node_manifest | kubectl_admin apply -f - >/dev/null
  wait_until "$START_TIMEOUT" "nodes ($NODES) to be Ready; see $LOG_DIR/kwok.log" nodes_ready
  # Pods are rejected until the ServiceAccount controller has made the namespace's `default` account.
  wait_until "$START_TIMEOUT" "the default ServiceAccount" kubectl_admin -n default get serviceaccount default
  log "Kubernetes $K8S_VERSION control plane ready in $((SECONDS - t0))s: https://127.0.0.1:$APISERVER_PORT," \
    "nodes: $NODES; KUBECONFIG=$KUBECONFIG_FILE"
}

k8s_stop() {
  mkdir -p "$RUN_DIR"
  lock_runtime
  local i c
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    c=${COMPONENTS[i]}
    if [[ -f "$RUN_DIR/$c.pid" ]] && ! component_running "$c"; then
      rm -f "$RUN_DIR/$c.pid" # stale: never signal a pid that is not ours
    fi
    [[ -f "$RUN_DIR/$c.pid" ]] || continue
    log "stopping $c (pid $(cat "$RUN_DIR/$c.pid"))"
    stop_pid "$c" "$STOP_TIMEOUT"
  done
  log "control plane stopped"
}

# component_exe NAME: the binary NAME's process runs (node.sh redefines it for its socat tunnels).
component_exe() { echo "$1"; }

# components_status HEALTHY_FN NAME...: a line per component (pid, HEALTHY_FN's verdict); 1 unless all are up.
components_status() {
  local healthy=$1 rc=0 c pid
  shift
  for c in "$@"; do
    if component_running "$c" "$(component_exe "$c")"; then
      pid=$(cat "$RUN_DIR/$c.pid")
      if "$healthy" "$c" >/dev/null 2>&1; then
        printf '%-24s running (pid %s), healthy\n' "$c" "$pid"
      else
        printf '%-24s running (pid %s), NOT healthy\n' "$c" "$pid"
        rc=1
      fi
    else
      printf '%-24s stopped\n' "$c"
      rc=1
    fi
  done
  return "$rc"
}

k8s_status() {
  components_status component_healthy "${COMPONENTS[@]}" || return 1
  kubectl_admin get nodes -o wide 2>/dev/null && nodes_ready
}

print_env() {
  # shellcheck disable=SC2016  # $PATH is for the shell that evals this
  printf 'export KUBECONFIG=%q\nexport PATH=%q:"$PATH"\n' "$KUBECONFIG_FILE" "$K8S_BIN"
}

k8s_reset() {
  k8s_stop
  rm -rf "$K8S_STATE"
  log "removed $K8S_STATE"
}

# ---------------------------------------------------------------------------------------------- main

# Sourced (by node.sh, for the versions, paths, build and certificate helpers): define, do not run.
[[ "${BASH_SOURCE[0]}" == "$0" ]] || return 0

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case "$cmd" in
  install) k8s_install ;;
  start) k8s_start ;;
  stop) k8s_stop ;;
  restart) k8s_stop; k8s_start ;;
  status) k8s_status ;;
  kubeconfig) echo "$KUBECONFIG_FILE" ;;
  env) print_env ;;
  reset) k8s_reset ;;
  *) usage ;;
esac
