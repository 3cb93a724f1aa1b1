//===- MoEAttrs.td - moe enums and attributes --------------*- tablegen -*-===//
#ifndef MOE_ATTRS_TD
#define MOE_ATTRS_TD

include "MoE/MoEDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def MoE_ScoringSoftmax : I32EnumAttrCase<"softmax", 0>;
def MoE_ScoringSigmoid : I32EnumAttrCase<"sigmoid", 1>;
def MoE_ScoringFunc : I32EnumAttr<"ScoringFunc",
    "function that turns router logits into expert scores",
    [MoE_ScoringSoftmax, MoE_ScoringSigmoid]> {
  let cppNamespace = "::mlir::moe";
}

def MoE_TopkGreedy : I32EnumAttrCase<"greedy", 0>;
def MoE_TopkGroupLimitedGreedy : I32EnumAttrCase<"group_limited_greedy", 1>;
def MoE_TopkNoauxTC : I32EnumAttrCase<"noaux_tc", 2>;
def MoE_TopkMethod : I32EnumAttr<"TopkMethod",
    "how the k experts of a token are selected from its scores",
    [MoE_TopkGreedy, MoE_TopkGroupLimitedGreedy, MoE_TopkNoauxTC]> {
  let cppNamespace = "::mlir::moe";
}

def MoE_RoPEAttr : AttrDef<MoE_Dialect, "RoPE"> {
  let mnemonic = "rope";
  let summary = "rotary position embedding in the rotate-half form";
  let description = [{
    Rotary position embedding of heads of `head_dim` values (reference
    section 4): with `inv_freq_j = theta^(-2j / head_dim)` for
    j < head_dim / 2, the pair (x_j, x_{j + head_dim/2}) of a head at
    position p turns by the angle `(p / scaling_factor) * inv_freq_j`
    (`scaling_factor` > 1 is linear RoPE scaling; 1 is plain RoPE).

    Example: `#moe.rope<head_dim = 128, theta = 1.000000e+04,
    scaling_factor = 1.000000e+00>`
  }];
  let parameters = (ins "int64_t":$headDim, "::mlir::FloatAttr":$theta,
                        "::mlir::FloatAttr":$scalingFactor);
  let assemblyFormat = [{
    `<` `head_dim` `=` $headDim `,` `theta` `=` $theta `,` `scaling_factor`
    `=` $scalingFactor `>`
  }];
  let genVerifyDecl = 1;
}

#endif // MOE_ATTRS_TD
