#!/usr/bin/env bash
# model-core on the GPU against transformers + PEFT, side by side: training (LoRA r16 q/k/v/o, 1B and 4B random
# weights of the published configs, 4 x 1024 and 2 x 2048, QLoRA 4B) and inference (decode at batch 1, 8, 32,
# 128; time to first token). Runs ON the GPU machine (python3 with torch + transformers + peft, a C++
# compiler); Java and DJL's JNI come from the folder scripts/gpu/stage.sh prepares (GPU_DIR, default .gpu).
# Prints a table with ratios and writes it to RESULTS (default bench/results/gpu.md); logs go to LOGS (target/gpu).
#
#   bench/gpu.sh                       # every stage
#   STAGES="build numerics train" bench/gpu.sh ; STAGES="decode qlora" bench/gpu.sh   # the same, in two runs
#   STEPS=5 DECODE_NEW=128 bench/gpu.sh
# Stages: build (DJL's JNI + ours, skipped when GPU_DIR/native has them), numerics, train, train2048, qlora,
# decode. Every stage's RESULT lines are appended to RAW (default $GPU_DIR/results.txt), so split runs add up.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
GPU_DIR=${GPU_DIR:-$ROOT/.gpu}
STAGES=${STAGES:-build numerics train train2048 qlora decode}
STEPS=${STEPS:-5}
DECODE_PROMPT=${DECODE_PROMPT:-128}
DECODE_NEW=${DECODE_NEW:-64}
LOGS=${LOGS:-$ROOT/target/gpu}
mkdir -p "$LOGS"
RAW=${RAW:-$LOGS/results.txt}
RESULTS=${RESULTS:-bench/results/gpu.md}
NATIVE=$GPU_DIR/native
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
export GEMMA3_CONFIGS=${GEMMA3_CONFIGS:-$GPU_DIR/gemma3-text-configs.json}
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1 PYTHONUNBUFFERED=1

TORCH=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')
TORCH_VERSION=$(python3 -c 'import torch; print(torch.__version__.split("+")[0])')
CUDA_FLAVOR=cu$(python3 -c 'import torch; print((torch.version.cuda or "").replace(".", ""))')

if [[ " $STAGES " == *" build "* && ! -f $NATIVE/libdjl_torch.so ]]; then
  DJL_SRC=$GPU_DIR/djl DJL_JNI_HEADER=$GPU_DIR/djl-header JNI_INCLUDE=$GPU_DIR/jni-include OUT_DIR=$NATIVE \
    scripts/gpu/build-native.sh all 2>&1 | tail -5
elif [[ " $STAGES " == *" build "* ]]; then
  OUT_DIR=$NATIVE JNI_INCLUDE=$GPU_DIR/jni-include scripts/gpu/build-native.sh ours 2>&1 | tail -3
fi
# DJL looks for its JNI next to libtorch (PYTORCH_LIBRARY_PATH) before its cache and the network
cp "$NATIVE/libdjl_torch.so" "$TORCH/lib/libdjl_torch.so"
export PYTORCH_LIBRARY_PATH=$TORCH/lib PYTORCH_VERSION=$TORCH_VERSION PYTORCH_FLAVOR=$CUDA_FLAVOR \
  PYTORCH_LIBRARY_EXCLUSION=libtorch_python.so,libshm.so,libtorch_nvshmem.so
JAVA=(env LD_LIBRARY_PATH="$TORCH/lib" "$GPU_DIR/jre/bin/java" -Xmx8g -Dai.djl.offline=true
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$GPU_DIR/lib/*" -Dtooltune.native.library="$NATIVE/libtooltune_torch.so")
PURE=(env LD_LIBRARY_PATH="$TORCH/lib" "$GPU_DIR/jre/bin/java" -Xmx8g -Dai.djl.offline=true
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$GPU_DIR/lib/*")
MC=(dev.tooltune.model.bench.GpuBenchmark)

run() { # LOGNAME COMMAND...
  local name=$1; shift
  local t0=$SECONDS
  "$@" > "$LOGS/$name.log" 2>&1
  local rc=$?
  grep '^RESULT' "$LOGS/$name.log" | tee -a "$RAW"
  [[ $rc == 0 ]] || { echo "RESULT kind=failed name=$name rc=$rc" | tee -a "$RAW"; tail -5 "$LOGS/$name.log"; }
  echo "  ($name: $((SECONDS - t0)) s)"
}

for stage in $STAGES; do
  case $stage in
    build) ;;
    numerics)
      # the CPU fp32 pure-DJL path is the reference; the GPU runs use the native library
      # one random checkpoint (written on the CPU, read by every run), logits of a fixed batch from each path
      run logits-cpu "${PURE[@]}" "${MC[@]}" logits 1b cpu fp32 "$LOGS/logits.bin"
      mv "$LOGS/logits.bin" "$LOGS/logits-cpu.bin"
      for variant in "gpu-fp32-pure PURE fp32" "gpu-fp32-native JAVA fp32" "gpu-bf16-native JAVA bf16"; do
        set -- $variant
        declare -n CMD=$2
        run logits-$1 "${CMD[@]}" "${MC[@]}" logits 1b gpu0 "$3" "$LOGS/logits.bin"
        mv "$LOGS/logits.bin" "$LOGS/logits-$1.bin"
        run compare-$1 "${PURE[@]}" "${MC[@]}" compare "$LOGS/logits-cpu.bin" "$LOGS/logits-$1.bin" "$1-vs-cpu-fp32-pure"
      done
      rm -rf "$LOGS"/logits*.bin "$LOGS/logits.bin.checkpoint"
      ;;
    train)
      for model in 1b 4b; do
        run train-$model-mc "${JAVA[@]}" "${MC[@]}" train $model lora 1024 4 "$STEPS" gpu0 bf16
        run train-$model-hf python3 bench/gpu_reference.py train $model lora 1024 4 "$STEPS"
      done ;;
    train2048)
      for model in 1b 4b; do
        run train2048-$model-mc "${JAVA[@]}" "${MC[@]}" train $model lora 2048 2 "$STEPS" gpu0 bf16
        run train2048-$model-hf python3 bench/gpu_reference.py train $model lora 2048 2 "$STEPS"
      done ;;
    qlora)
      # native NF4 quantisation / linear / activation checkpointing against the pure paths (RESULT kind=check), then
      # QLoRA 4B: NF4 base weights dequantised just in time in bf16, activation checkpointing, bf16 embedding
      run qlora-check "${JAVA[@]}" "${MC[@]}" qlora-check gpu0
      run qlora-4b-mc "${JAVA[@]}" "${MC[@]}" train 4b qlora 1024 4 "$STEPS" gpu0 bf16 ;;
    decode)
      # the serving engine's native step against the DJL path, mixed adapters batched vs alone (RESULT kind=check)
      run serving-check "${JAVA[@]}" "${MC[@]}" serving-check gpu0
      for model in 1b 4b; do
        run decode-$model-mc "${JAVA[@]}" "${MC[@]}" decode $model gpu0 bf16 "$DECODE_PROMPT" "$DECODE_NEW" 1,8,32,128
        run decode-$model-hf python3 bench/gpu_reference.py decode $model "$DECODE_PROMPT" "$DECODE_NEW" 1,8,32,128
      done ;;
    *) echo "unknown stage $stage" ;;
  esac
done

python3 bench/gpu_table.py "$RAW" > "$RESULTS"
cat "$RESULTS"
