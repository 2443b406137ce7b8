#!/usr/bin/env bash
# CI smoke run of the load test: starts Engram from the source tree on embedded PGlite (a throwaway data
# directory, a free loopback port, rate limiting off), waits for /readyz, runs `npm run loadtest` for a
# few seconds with generous thresholds, stops the server and exits with the load test's status.
# Run from the repository root: bash scripts/loadtest-smoke.sh
set -euo pipefail

cd "$(dirname "$0")/.."

data_dir="$(mktemp -d)"
server_log="$data_dir/server.log"
server_pid=""

cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    # The server drains for at most 10 s on SIGTERM; do not wait forever.
    for _ in $(seq 1 150); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$data_dir"
}
trap cleanup EXIT

# A free loopback port (LOADTEST_PORT overrides).
port="${LOADTEST_PORT:-$(node -e '
  const s = require("net").createServer();
  s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')}"
url="http://127.0.0.1:$port"

echo "starting Engram on $url (PGlite in $data_dir)"
ENGRAM_DATA_DIR="$data_dir" HOST=127.0.0.1 PORT="$port" RATE_LIMIT_DISABLED=1 LOG_LEVEL=warn \
  node --import tsx src/cli/main.ts serve >"$server_log" 2>&1 &
server_pid=$!

# Wait for /readyz (model load and migrations), at most ~60 s.
ready=""
for _ in $(seq 1 120); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the server exited before it was ready; its log:" >&2
    cat "$server_log" >&2
    exit 1
  fi
  if node -e '
    fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
      .then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1));' "$url/readyz"; then
    ready=1
    break
  fi
  sleep 0.5
done
if [[ -z "$ready" ]]; then
  echo "the server was not ready within 60 s; its log:" >&2
  cat "$server_log" >&2
  exit 1
fi

status=0
ENGRAM_DATA_DIR="$data_dir" npm run -s loadtest -- --url "$url" --rps 10 --duration 5 --users 3 \
  --ttfv-interval 2s --max-p95-ms 2000 --max-error-rate 0.01 || status=$?

if [[ "$status" -ne 0 ]]; then
  echo "load test smoke failed (exit $status); server log:" >&2
  tail -n 50 "$server_log" >&2 || true
fi
exit "$status"
