//===- GPUPipeline.h - moe ops to NVVM, PTX and cubins ---------*- C++ -*-===//
#ifndef MOEC_PIPELINES_GPUPIPELINE_H
#define MOEC_PIPELINES_GPUPIPELINE_H

#include "moec/Support/Status.h"

#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace moec {

/// What moe-gpu-pipeline compiles for.
struct GPUPipelineConfig {
  /// The NVIDIA GPU architecture: sm_80, sm_86, sm_89, sm_90 or sm_90a.
  std::string chip = "sm_90";
  /// The kernels' form inside gpu.binary: isa (PTX text), bin (a cubin,
  /// from ptxas) or fatbin.
  std::string format = "bin";
  /// The CUDA toolkit whose ptxas and libdevice are used (the one found
  /// when moec was configured, by default).
  std::string toolkit = MOEC_CUDA_TOOLKIT;

  /// The LLVM NVPTX features for `chip` (the PTX ISA version), or an error
  /// naming the supported chips.
  StatusOr<std::string> features() const;
};

/// The textual options of `moe-gpu-pipeline`.
struct GPUPipelineOptions : mlir::PassPipelineOptions<GPUPipelineOptions> {
  Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("NVIDIA GPU architecture: sm_80, sm_86, sm_89, sm_90 "
                     "or sm_90a"),
      llvm::cl::init("sm_90")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Kernel binary format: isa (PTX), bin (cubin) or "
                     "fatbin"),
      llvm::cl::init("bin")};
  Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit directory (ptxas, libdevice)"),
      llvm::cl::init(MOEC_CUDA_TOOLKIT)};
  GPUPipelineConfig config() const { return {chip, format, toolkit}; }
};

/// moe ops of an MLP layer on tensors -> host code in the LLVM dialect that
/// launches kernels compiled into a gpu.binary: decompose and fuse, lower
/// to kernels (convert-moe-to-gpu), bufferize with device buffers, outline
/// the kernels into one gpu.module, lower it to NVVM and serialize it for
/// `config.chip`, lower the host side to calls of the mgpu* runtime
/// functions, and add the packed entry points.
void buildGPUPipeline(mlir::OpPassManager &pm, const GPUPipelineConfig &config);

} // namespace moec

#endif // MOEC_PIPELINES_GPUPIPELINE_H
