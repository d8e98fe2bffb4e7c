#!/usr/bin/env bash
# ToolTune's main job on embedded defaults, on this machine's CPU:
#   1. build; start dataset-service on local PostgreSQL (database tooltune, created if missing)
#   2. upload the sample tool-calling dataset, freeze it, split it, export the training split
#   3. make a tiny random Gemma 3 checkpoint with the real Gemma 3 tokenizer
#   4. fine-tune a LoRA adapter on part of the training split (progress per step), save it in PEFT's format
#   5. ask the fine-tuned model a training prompt with its tools declared and print the tool call it makes
# A tiny random model learns only what it is shown: this proves the pipeline, not answer quality.
#
# Settings (environment): PGHOST/PGPORT/PGUSER (127.0.0.1, 5432, postgres), MAIN_JOB_DB (tooltune),
#   DATASET_SERVICE_PORT (18081), MAIN_JOB_WORK (a new temp dir), MAIN_JOB_EXAMPLES (the 2 shortest training
#   examples with a tool call are trained on), MAIN_JOB_EPOCHS (40), MAIN_JOB_RANK (16), MAIN_JOB_LR (2e-2), MAIN_JOB_METHOD (lora; or qlora).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

PGHOST="${PGHOST:-127.0.0.1}"; PGPORT="${PGPORT:-5432}"; PGUSER="${PGUSER:-postgres}"
DB="${MAIN_JOB_DB:-tooltune}"
PORT="${DATASET_SERVICE_PORT:-18081}"
WORK="${MAIN_JOB_WORK:-$(mktemp -d -t tooltune-main-job.XXXXXX)}"
mkdir -p "$WORK"
EXAMPLES="${MAIN_JOB_EXAMPLES:-2}"
EPOCHS="${MAIN_JOB_EPOCHS:-40}"
RANK="${MAIN_JOB_RANK:-16}"
LR="${MAIN_JOB_LR:-2e-2}"
METHOD="${MAIN_JOB_METHOD:-lora}"
S="http://127.0.0.1:$PORT"
SERVICE_PID=""
# dataset-service trusts only callers with its internal token, and every request names its tenant.
INTERNAL_TOKEN="${TOOLTUNE_INTERNAL_TOKEN:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
TENANT="${MAIN_JOB_TENANT:-main-job}"
dcurl() { curl -H "X-Tooltune-Internal-Token: $INTERNAL_TOKEN" -H "X-Tooltune-Tenant: $TENANT" "$@"; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "main-job: error: $*" >&2; exit 1; }
cleanup() {
  if [[ -n "$SERVICE_PID" ]]; then kill "$SERVICE_PID" 2>/dev/null || true; wait "$SERVICE_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# json FIELD < body: one top-level field of a JSON answer, without needing jq or python
json() { grep -o "\"$1\":[^,}]*" | head -1 | sed 's/^[^:]*://; s/"//g'; }

say "1/5 build and start dataset-service (PostgreSQL $PGHOST:$PGPORT, database $DB)"
(exec 3<>"/dev/tcp/$PGHOST/$PGPORT") 2>/dev/null || fail "PostgreSQL is not reachable at $PGHOST:$PGPORT (see docs/development.md)"
mvn -B -q -pl dataset-service,model-core -am package -DskipTests
model-core/bin/model-cli --help >/dev/null 2>&1 || true   # writes model-core's runtime classpath once
if ! psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -tAc "select 1 from pg_database where datname='$DB'" | grep -q 1; then
  psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qc "create database $DB" || fail "cannot create database $DB"
fi
QUARKUS_HTTP_PORT="$PORT" \
QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://$PGHOST:$PGPORT/$DB?reWriteBatchedInserts=true" \
QUARKUS_DATASOURCE_USERNAME="$PGUSER" \
TOOLTUNE_INTERNAL_TOKEN="$INTERNAL_TOKEN" \
  java -Xmx1g -jar dataset-service/target/quarkus-app/quarkus-run.jar >"$WORK/dataset-service.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 1 120); do
  curl -sf "$S/q/health/ready" >/dev/null 2>&1 && break
  kill -0 "$SERVICE_PID" 2>/dev/null || fail "dataset-service exited; see $WORK/dataset-service.log"
  sleep 0.5
done
curl -sf "$S/q/health/ready" >/dev/null || fail "dataset-service not ready after 60 s; see $WORK/dataset-service.log"
echo "dataset-service up at $S (log: $WORK/dataset-service.log)"

say "2/5 upload the sample dataset, freeze and split it"
dataset=$(dcurl -sf -XPOST "$S/datasets" -H 'Content-Type: application/json' \
  -d "{\"name\":\"main-job-$(date +%Y%m%d-%H%M%S)\",\"description\":\"sample tool-calling conversations\"}")
ID=$(json id <<<"$dataset")
report=$(dcurl -s -XPOST "$S/datasets/$ID/imports?mode=lenient&wait=true" --data-binary @samples/tool-calling-sample.jsonl)
echo "import: state $(json state <<<"$report"), $(json examplesStored <<<"$report") examples stored, $(json invalidLines <<<"$report") invalid lines, version $(json versionNumber <<<"$report")"
VERSION=$(json versionNumber <<<"$report")
[[ -n "$VERSION" && "$VERSION" != null ]] || fail "import failed: $report"
dcurl -sf -XPOST "$S/datasets/$ID/versions/$VERSION/freeze" >/dev/null
split=$(dcurl -sf "$S/datasets/$ID/versions/$VERSION/split?seed=42&evalRatio=0.1")
echo "split (seed 42, 10% eval): $(json train <<<"$split") train, $(json eval <<<"$split") eval"
dcurl -sf "$S/datasets/$ID/versions/$VERSION/export?split=train&seed=42&evalRatio=0.1" -o "$WORK/train.jsonl"
dcurl -sf "$S/datasets/$ID/versions/$VERSION/export?split=eval&seed=42&evalRatio=0.1" -o "$WORK/eval.jsonl"
echo "exported $(wc -l <"$WORK/train.jsonl") training and $(wc -l <"$WORK/eval.jsonl") eval examples to $WORK"
# The shortest conversations with a tool call (fewest bytes, so fewest tokens): a CPU learns them in minutes.
awk 'index($0, "\"tool_calls\"") { print length($0) "\t" NR }' "$WORK/train.jsonl" | sort -n | head -n "$EXAMPLES" | cut -f2 | sort -n \
  | while read -r n; do sed -n "${n}p" "$WORK/train.jsonl"; done >"$WORK/train-subset.jsonl"

say "3/5 a tiny random Gemma 3 checkpoint with the real tokenizer"
model-core/bin/model-cli random-checkpoint --config tiny --out "$WORK/tiny-gemma3" --seed 7 --std 0.3

say "4/5 fine-tune: $METHOD, rank $RANK, $EXAMPLES examples x $EPOCHS epochs"
model-core/bin/model-cli train --model "$WORK/tiny-gemma3" --data "$WORK/train-subset.jsonl" --out "$WORK/adapter" \
  --method "$METHOD" --epochs "$EPOCHS" --lr "$LR" --rank "$RANK" --alpha "$((RANK * 2))" --dropout 0 \
  --batch-size 1 --grad-accum "$EXAMPLES" --max-length 1024 --warmup 3 --schedule linear --seed 1
ls -l "$WORK/adapter"

say "5/5 the fine-tuned model, asked the first training prompt with its tools"
model-core/bin/model-cli generate --model "$WORK/tiny-gemma3" --adapter "$WORK/adapter" \
  --example "$WORK/train-subset.jsonl:1" --max-tokens 96
echo
echo "main-job: done. Work dir (dataset exports, checkpoint, adapter): $WORK"
