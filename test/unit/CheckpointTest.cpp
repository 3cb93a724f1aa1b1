//===- CheckpointTest.cpp - safetensors loading and dtype conversion ------===//
#include "moec/Model/Checkpoint.h"

#include "TempDirTest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <sys/stat.h>

using namespace moec;
using ::testing::HasSubstr;

namespace {

uint32_t floatBits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
float bitsFloat(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

/// The little-endian bytes of `values`.
template <typename T> std::string bytesOf(const std::vector<T> &values) {
  return std::string(reinterpret_cast<const char *>(values.data()),
                     values.size() * sizeof(T));
}

std::string shapeJson(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// One tensor of a file built by makeFile.
struct Spec {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

/// A safetensors file: length, header (space-padded to 8 bytes, as the
/// Python library writes it), data.
std::string rawFile(std::string header, const std::string &data) {
  header.append((8 - header.size() % 8) % 8, ' ');
  uint64_t n = header.size();
  return std::string(reinterpret_cast<const char *>(&n), 8) + header + data;
}

std::string makeFile(const std::vector<Spec> &specs) {
  std::string header = R"({"__metadata__": {"format": "pt"})", data;
  for (const Spec &s : specs) {
    header += ", \"" + s.name + "\": {\"dtype\": \"" + s.dtype +
              "\", \"shape\": " + shapeJson(s.shape) + ", \"data_offsets\": [" +
              std::to_string(data.size()) + ", " +
              std::to_string(data.size() + s.bytes.size()) + "]}";
    data += s.bytes;
  }
  return rawFile(header + "}", data);
}

class CheckpointTest : public TempDirTest {
protected:
  std::unique_ptr<Checkpoint> openOk() {
    StatusOr<std::unique_ptr<Checkpoint>> c = Checkpoint::open(dir);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? std::move(*c) : nullptr;
  }
  std::string openError() {
    StatusOr<std::unique_ptr<Checkpoint>> c = Checkpoint::open(dir);
    EXPECT_FALSE(c.ok());
    return c.ok() ? "" : c.status().message();
  }
  /// The message for a single model.safetensors with this header and data.
  std::string singleFileError(const std::string &header,
                              const std::string &data = "") {
    write("model.safetensors", rawFile(header, data));
    return openError();
  }
  std::vector<float> toFloats(const TensorView &t) {
    std::vector<float> out(t.numElements());
    convertToFloat32(t, out.data());
    return out;
  }
};

TEST_F(CheckpointTest, SingleFile) {
  std::string path = write(
      "model.safetensors",
      makeFile(
          {{"w32", "F32", {2, 3}, bytesOf<float>({1, -2, 3.5, 0, 1e-3f, -7})},
           {"w16", "BF16", {3}, bytesOf<uint16_t>({0x3F80, 0xC040, 0x0001})},
           {"h16",
            "F16",
            {2, 2},
            bytesOf<uint16_t>({0x3C00, 0xBC00, 0x0001, 0x7BFF})},
           {"scalar", "F32", {}, bytesOf<float>({42})},
           {"empty", "F32", {0, 5}, ""}}));
  std::unique_ptr<Checkpoint> c = openOk();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->directory(), dir);
  EXPECT_EQ(c->names(),
            std::vector<std::string>({"empty", "h16", "scalar", "w16", "w32"}));
  EXPECT_TRUE(c->has("w32"));
  EXPECT_FALSE(c->has("__metadata__"));

  StatusOr<TensorView> w32 = c->tensor("w32", {2, 3});
  ASSERT_TRUE(w32.ok()) << w32.status().message();
  EXPECT_EQ(w32->name, "w32");
  EXPECT_EQ(w32->file, path);
  EXPECT_EQ(w32->dtype, DType::F32);
  EXPECT_EQ(w32->numElements(), 6u);
  EXPECT_EQ(toFloats(*w32), std::vector<float>({1, -2, 3.5, 0, 1e-3f, -7}));

  StatusOr<TensorView> w16 = c->tensor("w16");
  ASSERT_TRUE(w16.ok());
  EXPECT_EQ(w16->dtype, DType::BF16);
  EXPECT_EQ(toFloats(*w16), std::vector<float>({1, -3, bitsFloat(0x00010000)}));

  StatusOr<TensorView> h16 = c->tensor("h16");
  ASSERT_TRUE(h16.ok());
  EXPECT_EQ(h16->dtype, DType::F16);
  EXPECT_EQ(toFloats(*h16),
            std::vector<float>({1, -1, std::ldexp(1.0f, -24), 65504}));

  EXPECT_EQ(c->tensor("scalar")->numElements(), 1u);
  EXPECT_EQ(toFloats(*c->tensor("scalar")), std::vector<float>({42}));
  EXPECT_EQ(c->tensor("empty")->numElements(), 0u);
  EXPECT_TRUE(toFloats(*c->tensor("empty")).empty());
}

TEST_F(CheckpointTest, ShardedCheckpoint) {
  std::string shard1 = write(
      "model-00001-of-00002.safetensors",
      makeFile({{"model.embed_tokens.weight",
                 "BF16",
                 {4, 2},
                 bytesOf<uint16_t>({0x3F80, 0x4000, 0x4040, 0x4080, 0xBF80,
                                    0xC000, 0xC040, 0xC080})},
                {"model.norm.weight", "F32", {2}, bytesOf<float>({0.5, 2})}}));
  std::string shard2 = write(
      "model-00002-of-00002.safetensors",
      makeFile(
          {{"lm_head.weight",
            "F16",
            {4, 2},
            bytesOf<uint16_t>({0x3C00, 0, 0, 0x3C00, 0x3800, 0, 0, 0xB800})}}));
  write("model.safetensors.index.json", R"({
    "metadata": {"total_size": 64},
    "weight_map": {
      "lm_head.weight": "model-00002-of-00002.safetensors",
      "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
      "model.norm.weight": "model-00001-of-00002.safetensors"
    }})");
  std::unique_ptr<Checkpoint> c = openOk();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->names(), std::vector<std::string>({"lm_head.weight",
                                                  "model.embed_tokens.weight",
                                                  "model.norm.weight"}));
  EXPECT_EQ(c->tensor("model.norm.weight")->file, shard1);
  EXPECT_EQ(c->tensor("lm_head.weight")->file, shard2);
  EXPECT_EQ(toFloats(*c->tensor("model.embed_tokens.weight", {4, 2})),
            std::vector<float>({1, 2, 3, 4, -1, -2, -3, -4}));
  EXPECT_EQ(toFloats(*c->tensor("lm_head.weight")),
            std::vector<float>({1, 0, 0, 1, 0.5, 0, 0, -0.5}));
}

TEST_F(CheckpointTest, MissingTensorAndWrongShape) {
  std::string path =
      write("model.safetensors", makeFile({{"model.layers.1.mlp.gate.weight",
                                            "BF16",
                                            {63, 16},
                                            std::string(63 * 16 * 2, '\0')}}));
  std::unique_ptr<Checkpoint> c = openOk();
  ASSERT_TRUE(c);
  StatusOr<TensorView> missing = c->tensor("model.layers.3.mlp.gate.weight");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "tensor model.layers.3.mlp.gate.weight not found in " + dir);
  EXPECT_FALSE(c->tensor("model.layers.3.mlp.gate.weight", {64, 16}).ok());

