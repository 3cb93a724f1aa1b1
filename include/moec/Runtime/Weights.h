//===- Weights.h - checkpoint tensors as weight operands -------*- C++ -*-===//
//
// Resolves the weight sources of a ModuleSpec binding into buffers that
// compiled code reads: a view into the memory-mapped checkpoint where the
// tensor is usable in place, or an owned buffer where it must be copied
// (per-expert tensors stacked into [E, ...], or a tensor whose data is not
// element-aligned). A stacked copy releases the pages of its source
// tensors, so the checkpoint's bytes are resident once, not twice.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_WEIGHTS_H
#define MOEC_RUNTIME_WEIGHTS_H

#include "moec/Model/Checkpoint.h"
#include "moec/Runtime/ModuleSpec.h"
#include "moec/Support/Status.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

namespace moec {

/// The data of one weight operand: row-major, contiguous, element-aligned.
class WeightBuffer {
public:
  DType dtype = DType::F32;
  std::vector<int64_t> shape;

  const void *data() const { return view ? view : owned.get(); }
  /// Bytes this buffer owns (0 for a view of the checkpoint).
  size_t ownedBytes() const { return owned ? bytes : 0; }

  /// A view of checkpoint memory.
  static WeightBuffer viewOf(const void *data, DType dtype,
                             std::vector<int64_t> shape);
  /// A new buffer of `size` bytes, 64-byte aligned, to be filled through
  /// mutableData().
  static WeightBuffer allocate(size_t size, DType dtype,
                               std::vector<int64_t> shape);
  void *mutableData() { return owned.get(); }

private:
  struct Free {
    void operator()(void *p) const { std::free(p); }
  };
  const void *view = nullptr;
  std::unique_ptr<uint8_t, Free> owned;
  size_t bytes = 0;
};

/// The weight operands of one call: `binding`'s sources for `function`'s
/// weight operands, in order. With `releaseSources`, the checkpoint pages
/// of stacked tensors are released once copied.
StatusOr<std::vector<WeightBuffer>> bindWeights(const Checkpoint &checkpoint,
                                                const FunctionSpec &function,
                                                const Binding &binding,
                                                bool releaseSources);

} // namespace moec

#endif // MOEC_RUNTIME_WEIGHTS_H
