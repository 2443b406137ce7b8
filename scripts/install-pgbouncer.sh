#!/usr/bin/env bash
# Idempotently installs Debian's `pgbouncer` package (the binary only matters: the tests start their own
# pgbouncer processes, each with its own config on a free port) and leaves no PgBouncer daemon running
# and none enabled at boot: the package's service would listen on 6432, and nothing here depends on it.
# Prints one line when there is nothing to do. Needs root, or passwordless sudo.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt-no-daemon.sh"

PGBOUNCER="${PGBOUNCER_BIN:-/usr/sbin/pgbouncer}"
if [[ -x "$PGBOUNCER" ]]; then
  echo "[install-pgbouncer] pgbouncer already installed ($("$PGBOUNCER" --version 2>&1 | head -n 1)); nothing to do."
  exit 0
fi
apt_install_no_daemon install-pgbouncer pgbouncer pgbouncer pgbouncer
echo "[install-pgbouncer] installed $("$PGBOUNCER" --version 2>&1 | head -n 1)"
