//===- ModuleFile.cpp - sealed ahead-of-time module files -----------------===//
#include "moec/Runtime/ModuleFile.h"

#include "moec/Support/Sha256.h"

#include <cstring>

#include <elf.h>

using namespace moec;

namespace {

constexpr char kSealMagic[8] = {'M', 'O', 'E', 'C', 'S', 'E', 'A', 'L'};

#if defined(__x86_64__)
constexpr uint16_t kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = EM_AARCH64;
#else
#error "moec modules are built for x86-64 or AArch64 hosts"
#endif

/// Whether [offset, offset + count * size) lies within `limit` bytes,
/// without overflowing.
bool within(uint64_t offset, uint64_t count, uint64_t size, uint64_t limit) {
  uint64_t bytes;
  if (__builtin_mul_overflow(count, size, &bytes))
    return false;
  return offset <= limit && bytes <= limit - offset;
}

template <typename T> T readAt(std::string_view bytes, uint64_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

/// "" when `image` is a well-formed ELF shared library for this machine,
/// else what is wrong with it.
std::string elfProblem(std::string_view image) {
  const uint64_t size = image.size();
  if (size < sizeof(Elf64_Ehdr))
    return "it is too short for an ELF header";
  auto ehdr = readAt<Elf64_Ehdr>(image, 0);
  if (std::memcmp(ehdr.e_ident, ELFMAG, SELFMAG) != 0)
    return "it is not an ELF file";
  if (ehdr.e_ident[EI_CLASS] != ELFCLASS64 ||
      ehdr.e_ident[EI_DATA] != ELFDATA2LSB)
    return "it is not a 64-bit little-endian ELF file";
  if (ehdr.e_type != ET_DYN)
    return "it is not a shared library (ELF type " +
           std::to_string(ehdr.e_type) + ")";
  if (ehdr.e_machine != kHostMachine)
    return "it is built for another machine (ELF machine " +
           std::to_string(ehdr.e_machine) + ")";
  if (ehdr.e_ehsize != sizeof(Elf64_Ehdr) ||
      ehdr.e_phentsize != sizeof(Elf64_Phdr) || ehdr.e_phnum == 0 ||
      !within(ehdr.e_phoff, ehdr.e_phnum, sizeof(Elf64_Phdr), size))
    return "its program headers lie outside the file";
  bool loads = false;
  for (uint16_t i = 0; i < ehdr.e_phnum; ++i) {
    auto phdr =
        readAt<Elf64_Phdr>(image, ehdr.e_phoff + i * sizeof(Elf64_Phdr));
    if (phdr.p_type != PT_LOAD && phdr.p_type != PT_DYNAMIC)
      continue;
    loads |= phdr.p_type == PT_LOAD;
    if (!within(phdr.p_offset, 1, phdr.p_filesz, size) ||
        phdr.p_filesz > phdr.p_memsz)
      return "its segment " + std::to_string(i) + " lies outside the file";
  }
  if (!loads)
    return "it has no loadable segment";
  if (ehdr.e_shnum != 0 &&
      (ehdr.e_shentsize != sizeof(Elf64_Shdr) ||
       !within(ehdr.e_shoff, ehdr.e_shnum, sizeof(Elf64_Shdr), size)))
    return "its section headers lie outside the file";
  return "";
}

} // namespace

std::string moec::moduleSeal(std::string_view image) {
  std::string seal(kSealMagic, sizeof(kSealMagic));
  uint64_t size = image.size();
  for (int i = 0; i < 8; ++i)
    seal += static_cast<char>(size >> (8 * i));
  Sha256Digest digest = sha256(image);
  seal.append(reinterpret_cast<const char *>(digest.data()), digest.size());
  return seal;
}

StatusOr<std::string_view> moec::checkSealedModule(std::string_view bytes,
                                                   const std::string &path) {
  const std::string notModule =
      path + " is not a module written by moe-compile";
  if (bytes.size() < kModuleSealBytes ||
      std::memcmp(bytes.data() + bytes.size() - kModuleSealBytes, kSealMagic,
                  sizeof(kSealMagic)) != 0)
    return Status::error(notModule + " (it does not end with moec's seal; "
                                     "it may be truncated)");
  std::string_view seal = bytes.substr(bytes.size() - kModuleSealBytes);
  uint64_t size = 0;
  for (int i = 0; i < 8; ++i)
    size |= uint64_t(static_cast<uint8_t>(seal[8 + i])) << (8 * i);
  if (size != bytes.size() - kModuleSealBytes)
    return Status::error(
        path + " is damaged: its seal records " + std::to_string(size) +
        " bytes of code and data, "
        "but " +
        std::to_string(bytes.size() - kModuleSealBytes) + " precede it");
  std::string_view image = bytes.substr(0, size);
  Sha256Digest digest = sha256(image);
  if (std::memcmp(digest.data(), seal.data() + 16, digest.size()) != 0)
    return Status::error(path +
                         " is damaged: the SHA-256 of its code and "
                         "data is " +
                         toHex(digest) +
                         ", not the one moe-compile recorded; compile it "
                         "again with moe-compile");
  if (std::string problem = elfProblem(image); !problem.empty())
    return Status::error(notModule + ": " + problem);
  return image;
}
