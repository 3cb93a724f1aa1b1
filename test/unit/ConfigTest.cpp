//===- ConfigTest.cpp - reading and checking config.json ------------------===//
#include "moec/Model/Config.h"
#include "moec/Model/Rotary.h"

#include "TempDirTest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <sys/stat.h>

using namespace moec;
using ::testing::HasSubstr;

namespace {

/// A fresh directory holding one config.json, removed afterwards.
class ConfigTest : public TempDirTest {
protected:
  /// Loads `json` as config.json; a `deepseek` model_type is added when it
  /// names none.
  StatusOr<ModelConfig> load(std::string json) {
    if (json.find("\"model_type\"") == std::string::npos &&
        json.rfind("{", 0) == 0)
      json.insert(1, json.size() > 2 ? "\"model_type\": \"deepseek\", "
                                     : "\"model_type\": \"deepseek\"");
    std::ofstream(dir + "/config.json") << json;
    return loadModelConfig(dir);
  }
  /// checkAttentionSupport's message for a config that loads.
  std::string attentionError(const std::string &json) {
    Status s = checkAttentionSupport(loadOk(json), "config.json");
    EXPECT_FALSE(s.ok()) << "attention accepted: " << json;
    std::string prefix = "config.json: ";
    EXPECT_EQ(s.message().rfind(prefix, 0), 0u) << s.message();
    return s.message().substr(std::min(prefix.size(), s.message().size()));
  }
  ModelConfig loadOk(const std::string &json) {
    StatusOr<ModelConfig> c = load(json);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? *c : ModelConfig();
  }
  /// Loads `json`, expects failure, and returns the message with the
  /// "<dir>/config.json: " prefix checked and removed.
  std::string loadError(const std::string &json) {
    StatusOr<ModelConfig> c = load(json);
    EXPECT_FALSE(c.ok()) << "accepted: " << json;
    if (c.ok())
      return "";
    std::string prefix = dir + "/config.json: ";
    const std::string &msg = c.status().message();
    EXPECT_EQ(msg.rfind(prefix, 0), 0u) << msg;
    return msg.substr(std::min(prefix.size(), msg.size()));
  }
};

// deepseek-ai/deepseek-moe-16b-base's config.json (reference section 2).
const char *const kDeepSeek16B = R"({
  "architectures": ["DeepseekForCausalLM"],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "aux_loss_alpha": 0.001,
  "bos_token_id": 100000,
  "eos_token_id": 100001,
  "first_k_dense_replace": 1,
  "hidden_act": "silu",
  "hidden_size": 2048,
  "initializer_range": 0.02,
  "intermediate_size": 10944,
  "max_position_embeddings": 4096,
  "model_type": "deepseek",
  "moe_intermediate_size": 1408,
  "moe_layer_freq": 1,
  "n_routed_experts": 64,
  "n_shared_experts": 2,
  "norm_topk_prob": false,
  "num_attention_heads": 16,
  "num_experts_per_tok": 6,
  "num_hidden_layers": 28,
  "num_key_value_heads": 16,
  "pretraining_tp": 1,
  "rms_norm_eps": 1e-06,
  "rope_scaling": null,
  "rope_theta": 10000,
  "scoring_func": "softmax",
  "seq_aux": true,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.36.0",
  "use_cache": true,
  "vocab_size": 102400
})";

