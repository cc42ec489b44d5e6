#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser tests (playwright-core drives it; Playwright's own
# browser downloads are not used). Idempotent: does nothing when /usr/bin/chromium exists. Prints its path.
#   bash scripts/browser.sh        # install if missing, print /usr/bin/chromium
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

CHROMIUM=/usr/bin/chromium
if [[ ! -x "$CHROMIUM" ]]; then
  start=$SECONDS
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  log "installing chromium (Debian package) for the browser tests"
  # Another checkout on this machine may be running apt at the same moment: wait for its lock, do not fail.
  $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq chromium >/dev/null
  [[ -x "$CHROMIUM" ]] || die "apt-get installed chromium but $CHROMIUM is missing"
  log "chromium installed in $((SECONDS - start))s"
fi
echo "$CHROMIUM"
