#!/usr/bin/env bash
# Idempotently installs Debian's `prometheus` package (the prometheus and promtool binaries) and leaves
# no Prometheus daemon running and none enabled at boot: tests and CI must not leave one on :9090.
# Prints one line when there is nothing to do. Needs root, or passwordless sudo.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt-no-daemon.sh"

if command -v promtool >/dev/null 2>&1 && [[ -x "${PROMETHEUS_BIN:-/usr/bin/prometheus}" ]]; then
  echo "[install-prometheus] prometheus already installed ($(promtool --version 2>&1 | head -n 1)); nothing to do."
  exit 0
fi
apt_install_no_daemon install-prometheus prometheus prometheus prometheus
echo "[install-prometheus] installed $(promtool --version 2>&1 | head -n 1)"
