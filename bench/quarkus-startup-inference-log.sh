#!/usr/bin/env bash
# One start of inference-service alone (the settings of bench/quarkus-startup-alone.sh) with a log whose timestamps
# have milliseconds, kept in $2, to see where its start-up waits: e.g. the main thread between the Kafka connector's
# SRMSG18229 (channel configured) and SRMSG18219 (rebalance listener loaded) waits for the channel's KafkaConsumer
# to be created. Needs a broker on KAFKA_PORT (default 19000). The environment is passed on (try a setting with
# MP_MESSAGING_INCOMING_ADAPTERS_LAZY_CLIENT=false, say).
#
#   bench/quarkus-startup-inference-log.sh /path/to/checkout /tmp/inference-start.log
co=$1 log=$2 tmp=$(mktemp -d)
env TOOLTUNE_INFERENCE_MODEL_ID=tooltune/gemma-3-tiny-random TOOLTUNE_BASE_MODEL=tooltune/gemma-3-tiny-random TOOLTUNE_DEVICE=cpu \
  TOOLTUNE_ARTIFACTS_URI="$tmp/artifacts" TOOLTUNE_INFERENCE_ADAPTERS_CACHE_DIRECTORY="$tmp/adapters" QUARKUS_LOG_CATEGORY__AI_DJL_UTIL_CUDA__LEVEL=ERROR \
  QUARKUS_HTTP_PORT=${PORT:-18703} KAFKA_BOOTSTRAP_SERVERS=localhost:${KAFKA_PORT:-19000} TOOLTUNE_INTERNAL_TOKEN=bench \
  QUARKUS_LOG_CONSOLE_FORMAT='%d{HH:mm:ss,SSS} %-5p [%c{2.}] (%t) %s%e%n' \
  java -Xmx1g -XX:+UseSerialGC -jar "$co/inference-service/target/quarkus-app/quarkus-run.jar" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do grep -q "started in" "$log" && break; sleep 0.1; done
sleep 3; kill $pid; wait $pid; rm -rf "$tmp"
