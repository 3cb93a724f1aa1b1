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

def MoE_RoPEPairsHalf : I32EnumAttrCase<"rotate_half", 0>;
def MoE_RoPEPairsInterleaved : I32EnumAttrCase<"interleaved", 1>;
def MoE_RoPEPairs : I32EnumAttr<"RoPEPairs",
    "which values of a head RoPE turns together",
    [MoE_RoPEPairsHalf, MoE_RoPEPairsInterleaved]> {
  let cppNamespace = "::mlir::moe";
  let genSpecializedAttr = 0;
}

def MoE_RoPEAttr : AttrDef<MoE_Dialect, "RoPE"> {
  let mnemonic = "rope";
  let summary = "rotary position embedding";
  let description = [{
    Rotary position embedding of heads of `head_dim` values. Pair j
    (j < head_dim / 2) of a head at position p turns by the angle
    `p * f_j`, where the inverse frequencies f_j are

    * `theta^(-2j / head_dim) / scaling_factor` (reference section 4;
      `scaling_factor` > 1 is linear RoPE scaling, 1 plain RoPE), or
    * the `frequencies` given, one per pair: how the model computed them
      once (YaRN, reference section 8), whatever its scaling rule.

    `pairs` says which values form pair j: `rotate_half` (the default,
    section 4) turns (x_j, x_{j + head_dim/2}); `interleaved` (MLA's rotary
    dimensions, section 8) turns (x_2j, x_2j+1). cos and sin are multiplied
    by `attention_factor` (YaRN's; 1 when absent).

    Examples: `#moe.rope<head_dim = 128, theta = 1.000000e+04,
    scaling_factor = 1.000000e+00>`, `#moe.rope<head_dim = 4, frequencies =
    array<f64: 1.0, 0.01>, attention_factor = 1.2, pairs = interleaved>`
  }];
  let parameters = (ins "int64_t":$headDim,
                        OptionalParameter<"::mlir::FloatAttr">:$theta,
                        OptionalParameter<"::mlir::FloatAttr">:$scalingFactor,
                        OptionalParameter<"::mlir::DenseF64ArrayAttr">:
                            $frequencies,
                        OptionalParameter<"::mlir::FloatAttr">:
                            $attentionFactor,
                        DefaultValuedParameter<"::mlir::moe::RoPEPairs",
                            "::mlir::moe::RoPEPairs::rotate_half">:$pairs);
  let builders = [
    AttrBuilder<(ins "int64_t":$headDim, "::mlir::FloatAttr":$theta,
                     "::mlir::FloatAttr":$scalingFactor), [{
      return $_get($_ctxt, headDim, theta, scalingFactor,
                   ::mlir::DenseF64ArrayAttr(), ::mlir::FloatAttr(),
                   ::mlir::moe::RoPEPairs::rotate_half);
    }]>
  ];
  // head_dim first, then the other parameters that are set, each as
  // `key = value`, in any order when parsed.
  let hasCustomAssemblyFormat = 1;
  let extraClassDeclaration = [{
    /// f_j for each pair j < head_dim / 2, in f64.
    ::llvm::SmallVector<double> getInverseFrequencies() const;
    /// The factor on cos and sin: attention_factor, else 1.
    double getCosSinFactor() const;
    /// The two values of a head that pair j turns, as offsets in the head.
    std::pair<int64_t, int64_t> getPairOffsets(int64_t j) const;
    bool isInterleaved() const {
      return getPairs() == ::mlir::moe::RoPEPairs::interleaved;
    }
  }];
  let genVerifyDecl = 1;
}

#endif // MOE_ATTRS_TD
