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
#include <optional>
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

/// A weight operand that holds its matrices in panels, the layout the CPU
/// expert kernels read (moe.unpack_weights): G matrices of [N, K] (PyTorch
/// Linear layout) as [G, ceil(N/P), ceil(K/Q), P, Q], element (n, k) of
/// matrix g at [g, n / P, k / Q, n % P, k % Q], zero-padded.
struct PanelLayout {
  int64_t matrices = 1, rows = 0, cols = 0; // G, N, K
  int64_t panel = 0, kPack = 1;             // P, Q
  /// How the moe ops see the matrices: -1 stacked [G, N, K]; 0 one below
  /// the other [G*N, K]; 1 side by side [N, G*K].
  int concat = -1;

  /// The packed shape [G, ceil(N/P), ceil(K/Q), P, Q].
  std::vector<int64_t> packedShape() const;
  /// The shape the moe ops see.
  std::vector<int64_t> unpackedShape() const;
};

struct OperandSpec {
  /// For messages and the signature ("hidden", "mlp.gate.weight", ...).
  std::string name;
  OperandRole role = OperandRole::Input;
  /// Element type of a buffer.
  DType dtype = DType::F32;
  /// Sizes of a buffer; kDynamicSize where the caller chooses. For a packed
  /// weight, the packed shape.
  std::vector<int64_t> shape;
  /// Set for a weight in panels (see PanelLayout).
  std::optional<PanelLayout> panels;
};

enum class FunctionKind {
  /// One decoder layer's MLP block: (x [T, H], y [T, H], weights...).
  MLP,
  /// Token embedding: (ids [T] i32, hidden [T, H], table).
  Embed,
  /// A whole decoder layer, updating the hidden states and its KV cache in
  /// place: (hidden [T, H], start, caches..., weights...). The caches are
  /// keys and values [KVH, S, D] for multi-head attention (`deepseek`), and
  /// one compressed cache [S, kv_lora_rank + qk_rope_head_dim] for
  /// multi-head latent attention (`deepseek_v2`, `deepseek_v3`).
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
  /// DecoderLayer: the indices of its KV cache operands, in order.
  std::vector<size_t> caches() const;
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

/// The weight layout a module asks for: with `panel` P > 0, the matrices of
/// the MLP blocks (routed and shared experts, dense MLPs) come in panels of
/// P outputs (PanelLayout), with Q = 2 inputs kept together for BF16 and 1
/// otherwise; other weights, and every weight with P = 0, as stored.
struct WeightLayout {
  int64_t panel = 0;
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
  /// The layout of the weight operands.
  WeightLayout layout;

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
                                         int64_t layer,
                                         WeightLayout layout = {});

/// The module of a whole model: embedding, one function per distinct
/// decoder-layer signature (dense and MoE layers, weight dtypes), and the
/// head, with a KV cache of element type `kvCache` (F32, F16 or BF16).
/// Requires checkAttentionSupport(config).
StatusOr<ModuleSpec> deriveModelModuleSpec(const ModelConfig &config,
                                           const Checkpoint &checkpoint,
                                           DType kvCache = DType::F32,
                                           WeightLayout layout = {});

/// The weight layout that a module with signature `signature` was compiled
/// for (its "weight_panel"), so that the runtime derives the same contract.
StatusOr<WeightLayout> weightLayoutOf(const std::string &signature);

/// The KV cache element type of a whole-model module with signature
/// `signature` (its decoder layers' cache operands); F32 for a module
/// without caches.
StatusOr<DType> kvCacheTypeOf(const std::string &signature);

} // namespace moec

#endif // MOEC_RUNTIME_MODULESPEC_H
