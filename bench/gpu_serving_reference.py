#!/usr/bin/env python3
"""transformers references for bench/gpu-serving.sh (issue 20), printed as `RESULT kind=serving ...` lines that
bench/gpu_serving_table.py joins with model-core's (GpuBenchmark serving). Random bf16 weights of the published
Gemma 3 configurations (gpu_reference.model_of), random prompts, greedy, fixed output length.

  gpu_serving_reference.py compiled PRESET PROMPT NEW BATCH[,..] [BUDGET_S]
      static KV cache + torch.compile(mode="reduce-overhead", fullgraph=True): the two lines transformers documents
      for fast generation. Two warm-up generate() calls per batch size (compilation, CUDA graph recording), then one
      timed call (tokens/s) and one with a streamer (time to first token, inter-token latency). Batch sizes after
      BUDGET_S seconds are skipped (and say so).
  gpu_serving_reference.py peft PRESET PROMPT NEW BATCH[,..] ADAPTERS
      HF + PEFT generate() (dynamic cache, eager) with ADAPTERS LoRA adapters (r16 on all seven projections,
      random B) mixed in one batch through adapter_names; warmed up.
"""
import sys, time

import torch
from transformers.generation.streamers import BaseStreamer

from gpu_reference import model_of

MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
COMMON = dict(do_sample=False, pad_token_id=0, eos_token_id=None)


class Clock(BaseStreamer):
    """Host times of generate()'s puts: the first is the prompt, each later one a new token of every row."""

    def __init__(self):
        self.times = []

    def put(self, value):
        self.times.append(time.perf_counter())

    def end(self):
        pass


def prompts(config, batch, prompt, seed=2):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, config.vocab_size, (batch, prompt), generator=g).cuda()
    ids[:, 0] = 2
    return ids, torch.ones_like(ids)


def measure(model, ids, mask, new, **extra):
    """(tokens/s of a plain timed call, ttft ms, itl p50 ms, peak GiB)."""
    batch = ids.shape[0]
    torch.cuda.reset_peak_memory_stats()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new, min_new_tokens=new, **COMMON, **extra)
    torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    generated = (out.shape[1] - ids.shape[1]) * batch
    clock = Clock()
    t0 = time.perf_counter()
    model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new, min_new_tokens=new, streamer=clock,
                   **COMMON, **extra)
    gaps = sorted(b - a for a, b in zip(clock.times[1:], clock.times[2:]))
    ttft = (clock.times[1] - t0) * 1e3 if len(clock.times) > 1 else float("nan")
    itl = gaps[len(gaps) // 2] * 1e3 if gaps else float("nan")
    return generated / seconds, ttft, itl, torch.cuda.max_memory_allocated() / 2**30


def compiled(preset, prompt, new, batches, budget):
    start = time.time()
    model, config = model_of(preset)
    model.eval()
    model.generation_config.cache_implementation = "static"
    model.forward = torch.compile(model.forward, mode="reduce-overhead", fullgraph=True)
    for batch in batches:
        if time.time() - start > budget:
            print(f"RESULT kind=skipped impl=hf path=hf-compiled model={preset} streams={batch} reason=budget_{budget}s",
                  flush=True)
            continue
        ids, mask = prompts(config, batch, prompt)
        t0 = time.time()
        for _ in range(2):
            model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new, min_new_tokens=new, **COMMON)
        torch.cuda.synchronize()
        warm = time.time() - t0
        rate, ttft, itl, peak = measure(model, ids, mask, new)
        print(f"RESULT kind=serving impl=hf path=hf-compiled model={preset} precision=bf16 streams={batch} adapters=0 "
              f"constraint=off prompt={prompt} new={new} tokens_per_s={rate:.1f} ttft_p50_ms={ttft:.1f} "
              f"ttft_p99_ms={ttft:.1f} itl_p50_ms={itl:.2f} peak_gib={peak:.2f} warmup_s={warm:.1f}", flush=True)


def peft(preset, prompt, new, batches, adapters):
    from peft import LoraConfig, get_peft_model
    model, config = model_of(preset)
    model.eval()
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=MODULES)
    model = get_peft_model(model, lora, adapter_name="a0")
    for i in range(1, adapters):
        model.add_adapter(f"a{i}", lora)
    torch.manual_seed(3)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.05)
    model = model.to(torch.bfloat16)
    for batch in batches:
        ids, mask = prompts(config, batch, prompt)
        names = [f"a{i % adapters}" for i in range(batch)]
        model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=4, min_new_tokens=4, adapter_names=names, **COMMON)
        rate, ttft, itl, peak = measure(model, ids, mask, new, adapter_names=names)
        print(f"RESULT kind=serving impl=hf path=hf-peft-generate model={preset} precision=bf16 streams={batch} "
              f"adapters={adapters} constraint=off prompt={prompt} new={new} tokens_per_s={rate:.1f} "
              f"ttft_p50_ms={ttft:.1f} ttft_p99_ms={ttft:.1f} itl_p50_ms={itl:.2f} peak_gib={peak:.2f}", flush=True)


if __name__ == "__main__":
    mode, preset, prompt, new, batches = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \
        [int(b) for b in sys.argv[5].split(",")]
    if mode == "compiled":
        compiled(preset, prompt, new, batches, float(sys.argv[6]) if len(sys.argv) > 6 else 1e9)
    elif mode == "peft":
        peft(preset, prompt, new, batches, int(sys.argv[6]))
    else:
        sys.exit(f"unknown mode {mode}")
