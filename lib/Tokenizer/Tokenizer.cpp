//===- Tokenizer.cpp - byte-level BPE from a tokenizer.json ---------------===//
#include "moec/Tokenizer/Tokenizer.h"

#include "BPE.h"
#include "PreTokenizer.h"

#include "moec/Support/Json.h"

#include <algorithm>
#include <cctype>

using namespace moec;
using namespace moec::tokenizer;

namespace {

/// A token that `tokenizers` matches in the raw text before anything else.
struct AddedToken {
  int32_t id;
  std::string content;
  bool special = false, lstrip = false, rstrip = false, singleWord = false;
};

/// One piece of a post-processor template: a special token's ids, or the
/// text's ids.
struct TemplatePiece {
  std::vector<int32_t> ids;
  bool isSequence = false;
};

/// Decodes one UTF-8 code point at `i` (valid UTF-8), advancing `i`.
uint32_t nextCodePoint(const std::string &s, size_t &i) {
  unsigned char c = s[i++];
  if (c < 0x80)
    return c;
  int extra = c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
  uint32_t cp = c & (0x3F >> extra);
  while (extra-- > 0 && i < s.size())
    cp = cp << 6 | (static_cast<unsigned char>(s[i++]) & 0x3F);
  return cp;
}

/// The length of the well-formed UTF-8 sequence at the start of `s`, or
/// minus the length of its maximal ill-formed subpart (Unicode's
/// "maximal subpart" rule, which Rust's from_utf8_lossy follows).
int utf8Sequence(std::string_view s) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(0);
  if (c < 0x80)
    return 1;
  int n;
  unsigned char lo = 0x80, hi = 0xBF; // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    lo = c == 0xE0 ? 0xA0 : 0x80;
    hi = c == 0xED ? 0x9F : 0xBF;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    lo = c == 0xF0 ? 0x90 : 0x80;
    hi = c == 0xF4 ? 0x8F : 0xBF;
  } else {
    return -1;
  }
  for (int k = 1; k < n; ++k) {
    if (static_cast<size_t>(k) >= s.size())
      return -k;
    unsigned char b = byte(k);
    bool ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok)
      return -k;
  }
  return n;
}

/// The byte offset of the first ill-formed UTF-8 sequence, or npos.
size_t invalidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    int n = utf8Sequence(s.substr(i));
    if (n < 0)
      return i;
    i += n;
  }
  return std::string::npos;
}

/// `bytes` as UTF-8, each maximal ill-formed subpart replaced by U+FFFD.
std::string lossyUtf8(const std::string &bytes) {
  std::string out;
  std::string_view rest(bytes);
  while (!rest.empty()) {
    int n = utf8Sequence(rest);
    if (n > 0)
      out += rest.substr(0, n);
    else
      out += "\xEF\xBF\xBD";
    rest.remove_prefix(n > 0 ? n : -n);
  }
  return out;
}

bool isWordByte(unsigned char c) {
  return std::isalnum(c) || c == '_' || c >= 0x80;
}

} // namespace

struct Tokenizer::Impl {
  std::vector<AddedToken> added;
  std::unique_ptr<PreTokenizer> preTokenizer;
  std::unique_ptr<BPE> model;
  std::vector<TemplatePiece> singleTemplate;
  bool byteLevelDecoder = false;

  const AddedToken *addedById(int32_t id) const {
    for (const AddedToken &t : added)
      if (t.id == id)
        return &t;
    return nullptr;
  }

