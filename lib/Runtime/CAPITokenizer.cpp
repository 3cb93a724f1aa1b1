//===- CAPITokenizer.cpp - the C API of tokenizer.json --------------------===//
#include "CAPISupport.h"

#include "moec/Tokenizer/Tokenizer.h"

#include <cstring>
#include <limits>
#include <memory>

#include <sys/stat.h>

using namespace moec;
using capi::fail;

struct moec_tokenizer {
  std::unique_ptr<Tokenizer> tokenizer;
};

extern "C" {

moec_status_t moec_tokenizer_load(const char *path, moec_tokenizer_t **out) {
  if (!path || !out)
    return fail("moec_tokenizer_load: path and out must not be NULL");
  std::string file = path;
  struct stat st;
  if (::stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    file += "/tokenizer.json";
  StatusOr<std::unique_ptr<Tokenizer>> tokenizer = Tokenizer::load(file);
  if (!tokenizer.ok())
    return fail(tokenizer.status());
  *out = new (std::nothrow) moec_tokenizer{std::move(*tokenizer)};
  return *out ? nullptr : fail("moec_tokenizer_load: out of memory");
}

void moec_tokenizer_release(moec_tokenizer_t *tokenizer) { delete tokenizer; }

moec_status_t moec_tokenizer_encode(const moec_tokenizer_t *tokenizer,
                                    const char *text, int64_t length,
                                    int add_special_tokens, int32_t *ids,
                                    int64_t capacity, int64_t *count) {
  if (!tokenizer || !text || !count)
    return fail("moec_tokenizer_encode: tokenizer, text and count must not "
                "be NULL");
  if (capacity < 0 || (capacity > 0 && !ids))
    return fail("moec_tokenizer_encode: ids must hold capacity ids");
  size_t bytes = length < 0 ? std::strlen(text) : static_cast<size_t>(length);
  StatusOr<std::vector<int32_t>> encoded =
      tokenizer->tokenizer->encode({text, bytes}, add_special_tokens != 0);
  if (!encoded.ok())
    return fail(encoded.status());
  *count = static_cast<int64_t>(encoded->size());
  if (*count <= capacity)
    std::copy(encoded->begin(), encoded->end(), ids);
  return nullptr;
}

moec_status_t moec_tokenizer_decode(const moec_tokenizer_t *tokenizer,
                                    const int32_t *ids, int64_t count,
                                    int skip_special_tokens, char *text,
                                    int64_t capacity, int64_t *length) {
  if (!tokenizer || !length)
    return fail("moec_tokenizer_decode: tokenizer and length must not be "
                "NULL");
  if (count < 0 || (count > 0 && !ids) ||
      static_cast<uint64_t>(count) >
          std::numeric_limits<size_t>::max() / sizeof(int32_t))
    return fail("moec_tokenizer_decode: ids must hold count ids, got a count "
                "of " +
                std::to_string(count));
  if (capacity < 0 || (capacity > 0 && !text))
    return fail("moec_tokenizer_decode: text must hold capacity bytes");
  std::string decoded = tokenizer->tokenizer->decode(
      std::vector<int32_t>(ids, ids + count), skip_special_tokens != 0);
  *length = static_cast<int64_t>(decoded.size());
  if (*length < capacity) {
    std::memcpy(text, decoded.data(), decoded.size());
    text[decoded.size()] = '\0';
  }
  return nullptr;
}

} // extern "C"
