#!/usr/bin/env bash
# Idempotently make the Citus extension available to the local PostgreSQL 15 (Debian bookworm, run as
# root). Citus is not packaged for bookworm, so it is built from the vendored source archive in
# ../shared/vendor (or CITUS_SOURCE), checked against its published sha256.
#
#   CITUS_SOURCE   the archive (default: ../shared/vendor/citus-12.1.6.tar.gz beside the checkout)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PG_MAJOR=15
PG_CONFIG=/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config
EXT_DIR=/usr/share/postgresql/${PG_MAJOR}/extension
LIB_DIR=/usr/lib/postgresql/${PG_MAJOR}/lib
VERSION=12.1.6
SHA256=6bb5a52ea1194895a819a10a1d1dae9fc97b7b7b411ff21dc785df58bdd7a02b
SOURCE="${CITUS_SOURCE:-$(cd .. && pwd)/shared/vendor/citus-${VERSION}.tar.gz}"

log() { echo "[install-citus] $*"; }
die() { echo "[install-citus] ERROR: $*" >&2; exit 1; }

installed_version() {
  [[ -f "$EXT_DIR/citus.control" && -f "$LIB_DIR/citus.so" ]] || return 0
  sed -n "s/^default_version *= *'\([0-9.]*\)[^']*'.*/\1/p" "$EXT_DIR/citus.control" | head -n1
}

current="$(installed_version)"
if [[ -n "$current" ]]; then
  log "Citus ${current} already installed (${EXT_DIR}/citus.control); nothing to do."
  exit 0
fi

[[ -f "$SOURCE" ]] || die "Citus is not installed and its source is missing: ${SOURCE}
  (a copy of shared/ beside the checkout holds vendor/citus-${VERSION}.tar.gz; or set CITUS_SOURCE)"
[[ "$(id -u)" -eq 0 ]] || die "must run as root."
echo "${SHA256}  ${SOURCE}" | sha256sum -c --quiet - || die "${SOURCE} does not match sha256 ${SHA256}."

export DEBIAN_FRONTEND=noninteractive
missing=()
for pkg in postgresql-server-dev-${PG_MAJOR} build-essential libkrb5-dev libcurl4-openssl-dev liblz4-dev libzstd-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
  log "installing build dependencies: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

workdir="$(mktemp -d /tmp/citus-build.XXXXXX)"
trap 'rm -rf "$workdir"' EXIT
tar -xzf "$SOURCE" -C "$workdir"
src="$workdir/citus-${VERSION}"
[[ -d "$src" ]] || die "the archive did not hold citus-${VERSION}/"
log "building Citus ${VERSION} (a few minutes)"
(
  cd "$src"
  ./configure -q PG_CONFIG="$PG_CONFIG" >/dev/null
  make -s -j"$(nproc)" >/dev/null
  make -s install >/dev/null
)
current="$(installed_version)"
[[ -n "$current" ]] || die "the build finished but ${EXT_DIR}/citus.control or ${LIB_DIR}/citus.so is missing."
log "installed Citus ${current} into ${LIB_DIR} / ${EXT_DIR}"
