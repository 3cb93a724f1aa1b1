"""Generates random Hugging Face style DeepSeek MoE checkpoints.

A checkpoint is a directory with ``config.json`` and the tensors of
reference sections 3 and 8 in safetensors (one file or shards), laid out as
the model's own code saves it. Weights are random but scaled so activations
stay O(1): projections are N(0, 1/fan_in), norm weights are near 1. The same
seed gives the same weights whatever the dtype or sharding, so such variants
can be compared with each other. Tensors are drawn and written one at a time,
so checkpoints far larger than memory can be made.

Use as a module::

    config = make_checkpoint(out_dir, hidden_size=64, topk_method="noaux_tc", ...)

or from the shell (``--help`` lists every option)::

    python3 make_checkpoint.py OUT_DIR --hidden-size 64 --topk-method noaux_tc

Options set to None are written as ``null`` for n_routed_experts and
n_shared_experts (null has a meaning there) and left out of config.json for
the keys that have a default (topk_method, routed_scaling_factor, ...), so the
loader's defaults get exercised.

``config_style="transformers"`` writes config.json as Hugging Face
`transformers` 5 saves it: ``dtype`` rather than ``torch_dtype``, RoPE under
``rope_parameters``, every key of the config class, and for ``deepseek_v3``
no ``scoring_func`` or ``topk_method`` (that class always routes with
sigmoid + noaux_tc) and ``num_key_value_heads`` left at its default of 128.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_tokenizer import PRE_TOKENIZERS, make_tokenizer  # noqa: E402
from safetensors_io import save_model_streaming  # noqa: E402

_TORCH_DTYPES = {"bf16": ("BF16", "bfloat16"), "f16": ("F16", "float16"),
                 "f32": ("F32", "float32")}
MODEL_TYPES = ("deepseek", "deepseek_v2", "deepseek_v3")
_ARCHITECTURES = {"deepseek": "DeepseekForCausalLM", "deepseek_v2": "DeepseekV2ForCausalLM",
                  "deepseek_v3": "DeepseekV3ForCausalLM"}

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


def _json_object(text: str) -> dict:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object")
    return value


def _option(default, parse, help_text: str):
    return field(default=default, metadata={"parse": parse, "help": help_text})


@dataclass(frozen=True)
class CheckpointOptions:
    """Every option of make_checkpoint, with its default and meaning."""

    model_type: str = _option("deepseek", str, "deepseek, deepseek_v2 or deepseek_v3")
    config_style: str = _option(
        "remote", str, "remote (the original remote-code keys) or transformers "
        "(as transformers 5 saves config.json)")
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
    q_lora_rank: int | None = _option(
        None, _optional(int), "MLA (v2/v3): rank of the query compression; none: q_proj")
    kv_lora_rank: int = _option(32, int, "MLA (v2/v3): the latent width C")
    qk_nope_head_dim: int = _option(16, int, "MLA (v2/v3): Dn")
    qk_rope_head_dim: int = _option(8, int, "MLA (v2/v3): Dr")
    v_head_dim: int = _option(16, int, "MLA (v2/v3): Dv")
    vocab_size: int = _option(64, int, "vocabulary size V")
    tie_word_embeddings: bool = _option(False, bool, "reuse the embeddings as lm_head")
    rms_norm_eps: float = _option(1e-6, float, "RMSNorm epsilon")
    rope_theta: float = _option(10000.0, float, "RoPE base")
    rope_scaling: dict | None = _option(
        None, _optional(_json_object), "RoPE scaling as a JSON object; none: no scaling")
    max_position_embeddings: int = _option(4096, int, "longest sequence")
    bos_token_id: int | None = _option(0, _optional(int), "beginning-of-sequence id")
    eos_token_id: int | None = _option(
        None, _optional(int), "end-of-sequence id; none: vocab_size (no token ends)")
    tokenizer: str | None = _option(
        None, _optional(str), "also write a tokenizer.json: deepseek-llm or "
        "deepseek-v3 (its vocabulary then sets vocab_size, bos and eos ids)")
    dtype: str = _option(
        "bf16", str, "bf16, f16 or f32 (the correction bias is always F32)")
    shards: int = _option(1, int, "1 writes model.safetensors, more writes a sharded set")
    seed: int = _option(0, int, "random seed")
    router_bias_to: tuple[int, ...] = _option(
        (), _expert_ids,
        "comma-separated expert ids that the router strongly favours for inputs "
        "with a positive mean (e.g. N(0,1) + 1): all such tokens pick them")


def is_moe_layer(config: dict, layer: int) -> bool:
    """Reference section 2: whether `layer` has an MoE block."""
    first = config.get("first_k_dense_replace") or 0
    freq = config.get("moe_layer_freq") or 1
    return (config.get("n_routed_experts") is not None
            and layer >= first and layer % freq == 0)


def _eos(o: CheckpointOptions) -> int:
    # A random model rarely produces a given id; by default none ends
    # generation, so tests see every requested token.
    return o.vocab_size if o.eos_token_id is None else o.eos_token_id


def _config_json(o: CheckpointOptions) -> dict:
    mla = o.model_type != "deepseek"
    config = {
        "architectures": [_ARCHITECTURES[o.model_type]],
        "model_type": o.model_type,
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
        "rope_scaling": o.rope_scaling,
        "max_position_embeddings": o.max_position_embeddings,
        "attention_bias": False,
        "bos_token_id": o.bos_token_id,
        "eos_token_id": _eos(o),
        # Training-only keys of the 16B config; a loader must ignore them.
        "aux_loss_alpha": 0.001,
        "seq_aux": True,
    }
    if mla:
        config.update(q_lora_rank=o.q_lora_rank, kv_lora_rank=o.kv_lora_rank,
                      qk_nope_head_dim=o.qk_nope_head_dim,
                      qk_rope_head_dim=o.qk_rope_head_dim, v_head_dim=o.v_head_dim)
    config = {k: v for k, v in config.items() if not (k in _OMIT_WHEN_NONE and v is None)}
    if o.config_style == "transformers":
        config = _transformers_style(o, config)
    return config


def _transformers_style(o: CheckpointOptions, config: dict) -> dict:
    """config.json as transformers 5 saves it (see the module docstring)."""
    config["dtype"] = config.pop("torch_dtype")
    rope = {"rope_theta": config.pop("rope_theta"), "rope_type": "default"}
    scaling = config.pop("rope_scaling", None)
    if scaling:
        rope.update({k: v for k, v in scaling.items() if k != "type"})
        rope["rope_type"] = scaling.get("rope_type", scaling.get("type", "default"))
    config["rope_parameters"] = rope
    for key in ("aux_loss_alpha", "seq_aux"):
        config.pop(key)
    config.update(initializer_range=0.02, use_cache=True, pad_token_id=None,
                  attention_dropout=0.0, pretraining_tp=1,
                  transformers_version="5.23.0")
    if o.model_type == "deepseek_v3":
        # DeepseekV3Config has no routing-method keys, and the default of 128
        # key/value heads, which MLA never reads.
        config.pop("scoring_func", None)
        config.pop("topk_method", None)
        config.pop("moe_layer_freq", None)
        config["num_key_value_heads"] = 128 if o.num_key_value_heads is None else \
            o.num_key_value_heads
        config.update(num_nextn_predict_layers=1, rope_interleave=True,
                      qk_head_dim=o.qk_nope_head_dim + o.qk_rope_head_dim,
                      head_dim=o.qk_rope_head_dim)
    elif o.model_type == "deepseek_v2":
        config.pop("scoring_func", None)
        config.pop("moe_layer_freq", None)
        config.update(mlp_bias=False, head_dim=o.qk_rope_head_dim,
                      qk_head_dim=o.qk_nope_head_dim + o.qk_rope_head_dim)
    return dict(sorted(config.items()))


def _check(o: CheckpointOptions) -> None:
    """Rejects options this generator cannot turn into tensors."""
    if o.dtype not in _TORCH_DTYPES:
        raise ValueError(f"dtype must be one of {sorted(_TORCH_DTYPES)}, got {o.dtype!r}")
    if o.model_type not in MODEL_TYPES:
        raise ValueError(f"model_type must be one of {MODEL_TYPES}, got {o.model_type!r}")
    if o.tokenizer is not None and o.tokenizer not in PRE_TOKENIZERS:
        raise ValueError(f"tokenizer must be one of {sorted(PRE_TOKENIZERS)}, got "
                         f"{o.tokenizer!r}")
    if o.config_style not in ("remote", "transformers"):
        raise ValueError(f"config_style must be remote or transformers, got {o.config_style!r}")
    heads, kv_heads = o.num_attention_heads, o.num_key_value_heads or o.num_attention_heads
    if o.model_type == "deepseek" and (o.hidden_size % heads or (o.hidden_size // heads) % 2
                                       or heads % kv_heads):
        raise ValueError(f"hidden_size {o.hidden_size} needs an even head_dim for "
                         f"{heads} heads, and {kv_heads} kv heads must divide the heads")
    experts = o.n_routed_experts
    bad_ids = [e for e in o.router_bias_to if experts is None or not 0 <= e < experts]
    if bad_ids:
        raise ValueError(f"router_bias_to names experts {bad_ids}, but there are {experts}")


def _tensor_shapes(o: CheckpointOptions, config: dict):
    """Every tensor of reference sections 3 and 8 as (name, dtype, shape, init),
    in the order they are drawn and stored; init is "linear", "norm", "embed"
    or "bias"."""
    dtype = _TORCH_DTYPES[o.dtype][0]
    H = o.hidden_size
    specs = []

    def linear(name, rows, cols):
        specs.append((name, dtype, (rows, cols), "linear"))

    def norm(name, width=H):
        specs.append((name, dtype, (width,), "norm"))

    def mlp(prefix, width):
        linear(f"{prefix}.gate_proj.weight", width, H)
        linear(f"{prefix}.up_proj.weight", width, H)
        linear(f"{prefix}.down_proj.weight", H, width)

    def attention(p):
        heads = o.num_attention_heads
        if o.model_type == "deepseek":
            hd = H // heads
            kv = (o.num_key_value_heads or heads) * hd
            linear(f"{p}.self_attn.q_proj.weight", heads * hd, H)
            linear(f"{p}.self_attn.k_proj.weight", kv, H)
            linear(f"{p}.self_attn.v_proj.weight", kv, H)
            linear(f"{p}.self_attn.o_proj.weight", H, heads * hd)
            return
        # Multi-head latent attention, reference section 8.
        q_head = o.qk_nope_head_dim + o.qk_rope_head_dim
        if o.q_lora_rank is None:
            linear(f"{p}.self_attn.q_proj.weight", heads * q_head, H)
        else:
            linear(f"{p}.self_attn.q_a_proj.weight", o.q_lora_rank, H)
            norm(f"{p}.self_attn.q_a_layernorm.weight", o.q_lora_rank)
            linear(f"{p}.self_attn.q_b_proj.weight", heads * q_head, o.q_lora_rank)
        linear(f"{p}.self_attn.kv_a_proj_with_mqa.weight",
               o.kv_lora_rank + o.qk_rope_head_dim, H)
        norm(f"{p}.self_attn.kv_a_layernorm.weight", o.kv_lora_rank)
        linear(f"{p}.self_attn.kv_b_proj.weight",
               heads * (o.qk_nope_head_dim + o.v_head_dim), o.kv_lora_rank)
        linear(f"{p}.self_attn.o_proj.weight", H, heads * o.v_head_dim)

    specs.append(("model.embed_tokens.weight", dtype, (o.vocab_size, H), "embed"))
    for i in range(o.num_hidden_layers):
        p = f"model.layers.{i}"
        norm(f"{p}.input_layernorm.weight")
        attention(p)
        norm(f"{p}.post_attention_layernorm.weight")
        if not is_moe_layer(config, i):
            mlp(f"{p}.mlp", o.intermediate_size)
            continue
        linear(f"{p}.mlp.gate.weight", o.n_routed_experts, H)
        uses_bias = (o.topk_method == "noaux_tc"
                     or (o.model_type == "deepseek_v3" and o.topk_method is None))
        if uses_bias:
            specs.append((f"{p}.mlp.gate.e_score_correction_bias", "F32",
                          (o.n_routed_experts,), "bias"))
        for e in range(o.n_routed_experts):
            mlp(f"{p}.mlp.experts.{e}", o.moe_intermediate_size)
        if o.n_shared_experts:
            mlp(f"{p}.mlp.shared_experts", o.moe_intermediate_size * o.n_shared_experts)
    norm("model.norm.weight")
    if not o.tie_word_embeddings:
        linear("lm_head.weight", o.vocab_size, H)
    return specs


def _draw(o: CheckpointOptions, specs):
    """Yields each tensor's values (float32) in the order of `specs`."""
    rng = np.random.default_rng(o.seed)
    for name, _, shape, init in specs:
        values = rng.standard_normal(size=shape, dtype=np.float32)
        if init == "linear":
            values /= np.float32(np.sqrt(shape[1]))
        elif init == "norm":
            values = np.float32(1.0) + np.float32(0.1) * values
        elif init == "bias":
            # Comparable to the spread of sigmoid scores, so it changes choices.
            values *= np.float32(0.1)
        if name.endswith(".mlp.gate.weight") and o.router_bias_to:
            values[list(o.router_bias_to)] += np.float32(ROUTER_SKEW / np.sqrt(shape[1]))
        yield values


def make_checkpoint(out_dir: str | Path, **options) -> dict:
    """Writes a random checkpoint into `out_dir` (created if missing).

    `options` are the fields of CheckpointOptions. Returns the config written
    to config.json.
    """
    o = CheckpointOptions(**options)
    _check(o)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if o.tokenizer:
        ids = make_tokenizer(out_dir / "tokenizer.json", style=o.tokenizer)
        o = dataclasses.replace(o, **ids)
    config = _config_json(o)
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    specs = _tensor_shapes(o, config)
    save_model_streaming(out_dir, [(name, dtype, shape) for name, dtype, shape, _ in specs],
                         _draw(o, specs), shards=o.shards)
    return config


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Write a random DeepSeek MoE checkpoint (config.json + safetensors). "
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
