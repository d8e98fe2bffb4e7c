import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Random;

/**
 * A day of fine-tuning jobs against the trainer autoscaler of k8s/base/autoscaling.yaml (KEDA PostgreSQL scaler on
 * queued + running jobs, one job per GPU worker), in 5-second steps. Run by bench/autoscaler-sim.sh, which prints the
 * table. Single-file program: java bench/AutoscalerSimulation.java JOBS_PER_DAY MAX_WORKERS MIN_WORKERS ...
 *
 * Model, in the order a step applies it:
 *   arrivals   Poisson, rate following office hours (weight 1 at night, 4 from 08:00 to 18:00), JOBS_PER_DAY a day
 *   durations  log-normal, median MEDIAN_MIN minutes, sigma 0.6 (a few long jobs: p95 about 2.7 x the median)
 *   KEDA       every POLL_S seconds: desired = clamp(queued + running, MIN, MAX). Up at once (each new worker pays a
 *              cold start: node, image pull, model load); down by at most one worker per 120 s, and only after the
 *              desired count stayed lower for STABILIZATION_S (the HPA's scale-down window; KEDA's cooldownPeriod
 *              before 1 -> 0). Scale-down removes an idle worker (pod-deletion-cost makes busy ones last).
 *   failures   each busy worker fails with NODE_LOSS_PER_GPU_DAY a day; its job goes back to the queue after the
 *              share group's lock timeout (LOCK_S) and loses the work since the last checkpoint (CHECKPOINT_MIN / 2 on
 *              average); the worker is replaced by a cold one.
 */
public class AutoscalerSimulation {

    static final int STEP_S = 5;
    static final int DAY_S = 24 * 3600;

    record Job(double arrivalS, double workS) {
    }

    static final class Worker {
        double readyAtS;      // when its cold start ends
        Job job;              // running job, or null when idle
        double remainingS;    // work left on the running job
        double startedWorkS;  // when the current job (re)started on it, for checkpoint losses
    }

