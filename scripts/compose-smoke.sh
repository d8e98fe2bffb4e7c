#!/usr/bin/env bash
# Brings the whole docker-compose.yml (profile cpu) up under podman's Docker-compatible API with docker-compose, runs
# the README's walk-through against the containers through the gateway and takes the stack down again. Not one of
# the README's two commands: it needs podman, runc and docker-compose (apt-get install podman runc docker-compose
# debootstrap), root, psql on the host, and takes minutes.
#
#   scripts/compose-smoke.sh      KEEP=1 leaves the stack running; SKIP_BUILD=1 uses the service images already in
#                                 podman; SMOKE_EPOCHS (40) epochs of the fine-tuning job
#
# Where Docker Hub is unreachable (the development sandbox), the infrastructure images come from Debian packages and
# Maven Central (docker/sandbox/README.md): a debootstrap root filesystem with a JRE imported as the base; PostgreSQL,
# Kafka and S3Proxy (standing in for MinIO) on top. Service images are built by Maven with Jib on
# docker/service-base (that base plus the Gemma 3 tokenizer) and loaded into podman. Everything large (the root
# filesystem, build contexts, podman's image store: CONTAINERS_STORAGE_CONF) is under ~/.cache/tooltune/podman, never
# in the repository; podman commands by hand need that variable too to see the images. Ports on the host
# (127.0.0.1): gateway 28080, dataset-service 28081, PostgreSQL 25432, Kafka 29092, S3 29000 (so a local PostgreSQL
# or Kafka does not collide).
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLTUNE_CACHE_DIR=${TOOLTUNE_CACHE:-$HOME/.cache/tooltune}
CACHE=$TOOLTUNE_CACHE_DIR/podman
BASE_IMAGE=localhost/tooltune/jre17-base:bookworm
SERVICE_BASE_IMAGE=localhost/tooltune/service-base:bookworm
PROJECT=tooltune-smoke
export POSTGRES_PORT=25432 KAFKA_PORT=29092 GATEWAY_PORT=28080 DATASET_SERVICE_PORT=28081 MINIO_PORT=29000
export POSTGRES_PASSWORD=${POSTGRES_PASSWORD:-tooltune}
export TOOLTUNE_INTERNAL_TOKEN=${TOOLTUNE_INTERNAL_TOKEN:-tooltune-compose-internal-token}
# podman's image store lives in the cache too (not /var/lib/containers): every podman call of this script, Jib's
# included, reads this storage.conf.
mkdir -p "$CACHE"
printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "/run/tooltune-podman"\n' "$CACHE/storage" \
  > "$CACHE/storage.conf"
