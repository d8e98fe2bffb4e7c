"""Builds the numerical-parity fixtures for model-core: a small random Gemma 3 text model, its reference
logits and greedy continuations from Hugging Face transformers, and two PEFT LoRA adapters with their logits.

Where it runs: where transformers, peft, torch and safetensors are installed (the team's H100 machine has
transformers 5.17, peft 0.21, torch 2.11). Everything is computed on the CPU, so the GPU is not needed and the
numbers do not depend on TF32 or cuBLAS settings. It takes well under a minute.

Command (from the repository root; OUT is any empty folder):

    PYTHONUNBUFFERED=1 python3 model-core/src/test/python/make_parity_fixtures.py --out OUT

then copy OUT's contents into model-core/src/test/resources/parity/ (see the README.md there for every file).

What it writes into OUT:
    tiny/            config.json, model.safetensors (fp32), generation_config.json   - via save_pretrained
    tiny-bf16/       the same weights rounded to bfloat16                             - via save_pretrained
    cases.json       inputs (single sequence, left-padded batch), masks, position ids, greedy continuations,
                     the settings used and the sanity numbers printed below
    logits.safetensors           "single" [1,T,V], "batch" [B,T,V]: float64 reference of tiny/, stored as fp32
    logits_bf16ckpt.safetensors  the same for tiny-bf16/ (bf16 weights upcast to float64, then the forward)
    lora/, lora-rslora/          PEFT adapters (adapter_config.json + adapter_model.safetensors), non-zero A and B
    lora_logits.safetensors      "lora", "lora_rslora" [B,T,V]: float64 reference, batch case, base tiny/ + adapter
    PEFT_FORMAT.md               PEFT's tensor names, shapes and scaling as saved by the installed peft
    provenance.json              library versions, device, date, the command line

Logits at padding positions (attention_mask == 0) are meaningless in every implementation and are stored as 0.

Precision note: transformers' Gemma 3 computes RMSNorm and the RoPE cos/sin in float32 even when the model runs in
float64 (it calls .float() internally), so the "float64 reference" is float64 everywhere except those two, which
agree with a true float64 computation to about 1e-7 relative. That is far below the 1e-4 the Java test checks.
"""

import argparse
import copy
import datetime
import hashlib
import json
import os
import platform
import shutil
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here needs the network; never wait on it
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

import torch
from safetensors.torch import load_file, save_file

import transformers
from transformers import Gemma3ForCausalLM, Gemma3TextConfig

SEED = 20260113
VOCAB = 256
HIDDEN = 64
INTERMEDIATE = 96
HEADS = 4
KV_HEADS = 2
HEAD_DIM = 16
QUERY_PRE_ATTN_SCALAR = 24  # deliberately != HEAD_DIM, so a Java that scales by head_dim**-0.5 fails
LAYER_TYPES = ["sliding_attention", "sliding_attention", "full_attention",
               "sliding_attention", "sliding_attention", "full_attention"]
SLIDING_WINDOW = 8
# Non-default bases (Gemma's defaults are 10k / 1M) so a Java that hard-codes the defaults fails.
ROPE_PARAMETERS = {
    "sliding_attention": {"rope_type": "default", "rope_theta": 20_000.0},
    "full_attention": {"rope_type": "linear", "factor": 2.0, "rope_theta": 400_000.0},
}
PAD_ID, EOS_ID, BOS_ID = 0, 1, 2

# With tied embeddings a large embedding std lets the input embedding dominate the residual stream, and greedy
# decoding then just repeats the current token; a small one keeps the layers in charge. The final norm's weight is
# centred at 1.5 (scale 1 + w ~ 2.5) to bring the logit spread, and so the greedy margins, back up (logit std ~2).
EMBED_STD = 0.1
LINEAR_STD = 0.1
NORM_STD = 0.25        # RMSNorm weights are zero at init in HF; random values expose (1 + w) vs w bugs
FINAL_NORM_MEAN = 1.5

SINGLE_LENGTH = 24           # > SLIDING_WINDOW
BATCH_LENGTHS = [19, 12, 6]  # left-padded to 19; two rows longer than the window, one shorter
MAX_NEW_TOKENS = 12

