//===- PreTokenizer.cpp - splitting text before BPE -----------------------===//
#include "PreTokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>

using namespace moec;
using namespace moec::tokenizer;

//===----------------------------------------------------------------------===//
// Regex
//===----------------------------------------------------------------------===//

StatusOr<std::unique_ptr<Regex>> Regex::compile(const std::string &pattern) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  // Oniguruma (which `tokenizers` uses) anchors `$` at every line end.
  pcre2_code *code = pcre2_compile(
      reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
      PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE, &error, &offset, nullptr);
  if (!code) {
    std::array<PCRE2_UCHAR, 256> message{};
    pcre2_get_error_message(error, message.data(), message.size());
    return Status::error("cannot compile the regular expression \"" + pattern +
                         "\" at offset " + std::to_string(offset) + ": " +
                         reinterpret_cast<const char *>(message.data()));
  }
  // JIT compilation only speeds matching up; without it PCRE2 interprets.
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  std::unique_ptr<Regex> regex(new Regex());
  regex->code = code;
  return regex;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code *>(code)); }

std::vector<std::pair<size_t, size_t>>
Regex::findAll(const std::string &text) const {
  auto *re = static_cast<pcre2_code *>(code);
  pcre2_match_data *data = pcre2_match_data_create_from_pattern(re, nullptr);
  std::vector<std::pair<size_t, size_t>> matches;
  size_t offset = 0;
  while (offset <= text.size()) {
    int rc = pcre2_match(re, reinterpret_cast<PCRE2_SPTR>(text.data()),
                         text.size(), offset, 0, data, nullptr);
    if (rc < 0)
      break;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(data);
    size_t begin = ov[0], end = ov[1];
    if (begin == end) {
      // An empty match: move past one character.
      offset = end + 1;
      while (offset < text.size() && (text[offset] & 0xC0) == 0x80)
        ++offset;
      continue;
    }
    matches.push_back({begin, end});
    offset = end;
  }
  pcre2_match_data_free(data);
  return matches;
}

//===----------------------------------------------------------------------===//
// Byte-level characters
//===----------------------------------------------------------------------===//

namespace {

std::string encodeUtf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

/// GPT-2's table: printable Latin-1 bytes stand for themselves, the others
/// for the code points 256, 257, ... in byte order.
struct ByteTable {
  std::array<std::string, 256> chars;
  std::array<uint32_t, 256> codePoints{};
  ByteTable() {
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) ||
                       (b >= 0xAE && b <= 0xFF);
      codePoints[b] = printable ? static_cast<uint32_t>(b) : next++;
      chars[b] = encodeUtf8(codePoints[b]);
    }
  }
};

const ByteTable &byteTable() {
  static const ByteTable table;
  return table;
}

} // namespace

const std::string &tokenizer::byteToChar(unsigned char b) {
  return byteTable().chars[b];
}

int tokenizer::charToByte(uint32_t codePoint) {
  static const std::array<int, 512> inverse = [] {
    std::array<int, 512> inv;
    inv.fill(-1);
    for (int b = 0; b < 256; ++b)
      inv[byteTable().codePoints[b]] = b;
    return inv;
  }();
  return codePoint < inverse.size() ? inverse[codePoint] : -1;
}

//===----------------------------------------------------------------------===//
// Pre-tokenizers
//===----------------------------------------------------------------------===//

PreTokenizer::~PreTokenizer() = default;

