//===- MLPWeights.cpp - the weights of one decoder layer's MLP ------------===//
#include "moec/Runtime/MLPWeights.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace moec;

namespace {

/// A view of `t`, copied only if its data is not element-aligned (the
/// compiled code loads whole elements).
WeightOperand view(const TensorView &t) {
  WeightOperand op;
  op.dtype = t.dtype;
  op.shape = t.shape;
  size_t bytes = t.numElements() * dtypeSize(t.dtype);
  if (reinterpret_cast<uintptr_t>(t.data) % dtypeSize(t.dtype) == 0) {
    op.data = t.data;
    return op;
  }
  op.owned.resize(bytes);
  std::memcpy(op.owned.data(), t.data, bytes);
  op.data = op.owned.data();
  return op;
}

/// Stacks same-shaped tensors into one [N, ...] operand. Mixed dtypes are
/// widened to F32 so that one element type describes the whole stack.
WeightOperand stack(const std::vector<TensorView> &parts) {
  WeightOperand op;
  op.dtype = parts.front().dtype;
  for (const TensorView &t : parts)
    if (t.dtype != op.dtype)
      op.dtype = DType::F32;
  op.shape = parts.front().shape;
  op.shape.insert(op.shape.begin(), static_cast<int64_t>(parts.size()));
  size_t elems = parts.front().numElements();
  size_t partBytes = elems * dtypeSize(op.dtype);
  op.owned.resize(partBytes * parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    uint8_t *dst = op.owned.data() + i * partBytes;
    if (parts[i].dtype == op.dtype)
      std::memcpy(dst, parts[i].data, partBytes);
    else
      convertToFloat32(parts[i], reinterpret_cast<float *>(dst));
  }
  op.data = op.owned.data();
  return op;
}

} // namespace

std::vector<DType> MLPWeights::dtypes() const {
  std::vector<DType> result;
  for (const WeightOperand &op : operands)
    result.push_back(op.dtype);
  return result;
}

std::string moec::mlpSignature(const ModelConfig &c, int64_t layer,
                               const MLPWeights &weights) {
  std::string s = "{\"format\": \"moec-mlp-1\", \"hidden_size\": " +
                  std::to_string(c.hidden_size);
  if (c.isMoELayer(layer)) {
    RoutingConfig r = c.routing();
    char scale[32];
    std::snprintf(scale, sizeof scale, "%.17g", r.routedScalingFactor);
    s += ", \"kind\": \"moe\", \"scoring_func\": \"" +
         std::string(c.scoring_func == ScoringFunc::Sigmoid ? "sigmoid"
                                                            : "softmax") +
         "\", \"topk_method\": \"" + topkMethodName(r.method) +
         "\", \"num_experts_per_tok\": " + std::to_string(r.topK) +
         ", \"n_group\": " + std::to_string(r.nGroup) +
         ", \"topk_group\": " + std::to_string(r.topkGroup) +
         ", \"norm_topk_prob\": " + (r.normTopkProb ? "true" : "false") +
         ", \"routed_scaling_factor\": " + scale;
  } else {
    s += ", \"kind\": \"dense\"";
  }
  s += ", \"operands\": [";
  for (size_t i = 0; i < weights.operands.size(); ++i) {
    const WeightOperand &op = weights.operands[i];
    s += std::string(i ? ", " : "") + "{\"dtype\": \"" + dtypeName(op.dtype) +
         "\", \"shape\": [";
    for (size_t d = 0; d < op.shape.size(); ++d)
      s += (d ? ", " : "") + std::to_string(op.shape[d]);
    s += "]}";
  }
  return s + "]}";
}

StatusOr<int64_t> moec::parseLayerIndex(const std::string &text,
                                        const ModelConfig &config) {
  char *end = nullptr;
  long long layer = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0')
    return Status::error("--layer must be an integer, got '" + text + "'");
  if (layer < 0 || layer >= config.num_hidden_layers)
    return Status::error("layer " + text + " is out of range: the model has " +
                         std::to_string(config.num_hidden_layers) +
                         " layers (0.." +
                         std::to_string(config.num_hidden_layers - 1) + ")");
  return static_cast<int64_t>(layer);
}

StatusOr<MLPWeights> moec::loadMLPWeights(const Checkpoint &ckpt,
                                          const ModelConfig &config,
                                          int64_t layer) {
  const std::string prefix = "model.layers." + std::to_string(layer) + ".mlp.";
  const int64_t h = config.hidden_size;
  MLPWeights weights;
  weights.moe = config.isMoELayer(layer);

  // Adds the SwiGLU MLP at `name` (gate/up [width, H], down [H, width]).
  auto addMLP = [&](const std::string &name, int64_t width) -> Status {
    for (auto [proj, shape] : {std::pair<const char *, std::vector<int64_t>>{
                                   "gate_proj", {width, h}},
                               {"up_proj", {width, h}},
                               {"down_proj", {h, width}}}) {
      StatusOr<TensorView> t =
          ckpt.tensor(prefix + name + proj + ".weight", shape);
      if (!t.ok())
        return t.status();
      weights.operands.push_back(view(*t));
    }
    return Status();
  };

  if (!weights.moe) {
    Status s = addMLP("", config.intermediate_size);
    if (!s.ok())
      return s;
    return weights;
  }

  const int64_t experts = config.n_routed_experts;
  const int64_t width = config.moe_intermediate_size;
  StatusOr<TensorView> router =
      ckpt.tensor(prefix + "gate.weight", {experts, h});
  if (!router.ok())
    return router.status();
  weights.operands.push_back(view(*router));
  if (config.topk_method == TopkMethod::NoauxTC) {
    StatusOr<TensorView> bias =
        ckpt.tensor(prefix + "gate.e_score_correction_bias", {experts});
    if (!bias.ok())
      return bias.status();
    weights.operands.push_back(view(*bias));
  }
  for (auto [proj, shape] :
       {std::pair<const char *, std::vector<int64_t>>{"gate_proj", {width, h}},
        {"up_proj", {width, h}},
        {"down_proj", {h, width}}}) {
    std::vector<TensorView> parts;
    for (int64_t e = 0; e < experts; ++e) {
      StatusOr<TensorView> t = ckpt.tensor(
          prefix + "experts." + std::to_string(e) + "." + proj + ".weight",
          shape);
      if (!t.ok())
        return t.status();
      parts.push_back(*t);
    }
    weights.operands.push_back(stack(parts));
  }
  if (config.n_shared_experts > 0) {
    Status s = addMLP("shared_experts.", width * config.n_shared_experts);
    if (!s.ok())
      return s;
  }
  return weights;
}
