"""End-to-end tests of whole models: `moe-run logits` and `moe-run generate`
against the float64 reference, on random checkpoints.

    moe-run logits   --model DIR --prompt-ids 1,2,3 --output L.npy
    moe-run generate --model DIR --prompt-ids 1,2,3 --max-new-tokens N
                     [--logits-output S.npy] [--temperature T --top-p P --seed S]

logits writes float32 [T, vocab_size], one row per prompt position;
generate prints the new ids on one line and, with --logits-output, the
logits each one was chosen from. Both compile the model for this CPU unless
--module names an artifact of `moe-compile model`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import reference as R
from checks import assert_close_rows, assert_fails_naming


def ids_arg(ids) -> str:
    return ",".join(str(int(i)) for i in ids)


def run_logits(moe_run, model: Path, ids, tmp_path: Path, *flags) -> np.ndarray:
    out = tmp_path / "logits.npy"
    proc = moe_run("logits", "--model", model, "--prompt-ids", ids_arg(ids),
                   "--output", out, *flags)
    assert proc.returncode == 0, proc.stderr
    logits = np.load(out)
    assert logits.dtype == np.float32
    return logits


def run_generate(moe_run, model: Path, prompt, n: int, tmp_path: Path, *flags):
    """Returns the generated ids and the logits each was chosen from."""
    steps = tmp_path / "steps.npy"
    proc = moe_run("generate", "--model", model, "--prompt-ids", ids_arg(prompt),
                   "--max-new-tokens", n, "--logits-output", steps, *flags)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, f"expected one line of ids, got {proc.stdout!r}"
    return [int(t) for t in lines[0].split()], np.load(steps)


def prompt_ids(config: dict, length: int, seed: int = 0) -> list[int]:
    return np.random.default_rng(seed).integers(0, config["vocab_size"], length).tolist()


# Shapes: the generator defaults (H 64, 4 heads of 16, E 8 of width 32, k 2,
# 2 shared, 2 layers with layer 0 dense) unless a case says otherwise.
GQA = dict(hidden_size=128, num_attention_heads=8, num_key_value_heads=2)
MODELS = {
    "default": {},
    "gqa": GQA,
    "multi-query": dict(hidden_size=128, num_attention_heads=8, num_key_value_heads=1),
    "tied-embeddings": dict(tie_word_embeddings=True),
    "freq2-no-dense-prefix": dict(num_hidden_layers=4, first_k_dense_replace=0,
                                  moe_layer_freq=2),
    "two-dense-layers": dict(num_hidden_layers=4, first_k_dense_replace=2),
    "no-moe": dict(n_routed_experts=None),
    "noaux-sigmoid-grouped": dict(hidden_size=128, n_routed_experts=16,
                                  num_experts_per_tok=4, topk_method="noaux_tc",
                                  scoring_func="sigmoid", norm_topk_prob=True, n_group=4,
                                  topk_group=2, routed_scaling_factor=2.5),
    "group-limited-scaled": dict(n_routed_experts=16, num_experts_per_tok=3,
                                 topk_method="group_limited_greedy", n_group=4,
                                 topk_group=2, routed_scaling_factor=2.0),
    "greedy-norm-no-shared": dict(norm_topk_prob=True, n_shared_experts=None),
    "f32": dict(dtype="f32"),
    "f16": dict(dtype="f16"),
    "sharded": dict(shards=4, num_hidden_layers=3),
    # head_dim 10 and H 40: no multiple of any vector width.
    "odd-sizes": dict(hidden_size=40, num_attention_heads=4, intermediate_size=72,
                      moe_intermediate_size=24),
    "linear-rope-scaling": dict(rope_scaling={"type": "linear", "factor": 4.0},
                                rope_theta=500000.0),
    "transformers-config": dict(config_style="transformers",
                                rope_scaling={"rope_type": "linear", "factor": 2.0}),
}


@pytest.mark.parametrize("options", MODELS.values(), ids=MODELS.keys())
@pytest.mark.parametrize("tokens", [1, 13])
def test_logits_match_reference(moe_run, checkpoint, tmp_path, options, tokens):
    ckpt = checkpoint(**options)
    ids = prompt_ids(ckpt.config, tokens)
    logits = run_logits(moe_run, ckpt.path, ids, tmp_path)
    assert logits.shape == (tokens, ckpt.config["vocab_size"])
    assert_close_rows(logits, R.model_forward(ckpt.weights, ckpt.config, ids))


@pytest.mark.parametrize("tokens", [33, 520])
def test_long_prompts(moe_run, checkpoint, tmp_path, tokens):
    """Prompts that are no multiple of any tile, and one longer than a
    prefill chunk (512), so that later chunks attend to earlier ones."""
    ckpt = checkpoint(**GQA)
    ids = prompt_ids(ckpt.config, tokens, seed=tokens)
    logits = run_logits(moe_run, ckpt.path, ids, tmp_path)
    assert_close_rows(logits, R.model_forward(ckpt.weights, ckpt.config, ids))


@pytest.mark.parametrize("flags", [["--unfused"], ["--sequential"],
                                   ["--no-fold-shared-experts"],
                                   ["--cpu", "x86-64-v3"], ["--cpu", "x86-64"]],
                         ids=["unfused", "sequential", "unfolded", "avx2", "sse2"])
def test_compile_modes(moe_run, checkpoint, tmp_path, flags):
    ckpt = checkpoint(**GQA)
    ids = prompt_ids(ckpt.config, 9)
    logits = run_logits(moe_run, ckpt.path, ids, tmp_path, *flags)
    assert_close_rows(logits, R.model_forward(ckpt.weights, ckpt.config, ids))


def assert_greedy_matches(tokens: list[int], ref: list[int], margins: list[float]):
    """The generated tokens equal the reference's, up to the first step where
    the reference's two best logits tie within rounding (reference §5)."""
    for step, (got, want, margin) in enumerate(zip(tokens, ref, margins)):
        if margin < 1e-4:
            return
        assert got == want, f"step {step}: generated {got}, reference {want} " \
                            f"(its top-2 margin is {margin:.3g})"
    assert len(tokens) == len(ref)