    public static void main(String[] args) {
        int jobsPerDay = Integer.parseInt(args[0]);
        int maxWorkers = Integer.parseInt(args[1]);
        int minWorkers = Integer.parseInt(args[2]);
        double medianMin = Double.parseDouble(args[3]);
        double coldStartS = Double.parseDouble(args[4]);
        int stabilizationS = Integer.parseInt(args[5]);
        double nodeLossPerGpuDay = Double.parseDouble(args[6]);
        double checkpointMin = Double.parseDouble(args[7]);
        long seed = args.length > 8 ? Long.parseLong(args[8]) : 42;
        int pollS = 15;
        int lockS = 60;

        Random random = new Random(seed);
        List<Job> arrivals = arrivals(jobsPerDay, medianMin, random);
        Deque<Job> queue = new ArrayDeque<>();
        List<Double> waits = new ArrayList<>();
        List<Worker> workers = new ArrayList<>();
        List<double[]> redeliveries = new ArrayList<>(); // {at, arrivalS, remainingS}
        for (int i = 0; i < minWorkers; i++) {
            Worker warm = new Worker();
            warm.readyAtS = 0;
            workers.add(warm);
        }
        int next = 0;
        int coldStarts = 0;
        int nodeLosses = 0;
        int peakWorkers = workers.size();
        double gpuSeconds = 0;
        double busySeconds = 0;
        double lostWorkSeconds = 0;
        double lowSinceS = -1;
        double lastScaleDownS = -1e9;
        // Jobs still running at midnight are followed to their end (the day's arrivals, not a cut-off day).
        for (double t = 0; t < DAY_S || !queue.isEmpty() || workers.stream().anyMatch(w -> w.job != null)
                || !redeliveries.isEmpty() || next < arrivals.size(); t += STEP_S) {
            while (next < arrivals.size() && arrivals.get(next).arrivalS() <= t) {
                queue.add(arrivals.get(next++));
            }
            for (var it = redeliveries.iterator(); it.hasNext(); ) {
                double[] r = it.next();
                if (r[0] <= t) {
                    queue.addFirst(new Job(r[1], r[2]));
                    it.remove();
                }
            }
            int running = (int) workers.stream().filter(w -> w.job != null).count();
            // KEDA poll: the query counts queued + running rows; redelivery-pending jobs are still "running" there.
            if ((long) t % pollS == 0) {
                int desired = Math.max(minWorkers, Math.min(maxWorkers, queue.size() + running + redeliveries.size()));
                if (desired > workers.size()) {
                    lowSinceS = -1;
                    while (workers.size() < desired) {
                        Worker cold = new Worker();
                        cold.readyAtS = t + coldStartS;
                        workers.add(cold);
                        coldStarts++;
                    }
                } else if (desired < workers.size()) {
                    if (lowSinceS < 0) {
                        lowSinceS = t;
                    }
                    if (t - lowSinceS >= stabilizationS && t - lastScaleDownS >= 120) {
                        for (var it = workers.iterator(); it.hasNext(); ) {
                            Worker w = it.next();
                            if (w.job == null) {
                                it.remove();
                                lastScaleDownS = t;
                                break;
                            }
                        }
                    }
                } else {
                    lowSinceS = -1;
                }
            }
            peakWorkers = Math.max(peakWorkers, workers.size());
            List<Worker> lost = new ArrayList<>();
            for (Worker w : workers) {
                gpuSeconds += STEP_S;
                if (w.readyAtS > t) {
                    continue;
                }
                if (w.job == null && !queue.isEmpty()) {
                    Job job = queue.poll();
                    w.job = job;
                    w.remainingS = job.workS();
                    w.startedWorkS = t;
                    if (job.arrivalS() >= 0) {
                        waits.add(t - job.arrivalS());
                    }
                }
                if (w.job != null) {
                    busySeconds += STEP_S;
                    if (random.nextDouble() < nodeLossPerGpuDay * STEP_S / DAY_S) {
                        // Resume from the last checkpoint: on average half a checkpoint interval is redone.
                        double redo = Math.min(checkpointMin * 60 / 2, t - w.startedWorkS);
                        lostWorkSeconds += redo;
                        // negative arrival: a redelivered job's wait is not counted again
                        redeliveries.add(new double[] {t + lockS, -1, w.remainingS + redo});
                        lost.add(w);
                        nodeLosses++;
                        continue;
                    }
                    w.remainingS -= STEP_S;
                    if (w.remainingS <= 0) {
                        w.job = null;
                    }
                }
            }
            workers.removeAll(lost);
        }
        double[] sorted = waits.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double workHours = arrivals.stream().mapToDouble(Job::workS).sum() / 3600;
        System.out.printf("| %d | %.0f | %d..%d | %.0f | %d | %.1f | %s | %s | %s | %.1f | %.1f | %.0f%% | %d | %d | %d |%n",
                jobsPerDay, medianMin, minWorkers, maxWorkers, coldStartS, stabilizationS, nodeLossPerGpuDay,
                minutes(percentile(sorted, 0.50)), minutes(percentile(sorted, 0.95)), minutes(percentile(sorted, 1.0)),
                workHours, gpuSeconds / 3600, 100 * busySeconds / gpuSeconds, coldStarts, peakWorkers, nodeLosses);
    }

    static List<Job> arrivals(int jobsPerDay, double medianMin, Random random) {
        double[] hourWeight = new double[24];
        Arrays.fill(hourWeight, 1);
        for (int h = 8; h < 18; h++) {
            hourWeight[h] = 4;
        }
        double totalWeight = Arrays.stream(hourWeight).sum();
        List<Job> jobs = new ArrayList<>();
        for (int h = 0; h < 24; h++) {
            double ratePerS = jobsPerDay * hourWeight[h] / totalWeight / 3600;
            double t = h * 3600;
            while (true) {
                t += -Math.log(1 - random.nextDouble()) / ratePerS;
                if (t >= (h + 1) * 3600) {
                    break;
                }
                double work = medianMin * 60 * Math.exp(0.6 * random.nextGaussian());
                jobs.add(new Job(t, work));
            }
        }
        return jobs;
    }

    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
    }

    static String minutes(double seconds) {
        return String.format("%.1f", seconds / 60);
    }
}