  StatusOr<TensorView> wrong =
      c->tensor("model.layers.1.mlp.gate.weight", {64, 16});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(),
            "tensor model.layers.1.mlp.gate.weight in file " + path +
                " has shape [63, 16] but the config implies [64, 16]");
}

TEST_F(CheckpointTest, NoCheckpointFiles) {
  EXPECT_EQ(openError(),
            "no model.safetensors or model.safetensors.index.json in " + dir);
}

TEST_F(CheckpointTest, TruncatedFiles) {
  std::string path = write("model.safetensors", std::string("\x10\0\0\0\0", 5));
  EXPECT_EQ(openError(), path + " is truncated: 5 bytes, too short for the "
                                "8-byte header length");

  std::string full = makeFile({{"t", "F32", {2}, bytesOf<float>({1, 2})}});
  write("model.safetensors", full.substr(0, 20));
  EXPECT_THAT(openError(), HasSubstr(path + " is truncated: its header "
                                            "length is "));

  write("model.safetensors", full.substr(0, full.size() - 1));
  EXPECT_EQ(openError(), path + " is truncated: tensor t ends at data byte 8 "
                                "but the file holds only 7 data bytes");
}

TEST_F(CheckpointTest, BadHeaders) {
  std::string path = dir + "/model.safetensors";
  EXPECT_THAT(singleFileError("{\"t\": }"),
              HasSubstr(path + ": bad header JSON: line 1, column"));
  EXPECT_EQ(singleFileError(R"({"__metadata__": 3})"),
            path + ": __metadata__ must be an object, got 3");
  EXPECT_EQ(singleFileError(R"({"t": [1]})"),
            path + ": tensor t: header entry must be an object, got [...]");
  EXPECT_EQ(singleFileError(R"({"t": {"shape": [1], "data_offsets": [0, 4]}})",
                            "abcd"),
            path + ": tensor t has no dtype");
  EXPECT_EQ(singleFileError(R"({"t": {"dtype": 1, "shape": [1],
                "data_offsets": [0, 4]}})",
                            "abcd"),
            path + ": tensor t: dtype must be a string, got 1");
  EXPECT_EQ(singleFileError(R"({"t": {"dtype": "F32", "data_offsets": [0,
                4]}})",
                            "abcd"),
            path + ": tensor t has no shape");
  EXPECT_EQ(singleFileError(R"({"t": {"dtype": "F32", "shape": [-1],
                "data_offsets": [0, 4]}})",
                            "abcd"),
            path + ": tensor t: shape must be an array of non-negative "
                   "integers, got [...]");
  EXPECT_EQ(singleFileError(R"({"t": {"dtype": "F32", "shape": [1]}})", "abcd"),
            path + ": tensor t has no data_offsets");
  EXPECT_EQ(singleFileError(R"({"t": {"dtype": "F32", "shape": [1],
                "data_offsets": [0, 4, 8]}})",
                            "abcd"),
            path + ": tensor t: data_offsets must be [begin, end] with "
                   "non-negative integers");
}

