#!/usr/bin/env bash
# Start time of gateway, trainer-service and inference-service each alone (Quarkus' "started in"), for two or more
# checkouts with their jars built, ROUNDS rounds alternating the checkouts; CSV on stdout. Needs a broker on
# KAFKA_PORT (19000: `KAFKA_PORT=19000 scripts/kafka.sh start`) and PostgreSQL on 127.0.0.1:5432 (the gateway gets a
# database tt_alone_<checkout folder>_gw, created if missing). Issue #23: what the extensions cost at start-up.
#
#   ROUNDS=5 bench/quarkus-startup-alone.sh /path/to/base-checkout /path/to/this-checkout
#   SERVICES=inference-service bench/quarkus-startup-alone.sh ...   (only these services; default all three)
# The services inherit the environment, so a setting can be tried on a built jar without a rebuild, e.g.
# MP_MESSAGING_INCOMING_ADAPTERS_LAZY_CLIENT=true.
set -u
ROUNDS="${ROUNDS:-5}" PORT="${PORT:-18703}" KAFKA_PORT="${KAFKA_PORT:-19000}"
SERVICES="${SERVICES:-inference-service trainer-service gateway}"

started() {   # checkout service -> seconds, or FAILED
  local co=$1 svc=$2 tmp pid s db
  tmp=$(mktemp -d)
  db="tt_alone_$(basename "$co" | tr -c 'a-zA-Z0-9\n' _)_gw"
  local extra=()
  case $svc in
    inference-service) extra=(TOOLTUNE_INFERENCE_MODEL_ID=tooltune/gemma-3-tiny-random
      TOOLTUNE_BASE_MODEL=tooltune/gemma-3-tiny-random TOOLTUNE_DEVICE=cpu TOOLTUNE_ARTIFACTS_URI="$tmp/artifacts"
      TOOLTUNE_INFERENCE_ADAPTERS_CACHE_DIRECTORY="$tmp/adapters" QUARKUS_LOG_CATEGORY__AI_DJL_UTIL_CUDA__LEVEL=ERROR) ;;
    trainer-service) extra=(TOOLTUNE_TRAINER_DATASET_SERVICE_URL=http://127.0.0.1:1 TOOLTUNE_TRAINER_DEVICE=cpu
      TOOLTUNE_TRAINER_GATEWAY_URL=http://127.0.0.1:1 TOOLTUNE_ARTIFACTS_URI="$tmp/artifacts"
      TOOLTUNE_TRAINER_WORK_DIRECTORY="$tmp/work" QUARKUS_LOG_CATEGORY__AI_DJL_UTIL_CUDA__LEVEL=ERROR) ;;
    gateway)
      psql -X -h 127.0.0.1 -U postgres -d postgres -tAc "select 1 from pg_database where datname='$db'" | grep -q 1 \
        || createdb -h 127.0.0.1 -U postgres "$db"
      extra=(QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://127.0.0.1:5432/$db" QUARKUS_DATASOURCE_USERNAME=postgres
        TOOLTUNE_GATEWAY_DATASET_SERVICE_URL=http://127.0.0.1:1 TOOLTUNE_GATEWAY_INFERENCE_SERVICE_URL=http://127.0.0.1:1) ;;
  esac
  env "${extra[@]}" QUARKUS_HTTP_PORT="$PORT" KAFKA_BOOTSTRAP_SERVERS="localhost:$KAFKA_PORT" TOOLTUNE_INTERNAL_TOKEN=bench \
    java -Xmx1g -XX:+UseSerialGC -jar "$co/$svc/target/quarkus-app/quarkus-run.jar" >"$tmp/log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    grep -q "started in" "$tmp/log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  s=$(grep -o 'started in [0-9.]*s' "$tmp/log" | grep -o '[0-9.]*' | head -1)
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  [[ -z "$s" ]] && tail -5 "$tmp/log" >&2
  rm -rf "$tmp"
  echo "${s:-FAILED}"
}

echo "checkout,service,started_s"
for _ in $(seq 1 "$ROUNDS"); do
  for svc in $SERVICES; do
    for co in "$@"; do
      echo "$(basename "$co"),$svc,$(started "$co" "$svc")"
    done
  done
done
