//===- BPE.cpp - the byte-pair-encoding model -----------------------------===//
#include "BPE.h"

#include <queue>
#include <tuple>

using namespace moec;
using namespace moec::tokenizer;

namespace {

/// Words whose ids are remembered (as tokenizers' BPE cache).
constexpr size_t kCacheCapacity = 10000;

uint64_t pairKey(int32_t left, int32_t right) {
  return static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32 |
         static_cast<uint32_t>(right);
}

size_t utf8Length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

/// The two tokens of a merge: "a b", or ["a", "b"] in newer files.
bool mergeParts(const JsonValue &merge, std::string &left, std::string &right) {
  if (merge.isString()) {
    const std::string &s = merge.getString();
    size_t space = s.find(' ');
    if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
      return false;
    left = s.substr(0, space);
    right = s.substr(space + 1);
    return true;
  }
  if (merge.isArray() && merge.getArray().size() == 2 &&
      merge.getArray()[0].isString() && merge.getArray()[1].isString()) {
    left = merge.getArray()[0].getString();
    right = merge.getArray()[1].getString();
    return true;
  }
  return false;
}

} // namespace

StatusOr<std::unique_ptr<BPE>> BPE::fromJson(const JsonValue &model) {
  std::unique_ptr<BPE> bpe(new BPE());
  for (const char *unsupported :
       {"continuing_subword_prefix", "end_of_word_suffix", "dropout"})
    if (const JsonValue *v = model.find(unsupported); v && !v->isNull())
      return Status::error(std::string("BPE option ") + unsupported + " = " +
                           v->summary() + " is not supported");
  if (const JsonValue *v = model.find("byte_fallback");
      v && v->isBool() && v->getBool())
    return Status::error("BPE with byte_fallback is not supported");
  if (const JsonValue *v = model.find("ignore_merges"); v && v->isBool())
    bpe->ignoreMerges = v->getBool();

  const JsonValue *vocab = model.find("vocab");
  if (!vocab || !vocab->isObject())
    return Status::error("the BPE model needs a vocab object");
  for (const auto &[token, id] : vocab->getObject()) {
    if (!id.isInteger() || id.getInt64() < 0 || id.getInt64() > INT32_MAX)
      return Status::error("vocab entry " +
                           JsonValue::makeString(token).summary() +
                           " has id " + id.summary());
    int32_t i = static_cast<int32_t>(id.getInt64());
    bpe->vocab[token] = i;
    bpe->tokens[i] = token;
  }
  if (const JsonValue *v = model.find("unk_token"); v && v->isString()) {
    auto it = bpe->vocab.find(v->getString());
    if (it == bpe->vocab.end())
      return Status::error("unk_token " + v->summary() + " is not in vocab");
    bpe->unk = it->second;
  }

  const JsonValue *merges = model.find("merges");
  if (!merges || !merges->isArray())
    return Status::error("the BPE model needs a merges list");
  int32_t rank = 0;
  for (const JsonValue &merge : merges->getArray()) {
    std::string left, right;
    if (!mergeParts(merge, left, right))
      return Status::error("merge " + merge.summary() +
                           " is not two tokens");
    auto l = bpe->vocab.find(left), r = bpe->vocab.find(right),
         m = bpe->vocab.find(left + right);
    if (l == bpe->vocab.end() || r == bpe->vocab.end() ||
        m == bpe->vocab.end())
      return Status::error("merge " + merge.summary() +
                           " uses or makes a token missing from vocab");
    bpe->merges.emplace(pairKey(l->second, r->second),
                        std::make_pair(rank++, m->second));
  }
  return bpe;
}

const std::string *BPE::token(int32_t id) const {
  auto it = tokens.find(id);
  return it == tokens.end() ? nullptr : &it->second;
}

std::vector<int32_t> BPE::merge(const std::string &word) const {
  if (ignoreMerges)
    if (auto it = vocab.find(word); it != vocab.end())
      return {it->second};

  // The word's characters as a doubly linked list of symbols.
  struct Symbol {
    int32_t id;
    int prev, next;
    bool alive;
  };
  std::vector<Symbol> symbols;
  for (size_t i = 0; i < word.size();) {
    size_t n = std::min(utf8Length(static_cast<unsigned char>(word[i])),
                        word.size() - i);
    auto it = vocab.find(word.substr(i, n));
    i += n;
    // An unknown character becomes unk, or is dropped without one.
    if (it == vocab.end() && unk < 0)
      continue;
    int32_t id = it == vocab.end() ? unk : it->second;
    int index = static_cast<int>(symbols.size());
    symbols.push_back({id, index - 1, index + 1, true});
  }
  if (symbols.empty())
    return {};
  symbols.back().next = -1;

  // Candidate merges, lowest rank first, then leftmost.
  using Candidate = std::tuple<int32_t, int, int32_t>; // rank, pos, new id
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto consider = [&](int pos) {
    if (pos < 0 || symbols[pos].next < 0)
      return;
    auto it = merges.find(
        pairKey(symbols[pos].id, symbols[symbols[pos].next].id));
    if (it != merges.end())
      queue.push({it->second.first, pos, it->second.second});
  };
  for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i)
    consider(i);
  while (!queue.empty()) {
    auto [rank, pos, newId] = queue.top();
    queue.pop();
    Symbol &left = symbols[pos];
    if (!left.alive || left.next < 0)
      continue;
    auto it = merges.find(pairKey(left.id, symbols[left.next].id));
    if (it == merges.end() || it->second.second != newId)
      continue;
    Symbol &right = symbols[left.next];
    right.alive = false;
    left.id = newId;
    left.next = right.next;
    if (right.next >= 0)
      symbols[right.next].prev = pos;
    consider(left.prev);
    consider(pos);
  }
  std::vector<int32_t> ids;
  for (int i = 0; i >= 0; i = symbols[i].next)
    ids.push_back(symbols[i].id);
  return ids;
}

void BPE::encode(const std::string &word, std::vector<int32_t> &ids) const {
  {
    std::lock_guard<std::mutex> lock(cacheMutex);
    if (auto it = cache.find(word); it != cache.end()) {
      ids.insert(ids.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> result = merge(word);
  ids.insert(ids.end(), result.begin(), result.end());
  std::lock_guard<std::mutex> lock(cacheMutex);
  if (cache.size() < kCacheCapacity)
    cache.emplace(word, std::move(result));
}
