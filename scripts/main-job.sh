#!/usr/bin/env bash
# ToolTune's main job, end to end through the gateway's OpenAI-compatible API, on this machine's CPU:
#   1. start the stack (scripts/stack.sh up: Kafka and the four services on embedded defaults)
#   2. create an API key for tenant demo (scripts/admin.sh create-key)
#   3. upload the sample dataset (samples/tool-calling-sample.jsonl, 400 conversations) as a file: each line is
#      validated; then upload the few shortest of its conversations that call a tool as the training file
#   4. create a fine-tuning job (LoRA on tooltune/gemma-3-tiny-random) and follow its events with a progress bar
#   5. ask the fine-tuned model the first training prompt with its tools, and the base model the same, side by side
#   6. print the web console's URL and the login key of tenant demo (the job's curve and the model are there); on a
#      terminal, wait for Enter so the console can be looked at; then stop the stack (also on failure or Ctrl-C)
# A tiny random model learns only what it is shown: this proves the pipeline, not answer quality; on real Gemma 3
# weights the same calls train on the whole file (see README).
#
# Settings (environment): MAIN_JOB_EXAMPLES (the 1 shortest tool-calling conversation is trained on),
#   MAIN_JOB_EPOCHS (40), MAIN_JOB_LR (0.02), MAIN_JOB_RANK (16), MAIN_JOB_TENANT (demo), MAIN_JOB_KEEP_STACK (unset;
#   1 = leave the stack running, 0 = stop it at once even on a terminal), plus scripts/stack.sh's settings
#   (TOOLTUNE_STACK_PORT, KAFKA_PORT, PGHOST, ...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

EXAMPLES="${MAIN_JOB_EXAMPLES:-1}"
EPOCHS="${MAIN_JOB_EPOCHS:-40}"
LR="${MAIN_JOB_LR:-0.02}"
RANK="${MAIN_JOB_RANK:-16}"
TENANT="${MAIN_JOB_TENANT:-demo}"
BASE_MODEL="tooltune/gemma-3-tiny-random"
WORK="$(mktemp -d -t tooltune-main-job.XXXXXX)"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "main-job: error: $*" >&2; exit 1; }
STACK_STARTED=""
cleanup() {
  local status=$?
  if [[ -n "$STACK_STARTED" && "${MAIN_JOB_KEEP_STACK:-}" != 1 ]]; then
    say "stop the stack"
    scripts/stack.sh down || true
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# json FIELD < body: the first value of FIELD in a JSON answer (strings unquoted), without jq or python
json() { grep -o "\"$1\":\(\"[^\"]*\"\|[^,}\"]*\)" | head -1 | sed 's/^"[^"]*"://; s/^"//; s/"$//'; }

say "1/6 start the stack (Kafka, dataset-service, inference-service, trainer-service, gateway)"
STACK_STARTED=1
# The stack's own login key is left out: this job makes the key it prints at the end.
GATEWAY="$(TOOLTUNE_STACK_LOGIN_KEY=0 scripts/stack.sh up)"
eval "$(scripts/stack.sh env)"
API="$GATEWAY/v1"
echo "gateway: $GATEWAY   logs: $TOOLTUNE_STACK_LOGS"

say "2/6 an API key for tenant $TENANT"
KEY="$(QUARKUS_DATASOURCE_JDBC_URL="$QUARKUS_DATASOURCE_JDBC_URL" scripts/admin.sh create-key --tenant "$TENANT")"
echo "key: ${KEY:0:10}... (shown once; stored hashed)"
api() { curl -sS -H "Authorization: Bearer $KEY" "$@"; }

say "3/6 upload the sample dataset and the training file"
sample=$(api "$API/files" -F purpose=fine-tune -F file=@samples/tool-calling-sample.jsonl)
[[ "$(json status <<<"$sample")" == processed ]] || fail "upload of the sample was refused: $sample"
echo "samples/tool-calling-sample.jsonl -> $(json id <<<"$sample"): $(json tooltune_examples <<<"$sample") conversations, every line valid"
# The shortest conversations with a tool call (fewest bytes, so fewest tokens): a CPU learns them in minutes.
awk 'index($0, "\"tool_calls\"") { print length($0) "\t" NR }' samples/tool-calling-sample.jsonl | sort -n | head -n "$EXAMPLES" \
  | cut -f2 | sort -n | while read -r n; do sed -n "${n}p" samples/tool-calling-sample.jsonl; done >"$WORK/train.jsonl"
train=$(api "$API/files" -F purpose=fine-tune -F "file=@$WORK/train.jsonl;filename=main-job-train.jsonl")
TRAINING_FILE=$(json id <<<"$train")
[[ "$(json status <<<"$train")" == processed ]] || fail "upload of the training file was refused: $train"
echo "training file: $TRAINING_FILE (the $EXAMPLES shortest tool-calling conversation(s) of the sample)"

say "4/6 fine-tune $BASE_MODEL: LoRA rank $RANK, $EXAMPLES example(s) x $EPOCHS epochs, lr $LR"
job=$(api "$API/fine_tuning/jobs" -H 'Content-Type: application/json' -d @- <<EOF
{"model": "$BASE_MODEL", "training_file": "$TRAINING_FILE", "suffix": "main-job", "seed": 1,
 "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": $EPOCHS, "batch_size": 1}}},
 "tooltune": {"method": "lora", "learning_rate": $LR, "gradient_accumulation_steps": $EXAMPLES, "max_length": 1024,
              "lora": {"rank": $RANK, "alpha": $((RANK * 2)), "dropout": 0}}}