TEST_F(CheckpointTest, UnsupportedDType) {
  EXPECT_EQ(singleFileError(R"({"t": {"dtype": "F64", "shape": [1],
                "data_offsets": [0, 8]}})",
                            "abcdefgh"),
            dir + "/model.safetensors: tensor t has dtype \"F64\", which is "
                  "not supported (only BF16, F16 and F32)");
}

TEST_F(CheckpointTest, InconsistentOffsets) {
  std::string path = dir + "/model.safetensors";
  EXPECT_EQ(singleFileError(R"({"t": {"dtype": "F32", "shape": [1],
                "data_offsets": [4, 0]}})",
                            "abcd"),
            path + ": tensor t has data_offsets [4, 0] that end before they "
                   "begin");
  EXPECT_EQ(singleFileError(R"({"t": {"dtype": "BF16", "shape": [2, 3],
                "data_offsets": [0, 8]}})",
                            "abcdefgh"),
            path + ": tensor t: header offsets lie: data_offsets [0, 8] span "
                   "8 bytes but shape [2, 3] of BF16 needs 12");
  EXPECT_THAT(singleFileError(R"({"t": {"dtype": "F32", "shape":
                [4294967296, 4294967296], "data_offsets": [0, 4]}})",
                              "abcd"),
              HasSubstr(path + ": tensor t: header offsets lie"));
}

