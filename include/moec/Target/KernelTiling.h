//===- KernelTiling.h - the tiling of moec's CPU kernels -------*- C++ -*-===//
#ifndef MOEC_TARGET_KERNELTILING_H
#define MOEC_TARGET_KERNELTILING_H

#include <cstdint>

namespace moec {

/// The register and cache tiling of the CPU kernels: the one description
/// that convert-moe-to-vector, moe-cpu-pipeline and the tools share. A field
/// of 0 asks for the target's value (CPUTarget::tiling).
struct ExpertKernelTiling {
  /// f32 lanes per vector, and outputs per weight panel (16 with AVX-512,
  /// 8 with AVX2).
  int64_t vectorWidth = 16;
  /// Activation rows per register tile.
  int64_t rows = 4;
  /// Weight panels (or, on the stored layout, weight rows) per register
  /// tile in the gate/up kernel (each with a gate and an up accumulator)
  /// and in the down kernel.
  int64_t gateUpCols = 2;
  int64_t downCols = 4;
  /// Outputs per parallel work item (cache block).
  int64_t gateUpBlock = 64;
  int64_t downBlock = 64;
};

} // namespace moec

#endif // MOEC_TARGET_KERNELTILING_H
