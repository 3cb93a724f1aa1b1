//===- NpyTest.cpp - reading and writing float32 .npy files ---------------===//
#include "moec/Support/Npy.h"

#include "TempDirTest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

using namespace moec;
using ::testing::HasSubstr;

namespace {

constexpr char kHeader23[] =
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

/// A .npy file of format `major`.0 with this header dict and data.
std::string npyFile(int major, std::string header, const std::string &data) {
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  size_t width = major == 1 ? 2 : 4;
  for (size_t i = 0; i < width; ++i)
    out += static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return out + header + data;
}

std::string floatBytes(const std::vector<float> &v) {
  return std::string(reinterpret_cast<const char *>(v.data()), v.size() * 4);
}

class NpyTest : public TempDirTest {
protected:
  std::vector<std::string> listDir() {
    std::vector<std::string> names;
    for (const auto &entry : std::filesystem::directory_iterator(dir))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  /// Writes `bytes` as x.npy and returns readNpy's error for it.
  std::string readError(const std::string &bytes) {
    StatusOr<NpyArray> a = readNpy(write("x.npy", bytes));
    EXPECT_FALSE(a.ok());
    return a.ok() ? "" : a.status().message();
  }
  std::string path(const std::string &name) { return dir + "/" + name; }
};

TEST_F(NpyTest, RoundTrip) {
  const std::vector<float> special = {1.5f,
                                      -2.0f,
                                      0.0f,
                                      -0.0f,
                                      std::numeric_limits<float>::denorm_min(),
                                      std::numeric_limits<float>::infinity(),
                                      -std::numeric_limits<float>::infinity(),
                                      std::numeric_limits<float>::quiet_NaN()};
  const std::vector<std::vector<int64_t>> shapes = {
      {8}, {2, 4}, {2, 2, 2}, {}, {0, 4}, {1, 1, 1, 1, 1, 1, 1, 8}};
  for (const std::vector<int64_t> &shape : shapes) {
    size_t n = 1;
    for (int64_t d : shape)
      n *= d;
    std::vector<float> data(special.begin(), special.begin() + n);
    Status s = writeNpy(path("a.npy"), shape, data.data());
    ASSERT_TRUE(s.ok()) << s.message();
    std::string bytes = read(path("a.npy"));
    EXPECT_EQ(bytes.size(), 128 + 4 * n); // numpy's 64-byte alignment.
    StatusOr<NpyArray> a = readNpy(path("a.npy"));
    ASSERT_TRUE(a.ok()) << a.status().message();
    EXPECT_EQ(a->shape, shape);
    ASSERT_EQ(a->data.size(), n);
    if (n > 0) { // Bitwise: NaN and -0 must survive too.
      EXPECT_EQ(std::memcmp(a->data.data(), data.data(), 4 * n), 0);
    }
  }
  EXPECT_EQ(listDir(), std::vector<std::string>({"a.npy"})); // No temp files.
}

TEST_F(NpyTest, WritesWhatNumpyWrites) {
  std::vector<float> data = {1, 2, 3, 4, 5, 6};
  ASSERT_TRUE(writeNpy(path("a.npy"), {2, 3}, data.data()).ok());
  std::string header = kHeader23;
  header.append(128 - 10 - header.size() - 1, ' ');
  EXPECT_EQ(read(path("a.npy")), npyFile(1, header, floatBytes(data)));

  ASSERT_TRUE(writeNpy(path("b.npy"), {6}, data.data()).ok());
  EXPECT_THAT(read(path("b.npy")), HasSubstr("'shape': (6,), }"));
  ASSERT_TRUE(writeNpy(path("c.npy"), {}, data.data()).ok());
  EXPECT_THAT(read(path("c.npy")), HasSubstr("'shape': (), }"));
}

TEST_F(NpyTest, ReadsEveryFormatVersionAndSpelling) {
  std::string data = floatBytes({1, 2, 3, 4, 5, 6});
  for (int major : {1, 2, 3}) {
    StatusOr<NpyArray> a =
        readNpy(write("v.npy", npyFile(major, kHeader23, data)));
    ASSERT_TRUE(a.ok()) << a.status().message();
    EXPECT_EQ(a->shape, std::vector<int64_t>({2, 3}));
    EXPECT_EQ(a->data, std::vector<float>({1, 2, 3, 4, 5, 6}));
  }
  // Key order, quotes and the trailing comma are free in a Python literal.
  StatusOr<NpyArray> a = readNpy(
      write("v.npy", npyFile(1,
                             R"({"shape": (3, 2,),"fortran_order":False,)"
                             R"( "descr":"<f4"})",
                             data)));
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->shape, std::vector<int64_t>({3, 2}));
}

TEST_F(NpyTest, OverwritesAtomically) {
  std::vector<float> one = {1}, two = {2, 2};
  ASSERT_TRUE(writeNpy(path("a.npy"), {1}, one.data()).ok());
  ASSERT_TRUE(writeNpy(path("a.npy"), {2}, two.data()).ok());
  EXPECT_EQ(readNpy(path("a.npy"))->data, two);
  EXPECT_EQ(listDir(), std::vector<std::string>({"a.npy"}));
}

TEST_F(NpyTest, FailedWritesLeaveNoFile) {
  std::vector<float> data = {1};
  std::string missing = dir + "/no/such/dir/a.npy";
  Status s = writeNpy(missing, {1}, data.data());
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("cannot write " + missing));

