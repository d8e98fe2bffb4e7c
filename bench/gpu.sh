#!/usr/bin/env bash
# model-core on the GPU against transformers + PEFT, side by side: training (LoRA r16 q/k/v/o, 1B and 4B random
# weights of the published configs, 4 x 1024 and 2 x 2048, packed real examples, QLoRA 4B) against HF+PEFT eager and
# HF+PEFT with torch.compile + fused AdamW (the strongest baseline), and inference (decode at batch 1, 8, 32, 128;
# time to first token). Runs ON the GPU machine (python3 with torch + transformers + peft, a C++ compiler); Java and
# DJL's JNI come from the folder scripts/gpu/stage.sh prepares (GPU_DIR, default .gpu).
# Prints a table with ratios and writes it to RESULTS (default bench/results/gpu.md) and the training rows to CSV
# (default bench/results/gpu-training.csv); logs go to LOGS (target/gpu).
#
#   bench/gpu.sh                       # every stage
#   STAGES="build train-check train" TRAIN_RUNS="1b:1024:4:mc,hf,hfc" bench/gpu.sh
#   STEPS=5 DECODE_NEW=128 bench/gpu.sh
# Stages: build (DJL's JNI + ours; DJL's skipped when GPU_DIR/native has it; runs in the background while the first
# Python runs, which hold their timed steps until it is done), toolchain, numerics, train-check (the training kernels
# against the DJL path), loss-curve (50 steps bf16 with the kernels against the fp32 DJL path), train (TRAIN_RUNS;
# train=SPEC[+SPEC...] runs those specs instead, so stages can interleave), packed (model-core on the
# sample dataset's real lengths, packed: GPU_DIR/train-data.tsv.gz from TrainingDataExport, gzipped), qlora, decode.
# TRAIN_RUNS: MODEL:LENGTH:BATCH:IMPLS ... with IMPLS of mc (model-core, training kernels on), mc-djl (training
# kernels off), hf (HF+PEFT eager), hfc (HF+PEFT compiled). PROFILE=1 profiles one extra step of each mc run
# (chrome trace + top kernels in LOGS/profile-*.txt). Every stage's RESULT lines are appended to RAW (default
# $LOGS/results.txt), so split runs add up; OUT_DIR (e.g. the device tool's $OUT) gets RAW and the logs after each run.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
GPU_DIR=${GPU_DIR:-$ROOT/.gpu}
STAGES=${STAGES:-build toolchain numerics train-check loss-curve train packed qlora decode}
TRAIN_RUNS=${TRAIN_RUNS:-1b:1024:4:mc,mc-djl,hf,hfc 4b:1024:4:mc,hf,hfc 1b:2048:2:mc,hf,hfc 4b:2048:2:mc,hf,hfc}
PROFILE=${PROFILE:-0}
STEPS=${STEPS:-5}
DECODE_PROMPT=${DECODE_PROMPT:-128}
DECODE_NEW=${DECODE_NEW:-64}
LOGS=${LOGS:-$ROOT/target/gpu}
mkdir -p "$LOGS"
RAW=${RAW:-$LOGS/results.txt}
RESULTS=${RESULTS:-bench/results/gpu.md}
CSV=${CSV:-bench/results/gpu-training.csv}
NATIVE=$GPU_DIR/native
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
export GEMMA3_CONFIGS=${GEMMA3_CONFIGS:-$GPU_DIR/gemma3-text-configs.json}
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1 PYTHONUNBUFFERED=1

TORCH=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')
TORCH_VERSION=$(python3 -c 'import torch; print(torch.__version__.split("+")[0])')
CUDA_FLAVOR=cu$(python3 -c 'import torch; print((torch.version.cuda or "").replace(".", ""))')

# The build runs on the CPUs in the background; Java runs wait for it, Python runs hold only their timed steps.
BUILT=$LOGS/.built          # the libraries are ready
BUILD_DONE=$LOGS/.build-done  # the build ended, either way (what Python runs wait for)
rm -f "$BUILT" "$BUILD_DONE"
build() {
  local what=ours
  [[ -f $NATIVE/libdjl_torch.so ]] || what=all
  if ! DJL_SRC=$GPU_DIR/djl DJL_JNI_HEADER=$GPU_DIR/djl-header JNI_INCLUDE=$GPU_DIR/jni-include OUT_DIR=$NATIVE \
      scripts/gpu/build-native.sh $what; then
    # a library without the training kernels still runs everything else (Java probes for them)
    echo "RESULT kind=failed name=build-all-native-sources rc=1" >> "$RAW"
    NATIVE_SOURCES="$(cd model-core/src/main/native && ls *.cc | grep -v '^training.cc$' | tr '\n' ' ')" \
      JNI_INCLUDE=$GPU_DIR/jni-include OUT_DIR=$NATIVE scripts/gpu/build-native.sh ours || return 1
  fi
  # DJL looks for its JNI next to libtorch (PYTORCH_LIBRARY_PATH) before its cache and the network
  cp "$NATIVE/libdjl_torch.so" "$TORCH/lib/libdjl_torch.so" && touch "$BUILT"
}
if [[ " $STAGES " == *" build "* ]]; then
  { build > "$LOGS/build.log" 2>&1; touch "$BUILD_DONE"; } &
  BUILD_PID=$!
else
  cp "$NATIVE/libdjl_torch.so" "$TORCH/lib/libdjl_torch.so" && touch "$BUILT"
  touch "$BUILD_DONE"
  BUILD_PID=
