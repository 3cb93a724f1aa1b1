//===- JsonTest.cpp - the strict JSON parser ------------------------------===//
#include "moec/Support/Json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

using namespace moec;
using ::testing::HasSubstr;

namespace {

JsonValue parseOk(const std::string &text) {
  StatusOr<JsonValue> v = parseJson(text);
  EXPECT_TRUE(v.ok()) << text << ": " << v.status().message();
  return v.ok() ? *v : JsonValue();
}

std::string parseError(const std::string &text) {
  StatusOr<JsonValue> v = parseJson(text);
  EXPECT_FALSE(v.ok()) << "accepted: " << text;
  return v.ok() ? "" : v.status().message();
}

TEST(Json, Literals) {
  EXPECT_TRUE(parseOk("null").isNull());
  EXPECT_TRUE(parseOk(" true ").getBool());
  EXPECT_FALSE(parseOk("\n\tfalse\r\n").getBool());
}

TEST(Json, Numbers) {
  JsonValue v = parseOk("2048");
  EXPECT_TRUE(v.isInteger());
  EXPECT_EQ(v.getInt64(), 2048);
  EXPECT_EQ(v.getDouble(), 2048.0);

  EXPECT_EQ(parseOk("-7").getInt64(), -7);
  EXPECT_EQ(parseOk("0").getInt64(), 0);
  EXPECT_EQ(parseOk("9223372036854775807").getInt64(), INT64_MAX);
  EXPECT_EQ(parseOk("-9223372036854775808").getInt64(), INT64_MIN);

  // Beyond int64: still a number, no longer an integer.
  v = parseOk("9223372036854775808");
  EXPECT_TRUE(v.isNumber());
  EXPECT_FALSE(v.isInteger());
  EXPECT_EQ(v.getDouble(), 9223372036854775808.0);

  // A fraction or exponent makes a non-integer even when the value is whole.
  EXPECT_FALSE(parseOk("2048.0").isInteger());
  EXPECT_FALSE(parseOk("1e3").isInteger());
  EXPECT_EQ(parseOk("1e3").getDouble(), 1000.0);
  EXPECT_EQ(parseOk("1e-06").getDouble(), 1e-6);
  EXPECT_EQ(parseOk("-2.5E+2").getDouble(), -250.0);
  EXPECT_TRUE(std::signbit(parseOk("-0.0").getDouble()));
}

TEST(Json, StringEscapes) {
  EXPECT_EQ(parseOk(R"("a\"b\\c\/d\be\ff\ng\rh\ti")").getString(),
            "a\"b\\c/d\be\ff\ng\rh\ti");
  EXPECT_EQ(parseOk(R"("\u0041\u00e9\u20AC")").getString(),
            "A\xC3\xA9\xE2\x82\xAC");
  // U+1F600 as a UTF-16 surrogate pair becomes 4 bytes of UTF-8.
  EXPECT_EQ(parseOk(R"("\ud83d\ude00")").getString(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(parseOk(R"("\u0000")").getString(), std::string(1, '\0'));
  // Raw UTF-8 passes through unchanged.
  EXPECT_EQ(parseOk("\"\xC3\xA9\xF0\x9F\x98\x80\"").getString(),
            "\xC3\xA9\xF0\x9F\x98\x80");
}

TEST(Json, Containers) {
  JsonValue v = parseOk(R"({"b": [1, 2.5, "x", null, {}], "a": {"c": true}})");
  ASSERT_TRUE(v.isObject());
  EXPECT_EQ(v.getObject().size(), 2u);
  const JsonValue *b = v.find("b");
  ASSERT_TRUE(b && b->isArray());
  EXPECT_EQ(b->getArray().size(), 5u);
  EXPECT_EQ(b->getArray()[2].getString(), "x");
  EXPECT_TRUE(v.find("a")->find("c")->getBool());
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(b->find("x"), nullptr); // Not an object.
  EXPECT_TRUE(parseOk("[]").getArray().empty());
  EXPECT_TRUE(parseOk(" { } ").getObject().empty());
}

TEST(Json, Summary) {
  EXPECT_EQ(parseOk("\"abc\"").summary(), "\"abc\"");
  EXPECT_EQ(parseOk("12").summary(), "12");
  EXPECT_EQ(parseOk("1.5").summary(), "1.5");
  // Numbers show as written, so "2048.0" is not mistaken for an integer.
  EXPECT_EQ(parseOk("2048.0").summary(), "2048.0");
  EXPECT_EQ(parseOk("1e5").summary(), "1e5");
  EXPECT_EQ(JsonValue::makeNumber(0.25, false, 0).summary(), "0.25");
  EXPECT_EQ(parseOk("null").summary(), "null");
  EXPECT_EQ(parseOk("[1]").summary(), "[...]");
  EXPECT_EQ(parseOk("{}").summary(), "{...}");
  EXPECT_EQ(parseOk(R"("a\"\n")").summary(), R"("a\"\u000a")");
  EXPECT_EQ(parseOk('"' + std::string(50, 'x') + '"').summary(),
            '"' + std::string(40, 'x') + "...\"");
  // The cut never splits a UTF-8 character ("\xC3\xA9" is one).
  EXPECT_EQ(parseOk('"' + std::string(39, 'x') + "\xC3\xA9yy\"").summary(),
            '"' + std::string(39, 'x') + "...\"");
}

TEST(Json, ErrorsSayWhere) {
  EXPECT_EQ(parseError("{} x"),
            "line 1, column 4 (byte 3): unexpected 'x' after the JSON value");
  EXPECT_EQ(parseError("{\n  \"a\": 1,\n  \"b\" 2\n}"),
            "line 3, column 7 (byte 18): expected ':' after an object key, "
            "got '2'");
  EXPECT_EQ(parseError(""),
            "line 1, column 1 (byte 0): unexpected end of input, expected a "
            "value");
}

TEST(Json, RejectsWhatRfc8259Rejects) {
  EXPECT_THAT(parseError("[1, 2,]"), HasSubstr("expected a value"));
  EXPECT_THAT(parseError("{\"a\": 1,}"), HasSubstr("expected a string key"));
  EXPECT_THAT(parseError("[1 2]"), HasSubstr("expected ',' or ']'"));
  EXPECT_THAT(parseError("{\"a\": 1 \"b\": 2}"),
              HasSubstr("expected ',' or '}'"));
  EXPECT_THAT(parseError("{a: 1}"), HasSubstr("expected a string key"));
  EXPECT_THAT(parseError("01"), HasSubstr("after the JSON value"));
  EXPECT_THAT(parseError("1."), HasSubstr("expected a digit"));
  EXPECT_THAT(parseError("1e"), HasSubstr("expected a digit"));
  EXPECT_THAT(parseError("-"), HasSubstr("expected a digit"));
  EXPECT_THAT(parseError("+1"), HasSubstr("unexpected '+'"));
  EXPECT_THAT(parseError(".5"), HasSubstr("unexpected '.'"));
  EXPECT_THAT(parseError("NaN"), HasSubstr("unexpected 'N'"));
  EXPECT_THAT(parseError("Infinity"), HasSubstr("unexpected 'I'"));
  EXPECT_THAT(parseError("1e400"), HasSubstr("out of range"));
  EXPECT_THAT(parseError("tru"), HasSubstr("unexpected 't'"));
  EXPECT_THAT(parseError("nulls"), HasSubstr("after the JSON value"));
  EXPECT_THAT(parseError("[1] // comment"), HasSubstr("after the JSON value"));
  EXPECT_THAT(parseError("{\"a\": 1, \"a\": 2}"),
              HasSubstr("(byte 9): duplicate key \"a\""));
}

TEST(Json, RejectsBadStrings) {
  EXPECT_THAT(parseError("\"abc"), HasSubstr("(byte 0): unterminated string"));
  EXPECT_THAT(parseError("\"abc\\"), HasSubstr("unterminated string"));
  EXPECT_THAT(parseError("\"a\tb\""),
              HasSubstr("unescaped control character byte 0x09"));
  EXPECT_THAT(parseError(R"("\x")"),
              HasSubstr("invalid escape: backslash followed by 'x'"));
  EXPECT_THAT(parseError(R"("\u12")"), HasSubstr("expected 4 hex digits"));
  EXPECT_THAT(parseError(R"("\u12G4")"), HasSubstr("expected 4 hex digits"));
  EXPECT_THAT(parseError(R"("\ude00")"), HasSubstr("unpaired low surrogate"));
  EXPECT_THAT(parseError(R"("\ud83d")"), HasSubstr("high surrogate"));
  EXPECT_THAT(parseError(R"("\ud83dx")"), HasSubstr("high surrogate"));
  EXPECT_THAT(parseError(R"("\ud83d\u0041")"), HasSubstr("high surrogate"));
}

TEST(Json, RejectsInvalidUtf8) {
  EXPECT_THAT(parseError("\"\x80\""), HasSubstr("invalid UTF-8 byte 0x80"));
  EXPECT_THAT(parseError("\"\xC0\x80\""), HasSubstr("invalid UTF-8"));
  EXPECT_THAT(parseError("\"\xE0\x80\x80\""), HasSubstr("invalid UTF-8"));
  EXPECT_THAT(parseError("\"\xED\xA0\x80\""), HasSubstr("invalid UTF-8"));
  EXPECT_THAT(parseError("\"\xF4\x90\x80\x80\""), HasSubstr("invalid UTF-8"));
  EXPECT_THAT(parseError("\"\xC3\""), HasSubstr("invalid UTF-8"));
  EXPECT_THAT(parseError("\"\xC3"), HasSubstr("invalid UTF-8"));
}

TEST(Json, LimitsNesting) {
  std::string ok =
      std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(parseJson(ok).ok());
  std::string deep =
      std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  EXPECT_THAT(parseError(deep), HasSubstr("(byte 512): nesting deeper than "
                                          "512 levels"));
  // Far deeper input must fail cleanly rather than overflow the stack.
  EXPECT_THAT(parseError(std::string(1000000, '[')), HasSubstr("nesting"));
  EXPECT_THAT(parseError(std::string(1000000, '{') + "}"),
              HasSubstr("expected a string key"));
  std::string objects;
  for (int i = 0; i < 100000; ++i)
    objects += "{\"a\":";
  EXPECT_THAT(parseError(objects), HasSubstr("nesting"));
}

TEST(Json, FileErrorsNameThePath) {
  StatusOr<JsonValue> v = parseJsonFile("/nonexistent/dir/config.json");
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(),
              HasSubstr("cannot open /nonexistent/dir/config.json"));
}

} // namespace
