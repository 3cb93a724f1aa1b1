//===- TempDirTest.h - a test fixture with a fresh directory ---*- C++ -*-===//
#ifndef MOEC_TEST_UNIT_TEMPDIRTEST_H
#define MOEC_TEST_UNIT_TEMPDIRTEST_H

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace moec {

/// Each test gets a fresh directory `dir` under the system's temporary
/// directory, removed with everything in it afterwards.
class TempDirTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "moec-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  /// Writes `bytes` to `<dir>/<name>` and returns that path.
  std::string write(const std::string &name, const std::string &bytes) {
    std::string path = dir + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  /// The whole content of the file `path` ("" if it cannot be read).
  static std::string read(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string dir;
};

} // namespace moec

#endif // MOEC_TEST_UNIT_TEMPDIRTEST_H
