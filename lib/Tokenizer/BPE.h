//===- BPE.h - the byte-pair-encoding model --------------------*- C++ -*-===//
#ifndef MOEC_LIB_TOKENIZER_BPE_H
#define MOEC_LIB_TOKENIZER_BPE_H

#include "moec/Support/Json.h"
#include "moec/Support/Status.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace moec::tokenizer {

/// tokenizers' BPE model: a word starts as its characters; the adjacent
/// pair with the lowest merge rank is merged (the leftmost among equal
/// ranks) until no pair of the word has a merge.
class BPE {
public:
  /// From a tokenizer.json `model` of type BPE. Errors name the option.
  static StatusOr<std::unique_ptr<BPE>> fromJson(const JsonValue &model);

  /// Appends the ids of `word` (one pre-tokenized piece) to `ids`.
  void encode(const std::string &word, std::vector<int32_t> &ids) const;

  /// The token of `id`, or null.
  const std::string *token(int32_t id) const;

private:
  std::vector<int32_t> merge(const std::string &word) const;

  std::unordered_map<std::string, int32_t> vocab;
  std::unordered_map<int32_t, std::string> tokens;
  /// (left id, right id) -> (rank, merged id), keyed as left << 32 | right.
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges;
  int32_t unk = -1;
  bool ignoreMerges = false;
  mutable std::mutex cacheMutex;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache;
};

} // namespace moec::tokenizer

#endif // MOEC_LIB_TOKENIZER_BPE_H
