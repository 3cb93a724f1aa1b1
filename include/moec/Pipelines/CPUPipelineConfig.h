//===- CPUPipelineConfig.h - what moe-cpu-pipeline compiles for -*- C++ -*-===//
#ifndef MOEC_PIPELINES_CPUPIPELINECONFIG_H
#define MOEC_PIPELINES_CPUPIPELINECONFIG_H

#include "moec/Target/KernelTiling.h"

#include <string>

namespace moec {

/// The choices of moe-cpu-pipeline, as C++ values: what the textual
/// pipeline options (CPUPipelineOptions) parse into and what the compiler
/// (CompileOptions) and the tools set directly. MLIR-free, so that headers of
/// the runtime and the tools can carry it.
struct CPUPipelineConfig {
  /// The CPU to compile for: "host" or an LLVM x86-64 CPU name
  /// (CPUTarget::lookup). It sets the code generator's CPU and features,
  /// the kernels' default tiling, and the features an ahead-of-time module
  /// requires.
  std::string cpu = "host";
  /// Shared experts run as always-on experts inside the grouped expert op.
  bool foldSharedExperts = true;
  /// The fused, vectorised expert kernels; off: moec's unfused lowering.
  bool fuseExperts = true;
  /// Work items on all cores (OpenMP).
  bool parallel = true;
  /// moe.latent_attention: calls with at least this many new tokens expand
  /// keys and values from the compressed cache, the others (decode steps)
  /// attend to it with kv_b_proj absorbed; 0: always absorb, 1: always
  /// expand.
  int64_t latentExpandMinTokens = 128;
  /// The MLP ops take the GPU lowering (convert-moe-to-gpu) and its kernels
  /// run on the CPU one thread at a time (moe-gpu-launch-to-loops): slow,
  /// but it tests the GPU kernels' arithmetic where there is no GPU. The
  /// weights are read as stored.
  bool gpuKernelsOnCPU = false;
  /// Tiling of the kernels; 0 fields are the target's (CPUTarget::tiling).
  ExpertKernelTiling tiling{0, 0, 0, 0, 0, 0};
};

} // namespace moec

#endif // MOEC_PIPELINES_CPUPIPELINECONFIG_H