namespace {

/// Cuts `text` at `matches` and keeps the pieces `behavior` asks for;
/// `invert` swaps what counts as the delimiter.
std::vector<std::string>
splitAt(const std::string &text,
        const std::vector<std::pair<size_t, size_t>> &matches,
        SplitBehavior behavior, bool invert) {
  std::vector<std::pair<std::string, bool>> parts; // (text, is delimiter)
  size_t prev = 0;
  for (auto [begin, end] : matches) {
    if (begin > prev)
      parts.push_back({text.substr(prev, begin - prev), invert});
    parts.push_back({text.substr(begin, end - begin), !invert});
    prev = end;
  }
  if (prev < text.size())
    parts.push_back({text.substr(prev), invert});

  std::vector<std::string> out;
  switch (behavior) {
  case SplitBehavior::Removed:
    for (auto &[s, delim] : parts)
      if (!delim)
        out.push_back(std::move(s));
    break;
  case SplitBehavior::Isolated:
    for (auto &[s, delim] : parts)
      out.push_back(std::move(s));
    break;
  case SplitBehavior::MergedWithPrevious: {
    bool previousIsText = false;
    for (auto &[s, delim] : parts) {
      if (delim && previousIsText)
        out.back() += s;
      else
        out.push_back(std::move(s));
      previousIsText = !delim;
    }
    break;
  }
  case SplitBehavior::MergedWithNext: {
    bool pending = false;
    for (auto &[s, delim] : parts) {
      if (pending)
        out.back() += s;
      else
        out.push_back(std::move(s));
      pending = delim;
    }
    break;
  }
  case SplitBehavior::Contiguous: {
    bool previousDelim = false;
    for (auto &[s, delim] : parts) {
      if (delim && previousDelim)
        out.back() += s;
      else
        out.push_back(std::move(s));
      previousDelim = delim;
    }
    break;
  }
  }
  std::vector<std::string> nonEmpty;
  for (std::string &s : out)
    if (!s.empty())
      nonEmpty.push_back(std::move(s));
  return nonEmpty;
}

/// Splits on a regular expression (Split, Digits, ByteLevel's regex).
class RegexSplit : public PreTokenizer {
public:
  RegexSplit(std::unique_ptr<Regex> regex, SplitBehavior behavior,
             bool invert)
      : regex(std::move(regex)), behavior(behavior), invert(invert) {}
  std::vector<std::string>
  apply(const std::vector<std::string> &pieces) const override {
    std::vector<std::string> out;
    for (const std::string &piece : pieces)
      for (std::string &s :
           splitAt(piece, regex->findAll(piece), behavior, invert))
        out.push_back(std::move(s));
    return out;
  }

private:
  std::unique_ptr<Regex> regex;
  SplitBehavior behavior;
  bool invert;
};

/// Splits on a literal string.
class StringSplit : public PreTokenizer {
public:
  StringSplit(std::string delimiter, SplitBehavior behavior, bool invert)
      : delimiter(std::move(delimiter)), behavior(behavior), invert(invert) {}
  std::vector<std::string>
  apply(const std::vector<std::string> &pieces) const override {
    std::vector<std::string> out;
    for (const std::string &piece : pieces) {
      std::vector<std::pair<size_t, size_t>> matches;
      for (size_t at = piece.find(delimiter);
           !delimiter.empty() && at != std::string::npos;
           at = piece.find(delimiter, at + delimiter.size()))
        matches.push_back({at, at + delimiter.size()});
      for (std::string &s : splitAt(piece, matches, behavior, invert))
        out.push_back(std::move(s));
    }
    return out;
  }

private:
  std::string delimiter;
  SplitBehavior behavior;
  bool invert;
};

/// ByteLevel: an optional leading space, GPT-2's split, then each byte as
/// its printable character.
class ByteLevel : public PreTokenizer {
public:
  ByteLevel(bool addPrefixSpace, std::unique_ptr<PreTokenizer> split)
      : addPrefixSpace(addPrefixSpace), split(std::move(split)) {}
  std::vector<std::string>
  apply(const std::vector<std::string> &pieces) const override {
    std::vector<std::string> prefixed;
    for (const std::string &piece : pieces)
      prefixed.push_back(addPrefixSpace && piece.rfind(' ', 0) != 0
                             ? " " + piece
                             : piece);
    std::vector<std::string> words = split ? split->apply(prefixed) : prefixed;
    for (std::string &word : words) {
      std::string mapped;
      for (unsigned char b : word)
        mapped += byteToChar(b);
      word = std::move(mapped);
    }
    return words;
  }

private:
  bool addPrefixSpace;
  std::unique_ptr<PreTokenizer> split;
};

class Sequence : public PreTokenizer {
public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> steps)
      : steps(std::move(steps)) {}
  std::vector<std::string>
  apply(const std::vector<std::string> &pieces) const override {
    std::vector<std::string> current = pieces;
    for (const auto &step : steps)
      current = step->apply(current);
    return current;
  }

private:
  std::vector<std::unique_ptr<PreTokenizer>> steps;
};

class Identity : public PreTokenizer {
public:
  std::vector<std::string>
  apply(const std::vector<std::string> &pieces) const override {
    return pieces;
  }
};

/// GPT-2's pre-tokenization pattern, which ByteLevel applies with
/// use_regex.
constexpr const char *kGPT2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|"
    "\\s+(?!\\S)|\\s+";

StatusOr<bool> boolField(const JsonValue &json, const char *key,
                         bool fallback) {
  const JsonValue *v = json.find(key);
  if (!v || v->isNull())
    return fallback;
  if (!v->isBool())
    return Status::error(std::string(key) + " must be true or false, got " +
                         v->summary());
  return v->getBool();
}

