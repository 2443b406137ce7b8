#!/usr/bin/env bash
# Idempotently installs Debian's `pgbouncer` package (the binary only matters: the tests start their own
# pgbouncer processes, each with its own config on a free port) and leaves no PgBouncer daemon running
# and none enabled at boot: the package's service would listen on 6432, and nothing here depends on it.
# Prints one line when there is nothing to do. Needs root, or passwordless sudo.
set -euo pipefail

log() { echo "[install-pgbouncer] $*"; }
PGBOUNCER="${PGBOUNCER_BIN:-/usr/sbin/pgbouncer}"

if [[ -x "$PGBOUNCER" ]]; then
  log "pgbouncer already installed ($("$PGBOUNCER" --version 2>&1 | head -n 1)); nothing to do."
  exit 0
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if sudo -n true 2>/dev/null; then SUDO=(sudo -n); else
    echo "[install-pgbouncer] ERROR: installing Debian's pgbouncer package needs root; run: sudo bash scripts/install-pgbouncer.sh" >&2
    exit 1
  fi
fi

created_policy=0
cleanup() { if (( created_policy )); then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d || true; fi; }
trap cleanup EXIT

# pids of running pgbouncer processes (pgrep prints nothing and fails when there are none)
pgbouncer_pids() { pgrep -x pgbouncer 2>/dev/null | sort || true; }

log "installing Debian's pgbouncer package"
# The package's maintainer scripts start the daemon (invoke-rc.d / deb-systemd-invoke) unless a
# policy-rc.d forbids it: forbid it for this install (keeping an existing policy-rc.d as it is).
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\n# install-pgbouncer.sh: no service starts during this install\nexit 101\n' \
    | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${SUDO[@]}" chmod 0755 /usr/sbin/policy-rc.d
  created_policy=1
fi
before="$(pgbouncer_pids)"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbouncer </dev/null >/dev/null
if (( created_policy )); then
  "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d
  created_policy=0
fi
# The package was not installed before, so its service is ours to turn off, now and at boot.
if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
  "${SUDO[@]}" systemctl disable --now pgbouncer.service >/dev/null 2>&1 || true
elif command -v update-rc.d >/dev/null 2>&1; then
  "${SUDO[@]}" update-rc.d pgbouncer disable >/dev/null 2>&1 || true
fi
# Belt and braces: if the install started a daemon anyway, stop it (only the new pids).
after="$(pgbouncer_pids)"
started="$(comm -13 <(echo "$before") <(echo "$after") | grep -v '^$' || true)"
if [[ -n "$started" ]]; then
  log "the package install started pgbouncer (pid(s) $(echo "$started" | tr '\n' ' ')); stopping it"
  for pid in $started; do "${SUDO[@]}" kill "$pid" 2>/dev/null || true; done
fi
log "installed $("$PGBOUNCER" --version 2>&1 | head -n 1)"
