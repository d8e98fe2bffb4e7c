#!/usr/bin/env bash
# Prepares, on a machine with a JDK and Maven, everything bench/gpu.sh needs on a GPU machine that has Python +
# torch + a C++ compiler but no Java and no network, in one folder (default .gpu/, keep it ignored):
#   jre/          a jlinked Java 17 runtime (~36 MB)
#   lib/          model-core's classes and test classes as jars, and its runtime dependencies (DJL api and
#                 pytorch-engine; NOT DJL's pytorch-native-cpu / pytorch-jni jars: the JNI is built there)
#   djl/          DJL 0.36's native sources (engines/pytorch/pytorch-native/src/main/native, api/src/main/native)
#   djl-header/   ai_djl_pytorch_jni_PyTorchLibrary.h, written by `javac -h` from DJL's PyTorchLibrary.java
#   jni-include/  jni.h and linux/jni_md.h of this JDK
# Usage: DJL_CHECKOUT=path/to/djl-git-checkout scripts/gpu/stage.sh [DEST]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DEST=${1:-$ROOT/.gpu}
: "${DJL_CHECKOUT:?set DJL_CHECKOUT to a git checkout of github.com/deepjavalibrary/djl}"
DJL_TAG=${DJL_TAG:-v0.36.0}
JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}
mkdir -p "$DEST"
cd "$ROOT"
mvn -B -q -o -pl model-core -am test-compile dependency:build-classpath -Dmdep.outputFile=target/gpu.classpath \
  -Dmdep.includeScope=runtime -DskipTests
rm -rf "$DEST/lib" "$DEST/djl" "$DEST/djl-header" "$DEST/jni-include"
mkdir -p "$DEST/lib" "$DEST/djl" "$DEST/djl-header/classes" "$DEST/jni-include"
jar cf "$DEST/lib/model-core.jar" -C model-core/target/classes .
jar cf "$DEST/lib/model-core-tests.jar" -C model-core/target/test-classes .
jar cf "$DEST/lib/chat-format.jar" -C chat-format/target/classes .
tr ':' '\n' < model-core/target/gpu.classpath | grep -v -E 'pytorch-native|pytorch-jni|tokenizers|chat-format|/target/|junit|opentest4j|apiguardian|slf4j-simple' \
  | while read -r jar; do cp "$jar" "$DEST/lib/"; done
cp "$(find ~/.m2/repository/org/slf4j/slf4j-simple -name 'slf4j-simple-*.jar' | sort | tail -1)" "$DEST/lib/"
git -C "$DJL_CHECKOUT" archive "$DJL_TAG" engines/pytorch/pytorch-native/src/main/native api/src/main/native \
  engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java | tar -x -C "$DEST/djl"
DJL_CP=$(tr ':' '\n' < model-core/target/gpu.classpath | grep -E '/ai/djl/(api|pytorch/pytorch-engine)/' | paste -sd:)
javac -cp "$DJL_CP" -h "$DEST/djl-header" -d "$DEST/djl-header/classes" \
  "$DEST/djl/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java"
rm -rf "$DEST/djl-header/classes"
cp -r "$JAVA_HOME/include/." "$DEST/jni-include/"
if [[ ! -x $DEST/jre/bin/java ]]; then
  jlink --add-modules java.base,java.logging,java.management,jdk.unsupported,java.xml,java.naming \
    --strip-debug --no-header-files --no-man-pages --compress=2 --output "$DEST/jre"
  strip --strip-unneeded "$DEST/jre/lib/server/libjvm.so" || true
fi
du -sh "$DEST"/*
