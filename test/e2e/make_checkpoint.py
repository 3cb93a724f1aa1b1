"""Generates random Hugging Face style DeepSeekMoE checkpoints for the e2e tests.

A checkpoint is a directory with ``config.json`` and the tensors of
reference section 3 in safetensors (one file or shards). Weights are random
but scaled so activations stay O(1): projections are N(0, 1/fan_in), norm
weights are near 1. The same seed gives the same weights whatever the dtype
or sharding, so such variants can be compared with each other.

Use as a module::

    config = make_checkpoint(out_dir, hidden_size=64, topk_method="noaux_tc", ...)

or from the shell (``--help`` lists every option)::

    python3 make_checkpoint.py OUT_DIR --hidden-size 64 --topk-method noaux_tc

Options set to None are written as ``null`` for n_routed_experts and
n_shared_experts (null has a meaning there) and left out of config.json for
the keys that have a default (topk_method, routed_scaling_factor, ...), so the
loader's defaults get exercised.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reference import is_moe_layer
from safetensors_io import save_model

_TORCH_DTYPES = {"bf16": ("BF16", "bfloat16"), "f16": ("F16", "float16"),
                 "f32": ("F32", "float32")}

# Keys whose absence from config.json means a documented default; None omits them.
_OMIT_WHEN_NONE = ("scoring_func", "topk_method", "n_group", "topk_group",
                   "routed_scaling_factor", "norm_topk_prob",
                   "first_k_dense_replace", "moe_layer_freq")

# Router rows of favoured experts get this multiple of the all-ones unit vector.
# Inputs with a mean of 1 per component (N(0,1) + 1) then add about
# ROUTER_SKEW * sqrt(H) (32 at H = 64) to those experts' logits, far above the
# O(1) random logits, so every such token picks them.
ROUTER_SKEW = 4.0


def _optional(parse):
    """Parses a CLI value with `parse`, or "none" as None."""
    def parse_optional(text: str):
        return None if text.lower() in ("none", "null") else parse(text)
    parse_optional.__name__ = parse.__name__
    return parse_optional


def _expert_ids(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part)


def _option(default, parse, help_text: str):
    return field(default=default, metadata={"parse": parse, "help": help_text})


@dataclass(frozen=True)
class CheckpointOptions:
    """Every option of make_checkpoint, with its default and meaning."""

    hidden_size: int = _option(64, int, "hidden size H")
    intermediate_size: int = _option(96, int, "width of the dense MLP layers")
    moe_intermediate_size: int = _option(32, int, "width I of one routed expert")
    n_routed_experts: int | None = _option(
        8, _optional(int), "E; none writes null: no MoE layer at all")
    n_shared_experts: int | None = _option(
        2, _optional(int), "shared experts, one MLP of width I*n; none writes null")
    num_experts_per_tok: int = _option(2, int, "k, routed experts per token")
    first_k_dense_replace: int | None = _option(
        1, _optional(int), "layers below this are dense; none omits it")
    moe_layer_freq: int | None = _option(
        1, _optional(int), "MoE only on layers divisible by this; none omits it")
    norm_topk_prob: bool | None = _option(False, bool, "renormalise the k routing weights")
    scoring_func: str | None = _option(
        "softmax", _optional(str), "softmax or sigmoid; none omits it")
    topk_method: str | None = _option(
        None, _optional(str), "greedy, group_limited_greedy or noaux_tc; none omits it")
    n_group: int | None = _option(None, _optional(int), "expert groups; none omits it")
    topk_group: int | None = _option(
        None, _optional(int), "groups a token may use; none omits it")
    routed_scaling_factor: float | None = _option(
        None, _optional(float), "routed weight multiplier; none omits it")
    num_hidden_layers: int = _option(2, int, "decoder layers")
    num_attention_heads: int = _option(4, int, "query heads")
    num_key_value_heads: int | None = _option(
        None, _optional(int), "key/value heads; none: as many as query heads")
    vocab_size: int = _option(64, int, "vocabulary size V")
    tie_word_embeddings: bool = _option(False, bool, "reuse the embeddings as lm_head")
    rms_norm_eps: float = _option(1e-6, float, "RMSNorm epsilon")
    rope_theta: float = _option(10000.0, float, "RoPE base")
    max_position_embeddings: int = _option(4096, int, "longest sequence")
    dtype: str = _option(
        "bf16", str, "bf16, f16 or f32 (the correction bias is always F32)")
    shards: int = _option(1, int, "1 writes model.safetensors, more writes a sharded set")
    seed: int = _option(0, int, "random seed")
    router_bias_to: tuple[int, ...] = _option(
        (), _expert_ids,
        "comma-separated expert ids that the router strongly favours for inputs "
        "with a positive mean (e.g. N(0,1) + 1): all such tokens pick them")


def _config_json(o: CheckpointOptions) -> dict:
    config = {
        "architectures": ["DeepseekForCausalLM"],
        "model_type": "deepseek",
        "torch_dtype": _TORCH_DTYPES[o.dtype][1],
        "hidden_act": "silu",
        "hidden_size": o.hidden_size,
        "intermediate_size": o.intermediate_size,
        "moe_intermediate_size": o.moe_intermediate_size,
        "n_routed_experts": o.n_routed_experts,
        "n_shared_experts": o.n_shared_experts,
        "num_experts_per_tok": o.num_experts_per_tok,
        "first_k_dense_replace": o.first_k_dense_replace,
        "moe_layer_freq": o.moe_layer_freq,
        "norm_topk_prob": o.norm_topk_prob,
        "scoring_func": o.scoring_func,
        "topk_method": o.topk_method,
        "n_group": o.n_group,
        "topk_group": o.topk_group,
        "routed_scaling_factor": o.routed_scaling_factor,
        "num_hidden_layers": o.num_hidden_layers,
        "num_attention_heads": o.num_attention_heads,
        "num_key_value_heads": o.num_key_value_heads or o.num_attention_heads,
        "vocab_size": o.vocab_size,
        "tie_word_embeddings": o.tie_word_embeddings,
        "rms_norm_eps": o.rms_norm_eps,
        "rope_theta": o.rope_theta,
        "rope_scaling": None,
        "max_position_embeddings": o.max_position_embeddings,
        "attention_bias": False,
        # Training-only keys of the 16B config; a loader must ignore them.
        "aux_loss_alpha": 0.001,
        "seq_aux": True,
    }
    return {k: v for k, v in config.items() if not (k in _OMIT_WHEN_NONE and v is None)}


def _check(o: CheckpointOptions) -> None:
    """Rejects options this generator cannot turn into tensors."""
    if o.dtype not in _TORCH_DTYPES:
        raise ValueError(f"dtype must be one of {sorted(_TORCH_DTYPES)}, got {o.dtype!r}")
    heads, kv_heads = o.num_attention_heads, o.num_key_value_heads or o.num_attention_heads
    if o.hidden_size % heads or (o.hidden_size // heads) % 2 or heads % kv_heads:
        raise ValueError(f"hidden_size {o.hidden_size} needs an even head_dim for "
                         f"{heads} heads, and {kv_heads} kv heads must divide the heads")
    experts = o.n_routed_experts
    bad_ids = [e for e in o.router_bias_to if experts is None or not 0 <= e < experts]
    if bad_ids:
        raise ValueError(f"router_bias_to names experts {bad_ids}, but there are {experts}")


def _tensors(o: CheckpointOptions, config: dict) -> dict[str, tuple[str, np.ndarray]]:
    """Draws every tensor of reference section 3 in a fixed order."""
    rng = np.random.default_rng(o.seed)
    dtype = _TORCH_DTYPES[o.dtype][0]
    H, hd = o.hidden_size, o.hidden_size // o.num_attention_heads
    kv = (o.num_key_value_heads or o.num_attention_heads) * hd
    tensors = {}

    def linear(name, rows, cols):
        tensors[name] = (dtype, rng.normal(size=(rows, cols)) / np.sqrt(cols))

    def norm(name):
        tensors[name] = (dtype, 1.0 + 0.1 * rng.normal(size=H))

    def mlp(prefix, width):
        linear(f"{prefix}.gate_proj.weight", width, H)
        linear(f"{prefix}.up_proj.weight", width, H)
        linear(f"{prefix}.down_proj.weight", H, width)

    tensors["model.embed_tokens.weight"] = (dtype, rng.normal(size=(o.vocab_size, H)))
    for i in range(o.num_hidden_layers):
        p = f"model.layers.{i}"
        norm(f"{p}.input_layernorm.weight")
        linear(f"{p}.self_attn.q_proj.weight", o.num_attention_heads * hd, H)
        linear(f"{p}.self_attn.k_proj.weight", kv, H)
        linear(f"{p}.self_attn.v_proj.weight", kv, H)
        linear(f"{p}.self_attn.o_proj.weight", H, o.num_attention_heads * hd)
        norm(f"{p}.post_attention_layernorm.weight")
        if not is_moe_layer(config, i):
            mlp(f"{p}.mlp", o.intermediate_size)
            continue
        linear(f"{p}.mlp.gate.weight", o.n_routed_experts, H)
        router = tensors[f"{p}.mlp.gate.weight"][1]
        router[list(o.router_bias_to)] += ROUTER_SKEW / np.sqrt(H)
        if o.topk_method == "noaux_tc":
            # Comparable to the spread of sigmoid scores, so it changes choices.
            tensors[f"{p}.mlp.gate.e_score_correction_bias"] = (
                "F32", 0.1 * rng.normal(size=o.n_routed_experts))
        for e in range(o.n_routed_experts):
            mlp(f"{p}.mlp.experts.{e}", o.moe_intermediate_size)
        if o.n_shared_experts:
            mlp(f"{p}.mlp.shared_experts", o.moe_intermediate_size * o.n_shared_experts)
    norm("model.norm.weight")
    if not o.tie_word_embeddings:
        linear("lm_head.weight", o.vocab_size, H)
    return tensors


def make_checkpoint(out_dir: str | Path, **options) -> dict:
    """Writes a random checkpoint into `out_dir` (created if missing).

    `options` are the fields of CheckpointOptions. Returns the config written
    to config.json.
    """
    o = CheckpointOptions(**options)
    _check(o)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = _config_json(o)
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    save_model(out_dir, _tensors(o, config), shards=o.shards)
    return config


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Write a random DeepSeekMoE checkpoint (config.json + safetensors). "
                    "Options that may be None accept 'none'.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("out_dir", type=Path, help="directory to write")
    for f in dataclasses.fields(CheckpointOptions):
        flag = "--" + f.name.replace("_", "-")
        if f.metadata["parse"] is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction,
                                default=f.default, help=f.metadata["help"])
        else:
            parser.add_argument(flag, type=f.metadata["parse"], default=f.default,
                                help=f.metadata["help"])
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = vars(parser.parse_args(argv))
    try:
        make_checkpoint(args.pop("out_dir"), **args)
    except ValueError as error:
        parser.error(str(error))


if __name__ == "__main__":
    main()
