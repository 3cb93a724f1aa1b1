//===- Json.cpp - A small, strict JSON parser -----------------------------===//
#include "moec/Support/Json.h"

#include "moec/Support/FileIO.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace moec {

//===----------------------------------------------------------------------===//
// JsonValue
//===----------------------------------------------------------------------===//

JsonValue JsonValue::makeBool(bool b) {
  JsonValue v;
  v.k = Kind::Bool;
  v.boolean = b;
  return v;
}

JsonValue JsonValue::makeNumber(double number, bool isInteger, int64_t integer,
                                std::string literal) {
  JsonValue v;
  v.k = Kind::Number;
  v.number = number;
  v.integral = isInteger;
  v.integer = isInteger ? integer : 0;
  v.str = std::move(literal);
  return v;
}

JsonValue JsonValue::makeString(std::string s) {
  JsonValue v;
  v.k = Kind::String;
  v.str = std::move(s);
  return v;
}

JsonValue JsonValue::makeArray(Array elements) {
  JsonValue v;
  v.k = Kind::Array;
  v.array = std::move(elements);
  return v;
}

JsonValue JsonValue::makeObject(Object members) {
  JsonValue v;
  v.k = Kind::Object;
  v.object = std::move(members);
  return v;
}

bool JsonValue::getBool() const {
  assert(isBool());
  return boolean;
}
double JsonValue::getDouble() const {
  assert(isNumber());
  return number;
}
int64_t JsonValue::getInt64() const {
  assert(isInteger());
  return integer;
}
const std::string &JsonValue::getString() const {
  assert(isString());
  return str;
}
const JsonValue::Array &JsonValue::getArray() const {
  assert(isArray());
  return array;
}
const JsonValue::Object &JsonValue::getObject() const {
  assert(isObject());
  return object;
}

const JsonValue *JsonValue::find(std::string_view key) const {
  if (!isObject())
    return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &it->second;
}

/// summary() cuts long strings and number literals after this many bytes.
static constexpr size_t kMaxShown = 40;

std::string JsonValue::summary() const {
  switch (k) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return boolean ? "true" : "false";
  case Kind::Number: {
    if (!str.empty())
      return str.size() > kMaxShown ? str.substr(0, kMaxShown) + "..." : str;
    if (integral)
      return std::to_string(integer);
    // to_chars, unlike printf, ignores the locale's decimal separator.
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof(buf), number);
    return std::string(buf, res.ptr);
  }
  case Kind::String: {
    // Cut at a character boundary, so the message stays valid UTF-8.
    size_t shown = std::min(str.size(), kMaxShown);
    while (shown < str.size() && (str[shown] & 0xC0) == 0x80)
      --shown;
    std::string out = "\"";
    for (size_t i = 0; i < shown; ++i) {
      unsigned char c = str[i];
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        char esc[8];
        std::snprintf(esc, sizeof(esc), "\\u%04x", c);
        out += esc;
      } else {
        out += static_cast<char>(c);
      }
    }
    if (shown < str.size())
      out += "...";
    return out + "\"";
  }
  case Kind::Array:
    return "[...]";
  case Kind::Object:
    return "{...}";
  }
  return "?";
}

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

namespace {

/// A recursive-descent parser. Each parse* method returns false after
/// recording the first error; the error is reported with its position.
class Parser {
public:
  explicit Parser(std::string_view text) : text(text) {}

  StatusOr<JsonValue> parseDocument() {
    JsonValue value;
    if (!parseValue(value, 0))
      return error;
    skipWhitespace();
    if (pos != text.size()) {
      fail(pos, "unexpected " + describe(pos) + " after the JSON value");
      return error;
    }
    return value;
  }

private:
  bool fail(size_t at, const std::string &what) {
    size_t line = 1, lineStart = 0;
    for (size_t i = 0; i < at && i < text.size(); ++i)
      if (text[i] == '\n') {
        ++line;
        lineStart = i + 1;
      }
    error = Status::error("line " + std::to_string(line) + ", column " +
                          std::to_string(at - lineStart + 1) + " (byte " +
                          std::to_string(at) + "): " + what);
    return false;
  }

