#!/usr/bin/env bash
# Benchmark: import N tool-calling examples into dataset-service and export them again.
# Prints a markdown table (examples/s, wall time, peak heap) and writes it to bench/results/dataset-import.md.
#
#   bench/dataset-import.sh [count]        (default 100000)
#
# Needs PostgreSQL (PGHOST/PGPORT/PGUSER, default 127.0.0.1:5432 postgres); uses its own database
# tooltune_bench, dropped and recreated on every run. The service runs as the packaged Quarkus jar with a fixed
# heap (BENCH_XMX, default 512m) smaller than the file, so a run that held the upload in memory would fail.
set -euo pipefail

COUNT="${1:-100000}"
XMX="${BENCH_XMX:-512m}"
PORT="${BENCH_PORT:-18081}"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
DB=tooltune_bench
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
# dataset-service trusts only callers with its internal token, and every request names its tenant.
INTERNAL_TOKEN="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
dcurl() { curl -H "X-Tooltune-Internal-Token: $INTERNAL_TOKEN" -H "X-Tooltune-Tenant: bench" "$@"; }
SERVICE_PID=""
SAMPLER_PID=""

cleanup() {
  [[ -n "$SAMPLER_PID" ]] && kill "$SAMPLER_PID" 2>/dev/null || true
  if [[ -n "$SERVICE_PID" ]]; then
    kill "$SERVICE_PID" 2>/dev/null || true
    wait "$SERVICE_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cd "$ROOT"
echo "building dataset-service ..." >&2
mvn -B -q -pl dataset-service -am package -DskipTests >&2
APP=dataset-service/target/quarkus-app
LIB="$APP/lib/main/*"

echo "generating $COUNT examples (SampleDataGenerator, seed 42) ..." >&2
java -cp "$LIB" dev.tooltune.chat.sample.SampleDataGenerator --seed 42 --count "$COUNT" --out "$WORK/examples.jsonl" 2>&1 >&2 | tail -1 >&2
FILE_BYTES=$(stat -c %s "$WORK/examples.jsonl")

psql -q -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -c "drop database if exists $DB" -c "create database $DB" >&2

echo "starting the service (-Xmx$XMX) ..." >&2
QUARKUS_HTTP_PORT="$PORT" \
QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://$PGHOST:$PGPORT/$DB?reWriteBatchedInserts=true" \
QUARKUS_DATASOURCE_USERNAME="$PGUSER" \
QUARKUS_LOG_LEVEL=WARN \
TOOLTUNE_DATASET_TOKENS_COUNT_AFTER_IMPORT=false \
TOOLTUNE_INTERNAL_TOKEN="$INTERNAL_TOKEN" \
  java "-Xmx$XMX" -XX:+UseG1GC -jar "$APP/quarkus-run.jar" >"$WORK/service.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 1 240); do
  curl -fs "http://127.0.0.1:$PORT/q/health/ready" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "http://127.0.0.1:$PORT/q/health/ready" >/dev/null || { cat "$WORK/service.log" >&2; exit 1; }

# Heap in use (young + old, KB), sampled every 100 ms by jstat; the peak of each phase is the max sample.
jstat -gc "$SERVICE_PID" 100 | awk 'NR>1 { printf "%.0f\n", $3+$4+$6+$8; fflush() }' >"$WORK/heap.log" &
SAMPLER_PID=$!

phase_peak_mb() { # lines of heap.log from line $1 to the end
  tail -n +"$1" "$WORK/heap.log" | awk 'BEGIN{m=0} {if ($1>m) m=$1} END{printf "%.0f", m/1024}'
}
now() { date +%s.%N; }

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
DATASET=$(dcurl -fs -H 'Content-Type: application/json' -d '{"name":"bench"}' "http://127.0.0.1:$PORT/datasets" | sed 's/.*"id":\([0-9]*\).*/\1/')

sleep 0.5
MARK=$(($(wc -l <"$WORK/heap.log") + 1))
START=$(now)
dcurl -fs -o "$WORK/import.json" -H 'Content-Type: application/x-ndjson' --data-binary @"$WORK/examples.jsonl" \
  "http://127.0.0.1:$PORT/datasets/$DATASET/imports?mode=strict&wait=true"
END=$(now)
IMPORT_S=$(echo "$END - $START" | bc -l)
sleep 0.3
IMPORT_PEAK=$(phase_peak_mb "$MARK")
STORED=$(sed 's/.*"examplesStored":\([0-9]*\).*/\1/' "$WORK/import.json")
DUPLICATES=$(sed 's/.*"duplicateLines":\([0-9]*\).*/\1/' "$WORK/import.json")
STATE=$(sed 's/.*"state":"\([A-Z]*\)".*/\1/' "$WORK/import.json")
[[ "$STATE" == SUCCEEDED ]] || { echo "import did not succeed:" >&2; head -c 2000 "$WORK/import.json" >&2; exit 1; }

MARK=$(($(wc -l <"$WORK/heap.log") + 1))
START=$(now)
dcurl -fs -o "$WORK/export.jsonl" "http://127.0.0.1:$PORT/datasets/$DATASET/versions/1/export"
END=$(now)
EXPORT_S=$(echo "$END - $START" | bc -l)
sleep 0.3
EXPORT_PEAK=$(phase_peak_mb "$MARK")
EXPORTED=$(wc -l <"$WORK/export.jsonl")
if cmp -s "$WORK/examples.jsonl" "$WORK/export.jsonl"; then ROUND_TRIP="identical to the upload"; else ROUND_TRIP="differs from the upload"; fi

MARK=$(($(wc -l <"$WORK/heap.log") + 1))
START=$(now)
dcurl -fs -o "$WORK/stats.json" "http://127.0.0.1:$PORT/datasets/$DATASET/versions/1/stats?waitForTokens=true"
END=$(now)
STATS_S=$(echo "$END - $START" | bc -l)
sleep 0.3
STATS_PEAK=$(phase_peak_mb "$MARK")
TOKENS_P50=$(sed 's/.*"p50":\([0-9]*\).*/\1/' "$WORK/stats.json")
TOKENS_MAX=$(sed 's/.*"tokens":{[^}]*"max":\([0-9]*\).*/\1/' "$WORK/stats.json")

CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
CORES="$(nproc)"
MEM="$(free -g | awk '/Mem:/ {print $2}') GiB"
PG="$(psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -Atc 'show server_version')"
JAVA="$(java -version 2>&1 | head -1)"
MB=$(echo "$FILE_BYTES / 1048576" | bc -l)
rate() { printf "%.0f" "$(echo "$1 / $2" | bc -l)"; }

TABLE=$(cat <<TABLE
| phase | examples | wall time (s) | examples/s | MB/s | peak heap (MB, -Xmx$XMX) |
|---|---:|---:|---:|---:|---:|
| import (strict, upload + validate + store) | $STORED | $(printf %.1f "$IMPORT_S") | $(rate "$STORED" "$IMPORT_S") | $(printf %.1f "$(echo "$MB / $IMPORT_S" | bc -l)") | $IMPORT_PEAK |
| export (streamed JSONL) | $EXPORTED | $(printf %.1f "$EXPORT_S") | $(rate "$EXPORTED" "$EXPORT_S") | $(printf %.1f "$(echo "$MB / $EXPORT_S" | bc -l)") | $EXPORT_PEAK |
| statistics, first call (counts Gemma 3 tokens of every example) | $STORED | $(printf %.1f "$STATS_S") | $(rate "$STORED" "$STATS_S") | | $STATS_PEAK |
TABLE
)

REPORT=$(cat <<REPORT
# dataset-service: import and export of $COUNT examples

$TABLE

- File: $COUNT examples from \`SampleDataGenerator\` (seed 42), $(printf %.1f "$MB") MiB; $DUPLICATES exact duplicates reported (stored, strict mode keeps them).
- Export: $EXPORTED lines, $ROUND_TRIP.
- Tokens per example (Gemma 3, chat format): median $TOKENS_P50, max $TOKENS_MAX.
- The service normally counts tokens in the background right after an import; here that is off
  (TOOLTUNE_DATASET_TOKENS_COUNT_AFTER_IMPORT=false) so that each phase is timed alone.
- Peak heap: the largest heap in use (young + old generation, garbage included) sampled every 100 ms by \`jstat -gc\`
  during the phase; the heap limit (-Xmx) is smaller than the file, so nothing holds the upload in memory.
- Machine: $CPU, $CORES cores, $MEM RAM; PostgreSQL $PG on the same machine; $JAVA.
  Load average when the run started: $LOAD_BEFORE (other work shares the cores, so numbers on an idle machine are higher).
- Command: \`bench/dataset-import.sh $COUNT\` (BENCH_XMX=$XMX), $(date -u +%Y-%m-%d).
REPORT
)

echo "$TABLE"
mkdir -p bench/results
echo "$REPORT" >bench/results/dataset-import.md
echo "wrote bench/results/dataset-import.md" >&2
