//===- CPUTarget.cpp - the CPU that code is compiled for ------------------===//
#include "moec/Target/CPUTarget.h"

#include "moec/Runtime/CPUFeatures.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/X86TargetParser.h"

#include <algorithm>

using namespace moec;

namespace {

void sizeVectors(CPUTarget &t) {
  if (t.has("avx512f")) {
    t.vectorWidth = 16;
    t.vectorRegisters = 32;
  } else if (t.has("avx")) {
    t.vectorWidth = 8;
    t.vectorRegisters = 16;
  } else {
    t.vectorWidth = 4;
    t.vectorRegisters = 16;
  }
}

} // namespace

CPUTarget CPUTarget::host() {
  CPUTarget t;
  t.cpu = llvm::sys::getHostCPUName().str();
  for (const auto &entry : llvm::sys::getHostCPUFeatures())
    if (entry.second)
      t.features.push_back(entry.first().str());
  std::sort(t.features.begin(), t.features.end());
  sizeVectors(t);
  return t;
}

StatusOr<CPUTarget> CPUTarget::lookup(const std::string &name) {
  if (name == "host")
    return host();
  if (llvm::X86::parseArchX86(name, /*Only64Bit=*/true) ==
      llvm::X86::CK_None) {
    llvm::SmallVector<llvm::StringRef> valid;
    llvm::X86::fillValidCPUArchList(valid, /*Only64Bit=*/true);
    std::string list;
    for (llvm::StringRef v : valid)
      list += (list.empty() ? "" : ", ") + v.str();
    return Status::error("unknown CPU '" + name +
                         "': give host or an x86-64 CPU name that LLVM "
                         "knows (" +
                         list + ")");
  }
  CPUTarget t;
  t.cpu = name;
  llvm::SmallVector<llvm::StringRef> features;
  llvm::X86::getFeaturesForCPU(name, features);
  // The implied features too (avx2 implies avx, ...), as the code
  // generator enables them.
  llvm::StringMap<bool> all;
  for (llvm::StringRef f : features) {
    all[f] = true;
    llvm::X86::updateImpliedFeatures(f, true, all);
  }
  for (const auto &entry : all)
    if (entry.second)
      t.features.push_back(entry.first().str());
  std::sort(t.features.begin(), t.features.end());
  sizeVectors(t);
  return t;
}

bool CPUTarget::has(const std::string &feature) const {
  return std::binary_search(features.begin(), features.end(), feature);
}

std::string CPUTarget::featureString() const {
  std::string s;
  for (const std::string &f : features)
    s += (s.empty() ? "+" : ",+") + f;
  return s;
}

std::string CPUTarget::requiredFeatures() const {
  std::string s;
  for (const std::string &f : checkedCPUFeatures())
    if (has(f))
      s += (s.empty() ? "" : ",") + f;
  return s;
}

Status CPUTarget::checkRunsOnHost() const {
  return checkHostCPUFeatures(requiredFeatures(), "code for CPU " + cpu);
}

ExpertKernelTiling
CPUTarget::tiling(const ExpertKernelTiling &requested) const {
  ExpertKernelTiling defaults;
  defaults.vectorWidth = vectorWidth;
  defaults.gateUpBlock = 64;
  defaults.downBlock = 64;
  if (vectorRegisters >= 32) {
    // 8 x 1 x {gate, up} = 16 accumulators; down 8 x 2.
    defaults.rows = 8;
    defaults.gateUpCols = 1;
    defaults.downCols = 2;
  } else {
    // 5 x 1 x {gate, up} = 10 accumulators, with 2 loaded panel steps,
    // their 2 widened halves and a broadcast: 15 of 16 registers (at 6 rows
    // LLVM spills in the gate/up loop); down 5 x 2.
    defaults.rows = 5;
    defaults.gateUpCols = 1;
    defaults.downCols = 2;
  }
  ExpertKernelTiling t = requested;
  for (auto [field, fallback] :
       {std::pair{&t.vectorWidth, defaults.vectorWidth},
        {&t.rows, defaults.rows},
        {&t.gateUpCols, defaults.gateUpCols},
        {&t.downCols, defaults.downCols},
        {&t.gateUpBlock, defaults.gateUpBlock},
        {&t.downBlock, defaults.downBlock}})
    if (*field <= 0)
      *field = fallback;
  return t;
}
