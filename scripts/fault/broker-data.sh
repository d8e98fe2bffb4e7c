#!/usr/bin/env bash
# Fault case "broker restart": a message on the compacted adapters topic survives `kafka.sh stop` + `start` and a
# kill -9 of the broker + `start`; only `kafka.sh wipe` deletes it. Runs its own throwaway broker (loopback).
#
#   KAFKA_PORT=19204 scripts/fault/broker-data.sh      exit 0 if every case holds; prints one line per case
#
# On the old kafka.sh (stop deleted the data; a start after a kill formatted fresh storage) the first case fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export KAFKA_PORT="${KAFKA_PORT:-19204}"
export KAFKA_DIR="${TMPDIR:-/tmp}/tooltune-fault-broker-$KAFKA_PORT"
JARS="${TOOLTUNE_CACHE:-$HOME/.cache/tooltune}/kafka-${KAFKA_VERSION:-4.2.0}"
BOOTSTRAP="localhost:$KAFKA_PORT"
LOG4J="-Dlog4j2.configurationFile=$PWD/scripts/kafka/log4j2.properties -Dkafka.logs.dir=$KAFKA_DIR/logs"
failures=0

trap 'scripts/kafka.sh wipe >/dev/null 2>&1 || true' EXIT

produce() { # key value
  echo "$1|$2" | java $LOG4J -cp "$JARS/*" org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$BOOTSTRAP" \
    --topic adapters --property parse.key=true --property key.separator='|' >/dev/null 2>&1
}
# Every key|value now on the topic (reads from the beginning until 8 s pass without a record).
consume() {
  java $LOG4J -cp "$JARS/*" org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$BOOTSTRAP" \
    --topic adapters --from-beginning --timeout-ms 8000 --formatter-property print.key=true --formatter-property key.separator='|' \
    2>/dev/null || true
}
check() { # case expected-present
  local seen; seen="$(consume)"
  if [[ "$2" == yes && "$seen" == *"adp-fault|kept"* ]] || [[ "$2" == no && "$seen" != *"adp-fault|kept"* ]]; then
    echo "PASS $1"
  else
    echo "FAIL $1 (topic holds: ${seen:-nothing})"; failures=$((failures + 1))
  fi
}

scripts/kafka.sh wipe >/dev/null 2>&1 || true
scripts/kafka.sh start >/dev/null
produce adp-fault kept
check "message readable after produce" yes

scripts/kafka.sh stop >/dev/null
scripts/kafka.sh start >/dev/null
check "kafka.sh stop + start keeps the adapters topic" yes

kill -9 "$(cat "$KAFKA_DIR/broker.pid")"
sleep 1
scripts/kafka.sh start >/dev/null
check "kill -9 of the broker + start keeps the adapters topic" yes

scripts/kafka.sh wipe >/dev/null
scripts/kafka.sh start >/dev/null
check "kafka.sh wipe + start begins empty" no

exit $((failures > 0))
