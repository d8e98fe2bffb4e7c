#!/usr/bin/env python3
"""Summarises a chrome trace written by libtorch's kineto profiler (GpuBenchmark with TOOLTUNE_PROFILE, one training
step): GPU time by kind of kernel and the top kernels, and how busy the GPU was over the step, so a gap to the
compiled baseline can be read off (launch-bound: idle GPU; bandwidth-bound: elementwise/reduction time; compute:
matrix products and attention).

  profile_summary.py TRACE.json [TOP]
"""
import json, re, sys
from collections import defaultdict

KINDS = [  # first match wins
    ("attention (flash / efficient / sdpa)", re.compile(r"flash|fmha|attention|efficient", re.I)),
    ("matrix products (gemm)", re.compile(r"gemm|sm90_xmma|cutlass|nvjet|cublas|matmul|splitK", re.I)),
    ("softmax / logsumexp / cross-entropy", re.compile(r"softmax|logsumexp|nll|cross_entropy", re.I)),
    ("reductions (norms, sums)", re.compile(r"reduce|norm|welford", re.I)),
    ("copies and casts", re.compile(r"copy|cast|convert|cat|index|gather|scatter|memcpy|memset|fill", re.I)),
    ("elementwise", re.compile(r"elementwise|vectorized|unrolled|pointwise|triton", re.I)),
]


def kind(name):
    for label, pattern in KINDS:
        if pattern.search(name):
            return label
    return "other"


def main():
    trace = json.load(open(sys.argv[1]))
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    gpu = [e for e in events if e.get("ph") == "X" and e.get("cat") in ("kernel", "gpu_memcpy", "gpu_memset")]
    if not gpu:
        print("no GPU events in the trace")
        return
    start = min(e["ts"] for e in gpu)
    end = max(e["ts"] + e.get("dur", 0) for e in gpu)
    busy = sum(e.get("dur", 0) for e in gpu)
    launches = len(gpu)
    cpu_ops = [e for e in events if e.get("ph") == "X" and e.get("cat") == "cpu_op"]
    print(f"GPU span {(end - start) / 1e3:.1f} ms, kernels busy {busy / 1e3:.1f} ms ({100 * busy / max(end - start, 1):.0f}%), "
          f"{launches} kernels/copies, {len(cpu_ops)} CPU ops recorded")
    by_kind = defaultdict(float)
    by_name = defaultdict(lambda: [0.0, 0])
    for e in gpu:
        by_kind[kind(e["name"])] += e.get("dur", 0)
        entry = by_name[e["name"]]
        entry[0] += e.get("dur", 0)
        entry[1] += 1
    print("\n| kind | ms | share of busy |\n|---|---|---|")
    for label, us in sorted(by_kind.items(), key=lambda kv: -kv[1]):
        print(f"| {label} | {us / 1e3:.2f} | {100 * us / busy:.1f}% |")
    print(f"\n| top {top} kernels | calls | ms | share |\n|---|---|---|---|")
    for name, (us, calls) in sorted(by_name.items(), key=lambda kv: -kv[1][0])[:top]:
        short = name if len(name) <= 110 else name[:107] + "..."
        print(f"| `{short}` | {calls} | {us / 1e3:.2f} | {100 * us / busy:.1f}% |")


if __name__ == "__main__":
    main()
