//===- ModuleSpec.cpp - what a compiled module takes ----------------------===//
#include "moec/Runtime/ModuleSpec.h"

#include "moec/Support/Json.h"

#include <cstdio>

using namespace moec;

std::vector<int64_t> PanelLayout::packedShape() const {
  return {matrices, (rows + panel - 1) / panel, (cols + kPack - 1) / kPack,
          panel, kPack};
}

std::vector<int64_t> PanelLayout::unpackedShape() const {
  if (concat == 0)
    return {matrices * rows, cols};
  if (concat == 1)
    return {rows, matrices * cols};
  return {matrices, rows, cols};
}

std::vector<const OperandSpec *> FunctionSpec::weights() const {
  std::vector<const OperandSpec *> result;
  for (const OperandSpec &op : operands)
    if (op.role == OperandRole::Weight)
      result.push_back(&op);
  return result;
}

std::vector<size_t> FunctionSpec::caches() const {
  std::vector<size_t> result;
  if (kind != FunctionKind::DecoderLayer)
    return result;
  for (size_t i = 1; i < operands.size(); ++i)
    if (operands[i].role == OperandRole::InOut)
      result.push_back(i);
  return result;
}

namespace {

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// a * b, or an error naming `what` when it does not fit in int64.
StatusOr<int64_t> checkedMul(int64_t a, int64_t b, const std::string &what) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    return Status::error(what + " = " + std::to_string(a) + " x " +
                         std::to_string(b) + " overflows 64 bits");
  return r;
}

/// Appends the weight operands of one function and their sources, reading
/// only checkpoint headers.
class WeightCollector {
public:
  WeightCollector(const Checkpoint &ckpt, std::string prefix,
                  FunctionSpec &function, Binding &binding,
                  WeightLayout layout = {})
      : ckpt(ckpt), prefix(std::move(prefix)), function(function),
        binding(binding), layout(layout) {}

  /// The G matrices of [N, K] that the last operand holds, seen as
  /// `concat` (PanelLayout), go in panels if the layout asks for them.
  void inPanels(int64_t matrices, int64_t rows, int64_t cols, int concat) {
    if (layout.panel <= 0)
      return;
    OperandSpec &op = function.operands.back();
    PanelLayout p;
    p.matrices = matrices;
    p.rows = rows;
    p.cols = cols;
    p.panel = layout.panel;
    p.kPack = op.dtype == DType::BF16 ? 2 : 1;
    p.concat = concat;
    op.shape = p.packedShape();
    op.panels = p;
  }

  /// The tensor `<prefix><name>` of shape `shape`.
  Status tensor(const std::string &name, std::vector<int64_t> shape) {
    return tensorNamed(prefix + name, name, std::move(shape));
  }

  /// A tensor by its full name, named `operandName` in the signature.
  Status tensorNamed(const std::string &full, const std::string &operandName,
                     std::vector<int64_t> shape) {
    StatusOr<TensorView> t = ckpt.tensor(full, shape);
    if (!t.ok())
      return t.status();
    add(operandName, t->dtype, std::move(shape), {{full}, false});
    return Status();
  }

  /// `<prefix>mlp.experts.{e}.<proj>.weight` for every expert e, each of
  /// `shape`, stacked into [experts, shape...]. Mixed element types stack
  /// as F32, so one type describes the whole operand.
  Status experts(const std::string &proj, int64_t count,
                 std::vector<int64_t> shape) {
    WeightSource source{{}, true};
    DType dtype = DType::F32;
    for (int64_t e = 0; e < count; ++e) {
      std::string name =
          prefix + "mlp.experts." + std::to_string(e) + "." + proj + ".weight";
      StatusOr<TensorView> t = ckpt.tensor(name, shape);
      if (!t.ok())
        return t.status();
      dtype = e == 0 || t->dtype == dtype ? t->dtype : DType::F32;
      source.tensors.push_back(std::move(name));
    }
    shape.insert(shape.begin(), count);
    add("mlp.experts." + proj + ".weight", dtype, std::move(shape),
        std::move(source));
    return Status();
  }

private:
  void add(std::string name, DType dtype, std::vector<int64_t> shape,
           WeightSource source) {
    function.operands.push_back({std::move(name), OperandRole::Weight, dtype,
                                 std::move(shape), std::nullopt});
    binding.weights.push_back(std::move(source));
  }

