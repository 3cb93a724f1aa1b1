//===- CPUFeatures.cpp - what compiled code needs of the CPU --------------===//
#include "moec/Runtime/CPUFeatures.h"

#include <cpuid.h>
#include <cstdint>

using namespace moec;

namespace {

enum Register { EAX, EBX, ECX, EDX };

/// Register state the OS must save for a feature (XCR0 bits).
enum State : uint64_t {
  kNone = 0,
  kYmm = 0x6,  // SSE and AVX state
  kZmm = 0xE6, // and the opmask and upper ZMM state
};

struct Feature {
  const char *name;
  unsigned leaf, subleaf;
  Register reg;
  unsigned bit;
  uint64_t state;
};

constexpr Feature kFeatures[] = {
    {"sse4.1", 1, 0, ECX, 19, kNone},   {"sse4.2", 1, 0, ECX, 20, kNone},
    {"popcnt", 1, 0, ECX, 23, kNone},   {"movbe", 1, 0, ECX, 22, kNone},
    {"fma", 1, 0, ECX, 12, kYmm},       {"avx", 1, 0, ECX, 28, kYmm},
    {"f16c", 1, 0, ECX, 29, kYmm},      {"bmi", 7, 0, EBX, 3, kNone},
    {"avx2", 7, 0, EBX, 5, kYmm},       {"bmi2", 7, 0, EBX, 8, kNone},
    {"avx512f", 7, 0, EBX, 16, kZmm},   {"avx512dq", 7, 0, EBX, 17, kZmm},
    {"avx512cd", 7, 0, EBX, 28, kZmm},  {"avx512bw", 7, 0, EBX, 30, kZmm},
    {"avx512vl", 7, 0, EBX, 31, kZmm},  {"avx512vnni", 7, 0, ECX, 11, kZmm},
    {"avx512bf16", 7, 1, EAX, 5, kZmm}, {"lzcnt", 0x80000001, 0, ECX, 5, kNone},
};

/// The state components the OS saves on context switches (0 without
/// OSXSAVE).
uint64_t osSavedState() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27)))
    return 0;
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

bool has(const Feature &f) {
  unsigned regs[4] = {0, 0, 0, 0};
  if (!__get_cpuid_count(f.leaf, f.subleaf, &regs[EAX], &regs[EBX], &regs[ECX],
                         &regs[EDX]))
    return false;
  if (!(regs[f.reg] & (1u << f.bit)))
    return false;
  return (osSavedState() & f.state) == f.state;
}

} // namespace

const std::vector<std::string> &moec::checkedCPUFeatures() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> result;
    for (const Feature &f : kFeatures)
      result.push_back(f.name);
    return result;
  }();
  return names;
}

bool moec::hostHasCPUFeature(const std::string &name) {
  for (const Feature &f : kFeatures)
    if (name == f.name)
      return has(f);
  return false;
}

Status moec::checkHostCPUFeatures(const std::string &required,
                                  const std::string &what) {
  std::string missing;
  size_t start = 0;
  while (start < required.size()) {
    size_t end = required.find(',', start);
    if (end == std::string::npos)
      end = required.size();
    std::string name = required.substr(start, end - start);
    if (!name.empty() && !hostHasCPUFeature(name))
      missing += (missing.empty() ? "" : ", ") + name;
    start = end + 1;
  }
  if (missing.empty())
    return Status();
  return Status::error(what + " needs CPU features this CPU lacks: " + missing);
}
