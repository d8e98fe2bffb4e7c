#!/usr/bin/env bash
# The fault and load suite of #21 on real processes (scripts/stack.sh: Kafka + the four services, PostgreSQL),
# loopback only, bounded in count and time. Each case prints what the client saw and what was lost, one
# "CASE <name>: PASS|FAIL ..." line each, and the load run its figures; exit 1 if any case failed.
#
#   scripts/fault/suite.sh [case ...]
#
# Cases (default: all, in this order):
#   restart          stack down/up while a job runs: the job finishes, model A still answers
#   broker-lost      the broker's data wiped while a job runs: adapters published again from the gateway's registry,
#                    the job re-queued by the watchdog, /v1/models lists only what answers
#   broker-lost-live the broker's data wiped under the running stack (kafka.sh wipe + start, no service restarted):
#                    the services reconnect, model A is listed and answers again, the job ends, /v1/models is true
#   kill-inference, kill-dataset, kill-trainer, kill-gateway
#                    kill -9 of that service with work in flight (a running job, two chat streams, an upload), then
#                    `stack.sh up`: no unclear 5xx, an acknowledged upload is listed whole, the job succeeds or fails
#                    with a reason, every listed model answers
#   pg-restart       PostgreSQL stopped for PG_DOWN_SECONDS, then started: readiness 503 then 200, clear errors
#                    meanwhile, no row lost, no 5xx from stale pooled connections afterwards. Only on a cluster of
#                    one's own (FAULT_PG_PORT): the suite never restarts a shared server.
#   load             LOAD_REQUESTS chat completions at LOAD_CONCURRENCY (scripts/fault/LoadRun.java: every tool_choice
#                    mode, streamed and not, 3 in 16 hostile), while models are trained, published and deleted one
#                    after another (each deleted model must then answer 404)
# Settings: the stack's own (TOOLTUNE_STACK_PORT, KAFKA_PORT, TOOLTUNE_STACK_DATASET_DB, TOOLTUNE_STACK_GATEWAY_DB,
# TOOLTUNE_STACK_DIR=.work/fault-stack); FAULT_PG_PORT (e.g. 55432): run the stack on a throwaway cluster of
# scripts/fault/pg-cluster.sh (started here, deleted at the end) instead of PGHOST/PGPORT; LOAD_REQUESTS=5000,
# LOAD_CONCURRENCY=64, LOAD_SECONDS=600 (no request starts after it); JOB_WAIT=900 (seconds a job may take to end
# after a fault); FAULT_JOB_EPOCHS=2 (epochs of each case's job, 8 steps an epoch); KILL_AFTER=4 (seconds of
# in-flight work before a kill); PG_DOWN_SECONDS=15; SUITE_KEEP=1 leaves the stack (and cluster) running at the end.
# The suite starts the stack (its broker too) and wipes it at the end: point
# it at throwaway databases. Example (one engineer's ports):
#   FAULT_PG_PORT=55432 TOOLTUNE_STACK_PORT=18400 KAFKA_PORT=19400 TOOLTUNE_STACK_DATASET_DB=tt_faults \
#     TOOLTUNE_STACK_GATEWAY_DB=tt_faults_gateway scripts/fault/suite.sh kill-dataset pg-restart load
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export TOOLTUNE_STACK_DIR="${TOOLTUNE_STACK_DIR:-$PWD/.work/fault-stack}"
# Short enough to see the watchdog act within the suite; long enough for any step of the tiny model.
export TOOLTUNE_GATEWAY_JOBS_HEARTBEAT_TIMEOUT="${TOOLTUNE_GATEWAY_JOBS_HEARTBEAT_TIMEOUT:-PT120S}"
export TOOLTUNE_GATEWAY_JOBS_WATCHDOG_INTERVAL="${TOOLTUNE_GATEWAY_JOBS_WATCHDOG_INTERVAL:-PT5S}"
LOAD_REQUESTS="${LOAD_REQUESTS:-5000}"
LOAD_CONCURRENCY="${LOAD_CONCURRENCY:-64}"
JOB_WAIT="${JOB_WAIT:-900}"
FAULT_JOB_EPOCHS="${FAULT_JOB_EPOCHS:-2}"
if [[ -n "${FAULT_PG_PORT:-}" ]]; then
  export PGHOST=127.0.0.1 PGPORT="$FAULT_PG_PORT"
  scripts/fault/pg-cluster.sh start || { echo "CASE setup: FAIL own PostgreSQL cluster"; exit 1; }