export CONTAINERS_STORAGE_CONF="$CACHE/storage.conf"
say() { printf '[compose-smoke %3ds] %s\n' "$SECONDS" "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

for tool in podman docker-compose runc psql; do
  command -v "$tool" >/dev/null || fail "$tool not found: apt-get install podman runc docker-compose debootstrap postgresql-client"
done
# This kernel's cgroups refuse crun and podman's default ulimits (docs/deployment.md, "The podman question").
grep -qs 'runtime *= *"runc"' /etc/containers/containers.conf \
  || fail "/etc/containers/containers.conf must set runtime = \"runc\", cgroup_manager = \"cgroupfs\", default_ulimits = []"

# 1. the base image: a Debian root filesystem with a JRE
if ! podman image exists "$BASE_IMAGE"; then
  if [ ! -x "$CACHE/rootfs/usr/bin/java" ]; then
    say "debootstrap of bookworm with openjdk-17-jre-headless into $CACHE/rootfs (a few minutes)"
    debootstrap --variant=minbase --include=openjdk-17-jre-headless,curl,ca-certificates bookworm "$CACHE/rootfs" \
      http://deb.debian.org/debian > "$CACHE/debootstrap.log" 2>&1 || fail "debootstrap (log: $CACHE/debootstrap.log)"
  fi
  tar -C "$CACHE/rootfs" -c . | podman import - "$BASE_IMAGE" >/dev/null
fi
# The services' base: the JRE and the Gemma 3 tokenizer (it is in no jar; the build fetches it into the cache).
if ! podman image exists "$SERVICE_BASE_IMAGE"; then
  tokenizer="$TOOLTUNE_CACHE_DIR/tokenizers/gemma3/tokenizer.json"
  [ -f "$tokenizer" ] || fail "$tokenizer missing: mvn -B -pl chat-format generate-resources fetches it"
  context="$CACHE/service-base-context"; rm -rf "$context"; mkdir -p "$context"; cp "$tokenizer" "$context/"
  podman build -q --build-arg "BASE=$BASE_IMAGE" -t "$SERVICE_BASE_IMAGE" -f docker/service-base/Containerfile \
    "$context" >/dev/null
fi

# 2. infrastructure: the real images if a registry serves them, else the sandbox images (Debian, Maven Central)
OVERRIDE=()
if ! podman image exists docker.io/library/postgres:16 && ! podman pull -q docker.io/library/postgres:16 >/dev/null 2>&1; then
  say "Docker Hub unreachable: using the sandbox images of docker/sandbox"
  OVERRIDE=(-f docker/sandbox/docker-compose.podman.yml)
  if ! podman image exists localhost/tooltune/sandbox-kafka:4.2.0; then
    ls "$TOOLTUNE_CACHE_DIR"/kafka-4.2.0/kafka_2.13-4.2.0.jar >/dev/null 2>&1 \
      || fail "Kafka jars missing: run scripts/kafka.sh start once (it fetches them)"
    context="$CACHE/kafka-context"; rm -rf "$context"; cp -r docker/sandbox/kafka "$context"
    mkdir -p "$context/libs"; cp "$TOOLTUNE_CACHE_DIR"/kafka-4.2.0/*.jar "$context/libs/"
    podman build -q -t localhost/tooltune/sandbox-kafka:4.2.0 -f "$context/Containerfile" "$context" >/dev/null
  fi
  podman image exists localhost/tooltune/sandbox-postgres:15 || podman build -q --network host \
    -t localhost/tooltune/sandbox-postgres:15 -f docker/sandbox/postgres/Containerfile docker/sandbox/postgres >/dev/null
  if ! podman image exists localhost/tooltune/sandbox-s3proxy:2.6.0; then
    # S3Proxy and its runtime jars, resolved by Maven from a throw-away pom outside the repository.
    context="$CACHE/s3proxy-context"; rm -rf "$context"; cp -r docker/sandbox/s3proxy "$context"
    cat > "$CACHE/s3proxy-runtime.pom" <<'POM'
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>local.tooltune</groupId><artifactId>s3proxy-runtime</artifactId><version>1</version>
  <dependencies><dependency><groupId>org.gaul</groupId><artifactId>s3proxy</artifactId><version>2.6.0</version></dependency></dependencies>
</project>
POM
    mvn -B -q -f "$CACHE/s3proxy-runtime.pom" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$context/libs" > "$CACHE/s3proxy-deps.log" 2>&1 \
      || fail "resolving S3Proxy's jars (log: $CACHE/s3proxy-deps.log)"
    podman build -q -t localhost/tooltune/sandbox-s3proxy:2.6.0 -f "$context/Containerfile" "$context" >/dev/null
  fi
fi

# 3. podman's Docker-compatible API for docker-compose
SOCKET_DIR=/run/podman; mkdir -p "$SOCKET_DIR"
export DOCKER_HOST="unix://$SOCKET_DIR/podman.sock"
podman system service --time=0 "$DOCKER_HOST" > "$CACHE/podman-service.log" 2>&1 &
SERVICE_PID=$!
compose() { docker-compose -p "$PROJECT" -f docker-compose.yml "${OVERRIDE[@]}" --profile cpu "$@"; }
# podman schedules health checks with systemd timers; without systemd (containers, CI sandboxes) they never run
# ("unable to get systemd connection to start healthchecks") and every depends_on: service_healthy waits forever.
# This loop runs them instead, every 5 s, for the project's containers.
health_pump() {
  while sleep 5; do
    for container in $(podman ps --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}}'); do
      podman healthcheck run "$container" >/dev/null 2>&1 || true
    done
  done
}
health_pump &
PUMP_PID=$!
cleanup() {
  if [ "${KEEP:-0}" != 1 ]; then compose down -v --remove-orphans >/dev/null 2>&1 || true; fi
  kill "$PUMP_PID" "$SERVICE_PID" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 50); do curl -fsS --unix-socket "$SOCKET_DIR/podman.sock" http://d/_ping >/dev/null 2>&1 && break; sleep 0.2; done

# 4. service images, by Maven with Jib on the service base, loaded into podman
version="$(sed -n '/<artifactId>tooltune-parent<\/artifactId>/{n;s/.*<version>\(.*\)<\/version>.*/\1/p;}' pom.xml)"
SERVICES=(gateway dataset-service trainer-service inference-service)
if [ "${SKIP_BUILD:-0}" = 1 ]; then
  say "SKIP_BUILD=1: using the images already in podman"
