//===- Rotary.h - the rotary embedding of MLA ------------------*- C++ -*-===//
//
// What a config's RoPE settings mean for MLA (reference section 8): the
// per-pair inverse frequencies of the qk_rope_head_dim rotary dimensions
// (default, linear or YaRN), the factor on cos and sin, and the softmax
// scale. Computed once per model, in f64; the compiler bakes them into the
// code.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_MODEL_ROTARY_H
#define MOEC_MODEL_ROTARY_H

#include "moec/Model/Config.h"

#include <vector>

namespace moec {

struct LatentRotary {
  /// theta_i for pair i < qk_rope_head_dim / 2.
  std::vector<double> inverseFrequencies;
  /// YaRN's attention factor on cos and sin; 1 otherwise.
  double cosSinFactor = 1.0;
};

/// The rotary embedding of `config`'s MLA (checkAttentionSupport must have
/// accepted its RoPE type).
LatentRotary latentRotary(const ModelConfig &config);

/// (qk_nope_head_dim + qk_rope_head_dim)^-1/2, times m^2 with
/// m = 0.1 mscale_all_dim ln(s) + 1 under YaRN with mscale_all_dim set and
/// a scaling factor s > 1.
double latentSoftmaxScale(const ModelConfig &config);

} // namespace moec

#endif // MOEC_MODEL_ROTARY_H
