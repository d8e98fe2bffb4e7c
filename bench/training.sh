#!/usr/bin/env bash
# Training throughput and peak memory of model-core on CPU: tiny and 270M Gemma 3 configurations (random
# weights, real vocabulary of 262,144), LoRA vs QLoRA vs full fine-tuning. One JVM per configuration so each
# peak RSS is that run's alone. Writes bench/results/training.md.
#   bench/training.sh            # defaults: tiny 4 x 128, 270M 1 x 128, 3 timed steps
#   STEPS=5 bench/training.sh
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-3}
OUT=bench/results/training.md
mvn -B -q -o -pl model-core -am test-compile -DskipTests
mvn -B -q -o -pl model-core dependency:build-classpath -Dmdep.outputFile=target/bench.classpath >/dev/null 2>&1 \
  || mvn -B -q -pl model-core dependency:build-classpath -Dmdep.outputFile=target/bench.classpath >/dev/null
CP="model-core/target/test-classes:model-core/target/classes:chat-format/target/classes:$(cat model-core/target/bench.classpath)"
run() { java -Xmx6g -Dai.djl.offline=true -cp "$CP" dev.tooltune.model.bench.TrainingBenchmark "$@" 2>/dev/null | grep '^|'; }
{
  echo "# model-core training on CPU: tokens/s and peak memory"
  echo
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores visible, shared with other jobs), $(free -g | awk '/Mem:/{print $2}') GiB RAM;"
  echo "Java $(java -version 2>&1 | head -1 | cut -d'"' -f2), DJL 0.36 / libtorch 2.7.1 CPU, fp32. Date: $(date -u +%Y-%m-%dT%H:%MZ)."
  echo "Command: \`bench/training.sh\` (STEPS=$STEPS timed optimizer steps after one warm-up step; random weights and tokens,"
  echo "loss on the second half of each sequence, LoRA r=16 alpha=32 on all seven projections, AdamW)."
  echo
  echo "| config | method | trainable params | batch x tokens | tokens/s | s/step | peak RSS MiB | last loss | load s |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for method in lora qlora full; do run tiny $method 128 4 "$STEPS"; done
  for method in lora qlora full; do run gemma-3-270m $method 128 1 "$STEPS"; done
  echo
  echo "tokens/s counts every token of the batch (prompt and trained half); peak RSS is VmHWM of the JVM"
  echo "(Java heap, libtorch tensors, gradients, AdamW moments). The vocabulary (262,144 x hidden) dominates both"
  echo "configurations: its embedding is frozen in lora/qlora and trained (with AdamW moments) in full."
} | tee "$OUT"