TEST_F(ConfigTest, DefaultsAreHuggingFaces) {
  ModelConfig c = loadOk("{}");
  EXPECT_EQ(c.vocab_size, 102400);
  EXPECT_EQ(c.hidden_size, 4096);
  EXPECT_EQ(c.intermediate_size, 11008);
  EXPECT_EQ(c.moe_intermediate_size, 1407);
  EXPECT_EQ(c.num_hidden_layers, 30);
  EXPECT_EQ(c.num_attention_heads, 32);
  EXPECT_EQ(c.num_key_value_heads, 32);
  EXPECT_EQ(c.n_shared_experts, 0);
  EXPECT_EQ(c.n_routed_experts, 0);
  EXPECT_EQ(c.num_experts_per_tok, 0);
  EXPECT_EQ(c.moe_layer_freq, 1);
  EXPECT_EQ(c.first_k_dense_replace, 0);
  EXPECT_FALSE(c.norm_topk_prob);
  EXPECT_EQ(c.scoring_func, ScoringFunc::Softmax);
  EXPECT_EQ(c.topk_method, TopkMethod::Greedy);
  EXPECT_EQ(c.n_group, 1);
  EXPECT_EQ(c.topk_group, 1);
  EXPECT_EQ(c.routed_scaling_factor, 1.0);
  EXPECT_EQ(c.max_position_embeddings, 2048);
  EXPECT_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.rope_theta, 10000.0);
  EXPECT_EQ(c.dtype, "");
  EXPECT_EQ(c.rope_scaling.type, "default");
  EXPECT_EQ(c.eos_token_id, std::vector<int64_t>{100001});
  EXPECT_EQ(c.bos_token_id, 100000);
  EXPECT_EQ(c.headDim(), 128);
  EXPECT_TRUE(checkAttentionSupport(c).ok());
  for (int64_t layer = 0; layer < c.num_hidden_layers; ++layer)
    EXPECT_FALSE(c.isMoELayer(layer)) << layer;
}

TEST_F(ConfigTest, DeepSeekMoE16B) {
  ModelConfig c = loadOk(kDeepSeek16B);
  EXPECT_EQ(c.hidden_size, 2048);
  EXPECT_EQ(c.intermediate_size, 10944);
  EXPECT_EQ(c.moe_intermediate_size, 1408);
  EXPECT_EQ(c.n_routed_experts, 64);
  EXPECT_EQ(c.n_shared_experts, 2);
  EXPECT_EQ(c.num_experts_per_tok, 6);
  EXPECT_EQ(c.first_k_dense_replace, 1);
  EXPECT_EQ(c.num_hidden_layers, 28);
  EXPECT_EQ(c.num_attention_heads, 16);
  EXPECT_EQ(c.num_key_value_heads, 16);
  EXPECT_EQ(c.headDim(), 128);
  EXPECT_EQ(c.max_position_embeddings, 4096);
  EXPECT_EQ(c.dtype, "bfloat16");
  EXPECT_EQ(c.eos_token_id, std::vector<int64_t>{100001});
  EXPECT_TRUE(checkAttentionSupport(c).ok());
  EXPECT_FALSE(c.isMoELayer(0));
  for (int64_t layer = 1; layer < 28; ++layer)
    EXPECT_TRUE(c.isMoELayer(layer)) << layer;

  RoutingConfig r = c.routing();
  EXPECT_EQ(r.method, TopkMethod::Greedy);
  EXPECT_EQ(r.numExperts, 64);
  EXPECT_EQ(r.topK, 6);
  EXPECT_EQ(r.nGroup, 1);
  EXPECT_EQ(r.topkGroup, 1);
  EXPECT_FALSE(r.normTopkProb);
  EXPECT_EQ(r.routedScalingFactor, 1.0);
  EXPECT_FALSE(r.hasCorrectionBias);
}

TEST_F(ConfigTest, MoELayerFrequency) {
  ModelConfig c = loadOk(R"({"n_routed_experts": 8, "num_experts_per_tok": 2,
      "first_k_dense_replace": 1, "moe_layer_freq": 2,
      "num_hidden_layers": 6})");
  std::vector<bool> moe;
  for (int64_t layer = 0; layer < 6; ++layer)
    moe.push_back(c.isMoELayer(layer));
  EXPECT_EQ(moe, std::vector<bool>({false, false, true, false, true, false}));
}

TEST_F(ConfigTest, NullsMeanTheDefault) {
  ModelConfig c = loadOk(R"({"n_routed_experts": null, "n_shared_experts":
      null, "num_experts_per_tok": null, "num_key_value_heads": null,
      "num_attention_heads": 8, "n_group": null, "topk_group": null,
      "torch_dtype": null, "rope_scaling": null, "rope_parameters": null})");
  EXPECT_EQ(c.n_routed_experts, 0);
  EXPECT_EQ(c.n_shared_experts, 0);
  EXPECT_EQ(c.num_key_value_heads, 8);
  EXPECT_EQ(c.n_group, 1);
  EXPECT_EQ(c.topk_group, 1);
  EXPECT_EQ(loadOk(R"({"n_shared_experts": 0})").n_shared_experts, 0);
}

