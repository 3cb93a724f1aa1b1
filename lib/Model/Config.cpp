//===- Config.cpp - A DeepSeek model's config.json ------------------------===//
#include "moec/Model/Config.h"

#include "moec/Support/Json.h"

#include <cstdint>
#include <functional>
#include <optional>

namespace moec {

const char *modelTypeName(ModelType type) {
  switch (type) {
  case ModelType::Deepseek:
    return "deepseek";
  case ModelType::DeepseekV2:
    return "deepseek_v2";
  case ModelType::DeepseekV3:
    return "deepseek_v3";
  }
  return "unknown";
}

bool ModelConfig::isMoELayer(int64_t layer) const {
  return n_routed_experts > 0 && layer >= first_k_dense_replace &&
         layer % moe_layer_freq == 0;
}

RoutingConfig ModelConfig::routing() const {
  RoutingConfig r;
  r.method = topk_method;
  r.numExperts = n_routed_experts;
  r.topK = num_experts_per_tok;
  r.nGroup = n_group;
  r.topkGroup = topk_group;
  r.normTopkProb = norm_topk_prob;
  r.routedScalingFactor = routed_scaling_factor;
  r.hasCorrectionBias = topk_method == TopkMethod::NoauxTC;
  return r;
}

namespace {

/// The defaults of a model type's Hugging Face config class: the remote
/// code's DeepseekConfig for `deepseek`, transformers' DeepseekV2Config and
/// DeepseekV3Config for the others (what configs written by transformers
/// leave out is what these classes fill in).
ModelConfig defaultsFor(ModelType type) {
  ModelConfig c;
  c.model_type = type;
  switch (type) {
  case ModelType::Deepseek:
    c.bos_token_id = 100000;
    c.eos_token_id = {100001};
    break;
  case ModelType::DeepseekV2:
    c.num_hidden_layers = 32;
    c.n_routed_experts = 64;
    c.n_shared_experts = 2;
    c.q_lora_rank = 1536;
    c.bos_token_id = 1;
    c.eos_token_id = {2};
    break;
  case ModelType::DeepseekV3:
    c.vocab_size = 129280;
    c.hidden_size = 7168;
    c.intermediate_size = 18432;
    c.moe_intermediate_size = 2048;
    c.num_hidden_layers = 61;
    c.num_attention_heads = 128;
    c.n_shared_experts = 1;
    c.n_routed_experts = 256;
    c.routed_scaling_factor = 2.5;
    c.q_lora_rank = 1536;
    c.n_group = 8;
    c.topk_group = 4;
    c.num_experts_per_tok = 8;
    c.first_k_dense_replace = 3;
    c.norm_topk_prob = true;
    c.max_position_embeddings = 4096;
    // Reference §7: V3 routing is always sigmoid scores with noaux_tc.
    c.scoring_func = ScoringFunc::Sigmoid;
    c.topk_method = TopkMethod::NoauxTC;
    c.bos_token_id = 0;
    c.eos_token_id = {1};
    break;
  }
  return c;
}

/// The integers a key accepts.
enum class Range { Any, NonNegative, Positive };

/// The largest integer a size key may hold (2^31 - 1): token ids are int32,
/// and DeepSeek-V3's largest size is 163840.
constexpr int64_t kMaxConfigInteger = INT32_MAX;

/// Reads typed keys of one JSON object; the first mismatch is kept in
/// `error` and later reads are skipped, so the user sees one clear message.
class KeyReader {
public:
  /// `prefix` names the object in messages ("rope_scaling." for a nested
  /// one, empty for the top level).
  KeyReader(const JsonValue &root, const std::string &file, Status &error,
            std::string prefix = "")
      : error(error), root(root), file(file), prefix(std::move(prefix)) {}

  /// Records "<file>: <message>" unless an error is already recorded.
  void fail(const std::string &message) {
    if (error.ok())
      error = Status::error(file + ": " + message);
  }

