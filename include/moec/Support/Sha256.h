//===- Sha256.h - SHA-256 digests (FIPS 180-4) ------------------*- C++ -*-===//
//
// The runtime verifies ahead-of-time modules by their digest and links no
// LLVM, so it carries its own SHA-256.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_SUPPORT_SHA256_H
#define MOEC_SUPPORT_SHA256_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace moec {

using Sha256Digest = std::array<uint8_t, 32>;

/// Incremental SHA-256: update() any number of times, then finish() once.
class Sha256 {
public:
  Sha256();
  void update(std::string_view bytes);
  Sha256Digest finish();

private:
  void compress(const uint8_t *block);

  std::array<uint32_t, 8> state;
  std::array<uint8_t, 64> buffer{};
  size_t buffered = 0;
  uint64_t length = 0;
};

/// The digest of `bytes`.
Sha256Digest sha256(std::string_view bytes);

/// Lower-case hexadecimal, as sha256sum prints it.
std::string toHex(const Sha256Digest &digest);

} // namespace moec

#endif // MOEC_SUPPORT_SHA256_H
