#!/usr/bin/env bash
# Brings docker-compose.yml up under podman's Docker-compatible API with docker-compose, runs the curl walk-through
# against it and takes it down again. Not one of the README's two commands: it needs podman, runc and docker-compose
# (apt-get install podman runc docker-compose debootstrap) and root, and takes minutes.
#
#   scripts/compose-smoke.sh            services whose image can be built today; KEEP=1 leaves the stack running,
#                                       SKIP_BUILD=1 uses the service images already in podman
#
# Where Docker Hub is unreachable (the development sandbox), the infrastructure images come from Debian packages
# (docker/sandbox/README.md): a debootstrap root filesystem with a JRE imported as the base, PostgreSQL and Kafka on
# top. Service images are built by Maven with Jib on that base and loaded into podman. Everything large is cached
# under ~/.cache/tooltune/podman, never in the repository. Ports on the host (127.0.0.1): gateway 28080,
# dataset-service 28081, PostgreSQL 25432, Kafka 29092 (so a local PostgreSQL or Kafka does not collide).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${TOOLTUNE_CACHE:-$HOME/.cache/tooltune}/podman
BASE_IMAGE=localhost/tooltune/jre17-base:bookworm
PROJECT=tooltune-smoke
export POSTGRES_PORT=25432 KAFKA_PORT=29092 GATEWAY_PORT=28080 DATASET_SERVICE_PORT=28081 MINIO_PORT=29000
say() { echo "[compose-smoke] $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
mkdir -p "$CACHE"

for tool in podman docker-compose runc; do
  command -v "$tool" >/dev/null || fail "$tool not found: apt-get install podman runc docker-compose debootstrap"
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

# 2. infrastructure: the real images if a registry serves them, else the sandbox images from Debian packages
OVERRIDE=()
if ! podman image exists docker.io/library/postgres:16 && ! podman pull -q docker.io/library/postgres:16 >/dev/null 2>&1; then
  say "Docker Hub unreachable: using the sandbox images of docker/sandbox"
  OVERRIDE=(-f docker/sandbox/docker-compose.podman.yml)
  if ! podman image exists localhost/tooltune/sandbox-kafka:4.2.0; then
    ls "${TOOLTUNE_CACHE:-$HOME/.cache/tooltune}"/kafka-4.2.0/kafka_2.13-4.2.0.jar >/dev/null 2>&1 \
      || fail "Kafka jars missing: run scripts/kafka.sh start once (it fetches them)"
    context="$CACHE/kafka-context"; rm -rf "$context"; cp -r docker/sandbox/kafka "$context"
    mkdir -p "$context/libs"; cp "${TOOLTUNE_CACHE:-$HOME/.cache/tooltune}"/kafka-4.2.0/*.jar "$context/libs/"
    podman build -q -t localhost/tooltune/sandbox-kafka:4.2.0 -f "$context/Containerfile" "$context" >/dev/null
  fi
  podman image exists localhost/tooltune/sandbox-postgres:15 || podman build -q --network host \
    -t localhost/tooltune/sandbox-postgres:15 -f docker/sandbox/postgres/Containerfile docker/sandbox/postgres >/dev/null
fi

# 3. podman's Docker-compatible API for docker-compose
SOCKET_DIR=/run/podman; mkdir -p "$SOCKET_DIR"
export DOCKER_HOST="unix://$SOCKET_DIR/podman.sock"
podman system service --time=0 "$DOCKER_HOST" > "$CACHE/podman-service.log" 2>&1 &
SERVICE_PID=$!
compose() { docker-compose -p "$PROJECT" -f docker-compose.yml "${OVERRIDE[@]}" "$@"; }
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

# 4. service images, by Maven with Jib on the base image, loaded into podman; services without code yet are skipped
version="$(sed -n '/<artifactId>tooltune-parent<\/artifactId>/{n;s/.*<version>\(.*\)<\/version>.*/\1/p;}' pom.xml)"
SERVICES=()
for service in gateway dataset-service trainer-service inference-service; do
  [ -d "$service/src/main/java" ] || { say "$service: no code yet, not started"; continue; }
  SERVICES+=("$service")
