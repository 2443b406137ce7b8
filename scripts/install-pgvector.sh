#!/usr/bin/env bash
# Idempotently make the pgvector extension available to the local PostgreSQL 15
# (Debian bookworm, run as root).
#
# pgvector is not packaged for bookworm, so we build it from Debian's trixie
# *source* package (deb-src only; no trixie binaries are ever installed) against
# the bookworm postgresql-server-dev-15 headers.
set -euo pipefail

PG_MAJOR=15
PG_CONFIG=/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config
EXT_DIR=/usr/share/postgresql/${PG_MAJOR}/extension
CONTROL_FILE=${EXT_DIR}/vector.control
MIN_VERSION=0.8
SRC_LIST=/etc/apt/sources.list.d/engram-trixie-src.sources

log() { echo "[install-pgvector] $*"; }
die() { echo "[install-pgvector] ERROR: $*" >&2; exit 1; }

# Prints the default_version from vector.control, or nothing if absent.
control_version() {
  [[ -f "$CONTROL_FILE" ]] || return 0
  sed -n "s/^[[:space:]]*default_version[[:space:]]*=[[:space:]]*'\{0,1\}\([^'[:space:]]*\)'\{0,1\}.*/\1/p" "$CONTROL_FILE" | head -n1
}

# ---------------------------------------------------------------------------
# Fast path: already installed at a recent enough version.
# ---------------------------------------------------------------------------
current="$(control_version)"
if [[ -n "$current" ]] && dpkg --compare-versions "$current" ge "$MIN_VERSION"; then
  log "pgvector ${current} already installed (${CONTROL_FILE}); nothing to do."
  exit 0
fi
if [[ -n "$current" ]]; then
  log "found pgvector ${current} (< ${MIN_VERSION}); rebuilding."
else
  log "pgvector not installed; building from Debian trixie source package."
fi

[[ "$(id -u)" -eq 0 ]] || die "must run as root."

export DEBIAN_FRONTEND=noninteractive

# ---------------------------------------------------------------------------
# 1. deb-src entry for trixie, reusing the Debian mirror already configured.
# ---------------------------------------------------------------------------
find_debian_mirror() {
  local f uri
  # deb822 .sources files: take the URIs of a stanza whose Suites include plain
  # "bookworm" (i.e. the main archive, not -security).
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" && "$f" != "$SRC_LIST" ]] || continue
    uri="$(awk '
      BEGIN { IGNORECASE = 1 }
      /^[[:space:]]*$/ { if (suite && uri) { print uri; exit } suite = 0; uri = ""; next }
      /^URIs:/   { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") suite = 1 }
      END { if (suite && uri) print uri }
    ' "$f" | head -n1)"
    if [[ -n "$uri" ]]; then echo "${uri%/}"; return 0; fi
  done
  # One-line style sources.list: "deb [opts] URI bookworm main ..."
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    uri="$(awk '
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($(i + 1) == "bookworm") { print $i; exit }
      }
    ' "$f")"
    if [[ -n "$uri" ]]; then echo "${uri%/}"; return 0; fi
  done
  return 1
}

MIRROR="$(find_debian_mirror)" || die "could not find a configured Debian bookworm mirror in /etc/apt sources."
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[[ -f "$KEYRING" ]] || die "missing ${KEYRING} (debian-archive-keyring)."

desired_src="Types: deb-src
URIs: ${MIRROR}
Suites: trixie
Components: main
Signed-By: ${KEYRING}"

if [[ ! -f "$SRC_LIST" ]] || [[ "$(cat "$SRC_LIST")" != "$desired_src" ]]; then
  log "writing ${SRC_LIST} (deb-src only, mirror ${MIRROR})"
  printf '%s\n' "$desired_src" > "$SRC_LIST"
fi

log "apt-get update"
apt-get update -qq

# ---------------------------------------------------------------------------
# 2. Build prerequisites (all from bookworm).
# ---------------------------------------------------------------------------
missing=()
for pkg in postgresql-server-dev-${PG_MAJOR} build-essential dpkg-dev; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$pkg")
  fi
done
if (( ${#missing[@]} )); then
  log "installing: ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[[ -x "$PG_CONFIG" ]] || die "${PG_CONFIG} not found."

# ---------------------------------------------------------------------------
# 3. Fetch + unpack the trixie source package, build, install.
# ---------------------------------------------------------------------------
workdir="$(mktemp -d /tmp/pgvector-build.XXXXXX)"
trap 'rm -rf "$workdir"' EXIT

log "apt-get source pgvector/trixie (in ${workdir})"
(
  cd "$workdir"
  # Running as root: tell apt not to drop privileges to _apt for the download.
  apt-get source -qq -o APT::Sandbox::User=root pgvector/trixie
)
srcdir="$(find "$workdir" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | head -n1)"
[[ -n "$srcdir" ]] || die "apt-get source did not produce a pgvector-* directory."
log "building $(basename "$srcdir")"

# OPTFLAGS="" avoids -march=native so the installed .so stays portable across
# CPUs (same as Debian's own build).
make -s -C "$srcdir" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" OPTFLAGS=""
make -s -C "$srcdir" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" install

installed="$(control_version)"
[[ -n "$installed" ]] || die "build finished but ${CONTROL_FILE} is missing."
dpkg --compare-versions "$installed" ge "$MIN_VERSION" \
  || die "installed pgvector ${installed} is older than ${MIN_VERSION}."
log "installed pgvector ${installed} into $("$PG_CONFIG" --pkglibdir) / ${EXT_DIR}"

# ---------------------------------------------------------------------------
# 4. Verify against the running server (if it is up).
# ---------------------------------------------------------------------------
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d postgres -At)
if pg_isready -q -h 127.0.0.1 -p 5432; then
  had_ext="$("${PSQL[@]}" -c "SELECT count(*) FROM pg_extension WHERE extname='vector'" </dev/null)"
  ver="$("${PSQL[@]}" -c "CREATE EXTENSION IF NOT EXISTS vector; SELECT extversion FROM pg_extension WHERE extname='vector'" </dev/null | tail -n1)"
  [[ -n "$ver" ]] || die "CREATE EXTENSION vector succeeded but no extversion was reported."
  "${PSQL[@]}" -c "SELECT '[1,2,3]'::vector <-> '[4,5,6]'::vector" </dev/null >/dev/null \
    || die "vector operator smoke test failed."
  if [[ "$had_ext" == "0" ]]; then
    "${PSQL[@]}" -c "DROP EXTENSION vector" </dev/null
  fi
  log "verified: CREATE EXTENSION vector works (extversion ${ver})."
else
  log "WARNING: PostgreSQL not reachable on 127.0.0.1:5432; skipped CREATE EXTENSION check."
fi