TEST_F(ConfigTest, GreedyIgnoresGroups) {
  ModelConfig c = loadOk(R"({"n_routed_experts": 64, "num_experts_per_tok":
      6, "n_group": 8, "topk_group": 3})");
  EXPECT_EQ(c.n_group, 1);
  EXPECT_EQ(c.topk_group, 1);
}

TEST_F(ConfigTest, LaterRoutingVariants) {
  ModelConfig v2 = loadOk(R"({"n_routed_experts": 160, "num_experts_per_tok":
      6, "topk_method": "group_limited_greedy", "n_group": 8, "topk_group":
      3, "routed_scaling_factor": 16.0, "num_key_value_heads": 8})");
  EXPECT_EQ(v2.topk_method, TopkMethod::GroupLimitedGreedy);
  EXPECT_EQ(v2.n_group, 8);
  EXPECT_EQ(v2.topk_group, 3);
  EXPECT_EQ(v2.routed_scaling_factor, 16.0);
  EXPECT_EQ(v2.num_key_value_heads, 8);
  EXPECT_FALSE(v2.routing().hasCorrectionBias);

  ModelConfig v3 = loadOk(R"({"n_routed_experts": 256, "num_experts_per_tok":
      8, "topk_method": "noaux_tc", "scoring_func": "sigmoid", "n_group": 8,
      "topk_group": 4, "norm_topk_prob": true, "routed_scaling_factor": 2.5})");
  EXPECT_EQ(v3.scoring_func, ScoringFunc::Sigmoid);
  RoutingConfig r = v3.routing();
  EXPECT_EQ(r.method, TopkMethod::NoauxTC);
  EXPECT_TRUE(r.hasCorrectionBias);
  EXPECT_TRUE(r.normTopkProb);
  EXPECT_EQ(r.routedScalingFactor, 2.5);
}

