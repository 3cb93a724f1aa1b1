//===- ModuleFile.h - sealed ahead-of-time module files ---------*- C++ -*-===//
//
// moe-compile writes a shared library (an ELF image) followed by a 48-byte
// seal: the magic "MOECSEAL", the image's size (64-bit little-endian) and
// the image's SHA-256. dlopen ignores bytes after the image; the runtime
// checks the seal and the ELF structure before it maps anything, so a
// truncated, damaged or foreign file is an error instead of a crash inside
// dlopen or code that silently computes something else.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_MODULEFILE_H
#define MOEC_RUNTIME_MODULEFILE_H

#include "moec/Support/Status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace moec {

inline constexpr size_t kModuleSealBytes = 48;

/// The seal to append to `image`.
std::string moduleSeal(std::string_view image);

/// The ELF image inside the module file `bytes` (named `path` in messages),
/// once its seal matches and its ELF header, program headers and section
/// headers lie within it and describe a shared library for this machine.
StatusOr<std::string_view> checkSealedModule(std::string_view bytes,
                                             const std::string &path);

/// Largest module file the runtime reads.
inline constexpr uint64_t kMaxModuleFileBytes = uint64_t(4) << 30;

} // namespace moec

#endif // MOEC_RUNTIME_MODULEFILE_H
