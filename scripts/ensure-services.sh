#!/usr/bin/env bash
# Make sure the local PostgreSQL 15 (127.0.0.1:5432) and Redis (127.0.0.1:6379)
# are running; start them if not, and wait up to ~30 s for them to answer.
set -euo pipefail

# Overridable only for testing this script; CI uses the defaults.
PG_HOST=127.0.0.1
PG_PORT="${ENSURE_PG_PORT:-5432}"
REDIS_HOST=127.0.0.1
REDIS_PORT="${ENSURE_REDIS_PORT:-6379}"
TIMEOUT_SECS="${ENSURE_TIMEOUT_SECS:-30}"

log() { echo "[ensure-services] $*"; }

pg_up()    { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" >/dev/null 2>&1; }
redis_up() { [[ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]; }

# --- PostgreSQL ------------------------------------------------------------
if pg_up; then
  log "PostgreSQL already up on ${PG_HOST}:${PG_PORT}"
else
  log "starting PostgreSQL 15 (cluster 'main')"
  # A non-zero exit here (e.g. "already running" races) is not fatal; the
  # readiness wait below is the real check.
  pg_ctlcluster --skip-systemctl-redirect 15 main start </dev/null \
    || log "pg_ctlcluster returned non-zero; waiting for readiness anyway"
fi

# --- Redis -----------------------------------------------------------------
if redis_up; then
  log "Redis already up on ${REDIS_HOST}:${REDIS_PORT}"
else
  log "starting Redis"
  redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" \
    --save "" --appendonly no </dev/null \
    || log "redis-server returned non-zero; waiting for readiness anyway"
fi

# --- Wait --------------------------------------------------------------------
deadline=$(( SECONDS + TIMEOUT_SECS ))
pg_ok=0
redis_ok=0
while :; do
  (( pg_ok ))    || { pg_up    && pg_ok=1; } || true
  (( redis_ok )) || { redis_up && redis_ok=1; } || true
  if (( pg_ok && redis_ok )); then
    break
  fi
  if (( SECONDS >= deadline )); then
    break
  fi
  sleep 1
done

status=0
if (( ! pg_ok )); then
  echo "[ensure-services] ERROR: PostgreSQL is not accepting connections on ${PG_HOST}:${PG_PORT} after ${TIMEOUT_SECS}s (check /var/log/postgresql/postgresql-15-main.log)" >&2
  status=1
fi
if (( ! redis_ok )); then
  echo "[ensure-services] ERROR: Redis is not answering PING on ${REDIS_HOST}:${REDIS_PORT} after ${TIMEOUT_SECS}s" >&2
  status=1
fi
if (( status == 0 )); then
  log "PostgreSQL and Redis are up"
fi
exit "$status"
