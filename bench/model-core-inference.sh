#!/usr/bin/env bash
# model-core inference on CPU: prefill and decode tokens/s and resident memory (RSS) of Gemma 3 with random
# weights, for the tiny and the 270M configurations. Prints a markdown table and writes it, with the machine, the
# load and the command, to bench/results/model-core-inference.md.
#
#   bench/model-core-inference.sh                      # defaults below
#   CONFIGS="tiny" BATCHES="1" NEW_TOKENS=32 bench/model-core-inference.sh
#
# Checkpoints (bf16 safetensors, loaded as fp32) are made once by `model-cli random-checkpoint` and cached under
# ${TOOLTUNE_CACHE:-~/.cache/tooltune}/bench-checkpoints. Each measurement is the median of REPEAT runs after a
# warm-up, in a fresh JVM per configuration and batch size (so RSS is that model's).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cli="$root/model-core/bin/model-cli"
CONFIGS="${CONFIGS:-tiny 270m}"
BATCHES="${BATCHES:-1 4}"
PROMPT_TOKENS="${PROMPT_TOKENS:-128}"
NEW_TOKENS="${NEW_TOKENS:-64}"
REPEAT="${REPEAT:-3}"
# One libtorch thread by default: on this shared 2-core machine two threads spin-wait against other jobs and were
# up to 8x slower (tiny, prefill: 115 vs 960 tokens/s at load 12). On an idle machine try THREADS=2.
THREADS="${THREADS:-1}"
checkpoints="${TOOLTUNE_CACHE:-$HOME/.cache/tooltune}/bench-checkpoints"
out="$root/bench/results/model-core-inference.md"
command_line="CONFIGS=\"$CONFIGS\" BATCHES=\"$BATCHES\" PROMPT_TOKENS=$PROMPT_TOKENS NEW_TOKENS=$NEW_TOKENS REPEAT=$REPEAT THREADS=$THREADS bench/model-core-inference.sh"

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
rows=()
for config in $CONFIGS; do
  dir="$checkpoints/$config"
  if [[ ! -f "$dir/model.safetensors" ]]; then
    echo "making a random $config checkpoint in $dir ..." >&2
    "$cli" random-checkpoint --config "$config" --out "$dir" --dtype bf16 --seed 0 2>/dev/null | grep -v "^\[" >&2
  fi
  for batch in $BATCHES; do
    echo "benchmarking $config, batch $batch ..." >&2
    result="$(OMP_NUM_THREADS="$THREADS" JAVA_OPTS="-Xmx2g -Dai.djl.pytorch.num_threads=$THREADS -Dai.djl.pytorch.num_interop_threads=1" \
      "$cli" bench --model "$dir" --prompt-tokens "$PROMPT_TOKENS" --new-tokens "$NEW_TOKENS" --batch "$batch" \
      --repeat "$REPEAT" 2>/dev/null | grep '^RESULT')"
    echo "$result" >&2
    value() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }
    rows+=("| $config | $(value params) | $batch | $PROMPT_TOKENS | $NEW_TOKENS | $(value prefill_tps) | $(value decode_tps) | $(value load_s) | $(value rss_loaded_mib) | $(value peak_rss_mib) |")
  done
done
# Loading streams tensor by tensor into native memory: load a bigger checkpoint with a 256 MiB Java heap to show
# that the heap does not hold the weights (HEAP_CHECK="" skips this).
HEAP_CHECK="${HEAP_CHECK:-1b}"
heap_line=""
if [[ -n "$HEAP_CHECK" ]]; then
  dir="$checkpoints/$HEAP_CHECK"
  if [[ ! -f "$dir/model.safetensors" ]]; then
    echo "making a random $HEAP_CHECK checkpoint in $dir ..." >&2
    "$cli" random-checkpoint --config "$HEAP_CHECK" --out "$dir" --dtype bf16 --seed 0 2>/dev/null | grep -v "^\[" >&2
  fi
  echo "loading $HEAP_CHECK with -Xmx256m ..." >&2
  result="$(OMP_NUM_THREADS="$THREADS" JAVA_OPTS="-Xmx256m -Dai.djl.pytorch.num_threads=$THREADS -Dai.djl.pytorch.num_interop_threads=1" \
    "$cli" bench --model "$dir" --prompt-tokens 16 --new-tokens 4 --repeat 1 2>/dev/null | grep '^RESULT')"
  echo "$result" >&2
  value() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }
  heap_line="- Heap check: the $HEAP_CHECK checkpoint ($(value params) parameters, $(du -h "$dir/model.safetensors" | cut -f1) of bf16 safetensors) loads as fp32 in $(value load_s) s with a 256 MiB Java heap (-Xmx256m); RSS after load $(value rss_loaded_mib) MiB (the fp32 weights are $(awk -v p="$(value params)" 'BEGIN {printf "%.0f", p*4/1048576}') MiB, held natively by libtorch). Prefill $(value prefill_tps), decode $(value decode_tps) tokens/s (16-token prompt, 4 new tokens, one run)."
fi
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
table="| config | parameters | batch | prompt tokens | new tokens | prefill tokens/s | decode tokens/s (all rows) | load s | RSS after load MiB | peak RSS MiB |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
$(printf '%s\n' "${rows[@]}")"

mkdir -p "$(dirname "$out")"
cat > "$out" <<MD
# model-core inference on CPU

$table

- Machine: $cpu, $(nproc) cores visible, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; Java $(java -version 2>&1 | head -1 | cut -d'"' -f2), DJL 0.36.0 with libtorch 2.7.1 (CPU), $THREADS intra-op thread(s), fp32 compute.
- Load average (1/5/15 min) before: $load_before, after: $load_after. The machine's 2 cores are shared with other
  jobs; a load above 2 means the numbers are lower than on an idle machine.
- Random weights (bf16 checkpoint made by \`model-cli random-checkpoint\`, widened to fp32 on load); prompts of random
  token ids; greedy decoding with the KV cache, no stop token. Decode tokens/s counts all rows of the batch.
  Median of $REPEAT runs after one warm-up. RSS is the whole JVM process (heap + libtorch + weights).
$heap_line
- Date: $(date -u +"%Y-%m-%d %H:%M UTC"); commit $(git -C "$root" rev-parse --short HEAD).
- Command: \`$command_line\`
MD
echo "$table"
echo "written to $out" >&2
