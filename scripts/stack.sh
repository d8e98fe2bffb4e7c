#!/usr/bin/env bash
# The whole ToolTune stack on this machine, on embedded defaults: Kafka and the four services as plain
# `java -jar .../quarkus-app/quarkus-run.jar` processes (no Docker).
#
#   scripts/stack.sh up       build what is missing (quietly), start Kafka (scripts/kafka.sh) unless one is given or
#                             already runs, create the PostgreSQL databases if missing, start dataset-service,
#                             inference-service, trainer-service and the gateway, wait until each is ready, print the
#                             gateway URL (stdout) and the log folder, the console URL and a login key (stderr)
#   scripts/stack.sh down     stop what `up` started (by the pids it recorded), and nothing else
#   scripts/stack.sh status   what runs (exit 0 if all four services are ready, 3 otherwise)
#   scripts/stack.sh env      the settings a client needs (TOOLTUNE_GATEWAY_URL, QUARKUS_DATASOURCE_JDBC_URL of the
#                             gateway's database for scripts/admin.sh), as shell assignments
#
# Embedded defaults: local PostgreSQL, the tiny random Gemma 3 (tooltune/gemma-3-tiny-random, real tokenizer), CPU,
# a directory as artifact store, a generated internal token. Settings (environment):
#   TOOLTUNE_STACK_DIR=.work/stack     logs/, pids/, artifacts/, the internal token; printed by `up`
#   TOOLTUNE_STACK_PORT=8080           gateway port; dataset-service +1, trainer-service +2, inference-service +3
#   KAFKA_BOOTSTRAP_SERVERS            use this broker (nothing is started); else a broker of scripts/kafka.sh on
#                                      KAFKA_PORT (9092): an already running one is used and left running
#   PGHOST/PGPORT/PGUSER               PostgreSQL (127.0.0.1, 5432, postgres; trust authentication)
#   TOOLTUNE_STACK_DATASET_DB=tooltune, TOOLTUNE_STACK_GATEWAY_DB=tooltune_gateway   databases (created if missing)
#   TOOLTUNE_STACK_BASE_MODEL=tooltune/gemma-3-tiny-random   the base model inference-service serves
#   TOOLTUNE_STACK_DEVICE=cpu          device of trainer and inference (cpu, auto, gpu)
#   TOOLTUNE_STACK_HEAP=1g             -Xmx of each service
#   TOOLTUNE_STACK_TIMEOUT=300         seconds to wait for the services to be ready
#   TOOLTUNE_STACK_TENANT=demo         tenant of the console login key that `up` prints (TOOLTUNE_STACK_LOGIN_KEY=0: none)
# `up` ends with the web console's URL and a fresh login key on stderr (the key of the previous `up` is revoked);
# logs of earlier runs are kept as logs/NAME.<time>.log (five per name).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

STACK_DIR="${TOOLTUNE_STACK_DIR:-$ROOT/.work/stack}"
PORT="${TOOLTUNE_STACK_PORT:-8080}"
PGHOST="${PGHOST:-127.0.0.1}"; PGPORT="${PGPORT:-5432}"; PGUSER="${PGUSER:-postgres}"
DATASET_DB="${TOOLTUNE_STACK_DATASET_DB:-tooltune}"
GATEWAY_DB="${TOOLTUNE_STACK_GATEWAY_DB:-tooltune_gateway}"
BASE_MODEL="${TOOLTUNE_STACK_BASE_MODEL:-tooltune/gemma-3-tiny-random}"
DEVICE="${TOOLTUNE_STACK_DEVICE:-cpu}"
HEAP="${TOOLTUNE_STACK_HEAP:-1g}"
TIMEOUT="${TOOLTUNE_STACK_TIMEOUT:-300}"
SERVICES=(dataset-service inference-service trainer-service gateway)
# down/status/env of a running stack use the settings that `up` recorded.
if [[ "${1:-}" != up && -f "$STACK_DIR/stack.env" ]]; then
  # shellcheck disable=SC1091
  source "$STACK_DIR/stack.env"
fi

port_of() {
  case "$1" in
    gateway) echo "$PORT" ;;
    dataset-service) echo $((PORT + 1)) ;;
    trainer-service) echo $((PORT + 2)) ;;
    inference-service) echo $((PORT + 3)) ;;
  esac
}
jar_of() { echo "$ROOT/$1/target/quarkus-app/quarkus-run.jar"; }
say() { echo "stack: $*" >&2; }
fail() { echo "stack: error: $*" >&2; exit 1; }

