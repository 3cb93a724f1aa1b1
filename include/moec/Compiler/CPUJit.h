//===- CPUJit.h - compile moe modules for the host and run them -*- C++ -*-===//
#ifndef MOEC_COMPILER_CPUJIT_H
#define MOEC_COMPILER_CPUJIT_H

#include "moec/Model/Status.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace moec {

/// A strided memref argument: element-aligned data with a row-major shape.
struct BufferArg {
  const void *data = nullptr;
  std::vector<int64_t> shape;
};

/// How a module is compiled (see moe-cpu-pipeline's options).
struct CompileOptions {
  bool foldSharedExperts = true;
  /// The fused, vectorised expert kernels; off: moec's unfused lowering.
  bool fuseExperts = true;
  /// Work items on all cores (OpenMP).
  bool parallel = true;
  /// f32 vector lanes of the expert kernels; 0: the host's.
  int64_t vectorWidth = 0;
};

/// A module lowered by moe-cpu-pipeline and JIT-compiled for this CPU.
class CPUJit {
public:
  /// Lowers `module` (moe ops on tensors) to LLVM, optimises it for the host
  /// and compiles it. Diagnostics are returned in the Status message.
  static StatusOr<std::unique_ptr<CPUJit>>
  compile(mlir::ModuleOp module, const CompileOptions &options);
  ~CPUJit();

  /// Calls `function(args...) -> tensor<?x?xf32>` through its C interface
  /// and copies the [rows, cols] f32 result into `out`.
  Status callMatrixFunction(const std::string &function,
                            const std::vector<BufferArg> &args,
                            std::vector<int64_t> &outShape,
                            std::vector<float> &out);

private:
  explicit CPUJit(std::unique_ptr<mlir::ExecutionEngine> engine);
  std::unique_ptr<mlir::ExecutionEngine> engine;
};

} // namespace moec

#endif // MOEC_COMPILER_CPUJIT_H
