#!/usr/bin/env bash
# Prepares this machine for `npm test` (run by npm as the `pretest` script): PostgreSQL 15 with
# pgvector, a local Citus cluster (built from ../shared/vendor), Redis, the Prometheus and PgBouncer binaries,
# Chromium (the web console's browser tests), each installed or started only when missing, one line per step. Quick when everything is in place. Installing needs root or passwordless sudo; without
# them it stops at once, naming what is missing and the command that fixes it.
#
#   TEST_DATABASE_URL   use this PostgreSQL (superuser login, pgvector ≥ 0.8 available) instead of
#                       the local one; nothing is installed or started for PostgreSQL then.
#   TEST_CITUS_URL      use this Citus coordinator (superuser login; its workers in TEST_CITUS_WORKERS,
#                       host:port,...) instead of the local cluster of scripts/citus-cluster.sh.
#   TEST_REDIS_URL      likewise for Redis (default redis://127.0.0.1:6379, started when down).
#   PROMETHEUS_BIN      the Prometheus binary (default /usr/bin/prometheus, installed when missing).
#   PGBOUNCER_BIN       the PgBouncer binary (default /usr/sbin/pgbouncer, installed when missing; the tests
#                       start their own pgbouncer processes, the package's service is never used).
#   CHROMIUM_BIN        the browser of test/browser/ (default /usr/bin/chromium, Debian's chromium package,
#                       installed when missing).
#   ENGRAM_SKIP_TEST_PREPARE=1  skip all of this.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "[prepare-tests] $*"; }
die() { echo "[prepare-tests] ERROR: $*" >&2; exit 1; }

if [[ "${ENGRAM_SKIP_TEST_PREPARE:-}" == 1 ]]; then say "ENGRAM_SKIP_TEST_PREPARE=1: skipped"; exit 0; fi

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/${PG_MAJOR}/bin
PG_EXT=/usr/share/postgresql/${PG_MAJOR}/extension
PG_LIB=/usr/lib/postgresql/${PG_MAJOR}/lib
DEFAULT_PG_URL=postgres://postgres@127.0.0.1:5432/postgres
PG_URL="${TEST_DATABASE_URL:-$DEFAULT_PG_URL}"
REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"
PROMETHEUS="${PROMETHEUS_BIN:-/usr/bin/prometheus}"
PGBOUNCER="${PGBOUNCER_BIN:-/usr/sbin/pgbouncer}"
CHROMIUM="${CHROMIUM_BIN:-/usr/bin/chromium}"

