"""PyTorch eager baseline for `moe-bench model`: a DeepSeekMoE checkpoint
(model_type deepseek) run the straightforward way.

`transformers` has no `deepseek` model type (its code is remote), so this is
a plain PyTorch port of reference section 4, written the way the Hugging Face
remote code runs inference: RMSNorm, q/k/v projections, rotate-half RoPE,
scaled-dot-product attention over a KV cache, and the MoE block as
`moe_infer` does it (softmax router, top-k, tokens sorted by expert, a loop
over the experts that got tokens, index_add, plus the shared MLP).

Prints JSON lines: {"what": "prefill", "tokens": T, "seconds": s} and
{"what": "decode", "context": c, "seconds_per_token": s}, and, with
--check-ids, the greedy tokens it generates.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file


def load_tensors(model_dir: Path, dtype) -> dict:
    index = model_dir / "model.safetensors.index.json"
    files = ([model_dir / "model.safetensors"] if not index.exists() else
             sorted({model_dir / f for f in json.loads(index.read_text())["weight_map"].values()}))
    tensors = {}
    for f in files:
        for name, t in load_file(str(f)).items():
            tensors[name] = t.to(dtype)
    return tensors


class DeepseekMoE:
    def __init__(self, model_dir: Path, dtype):
        self.c = json.loads((model_dir / "config.json").read_text())
        self.w = load_tensors(model_dir, dtype)
        c = self.c
        self.heads = c["num_attention_heads"]
        self.kv_heads = c.get("num_key_value_heads") or self.heads
        self.hd = c["hidden_size"] // self.heads
        theta = c.get("rope_theta", 10000.0)
        self.inv_freq = 1.0 / theta ** (torch.arange(0, self.hd, 2, dtype=torch.float64) / self.hd)
        self.dtype = dtype

    def is_moe(self, i):
        c = self.c
        return (c.get("n_routed_experts") is not None and i >= c.get("first_k_dense_replace", 0)
                and i % c.get("moe_layer_freq", 1) == 0)

    def rms_norm(self, x, w):
        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.c["rms_norm_eps"])
        return (x32 * w.float()).to(self.dtype)

    def rope(self, x, positions):
        angle = positions[:, None].double() * self.inv_freq
        cos, sin = angle.cos().to(x.dtype), angle.sin().to(x.dtype)
        cos = torch.cat([cos, cos], -1)[:, None, :]
        sin = torch.cat([sin, sin], -1)[:, None, :]
        half = x.shape[-1] // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], -1)
        return x * cos + rotated * sin

    def mlp(self, p, x):
        w = self.w
        return F.linear(F.silu(F.linear(x, w[p + "gate_proj.weight"]))
                        * F.linear(x, w[p + "up_proj.weight"]), w[p + "down_proj.weight"])

    def moe(self, i, x):
        c, w, p = self.c, self.w, f"model.layers.{i}.mlp."
        k = c["num_experts_per_tok"]
        scores = F.linear(x.float(), w[p + "gate.weight"].float()).softmax(-1)
        topk_w, topk_i = torch.topk(scores, k, dim=-1, sorted=False)
        if c.get("norm_topk_prob") and k > 1:
            topk_w = topk_w / (topk_w.sum(-1, keepdim=True) + 1e-20)
        flat = topk_i.view(-1)
        counts = torch.bincount(flat, minlength=c["n_routed_experts"]).tolist()
        order = flat.argsort()
        xs = x[order // k]
        outs, start = [], 0
        for e, n in enumerate(counts):
            if n:
                outs.append(self.mlp(f"{p}experts.{e}.", xs[start:start + n]))
                start += n
        ys = torch.cat(outs)
        y = torch.zeros_like(x)
        weights = topk_w.view(-1)[order].to(x.dtype)[:, None]
        y.index_add_(0, order // k, ys * weights)
        if c.get("n_shared_experts"):
            y = y + self.mlp(p + "shared_experts.", x)
        return y

    def attention(self, i, x, cache, start):
        w, p = self.w, f"model.layers.{i}.self_attn."
        T = x.shape[0]
        positions = torch.arange(start, start + T)
        q = self.rope(F.linear(x, w[p + "q_proj.weight"]).view(T, self.heads, self.hd), positions)
        k = self.rope(F.linear(x, w[p + "k_proj.weight"]).view(T, self.kv_heads, self.hd),
                      positions)
        v = F.linear(x, w[p + "v_proj.weight"]).view(T, self.kv_heads, self.hd)
        keys, values = cache[i]
        keys[start:start + T], values[start:start + T] = k, v
        K = keys[:start + T].transpose(0, 1)
        V = values[:start + T].transpose(0, 1)
        rep = self.heads // self.kv_heads
        if rep > 1:
            K, V = K.repeat_interleave(rep, 0), V.repeat_interleave(rep, 0)
        out = F.scaled_dot_product_attention(q.transpose(0, 1), K, V, is_causal=start == 0 and T > 1)
        return F.linear(out.transpose(0, 1).reshape(T, -1), w[p + "o_proj.weight"])

    def new_cache(self, capacity):
        return [(torch.zeros(capacity, self.kv_heads, self.hd, dtype=self.dtype),
                 torch.zeros(capacity, self.kv_heads, self.hd, dtype=self.dtype))
                for _ in range(self.c["num_hidden_layers"])]

    @torch.inference_mode()
    def forward(self, ids, cache, start):
        """Logits of the last token after running `ids` at positions start..."""
        w, c = self.w, self.c
        h = w["model.embed_tokens.weight"][torch.tensor(ids)]
        for i in range(c["num_hidden_layers"]):
            p = f"model.layers.{i}."
            h = h + self.attention(i, self.rms_norm(h, w[p + "input_layernorm.weight"]), cache, start)
            x = self.rms_norm(h, w[p + "post_attention_layernorm.weight"])
            h = h + (self.moe(i, x) if self.is_moe(i) else self.mlp(p + "mlp.", x))
        h = self.rms_norm(h[-1:], w["model.norm.weight"])
        lm = w["model.embed_tokens.weight"] if c.get("tie_word_embeddings") else w["lm_head.weight"]
        return F.linear(h, lm)[0].float()


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
    dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32
    model = DeepseekMoE(args.model, dtype)
    vocab = model.c["vocab_size"]
    gen = torch.Generator().manual_seed(0)

    def ids(n):
        return torch.randint(0, vocab, (n,), generator=gen).tolist()

    times = []
    for _ in range(args.repeats + 1):
        cache = model.new_cache(args.prompt_tokens)
        prompt = ids(args.prompt_tokens)
        t0 = time.perf_counter()
        model.forward(prompt, cache, 0)
        times.append(time.perf_counter() - t0)
    print(json.dumps({"what": "prefill", "tokens": args.prompt_tokens,
                      "seconds": statistics.median(times[1:])}), flush=True)

    for context in (int(c) for c in args.contexts.split(",")):
        cache = model.new_cache(context + args.decode_steps + 1)
        logits = model.forward(ids(context), cache, 0)
        steps = []
        for s in range(args.decode_steps + 1):
            token = int(logits.argmax())
            t0 = time.perf_counter()
            logits = model.forward([token], cache, context + s)
            steps.append(time.perf_counter() - t0)
        print(json.dumps({"what": "decode", "context": context,
                          "seconds_per_token": statistics.median(steps[1:])}), flush=True)


if __name__ == "__main__":
    main()
