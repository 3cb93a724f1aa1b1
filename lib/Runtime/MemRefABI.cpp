//===- MemRefABI.cpp - memref descriptors for compiled functions ----------===//
#include "moec/Runtime/MemRefABI.h"

#include <cstddef>

using namespace moec;

std::vector<int64_t>
moec::makeMemRefDescriptor(const void *data,
                           const std::vector<int64_t> &shape) {
  static_assert(sizeof(void *) == sizeof(int64_t), "64-bit pointers");
  std::vector<int64_t> d;
  auto ptr = reinterpret_cast<int64_t>(data);
  d.push_back(ptr);
  d.push_back(ptr);
  d.push_back(0);
  d.insert(d.end(), shape.begin(), shape.end());
  std::vector<int64_t> strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * shape[i];
  d.insert(d.end(), strides.begin(), strides.end());
  return d;
}
