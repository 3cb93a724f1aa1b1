//===- Bench.h - moe-bench's benchmarks ------------------------*- C++ -*-===//
#ifndef MOEC_TOOLS_MOEBENCH_BENCH_H
#define MOEC_TOOLS_MOEBENCH_BENCH_H

#include "moec/Model/Checkpoint.h"
#include "moec/Target/KernelTiling.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moec::bench {

struct LayerBenchOptions {
  std::vector<int64_t> tokens{1, 16, 128, 512};
  int repeats = 5;
  std::string python = "python3";
  bool torch = true;
  bool unfused = true;
  int64_t unfusedMaxTokens = 128;
  /// The CPU the kernels are compiled for (CompileOptions::cpu).
  std::string cpu = "host";
  ExpertKernelTiling tiling{0, 0, 0, 0, 0, 0};
  DType dtype = DType::BF16;
};

/// The DeepSeekMoE-16B MoE layer against OpenBLAS, PyTorch and bandwidth.
int runLayerBench(const LayerBenchOptions &options);

struct SweepBenchOptions {
  std::vector<int64_t> tokens{1, 128, 512};
  int repeats = 3;
  std::string cpu = "host";
  /// The values to try; every combination is compiled and timed.
  std::vector<int64_t> rows{3, 4, 5, 6}, gateUpCols{1, 2}, downCols{1, 2, 3};
  std::vector<int64_t> blocks{64};
};

/// The same layer compiled with every combination of the kernel tiling,
/// timed beside an OpenBLAS SGEMM of equal FLOPs.
int runSweepBench(const SweepBenchOptions &options);

struct ModelBenchOptions {
  std::string model;
  int64_t promptTokens = 512;
  std::vector<int64_t> contexts{16, 2000};
  int64_t decodeSteps = 16;
  int repeats = 3;
  std::string python = "python3";
  /// PyTorch eager runs, one per weight dtype ("bf16", "f32").
  std::vector<std::string> torchDtypes{"bf16", "f32"};
  /// llama.cpp runs, one per GGUF file of the same checkpoint.
  std::vector<std::string> ggufs;
  /// moec runs, one per KV cache element type.
  std::vector<DType> kvCaches{DType::F32};
  std::string cpu = "host";
};

/// A whole model: prefill and decode against bandwidth, PyTorch, llama.cpp.
int runModelBench(const ModelBenchOptions &options);

} // namespace moec::bench

#endif // MOEC_TOOLS_MOEBENCH_BENCH_H