  const Checkpoint &ckpt;
  std::string prefix;
  FunctionSpec &function;
  Binding &binding;
  WeightLayout layout;
};

/// The weights of layer `layer`'s MLP block (moec/Compiler builds the code
/// in this order): MoE: router [E, H], e_score_correction_bias [E]
/// (noaux_tc), gate/up [E, I, H], down [E, H, I], then shared gate/up
/// [S*I, H], down [H, S*I] when there are shared experts; dense: gate/up
/// [Id, H], down [H, Id].
Status collectMLPWeights(WeightCollector &w, const ModelConfig &c,
                         int64_t layer) {
  const int64_t h = c.hidden_size;
  // A SwiGLU MLP of `matrices` experts of width `width` each.
  auto mlp = [&](const std::string &name, int64_t matrices,
                 int64_t width) -> Status {
    const int64_t all = matrices * width;
    for (auto [proj, shape] :
         {std::pair<const char *, std::vector<int64_t>>{"gate_proj", {all, h}},
          {"up_proj", {all, h}},
          {"down_proj", {h, all}}}) {
      if (Status s = w.tensor(name + proj + ".weight", shape); !s.ok())
        return s;
      if (std::string(proj) == "down_proj")
        w.inPanels(matrices, h, width, /*concat=*/1);
      else
        w.inPanels(matrices, width, h, /*concat=*/0);
    }
    return Status();
  };
  if (!c.isMoELayer(layer))
    return mlp("mlp.", 1, c.intermediate_size);

  const int64_t experts = c.n_routed_experts, width = c.moe_intermediate_size;
  if (Status s = w.tensor("mlp.gate.weight", {experts, h}); !s.ok())
    return s;
  if (c.topk_method == TopkMethod::NoauxTC)
    if (Status s = w.tensor("mlp.gate.e_score_correction_bias", {experts});
        !s.ok())
      return s;
  for (auto [proj, shape] :
       {std::pair<const char *, std::vector<int64_t>>{"gate_proj", {width, h}},
        {"up_proj", {width, h}},
        {"down_proj", {h, width}}}) {
    if (Status s = w.experts(proj, experts, shape); !s.ok())
      return s;
    w.inPanels(experts, shape[0], shape[1], /*concat=*/-1);
  }
  if (c.n_shared_experts == 0)
    return Status();
  StatusOr<int64_t> shared =
      checkedMul(width, c.n_shared_experts,
                 "the shared experts' width moe_intermediate_size x "
                 "n_shared_experts");
  if (!shared.ok())
    return shared.status();
  return mlp("mlp.shared_experts.", c.n_shared_experts, width);
}

OperandSpec buffer(std::string name, OperandRole role, DType dtype,
                   std::vector<int64_t> shape) {
  return {std::move(name), role, dtype, std::move(shape), std::nullopt};
}

/// A product of sizes, or an error naming `what` when it overflows.
StatusOr<int64_t> checkedProduct(std::initializer_list<int64_t> factors,
                                 const std::string &what) {
  int64_t r = 1;
  for (int64_t f : factors) {
    StatusOr<int64_t> next = checkedMul(r, f, what);
    if (!next.ok())
      return next.status();
    r = *next;
  }
  return r;
}