fi
java_ready() {
  [[ -n $BUILD_PID ]] && wait "$BUILD_PID" 2>/dev/null
  BUILD_PID=
  if [[ ! -f $BUILT ]]; then
    echo "native build failed:"; tail -20 "$LOGS/build.log"; return 1
  fi
}
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
  if [[ -n ${OUT_DIR:-} ]]; then
    cp "$RAW" "$OUT_DIR/results.txt"
    tar czf "$OUT_DIR/logs.tgz" -C "$LOGS" --exclude '*.json' . 2>/dev/null
  fi
}

train_mc() { # NAME KERNELS MODEL LENGTH BATCH [env...]
  local name=$1 kernels=$2 model=$3 length=$4 batch=$5; shift 5
  java_ready || return
  local profile=()
  [[ $PROFILE == 1 && $kernels == all ]] && profile=(TOOLTUNE_PROFILE="$LOGS/profile-$name.json")
  run "$name" env TOOLTUNE_TRAINING_KERNELS=$kernels "${profile[@]}" "$@" "${JAVA[@]}" "${MC[@]}" train $model lora $length $batch "$STEPS" gpu0 bf16
  if [[ -f $LOGS/profile-$name.json ]]; then
    python3 bench/profile_summary.py "$LOGS/profile-$name.json" > "$LOGS/profile-$name.txt" 2>&1
    head -40 "$LOGS/profile-$name.txt"
  fi
}

for stage in $STAGES; do
  case $stage in
    build) ;;  # started above
    numerics)
      java_ready || continue
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
    toolchain)
      # what the GPU machine offers for our own kernels (docs/gpu.md records it)
      { command -v nvcc && nvcc --version | tail -2; } || echo "nvcc: not found"
      python3 - <<'PY'
import glob, os, torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(),
      "flash sdp", torch.backends.cuda.flash_sdp_enabled(), "cudnn sdp", torch.backends.cuda.cudnn_sdp_enabled())
for name in ("triton", "cupy"):
    try:
        print(name, __import__(name).__version__)
    except Exception as e:
        print(name, "missing:", e)
lib = os.path.join(os.path.dirname(torch.__file__), "..", "nvidia")
print("nvrtc", sorted(set(os.path.basename(p) for p in glob.glob(lib + "/*/lib/libnvrtc*") + glob.glob("/usr/local/cuda/lib64/libnvrtc*"))))
PY
      ;;
    train-check)
      java_ready || continue
      run train-check "${JAVA[@]}" "${MC[@]}" train-check gpu0 ;;
    loss-curve)
      java_ready || continue
      run loss-curve "${JAVA[@]}" "${MC[@]}" loss-curve 270m 512 2 50 gpu0 ;;
    train|train=*)
      runs=$TRAIN_RUNS
      [[ $stage == train=* ]] && runs=${stage#train=}
      for spec in ${runs//+/ }; do
        IFS=: read -r model length batch impls <<< "$spec"
        for impl in ${impls//,/ }; do
          case $impl in
            mc) train_mc train-$model-$length-mc all $model $length $batch ;;
            mc-djl) train_mc train-$model-$length-mc-djl none $model $length $batch ;;
            hf) run train-$model-$length-hf python3 bench/gpu_reference.py train $model lora $length $batch "$STEPS" eager ;;
            hfc) run train-$model-$length-hfc env WAIT_FOR="$BUILD_DONE" python3 bench/gpu_reference.py train $model lora $length $batch "$STEPS" compiled ;;
            *) echo "unknown impl $impl in TRAIN_RUNS" ;;
          esac
        done
      done ;;
    packed)
      # the sample dataset's tool-calling conversations (1,681 tokens on average, tool schemas included) at their
      # real lengths, packed first-fit into rows of 4096 (4,096 tokens a step, as 4 x 1024)
      train_mc train-1b-packed-mc all 1b 4096 1 TOOLTUNE_TRAIN_DATA="$GPU_DIR/train-data.tsv.gz" ;;
    qlora)
      java_ready || continue
      # native NF4 quantisation / linear / activation checkpointing against the pure paths (RESULT kind=check), then
      # QLoRA 4B: NF4 base weights dequantised just in time in bf16, activation checkpointing, bf16 embedding
      run qlora-check "${JAVA[@]}" "${MC[@]}" qlora-check gpu0
      run qlora-4b-mc "${JAVA[@]}" "${MC[@]}" train 4b qlora 1024 4 "$STEPS" gpu0 bf16 ;;
    decode)
      java_ready || continue
      # the serving engine's native step against the DJL path, mixed adapters batched vs alone (RESULT kind=check)
      run serving-check "${JAVA[@]}" "${MC[@]}" serving-check gpu0
      for model in 1b 4b; do
        run decode-$model-mc "${JAVA[@]}" "${MC[@]}" decode $model gpu0 bf16 "$DECODE_PROMPT" "$DECODE_NEW" 1,8,32,128
        run decode-$model-hf python3 bench/gpu_reference.py decode $model "$DECODE_PROMPT" "$DECODE_NEW" 1,8,32,128
      done ;;
    *) echo "unknown stage $stage" ;;
  esac
done

[[ -n $BUILD_PID ]] && wait "$BUILD_PID"
python3 bench/gpu_table.py "$RAW" "$CSV" > "$RESULTS"
cat "$RESULTS"
