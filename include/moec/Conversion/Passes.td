//===- Passes.td - moe conversion passes -------------------*- tablegen -*-===//
#ifndef MOEC_CONVERSION_PASSES_TD
#define MOEC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertMoEToLinalg : Pass<"convert-moe-to-linalg"> {
  let summary = "Lower moe ops to linalg on tensors and scalar routing loops";
  let description = [{
    Lowers every moe op (a remaining `moe.block` is decomposed first):

    * `moe.router_scores`, `moe.swiglu`, `moe.grouped_swiglu`, `moe.permute`,
      `moe.combine`, `moe.append_shared_experts` become `linalg.generic` ops
      on tensors (the grouped op: a loop over expert segments, each a slice
      of the sorted rows through that expert's SwiGLU);
    * `moe.topk` and `moe.dispatch` become scalar loop nests over buffers
      (`bufferization.to_buffer` / `to_tensor restrict`), since they are
      data-dependent and small.

    The result is ready for one-shot bufferization.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // MOEC_CONVERSION_PASSES_TD