  // Renaming onto a directory fails after the data was written: the
  // temporary file must be gone.
  std::filesystem::create_directory(path("d.npy"));
  s = writeNpy(path("d.npy"), {1}, data.data());
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("cannot write " + path("d.npy")));
  EXPECT_EQ(listDir(), std::vector<std::string>({"d.npy"}));

  s = writeNpy(path("n.npy"), {2, -1}, data.data());
  EXPECT_EQ(s.message(),
            "cannot write " + path("n.npy") + ": negative dimension -1");
  EXPECT_EQ(listDir(), std::vector<std::string>({"d.npy"}));
}

TEST_F(NpyTest, RejectsOtherDTypes) {
  std::string x = path("x.npy");
  auto withDescr = [](const std::string &descr) {
    return npyFile(1,
                   "{'descr': '" + descr +
                       "', 'fortran_order': False, 'shape': (1,), }",
                   "12345678");
  };
  EXPECT_EQ(readError(withDescr("<f8")),
            x + " holds float64 ('<f8'); moe-run needs float32");
  EXPECT_EQ(readError(withDescr("<f2")),
            x + " holds float16 ('<f2'); moe-run needs float32");
  EXPECT_EQ(readError(withDescr(">f4")),
            x + " holds big-endian float32 ('>f4'); moe-run needs float32");
  EXPECT_EQ(readError(withDescr("<i8")),
            x + " holds int64 ('<i8'); moe-run needs float32");
  EXPECT_EQ(readError(withDescr("|u1")),
            x + " holds uint8 ('|u1'); moe-run needs float32");
  EXPECT_EQ(readError(withDescr("|b1")),
            x + " holds bool ('|b1'); moe-run needs float32");
  EXPECT_EQ(readError(withDescr("<U2")),
            x + " holds dtype '<U2'; moe-run needs float32");
}

TEST_F(NpyTest, RejectsFortranOrder) {
  EXPECT_EQ(readError(npyFile(1,
                              "{'descr': '<f4', 'fortran_order': True, "
                              "'shape': (2, 3), }",
                              floatBytes({1, 2, 3, 4, 5, 6}))),
            path("x.npy") + " is in Fortran order; moe-run needs C order");
}

TEST_F(NpyTest, RejectsBadFraming) {
  std::string x = path("x.npy");
  std::string good = npyFile(1, kHeader23, floatBytes({1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(readError("PK\x03\x04 not numpy"),
            x + " is not a .npy file (bad magic)");
  EXPECT_EQ(readError(""), x + " is not a .npy file (bad magic)");
  EXPECT_EQ(readError(std::string("\x93NUMPY\x04\x00", 8) + good.substr(8)),
            x + " has .npy format version 4.0; only 1.0, 2.0 and 3.0 are "
                "supported");
  EXPECT_EQ(readError(good.substr(0, 7)),
            x + " is truncated: it ends before the version");
  EXPECT_EQ(readError(good.substr(0, 9)),
            x + " is truncated: it ends in the header length");
  EXPECT_EQ(readError(good.substr(0, 40)),
            x + " is truncated: it ends in the header");
  EXPECT_EQ(readError(good.substr(0, good.size() - 1)),
            x + " is truncated: its shape needs 24 bytes of data but 23 "
                "follow the header");
  EXPECT_EQ(readError(good + "!"),
            x + " has trailing bytes: its shape needs 24 bytes of data but 25 "
                "follow the header");
  EXPECT_THAT(readNpy(path("missing.npy")).status().message(),
              HasSubstr("cannot open " + path("missing.npy")));
}

TEST_F(NpyTest, RejectsMalformedHeaders) {
  const std::pair<const char *, const char *> cases[] = {
      {"'descr': '<f4'", "expected '{'"},
      {"{'descr': '<f4', 'fortran_order': False}", "missing key 'shape'"},
      {"{'descr': '<f4', 'shape': (1,)}", "missing key 'fortran_order'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
       "unexpected key 'x'"},
      {"{'descr': '<f4', 'descr': '<f4'}", "duplicate key 'descr'"},
      {"{descr: '<f4'}", "expected a quoted key or '}'"},
      {"{'descr' '<f4'}", "expected ':' after 'descr'"},
      {"{'descr': <f4}", "'descr' must be a quoted string"},
      {"{'descr': '<f4', 'fortran_order': false}",
       "'fortran_order' must be True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1)}",
       "'shape' must be a tuple of non-negative integers"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1)}",
       "'shape' must be a tuple of non-negative integers"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [1]}",
       "'shape' must be a tuple of non-negative integers"},
      {"{'descr': '<f4' 'fortran_order': False}",
       "expected ',' or '}' after the value of 'descr'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x",
       "unexpected text after the dict"},
  };
  for (const auto &[header, problem] : cases)
    EXPECT_EQ(readError(npyFile(1, header, "1234")),
              path("x.npy") + " has a malformed header: " + problem)
        << header;
}

} // namespace

TEST(NpyBytesTest, ParsesBytesAndNamesThemInErrors) {
  std::vector<float> values = {1, 2, 3, 4, 5, 6};
  StatusOr<NpyArray> array =
      parseNpy(npyFile(1, kHeader23, floatBytes(values)), "x.npy");
  ASSERT_TRUE(array.ok()) << array.status().message();
  EXPECT_EQ(array->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(array->data, values);

  StatusOr<NpyArray> truncated =
      parseNpy(npyFile(1, kHeader23, floatBytes({1, 2})), "stdin");
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().message().rfind("stdin is truncated", 0), 0u)
      << truncated.status().message();
}
