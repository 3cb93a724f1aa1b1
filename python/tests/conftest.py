"""Fixtures of the Python package's tests: random checkpoints, compiled once
per session, and the float64 reference of the end-to-end suite."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "utils"), str(ROOT / "test" / "e2e")]

import moec  # noqa: E402
from make_checkpoint import make_checkpoint  # noqa: E402
from safetensors_io import load_model  # noqa: E402

YARN = {"rope_type": "yarn", "factor": 40.0, "original_max_position_embeddings": 64,
        "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0}
MODELS = {
    # The generator's defaults: deepseek, H 64, layer 0 dense, layer 1 MoE.
    "deepseek": dict(tokenizer="deepseek-llm"),
    "deepseek_v3": dict(model_type="deepseek_v3", config_style="transformers",
                        n_routed_experts=8, num_experts_per_tok=2, n_group=4,
                        topk_group=2, n_shared_experts=1, routed_scaling_factor=2.5,
                        norm_topk_prob=True, q_lora_rank=24, topk_method=None,
                        scoring_func=None, max_position_embeddings=2560,
                        rope_scaling=YARN),
}


class Compiled:
    """A checkpoint, its weights and config, and its compiled artifact."""

    def __init__(self, path: Path, config: dict, module: str):
        self.path, self.config, self.module = path, config, module
        self.weights = load_model(path)

    def load(self, **options) -> moec.Model:
        return moec.Model.load(self.path, self.module, **options)


@pytest.fixture(scope="session", params=sorted(MODELS))
def compiled(request, tmp_path_factory) -> Compiled:
    path = tmp_path_factory.mktemp(request.param)
    config = make_checkpoint(path, **MODELS[request.param])
    module = moec.compile(path, path.parent / f"{request.param}.so")
    return Compiled(path, config, module)


@pytest.fixture(scope="session")
def deepseek(tmp_path_factory) -> Compiled:
    path = tmp_path_factory.mktemp("deepseek")
    config = make_checkpoint(path, **MODELS["deepseek"])
    return Compiled(path, config, moec.compile(path, path.parent / "deepseek.so"))


def moe_run(*args) -> subprocess.CompletedProcess:
    """The installed moe-run (the one moec.compile's moe-compile sits by)."""
    return subprocess.run([moec._tools.tool_path("moe-run"), *map(str, args)],
                          capture_output=True, text=True, timeout=120, check=False)
