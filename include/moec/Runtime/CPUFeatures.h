//===- CPUFeatures.h - what compiled code needs of the CPU -----*- C++ -*-===//
//
// An ahead-of-time module lists the x86 features its code uses (by their
// LLVM names), and the runtime refuses to run it on a CPU that lacks one,
// instead of dying of an illegal instruction. The check reads cpuid and
// the registers the OS saves (xgetbv), so a CPU whose OS does not enable
// AVX-512 state counts as lacking AVX-512.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_CPUFEATURES_H
#define MOEC_RUNTIME_CPUFEATURES_H

#include "moec/Support/Status.h"

#include <string>
#include <vector>

namespace moec {

/// The symbol of an ahead-of-time module that lists the features its code
/// needs, comma-separated (a null-terminated string).
inline constexpr const char *kCPUFeaturesSymbol = "moec_cpu_features";

/// The features the runtime can check, by their LLVM names ("avx2", "fma",
/// "avx512f", ...): the ones a module lists are those among these that its
/// target enables.
const std::vector<std::string> &checkedCPUFeatures();

/// Whether this CPU, with its OS, runs code that uses LLVM feature `name`
/// (false for a name not in checkedCPUFeatures()).
bool hostHasCPUFeature(const std::string &name);

/// An error naming the features of the comma-separated `required` that this
/// CPU lacks, for code built for `what`; ok if it has them all.
Status checkHostCPUFeatures(const std::string &required,
                            const std::string &what);

} // namespace moec

#endif // MOEC_RUNTIME_CPUFEATURES_H
