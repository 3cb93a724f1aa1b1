//===- MoEAttrs.td - moe enums --------------*- tablegen -*-===//
#ifndef MOE_ATTRS_TD
#define MOE_ATTRS_TD

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

#endif // MOE_ATTRS_TD
