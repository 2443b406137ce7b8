#!/usr/bin/env bash
# Idempotently installs Debian's `prometheus` package (the prometheus and promtool binaries) without
# leaving a Prometheus daemon running. Prints one line when there is nothing to do.
# Needs root, or passwordless sudo.
set -euo pipefail

log() { echo "[install-prometheus] $*"; }

if command -v promtool >/dev/null 2>&1 && [[ -x "${PROMETHEUS_BIN:-/usr/bin/prometheus}" ]]; then
  log "prometheus already installed ($(promtool --version 2>&1 | head -n 1)); nothing to do."
  exit 0
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if sudo -n true 2>/dev/null; then SUDO=(sudo -n); else
    echo "[install-prometheus] ERROR: installing Debian's prometheus package needs root; run: sudo bash scripts/install-prometheus.sh" >&2
    exit 1
  fi
fi

created_policy=0
cleanup() { if (( created_policy )); then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d || true; fi; }
trap cleanup EXIT

# pids of running prometheus servers (pgrep prints nothing and fails when there are none)
prometheus_pids() { pgrep -x prometheus 2>/dev/null | sort || true; }

log "installing Debian's prometheus package"
# The package's maintainer scripts start the daemon (invoke-rc.d / deb-systemd-invoke) unless a
# policy-rc.d forbids it. Tests and CI must not leave a Prometheus on :9090, so forbid it for this
# install (keeping an existing policy-rc.d as it is).
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\n# install-prometheus.sh: no service starts during this install\nexit 101\n' \
    | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${SUDO[@]}" chmod 0755 /usr/sbin/policy-rc.d
  created_policy=1
fi
before="$(prometheus_pids)"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus </dev/null >/dev/null
if (( created_policy )); then
  "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d
  created_policy=0
fi
# The package was not installed before, so its unit is ours to turn off: on a systemd host, stop it
# and keep it from starting at boot.
if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
  "${SUDO[@]}" systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
# Belt and braces: if the install started a daemon anyway, stop it (only the new pids).
after="$(prometheus_pids)"
started="$(comm -13 <(echo "$before") <(echo "$after") | grep -v '^$' || true)"
if [[ -n "$started" ]]; then
  log "the package install started prometheus (pid(s) $(echo "$started" | tr '\n' ' ')); stopping it"
  for pid in $started; do "${SUDO[@]}" kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    still=""
    for pid in $started; do kill -0 "$pid" 2>/dev/null && still=1; done
    [[ -z "$still" ]] && break
    sleep 0.1
  done
fi
log "installed $(promtool --version 2>&1 | head -n 1)"