TEST_F(CheckpointTest, IndexErrors) {
  std::string index = dir + "/model.safetensors.index.json";
  std::string shard = write("a.safetensors",
                            makeFile({{"x", "F32", {1}, bytesOf<float>({1})}}));
  write("b.safetensors", makeFile({{"v", "F32", {1}, bytesOf<float>({2})},
                                   {"y", "F32", {1}, bytesOf<float>({3})}}));

  // A tensor the index places in a shard that does not hold it.
  write("model.safetensors.index.json",
        R"({"weight_map": {"x": "a.safetensors", "z": "a.safetensors"}})");
  EXPECT_EQ(openError(),
            "tensor z listed in " + index + " is not in its shard " + shard);
  write("model.safetensors.index.json",
        R"({"weight_map": {"x": "a.safetensors", "y": "a.safetensors",
            "v": "b.safetensors"}})");
  EXPECT_EQ(openError(),
            "tensor y listed in " + index + " is not in its shard " + shard);

  // A tensor stored in two shards.
  write("b.safetensors", makeFile({{"x", "F32", {1}, bytesOf<float>({2})}}));
  write("model.safetensors.index.json",
        R"({"weight_map": {"x": "a.safetensors", "y": "b.safetensors"}})");
  EXPECT_EQ(openError(), "tensor x appears in both " + shard + " and " + dir +
                             "/b.safetensors");

  write("model.safetensors.index.json",
        R"({"weight_map": {"x": "missing.safetensors"}})");
  EXPECT_THAT(openError(),
              HasSubstr("cannot open " + dir + "/missing.safetensors"));
  write("model.safetensors.index.json",
        R"({"weight_map": {"x": "../a.safetensors"}})");
  EXPECT_EQ(openError(), index + ": the shard of tensor x must be a file "
                                 "name, got \"../a.safetensors\"");
  write("model.safetensors.index.json", R"({"weight_map": {"x": 1}})");
  EXPECT_EQ(openError(),
            index + ": the shard of tensor x must be a file name, got 1");
  write("model.safetensors.index.json", R"({"metadata": {}})");
  EXPECT_EQ(openError(), index + ": weight_map must be an object");
  write("model.safetensors.index.json", R"({"weight_map": )");
  EXPECT_THAT(openError(), HasSubstr(index + ": line 1, column"));
}

TEST_F(CheckpointTest, ShardIsADirectory) {
  std::filesystem::create_directory(dir + "/model.safetensors");
  EXPECT_EQ(openError(),
            dir + "/model.safetensors is a directory, not a regular file");
}

TEST_F(CheckpointTest, ShardIsAFifo) {
  // Opening a FIFO for reading blocks until a writer comes: the loader must
  // refuse it without opening it that way.
  std::string path = dir + "/model.safetensors";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  EXPECT_EQ(openError(), path + " is a FIFO, not a regular file");
}

TEST_F(CheckpointTest, TensorsMustCoverTheDataExactly) {
  std::string path = dir + "/model.safetensors";
  auto entry = [](const char *name, int begin, int end) {
    return "\"" + std::string(name) +
           "\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [" +
           std::to_string(begin) + ", " + std::to_string(end) + "]}";
  };
  auto header = [&](const std::string &a, const std::string &b) {
    return "{" + a + ", " + b + "}";
  };
  EXPECT_EQ(singleFileError(header(entry("a", 0, 4), entry("b", 2, 6)),
                            std::string(6, 'x')),
            path + ": tensor b begins at data byte 2, but tensor a ends at 4 "
                   "(the tensors overlap)");
  EXPECT_EQ(singleFileError(header(entry("a", 0, 4), entry("b", 6, 10)),
                            std::string(10, 'x')),
            path + ": tensor b begins at data byte 6, but tensor a ends at 4 "
                   "(bytes between them belong to no tensor)");
  EXPECT_EQ(singleFileError(header(entry("a", 1, 5), entry("b", 5, 9)),
                            std::string(9, 'x')),
            path + ": tensor a begins at data byte 1, but the first tensor "
                   "must begin at 0 (bytes between them belong to no tensor)");
  EXPECT_EQ(singleFileError(header(entry("a", 0, 4), entry("b", 4, 8)),
                            std::string(9, 'x')),
            path + ": the tensors end at data byte 8 but the file holds 9 "
                   "data bytes (trailing bytes, or a wrong header length)");
  // Two tensors at one place: the second begins where the first began.
  EXPECT_THAT(singleFileError(header(entry("a", 0, 4), entry("b", 0, 4)),
                              std::string(4, 'x')),
              HasSubstr("(the tensors overlap)"));
}

