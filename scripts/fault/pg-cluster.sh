#!/usr/bin/env bash
# A throwaway PostgreSQL cluster of one's own, so the suite can restart a database server without touching the
# machine's shared one (127.0.0.1:5432, which other people's tests use: never restart that).
#
#   FAULT_PG_PORT=55432 scripts/fault/pg-cluster.sh start     initdb (trust, loopback, socket in /tmp) if missing, start
#   scripts/fault/pg-cluster.sh restart                       pg_ctl restart -m fast (connections are cut)
#   scripts/fault/pg-cluster.sh stop | wipe                   stop; wipe also deletes the cluster's directory
#   scripts/fault/pg-cluster.sh status                        exit 0 if it accepts connections
#
# Settings: FAULT_PG_PORT=55432, FAULT_PG_DIR=${TMPDIR:-/tmp}/tooltune-fault-pg-$FAULT_PG_PORT, PG_BIN (the newest
# /usr/lib/postgresql/*/bin). Run as root, the server runs as the postgres user (PostgreSQL refuses to run as root).
# Point the stack at it with PGHOST=127.0.0.1 PGPORT=$FAULT_PG_PORT (scripts/stack.sh creates its databases).
set -euo pipefail
PORT="${FAULT_PG_PORT:-55432}"
DIR="${FAULT_PG_DIR:-${TMPDIR:-/tmp}/tooltune-fault-pg-$PORT}"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
[[ -x "$PG_BIN/pg_ctl" ]] || { echo "pg-cluster: no pg_ctl under /usr/lib/postgresql/*/bin (set PG_BIN)" >&2; exit 1; }

as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
ctl() { as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 "$@"; }

case "${1:-}" in
  start)
    if [[ ! -f "$DIR/data/PG_VERSION" ]]; then
      mkdir -p "$DIR"; [[ $(id -u) -eq 0 ]] && chown postgres "$DIR"
      as_pg "$PG_BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 >"$DIR/initdb.log" 2>&1 \
        || { cat "$DIR/initdb.log" >&2; exit 1; }
    fi
    ctl status >/dev/null 2>&1 || ctl -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1" start >/dev/null
    echo "pg-cluster: up on 127.0.0.1:$PORT ($DIR)" >&2 ;;
  restart) ctl -m fast -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1" restart >/dev/null; echo "pg-cluster: restarted" >&2 ;;
  stop) ctl -m fast stop >/dev/null 2>&1 || true; echo "pg-cluster: stopped" >&2 ;;
  wipe) ctl -m fast stop >/dev/null 2>&1 || true; rm -rf "$DIR"; echo "pg-cluster: deleted $DIR" >&2 ;;
  status) as_pg "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q ;;
  *) echo "usage: scripts/fault/pg-cluster.sh start|restart|stop|wipe|status" >&2; exit 2 ;;
esac