LORA_SPECS = {
    "lora": dict(r=4, lora_alpha=8, use_rslora=False,
                 target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
    "lora_rslora": dict(r=8, lora_alpha=16, use_rslora=True, target_modules=["q_proj", "v_proj"]),
}
LORA_DIRS = {"lora": "lora", "lora_rslora": "lora-rslora"}
LORA_INIT_STD = 0.1


# ----------------------------------------------------------------------------------------------------------------
# model construction and loading

def build_config() -> Gemma3TextConfig:
    return Gemma3TextConfig(
        vocab_size=VOCAB,
        hidden_size=HIDDEN,
        intermediate_size=INTERMEDIATE,
        num_hidden_layers=len(LAYER_TYPES),
        num_attention_heads=HEADS,
        num_key_value_heads=KV_HEADS,
        head_dim=HEAD_DIM,
        query_pre_attn_scalar=QUERY_PRE_ATTN_SCALAR,
        layer_types=list(LAYER_TYPES),
        sliding_window=SLIDING_WINDOW,
        rope_parameters=copy.deepcopy(ROPE_PARAMETERS),
        max_position_embeddings=128,
        rms_norm_eps=1e-6,
        hidden_activation="gelu_pytorch_tanh",
        final_logit_softcapping=None,
        attn_logit_softcapping=None,
        tie_word_embeddings=True,
        pad_token_id=PAD_ID,
        eos_token_id=EOS_ID,
        bos_token_id=BOS_ID,
        attn_implementation="eager",
    )


def force_eager(model):
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")
    else:
        model.config._attn_implementation = "eager"
    impl = getattr(model.config, "_attn_implementation", None)
    if impl != "eager":
        raise RuntimeError(f"attention implementation is {impl!r}, expected 'eager'")


def assert_tied(model):
    if model.lm_head.weight.data_ptr() != model.model.embed_tokens.weight.data_ptr():
        raise RuntimeError("lm_head is not tied to embed_tokens")


def randomize_weights(model, seed: int):
    """Every parameter gets seeded normal values; nothing is left at HF's init (zero norms would hide bugs)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():  # tied lm_head appears once, as embed_tokens
            mean = 0.0
            if "embed_tokens" in name:
                std = EMBED_STD
            elif "norm" in name:
                std = NORM_STD
                mean = FINAL_NORM_MEAN if name == "model.norm.weight" else 0.0
            else:
                std = LINEAR_STD
            values = torch.randn(param.shape, generator=generator, dtype=torch.float64) * std + mean
            param.copy_(values.to(param.dtype))


def load_model(model_dir: Path, dtype: torch.dtype, config_edit=None):
    """Loads a checkpoint written by save_pretrained into a fresh model of the given compute dtype.

    The weights are read with safetensors and cast here (bf16 -> float64 is exact), so the compute dtype never
    depends on from_pretrained's dtype handling; the RoPE buffers are computed from the config, never rounded.
    """
    if config_edit is None:
        config = Gemma3TextConfig.from_pretrained(str(model_dir))
    else:  # a variant of the saved config, for the feature checks
        config_dict = json.loads((model_dir / "config.json").read_text())
        config_edit(config_dict)
        if "rope_parameters" in config_dict:
            config_dict.pop("rope_scaling", None)  # a legacy alias would be merged back into full_attention
        config = Gemma3TextConfig.from_dict(config_dict)
    model = Gemma3ForCausalLM(config)
    force_eager(model)
    model.to(dtype)
    state = {k: v.to(dtype) for k, v in load_file(str(model_dir / "model.safetensors")).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected:
        raise RuntimeError(f"unexpected tensors in {model_dir}: {unexpected}")
    if set(missing) - {"lm_head.weight"}:
        raise RuntimeError(f"tensors missing from {model_dir}: {missing}")
    assert_tied(model)
    model.eval()
    return model


# ----------------------------------------------------------------------------------------------------------------
# inputs and forward passes

def make_inputs(seed: int):
    generator = torch.Generator().manual_seed(seed + 1)

    def tokens(n):  # BOS then ordinary tokens (never PAD/EOS/BOS)
        return [BOS_ID] + torch.randint(3, VOCAB, (n - 1,), generator=generator).tolist()

    single_ids = torch.tensor([tokens(SINGLE_LENGTH)])
    single = dict(input_ids=single_ids, attention_mask=torch.ones_like(single_ids),
                  position_ids=torch.arange(SINGLE_LENGTH).unsqueeze(0))

    rows = [tokens(n) for n in BATCH_LENGTHS]
    width = max(BATCH_LENGTHS)
    ids = torch.full((len(rows), width), PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for b, row in enumerate(rows):
        ids[b, width - len(row):] = torch.tensor(row)
        mask[b, width - len(row):] = 1
    batch = dict(input_ids=ids, attention_mask=mask, position_ids=positions_from_mask(mask))
    return single, batch, rows


def positions_from_mask(mask):
    """position = number of real tokens before this one; padding gets 0 (it is masked out anyway)."""
    return (mask.cumsum(-1) - 1).clamp(min=0)


@torch.no_grad()
def forward_padded(model, case):
    """One forward over the whole (padded) batch, through transformers' own mask construction."""
    out = model(input_ids=case["input_ids"], attention_mask=case["attention_mask"],
                position_ids=case["position_ids"], use_cache=False)
    logits = out.logits.to(torch.float64)
    valid = case["attention_mask"].bool().unsqueeze(-1)
    return torch.where(valid, logits, torch.zeros((), dtype=logits.dtype))  # padding positions become 0


@torch.no_grad()
def forward_reference(model, case):
    """The reference logits: each row run alone without padding, placed at its valid positions of [B, T, V].

    This is what correct padding handling must reproduce. It is used instead of one padded float64 forward
    because transformers' eager attention computes its softmax in float32: on a float64 model the float64 mask
    minimum becomes -inf there, fully-masked padding rows turn into NaN, and 0 * NaN then leaks into the valid rows
    (see sanity.hf_f64_padded_batch_vs_reference). transformers' padded path in float32 has no such problem and is
    checked against this reference (sanity.hf_fp32_padded_batch_vs_reference)."""
    ids, mask, positions = case["input_ids"], case["attention_mask"], case["position_ids"]
    out = None
    for b in range(ids.shape[0]):
        valid = mask[b].bool()
        row = ids[b][valid].unsqueeze(0)
        n = row.shape[1]
        if not torch.equal(positions[b][valid], torch.arange(n)):
            raise ValueError(f"row {b}: position ids of the valid tokens are not 0..{n - 1}")
        logits = model(input_ids=row, attention_mask=torch.ones_like(row), position_ids=torch.arange(n).unsqueeze(0),
                       use_cache=False).logits.to(torch.float64)[0]
        if out is None:
            out = torch.zeros((*ids.shape, logits.shape[-1]), dtype=torch.float64)
        out[b, valid] = logits
    return out


def compare(reference, other, mask=None):
    """max |a-b| and that divided by max |reference| over the compared (valid) positions; NaNs are counted."""
    diff = (reference.double() - other.double()).abs()
    ref = reference.double().abs()
    if mask is not None:
        keep = mask.bool()
        diff, ref = diff[keep], ref[keep]
    nan_count = int(torch.isnan(diff).sum().item())
    max_abs = torch.nan_to_num(diff, nan=0.0).max().item()
    max_ref = torch.nan_to_num(ref, nan=0.0).max().item()
    return {"max_abs": max_abs, "max_abs_ref": max_ref, "rel": max_abs / max_ref, "nan_count": nan_count}


def json_safe(value):
    """JSON has no NaN or infinity; write them as strings so strict parsers (Java) accept the file."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


@torch.no_grad()
def greedy_by_recompute(model, case, steps):
    """Greedy decoding without a KV cache: the whole sequence is recomputed each step, with the same explicit
    mask / position-id rule. Returns the new tokens per row and the smallest top-1 minus top-2 logit margin."""
    ids, mask = case["input_ids"].clone(), case["attention_mask"].clone()
    new_tokens, min_margin = [], float("inf")
    for _ in range(steps):
        logits = model(input_ids=ids, attention_mask=mask, position_ids=positions_from_mask(mask),
                       use_cache=False).logits[:, -1].double()
        top2 = logits.topk(2, dim=-1).values
        min_margin = min(min_margin, (top2[:, 0] - top2[:, 1]).min().item())
        nxt = logits.argmax(-1, keepdim=True)
        new_tokens.append(nxt)
        ids = torch.cat([ids, nxt], dim=1)
        mask = torch.cat([mask, torch.ones_like(nxt)], dim=1)
    return torch.cat(new_tokens, dim=1).tolist(), min_margin


@torch.no_grad()
def greedy_by_generate(model, case, steps):
    """transformers' own generate (KV cache, sliding-window cache layers), EOS stopping switched off so that
    exactly `steps` tokens come out."""
    model.generation_config.eos_token_id = None
    out = model.generate(input_ids=case["input_ids"], attention_mask=case["attention_mask"], do_sample=False,
                         max_new_tokens=steps, pad_token_id=PAD_ID)
    return out[:, case["input_ids"].shape[1]:].tolist()


def single_row_case(row):
    ids = torch.tensor([row])
    return dict(input_ids=ids, attention_mask=torch.ones_like(ids), position_ids=torch.arange(len(row)).unsqueeze(0))


def save_logits(path: Path, tensors: dict, note: str):
    save_file({k: v.to(torch.float32).contiguous() for k, v in tensors.items()}, str(path),
              metadata={"note": note, "transformers": transformers.__version__, "torch": torch.__version__})


def fmt(stats):
    if "error" in stats:
        return stats["error"]
    text = f"max_abs={stats['max_abs']:.3e} rel={stats['rel']:.3e} (max|ref|={stats['max_abs_ref']:.3f})"
    return text + (f" NaN x{stats['nan_count']}" if stats.get("nan_count") else "")


# ----------------------------------------------------------------------------------------------------------------
# base model fixtures

def make_base_fixtures(out: Path, report: dict):
    torch.manual_seed(SEED)
    config = build_config()
    model = Gemma3ForCausalLM(config)
    force_eager(model)
    model.to(torch.float32)
    randomize_weights(model, SEED)
    assert_tied(model)
    model.eval()

    from transformers import GenerationConfig
    model.generation_config = GenerationConfig(bos_token_id=BOS_ID, eos_token_id=EOS_ID, pad_token_id=PAD_ID)
    model.save_pretrained(str(out / "tiny"))
    bf16_model = copy.deepcopy(model).to(torch.bfloat16)
    try:
        bf16_model.config.dtype = torch.bfloat16  # so config.json says what the file holds
    except Exception as e:
        print("could not set config.dtype on the bf16 copy:", e)
    bf16_model.save_pretrained(str(out / "tiny-bf16"))
    del bf16_model

    saved_config = json.loads((out / "tiny" / "config.json").read_text())
    print("saved config.json:", json.dumps(saved_config, sort_keys=True))
    report["saved_config"] = saved_config
    report["saved_tensors"] = {d: sorted(f"{k} {list(v.shape)} {str(v.dtype).replace('torch.', '')}"
                                         for k, v in load_file(str(out / d / "model.safetensors")).items())
                               for d in ("tiny", "tiny-bf16")}
    for d in ("tiny", "tiny-bf16"):
        print(f"{d}/model.safetensors: {len(report['saved_tensors'][d])} tensors, e.g. {report['saved_tensors'][d][:2]}")

    ref = load_model(out / "tiny", torch.float64)
    fp32 = load_model(out / "tiny", torch.float32)
    # the reloaded fp32 model must be bit-identical to the one that was saved
    with torch.no_grad():
        for (n1, p1), (n2, p2) in zip(model.named_parameters(), fp32.named_parameters()):
            if n1 != n2 or not torch.equal(p1, p2):
                raise RuntimeError(f"reloaded parameter differs: {n1} / {n2}")

    single, batch, rows = make_inputs(SEED)
    logits_single = forward_reference(ref, single)
    logits_batch = forward_reference(ref, batch)
    save_logits(out / "logits.safetensors", {"single": logits_single, "batch": logits_batch},
                "float64 reference of tiny/ (fp32 weights), stored as fp32; padding positions are 0")

    mask = batch["attention_mask"]
    sanity = {}
    sanity["hf_f64_single_one_pass_vs_reference"] = compare(logits_single, forward_padded(ref, single))
    sanity["hf_fp32_single_vs_reference"] = compare(logits_single, forward_padded(fp32, single))
    # transformers' own padded path (its masks, our explicit position ids) must reproduce the per-row reference
    sanity["hf_fp32_padded_batch_vs_reference"] = compare(logits_batch, forward_padded(fp32, batch), mask)
    sanity["hf_f64_padded_batch_vs_reference"] = compare(logits_batch, forward_padded(ref, batch), mask)

    # the fixture must really exercise each feature: turning one off must change the logits a lot
    def variant(edit):
        return compare(logits_single, forward_reference(load_model(out / "tiny", torch.float64, edit), single))["rel"]

    def no_window(c): c["sliding_window"] = 10_000
    def scalar_is_head_dim(c): c["query_pre_attn_scalar"] = c["head_dim"]
    def no_rope_scaling(c): c["rope_parameters"]["full_attention"] = {"rope_type": "default", "rope_theta": 400_000.0}
    def swapped_bases(c):
        c["rope_parameters"]["sliding_attention"]["rope_theta"] = 400_000.0
        c["rope_parameters"]["full_attention"]["rope_theta"] = 20_000.0
    def window_plus_one(c): c["sliding_window"] = SLIDING_WINDOW + 1
    def window_minus_one(c): c["sliding_window"] = SLIDING_WINDOW - 1
    feature_checks = {}
    for name, edit in [("sliding_window_off", no_window), ("query_pre_attn_scalar_eq_head_dim", scalar_is_head_dim),
                       ("rope_linear_scaling_off", no_rope_scaling), ("local_global_bases_swapped", swapped_bases),
                       ("sliding_window_plus_1", window_plus_one), ("sliding_window_minus_1", window_minus_one)]:
        try:
            feature_checks[name] = variant(edit)
        except Exception as e:  # a check that cannot run must not cost the fixtures
            feature_checks[name] = f"error: {type(e).__name__}: {e}"
    sanity["logit_change_rel_when_feature_altered"] = feature_checks

    # bf16 checkpoint: bf16 weights upcast to float64, then the same forward
    ref_bf16 = load_model(out / "tiny-bf16", torch.float64)
    logits_single_bf16 = forward_reference(ref_bf16, single)
    logits_batch_bf16 = forward_reference(ref_bf16, batch)
    save_logits(out / "logits_bf16ckpt.safetensors", {"single": logits_single_bf16, "batch": logits_batch_bf16},
                "float64 reference of tiny-bf16/ (bf16 weights upcast), stored as fp32; padding positions are 0")
    sanity["bf16ckpt_vs_fp32ckpt_single_rel"] = compare(logits_single, logits_single_bf16)["rel"]

    # greedy continuations: the reference is float64, full recompute, each row alone (no padding)
    greedy = {}
    for case_name, row_cases in (("single", [single]), ("batch", [single_row_case(row) for row in rows])):
        tokens, margin = [], float("inf")
        for row_case in row_cases:
            row_tokens, row_margin = greedy_by_recompute(ref, row_case, MAX_NEW_TOKENS)
            tokens.append(row_tokens[0])
            margin = min(margin, row_margin)
        greedy[case_name] = {"new_tokens": tokens, "min_top1_top2_margin": margin,
                             "contains_eos": any(EOS_ID in row for row in tokens), "checks": {}}
    # other ways of getting them, each of which must agree
    other_ways = [
        ("single", "fp32_recompute", lambda: greedy_by_recompute(fp32, single, MAX_NEW_TOKENS)[0]),
        ("single", "hf_generate_f64", lambda: greedy_by_generate(ref, single, MAX_NEW_TOKENS)),
        ("single", "hf_generate_fp32", lambda: greedy_by_generate(fp32, single, MAX_NEW_TOKENS)),
        ("batch", "fp32_padded_recompute", lambda: greedy_by_recompute(fp32, batch, MAX_NEW_TOKENS)[0]),
        ("batch", "hf_generate_fp32_padded", lambda: greedy_by_generate(fp32, batch, MAX_NEW_TOKENS)),
    ]
    for case_name, way, run in other_ways:
        try:
            tokens = run()
            greedy[case_name]["checks"][way] = {"equal": tokens == greedy[case_name]["new_tokens"], "tokens": tokens}
        except Exception as e:
            greedy[case_name]["checks"][way] = {"error": f"{type(e).__name__}: {e}"}

    def case_json(case, case_greedy):
        return {"input_ids": case["input_ids"].tolist(), "attention_mask": case["attention_mask"].tolist(),
                "position_ids": case["position_ids"].tolist(), "greedy": case_greedy}

    cases = {
        "description": "Inputs and greedy continuations for the parity fixtures; see README.md next to this file.",
        "model_dir": "tiny",
        "bf16_model_dir": "tiny-bf16",
        "single": case_json(single, greedy["single"]),
        "batch": dict(case_json(batch, greedy["batch"]), lengths=BATCH_LENGTHS, padding_side="left"),
        "logits_files": {
            "logits.safetensors": {"single": "[1,T,V]", "batch": "[B,T,V]", "weights": "tiny"},
            "logits_bf16ckpt.safetensors": {"single": "[1,T,V]", "batch": "[B,T,V]", "weights": "tiny-bf16"},
            "lora_logits.safetensors": {"lora": "[B,T,V] batch case, tiny + lora/",
                                        "lora_rslora": "[B,T,V] batch case, tiny + lora-rslora/"},
        },
        "settings": {
            "seed": SEED,
            "init_std": {"embed_tokens": EMBED_STD, "linear": LINEAR_STD, "rmsnorm_weight": NORM_STD,
                         "lora_A_and_B": LORA_INIT_STD},
            "init_mean": {"model.norm.weight": FINAL_NORM_MEAN, "everything_else": 0.0},
            "reference_dtype": "float64 (RMSNorm and RoPE cos/sin in float32, as transformers does), stored as fp32",
            "attention_implementation": "eager",
            "device": "cpu",
            "position_ids_rule": "cumsum(attention_mask) - 1, clamped at 0; passed explicitly to the model",
            "padding_logits": "logits at attention_mask == 0 are stored as 0; compare only valid positions",
            "relative_error": "max |java - ref| / max |ref| over valid positions",
            "sliding_window_rule": "query i attends to keys j with i - sliding_window < j <= i (masking_utils)",
            "greedy": f"argmax, exactly {MAX_NEW_TOKENS} new tokens, no EOS stop; 'new_tokens' is the float64 "
                      "full-recompute loop, each row alone; 'checks' lists other ways (fp32, padded batch, "
                      "transformers' generate with its KV cache) and whether each agrees",
            "batch_reference": "each row computed alone without padding, placed at its valid positions; "
                               "transformers' own padded fp32 path agrees (sanity.hf_fp32_padded_batch_vs_reference); "
                               "its padded float64 eager path gives NaN (softmax in fp32 turns the float64 mask "
                               "minimum into -inf on fully-masked padding rows; 0 * NaN then reaches valid rows)",
            "max_new_tokens": MAX_NEW_TOKENS,
            "pad_token_id": PAD_ID, "bos_token_id": BOS_ID, "eos_token_id": EOS_ID,
        },
        "tolerances": {"fp32_max_rel": 1e-4},
        "sanity": sanity,
    }
    report["cases"] = cases
    report["inputs"] = (single, batch)

    print("HF float64, single, one pass vs reference:", fmt(sanity["hf_f64_single_one_pass_vs_reference"]))
    print("HF fp32, single vs float64 reference:", fmt(sanity["hf_fp32_single_vs_reference"]))
    print("HF fp32 padded batch vs per-row float64 reference (valid positions):",
          fmt(sanity["hf_fp32_padded_batch_vs_reference"]))
    print("HF float64 padded batch vs per-row reference (NaN expected, see forward_reference):",
          fmt(sanity["hf_f64_padded_batch_vs_reference"]))
    print(f"bf16 checkpoint vs fp32 checkpoint logits (expected to differ, ~1e-2): rel "
          f"{sanity['bf16ckpt_vs_fp32ckpt_single_rel']:.3e}")
    print("logit change when a feature is altered (each should be >> 1e-4):")
    for k, v in feature_checks.items():
        print(f"    {k}: {v if isinstance(v, str) else f'{v:.3e}'}")
    for case_name, entry in greedy.items():
        print(f"greedy {case_name}: {entry['new_tokens']}")
        print(f"    min top1-top2 margin {entry['min_top1_top2_margin']:.4f}, contains EOS {entry['contains_eos']}")
        for way, check in entry["checks"].items():
            print(f"    {way}: {check.get('equal', check.get('error'))}"
                  + ("" if check.get("equal", True) is True else f" {check.get('tokens')}"))
    return ref


# ----------------------------------------------------------------------------------------------------------------
# PEFT fixtures

def make_peft_fixtures(out: Path, report: dict):
    import peft
    from peft import LoraConfig, PeftModel, get_peft_model

    report["peft_version"] = peft.__version__
    _, batch = report["inputs"]
    base_logits = load_file(str(out / "logits.safetensors"))["batch"].double()
    lora_logits, peft_info = {}, {}
    for index, (name, spec) in enumerate(LORA_SPECS.items()):
        adapter_dir = out / LORA_DIRS[name]
        base32 = load_model(out / "tiny", torch.float32)
        lora_config = LoraConfig(r=spec["r"], lora_alpha=spec["lora_alpha"], lora_dropout=0.0,
                                 use_rslora=spec["use_rslora"], target_modules=list(spec["target_modules"]),
                                 bias="none", task_type="CAUSAL_LM")
        peft_model = get_peft_model(base32, lora_config)
        generator = torch.Generator().manual_seed(SEED + 100 + index)
        with torch.no_grad():
            for pname, param in peft_model.named_parameters():
                if "lora_A" in pname or "lora_B" in pname:
                    param.copy_(torch.randn(param.shape, generator=generator, dtype=torch.float64).float()
                                * LORA_INIT_STD)
        peft_model.eval()
        in_memory = forward_padded(peft_model, batch)  # fp32, transformers' padded path through PEFT
        peft_model.save_pretrained(str(adapter_dir))
        model_card = adapter_dir / "README.md"  # PEFT's generated model card, not part of the format
        if model_card.exists():
            model_card.unlink()

        # reference: a fresh float64 base + the adapter read back from disk by PEFT itself
        reloaded = PeftModel.from_pretrained(load_model(out / "tiny", torch.float64), str(adapter_dir))
        reloaded.to(torch.float64)
        reloaded.eval()
        reference = forward_reference(reloaded, batch)
        lora_logits[name] = reference

        first_q = reloaded.base_model.model.model.layers[0].self_attn.q_proj
        scaling = float(first_q.scaling["default"])
        tensors = load_file(str(adapter_dir / "adapter_model.safetensors"))
        adapter_config = json.loads((adapter_dir / "adapter_config.json").read_text())

        # independent check of our reading of the format: W' = W + scaling * B @ A, merged by hand
        mask = batch["attention_mask"]
        try:
            merged = load_model(out / "tiny", torch.float64)
            state = merged.state_dict()
            with torch.no_grad():
                for key, a in tensors.items():
                    if ".lora_A." not in key:
                        continue
                    b = tensors[key.replace(".lora_A.", ".lora_B.")]
                    target = key.removeprefix("base_model.model.").replace(".lora_A.weight", ".weight")
                    state[target].add_(scaling * (b.double() @ a.double()))
            manual_merge = compare(reference, forward_reference(merged, batch), mask)
        except Exception as e:
            manual_merge = {"error": f"{type(e).__name__}: {e}"}
        info = {
            "dir": LORA_DIRS[name],
            "scaling": scaling,
            "adapter_config": adapter_config,
            "tensors": sorted(f"{k} {list(v.shape)} {str(v.dtype).replace('torch.', '')}" for k, v in tensors.items()),
            "fp32_in_memory_vs_f64_reloaded": compare(reference, in_memory, mask),
            "manual_merge_vs_peft": manual_merge,
            "adapter_effect_vs_base_rel": compare(base_logits, reference, mask)["rel"],
        }
        peft_info[name] = info
        print(f"PEFT {name}: r={spec['r']} alpha={spec['lora_alpha']} rslora={spec['use_rslora']} scaling={scaling:.6f}, "
              f"{len(tensors)} tensors, e.g. {info['tensors'][0]}")
        print(f"    fp32 in-memory vs float64 reloaded: {fmt(info['fp32_in_memory_vs_f64_reloaded'])}")
        print(f"    hand-merged W + s*B@A vs PEFT: {fmt(info['manual_merge_vs_peft'])}")
        print(f"    adapter changes the base logits by rel {info['adapter_effect_vs_base_rel']:.3e} (should be >> 1e-4)")

    save_logits(out / "lora_logits.safetensors", lora_logits,
                "float64 reference, batch case, tiny/ + PEFT adapter, stored as fp32; padding positions are 0")
    report["cases"]["peft"] = {name: {k: v for k, v in info.items() if k != "tensors"}
                               for name, info in peft_info.items()}
    write_peft_format(out / "PEFT_FORMAT.md", peft_info, report["peft_version"])


def write_peft_format(path: Path, peft_info: dict, peft_version: str):
    lines = [
        f"# PEFT LoRA format, as written by peft {peft_version} (generated by make_parity_fixtures.py)",
        "",
        "`adapter_model.safetensors` holds two tensors per adapted linear layer, named",
        "`base_model.model.<module path of the linear layer in Gemma3ForCausalLM>.lora_A.weight` and `...lora_B.weight`",
        "(the adapter name `default` is dropped on save). For a linear layer with weight W [out, in]:",
        "",
        "- `lora_A.weight` is [r, in], `lora_B.weight` is [out, r];",
        "- the adapted layer computes `y = x W^T + scaling * (x A^T) B^T`, i.e. `W' = W + scaling * B @ A`;",
        "- `scaling = lora_alpha / r`, or `lora_alpha / sqrt(r)` when `use_rslora` is true;",
        "- dropout applies to x before A during training only.",
        "",
        "This reading was checked in the generating run: merging `W + scaling * B @ A` by hand gave the same logits",
        "as PEFT (numbers below).",
        "",
    ]
    for name, info in peft_info.items():
        lines += [f"## `{info['dir']}/` ({name})", "",
                  f"scaling = {info['scaling']!r}; hand merge vs PEFT: {fmt(info['manual_merge_vs_peft'])}",
                  "", "adapter_config.json:", "", "```json",
                  json.dumps(info["adapter_config"], indent=2, sort_keys=True), "```", "",
                  "tensors (name, shape, dtype):", "", "```"] + info["tensors"] + ["```", ""]
    path.write_text("\n".join(lines))


# ----------------------------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="empty output folder")
    args = parser.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(min(8, os.cpu_count() or 1))

    versions = {"python": platform.python_version(), "torch": torch.__version__,
                "transformers": transformers.__version__}
    try:
        import peft
        versions["peft"] = peft.__version__
    except ImportError:
        versions["peft"] = None
    import safetensors
    versions["safetensors"] = safetensors.__version__
    print("versions:", versions)

    report = {}
    make_base_fixtures(out, report)
    peft_error = None
    try:
        make_peft_fixtures(out, report)
    except Exception as e:  # keep the base fixtures even if PEFT is missing or breaks
        import traceback
        traceback.print_exc()
        peft_error = f"{type(e).__name__}: {e}"
        print("PEFT FIXTURES NOT WRITTEN:", peft_error)

    cases = report["cases"]
    (out / "cases.json").write_text(json.dumps(json_safe(cases), indent=1, allow_nan=False) + "\n")
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    provenance = {
        "generated_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": versions,
        "compute_device": "cpu",
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "gpu_present": gpu},
        "command": " ".join([Path(sys.executable).name] + sys.argv),
        "script_sha256": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
        "saved_tensors": report["saved_tensors"],
        "peft_error": peft_error,
    }
    (out / "provenance.json").write_text(json.dumps(json_safe(provenance), indent=1, allow_nan=False) + "\n")

    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {sum(1 for p in out.rglob('*') if p.is_file())} files, {total / 1e6:.3f} MB:")
    for p in sorted(out.rglob("*")):
        if p.is_file():
            print(f"    {p.relative_to(out)}  {p.stat().st_size}")
    sys.exit(0 if peft_error is None else 3)


if __name__ == "__main__":
    main()
