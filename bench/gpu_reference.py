#!/usr/bin/env python3
"""transformers + PEFT reference for bench/gpu.sh: the same measurements as model-core's GpuBenchmark, printed as
`RESULT key=value ...` lines. Random weights of the published Gemma 3 text configurations
(/work/shared/reference/gemma3-text-configs.json or GEMMA3_CONFIGS), bf16 weights, SDPA attention.

  gpu_reference.py train PRESET lora LENGTH BATCH STEPS [eager|compiled]
      eager: the plain PEFT loop (torch.optim.AdamW defaults); compiled: the strongest baseline a user would run,
      torch.compile(model) + AdamW(fused=True) (warm-up steps include the compilation). WAIT_FOR=FILE holds the timed
      steps until FILE exists (bench/gpu.sh builds the native library on the CPUs meanwhile).
  gpu_reference.py decode PRESET PROMPT NEW_TOKENS BATCH[,BATCH...]
"""
import json, os, sys, time

import torch
from transformers import Gemma3ForCausalLM, Gemma3TextConfig

CONFIGS = os.environ.get("GEMMA3_CONFIGS", "/work/shared/reference/gemma3-text-configs.json")
KEYS = {"1b": "gemma-3-1b-it", "4b": "gemma-3-4b-it (text_config)", "270m": "gemma-3-270m"}


def model_of(preset):
    with open(CONFIGS) as f:
        raw = json.load(f)[KEYS.get(preset, preset)]
    raw = {k: v for k, v in raw.items() if not k.startswith("_")}
    config = Gemma3TextConfig(**raw)
    config._attn_implementation = "sdpa"
    torch.manual_seed(1)
    with torch.device("cuda"):
        model = Gemma3ForCausalLM(config).to(torch.bfloat16)
    return model, config


def train(preset, method, length, batch, steps, variant="eager"):
    from peft import LoraConfig, get_peft_model
    start = time.time()
    model, config = model_of(preset)
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0,
                                             target_modules=["q_proj", "k_proj", "v_proj", "o_proj"]))
    load = time.time() - start
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()  # peak from here: weights + training, not the fp32 initialisation
    trainable = [p for p in model.parameters() if p.requires_grad]
    if variant == "compiled":
        fwd = torch.compile(model)
        optimizer = torch.optim.AdamW(trainable, lr=1e-4, fused=True)
    else:
        fwd = model
        optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    g = torch.Generator().manual_seed(1)
    warmup = 3 if variant == "compiled" else 2
    for step in range(warmup + steps):
        if step == warmup:
            torch.cuda.synchronize()
            compile_s = time.time() - start - load
            wait_for = os.environ.get("WAIT_FOR")
            while wait_for and not os.path.exists(wait_for):
                time.sleep(0.5)
            timed = time.time()
        ids = torch.randint(3, config.vocab_size, (batch, length), generator=g).cuda()
        ids[:, 0] = 2
        labels = ids.clone()
        labels[:, : length // 2] = -100  # loss on the second half, as model-core's benchmark
        loss = fwd(input_ids=ids, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        last = loss.item()
    torch.cuda.synchronize()
    seconds = time.time() - timed
    impl = "hf-compiled" if variant == "compiled" else "hf"
    print(f"RESULT kind=train impl={impl} model={preset} method={method} precision=bf16 batch={batch} length={length} "
          f"tokens_per_s={steps * batch * length / seconds:.1f} step_s={seconds / steps:.4f} "
          f"peak_gib={torch.cuda.max_memory_allocated() / 2**30:.2f} loss={last:.4f} load_s={load:.1f} "
          f"warmup_s={compile_s:.1f}", flush=True)


@torch.no_grad()
def decode(preset, prompt, new_tokens, batches):
    model, config = model_of(preset)
    model.eval()
    g = torch.Generator().manual_seed(2)
    common = dict(do_sample=False, pad_token_id=0, eos_token_id=None)
    warm = False
    for batch in batches:
        ids = torch.randint(3, config.vocab_size, (batch, prompt), generator=g).cuda()
        ids[:, 0] = 2
        mask = torch.ones_like(ids)
        if not warm:
            model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=4, min_new_tokens=4, **common)
            warm = True
        torch.cuda.synchronize()
        t0 = time.time()
        model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=1, min_new_tokens=1, **common)
        torch.cuda.synchronize()
        ttft = time.time() - t0
        torch.cuda.reset_peak_memory_stats()
        t0 = time.time()
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new_tokens, min_new_tokens=new_tokens, **common)
        torch.cuda.synchronize()
        total = time.time() - t0
        generated = (out.shape[1] - prompt) * batch
        decode_s = max(total - ttft, 1e-9)
        rate = (generated - batch) / decode_s
        print(f"RESULT kind=decode impl=hf model={preset} precision=bf16 batch={batch} prompt={prompt} new={new_tokens} "
              f"ttft_ms={ttft * 1e3:.1f} decode_tokens_per_s={rate:.1f} per_stream_tokens_per_s={rate / batch:.1f} "
              f"peak_gib={torch.cuda.max_memory_allocated() / 2**30:.2f}", flush=True)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "train":
        train(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]),
              sys.argv[7] if len(sys.argv) > 7 else "eager")
    elif mode == "decode":
        decode(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), [int(b) for b in sys.argv[5].split(",")])
    else:
        sys.exit(f"unknown mode {mode}")
