#!/usr/bin/env bash
# Start time of the four services (Quarkus' own "started in" figure: from main() to listening, extensions' build-time
# steps already done) for one or more checkouts, several rounds, each round starting the whole stack with
# scripts/stack.sh and stopping it. Used for issue #23's "the extensions must not slow us down by more than 10%":
# what an extension costs at run time shows up as start time of every service and of every @QuarkusTest application.
#
#   ROUNDS=3 bench/quarkus-startup.sh /path/to/base-checkout /path/to/this-checkout
#   (KEEP_LOGS_IN=DIR keeps each round's service logs)
#
# Each checkout must have its service jars built (scripts/stack.sh builds what is missing). Ports, broker and
# databases: TOOLTUNE_STACK_PORT (18000), KAFKA_PORT (19000), databases tt_startup_<checkout folder> (+ _gateway): one
# pair per checkout, since their schema migrations differ.
set -euo pipefail
ROUNDS="${ROUNDS:-3}"
export TOOLTUNE_STACK_PORT="${TOOLTUNE_STACK_PORT:-18000}" KAFKA_PORT="${KAFKA_PORT:-19000}"
echo "checkout,commit,round,service,started_s"
for round in $(seq 1 "$ROUNDS"); do
  for checkout in "$@"; do
    dir="$(mktemp -d)"
    commit="$(git -C "$checkout" rev-parse --short HEAD)"
    name="$(basename "$checkout" | tr -c 'a-zA-Z0-9\n' '_')"
    export TOOLTUNE_STACK_DATASET_DB="tt_startup_$name" TOOLTUNE_STACK_GATEWAY_DB="tt_startup_${name}_gateway"
    TOOLTUNE_STACK_DIR="$dir" "$checkout/scripts/stack.sh" up >"$dir/up.out" 2>&1 || { cat "$dir/up.out" >&2; exit 1; }
    for service in dataset-service gateway trainer-service inference-service; do
      log="$(ls "$dir"/logs/"$service"*.log | head -1)"
      started="$(grep -o 'started in [0-9.]*s' "$log" | head -1 | grep -o '[0-9.]*')"
      echo "$(basename "$checkout"),$commit,$round,$service,$started"
    done
    TOOLTUNE_STACK_DIR="$dir" "$checkout/scripts/stack.sh" down >/dev/null 2>&1
    if [[ -n "${KEEP_LOGS_IN:-}" ]]; then
      mkdir -p "$KEEP_LOGS_IN/$name-$round" && cp "$dir"/logs/*.log "$KEEP_LOGS_IN/$name-$round/"
    fi
    rm -rf "$dir"
  done
done
