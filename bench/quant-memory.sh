#!/usr/bin/env bash
# Weight memory of Gemma 3 4B in fp32 / fp16 / NF4 (from the shapes), the measured NDArray bytes of one real 4B
# projection quantised to NF4, and the logit error NF4 introduces on the parity model. Writes bench/results/quant-memory.md.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/results/quant-memory.md
mvn -B -q -o -pl model-core -am test-compile -DskipTests
mvn -B -q -o -pl model-core dependency:build-classpath -Dmdep.outputFile=target/bench.classpath >/dev/null 2>&1 \
  || mvn -B -q -pl model-core dependency:build-classpath -Dmdep.outputFile=target/bench.classpath >/dev/null
CP="model-core/target/test-classes:model-core/target/classes:chat-format/target/classes:$(cat model-core/target/bench.classpath)"
{
  echo "# NF4 weight memory (Gemma 3 4B) and NF4 logit error (parity model)"
  echo
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; DJL 0.36 / libtorch 2.7.1 CPU. Date: $(date -u +%Y-%m-%dT%H:%MZ)."
  echo "Command: \`bench/quant-memory.sh\` (dev.tooltune.model.bench.QuantMemoryReport)."
  echo
  java -Xmx4g -Dai.djl.offline=true -cp "$CP" dev.tooltune.model.bench.QuantMemoryReport \
    model-core/src/main/resources/dev/tooltune/model/config/gemma-3-4b.json 10240 2560 model-core/src/test/resources/parity 2>/dev/null
  echo
  echo "NF4 here is QLoRA's storage: the 7 projections of every layer in NF4 with double-quantised absmax"
  echo "(0.5 + 1/64 + 4/16384 bytes a value); the embedding (tied lm_head) and the norms stay in 16 bit, as"
  echo "bitsandbytes leaves non-Linear modules. The 4B vocabulary is 262,208 (text_config)."
} | tee "$OUT"