TEST_F(CheckpointTest, HeaderLengthOffByTheSpacePadding) {
  // The Python library pads the header with spaces; a length field one or
  // two bytes short still covers valid JSON, and every tensor then starts
  // early. Only the exact coverage of the data catches it.
  std::string header =
      R"({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})";
  header += "   ";
  for (uint64_t shorter : {0, 1, 2}) {
    uint64_t n = header.size() - shorter;
    write("model.safetensors", std::string(reinterpret_cast<char *>(&n), 8) +
                                   header + bytesOf<float>({1, 2}));
    if (shorter == 0)
      EXPECT_NE(openOk(), nullptr);
    else
      EXPECT_THAT(openError(), HasSubstr("(trailing bytes, or a wrong header "
                                         "length)"))
          << shorter;
  }
}

TEST_F(CheckpointTest, HeaderIsOneObjectPaddedWithSpaces) {
  std::string path = dir + "/model.safetensors";
  std::string expected =
      path + ": the header is not one JSON object padded with spaces to its "
             "length (is the header length field wrong?)";
  std::string t =
      R"("t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]})";
  EXPECT_EQ(singleFileError("{" + t + "}\n", "abcd"), expected);
  EXPECT_EQ(singleFileError(" {" + t + "}", "abcd"), expected);
  EXPECT_EQ(singleFileError("{" + t + "}\t", "abcd"), expected);
  EXPECT_EQ(singleFileError("[]"), expected);
  EXPECT_EQ(singleFileError(""), expected);
}

TEST_F(CheckpointTest, IndexMustListEveryTensor) {
  std::string index = write("model.safetensors.index.json",
                            R"({"weight_map": {"x": "a.safetensors"}})");
  std::string shard = write("a.safetensors",
                            makeFile({{"x", "F32", {1}, bytesOf<float>({1})},
                                      {"y", "F32", {1}, bytesOf<float>({2})}}));
  EXPECT_EQ(openError(), "tensor y in " + shard +
                             " is not listed in the weight_map of " + index);
}

//===----------------------------------------------------------------------===//
// Conversion
//===----------------------------------------------------------------------===//

TEST(DTypeConversion, Bf16IsTheTopHalfOfFloat32) {
  for (uint32_t b = 0; b <= 0xFFFF; ++b)
    ASSERT_EQ(floatBits(bf16ToFloat(b)), b << 16) << b;
}

TEST(DTypeConversion, F16Exhaustive) {
  for (uint32_t b = 0; b <= 0xFFFF; ++b) {
    float sign = (b & 0x8000) ? -1.0f : 1.0f;
    uint32_t exp = (b >> 10) & 0x1F, mant = b & 0x3FF;
    float got = f16ToFloat(b);
    if (exp == 0x1F && mant != 0) {
      ASSERT_TRUE(std::isnan(got)) << b;
      // The payload and the sign survive.
      ASSERT_EQ(floatBits(got),
                ((b & 0x8000) << 16) | 0x7F800000 | (mant << 13))
          << b;
      continue;
    }
    float want = exp == 0x1F ? sign * std::numeric_limits<float>::infinity()
                 : exp == 0
                     ? sign * std::ldexp(float(mant), -24)
                     : sign * std::ldexp(float(1024 + mant), int(exp) - 25);
    ASSERT_EQ(floatBits(got), floatBits(want)) << b;
  }
}

