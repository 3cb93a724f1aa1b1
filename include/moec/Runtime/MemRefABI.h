//===- MemRefABI.h - memref descriptors for compiled functions -*- C++ -*-===//
//
// Compiled functions with `llvm.emit_c_interface` take pointers to ranked
// memref descriptors {allocated, aligned, offset, sizes[rank],
// strides[rank]}. The runtime builds them here for row-major, contiguous
// buffers.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_MEMREFABI_H
#define MOEC_RUNTIME_MEMREFABI_H

#include <cstdint>
#include <vector>

namespace moec {

/// The descriptor of the row-major, contiguous buffer `data` of `shape`, as
/// 64-bit words (pointers are 64-bit here).
std::vector<int64_t> makeMemRefDescriptor(const void *data,
                                          const std::vector<int64_t> &shape);

} // namespace moec

#endif // MOEC_RUNTIME_MEMREFABI_H
