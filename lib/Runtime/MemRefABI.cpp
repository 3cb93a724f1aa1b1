//===- MemRefABI.cpp - calling compiled MLIR functions from C++ -----------===//
#include "moec/Runtime/MemRefABI.h"

#include <cstdlib>

using namespace moec;

std::vector<int64_t> moec::makeMemRefDescriptor(const BufferArg &arg) {
  static_assert(sizeof(void *) == sizeof(int64_t), "64-bit pointers");
  std::vector<int64_t> d;
  auto ptr = reinterpret_cast<int64_t>(arg.data);
  d.push_back(ptr);
  d.push_back(ptr);
  d.push_back(0);
  d.insert(d.end(), arg.shape.begin(), arg.shape.end());
  std::vector<int64_t> strides(arg.shape.size(), 1);
  for (size_t i = arg.shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * arg.shape[i];
  d.insert(d.end(), strides.begin(), strides.end());
  return d;
}

void moec::takeMatrixResult(MatrixDescriptor &result,
                            std::vector<int64_t> &shape,
                            std::vector<float> &out) {
  shape = {result.sizes[0], result.sizes[1]};
  out.resize(result.sizes[0] * result.sizes[1]);
  for (int64_t r = 0; r < result.sizes[0]; ++r)
    for (int64_t c = 0; c < result.sizes[1]; ++c)
      out[r * result.sizes[1] + c] =
          result.aligned[result.offset + r * result.strides[0] +
                         c * result.strides[1]];
  std::free(result.allocated);
  result.allocated = result.aligned = nullptr;
}