@pytest.mark.parametrize("options", [{}, GQA, MODELS["noaux-sigmoid-grouped"]],
                         ids=["default", "gqa", "noaux"])
def test_greedy_tokens_match_reference(moe_run, checkpoint, tmp_path, options):
    ckpt = checkpoint(**options)
    prompt = prompt_ids(ckpt.config, 5, seed=7)
    tokens, _ = run_generate(moe_run, ckpt.path, prompt, 12, tmp_path)
    ref, margins = R.greedy_generate(ckpt.weights, ckpt.config, prompt, 12)
    assert_greedy_matches(tokens, ref, margins)


@pytest.mark.parametrize("prompt_len,new", [(1, 20), (30, 12), (509, 6)],
                         ids=["one-token-prompt", "across-key-blocks", "across-chunk"])
def test_decode_equals_full_recompute(moe_run, checkpoint, tmp_path, prompt_len, new):
    """Each decode step (one token against the KV cache) gives the logits a
    full recompute of the whole sequence gives at that position, also when
    the sequence crosses key blocks (8) and the prefill chunk (512)."""
    ckpt = checkpoint(**GQA)
    prompt = prompt_ids(ckpt.config, prompt_len, seed=prompt_len)
    tokens, steps = run_generate(moe_run, ckpt.path, prompt, new, tmp_path)
    assert len(tokens) == new and steps.shape == (new, ckpt.config["vocab_size"])
    full = run_logits(moe_run, ckpt.path, prompt + tokens[:-1], tmp_path)
    np.testing.assert_allclose(steps, full[prompt_len - 1:], rtol=1e-5, atol=1e-5)
    assert (steps.argmax(axis=1) == tokens).all()


