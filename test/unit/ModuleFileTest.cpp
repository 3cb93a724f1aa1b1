//===- ModuleFileTest.cpp - sealed ahead-of-time module files -------------===//
#include "moec/Runtime/ModuleFile.h"

#include "moec/Support/FileIO.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include <elf.h>

using namespace moec;
using ::testing::HasSubstr;

namespace {

/// A real shared object of this machine: the test executable itself (a
/// position-independent executable is an ELF of type ET_DYN).
std::string realImage() {
  StatusOr<std::string> self = readRegularFile("/proc/self/exe");
  if (!self.ok())
    return "";
  Elf64_Ehdr ehdr;
  std::memcpy(&ehdr, self->data(), sizeof(ehdr));
  return ehdr.e_type == ET_DYN ? *self : "";
}

std::string sealed(const std::string &image) {
  return image + moduleSeal(image);
}

TEST(ModuleFile, SealedImagesPass) {
  std::string image = realImage();
  if (image.empty())
    GTEST_SKIP() << "the test executable is not position independent";
  std::string file = sealed(image);
  EXPECT_EQ(file.size(), image.size() + kModuleSealBytes);
  StatusOr<std::string_view> checked = checkSealedModule(file, "m.so");
  ASSERT_TRUE(checked.ok()) << checked.status().message();
  EXPECT_EQ(*checked, image);
}

TEST(ModuleFile, AnyChangedByteIsCaught) {
  std::string image = realImage();
  if (image.empty())
    GTEST_SKIP() << "the test executable is not position independent";
  std::string file = sealed(image);
  for (size_t at : {size_t(0), size_t(100), image.size() / 2, image.size() - 1,
                    image.size() + 20}) {
    std::string bad = file;
    bad[at] ^= 0x10;
    EXPECT_THAT(checkSealedModule(bad, "m.so").status().message(),
                HasSubstr("m.so is damaged: the SHA-256 of its code and data"))
        << at;
  }
}

TEST(ModuleFile, TruncatedOrUnsealedFilesAreRefused) {
  std::string image = realImage();
  if (image.empty())
    GTEST_SKIP() << "the test executable is not position independent";
  std::string file = sealed(image);
  for (size_t size :
       {size_t(0), size_t(10), size_t(1000), file.size() / 2, file.size() - 1})
    EXPECT_THAT(
        checkSealedModule(file.substr(0, size), "m.so").status().message(),
        HasSubstr("m.so is not a module written by moe-compile (it "
                  "does not end with moec's seal"))
        << size;
  // An image sealed, then cut and sealed again, records another size.
  std::string resealed = file.substr(0, file.size() - kModuleSealBytes - 8) +
                         file.substr(file.size() - kModuleSealBytes);
  EXPECT_THAT(checkSealedModule(resealed, "m.so").status().message(),
              HasSubstr("m.so is damaged: its seal records"));
}

TEST(ModuleFile, SealedNonsenseIsNotAModule) {
  EXPECT_EQ(checkSealedModule(sealed("hello"), "m.so").status().message(),
            "m.so is not a module written by moe-compile: it is too short for "
            "an ELF header");
  EXPECT_EQ(checkSealedModule(sealed(std::string(4096, 'x')), "m.so")
                .status()
                .message(),
            "m.so is not a module written by moe-compile: it is not an ELF "
            "file");

  std::string image = realImage();
  if (image.empty())
    GTEST_SKIP() << "the test executable is not position independent";
  auto edited = [&](auto edit) {
    std::string copy = image;
    Elf64_Ehdr ehdr;
    std::memcpy(&ehdr, copy.data(), sizeof(ehdr));
    edit(ehdr);
    std::memcpy(copy.data(), &ehdr, sizeof(ehdr));
    return checkSealedModule(sealed(copy), "m.so").status().message();
  };
  EXPECT_THAT(edited([](Elf64_Ehdr &h) { h.e_phoff = ~uint64_t(0) - 8; }),
              HasSubstr("its program headers lie outside the file"));
  // Headers that straddle the end of the image.
  EXPECT_THAT(edited([&](Elf64_Ehdr &h) {
                h.e_phoff = image.size() - sizeof(Elf64_Phdr) + 1;
              }),
              HasSubstr("its program headers lie outside the file"));
  EXPECT_THAT(edited([&](Elf64_Ehdr &h) { h.e_shoff = image.size(); }),
              HasSubstr("its section headers lie outside the file"));
  EXPECT_THAT(edited([](Elf64_Ehdr &h) { h.e_type = ET_EXEC; }),
              HasSubstr("it is not a shared library"));
  EXPECT_THAT(edited([](Elf64_Ehdr &h) { h.e_machine = EM_RISCV; }),
              HasSubstr("it is built for another machine"));
}

} // namespace
