#!/usr/bin/env bash
# A local Citus cluster for the tests and benches: a coordinator and two workers, each a PostgreSQL 15
# cluster of its own (initdb) on its own port, in one temporary directory. Idempotent: nodes that
# answer are left alone, stopped ones are started, missing ones are created.
#
#   bash scripts/citus-cluster.sh start    create and/or start the three nodes (default)
#   bash scripts/citus-cluster.sh stop     stop them (the directory stays)
#   bash scripts/citus-cluster.sh destroy  stop them and remove the directory
#   bash scripts/citus-cluster.sh status   one line per node
#
#   ENGRAM_CITUS_DIR    where the nodes live (default /tmp/engram-citus)
#   ENGRAM_CITUS_PORT   the coordinator's port (default 9700); the workers take the next two
#
# A database becomes a Citus database when it has the extension and knows its workers; the tests do
# that per database (test/helpers/citus.ts), an operator once (docs/OPERATIONS.md, "Citus").
# Needs the citus extension installed (scripts/install-citus.sh). Runs the servers as the postgres
# OS user when started as root.
set -euo pipefail

DIR="${ENGRAM_CITUS_DIR:-/tmp/engram-citus}"
BASE_PORT="${ENGRAM_CITUS_PORT:-9700}"
PG_BIN=/usr/lib/postgresql/15/bin
NODES=(coordinator worker1 worker2)

say() { echo "[citus-cluster] $*"; }
die() { echo "[citus-cluster] ERROR: $*" >&2; exit 1; }

as_pg() {
  if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
port_of() { echo $((BASE_PORT + $1)); }
up() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" >/dev/null 2>&1; }

create_node() {
  local name="$1" port="$2" data="$DIR/$1"
  as_pg "$PG_BIN/initdb" -D "$data" -A trust -U postgres --no-sync -E UTF8 >"$DIR/$name.initdb.log" 2>&1 \
    || { cat "$DIR/$name.initdb.log" >&2; die "initdb failed for $name"; }
  # wal_level=logical: shard moves copy online through logical replication (citus_rebalance_start).
  # max_prepared_transactions: a multi-shard write commits with two-phase commit.
  cat >>"$data/postgresql.conf" <<CONF

# --- engram test cluster ($name) ---
shared_preload_libraries = 'citus'
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$DIR'
max_connections = 400
max_prepared_transactions = 200
# Citus runs a maintenance daemon per Citus database, plus background task executors (rebalancing)
# and, on workers, logical replication workers: the default of 8 runs out with a few databases.
max_worker_processes = 64
wal_level = logical
max_wal_senders = 20
max_replication_slots = 20
shared_buffers = 256MB
maintenance_work_mem = 256MB
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
CONF
}

start_all() {
  [[ -f /usr/share/postgresql/15/extension/citus.control ]] \
    || die "the citus extension is not installed (bash scripts/install-citus.sh)"
  mkdir -p "$DIR"
  [[ "$(id -u)" -eq 0 ]] && chown postgres:postgres "$DIR"
  local i name port
  for i in "${!NODES[@]}"; do
    name="${NODES[$i]}"
    port="$(port_of "$i")"
    if up "$port"; then
      say "$name: running on 127.0.0.1:$port"
      continue
    fi
    [[ -f "$DIR/$name/PG_VERSION" ]] || create_node "$name" "$port"
    as_pg "$PG_BIN/pg_ctl" -D "$DIR/$name" -l "$DIR/$name.log" -w -t 60 start >/dev/null \
      || { tail -n 20 "$DIR/$name.log" >&2; die "$name did not start on port $port"; }
    say "$name: started on 127.0.0.1:$port ($DIR/$name)"
  done
}

stop_all() {
  local name
  for name in "${NODES[@]}"; do
    [[ -f "$DIR/$name/postmaster.pid" ]] || continue
    as_pg "$PG_BIN/pg_ctl" -D "$DIR/$name" -m fast -w stop >/dev/null && say "$name: stopped"
  done
}

case "${1:-start}" in
  start) start_all ;;
  stop) stop_all ;;
  destroy) stop_all; rm -rf "$DIR"; say "removed $DIR" ;;
  status)
    for i in "${!NODES[@]}"; do
      port="$(port_of "$i")"
      if up "$port"; then say "${NODES[$i]}: up on 127.0.0.1:$port"; else say "${NODES[$i]}: down (port $port)"; fi
    done
    ;;
  *) die "usage: $0 [start|stop|destroy|status]" ;;
esac
