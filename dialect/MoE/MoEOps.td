//===- MoEOps.td - moe operations --------------------------*- tablegen -*-===//
#ifndef MOE_OPS_TD
#define MOE_OPS_TD

include "MoE/MoEDialect.td"
include "MoE/MoEAttrs.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def MoE_WeightElement : AnyTypeOf<[F32, F16, BF16]>;
def MoE_Activations : TensorRankOf<[F32], [2]>;
def MoE_Weight1D : TensorRankOf<[F32, F16, BF16], [1]>;
def MoE_Weight2D : TensorRankOf<[F32, F16, BF16], [2]>;
def MoE_Weight3D : TensorRankOf<[F32, F16, BF16], [3]>;
def MoE_Index1D : TensorRankOf<[I32], [1]>;
def MoE_Index2D : TensorRankOf<[I32], [2]>;

// The routing configuration shared by moe.topk and moe.block.
defvar MoE_RoutingAttrs = (ins
    MoE_TopkMethod:$method,
    DefaultValuedAttr<BoolAttr, "false">:$norm_topk_prob,
    DefaultValuedAttr<F64Attr, "1.0">:$routed_scaling_factor,
    DefaultValuedAttr<I64Attr, "1">:$n_group,
    DefaultValuedAttr<I64Attr, "1">:$topk_group);

//===----------------------------------------------------------------------===//
// Routing
//===----------------------------------------------------------------------===//

