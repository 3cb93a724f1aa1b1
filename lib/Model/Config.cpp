//===- Config.cpp - A DeepSeekMoE model's config.json ---------------------===//
#include "moec/Model/Config.h"

#include "moec/Model/Json.h"

#include <cstdint>
#include <optional>

namespace moec {

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

/// The integers a key accepts.
enum class Range { Any, NonNegative, Positive };

/// Reads typed keys of the top-level object; the first mismatch is kept in
/// `error` and later reads are skipped, so the user sees one clear message.
class KeyReader {
public:
  KeyReader(const JsonValue &root, const std::string &file)
      : root(root), file(file) {}

  Status error;

  /// Records "<file>: <message>" unless an error is already recorded.
  void fail(const std::string &message) {
    if (error.ok())
      error = Status::error(file + ": " + message);
  }

  /// The value of `key`, or null when it is absent or an error was recorded.
  const JsonValue *get(const char *key) {
    return error.ok() ? root.find(key) : nullptr;
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
    } else if (v->isInteger() && v->getInt64() >= min) {
      out = v->getInt64();
    } else {
      const char *what = range == Range::Positive ? "a positive integer"
                         : range == Range::NonNegative
                             ? "a non-negative integer"
                             : "an integer";
      fail(std::string(key) + " must be " + what +
           (nullable ? " or null" : "") + ", got " + v->summary());
    }
  }

  void boolean(const char *key, bool &out) {
    if (const JsonValue *v = get(key)) {
      if (v->isBool())
        out = v->getBool();
      else
        fail(std::string(key) + " must be true or false, got " + v->summary());
    }
  }

  /// Reads a number; when `positive`, it must be > 0.
  void number(const char *key, double &out, bool positive) {
    if (const JsonValue *v = get(key)) {
      if (v->isNumber() && (!positive || v->getDouble() > 0))
        out = v->getDouble();
      else
        fail(std::string(key) + " must be a " + (positive ? "positive " : "") +
             "number, got " + v->summary());
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
        fail(std::string(key) + " must be a string" +
             (nullable ? " or null" : "") + ", got " + v->summary());
    }
  }

private:
  const JsonValue &root;
  const std::string &file;
};

/// Reads every key; type errors only. Relations are checked by validate().
void readKeys(KeyReader &r, ModelConfig &c) {
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

  std::string scoring = "softmax";
  r.string("scoring_func", scoring, false);
  if (scoring == "softmax")
    c.scoring_func = ScoringFunc::Softmax;
  else if (scoring == "sigmoid")
    c.scoring_func = ScoringFunc::Sigmoid;
  else
    r.fail("scoring_func must be \"softmax\" or \"sigmoid\", got " +
           JsonValue::makeString(scoring).summary());

  std::string method = "greedy";
  r.string("topk_method", method, false);
  if (auto m = parseTopkMethod(method))
    c.topk_method = *m;
  else
    r.fail("topk_method must be \"greedy\", \"group_limited_greedy\" or "
           "\"noaux_tc\", got " +
           JsonValue::makeString(method).summary());

  r.integer("n_group", c.n_group, Range::Any, true, 1);
  r.integer("topk_group", c.topk_group, Range::Any, true, 1);
  r.number("routed_scaling_factor", c.routed_scaling_factor, false);
  r.integer("num_hidden_layers", c.num_hidden_layers, Range::Positive, false);
  r.integer("num_attention_heads", c.num_attention_heads, Range::Positive,
            false);
  // HF: num_key_value_heads = None means one kv head per attention head.
  c.num_key_value_heads = 0;
  r.integer("num_key_value_heads", c.num_key_value_heads, Range::Positive, true,
            0);
  if (c.num_key_value_heads == 0)
    c.num_key_value_heads = c.num_attention_heads;
  r.number("rope_theta", c.rope_theta, true);
  r.number("rms_norm_eps", c.rms_norm_eps, true);
  r.integer("vocab_size", c.vocab_size, Range::Positive, false);
  r.integer("max_position_embeddings", c.max_position_embeddings,
            Range::Positive, false);
  r.boolean("tie_word_embeddings", c.tie_word_embeddings);
  r.string("torch_dtype", c.torch_dtype, true);

  // Keys with a single supported value: anything else would change the
  // model's meaning, so it must not be silently ignored.
  if (const JsonValue *v = r.get("rope_scaling"); v && !v->isNull())
    r.fail("rope_scaling is not supported (only null), got " + v->summary());
  std::string act = "silu";
  r.string("hidden_act", act, false);
  if (act != "silu")
    r.fail("hidden_act " + JsonValue::makeString(act).summary() +
           " is not supported; only \"silu\" is");
  bool bias = false;
  r.boolean("attention_bias", bias);
  if (bias)
    r.fail("attention_bias = true is not supported; only false is");
}

/// Checks the relations between keys.
void validate(KeyReader &r, ModelConfig &c) {
  auto str = [](int64_t v) { return std::to_string(v); };
  if (c.hidden_size % c.num_attention_heads != 0)
    return r.fail("hidden_size = " + str(c.hidden_size) +
                  " is not divisible by num_attention_heads = " +
                  str(c.num_attention_heads));
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    return r.fail("num_attention_heads = " + str(c.num_attention_heads) +
                  " is not divisible by num_key_value_heads = " +
                  str(c.num_key_value_heads));
  // Rotary embeddings rotate the pairs (x_j, x_{j + head_dim / 2}).
  if (c.headDim() % 2 != 0)
    return r.fail("head_dim = hidden_size / num_attention_heads = " +
                  str(c.headDim()) + " must be even for rotary embeddings");

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
  ModelConfig config;
  KeyReader reader(root, file);
  readKeys(reader, config);
  if (reader.error.ok())
    validate(reader, config);
  if (!reader.error.ok())
    return reader.error;
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

} // namespace moec