EOF
)
JOB=$(json id <<<"$job")
[[ "$JOB" == ftjob-* ]] || fail "the job was refused: $job"
echo "job: $JOB"
# Events as they come (SSE, oldest first, ends with [DONE]): metrics events draw the bar, others print a line.
bar() {  # bar STEP TOTAL LOSS ETA (numbers; anything else counts as 0)
  local step=$1 total=$2 loss=$3 eta=$4
  [[ "$step" =~ ^[0-9]+$ ]] || step=0; [[ "$total" =~ ^[0-9]+$ ]] || total=0
  [[ "$loss" =~ ^[0-9.eE+-]+$ ]] || loss=0; [[ "$eta" =~ ^[0-9]+$ ]] || eta=0
  local filled=$((total > 0 ? step * 30 / total : 0))
  printf '\r  [%-30s] step %d/%d  loss %-8.4f ETA %3ds ' "$(printf '%*s' "$filled" '' | tr ' ' '#')" "$step" "$total" "$loss" "$eta"
}
api -N "$API/fine_tuning/jobs/$JOB/events?stream=true" | while IFS= read -r line; do
  [[ "$line" == data:* ]] || continue
  data="${line#data:}"; data="${data# }"   # SSE: one space after the colon is optional
  [[ "$data" == "[DONE]" ]] && break
  if [[ "$(json type <<<"$data")" == metrics ]]; then
    bar "$(json step <<<"$data")" "$(json total_steps <<<"$data")" "$(json train_loss <<<"$data")" "$(json eta_seconds <<<"$data" | cut -d. -f1)"
  else
    printf '\r  %-70s\n' "$(json message <<<"$data")"
  fi
done || true   # curl ends on a closed pipe after [DONE]
echo
for _ in $(seq 1 60); do
  job=$(api "$API/fine_tuning/jobs/$JOB")
  case "$(json status <<<"$job")" in succeeded|failed|cancelled) break ;; esac
  sleep 1
done
[[ "$(json status <<<"$job")" == succeeded ]] || fail "the job did not succeed: $job (trainer log: $TOOLTUNE_STACK_LOGS/trainer-service.log)"
MODEL=$(json fine_tuned_model <<<"$job")
echo "succeeded: fine_tuned_model $MODEL"

say "5/6 chat completions with the tools: fine-tuned model and base model"
first=$(head -1 "$WORK/train.jsonl")
prompt="${first%%,\{\"role\":\"assistant\"*}"      # {"messages":[ ...the turns before the first answer
tools="${first#*\"tools\":}"; tools="${tools%\}}"    # [ ...the conversation's tools ]
expected=$(grep -o '"function":{"name":"[^"]*","arguments":"\([^"\\]\|\\.\)*"' <<<"$first" | head -1)
echo "prompt: $(grep -o '"content":"[^"]*"' <<<"$prompt" | tail -1 | sed 's/^"content"://')"
ask() {
  api "$API/chat/completions" -H 'Content-Type: application/json' \
    -d "$prompt], \"tools\": $tools, \"model\": \"$1\", \"temperature\": 0, \"max_tokens\": 96}"
}
show() {  # the tool call of a chat answer, or its text
  local call; call=$(grep -o '"function":{\("name":"[^"]*","arguments":"\([^"\\]\|\\.\)*"\|"arguments":"\([^"\\]\|\\.\)*","name":"[^"]*"\)' <<<"$1" | head -1)
  if [[ -n "$call" ]]; then echo "tool call ${call#\"function\":{}"
  elif grep -q '"choices"' <<<"$1"; then echo "no tool call; text: \"$(json content <<<"$1")\""
  else echo "error: $1"; fi
}
tuned=$(ask "$MODEL")
base=$(ask "$BASE_MODEL")
printf '  %-12s %s\n' "expected:" "${expected#\"function\":{}"
printf '  %-12s %s\n' "fine-tuned:" "$(show "$tuned")"
printf '  %-12s %s\n' "base model:" "$(show "$base")"

say "6/6 done in $((SECONDS / 60))m $((SECONDS % 60))s"
echo "main-job: the fine-tuned model $MODEL answered through the gateway at $GATEWAY"
echo
echo "  Console:   $GATEWAY/   (the job's loss curve, the datasets, the model in the playground)"
echo "  Login key: $KEY"
echo "             (tenant $TENANT; shown only now, stored hashed; revoke: scripts/admin.sh revoke-key, see list-keys)"
echo
if [[ "${MAIN_JOB_KEEP_STACK:-}" == 1 ]]; then
  echo "main-job: the stack keeps running (MAIN_JOB_KEEP_STACK=1); stop it with scripts/stack.sh down"
elif [[ -t 0 && -t 1 && "${MAIN_JOB_KEEP_STACK:-}" != 0 ]]; then
  read -r -p "Press Enter to stop the stack (the console works until then) " _ || true
else
  echo "main-job: stopping the stack now; MAIN_JOB_KEEP_STACK=1 keeps it running for the console"
fi
