#!/usr/bin/env bash
# The main job on a built-in default: generate a small random DeepSeekMoE
# checkpoint, compile and run one MoE layer's MLP block (JIT and ahead of
# time), and compare both with the float64 reference.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${MOEC_BIN_DIR:-$root/build/bin}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== moe-opt: the DeepSeekMoE-16B block, decomposed"
"$bin/moe-opt" --moe-decompose-pipeline "$root/examples/deepseekmoe-16b-block.mlir"

echo "== a random DeepSeekMoE checkpoint (H 128, 16 experts of width 48, k 4, 2 shared, BF16)"
python3 "$root/test/e2e/make_checkpoint.py" "$work/model" --hidden-size 128 \
  --moe-intermediate-size 48 --n-routed-experts 16 --num-experts-per-tok 4 \
  --n-shared-experts 2 --num-hidden-layers 2 --dtype bf16
python3 -c "import numpy as np; np.save('$work/x.npy', np.random.default_rng(0).normal(size=(33, 128)).astype(np.float32))"

echo "== moe-run layer 1 (JIT)"
"$bin/moe-run" layer --model "$work/model" --layer 1 --input "$work/x.npy" --output "$work/y_jit.npy"
echo "== moe-compile layer 1 -> layer1.so, then moe-run --module (runtime C API)"
"$bin/moe-compile" layer --model "$work/model" --layer 1 --output "$work/layer1.so"
"$bin/moe-run" layer --model "$work/model" --layer 1 --input "$work/x.npy" --output "$work/y_aot.npy" --module "$work/layer1.so"

PYTHONPATH="$root/test/e2e" python3 - "$work" <<'PY'
import json, sys
import numpy as np
import reference, safetensors_io
work = sys.argv[1]
weights = safetensors_io.load_model(f"{work}/model")
config = json.load(open(f"{work}/model/config.json"))
x = np.load(f"{work}/x.npy")
ref = reference.mlp_block(weights, config, 1, x.astype(np.float64))
for name in ("jit", "aot"):
    y = np.load(f"{work}/y_{name}.npy")
    rel = np.linalg.norm(y - ref) / np.linalg.norm(ref)
    print(f"{name}: y[{y.shape[0]}x{y.shape[1]}], relative error vs float64 reference {rel:.2e}")
    assert rel < 1e-4
PY
