//===- NpyFuzzer.cpp - fuzz target: the .npy reader -----------------------===//
//
// moe-run reads activations from .npy files a user hands over. Any bytes
// must give either an array whose data matches its shape or an error.
//
//===----------------------------------------------------------------------===//
#include "moec/Support/Npy.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  moec::StatusOr<moec::NpyArray> array = moec::parseNpy(bytes, "input.npy");
  if (!array.ok()) {
    if (array.status().message().rfind("input.npy", 0) != 0)
      std::abort(); // every error names the file
    return 0;
  }
  size_t count = 1;
  for (int64_t d : array->shape) {
    if (d < 0)
      std::abort();
    count *= static_cast<size_t>(d);
  }
  if (count != array->data.size())
    std::abort();
  return 0;
}
