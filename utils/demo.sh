#!/usr/bin/env bash
# The main job on a built-in default: generate a small random DeepSeekMoE
# checkpoint (with a DeepSeek-style tokenizer), compile the whole model, and
# generate text from a prompt, by JIT and ahead of time; check the logits and
# the greedy tokens against the float64 reference.
#
# MOEC_DEMO_MODEL=DIR runs a checkpoint of yours instead (model_type
# deepseek, with tokenizer.json for a text prompt); the reference check is
# skipped for it (it needs the whole model in float64).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${MOEC_BIN_DIR:-$root/build/bin}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prompt="${MOEC_DEMO_PROMPT:-The router keeps the top experts for each token}"

model="${MOEC_DEMO_MODEL:-}"
if [ -z "$model" ]; then
  model="$work/model"
  echo "== a random DeepSeekMoE checkpoint: 3 layers (layer 0 dense), H 128, 8 heads"
  echo "   (4 key/value heads), 16 routed experts of width 48, k 4, 2 shared; BF16;"
  echo "   a byte-level BPE tokenizer with DeepSeek's pre-tokenizer"
  python3 "$root/utils/make_checkpoint.py" "$model" --hidden-size 128 \
    --num-attention-heads 8 --num-key-value-heads 4 --moe-intermediate-size 48 \
    --intermediate-size 256 --n-routed-experts 16 --num-experts-per-tok 4 \
    --n-shared-experts 2 --num-hidden-layers 3 --tokenizer deepseek-llm --dtype bf16
fi

echo "== moe-run generate (compiled for this CPU by JIT)"
echo "   prompt: $prompt"
"$bin/moe-run" generate --model "$model" --prompt "$prompt" --max-new-tokens 20 \
  | tee "$work/jit.txt"

echo "== moe-compile model -> model.so, then moe-run generate --module model.so"
"$bin/moe-compile" model --model "$model" --output "$work/model.so"
"$bin/moe-run" generate --model "$model" --prompt "$prompt" --max-new-tokens 20 \
  --module "$work/model.so" | tee "$work/aot.txt"
cmp -s "$work/jit.txt" "$work/aot.txt" && echo "   (the same tokens as the JIT)"

if [ -n "${MOEC_DEMO_MODEL:-}" ]; then
  exit 0
fi

echo "== against the float64 reference"
ids="$("$bin/moe-run" tokenize --model "$model" --prompt "$prompt" | tr ' ' ',')"
"$bin/moe-run" logits --model "$model" --prompt-ids "$ids" --output "$work/logits.npy"
PYTHONPATH="$root/test/e2e:$root/utils" python3 - "$model" "$ids" "$work" <<'PY'
import json, sys
import numpy as np
import reference, safetensors_io
model, ids, work = sys.argv[1], [int(i) for i in sys.argv[2].split(",")], sys.argv[3]
weights = safetensors_io.load_model(model)
config = json.load(open(f"{model}/config.json"))
ref = reference.model_forward(weights, config, ids)
got = np.load(f"{work}/logits.npy")
rel = np.linalg.norm(got - ref, axis=1) / np.linalg.norm(ref, axis=1)
print(f"logits [{got.shape[0]} x {got.shape[1]}]: largest relative error per "
      f"position {rel.max():.2e}")
assert rel.max() < 1e-4
generated = [int(t) for t in open(f"{work}/jit.txt").readline().split()]
tokens, _ = reference.greedy_generate(weights, config, ids, len(generated))
print("greedy tokens equal the reference's:", tokens == generated)
assert tokens == generated
PY
