//===- Config.h - A DeepSeek model's config.json ----------------*- C++ -*-===//
//
// The hyperparameters of a DeepSeek MoE checkpoint (reference sections 2, 7
// and 8), read from config.json with the defaults of the Hugging Face config
// class of its `model_type`, and checked so that the rest of the runtime can
// trust them.
//
// Keys that only attention uses are read and type-checked on loading, but
// their relations (heads dividing the hidden size, the RoPE variant) are
// checked by checkAttentionSupport(), which only code that compiles attention
// calls: a run of MLP blocks alone must not fail on them.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_MODEL_CONFIG_H
#define MOEC_MODEL_CONFIG_H

#include "moec/Support/Routing.h"
#include "moec/Support/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moec {

/// The three DeepSeek architectures (config `model_type`, reference §7).
enum class ModelType { Deepseek, DeepseekV2, DeepseekV3 };

/// The config.json spelling ("deepseek", "deepseek_v2", "deepseek_v3").
const char *modelTypeName(ModelType type);

/// How router logits become expert scores.
enum class ScoringFunc { Softmax, Sigmoid };

/// RoPE frequency scaling (`rope_scaling`, or `rope_parameters` in configs
/// written by transformers 5). Only the fields of `type` are meaningful.
struct RopeScaling {
  /// "default" when absent or null; otherwise the `type`/`rope_type` value
  /// as written ("linear", "yarn", "dynamic", ...).
  std::string type = "default";
  double factor = 1.0;
  // YaRN (reference §8); 0 when absent.
  int64_t original_max_position_embeddings = 0;
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  double mscale = 0.0;
  double mscale_all_dim = 0.0;
  /// YaRN's factor on cos and sin when given outright; 0 when absent.
  double attention_factor = 0.0;
  bool hasFactor = false;
};

/// The keys of config.json that inference needs. Field names follow the
/// JSON keys; the defaults below are the `deepseek` ones (remote-code
/// DeepseekConfig); other model types start from their own (see
/// parseModelConfig).
struct ModelConfig {
  ModelType model_type = ModelType::Deepseek;
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
  RopeScaling rope_scaling;
  double rms_norm_eps = 1e-6;
  int64_t vocab_size = 102400;
  int64_t max_position_embeddings = 2048;
  bool tie_word_embeddings = false;
  bool attention_bias = false;
  /// Multi-head latent attention (deepseek_v2/v3, reference §8); 0 for a
  /// null q_lora_rank (a plain q_proj).
  int64_t q_lora_rank = 0;
  int64_t kv_lora_rank = 512;
  int64_t qk_nope_head_dim = 128;
  int64_t qk_rope_head_dim = 64;
  int64_t v_head_dim = 128;
  /// MLA's rotary dimensions pair up interleaved, (x0, x1), (x2, x3), ...
  /// (reference section 8); `rope_interleave: false` (a transformers
  /// DeepseekV3Config key) pairs (x_j, x_{j + Dr/2}) instead.
  bool rope_interleave = true;
  /// Tokens that end generation (`eos_token_id`: one id, a list, or null).
  std::vector<int64_t> eos_token_id;
  /// `bos_token_id`, or -1 when null or absent.
  int64_t bos_token_id = -1;
  /// `dtype` (transformers 5) or `torch_dtype`; informational only, since
  /// each tensor states its own dtype. Empty when absent.
  std::string dtype;

  /// H / num_attention_heads (multi-head attention of `deepseek`).
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

/// Checks what compiling the model's attention needs: for `deepseek`, heads
/// that divide the hidden size and each other and an even head_dim; for
/// MLA, an even qk_rope_head_dim; for all, a supported RoPE variant
/// (default and linear; YaRN for MLA) and no attention bias. The message
/// names the key (and `fileName`, when given).
Status checkAttentionSupport(const ModelConfig &config,
                             const std::string &fileName = "config.json");

} // namespace moec

#endif // MOEC_MODEL_CONFIG_H