@pytest.mark.parametrize("kv_cache", ["f16", "bf16"])
def test_half_precision_kv_cache(moe_run, checkpoint, tmp_path, kv_cache):
    """`--kv-cache f16|bf16` stores keys and values rounded to half precision:
    the logits are those of the reference whose attention reads rounded keys
    and values, and a decode step still equals a full recompute, since both
    read the same rounded cache."""
    ckpt = checkpoint(**GQA)
    ids = prompt_ids(ckpt.config, 21, seed=4)
    flags = ("--kv-cache", kv_cache)
    logits = run_logits(moe_run, ckpt.path, ids, tmp_path, *flags)
    assert_close_rows(logits, R.model_forward(ckpt.weights, ckpt.config, ids,
                                              kv_cache=kv_cache))
    # The rounding is real: the f32-cache reference is further away than the
    # tolerance above allows.
    exact = R.model_forward(ckpt.weights, ckpt.config, ids)
    assert np.linalg.norm(logits - exact) > 1e-4 * np.linalg.norm(exact)

    prompt = ids[:9]
    tokens, steps = run_generate(moe_run, ckpt.path, prompt, 8, tmp_path, *flags)
    full = run_logits(moe_run, ckpt.path, prompt + tokens[:-1], tmp_path, *flags)
    np.testing.assert_allclose(steps, full[len(prompt) - 1:], rtol=1e-5, atol=1e-5)


def test_rejects_unknown_kv_cache_type(moe_run, checkpoint, tmp_path):
    out = tmp_path / "logits.npy"
    proc = moe_run("logits", "--model", checkpoint(**GQA).path, "--prompt-ids", "1,2",
                   "--output", out, "--kv-cache", "f8")
    assert_fails_naming(proc, "kv-cache", "f8")
    assert not out.exists()


def test_generation_stops_at_eos(moe_run, checkpoint, tmp_path):
    base = checkpoint(**GQA)
    prompt = prompt_ids(base.config, 4, seed=3)
    free, _ = run_generate(moe_run, base.path, prompt, 10, tmp_path)
    # Make the fourth token the model generates its end-of-sequence token.
    model = tmp_path / "model"
    shutil.copytree(base.path, model)
    config = dict(base.config, eos_token_id=free[3])
    (model / "config.json").write_text(json.dumps(config))
    stopped, _ = run_generate(moe_run, model, prompt, 10, tmp_path)
    first = free.index(free[3])
    assert stopped == free[:first + 1]


def test_sampling_is_seeded(moe_run, checkpoint, tmp_path):
    ckpt = checkpoint(**GQA)
    prompt = prompt_ids(ckpt.config, 4)
    sample = ["--temperature", "1.5", "--top-p", "0.95"]
    a, _ = run_generate(moe_run, ckpt.path, prompt, 16, tmp_path, *sample, "--seed", "1")
    b, _ = run_generate(moe_run, ckpt.path, prompt, 16, tmp_path, *sample, "--seed", "1")
    c, _ = run_generate(moe_run, ckpt.path, prompt, 16, tmp_path, *sample, "--seed", "2")
    assert a == b, "the same seed must give the same tokens"
    assert a != c, "different seeds gave the same 16 sampled tokens"
    assert all(0 <= t < ckpt.config["vocab_size"] for t in a + c)
    # A nucleus this small keeps only the most likely token: greedy.
    greedy, _ = run_generate(moe_run, ckpt.path, prompt, 16, tmp_path)
    nucleus, _ = run_generate(moe_run, ckpt.path, prompt, 16, tmp_path, "--temperature",
                              "0.7", "--top-p", "1e-9", "--seed", "5")
    assert nucleus == greedy


