//===- Weights.cpp - checkpoint tensors as weight operands ----------------===//
#include "moec/Runtime/Weights.h"

#include <algorithm>
#include <cstring>

using namespace moec;

WeightBuffer WeightBuffer::viewOf(const void *data, DType dtype,
                                  std::vector<int64_t> shape) {
  WeightBuffer b;
  b.view = data;
  b.dtype = dtype;
  b.shape = std::move(shape);
  return b;
}

WeightBuffer WeightBuffer::allocate(size_t size, DType dtype,
                                    std::vector<int64_t> shape) {
  WeightBuffer b;
  b.dtype = dtype;
  b.shape = std::move(shape);
  b.bytes = size;
  // aligned_alloc needs a multiple of the alignment; never 0 bytes.
  b.owned.reset(static_cast<uint8_t *>(
      std::aligned_alloc(64, std::max<size_t>(64, (size + 63) / 64 * 64))));
  return b;
}

namespace {

size_t bytesOf(const TensorView &t) {
  return t.numElements() * dtypeSize(t.dtype);
}

/// Copies `t` to `dst`, widening it to F32 when `dtype` says so.
void copyAs(const TensorView &t, DType dtype, void *dst) {
  if (t.dtype == dtype)
    std::memcpy(dst, t.data, bytesOf(t));
  else
    convertToFloat32(t, static_cast<float *>(dst));
}

} // namespace

StatusOr<std::vector<WeightBuffer>>
moec::bindWeights(const Checkpoint &checkpoint, const FunctionSpec &function,
                  const Binding &binding, bool releaseSources) {
  std::vector<const OperandSpec *> operands = function.weights();
  if (operands.size() != binding.weights.size())
    return Status::error("internal error: function " + function.name +
                         " takes " + std::to_string(operands.size()) +
                         " weights but its binding has " +
                         std::to_string(binding.weights.size()));
  std::vector<WeightBuffer> result;
  for (size_t i = 0; i < operands.size(); ++i) {
    const OperandSpec &op = *operands[i];
    const WeightSource &source = binding.weights[i];
    std::vector<TensorView> parts;
    for (const std::string &name : source.tensors) {
      StatusOr<TensorView> t = checkpoint.tensor(name);
      if (!t.ok())
        return t.status();
      parts.push_back(*t);
    }
    const size_t elemSize = dtypeSize(op.dtype);
    if (!source.stacked && parts.size() == 1 && parts[0].dtype == op.dtype &&
        reinterpret_cast<uintptr_t>(parts[0].data) % elemSize == 0) {
      result.push_back(WeightBuffer::viewOf(parts[0].data, op.dtype, op.shape));
      continue;
    }
    size_t partBytes = parts.empty() ? 0 : parts[0].numElements() * elemSize;
    WeightBuffer buffer =
        WeightBuffer::allocate(partBytes * parts.size(), op.dtype, op.shape);
    auto *dst = static_cast<uint8_t *>(buffer.mutableData());
    if (!dst)
      return Status::error(
          "cannot allocate " + std::to_string(partBytes * parts.size()) +
          " bytes for weight " + op.name + " of " + function.name);
    for (size_t p = 0; p < parts.size(); ++p) {
      copyAs(parts[p], op.dtype, dst + p * partBytes);
      if (releaseSources)
        checkpoint.releasePages(parts[p]);
    }
    result.push_back(std::move(buffer));
  }
  return result;
}
