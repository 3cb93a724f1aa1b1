//===- Tokenizer.h - byte-level BPE from a tokenizer.json ------*- C++ -*-===//
//
// Encodes and decodes text the way Hugging Face `tokenizers` does for the
// byte-level BPE tokenizers DeepSeek models ship: added (special) tokens are
// split out first; the rest goes through the pre-tokenizer (Split on
// Unicode regular expressions, Digits, ByteLevel, in a Sequence), then the
// BPE model; the post-processor adds the template's special tokens (the BOS).
// Regular expressions are PCRE2's, in UTF mode with Unicode properties.
//
// Components a tokenizer.json may name but this class does not implement
// (other normalizers, pre-tokenizers, models or processors) are refused when
// loading, with the component's name: a file is never half understood.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TOKENIZER_TOKENIZER_H
#define MOEC_TOKENIZER_TOKENIZER_H

#include "moec/Support/Status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace moec {

class Tokenizer {
public:
  /// Reads a tokenizer.json; errors name the file and the component.
  static StatusOr<std::unique_ptr<Tokenizer>> load(const std::string &path);
  ~Tokenizer();
  Tokenizer(const Tokenizer &) = delete;
  Tokenizer &operator=(const Tokenizer &) = delete;

  /// The ids of `text` (UTF-8), with the post-processor's special tokens
  /// when `addSpecialTokens` (as `tokenizers`' encode does by default).
  /// Fails on text that is not valid UTF-8.
  StatusOr<std::vector<int32_t>> encode(std::string_view text,
                                        bool addSpecialTokens = true) const;

  /// The text of `ids`, without special tokens when `skipSpecialTokens`;
  /// invalid UTF-8 from partial byte sequences becomes U+FFFD. Unknown ids
  /// are skipped.
  std::string decode(const std::vector<int32_t> &ids,
                     bool skipSpecialTokens = true) const;

  struct Impl;

private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace moec

#endif // MOEC_TOKENIZER_TOKENIZER_H
