//===- Model.h - a compiled DeepSeek model and its sessions ----*- C++ -*-===//
//
// LoadedModel holds what every sequence shares: the config, the
// memory-mapped checkpoint, the module spec, the compiled module and each
// call's weight operands. It is immutable once loaded, so any number of
// Sessions may run on it at once. A Session is one sequence: its KV cache
// (per layer, the buffers of the layer function's cache operands: keys and
// values [num_key_value_heads, capacity, head_dim], each head's positions
// contiguous, or MLA's compressed [capacity, kv_lora_rank +
// qk_rope_head_dim]) and its position. A prefill runs the prompt
// in chunks; a decode step runs one token against the cache and never
// recomputes the prefix.
//
// A module compiled for a CUDA GPU (moe-compile model --target cuda) runs
// there: the weights go to device memory once, as stored, when the model
// loads; a session's KV cache and hidden states live in device memory; each
// forward uploads the token ids and downloads the logits.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_MODEL_H
#define MOEC_RUNTIME_MODEL_H

#include "moec/Model/Checkpoint.h"
#include "moec/Model/Config.h"
#include "moec/Runtime/CompiledModule.h"
#include "moec/Runtime/GPURuntime.h"
#include "moec/Runtime/ModuleSpec.h"
#include "moec/Runtime/Weights.h"
#include "moec/Support/Status.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace moec {

/// Called with (units done, units in all) as a long operation advances.
using ProgressCallback = std::function<void(int64_t done, int64_t total)>;

/// Choices that shape the compiled module of a model.
struct ModelOptions {
  /// Element type of the KV cache: F32 (exact), or F16/BF16 for half the
  /// memory and the traffic of long contexts (keys and values rounded).
  DType kvCache = DType::F32;
  /// The layout of the weight operands that the code will be compiled for
  /// (moec/Compiler: weightLayoutFor). An ahead-of-time module loaded
  /// with load() brings its own, and its own KV cache type.
  WeightLayout layout;
  /// Threads that each call of compiled code runs on; 0: the OpenMP
  /// default.
  int threads = 0;
};

class LoadedModel {
public:
  /// Opens `directory`'s config.json (checking what compiling attention
  /// needs) and checkpoint headers, and derives the module spec. Reads no
  /// weight data.
  static StatusOr<std::unique_ptr<LoadedModel>>
  open(const std::string &directory, const ModelOptions &options = {});

  /// Runs code from `module`, which must be compiled for spec(), and binds
  /// every call's weight operands (per-expert tensors are stacked; their
  /// mapped pages are released once copied; for a GPU module, they are
  /// copied to device memory). `progress` counts layers.
  Status load(std::unique_ptr<CompiledModule> module,
              const ProgressCallback &progress = {});

  const ModelConfig &config() const { return cfg; }
  const ModuleSpec &spec() const { return moduleSpec; }
  const std::string &directory() const { return dir; }
  /// Whether the loaded module runs on a CUDA GPU.
  bool onGPU() const { return gpu; }
  /// Bytes of weights held outside the checkpoint mapping (stacked experts).
  size_t ownedWeightBytes() const;

private:
  friend class Session;
  /// One call of a compiled function with its weights bound.
  struct Call {
    PackedFunction entry = nullptr;
    const FunctionSpec *function = nullptr;
    std::vector<WeightBuffer> weights;
    /// A GPU module's copies of `weights` in device memory.
    std::vector<DeviceBuffer> deviceWeights;
  };
  StatusOr<Call> bind(const Binding &binding) const;
  /// Copies `call`'s weights to device memory.
  Status upload(Call &call) const;
  /// Calls `call` with `runtime` (its non-weight operands) then its weights.
  Status run(const Call &call, std::vector<Argument> runtime) const;

  std::string dir;
  ModelOptions opts;
  ModelConfig cfg;
  std::unique_ptr<Checkpoint> checkpoint;
  ModuleSpec moduleSpec;
  std::unique_ptr<CompiledModule> module;
  Call embed, head;
  std::vector<Call> layers;
  bool loaded = false, gpu = false;
};

class Session {
public:
  /// A sequence of up to `capacity` tokens (prompt and generated), at most
  /// max_position_embeddings.
  static StatusOr<std::unique_ptr<Session>> create(const LoadedModel &model,
                                                   int64_t capacity);

  int64_t position() const { return pos; }
  /// Forgets every token: the next forward starts at position 0.
  void reset() { pos = 0; }
  int64_t capacity() const { return cap; }
  /// Bytes of KV cache that one position takes, over all layers.
  int64_t cacheBytesPerPosition() const { return bytesPerPosition; }

  /// Runs `ids` at positions position() .. position() + n - 1 (a prefill,
  /// or a decode step for one id), appends their keys and values to the
  /// cache, and writes into `logits` the logits of every token, [n, V] row
  /// by row (`allLogits`), or of the last one, [V]. Checks every id against
  /// vocab_size and the capacity first; on an error the session is
  /// unchanged.
  Status forward(const std::vector<int32_t> &ids, bool allLogits,
                 std::vector<float> &logits);

private:
  explicit Session(const LoadedModel &model) : model(model) {}
  const LoadedModel &model;
  int64_t pos = 0, cap = 0, bytesPerPosition = 0;
  /// One cache operand's buffer, in the module's cache element type. Left
  /// uninitialised: positions are written before they are read, and
  /// untouched pages cost no memory.
  struct CacheBuffer {
    std::unique_ptr<uint8_t[]> data;
    /// Instead of `data`, for a GPU module.
    DeviceBuffer device;
    std::vector<int64_t> shape;
    void *address() const { return data ? data.get() : device.data(); }
  };
  /// Per layer, its cache operands (FunctionSpec::caches) in order.
  std::vector<std::vector<CacheBuffer>> caches;
  std::vector<float> hidden;
  /// Instead of `hidden`, for a GPU module; with a chunk's token ids and a
  /// row of logits (a decode step's), kept from call to call: allocating
  /// and freeing them per step would cost more than some steps' kernels.
  DeviceBuffer deviceHidden, deviceIds, deviceLogits;
};

} // namespace moec

#endif // MOEC_RUNTIME_MODEL_H
