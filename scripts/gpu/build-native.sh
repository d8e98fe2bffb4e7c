#!/usr/bin/env bash
# Builds, against the torch of this machine's python3 (pip wheel), the two native libraries model-core needs on
# a GPU machine where DJL's published JNI does not match the installed libtorch:
#   1. DJL 0.36's own JNI (libdjl_torch.so) from a DJL source checkout (engines/pytorch/pytorch-native), the
#      same sources and flags as DJL's build.sh/CMakeLists.txt, compiled with g++ directly (no Java, Gradle or
#      network needed on the machine);
#   2. ours, libtooltune_torch.so: every .cc of model-core/src/main/native (tooltune_torch.cc: autocast, fused
#      attention, NF4, decode, AdamW, ...; training.cc: chunked cross-entropy, varlen flash attention, lean
#      RMSNorm / GELU gate / rotary, the profiler). NATIVE_SOURCES="tooltune_torch.cc" builds a subset.
# DJL's code and the built binaries never go into commits: pass them in ignored folders.
#
#   DJL_SRC=path/to/djl  JNI_INCLUDE=path/to/jdk/include  DJL_JNI_HEADER=dir/with/ai_djl_pytorch_jni_PyTorchLibrary.h \
#     OUT_DIR=build/native scripts/gpu/build-native.sh [djl|ours|all]
#
# DJL_SRC needs engines/pytorch/pytorch-native/src/main/native and api/src/main/native. DJL_JNI_HEADER is the
# header `javac -h` writes for ai.djl.pytorch.jni.PyTorchLibrary (made where a JDK exists; see docs/gpu.md).
# JNI_INCLUDE is a JDK's include/ folder (jni.h, linux/jni_md.h). CUDA is used when torch was built with it
# (CUDA headers from CUDA_HOME, default /usr/local/cuda). Writes OUT_DIR/libdjl_torch.so, OUT_DIR/libtooltune_torch.so.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WHAT=${1:-all}
OUT_DIR=${OUT_DIR:-$ROOT/build/native}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT_DIR"
TORCH=$("$PYTHON" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
ABI=$("$PYTHON" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
CUDA=$("$PYTHON" -c 'import torch; print(1 if torch.version.cuda else 0)')
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
: "${JNI_INCLUDE:?set JNI_INCLUDE to a JDK include folder}"
JOBS=${JOBS:-$(nproc)}
echo "torch $("$PYTHON" -c 'import torch; print(torch.__version__)') at $TORCH (cxx11 abi $ABI, cuda $CUDA), $JOBS jobs"

FLAGS=(-O2 -fPIC -std=c++17 -D_GLIBCXX_USE_CXX11_ABI="$ABI" -w
       -I"$TORCH/include" -I"$TORCH/include/torch/csrc/api/include" -I"$JNI_INCLUDE" -I"$JNI_INCLUDE/linux")
LIBS=(-L"$TORCH/lib" -ltorch -ltorch_cpu -lc10 -Wl,-rpath,"$TORCH/lib")
if [[ $CUDA == 1 ]]; then
  FLAGS+=(-I"$CUDA_HOME/include")
  # pip's CUDA headers, when the toolkit's are missing
  for d in "$TORCH"/../nvidia/*/include "$TORCH"/../nvidia/cu*/include; do [[ -d $d ]] && FLAGS+=(-I"$d"); done
  LIBS+=(-ltorch_cuda -lc10_cuda)
fi

compile_all() { # OBJ_DIR EXTRA_FLAGS... -- SOURCES...
  local obj=$1; shift
  local extra=(); while [[ $1 != -- ]]; do extra+=("$1"); shift; done; shift
  mkdir -p "$obj"
  printf '%s\n' "$@" | xargs -P "$JOBS" -I{} sh -c 'g++ "$@" -c {} -o '"$obj"'/$(basename {} .cc).o || exit 255' _ "${FLAGS[@]}" "${extra[@]}"
}

if [[ $WHAT == djl || $WHAT == all ]]; then
  : "${DJL_SRC:?set DJL_SRC to a DJL source checkout}"
  : "${DJL_JNI_HEADER:?set DJL_JNI_HEADER to the folder holding ai_djl_pytorch_jni_PyTorchLibrary.h}"
  SRC="$DJL_SRC/engines/pytorch/pytorch-native/src/main/native"
  DEFS=(-I"$DJL_JNI_HEADER" -I"$DJL_SRC/api/src/main/native")
  [[ $CUDA == 1 ]] && DEFS+=(-DUSE_CUDA)
  start=$(date +%s)
  compile_all "$OUT_DIR/djl-obj" "${DEFS[@]}" -- "$SRC"/*.cc
  g++ -shared -o "$OUT_DIR/libdjl_torch.so" "$OUT_DIR"/djl-obj/*.o "${LIBS[@]}"
  echo "libdjl_torch.so built in $(( $(date +%s) - start )) s"
fi

if [[ $WHAT == ours || $WHAT == all ]]; then
  # every .cc of model-core/src/main/native (or NATIVE_SOURCES, names in that folder) into the one library,
  # compiled in parallel
  DEFS=(); [[ $CUDA == 1 ]] && DEFS+=(-DTOOLTUNE_CUDA)
  NATIVE="$ROOT/model-core/src/main/native"
  SOURCES=()
  if [[ -n ${NATIVE_SOURCES:-} ]]; then
    for name in $NATIVE_SOURCES; do SOURCES+=("$NATIVE/$name"); done
  else
    SOURCES=("$NATIVE"/*.cc)   # the kernels, the serving step, the training kernels
  fi
  start=$(date +%s)
  rm -rf "$OUT_DIR/ours-obj"
  compile_all "$OUT_DIR/ours-obj" "${DEFS[@]}" -- "${SOURCES[@]}"
  g++ -shared -o "$OUT_DIR/libtooltune_torch.so" "$OUT_DIR"/ours-obj/*.o "${LIBS[@]}"
  echo "libtooltune_torch.so built from ${SOURCES[*]##*/} in $(( $(date +%s) - start )) s"
fi
ls -la "$OUT_DIR"/*.so
