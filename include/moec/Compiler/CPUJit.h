//===- CPUJit.h - compile moe modules for the host and run them -*- C++ -*-===//
#ifndef MOEC_COMPILER_CPUJIT_H
#define MOEC_COMPILER_CPUJIT_H

#include "moec/Compiler/Compile.h"
#include "moec/Model/Status.h"
#include "moec/Runtime/MemRefABI.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace moec {

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