def test_ahead_of_time_module(moe_run, moe_compile, checkpoint, tmp_path):
    ckpt = checkpoint(**GQA)
    module = tmp_path / "model.so"
    proc = moe_compile("model", "--model", ckpt.path, "--output", module)
    assert proc.returncode == 0, proc.stderr
    ids = prompt_ids(ckpt.config, 11)
    aot = run_logits(moe_run, ckpt.path, ids, tmp_path, "--module", module)
    jit = run_logits(moe_run, ckpt.path, ids, tmp_path)
    np.testing.assert_array_equal(aot, jit)
    tokens, _ = run_generate(moe_run, ckpt.path, ids, 6, tmp_path, "--module", module)
    ref, margins = R.greedy_generate(ckpt.weights, ckpt.config, ids, 6)
    assert_greedy_matches(tokens, ref, margins)


def test_module_for_another_model_is_refused(moe_run, moe_compile, checkpoint, tmp_path):
    module = tmp_path / "model.so"
    proc = moe_compile("model", "--model", checkpoint(**GQA).path, "--output", module)
    assert proc.returncode == 0, proc.stderr
    other = checkpoint()
    out = tmp_path / "logits.npy"
    proc = moe_run("logits", "--model", other.path, "--prompt-ids", "1,2", "--output", out,
                   "--module", module)
    assert_fails_naming(proc, "compiled for another model", "hidden_size: 128 in the module")
    assert not out.exists()


def test_kv_cache_type_is_part_of_the_module(moe_run, moe_compile, checkpoint, tmp_path):
    ckpt = checkpoint(**GQA)
    module = tmp_path / "model.so"
    proc = moe_compile("model", "--model", ckpt.path, "--output", module, "--kv-cache", "f16")
    assert proc.returncode == 0, proc.stderr
    ids = prompt_ids(ckpt.config, 6)
    aot = run_logits(moe_run, ckpt.path, ids, tmp_path, "--module", module,
                     "--kv-cache", "f16")
    np.testing.assert_array_equal(aot, run_logits(moe_run, ckpt.path, ids, tmp_path,
                                                  "--kv-cache", "f16"))
    # Without --kv-cache the module's own type is used; a different one
    # asked for is refused, naming both.
    np.testing.assert_array_equal(aot, run_logits(moe_run, ckpt.path, ids, tmp_path,
                                                  "--module", module))
    proc = moe_run("logits", "--model", ckpt.path, "--prompt-ids", ids_arg(ids),
                   "--output", tmp_path / "other.npy", "--module", module,
                   "--kv-cache", "f32")
    assert_fails_naming(proc, "--kv-cache f32", "f16 KV cache")


# ------------------------------------------------------------------ bad input

def test_rejects_prompt_id_beyond_vocabulary(moe_run, checkpoint, tmp_path):
    ckpt = checkpoint()
    V = ckpt.config["vocab_size"]
    out = tmp_path / "logits.npy"
    proc = moe_run("logits", "--model", ckpt.path, "--prompt-ids", f"1,{V},2",
                   "--output", out)
    assert_fails_naming(proc, str(V), "vocab_size")
    assert not out.exists()
    proc = moe_run("generate", "--model", ckpt.path, "--prompt-ids", f"{V + 5}")
    assert_fails_naming(proc, str(V + 5), "vocab_size")


@pytest.mark.parametrize("ids", ["1,,2", "1,-2", "1, 2", "+1", "x", "99999999999"])
def test_rejects_malformed_prompts(moe_run, checkpoint, tmp_path, ids):
    proc = moe_run("generate", "--model", checkpoint().path, "--prompt-ids", ids)
    assert_fails_naming(proc, "token ids")


def test_rejects_empty_or_missing_prompt(moe_run, checkpoint):
    proc = moe_run("generate", "--model", checkpoint().path, "--prompt-ids", "")
    assert_fails_naming(proc, "prompt is empty")
    proc = moe_run("generate", "--model", checkpoint().path)
    assert_fails_naming(proc, "no prompt")


