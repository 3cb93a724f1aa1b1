//===- Config.h - A DeepSeekMoE model's config.json -------------*- C++ -*-===//
//
// The hyperparameters of a DeepSeekMoE checkpoint (reference section 2), read
// from config.json with the defaults of Hugging Face's DeepseekConfig, and
// checked so that the rest of the runtime can trust them.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_MODEL_CONFIG_H
#define MOEC_MODEL_CONFIG_H

#include "moec/Model/Status.h"
#include "moec/Support/Routing.h"

#include <cstdint>
#include <string>

namespace moec {

/// How router logits become expert scores.
enum class ScoringFunc { Softmax, Sigmoid };

/// The keys of config.json that inference needs. Field names follow the
/// JSON keys; defaults are those used when a key is absent.
struct ModelConfig {
  int64_t hidden_size = 4096;
  int64_t intermediate_size = 11008;
  int64_t moe_intermediate_size = 1407;
  /// 0 when the key is null or absent: no layer is MoE.
  int64_t n_routed_experts = 0;
  /// 0 when null, 0 or absent: MoE layers have no shared MLP.
  int64_t n_shared_experts = 0;
  /// Experts per token (k); required when n_routed_experts is set.
  int64_t num_experts_per_tok = 0;
  int64_t first_k_dense_replace = 0;
  int64_t moe_layer_freq = 1;
  bool norm_topk_prob = false;
  ScoringFunc scoring_func = ScoringFunc::Softmax;
  TopkMethod topk_method = TopkMethod::Greedy;
  /// Both 1 for greedy routing, which uses no groups.
  int64_t n_group = 1;
  int64_t topk_group = 1;
  double routed_scaling_factor = 1.0;
  int64_t num_hidden_layers = 30;
  int64_t num_attention_heads = 32;
  /// Equal to num_attention_heads when null or absent.
  int64_t num_key_value_heads = 32;
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-6;
  int64_t vocab_size = 102400;
  int64_t max_position_embeddings = 2048;
  bool tie_word_embeddings = false;
  /// Informational only ("bfloat16", ...); each tensor states its own dtype.
  /// Empty when absent.
  std::string torch_dtype;
  // rope_scaling (only null), hidden_act (only "silu") and attention_bias
  // (only false) are checked on loading and need no field.

  /// H / num_attention_heads.
  int64_t headDim() const { return hidden_size / num_attention_heads; }
  /// Whether decoder layer `layer` has an MoE block rather than a dense MLP.
  bool isMoELayer(int64_t layer) const;
  /// The routing of the MoE layers; only meaningful if n_routed_experts > 0.
  RoutingConfig routing() const;
};

/// Reads and validates `<modelDir>/config.json`. Errors name the file and
/// the offending key.
StatusOr<ModelConfig> loadModelConfig(const std::string &modelDir);

/// Parses and validates the text of a config.json; errors start with
/// `fileName`. loadModelConfig applies this to the file's contents.
StatusOr<ModelConfig> parseModelConfig(const std::string &jsonText,
                                       const std::string &fileName);

} // namespace moec

#endif // MOEC_MODEL_CONFIG_H