  /// Names the byte at `at` for an error message.
  std::string describe(size_t at) const {
    if (at >= text.size())
      return "end of input";
    unsigned char c = text[at];
    if (c >= 0x20 && c < 0x7f)
      return std::string("'") + static_cast<char>(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof(buf), "byte 0x%02x", c);
    return buf;
  }

  bool atEnd() const { return pos >= text.size(); }
  char peek() const { return atEnd() ? '\0' : text[pos]; }

  void skipWhitespace() {
    while (!atEnd() && (text[pos] == ' ' || text[pos] == '\t' ||
                        text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool parseValue(JsonValue &out, int depth) {
    skipWhitespace();
    if (atEnd())
      return fail(pos, "unexpected end of input, expected a value");
    char c = text[pos];
    if (c == '{' || c == '[') {
      if (depth >= kMaxJsonDepth)
        return fail(pos, "nesting deeper than " +
                             std::to_string(kMaxJsonDepth) + " levels");
      return c == '{' ? parseObject(out, depth) : parseArray(out, depth);
    }
    if (c == '"') {
      std::string s;
      if (!parseString(s))
        return false;
      out = JsonValue::makeString(std::move(s));
      return true;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
      return parseNumber(out);
    for (auto [word, value] : {std::pair{"true", JsonValue::makeBool(true)},
                               std::pair{"false", JsonValue::makeBool(false)},
                               std::pair{"null", JsonValue()}}) {
      if (text.substr(pos, std::strlen(word)) == word) {
        pos += std::strlen(word);
        out = value;
        return true;
      }
    }
    return fail(pos, "unexpected " + describe(pos) + ", expected a value");
  }

  bool parseObject(JsonValue &out, int depth) {
    ++pos; // '{'
    JsonValue::Object members;
    skipWhitespace();
    if (peek() == '}') {
      ++pos;
      out = JsonValue::makeObject(std::move(members));
      return true;
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"')
        return fail(pos, "expected a string key, got " + describe(pos));
      size_t keyPos = pos;
      std::string key;
      if (!parseString(key))
        return false;
      skipWhitespace();
      if (peek() != ':')
        return fail(pos,
                    "expected ':' after an object key, got " + describe(pos));
      ++pos;
      JsonValue value;
      if (!parseValue(value, depth + 1))
        return false;
      // A repeated key would make the result depend on which copy wins.
      if (!members.emplace(key, std::move(value)).second)
        return fail(keyPos,
                    "duplicate key " + JsonValue::makeString(key).summary());
      skipWhitespace();
      if (peek() == ',') {
        ++pos;
        continue;
      }
      if (peek() == '}') {
        ++pos;
        out = JsonValue::makeObject(std::move(members));
        return true;
      }
      return fail(pos, "expected ',' or '}' after an object member, got " +
                           describe(pos));
    }
  }

  bool parseArray(JsonValue &out, int depth) {
    ++pos; // '['
    JsonValue::Array elements;
    skipWhitespace();
    if (peek() == ']') {
      ++pos;
      out = JsonValue::makeArray(std::move(elements));
      return true;
    }
    while (true) {
      JsonValue value;
      if (!parseValue(value, depth + 1))
        return false;
      elements.push_back(std::move(value));
      skipWhitespace();
      if (peek() == ',') {
        ++pos;
        continue;
      }
      if (peek() == ']') {
        ++pos;
        out = JsonValue::makeArray(std::move(elements));
        return true;
      }
      return fail(pos, "expected ',' or ']' after an array element, got " +
                           describe(pos));
    }
  }

  static void appendUtf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  /// Reads the 4 hex digits of a \u escape at pos.
  bool parseHex4(uint32_t &cp) {
    cp = 0;
    for (int i = 0; i < 4; ++i, ++pos) {
      char c = peek();
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit < 0)
        return fail(pos,
                    "expected 4 hex digits after \\u, got " + describe(pos));
      cp = cp * 16 + digit;
    }
    return true;
  }

  /// Parses the escape at pos (just after the backslash).
  bool parseEscape(std::string &out) {
    size_t escPos = pos - 1;
    char c = peek();
    ++pos;
    switch (c) {
    case '"':
    case '\\':
    case '/':
      out += c;
      return true;
    case 'b':
      out += '\b';
      return true;
    case 'f':
      out += '\f';
      return true;
    case 'n':
      out += '\n';
      return true;
    case 'r':
      out += '\r';
      return true;
    case 't':
      out += '\t';
      return true;
    case 'u':
      break;
    default:
      return fail(escPos,
                  "invalid escape: backslash followed by " + describe(pos - 1));
    }
    uint32_t cp;
    if (!parseHex4(cp))
      return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
      return fail(escPos, "unpaired low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      // UTF-16 high surrogate: a \u low surrogate must follow.
      if (text.substr(pos, 2) != "\\u")
        return fail(escPos, "high surrogate not followed by a \\u low "
                            "surrogate");
      pos += 2;
      uint32_t low;
      if (!parseHex4(low))
        return false;
      if (low < 0xDC00 || low > 0xDFFF)
        return fail(escPos, "high surrogate not followed by a \\u low "
                            "surrogate");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    appendUtf8(out, cp);
    return true;
  }

  /// Copies one UTF-8 encoded character at pos, rejecting malformed,
  /// overlong and surrogate encodings.
  bool copyUtf8(std::string &out) {
    size_t start = pos;
    unsigned char lead = text[pos];
    int length;
    uint32_t cp;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      cp = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      cp = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      cp = lead & 0x07;
    } else {
      return fail(start, "invalid UTF-8 " + describe(start));
    }
    for (int i = 1; i < length; ++i) {
      if (start + i >= text.size() ||
          (static_cast<unsigned char>(text[start + i]) & 0xC0) != 0x80)
        return fail(start, "invalid UTF-8 sequence");
      cp = (cp << 6) | (static_cast<unsigned char>(text[start + i]) & 0x3F);
    }
    static const uint32_t minForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < minForLength[length] || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return fail(start, "invalid UTF-8 sequence");
    out.append(text.substr(start, length));
    pos += length;
    return true;
  }

  bool parseString(std::string &out) {
    size_t start = pos++;
    while (true) {
      if (atEnd())
        return fail(start, "unterminated string");
      unsigned char c = text[pos];
      if (c == '"') {
        ++pos;
        return true;
      }
      if (c == '\\') {
        if (++pos == text.size())
          return fail(start, "unterminated string");
        if (!parseEscape(out))
          return false;
      } else if (c < 0x20) {
        return fail(pos, "unescaped control character " + describe(pos) +
                             " in string");
      } else if (c < 0x80) {
        out += static_cast<char>(c);
        ++pos;
      } else if (!copyUtf8(out)) {
        return false;
      }
    }
  }

  bool parseDigits() {
    if (!(peek() >= '0' && peek() <= '9'))
      return fail(pos, "expected a digit, got " + describe(pos));
    while (peek() >= '0' && peek() <= '9')
      ++pos;
    return true;
  }

  bool parseNumber(JsonValue &out) {
    size_t start = pos;
    if (peek() == '-')
      ++pos;
    if (peek() == '0')
      ++pos; // JSON forbids leading zeros: "01" ends the number after "0".
    else if (!parseDigits())
      return false;
    bool integral = true;
    if (peek() == '.') {
      integral = false;
      ++pos;
      if (!parseDigits())
        return false;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos;
      if (peek() == '+' || peek() == '-')
        ++pos;
      if (!parseDigits())
        return false;
    }
    const char *first = text.data() + start, *last = text.data() + pos;
    double d = 0;
    auto res = std::from_chars(first, last, d);
    if (res.ec != std::errc() || res.ptr != last)
      return fail(start, "number " + std::string(first, last) +
                             " is out of range of a double");
    int64_t i = 0;
    if (integral) {
      auto ires = std::from_chars(first, last, i);
      integral = ires.ec == std::errc() && ires.ptr == last;
    }
    out = JsonValue::makeNumber(d, integral, i, std::string(first, last));
    return true;
  }

  std::string_view text;
  size_t pos = 0;
  Status error;
};

} // namespace

StatusOr<JsonValue> parseJson(std::string_view text) {
  return Parser(text).parseDocument();
}

StatusOr<JsonValue> parseJsonFile(const std::string &path) {
  StatusOr<std::string> text = readRegularFile(path, kMaxJsonFileBytes);
  if (!text.ok())
    return text.status();
  StatusOr<JsonValue> value = parseJson(*text);
  if (!value.ok())
    return Status::error(path + ": " + value.status().message());
  return value;
}

} // namespace moec