else
  say "building the four service images (Jib, base $SERVICE_BASE_IMAGE; log $CACHE/jib-build.log)"
  # Jib reads the docker:// base through a Docker CLI (DOCKER_HOST: podman's API) and loads the result with podman.
  mvn -B -q -pl "$(IFS=,; echo "${SERVICES[*]}")" -am package -DskipTests -Dquarkus.container-image.build=true \
    -Dquarkus.jib.base-jvm-image="docker://$SERVICE_BASE_IMAGE" -Dquarkus.jib.docker-executable-name=podman \
    > "$CACHE/jib-build.log" 2>&1 || fail "image build (log: $CACHE/jib-build.log)"
fi
for service in "${SERVICES[@]}"; do
  podman image exists "tooltune/$service:$version" || fail "image tooltune/$service:$version was not built"
done

# 5. up (profile cpu: everything but the GPU flavour), and wait for every health check
say "docker-compose --profile cpu up -d"
compose up -d
deadline=$((SECONDS + ${SMOKE_START_TIMEOUT:-600}))
for service in postgres kafka minio "${SERVICES[@]}"; do
  until [ "$(podman inspect -f '{{.State.Health.Status}}' "${PROJECT}_${service}_1" 2>/dev/null)" = healthy ]; do
    ((SECONDS < deadline)) || { compose ps; compose logs --tail 60 "$service"; fail "$service not healthy in time"; }
    sleep 3
  done
  say "$service healthy"
done
for job in kafka-topics minio-bucket; do
  [ "$(podman inspect -f '{{.State.Status}} {{.State.ExitCode}}' "${PROJECT}_${job}_1")" = "exited 0" ] \
    || { compose logs "$job"; fail "$job did not complete"; }
done
compose logs kafka-topics | grep -E "Topic: (training-jobs|training-cancels|training-events|adapters)\s" >&2 \
  || fail "kafka-topics did not describe the contract topics"
compose logs minio-bucket | grep "bucket tooltune-artifacts ready" >&2 || fail "the artifacts bucket was not created"

# 6. the README's walk-through, through the gateway only (as scripts/main-job.sh does against scripts/stack.sh)
json() { grep -o "\"$1\":\(\"[^\"]*\"\|[^,}\"]*\)" | head -1 | sed 's/^"[^"]*"://; s/^"//; s/"$//'; }
G=http://127.0.0.1:$GATEWAY_PORT/v1
KEY="$(QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://127.0.0.1:$POSTGRES_PORT/tooltune_gateway" \
  QUARKUS_DATASOURCE_USERNAME=postgres QUARKUS_DATASOURCE_PASSWORD="$POSTGRES_PASSWORD" \
  scripts/admin.sh create-key --tenant compose-smoke)"
api() { curl -sS -H "Authorization: Bearer $KEY" "$@"; }
say "API key ${KEY:0:10}... for tenant compose-smoke (scripts/admin.sh against the compose PostgreSQL)"