# --- privileges ---------------------------------------------------------------------------------
SUDO=()
privileged=1
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=(sudo -n); else privileged=0; fi
fi
as_root() { "${SUDO[@]}" "$@"; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

local_pg=0
[[ -z "${TEST_DATABASE_URL:-}" || "$PG_URL" == "$DEFAULT_PG_URL" ]] && local_pg=1
pg_up() { pg_isready -q -d "$PG_URL" >/dev/null 2>&1; }
redis_host_port() { local hp="${REDIS_URL#*://}"; hp="${hp##*@}"; hp="${hp%%/*}"; echo "${hp%%:*} ${hp##*:}"; }
read -r REDIS_HOST REDIS_PORT <<<"$(redis_host_port)"
[[ "$REDIS_PORT" == "$REDIS_HOST" ]] && REDIS_PORT=6379
redis_up() { [[ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }
local_redis=0
[[ "$REDIS_HOST" == 127.0.0.1 || "$REDIS_HOST" == localhost ]] && local_redis=1
pgvector_files() { [[ -f "$PG_EXT/vector.control" && -f "$PG_LIB/vector.so" ]]; }

# --- what is missing, and can we fix it? --------------------------------------------------------
need_root=()
if (( local_pg )); then
  [[ -x "$PG_BIN/postgres" ]] || need_root+=("PostgreSQL ${PG_MAJOR} server (apt-get install postgresql-${PG_MAJOR})")
  pgvector_files || need_root+=("the pgvector extension (bash scripts/install-pgvector.sh)")
  if [[ -x "$PG_BIN/postgres" ]] && ! pg_up && [[ "$(id -un)" != postgres ]]; then
    need_root+=("a running PostgreSQL (pg_ctlcluster --skip-systemctl-redirect ${PG_MAJOR} main start)")
  fi
fi
if (( local_redis )) && ! command -v redis-server >/dev/null 2>&1; then
  need_root+=("Redis (apt-get install redis-server)")
fi
[[ -x "$PROMETHEUS" ]] || need_root+=("Prometheus (bash scripts/install-prometheus.sh)")
[[ -x "$PGBOUNCER" ]] || need_root+=("PgBouncer (bash scripts/install-pgbouncer.sh)")
[[ -x "$CHROMIUM" ]] || need_root+=("Chromium (bash scripts/install-chromium.sh)")
citus_files() { [[ -f "$PG_EXT/citus.control" && -f "$PG_LIB/citus.so" ]]; }
CITUS_SOURCE="${CITUS_SOURCE:-$(cd .. && pwd)/shared/vendor/citus-12.1.6.tar.gz}"
if [[ -z "${TEST_CITUS_URL:-}" ]] && ! citus_files && [[ -f "$CITUS_SOURCE" ]]; then
  need_root+=("the Citus extension (bash scripts/install-citus.sh)")
fi

if (( ${#need_root[@]} )) && (( ! privileged )); then
  {
    echo "[prepare-tests] ERROR: the tests need what this user ($(id -un)) cannot install or start without root or sudo:"
    for item in "${need_root[@]}"; do echo "  - $item"; done
    echo "Run the commands above as root (or run this once as root: bash scripts/prepare-tests.sh), or point"
    echo "the tests at an existing PostgreSQL with pgvector: TEST_DATABASE_URL=postgres://USER@HOST:PORT/postgres npm test"
  } >&2
  exit 1
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
quiet() { "$@" >"$log" 2>&1 || { cat "$log" >&2; die "failed: $*"; }; }
wait_for() { local what="$1"; shift; for _ in $(seq 1 60); do "$@" && return 0; sleep 0.5; done; die "$what did not come up within 30 s"; }

# --- PostgreSQL ---------------------------------------------------------------------------------
if (( local_pg )); then
  if [[ ! -x "$PG_BIN/postgres" ]]; then
    quiet as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    quiet as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-${PG_MAJOR}" "postgresql-client-${PG_MAJOR}"
    say "PostgreSQL ${PG_MAJOR}: installed from Debian's packages"
  fi
  if pg_up; then
    say "PostgreSQL: running at ${PG_URL}"
  else
    if [[ "$(id -un)" == postgres ]]; then quiet pg_ctlcluster "$PG_MAJOR" main start
    else quiet as_root pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" main start </dev/null; fi
    wait_for PostgreSQL pg_up
    say "PostgreSQL: started cluster ${PG_MAJOR}/main, accepting connections at ${PG_URL}"
  fi
  if pgvector_files; then
    say "pgvector: installed ($(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$PG_EXT/vector.control"))"
  else
    # install-pgvector.sh takes its fast path only on the control file; a half-removed install is rebuilt.
    as_root rm -f "$PG_EXT/vector.control"
    quiet as_root bash scripts/install-pgvector.sh
    say "pgvector: built from Debian's source package and installed ($(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$PG_EXT/vector.control"))"
  fi
else
  pg_up || die "PostgreSQL at TEST_DATABASE_URL=${PG_URL} is not reachable"
  say "PostgreSQL: using TEST_DATABASE_URL=${PG_URL} (nothing installed or started)"
fi
has_vector="$(psql -X -At -d "$PG_URL" -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'" 2>&1)" \
  || die "cannot query PostgreSQL at ${PG_URL}: ${has_vector}"
[[ "$has_vector" == 1 ]] || die "the PostgreSQL at ${PG_URL} has no pgvector extension available"

# --- Citus ----------------------------------------------------------------------------------------
# The citus project of the suite runs the integration tests on a coordinator and two workers. Without
# Citus (no vendored source to build it from) the project is left out, loudly, and under CI=true that
# is a failure. The marker file tells vitest.config.ts.
CITUS_MARKER=node_modules/.cache/engram/citus-unavailable
mkdir -p "$(dirname "$CITUS_MARKER")"
rm -f "$CITUS_MARKER"
if [[ -n "${TEST_CITUS_URL:-}" ]]; then
  pg_isready -q -d "$TEST_CITUS_URL" >/dev/null 2>&1 || die "the Citus coordinator at TEST_CITUS_URL=${TEST_CITUS_URL} is not reachable"
  say "Citus: using TEST_CITUS_URL=${TEST_CITUS_URL} (nothing installed or started)"
else
  if ! citus_files; then
    if [[ -f "$CITUS_SOURCE" ]]; then
      quiet as_root bash scripts/install-citus.sh
      say "Citus: built from ${CITUS_SOURCE} and installed"
    else
      {
        echo "[prepare-tests] !!! ================================================================="
        echo "[prepare-tests] !!! The Citus suite (vitest project 'citus') will NOT run: Citus is not"
        echo "[prepare-tests] !!! installed and its source is missing (${CITUS_SOURCE})."
        echo "[prepare-tests] !!! To run it: put citus-12.1.6.tar.gz there (or set CITUS_SOURCE), or"
        echo "[prepare-tests] !!! point TEST_CITUS_URL/TEST_CITUS_WORKERS at a Citus cluster, then npm test."
        echo "[prepare-tests] !!! ================================================================="
      } >&2
      [[ "${CI:-}" == true ]] && die "CI=true: the Citus suite must run"
      echo "citus not installed and ${CITUS_SOURCE} missing" > "$CITUS_MARKER"
    fi
  fi
  if citus_files; then
    quiet bash scripts/citus-cluster.sh start
    say "Citus $(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$PG_EXT/citus.control"): coordinator and two workers on 127.0.0.1:9700-9702 (scripts/citus-cluster.sh)"
  fi