done
[ "${#SERVICES[@]}" -gt 0 ] || fail "no service has code yet"
modules="$(IFS=,; echo "${SERVICES[*]}")"
if [ "${SKIP_BUILD:-0}" = 1 ]; then
  say "SKIP_BUILD=1: using the images already in podman"
else
say "building images for $modules (Jib, base $BASE_IMAGE)"
# Jib reads the docker:// base through a Docker CLI (DOCKER_HOST: podman's API) and loads the result with podman.
mvn -B -q -pl "$modules" -am package -DskipTests -Dquarkus.container-image.build=true \
  -Dquarkus.jib.base-jvm-image="docker://$BASE_IMAGE" -Dquarkus.jib.docker-executable-name=podman \
  > "$CACHE/jib-build.log" 2>&1 || fail "image build (log: $CACHE/jib-build.log)"
fi
for service in "${SERVICES[@]}"; do
  podman image exists "tooltune/$service:$version" || fail "image tooltune/$service:$version was not built"
done

# 5. up, and wait for every started service's health check
say "docker-compose up: postgres kafka kafka-topics ${SERVICES[*]}"
compose up -d postgres kafka kafka-topics "${SERVICES[@]}"
deadline=$((SECONDS + 300))
for service in "${SERVICES[@]}"; do
  until [ "$(podman inspect -f '{{.State.Health.Status}}' "${PROJECT}_${service}_1" 2>/dev/null)" = healthy ]; do
    ((SECONDS < deadline)) || { compose ps; compose logs --tail 40 "$service"; fail "$service not healthy in 300 s"; }
    sleep 3
  done
  say "$service healthy"
done
until [ "$(podman inspect -f '{{.State.Status}}' "${PROJECT}_kafka-topics_1" 2>/dev/null)" = exited ]; do
  ((SECONDS < deadline)) || fail "kafka-topics did not finish in 300 s"
  sleep 2
done
[ "$(podman inspect -f '{{.State.ExitCode}}' "${PROJECT}_kafka-topics_1")" = 0 ] \
  || { compose logs kafka-topics; fail "kafka-topics failed"; }
compose logs kafka-topics | grep -E "Topic: (training-jobs|training-cancels|training-events|adapters)\s" >&2 \
  || fail "kafka-topics did not describe the contract topics"

# 6. the walk-through (dataset-service README; the gateway's comes when the gateway lands)
if [[ " ${SERVICES[*]} " == *" dataset-service "* ]]; then
  S=http://127.0.0.1:$DATASET_SERVICE_PORT
  token=(-H "X-Tooltune-Internal-Token: ${TOOLTUNE_INTERNAL_TOKEN:-tooltune-compose-internal-token}")
  id="$(curl -fsS "${token[@]}" -XPOST "$S/datasets" -H 'Content-Type: application/json' \
    -d '{"name":"compose-smoke","description":"scripts/compose-smoke.sh"}' | sed -n 's/^{"id":\([0-9]*\).*/\1/p')"
  [ -n "$id" ] || fail "creating a dataset"
  import="$(curl -fsS "${token[@]}" -XPOST "$S/datasets/$id/imports?mode=lenient&wait=true" \
    --data-binary @samples/tool-calling-sample.jsonl)"
  echo "$import" | grep -q '"state":"SUCCEEDED"' || fail "import: $import"
  echo "$import" | grep -q '"examplesStored":400' || fail "import stored other than 400 examples: $import"
  curl -fsS "${token[@]}" -XPOST "$S/datasets/$id/versions/1/freeze" >/dev/null || fail "freeze"
  split="$(curl -fsS "${token[@]}" "$S/datasets/$id/versions/1/split?seed=42&evalRatio=0.1")"
  echo "$split" | grep -q '"total":400' || fail "split: $split"
  lines="$(curl -fsS "${token[@]}" "$S/datasets/$id/versions/1/export?split=train&seed=42&evalRatio=0.1" | wc -l)"
  say "dataset-service: dataset $id, 400 examples imported, frozen, split $(echo "$split" | grep -o '"train":[0-9]*,"eval":[0-9]*'), train export $lines lines"
fi
compose ps
say "OK"
