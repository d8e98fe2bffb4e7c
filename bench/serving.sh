#!/usr/bin/env bash
# model-core's serving engine on CPU (continuous batching, per-row LoRA, prefix cache), tiny and 270M Gemma 3
# configurations with random weights and the real 262,144-token vocabulary: decode tokens/s at 1, 4 and 16 concurrent
# streams with one adapter and with 4 different adapters (LoRA r=16 on all seven projections), time to first token
# of a 5-tool chat prompt with the prefix cache off and on (a hit), KV cache bytes per sequence, peak RSS.
# One JVM per configuration. Writes bench/results/serving.md.
#   bench/serving.sh                                 # tiny (32-token prompts, 32 new) and 270M (32 / 8)
#   CONFIGS="tiny" NEW_TOKENS=16 bench/serving.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIGS="${CONFIGS:-tiny gemma-3-270m}"
PROMPT_TOKENS="${PROMPT_TOKENS:-32}"
NEW_TOKENS="${NEW_TOKENS:-}"
THREADS="${THREADS:-1}"
OUT=bench/results/serving.md
mvn -B -q -o -pl model-core -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -DskipTests
CP="model-core/target/test-classes:model-core/target/classes:$(cat model-core/target/bench.classpath)"
mkdir -p target
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
rows=()
for config in $CONFIGS; do
  new="${NEW_TOKENS:-$([[ $config == tiny ]] && echo 32 || echo 8)}"
  echo "benchmarking $config (prompt $PROMPT_TOKENS, new $new) ..." >&2
  while IFS= read -r line; do rows+=("$line"); echo "$line" >&2; done < <(
    OMP_NUM_THREADS="$THREADS" java -Xmx3g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS" \
      -Dai.djl.pytorch.num_interop_threads=1 -cp "$CP" dev.tooltune.model.bench.ServingBenchmark "$config" \
      "$PROMPT_TOKENS" "$new" 2>"target/bench-serving-$config.err" | grep "^|" \
      || echo "| $config | failed: see target/bench-serving-$config.err | | | |")
done
{
  echo "# model-core serving engine on CPU"
  echo
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores visible, shared with other jobs), $(free -g | awk '/Mem:/{print $2}') GiB RAM;"
  echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg). libtorch threads: $THREADS."
  echo "Java $(java -version 2>&1 | head -1 | cut -d'"' -f2), DJL 0.36 / libtorch CPU, fp32. Date: $(date -u +%Y-%m-%dT%H:%MZ)."
  echo "Command: \`CONFIGS=\"$CONFIGS\" PROMPT_TOKENS=$PROMPT_TOKENS NEW_TOKENS=${NEW_TOKENS:-default} THREADS=$THREADS bench/serving.sh\`"
  echo "(random weights, 4 random LoRA adapters r=16 on all seven projections; decode streams are submitted at once, with"
  echo "random ${PROMPT_TOKENS}-token prompts and greedy decoding without stop tokens; 'adapters' = how many different adapters the streams"
  echo "are spread over, served in the same batch through the per-row LoRA path)."
  echo
  echo "| config | measure | streams | adapters | value |"
  echo "| --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Decode tokens/s counts the tokens after each stream's first, over the time all streams decoded together"
  echo "(from the last stream's first token to the end). Time to first token is the median of 4 chat requests with"
  echo "different questions on the same 5 tools, adapter a0; 'cold' runs with the prefix cache off, 'hit' after one"
  echo "request filled it (the system + tools block is the cached prefix). The KV cache of a sequence is reserved whole"
  echo "(prompt + max new tokens) when it is admitted; sliding-window layers keep only their window."
} | tee "$OUT"
