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

/// Writes the matrices of `parts` into `dst` (zeroed, `layout`'s packed
/// shape) in panels: stacked parts hold one matrix each; a single part holds
/// all of them one below the other or side by side.
void packPanels(const std::vector<TensorView> &parts, const PanelLayout &layout,
                DType dtype, uint8_t *dst) {
  const size_t elem = dtypeSize(dtype);
  const int64_t g = layout.matrices, n = layout.rows, k = layout.cols;
  const int64_t p = layout.panel, q = layout.kPack;
  const int64_t panels = (n + p - 1) / p, groups = (k + q - 1) / q;
  // Parts in another element type (mixed-type expert stacks) are widened
  // to F32 first.
  std::vector<std::vector<float>> widened(parts.size());
  auto source = [&](size_t part) -> const uint8_t * {
    if (parts[part].dtype == dtype)
      return static_cast<const uint8_t *>(parts[part].data);
    if (widened[part].empty()) {
      widened[part].resize(parts[part].numElements());
      convertToFloat32(parts[part], widened[part].data());
    }
    return reinterpret_cast<const uint8_t *>(widened[part].data());
  };
  const bool stacked = parts.size() > 1 || layout.concat < 0;
  for (int64_t m = 0; m < g; ++m) {
    const uint8_t *base = source(stacked ? m : 0);
    for (int64_t r = 0; r < n; ++r) {
      // Row r of matrix m, contiguous along k.
      const uint8_t *row;
      if (stacked)
        row = base + r * k * elem;
      else if (layout.concat == 0)
        row = base + (m * n + r) * k * elem;
      else
        row = base + (r * g * k + m * k) * elem;
      uint8_t *panel = dst + ((m * panels + r / p) * groups) * p * q * elem;
      const int64_t lane = r % p;
      for (int64_t c = 0; c < k; ++c)
        std::memcpy(panel + ((c / q) * p * q + lane * q + c % q) * elem,
                    row + c * elem, elem);
    }
  }
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
    if (op.panels) {
      size_t bytes = elemSize;
      for (int64_t d : op.shape)
        bytes *= static_cast<size_t>(d);
      WeightBuffer buffer = WeightBuffer::allocate(bytes, op.dtype, op.shape);
      auto *dst = static_cast<uint8_t *>(buffer.mutableData());
      if (!dst)
        return Status::error("cannot allocate " + std::to_string(bytes) +
                             " bytes for weight " + op.name + " of " +
                             function.name);
      std::memset(dst, 0, bytes);
      packPanels(parts, *op.panels, op.dtype, dst);
      if (releaseSources)
        for (const TensorView &part : parts)
          checkpoint.releasePages(part);
      result.push_back(std::move(buffer));
      continue;
    }
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
