//===- CPUTarget.h - the CPU that code is compiled for ---------*- C++ -*-===//
//
// One description of an x86-64 target: the LLVM CPU name and features the
// code generator gets, the vector registers the kernels are tiled for, and
// the features the runtime checks before it runs the code. `--cpu NAME` in
// the tools, moe-cpu-pipeline's defaults and the JIT all go through it, so
// code for an AVX2 machine can be built (and, where the host has AVX2,
// run) on an AVX-512 machine.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TARGET_CPUTARGET_H
#define MOEC_TARGET_CPUTARGET_H

#include "moec/Support/Status.h"
#include "moec/Target/KernelTiling.h"

#include <string>
#include <vector>

namespace moec {

struct CPUTarget {
  /// LLVM CPU name ("znver3", "x86-64-v3", "sapphirerapids", ...); for
  /// "host", the host's.
  std::string cpu;
  /// The LLVM features the code may use ("avx2", "fma", ...): for "host"
  /// those the host (and its OS) has, else those of the named CPU.
  std::vector<std::string> features;
  /// f32 lanes of the widest vector registers, and how many there are.
  int64_t vectorWidth = 4, vectorRegisters = 16;

  /// The target of an LLVM x86-64 CPU name, or "host". Errors list the
  /// valid names.
  static StatusOr<CPUTarget> lookup(const std::string &name);
  static CPUTarget host();

  bool has(const std::string &feature) const;
  /// "+avx2,+fma,..." for LLVM's code generator.
  std::string featureString() const;
  /// The features among checkedCPUFeatures() that the code may use,
  /// comma-separated: what a module records for the runtime to check.
  std::string requiredFeatures() const;
  /// An error naming what this host lacks to run code for this target.
  Status checkRunsOnHost() const;

  /// `requested` with its 0 fields replaced by this target's defaults: the
  /// largest register tiles whose accumulators, weight vectors and a
  /// broadcast fit the vector registers without spilling (checked by
  /// test/Target), sized by the sweeps in BENCHMARKS.md.
  ExpertKernelTiling tiling(const ExpertKernelTiling &requested) const;
};

} // namespace moec

#endif // MOEC_TARGET_CPUTARGET_H
