//===- Checkpoint.h - Memory-mapped safetensors checkpoints -----*- C++ -*-===//
//
// Opens a Hugging Face checkpoint directory (one model.safetensors, or shards
// listed by model.safetensors.index.json) without reading the weights: each
// file is memory-mapped and only its header is parsed and checked, so that
// the pages of a tensor are read when, and only if, it is used.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_MODEL_CHECKPOINT_H
#define MOEC_MODEL_CHECKPOINT_H

#include "moec/Support/Status.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace moec {

/// Element types: those of the weights moec loads (F32, F16, BF16), and I32
/// for token ids (never a weight).
enum class DType { F32, F16, BF16, I32 };

/// The safetensors spelling: "F32", "F16", "BF16" or "I32".
const char *dtypeName(DType dtype);
/// Bytes per element.
size_t dtypeSize(DType dtype);

/// A tensor inside a mapped checkpoint file. The view does not own `data`,
/// which stays valid while its Checkpoint lives. `data` is little-endian and
/// may be unaligned; use convertToFloat32 to read it.
struct TensorView {
  std::string name;
  /// Path of the safetensors file that holds the tensor.
  std::string file;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void *data = nullptr;

  /// The product of `shape` (1 for a scalar).
  size_t numElements() const;
};

/// The tensors of one checkpoint directory. Not copyable; the mappings are
/// released on destruction. Const methods are safe to call concurrently.
/// The files must not be truncated while open: reading a mapped page past
/// the new end of a file raises SIGBUS.
class Checkpoint {
public:
  /// Opens `<modelDir>/model.safetensors.index.json` and the shards it
  /// names if it exists, else `<modelDir>/model.safetensors`, and checks
  /// every header. Errors name the file and, where one is at fault, the
  /// tensor.
  static StatusOr<std::unique_ptr<Checkpoint>>
  open(const std::string &modelDir);

  /// A checkpoint of tensors already in memory (benchmarks and tests build
  /// models without files). The caller keeps each view's data alive for the
  /// checkpoint's lifetime; `name` is the name each tensor is found by.
  static std::unique_ptr<Checkpoint>
  fromMemory(const std::vector<TensorView> &tensors,
             const std::string &description = "memory");

  ~Checkpoint();
  Checkpoint(const Checkpoint &) = delete;
  Checkpoint &operator=(const Checkpoint &) = delete;

  /// The tensor `name`, or an error if the checkpoint has none.
  StatusOr<TensorView> tensor(const std::string &name) const;
  /// As above, and also an error if its shape is not `expectedShape`.
  StatusOr<TensorView> tensor(const std::string &name,
                              const std::vector<int64_t> &expectedShape) const;
  bool has(const std::string &name) const;
  /// Tells the kernel that the pages wholly inside `tensor`'s bytes will not
  /// be read again (for a tensor copied elsewhere), so they stop counting
  /// towards resident memory. Reading them later is still valid: they are
  /// read from the file again. Does nothing for a fromMemory() checkpoint.
  void releasePages(const TensorView &tensor) const;
  /// Every tensor name, sorted.
  std::vector<std::string> names() const;
  const std::string &directory() const { return dir; }

private:
  struct MappedFile;
  explicit Checkpoint(std::string dir);
  /// Maps `fileName` (relative to dir) and adds its tensors.
  Status addFile(const std::string &fileName);

  std::string dir;
  std::vector<std::unique_ptr<MappedFile>> files;
  /// Name -> tensor; `file` and `data` point into `files`.
  std::map<std::string, TensorView> tensors;
  /// False for fromMemory(): its pages are the caller's, never released.
  bool mapped = true;
};

/// Converts all numElements() elements of `tensor` to float32 in `out`.
/// Exact: every BF16 and F16 value is representable in float32.
void convertToFloat32(const TensorView &tensor, float *out);

/// Widens a bfloat16 bit pattern (the top half of a float32) exactly.
float bf16ToFloat(uint16_t bits);
/// Widens an IEEE binary16 bit pattern exactly, subnormals, infinities and
/// NaN payloads included.
float f16ToFloat(uint16_t bits);
/// Rounds to the nearest bfloat16, ties to even; NaN stays a (quiet) NaN.
uint16_t floatToBf16(float value);

} // namespace moec

#endif // MOEC_MODEL_CHECKPOINT_H