  /// Splits `text` into (piece, added token id or -1), added tokens taken
  /// leftmost-longest as tokenizers' AddedVocabulary does.
  std::vector<std::pair<std::string, int32_t>>
  splitAdded(const std::string &text) const {
    std::vector<std::pair<std::string, int32_t>> pieces;
    size_t start = 0, i = 0;
    while (i < text.size()) {
      const AddedToken *best = nullptr;
      for (const AddedToken &t : added)
        if (!t.content.empty() && text.compare(i, t.content.size(), t.content) == 0 &&
            (!best || t.content.size() > best->content.size())) {
          size_t end = i + t.content.size();
          if (t.singleWord &&
              ((i > 0 && isWordByte(text[i - 1])) ||
               (end < text.size() && isWordByte(text[end]))))
            continue;
          best = &t;
        }
      if (!best) {
        ++i;
        continue;
      }
      size_t begin = i, end = i + best->content.size();
      if (best->lstrip)
        while (begin > start && std::isspace(static_cast<unsigned char>(
                                    text[begin - 1])))
          --begin;
      if (best->rstrip)
        while (end < text.size() &&
               std::isspace(static_cast<unsigned char>(text[end])))
          ++end;
      if (begin > start)
        pieces.push_back({text.substr(start, begin - start), -1});
      pieces.push_back({"", best->id});
      start = i = end;
    }
    if (start < text.size())
      pieces.push_back({text.substr(start), -1});
    return pieces;
  }
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

namespace {

Status loadAddedTokens(const JsonValue &root, Tokenizer::Impl &impl) {
  const JsonValue *list = root.find("added_tokens");
  if (!list || list->isNull())
    return Status();
  if (!list->isArray())
    return Status::error("added_tokens must be a list");
  for (const JsonValue &entry : list->getArray()) {
    const JsonValue *id = entry.find("id"), *content = entry.find("content");
    if (!id || !id->isInteger() || id->getInt64() < 0 ||
        id->getInt64() > INT32_MAX || !content || !content->isString())
      return Status::error("an added token needs an id and a content, got " +
                           entry.summary());
    AddedToken t{static_cast<int32_t>(id->getInt64()), content->getString()};
    auto flag = [&](const char *key) {
      const JsonValue *v = entry.find(key);
      return v && v->isBool() && v->getBool();
    };
    t.special = flag("special");
    t.lstrip = flag("lstrip");
    t.rstrip = flag("rstrip");
    t.singleWord = flag("single_word");
    impl.added.push_back(std::move(t));
  }
  return Status();
}

Status checkNormalizer(const JsonValue &root) {
  const JsonValue *n = root.find("normalizer");
  if (!n || n->isNull())
    return Status();
  const JsonValue *type = n->find("type");
  const JsonValue *list = n->find("normalizers");
  if (type && type->isString() && type->getString() == "Sequence" && list &&
      list->isArray() && list->getArray().empty())
    return Status();
  return Status::error("normalizer " +
                       (type ? type->summary() : n->summary()) +
                       " is not supported (only none or an empty Sequence)");
}

/// The `single` template of a TemplateProcessing post-processor, found
/// directly or inside a Sequence of processors (ByteLevel processors only
/// trim offsets, so they change no id).
Status loadPostProcessor(const JsonValue *p, Tokenizer::Impl &impl) {
  if (!p || p->isNull())
    return Status();
  const JsonValue *type = p->find("type");
  std::string t = type && type->isString() ? type->getString() : "";
  if (t == "ByteLevel")
    return Status();
  if (t == "Sequence") {
    const JsonValue *list = p->find("processors");
    if (!list || !list->isArray())
      return Status::error("a Sequence post-processor needs processors");
    for (const JsonValue &q : list->getArray())
      if (Status s = loadPostProcessor(&q, impl); !s.ok())
        return s;
    return Status();
  }
  if (t != "TemplateProcessing")
    return Status::error("post-processor " + (type ? type->summary() : "") +
                         " is not supported (TemplateProcessing, ByteLevel "
                         "and Sequence are)");
  const JsonValue *single = p->find("single");
  const JsonValue *specials = p->find("special_tokens");
  if (!single || !single->isArray())
    return Status::error("TemplateProcessing needs a single template");
  for (const JsonValue &piece : single->getArray()) {
    if (piece.find("Sequence")) {
      impl.singleTemplate.push_back({{}, true});
      continue;
    }
    const JsonValue *special = piece.find("SpecialToken");
    const JsonValue *name = special ? special->find("id") : nullptr;
    const JsonValue *entry =
        name && name->isString() && specials
            ? specials->find(name->getString())
            : nullptr;
    const JsonValue *ids = entry ? entry->find("ids") : nullptr;
    if (!ids || !ids->isArray())
      return Status::error("TemplateProcessing piece " + piece.summary() +
                           " names no special token with ids");
    TemplatePiece out;
    for (const JsonValue &id : ids->getArray()) {
      if (!id.isInteger())
        return Status::error("special token ids must be integers");
      out.ids.push_back(static_cast<int32_t>(id.getInt64()));
    }
    impl.singleTemplate.push_back(std::move(out));
  }
  return Status();
}

} // namespace

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::load(const std::string &path) {
  StatusOr<JsonValue> root = parseJsonFile(path);
  if (!root.ok())
    return root.status();
  auto fail = [&](const Status &s) { return Status::error(path + ": " + s.message()); };
  if (!root->isObject())
    return fail(Status::error("expected a JSON object"));
  auto impl = std::make_unique<Impl>();
  if (Status s = checkNormalizer(*root); !s.ok())
    return fail(s);
  if (Status s = loadAddedTokens(*root, *impl); !s.ok())
    return fail(s);

  const JsonValue *pre = root->find("pre_tokenizer");
  StatusOr<std::unique_ptr<PreTokenizer>> preTokenizer =
      PreTokenizer::fromJson(pre ? *pre : JsonValue());
  if (!preTokenizer.ok())
    return fail(preTokenizer.status());
  impl->preTokenizer = std::move(*preTokenizer);

  const JsonValue *model = root->find("model");
  const JsonValue *modelType = model ? model->find("type") : nullptr;
  if (!model || !model->isObject() ||
      (modelType && !(modelType->isString() && modelType->getString() == "BPE")))
    return fail(Status::error(
        "model " + (modelType ? modelType->summary() : std::string("(none)")) +
        " is not supported; only BPE is"));
  StatusOr<std::unique_ptr<BPE>> bpe = BPE::fromJson(*model);
  if (!bpe.ok())
    return fail(bpe.status());
  impl->model = std::move(*bpe);

  if (Status s = loadPostProcessor(root->find("post_processor"), *impl);
      !s.ok())
    return fail(s);

  if (const JsonValue *decoder = root->find("decoder");
      decoder && !decoder->isNull()) {
    const JsonValue *type = decoder->find("type");
    if (!type || !type->isString() || type->getString() != "ByteLevel")
      return fail(Status::error("decoder " +
                                (type ? type->summary() : decoder->summary()) +
                                " is not supported; only ByteLevel is"));
    impl->byteLevelDecoder = true;
  }
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl)));
}

