#!/usr/bin/env bash
# The Python client's tests (clients/python, issue 18) against a real Engram, as a user would run it:
# `engram serve` from the source tree on a free loopback port, once on embedded PGlite (a throwaway
# data directory) and once on PostgreSQL (a fresh database on TEST_DATABASE_URL's server, dropped
# afterwards). The secrets are generated here; tokens are minted with `engram token` (alice, bob, a
# read-only alice) and one is signed with another secret (the forged token). pytest gets the URL and
# the tokens through ENGRAM_* variables, runs clients/python/tests, and the server is stopped.
# Exits non-zero when any backend's run fails. Needs Python >= 3.11 with pytest: when `python3 -m
# pytest` is missing, Debian's python3-pytest is installed (as root or through sudo).
#
#   PYTHON_CLIENT_BACKENDS  the backends to run, default "pglite postgres"
#   TEST_DATABASE_URL       the PostgreSQL admin login (default postgres://postgres@127.0.0.1:5432/postgres)
#   PYTEST_ARGS             extra pytest arguments (e.g. "-k search -x")
#
# Run from anywhere: bash scripts/python-client-test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "[python-client] $*"; }
die() { echo "[python-client] ERROR: $*" >&2; exit 1; }

backends="${PYTHON_CLIENT_BACKENDS:-pglite postgres}"
pg_admin_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

# --- Python and pytest ---------------------------------------------------------------------------
has_pytest() { command -v "$1" >/dev/null 2>&1 && "$1" -m pytest --version >/dev/null 2>&1; }
python=""
for candidate in python3 /usr/bin/python3; do
  if has_pytest "$candidate"; then python="$candidate"; break; fi
