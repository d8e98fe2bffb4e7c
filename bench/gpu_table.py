#!/usr/bin/env python3
"""Joins the RESULT lines of bench/gpu.sh (model-core and the transformers + PEFT reference) into markdown
tables with ratios model-core / reference (higher is better for throughput, lower for memory and time), and writes
the training rows to a CSV (second argument) with issue 22's columns.

  gpu_table.py RAW [CSV] > gpu.md
"""
import os, subprocess, sys


def parse(path):
    rows = []
    for line in open(path):
        if line.startswith("RESULT "):
            rows.append(dict(kv.split("=", 1) for kv in line.split()[1:]))
    return rows


def ratio(a, b):
    try:
        return f"{float(a) / float(b):.2f}"
    except (TypeError, ValueError, ZeroDivisionError):
        return "n/a"


def card():
    if os.environ.get("CARD"):
        return os.environ["CARD"]
    try:
        return subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                              capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"


rows = parse(sys.argv[1])
print("# model-core on the GPU vs transformers + PEFT\n")
print(f"Card: {card()}. Produced by `bench/gpu.sh` (see docs/gpu.md); random weights of the published configs.\n")
print("## Training (LoRA r16 on q/k/v/o, AdamW, loss on the second half of each sequence)\n")
print("HF eager: PEFT's loop with torch.optim.AdamW; HF compiled: `torch.compile(model)` + `AdamW(fused=True)`, the "
      "strongest baseline. model-core rows: `kernels` names the native training kernels on (none = the DJL path).\n")
print("| model | method | batch x length | data | model-core kernels | model-core tokens/s | HF eager tokens/s | HF compiled tokens/s "
      "| ratio vs compiled | model-core peak GiB | HF eager peak GiB | HF compiled peak GiB | memory ratio vs compiled |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
train = [r for r in rows if r.get("kind") == "train"]


def same(r, k):
    return (r["model"], r["method"], r["batch"], r["length"]) == k


keys = []
for r in train:
    k = (r["model"], r["method"], r["batch"], r["length"])
    if k not in keys:
        keys.append(k)
csv_rows = []
for k in keys:
    hf = next((r for r in train if r["impl"] == "hf" and same(r, k)), {})
    hfc = next((r for r in train if r["impl"] == "hf-compiled" and same(r, k)), {})
    mcs = [r for r in train if r["impl"] == "model-core" and same(r, k)] or [{}]
    for mc in mcs:
        data = mc.get("data", "random-full-rows")
        print(f"| {k[0]} | {k[1]} | {k[2]} x {k[3]} | {data} | {mc.get('kernels', '-')} | {mc.get('tokens_per_s', '-')} | "
              f"{hf.get('tokens_per_s', '-')} | {hfc.get('tokens_per_s', '-')} | "
              f"{ratio(mc.get('tokens_per_s'), hfc.get('tokens_per_s'))} | {mc.get('peak_gib', '-')} | "
              f"{hf.get('peak_gib', '-')} | {hfc.get('peak_gib', '-')} | {ratio(mc.get('peak_gib'), hfc.get('peak_gib'))} |")
        if mc:
            method = k[1] + ("" if mc.get("kernels", "none") != "none" else "-djl") + ("-packed-real" if data == "packed-real" else "")
            csv_rows.append([card().split(",")[0], k[0], method, k[2], k[3], mc.get("tokens_per_s", ""), mc.get("peak_gib", ""),
                             hf.get("tokens_per_s", ""), hfc.get("tokens_per_s", ""), hfc.get("peak_gib", ""),
                             ratio(mc.get("tokens_per_s"), hfc.get("tokens_per_s")),
                             ratio(mc.get("peak_gib"), hfc.get("peak_gib"))])
if len(sys.argv) > 2:
    import csv
    with open(sys.argv[2], "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["card", "model", "method", "batch", "length", "tokens_per_s", "peak_gib", "hf_eager_tokens_per_s",
                      "hf_compiled_tokens_per_s", "hf_compiled_peak_gib", "ratio_vs_compiled", "memory_ratio_vs_compiled"])
        out.writerows(csv_rows)
print("\n## Inference (greedy, bf16, no stop token)\n")
print("| model | batch | prompt + new | model-core tokens/s | HF generate() tokens/s | ratio | model-core TTFT ms | HF TTFT ms | model-core peak GiB | HF peak GiB |")
print("|---|---|---|---|---|---|---|---|---|---|")
dec = [r for r in rows if r.get("kind") == "decode"]
keys = []
for r in dec:
    k = (r["model"], r["batch"])
    if k not in keys:
        keys.append(k)
for k in keys:
    mc = next((r for r in dec if r["impl"] == "model-core" and (r["model"], r["batch"]) == k), {})
    hf = next((r for r in dec if r["impl"] == "hf" and (r["model"], r["batch"]) == k), {})
    any_row = mc or hf
    print(f"| {k[0]} | {k[1]} | {any_row.get('prompt')} + {any_row.get('new')} | {mc.get('decode_tokens_per_s', '-')} | "
          f"{hf.get('decode_tokens_per_s', '-')} | {ratio(mc.get('decode_tokens_per_s'), hf.get('decode_tokens_per_s'))} | "
          f"{mc.get('ttft_ms', '-')} | {hf.get('ttft_ms', '-')} | {mc.get('peak_gib', '-')} | {hf.get('peak_gib', '-')} |")
num = [r for r in rows if r.get("kind") == "numerics"]
if num:
    print("\n## Numerics: 1B logits [2 x 96 x 262144] (one row left-padded) against the CPU fp32 pure-DJL path\n")
    print("| run | relative L2 | max abs | argmax agreement | finite |")
    print("|---|---|---|---|---|")
    for r in num:
        print(f"| {r['label']} | {r['rel_l2']} | {r['max_abs']} | {r['argmax_agree']} | {r['finite']} |")
checks = [r for r in rows if r.get("kind") == "check"]
if checks:
    print("\n## Native pieces against the paths they replace (qlora-check, decode-check, train-check, loss-curve)\n")
    print("| check | relative L2 | max abs | pass |")
    print("|---|---|---|---|")
    for r in checks:
        print(f"| {r['label']} | {r['rel_l2']} | {r['max_abs']} | {r['pass']} |")
failed = [r for r in rows if r.get("kind") == "failed"]
if failed:
    print("\nFailed runs: " + ", ".join(f"{r['name']} (rc {r['rc']})" for r in failed))
