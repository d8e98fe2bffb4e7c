#!/usr/bin/env bash
# The one test command (README, CI's .ci/run): all tests of the whole build against real infrastructure.
#   1. PostgreSQL must already be running: the server at 127.0.0.1:5432 by default (host and port are taken
#      from QUARKUS_DATASOURCE_JDBC_URL when that is set, else PGHOST / PGPORT).
#   2. Kafka: a broker from scripts/kafka.sh is started for the run and stopped (data deleted) on exit. A broker
#      that was already running is used and left running; KAFKA_BOOTSTRAP_SERVERS set means "use that one".
#   3. Tools the tests call that a fresh machine may lack: docker-compose (deploy-checks runs `docker-compose config`)
#      is installed from Debian's packages when missing and this runs as root; kubectl comes with the machine image.
#      The console's browser test (e2e-tests ConsoleIT, e2e-tests/console/run.sh) installs Debian's chromium the same
#      way, and playwright-core with npm ci.
#   4. mvn -B verify (extra arguments are passed to Maven).
#   5. scripts/interop-check.sh: what model-core writes loads in transformers + peft with the same logits (installs its
#      Python packages into a venv under the cache once). Skipped when Maven failed or extra Maven arguments were given.
#   The exit status is Maven's, or the interop check's when Maven passed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

main() {
  pg_host="${PGHOST:-127.0.0.1}"
  pg_port="${PGPORT:-5432}"
  if [[ "${QUARKUS_DATASOURCE_JDBC_URL:-}" =~ ^jdbc:postgresql://([^:/?]+)(:([0-9]+))? ]]; then
    pg_host="${BASH_REMATCH[1]}"
    pg_port="${BASH_REMATCH[3]:-5432}"
  fi
  if ! (exec 3<>"/dev/tcp/$pg_host/$pg_port") 2>/dev/null; then
    echo "test.sh: error: PostgreSQL is not reachable at $pg_host:$pg_port. The tests need a running server" >&2
    echo "  (default 127.0.0.1:5432, user postgres, database test). Start it, or point QUARKUS_DATASOURCE_JDBC_URL" >&2
    echo "  (or PGHOST/PGPORT) at one; see docs/development.md." >&2
    exit 1
  fi
  echo "test.sh: PostgreSQL reachable at $pg_host:$pg_port"

  if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
    echo "test.sh: using the Kafka broker at KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS"
  elif scripts/kafka.sh status >/dev/null; then
    echo "test.sh: using the already running broker ($(scripts/kafka.sh status)); it is left running"
    export KAFKA_BOOTSTRAP_SERVERS="${KAFKA_HOST:-localhost}:${KAFKA_PORT:-9092}"
  else
    trap 'scripts/kafka.sh stop' EXIT
    # A Ctrl-C or kill must still run the EXIT trap, so that no broker is left behind.
    trap 'exit 130' INT
    trap 'exit 143' TERM
    scripts/kafka.sh start
    export KAFKA_BOOTSTRAP_SERVERS="${KAFKA_HOST:-localhost}:${KAFKA_PORT:-9092}"
  fi

  if ! command -v "${DOCKER_COMPOSE:-docker-compose}" >/dev/null; then
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
      echo "test.sh: installing docker-compose (Debian package; deploy-checks validates docker-compose.yml with it)"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
    else
      echo "test.sh: warning: docker-compose is not installed; deploy-checks' compose tests will fail" >&2
    fi
  fi

  set +e
  mvn -B verify "$@"
  status=$?
  set -e
  echo "test.sh: mvn -B verify $* exited with status $status"
  if [[ $status -eq 0 && $# -eq 0 ]]; then
    set +e
    scripts/interop-check.sh
    status=$?
    set -e
    echo "test.sh: scripts/interop-check.sh exited with status $status"
  fi
  exit "$status"
}

# On one line, so that bash has read it whole before Maven runs: editing or pulling this file during a run cannot
# make it execute a half-read line.
main "$@"; exit
