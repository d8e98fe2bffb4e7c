#!/usr/bin/env bash
# A local single-node Kafka broker (KRaft: broker and controller in one JVM) for development, tests and CI,
# run from the org.apache.kafka jars on Maven Central; no Docker, no Kafka download page.
#
#   scripts/kafka.sh start     fetch the jars once (cached), format storage unless an earlier start left it (its
#                              messages are kept: a stopped or killed broker comes back with its topics), start,
#                              create the missing topics, return when a client can produce; "already running" if it is
#   scripts/kafka.sh stop      stop the broker; its data is KEPT for the next start (like any real broker)
#   scripts/kafka.sh wipe      stop the broker if it runs and delete its data and log dirs (every message is lost)
#   scripts/kafka.sh restart   stop, then start (data kept)
#   scripts/kafka.sh status    exit 0 if running, 3 if not
#
# Settings (environment):
#   KAFKA_PORT=9092                 client listener (bootstrap: $KAFKA_HOST:$KAFKA_PORT)
#   KAFKA_CONTROLLER_PORT=9093      KRaft controller listener (default: KAFKA_PORT + 1)
#   KAFKA_HOST=localhost            interface to listen on and the host advertised to clients
#   KAFKA_DIR=$TMPDIR/tooltune-kafka-$KAFKA_PORT   pid file, server.properties; parent of the two below
#   KAFKA_DATA_DIR=$KAFKA_DIR/data  the broker's log.dirs (message storage)
#   KAFKA_LOG_DIR=$KAFKA_DIR/logs   server.log (broker log) and stdout.log
#   KAFKA_HEAP_OPTS="-Xms256m -Xmx512m"
#   KAFKA_JVM_OPTS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1"   (fast start; Kafka's own: -XX:+UseG1GC)
#   KAFKA_START_TIMEOUT=60          seconds to wait for the broker to accept clients
#   KAFKA_VERSION=4.2.0             jars cached in $TOOLTUNE_CACHE/kafka-$KAFKA_VERSION (never committed)
#   TOOLTUNE_CACHE=$HOME/.cache/tooltune
#   JAVA_HOME / MVN                 which java and mvn to use
# Topics created on start; they must match dev.tooltune.contracts.Topics (the contracts integration test checks).
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.2.0}"
KAFKA_HOST="${KAFKA_HOST:-localhost}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
TOOLTUNE_CACHE="${TOOLTUNE_CACHE:-$HOME/.cache/tooltune}"
KAFKA_JARS="$TOOLTUNE_CACHE/kafka-$KAFKA_VERSION"
KAFKA_DIR="${KAFKA_DIR:-${TMPDIR:-/tmp}/tooltune-kafka-$KAFKA_PORT}"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$KAFKA_DIR/data}"
KAFKA_LOG_DIR="${KAFKA_LOG_DIR:-$KAFKA_DIR/logs}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
# A local broker serves little traffic: the C1 compiler and the serial collector start it about 40% sooner on a
# busy 2-core machine (measured 15-20 s against 27-34 s) than Kafka's production flags (G1, C2).
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
KAFKA_TOPICS=(training-jobs:12 training-cancels:1 training-events:6 adapters:3:compact)

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
MVN="${MVN:-mvn}"
BOOTSTRAP="$KAFKA_HOST:$KAFKA_PORT"
PID_FILE="$KAFKA_DIR/broker.pid"
# Lists the directories this script created, so that stop deletes exactly those and nothing else.
CREATED_FILE="$KAFKA_DIR/created-dirs"

say() { echo "kafka.sh: $*"; }
fail() { echo "kafka.sh: error: $*" >&2; exit 1; }

now_ms() { date +%s%3N; }
seconds() { printf '%d.%01ds' $(($1 / 1000)) $(($1 % 1000 / 100)); }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# The pid from the pid file, if that process is alive and is the broker started with this KAFKA_DIR
# (a recycled pid belonging to something else is never signalled).
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $KAFKA_DIR/server.properties" || return 1
  echo "$pid"
}

with_lock() {
  mkdir -p "$TOOLTUNE_CACHE"
  exec 9>"$TOOLTUNE_CACHE/kafka-$KAFKA_PORT.lock"
  flock -w 180 9 || fail "another kafka.sh start/stop for port $KAFKA_PORT holds $TOOLTUNE_CACHE/kafka-$KAFKA_PORT.lock"
}

