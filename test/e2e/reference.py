"""A float64 numpy reference of DeepSeekMoE, written from the reference document.

Everything here follows /work/shared/reference/deepseekmoe.md (sections 2 and
4) literally and favours being obviously right over being fast: the MoE block
runs every expert on every token and combines them with a dense [T, E] weight
matrix, so it shares no dispatch logic with moec.

`weights` is a dict name -> float64 array as returned by
safetensors_io.load_model; `config` is the parsed config.json. Ties between
equal scores are broken towards the lower expert (or group) index.
"""

from __future__ import annotations

import numpy as np

from safetensors_io import bf16_bits_to_float32, float32_to_bf16_bits

# Values of config keys that may be absent (or null) in config.json, for the
# `deepseek` model type; MODEL_TYPE_DEFAULTS overrides them for the others
# (reference section 7: the defaults of each model type's config class).
DEFAULTS = {
    "topk_method": "greedy",
    "routed_scaling_factor": 1.0,
    "n_group": 1,
    "topk_group": 1,
    "n_shared_experts": None,
    "n_routed_experts": None,
    "norm_topk_prob": False,
    "scoring_func": "softmax",
    "first_k_dense_replace": 0,
    "moe_layer_freq": 1,
    "tie_word_embeddings": False,
    "rms_norm_eps": 1e-6,
    "rope_theta": 10000.0,
}


MODEL_TYPE_DEFAULTS = {
    "deepseek": {},
    "deepseek_v2": {"n_routed_experts": 64, "n_shared_experts": 2},
    "deepseek_v3": {"n_routed_experts": 256, "n_shared_experts": 1, "n_group": 8,
                    "topk_group": 4, "norm_topk_prob": True,
                    "routed_scaling_factor": 2.5, "first_k_dense_replace": 3,
                    "scoring_func": "sigmoid", "topk_method": "noaux_tc"},
}

# deepseek_v3 always routes this way, whatever the config says (section 7).
V3_ROUTING = {"scoring_func": "sigmoid", "topk_method": "noaux_tc"}


def get(config: dict, key: str):
    """The value of `key`, or its default when the key is absent or null."""
    model_type = config.get("model_type", "deepseek")
    if model_type not in MODEL_TYPE_DEFAULTS:
        raise ValueError(f"unknown model_type {model_type!r}")
    if model_type == "deepseek_v3" and key in V3_ROUTING:
        return V3_ROUTING[key]
    value = config.get(key)
    if value is not None:
        return value
    if key in ("n_routed_experts", "n_shared_experts") and key in config:
        return None  # an explicit null means none
    return MODEL_TYPE_DEFAULTS[model_type].get(key, DEFAULTS[key])


def rope_parameters(config: dict) -> tuple[float, dict]:
    """RoPE's base theta and its scaling settings (`type` "default" when
    none), from `rope_parameters` (transformers 5) or `rope_theta` +
    `rope_scaling`."""
    params = config.get("rope_parameters") or {}
    theta = params.get("rope_theta", get(config, "rope_theta"))
    scaling = dict(params if params else (config.get("rope_scaling") or {}))
    scaling["type"] = scaling.get("rope_type", scaling.get("type", "default"))
    if scaling["type"] not in ("default", "linear", "yarn"):
        raise ValueError(f"RoPE type {scaling['type']!r} is not part of the deepseek reference")
    return theta, scaling


def rope_settings(config: dict) -> tuple[float, float]:
    """RoPE's (theta, linear scaling factor) for multi-head attention."""
    theta, scaling = rope_parameters(config)
    if scaling["type"] == "default":
        return theta, 1.0
    if scaling["type"] == "linear":
        return theta, scaling["factor"]
    raise ValueError("YaRN is part of the reference only for MLA (section 8)")


def yarn_mscale(scale: float, m: float) -> float:
    """g(s, m) of reference section 8."""
    return 1.0 if scale <= 1 else 0.1 * m * np.log(scale) + 1.0


