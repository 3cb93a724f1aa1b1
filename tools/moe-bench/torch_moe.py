"""PyTorch eager baseline for moe-bench: one DeepSeekMoE MLP block on CPU.

Runs the reference semantics the way Hugging Face's `moe_infer` does: router
softmax, greedy top-k, sort the (token, slot) pairs by expert, loop over the
experts that got tokens, scatter-add the weighted outputs, add the shared
MLP. Weights are random, stored as float32 (PyTorch's fastest CPU path; moec
reads bf16), computed in float32. Prints one JSON line per token count:
{"tokens": T, "seconds": median}.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F


def swiglu(x, gate, up, down):
    return F.linear(F.silu(F.linear(x, gate)) * F.linear(x, up), down)


def moe_block(x, w, k):
    """The block on x [T, H] with weights `w` of x's dtype; the router runs in
    float32, as Hugging Face's MoEGate does (utils/gpu-bench.py times this in
    BF16 on a GPU)."""
    scores = F.linear(x.float(), w["router"].float()).softmax(dim=-1)
    topk_weight, topk_idx = torch.topk(scores, k=k, dim=-1, sorted=False)
    flat_idx = topk_idx.view(-1)
    counts = torch.bincount(flat_idx, minlength=w["router"].shape[0]).tolist()
    order = flat_idx.argsort()
    tokens = order // k
    xs = x[tokens]
    outs = torch.empty_like(xs)
    start = 0
    for e, n in enumerate(counts):
        if n == 0:
            continue
        end = start + n
        outs[start:end] = swiglu(xs[start:end], w["gate"][e], w["up"][e], w["down"][e])
        start = end
    y = torch.zeros_like(x)
    weighted = outs * topk_weight.view(-1)[order].unsqueeze(-1).to(x.dtype)
    y.index_add_(0, tokens, weighted)
    return y + swiglu(x, w["shared_gate"], w["shared_up"], w["shared_down"])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--hidden", type=int, required=True)
    p.add_argument("--width", type=int, required=True)
    p.add_argument("--experts", type=int, required=True)
    p.add_argument("--top-k", type=int, required=True)
    p.add_argument("--shared", type=int, required=True)
    p.add_argument("--tokens", type=str, required=True, help="comma-separated")
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    torch.manual_seed(0)
    h, i, e, s = a.hidden, a.width, a.experts, a.shared
    w = {
        "router": torch.randn(e, h) / h**0.5,
        "gate": torch.randn(e, i, h) / h**0.5,
        "up": torch.randn(e, i, h) / h**0.5,
        "down": torch.randn(e, h, i) / i**0.5,
        "shared_gate": torch.randn(s * i, h) / h**0.5,
        "shared_up": torch.randn(s * i, h) / h**0.5,
        "shared_down": torch.randn(h, s * i) / (s * i) ** 0.5,
    }
    with torch.inference_mode():
        for t in [int(v) for v in a.tokens.split(",")]:
            x = torch.randn(t, h)
            moe_block(x, w, a.top_k)
            times = []
            for _ in range(a.repeats):
                start = time.perf_counter()
                moe_block(x, w, a.top_k)
                times.append(time.perf_counter() - start)
            print(json.dumps({"tokens": t, "seconds": statistics.median(times),
                              "threads": torch.get_num_threads()}), flush=True)


if __name__ == "__main__":
    main()
