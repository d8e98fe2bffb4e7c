#!/usr/bin/env bash
# Constrained decoding speed over the real Gemma 3 vocabulary: compile time per tool set and mask time per token
# (median, p99, max) for the sample data's tool sets with random logits, and the share of a decode step it costs.
# Writes bench/results/grammar.md.
#
#   GENERATIONS=40 SEED=1 bench/grammar.sh
set -euo pipefail
cd "$(dirname "$0")/.."
GENERATIONS="${GENERATIONS:-40}"
SEED="${SEED:-1}"
out=bench/results/grammar.md
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "grammar bench: compiling tool-grammar and running $GENERATIONS generations per tool set and mode" >&2
mvn -B -q -pl tool-grammar -am test-compile -DskipTests >&2
# The reactor's own chat-format classes, never an installed snapshot; the rest from the local repository.
deps="$(mktemp)"
trap 'rm -f "$deps"' EXIT
mvn -B -q -pl chat-format dependency:build-classpath -Dmdep.outputFile="$deps" -Dmdep.includeScope=test >&2
cp="tool-grammar/target/test-classes:tool-grammar/target/classes:chat-format/target/classes:$(cat "$deps")"
cache="${TOOLTUNE_CACHE:-$HOME/.cache/tooltune}"
table="$(java -Xmx1g -Dtooltune.cache="$cache" -cp "$cp" dev.tooltune.grammar.GrammarBenchmark "$GENERATIONS" "$SEED")"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
{
  echo "# Constrained decoding: mask and compile time"
  echo
  echo "$table"
  echo
  echo "- Machine: $cpu, $(nproc) cores visible, $(free -g | awk '/Mem:/ {print $2}') GiB RAM; $(java -version 2>&1 | head -1)."
  echo "- Load average (1/5/15 min) before: $load_before, after: $load_after. The cores are shared with other jobs;"
  echo "  a load above $(nproc) means the numbers are upper bounds of what an idle machine gives."
  echo "- Random logits (no model): each step draws a random allowed token (three times in four one with JSON or fence"
  echo "  syntax, so that values close), ending where the grammar allows one time in four; max_tokens 256, with the budget applied (masks that keep each call completable within it)."
  echo "  Every allowedTokens call is timed, cold ones included: the shared masks (plain text, plain strings, the formats'"
  echo "  pattern states) are computed when the engine is made (ConstrainedDecoding.of; timed below the table); string masks"
  echo "  of other lengths are derived without a walk; a pattern state not prepared at compile (beyond 256 per pattern, or"
  echo "  after a non-ASCII character) walks the vocabulary trie once (shared by all grammars afterwards); the first mask of"
  echo "  each structural state walks a few subtrees. 'compile ms' is the grammar compile of the tool set (schema to automaton,"
  echo "  with its patterns' masks); 'first mask ms' the first"
  echo "  call of the first generation. Decode step times are from model-core-inference.md (batch 1: tiny 81 ms,"
  echo "  270M 368 ms per token)."
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD)."
  echo "- Command: \`GENERATIONS=$GENERATIONS SEED=$SEED bench/grammar.sh\`"
} > "$out"
cat "$out"
