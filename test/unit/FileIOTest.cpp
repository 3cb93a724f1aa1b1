//===- FileIOTest.cpp - reading user files, writing outputs ---------------===//
#include "moec/Support/FileIO.h"

#include "TempDirTest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

using namespace moec;
using ::testing::HasSubstr;

namespace {

class FileIOTest : public TempDirTest {};

TEST_F(FileIOTest, ReadsRegularFiles) {
  std::string path = write("a.json", "{\"x\": 1}");
  StatusOr<std::string> text = readRegularFile(path);
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_EQ(*text, "{\"x\": 1}");
  // Through a symbolic link too.
  std::filesystem::create_symlink(path, dir + "/link.json");
  EXPECT_TRUE(readRegularFile(dir + "/link.json").ok());
}

TEST_F(FileIOTest, RefusesWhatIsNotARegularFile) {
  // A FIFO without a writer would block a plain open forever.
  std::string fifo = dir + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(readRegularFile(fifo).status().message(),
            fifo + " is a FIFO, not a regular file");
  // /dev/zero never ends.
  std::filesystem::create_symlink("/dev/zero", dir + "/zero");
  EXPECT_EQ(readRegularFile(dir + "/zero").status().message(),
            dir + "/zero is a character device, not a regular file");
  EXPECT_EQ(readRegularFile(dir).status().message(),
            dir + " is a directory, not a regular file");
  EXPECT_THAT(readRegularFile(dir + "/missing").status().message(),
              HasSubstr("cannot open " + dir + "/missing: "));
}

TEST_F(FileIOTest, RefusesFilesOverTheLimit) {
  std::string path = write("big", std::string(100, 'x'));
  EXPECT_TRUE(readRegularFile(path, 100).ok());
  EXPECT_EQ(readRegularFile(path, 99).status().message(),
            path + " is 100 bytes, more than the 99 a file of its kind may "
                   "have");
}

TEST_F(FileIOTest, WritesNewAndReplacesRegularFiles) {
  std::string path = dir + "/out";
  ASSERT_TRUE(writeFileAtomically(path, {"ab", "cd"}).ok());
  EXPECT_EQ(read(path), "abcd");
  ASSERT_TRUE(writeFileAtomically(path, {"e"}).ok());
  EXPECT_EQ(read(path), "e");
  // Only the output remains: no temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(FileIOTest, ReplacesTheTargetOfALink) {
  std::string target = write("target", "old");
  std::filesystem::create_symlink(target, dir + "/link");
  ASSERT_TRUE(writeFileAtomically(dir + "/link", {"new"}).ok());
  EXPECT_TRUE(std::filesystem::is_symlink(dir + "/link"));
  EXPECT_EQ(read(target), "new");
}

TEST_F(FileIOTest, RefusesToReplaceWhatIsNotAFile) {
  std::string fifo = dir + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(writeFileAtomically(fifo, {"x"}).message(),
            "cannot write " + fifo +
                ": it is a FIFO; give the path of a new or a regular file");
  std::filesystem::create_directory(dir + "/sub");
  EXPECT_THAT(writeFileAtomically(dir + "/sub", {"x"}).message(),
              HasSubstr("it is a directory"));
  EXPECT_TRUE(std::filesystem::is_fifo(fifo));
  EXPECT_TRUE(std::filesystem::is_directory(dir + "/sub"));

  // A device (here a node of /dev/full's kind, made where root may make
  // one) and a link to one: refused, and still a device afterwards.
  std::filesystem::create_symlink("/dev/null", dir + "/null");
  EXPECT_THAT(writeFileAtomically(dir + "/null", {"x"}).message(),
              HasSubstr("it is a character device"));
  std::string node = dir + "/full";
  if (::mknod(node.c_str(), S_IFCHR | 0600, makedev(1, 7)) == 0) {
    EXPECT_THAT(checkWritableOutput(node).message(),
                HasSubstr("it is a character device"));
    EXPECT_THAT(writeFileAtomically(node, {"x"}).message(),
                HasSubstr("it is a character device"));
    struct stat st;
    ASSERT_EQ(::lstat(node.c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
  }
}

TEST_F(FileIOTest, NewPathsAreWritable) {
  EXPECT_TRUE(checkWritableOutput(dir + "/new").ok());
  EXPECT_THAT(writeFileAtomically(dir + "/no/such/dir/x", {"x"}).message(),
              HasSubstr("cannot write " + dir +
                        "/no/such/dir/x: cannot "
                        "create "));
}

} // namespace
