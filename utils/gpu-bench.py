#!/usr/bin/env python3
"""The GPU benchmark of one DeepSeekMoE-16B MoE layer (issue 9), in two halves.

The GPU machine has no compiler, so the module is compiled here and timed
there through the runtime alone:

  # Here: a 16B-shaped checkpoint (random BF16 weights) and its layer-1 module.
  utils/gpu-bench.py prepare --out DIR --gpu-arch sm_90

  # There (NumPy, PyTorch with CUDA, build/bin/moec-run-layer and its runtime):
  utils/gpu-bench.py run --dir DIR --tokens 1,16,128,512,4096

`prepare` also compiles the whole two-layer model (the dense layer 0, the
MoE layer 1, 16B attention, a KV cache in BF16), which `run` times through
moec-run-model: the prefill of a prompt and the mean decode step after it,
for each prompt length in --contexts, against the HBM bound of the bytes a
decode step reads (all weights but the unused experts', plus the KV cache).

`run` regenerates the same checkpoint (same options and seed), then for each
T, in one process and on the same GPU: moec (moec-run-layer --repeat, which
keeps x and y in device memory between calls, as PyTorch's inputs are, and
waits for each call's kernels), PyTorch eager of the
reference semantics in BF16, torch._grouped_mm where present, a cuBLAS BF16
GEMM of equal FLOPs (torch.matmul), and the HBM bound of the weight bytes the
layer touches at the device-to-device copy bandwidth measured in the same
run. moec's output is checked against the float64 reference (T <= 16) and
against PyTorch in float32 (every T). `--device cpu --options small` runs the
same flow on the CPU with a small layer (for testing this script).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "utils"), str(ROOT / "test" / "e2e"),
                str(ROOT / "tools" / "moe-bench")]

from make_checkpoint import make_checkpoint  # noqa: E402

# deepseek-ai/deepseek-moe-16b-base: H 2048, 64 experts of width 1408, 6 per
# token, 2 shared, softmax greedy; layer 0 dense (width 10944), layer 1 MoE.
SHAPES = {
    "16b": dict(hidden_size=2048, moe_intermediate_size=1408, intermediate_size=10944,
                n_routed_experts=64, num_experts_per_tok=6, n_shared_experts=2,
                num_hidden_layers=2, first_k_dense_replace=1, num_attention_heads=16,
                vocab_size=64, dtype="bf16"),
    "small": dict(hidden_size=128, moe_intermediate_size=48, intermediate_size=160,
                  n_routed_experts=16, num_experts_per_tok=4, n_shared_experts=2,
                  dtype="bf16"),
}
LAYER = 1


def prepare(args) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        make_checkpoint(tmp, **SHAPES[args.options])
        cmd = [str(Path(args.bin) / "moe-compile"), "layer", "--model", tmp, "--layer",
               str(LAYER), "--output", str(out / "layer.so")]
        if args.target == "cuda":
            cmd += ["--target", "cuda", "--gpu-arch", args.gpu_arch]
        model_cmd = [str(Path(args.bin) / "moe-compile"), "model", "--model", tmp,
                     "--kv-cache", "bf16", "--output", str(out / "model.so")]
        if args.target == "cuda":
            model_cmd += ["--target", "cuda", "--gpu-arch", args.gpu_arch]
        for c in (cmd, model_cmd):
            proc = subprocess.run(c, capture_output=True, text=True)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return 1
    (out / "bench.json").write_text(json.dumps(
        {"options": args.options, "target": args.target, "gpu_arch": args.gpu_arch}))
    return 0


def torch_weights(weights: dict, config: dict, device, dtype):
    import torch
    p = f"model.layers.{LAYER}.mlp."
    t = lambda name: torch.from_numpy(weights[p + name]).to(device=device, dtype=dtype)
    e = config["n_routed_experts"]
    stack = lambda proj: torch.stack([t(f"experts.{i}.{proj}.weight") for i in range(e)])
    return {"router": t("gate.weight"), "gate": stack("gate_proj"),
            "up": stack("up_proj"), "down": stack("down_proj"),
            "shared_gate": t("shared_experts.gate_proj.weight"),
            "shared_up": t("shared_experts.up_proj.weight"),
            "shared_down": t("shared_experts.down_proj.weight")}


def grouped(x, w, k):
    """Routed experts as three torch._grouped_mm calls (BF16), shared apart."""
    import torch
    import torch.nn.functional as F
    scores = F.linear(x.float(), w["router"].float()).softmax(dim=-1)
    weight, idx = torch.topk(scores, k=k, dim=-1, sorted=False)
    flat = idx.view(-1)
    order = flat.argsort()
    counts = torch.bincount(flat, minlength=w["router"].shape[0])
    offs = torch.cumsum(counts, 0).to(torch.int32)
    xs = x[order // k]
    g = torch._grouped_mm(xs, w["gate"].transpose(1, 2), offs=offs)
    u = torch._grouped_mm(xs, w["up"].transpose(1, 2), offs=offs)
    o = torch._grouped_mm((F.silu(g) * u), w["down"].transpose(1, 2), offs=offs)
    y = torch.zeros_like(x)
    y.index_add_(0, order // k, o * weight.view(-1)[order].unsqueeze(-1).to(x.dtype))
    return y


def timed(fn, device, repeats):
    import torch
    fn()
    times = []
    for _ in range(repeats):
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def decode_bytes(weights: dict, config: dict, context: int, used: int) -> int:
    """The bytes a decode step at `context` cached positions reads: every
    weight but the routed experts' (of which `used` run), the embedding's
    one row, and the cache's keys and values (BF16)."""
    experts = sum(v.nbytes for n, v in weights.items() if ".mlp.experts." in n)
    per_expert = experts // config["n_routed_experts"]
    embedding = weights["model.embed_tokens.weight"]
    rest = sum(v.nbytes for n, v in weights.items()
               if ".mlp.experts." not in n and n != "model.embed_tokens.weight")
    kv = (config["num_hidden_layers"] * 2 * context * config["hidden_size"] * 2)
    return rest + used * per_expert + embedding.nbytes // embedding.shape[0] + kv