done
if [[ -z "$python" ]]; then
  sudo_=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null \
      || die "python3 -m pytest is missing and installing Debian's python3-pytest needs root or passwordless sudo: run apt-get install python3-pytest as root"
    sudo_=(sudo -n)
  fi
  say "python3 -m pytest is missing: installing Debian's python3-pytest"
  apt_get() { "${sudo_[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }
  if ! apt_get install -y -qq python3-pytest >/dev/null 2>&1; then
    apt_get update -qq >/dev/null || die "apt-get update failed"
    apt_get install -y -qq python3-pytest >/dev/null || die "apt-get install python3-pytest failed"
  fi
  # Debian's package goes to Debian's Python, which may not be the first python3 on PATH.
  for candidate in python3 /usr/bin/python3; do
    if has_pytest "$candidate"; then python="$candidate"; break; fi
  done
  [[ -n "$python" ]] || die "python3-pytest is installed, yet neither python3 nor /usr/bin/python3 runs pytest"
fi
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || die "$python is $("$python" --version 2>&1); the client needs Python 3.11 or newer"
say "$("$python" --version 2>&1), $("$python" -m pytest --version 2>&1 | head -n 1)"

# --- state, and cleanup whatever happens ---------------------------------------------------------
work="$(mktemp -d)"
server_pid=""
databases=()

stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    # The server drains for at most 10 s on SIGTERM; do not wait forever.
    for _ in $(seq 1 150); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if [[ -n "$server_pid" ]]; then wait "$server_pid" 2>/dev/null || true; fi
  server_pid=""
}
drop_database() {
  psql -q -X -v ON_ERROR_STOP=1 "$pg_admin_url" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
}
cleanup() {
  stop_server
  for db in "${databases[@]}"; do drop_database "$db" || echo "[python-client] could not drop database $db" >&2; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- secrets and tokens --------------------------------------------------------------------------
random_b64() { "$python" -c 'import base64, os, sys; print(base64.b64encode(os.urandom(int(sys.argv[1]))).decode())' "$1"; }
jwt_secret="$(random_b64 48)"
other_secret="$(random_b64 48)"
kek="1:$(random_b64 32)"
hash_key="$(random_b64 32)"

# The server's configuration: only what is set here (a DATABASE_URL or secrets file of the caller's
# environment must not leak in).
server_env=(
  -u DATABASE_URL -u DATABASE_URL_FILE -u DATABASE_OWNER_URL -u DATABASE_OWNER_URL_FILE -u REDIS_URL -u REDIS_URL_FILE
  -u JWT_SECRET_FILE -u JWT_PUBLIC_KEY -u JWT_PUBLIC_KEY_FILE -u JWT_JWKS_URL -u JWT_ISSUER -u JWT_AUDIENCE
  -u ENGRAM_KEK_FILE -u ENGRAM_HASH_KEY_FILE -u MEMORY_DEFAULT_TTL_SECONDS -u DEDUP_ENABLED
  JWT_SECRET="$jwt_secret" ENGRAM_KEK="$kek" ENGRAM_HASH_KEY="$hash_key"
  HOST=127.0.0.1 RATE_LIMIT_DISABLED=1 LOG_LEVEL=warn
)

# Tokens as a user makes them: `engram token`, signed with the server's secret (four at once: each
# start of the CLI takes a few seconds).
mint_pids=()
mint() { # name secret args...
  local name="$1" secret="$2"
  shift 2
  env -u JWT_SECRET_FILE -u JWT_ISSUER -u JWT_AUDIENCE -u ENGRAM_DATA_DIR JWT_SECRET="$secret" \
    node --import tsx src/cli/main.ts token "$@" >"$work/token.$name" 2>"$work/token.$name.err" &
  mint_pids+=($!)
}
mint alice "$jwt_secret" --user alice
mint bob "$jwt_secret" --user bob
mint alice_read "$jwt_secret" --user alice --scope memory:read
mint forged "$other_secret" --user alice
for pid in "${mint_pids[@]}"; do
  wait "$pid" || { cat "$work"/token.*.err >&2; die "engram token failed"; }
done
token() { tr -d '\n' <"$work/token.$1"; }

# --- one backend ---------------------------------------------------------------------------------
free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
ready() { "$python" -c '
import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)
except Exception:
    sys.exit(1)' "$1"; }

run_backend() { # pglite | postgres
  local backend="$1" port url log="$work/server.$1.log" extra=()
  case "$backend" in
    pglite)
      mkdir -p "$work/data"
      extra=(ENGRAM_DATA_DIR="$work/data")
      ;;
    postgres)
      local db
      db="engram_pyclient_$("$python" -c 'import secrets; print(secrets.token_hex(6))')"
      psql -q -X -v ON_ERROR_STOP=1 "$pg_admin_url" -c "CREATE DATABASE $db" >/dev/null \
        || die "cannot create a database on $pg_admin_url (is PostgreSQL up? bash scripts/prepare-tests.sh starts it)"
      databases+=("$db")
      extra=(DATABASE_URL="${pg_admin_url%/*}/$db" ENGRAM_DATA_DIR="$work/unused")
      ;;
    *) die "unknown backend $backend (pglite or postgres)" ;;
  esac
  port="$(free_port)"
  url="http://127.0.0.1:$port"
  say "$backend: starting Engram on $url"
  env "${server_env[@]}" "${extra[@]}" PORT="$port" node --import tsx src/cli/main.ts serve >"$log" 2>&1 &
  server_pid=$!
  local started=$SECONDS
  until ready "$url/readyz"; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      cat "$log" >&2
      die "$backend: the server exited before it was ready (its log is above)"
    fi
    if (( SECONDS - started > 120 )); then
      cat "$log" >&2
      die "$backend: the server was not ready within 120 s (its log is above)"
    fi
    sleep 0.5
  done
  say "$backend: ready after $(( SECONDS - started )) s; running pytest"
  local status=0
  # shellcheck disable=SC2086 # PYTEST_ARGS is split on purpose
  ENGRAM_URL="$url" ENGRAM_BACKEND="$backend" \
    ENGRAM_TOKEN_ALICE="$(token alice)" ENGRAM_TOKEN_BOB="$(token bob)" \
    ENGRAM_TOKEN_ALICE_READ="$(token alice_read)" ENGRAM_TOKEN_FORGED="$(token forged)" \
    PYTHONPATH="$PWD/clients/python${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1 \
    "$python" -m pytest clients/python/tests -q -p no:cacheprovider ${PYTEST_ARGS:-} || status=$?
  if (( status != 0 )); then
    say "$backend: pytest failed (exit $status); the server's log ends with:"
    tail -n 40 "$log" >&2 || true
  fi
  stop_server
  return "$status"
}

failed=()
for backend in $backends; do
  run_backend "$backend" || failed+=("$backend")
done
if (( ${#failed[@]} )); then
  say "FAILED on: ${failed[*]}"
  exit 1
fi
say "passed on: $backends"