fi

# --- Redis --------------------------------------------------------------------------------------
if redis_up; then
  say "Redis: running at ${REDIS_HOST}:${REDIS_PORT}"
elif (( local_redis )); then
  if ! command -v redis-server >/dev/null 2>&1; then
    quiet as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server
  fi
  quiet redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no </dev/null
  wait_for Redis redis_up
  say "Redis: started on ${REDIS_HOST}:${REDIS_PORT} (no persistence)"
else
  die "Redis at TEST_REDIS_URL=${REDIS_URL} is not reachable"
fi

# --- Prometheus ---------------------------------------------------------------------------------
if [[ -x "$PROMETHEUS" ]]; then
  say "Prometheus: installed (${PROMETHEUS})"
else
  quiet bash scripts/install-prometheus.sh
  say "Prometheus: installed Debian's prometheus package ($("$PROMETHEUS" --version 2>&1 | head -n 1)), no daemon left running"
fi

# --- PgBouncer ----------------------------------------------------------------------------------
if [[ -x "$PGBOUNCER" ]]; then
  say "PgBouncer: installed (${PGBOUNCER}, $("$PGBOUNCER" --version 2>&1 | head -n 1))"
else
  quiet bash scripts/install-pgbouncer.sh
  say "PgBouncer: installed Debian's pgbouncer package ($("$PGBOUNCER" --version 2>&1 | head -n 1)), no daemon left running"
fi

# --- Chromium -----------------------------------------------------------------------------------
if [[ -x "$CHROMIUM" ]]; then
  say "Chromium: installed (${CHROMIUM}, $("$CHROMIUM" --version 2>/dev/null | head -n 1))"
else
  quiet bash scripts/install-chromium.sh
  say "Chromium: installed Debian's chromium package ($("$CHROMIUM" --version 2>/dev/null | head -n 1))"
fi
