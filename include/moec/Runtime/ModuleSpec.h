//===- ModuleSpec.h - what a compiled module takes -------------*- C++ -*-===//
//
// The one description of a compiled module's calling contract, derived from
// a model's config.json and its checkpoint headers (never the weight data):
// which functions it exports, each function's operands in order (role,
// element type, shape), and, for each call the runtime makes, which
// checkpoint tensors feed the weight operands.
//
// The IR builder creates the functions from it, the runtime binds weights
// and builds call arguments from it, and its signature() is embedded in
// ahead-of-time artifacts so that the runtime can refuse a module built for
// another model.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_MODULESPEC_H
#define MOEC_RUNTIME_MODULESPEC_H

#include "moec/Model/Checkpoint.h"
#include "moec/Model/Config.h"
#include "moec/Support/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moec {

/// A dimension that the caller chooses at each call (tokens, cache rows).
inline constexpr int64_t kDynamicSize = -1;

/// What an operand of a compiled function is to the function.
enum class OperandRole {
  Input,  ///< a buffer it reads
  Output, ///< a buffer it overwrites
  InOut,  ///< a buffer it reads and updates in place
  Index,  ///< an index scalar
  Weight, ///< checkpoint weights, read-only
};

struct OperandSpec {
  /// For messages and the signature ("hidden", "mlp.gate.weight", ...).
  std::string name;
  OperandRole role = OperandRole::Input;
  /// Element type of a buffer.
  DType dtype = DType::F32;
  /// Sizes of a buffer; kDynamicSize where the caller chooses.
  std::vector<int64_t> shape;
};

enum class FunctionKind {
  /// One decoder layer's MLP block: (x [T, H], y [T, H], weights...).
  MLP,
  /// Token embedding: (ids [T] i32, hidden [T, H], table).
  Embed,
  /// A whole decoder layer, updating the hidden states and its KV cache in
  /// place: (hidden [T, H], start, keys [KVH, S, D], values [KVH, S, D],
  /// weights...).
  DecoderLayer,
  /// Final norm and lm_head: (hidden [T, H], logits [T, V], norm, lm_head).
  Head,
};

struct FunctionSpec {
  std::string name;
  FunctionKind kind = FunctionKind::MLP;
  /// MLP and DecoderLayer: an MoE block rather than a dense MLP.
  bool moe = false;
  std::vector<OperandSpec> operands;

  /// The operands of role Weight, in order.
  std::vector<const OperandSpec *> weights() const;
};

/// Where one weight operand's data comes from: one checkpoint tensor, or one
/// tensor per routed expert stacked into [E, ...].
struct WeightSource {
  std::vector<std::string> tensors;
  bool stacked = false;
};

/// One call of a compiled function: which function, and the source of each
/// of its weight operands in order.
struct Binding {
  size_t function = 0;
  std::vector<WeightSource> weights;
};

struct ModuleSpec {
  enum class Kind { MLP, Model };
  Kind kind = Kind::Model;
  /// The config the code is compiled for (its values are baked in).
  ModelConfig config;
  std::vector<FunctionSpec> functions;
  /// Kind::MLP: the layer, and its one call.
  int64_t layer = -1;
  Binding mlp;
  /// Kind::Model: the calls of a forward pass.
  Binding embed, head;
  std::vector<Binding> layers;

  /// The contract as one line of canonical JSON: every config value compiled
  /// into the code, and every function's operands. Modules with equal
  /// signatures are interchangeable (an MLP module serves every layer whose
  /// block has its kind, shapes and dtypes).
  std::string signature() const;
};

/// The module of layer `layer`'s MLP block (MoE or dense). Errors name the
/// missing tensor or the shape that disagrees with the config.
StatusOr<ModuleSpec> deriveMLPModuleSpec(const ModelConfig &config,
                                         const Checkpoint &checkpoint,
                                         int64_t layer);

/// The module of a whole model: embedding, one function per distinct
/// decoder-layer signature (dense and MoE layers, weight dtypes), and the
/// head, with a KV cache of element type `kvCache` (F32, F16 or BF16).
/// Requires checkAttentionSupport(config).
StatusOr<ModuleSpec> deriveModelModuleSpec(const ModelConfig &config,
                                           const Checkpoint &checkpoint,
                                           DType kvCache = DType::F32);

} // namespace moec

#endif // MOEC_RUNTIME_MODULESPEC_H