TEST_F(ConfigTest, WrongTypesNameTheKey) {
  const std::pair<const char *, const char *> cases[] = {
      {R"({"hidden_size": "abc"})",
       "hidden_size must be a positive integer, got \"abc\""},
      {R"({"hidden_size": 0})",
       "hidden_size must be a positive integer, got 0"},
      {R"({"hidden_size": 2048.0})",
       "hidden_size must be a positive integer, got 2048.0"},
      {R"({"intermediate_size": -1})", "intermediate_size must be a positive"},
      {R"({"moe_intermediate_size": null})",
       "moe_intermediate_size must be a positive integer, got null"},
      {R"({"n_routed_experts": 0})",
       "n_routed_experts must be a positive integer or null, got 0"},
      {R"({"n_shared_experts": -1})",
       "n_shared_experts must be a non-negative integer or null, got -1"},
      {R"({"num_experts_per_tok": true})",
       "num_experts_per_tok must be a positive integer or null, got true"},
      {R"({"first_k_dense_replace": -1})",
       "first_k_dense_replace must be a non-negative integer, got -1"},
      {R"({"moe_layer_freq": 0})", "moe_layer_freq must be a positive"},
      {R"({"norm_topk_prob": "false"})",
       "norm_topk_prob must be true or false, got \"false\""},
      {R"({"scoring_func": "relu"})",
       "scoring_func must be \"softmax\" or \"sigmoid\", got \"relu\""},
      {R"({"scoring_func": 1})", "scoring_func must be a string, got 1"},
      {R"({"topk_method": "topk"})",
       "topk_method must be \"greedy\", \"group_limited_greedy\" or "
       "\"noaux_tc\", got \"topk\""},
      {R"({"n_group": "8"})", "n_group must be an integer or null, got \"8\""},
      {R"({"topk_group": 1.5})", "topk_group must be an integer or null"},
      {R"({"routed_scaling_factor": "2"})",
       "routed_scaling_factor must be a number, got \"2\""},
      {R"({"num_hidden_layers": [28]})",
       "num_hidden_layers must be a positive integer, got [...]"},
      {R"({"num_attention_heads": {}})",
       "num_attention_heads must be a positive integer, got {...}"},
      {R"({"num_key_value_heads": 0})",
       "num_key_value_heads must be a positive integer or null, got 0"},
      {R"({"rope_theta": 0})", "rope_theta must be a positive number, got 0"},
      {R"({"rms_norm_eps": "1e-6"})",
       "rms_norm_eps must be a positive number, got \"1e-6\""},
      {R"({"vocab_size": 1e5})",
       "vocab_size must be a positive integer, got 1e5"},
      {R"({"max_position_embeddings": null})",
       "max_position_embeddings must be a positive integer, got null"},
      {R"({"tie_word_embeddings": 0})",
       "tie_word_embeddings must be true or false, got 0"},
      {R"({"torch_dtype": 16})", "torch_dtype must be a string or null"},
      {R"({"dtype": [16]})", "dtype must be a string or null"},
      {R"({"rope_scaling": "linear"})",
       "rope_scaling must be an object or null, got \"linear\""},
      {R"({"rope_scaling": {"type": "linear", "factor": -2}})",
       "rope_scaling.factor must be a positive number, got -2"},
      {R"({"rope_parameters": {"rope_theta": "1e4"}})",
       "rope_parameters.rope_theta must be a positive number, got \"1e4\""},
      {R"({"hidden_act": "gelu"})",
       "hidden_act \"gelu\" is not supported; only \"silu\" is"},
      {R"({"hidden_act": null})", "hidden_act must be a string, got null"},
      {R"({"attention_bias": "no"})", "attention_bias must be true or false"},
      {R"({"eos_token_id": "2"})",
       "eos_token_id must be a token id, a list of token ids or null, got "
       "\"2\""},
      {R"({"eos_token_id": [1, -2]})",
       "eos_token_id must list non-negative integers, got element -2"},
      {R"({"q_lora_rank": 0})",
       "q_lora_rank must be a positive integer or null, got 0"},
      // Sizes that would overflow the products moec forms from them.
      {R"({"n_shared_experts": 576460752303423489})",
       "n_shared_experts = 576460752303423489 is larger than any model's; "
       "moec accepts at most 2147483647"},
      {R"({"hidden_size": 2147483648})",
       "hidden_size = 2147483648 is larger than any model's"},
      {R"({"rope_scaling": {"type": "yarn", "factor": 4,
           "original_max_position_embeddings": 9223372036854775807}})",
       "rope_scaling.original_max_position_embeddings = 9223372036854775807 "
       "is larger than any model's"},
  };
  for (const auto &[json, message] : cases)
    EXPECT_THAT(loadError(json), HasSubstr(message)) << json;
}

// Attention keys are only checked where attention is compiled: MLP blocks
// of the same config still load.
TEST_F(ConfigTest, AttentionKeysAreCheckedSeparately) {
  EXPECT_EQ(
      attentionError(R"({"hidden_size": 2048, "num_attention_heads": 15})"),
      "hidden_size = 2048 is not divisible by num_attention_heads = 15");
  EXPECT_EQ(attentionError(R"({"num_attention_heads": 16,
      "num_key_value_heads": 6})"),
            "num_attention_heads = 16 is not divisible by "
            "num_key_value_heads = 6");
  EXPECT_EQ(attentionError(R"({"hidden_size": 48, "num_attention_heads": 16})"),
            "head_dim = hidden_size / num_attention_heads = 3 must be even for "
            "rotary embeddings");
  EXPECT_EQ(attentionError(R"({"attention_bias": true})"),
            "attention_bias = true is not supported; only false is");
  EXPECT_EQ(attentionError(R"({"rope_scaling": {"type": "dynamic",
      "factor": 2.0}})"),
            "RoPE scaling of type \"dynamic\" is not supported for "
            "model_type deepseek (only \"default\" and \"linear\")");
  EXPECT_EQ(attentionError(R"({"rope_scaling": {"type": "linear"}})"),
            "linear RoPE scaling needs a factor");
}