StatusOr<std::vector<int32_t>> Tokenizer::encode(std::string_view text,
                                                 bool addSpecialTokens) const {
  if (size_t bad = invalidUtf8(text); bad != std::string::npos)
    return Status::error("the text is not valid UTF-8 (byte " +
                         std::to_string(bad) + ")");
  std::vector<int32_t> ids;
  for (const auto &[piece, addedId] : impl->splitAdded(std::string(text))) {
    if (addedId >= 0) {
      ids.push_back(addedId);
      continue;
    }
    for (const std::string &word : impl->preTokenizer->apply({piece}))
      impl->model->encode(word, ids);
  }
  if (!addSpecialTokens || impl->singleTemplate.empty())
    return ids;
  std::vector<int32_t> out;
  for (const TemplatePiece &piece : impl->singleTemplate)
    out.insert(out.end(), piece.isSequence ? ids.begin() : piece.ids.begin(),
               piece.isSequence ? ids.end() : piece.ids.end());
  return out;
}

std::string Tokenizer::decode(const std::vector<int32_t> &ids,
                              bool skipSpecialTokens) const {
  std::string bytes;
  for (int32_t id : ids) {
    std::string token;
    if (const AddedToken *t = impl->addedById(id)) {
      if (t->special && skipSpecialTokens)
        continue;
      token = t->content;
    } else if (const std::string *s = impl->model->token(id)) {
      token = *s;
    } else {
      continue;
    }
    if (!impl->byteLevelDecoder) {
      bytes += token;
      continue;
    }
    // A token made only of byte-level characters stands for those bytes;
    // any other token (an added one) for its own UTF-8.
    std::string mapped;
    bool allBytes = true;
    for (size_t i = 0; i < token.size() && allBytes;) {
      int b = charToByte(nextCodePoint(token, i));
      allBytes = b >= 0;
      mapped += static_cast<char>(b);
    }
    bytes += allBytes ? mapped : token;
  }
  return lossyUtf8(bytes);
}
