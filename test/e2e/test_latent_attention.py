"""End-to-end tests of `deepseek_v2` and `deepseek_v3` models: multi-head
latent attention (MLA) with its compressed KV cache and YaRN RoPE
(reference section 8), against the float64 reference, on random checkpoints.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import reference as R
from checks import assert_close_rows, assert_fails_naming
from test_model import (assert_greedy_matches, ids_arg, prompt_ids, run_generate,
                        run_logits)

YARN = {"rope_type": "yarn", "factor": 40.0, "original_max_position_embeddings": 64,
        "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0}
V3 = dict(model_type="deepseek_v3", config_style="transformers", n_routed_experts=8,
          num_experts_per_tok=2, n_group=4, topk_group=2, n_shared_experts=1,
          routed_scaling_factor=2.5, norm_topk_prob=True, q_lora_rank=24,
          topk_method=None, scoring_func=None, max_position_embeddings=2560,
          rope_scaling=YARN)
V2 = dict(model_type="deepseek_v2", config_style="transformers", n_routed_experts=8,
          num_experts_per_tok=2, topk_method="group_limited_greedy", n_group=4,
          topk_group=2, scoring_func=None)

MODELS = {
    "v2": V2,
    "v2-q-lora": dict(V2, q_lora_rank=16),
    # V2-Lite's YaRN: mscale = mscale_all_dim = 0.707, factor 40.
    "v2-yarn": dict(V2, max_position_embeddings=2560,
                    rope_scaling=dict(YARN, mscale=0.707, mscale_all_dim=0.707)),
    "v3-yarn-q-lora": V3,
    "v3-no-q-lora": dict(V3, q_lora_rank=None),
    # No factor: s = max_position_embeddings / original_max_position_embeddings.
    "v3-yarn-implied-factor": dict(V3, rope_scaling={
        k: v for k, v in YARN.items() if k != "factor"}),
    "v3-linear-rope": dict(V3, rope_scaling={"rope_type": "linear", "factor": 4.0}),
    "v3-remote-code-config": dict(V3, config_style="remote",
                                  topk_method="noaux_tc", scoring_func="sigmoid"),
    # Sizes that are no multiple of any vector width: C 20, Dn 12, Dr 6, Dv 10.
    "odd-sizes": dict(V2, hidden_size=40, kv_lora_rank=20, qk_nope_head_dim=12,
                      qk_rope_head_dim=6, v_head_dim=10, num_attention_heads=3),
    "f32": dict(V2, dtype="f32"),
}


@pytest.mark.parametrize("options", MODELS.values(), ids=MODELS.keys())
@pytest.mark.parametrize("tokens", [1, 13])
def test_logits_match_reference(moe_run, checkpoint, tmp_path, options, tokens):
    ckpt = checkpoint(**options)
    ids = prompt_ids(ckpt.config, tokens)
    logits = run_logits(moe_run, ckpt.path, ids, tmp_path)
    assert logits.shape == (tokens, ckpt.config["vocab_size"])
    assert_close_rows(logits, R.model_forward(ckpt.weights, ckpt.config, ids))


def test_yarn_changes_the_model(checkpoint):
    """The YaRN cases above test something: the same weights without YaRN
    give other logits."""
    ckpt = checkpoint(**V3)
    ids = prompt_ids(ckpt.config, 40)
    plain = dict(ckpt.config, rope_parameters={"rope_type": "default",
                                               "rope_theta": 10000.0})
    a = R.model_forward(ckpt.weights, ckpt.config, ids)
    b = R.model_forward(ckpt.weights, plain, ids)
    assert np.linalg.norm(a - b) > 1e-2 * np.linalg.norm(a)


def test_rope_pairs_rotate_half_without_interleave(moe_run, checkpoint, tmp_path):
    """`rope_interleave: false` (transformers DeepseekV3Config) pairs
    (x_i, x_i+Dr/2) instead."""
    base = checkpoint(**V3)
    model = tmp_path / "model"
    shutil.copytree(base.path, model)
    config = dict(base.config, rope_interleave=False)
    (model / "config.json").write_text(json.dumps(config))
    ids = prompt_ids(config, 12)
    logits = run_logits(moe_run, model, ids, tmp_path)
    ref = R.model_forward(base.weights, config, ids)
    assert_close_rows(logits, ref)
    interleaved = R.model_forward(base.weights, base.config, ids)
    assert np.linalg.norm(ref - interleaved) > 1e-3 * np.linalg.norm(ref)


@pytest.mark.parametrize("tokens,flags", [(33, []), (520, []),
                                          (520, ["--latent-attention", "absorb"])],
                         ids=["33", "520", "520-absorbed"])
def test_long_prompts(moe_run, checkpoint, tmp_path, tokens, flags):
    """Past YaRN's original context (64) and across a prefill chunk (512),
    where the second chunk attends to the cached first."""
    ckpt = checkpoint(**V3)
    ids = prompt_ids(ckpt.config, tokens, seed=tokens)
    logits = run_logits(moe_run, ckpt.path, ids, tmp_path, *flags)
    assert_close_rows(logits, R.model_forward(ckpt.weights, ckpt.config, ids))


@pytest.mark.parametrize("flags", [["--latent-attention", "expand"], ["--unfused"],
                                   ["--unfused", "--latent-attention", "expand"],
                                   ["--sequential"], ["--cpu", "x86-64"]],
                         ids=["expanded", "unfused", "unfused-expanded", "sequential",
                              "sse2"])
def test_compile_modes(moe_run, checkpoint, tmp_path, flags):
    ckpt = checkpoint(**V3)
    ids = prompt_ids(ckpt.config, 9)
    logits = run_logits(moe_run, ckpt.path, ids, tmp_path, *flags)
    assert_close_rows(logits, R.model_forward(ckpt.weights, ckpt.config, ids))


@pytest.mark.parametrize("options", [V2, V3], ids=["deepseek_v2", "deepseek_v3"])
def test_greedy_tokens_match_reference(moe_run, checkpoint, tmp_path, options):
    ckpt = checkpoint(**options)
    prompt = prompt_ids(ckpt.config, 5, seed=7)
    tokens, _ = run_generate(moe_run, ckpt.path, prompt, 12, tmp_path)
    ref, margins = R.greedy_generate(ckpt.weights, ckpt.config, prompt, 12)
    assert_greedy_matches(tokens, ref, margins)


@pytest.mark.parametrize("prompt_len,new", [(1, 20), (30, 12), (509, 6)],
                         ids=["one-token-prompt", "across-key-blocks", "across-chunk"])
def test_decode_equals_full_recompute(moe_run, checkpoint, tmp_path, prompt_len, new):
    """Decode steps attend over the compressed cache with kv_b_proj absorbed;
    they give the logits of a full recompute at each position."""
    ckpt = checkpoint(**V3)
    prompt = prompt_ids(ckpt.config, prompt_len, seed=prompt_len)
    tokens, steps = run_generate(moe_run, ckpt.path, prompt, new, tmp_path)
    assert len(tokens) == new
    full = run_logits(moe_run, ckpt.path, prompt + tokens[:-1], tmp_path)
    np.testing.assert_allclose(steps, full[prompt_len - 1:], rtol=1e-5, atol=1e-5)
    assert (steps.argmax(axis=1) == tokens).all()


@pytest.mark.parametrize("kv_cache", ["f16", "bf16"])
def test_half_precision_latent_cache(moe_run, checkpoint, tmp_path, kv_cache):
    """The compressed cache holds the latent and the rotary key rounded."""
    ckpt = checkpoint(**V2)
    ids = prompt_ids(ckpt.config, 21, seed=4)
    logits = run_logits(moe_run, ckpt.path, ids, tmp_path, "--kv-cache", kv_cache)
    assert_close_rows(logits, R.model_forward(ckpt.weights, ckpt.config, ids,
                                              kv_cache=kv_cache))
    exact = R.model_forward(ckpt.weights, ckpt.config, ids)
    assert np.linalg.norm(logits - exact) > 1e-4 * np.linalg.norm(exact)


def test_ahead_of_time_module(moe_run, moe_compile, checkpoint, tmp_path):
    ckpt = checkpoint(**V3)
    module = tmp_path / "model.so"
    proc = moe_compile("model", "--model", ckpt.path, "--output", module)
    assert proc.returncode == 0, proc.stderr
    ids = prompt_ids(ckpt.config, 11)
    aot = run_logits(moe_run, ckpt.path, ids, tmp_path, "--module", module)
    np.testing.assert_array_equal(aot, run_logits(moe_run, ckpt.path, ids, tmp_path))
    # The YaRN settings are compiled in: another factor is another model.
    other = tmp_path / "other"
    shutil.copytree(ckpt.path, other)
    config = json.loads((other / "config.json").read_text())
    config["rope_parameters"]["factor"] = 8.0
    (other / "config.json").write_text(json.dumps(config))
    proc = moe_run("logits", "--model", other, "--prompt-ids", "1,2",
                   "--output", tmp_path / "x.npy", "--module", module)
    assert_fails_naming(proc, "compiled for another model")


def test_the_cache_holds_only_the_latent(moe_run, checkpoint, tmp_path):
    """Per token and layer: kv_lora_rank + qk_rope_head_dim numbers."""
    ckpt = checkpoint(**V2)
    c = ckpt.config
    proc = moe_run("generate", "--model", ckpt.path, "--prompt-ids", "1,2,3",
                   "--max-new-tokens", 2, "--kv-cache", "bf16", "--stats")
    assert proc.returncode == 0, proc.stderr
    per_token = c["num_hidden_layers"] * (c["kv_lora_rank"] + c["qk_rope_head_dim"]) * 2
    assert f"KV cache: {per_token} bytes per token" in proc.stderr


# ------------------------------------------------------------------ bad input

def rewrite(base, tmp_path, config_changes=None, drop=None):
    """A copy of checkpoint `base` with config.json keys changed and the
    tensor `drop` removed."""
    import safetensors_io as S
    model = tmp_path / "model"
    model.mkdir()
    config = dict(base.config, **(config_changes or {}))
    (model / "config.json").write_text(json.dumps(config))
    tensors = S.load_file(base.path / S.SINGLE_FILE)
    if drop:
        del tensors[drop]
    S.save_file(model / S.SINGLE_FILE, {n: ("F32", t) for n, t in tensors.items()})
    return model


@pytest.mark.parametrize("missing", [
    "model.layers.1.self_attn.kv_b_proj.weight",
    "model.layers.0.self_attn.kv_a_layernorm.weight",
    "model.layers.1.self_attn.q_a_proj.weight"])
def test_rejects_missing_mla_tensor(moe_run, checkpoint, tmp_path, missing):
    model = rewrite(checkpoint(**V3), tmp_path, drop=missing)
    out = tmp_path / "logits.npy"
    proc = moe_run("logits", "--model", model, "--prompt-ids", "1,2", "--output", out)
    assert_fails_naming(proc, missing)
    assert not out.exists()


@pytest.mark.parametrize("key,value,tensor", [
    ("kv_lora_rank", 24, "kv_a_proj_with_mqa"),
    ("qk_rope_head_dim", 4, "q_b_proj"),
    ("v_head_dim", 8, "kv_b_proj"),
    ("q_lora_rank", None, "q_proj")])
def test_rejects_mla_sizes_that_disagree_with_the_tensors(moe_run, checkpoint, tmp_path,
                                                         key, value, tensor):
    model = rewrite(checkpoint(**V3), tmp_path, {key: value})
    proc = moe_run("generate", "--model", model, "--prompt-ids", "1,2")
    assert_fails_naming(proc, tensor)


@pytest.mark.parametrize("rope,words", [
    ({"rope_type": "dynamic", "factor": 2.0}, ["dynamic", "not supported"]),
    ({"rope_type": "longrope", "factor": 2.0}, ["longrope", "not supported"]),
    ({"rope_type": "yarn", "factor": 4.0}, ["yarn", "original_max_position_embeddings"])])
def test_rejects_rope_types_moec_does_not_implement(moe_run, checkpoint, tmp_path, rope,
                                                    words):
    base = checkpoint(**V3)
    model = tmp_path / "model"
    shutil.copytree(base.path, model)
    config = dict(base.config, rope_parameters=dict(rope, rope_theta=10000.0))
    (model / "config.json").write_text(json.dumps(config))
    proc = moe_run("generate", "--model", model, "--prompt-ids", "1,2")
    assert_fails_naming(proc, *words)


def test_rejects_prompt_beyond_the_scaled_context(moe_run, checkpoint, tmp_path):
    ckpt = checkpoint(**dict(V3, max_position_embeddings=40))
    out = tmp_path / "logits.npy"
    proc = moe_run("logits", "--model", ckpt.path, "--prompt-ids", ids_arg([1] * 41),
                   "--output", out)
    assert_fails_naming(proc, "max_position_embeddings", "41")
    assert not out.exists()


def test_ignores_the_multi_token_prediction_layer(moe_run, checkpoint, tmp_path):
    """V3 checkpoints ship `num_nextn_predict_layers` extra layers after the
    last decoder layer; generation does not use them."""
    import safetensors_io as S
    base = checkpoint(**V3)
    model = tmp_path / "model"
    model.mkdir()
    layers = base.config["num_hidden_layers"]
    config = dict(base.config, num_nextn_predict_layers=1)
    (model / "config.json").write_text(json.dumps(config))
    tensors = S.load_file(base.path / S.SINGLE_FILE)
    for name in list(tensors):
        if name.startswith(f"model.layers.{layers - 1}."):
            tensors[name.replace(f".{layers - 1}.", f".{layers}.", 1)] = tensors[name]
    tensors[f"model.layers.{layers}.enorm.weight"] = np.ones(base.config["hidden_size"])
    S.save_file(model / S.SINGLE_FILE, {n: ("F32", t) for n, t in tensors.items()})
    ids = prompt_ids(config, 6)
    logits = run_logits(moe_run, model, ids, tmp_path)
    assert_close_rows(logits, R.model_forward(base.weights, base.config, ids))