/// Multi-head attention (`deepseek`): the keys and values caches
/// [KVH, S, D] and the weights up to post_attention_layernorm.
Status collectAttention(WeightCollector &w, FunctionSpec &fn,
                        const ModelConfig &c, DType kvCache) {
  const int64_t h = c.hidden_size, headDim = c.headDim();
  StatusOr<int64_t> qWidth =
      checkedMul(c.num_attention_heads, headDim, "the query width");
  StatusOr<int64_t> kvWidth =
      checkedMul(c.num_key_value_heads, headDim, "the key/value width");
  if (!qWidth.ok() || !kvWidth.ok())
    return qWidth.ok() ? kvWidth.status() : qWidth.status();
  fn.operands.push_back(buffer("keys", OperandRole::InOut, kvCache,
                               {c.num_key_value_heads, kDynamicSize, headDim}));
  fn.operands.push_back(buffer("values", OperandRole::InOut, kvCache,
                               {c.num_key_value_heads, kDynamicSize, headDim}));
  for (auto [name, shape] : {std::pair<const char *, std::vector<int64_t>>{
                                 "input_layernorm.weight", {h}},
                             {"self_attn.q_proj.weight", {*qWidth, h}},
                             {"self_attn.k_proj.weight", {*kvWidth, h}},
                             {"self_attn.v_proj.weight", {*kvWidth, h}},
                             {"self_attn.o_proj.weight", {h, *qWidth}},
                             {"post_attention_layernorm.weight", {h}}})
    if (Status s = w.tensor(name, shape); !s.ok())
      return s;
  return Status();
}

/// Multi-head latent attention (reference section 8): the compressed cache
/// [S, kv_lora_rank + qk_rope_head_dim] and the weights up to
/// post_attention_layernorm (q_proj, or q_a_proj, q_a_layernorm and
/// q_b_proj with a q_lora_rank).
Status collectLatentAttention(WeightCollector &w, FunctionSpec &fn,
                              const ModelConfig &c, DType kvCache) {
  const int64_t h = c.hidden_size, heads = c.num_attention_heads;
  const int64_t latent = c.kv_lora_rank, rope = c.qk_rope_head_dim;
  StatusOr<int64_t> qWidth = checkedProduct(
      {heads, c.qk_nope_head_dim + c.qk_rope_head_dim},
      "the query width num_attention_heads x (qk_nope_head_dim + "
      "qk_rope_head_dim)");
  StatusOr<int64_t> kvbRows = checkedProduct(
      {heads, c.qk_nope_head_dim + c.v_head_dim},
      "kv_b_proj's rows num_attention_heads x (qk_nope_head_dim + "
      "v_head_dim)");
  StatusOr<int64_t> outWidth = checkedProduct(
      {heads, c.v_head_dim}, "the attention output num_attention_heads x "
                             "v_head_dim");
  for (const StatusOr<int64_t> *v : {&qWidth, &kvbRows, &outWidth})
    if (!v->ok())
      return v->status();
  fn.operands.push_back(buffer("latent_cache", OperandRole::InOut, kvCache,
                               {kDynamicSize, latent + rope}));
  std::vector<std::pair<const char *, std::vector<int64_t>>> tensors{
      {"input_layernorm.weight", {h}}};
  if (c.q_lora_rank > 0) {
    tensors.push_back({"self_attn.q_a_proj.weight", {c.q_lora_rank, h}});
    tensors.push_back({"self_attn.q_a_layernorm.weight", {c.q_lora_rank}});
    tensors.push_back({"self_attn.q_b_proj.weight", {*qWidth, c.q_lora_rank}});
  } else {
    tensors.push_back({"self_attn.q_proj.weight", {*qWidth, h}});
  }
  tensors.push_back(
      {"self_attn.kv_a_proj_with_mqa.weight", {latent + rope, h}});
  tensors.push_back({"self_attn.kv_a_layernorm.weight", {latent}});
  tensors.push_back({"self_attn.kv_b_proj.weight", {*kvbRows, latent}});
  tensors.push_back({"self_attn.o_proj.weight", {h, *outWidth}});
  tensors.push_back({"post_attention_layernorm.weight", {h}});
  for (const auto &[name, shape] : tensors)
    if (Status s = w.tensor(name, shape); !s.ok())
      return s;
  return Status();
}

