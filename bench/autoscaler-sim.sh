#!/usr/bin/env bash
# A day of fine-tuning jobs against the trainer autoscaler's settings (k8s/base/autoscaling.yaml): queue wait,
# GPU-hours, cold starts, for several loads and settings. Pure simulation (bench/AutoscalerSimulation.java, the model
# is in its header), seeded: the same numbers on every machine. Writes bench/results/autoscaler-sim.md.
#   bench/autoscaler-sim.sh            # defaults below
#   MEDIAN_MIN=45 COLD_START_S=420 bench/autoscaler-sim.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MEDIAN_MIN=${MEDIAN_MIN:-30}          # median job length on one GPU (minutes)
COLD_START_S=${COLD_START_S:-300}     # new GPU node (~150 s) + CUDA image pull (~90 s) + model load (~60 s)
STABILIZATION_S=${STABILIZATION_S:-600}
CHECKPOINT_MIN=${CHECKPOINT_MIN:-10}
SEED=${SEED:-42}
OUT=bench/results/autoscaler-sim.md
mkdir -p target
javac -d target/autoscaler-sim bench/AutoscalerSimulation.java
sim() { java -cp target/autoscaler-sim AutoscalerSimulation "$@" "$CHECKPOINT_MIN" "$SEED"; }
{
  echo "# Trainer autoscaling: a simulated day of fine-tuning jobs"
  echo
  echo "Command: \`bench/autoscaler-sim.sh\` (MEDIAN_MIN=$MEDIAN_MIN COLD_START_S=$COLD_START_S STABILIZATION_S=$STABILIZATION_S"
  echo "CHECKPOINT_MIN=$CHECKPOINT_MIN SEED=$SEED). A seeded simulation, not a measurement: the machine does not matter"
  echo "(run on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)). Arrivals follow office hours (4x the night rate 08:00-18:00);"
  echo "job length log-normal around the median (sigma 0.6); KEDA polls every 15 s, one job per worker; every new worker"
  echo "pays the cold start; workers leave one per 120 s after the stabilization window. Node loss: a busy worker's node"
  echo "dies at the given rate; its job is redelivered after the 60 s share-group lock and redoes half a checkpoint interval."
  echo
  echo "| jobs/day | median min | workers min..max | cold start s | scale-down window s | node losses /GPU-day | wait p50 min | wait p95 min | wait max min | work GPU-h | billed GPU-h | busy | cold starts | peak workers | node losses |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for spec in "20 2 0" "20 2 1" "100 4 0" "100 8 0" "100 8 1" "500 16 0" "500 32 0" "500 32 4"; do
    set -- $spec
    sim "$1" "$2" "$3" "$MEDIAN_MIN" "$COLD_START_S" "$STABILIZATION_S" 0
  done
  sim 100 8 0 "$MEDIAN_MIN" "$COLD_START_S" 120 0
  sim 100 8 0 "$MEDIAN_MIN" "$COLD_START_S" 1800 0
  sim 100 8 0 "$MEDIAN_MIN" "$COLD_START_S" "$STABILIZATION_S" 1
  sim 500 32 0 "$MEDIAN_MIN" "$COLD_START_S" "$STABILIZATION_S" 1
  echo
  echo "work GPU-h: the jobs' own training time; billed GPU-h: worker lifetime including cold starts and idle time"
  echo "before scale-down; busy = work share of billed. Wait is from submission to a worker starting the job."
} | tee "$OUT"
