#!/usr/bin/env python3
"""Checks compiled MLP and model modules on a machine without the compiler
(a GPU one).

The GPU machine has no LLVM or MLIR, so its check runs in two halves:

  # Here (the compiler): compile each case's layer into DIR, for a GPU.
  utils/gpu-check.py prepare --out DIR --target cuda --gpu-arch sm_90

  # There (the runtime): with DIR, this file, utils/ and test/e2e/ (NumPy):
  utils/gpu-check.py run --dir DIR --runner build/bin/moec-run-layer \
      --model-runner build/bin/moec-run-model

`prepare` generates each case's random checkpoint (utils/make_checkpoint.py)
only to compile its module, and writes DIR/cases.json. `run` generates the
same checkpoints there (same options and seed: the same weights), runs each
module through moec-run-layer on seeded inputs, and compares every output
row with the float64 reference (test/e2e/reference.py) as the end-to-end
tests do (1e-4 of the row norm), then runs it again with the synchronous
allocator (MOEC_GPU_ALLOCATOR=sync), which must give the same bits. Each
whole-model case runs through moec-run-model: the prompt's logits against
the reference's, then greedy tokens decoded against the KV cache against
the reference's (where its top-2 margin is clear). It prints one line per
case and exits 1 if any case fails. `--target cpu` checks the same flow with CPU modules.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "utils"), str(ROOT / "test" / "e2e")]

from make_checkpoint import make_checkpoint  # noqa: E402

WIDE = dict(hidden_size=128, intermediate_size=160, moe_intermediate_size=48,
            n_routed_experts=16, num_experts_per_tok=4)

# H 70 (vectors of 2), I 45 and dense width 99 (vectors of 1); 5 heads of 14.
ODDER = dict(hidden_size=70, num_attention_heads=5, moe_intermediate_size=45,
             intermediate_size=99)

# name: (checkpoint options, layer, tokens)
CASES = {
    "greedy": ({}, 1, 7),
    "greedy-norm-wide": (dict(WIDE, norm_topk_prob=True), 1, 33),
    "sigmoid-scaled": (dict(scoring_func="sigmoid", routed_scaling_factor=1.5), 1, 7),
    "group-limited": (dict(WIDE, topk_method="group_limited_greedy", n_group=4,
                           topk_group=2, num_experts_per_tok=3,
                           routed_scaling_factor=2.5), 1, 33),
    "noaux-tc": (dict(WIDE, topk_method="noaux_tc", scoring_func="sigmoid",
                      norm_topk_prob=True, n_group=4, topk_group=2,
                      routed_scaling_factor=2.5), 1, 33),
    "no-shared": (dict(n_shared_experts=None), 1, 7),
    "dense-layer": (dict(first_k_dense_replace=1), 0, 7),
    "f16": (dict(dtype="f16"), 1, 33),
    "f32": (dict(dtype="f32"), 1, 33),
    "one-token": (dict(WIDE), 1, 1),
    "tokens-300": (dict(WIDE), 1, 300),
    "idle-experts": (dict(WIDE, num_experts_per_tok=2), 1, 3),
    "k-equals-e": (dict(num_experts_per_tok=8, norm_topk_prob=True), 1, 33),
    "odd-sizes": (dict(hidden_size=72, moe_intermediate_size=40,
                       intermediate_size=100), 1, 7),
    "odder-sizes": (ODDER, 1, 5),
    "odder-sizes-dense": (ODDER, 0, 5),
    # The tensor-core tiles (BF16, H 64 and I 32 or dense 96: both products)
    # from 8 sorted rows per expert: segments ending mid-tile, a dense layer
    # of a ragged T, down tiles alone.
    "tiles-ragged": ({}, 1, 100),
    "tiles-dense": ({}, 0, 21),
    "tiles-down-only": (dict(hidden_size=72, num_attention_heads=4,
                             moe_intermediate_size=64), 1, 60),
}


YARN = {"rope_type": "yarn", "factor": 40.0, "original_max_position_embeddings": 64,
        "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0}
V2 = dict(model_type="deepseek_v2", config_style="transformers", n_routed_experts=8,
          num_experts_per_tok=2, topk_method="group_limited_greedy", n_group=4,
          topk_group=2, scoring_func=None)
V3 = dict(model_type="deepseek_v3", config_style="transformers", n_routed_experts=8,
          num_experts_per_tok=2, n_group=4, topk_group=2, n_shared_experts=1,
          routed_scaling_factor=2.5, norm_topk_prob=True, q_lora_rank=24,
          topk_method=None, scoring_func=None, max_position_embeddings=2560,
          rope_scaling=YARN)

# Whole models, name: (checkpoint options, prompt tokens, new tokens).
MODEL_CASES = {
    "model-deepseek": ({}, 13, 8),
    "model-gqa-long": (dict(hidden_size=128, num_attention_heads=8,
                            num_key_value_heads=2), 300, 4),
    "model-v2": (V2, 13, 8),
    "model-v3": (V3, 13, 8),
}


def prepare(args) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    compiler = Path(args.bin) / "moe-compile"

    def compile_case(tmp: str, name: str, options: dict, what: list[str]) -> bool:
        """Compiles `what` (moe-compile's subcommand and its options) of
        case `name`'s checkpoint, written under `tmp`, into DIR/name.so."""
        model = Path(tmp) / name
        make_checkpoint(model, **options)
        cmd = [str(compiler), *what, "--model", str(model),
               "--output", str(out / f"{name}.so")]
        if args.target == "cuda":
            cmd += ["--target", "cuda", "--gpu-arch", args.gpu_arch]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{name}: moe-compile failed:\n{proc.stderr}", file=sys.stderr)
            return False
        print(f"compiled {name}")
        return True

    with tempfile.TemporaryDirectory() as tmp:
        for name, (options, layer, _) in CASES.items():
            if not compile_case(tmp, name, options, ["layer", "--layer", str(layer)]):
                return 1
        for name, (options, _, _) in MODEL_CASES.items():
            if not compile_case(tmp, name, options, ["model"]):
                return 1
    (out / "cases.json").write_text(json.dumps(
        {"target": args.target, "gpu_arch": args.gpu_arch, "cases": CASES,
         "models": MODEL_CASES}, indent=1))
    return 0


def run(args) -> int:
    import reference as R
    from safetensors_io import load_model

    folder = Path(args.dir)
    spec = json.loads((folder / "cases.json").read_text())
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, (options, layer, tokens) in spec["cases"].items():
            model = Path(tmp) / name
            config = make_checkpoint(model, **options)
            weights = load_model(model)
            x = np.random.default_rng(tokens).normal(size=(tokens, config["hidden_size"]))
            x = x.astype(np.float32)
            np.save(Path(tmp) / "x.npy", x)
            y_path = Path(tmp) / "y.npy"
            command = [args.runner, "--model", str(model), "--layer", str(layer),
                       "--module", str(folder / f"{name}.so"), "--input",
                       str(Path(tmp) / "x.npy"), "--output", str(y_path)]
            proc = subprocess.run(command + ["--repeat", str(args.repeat)],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"FAIL {name}: {proc.stderr.strip()}")
                failures += 1
                continue
            y = np.load(y_path)
            y_path.unlink()
            # Again with cuMemAlloc/cuMemFree instead of the memory pool: the
            # same bits, as the kernels use no atomics.
            sync = subprocess.run(command, capture_output=True, text=True,
                                  env=dict(os.environ, MOEC_GPU_ALLOCATOR="sync"))
            if sync.returncode != 0 or not np.array_equal(np.load(y_path), y):
                print(f"FAIL {name}: with MOEC_GPU_ALLOCATOR=sync the output differs "
                      f"{sync.stderr.strip()}")
                failures += 1
                continue
            y_path.unlink()
            ref = R.mlp_block(weights, config, layer, x.astype(np.float64))
            err = np.linalg.norm(y - ref, axis=-1)
            bound = 1e-4 * np.linalg.norm(ref, axis=-1) + 1e-6
            worst = float((err / bound).max())
            timing = proc.stderr.strip().rsplit(": ", 1)[-1] if args.repeat else ""
            status = "ok  " if worst <= 1 else "FAIL"
            failures += worst > 1
            print(f"{status} {name}: T={tokens}, worst row error {worst:.3g} of the "
                  f"bound {timing}")
            shutil.rmtree(model)
        for name, (options, tokens, new) in spec.get("models", {}).items():
            model = Path(tmp) / name
            config = make_checkpoint(model, **options)
            weights = load_model(model)
            ok, line = check_model(args, folder / f"{name}.so", model, config, weights,
                                   tokens, new, Path(tmp))
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {line}")
            shutil.rmtree(model)
    total = len(spec["cases"]) + len(spec.get("models", {}))
    print(f"{total - failures} of {total} cases match the "
          f"reference ({spec['target']}, {spec['gpu_arch']})")
    return 1 if failures else 0


def check_model(args, module: Path, model: Path, config: dict, weights, tokens: int,
                new: int, tmp: Path) -> tuple[bool, str]:
    """Runs a whole-model module: (whether it matches, what was seen)."""
    import reference as R

    ids = np.random.default_rng(tokens).integers(0, config["vocab_size"], tokens).tolist()
    logits_path, steps_path = tmp / "logits.npy", tmp / "steps.npy"
    command = [args.model_runner, "--model", str(model), "--module", str(module),
               "--prompt-ids", ",".join(map(str, ids)), "--output", str(logits_path),
               "--new-tokens", str(new), "--steps-output", str(steps_path)]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        return False, proc.stderr.strip()
    logits = np.load(logits_path)
    ref = R.model_forward(weights, config, ids)
    err = np.linalg.norm(logits - ref, axis=-1)
    worst = float((err / (1e-4 * np.linalg.norm(ref, axis=-1) + 1e-6)).max())
    got = [int(t) for t in proc.stdout.split()]
    want, margins = R.greedy_generate(weights, config, ids, new)
    # A step whose reference top-2 margin is tiny may go either way; later
    # steps then continue another sequence.
    agree = 0
    for g, w, m in zip(got, want, margins):
        if g != w and m >= 1e-4:
            return False, f"T={tokens}: token {agree} is {g}, the reference's {w}"
        if g != w:
            break
        agree += 1
    return worst <= 1, (f"T={tokens}, worst logits row error {worst:.3g} of the bound, "
                        f"{agree} of {new} greedy tokens as the reference's")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="compile the cases' modules (needs moe-compile)")
    p.add_argument("--out", required=True)
    p.add_argument("--target", choices=["cuda", "cpu"], default="cuda")
    p.add_argument("--gpu-arch", default="sm_90")
    p.add_argument("--bin", default=str(ROOT / "build" / "bin"))
    r = sub.add_parser("run", help="run and check them (needs only moec-run-layer)")
    r.add_argument("--dir", required=True)
    r.add_argument("--runner", default=str(ROOT / "build" / "bin" / "moec-run-layer"))
    r.add_argument("--model-runner", default=str(ROOT / "build" / "bin" / "moec-run-model"))
    r.add_argument("--repeat", type=int, default=0,
                   help="also time N more calls of each module")
    args = parser.parse_args()
    return prepare(args) if args.command == "prepare" else run(args)


if __name__ == "__main__":
    sys.exit(main())