TEST_F(ConfigTest, LatentAttentionSupport) {
  const std::string v2 =
      R"("model_type": "deepseek_v2", "num_experts_per_tok": 2)";
  EXPECT_EQ(attentionError("{" + v2 + R"(, "qk_rope_head_dim": 7})"),
            "qk_rope_head_dim = 7 must be even for rotary embeddings");
  EXPECT_EQ(attentionError("{" + v2 + R"(, "attention_bias": true})"),
            "attention_bias = true is not supported; only false is");
  EXPECT_EQ(attentionError("{" + v2 + R"(, "rope_scaling": {"type": "yarn",
      "factor": 4}})"),
            "YaRN RoPE scaling needs original_max_position_embeddings");
  EXPECT_EQ(attentionError("{" + v2 + R"(, "rope_scaling": {"type":
      "longrope", "factor": 4}})"),
            "RoPE scaling of type \"longrope\" is not supported for "
            "model_type deepseek_v2 (only \"default\", \"linear\" and "
            "\"yarn\")");
  // Multi-head attention has no YaRN.
  EXPECT_EQ(attentionError(R"({"rope_scaling": {"type": "yarn", "factor": 4,
      "original_max_position_embeddings": 64}})"),
            "RoPE scaling of type \"yarn\" is not supported for "
            "model_type deepseek (only \"default\" and \"linear\")");
  EXPECT_TRUE(loadOk("{" + v2 + "}").rope_interleave);
  EXPECT_FALSE(
      loadOk("{" + v2 + R"(, "rope_interleave": false})").rope_interleave);
}

// DeepSeek-V2-Lite's YaRN (factor 40 over 4096 positions, mscale = mscale_all
// _dim = 0.707), against the float64 reference of test/e2e/reference.py.
TEST_F(ConfigTest, LatentRotaryYaRN) {
  ModelConfig c = loadOk(R"({"model_type": "deepseek_v2",
      "num_experts_per_tok": 6, "qk_nope_head_dim": 128,
      "qk_rope_head_dim": 64, "max_position_embeddings": 163840,
      "rope_theta": 10000, "rope_scaling": {"type": "yarn", "factor": 40,
      "original_max_position_embeddings": 4096, "beta_fast": 32,
      "beta_slow": 1, "mscale": 0.707, "mscale_all_dim": 0.707}})");
  LatentRotary r = latentRotary(c);
  ASSERT_EQ(r.inverseFrequencies.size(), 32u);
  // Pairs below the ramp (corr(32) = 10.47) keep theta^(-2i/d); pairs above
  // it (corr(1) = 22.5) are divided by the factor; between, a blend.
  EXPECT_DOUBLE_EQ(r.inverseFrequencies[0], 1.0);
  EXPECT_NEAR(r.inverseFrequencies[10], 0.05623413251903491, 1e-15);
  EXPECT_NEAR(r.inverseFrequencies[20], 0.0007905694150420946, 1e-17);
  EXPECT_NEAR(r.inverseFrequencies[31], 3.3338035804083097e-06, 1e-19);
  EXPECT_DOUBLE_EQ(r.cosSinFactor, 1.0); // g(40, 0.707) / g(40, 0.707)
  EXPECT_NEAR(latentSoftmaxScale(c), 0.11472138679292611, 1e-15);

  // Without mscale_all_dim: cos/sin carry g(s, 1), the scale stays plain.
  c.rope_scaling.mscale = 1.0;
  c.rope_scaling.mscale_all_dim = 0.0;
  EXPECT_NEAR(latentRotary(c).cosSinFactor, 1.3688879454113936, 1e-15);
  EXPECT_NEAR(latentSoftmaxScale(c), 0.07216878364870322, 1e-16);
  // attention_factor, when given, is the factor.
  c.rope_scaling.attention_factor = 0.5;
  EXPECT_EQ(latentRotary(c).cosSinFactor, 0.5);
  // No factor: s = max_position_embeddings / original.
  c.rope_scaling.hasFactor = false;
  c.max_position_embeddings = 4096 * 40;
  EXPECT_NEAR(latentRotary(c).inverseFrequencies[31], 3.3338035804083097e-06,
              1e-19);
}

