//===- Json.h - A small, strict JSON parser ---------------------*- C++ -*-===//
//
// Enough JSON for config.json, model.safetensors.index.json and safetensors
// headers. It is strict (RFC 8259: no comments, no trailing commas, valid
// UTF-8 only, no duplicate object keys) because these files come from
// outside and a lenient reading could silently load the wrong weights.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_SUPPORT_JSON_H
#define MOEC_SUPPORT_JSON_H

#include "moec/Support/Status.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace moec {

/// One parsed JSON value. Object members are kept sorted by key.
class JsonValue {
public:
  enum class Kind { Null, Bool, Number, String, Array, Object };
  using Array = std::vector<JsonValue>;
  using Object = std::map<std::string, JsonValue, std::less<>>;

  /// A null value.
  JsonValue() = default;
  static JsonValue makeBool(bool b);
  /// A number; `isInteger` says the literal had no fraction or exponent and
  /// fits in int64, in which case `integer` holds it exactly. `literal`, the
  /// number as written, if known, is what summary() shows.
  static JsonValue makeNumber(double number, bool isInteger, int64_t integer,
                              std::string literal = "");
  static JsonValue makeString(std::string s);
  static JsonValue makeArray(Array elements);
  static JsonValue makeObject(Object members);

  Kind kind() const { return k; }
  bool isNull() const { return k == Kind::Null; }
  bool isBool() const { return k == Kind::Bool; }
  bool isNumber() const { return k == Kind::Number; }
  /// True for a number written as an integer that fits in int64.
  bool isInteger() const { return k == Kind::Number && integral; }
  bool isString() const { return k == Kind::String; }
  bool isArray() const { return k == Kind::Array; }
  bool isObject() const { return k == Kind::Object; }

  // The accessors below require the matching kind (checked by assert).
  bool getBool() const;
  double getDouble() const;
  int64_t getInt64() const;
  const std::string &getString() const;
  const Array &getArray() const;
  const Object &getObject() const;

  /// The member `key` of an object, or null if this is not an object or has
  /// no such member.
  const JsonValue *find(std::string_view key) const;

  /// A short rendering for error messages: scalars in JSON syntax (numbers
  /// as written, strings quoted and cut after 40 characters), "[...]" and
  /// "{...}" for containers.
  std::string summary() const;

private:
  Kind k = Kind::Null;
  bool boolean = false;
  bool integral = false;
  double number = 0;
  int64_t integer = 0;
  std::string str; // A string's value, or a number's literal.
  Array array;
  Object object;
};

/// Nesting deeper than this is rejected, so that hostile input cannot
/// exhaust the stack of the recursive parser.
constexpr int kMaxJsonDepth = 512;

/// Parses exactly one JSON value surrounded by optional whitespace. Errors
/// read "line L, column C (byte B): <what is wrong>"; columns count bytes.
StatusOr<JsonValue> parseJson(std::string_view text);

/// Reads and parses the file at `path`; errors start with the path.
StatusOr<JsonValue> parseJsonFile(const std::string &path);

} // namespace moec

#endif // MOEC_SUPPORT_JSON_H