# The pid recorded for a service, if that process is alive and still runs this stack's jar.
live_pid() {
  local file="$STACK_DIR/pids/$1.pid" pid
  [[ -f "$file" ]] || return 1
  pid=$(<"$file")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$(jar_of "$1")" || return 1
  echo "$pid"
}

ready() { curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$(port_of "$1")/q/health/ready"; }

bootstrap() {
  if [[ -f "$STACK_DIR/kafka.bootstrap" ]]; then cat "$STACK_DIR/kafka.bootstrap"; else echo "${KAFKA_BOOTSTRAP_SERVERS:-localhost:${KAFKA_PORT:-9092}}"; fi
}

# An earlier run's log is kept as NAME.<its time>.log (the newest KEEP_LOGS per name), so `up` never overwrites it.
KEEP_LOGS=5
keep_log() {
  local log="$1" base stamp
  [[ -s "$log" ]] || return 0
  base="${log%.log}"
  stamp=$(date -r "$log" +%Y%m%d-%H%M%S)
  mv -f "$log" "$base.$stamp.log"
  # shellcheck disable=SC2012
  ls -1t "$base".[0-9]*-[0-9]*.log 2>/dev/null | tail -n +$((KEEP_LOGS + 1)) | xargs -r rm -f
}

build_missing() {
  local missing=()
  for s in "${SERVICES[@]}"; do [[ -f "$(jar_of "$s")" ]] || missing+=("$s"); done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local list log="$STACK_DIR/logs/build.log" start=$SECONDS module="" status
  list=$(IFS=,; echo "${missing[*]}")
  keep_log "$log"
  say "building $list (mvn package -DskipTests; the first build fetches dependencies, the tokenizer and the"
  say "  console's npm packages: several minutes on 2 cores; each module is listed as it starts; full log: $log)"
  # Maven's "--< group:artifact >--" line names the module; its "Building ... [n/N]" line says how far the build is;
  # a module that takes long (a Quarkus app, the first dependency downloads) gets a line every 30 seconds.
  set +e
  mvn -B -pl "$list" -am package -DskipTests 2>&1 | tee "$log" | while :; do
    if IFS= read -r -t 30 line; then
      if [[ "$line" =~ \<\ [^:]+:([^ ]+)\ \> ]]; then
        module="${BASH_REMATCH[1]}"
      elif [[ "$line" =~ ^\[INFO\]\ Building\ .*\[([0-9]+)/([0-9]+)\]$ ]]; then
        say "  build ${BASH_REMATCH[1]}/${BASH_REMATCH[2]}: $module ($((SECONDS - start))s so far)"
      fi
    elif (($? > 128)); then
      say "    still building ${module:-(Maven starting)} ($((SECONDS - start))s so far)"
    else
      break
    fi
  done
  status=${PIPESTATUS[0]}
  set -e
  if [[ $status -ne 0 ]]; then
    { grep -E '^\[(ERROR|FATAL)\]' "$log" || tail -40 "$log"; } | head -40 >&2 || true
    fail "build failed; see $log"
  fi
  say "  built in $((SECONDS - start))s"
}

ensure_database() {
  local db="$1"
  if ! psql -X -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -tAc "select 1 from pg_database where datname='$db'" | grep -q 1; then
    psql -X -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qc "create database \"$db\"" >/dev/null \
      || fail "cannot create database $db at $PGHOST:$PGPORT"
    say "created database $db"
  fi
}

start_kafka() {
  if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
    say "Kafka: using KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS"
    echo "$KAFKA_BOOTSTRAP_SERVERS" >"$STACK_DIR/kafka.bootstrap"
    return 0
  fi
  local bootstrap="${KAFKA_HOST:-localhost}:${KAFKA_PORT:-9092}"
  echo "$bootstrap" >"$STACK_DIR/kafka.bootstrap"
  if scripts/kafka.sh status >/dev/null 2>&1; then
    say "Kafka: using the broker already running at $bootstrap (left running by down)"
    return 0
  fi
  say "Kafka: starting a broker at $bootstrap"
  keep_log "$STACK_DIR/logs/kafka-start.log"
  scripts/kafka.sh start >"$STACK_DIR/logs/kafka-start.log" 2>&1 \
    || { tail -20 "$STACK_DIR/logs/kafka-start.log" >&2; fail "Kafka did not start"; }
  echo "${KAFKA_PORT:-9092}" >"$STACK_DIR/kafka.started"
}

start_service() {
  local name="$1"; shift
  if pid=$(live_pid "$name"); then
    say "$name already runs (pid $pid)"
    return 0
  fi
  local port; port=$(port_of "$name")
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "port $port (for $name) is taken by another process; set TOOLTUNE_STACK_PORT to move the stack"
  fi
  keep_log "$STACK_DIR/logs/$name.log"
  # setsid: the service gets its own process group, so a Ctrl-C of the caller does not kill it half-way; down stops it.
  env "$@" QUARKUS_HTTP_PORT="$port" KAFKA_BOOTSTRAP_SERVERS="$(bootstrap)" TOOLTUNE_INTERNAL_TOKEN="$(<"$STACK_DIR/internal-token")" \
    setsid java "-Xmx$HEAP" -XX:+UseSerialGC -jar "$(jar_of "$name")" >"$STACK_DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$STACK_DIR/pids/$name.pid"
  say "$name starting on port $port (pid $!)"
}

wait_ready() {
  local deadline=$((SECONDS + TIMEOUT)) pending begin=$SECONDS next_note=$((SECONDS + 30))
  while :; do
    pending=()
    for s in "${SERVICES[@]}"; do
      ready "$s" && continue
      live_pid "$s" >/dev/null || { tail -30 "$STACK_DIR/logs/$s.log" >&2; fail "$s exited; see $STACK_DIR/logs/$s.log"; }
      pending+=("$s")
    done
    [[ ${#pending[@]} -eq 0 ]] && return 0
    ((SECONDS < deadline)) || fail "not ready after ${TIMEOUT}s: ${pending[*]} (logs in $STACK_DIR/logs)"
    if ((SECONDS >= next_note)); then
      say "  still starting: ${pending[*]} ($((SECONDS - begin))s so far; the model loads first)"
      next_note=$((SECONDS + 30))
    fi
    sleep 1
  done
}

up() {
  mkdir -p "$STACK_DIR/logs" "$STACK_DIR/pids" "$STACK_DIR/artifacts" "$STACK_DIR/work"
  (exec 3<>"/dev/tcp/$PGHOST/$PGPORT") 2>/dev/null || fail "PostgreSQL is not reachable at $PGHOST:$PGPORT (see docs/development.md)"
  command -v psql >/dev/null || fail "psql is needed (to create the databases and for scripts/admin.sh)"
  [[ -s "$STACK_DIR/internal-token" ]] || (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$STACK_DIR/internal-token")
  printf 'PORT=%q\nPGHOST=%q\nPGPORT=%q\nPGUSER=%q\nGATEWAY_DB=%q\n' "$PORT" "$PGHOST" "$PGPORT" "$PGUSER" "$GATEWAY_DB" \
    >"$STACK_DIR/stack.env"
  build_missing
  ensure_database "$DATASET_DB"
  ensure_database "$GATEWAY_DB"
  start_kafka
  local dataset="http://127.0.0.1:$(port_of dataset-service)"
  # On the CPU no CUDA is expected: DJL's probe for GPUs ("Failed to detect GPU count: CUDA driver version is
  # insufficient...") would only alarm. With gpu or auto it stays, since there it tells why no GPU was found.
  local cuda_log=INFO
  [[ "$DEVICE" == cpu ]] && cuda_log=ERROR
  start_service dataset-service \
    QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://$PGHOST:$PGPORT/$DATASET_DB?reWriteBatchedInserts=true" \
    QUARKUS_DATASOURCE_USERNAME="$PGUSER"
  start_service inference-service \
    TOOLTUNE_INFERENCE_MODEL_ID="$BASE_MODEL" TOOLTUNE_BASE_MODEL="$BASE_MODEL" TOOLTUNE_DEVICE="$DEVICE" \
    TOOLTUNE_ARTIFACTS_URI="$STACK_DIR/artifacts" \
    TOOLTUNE_INFERENCE_ADAPTERS_CACHE_DIRECTORY="$STACK_DIR/work/inference-adapters" \
    QUARKUS_LOG_CATEGORY__AI_DJL_UTIL_CUDA__LEVEL="$cuda_log"
  start_service trainer-service \
    TOOLTUNE_TRAINER_DATASET_SERVICE_URL="$dataset" TOOLTUNE_TRAINER_DEVICE="$DEVICE" \
    TOOLTUNE_ARTIFACTS_URI="$STACK_DIR/artifacts" TOOLTUNE_TRAINER_WORK_DIRECTORY="$STACK_DIR/work/trainer" \
    QUARKUS_LOG_CATEGORY__AI_DJL_UTIL_CUDA__LEVEL="$cuda_log"
  start_service gateway \
    QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://$PGHOST:$PGPORT/$GATEWAY_DB" QUARKUS_DATASOURCE_USERNAME="$PGUSER" \
    TOOLTUNE_GATEWAY_DATASET_SERVICE_URL="$dataset" \
    TOOLTUNE_GATEWAY_INFERENCE_SERVICE_URL="http://127.0.0.1:$(port_of inference-service)"
  say "waiting for the services to be ready (up to ${TIMEOUT}s)"
  wait_ready
  say "ready; logs in $STACK_DIR/logs (earlier runs' logs kept beside them)"
  console_login
  echo "http://127.0.0.1:$PORT"
}

# A fresh API key for the web console, shown once on the terminal (stderr; stdout stays the gateway URL alone). The
# key that the previous `up` printed is revoked, so only the newest one printed works. TOOLTUNE_STACK_TENANT (demo)
# is its tenant; TOOLTUNE_STACK_LOGIN_KEY=0 prints none.
console_login() {
  [[ "${TOOLTUNE_STACK_LOGIN_KEY:-1}" == 0 ]] && return 0
  local db="jdbc:postgresql://$PGHOST:$PGPORT/$GATEWAY_DB" key id_file="$STACK_DIR/login-key.id" previous
  if [[ -s "$id_file" ]]; then
    previous=$(<"$id_file")
    QUARKUS_DATASOURCE_JDBC_URL="$db" scripts/admin.sh revoke-key "$previous" >/dev/null 2>&1 || true
  fi
  key=$(QUARKUS_DATASOURCE_JDBC_URL="$db" scripts/admin.sh create-key --tenant "${TOOLTUNE_STACK_TENANT:-demo}" 2>"$STACK_DIR/login-key.err") \
    || { cat "$STACK_DIR/login-key.err" >&2; say "no login key (admin.sh failed)"; return 0; }
  grep -o 'key_[A-Za-z0-9_-]*' "$STACK_DIR/login-key.err" | head -1 >"$id_file" || true
  rm -f "$STACK_DIR/login-key.err"
  print_console "$key"
}

print_console() {
  {
    echo
    echo "  Console:   http://127.0.0.1:$PORT/"
    echo "  Login key: $1"
    echo "             (tenant ${TOOLTUNE_STACK_TENANT:-demo}; shown only now, stored hashed; the next 'up' revokes it;"
    echo "              more keys: scripts/admin.sh create-key --tenant NAME)"
    echo
  } >&2
}

down() {
  local pids=() pid
  for s in gateway trainer-service inference-service dataset-service; do
    if pid=$(live_pid "$s"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid:$s")
    fi
    rm -f "$STACK_DIR/pids/$s.pid"
  done
  for entry in "${pids[@]}"; do
    pid="${entry%%:*}"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    say "stopped ${entry#*:}"
  done
  if [[ -f "$STACK_DIR/kafka.started" ]]; then
    KAFKA_PORT="$(<"$STACK_DIR/kafka.started")" scripts/kafka.sh stop >/dev/null 2>&1 || true
    rm -f "$STACK_DIR/kafka.started"
    say "stopped the Kafka broker it started"
  fi
  rm -f "$STACK_DIR/kafka.bootstrap"
}

status() {
  local all=0 pid
  for s in "${SERVICES[@]}"; do
    if pid=$(live_pid "$s"); then
      if ready "$s"; then echo "$s: ready on port $(port_of "$s") (pid $pid)"; else echo "$s: starting or unhealthy on port $(port_of "$s") (pid $pid)"; all=3; fi
    else
      echo "$s: not running"; all=3
    fi
  done
  if [[ -f "$STACK_DIR/kafka.bootstrap" ]]; then
    echo "kafka: $(<"$STACK_DIR/kafka.bootstrap")$([[ -f "$STACK_DIR/kafka.started" ]] && echo ' (started by the stack)')"
  else
    echo "kafka: not used"
  fi
  echo "logs: $STACK_DIR/logs"
  return $all
}

client_env() {
  echo "TOOLTUNE_GATEWAY_URL=http://127.0.0.1:$PORT"
  echo "QUARKUS_DATASOURCE_JDBC_URL=jdbc:postgresql://$PGHOST:$PGPORT/$GATEWAY_DB"
  echo "TOOLTUNE_STACK_LOGS=$STACK_DIR/logs"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) client_env ;;
  *) echo "usage: scripts/stack.sh up|down|status|env" >&2; exit 2 ;;
esac