def test_rejects_sequences_beyond_the_context(moe_run, checkpoint, tmp_path):
    ckpt = checkpoint(max_position_embeddings=16)
    proc = moe_run("generate", "--model", ckpt.path, "--prompt-ids", ids_arg(range(10)),
                   "--max-new-tokens", 7)
    assert_fails_naming(proc, "max_position_embeddings", "16", "17")
    out = tmp_path / "logits.npy"
    proc = moe_run("logits", "--model", ckpt.path, "--prompt-ids", ids_arg([1] * 17),
                   "--output", out)
    assert_fails_naming(proc, "max_position_embeddings", "17")
    assert not out.exists()
    # Exactly the context is fine.
    tokens, _ = run_generate(moe_run, ckpt.path, list(range(10)), 6, tmp_path)
    assert len(tokens) == 6


def test_rejects_unsupported_model_type(moe_run, checkpoint, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(checkpoint().path, model)
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps(dict(config, model_type="llama")))
    proc = moe_run("generate", "--model", model, "--prompt-ids", "1")
    assert_fails_naming(proc, "model_type", "llama")


def test_rejects_checkpoint_missing_a_layer_tensor(moe_run, checkpoint, tmp_path):
    ckpt = checkpoint(num_hidden_layers=3)
    model = tmp_path / "model"
    model.mkdir()
    shutil.copy(ckpt.path / "config.json", model)
    import safetensors_io as S
    tensors = S.load_file(ckpt.path / S.SINGLE_FILE)
    missing = "model.layers.2.self_attn.v_proj.weight"
    del tensors[missing]
    S.save_file(model / S.SINGLE_FILE, {name: ("F32", t) for name, t in tensors.items()})
    out = tmp_path / "logits.npy"
    proc = moe_run("logits", "--model", model, "--prompt-ids", "1,2", "--output", out)
    assert_fails_naming(proc, missing)
    assert not out.exists()


def test_refuses_to_overwrite_the_model(moe_run, checkpoint, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(checkpoint().path, model)
    before = (model / "config.json").read_bytes()
    proc = moe_run("logits", "--model", model, "--prompt-ids", "1",
                   "--output", model / "config.json")
    assert_fails_naming(proc, "refusing to overwrite")
    assert (model / "config.json").read_bytes() == before


# ---------------------------------------------- deepseek_v2 and deepseek_v3

V3 = dict(model_type="deepseek_v3", config_style="transformers", hidden_size=64,
          n_routed_experts=8, num_experts_per_tok=2, n_group=4, topk_group=2,
          n_shared_experts=1, routed_scaling_factor=2.5, norm_topk_prob=True,
          q_lora_rank=24, topk_method=None, scoring_func=None,
          rope_scaling={"rope_type": "yarn", "factor": 4.0,
                        "original_max_position_embeddings": 1024, "beta_fast": 32,
                        "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0})
V2 = dict(model_type="deepseek_v2", config_style="transformers", n_routed_experts=8,
          num_experts_per_tok=2, topk_method="group_limited_greedy", n_group=4,
          topk_group=2, scoring_func=None)


@pytest.mark.parametrize("options", [V3, V2], ids=["deepseek_v3", "deepseek_v2"])
def test_mla_models_run_their_mlp_blocks(moe_run, checkpoint, tmp_path, options):
    """Checkpoints as transformers 5 writes them: the V3 config names no
    routing method (always sigmoid + noaux_tc) and 128 key/value heads for 4
    attention heads, which only attention would read."""
    ckpt = checkpoint(**options)
    if options is V3:
        assert "scoring_func" not in ckpt.config and "topk_method" not in ckpt.config
        assert ckpt.config["num_key_value_heads"] == 128
    x = np.random.default_rng(1).normal(size=(9, ckpt.config["hidden_size"]))
    x = x.astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    for layer in (0, 1):
        proc = moe_run("layer", "--model", ckpt.path, "--layer", layer,
                       "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
        assert proc.returncode == 0, proc.stderr
        ref = R.mlp_block(ckpt.weights, ckpt.config, layer, x.astype(np.float64))
        assert_close_rows(np.load(tmp_path / "y.npy"), ref)