def mla_frequencies(config: dict) -> tuple[np.ndarray, float]:
    """The per-pair angles theta_i [Dr/2] of MLA's rotary key and query, and
    the attention factor that multiplies cos and sin (reference section 8)."""
    base, scaling = rope_parameters(config)
    d = config["qk_rope_head_dim"]
    extra = base ** (-2.0 * np.arange(d // 2) / d)
    kind = scaling["type"]
    if kind == "default":
        return extra, 1.0
    if kind == "linear":
        return extra / scaling["factor"], 1.0
    L0 = scaling["original_max_position_embeddings"]
    s = scaling.get("factor")
    if s is None:
        s = config["max_position_embeddings"] / L0
    inter = extra / s

    def corr(rotations):
        return d * np.log(L0 / (2 * np.pi * rotations)) / (2 * np.log(base))

    low = max(np.floor(corr(scaling.get("beta_fast") or 32)), 0)
    high = min(np.ceil(corr(scaling.get("beta_slow") or 1)), d - 1)
    if low == high:
        high += 0.001
    ramp = np.clip((np.arange(d // 2) - low) / (high - low), 0, 1)
    theta = inter * ramp + extra * (1 - ramp)
    if scaling.get("attention_factor") is not None:
        return theta, scaling["attention_factor"]
    mscale, all_dim = scaling.get("mscale"), scaling.get("mscale_all_dim")
    if mscale and all_dim:
        return theta, yarn_mscale(s, mscale) / yarn_mscale(s, all_dim)
    return theta, yarn_mscale(s, 1.0)


def mla_softmax_scale(config: dict) -> float:
    """(Dn + Dr)^-1/2, times m^2 under YaRN with mscale_all_dim (section 8)."""
    scale = (config["qk_nope_head_dim"] + config["qk_rope_head_dim"]) ** -0.5
    _, scaling = rope_parameters(config)
    if scaling["type"] == "yarn" and scaling.get("mscale_all_dim"):
        s = scaling.get("factor")
        if s is None:
            s = config["max_position_embeddings"] / scaling["original_max_position_embeddings"]
        scale *= yarn_mscale(s, scaling["mscale_all_dim"]) ** 2
    return scale


def is_moe_layer(config: dict, layer: int) -> bool:
    """Whether `layer` has an MoE block (else a dense MLP), reference section 2."""
    return (get(config, "n_routed_experts") is not None
            and layer >= get(config, "first_k_dense_replace")
            and layer % get(config, "moe_layer_freq") == 0)


def silu(a: np.ndarray) -> np.ndarray:
    return a / (1.0 + np.exp(-a))


def swiglu(weights: dict, prefix: str, x: np.ndarray) -> np.ndarray:
    """down(silu(gate(x)) * up(x)) with the three projections under `prefix`."""
    gate = x @ weights[f"{prefix}.gate_proj.weight"].T
    up = x @ weights[f"{prefix}.up_proj.weight"].T
    return (silu(gate) * up) @ weights[f"{prefix}.down_proj.weight"].T


def router_scores(weights: dict, config: dict, layer: int, x: np.ndarray) -> np.ndarray:
    """softmax or sigmoid of x * W_gate^T over all routed experts: [T, E]."""
    logits = x @ weights[f"model.layers.{layer}.mlp.gate.weight"].T
    if get(config, "scoring_func") == "sigmoid":
        return 1.0 / (1.0 + np.exp(-logits))
    if get(config, "scoring_func") != "softmax":
        raise ValueError(f"unknown scoring_func {config['scoring_func']!r}")
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _top(values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the n largest entries of each row, and each row's margin.

    A stable sort of the negated values puts the lower index first among
    equal values. The margin is the gap between the n-th and the (n+1)-th
    largest value (inf when all are kept): how far the row is from a
    different choice.
    """
    order = np.argsort(-values, axis=-1, kind="stable")
    if n >= values.shape[-1]:
        return order[:, :n], np.full(values.shape[0], np.inf)
    ranked = np.take_along_axis(values, order, axis=-1)
    # A NaN token has no meaningful margin (NaN, or inf - inf): no warning.
    with np.errstate(invalid="ignore"):
        return order[:, :n], ranked[:, n - 1] - ranked[:, n]


def _keep_groups(group_scores: np.ndarray, topk_group: int, group_size: int):
    """Per-expert mask of the topk_group best groups, and the group margin."""
    kept, margin = _top(group_scores, topk_group)
    mask = np.zeros(group_scores.shape, dtype=bool)
    np.put_along_axis(mask, kept, True, axis=-1)
    return np.repeat(mask, group_size, axis=-1), margin


def _route(weights: dict, config: dict, layer: int, x: np.ndarray):
    """Selection and weights of reference section 4, steps 1-4.

    Returns (weights [T, k], indices [T, k], margin [T]) where margin is the
    smallest gap between a kept and a dropped candidate at any stage.
    """
    if not is_moe_layer(config, layer):
        raise ValueError(f"layer {layer} is dense: it has no routing")
    E = get(config, "n_routed_experts")
    k = config["num_experts_per_tok"]
    method = get(config, "topk_method")
    n_group, topk_group = get(config, "n_group"), get(config, "topk_group")
    norm = get(config, "norm_topk_prob")
    scale = get(config, "routed_scaling_factor")
    if E % n_group or not 1 <= topk_group <= n_group or not 1 <= k <= E:
        raise ValueError(f"bad routing: E={E} k={k} n_group={n_group} "
                         f"topk_group={topk_group}")
    group_size = E // n_group
    scores = router_scores(weights, config, layer, x)
    T = scores.shape[0]

    if method == "greedy":
        idx, margin = _top(scores, k)
    elif method == "group_limited_greedy":
        group_scores = scores.reshape(T, n_group, group_size).max(axis=-1)
        mask, group_margin = _keep_groups(group_scores, topk_group, group_size)
        idx, margin = _top(np.where(mask, scores, 0.0), k)
        margin = np.minimum(margin, group_margin)
    elif method == "noaux_tc":
        bias = weights[f"model.layers.{layer}.mlp.gate.e_score_correction_bias"]
        choice = scores + bias
        if k > topk_group * group_size:
            raise ValueError("noaux_tc would select experts of dropped groups")
        if topk_group < n_group:
            if group_size < 2:
                raise ValueError("noaux_tc scores groups by their 2 largest choices")
            top2 = -np.sort(-choice.reshape(T, n_group, group_size), axis=-1)[..., :2]
            mask, group_margin = _keep_groups(top2.sum(axis=-1), topk_group, group_size)
            choice = np.where(mask, choice, -np.inf)
        else:
            group_margin = np.full(T, np.inf)
        idx, margin = _top(choice, k)
        margin = np.minimum(margin, group_margin)
    else:
        raise ValueError(f"unknown topk_method {method!r}")

    # The bias (noaux_tc) only selects: weights are the unbiased scores.
    w = np.take_along_axis(scores, idx, axis=-1)
    renormalise = norm and k > 1
    if renormalise:
        w = w / (w.sum(axis=-1, keepdims=True) + 1e-20)
    if method == "noaux_tc" or not renormalise:
        w = w * scale
    return w, idx, margin


def select_experts(weights: dict, config: dict, layer: int,
                   x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Routing weights [T, k] and expert indices [T, k] of MoE layer `layer`."""
    w, idx, _ = _route(weights, config, layer, x)
    return w, idx


def routing_margin(weights: dict, config: dict, layer: int, x: np.ndarray) -> np.ndarray:
    """Per token, how far the routing is from choosing differently: [T].

    The smallest gap, in score (or group score) units, between a kept and a
    dropped candidate at any selection stage; inf when nothing is dropped.
    Tokens with a tiny margin may legitimately route differently in f32.
    """
    return _route(weights, config, layer, x)[2]


def moe_block(weights: dict, config: dict, layer: int, x: np.ndarray) -> np.ndarray:
    """Routed experts weighted by the routing, plus the shared experts."""
    w, idx = select_experts(weights, config, layer, x)
    E = get(config, "n_routed_experts")
    combine = np.zeros((x.shape[0], E))
    np.put_along_axis(combine, idx, w, axis=-1)
    prefix = f"model.layers.{layer}.mlp"
    y = np.zeros_like(x)
    for e in range(E):
        # Every expert runs on every token; unselected ones get weight 0. This
        # never multiplies 0 by a non-finite value: a token's expert outputs
        # are all finite unless its input is not, and then its row is NaN
        # whatever it is multiplied by.
        y += combine[:, e:e + 1] * swiglu(weights, f"{prefix}.experts.{e}", x)
    if get(config, "n_shared_experts"):
        y += swiglu(weights, f"{prefix}.shared_experts", x)
    return y


def mlp_block(weights: dict, config: dict, layer: int, x: np.ndarray) -> np.ndarray:
    """The MLP block of `layer` (MoE or dense) on normed hidden states x [T, H].

    The residual add is the decoder layer's, not included here.
    """
    x = np.asarray(x, dtype=np.float64)
    if is_moe_layer(config, layer):
        return moe_block(weights, config, layer, x)
    return swiglu(weights, f"model.layers.{layer}.mlp", x)


def rms_norm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def rope(x: np.ndarray, positions: np.ndarray, theta: float,
         factor: float = 1.0) -> np.ndarray:
    """Rotate-half RoPE on x [T, heads, hd]: pair (j, j + hd/2) turns by
    (p / factor) * theta^(-2j/hd); factor > 1 is linear RoPE scaling."""
    half = x.shape[-1] // 2
    inv_freq = theta ** (-2.0 * np.arange(half) / x.shape[-1])
    angle = (np.asarray(positions, dtype=np.float64) / factor)[:, None] * inv_freq
    cos, sin = np.cos(angle)[:, None, :], np.sin(angle)[:, None, :]
    x1, x2 = x[..., :half], x[..., half:]
    return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)


def stored_in(x: np.ndarray, kv_cache: str) -> np.ndarray:
    """x as a KV cache of element type `kv_cache` (f32, f16 or bf16) holds it:
    rounded to nearest. An f32 cache is taken as exact."""
    if kv_cache == "f16":
        return x.astype(np.float16).astype(np.float64)
    if kv_cache == "bf16":
        return bf16_bits_to_float32(float32_to_bf16_bits(x.astype(np.float32))) \
            .astype(np.float64)
    assert kv_cache == "f32", kv_cache
    return x


def attention(weights: dict, config: dict, layer: int, x: np.ndarray,
              positions: np.ndarray | None = None, kv_cache: str = "f32") -> np.ndarray:
    """Causal self-attention with grouped-query heads on normed x [T, H]; the
    keys (after RoPE) and values are read back from a `kv_cache` cache."""
    T, H = x.shape
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads") or heads
    hd = H // heads
    positions = np.arange(T) if positions is None else positions
    p = f"model.layers.{layer}.self_attn"
    theta, factor = rope_settings(config)
    q = rope((x @ weights[f"{p}.q_proj.weight"].T).reshape(T, heads, hd), positions, theta,
             factor)
    k = rope((x @ weights[f"{p}.k_proj.weight"].T).reshape(T, kv_heads, hd), positions,
             theta, factor)
    v = (x @ weights[f"{p}.v_proj.weight"].T).reshape(T, kv_heads, hd)
    k, v = stored_in(k, kv_cache), stored_in(v, kv_cache)
    # Query head h reads kv head h // (heads / kv_heads): each kv head repeated.
    k = np.repeat(k, heads // kv_heads, axis=1)
    v = np.repeat(v, heads // kv_heads, axis=1)
    logits = np.einsum("thd,shd->hts", q, k) / np.sqrt(hd)
    logits = np.where(np.tril(np.ones((T, T), dtype=bool)), logits, -np.inf)
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    out = np.einsum("hts,shd->thd", probs, v).reshape(T, heads * hd)
    return out @ weights[f"{p}.o_proj.weight"].T


def mla_rope(x: np.ndarray, positions: np.ndarray, theta: np.ndarray, factor: float,
             interleaved: bool = True) -> np.ndarray:
    """RoPE on x [T, heads, d]: pair i at position p turns by p * theta_i,
    cos and sin times `factor`. Pairs are interleaved, (x_2i, x_2i+1)
    (reference section 8), or with `rope_interleave: false` (x_i, x_i+d/2)."""
    angle = np.asarray(positions, dtype=np.float64)[:, None] * theta
    cos, sin = (factor * np.cos(angle))[:, None, :], (factor * np.sin(angle))[:, None, :]
    half = x.shape[-1] // 2
    first = (slice(None), slice(None), slice(0, None, 2) if interleaved else slice(0, half))
    second = (slice(None), slice(None), slice(1, None, 2) if interleaved else slice(half, None))
    out = np.empty_like(x)
    out[first] = x[first] * cos - x[second] * sin
    out[second] = x[second] * cos + x[first] * sin
    return out


# q_a_layernorm and kv_a_layernorm are built without the config's epsilon,
# so they keep RMSNorm's default in the original code and in transformers.
MLA_NORM_EPS = 1e-6


def mla_attention(weights: dict, config: dict, layer: int, x: np.ndarray,
                  positions: np.ndarray | None = None, kv_cache: str = "f32") -> np.ndarray:
    """Multi-head latent attention (reference section 8) on normed x [T, H],
    literally: keys and values expanded per head from the cached latent
    [c, k_rope], which is read back from a `kv_cache` cache."""
    T = x.shape[0]
    nh = config["num_attention_heads"]
    Dn, Dr, Dv = config["qk_nope_head_dim"], config["qk_rope_head_dim"], config["v_head_dim"]
    C = config["kv_lora_rank"]
    positions = np.arange(T) if positions is None else positions
    p = f"model.layers.{layer}.self_attn"
    if config.get("q_lora_rank"):
        q = rms_norm(x @ weights[f"{p}.q_a_proj.weight"].T,
                     weights[f"{p}.q_a_layernorm.weight"], MLA_NORM_EPS)
        q = q @ weights[f"{p}.q_b_proj.weight"].T
    else:
        q = x @ weights[f"{p}.q_proj.weight"].T
    q = q.reshape(T, nh, Dn + Dr)
    kv = x @ weights[f"{p}.kv_a_proj_with_mqa.weight"].T
    c = rms_norm(kv[:, :C], weights[f"{p}.kv_a_layernorm.weight"], MLA_NORM_EPS)
    theta, factor = mla_frequencies(config)
    interleaved = config.get("rope_interleave", True) is not False
    q_nope = q[..., :Dn]
    q_rope = mla_rope(q[..., Dn:], positions, theta, factor, interleaved)
    k_rope = mla_rope(kv[:, None, C:], positions, theta, factor, interleaved)[:, 0]
    c, k_rope = stored_in(c, kv_cache), stored_in(k_rope, kv_cache)
    kv = (c @ weights[f"{p}.kv_b_proj.weight"].T).reshape(T, nh, Dn + Dv)
    k_nope, v = kv[..., :Dn], kv[..., Dn:]
    logits = (np.einsum("thd,shd->hts", q_nope, k_nope)
              + np.einsum("thd,sd->hts", q_rope, k_rope)) * mla_softmax_scale(config)
    logits = np.where(np.tril(np.ones((T, T), dtype=bool)), logits, -np.inf)
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    out = np.einsum("hts,shd->thd", probs, v).reshape(T, nh * Dv)
    return out @ weights[f"{p}.o_proj.weight"].T


def decoder_layer(weights: dict, config: dict, layer: int, h: np.ndarray,
                  positions: np.ndarray | None = None, kv_cache: str = "f32") -> np.ndarray:
    """Pre-norm decoder layer: h + Attn(RMSNorm(h)), then + MLP(RMSNorm(h)).
    Attention is multi-head for `deepseek` and MLA for the later types."""
    eps = get(config, "rms_norm_eps")
    p = f"model.layers.{layer}"
    attend = attention if config.get("model_type", "deepseek") == "deepseek" else mla_attention
    h = h + attend(weights, config, layer,
                   rms_norm(h, weights[f"{p}.input_layernorm.weight"], eps), positions,
                   kv_cache)
    return h + mlp_block(weights, config, layer,
                         rms_norm(h, weights[f"{p}.post_attention_layernorm.weight"], eps))


def model_forward(weights: dict, config: dict, token_ids, kv_cache: str = "f32") -> np.ndarray:
    """Logits [T, V] of the token sequence `token_ids` (positions 0..T-1),
    attention reading keys and values from a `kv_cache` cache."""
    embed = weights["model.embed_tokens.weight"]
    h = embed[np.asarray(token_ids)]
    for layer in range(config["num_hidden_layers"]):
        h = decoder_layer(weights, config, layer, h, kv_cache=kv_cache)
    h = rms_norm(h, weights["model.norm.weight"], get(config, "rms_norm_eps"))
    lm_head = embed if get(config, "tie_word_embeddings") else weights["lm_head.weight"]
    return h @ lm_head.T


def greedy_generate(weights: dict, config: dict, prompt, max_new: int):
    """Greedy decoding by full recomputation at every step (no cache).

    Returns the new tokens (stopping after an eos_token_id) and, per step,
    the gap between the two largest logits: a step whose gap is within
    rounding may legitimately pick the other token in f32.
    """
    eos = config.get("eos_token_id")
    stop = set(eos if isinstance(eos, list) else [] if eos is None else [eos])
    sequence, tokens, margins = list(prompt), [], []
    for _ in range(max_new):
        last = model_forward(weights, config, sequence)[-1]
        top2 = np.sort(last)[-2:]
        token = int(np.argmax(last))
        tokens.append(token)
        margins.append(float(top2[1] - top2[0]))
        sequence.append(token)
        if token in stop:
            break
    return tokens, margins
