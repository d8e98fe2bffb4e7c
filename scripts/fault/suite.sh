#!/usr/bin/env bash
# The fault and load suite of #21 on real processes (scripts/stack.sh: Kafka + the four services, local PostgreSQL),
# loopback only, bounded in count and time. Each case prints what the client saw and what was lost, one
# "CASE <name>: PASS|FAIL ..." line each, and the load run its figures; exit 1 if any case failed.
#
#   scripts/fault/suite.sh [case ...]     cases: restart broker-lost kill-inference kill-dataset kill-trainer load
#                                         (default: all, in that order)
# Settings: the stack's own (TOOLTUNE_STACK_PORT, KAFKA_PORT, TOOLTUNE_STACK_DATASET_DB, TOOLTUNE_STACK_GATEWAY_DB,
# TOOLTUNE_STACK_DIR), LOAD_REQUESTS=2000, LOAD_CONCURRENCY=16, LOAD_SECONDS=600 (no request starts after it). The stack is started by the suite (its broker too)
# and wiped at the end: point it at throwaway databases.
# Not run here: a PostgreSQL restart (the server is shared by other users of this machine).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export TOOLTUNE_STACK_DIR="${TOOLTUNE_STACK_DIR:-$PWD/.work/fault-stack}"
# Short enough to see the watchdog act within the suite; long enough for any step of the tiny model.
export TOOLTUNE_GATEWAY_JOBS_HEARTBEAT_TIMEOUT="${TOOLTUNE_GATEWAY_JOBS_HEARTBEAT_TIMEOUT:-PT120S}"
export TOOLTUNE_GATEWAY_JOBS_WATCHDOG_INTERVAL="${TOOLTUNE_GATEWAY_JOBS_WATCHDOG_INTERVAL:-PT5S}"
LOAD_REQUESTS="${LOAD_REQUESTS:-2000}"
LOAD_CONCURRENCY="${LOAD_CONCURRENCY:-16}"
LOAD_SECONDS="${LOAD_SECONDS:-600}"
BASE_MODEL="tooltune/gemma-3-tiny-random"
CASES=("$@"); [[ ${#CASES[@]} -eq 0 ]] && CASES=(restart broker-lost kill-inference kill-dataset kill-trainer load)
WORK="$TOOLTUNE_STACK_DIR/suite"; mkdir -p "$WORK"
FAILED=0

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
result() { echo "CASE $1: $2"; [[ "$2" == PASS* ]] || FAILED=1; }
json() { grep -o "\"$1\":\(\"[^\"]*\"\|[^,}\"]*\)" | head -1 | sed 's/^"[^"]*"://; s/^"//; s/"$//'; }
up() { scripts/stack.sh up >"$WORK/up.log" 2>&1 || { tail -20 "$WORK/up.log" >&2; return 1; }; }
down() { scripts/stack.sh down >/dev/null 2>&1; }
pid_of() { cat "$TOOLTUNE_STACK_DIR/pids/$1.pid"; }
api() { curl -sS --max-time 120 -H "Authorization: Bearer $KEY" "$@"; }
status_of() { api "$API/fine_tuning/jobs/$1" | json status; }
wait_status() { # job wanted-status seconds
  local s
  for _ in $(seq 1 "$3"); do s=$(status_of "$1"); [[ "$s" == "$2" ]] && return 0
    [[ "$s" == failed || "$s" == cancelled ]] && [[ "$2" != "$s" ]] && return 1; sleep 1; done
  return 1
}
chat_status() { # model -> HTTP status of a short chat
  api -o "$WORK/chat.out" -w '%{http_code}' "$API/chat/completions" -H 'Content-Type: application/json' \
    -d "{\"model\":\"$1\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
}
listed() { api "$API/models" | grep -qF "\"$1\""; }
new_job() { # suffix epochs -> job id
  api "$API/fine_tuning/jobs" -H 'Content-Type: application/json' -d "{\"model\":\"$BASE_MODEL\",\"training_file\":\"$TRAIN\",
    \"suffix\":\"$1\",\"seed\":1,\"method\":{\"type\":\"supervised\",\"supervised\":{\"hyperparameters\":{\"n_epochs\":$2,\"batch_size\":1}}},
    \"tooltune\":{\"max_length\":1024,\"lora\":{\"rank\":4,\"alpha\":8,\"dropout\":0}}}" | json id
}
events_of() { api "$API/fine_tuning/jobs/$1/events?limit=100" | grep -o '"message":"[^"]*"' | sed 's/"message"://'; }

log "stack up (logs: $TOOLTUNE_STACK_DIR/logs)"
up || { echo "CASE setup: FAIL stack did not start"; exit 1; }
eval "$(scripts/stack.sh env)"
API="$TOOLTUNE_GATEWAY_URL/v1"
KEY="$(QUARKUS_DATASOURCE_JDBC_URL="$QUARKUS_DATASOURCE_JDBC_URL" scripts/admin.sh create-key --tenant "fault$RANDOM")"
# The 8 shortest tool-calling conversations of the sample (fewest tokens: quick steps on a CPU).
awk 'index($0, "\"tool_calls\"") { print length($0) "\t" NR }' samples/tool-calling-sample.jsonl | sort -n | head -n 8 \
  | cut -f2 | sort -n | while read -r n; do sed -n "${n}p" samples/tool-calling-sample.jsonl; done >"$WORK/train.jsonl"
TRAIN=$(api "$API/files" -F purpose=fine-tune -F "file=@$WORK/train.jsonl;filename=fault-train.jsonl" | json id)
[[ "$TRAIN" == file-* ]] || { echo "CASE setup: FAIL upload"; exit 1; }
log "a first fine-tuned model (job A)"
JOB_A=$(new_job fault-a 1)
wait_status "$JOB_A" succeeded 900 || { echo "CASE setup: FAIL job A: $(api "$API/fine_tuning/jobs/$JOB_A")"; exit 1; }
MODEL_A=$(api "$API/fine_tuning/jobs/$JOB_A" | json fine_tuned_model)
for _ in $(seq 1 60); do [[ "$(chat_status "$MODEL_A")" == 200 ]] && break; sleep 1; done
log "model A: $MODEL_A"

case_restart() { # stack down/up while a job runs: the job finishes, model A still answers
  local job; job=$(new_job fault-restart 6)
  wait_status "$job" running 600 || { result restart "FAIL job never ran"; return; }
  local t0=$SECONDS; down; up || { result restart "FAIL up"; return; }
  local back=$((SECONDS - t0)) a_status; a_status=$(chat_status "$MODEL_A")
  if wait_status "$job" succeeded 900; then
    result restart "PASS down+up took ${back}s; running job $job succeeded afterwards ($(events_of "$job" | grep -c 'queued again') watchdog re-queues); model A chat after up: HTTP $a_status"
  else
    result restart "FAIL job $job ended $(status_of "$job"); model A chat: HTTP $a_status"
  fi
}

case_broker_lost() { # broker data lost while a job runs: adapters published again, job re-queued by the watchdog
  local job; job=$(new_job fault-lost 6)
  wait_status "$job" running 600 || { result broker-lost "FAIL job never ran"; return; }
  down; KAFKA_PORT="${KAFKA_PORT:-9092}" scripts/kafka.sh wipe >/dev/null
  local t0=$SECONDS; up || { result broker-lost "FAIL up"; return; }
  local healed=-1 s
  for i in $(seq 1 120); do s=$(chat_status "$MODEL_A"); [[ "$s" == 200 ]] && { healed=$((SECONDS - t0)); break; }; sleep 1; done
  local listed_meanwhile=ok; listed "$MODEL_A" || listed_meanwhile="not listed"
  if [[ $healed -ge 0 ]] && wait_status "$job" succeeded 900; then
    result broker-lost "PASS model A answers again ${healed}s after up (published again from the registry; $listed_meanwhile); running job $job re-queued and succeeded: $(events_of "$job" | grep -m1 'queued again')"
  else
    result broker-lost "FAIL model A chat: HTTP $s (after ${healed}s); job $job: $(status_of "$job")"
  fi
}

case_kill_inference() { # kill -9 inference-service mid-stream
  api -N "$API/chat/completions" -H 'Content-Type: application/json' -o "$WORK/stream.out" -d "{\"model\":\"$MODEL_A\",
    \"stream\":true,\"max_tokens\":2000,\"messages\":[{\"role\":\"user\",\"content\":\"tell a long story\"}]}" &
  local client=$!
  sleep 3; kill -9 "$(pid_of inference-service)"; wait "$client"; local client_rc=$?
  local seen; seen="$(grep -c '^data:' "$WORK/stream.out") events, last: $(grep '^data:' "$WORK/stream.out" | tail -1 | cut -c1-80)"
  local during; during=$(chat_status "$MODEL_A")
  up || { result kill-inference "FAIL up"; return; }
  local after; after=$(chat_status "$MODEL_A")
  [[ "$after" == 200 ]] && result kill-inference "PASS client stream ended (curl rc $client_rc) after $seen; while down HTTP $during; after restart HTTP $after; nothing stored is lost (stateless)" \
    || result kill-inference "FAIL after restart HTTP $after"
}

case_kill_dataset() { # kill -9 dataset-service mid-import
  for _ in $(seq 1 40); do cat samples/tool-calling-sample.jsonl; done >"$WORK/big.jsonl"
  local before; before=$(api "$API/files" | grep -o '"id":"file-' | wc -l)
  api -o "$WORK/upload.out" -w '%{http_code}' "$API/files" -F purpose=fine-tune -F "file=@$WORK/big.jsonl" >"$WORK/upload.code" &
  local client=$!
  sleep 4; kill -9 "$(pid_of dataset-service)"; wait "$client"
  up || { result kill-dataset "FAIL up"; return; }
  local after; after=$(api "$API/files" | grep -o '"id":"file-' | wc -l)
  local again; again=$(api -o /dev/null -w '%{http_code}' "$API/files" -F purpose=fine-tune -F "file=@$WORK/train.jsonl")
  local content; content=$(api -o /dev/null -w '%{http_code}' "$API/files/$TRAIN/content")
  [[ "$after" == "$before" && "$again" == 200 && "$content" == 200 ]] \
    && result kill-dataset "PASS client got HTTP $(cat "$WORK/upload.code"): $(cut -c1-120 "$WORK/upload.out"); files listed before/after: $before/$after (no half file); a new upload: HTTP $again; an earlier file's content: HTTP $content" \
    || result kill-dataset "FAIL files $before -> $after, new upload HTTP $again, earlier content HTTP $content"
}

case_kill_trainer() { # kill -9 trainer-service mid-step: the broker hands the job to the restarted worker
  local job; job=$(new_job fault-kill 6)
  wait_status "$job" running 600 || { result kill-trainer "FAIL job never ran"; return; }
  sleep 2; kill -9 "$(pid_of trainer-service)"; local t0=$SECONDS
  up || { result kill-trainer "FAIL up"; return; }
  if wait_status "$job" succeeded 900; then
    result kill-trainer "PASS job $job succeeded $((SECONDS - t0))s after the kill; adapters published for it: $(api "$API/models" | grep -o "ft:[^\"]*$job" | wc -l)"
  else
    result kill-trainer "FAIL job $job: $(status_of "$job")"
  fi
}

case_load() { # fixed concurrency, mixed models, adapters published and deleted meanwhile
  local models="$BASE_MODEL,$MODEL_A"
  for m in $(api "$API/models" | grep -o '"id":"ft:[^"]*' | sed 's/"id":"//' | grep -v fault-lost); do models="$models,$m"; done
  models=$(tr ',' '\n' <<<"$models" | sort -u | paste -sd,)
  # churn: train a model during the run and delete it again
  ( local job; job=$(new_job fault-churn 1); wait_status "$job" succeeded 900
    local m; m=$(api "$API/fine_tuning/jobs/$job" | json fine_tuned_model)
    for _ in $(seq 1 30); do [[ "$(chat_status "$m")" == 200 ]] && break; sleep 1; done
    echo "churn: published $m, chat $(chat_status "$m"), deleted: $(api -X DELETE "$API/models/$m" | json deleted)" >"$WORK/churn.out" ) &
  local churn=$!
  local port; port=${TOOLTUNE_STACK_PORT:-8080}
  java -Dsamples="$WORK/load-samples.txt" -Dseconds="$LOAD_SECONDS" scripts/fault/LoadRun.java "$TOOLTUNE_GATEWAY_URL" "$KEY" "$LOAD_REQUESTS" "$LOAD_CONCURRENCY" \
    "$models" "gateway=$(pid_of gateway):http://127.0.0.1:$port/q/metrics" \
    "inference=$(pid_of inference-service):http://127.0.0.1:$((port + 3))/q/metrics" | tee "$WORK/load.out"
  local rc=${PIPESTATUS[0]}
  wait "$churn"; cat "$WORK/churn.out" 2>/dev/null
  [[ $rc -eq 0 ]] && result load "PASS $(grep statuses "$WORK/load.out"); $(grep latency "$WORK/load.out")" \
    || result load "FAIL $(grep -m3 'statuses\|failure' "$WORK/load.out" | tr '\n' ' ')"
}

for c in "${CASES[@]}"; do
  log "case $c"
  "case_${c//-/_}"
done
log "wiping the stack"
scripts/stack.sh wipe >/dev/null 2>&1
exit $FAILED