  /// The value of `key`, or null when it is absent or an error was recorded.
  const JsonValue *get(const char *key) {
    return error.ok() ? root.find(key) : nullptr;
  }

  /// Whether `key` is present and not null.
  bool has(const char *key) {
    const JsonValue *v = get(key);
    return v && !v->isNull();
  }

  /// Reads an integer in `range`. A JSON null gives `nullValue` when
  /// `nullable`; an absent key leaves `out` alone.
  void integer(const char *key, int64_t &out, Range range, bool nullable,
               int64_t nullValue = 0) {
    const JsonValue *v = get(key);
    if (!v)
      return;
    int64_t min = range == Range::Positive      ? 1
                  : range == Range::NonNegative ? 0
                                                : INT64_MIN;
    if (nullable && v->isNull()) {
      out = nullValue;
    } else if (v->isInteger() && v->getInt64() > kMaxConfigInteger) {
      // Sizes multiply into buffer sizes: bounding each factor keeps every
      // product moec forms far from overflowing 64 bits.
      fail(name(key) + " = " + std::to_string(v->getInt64()) +
           " is larger than any model's; moec accepts at most " +
           std::to_string(kMaxConfigInteger));
    } else if (v->isInteger() && v->getInt64() >= min) {
      out = v->getInt64();
    } else {
      const char *what = range == Range::Positive ? "a positive integer"
                         : range == Range::NonNegative
                             ? "a non-negative integer"
                             : "an integer";
      fail(name(key) + " must be " + what + (nullable ? " or null" : "") +
           ", got " + v->summary());
    }
  }

  void boolean(const char *key, bool &out) {
    if (const JsonValue *v = get(key)) {
      if (v->isBool())
        out = v->getBool();
      else
        fail(name(key) + " must be true or false, got " + v->summary());
    }
  }

  /// Reads a number; when `positive`, it must be > 0. A JSON null leaves
  /// `out` alone when `nullable`.
  void number(const char *key, double &out, bool positive,
              bool nullable = false) {
    if (const JsonValue *v = get(key)) {
      if (nullable && v->isNull())
        return;
      if (v->isNumber() && (!positive || v->getDouble() > 0))
        out = v->getDouble();
      else
        fail(name(key) + " must be a " + (positive ? "positive " : "") +
             "number" + (nullable ? " or null" : "") + ", got " + v->summary());
    }
  }

  /// Reads a string; a JSON null reads as "" when `nullable`.
  void string(const char *key, std::string &out, bool nullable) {
    if (const JsonValue *v = get(key)) {
      if (v->isString())
        out = v->getString();
      else if (nullable && v->isNull())
        out.clear();
      else
        fail(name(key) + " must be a string" + (nullable ? " or null" : "") +
             ", got " + v->summary());
    }
  }

  /// Reads token ids: one non-negative integer, a list of them, or null
  /// (no id).
  void tokenIds(const char *key, std::vector<int64_t> &out) {
    const JsonValue *v = get(key);
    if (!v)
      return;
    out.clear();
    if (v->isNull())
      return;
    if (v->isInteger() && v->getInt64() >= 0) {
      out.push_back(v->getInt64());
      return;
    }
    if (v->isArray()) {
      for (const JsonValue &e : v->getArray()) {
        if (!e.isInteger() || e.getInt64() < 0)
          return fail(name(key) +
                      " must list non-negative integers, got element " +
                      e.summary());
        out.push_back(e.getInt64());
      }
      return;
    }
    fail(name(key) + " must be a token id, a list of token ids or null, got " +
         v->summary());
  }

  std::string name(const char *key) const { return prefix + key; }

