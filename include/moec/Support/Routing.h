//===- Routing.h - DeepSeekMoE routing rules, without MLIR -----*- C++ -*-===//
//
// The rules that a routing configuration must satisfy and the dispatch
// (counting sort by expert) in plain C++, so that the dialect's verifiers and
// folders, the checkpoint loader and the runtime all share one definition.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_SUPPORT_ROUTING_H
#define MOEC_SUPPORT_ROUTING_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace moec {

enum class TopkMethod { Greedy, GroupLimitedGreedy, NoauxTC };

/// Returns the config.json spelling of `method` ("greedy", ...).
const char *topkMethodName(TopkMethod method);
/// Parses a config.json `topk_method` value.
std::optional<TopkMethod> parseTopkMethod(const std::string &name);

/// How the experts of a token are chosen and weighted (reference section 4).
struct RoutingConfig {
  TopkMethod method = TopkMethod::Greedy;
  int64_t numExperts = 0;
  int64_t topK = 0;
  int64_t nGroup = 1;
  int64_t topkGroup = 1;
  bool normTopkProb = false;
  double routedScalingFactor = 1.0;
  bool hasCorrectionBias = false;
};

/// Returns a message naming the first rule `config` breaks, or nothing if it
/// is a configuration that the reference defines.
std::optional<std::string> checkRoutingConfig(const RoutingConfig &config);

/// The sorted, dropless grouping of T*k (token, slot) pairs by expert.
struct Dispatch {
  /// offsets[e]..offsets[e+1] are the sorted rows of expert e; size E + 1.
  std::vector<int32_t> offsets;
  /// permutation[r] = t * k + j of sorted row r; size T * k.
  std::vector<int32_t> permutation;
};

/// Stable counting sort of `indices` (T*k expert ids, row-major [T, k]) over
/// `numExperts` experts. Returns nothing if an index is outside
/// [0, numExperts).
std::optional<Dispatch> dispatchByExpert(const std::vector<int32_t> &indices,
                                         int64_t numExperts);

} // namespace moec

#endif // MOEC_SUPPORT_ROUTING_H
