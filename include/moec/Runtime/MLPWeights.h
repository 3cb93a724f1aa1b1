//===- MLPWeights.h - the weights of one decoder layer's MLP ---*- C++ -*-===//
//
// Gathers the tensors of layer L's MLP block from a checkpoint into the
// operand order of the compiled MLP function, stacking the per-expert
// tensors into [E, ...] buffers (the only copy: everything else stays in the
// memory-mapped files).
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_MLPWEIGHTS_H
#define MOEC_RUNTIME_MLPWEIGHTS_H

#include "moec/Model/Checkpoint.h"
#include "moec/Model/Config.h"

#include <cstdint>
#include <vector>

namespace moec {

/// One weight operand: a view into the checkpoint or an owned buffer.
struct WeightOperand {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// Element-aligned, row-major, contiguous.
  const void *data = nullptr;
  /// Backing storage when the operand is not a view (stacked experts, or a
  /// tensor that had to be realigned).
  std::vector<uint8_t> owned;
};

/// The weight operands of layer `layer`'s MLP, in the order the compiled
/// function takes them (after the hidden states):
/// - MoE: router [E, H], e_score_correction_bias [E] (noaux_tc only),
///   gate [E, I, H], up [E, I, H], down [E, H, I], and with shared experts
///   shared gate [S*I, H], shared up [S*I, H], shared down [H, S*I];
/// - dense: gate [Id, H], up [Id, H], down [H, Id].
struct MLPWeights {
  bool moe = false;
  std::vector<WeightOperand> operands;

  /// The element types of `operands`, in order.
  std::vector<DType> dtypes() const;
};

/// Everything a compiled MLP function bakes in or expects from its
/// operands: the layer kind, sizes, routing configuration and each weight
/// operand's dtype and shape, as one line of JSON. A module compiled for one
/// signature must not run weights of another.
std::string mlpSignature(const ModelConfig &config, int64_t layer,
                         const MLPWeights &weights);

/// Parses a decoder layer index given as text (a command-line argument) and
/// checks that `config` has that layer.
StatusOr<int64_t> parseLayerIndex(const std::string &text,
                                  const ModelConfig &config);

/// Loads layer `layer`'s MLP weights. Errors name the tensor and file
/// (missing tensor, shape that disagrees with the config).
StatusOr<MLPWeights> loadMLPWeights(const Checkpoint &checkpoint,
                                    const ModelConfig &config, int64_t layer);

} // namespace moec

#endif // MOEC_RUNTIME_MLPWEIGHTS_H