fi
LOAD_SECONDS="${LOAD_SECONDS:-600}"
BASE_MODEL="tooltune/gemma-3-tiny-random"
CASES=("$@"); [[ ${#CASES[@]} -eq 0 ]] && CASES=(restart broker-lost broker-lost-live kill-inference kill-dataset kill-trainer kill-gateway pg-restart load)
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
chat_status() { # model -> HTTP status of a short chat (its body in $WORK/chat.out, empty if none came)
  : >"$WORK/chat.out"
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
  local job; job=$(new_job fault-restart "$FAULT_JOB_EPOCHS")
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
  local job; job=$(new_job fault-lost "$FAULT_JOB_EPOCHS")
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

# --- kill -9 of one service while work is in flight -------------------------------------------------------------
# In flight at the kill: a training job (running), two chat streams of model A, an upload of a 40x sample file. While
# the service is down: one chat and one files list. After `stack.sh up`: every answer a client got was a 2xx/4xx or a
# 5xx whose body says what failed (never the generic internal error), a stream ended with [DONE] or an error event
# (a dropped connection is what a client of a killed process sees: noted, not failed); the upload is listed with its
# content iff it was acknowledged (an unacknowledged one may be there, whole); the job reaches succeeded, or failed
# with a reason; every model /v1/models lists answers a chat.
SEEN="" # what the clients saw, one "what: status" per line
clear_5xx() { # file code -> 0 if a 5xx body says what failed
  [[ "$2" -lt 500 ]] && return 0
  grep -q '"message"' "$1" && ! grep -q 'internal_error' "$1"
}
note() { SEEN="$SEEN$1; "; }
stream_outcome() { # file curl-rc -> how a stream ended
  local f=$1 events; events=$(grep -c '^data:' "$f")
  if grep -q '^data: \[DONE\]' "$f"; then echo "200 with [DONE] after $events events"
  elif grep -q '^data: {"error"' "$f"; then echo "error event after $events events: $(grep -m1 '^data: {"error"' "$f" | cut -c1-160)"
  elif [[ $events -gt 0 ]]; then echo "cut after $events events without an error event (curl rc $2)"
  else echo "no answer (curl rc $2): $(head -c 200 "$f")"; fi
}
inflight_start() { # tag
  local tag=$1
  rm -f "$WORK/$tag"-*
  for _ in $(seq 1 8); do cat samples/tool-calling-sample.jsonl; done >"$WORK/big.jsonl"
  FILES_BEFORE=$(api "$API/files?limit=1000" | grep -o '"id":"file-[^"]*"' | sort)
  ( api -o "$WORK/$tag-upload.out" -w '%{http_code}' "$API/files" -F purpose=fine-tune \
      -F "file=@$WORK/big.jsonl;filename=$tag-big.jsonl" >"$WORK/$tag-upload.code"; echo $? >"$WORK/$tag-upload.rc" ) &
  UPLOAD=$!
  STREAMS=()
  for n in 1 2; do
    ( api -N --max-time 600 -o "$WORK/$tag-stream$n.out" "$API/chat/completions" -H 'Content-Type: application/json' -d "{\"model\":\"$MODEL_A\",
        \"stream\":true,\"max_tokens\":600,\"messages\":[{\"role\":\"user\",\"content\":\"tell a long story $n\"}]}"
      echo $? >"$WORK/$tag-stream$n.rc" ) &
    STREAMS+=($!)
  done
}
inflight_wait() { wait "$UPLOAD" "${STREAMS[@]}" 2>/dev/null; }
inflight_check() { # tag job -> sets PROBLEMS
  local tag=$1 job=$2 code rc body listed_now id
  PROBLEMS=""
  if [[ -f "$WORK/$tag-upload.rc" ]]; then
  code=$(cat "$WORK/$tag-upload.code" 2>/dev/null); rc=$(cat "$WORK/$tag-upload.rc" 2>/dev/null)
  body=$(head -c 200 "$WORK/$tag-upload.out" 2>/dev/null)
  note "upload: HTTP ${code:-none} (curl rc $rc) ${body:0:120}"
  [[ -n "$code" && "$code" != 000 ]] && ! clear_5xx "$WORK/$tag-upload.out" "$code" && PROBLEMS="$PROBLEMS upload got an unclear $code;"
  listed_now=$(api "$API/files?limit=1000" | grep -o '"id":"file-[^"]*"' | sort)
  if [[ "$code" == 200 ]]; then
    id=$(json id <"$WORK/$tag-upload.out")
    grep -qF "\"$id\"" <<<"$listed_now" || PROBLEMS="$PROBLEMS acknowledged upload $id not listed;"
  fi
  for id in $(comm -13 <(echo "$FILES_BEFORE") <(echo "$listed_now") | sed 's/"id":"//; s/"//'); do
    local st; st=$(api -o /dev/null -w '%{http_code}' "$API/files/$id/content")
    note "file $id after restart: $(api "$API/files/$id" | json status), content HTTP $st"
    [[ "$st" == 200 ]] || PROBLEMS="$PROBLEMS file $id listed but its content is HTTP $st;"
  done
  fi
  for n in 1 2; do [[ -f "$WORK/$tag-stream$n.rc" ]] || continue; note "stream $n: $(stream_outcome "$WORK/$tag-stream$n.out" "$(cat "$WORK/$tag-stream$n.rc")")"; done
  # A stream is cut with no word only where the gateway itself died (the client's own connection); anything else
  # ends with [DONE] or an error event, and an error is never the generic internal error.
  for n in 1 2; do
    local out="$WORK/$tag-stream$n.out"
    [[ -f "$WORK/$tag-stream$n.rc" ]] || continue
    grep -q 'internal_error' "$out" && PROBLEMS="$PROBLEMS stream $n: the generic internal error;"
    if grep -q '^data:' "$out"; then
      grep -q '^data: \[DONE\]\|^data: {"error"' "$out" || [[ "$tag" == kill-gateway ]] \
        || PROBLEMS="$PROBLEMS stream $n cut without an error event;"
    else
      clear_5xx "$out" 500 || [[ ! -s "$out" ]] || PROBLEMS="$PROBLEMS stream $n: unclear error;"
    fi
  done
  # the job: succeeded, or failed with a reason
  local end=$((SECONDS + JOB_WAIT)) s=""
  while ((SECONDS < end)); do s=$(status_of "$job"); [[ "$s" == succeeded || "$s" == failed || "$s" == cancelled ]] && break; sleep 3; done
  local reason; reason=$(api "$API/fine_tuning/jobs/$job" | grep -o '"error":{[^}]*}' | cut -c1-200)
  note "job $job: $s ${reason} (re-queues: $(events_of "$job" | grep -c 'queued again'))"
  case "$s" in
    succeeded) ;;
    failed) [[ "$reason" == *message* ]] || PROBLEMS="$PROBLEMS job failed without a reason;" ;;
    *) PROBLEMS="$PROBLEMS job still $s after ${JOB_WAIT}s;" ;;
  esac
  # /v1/models is true: each listed model answers
  local m st
  for m in $(api "$API/models" | grep -o '"id":"[^"]*"' | sed 's/"id":"//; s/"$//'); do
    st=$(chat_status "$m")
    [[ "$st" == 200 ]] || { PROBLEMS="$PROBLEMS listed model $m answers HTTP $st;"; note "listed $m: HTTP $st $(head -c 160 "$WORK/chat.out")"; }
  done
}
case_kill() { # service: kill -9 it while work is in flight, restart, check nothing accepted is lost
  local svc=$1 name=kill-${1%-service} job during
  SEEN=""
  job=$(new_job "k${svc:0:4}" "$FAULT_JOB_EPOCHS")
  wait_status "$job" running 600 || { result "$name" "FAIL job never ran: $(status_of "$job")"; return; }
  inflight_start "$name"
  sleep "${KILL_AFTER:-4}"
  kill -9 "$(pid_of "$svc")"; log "killed $svc"
  during=$(chat_status "$MODEL_A"); note "chat while $svc is down: HTTP $during $(head -c 160 "$WORK/chat.out")"
  [[ "$during" == 000 ]] || clear_5xx "$WORK/chat.out" "$during" || PROBLEMS_DOWN="chat while down: unclear $during;"
  : >"$WORK/files-down.out"; local fl; fl=$(api -o "$WORK/files-down.out" -w '%{http_code}' "$API/files"); note "files list while down: HTTP $fl $(head -c 160 "$WORK/files-down.out")"
  [[ "$fl" == 000 ]] || clear_5xx "$WORK/files-down.out" "$fl" || PROBLEMS_DOWN="${PROBLEMS_DOWN:-} files list while down: unclear $fl;"
  inflight_wait
  local t0=$SECONDS; up || { result "$name" "FAIL up"; return; }
  note "up again in $((SECONDS - t0))s"
  inflight_check "$name" "$job"
  PROBLEMS="${PROBLEMS_DOWN:-}$PROBLEMS"; PROBLEMS_DOWN=""
  if [[ -z "$PROBLEMS" ]]; then result "$name" "PASS $SEEN"; else result "$name" "FAIL$PROBLEMS -- seen: $SEEN"; fi
}
case_broker_lost_live() { # the broker's data wiped under a running stack (no service restarted): heal in place
  [[ -f "$TOOLTUNE_STACK_DIR/kafka.started" ]] || { result broker-lost-live "FAIL not run: the stack did not start its broker"; return; }
  SEEN=""
  local job; job=$(new_job klive "$FAULT_JOB_EPOCHS")
  wait_status "$job" running 600 || { result broker-lost-live "FAIL job never ran"; return; }
  local kport; kport=$(<"$TOOLTUNE_STACK_DIR/kafka.started")
  KAFKA_PORT="$kport" scripts/kafka.sh wipe >/dev/null 2>&1; local t0=$SECONDS
  local during; during=$(chat_status "$MODEL_A"); note "chat while the broker is gone: HTTP $during $(head -c 140 "$WORK/chat.out")"
  KAFKA_PORT="$kport" scripts/kafka.sh start >/dev/null 2>&1 || { result broker-lost-live "FAIL broker did not start"; return; }
  note "empty broker back after $((SECONDS - t0))s"
  local healed=-1 s
  for _ in $(seq 1 180); do s=$(chat_status "$MODEL_A"); [[ "$s" == 200 ]] && listed "$MODEL_A" && { healed=$((SECONDS - t0)); break; }; sleep 1; done
  note "model A listed and answering ${healed}s after the wipe (last HTTP $s)"
  # readiness follows the broker: not ready while it is gone, ready again once every channel has reconnected
  local ready all_ready=-1
  for _ in $(seq 1 120); do
    ready="gateway $(ready_code 0), dataset $(ready_code 1), trainer $(ready_code 2), inference $(ready_code 3)"
    [[ "$ready" == *"gateway 200, dataset 200, trainer 200, inference 200"* ]] && { all_ready=$((SECONDS - t0)); break; }
    sleep 1
  done
  note "readiness after: $ready (all ready ${all_ready}s after the wipe)"
  PROBLEMS_DOWN=""; [[ $healed -ge 0 ]] || PROBLEMS_DOWN="model A not healed in 180s;"
  [[ "$ready" == *"gateway 200, dataset 200, trainer 200, inference 200"* ]] || PROBLEMS_DOWN="$PROBLEMS_DOWN not all ready: $ready;"
  FILES_BEFORE=$(api "$API/files?limit=1000" | grep -o '"id":"file-[^"]*"' | sort); rm -f "$WORK"/live-*
  inflight_check live "$job"
  # a job submitted after the loss trains too (a trainer whose queue died with the group would never take it)
  local after; after=$(new_job klive-after 1)
  if wait_status "$after" succeeded "$JOB_WAIT"; then note "a job submitted after the loss: succeeded"
  else PROBLEMS_DOWN="$PROBLEMS_DOWN job $after submitted after the loss ended $(status_of "$after");"; fi
  PROBLEMS="$PROBLEMS_DOWN$PROBLEMS"; PROBLEMS_DOWN=""
  if [[ -z "$PROBLEMS" ]]; then result broker-lost-live "PASS $SEEN"; else result broker-lost-live "FAIL$PROBLEMS -- seen: $SEEN"; fi
}

case_kill_inference() { case_kill inference-service; }
case_kill_dataset() { case_kill dataset-service; }
case_kill_trainer() { case_kill trainer-service; }
case_kill_gateway() { case_kill gateway; }

# --- PostgreSQL restart (only a cluster of one's own: scripts/fault/pg-cluster.sh) --------------------------------
ready_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$(( ${TOOLTUNE_STACK_PORT:-8080} + $1 ))/q/health/ready"; }
case_pg_restart() {
  if [[ "${PGPORT:-5432}" == 5432 || -z "${FAULT_PG_PORT:-}" || "$PGPORT" != "$FAULT_PG_PORT" ]]; then
    result pg-restart "FAIL not run: set FAULT_PG_PORT and PGPORT to a cluster of your own (scripts/fault/pg-cluster.sh); the shared server is never restarted"
    return
  fi
  SEEN=""; rm -f "$WORK"/pg-*
  local job; job=$(new_job kpg "$FAULT_JOB_EPOCHS")
  wait_status "$job" running 600 || { result pg-restart "FAIL job never ran"; return; }
  local files_before jobs_before; files_before=$(api "$API/files?limit=1000" | grep -o '"id":"file-[^"]*"' | sort)
  jobs_before=$(api "$API/fine_tuning/jobs?limit=100" | grep -o '"id":"ftjob-[^"]*"' | sort)
  scripts/fault/pg-cluster.sh stop; local t_down=$SECONDS
  sleep "${PG_DOWN_SECONDS:-15}"
  local gw ds chat up_ files
  gw=$(ready_code 0); ds=$(ready_code 1)
  chat=$(chat_status "$MODEL_A"); cp "$WORK/chat.out" "$WORK/pg-chat.out"
  files=$(api -o "$WORK/pg-files.out" -w '%{http_code}' "$API/files")
  up_=$(api -o "$WORK/pg-upload.out" -w '%{http_code}' "$API/files" -F purpose=fine-tune -F "file=@$WORK/train.jsonl;filename=pg-down.jsonl")
  note "while PostgreSQL is down ($((SECONDS - t_down))s): ready gateway $gw, dataset-service $ds; chat HTTP $chat $(head -c 140 "$WORK/pg-chat.out"); files list HTTP $files $(head -c 140 "$WORK/pg-files.out"); upload HTTP $up_ $(head -c 140 "$WORK/pg-upload.out")"
  PROBLEMS=""
  [[ "$gw" == 503 && "$ds" == 503 ]] || PROBLEMS="$PROBLEMS readiness while down: gateway $gw dataset-service $ds (expected 503);"
  clear_5xx "$WORK/pg-chat.out" "$chat" || PROBLEMS="$PROBLEMS chat while down: unclear $chat;"
  clear_5xx "$WORK/pg-files.out" "$files" || PROBLEMS="$PROBLEMS files list while down: unclear $files;"
  clear_5xx "$WORK/pg-upload.out" "$up_" || PROBLEMS="$PROBLEMS upload while down: unclear $up_;"
  scripts/fault/pg-cluster.sh start; local t_up=$SECONDS back=-1
  for _ in $(seq 1 120); do [[ $(ready_code 0) == 200 && $(ready_code 1) == 200 ]] && { back=$((SECONDS - t_up)); break; }; sleep 1; done
  note "ready again ${back}s after PostgreSQL came back"
  [[ $back -ge 0 ]] || PROBLEMS="$PROBLEMS not ready 120s after PostgreSQL came back;"
  # the first requests after the restart: stale pooled connections must not surface as errors
  local first=""; for _ in 1 2 3 4 5; do first="$first $(api -o /dev/null -w '%{http_code}' "$API/files")"; done
  note "files list x5 after: $first"
  [[ "$first" == *5[0-9][0-9]* ]] && PROBLEMS="$PROBLEMS a 5xx after PostgreSQL came back ($first);"
  local files_after jobs_after; files_after=$(api "$API/files?limit=1000" | grep -o '"id":"file-[^"]*"' | sort)
  jobs_after=$(api "$API/fine_tuning/jobs?limit=100" | grep -o '"id":"ftjob-[^"]*"' | sort)
  [[ -z "$(comm -23 <(echo "$files_before") <(echo "$files_after"))" ]] || PROBLEMS="$PROBLEMS files lost;"
  [[ -z "$(comm -23 <(echo "$jobs_before") <(echo "$jobs_after"))" ]] || PROBLEMS="$PROBLEMS jobs lost;"
  note "files $(wc -l <<<"$files_before") -> $(wc -l <<<"$files_after"), jobs $(wc -l <<<"$jobs_before") -> $(wc -l <<<"$jobs_after")"
  local again; again=$(api -o /dev/null -w '%{http_code}' "$API/files" -F purpose=fine-tune -F "file=@$WORK/train.jsonl;filename=pg-after.jsonl")
  note "upload after: HTTP $again"; [[ "$again" == 200 ]] || PROBLEMS="$PROBLEMS upload after: HTTP $again;"
  local saved=$PROBLEMS; FILES_BEFORE=$files_after
  inflight_check pg "$job"
  PROBLEMS="$saved$PROBLEMS"
  if [[ -z "$PROBLEMS" ]]; then result pg-restart "PASS $SEEN"; else result pg-restart "FAIL$PROBLEMS -- seen: $SEEN"; fi
}

case_load() { # fixed concurrency, mixed models, adapters published and deleted meanwhile
  local models="$BASE_MODEL,$MODEL_A"
  for m in $(api "$API/models" | grep -o '"id":"ft:[^"]*' | sed 's/"id":"//' | grep -v fault-lost); do models="$models,$m"; done
  models=$(tr ',' '\n' <<<"$models" | sort -u | paste -sd,)
  # churn while the load runs: train a model, see it answer, delete it; again until the load run ends
  : >"$WORK/churn.out"; rm -f "$WORK/load.done"
  ( local round=0 job m
    while [[ ! -f "$WORK/load.done" ]]; do
      round=$((round + 1)); job=$(new_job "churn$round" 1)
      wait_status "$job" succeeded 900 || { echo "churn $round: job $job ended $(status_of "$job")" >>"$WORK/churn.out"; continue; }
      m=$(api "$API/fine_tuning/jobs/$job" | json fine_tuned_model)
      for _ in $(seq 1 30); do [[ "$(chat_status "$m")" == 200 ]] && break; sleep 1; done
      echo "churn $round [$(date -u +%H:%M:%S)]: published $m, chat $(chat_status "$m"), deleted: $(api -X DELETE "$API/models/$m" | json deleted), chat after delete: $(chat_status "$m")" >>"$WORK/churn.out"
    done ) &
  local churn=$!
  local port; port=${TOOLTUNE_STACK_PORT:-8080}
  java -Dsamples="$WORK/load-samples.txt" -Dseconds="$LOAD_SECONDS" scripts/fault/LoadRun.java "$TOOLTUNE_GATEWAY_URL" "$KEY" "$LOAD_REQUESTS" "$LOAD_CONCURRENCY" \
    "$models" "gateway=$(pid_of gateway):http://127.0.0.1:$port/q/metrics" \
    "inference=$(pid_of inference-service):http://127.0.0.1:$((port + 3))/q/metrics" | tee "$WORK/load.out"
  local rc=${PIPESTATUS[0]}
  touch "$WORK/load.done"  # the round in progress may finish within a minute; it is not waited for longer
  for _ in $(seq 1 60); do kill -0 "$churn" 2>/dev/null || break; sleep 1; done
  kill "$churn" 2>/dev/null; wait "$churn" 2>/dev/null; cat "$WORK/churn.out"
  local rounds; rounds=$(grep -c 'published' "$WORK/churn.out")
  grep 'published' "$WORK/churn.out" | grep -qv 'chat 200, deleted: true, chat after delete: 404' && rc=1
  [[ $rounds -ge 1 ]] || rc=1
  [[ $rc -eq 0 ]] && result load "PASS $(grep statuses "$WORK/load.out"); $(grep latency "$WORK/load.out"); churn: $rounds models published and deleted" \
    || result load "FAIL $(grep -m3 'statuses\|failure' "$WORK/load.out" | tr '\n' ' ') churn: $(tr '\n' ' ' <"$WORK/churn.out")"
}

for c in "${CASES[@]}"; do
  log "case $c"
  "case_${c//-/_}"
done
if [[ "${SUITE_KEEP:-0}" == 1 ]]; then log "left running (SUITE_KEEP=1): scripts/stack.sh wipe; scripts/fault/pg-cluster.sh wipe"; exit $FAILED; fi
log "wiping the stack"
scripts/stack.sh wipe >/dev/null 2>&1
[[ -n "${FAULT_PG_PORT:-}" ]] && scripts/fault/pg-cluster.sh wipe
exit $FAILED