bool sameContract(const FunctionSpec &a, const FunctionSpec &b) {
  if (a.kind != b.kind || a.moe != b.moe ||
      a.operands.size() != b.operands.size())
    return false;
  for (size_t i = 0; i < a.operands.size(); ++i) {
    const OperandSpec &x = a.operands[i], &y = b.operands[i];
    if (x.name != y.name || x.role != y.role || x.dtype != y.dtype ||
        x.shape != y.shape || x.panels.has_value() != y.panels.has_value() ||
        (x.panels && x.panels->unpackedShape() != y.panels->unpackedShape()))
      return false;
  }
  return true;
}

/// Adds `function` unless an equal one exists; returns its index.
size_t addFunction(std::vector<FunctionSpec> &functions,
                   FunctionSpec function) {
  for (size_t i = 0; i < functions.size(); ++i)
    if (sameContract(functions[i], function))
      return i;
  functions.push_back(std::move(function));
  return functions.size() - 1;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

const char *roleName(OperandRole role) {
  switch (role) {
  case OperandRole::Input:
    return "in";
  case OperandRole::Output:
    return "out";
  case OperandRole::InOut:
    return "inout";
  case OperandRole::Index:
    return "index";
  case OperandRole::Weight:
    return "weight";
  }
  return "?";
}

/// The config values that compiled MLP code depends on.
std::string routingJson(const ModelConfig &c) {
  RoutingConfig r = c.routing();
  return std::string("\"scoring_func\": \"") +
         (c.scoring_func == ScoringFunc::Sigmoid ? "sigmoid" : "softmax") +
         "\", \"topk_method\": \"" + topkMethodName(r.method) +
         "\", \"num_experts_per_tok\": " + std::to_string(r.topK) +
         ", \"n_group\": " + std::to_string(r.nGroup) +
         ", \"topk_group\": " + std::to_string(r.topkGroup) +
         ", \"norm_topk_prob\": " + (r.normTopkProb ? "true" : "false") +
         ", \"routed_scaling_factor\": " + number(r.routedScalingFactor);
}

/// The config values that compiled multi-head latent attention depends on
/// (besides the operand shapes), or nothing for `deepseek`.
std::string latentAttentionJson(const ModelConfig &c) {
  if (c.model_type == ModelType::Deepseek)
    return "";
  const RopeScaling &r = c.rope_scaling;
  return ", \"q_lora_rank\": " + std::to_string(c.q_lora_rank) +
         ", \"kv_lora_rank\": " + std::to_string(c.kv_lora_rank) +
         ", \"qk_nope_head_dim\": " + std::to_string(c.qk_nope_head_dim) +
         ", \"qk_rope_head_dim\": " + std::to_string(c.qk_rope_head_dim) +
         ", \"v_head_dim\": " + std::to_string(c.v_head_dim) +
         ", \"rope_interleave\": " + (c.rope_interleave ? "true" : "false") +
         ", \"rope_has_factor\": " + (r.hasFactor ? "true" : "false") +
         ", \"original_max_position_embeddings\": " +
         std::to_string(r.original_max_position_embeddings) +
         ", \"max_position_embeddings\": " +
         std::to_string(c.max_position_embeddings) +
         ", \"beta_fast\": " + number(r.beta_fast) +
         ", \"beta_slow\": " + number(r.beta_slow) +
         ", \"mscale\": " + number(r.mscale) +
         ", \"mscale_all_dim\": " + number(r.mscale_all_dim) +
         ", \"attention_factor\": " + number(r.attention_factor);
}

} // namespace

