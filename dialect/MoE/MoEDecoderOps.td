//===- MoEDecoderOps.td - the rest of a decoder layer ------*- tablegen -*-===//
//
// The ops of a DeepSeek decoder layer around its MLP block (reference
// section 4): embedding, RMSNorm, Linear projections, RoPE and causal
// attention over a KV cache. Included by MoEOps.td.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_DECODER_OPS_TD
#define MOE_DECODER_OPS_TD

def MoE_EmbeddingOp : MoE_Op<"embedding", [Pure]> {
  let summary = "token embedding lookup";
  let description = [{
    `result[t] = table[ids[t]]`, widened to f32: the rows of the embedding
    table [V, H] that the token ids [T] select. An id outside [0, V) is
    undefined behaviour; the runtime checks token ids before they reach
    compiled code.

    Example:
    ```mlir
    %h = moe.embedding %table[%ids]
        : tensor<102400x2048xbf16>, tensor<?xi32> -> tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins MoE_Weight2D:$table, MoE_Index1D:$ids);
  let results = (outs MoE_Activations:$result);
  let assemblyFormat = [{
    $table `[` $ids `]` attr-dict `:` type($table) `,` type($ids) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def MoE_RMSNormOp : MoE_Op<"rms_norm", [Pure]> {
  let summary = "RMSNorm of each row, times a weight";
  let description = [{
    `result[t] = x[t] / sqrt(mean(x[t]^2) + epsilon) * weight` for x [T, H]
    and weight [H], computed in f32.

    Example:
    ```mlir
    %n = moe.rms_norm %x, %w epsilon 1.0e-06
        : tensor<?x2048xf32>, tensor<2048xbf16> -> tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins MoE_Activations:$x, MoE_Weight1D:$weight,
                       F64Attr:$epsilon);
  let results = (outs MoE_Activations:$result);
  let assemblyFormat = [{
    $x `,` $weight `epsilon` $epsilon attr-dict `:` type($x) `,` type($weight)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

def MoE_LinearOp : MoE_Op<"linear", [Pure, AttrSizedOperandSegments]> {
  let summary = "a PyTorch Linear layer without bias, with fused epilogues";
  let description = [{
    `result = x * weight^T` for x [T, K] and weight [N, K] (PyTorch Linear
    layout), accumulated in f32. Two optional epilogues are applied to each
    output element as it is produced, so neither needs a pass of its own:

    * `rope <head_dim = .., theta = .., scaling_factor = ..> at %start` (a
      `#moe.rope` attribute, printed without its prefix): the result rows
      are heads of `head_dim` values that RoPE turns (as `moe.rope`; in
      rotate-half pairs only), row t being at position `start + t`;
    * `residual %r` [T, N]: `result += r`, after RoPE.

    `moe-fuse-linear-epilogues` forms these from `moe.rope` and `arith.addf`
    users of a plain `moe.linear`.

    Example:
    ```mlir
    %q = moe.linear %x, %wq rope <head_dim = 128, theta = 1.000000e+04 : f64,
        scaling_factor = 1.000000e+00 : f64> at %start
        : (tensor<?x2048xf32>, tensor<2048x2048xbf16>, index)
        -> tensor<?x2048xf32>
    %h = moe.linear %a, %wo residual %x
        : (tensor<?x2048xf32>, tensor<2048x2048xbf16>, tensor<?x2048xf32>)
        -> tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins MoE_Activations:$x, MoE_Weight2D:$weight,
                       Optional<Index>:$rope_start,
                       Optional<MoE_Activations>:$residual,
                       OptionalAttr<MoE_RoPEAttr>:$rope);
  let results = (outs MoE_Activations:$result);
  let assemblyFormat = [{
    $x `,` $weight (`rope` $rope^ `at` $rope_start)?
    (`residual` $residual^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def MoE_RoPEOp : MoE_Op<"rope", [Pure]> {
  let summary = "rotary position embedding of query or key heads";
  let description = [{
    `x` [T, n * head_dim] holds n heads per row; row t is at position
    `start + t`. Each head's pair j, (a, b) = (x_j, x_{j + head_dim/2}) in
    the rotate-half form of reference section 4 or (x_2j, x_2j+1) with
    `pairs = interleaved` (MLA, section 8), turns by its angle of
    `#moe.rope`, with cos and sin times its attention factor:

    `a' = a cos - b sin`, `b' = b cos + a sin`.

    Angles are computed in f64 and rounded, so positions far into a long
    context lose no accuracy.

    Example:
    ```mlir
    %k = moe.rope %x at %start <head_dim = 128, theta = 1.000000e+04 : f64,
        scaling_factor = 1.000000e+00 : f64>
        : tensor<?x2048xf32> -> tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins MoE_Activations:$x, Index:$start, MoE_RoPEAttr:$rope);
  let results = (outs MoE_Activations:$result);
  let assemblyFormat = [{
    $x `at` $start $rope attr-dict `:` type($x) `->` type($result)
  }];
  let hasVerifier = 1;
}

// f32, or f16/bf16 for half the memory and traffic of long contexts.
def MoE_KVCache : TensorRankOf<[F32, F16, BF16], [3]>;

def MoE_AttentionOp : MoE_Op<"attention", [Pure]> {
  let summary = "causal grouped-query attention over a KV cache";
  let description = [{
    `q` [T, num_heads * Dk] holds the queries of T new tokens at positions
    `start .. start + T - 1`; `keys` [num_kv_heads, S, Dk] and `values`
    [num_kv_heads, S, Dv] hold the keys and values of positions
    0 .. S - 1, head by head (a KV cache that already contains the new
    tokens; S >= start + T, positions past start + T - 1 are never read), in
    f32 or in f16/bf16 widened to f32 as they are read. Keeping each head's
    positions contiguous lets a query stream over its keys. Query head h
    reads kv head `h / (num_heads / num_kv_heads)` (grouped-query attention;
    each kv head serves consecutive query heads). For the query of row t:

    `out[t, h] = sum_{s <= start + t} softmax_s(q[t, h] . k[kv(h), s] * scale)
    * v[kv(h), s]`

    with `scale` = 1 / sqrt(Dk) unless given. The result [T, num_heads * Dv]
    concatenates the heads. Dv may differ from Dk: multi-head latent
    attention with absorbed projections attends with [latent, rotary key]
    keys over the latent alone as values (a view of the same cache).

    Example:
    ```mlir
    %o = moe.attention %q, %k, %v at %start heads 16
        : tensor<?x2048xf32>, tensor<16x?x128xf32>, tensor<16x?x128xf32>
        -> tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins MoE_Activations:$q, MoE_KVCache:$keys,
                       MoE_KVCache:$values, Index:$start,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs MoE_Activations:$result);
  let assemblyFormat = [{
    $q `,` $keys `,` $values `at` $start `heads` $num_heads attr-dict `:`
    type($q) `,` type($keys) `,` type($values) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// Values per key and query head (Dk).
    int64_t getKeyDim() { return getKeys().getType().getDimSize(2); }
    /// Values per value and output head (Dv).
    int64_t getValueDim() { return getValues().getType().getDimSize(2); }
    /// Key/value heads (the first dimension of the cache).
    int64_t getNumKvHeads() { return getKeys().getType().getDimSize(0); }
    /// The softmax scale: `scale`, else 1 / sqrt(Dk).
    double getScaleOrDefault();
  }];
  let hasVerifier = 1;
}

def MoE_HeadMatmulOp : MoE_Op<"head_matmul", [Pure]> {
  let summary = "one matrix product per head";
  let description = [{
    `x` [T, G * K] holds G heads of K values per row and `weights` one
    matrix per head; the result [T, G * N] holds the G products side by
    side, accumulated in f32:

    `result[t, g * N + n] = sum_k x[t, g * K + k] * w[g, k, n]` with
    weights [G, K, N], or, with `transposed`, weights [G, N, K] read as
    `w[g, n, k]` (each head's matrix in PyTorch Linear layout).

    Multi-head latent attention with absorbed projections needs both: each
    query head's non-rotary part times its block of kv_b_proj (untransposed)
    gives its query in latent space, and each head's attention output in
    latent space times its value block of kv_b_proj (transposed) gives its
    value.

    Example:
    ```mlir
    %q = moe.head_matmul %x, %wk
        : tensor<?x2048xf32>, tensor<16x128x512xbf16> -> tensor<?x8192xf32>
    %o = moe.head_matmul %a, %wv transposed
        : tensor<?x8192xf32>, tensor<16x128x512xbf16> -> tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins MoE_Activations:$x, MoE_Weight3D:$weights,
                       UnitAttr:$transposed);
  let results = (outs MoE_Activations:$result);
  let assemblyFormat = [{
    $x `,` $weights (`transposed` $transposed^)? attr-dict `:` type($x) `,`
    type($weights) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// Heads (G).
    int64_t getNumHeads() { return getWeights().getType().getDimSize(0); }
    /// Inputs (K) and outputs (N) per head.
    int64_t getInputDim() {
      return getWeights().getType().getDimSize(getTransposed() ? 2 : 1);
    }
    int64_t getOutputDim() {
      return getWeights().getType().getDimSize(getTransposed() ? 1 : 2);
    }
  }];
  let hasVerifier = 1;
}

def MoE_LatentAttentionOp : MoE_Op<"latent_attention", [Pure]> {
  let summary = "multi-head latent attention over a compressed KV cache";
  let description = [{
    Causal multi-head latent attention (MLA, reference section 8) of T new
    tokens at positions `start .. start + T - 1`. `latent` [S, C + Dr] is the
    compressed cache: per position, the normed latent c (C values) and the
    rotary key r (Dr values, RoPE applied), shared by all heads; it already
    holds the new tokens, and rows past start + T - 1 are never read.
    `q_nope` [T, H * Dn] and `q_rope` [T, H * Dr] (RoPE applied) are the two
    parts of each of the H query heads; `kv_b` [H * (Dn + Dv), C] is
    kv_b_proj, whose rows for head h are its Dn key rows, then its Dv value
    rows. With k_nope[h, s] = kv_b[h, key] . c[s] and v[h, s] =
    kv_b[h, value] . c[s], the query of row t and head h gets

    `out[t, h] = sum_{s <= start + t} softmax_s((q_nope[t, h] . k_nope[h, s]
    + q_rope[t, h] . r[s]) * scale) * v[h, s]`

    and the result [T, H * Dv] concatenates the heads. The op states what
    is computed, not how: `moe-decompose-latent-attention` decides between
    absorbing kv_b into the query and output sides (attention on the
    compressed cache itself, the decode form) and expanding keys and values.

    Example:
    ```mlir
    %o = moe.latent_attention %qn, %qr, %cache, %kvb at %start heads 16
        scale 0.0721 : tensor<?x2048xf32>, tensor<?x1024xf32>,
        tensor<?x576xbf16>, tensor<4096x512xbf16> -> tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins MoE_Activations:$q_nope, MoE_Activations:$q_rope,
                       TensorRankOf<[F32, F16, BF16], [2]>:$latent,
                       MoE_Weight2D:$kv_b, Index:$start,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
                       F64Attr:$scale);
  let results = (outs MoE_Activations:$result);
  let assemblyFormat = [{
    $q_nope `,` $q_rope `,` $latent `,` $kv_b `at` $start `heads` $num_heads
    `scale` $scale attr-dict `:` type($q_nope) `,` type($q_rope) `,`
    type($latent) `,` type($kv_b) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// Dn, Dr, C and Dv of the description.
    int64_t getNopeDim() {
      return getQNope().getType().getDimSize(1) / getNumHeads();
    }
    int64_t getRopeDim() {
      return getQRope().getType().getDimSize(1) / getNumHeads();
    }
    int64_t getLatentDim() { return getKvB().getType().getDimSize(1); }
    int64_t getValueDim() {
      return getKvB().getType().getDimSize(0) / getNumHeads() - getNopeDim();
    }
  }];
  let hasVerifier = 1;
}

#endif // MOE_DECODER_OPS_TD