def MoE_RouterScoresOp : MoE_Op<"router_scores", [Pure]> {
  let summary = "router scores: softmax or sigmoid of x times the router weight";
  let description = [{
    Computes, for hidden states `x` [T, H] and the router weight [E, H]
    (PyTorch Linear layout), `logits = x * weight^T` [T, E] in f32 and then
    the scores of every token over all E routed experts:

    * `softmax`: `scores[t, e] = exp(logits[t, e]) / sum_e' exp(logits[t, e'])`
    * `sigmoid`: `scores[t, e] = 1 / (1 + exp(-logits[t, e]))`

    Example:
    ```mlir
    %s = moe.router_scores softmax %x, %w
        : tensor<?x2048xf32>, tensor<64x2048xbf16> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins MoE_ScoringFunc:$scoring, MoE_Activations:$x,
                       MoE_Weight2D:$weight);
  let results = (outs MoE_Activations:$scores);
  let assemblyFormat = [{
    $scoring $x `,` $weight attr-dict `:` type($x) `,` type($weight)
    `->` type($scores)
  }];
  let hasVerifier = 1;
}

def MoE_TopKOp : MoE_Op<"topk", [Pure]> {
  let summary = "top-k expert selection with DeepSeek's routing variants";
  let description = [{
    Selects k experts per token from `scores` [T, E] and returns their
    routing weights [T, k] (f32) and expert indices [T, k] (i32); k is the
    second dimension of the results. The k selected experts of a token are
    listed in ascending expert index; among equal scores the lower expert
    index wins.

    Selection by `method`:
    * `greedy`: the k experts with the highest scores.
    * `group_limited_greedy`: the E experts form `n_group` contiguous groups;
      a group's score is its highest score; the `topk_group` best groups are
      kept, the experts of the other groups get score 0, then top-k.
    * `noaux_tc`: `choice = scores + bias` (the `bias` operand, [E]); a
      group's score is the sum of its 2 largest choices; the `topk_group`
      best groups are kept, the other experts get choice -inf; top-k on
      choice. The bias only selects: weights come from the unbiased scores.

    Weights are the selected scores, then:
    * `noaux_tc`: if `norm_topk_prob` and k > 1, `w /= sum(w) + 1e-20`;
      then always `w *= routed_scaling_factor`.
    * otherwise: if `norm_topk_prob` and k > 1, `w /= sum(w) + 1e-20`;
      else `w *= routed_scaling_factor`.

    Example:
    ```mlir
    %w, %i = moe.topk noaux_tc %s bias %b {n_group = 8, topk_group = 4,
        norm_topk_prob = true, routed_scaling_factor = 2.5}
        : tensor<?x256xf32>, tensor<256xf32> -> tensor<?x8xf32>, tensor<?x8xi32>
    ```
  }];
  let arguments = !con((ins MoE_Activations:$scores,
                            Optional<MoE_Weight1D>:$bias), MoE_RoutingAttrs);
  let results = (outs MoE_Activations:$weights, MoE_Index2D:$indices);
  let assemblyFormat = [{
    $method $scores (`bias` $bias^)? attr-dict `:` type($scores)
    (`,` type($bias)^)? `->` type($weights) `,` type($indices)
  }];
  let extraClassDeclaration = [{
    /// The number of experts selected per token.
    int64_t getTopK() {
      return getIndices().getType().getDimSize(1);
    }
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

def MoE_DispatchOp : MoE_Op<"dispatch", [Pure]> {
  let summary = "group the (token, slot) pairs by expert, dropless";
  let description = [{
    Takes the expert indices [T, k] of `moe.topk` and sorts the T*k
    (token, slot) pairs by expert, stably: within one expert the pairs keep
    the order of their flattened index `t * k + j`. E, the number of experts,
    is the size of `offsets` minus one.

    * `offsets` [E + 1]: expert e owns the rows `[offsets[e], offsets[e+1])`
      of the sorted order; `offsets[0] = 0`, `offsets[E] = T * k`.
    * `permutation` [T * k]: row r of the sorted order is the pair with
      flattened index `permutation[r]`, that is token `permutation[r] / k`,
      slot `permutation[r] % k`.

    Every pair is kept (no capacity limit). An index outside [0, E) is
    undefined behaviour.

    Example:
    ```mlir
    %offsets, %perm = moe.dispatch %i
        : tensor<?x6xi32> -> tensor<65xi32>, tensor<?xi32>
    ```
  }];
  let arguments = (ins MoE_Index2D:$indices);
  let results = (outs MoE_Index1D:$offsets, MoE_Index1D:$permutation);
  let assemblyFormat = [{
    $indices attr-dict `:` type($indices) `->` type($offsets) `,`
    type($permutation)
  }];
  let extraClassDeclaration = [{
    /// The number of experts that the pairs are grouped over.
    int64_t getNumExperts() {
      return getOffsets().getType().getDimSize(0) - 1;
    }
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def MoE_PermuteOp : MoE_Op<"permute", [Pure]> {
  let summary = "gather token rows into the sorted (expert-grouped) order";
  let description = [{
    `result[r] = x[permutation[r] / top_k]`: row r of the result is the
    hidden state of the token that owns sorted pair r. `x` is [T, H],
    `permutation` [T * top_k] as produced by `moe.dispatch`.

    Example:
    ```mlir
    %xs = moe.permute %x[%perm] top_k 6
        : tensor<?x2048xf32>, tensor<?xi32> -> tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins MoE_Activations:$x, MoE_Index1D:$permutation,
                       ConfinedAttr<I64Attr, [IntPositive]>:$top_k);
  let results = (outs MoE_Activations:$result);
  let assemblyFormat = [{
    $x `[` $permutation `]` `top_k` $top_k attr-dict `:` type($x) `,`
    type($permutation) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Expert computation
//===----------------------------------------------------------------------===//

def MoE_SwiGLUOp : MoE_Op<"swiglu", [Pure]> {
  let summary = "one dense SwiGLU MLP: down(silu(gate(x)) * up(x))";
  let description = [{
    For `x` [T, H] and weights in PyTorch Linear layout, gate [I, H],
    up [I, H], down [H, I]:
    `result = (silu(x * gate^T) * (x * up^T)) * down^T` [T, H], with
    `silu(a) = a * sigmoid(a)`, computed in f32. Used for the shared experts
    of an MoE block (one MLP of width I * n_shared) and for dense layers.

    Example:
    ```mlir
    %y = moe.swiglu %x, %g, %u, %d : tensor<?x2048xf32>, tensor<2816x2048xbf16>,
        tensor<2816x2048xbf16>, tensor<2048x2816xbf16> -> tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins MoE_Activations:$x, MoE_Weight2D:$gate_weight,
                       MoE_Weight2D:$up_weight, MoE_Weight2D:$down_weight);
  let results = (outs MoE_Activations:$result);
  let assemblyFormat = [{
    $x `,` $gate_weight `,` $up_weight `,` $down_weight attr-dict `:`
    type($x) `,` type($gate_weight) `,` type($up_weight) `,`
    type($down_weight) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def MoE_GroupedSwiGLUOp : MoE_Op<"grouped_swiglu",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "SwiGLU experts over expert segments, as grouped matmuls";
  let description = [{
    `input` [R, H] holds rows sorted by expert; expert g owns the rows
    `[offsets[g], offsets[g+1])`. Each row is sent through its expert's
    SwiGLU MLP: `result[r] = down_g(silu(gate_g(input[r])) * up_g(input[r]))`.

    The routed experts 0..E-1 are stacked: gate [E, I, H], up [E, I, H],
    down [E, H, I]. Optionally, `shared(...)` appends the shared experts as
    experts E..E+S-1: the shared MLP of width S * I (gate [S*I, H],
    up [S*I, H], down [H, S*I]) is S experts of width I, expert E + s using
    gate and up rows `[s*I, (s+1)*I)` and down columns `[s*I, (s+1)*I)`.
    `offsets` has E + S + 1 entries and `offsets[E + S] = R`.

    Example:
    ```mlir
    %ys = moe.grouped_swiglu %xs, %offsets experts(%g, %u, %d)
        : (tensor<?x2048xf32>, tensor<65xi32>, tensor<64x1408x2048xbf16>,
           tensor<64x1408x2048xbf16>, tensor<64x2048x1408xbf16>)
        -> tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins MoE_Activations:$input, MoE_Index1D:$offsets,
                       MoE_Weight3D:$gate_weights, MoE_Weight3D:$up_weights,
                       MoE_Weight3D:$down_weights,
                       Optional<MoE_Weight2D>:$shared_gate_weight,
                       Optional<MoE_Weight2D>:$shared_up_weight,
                       Optional<MoE_Weight2D>:$shared_down_weight);
  let results = (outs MoE_Activations:$result);
  let assemblyFormat = [{
    $input `,` $offsets `experts` `(` $gate_weights `,` $up_weights `,`
    $down_weights `)` (`shared` `(` $shared_gate_weight^ `,`
    $shared_up_weight `,` $shared_down_weight `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// The number of routed experts (E).
    int64_t getNumRoutedExperts() {
      return getGateWeights().getType().getDimSize(0);
    }
    /// The number of shared experts appended after the routed ones (S).
    int64_t getNumSharedExperts();
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def MoE_AppendSharedExpertsOp : MoE_Op<"append_shared_experts", [Pure]> {
  let summary = "append always-on shared experts to every token's routing";
  let description = [{
    Extends a routing [T, k] to [T, k + S]: slots 0..k-1 are copied, and
    slot k + s of every token is expert `first_expert + s` with weight 1.0.
    With this, the shared experts (reference section 6: S experts of width I
    with weight 1) join the routed experts in one grouped computation. S is
    the width of the results minus k.

    Example:
    ```mlir
    %w2, %i2 = moe.append_shared_experts %w, %i first_expert 64
        : tensor<?x6xf32>, tensor<?x6xi32> -> tensor<?x8xf32>, tensor<?x8xi32>
    ```
  }];
  let arguments = (ins MoE_Activations:$weights, MoE_Index2D:$indices,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$first_expert);
  let results = (outs MoE_Activations:$result_weights,
                      MoE_Index2D:$result_indices);
  let assemblyFormat = [{
    $weights `,` $indices `first_expert` $first_expert attr-dict `:`
    type($weights) `,` type($indices) `->` type($result_weights) `,`
    type($result_indices)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Combine
//===----------------------------------------------------------------------===//

def MoE_CombineOp : MoE_Op<"combine", [Pure]> {
  let summary = "weighted scatter-add of expert outputs back to their tokens";
  let description = [{
    `expert_outputs` [T*k, H] holds one row per (token, slot) pair in the
    sorted order of `permutation` (from `moe.dispatch`); `weights` [T, k]
    are the routing weights. The result [T, H] is

    `result[t] = sum_{j = 0..k-1} weights[t, j] * expert_outputs[r(t, j)]`

    where `permutation[r(t, j)] = t * k + j`, summed in slot order
    j = 0, 1, ... so that results are deterministic.

    Example:
    ```mlir
    %y = moe.combine %ys[%perm], %w
        : tensor<?x2048xf32>, tensor<?xi32>, tensor<?x6xf32> -> tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins MoE_Activations:$expert_outputs,
                       MoE_Index1D:$permutation, MoE_Activations:$weights);
  let results = (outs MoE_Activations:$result);
  let assemblyFormat = [{
    $expert_outputs `[` $permutation `]` `,` $weights attr-dict `:`
    type($expert_outputs) `,` type($permutation) `,` type($weights) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def MoE_ExpertFFNOp : MoE_Op<"expert_ffn", [Pure, AttrSizedOperandSegments]> {
  let summary = "fused experts: gather, gate/up + SwiGLU, down, weighted combine";
  let description = [{
    The fusion of `moe.permute`, `moe.grouped_swiglu` and `moe.combine` that
    share one `permutation`, with no permuted copy of the activations and no
    [T*k, H] expert output in between:

    `result[t] = sum_{j = 0..k-1} weights[t, j] * Expert_g(x[t])`

    where sorted row r with `permutation[r] = t * k + j` lies in expert g's
    segment `[offsets[g], offsets[g+1])`, and Expert_g is the SwiGLU MLP of
    `moe.grouped_swiglu` (routed experts 0..E-1 from the stacked weights,
    shared experts E..E+S-1 from `shared(...)`). Slots are summed in order
    j = 0, 1, ... Lowerings read `x` rows through the permutation inside the
    expert kernel and apply the routing weight in the down projection's
    epilogue.

    Example:
    ```mlir
    %y = moe.expert_ffn %x[%perm], %offsets, %w experts(%g, %u, %d)
        : (tensor<?x2048xf32>, tensor<?xi32>, tensor<65xi32>, tensor<?x6xf32>,
           tensor<64x1408x2048xbf16>, tensor<64x1408x2048xbf16>,
           tensor<64x2048x1408xbf16>) -> tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins MoE_Activations:$x, MoE_Index1D:$permutation,
                       MoE_Index1D:$offsets, MoE_Activations:$weights,
                       MoE_Weight3D:$gate_weights, MoE_Weight3D:$up_weights,
                       MoE_Weight3D:$down_weights,
                       Optional<MoE_Weight2D>:$shared_gate_weight,
                       Optional<MoE_Weight2D>:$shared_up_weight,
                       Optional<MoE_Weight2D>:$shared_down_weight);
  let results = (outs MoE_Activations:$result);
  let assemblyFormat = [{
    $x `[` $permutation `]` `,` $offsets `,` $weights `experts` `(`
    $gate_weights `,` $up_weights `,` $down_weights `)` (`shared` `(`
    $shared_gate_weight^ `,` $shared_up_weight `,` $shared_down_weight `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// The number of routed experts (E).
    int64_t getNumRoutedExperts() {
      return getGateWeights().getType().getDimSize(0);
    }
    /// The number of shared experts appended after the routed ones (S).
    int64_t getNumSharedExperts();
    /// Slots per token (k).
    int64_t getTopK() { return getWeights().getType().getDimSize(1); }
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Weight layout
//===----------------------------------------------------------------------===//

def MoE_UnpackWeightsOp : MoE_Op<"unpack_weights", [Pure]> {
  let summary = "weight matrices stored in panels, as the matrices they hold";
  let description = [{
    `packed` [G, ceil(N/P), ceil(K/Q), P, Q] holds G matrices of [N, K]
    (PyTorch Linear layout: N outputs, K inputs) in panels of P outputs, with
    Q consecutive inputs of an output kept together: element (n, k) of
    matrix g is `packed[g, n floordiv P, k floordiv Q, n mod P, k mod Q]`,
    and the padding past N and K is zero. This is the layout the CPU expert
    kernels read, an outer product per input step with P outputs in one
    vector (Q = 2 puts the two bf16 halves of an f32 lane side by side); the
    runtime packs checkpoint weights into it once, at load time.

    The result holds the same matrices:
    * rank 3: [G, N, K], their stack (routed experts);
    * rank 2, `concat_dim = 0`: [G * N, K], one below the other (the gate
      and up weights of G shared experts);
    * rank 2, `concat_dim = 1`: [N, G * K], side by side (their down
      weights).

    Kernels that read panels take `packed` directly; elsewhere the op lowers
    to a copy.

    Example:
    ```mlir
    %gate = moe.unpack_weights %packed
        : tensor<64x176x1024x8x2xbf16> -> tensor<64x1408x2048xbf16>
    %down = moe.unpack_weights %shared {concat_dim = 1}
        : tensor<2x256x704x8x2xbf16> -> tensor<2048x2816xbf16>
    ```
  }];
  let arguments = (ins TensorRankOf<[F32, F16, BF16], [5]>:$packed,
                       OptionalAttr<I64Attr>:$concat_dim);
  let results = (outs AnyTypeOf<[MoE_Weight2D, MoE_Weight3D]>:$result);
  let assemblyFormat = [{
    $packed attr-dict `:` type($packed) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// Matrices (G), outputs per panel (P) and inputs kept together (Q).
    int64_t getNumMatrices() { return getPacked().getType().getDimSize(0); }
    int64_t getPanel() { return getPacked().getType().getDimSize(3); }
    int64_t getKPack() { return getPacked().getType().getDimSize(4); }
    /// The size of one matrix: [N, K].
    std::pair<int64_t, int64_t> getMatrixShape();
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// The whole block
//===----------------------------------------------------------------------===//

def MoE_BlockOp : MoE_Op<"block", [Pure, AttrSizedOperandSegments]> {
  let summary = "a whole DeepSeekMoE MLP block";
  let description = [{
    The MLP block of an MoE decoder layer, on normed hidden states `x`
    [T, H] (after post_attention_layernorm, before the residual add):

    1. `scores = moe.router_scores scoring(x, router)`, router [E, H];
    2. `weights, indices = moe.topk method(scores, bias)` with `top_k`
       experts per token and the routing attributes of `moe.topk`;
    3. `y[t] = sum_j weights[t, j] * Expert_{indices[t, j]}(x[t])`, with the
       routed experts stacked as gate [E, I, H], up [E, I, H], down [E, H, I];
    4. `y += SharedMLP(x)` when `shared(gate [S*I, H], up [S*I, H],
       down [H, S*I])` is present: S = n_shared_experts shared experts as one
       SwiGLU MLP, unweighted.

    `bias` (e_score_correction_bias, [E]) is present exactly when
    `method = noaux_tc`. `moe-decompose-block` rewrites this op into
    routing, dispatch, expert and combine ops.

    Example (DeepSeekMoE 16B):
    ```mlir
    %y = moe.block %x router(%wr) experts(%g, %u, %d) shared(%sg, %su, %sd)
        scoring = softmax method = greedy top_k = 6
        : (tensor<?x2048xf32>, tensor<64x2048xbf16>, tensor<64x1408x2048xbf16>,
           tensor<64x1408x2048xbf16>, tensor<64x2048x1408xbf16>,
           tensor<2816x2048xbf16>, tensor<2816x2048xbf16>,
           tensor<2048x2816xbf16>) -> tensor<?x2048xf32>
    ```
  }];
  let arguments = !con((ins MoE_Activations:$x, MoE_Weight2D:$router_weight,
                            Optional<MoE_Weight1D>:$bias,
                            MoE_Weight3D:$gate_weights,
                            MoE_Weight3D:$up_weights,
                            MoE_Weight3D:$down_weights,
                            Optional<MoE_Weight2D>:$shared_gate_weight,
                            Optional<MoE_Weight2D>:$shared_up_weight,
                            Optional<MoE_Weight2D>:$shared_down_weight,
                            MoE_ScoringFunc:$scoring,
                            ConfinedAttr<I64Attr, [IntPositive]>:$top_k),
                       MoE_RoutingAttrs);
  let results = (outs MoE_Activations:$result);
  let assemblyFormat = [{
    $x `router` `(` $router_weight (`,` `bias` $bias^)? `)`
    `experts` `(` $gate_weights `,` $up_weights `,` $down_weights `)`
    (`shared` `(` $shared_gate_weight^ `,` $shared_up_weight `,`
    $shared_down_weight `)`)?
    `scoring` `=` $scoring `method` `=` $method `top_k` `=` $top_k
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

include "MoE/MoEDecoderOps.td"

#endif // MOE_OPS_TD