TEST(DTypeConversion, F16SpecialValues) {
  EXPECT_EQ(f16ToFloat(0x3C00), 1.0f);
  EXPECT_EQ(f16ToFloat(0xC000), -2.0f);
  EXPECT_EQ(f16ToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(f16ToFloat(0x0400), std::ldexp(1.0f, -14)); // Smallest normal.
  EXPECT_EQ(f16ToFloat(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(f16ToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16ToFloat(0x8001), -std::ldexp(1.0f, -24));
  EXPECT_EQ(floatBits(f16ToFloat(0x8000)), 0x80000000u);
  EXPECT_EQ(f16ToFloat(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(f16ToFloat(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16ToFloat(0x7E00)));
  EXPECT_TRUE(std::isnan(f16ToFloat(0x7C01))); // Signalling, not infinity.
}

TEST(DTypeConversion, FloatToBf16RoundsToNearestEven) {
  EXPECT_EQ(floatToBf16(1.0f), 0x3F80);
  EXPECT_EQ(floatToBf16(-1.5f), 0xBFC0);
  // 1 + 2^-8 lies halfway between 0x3F80 and 0x3F81: to the even one.
  EXPECT_EQ(floatToBf16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);
  EXPECT_EQ(floatToBf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);
  EXPECT_EQ(floatToBf16(-(1.0f + 3 * std::ldexp(1.0f, -8))), 0xBF82);
  EXPECT_EQ(floatToBf16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)),
            0x3F81);
  EXPECT_EQ(floatToBf16(bitsFloat(0x000116C2)), 0x0001); // Subnormal.
  EXPECT_EQ(floatToBf16(bitsFloat(0x00018000)), 0x0002); // Subnormal tie.
  EXPECT_EQ(floatToBf16(-0.0f), 0x8000);
  EXPECT_EQ(floatToBf16(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_EQ(floatToBf16(-std::numeric_limits<float>::infinity()), 0xFF80);
  EXPECT_EQ(floatToBf16(std::numeric_limits<float>::max()), 0x7F80);
  // A NaN whose payload lies only in the low half must not become infinity.
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(bitsFloat(0x7F800001)))));
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(bitsFloat(0xFFC00000)))));
  EXPECT_EQ(floatToBf16(bitsFloat(0xFFC00000)), 0xFFC0);
  for (uint32_t b = 0; b <= 0xFFFF; ++b) {
    if (std::isnan(bf16ToFloat(b)))
      continue;
    ASSERT_EQ(floatToBf16(bf16ToFloat(b)), b) << b;
  }
}

TEST(DTypeConversion, ConvertsUnalignedData) {
  std::string buf = std::string(1, '\0') + bytesOf<uint16_t>({0xC0A0, 0x0001});
  TensorView bf16{"t", "f", DType::BF16, {2}, buf.data() + 1};
  float out[2];
  convertToFloat32(bf16, out);
  EXPECT_EQ(out[0], -5.0f);
  EXPECT_EQ(floatBits(out[1]), 0x00010000u);

  TensorView f16{"t", "f", DType::F16, {1, 2}, buf.data() + 1};
  convertToFloat32(f16, out);
  EXPECT_EQ(out[0], -2.3125f); // 0xC0A0: -(1 + 160/1024) * 2.
  EXPECT_EQ(out[1], std::ldexp(1.0f, -24));

  std::string f32 = "x" + bytesOf<float>({-0.25f, 3e38f});
  TensorView t32{"t", "f", DType::F32, {2}, f32.data() + 1};
  convertToFloat32(t32, out);
  EXPECT_EQ(out[0], -0.25f);
  EXPECT_EQ(out[1], 3e38f);

  EXPECT_STREQ(dtypeName(DType::BF16), "BF16");
  EXPECT_EQ(dtypeSize(DType::F16), 2u);
  EXPECT_EQ(dtypeSize(DType::F32), 4u);
}

} // namespace