TEST_F(ConfigTest, RopeSpellings) {
  ModelConfig old = loadOk(R"({"rope_theta": 500000, "rope_scaling":
      {"type": "linear", "factor": 4.0}})");
  EXPECT_EQ(old.rope_theta, 500000.0);
  EXPECT_EQ(old.rope_scaling.type, "linear");
  EXPECT_EQ(old.rope_scaling.factor, 4.0);
  EXPECT_TRUE(checkAttentionSupport(old).ok());

  // transformers 5: rope_parameters, whose rope_theta wins.
  ModelConfig v5 = loadOk(R"({"rope_theta": 1, "rope_parameters":
      {"rope_theta": 20000.0, "rope_type": "default"}})");
  EXPECT_EQ(v5.rope_theta, 20000.0);
  EXPECT_EQ(v5.rope_scaling.type, "default");
  EXPECT_TRUE(checkAttentionSupport(v5).ok());

  ModelConfig yarn = loadOk(R"({"model_type": "deepseek_v2",
      "rope_parameters": {"rope_theta": 10000.0, "rope_type": "yarn",
      "factor": 40, "original_max_position_embeddings": 4096,
      "beta_fast": 32, "beta_slow": 1, "mscale": 0.707,
      "mscale_all_dim": 0.707}, "num_experts_per_tok": 6})");
  EXPECT_EQ(yarn.rope_scaling.type, "yarn");
  EXPECT_EQ(yarn.rope_scaling.factor, 40.0);
  EXPECT_EQ(yarn.rope_scaling.original_max_position_embeddings, 4096);
  EXPECT_EQ(yarn.rope_scaling.mscale_all_dim, 0.707);
  EXPECT_TRUE(checkAttentionSupport(yarn).ok());

  EXPECT_EQ(loadOk(R"({"dtype": "float32", "torch_dtype": "bfloat16"})").dtype,
            "float32");
  EXPECT_EQ(loadOk(R"({"eos_token_id": [7, 9]})").eos_token_id,
            (std::vector<int64_t>{7, 9}));
  EXPECT_TRUE(loadOk(R"({"eos_token_id": null})").eos_token_id.empty());
}