def run_model(args, folder: Path, model: Path, weights: dict, config: dict,
              bandwidth: float) -> int:
    """The whole model's prefill and decode steps through moec-run-model."""
    k = config["num_experts_per_tok"]
    print()
    print(f"# whole model ({config['num_hidden_layers']} layers, BF16 KV cache), "
          f"{args.new_tokens - 1} decode steps after each prompt")
    print("| prompt | prefill µs | prefill tokens/s | decode µs per step | "
          "decode bound µs | decode / bound |")
    print("|---|---|---|---|---|---|")
    vocab = config["vocab_size"]
    for context in [int(v) for v in args.contexts.split(",")]:
        ids = np.random.default_rng(context).integers(0, vocab, size=context)
        proc = subprocess.run(
            [args.model_runner, "--model", str(model), "--module", str(folder / "model.so"),
             "--prompt-ids", ",".join(map(str, ids)), "--output", str(model.parent / "l.npy"),
             "--new-tokens", str(args.new_tokens), "--steps-output",
             str(model.parent / "s.npy"), "--timing"],
            capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"moec-run-model failed at prompt {context}: {proc.stderr}", file=sys.stderr)
            return 1
        prefill_us = float(proc.stderr.split(" tokens, ")[1].split(" us")[0])
        step_us = float(proc.stderr.split(" steps, ")[1].split(" us")[0])
        # A decode step at the middle of the generated tokens; k experts
        # per token (a bound: fewer bytes cannot be read).
        middle = context + args.new_tokens // 2
        bound_s = decode_bytes(weights, config, middle, k) / bandwidth
        print(f"| {context} | {prefill_us:.0f} | {context / (prefill_us / 1e6):.0f} | "
              f"{step_us:.1f} | {bound_s * 1e6:.1f} | {step_us / 1e6 / bound_s:.2f} |",
              flush=True)
    return 0


