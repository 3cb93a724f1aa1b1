//===- Rotary.cpp - the rotary embedding of MLA ---------------------------===//
#include "moec/Model/Rotary.h"

#include <algorithm>
#include <cmath>

using namespace moec;

namespace {

/// YaRN's scaling factor s: `factor`, else the ratio of the context to the
/// original one.
double yarnFactor(const ModelConfig &c) {
  const RopeScaling &rope = c.rope_scaling;
  if (rope.hasFactor)
    return rope.factor;
  return static_cast<double>(c.max_position_embeddings) /
         static_cast<double>(rope.original_max_position_embeddings);
}

/// g(s, m) of reference section 8.
double yarnMscale(double s, double m) {
  return s <= 1 ? 1.0 : 0.1 * m * std::log(s) + 1.0;
}

} // namespace

LatentRotary moec::latentRotary(const ModelConfig &c) {
  const RopeScaling &rope = c.rope_scaling;
  const int64_t d = c.qk_rope_head_dim;
  const double base = c.rope_theta;
  LatentRotary result;
  for (int64_t i = 0; i < d / 2; ++i)
    result.inverseFrequencies.push_back(
        std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(d)));
  if (rope.type == "linear") {
    for (double &f : result.inverseFrequencies)
      f /= rope.factor;
    return result;
  }
  if (rope.type != "yarn")
    return result;

  // Pairs below `low` turn as trained (extrapolation), above `high` as
  // interpolated by s, with a linear ramp between.
  const double s = yarnFactor(c);
  const double originalContext =
      static_cast<double>(rope.original_max_position_embeddings);
  auto correction = [&](double rotations) {
    return static_cast<double>(d) *
           std::log(originalContext / (2 * M_PI * rotations)) /
           (2 * std::log(base));
  };
  const double low = std::max(std::floor(correction(rope.beta_fast)), 0.0);
  double high = std::min(std::ceil(correction(rope.beta_slow)),
                         static_cast<double>(d - 1));
  if (low == high)
    high += 0.001;
  for (int64_t i = 0; i < d / 2; ++i) {
    const double ramp =
        std::clamp((static_cast<double>(i) - low) / (high - low), 0.0, 1.0);
    double &f = result.inverseFrequencies[static_cast<size_t>(i)];
    f = f / s * ramp + f * (1 - ramp);
  }
  if (rope.attention_factor > 0)
    result.cosSinFactor = rope.attention_factor;
  else if (rope.mscale != 0 && rope.mscale_all_dim != 0)
    result.cosSinFactor =
        yarnMscale(s, rope.mscale) / yarnMscale(s, rope.mscale_all_dim);
  else
    result.cosSinFactor = yarnMscale(s, 1.0);
  return result;
}

double moec::latentSoftmaxScale(const ModelConfig &c) {
  double scale =
      1.0 /
      std::sqrt(static_cast<double>(c.qk_nope_head_dim + c.qk_rope_head_dim));
  const RopeScaling &rope = c.rope_scaling;
  if (rope.type == "yarn" && rope.mscale_all_dim != 0) {
    const double m = yarnMscale(yarnFactor(c), rope.mscale_all_dim);
    scale *= m * m;
  }
  return scale;
}