sample=$(api "$G/files" -F purpose=fine-tune -F file=@samples/tool-calling-sample.jsonl)
[ "$(json status <<<"$sample")" = processed ] || fail "upload of the sample: $sample"
say "uploaded samples/tool-calling-sample.jsonl: $(json id <<<"$sample"), $(json tooltune_examples <<<"$sample") conversations"
# The shortest conversation with a tool call is the training file: a CPU learns it in minutes (as main-job.sh).
work="$(mktemp -d)"
awk 'index($0, "\"tool_calls\"") { print length($0) "\t" NR }' samples/tool-calling-sample.jsonl | sort -n | head -1 \
  | cut -f2 | while read -r n; do sed -n "${n}p" samples/tool-calling-sample.jsonl; done > "$work/train.jsonl"
train=$(api "$G/files" -F purpose=fine-tune -F "file=@$work/train.jsonl;filename=compose-smoke-train.jsonl")
[ "$(json status <<<"$train")" = processed ] || fail "upload of the training file: $train"
job=$(api "$G/fine_tuning/jobs" -H 'Content-Type: application/json' -d @- <<EOF
{"model": "tooltune/gemma-3-tiny-random", "training_file": "$(json id <<<"$train")", "suffix": "smoke", "seed": 1,
 "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": ${SMOKE_EPOCHS:-40}, "batch_size": 1}}},
 "tooltune": {"method": "lora", "learning_rate": 0.02, "max_length": 1024, "lora": {"rank": 16, "alpha": 32, "dropout": 0}}}
EOF
)
JOB=$(json id <<<"$job")
[[ "$JOB" == ftjob-* ]] || fail "the job was refused: $job"
say "fine-tuning job $JOB created (LoRA on tooltune/gemma-3-tiny-random, 1 conversation x ${SMOKE_EPOCHS:-40} epochs)"
deadline=$((SECONDS + ${SMOKE_JOB_TIMEOUT:-900}))
while :; do
  job=$(api "$G/fine_tuning/jobs/$JOB")
  status=$(json status <<<"$job")
  case "$status" in succeeded|failed|cancelled) break ;; esac
  ((SECONDS < deadline)) || { compose logs --tail 60 trainer-service; fail "job $JOB still $status"; }
  sleep 5
done
# The job's events, oldest first (the list is newest first): the last few lines.
api "$G/fine_tuning/jobs/$JOB/events?limit=100" | grep -o '"message":"[^"]*"' | sed 's/^"message":/  event: /' \
  | tac | tail -6 >&2 || true
[ "$status" = succeeded ] || { compose logs --tail 80 trainer-service; fail "job $JOB $status: $job"; }
MODEL=$(json fine_tuned_model <<<"$job")
say "job $JOB succeeded: $MODEL"

first=$(head -1 "$work/train.jsonl")
prompt="${first%%,\{\"role\":\"assistant\"*}"
tools="${first#*\"tools\":}"; tools="${tools%\}}"
ask() {
  api "$G/chat/completions" -H 'Content-Type: application/json' \
    -d "$prompt], \"tools\": $tools, \"model\": \"$1\", \"temperature\": 0, \"max_tokens\": 96}"
}
call_of() { grep -o '"function":{[^}]*}' <<<"$1" | head -1 | grep . ; }
expected=$(grep -o '"function":{"name":"[^"]*","arguments":"\([^"\\]\|\\.\)*"' <<<"$first" | head -1)
tuned=$(ask "$MODEL")
grep -q '"choices"' <<<"$tuned" || { compose logs --tail 60 inference-service; fail "chat with $MODEL: $tuned"; }
base=$(ask tooltune/gemma-3-tiny-random)
say "chat through the gateway: the training conversation's prompt with its tools"
printf '  %-12s %s\n' "expected:" "${expected#\"function\":}" \
  "fine-tuned:" "$(call_of "$tuned" || echo "no tool call: $tuned")" \
  "base model:" "$(call_of "$base" || echo "no tool call: $(json content <<<"$base")")" >&2
rm -rf "$work"
compose ps
say "OK"
