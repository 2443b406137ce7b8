#!/usr/bin/env bash
# Idempotently installs Debian's `chromium` package: the browser the web console's browser tests
# (test/browser/, driven by playwright-core, headless) run in. The package starts no daemon.
# Prints one line when there is nothing to do. Needs root, or passwordless sudo.
#
#   CHROMIUM_BIN   the browser binary the tests launch (default /usr/bin/chromium, where the package puts it)
set -euo pipefail

CHROMIUM="${CHROMIUM_BIN:-/usr/bin/chromium}"
# Debian's /usr/bin/chromium wrapper prints shell noise on stderr on some machines: keep only the version.
version() { "$CHROMIUM" --version 2>/dev/null | head -n 1; }

if [[ -x "$CHROMIUM" ]]; then
  echo "[install-chromium] chromium already installed ($(version)); nothing to do."
  exit 0
fi
if [[ "$CHROMIUM" != /usr/bin/chromium ]]; then
  echo "[install-chromium] ERROR: CHROMIUM_BIN=$CHROMIUM does not exist; Debian's package installs /usr/bin/chromium" >&2
  exit 1
fi

sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
  if sudo -n true 2>/dev/null; then sudo=(sudo -n); else
    echo "[install-chromium] ERROR: installing Debian's chromium package needs root; run: sudo bash scripts/install-chromium.sh" >&2
    exit 1
  fi
fi
echo "[install-chromium] installing Debian's chromium package"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium </dev/null >/dev/null
[[ -x "$CHROMIUM" ]] || { echo "[install-chromium] ERROR: the package installed, but $CHROMIUM is missing" >&2; exit 1; }
echo "[install-chromium] installed $(version)"
