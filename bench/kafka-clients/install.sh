#!/usr/bin/env bash
# Installs the three Kafka clients of the comparison (bench/kafka-clients/package.json, exact versions, with its
# lock file) into the tool cache, once per (package.json, lock, Node ABI), and links bench/kafka-clients/
# node_modules to it. Kept out of the root workspaces so the root `npm ci` and CI never compile librdkafka.
#
# @confluentinc/kafka-javascript ships no usable binary here (its prebuilt ones come from a host we cannot
# reach), so librdkafka and the addon are compiled from the sources in its npm tarball. Its default configure
# (`--install-deps --source-deps-only`) downloads OpenSSL, zstd etc. as source tarballs, which cannot work
# offline either; CKJS_LINKING=dynamic builds the bundled librdkafka against Debian's -dev packages instead.
# (No JOBS=max: node-gyp's parallel make races the configure step; librdkafka's own make runs -j anyway.)
# The wall time of that build is written to build-info.json beside node_modules: it is what CI would pay.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
source "$LIKEPIPE_ROOT/scripts/lib/use-node.sh"
HERE="$LIKEPIPE_ROOT/bench/kafka-clients"

abi=$(node -p 'process.versions.modules + "-" + process.arch')
key=$(cat "$HERE/package.json" "$HERE/package-lock.json" <(echo "$abi") | sha256sum | cut -c1-12)
DEST="$LIKEPIPE_CACHE/kafka-clients-$key"

install_clients() {
  [[ -f "$DEST/.likepipe-complete" ]] && return 0
  # librdkafka's configure and make, then node-gyp for the addon (python3, a C++20 compiler).
  apt_install build-essential python3 pkg-config libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev
  take_lock 8 "$LIKEPIPE_CACHE/.kafka-clients-$key.lock" 1800
  if [[ -f "$DEST/.likepipe-complete" ]]; then drop_lock 8; return 0; fi
  local work="$DEST.partial" t0 t1 t2
  rm -rf "$work" "$DEST"
  mkdir -p "$work"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$work/"
  log "installing the Kafka clients into $DEST (first time only; compiles librdkafka, several minutes)"
  t0=$(date +%s.%N)
  # Install scripts off: npm 11 skips them anyway, and the only one (node-pre-gyp) would try the download first.
  (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund >"$LOG_DIR/kafka-clients-npm.log" 2>&1) ||
    { tail -n 30 "$LOG_DIR/kafka-clients-npm.log" >&2; die "npm ci failed for bench/kafka-clients"; }
  t1=$(date +%s.%N)
  # The machine may be busy with other work: the load beside the build says how far to trust its wall time.
  local load_before
  load_before=$(cut -d' ' -f1 /proc/loadavg)
  local gyp
  gyp="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
  [[ -f "$gyp" ]] || die "node-gyp not found beside Node at $gyp"
  (cd "$work/node_modules/@confluentinc/kafka-javascript" &&
    CKJS_LINKING=dynamic node "$gyp" rebuild >"$LOG_DIR/kafka-clients-build.log" 2>&1) ||
    { tail -n 40 "$LOG_DIR/kafka-clients-build.log" >&2; die "native build of @confluentinc/kafka-javascript failed"; }
  t2=$(date +%s.%N)
  (cd "$work" && node -e "const k=require('@confluentinc/kafka-javascript'); console.log('librdkafka', k.librdkafkaVersion)") ||
    die "the built @confluentinc/kafka-javascript does not load"
  node -e '
    const [npmS, buildS, cores, load1Before, load1After] = process.argv.slice(1).map(Number);
    console.log(JSON.stringify({ npm_ci_s: npmS, native_build_s: buildS, cores, load1_before: load1Before,
      load1_after: load1After, node: process.version, linking: "dynamic", built_at: new Date().toISOString() }));' \
    "$(awk "BEGIN{print $t1 - $t0}")" "$(awk "BEGIN{print $t2 - $t1}")" "$(nproc)" "$load_before" \
    "$(cut -d' ' -f1 /proc/loadavg)" >"$work/build-info.json"
  touch "$work/.likepipe-complete"
  mv "$work" "$DEST"
  drop_lock 8
  log "Kafka clients installed; native build $(node -p "require('$DEST/build-info.json').native_build_s.toFixed(0)") s"
}

install_clients
ln -sfn "$DEST/node_modules" "$HERE/node_modules"
# The bench package's own type-check: its dependencies exist only here, so the root `tsc -b` leaves it out.
"$LIKEPIPE_ROOT/node_modules/.bin/tsc" -p "$HERE" || die "bench/kafka-clients does not type-check"
echo "$DEST"
