//===- MoEDialect.td - the moe dialect ---------------------*- tablegen -*-===//
#ifndef MOE_DIALECT_TD
#define MOE_DIALECT_TD

include "mlir/IR/OpBase.td"

def MoE_Dialect : Dialect {
  let name = "moe";
  let cppNamespace = "::mlir::moe";
  let summary = "Mixture-of-Experts layers (DeepSeekMoE) at tensor level";
  let description = [{
    The `moe` dialect captures what a DeepSeekMoE MLP block computes, split
    into the parts that a compiler schedules separately:

    * routing: `moe.router_scores` (softmax or sigmoid of the router product)
      and `moe.topk` (greedy, group_limited_greedy and noaux_tc selection);
    * dispatch: `moe.dispatch` groups the T*k (token, slot) pairs by expert
      into contiguous segments, dropless, as explicit SSA metadata (expert
      offsets and a permutation), and `moe.permute` gathers the activations
      into that order;
    * expert computation: `moe.grouped_swiglu` runs SwiGLU experts over the
      segments as grouped matrix products on stacked [E, ...] weights, and
      `moe.swiglu` is one dense SwiGLU MLP (shared experts, dense layers);
    * combine: `moe.combine` scatters the weighted expert outputs back to
      their tokens.

    `moe.block` is a whole DeepSeekMoE MLP block with its configuration as
    attributes; `moe-decompose-block` rewrites it into the parts above.

    The rest of a DeepSeek decoder layer has ops of its own, so that a whole
    model is one module of moe ops: `moe.embedding`, `moe.rms_norm`,
    `moe.linear` (PyTorch Linear layers, with residual and RoPE epilogues),
    `moe.rope` and `moe.attention` (causal, grouped-query, over a KV cache).

    Activations, scores and outputs are f32; weights may be f32, f16 or
    bf16 and are widened to f32 before use. Every computation accumulates in
    f32.
  }];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 1;
  // Canonicalisations materialise index tensors with these.
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

// Rejects attributes that are neither the op's own nor dialect-prefixed, so a
// misspelt option (`norm_topk_porb`) is an error instead of being ignored.
def MoE_NoUnknownAttributes : NativeOpTrait<"NoUnknownAttributes"> {
  let cppNamespace = "::mlir::moe::OpTrait";
}

class MoE_Op<string mnemonic, list<Trait> traits = []>
    : Op<MoE_Dialect, mnemonic, !listconcat(traits, [MoE_NoUnknownAttributes])>;

#endif // MOE_DIALECT_TD
