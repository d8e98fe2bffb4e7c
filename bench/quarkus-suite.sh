#!/usr/bin/env bash
# The CPU test suite of the modules issue #23 touches (dataset-service, trainer-service, inference-service, gateway),
# timed: wall seconds and the CPU seconds of Maven and every process it waited for. Used before and after the move to
# the Quarkus extensions (bench/results/quarkus-build.md). Needs a broker and PostgreSQL like scripts/test.sh; on a
# machine shared with others, give each checkout its own (KAFKA_BOOTSTRAP_SERVERS, QUARKUS_DATASOURCE_JDBC_URL,
# TOOLTUNE_TEST_DATABASE, -Dtooltune.trainer.it.database=...). Extra arguments go to Maven (e.g. -fae).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export KAFKA_BOOTSTRAP_SERVERS="${KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}"
start=$(date +%s)
/usr/bin/time -f "cpu: user=%U s sys=%S s" mvn -B -pl gateway,trainer-service,inference-service,dataset-service -am verify \
  -Dtest='dev/tooltune/gateway/**/*Test,dev/tooltune/inference/**/*Test,dev/tooltune/dataset/**/*Test,dev/tooltune/trainer/**/*Test' \
  -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test='dev/tooltune/gateway/**/*IT,dev/tooltune/trainer/**/*IT' -Dfailsafe.failIfNoSpecifiedTests=false "$@"
rc=$?
echo "suite: rc=$rc wall=$(( $(date +%s) - start )) s load=$(cut -d' ' -f1-3 /proc/loadavg)"
exit $rc