  /// The first error, shared by the readers of nested objects.
  Status &error;

private:
  const JsonValue &root;
  const std::string &file;
  std::string prefix;
};

/// Reads `rope_parameters` (transformers 5) or `rope_theta` + `rope_scaling`
/// (the original spelling). Only types and values are checked here; which
/// RoPE variants moec implements is checkAttentionSupport's business.
void readRope(KeyReader &r, ModelConfig &c, const std::string &file,
              Status &error) {
  r.number("rope_theta", c.rope_theta, true);
  const char *key = r.has("rope_parameters") ? "rope_parameters"
                    : r.has("rope_scaling")  ? "rope_scaling"
                                             : nullptr;
  if (!key)
    return;
  const JsonValue *v = r.get(key);
  if (!v->isObject())
    return r.fail(std::string(key) + " must be an object or null, got " +
                  v->summary());
  KeyReader s(*v, file, error, std::string(key) + ".");
  RopeScaling &rope = c.rope_scaling;
  if (std::string(key) == "rope_parameters")
    s.number("rope_theta", c.rope_theta, true);
  // transformers writes `rope_type`; older configs `type`.
  s.string(s.has("rope_type") ? "rope_type" : "type", rope.type, true);
  if (rope.type.empty())
    rope.type = "default";
  if (s.has("factor")) {
    s.number("factor", rope.factor, true);
    rope.hasFactor = true;
  }
  s.integer("original_max_position_embeddings",
            rope.original_max_position_embeddings, Range::Positive, true);
  s.number("beta_fast", rope.beta_fast, true, true);
  s.number("beta_slow", rope.beta_slow, true, true);
  s.number("mscale", rope.mscale, false, true);
  s.number("mscale_all_dim", rope.mscale_all_dim, false, true);
  s.number("attention_factor", rope.attention_factor, true, true);
}

/// Reads `scoring_func` and `topk_method`, which only `deepseek` and
/// `deepseek_v2` read from the config; `deepseek_v3` always routes with
/// sigmoid + noaux_tc, and a config that says otherwise contradicts it.
void readRoutingMethod(KeyReader &r, ModelConfig &c) {
  std::string scoring =
      c.scoring_func == ScoringFunc::Sigmoid ? "sigmoid" : "softmax";
  r.string("scoring_func", scoring, false);
  std::string method = topkMethodName(c.topk_method);
  r.string("topk_method", method, false);
  if (!r.error.ok())
    return;

  if (scoring == "softmax")
    c.scoring_func = ScoringFunc::Softmax;
  else if (scoring == "sigmoid")
    c.scoring_func = ScoringFunc::Sigmoid;
  else
    return r.fail("scoring_func must be \"softmax\" or \"sigmoid\", got " +
                  JsonValue::makeString(scoring).summary());
  if (auto m = parseTopkMethod(method))
    c.topk_method = *m;
  else
    return r.fail("topk_method must be \"greedy\", \"group_limited_greedy\" "
                  "or \"noaux_tc\", got " +
                  JsonValue::makeString(method).summary());

  const std::string type = modelTypeName(c.model_type);
  if (c.model_type == ModelType::DeepseekV3 &&
      (c.scoring_func != ScoringFunc::Sigmoid ||
       c.topk_method != TopkMethod::NoauxTC))
    r.fail("model_type " + type +
           " always routes with scoring_func \"sigmoid\" and topk_method "
           "\"noaux_tc\", but the config says \"" +
           scoring + "\" and \"" + method + "\"");
  else if (c.model_type == ModelType::DeepseekV2 &&
           (c.scoring_func != ScoringFunc::Softmax ||
            c.topk_method == TopkMethod::NoauxTC))
    r.fail("model_type " + type +
           " routes with softmax scores and greedy or group_limited_greedy "
           "selection, but the config says \"" +
           scoring + "\" and \"" + method + "\"");
}

/// Reads every key; type errors only. Relations are checked by validate().
void readKeys(KeyReader &r, ModelConfig &c, const std::string &file,
              Status &error) {
  r.integer("hidden_size", c.hidden_size, Range::Positive, false);
  r.integer("intermediate_size", c.intermediate_size, Range::Positive, false);
  r.integer("moe_intermediate_size", c.moe_intermediate_size, Range::Positive,
            false);
  r.integer("n_routed_experts", c.n_routed_experts, Range::Positive, true);
  r.integer("n_shared_experts", c.n_shared_experts, Range::NonNegative, true);
  r.integer("num_experts_per_tok", c.num_experts_per_tok, Range::Positive,
            true);
  r.integer("first_k_dense_replace", c.first_k_dense_replace,
            Range::NonNegative, false);
  r.integer("moe_layer_freq", c.moe_layer_freq, Range::Positive, false);
  r.boolean("norm_topk_prob", c.norm_topk_prob);
  readRoutingMethod(r, c);
  r.integer("n_group", c.n_group, Range::Any, true, 1);
  r.integer("topk_group", c.topk_group, Range::Any, true, 1);
  r.number("routed_scaling_factor", c.routed_scaling_factor, false);
  r.integer("num_hidden_layers", c.num_hidden_layers, Range::Positive, false);
  r.integer("num_attention_heads", c.num_attention_heads, Range::Positive,
            false);
  // HF: num_key_value_heads = None means one kv head per attention head.
  int64_t kvHeads = 0;
  r.integer("num_key_value_heads", kvHeads, Range::Positive, true, 0);
  c.num_key_value_heads = kvHeads > 0 ? kvHeads : c.num_attention_heads;
  readRope(r, c, file, error);
  r.number("rms_norm_eps", c.rms_norm_eps, true);
  r.integer("vocab_size", c.vocab_size, Range::Positive, false);
  r.integer("max_position_embeddings", c.max_position_embeddings,
            Range::Positive, false);
  r.boolean("tie_word_embeddings", c.tie_word_embeddings);
  r.boolean("attention_bias", c.attention_bias);
  r.integer("q_lora_rank", c.q_lora_rank, Range::Positive, true, 0);
  r.integer("kv_lora_rank", c.kv_lora_rank, Range::Positive, false);
  r.integer("qk_nope_head_dim", c.qk_nope_head_dim, Range::Positive, false);
  r.integer("qk_rope_head_dim", c.qk_rope_head_dim, Range::Positive, false);
  r.integer("v_head_dim", c.v_head_dim, Range::Positive, false);
  r.boolean("rope_interleave", c.rope_interleave);
  r.tokenIds("eos_token_id", c.eos_token_id);
  std::vector<int64_t> bos{c.bos_token_id};
  r.tokenIds("bos_token_id", bos);
  c.bos_token_id = bos.size() == 1 ? bos[0] : -1;
  // transformers 5 writes `dtype`; earlier versions `torch_dtype`.
  r.string(r.get("dtype") ? "dtype" : "torch_dtype", c.dtype, true);

  // The MLP's activation: anything else would change the model's meaning,
  // so it must not be silently ignored.
  std::string act = "silu";
  r.string("hidden_act", act, false);
  if (act != "silu")
    r.fail("hidden_act " + JsonValue::makeString(act).summary() +
           " is not supported; only \"silu\" is");
}

/// Checks the relations between the keys the MLP blocks use.
void validate(KeyReader &r, ModelConfig &c) {
  if (c.topk_method == TopkMethod::Greedy)
    c.n_group = c.topk_group = 1;
  if (c.n_routed_experts == 0)
    return;
  if (c.num_experts_per_tok == 0)
    return r.fail("num_experts_per_tok is required when n_routed_experts is "
                  "set");
  if (std::optional<std::string> message = checkRoutingConfig(c.routing()))
    r.fail(*message);
}

StatusOr<ModelConfig> configFromJson(const JsonValue &root,
                                     const std::string &file) {
  if (!root.isObject())
    return Status::error(file + ": expected a JSON object, got " +
                         root.summary());
  const JsonValue *type = root.find("model_type");
  if (!type)
    return Status::error(file + ": model_type is missing; moec runs "
                                "\"deepseek\", \"deepseek_v2\" and "
                                "\"deepseek_v3\" models");
  std::optional<ModelType> modelType;
  for (ModelType t :
       {ModelType::Deepseek, ModelType::DeepseekV2, ModelType::DeepseekV3})
    if (type->isString() && type->getString() == modelTypeName(t))
      modelType = t;
  if (!modelType)
    return Status::error(file + ": model_type " + type->summary() +
                         " is not supported; moec runs \"deepseek\", "
                         "\"deepseek_v2\" and \"deepseek_v3\" models");

  ModelConfig config = defaultsFor(*modelType);
  Status error;
  KeyReader reader(root, file, error);
  readKeys(reader, config, file, error);
  if (error.ok())
    validate(reader, config);
  if (!error.ok())
    return error;
  return config;
}

} // namespace

StatusOr<ModelConfig> parseModelConfig(const std::string &jsonText,
                                       const std::string &fileName) {
  StatusOr<JsonValue> root = parseJson(jsonText);
  if (!root.ok())
    return Status::error(fileName + ": " + root.status().message());
  return configFromJson(*root, fileName);
}

StatusOr<ModelConfig> loadModelConfig(const std::string &modelDir) {
  std::string path = modelDir + "/config.json";
  StatusOr<JsonValue> root = parseJsonFile(path);
  if (!root.ok())
    return root.status();
  return configFromJson(*root, path);
}

namespace {

using Fail = std::function<Status(const std::string &)>;

/// The RoPE variants moec implements: default and linear, and YaRN for
/// multi-head latent attention (reference section 8).
Status checkRopeScaling(const ModelConfig &c, bool latent, const Fail &fail) {
  const RopeScaling &rope = c.rope_scaling;
  if (rope.type == "default")
    return Status();
  if (rope.type == "linear") {
    if (!rope.hasFactor)
      return fail("linear RoPE scaling needs a factor");
    return Status();
  }
  if (rope.type == "yarn" && latent) {
    if (rope.original_max_position_embeddings <= 0)
      return fail("YaRN RoPE scaling needs original_max_position_embeddings");
    return Status();
  }
  return fail("RoPE scaling of type \"" + rope.type +
              "\" is not supported for model_type " +
              modelTypeName(c.model_type) +
              (latent ? " (only \"default\", \"linear\" and \"yarn\")"
                      : " (only \"default\" and \"linear\")"));
}

/// What multi-head latent attention needs of the config.
Status checkLatentAttention(const ModelConfig &c, const Fail &fail) {
  if (c.attention_bias)
    return fail("attention_bias = true is not supported; only false is");
  if (c.qk_rope_head_dim % 2 != 0)
    return fail("qk_rope_head_dim = " + std::to_string(c.qk_rope_head_dim) +
                " must be even for rotary embeddings");
  return checkRopeScaling(c, /*latent=*/true, fail);
}

} // namespace

Status checkAttentionSupport(const ModelConfig &c,
                             const std::string &fileName) {
  auto fail = [&](const std::string &message) {
    return Status::error(fileName + ": " + message);
  };
  auto str = [](int64_t v) { return std::to_string(v); };
  if (c.model_type != ModelType::Deepseek)
    return checkLatentAttention(c, fail);
  if (c.attention_bias)
    return fail("attention_bias = true is not supported; only false is");
  if (c.hidden_size % c.num_attention_heads != 0)
    return fail("hidden_size = " + str(c.hidden_size) +
                " is not divisible by num_attention_heads = " +
                str(c.num_attention_heads));
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    return fail("num_attention_heads = " + str(c.num_attention_heads) +
                " is not divisible by num_key_value_heads = " +
                str(c.num_key_value_heads));
  // Rotary embeddings rotate the pairs (x_j, x_{j + head_dim / 2}).
  if (c.headDim() % 2 != 0)
    return fail("head_dim = hidden_size / num_attention_heads = " +
                str(c.headDim()) + " must be even for rotary embeddings");
  return checkRopeScaling(c, /*latent=*/false, fail);
}

} // namespace moec