StatusOr<SplitBehavior> behaviorOf(const JsonValue &json) {
  const JsonValue *v = json.find("behavior");
  if (!v || !v->isString())
    return Status::error("Split needs a behavior");
  const std::string &b = v->getString();
  if (b == "Removed")
    return SplitBehavior::Removed;
  if (b == "Isolated")
    return SplitBehavior::Isolated;
  if (b == "MergedWithPrevious")
    return SplitBehavior::MergedWithPrevious;
  if (b == "MergedWithNext")
    return SplitBehavior::MergedWithNext;
  if (b == "Contiguous")
    return SplitBehavior::Contiguous;
  return Status::error("Split behavior " + v->summary() + " is unknown");
}

StatusOr<std::unique_ptr<PreTokenizer>> makeSplit(const JsonValue &json) {
  StatusOr<SplitBehavior> behavior = behaviorOf(json);
  if (!behavior.ok())
    return behavior.status();
  StatusOr<bool> invert = boolField(json, "invert", false);
  if (!invert.ok())
    return invert.status();
  const JsonValue *pattern = json.find("pattern");
  if (pattern && pattern->isObject()) {
    if (const JsonValue *re = pattern->find("Regex"); re && re->isString()) {
      StatusOr<std::unique_ptr<Regex>> regex = Regex::compile(re->getString());
      if (!regex.ok())
        return regex.status();
      return std::unique_ptr<PreTokenizer>(
          new RegexSplit(std::move(*regex), *behavior, *invert));
    }
    if (const JsonValue *s = pattern->find("String"); s && s->isString())
      return std::unique_ptr<PreTokenizer>(
          new StringSplit(s->getString(), *behavior, *invert));
  }
  return Status::error("Split needs a pattern {\"Regex\": ...} or "
                       "{\"String\": ...}");
}

} // namespace

StatusOr<std::unique_ptr<PreTokenizer>>
PreTokenizer::fromJson(const JsonValue &json) {
  if (json.isNull())
    return std::unique_ptr<PreTokenizer>(new Identity());
  const JsonValue *type = json.isObject() ? json.find("type") : nullptr;
  if (!type || !type->isString())
    return Status::error("a pre-tokenizer needs a type");
  const std::string &t = type->getString();
  if (t == "Sequence") {
    const JsonValue *list = json.find("pretokenizers");
    if (!list || !list->isArray())
      return Status::error("a Sequence pre-tokenizer needs pretokenizers");
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (const JsonValue &step : list->getArray()) {
      StatusOr<std::unique_ptr<PreTokenizer>> p = fromJson(step);
      if (!p.ok())
        return p.status();
      steps.push_back(std::move(*p));
    }
    return std::unique_ptr<PreTokenizer>(new Sequence(std::move(steps)));
  }
  if (t == "Split")
    return makeSplit(json);
  if (t == "Digits") {
    StatusOr<bool> individual = boolField(json, "individual_digits", false);
    if (!individual.ok())
      return individual.status();
    // Rust's char::is_numeric: the general categories Nd, Nl and No.
    StatusOr<std::unique_ptr<Regex>> regex = Regex::compile("\\p{N}");
    if (!regex.ok())
      return regex.status();
    return std::unique_ptr<PreTokenizer>(new RegexSplit(
        std::move(*regex),
        *individual ? SplitBehavior::Isolated : SplitBehavior::Contiguous,
        false));
  }
  if (t == "ByteLevel") {
    StatusOr<bool> prefix = boolField(json, "add_prefix_space", true);
    StatusOr<bool> useRegex = boolField(json, "use_regex", true);
    if (!prefix.ok() || !useRegex.ok())
      return prefix.ok() ? useRegex.status() : prefix.status();
    std::unique_ptr<PreTokenizer> split;
    if (*useRegex) {
      StatusOr<std::unique_ptr<Regex>> regex = Regex::compile(kGPT2Pattern);
      if (!regex.ok())
        return regex.status();
      split = std::make_unique<RegexSplit>(std::move(*regex),
                                           SplitBehavior::Isolated, false);
    }
    return std::unique_ptr<PreTokenizer>(
        new ByteLevel(*prefix, std::move(split)));
  }
  return Status::error("pre-tokenizer type \"" + t +
                       "\" is not supported (moec implements Sequence, "
                       "Split, Digits and ByteLevel)");
}
