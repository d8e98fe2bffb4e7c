#!/usr/bin/env bash
# Issue 20's serving benchmark, run ON the GPU machine (python3 with torch + transformers + peft, a C++ compiler;
# Java and DJL's JNI from the folder scripts/gpu/stage.sh prepares, GPU_DIR). Side by side on one card:
#   engine-MODEL   model-core's ServingEngine driven directly (GpuBenchmark serving): closed-loop streams, 0/1/4/16
#                  mixed adapters (r16, all seven projections), greedy, constraint off; the native step on the GPU
#   hf-MODEL       transformers 5.x, static KV cache + torch.compile(mode="reduce-overhead") at the same batch sizes
#   peft-MODEL     HF + PEFT generate() with the adapters mixed through adapter_names
#   check          mixed-adapter batches vs each request alone, native vs DJL path (RESULT kind=check)
# RESULT lines go to RAW; gpu_serving_table.py writes CSV (issue 20's columns) and prints the markdown table.
#
#   GPU_DIR=$PWD/.gpu STAGES="build check engine-1b hf-1b peft-1b" bench/gpu-serving.sh
# Knobs: PROMPT (128), NEW (128), STREAMS (1,8,32,128), ADAPTERS (0,1,4,16), HF_STREAMS, HF_BUDGET_S (seconds of HF compile
# + runs per model before the remaining batch sizes are skipped), OUT (raw, csv, table), LOGS (one log per stage).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
GPU_DIR=${GPU_DIR:-$ROOT/.gpu}
STAGES=${STAGES:-build check engine-1b hf-1b peft-1b engine-4b hf-4b peft-4b}
PROMPT=${PROMPT:-128}
NEW=${NEW:-128}
STREAMS=${STREAMS:-1,8,32,128}
ADAPTERS=${ADAPTERS:-0,1,4,16}
HF_STREAMS=${HF_STREAMS:-$STREAMS}   # batch sizes for the HF references, in the order they run (a budget may cut the tail)
HF_BUDGET_S=${HF_BUDGET_S:-400}
LOGS=${LOGS:-$ROOT/target/gpu-serving}
OUT=${OUT:-$LOGS}
mkdir -p "$LOGS" "$OUT"
RAW=${RAW:-$OUT/gpu-serving-raw.txt}
NATIVE=$GPU_DIR/native
CARD=$(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | head -1 | tr ',' ' ' | tr -s ' ')
echo "card: $CARD" | tee -a "$RAW"
export GEMMA3_CONFIGS=${GEMMA3_CONFIGS:-$GPU_DIR/gemma3-text-configs.json}
export PYTHONUNBUFFERED=1 PYTHONPATH="$ROOT/bench${PYTHONPATH:+:$PYTHONPATH}"

TORCH=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')
TORCH_VERSION=$(python3 -c 'import torch; print(torch.__version__.split("+")[0])')
CUDA_FLAVOR=cu$(python3 -c 'import torch; print((torch.version.cuda or "").replace(".", ""))')

if [[ " $STAGES " == *" build "* ]]; then
  t0=$SECONDS
  if [[ ! -f $NATIVE/libdjl_torch.so ]]; then
    DJL_SRC=$GPU_DIR/djl DJL_JNI_HEADER=$GPU_DIR/djl-header JNI_INCLUDE=$GPU_DIR/jni-include OUT_DIR=$NATIVE \
      scripts/gpu/build-native.sh all 2>&1 | tail -5
  else
    OUT_DIR=$NATIVE JNI_INCLUDE=$GPU_DIR/jni-include scripts/gpu/build-native.sh ours 2>&1 | tail -3
  fi
  echo "  (build: $((SECONDS - t0)) s)"
  [[ -f $NATIVE/libtooltune_torch.so ]] || { echo "RESULT kind=failed name=build"; exit 1; }
fi
cp "$NATIVE/libdjl_torch.so" "$TORCH/lib/libdjl_torch.so"
export PYTORCH_LIBRARY_PATH=$TORCH/lib PYTORCH_VERSION=$TORCH_VERSION PYTORCH_FLAVOR=$CUDA_FLAVOR \
  PYTORCH_LIBRARY_EXCLUSION=libtorch_python.so,libshm.so,libtorch_nvshmem.so
JAVA=(env LD_LIBRARY_PATH="$TORCH/lib" "$GPU_DIR/jre/bin/java" -Xmx16g -Dai.djl.offline=true
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$GPU_DIR/lib/*" -Dtooltune.native.library="$NATIVE/libtooltune_torch.so")
MC=(dev.tooltune.model.bench.GpuBenchmark)

run() { # LOGNAME COMMAND...
  local name=$1; shift
  local t0=$SECONDS
  "$@" 2>&1 | tee "$LOGS/$name.log" | grep --line-buffered '^RESULT' | tee -a "$RAW"
  local rc=${PIPESTATUS[0]}
  [[ $rc == 0 ]] || { echo "RESULT kind=failed name=$name rc=$rc" | tee -a "$RAW"; tail -8 "$LOGS/$name.log"; }
  echo "  ($name: $((SECONDS - t0)) s)" | tee -a "$RAW"
}

for stage in $STAGES; do
  case $stage in
    build) ;;
    check) run serving-check "${JAVA[@]}" "${MC[@]}" serving-check gpu0 ;;
    engine-*) run "$stage" "${JAVA[@]}" "${MC[@]}" serving "${stage#engine-}" gpu0 bf16 "$PROMPT" "$NEW" "$STREAMS" "$ADAPTERS" ;;
    hf-*) run "$stage" timeout $((HF_BUDGET_S + 120)) python3 bench/gpu_serving_reference.py compiled "${stage#hf-}" "$PROMPT" "$NEW" "$HF_STREAMS" "$HF_BUDGET_S" ;;
    peft-*)
      for n in ${ADAPTERS//,/ }; do
        [[ $n == 0 ]] && continue
        run "$stage-$n" python3 bench/gpu_serving_reference.py peft "${stage#peft-}" "$PROMPT" "$NEW" "$HF_STREAMS" "$n"
      done ;;
    *) echo "unknown stage $stage" ;;
  esac
done

python3 bench/gpu_serving_table.py "$RAW" "$CARD" "$OUT/gpu-serving.csv" | tee "$OUT/gpu-serving-table.md"
