"""PyTorch eager baseline for `moe-bench model` on `deepseek_v2` and
`deepseek_v3` checkpoints: Hugging Face `transformers`' own DeepseekV2 /
DeepseekV3 model (multi-head latent attention with its expanded KV cache,
eager attention), loaded from the checkpoint directory.

Prints the JSON lines of torch_model.py: {"what": "prefill", "tokens": T,
"seconds": s} and {"what": "decode", "context": c, "seconds_per_token": s},
or {"error": ...} when transformers cannot run the model here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--dtype", choices=["bf16", "f32"], default="bf16")
    parser.add_argument("--prompt-tokens", type=int, default=512)
    parser.add_argument("--contexts", default="16,2000")
    parser.add_argument("--decode-steps", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        from transformers import AutoModelForCausalLM
        dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32
        model = AutoModelForCausalLM.from_pretrained(args.model, dtype=dtype,
                                                     attn_implementation="eager")
        model.eval()
    except Exception as e:  # noqa: BLE001 - any failure means "did not run"
        print(json.dumps({"error": f"transformers cannot load the model: {e}"}), flush=True)
        return
    vocab = model.config.vocab_size
    gen = torch.Generator().manual_seed(0)

    def ids(n):
        return torch.randint(0, vocab, (1, n), generator=gen)

    with torch.inference_mode():
        times = []
        for _ in range(args.repeats + 1):
            prompt = ids(args.prompt_tokens)
            t0 = time.perf_counter()
            model(prompt, use_cache=True)
            times.append(time.perf_counter() - t0)
        print(json.dumps({"what": "prefill", "tokens": args.prompt_tokens,
                          "seconds": statistics.median(times[1:])}), flush=True)

        for context in (int(c) for c in args.contexts.split(",")):
            out = model(ids(context), use_cache=True)
            cache, logits = out.past_key_values, out.logits[0, -1]
            steps = []
            for _ in range(args.decode_steps + 1):
                token = logits.argmax().view(1, 1)
                t0 = time.perf_counter()
                out = model(token, past_key_values=cache, use_cache=True)
                steps.append(time.perf_counter() - t0)
                cache, logits = out.past_key_values, out.logits[0, -1]
            print(json.dumps({"what": "decode", "context": context,
                              "seconds_per_token": statistics.median(steps[1:])}),
                  flush=True)


if __name__ == "__main__":
    main()
