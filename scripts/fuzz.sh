#!/usr/bin/env bash
# `bash scripts/fuzz.sh`: schema-driven fuzzing of the like-API with Schemathesis. Reads the API's own
# /openapi.json and sends generated requests (valid and invalid) with every Schemathesis check on, three
# times: with a valid bearer token, a forged one (signed with a wrong key) and none. Targets the stack in
# $LIKEPIPE_STATE (`npm run up`'s by default; the tests point it at theirs), loopback only, and stops by
# itself: each pass is bounded by examples per operation and by time. Reports (JUnit XML and NDJSON events,
# one per pass) go to $LIKEPIPE_STATE/fuzz/; the last line printed is the number of requests generated.
#   LIKEPIPE_FUZZ_EXAMPLES=25   test cases per operation and phase
#   LIKEPIPE_FUZZ_MAX_TIME=30   seconds per pass at most
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/use-node.sh
source "$LIKEPIPE_ROOT/scripts/lib/use-node.sh"
cd "$LIKEPIPE_ROOT"

# Schemathesis, pinned, in a virtualenv cached by version: CI starts on a fresh machine.
ST_VERSION=4.32.5
VENV="$LIKEPIPE_CACHE/schemathesis-$ST_VERSION"
EXAMPLES=${LIKEPIPE_FUZZ_EXAMPLES:-25}
MAX_TIME=${LIKEPIPE_FUZZ_MAX_TIME:-30}

install_schemathesis() {
  [[ -x "$VENV/bin/schemathesis" ]] && return 0
  take_lock 8 "$LIKEPIPE_CACHE/schemathesis.lock" 600
  [[ -x "$VENV/bin/schemathesis" ]] && return 0
  command -v python3 >/dev/null 2>&1 || apt_install python3
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_install python3-venv
  log "installing schemathesis $ST_VERSION into $VENV"
  # Built beside the cache entry and moved into place, so an interrupted install never looks complete.
  rm -rf "$VENV.tmp"
  python3 -m venv --prompt "schemathesis-$ST_VERSION" "$VENV.tmp"
  # Behind a TLS-inspecting proxy pip needs the machine's CA bundle, not its own.
  local ca=/etc/ssl/certs/ca-certificates.crt
  if [[ -z "${PIP_CERT:-}" && -f "$ca" ]]; then export PIP_CERT="$ca"; fi
  "$VENV.tmp/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
  # A venv's scripts name its own path; rewrite it to the final one before the move.
  grep -rlF "$VENV.tmp" "$VENV.tmp/bin" | xargs -r sed -i "s#$VENV.tmp#$VENV#g"
  mv "$VENV.tmp" "$VENV"
  drop_lock 8
}

# The stack's env file gives the API's URL and the JWT secret; variables already set win over it.
if [[ -f "$ENV_FILE" ]]; then
  while IFS='=' read -r key value; do
    [[ "$key" =~ ^[A-Z][A-Z0-9_]*$ && -z "${!key+set}" ]] && export "$key=$value"
  done <"$ENV_FILE"
fi
API="${LIKEPIPE_API_URL:?LIKEPIPE_API_URL is not set: bring a stack up first (npm run up)}"
[[ "$API" =~ ^http://(127\.0\.0\.1|localhost|\[::1\]):[0-9]+/?$ ]] || die "fuzzing only targets loopback, not $API"
API="${API%/}"
[[ -n "${LIKEPIPE_JWT_SECRET:-}" ]] || die "LIKEPIPE_JWT_SECRET is not set"

install_schemathesis
OUT="$LIKEPIPE_STATE/fuzz"
rm -rf "$OUT"
mkdir -p "$OUT"

mint() { node apps/pipeline/dist/cli/token.js "$1" 3600; }
good=$(mint fuzzer)
# Signed with a fresh random key the API has never seen: well-formed, must still be refused.
forged=$(LIKEPIPE_JWT_SECRET=$(head -c 32 /dev/urandom | base64) mint fuzzer)

# run_pass NAME [HEADER]: one Schemathesis run; its reports go to $OUT/NAME.*. The token travels in a
# config file, not on the command line where `ps` would show it, and Schemathesis masks it in its reports.
total=0
failed=0
run_pass() {
  local name=$1 auth=${2:-} rc=0
  local cfg="$OUT/$name.toml"
  : >"$cfg"
  chmod 600 "$cfg"
  # Requests the schema cannot tell from good ones are refused by contract: following yourself (400), the
  # two idempotency headers with different keys (400), a key reused for another post or action (422).
  cat >>"$cfg" <<'TOML'
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "400", "401", "404", "409", "422", "429"]
TOML
  [[ -z "$auth" ]] || printf '[headers]\nAuthorization = "Bearer %s"\n' "$auth" >>"$cfg"
  log "fuzz pass '$name': up to $EXAMPLES examples per operation, at most ${MAX_TIME}s"
  # Run from $OUT: Schemathesis keeps a cache of crashes in ./.schemathesis, which belongs to the run, not the repo.
  (cd "$OUT" && "$VENV/bin/schemathesis" --config-file "$cfg" run "$API/openapi.json" \
    --checks all --max-examples "$EXAMPLES" --max-time "$MAX_TIME" --workers 2 \
    --request-timeout 10 --no-shrink --generation-database none --seed 1 --no-color \
    --report junit,ndjson --report-junit-path "$OUT/$name.junit.xml" --report-ndjson-path "$OUT/$name.ndjson" \
    >"$OUT/$name.log" 2>&1) || rc=$?
  rm -f "$cfg"
  local n
  n=$(grep -oE '[0-9]+ generated' "$OUT/$name.log" | tail -n 1 | grep -oE '^[0-9]+' || echo 0)
  total=$((total + n))
  log "fuzz pass '$name': exit $rc, $n test cases"
  if ((rc != 0)); then
    failed=1
    tail -n 60 "$OUT/$name.log" >&2
  fi
}
run_pass valid "$good"
run_pass forged "$forged"
run_pass none
echo "$total" >"$OUT/requests"
echo "fuzz: $total generated requests; reports in $OUT"
exit "$failed"
