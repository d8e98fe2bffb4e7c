"""Checks a LoRA adapter saved by model-core (Java) against Hugging Face PEFT: PEFT loads the adapter onto the tiny
parity checkpoint, computes logits in float64, and they are compared with the logits the Java code computed for the
same inputs. Prints max abs / relative error and PASS or FAIL, writes a markdown report; exit status 0 on PASS,
1 on FAIL, 2 on bad input.

Where it runs: where transformers, peft, torch and safetensors are installed (the team's H100 machine; this script
uses only the CPU). Needs only files from the repository plus what the Java side wrote:

    --base         the base checkpoint the adapter was trained on, in HF layout (default: the committed
                   model-core/src/test/resources/parity/tiny)
    --cases        cases.json with the inputs (default: the committed model-core/src/test/resources/parity/cases.json)
    --case         which input of cases.json the Java logits are for: batch (default) or single
    --adapter      the folder Java wrote: adapter_config.json + adapter_model.safetensors (PEFT names)
    --java-logits  a safetensors file with the Java logits, [B,T,V] (or [T,V] for one sequence), any float dtype
    --tensor       the tensor's name in that file (default: logits)
    --tolerance    max allowed  max|java - peft| / max|peft|  over valid (attention_mask == 1) positions (default 1e-4)
    --report       where to write the markdown report (default: peft_check_report.md)

On the device machine, with the Java outputs copied into /work/main/.device/peft-check/ (ignored by git) and
`carry: [".device/peft-check"]`, from the repository root:

    python3 model-core/src/test/python/check_java_adapter.py \
        --adapter .device/peft-check/adapter --java-logits .device/peft-check/java_logits.safetensors \
        --report $OUT/peft_check.md

Positions where attention_mask is 0 are ignored; NaN at a valid position fails. The reference runs each row alone
without padding (position ids 0..n-1), which is what cases.json's padded rows must reproduce.
"""

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO_PARITY = Path(__file__).resolve().parents[1] / "resources" / "parity"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, default=REPO_PARITY / "tiny")
    parser.add_argument("--cases", type=Path, default=REPO_PARITY / "cases.json")
    parser.add_argument("--case", default="batch", choices=["batch", "single"])
    parser.add_argument("--adapter", type=Path, required=True)
    parser.add_argument("--java-logits", type=Path, required=True)
    parser.add_argument("--tensor", default="logits")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--report", type=Path, default=Path("peft_check_report.md"))
    args = parser.parse_args()

    for label, path in (("--base", args.base / "model.safetensors"), ("--base", args.base / "config.json"),
                        ("--cases", args.cases), ("--adapter", args.adapter / "adapter_config.json"),
                        ("--adapter", args.adapter / "adapter_model.safetensors"), ("--java-logits", args.java_logits)):
        if not path.is_file():
            print(f"error: {label}: file not found: {path}", file=sys.stderr)
            sys.exit(2)

    import torch
    from safetensors.torch import load_file
    import transformers
    import peft
    from peft import PeftModel

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_parity_fixtures import compare, forward_reference, load_model

    torch.set_num_threads(min(8, os.cpu_count() or 1))
    cases = json.loads(args.cases.read_text())
    case_json = cases[args.case]
    case = {k: torch.tensor(case_json[k], dtype=torch.long) for k in ("input_ids", "attention_mask", "position_ids")}

    java_file = load_file(str(args.java_logits))
    if args.tensor not in java_file:
        print(f"error: --java-logits {args.java_logits}: no tensor named {args.tensor!r}; "
              f"it holds {sorted(java_file)}", file=sys.stderr)
        sys.exit(2)
    java = java_file[args.tensor].to(torch.float64)
    if java.dim() == 2:
        java = java.unsqueeze(0)
    if java.dim() != 3 or java.shape[:2] != case["input_ids"].shape:
        batch, length = case["input_ids"].shape
        print(f"error: --java-logits tensor {args.tensor!r} has shape {list(java.shape)}, expected "
              f"[{batch}, {length}, vocab] for case {args.case!r}", file=sys.stderr)
        sys.exit(2)

    base = load_model(args.base, torch.float64)
    if java.shape[2] != base.config.vocab_size:
        print(f"error: --java-logits vocab dimension {java.shape[2]} != base vocab_size {base.config.vocab_size}",
              file=sys.stderr)
        sys.exit(2)
    base_logits = forward_reference(base, case)
    model = PeftModel.from_pretrained(base, str(args.adapter))
    model.to(torch.float64)
    model.eval()
    reference = forward_reference(model, case)

    mask = case["attention_mask"]
    java = torch.where(mask.bool().unsqueeze(-1), java, torch.zeros((), dtype=java.dtype))
    overall = compare(reference, java, mask)
    rows = [compare(reference[b], java[b], mask[b]) for b in range(reference.shape[0])]
    adapter_effect = compare(base_logits, reference, mask)["rel"]
    argmax_agree = (reference.argmax(-1) == java.argmax(-1))[mask.bool()].float().mean().item()
    passed = overall["rel"] <= args.tolerance and overall["nan_count"] == 0
    verdict = "PASS" if passed else "FAIL"

    adapter_config = json.loads((args.adapter / "adapter_config.json").read_text())
    adapter_tensors = load_file(str(args.adapter / "adapter_model.safetensors"))
    lines = [
        f"# PEFT check of a model-core LoRA adapter: {verdict}",
        "",
        f"- date (UTC): {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}",
        f"- versions: python {platform.python_version()}, torch {torch.__version__}, "
        f"transformers {transformers.__version__}, peft {peft.__version__}",
        f"- command: `{' '.join(['python3'] + sys.argv)}`",
        f"- base: `{args.base}`; adapter: `{args.adapter}` ({len(adapter_tensors)} tensors, r={adapter_config.get('r')}, "
        f"lora_alpha={adapter_config.get('lora_alpha')}, use_rslora={adapter_config.get('use_rslora')}, "
        f"targets={adapter_config.get('target_modules')})",
        f"- inputs: case `{args.case}` of `{args.cases}`, shape {list(case['input_ids'].shape)}, "
        f"{int(mask.sum())} valid positions",
        f"- reference: PEFT `PeftModel.from_pretrained` on the base, float64, CPU, eager attention, each row run "
        f"alone without padding (transformers' padded float64 path gives NaN; see make_parity_fixtures.forward_reference)",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| max abs error | {overall['max_abs']:.3e} |",
        f"| max abs reference logit | {overall['max_abs_ref']:.4f} |",
        f"| relative error (max abs error / max abs reference) | {overall['rel']:.3e} |",
        f"| NaN values in the Java logits at valid positions | {overall['nan_count']} |",
        f"| tolerance | {args.tolerance:.1e} |",
        f"| argmax agreement at valid positions | {argmax_agree * 100:.2f}% |",
        f"| adapter's own effect on the logits (relative, must be >> tolerance) | {adapter_effect:.3e} |",
        "",
        "| row | max abs error | relative error |",
        "| --- | --- | --- |",
    ] + [f"| {b} | {r['max_abs']:.3e} | {r['rel']:.3e} |" for b, r in enumerate(rows)] + [
        "",
        f"**{verdict}**" + ("" if adapter_effect > 10 * args.tolerance else
                            " (warning: the adapter barely changes the logits, so this check proves little)"),
        "",
    ]
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text("\n".join(lines))

    print(f"max abs error {overall['max_abs']:.3e}, relative {overall['rel']:.3e} (tolerance {args.tolerance:.1e}), "
          f"NaN {overall['nan_count']}, "
          f"argmax agreement {argmax_agree * 100:.2f}%, adapter effect {adapter_effect:.3e}")
    for b, r in enumerate(rows):
        print(f"    row {b}: max abs {r['max_abs']:.3e}, rel {r['rel']:.3e}")
    print(verdict, "- report:", args.report)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