fetch_jars() {
  [[ -f "$KAFKA_JARS/.complete" ]] && return 0
  command -v "$MVN" >/dev/null || fail "Kafka jars are not cached in $KAFKA_JARS and '$MVN' (Maven) is not on PATH to fetch them"
  say "fetching Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_JARS (once)"
  local staging="$KAFKA_JARS.partial.$$"
  rm -rf "$staging"
  if ! "$MVN" -B -q -Dstyle.color=never -f "$SCRIPT_DIR/kafka/pom.xml" dependency:copy-dependencies \
      -Dkafka.version="$KAFKA_VERSION" -DincludeScope=runtime -DoutputDirectory="$staging" >&2; then
    rm -rf "$staging"
    fail "could not fetch the Kafka $KAFKA_VERSION jars with Maven (see the Maven output above)"
  fi
  touch "$staging/.complete"
  rm -rf "$KAFKA_JARS"
  mv "$staging" "$KAFKA_JARS"
}

# CreateTopics.java compiled once per version of its source (javac at every start would cost seconds).
compile_topic_tool() {
  local source="$SCRIPT_DIR/kafka/CreateTopics.java" hash
  hash="$(sha256sum "$source" | cut -c1-16)"
  TOPIC_TOOL_CLASSES="$TOOLTUNE_CACHE/kafka-tools-classes/$hash"
  [[ -f "$TOPIC_TOOL_CLASSES/CreateTopics.class" ]] && return 0
  local staging="$TOPIC_TOOL_CLASSES.partial.$$"
  mkdir -p "$staging"
  "${JAVA_HOME:+$JAVA_HOME/bin/}javac" -nowarn -d "$staging" -cp "$KAFKA_JARS/*" "$source" \
    || fail "could not compile $source (needs a JDK 17+, not only a JRE)"
  rm -rf "$TOPIC_TOOL_CLASSES"
  mv "$staging" "$TOPIC_TOOL_CLASSES"
}

# Deletes the directories a previous start created (listed in $CREATED_FILE), deepest first.
remove_created_dirs() {
  [[ -f "$CREATED_FILE" ]] || return 0
  local dir
  while IFS= read -r dir; do
    [[ -n "$dir" && "$dir" != "/" ]] && rm -rf -- "$dir"
  done < <(sort -r "$CREATED_FILE")
  rm -f "$CREATED_FILE" "$PID_FILE" "$KAFKA_DIR/server.properties"
  rmdir "$KAFKA_DIR" 2>/dev/null || true
}

make_dir() {
  local dir="$1"
  if [[ -e "$dir" ]]; then
    [[ -d "$dir" && -z "$(ls -A "$dir")" ]] || fail "$dir exists and is not empty; it was not created by kafka.sh, so it is left alone (choose another dir or empty it)"
    return 0
  fi
  mkdir -p "$dir"
  echo "$dir" >>"$CREATED_FILE"
}

random_cluster_id() {
  # A Kafka Uuid: 16 random bytes, URL-safe base64 without padding; Kafka itself avoids a leading '-'.
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    [[ "$id" != -* ]] && { echo "$id"; return; }
  done
}

write_server_properties() {
  cat >"$KAFKA_DIR/server.properties" <<EOF
# Written by scripts/kafka.sh start; deleted by wipe.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA_DIR
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
}

