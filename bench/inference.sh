#!/usr/bin/env bash
# inference-service through HTTP on CPU: requests/s, completion tokens/s and time to first token (p50/p95) at 1, 4
# and 16 concurrent streaming clients, with one adapter and with 4 (round robin), without tools, with tools and no
# constraint (tool_choice none) and with tools and the tool-grammar constraint (tool_choice required), then the
# latency clients see while an adapter name is swapped. Prints the
# table and writes it, with the machine, the load and the command, to bench/results/inference.md.
#
#   bench/inference.sh                                   # tiny and 270m, defaults below
#   CONFIGS="tiny" SECONDS_PER_CELL=5 bench/inference.sh
#
# The service runs in-process under the Quarkus test harness (InferenceBench, enabled by -Dtooltune.bench=true)
# against a real broker (KAFKA_BOOTSTRAP_SERVERS, default: its own on port 19292 started here) and publishes random
# LoRA adapters (rank 4 on q/v/o) through the directory artifact store and the adapters topic, as the trainer does.
# The 270m base model is a random-weight checkpoint of the 270M configuration (same shapes and vocabulary).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
CONFIGS="${CONFIGS:-tiny 270m}"
SECONDS_PER_CELL="${SECONDS_PER_CELL:-10}"
MAX_TOKENS="${MAX_TOKENS:-32}"
CLIENTS_TINY="${CLIENTS_TINY:-1,4,16}"
CLIENTS_270M="${CLIENTS_270M:-1,4,16}"
THREADS="${THREADS:-1}"
out="${OUT:-bench/results/inference.md}"
checkpoints="${TOOLTUNE_CACHE:-$HOME/.cache/tooltune}/bench-checkpoints"
command_line="CONFIGS=\"$CONFIGS\" SECONDS_PER_CELL=$SECONDS_PER_CELL MAX_TOKENS=$MAX_TOKENS CLIENTS_TINY=$CLIENTS_TINY CLIENTS_270M=$CLIENTS_270M bench/inference.sh"

own_kafka=""
if [[ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
  KAFKA_PORT=19292 scripts/kafka.sh start >&2
  own_kafka=19292
  export KAFKA_BOOTSTRAP_SERVERS=localhost:19292
fi
cleanup() { if [[ -n "$own_kafka" ]]; then KAFKA_PORT=$own_kafka scripts/kafka.sh wipe >&2 || true; fi; }
trap cleanup EXIT

write_results() {
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
header="| model | tools | adapters | clients | requests | failed | requests/s | completion tokens/s | TTFT p50 ms | TTFT p95 ms | latency p50 ms |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
table="$(awk -v header="$header" 'BEGIN {inmain=0} /^\| [^|]* \| (none|6 tools)/ {if (!inmain) {print header; inmain=1} print; next} {inmain=0; print}' "$rows_file")"
mkdir -p bench/results
cat > "$out" <<MD
# inference-service through HTTP (CPU)

$table

- Each cell: streaming requests (stream_options.include_usage) for ${SECONDS_PER_CELL} s from N concurrent clients,
  greedy, max_tokens $MAX_TOKENS; the prompt is one user turn, with the 6 tools of the sample data's travel set in
  the "6 tools" rows. "adapters 4" sends round robin over 4 adapters (per-row LoRA in one batch). TTFT is measured
  by the client: from sending the request to the first chunk with content or a tool call (with tools, the call's
  first chunk: id and name; its arguments follow in fragments as generated). Tokens/s counts completion tokens of
  all clients over the cell's wall time.
- Constraints: "constraint off" rows declare the tools with tool_choice none (the same prompt, free decoding);
  "constraint on" rows use tool_choice required: module tool-grammar masks every step (budget-aware: the call is
  completed within max_tokens, \`pattern\` and \`format\` included), and the answer is a tool call, streamed while it
  is generated (a tool whose schema has a keyword checked only after generation would have its call sent after the
  check, TTFT then close to the whole latency; none of the travel tools has one).
- Swap rows: 4 clients on one adapter name while version 2 is published, then version 3 is published and version 2
  deleted; "during a swap" are the requests that overlapped a swap (from publishing until the service listed the new
  version). Failed = any non-200 or an SSE stream without [DONE].
- Machine: $cpu, $(nproc) cores visible, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; Java $(java -version 2>&1 | head -1 | cut -d'"' -f2); libtorch CPU, $THREADS intra-op thread(s), fp32.
- Load average (1/5/15 min) before: $load_before, after: $load_after. The 2 cores are shared with other engineers'
  builds; a load above 2 means lower numbers than on an idle machine.
- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD).
- Command: \`$command_line\`
MD
}
rows_file="$(mktemp)"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
for config in $CONFIGS; do
  case "$config" in
    tiny) model="tooltune/gemma-3-tiny-random"; clients="$CLIENTS_TINY" ;;
    *)
      model="$checkpoints/$config"; clients="$CLIENTS_270M"
      if [[ ! -f "$model/model.safetensors" ]]; then
        echo "making a random $config checkpoint in $model ..." >&2
        model-core/bin/model-cli random-checkpoint --config "$config" --out "$model" --dtype bf16 --seed 0 >&2
      fi ;;
  esac
  echo "benchmarking inference-service on $config ($model), clients $clients, ${SECONDS_PER_CELL}s per cell ..." >&2
  OMP_NUM_THREADS="$THREADS" mvn -B -q -pl inference-service -am test -Dtest=InferenceBench \
    -Dsurefire.failIfNoSpecifiedTests=false -Dtooltune.bench=true -Dtooltune.bench.label="$config" \
    -Dtooltune.bench.out="$rows_file" -Dtooltune.bench.seconds="$SECONDS_PER_CELL" \
    -Dtooltune.bench.max-tokens="$MAX_TOKENS" -Dtooltune.bench.clients="$clients" \
    -Dtooltune.inference.model.id="$model" -Dai.djl.pytorch.num_threads="$THREADS" 2>&1 \
    | grep -E '^\| |ERROR|FAIL' >&2 || true
  echo "" >> "$rows_file"
  write_results
done
cat "$out"