std::string ModuleSpec::signature() const {
  const ModelConfig &c = config;
  std::string s = "{\"format\": \"moec-module-1\", \"kind\": \"";
  s += kind == Kind::MLP ? "mlp" : "model";
  s += "\", \"weight_panel\": " + std::to_string(layout.panel);
  s += ", \"hidden_size\": " + std::to_string(c.hidden_size);
  if (c.n_routed_experts > 0)
    s += ", " + routingJson(c);
  if (kind == Kind::Model)
    s += ", \"model_type\": \"" + std::string(modelTypeName(c.model_type)) +
         "\", \"rms_norm_eps\": " + number(c.rms_norm_eps) +
         ", \"num_attention_heads\": " + std::to_string(c.num_attention_heads) +
         ", \"num_key_value_heads\": " + std::to_string(c.num_key_value_heads) +
         ", \"rope_theta\": " + number(c.rope_theta) + ", \"rope_type\": \"" +
         c.rope_scaling.type +
         "\", \"rope_factor\": " + number(c.rope_scaling.factor) +
         latentAttentionJson(c);
  s += ", \"functions\": [";
  for (size_t f = 0; f < functions.size(); ++f) {
    const FunctionSpec &fn = functions[f];
    s += std::string(f ? ", " : "") + "{\"name\": \"" + fn.name + "\"";
    if (fn.kind == FunctionKind::MLP || fn.kind == FunctionKind::DecoderLayer)
      s += std::string(", \"mlp\": \"") + (fn.moe ? "moe" : "dense") + "\"";
    s += ", \"operands\": [";
    for (size_t i = 0; i < fn.operands.size(); ++i) {
      const OperandSpec &op = fn.operands[i];
      s += std::string(i ? ", " : "") + "{\"name\": \"" + op.name +
           "\", \"role\": \"" + roleName(op.role) + "\"";
      if (op.role != OperandRole::Index)
        s += std::string(", \"dtype\": \"") + dtypeName(op.dtype) +
             "\", \"shape\": " + shapeText(op.shape);
      if (op.panels)
        s += ", \"unpacked\": " + shapeText(op.panels->unpackedShape());
      s += "}";
    }
    s += "]}";
  }
  s += "]";
  if (kind == Kind::Model) {
    s += ", \"layers\": [";
    for (size_t l = 0; l < layers.size(); ++l)
      s += std::string(l ? ", " : "") + "\"" +
           functions[layers[l].function].name + "\"";
    s += "]";
  }
  return s + "}";
}

StatusOr<ModuleSpec> moec::deriveMLPModuleSpec(const ModelConfig &config,
                                               const Checkpoint &checkpoint,
                                               int64_t layer,
                                               WeightLayout layout) {
  ModuleSpec spec;
  spec.kind = ModuleSpec::Kind::MLP;
  spec.config = config;
  spec.layer = layer;
  spec.layout = layout;
  const int64_t h = config.hidden_size;
  FunctionSpec fn;
  fn.name = "mlp";
  fn.kind = FunctionKind::MLP;
  fn.moe = config.isMoELayer(layer);
  fn.operands = {
      buffer("x", OperandRole::Input, DType::F32, {kDynamicSize, h}),
      buffer("y", OperandRole::Output, DType::F32, {kDynamicSize, h})};
  WeightCollector weights(checkpoint,
                          "model.layers." + std::to_string(layer) + ".", fn,
                          spec.mlp, layout);
  if (Status s = collectMLPWeights(weights, config, layer); !s.ok())
    return s;
  spec.functions.push_back(std::move(fn));
  return spec;
}