start() {
  with_lock
  local pid
  if pid="$(running_pid)"; then
    say "already running on $BOOTSTRAP (pid $pid, dir $KAFKA_DIR)"
    return 0
  fi
  port_open "$KAFKA_HOST" "$KAFKA_PORT" && fail "port $KAFKA_PORT on $KAFKA_HOST is already in use by another process (not a broker of this script with KAFKA_DIR=$KAFKA_DIR); set KAFKA_PORT"
  port_open "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT" && fail "controller port $KAFKA_CONTROLLER_PORT on $KAFKA_HOST is already in use; set KAFKA_CONTROLLER_PORT"
  command -v "$JAVA" >/dev/null || fail "java not found (set JAVA_HOME); Kafka $KAFKA_VERSION needs Java 17+"
  fetch_jars
  compile_topic_tool

  local started_ms
  started_ms="$(now_ms)"
  local classpath="$KAFKA_JARS/*" kept=""
  # Storage formatted by an earlier start (the broker was stopped, or died, or was killed) is started as it is:
  # its topics and messages (fine-tuned adapters, queued jobs, events) are the platform's state.
  if [[ -f "$KAFKA_DATA_DIR/meta.properties" && -f "$CREATED_FILE" ]]; then
    kept="kept data of the previous run in $KAFKA_DATA_DIR"
    write_server_properties
  else
    # A start that failed half-way may have left empty or partial dirs: those go, nothing else.
    remove_created_dirs
    make_dir "$KAFKA_DIR"
    make_dir "$KAFKA_DATA_DIR"
    make_dir "$KAFKA_LOG_DIR"
    write_server_properties
    if ! "$JAVA" -cp "$classpath" -Xshare:auto -XX:TieredStopAtLevel=1 kafka.tools.StorageTool format --standalone \
        -t "$(random_cluster_id)" -c "$KAFKA_DIR/server.properties" >"$KAFKA_LOG_DIR/format.log" 2>&1; then
      cat "$KAFKA_LOG_DIR/format.log" >&2
      remove_created_dirs
      fail "formatting the KRaft storage in $KAFKA_DATA_DIR failed (output above)"
    fi
  fi
  mkdir -p "$KAFKA_LOG_DIR"
  local formatted_ms
  formatted_ms="$(now_ms)"

  # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS and KAFKA_JVM_OPTS hold several JVM options
  nohup "$JAVA" $KAFKA_HEAP_OPTS $KAFKA_JVM_OPTS -Djava.awt.headless=true \
    -Dkafka.logs.dir="$KAFKA_LOG_DIR" -Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/log4j2.properties" \
    -cp "$classpath" kafka.Kafka "$KAFKA_DIR/server.properties" \
    >"$KAFKA_LOG_DIR/stdout.log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"

  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  until port_open "$KAFKA_HOST" "$KAFKA_PORT"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$KAFKA_LOG_DIR/stdout.log" "$KAFKA_LOG_DIR/server.log" >&2 2>/dev/null || true
      [[ -z "$kept" ]] && remove_created_dirs
      fail "the broker exited during start-up (its log is above)"
    fi
    if ((SECONDS >= deadline)); then
      stop_broker "$pid"
      [[ -z "$kept" ]] && remove_created_dirs
      fail "the broker did not open $BOOTSTRAP within ${KAFKA_START_TIMEOUT}s (KAFKA_START_TIMEOUT)"
    fi
    sleep 0.1
  done
  local listening_ms
  listening_ms="$(now_ms)"

  local topics_timeout=$((deadline - SECONDS))
  ((topics_timeout < 5)) && topics_timeout=5
  if ! "$JAVA" -cp "$TOPIC_TOOL_CLASSES:$classpath" -Xshare:auto -XX:TieredStopAtLevel=1 \
      -Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/log4j2.properties" -Dkafka.logs.dir="$KAFKA_LOG_DIR" \
      CreateTopics "$BOOTSTRAP" "$topics_timeout" "${KAFKA_TOPICS[@]}"; then
    stop_broker "$pid"
    [[ -z "$kept" ]] && remove_created_dirs
    fail "the broker did not accept clients or create the topics in time; stopped it"
  fi
  local ready_ms
  ready_ms="$(now_ms)"
  say "Kafka $KAFKA_VERSION running on $BOOTSTRAP (pid $pid), ready in $(seconds $((ready_ms - started_ms)))" \
    "(format $(seconds $((formatted_ms - started_ms))), listening after $(seconds $((listening_ms - formatted_ms))),"\
    "topics $(seconds $((ready_ms - listening_ms)))); topics: ${KAFKA_TOPICS[*]}; logs: $KAFKA_LOG_DIR${kept:+; $kept}"
}

# TERM, then KILL if the broker has not exited after 30 s; returns once the process is gone.
stop_broker() {
  local pid="$1" waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= 300)); then
      say "broker (pid $pid) still running after 30s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  # Reap it if it is our child (start failed in this same shell).
  wait "$pid" 2>/dev/null || true
}

stop() {
  with_lock
  local pid
  if pid="$(running_pid)"; then
    local started_ms
    started_ms="$(now_ms)"
    stop_broker "$pid"
    rm -f "$PID_FILE"
    say "stopped the broker on $BOOTSTRAP (pid $pid) in $(($(now_ms) - started_ms)) ms; its data is kept in $KAFKA_DATA_DIR (scripts/kafka.sh wipe deletes it)"
  else
    say "not running on $BOOTSTRAP (KAFKA_DIR=$KAFKA_DIR); nothing to stop"
  fi
}

wipe() {
  with_lock
  local pid
  if pid="$(running_pid)"; then
    stop_broker "$pid"
    say "stopped the broker on $BOOTSTRAP (pid $pid)"
  fi
  remove_created_dirs
  say "deleted the broker's data and logs ($KAFKA_DIR)"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    say "running on $BOOTSTRAP (pid $pid, dir $KAFKA_DIR)"
    return 0
  fi
  say "not running (KAFKA_DIR=$KAFKA_DIR)"
  return 3
}

# In braces, so that bash has read the whole command, exit included, before it runs: editing or pulling this file
# while a broker starts cannot make it execute a half-read line.
{
  case "${1:-}" in
    start) start ;;
    stop) stop ;;
    wipe) wipe ;;
    status) status ;;
    restart) stop && start ;;
    *) echo "usage: $0 start|stop|wipe|status|restart" >&2; exit 2 ;;
  esac
  exit
}
