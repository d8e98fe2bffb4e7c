#!/usr/bin/env python3
"""Joins the RESULT lines of bench/gpu-serving.sh into bench/results/gpu-serving.csv (issue 20's columns) and a
markdown table: every path's tokens/s against transformers' static cache + torch.compile at the same batch size.

  gpu_serving_table.py RAW CARD CSV_OUT > MARKDOWN
"""
import csv, sys

COLUMNS = ["card", "model", "path", "streams", "adapters", "constraint", "tokens_per_s", "ttft_p50_ms", "ttft_p99_ms",
           "itl_p50_ms", "peak_gib", "hf_compiled_tokens_per_s", "ratio"]


def results(path):
    with open(path) as f:
        for line in f:
            if line.startswith("RESULT "):
                yield dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)


def main(raw, card, out):
    rows = [r for r in results(raw) if r.get("kind") == "serving"]
    compiled = {(r["model"], r["streams"]): float(r["tokens_per_s"]) for r in rows if r["path"] == "hf-compiled"}
    table = []
    for r in rows:
        base = compiled.get((r["model"], r["streams"]))
        rate = float(r["tokens_per_s"])
        table.append({"card": card, "model": r["model"], "path": r["path"], "streams": r["streams"],
                      "adapters": r["adapters"], "constraint": r.get("constraint", "off"), "tokens_per_s": f"{rate:.1f}",
                      "ttft_p50_ms": r["ttft_p50_ms"], "ttft_p99_ms": r["ttft_p99_ms"], "itl_p50_ms": r["itl_p50_ms"],
                      "peak_gib": r["peak_gib"], "hf_compiled_tokens_per_s": f"{base:.1f}" if base else "",
                      "ratio": f"{rate / base:.2f}" if base else ""})
    order = {"engine": 0, "hf-compiled": 1, "hf-peft-generate": 2}
    table.sort(key=lambda r: (r["model"], order.get(r["path"], 9), int(r["streams"]), int(r["adapters"])))
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(table)
    print("| " + " | ".join(COLUMNS[1:]) + " |")
    print("|" + "---|" * (len(COLUMNS) - 1))
    for r in table:
        print("| " + " | ".join(r[c] for c in COLUMNS[1:]) + " |")
    for r in results(raw):
        if r.get("kind") == "check":
            print(f"\ncheck {r['label']}: differing fraction {r['rel_l2']}, differing tokens {r['max_abs']}, pass {r['pass']}")
        if r.get("kind") in ("skipped", "failed"):
            print(f"\n{r.get('kind')}: {r}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
