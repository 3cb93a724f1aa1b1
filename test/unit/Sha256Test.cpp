//===- Sha256Test.cpp - SHA-256 against the FIPS 180-4 examples -----------===//
#include "moec/Support/Sha256.h"

#include <gtest/gtest.h>

using namespace moec;

namespace {

TEST(Sha256, KnownDigests) {
  EXPECT_EQ(toHex(sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(toHex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      toHex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(toHex(sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PiecesEqualTheWhole) {
  // Lengths around the 55/56/64-byte padding boundaries, fed in uneven
  // pieces.
  for (size_t length : {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 1000}) {
    std::string text;
    for (size_t i = 0; i < length; ++i)
      text += static_cast<char>('a' + i * 7 % 26);
    Sha256 pieces;
    for (size_t at = 0, step = 1; at < length; at += step, step = step * 3 % 71)
      pieces.update(std::string_view(text).substr(at, step));
    EXPECT_EQ(toHex(pieces.finish()), toHex(sha256(text))) << length;
  }
}

} // namespace
