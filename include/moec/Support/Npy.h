//===- Npy.h - NumPy .npy files of float32 ----------------------*- C++ -*-===//
//
// moe-run exchanges activations with Python as .npy files. Only what that
// needs is supported: little-endian float32 in C order, format versions 1.0
// to 3.0 on reading, 1.0 on writing.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_SUPPORT_NPY_H
#define MOEC_SUPPORT_NPY_H

#include "moec/Support/Status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moec {

/// A float32 array in C (row-major) order.
struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

/// Reads a '<f4', C-order .npy file. Errors name the file and say what it
/// holds instead (another dtype, Fortran order, a bad header, too few bytes).
StatusOr<NpyArray> readNpy(const std::string &path);

/// Parses the bytes of a .npy file as readNpy does; errors begin with `name`.
StatusOr<NpyArray> parseNpy(std::string_view bytes, const std::string &name);

/// Writes `data` (the product of `shape` floats) as a version 1.0 .npy file.
/// The file is written under a temporary name in the same directory and
/// renamed into place, so `path` is either the complete new file or left as
/// it was.
Status writeNpy(const std::string &path, const std::vector<int64_t> &shape,
                const float *data);

} // namespace moec

#endif // MOEC_SUPPORT_NPY_H
