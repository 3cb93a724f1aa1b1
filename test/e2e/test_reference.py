"""Tests of the e2e test tools themselves: safetensors I/O, the checkpoint
generator and the float64 reference. They need no moec binary.

The reference is checked against a second, deliberately different
implementation (per-token Python routing and an HF `moe_infer` style
sort-and-loop combine) and against identities of the reference document.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import reference as R
from make_checkpoint import CheckpointOptions, make_checkpoint
from safetensors_io import (INDEX_FILE, SINGLE_FILE, bf16_bits_to_float32,
                            float32_to_bf16_bits, load_file, load_model,
                            read_header, save_file, shard_file_name)

GENERATOR = Path(__file__).resolve().parents[2] / "utils" / "make_checkpoint.py"


def checkpoint(tmp_path: Path, **options) -> tuple[dict, dict]:
    config = make_checkpoint(tmp_path / "ckpt", **options)
    return config, load_model(tmp_path / "ckpt")


def inputs(T: int, H: int, seed: int = 0, offset: float = 0.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(T, H)) + offset


# ---------------------------------------------------------------- safetensors

def bf16_round_trip(values) -> np.ndarray:
    return bf16_bits_to_float32(float32_to_bf16_bits(np.asarray(values, np.float32)))


def test_bf16_rounds_to_nearest_even():
    ulp = 2.0 ** -7  # bf16 keeps 7 mantissa bits: the spacing just above 1.0
    cases = {
        1.0: 1.0,
        -2.5: -2.5,
        1.0 + ulp / 2: 1.0,                     # tie, 1.0 is even: down
        1.0 + 3 * ulp / 2: 1.0 + 2 * ulp,       # tie, 1 + ulp is odd: up
        1.0 + ulp / 2 + 2.0 ** -20: 1.0 + ulp,  # just above the tie: up
        float(np.finfo(np.float32).max): np.inf,  # beyond bf16's range
        np.inf: np.inf,
        -np.inf: -np.inf,
        0.0: 0.0,
    }
    got = bf16_round_trip(list(cases))
    np.testing.assert_array_equal(got, np.array(list(cases.values()), np.float32))
    assert np.isnan(bf16_round_trip([np.nan, -np.nan])).all()


def test_bf16_random_values_within_half_ulp():
    x = np.random.default_rng(0).normal(size=10000).astype(np.float32) * 100
    r = bf16_round_trip(x)
    assert (r.view(np.uint32) & 0xFFFF == 0).all()
    half_ulp = 2.0 ** np.floor(np.log2(np.abs(x.astype(np.float64)))) * 2.0 ** -8
    assert (np.abs(r.astype(np.float64) - x) <= half_ulp).all()


def test_file_layout_and_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    tensors = {"a": ("F32", rng.normal(size=(3, 5))),
               "b": ("F16", rng.normal(size=(7,))),
               "c": ("BF16", rng.normal(size=(2, 3, 4))),
               "empty": ("F32", np.zeros((0, 4)))}
    path = tmp_path / "t.safetensors"
    data_bytes = save_file(path, tensors)
    raw = path.read_bytes()
    header_len = int.from_bytes(raw[:8], "little")
    assert header_len % 8 == 0
    header, data_start = read_header(path)
    assert data_start == 8 + header_len
    assert header["__metadata__"] == {"format": "pt"}
    assert len(raw) == data_start + data_bytes == data_start + 4 * 15 + 2 * 7 + 2 * 24
    end = 0
    for name, (dtype, array) in tensors.items():
        assert header[name]["dtype"] == dtype
        assert header[name]["shape"] == list(array.shape)
        assert header[name]["data_offsets"][0] == end
        end = header[name]["data_offsets"][1]
    loaded = load_file(path)
    np.testing.assert_array_equal(loaded["a"], tensors["a"][1].astype(np.float32))
    np.testing.assert_array_equal(loaded["b"], tensors["b"][1].astype(np.float16))
    np.testing.assert_array_equal(loaded["c"], bf16_round_trip(tensors["c"][1]))
    assert loaded["empty"].shape == (0, 4)
    assert all(v.dtype == np.float64 for v in loaded.values())


def test_sharded_checkpoint_equals_single_file(tmp_path):
    single = make_checkpoint(tmp_path / "single", seed=3)
    sharded = make_checkpoint(tmp_path / "sharded", seed=3, shards=3)
    assert single == sharded
    a, b = load_model(tmp_path / "single"), load_model(tmp_path / "sharded")
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)

    files = [shard_file_name(i, 3) for i in (1, 2, 3)]
    assert files[0] == "model-00001-of-00003.safetensors"
    assert not (tmp_path / "sharded" / SINGLE_FILE).exists()
    index = json.loads((tmp_path / "sharded" / INDEX_FILE).read_text())
    assert set(index["weight_map"]) == set(a)
    assert set(index["weight_map"].values()) == set(files)
    data_bytes = 0
    for f in files:
        header, data_start = read_header(tmp_path / "sharded" / f)
        data_bytes += (tmp_path / "sharded" / f).stat().st_size - data_start
    assert index["metadata"]["total_size"] == data_bytes


# ----------------------------------------------------------- the generator

def test_checkpoint_tensors_follow_the_layer_rule(tmp_path):
    config = make_checkpoint(tmp_path, num_hidden_layers=4, first_k_dense_replace=1,
                             moe_layer_freq=2, topk_method="noaux_tc", n_group=2,
                             topk_group=1, n_shared_experts=1, n_routed_experts=4)
    header, _ = read_header(tmp_path / SINGLE_FILE)
    del header["__metadata__"]
    expected = {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"}
    for i in range(4):
        p = f"model.layers.{i}"
        expected |= {f"{p}.input_layernorm.weight", f"{p}.post_attention_layernorm.weight"}
        expected |= {f"{p}.self_attn.{n}_proj.weight" for n in "qkvo"}
        mlps = [f"{p}.mlp"] if i != 2 else (
            [f"{p}.mlp.experts.{e}" for e in range(4)] + [f"{p}.mlp.shared_experts"])
        expected |= {f"{m}.{n}_proj.weight" for m in mlps for n in ("gate", "up", "down")}
    expected |= {"model.layers.2.mlp.gate.weight",
                 "model.layers.2.mlp.gate.e_score_correction_bias"}
    assert set(header) == expected
    assert [R.is_moe_layer(config, i) for i in range(4)] == [False, False, True, False]
    bias = "model.layers.2.mlp.gate.e_score_correction_bias"
    assert {n: e["dtype"] for n, e in header.items() if e["dtype"] != "BF16"} == {bias: "F32"}
    assert header["model.layers.2.mlp.shared_experts.down_proj.weight"]["shape"] == [64, 32]
    assert header["model.layers.0.mlp.gate_proj.weight"]["shape"] == [96, 64]


def test_config_json(tmp_path):
    config = make_checkpoint(tmp_path, n_routed_experts=None, n_shared_experts=None,
                             tie_word_embeddings=True, dtype="f16")
    assert json.loads((tmp_path / "config.json").read_text()) == config
    assert config["architectures"] == ["DeepseekForCausalLM"]
    assert config["model_type"] == "deepseek"
    assert config["torch_dtype"] == "float16"
    assert config["n_routed_experts"] is None and config["n_shared_experts"] is None
    for omitted in ("topk_method", "routed_scaling_factor", "n_group", "topk_group"):
        assert omitted not in config
    assert config["rope_scaling"] is None and config["attention_bias"] is False
    names = set(load_model(tmp_path))
    assert "lm_head.weight" not in names
    assert not any(".mlp.gate." in n or "experts" in n for n in names)
    assert R.model_forward(load_model(tmp_path), config, [3, 1, 4]).shape == (3, 64)


def test_cli_matches_module(tmp_path):
    subprocess.run([sys.executable, str(GENERATOR), str(tmp_path / "cli"),
                    "--topk-method", "noaux_tc", "--n-group", "2", "--topk-group", "1",
                    "--scoring-func", "sigmoid", "--norm-topk-prob", "--n-shared-experts",
                    "none", "--router-bias-to", "1,3", "--dtype", "f32", "--shards", "2"],
                   check=True)
    config = make_checkpoint(tmp_path / "module", topk_method="noaux_tc", n_group=2,
                             topk_group=1, scoring_func="sigmoid", norm_topk_prob=True,
                             n_shared_experts=None, router_bias_to=(1, 3), dtype="f32",
                             shards=2)
    assert json.loads((tmp_path / "cli" / "config.json").read_text()) == config
    a, b = load_model(tmp_path / "cli"), load_model(tmp_path / "module")
    assert a.keys() == b.keys() and all(np.array_equal(a[n], b[n]) for n in a)

    help_text = subprocess.run([sys.executable, str(GENERATOR), "--help"],
                               check=True, capture_output=True, text=True).stdout
    for option in CheckpointOptions.__dataclass_fields__:
        assert "--" + option.replace("_", "-") in help_text


def test_router_bias_routes_every_token_to_the_chosen_experts(tmp_path):
    config, weights = checkpoint(tmp_path, n_routed_experts=16, num_experts_per_tok=3,
                                 router_bias_to=(2, 9, 14))
    _, idx = R.select_experts(weights, config, 1, inputs(100, 64, offset=1.0))
    assert (np.sort(idx, axis=-1) == [2, 9, 14]).all()


# ------------------------------------------------------------ the reference

def expert(weights: dict, prefix: str, x: np.ndarray) -> np.ndarray:
    """One SwiGLU MLP, written out again so the slow path shares nothing."""
    g = x @ weights[prefix + ".gate_proj.weight"].T
    u = x @ weights[prefix + ".up_proj.weight"].T
    return (g / (1 + np.exp(-g)) * u) @ weights[prefix + ".down_proj.weight"].T


def slow_route(weights: dict, config: dict, layer: int, x: np.ndarray):
    """Routing of one token with Python lists, straight from reference section 4."""
    router = weights[f"model.layers.{layer}.mlp.gate.weight"]
    E, k = len(router), config["num_experts_per_tok"]
    logits = [float(np.dot(row, x)) for row in router]
    if R.get(config, "scoring_func") == "sigmoid":
        s = [1 / (1 + math.exp(-v)) for v in logits]
    else:
        e = [math.exp(v - max(logits)) for v in logits]
        s = [v / sum(e) for v in e]

    def best(values, n):  # ties: lower index first
        return sorted(range(len(values)), key=lambda i: (-values[i], i))[:n]

    method = R.get(config, "topk_method")
    n_group, topk_group = R.get(config, "n_group"), R.get(config, "topk_group")
    size = E // n_group
    groups = [range(g * size, (g + 1) * size) for g in range(n_group)]
    if method == "greedy":
        chosen = best(s, k)
    elif method == "group_limited_greedy":
        kept = best([max(s[i] for i in g) for g in groups], topk_group)
        chosen = best([s[i] if i // size in kept else 0.0 for i in range(E)], k)
    else:
        bias = weights[f"model.layers.{layer}.mlp.gate.e_score_correction_bias"]
        choice = [s[i] + bias[i] for i in range(E)]
        kept = best([sum(sorted((choice[i] for i in g), reverse=True)[:2]) for g in groups],
                    topk_group)
        chosen = best([choice[i] if i // size in kept else -math.inf for i in range(E)], k)

    w = [s[i] for i in chosen]
    scale = R.get(config, "routed_scaling_factor")
    if R.get(config, "norm_topk_prob") and k > 1:
        total = sum(w) + 1e-20
        w = [v / total * (scale if method == "noaux_tc" else 1.0) for v in w]
    else:
        w = [v * scale for v in w]
    return w, chosen


def slow_moe_block(weights: dict, config: dict, layer: int, x: np.ndarray) -> np.ndarray:
    """HF `moe_infer` style: sort (token, slot) pairs by expert, loop, scatter-add."""
    routes = [slow_route(weights, config, layer, row) for row in x]
    k = config["num_experts_per_tok"]
    flat_w = np.array([w for w, _ in routes]).reshape(-1)
    flat_idx = np.array([i for _, i in routes]).reshape(-1)
    order = np.argsort(flat_idx, kind="stable")
    counts = np.bincount(flat_idx, minlength=config["n_routed_experts"])
    y = np.zeros_like(x)
    start = 0
    for e, count in enumerate(counts):
        pairs = order[start:start + count]
        start += count
        tokens = pairs // k
        out = expert(weights, f"model.layers.{layer}.mlp.experts.{e}", x[tokens])
        np.add.at(y, tokens, out * flat_w[pairs, None])
    if R.get(config, "n_shared_experts"):
        y += expert(weights, f"model.layers.{layer}.mlp.shared_experts", x)
    return y


ROUTING_VARIANTS = {
    "greedy": {},
    "greedy-norm": dict(norm_topk_prob=True, num_experts_per_tok=3),
    "greedy-k1-norm-scaled": dict(norm_topk_prob=True, num_experts_per_tok=1,
                                  routed_scaling_factor=2.0),
    "greedy-sigmoid-scaled": dict(scoring_func="sigmoid", routed_scaling_factor=1.5),
    "group-limited": dict(topk_method="group_limited_greedy", n_routed_experts=16,
                          n_group=4, topk_group=2, num_experts_per_tok=3,
                          routed_scaling_factor=2.5),
    "noaux-sigmoid-norm": dict(topk_method="noaux_tc", scoring_func="sigmoid",
                               norm_topk_prob=True, n_routed_experts=16, n_group=4,
                               topk_group=2, num_experts_per_tok=4,
                               routed_scaling_factor=2.5),
    "noaux-softmax": dict(topk_method="noaux_tc", n_group=2, topk_group=1),
    "k-equals-e": dict(num_experts_per_tok=8, norm_topk_prob=True),
    "no-shared": dict(n_shared_experts=None),
    "router-bias": dict(router_bias_to=(5, 6)),
}


@pytest.mark.parametrize("options", ROUTING_VARIANTS.values(), ids=ROUTING_VARIANTS.keys())
def test_mlp_block_matches_slow_moe_infer(tmp_path, options):
    config, weights = checkpoint(tmp_path, **options)
    x = inputs(33, 64, offset=1.0 if "router_bias_to" in options else 0.0)
    want = slow_moe_block(weights, config, 1, x)
    got = R.mlp_block(weights, config, 1, x)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * np.abs(want).max())


def test_shared_experts_equal_a_sum_of_width_i_experts(tmp_path):
    config, weights = checkpoint(tmp_path, n_shared_experts=3)
    I, p = config["moe_intermediate_size"], "model.layers.1.mlp.shared_experts"
    x = inputs(9, 64)
    total = np.zeros_like(x)
    for j in range(3):
        rows = slice(j * I, (j + 1) * I)
        part = {f"s.{n}_proj.weight": weights[f"{p}.{n}_proj.weight"][rows] for n in ("gate", "up")}
        part["s.down_proj.weight"] = weights[f"{p}.down_proj.weight"][:, rows]
        total += R.swiglu(part, "s", x)
    want = R.swiglu(weights, p, x)
    np.testing.assert_allclose(total, want, rtol=0, atol=1e-12 * np.abs(want).max())


def test_group_limited_with_all_groups_is_greedy(tmp_path):
    config, weights = checkpoint(tmp_path, topk_method="group_limited_greedy",
                                 n_routed_experts=16, n_group=4, topk_group=4,
                                 num_experts_per_tok=3, routed_scaling_factor=1.7)
    greedy = {**config, "topk_method": "greedy", "n_group": 1, "topk_group": 1}
    x = inputs(50, 64)
    for a, b in zip(R.select_experts(weights, config, 1, x),
                    R.select_experts(weights, greedy, 1, x)):
        np.testing.assert_array_equal(a, b)


def test_noaux_with_zero_bias_and_one_group_is_greedy_on_sigmoid(tmp_path):
    config, weights = checkpoint(tmp_path, topk_method="noaux_tc", scoring_func="sigmoid",
                                 n_routed_experts=16, n_group=1, topk_group=1,
                                 num_experts_per_tok=4)
    weights["model.layers.1.mlp.gate.e_score_correction_bias"][:] = 0.0
    greedy = {**config, "topk_method": "greedy"}
    x = inputs(50, 64)
    w_noaux, idx_noaux = R.select_experts(weights, config, 1, x)
    w_greedy, idx_greedy = R.select_experts(weights, greedy, 1, x)
    np.testing.assert_array_equal(idx_noaux, idx_greedy)
    np.testing.assert_array_equal(w_noaux, w_greedy)


def test_noaux_bias_selects_but_does_not_weight(tmp_path):
    config, weights = checkpoint(tmp_path, topk_method="noaux_tc", scoring_func="sigmoid",
                                 n_routed_experts=16, n_group=4, topk_group=2,
                                 num_experts_per_tok=4)
    x = inputs(50, 64)
    w, idx = R.select_experts(weights, config, 1, x)
    np.testing.assert_array_equal(
        w, np.take_along_axis(R.router_scores(weights, config, 1, x), idx, axis=-1))
    weights["model.layers.1.mlp.gate.e_score_correction_bias"][:] = 0.0
    _, unbiased_idx = R.select_experts(weights, config, 1, x)
    assert (np.sort(idx) != np.sort(unbiased_idx)).any(), "the bias should matter"


def hand_made_layer(method: str, k: int, norm: bool, scale: float):
    """A 4-expert layer whose router gives the scores [0.4, 0.3, 0.2, 0.1]."""
    weights = {"model.layers.0.mlp.gate.weight": np.eye(4),
               "model.layers.0.mlp.gate.e_score_correction_bias": np.zeros(4)}
    config = {"n_routed_experts": 4, "num_experts_per_tok": k, "topk_method": method,
              "norm_topk_prob": norm, "routed_scaling_factor": scale}
    return weights, config, np.log([[0.4, 0.3, 0.2, 0.1]])


@pytest.mark.parametrize("method, k, norm, want", [
    ("greedy", 2, False, [0.8, 0.6]),             # scaled
    ("greedy", 2, True, [0.4 / 0.7, 0.3 / 0.7]),  # renormalised, not scaled
    ("greedy", 1, True, [0.8]),                   # k = 1: not renormalised, scaled
    ("noaux_tc", 2, True, [0.8 / 0.7, 0.6 / 0.7]),  # renormalised, then scaled
    ("noaux_tc", 1, True, [0.8]),
    ("noaux_tc", 2, False, [0.8, 0.6]),
])
def test_weight_rules(method, k, norm, want):
    weights, config, x = hand_made_layer(method, k, norm, scale=2.0)
    w, idx = R.select_experts(weights, config, 0, x)
    np.testing.assert_array_equal(idx, [[0, 1][:k]])
    np.testing.assert_allclose(w, [want], rtol=1e-15)


def test_ties_go_to_the_lower_index():
    weights, config, _ = hand_made_layer("greedy", 3, False, 1.0)
    x = np.zeros((1, 4))  # every score 0.25
    assert R.select_experts(weights, config, 0, x)[1].tolist() == [[0, 1, 2]]
    grouped = {**config, "topk_method": "group_limited_greedy", "n_group": 2,
               "topk_group": 1, "num_experts_per_tok": 2}
    assert R.select_experts(weights, grouped, 0, x)[1].tolist() == [[0, 1]]
    weights["model.layers.0.mlp.gate.e_score_correction_bias"][:] = [0, 0, 0.5, 0.5]
    assert R.select_experts(weights, {**grouped, "topk_method": "noaux_tc"}, 0,
                            x)[1].tolist() == [[2, 3]]


def test_dense_layers(tmp_path):
    config, weights = checkpoint(tmp_path, num_hidden_layers=4, first_k_dense_replace=0,
                                 moe_layer_freq=2)
    assert [R.is_moe_layer(config, i) for i in range(4)] == [True, False, True, False]
    x = inputs(5, 64)
    np.testing.assert_array_equal(R.mlp_block(weights, config, 3, x),
                                  expert(weights, "model.layers.3.mlp", x))
    with pytest.raises(ValueError, match="dense"):
        R.select_experts(weights, config, 3, x)


def test_nan_token_stays_in_its_row(tmp_path):
    config, weights = checkpoint(tmp_path)
    x = inputs(6, 64)
    clean = R.mlp_block(weights, config, 1, x)
    x[2, 7] = np.nan
    y = R.mlp_block(weights, config, 1, x)
    assert np.isnan(y[2]).all()
    rows = [0, 1, 3, 4, 5]
    np.testing.assert_array_equal(y[rows], clean[rows])


# ----------------------------------------------------- attention and the model

def test_rope_is_a_rotation_by_relative_position():
    rng = np.random.default_rng(0)
    q, k = rng.normal(size=(1, 1, 16)), rng.normal(size=(1, 1, 16))

    def dot(p_q, p_k):
        return float(np.sum(R.rope(q, np.array([p_q]), 100.0) * R.rope(k, np.array([p_k]), 100.0)))

    assert dot(5, 2) == pytest.approx(dot(13, 10), rel=1e-12)
    assert dot(0, 0) == pytest.approx(float(np.sum(q * k)), rel=1e-12)
    rotated = R.rope(q, np.array([7]), 100.0)
    assert np.linalg.norm(rotated) == pytest.approx(np.linalg.norm(q), rel=1e-12)
    # The last pair (j = 7, 15) turns by 7 * 100^(-14/16).
    angle = 7 * 100.0 ** (-14 / 16)
    assert rotated[0, 0, 7] == pytest.approx(
        q[0, 0, 7] * math.cos(angle) - q[0, 0, 15] * math.sin(angle), rel=1e-12)


def test_grouped_query_attention_repeats_kv_heads(tmp_path):
    config, weights = checkpoint(tmp_path, num_attention_heads=4, num_key_value_heads=2)
    full = {**config, "num_key_value_heads": 4}
    full_weights = dict(weights)
    hd, p = 16, "model.layers.0.self_attn"
    for name in ("k_proj", "v_proj"):
        w = weights[f"{p}.{name}.weight"].reshape(2, hd, 64)
        full_weights[f"{p}.{name}.weight"] = np.repeat(w, 2, axis=0).reshape(4 * hd, 64)
    x = inputs(6, 64)
    np.testing.assert_allclose(R.attention(full_weights, full, 0, x),
                               R.attention(weights, config, 0, x), rtol=0, atol=1e-12)


def test_model_is_causal(tmp_path):
    config, weights = checkpoint(tmp_path, num_key_value_heads=2)
    tokens = [5, 17, 3, 60, 8, 8, 1]
    logits = R.model_forward(weights, config, tokens)
    assert logits.shape == (7, 64) and np.isfinite(logits).all()
    np.testing.assert_allclose(R.model_forward(weights, config, tokens[:4]), logits[:4],
                               rtol=0, atol=1e-12 * np.abs(logits).max())


# ------------------------------------------------ multi-head latent attention

MLA = dict(model_type="deepseek_v2", n_routed_experts=8, num_experts_per_tok=2,
           q_lora_rank=16, dtype="f32")


def test_mla_absorbed_equals_expanded(tmp_path):
    """Absorbing kv_b_proj into the query and output sides (what moec
    compiles for decode) is the same attention as expanding keys and values
    (the reference's literal reading of section 8)."""
    config, w = checkpoint(tmp_path, **MLA)
    T, layer = 9, 0
    x = inputs(T, config["hidden_size"], seed=3)
    p = f"model.layers.{layer}.self_attn"
    nh, Dn, Dr, Dv, C = (config[k] for k in ("num_attention_heads", "qk_nope_head_dim",
                                             "qk_rope_head_dim", "v_head_dim",
                                             "kv_lora_rank"))
    q = R.rms_norm(x @ w[f"{p}.q_a_proj.weight"].T, w[f"{p}.q_a_layernorm.weight"],
                   R.MLA_NORM_EPS) @ w[f"{p}.q_b_proj.weight"].T
    q = q.reshape(T, nh, Dn + Dr)
    kv = x @ w[f"{p}.kv_a_proj_with_mqa.weight"].T
    c = R.rms_norm(kv[:, :C], w[f"{p}.kv_a_layernorm.weight"], R.MLA_NORM_EPS)
    theta, factor = R.mla_frequencies(config)
    q_rope = R.mla_rope(q[..., Dn:], np.arange(T), theta, factor)
    k_rope = R.mla_rope(kv[:, None, C:], np.arange(T), theta, factor)[:, 0]
    kvb = w[f"{p}.kv_b_proj.weight"].reshape(nh, Dn + Dv, C)
    q_latent = np.einsum("thd,hdc->thc", q[..., :Dn], kvb[:, :Dn])
    logits = (np.einsum("thc,sc->hts", q_latent, c)
              + np.einsum("thd,sd->hts", q_rope, k_rope)) * R.mla_softmax_scale(config)
    logits = np.where(np.tril(np.ones((T, T), dtype=bool)), logits, -np.inf)
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    out_latent = np.einsum("hts,sc->thc", probs, c)
    out = np.einsum("thc,hvc->thv", out_latent, kvb[:, Dn:]).reshape(T, nh * Dv)
    absorbed = out @ w[f"{p}.o_proj.weight"].T
    np.testing.assert_allclose(absorbed, R.mla_attention(w, config, layer, x),
                               rtol=1e-10, atol=1e-12)


def test_yarn_without_scaling_is_plain_rope():
    """YaRN with factor 1 turns every pair as trained and scales nothing."""
    plain = dict(model_type="deepseek_v2", qk_rope_head_dim=64, qk_nope_head_dim=128,
                 rope_theta=10000.0, max_position_embeddings=4096)
    yarn = dict(plain, rope_scaling={"type": "yarn", "factor": 1.0, "mscale": 0.707,
                                     "mscale_all_dim": 0.707,
                                     "original_max_position_embeddings": 4096})
    np.testing.assert_allclose(R.mla_frequencies(yarn)[0], R.mla_frequencies(plain)[0],
                               rtol=1e-15)
    assert R.mla_frequencies(yarn)[1] == 1.0
    assert R.mla_softmax_scale(yarn) == R.mla_softmax_scale(plain) == 192 ** -0.5


def test_yarn_interpolates_only_slow_pairs():
    """Fast pairs (many turns over the original context) keep their
    frequency; slow ones are divided by the factor (reference section 8)."""
    config = dict(model_type="deepseek_v3", qk_rope_head_dim=64, qk_nope_head_dim=128,
                  rope_theta=10000.0, max_position_embeddings=163840,
                  rope_scaling={"type": "yarn", "factor": 40.0, "beta_fast": 32,
                                "beta_slow": 1, "original_max_position_embeddings": 4096})
    theta, factor = R.mla_frequencies(config)
    trained = 10000.0 ** (-np.arange(32) / 32)
    # corr(32) = 10.47 and corr(1) = 22.5: the ramp runs from pair 10 to 23.
    np.testing.assert_allclose(theta[:11], trained[:11])
    np.testing.assert_allclose(theta[23:], trained[23:] / 40)
    assert ((theta[11:23] < trained[11:23]) & (theta[11:23] > trained[11:23] / 40)).all()
    assert factor == pytest.approx(0.1 * np.log(40) + 1)
