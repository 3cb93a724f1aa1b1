//===- PreTokenizer.h - splitting text before BPE --------------*- C++ -*-===//
//
// The pre-tokenizers of `tokenizers` that byte-level BPE tokenizers use:
// Split (on a Unicode regular expression or a literal string, with the five
// split behaviours), Digits, ByteLevel, and Sequence. Each step splits every
// piece of the previous one; ByteLevel also maps each byte of a piece to the
// printable character that stands for it in the vocabulary.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_LIB_TOKENIZER_PRETOKENIZER_H
#define MOEC_LIB_TOKENIZER_PRETOKENIZER_H

#include "moec/Support/Json.h"
#include "moec/Support/Status.h"

#include <memory>
#include <string>
#include <vector>

namespace moec::tokenizer {

/// A compiled PCRE2 pattern (UTF, Unicode properties, `$` before any
/// newline as in Oniguruma).
class Regex {
public:
  static StatusOr<std::unique_ptr<Regex>> compile(const std::string &pattern);
  ~Regex();
  /// The [begin, end) byte ranges of the non-empty, non-overlapping matches
  /// in `text` (valid UTF-8), leftmost first.
  std::vector<std::pair<size_t, size_t>> findAll(const std::string &text) const;

private:
  Regex() = default;
  void *code = nullptr;
};

/// What a split does with the matches (tokenizers' SplitDelimiterBehavior).
enum class SplitBehavior {
  Removed,
  Isolated,
  MergedWithPrevious,
  MergedWithNext,
  Contiguous
};

class PreTokenizer {
public:
  /// Builds the pre-tokenizer of a tokenizer.json `pre_tokenizer` value
  /// (null: none). Errors name the unsupported type or option.
  static StatusOr<std::unique_ptr<PreTokenizer>> fromJson(const JsonValue &json);
  virtual ~PreTokenizer();
  /// Splits each of `pieces` (and maps its bytes, for ByteLevel).
  virtual std::vector<std::string>
  apply(const std::vector<std::string> &pieces) const = 0;
};

/// The printable character (UTF-8) that ByteLevel maps byte `b` to.
const std::string &byteToChar(unsigned char b);
/// The byte a ByteLevel character stands for, or -1.
int charToByte(uint32_t codePoint);

} // namespace moec::tokenizer

#endif // MOEC_LIB_TOKENIZER_PRETOKENIZER_H
