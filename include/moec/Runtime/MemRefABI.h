//===- MemRefABI.h - calling compiled MLIR functions from C++ --*- C++ -*-===//
//
// Compiled functions with `llvm.emit_c_interface` take pointers to ranked
// memref descriptors {allocated, aligned, offset, sizes[rank], strides[rank]}
// and return a memref result through a pointer to such a descriptor passed
// first. Both the JIT and the ahead-of-time runtime build them here.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_MEMREFABI_H
#define MOEC_RUNTIME_MEMREFABI_H

#include <cstdint>
#include <vector>

namespace moec {

/// A row-major, contiguous argument buffer.
struct BufferArg {
  const void *data = nullptr;
  std::vector<int64_t> shape;
};

/// The descriptor of `arg` as 64-bit words (pointers are 64-bit here).
std::vector<int64_t> makeMemRefDescriptor(const BufferArg &arg);

/// The descriptor of a returned rank-2 f32 memref.
struct MatrixDescriptor {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};

/// Copies a returned matrix into `out` (row-major) and frees it: compiled
/// code allocates results with malloc and hands them to the caller.
void takeMatrixResult(MatrixDescriptor &result, std::vector<int64_t> &shape,
                      std::vector<float> &out);

} // namespace moec

#endif // MOEC_RUNTIME_MEMREFABI_H