TEST_F(ConfigTest, ModelTypes) {
  EXPECT_EQ(loadError(R"({"model_type": "llama"})"),
            "model_type \"llama\" is not supported; moec runs \"deepseek\", "
            "\"deepseek_v2\" and \"deepseek_v3\" models");
  StatusOr<ModelConfig> untyped = parseModelConfig("{}", "c.json");
  ASSERT_FALSE(untyped.ok());
  EXPECT_THAT(untyped.status().message(), HasSubstr("model_type is missing"));

  // A config as transformers 5 writes it for DeepseekV3Config: no
  // scoring_func or topk_method (V3 always uses sigmoid + noaux_tc), and
  // num_key_value_heads = 128 with 4 heads, which MLA never reads.
  ModelConfig v3 = loadOk(R"({"model_type": "deepseek_v3",
      "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 128,
      "n_routed_experts": 8, "num_experts_per_tok": 2, "n_group": 2,
      "topk_group": 1, "first_k_dense_replace": 1, "num_hidden_layers": 2,
      "dtype": "bfloat16"})");
  EXPECT_EQ(v3.model_type, ModelType::DeepseekV3);
  EXPECT_EQ(v3.scoring_func, ScoringFunc::Sigmoid);
  EXPECT_EQ(v3.topk_method, TopkMethod::NoauxTC);
  EXPECT_TRUE(v3.norm_topk_prob);
  EXPECT_EQ(v3.routed_scaling_factor, 2.5);
  EXPECT_EQ(v3.n_shared_experts, 1);
  EXPECT_TRUE(v3.routing().hasCorrectionBias);
  EXPECT_TRUE(v3.isMoELayer(1));
  // MLA reads no num_key_value_heads.
  EXPECT_TRUE(checkAttentionSupport(v3).ok());

  ModelConfig v3Defaults = loadOk(R"({"model_type": "deepseek_v3"})");
  EXPECT_EQ(v3Defaults.n_routed_experts, 256);
  EXPECT_EQ(v3Defaults.num_experts_per_tok, 8);
  EXPECT_EQ(v3Defaults.n_group, 8);
  EXPECT_EQ(v3Defaults.topk_group, 4);
  EXPECT_EQ(v3Defaults.first_k_dense_replace, 3);
  EXPECT_EQ(v3Defaults.q_lora_rank, 1536);
  EXPECT_EQ(v3Defaults.vocab_size, 129280);
  EXPECT_EQ(loadError(R"({"model_type": "deepseek_v3", "scoring_func":
      "softmax"})"),
            "model_type deepseek_v3 always routes with scoring_func "
            "\"sigmoid\" and topk_method \"noaux_tc\", but the config says "
            "\"softmax\" and \"noaux_tc\"");

  // V2 reads its routing keys; softmax and greedy when absent.
  ModelConfig v2 = loadOk(R"({"model_type": "deepseek_v2",
      "num_experts_per_tok": 6, "q_lora_rank": null, "kv_lora_rank": 512})");
  EXPECT_EQ(v2.scoring_func, ScoringFunc::Softmax);
  EXPECT_EQ(v2.topk_method, TopkMethod::Greedy);
  EXPECT_EQ(v2.n_routed_experts, 64);
  EXPECT_EQ(v2.n_shared_experts, 2);
  EXPECT_EQ(v2.q_lora_rank, 0);
  EXPECT_TRUE(checkAttentionSupport(v2).ok());
  EXPECT_THAT(loadError(R"({"model_type": "deepseek_v2",
      "num_experts_per_tok": 6, "topk_method": "noaux_tc"})"),
              HasSubstr("model_type deepseek_v2 routes with softmax scores"));
}

TEST_F(ConfigTest, InvalidRouting) {
  EXPECT_EQ(loadError(R"({"n_routed_experts": 64})"),
            "num_experts_per_tok is required when n_routed_experts is set");
  EXPECT_EQ(loadError(R"({"n_routed_experts": 64, "num_experts_per_tok":
      65})"),
            "top_k = 65 selects more experts than the 64 there are");
  EXPECT_EQ(loadError(R"({"n_routed_experts": 64, "num_experts_per_tok": 6,
      "topk_method": "group_limited_greedy", "n_group": 7, "topk_group":
      3})"),
            "n_group = 7 does not divide the 64 experts into equal groups");
  EXPECT_THAT(loadError(R"({"n_routed_experts": 64, "num_experts_per_tok": 6,
      "topk_method": "noaux_tc", "n_group": 8, "topk_group": 9})"),
              HasSubstr("topk_group = 9 must be between 1 and n_group = 8"));
  // Without routed experts the routing keys describe nothing to check.
  EXPECT_TRUE(load(R"({"num_experts_per_tok": 65})").ok());
}

TEST_F(ConfigTest, UnreadableFiles) {
  StatusOr<ModelConfig> missing = loadModelConfig(dir);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(),
              HasSubstr("cannot open " + dir + "/config.json"));

  EXPECT_EQ(loadError("{\"model_type\": \"deepseek\",}"),
            "line 1, column 27 (byte 26): expected a string key, got '}'");
  EXPECT_EQ(loadError("[1]"), "expected a JSON object, got [...]");

  // A config.json that is a FIFO or a link to a device is refused at once
  // (a FIFO would otherwise block the open, /dev/zero never end).
  std::string path = dir + "/config.json";
  std::filesystem::remove(path);
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  EXPECT_EQ(loadModelConfig(dir).status().message(),
            path + " is a FIFO, not a regular file");
  std::filesystem::remove(path);
  std::filesystem::create_symlink("/dev/zero", path);
  EXPECT_EQ(loadModelConfig(dir).status().message(),
            path + " is a character device, not a regular file");
}

} // namespace
