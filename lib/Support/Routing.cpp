//===- Routing.cpp - DeepSeekMoE routing rules ----------------------------===//
#include "moec/Support/Routing.h"

#include <cmath>

namespace moec {

const char *topkMethodName(TopkMethod method) {
  switch (method) {
  case TopkMethod::Greedy:
    return "greedy";
  case TopkMethod::GroupLimitedGreedy:
    return "group_limited_greedy";
  case TopkMethod::NoauxTC:
    return "noaux_tc";
  }
  return "unknown";
}

std::optional<TopkMethod> parseTopkMethod(const std::string &name) {
  for (TopkMethod m : {TopkMethod::Greedy, TopkMethod::GroupLimitedGreedy,
                       TopkMethod::NoauxTC})
    if (name == topkMethodName(m))
      return m;
  return std::nullopt;
}

std::optional<std::string> checkRoutingConfig(const RoutingConfig &c) {
  auto str = [](auto v) { return std::to_string(v); };
  const std::string method = topkMethodName(c.method);
  if (c.numExperts < 1)
    return "routing needs at least one expert, got " + str(c.numExperts);
  if (c.topK < 1)
    return "top_k must be at least 1, got " + str(c.topK);
  if (c.topK > c.numExperts)
    return "top_k = " + str(c.topK) + " selects more experts than the " +
           str(c.numExperts) + " there are";
  if (!std::isfinite(c.routedScalingFactor))
    return "routed_scaling_factor must be finite";

  bool grouped = c.method != TopkMethod::Greedy;
  if (!grouped && (c.nGroup != 1 || c.topkGroup != 1))
    return "greedy routing uses no expert groups, but n_group = " +
           str(c.nGroup) + " and topk_group = " + str(c.topkGroup);
  if (c.nGroup < 1)
    return "n_group must be at least 1, got " + str(c.nGroup);
  if (c.numExperts % c.nGroup != 0)
    return "n_group = " + str(c.nGroup) + " does not divide the " +
           str(c.numExperts) + " experts into equal groups";
  if (c.topkGroup < 1 || c.topkGroup > c.nGroup)
    return "topk_group = " + str(c.topkGroup) +
           " must be between 1 and n_group = " + str(c.nGroup);

  bool noaux = c.method == TopkMethod::NoauxTC;
  if (noaux && !c.hasCorrectionBias)
    return "noaux_tc routing needs the e_score_correction_bias";
  if (!noaux && c.hasCorrectionBias)
    return method + " routing takes no correction bias; only noaux_tc does";
  if (noaux) {
    int64_t groupSize = c.numExperts / c.nGroup;
    // Experts outside the kept groups have choice -inf; selecting one of them
    // would give it an arbitrary, nonzero weight.
    if (c.topK > c.topkGroup * groupSize)
      return "noaux_tc selects top_k = " + str(c.topK) +
             " experts but the topk_group = " + str(c.topkGroup) +
             " kept groups hold only " + str(c.topkGroup * groupSize);
    if (c.topkGroup < c.nGroup && groupSize < 2)
      return "noaux_tc scores a group by its 2 largest choices, but each "
             "group has only 1 expert";
  }
  return std::nullopt;
}

std::optional<Dispatch> dispatchByExpert(const std::vector<int32_t> &indices,
                                         int64_t numExperts) {
  Dispatch d;
  d.offsets.assign(numExperts + 1, 0);
  for (int32_t e : indices) {
    if (e < 0 || e >= numExperts)
      return std::nullopt;
    ++d.offsets[e + 1];
  }
  for (int64_t e = 0; e < numExperts; ++e)
    d.offsets[e + 1] += d.offsets[e];
  std::vector<int32_t> next(d.offsets.begin(), d.offsets.end() - 1);
  d.permutation.resize(indices.size());
  for (size_t p = 0; p < indices.size(); ++p)
    d.permutation[next[indices[p]]++] = static_cast<int32_t>(p);
  return d;
}

} // namespace moec