def run(args) -> int:
    import torch
    import reference as R
    from safetensors_io import load_model
    # PyTorch eager of the reference semantics, as moe-bench times it on the
    # CPU (Hugging Face's moe_infer).
    from torch_moe import moe_block as eager

    folder = Path(args.dir)
    bench = json.loads((folder / "bench.json").read_text())
    dev = args.device
    name = torch.cuda.get_device_name() if dev == "cuda" else "CPU"
    with tempfile.TemporaryDirectory() as tmp:
        config = make_checkpoint(Path(tmp) / "model", **SHAPES[bench["options"]])
        weights = load_model(Path(tmp) / "model")
        w = torch_weights(weights, config, dev, torch.bfloat16)
        w32 = torch_weights(weights, config, dev, torch.float32)
        h, i_ = config["hidden_size"], config["moe_intermediate_size"]
        k, s = config["num_experts_per_tok"], config["n_shared_experts"]
        # Device memory bandwidth: a device-to-device copy of 1 GiB (or less
        # on the CPU), read + write.
        n = (1 << 29) if dev == "cuda" else (1 << 24)
        a = torch.empty(n, dtype=torch.bfloat16, device=dev)
        copy = timed(lambda: a.clone(), dev, 5)
        bandwidth = 2 * a.numel() * 2 / copy
        del a
        print(f"# {name}, layer {LAYER} of {bench['options']}, module {bench['target']} "
              f"{bench['gpu_arch']}; copy bandwidth {bandwidth / 1e9:.0f} GB/s")
        print("| T | moec µs | eager BF16 µs | grouped_mm µs | "
              "cuBLAS equal-FLOP µs | HBM bound µs | moec / bound | eager / moec | "
              "cuBLAS / moec | max row err vs f32 |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for t in [int(v) for v in args.tokens.split(",")]:
            x = np.random.default_rng(t).normal(size=(t, h)).astype(np.float32)
            np.save(Path(tmp) / "x.npy", x)
            proc = subprocess.run(
                [args.runner, "--model", str(Path(tmp) / "model"), "--layer", str(LAYER),
                 "--module", str(folder / "layer.so"), "--input", str(Path(tmp) / "x.npy"),
                 "--output", str(Path(tmp) / "y.npy"), "--repeat", str(args.repeats)],
                capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"moec-run-layer failed at T={t}: {proc.stderr}", file=sys.stderr)
                return 1
            moec_us = float(proc.stderr.split(" calls, ")[1].split(" us")[0])
            y = np.load(Path(tmp) / "y.npy")
            xt = torch.from_numpy(x).to(dev)
            with torch.inference_mode():
                ref32 = eager(xt, w32, k).cpu().numpy()
                err = float((np.linalg.norm(y - ref32, axis=-1)
                             / (np.linalg.norm(ref32, axis=-1) + 1e-12)).max())
                if t <= 16:
                    ref64 = R.mlp_block(weights, config, LAYER, x.astype(np.float64))
                    bound = 1e-4 * np.linalg.norm(ref64, axis=-1) + 1e-6
                    if (np.linalg.norm(y - ref64, axis=-1) > bound).any():
                        print(f"moec differs from the float64 reference at T={t}",
                              file=sys.stderr)
                        return 1
                xb = xt.to(torch.bfloat16)
                eager_s = timed(lambda: eager(xb, w, k), dev, args.repeats)
                grouped_s = (timed(lambda: grouped(xb, w, k), dev, args.repeats)
                             if dev == "cuda" and hasattr(torch, "_grouped_mm") else None)
                m = t * (k + s)
                lhs = torch.randn(m, h, device=dev, dtype=torch.bfloat16)
                rhs = torch.randn(h, 3 * i_, device=dev, dtype=torch.bfloat16)
                gemm_s = timed(lambda: lhs @ rhs, dev, args.repeats)
                scores = xt @ w32["router"].T
                used = torch.unique(torch.topk(scores, k, dim=-1).indices).numel()
            touched = ((used + s) * 3 * h * i_ + config["n_routed_experts"] * h) * 2
            bound_s = touched / bandwidth
            us = lambda sec: f"{sec * 1e6:.1f}" if sec is not None else "-"
            print(f"| {t} | {moec_us:.1f} | {us(eager_s)} | {us(grouped_s)} | {us(gemm_s)} | "
                  f"{us(bound_s)} | {moec_us / 1e6 / bound_s:.2f} | "
                  f"{eager_s / (moec_us / 1e6):.2f} | {gemm_s / (moec_us / 1e6):.2f} | "
                  f"{err:.1e} |", flush=True)
        return run_model(args, folder, Path(tmp) / "model", weights, config, bandwidth)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="compile the layer (needs moe-compile)")
    p.add_argument("--out", required=True)
    p.add_argument("--options", choices=sorted(SHAPES), default="16b")
    p.add_argument("--target", choices=["cuda", "cpu"], default="cuda")
    p.add_argument("--gpu-arch", default="sm_90")
    p.add_argument("--bin", default=str(ROOT / "build" / "bin"))
    r = sub.add_parser("run", help="time it against the baselines (needs PyTorch)")
    r.add_argument("--dir", required=True)
    r.add_argument("--tokens", default="1,16,128,512,4096")
    r.add_argument("--repeats", type=int, default=20)
    r.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    r.add_argument("--runner", default=str(ROOT / "build" / "bin" / "moec-run-layer"))
    r.add_argument("--contexts", default="128,2048",
                   help="prompt lengths of the whole-model runs")
    r.add_argument("--new-tokens", type=int, default=33)
    r.add_argument("--model-runner",
                   default=str(ROOT / "build" / "bin" / "moec-run-model"))
    args = parser.parse_args()
    return prepare(args) if args.command == "prepare" else run(args)


if __name__ == "__main__":
    sys.exit(main())
