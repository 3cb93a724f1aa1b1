"""End-to-end tests of `moe-run layer` against the float64 reference.

The command under test::

    moe-run layer --model DIR --layer L --input X.npy --output Y.npy

reads the checkpoint in DIR (config.json + one model.safetensors or a sharded
set), runs the MLP block of decoder layer L (MoE or dense, without the
residual add) on X, float32 [T, hidden_size] holding normed hidden states,
and writes Y, float32 [T, hidden_size]. It exits 0 on success. On bad input it
exits with a positive status (not by a signal) and names the problem on
stderr; each bad-input test states which words it expects.

moe-run is found in $MOEC_BIN_DIR (e.g. build/bin); without it every test
here is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

import reference as R
from checks import assert_close_rows, assert_fails_naming
from conftest import Checkpoint
from safetensors_io import INDEX_FILE, SINGLE_FILE, read_header


def run_layer(moe_run, model: Path, layer: int, x: np.ndarray, tmp_path: Path):
    """Saves x, runs `moe-run layer`, returns the process and Y (None on failure)."""
    x_path, y_path = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(x_path, x)
    proc = moe_run("layer", "--model", model, "--layer", layer,
                   "--input", x_path, "--output", y_path)
    return proc, (np.load(y_path) if proc.returncode == 0 else None)


# Shapes: the generator defaults (H 64, E 8, k 2, I 32, 2 shared) or WIDE.
# H 70 = 5 heads of 14.
ODDER = dict(hidden_size=70, num_attention_heads=5, moe_intermediate_size=45,
             intermediate_size=99)
WIDE = dict(hidden_size=128, intermediate_size=160, moe_intermediate_size=48,
            n_routed_experts=16, num_experts_per_tok=4)


def leaves_experts_idle(idx: np.ndarray, config: dict) -> bool:
    return np.unique(idx).size < config["n_routed_experts"]


def same_experts_for_all(idx: np.ndarray, config: dict) -> bool:
    return bool((np.sort(idx, axis=-1) == np.sort(idx[0])).all())


@dataclass(frozen=True)
class Case:
    options: dict = field(default_factory=dict)
    layer: int = 1
    tokens: int = 7
    # Inputs N(0, 1) + input_offset; an offset of 1 triggers router_bias_to.
    input_offset: float = 0.0
    # A property the routing of the case must have for it to test anything.
    routing: Callable[[np.ndarray, dict], bool] | None = None


CASES = {
    "greedy-default-method": Case(),  # topk_method absent from config.json
    "greedy-explicit-method": Case(dict(topk_method="greedy")),
    "greedy-norm": Case(dict(WIDE, norm_topk_prob=True), tokens=33),
    "greedy-k1-norm-scaled": Case(dict(num_experts_per_tok=1, norm_topk_prob=True,
                                       routed_scaling_factor=2.0)),
    "greedy-sigmoid": Case(dict(scoring_func="sigmoid", routed_scaling_factor=1.5)),
    "group-limited-scaled": Case(dict(WIDE, topk_method="group_limited_greedy", n_group=4,
                                      topk_group=2, num_experts_per_tok=3,
                                      routed_scaling_factor=2.5), tokens=33),
    "noaux-sigmoid-norm": Case(dict(WIDE, topk_method="noaux_tc", scoring_func="sigmoid",
                                    norm_topk_prob=True, n_group=4, topk_group=2,
                                    routed_scaling_factor=2.5), tokens=33),
    "noaux-softmax-groups-absent": Case(dict(topk_method="noaux_tc")),
    "shared-null": Case(dict(n_shared_experts=None)),
    "shared-zero": Case(dict(n_shared_experts=0)),
    "shared-one": Case(dict(n_shared_experts=1)),
    "dense-first-layer": Case(dict(first_k_dense_replace=1), layer=0),
    "dense-no-moe-at-all": Case(dict(n_routed_experts=None)),
    "freq2-odd-layer-dense": Case(dict(num_hidden_layers=4, first_k_dense_replace=0,
                                       moe_layer_freq=2), layer=3),
    "freq2-even-layer-moe": Case(dict(num_hidden_layers=4, first_k_dense_replace=0,
                                      moe_layer_freq=2), layer=2),
    "bf16": Case(dict(dtype="bf16"), tokens=33),
    "f16": Case(dict(dtype="f16"), tokens=33),
    "f32": Case(dict(dtype="f32"), tokens=33),
    "sharded": Case(dict(shards=3), tokens=33),
    "t1": Case(dict(WIDE), tokens=1),
    "t100": Case(dict(WIDE), tokens=100),
    "idle-experts": Case(dict(WIDE, num_experts_per_tok=2), tokens=3,
                         routing=leaves_experts_idle),
    "all-tokens-same-experts": Case(dict(WIDE, num_experts_per_tok=2, router_bias_to=(3, 12)),
                                    tokens=33, input_offset=1.0, routing=same_experts_for_all),
    "all-tokens-same-experts-grouped": Case(
        dict(WIDE, num_experts_per_tok=2, router_bias_to=(1, 13),
             topk_method="group_limited_greedy", n_group=4, topk_group=2),
        tokens=33, input_offset=1.0, routing=same_experts_for_all),
    # Sizes that are no multiple of any vector width or tile: H 72 = 4*16 + 8,
    # I 40, dense width 100.
    "odd-sizes": Case(dict(hidden_size=72, moe_intermediate_size=40,
                           intermediate_size=100), tokens=7),
    "odd-sizes-dense": Case(dict(hidden_size=72, moe_intermediate_size=40,
                                 intermediate_size=100), layer=0, tokens=7),
    # Odd and twice-odd sizes: H 70 (vectors of 2), I 45 and dense width 99
    # (vectors of 1).
    "odder-sizes": Case(ODDER, tokens=5),
    "odder-sizes-dense": Case(ODDER, layer=0, tokens=5),
    "k-equals-e": Case(dict(num_experts_per_tok=8, norm_topk_prob=True), tokens=33),
    "k-equals-e-noaux": Case(dict(num_experts_per_tok=8, topk_method="noaux_tc",
                                  scoring_func="sigmoid", n_group=2, topk_group=2,
                                  routed_scaling_factor=2.0), tokens=33),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_layer_matches_reference(moe_run, checkpoint, tmp_path, case):
    ckpt = checkpoint(**case.options)
    H = ckpt.config["hidden_size"]
    x = (np.random.default_rng(case.tokens).normal(size=(case.tokens, H))
         + case.input_offset).astype(np.float32)
    x64 = x.astype(np.float64)
    if R.is_moe_layer(ckpt.config, case.layer):
        # f32 may legitimately pick another expert when two scores nearly tie;
        # the seeds are chosen so no token is that close.
        margin = R.routing_margin(ckpt.weights, ckpt.config, case.layer, x64)
        assert margin.min() > 1e-6, "test input has a near tie in routing; change the seed"
        if case.routing:
            _, idx = R.select_experts(ckpt.weights, ckpt.config, case.layer, x64)
            assert case.routing(idx, ckpt.config), f"routing is not {case.routing.__name__}"
    else:
        assert case.routing is None

    proc, y = run_layer(moe_run, ckpt.path, case.layer, x, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert y.dtype == np.float32 and y.shape == x.shape
    assert_close_rows(y, R.mlp_block(ckpt.weights, ckpt.config, case.layer, x64))


@pytest.mark.parametrize("options", [
    {}, dict(WIDE, topk_method="noaux_tc", scoring_func="sigmoid", n_group=4, topk_group=2),
], ids=["greedy", "noaux-grouped"])
def test_nan_stays_in_its_token(moe_run, checkpoint, tmp_path, options):
    """A NaN token may route anywhere, but must not disturb the other tokens."""
    ckpt = checkpoint(**options)
    x = np.random.default_rng(0).normal(size=(7, ckpt.config["hidden_size"]))
    x = x.astype(np.float32)
    x[3, 5] = np.nan
    proc, y = run_layer(moe_run, ckpt.path, 1, x, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert np.isnan(y[3]).all(), "the NaN token's output row must be all NaN"
    others = [0, 1, 2, 4, 5, 6]
    assert np.isfinite(y[others]).all()
    assert_close_rows(y, R.mlp_block(ckpt.weights, ckpt.config, 1, x.astype(np.float64)),
                      rows=others)


def test_zero_token_gives_zero(moe_run, checkpoint, tmp_path):
    """An all-zero token ties every router score; whatever it picks, it outputs 0."""
    ckpt = checkpoint()
    x = np.random.default_rng(1).normal(size=(5, ckpt.config["hidden_size"]))
    x = x.astype(np.float32)
    x[2] = 0.0
    proc, y = run_layer(moe_run, ckpt.path, 1, x, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert_close_rows(y, R.mlp_block(ckpt.weights, ckpt.config, 1, x.astype(np.float64)))


# ------------------------------------------------------------------ bad input

BAD_INPUT_MODEL = dict(num_hidden_layers=3)


def random_input(ckpt: Checkpoint, tokens: int = 5, width: int | None = None):
    width = ckpt.config["hidden_size"] if width is None else width
    return np.random.default_rng(0).normal(size=(tokens, width)).astype(np.float32)


def test_rejects_input_of_wrong_width(moe_run, checkpoint, tmp_path):
    ckpt = checkpoint(**BAD_INPUT_MODEL)
    H = ckpt.config["hidden_size"]
    proc, _ = run_layer(moe_run, ckpt.path, 1, random_input(ckpt, width=H + 1), tmp_path)
    assert_fails_naming(proc, str(H + 1), str(H))


@pytest.mark.parametrize("layer", [3, 10])
def test_rejects_layer_out_of_range(moe_run, checkpoint, tmp_path, layer):
    ckpt = checkpoint(**BAD_INPUT_MODEL)
    proc, _ = run_layer(moe_run, ckpt.path, layer, random_input(ckpt), tmp_path)
    assert_fails_naming(proc, "layer", str(layer))


def test_rejects_float64_input(moe_run, checkpoint, tmp_path):
    ckpt = checkpoint(**BAD_INPUT_MODEL)
    proc, _ = run_layer(moe_run, ckpt.path, 1, random_input(ckpt).astype(np.float64),
                        tmp_path)
    assert proc.returncode > 0, proc.stderr
    # The .npy header spells the dtype '<f8'; either spelling names it.
    assert "float64" in proc.stderr.lower() or "f8" in proc.stderr.lower(), proc.stderr


def test_rejects_malformed_npy(moe_run, checkpoint, tmp_path):
    ckpt = checkpoint(**BAD_INPUT_MODEL)
    x_path = tmp_path / "garbage.npy"
    x_path.write_bytes(b"this is not a numpy file\x00\xff" * 8)
    proc = moe_run("layer", "--model", ckpt.path, "--layer", 1, "--input", x_path,
                   "--output", tmp_path / "y.npy")
    assert_fails_naming(proc, "garbage.npy")


def test_rejects_missing_model_directory(moe_run, checkpoint, tmp_path):
    ckpt = checkpoint(**BAD_INPUT_MODEL)
    proc, _ = run_layer(moe_run, tmp_path / "no-such-model", 1, random_input(ckpt), tmp_path)
    assert_fails_naming(proc, "no-such-model")


@pytest.mark.parametrize("shards", [1, 3])
@pytest.mark.parametrize("cut", ["header", "data"])
def test_rejects_truncated_safetensors(moe_run, checkpoint, tmp_path, shards, cut):
    """Truncates the file holding a tensor that layer 1 needs, so that even a
    loader reading only that layer must notice."""
    ckpt = checkpoint(**BAD_INPUT_MODEL, shards=shards)
    model = tmp_path / "model"
    shutil.copytree(ckpt.path, model)
    tensor = "model.layers.1.mlp.experts.0.down_proj.weight"
    file_name = (SINGLE_FILE if shards == 1 else
                 json.loads((model / INDEX_FILE).read_text())["weight_map"][tensor])
    header, data_start = read_header(model / file_name)
    begin, end = header[tensor]["data_offsets"]
    os.truncate(model / file_name, 20 if cut == "header" else data_start + (begin + end) // 2)
    proc, _ = run_layer(moe_run, model, 1, random_input(ckpt), tmp_path)
    assert_fails_naming(proc, file_name)