StatusOr<ModuleSpec> moec::deriveModelModuleSpec(const ModelConfig &config,
                                                 const Checkpoint &checkpoint,
                                                 DType kvCache,
                                                 WeightLayout layout) {
  if (kvCache == DType::I32)
    return Status::error("a KV cache holds F32, F16 or BF16 elements");
  if (Status s = checkAttentionSupport(config); !s.ok())
    return s;
  ModuleSpec spec;
  spec.kind = ModuleSpec::Kind::Model;
  spec.config = config;
  spec.layout = layout;
  const ModelConfig &c = config;
  const int64_t h = c.hidden_size, v = c.vocab_size;
  const std::string table = "model.embed_tokens.weight";

  FunctionSpec embed{"embed", FunctionKind::Embed, false, {}};
  embed.operands = {
      buffer("ids", OperandRole::Input, DType::I32, {kDynamicSize}),
      buffer("hidden", OperandRole::Output, DType::F32, {kDynamicSize, h})};
  WeightCollector embedWeights(checkpoint, "", embed, spec.embed);
  if (Status s = embedWeights.tensorNamed(table, table, {v, h}); !s.ok())
    return s;
  spec.embed.function = addFunction(spec.functions, std::move(embed));

  for (int64_t layer = 0; layer < c.num_hidden_layers; ++layer) {
    FunctionSpec fn{"decoder_layer_" + std::to_string(layer),
                    FunctionKind::DecoderLayer,
                    c.isMoELayer(layer),
                    {}};
    fn.operands = {
        buffer("hidden", OperandRole::InOut, DType::F32, {kDynamicSize, h}),
        buffer("start", OperandRole::Index, DType::I32, {})};
    Binding binding;
    WeightCollector w(checkpoint, "model.layers." + std::to_string(layer) + ".",
                      fn, binding, layout);
    if (Status s = c.model_type == ModelType::Deepseek
                       ? collectAttention(w, fn, c, kvCache)
                       : collectLatentAttention(w, fn, c, kvCache);
        !s.ok())
      return s;
    if (Status s = collectMLPWeights(w, c, layer); !s.ok())
      return s;
    binding.function = addFunction(spec.functions, std::move(fn));
    spec.layers.push_back(std::move(binding));
  }

  FunctionSpec head{"head", FunctionKind::Head, false, {}};
  head.operands = {
      buffer("hidden", OperandRole::Input, DType::F32, {kDynamicSize, h}),
      buffer("logits", OperandRole::Output, DType::F32, {kDynamicSize, v})};
  WeightCollector headWeights(checkpoint, "", head, spec.head);
  if (Status s =
          headWeights.tensorNamed("model.norm.weight", "norm.weight", {h});
      !s.ok())
    return s;
  // Tied embeddings: the head reads the embedding table (reference §2).
  const std::string lmHead =
      c.tie_word_embeddings ? table : std::string("lm_head.weight");
  if (Status s = headWeights.tensorNamed(lmHead, "lm_head.weight", {v, h});
      !s.ok())
    return s;
  spec.head.function = addFunction(spec.functions, std::move(head));
  return spec;
}

StatusOr<DType> moec::kvCacheTypeOf(const std::string &signature) {
  StatusOr<JsonValue> json = parseJson(signature);
  if (!json.ok())
    return Status::error("the module's signature is not JSON: " +
                         json.status().message());
  const JsonValue *functions = json->find("functions");
  if (!functions || !functions->isArray())
    return Status::error("the module's signature lists no functions");
  for (const JsonValue &fn : functions->getArray()) {
    const JsonValue *operands = fn.find("operands");
    // Decoder layers are the functions with an MLP; operand 0 is the
    // hidden state they update, the other in-out operands their caches.
    if (!fn.find("mlp") || !operands || !operands->isArray())
      continue;
    const JsonValue::Array &ops = operands->getArray();
    for (size_t i = 1; i < ops.size(); ++i) {
      const JsonValue *role = ops[i].find("role");
      const JsonValue *dtype = ops[i].find("dtype");
      if (!role || !role->isString() || role->getString() != "inout")
        continue;
      for (DType t : {DType::F32, DType::F16, DType::BF16})
        if (dtype && dtype->isString() && dtype->getString() == dtypeName(t))
          return t;
      return Status::error("the module's KV cache has an element type moec "
                           "does not know: it was built by another version "
                           "of moec");
    }
  }
  return DType::F32;
}

StatusOr<WeightLayout> moec::weightLayoutOf(const std::string &signature) {
  StatusOr<JsonValue> json = parseJson(signature);
  if (!json.ok())
    return Status::error("the module's signature is not JSON: " +
                         json.status().message());
  const JsonValue *panel = json->find("weight_panel");
  if (!panel || !panel->isInteger() || panel->getInt64() < 0 ||
      panel->getInt64() > 1024)
    return Status::error("the module's signature names no weight layout "
                         "(\"weight_panel\"): it was built by another "
                         "version of moec");
  WeightLayout layout;
  layout.panel = panel->getInt64();
  return layout;
}
