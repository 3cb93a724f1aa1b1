//===- Baselines.h - what moe-bench measures moec against ------*- C++ -*-===//
#ifndef MOEC_TOOLS_MOEBENCH_BASELINES_H
#define MOEC_TOOLS_MOEBENCH_BASELINES_H

#include <functional>
#include <string>

namespace moec::bench {

/// The median wall time of `repeats` calls of `fn`, after one warm-up call
/// (page-in, caches, thread pool).
double medianSeconds(int repeats, const std::function<void()> &fn);

/// Read bandwidth (bytes per second) of all cores summing disjoint parts of
/// a 1 GiB buffer: what a weight-streaming decode step can hope for.
double readBandwidth();

/// Copy bandwidth (bytes copied per second) of all cores copying disjoint
/// parts of a 1 GiB buffer.
double copyBandwidth();

/// The path of the baseline script `name` (torch_moe.py, ...): installed
/// beside moe-bench (PREFIX/share/moec/moe-bench), else in the source tree
/// moe-bench was built from.
std::string baselineScript(const std::string &name);

} // namespace moec::bench

#endif // MOEC_TOOLS_MOEBENCH_BASELINES_H
